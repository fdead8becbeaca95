// Single risk sources: the entities on which the most exposure depends.
MATCH (s:Entity)
WHERE s.risk_source_rank <= $top
RETURN s.risk_source_rank AS rank, s.id AS id, s.name AS name, labels(s) AS labels,
       s.risk_source_share AS share_of_total
ORDER BY rank
