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

:func:`hub_scores` computes the whole ranking (a :class:`HubScores`: every node's
components, score and rank), which the campaign and the communities read too;
:func:`rank_hubs` makes the table of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..graph import Book
from ..model import format_yuan_human
from ._graph import DECIMALS, MarketingGraph, rnd, view_for
from ._risk import risk_flags
from .centrality import betweenness, pagerank, two_hop_reach

if TYPE_CHECKING:  # pragma: no cover
    from ..risk import RiskResult

#: The four components of the hub score, in column order.
COMPONENTS = ("referrals", "pagerank", "betweenness", "reach")
#: Weight of a prospect first reached at the second hop, relative to one at the first.
SECOND_HOP_WEIGHT = 0.5
#: Decimals kept for the raw PageRank (it sums to 1 over a million nodes).
PAGERANK_DECIMALS = 12

HUB_COLUMNS = [
    "rank",
    "id",
    "name",
    "kind",
    "region",
    "is_customer",
    "score",
    "referrals_made",
    "referrals_converted",
    "referred_outstanding_fen",
    "pagerank",
    "betweenness",
    "prospects_1hop",
    "prospects_2hop",
    "reach",
    "referrals_norm",
    "pagerank_norm",
    "betweenness_norm",
    "reach_norm",
    "w_referrals",
    "w_pagerank",
    "w_betweenness",
    "w_reach",
    "ties",
    "outstanding_fen",
    "why",
    "risk_flag",
    "risk_top_source",
    "risk_source_rank",
    "risk_breached_group",
    "risk_group_id",
]


def score_weights(policy) -> dict[str, float]:
    """The composite weights used (missing components weigh 0; unknown keys are ignored)."""
    sw = policy.marketing.score_weights
    return {c: float(sw.get(c, 0.0) or 0.0) for c in COMPONENTS}


def reach_of(view: MarketingGraph) -> tuple[np.ndarray, np.ndarray]:
    """Untapped prospects within 1 and 2 hops of every node of the view."""
    return two_hop_reach(view.adjacency, view.prospect)


def betweenness_of(view: MarketingGraph, policy) -> tuple[np.ndarray, dict]:
    """The view's betweenness and how it was computed, with the policy's samples and seed."""
    m = policy.marketing
    return betweenness(view.adjacency, int(m.betweenness_samples), int(m.seed))


def pagerank_of(view: MarketingGraph) -> np.ndarray:
    """The PageRank of the view's weighted ties."""
    return pagerank(view.weighted)


@dataclass(frozen=True, eq=False)
class HubScores:
    """The whole ranking: every node's components, score and rank (what :func:`rank_hubs`
    writes a table of, and what the campaign and the communities read)."""

    made: np.ndarray
    converted: np.ndarray
    referred_fen: np.ndarray
    pagerank: np.ndarray
    betweenness: np.ndarray
    #: how the betweenness was computed (see :func:`~channelgraph.marketing.centrality.betweenness`)
    how: dict
    prospects_1hop: np.ndarray
    prospects_2hop: np.ndarray
    reach: np.ndarray
    norm: dict
    weights: dict
    score: np.ndarray
    #: node indices, best first (ties by index = by id)
    order: np.ndarray
    #: 1-based rank per node
    rank: np.ndarray


def hub_scores(
    view: MarketingGraph,
    policy,
    *,
    pagerank: np.ndarray | None = None,
    betweenness: tuple[np.ndarray, dict] | None = None,
    reach: tuple[np.ndarray, np.ndarray] | None = None,
) -> HubScores:
    """Score and rank every node of *view* (see the module text).

    *pagerank*, *betweenness* and *reach* are :func:`pagerank_of`, :func:`betweenness_of`
    and :func:`reach_of` of the view when already computed (the pipeline computes them in
    the background); computed here when None.
    """
    n = view.n
    made, converted, bal = view.referrals
    pr = pagerank_of(view) if pagerank is None else pagerank
    bc, how = betweenness_of(view, policy) if betweenness is None else betweenness
    p1, p2 = reach_of(view) if reach is None else reach
    reach_ = p1 + SECOND_HOP_WEIGHT * (p2 - p1)
    raw = {"referrals": converted.astype(float), "pagerank": pr, "betweenness": bc, "reach": reach_}
    norm = {c: _norm(raw[c]) for c in COMPONENTS}
    w = score_weights(policy)
    score = rnd(sum(w[c] * norm[c] for c in COMPONENTS)) if n else np.zeros(0)
    order = np.lexsort((np.arange(n), -score))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    return HubScores(
        made=made,
        converted=converted,
        referred_fen=bal,
        pagerank=pr,
        betweenness=bc,
        how=dict(how),
        prospects_1hop=p1,
        prospects_2hop=p2,
        reach=reach_,
        norm=norm,
        weights=w,
        score=score,
        order=order,
        rank=rank,
    )


def _norm(x: np.ndarray) -> np.ndarray:
    m = float(x.max()) if x.size else 0.0
    return rnd(x / m) if m > 0 else np.zeros(x.size)


def _positions(values: np.ndarray) -> np.ndarray:
    """1-based rank of each value, largest first, ties by index (= by id)."""
    order = np.lexsort((np.arange(values.size), -values))
    pos = np.empty(values.size, dtype=np.int64)
    pos[order] = np.arange(1, values.size + 1)
    return pos


