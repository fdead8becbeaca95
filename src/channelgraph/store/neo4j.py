"""The Neo4j backend: load a validated dataset into a Neo4j 5 server and read it back.

* **Load** (:func:`load_dataset_to_neo4j`) creates the schema (``cypher/schema.cypher``),
  then writes entities, relations, schemes and facilities in ``UNWIND`` batches, each
  batch in its own managed write transaction (``execute_write``, retried by the driver
  on transient errors). Into a database that already holds channelgraph nodes every
  statement ``MERGE``\\ s on ids, so loading the same dataset twice leaves the same nodes
  and relationships, a changed row updates its properties, and a load interrupted
  midway (server killed) completes when rerun. Into a database that holds none (a
  first load, or ``replace``) nodes and relationships are ``CREATE``\\ d without a lookup
  per row. A batch is one transaction, which the driver retries only after the server
  rolled it back (an unknown commit outcome stops the load; its rerun merges), and the
  uniqueness constraints refuse a duplicate node, so nothing is created twice.
* **Bulk import** (:mod:`channelgraph.store.neo4j_import`): for a first load of a
  big book, Neo4j's offline importer writes the store directly; a load afterwards
  recognises the imported dataset by its fingerprint and only adds the schema and
  the dataset record.
* **Read-back** (:func:`read_dataset_from_neo4j`) rebuilds exactly the validated tables
  (same columns, same row order, same types) so that every analysis gives the same
  answer as on the embedded backend.
* **Write-back** (:func:`write_back_results`) stores analysis results on the nodes.

Labels and relationship types come only from :mod:`channelgraph.model`; every value
is a query parameter. Credentials are never printed or logged.
"""

from __future__ import annotations

import json
import re
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from ..io.validate import Dataset
from ..model import Kind, RelationType
from ..policy import Policy, PolicyError

CYPHER_DIR = Path(__file__).resolve().parent.parent / "cypher"
DATASET_ID = "channelgraph"
#: Rows per UNWIND transaction. Measured creating the 155,531 entities of the 100k bank
#: (Neo4j 5.26, 2-core machine): 500–2,000 rows per transaction cost the server 12–15
#: CPU-s, 5,000 rows 17–19 s, 20,000 rows 20–21 s (bigger transaction states to build,
#: sort and apply at commit).
DEFAULT_BATCH = 2_000
#: Rows per record when reading back: the Python driver pays per record, not per value.
READ_CHUNK = 20_000

_OTHER_LABELS = {kind: "".join(":" + k.label for k in Kind if k is not kind) for kind in Kind}
_PLACEHOLDER = re.compile(r"__[A-Z_]+__")


class Neo4jFailure(RuntimeError):
    """A Neo4j server that cannot be reached or refuses us, in one clear line."""


@dataclass(frozen=True)
class Neo4jTarget:
    """Where the graph lives: URI, user, password (never shown) and database."""

    uri: str
    user: str = "neo4j"
    password: str | None = None
    database: str | None = None

    def __repr__(self) -> str:  # never show the password
        return f"Neo4jTarget(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"

    __str__ = __repr__


def cypher(name: str, **templates: str) -> str:
    """Read a statement from ``cypher/NAME.cypher``.

    The only substitutions are ``__LABEL__``, ``__OTHER_LABELS__`` (every kind label but
    one) and ``__TYPE__``, and they accept only members of the model's fixed sets.
    """
    text = (CYPHER_DIR / f"{name}.cypher").read_text(encoding="utf-8")
    for key, value in templates.items():
        allowed = {"LABEL": {k.label for k in Kind}, "TYPE": {t.value for t in RelationType},
                   "OTHER_LABELS": set(_OTHER_LABELS.values())}[key]
        if value not in allowed:
            raise ValueError(f"{key} {value!r} is not in the model's fixed set")
        text = text.replace(f"__{key}__", value)
    if _PLACEHOLDER.search(_strip_comments(text)):
        raise ValueError(f"{name}.cypher has an unfilled placeholder")
    return text


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def _statements(text: str) -> list[str]:
    return [s.strip() for s in _strip_comments(text).split(";") if s.strip()]


