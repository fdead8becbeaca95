// Load a batch of channel schemes, each tied to its channel. Each row is the scheme's
// full property map (id and channel_id included).
UNWIND $rows AS props
MERGE (s:Scheme {id: props.id})
SET s = props
WITH s, props
MATCH (c:Entity {id: props.channel_id})
MERGE (s)-[:FOR_CHANNEL]->(c)
