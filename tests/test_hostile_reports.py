"""Hostile names and values through the real command: nothing leaked, nothing live, no crash.

A dataset whose names, scheme and channel names and extra columns (``phone``, ``id_card``,
``remark``, ``notes``) carry Markdown and HTML injections and every phone and ID-card form
goes through ``analyze`` (zh, en, ``--no-mask``) and ``caps`` (zh, en). Control characters and
line breaks are refused in names (``validate`` names the row and column), so they come in
the extra columns, which are kept verbatim and reach the views' tooltips. In ``report.html``,
``caps_report.html`` and the views no link, heading, tag or script comes from the data
(parsed with :mod:`html.parser`); the text reads as typed (no backslash escapes shown,
control characters shown as symbols); no identifier is shown unmasked unless ``--no-mask``;
nothing crashes.
"""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hostile import no_traceback, refused, run_cli

from channelgraph.report.markdown import md

#: Markup, as names (every form a name may hold).
NAME_INJECTIONS = [
    "[点我](evil.html)",
    "![x](http://e/x.png)",
    "# 标题",
    "名字 # 标题二",
    "a|b|c",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt;实体",
    "**粗**体",
    "`code`名",
    "<http://evil>",
    "http://evil.example/x",
    "- 列表",
    "1. 编号",
    "> 引用",
    "~~删除~~",
    "__下划__",
    "$x$ 公式 a@b.com www.evil.com",
    "\u202e反转",
]

#: Line breaks and control characters: refused in a name, kept verbatim in an extra column.
CONTROL_INJECTIONS = [
    "名字\r# 标题二",
    "名字\n## 标题三",
    "名字\r\n### 标题四\t制表",
    "控制\x07字符\x1b[31m",
    "坏\x015\x01名\x0b\x0c\x7f\x85",  # \x01<digit>\x01 once crashed the converter (its link placeholders)
]

#: Every hostile text (md() and the converter take them all).
INJECTIONS = NAME_INJECTIONS + CONTROL_INJECTIONS

#: Identifier forms (raw, the masked form every report and view shows).
IDENTIFIERS = [
    ("13812345678", "138****5678"),
    ("１３９１２３４５６７８", "139****5678"),
    ("137.1234.5671", "137****5671"),
    ("136 1234 5672", "136****5672"),
    ("135-1234-5673", "135****5673"),
    ("+86 134 1234 5674", "134****5674"),
    ("0086-133-1234-5675", "133****5675"),
    ("86-13212345676", "132****5676"),
    ("(0571)88881111", "0571-****1111"),
    ("（0575）8888-2222", "0575-****2222"),
    ("0573 8888 3333", "0573-****3333"),
    ("33060219900101123X", "330602********123X"),
    ("33060219900101234ｘ", "330602********234x"),
    ("33060219900101345Ｘ", "330602********345X"),
    ("330602 19900101 4567", "330602********4567"),
    ("330602900101567", "330602*****1567"),
]

#: Not identifiers: shown as they are.
NOT_IDENTIFIERS = ["1,234,567.89", "13812345678.00", "2024-01-01", "20240101", "12.5%", "F000123", "E000005"]


