"""The installed command (``channelgraph`` / ``python -m channelgraph``) in a real process:
output and exit codes survive its quick exit."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SAMPLE


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "channelgraph", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def test_a_finished_command_keeps_its_output_and_files(tmp_path):
    out = tmp_path / "out"
    r = _run("analyze", str(SAMPLE), "--out", str(out), "--timings", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "analysed" in r.stdout and "total" in r.stderr  # the summary line and the timings table
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["analyses"]["risk"]
    assert (out / "views" / "overview.html").stat().st_size > 0
    assert not list(out.rglob("*.partial"))


def test_exit_codes_pass_through(tmp_path):
    r = _run("validate", str(tmp_path / "missing"))
    assert r.returncode != 0 and "missing" in (r.stdout + r.stderr)
    r = _run("no-such-command")
    assert r.returncode == 2 and "No such command" in r.stderr
    r = _run("--version")
    assert r.returncode == 0 and r.stdout.strip()
