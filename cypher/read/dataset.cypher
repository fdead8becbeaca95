MATCH (d:Dataset {id: $id})
RETURN properties(d) AS props
