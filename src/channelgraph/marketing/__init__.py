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
* :func:`campaign_communities` → ``communities``: Louvain communities (networkx on small
  graphs, compiled on large ones) with size, penetration and top hub.

All of them take ``(graph, dataset, policy)`` and are pure; they share one sorted sparse
view of the graph (:func:`build_view`) so that results do not depend on the order in which
a backend built the graph. Policy used: ``[marketing] type_weights``, ``score_weights``,
``betweenness_samples``, ``seed``.

Registers the ``marketing`` analysis (order 20; reads ``prior["risk"]`` for the flags) with
a report section in Chinese or English.

>>> from channelgraph.io import load_dataset                   # doctest: +SKIP
>>> from channelgraph.store import build_graph                 # doctest: +SKIP
>>> ds = load_dataset("data/sample"); g = build_graph(ds)      # doctest: +SKIP
>>> rank_hubs(g, ds).head(3)[["rank", "id", "name", "score"]]  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from ..analyses import Analysis, AnalysisResult, register
from ..graph import Book
from ..model import format_yuan
from ..policy import Policy
from ._graph import MarketingGraph, build_view, view_in_background
from .campaign import DEFAULT_K, ScopeError, campaign_seeds
from .centrality import (EXACT_BETWEENNESS_MAX_NODES, MAX_RELAY_DEGREE, betweenness, pagerank,
                         two_hop_reach)
from .channels import channel_profiles
from .communities import campaign_communities, labels_task
from .hubs import (COMPONENTS, SECOND_HOP_WEIGHT, betweenness_task, pagerank_task, rank_hubs, reach_task,
                   score_weights)
from .report import marketing_report

__all__ = ["DEFAULT_K", "HUBS_MAX_ROWS", "MarketingGraph", "ScopeError", "betweenness", "build_view",
           "campaign_communities", "campaign_seeds", "channel_profiles", "marketing_report", "pagerank",
           "prefetch_marketing", "rank_hubs", "run_marketing", "two_hop_reach"]

#: Rows of ``hubs`` written by the analysis (the best; the summary says how many were ranked).
HUBS_MAX_ROWS = 10_000
#: The tables of this room, by the command that writes them.
TABLES = {"hubs": ("hubs", "campaign", "communities"), "channels": ("channels",)}
ORDER = 20


def run_marketing(book: Book, policy: Policy | None = None, prior: dict | None = None, *,
                  k: int | None = None, channel: str | None = None, region: str | None = None,
                  hubs_rows: int | None = HUBS_MAX_ROWS,
                  parts=("hubs", "channels", "campaign", "communities")) -> AnalysisResult:
    """Run the marketing analytics; the runner registered as ``marketing``.

    *k* defaults to ``policy.marketing.campaign_k`` when the policy has it, else
    :data:`DEFAULT_K`; *hubs_rows* limits the rows of ``hubs`` (None or 0 = all).
    """
    policy = policy or book.policy
    graph, dataset = None, book.tables
    risk = (prior or {}).get("risk")
    if k is None:
        k = int(getattr(policy.marketing, "campaign_k", DEFAULT_K))
    view = build_view(graph, policy.marketing.type_weights, dataset)
    tables = {}
    summary = {}
    hubs = None
    if {"hubs", "campaign", "communities"} & set(parts):
        # only the rows written get texts; campaign and communities read the whole ranking
        # through hub_rank_score (the view's memo of this table)
        hubs = rank_hubs(graph, dataset, policy, risk, view=view, rows=hubs_rows)
        summary.update(_hub_summary(hubs, view, policy))
    if "channels" in parts:
        ch = channel_profiles(graph, dataset, policy, risk, view=view)
        tables["channels"] = ch
        summary["channels"] = {"count": len(ch), "top": _top_channel(ch)}
    if "campaign" in parts:
        camp = campaign_seeds(graph, dataset, policy, k=k, channel=channel, region=region, risk=risk,
                              view=view, hubs=hubs)
        tables["campaign"] = camp
        summary["campaign"] = {"k": int(k), "scope": camp.attrs["scope"], "picked": len(camp),
                               "prospects_in_scope": camp.attrs["prospects_in_scope"],
                               "reach": int(camp["cumulative_reach"].iloc[-1]) if len(camp) else 0,
                               "coverage": float(camp["coverage"].iloc[-1]) if len(camp) else 0.0}
    if "communities" in parts:
        com = campaign_communities(graph, dataset, policy, view=view, hubs=hubs)
        tables["communities"] = com
        summary["communities"] = dict(com.attrs)
    if "hubs" in parts:
        tables["hubs"] = hubs
        summary["hubs_written"] = len(tables["hubs"])
    order = [t for t in ("hubs", "channels", "campaign", "communities") if t in tables]
    return AnalysisResult(tables={t: tables[t] for t in order}, summary=summary)


