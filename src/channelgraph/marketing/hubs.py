"""Key-person hubs (关键人): who brings customers, who bridges, who reaches prospects.

:func:`rank_hubs` ranks every entity — persons, enterprises, chambers, markets and
intermediaries alike (the ``kind`` column tells them apart; nothing is left out) — by a
composite of four components, each written with its raw value, its normalised value and
its weight, so that every rank can be explained:

``referrals``
    referrals made (REFERRED out-ties) that *converted*: the referee is a customer. The
    referees' balances are shown beside (``referred_outstanding``).
``pagerank``
    PageRank (Page et al. 1999) on the undirected relationship graph, each tie weighted by
    ``policy.marketing.type_weights`` of its type (several types between two entities add up).
``betweenness``
    shortest-path betweenness (Brandes 2001) on the same ties, unweighted (hop counts): who
    sits between otherwise distant groups. Exact up to
    :data:`~channelgraph.marketing.centrality.EXACT_BETWEENNESS_MAX_NODES` nodes; above,
    estimated from ``policy.marketing.betweenness_samples`` sources drawn with
    ``policy.marketing.seed`` (Brandes & Pich 2007).
``reach``
    untapped prospects (persons and enterprises that are not customers) within one hop,
    plus :data:`SECOND_HOP_WEIGHT` × those first reached at the second hop (see
    :func:`~channelgraph.marketing.centrality.two_hop_reach` for which hubs relay).

Each component is divided by its maximum over all entities (0–1) and the score is
``Σ weight × normalised`` with ``policy.marketing.score_weights``. Ties in the score go to
the smaller id. Floats are rounded to 8 decimals (PageRank itself to 12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import format_yuan_human
from . import _background as background
from ._graph import DECIMALS, MarketingGraph, rnd, view_for
from ._risk import risk_flags
from .centrality import betweenness, pagerank, two_hop_reach

#: The four components of the hub score, in column order.
COMPONENTS = ("referrals", "pagerank", "betweenness", "reach")
#: Weight of a prospect first reached at the second hop, relative to one at the first.
SECOND_HOP_WEIGHT = 0.5
#: Decimals kept for the raw PageRank (it sums to 1 over a million nodes).
PAGERANK_DECIMALS = 12

HUB_COLUMNS = [
    "rank", "id", "name", "kind", "region", "is_customer", "score",
    "referrals_made", "referrals_converted", "referred_outstanding_fen",
    "pagerank", "betweenness", "prospects_1hop", "prospects_2hop", "reach",
    "referrals_norm", "pagerank_norm", "betweenness_norm", "reach_norm",
    "w_referrals", "w_pagerank", "w_betweenness", "w_reach",
    "ties", "outstanding_fen", "why",
    "risk_flag", "risk_top_source", "risk_source_rank", "risk_breached_group", "risk_group_id",
]


def score_weights(policy) -> dict[str, float]:
    """The composite weights used (missing components weigh 0; unknown keys are ignored)."""
    sw = policy.marketing.score_weights
    return {c: float(sw.get(c, 0.0) or 0.0) for c in COMPONENTS}


def reach_counts(view: MarketingGraph) -> tuple[np.ndarray, np.ndarray]:
    """Untapped prospects within 1 and 2 hops of every node (memoised on the view; may have
    been started in the background, see :func:`reach_task`)."""
    got = view.cache.get("reach")
    if got is None:
        got = background.result(view, *reach_task(view))
        view.cache["reach"] = got
    return got


def reach_task(view: MarketingGraph) -> tuple:
    """``(key, function, args)`` of the view's 2-hop reach, for :func:`background.start`."""
    return ("reach counts",), two_hop_reach, (view.adjacency, view.prospect)


def betweenness_task(view: MarketingGraph, samples: int, seed: int) -> tuple:
    """``(key, function, args)`` of the view's betweenness, for :func:`background.start`."""
    return ("betweenness", int(samples), int(seed)), betweenness, (view.adjacency, int(samples), int(seed))


def pagerank_task(view: MarketingGraph) -> tuple:
    """``(key, function, args)`` of the view's PageRank, for :func:`background.start`."""
    return ("pagerank",), pagerank, (view.weighted,)


def betweenness_of(view: MarketingGraph, samples: int, seed: int) -> tuple[np.ndarray, dict]:
    """The view's betweenness: the background result if it was started (see
    :func:`~channelgraph.marketing.prefetch_marketing`; waiting for it, handed out as a
    copy), else computed now."""
    bc, how = background.result(view, *betweenness_task(view, samples, seed))
    return bc.copy(), dict(how)


