"""Interactive, offline graph views (pyvis / vis-network) of a book and its analyses.

>>> from channelgraph.viz import overview, render_html        # doctest: +SKIP
>>> page = render_html(overview(book, results))               # doctest: +SKIP

Builders (pure): :func:`overview`, :func:`channel_view`, :func:`ego_view`,
:func:`group_view`, :func:`pattern_view` → :class:`View`. Each takes the
:class:`channelgraph.graph.Book` and the results (make the results' :class:`Findings`
once with :func:`findings_of` when drawing several views of a big book); no whole-book
graph is needed. Rendering:
:func:`render_html` → one self-contained HTML string (masked by default).
Writing: :func:`write_views` (the main views of a run into ``OUT/views/``),
:func:`write_html`. In Jupyter a :class:`View` displays itself inline.
"""

from .html import notebook_html, render_html, write_html
from .mask import mask_text
from .results import Findings, findings_of
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
from .write import main_views, write_views

__all__ = [
    "Findings",
    "findings_of",
    "View",
    "overview",
    "channel_view",
    "ego_view",
    "group_view",
    "pattern_view",
    "find_group",
    "find_pattern",
    "top_hub",
    "render_html",
    "write_html",
    "notebook_html",
    "write_views",
    "main_views",
    "mask_text",
    "DEFAULT_BUDGET",
]
