"""The compiled marketing kernels against networkx, the reference, on small graphs.

Betweenness (exact, and from a subset of sources), PageRank, 2-hop reach and Louvain
communities are computed by compiled kernels (:mod:`channelgraph.marketing._kernels`), with
no Python twin; networkx is the oracle, each test stating its tolerance:

* betweenness: exact sums, ≤ 1e-9 absolute (float rounding only);
* PageRank: ≤ 1e-9 absolute against ``nx.pagerank`` run to tol 1e-15 (values ~ 1/n);
* 2-hop reach: exact counts;
* Louvain: a valid partition named by its smallest members, mean modularity over five seeds
  within 0.01 of ``nx.community.louvain_communities`` and the worst within 0.02.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from channelgraph.marketing import _kernels, centrality
from channelgraph.marketing import communities as communities_mod
from channelgraph.marketing.centrality import betweenness, pagerank, source_dependencies


def graphs():
    """Small graphs of the shapes the bank's view has: sparse random, hub-and-spoke, a long
    path, planted communities, several components with isolated nodes."""
    out = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(8, 70))
        out.append(nx.gnm_random_graph(n, int(rng.integers(n // 2, 3 * n)), seed=seed))
    out.append(nx.barabasi_albert_graph(120, 2, seed=1))
    out.append(nx.path_graph(30))
    out.append(nx.planted_partition_graph(4, 15, 0.5, 0.03, seed=2))
    hubs = nx.star_graph(25)
    hubs.add_edges_from((i, i + 1) for i in range(1, 25, 2))  # family ties among the members
    hubs.add_edges_from([(26, 27), (27, 28)])  # a separate little group
    hubs.add_nodes_from([29, 30])  # untied
    out.append(hubs)
    return out


def matrix(G, weight=None) -> sp.csr_matrix:
    n = G.number_of_nodes()
    return sp.csr_matrix(nx.to_scipy_sparse_array(G, nodelist=range(n), weight=weight, format="csr", dtype=float))


@pytest.mark.parametrize("layout", ["plain", "reordered-threads"])
@pytest.mark.parametrize("g", range(len(graphs())))
def test_exact_betweenness_equals_networkx(g, layout, monkeypatch):
    if layout != "plain":  # the large-graph path: RCM renumbering and source chunks on threads
        monkeypatch.setattr(centrality, "REORDER_MIN_NODES", 0)
        monkeypatch.setattr(centrality, "PARALLEL_MIN_SOURCES", 1)
    G = graphs()[g]
    bc, how = betweenness(matrix(G), samples=500, seed=1)
    ref = nx.betweenness_centrality(G)
    assert how["method"] == "exact"
    assert max(abs(bc[i] - ref[i]) for i in G) < 1e-9


@pytest.mark.parametrize("g", range(len(graphs())))
def test_source_dependencies_equal_networkx_subset(g, monkeypatch):
    monkeypatch.setattr(centrality, "REORDER_MIN_NODES", 0)
    G = graphs()[g]
    rng = np.random.default_rng(g)
    sources = np.sort(rng.choice(G.number_of_nodes(), size=max(1, G.number_of_nodes() // 4), replace=False))
    got = source_dependencies(matrix(G), sources)
    ref = nx.betweenness_centrality_subset(G, sources.tolist(), list(G), normalized=False)
    # networkx halves an undirected graph's unnormalised values; the sampled estimator does not
    assert max(abs(got[i] - 2 * ref[i]) for i in G) < 1e-9


def test_sampled_betweenness_is_seeded_and_machine_independent(monkeypatch):
    G = nx.barabasi_albert_graph(300, 2, seed=4)
    A = matrix(G)
    a, how = betweenness(A, samples=80, seed=42, exact_max_nodes=0)
    b, _ = betweenness(A, samples=80, seed=42, exact_max_nodes=0)
    assert how == {"method": "sampled", "sources": 80, "nodes": 300, "seed": 42}
    assert np.array_equal(a, b)
    # the same estimator as networkx with k sources: n/k × the sources' dependencies
    sources = np.sort(np.random.default_rng(42).choice(300, size=80, replace=False))
    ref = nx.betweenness_centrality_subset(G, sources.tolist(), list(G), normalized=False)
    expect = np.array([2 * ref[i] for i in range(300)]) * 300 / 80 / (299 * 298)
    assert np.abs(a - expect).max() < 1e-12
    # renumbering and chunking change only the order of float additions
    monkeypatch.setattr(centrality, "REORDER_MIN_NODES", 0)
    c, _ = betweenness(A, samples=80, seed=42, exact_max_nodes=0)
    assert np.abs(a - c).max() < 1e-12


def test_unsigned_csr_keeps_the_numbers_and_signed_input_gives_the_same_sums():
    """The kernels take unsigned node numbers (no wraparound test per read); the numbers and,
    for signed input too, the sums are the same."""
    G = graphs()[5]
    A = matrix(G)
    ip, ix = _kernels.unsigned_csr(A.indptr, A.indices)
    assert (ip.dtype, ix.dtype) == (np.uint64, np.uint32)
    assert np.array_equal(ip, A.indptr) and np.array_equal(ix, A.indices)
    sources = np.arange(0, G.number_of_nodes(), 5)
    unsigned, signed = np.zeros(G.number_of_nodes()), np.zeros(G.number_of_nodes())
    _kernels.brandes_dependencies(ip, ix, sources.astype(ix.dtype), unsigned, _kernels.PUSH_SHARE)
    _kernels.brandes_dependencies(
        A.indptr.astype(np.int64), A.indices.astype(np.int32), sources.astype(np.int32), signed, _kernels.PUSH_SHARE
    )
    assert np.array_equal(unsigned, signed)


@pytest.mark.parametrize("share", [0.0, 1e18])
def test_dependencies_are_the_same_whether_levels_are_pushed_or_pulled(share):
    """Every level pulled (share 0) or every level pushed (share 1e18): the DAG ties the
    backward step adds up are kept one way or the other, and the sums are networkx's."""
    for g in (3, 5, 7):
        G = graphs()[g]
        A = matrix(G)
        sources = np.arange(0, G.number_of_nodes(), 3, dtype=np.int32)
        got = np.zeros(G.number_of_nodes())
        ip, ix = _kernels.unsigned_csr(A.indptr, A.indices)
        _kernels.brandes_dependencies(ip, ix, sources.astype(ix.dtype), got, share)
        ref = nx.betweenness_centrality_subset(G, sources.tolist(), list(G), normalized=False)
        assert max(abs(got[i] - 2 * ref[i]) for i in G) < 1e-9


