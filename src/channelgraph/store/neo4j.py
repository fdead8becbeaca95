"""The Neo4j backend: load a validated dataset into a Neo4j 5 server and read it back.

* **Load** (:func:`load_dataset_to_neo4j`) creates the schema (``cypher/schema.cypher``),
  then writes entities, relations, schemes and facilities in ``UNWIND`` batches, each
  batch in its own managed write transaction (``execute_write``, retried by the driver
  on transient errors). Every statement ``MERGE``\\ s on ids, so loading the same
  dataset twice leaves the same nodes and relationships, a changed row updates its
  properties, and a load interrupted midway (server killed) completes when rerun.
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
DEFAULT_BATCH = 5_000

_ALL_LABELS = "".join(":" + k.label for k in Kind)
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

    The only substitutions are ``__LABEL__``, ``__ALL_LABELS__`` and ``__TYPE__``, and
    they accept only members of the model's fixed sets.
    """
    text = (CYPHER_DIR / f"{name}.cypher").read_text(encoding="utf-8")
    for key, value in templates.items():
        allowed = {"LABEL": {k.label for k in Kind}, "TYPE": {t.value for t in RelationType},
                   "ALL_LABELS": {_ALL_LABELS}}[key]
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


def _props(row: dict, rename: dict[str, str], ordinal: int) -> dict:
    props = {}
    for k, v in row.items():
        v = _clean(v)
        if v is not None:
            props[rename.get(k, k)] = v
    props["_row"] = ordinal
    return props


_ENTITY_RENAME = {"net_assets": "net_assets_fen", "annual_revenue": "annual_revenue_fen"}
_RELATION_RENAME = {"amount": "amount_fen"}
_FACILITY_RENAME = {"facility_id": "id", "outstanding": "outstanding_fen", "limit": "limit_fen"}
_SCHEME_RENAME = {"scheme_id": "id"}


def _records(df: pd.DataFrame) -> Iterator[dict]:
    cols = list(df.columns)
    for values in zip(*(df[c].tolist() for c in cols)):
        yield dict(zip(cols, values))


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
    """
    progress = progress or (lambda *a: None)
    with open_driver(target) as driver, _session(driver, target) as session:
        for stmt in _statements(cypher("schema")):
            session.run(stmt).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
        if replace:
            while True:
                deleted = session.execute_write(
                    lambda tx: tx.run(cypher("load/clear"), batch=batch_size).single()["deleted"])
                if not deleted:
                    break

        def write(statement: str, stage: str, rows: list[dict], done_before: int, total: int) -> int:
            done = done_before
            for batch in _batches(rows, batch_size):
                session.execute_write(lambda tx, b=batch: tx.run(statement, rows=b).consume())
                done += len(batch)
                progress(stage, done, total)
            return done

        ent = dataset.entities
        total = len(ent)
        done = 0
        for kind in Kind:
            part = ent[ent["kind"] == kind.value]
            rows = [{"id": r["id"], "props": _props(r, _ENTITY_RENAME, int(i))}
                    for i, r in zip(part.index, _records(part))]
            done = write(cypher("load/entities", LABEL=kind.label, ALL_LABELS=_ALL_LABELS),
                         "entities", rows, done, total)
        progress("entities", total, total)

        rel = dataset.relations
        total, done = len(rel), 0
        for rtype in RelationType:
            part = rel[rel["type"] == rtype.value]
            rows = []
            for i, r in zip(part.index, _records(part)):
                props = _props({k: v for k, v in r.items() if k not in ("src", "dst", "type")},
                               _RELATION_RENAME, int(i))
                rows.append({"src": r["src"], "dst": r["dst"], "props": props})
            done = write(cypher("load/relations", TYPE=rtype.value), "relations", rows, done, total)
        progress("relations", total, total)

        sch = dataset.schemes
        rows = [{"id": r["scheme_id"], "channel_id": r["channel_id"], "props": _props(r, _SCHEME_RENAME, int(i))}
                for i, r in zip(sch.index, _records(sch))]
        write(cypher("load/schemes"), "schemes", rows, 0, len(rows))

        exp = dataset.exposures
        rows = [{"id": r["facility_id"], "customer_id": r["customer_id"], "scheme_id": r["scheme_id"],
                 "props": _props(r, _FACILITY_RENAME, int(i))} for i, r in zip(exp.index, _records(exp))]
        write(cypher("load/facilities"), "facilities", rows, 0, len(rows))

        meta = {
            "id": DATASET_ID,
            "entity_columns": list(ent.columns),
            "relation_columns": list(rel.columns),
            "exposure_columns": list(exp.columns),
            "scheme_columns": list(sch.columns),
            "encodings": json.dumps(dataset.encodings),
            "name": dataset.name,
            "policy_toml": _policy_text(dataset),
        }
        session.execute_write(lambda tx: tx.run(cypher("load/dataset"), id=DATASET_ID, props=meta).consume())
        return _counts(session)


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


def _frame(rows: list[dict], columns: list[str], rename: dict[str, str]) -> pd.DataFrame:
    back = {v: k for k, v in rename.items()}
    data = {c: [] for c in columns}
    for props in rows:
        p = {back.get(k, k): v for k, v in props.items()}
        for c in columns:
            data[c].append(p.get(c))
    return pd.DataFrame(data, columns=columns)


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

        def read(name, **params):
            return session.execute_read(lambda tx: [r.data() for r in tx.run(cypher(name), **params)])

        ents = [r["props"] for r in read("read/entities")]
        rels = read("read/relations", types=[t.value for t in RelationType])
        facs = [r["props"] for r in read("read/facilities")]
        schs = [r["props"] for r in read("read/schemes")]

    entities = _frame(ents, meta["entity_columns"], _ENTITY_RENAME)
    _text_columns(entities, {"is_customer", "net_assets", "annual_revenue"})
    entities["is_customer"] = entities["is_customer"].astype(bool)
    for m in ("net_assets", "annual_revenue"):
        entities[m] = pd.array(entities[m].tolist(), dtype="Int64")

    rel_rows = [{"src": r["src"], "dst": r["dst"], "type": r["type"], **r["props"]} for r in rels]
    relations = _frame(rel_rows, meta["relation_columns"], _RELATION_RENAME)
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
