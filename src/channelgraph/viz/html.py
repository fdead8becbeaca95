"""One self-contained, offline and safe HTML page per view.

The nodes, edges and vis-network options have the shape pyvis gives them
(``Network.add_node`` / ``add_edge``), and pyvis ships vis-network itself; the page
is our own template, because pyvis 0.3.2's links Bootstrap from a CDN even with
``cdn_resources="in_line"`` and assigns node titles with ``innerHTML``. Here:

* every script and style is inline (vis-network is read from the installed pyvis
  package); a strict Content-Security-Policy forbids any request, so even a mistake
  cannot fetch anything;
* the data travel as JSON inside ``<script type="application/json">`` with ``<``,
  ``>``, ``&``, U+2028 and U+2029 escaped, so no value can close the script;
* tooltips are built as DOM nodes with ``textContent``; labels are drawn on the
  canvas; the header, legend and notes are Jinja2-autoescaped: a name such as
  ``<img src=x onerror=alert(1)>`` is shown as text and runs nothing;
* ID-card and phone numbers in any value are masked unless ``mask=False``, and control
  characters other than line breaks and tabs are shown as symbols (␇) and bidirectional
  overrides as U+FFFD;
* node ids on the page are positions (0, 1, 2 …), never the data's ids;
* the same view gives the same bytes.
"""

from __future__ import annotations

import html as _html
import json
from functools import lru_cache
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from .mask import maybe_mask, visible
from .style import faded
from ..terms import term
from .text import TERMS

if TYPE_CHECKING:  # annotations only: model.View draws itself in Jupyter through this module
    from .model import View

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
FONT_STACK = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
    "'WenQuanYi Micro Hei', sans-serif"
)
#: Above this many edges, edges are hidden while dragging or zooming (keeps big views fluid).
HIDE_EDGES_ON_DRAG = 1500

