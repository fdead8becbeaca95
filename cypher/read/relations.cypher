// Relations of the model's types as [src, dst, type, properties], one record per chunk of
// $chunk rows of the load order (`_row`); the caller puts the rows in `_row` order.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE type(r) IN $types
RETURN r._row / $chunk AS chunk, collect([a.id, b.id, type(r), properties(r)]) AS rows
