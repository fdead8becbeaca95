// Remove every channelgraph row node and its relationships (used by `load --replace`),
// committing every $batch nodes to bound memory. CALL … IN TRANSACTIONS: run it as an
// auto-commit query, not inside a transaction. Interrupted, it is simply run again.
// The Dataset record stays: the load marked it "loading" (with replacing = true) before
// clearing, so a database left half-cleared says so, and a rerun of the load clears again.
MATCH (n)
WHERE n:Entity OR n:Facility OR n:Scheme
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF $batch ROWS
