// Remove a batch of channelgraph nodes (used by `load --replace`), batched to bound memory.
MATCH (n)
WHERE n:Entity OR n:Facility OR n:Scheme OR n:Dataset
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
