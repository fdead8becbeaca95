"""Sparse centralities on the marketing view: PageRank, (sampled) betweenness, 2-hop reach.

All three work on a symmetric CSR matrix whose rows are nodes in sorted-id order, so that
they are deterministic and fast on a million nodes:

* :func:`pagerank` — the PageRank of the weighted adjacency (Page, Brin, Motwani &
  Winograd 1999, *The PageRank citation ranking*), dangling nodes and teleport spread
  uniformly, as :func:`networkx.pagerank` does, solved as a symmetric linear system by
  conjugate gradients (equal to networkx within 1e-9 on small graphs).
* :func:`betweenness` — Brandes' algorithm (Brandes 2001, *A faster algorithm for betweenness
  centrality*; Brandes 2008, *On variants of shortest-path betweenness*) on the unweighted
  view (hop counts), one breadth-first search per source in a compiled kernel
  (:mod:`~channelgraph.marketing._kernels`). Exact
  (every node a source) up to :data:`EXACT_BETWEENNESS_MAX_NODES` nodes; above, estimated
  from ``samples`` sources drawn with a fixed seed and scaled by n/k (Brandes & Pich 2007,
  *Centrality estimation in large networks*) — the estimator networkx uses with ``k=``.
* :func:`two_hop_reach` — how many nodes of a target set (untapped prospects) lie within
  one and within two hops, exact distinct counts in a compiled kernel, where only nodes
  with at most :data:`MAX_RELAY_DEGREE` ties relay reach to the second hop.

Each runs compiled (numba) and is tested against networkx (tests/test_marketing_kernels.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import reverse_cuthill_mckee

from ..graph.arrays import gather
from ._kernels import PUSH_SHARE, brandes_dependencies, two_hop_counts, unsigned_csr

#: Betweenness is exact (every node a source) on graphs with at most this many nodes.
#: (Exact costs one BFS per node.)
EXACT_BETWEENNESS_MAX_NODES = 2_000
#: In :func:`two_hop_reach`, a node relays reach to a second hop only if it has at most this
#: many ties (bigger hubs — a 50,000-shop market — count only for their own 1-hop reach).
MAX_RELAY_DEGREE = 500


def pagerank(weighted: sp.csr_matrix, alpha: float = 0.85, tol: float = 1e-12, max_iter: int = 1000) -> np.ndarray:
    """PageRank of a symmetric weighted adjacency, by conjugate gradients.

    A tie of weight *w* between *a* and *b* is a link both ways with weight *w*; a random
    surfer follows links in proportion to their weight with probability *alpha* and
    otherwise jumps to a uniformly random node; nodes without ties jump uniformly too
    (the model of :func:`networkx.pagerank`). Values sum to 1.

    With uniform teleport and dangling nodes jumping uniformly, PageRank is proportional to
    the solution of ``(I − alpha·W·D⁻¹) y = 1`` (Del Corso, Gullì & Romani 2005; Langville &
    Meyer 2006), where D holds the weighted degrees. For a symmetric W, ``y = D^½ z`` with
    ``(I − alpha·D^-½·W·D^-½) z = D^-½·1`` — a symmetric positive definite system that
    conjugate gradients solve in a few dozen products (power iteration needs hundreds on a
    graph of members and their chambers, which is nearly bipartite). Stops when the residual
    is below *tol* relative to the right-hand side; the values then agree with power
    iteration run to convergence far below 1e-9.

    Parameters
    ----------
    weighted : scipy.sparse.csr_matrix
        Symmetric, non-negative, n × n.
    alpha : float
        Damping factor (0.85 as in Page et al. 1999 and networkx).
    tol : float
        Relative residual at which the iteration stops.
    max_iter : int
        Conjugate-gradient steps at most.

    Returns
    -------
    numpy.ndarray
        PageRank per row.

    References
    ----------
    Page, L., Brin, S., Motwani, R., Winograd, T. (1999). The PageRank citation ranking:
    bringing order to the web. Stanford InfoLab.
    Del Corso, G. M., Gullì, A., Romani, F. (2005). Fast PageRank computation via a sparse
    linear system. Internet Mathematics 2(3).
    Langville, A. N., Meyer, C. D. (2006). Google's PageRank and beyond. Princeton University Press.
    Hestenes, M. R., Stiefel, E. (1952). Methods of conjugate gradients for solving linear
    systems. J. Res. Nat. Bur. Standards 49(6).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> w = sp.csr_matrix([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)
    >>> pr = pagerank(w)
    >>> np.round(pr, 4).tolist()
    [0.4865, 0.2568, 0.2568]
    """
    n = weighted.shape[0]
    if n == 0:
        return np.zeros(0)
    W = sp.csr_matrix(weighted, dtype=np.float64)
    deg = np.asarray(W.sum(axis=1)).ravel()
    tied = deg > 0
    root = np.sqrt(deg)
    inv_root = np.zeros(n)
    inv_root[tied] = 1.0 / root[tied]
    # dot products as plain sums: BLAS threads only slow these short vectors down
    rr = float((inv_root * inv_root).sum())  # the right-hand side is inv_root
    stop = (tol * np.sqrt(rr)) ** 2
    from ._pagerank_kernel import pagerank_cg  # imports numba: only when needed

    indptr, indices = unsigned_csr(W.indptr, W.indices)
    z = pagerank_cg(indptr, indices, W.data, inv_root, float(alpha), rr, stop, int(max_iter))
    y = root * z
    y[~tied] = 1.0
    return y / y.sum()


def betweenness(
    adjacency: sp.csr_matrix, samples: int, seed: int, exact_max_nodes: int = EXACT_BETWEENNESS_MAX_NODES
) -> tuple[np.ndarray, dict]:
    """Shortest-path betweenness of an undirected, unweighted graph (normalised as networkx).

    Exact when the graph has at most *exact_max_nodes* nodes or at most *samples* nodes;
    otherwise estimated from *samples* sources drawn without replacement by
    ``numpy.random.default_rng(seed)`` among the sorted nodes, scaled by n / samples.
    Normalised by (n − 1)(n − 2) like ``networkx.betweenness_centrality(normalized=True)``
    on an undirected graph.

    The dependencies of the sources are summed by the compiled kernel
    :func:`~channelgraph.marketing._kernels.brandes_dependencies`, on the nodes renumbered
    in reverse Cuthill–McKee order (ties of a node lie close together in memory, which
    matters on a million nodes) and, from :data:`PARALLEL_MIN_SOURCES` sources on, in
    :data:`SOURCE_CHUNKS` fixed chunks on as many threads — a fixed split, so the sums and
    the results do not depend on the machine.

    Returns
    -------
    (numpy.ndarray, dict)
        Betweenness per row, and how it was computed: ``{"method": "exact" | "sampled",
        "sources": k, "nodes": n, "seed": seed}``.

    References
    ----------
    Brandes, U. (2001). A faster algorithm for betweenness centrality. J. Math. Sociology 25(2).
    Brandes, U. (2008). On variants of shortest-path betweenness centrality and their generic
    computation. Social Networks 30(2).
    Brandes, U., Pich, C. (2007). Centrality estimation in large networks. Int. J. Bifurcation
    and Chaos 17(7).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> path = sp.csr_matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    >>> bc, how = betweenness(path, samples=500, seed=42)
    >>> bc.tolist(), how["method"]
    ([0.0, 1.0, 0.0], 'exact')
    """
    n = adjacency.shape[0]
    if n <= max(exact_max_nodes, samples):
        sources = np.arange(n)
        method = "exact"
    else:
        rng = np.random.default_rng(seed)
        sources = np.sort(rng.choice(n, size=samples, replace=False))
        method = "sampled"
    bc = source_dependencies(adjacency, sources)
    if n > 2:
        scale = 1.0 / ((n - 1) * (n - 2))
        if method == "sampled":
            scale *= n / len(sources)
        bc *= scale
    return bc, {"method": method, "sources": len(sources), "nodes": int(n), "seed": int(seed)}


#: Sources are split into this many fixed chunks, each summed on its own thread …
SOURCE_CHUNKS = 2
#: … from this many sources on (fewer run on the calling thread).
PARALLEL_MIN_SOURCES = 64
#: Graphs with more nodes are renumbered in reverse Cuthill–McKee order for the kernel.
REORDER_MIN_NODES = 20_000


def source_dependencies(adjacency: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Σ over *sources* of Brandes' dependencies δ_s(v), unnormalised, per row.

    Parameters
    ----------
    adjacency : scipy.sparse.csr_matrix
        Symmetric structure (non-zero = tie), n × n, no diagonal.
    sources : numpy.ndarray
        Distinct node indices.

    Returns
    -------
    numpy.ndarray
        float64, length n (for every source s, each node v ≠ s gets
        ``Σ_t σ_st(v) / σ_st``; an undirected pair is counted from both ends, as networkx does).
    """
    n = adjacency.shape[0]
    A = sp.csr_matrix(adjacency)
    sources = np.asarray(sources, dtype=np.int64)
    perm = None
    if n >= REORDER_MIN_NODES:
        perm = reverse_cuthill_mckee(A, symmetric_mode=True).astype(np.int64)
        A = A[perm][:, perm].tocsr()
        rank = np.empty(n, dtype=np.int64)
        rank[perm] = np.arange(n)
        sources = rank[sources]
    A.sort_indices()
    indptr, indices = unsigned_csr(A.indptr, A.indices)
    sources = sources.astype(indices.dtype)
    chunks = np.array_split(sources, SOURCE_CHUNKS) if sources.size >= PARALLEL_MIN_SOURCES else [sources]
    parts = [np.zeros(n) for _ in chunks]
    if len(chunks) == 1:
        brandes_dependencies(indptr, indices, chunks[0], parts[0], PUSH_SHARE)
    else:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            for f in [
                pool.submit(brandes_dependencies, indptr, indices, c, p, PUSH_SHARE) for c, p in zip(chunks, parts)
            ]:
                f.result()
    bc = parts[0]
    for p in parts[1:]:
        bc += p
    if perm is not None:
        out = np.empty(n)
        out[perm] = bc
        bc = out
    return bc


def two_hop_reach(
    adjacency: sp.csr_matrix, target: np.ndarray, max_relay_degree: int = MAX_RELAY_DEGREE
) -> tuple[np.ndarray, np.ndarray]:
    """For every node, how many *target* nodes lie within 1 hop and within 2 hops (itself excluded).

    Exact distinct counts on the undirected view, with one rule: a node *relays* reach to a
    second hop only if it has at most *max_relay_degree* ties. A tie to a 50,000-shop market
    does not put an ordinary shop owner "two hops" from every other shop in any useful
    sense — that reach belongs to the market itself (whose own 1-hop reach counts them all)
    — and expanding such hubs pairwise costs the sum of squared degrees, which is unbounded
    on a million-customer graph. With the rule the work is at most
    ``max_relay_degree × ties``: one pass per node in a compiled kernel
    (:func:`~channelgraph.marketing._kernels.two_hop_counts`), the GIL released.

    Parameters
    ----------
    adjacency : scipy.sparse.csr_matrix
        Symmetric structure (non-zero = tie), n × n, no diagonal.
    target : numpy.ndarray of bool
        The nodes to count (untapped prospects).
    max_relay_degree : int
        See above (:data:`MAX_RELAY_DEGREE`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Targets within 1 hop and within 2 hops (the second includes the first).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> star = sp.csr_matrix(np.array([[0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]))
    >>> one, two = two_hop_reach(star, np.array([False, True, True, True]))
    >>> one.tolist(), two.tolist()
    ([3, 0, 0, 0], [3, 2, 2, 2])
    >>> two_hop_reach(star, np.array([False, True, True, True]), max_relay_degree=2)[1].tolist()
    [3, 0, 0, 0]
    """
    A = sp.csr_matrix(adjacency, dtype=np.int8)
    A.data[:] = 1
    n = A.shape[0]
    target = np.asarray(target, dtype=bool)
    one = np.zeros(n, dtype=np.int64)
    two = np.zeros(n, dtype=np.int64)
    indptr, indices = unsigned_csr(A.indptr, A.indices)
    two_hop_counts(indptr, indices, target, np.diff(A.indptr) <= max_relay_degree, one, two)
    return one, two


def two_hop_set(
    adjacency: sp.csr_matrix, v: int, target: np.ndarray, max_relay_degree: int = MAX_RELAY_DEGREE
) -> np.ndarray:
    """Sorted indices of the *target* nodes within two hops of *v* (itself excluded), by the
    relay rule of :func:`two_hop_reach`."""
    indptr = adjacency.indptr.astype(np.int64)
    indices = adjacency.indices.astype(np.int64)
    n1 = indices[indptr[v] : indptr[v + 1]]
    relays = n1[np.diff(indptr)[n1] <= max_relay_degree]
    n2 = indices[gather(indptr, relays)]
    allnb = np.unique(np.concatenate([n1, n2]))
    return allnb[(allnb != v) & target[allnb]]
