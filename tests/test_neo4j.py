"""The Neo4j backend against a real server (started by scripts/test; never mocked).

CHANNELGRAPH_TEST_NEO4J_URI names a throw-away server: these tests delete everything in it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ENTITIES, ROOT, SAMPLE

from channelgraph.graph import build_book
from channelgraph.cli import main
from channelgraph.io import load_dataset
from channelgraph.store.neo4j import (
    DatasetConflict,
    Neo4jFailure,
    Neo4jTarget,
    load_dataset_to_neo4j,
    neo4j_counts,
    read_dataset_from_neo4j,
)

URI = os.environ.get("CHANNELGRAPH_TEST_NEO4J_URI")
if not URI and os.environ.get("CI"):
    raise RuntimeError("CI must run the Neo4j tests: CHANNELGRAPH_TEST_NEO4J_URI is not set (scripts/test sets it)")
pytestmark = [pytest.mark.neo4j, pytest.mark.skipif(not URI, reason="no test Neo4j server (run through scripts/test)")]


def _wipe():
    from neo4j import GraphDatabase

    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        while s.run("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS c").single()["c"]:
            pass


@pytest.fixture
def target():
    _wipe()
    return Neo4jTarget(URI)


def _dump(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_load_counts_and_idempotence(tiny, target):
    ds = load_dataset(tiny)
    first = load_dataset_to_neo4j(ds, target, batch_size=3)
    assert first["nodes"]["Entity"] == 8
    assert first["nodes"]["Person"] == 2 and first["nodes"]["Enterprise"] == 3
    assert first["nodes"]["Facility"] == 4 and first["nodes"]["Scheme"] == 1
    assert first["relationships"]["GUARANTEES"] == 2
    assert first["relationships"]["HAS_FACILITY"] == 4
    assert first["relationships"]["UNDER_SCHEME"] == 2
    assert first["relationships"]["FOR_CHANNEL"] == 1
    second = load_dataset_to_neo4j(ds, target, batch_size=5)
    assert second == first


def test_a_changed_dataset_is_refused_unless_replace(make_dataset, target):
    """A changed dataset is another dataset: merged into the old one, its removed rows would
    stay while the record claimed the new one. Refused without replace, loaded with it."""
    load_dataset_to_neo4j(load_dataset(make_dataset()), target)
    changed = make_dataset(entities=ENTITIES.replace("恒达印染有限公司,true,20000000", "恒达印染集团,true,25000000.50"))
    with pytest.raises(DatasetConflict, match=r"holds another dataset \('ds0'\); loading 'ds1' .*--replace"):
        load_dataset_to_neo4j(load_dataset(changed), target)
    assert read_dataset_from_neo4j(target).entities.set_index("id").loc["E2", "name"] == "恒达印染有限公司"
    counts = load_dataset_to_neo4j(load_dataset(changed), target, replace=True)
    back = read_dataset_from_neo4j(target).entities.set_index("id")
    assert back.loc["E2", "name"] == "恒达印染集团"
    assert back.loc["E2", "net_assets"] == 2_500_000_050
    assert counts["nodes"]["Entity"] == 8


def test_read_back_rebuilds_the_same_tables(make_dataset, target):
    ent = ENTITIES.replace(
        "id,kind,name,is_customer,net_assets,industry,region",
        "id,kind,name,is_customer,net_assets,industry,region,note",
    )
    lines = ent.strip().split("\n")
    ent = "\n".join([lines[0]] + [line + ",x" for line in lines[1:]]) + "\n"
    ds = load_dataset(make_dataset(entities=ent, policy='tier1_capital = "123456789.12"\n'))
    load_dataset_to_neo4j(ds, target)
    back = read_dataset_from_neo4j(target)
    for name in ("entities", "relations", "exposures", "schemes"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(ds, name), check_dtype=True, obj=name)
    assert back.policy.tier1_capital_fen == 12_345_678_912
    assert back.encodings == ds.encodings


#: The tiny dataset with every column of issue 21: an interbank and an exempt enterprise, a
#: buyer share, a shared repayment source, and off-balance items with undrawn, margin,
#: original maturity and cancellable.
NEW_ENTITIES = """\
id,kind,name,is_customer,net_assets,industry,region,is_interbank,exempt
P1,person,张三,是,1000000,,柯桥区,,
E1,enterprise,华丰纺织有限公司,true,60000000,纺织,柯桥区,false,
E2,enterprise,恒达印染有限公司,true,20000000,印染,越城区,,
E3,enterprise,金鑫服装有限公司,true,40000000,服装,柯桥区,,
E4,enterprise,绍兴农村商业银行,true,900000000,银行,越城区,true,
E5,enterprise,国家开发银行浙江省分行,true,,银行,,false,policy_bank
C1,chamber,温州商会,false,,,,,
"""
NEW_RELATIONS = (
    "src,dst,type,amount,share,role,buyer_share\n"
    "P1,E1,CONTROLS,,0.6,,\nE1,E2,GUARANTEES,30000000,,,\nE3,E1,SUPPLIES,,0.3,,0.55\n"
    "E2,E3,SUPPLIES,,,,\nE2,E3,SHARES_REPAYMENT_SOURCE,,,,\n"
)
NEW_EXPOSURES = (
    "facility_id,customer_id,outstanding,limit,product,exposure_type,undrawn,margin,original_maturity_days,cancellable\n"
    "F1,E1,1000000.00,2000000,working_capital,loan,1000000,,365,\n"
    "F2,E2,500000,,bank_acceptance,bank_acceptance,,200000.50,180,\n"
    "F3,E3,300000,,,performance_guarantee,,,,\n"
    "F4,E3,0,,,undrawn_commitment,800000,,730,true\n"
    "F5,E4,50000000,,interbank_lending,,,,,\n"
    "F6,E5,20000000,,,financial_guarantee,,,,false\n"
)


def _new_columns_dataset(make_dataset) -> Path:
    return make_dataset(entities=NEW_ENTITIES, relations=NEW_RELATIONS, exposures=NEW_EXPOSURES)


def test_the_columns_of_issue_21_load_and_read_back(make_dataset, target):
    ds = load_dataset(_new_columns_dataset(make_dataset))
    assert ds.entities.set_index("id").loc["E4", "is_interbank"]
    counts = load_dataset_to_neo4j(ds, target)
    assert counts["relationships"]["SHARES_REPAYMENT_SOURCE"] == 1
    back = read_dataset_from_neo4j(target)
    for name in ("entities", "relations", "exposures", "schemes"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(ds, name), check_dtype=True, obj=name)
    from neo4j import GraphDatabase

    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        f2 = s.run("MATCH (f:Facility {id: 'F2'}) RETURN properties(f) AS p").single()["p"]
        e5 = s.run("MATCH (e:Entity {id: 'E5'}) RETURN properties(e) AS p").single()["p"]
        sup = s.run("MATCH (:Entity {id: 'E3'})-[r:SUPPLIES]->(:Entity {id: 'E1'}) RETURN r.buyer_share AS b").single()
    assert f2["exposure_type"] == "bank_acceptance" and f2["margin_fen"] == 20_000_050
    assert f2["original_maturity_days"] == 180 and f2["cancellable"] is False
    assert e5["exempt"] == "policy_bank" and e5["is_interbank"] is False
    assert sup["b"] == 0.55


def test_a_dataset_loaded_before_issue_21_reads_back_with_the_defaults(make_dataset, target):
    """A database loaded by an older channelgraph has no new columns in its record nor on its
    nodes: read back, they take the defaults a CSV without them gets (not interbank, not
    exempt, loan, nothing undrawn), in the validator's column order."""
    from neo4j import GraphDatabase

    ds = load_dataset(make_dataset())
    load_dataset_to_neo4j(ds, target)
    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        s.run(
            "MATCH (d:Dataset) SET d.entity_columns = [c IN d.entity_columns WHERE NOT c IN ['is_interbank', 'exempt']], "
            "d.relation_columns = [c IN d.relation_columns WHERE c <> 'buyer_share'], "
            "d.exposure_columns = d.exposure_columns[0..7]"
        ).consume()
        s.run("MATCH (e:Entity) REMOVE e.is_interbank, e.exempt").consume()
        s.run("MATCH (f:Facility) REMOVE f.exposure_type, f.cancellable").consume()
    back = read_dataset_from_neo4j(target)
    for name in ("entities", "relations", "exposures", "schemes"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(ds, name), check_dtype=True, obj=name)


