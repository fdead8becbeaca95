// Remove earlier written-back results before writing new ones.
MATCH (n:Entity)
REMOVE n.hub_score, n.hub_rank, n.group_id, n.group_status, n.group_exposure_fen,
       n.guarantee_patterns, n.risk_source_rank, n.risk_source_share
