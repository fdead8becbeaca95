// Remove earlier written-back results before writing new ones (auto-commit, in batches).
// Keep this list in step with the rooms' node-property hooks (a test checks it).
MATCH (n:Entity)
CALL (n) {
  REMOVE n.hub_score, n.hub_rank, n.group_id, n.group_status, n.group_exposure_fen,
         n.guarantee_patterns, n.risk_source_rank, n.risk_source_share
} IN TRANSACTIONS OF 10000 ROWS
