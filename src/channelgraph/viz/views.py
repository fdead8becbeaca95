"""Graph views: which nodes and ties to show, how they look, and what was left out.

Each builder is a pure function of the book — a :class:`channelgraph.graph.Book` — and,
when given, the analyses' results (a results dict, or :class:`~channelgraph.viz.results.Findings`
made once for several views), returning a :class:`View`: nodes with positions,
colours, sizes and tooltip rows; edges with colour, width, arrow and label; a legend;
and notes that say what the view leaves out. :func:`channelgraph.viz.html.render_html`
turns a view into one self-contained HTML page.

* :func:`channel_view` — a chamber, market or intermediary with its members and key
  persons (member roles such as 会长, top-ranked hubs, controllers and referrers).
* :func:`ego_view` — everything within *k* hops of a node.
* :func:`group_view` — a connected-client group (or any list of members).
* :func:`pattern_view` — a guarantee pattern, guarantee ties in front.
* :func:`overview` — the whole book within a node budget: every channel, then the
  parties that matter most (breached groups, guarantee patterns, hubs, exposure).

A view never walks the whole book in Python: the entities to show are chosen with
numpy over the book's arrays (importance is one ``lexsort``; what was left out is
counted with boolean masks), and only the shown entities and ties get attribute
dicts, tooltips and a layout.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from ..graph import Book
from ..model import format_yuan_human
from ..store.embedded import NODE_ATTRIBUTES
from . import style
from ._index import ViewIndex
from .layout import force_layout, remove_overlaps
from .model import LegendItem, VEdge, View, VNode
from .results import (
    Findings,
    GroupInfo,
    GroupTable,
    PatternInfo,
    PatternTable,
    _risk,
    findings_of,
    share_text,
)
from ..terms import term
from .text import TERMS, exempt_text, kind_text, pattern_text, relation_text, short_amount, status_text

DEFAULT_BUDGET = 2000
#: Above this many nodes only the important ones carry a label (the rest show it on hover).
LABEL_ALL_MAX = 300
_KNOWN_ATTRS = frozenset(NODE_ATTRIBUTES)
#: Entity columns the tooltip shows in rows of their own (translated), not as raw extras.
_OWN_ROWS = frozenset({"is_interbank", "exempt"})
_LABEL_MAX = 14
_NA = pd.NA


# --------------------------------------------------------------------------- context


class _Context:
    """The book, the results lined up with it, and the language: shared by a view's steps."""

    #: Row labels of the tooltips (looked up once per view, not once per node).
    _LABELS = (
        "id",
        "kind",
        "customer",
        "yes",
        "no",
        "outstanding",
        "exposure",
        "interbank",
        "exempt",
        "facilities",
        "net_assets",
        "annual_revenue",
        "region",
        "industry",
        "segment",
        "members",
        "group",
        "group_status",
        "share_of_tier1",
        "hub_rank",
        "hub_score",
        "relation",
        "amount",
        "share",
        "role",
        "since",
    )

    def __init__(self, book: Book, results, lang: str):
        self.f: Findings = findings_of(results, book)
        self.ix: ViewIndex = self.f.index
        self.lang = lang
        self.label = {key: term(TERMS, key, lang) for key in self._LABELS}
        self._kinds: dict[str, str] = {}
        self._groups: dict[tuple, list] = {}

    def kind_text(self, kind: str) -> str:
        if kind not in self._kinds:
            self._kinds[kind] = kind_text(kind, self.lang)
        return self._kinds[kind]

    def group_rows(self, gr: GroupInfo) -> list[tuple[str, str]]:
        """The tooltip rows of a group (the same for all its members)."""
        key = (gr.group_id, gr.status, gr.share_of_tier1)
        if key not in self._groups:
            rows = [(self.label["group"], gr.group_id), (self.label["group_status"], status_text(gr.status, self.lang))]
            if gr.share_of_tier1 is not None:
                rows.append((self.label["share_of_tier1"], share_text(gr.share_of_tier1)))
            self._groups[key] = rows
        return self._groups[key]

    def entity(self, entity_id) -> int:
        """The position of an entity id; KeyError when the book has none."""
        i = self.ix.index_of(entity_id)
        if i < 0:
            raise KeyError(f"no entity {entity_id!r} in the data")
        return i

    def top_hub(self, i: int) -> bool:
        return i in self.f.star

    def name(self, i: int) -> str:
        return _text(self.ix.node_attrs([i])[0].get("name")) or str(self.ix.ids[i])

    # ------------------------------------------------------------------ nodes
    def node(
        self,
        i: int,
        a: dict,
        *,
        size_by: str,
        top: float,
        focus: bool = False,
        key_person: bool = False,
        label: bool = True,
        group: GroupInfo | None = None,
    ) -> VNode:
        b = self.ix
        names = self.label
        n = b.ids[i]
        kind = a.get("kind", "")
        name = _text(a.get("name")) or str(n)
        colour, shape = style.kind_style(kind)
        outstanding = int(b.outstanding[i])
        party, channel = bool(b.party[i]), bool(b.channel[i])
        rows: list[tuple[str, str]] = [(names["id"], str(n)), (names["kind"], self.kind_text(kind))]
        if party:
            rows.append((names["customer"], names["yes" if a.get("is_customer") else "no"]))
            exposure = int(b.exposure[i])
            if a.get("is_customer") or outstanding or exposure:
                rows.append((names["outstanding"], format_yuan_human(outstanding)))
                rows.append((names["exposure"], format_yuan_human(exposure)))
                rows.append((names["facilities"], str(int(a.get("facilities") or 0))))
            if _flag(a.get("is_interbank")):
                rows.append((names["interbank"], names["yes"]))
            exempt = _text(a.get("exempt"))
            if exempt:
                rows.append((names["exempt"], exempt_text(exempt, self.lang)))
        for key in ("net_assets_fen", "annual_revenue_fen"):
            if a.get(key) is not None:
                rows.append((names[key[:-4]], format_yuan_human(int(a[key]))))
        for key in ("region", "industry", "segment"):
            v = _text(a.get(key))
            if v:
                rows.append((names[key], v))
        if channel:
            rows.append((names["members"], f"{int(b.member_counts[i]):,}"))
        for key in sorted(k for k in a if k not in _KNOWN_ATTRS and k not in _OWN_ROWS):
            v = _text(a.get(key))
            if v:
                rows.append((str(key), v))
        gr = group or self.f.group(i)
        if gr is not None:
            rows.extend(self.group_rows(gr))
        hub = self.f.hub(i)
        if hub is not None:
            rows.append((names["hub_rank"], f"#{hub[0]}"))
            rows.append((names["hub_score"], f"{hub[1]:.3f}"))

        if channel:
            size = style.CHANNEL_SIZE
        elif size_by == "hub":
            size = style.scaled_size(hub[1] if hub else 0.0, top)
        else:
            size = style.scaled_size(outstanding, top)
        border, width = _darker(colour), 1.0
        if gr is not None and gr.status == "breach":
            border, width = style.BREACH_BORDER, 4.0
        elif gr is not None and gr.status == "large_exposure":
            border, width = style.LARGE_BORDER, 3.0
        elif self.top_hub(i) or key_person:
            border, width = style.HUB_BORDER, 3.0
        if focus:
            border, width = style.FOCUS_BORDER, 5.0
        star = key_person or self.top_hub(i)
        text = (("★ " if star else "") + _short(name)) if label or star or focus else ""
        return VNode(
            str(n),
            kind,
            text,
            name,
            rows,
            colour,
            shape,
            size,
            border,
            width,
            font_size=18 if focus or channel else 14,
            focus=focus,
        )

    # ------------------------------------------------------------------ edges
    def edges(self, order, *, emphasise: str | None = None) -> list[VEdge]:
        """Every tie between two shown nodes, styled; *emphasise* fades the other types."""
        b = self.ix
        ties = b.ties_among(order)
        ids = b.ids
        raw = [
            (ids[u], ids[v], b.type_names[k], a)
            for u, v, k, a in zip(
                b.src[ties].tolist(), b.dst[ties].tolist(), b.rtype[ties].tolist(), b.edge_attrs(ties)
            )
        ]
        top_amount = max((int(a.get("amount_fen") or 0) for _, _, k, a in raw if k == "GUARANTEES"), default=0)
        pairs: dict[tuple, int] = {}
        for u, v, _, _ in raw:
            key = (u, v) if str(u) <= str(v) else (v, u)
            pairs[key] = pairs.get(key, 0) + 1
        seen: dict[tuple, int] = {}
        out = []
        lang = self.lang
        names = self.label
        for u, v, k, a in raw:
            st = style.edge_style(k)
            amount = a.get("amount_fen")
            share = a.get("share")
            rows = [(names["relation"], relation_text(k, lang))]
            label = ""
            width = st["width"]
            if amount is not None:
                rows.append((names["amount"], format_yuan_human(int(amount))))
            if share is not None and not (isinstance(share, float) and math.isnan(share)):
                rows.append((names["share"], f"{float(share) * 100:.1f}%"))
            for key in ("role", "since"):
                if _text(a.get(key)):
                    rows.append((names[key], _text(a.get(key))))
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
            out.append(
                VEdge(str(u), str(v), k, colour, width, st["dashes"], st["arrow"], label, rows, roundness, faint)
            )
        return out


