"""Graph views: which nodes and ties to show, how they look, and what was left out.

Each builder is a pure function of the graph (and, when given, the analyses'
results) returning a :class:`View`: nodes with positions, colours, sizes and tooltip
rows; edges with colour, width, arrow and label; a legend; and notes that say what
the view leaves out. :func:`channelgraph.viz.html.render_html` turns a view into one
self-contained HTML page.

* :func:`channel_view` — a chamber, market or intermediary with its members and key
  persons (member roles such as 会长, top-ranked hubs, controllers and referrers).
* :func:`ego_view` — everything within *k* hops of a node.
* :func:`group_view` — a connected-client group (or any list of members).
* :func:`pattern_view` — a guarantee pattern, guarantee ties in front.
* :func:`overview` — the whole book within a node budget: every channel, then the
  parties that matter most (breached groups, guarantee patterns, hubs, exposure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..model import format_yuan_human
from . import style
from .layout import force_layout, remove_overlaps
from .results import (
    GroupInfo,
    PatternInfo,
    channel_members,
    groups_of_nodes,
    guarantee_patterns,
    hub_ranks,
    is_channel,
    is_party,
    local_circles,
    local_groups,
    risk_groups,
    share_text,
)
from .text import kind_text, pattern_text, relation_text, short_amount, status_text, t

DEFAULT_BUDGET = 2000
#: Above this many nodes only the important ones carry a label (the rest show it on hover).
LABEL_ALL_MAX = 300
#: This many best-ranked hubs (persons and enterprises) get a star.
TOP_HUB_RANK = 10
_KNOWN_ATTRS = {"kind", "name", "is_customer", "industry", "region", "segment", "net_assets_fen",
                "annual_revenue_fen", "outstanding_fen", "facilities"}
_LABEL_MAX = 14


@dataclass
class VNode:
    id: str
    kind: str
    label: str
    name: str
    rows: list[tuple[str, str]]
    color: str
    shape: str
    size: float
    border: str
    border_width: float
    font_size: int = 14
    x: float = 0.0
    y: float = 0.0
    focus: bool = False


@dataclass
class VEdge:
    src: str
    dst: str
    type: str
    color: str
    width: float
    dashes: object
    arrow: bool
    label: str
    rows: list[tuple[str, str]]
    roundness: float = 0.0
    faint: bool = False


@dataclass
class LegendItem:
    text: str
    color: str = ""
    shape: str = ""  # a node shape, "line" for a relation, "" for text only
    dashes: bool = False
    border: str = ""


@dataclass
class View:
    """What one graph page shows. ``stats`` counts what is shown and what was left out."""

    kind: str
    title: str
    lang: str
    nodes: list[VNode]
    edges: list[VEdge]
    legend: list[LegendItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subtitle: str = ""
    stats: dict = field(default_factory=dict)
    #: the channel, node, group or pattern id the view is about ('' for the overview)
    key: str = ""

    def __repr__(self) -> str:
        left = self.stats.get("left_out_nodes", 0)
        return (f"View(kind={self.kind!r}, title={self.title!r}, nodes={len(self.nodes)}, edges={len(self.edges)}"
                + (f", left_out_nodes={left}" if left else "") + ")")

    def _repr_html_(self) -> str:  # Jupyter: an interactive iframe
        from .html import notebook_html

        return notebook_html(self)


# --------------------------------------------------------------------------- context


class _Context:
    """Lookups shared by the builders, computed once per view."""

    def __init__(self, graph: nx.MultiDiGraph, results: dict | None, lang: str):
        self.g = graph
        self.lang = lang
        self.groups = risk_groups(results)
        self.node_group = groups_of_nodes(self.groups)
        self.patterns = guarantee_patterns(results)
        self.in_pattern = {m for p in self.patterns for m in p.members}
        self.hubs = hub_ranks(results)
        # the best-ranked persons and enterprises get a star (channels are shown as channels)
        ranked = sorted((r, str(n)) for n, (r, _) in self.hubs.items() if n in graph and is_party(graph, n))
        self.star = {n for _, n in ranked[:TOP_HUB_RANK]}

    def outstanding(self, n) -> int:
        return int(self.g.nodes[n].get("outstanding_fen") or 0)

    def priority(self, n):
        """Sort key: breached-group members first, then large-exposure groups, patterns, hubs, exposure."""
        gr = self.node_group.get(n)
        return (0 if gr is not None and gr.status == "breach" else 1,
                0 if gr is not None and gr.status == "large_exposure" else 1,
                0 if n in self.in_pattern else 1,
                self.hubs.get(n, (10**9, 0.0))[0],
                -self.outstanding(n), str(n))

    def top_hub(self, n) -> bool:
        return n in self.star

    # ------------------------------------------------------------------ nodes
    def node(self, n, *, size_by: str, top: float, focus: bool = False, key_person: bool = False,
             label: bool = True, group: GroupInfo | None = None) -> VNode:
        a = self.g.nodes[n]
        lang = self.lang
        kind = a.get("kind", "")
        name = _text(a.get("name")) or str(n)
        colour, shape = style.kind_style(kind)
        rows: list[tuple[str, str]] = [(t("id", lang), str(n)), (t("kind", lang), kind_text(kind, lang))]
        if is_party(self.g, n):
            rows.append((t("customer", lang), t("yes" if a.get("is_customer") else "no", lang)))
            if a.get("is_customer") or self.outstanding(n):
                rows.append((t("outstanding", lang), format_yuan_human(self.outstanding(n))))
                rows.append((t("facilities", lang), str(int(a.get("facilities") or 0))))
        for key in ("net_assets_fen", "annual_revenue_fen"):
            if a.get(key) is not None:
                rows.append((t(key[:-4], lang), format_yuan_human(int(a[key]))))
        for key in ("region", "industry", "segment"):
            if _text(a.get(key)):
                rows.append((t(key, lang), _text(a.get(key))))
        if is_channel(self.g, n):
            rows.append((t("members", lang), f"{len(channel_members(self.g, n)):,}"))
        for key in sorted(k for k in a if k not in _KNOWN_ATTRS):
            v = _text(a.get(key))
            if v:
                rows.append((str(key), v))
        gr = group or self.node_group.get(n)
        if gr is not None:
            rows.append((t("group", lang), gr.group_id))
            rows.append((t("group_status", lang), status_text(gr.status, lang)))
            if gr.share_of_tier1 is not None:
                rows.append((t("share_of_tier1", lang), share_text(gr.share_of_tier1)))
        hub = self.hubs.get(n)
        if hub is not None:
            rows.append((t("hub_rank", lang), f"#{hub[0]}"))
            rows.append((t("hub_score", lang), f"{hub[1]:.3f}"))

        if is_channel(self.g, n):
            size = style.CHANNEL_SIZE
        elif size_by == "hub":
            size = style.scaled_size(hub[1] if hub else 0.0, top)
        else:
            size = style.scaled_size(self.outstanding(n), top)
        border, width = _darker(colour), 1.0
        if gr is not None and gr.status == "breach":
            border, width = style.BREACH_BORDER, 4.0
        elif gr is not None and gr.status == "large_exposure":
            border, width = style.LARGE_BORDER, 3.0
        elif self.top_hub(n) or key_person:
            border, width = style.HUB_BORDER, 3.0
        if focus:
            border, width = style.FOCUS_BORDER, 5.0
        star = key_person or self.top_hub(n)
        text = (("★ " if star else "") + _short(name)) if label or star or focus else ""
        return VNode(str(n), kind, text, name, rows, colour, shape, size, border, width,
                     font_size=18 if focus or is_channel(self.g, n) else 14, focus=focus)

    # ------------------------------------------------------------------ edges
    def edges(self, order: list, *, emphasise: str | None = None) -> list[VEdge]:
        """Every tie between two shown nodes, styled; *emphasise* fades the other types."""
        shown = set(order)
        raw = []
        for u in order:
            for _, v, k, a in self.g.out_edges(u, keys=True, data=True):
                if v in shown:
                    raw.append((u, v, k, a))
        top_amount = max((int(a.get("amount_fen") or 0) for _, _, k, a in raw if k == "GUARANTEES"), default=0)
        pairs: dict[tuple, int] = {}
        for u, v, _, _ in raw:
            key = (u, v) if str(u) <= str(v) else (v, u)
            pairs[key] = pairs.get(key, 0) + 1
        seen: dict[tuple, int] = {}
        out = []
        lang = self.lang
        for u, v, k, a in raw:
            st = style.edge_style(k)
            amount = a.get("amount_fen")
            share = a.get("share")
            rows = [(t("relation", lang), relation_text(k, lang))]
            label = ""
            width = st["width"]
            if amount is not None:
                rows.append((t("amount", lang), format_yuan_human(int(amount))))
            if share is not None and not (isinstance(share, float) and math.isnan(share)):
                rows.append((t("share", lang), f"{float(share) * 100:.1f}%"))
            for key in ("role", "since"):
                if _text(a.get(key)):
                    rows.append((t(key, lang), _text(a.get(key))))
            for key in sorted(x for x in a if x not in ("type", "amount_fen", "share", "role", "since")):
                if _text(a.get(key)):
                    rows.append((str(key), _text(a.get(key))))
            if k == "GUARANTEES":
                width = style.guarantee_width(int(amount or 0), top_amount)
                label = short_amount(amount, lang) if amount else ""
            elif k in ("CONTROLS", "SUPPLIES") and share is not None:
                label = f"{float(share) * 100:.0f}%"
            elif k in ("MEMBER_OF", "TRADES_IN") and _text(a.get("role")):
                label = _text(a.get("role"))
            key = (u, v) if str(u) <= str(v) else (v, u)
            i = seen.get(key, 0)
            seen[key] = i + 1
            roundness = 0.0 if pairs[key] == 1 else round(0.15 + 0.15 * i, 2)
            faint = emphasise is not None and k != emphasise
            colour = style.faded(st["color"], 0.35) if faint else st["color"]
            out.append(VEdge(str(u), str(v), k, colour, width, st["dashes"], st["arrow"], label, rows,
                             roundness, faint))
        return out


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    try:
        import pandas as pd

        if v is pd.NA:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return str(v).strip()


def _short(name: str) -> str:
    return name if len(name) <= _LABEL_MAX else name[: _LABEL_MAX - 1] + "…"


def _darker(colour: str) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"#{int(r * 0.7):02x}{int(g * 0.7):02x}{int(b * 0.7):02x}"


# --------------------------------------------------------------------------- assembling


def _assemble(ctx: _Context, kind: str, title: str, order: list, *, size_by: str = "exposure",
              focus: set | None = None, key_persons: set | None = None, label_set: set | None = None,
              group_for: dict | None = None, emphasise: str | None = None, subtitle: str = "",
              notes: list[str] | None = None, stats: dict | None = None, key: str = "",
              seed: int = 42) -> View:
    focus = focus or set()
    key_persons = key_persons or set()
    if size_by == "hub" and not ctx.hubs:
        size_by = "exposure"
    if size_by == "hub":
        top = max((ctx.hubs[n][1] for n in order if n in ctx.hubs), default=0.0)
    else:
        top = max((ctx.outstanding(n) for n in order if is_party(ctx.g, n)), default=0)
    label_all = len(order) <= LABEL_ALL_MAX
    nodes = [ctx.node(n, size_by=size_by, top=top, focus=n in focus, key_person=n in key_persons,
                      label=label_all or (label_set is not None and n in label_set) or is_channel(ctx.g, n),
                      group=(group_for or {}).get(n))
             for n in order]
    edges = ctx.edges(order, emphasise=emphasise)
    _place(nodes, edges, focus, seed)
    stats = dict(stats or {})
    stats.setdefault("shown_nodes", len(nodes))
    stats.setdefault("shown_edges", len(edges))
    legend = _legend(ctx, nodes, edges, size_by)
    return View(kind, title, ctx.lang, nodes, edges, legend, list(notes or []), subtitle, stats, key)


#: Springs along membership and payroll ties are weaker: a channel with hundreds of
#: members should not pull them all into one knot.
_LAYOUT_WEIGHT = {"MEMBER_OF": 0.3, "TRADES_IN": 0.3, "SOURCED_VIA": 0.3, "EMPLOYS": 0.3}


def _place(nodes: list[VNode], edges: list[VEdge], focus: set, seed: int) -> None:
    index = {v.id: i for i, v in enumerate(nodes)}
    pairs, weights = [], []
    for e in edges:
        if e.src != e.dst:
            pairs.append((index[e.src], index[e.dst]))
            weights.append(_LAYOUT_WEIGHT.get(e.type, 1.0))
    fixed = {index[f]: (0.5, 0.5) for f in sorted(map(str, focus)) if f in index} if len(focus) == 1 else None
    pos = force_layout(len(nodes), pairs, weights=weights, seed=seed, fixed=fixed)
    remove_overlaps(pos, np.array([v.size for v in nodes]) * 1.1)
    for v, (x, y) in zip(nodes, pos.tolist()):
        v.x, v.y = round(x, 1), round(y, 1)


def _legend(ctx: _Context, nodes: list[VNode], edges: list[VEdge], size_by: str) -> list[LegendItem]:
    lang = ctx.lang
    items = []
    kinds = {v.kind for v in nodes}
    for k in style.KIND_ORDER:
        if k in kinds:
            colour, shape = style.kind_style(k)
            items.append(LegendItem(kind_text(k, lang), colour, shape))
    types = {e.type for e in edges}
    for ty in style.EDGE_ORDER:
        if ty in types:
            st = style.edge_style(ty)
            items.append(LegendItem(relation_text(ty, lang), st["color"], "line", bool(st["dashes"])))
    items.append(LegendItem(t("legend.size_hub" if size_by == "hub" else "legend.size_exposure", lang)))
    borders = {v.border for v in nodes}
    if style.BREACH_BORDER in borders:
        items.append(LegendItem(t("legend.breach", lang), "#ffffff", "dot", border=style.BREACH_BORDER))
    if style.LARGE_BORDER in borders:
        items.append(LegendItem(t("legend.large", lang), "#ffffff", "dot", border=style.LARGE_BORDER))
    if any(v.label.startswith("★") for v in nodes):
        items.append(LegendItem(t("legend.hub", lang), "#ffffff", "dot", border=style.HUB_BORDER))
    if "GUARANTEES" in types:
        items.append(LegendItem(t("legend.guarantee", lang)))
    return items


def _left_out_note(ctx: _Context, kept: set, budget: int, candidates) -> tuple[list[str], dict]:
    """What a node budget left out of *candidates*: counts per kind, ties, and the note that says so.

    A tie is counted as left out when both its ends are candidates and one is not shown.
    """
    lang = ctx.lang
    cand = set(candidates)
    out_set = cand - kept
    by_kind: dict[str, int] = {}
    for n in out_set:
        k = ctx.g.nodes[n].get("kind", "")
        by_kind[k] = by_kind.get(k, 0) + 1
    edges_out = 0
    for n in out_set:
        edges_out += sum(1 for _, v in ctx.g.out_edges(n) if v in cand)
        edges_out += sum(1 for u, _ in ctx.g.in_edges(n) if u in cand and u not in out_set)
    stats = {"left_out_nodes": len(out_set), "left_out_edges": edges_out, "left_out_by_kind": by_kind,
             "budget": budget}
    if not out_set:
        return [], stats
    detail = ("，" if lang == "zh" else ", ").join(
        f"{kind_text(k, lang)} {c:,}" for k, c in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])))
    return [t("left_out", lang, budget=f"{budget:,}", nodes=f"{len(out_set):,}", edges=f"{edges_out:,}",
              detail=detail)], stats


# --------------------------------------------------------------------------- views


def channel_view(graph: nx.MultiDiGraph, channel_id: str, results: dict | None = None, *, lang: str = "zh",
                 node_budget: int = DEFAULT_BUDGET, size_by: str = "auto") -> View:
    """A channel with its members and key persons.

    Key persons are members with a role on their membership (会长, 店长 …),
    members ranked among the top hubs, and the people outside the member list who
    control member firms or refer members. Guarantee, control, referral and family
    ties among them are drawn. Beyond *node_budget* the least important members are
    left out and the page says how many.
    """
    if channel_id not in graph:
        raise KeyError(f"no entity {channel_id!r} in the data")
    ctx = _Context(graph, results, lang)
    members = channel_members(graph, channel_id)
    key_persons = {m for m, role in members.items() if role} | {m for m in members if ctx.top_hub(m)}
    outside: dict[str, int] = {}
    for m in members:
        for u, _, k in graph.in_edges(m, keys=True):
            if k in ("CONTROLS", "REFERRED") and u not in members and u != channel_id and is_party(graph, u):
                outside[u] = outside.get(u, 0) + 1
    # referrers and controllers behind two or more members, or one member when few
    extra = sorted((u for u, c in outside.items() if c >= 2 or len(outside) <= 20),
                   key=lambda u: (-outside[u], ctx.priority(u)))
    key_persons |= {u for u in extra if outside[u] >= 2}
    ordered_members = sorted(members, key=lambda m: (0 if m in key_persons else 1, ctx.priority(m)))
    order = [channel_id] + ordered_members + [u for u in extra if u not in members]
    seen, dedup = set(), []
    for n in order:
        if n not in seen:
            seen.add(n)
            dedup.append(n)
    kept = dedup[: max(1, node_budget)]
    kept_set = set(kept)
    name = _text(graph.nodes[channel_id].get("name")) or channel_id
    notes, stats = _left_out_note(ctx, kept_set, node_budget, dedup)
    shown_members = sum(1 for m in members if m in kept_set)
    notes.insert(0, t("channel_members", lang, name=name, members=f"{len(members):,}", shown=f"{shown_members:,}"))
    stats.update(members=len(members), shown_members=shown_members, key_persons=len(key_persons & kept_set))
    label_set = key_persons | {channel_id} | set(sorted(kept, key=ctx.priority)[:60])
    if size_by == "auto":
        size_by = "hub" if ctx.hubs else "exposure"
    return _assemble(ctx, "channel", t("channel_title", lang, name=name), kept, size_by=size_by,
                     focus={channel_id}, key_persons=key_persons, label_set=label_set,
                     subtitle=kind_text(graph.nodes[channel_id].get("kind", ""), lang),
                     notes=notes, stats=stats, key=str(channel_id))


def ego_view(graph: nx.MultiDiGraph, node_id: str, hops: int = 1, results: dict | None = None, *,
             lang: str = "zh", node_budget: int = DEFAULT_BUDGET, size_by: str = "exposure") -> View:
    """Everything within *hops* ties of a node (either direction), nearest and most important first."""
    if node_id not in graph:
        raise KeyError(f"no entity {node_id!r} in the data")
    hops = max(1, int(hops))
    ctx = _Context(graph, results, lang)
    level = {node_id: 0}
    order = [node_id]
    frontier = [node_id]
    for h in range(1, hops + 1):
        nxt = set()
        for u in frontier:
            for v in list(graph.successors(u)) + list(graph.predecessors(u)):
                if v not in level:
                    level[v] = h
                    nxt.add(v)
        frontier = sorted(nxt, key=ctx.priority)
        order.extend(frontier)
        if len(order) > node_budget * 20:  # enough to fill the budget and count the rest
            break
    kept = order[: max(1, node_budget)]
    notes, stats = _left_out_note(ctx, set(kept), node_budget, order)
    name = _text(graph.nodes[node_id].get("name")) or node_id
    title = t("ego_title", lang, name=name, hops=t("hops", lang, hops=hops))
    stats["hops"] = hops
    return _assemble(ctx, "ego", title, kept, size_by=size_by, focus={node_id},
                     subtitle=kind_text(graph.nodes[node_id].get("kind", ""), lang), notes=notes, stats=stats,
                     key=str(node_id))


def group_view(graph: nx.MultiDiGraph, member_ids, results: dict | None = None, *, lang: str = "zh",
               group: GroupInfo | None = None, node_budget: int = DEFAULT_BUDGET) -> View:
    """A connected-client group: its members and every tie among them.

    *group* (from :func:`find_group`) gives the title, exposure and status; without
    it the members' group in *results* is used when there is one.
    """
    ctx = _Context(graph, results, lang)
    members = [m for m in dict.fromkeys(str(m) for m in member_ids) if m in graph]
    if not members:
        raise KeyError("none of the group's members is in the data")
    if group is None:
        group = ctx.node_group.get(members[0])
    members.sort(key=ctx.priority)
    kept = members[: max(1, node_budget)]
    notes, stats = _left_out_note(ctx, set(kept), node_budget, members)
    gid = group.group_id if group else ""
    status = status_text(group.status, lang) if group else ""
    title = t("group_title", lang, gid=gid, status=status) if group else t("view.group", lang)
    subtitle = ""
    if group is not None:
        subtitle = t("exposure_line", lang, amount=format_yuan_human(group.exposure_fen),
                     share=share_text(group.share_of_tier1) or "—")
        if group.computed_here:
            notes.append(t("no_risk", lang))
    group_for = {m: group for m in kept} if group is not None else None
    stats.update(members=len(members))
    return _assemble(ctx, "group", title, kept, group_for=group_for, subtitle=subtitle, notes=notes,
                     stats=stats, key=gid)


def pattern_view(graph: nx.MultiDiGraph, member_ids, results: dict | None = None, *, lang: str = "zh",
                 pattern: PatternInfo | None = None, node_budget: int = DEFAULT_BUDGET) -> View:
    """A guarantee pattern: its members, guarantee ties in front, other ties faded."""
    ctx = _Context(graph, results, lang)
    members = [m for m in dict.fromkeys(str(m) for m in member_ids) if m in graph]
    if not members:
        raise KeyError("none of the pattern's members is in the data")
    members.sort(key=ctx.priority)
    kept = members[: max(1, node_budget)]
    notes, stats = _left_out_note(ctx, set(kept), node_budget, members)
    kind = pattern_text(pattern.pattern, lang) if pattern and pattern.pattern else t("view.pattern", lang)
    title = t("pattern_title", lang, pattern=kind, n=len(members))
    subtitle = ""
    if pattern is not None:
        if pattern.exposure_fen:
            subtitle = t("pattern_line", lang, amount=format_yuan_human(pattern.exposure_fen))
        if pattern.computed_here:
            notes.append(t("no_risk", lang))
    stats.update(members=len(members))
    return _assemble(ctx, "pattern", title, kept, emphasise="GUARANTEES", subtitle=subtitle, notes=notes,
                     stats=stats, key=pattern.pattern_id if pattern else "")


def overview(graph: nx.MultiDiGraph, results: dict | None = None, node_budget: int = DEFAULT_BUDGET, *,
             lang: str = "zh") -> View:
    """The whole graph when it fits in *node_budget*; otherwise every channel plus the
    parties that matter most, and a note with the counts of what was left out."""
    ctx = _Context(graph, results, lang)
    budget = max(1, int(node_budget))
    channels = [n for n in graph.nodes if is_channel(graph, n)]
    channels.sort(key=lambda n: (-graph.degree(n), str(n)))
    if len(channels) > budget // 4 and graph.number_of_nodes() > budget:
        channels = channels[: budget // 4]
    others = sorted((n for n in graph.nodes if not is_channel(graph, n)), key=ctx.priority)
    kept = (channels + others)[:budget]
    kept_set = set(kept)
    notes, stats = _left_out_note(ctx, kept_set, budget, list(graph.nodes))
    if stats["left_out_nodes"]:
        notes.append(t("kept_rule", lang))
    stats.update(total_nodes=graph.number_of_nodes(), total_edges=graph.number_of_edges())
    label_set = set(channels) | {n for n in kept if ctx.top_hub(n)} | set(others[:40])
    return _assemble(ctx, "overview", t("overview_title", lang), kept, label_set=label_set, notes=notes,
                     stats=stats, subtitle=t("total", lang, nodes=f"{graph.number_of_nodes():,}",
                                             edges=f"{graph.number_of_edges():,}"))


# --------------------------------------------------------------------------- finding things


def find_group(graph: nx.MultiDiGraph, results: dict | None, ident: str | None = None,
               policy=None) -> GroupInfo | None:
    """A group by its id, or the group of an entity id; without *ident* the most severe group.

    Uses ``risk_groups`` from *results*; without them, groups computed here from
    control, guarantee and family ties (marked ``computed_here``).
    """
    groups = risk_groups(results)
    if not groups:
        groups = local_groups(graph, policy)
    if not groups:
        return None
    if ident is None:
        return groups[0]
    ident = str(ident)
    for g in groups:
        if g.group_id == ident:
            return g
    for g in groups:
        if ident in g.members:
            return g
    return None


def find_pattern(graph: nx.MultiDiGraph, results: dict | None, ident: str | None = None) -> PatternInfo | None:
    """A guarantee pattern by id (or 1-based position), or the first one containing an entity id;
    without *ident* the largest guarantee circle."""
    from .results import largest_circle

    patterns = guarantee_patterns(results) or local_circles(graph)
    if not patterns:
        return None
    if ident is None:
        return largest_circle(patterns)
    ident = str(ident)
    for p in patterns:
        if p.pattern_id == ident:
            return p
    if ident.lstrip("#").isdigit() and 1 <= int(ident.lstrip("#")) <= len(patterns):
        return patterns[int(ident.lstrip("#")) - 1]
    matching = [p for p in patterns if ident in p.members]
    if matching:
        return sorted(matching, key=lambda p: (-len(p.members), p.pattern_id))[0]
    return None


def top_hub(graph: nx.MultiDiGraph, results: dict | None) -> str | None:
    """The best-ranked person or enterprise in the ``hubs`` table, else the one with most referrals and ties."""
    hubs = hub_ranks(results)
    ranked = sorted((r, str(n)) for n, (r, _) in hubs.items() if n in graph and is_party(graph, n))
    if ranked:
        return ranked[0][1]
    parties = [n for n in graph.nodes if is_party(graph, n)]
    if not parties:
        return None

    def referrals(n):
        return sum(1 for _, _, k in graph.out_edges(n, keys=True) if k == "REFERRED")

    return min(parties, key=lambda n: (-referrals(n), -graph.degree(n), str(n)))
