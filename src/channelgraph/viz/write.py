"""Writing the main views of a run into ``OUT/views/``."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from collections.abc import Callable

from .._runtime import gc_paused
from ..graph import Book
from .html import write_html
from .mask import maybe_mask
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

#: How many of the best channels get their own page.
TOP_CHANNELS = 3


def main_views(
    book: Book, results: dict | None, *, lang: str = "zh", node_budget: int = DEFAULT_BUDGET
) -> list[tuple[str, View]]:
    """(file name, view) for the main views: the overview, the top channels, the most severe
    connected group, the largest guarantee circle and the top hub's ties.

    The results are lined up with the book once and shared by every view.
    File names are positions (``channel-1.html``), never the data's ids, which could be
    personal identifiers.
    """
    return [(name, make()) for name, make in page_plans(book, results, lang=lang, node_budget=node_budget)]


def page_plans(
    book: Book, results: dict | None, *, lang: str = "zh", node_budget: int = DEFAULT_BUDGET
) -> list[tuple[str, Callable[[], View]]]:
    """(file name, function that builds the view) for each page of :func:`main_views`.

    Which pages there are is decided here; each view is built only when its function is
    called, so that the pages can be built apart (:func:`write_views` shares them between
    this process and a forked one).
    """
    found = findings_of(results, book)
    out: list[tuple[str, Callable[[], View]]] = [
        ("overview.html", partial(overview, book, found, node_budget, lang=lang))
    ]
    for i, ch in enumerate(channel_order(found)[:TOP_CHANNELS], start=1):
        out.append((f"channel-{i}.html", partial(channel_view, book, ch, found, lang=lang, node_budget=node_budget)))
    group = find_group(found)
    if group is not None:
        out.append(
            (
                "group-1.html",
                partial(group_view, book, group.members, found, lang=lang, group=group, node_budget=node_budget),
            )
        )
    pattern = find_pattern(found)
    if pattern is not None:
        out.append(
            (
                "pattern-1.html",
                partial(
                    pattern_view, book, pattern.members, found, lang=lang, pattern=pattern, node_budget=node_budget
                ),
            )
        )
    hub = top_hub(book, found)
    if hub is not None:
        out.append(("ego-1.html", partial(ego_view, book, hub, 1, found, lang=lang, node_budget=node_budget)))
    return out


@gc_paused
def write_views(
    book: Book,
    results: dict | None,
    out_dir: str | Path,
    lang: str = "zh",
    mask: bool = True,
    node_budget: int = DEFAULT_BUDGET,
) -> list[Path]:
    """Write the main views into ``out_dir/views/`` plus ``views/index.json`` (file, kind, title, counts).

    Parameters
    ----------
    book : channelgraph.graph.Book
        The book (its validated tables give the tooltips' attributes).
    results : dict or None
        The analyses' results (``analyze`` gives risk's and marketing's; without risk results
        the pages show no group or pattern and say so).
    out_dir : str or Path
        The run's output folder.
    lang, mask, node_budget
        Language (``zh`` / ``en``), masking of identifiers, most nodes per page.

    Returns
    -------
    list of Path
        The written paths, the HTML pages first, ``index.json`` last.
    """
    folder = Path(out_dir) / "views"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    index = []
    plans = page_plans(book, results, lang=lang, node_budget=node_budget)

    def write_pages(positions: list[int]) -> list[tuple[int, Path, dict]]:
        done = []
        for i in positions:
            name, make = plans[i]
            view = make()
            done.append(
                (
                    i,
                    write_html(view, folder / name, mask=mask),
                    {
                        "file": name,
                        "kind": view.kind,
                        "title": maybe_mask(view.title, mask),
                        "nodes": len(view.nodes),
                        "edges": len(view.edges),
                        "left_out_nodes": view.stats.get("left_out_nodes", 0),
                    },
                )
            )
        return done

    for _, path, entry in write_pages(list(range(len(plans)))):
        files.append(path)
        index.append(entry)
    idx = folder / "index.json"
    idx.write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    files.append(idx)
    return files