#: How every page of channelgraph starts (the graph pages and the reports): a strict
#: Content-Security-Policy, no referrer, the title; the page's own CSS follows. Rendered with
#: :func:`head_values` and ``title``.
PAGE_HEAD = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
"""


def head_values(lang: str) -> dict:
    """The values :data:`PAGE_HEAD` needs besides ``title``, and the font stack as ``font``."""
    return {"lang": "zh-CN" if lang == "zh" else "en", "csp": Markup(CSP), "font": Markup(FONT_STACK)}


@lru_cache(maxsize=1)
def vis_network_js() -> str:
    """vis-network's minified script, as bundled with the installed pyvis (found, not imported:
    importing pyvis loads IPython)."""
    from importlib.util import find_spec

    spec = find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyvis is not installed (it ships vis-network)")
    path = Path(next(iter(spec.submodule_search_locations))) / "lib" / "vis-9.1.2" / "vis-network.min.js"
    js = path.read_text(encoding="utf-8")
    # it cannot end our <script> element early
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _compact_json(obj) -> str:
    """``obj`` as compact JSON text (no spaces, non-ASCII kept, no NaN)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _script_safe(s: str) -> str:
    """JSON text made safe inside a ``<script>`` element (no ``</script>``, no line separators)."""
    return (
        s.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def script_json(obj) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no line separators)."""
    return _script_safe(_compact_json(obj))


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _masker(mask: bool):
    """``maybe_mask`` with a memo: a page repeats the same row labels and values thousands of times."""
    texts: dict = {}  # str → masked str (the usual case)
    others: dict = {}  # (type, value) → masked str

    def m(v) -> str:
        if type(v) is str:
            out = texts.get(v)
            if out is None:
                out = texts[v] = maybe_mask(visible(v, keep_breaks=True), mask)
            return out
        if v is None:
            return ""
        try:
            key = (type(v), v)
            out = others.get(key)
            if out is None:
                out = others[key] = maybe_mask(visible(v, keep_breaks=True), mask)
            return out
        except TypeError:  # unhashable: not memoised
            return maybe_mask(visible(v, keep_breaks=True), mask)

    return m


def network_data(view: View, mask: bool = True) -> dict:
    """The nodes, edges and options handed to vis-network.

    Node and edge objects have the fields, in the order, that pyvis's
    ``Network.add_node`` / ``add_edge`` give them; they are made here directly because
    pyvis checks every new node and edge against all the earlier ones (quadratic for a
    2,000-node view).
    """
    m = _masker(mask)
    index = {}
    nodes = []
    for i, v in enumerate(view.nodes):
        index[v.id] = i
        nodes.append(
            {
                "color": {
                    "background": v.color,
                    "border": v.border,
                    "highlight": {"background": v.color, "border": "#000000"},
                    "hover": {"background": v.color, "border": "#000000"},
                },
                "size": v.size,
                "x": v.x,
                "y": v.y,
                "borderWidth": v.border_width,
                "borderWidthSelected": v.border_width + 2,
                "font": {"size": v.font_size},
                "tip": {"h": m(v.name), "r": [[k, m(x)] for k, x in v.rows]},
                "s": (m(v.name) + " " + m(v.id)).lower(),
                "id": i,
                "label": m(v.label),  # drawn on the canvas; '' for an unlabelled node
                "shape": v.shape,
            }
        )
    edges = []
    for e in view.edges:
        opts = {
            "color": {
                "color": e.color,
                "highlight": "#000000",
                "hover": e.color if e.faint else "#000000",
                "inherit": False,
            },
            "width": e.width,
            "dashes": e.dashes,
            "arrows": {"to": {"enabled": bool(e.arrow), "scaleFactor": 0.6 if e.width < 1.5 else 0.9}},
            "tip": {"h": "", "r": [[k, m(x)] for k, x in e.rows]},
        }
        if e.label:
            opts["label"] = m(e.label)
            opts["font"] = {
                "color": faded("#d62728", 0.4) if e.faint else e.color if e.type == "GUARANTEES" else "#333333"
            }
        if e.roundness:
            opts["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": e.roundness}
        opts["from"] = index[e.src]
        opts["to"] = index[e.dst]
        edges.append(opts)
    return {"nodes": nodes, "edges": edges, "options": _options(view)}


def _options(view: View) -> dict:
    """vis-network's options for *view* (physics off: the nodes are placed already)."""
    many = len(view.edges) > HIDE_EDGES_ON_DRAG
    return {
        "autoResize": True,
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False, "randomSeed": 1},
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": many,
            "hideEdgesOnZoom": many,
            "navigationButtons": False,
            "keyboard": False,
            "multiselect": False,
        },
        "nodes": {
            "font": {"face": FONT_STACK, "size": 14, "strokeWidth": 3, "strokeColor": "#ffffff"},
            "scaling": {"label": {"drawThreshold": 5}},
        },
        "edges": {
            "smooth": {"enabled": False},
            "selectionWidth": 1.5,
            "hoverWidth": 0.5,
            "font": {"face": FONT_STACK, "size": 11, "strokeWidth": 3, "strokeColor": "#ffffff", "align": "middle"},
        },
    }


class _JsonText:
    """Compact JSON text of a view's values, as :func:`_compact_json` writes them, with a memo:
    a page repeats the same colours, row labels and values thousands of times."""

    def __init__(self, mask: bool):
        self.m = _masker(mask)
        self._texts: dict[str, str] = {}  # str → its JSON
        self._masked: dict[str, str] = {}  # str → the JSON of its masked text

    def text(self, v) -> str:
        """The JSON of *v* as it is (a str or any JSON value)."""
        if type(v) is str:
            out = self._texts.get(v)
            if out is None:
                out = self._texts[v] = _encode_str(v)
            return out
        return _compact_json(v)

    def masked(self, v) -> str:
        """The JSON of *v*'s masked text (``_masker``)."""
        if type(v) is str:
            out = self._masked.get(v)
            if out is None:
                out = self._masked[v] = _encode_str(self.m(v))
            return out
        return _encode_str(self.m(v))

    def rows(self, rows) -> str:
        """Tooltip rows ``[[label, masked value], …]``."""
        texts, masks = self._texts, self._masked
        out = []
        for k, x in rows:  # the memos inline: a page has a hundred thousand rows
            kj = texts.get(k) if type(k) is str else None
            xj = masks.get(x) if type(x) is str else None
            out.append(f"[{self.text(k) if kj is None else kj},{self.masked(x) if xj is None else xj}]")
        return "[" + ",".join(out) + "]"


