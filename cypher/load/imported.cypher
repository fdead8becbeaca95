// The fingerprint the offline importer left on the dataset record (null after a Cypher
// load: `load/dataset` replaces the record's properties and so removes it).
OPTIONAL MATCH (d:Dataset {id: $id})
RETURN d.import_fingerprint AS fingerprint
