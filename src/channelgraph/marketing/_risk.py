"""Risk-aware flags: read the risk analysis' tables defensively.

Marketing must not push credit blindly through a hub that is a top single risk source
(规避单一风险源) or that sits in a group of connected clients breaching its limit. The
``risk`` analysis (order 10) writes ``risk_sources`` (``source_id``, ``rank``, …),
``risk_groups`` (``group_id``, ``status`` ∈ ok | large_exposure | breach, …) and
``risk_group_members`` (``entity_id`` or ``id``, ``group_id``, …). When they are missing
the flags are empty and :attr:`RiskFlags.available` is False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A risk source ranked at most this is a "top" risk source for the flags.
TOP_RISK_SOURCES = 10


@dataclass
class RiskFlags:
    available: bool
    source_rank: np.ndarray  # int, 0 = not a top risk source
    breach_group: np.ndarray  # object, "" = not in a breached group
    note: str = ""

    def top_source(self) -> np.ndarray:
        return self.source_rank > 0

    def breached(self) -> np.ndarray:
        return self.breach_group != ""

    def text(self) -> list[str]:
        out = []
        for r, g in zip(self.source_rank.tolist(), self.breach_group.tolist()):
            parts = []
            if r:
                parts.append(f"top risk source #{r}")
            if g:
                parts.append(f"in breached group {g}")
            out.append("; ".join(parts))
        return out


def _tables(risk) -> dict | None:
    if risk is None:
        return None
    if hasattr(risk, "tables"):
        return risk.tables
    if isinstance(risk, dict):
        return risk
    return None


def risk_flags(view, risk) -> RiskFlags:
    """Flags per node of *view* from the risk result (an AnalysisResult or its tables)."""
    n = view.n
    rank = np.zeros(n, dtype=np.int64)
    group = np.full(n, "", dtype=object)
    tables = _tables(risk)
    if tables is None:
        return RiskFlags(False, rank, group, "risk analysis not run: no risk flags")
    notes = []
    index = {eid: i for i, eid in enumerate(view.ids.tolist())}
    src = tables.get("risk_sources")
    if src is not None and len(src) and "source_id" in src.columns:
        ids = src["source_id"].tolist()
        ranks = src["rank"].tolist() if "rank" in src.columns else list(range(1, len(ids) + 1))
        for eid, r in zip(ids, ranks):
            try:
                r = int(r)
            except (TypeError, ValueError):
                continue
            i = index.get(eid)
            if i is not None and 0 < r <= TOP_RISK_SOURCES and (rank[i] == 0 or r < rank[i]):
                rank[i] = r
    elif src is None:
        notes.append("no risk_sources table")
    groups = tables.get("risk_groups")
    members = tables.get("risk_group_members")
    if groups is not None and len(groups) and {"group_id", "status"} <= set(groups.columns):
        breached = set(groups.loc[groups["status"] == "breach", "group_id"].tolist())
        if breached and members is not None and len(members):
            idcol = "entity_id" if "entity_id" in members.columns else ("id" if "id" in members.columns else None)
            if idcol is not None and "group_id" in members.columns:
                for eid, gid in zip(members[idcol].tolist(), members["group_id"].tolist()):
                    i = index.get(eid)
                    if i is not None and gid in breached:
                        group[i] = gid if not group[i] else min(group[i], gid)
            elif "members" in groups.columns:
                _from_lists(groups, breached, index, group)
        elif breached and "members" in groups.columns:
            _from_lists(groups, breached, index, group)
    elif groups is None:
        notes.append("no risk_groups table")
    return RiskFlags(True, rank, group, "; ".join(notes))


def _from_lists(groups, breached, index, group) -> None:
    for gid, mem in zip(groups["group_id"].tolist(), groups["members"].tolist()):
        if gid not in breached:
            continue
        ids = mem.split(";") if isinstance(mem, str) else list(mem)
        for eid in ids:
            i = index.get(eid)
            if i is not None:
                group[i] = gid if not group[i] else min(group[i], gid)
