"""Graph views: content, styling, budgets, masking, escaping, self-containment, determinism, CLI.

The browser-level checks (drawing, console, network) are in test_browser.py; these run
without a browser.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_dataset

from channelgraph.graph import build_book
from channelgraph.cli import main
from channelgraph.io import load_dataset
from channelgraph.model import RelationType
from channelgraph.viz import (
    channel_view,
    ego_view,
    find_group,
    find_pattern,
    findings_of,
    group_view,
    main_views,
    mask_text,
    overview,
    pattern_view,
    render_html,
    write_views,
)
from channelgraph.viz.html import script_json
from channelgraph.viz.layout import force_layout

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

HOSTILE_NAME = '<img src=x onerror="window.__xss=1">'
SCRIPT_NAME = "</script><script>window.__xss=2</script>"
QUOTE_NAME = "\"'><svg onload=window.__xss=3>\u2028x"

HOSTILE_ENTITIES = f"""\
id,kind,name,is_customer,net_assets,industry,region,phone,id_card,remark
P1,person,"{HOSTILE_NAME.replace('"', '""')}",true,1000000,,柯桥区,13812345678,330602199001011234,call 0571-88889999
P2,person,{SCRIPT_NAME},true,,,柯桥区,+86 139-0000-1111,33060219900101123X,
P3,person,"{QUOTE_NAME.replace('"', '""')}",false,,,柯桥区,,,
E1,enterprise,华丰纺织有限公司,true,60000000,纺织,柯桥区,0575-85551234,,
E2,enterprise,恒达印染有限公司,true,20000000,印染,越城区,,,
E3,enterprise,金鑫服装有限公司,true,40000000,服装,柯桥区,,,
C1,chamber,温州商会,false,,,,,,
M1,market,轻纺城,false,,,,,,
"""
HOSTILE_RELATIONS = """\
src,dst,type,amount,share,role
P1,E1,CONTROLS,,0.6,
E1,E2,GUARANTEES,30000000,,
E2,E1,GUARANTEES,5000000,,
E2,E3,GUARANTEES,1000000,,
E3,E1,GUARANTEES,2000000,,
P1,C1,MEMBER_OF,,,会长 13812345678
P2,C1,MEMBER_OF,,,
E3,M1,TRADES_IN,,,
P1,P2,REFERRED,,,
P1,P3,FAMILY,,,
"""
HOSTILE_EXPOSURES = """\
facility_id,customer_id,outstanding,limit,product,scheme_id,status
F1,E1,1000000.00,2000000,working_capital,,normal
F2,E2,250000.50,,working_capital,,special_mention
F3,E3,99.99,,business_loan,,
F4,P1,300000,,mortgage,,
F5,P2,1000,,consumer_loan,,
"""


def hostile_dataset(folder: Path):
    write_dataset(
        folder, entities=HOSTILE_ENTITIES, relations=HOSTILE_RELATIONS, exposures=HOSTILE_EXPOSURES, schemes=None
    )
    return load_dataset(folder)


def hostile_book(folder: Path):
    return build_book(hostile_dataset(folder / "hostile"))


@pytest.fixture(scope="module")
def sample():
    from channelgraph.analyses import run_analyses

    book = build_book(load_dataset(SAMPLE))
    return book, run_analyses(book)


@pytest.fixture
def hostile(tmp_path):
    return hostile_book(tmp_path)


def page_data(page: str) -> dict:
    m = re.search(r'<script id="cg-data" type="application/json">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


def tag_attrs(page: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*>", page, re.I)


# ----------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("330602199001011234", "330602********1234"),
        ("33060219900101123x", "330602********123x"),
        ("330602900101123", "330602*****1123"),
        ("0571-88889999", "0571-****9999"),
        ("010-88889999", "010-****9999"),
        ("电话13812345678，身份证330602199001011234", "电话138****5678，身份证330602********1234"),
    ],
)
def test_identifiers_are_masked_anywhere_in_a_text(raw, masked):
    assert mask_text(raw) == masked


@pytest.mark.parametrize(
    "text", ["P000001", "1,234,567.89", "13812345678.00", "2019-05-01", "12345", "E000005", "0.15", "1381234567890"]
)
def test_ids_amounts_and_dates_are_not_masked(text):
    assert mask_text(text) == text


def test_pages_mask_identifiers_in_any_column_by_default(hostile):
    page = render_html(ego_view(hostile, "E1", hops=2, lang="en"))
    for raw in (
        "13812345678",
        "330602199001011234",
        "33060219900101123X",
        "0571-88889999",
        "0575-85551234",
        "139-0000-1111",
    ):
        assert raw not in page
    data = page_data(page)
    tips = json.dumps([n["tip"] for n in data["nodes"]] + [e["tip"] for e in data["edges"]], ensure_ascii=False)
    assert "138****5678" in tips and "330602********1234" in tips and "0571-****9999" in tips
    assert "0575-****1234" in tips and "139****1111" in tips
    assert "会长 138****5678" in tips  # an edge attribute too


def test_no_mask_shows_identifiers_and_warns(hostile):
    page = render_html(ego_view(hostile, "E1", hops=2, lang="en"), mask=False)
    assert "13812345678" in page and "330602199001011234" in page
    assert "not masked" in page


def test_node_ids_never_reach_the_page(tmp_path):
    ents = "id,kind,name,is_customer\n13812345678,person,甲,true\n330602199001011234,person,乙,true\n"
    rels = "src,dst,type\n13812345678,330602199001011234,REFERRED\n"
    exps = "facility_id,customer_id,outstanding\nF1,13812345678,100\n"
    write_dataset(tmp_path / "ids", entities=ents, relations=rels, exposures=exps, schemes=None)
    book = build_book(load_dataset(tmp_path / "ids"))
    page = render_html(ego_view(book, "13812345678"))
    assert "13812345678" not in page and "330602199001011234" not in page
    assert [n["id"] for n in page_data(page)["nodes"]] == [0, 1]


# ----------------------------------------------------------------------------- escaping, self-containment


def test_hostile_names_are_data_not_markup(hostile):
    page = render_html(ego_view(hostile, "E1", hops=2, lang="en"), title=HOSTILE_NAME)
    # nothing from the data becomes a tag
    assert "<img" not in page.lower() and "<svg onload" not in page.lower()
    assert page.count("</script>") == 3  # data, vis-network, our script
    assert "\u2028" not in page
    assert (
        "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;" in page
        or "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in page
    )  # the title, escaped
    names = {n["tip"]["h"] for n in page_data(page)["nodes"]}
    assert {HOSTILE_NAME, SCRIPT_NAME, QUOTE_NAME} <= names  # intact after JSON decoding
    # tooltips are built with textContent, never innerHTML
    assert "innerHTML" not in page.split('<script id="cg-data"')[0]
    app = page.rsplit("<script>", 1)[1]
    assert "innerHTML" not in app and "textContent" in app


def test_script_json_cannot_close_a_script():
    s = script_json({"a": "</script><!-- & \u2028\u2029"})
    assert "<" not in s and ">" not in s and "&" not in s and "\u2028" not in s and "\u2029" not in s
    assert json.loads(s) == {"a": "</script><!-- & \u2028\u2029"}


def test_pages_are_self_contained_and_forbid_requests(hostile):
    page = render_html(channel_view(hostile, "C1"))
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page and "script-src 'unsafe-inline'" in page
    assert re.search(r'<meta http-equiv="Content-Security-Policy"', page)
    for tag in ("script", "link", "img", "iframe", "a", "source", "object", "embed", "form", "base"):
        for attrs in tag_attrs(page, tag):
            assert not re.search(r"\b(src|href|action)\s*=", attrs, re.I), attrs
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page, re.I)
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "bootstrap" not in page.lower()
    assert "@import" not in page and "url(http" not in page
    assert "vis.Network" in page  # vis-network inline


def test_same_input_gives_the_same_bytes(sample):
    book, results = sample
    a = render_html(overview(book, results))
    b = render_html(overview(build_book(load_dataset(SAMPLE)), results))  # a book built anew
    assert a == b
    c = render_html(channel_view(book, "M0001", results, lang="en"))
    assert c == render_html(channel_view(book, "M0001", findings_of(results, book), lang="en"))


# ----------------------------------------------------------------------------- views


def test_guarantee_edges_are_red_arrows_with_amounts(hostile):
    view = pattern_view(hostile, ["E1", "E2", "E3"])
    g = [e for e in view.edges if e.type == "GUARANTEES"]
    assert len(g) == 4 and all(e.arrow and e.color == "#d62728" for e in g)
    big = next(e for e in g if (e.src, e.dst) == ("E1", "E2"))
    small = next(e for e in g if (e.src, e.dst) == ("E2", "E3"))
    assert big.width > small.width and big.label == "3000万" and small.label == "100万"
    # the mutual pair E1⇄E2 is drawn as two curves, not on top of each other
    back = next(e for e in g if (e.src, e.dst) == ("E2", "E1"))
    assert big.roundness and back.roundness
    assert any(i.shape == "line" and i.color == "#d62728" for i in view.legend)


def test_breached_groups_are_outlined(sample):
    book, results = sample
    group = find_group(results)
    assert group is not None and group.status == "breach"
    view = group_view(book, group.members, results, group=group, lang="en")
    assert {v.id for v in view.nodes} == set(group.members)
    assert all(v.border == "#e00000" and v.border_width >= 4 for v in view.nodes)
    assert "limit breached" in view.title and group.group_id in view.title
    assert any("breached group" in i.text for i in view.legend)


def test_channel_view_has_members_key_persons_and_colours(sample):
    book, results = sample
    graph = book.to_networkx()  # the reference
    view = channel_view(book, "M0001", results, lang="zh")
    ids = {v.id for v in view.nodes}
    members = {u for u, _, k in graph.in_edges("M0001", keys=True) if k == "TRADES_IN"}
    assert members <= ids and "M0001" in ids
    centre = next(v for v in view.nodes if v.id == "M0001")
    assert centre.focus and centre.shape == "diamond" and centre.label.endswith(graph.nodes["M0001"]["name"])
    assert {v.color for v in view.nodes if v.kind == "person"} == {"#4e79a7"}
    assert view.stats["members"] >= len(members)
    assert any(v.label.startswith("★") for v in view.nodes)
    rows = dict(next(v for v in view.nodes if v.kind == "enterprise").rows)
    assert "授信余额（元）" in rows and "编号" in rows


def test_ego_view_follows_hops_either_way(hostile):
    one = {v.id for v in ego_view(hostile, "E2", hops=1).nodes}
    assert one == {"E1", "E2", "E3"}
    two = {v.id for v in ego_view(hostile, "E2", hops=2).nodes}
    assert two == {"E1", "E2", "E3", "P1", "M1"}
    with pytest.raises(KeyError):
        ego_view(hostile, "nobody")


def test_without_risk_results_no_group_or_pattern_is_shown_and_the_page_says_so(hostile):
    from channelgraph.risk import run_risk

    assert find_pattern(None) is None and find_group(None) is None and find_group({}, "E1") is None
    for view in (
        pattern_view(hostile, ["E1", "E2", "E3"], lang="en"),
        overview(hostile, None, lang="en"),
        ego_view(hostile, "E1", lang="en"),
    ):
        assert any("No risk results" in n and "not shown" in n for n in view.notes), view.kind
        assert not any(v.border == "#e00000" for v in view.nodes)
    results = {"risk": run_risk(hostile)}
    pattern = find_pattern(results)
    assert pattern is not None and set(pattern.members) <= {"E1", "E2", "E3"}
    view = pattern_view(hostile, pattern.members, results, pattern=pattern, lang="en")
    assert not any("No risk results" in n for n in view.notes)


def test_overview_keeps_the_budget_and_says_what_was_left_out(sample):
    book, results = sample
    graph = book.to_networkx()  # the reference
    view = overview(book, results, node_budget=100, lang="en")
    assert len(view.nodes) == 100
    left = graph.number_of_nodes() - 100
    assert view.stats["left_out_nodes"] == left
    assert sum(view.stats["left_out_by_kind"].values()) == left
    kept = {v.id for v in view.nodes}
    channels = {n for n, a in graph.nodes(data=True) if a["kind"] in ("chamber", "market", "intermediary")}
    assert channels <= kept  # channels always in
    shown = sum(1 for u, v in graph.edges() if u in kept and v in kept)
    assert len(view.edges) == shown
    assert view.stats["left_out_edges"] == graph.number_of_edges() - shown
    note = view.notes[0]
    assert f"{left:,} nodes" in note and f"{graph.number_of_edges() - shown:,} ties" in note
    # the breached group is kept before anything else
    group = find_group(results)
    assert set(group.members) <= kept
    full = overview(book, results)
    assert len(full.nodes) == graph.number_of_nodes() and full.stats["left_out_nodes"] == 0 and not full.notes


def test_layout_is_fast_deterministic_and_separates_nodes():
    import networkx as nx

    g = nx.barabasi_albert_graph(2000, 2, seed=1)
    t0 = time.perf_counter()
    a = force_layout(2000, list(g.edges()), seed=42)
    took = time.perf_counter() - t0
    b = force_layout(2000, list(g.edges()), seed=42)
    assert (a == b).all()
    assert took < 20, took  # typically 1–3 s; generous for a loaded CI machine
    assert a.std(0).min() > 100  # spread out, not collapsed


def test_views_of_a_2000_node_graph_render_within_seconds(tmp_path):
    from channelgraph.generate import generate_dataset

    generate_dataset(tmp_path / "bank", customers=1500, seed=3)
    book = build_book(load_dataset(tmp_path / "bank"))
    t0 = time.perf_counter()
    page = render_html(overview(book, None, node_budget=2000))
    took = time.perf_counter() - t0
    data = page_data(page)
    assert len(data["nodes"]) == 2000
    assert data["options"]["physics"]["enabled"] is False
    assert all("x" in n and "y" in n for n in data["nodes"])
    assert took < 30, took


# ----------------------------------------------------------------------------- writing, CLI


def test_write_views_writes_the_main_views_and_an_index(sample, tmp_path):
    book, results = sample
    files = write_views(book, results, tmp_path, lang="en")
    names = [f.name for f in files]
    assert names[0] == "overview.html" and names[-1] == "index.json"
    assert {"channel-1.html", "group-1.html", "pattern-1.html", "ego-1.html"} <= set(names)
    assert all(f.parent == tmp_path / "views" for f in files)
    index = json.loads((tmp_path / "views" / "index.json").read_text(encoding="utf-8"))
    assert [i["file"] for i in index] == names[:-1]
    for f in files[:-1]:
        page = f.read_text(encoding="utf-8")
        assert "default-src 'none'" in page and "13812345678" not in page


def test_cli_viz_writes_each_view(tmp_path):
    runner = CliRunner()
    for args, name in (
        (["--view", "overview"], "overview.html"),
        (["--view", "channel", "--id", "M0001", "--lang", "en"], "channel-M0001.html"),
        (["--view", "ego", "--id", "P000001", "--hops", "2"], "ego-P000001.html"),
        (["--view", "group"], "group-top.html"),
        (["--view", "pattern", "--id", "1"], "pattern-1.html"),
    ):
        r = runner.invoke(main, ["viz", str(SAMPLE), *args, "--out", str(tmp_path)])
        assert r.exit_code == 0, r.output
        page = (tmp_path / name).read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and "vis.Network" in page


def test_cli_viz_masks_unless_no_mask(tmp_path):
    runner = CliRunner()
    phone = _a_phone_in_sample()
    r = runner.invoke(main, ["viz", str(SAMPLE), "--view", "overview", "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    assert phone not in (tmp_path / "m" / "overview.html").read_text(encoding="utf-8")
    r = runner.invoke(main, ["viz", str(SAMPLE), "--view", "overview", "--no-mask", "--out", str(tmp_path / "u")])
    assert r.exit_code == 0, r.output
    assert phone in (tmp_path / "u" / "overview.html").read_text(encoding="utf-8")


def _a_phone_in_sample() -> str:
    import csv

    with open(SAMPLE / "entities.csv", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row.get("phone"):
                return row["phone"]
    pytest.fail("the sample has no phone column")


def test_cli_viz_refuses_unknown_ids(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["viz", str(SAMPLE), "--view", "ego", "--id", "NOPE", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "NOPE" in r.output
    r = runner.invoke(main, ["viz", str(SAMPLE), "--view", "channel", "--id", "P000001", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "not a chamber" in r.output


# ----------------------------------------------------------------------------- the views' index of the book
#
# The views are built from the book (numpy arrays), not from a NetworkX graph of the whole
# book. NetworkX stays the reference: on small books every answer the views' index gives is
# compared with the same question asked of the book's NetworkX export.

INTERLEAVED_ENTITIES = """\
id,kind,name,is_customer,net_assets
A,person,甲,true,
B,person,乙,true,100
C,enterprise,丙公司,true,2000
D,enterprise,丁公司,false,
长名字的实体编号超过十六个字符的长长的编号,enterprise,戊公司,true,
K1,chamber,商会,false,
"""
INTERLEAVED_RELATIONS = """\
src,dst,type,amount,share,role
A,B,REFERRED,,,
A,C,CONTROLS,,0.7,
B,K1,MEMBER_OF,,,会长
A,B,FAMILY,,,
C,D,GUARANTEES,500,,
D,C,GUARANTEES,700,,
A,K1,MEMBER_OF,,,
C,长名字的实体编号超过十六个字符的长长的编号,SUPPLIES,,0.6,
K1,B,EMPLOYS,,,
K1,A,REFERRED,,,staff
D,长名字的实体编号超过十六个字符的长长的编号,GUARANTEES,300,,
长名字的实体编号超过十六个字符的长长的编号,C,GUARANTEES,100,,
"""
INTERLEAVED_EXPOSURES = """\
facility_id,customer_id,outstanding
F1,A,10
F2,C,500
F3,C,250
F4,长名字的实体编号超过十六个字符的长长的编号,40
"""


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    """A generated bank (1,500 customers), its book and its analyses."""
    from channelgraph.analyses import run_analyses
    from channelgraph.generate import generate_dataset

    folder = tmp_path_factory.mktemp("bank")
    generate_dataset(folder, customers=1500, seed=5)
    book = build_book(load_dataset(folder))
    return book, run_analyses(book)


@pytest.fixture(scope="module")
def interleaved(tmp_path_factory):
    """Ties of several types between one pair, interleaved with others; a long non-ASCII id."""
    folder = tmp_path_factory.mktemp("interleaved")
    write_dataset(
        folder,
        entities=INTERLEAVED_ENTITIES,
        relations=INTERLEAVED_RELATIONS,
        exposures=INTERLEAVED_EXPOSURES,
        schemes=None,
    )
    return build_book(load_dataset(folder))


def _same(a, b) -> bool:
    """Equal, with NaN equal to NaN (attribute dicts hold NaN for blank text cells)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def _reference_members(graph, channel) -> dict:
    """channel_members as it was written against the graph."""
    out = {}
    for u, _, k, a in graph.in_edges(channel, keys=True, data=True):
        if k in ("MEMBER_OF", "TRADES_IN", "SOURCED_VIA"):
            r = a.get("role")
            out[u] = "" if r is None or (isinstance(r, float) and r != r) else str(r)
    for _, v, k, a in graph.out_edges(channel, keys=True, data=True):
        if k in ("EMPLOYS", "REFERRED"):
            r = a.get("role")
            out.setdefault(v, "" if r is None or (isinstance(r, float) and r != r) else str(r))
    return out


