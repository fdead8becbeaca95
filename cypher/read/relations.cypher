// Relations of the model's types in the order they were loaded.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE type(r) IN $types
RETURN a.id AS src, b.id AS dst, type(r) AS type, properties(r) AS props
ORDER BY r._row
