"""The views' index of a :class:`~channelgraph.graph.Book`: the ties in file order, as arrays.

Every view shows at most a few thousand of the book's entities, so the views never
build a NetworkX graph of the whole book. A :class:`ViewIndex` answers the few
questions the views ask (the ties among the shown entities, a channel's members, the
neighbours of a set of entities, degrees) with whole-array numpy operations over the
book. Attribute dicts (the tooltips' rows) are made only for the entities and ties a
view shows.

Entities are the book's positions (ids sorted, so a position is also an id's rank).
The ties are the book's relations put back in file order (``Relation.row``; a family
tie as the file has it, not smaller end first): a page lists the ties among its
entities in the order ``MultiDiGraph.out_edges`` would (for each source, targets by
their first tie, then the ties' file order). Attributes come from the rows of
``book.tables`` (``Book.entity_row``, ``Relation.row``) exactly as
:func:`channelgraph.store.build_graph` sets them. No id is looked up again.

>>> from channelgraph.graph import load_book
>>> index = ViewIndex.of(load_book("data/sample"))
>>> str(index.ids[index.index_of("M0001")]), index.n_edges == len(index.book.tables.relations)
('M0001', True)
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import pandas as pd

from ..graph import Book
from ..graph.arrays import kind_in
from ..graph.exposure import measure_exposure
from ..model import CHANNEL_KINDS, PARTY_KINDS, RelationType
from ..store.embedded import entity_attributes, relation_attributes  # attributes as build_graph sets them

#: Relation types that make a party a member of a channel (the member is the tie's source) …
MEMBER_IN = ("MEMBER_OF", "TRADES_IN", "SOURCED_VIA")
#: … and the channel's own ties that count its staff and referred customers (the member is the target).
MEMBER_OUT = ("EMPLOYS", "REFERRED")


class ViewIndex:
    """A book's entities and ties as arrays, for building bounded views of a book of any size.

    Make one with :meth:`ViewIndex.of` (once per run: :class:`~channelgraph.viz.results.Findings`
    holds it and every view given the findings reuses it).

    Attributes
    ----------
    book : channelgraph.graph.Book
        The book; an entity is its position ``0 … n-1`` in ``book.ids`` (sorted).
    kind_code, kind_names : numpy.ndarray, list of str
        Each entity's kind as a code into ``kind_names``.
    party, channel : numpy.ndarray
        Per entity: a person or enterprise? a chamber, market or intermediary?
    src, dst, rtype, type_names : numpy.ndarray, list of str
        Per relation row (file order): source and target positions, type code into ``type_names``.
    """

    def __init__(self, book: Book):
        self.book = book
        self.ids = book.ids
        self.outstanding = book.outstanding
        kind_codes, kind_names = pd.factorize(book.kind)
        self.kind_code = kind_codes.astype(np.int64)
        self.kind_names = [str(k) for k in kind_names]
        self.party = kind_in(book.kind, [k.value for k in PARTY_KINDS])
        self.channel = kind_in(book.kind, [k.value for k in CHANNEL_KINDS])
        m = sum(map(len, book.edges.values()))
        self.src = np.empty(m, dtype=np.int64)
        self.dst = np.empty(m, dtype=np.int64)
        self.rtype = np.empty(m, dtype=np.int64)
        self.type_names = [t.value for t in RelationType]
        for code, name in enumerate(self.type_names):
            r = book.of(name)
            self.src[r.row], self.dst[r.row], self.rtype[r.row] = r.src, r.dst, code
        for t in RelationType:
            undirected = book.of(t) if not t.spec.directed else None
            if undirected is not None and len(undirected):
                # stored smaller end first (FAMILY, SHARES_REPAYMENT_SOURCE): turn those the file
                # has the other way round
                file_src = book.tables.relations["src"].to_numpy(dtype=object)[undirected.row]
                turned = undirected.row[file_src != book.ids[undirected.src]]
                self.src[turned], self.dst[turned] = self.dst[turned], self.src[turned].copy()
        self._types: dict[tuple, np.ndarray] = {}

    @classmethod
    def of(cls, book: Book) -> ViewIndex:
        """The index of *book*."""
        if not isinstance(book, Book):
            raise TypeError(f"expected a channelgraph.graph.Book, not {type(book).__name__}")
        return cls(book)

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
        if not isinstance(entity_id, str):
            return -1
        return int(self.book.positions([entity_id])[0])

    def positions(self, entity_ids) -> np.ndarray:
        """Positions of entity ids (``str``), -1 for ids the book does not have."""
        return self.book.positions(entity_ids)

    def kind(self, i: int) -> str:
        return str(self.book.kind[i])

    def type_code(self, name: str) -> int:
        """The code of a relation type (-2 when the book has no tie of that type)."""
        return self.type_names.index(name) if name in self.type_names else -2

    def type_mask(self, *names: str) -> np.ndarray:
        """Per relation row: is its type one of *names*? (read-only; kept for the next view)"""
        if names not in self._types:
            codes = [self.type_code(t) for t in names]
            table = np.zeros(len(self.type_names) + 1, dtype=bool)
            table[[c for c in codes if c >= 0]] = True
            out = table[self.rtype]
            out.flags.writeable = False
            self._types[names] = out
        return self._types[names]

    def mask(self, positions) -> np.ndarray:
        """A boolean array over entities, true at *positions*."""
        m = np.zeros(self.n_nodes, dtype=bool)
        m[np.asarray(positions, dtype=np.int64)] = True
        return m

    # ------------------------------------------------------------------ attributes
    @cached_property
    def exposure(self) -> np.ndarray:
        """Per entity: its measured exposure in fen (:func:`~channelgraph.graph.exposure.measure_exposure`
        under the book's policy), shown beside its outstanding."""
        return measure_exposure(self.book).of_entity

    @cached_property
    def _facilities(self) -> np.ndarray:
        """Per entity: how many facilities it has."""
        return np.bincount(self.book.fac_customer, minlength=self.n_nodes).astype(np.int64)

    def node_attrs(self, positions) -> list[dict]:
        """The attribute dicts (as ``build_graph`` sets them) of the entities at *positions*."""
        pos = np.asarray(positions, dtype=np.int64)
        ent = self.book.tables.entities.iloc[self.book.entity_row[pos]]
        return entity_attributes(ent, self.outstanding[pos].tolist(), self._facilities[pos].tolist())

    def edge_attrs(self, rows) -> list[dict]:
        """The attribute dicts of the relation *rows*."""
        return relation_attributes(self.book.tables.relations.iloc[np.asarray(rows, dtype=np.int64)])

    # ------------------------------------------------------------------ structure
    @cached_property
    def degree(self) -> np.ndarray:
        """Ties per entity, either direction (as ``MultiDiGraph.degree``)."""
        n = self.n_nodes
        return np.bincount(self.src, minlength=n) + np.bincount(self.dst, minlength=n)

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

    @cached_property
    def member_counts(self) -> np.ndarray:
        """Members per entity, as :meth:`channel_members` counts them (0 but for chambers, markets and
        intermediaries)."""
        n = self.n_nodes
        inn = self.type_mask(*MEMBER_IN) & self.channel[self.dst]
        out = self.type_mask(*MEMBER_OUT) & self.channel[self.src]
        ch = np.concatenate((self.dst[inn], self.src[out]))
        member = np.concatenate((self.src[inn], self.dst[out]))
        pairs = pd.unique(ch * n + member) if len(ch) else ch  # a member counts once
        return np.bincount(pairs // n, minlength=n)


def _role(attrs: dict) -> str:
    v = attrs.get("role")
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


__all__ = ["ViewIndex", "MEMBER_IN", "MEMBER_OUT"]
