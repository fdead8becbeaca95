"""Precomputed node positions, fast enough for a few thousand nodes.

A force-directed (Fruchterman–Reingold) layout in numpy: spring attraction along
edges, repulsion between nodes. Repulsion is exact between nearby nodes (pairs found
with a k-d tree) and approximated from the centroids of a coarse grid of cells for
far-away ones, so an iteration costs about O(n log n) instead of O(n²). For big views
the loops over node pairs and cells run compiled with numba
(:mod:`channelgraph.viz._layout_kernels`). With a fixed seed the result is the same on
every run. The
browser then draws the nodes where they are, with physics off, so a 2,000-node view is
usable at once.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree


#: Views up to this many nodes use exact all-pairs repulsion (cheap at that size).
EXACT_MAX = 400


def force_layout(
    n: int,
    edges: list[tuple[int, int]],
    *,
    weights: list[float] | None = None,
    iterations: int | None = None,
    seed: int = 42,
    fixed: dict[int, tuple[float, float]] | None = None,
    init: np.ndarray | None = None,
    scale: float | None = None,
    gravity: float | None = None,
) -> np.ndarray:
    """Positions (``n × 2`` float array, in pixels around 0) for nodes ``0..n-1``.

    *edges* are index pairs (direction ignored, repeats strengthen the spring);
    *fixed* pins some nodes at given unit-square coordinates; *scale* is the drawing's
    half-width in pixels (default grows with √n); *gravity* pulls every node toward
    the centre with a constant force (default: none for small views, more for big ones).
    """
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.zeros((1, 2))
    rng = np.random.default_rng(seed)
    pos = init.astype(np.float64) if init is not None else rng.random((n, 2))
    fixed = fixed or {}
    fixed_idx = np.array(sorted(fixed), dtype=int)
    if len(fixed_idx):
        pos[fixed_idx] = np.array([fixed[i] for i in fixed_idx], dtype=float)
    movable = np.ones(n, dtype=bool)
    movable[fixed_idx] = False
    if edges:
        e = np.asarray(edges, dtype=int)
        ei, ej = e[:, 0], e[:, 1]
        w = np.asarray(weights, dtype=float) if weights is not None else np.ones(len(e))
    else:
        ei = ej = np.zeros(0, dtype=int)
        w = np.zeros(0)
    k = math.sqrt(1.0 / n)
    if gravity is None:  # small views need none; big ones keep loose nodes from flying off
        gravity = 0.0 if n <= 100 else 1.0 if n <= EXACT_MAX else 3.0
    k2 = k * k
    if iterations is None:
        iterations = 70 if n <= EXACT_MAX else max(15, min(50, int(50 * 2000 / n)))
    t = 0.1
    dt = t / (iterations + 1)
    grid = max(4, int(math.sqrt(n) / 2))
    for _ in range(iterations):
        if n <= EXACT_MAX:
            disp = _repulsion_exact(pos, k2)
        else:  # exact within about one and a half grid cells, by cell centroids beyond
            span = float(np.ptp(pos, 0).max()) or 1.0
            disp = _repulsion_grid(pos, k2, 1.5 * span / grid, grid)
        if len(ei):
            d = pos[ei] - pos[ej]
            dist = np.sqrt((d * d).sum(1))
            f = d * (w * dist / k)[:, None]
            disp -= _scatter(ei, f, n)
            disp += _scatter(ej, f, n)
        if gravity:
            # a constant pull toward the centre keeps loose nodes and small components near the rest
            c = pos - pos.mean(0)
            norm = np.sqrt((c * c).sum(1))
            norm[norm < 1e-12] = 1e-12
            disp -= c / norm[:, None] * gravity
        length = np.sqrt((disp * disp).sum(1))
        length[length < 1e-12] = 1e-12
        step = disp * (np.minimum(length, t) / length)[:, None]
        pos[movable] += step[movable]
        t -= dt
    pos = pos - pos.mean(0)
    span = float(np.abs(pos).max()) or 1.0
    if scale is None:
        scale = 180 + 28 * math.sqrt(n)
    return pos / span * scale


def _scatter(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum the rows of *values* (``m × 2``) into ``n`` rows by *index* (fast ``np.add.at``)."""
    return np.stack(
        [np.bincount(index, weights=values[:, 0], minlength=n), np.bincount(index, weights=values[:, 1], minlength=n)],
        1,
    )


