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
from channelgraph.store import build_graph
from channelgraph.viz import (
    channel_view,
    ego_view,
    find_group,
    find_pattern,
    group_view,
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
    write_dataset(folder, entities=HOSTILE_ENTITIES, relations=HOSTILE_RELATIONS, exposures=HOSTILE_EXPOSURES,
                  schemes=None)
    return load_dataset(folder)


def hostile_graph(folder: Path):
    return build_graph(hostile_dataset(folder / "hostile"))


@pytest.fixture(scope="module")
def sample():
    from channelgraph.analyses import run_analyses

    ds = load_dataset(SAMPLE)
    graph = build_graph(ds)
    return ds, graph, run_analyses(build_book(ds))


@pytest.fixture
def hostile(tmp_path):
    return hostile_graph(tmp_path)


def page_data(page: str) -> dict:
    m = re.search(r'<script id="cg-data" type="application/json">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


def tag_attrs(page: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*>", page, re.I)


# ----------------------------------------------------------------------------- masking


@pytest.mark.parametrize("raw, masked", [
    ("13812345678", "138****5678"),
    ("+86 138-1234-5678", "138****5678"),
    ("330602199001011234", "330602********1234"),
    ("33060219900101123x", "330602********123x"),
    ("330602900101123", "330602*****1123"),
    ("0571-88889999", "0571-****9999"),
    ("010-88889999", "010-****9999"),
    ("电话13812345678，身份证330602199001011234", "电话138****5678，身份证330602********1234"),
])
def test_identifiers_are_masked_anywhere_in_a_text(raw, masked):
    assert mask_text(raw) == masked


@pytest.mark.parametrize("text", ["P000001", "1,234,567.89", "13812345678.00", "2019-05-01", "12345", "E000005",
                                  "0.15", "1381234567890"])
def test_ids_amounts_and_dates_are_not_masked(text):
    assert mask_text(text) == text


def test_pages_mask_identifiers_in_any_column_by_default(hostile):
    page = render_html(ego_view(hostile, "E1", hops=2, lang="en"))
    for raw in ("13812345678", "330602199001011234", "33060219900101123X", "0571-88889999", "0575-85551234",
                "139-0000-1111"):
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
    ents = ("id,kind,name,is_customer\n13812345678,person,甲,true\n330602199001011234,person,乙,true\n")
    rels = "src,dst,type\n13812345678,330602199001011234,REFERRED\n"
    exps = "facility_id,customer_id,outstanding\nF1,13812345678,100\n"
    write_dataset(tmp_path / "ids", entities=ents, relations=rels, exposures=exps, schemes=None)
    graph = build_graph(load_dataset(tmp_path / "ids"))
    page = render_html(ego_view(graph, "13812345678"))
    assert "13812345678" not in page and "330602199001011234" not in page
    assert [n["id"] for n in page_data(page)["nodes"]] == [0, 1]


# ----------------------------------------------------------------------------- escaping, self-containment


def test_hostile_names_are_data_not_markup(hostile):
    page = render_html(ego_view(hostile, "E1", hops=2, lang="en"), title=HOSTILE_NAME)
    # nothing from the data becomes a tag
    assert "<img" not in page.lower() and "<svg onload" not in page.lower()
    assert page.count("</script>") == 3  # data, vis-network, our script
    assert "\u2028" not in page
    assert "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;" in page or \
           "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in page  # the title, escaped
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
    _, graph, results = sample
    a = render_html(overview(graph, results))
    b = render_html(overview(graph, results))
    assert a == b
    c = render_html(channel_view(graph, "M0001", results, lang="en"))
    assert c == render_html(channel_view(graph, "M0001", results, lang="en"))


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
    _, graph, results = sample
    group = find_group(graph, results)
    assert group is not None and group.status == "breach"
    view = group_view(graph, group.members, results, group=group, lang="en")
    assert {v.id for v in view.nodes} == set(group.members)
    assert all(v.border == "#e00000" and v.border_width >= 4 for v in view.nodes)
    assert "limit breached" in view.title and group.group_id in view.title
    assert any("breached group" in i.text for i in view.legend)


def test_channel_view_has_members_key_persons_and_colours(sample):
    _, graph, results = sample
    view = channel_view(graph, "M0001", results, lang="zh")
    ids = {v.id for v in view.nodes}
    members = {u for u, _, k in graph.in_edges("M0001", keys=True) if k == "TRADES_IN"}
    assert members <= ids and "M0001" in ids
    centre = next(v for v in view.nodes if v.id == "M0001")
    assert centre.focus and centre.shape == "diamond" and centre.label.endswith(graph.nodes["M0001"]["name"])
    assert {v.color for v in view.nodes if v.kind == "person"} == {"#4e79a7"}
    assert view.stats["members"] >= len(members)
    assert any(v.label.startswith("★") for v in view.nodes)
    rows = dict(next(v for v in view.nodes if v.kind == "enterprise").rows)
    assert "贷款余额（元）" in rows and "编号" in rows


def test_ego_view_follows_hops_either_way(hostile):
    one = {v.id for v in ego_view(hostile, "E2", hops=1).nodes}
    assert one == {"E1", "E2", "E3"}
    two = {v.id for v in ego_view(hostile, "E2", hops=2).nodes}
    assert two == {"E1", "E2", "E3", "P1", "M1"}
    with pytest.raises(KeyError):
        ego_view(hostile, "nobody")


def test_patterns_and_groups_fall_back_to_the_graph_without_risk_results(hostile):
    pattern = find_pattern(hostile, None)
    assert pattern is not None and set(pattern.members) == {"E1", "E2", "E3"} and pattern.computed_here
    group = find_group(hostile, None)
    assert group is not None and group.computed_here and {"P1", "E1", "E2"} <= set(group.members)
    view = pattern_view(hostile, pattern.members, pattern=pattern, lang="en")
    assert any("computed here" in n for n in view.notes)


def test_overview_keeps_the_budget_and_says_what_was_left_out(sample):
    _, graph, results = sample
    view = overview(graph, results, node_budget=100, lang="en")
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
    group = find_group(graph, results)
    assert set(group.members) <= kept
    full = overview(graph, results)
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
    graph = build_graph(load_dataset(tmp_path / "bank"))
    t0 = time.perf_counter()
    page = render_html(overview(graph, None, node_budget=2000))
    took = time.perf_counter() - t0
    data = page_data(page)
    assert len(data["nodes"]) == 2000
    assert data["options"]["physics"]["enabled"] is False
    assert all("x" in n and "y" in n for n in data["nodes"])
    assert took < 30, took


# ----------------------------------------------------------------------------- writing, CLI


def test_write_views_writes_the_main_views_and_an_index(sample, tmp_path):
    ds, graph, results = sample
    files = write_views(graph, ds, results, tmp_path, lang="en")
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
    for args, name in ((["--view", "overview"], "overview.html"),
                       (["--view", "channel", "--id", "M0001", "--lang", "en"], "channel-M0001.html"),
                       (["--view", "ego", "--id", "P000001", "--hops", "2"], "ego-P000001.html"),
                       (["--view", "group"], "group-top.html"),
                       (["--view", "pattern", "--id", "1"], "pattern-1.html")):
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


# ----------------------------------------------------------------------------- the book: views without the graph
#
# The views are built from the validated tables through a Book (numpy arrays), not from
# a NetworkX graph of the whole book. NetworkX stays the reference: on small books every
# answer the Book gives is compared with the same question asked of build_graph's graph.

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
    """A generated bank (1,500 customers), its whole-book graph and its analyses."""
    from channelgraph.analyses import run_analyses
    from channelgraph.generate import generate_dataset

    folder = tmp_path_factory.mktemp("bank")
    generate_dataset(folder, customers=1500, seed=5)
    ds = load_dataset(folder)
    graph = build_graph(ds)
    return ds, graph, run_analyses(build_book(ds))


@pytest.fixture(scope="module")
def interleaved(tmp_path_factory):
    """Ties of several types between one pair, interleaved with others; a long non-ASCII id."""
    folder = tmp_path_factory.mktemp("interleaved")
    write_dataset(folder, entities=INTERLEAVED_ENTITIES, relations=INTERLEAVED_RELATIONS,
                  exposures=INTERLEAVED_EXPOSURES, schemes=None)
    ds = load_dataset(folder)
    return ds, build_graph(ds)


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
def test_book_answers_as_networkx_does(which, bank, interleaved):
    import numpy as np

    from channelgraph.viz import Book

    ds, graph = (bank[0], bank[1]) if which == "bank" else interleaved
    for book in (Book.of(ds), Book.of(graph)):
        nodes = list(graph.nodes)
        assert book.ids.tolist() == nodes
        assert book.degree.tolist() == [graph.degree(n) for n in nodes]
        assert book.outstanding.tolist() == [int(graph.nodes[n].get("outstanding_fen") or 0) for n in nodes]
        assert all(_same(a, graph.nodes[n]) for a, n in zip(book.node_attrs(np.arange(len(nodes))), nodes))
        # the ties among any set of entities, in the order MultiDiGraph.out_edges lists them
        rng = np.random.default_rng(3)
        for size in (1, 5, len(nodes) // 3, len(nodes)):
            order = rng.permutation(len(nodes))[:size]
            shown = {nodes[i] for i in order}
            want = [(u, v, k) for u in (nodes[i] for i in order)
                    for _, v, k in graph.out_edges(u, keys=True) if v in shown]
            rows = book.ties_among(order)
            got = [(book.ids[s], book.ids[d], book.type_names[t])
                   for s, d, t in zip(book.src[rows], book.dst[rows], book.rtype[rows])]
            assert got == want
            assert all(_same(a, graph.edges[u, v, k]) for a, (u, v, k) in zip(book.edge_attrs(rows), want))
            near = book.neighbours(book.mask(order))
            want_near = {v for u in shown for v in list(graph.successors(u)) + list(graph.predecessors(u))}
            assert {book.ids[i] for i in np.flatnonzero(near)} == want_near
        for c in np.flatnonzero(book.channel):
            members = {book.ids[m]: role for m, role in book.channel_members(c).items()}
            assert members == _reference_members(graph, book.ids[c])
            assert book.member_counts[c] == len(members)
        assert book.index_of("no such id") == -1 and "no such id" not in book
        assert [book.index_of(n) for n in nodes] == list(range(len(nodes)))


def test_id_lookup_is_exact():
    import numpy as np

    from channelgraph.viz.book import IdIndex

    ids = np.array(["P1", "P10", "p1", "E000001", "x" * 16, "12", "x" * 17, "张三", " P1", "P1 "], dtype=object)
    queries = ["P1", "P10", "P100", "x" * 16, "x" * 17, "x" * 18, "张三", "", "P", "p1", "P1 ", "12"]
    for text in (True, None):
        packed = IdIndex(ids[:6], text=text)  # short ASCII ids: packed into two 64-bit words
        assert packed.words() is not None
        assert packed.positions(queries).tolist() == [0, 1, -1, 4, -1, -1, -1, -1, -1, 2, -1, 5]
        assert packed.position(12) == -1 and packed.position(["P1"]) == -1 and packed.position("张三") == -1
        for other in (IdIndex(ids, text=text), IdIndex(ids[:7], text=text)):  # a long or non-ASCII id: a dict
            assert other.words() is None
            assert other.positions(list(other.ids)).tolist() == list(range(len(other.ids)))
            assert other.positions(["x" * 17, "12", 12]).tolist() == [6, 5, -1]


def _reference_risk_groups(results):
    """risk_groups as it was written: one GroupInfo per row, then sorted."""
    from channelgraph.viz.results import _STATUS_ORDER, GroupInfo, _col, _int, _ratio, _str, find_table, split_members

    df = find_table(results, "risk_groups")
    if df is None or len(df) == 0:
        return []
    gid, mem = _col(df, "group_id", "id", "group"), _col(df, "members", "member_ids")
    exp, shr, st = _col(df, "exposure_fen", "outstanding_fen", "total_fen"), _col(df, "share_of_tier1", "share"), \
        _col(df, "status")
    by_group: dict = {}
    if mem is None:
        gm = find_table(results, "risk_group_members")
        for g, m in zip(gm["group_id"].tolist(), gm["entity_id"].tolist()):
            by_group.setdefault(_str(g), []).append(_str(m))
    n = len(df)
    gids = [_str(v) for v in df[gid].tolist()]
    mems = [split_members(v) for v in df[mem].tolist()] if mem else [by_group.get(g, []) for g in gids]
    exps = [_int(v) for v in df[exp].tolist()] if exp else [0] * n
    shrs = [_ratio(v) for v in df[shr].tolist()] if shr else [None] * n
    sts = [_str(v) or "ok" for v in df[st].tolist()] if st else ["ok"] * n
    out = [GroupInfo(*row) for row in zip(gids, mems, exps, shrs, sts)]
    out.sort(key=lambda x: (_STATUS_ORDER.get(x.status, 3), -x.exposure_fen, -len(x.members), x.group_id))
    return out


def _odd_results(results):
    """The same findings in the other shapes the views accept: ';'-joined members, members only in
    risk_group_members, gaps in numbers and statuses, an unknown status."""
    import numpy as np

    from channelgraph.analyses import AnalysisResult

    rg = results["risk"].tables["risk_groups"].copy()
    joined = rg.assign(members=["; ".join(m) for m in rg["members"]])
    gaps = rg.assign(exposure_fen=rg["exposure_fen"].astype("Int64"), share_of_tier1=rg["share_of_tier1"].astype(float))
    gaps.loc[gaps.index[::5], "exposure_fen"] = None
    gaps.loc[gaps.index[::3], "share_of_tier1"] = np.nan
    gaps.loc[gaps.index[1::4], "status"] = None
    gaps.loc[gaps.index[2::9], "status"] = "watch"
    split = rg.drop(columns=["members"])
    members = results["risk"].tables["risk_group_members"]
    hubs = results["marketing"].tables["hubs"]
    return [{"risk": AnalysisResult({"risk_groups": t, "risk_group_members": members}),
             "marketing": AnalysisResult({"hubs": hubs})} for t in (joined, gaps, split)]


def test_group_tables_read_as_before(bank):
    from channelgraph.viz.results import risk_groups

    _, _, results = bank
    for res in [results] + _odd_results(results):
        want = _reference_risk_groups(res)
        assert want and risk_groups(res) == want


def _reference_priority(graph, results):
    """The importance order of the views as it was written against dicts of the graph."""
    from channelgraph.viz.results import groups_of_nodes, guarantee_patterns, hub_ranks

    node_group = groups_of_nodes(_reference_risk_groups(results))
    in_pattern = {m for p in guarantee_patterns(results) for m in p.members}
    hubs = hub_ranks(results)

    def key(n):
        gr = node_group.get(n)
        return (0 if gr is not None and gr.status == "breach" else 1,
                0 if gr is not None and gr.status == "large_exposure" else 1,
                0 if n in in_pattern else 1, hubs.get(n, (10**9, 0.0))[0],
                -int(graph.nodes[n].get("outstanding_fen") or 0), str(n))

    return key


def test_importance_order_is_the_reference_order(bank):
    from channelgraph.viz import Book, Findings

    from channelgraph.viz.results import groups_of_nodes

    ds, graph, results = bank
    book = Book.of(ds)
    for res in [results] + _odd_results(results):
        found = Findings(res, book)
        want = sorted(graph.nodes, key=_reference_priority(graph, res))
        assert [book.ids[i] for i in found.by_priority(range(book.n_nodes))] == want
        node_group = groups_of_nodes(_reference_risk_groups(res))
        for n in list(graph.nodes)[::7]:
            assert found.group(book.index_of(n)) == node_group.get(n)


def _reference_local_groups(graph, policy):
    import networkx as nx

    from channelgraph.model import share_of
    from channelgraph.viz.results import _STATUS_ORDER, GroupInfo

    h = nx.Graph()
    h.add_edges_from((u, v) for u, v, k in graph.edges(keys=True) if k in ("CONTROLS", "GUARANTEES", "FAMILY"))
    out = []
    comps = sorted((sorted(c) for c in nx.connected_components(h) if len(c) > 1), key=lambda c: (-len(c), c[0]))
    for i, comp in enumerate(comps):
        exposure = sum(int(graph.nodes[n].get("outstanding_fen") or 0) for n in comp)
        share = share_of(exposure, policy.tier1_capital_fen)
        status = ("breach" if share > policy.limits.group_share
                  else "large_exposure" if share > policy.limits.large_exposure_share else "ok")
        out.append(GroupInfo(f"L{i + 1}", comp, exposure, float(share), status, computed_here=True))
    out.sort(key=lambda x: (_STATUS_ORDER.get(x.status, 3), -x.exposure_fen, -len(x.members), x.group_id))
    return out


def _reference_local_circles(graph):
    import networkx as nx

    from channelgraph.viz.results import PatternInfo

    h = nx.DiGraph()
    h.add_edges_from((u, v) for u, v, k in graph.edges(keys=True) if k == "GUARANTEES")
    comps = sorted((sorted(c) for c in nx.strongly_connected_components(h) if len(c) > 1),
                   key=lambda c: (-len(c), c[0]))
    out = []
    for i, comp in enumerate(comps):
        cs = set(comp)
        amount = sum(int(a.get("amount_fen") or 0) for u, v, k, a in graph.edges(comp, keys=True, data=True)
                     if k == "GUARANTEES" and v in cs)
        out.append(PatternInfo(f"L{i + 1}", "mutual" if len(comp) == 2 else "circle", comp, amount,
                               computed_here=True))
    return out


@pytest.mark.parametrize("which", ["bank", "interleaved", "hostile"])
def test_groups_and_circles_without_risk_results_match_networkx(which, bank, interleaved, tmp_path):
    from channelgraph.viz import Book
    from channelgraph.viz.results import local_circles, local_groups

    if which == "hostile":
        ds = hostile_dataset(tmp_path / "h")
        graph = build_graph(ds)
    else:
        ds, graph = (bank[0], bank[1]) if which == "bank" else interleaved
    want_groups = _reference_local_groups(graph, ds.policy)
    want_circles = _reference_local_circles(graph)
    assert want_circles or which == "bank"
    for source in (ds, graph):
        book = Book.of(source)
        assert local_groups(book, ds.policy) == want_groups
        assert local_circles(book) == want_circles


def _view_pages(source, results, **kw):
    from channelgraph.viz import main_views

    return [(name, render_html(view)) for name, view in main_views(source, results, **kw)]


@pytest.mark.parametrize("budget, lang", [(2000, "zh"), (120, "en")])
def test_views_from_the_tables_are_the_views_from_the_graph(bank, budget, lang):
    ds, graph, results = bank
    from_tables = _view_pages(ds, results, lang=lang, node_budget=budget, policy=ds.policy)
    from_graph = _view_pages(graph, results, lang=lang, node_budget=budget, policy=ds.policy)
    assert [n for n, _ in from_tables] == ["overview.html", "channel-1.html", "channel-2.html", "channel-3.html",
                                           "group-1.html", "pattern-1.html", "ego-1.html"]
    assert from_tables == from_graph
    # above LABEL_ALL_MAX nodes only channels, stars and the most important carry a label
    from channelgraph.viz import main_views
    from channelgraph.viz.views import LABEL_ALL_MAX

    for _, view in main_views(ds, results, lang=lang, node_budget=budget):
        unlabelled = [v for v in view.nodes if not v.label]
        assert bool(unlabelled) == (len(view.nodes) > LABEL_ALL_MAX), view.kind
        assert all(v.kind not in ("chamber", "market", "intermediary") for v in unlabelled)
    assert ego_view(ds, "M0001", 2, results, lang=lang, node_budget=budget).nodes == \
        ego_view(graph, "M0001", 2, results, lang=lang, node_budget=budget).nodes


def test_views_without_results_from_the_tables_are_the_views_from_the_graph(interleaved, tmp_path):
    ds, graph = interleaved
    assert _view_pages(ds, None) == _view_pages(graph, None)
    hostile = hostile_dataset(tmp_path / "h")
    assert _view_pages(hostile, None, lang="en") == _view_pages(build_graph(hostile), None, lang="en")


def test_write_views_needs_no_graph(sample, tmp_path, monkeypatch):
    import channelgraph.store

    ds, graph, results = sample
    with_graph = write_views(graph, None, results, tmp_path / "g")
    monkeypatch.setattr(channelgraph.store, "build_graph", lambda *a, **k: pytest.fail("a whole-book graph"))
    without = write_views(None, ds, results, tmp_path / "t")
    assert [f.name for f in without] == [f.name for f in with_graph]
    for a, b in zip(without, with_graph):
        assert a.read_bytes() == b.read_bytes(), a.name


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
        m = (lambda v, mask=mask: maybe_mask(v, mask))
        net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line", bgcolor="#ffffff")
        index = {}
        for i, v in enumerate(view.nodes):
            index[v.id] = i
            net.add_node(i, label=m(v.label) or " ", shape=v.shape, size=v.size, x=v.x, y=v.y,
                         borderWidth=v.border_width, borderWidthSelected=v.border_width + 2,
                         color={"background": v.color, "border": v.border,
                                "highlight": {"background": v.color, "border": "#000000"},
                                "hover": {"background": v.color, "border": "#000000"}},
                         font={"size": v.font_size}, tip={"h": m(v.name), "r": [[k, m(x)] for k, x in v.rows]},
                         s=(m(v.name) + " " + m(v.id)).lower())
        for e in view.edges:
            opts = {"color": {"color": e.color, "highlight": "#000000", "hover": e.color if e.faint else "#000000",
                              "inherit": False},
                    "width": e.width, "dashes": e.dashes,
                    "arrows": {"to": {"enabled": bool(e.arrow), "scaleFactor": 0.6 if e.width < 1.5 else 0.9}},
                    "tip": {"h": "", "r": [[k, m(x)] for k, x in e.rows]}}
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
    from channelgraph.viz.results import guarantee_patterns, largest_circle

    ds, graph, results = bank
    groups = _reference_risk_groups(results)
    patterns = guarantee_patterns(results)

    def group_ref(ident):
        return next((g for g in groups if g.group_id == ident), None) or \
            next((g for g in groups if ident in g.members), None)

    def pattern_ref(ident):
        p = next((p for p in patterns if p.pattern_id == ident), None)
        if p is None and ident.lstrip("#").isdigit() and 1 <= int(ident.lstrip("#")) <= len(patterns):
            p = patterns[int(ident.lstrip("#")) - 1]
        matching = [p for p in patterns if ident in p.members]
        return p or (sorted(matching, key=lambda p: (-len(p.members), p.pattern_id))[0] if matching else None)

    assert find_group(ds, results) == groups[0] and find_pattern(ds, results) == largest_circle(patterns)
    members = [m for g in groups[::50] for m in g.members[:2]] + [m for p in patterns[::20] for m in p.members[:2]]
    idents = [g.group_id for g in groups[::40]] + [p.pattern_id for p in patterns[::30]] + members + \
        ["1", "#2", str(len(patterns)), str(len(patterns) + 1), "nobody", ""]
    for ident in idents:
        assert find_group(ds, results, ident) == group_ref(ident), ident
        assert find_pattern(ds, results, ident) == pattern_ref(ident), ident