def _hostile_folder(folder: Path) -> Path:
    """A small bank whose every name and extra value is hostile (CSV-quoted as Excel would).

    Names hold NAME_INJECTIONS; the extra columns (entities' ``remark``, relations' and
    schemes' ``notes``) hold CONTROL_INJECTIONS as well, which a name may not.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    n = max(len(NAME_INJECTIONS), len(IDENTIFIERS))
    for i in range(n):
        inj = NAME_INJECTIONS[i % len(NAME_INJECTIONS)]
        control = CONTROL_INJECTIONS[i % len(CONTROL_INJECTIONS)]
        raw = IDENTIFIERS[i % len(IDENTIFIERS)][0]
        kind = "enterprise" if i % 3 else "person"
        rows.append(
            {
                "id": f"{kind[0].upper()}{i + 1}",
                "kind": kind,
                "name": f"{inj} {raw}",
                "is_customer": "true",
                "net_assets": "1000000",
                "industry": inj,
                "region": "柯桥区",
                "phone": raw,
                "id_card": IDENTIFIERS[-(i % len(IDENTIFIERS)) - 1][0],
                "remark": f"{inj} 备注 {raw} {NOT_IDENTIFIERS[i % len(NOT_IDENTIFIERS)]} {control}",
            }
        )
    rows.append(
        {
            "id": "C1",
            "kind": "chamber",
            "name": "[商会](evil.html) 13812345678 <b>会</b>",
            "is_customer": "false",
            "net_assets": "",
            "industry": "",
            "region": "",
            "phone": "0571 8888 3333",
            "id_card": "",
            "remark": "# 商会\r\n## 二",
        }
    )
    rows.append(
        {
            "id": "M1",
            "kind": "market",
            "name": "# 市场 | 轻纺城 `x`",
            "is_customer": "false",
            "net_assets": "",
            "industry": "",
            "region": "",
            "phone": "",
            "id_card": "",
            "remark": "",
        }
    )
    with open(folder / "entities.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    ids = [r["id"] for r in rows[:n]]
    rel = [["src", "dst", "type", "amount", "share", "role", "notes"]]
    for i, a in enumerate(ids):
        control = CONTROL_INJECTIONS[i % len(CONTROL_INJECTIONS)]
        rel.append([a, "C1" if i % 2 else "M1", "MEMBER_OF" if i % 2 else "TRADES_IN", "", "", "", control])
        if i:
            rel.append([ids[i - 1], a, "GUARANTEES", str(100000 * (i + 1)), "", "", f"{control} {ids[i - 1]}"])
            rel.append([ids[0], a, "REFERRED", "", "", "", ""])
    rel.append([ids[-1], ids[0], "GUARANTEES", "500000", "", "", "13812345678\n# 担保"])
    with open(folder / "relations.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rel)
    exp = [["facility_id", "customer_id", "outstanding", "limit", "product", "scheme_id", "status"]]
    for i, a in enumerate(ids):
        exp.append(
            [
                f"F{i + 1}",
                a,
                f"{(i + 1) * 1500000}.00",
                "",
                "business_loan",
                "S1" if i % 2 else "S2",
                "normal" if i % 4 else "substandard",
            ]
        )
    with open(folder / "exposures.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(exp)
    with open(folder / "schemes.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                ["scheme_id", "channel_id", "name", "product", "notes"],
                ["S1", "C1", "[会员贷](evil.html) 13812345678 # 方案", "business_loan", "13812345678\r# 方案"],
                ["S2", "M1", "<img src=x onerror=alert(1)> 商户贷 | `y`", "business_loan", "控制\x07\n## 二"],
            ]
        )
    # a small capital so that groups, caps and breaches show up in every section
    (folder / "policy.toml").write_text("tier1_capital = 50000000\nnet_capital = 60000000\n", encoding="utf-8")
    return folder


# ----------------------------------------------------------------------------- reading what was written


class _Page(HTMLParser):
    """Tags with their attributes, heading texts and the text content of an HTML page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self.texts: list[str] = []
        self._in: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append("")
        self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if any(re.fullmatch(r"h[1-6]", t) for t in self._in) and self.headings:
            self.headings[-1] += data
        if not self._in or self._in[-1] not in ("script", "style"):
            self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def named(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


_FULL = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")


def _leaks(text: str) -> list[str]:
    """The identifiers of IDENTIFIERS that *text* shows unmasked (as typed, or as bare digits)."""
    found = []
    for raw, _ in IDENTIFIERS:
        digits = re.sub(r"[^0-9Xx]", "", raw.translate(_FULL))
        if (raw != digits and raw in text) or re.search(rf"(?<![0-9]){re.escape(digits)}(?![0-9]|\.[0-9])", text):
            found.append(raw)
    return found


#: Headings that data would make if it reached Markdown unescaped.
_DATA_HEADINGS = ("标题", "方案", "商会", "二", "市场")
#: A backslash escape shown to the reader (the converter should have read it).
_SHOWN_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")


def _check_markdown_page(path: Path) -> _Page:
    """report.html / caps_report.html: no link, image, script, heading or markup from the data."""
    page = _Page(path.read_text(encoding="utf-8"))
    assert not page.named("script") and not page.named("img") and not page.named("iframe"), path
    for a in page.named("a"):
        href = a.get("href", "")
        assert href.startswith("#") or re.fullmatch(r"views/[\w.-]+\.html", href), (path, href)
    for h in page.headings:
        assert not h.strip().startswith(_DATA_HEADINGS), (path, h)
    text = page.text
    assert not _SHOWN_ESCAPE.search(text), (path, _SHOWN_ESCAPE.search(text).group(0))
    for tag in ("code", "strong", "em", "del", "s"):  # our own code spans and bold only
        assert all(a == {} for a in page.named(tag)), path
    return page


def _markdown_it(text: str):
    """report.md as another renderer (CommonMark with raw HTML, tables, strikethrough) reads it."""
    from markdown_it import MarkdownIt

    return _Page(MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text))


