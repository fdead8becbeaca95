// Facilities as property maps, one record per chunk of $chunk rows of the load order
// (`_row`); the caller puts the rows in `_row` order.
MATCH (f:Facility)
RETURN f._row / $chunk AS chunk, collect(properties(f)) AS rows
