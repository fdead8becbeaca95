"""Running the real ``channelgraph`` command as a careless or hostile user would.

The hostile-input tests (``tests/test_hostile_*.py``) run the console entry point in a
subprocess — ``python -m channelgraph``, the same ``cli.run`` the installed script calls — so
that what they check is exactly what a person sees: the last-resort handler, the exit code,
stdout and stderr. :func:`refused` asserts a failure in one clear line and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    args: tuple
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:  # shown when an assertion fails
        return f"channelgraph {' '.join(map(str, self.args))} → exit {self.code}\n{self.output}"


def run_cli(
    *args, cwd: Path | str | None = None, env: dict | None = None, timeout: float = 300, stdin: str | None = None
) -> Run:
    """Run ``channelgraph ARGS`` in a subprocess; never raises on a non-zero exit."""
    full_env = dict(os.environ)
    src = str(ROOT / "src")
    full_env["PYTHONPATH"] = src + (os.pathsep + full_env["PYTHONPATH"] if full_env.get("PYTHONPATH") else "")
    full_env.pop("CHANNELGRAPH_DEBUG", None)
    full_env.setdefault("COLUMNS", "200")
    if env:
        full_env.update(env)
    p = subprocess.run(
        [sys.executable, "-m", "channelgraph", *map(str, args)],
        check=False,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin if stdin is not None else "",
    )
    return Run(args, p.returncode, p.stdout, p.stderr)


def no_traceback(r: Run) -> None:
    assert "Traceback" not in r.output, str(r)
    assert "internal error" not in r.output, str(r)


def refused(r: Run, code: int, *needles: str) -> None:
    """*r* failed with exit *code*, no traceback, and its output names every one of *needles*."""
    no_traceback(r)
    assert r.code == code, str(r)
    for n in needles:
        assert n in r.output, f"{n!r} not in the output of {r}"
