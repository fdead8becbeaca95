"""The files for Neo4j's offline importer (no server here; tests/test_neo4j.py imports them
into a real one and compares the database with a Cypher load)."""

from __future__ import annotations

import csv
import os
import io

import pytest
from click.testing import CliRunner
from conftest import ENTITIES, RELATIONS, SAMPLE

from channelgraph.cli import main
from channelgraph.io import load_dataset
from channelgraph.store.neo4j_import import dataset_fingerprint, write_import_files


def _groups(files) -> dict[str, list[str]]:
    """import.args as {option: [file, ...]} (picocli's quoted argument file)."""
    out = {}
    for line in files.args_file.read_text(encoding="utf-8").splitlines():
        arg = line[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if arg.startswith("--multiline"):
            out[arg] = []
            continue
        option, paths = arg.rsplit("=", 1)
        out[option] = paths.split(",")
    return out


def _text(paths: list[str]) -> str:
    return "".join(open(p, encoding="utf-8").read() for p in paths)


def _rows(paths: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_text(paths))))


def test_entities_keep_the_cypher_loaders_properties_and_types(make_dataset, tmp_path):
    ent = ENTITIES + '"Q,1",person,"王""五",否,,,\n'
    files = write_import_files(load_dataset(make_dataset(entities=ent)), tmp_path / "out")
    groups = _groups(files)
    person = groups["--nodes=Entity:Person"]
    text = _text(person)
    header = text.splitlines()[0].split(",")
    assert header == [
        "id:ID(Entity)",
        "kind",
        "name",
        "is_customer:boolean",
        "industry",
        "region",
        "segment",
        "net_assets_fen:long",
        "annual_revenue_fen:long",
        "is_interbank:boolean",
        "exempt",
        "_row:long",
    ]
    lines = text.splitlines()[1:]
    # Texts are quoted (an empty text stays a property ""), quotes doubled; a missing
    # amount is an unquoted empty field (no property), as the Cypher loader leaves it out.
    assert lines[0] == '"P1","person","张三",true,"","柯桥区","",100000000,,false,"",0'
    assert lines[1] == '"P2","person","李四",false,"","柯桥区","",,,false,"",1'
    assert lines[2] == '"Q,1","person","王""五",false,"","","",,,false,"",8'
    assert files.nodes == {
        "Entity": 9,
        "Person": 3,
        "Enterprise": 3,
        "Chamber": 1,
        "Market": 1,
        "Intermediary": 1,
        "Scheme": 1,
        "Facility": 4,
        "Dataset": 1,
    }
    assert files.node_count == 9 + 1 + 4 + 1


def test_relationships_facilities_and_schemes(make_dataset, tmp_path):
    files = write_import_files(load_dataset(make_dataset()), tmp_path / "out")
    groups = _groups(files)
    guarantees = _rows(groups["--relationships=GUARANTEES"])
    assert guarantees[0] == [
        ":START_ID(Entity)",
        ":END_ID(Entity)",
        "amount_fen:long",
        "share:double",
        "buyer_share:double",
        "role",
        "since",
        "_row:long",
    ]
    assert guarantees[1:] == [
        ["E1", "E2", "3000000000", "", "", "", "", "1"],
        ["E2", "E1", "500000000", "", "", "", "", "2"],
    ]
    controls = _rows(groups["--relationships=CONTROLS"])
    assert controls[1][3] == "0.6"
    facilities = _rows(groups["--nodes=Facility"])
    assert facilities[0] == [
        "id:ID(Facility)",
        "customer_id",
        "outstanding_fen:long",
        "limit_fen:long",
        "product",
        "scheme_id",
        "status",
        "exposure_type",
        "undrawn_fen:long",
        "margin_fen:long",
        "original_maturity_days:long",
        "cancellable:boolean",
        "_row:long",
    ]
    assert facilities[2] == [
        "F2",
        "E2",
        "25000050",
        "",
        "working_capital",
        "",
        "special_mention",
        "loan",
        "",
        "",
        "",
        "false",
        "1",
    ]
    # Only facilities whose scheme exists are UNDER_SCHEME (as in the Cypher loader).
    assert _rows(groups["--relationships=UNDER_SCHEME"])[1:] == [["F1", "S1"], ["F3", "S1"]]
    assert _rows(groups["--relationships=HAS_FACILITY"])[0] == [":START_ID(Entity)", ":END_ID(Facility)"]
    assert _rows(groups["--relationships=FOR_CHANNEL"])[1:] == [["S1", "C1"]]
    assert files.relationships["GUARANTEES"] == 2 and files.relationships["HAS_FACILITY"] == 4
    assert files.relationships["UNDER_SCHEME"] == 2 and files.relationships["FOR_CHANNEL"] == 1
    dataset = _rows(groups["--nodes=Dataset"])
    assert dataset == [["id:ID(Dataset)", "import_fingerprint"], ["channelgraph", files.fingerprint]]
    assert "--multiline-fields=true" not in groups


