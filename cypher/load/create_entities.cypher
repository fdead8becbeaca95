// Load a batch of entities into a database that holds no channelgraph node (a first load,
// or after `--replace` cleared it): CREATE instead of MERGE, with no lookup per row.
// The uniqueness constraints still refuse a duplicate id, so a retried batch can never
// leave two nodes for one entity. __LABEL__ is replaced only with a label from
// channelgraph.model.Kind (never from data); every value is a parameter.
UNWIND $rows AS props
CREATE (n:Entity:__LABEL__)
SET n = props
