"""notebooks/walkthrough.ipynb runs from top to bottom on data/sample (so it never rots).

The kernel is the Python running the tests (a kernelspec made on the fly points at
``sys.executable``), so the notebook sees the same installed channelgraph whatever
other Jupyter kernels the machine has.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"
KERNEL = "channelgraph-test"


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "channelgraph tests",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return KERNEL


def test_walkthrough_notebook_runs(kernel):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = NotebookClient(
        nb, kernel_name=kernel, timeout=600, allow_errors=False, resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "customers" in text and "total outstanding" in text
    assert "refers to no entity" in text  # the broken extract was refused
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    frames = [h for h in html if h.startswith("<iframe")]
    assert len(frames) == 2, "the two inline interactive views"
    assert all('sandbox="allow-scripts"' in f and "vis.Network" in f for f in frames)
    assert "overview.html" in text and "index.json" in text

    # the tables show their rows: no NaN in any shown table, and the marketer's key persons are
    # the first ten persons and firms of the hubs table, with their names and scores
    tables = [o["data"]["text/html"] for o in outputs if "<table" in o.get("data", {}).get("text/html", "")]
    assert tables and not [t for t in tables if ">NaN<" in t]
    from channelgraph.analyses import run_analyses
    from channelgraph.graph import load_book

    hubs = run_analyses(load_book(ROOT / "data" / "sample"))["marketing"].tables["hubs"]
    people = hubs[hubs["kind"].isin(["person", "enterprise"])].head(10)
    cell = next(c for c in nb.cells if c.cell_type == "code" and 'hubs = table("hubs")' in c.source)
    shown = "".join(o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))
    at = [shown.index(f">{x}<") for x in people["id"]]
    assert at == sorted(at)  # in rank order
    for name, score in zip(people["name"], people["score"]):
        assert f">{name}<" in shown and f">{score:.6f}<" in shown
