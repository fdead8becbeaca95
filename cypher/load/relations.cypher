// Load a batch of relations of one type. __TYPE__ is replaced only with a member of
// channelgraph.model.RelationType (never from data); every value is a parameter.
// Always MERGE (also into an empty database): a relationship has no uniqueness
// constraint, so only MERGE keeps a retried batch from doubling it. Both ends are found
// through the Entity id uniqueness constraint.
UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
MERGE (a)-[r:__TYPE__]->(b)
SET r = row.props
