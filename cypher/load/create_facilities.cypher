// Load a batch of credit facilities into a database that holds no channelgraph node:
// CREATE instead of MERGE. The Facility uniqueness constraint refuses a duplicate id, and
// a facility's relationships are created in the same transaction as the facility, so a
// retried batch fails instead of doubling them (a rerun then loads with MERGE).
UNWIND $rows AS props
CREATE (f:Facility)
SET f = props
WITH f, props
MATCH (c:Entity {id: props.customer_id})
CREATE (c)-[:HAS_FACILITY]->(f)
WITH f, props
MATCH (s:Scheme {id: props.scheme_id})
CREATE (f)-[:UNDER_SCHEME]->(s)
