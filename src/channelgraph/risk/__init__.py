"""Risk officer analytics: connected-client groups, limits, guarantee patterns, single risk
sources, contagion and concentration.

Library functions (pure; ``graph`` is the dataset's graph from either backend, the facts
are read from the validated ``dataset`` so both backends write identical tables):

* :func:`~channelgraph.risk.groups.connected_groups` → groups, members, ties;
* :func:`~channelgraph.risk.guarantees.guarantee_patterns`;
* :func:`~channelgraph.risk.sources.single_risk_sources` (and ``source_dependents``);
* :func:`~channelgraph.risk.contagion.stress_cascade` and
  :func:`~channelgraph.risk.contagion.debt_rank`;
* :func:`~channelgraph.risk.concentration.concentration`.

Registers the ``risk`` analysis (order 10): tables ``risk_groups`` (columns
``groups.GROUP_COLUMNS``), ``risk_group_members`` (``groups.MEMBER_COLUMNS``),
``connection_ties`` (``groups.TIE_COLUMNS``), ``guarantee_patterns``
(``guarantees.PATTERN_COLUMNS``), ``risk_sources`` (``sources.SOURCE_COLUMNS``),
``systemic_impact`` (``contagion.IMPACT_COLUMNS``) and ``concentration``
(``concentration.CONCENTRATION_COLUMNS``); a report section in Chinese or English; and
the Neo4j write-back properties (:func:`risk_node_properties`). ``channelgraph stress``
writes ``stress_rounds`` (``contagion.ROUND_COLUMNS``) and ``stress_calls``
(``contagion.CALL_COLUMNS``).

Every output is independent of the order of rows, nodes and edges (ids are sorted before
any work), money is integer fen until written, and ratios are exact decimal text.
"""

from __future__ import annotations

from ..analyses import Analysis, register
from ..graph import Book
from ..model import format_yuan
from ..policy import Policy
from ._facts import gc_paused
from .concentration import concentration
from .contagion import UnknownEntityError, debt_rank, stress_cascade
from .groups import connected_groups, rule_texts
from .guarantees import guarantee_patterns
from .report import risk_report
from .result import RiskResult
from .sources import single_risk_sources, source_dependents

__all__ = ["RiskResult", "concentration", "connected_groups", "debt_rank", "guarantee_patterns", "risk_node_properties",
           "risk_report", "risk_summary", "run_risk", "single_risk_sources", "source_dependents", "stress_cascade",
           "UnknownEntityError"]

PATTERNS = ("mutual", "circle", "circle_block", "chain", "cross", "focus")


@gc_paused
def run_risk(book: Book, policy: Policy | None = None, prior: dict | None = None) -> RiskResult:
    """Run every risk analysis; the runner registered as ``risk``."""
    policy = policy or book.policy
    graph, dataset = None, book.tables
    groups, members, ties = connected_groups(graph, dataset, policy)
    patterns = guarantee_patterns(graph, dataset, policy)
    sources = single_risk_sources(graph, dataset, policy)
    impact = debt_rank(graph, dataset, policy)
    conc = concentration(graph, dataset, policy)
    tables = {"risk_groups": groups, "risk_group_members": members, "connection_ties": ties,
              "guarantee_patterns": patterns, "risk_sources": sources, "systemic_impact": impact,
              "concentration": conc}
    return RiskResult.from_tables(tables, risk_summary(tables, dataset, policy))


