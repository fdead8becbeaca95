"""The fast reading path (vectorised scan + pandas' C parser) and the vectorised checks
give exactly what the record-by-record csv-module path and the per-cell rules give."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from conftest import ENTITIES, EXPOSURES, RELATIONS

from channelgraph.generate import generate_dataset
from channelgraph.io import DatasetError, load_dataset, read_csv_table
from channelgraph.io import read as read_module
from channelgraph.io.validate import _parse_amounts
from channelgraph.model import AmountError, parse_yuan
from channelgraph.store import build_graph, exposure_by_customer


def problems_of(path, **kw):
    with pytest.raises(DatasetError) as info:
        load_dataset(path, **kw)
    return info.value.problems


@pytest.fixture
def exact_only(monkeypatch):
    """Read every file record by record with the csv module (the reference path)."""
    monkeypatch.setattr(read_module, "_read_fast", lambda data, start, table: False)


@pytest.fixture
def fast_only(monkeypatch):
    """Fail if a file falls back to the csv-module path."""

    def refuse(text, table):
        raise AssertionError(f"{table.file} was not read on the fast path")

    monkeypatch.setattr(read_module, "_read_exact", refuse)


def _same_table(a, b):
    assert (a.file, a.encoding, a.header, len(a), a.problems) == (b.file, b.encoding, b.header, len(b), b.problems)
    assert a.lines == b.lines
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        assert a.columns[name].tolist() == b.columns[name].tolist(), name


def _both_paths(path, monkeypatch):
    fast = read_csv_table(path)
    with monkeypatch.context() as m:
        m.setattr(read_module, "_read_fast", lambda data, start, table: False)
        exact = read_csv_table(path)
    _same_table(fast, exact)
    return fast


# ----------------------------------------------------------------------------- line numbers


def test_quoted_newlines_then_errors_keep_editor_lines(make_dataset, fast_only):
    ent = (
        ENTITIES
        + 'P8,person,"多行\n名称\n第三行",true,,,\n'  # lines 10–12
        + "P9,persn,x,true,,,\n"  # line 13
        + '"P10",person,"a, b",maybe,,,\n'  # line 14
        + 'P11,person,"say ""hi""\r\nthere",true,-5,,\n'  # lines 15–16
        + "P12,person,y,true,,,\n"
        + "P1,person,dup,true,,,\n"
    )  # line 18
    probs = problems_of(make_dataset(entities=ent))
    got = {(p.line, p.column, p.reason.split(" (")[0]) for p in probs}
    assert got == {
        (13, "kind", "unknown kind"),
        (14, "is_customer", "not a yes/no value"),
        (15, "net_assets", "negative amount"),
        (18, "id", "duplicate id"),
        # a name is one line of text: line breaks inside it are refused where it starts
        (10, "name", "contains a line break"),
        (15, "name", "contains a carriage return"),
    }


def test_blank_and_ragged_records_on_the_fast_path(make_dataset, fast_only):
    ent = (
        ENTITIES
        + "\n"  # line 10: blank
        + "   \n"  # line 11: blank
        + "P8,person\n"  # line 12: truncated
        + 'P9,person,"x\ny",true,,,,\n'  # lines 13–14: one field too many
        + "P10,persn,z,true,,,\n"
    )  # line 15
    probs = problems_of(make_dataset(entities=ent))
    assert [(p.line, p.reason) for p in probs] == [
        (12, "has 2 fields but the header has 7 (truncated row?)"),
        (13, "has 8 fields but the header has 7 (an unquoted comma?)"),
        (15, "unknown kind (expected one of person, enterprise, chamber, market, intermediary)"),
    ]


@pytest.mark.parametrize(
    "text, lines",
    [
        ("\n\n" + ENTITIES, [4, 5, 6, 7, 8, 9, 10, 11]),  # blank lines before the header
        ("\ufeff \r\n\r\n" + ENTITIES.replace("\n", "\r\n"), [4, 5, 6, 7, 8, 9, 10, 11]),
        (ENTITIES.replace("\n", "\r"), [2, 3, 4, 5, 6, 7, 8, 9]),  # CR-only (old Mac Excel)
        ("\r\r" + ENTITIES.replace("\n", "\r").replace("张三", '"张,三"'), [4, 5, 6, 7, 8, 9, 10, 11]),
    ],
)
def test_leading_blank_lines_and_cr_only_on_the_fast_path(tmp_path, fast_only, text, lines):
    path = tmp_path / "entities.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read_csv_table(path)
    assert not table.problems and table.lines == lines
    assert table.header_line == lines[0] - 1
    assert table.columns["name"][0] in ("张三", "张,三")


@pytest.mark.parametrize(
    "text",
    [
        'id,kind,name\nP1,person,a"b\nP2,persn,c\n',  # a quote inside an unquoted field
        'id,kind,name\nP1,person,"a"b\n',  # text after a closing quote
        'id,kind,name\nP1,person,"unterminated\nP2,person,x\n',
        "id,kind,name\rP1,person,a\rP2,persn,b\r",  # old Mac line ends
        'id,kind,name\n\nP1,person,""\n""\n',  # a lone empty quoted field
        "\n\nid,kind,name\nP1,person,a\n",  # blank lines before the header
        "\ufeff\r\n \r\n\t\r\nid,kind,name\r\nP1,persn,a\r\n",  # BOM, then blank CRLF lines
        '\n\nid,kind,name\nP1,person,a"b\nP2,persn,c\n',  # blank lines, then only the csv module reads it
        'id,kind,name\rP1,person,"a\rb"\rP2,persn,"c,d"\r',  # CR-only with a CR inside quotes
        'id,kind,name\rP1,person,"a,b"\rP2,persn,c',  # CR-only with quotes, no final line end
        "id\nP1\n\nP2\n",  # one column
    ],
)
def test_unusual_csv_is_read_exactly_as_the_csv_module_does(tmp_path, monkeypatch, text):
    path = tmp_path / "entities.csv"
    path.write_bytes(text.encode("utf-8"))
    _both_paths(path, monkeypatch)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_fast_and_exact_paths_agree(tmp_path, monkeypatch, encoding, newline):
    ent = ENTITIES + 'P8,person,"多行\n名称",true,,,\n\nP9,person\n"P10", person ,"x,y", 是 ," 1,234.5 ",,\n'
    path = tmp_path / "entities.csv"
    path.write_bytes(ent.replace("\n", newline).encode(encoding))
    table = _both_paths(path, monkeypatch)
    assert table.encoding == encoding
    assert table.lines == [2, 3, 4, 5, 6, 7, 8, 9, 10, 14]


# ----------------------------------------------------------------------------- whole datasets


def _damage(folder, seed):
    """Sprinkle problems over a generated dataset, text-wise."""
    rng = random.Random(seed)
    bad = [
        "",
        " ",
        "persn",
        "X999",
        "-1",
        "1.234",
        "1,234.5",
        "１２",
        "maybe",
        "OWNS",
        '"q,uoted"',
        '"multi\nline"',
        " P000001 ",
        "长" * 201,
        "0.5",
        "2",
        "P000001",
    ]
    for name in ("entities.csv", "relations.csv", "exposures.csv"):
        path = folder / name
        lines = path.read_text(encoding="utf-8").split("\n")
        for _ in range(25):
            i = rng.randrange(1, len(lines) - 1)
            cells = lines[i].split(",")
            cells[rng.randrange(len(cells))] = rng.choice(bad)
            lines[i] = ",".join(cells)
        lines.insert(rng.randrange(2, len(lines) - 1), lines[rng.randrange(1, len(lines) - 1)])  # a duplicate
        lines.insert(rng.randrange(2, len(lines) - 1), "")  # a blank line
        path.write_text("\n".join(lines), encoding="utf-8")


def _load(folder):
    try:
        return load_dataset(folder), []
    except DatasetError as exc:
        return None, exc.problems


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen") / "bank"
    generate_dataset(folder, customers=2000, seed=5)
    return folder


def test_generated_dataset_same_frames_on_both_paths(generated, monkeypatch):
    fast, problems = _load(generated)
    assert not problems
    with monkeypatch.context() as m:
        m.setattr(read_module, "_read_fast", lambda data, start, table: False)
        exact, _ = _load(generated)
    for name in ("entities", "relations", "exposures", "schemes"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(exact, name), check_dtype=True)
    assert str(fast.entities["id"].dtype) == "str" and fast.entities["net_assets"].dtype == "Int64"
    assert fast.relations["share"].dtype == "Float64" and fast.exposures["outstanding"].dtype == "int64"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_damaged_dataset_same_problems_on_both_paths(generated, tmp_path, monkeypatch, seed):
    import shutil

    folder = tmp_path / "bank"
    shutil.copytree(generated, folder)
    _damage(folder, seed)
    _, fast = _load(folder)
    with monkeypatch.context() as m:
        m.setattr(read_module, "_read_fast", lambda data, start, table: False)
        _, exact = _load(folder)
    assert fast and fast == exact


def test_ids_that_are_not_plain_ascii(make_dataset):
    long_id = "ENTERPRISE-000000000000000001"  # wider than the first guess of an id's width
    ent = ENTITIES + f"客户甲,person,甲,true,,,\n{long_id},enterprise,长号,true,,,\n"
    rel = RELATIONS + f"客户甲,{long_id},CONTROLS,,0.6,\n 客户甲 ,E1,SUPPLIES,,,\n{long_id},客户乙,REFERRED,,,\n"
    exp = EXPOSURES + f"F9,客户甲,5,,,,\nF10,{long_id},5,,,,\nF11, {long_id} ,5,,,,\n"
    probs = problems_of(make_dataset(entities=ent, relations=rel, exposures=exp))
    assert [(p.file, p.line, p.column, p.value) for p in probs] == [("relations.csv", 12, "dst", "客户乙")]
    rel = RELATIONS + f"客户甲,{long_id},CONTROLS,,0.6,\n"
    ds = load_dataset(make_dataset(entities=ent, relations=rel, exposures=exp))
    assert ds.exposures["customer_id"].tolist()[-1] == long_id


def test_overlong_ids_are_reported_not_matched(make_dataset):
    junk = "X" * 70
    probs = problems_of(
        make_dataset(relations=RELATIONS + f"{junk},E1,REFERRED,,,\n", exposures=EXPOSURES + f"F9,{junk},5,,,,\n")
    )
    assert [(p.file, p.line, p.column, p.reason.split(" (")[0]) for p in probs] == [
        ("exposures.csv", 6, "customer_id", "is longer than 64 characters"),
        ("exposures.csv", 6, "customer_id", "refers to no entity in entities.csv"),
        ("relations.csv", 10, "src", "is longer than 64 characters"),
        ("relations.csv", 10, "src", "refers to no entity in entities.csv"),
    ]


# ----------------------------------------------------------------------------- amounts


def test_vectorised_amounts_follow_parse_yuan():
    rng = random.Random(7)
    cells = [
        "",
        " ",
        "0",
        "00",
        "0.0",
        ".5",
        "5.",
        "-0",
        "-0.00",
        "+1",
        "1,234",
        "1,234.5",
        "12,34",
        "1.230",
        "9999999999999.99",
        "10000000000000",
        "10000000000000.00",
        "10000000000000.01",
        "1234567890123.4",
        "12345678901234",
        "1.001",
        " 12.5 ",
        "１２",
        "٣.٥",
        "1e5",
        "nan",
        "1_000",
        "12345678901234567890",
    ]
    alphabet = "0123456789" * 4 + ".,-+ \t１e"
    for _ in range(20000):
        cells.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 18))))
        digits = rng.randint(0, 15)
        decimals = rng.choice(["", ".", ".5", f".{rng.randrange(100):02d}", ".125"])
        cells.append(str(rng.randrange(10**digits)) + decimals)
    fen, ok, empty, bad, reasons = _parse_amounts(np.array(cells, dtype=object))
    refused = dict(zip(bad.tolist(), reasons))
    for i, cell in enumerate(cells):
        if not cell.strip():
            assert empty[i] and not ok[i] and i not in refused, cell
            continue
        try:
            expected = parse_yuan(cell)
        except AmountError as exc:
            assert refused.get(i) == str(exc), cell
        else:
            assert ok[i] and int(fen[i]) == expected, cell


# ----------------------------------------------------------------------------- graph


def _reference_graph(ds):
    """The straightforward per-row construction the fast build must equal."""
    import networkx as nx

    def val(v, conv):
        return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else conv(v)

    g = nx.MultiDiGraph()
    by_cust = exposure_by_customer(ds)
    fixed = ("id", "kind", "name", "is_customer", "industry", "region", "segment", "net_assets", "annual_revenue")
    for row in ds.entities.to_dict("records"):
        out, nfac = by_cust.get(row["id"], (0, 0))
        attrs = {
            "kind": row["kind"],
            "name": row["name"],
            "is_customer": bool(row["is_customer"]),
            "industry": row["industry"],
            "region": row["region"],
            "segment": row["segment"],
            "net_assets_fen": val(row["net_assets"], int),
            "annual_revenue_fen": val(row["annual_revenue"], int),
            "outstanding_fen": out,
            "facilities": nfac,
        }
        attrs.update({k: v for k, v in row.items() if k not in fixed})
        g.add_node(row["id"], **attrs)
    fixed = ("src", "dst", "type", "amount", "share", "role", "since", "buyer_share")
    for row in ds.relations.to_dict("records"):
        attrs = {
            "type": row["type"],
            "amount_fen": val(row["amount"], int),
            "share": val(row["share"], float),
            "role": row["role"],
            "since": row["since"],
            "buyer_share": val(row["buyer_share"], float),
        }
        attrs.update({k: v for k, v in row.items() if k not in fixed})
        g.add_edge(row["src"], row["dst"], row["type"], **attrs)
    return g


def test_build_graph_equals_the_per_row_construction(generated):
    ds = load_dataset(generated)
    g, ref = build_graph(ds), _reference_graph(ds)
    assert list(g.nodes) == list(ref.nodes)
    assert list(g.edges(keys=True)) == list(ref.edges(keys=True))
    for (n, a), (_, b) in zip(g.nodes(data=True), ref.nodes(data=True)):
        assert list(a.items()) == list(b.items()), n
        assert [type(v) for v in a.values()] == [type(v) for v in b.values()], n
    for (*e, a), (*_, b) in zip(g.edges(keys=True, data=True), ref.edges(keys=True, data=True)):
        assert list(a.items()) == list(b.items()), e
        assert [type(v) for v in a.values()] == [type(v) for v in b.values()], e
    assert g.graph["total_outstanding_fen"] == ds.total_outstanding_fen
    assert sum(a["outstanding_fen"] for _, a in g.nodes(data=True)) == ds.total_outstanding_fen
