"""Reading the analyses' results for the views, tolerant of what is (not yet) there.

The views use the tables of ``channelgraph.risk`` (``risk_groups``,
``risk_group_members``, ``guarantee_patterns``, ``risk_sources``) and
``channelgraph.marketing`` (``hubs``, ``channels``) when a run produced them, and
fall back to what the graph itself shows when it did not: connected groups from
control, guarantee and family ties; guarantee circles from the strongly connected
blocks of the guarantee ties. Every accessor returns plain Python values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import networkx as nx
import pandas as pd

from ..model import CHANNEL_KINDS, PARTY_KINDS, share_of
from ..policy import Policy

_PARTY = {k.value for k in PARTY_KINDS}
_CHANNEL = {k.value for k in CHANNEL_KINDS}


def find_table(results: dict | None, name: str) -> pd.DataFrame | None:
    """The table *name* from whichever analysis produced it (None when absent)."""
    for res in (results or {}).values():
        tables = getattr(res, "tables", None) or {}
        df = tables.get(name)
        if isinstance(df, pd.DataFrame):
            return df
    return None


def _col(df: pd.DataFrame, *names: str) -> str | None:
    for n in names:
        if n in df.columns:
            return n
    return None


def split_members(value) -> list[str]:
    """Members as a list, from a ';'-joined text, a list or a tuple."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return [m.strip() for m in str(value).split(";") if m.strip()]


def _int(v) -> int:
    try:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return 0
        return int(v)
    except (TypeError, ValueError):
        return 0


def _ratio(v) -> float | None:
    try:
        if v is None or v is pd.NA:
            return None
        f = float(v)
        return None if math.isnan(f) else f
    except (TypeError, ValueError):
        return None


