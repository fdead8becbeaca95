"""The fast paths of the views make the same bytes as the plain ones they replace.

* the page's data JSON written as text is the JSON of :func:`network_data`'s dicts;
* pausing the garbage collector while the views are written changes nothing on disk.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from test_viz import SAMPLE, hostile_dataset

import channelgraph.viz.html as html
from channelgraph.graph import build_book
from channelgraph.io import load_dataset
from channelgraph.viz import channel_view, ego_view, group_view, overview, pattern_view, render_html, write_views
from channelgraph.viz.results import findings_of
from channelgraph.viz.write import main_views


@pytest.fixture(scope="module")
def sample_run():
    from channelgraph.analyses import run_analyses

    book = build_book(load_dataset(SAMPLE))
    return book, run_analyses(book)


class _Keys:
    """Priority keys with many ties (as most of a big book's entities tie on all but the id)."""

    def __init__(self, rng, n, distinct_ids=True):
        self.keys = (
            rng.permutation(n) if distinct_ids else rng.integers(0, 5, n),
            -rng.integers(0, 3, n) * 1000,
            rng.integers(0, 4, n) << 58 | rng.integers(0, 3, n),
        )

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
    views = _views(book, results) + [
        ego_view(hostile, "E1", 2, lang="en"),
        channel_view(hostile, "C1"),
        group_view(hostile, ["P1", "P2", "E1", "E2"]),
        pattern_view(hostile, ["E1", "E2", "E3"]),
    ]
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
    monkeypatch.setattr(
        html,
        "_network_json",
        lambda view, mask, text: html._compact_json(html.network_data(view, mask) | {"text": text}),
    )
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
