"""The book as index arrays: what the views need, without the whole-book graph.

Every view shows at most a few thousand of the book's entities, so the views never
build a NetworkX graph of the whole book. A :class:`Book` holds the validated tables
as numpy arrays — each entity's kind and outstanding, each relation's source, target
and type as integer positions and codes — and answers the few questions the views ask
(the ties among the shown entities, a channel's members, the neighbours of a set of
entities, degrees) with whole-array numpy operations. Attribute dicts (the tooltips'
rows) are made only for the entities and ties a view shows.

A book is made from a validated :class:`~channelgraph.io.validate.Dataset`
(:meth:`Book.of_dataset`, the fast path: ids are matched as packed ASCII bytes) or,
for API compatibility and small graphs, from a NetworkX graph built by
:func:`channelgraph.store.build_graph` (:meth:`Book.of_graph`). Both give the same
answers: entities in file order, ties in the order ``MultiDiGraph.out_edges`` lists
them (for each source, targets by their first tie, then the ties' file order).

>>> from channelgraph.io import load_dataset           # doctest: +SKIP
>>> book = Book.of(load_dataset("data/sample"))         # doctest: +SKIP
>>> book.ids[book.index_of("M0001")]                    # doctest: +SKIP
'M0001'
"""

from __future__ import annotations

import math
from itertools import repeat

import networkx as nx
import numpy as np
import pandas as pd

from .._ids import mix64
from ..model import CHANNEL_KINDS, PARTY_KINDS
from ..store.embedded import column_bools, column_values  # attributes exactly as build_graph sets them

_PARTY = frozenset(k.value for k in PARTY_KINDS)
_CHANNEL = frozenset(k.value for k in CHANNEL_KINDS)

#: Relation types that make a party a member of a channel (the member is the tie's source) …
MEMBER_IN = ("MEMBER_OF", "TRADES_IN", "SOURCED_VIA")
#: … and the channel's own ties that count its staff and referred customers (the member is the target).
MEMBER_OUT = ("EMPLOYS", "REFERRED")

#: Entity columns with a fixed place in the node attributes (the others are kept as extra attributes).
_ENTITY_FIXED = ("id", "kind", "name", "is_customer", "industry", "region", "segment", "net_assets", "annual_revenue")
_RELATION_FIXED = ("src", "dst", "type", "amount", "share", "role", "since")


# --------------------------------------------------------------------------- ids


