"""PageRank's conjugate-gradient loop, compiled (:func:`channelgraph.marketing.centrality.pagerank`).

Imported at the first PageRank (this module imports numba). Compiled code is cached on disk
(``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._pairwise import pairwise_sum


@njit(cache=True, nogil=True)
def pagerank_cg(indptr, indices, data, inv_root, alpha, rr, stop, max_iter):  # pragma: no cover - compiled
    """Conjugate gradients for ``(I − alpha·D^-½·W·D^-½) z = D^-½·1`` (see
    :func:`channelgraph.marketing.centrality.pagerank`); returns z.

    The whole loop runs without the GIL (a numpy loop would take it back for each of a dozen
    vector operations per step; on a busy main thread each of those waits for the
    interpreter's switch interval). Dot products sum by numpy's pairwise summation
    (:mod:`channelgraph._pairwise`), each row of W left to right from 0.0 as scipy does, so
    the published PageRank stays the same to the bit (see there).
    *rr* is the squared norm of the right-hand side, *stop* the squared residual to reach.
    ``indptr`` and ``indices`` are unsigned (:func:`~channelgraph.marketing._kernels.unsigned_csr`).
    """
    n = inv_root.size
    z = np.zeros(n)
    r = inv_root.copy()
    p = r.copy()
    q = np.empty(n)
    u = np.empty(n)
    w = np.empty(n)
    tmp = np.empty(n)
    stack_lo = np.empty(64, np.int64)
    stack_count = np.empty(64, np.int64)
    stack_left = np.empty(64)
    stack_side = np.empty(64, np.int64)
    for _ in range(max_iter):
        if rr <= stop:
            break
        for i in range(n):
            u[i] = inv_root[i] * p[i]
        for i in range(n):
            acc = 0.0
            for j in range(indptr[i], indptr[i + 1]):
                acc += data[j] * u[indices[j]]
            w[i] = acc
        for i in range(n):
            q[i] = p[i] - alpha * (inv_root[i] * w[i])
            tmp[i] = p[i] * q[i]
        step = rr / pairwise_sum(tmp, n, 0.0, stack_lo, stack_count, stack_left, stack_side)
        for i in range(n):
            z[i] += step * p[i]
            r[i] -= step * q[i]
            tmp[i] = r[i] * r[i]
        rr_new = pairwise_sum(tmp, n, 0.0, stack_lo, stack_count, stack_left, stack_side)
        beta = rr_new / rr
        for i in range(n):
            p[i] = r[i] + beta * p[i]
        rr = rr_new
    return z
