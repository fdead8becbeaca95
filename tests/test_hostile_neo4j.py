"""Neo4j as a careless or hostile user meets it: bad URIs, passwords in URIs, killed loads, a
second dataset, a broken installation. The real ``channelgraph`` command in a subprocess
(:mod:`hostile`), against the real test server; never a mocked driver.

CHANNELGRAPH_TEST_NEO4J_URI names a throw-away server: these tests delete everything in it.
One test starts its own password-protected server (scripts/neo4j-local, port 7696).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ENTITIES, ROOT, write_dataset
from hostile import no_traceback, refused, run_cli

URI = os.environ.get("CHANNELGRAPH_TEST_NEO4J_URI")
if not URI and os.environ.get("CI"):
    raise RuntimeError("CI must run the Neo4j tests: CHANNELGRAPH_TEST_NEO4J_URI is not set (scripts/test sets it)")
pytestmark = [pytest.mark.neo4j, pytest.mark.skipif(not URI, reason="no test Neo4j server (run through scripts/test)")]

SECRET = "Pw-in-the-URI-9c1e"  # the no-auth test server accepts any credentials
HOSTPORT = URI.split("://", 1)[1] if URI else ""


def _wipe():
    from neo4j import GraphDatabase

    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        while s.run("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS c").single()["c"]:
            pass


def _query(cypher: str, **params) -> list[dict]:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(URI, auth=None, notifications_min_severity="OFF") as driver, driver.session() as s:
        return [r.data() for r in s.run(cypher, **params)]


@pytest.fixture
def wiped():
    _wipe()


# --------------------------------------------------------------------------- URIs


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("http://127.0.0.1:7474", "Neo4j Browser's address"),
        (f"https://neo4j:{SECRET}@127.0.0.1:7473", "Neo4j Browser's address"),
        ("ftp://127.0.0.1:7687", "not one the Neo4j driver speaks"),
        ("127.0.0.1:7687", "no scheme"),
        ("bolt://", "names no host"),
        ("bolt://127.0.0.1:99999", "port is not a number"),
        (f"bolt://neo4j:{SECRET}@127.0.0.1:port", "port is not a number"),
        ("bolt://127.0.0.1:7687/neo4j", "--database"),
        ("bolt://127.0.0.1:7687?policy=x", "only neo4j:// URIs take a query"),
        ("bolt://127.0.0.1 :7687", "space or a control character"),
    ],
)
def test_a_bad_uri_is_one_usage_line_naming_the_accepted_schemes(tiny, uri, why):
    r = run_cli("risk", "--neo4j", uri, "--out", tiny.parent / "o")
    refused(r, 2, why, "bolt://, bolt+s://, bolt+ssc://, neo4j://, neo4j+s://, neo4j+ssc://")
    assert SECRET not in r.output


def test_a_bad_uri_from_the_environment_is_refused_before_validation(tiny):
    r = run_cli("load", tiny, "--quiet", env={"NEO4J_URI": f"http://neo4j:{SECRET}@localhost:7474"})
    refused(r, 2, "NEO4J_URI", "http://neo4j:***@localhost:7474", "Bolt")
    assert SECRET not in r.output


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        (f"bolt:/neo4j:{SECRET}@127.0.0.1:1", "no scheme (did you mean bolt://?)"),
        (f"bolt//neo4j:{SECRET}@127.0.0.1:1", "no scheme (did you mean bolt://?)"),
        (f"neo4j:{SECRET}@127.0.0.1", "no scheme (did you mean neo4j://?)"),
        (f"mailto:u:{SECRET}@x", "no scheme (did you mean bolt://?)"),
        (f"bolt://neo4j:{SECRET}@[::1", "its host is neither a name nor an address"),
        (f"bolt://neo4j:{SECRET}@127.0.0.1:1]", "its host is neither a name nor an address"),
        (f"bolt://neo4j:{SECRET}@[zz]:1", "its host is neither a name nor an address"),
        (f"bolt://neo4j:{SECRET}#x@127.0.0.1:1", "percent-encode it ('/' → %2F, '?' → %3F, '#' → %23"),
        (f"bolt://neo4j:{SECRET}/x@127.0.0.1:1", "or give the password in NEO4J_PASSWORD"),
    ],
)
def test_a_mistyped_uri_never_shows_its_password(tiny, uri, why):
    """A URI whose scheme or host does not parse is still masked, and is a usage error, not a bug."""
    r = run_cli("risk", "--neo4j", uri, "--out", tiny.parent / "o")
    refused(r, 2, why, "neo4j:***@" if "neo4j:" in uri else ":***@")
    assert SECRET not in r.output
    r = run_cli("load", tiny, "--quiet", env={"NEO4J_URI": uri})
    refused(r, 2, "NEO4J_URI", why)
    assert SECRET not in r.output


def test_a_failure_is_the_one_line_of_channelgraph_not_the_drivers_log(tiny, tmp_path):
    """Nothing of the driver's logging (a routing-table failure) nor an empty progress bar before it."""
    r = run_cli("risk", "--neo4j", f"neo4j://user:{SECRET}@127.0.0.1:1", "--out", tmp_path / "o")
    refused(r, 3, "✗ cannot reach Neo4j at neo4j://127.0.0.1:1")
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("✗"), str(r)
    r = run_cli("load", tiny, "--neo4j", "bolt://127.0.0.1:1")  # with the progress bar
    refused(r, 3, "✗ cannot reach Neo4j at bolt://127.0.0.1:1")
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("✗"), str(r)


