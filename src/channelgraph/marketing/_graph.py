"""One numeric view of the graph, built once per run and shared by every marketing function.

Built from the validated dataset's tables (vectorised; the Neo4j backend reads the same
tables back, so both backends give the same view) or, without a dataset, from the graph.

Every marketing computation runs on integer node indices into :attr:`MarketingGraph.ids`,
the entity ids **sorted**, and on one symmetric weighted adjacency (:class:`scipy.sparse.csr_matrix`)
whose entries are also built in sorted order. So the results do not depend on the order in
which a backend inserted nodes and edges (the Neo4j backend rebuilds the graph in its own
order and must give byte-identical tables).

The undirected view: a relation of type *T* between *a* and *b* (either direction) adds
``policy.marketing.type_weights[T]`` to the weight of the pair; types whose weight is 0 or
missing are left out of the view (they still count in referrals and channel membership,
which read the typed edge lists). Self-ties are ignored.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from collections.abc import Callable

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..model import PARTY_KINDS, RelationType
from . import _background as background

_PARTY = frozenset(k.value for k in PARTY_KINDS)

#: Digits kept in float columns of the output tables (summation-order noise never shows).
DECIMALS = 8


@dataclass
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
    #: memo of derived arrays shared by the marketing functions (reach, referrals …)
    cache: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def prospect(self) -> np.ndarray:
        """Untapped prospects: persons and enterprises that are not customers."""
        return self.is_party & ~self.is_customer

    def index_of(self, eid: str) -> int:
        i = int(np.searchsorted(self.ids, eid))
        if i >= self.n or self.ids[i] != eid:
            raise KeyError(eid)
        return i

    def positions(self, ids) -> np.ndarray:
        """Positions of *ids*, −1 for an id not in the view (the hash index is built once)."""
        arr = np.asarray(ids, dtype=object)
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        index = self.cache.get("id_index")
        if index is None:
            index = self.cache["id_index"] = pd.Index(self.ids, dtype=object)
        return index.get_indexer(arr).astype(np.int64)

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


def build_view(graph: nx.MultiDiGraph | None, type_weights: dict, dataset=None) -> MarketingGraph:
    """Build the sorted numeric view with the given per-type weights.

    From the validated *dataset*'s tables when it is given — through the sorted,
    array-backed facts the risk room builds once per dataset (what both backends share: the
    Neo4j backend reads the same tables back) — else from *graph*. Both give the same view;
    undirected FAMILY ties are stored as (smaller index, larger index) in both.
    """
    if dataset is not None:
        return _view_from_facts(dataset, type_weights)
    assert graph is not None  # without a dataset, the view is built from the graph
    ids = np.array(sorted(graph.nodes), dtype=object)
    n = len(ids)
    kind = np.empty(n, dtype=object)
    name = np.empty(n, dtype=object)
    region = np.empty(n, dtype=object)
    cust = np.zeros(n, dtype=bool)
    out = np.zeros(n, dtype=np.int64)
    nodes = graph.nodes
    for i, eid in enumerate(ids):
        a = nodes[eid]
        kind[i] = a.get("kind") or ""
        name[i] = a.get("name") or ""
        region[i] = a.get("region") or ""
        cust[i] = bool(a.get("is_customer"))
        out[i] = int(a.get("outstanding_fen") or 0)

    src, dst, typ, role = [], [], [], []
    for s, d, k, r in graph.edges(keys=True, data="role", default=""):
        src.append(s)
        dst.append(d)
        typ.append(str(k))
        role.append("" if r is None or r is pd.NA or (isinstance(r, float) and r != r) else str(r))
    index = pd.Index(ids)
    si = index.get_indexer(np.array(src, dtype=object)) if src else np.zeros(0, dtype=np.int64)
    di = index.get_indexer(np.array(dst, dtype=object)) if dst else np.zeros(0, dtype=np.int64)
    typ_a = np.array(typ, dtype=object)
    role_a = np.array(role, dtype=object)
    return _assemble(ids, kind, name, region, cust, out, si, di, typ_a, role_a, type_weights)


def _view_from_facts(dataset, type_weights: dict) -> MarketingGraph:
    """The view over the sorted, array-backed facts the risk room shares (built once per
    dataset and weights, and shared: its ``cache`` memoises derived arrays)."""
    from ..risk._facts import facts_of

    f = facts_of(dataset)
    key = _view_key(type_weights)
    got = f.memo.get(key)
    if isinstance(got, Future):  # being built in the background (view_in_background)
        return got.result()
    if got is None:
        got = _view_of_facts(f, type_weights)
        f.memo[key] = got
    return got


def _view_key(type_weights: dict) -> tuple:
    return "marketing view", tuple(sorted((str(t), float(w or 0.0)) for t, w in type_weights.items()))


def _view_of_facts(f, type_weights: dict) -> MarketingGraph:
    edges = {t: (e.src, e.dst, e.role) for t, e in f.edges.items()}
    return _weigh(f.ids, _blank(f.kind), _blank(f.name), _blank(f.region), f.is_customer, f.outstanding,
                  edges, type_weights)


def view_in_background(dataset, type_weights: dict, tasks_of: Callable[[MarketingGraph], list]) -> None:
    """Build the view of *dataset* on a background thread, then do ``tasks_of(view)`` there
    (see :mod:`~channelgraph.marketing._background`); :func:`build_view` meanwhile waits
    for it instead of building it twice. When the view exists already only the tasks start."""
    from ..risk._facts import facts_of

    f = facts_of(dataset)
    key = _view_key(type_weights)
    got = f.memo.get(key)
    if got is not None:
        view = got.result() if isinstance(got, Future) else got
        background.start(view, tasks_of(view))
        return
    fut: Future = Future()
    f.memo[key] = fut

    def work():
        try:
            view = _view_of_facts(f, type_weights)
            todo = background.plan(view, tasks_of(view))  # registered before anyone sees the view
        except BaseException as exc:  # noqa: BLE001 - re-raised to every waiter through the future
            del f.memo[key]
            fut.set_exception(exc)
            return
        f.memo[key] = view
        fut.set_result(view)
        background.run(todo)

    background.in_background(work)


def _blank(values: np.ndarray) -> np.ndarray:
    """Object array of str, missing values as ``""``."""
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = ""
    return values


def _assemble(ids, kind, name, region, cust, out, si, di, typ_a, role_a, type_weights) -> MarketingGraph:
    n = ids.size
    types = [t.value for t in RelationType]
    codes = pd.Categorical(typ_a, categories=types).codes
    # relations of one type by type: a stable sort keeps the table's order within a type
    by_type = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[by_type], np.arange(len(types) + 1))
    edges = {}
    for j, t in enumerate(RelationType):
        m = by_type[bounds[j]:bounds[j + 1]]
        s_, d_, r_ = si[m].astype(np.int64), di[m].astype(np.int64), role_a[m]
        if t is RelationType.FAMILY:  # undirected: stored as (smaller, larger), as the risk facts have it
            s_, d_ = np.minimum(s_, d_), np.maximum(s_, d_)
        o = np.argsort(s_ * max(n, 1) + d_, kind="stable")
        edges[t.value] = (s_[o], d_[o], r_[o])
    return _weigh(ids, kind, name, region, cust, out, edges, type_weights)


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
    return MarketingGraph(ids=ids, kind=kind, name=name, region=region, is_customer=cust,
                          outstanding_fen=out, is_party=is_party, edges=edges, weighted=weighted,
                          adjacency=adjacency, type_weights=weights)


def gather(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Neighbours of *rows* in a CSR structure: ``(neighbours, position of the row in rows)``."""
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=indices.dtype), np.zeros(0, dtype=np.int64)
    pos = np.repeat(np.arange(rows.size, dtype=np.int32 if rows.size < 2**31 else np.int64), counts)
    offs = np.arange(total, dtype=indptr.dtype) + (starts - (np.cumsum(counts) - counts))[pos]
    return indices[offs], pos


def rnd(x) -> np.ndarray:
    """Round floats for output (see :data:`DECIMALS`)."""
    return np.round(np.asarray(x, dtype=float), DECIMALS)


def view_for(graph, dataset, policy, view: MarketingGraph | None) -> MarketingGraph:
    if view is not None:
        return view
    return build_view(graph, policy.marketing.type_weights, dataset)
