"""The Neo4j backend: load a validated dataset into a Neo4j 5 server and read it back.

* **Load** (:func:`load_dataset_to_neo4j`) creates the schema (``cypher/schema.cypher``),
  then writes entities, relations, schemes and facilities in ``UNWIND`` batches, each
  batch in its own managed write transaction (``execute_write``, retried by the driver
  on transient errors). Into a database that already holds channelgraph nodes every
  statement ``MERGE``\\ s on ids, so loading the same dataset twice leaves the same nodes
  and relationships, and a load interrupted midway (server or process killed)
  completes when rerun (a changed dataset is another one: see *Consistency*). Into a database that holds none (a
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

* **Consistency**: the ``Dataset`` node is the database's record of what it holds: the
  fingerprint of the four tables, and ``state``. A load first marks it ``loading`` (before
  ``replace`` clears anything), and marks it ``loaded`` with the tables' columns only at the
  end; a reader refuses a database whose record says ``loading`` (a load was interrupted:
  rerun it). A load of a dataset whose fingerprint differs from the recorded one is refused
  (:class:`DatasetConflict`) unless ``replace``: two datasets are never merged silently.

Labels and relationship types come only from :mod:`channelgraph.model`; every value
is a query parameter. Credentials are never printed or logged: a password inside the
URI (``bolt://user:password@host``) is taken out of it and used for authentication;
the URI kept, shown and given to the driver has none.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd

from ..io.validate import Dataset
from ..model import (
    ENTITY_COLUMNS,
    ENTITY_OPTIONAL,
    EXPOSURE_COLUMNS,
    EXPOSURE_OPTIONAL,
    ExposureType,
    Kind,
    RelationType,
)
from ..policy import Policy, PolicyError
from ._schema import DATASET_ID, ENTITY_RENAME, FACILITY_RENAME, RELATION_RENAME, SCHEME_RENAME, dataset_fingerprint

#: Rows per UNWIND transaction: bigger ones cost the server more CPU (bigger transaction
#: states to build, sort and apply at commit); the measurement is in bench/NOTES.md.
DEFAULT_BATCH = 2_000
#: Rows per record when reading back: the Python driver pays per record, not per value.
READ_CHUNK = 20_000

_OTHER_LABELS = {kind: "".join(":" + k.label for k in Kind if k is not kind) for kind in Kind}
_PLACEHOLDER = re.compile(r"__[A-Z_]+__")


#: The URI schemes of the Neo4j driver (Bolt direct, or routing; +s: TLS, +ssc: TLS, any certificate).
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class Neo4jFailure(RuntimeError):
    """A Neo4j server that cannot be reached or refuses us, in one clear line."""


class DatasetConflict(Neo4jFailure):
    """The database holds another dataset than the one being loaded (load it with ``replace``)."""


class StoredPolicyError(Neo4jFailure):
    """The policy stored with the dataset in Neo4j fails the policy checks: the policy's fault, not
    the server's (give ``--policy``, or load the dataset again with a valid one)."""


class Neo4jUriError(ValueError):
    """A ``--neo4j`` URI the driver cannot use (wrong scheme, no host, bad port), in one line."""