def _str(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


@dataclass
class GroupInfo:
    """One connected-client group (一组关联客户)."""

    group_id: str
    members: list[str]
    exposure_fen: int = 0
    share_of_tier1: float | None = None
    status: str = "ok"  # ok | large_exposure | breach
    computed_here: bool = False

    @property
    def breached(self) -> bool:
        return self.status == "breach"


@dataclass
class PatternInfo:
    """One guarantee pattern (互保, 担保圈, 担保链, 一保多, 多保一, 联保)."""

    pattern_id: str
    pattern: str
    members: list[str]
    exposure_fen: int = 0
    computed_here: bool = False


_STATUS_ORDER = {"breach": 0, "large_exposure": 1, "ok": 2}


def risk_groups(results: dict | None) -> list[GroupInfo]:
    """Groups from ``risk_groups``: breached first, then by exposure (largest first)."""
    df = find_table(results, "risk_groups")
    if df is None or len(df) == 0:
        return []
    gid = _col(df, "group_id", "id", "group")
    mem = _col(df, "members", "member_ids")
    exp = _col(df, "exposure_fen", "outstanding_fen", "total_fen")
    shr = _col(df, "share_of_tier1", "share")
    st = _col(df, "status")
    by_group_members: dict[str, list[str]] = {}
    if mem is None:
        gm = find_table(results, "risk_group_members")
        if gm is not None and len(gm):
            g2 = _col(gm, "group_id", "group")
            m2 = _col(gm, "entity_id", "id", "member_id", "customer_id", "member")
            if g2 and m2:
                for g, m in zip(gm[g2].tolist(), gm[m2].tolist()):
                    by_group_members.setdefault(_str(g), []).append(_str(m))
    n = len(df)
    gids = [_str(v) for v in df[gid].tolist()] if gid else [str(i + 1) for i in range(n)]
    mems = [split_members(v) for v in df[mem].tolist()] if mem else [by_group_members.get(g, []) for g in gids]
    exps = [_int(v) for v in df[exp].tolist()] if exp else [0] * n
    shrs = [_ratio(v) for v in df[shr].tolist()] if shr else [None] * n
    sts = [_str(v) or "ok" for v in df[st].tolist()] if st else ["ok"] * n
    out = [GroupInfo(*row) for row in zip(gids, mems, exps, shrs, sts)]
    out.sort(key=lambda x: (_STATUS_ORDER.get(x.status, 3), -x.exposure_fen, -len(x.members), x.group_id))
    return out


def groups_of_nodes(groups: list[GroupInfo]) -> dict[str, GroupInfo]:
    """Node id → its group (the first listed, i.e. the most severe, when in several)."""
    out: dict[str, GroupInfo] = {}
    for g in groups:
        for m in g.members:
            out.setdefault(m, g)
    return out


_CIRCLE_WORDS = ("circle", "cycle", "scc", "block", "mutual", "joint")


def guarantee_patterns(results: dict | None) -> list[PatternInfo]:
    """Patterns from ``guarantee_patterns`` in table order; ids are the table's or ``1``, ``2`` …"""
    df = find_table(results, "guarantee_patterns")
    if df is None or len(df) == 0:
        return []
    pid = _col(df, "pattern_id", "id")
    pat = _col(df, "pattern", "kind", "type")
    mem = _col(df, "members", "member_ids")
    exp = _col(df, "exposure_fen", "amount_fen", "guaranteed_fen", "outstanding_fen")
    n = len(df)
    pids = [_str(v) for v in df[pid].tolist()] if pid else [str(i + 1) for i in range(n)]
    pats = [_str(v) for v in df[pat].tolist()] if pat else [""] * n
    mems = [split_members(v) for v in df[mem].tolist()] if mem else [[] for _ in range(n)]
    exps = [_int(v) for v in df[exp].tolist()] if exp else [0] * n
    out = [PatternInfo(*row) for row in zip(pids, pats, mems, exps)]
    return out


def largest_circle(patterns: list[PatternInfo]) -> PatternInfo | None:
    """The guarantee circle (or strongly connected block) with most members; else the largest pattern."""
    if not patterns:
        return None
    circles = [p for p in patterns if any(w in p.pattern.lower() for w in _CIRCLE_WORDS)]
    pool = circles or patterns
    return sorted(pool, key=lambda p: (-len(p.members), -p.exposure_fen, p.pattern_id))[0]


def hub_ranks(results: dict | None) -> dict[str, tuple[int, float]]:
    """Node id → (rank, score) from the ``hubs`` table (rank 1 is the strongest)."""
    df = find_table(results, "hubs")
    if df is None or len(df) == 0:
        return {}
    idc = _col(df, "id", "node_id", "entity_id")
    if idc is None:
        return {}
    rk = _col(df, "rank")
    sc = _col(df, "score", "hub_score")
    n = len(df)
    ids = [_str(v) for v in df[idc].tolist()]
    ranks = [_int(v) or i + 1 for i, v in enumerate(df[rk].tolist())] if rk else list(range(1, n + 1))
    scores = [_ratio(v) or 0.0 for v in df[sc].tolist()] if sc else [0.0] * n
    out: dict[str, tuple[int, float]] = {}
    for i, r, s_ in zip(ids, ranks, scores):
        out.setdefault(i, (r, s_))
    return out


def channel_order(results: dict | None, graph: nx.MultiDiGraph) -> list[str]:
    """Channel ids, best first: the ``channels`` table's order when present, else by member count."""
    df = find_table(results, "channels")
    ids: list[str] = []
    if df is not None and len(df):
        idc = _col(df, "channel_id", "id")
        if idc:
            rk = _col(df, "rank")
            rows = df.sort_values(rk, kind="stable") if rk else df
            ids = [_str(v) for v in rows[idc].tolist() if _str(v) in graph]
    seen = set(ids)
    rest = [n for n, a in graph.nodes(data=True) if a.get("kind") in _CHANNEL and n not in seen]
    rest.sort(key=lambda n: (-len(channel_members(graph, n)), str(n)))
    return ids + rest


def risk_source_ids(results: dict | None) -> set[str]:
    df = find_table(results, "risk_sources")
    if df is None or len(df) == 0:
        return set()
    idc = _col(df, "source_id", "id", "node_id")
    return {_str(v) for v in df[idc].tolist()} if idc else set()


# --------------------------------------------------------------------------- graph facts

#: Member ties of a channel: (type, the member is the edge's source?)
MEMBER_TIES = {"MEMBER_OF": True, "TRADES_IN": True, "SOURCED_VIA": True, "EMPLOYS": False}


def channel_members(graph: nx.MultiDiGraph, channel: str) -> dict[str, str]:
    """Member id → role ('' when none) of a chamber, market or intermediary."""
    out: dict[str, str] = {}
    for u, _, k, a in graph.in_edges(channel, keys=True, data=True):
        if k in ("MEMBER_OF", "TRADES_IN", "SOURCED_VIA"):
            out[u] = _str(a.get("role"))
    for _, v, k, a in graph.out_edges(channel, keys=True, data=True):
        if k in ("EMPLOYS", "REFERRED"):
            out.setdefault(v, _str(a.get("role")))
    return out


def local_groups(graph: nx.MultiDiGraph, policy: Policy | None = None) -> list[GroupInfo]:
    """Connected groups from control, guarantee and family ties (when risk results are absent).

    A rough stand-in for ``channelgraph.risk``: it does not apply the policy's
    thresholds on control shares or guarantee sizes. Status is judged against the
    policy's large-exposure and group limits.
    """
    policy = policy or Policy()
    h = nx.Graph()
    for u, v, k in graph.edges(keys=True):
        if k in ("CONTROLS", "GUARANTEES", "FAMILY"):
            h.add_edge(u, v)
    tier1 = policy.tier1_capital_fen
    out = []
    comps = sorted((sorted(c) for c in nx.connected_components(h) if len(c) > 1), key=lambda c: (-len(c), c[0]))
    for i, comp in enumerate(comps):
        exposure = sum(int(graph.nodes[n].get("outstanding_fen") or 0) for n in comp)
        share = share_of(exposure, tier1)
        status = ("breach" if share > policy.limits.group_share
                  else "large_exposure" if share > policy.limits.large_exposure_share else "ok")
        out.append(GroupInfo(f"L{i + 1}", comp, exposure, float(share), status, computed_here=True))
    out.sort(key=lambda x: (_STATUS_ORDER.get(x.status, 3), -x.exposure_fen, -len(x.members), x.group_id))
    return out


def local_circles(graph: nx.MultiDiGraph) -> list[PatternInfo]:
    """Strongly connected blocks of the guarantee ties (mutual guarantees and circles)."""
    h = nx.DiGraph()
    for u, v, k in graph.edges(keys=True):
        if k == "GUARANTEES":
            h.add_edge(u, v)
    out = []
    comps = sorted((sorted(c) for c in nx.strongly_connected_components(h) if len(c) > 1),
                   key=lambda c: (-len(c), c[0]))
    for i, comp in enumerate(comps):
        cs = set(comp)
        amount = sum(int(a.get("amount_fen") or 0) for u, v, k, a in graph.edges(comp, keys=True, data=True)
                     if k == "GUARANTEES" and v in cs)
        out.append(PatternInfo(f"L{i + 1}", "mutual" if len(comp) == 2 else "circle", comp, amount,
                               computed_here=True))
    return out


def is_party(graph: nx.MultiDiGraph, n: str) -> bool:
    return graph.nodes[n].get("kind") in _PARTY


def is_channel(graph: nx.MultiDiGraph, n: str) -> bool:
    return graph.nodes[n].get("kind") in _CHANNEL


def share_text(v) -> str:
    """A ratio as a percentage with two decimals ('' when unknown)."""
    if v is None:
        return ""
    try:
        return f"{float(Decimal(str(v))) * 100:.2f}%"
    except (ArithmeticError, ValueError):
        return str(v)


__all__ = ["GroupInfo", "PatternInfo", "find_table", "risk_groups", "groups_of_nodes", "guarantee_patterns",
           "largest_circle", "hub_ranks", "channel_order", "risk_source_ids", "channel_members", "local_groups",
           "local_circles", "split_members", "share_text"]
