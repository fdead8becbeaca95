"""The book: every entity, relation and facility of a validated dataset, as typed arrays.

A :class:`Book` is built once from a validated :class:`~channelgraph.io.validate.Dataset`
(:func:`build_book`, or :func:`load_book` straight from a folder of CSV files) and is the
one thing every analysis reads: ``f(book, policy, *, <prior results>)``.

Entities are sorted by id, so that no output depends on the order in which rows were read
(the embedded and the Neo4j backend must write byte-identical tables); every relation type
is a set of parallel arrays sorted by (source, target) index; facilities are arrays of
customer index, outstanding fen and scheme channel. Money stays integer fen (``int64``);
shares stay the floats parsed from the CSV text. The validated tables stay reachable as
:attr:`Book.tables` for what is not graph-shaped (products, statuses, scheme terms).

A NetworkX ``MultiDiGraph`` of the same book is an export (:meth:`Book.to_networkx`), for
people who want to explore with NetworkX; no analysis reads it.

>>> from channelgraph.graph import load_book
>>> book = load_book("data/sample")
>>> book.n, book.ids[0], len(book.of("GUARANTEES")) > 0
(478, 'C0001', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._runtime import gc_paused
from ..model import ExposureType, RelationType
from .ids import StringKeys, _objects, key_order, positions_in, string_keys

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from ..io.validate import Dataset

#: Placeholder for an unknown (empty) amount in an int64 array; use the ``has_*`` masks.
UNKNOWN = -1


@dataclass(frozen=True, eq=False)
class Relation:
    """One relation type as parallel arrays, sorted by (src, dst) index."""

    src: np.ndarray  # int64 entity index
    dst: np.ndarray  # int64 entity index
    amount: np.ndarray  # int64 fen, UNKNOWN where empty
    has_amount: np.ndarray  # bool
    share: np.ndarray  # float64, nan where empty
    role: np.ndarray  # object (str)
    buyer_share: np.ndarray  # float64, nan where empty (SUPPLIES: share of the buyer's purchases)
    row: np.ndarray  # int64: each relation's row in ``Book.tables.relations`` (for its other columns)

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True, eq=False)
class Book:
    """Entities (sorted by id), relations by type and facilities, as arrays; immutable (frozen,
    and every array read-only)."""

    ids: np.ndarray  # object, sorted
    kind: np.ndarray  # object
    name: np.ndarray  # object
    is_customer: np.ndarray  # bool
    net_assets: np.ndarray  # int64, UNKNOWN where empty
    has_net_assets: np.ndarray  # bool
    industry: np.ndarray  # object
    region: np.ndarray  # object
    outstanding: np.ndarray  # int64 fen per entity (sum of its facilities' outstanding)
    is_interbank: np.ndarray  # bool
    exempt: np.ndarray  # object: "" or an Exempt value
    entity_row: np.ndarray  # int64: each entity's row in ``tables.entities`` (for its other columns)
    total_outstanding: int
    #: relation type value → its arrays (every :class:`~channelgraph.model.RelationType`; read-only)
    edges: Mapping[str, Relation]
    #: facilities, in the exposures table's order: customer index, outstanding fen,
    #: scheme channel index (-1 when none), and what measuring the exposure reads (see
    #: :func:`~channelgraph.graph.exposure.measure_exposure`): the exposure type (code into
    #: ``list(ExposureType)``), limit, undrawn and margin fen, original maturity (days) and
    #: whether it is unconditionally cancellable
    fac_customer: np.ndarray
    fac_outstanding: np.ndarray
    fac_channel: np.ndarray
    fac_type: np.ndarray  # int8
    fac_limit: np.ndarray  # int64 fen, UNKNOWN where empty
    fac_has_limit: np.ndarray  # bool
    fac_undrawn: np.ndarray  # int64 fen, UNKNOWN where empty
    fac_has_undrawn: np.ndarray  # bool
    fac_margin: np.ndarray  # int64 fen, 0 where empty
    fac_maturity_days: np.ndarray  # int64, UNKNOWN where empty
    fac_cancellable: np.ndarray  # bool
    #: the packed ``ids`` (see :func:`~channelgraph.graph.ids.string_keys`), for :meth:`positions`
    id_keys: StringKeys = field(repr=False)
    #: the validated tables the book was built from
    tables: Dataset = field(repr=False)

    @property
    def n(self) -> int:
        """Number of entities."""
        return len(self.ids)

    @property
    def policy(self):
        """The dataset's policy (``policy.toml`` beside the data, else the defaults)."""
        return self.tables.policy

    def of(self, rtype: str | RelationType) -> Relation:
        """The arrays of one relation type."""
        return self.edges[RelationType(rtype).value]

    def positions(self, values) -> np.ndarray:
        """Entity index of each id in *values* (``-1`` for an id that is not an entity)."""
        return positions_in(self.ids, values, self.id_keys)

    def to_networkx(self) -> nx.MultiDiGraph:
        """The book as a NetworkX ``MultiDiGraph`` (an export: no analysis reads it).

        Nodes are entity ids with their attributes, edges keyed by relation type, as
        :func:`channelgraph.store.build_graph` makes them.
        """
        from ..store.embedded import build_graph

        return build_graph(self.tables)