def _check_markdown_source(path: Path) -> None:
    """report.md / caps_report.md rendered by markdown-it: nothing from the data is live."""
    page = _markdown_it(path.read_text(encoding="utf-8"))
    assert not page.named("script") and not page.named("img") and not page.named("s"), path
    for a in page.named("a"):
        href = a.get("href", "")
        assert href.startswith("#") or re.fullmatch(r"views/[\w.-]+\.html", href), (path, href)
    for h in page.headings:
        assert not h.strip().startswith(_DATA_HEADINGS), (path, h)
    assert "[点我](evil.html)" in page.text or path.name.startswith("caps"), path


#: What a tooltip must not hold: control characters other than line breaks and tabs, C1
#: controls other than NEL, bidirectional overrides and isolates (shown as symbols instead).
_HIDDEN_IN_TIPS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")


def _tips(path: Path) -> list[str]:
    """The texts of a view's node and edge tooltips (heading, then label and value per row)."""
    html = path.read_text(encoding="utf-8")
    m = re.search(r'<script id="cg-data" type="application/json">(.*?)</script>', html, re.DOTALL)
    data = json.loads(m.group(1))
    tips = [item["tip"] for item in data["nodes"] + data["edges"]]
    return [text for t in tips for text in [t["h"], *(x for row in t["r"] for x in row)]]


def _check_view(path: Path, mask: bool) -> None:
    html = path.read_text(encoding="utf-8")
    page = _Page(html)
    assert not page.named("img") and not page.named("iframe") and not page.named("a"), path
    assert all("src" not in s for s in page.named("script")), path
    assert "<img src=x" not in html and "<script>alert" not in html, path
    for h in page.headings:
        assert not h.strip().startswith(_DATA_HEADINGS), (path, h)
    for text in _tips(path):  # shown as symbols (line breaks kept)
        assert not _HIDDEN_IN_TIPS.search(text), (path, text)
    if mask:
        assert not _leaks(html), (path, _leaks(html))


# ----------------------------------------------------------------------------- the runs


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory):
    """analyze zh / en / --no-mask, caps zh / en and demo on the hostile bank (one run each)."""
    base = tmp_path_factory.mktemp("hostile_reports")
    data = _hostile_folder(base / "bank")
    runs = {
        "zh": run_cli("analyze", data, "--out", base / "zh", "--lang", "zh"),
        "en": run_cli("analyze", data, "--out", base / "en", "--lang", "en"),
        "raw": run_cli("analyze", data, "--out", base / "raw", "--lang", "en", "--no-mask"),
        "caps-zh": run_cli("caps", data, "--out", base / "caps-zh", "--lang", "zh"),
        "caps-en": run_cli("caps", data, "--out", base / "caps-en", "--lang", "en"),
        "demo": run_cli("demo", "--data", data, "--out", base / "demo", "--lang", "en"),
    }
    return base, runs


@pytest.mark.parametrize("name", ["zh", "en", "raw", "caps-zh", "caps-en", "demo"])
def test_hostile_names_end_well(hostile_runs, name):
    _base, runs = hostile_runs
    r = runs[name]
    no_traceback(r)
    assert r.code == 0, str(r)


@pytest.mark.parametrize("name", ["zh", "en", "caps-zh", "caps-en", "demo"])
def test_nothing_from_the_data_is_live_in_the_reports(hostile_runs, name):
    base, _runs = hostile_runs
    out = base / name
    pages = ["caps_report.html"] + ([] if name.startswith("caps") else ["report.html"])
    for page in pages:
        p = _check_markdown_page(out / page)
        text = p.text
        # the data read as typed: no backslash, no entity decoded, control characters shown
        for typed in ("[会员贷](evil.html)", "<img src=x onerror=alert(1)> 商户贷 | `y`", "# 市场 | 轻纺城 `x`"):
            assert typed in text, (page, typed)
        if page == "report.html":
            for typed in (
                "[点我](evil.html)",
                "<http://evil>",
                "http://evil.example/x",
                "&lt;b&gt;实体",
                "**粗**体",
                "名字 # 标题二",
            ):
                assert typed in text, (page, typed)
        _check_markdown_source(out / page.replace(".html", ".md"))


@pytest.mark.parametrize("name", ["zh", "en", "caps-zh", "caps-en", "demo"])
def test_no_identifier_is_shown_unmasked(hostile_runs, name):
    base, runs = hostile_runs
    out = base / name
    shown = [out / "caps_report.md", out / "caps_report.html"]
    if not name.startswith("caps"):
        shown += [out / "report.md", out / "report.html"]
    for p in shown:
        text = p.read_text(encoding="utf-8")
        assert not _leaks(text), (p, _leaks(text))
        assert not _leaks(text.replace("\\", "")), p
    assert "138****5678" in _Page((out / "caps_report.html").read_text(encoding="utf-8")).text
    for view in sorted((out / "views").glob("*.html")) if (out / "views").exists() else []:
        _check_view(view, mask=True)
    assert not _leaks(runs[name].output), str(runs[name])


