"""The last-resort handler: whatever escapes a command ends as one line and a documented exit code."""

from __future__ import annotations

import errno

import pytest
from hostile import refused, run_cli

from channelgraph import cli


@pytest.mark.parametrize(
    "exc, code, needles",
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "/mnt/out/risk_groups.csv"),
            cli.EXIT_SERVER,
            ["/mnt/out/risk_groups.csv", "No space left on device", "disk is full"],
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "/srv/out"),
            cli.EXIT_SERVER,
            ["/srv/out", "Permission denied"],
        ),
        (MemoryError(), cli.EXIT_SERVER, ["out of memory"]),
        (KeyboardInterrupt(), cli.EXIT_INTERRUPTED, ["interrupted"]),
        (
            ValueError("bolt://neo4j:hunter2@db:7687 went odd"),
            cli.EXIT_INTERNAL,
            ["internal error", "ValueError", "bolt://neo4j:***@db:7687", "CHANNELGRAPH_DEBUG=1"],
        ),
    ],
)
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


@pytest.mark.parametrize(
    "exc, kept, dropped",
    [
        (ValueError("first line\nsecond line\n  File 'x.py', line 1"), "ValueError: first line…", "second line"),
        (RuntimeError("x" * 5000), "x" * cli.LAST_RESORT_CHARS + "…", "x" * (cli.LAST_RESORT_CHARS + 1)),
        (
            OSError(errno.EIO, "Input/output error", "/mnt/out\nrisk.csv"),
            "/mnt/out risk.csv: Input/output error",
            "\n/",
        ),
    ],
)
def test_a_long_or_many_line_exception_is_still_one_line(capsys, monkeypatch, exc, kept, dropped):
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    cli._last_resort(exc)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and kept in err and dropped not in err, err


def test_a_commands_return_value_is_not_the_exit_code():
    """:func:`cli.run` ends with what ``main`` returns: only click's ``Exit`` gives a code."""

    @cli.main.command("returns-seven")
    def returns_seven():
        return 7

    try:
        assert cli.main.main(["returns-seven"], standalone_mode=False) is None
        assert cli.main.main(["--version"], standalone_mode=False) == 0
    finally:
        cli.main.commands.pop("returns-seven")


def test_the_debug_traceback_is_redacted(capsys, monkeypatch):
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    monkeypatch.setattr(cli, "_PASSWORDS", ["pa55-w0rd"])
    try:
        try:
            raise ValueError("login with pa55-w0rd refused")
        except ValueError as inner:
            raise RuntimeError("bolt://neo4j:hunter2@db:7687 went odd") from inner
    except RuntimeError as exc:
        assert cli._last_resort(exc) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and "login with *** refused" in err and "neo4j:***@db" in err
    assert "pa55-w0rd" not in err and "hunter2" not in err
