// Entities as property maps, one record per chunk of $chunk rows of the load order
// (`_row`): a few large records instead of one per entity keep the driver's per-record
// cost off large tables. The caller puts the rows in `_row` order.
MATCH (n:Entity)
RETURN n._row / $chunk AS chunk, collect(properties(n)) AS rows