def _number(v) -> str:
    """The JSON of a number (any other value as :func:`_compact_json` writes it)."""
    t = type(v)
    if t is float and v - v == 0.0:  # finite
        return float.__repr__(v)
    if t is int:
        return int.__repr__(v)
    return _compact_json(v)


def _flag(v) -> str:
    """The JSON of ``bool(v)``."""
    return "true" if v else "false"


def _network_json(view: View, mask: bool, text: dict) -> str:
    """``_compact_json(network_data(view, mask) | {"text": text})``, made as text directly
    (the same bytes, without the thousands of small dicts)."""
    j = _JsonText(mask)
    enc, masked, num = j.text, j.masked, _number
    index = {}
    nodes = []
    for i, v in enumerate(view.nodes):
        index[v.id] = i
        colour, border = enc(v.color), enc(v.border)
        nodes.append(
            f'{{"color":{{"background":{colour},"border":{border},'
            f'"highlight":{{"background":{colour},"border":"#000000"}},'
            f'"hover":{{"background":{colour},"border":"#000000"}}}},'
            f'"size":{num(v.size)},"x":{num(v.x)},"y":{num(v.y)},'
            f'"borderWidth":{num(v.border_width)},"borderWidthSelected":{num(v.border_width + 2)},'
            f'"font":{{"size":{num(v.font_size)}}},'
            f'"tip":{{"h":{masked(v.name)},"r":{j.rows(v.rows)}}},'
            f'"s":{_encode_str((j.m(v.name) + " " + j.m(v.id)).lower())},'
            f'"id":{i},"label":{masked(v.label)},"shape":{enc(v.shape)}}}'
        )
    edges = []
    guarantee_font, black, grey = enc(faded("#d62728", 0.4)), enc("#000000"), enc("#333333")
    for e in view.edges:
        colour = enc(e.color)
        dashes = _flag(e.dashes) if type(e.dashes) is bool else _compact_json(e.dashes)
        out = (
            f'{{"color":{{"color":{colour},"highlight":"#000000",'
            f'"hover":{colour if e.faint else black},"inherit":false}},'
            f'"width":{num(e.width)},"dashes":{dashes},'
            f'"arrows":{{"to":{{"enabled":{_flag(e.arrow)},"scaleFactor":{"0.6" if e.width < 1.5 else "0.9"}}}}},'
            f'"tip":{{"h":"","r":{j.rows(e.rows)}}}'
        )
        if e.label:
            font = guarantee_font if e.faint else colour if e.type == "GUARANTEES" else grey
            out += f',"label":{masked(e.label)},"font":{{"color":{font}}}'
        if e.roundness:
            out += f',"smooth":{{"enabled":true,"type":"curvedCW","roundness":{num(e.roundness)}}}'
        edges.append(f'{out},"from":{index[e.src]},"to":{index[e.dst]}}}')
    return (
        f'{{"nodes":[{",".join(nodes)}],"edges":[{",".join(edges)}],'
        f'"options":{_compact_json(_options(view))},"text":{_compact_json(text)}}}'
    )


@lru_cache(maxsize=1)
def _page_template() -> jinja2.Template:
    return _env().from_string(_TEMPLATE)


def render_html(view: View, title: str | None = None, mask: bool = True, lang: str | None = None) -> str:
    """The view as ONE self-contained HTML page (a string)."""
    lang = lang or view.lang
    m = _masker(mask)
    title = m(title or view.title)
    counts = term(TERMS, "counts", lang, nodes=f"{len(view.nodes):,}", edges=f"{len(view.edges):,}")
    notes = [m(n) for n in view.notes]
    notes.append(term(TERMS, "masked" if mask else "unmasked", lang))
    notes.append(term(TERMS, "help", lang))
    page = _page_template().render(
        **head_values(lang),
        title=title,
        subtitle=m(view.subtitle),
        counts=counts,
        legend=[_legend_svg(item) | {"text": m(item.text)} for item in view.legend],
        legend_title=term(TERMS, "legend", lang),
        notes_title=term(TERMS, "notes", lang),
        notes=notes,
        warn=not mask,
        search=term(TERMS, "search", lang),
        find=term(TERMS, "find", lang),
        fit=term(TERMS, "fit", lang),
        warn_text=term(TERMS, "unmasked", lang),
        data=Markup(_script_safe(_network_json(view, mask, {"notFound": term(TERMS, "not_found", lang)}))),
        vis_js=Markup(vis_network_js()),
        app_js=Markup(_APP_JS),
    )
    return page


