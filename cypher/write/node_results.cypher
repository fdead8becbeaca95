// Write analysis results onto entity nodes (analyze --write-back): hub score and rank,
// connected-group id and status, guarantee-pattern labels, risk-source rank.
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n += row.props
