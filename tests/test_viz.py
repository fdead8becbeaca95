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
    return ds, graph, run_analyses(graph, ds)


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
