// channelgraph schema: one uniqueness constraint per label's id, and the indexes the queries use.
// Statements are separated by semicolons; each is idempotent (IF NOT EXISTS).
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT enterprise_id IF NOT EXISTS FOR (n:Enterprise) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT chamber_id IF NOT EXISTS FOR (n:Chamber) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT market_id IF NOT EXISTS FOR (n:Market) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT intermediary_id IF NOT EXISTS FOR (n:Intermediary) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT facility_id IF NOT EXISTS FOR (n:Facility) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT scheme_id IF NOT EXISTS FOR (n:Scheme) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (n:Dataset) REQUIRE n.id IS UNIQUE;
CREATE INDEX entity_row IF NOT EXISTS FOR (n:Entity) ON (n._row);
CREATE INDEX facility_row IF NOT EXISTS FOR (n:Facility) ON (n._row);
CREATE INDEX facility_customer IF NOT EXISTS FOR (n:Facility) ON (n.customer_id);
CREATE INDEX entity_group IF NOT EXISTS FOR (n:Entity) ON (n.group_id);
CREATE INDEX entity_hub_rank IF NOT EXISTS FOR (n:Entity) ON (n.hub_rank)
