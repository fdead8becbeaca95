// Load a batch of entities into a database that may already hold them (MERGE on id).
// Each row is the node's full property map (id included). __LABEL__ and __OTHER_LABELS__
// are replaced only with labels from channelgraph.model.Kind (never from data); every
// value is a parameter. SET n = props replaces all properties, so a changed row updates
// the node; a node whose kind changed loses its old kind label. Its own label is not
// removed and re-added, so reloading unchanged data rewrites no label index entry.
UNWIND $rows AS props
MERGE (n:Entity {id: props.id})
SET n = props
REMOVE n__OTHER_LABELS__
SET n:__LABEL__
