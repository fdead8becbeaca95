// Remove every channelgraph node and its relationships (used by `load --replace`),
// committing every $batch nodes to bound memory. CALL … IN TRANSACTIONS: run it as an
// auto-commit query, not inside a transaction. Interrupted, it is simply run again.
MATCH (n)
WHERE n:Entity OR n:Facility OR n:Scheme OR n:Dataset
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF $batch ROWS
