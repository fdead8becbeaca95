"""Risk officer analytics: connected-client groups, limits, guarantee patterns, single risk
sources, contagion and concentration.

Library functions, pure, each ``f(book, policy=None)`` on the one
:class:`~channelgraph.graph.Book` (either backend builds the same book, so both write
identical tables); ``policy`` defaults to ``book.policy``:

* :func:`~channelgraph.risk.groups.connected_groups` → groups, members, ties;
* :func:`~channelgraph.risk.guarantees.guarantee_patterns`;
* :func:`~channelgraph.risk.sources.single_risk_sources` (and ``source_dependents``, or
  ``dependent_pairs`` as integer arrays);
* :func:`~channelgraph.risk.contagion.stress_cascade` and
  :func:`~channelgraph.risk.contagion.debt_rank`;
* :func:`~channelgraph.risk.concentration.concentration`.

:func:`run_risk` runs them all into a :class:`~channelgraph.risk.result.RiskResult`, the
typed result other rooms read by attribute. :data:`ANALYSIS` is the ``risk`` analysis
(order 10): tables ``risk_groups`` (columns
``groups.GROUP_COLUMNS``), ``risk_group_members`` (``groups.MEMBER_COLUMNS``),
``connection_ties`` (``groups.TIE_COLUMNS``), ``guarantee_patterns``
(``guarantees.PATTERN_COLUMNS``), ``risk_sources`` (``sources.SOURCE_COLUMNS``),
``systemic_impact`` (``contagion.IMPACT_COLUMNS``) and ``concentration``
(``concentration.CONCENTRATION_COLUMNS``), ``facility_exposures``
(``exposures.FACILITY_COLUMNS``: each facility's measured exposure); a report section in Chinese or English; and
the Neo4j write-back properties (:func:`risk_node_properties`). ``channelgraph stress``
writes ``stress_rounds`` (``contagion.ROUND_COLUMNS``) and ``stress_calls``
(``contagion.CALL_COLUMNS``).

Every output is independent of the order of rows, nodes and edges (ids are sorted before
any work), money is integer fen until written, and ratios are exact decimal text.
"""

from __future__ import annotations

from dataclasses import replace

from .._runtime import gc_paused
from ..results import Analysis
from ..graph import Book, measure_exposure
from ..model import format_yuan, fraction_of
from ..policy import Policy
from .concentration import concentration
from .contagion import UnknownEntityError, debt_rank, stress_cascade
from .exposures import facility_exposures
from .groups import connected_groups, rule_texts
from .guarantees import guarantee_patterns
from .report import risk_report
from .result import RiskResult
from .sources import dependent_pairs, single_risk_sources, source_dependents

__all__ = [
    "ANALYSIS",
    "RiskResult",
    "concentration",
    "connected_groups",
    "debt_rank",
    "dependent_pairs",
    "facility_exposures",
    "guarantee_patterns",
    "risk_node_properties",
    "risk_report",
    "risk_summary",
    "run_risk",
    "single_risk_sources",
    "source_dependents",
    "stress_cascade",
    "UnknownEntityError",
]

PATTERNS = ("mutual", "circle", "circle_block", "chain", "cross", "focus")


@gc_paused
def run_risk(book: Book, policy: Policy | None = None, prior: dict | None = None) -> RiskResult:
    """Run every risk analysis on *book*; the runner of the ``risk`` analysis (*prior* is not read)."""
    policy = policy or book.policy
    exposure = measure_exposure(book, policy)
    groups, members, ties = connected_groups(book, policy, exposure=exposure)
    result = RiskResult(
        groups=groups,
        members=members,
        ties=ties,
        patterns=guarantee_patterns(book, policy, exposure=exposure),
        sources=single_risk_sources(book, policy, exposure=exposure),
        impact=debt_rank(book, policy, exposure=exposure),
        concentration=concentration(book, policy, exposure=exposure),
        facility_exposures=facility_exposures(book, policy, exposure=exposure),
        exposure=exposure,
    )
    return replace(result, summary=risk_summary(result, book.total_outstanding, policy))


