// Load a batch of relations of one type into a database that may already hold them
// (MERGE on the ordered pair: a rerun or a changed dataset updates, never doubles).
// __TYPE__ is replaced only with a member of channelgraph.model.RelationType (never from
// data); every value is a parameter. Both ends are found through the Entity id
// uniqueness constraint.
UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
MERGE (a)-[r:__TYPE__]->(b)
SET r = row.props
