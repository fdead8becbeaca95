"""The compiled loops of the views (:mod:`channelgraph.viz._layout_kernels`) against direct
formulas, with no numpy twin.

Tolerances: the near field and one overlap pass are float64 sums of the same terms in
another order, ≤ 1e-12 relative; the far field is summed in float32, ≤ 1e-5 relative to the
row's magnitude; the grid repulsion as a whole approximates the exact all-pairs force
(the approximation's own error, stated in the test).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.spatial import cKDTree

import channelgraph.viz.layout as layout
from channelgraph.viz import _layout_kernels as kernels


def _crowded(seed: int) -> np.ndarray:
    """Random points, a tight cluster, coincident points and far outliers."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        (rng.random((600, 2)), np.full((40, 2), 0.25), rng.random((30, 2)) * 1e-6, rng.random((5, 2)) * 50)
    )


@pytest.mark.parametrize(
    "count", [0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 255, 256, 257, 300, 484, 1000, 1025, 4099, 70_001]
)
def test_float32_row_sums_are_numpys(count):
    """The far field sums each row as numpy does (error growing with log m, and the
    published positions keep their bytes)."""
    from channelgraph._pairwise import pairwise_sum, stacks

    rng = np.random.default_rng(count)
    rows = (rng.standard_normal((4, count)) * 10 ** rng.uniform(-6, 6, (4, count))).astype(np.float32)
    if count:
        rows[1, ::3] = 0  # far-field rows are full of zeros
        rows[2] = -0.0
    ours = np.array(
        [np.float32(0) + pairwise_sum(r, count, np.float32(0), *stacks(np.float32)) for r in rows], dtype=np.float32
    )
    assert (ours.view(np.int32) == rows.sum(1).view(np.int32)).all()


@pytest.mark.parametrize("seed", [1, 2])
def test_near_field_is_the_pair_forces(seed):
    pos = _crowded(seed)
    n, k2 = len(pos), 1.0 / len(pos)
    pairs = cKDTree(pos).query_pairs(0.05, output_type="ndarray")
    got = np.empty_like(pos)
    kernels.near_field(got, pairs, np.ascontiguousarray(pos[:, 0]), np.ascontiguousarray(pos[:, 1]), k2)
    d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
    f = d * (k2 / np.maximum((d * d).sum(1), 1e-9))[:, None]
    ref = np.zeros((n, 2))
    np.add.at(ref, pairs[:, 0], f)
    np.add.at(ref, pairs[:, 1], -f)
    assert np.abs(got - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("seed", [1, 2])
def test_far_field_is_the_pull_of_the_far_centroids(seed):
    rng = np.random.default_rng(seed)
    px, py = (rng.random(500) * 10).astype(np.float32), (rng.random(500) * 10).astype(np.float32)
    cx, cy = (rng.random(300) * 10).astype(np.float32), (rng.random(300) * 10).astype(np.float32)
    num = (rng.random(300) * 5).astype(np.float32)
    r2 = np.float32(4.0)
    got = np.zeros((500, 2))
    kernels.far_field(got, px, py, cx, cy, num, r2, np.float32(1e-9))
    dx = px[:, None].astype(float) - cx[None, :]
    dy = py[:, None].astype(float) - cy[None, :]
    d2 = dx * dx + dy * dy
    t = np.where(d2 > r2, num / np.maximum(d2, 1e-9), 0.0)
    ref = np.stack([(dx * t).sum(1), (dy * t).sum(1)], 1)
    scale = np.stack([np.abs(dx * t).sum(1), np.abs(dy * t).sum(1)], 1)
    assert (np.abs(got - ref) <= 1e-5 * scale + 1e-30).all()


def test_grid_repulsion_approximates_the_exact_repulsion():
    """Exact within 1.5 cells, by cell centroids beyond: on 3,000 random points the forces are
    within 5% of the all-pairs ones (relative to the largest), and never pointing backwards
    where they are large."""
    pos = np.random.default_rng(4).random((3000, 2))
    k2, grid = 1.0 / len(pos), 27
    got = layout._repulsion_grid(pos, k2, 1.5 / grid, grid)
    ref = layout._repulsion_exact(pos, k2)
    norm = np.sqrt((ref * ref).sum(1))
    assert np.sqrt(((got - ref) ** 2).sum(1)).max() <= 0.05 * norm.max()
    big = norm > 0.1 * norm.max()
    assert ((got[big] * ref[big]).sum(1) > 0).all()


@pytest.mark.parametrize("n, m", [(50, 1), (401, 1), (2000, 2)])
def test_force_layout_is_seeded_and_keeps_ties_short(n, m):
    edges = list(nx.barabasi_albert_graph(n, m, seed=n).edges())
    a = layout.force_layout(n, edges, seed=42)
    assert a.tobytes() == layout.force_layout(n, edges, seed=42).tobytes()
    e = np.asarray(edges)
    tie = np.sqrt(((a[e[:, 0]] - a[e[:, 1]]) ** 2).sum(1)).mean()
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, n, 5000), rng.integers(0, n, 5000)
    anyone = np.sqrt(((a[i] - a[j]) ** 2).sum(1)).mean()
    assert tie < 0.6 * anyone  # tied nodes are laid out near each other


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_overlap_pass_is_the_direct_push(seed):
    rng = np.random.default_rng(seed)
    pos = rng.random((400, 2)) * 300 * seed
    radii = rng.random(len(pos)) * 20 + 5
    pairs = cKDTree(pos).query_pairs(2 * radii.max() + 6, output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    d = pos[a] - pos[b]
    dist = np.sqrt((d * d).sum(1))
    need = radii[a] + radii[b] + 6
    over = dist < need
    push = d[over] / dist[over, None] * ((need[over] - dist[over]) / 2)[:, None]
    ref = pos.copy()
    np.add.at(ref, a[over], push)
    np.add.at(ref, b[over], -push)
    got = pos.copy()
    none = np.zeros(0)
    assert kernels.push_apart(got, pairs, radii, 6.0, none, none) == over.sum() > 0
    assert np.abs(got - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_overlap_removal_separates_discs_even_on_the_same_spot(seed):
    rng = np.random.default_rng(seed)
    pos = np.concatenate(
        (rng.random((400, 2)) * 300 * seed, np.full((4, 2), 50.0), np.full((3, 2), -0.0), rng.random((20, 2)) * 1e-7)
    )
    radii = rng.random(len(pos)) * 20 + 5

    def overlap(p):
        pairs = cKDTree(p).query_pairs(2 * radii.max() + 6, output_type="ndarray")
        d = np.sqrt(((p[pairs[:, 0]] - p[pairs[:, 1]]) ** 2).sum(1))
        return np.maximum(radii[pairs[:, 0]] + radii[pairs[:, 1]] + 6 - d, 0).sum()

    got = layout.remove_overlaps(pos.copy(), radii)
    assert got.tobytes() == layout.remove_overlaps(pos.copy(), radii).tobytes()  # seeded directions
    assert len(np.unique(got, axis=0)) == len(pos)  # no two on the same spot
    assert overlap(got) < 0.2 * overlap(pos)  # seed 1 is too crowded to clear: 0.13
    # a pass finding k discs on the same spot asks for k directions and leaves the positions alone
    same = np.zeros((3, 2))
    pairs = cKDTree(same).query_pairs(100.0, output_type="ndarray")
    assert kernels.push_apart(same, pairs, np.full(3, 5.0), 6.0, np.zeros(0), np.zeros(0)) == -3
    assert not same.any()