def _words(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Each ``str`` as two 64-bit words of zero-padded ASCII, and whether it fits in them
    (at most 16 characters); None when one is not ASCII."""
    if len(values) == 0:
        z = np.zeros(0, dtype=np.uint64)
        return z, z, np.zeros(0, dtype=bool)
    try:
        raw = values.astype("S24")  # a longer id is cut, but then its third word shows it
    except (UnicodeEncodeError, TypeError, ValueError):
        return None
    w = raw.view(np.uint64).reshape(len(raw), 3)
    return w[:, 0], w[:, 1].copy(), w[:, 2] == 0


def _key(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    """One int64 key per pair of words: ``mix(w0 ^ w1·K)``. ``mix`` is a bijection, so two
    ids with the same key and the same second word have the same first word: they are the
    same id."""
    return mix64(w0 ^ (w1 * np.uint64(0x9E3779B97F4A7C15))).view(np.int64)


def _kernels():
    """:mod:`channelgraph.viz._lookup_kernels` (imported at the first packed index: it imports numba)."""
    from . import _lookup_kernels

    return _lookup_kernels


class IdIndex:
    """Exact, vectorised lookup of entity ids: each id's position, or -1.

    ASCII ids of at most 16 characters — the usual case — are packed into two 64-bit
    words and looked up by an integer key in a compiled open-addressing hash table
    (:mod:`channelgraph.viz._lookup_kernels`); a hit is confirmed on the second word,
    which with the key pins the id exactly. Other ids are looked up in a dict.
    """

    def __init__(self, ids: np.ndarray, *, text: bool | None = None):
        self.ids = ids
        if text is None:  # ids of any type: pack them only when every one is a str
            text = all(isinstance(x, str) for x in ids.tolist())
        # the packed ids' hash table (key, position) and words: all three set, or all None
        self._table: np.ndarray | None = None
        self._w0: np.ndarray | None = None
        self._w1: np.ndarray | None = None
        self._dict: dict | None = None
        words = _words(ids) if text else None
        if words is not None and words[2].all():
            size = 1 << max(4, (2 * len(ids)).bit_length())  # at most half full
            table = _kernels().build_table(_key(words[0], words[1]), size)  # None if two keys are equal
            if table is not None:
                self._table, self._w0, self._w1 = table, words[0], words[1]

    def words(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The ids as two 64-bit words of zero-padded ASCII each (None unless every id is
        packed so)."""
        return None if self._w0 is None or self._w1 is None else (self._w0, self._w1)

    def _by_dict(self, values) -> np.ndarray:
        if self._dict is None:
            self._dict = dict(zip(self.ids.tolist(), range(len(self.ids))))
        return np.fromiter(map(self._dict.get, values, repeat(-1)), dtype=np.int64, count=len(values))

    def positions(self, values, *, text: bool = False) -> np.ndarray:
        """Position of each of *values* among the ids.

        Parameters
        ----------
        values : array-like
            Ids to look up (an object array, a list …).
        text : bool
            The caller knows every value is a ``str`` (else it is checked).

        Returns
        -------
        numpy.ndarray
            int64 positions, -1 for a value that is no id.
        """
        if not isinstance(values, np.ndarray):
            values = np.array(list(values), dtype=object)
        if len(values) == 0:
            return np.zeros(0, dtype=np.int64)
        if self._table is not None and (text or all(isinstance(x, str) for x in values.tolist())):
            values = values.astype(object, copy=False)
            words = _words(values)
            if words is None:  # some are not ASCII, so not among these ids
                ascii = np.flatnonzero([v.isascii() for v in values.tolist()])
                pos = np.full(len(values), -1, dtype=np.int64)
                pos[ascii] = self.positions(values[ascii], text=True)
                return pos
            w0, w1, fits = words
            pos = np.empty(len(w0), dtype=np.int64)
            _kernels().look_up(self._table, self._w1, _key(w0, w1), w1, fits, pos)
            return pos
        return self._by_dict(values.tolist())

    def position(self, value) -> int:
        """Position of one id, -1 when absent."""
        one = np.empty(1, dtype=object)
        one[0] = value
        try:
            return int(self.positions(one)[0])
        except TypeError:  # an unhashable value names no entity
            return -1


def _text_ranks(values, *, text: bool = False) -> np.ndarray:
    """Each value's position when the values are sorted as Python sorts their ``str``
    (*text*: the caller knows they are all ``str``)."""
    arr = values if isinstance(values, np.ndarray) else np.array(list(values), dtype=object)
    n = len(arr)
    packed = None
    if n and (text or set(map(type, arr.tolist())) <= {str}):
        try:  # ASCII text sorts as its bytes
            packed = arr.astype("S")
        except UnicodeEncodeError:
            pass
    order = (_bytes_order(packed) if packed is not None
             else np.array(sorted(range(n), key=lambda i: str(arr[i])), dtype=np.int64))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n, dtype=np.int64)
    return ranks