def test_the_password_given_is_masked_even_in_an_internal_error_line(capsys, monkeypatch):
    """The last-resort line (a bug's message that happens to quote it) never shows the password of
    --neo4j-password / NEO4J_PASSWORD, nor the one of the URI."""
    from channelgraph import cli

    monkeypatch.setattr(cli, "_PASSWORDS", [])  # as in a fresh process
    cli._target("bolt://neo4j:in-the-uri-5e1f@127.0.0.1:1", None, "given-by-option-77aa", None)
    code = cli._last_resort(RuntimeError("boom given-by-option-77aa in-the-uri-5e1f"))
    err = capsys.readouterr().err
    assert code == 4 and "boom *** ***" in err, err
    assert "given-by-option-77aa" not in err and "in-the-uri-5e1f" not in err


def test_a_password_in_the_uri_is_used_and_never_printed(tiny, tmp_path, wiped, caplog):
    uri = f"bolt://neo4j:{SECRET}@{HOSTPORT}"
    r = run_cli("load", tiny, "--neo4j", uri, "--quiet")
    assert r.code == 0, str(r)
    assert f"into bolt://{HOSTPORT}" in r.stdout and SECRET not in r.output
    r = run_cli("analyze", "--neo4j", uri, "--out", tmp_path / "out", "--write-back")
    assert r.code == 0, str(r)
    assert f"analysed bolt://{HOSTPORT}" in r.stdout and "wrote results back" in r.stdout and SECRET not in r.output
    r = run_cli("risk", "--neo4j", uri, "--out", tmp_path / "risk")
    assert r.code == 0 and SECRET not in r.output, str(r)
    # the failures: an unreachable server, a server refusal (another dataset)
    r = run_cli("risk", "--neo4j", f"bolt://neo4j:{SECRET}@127.0.0.1:1", "--out", tmp_path / "x")
    refused(r, 3, "cannot reach Neo4j at bolt://127.0.0.1:1")
    assert SECRET not in r.output
    other = write_dataset(
        tmp_path / "other",
        entities="id,kind,name\nZ1,person,赵六\n",
        relations="src,dst,type\n",
        exposures="facility_id,customer_id,product,outstanding\n",
        schemes=None,
    )
    r = run_cli("load", other, "--neo4j", uri, "--quiet")
    refused(r, 1, f"Neo4j at bolt://{HOSTPORT} holds another dataset", "--replace")
    assert SECRET not in r.output
    # nothing in the output files, nor in the driver's own DEBUG log (in-process run)
    for f in (tmp_path / "out").rglob("*"):
        assert not f.is_file() or SECRET.encode() not in f.read_bytes(), f
    from channelgraph.cli import main

    caplog.set_level(logging.DEBUG, logger="neo4j")
    res = CliRunner().invoke(main, ["risk", "--neo4j", uri, "--out", str(tmp_path / "risk2")])
    assert res.exit_code == 0, res.output
    assert "neo4j" in caplog.text.lower(), "the driver logged nothing at DEBUG: the check would be vacuous"
    assert SECRET not in caplog.text and SECRET not in res.output


AUTH_PORT = "7696"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """A password-protected server of its own (the launcher of the test server reused if at hand)."""
    state = tmp_path_factory.mktemp("uri-auth") / "state"
    ours = os.environ.get("NEO4J_LOCAL_DIR")
    if ours and Path(ours, "build").is_dir():
        state.mkdir()
        shutil.copytree(Path(ours, "build"), state / "build")
    env = dict(os.environ, NEO4J_LOCAL_DIR=str(state))
    script = str(ROOT / "scripts" / "neo4j-local")
    try:
        subprocess.run([script, "start", "--port", AUTH_PORT], check=True, capture_output=True, env=env, timeout=600)
        yield (state / "password").read_text(encoding="utf-8").strip()
    finally:
        subprocess.run([script, "stop"], check=False, capture_output=True, env=env, timeout=180)