def referral_counts(view: MarketingGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per node: referrals made, referrals converted, and the converted referees' outstanding (fen)."""
    got = view.cache.get("referrals")
    if got is None:
        src, dst, _ = view.edges.get("REFERRED", (np.zeros(0, np.int64),) * 3)
        made = np.bincount(src, minlength=view.n).astype(np.int64)
        conv = view.is_customer[dst]
        converted = np.bincount(src[conv], minlength=view.n).astype(np.int64)
        bal = np.zeros(view.n, dtype=np.int64)
        np.add.at(bal, src[conv], view.outstanding_fen[dst[conv]])
        got = (made, converted, bal)
        view.cache["referrals"] = got
    return got


def hub_rank_score(view: MarketingGraph, hubs: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Per node: the hub rank (0 = not in *hubs*) and hub score from a :func:`rank_hubs` table
    (read from the view's memo when *hubs* is the table :func:`rank_hubs` made on it)."""
    memo = view.cache.get("hub_ranks")
    if memo is not None and memo[0] is hubs:
        return memo[1], memo[2]
    rank = np.zeros(view.n, dtype=np.int64)
    score = np.zeros(view.n)
    if hubs is not None and len(hubs):
        pos = view.indices_of(hubs["id"].tolist())
        rank[pos] = hubs["rank"].to_numpy()
        score[pos] = hubs["score"].to_numpy()
    return rank, score


def _norm(x: np.ndarray) -> np.ndarray:
    m = float(x.max()) if x.size else 0.0
    return rnd(x / m) if m > 0 else np.zeros(x.size)


def _positions(values: np.ndarray) -> np.ndarray:
    """1-based rank of each value, largest first, ties by index (= by id)."""
    order = np.lexsort((np.arange(values.size), -values))
    pos = np.empty(values.size, dtype=np.int64)
    pos[order] = np.arange(1, values.size + 1)
    return pos


def rank_hubs(graph, dataset, policy=None, risk=None, *, view: MarketingGraph | None = None,
              rows: int | None = None) -> pd.DataFrame:
    """Rank every entity as a marketing hub; one row per entity, best first.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The dataset's graph (from either backend); read only when *dataset* is None.
    dataset : channelgraph.io.Dataset
        The validated dataset: the view is built from its tables (its policy is used when
        *policy* is None).
    policy : channelgraph.policy.Policy, optional
        Uses ``marketing.type_weights``, ``score_weights``, ``betweenness_samples``, ``seed``.
    risk : AnalysisResult or dict of tables, optional
        The ``risk`` analysis' result, for the risk flags; None leaves the flags empty.
    view : MarketingGraph, optional
        A prebuilt view (the analysis runner shares one between functions).
    rows : int, optional
        Only the best *rows* entities (None or 0: every one). Ranks, scores and
        :func:`hub_rank_score` on the table returned are those of the whole ranking; only
        the rows (and their texts) are left out. ``df.attrs`` holds how many were ranked
        (``entities_ranked``) and how many of them carry each risk flag (``risk_counts``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HUB_COLUMNS`; money in integer fen (``*_fen``). ``df.attrs`` holds
        ``betweenness`` (how it was computed) and ``risk`` (whether flags were available).

    References
    ----------
    Page, Brin, Motwani & Winograd (1999), PageRank; Brandes (2001, 2008) betweenness;
    Brandes & Pich (2007) sampled betweenness.

    Examples
    --------
    >>> import pandas as pd
    >>> from channelgraph.io import dataset_from_frames
    >>> from channelgraph.store import build_graph
    >>> ent = pd.DataFrame({"id": ["B", "C1", "C2", "X"], "kind": ["person"] * 4,
    ...                     "name": ["broker", "c1", "c2", "x"], "is_customer": ["1", "1", "1", "0"]})
    >>> rel = pd.DataFrame({"src": ["B", "B", "C1"], "dst": ["C1", "C2", "X"], "type": ["REFERRED"] * 3})
    >>> exp = pd.DataFrame({"facility_id": ["F1"], "customer_id": ["C1"], "outstanding": ["100"]})
    >>> ds = dataset_from_frames(ent, rel, exp)
    >>> hubs = rank_hubs(build_graph(ds), ds)
    >>> hubs[["rank", "id", "referrals_converted", "referred_outstanding_fen"]].head(2).to_dict("records")
    [{'rank': 1, 'id': 'B', 'referrals_converted': 2, 'referred_outstanding_fen': 10000}, {'rank': 2, 'id': 'C1', 'referrals_converted': 0, 'referred_outstanding_fen': 0}]
    """
    policy = policy or dataset.policy
    v = view_for(graph, dataset, policy, view)
    n = v.n
    made, converted, bal = referral_counts(v)
    pr = background.result(v, *pagerank_task(v)).copy()
    m = policy.marketing
    bc, how = betweenness_of(v, int(m.betweenness_samples), int(m.seed))
    p1, p2 = reach_counts(v)
    reach = p1 + SECOND_HOP_WEIGHT * (p2 - p1)
    raw = {"referrals": converted.astype(float), "pagerank": pr, "betweenness": bc, "reach": reach}
    norm = {c: _norm(raw[c]) for c in COMPONENTS}
    w = score_weights(policy)
    score = rnd(sum(w[c] * norm[c] for c in COMPONENTS)) if n else np.zeros(0)
    order = np.lexsort((np.arange(n), -score))
    top = order[:rows] if rows else order  # the rows written out, best first
    ties = v.degree()
    flags = risk_flags(v, risk)
    pr_pos, bc_pos = _positions(rnd(pr * n)), _positions(rnd(bc))
    why = _why(*(x[top] for x in (made, converted, bal, pr_pos, bc_pos, bc, p1, p2, ties)))
    df = pd.DataFrame({
        "rank": np.arange(1, len(top) + 1),
        "id": v.ids[top], "name": v.name[top], "kind": v.kind[top], "region": v.region[top],
        "is_customer": v.is_customer[top], "score": score[top],
        "referrals_made": made[top], "referrals_converted": converted[top],
        "referred_outstanding_fen": bal[top],
        "pagerank": np.round(pr, PAGERANK_DECIMALS)[top], "betweenness": rnd(bc)[top],
        "prospects_1hop": p1[top], "prospects_2hop": p2[top], "reach": rnd(reach)[top],
        **{f"{c}_norm": norm[c][top] for c in COMPONENTS},
        **{f"w_{c}": np.full(len(top), w[c]) for c in COMPONENTS},
        "ties": ties[top], "outstanding_fen": v.outstanding_fen[top],
        "why": np.array(why, dtype=object) if len(top) else np.zeros(0, dtype=object),
        "risk_flag": np.array(flags.text(), dtype=object)[top] if n else np.zeros(0, dtype=object),
        "risk_top_source": flags.top_source()[top],
        "risk_source_rank": pd.array([r if r else None for r in flags.source_rank[top].tolist()], dtype="Int64"),
        "risk_breached_group": flags.breached()[top],
        "risk_group_id": flags.breach_group[top],
    }, columns=HUB_COLUMNS)
    df.attrs["betweenness"] = how
    df.attrs["risk"] = {"available": flags.available, "note": flags.note}
    df.attrs["decimals"] = DECIMALS
    df.attrs["entities_ranked"] = n
    df.attrs["risk_counts"] = {"top_sources_flagged": int(flags.top_source().sum()),  # of all ranked
                               "in_breached_groups": int(flags.breached().sum())}
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[order] = np.arange(1, n + 1)
    v.cache["hub_ranks"] = (df, rank_of, score)
    return df


def _why(*arrays) -> list[str]:
    """The reason text per node (per position of the arrays, any subset of the nodes), built
    column by column (most nodes share one pattern)."""
    made, converted, bal, pr_pos, bc_pos, bc, p1, p2, ties = arrays
    n = len(made)
    out = ["" for _ in range(n)]
    tied = np.flatnonzero(ties > 0)
    for i, a, b, c in zip(tied.tolist(), pr_pos[tied].tolist(), bc_pos[tied].tolist(), (bc[tied] > 0).tolist()):
        out[i] = f"PageRank #{a}; betweenness #{b}" if c else f"PageRank #{a}"
    reach = np.flatnonzero(p2 > 0)
    for i, a, b in zip(reach.tolist(), p1[reach].tolist(), p2[reach].tolist()):
        text = f"{a} prospects at 1 hop, {b} within 2"
        out[i] = f"{out[i]}; {text}" if out[i] else text
    referrers = np.flatnonzero(made > 0)
    for i, m, c, b in zip(referrers.tolist(), made[referrers].tolist(), converted[referrers].tolist(),
                          bal[referrers].tolist()):
        text = f"converted {c} of {m} referrals" + (f" ({format_yuan_human(int(b))} yuan outstanding)" if b else "")
        out[i] = f"{text}; {out[i]}" if out[i] else text
    for i in np.flatnonzero((made == 0) & (ties == 0) & (p2 == 0)).tolist():
        out[i] = "no ties"
    return out
