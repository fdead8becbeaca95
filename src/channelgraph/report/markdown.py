"""A small, safe Markdown → HTML converter for the subset the report uses.

Data enter Markdown through :func:`md` only: it masks identifiers (unless the report
is written under ``masking(False)``), shows control characters as visible symbols,
turns line breaks into spaces and backslash-escapes every character CommonMark or GFM
would read as markup — links and images, headings, lists, quotes, emphasis, code,
raw HTML and entities, table bars, strikethrough, autolinks (``<…>``, ``http://…``,
``www.…``, e-mail). Markdown we write ourselves is an :class:`Md`; :func:`md` passes it
through, so a table cell or a line is data (escaped) unless marked as ours.

>>> print(md("[点我](evil.html) # **x** <b>"))
\\[点我\\](evil.html) \\# \\*\\*x\\*\\* \\<b\\>
>>> markdown_to_html(md("[点我](evil.html) 13812345678"))
'<p>[点我](evil.html) 138****5678</p>'

Block elements: ATX headings (``#`` … ``######``), paragraphs, bullet lists (``-``,
``*``, ``+``), numbered lists (``1.``), pipe tables (with ``\\|`` for a literal bar and
an optional alignment row), fenced code blocks, block quotes (``>``) and rules
(``---``). Inline: backslash escapes of ASCII punctuation, code spans, ``**bold**``, ``*italic*``,
``[text](link)``.

Safety: every piece of text is HTML-escaped *before* any markup is added, so raw
HTML in the input is shown as text, never interpreted. Links are kept only when they
are relative (``views/overview.html``, ``#summary``); anything with a scheme
(``javascript:``, ``http:``, ``data:`` …) or starting with ``//`` is shown as plain
text — the report never makes a request nor sends the reader elsewhere.

>>> markdown_to_html("# Title\\n\\nSome *text* <b>raw</b>.")
'<h1 id="title">Title</h1>\\n<p>Some <em>text</em> &lt;b&gt;raw&lt;/b&gt;.</p>'
>>> markdown_to_html("[x](javascript:alert(1))")
'<p>[x](javascript:alert(1))</p>'
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd

from ..model import format_wan, format_yuan_human
from ..viz.mask import INVISIBLE, VISIBLE, mask_text, visible

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBER = re.compile(r"^(\s*)\d{1,9}[.)]\s+(.*)$")
_RULE = re.compile(r"^\s*(?:-\s*){3,}$|^\s*(?:\*\s*){3,}$|^\s*(?:_\s*){3,}$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
#: A backslash escape of ASCII punctuation (group 1), or a code span (its backticks, its text).
_ESCAPE_OR_CODE = re.compile(r"\\([!-/:-@\[-`{-~])|(`+)(.+?)\2")
_SAFE_LINK = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!//)(?!\\\\)[^\s\"'<>`]*$")


# ----------------------------------------------------------------------------- data into Markdown


class Md(str):
    """Markdown we wrote ourselves (not data): :func:`md` passes it through unchanged."""

    __slots__ = ()


_MASK: ContextVar[bool] = ContextVar("channelgraph_report_mask", default=True)


@contextmanager
def masking(mask: bool):
    """Within the block, :func:`md` masks identifiers when *mask* (the default outside: masked)."""
    token = _MASK.set(bool(mask))
    try:
        yield
    finally:
        _MASK.reset(token)


#: What markdown_to_html shows of control characters in its input (line breaks and tabs kept).
_SHOWN = {k: v for k, v in VISIBLE.items() if k not in (0x09, 0x0A, 0x0D)}

_MD_ALWAYS = re.compile(r"([\\`*_\[\]<>&|~#$@])")
_MD_LEAD = re.compile(r"^([-+=])|^(\d{1,9})([.)])(?=\s|$)")
_MD_AUTOLINK = re.compile(r"(?i):(?=//)|(?<![\w.])(www)\.")


def md(value, *, mask: bool | None = None) -> Md:
    """*value* (data) as Markdown text that reads as itself: masked (unless *mask* is false or
    the report is written under ``masking(False)``), one line, every markup character escaped.
    An :class:`Md` (our own Markdown) is returned unchanged; None is empty."""
    if isinstance(value, Md):
        return value
    s = visible(value).strip()
    if mask if mask is not None else _MASK.get():
        s = mask_text(s)
    s = _MD_ALWAYS.sub(r"\\\1", s)
    s = _MD_AUTOLINK.sub(lambda m: m.group(1) + "\\." if m.group(1) else "\\:", s)
    s = _MD_LEAD.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), s)
    return Md(s)


def md_join(sep: str, values) -> Md:
    """The values, each through :func:`md`, joined by *sep* (ours)."""
    return Md(sep.join(md(v) for v in values))


def md_money(fen, lang: str, *, wan=format_wan) -> Md:
    """An amount in fen as our Markdown: in 万元 for ``zh`` (by *wan*), in yuan otherwise.

    Parameters
    ----------
    fen : int or None
        The amount in fen; None or a missing value (NaN, ``pd.NA``) is shown empty.
    lang : str
        ``"zh"`` or ``"en"``.
    wan : callable, optional
        ``int -> str`` for the 万元 text: :func:`~channelgraph.model.format_wan` (rounded), or
        an exact form where the report must tie out to the fen.

    Returns
    -------
    Md
        The amount, never escaped (a number is not data that could be markup).

    Examples
    --------
    >>> md_money(-123456789, "en"), md_money(None, "zh")
    ('-1,234,567.89', '')
    """
    if fen is None or pd.isna(fen):
        return Md("")
    return Md(wan(int(fen)) if lang == "zh" else format_yuan_human(int(fen)))


def md_cell(value) -> Md:
    """A table cell: our own :class:`Md` as it is, a list or tuple joined by ``", "`` and
    anything else as data (:func:`md`)."""
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    return md(value)


def md_table(header, rows, align=None) -> Md:
    """A pipe table whose every cell, the header's too, goes through :func:`md_cell`.

    Parameters
    ----------
    header : list
        The column labels (text is escaped as data: mark a label with markup as :class:`Md`).
    rows : iterable of list
        The rows, one value per column.
    align : list of str, optional
        The separator row's cells (``"---"``, ``"--:"`` …); ``"---"`` for each column by default.

    Returns
    -------
    Md
        The table's lines, without a blank line before or after.

    Examples
    --------
    >>> print(md_table([Md("#"), "名称|简称"], [[1, "[点我](evil.html)"], [Md("**2**"), ["a", "b"]]], ["--:", "---"]))
    | # | 名称\\|简称 |
    |--:|---|
    | 1 | \\[点我\\](evil.html) |
    | **2** | a, b |
    """
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in rows]
    return Md("\n".join(lines))


# ----------------------------------------------------------------------------- Markdown into HTML


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def inline(text: str) -> str:
    """Escape *text* and apply backslash escapes, code spans, links, bold and italics."""
    kept: list[str] = []  # escaped characters and code spans, as HTML

    def keep(m: re.Match) -> str:
        kept.append(_esc(m.group(1)) if m.group(1) is not None else f"<code>{_esc(m.group(3))}</code>")
        return f"\x00{len(kept) - 1}\x00"

    # one pass, left to right: an escaped backtick opens no code span, a code span keeps its backslashes
    text = _ESCAPE_OR_CODE.sub(keep, text.replace("\x00", "").replace("\x01", ""))
    links: list[str] = []

    def keep_link(m: re.Match) -> str:
        label, href = m.group(1), m.group(2).strip()
        if not _SAFE_LINK.match(href):
            return m.group(0)
        links.append(f'<a href="{_esc(href)}">{_emphasis(_esc(label))}</a>')
        return f"\x01{len(links) - 1}\x01"

    text = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", keep_link, text)
    out = _emphasis(_esc(text))
    out = re.sub("\x01(\\d+)\x01", lambda m: links[int(m.group(1))], out)
    out = re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], out)
    return out


def _emphasis(escaped: str) -> str:
    s = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"<strong>\1</strong>", escaped)
    s = re.sub(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])", r"<em>\1</em>", s)
    return s


def _slug(text: str, used: set) -> str:
    base = re.sub(r"[^\w\u4e00-\u9fff]+", "-", text.lower()).strip("-") or "section"
    slug, i = base, 2
    while slug in used:
        slug, i = f"{base}-{i}", i + 1
    used.add(slug)
    return slug


def _cells(line: str) -> list[str]:
    s = line.strip()
    s = s.removeprefix("|")
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.strip() for c in _CELL_SPLIT.split(s)]  # "\\|" stays: inline() reads it as "|"


def _align(sep: str) -> list[str]:
    out = []
    for c in _cells(sep):
        c = c.strip()
        out.append(
            "center"
            if c.startswith(":") and c.endswith(":")
            else "right"
            if c.endswith(":")
            else "left"
            if c.startswith(":")
            else ""
        )
    return out


def markdown_to_html(md: str, *, heading_ids: bool = True) -> str:
    """Convert the report's Markdown subset to HTML (a fragment, no ``<html>``)."""
    md = md.replace("\r\n", "\n").replace("\r", "\n")
    if INVISIBLE.search(md):  # control characters shown, never read (nor taken for placeholders)
        md = md.translate(_SHOWN)
    lines = md.split("\n")
    out: list[str] = []
    used: set = set()
    para: list[str] = []
    i = 0

    def flush():
        if para:
            out.append("<p>" + inline(" ".join(p.strip() for p in para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            mark = fence.group(1)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(mark):
                body.append(lines[i])
                i += 1
            i += 1
            out.append("<pre><code>" + _esc("\n".join(body)) + "</code></pre>")
            continue
        h = _HEADING.match(line)
        if h:
            flush()
            level = len(h.group(1))
            text = h.group(2)
            ident = f' id="{_esc(_slug(text, used))}"' if heading_ids else ""
            out.append(f"<h{level}{ident}>{inline(text)}</h{level}>")
            i += 1
            continue
        if _RULE.match(line) and not para:
            out.append("<hr>")
            i += 1
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]) and "-" in lines[i + 1]:
            flush()
            head = _cells(line)
            align = _align(lines[i + 1])
            i += 2
            rows = []
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                rows.append(_cells(lines[i]))
                i += 1
            out.append(_table(head, align, rows))
            continue
        if line.lstrip().startswith(">"):
            flush()
            body = []
            while i < len(lines) and lines[i].lstrip().startswith(">"):
                body.append(re.sub(r"^\s*>\s?", "", lines[i]))
                i += 1
            out.append("<blockquote>\n" + markdown_to_html("\n".join(body), heading_ids=False) + "\n</blockquote>")
            continue
        if _BULLET.match(line) or _NUMBER.match(line):
            flush()
            i = _list(lines, i, out)
            continue
        para.append(line)
        i += 1
    flush()
    return "\n".join(out)


def _table(head: list[str], align: list[str], rows: list[list[str]]) -> str:
    def attr(j: int) -> str:
        a = align[j] if j < len(align) else ""
        return f' class="{a}"' if a else ""

    parts = [
        "<table>",
        "<thead><tr>" + "".join(f"<th{attr(j)}>{inline(c)}</th>" for j, c in enumerate(head)) + "</tr></thead>",
        "<tbody>",
    ]
    for r in rows:
        r = (r + [""] * len(head))[: max(len(head), 1)]
        parts.append("<tr>" + "".join(f"<td{attr(j)}>{inline(c)}</td>" for j, c in enumerate(r)) + "</tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)


def _list(lines: list[str], i: int, out: list[str]) -> int:
    """One list (bullets or numbers, nested by indentation); returns the next line index."""
    first = _BULLET.match(lines[i]) or _NUMBER.match(lines[i])
    assert first is not None  # called only on a list line
    indent = len(first.group(1))
    ordered = bool(_NUMBER.match(lines[i])) and not _BULLET.match(lines[i])
    tag = "ol" if ordered else "ul"
    out.append(f"<{tag}>")
    item: list[str] | None = None
    while i < len(lines):
        line = lines[i]
        m = _BULLET.match(line) or _NUMBER.match(line)
        if m and len(m.group(1)) == indent:
            if item is not None:
                out.append("<li>" + inline(" ".join(item)) + "</li>")
            item = [m.group(2)]
            i += 1
        elif m and len(m.group(1)) > indent:
            nested: list[str] = []
            i = _list(lines, i, nested)
            out.append("<li>" + inline(" ".join(item or [])) + "\n" + "\n".join(nested) + "</li>")
            item = None
        elif line.strip() and not m and line.startswith(" ") and item is not None:
            item.append(line.strip())  # continuation
            i += 1
        else:
            break
    if item is not None:
        out.append("<li>" + inline(" ".join(item)) + "</li>")
    out.append(f"</{tag}>")
    return i