def test_demo_terminal_lines_mask_and_show_names_as_text(hostile_runs):
    _base, runs = hostile_runs
    r = runs["demo"]
    assert "top hub P1 [点我](evil.html) 138****5678" in r.stdout, str(r)


def test_no_mask_shows_identifiers(hostile_runs):
    base, _runs = hostile_runs
    out = base / "raw"
    for page in ("report.html", "caps_report.html"):
        text = _check_markdown_page(out / page).text
        assert "13812345678" in text and "not masked" in text, page
    overview = (out / "views" / "overview.html").read_text(encoding="utf-8")
    _check_view(out / "views" / "overview.html", mask=False)
    assert {raw for raw, _ in IDENTIFIERS} <= {raw for raw, _ in IDENTIFIERS if raw in overview}


@pytest.mark.parametrize("name", ["zh", "raw"])
def test_control_characters_in_extra_columns_reach_the_tooltips_as_symbols(hostile_runs, name):
    """remark and notes are kept verbatim: line breaks and tabs as typed, other controls as symbols."""
    base, _runs = hostile_runs
    tips = "\n".join(_tips(base / name / "views" / "overview.html"))
    for shown in (
        "名字\r# 标题二",
        "名字\n## 标题三",
        "名字\r\n### 标题四\t制表",
        "控制␇字符␛[31m",
        "坏␁5␁名\x0b\x0c␡",
        "# 商会\r\n## 二",
        "# 担保",
    ):
        assert shown in tips, shown


def test_a_control_character_in_a_name_is_refused_with_its_row_and_column(tmp_path):
    """validate refuses a name holding a line break, tab or bell (file, line, column), never drops it."""
    data = _hostile_folder(tmp_path / "bank")
    with open(data / "entities.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows[1:]:
        row[-1] = ""  # no line break in a remark: one file line per row
    for k, ch in {2: "\t", 4: "\x07", 6: "\r", 8: "\n"}.items():  # rows[k] is line k + 1 (header is 1)
        rows[k][2] = rows[k][2].replace(" ", ch, 1)
    with open(data / "entities.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    r = run_cli("validate", data)
    # the line where the row starts: the carriage return in the name on line 7 moves the next row to line 10
    refused(
        r,
        1,
        "entities.csv:3, column name",
        "tab (U+0009)",
        "entities.csv:5, column name",
        "(U+0007)",
        "entities.csv:7, column name",
        "carriage return (U+000D)",
        "entities.csv:10, column name",
        "line break (U+000A)",
    )
    assert "4 problems" in r.output, str(r)


def test_not_identifiers_stay_as_they_are(hostile_runs):
    base, _runs = hostile_runs
    overview = (base / "zh" / "views" / "overview.html").read_text(encoding="utf-8")
    for value in NOT_IDENTIFIERS:
        assert value in overview, value


@pytest.mark.parametrize("value", INJECTIONS + [raw for raw, _ in IDENTIFIERS])
def test_md_reads_back_as_the_masked_text(value):
    """Through md() and the converter, every hostile value reads as itself (masked, one line)."""
    from channelgraph.report.markdown import markdown_to_html
    from channelgraph.viz.mask import mask_text, visible

    html = markdown_to_html(f"- x {md(value)}\n\n| a |\n|---|\n| {md(value)} |")
    page = _Page(html)
    expected = mask_text(visible(value).strip())
    assert [t for t, _ in page.tags] == ["ul", "li", "table", "thead", "tr", "th", "tbody", "tr", "td"]
    assert page.text.count(expected) == 2, (html, expected)


def test_md_table_reads_every_data_cell_as_text():
    """md_table, the one table writer of the reports: a data cell, in the header or a row, makes
    no markup and no extra column; only our own Md is read as Markdown."""
    from channelgraph.report.markdown import Md, markdown_to_html, md_table
    from channelgraph.viz.mask import mask_text, visible

    values = INJECTIONS + [raw for raw, _ in IDENTIFIERS]
    page = _Page(markdown_to_html(md_table(["a|b", Md("**ours**")], [[v, Md("`x`")] for v in values])))
    assert len(page.named("th")) == 2 and len(page.named("td")) == 2 * len(values)
    assert page.named("strong") == [{}] and len(page.named("code")) == len(values)
    assert not page.named("a") and not page.named("img") and not page.named("script")
    assert "a|b" in page.text
    for v in values:
        assert mask_text(visible(v).strip()) in page.text, v