@pytest.mark.parametrize("table", ["entities", "relations"])
def test_a_line_break_in_a_value_turns_on_multiline_fields(make_dataset, tmp_path, table):
    """A name may not hold a line break, an extra column (a remark) may: its quoted field then
    spans two lines and the importer must be told so."""
    header, *rows = {"entities": ENTITIES, "relations": RELATIONS}[table].strip().split("\n")
    text = "\n".join([header + ",remark", *(row + "," for row in rows[:-1]), rows[-1] + ',"两行\n备注"']) + "\n"
    files = write_import_files(load_dataset(make_dataset(**{table: text})), tmp_path / "out")
    groups = _groups(files)
    assert "--multiline-fields=true" in groups
    assert any("两行\n备注" in _rows(paths)[-1] for paths in groups.values() if paths), groups


def test_parallel_parts_give_the_same_files_as_one_pass(tmp_path):
    ds = load_dataset(SAMPLE)
    one = write_import_files(ds, tmp_path / "one")
    many = write_import_files(ds, tmp_path / "many", part_rows=100, parallel_min_cells=0)
    a, b = _groups(one), _groups(many)
    assert list(a) == list(b)
    assert any(len(paths) > 3 for paths in b.values())  # really split into parts
    for option in a:
        assert _text(a[option]) == _text(b[option]), option
    assert (one.nodes, one.relationships, one.fingerprint) == (many.nodes, many.relationships, many.fingerprint)


def test_the_fingerprint_follows_every_cell(make_dataset):
    base = dataset_fingerprint(load_dataset(make_dataset()))
    assert base == dataset_fingerprint(load_dataset(make_dataset()))
    changed = dataset_fingerprint(load_dataset(make_dataset(relations=RELATIONS.replace("0.6", "0.61"))))
    assert changed != base


def test_a_column_name_the_importer_cannot_take_is_refused_clearly(make_dataset, tmp_path):
    ent = ENTITIES.replace("region\n", "region,a:b\n", 1)
    ent = "\n".join(line + ("," if i else "") for i, line in enumerate(ent.strip().split("\n"))) + "\n"
    ds = load_dataset(make_dataset(entities=ent))
    with pytest.raises(ValueError, match="'a:b' cannot be a property name"):
        write_import_files(ds, tmp_path / "out")


def test_export_command(tmp_path):
    r = CliRunner().invoke(main, ["export-neo4j", str(SAMPLE), str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "neo4j-admin database import full neo4j --overwrite-destination @" in r.output
    assert (tmp_path / "out" / "import.args").is_file()
    assert f"channelgraph load {SAMPLE}" in r.output


def test_export_command_refuses_bad_data(make_dataset, tmp_path):
    bad = make_dataset(relations="src,dst,type\nP1,NOPE,REFERRED\n")
    r = CliRunner().invoke(main, ["export-neo4j", str(bad), str(tmp_path / "out")])
    assert r.exit_code == 1
    assert "NOPE" in r.output and not (tmp_path / "out").exists()


def _alive(pid: int) -> bool:
    """True while *pid* runs (a zombie or a gone process does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _slow_job(folder):
    import os
    import time

    def job():
        (folder / f"started-{os.getpid()}").touch()
        time.sleep(10)
        (folder / f"finished-{os.getpid()}").touch()
        return False

    return job


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not hasattr(os, "fork"), reason="needs forked workers")
def test_an_interrupted_export_kills_its_workers_at_once(tmp_path):
    import time

    from channelgraph.store import neo4j_import

    def meanwhile():
        deadline = time.monotonic() + 20
        while len(list(tmp_path.glob("started-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        neo4j_import._run_jobs([_slow_job(tmp_path)] * 4, [1] * 4, meanwhile, parallel_min_cells=0)
    pids = [int(p.name.rpartition("-")[2]) for p in tmp_path.glob("started-*")]
    assert len(pids) >= 2
    assert not [pid for pid in pids if _alive(pid)]
    assert not list(tmp_path.glob("finished-*"))
