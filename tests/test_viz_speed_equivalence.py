"""The fast paths of the views make the same bytes as the plain ones they replace.

* the compiled loops (:mod:`channelgraph.viz._layout_kernels`) give the positions of the
  numpy expressions bit for bit (numpy's own float32 pairwise summation included), for the
  force layout and for the removal of overlaps;
* the page's data JSON written as text is the JSON of :func:`network_data`'s dicts;
* pausing the garbage collector while the views are written changes nothing on disk.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from test_viz import SAMPLE, hostile_dataset

import channelgraph.viz.html as html
import channelgraph.viz.layout as layout
from channelgraph.graph import build_book
from channelgraph.io import load_dataset
from channelgraph.viz import channel_view, ego_view, group_view, overview, pattern_view, render_html, write_views
from channelgraph.viz.results import findings_of
from channelgraph.viz.write import main_views

kernels = pytest.importorskip("channelgraph.viz._layout_kernels")


@pytest.fixture(scope="module")
def sample_run():
    from channelgraph.analyses import run_analyses

    book = build_book(load_dataset(SAMPLE))
    return book, run_analyses(book)


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 255, 256, 257, 300, 484, 1000,
                                   1025, 4099, 70_001])
def test_float32_row_sums_are_numpys(count):
    from channelgraph._pairwise import pairwise_sum, stacks

    rng = np.random.default_rng(count)
    rows = (rng.standard_normal((4, count)) * 10 ** rng.uniform(-6, 6, (4, count))).astype(np.float32)
    if count:
        rows[1, ::3] = 0  # far-field rows are full of zeros
        rows[2] = -0.0
    ours = np.array([np.float32(0) + pairwise_sum(r, count, np.float32(0), *stacks(np.float32)) for r in rows],
                    dtype=np.float32)
    assert (ours.view(np.int32) == rows.sum(1).view(np.int32)).all()


@pytest.mark.parametrize("n, m, fixed, weighted", [(401, 1, None, False), (900, 2, {0: (0.5, 0.5)}, True),
                                                   (2000, 2, None, True), (2600, 3, {7: (0.5, 0.5)}, False)])
def test_compiled_layout_is_the_numpy_layout(monkeypatch, n, m, fixed, weighted):
    import networkx as nx

    edges = list(nx.barabasi_albert_graph(n, m, seed=n).edges())
    edges += [(i, i + 1) for i in range(0, n - 1, 97)]  # repeated ties
    weights = [0.3 if (a + b) % 3 == 0 else 1.0 for a, b in edges] if weighted else None
    assert layout._kernels() is not None
    fast = layout.force_layout(n, edges, weights=weights, seed=42, fixed=fixed)
    monkeypatch.setattr(layout, "_KERNELS", False)  # as without numba: the numpy expressions
    plain = layout.force_layout(n, edges, weights=weights, seed=42, fixed=fixed)
    assert fast.tobytes() == plain.tobytes()


def test_repulsion_is_the_numpy_repulsion_on_crowded_points(monkeypatch):
    """Coincident points (the 1e-9 floor), a tight cluster and far outliers."""
    rng = np.random.default_rng(3)
    pos = np.concatenate((rng.random((600, 2)), np.full((40, 2), 0.25), rng.random((30, 2)) * 1e-6,
                          rng.random((5, 2)) * 50))
    for grid in (4, 12, 30):
        radius = 1.5 * float(np.ptp(pos, 0).max()) / grid
        fast = layout._repulsion_grid(pos, 1.0 / len(pos), radius, grid)
        monkeypatch.setattr(layout, "_KERNELS", False)
        plain = layout._repulsion_grid(pos, 1.0 / len(pos), radius, grid)
        monkeypatch.setattr(layout, "_KERNELS", None)
        assert fast.tobytes() == plain.tobytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_overlap_removal_is_the_numpy_one(monkeypatch, seed):
    """Overlapping discs, some on the very same spot (their pass runs in numpy, drawing directions)."""
    rng = np.random.default_rng(seed)
    pos = np.concatenate((rng.random((400, 2)) * 300 * seed, np.full((4, 2), 50.0), np.full((3, 2), -0.0),
                          rng.random((20, 2)) * 1e-7))
    radii = rng.random(len(pos)) * 20 + 5
    fast = layout.remove_overlaps(pos.copy(), radii)
    monkeypatch.setattr(layout, "_KERNELS", False)
    plain = layout.remove_overlaps(pos.copy(), radii)
    assert fast.tobytes() == plain.tobytes()


class _Keys:
    """Priority keys with many ties (as most of a big book's entities tie on all but the id)."""

    def __init__(self, rng, n, distinct_ids=True):
        self.keys = (rng.permutation(n) if distinct_ids else rng.integers(0, 5, n), -rng.integers(0, 3, n) * 1000,
                     rng.integers(0, 4, n) << 58 | rng.integers(0, 3, n))

    def priority_keys(self, p):
        return tuple(k[p] for k in self.keys)

    def by_priority(self, positions):
        p = np.asarray(positions, dtype=np.int64)
        return p[np.lexsort(self.priority_keys(p))]


@pytest.mark.parametrize("distinct_ids", [True, False])
def test_first_by_priority_is_the_head_of_by_priority(distinct_ids):
    from channelgraph.viz.results import Findings

    rng = np.random.default_rng(11)
    for n in (1500, 5000, 20_000):
        keys = _Keys(rng, n, distinct_ids)
        for positions in (np.arange(n), rng.permutation(n)[: n // 2], rng.integers(0, n, n)):
            for k in (0, 1, 7, 40, 300, len(positions) // 4):
                first = Findings.first_by_priority(keys, positions, k)
                assert first.tolist() == keys.by_priority(positions)[:k].tolist(), (n, k)


def _views(book, results):
    found = findings_of(results, book)
    views = [v for _, v in main_views(book, found, lang="en")]
    # a small overview (budget notes) and a pattern view of many ties (faint, curved, labelled edges)
    views += [overview(book, found, 40, lang="zh"), pattern_view(book, [n.id for n in views[0].nodes[:60]], found)]
    return views


def test_page_data_text_is_the_json_of_network_data(sample_run, tmp_path):
    book, results = sample_run
    hostile = build_book(hostile_dataset(tmp_path / "hostile"))
    views = _views(book, results) + [ego_view(hostile, "E1", 2, lang="en"), channel_view(hostile, "C1"),
                                   group_view(hostile, ["P1", "P2", "E1", "E2"]),
                                   pattern_view(hostile, ["E1", "E2", "E3"])]
    for view in views:
        for mask in (True, False):
            text = {"notFound": "没有找到 <&>"}
            expected = html._compact_json(html.network_data(view, mask) | {"text": text})
            assert html._network_json(view, mask, text) == expected


def test_pages_are_those_of_the_plain_json(sample_run, tmp_path, monkeypatch):
    book, results = sample_run
    hostile = build_book(hostile_dataset(tmp_path / "hostile"))
    views = _views(book, results)[:3] + [ego_view(hostile, "P1", 2)]
    fast = [render_html(v, mask=mask) for v in views for mask in (True, False)]
    monkeypatch.setattr(html, "_network_json",
                        lambda view, mask, text: html._compact_json(html.network_data(view, mask) | {"text": text}))
    assert fast == [render_html(v, mask=mask) for v in views for mask in (True, False)]


def test_write_views_restores_the_collector(sample_run, tmp_path):
    book, results = sample_run
    assert gc.isenabled()
    write_views(book, results, tmp_path / "a", lang="en")
    assert gc.isenabled()
    gc.disable()
    try:
        write_views(book, results, tmp_path / "b", lang="en")
        assert not gc.isenabled()
    finally:
        gc.enable()
    a, b = sorted((tmp_path / "a" / "views").iterdir()), sorted((tmp_path / "b" / "views").iterdir())
    assert [f.name for f in a] == [f.name for f in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
