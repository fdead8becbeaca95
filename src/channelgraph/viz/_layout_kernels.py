"""Compiled loops of the force layout's repulsion (:mod:`channelgraph.viz.layout`).

Imported only when a big view is laid out, and only where numba is installed
(importing numba takes a second; :mod:`~channelgraph.marketing` has usually imported
it already). Compiled code is cached on disk (``cache=True``), so only the first run
on a machine pays the compilation.

Each kernel does, number for number, what the numpy expressions of
:func:`channelgraph.viz.layout._repulsion_grid` do: the same IEEE operations on the
same types in the same order — pair forces summed into each node in the order the
k-d tree lists the pairs (as ``numpy.bincount`` does), far-field rows summed in
float32 by numpy's own pairwise summation (:mod:`channelgraph._pairwise`) — so the positions are identical to the
last bit, only made without the n × cells and pairs-long temporary arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._pairwise import pairwise_sum

@njit(cache=True, nogil=True, error_model="numpy")
def near_field(disp, pairs, px, py, k2):  # pragma: no cover - compiled
    """Set *disp* (``n × 2`` float64) to the exact repulsion of the node *pairs* (``m × 2``, the
    k-d tree's order) on each node, as the numpy expressions and ``bincount`` make it."""
    n = len(px)
    from_x = np.zeros(n)
    from_y = np.zeros(n)
    to_x = np.zeros(n)
    to_y = np.zeros(n)
    for p in range(pairs.shape[0]):
        a = pairs[p, 0]
        b = pairs[p, 1]
        dx = px[a] - px[b]
        dy = py[a] - py[b]
        d2 = dx * dx
        d2 += dy * dy
        if d2 < 1e-9:
            d2 = 1e-9
        q = k2 / d2
        dx *= q
        dy *= q
        from_x[a] += dx
        from_y[a] += dy
        to_x[b] += dx
        to_y[b] += dy
    for i in range(n):
        disp[i, 0] = (0.0 + from_x[i]) - to_x[i]
        disp[i, 1] = (0.0 + from_y[i]) - to_y[i]


@njit(cache=True, nogil=True, error_model="numpy")
def far_field(disp, px, py, cx, cy, num, r2, eps):  # pragma: no cover - compiled
    """Add to *disp* the float32 pull of every cell centroid (*cx*, *cy*, ``num`` = mass × k²)
    farther than √*r2* from each node (*px*, *py*: float32), row by row as
    :meth:`channelgraph.viz.layout._FarField.add` does."""
    n = len(px)
    m = len(cx)
    fx = np.empty(m, dtype=np.float32)
    fy = np.empty(m, dtype=np.float32)
    zero = np.float32(0.0)
    stack_lo = np.empty(64, dtype=np.int64)
    stack_count = np.empty(64, dtype=np.int64)
    stack_left = np.empty(64, dtype=np.float32)
    stack_side = np.empty(64, dtype=np.int64)
    for i in range(n):
        x = px[i]
        y = py[i]
        for j in range(m):
            dx = x - cx[j]
            dy = y - cy[j]
            d2 = dx * dx
            d2 += dy * dy
            t = d2 if d2 >= eps else eps
            t = num[j] / t
            if not d2 > r2:  # the near field already counted the close ones
                t = zero
            fx[j] = dx * t
            fy[j] = dy * t
        disp[i, 0] += zero + pairwise_sum(fx, m, zero, stack_lo, stack_count, stack_left, stack_side)
        disp[i, 1] += zero + pairwise_sum(fy, m, zero, stack_lo, stack_count, stack_left, stack_side)


@njit(cache=True, nogil=True, error_model="numpy")
def push_apart(pos, pairs, radii, margin):  # pragma: no cover - compiled
    """One pass of :func:`channelgraph.viz.layout.remove_overlaps` over the near *pairs* (the k-d
    tree's order): each overlapping pair pushed apart by half the overlap each, summed into
    the nodes as ``numpy.bincount`` sums them, then added to *pos* in place.

    Returns the number of overlapping pairs; -1, with *pos* untouched, when two of them are on
    the same spot (the numpy pass then picks their directions at random).
    """
    n = pos.shape[0]
    from_x = np.zeros(n)
    from_y = np.zeros(n)
    to_x = np.zeros(n)
    to_y = np.zeros(n)
    over = 0
    for p in range(pairs.shape[0]):
        a = pairs[p, 0]
        b = pairs[p, 1]
        dx = pos[a, 0] - pos[b, 0]
        dy = pos[a, 1] - pos[b, 1]
        dist = np.sqrt(dx * dx + dy * dy)
        need = radii[a] + radii[b] + margin
        if not dist < need:
            continue
        if dist < 1e-6:
            return -1
        over += 1
        half = (need - dist) / 2
        px = dx / dist * half
        py = dy / dist * half
        from_x[a] += px
        from_y[a] += py
        to_x[b] += px
        to_y[b] += py
    if over:
        for i in range(n):
            pos[i, 0] += from_x[i] - to_x[i]
            pos[i, 1] += from_y[i] - to_y[i]
    return over
