"""The terminal as a careless or hostile user leaves it: odd folder names, closed or gone
streams, Ctrl-C during start-up, narrow windows, odd option values (issue 18).

Every test runs the real command (``python -m channelgraph``, the console script's entry) in a
subprocess, as :mod:`hostile` does.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hostile import ROOT, no_traceback, refused, run_cli

SAMPLE = ROOT / "data" / "sample"


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("CHANNELGRAPH_DEBUG", None)
    env.update(extra)
    return env


def _command(*args) -> list[str]:
    return [sys.executable, "-m", "channelgraph", *map(str, args)]


def _with_closed(fd: int, *args, cwd: Path) -> subprocess.CompletedProcess:
    """Run the command with descriptor *fd* (1: stdout, 2: stderr) closed, as ``>&-`` / ``2>&-`` do."""
    other = {1: {"stderr": subprocess.PIPE}, 2: {"stdout": subprocess.PIPE}}[fd]
    return subprocess.run(
        _command(*args),
        cwd=cwd,
        env=_env(),
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(fd),
        **other,
    )


def _reader_gone(*args, cwd: Path) -> tuple[int, str]:
    """Run the command into a pipe whose reader is gone before the first line (``| head -0``)."""
    err = cwd / "stderr.txt"
    with open(err, "w") as errfile:
        p = subprocess.Popen(
            _command(*args),
            cwd=cwd,
            env=_env(COLUMNS="200"),
            stdout=subprocess.PIPE,
            stderr=errfile,
            stdin=subprocess.DEVNULL,
        )
        p.stdout.close()
        code = p.wait(timeout=300)
    return code, err.read_text()


# ----------------------------------------------------------------------------- 1. markup


def test_a_folder_name_with_brackets_is_shown_as_it_is(tmp_path):
    r = run_cli("validate", "x[/y]", cwd=tmp_path)
    refused(r, 1, "x[/y]: does not exist")
    r = run_cli("generate", "x[/g]", "--customers", 10, cwd=tmp_path)
    no_traceback(r)
    assert r.code == 0 and "✓ wrote x[/g] in" in r.stdout, str(r)
    r = run_cli("validate", "x[/g]", cwd=tmp_path)
    no_traceback(r)
    assert r.code == 0 and "✓ x[/g] is valid" in r.stdout and "policy: x[/g]/policy.toml" in r.stdout, str(r)


def test_demo_into_a_folder_with_brackets_lists_what_to_open(tmp_path):
    r = run_cli("demo", "--out", "x[/demo]", cwd=tmp_path)
    no_traceback(r)
    assert r.code == 0, str(r)
    for shown in ("into x[/demo]/data", "✓ x[/demo]/data is valid", "files in x[/demo]/", "  x[/demo]/report.html"):
        assert shown in r.stdout, f"{shown!r} not in {r}"


def test_a_line_break_in_a_folder_name_keeps_the_message_on_one_line(tmp_path):
    r = run_cli("generate", "two\nlines", "--customers", 10, "--quiet", cwd=tmp_path)
    no_traceback(r)
    assert r.code == 0 and r.stdout == "", str(r)
    r = run_cli("generate", "two\nlines2", "--customers", 10, cwd=tmp_path)
    assert r.code == 0 and "✓ wrote two lines2 in" in r.stdout and len(r.stdout.splitlines()) == 1, str(r)
    r = run_cli("validate", "not\nthere", cwd=tmp_path)
    refused(r, 1, "  not there: does not exist")
    assert len(r.stderr.splitlines()) == 2, str(r)  # the title and the one problem


# ----------------------------------------------------------------------------- 2. closed streams


def test_a_closed_stdout_prints_nothing_and_the_run_completes(tmp_path):
    p = _with_closed(1, "validate", SAMPLE, cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    p = _with_closed(1, "analyze", SAMPLE, "--out", "o/sc", cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert (tmp_path / "o" / "sc" / "report.html").is_file() and (tmp_path / "o" / "sc" / "hubs.csv").is_file()


def test_a_closed_stderr_keeps_the_exit_code_and_stdout_clean(tmp_path):
    p = _with_closed(2, "validate", "nope", cwd=tmp_path)
    assert p.returncode == 1 and p.stdout == "", p.stdout
    p = _with_closed(2, "validate", SAMPLE, cwd=tmp_path)
    assert p.returncode == 0 and "is valid" in p.stdout


# ----------------------------------------------------------------------------- 3. Ctrl-C at start-up


@pytest.mark.parametrize("after", [0.1, 0.2, 0.3])
def test_ctrl_c_while_the_libraries_load_is_one_line(tmp_path, after):
    # importing the command line (pandas, numba) takes about half a second: these land in it
    p = subprocess.Popen(
        _command("validate", SAMPLE),
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    time.sleep(after)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=120)
    if p.returncode == 0:  # a fast machine finished first: then it ran as usual
        assert "is valid" in stdout and stderr == "", stderr
        return
    assert p.returncode == 130, (p.returncode, stderr)
    assert stderr.strip() == "✗ interrupted", stderr
    assert stdout == ""


def test_ctrl_c_inside_a_class_body_is_still_an_interrupt():
    # Ctrl-C landing in a descriptor's __set_name__ while a library defines its classes (pandas'
    # NamedAgg did, under load in CI) reaches the start-up guard as a RuntimeError whose cause is
    # the KeyboardInterrupt: it is an interrupt, not a broken installation
    from channelgraph._entry import _from_ctrl_c

    class Interrupting:
        def __set_name__(self, owner, name):
            raise KeyboardInterrupt

    with pytest.raises(RuntimeError) as caught:

        class Library:
            field = Interrupting()

    assert _from_ctrl_c(caught.value)
    assert not _from_ctrl_c(RuntimeError("a missing module"))


# ----------------------------------------------------------------------------- 4. the reader goes away


@pytest.mark.parametrize(
    "args, written",
    [
        (("caps", SAMPLE, "--out", "o/cp"), "o/cp/caps_report.html"),
        (("stress", SAMPLE, "--default", "E000005,E000012", "--out", "o/st"), "o/st/stress_calls.csv"),
        (("demo", "--out", "o/demo"), "o/demo/report.html"),  # prints while it writes its outputs
    ],
)
def test_a_reader_that_goes_away_is_not_a_refusal(tmp_path, args, written):
    code, stderr = _reader_gone(*args, cwd=tmp_path)
    assert code == 0 and stderr == "", (code, stderr)
    assert (tmp_path / written).is_file()


# ----------------------------------------------------------------------------- 5. wrapping


def test_amounts_are_never_wrapped_or_cut_in_a_narrow_terminal(tmp_path):
    r = run_cli("caps", SAMPLE, "--out", "o/c", cwd=tmp_path, env={"COLUMNS": "60"})
    assert r.code == 0, str(r)
    row = next(line for line in r.stdout.splitlines() if line.lstrip().startswith("S001"))
    # the figures as written to caps.csv (yuan with two decimals), with thousands separators
    caps = {c["scheme_id"]: c for c in csv.DictReader(open(tmp_path / "o/c/caps.csv", encoding="utf-8-sig"))}
    used, room = (Decimal(caps["S001"][k]) for k in ("utilized", "headroom"))
    assert room < 0 and f"{used:,}" in row and f"{room:,}" in row and row.rstrip().endswith("breach"), str(r)
    r = run_cli("stress", SAMPLE, "--default", "E000005,E000012", "--out", "o/s", cwd=tmp_path, env={"COLUMNS": "40"})
    assert r.code == 0, str(r)
    row = next(line for line in r.stdout.splitlines() if line.lstrip().startswith("0 "))
    first = next(csv.DictReader(open(tmp_path / "o/s/stress_rounds.csv", encoding="utf-8-sig")))
    hit, share = Decimal(first["exposure_hit"]), Decimal(first["cumulative_share_of_tier1"])
    assert hit > 10_000_000 and first["cumulative_exposure_hit"] == first["exposure_hit"]
    percent = f"{(share * 100).quantize(Decimal('0.01'))}%"
    assert "E000005, E000012" in row and row.count(f"{hit:,}") == 2 and percent in row, str(r)


def test_one_line_messages_stay_one_line_however_narrow(tmp_path):
    r = run_cli("analyze", SAMPLE, "--out", "o/a", cwd=tmp_path, env={"COLUMNS": "5"})
    assert r.code == 0 and len(r.stdout.splitlines()) == 1 and r.stdout.startswith("✓ analysed"), str(r)
    r = run_cli("validate", SAMPLE, cwd=tmp_path, env={"COLUMNS": "30"})
    first = r.stdout.splitlines()[0]
    assert first.startswith("✓ ") and first.endswith("schemes: utf-8)"), str(r)
    r = run_cli("validate", "nope", cwd=tmp_path, env={"COLUMNS": "30"})
    refused(r, 1)
    assert r.stderr.splitlines()[0].endswith("header is line 1)"), str(r)


# ----------------------------------------------------------------------------- 6. option messages


def test_a_bad_campaign_scope_names_its_own_option(tmp_path):
    r = run_cli("hubs", SAMPLE, "--out", "o/h", "--channel", "P000001", cwd=tmp_path)
    refused(r, 2, "--channel", "P000001", "not a chamber, market or intermediary")
    assert "--region" not in r.output
    r = run_cli("hubs", SAMPLE, "--out", "o/h", "--channel", "M0001", "--region", "nowhere", cwd=tmp_path)
    refused(r, 2, "--region", "nowhere")
    assert "--channel" not in r.stderr.splitlines()[-1]


@pytest.mark.parametrize("view, ident", [("pattern", ""), ("group", ""), ("ego", " ")])
def test_an_empty_id_is_called_empty(tmp_path, view, ident):
    r = run_cli("viz", SAMPLE, "--view", view, "--id", ident, "--out", "o/v", cwd=tmp_path)
    refused(r, 2, "--id", "is empty: give")
    assert "the data has no" not in r.output
    assert not (tmp_path / "o" / "v").exists()


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_a_seed_out_of_range_is_a_usage_error(tmp_path, seed):
    r = run_cli("generate", "g", "--seed", seed, cwd=tmp_path)
    refused(r, 2, "--seed", seed)
    assert not (tmp_path / "g").exists()