@pytest.mark.parametrize("which", ["bank", "interleaved"])
def test_view_index_answers_as_networkx_does(which, bank, interleaved):
    import numpy as np

    from channelgraph.viz._index import ViewIndex

    book = bank[0] if which == "bank" else interleaved
    graph = book.to_networkx()
    index = ViewIndex.of(book)
    nodes = sorted(graph.nodes)  # an entity is its id's position among the sorted ids
    assert index.ids.tolist() == nodes
    assert index.degree.tolist() == [graph.degree(n) for n in nodes]
    assert index.outstanding.tolist() == [int(graph.nodes[n].get("outstanding_fen") or 0) for n in nodes]
    assert all(_same(a, graph.nodes[n]) for a, n in zip(index.node_attrs(np.arange(len(nodes))), nodes))
    # the ties among any set of entities, in the order MultiDiGraph.out_edges lists them
    rng = np.random.default_rng(3)
    for size in (1, 5, len(nodes) // 3, len(nodes)):
        order = rng.permutation(len(nodes))[:size]
        shown = {nodes[i] for i in order}
        want = [(u, v, k) for u in (nodes[i] for i in order) for _, v, k in graph.out_edges(u, keys=True) if v in shown]
        rows = index.ties_among(order)
        got = [
            (index.ids[s], index.ids[d], index.type_names[t])
            for s, d, t in zip(index.src[rows], index.dst[rows], index.rtype[rows])
        ]
        assert got == want
        assert all(_same(a, graph.edges[u, v, k]) for a, (u, v, k) in zip(index.edge_attrs(rows), want))
        near = index.neighbours(index.mask(order))
        want_near = {v for u in shown for v in list(graph.successors(u)) + list(graph.predecessors(u))}
        assert {index.ids[i] for i in np.flatnonzero(near)} == want_near
    for c in np.flatnonzero(index.channel):
        members = {index.ids[m]: role for m, role in index.channel_members(c).items()}
        assert members == _reference_members(graph, index.ids[c])
        assert index.member_counts[c] == len(members)
    assert index.index_of("no such id") == -1 and "no such id" not in index
    assert [index.index_of(n) for n in nodes] == list(range(len(nodes)))


@pytest.mark.parametrize("which", ["bank", "interleaved"])
def test_book_rows_point_back_into_its_tables(which, bank, interleaved):
    """The view index reads the tables' other columns through Book.entity_row and Relation.row."""
    book = bank[0] if which == "bank" else interleaved
    ent, rel = book.tables.entities, book.tables.relations
    assert ent["id"].iloc[book.entity_row].tolist() == book.ids.tolist()
    rows = sorted(r for relation in book.edges.values() for r in relation.row.tolist())
    assert rows == list(range(len(rel)))  # every relation row once
    for name, relation in book.edges.items():
        at = rel.iloc[relation.row]
        assert (at["type"] == name).all()
        ends = list(zip(book.ids[relation.src].tolist(), book.ids[relation.dst].tolist()))
        file_ends = list(zip(at["src"].tolist(), at["dst"].tolist()))
        if not RelationType(name).spec.directed:  # FAMILY, SHARES_REPAYMENT_SOURCE: stored smaller end first
            file_ends = [tuple(sorted(e)) for e in file_ends]
        assert ends == file_ends, name


def test_id_lookup_is_exact(interleaved):
    from channelgraph.viz._index import ViewIndex

    index = ViewIndex.of(interleaved)
    long_id = "长名字的实体编号超过十六个字符的长长的编号"
    queries = ["A", "B", "a", "", "A ", " A", "K1", "K", long_id, long_id[:-1], long_id + "号"]
    assert index.positions(queries).tolist() == [0, 1, -1, -1, -1, -1, 4, -1, 5, -1, -1]
    for odd in (12, None, ["A"], ("A",), b"A"):  # only a str names an entity
        assert index.index_of(odd) == -1 and odd not in index


def _reference_risk_groups(results):
    """The risk groups as the views order them, written plainly: most severe first."""
    from channelgraph.viz.results import _STATUS_ORDER, GroupInfo

    df = results["risk"].groups
    out = [
        GroupInfo(g, list(m), int(e), float(s), st)
        for g, m, e, s, st in zip(df["group_id"], df["members"], df["exposure_fen"], df["share_of_tier1"], df["status"])
    ]
    out.sort(key=lambda x: (_STATUS_ORDER[x.status], -x.exposure_fen, -len(x.members), x.group_id))
    return out


def _shuffled_results(results):
    """The same findings with the risk tables' rows in another order, and without marketing."""
    from dataclasses import replace

    risk = results["risk"]
    return {
        "risk": replace(
            risk,
            groups=risk.groups.sample(frac=1, random_state=1),
            patterns=risk.patterns.sample(frac=1, random_state=2),
        )
    }


def test_group_tables_read_as_before(bank):
    from channelgraph.viz.results import risk_groups

    _, results = bank
    for res in (results, _shuffled_results(results)):
        want = _reference_risk_groups(res)
        assert want and risk_groups(res) == want


def _groups_of_nodes(groups) -> dict:
    """Node id → its most severe group."""
    out: dict = {}
    for g in groups:
        for m in g.members:
            out.setdefault(m, g)
    return out


def _reference_priority(graph, results):
    """The importance order of the views as it was written against dicts of the graph."""
    from channelgraph.viz.results import guarantee_patterns, hub_ranks

    node_group = _groups_of_nodes(_reference_risk_groups(results))
    in_pattern = {m for p in guarantee_patterns(results) for m in p.members}
    hubs = hub_ranks(results)

    def key(n):
        gr = node_group.get(n)
        return (
            0 if gr is not None and gr.status == "breach" else 1,
            0 if gr is not None and gr.status == "large_exposure" else 1,
            0 if n in in_pattern else 1,
            hubs.get(n, (10**9, 0.0))[0],
            -int(graph.nodes[n].get("outstanding_fen") or 0),
            str(n),
        )

    return key


def test_importance_order_is_the_reference_order(bank):
    book, results = bank
    graph = book.to_networkx()
    for res in (results, _shuffled_results(results)):
        found = findings_of(res, book)
        want = sorted(graph.nodes, key=_reference_priority(graph, res))
        assert [found.index.ids[i] for i in found.by_priority(range(book.n))] == want
        node_group = _groups_of_nodes(_reference_risk_groups(res))
        for n in list(graph.nodes)[::7]:
            assert found.group(found.index.index_of(n)) == node_group.get(n)


def _view_pages(book, results, **kw):
    from channelgraph.viz import main_views

    return [(name, render_html(view)) for name, view in main_views(book, results, **kw)]


@pytest.mark.parametrize("budget, lang", [(2000, "zh"), (120, "en")])
def test_main_views_are_the_same_from_findings_or_results(bank, budget, lang):
    book, results = bank
    pages = _view_pages(book, results, lang=lang, node_budget=budget)
    assert [n for n, _ in pages] == [
        "overview.html",
        "channel-1.html",
        "channel-2.html",
        "channel-3.html",
        "group-1.html",
        "pattern-1.html",
        "ego-1.html",
    ]
    assert pages == _view_pages(book, findings_of(results, book), lang=lang, node_budget=budget)
    # above LABEL_ALL_MAX nodes only channels, stars and the most important carry a label
    from channelgraph.viz import main_views
    from channelgraph.viz.views import LABEL_ALL_MAX

    for _, view in main_views(book, results, lang=lang, node_budget=budget):
        unlabelled = [v for v in view.nodes if not v.label]
        assert bool(unlabelled) == (len(view.nodes) > LABEL_ALL_MAX), view.kind
        assert all(v.kind not in ("chamber", "market", "intermediary") for v in unlabelled)
    assert (
        ego_view(book, "M0001", 2, results, lang=lang, node_budget=budget).nodes
        == ego_view(book, "M0001", 2, findings_of(results, book), lang=lang, node_budget=budget).nodes
    )


def test_main_views_without_results_are_the_overview_and_channels(interleaved, tmp_path):
    pages = main_views(interleaved, None)
    assert [n for n, _ in pages] == ["overview.html", "channel-1.html"]
    hostile = hostile_book(tmp_path)
    pages = main_views(hostile, None, lang="en")
    assert [n for n, _ in pages] == ["overview.html", "channel-1.html", "channel-2.html"]
    assert all(any("No risk results" in n for n in view.notes) for _, view in pages)


def test_write_views_needs_no_graph(sample, tmp_path, monkeypatch):
    import channelgraph.store

    book, results = sample
    monkeypatch.setattr(channelgraph.store, "build_graph", lambda *a, **k: pytest.fail("a whole-book graph"))
    files = write_views(book, results, tmp_path)
    pages = dict(_view_pages(book, results))
    assert [f.name for f in files] == [*pages, "index.json"]
    for f in files[:-1]:
        assert f.read_text(encoding="utf-8") == pages[f.name], f.name


def test_cli_viz_builds_no_graph(tmp_path, monkeypatch):
    import channelgraph.store

    monkeypatch.setattr(channelgraph.store, "build_graph", lambda *a, **k: pytest.fail("a whole-book graph"))
    r = CliRunner().invoke(main, ["viz", str(SAMPLE), "--view", "channel", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "channel-top.html").exists()


def test_network_data_is_what_pyvis_assembles(hostile):
    """Nodes and edges are made without pyvis (it is quadratic), in pyvis's own shape."""
    import json as _json

    from pyvis.network import Network

    from channelgraph.viz.html import network_data
    from channelgraph.viz.mask import maybe_mask

    view = ego_view(hostile, "E1", hops=2, lang="en")
    for mask in (True, False):
        m = lambda v, mask=mask: maybe_mask(v, mask)
        net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line", bgcolor="#ffffff")
        index = {}
        for i, v in enumerate(view.nodes):
            index[v.id] = i
            net.add_node(
                i,
                label=m(v.label) or " ",
                shape=v.shape,
                size=v.size,
                x=v.x,
                y=v.y,
                borderWidth=v.border_width,
                borderWidthSelected=v.border_width + 2,
                color={
                    "background": v.color,
                    "border": v.border,
                    "highlight": {"background": v.color, "border": "#000000"},
                    "hover": {"background": v.color, "border": "#000000"},
                },
                font={"size": v.font_size},
                tip={"h": m(v.name), "r": [[k, m(x)] for k, x in v.rows]},
                s=(m(v.name) + " " + m(v.id)).lower(),
            )
        for e in view.edges:
            opts = {
                "color": {
                    "color": e.color,
                    "highlight": "#000000",
                    "hover": e.color if e.faint else "#000000",
                    "inherit": False,
                },
                "width": e.width,
                "dashes": e.dashes,
                "arrows": {"to": {"enabled": bool(e.arrow), "scaleFactor": 0.6 if e.width < 1.5 else 0.9}},
                "tip": {"h": "", "r": [[k, m(x)] for k, x in e.rows]},
            }
            if e.label:
                opts["label"] = m(e.label)
                opts["font"] = {"color": e.color if e.type == "GUARANTEES" else "#333333"}
            if e.roundness:
                opts["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": e.roundness}
            net.add_edge(index[e.src], index[e.dst], **opts)
        for node, v in zip(net.nodes, view.nodes):
            node["label"] = m(v.label)
        ours = network_data(view, mask)
        assert _json.dumps(ours["nodes"], ensure_ascii=False) == _json.dumps(net.nodes, ensure_ascii=False)
        assert _json.dumps(ours["edges"], ensure_ascii=False) == _json.dumps(net.edges, ensure_ascii=False)


def test_layout_is_the_plain_numpy_layout():
    """The far field is computed in cache-sized blocks; positions are those of the plain expression."""
    import networkx as nx
    import numpy as np
    from scipy.spatial import cKDTree

    import channelgraph.viz.layout as layout

    def plain(pos, k2, radius, grid, far=None):
        disp = np.zeros_like(pos)
        pairs = cKDTree(pos).query_pairs(radius, output_type="ndarray")
        if len(pairs):
            a, b = pairs[:, 0], pairs[:, 1]
            d = pos[a] - pos[b]
            d2 = np.maximum((d * d).sum(1), 1e-9)
            f = d * (k2 / d2)[:, None]
            n = len(pos)
            disp += layout._scatter(a, f, n)
            disp -= layout._scatter(b, f, n)
        lo = pos.min(0)
        size = np.maximum(pos.max(0) - lo, 1e-9)
        cell = np.minimum((((pos - lo) / size) * grid).astype(int), grid - 1)
        cid = cell[:, 0] * grid + cell[:, 1]
        mass = np.bincount(cid, minlength=grid * grid).astype(float)
        cx = np.bincount(cid, weights=pos[:, 0], minlength=grid * grid)
        cy = np.bincount(cid, weights=pos[:, 1], minlength=grid * grid)
        used = mass > 0
        mass, cx, cy = mass[used], cx[used] / mass[used], cy[used] / mass[used]
        px, py = pos[:, 0].astype(np.float32), pos[:, 1].astype(np.float32)
        dx = px[:, None] - cx.astype(np.float32)[None, :]
        dy = py[:, None] - cy.astype(np.float32)[None, :]
        d2 = dx * dx + dy * dy
        inv = (mass.astype(np.float32) * np.float32(k2))[None, :] / np.maximum(d2, np.float32(1e-9))
        inv[d2 <= np.float32(radius * radius)] = 0
        disp[:, 0] += (dx * inv).sum(1)
        disp[:, 1] += (dy * inv).sum(1)
        return disp

    for n, m, fixed in ((900, 1, None), (1500, 2, {0: (0.5, 0.5)})):
        edges = list(nx.barabasi_albert_graph(n, m, seed=n).edges())
        fast = layout.force_layout(n, edges, seed=42, fixed=fixed)
        original = layout._repulsion_grid
        try:
            layout._repulsion_grid = plain
            reference = layout.force_layout(n, edges, seed=42, fixed=fixed)
        finally:
            layout._repulsion_grid = original
        assert (fast == reference).all()


def test_finding_groups_and_patterns_as_before(bank):
    from channelgraph.viz.results import guarantee_patterns

    _, results = bank
    groups = _reference_risk_groups(results)
    patterns = guarantee_patterns(results)
    circles = [p for p in patterns if p.pattern in ("circle_block", "circle", "mutual")]
    largest = sorted(circles, key=lambda p: (-len(p.members), -p.exposure_fen, p.pattern_id))[0]

    def group_ref(ident):
        return next((g for g in groups if g.group_id == ident), None) or next(
            (g for g in groups if ident in g.members), None
        )

    def pattern_ref(ident):
        p = next((p for p in patterns if p.pattern_id == ident), None)
        if p is None and ident.lstrip("#").isdigit() and 1 <= int(ident.lstrip("#")) <= len(patterns):
            p = patterns[int(ident.lstrip("#")) - 1]
        matching = [p for p in patterns if ident in p.members]
        return p or (sorted(matching, key=lambda p: (-len(p.members), p.pattern_id))[0] if matching else None)

    assert find_group(results) == groups[0] and find_pattern(results) == largest
    members = [m for g in groups[::50] for m in g.members[:2]] + [m for p in patterns[::20] for m in p.members[:2]]
    idents = (
        [g.group_id for g in groups[::40]]
        + [p.pattern_id for p in patterns[::30]]
        + members
        + ["1", "#2", str(len(patterns)), str(len(patterns) + 1), "nobody", ""]
    )
    for ident in idents:
        assert find_group(results, ident) == group_ref(ident), ident
        assert find_pattern(results, ident) == pattern_ref(ident), ident
