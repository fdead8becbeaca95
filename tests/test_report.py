"""report.md / report.html: content, the safe Markdown converter, masking, self-containment."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from test_viz import HOSTILE_NAME, hostile_dataset

from channelgraph.graph import build_book
from channelgraph.analyses import Analysis, AnalysisResult, registry, run_analyses
from channelgraph.io import load_dataset
from channelgraph.report import (
    markdown_to_html,
    report_markdown,
    table_markdown,
    write_report,
)
from channelgraph.viz import write_views

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    ds = load_dataset(SAMPLE)
    book = build_book(ds)
    return ds, book, run_analyses(book)


# ----------------------------------------------------------------------------- Markdown → HTML


def test_markdown_subset():
    md = """# Title

Intro with `code`, **bold** and *em*.

## Section

- one
- two with [a view](views/overview.html)
  continued

1. first
2. second

| name | amount |
|---|---:|
| a \\| b | **1,234.50** |
| c | 5 |

> quoted

---
"""
    html = markdown_to_html(md)
    assert '<h1 id="title">Title</h1>' in html and '<h2 id="section">Section</h2>' in html
    assert "<code>code</code>" in html and "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert '<li>two with <a href="views/overview.html">a view</a> continued</li>' in html
    assert "<ol>" in html and "<li>first</li>" in html
    assert "<td>a | b</td>" in html and '<td class="right"><strong>1,234.50</strong></td>' in html
    assert "<blockquote>" in html and "<hr>" in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "https://example.com/x",
        "http://x",
        "//cdn.example/x",
        "data:text/html,x",
        "JaVaScRiPt:alert(1)",
        "vbscript:x",
    ],
)
def test_links_that_leave_the_page_are_text(href):
    html = markdown_to_html(f"see [here]({href})")
    assert "<a" not in html and "href" not in html


def test_raw_html_is_text():
    html = markdown_to_html(f"# {HOSTILE_NAME}\n\n<script>alert(1)</script>\n\n| x |\n|---|\n| <b>y</b> |\n\n- `<i>`")
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html and "&lt;b&gt;y&lt;/b&gt;" in html
    assert "<code>&lt;i&gt;</code>" in html


def test_table_markdown_formats_money_and_cuts_long_tables():
    df = pd.DataFrame(
        {
            "id": [f"X{i}" for i in range(20)],
            "exposure_fen": [123456 * i for i in range(20)],
            "members": [["a", "b|c"]] * 20,
        }
    )
    md = table_markdown(df, "en", "t", rows=5)
    assert md.splitlines()[0] == "| id | exposure (yuan) | members |"
    assert "| X1 | 1,234.56 | a; b\\|c |" in md
    assert "20 rows, the first 5 shown" in md and "`t.csv`" in md


# ----------------------------------------------------------------------------- the report


def test_report_of_the_sample(sample, tmp_path):
    ds, book, results = sample
    views = write_views(book, results, tmp_path, lang="zh")
    md_path, html_path = write_report(results, ds, tmp_path, "zh", views=views)
    assert (md_path.name, html_path.name) == ("report.md", "report.html")
    md = md_path.read_text(encoding="utf-8")
    assert md.startswith("# channelgraph 分析报告")
    assert "## 概要" in md and "## 关系图" in md and "## 贷款概览" in md
    from channelgraph.model import format_yuan_human

    assert format_yuan_human(ds.total_outstanding_fen) in md
    for name in ("overview", "channel-1", "group-1", "pattern-1", "ego-1"):
        assert f"(views/{name}.html)" in md
    if "risk" in results:
        assert "## 风险" in md
    html = html_path.read_text(encoding="utf-8")
    assert "default-src 'none'" in html
    assert "<script" not in html.lower()
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith("#") or (tmp_path / href).exists(), href
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.IGNORECASE)
    assert "<link" not in html.lower() and "@import" not in html


def test_report_in_english_and_deterministic(sample, tmp_path):
    ds, _, results = sample
    a = write_report(results, ds, tmp_path / "a", "en")
    b = write_report(results, ds, tmp_path / "b", "en")
    assert a[1].read_bytes() == b[1].read_bytes() and a[0].read_bytes() == b[0].read_bytes()
    md = a[0].read_text(encoding="utf-8")
    assert md.startswith("# channelgraph analysis report") and "## Summary" in md and "Total outstanding" in md
    assert "No graph views were written" in md


def test_report_masks_identifiers_unless_asked(tmp_path):
    ds = hostile_dataset(tmp_path / "h")
    results = run_analyses(build_book(ds), only=["book"])
    results["people"] = AnalysisResult({"people": ds.entities[["id", "name", "phone", "id_card", "remark"]]})
    md = report_markdown(results, ds, "en", mask=True)
    assert "13812345678" not in md and "330602199001011234" not in md and "0571-88889999" not in md
    assert "138\\*\\*\\*\\*5678" in md  # the stars escaped: they are no emphasis in Markdown
    assert "138****5678" in markdown_to_html(md) and "330602********1234" in markdown_to_html(md)
    html = write_report(results, ds, tmp_path / "out", "en")[1].read_text(encoding="utf-8")
    assert "<img" not in html and "&lt;img src=x onerror=" in html
    unmasked = report_markdown(results, ds, "en", mask=False)
    assert "13812345678" in unmasked and "not masked" in unmasked


def test_sections_fall_back_to_tables_and_survive_a_broken_report(sample, tmp_path):
    ds, _, _ = sample

    def broken(result, policy, lang):
        raise KeyError("no such column")

    analyses = [
        *registry(),
        Analysis("broken", lambda *a: None, "Broken", "坏的", 90, report=broken),
        Analysis("plain", lambda *a: None, "Plain", "普通", 91),
    ]
    results = {
        "broken": AnalysisResult({"bt": pd.DataFrame({"a": [1]})}),
        "plain": AnalysisResult({"pt": pd.DataFrame({"amount_fen": [150], "x": ["y"]})}),
    }
    with pytest.warns(RuntimeWarning, match="broken"):
        md = report_markdown(results, ds, "en", analyses=analyses)
    assert "## Broken" in md and "could not be written (KeyError)" in md and "### bt" in md
    assert "## Plain" in md and "| amount (yuan) | x |" in md and "| 1.50 | y |" in md


def test_report_without_any_analysis(sample, tmp_path):
    ds, _, _ = sample
    md, html = write_report({}, ds, tmp_path, "zh")
    assert "## 概要" in md.read_text(encoding="utf-8")
    assert "<table>" in html.read_text(encoding="utf-8")


def test_summary_figures_are_the_dataset_summary(sample, tmp_path):
    """The report counts its figures in one pass per column; they are Dataset.summary()'s."""
    from channelgraph.report.build import summary_figures

    for ds in (sample[0], hostile_dataset(tmp_path / "h")):
        want = ds.summary()
        got = summary_figures(ds)
        assert got == {k: want[k] for k in got}
        assert list(got["kinds"]) == list(want["kinds"]) and list(got["status"]) == list(want["status"])
