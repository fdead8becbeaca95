// Load a batch of relations of one type into a database that held no channelgraph node
// when the load began (a first load, or after `--replace` cleared it): CREATE instead of
// MERGE, so no relationship is looked up among the ones a hub already has (MERGE costs
// a walk over every relationship of that type on the node: quadratic on a hub).
// A batch is one transaction: the driver retries it only after the server rolled it back
// (an unknown commit outcome is not retried; the load stops and a rerun MERGEs), so a
// relationship is never created twice. The validator refuses two relations of one type
// between the same ordered pair. __TYPE__ is replaced only with a member of
// channelgraph.model.RelationType (never from data); every value is a parameter.
UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
CREATE (a)-[r:__TYPE__]->(b)
SET r = row.props
