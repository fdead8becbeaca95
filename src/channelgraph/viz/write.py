"""Writing the main views of a run into ``OUT/views/``."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from .html import write_html
from .results import channel_order
from .views import DEFAULT_BUDGET, View, channel_view, ego_view, find_group, find_pattern, group_view, overview, \
    pattern_view, top_hub
from .mask import maybe_mask

#: How many of the best channels get their own page.
TOP_CHANNELS = 3


def main_views(graph: nx.MultiDiGraph, results: dict | None, *, lang: str = "zh", policy=None,
               node_budget: int = DEFAULT_BUDGET) -> list[tuple[str, View]]:
    """(file name, view) for the main views: the overview, the top channels, the most severe
    connected group, the largest guarantee circle and the top hub's ties.

    File names are positions (``channel-1.html``), never the data's ids, which could be
    personal identifiers.
    """
    out: list[tuple[str, View]] = [("overview.html", overview(graph, results, node_budget, lang=lang))]
    for i, ch in enumerate(channel_order(results, graph)[:TOP_CHANNELS], start=1):
        out.append((f"channel-{i}.html", channel_view(graph, ch, results, lang=lang, node_budget=node_budget)))
    group = find_group(graph, results, policy=policy)
    if group is not None:
        out.append(("group-1.html", group_view(graph, group.members, results, lang=lang, group=group,
                                               node_budget=node_budget)))
    pattern = find_pattern(graph, results)
    if pattern is not None:
        out.append(("pattern-1.html", pattern_view(graph, pattern.members, results, lang=lang, pattern=pattern,
                                                   node_budget=node_budget)))
    hub = top_hub(graph, results)
    if hub is not None:
        out.append(("ego-1.html", ego_view(graph, hub, 1, results, lang=lang, node_budget=node_budget)))
    return out


def write_views(graph: nx.MultiDiGraph, dataset, results: dict | None, out_dir: str | Path, lang: str = "zh",
                mask: bool = True, node_budget: int = DEFAULT_BUDGET) -> list[Path]:
    """Write the main views into ``out_dir/views/`` plus ``views/index.json`` (file, kind, title, counts).

    Returns the written paths, the HTML pages first. *dataset* supplies the policy
    used when groups must be computed here (no risk results).
    """
    folder = Path(out_dir) / "views"
    folder.mkdir(parents=True, exist_ok=True)
    policy = getattr(dataset, "policy", None)
    files: list[Path] = []
    index = []
    for name, view in main_views(graph, results, lang=lang, policy=policy, node_budget=node_budget):
        files.append(write_html(view, folder / name, mask=mask))
        index.append({"file": name, "kind": view.kind, "title": maybe_mask(view.title, mask),
                      "nodes": len(view.nodes), "edges": len(view.edges),
                      "left_out_nodes": view.stats.get("left_out_nodes", 0)})
    idx = folder / "index.json"
    idx.write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    files.append(idx)
    return files