def _bytes_order(packed: np.ndarray) -> np.ndarray:
    """``numpy.argsort(packed, kind="stable")`` of fixed-width bytes, sorting them as rows of
    big-endian 64-bit words (zero-padded): the same order as comparing the bytes one by one,
    several times faster than numpy's sort of bytes for a million ids."""
    n, width = len(packed), packed.dtype.itemsize
    k = max(1, -(-width // 8))
    buf = np.zeros((n, 8 * k), dtype=np.uint8)
    if width:
        buf[:, :width] = packed.view(np.uint8).reshape(n, width)
    words = buf.view(">u8").astype(np.uint64)  # (n, k): the first word decides first
    if k == 1:
        return np.argsort(words[:, 0], kind="stable")
    return np.lexsort(words.T[::-1])


# --------------------------------------------------------------------------- attributes


class _TableAttrs:
    """Node and edge attribute dicts made from the dataset's rows, only for the rows asked for."""

    def __init__(self, dataset, outstanding: np.ndarray, facilities: np.ndarray):
        self.ent = dataset.entities
        self.rel = dataset.relations
        self.outstanding = outstanding
        self.facilities = facilities

    def nodes(self, pos: np.ndarray) -> list[dict]:
        ent = self.ent.iloc[pos]
        extras = [c for c in ent.columns if c not in _ENTITY_FIXED]
        keys = ("kind", "name", "is_customer", "industry", "region", "segment", "net_assets_fen",
                "annual_revenue_fen", "outstanding_fen", "facilities", *extras)
        cols = [column_values(ent["kind"]), column_values(ent["name"]), column_bools(ent["is_customer"]),
                column_values(ent["industry"]), column_values(ent["region"]), column_values(ent["segment"]),
                column_values(ent["net_assets"], int), column_values(ent["annual_revenue"], int),
                self.outstanding[pos].tolist(), self.facilities[pos].tolist(), *(column_values(ent[c]) for c in extras)]
        return [dict(zip(keys, row)) for row in zip(*cols)]

    def edges(self, eids: np.ndarray) -> list[dict]:
        rel = self.rel.iloc[eids]
        extras = [c for c in rel.columns if c not in _RELATION_FIXED]
        keys = ("type", "amount_fen", "share", "role", "since", *extras)
        cols = [column_values(rel["type"]), column_values(rel["amount"], int), column_values(rel["share"], float),
                column_values(rel["role"]), column_values(rel["since"]), *(column_values(rel[c]) for c in extras)]
        return [dict(zip(keys, row)) for row in zip(*cols)]


class _GraphAttrs:
    """Node and edge attribute dicts of a NetworkX graph (the graph's own dicts)."""

    def __init__(self, node_attrs: list[dict], edge_attrs: list[dict]):
        self._nodes = node_attrs
        self._edges = edge_attrs

    def nodes(self, pos: np.ndarray) -> list[dict]:
        return [self._nodes[i] for i in pos.tolist()]

    def edges(self, eids: np.ndarray) -> list[dict]:
        return [self._edges[e] for e in eids.tolist()]


# --------------------------------------------------------------------------- the book


class Book:
    """Entities and relations as arrays, for building bounded views of a book of any size.

    Make one with :meth:`Book.of` (a dataset, or a graph); every view builder accepts it
    in place of a graph.

    Attributes
    ----------
    ids : numpy.ndarray
        Entity ids (object array) in file order; an entity is its position ``0 … n-1``.
    kind_code, kind_names : numpy.ndarray, list of str
        Each entity's kind as a code into ``kind_names`` (-1: no kind).
    party, channel : numpy.ndarray
        Per entity: a person or enterprise? a chamber, market or intermediary?
    outstanding : numpy.ndarray
        Per entity: the sum of its facilities, integer fen.
    src, dst, rtype, type_names : numpy.ndarray, list of str
        Per relation row (file order): source and target positions, type code into ``type_names``.
    """

    def __init__(self, ids: np.ndarray, kind_codes: np.ndarray, kind_names: list[str], src: np.ndarray,
                 dst: np.ndarray, type_codes: np.ndarray, type_names: list[str], outstanding: np.ndarray,
                 attrs, index: IdIndex | None = None, text: bool = False):
        self.ids = ids
        self.kind_code = kind_codes
        self.kind_names = list(kind_names)
        self.src = src
        self.dst = dst
        self.rtype = type_codes
        self.type_names = list(type_names)
        self.outstanding = outstanding
        self.attrs = attrs
        #: every id is a ``str`` (true for a validated dataset)
        self._text = text
        self.index = index or IdIndex(ids, text=text or None)
        kinds = np.array(self.kind_names + [""], dtype=object)
        self.party = np.isin(kinds, list(_PARTY))[kind_codes]
        self.channel = np.isin(kinds, list(_CHANNEL))[kind_codes]
        self._cache: dict = {}

    # ------------------------------------------------------------------ making one
    @classmethod
    def of(cls, source) -> Book:
        """The book of *source*.

        Parameters
        ----------
        source : Dataset, networkx.MultiDiGraph or Book
            A validated dataset (the fast path: whole columns at a time), a graph from
            :func:`channelgraph.store.build_graph` (each of its edges once), or a book
            (returned as it is).

        Returns
        -------
        Book
        """
        if isinstance(source, Book):
            return source
        if isinstance(source, nx.Graph):
            return cls.of_graph(source)
        if hasattr(source, "entities") and hasattr(source, "relations"):
            return cls.of_dataset(source)
        raise TypeError(f"expected a Dataset, a Book or a NetworkX graph, not {type(source).__name__}")

    @classmethod
    def of_dataset(cls, dataset) -> Book:
        """The book of a validated dataset (whole columns at a time; no per-row Python)."""
        ent, rel, exp = dataset.entities, dataset.relations, dataset.exposures
        ids = ent["id"].to_numpy(dtype=object)
        index = IdIndex(ids, text=True)
        src = index.positions(rel["src"].to_numpy(dtype=object), text=True)
        dst = index.positions(rel["dst"].to_numpy(dtype=object), text=True)
        kind_codes, kind_names = pd.factorize(ent["kind"].to_numpy(dtype=object))
        type_codes, type_names = pd.factorize(rel["type"].to_numpy(dtype=object))
        n = len(ids)
        outstanding = np.zeros(n, dtype=np.int64)
        facilities = np.zeros(n, dtype=np.int64)
        if len(exp) and n:
            who = index.positions(exp["customer_id"].to_numpy(dtype=object), text=True)
            ok = who >= 0
            np.add.at(outstanding, who[ok], exp["outstanding"].to_numpy(dtype=np.int64)[ok])
            facilities = np.bincount(who[ok], minlength=n).astype(np.int64)
        return cls(ids, kind_codes.astype(np.int64), [str(k) for k in kind_names], src, dst,
                   type_codes.astype(np.int64), [str(t) for t in type_names], outstanding,
                   _TableAttrs(dataset, outstanding, facilities), index, text=True)

    @classmethod
    def of_graph(cls, graph: nx.MultiDiGraph) -> Book:
        """The book of a graph from :func:`channelgraph.store.build_graph` (edges keyed by relation type)."""
        nodes = list(graph.nodes(data=True))
        ids = np.empty(len(nodes), dtype=object)
        ids[:] = [n for n, _ in nodes]
        node_attrs = [a for _, a in nodes]
        where = {n: i for i, n in enumerate(ids.tolist())}
        src, dst, types, edge_attrs = [], [], [], []
        multi = graph.is_multigraph()
        edges = graph.edges(keys=True, data=True) if multi else ((u, v, a.get("type", ""), a)
                                                                  for u, v, a in graph.edges(data=True))
        for u, v, k, a in edges:
            src.append(where[u])
            dst.append(where[v])
            types.append(k)
            edge_attrs.append(a)
        kind_codes, kind_names = pd.factorize(pd.Series([a.get("kind", "") for a in node_attrs], dtype=object))
        type_codes, type_names = pd.factorize(pd.Series(types, dtype=object))
        outstanding = np.array([int(a.get("outstanding_fen") or 0) for a in node_attrs], dtype=np.int64)
        return cls(ids, kind_codes.astype(np.int64), [str(k) for k in kind_names],
                   np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), type_codes.astype(np.int64),
                   [str(t) for t in type_names], outstanding, _GraphAttrs(node_attrs, edge_attrs))

    # ------------------------------------------------------------------ sizes and ids
    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def __contains__(self, entity_id) -> bool:
        return self.index_of(entity_id) >= 0

    def index_of(self, entity_id) -> int:
        """The position of an entity id, -1 when the book has no such entity."""
        return self.index.position(entity_id)

    def positions(self, entity_ids, *, text: bool = False) -> np.ndarray:
        """Positions of entity ids, -1 for ids the book does not have (*text*: all are ``str``)."""
        return self.index.positions(entity_ids, text=text)

    def kind(self, i: int) -> str:
        code = int(self.kind_code[i])
        return self.kind_names[code] if code >= 0 else ""

    @property
    def id_rank(self) -> np.ndarray:
        """Each entity's position when the ids are sorted as text (the views' last tie-break)."""
        if "id_rank" not in self._cache:
            words = self.index.words()
            if words is not None:  # ASCII ids of at most 16 characters, packed already: sort the words
                order = _bytes_order(np.stack(words, 1).view("S16")[:, 0])
                ranks = np.empty(self.n_nodes, dtype=np.int64)
                ranks[order] = np.arange(self.n_nodes, dtype=np.int64)
                self._cache["id_rank"] = ranks
            else:
                self._cache["id_rank"] = _text_ranks(self.ids, text=self._text)
        return self._cache["id_rank"]

    def type_code(self, name: str) -> int:
        """The code of a relation type (-2 when the book has no tie of that type)."""
        return self.type_names.index(name) if name in self.type_names else -2

    def type_mask(self, *names: str) -> np.ndarray:
        """Per relation row: is its type one of *names*? (read-only; kept for the next view)"""
        key = ("types", names)
        if key not in self._cache:
            codes = [self.type_code(t) for t in names]
            table = np.zeros(len(self.type_names) + 1, dtype=bool)
            table[[c for c in codes if c >= 0]] = True
            out = table[self.rtype]
            out.flags.writeable = False
            self._cache[key] = out
        return self._cache[key]

    def mask(self, positions) -> np.ndarray:
        """A boolean array over entities, true at *positions*."""
        m = np.zeros(self.n_nodes, dtype=bool)
        m[np.asarray(positions, dtype=np.int64)] = True
        return m

    # ------------------------------------------------------------------ attributes
    def node_attrs(self, positions) -> list[dict]:
        """The attribute dicts (as ``build_graph`` sets them) of the entities at *positions*."""
        return self.attrs.nodes(np.asarray(positions, dtype=np.int64))

    def edge_attrs(self, rows) -> list[dict]:
        """The attribute dicts of the relation *rows*."""
        return self.attrs.edges(np.asarray(rows, dtype=np.int64))

    # ------------------------------------------------------------------ structure
    @property
    def degree(self) -> np.ndarray:
        """Ties per entity, either direction (as ``MultiDiGraph.degree``)."""
        if "degree" not in self._cache:
            n = self.n_nodes
            self._cache["degree"] = (np.bincount(self.src, minlength=n) + np.bincount(self.dst, minlength=n))
        return self._cache["degree"]

    def ties_among(self, order) -> np.ndarray:
        """The ties between shown entities, in the order a view lists them.

        Parameters
        ----------
        order : array-like of int
            Positions of the shown entities, in the view's order.

        Returns
        -------
        numpy.ndarray
            Relation rows whose two ends are both in *order*, ordered as
            ``for u in order: MultiDiGraph.out_edges(u)`` lists them: by the source's place
            in *order*, then by the first row of the (source, target) pair, then by row.
        """
        order = np.asarray(order, dtype=np.int64)
        shown = self.mask(order)
        rows = self.rows_within(shown)
        if len(rows) < 2:
            return rows
        s, d = self.src[rows], self.dst[rows]
        place = np.empty(self.n_nodes, dtype=np.int64)
        place[order[::-1]] = np.arange(len(order) - 1, -1, -1, dtype=np.int64)  # first place wins
        pair = s * self.n_nodes + d
        # the first row of each (source, target) pair: rows are ascending, so a stable sort by pair finds it
        by_pair = np.argsort(pair, kind="stable")
        sp = pair[by_pair]
        head = np.concatenate(([True], sp[1:] != sp[:-1]))
        first = np.empty(len(rows), dtype=np.int64)
        first[by_pair] = rows[by_pair][np.flatnonzero(head)][np.cumsum(head) - 1]
        return rows[np.lexsort((rows, first, place[s]))]

    def rows_within(self, inside: np.ndarray) -> np.ndarray:
        """Relation rows (ascending) whose two ends are both true in the boolean mask *inside*.

        The targets are looked at only for the rows whose source is inside: a view shows a
        few thousand of a million entities, so that is two passes over the ties' sources
        instead of over both ends.
        """
        rows = np.flatnonzero(inside[self.src])
        return rows[inside[self.dst[rows]]]

    def neighbours(self, frontier: np.ndarray) -> np.ndarray:
        """Entities tied to any entity of the boolean mask *frontier*, either direction."""
        out = np.zeros(self.n_nodes, dtype=bool)
        out[self.dst[frontier[self.src]]] = True
        out[self.src[frontier[self.dst]]] = True
        return out

    def channel_members(self, channel: int) -> dict[int, str]:
        """Member position → role ('' when none) of the chamber, market or intermediary at *channel*:
        parties tied to it as members (MEMBER_OF, TRADES_IN, SOURCED_VIA), then its staff and the
        customers it referred (EMPLOYS, REFERRED; a member's own role wins)."""
        rows_in = np.flatnonzero((self.dst == channel) & self.type_mask(*MEMBER_IN))
        rows_out = np.flatnonzero((self.src == channel) & self.type_mask(*MEMBER_OUT))
        out: dict[int, str] = {}
        if len(rows_in):
            for u, a in zip(self.src[rows_in].tolist(), self.edge_attrs(rows_in)):
                out[u] = _role(a)
        if len(rows_out):
            for v, a in zip(self.dst[rows_out].tolist(), self.edge_attrs(rows_out)):
                out.setdefault(v, _role(a))
        return out

    @property
    def member_counts(self) -> np.ndarray:
        """Members per entity, as :meth:`channel_members` counts them (0 but for chambers, markets and
        intermediaries)."""
        if "members" not in self._cache:
            n = self.n_nodes
            inn = self.type_mask(*MEMBER_IN) & self.channel[self.dst]
            out = self.type_mask(*MEMBER_OUT) & self.channel[self.src]
            ch = np.concatenate((self.dst[inn], self.src[out]))
            member = np.concatenate((self.src[inn], self.dst[out]))
            pairs = pd.unique(ch * n + member) if len(ch) else ch  # a member counts once
            self._cache["members"] = np.bincount(pairs // n, minlength=n)
        return self._cache["members"]


def _role(attrs: dict) -> str:
    v = attrs.get("role")
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def as_book(source) -> Book:
    """:meth:`Book.of` — the views accept a dataset, a book or a graph wherever they take a graph."""
    return Book.of(source)


__all__ = ["Book", "IdIndex", "as_book", "MEMBER_IN", "MEMBER_OUT"]