def prefetch_marketing(dataset, policy: Policy | None = None) -> None:
    """Build the marketing view of *dataset* and compute its PageRank, reach, betweenness
    and communities on a background thread.

    The slowest parts of the marketing room — PageRank, 2-hop reach, sampled
    shortest-path betweenness and the community partition — need nothing but the view, and
    their compiled kernels release the GIL. Started early (``analyze`` does it right after
    the graph build), they run on the second core while the risk room and its tables take
    the first; :func:`run_marketing` later picks up the results (waiting for them if need
    be). Calling it is optional: without it :func:`run_marketing` computes the same values
    itself.
    """
    policy = policy or dataset.policy
    m = policy.marketing

    def tasks(view):
        return [pagerank_task(view), reach_task(view),
                betweenness_task(view, int(m.betweenness_samples), int(m.seed)), labels_task(view, int(m.seed))]

    view_in_background(dataset, m.type_weights, tasks)


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
        "top_hubs": [{"id": r["id"], "name": r["name"], "kind": r["kind"], "score": r["score"],
                      "referrals_converted": int(r["referrals_converted"]),
                      "referred_outstanding": format_yuan(int(r["referred_outstanding_fen"]))}
                     for _, r in top.iterrows()],
        "risk_flags": {"available": bool(risk.get("available")), "note": risk.get("note", ""),
                       **hubs.attrs["risk_counts"]},
    }
    if ignored:
        out["ignored_score_weights"] = ignored
    return out


def _top_channel(ch) -> dict:
    if not len(ch):
        return {}
    r = ch.iloc[0]
    return {"channel_id": r["channel_id"], "name": r["name"], "kind": r["kind"], "members": int(r["members"]),
            "prospects": int(r["prospects"]), "penetration": float(r["penetration"]),
            "members_outstanding": format_yuan(int(r["members_outstanding_fen"]))}


def prior_results(book: Book, policy: Policy | None = None) -> dict:
    """Results of the analyses registered before marketing (``risk`` …), for the flags.

    Used by the ``hubs`` and ``channels`` commands, which run marketing with options.
    """
    from ..analyses import REGISTRY, run_analyses

    try:  # make sure earlier rooms are registered (risk may not exist yet)
        importlib.import_module("channelgraph.risk")
    except ModuleNotFoundError as exc:
        if exc.name != "channelgraph.risk":
            raise
    earlier = [a.name for a in REGISTRY if a.order < ORDER]
    if not earlier:
        return {}
    return run_analyses(book, policy, only=earlier)


def marketing_node_properties(result: AnalysisResult) -> dict[str, dict]:
    """Per-entity results for the Neo4j write-back: ``hub_rank`` and ``hub_score`` of the listed hubs."""
    hubs = result.tables.get("hubs")
    if hubs is None or not len(hubs):
        return {}
    return {eid: {"hub_rank": int(r), "hub_score": float(s)}
            for eid, r, s in zip(hubs["id"].tolist(), hubs["rank"].tolist(), hubs["score"].tolist())}


register(Analysis("marketing", run_marketing, "Marketing", "营销", order=ORDER, report=marketing_report,
                  needs=("risk",), waits=True))


def _register_node_hook() -> None:
    try:
        from ..analyses import NODE_PROPERTY_HOOKS
    except ImportError:  # pragma: no cover - registry without write-back
        return
    NODE_PROPERTY_HOOKS.setdefault("marketing", marketing_node_properties)


_register_node_hook()
