"""Compiled graph kernels for the marketing room: Brandes dependencies and Louvain local moving.

The hot loops of :mod:`~channelgraph.marketing.centrality` and
:mod:`~channelgraph.marketing.communities` on a million-node view are compiled with numba
(``numba.njit``: machine code, no Python objects, the GIL released so that two kernels can
run on the two cores at once) at their first call. Compiled code is cached on disk
(``cache=True``), so only the first run on a machine pays the compilation (a few seconds).
numba is a dependency; there is no Python twin. The tests check each kernel against
networkx (tests/test_marketing_kernels.py, with the tolerance each test states).

Both kernels take a symmetric CSR structure (``indptr``, ``indices`` and, for Louvain,
``weights``) over nodes ``0 … n−1``.

* :func:`brandes_dependencies` — for each source *s*, Brandes' dependencies
  ``δ_s(v) = Σ_t σ_st(v) / σ_st`` (Brandes 2001) added into ``bc``. The breadth-first
  search is direction-optimising (Beamer, Asanović & Patterson 2012): small levels push
  from the frontier, big ones pull into the unvisited nodes — the big steps stream
  through the CSR arrays instead of scattering through them — and it keeps the ties of
  the shortest-path DAG it finds, which are all the dependencies then add up.
* :func:`two_hop_counts` — prospects within one and two hops of every node.
* :func:`louvain_moves` — one level of Louvain's local moving (Blondel et al. 2008), in the
  queue form of Traag, Waltman & van Eck (2019): every node once in a seeded order, then
  only the neighbours of nodes that moved.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numpy as np


def _compiled(fn):
    """*fn* compiled by numba (``njit``, cached on disk, without the GIL) at its first call:
    numba itself is imported only then, as it takes a second to import."""
    lock = threading.Lock()
    done: list[Callable] = []

    @functools.wraps(fn)
    def call(*args):
        if not done:
            with lock:
                if not done:
                    from numba import njit

                    done.append(njit(cache=True, nogil=True)(fn))
        return done[0](*args)

    return call


@_compiled
def two_hop_counts(indptr, indices, target, relay, one, two):  # pragma: no cover - compiled
    """Per node *u*: ``one[u]`` targets among its ties and ``two[u]`` distinct targets ≠ *u*
    within two hops, the second hop only through nodes with ``relay`` set (the rule of
    :func:`~channelgraph.marketing.centrality.two_hop_reach`), with the GIL released.

    One pass per node with a "last seen by" mark per node: the work is the sum, over the
    ties of each node, of the relay's degree — what the blocked sparse product did.
    ``indptr`` and ``indices`` are unsigned (:func:`unsigned_csr`).
    """
    n = indptr.size - 1
    seen = np.full(n, -1, np.int64)
    for u in range(n):
        seen[u] = u  # a node is not in its own reach
        c1 = 0
        c2 = 0
        for j in range(indptr[u], indptr[u + 1]):
            w = indices[j]
            if target[w]:
                c1 += 1
                if seen[w] != u:
                    seen[w] = u
                    c2 += 1
        for j in range(indptr[u], indptr[u + 1]):
            r = indices[j]
            if relay[r]:
                for k in range(indptr[r], indptr[r + 1]):
                    t = indices[k]
                    if target[t] and seen[t] != u:
                        seen[t] = u
                        c2 += 1
        one[u] = c1
        two[u] = c2


def unsigned_csr(indptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A CSR structure as the kernels take it: ``indptr`` as uint64, ``indices`` (node numbers)
    as uint32, or uint64 from 2**32 nodes on.

    Compiled code reading ``array[i]`` with a signed *i* it has loaded from memory (a node
    number, or a position counted from a loaded ``indptr``) must allow for a negative *i*
    counting from the end — Python's rule — with a test and a select on every such read;
    with unsigned numbers there is none: a sizeable share of the kernels' time on a big
    view (figures in bench/NOTES.md). The numbers are the same.
    """
    n = len(indptr) - 1
    return (indptr.astype(np.uint64, copy=False), indices.astype(np.uint32 if n < 2**32 else np.uint64, copy=False))


#: A BFS level is pushed from its frontier while the frontier's ties are fewer than
#: 1/this of the ties of the still unvisited nodes; otherwise the unvisited nodes pull.
#: (Measured on the generated banks: 10 is fastest; any value gives the same results.)
PUSH_SHARE = 10.0


