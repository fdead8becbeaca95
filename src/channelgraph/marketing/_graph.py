"""One numeric view of the book, built once per run and shared by every marketing function.

Every marketing computation runs on integer node indices into :attr:`MarketingGraph.ids`,
the book's entity ids (**sorted**), and on one symmetric weighted adjacency
(:class:`scipy.sparse.csr_matrix`) whose entries are also built in sorted order, from the
book's relations (sorted by (source, target) index). So the results do not depend on the
order in which a backend read the rows (the Neo4j backend must give byte-identical tables).

The undirected view: a relation of type *T* between *a* and *b* (either direction) adds
``policy.marketing.type_weights[T]`` to the weight of the pair; types whose weight is 0 or
missing are left out of the view (they still count in referrals and channel membership,
which read the typed edge lists). Self-ties are ignored.

The view is immutable; what is derived from it alone (the id index, referral counts,
channel members) is computed on first use and kept as an attribute: the same values
whichever function asks first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..graph import Book
from ..model import CHANNEL_KINDS, PARTY_KINDS, RelationType

_PARTY = frozenset(k.value for k in PARTY_KINDS)
_CHANNEL = frozenset(k.value for k in CHANNEL_KINDS)
#: Relation types into a channel that make a member.
MEMBER_TYPES = ("MEMBER_OF", "TRADES_IN", "SOURCED_VIA")

#: Digits kept in float columns of the output tables (summation-order noise never shows).
DECIMALS = 8


@dataclass(frozen=True, eq=False)
class MarketingGraph:
    """Sorted node arrays, typed edge lists and the symmetric weighted adjacency."""

    ids: np.ndarray  # object array of str, sorted
    kind: np.ndarray
    name: np.ndarray
    region: np.ndarray
    is_customer: np.ndarray  # bool
    outstanding_fen: np.ndarray  # int64
    is_party: np.ndarray  # bool: person or enterprise
    #: type → (src indices, dst indices, role texts) as stored (directed), sorted by (src, dst)
    edges: dict = field(default_factory=dict)
    #: symmetric weighted adjacency (float64), no diagonal, entries summed per pair
    weighted: sp.csr_matrix | None = None
    #: the same structure with unit weights (int8): who is tied to whom in the view
    adjacency: sp.csr_matrix | None = None
    type_weights: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def prospect(self) -> np.ndarray:
        """Untapped prospects: persons and enterprises that are not customers."""
        return self.is_party & ~self.is_customer

    @cached_property
    def id_index(self) -> pd.Index:
        """``pd.Index`` of the ids (built on first use)."""
        return pd.Index(self.ids, dtype=object)

    def index_of(self, eid: str) -> int:
        i = int(np.searchsorted(self.ids, eid))
        if i >= self.n or self.ids[i] != eid:
            raise KeyError(eid)
        return i

    def positions(self, ids) -> np.ndarray:
        """Positions of *ids*, −1 for an id not in the view."""
        arr = np.asarray(ids, dtype=object)
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        return self.id_index.get_indexer(arr).astype(np.int64)

    def indices_of(self, ids) -> np.ndarray:
        """Positions of *ids* (all must exist)."""
        arr = np.asarray(list(ids), dtype=object)
        pos = self.positions(arr)
        if (pos < 0).any():
            raise KeyError(str(arr[pos < 0][0]))
        return pos

    def degree(self) -> np.ndarray:
        assert self.adjacency is not None  # every built view has one
        return np.diff(self.adjacency.indptr).astype(np.int64)

    @cached_property
    def referrals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per node: referrals made, referrals converted (the referee is a customer), and the
        converted referees' outstanding (fen)."""
        src, dst, _ = self.edges.get("REFERRED", (np.zeros(0, np.int64),) * 3)
        made = np.bincount(src, minlength=self.n).astype(np.int64)
        conv = self.is_customer[dst]
        converted = np.bincount(src[conv], minlength=self.n).astype(np.int64)
        bal = np.zeros(self.n, dtype=np.int64)
        np.add.at(bal, src[conv], self.outstanding_fen[dst[conv]])
        return made, converted, bal

    @cached_property
    def is_channel(self) -> np.ndarray:
        """Chambers, markets and intermediaries."""
        return pd.Series(self.kind, dtype=object).isin(_CHANNEL).to_numpy()

    @cached_property
    def channel_members(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (channel index, member index) pairs, sorted: persons and enterprises tied to
        a channel by one of :data:`MEMBER_TYPES`, or referred by it."""
        is_ch = self.is_channel
        ch, mem = [], []
        for t in MEMBER_TYPES:
            s, d, _ = self.edges[t]
            m = is_ch[d] & self.is_party[s]
            ch.append(d[m])
            mem.append(s[m])
        s, d, _ = self.edges["REFERRED"]
        m = is_ch[s] & self.is_party[d]
        ch.append(s[m])
        mem.append(d[m])
        c = np.concatenate(ch)
        mm = np.concatenate(mem)
        key = np.unique(c.astype(np.int64) * self.n + mm)
        return key // max(self.n, 1), key % max(self.n, 1)


def build_view(book: Book, type_weights: dict) -> MarketingGraph:
    """The sorted numeric view of *book* with the given per-type weights.

    Build it once and pass it (``view=``) to the marketing functions that share it.

    >>> from channelgraph.graph import load_book
    >>> book = load_book("data/sample")
    >>> view = build_view(book, book.policy.marketing.type_weights)
    >>> view.n == book.n, view.weighted.nnz == view.adjacency.nnz > 0
    (True, True)
    """
    edges = {t: (e.src, e.dst, e.role) for t, e in book.edges.items()}
    return _weigh(
        book.ids,
        _blank(book.kind),
        _blank(book.name),
        _blank(book.region),
        book.is_customer,
        book.outstanding,
        edges,
        type_weights,
    )


def _blank(values: np.ndarray) -> np.ndarray:
    """Object array of str, missing values as ``""``."""
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = ""
    return values


def _weigh(ids, kind, name, region, cust, out, edges, type_weights) -> MarketingGraph:
    """The view from node arrays and the typed edges (type → sorted (src, dst, role))."""
    n = ids.size
    is_party = pd.Series(kind, dtype=object).isin(_PARTY).to_numpy()
    weights = {t.value: float(type_weights.get(t.value, 0.0) or 0.0) for t in RelationType}
    rows, cols, vals, kinds = [], [], [], []
    for j, (t, (s_, d_, _)) in enumerate(edges.items()):
        w = weights[t]
        if w <= 0 or s_.size == 0:
            continue
        keep = s_ != d_
        s_, d_ = s_[keep], d_[keep]
        rows += [s_, d_]
        cols += [d_, s_]
        vals += [np.full(s_.size, w), np.full(s_.size, w)]
        kinds += [np.full(2 * s_.size, j, dtype=np.int64)]
    if rows:
        r = np.concatenate(rows)
        c = np.concatenate(cols)
        v = np.concatenate(vals)
        # by (row, column, type): pairs tied by several types are summed in the fixed order of
        # the types (entries with equal keys carry equal weights, so their order does not matter)
        o = np.argsort(((r * max(n, 1) + c) << 4) | np.concatenate(kinds))
        r, c, v = r[o], c[o], v[o]
        # sum duplicates explicitly, in this order
        first = np.ones(r.size, dtype=bool)
        first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        starts = np.flatnonzero(first)
        v = np.add.reduceat(v, starts)
        r, c = r[starts], c[starts]
    else:
        r = c = np.zeros(0, dtype=np.int64)
        v = np.zeros(0)
    # (row, column) pairs are sorted and distinct: the CSR arrays follow directly
    index_dtype = np.int32 if max(n, r.size) < 2**31 else np.int64
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    indices = c.astype(index_dtype)
    weighted = sp.csr_matrix((v, indices, indptr), shape=(n, n))
    adjacency = sp.csr_matrix((np.ones(r.size, dtype=np.int8), indices.copy(), indptr.copy()), shape=(n, n))
    return MarketingGraph(
        ids=ids,
        kind=kind,
        name=name,
        region=region,
        is_customer=cust,
        outstanding_fen=out,
        is_party=is_party,
        edges=edges,
        weighted=weighted,
        adjacency=adjacency,
        type_weights=weights,
    )


def rnd(x) -> np.ndarray:
    """Round floats for output (see :data:`DECIMALS`)."""
    return np.round(np.asarray(x, dtype=float), DECIMALS)


def view_for(book: Book, policy, view: MarketingGraph | None) -> MarketingGraph:
    """*view*, or the view of *book* with the policy's type weights when it is None."""
    if view is not None:
        return view
    return build_view(book, policy.marketing.type_weights)