@contextmanager
def open_driver(target: Neo4jTarget):
    """A verified driver, closed on exit; failures become one-line :class:`Neo4jFailure`."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, ConfigurationError, ServiceUnavailable

    auth = (target.user, target.password) if target.password else None
    try:
        driver = GraphDatabase.driver(target.uri, auth=auth)
    except (ValueError, ConfigurationError) as exc:
        raise Neo4jFailure(f"not a usable Neo4j URI {target.uri!r}: {exc}") from None
    try:
        try:
            driver.verify_connectivity()
        except AuthError:
            raise Neo4jFailure(f"Neo4j at {target.uri} refused the credentials of user {target.user!r} "
                               "(check NEO4J_USER / NEO4J_PASSWORD)") from None
        except (ServiceUnavailable, OSError) as exc:
            raise Neo4jFailure(f"cannot reach Neo4j at {target.uri} ({type(exc).__name__}); "
                               "is the server running? (scripts/neo4j-local start)") from None
        yield driver
    finally:
        driver.close()


def _session(driver, target: Neo4jTarget):
    return driver.session(database=target.database) if target.database else driver.session()


def _run_failures(fn):
    """Turn driver errors raised while working into :class:`Neo4jFailure`."""
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AuthError:
            raise Neo4jFailure("Neo4j refused the credentials (check NEO4J_USER / NEO4J_PASSWORD)") from None
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise Neo4jFailure(f"lost the connection to Neo4j ({type(exc).__name__}); "
                               "rerun the command: loading is idempotent") from None
        except Neo4jError as exc:
            raise Neo4jFailure(f"Neo4j error {exc.code}: {exc.message}") from None

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


# ----------------------------------------------------------------------------- load


def _clean(v):
    """A table cell as a Neo4j property value (None means: no property)."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


_ENTITY_RENAME = {"net_assets": "net_assets_fen", "annual_revenue": "annual_revenue_fen"}
_RELATION_RENAME = {"amount": "amount_fen"}
_FACILITY_RENAME = {"facility_id": "id", "outstanding": "outstanding_fen", "limit": "limit_fen"}
_SCHEME_RENAME = {"scheme_id": "id"}


def _column_values(column: pd.Series) -> list:
    """A table column as plain Python values (int, float, bool, str), ``None`` where empty."""
    values = column.tolist()
    missing = column.isna()
    if missing.any():
        values = [None if gone else v for v, gone in zip(values, missing.tolist())]
    return values


def property_maps(df: pd.DataFrame, rename: dict[str, str], skip: tuple[str, ...] = ()) -> list[dict]:
    """One Neo4j property map per row of a validated table.

    Parameters
    ----------
    df : a validated table (entities, relations, exposures or schemes).
    rename : column → property name (amounts get a ``_fen`` suffix, ids become ``id``).
    skip : columns that are not properties (a relation's ``src``, ``dst`` and ``type``).

    Returns
    -------
    list of dict : per row, every filled cell under its property name (an empty cell is
        no property at all), plus ``_row``, the row's position label in the table, which
        read-back orders by.
    """
    names = [rename.get(c, c) for c in df.columns if c not in skip] + ["_row"]
    columns = [_column_values(df[c]) for c in df.columns if c not in skip] + [df.index.tolist()]
    return [{k: v for k, v in zip(names, cells) if v is not None} for cells in zip(*columns)]


def _batches(rows: list, size: int) -> Iterator[list]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