def _legend_svg(item) -> dict:
    """Shape, colour and dash of a legend swatch (drawn as inline SVG by the template)."""
    return {
        "shape": item.shape,
        "color": item.color or "#ffffff",
        "border": item.border or "#555555",
        "dashes": item.dashes,
    }


def write_html(view: View, path: str | Path, *, title: str | None = None, mask: bool = True) -> Path:
    """Render *view* and write it to *path* (UTF-8); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(view, title=title, mask=mask), encoding="utf-8", newline="\n")
    return path


def notebook_html(view: View, mask: bool = True, height: int = 640) -> str:
    """An ``<iframe srcdoc=…>`` showing the page inline in Jupyter (scripts sandboxed)."""
    page = render_html(view, mask=mask)
    return (
        f'<iframe sandbox="allow-scripts" style="width:100%;height:{int(height)}px;border:1px solid #ddd" '
        f'srcdoc="{_html.escape(page, quote=True)}"></iframe>'
    )


_TEMPLATE = (
    PAGE_HEAD
    + """html, body { margin: 0; height: 100%; font-family: {{ font }}; color: #222; background: #fff; }
body { display: flex; flex-direction: column; }
header { padding: 8px 14px; border-bottom: 1px solid #e3e3e3; display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
header .sub { color: #555; font-size: 13px; }
header .find { margin-left: auto; font-size: 13px; }
header input { font: inherit; padding: 2px 6px; width: 14em; }
header button { font: inherit; padding: 2px 8px; cursor: pointer; }
#msg { color: #b00; margin-left: 6px; }
.warn { background: #fff3cd; color: #7a5200; padding: 4px 14px; font-size: 13px; border-bottom: 1px solid #f0d98c; }
main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 1; min-width: 0; position: relative; }
aside { width: 300px; overflow: auto; border-left: 1px solid #e3e3e3; padding: 6px 12px; font-size: 13px; }
aside h2 { font-size: 14px; margin: 8px 0 4px; }
aside ul { list-style: none; padding: 0; margin: 0; }
aside li { margin: 3px 0; display: flex; align-items: center; gap: 6px; }
aside .notes li { display: list-item; list-style: disc; margin-left: 16px; color: #444; }
aside svg { flex: none; }
div.vis-tooltip { position: absolute; visibility: hidden; padding: 6px 8px; white-space: nowrap; background: #fffef6;
  border: 1px solid #999; border-radius: 4px; box-shadow: 2px 2px 8px rgba(0,0,0,.2); font-size: 12px; color: #111;
  pointer-events: none; z-index: 5; font-family: {{ font }}; }
.tip-h { font-weight: 600; font-size: 13px; margin-bottom: 3px; }
.tip table { border-collapse: collapse; }
.tip th { text-align: left; font-weight: normal; color: #666; padding: 0 10px 0 0; vertical-align: top; }
.tip td { padding: 0; }
@media print { aside { width: 220px; } header .find { display: none; } }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<span class="sub">{% if subtitle %}{{ subtitle }} · {% endif %}{{ counts }}</span>
<span class="find"><input id="q" type="search" placeholder="{{ search }}" aria-label="{{ search }}"> <button id="go" type="button">{{ find }}</button> <button id="fit" type="button">{{ fit }}</button><span id="msg"></span></span>
</header>
{% if warn %}
<div class="warn">{{ warn_text }}</div>
{% endif %}
<main>
<div id="graph" aria-label="{{ title }}"></div>
<aside>
<h2>{{ legend_title }}</h2>
<ul class="legend">
{% for item in legend %}
<li>{% if item.shape == "line" %}<svg width="28" height="12" aria-hidden="true"><line x1="1" y1="6" x2="27" y2="6" stroke="{{ item.color }}" stroke-width="2.5"{% if item.dashes %} stroke-dasharray="5 3"{% endif %}/></svg>{% elif item.shape == "dot" %}<svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="6" fill="{{ item.color }}" stroke="{{ item.border }}" stroke-width="2"/></svg>{% elif item.shape == "square" %}<svg width="16" height="16" aria-hidden="true"><rect x="2" y="2" width="12" height="12" fill="{{ item.color }}" stroke="{{ item.border }}"/></svg>{% elif item.shape == "hexagon" %}<svg width="16" height="16" aria-hidden="true"><polygon points="8,1 14,4.5 14,11.5 8,15 2,11.5 2,4.5" fill="{{ item.color }}" stroke="{{ item.border }}"/></svg>{% elif item.shape == "diamond" %}<svg width="16" height="16" aria-hidden="true"><polygon points="8,1 15,8 8,15 1,8" fill="{{ item.color }}" stroke="{{ item.border }}"/></svg>{% elif item.shape == "triangle" %}<svg width="16" height="16" aria-hidden="true"><polygon points="8,1 15,14 1,14" fill="{{ item.color }}" stroke="{{ item.border }}"/></svg>{% endif %}<span>{{ item.text }}</span></li>
{% endfor %}
</ul>
<h2>{{ notes_title }}</h2>
<ul class="notes">
{% for note in notes %}
<li>{{ note }}</li>
{% endfor %}
</ul>
</aside>
</main>
<script id="cg-data" type="application/json">{{ data }}</script>
<script>{{ vis_js }}</script>
<script>{{ app_js }}</script>
</body>
</html>
"""
)

# The page's own script: builds tooltips as DOM text, draws the network, search and focus.
_APP_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cg-data").textContent);
  function tip(t) {
    var box = document.createElement("div");
    box.className = "tip";
    if (t.h) {
      var h = document.createElement("div");
      h.className = "tip-h";
      h.textContent = t.h;
      box.appendChild(h);
    }
    var table = document.createElement("table");
    for (var i = 0; i < t.r.length; i++) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.textContent = t.r[i][0];
      var td = document.createElement("td");
      td.textContent = t.r[i][1];
      tr.appendChild(th);
      tr.appendChild(td);
      table.appendChild(tr);
    }
    box.appendChild(table);
    return box;
  }
  var search = {};
  var nodeList = data.nodes.map(function (n) {
    var o = {};
    for (var k in n) { if (k !== "tip" && k !== "s") { o[k] = n[k]; } }
    o.title = tip(n.tip);
    search[n.id] = n.s;
    return o;
  });
  var edgeList = data.edges.map(function (e, i) {
    var o = { id: i };
    for (var k in e) { if (k !== "tip") { o[k] = e[k]; } }
    o.title = tip(e.tip);
    return o;
  });
  var nodes = new vis.DataSet(nodeList);
  var edges = new vis.DataSet(edgeList);
  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  window.cgNetwork = network;
  network.once("afterDrawing", function () {
    document.documentElement.setAttribute("data-cg-ready", "1");
  });
  network.fit({ animation: false });

  var dimmed = false;
  function dim(id) {
    var keep = {};
    keep[id] = true;
    network.getConnectedNodes(id).forEach(function (n) { keep[n] = true; });
    nodes.update(nodeList.map(function (n) { return { id: n.id, opacity: keep[n.id] ? 1 : 0.15 }; }));
    dimmed = true;
  }
  function undim() {
    if (!dimmed) { return; }
    nodes.update(nodeList.map(function (n) { return { id: n.id, opacity: 1 }; }));
    dimmed = false;
  }
  network.on("click", function (p) {
    if (p.nodes.length) { dim(p.nodes[0]); } else { undim(); }
  });
  var q = document.getElementById("q");
  var msg = document.getElementById("msg");
  function find() {
    var s = q.value.trim().toLowerCase();
    msg.textContent = "";
    if (!s) { return; }
    for (var i = 0; i < nodeList.length; i++) {
      var id = nodeList[i].id;
      if (search[id].indexOf(s) >= 0) {
        network.selectNodes([id]);
        network.focus(id, { scale: 1.2, animation: false });
        dim(id);
        return;
      }
    }
    msg.textContent = data.text.notFound;
  }
  document.getElementById("go").addEventListener("click", find);
  q.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { find(); } });
  document.getElementById("fit").addEventListener("click", function () {
    undim();
    network.unselectAll();
    network.fit({ animation: false });
  });
})();
"""