def risk_summary(tables: dict, dataset, policy: Policy) -> dict:
    """JSON-ready key figures (ints and strings; amounts as yuan strings)."""
    g, m, t = tables["risk_groups"], tables["risk_group_members"], tables["connection_ties"]
    p, s, imp, c = (tables["guarantee_patterns"], tables["risk_sources"], tables["systemic_impact"],
                    tables["concentration"])
    status = g["status"].value_counts().to_dict() if len(g) else {}
    cust = m[m["is_customer"]] if len(m) else m
    pc = p["pattern"].value_counts().to_dict() if len(p) else {}
    out = {
        "tier1_capital": format_yuan(policy.tier1_capital_fen),
        "net_capital": format_yuan(policy.net_capital_fen),
        "total_outstanding": format_yuan(dataset.total_outstanding_fen),
        "groups": len(g),
        "multi_customer_groups": int((g["customer_count"] >= 2).sum()) if len(g) else 0,
        "customers": len(cust),
        "breaches": int(status.get("breach", 0)),
        "large_exposures": int(status.get("large_exposure", 0)),
        "member_single_breaches": int((cust["single_status"] == "breach").sum()) if len(cust) else 0,
        "loan_limit_breaches": int((cust["loan_status"] == "breach").sum()) if len(cust) else 0,
        "ties": len(t),
        "joining_ties": int(t["joins"].sum()) if len(t) else 0,
        "patterns": {k: int(pc.get(k, 0)) for k in PATTERNS},
        "circles": int(pc.get("circle", 0)),
        "circle_blocks": int(pc.get("circle_block", 0)),
        "risk_sources": len(s),
        "sources_flagged": {k: int(s[k].sum()) if len(s) else 0
                            for k in ("business_not_real", "control", "same_risk_factor")},
        "rules": rule_texts(policy),
    }
    if len(g):
        top = g.iloc[0]
        out["largest_group"] = {"group_id": top["group_id"], "exposure": format_yuan(int(top["exposure_fen"])),
                                "share_of_tier1": top["share_of_tier1"], "status": top["status"],
                                "customers": int(top["customer_count"])}
    if len(s):
        top = s.iloc[0]
        out["top_source"] = {"source_id": top["source_id"], "source_type": top["source_type"],
                             "dependent_exposure": format_yuan(int(top["dependent_exposure_fen"])),
                             "share_of_total": top["share_of_total"]}
    if len(imp):
        top = imp.iloc[0]
        out["top_debt_rank"] = {"entity_id": top["entity_id"], "debt_rank": top["debt_rank"],
                                "impact_exposure": format_yuan(int(top["impact_exposure_fen"]))}
    summ = c[c["bucket"] == "*"] if len(c) else c
    out["hhi"] = {d: h for d, h in zip(summ["dimension"].tolist(), summ["hhi"].tolist())}
    return out


register(Analysis("risk", run_risk, "Risk", "风险", order=10, report=risk_report, needs=()))


def risk_node_properties(result: RiskResult) -> dict[str, dict]:
    """Per-entity results for the Neo4j write-back: ``id → {property: value}``.

    Properties: ``group_id``, ``group_status``, ``group_exposure_fen`` (members of a group of
    connected clients), ``guarantee_patterns`` (sorted pattern names the entity is in),
    ``risk_source_rank`` and ``risk_source_share`` (risk sources).
    """
    props: dict[str, dict] = {}
    g = result.tables.get("risk_groups")
    m = result.tables.get("risk_group_members")
    if g is not None and m is not None and len(m):
        info = {gid: (st, int(e)) for gid, st, e in zip(g["group_id"], g["status"], g["exposure_fen"])}
        for eid, gid in zip(m["entity_id"].tolist(), m["group_id"].tolist()):
            st, e = info[gid]
            props[eid] = {"group_id": gid, "group_status": st, "group_exposure_fen": e}
    p = result.tables.get("guarantee_patterns")
    if p is not None and len(p):
        names: dict[str, set] = {}
        for pat, members in zip(p["pattern"].tolist(), p["members"].tolist()):
            for eid in members:
                names.setdefault(eid, set()).add(pat)
        for eid, pats in names.items():
            props.setdefault(eid, {})["guarantee_patterns"] = sorted(pats)
    s = result.tables.get("risk_sources")
    if s is not None and len(s):
        for eid, rank, share in zip(s["source_id"].tolist(), s["rank"].tolist(), s["share_of_total"].tolist()):
            d = props.setdefault(eid, {})
            d["risk_source_rank"] = int(rank)
            d["risk_source_share"] = share
    return props


def _register_node_hook() -> None:
    try:
        from ..analyses import NODE_PROPERTY_HOOKS
    except ImportError:  # pragma: no cover - older registry without write-back
        return
    NODE_PROPERTY_HOOKS.setdefault("risk", risk_node_properties)


_register_node_hook()