def rank_hubs(
    book: Book,
    policy=None,
    *,
    risk: RiskResult | None = None,
    view: MarketingGraph | None = None,
    scores: HubScores | None = None,
    rows: int | None = None,
) -> pd.DataFrame:
    """Rank every entity as a marketing hub; one row per entity, best first.

    Parameters
    ----------
    book : channelgraph.graph.Book
        The book (its policy is used when *policy* is None).
    policy : channelgraph.policy.Policy, optional
        Uses ``marketing.type_weights``, ``score_weights``, ``betweenness_samples``, ``seed``.
    risk : channelgraph.risk.RiskResult, optional
        The risk room's result, for the risk flags; None leaves the flags empty.
    view : MarketingGraph, optional
        The book's view (:func:`~channelgraph.marketing.build_view`), built here when None.
    scores : HubScores, optional
        :func:`hub_scores` of the view, computed here when None.
    rows : int, optional
        Only the best *rows* entities (None or 0: every one). Ranks and scores are those of
        the whole ranking; only the rows (and their texts) are left out. ``df.attrs`` holds
        how many were ranked (``entities_ranked``) and how many of them carry each risk flag
        (``risk_counts``).

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
    >>> from channelgraph.graph import build_book
    >>> from channelgraph.io import dataset_from_frames
    >>> ent = pd.DataFrame({"id": ["B", "C1", "C2", "X"], "kind": ["person"] * 4,
    ...                     "name": ["broker", "c1", "c2", "x"], "is_customer": ["1", "1", "1", "0"]})
    >>> rel = pd.DataFrame({"src": ["B", "B", "C1"], "dst": ["C1", "C2", "X"], "type": ["REFERRED"] * 3})
    >>> exp = pd.DataFrame({"facility_id": ["F1"], "customer_id": ["C1"], "outstanding": ["100"]})
    >>> hubs = rank_hubs(build_book(dataset_from_frames(ent, rel, exp)))
    >>> hubs[["rank", "id", "referrals_converted", "referred_outstanding_fen"]].head(2).to_dict("records")
    [{'rank': 1, 'id': 'B', 'referrals_converted': 2, 'referred_outstanding_fen': 10000}, {'rank': 2, 'id': 'C1', 'referrals_converted': 0, 'referred_outstanding_fen': 0}]
    """
    policy = policy or book.policy
    v = view_for(book, policy, view)
    h = hub_scores(v, policy) if scores is None else scores
    n = v.n
    made, converted, bal, pr, bc = h.made, h.converted, h.referred_fen, h.pagerank, h.betweenness
    p1, p2, w, norm = h.prospects_1hop, h.prospects_2hop, h.weights, h.norm
    top = h.order[:rows] if rows else h.order  # the rows written out, best first
    ties = v.degree()
    flags = risk_flags(v, risk)
    pr_pos, bc_pos = _positions(rnd(pr * n)), _positions(rnd(bc))
    why = _why(*(x[top] for x in (made, converted, bal, pr_pos, bc_pos, bc, p1, p2, ties)))
    df = pd.DataFrame(
        {
            "rank": np.arange(1, len(top) + 1),
            "id": v.ids[top],
            "name": v.name[top],
            "kind": v.kind[top],
            "region": v.region[top],
            "is_customer": v.is_customer[top],
            "score": h.score[top],
            "referrals_made": made[top],
            "referrals_converted": converted[top],
            "referred_outstanding_fen": bal[top],
            "pagerank": np.round(pr, PAGERANK_DECIMALS)[top],
            "betweenness": rnd(bc)[top],
            "prospects_1hop": p1[top],
            "prospects_2hop": p2[top],
            "reach": rnd(h.reach)[top],
            **{f"{c}_norm": norm[c][top] for c in COMPONENTS},
            **{f"w_{c}": np.full(len(top), w[c]) for c in COMPONENTS},
            "ties": ties[top],
            "outstanding_fen": v.outstanding_fen[top],
            "why": np.array(why, dtype=object) if len(top) else np.zeros(0, dtype=object),
            "risk_flag": np.array(flags.text(), dtype=object)[top] if n else np.zeros(0, dtype=object),
            "risk_top_source": flags.top_source()[top],
            "risk_source_rank": pd.array([r if r else None for r in flags.source_rank[top].tolist()], dtype="Int64"),
            "risk_breached_group": flags.breached()[top],
            "risk_group_id": flags.breach_group[top],
        },
        columns=HUB_COLUMNS,
    )
    df.attrs["betweenness"] = dict(h.how)
    df.attrs["risk"] = {"available": flags.available, "note": flags.note}
    df.attrs["decimals"] = DECIMALS
    df.attrs["entities_ranked"] = n
    df.attrs["risk_counts"] = {
        "top_sources_flagged": int(flags.top_source().sum()),  # of all ranked
        "in_breached_groups": int(flags.breached().sum()),
    }
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
    for i, m, c, b in zip(
        referrers.tolist(), made[referrers].tolist(), converted[referrers].tolist(), bal[referrers].tolist()
    ):
        text = f"converted {c} of {m} referrals" + (f" ({format_yuan_human(int(b))} yuan outstanding)" if b else "")
        out[i] = f"{text}; {out[i]}" if out[i] else text
    for i in np.flatnonzero((made == 0) & (ties == 0) & (p2 == 0)).tolist():
        out[i] = "no ties"
    return out
