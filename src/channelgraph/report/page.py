"""report.md as one self-contained HTML page (also the caps room's committee report).

Kept apart from :mod:`channelgraph.report.build` (which reads the registry of analyses) so that a
room can render its own report page without importing the orchestration.
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from ..terms import term
from ..viz.html import PAGE_HEAD, head_values
from .markdown import markdown_to_html

_PAGE_TERMS = {
    "title": ("channelgraph 分析报告", "channelgraph analysis report"),
    "contents": ("目录", "Contents"),
}


def report_html(markdown: str, lang: str = "zh", title: str | None = None) -> str:
    """report.md as one self-contained HTML page (inline CSS, no script, no request)."""
    body = markdown_to_html(markdown)
    toc = list(_h2(body))
    # the table of contents goes after the title and its first paragraph
    cut = body.find("</p>", body.find("</h1>")) if "</h1>" in body else -1
    cut = cut + len("</p>") if cut >= 0 else 0
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_PAGE).render(
        **head_values(lang),
        title=title or term(_PAGE_TERMS, "title", lang),
        head=Markup(body[:cut]),
        body=Markup(body[cut:]),
        toc=toc,
        contents=term(_PAGE_TERMS, "contents", lang),
    )


def _h2(body: str):
    import html as _html
    import re

    for m in re.finditer(r'<h2 id="([^"]+)">(.*?)</h2>', body):
        yield _html.unescape(m.group(1)), _html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))


_PAGE = (
    PAGE_HEAD
    + """body { font-family: {{ font }}; color: #222; margin: 0; background: #fafafa; line-height: 1.55; }
.page { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 8px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e5e5e5; }
h3 { font-size: 16px; margin: 22px 0 8px; }
p, li { font-size: 14px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; display: block; overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; white-space: nowrap; }
td.right, th.right { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.center, th.center { text-align: center; }
tbody tr:nth-child(even) { background: #fbfbfb; }
code { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 12px; background: #f1f1f1; padding: 1px 4px; border-radius: 3px; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; }
blockquote { border-left: 4px solid #ddd; margin: 8px 0; padding: 2px 12px; color: #555; }
a { color: #0b5cad; }
nav.toc { font-size: 13px; background: #f6f8fa; border: 1px solid #e3e3e3; padding: 8px 14px; margin: 12px 0; }
nav.toc ul { margin: 4px 0; padding-left: 18px; columns: 2; }
hr { border: 0; border-top: 1px solid #ddd; margin: 28px 0 10px; }
@media print { body { background: #fff; } .page { padding: 0; } nav.toc { display: none; } a { color: #000; } }
</style>
</head>
<body>
<div class="page">
{{ head }}
{% if toc %}
<nav class="toc"><strong>{{ contents }}</strong>
<ul>
{% for ident, text in toc %}
<li><a href="#{{ ident }}">{{ text }}</a></li>
{% endfor %}
</ul>
</nav>
{% endif %}
{{ body }}
</div>
</body>
</html>
"""
)