def split_neo4j_uri(uri: str) -> tuple[str, str | None, str | None]:
    """Check a Neo4j URI and take the credentials out of it.

    Parameters
    ----------
    uri : ``SCHEME://[USER[:PASSWORD]@]HOST[:PORT]`` with a scheme of :data:`SCHEMES`
        (``neo4j`` schemes may carry a routing query ``?policy=…``); user and password
        percent-encoded.

    Returns
    -------
    (uri, user, password) : the URI without user or password, and the decoded user and
        password (``None`` where the URI has none).

    Raises
    ------
    Neo4jUriError : one line saying what is wrong and which schemes are accepted; it never
        quotes the password.

    Examples
    --------
    >>> split_neo4j_uri("bolt://neo4j:s%40cret@db.example.com:7687")
    ('bolt://db.example.com:7687', 'neo4j', 's@cret')
    """
    from ..redact import redact_uri

    shown = redact_uri(uri) if isinstance(uri, str) else uri
    accepted = "accepted: " + ", ".join(f"{s}://" for s in SCHEMES) + ", e.g. bolt://127.0.0.1:7687"

    def bad(reason: str) -> Neo4jUriError:
        return Neo4jUriError(f"{shown!r} is not a Neo4j URI: {reason} ({accepted})")

    if not isinstance(uri, str) or not uri.strip():
        raise Neo4jUriError(f"the Neo4j URI is empty ({accepted})")
    if any(c.isspace() or not c.isprintable() for c in uri):
        raise bad("it holds a space or a control character")
    if "://" not in uri:
        raise bad(f"it has no scheme (did you mean {_meant_scheme(uri)}://?)")
    try:
        parts = urlsplit(uri)
        port, hostname = parts.port, parts.hostname
    except ValueError as exc:  # urlsplit's own checks ("Invalid IPv6 URL"), or a port that is no number
        parts, port, hostname = urlsplit(uri.replace("[", "").replace("]", "")), None, None
        broken = str(exc)
    else:
        broken = ""
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        raise bad(f"{scheme}:// is Neo4j Browser's address, not Bolt's (Bolt listens on port 7687 by default)")
    if scheme not in SCHEMES:
        raise bad(f"the scheme {parts.scheme + '://'!r} is not one the Neo4j driver speaks")
    userinfo = uri.partition("://")[2].rpartition("@")[0]
    if "@" in parts.path + parts.query + parts.fragment or (broken and ("[" in userinfo or "]" in userinfo)):
        raise bad(
            "a '/', '?', '#', '[' or ']' in the password cuts the URI short: percent-encode it ('/' → %2F, "
            "'?' → %3F, '#' → %23, '[' → %5B, ']' → %5D, '@' → %40) or give the password in NEO4J_PASSWORD"
        )
    host = parts.netloc.rpartition("@")[2]
    if "IPv6" in broken or "address" in broken:
        raise bad("its host is neither a name nor an address (an IPv6 address goes in brackets: bolt://[::1]:7687)")
    if broken or port == 0:
        raise bad("its port is not a number from 1 to 65535")
    if not hostname:
        raise bad("it names no host")
    if parts.path not in ("", "/"):
        raise bad("it has a path (choose the database with --database / NEO4J_DATABASE)")
    if parts.fragment or (parts.query and not scheme.startswith("neo4j")):
        raise bad("only neo4j:// URIs take a query (a routing context), and none takes a #fragment")
    clean = f"{scheme}://{host}" + (f"?{parts.query}" if parts.query else "")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return clean, user, password


def _meant_scheme(uri: str) -> str:
    """The scheme a URI without ``://`` was probably meant to have (``bolt:/…``, ``neo4j:…``,
    ``bolt+s//…``): the Neo4j scheme it starts with, else ``bolt``."""
    start = re.match(r"[A-Za-z0-9+]*", uri).group(0).lower()  # type: ignore[union-attr]  # matches ""
    return start if start in SCHEMES else "bolt"


@dataclass(frozen=True)
class Neo4jTarget:
    """Where the graph lives: URI, user, password (never shown) and database.

    A URI with credentials in it (``bolt://user:password@host:7687``) is checked and split:
    :attr:`uri` keeps no password, and the URI's user and password take the place of the
    *user* and *password* given. A URI the driver cannot use raises :class:`Neo4jUriError`.
    """

    uri: str
    user: str = "neo4j"
    password: str | None = None
    database: str | None = None

    def __post_init__(self) -> None:
        uri, user, password = split_neo4j_uri(self.uri)
        object.__setattr__(self, "uri", uri)
        if user:
            object.__setattr__(self, "user", user)
        if password is not None:
            object.__setattr__(self, "password", password)

    def __repr__(self) -> str:  # never show the password
        return f"Neo4jTarget(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"

    __str__ = __repr__