def _repulsion_exact(pos: np.ndarray, k2: float) -> np.ndarray:
    dx = pos[:, 0][:, None] - pos[:, 0][None, :]
    dy = pos[:, 1][:, None] - pos[:, 1][None, :]
    d2 = dx * dx + dy * dy
    np.maximum(d2, 1e-9, out=d2)
    inv = k2 / d2
    return np.stack([(dx * inv).sum(1), (dy * inv).sum(1)], 1)


def _kernels():
    """The compiled loops (:mod:`channelgraph.viz._layout_kernels`; imported for the first big
    view: importing numba takes a second)."""
    from . import _layout_kernels

    return _layout_kernels


def _repulsion_grid(pos: np.ndarray, k2: float, radius: float, grid: int) -> np.ndarray:
    """Repulsion on each node: exact from the nodes closer than *radius*, from the centroids of a
    *grid* × *grid* of cells beyond (compiled loops: :mod:`channelgraph.viz._layout_kernels`).
    """
    # near field: exact, pairs closer than radius
    pairs = cKDTree(pos).query_pairs(radius, output_type="ndarray")
    compiled = _kernels()
    px, py = np.ascontiguousarray(pos[:, 0]), np.ascontiguousarray(pos[:, 1])
    disp = np.empty_like(pos)
    compiled.near_field(disp, pairs.reshape(-1, 2), px, py, float(k2))
    # far field: every other node, lumped into grid-cell centroids
    lo = pos.min(0)
    size = np.maximum(pos.max(0) - lo, 1e-9)
    cell = np.minimum((((pos - lo) / size) * grid).astype(int), grid - 1)
    cid = cell[:, 0] * grid + cell[:, 1]
    mass = np.bincount(cid, minlength=grid * grid).astype(float)
    cx = np.bincount(cid, weights=px, minlength=grid * grid)
    cy = np.bincount(cid, weights=py, minlength=grid * grid)
    used = mass > 0
    mass, cx, cy = mass[used], cx[used] / mass[used], cy[used] / mass[used]
    # float32 is plenty for an approximation and twice as fast on the n × cells arrays
    compiled.far_field(
        disp,
        px.astype(np.float32),
        py.astype(np.float32),
        cx.astype(np.float32),
        cy.astype(np.float32),
        mass.astype(np.float32) * np.float32(k2),
        np.float32(radius * radius),
        np.float32(1e-9),
    )
    return disp


def remove_overlaps(pos: np.ndarray, radii: np.ndarray, *, margin: float = 6.0, passes: int = 30) -> np.ndarray:
    """Push apart nodes (discs of *radii* pixels) that overlap, a little at a time, in place.

    Two hubs tied to the same members end up on the same spot in a force layout; this
    keeps every node visible without changing the overall picture.
    """
    n = len(pos)
    if n < 2:
        return pos
    radii = np.asarray(radii, dtype=float)
    reach = 2 * float(radii.max()) + margin
    rng = np.random.default_rng(7)
    compiled = _kernels()
    no_angles = np.zeros(0)
    for _ in range(passes):
        pairs = cKDTree(pos).query_pairs(reach, output_type="ndarray").reshape(-1, 2)
        over = compiled.push_apart(pos, pairs, radii, float(margin), no_angles, no_angles)
        if over < 0:  # -k: k overlapping pairs on the same spot; draw their directions, redo the pass
            angle = rng.random(-over) * 2 * np.pi
            over = compiled.push_apart(pos, pairs, radii, float(margin), np.cos(angle), np.sin(angle))
        if over == 0:
            break
    return pos
