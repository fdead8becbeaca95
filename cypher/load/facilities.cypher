// Load a batch of credit facilities (exposures), each tied to its customer and scheme.
UNWIND $rows AS row
MERGE (f:Facility {id: row.id})
SET f = row.props
WITH f, row
MATCH (c:Entity {id: row.customer_id})
MERGE (c)-[:HAS_FACILITY]->(f)
WITH f, row
OPTIONAL MATCH (s:Scheme {id: row.scheme_id})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | MERGE (f)-[:UNDER_SCHEME]->(s))
