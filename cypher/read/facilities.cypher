MATCH (f:Facility)
RETURN properties(f) AS props
ORDER BY f._row
