// Whether the database holds any channelgraph row node (the Dataset record aside): if not, the
// load creates instead of merging.
RETURN EXISTS { MATCH (n) WHERE n:Entity OR n:Facility OR n:Scheme } AS any
