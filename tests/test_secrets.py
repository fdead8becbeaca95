"""The Neo4j password never leaks: not in output, logs, files, the server's logs or a repr.

Starts its own password-protected server (scripts/neo4j-local, port 7698, a temporary state
folder; one server for the module), runs ``load`` and ``analyze --neo4j … --write-back``
with the password in ``NEO4J_PASSWORD`` while the ``neo4j`` driver logs at DEBUG, and then
searches every captured stream, every output file and the server's whole state folder for
the password: it may appear only in the state folder's ``password`` file.

Enabled like the other Neo4j tests by CHANNELGRAPH_TEST_NEO4J_URI (any non-empty value is
enough here: this module does not use that server).
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, write_dataset

from channelgraph.cli import main
from channelgraph.io import load_dataset
from channelgraph.redact import redact, redact_uri
from channelgraph.store.neo4j import (
    Neo4jFailure,
    Neo4jTarget,
    load_dataset_to_neo4j,
    read_dataset_from_neo4j,
)

URI = os.environ.get("CHANNELGRAPH_TEST_NEO4J_URI")
if not URI and os.environ.get("CI"):
    raise RuntimeError("CI must run the Neo4j tests: CHANNELGRAPH_TEST_NEO4J_URI is not set (scripts/test sets it)")
pytestmark = [pytest.mark.neo4j, pytest.mark.skipif(not URI, reason="no test Neo4j server (run through scripts/test)")]

PORT = "7698"
SCRIPT = str(ROOT / "scripts" / "neo4j-local")


class AuthServer:
    def __init__(self, state: Path, env: dict, start_output: str):
        self.state = state
        self.env = env
        self.uri = f"bolt://127.0.0.1:{PORT}"
        self.password = (state / "password").read_text(encoding="utf-8").strip()
        self.start_output = start_output


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("secrets") / ".neo4j-secrets"
    env = dict(os.environ, NEO4J_LOCAL_DIR=str(state))
    try:
        started = subprocess.run(
            [SCRIPT, "start", "--port", PORT], check=False, capture_output=True, text=True, env=env, timeout=600
        )
        assert started.returncode == 0, started.stdout + started.stderr
        srv = AuthServer(state, env, started.stdout + started.stderr)
        assert len(srv.password) >= 16
        yield srv
    finally:
        subprocess.run([SCRIPT, "stop"], check=False, capture_output=True, env=env, timeout=180)


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("bolt://neo4j:s3cret@127.0.0.1:7687", "bolt://neo4j:***@127.0.0.1:7687"),
        ("bolt:/neo4j:s3cret@127.0.0.1:1", "bolt:/neo4j:***@127.0.0.1:1"),  # a scheme that does not parse
        ("bolt//neo4j:s3cret@127.0.0.1:1", "bolt//neo4j:***@127.0.0.1:1"),
        ("neo4j:s3cret@db.example.com", "neo4j:***@db.example.com"),  # no scheme at all
        ("mailto:u:s3cret@x", "mailto:***@x"),  # everything after the first ':'
        ("bolt://neo4j:s3/cr#e@t@[::1", "bolt://neo4j:***@[::1"),  # '/', '#', '@' in it, a broken host
        ("bolt://neo4j:s3 cret@h", "bolt://neo4j:***@h"),  # a space in it
        ("bolt://neo4j@h:7687", "bolt://neo4j@h:7687"),  # a user, no password
        ("bolt://h:7687", "bolt://h:7687"),
    ],
)
def test_a_uri_password_is_masked_however_the_uri_is_mistyped(uri, shown):
    assert redact_uri(uri) == shown
    if " " not in uri:  # in a message, a URI is a word
        assert redact(f"✗ {uri!r} is not a Neo4j URI") == f"✗ {shown!r} is not a Neo4j URI"


def _leaks(folder: Path, secret: str, allowed: set[Path] = frozenset()) -> list[str]:
    """Files under *folder* whose bytes contain *secret* (as UTF-8 or UTF-16), except *allowed*."""
    needles = [secret.encode("utf-8"), secret.encode("utf-16-le")]
    found = []
    for f in sorted(folder.rglob("*")):
        if f.is_file() and not f.is_symlink() and f.resolve() not in allowed:
            data = f.read_bytes()
            if any(n in data for n in needles):
                found.append(str(f))
    return found


def test_password_appears_nowhere_but_its_file(server, tmp_path, caplog, capfd):
    pw = server.password
    caplog.set_level(logging.DEBUG, logger="neo4j")
    data = write_dataset(tmp_path / "data")
    out = tmp_path / "out"
    runner = CliRunner(env={"NEO4J_PASSWORD": pw, "NEO4J_USER": "neo4j", "NEO4J_URI": None})
    transcript = []

    def run(args, code=0):
        r = runner.invoke(main, args)
        transcript.append(f"{r.output}\n{r.exception!r}")  # the output only: args may hold the password
        assert r.exit_code == code, r.output
        assert "Traceback" not in r.output
        return r

    run(["load", str(data), "--neo4j", server.uri, "--quiet", "--replace"])
    r = run(["analyze", "--neo4j", server.uri, "--out", str(out), "--write-back"])
    assert "wrote results back" in r.output
    # the error paths: a refused login, and a usage error with the password on the command line
    run(["load", str(data), "--neo4j", server.uri, "--quiet", "--neo4j-user", "nobody"], code=3)
    run(["analyze", "--neo4j", server.uri, "--neo4j-password", pw], code=2)
    run(["load", "--help"])

    # the Python API: the target's repr and str, a failure's message
    target = Neo4jTarget(server.uri, "neo4j", pw)
    for text in (repr(target), str(target), f"{target}", f"{target!r}", repr([target]), repr({"t": target})):
        assert pw not in text
    ds = load_dataset(data)
    load_dataset_to_neo4j(ds, target)
    back = read_dataset_from_neo4j(target)
    assert len(back.entities) == len(ds.entities)
    assert pw not in repr(back.policy) and pw not in str(back.name) and pw not in str(back.path)
    with pytest.raises(Neo4jFailure) as info:
        load_dataset_to_neo4j(ds, Neo4jTarget(server.uri, "nobody", pw))
    transcript.append(f"{info.value}\n{info.value!r}\n{info.value.args!r}")

    captured = capfd.readouterr()
    logs = caplog.text
    assert "neo4j" in logs.lower(), "the neo4j driver logged nothing at DEBUG: the check would be vacuous"
    for name, text in (
        ("CLI output", "\n".join(transcript)),
        ("captured stdout", captured.out),
        ("captured stderr", captured.err),
        ("neo4j DEBUG log", logs),
    ):
        assert pw not in text, f"the password leaks into the {name}"

    # every output file, the dataset folder, and the server's whole state (logs included)
    assert (out / "summary.json").is_file()
    assert _leaks(out, pw) == []
    assert _leaks(data, pw) == []
    assert (server.state / "logs").is_dir() and any((server.state / "logs").iterdir())
    assert _leaks(server.state, pw, allowed={(server.state / "password").resolve()}) == []
    # nor on the server's command line, which every local user can read
    pid = (server.state / "neo4j.pid").read_text().strip()
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        assert pw.encode() not in cmdline.read_bytes()