@_run_failures
def load_dataset_to_neo4j(dataset: Dataset, target: Neo4jTarget, *, batch_size: int = DEFAULT_BATCH,
                          replace: bool = False,
                          progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Load a validated dataset into Neo4j, idempotently, in batches.

    Parameters
    ----------
    dataset : a validated :class:`~channelgraph.io.Dataset`.
    target : where to load.
    batch_size : rows per ``UNWIND`` transaction.
    replace : first delete every channelgraph node (Entity, Facility, Scheme, Dataset),
        so that rows removed from the dataset disappear from the database too.
    progress : optional ``progress(stage, done, total)`` callback.

    Returns
    -------
    dict : node counts per label and relationship counts per type after the load.

    Notes
    -----
    When the database holds no channelgraph node at the start (a first load, or after
    ``replace`` cleared it), nodes are created without the per-row lookup of ``MERGE``
    (``cypher/load/create_*.cypher``); otherwise every row is merged on its id.
    When the database holds exactly this dataset, bulk-imported by ``neo4j-admin``
    from :func:`~channelgraph.store.neo4j_import.write_import_files` (the fingerprint
    on its ``Dataset`` node matches), no row is written: the load creates the
    constraints and indexes and the dataset record.
    """
    progress = progress or (lambda *a: None)
    with open_driver(target) as driver, _session(driver, target) as session:
        for stmt in _statements(cypher("schema")):
            session.run(stmt).consume()
        # After a bulk import the server now builds every index over the imported rows;
        # the dataset's fingerprint is computed meanwhile.
        imported = _holds_imported(session, dataset)
        session.run("CALL db.awaitIndexes(300)").consume()
        meta = _dataset_record(dataset)
        if imported:
            # Bulk-imported (neo4j_import): every row is in place; add only the dataset record.
            session.execute_write(lambda tx: tx.run(cypher("load/dataset"), id=DATASET_ID, props=meta).consume())
            progress("imported", 1, 1)
            return _counts(session)
        if replace:
            session.run(cypher("load/clear"), batch=batch_size).consume()  # CALL … IN TRANSACTIONS
        empty = not session.run(cypher("load/any")).single()["any"]

        def write(statement: str, stage: str, rows: list[dict], done_before: int, total: int) -> int:
            done = done_before
            for batch in _batches(rows, batch_size):
                session.execute_write(lambda tx, b=batch: tx.run(statement, rows=b).consume())
                done += len(batch)
                progress(stage, done, total)
            return done

        ent = dataset.entities
        total, done = len(ent), 0
        kinds = ent["kind"]
        for kind in Kind:
            rows = property_maps(ent[kinds == kind.value], _ENTITY_RENAME)
            statement = (cypher("load/create_entities", LABEL=kind.label) if empty else
                         cypher("load/entities", LABEL=kind.label, OTHER_LABELS=_OTHER_LABELS[kind]))
            done = write(statement, "entities", rows, done, total)
        progress("entities", total, total)

        rel = dataset.relations
        total, done = len(rel), 0
        types = rel["type"]
        for rtype in RelationType:
            part = rel[types == rtype.value]
            rows = [{"src": src, "dst": dst, "props": props} for src, dst, props in
                    zip(part["src"].tolist(), part["dst"].tolist(),
                        property_maps(part, _RELATION_RENAME, skip=("src", "dst", "type")))]
            statement = cypher("load/create_relations" if empty else "load/relations", TYPE=rtype.value)
            done = write(statement, "relations", rows, done, total)
        progress("relations", total, total)

        sch = dataset.schemes
        rows = property_maps(sch, _SCHEME_RENAME)
        write(cypher("load/create_schemes" if empty else "load/schemes"), "schemes", rows, 0, len(rows))

        exp = dataset.exposures
        rows = property_maps(exp, _FACILITY_RENAME)
        write(cypher("load/create_facilities" if empty else "load/facilities"), "facilities", rows, 0, len(rows))

        session.execute_write(lambda tx: tx.run(cypher("load/dataset"), id=DATASET_ID, props=meta).consume())
        return _counts(session)


def _dataset_record(dataset: Dataset) -> dict:
    """The Dataset node's properties: column order of each table, encodings, name, policy text."""
    return {
        "id": DATASET_ID,
        "entity_columns": list(dataset.entities.columns),
        "relation_columns": list(dataset.relations.columns),
        "exposure_columns": list(dataset.exposures.columns),
        "scheme_columns": list(dataset.schemes.columns),
        "encodings": json.dumps(dataset.encodings),
        "name": dataset.name,
        "policy_toml": _policy_text(dataset),
    }


def _holds_imported(session, dataset: Dataset) -> bool:
    """Whether the database holds exactly *dataset*, written by the offline importer
    (:mod:`channelgraph.store.neo4j_import`) and not finished by a load yet."""
    rec = session.run(cypher("load/imported"), id=DATASET_ID).single()
    if rec is None or rec["fingerprint"] is None:
        return False
    from .neo4j_import import dataset_fingerprint

    return rec["fingerprint"] == dataset_fingerprint(dataset)


def _policy_text(dataset: Dataset) -> str:
    """The text of the policy file the dataset was validated with ("" for the defaults)."""
    source = Path(dataset.policy.source)
    return source.read_text(encoding="utf-8-sig") if source.is_file() else ""


def _counts(session) -> dict:
    out: dict = {"nodes": {}, "relationships": {}}
    for rec in session.run(cypher("read/counts")):
        out["nodes" if rec["kind"] == "node" else "relationships"][rec["what"]] = rec["n"]
    return out


@_run_failures
def neo4j_counts(target: Neo4jTarget) -> dict:
    """Node counts per label and relationship counts per type."""
    with open_driver(target) as driver, _session(driver, target) as session:
        return _counts(session)


# ----------------------------------------------------------------------------- read-back


def _frame(rows: list[dict], columns: list[str], rename: dict[str, str],
           given: dict[str, list] | None = None) -> pd.DataFrame:
    """The table whose *columns* are read from property maps (*given* columns come ready)."""
    given = given or {}
    data = {c: given[c] if c in given else [props.get(rename.get(c, c)) for props in rows] for c in columns}
    return pd.DataFrame(data, columns=columns)


def _node_props(row: dict) -> dict:
    """A node row of a read query is its property map."""
    return row


def _relation_props(row: list) -> dict:
    """A relation row of a read query is ``[src, dst, type, properties]``."""
    return row[-1]


def _load_order(props: dict) -> tuple:
    """Sort key: the row's position in the loaded table (rows without one last, as ORDER BY)."""
    row = props.get("_row")
    return (row is None, row if row is not None else 0)


def _text_columns(df: pd.DataFrame, skip: set[str]) -> None:
    for c in df.columns:
        if c not in skip:
            df[c] = ["" if v is None else v for v in df[c].tolist()]


@_run_failures
def read_dataset_from_neo4j(target: Neo4jTarget, policy: str | Path | Policy | None = None) -> Dataset:
    """Rebuild the validated tables of the dataset last loaded into *target*.

    The policy is the one given, else the ``policy.toml`` text stored at load time,
    else the defaults.
    """
    with open_driver(target) as driver, _session(driver, target) as session:
        rec = session.run(cypher("read/dataset"), id=DATASET_ID).single()
        if rec is None:
            raise Neo4jFailure(f"no channelgraph dataset in Neo4j at {target.uri}; "
                               "load one first: channelgraph load DATA --neo4j URI")
        meta = rec["props"]
        if "entity_columns" not in meta:
            raise Neo4jFailure(f"the dataset in Neo4j at {target.uri} was bulk-imported and not finished yet; "
                               "finish it first: channelgraph load DATA --neo4j URI (with the exported DATA)")

        def read(name: str, row_of: Callable[[object], dict], **params) -> list:
            """The rows of a chunked read query, in load order (``_row``)."""
            chunks = session.execute_read(
                lambda tx: [rec["rows"] for rec in tx.run(cypher(name), chunk=READ_CHUNK, **params)])
            rows = [row for chunk in chunks for row in chunk]
            rows.sort(key=lambda row: _load_order(row_of(row)))
            return rows

        ents = read("read/entities", _node_props)
        rels = read("read/relations", _relation_props, types=[t.value for t in RelationType])
        facs = read("read/facilities", _node_props)
        schs = read("read/schemes", _node_props)

    entities = _frame(ents, meta["entity_columns"], _ENTITY_RENAME)
    _text_columns(entities, {"is_customer", "net_assets", "annual_revenue"})
    entities["is_customer"] = entities["is_customer"].astype(bool)
    for m in ("net_assets", "annual_revenue"):
        entities[m] = pd.array(entities[m].tolist(), dtype="Int64")

    src, dst, rtype, rel_props = (list(c) for c in zip(*rels)) if rels else ([], [], [], [])
    relations = _frame(rel_props, meta["relation_columns"], _RELATION_RENAME,
                       given={"src": src, "dst": dst, "type": rtype})
    _text_columns(relations, {"amount", "share"})
    relations["amount"] = pd.array(relations["amount"].tolist(), dtype="Int64")
    relations["share"] = pd.array(relations["share"].tolist(), dtype="Float64")

    exposures = _frame(facs, meta["exposure_columns"], _FACILITY_RENAME)
    _text_columns(exposures, {"outstanding", "limit"})
    exposures["outstanding"] = pd.array(exposures["outstanding"].tolist(), dtype="int64")
    exposures["limit"] = pd.array(exposures["limit"].tolist(), dtype="Int64")

    schemes = _frame(schs, meta["scheme_columns"], _SCHEME_RENAME)
    _text_columns(schemes, set())

    if isinstance(policy, Policy):
        pol = policy
    elif policy:
        pol = Policy.load(policy)
    elif meta.get("policy_toml"):
        try:
            pol = Policy.from_mapping(tomllib.loads(meta["policy_toml"]), source="policy.toml")
        except (PolicyError, tomllib.TOMLDecodeError) as exc:
            raise Neo4jFailure(f"the policy stored in Neo4j is not usable: {exc}") from None
    else:
        pol = Policy()
    encodings = json.loads(meta.get("encodings") or "{}")
    return Dataset(entities, relations, exposures, schemes, pol, None, encodings, name=meta.get("name") or "")


# ----------------------------------------------------------------------------- write-back


@_run_failures
def write_back_results(target: Neo4jTarget, node_props: dict[str, dict], *, batch_size: int = DEFAULT_BATCH) -> int:
    """Store per-entity results (``id → {property: value}``) on the Entity nodes.

    Earlier written-back properties are removed first, so a node that no longer has a
    result does not keep a stale one. Returns the number of nodes written.
    """
    rows = [{"id": k, "props": {p: _clean(v) for p, v in props.items() if _clean(v) is not None}}
            for k, props in sorted(node_props.items())]
    with open_driver(target) as driver, _session(driver, target) as session:
        session.run(cypher("write/clear_results")).consume()  # CALL … IN TRANSACTIONS: auto-commit
        for batch in _batches(rows, batch_size):
            session.execute_write(lambda tx, b=batch: tx.run(cypher("write/node_results"), rows=b).consume())
    return len(rows)