def risk_summary(result: RiskResult, total_outstanding: int, policy: Policy) -> dict:
    """JSON-ready key figures of *result* (ints and strings; amounts as yuan strings).

    *total_outstanding* is the book's (fen); *policy* gives the capital and the rule texts.
    ``large_exposures`` counts every group whose tested exposure is above the large-exposure
    threshold, breaches included (a breach is a large exposure too); ``large_exposures_within_limits``
    those of them that do not breach. Exempt groups (every customer exempt) are neither.
    """
    g, m, t = result.groups, result.members, result.ties
    p, s, imp, c = result.patterns, result.sources, result.impact, result.concentration
    status = g["status"].value_counts().to_dict() if len(g) else {}
    large_limit = fraction_of(policy.tier1_capital_fen, policy.limits.large_exposure_share)
    if result.exposure is not None:
        total_exposure = result.exposure.total
    else:
        total_exposure = int(g["exposure_fen"].sum() + g["exempt_fen"].sum()) if len(g) else 0
    cust = m[m["is_customer"]] if len(m) else m
    pc = p["pattern"].value_counts().to_dict() if len(p) else {}
    out = {
        "tier1_capital": format_yuan(policy.tier1_capital_fen),
        "net_capital": format_yuan(policy.net_capital_fen),
        "total_outstanding": format_yuan(total_outstanding),
        "groups": len(g),
        "multi_customer_groups": int((g["customer_count"] >= 2).sum()) if len(g) else 0,
        "customers": len(cust),
        "breaches": int(status.get("breach", 0)),
        "large_exposures": int(((g["exposure_fen"] > large_limit) & (g["status"] != "exempt")).sum()) if len(g) else 0,
        "member_single_breaches": int((cust["single_status"] == "breach").sum()) if len(cust) else 0,
        "loan_limit_breaches": int((cust["loan_status"] == "breach").sum()) if len(cust) else 0,
        "ties": len(t),
        "joining_ties": int(t["joins"].sum()) if len(t) else 0,
        "patterns": {k: int(pc.get(k, 0)) for k in PATTERNS},
        "circles": int(pc.get("circle", 0)),
        "circle_blocks": int(pc.get("circle_block", 0)),
        "risk_sources": len(s),
        "sources_flagged": {
            k: int(s[k].sum()) if len(s) else 0 for k in ("business_not_real", "control", "same_risk_factor")
        },
        "rules": rule_texts(policy),
        "total_exposure": format_yuan(total_exposure),
        "large_exposures_within_limits": int(status.get("large_exposure", 0)),
        "interbank_groups": int(g["interbank"].sum()) if len(g) else 0,
        "exempt_customers": int((cust["single_status"] == "exempt").sum()) if len(cust) else 0,
        "exempt_exposure": format_yuan(int(g["exempt_fen"].sum()) if len(g) else 0),
        "net_capital_from_tier1": bool(policy.net_capital_from_tier1),
    }
    if len(g):
        top = g.iloc[0]
        out["largest_group"] = {
            "group_id": top["group_id"],
            "exposure": format_yuan(int(top["exposure_fen"])),
            "share_of_tier1": top["share_of_tier1"],
            "status": top["status"],
            "customers": int(top["customer_count"]),
        }
    if len(s):
        top = s.iloc[0]
        out["top_source"] = {
            "source_id": top["source_id"],
            "source_type": top["source_type"],
            "dependent_exposure": format_yuan(int(top["dependent_exposure_fen"])),
            "share_of_total": top["share_of_total"],
        }
    if len(imp):
        top = imp.iloc[0]
        out["top_debt_rank"] = {
            "entity_id": top["entity_id"],
            "debt_rank": top["debt_rank"],
            "impact_exposure": format_yuan(int(top["impact_exposure_fen"])),
        }
    summ = c[c["bucket"] == "*"] if len(c) else c
    out["hhi"] = {d: h for d, h in zip(summ["dimension"].tolist(), summ["hhi"].tolist())}
    return out


def risk_node_properties(result: RiskResult) -> dict[str, dict]:
    """Per-entity results for the Neo4j write-back: ``id → {property: value}``.

    Properties: ``group_id``, ``group_status``, ``group_exposure_fen`` (members of a group of
    connected clients), ``guarantee_patterns`` (sorted pattern names the entity is in),
    ``risk_source_rank`` and ``risk_source_share`` (risk sources).
    """
    props: dict[str, dict] = {}
    g, m, p, s = result.groups, result.members, result.patterns, result.sources
    if len(m):
        info = {gid: (st, int(e)) for gid, st, e in zip(g["group_id"], g["status"], g["exposure_fen"])}
        for eid, gid in zip(m["entity_id"].tolist(), m["group_id"].tolist()):
            st, e = info[gid]
            props[eid] = {"group_id": gid, "group_status": st, "group_exposure_fen": e}
    if len(p):
        names: dict[str, set] = {}
        for pat, members in zip(p["pattern"].tolist(), p["members"].tolist()):
            for eid in members:
                names.setdefault(eid, set()).add(pat)
        for eid, pats in names.items():
            props.setdefault(eid, {})["guarantee_patterns"] = sorted(pats)
    if len(s):
        for eid, rank, share in zip(s["source_id"].tolist(), s["rank"].tolist(), s["share_of_total"].tolist()):
            d = props.setdefault(eid, {})
            d["risk_source_rank"] = int(rank)
            d["risk_source_share"] = share
    return props


#: The ``risk`` analysis of :func:`channelgraph.analyses.registry`.
ANALYSIS = Analysis(
    "risk", run_risk, "Risk", "风险", order=10, report=risk_report, needs=(), node_properties=risk_node_properties
)
