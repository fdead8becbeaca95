"""Marketing analytics: known answers on hand-made graphs, equality with networkx, determinism."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

from channelgraph.graph import build_book
from channelgraph.analyses import run_analyses
from channelgraph.cli import main
from channelgraph.io import dataset_from_frames, load_dataset
from channelgraph.io.write import write_table
from channelgraph.marketing import (
    build_view,
    campaign_communities,
    campaign_seeds,
    channel_profiles,
    marketing_report,
    rank_hubs,
    run_marketing,
    start_marketing,
)
from channelgraph.marketing import communities as communities_mod
from channelgraph.marketing.centrality import betweenness, pagerank, two_hop_reach, two_hop_set
from channelgraph.policy import Policy
from channelgraph.risk import RiskResult
from conftest import SAMPLE


def make(entities: list[tuple], relations: list[tuple], exposures: list[tuple] = (), policy: Policy | None = None):
    """Dataset and book from tuples: entities (id, kind, is_customer[, region]),
    relations (src, dst, type[, role]), exposures (customer_id, outstanding yuan)."""
    ent = pd.DataFrame(
        {
            "id": [e[0] for e in entities],
            "kind": [e[1] for e in entities],
            "name": [f"name-{e[0]}" for e in entities],
            "is_customer": ["true" if e[2] else "false" for e in entities],
            "region": [e[3] if len(e) > 3 else "" for e in entities],
        }
    )
    rel = pd.DataFrame(
        {
            "src": [r[0] for r in relations],
            "dst": [r[1] for r in relations],
            "type": [r[2] for r in relations],
            "role": [r[3] if len(r) > 3 else "" for r in relations],
        }
    )
    exp = pd.DataFrame(
        {
            "facility_id": [f"F{i}" for i in range(len(exposures))],
            "customer_id": [x[0] for x in exposures],
            "outstanding": [str(x[1]) for x in exposures],
        },
        columns=["facility_id", "customer_id", "outstanding"],
    )
    ds = dataset_from_frames(ent, rel, exp, policy=policy)
    return ds, build_book(ds)


# ----------------------------------------------------------------------------- known answers


def star_broker_world():
    """A broker store manager who referred 30 customers, among ordinary referrers and a chamber."""
    ents = [("B", "person", True), ("I1", "intermediary", False), ("C1", "chamber", False)]
    rels = [("I1", "B", "EMPLOYS", "store_manager")]
    exps = []
    for i in range(30):
        ents.append((f"R{i:02d}", "person", True))
        rels += [("B", f"R{i:02d}", "REFERRED"), (f"R{i:02d}", "I1", "SOURCED_VIA")]
        exps.append((f"R{i:02d}", 1000))
    # ordinary referrers: each referred 3 (2 converted)
    for j in range(5):
        ents.append((f"Q{j}", "person", True))
        for t in range(3):
            ents.append((f"Q{j}T{t}", "person", t < 2))
            rels.append((f"Q{j}", f"Q{j}T{t}", "REFERRED"))
    # a chamber of 10 members, 4 customers and 6 prospects
    for m in range(10):
        ents.append((f"M{m}", "person", m < 4))
        rels.append((f"M{m}", "C1", "MEMBER_OF", "president" if m == 0 else ""))
    return ents, rels, exps


def test_star_broker_ranks_first():
    ds, g = make(*star_broker_world())
    hubs = rank_hubs(g)
    top = hubs.iloc[0]
    assert top["id"] == "B" and top["rank"] == 1
    assert top["referrals_made"] == 30 and top["referrals_converted"] == 30
    assert top["referred_outstanding_fen"] == 30 * 1000 * 100
    assert top["referrals_norm"] == 1.0
    # the components and weights are written with each row and add up to the score
    w = Policy().marketing.score_weights
    expect = sum(w[c] * top[f"{c}_norm"] for c in ("referrals", "pagerank", "betweenness", "reach"))
    assert top["score"] == pytest.approx(expect, abs=1e-7)
    assert top["w_referrals"] == 0.35 and top["w_reach"] == 0.3
    assert "converted 30 of 30 referrals" in top["why"]
    # every entity is ranked, persons and organisations alike, ranks 1..n
    assert sorted(hubs["id"]) == sorted(ds.entities["id"])
    assert hubs["rank"].tolist() == list(range(1, len(hubs) + 1))
    assert set(hubs["kind"]) == {"person", "intermediary", "chamber"}
    # ordinary referrers: 3 made, 2 converted; one prospect at 1 hop
    q = hubs.set_index("id").loc["Q0"]
    assert (q["referrals_made"], q["referrals_converted"], q["prospects_1hop"]) == (3, 2, 1)
    # the chamber reaches its 6 prospect members at one hop
    c = hubs.set_index("id").loc["C1"]
    assert c["prospects_1hop"] == 6 and c["prospects_2hop"] == 6


def bridge_world():
    """Two communities (chambers C1, C2, eight members each tied in a ring) bridged by one president."""
    ents = [("P", "person", True), ("C1", "chamber", False), ("C2", "chamber", False)]
    rels = [("P", "C1", "MEMBER_OF", "president"), ("P", "C2", "MEMBER_OF", "vice_president")]
    for side in ("A", "B"):
        ch = "C1" if side == "A" else "C2"
        for i in range(8):
            ents.append((f"{side}{i}", "person", i % 2 == 0))
            rels.append((f"{side}{i}", ch, "MEMBER_OF"))
            rels.append((f"{side}{i}", f"{side}{(i + 1) % 8}", "FAMILY"))
        rels.append(("P", f"{side}0", "REFERRED"))
        rels.append(("P", f"{side}4", "REFERRED"))
    return ents, rels


def test_chamber_president_bridging_two_communities_has_top_betweenness():
    ds, g = make(*bridge_world())
    hubs = rank_hubs(g)
    best = hubs.sort_values(["betweenness", "id"], ascending=[False, True]).iloc[0]
    assert best["id"] == "P"
    assert best["betweenness_norm"] == 1.0
    others = hubs[hubs["id"] != "P"]["betweenness"]
    assert best["betweenness"] > 1.2 * others.max()
    # equal to networkx on the same undirected ties
    h = nx.Graph()
    nxg = g.to_networkx()
    h.add_nodes_from(nxg.nodes)
    h.add_edges_from((u, v) for u, v, _ in nxg.edges(keys=True))
    exact = nx.betweenness_centrality(h)
    for eid, b in zip(hubs["id"], hubs["betweenness"]):
        assert b == pytest.approx(exact[eid], abs=1e-7)
    # Louvain puts the two chambers in different clusters
    v = build_view(g, Policy().marketing.type_weights)
    label, _ = communities_mod.community_labels(v, 42)
    assert label[v.index_of("C1")] != label[v.index_of("C2")]
    com = campaign_communities(g, view=v)
    assert com["size"].sum() == len(ds.entities)


def test_campaign_greedy_known_cover_and_marginal_gains():
    ents = [(h, "person", True) for h in ("H1", "H2", "H3", "H4")]
    ents += [(f"x{i:02d}", "person", False) for i in range(1, 13)]
    cover = {"H1": range(1, 6), "H2": range(4, 9), "H3": range(9, 13), "H4": range(1, 3)}
    rels = [(h, f"x{i:02d}", "FAMILY") for h, xs in cover.items() for i in xs]
    ds, g = make(ents, rels)
    camp = campaign_seeds(g, k=10)
    assert camp["id"].tolist() == ["H1", "H3", "H2"]
    assert camp["marginal_gain"].tolist() == [5, 4, 3]
    assert camp["cumulative_reach"].tolist() == [5, 9, 12]
    assert camp["coverage"].tolist() == [round(5 / 12, 8), 0.75, 1.0]
    assert camp["prospects_reached"].tolist() == [5, 4, 5]
    assert camp["new_prospects"].iloc[1] == ["x09", "x10", "x11", "x12"]
    # k = 2 is an optimal cover here (9 of 12)
    two = campaign_seeds(g, k=2)
    assert two["id"].tolist() == ["H1", "H3"] and two["cumulative_reach"].iloc[-1] == 9
    # prospects are targets, never seeds
    assert not camp["id"].str.startswith("x").any()


def test_campaign_lazy_greedy_equals_plain_greedy():
    rng = random.Random(7)
    for trial in range(15):
        n = rng.randint(15, 40)
        ents = [(f"N{i:02d}", "person", rng.random() < 0.4) for i in range(n)]
        rels = set()
        for _ in range(rng.randint(n, 3 * n)):
            a, b = rng.sample(range(n), 2)
            rels.add((f"N{min(a, b):02d}", f"N{max(a, b):02d}", "FAMILY"))
        ds, g = make(ents, sorted(rels))
        v = build_view(g, Policy().marketing.type_weights)
        camp = campaign_seeds(g, k=5, view=v)
        # plain greedy, every candidate re-evaluated each round, ties by id
        sets = {i: set(two_hop_set(v.adjacency, i, v.prospect).tolist()) for i in range(v.n) if not v.prospect[i]}
        covered, gains, picks = set(), [], []
        for _ in range(5):
            best = max(sets, key=lambda i: (len(sets[i] - covered), -i))
            gain = len(sets[best] - covered)
            if gain == 0:
                break
            picks.append(v.ids[best])
            gains.append(gain)
            covered |= sets[best]
        assert camp["id"].tolist() == picks, trial
        assert camp["marginal_gain"].tolist() == gains, trial


def test_campaign_scopes():
    ents = [
        ("C1", "chamber", False),
        ("K1", "person", True, "r1"),
        ("K2", "person", True, "r2"),
        ("p1", "person", False, "r1"),
        ("p2", "person", False, "r1"),
        ("p3", "person", False, "r2"),
        ("out", "person", False, "r1"),
    ]
    rels = [
        ("K1", "C1", "MEMBER_OF"),
        ("K2", "C1", "MEMBER_OF"),
        ("p1", "C1", "MEMBER_OF"),
        ("p2", "C1", "MEMBER_OF"),
        ("p3", "C1", "MEMBER_OF"),
        ("K1", "p1", "FAMILY"),
        ("K1", "p2", "FAMILY"),
        ("K2", "p3", "FAMILY"),
        ("K1", "out", "FAMILY"),
    ]
    ds, g = make(ents, rels)
    # inside the chamber, paths through the chamber itself do not count: K1 reaches p1, p2
    camp = campaign_seeds(g, k=5, channel="C1")
    assert camp["id"].tolist() == ["K1", "K2"]
    assert camp["marginal_gain"].tolist() == [2, 1]
    assert camp.attrs["prospects_in_scope"] == 3
    assert (camp["scope"] == "channel C1").all()
    reg = campaign_seeds(g, k=5, region="r1")
    assert reg.attrs["prospects_in_scope"] == 3  # p1, p2, out
    assert reg["id"].tolist() == ["K1"] and reg["marginal_gain"].tolist() == [3]
    from channelgraph.marketing import ScopeError

    with pytest.raises(ScopeError):
        campaign_seeds(g, channel="K1")
    with pytest.raises(ScopeError):
        campaign_seeds(g, region="nowhere")


def test_channel_penetration_by_hand():
    ents = [
        ("C1", "chamber", False),
        ("M1", "market", False),
        ("I1", "intermediary", False),
        ("P1", "person", True),
        ("P2", "person", True),
        ("P3", "person", False),
        ("P4", "person", False),
        ("P5", "person", False),
        ("E1", "enterprise", True),
        ("S1", "person", True),
    ]
    rels = [
        ("P1", "C1", "MEMBER_OF", "president"),
        ("P2", "C1", "MEMBER_OF"),
        ("P3", "C1", "MEMBER_OF"),
        ("P4", "C1", "MEMBER_OF"),
        ("P5", "C1", "MEMBER_OF"),
        ("E1", "M1", "TRADES_IN", "leading_merchant"),
        ("P3", "M1", "TRADES_IN"),
        ("P2", "I1", "SOURCED_VIA"),
        ("I1", "P4", "REFERRED"),
        ("I1", "S1", "EMPLOYS", "store_manager"),
        ("S1", "P2", "REFERRED"),
        ("C1", "P1", "EMPLOYS", "staff"),
        ("P1", "E1", "REFERRED"),
    ]
    exps = [("P1", "100.50"), ("P2", "200"), ("E1", "1000"), ("S1", "1")]
    ds, g = make(ents, rels, exps)
    ch = channel_profiles(g).set_index("channel_id")
    c1 = ch.loc["C1"]
    assert (c1["members"], c1["customers"], c1["prospects"]) == (5, 2, 3)
    assert c1["penetration"] == 0.4
    assert c1["members_outstanding_fen"] == 10050 + 20000
    assert c1["key_persons"] == ["P1:president"]  # "staff" is not a key role
    assert c1["top_referrers"] == ["P1:1"]
    m1 = ch.loc["M1"]
    assert (m1["members"], m1["customers"], m1["prospects"], m1["penetration"]) == (2, 1, 1, 0.5)
    assert m1["key_persons"] == ["E1:leading_merchant"]
    i1 = ch.loc["I1"]  # P2 sourced, P4 referred by the agency
    assert (i1["members"], i1["customers"], i1["prospects"], i1["staff"]) == (2, 1, 1, 1)
    assert i1["key_persons"] == ["S1:store_manager"] and i1["top_referrers"] == ["S1:1"]
    # ranked by prospects, then customers, then id
    assert ch.index.tolist() == ["C1", "I1", "M1"] and ch["rank"].tolist() == [1, 2, 3]


# ----------------------------------------------------------------------------- algorithms


def _random_graph(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 80))
    G = nx.gnm_random_graph(n, int(rng.integers(n, 3 * n)), seed=seed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.choice([0.5, 1.0, 2.0, 3.0]))
    W = sp.csr_matrix(nx.to_scipy_sparse_array(G, nodelist=range(n), weight="weight", format="csr"))
    return G, W, rng


@pytest.mark.parametrize("seed", range(6))
def test_sparse_pagerank_equals_networkx(seed):
    G, W, _ = _random_graph(seed)
    pr = pagerank(W)
    ref = nx.pagerank(G, weight="weight", tol=1e-12, max_iter=1000)
    assert max(abs(pr[i] - ref[i]) for i in G) < 1e-6
    assert pr.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["plain", "reordered-threads"])
def test_betweenness_equals_networkx_and_sampling_is_seeded(seed, mode, monkeypatch):
    from channelgraph.marketing import centrality

    if mode != "plain":  # the large-graph path: RCM renumbering, source chunks on threads
        monkeypatch.setattr(centrality, "REORDER_MIN_NODES", 0)
        monkeypatch.setattr(centrality, "PARALLEL_MIN_SOURCES", 1)
    G, W, _ = _random_graph(seed)
    A = sp.csr_matrix((W > 0).astype(np.int8))
    bc, how = betweenness(A, samples=500, seed=1)
    ref = nx.betweenness_centrality(G)
    assert how["method"] == "exact"
    assert max(abs(bc[i] - ref[i]) for i in G) < 1e-9
    k = max(3, G.number_of_nodes() // 3)
    s1, h1 = betweenness(A, samples=k, seed=42, exact_max_nodes=0)
    s2, _ = betweenness(A, samples=k, seed=42, exact_max_nodes=0)
    assert h1 == {"method": "sampled", "sources": k, "nodes": G.number_of_nodes(), "seed": 42}
    assert np.array_equal(s1, s2)


@pytest.mark.parametrize("relay", [1, 2, 3, 500])
def test_two_hop_reach_equals_brute_force(relay):
    for seed in range(4):
        G, W, rng = _random_graph(seed)
        A = sp.csr_matrix((W > 0).astype(np.int8))
        target = rng.random(G.number_of_nodes()) < 0.4
        one, two = two_hop_reach(A, target, max_relay_degree=relay)
        for v in G:
            n1 = set(G[v])
            n2 = set(n1)
            for u in n1:
                if G.degree(u) <= relay:
                    n2 |= set(G[u])
            n2.discard(v)
            assert one[v] == sum(target[x] for x in n1)
            assert two[v] == sum(target[x] for x in n2)
            assert two_hop_set(A, v, target, relay).tolist() == sorted(x for x in n2 if target[x])


def test_communities_are_seeded_and_split_the_chambers():
    ds, g = make(*bridge_world())
    a = campaign_communities(g)
    b = campaign_communities(g)
    assert a.attrs["method"] == "multilevel"
    pd.testing.assert_frame_equal(a, b)
    assert a["size"].sum() + a.attrs["left_out"] + a.attrs["untied"] == len(ds.entities)
    assert not any({"C1", "C2"} <= set(ids) for ids in a["channel_ids"])


# ----------------------------------------------------------------------------- risk flags


def test_risk_flags_from_the_risk_result():
    ds, g = make(*star_broker_world())
    empty = pd.DataFrame()
    risk = RiskResult(
        sources=pd.DataFrame({"source_id": ["I1", "B", "Q0"], "rank": [1, 2, 11]}),
        groups=pd.DataFrame({"group_id": ["G1", "G2"], "status": ["breach", "ok"]}),
        members=pd.DataFrame({"entity_id": ["R00", "R01", "M0"], "group_id": ["G1", "G1", "G2"]}),
        ties=empty,
        patterns=empty,
        impact=empty,
        concentration=empty,
    )
    hubs = rank_hubs(g, risk=risk).set_index("id")
    assert hubs.loc["B", "risk_flag"] == "top risk source #2" and hubs.loc["B", "risk_top_source"]
    assert hubs.loc["B", "risk_source_rank"] == 2
    assert not hubs.loc["Q0", "risk_top_source"]  # rank 11 is not a top source
    assert hubs.loc["R00", "risk_breached_group"] and hubs.loc["R00", "risk_group_id"] == "G1"
    assert hubs.loc["R00", "risk_flag"] == "in breached group G1"
    assert not hubs.loc["M0", "risk_breached_group"]  # group G2 is ok
    ch = channel_profiles(g, risk=risk).set_index("channel_id")
    assert ch.loc["I1", "risk_top_source"] and ch.loc["I1", "risk_source_rank"] == 1
    # no risk result: empty flags, and the summary says so
    res = run_marketing(g, prior={})
    assert res.summary["risk_flags"]["available"] is False
    assert not res.tables["hubs"]["risk_top_source"].any()
    assert (res.tables["hubs"]["risk_flag"] == "").all()


# ----------------------------------------------------------------------------- runs, outputs, determinism


def _write_all(res, out: Path) -> dict[str, bytes]:
    files = {}
    for name, df in res.tables.items():
        for f in write_table(df, out, name):
            files[f.name] = f.read_bytes()
    return files


def _shuffled_copy(src: Path, dst: Path, seed: int) -> Path:
    dst.mkdir(parents=True)
    rng = random.Random(seed)
    for f in src.iterdir():
        if f.suffix == ".csv":
            lines = f.read_text(encoding="utf-8-sig").splitlines(keepends=True)
            head, rows = lines[0], lines[1:]
            rng.shuffle(rows)
            (dst / f.name).write_text(head + "".join(rows), encoding="utf-8")
        else:
            shutil.copy(f, dst / f.name)
    return dst


def test_outputs_do_not_depend_on_row_order(tmp_path):
    runs = []
    for i, folder in enumerate([SAMPLE, _shuffled_copy(SAMPLE, tmp_path / "shuffled", 3)]):
        ds = load_dataset(folder)
        res = run_analyses(build_book(ds), only=["marketing"])["marketing"]
        runs.append((_write_all(res, tmp_path / f"out{i}"), res))
    (a, ra), (b, rb) = runs
    assert sorted(a) == sorted(
        [
            "hubs.csv",
            "hubs.json",
            "channels.csv",
            "channels.json",
            "campaign.csv",
            "campaign.json",
            "communities.csv",
            "communities.json",
        ]
    )
    for name in a:
        assert a[name] == b[name], name
    assert ra.summary == rb.summary


def test_view_equals_the_weighted_networkx_export():
    """The view's weighted ties are the book's NetworkX export folded to an undirected graph,
    each relation adding its type's weight (self-ties left out)."""
    book = build_book(load_dataset(SAMPLE))
    w = book.policy.marketing.type_weights
    v = build_view(book, w)
    assert v.ids.tolist() == sorted(v.ids.tolist()) == book.ids.tolist()
    h = nx.Graph()
    h.add_nodes_from(v.ids.tolist())
    for a, b, t in book.to_networkx().edges(keys=True):
        if a != b and w.get(str(t), 0) > 0:
            h.add_edge(a, b, weight=h.get_edge_data(a, b, {"weight": 0.0})["weight"] + w[str(t)])
    expect = nx.to_scipy_sparse_array(h, nodelist=v.ids.tolist(), weight="weight", format="csr")
    assert abs(v.weighted - expect).max() < 1e-12
    assert (v.adjacency != (expect > 0)).nnz == 0
    assert np.array_equal(v.prospect, np.isin(book.kind, ["person", "enterprise"]) & ~book.is_customer)


