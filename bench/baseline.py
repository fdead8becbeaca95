"""The straightforward NetworkX way, for comparison (bench/RESULTS.md).

What a first version would do: convert the multigraph to a fresh simple graph for each
question, enumerate ``simple_cycles`` on the whole guarantee graph, run exact
betweenness, ``nx.pagerank`` and Louvain on NetworkX graphs. Each function returns the
answers that can be compared with channelgraph's (exact methods must agree; sampled
betweenness is compared by its error).
"""

from __future__ import annotations

import time

import networkx as nx

#: Exact betweenness is O(n·m); above this many nodes it is timed on a sample of
#: sources and extrapolated (the table says so).
EXACT_BETWEENNESS_MAX = 12_000


def baseline_risk(g: nx.MultiDiGraph, ds) -> dict:
    pol = ds.policy.connection
    t = {}
    t0 = time.perf_counter()
    joined = nx.Graph()
    customers = [n for n, a in g.nodes(data=True) if a["is_customer"]]
    joined.add_nodes_from(customers)
    for u, v, k, a in g.edges(keys=True, data=True):
        if k == "CONTROLS" and a["share"] is not None and a["share"] > float(pol.control_share_above):
            joined.add_edge(u, v)
        elif k == "GUARANTEES":
            na = g.nodes[u]["net_assets_fen"]
            if na and a["amount_fen"] * 1.0 >= float(pol.guarantee_net_assets_share) * na:
                joined.add_edge(u, v)
        elif k == "SUPPLIES" and a["share"] is not None and a["share"] >= float(pol.supply_share):
            joined.add_edge(u, v)
        elif k == "FAMILY" and pol.family_joins:
            joined.add_edge(u, v)
    groups = []
    for comp in nx.connected_components(joined):
        fen = sum(g.nodes[n]["outstanding_fen"] for n in comp)
        if any(g.nodes[n]["is_customer"] for n in comp):
            groups.append(fen)
    t["groups"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    guar = nx.DiGraph((u, v) for u, v, k in g.edges(keys=True) if k == "GUARANTEES")
    circles = sum(1 for c in nx.simple_cycles(guar, length_bound=ds.policy.guarantee.max_circle_length) if len(c) >= 3)
    mutual = sum(1 for u, v in guar.edges() if u < v and guar.has_edge(v, u))
    cond = nx.condensation(guar)
    longest_chain = len(nx.dag_longest_path(cond)) if len(cond) else 0
    t["patterns"] = time.perf_counter() - t0
    return {
        "timings": {k: round(v, 3) for k, v in t.items()},
        "groups_total_fen": sum(groups),
        "largest_group_fen": max(groups, default=0),
        "circles": circles,
        "mutual": mutual,
        "longest_chain_sccs": longest_chain,
    }


def baseline_marketing(g: nx.MultiDiGraph, ds, out=None) -> dict:
    weights = ds.policy.marketing.type_weights
    t = {}
    t0 = time.perf_counter()
    d = nx.DiGraph()
    d.add_nodes_from(g.nodes())
    for u, v, k in g.edges(keys=True):
        w = weights.get(k, 1.0) + (d[u][v]["weight"] if d.has_edge(u, v) else 0.0)
        d.add_edge(u, v, weight=w)
        if k == "FAMILY":
            d.add_edge(v, u, weight=w)
    pr = nx.pagerank(d, weight="weight")
    t["pagerank"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    u = nx.Graph(d)  # fresh conversion per call, as a first version would
    n = u.number_of_nodes()
    if n <= EXACT_BETWEENNESS_MAX:
        bc = nx.betweenness_centrality(u)
        t["betweenness"] = time.perf_counter() - t0
        extrapolated = False
    else:
        k = 100
        nx.betweenness_centrality(u, k=k, seed=1)
        t["betweenness"] = (time.perf_counter() - t0) * n / k
        bc, extrapolated = None, True
    t0 = time.perf_counter()
    nx.community.louvain_communities(nx.Graph(d), seed=42)
    t["louvain"] = time.perf_counter() - t0
    if bc is not None and out is not None:
        import json
        from pathlib import Path

        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "baseline_betweenness.json").write_text(json.dumps(bc), encoding="utf-8")
    top = sorted(pr, key=lambda x: (-pr[x], x))[:10]
    return {
        "timings": {k: round(v, 3) for k, v in t.items()},
        "pagerank_top10": top,
        "betweenness_extrapolated": extrapolated,
        "betweenness_top10": sorted(bc, key=lambda x: (-bc[x], x))[:10] if bc else None,
    }