def test_the_uri_password_authenticates_against_a_real_auth_server(tiny, tmp_path, auth_server):
    from urllib.parse import quote

    password = auth_server
    good = f"bolt://neo4j:{quote(password, safe='')}@127.0.0.1:{AUTH_PORT}"
    # the URI's credentials win over a wrong NEO4J_PASSWORD in the environment
    r = run_cli("load", tiny, "--neo4j", good, "--quiet", "--replace", env={"NEO4J_PASSWORD": "wrong-one"})
    assert r.code == 0, str(r)
    assert f"into bolt://127.0.0.1:{AUTH_PORT}" in r.stdout and password not in r.output
    r = run_cli("risk", "--neo4j", good, "--out", tmp_path / "risk")
    assert r.code == 0 and password not in r.output, str(r)
    r = run_cli("risk", "--neo4j", f"bolt://neo4j:{SECRET}@127.0.0.1:{AUTH_PORT}", "--out", tmp_path / "x")
    refused(r, 3, "refused the credentials of user 'neo4j'")
    assert SECRET not in r.output and password not in r.output


# --------------------------------------------------------------------------- consistency


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Path:
    """A generated book of 2,000 customers: ~3,100 entities and ~8,300 relations."""
    from channelgraph.generate import generate_dataset

    data = tmp_path_factory.mktemp("bank") / "bank"
    generate_dataset(data, customers=2000, seed=3)
    return data


