"""Interactive, offline graph views (pyvis / vis-network) of a dataset and its analyses.

>>> from channelgraph.viz import overview, render_html        # doctest: +SKIP
>>> page = render_html(overview(dataset, results))            # doctest: +SKIP

Builders (pure): :func:`overview`, :func:`channel_view`, :func:`ego_view`,
:func:`group_view`, :func:`pattern_view` → :class:`View`. Each takes the book as a
validated dataset, a NetworkX graph or a :class:`Book` (make one with ``Book.of(dataset)``
and the results' :class:`Findings` once when drawing several views of a big book); no
whole-book graph is needed. Rendering:
:func:`render_html` → one self-contained HTML string (masked by default).
Writing: :func:`write_views` (the main views of a run into ``OUT/views/``),
:func:`write_html`. In Jupyter a :class:`View` displays itself inline.
"""

from .book import Book
from .html import notebook_html, render_html, write_html
from .mask import mask_text
from .results import Findings
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

__all__ = ["Book", "Findings", "View", "overview", "channel_view", "ego_view", "group_view", "pattern_view",
           "find_group", "find_pattern", "top_hub", "render_html", "write_html", "notebook_html", "write_views",
           "main_views", "mask_text", "DEFAULT_BUDGET"]
