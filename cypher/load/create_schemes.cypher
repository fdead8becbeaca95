// Load a batch of channel schemes into a database that holds no channelgraph node:
// CREATE instead of MERGE (the Scheme uniqueness constraint refuses a duplicate id).
UNWIND $rows AS props
CREATE (s:Scheme)
SET s = props
WITH s, props
MATCH (c:Entity {id: props.channel_id})
CREATE (s)-[:FOR_CHANNEL]->(c)