def cypher(name: str, **templates: str) -> str:
    """Read a statement from ``cypher/NAME.cypher``.

    The only substitutions are ``__LABEL__``, ``__OTHER_LABELS__`` (every kind label but
    one) and ``__TYPE__``, and they accept only members of the model's fixed sets.
    """
    text = _cypher_text(name)
    for key, value in templates.items():
        allowed = {
            "LABEL": {k.label for k in Kind},
            "TYPE": {t.value for t in RelationType},
            "OTHER_LABELS": set(_OTHER_LABELS.values()),
        }[key]
        if value not in allowed:
            raise ValueError(f"{key} {value!r} is not in the model's fixed set")
        text = text.replace(f"__{key}__", value)
    if _PLACEHOLDER.search(_strip_comments(text)):
        raise ValueError(f"{name}.cypher has an unfilled placeholder")
    return text


def _cypher_text(name: str) -> str:
    """The text of the package's ``cypher/NAME.cypher`` (read through :mod:`importlib.resources`,
    so that it is found in a wheel install as in a source checkout)."""
    *folders, stem = name.split("/")
    res = files("channelgraph").joinpath("cypher")
    for folder in folders:
        res = res.joinpath(folder)
    res = res.joinpath(f"{stem}.cypher")
    try:
        return res.read_text(encoding="utf-8")
    except FileNotFoundError:
        # an installation without its data files: not a server problem, and not the user's data
        raise FileNotFoundError(
            errno.ENOENT,
            "channelgraph's own Cypher statement is missing from its "
            "installation; reinstall channelgraph (pip install --force-reinstall)",
            str(res),
        ) from None


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
    _quiet_driver_logs()
    try:
        driver = GraphDatabase.driver(target.uri, auth=auth)
    except (ValueError, ConfigurationError) as exc:
        raise Neo4jFailure(f"not a usable Neo4j URI {target.uri!r}: {exc}") from None
    try:
        try:
            driver.verify_connectivity()
        except AuthError:
            raise Neo4jFailure(
                f"Neo4j at {target.uri} refused the credentials of user {target.user!r} "
                "(check NEO4J_USER / NEO4J_PASSWORD)"
            ) from None
        except (ServiceUnavailable, OSError) as exc:
            raise Neo4jFailure(
                f"cannot reach Neo4j at {target.uri} ({type(exc).__name__}); "
                "is the server running? (scripts/neo4j-local start)"
            ) from None
        yield driver
    finally:
        driver.close()


#: Takes the driver's log records when the program has set up no logging of its own.
_DRIVER_LOGS = logging.NullHandler()


def _quiet_driver_logs() -> None:
    """Keep the driver's log records off stderr (idempotent).

    The driver logs each server notification ("unknown label" on an empty database: logger
    ``neo4j.notifications``) at WARNING and a failed routing table fetch ("Unable to retrieve
    routing information") at ERROR; with no handler anywhere, Python prints those on stderr
    besides channelgraph's own one-line message. A handler on the ``neo4j`` logger that drops
    them stops that, and works with every Neo4j 5 (asking the server for no notifications,
    ``notifications_min_severity="OFF"``, fails on servers before 5.7). Records still
    propagate: logging configured by the program (or pytest's ``caplog``) sees them.
    """
    logging.getLogger("neo4j").addHandler(_DRIVER_LOGS)


def _session(driver, target: Neo4jTarget):
    return driver.session(database=target.database) if target.database else driver.session()


def _run_failures(fn):
    """Turn driver errors raised while working into :class:`Neo4jFailure`.

    Only the driver's and the server's errors: anything else (a missing file, a bug) goes
    on as it is, and is never reported as a connection problem.
    """
    from neo4j.exceptions import (
        AuthError,
        DriverError,
        Neo4jError,
        ServiceUnavailable,
        SessionExpired,
    )

    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AuthError:
            raise Neo4jFailure("Neo4j refused the credentials (check NEO4J_USER / NEO4J_PASSWORD)") from None
        except (ServiceUnavailable, SessionExpired) as exc:
            raise Neo4jFailure(
                f"lost the connection to Neo4j ({type(exc).__name__}); rerun the command: loading is idempotent"
            ) from None
        except DriverError as exc:
            raise Neo4jFailure(f"the Neo4j driver failed: {type(exc).__name__}: {exc}") from None
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
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


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
        yield rows[i : i + size]


