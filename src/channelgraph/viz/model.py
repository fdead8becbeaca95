"""What a graph page shows: a :class:`View` of :class:`VNode` and :class:`VEdge` with a legend.

Built by :mod:`channelgraph.viz.views`, drawn by :mod:`channelgraph.viz.html`; neither
imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        return (
            f"View(kind={self.kind!r}, title={self.title!r}, nodes={len(self.nodes)}, edges={len(self.edges)}"
            + (f", left_out_nodes={left}" if left else "")
            + ")"
        )

    def _repr_html_(self) -> str:  # Jupyter: an interactive iframe
        from .html import notebook_html

        return notebook_html(self)
