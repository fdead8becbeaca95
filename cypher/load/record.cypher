// What the database's Dataset record says it holds: the fingerprint of the tables (set by a
// load, or by the offline importer as import_fingerprint), the state ("loading" until a
// load has written every row, then "loaded"), whether the interrupted load was a replace,
// and whether it holds channelgraph rows at all.
OPTIONAL MATCH (d:Dataset {id: $id})
RETURN d IS NOT NULL AS recorded,
       d.fingerprint AS fingerprint,
       d.import_fingerprint AS import_fingerprint,
       d.state AS state,
       coalesce(d.replacing, false) AS replacing,
       d.name AS name,
       d.entity_columns IS NOT NULL AS complete,
       EXISTS { MATCH (n) WHERE n:Entity OR n:Facility OR n:Scheme } AS rows