def test_sample_run_contract_columns_and_report():
    ds = load_dataset(SAMPLE)
    res = run_analyses(build_book(ds), only=["marketing"])["marketing"]
    hubs = res.tables["hubs"]
    for c in (
        "id",
        "name",
        "kind",
        "rank",
        "score",
        "referrals_converted",
        "pagerank",
        "betweenness",
        "prospects_1hop",
        "prospects_2hop",
        "referrals_norm",
        "pagerank_norm",
        "betweenness_norm",
        "reach_norm",
        "w_referrals",
        "w_pagerank",
        "w_betweenness",
        "w_reach",
        "risk_flag",
    ):
        assert c in hubs.columns
    assert res.summary["risk_flags"]["available"] is True  # risk ran before marketing
    assert res.summary["betweenness"]["method"] == "exact"
    assert hubs["score"].is_monotonic_decreasing
    camp = res.tables["campaign"]
    assert camp["marginal_gain"].is_monotonic_decreasing and (camp["marginal_gain"] > 0).all()
    for lang, words in (
        ("zh", ["## 营销", "关键人与枢纽排名", "批量营销渠道排名", "走访名单", "万元"]),
        (
            "en",
            [
                "## Marketing",
                "Top key persons",
                "Channels for a batch campaign",
                "Campaign seed list",
                "Campaign clusters",
            ],
        ),
    ):
        md = marketing_report(res, ds.policy, lang)
        for w in words:
            assert w in md, (lang, w)