def _kill_load_midway(*args) -> None:
    """Start ``channelgraph load ARGS``, SIGKILL it once it has written some entities."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    p = subprocess.Popen(
        [sys.executable, "-m", "channelgraph", "load", *map(str, args)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None:
            rows = _query(
                "OPTIONAL MATCH (d:Dataset) RETURN d.state AS state, d.name AS name, "
                "COUNT { MATCH (n:Entity) WHERE n._row IS NOT NULL AND n.id STARTS WITH 'P' } AS n"
            )
            if rows[0]["state"] == "loading" and rows[0]["name"] == "bank" and rows[0]["n"] >= 200:
                break
            time.sleep(0.05)
        assert p.poll() is None, "the load ended before it could be killed: " + p.stderr.read().decode()
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait(30)
    assert p.returncode == -signal.SIGKILL


def _assert_holds_exactly(data: Path) -> None:
    from channelgraph.io import load_dataset
    from channelgraph.store.neo4j import Neo4jTarget, read_dataset_from_neo4j

    back, ds = read_dataset_from_neo4j(Neo4jTarget(URI)), load_dataset(data)
    for name in ("entities", "relations", "exposures", "schemes"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(ds, name), check_dtype=True, obj=name)


def test_a_killed_first_load_is_refused_by_readers_and_healed_by_a_rerun(bank, tiny, tmp_path, wiped):
    _kill_load_midway(bank, "--neo4j", URI, "--batch-size", "20", "--quiet")
    r = run_cli("analyze", "--neo4j", URI, "--out", tmp_path / "o")
    refused(r, 3, "the dataset 'bank'", "is half-loaded", "channelgraph load DATA --neo4j URI")
    assert not (tmp_path / "o").exists()
    # another dataset may not be poured into the half-loaded one
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet")
    refused(r, 1, "holds another dataset ('bank'), half-loaded", "--replace")
    r = run_cli("load", bank, "--neo4j", URI, "--quiet")
    assert r.code == 0, str(r)
    _assert_holds_exactly(bank)
    assert run_cli("risk", "--neo4j", URI, "--out", tmp_path / "risk").code == 0


def test_a_killed_replace_is_refused_by_readers_and_a_plain_rerun_clears_again(bank, tiny, tmp_path, wiped):
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet")
    assert r.code == 0, str(r)
    _kill_load_midway(bank, "--neo4j", URI, "--batch-size", "20", "--quiet", "--replace")
    r = run_cli("risk", "--neo4j", URI, "--out", tmp_path / "o")
    refused(r, 3, "is half-loaded", "run `channelgraph load DATA --neo4j URI` again")
    # as if the kill had come while clearing: a row of the old dataset still there
    _query("CREATE (:Entity:Person {id: 'LEFT-OVER', name: '旧'})")
    # the rerun of the same load, even without --replace, clears what was left first
    r = run_cli("load", bank, "--neo4j", URI, "--quiet")
    assert r.code == 0, str(r)
    assert _query("MATCH (n:Entity) WHERE n.id IN ['E1', 'P1', 'M1', 'LEFT-OVER'] RETURN n.id AS id") == []
    _assert_holds_exactly(bank)
    assert _query("MATCH (d:Dataset) RETURN d.state AS s, d.replacing AS r") == [{"s": "loaded", "r": None}]


def test_loading_another_dataset_is_refused_unless_replace(tiny, tmp_path, wiped):
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet")
    assert r.code == 0, str(r)
    assert run_cli("load", tiny, "--neo4j", URI, "--quiet").code == 0  # the same one again: fine
    other = write_dataset(tmp_path / "other", entities=ENTITIES.replace("张三", "张三丰"))  # a changed version
    r = run_cli("load", other, "--neo4j", URI, "--quiet")
    refused(r, 1, "holds another dataset ('tiny'); loading 'other' would mix the two", "--replace")
    r = run_cli("load", other, "--neo4j", URI, "--quiet", "--replace")
    assert r.code == 0, str(r)
    _assert_holds_exactly(other)
    # channelgraph nodes without a record (an older channelgraph's interrupted replace, a hand edit)
    _query("MATCH (d:Dataset) DETACH DELETE d")
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet")
    refused(r, 1, "holds channelgraph nodes but no dataset record", "--replace")


def test_a_record_of_an_older_channelgraph_is_not_called_another_dataset(tiny, wiped):
    """A record without a fingerprint may hold this very dataset: the refusal says it cannot tell."""
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet")
    assert r.code == 0, str(r)
    _query("MATCH (d:Dataset) REMOVE d.fingerprint")  # as an older channelgraph left it
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet")
    refused(
        r,
        1,
        "holds a dataset ('tiny') loaded by an older channelgraph",
        "cannot tell whether it is 'tiny'",
        "--replace",
    )
    assert "another dataset" not in r.output
    assert run_cli("load", tiny, "--neo4j", URI, "--quiet", "--replace").code == 0


def test_a_stored_policy_failing_the_checks_is_one_line_and_the_policys_fault(tiny, tmp_path, wiped):
    """The policy text kept in Neo4j gets the checks of a policy file (lines named), in one line, exit 1."""
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet")
    assert r.code == 0, str(r)
    _query("MATCH (d:Dataset) SET d.policy_toml = $t", t="[caps]\nnot_a_key = 1\n[nosuch]\nx = 1\n")
    r = run_cli("risk", "--neo4j", URI, "--out", tmp_path / "o")
    refused(
        r,
        1,
        "the policy stored with the dataset in Neo4j",
        "policy.toml:2: [caps] not_a_key",
        "; policy.toml:3: nosuch",
        "give --policy FILE",
    )
    assert r.stderr.count("\n") == 1, str(r)
    assert not (tmp_path / "o").exists()
    _query("MATCH (d:Dataset) SET d.policy_toml = $t", t="[caps\n")  # not even TOML
    r = run_cli("risk", "--neo4j", URI, "--out", tmp_path / "o")
    refused(r, 1, "the policy stored with the dataset in Neo4j", "policy.toml:1")
    assert r.stderr.count("\n") == 1, str(r)


def test_no_driver_notification_reaches_stderr(tmp_path, wiped):
    """An 'unknown label' query (as on a fresh database) through channelgraph's driver prints nothing."""
    code = (
        "from channelgraph.store.neo4j import Neo4jTarget, open_driver\n"
        f"with open_driver(Neo4jTarget({URI!r})) as d, d.session() as s:\n"
        "    s.run('MATCH (n:NoSuchLabelEver) RETURN n').consume()\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_notifications_are_silenced_on_the_client_not_asked_off_the_server(wiped, caplog):
    """Servers before Neo4j 5.7 refuse a notification filter: the driver still receives the
    notifications, and logging set up by a program (here caplog) still gets them."""
    from channelgraph.store.neo4j import Neo4jTarget, open_driver

    caplog.set_level(logging.WARNING, logger="neo4j.notifications")
    with open_driver(Neo4jTarget(URI)) as d, d.session() as s:
        s.run("MATCH (n:NoSuchLabelEver) RETURN n").consume()
    assert "NoSuchLabelEver" in caplog.text


# --------------------------------------------------------------------------- a broken installation


def test_a_missing_statement_file_names_it_and_is_no_connection_problem(tiny, tmp_path, wiped):
    """A package without one of its .cypher files (as the wheel once was) says which file and to
    reinstall: no 'lost the connection to Neo4j', no 'internal error'."""
    pkg = tmp_path / "site"
    shutil.copytree(
        ROOT / "src" / "channelgraph",
        pkg / "channelgraph",
        symlinks=False,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    gone = pkg / "channelgraph" / "cypher" / "load" / "create_entities.cypher"
    gone.unlink()
    r = run_cli("load", tiny, "--neo4j", URI, "--quiet", env={"PYTHONPATH": str(pkg)})
    refused(r, 3, str(gone), "missing from its installation", "reinstall channelgraph")
    assert "connection" not in r.output
    no_traceback(r)
