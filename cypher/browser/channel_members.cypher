// A channel (chamber, market, intermediary) with its members, their facilities and referrers.
MATCH (c:Entity {id: $channel_id})<-[m:MEMBER_OF|TRADES_IN|SOURCED_VIA]-(p:Entity)
OPTIONAL MATCH (p)-[:HAS_FACILITY]->(f:Facility)
RETURN p.id AS id, p.name AS name, type(m) AS via, m.role AS role, p.is_customer AS customer,
       sum(f.outstanding_fen) / 100.0 AS outstanding_yuan
ORDER BY outstanding_yuan DESC