def test_cli_hubs_and_channels(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["hubs", str(SAMPLE), "--out", str(tmp_path / "h"), "--k", "3", "--top", "20"])
    assert r.exit_code == 0, r.output
    names = {p.name for p in (tmp_path / "h").iterdir()}
    assert {"hubs.csv", "hubs.json", "campaign.csv", "communities.csv", "summary.json"} <= names
    assert "channels.csv" not in names
    hubs = pd.read_csv(tmp_path / "h" / "hubs.csv", encoding="utf-8-sig")
    assert len(hubs) == 20 and hubs.columns[:3].tolist() == ["rank", "id", "name"]
    assert "referred_outstanding" in hubs.columns  # money written in yuan, suffix dropped
    camp = pd.read_csv(tmp_path / "h" / "campaign.csv", encoding="utf-8-sig")
    assert len(camp) <= 3
    r = runner.invoke(main, ["channels", str(SAMPLE), "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    assert {p.name for p in (tmp_path / "c").iterdir()} == {"channels.csv", "channels.json", "summary.json"}
    r = runner.invoke(main, ["hubs", str(SAMPLE), "--out", str(tmp_path / "x"), "--channel", "NOPE"])
    assert r.exit_code == 2 and "unknown channel" in r.output


def test_compiled_louvain_matches_networkx_quality():
    G = nx.planted_partition_graph(4, 25, 0.4, 0.02, seed=3)
    W = sp.csr_matrix(nx.to_scipy_sparse_array(G, nodelist=range(100), format="csr").astype(float))
    lab = communities_mod.louvain(W, 42)
    comms = [set(np.flatnonzero(lab == x).tolist()) for x in np.unique(lab)]
    ref = nx.community.louvain_communities(G, seed=42)
    assert nx.community.modularity(G, comms) >= nx.community.modularity(G, ref) - 0.02


@pytest.mark.parametrize("module", ["centrality", "hubs", "channels", "campaign", "communities"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"channelgraph.marketing.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_work_started_ahead_gives_the_same_results(tmp_path):
    """start_marketing (what the pipeline does) computes the view, PageRank, reach, betweenness
    and communities on an executor; run_marketing given those futures writes the same tables
    and summary as computing everything on the spot — on a view big enough to be sampled."""
    from concurrent.futures import ThreadPoolExecutor

    from channelgraph.generate import generate_dataset

    generate_dataset(tmp_path, customers=2000, seed=5)
    book = build_book(load_dataset(tmp_path))
    prior = run_analyses(book, only=["risk"])
    direct = run_marketing(book, prior=prior)
    assert direct.summary["betweenness"]["method"] == "sampled"
    assert direct.summary["communities"]["method"] == "multilevel"
    with ThreadPoolExecutor(max_workers=1) as ex:
        work = start_marketing(book, book.policy, ex)
        early = run_marketing(book, prior=prior, work=work)
        assert all(f.done() for f in work.futures)
    assert list(early.tables) == list(direct.tables)
    for name in direct.tables:
        pd.testing.assert_frame_equal(direct.tables[name], early.tables[name])
    assert early.summary == direct.summary
    with ThreadPoolExecutor(max_workers=1) as ex, pytest.raises(ValueError, match="another policy"):
        run_marketing(book, Policy(), prior, work=start_marketing(book, book.policy, ex))


def test_an_error_of_the_work_started_ahead_reaches_the_caller(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from channelgraph.marketing import _background

    def broken(view, policy):
        raise RuntimeError("kernel failed")

    monkeypatch.setattr(_background, "betweenness_of", broken)
    ds, book = make(*star_broker_world())
    with ThreadPoolExecutor(max_workers=1) as ex:
        work = start_marketing(book, book.policy, ex)
        with pytest.raises(RuntimeError, match="kernel failed"):
            run_marketing(book, prior={}, work=work)


def test_ranking_only_the_best_rows_is_the_head_of_the_whole_ranking(tmp_path):
    """rank_hubs(rows=k) (what the marketing room writes) is the whole ranking's first k rows,
    texts included; campaign picks and communities read the whole ranking, and the summary
    still counts every entity ranked and every risk flag."""
    from channelgraph.generate import generate_dataset
    from channelgraph.marketing import hub_scores

    generate_dataset(tmp_path, customers=1500, seed=11)
    book = build_book(load_dataset(tmp_path))
    risk = run_analyses(book, only=["risk"])["risk"]
    view = build_view(book, book.policy.marketing.type_weights)
    scores = hub_scores(view, book.policy)
    full = rank_hubs(book, risk=risk, view=view, scores=scores)
    some = rank_hubs(book, risk=risk, rows=200)
    assert len(full) > 1000 and len(some) == 200
    pd.testing.assert_frame_equal(some, full.head(200))
    assert full["rank"].tolist() == scores.rank[view.indices_of(full["id"])].tolist()
    assert some.attrs["entities_ranked"] == len(full) == full.attrs["entities_ranked"]
    assert (
        some.attrs["risk_counts"]
        == full.attrs["risk_counts"]
        == {
            "top_sources_flagged": int(full["risk_top_source"].sum()),
            "in_breached_groups": int(full["risk_breached_group"].sum()),
        }
    )
    prior = {"risk": risk}
    whole = run_marketing(book, prior=prior, hubs_rows=None)
    written = run_marketing(book, prior=prior, hubs_rows=200)
    for name in ("campaign", "communities", "channels"):
        pd.testing.assert_frame_equal(whole.tables[name], written.tables[name])
    pd.testing.assert_frame_equal(written.tables["hubs"], whole.tables["hubs"].head(200))
    assert {k: v for k, v in written.summary.items() if k != "hubs_written"} == {
        k: v for k, v in whole.summary.items() if k != "hubs_written"
    }