@_compiled
def brandes_dependencies(indptr, indices, sources, bc, push_share):  # pragma: no cover - compiled
    """Add every source's Brandes dependencies to *bc* (unnormalised, undirected, unweighted).

    Parameters
    ----------
    indptr, indices : numpy.ndarray
        Symmetric CSR structure, unsigned (see :func:`unsigned_csr`), no diagonal.
    sources : numpy.ndarray
        Distinct source nodes, of the type of *indices*; sources without ties add nothing.
    bc : numpy.ndarray
        float64, length n; ``bc[v] += δ_s(v)`` for every source *s* (``δ_s(s)`` excluded).
    push_share : float
        :data:`PUSH_SHARE` (0: every level pulled; 1e18: every level pushed; same results).

    Notes
    -----
    Path counts σ are exact integers held in float64 (exact below 2**53 paths), so the order
    in which a level's nodes are taken does not change them.

    The forward search keeps the ties of its shortest-path DAG as it finds them: a pushed
    level's ties under the node they were pushed from, a pulled level's under the node that
    pulled them, each list ascending. The backward step then adds up only those ties — a
    fraction of all the ties of the visited nodes — instead of testing every tie of every
    node. Each node's coefficient sum takes its terms in ascending order of the node below,
    as a scan of its own sorted ties would.
    """
    n = indptr.size - 1
    m = indptr[n]
    sigma = np.zeros(n)
    coef = np.zeros(n)  # (1 + δ) / σ, of the level below in the backward step
    acc = np.zeros(n)  # coefficient sums added in from a pulled level
    # The DAG's ties (at most one per tie of the symmetric structure): the node at position i
    # of ``order`` pushed to link[succ_lo[i]:succ_hi[i]] and pulled from link[pred_lo[i]:pred_hi[i]].
    link = np.empty(m, indices.dtype)
    succ_lo = np.zeros(n, np.int64)
    succ_hi = np.zeros(n, np.int64)
    pred_lo = np.zeros(n, np.int64)
    pred_hi = np.zeros(n, np.int64)
    pushed = np.zeros(n + 2, np.bool_)  # level d + 1 was pushed from level d
    # One bit per node, 190 KiB each for a million and a half nodes, all in the L2 cache:
    # ``seen`` (visited), ``fresh`` (reached in the level being pushed) and ``frontier`` (the
    # level being pulled from). The searches test them instead of a distance array, and the
    # pull tests ``frontier`` before reading a neighbour's σ, which would mostly miss the caches.
    words = n // 64 + 1
    seen = np.zeros(words, np.uint64)
    fresh = np.zeros(words, np.uint64)
    frontier = np.zeros(words, np.uint64)
    one = np.uint64(1)
    order = np.empty(n, indices.dtype)  # nodes by level, ascending within a level
    unvisited = np.empty(n, indices.dtype)
    starts = np.zeros(n + 2, np.int64)  # level d = order[starts[d]:starts[d + 1]]
    for s in sources:
        if indptr[s + 1] == indptr[s]:
            continue
        order[0] = s
        seen[s >> 6] |= one << np.uint64(s & 63)
        sigma[s] = 1.0
        starts[0] = 0
        starts[1] = 1
        top = 1
        d = 0
        nl = 0
        pending = m - (indptr[s + 1] - indptr[s])  # ties of unvisited nodes
        n_unvisited = -1  # the unvisited list is built at the first pull
        while starts[d + 1] > starts[d]:
            f0 = starts[d]
            f1 = starts[d + 1]
            frontier_ties = m - m  # unsigned, as the ties counted
            for i in range(f0, f1):
                u = order[i]
                frontier_ties += indptr[u + 1] - indptr[u]
            if frontier_ties * push_share < pending:
                pushed[d] = True
                for i in range(f0, f1):
                    u = order[i]
                    su = sigma[u]
                    succ_lo[i] = nl
                    for j in range(indptr[u], indptr[u + 1]):
                        w = indices[j]
                        q = w >> 6
                        bit = one << np.uint64(w & 63)
                        if not seen[q] & bit:
                            seen[q] |= bit
                            fresh[q] |= bit
                            sigma[w] = su
                            order[top] = w
                            top += 1
                            pending -= indptr[w + 1] - indptr[w]
                            link[nl] = w
                            nl += 1
                        elif fresh[q] & bit:
                            sigma[w] += su
                            link[nl] = w
                            nl += 1
                    succ_hi[i] = nl
                # the new level in ascending order: read off its bits when it is big, else sorted
                if (top - f1) * 16 > words:
                    k = f1
                    for q in range(words):
                        word = fresh[q]
                        if word:
                            fresh[q] = 0
                            for b in range(64):
                                if (word >> np.uint64(b)) & one:
                                    order[k] = q * 64 + b
                                    k += 1
                else:
                    for i in range(f1, top):
                        fresh[order[i] >> 6] = 0
                    order[f1:top] = np.sort(order[f1:top])
            else:
                pushed[d] = False
                if n_unvisited < 0:
                    n_unvisited = 0
                    for w in range(n):
                        if not (seen[w >> 6] >> np.uint64(w & 63)) & one:
                            unvisited[n_unvisited] = w
                            n_unvisited += 1
                for i in range(f0, f1):
                    u = order[i]
                    frontier[u >> 6] |= one << np.uint64(u & 63)
                keep = 0
                for i in range(n_unvisited):  # ascending: so is the new level
                    w = unvisited[i]
                    if (seen[w >> 6] >> np.uint64(w & 63)) & one:  # reached by an earlier push
                        continue
                    paths = 0.0
                    mark = nl  # where w's ties to the frontier start
                    for j in range(indptr[w], indptr[w + 1]):
                        u = indices[j]
                        if (frontier[u >> 6] >> np.uint64(u & 63)) & one:
                            paths += sigma[u]
                            link[nl] = u
                            nl += 1
                    if paths > 0.0:
                        sigma[w] = paths
                        order[top] = w
                        pred_lo[top] = mark
                        pred_hi[top] = nl
                        top += 1
                        pending -= indptr[w + 1] - indptr[w]
                    else:
                        unvisited[keep] = w
                        keep += 1
                n_unvisited = keep
                for i in range(f1, top):
                    w = order[i]
                    seen[w >> 6] |= one << np.uint64(w & 63)
                for i in range(f0, f1):
                    frontier[order[i] >> 6] = 0
            d += 1
            starts[d + 1] = top
        deepest = d - 1
        for i in range(starts[deepest], starts[deepest + 1]):
            w = order[i]
            coef[w] = 1.0 / sigma[w]
        for lv in range(deepest - 1, 0, -1):
            a = starts[lv]
            b = starts[lv + 1]
            if pushed[lv]:  # each node of level lv holds its ties to level lv + 1
                for i in range(a, b):
                    w = order[i]
                    pull = 0.0
                    for j in range(succ_lo[i], succ_hi[i]):
                        pull += coef[link[j]]
                    dep = sigma[w] * pull
                    bc[w] += dep
                    coef[w] = (1.0 + dep) / sigma[w]
            else:  # level lv + 1 holds them: add its coefficients in, in its ascending order
                for i in range(b, starts[lv + 2]):
                    cw = coef[order[i]]
                    for j in range(pred_lo[i], pred_hi[i]):
                        acc[link[j]] += cw
                for i in range(a, b):
                    w = order[i]
                    dep = sigma[w] * acc[w]
                    acc[w] = 0.0
                    bc[w] += dep
                    coef[w] = (1.0 + dep) / sigma[w]
        # σ and the coefficients are written before they are read: only the visited bits go
        for i in range(top):
            seen[order[i] >> 6] = 0


