// Load a batch of credit facilities (exposures), each tied to its customer and scheme.
// Each row is the facility's full property map (id, customer_id, scheme_id included).
UNWIND $rows AS props
MERGE (f:Facility {id: props.id})
SET f = props
WITH f, props
MATCH (c:Entity {id: props.customer_id})
MERGE (c)-[:HAS_FACILITY]->(f)
WITH f, props
OPTIONAL MATCH (s:Scheme {id: props.scheme_id})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | MERGE (f)-[:UNDER_SCHEME]->(s))
