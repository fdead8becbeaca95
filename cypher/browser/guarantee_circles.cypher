// Firms in a guarantee circle and the guarantees among them (draw it in Browser/Bloom).
MATCH (a:Entity)-[g:GUARANTEES]->(b:Entity)
WHERE 'circle' IN a.guarantee_patterns AND 'circle' IN b.guarantee_patterns
RETURN a, g, b
