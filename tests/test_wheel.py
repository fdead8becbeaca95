"""The wheel a user installs works: it ships every data file, and `load` and `risk --neo4j` run from it.

The tests elsewhere import channelgraph from the source tree (an editable install or
PYTHONPATH), where every file is at hand; a wheel holds only what ``pyproject.toml`` lists.
This test builds the wheel from a copy of the project (``pip wheel --no-deps``: the build
backend comes from PyPI through pip's cache; the tree itself gets no ``build/``), checks it
against every ``.cypher`` file, installs it into a fresh venv and runs ``demo``, ``load`` and
``risk --neo4j`` with that venv's ``channelgraph`` script, from a folder outside the project
and without PYTHONPATH.

The fresh venv gets its dependencies (numba, scipy, pandas…: about 300 MB) through a
``.pth`` file naming this test venv's site-packages instead of from PyPI: seconds instead of
minutes of CI, no network for them, and the same versions the rest of the suite tests. A
``.pth`` file's folders are added to ``sys.path`` after the venv's own site-packages and
their own ``.pth`` files are not run, so the test venv's editable channelgraph is not seen:
the test checks that ``channelgraph`` is imported from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

URI = os.environ.get("CHANNELGRAPH_TEST_NEO4J_URI")
if not URI and os.environ.get("CI"):
    raise RuntimeError("CI must run the Neo4j tests: CHANNELGRAPH_TEST_NEO4J_URI is not set (scripts/test sets it)")
pytestmark = [pytest.mark.neo4j, pytest.mark.skipif(not URI, reason="no test Neo4j server (run through scripts/test)")]


def _run(args: list, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    p = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert p.returncode == 0, (
        f"{' '.join(map(str, args))} → exit {p.returncode}\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}"
    )
    return p


def _build_wheel(tmp: Path, env: dict) -> Path:
    """The wheel of the project, built from a copy of its packaging inputs."""
    src = tmp / "project"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("src", "cypher"):  # src/channelgraph/cypher is a relative symlink to ../../cypher: kept
        shutil.copytree(
            ROOT / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-w",
            tmp / "dist",
            src,
        ],
        tmp,
        env,
    )
    (wheel,) = (tmp / "dist").glob("channelgraph-*.whl")
    return wheel


def test_the_wheel_installs_and_runs_demo_load_and_risk_from_neo4j(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")
    }
    env["COLUMNS"] = "200"
    wheel = _build_wheel(tmp_path, env)

    # every statement the package reads is in the wheel, under channelgraph/cypher/
    with zipfile.ZipFile(wheel) as z:
        shipped = {n for n in z.namelist() if n.startswith("channelgraph/cypher/")}
    wanted = {
        "channelgraph/cypher/" + p.relative_to(ROOT / "cypher").as_posix() for p in (ROOT / "cypher").rglob("*.cypher")
    }
    assert len(wanted) > 20
    assert sorted(wanted - shipped) == []

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    py = venv / "bin" / "python"
    fresh_site = Path(
        _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env).stdout.strip()
    )
    (fresh_site / "test-venv-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            py,
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            wheel,
        ],
        tmp_path,
        env,
    )

    work = tmp_path / "elsewhere"  # not the project: nothing of the source tree is at hand
    work.mkdir()
    where = _run([py, "-c", "import channelgraph; print(channelgraph.__file__)"], work, env).stdout.strip()
    assert Path(where).is_relative_to(fresh_site), f"channelgraph imported from {where}, not from the wheel"

    cli = venv / "bin" / "channelgraph"
    demo = _run([cli, "demo", "--out", "demo"], work, env)
    assert "done" in demo.stdout and (work / "demo" / "report.html").is_file()
    load = _run([cli, "load", "demo/data", "--neo4j", URI, "--replace", "--quiet"], work, env)
    assert "loaded demo/data into" in load.stdout and "Entity" in load.stdout
    risk = _run([cli, "risk", "--neo4j", URI, "--out", "risk"], work, env)
    assert "risk:" in risk.stdout and (work / "risk" / "risk_groups.csv").is_file()
    for p in (demo, load, risk):
        assert "Traceback" not in p.stderr and "Received notification" not in p.stderr, p.stderr