def load_book(path, **options) -> Book:
    """Read and validate a folder of CSV files and build its :class:`Book`.

    *options* are :func:`channelgraph.io.load_dataset`'s (``encoding``, ``policy`` …).
    """
    from ..io.validate import load_dataset

    return build_book(load_dataset(path, **options))


def _int_or_unknown(values) -> tuple[np.ndarray, np.ndarray]:
    s = pd.array(values, dtype="Int64")
    has = ~np.asarray(s.isna(), dtype=bool)
    arr = np.asarray(s.fillna(UNKNOWN).astype("int64"), dtype=np.int64)
    return arr, has


def _texts(col: pd.Series) -> np.ndarray:
    """Object array of a text column, empty (missing) as ``""``."""
    return np.asarray(col.fillna("").to_numpy(dtype=object), dtype=object)


@gc_paused
def build_book(ds: Dataset) -> Book:
    """The :class:`Book` of a validated dataset (build it once and pass it on)."""
    ent = ds.entities
    raw_ids = _objects(ent["id"])
    (raw_keys,) = string_keys(raw_ids)
    by_id = key_order(raw_keys)  # = sort by id (ids are distinct)
    ids = raw_ids[by_id]
    id_keys = StringKeys(raw_keys.words[by_id], raw_keys.bits)
    net, has_net = _int_or_unknown(ent["net_assets"])
    n = len(ids)

    exp = ds.exposures
    outstanding = np.zeros(n, dtype=np.int64)
    fac_c = positions_in(ids, exp["customer_id"], id_keys)
    fac_o = np.asarray(exp["outstanding"].to_numpy(dtype=np.int64), dtype=np.int64)
    if len(exp):
        np.add.at(outstanding, fac_c, fac_o)
    sch = ds.schemes
    if len(exp) and len(sch) and "scheme_id" in exp.columns:
        chan_of_scheme = positions_in(ids, sch["channel_id"], id_keys)
        scheme_at = pd.Index(_objects(sch["scheme_id"]), dtype=object).get_indexer(_texts(exp["scheme_id"]))
        fac_ch = np.where(scheme_at >= 0, chan_of_scheme[scheme_at], -1).astype(np.int64)
    else:
        fac_ch = np.full(len(exp), -1, dtype=np.int64)
    type_code = {t.value: i for i, t in enumerate(ExposureType)}
    codes, uniques = pd.factorize(_objects(exp["exposure_type"])) if len(exp) else (np.zeros(0, np.int64), [])
    fac_type = np.asarray([type_code[u] for u in uniques], dtype=np.int8)[codes] if len(exp) else np.zeros(0, np.int8)
    fac_limit, fac_has_limit = _int_or_unknown(exp["limit"])
    fac_undrawn, fac_has_undrawn = _int_or_unknown(exp["undrawn"])
    margin, has_margin = _int_or_unknown(exp["margin"])
    fac_maturity, _ = _int_or_unknown(exp["original_maturity_days"])

    rel = ds.relations
    tcodes, tnames = pd.factorize(_objects(rel["type"]))
    src_all = positions_in(ids, rel["src"], id_keys)
    dst_all = positions_in(ids, rel["dst"], id_keys)
    amt_all, has_amt_all = _int_or_unknown(rel["amount"])
    share_all, buyer_all = (
        np.asarray(pd.array(rel[c], dtype="Float64").to_numpy(dtype=np.float64, na_value=np.nan))
        for c in ("share", "buyer_share")
    )
    role_all = _texts(rel["role"]) if len(rel) else np.zeros(0, object)
    code_of = {t: i for i, t in enumerate(list(tnames))}
    for t in RelationType:
        c = code_of.get(t.value, -1)
        if c >= 0 and not t.spec.directed:  # undirected: store as (smaller, larger)
            m = tcodes == c
            s, d = src_all[m], dst_all[m]
            src_all[m], dst_all[m] = np.minimum(s, d), np.maximum(s, d)
    # by (type, src, dst) in one int64 key: 9 types × n² < 2⁶³ for n up to 10⁹
    order = (
        np.argsort((tcodes.astype(np.int64) * n + src_all) * n + dst_all, kind="stable")
        if n < 10**8
        else np.lexsort((dst_all, src_all, tcodes))
    )
    tsorted = tcodes[order]
    edges: dict[str, Relation] = {}
    for t in RelationType:
        c = code_of.get(t.value, -1)
        a, b = (np.searchsorted(tsorted, c), np.searchsorted(tsorted, c, side="right")) if c >= 0 else (0, 0)
        o = order[a:b]
        edges[t.value] = Relation(
            src_all[o],
            dst_all[o],
            amt_all[o],
            has_amt_all[o],
            share_all[o],
            role_all[o],
            buyer_all[o],
            o.astype(np.int64, copy=False),
        )
    book = Book(
        ids=ids,
        kind=_objects(ent["kind"])[by_id],
        name=_objects(ent["name"])[by_id],
        is_customer=np.asarray(ent["is_customer"].to_numpy(dtype=bool), dtype=bool)[by_id],
        net_assets=net[by_id],
        has_net_assets=has_net[by_id],
        industry=_texts(ent["industry"])[by_id],
        region=_texts(ent["region"])[by_id],
        outstanding=outstanding,
        is_interbank=np.asarray(ent["is_interbank"].to_numpy(dtype=bool), dtype=bool)[by_id],
        exempt=_texts(ent["exempt"])[by_id],
        entity_row=np.asarray(by_id, dtype=np.int64),
        total_outstanding=int(ds.total_outstanding_fen),
        fac_customer=fac_c,
        fac_outstanding=fac_o,
        fac_channel=fac_ch,
        fac_type=fac_type,
        fac_limit=fac_limit,
        fac_has_limit=fac_has_limit,
        fac_undrawn=fac_undrawn,
        fac_has_undrawn=fac_has_undrawn,
        fac_margin=np.where(has_margin, margin, 0).astype(np.int64),
        fac_maturity_days=fac_maturity,
        fac_cancellable=np.asarray(exp["cancellable"].to_numpy(dtype=bool), dtype=bool),
        id_keys=id_keys,
        edges=MappingProxyType(edges),
        tables=ds,
    )
    if int(outstanding.sum()) != book.total_outstanding:  # pragma: no cover - validation guards it
        raise RuntimeError("facility outstanding does not reconcile with the dataset total")
    _freeze(book)
    return book


def _freeze(book: Book) -> None:
    """Make every array of *book* read-only: a room that wrote into the shared book would change
    what the rooms after it read (numpy raises ``ValueError: assignment destination is read-only``)."""
    arrays = [getattr(book, f.name) for f in fields(book)] + [book.id_keys.words]
    arrays += [getattr(r, f.name) for r in book.edges.values() for f in fields(r)]
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
