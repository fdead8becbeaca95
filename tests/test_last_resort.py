"""The last-resort handler: whatever escapes a command ends as one line and a documented exit code."""

from __future__ import annotations

import errno

import pytest
from hostile import refused, run_cli

from channelgraph import cli


@pytest.mark.parametrize("exc, code, needles", [
    (OSError(errno.ENOSPC, "No space left on device", "/mnt/out/risk_groups.csv"), cli.EXIT_SERVER,
     ["/mnt/out/risk_groups.csv", "No space left on device", "disk is full"]),
    (PermissionError(errno.EACCES, "Permission denied", "/srv/out"), cli.EXIT_SERVER,
     ["/srv/out", "Permission denied"]),
    (MemoryError(), cli.EXIT_SERVER, ["out of memory"]),
    (KeyboardInterrupt(), cli.EXIT_INTERRUPTED, ["interrupted"]),
    (ValueError("bolt://neo4j:hunter2@db:7687 went odd"), cli.EXIT_INTERNAL,
     ["internal error", "ValueError", "bolt://neo4j:***@db:7687", "CHANNELGRAPH_DEBUG=1"]),
])
def test_every_escaped_exception_is_one_line(capsys, monkeypatch, exc, code, needles):
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    assert cli._last_resort(exc) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "hunter2" not in err
    for n in needles:
        assert n in err


def test_debug_switch_shows_the_traceback(capsys, monkeypatch):
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        assert cli._last_resort(exc) == cli.EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_the_console_entry_point_keeps_click_usage_errors_and_help():
    r = run_cli("validate")
    refused(r, 2, "Missing argument 'DATA'")
    r = run_cli("--version")
    assert r.code == 0 and "channelgraph, version" in r.stdout
    r = run_cli("risk", "--help")
    assert r.code == 0 and "Example" in r.stdout


def test_an_output_folder_under_proc_is_one_line(tmp_path):
    r = run_cli("risk", "data/sample", "--out", "/proc/channelgraph-cannot-be-here", cwd=cli.Path(__file__).parents[1])
    refused(r, cli.EXIT_SERVER, "/proc/channelgraph-cannot-be-here")
    assert len(r.stderr.strip().splitlines()) == 1, str(r)