def _flag(v) -> bool:
    """A yes/no attribute (a bool, or its text as read from a CSV or Neo4j) as a bool."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return _text(v).lower() in ("true", "1", "yes", "y", "是")


def _text(v) -> str:
    if type(v) is str:  # the usual case
        return v.strip()
    if v is None or v is _NA:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    return str(v).strip()


def _short(name: str) -> str:
    return name if len(name) <= _LABEL_MAX else name[: _LABEL_MAX - 1] + "…"


@lru_cache(maxsize=64)
def _darker(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"#{int(r * 0.7):02x}{int(g * 0.7):02x}{int(b * 0.7):02x}"


# --------------------------------------------------------------------------- assembling


def _assemble(
    ctx: _Context,
    kind: str,
    title: str,
    order,
    *,
    size_by: str = "exposure",
    focus: set | None = None,
    key_persons: set | None = None,
    label_set: set | None = None,
    group_for: dict | None = None,
    emphasise: str | None = None,
    subtitle: str = "",
    notes: list[str] | None = None,
    stats: dict | None = None,
    key: str = "",
    seed: int = 42,
) -> View:
    """The view of the entities at positions *order* (sets and dicts are keyed by position too)."""
    order = [int(i) for i in order]
    b = ctx.ix
    focus = focus or set()
    key_persons = key_persons or set()
    if size_by == "hub" and not ctx.f.any_hubs:
        size_by = "exposure"
    if size_by == "hub":
        top = max((h[1] for h in map(ctx.f.hub, order) if h is not None), default=0.0)
    else:
        top = max((int(b.outstanding[i]) for i in order if b.party[i]), default=0)
    label_all = len(order) <= LABEL_ALL_MAX
    nodes = [
        ctx.node(
            i,
            a,
            size_by=size_by,
            top=top,
            focus=i in focus,
            key_person=i in key_persons,
            label=label_all or (label_set is not None and i in label_set) or bool(b.channel[i]),
            group=(group_for or {}).get(i),
        )
        for i, a in zip(order, b.node_attrs(order))
    ]
    edges = ctx.edges(order, emphasise=emphasise)
    _place(nodes, edges, {str(b.ids[i]) for i in focus}, seed)
    notes = list(notes or [])
    if not ctx.f.has_risk:
        notes.append(term(TERMS, "no_risk", ctx.lang))
    stats = dict(stats or {})
    stats.setdefault("shown_nodes", len(nodes))
    stats.setdefault("shown_edges", len(edges))
    legend = _legend(ctx, nodes, edges, size_by)
    return View(kind, title, ctx.lang, nodes, edges, legend, notes, subtitle, stats, key)


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
    items.append(LegendItem(term(TERMS, "legend.size_hub" if size_by == "hub" else "legend.size_exposure", lang)))
    borders = {v.border for v in nodes}
    if style.BREACH_BORDER in borders:
        items.append(LegendItem(term(TERMS, "legend.breach", lang), "#ffffff", "dot", border=style.BREACH_BORDER))
    if style.LARGE_BORDER in borders:
        items.append(LegendItem(term(TERMS, "legend.large", lang), "#ffffff", "dot", border=style.LARGE_BORDER))
    if any(v.label.startswith("★") for v in nodes):
        items.append(LegendItem(term(TERMS, "legend.hub", lang), "#ffffff", "dot", border=style.HUB_BORDER))
    if "GUARANTEES" in types:
        items.append(LegendItem(term(TERMS, "legend.guarantee", lang)))
    return items


def _left_out_note(ctx: _Context, kept, budget: int, candidates=None) -> tuple[list[str], dict]:
    """What a node budget left out of *candidates* (positions; None for the whole book): counts per
    kind, ties, and the note that says so.

    A tie is counted as left out when both its ends are candidates and one is not shown.
    """
    lang = ctx.lang
    b = ctx.ix
    shown = b.mask(kept)
    cand = np.ones(b.n_nodes, dtype=bool) if candidates is None else b.mask(candidates)
    out = np.flatnonzero(cand & ~shown)
    # entities per kind code (-1: none), codes ascending: a count, not a sort of a million codes
    per_code = np.bincount(b.kind_code[out] + 1, minlength=len(b.kind_names) + 1)
    codes = np.flatnonzero(per_code)
    by_kind = {(b.kind_names[c - 1] if c > 0 else ""): int(per_code[c]) for c in codes.tolist()}
    by_kind = dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])))
    s, d = b.src, b.dst
    if not len(out):
        edges_out = 0
    elif candidates is None:
        edges_out = b.n_edges - len(b.rows_within(shown))
    else:  # the shown are candidates too
        rows = b.rows_within(cand)
        edges_out = len(rows) - int(np.count_nonzero(shown[s[rows]] & shown[d[rows]]))
    stats = {"left_out_nodes": len(out), "left_out_edges": edges_out, "left_out_by_kind": by_kind, "budget": budget}
    if not len(out):
        return [], stats
    detail = ("，" if lang == "zh" else ", ").join(f"{kind_text(k, lang)} {c:,}" for k, c in by_kind.items())
    return [
        term(
            TERMS, "left_out", lang, budget=f"{budget:,}", nodes=f"{len(out):,}", edges=f"{edges_out:,}", detail=detail
        )
    ], stats


def _dedup(positions) -> list[int]:
    """Positions without repeats, first occurrence kept."""
    return list(dict.fromkeys(int(i) for i in positions))


# --------------------------------------------------------------------------- views


def channel_view(
    book: Book,
    channel_id: str,
    results=None,
    *,
    lang: str = "zh",
    node_budget: int = DEFAULT_BUDGET,
    size_by: str = "auto",
) -> View:
    """A channel with its members and key persons.

    Key persons are members with a role on their membership (会长, 店长 …),
    members ranked among the top hubs, and the people outside the member list who
    control member firms or refer members. Guarantee, control, referral and family
    ties among them are drawn. Beyond *node_budget* the least important members are
    left out and the page says how many.
    """
    ctx = _Context(book, results, lang)
    b, f = ctx.ix, ctx.f
    c = ctx.entity(channel_id)
    members = b.channel_members(c)
    key_persons = {m for m, role in members.items() if role} | {m for m in members if ctx.top_hub(m)}
    is_member = b.mask(list(members))
    # persons and firms outside the member list who control or refer members: how many members each
    ties = np.flatnonzero(b.type_mask("CONTROLS", "REFERRED"))  # then the other tests on those ties only
    ties = ties[is_member[b.dst[ties]]]
    outer = b.src[ties]
    ties = ties[~is_member[outer] & (outer != c) & b.party[outer]]
    behind = np.bincount(b.src[ties], minlength=b.n_nodes) if len(ties) else np.zeros(b.n_nodes, dtype=np.int64)
    outside = np.flatnonzero(behind)
    # referrers and controllers behind two or more members, or one member when few
    extra = outside[(behind[outside] >= 2) | (len(outside) <= 20)]
    extra = extra[np.lexsort(f.priority_keys(extra) + (-behind[extra],))].tolist()
    key_persons |= {u for u in extra if behind[u] >= 2}
    listed = np.fromiter(members, dtype=np.int64, count=len(members))
    not_key = np.array([m not in key_persons for m in listed.tolist()], dtype=bool)
    ordered_members = listed[np.lexsort(f.priority_keys(listed) + (not_key,))].tolist()
    dedup = _dedup([c] + ordered_members + [u for u in extra if u not in members])
    kept = dedup[: max(1, node_budget)]
    kept_set = set(kept)
    name = ctx.name(c)
    notes, stats = _left_out_note(ctx, kept, node_budget, dedup)
    shown_members = sum(1 for m in members if m in kept_set)
    notes.insert(
        0, term(TERMS, "channel_members", lang, name=name, members=f"{len(members):,}", shown=f"{shown_members:,}")
    )
    stats.update(members=len(members), shown_members=shown_members, key_persons=len(key_persons & kept_set))
    label_set = key_persons | {c} | set(f.by_priority(kept)[:60].tolist())
    if size_by == "auto":
        size_by = "hub" if f.any_hubs else "exposure"
    return _assemble(
        ctx,
        "channel",
        term(TERMS, "channel_title", lang, name=name),
        kept,
        size_by=size_by,
        focus={c},
        key_persons=key_persons,
        label_set=label_set,
        subtitle=kind_text(b.kind(c), lang),
        notes=notes,
        stats=stats,
        key=str(channel_id),
    )


def ego_view(
    book: Book,
    node_id: str,
    hops: int = 1,
    results=None,
    *,
    lang: str = "zh",
    node_budget: int = DEFAULT_BUDGET,
    size_by: str = "exposure",
) -> View:
    """Everything within *hops* ties of a node (either direction), nearest and most important first."""
    ctx = _Context(book, results, lang)
    b = ctx.ix
    i = ctx.entity(node_id)
    hops = max(1, int(hops))
    reached = b.mask([i])
    frontier = reached.copy()
    order = [i]
    for _ in range(hops):
        frontier = b.neighbours(frontier) & ~reached
        reached |= frontier
        order.extend(ctx.f.by_priority(np.flatnonzero(frontier)).tolist())
        if len(order) > node_budget * 20:  # enough to fill the budget and count the rest
            break
    kept = order[: max(1, node_budget)]
    notes, stats = _left_out_note(ctx, kept, node_budget, order)
    name = ctx.name(i)
    title = term(TERMS, "ego_title", lang, name=name, hops=term(TERMS, "hops", lang, hops=hops))
    stats["hops"] = hops
    return _assemble(
        ctx,
        "ego",
        title,
        kept,
        size_by=size_by,
        focus={i},
        subtitle=kind_text(b.kind(i), lang),
        notes=notes,
        stats=stats,
        key=str(node_id),
    )


def _present(ctx: _Context, member_ids) -> np.ndarray:
    """Positions of the listed entities the book has, without repeats, in the list's order."""
    ids = list(dict.fromkeys(str(m) for m in member_ids))
    pos = ctx.ix.positions(ids) if ids else np.zeros(0, dtype=np.int64)
    return pos[pos >= 0]


