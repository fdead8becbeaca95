// Load a batch of entities. __LABEL__ and __ALL_LABELS__ are replaced only with
// labels from channelgraph.model.Kind (never from data); every value is a parameter.
// SET n = row.props replaces all properties, so a changed row updates the node.
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n = row.props
REMOVE n__ALL_LABELS__
SET n:__LABEL__
