// The key persons and organisations worth a visit, with the customers they referred.
MATCH (h:Entity)
WHERE h.hub_rank <= $top
OPTIONAL MATCH (h)-[:REFERRED]->(c:Entity)
RETURN h.hub_rank AS rank, h.id AS id, h.name AS name, h.hub_score AS score,
       count(c) AS referred, sum(CASE WHEN c.is_customer THEN 1 ELSE 0 END) AS converted
ORDER BY rank
