"""The analyses' order: what each reads (``needs``), caps before the marketing room that waits
for background work, and results in registry order whatever the running order."""

from __future__ import annotations

import pytest

from channelgraph.graph import build_book
from channelgraph.analyses import Analysis, AnalysisResult, node_results, registry, run_analyses, schedule
from channelgraph.io import load_dataset
from conftest import SAMPLE


def names(items):
    return [a.name for a in items]


def test_caps_runs_before_the_marketing_room_and_results_keep_registry_order():
    assert names(registry()) == ["book", "risk", "marketing", "caps"]
    assert names(schedule(names(registry()))) == ["book", "risk", "caps", "marketing"]
    ran = []
    results = run_analyses(build_book(load_dataset(SAMPLE)), after=lambda name, _: ran.append(name))
    assert ran == ["book", "risk", "caps", "marketing"]
    assert list(results) == ["book", "risk", "marketing", "caps"]


def test_only_what_is_needed_runs():
    assert names(schedule(["caps"])) == ["risk", "caps"]  # the marketing room is not needed
    assert names(schedule(["marketing"])) == ["risk", "marketing"]
    assert names(schedule(["book"])) == ["book"]
    ran = []
    results = run_analyses(build_book(load_dataset(SAMPLE)), only=["caps"], after=lambda name, _: ran.append(name))
    assert ran == ["caps"] and list(results) == ["caps"]


def _runner(log, name):
    def run(book, policy, prior):
        log.append((name, sorted(prior)))
        return AnalysisResult()

    return run


def test_the_registry_is_built_once_and_cannot_be_changed():
    assert registry() is registry() and isinstance(registry(), tuple)
    from channelgraph import caps, marketing, risk

    assert registry()[1:] == (risk.ANALYSIS, marketing.ANALYSIS, caps.ANALYSIS)


def test_node_results_merge_every_rooms_write_back_properties():
    results = run_analyses(build_book(load_dataset(SAMPLE)), only=["risk", "marketing", "caps"])
    props = node_results(results)
    assert [a.name for a in registry() if a.node_properties is not None] == ["risk", "marketing"]
    both = [p for p in props.values() if "group_id" in p and "hub_rank" in p]
    assert both and all({"group_status", "group_exposure_fen", "hub_score"} <= set(p) for p in both)
    assert props == {
        **node_results({"risk": results["risk"]}),
        **{
            e: {**node_results({"risk": results["risk"]}).get(e, {}), **p}
            for e, p in node_results({"marketing": results["marketing"]}).items()
        },
    }


def test_an_analysis_that_declares_nothing_needs_everything_before_it():
    log = []
    registry = [
        Analysis("a", _runner(log, "a"), "A", "甲", 0, needs=()),
        Analysis("slow", _runner(log, "slow"), "S", "慢", 10, needs=("a",), waits=True),
        Analysis("b", _runner(log, "b"), "B", "乙", 20, needs=("a",)),
        Analysis("all", _runner(log, "all"), "All", "全", 30),
    ]
    assert names(schedule(["all"], registry)) == ["a", "b", "slow", "all"]
    assert names(schedule(["b"], registry)) == ["a", "b"]
    results = run_analyses(build_book(load_dataset(SAMPLE)), only=["all", "b"], analyses=registry)
    assert list(results) == ["b", "all"]
    assert log == [("a", []), ("b", ["a"]), ("slow", ["a", "b"]), ("all", ["a", "b", "slow"])]
    with pytest.raises(ValueError, match="unknown analyses: nope"):
        run_analyses(build_book(load_dataset(SAMPLE)), only=["nope"], analyses=registry)
    with pytest.raises(ValueError, match="unknown analyses: a"):
        run_analyses(build_book(load_dataset(SAMPLE)), only=["a"])  # not in the default registry
