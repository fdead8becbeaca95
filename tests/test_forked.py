"""Side work in forked processes (channelgraph._forked) and `analyze` using it: same outputs,
errors that reach the caller, and the fallback where forking is not safe."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from click.testing import CliRunner
from conftest import SAMPLE

from channelgraph import _forked
from channelgraph._forked import (
    SideProcessError,
    SideProcesses,
    can_fork,
    side_private_bytes,
)
from channelgraph.cli import main

needs_fork = pytest.mark.skipif(not can_fork(), reason="forking is not available or not safe here")


def _pid_and(x):
    return os.getpid(), x * 2


def _fail(message):
    raise ValueError(message)


def _killed():
    os.kill(os.getpid(), signal.SIGKILL)


def _hold_memory(mib):
    block = bytearray(mib * 2**20)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    return len(block)


@needs_fork
def test_work_runs_in_another_process_and_its_result_comes_back():
    side = SideProcesses()
    job = side.run(_pid_and, 21)
    pid, value = job.result()
    assert value == 42 and pid != os.getpid()
    assert side.wait() == [(pid, 42)]


@needs_fork
def test_an_error_in_the_child_is_raised_here_with_its_traceback():
    side = SideProcesses()
    side.run(_fail, "disk full on table risk_groups")
    with pytest.raises(ValueError, match="disk full on table risk_groups") as info:
        side.wait()
    assert any("in a side process" in note and "_fail" in note for note in info.value.__notes__)


@needs_fork
def test_a_child_that_dies_is_an_error_not_a_silent_gap():
    side = SideProcesses()
    side.run(_killed)
    with pytest.raises(SideProcessError, match="signal 9"):
        side.wait()


@needs_fork
def test_wait_lets_every_job_end_and_raises_the_first_failure():
    side = SideProcesses()
    first = side.run(_fail, "first")
    later = side.run(_pid_and, 1)
    with pytest.raises(ValueError, match="first"):
        side.wait()
    assert later.result()[1] == 2 and first.outcome[0] == "error"


@needs_fork
def test_private_memory_of_the_children_is_counted():
    before = side_private_bytes()
    side = SideProcesses()
    side.run(_hold_memory, 64)
    side.wait()
    assert side.private_bytes >= 64 * 2**20
    assert side_private_bytes() - before == side.private_bytes


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_switched_off_the_work_runs_here(monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv(_forked.ENV_SWITCH, "0")
        assert not can_fork()
    side = SideProcesses(enabled=how != "argument")
    assert not side.forks()
    job = side.run(_pid_and, 2)
    assert job.pid is None and job.result() == (os.getpid(), 4)
    with pytest.raises(ValueError, match="here"):  # at once, not at the end
        side.run(_fail, "here")
    assert side.wait() == [(os.getpid(), 4)]


def test_no_fork_while_another_python_thread_runs():
    release = threading.Event()
    t = threading.Thread(target=release.wait)
    t.start()
    try:
        assert not can_fork()
        job = SideProcesses().run(_pid_and, 3)
        assert job.pid is None and job.result() == (os.getpid(), 6)
    finally:
        release.set()
        t.join()


def _tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "timings.json"
    }


@needs_fork
def test_analyze_writes_the_same_files_with_and_without_side_processes(tmp_path, monkeypatch):
    before = side_private_bytes()
    r = CliRunner().invoke(main, ["analyze", str(SAMPLE), "--out", str(tmp_path / "forked"), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert side_private_bytes() > before  # the tables of the later rooms and half of the views were forked
    monkeypatch.setenv(_forked.ENV_SWITCH, "0")
    r = CliRunner().invoke(main, ["analyze", str(SAMPLE), "--out", str(tmp_path / "here"), "--lang", "en"])
    assert r.exit_code == 0, r.output
    forked, here = _tree(tmp_path / "forked"), _tree(tmp_path / "here")
    assert sorted(forked) == sorted(here)
    assert [name for name in forked if forked[name] != here[name]] == []


@needs_fork
def test_a_table_a_side_process_cannot_write_fails_the_run(tmp_path, monkeypatch):
    import errno

    from channelgraph import pipeline

    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["risk", str(SAMPLE), "--out", str(out)])
    assert r.exit_code == 0, r.output
    before = _tree(out)
    writes = pipeline._write_some_tables

    def full_disk(items, folder):  # runs in the side process (a fork sees the patched function)
        if os.getpid() != parent:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder / "caps.csv"))
        return writes(items, folder)

    parent = os.getpid()
    monkeypatch.setattr(pipeline, "_write_some_tables", full_disk)
    r = CliRunner().invoke(main, ["analyze", str(SAMPLE), "--out", str(out), "--lang", "en"])
    assert r.exit_code == 3, r.output
    assert f"could not write {out}/caps.csv: No space left on device" in r.output
    assert "is unchanged (previous outputs kept)" in r.output
    assert _tree(out) == before and not list(out.rglob("*.partial"))
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


@needs_fork
def test_run_everything_lists_the_same_files_in_the_same_order(tmp_path, monkeypatch):
    from channelgraph.io import load_dataset
    from channelgraph.pipeline import run_everything

    ds = load_dataset(SAMPLE)
    before = side_private_bytes()
    _, forked = run_everything(ds, tmp_path / "forked", "en")
    assert side_private_bytes() > before
    before = side_private_bytes()
    _, here = run_everything(load_dataset(SAMPLE), tmp_path / "here", "en", side_processes=False)
    assert side_private_bytes() == before  # switched off: nothing was forked
    assert [p.relative_to(tmp_path / "forked") for p in forked] == [p.relative_to(tmp_path / "here") for p in here]
    assert forked[0].name == "book_by_status.csv" and forked[-1].suffix in (".md", ".html")
    assert _tree(tmp_path / "forked") == _tree(tmp_path / "here")
    monkeypatch.setenv(_forked.ENV_SWITCH, "0")  # for every run
    _, env = run_everything(load_dataset(SAMPLE), tmp_path / "env", "en")
    assert side_private_bytes() == before and _tree(tmp_path / "env") == _tree(tmp_path / "here")


@needs_fork
def test_a_failed_block_kills_and_reaps_its_side_processes():
    import time

    with pytest.raises(KeyboardInterrupt), SideProcesses() as side:
        job = side.run(time.sleep, 30)
        raise KeyboardInterrupt
    assert job.pid and not os.path.exists(f"/proc/{job.pid}")
    with pytest.raises(SideProcessError, match="interrupted"):
        job.result()


@needs_fork
def test_end_side_processes_ends_those_started_anywhere():
    import time

    job = SideProcesses().run(time.sleep, 30)  # e.g. the views' own writer
    _forked.end_side_processes()
    assert not os.path.exists(f"/proc/{job.pid}") and _forked._LIVE == []


@needs_fork
def test_a_collected_job_leaves_the_live_list_and_forgets_its_pid():
    job = SideProcesses().run(_pid_and, 1)
    job.result()
    assert job not in _forked._LIVE and job.pid is None


@needs_fork
def test_an_interruption_right_after_the_reap_kills_no_reused_pid(monkeypatch):
    job = SideProcesses().run(_pid_and, 1)
    real_waitpid, reaped, killed = os.waitpid, [], []

    def waitpid_then_ctrl_c(pid, options):
        result = real_waitpid(pid, options)
        if not reaped:
            reaped.append(pid)
            raise KeyboardInterrupt  # lands after the child was reaped: its PID may be reused
        return result

    monkeypatch.setattr(_forked.os, "waitpid", waitpid_then_ctrl_c)
    monkeypatch.setattr(_forked.os, "kill", lambda pid, sig: killed.append(pid))
    with pytest.raises(KeyboardInterrupt):
        job.result()
    _forked.end_side_processes()
    assert reaped and killed == [] and _forked._LIVE == []
