// Whether the database holds any channelgraph node: if not, the load creates instead of merging.
RETURN EXISTS { MATCH (n) WHERE n:Entity OR n:Facility OR n:Scheme OR n:Dataset } AS any
