MATCH (s:Scheme)
RETURN properties(s) AS props
ORDER BY s._row
