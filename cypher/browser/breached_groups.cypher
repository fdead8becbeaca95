// Groups of connected clients over their limit, after `analyze --neo4j URI --write-back`.
MATCH (n:Entity)
WHERE n.group_status = 'breach'
RETURN n.group_id AS group_id, max(n.group_exposure_fen) / 100.0 AS exposure_yuan,
       collect(n.name) AS members
ORDER BY exposure_yuan DESC
