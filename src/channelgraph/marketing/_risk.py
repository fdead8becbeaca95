"""Risk-aware flags: read the risk analysis' tables defensively.

Marketing must not push credit blindly through a hub that is a top single risk source
(规避单一风险源) or that sits in a group of connected clients breaching its limit. The
``risk`` analysis (order 10) writes ``risk_sources`` (``source_id``, ``rank``, …),
``risk_groups`` (``group_id``, ``status`` ∈ ok | large_exposure | breach, …) and
``risk_group_members`` (``entity_id`` or ``id``, ``group_id``, …). When they are missing
the flags are empty and :attr:`RiskFlags.available` is False.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: A risk source ranked at most this is a "top" risk source for the flags.
TOP_RISK_SOURCES = 10


@dataclass
class RiskFlags:
    available: bool
    source_rank: np.ndarray  # int, 0 = not a top risk source
    breach_group: np.ndarray  # object, "" = not in a breached group
    note: str = ""
    _text: list | None = field(default=None, repr=False, compare=False)

    def top_source(self) -> np.ndarray:
        return self.source_rank > 0

    def breached(self) -> np.ndarray:
        return self.breach_group != ""

    def text(self) -> list[str]:
        """The flag per node as text ("" for most), built once."""
        if self._text is None:
            out = [""] * len(self.source_rank)
            flagged = np.flatnonzero((self.source_rank > 0) | (self.breach_group != ""))
            for i, r, g in zip(flagged.tolist(), self.source_rank[flagged].tolist(),
                               self.breach_group[flagged].tolist()):
                parts = []
                if r:
                    parts.append(f"top risk source #{r}")
                if g:
                    parts.append(f"in breached group {g}")
                out[i] = "; ".join(parts)
            self._text = out
        return self._text


def _tables(risk) -> dict | None:
    if risk is None:
        return None
    if hasattr(risk, "tables"):
        return risk.tables
    if isinstance(risk, dict):
        return risk
    return None


def risk_flags(view, risk) -> RiskFlags:
    """Flags per node of *view* from the risk result (an AnalysisResult or its tables).

    Memoised on the view for the same *risk* object (the marketing functions of one run
    share it).
    """
    memo = view.cache.get("risk_flags")
    if memo is not None and memo[0] is risk:
        return memo[1]
    flags = _risk_flags(view, risk)
    view.cache["risk_flags"] = (risk, flags)
    return flags


def _risk_flags(view, risk) -> RiskFlags:
    n = view.n
    rank = np.zeros(n, dtype=np.int64)
    group = np.full(n, "", dtype=object)
    tables = _tables(risk)
    if tables is None:
        return RiskFlags(False, rank, group, "risk analysis not run: no risk flags")
    notes = []
    src = tables.get("risk_sources")
    if src is not None and len(src) and "source_id" in src.columns:
        ranks = (pd.to_numeric(src["rank"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                 if "rank" in src.columns else np.arange(1, len(src) + 1, dtype=float))
        ranks = np.trunc(ranks)
        top = np.flatnonzero((ranks > 0) & (ranks <= TOP_RISK_SOURCES))
        pos = view.positions(src["source_id"].to_numpy(dtype=object)[top])
        ok = pos >= 0
        r = ranks[top][ok].astype(np.int64)
        o = np.argsort(-r, kind="stable")  # the smallest rank is written last and wins
        rank[pos[ok][o]] = r[o]
    elif src is None:
        notes.append("no risk_sources table")
    groups = tables.get("risk_groups")
    members = tables.get("risk_group_members")
    if groups is not None and len(groups) and {"group_id", "status"} <= set(groups.columns):
        breached = set(groups.loc[groups["status"] == "breach", "group_id"].tolist())
        if breached and members is not None and len(members):
            idcol = "entity_id" if "entity_id" in members.columns else ("id" if "id" in members.columns else None)
            if idcol is not None and "group_id" in members.columns:
                hit = members[members["group_id"].isin(breached)]
                pos = view.positions(hit[idcol].to_numpy(dtype=object))
                gids = hit["group_id"].to_numpy(dtype=object)
                for i, gid in zip(pos.tolist(), gids.tolist()):
                    if i >= 0:
                        group[i] = gid if not group[i] else min(group[i], gid)
            elif "members" in groups.columns:
                _from_lists(groups, breached, _index(view), group)
        elif breached and "members" in groups.columns:
            _from_lists(groups, breached, _index(view), group)
    elif groups is None:
        notes.append("no risk_groups table")
    return RiskFlags(True, rank, group, "; ".join(notes))


def _index(view) -> dict:
    return {eid: i for i, eid in enumerate(view.ids.tolist())}


def _from_lists(groups, breached, index, group) -> None:
    for gid, mem in zip(groups["group_id"].tolist(), groups["members"].tolist()):
        if gid not in breached:
            continue
        ids = mem.split(";") if isinstance(mem, str) else list(mem)
        for eid in ids:
            i = index.get(eid)
            if i is not None:
                group[i] = gid if not group[i] else min(group[i], gid)
