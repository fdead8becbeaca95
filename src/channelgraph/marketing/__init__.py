"""Marketer analytics: key-person hubs, batch-marketing channels, campaign seed lists, clusters.

An account manager asks "whom should I visit to bring in the next fifty customers?" —
this room answers with ranked, explained tables:

* :func:`rank_hubs` → ``hubs``: every person and organisation ranked by converted
  referrals, PageRank, betweenness and reach into untapped prospects, each component,
  its normalised value and its weight on every row, plus risk flags;
* :func:`channel_profiles` → ``channels``: chambers, markets and intermediaries with
  members, customers, prospects, penetration, members' balances and key persons, ranked
  for a batch campaign (批量营销);
* :func:`campaign_seeds` → ``campaign``: k hubs that together reach the most distinct
  untapped prospects (lazy greedy maximum coverage), optionally within a channel or region;
* :func:`campaign_communities` → ``communities``: Louvain communities (compiled, the
  same algorithm at every book size) with size, penetration and top hub.

All of them take ``(book, policy)`` and typed prior results (``risk=`` a
:class:`~channelgraph.risk.RiskResult`) and are pure; they share one sorted sparse view of
the book (:func:`build_view`, built once and passed as ``view=``) so that results do not
depend on the order in which a backend read the rows. The slow values (PageRank, reach,
betweenness, communities) can be computed ahead on an executor the caller owns
(:func:`start_marketing`) and handed to :func:`run_marketing` as a :class:`MarketingWork`.
Policy used: ``[marketing] type_weights``, ``score_weights``, ``betweenness_samples``, ``seed``.

:data:`ANALYSIS` is the ``marketing`` analysis (order 20; reads ``prior["risk"]`` for the flags) with
a report section in Chinese or English.

>>> from channelgraph.graph import load_book
>>> book = load_book("data/sample")
>>> rank_hubs(book).head(3)[["rank", "id"]].to_dict("list")["rank"]
[1, 2, 3]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..results import Analysis, AnalysisResult
from ..graph import Book
from ..model import format_yuan
from ..policy import Policy
from ._background import MarketingWork
from ._background import start as start_marketing
from ._graph import MarketingGraph, build_view
from .campaign import DEFAULT_K, ScopeError, campaign_seeds
from .centrality import EXACT_BETWEENNESS_MAX_NODES, MAX_RELAY_DEGREE, betweenness, pagerank, two_hop_reach
from .channels import channel_profiles
from .communities import campaign_communities
from .hubs import COMPONENTS, SECOND_HOP_WEIGHT, HubScores, hub_scores, rank_hubs, reach_of, score_weights
from .report import marketing_report

if TYPE_CHECKING:  # pragma: no cover
    from ..risk import RiskResult

__all__ = [
    "ANALYSIS",
    "DEFAULT_K",
    "HUBS_MAX_ROWS",
    "HubScores",
    "MarketingGraph",
    "MarketingWork",
    "ScopeError",
    "betweenness",
    "build_view",
    "campaign_communities",
    "campaign_seeds",
    "channel_profiles",
    "hub_scores",
    "marketing_report",
    "pagerank",
    "rank_hubs",
    "run_marketing",
    "start_marketing",
    "two_hop_reach",
]

#: Rows of ``hubs`` written by the analysis (the best; the summary says how many were ranked).
HUBS_MAX_ROWS = 10_000
#: The tables of this room, by the command that writes them.
TABLES = {"hubs": ("hubs", "campaign", "communities"), "channels": ("channels",)}


def run_marketing(
    book: Book,
    policy: Policy | None = None,
    prior: dict | None = None,
    *,
    work: MarketingWork | None = None,
    k: int | None = None,
    channel: str | None = None,
    region: str | None = None,
    hubs_rows: int | None = HUBS_MAX_ROWS,
    parts=("hubs", "channels", "campaign", "communities"),
) -> AnalysisResult:
    """Run the marketing analytics; the runner of the ``marketing`` analysis.

    ``prior["risk"]`` (a :class:`~channelgraph.risk.RiskResult`), when there, gives the risk
    flags. *work* is :func:`start_marketing` of the same book and policy, when the slow values
    were started ahead (waited for here; the same values are computed here without it).
    *k* defaults to ``policy.marketing.campaign_k`` when the policy has it, else
    :data:`DEFAULT_K`; *hubs_rows* limits the rows of ``hubs`` (None or 0 = all).
    """
    policy = policy or book.policy
    risk: RiskResult | None = (prior or {}).get("risk")
    if work is not None and work.policy is not policy:
        raise ValueError("the marketing work was started with another policy")
    if k is None:
        k = int(getattr(policy.marketing, "campaign_k", DEFAULT_K))
    view = build_view(book, policy.marketing.type_weights) if work is None else work.view.result()
    tables = {}
    summary = {}
    scores = reach = None
    hubs = pd.DataFrame()
    if {"hubs", "campaign", "communities"} & set(parts):
        reach = reach_of(view) if work is None else work.reach.result()
        scores = hub_scores(
            view,
            policy,
            reach=reach,
            pagerank=None if work is None else work.pagerank.result(),
            betweenness=None if work is None else work.betweenness.result(),
        )
        # only the rows written get texts; campaign and communities read the whole ranking (scores)
        hubs = rank_hubs(book, policy, risk=risk, view=view, scores=scores, rows=hubs_rows)
        summary.update(_hub_summary(hubs, view, policy))
    if "channels" in parts:
        ch = channel_profiles(book, policy, risk=risk, view=view)
        tables["channels"] = ch
        summary["channels"] = {"count": len(ch), "top": _top_channel(ch)}
    if "campaign" in parts:
        camp = campaign_seeds(
            book, policy, k=k, channel=channel, region=region, risk=risk, view=view, reach=reach, scores=scores
        )
        tables["campaign"] = camp
        summary["campaign"] = {
            "k": int(k),
            "scope": camp.attrs["scope"],
            "picked": len(camp),
            "prospects_in_scope": camp.attrs["prospects_in_scope"],
            "reach": int(camp["cumulative_reach"].iloc[-1]) if len(camp) else 0,
            "coverage": float(camp["coverage"].iloc[-1]) if len(camp) else 0.0,
        }
    if "communities" in parts:
        com = campaign_communities(
            book, policy, view=view, scores=scores, labels=None if work is None else work.labels.result()
        )
        tables["communities"] = com
        summary["communities"] = dict(com.attrs)
    if "hubs" in parts:
        tables["hubs"] = hubs
        summary["hubs_written"] = len(hubs)
    order = [t for t in ("hubs", "channels", "campaign", "communities") if t in tables]
    return AnalysisResult(tables={t: tables[t] for t in order}, summary=summary)


def _hub_summary(hubs, view: MarketingGraph, policy: Policy) -> dict:
    w = score_weights(policy)
    ignored = sorted(set(policy.marketing.score_weights) - set(COMPONENTS))
    risk = hubs.attrs.get("risk", {})
    top = hubs.head(5)
    out = {
        "entities_ranked": hubs.attrs["entities_ranked"],  # all ranked, not only the rows kept
        "score_weights": w,
        "type_weights": {t: x for t, x in view.type_weights.items() if x > 0},
        "betweenness": hubs.attrs.get("betweenness", {}),
        "exact_betweenness_max_nodes": EXACT_BETWEENNESS_MAX_NODES,
        "pagerank": {"alpha": 0.85, "graph": "undirected, weighted by type"},
        "second_hop_weight": SECOND_HOP_WEIGHT,
        "max_relay_degree": MAX_RELAY_DEGREE,
        "prospects": int(view.prospect.sum()),
        "top_hubs": [
            {
                "id": r["id"],
                "name": r["name"],
                "kind": r["kind"],
                "score": r["score"],
                "referrals_converted": int(r["referrals_converted"]),
                "referred_outstanding": format_yuan(int(r["referred_outstanding_fen"])),
            }
            for _, r in top.iterrows()
        ],
        "risk_flags": {
            "available": bool(risk.get("available")),
            "note": risk.get("note", ""),
            **hubs.attrs["risk_counts"],
        },
    }
    if ignored:
        out["ignored_score_weights"] = ignored
    return out


def _top_channel(ch) -> dict:
    if not len(ch):
        return {}
    r = ch.iloc[0]
    return {
        "channel_id": r["channel_id"],
        "name": r["name"],
        "kind": r["kind"],
        "members": int(r["members"]),
        "prospects": int(r["prospects"]),
        "penetration": float(r["penetration"]),
        "members_outstanding": format_yuan(int(r["members_outstanding_fen"])),
    }


def prior_results(book: Book, policy: Policy | None = None) -> dict:
    """The results marketing reads from ``prior`` (``{"risk": RiskResult}``), for the flags.

    Used by the ``hubs`` and ``channels`` commands, which run marketing with options.
    """
    from ..risk import run_risk

    return {"risk": run_risk(book, policy)}


def marketing_node_properties(result: AnalysisResult) -> dict[str, dict]:
    """Per-entity results for the Neo4j write-back: ``hub_rank`` and ``hub_score`` of the listed hubs."""
    hubs = result.tables.get("hubs")
    if hubs is None or not len(hubs):
        return {}
    return {
        eid: {"hub_rank": int(r), "hub_score": float(s)}
        for eid, r, s in zip(hubs["id"].tolist(), hubs["rank"].tolist(), hubs["score"].tolist())
    }


#: The ``marketing`` analysis of :func:`channelgraph.analyses.registry`.
ANALYSIS = Analysis(
    "marketing",
    run_marketing,
    "Marketing",
    "营销",
    order=20,
    report=marketing_report,
    needs=("risk",),
    waits=True,
    node_properties=marketing_node_properties,
)
