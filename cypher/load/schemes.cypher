// Load a batch of channel schemes, each tied to its channel.
UNWIND $rows AS row
MERGE (s:Scheme {id: row.id})
SET s = row.props
WITH s, row
MATCH (c:Entity {id: row.channel_id})
MERGE (s)-[:FOR_CHANNEL]->(c)
