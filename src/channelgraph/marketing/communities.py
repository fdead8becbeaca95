"""Campaign clusters: communities of the relationship graph, with size, penetration, top hub.

Up to :data:`LOUVAIN_MAX_NODES` tied nodes, Louvain modularity optimisation (Blondel,
Guillaume, Lambiotte & Lefebvre 2008, *Fast unfolding of communities in large networks*)
with networkx's ``louvain_communities`` on the weighted undirected view,
``seed = policy.marketing.seed``. Nodes are handed to it as integers in sorted-id order
(string hashing varies between processes; integer order does not), so the result does not
depend on insertion order.

Above that size networkx' pure-Python Louvain takes many minutes (6 minutes at 155,000
nodes), so the first pass is a vectorised, semi-synchronous weighted label propagation
(Raghavan, Albert & Kumara 2007, *Near linear time algorithm to detect community
structures in large-scale networks*): every node starts with its own label; in each round
a seeded random half of the nodes adopt the label with the largest total tie weight among
their neighbours (ties: keep the current label if it is among the best, else the
smallest); at most :data:`LPA_ROUNDS` rounds. Its many small clusters are then merged by
Louvain on the graph of clusters (one node per cluster, weights summed — what Louvain's
own second level does); while that graph is still larger than :data:`LOUVAIN_MAX_NODES`,
propagation runs again on it first. On the 100,000-customer set this takes 16 s for a
modularity of 0.53 (networkx Louvain on the whole graph: 0.56 in 6 minutes).
``method`` in the summary says which ran.

Nodes without ties form no community; communities smaller than
:data:`MIN_COMMUNITY_SIZE` are not listed (the summary counts both).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._graph import MarketingGraph, rnd, view_for

#: Louvain (networkx) up to this many tied nodes (about 5 s at 8,000, 6 minutes at 155,000);
#: label propagation first above.
LOUVAIN_MAX_NODES = 20_000
#: Rounds of label propagation at most.
LPA_ROUNDS = 30
#: Communities with fewer members are not listed.
MIN_COMMUNITY_SIZE = 3
#: Channel ids listed per community.
CHANNELS_LISTED = 5

COMMUNITY_COLUMNS = [
    "community_id", "size", "persons", "enterprises", "channels", "customers", "prospects", "penetration",
    "outstanding_fen", "top_hub", "top_hub_name", "top_hub_kind", "top_hub_score", "main_region",
    "channel_ids",
]


def _louvain_matrix(W, seed: int) -> np.ndarray:
    """networkx Louvain on a symmetric weighted CSR matrix (diagonal = twice the self-loop
    weight, as an aggregated graph has it); label = smallest member index."""
    n = W.shape[0]
    C = W.tocoo()
    m = C.row <= C.col
    r, c, w = C.row[m], C.col[m], C.data[m]
    w = np.where(r == c, w / 2.0, w)
    order = np.lexsort((c, r))
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(r[order].tolist(), c[order].tolist(), w[order].tolist()))
    comms = nx.community.louvain_communities(G, weight="weight", seed=seed)
    label = np.empty(n, dtype=np.int64)
    for comm in comms:
        mem = np.fromiter(comm, dtype=np.int64)
        label[mem] = mem.min()
    return label


def _louvain(v: MarketingGraph, nodes: np.ndarray, seed: int) -> np.ndarray:
    return _louvain_matrix(v.weighted[nodes][:, nodes], seed)


def _lpa_then_louvain(W, seed: int) -> np.ndarray:
    """Label propagation, then Louvain on the graph of its clusters (one node per cluster,
    tie weights summed, intra-cluster weight on the diagonal): propagation does the cheap
    passes over millions of nodes — repeated on the cluster graph while it is still larger
    than :data:`LOUVAIN_MAX_NODES` — and Louvain merges the clusters."""
    n = W.shape[0]
    node_cluster = np.arange(n, dtype=np.int64)
    cur = W
    for _ in range(10):
        if cur.shape[0] <= LOUVAIN_MAX_NODES:
            node_cluster = _louvain_matrix(cur, seed)[node_cluster]
            break
        lab = label_propagation(cur, seed)
        uniq, comp = np.unique(lab, return_inverse=True)
        if uniq.size > 0.95 * cur.shape[0]:  # propagation no longer merges: keep its clusters
            node_cluster = comp[node_cluster]
            break
        S = sp.csr_matrix((np.ones(comp.size), (np.arange(comp.size), comp)), shape=(comp.size, uniq.size))
        cur = (S.T @ cur @ S).tocsr()
        node_cluster = comp[node_cluster]
    # name each community by its smallest member index
    first = np.full(int(node_cluster.max()) + 1 if n else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, node_cluster, np.arange(n))
    return first[node_cluster]


def label_propagation(weighted, seed: int, rounds: int = LPA_ROUNDS) -> np.ndarray:
    """Semi-synchronous weighted label propagation on a symmetric CSR matrix; labels are node
    indices (a community is named by one of its members).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> two = sp.csr_matrix(np.kron(np.eye(2), np.ones((3, 3))) - np.eye(6))
    >>> lab = label_propagation(two, seed=1)
    >>> len(set(lab[:3].tolist())), len(set(lab[3:].tolist())), bool(lab[0] != lab[3])
    (1, 1, True)
    """
    n = weighted.shape[0]
    W = weighted.tocsr()
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(W.indptr))
    cols = W.indices.astype(np.int64)
    data = W.data
    label = np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        move = rng.random(n) < 0.5
        sel = move[rows]
        r, lab, w = rows[sel], label[cols[sel]], data[sel]
        if r.size == 0:
            break
        key = r * n + lab
        uk, inv = np.unique(key, return_inverse=True)
        tot = np.bincount(inv, weights=w)
        ur = uk // n
        ul = uk % n
        first = np.ones(uk.size, dtype=bool)
        first[1:] = ur[1:] != ur[:-1]
        starts = np.flatnonzero(first)
        best = np.maximum.reduceat(tot, starts)
        rowbest = np.repeat(best, np.diff(np.append(starts, uk.size)))
        top = tot >= rowbest - 1e-12 * np.maximum(1.0, rowbest)
        # keep the current label when it is among the best
        keep_cur = top & (ul == label[ur])
        has_cur = np.zeros(n, dtype=bool)
        has_cur[ur[keep_cur]] = True
        cand = top & ~has_cur[ur]
        # smallest best label per row (uk is sorted by row, then label)
        cr, cl = ur[cand], ul[cand]
        f = np.ones(cr.size, dtype=bool)
        f[1:] = cr[1:] != cr[:-1]
        newl = label.copy()
        newl[cr[f]] = cl[f]
        changed = int((newl != label).sum())
        label = newl
        if changed == 0:
            break
    return label


def campaign_communities(graph, dataset, policy=None, *, view: MarketingGraph | None = None,
                         hubs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Communities for campaign clusters: size, make-up, penetration, outstanding, top hub.

    Parameters
    ----------
    graph, dataset, policy
        As for :func:`~channelgraph.marketing.hubs.rank_hubs` (``marketing.seed`` is used).
    hubs : pandas.DataFrame, optional
        :func:`rank_hubs` output (computed when not given) for each community's top hub.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMMUNITY_COLUMNS`, largest community first (ties by the smallest
        member id), ids ``K0001``…; ``penetration`` = customers / (customers + prospects).
        ``df.attrs`` holds ``method``, ``communities`` (all, before the size cut),
        ``left_out`` (members of the small ones) and ``untied`` (nodes without ties).

    References
    ----------
    Blondel et al. (2008), J. Stat. Mech. P10008; Raghavan, Albert & Kumara (2007), Phys. Rev. E 76.

    Examples
    --------
    >>> import pandas as pd
    >>> from channelgraph.io import dataset_from_frames
    >>> from channelgraph.store import build_graph
    >>> ids = ["A1", "A2", "A3", "B1", "B2", "B3"]
    >>> ent = pd.DataFrame({"id": ids, "kind": ["person"] * 6, "name": ids,
    ...                     "is_customer": ["1", "0", "0", "1", "1", "0"]})
    >>> rel = pd.DataFrame({"src": ["A1", "A1", "A2", "B1", "B1", "B2", "A3"],
    ...                     "dst": ["A2", "A3", "A3", "B2", "B3", "B3", "B1"], "type": ["FAMILY"] * 7})
    >>> exp = pd.DataFrame({"facility_id": ["F1", "F2", "F3"], "customer_id": ["A1", "B1", "B2"],
    ...                     "outstanding": ["1", "1", "1"]})
    >>> ds = dataset_from_frames(ent, rel, exp)
    >>> campaign_communities(build_graph(ds), ds)[["community_id", "size", "customers", "penetration"]].to_dict("records")
    [{'community_id': 'K0001', 'size': 3, 'customers': 1, 'penetration': 0.33333333}, {'community_id': 'K0002', 'size': 3, 'customers': 2, 'penetration': 0.66666667}]
    """
    policy = policy or dataset.policy
    v = view_for(graph, dataset, policy, view)
    if hubs is None:
        from .hubs import rank_hubs

        hubs = rank_hubs(graph, dataset, policy, view=v)
    seed = int(policy.marketing.seed)
    tied = np.flatnonzero(v.degree() > 0)
    if tied.size <= LOUVAIN_MAX_NODES:
        method = "louvain"
        sub = _louvain(v, tied, seed) if tied.size else np.zeros(0, dtype=np.int64)
    else:
        method = "label_propagation+louvain"
        sub = _lpa_then_louvain(v.weighted[tied][:, tied].tocsr(), seed)
    label = np.full(v.n, -1, dtype=np.int64)
    label[tied] = tied[sub]  # name each community by a member's global index

    hub_rank = np.zeros(v.n, dtype=np.int64)
    hub_score = np.zeros(v.n)
    if len(hubs):
        pos = v.indices_of(hubs["id"].tolist())
        hub_rank[pos] = hubs["rank"].to_numpy()
        hub_score[pos] = hubs["score"].to_numpy()

    members = tied[np.argsort(label[tied], kind="stable")]
    labs = label[members]
    if members.size:
        starts = np.flatnonzero(np.r_[True, labs[1:] != labs[:-1]])
        ends = np.r_[starts[1:], members.size]
    else:
        starts = ends = np.zeros(0, dtype=np.int64)
    groups = [members[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    all_count = len(groups)
    groups.sort(key=lambda g: (-g.size, g.min()))
    big = [g for g in groups if g.size >= MIN_COMMUNITY_SIZE]
    left_out = int(sum(g.size for g in groups if g.size < MIN_COMMUNITY_SIZE))
    rows = []
    for j, g in enumerate(big, start=1):
        kinds = v.kind[g]
        cust = int(v.is_customer[g].sum())
        pros = int(v.prospect[g].sum())
        top = g[np.argmin(hub_rank[g])]
        ch = g[np.isin(kinds, ["chamber", "market", "intermediary"])]
        ch = ch[np.lexsort((ch, hub_rank[ch]))][:CHANNELS_LISTED]
        regs = v.region[g]
        regs = regs[regs != ""]
        main_region = ""
        if regs.size:
            u, c = np.unique(regs.astype(str), return_counts=True)
            main_region = str(u[np.lexsort((u, -c))[0]])
        rows.append({
            "community_id": f"K{j:04d}", "size": int(g.size),
            "persons": int((kinds == "person").sum()), "enterprises": int((kinds == "enterprise").sum()),
            "channels": int(np.isin(kinds, ["chamber", "market", "intermediary"]).sum()),
            "customers": cust, "prospects": pros,
            "penetration": rnd(cust / (cust + pros)).item() if cust + pros else 0.0,
            "outstanding_fen": int(v.outstanding_fen[g].sum()),
            "top_hub": v.ids[top], "top_hub_name": v.name[top], "top_hub_kind": v.kind[top],
            "top_hub_score": float(hub_score[top]), "main_region": main_region,
            "channel_ids": [str(x) for x in v.ids[ch]],
        })
    df = pd.DataFrame(rows, columns=COMMUNITY_COLUMNS)
    df.attrs.update({"method": method, "seed": seed, "communities": all_count, "listed": len(big),
                     "left_out": left_out, "untied": int(v.n - tied.size)})
    return df