def test_parity_embedded_vs_neo4j_with_the_columns_of_issue_21(make_dataset, target, tmp_path):
    data = _new_columns_dataset(make_dataset)
    r = CliRunner().invoke(main, ["load", str(data), "--neo4j", URI, "--quiet"])
    assert r.exit_code == 0, r.output
    _assert_same_outputs_as_embedded(data, URI, tmp_path)


def test_cypher_looking_ids_and_names_are_stored_verbatim(make_dataset, target):
    evil_id = "x'}) DETACH DELETE n //"
    evil_name = "Robert'); MATCH (n) DETACH DELETE n; //"
    ent = ENTITIES + f'"{evil_id}",person,"{evil_name}",false,,,\n'
    ds = load_dataset(make_dataset(entities=ent, relations=f'src,dst,type\n"{evil_id}",P1,REFERRED\n'))
    load_dataset_to_neo4j(ds, target)
    back = read_dataset_from_neo4j(target).entities.set_index("id")
    assert back.loc[evil_id, "name"] == evil_name
    assert neo4j_counts(target)["nodes"]["Entity"] == 9


def _assert_same_outputs_as_embedded(data: Path, uri: str, tmp_path: Path) -> None:
    """``analyze DATA`` and ``analyze --neo4j URI`` write the same files, byte for byte."""
    runner = CliRunner()
    r = runner.invoke(main, ["analyze", str(data), "--out", str(tmp_path / "csv")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["analyze", "--neo4j", uri, "--out", str(tmp_path / "neo")])
    assert r.exit_code == 0, r.output
    a, b = _dump(tmp_path / "csv"), _dump(tmp_path / "neo")
    assert sorted(a) == sorted(b) and len(a) > 5
    for name in a:
        assert a[name] == b[name], f"{name} differs between the embedded and the Neo4j backend"


def test_parity_embedded_vs_neo4j_on_the_sample(target, tmp_path):
    r = CliRunner().invoke(main, ["load", str(SAMPLE), "--neo4j", URI, "--quiet"])
    assert r.exit_code == 0, r.output
    _assert_same_outputs_as_embedded(SAMPLE, URI, tmp_path)


def test_parity_on_a_generated_5000_customer_bank(target, tmp_path):
    from channelgraph.generate import generate_dataset

    data = tmp_path / "bank"
    generate_dataset(data, customers=5000, seed=11)
    r = CliRunner().invoke(main, ["load", str(data), "--neo4j", URI, "--quiet"])
    assert r.exit_code == 0, r.output
    CliRunner().invoke(main, ["analyze", str(data), "--out", str(tmp_path / "csv")])
    r = CliRunner().invoke(main, ["analyze", "--neo4j", URI, "--out", str(tmp_path / "neo")])
    assert r.exit_code == 0, r.output
    a, b = _dump(tmp_path / "csv"), _dump(tmp_path / "neo")
    assert sorted(a) == sorted(b)
    assert [n for n in a if a[n] != b[n]] == []


def test_replace_removes_rows_gone_from_the_dataset(make_dataset, target):
    load_dataset_to_neo4j(load_dataset(make_dataset()), target)
    smaller = make_dataset(
        entities=ENTITIES.replace("P2,person,李四,否,,,柯桥区\n", ""),
        relations="src,dst,type,amount,share\nE1,E2,GUARANTEES,100,\n",
    )
    counts = load_dataset_to_neo4j(load_dataset(smaller), target, replace=True)
    assert counts["nodes"]["Entity"] == 7
    assert counts["relationships"]["GUARANTEES"] == 1


def test_unreachable_server_is_one_clear_line(tiny):
    r = CliRunner().invoke(main, ["load", str(tiny), "--neo4j", "bolt://127.0.0.1:1", "--quiet"])
    assert r.exit_code == 3
    assert "cannot reach Neo4j at bolt://127.0.0.1:1" in r.output
    assert "Traceback" not in r.output
    with pytest.raises(Neo4jFailure):
        read_dataset_from_neo4j(Neo4jTarget("bolt://127.0.0.1:1"))


def test_read_back_from_an_empty_database_says_load_first(target):
    with pytest.raises(Neo4jFailure, match="load one first"):
        read_dataset_from_neo4j(target)


# --------------------------------------------------------------------- server faults


def _local_server():
    """(pid file, port) of the server scripts/test started, or skip if it is not ours."""
    state = os.environ.get("NEO4J_LOCAL_DIR")
    if not state or not Path(state, "neo4j.pid").exists():
        pytest.skip("the test server was not started by scripts/neo4j-local")
    return Path(state, "neo4j.pid"), URI.rsplit(":", 1)[1]


def _restart(port: str):
    subprocess.run(
        [str(ROOT / "scripts" / "neo4j-local"), "start", "--no-auth", "--port", port],
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_load_interrupted_by_a_killed_server_completes_on_rerun(target, tmp_path):
    from channelgraph.generate import generate_dataset

    pidfile, port = _local_server()
    data = tmp_path / "bank"
    generate_dataset(data, customers=3000, seed=5)
    ds = load_dataset(data)
    reference = load_dataset_to_neo4j(ds, target, batch_size=500)
    _wipe()

    killed = threading.Event()

    def kill_midway(stage, done, total):
        if stage == "relations" and done >= total // 3 and not killed.is_set():
            os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
            killed.set()

    try:
        with pytest.raises(Neo4jFailure):
            load_dataset_to_neo4j(ds, target, batch_size=500, progress=kill_midway)
        assert killed.is_set()
    finally:
        time.sleep(1)
        _restart(port)
    partial = neo4j_counts(target)
    assert (
        partial["relationships"].get("GUARANTEES", 0) + partial["relationships"].get("REFERRED", 0)
        < reference["relationships"]["GUARANTEES"] + reference["relationships"]["REFERRED"]
    )
    rerun = load_dataset_to_neo4j(ds, target, batch_size=500)
    assert rerun == reference


def test_wrong_password_is_refused_without_leaking_it(tiny, tmp_path):
    """Runs a second, password-protected server for the duration of the test."""
    state = tmp_path / "authserver"
    env = dict(os.environ, NEO4J_LOCAL_DIR=str(state))
    port = "7699"
    script = str(ROOT / "scripts" / "neo4j-local")
    subprocess.run([script, "start", "--port", port], check=True, capture_output=True, env=env, timeout=300)
    try:
        password = (state / "password").read_text().strip()
        uri = f"bolt://127.0.0.1:{port}"
        secret = "not-the-password-" + "x7Q"
        r = CliRunner(env={"NEO4J_PASSWORD": secret}).invoke(main, ["load", str(tiny), "--neo4j", uri, "--quiet"])
        assert r.exit_code == 3
        assert "refused the credentials" in r.output
        assert secret not in r.output and "Traceback" not in r.output
        r = CliRunner(env={"NEO4J_PASSWORD": password}).invoke(main, ["load", str(tiny), "--neo4j", uri])
        assert r.exit_code == 0, r.output
        assert password not in r.output
        assert "Entity" in r.output
    finally:
        subprocess.run([script, "stop"], check=False, capture_output=True, env=env, timeout=120)


def test_write_back_stores_results_on_the_nodes(target, tmp_path):
    from neo4j import GraphDatabase

    from channelgraph.analyses import node_results, run_analyses
    from channelgraph.store.neo4j import cypher

    runner = CliRunner()
    assert runner.invoke(main, ["load", str(SAMPLE), "--neo4j", URI, "--quiet"]).exit_code == 0
    r = runner.invoke(main, ["analyze", "--neo4j", URI, "--out", str(tmp_path / "o"), "--write-back"])
    assert r.exit_code == 0, r.output
    assert "wrote results back" in r.output
    ds = load_dataset(SAMPLE)
    expected = node_results(run_analyses(build_book(ds)))
    keys = {k for props in expected.values() for k in props}
    assert {"hub_rank", "hub_score", "group_id", "group_status", "risk_source_rank"} <= keys
    clear_text = cypher("write/clear_results")
    assert all(f"n.{k}" in clear_text for k in keys), "clear_results.cypher misses a written property"
    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        got = {
            rec["id"]: rec["p"]
            for rec in s.run(
                "MATCH (n:Entity) WHERE n.group_id IS NOT NULL OR n.hub_rank IS NOT NULL "
                "RETURN n.id AS id, properties(n) AS p"
            )
        }
        assert set(got) == set(expected)
        for eid, props in expected.items():
            for k, v in props.items():
                assert got[eid][k] == v, (eid, k)
        top = s.run("MATCH (n:Entity) WHERE n.hub_rank = 1 RETURN n.id AS id").single()["id"]
        breached = s.run("MATCH (n:Entity {group_status: 'breach'}) RETURN count(n) AS c").single()["c"]
    assert top == next(e for e, p in expected.items() if p.get("hub_rank") == 1)
    assert breached > 0
    # the example queries in cypher/browser run and find what the write-back stored
    params = {"top": 10, "channel_id": "C0001"}
    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        found = {}
        for f in sorted((ROOT / "cypher" / "browser").glob("*.cypher")):
            found[f.stem] = len(list(s.run(f.read_text(encoding="utf-8"), **params)))
    assert found["breached_groups"] >= 1 and found["top_hubs"] == 10 and found["risk_sources"] == 10
    assert found["guarantee_circles"] >= 3 and found["channel_members"] > 10
    # a second write-back leaves no stale values and the same nodes
    r = runner.invoke(main, ["analyze", "--neo4j", URI, "--out", str(tmp_path / "o2"), "--write-back"])
    assert r.exit_code == 0, r.output


def test_property_embedded_and_neo4j_outputs_are_equal(tmp_path):
    """Hypothesis over generated banks (seed, size, capital): every output file is identical."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from channelgraph.generate import generate_dataset

    counter = iter(range(1000))

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 10_000), customers=st.integers(30, 400), capital_scale=st.sampled_from([1, 3, 50]))
    def check(seed, customers, capital_scale):
        _wipe()
        i = next(counter)
        data = tmp_path / f"bank{i}"
        generate_dataset(data, customers=customers, seed=seed)
        pol = (data / "policy.toml").read_text(encoding="utf-8")
        for key in ("tier1_capital", "net_capital"):  # both scaled: net capital below tier-1 is refused
            given = pol.split(f'{key} = "')[1].split('"')[0]
            pol = pol.replace(f'{key} = "{given}"', f'{key} = "{int(float(given) * capital_scale)}.00"')
        (data / "policy.toml").write_text(pol, encoding="utf-8")
        runner = CliRunner()
        assert runner.invoke(main, ["load", str(data), "--neo4j", URI, "--quiet", "--replace"]).exit_code == 0
        a_out, b_out = tmp_path / f"csv{i}", tmp_path / f"neo{i}"
        assert runner.invoke(main, ["analyze", str(data), "--out", str(a_out)]).exit_code == 0
        r = runner.invoke(main, ["analyze", "--neo4j", URI, "--out", str(b_out)])
        assert r.exit_code == 0, r.output
        a, b = _dump(a_out), _dump(b_out)
        assert sorted(a) == sorted(b)
        assert [n for n in a if a[n] != b[n]] == []

    check()


# --------------------------------------------------------------------- load paths (create vs merge)


def _labels_of(eid: str) -> set[str]:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        return set(s.run("MATCH (n:Entity {id: $id}) RETURN labels(n) AS l", id=eid).single()["l"])


def test_first_load_creates_and_reload_merges_to_the_same_database(make_dataset, target):
    """A first load CREATEs nodes, a reload MERGEs them: the same counts, tables and labels."""
    ds = load_dataset(make_dataset())
    created = load_dataset_to_neo4j(ds, target, batch_size=2)
    back_created = read_dataset_from_neo4j(target)
    merged = load_dataset_to_neo4j(ds, target, batch_size=2)
    back_merged = read_dataset_from_neo4j(target)
    assert created == merged
    for name in ("entities", "relations", "exposures", "schemes"):
        pd.testing.assert_frame_equal(getattr(back_created, name), getattr(ds, name), obj=name)
        pd.testing.assert_frame_equal(getattr(back_merged, name), getattr(ds, name), obj=name)
    assert _labels_of("E1") == {"Entity", "Enterprise"} and _labels_of("P1") == {"Entity", "Person"}


def test_a_changed_kind_moves_the_node_to_its_new_label(make_dataset, target):
    load_dataset_to_neo4j(load_dataset(make_dataset(entities=ENTITIES + "X1,person,王五,否,,,\n")), target)
    assert _labels_of("X1") == {"Entity", "Person"}
    counts = load_dataset_to_neo4j(
        load_dataset(make_dataset(entities=ENTITIES + "X1,enterprise,王五商行,否,,,\n")), target, replace=True
    )
    assert _labels_of("X1") == {"Entity", "Enterprise"}
    assert counts["nodes"]["Person"] == 2 and counts["nodes"]["Enterprise"] == 4
    assert read_dataset_from_neo4j(target).entities.set_index("id").loc["X1", "kind"] == "enterprise"


def test_a_create_batch_run_twice_is_refused_not_doubled(tiny, target):
    """The CREATE path relies on the uniqueness constraints: a replayed batch fails, never duplicates."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import ConstraintError

    from channelgraph.store.neo4j import ENTITY_RENAME, cypher, property_maps

    ds = load_dataset(tiny)
    load_dataset_to_neo4j(ds, target)
    rows = property_maps(ds.entities[ds.entities["kind"] == "person"], ENTITY_RENAME)
    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s, pytest.raises(ConstraintError):
        s.execute_write(lambda tx: tx.run(cypher("load/create_entities", LABEL="Person"), rows=rows).consume())
    assert neo4j_counts(target)["nodes"]["Person"] == 2


def test_load_statements_find_nodes_through_the_uniqueness_constraints(target):
    """EXPLAIN every load statement: each node lookup is a unique-index seek, never a scan."""
    from neo4j import GraphDatabase

    from channelgraph.store.neo4j import _statements, _strip_comments, cypher

    def operators(plan) -> list[tuple[str, str]]:
        found = [(plan["operatorType"].split("@")[0], plan.get("args", {}).get("Details", ""))]
        for child in plan.get("children", []):
            found += operators(child)
        return found

    statements = {
        "entities": cypher("load/entities", LABEL="Person", OTHER_LABELS=":Enterprise:Chamber:Market:Intermediary"),
        "create_entities": cypher("load/create_entities", LABEL="Person"),
        "relations": cypher("load/relations", TYPE="GUARANTEES"),
        "create_relations": cypher("load/create_relations", TYPE="GUARANTEES"),
        "facilities": cypher("load/facilities"),
        "create_facilities": cypher("load/create_facilities"),
        "schemes": cypher("load/schemes"),
        "create_schemes": cypher("load/create_schemes"),
    }
    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        for stmt in _statements(cypher("schema")):
            s.run(stmt).consume()
        s.run("CALL db.awaitIndexes(300)").consume()
        for name, text in statements.items():
            ops = operators(s.run("EXPLAIN " + text, rows=[]).consume().plan)
            names = [op for op, _ in ops]
            assert not any("Scan" in op for op in names), (name, names)
            seeks = [details for op, details in ops if op.startswith("NodeUniqueIndexSeek")]
            code = _strip_comments(text)
            lookups = code.count("MATCH (") + sum(code.count(f"MERGE ({v}:") for v in "nfs")
            assert len(seeks) == lookups, (name, ops)


# --------------------------------------------------------------------- bulk import


def _graph_content(uri: str) -> tuple[list, list]:
    """Every node (labels, properties) and relationship (type, ends, properties), sorted."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri, auth=None) as driver, driver.session() as s:
        nodes = sorted(
            (sorted(r["l"]), sorted(r["p"].items()))
            for r in s.run("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
        )
        rels = sorted(
            (r["t"], r["a"], r["b"], sorted(r["p"].items()))
            for r in s.run("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS a, b.id AS b, properties(r) AS p")
        )
    return nodes, rels


def test_bulk_import_gives_the_same_database_as_load(target, tmp_path):
    """export-neo4j → Neo4j's offline importer → load finishes it: the same counts as a Cypher
    load, the same tables read back, the same analysis outputs as the embedded backend."""
    import shutil

    cypher_counts = load_dataset_to_neo4j(load_dataset(SAMPLE), target)

    runner = CliRunner()
    r = runner.invoke(main, ["export-neo4j", str(SAMPLE), str(tmp_path / "import")])
    assert r.exit_code == 0, r.output

    state = tmp_path / "imported-server"
    ours = os.environ.get("NEO4J_LOCAL_DIR")
    if ours and Path(ours, "build").is_dir():  # reuse the launcher the test server was built with
        state.mkdir()
        shutil.copytree(Path(ours, "build"), state / "build")
    env = dict(os.environ, NEO4J_LOCAL_DIR=str(state))
    script = str(ROOT / "scripts" / "neo4j-local")
    port = "7697"
    imported = subprocess.run(
        [script, "import", f"@{tmp_path / 'import' / 'import.args'}"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
    assert "IMPORT DONE" in imported.stdout + imported.stderr
    subprocess.run(
        [script, "start", "--no-auth", "--port", port], check=True, capture_output=True, env=env, timeout=300
    )
    try:
        uri = f"bolt://127.0.0.1:{port}"
        bulk = Neo4jTarget(uri)
        with pytest.raises(Neo4jFailure, match="bulk-imported and not finished"):
            read_dataset_from_neo4j(bulk)  # the importer's Dataset node has no columns yet
        r = runner.invoke(main, ["load", str(SAMPLE), "--neo4j", uri, "--quiet"])
        assert r.exit_code == 0, r.output
        assert "bulk-imported" in r.output and "no row written again" in r.output
        assert neo4j_counts(bulk) == cypher_counts
        # node for node and relationship for relationship, every label and property (an empty
        # text is a property "" in both, a missing amount no property in both)
        assert _graph_content(uri) == _graph_content(URI)
        back, ds = read_dataset_from_neo4j(bulk), load_dataset(SAMPLE)
        for name in ("entities", "relations", "exposures", "schemes"):
            pd.testing.assert_frame_equal(getattr(back, name), getattr(ds, name), check_dtype=True, obj=name)
        _assert_same_outputs_as_embedded(SAMPLE, uri, tmp_path)
        # Finished, the database loads like any other: a second load merges to the same counts.
        stages = []
        again = load_dataset_to_neo4j(load_dataset(SAMPLE), bulk, progress=lambda s, *_: stages.append(s))
        assert again == cypher_counts and "relations" in stages and "imported" not in stages
    finally:
        subprocess.run([script, "stop"], check=False, capture_output=True, env=env, timeout=120)


def test_a_changed_dataset_is_not_mistaken_for_the_imported_one(make_dataset, target, tmp_path):
    """The fingerprint left by an import only matches the very dataset exported: another one loads
    normally (here the marker is planted by Cypher, as the importer would leave it)."""
    from neo4j import GraphDatabase

    from channelgraph.store.neo4j_import import dataset_fingerprint

    first = load_dataset(make_dataset())
    load_dataset_to_neo4j(first, target)
    with GraphDatabase.driver(URI, auth=None) as driver, driver.session() as s:
        s.run("MATCH (d:Dataset) SET d.import_fingerprint = $f", f=dataset_fingerprint(first)).consume()
    changed = load_dataset(make_dataset(entities=ENTITIES.replace("张三", "张三丰")))
    with pytest.raises(DatasetConflict):
        load_dataset_to_neo4j(changed, target)
    stages = []
    load_dataset_to_neo4j(changed, target, replace=True, progress=lambda s, *_: stages.append(s))
    assert "entities" in stages and "imported" not in stages
    assert read_dataset_from_neo4j(target).entities.set_index("id").loc["P1", "name"] == "张三丰"