@pytest.mark.parametrize("g", range(len(graphs())))
def test_pagerank_equals_networkx(g):
    G = graphs()[g]
    rng = np.random.default_rng(g)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.choice([0.5, 1.0, 2.0, 3.0]))
    pr = pagerank(matrix(G, "weight"))
    ref = nx.pagerank(G, weight="weight", tol=1e-15, max_iter=10_000)
    assert max(abs(pr[i] - ref[i]) for i in G) < 1e-9
    assert pr.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("n, density", [(1, 0.0), (7, 0.3), (130, 0.05), (2000, 0.002)])
def test_pagerank_equals_networkx_across_summation_blocks(n, density):
    """Vectors shorter than one pairwise-summation block, a few blocks and many; untied nodes."""
    A = sp.random(n, n, density=density, format="csr", random_state=n)
    W = sp.csr_matrix(A + A.T)
    W.setdiag(0)
    W.eliminate_zeros()
    G = nx.from_scipy_sparse_array(W)
    ref = nx.pagerank(G, weight="weight", tol=1e-15, max_iter=10_000)
    got = pagerank(W)
    assert np.abs(got - np.array([ref[i] for i in range(n)])).max() <= 1e-9
    assert got.sum() == pytest.approx(1.0)


def test_pagerank_agrees_with_power_iteration_to_far_below_1e9():
    """Conjugate gradients and plain power iteration run to convergence give the same vector."""
    G = nx.barabasi_albert_graph(500, 3, seed=2)
    G.add_nodes_from(range(500, 510))  # dangling (untied) nodes
    W = matrix(G)
    n = W.shape[0]
    deg = np.asarray(W.sum(axis=1)).ravel()
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1e-300), 0.0)
    x = np.full(n, 1.0 / n)
    for _ in range(3000):
        x = 0.85 * (W @ (x * inv) + x[deg == 0].sum() / n) + 0.15 / n
    assert np.abs(pagerank(W) - x).max() < 1e-13


def modularity(W: sp.csr_matrix, label: np.ndarray) -> float:
    k = np.asarray(W.sum(axis=1)).ravel()
    m2 = k.sum()
    C = W.tocoo()
    same = label[C.row] == label[C.col]
    _, lab = np.unique(label, return_inverse=True)
    K = np.bincount(lab, weights=k)
    return float(C.data[same].sum() / m2 - (K**2).sum() / m2**2)


