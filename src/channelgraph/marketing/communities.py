"""Campaign clusters: communities of the relationship graph, with size, penetration, top hub.

Louvain modularity optimisation (Blondel, Guillaume, Lambiotte & Lefebvre 2008, *Fast
unfolding of communities in large networks*) on the weighted undirected view, compiled
(``method = "multilevel"``, :mod:`~channelgraph.marketing._kernels`), the same algorithm at
every book size, ``seed = policy.marketing.seed``: each level visits the nodes (integers in
sorted-id order) in a permutation drawn with ``numpy.random.default_rng(seed)`` and moves
each to the neighbouring community with the best modularity gain, revisiting only the
neighbours of nodes that moved (the queue of Traag, Waltman & van Eck 2019, *From Louvain
to Leiden*), then aggregates each community into one node, until no node moves. Its time
and modularity on the generated books are in bench/NOTES.md; the tests hold its modularity
to networkx' ``louvain_communities`` on small graphs.

Nodes without ties form no community; communities smaller than
:data:`MIN_COMMUNITY_SIZE` are not listed (the summary counts both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..graph import Book
from ._graph import MarketingGraph, rnd, view_for
from ._kernels import aggregate_communities, louvain_moves, unsigned_csr
from .hubs import HubScores, hub_scores

#: Levels of the compiled Louvain at most (a guard: a level where no node moves ends it).
MAX_LEVELS = 50
#: Node visits per level at most, per node (a guard against floating-point cycling).
MAX_VISITS = 1_000
#: Communities with fewer members are not listed.
MIN_COMMUNITY_SIZE = 3
#: Channel ids listed per community.
CHANNELS_LISTED = 5

COMMUNITY_COLUMNS = [
    "community_id",
    "size",
    "persons",
    "enterprises",
    "channels",
    "customers",
    "prospects",
    "penetration",
    "outstanding_fen",
    "top_hub",
    "top_hub_name",
    "top_hub_kind",
    "top_hub_score",
    "main_region",
    "channel_ids",
]


def louvain(W: sp.csr_matrix, seed: int) -> np.ndarray:
    """Louvain communities of a symmetric weighted CSR matrix (no empty rows), by the compiled
    kernels; label = the community's smallest member index.

    Each level visits the nodes in a fresh ``numpy.random.default_rng(seed)`` permutation
    and moves them (:func:`~channelgraph.marketing._kernels.louvain_moves`), then every
    community becomes one node (:func:`~channelgraph.marketing._kernels.aggregate_communities`);
    it stops when no node moves.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> two_triangles = [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5), (2, 3)]
    >>> r, c = zip(*two_triangles)
    >>> W = sp.csr_matrix(([1.0] * 14, (r + c, c + r)), shape=(6, 6))
    >>> louvain(W, seed=42).tolist()
    [0, 0, 0, 3, 3, 3]
    """
    W = sp.csr_matrix(W)
    n = W.shape[0]
    rng = np.random.default_rng(seed)
    node_comm = np.arange(n, dtype=np.int64)
    indptr, indices = unsigned_csr(W.indptr, W.indices)
    weights = W.data.astype(np.float64)
    for _ in range(MAX_LEVELS):
        size = indptr.size - 1
        order = rng.permutation(size).astype(indices.dtype)
        comm, moved = louvain_moves(indptr, indices, weights, order, MAX_VISITS * size)
        if not moved:
            break
        uniq, lab = np.unique(comm, return_inverse=True)
        node_comm = lab[node_comm]
        indptr, indices, weights = aggregate_communities(indptr, indices, weights, lab.astype(indices.dtype), uniq.size)
    # name each community by its smallest member index
    first = np.full(int(node_comm.max()) + 1 if n else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, node_comm, np.arange(n))
    return first[node_comm]


def community_labels(v: MarketingGraph, seed: int) -> tuple[np.ndarray, str]:
    """The community of every node (its smallest member's index; −1 for nodes without ties)
    and the method used (``"multilevel"``: :func:`louvain`)."""
    tied = np.flatnonzero(v.degree() > 0)
    assert v.weighted is not None  # every built view has one
    label = np.full(v.n, -1, dtype=np.int64)
    label[tied] = tied[louvain(v.weighted[tied][:, tied].tocsr(), seed)]  # named by a member's global index
    return label, "multilevel"


def campaign_communities(
    book: Book,
    policy=None,
    *,
    view: MarketingGraph | None = None,
    scores: HubScores | None = None,
    labels: tuple[np.ndarray, str] | None = None,
) -> pd.DataFrame:
    """Communities for campaign clusters: size, make-up, penetration, outstanding, top hub.

    Parameters
    ----------
    book, policy, view
        As for :func:`~channelgraph.marketing.hubs.rank_hubs` (``marketing.seed`` is used).
    scores : HubScores, optional
        :func:`~channelgraph.marketing.hubs.hub_scores` of the view (computed when not
        given), for each community's top hub.
    labels : (numpy.ndarray, str), optional
        :func:`community_labels` of the view with ``marketing.seed``, when already computed
        (the pipeline computes them in the background); computed here when None.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMMUNITY_COLUMNS`, largest community first (ties by the smallest
        member id), ids ``K0001``…; ``penetration`` = customers / (customers + prospects).
        ``df.attrs`` holds ``method``, ``communities`` (all, before the size cut),
        ``left_out`` (members of the small ones) and ``untied`` (nodes without ties).

    References
    ----------
    Blondel et al. (2008), J. Stat. Mech. P10008; Barber & Clark (2009), Phys. Rev. E 80.

    Examples
    --------
    >>> import pandas as pd
    >>> from channelgraph.graph import build_book
    >>> from channelgraph.io import dataset_from_frames
    >>> ids = ["A1", "A2", "A3", "B1", "B2", "B3"]
    >>> ent = pd.DataFrame({"id": ids, "kind": ["person"] * 6, "name": ids,
    ...                     "is_customer": ["1", "0", "0", "1", "1", "0"]})
    >>> rel = pd.DataFrame({"src": ["A1", "A1", "A2", "B1", "B1", "B2", "A3"],
    ...                     "dst": ["A2", "A3", "A3", "B2", "B3", "B3", "B1"], "type": ["FAMILY"] * 7})
    >>> exp = pd.DataFrame({"facility_id": ["F1", "F2", "F3"], "customer_id": ["A1", "B1", "B2"],
    ...                     "outstanding": ["1", "1", "1"]})
    >>> campaign_communities(build_book(dataset_from_frames(ent, rel, exp)))[["community_id", "size", "customers", "penetration"]].to_dict("records")
    [{'community_id': 'K0001', 'size': 3, 'customers': 1, 'penetration': 0.33333333}, {'community_id': 'K0002', 'size': 3, 'customers': 2, 'penetration': 0.66666667}]
    """
    policy = policy or book.policy
    v = view_for(book, policy, view)
    if scores is None:
        scores = hub_scores(v, policy)
    seed = int(policy.marketing.seed)
    label, method = community_labels(v, seed) if labels is None else labels
    tied = np.flatnonzero(label >= 0)

    hub_rank, hub_score = scores.rank, scores.score

    members = tied[np.argsort(label[tied], kind="stable")]
    labs = label[members]  # a community's label is its smallest member
    if members.size:
        starts = np.flatnonzero(np.r_[True, labs[1:] != labs[:-1]])
        ends = np.r_[starts[1:], members.size]
    else:
        starts = ends = np.zeros(0, dtype=np.int64)
    sizes = ends - starts
    all_count = int(starts.size)
    order = np.lexsort((labs[starts], -sizes))  # largest first, ties by the smallest member
    order = order[sizes[order] >= MIN_COMMUNITY_SIZE]
    big = [members[starts[j] : ends[j]] for j in order.tolist()]
    left_out = int(sizes[sizes < MIN_COMMUNITY_SIZE].sum())
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
        rows.append(
            {
                "community_id": f"K{j:04d}",
                "size": int(g.size),
                "persons": int((kinds == "person").sum()),
                "enterprises": int((kinds == "enterprise").sum()),
                "channels": int(np.isin(kinds, ["chamber", "market", "intermediary"]).sum()),
                "customers": cust,
                "prospects": pros,
                "penetration": rnd(cust / (cust + pros)).item() if cust + pros else 0.0,
                "outstanding_fen": int(v.outstanding_fen[g].sum()),
                "top_hub": v.ids[top],
                "top_hub_name": v.name[top],
                "top_hub_kind": v.kind[top],
                "top_hub_score": float(hub_score[top]),
                "main_region": main_region,
                "channel_ids": [str(x) for x in v.ids[ch]],
            }
        )
    df = pd.DataFrame(rows, columns=COMMUNITY_COLUMNS)
    df.attrs.update(
        {
            "method": method,
            "seed": seed,
            "communities": all_count,
            "listed": len(big),
            "left_out": left_out,
            "untied": int(v.n - tied.size),
        }
    )
    return df
