"""Colours, shapes and sizes: one fixed visual vocabulary for every view.

Kind → colour and shape (channels are large hexagons, diamonds and triangles);
size → outstanding or hub score; group status → border; relation type → edge colour,
dash and arrow. Guarantee edges are red arrows from guarantor to borrower whose width
grows with the amount.
"""

from __future__ import annotations

KIND_STYLE = {
    # kind: (colour, shape)
    "person": ("#4e79a7", "dot"),
    "enterprise": ("#59a14f", "square"),
    "chamber": ("#f28e2b", "hexagon"),
    "market": ("#b07aa1", "diamond"),
    "intermediary": ("#9c755f", "triangle"),
}
DEFAULT_KIND_STYLE = ("#9d9d9d", "dot")

EDGE_STYLE = {
    # type: colour, width, dashes, arrow, faint
    "GUARANTEES": {"color": "#d62728", "width": 2.0, "dashes": False, "arrow": True},
    "CONTROLS": {"color": "#3b3b3b", "width": 2.0, "dashes": False, "arrow": True},
    "REFERRED": {"color": "#1f77b4", "width": 1.3, "dashes": [6, 4], "arrow": True},
    "SUPPLIES": {"color": "#2ca02c", "width": 1.3, "dashes": False, "arrow": True},
    "FAMILY": {"color": "#e377c2", "width": 1.3, "dashes": [2, 4], "arrow": False},
    "SHARES_REPAYMENT_SOURCE": {"color": "#ff7f0e", "width": 1.3, "dashes": [8, 3, 2, 3], "arrow": False},
    "MEMBER_OF": {"color": "#c2c2c2", "width": 0.8, "dashes": False, "arrow": True},
    "TRADES_IN": {"color": "#c2c2c2", "width": 0.8, "dashes": False, "arrow": True},
    "SOURCED_VIA": {"color": "#c2c2c2", "width": 0.8, "dashes": [3, 3], "arrow": True},
    "EMPLOYS": {"color": "#d0d0d0", "width": 0.8, "dashes": [2, 3], "arrow": True},
}
DEFAULT_EDGE_STYLE = {"color": "#bbbbbb", "width": 1.0, "dashes": False, "arrow": True}

#: Legend order of relation types.
EDGE_ORDER = (
    "GUARANTEES",
    "CONTROLS",
    "REFERRED",
    "SUPPLIES",
    "FAMILY",
    "SHARES_REPAYMENT_SOURCE",
    "MEMBER_OF",
    "TRADES_IN",
    "SOURCED_VIA",
    "EMPLOYS",
)
KIND_ORDER = ("person", "enterprise", "chamber", "market", "intermediary")

BREACH_BORDER = "#e00000"
LARGE_BORDER = "#ff9900"
HUB_BORDER = "#17becf"
FOCUS_BORDER = "#111111"

CHANNEL_SIZE = 30.0
MIN_SIZE = 8.0
MAX_SIZE = 40.0


def kind_style(kind: str) -> tuple[str, str]:
    return KIND_STYLE.get(kind, DEFAULT_KIND_STYLE)


def edge_style(rtype: str) -> dict:
    return EDGE_STYLE.get(rtype, DEFAULT_EDGE_STYLE)


def scaled_size(value: float, top: float) -> float:
    """Node size from a value and the largest value in the view (area grows with the value)."""
    if not top or value <= 0:
        return MIN_SIZE
    return round(MIN_SIZE + 4 + (MAX_SIZE - MIN_SIZE - 4) * (value / top) ** 0.5, 1)


def guarantee_width(amount: int, top: int) -> float:
    if not top or amount <= 0:
        return 1.5
    return round(1.5 + 5.5 * (amount / top) ** 0.5, 2)


def faded(color: str, alpha: float = 0.25) -> str:
    """A ``#rrggbb`` colour as ``rgba(…, alpha)``."""
    r, g, b = int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
    return f"rgba({r},{g},{b},{alpha})"