@_compiled
def louvain_moves(indptr, indices, weights, order, max_visits):  # pragma: no cover - compiled
    """One level of Louvain local moving on a symmetric weighted graph, queue form.

    Every node starts alone. Nodes are taken from a queue that holds all nodes in *order*
    at first; a node moves to the neighbouring community with the largest modularity gain
    ``w(v, C) − k_v · K_C / 2m`` if it beats staying (ties: staying, then the community
    met first among its ties), and its neighbours outside its new community rejoin the
    queue. Stops when the queue is empty (or after *max_visits* visits).

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        Symmetric CSR (unsigned: see :func:`unsigned_csr`, and float64); the diagonal holds
        twice a node's self-loop weight, as an aggregated graph has it.
    order : numpy.ndarray
        The first visiting order (a permutation of the nodes, of the type of *indices*).
    max_visits : int
        A guard against floating-point cycling.

    Returns
    -------
    (numpy.ndarray, bool)
        Community (a member node's index, of the type of *indices*) per node, and whether
        any node moved.
    """
    n = indptr.size - 1
    k = np.zeros(n)
    for u in range(n):
        for j in range(indptr[u], indptr[u + 1]):
            k[u] += weights[j]
    m2 = k.sum()
    comm = np.arange(n).astype(indices.dtype)
    moved = False
    if n == 0 or m2 <= 0.0:
        return comm, moved
    total = k.copy()  # K_C: summed degree of community C
    to_comm = np.zeros(n)
    touched = np.empty(n, indices.dtype)
    queue = np.empty(n, indices.dtype)  # ring buffer
    queued = np.ones(n, np.bool_)
    for i in range(n):
        queue[i] = order[i]
    head = 0
    size = n
    visits = 0
    while size > 0 and visits < max_visits:
        u = queue[head]
        head = head + 1 if head + 1 < n else 0
        size -= 1
        queued[u] = False
        visits += 1
        cu = comm[u]
        nt = 0
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            if v == u:
                continue
            c = comm[v]
            if to_comm[c] == 0.0:
                touched[nt] = c
                nt += 1
            to_comm[c] += weights[j]
        ku = k[u]
        total[cu] -= ku
        best = cu
        best_gain = to_comm[cu] - ku * total[cu] / m2
        for t in range(nt):
            c = touched[t]
            gain = to_comm[c] - ku * total[c] / m2
            if gain > best_gain:
                best_gain = gain
                best = c
        total[best] += ku
        for t in range(nt):
            to_comm[touched[t]] = 0.0
        if best != cu:
            comm[u] = best
            moved = True
            for j in range(indptr[u], indptr[u + 1]):
                v = indices[j]
                if v != u and not queued[v] and comm[v] != best:
                    tail = head + size
                    if tail >= n:
                        tail -= n
                    queue[tail] = v
                    size += 1
                    queued[v] = True
    return comm, moved


