"""What ``channelgraph viz`` does, as library functions (the CLI only parses options)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..graph import Book
from .html import write_html
from .mask import has_identifier
from .results import channel_order, findings_of
from .views import (
    DEFAULT_BUDGET,
    View,
    channel_view,
    ego_view,
    find_group,
    find_pattern,
    group_view,
    overview,
    pattern_view,
    top_hub,
)

VIEW_KINDS = ("overview", "channel", "ego", "group", "pattern")


#: What --id names for each view, as the messages about it say.
ID_OF_VIEW = {
    "channel": "a chamber, market or intermediary id",
    "ego": "an entity id",
    "group": "a group id or a member's id",
    "pattern": "a pattern id, its position 1, 2 … or a member's id",
}


class ViewNotFound(LookupError):
    """The --id names nothing the view can show."""


def check_ident(kind: str, ident: str | None) -> None:
    """Refuse an empty or blank *ident* for a view that looks one up (:class:`ViewNotFound`).

    It would otherwise read as "none given" and show the top one, or find nothing.
    """
    if kind in ID_OF_VIEW and ident is not None and not ident.strip():
        raise ViewNotFound(f"is empty: give {ID_OF_VIEW[kind]}, or leave --id out for the top one")


def build_view(
    book: Book,
    results: dict | None,
    kind: str,
    ident: str | None = None,
    *,
    hops: int = 1,
    lang: str = "zh",
    node_budget: int = DEFAULT_BUDGET,
) -> View:
    """The view *kind* of *ident*; without *ident* the top one (best channel, most severe group,
    largest guarantee circle, top hub).
    """
    if kind not in VIEW_KINDS:
        raise ValueError(f"unknown view {kind!r} (one of {', '.join(VIEW_KINDS)})")
    check_ident(kind, ident)
    found = findings_of(results, book)  # lined up with the book once
    index = found.index
    if kind == "overview":
        return overview(book, found, node_budget, lang=lang)
    if kind == "channel":
        if ident is None:
            order = channel_order(found)
            if not order:
                raise ViewNotFound("the data has no chamber, market or intermediary")
            ident = order[0]
        i = index.index_of(ident)
        if i < 0:
            raise ViewNotFound(f"no entity {ident!r} in the data")
        if not index.channel[i]:
            raise ViewNotFound(
                f"{ident!r} is a {index.kind(i)}, not a chamber, market or intermediary (use --view ego for any entity)"
            )
        return channel_view(book, ident, found, lang=lang, node_budget=node_budget)
    if kind == "ego":
        if ident is None:
            ident = top_hub(book, found)
            if ident is None:
                raise ViewNotFound("no person or enterprise is ranked as a hub: give --id")
        if ident not in index:
            raise ViewNotFound(f"no entity {ident!r} in the data")
        return ego_view(book, ident, hops, found, lang=lang, node_budget=node_budget)
    if kind == "group":
        group = find_group(found, ident)
        if group is None:
            raise ViewNotFound(
                f"no connected-client group {ident!r} (give {ID_OF_VIEW['group']})"
                if ident
                else "the data has no connected-client group"
                if found.has_risk
                else "no risk results given: groups come from channelgraph.risk"
            )
        return group_view(book, group.members, found, lang=lang, group=group, node_budget=node_budget)
    if kind == "pattern":
        pattern = find_pattern(found, ident)
        if pattern is None:
            raise ViewNotFound(
                f"no guarantee pattern {ident!r} (give {ID_OF_VIEW['pattern']})"
                if ident
                else "the data has no guarantee pattern"
                if found.has_risk
                else "no risk results given: patterns come from channelgraph.risk"
            )
        return pattern_view(book, pattern.members, found, lang=lang, pattern=pattern, node_budget=node_budget)
    raise ValueError(f"unknown view {kind!r} (one of {', '.join(VIEW_KINDS)})")


def view_filename(kind: str, ident: str | None) -> str:
    """``overview.html``, ``channel-top.html``, ``ego-P000001.html``; an id that is not a plain
    short token, or that looks like a personal identifier, becomes a hash."""
    if kind == "overview":
        return "overview.html"
    if ident is None:
        return f"{kind}-top.html"
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", ident) and not has_identifier(ident) and not ident.startswith("."):
        return f"{kind}-{ident}.html"
    return f"{kind}-{hashlib.sha256(ident.encode('utf-8')).hexdigest()[:12]}.html"


def write_view(
    book: Book,
    results: dict | None,
    kind: str,
    out_dir: str | Path,
    ident: str | None = None,
    *,
    hops: int = 1,
    lang: str = "zh",
    mask: bool = True,
    node_budget: int = DEFAULT_BUDGET,
) -> tuple[Path, View]:
    """Build one view and write it as ``out_dir/<kind>[-<id>].html``."""
    view = build_view(book, results, kind, ident, hops=hops, lang=lang, node_budget=node_budget)
    path = write_html(view, Path(out_dir) / view_filename(kind, ident), mask=mask)
    return path, view
