// Node counts per label and relationship counts per type, for `load` and tests.
CALL () {
  MATCH (n) UNWIND labels(n) AS what RETURN 'node' AS kind, what, count(*) AS n
  UNION ALL
  MATCH ()-[r]->() RETURN 'relationship' AS kind, type(r) AS what, count(*) AS n
}
RETURN kind, what, n ORDER BY kind, what
