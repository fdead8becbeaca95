"""The analyses' order: what each reads (``needs``), caps before the marketing room that waits
for background work, and results in registry order whatever the running order."""

from __future__ import annotations

import pytest

from channelgraph.graph import build_book
from channelgraph import analyses
from channelgraph.analyses import REGISTRY, Analysis, AnalysisResult, load_rooms, run_analyses, schedule
from channelgraph.io import load_dataset
from conftest import SAMPLE


def names(items):
    return [a.name for a in items]


def test_caps_runs_before_the_marketing_room_and_results_keep_registry_order():
    load_rooms()
    assert names(schedule(names(REGISTRY))) == ["book", "risk", "caps", "marketing"]
    ran = []
    results = run_analyses(build_book(load_dataset(SAMPLE)), after=lambda name, _: ran.append(name))
    assert ran == ["book", "risk", "caps", "marketing"]
    assert list(results) == ["book", "risk", "marketing", "caps"]


def test_only_what_is_needed_runs():
    load_rooms()
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


def test_an_analysis_that_declares_nothing_needs_everything_before_it(monkeypatch):
    log = []
    registry = [Analysis("a", _runner(log, "a"), "A", "甲", 0, needs=()),
                Analysis("slow", _runner(log, "slow"), "S", "慢", 10, needs=("a",), waits=True),
                Analysis("b", _runner(log, "b"), "B", "乙", 20, needs=("a",)),
                Analysis("all", _runner(log, "all"), "All", "全", 30)]
    monkeypatch.setattr(analyses, "REGISTRY", registry)
    monkeypatch.setattr(analyses, "load_rooms", lambda: None)
    assert names(schedule(["all"])) == ["a", "b", "slow", "all"]
    assert names(schedule(["b"])) == ["a", "b"]
    results = run_analyses(build_book(load_dataset(SAMPLE)), only=["all", "b"])
    assert list(results) == ["b", "all"]
    assert log == [("a", []), ("b", ["a"]), ("slow", ["a", "b"]), ("all", ["a", "b", "slow"])]
    with pytest.raises(ValueError, match="unknown analyses: nope"):
        run_analyses(build_book(load_dataset(SAMPLE)), only=["nope"])
