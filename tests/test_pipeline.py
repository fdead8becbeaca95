"""pipeline.py: the one background thread it owns, and what a run leaves behind."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest
from conftest import SAMPLE

from channelgraph import pipeline
from channelgraph.io import load_dataset
from channelgraph.pipeline import BackgroundThread, run_everything


def test_the_background_thread_works_in_order_and_cancels_what_has_not_started():
    ex = BackgroundThread()
    started, release = threading.Event(), threading.Event()
    log: list[str] = []
    first = ex.submit(lambda: started.set() or (release.wait(10) and log.append("first")))
    second = ex.submit(log.append, "second")
    assert started.wait(10)
    assert ex._thread.daemon  # a failed run does not wait for it at exit
    ex.shutdown(wait=False, cancel_futures=True)
    release.set()
    first.result(timeout=10)
    with pytest.raises(CancelledError):
        second.result()
    ex.shutdown(wait=True)
    assert log == ["first"] and not ex._thread.is_alive()


def test_an_error_in_the_background_reaches_the_caller():
    ex = BackgroundThread()
    failed = ex.submit(lambda: 1 / 0)
    after = ex.submit(sum, [1, 2])
    with pytest.raises(ZeroDivisionError):
        failed.result()
    assert after.result() == 3
    ex.shutdown()


def test_the_background_thread_refuses_work_after_shutdown():
    ex = BackgroundThread()
    ex.shutdown()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(sum, [1, 2])


def test_a_run_leaves_no_thread_behind(tmp_path):
    before = threading.active_count()
    results, _ = run_everything(load_dataset(SAMPLE), tmp_path, "en")
    assert "marketing" in results and threading.active_count() == before


def test_a_failed_run_ends_its_background_thread(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("an analysis failed")

    monkeypatch.setattr(pipeline, "run_analyses", broken)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="an analysis failed"):
        run_everything(load_dataset(SAMPLE), tmp_path, "en")
    for t in threading.enumerate():
        if t.name == "channelgraph-background":
            t.join(30)  # the work it had started, not the rest
    assert threading.active_count() == before