def group_view(
    book: Book,
    member_ids,
    results=None,
    *,
    lang: str = "zh",
    group: GroupInfo | None = None,
    node_budget: int = DEFAULT_BUDGET,
) -> View:
    """A connected-client group: its members and every tie among them.

    *group* (from :func:`find_group`) gives the title, exposure and status; without
    it the members' group in *results* is used when there is one.
    """
    ctx = _Context(book, results, lang)
    members = _present(ctx, member_ids)
    if not len(members):
        raise KeyError("none of the group's members is in the data")
    if group is None:
        group = ctx.f.group(members[0])
    members = ctx.f.by_priority(members).tolist()
    kept = members[: max(1, node_budget)]
    notes, stats = _left_out_note(ctx, kept, node_budget, members)
    gid = group.group_id if group else ""
    status = status_text(group.status, lang) if group else ""
    title = term(TERMS, "group_title", lang, gid=gid, status=status) if group else term(TERMS, "view.group", lang)
    subtitle = ""
    if group is not None:
        subtitle = term(
            TERMS,
            "exposure_line",
            lang,
            amount=format_yuan_human(group.exposure_fen),
            share=share_text(group.share_of_tier1) or "—",
        )
    group_for = {m: group for m in kept} if group is not None else None
    stats.update(members=len(members))
    return _assemble(
        ctx, "group", title, kept, group_for=group_for, subtitle=subtitle, notes=notes, stats=stats, key=gid
    )


