// Entities in the order they were loaded.
MATCH (n:Entity)
RETURN properties(n) AS props
ORDER BY n._row