@_compiled
def aggregate_communities(indptr, indices, weights, comm, n_comm):  # pragma: no cover - compiled
    """The community graph: one node per community, tie weights summed (CSR, columns sorted).

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        Symmetric weighted CSR (unsigned: see :func:`unsigned_csr`, and float64).
    comm : numpy.ndarray
        Community per node, ``0 … n_comm − 1``, of the type of *indices*.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``indptr``, ``indices`` (of the input's types) and ``weights`` of the n_comm × n_comm
        graph; the diagonal holds the weight inside each community counted from both ends,
        as Louvain's aggregation has it.
    """
    n = indptr.size - 1
    # members of each community, ascending (counting sort)
    first = np.zeros(n_comm + 1, np.int64)
    for u in range(n):
        first[comm[u] + 1] += 1
    for c in range(n_comm):
        first[c + 1] += first[c]
    members = np.empty(n, indices.dtype)
    fill = first[:-1].copy()
    for u in range(n):
        c = comm[u]
        members[fill[c]] = u
        fill[c] += 1
    out_ptr = np.zeros(n_comm + 1, indptr.dtype)
    out_idx = np.empty(indices.size, indices.dtype)
    out_w = np.empty(indices.size)
    acc = np.zeros(n_comm)
    seen = np.zeros(n_comm, np.bool_)
    touched = np.empty(n_comm, indices.dtype)
    top = 0
    for c in range(n_comm):
        nt = 0
        for i in range(first[c], first[c + 1]):
            u = members[i]
            for j in range(indptr[u], indptr[u + 1]):
                t = comm[indices[j]]
                if not seen[t]:
                    seen[t] = True
                    touched[nt] = t
                    nt += 1
                acc[t] += weights[j]
        cols = np.sort(touched[:nt])
        for t in cols:
            out_idx[top] = t
            out_w[top] = acc[t]
            top += 1
            acc[t] = 0.0
            seen[t] = False
        out_ptr[c + 1] = top
    return out_ptr, out_idx[:top].copy(), out_w[:top].copy()
