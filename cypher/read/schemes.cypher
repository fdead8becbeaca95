// Schemes as property maps, one record per chunk of $chunk rows of the load order
// (`_row`); the caller puts the rows in `_row` order.
MATCH (s:Scheme)
RETURN s._row / $chunk AS chunk, collect(properties(s)) AS rows