@pytest.mark.parametrize("seed", range(4))
def test_compiled_louvain_modularity_matches_networkx(seed):
    """Louvain depends on its random visiting order, so the two are compared over five seeds."""
    graphs_ = [
        nx.planted_partition_graph(5, 20, 0.35, 0.02, seed=seed),
        nx.barabasi_albert_graph(300, 2, seed=seed),
        nx.gnm_random_graph(200, 500, seed=seed),
    ]
    for G in graphs_:
        G.remove_nodes_from([v for v in list(G) if G.degree(v) == 0])
        G = nx.convert_node_labels_to_integers(G)
        W = matrix(G)
        ours, ref = [], []
        for s in range(5):
            label = communities_mod.louvain(W, s)
            assert label.shape == (W.shape[0],)  # a partition, each part named by its smallest member
            assert all(x == np.flatnonzero(label == x).min() for x in np.unique(label))
            q = nx.community.modularity(G, [set(np.flatnonzero(label == x).tolist()) for x in np.unique(label)])
            assert q == pytest.approx(modularity(W, label))
            ours.append(q)
            ref.append(nx.community.modularity(G, nx.community.louvain_communities(G, seed=s)))
        assert np.mean(ours) >= np.mean(ref) - 0.01, (ours, ref)
        assert min(ours) >= min(ref) - 0.02, (ours, ref)


def test_compiled_louvain_is_seeded_and_names_communities_by_smallest_member():
    G = nx.planted_partition_graph(6, 25, 0.3, 0.02, seed=7)
    W = matrix(G)
    a = communities_mod.louvain(W, 42)
    assert np.array_equal(a, communities_mod.louvain(W, 42))
    for lab in np.unique(a):
        assert lab == np.flatnonzero(a == lab).min()
    # the planted blocks are found
    blocks = np.arange(150) // 25
    agree = sum(len(set(a[blocks == b].tolist())) == 1 for b in range(6))
    assert agree >= 5


def test_aggregate_communities_equals_sparse_product():
    W = matrix(nx.planted_partition_graph(4, 10, 0.5, 0.05, seed=1), None)
    W = (W + sp.diags(np.arange(40, dtype=float))).tocsr()  # self-loops as an aggregated graph has
    comm = np.arange(40) % 7
    ip, ix = _kernels.unsigned_csr(W.indptr, W.indices)
    ip, ix, w = _kernels.aggregate_communities(ip, ix, W.data.astype(float), comm.astype(ix.dtype), 7)
    S = sp.csr_matrix((np.ones(40), (np.arange(40), comm)), shape=(40, 7))
    ref = (S.T @ W @ S).toarray()
    got = sp.csr_matrix((w, ix, ip), shape=(7, 7)).toarray()
    assert np.allclose(got, ref, rtol=0, atol=1e-12)
    assert all(np.all(np.diff(ix[ip[r] : ip[r + 1]]) > 0) for r in range(7))


@pytest.mark.parametrize("relay", [1, 3, 500])
def test_two_hop_counts_are_networkx_ego_graphs(relay):
    """Exact counts: 1 hop = the radius-1 ego graph; 2 hops = the radius-2 ego graph when every
    node relays (relay 500), else the ties of the relaying neighbours only."""
    rng = np.random.default_rng(relay)
    G = nx.gnm_random_graph(400, 1200, seed=relay)
    G.add_edges_from((0, v) for v in range(1, 60))  # a hub above the small relay limits
    A = matrix(G)
    target = rng.random(400) < 0.4
    one, two = centrality.two_hop_reach(A, target, max_relay_degree=relay)
    for v in G:
        near = set(nx.ego_graph(G, v, radius=1)) - {v}
        if relay >= max(d for _, d in G.degree):
            reach = set(nx.ego_graph(G, v, radius=2))
        else:
            reach = near.union(*(G[u] for u in near if G.degree(u) <= relay))
        reach.discard(v)
        assert one[v] == target[list(near)].sum()
        assert two[v] == target[list(reach)].sum()


@pytest.mark.parametrize("count", [0, 1, 7, 8, 127, 128, 129, 8191, 8193, 100_003, 1_555_295])
def test_float64_vector_sums_are_numpys(count):
    """The shared pairwise summation (what PageRank's dot products use, so that the published
    PageRank keeps its bytes), on float64 vectors as long as a million-customer view's."""
    from channelgraph._pairwise import pairwise_sum, stacks

    rng = np.random.default_rng(count)
    v = rng.standard_normal(count) * 10 ** rng.uniform(-8, 8, count)
    assert pairwise_sum(v, count, 0.0, *stacks(np.float64)) == v.sum()
