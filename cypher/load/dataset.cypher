// The dataset's own record: column order of each table and the policy text, so that
// read-back rebuilds exactly the tables that were loaded.
MERGE (d:Dataset {id: $id})
SET d = $props
