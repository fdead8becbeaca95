// The dataset's own record: its fingerprint and state ("loading" when a load begins, with
// replacing = true for a replace; "loaded" at its end, with the column order of each table
// and the policy text, so that read-back rebuilds exactly the tables that were loaded).
// SET d = $props replaces every property, the importer's import_fingerprint included.
MERGE (d:Dataset {id: $id})
SET d = $props