@_run_failures
def load_dataset_to_neo4j(
    dataset: Dataset,
    target: Neo4jTarget,
    *,
    batch_size: int = DEFAULT_BATCH,
    replace: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Load a validated dataset into Neo4j, idempotently, in batches.

    Parameters
    ----------
    dataset : a validated :class:`~channelgraph.io.Dataset`.
    target : where to load.
    batch_size : rows per ``UNWIND`` transaction.
    replace : first delete every channelgraph node (Entity, Facility, Scheme), so that
        rows removed from the dataset disappear from the database too. Needed to load a
        dataset other than the one the database records.
    progress : optional ``progress(stage, done, total)`` callback.

    Returns
    -------
    dict : node counts per label and relationship counts per type after the load.

    Raises
    ------
    DatasetConflict : without *replace*, when the database holds another dataset (its
        record's fingerprint differs, or it holds channelgraph nodes and no record).
    Neo4jFailure : the server cannot be reached, refuses us or fails.

    Notes
    -----
    The ``Dataset`` record is marked ``loading`` (with this dataset's fingerprint) before any
    row is written or cleared, and ``loaded`` only once every row is in: a load interrupted
    at any point leaves a record that readers refuse, and rerunning the same load completes
    it (an interrupted replace clears again first).
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
        fingerprint = dataset_fingerprint(dataset)
        record = session.run(cypher("load/record"), id=DATASET_ID).single()
        session.run("CALL db.awaitIndexes(300)").consume()
        meta = _dataset_record(dataset) | {"fingerprint": fingerprint, "state": "loaded"}
        if record["import_fingerprint"] == fingerprint and record["state"] is None and record["fingerprint"] is None:
            # Bulk-imported (neo4j_import): every row is in place; add only the dataset record.
            session.execute_write(lambda tx: tx.run(cypher("load/dataset"), id=DATASET_ID, props=meta).consume())
            progress("imported", 1, 1)
            return _counts(session)
        if not replace:
            _refuse_another_dataset(record, dataset, fingerprint, target)
            # an interrupted replace of this very dataset: clear again, what is left may be the old one's
            replace = bool(record["state"] == "loading" and record["replacing"])
        begin = {
            "id": DATASET_ID,
            "name": dataset.name,
            "fingerprint": fingerprint,
            "state": "loading",
            "replacing": replace,
        }
        session.execute_write(lambda tx: tx.run(cypher("load/dataset"), id=DATASET_ID, props=begin).consume())
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
            rows = property_maps(ent[kinds == kind.value], ENTITY_RENAME)
            statement = (
                cypher("load/create_entities", LABEL=kind.label)
                if empty
                else cypher("load/entities", LABEL=kind.label, OTHER_LABELS=_OTHER_LABELS[kind])
            )
            done = write(statement, "entities", rows, done, total)
        progress("entities", total, total)

        rel = dataset.relations
        total, done = len(rel), 0
        types = rel["type"]
        for rtype in RelationType:
            part = rel[types == rtype.value]
            rows = [
                {"src": src, "dst": dst, "props": props}
                for src, dst, props in zip(
                    part["src"].tolist(),
                    part["dst"].tolist(),
                    property_maps(part, RELATION_RENAME, skip=("src", "dst", "type")),
                )
            ]
            statement = cypher("load/create_relations" if empty else "load/relations", TYPE=rtype.value)
            done = write(statement, "relations", rows, done, total)
        progress("relations", total, total)

        sch = dataset.schemes
        rows = property_maps(sch, SCHEME_RENAME)
        write(cypher("load/create_schemes" if empty else "load/schemes"), "schemes", rows, 0, len(rows))

        exp = dataset.exposures
        rows = property_maps(exp, FACILITY_RENAME)
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


def _refuse_another_dataset(record, dataset: Dataset, fingerprint: str, target: Neo4jTarget) -> None:
    """Raise :class:`DatasetConflict` unless the database holds nothing or this very dataset
    (loaded, half-loaded or bulk-imported: its record has the same fingerprint)."""
    held = record["fingerprint"] or record["import_fingerprint"]
    if not record["recorded"]:
        if not record["rows"]:
            return
        what = "channelgraph nodes but no dataset record"
    elif held == fingerprint:
        return
    elif not held:  # no fingerprint: recorded before channelgraph kept one
        name = record["name"]
        raise DatasetConflict(
            f"Neo4j at {target.uri} holds a dataset{f' ({name!r})' if name else ''} loaded by an "
            f"older channelgraph: cannot tell whether it is {dataset.name or 'this dataset'!r}; "
            "load with --replace (it deletes the dataset and loads this one)"
        )
    else:
        name = record["name"]
        what = (
            "another dataset"
            + (f" ({name!r})" if name else "")
            + (", half-loaded" if record["state"] == "loading" else "")
            + (", bulk-imported" if not record["fingerprint"] else "")
        )
    raise DatasetConflict(
        f"Neo4j at {target.uri} holds {what}; loading {dataset.name or 'this dataset'!r} "
        "would mix the two: load with --replace to delete it first (or choose another "
        "--database)"
    )


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


def _frame(
    rows: list[dict], columns: list[str], rename: dict[str, str], given: dict[str, list] | None = None
) -> pd.DataFrame:
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


#: The validated tables' contract columns, in the validator's order (:class:`~channelgraph.io.Dataset`).
_CONTRACT_ORDER = {
    "entities": (*ENTITY_COLUMNS, *ENTITY_OPTIONAL),
    "relations": ("src", "dst", "type", "amount", "share", "buyer_share", "role", "since"),
    "exposures": (*EXPOSURE_COLUMNS, *EXPOSURE_OPTIONAL),
}


def _with_contract_columns(stored: list[str], table: str) -> list[str]:
    """The columns of a read-back table: those the dataset record lists, plus any contract column
    it lacks (a dataset loaded by a channelgraph before that column existed), in the validator's order.

    >>> _with_contract_columns(["src", "dst", "type", "amount", "share", "role", "since", "note"], "relations")
    ['src', 'dst', 'type', 'amount', 'share', 'buyer_share', 'role', 'since', 'note']
    """
    contract = _CONTRACT_ORDER[table]
    return [*contract, *(c for c in stored if c not in contract)]


def _typed_columns(
    df: pd.DataFrame, *, bools: tuple[str, ...] = (), ints: tuple[str, ...] = (), floats: tuple[str, ...] = ()
) -> None:
    """Give the read-back columns the validated tables' types: *bools* bool (a missing property,
    as in a dataset loaded before the column existed, is false), *ints* nullable Int64 and
    *floats* nullable Float64. A column the dataset record does not list is left alone."""
    for c in bools:
        if c in df.columns:
            df[c] = [bool(v) for v in df[c].tolist()]
            df[c] = df[c].astype(bool)
    for cols, dtype in ((ints, "Int64"), (floats, "Float64")):
        for c in cols:
            if c in df.columns:
                df[c] = pd.array(df[c].tolist(), dtype=dtype)


@_run_failures
def read_dataset_from_neo4j(target: Neo4jTarget, policy: str | Path | Policy | None = None) -> Dataset:
    """Rebuild the validated tables of the dataset last loaded into *target*.

    The policy is the one given, else the ``policy.toml`` text stored at load time,
    else the defaults.
    """
    with open_driver(target) as driver, _session(driver, target) as session:
        rec = session.run(cypher("read/dataset"), id=DATASET_ID).single()
        if rec is None:
            raise Neo4jFailure(
                f"no channelgraph dataset in Neo4j at {target.uri}; load one first: channelgraph load DATA --neo4j URI"
            )
        meta = rec["props"]
        if meta.get("state") == "loading":
            name = meta.get("name")
            raise Neo4jFailure(
                f"the dataset{f' {name!r}' if name else ''} in Neo4j at {target.uri} is half-loaded "
                "(a load was interrupted); run `channelgraph load DATA --neo4j URI` again "
                "with the same DATA (add --replace for another dataset)"
            )
        if "entity_columns" not in meta:
            raise Neo4jFailure(
                f"the dataset in Neo4j at {target.uri} was bulk-imported and not finished yet; "
                "finish it first: channelgraph load DATA --neo4j URI (with the exported DATA)"
            )

        def read(name: str, row_of: Callable[[Any], dict], **params) -> list:
            """The rows of a chunked read query, in load order (``_row``)."""
            chunks = session.execute_read(
                lambda tx: [rec["rows"] for rec in tx.run(cypher(name), chunk=READ_CHUNK, **params)]
            )
            rows = [row for chunk in chunks for row in chunk]
            rows.sort(key=lambda row: _load_order(row_of(row)))
            return rows

        ents = read("read/entities", _node_props)
        rels = read("read/relations", _relation_props, types=[t.value for t in RelationType])
        facs = read("read/facilities", _node_props)
        schs = read("read/schemes", _node_props)

    entities = _frame(ents, _with_contract_columns(meta["entity_columns"], "entities"), ENTITY_RENAME)
    _text_columns(entities, {"is_customer", "is_interbank", "net_assets", "annual_revenue"})
    _typed_columns(entities, bools=("is_customer", "is_interbank"), ints=("net_assets", "annual_revenue"))

    src, dst, rtype, rel_props = (list(c) for c in zip(*rels)) if rels else ([], [], [], [])
    relations = _frame(
        rel_props,
        _with_contract_columns(meta["relation_columns"], "relations"),
        RELATION_RENAME,
        given={"src": src, "dst": dst, "type": rtype},
    )
    _text_columns(relations, {"amount", "share", "buyer_share"})
    _typed_columns(relations, ints=("amount",), floats=("share", "buyer_share"))

    exposures = _frame(facs, _with_contract_columns(meta["exposure_columns"], "exposures"), FACILITY_RENAME)
    _text_columns(exposures, {"outstanding", "limit", "undrawn", "margin", "original_maturity_days", "cancellable"})
    exposures["outstanding"] = pd.array(exposures["outstanding"].tolist(), dtype="int64")
    exposures["exposure_type"] = [v or ExposureType.LOAN.value for v in exposures["exposure_type"].tolist()]
    _typed_columns(exposures, bools=("cancellable",), ints=("limit", "undrawn", "margin", "original_maturity_days"))

    schemes = _frame(schs, meta["scheme_columns"], SCHEME_RENAME)
    _text_columns(schemes, set())

    if isinstance(policy, Policy):
        pol = policy
    elif policy:
        pol = Policy.load(policy)
    elif meta.get("policy_toml"):
        try:
            pol = Policy.from_text(meta["policy_toml"], source="policy.toml")
        except PolicyError as exc:
            raise StoredPolicyError(
                f"the policy stored with the dataset in Neo4j at {target.uri} is not usable: "
                + "; ".join(str(p) for p in exc.problems)
                + " — give --policy FILE, or load the dataset again with a valid "
                "--policy"
            ) from None
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
    rows = [
        {"id": k, "props": {p: _clean(v) for p, v in props.items() if _clean(v) is not None}}
        for k, props in sorted(node_props.items())
    ]
    with open_driver(target) as driver, _session(driver, target) as session:
        session.run(cypher("write/clear_results")).consume()  # CALL … IN TRANSACTIONS: auto-commit
        for batch in _batches(rows, batch_size):
            session.execute_write(lambda tx, b=batch: tx.run(cypher("write/node_results"), rows=b).consume())
    return len(rows)