def pattern_view(
    book: Book,
    member_ids,
    results=None,
    *,
    lang: str = "zh",
    pattern: PatternInfo | None = None,
    node_budget: int = DEFAULT_BUDGET,
) -> View:
    """A guarantee pattern: its members, guarantee ties in front, other ties faded."""
    ctx = _Context(book, results, lang)
    members = _present(ctx, member_ids)
    if not len(members):
        raise KeyError("none of the pattern's members is in the data")
    members = ctx.f.by_priority(members).tolist()
    kept = members[: max(1, node_budget)]
    notes, stats = _left_out_note(ctx, kept, node_budget, members)
    kind = pattern_text(pattern.pattern, lang) if pattern and pattern.pattern else term(TERMS, "view.pattern", lang)
    title = term(TERMS, "pattern_title", lang, pattern=kind, n=len(members))
    subtitle = ""
    if pattern is not None and pattern.exposure_fen:
        subtitle = term(TERMS, "pattern_line", lang, amount=format_yuan_human(pattern.exposure_fen))
    stats.update(members=len(members))
    return _assemble(
        ctx,
        "pattern",
        title,
        kept,
        emphasise="GUARANTEES",
        subtitle=subtitle,
        notes=notes,
        stats=stats,
        key=pattern.pattern_id if pattern else "",
    )


