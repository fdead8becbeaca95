"""Compiled loops of the force layout (:mod:`channelgraph.viz.layout`): repulsion, overlaps.

Imported when a view is laid out (importing numba takes a second;
:mod:`~channelgraph.marketing` has usually imported it already). Compiled code is cached
on disk (``cache=True``), so only the first run on a machine pays the compilation.

Pair forces are summed into each node in the order the k-d tree lists the pairs;
far-field rows are summed in float32 by numpy's pairwise summation
(:mod:`channelgraph._pairwise`: its error grows with log m, not m, over the m cells), so
that the published positions stay those of the numpy code the loops replaced, to the bit.
The tests check the forces against direct formulas (tests/test_layout_kernels.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._pairwise import pairwise_sum


@njit(cache=True, nogil=True, error_model="numpy")
def near_field(disp, pairs, px, py, k2):  # pragma: no cover - compiled
    """Set *disp* (``n × 2`` float64) to the exact repulsion ``k2 · d / |d|²`` (|d|² at least
    1e-9) of the node *pairs* (``m × 2``, the k-d tree's order) on each node."""
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
    farther than √*r2* from each node (*px*, *py*: float32), ``num · d / max(|d|², eps)``, each
    node's row summed pairwise."""
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
def push_apart(pos, pairs, radii, margin, cos_a, sin_a):  # pragma: no cover - compiled
    """One pass of :func:`channelgraph.viz.layout.remove_overlaps` over the near *pairs* (the k-d
    tree's order): each overlapping pair pushed apart by half the overlap each, summed into
    the nodes in the pairs' order, then added to *pos* in place.

    A pair on the same spot (closer than 1e-6) is pushed along the direction (``cos_a[i]``,
    ``sin_a[i]``) of the i-th such pair, as if it were 1 apart. Returns the number of
    overlapping pairs; −k, with *pos* untouched, when k pairs are on the same spot and fewer
    than k directions were given.
    """
    n = pos.shape[0]
    from_x = np.zeros(n)
    from_y = np.zeros(n)
    to_x = np.zeros(n)
    to_y = np.zeros(n)
    over = 0
    same = 0
    for p in range(pairs.shape[0]):
        a = pairs[p, 0]
        b = pairs[p, 1]
        dx = pos[a, 0] - pos[b, 0]
        dy = pos[a, 1] - pos[b, 1]
        dist = np.sqrt(dx * dx + dy * dy)
        need = radii[a] + radii[b] + margin
        if not dist < need:
            continue
        over += 1
        if dist < 1e-6:
            if same < cos_a.size:
                dx = cos_a[same]
                dy = sin_a[same]
                dist = 1.0
            same += 1
        half = (need - dist) / 2
        px = dx / dist * half
        py = dy / dist * half
        from_x[a] += px
        from_y[a] += py
        to_x[b] += px
        to_y[b] += py
    if same > cos_a.size:
        return -same
    if over:
        for i in range(n):
            pos[i, 0] += from_x[i] - to_x[i]
            pos[i, 1] += from_y[i] - to_y[i]
    return over