def overview(book: Book, results=None, node_budget: int = DEFAULT_BUDGET, *, lang: str = "zh") -> View:
    """The whole book when it fits in *node_budget*; otherwise every channel plus the
    parties that matter most, and a note with the counts of what was left out."""
    ctx = _Context(book, results, lang)
    b = ctx.ix
    budget = max(1, int(node_budget))
    channels = np.flatnonzero(b.channel)
    channels = channels[np.lexsort((channels, -b.degree[channels]))]
    if len(channels) > budget // 4 and b.n_nodes > budget:
        channels = channels[: budget // 4]
    others = ctx.f.first_by_priority(np.flatnonzero(~b.channel), max(budget, 40))  # only these are shown
    kept = np.concatenate((channels, others))[:budget].tolist()
    notes, stats = _left_out_note(ctx, kept, budget)
    if stats["left_out_nodes"]:
        notes.append(term(TERMS, "kept_rule", lang))
    stats.update(total_nodes=b.n_nodes, total_edges=b.n_edges)
    label_set = set(channels.tolist()) | {i for i in kept if ctx.top_hub(i)} | set(others[:40].tolist())
    return _assemble(
        ctx,
        "overview",
        term(TERMS, "overview_title", lang),
        kept,
        label_set=label_set,
        notes=notes,
        stats=stats,
        subtitle=term(TERMS, "total", lang, nodes=f"{b.n_nodes:,}", edges=f"{b.n_edges:,}"),
    )


# --------------------------------------------------------------------------- finding things


def find_group(results, ident: str | None = None) -> GroupInfo | None:
    """A group of the risk results by its id, or the most severe group of an entity id; without
    *ident* the most severe group. None when there is none (or no risk results)."""
    table = results.groups if isinstance(results, Findings) else GroupTable(_risk(results))
    return table.first() if ident is None else table.find(str(ident))


def find_pattern(results, ident: str | None = None) -> PatternInfo | None:
    """A guarantee pattern of the risk results by id (or 1-based position), or the largest one
    containing an entity id; without *ident* the largest guarantee circle. None when there is none
    (or no risk results)."""
    table = results.patterns if isinstance(results, Findings) else PatternTable(_risk(results))
    return table.largest_circle() if ident is None else table.find(str(ident))


def top_hub(book: Book, results) -> str | None:
    """The best-ranked person or enterprise of the book in the marketing room's ``hubs`` table (None
    when marketing did not run or ranked none)."""
    ranked = findings_of(results, book).ranked_parties
    return ranked[0][1] if ranked else None
