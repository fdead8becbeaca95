"""report.md and report.html: one readable page per run.

The page has the summary figures (dataset counts, total and non-performing
outstanding, loans and measured exposure side by side with how the exposure is measured,
the interbank and exempt customers, capital and the limits in yuan, each limit with the
measure it tests), links to the graph views, and one
section per analysis that ran — the analysis' own ``report(result, policy, lang)``
Markdown when it has one, else its tables (first rows, money in yuan). report.html
is the same Markdown converted by :mod:`.markdown` into a self-contained page (inline
CSS, a strict Content-Security-Policy, no script, no request). Every value from the data
enters the Markdown through :func:`.markdown.md` (a table cell is data unless it is an
:class:`.markdown.Md`): escaped for Markdown, control characters shown, and personal
identifiers masked as in the views unless ``mask=False``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from .. import __version__
from ..analyses import Analysis, AnalysisResult, registry
from ..model import (
    EXPOSURE_TYPE_EN,
    EXPOSURE_TYPE_ZH,
    NON_PERFORMING,
    ExposureType,
    PARTY_KINDS,
    Kind,
    Status,
    format_yuan_human,
    fraction_of,
    share_of,
)
from ..viz.mask import mask_text
from ..viz.text import exempt_text, kind_text, status_text
from .markdown import Md, masking, md, md_table
from .page import report_html
from ..terms import term

#: Rows shown per table for analyses without their own report section.
TABLE_ROWS = 15
#: Longest cell text in those tables.
CELL_MAX = 80

_T = {
    "title": ("channelgraph 分析报告", "channelgraph analysis report"),
    "data": ("数据", "Data"),
    "policy": ("参数", "Policy"),
    "defaults": ("内置默认值", "built-in defaults"),
    "summary": ("概要", "Summary"),
    "figure": ("指标", "Figure"),
    "value": ("数值", "Value"),
    "entities": ("实体", "Entities"),
    "customers": ("本行客户", "Customers"),
    "prospects": ("潜在客户（非本行客户的个人、企业）", "Prospects (persons and firms not yet customers)"),
    "relations": ("关系", "Relations"),
    "facilities": ("授信（笔）", "Facilities"),
    "schemes": ("渠道专属方案", "Channel schemes"),
    "total": (
        "授信余额合计（表内贷款余额与表外项目名义金额，元）",
        "Total outstanding (loans and off-balance items at nominal amount; yuan)",
    ),
    "loans": ("其中：贷款余额（表内，元）", "of which loans (on-balance; yuan)"),
    "off_balance": ("其中：表外项目名义金额（元）", "of which off-balance items, nominal amount (yuan)"),
    "undrawn": ("未使用的承诺额度（元）", "Undrawn commitments (yuan)"),
    "exposure": ("风险暴露合计（元）", "Total exposure (yuan)"),
    "mitigation": ("已扣除的保证金（元）", "Cash margin recognised (yuan)"),
    "npl": ("不良贷款余额（次级、可疑、损失，元）", "Non-performing loans (substandard, doubtful, loss; yuan)"),
    "npl_ratio": ("不良贷款率", "Non-performing loan ratio"),
    "tier1": ("一级资本净额（元）", "Tier-1 capital (yuan)"),
    "net_capital": ("资本净额（元）", "Net capital (yuan)"),
    "net_capital_from_tier1": (
        "资本净额（元；参数未给出，按一级资本净额计）",
        "Net capital (yuan; not given in the policy, taken as tier-1)",
    ),
    "large_line": (
        "大额风险暴露线（一级资本净额 {p}，测风险暴露，元）",
        "Large-exposure threshold ({p} of tier-1, on exposure; yuan)",
    ),
    "single_line": (
        "单一非同业客户限额（一级资本净额 {p}，测风险暴露，元）",
        "Single non-interbank customer limit ({p} of tier-1, on exposure; yuan)",
    ),
    "group_line": (
        "一组非同业关联客户限额（一级资本净额 {p}，测风险暴露，元）",
        "Group of connected customers limit ({p} of tier-1, on exposure; yuan)",
    ),
    "interbank_line": (
        "同业客户或集团限额（一级资本净额 {p}，测风险暴露，元）",
        "Interbank customer or group limit ({p} of tier-1, on exposure; yuan)",
    ),
    "loan_line": (
        "单一客户贷款余额限额（资本净额 {p}，仅测贷款余额，元）",
        "Single borrower loan limit ({p} of net capital, on loans only; yuan)",
    ),
    "how": ("风险暴露的计量", "How exposure is measured"),
    "how_formula": (
        "风险暴露 = 表内贷款余额 + 信用转换系数 × 表外项目名义金额 − 保证金（以转换后金额为限，不为负）。"
        "信用转换系数（参数 `[exposure.ccf]`）：{ccf}。",
        "Exposure = on-balance loans + credit conversion factor (CCF) × off-balance nominal amount − cash "
        "margin (up to the converted amount, never negative). CCFs (policy `[exposure.ccf]`): {ccf}.",
    ),
    "how_undrawn": (
        "未使用的授信额度按贷款承诺计：原始期限一年以内（≤ 365 天）用“一年以内”系数，一年以上或期限未知用“一年以上”系数，"
        "可随时无条件撤销的用“可撤销”系数；{limit}",
        "Undrawn amounts count as commitments: original maturity up to one year (≤ 365 days) at the "
        "up-to-one-year factor, longer or unknown at the over-one-year factor, unconditionally "
        "cancellable at the cancellable factor; {limit}",
    ),
    "undrawn_limit_on": (
        "未填未使用额度的贷款，以授信额度减余额计（`undrawn_from_limit = true`）。",
        "a loan without an undrawn amount takes its limit minus its outstanding (`undrawn_from_limit = true`).",
    ),
    "undrawn_limit_off": (
        "只计数据中给出的未使用额度，不以授信额度推算（`undrawn_from_limit = false`）。",
        "only undrawn amounts given in the data count; none is derived from a limit (`undrawn_from_limit = false`).",
    ),
    "how_limits": (
        "大额风险暴露线及 15%/20%/25% 限额测风险暴露；资本净额 10% 的贷款限额只测贷款余额。",
        "The large-exposure threshold and the 15%/20%/25% limits test the exposure; the 10%-of-net-capital "
        "loan limit tests loans only.",
    ),
    "no_exposure": (
        "（本次未运行风险分析，未计量风险暴露。）",
        "(The risk analysis did not run in this run: exposure was not measured.)",
    ),
    "interbank": ("同业客户", "Interbank customers"),
    "exempt": ("豁免客户（风险暴露仅报告，不纳入限额测试）", "Exempt customers (exposure reported, not tested)"),
    "none": ("无", "none"),
    "and_more": ("，另有 {n} 户", "and {n} more"),
    "kinds": ("实体类型", "Entities by kind"),
    "status": ("五级分类（笔数）", "Five-class status (facilities)"),
    "views": ("关系图", "Graph views"),
    "views_intro": (
        "以下页面可离线打开（单个 HTML 文件，不联网）。鼠标悬停看要素，点击节点突出其直接关系。",
        (
            "Each page opens offline (one HTML file, no network). Hover for key figures; click a node to "
            "highlight its ties."
        ),
    ),
    "no_views": ("本次未生成关系图。", "No graph views were written in this run."),
    "nodes": ("{n} 个节点", "{n} nodes"),
    "left_out": ("另有 {n} 个未显示", "{n} left out"),
    "rows_of": (
        "（共 {n} 行，此处显示前 {k} 行；完整数据见 `{name}.csv`）",
        "({n} rows, the first {k} shown; all in `{name}.csv`)",
    ),
    "empty": ("（无数据）", "(empty)"),
    "failed": (
        "本节生成失败（{err}），以下为原始结果表。",
        "This section could not be written ({err}); its tables follow.",
    ),
    "masked": ("证件号、电话已脱敏显示。", "ID-card and phone numbers are masked."),
    "unmasked": (
        "注意：本报告未脱敏，含证件号、电话等个人信息，请勿外传。",
        "Warning: not masked — this report shows ID-card and phone numbers; do not share it.",
    ),
    "footer": (
        "由 channelgraph {v} 生成。金额单位：元（另注明者除外）。",
        "Written by channelgraph {v}. Amounts in yuan unless stated.",
    ),
    "contents": ("目录", "Contents"),
    "yuan": ("（元）", " (yuan)"),
}


def _pct(ratio) -> str:
    return f"{float(ratio) * 100:.2f}%"


def _blank(v) -> bool:
    """True for a missing value (None, ``pd.NA``, NaN)."""
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _cell(v) -> Md:
    """A table cell as Markdown: our own :class:`Md` as it is, anything else as data (:func:`md`)."""
    if isinstance(v, Md):
        return v
    if _blank(v):
        s = ""
    elif isinstance(v, (list, tuple, set, frozenset)):
        items = [str(x) for x in v]
        s = "; ".join(items[:8]) + (f" … (+{len(items) - 8})" if len(items) > 8 else "")
    elif isinstance(v, dict):
        s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    elif isinstance(v, float):
        s = f"{v:.4g}"
    else:
        s = str(v)
    if len(s) > CELL_MAX:
        s = s[: CELL_MAX - 1] + "…"
    return md(s)


def table_markdown(df: pd.DataFrame, lang: str, name: str = "", rows: int = TABLE_ROWS) -> str:
    """A result table as a Markdown pipe table: ``*_fen`` columns in yuan, long cells cut."""
    if df is None or len(df.columns) == 0:
        return term(_T, "empty", lang)
    head = []
    money = []
    for c in df.columns:
        c = str(c)
        if c.endswith("_fen"):
            head.append(c[:-4] + term(_T, "yuan", lang))
            money.append(True)
        else:
            head.append(c)
            money.append(False)
    cells = [
        [Md(format_yuan_human(int(v))) if m and not _blank(v) else _cell(v) for v, m in zip(rec, money)]
        for rec in df.head(rows).itertuples(index=False)
    ]
    text = md_table([_cell(h) for h in head], cells, ["---:" if m else "---" for m in money])
    if len(df) == 0:
        text += "\n\n" + term(_T, "empty", lang)
    elif len(df) > rows and name:
        text += "\n\n" + term(_T, "rows_of", lang, n=f"{len(df):,}", k=rows, name=name)
    return text


def _counts(column: pd.Series, vocabulary) -> dict[str, int]:
    """How many rows hold each value of an enum (every value, in the enum's order; one pass)."""
    got = column.value_counts(sort=False)
    return {v.value: int(got.get(v.value, 0)) for v in vocabulary}


def summary_figures(dataset) -> dict:
    """The figures of :meth:`Dataset.summary` that the report shows, counted in one pass per
    column (the report does not need the per-type relation counts, which cost most on a big book)."""
    ent, exp = dataset.entities, dataset.exposures
    customer = ent["is_customer"].to_numpy(dtype=bool)
    kinds = _counts(ent["kind"], Kind)
    return {
        "entities": len(ent),
        "customers": int(customer.sum()),
        "prospects": int((~customer & ent["kind"].isin([k.value for k in PARTY_KINDS]).to_numpy(dtype=bool)).sum()),
        "kinds": kinds,
        "relations": len(dataset.relations),
        "facilities": len(exp),
        "schemes": len(dataset.schemes),
        "total_outstanding_fen": dataset.total_outstanding_fen,
        "status": _counts(exp["status"], Status),
    }


#: Customers named per list (interbank, exempt) in the summary.
NAMED_MAX = 10


def summary_markdown(dataset, lang: str, facilities: pd.DataFrame | None = None) -> str:
    """The summary figures of a dataset and its policy, as a Markdown section.

    *facilities* is the risk room's ``facility_exposures`` table (:mod:`channelgraph.risk.exposures`);
    with it the section shows the measured exposure beside the outstanding and the loans, says
    how it is measured and names the interbank and exempt customers.
    """
    s = summary_figures(dataset)
    pol = dataset.policy
    exp = dataset.exposures
    is_loan = (exp["exposure_type"] == "loan") if "exposure_type" in exp else pd.Series(True, index=exp.index)
    loans_fen = int(sum(exp.loc[is_loan, "outstanding"].tolist()))
    npl = is_loan & exp["status"].isin([x.value for x in NON_PERFORMING])
    npl_fen = int(sum(exp.loc[npl, "outstanding"].tolist()))
    total = s["total_outstanding_fen"]
    lim = pol.limits
    measured = facilities is not None and "exposure_fen" in getattr(facilities, "columns", ())
    rows = [
        (term(_T, "entities", lang), f"{s['entities']:,}"),
        (term(_T, "customers", lang), f"{s['customers']:,}"),
        (term(_T, "prospects", lang), f"{s['prospects']:,}"),
        (term(_T, "relations", lang), f"{s['relations']:,}"),
        (term(_T, "facilities", lang), f"{s['facilities']:,}"),
        (term(_T, "schemes", lang), f"{s['schemes']:,}"),
        (term(_T, "total", lang), format_yuan_human(total)),
        (term(_T, "loans", lang), format_yuan_human(loans_fen)),
        (term(_T, "off_balance", lang), format_yuan_human(total - loans_fen)),
    ]
    if measured:
        assert facilities is not None
        rows += [
            (term(_T, "undrawn", lang), format_yuan_human(_fen_sum(facilities["undrawn_fen"]))),
            (term(_T, "exposure", lang), format_yuan_human(_fen_sum(facilities["exposure_fen"]))),
            (term(_T, "mitigation", lang), format_yuan_human(_fen_sum(facilities["mitigation_fen"]))),
        ]
    net_label = "net_capital_from_tier1" if getattr(pol, "net_capital_from_tier1", False) else "net_capital"
    rows += [
        (term(_T, "npl", lang), format_yuan_human(npl_fen)),
        (term(_T, "npl_ratio", lang), _pct(share_of(npl_fen, loans_fen))),
        (term(_T, "tier1", lang), format_yuan_human(pol.tier1_capital_fen)),
        (term(_T, net_label, lang), format_yuan_human(pol.net_capital_fen)),
        (
            term(_T, "large_line", lang, p=_pct(lim.large_exposure_share)),
            format_yuan_human(fraction_of(pol.tier1_capital_fen, lim.large_exposure_share)),
        ),
        (
            term(_T, "single_line", lang, p=_pct(lim.single_customer_share)),
            format_yuan_human(fraction_of(pol.tier1_capital_fen, lim.single_customer_share)),
        ),
        (
            term(_T, "group_line", lang, p=_pct(lim.group_share)),
            format_yuan_human(fraction_of(pol.tier1_capital_fen, lim.group_share)),
        ),
        (
            term(_T, "interbank_line", lang, p=_pct(lim.interbank_share)),
            format_yuan_human(fraction_of(pol.tier1_capital_fen, lim.interbank_share)),
        ),
        (
            term(_T, "loan_line", lang, p=_pct(lim.single_borrower_net_capital_share)),
            format_yuan_human(fraction_of(pol.net_capital_fen, lim.single_borrower_net_capital_share)),
        ),
    ]
    sep = "，" if lang == "zh" else ", "
    kinds = sep.join(f"{kind_text(k, lang)} {v:,}" for k, v in s["kinds"].items() if v)
    status = sep.join(f"{status_text(k, lang)} {v:,}" for k, v in s["status"].items() if v)
    lines = [
        f"## {term(_T, 'summary', lang)}",
        "",
        md_table(
            [Md(term(_T, "figure", lang)), Md(term(_T, "value", lang))],
            [[_cell(a), _cell(b)] for a, b in rows],
            ["---", "---:"],
        ),
    ]
    colon = "：" if lang == "zh" else ": "
    lines += ["", f"- {term(_T, 'kinds', lang)}{colon}{kinds}", f"- {term(_T, 'status', lang)}{colon}{status}"]
    if measured:
        assert facilities is not None
        lines += [f"- {term(_T, 'interbank', lang)}{colon}{_named(dataset, facilities, 'interbank', lang)}"]
        lines += [f"- {term(_T, 'exempt', lang)}{colon}{_named(dataset, facilities, 'exempt', lang)}"]
    lines += ["", exposure_rules_markdown(pol, lang) if measured else term(_T, "no_exposure", lang), ""]
    return "\n".join(lines)


def _fen_sum(column: pd.Series) -> int:
    """The exact sum of a fen column (Python integers: no overflow, no float)."""
    return int(sum(column.tolist()))


def exposure_rules_markdown(policy, lang: str) -> str:
    """ "How exposure is measured": the formula, the CCFs of *policy*, the undrawn rules and which
    limit tests which measure, as a short Markdown paragraph in *lang*.

    >>> from channelgraph.policy import Policy
    >>> text = exposure_rules_markdown(Policy(), "zh")
    >>> "银行承兑汇票 100%" in text and "信用转换系数" in text and "保证金" in text
    True
    >>> "performance guarantee 50%" in exposure_rules_markdown(Policy(), "en")
    True
    """
    rules = policy.exposure
    sep = "，" if lang == "zh" else ", "
    ccf = sep.join(f"{_ccf_name(k, lang)} {_factor_pct(v)}" for k, v in rules.ccf.items())
    limit = term(_T, "undrawn_limit_on" if rules.undrawn_from_limit else "undrawn_limit_off", lang)
    return "\n".join(
        [
            f"### {term(_T, 'how', lang)}",
            "",
            f"- {term(_T, 'how_formula', lang, ccf=ccf)}",
            f"- {term(_T, 'how_undrawn', lang, limit=limit)}",
            f"- {term(_T, 'how_limits', lang)}",
        ]
    )


_CCF_NAMES = {
    "commitment_up_to_one_year": ("贷款承诺（一年以内）", "commitment up to one year"),
    "commitment_over_one_year": ("贷款承诺（一年以上）", "commitment over one year"),
    "commitment_cancellable": ("可无条件撤销的贷款承诺", "unconditionally cancellable commitment"),
}


def _ccf_name(key: str, lang: str) -> str:
    """The name of a ``[exposure.ccf]`` key in *lang* (an exposure type, or a commitment's term)."""
    if key in _CCF_NAMES:
        return term(_CCF_NAMES, key, lang)
    try:
        t = ExposureType(key)
    except ValueError:
        return key
    return EXPOSURE_TYPE_ZH[t] if lang == "zh" else EXPOSURE_TYPE_EN[t]


def _factor_pct(factor) -> str:
    """A factor as a percentage without needless decimals: ``Decimal('0.2')`` → ``'20%'``."""
    pct = (Decimal(str(factor)) * 100).normalize()
    return f"{pct:f}%"


def _named(dataset, facilities: pd.DataFrame, which: str, lang: str) -> str:
    """The interbank (*which* = ``interbank``) or exempt customers by name, largest exposure first,
    with their exposure (and, for exempt ones, why); at most :data:`NAMED_MAX`."""
    ent = dataset.entities
    if which == "interbank":
        if "is_interbank" not in ent:
            return term(_T, "none", lang)
        pick = ent["is_interbank"].to_numpy(dtype=bool) & ent["is_customer"].to_numpy(dtype=bool)
    else:
        if "exempt" not in ent:
            return term(_T, "none", lang)
        pick = (ent["exempt"].fillna("").astype(str) != "").to_numpy(dtype=bool) & ent["is_customer"].to_numpy(
            dtype=bool
        )
    chosen = ent.loc[pick]
    if not len(chosen):
        return term(_T, "none", lang)
    per = facilities.groupby("customer_id", sort=False)["exposure_fen"].sum()
    items = []
    for eid, name, why in zip(
        chosen["id"].tolist(),
        chosen["name"].tolist(),
        chosen["exempt"].tolist() if which == "exempt" else [""] * len(chosen),
    ):
        items.append((-int(per.get(eid, 0)), str(eid), str(name), str(why)))
    items.sort()
    sep = "；" if lang == "zh" else "; "
    parts = []
    for neg, eid, name, why in items[:NAMED_MAX]:
        reason = f"{exempt_text(why, lang)}{'，' if lang == 'zh' else ', '}" if why else ""
        parts.append(
            f"{md(name)}（{md(eid)}，{reason}{format_yuan_human(-neg)}）"
            if lang == "zh"
            else f"{md(name)} ({md(eid)}, {reason}{format_yuan_human(-neg)})"
        )
    more = len(items) - NAMED_MAX
    text = sep.join(parts)
    if more > 0:
        text += (" " if lang == "en" else "") + term(_T, "and_more", lang, n=f"{more:,}")
    return text


def views_markdown(views, out_dir: Path, lang: str) -> str:
    """Links to the graph pages, relative to the report's folder."""
    pages = [Path(v) for v in (views or []) if Path(v).suffix == ".html"]
    lines = [f"## {term(_T, 'views', lang)}", ""]
    if not pages:
        return "\n".join(lines + [term(_T, "no_views", lang), ""])
    lines += [term(_T, "views_intro", lang), ""]
    index: dict[str, dict] = {}
    for folder in {p.parent for p in pages}:
        f = folder / "index.json"
        if f.exists():
            try:
                for item in json.loads(f.read_text(encoding="utf-8")):
                    index[str((folder / item["file"]).resolve())] = item
            except (ValueError, KeyError, TypeError):
                pass
    for p in pages:
        rel = os.path.relpath(p.resolve(), Path(out_dir).resolve()).replace(os.sep, "/")
        item = index.get(str(p.resolve()), {})
        title = item.get("title") or p.stem
        extra = []
        if "nodes" in item:
            extra.append(term(_T, "nodes", lang, n=f"{item['nodes']:,}"))
        if item.get("left_out_nodes"):
            extra.append(term(_T, "left_out", lang, n=f"{item['left_out_nodes']:,}"))
        tail = (" — " + ("，" if lang == "zh" else ", ").join(extra)) if extra else ""
        lines.append(f"- [{md(title)}]({quote(rel, safe='/')}){tail}")
    lines.append("")
    return "\n".join(lines)


def analysis_markdown(
    name: str, result: AnalysisResult, policy, lang: str, analyses: Sequence[Analysis] | None = None
) -> str:
    """The section of one analysis of *analyses* (:func:`~channelgraph.analyses.registry` by
    default): its own report, else its tables."""
    spec = next((a for a in (registry() if analyses is None else analyses) if a.name == name), None)
    title = (spec.title_zh if lang == "zh" else spec.title_en) if spec else name
    if spec is not None and spec.report is not None:
        try:
            text = spec.report(result, policy, lang)
            if text and text.strip():
                return text.strip() + "\n"
        except Exception as exc:  # noqa: BLE001 - a broken section must not lose the whole report
            warnings.warn(f"report section of {name!r} failed: {exc!r}", RuntimeWarning, stacklevel=2)
            return "\n".join(
                [
                    f"## {title}",
                    "",
                    term(_T, "failed", lang, err=type(exc).__name__),
                    "",
                    _tables_markdown(result, lang),
                ]
            )
    return "\n".join([f"## {title}", "", _tables_markdown(result, lang)])


def _tables_markdown(result: AnalysisResult, lang: str) -> str:
    parts = []
    for tname, df in result.tables.items():
        parts += [f"### {tname}", "", table_markdown(df, lang, tname), ""]
    return "\n".join(parts)


def report_markdown(
    results: dict,
    dataset,
    lang: str = "zh",
    views=None,
    out_dir: str | Path = ".",
    mask: bool = True,
    analyses: Sequence[Analysis] | None = None,
) -> str:
    """The whole report as Markdown; the sections' titles, order and reports are those of
    *analyses* (:func:`~channelgraph.analyses.registry` by default)."""
    lang = "zh" if lang == "zh" else "en"
    pol = dataset.policy
    src = term(_T, "defaults", lang) if pol.source == "defaults" else Path(pol.source).name
    name = getattr(dataset, "name", "") or "—"
    colon = "：" if lang == "zh" else ": "
    with masking(mask):  # every md() of the data, the analyses' own sections included
        parts = [
            f"# {term(_T, 'title', lang)}",
            "",
            f"{term(_T, 'data', lang)}{colon}{md(name)} · {term(_T, 'policy', lang)}{colon}{md(src)} · "
            + term(_T, "masked" if mask else "unmasked", lang),
            "",
            summary_markdown(dataset, lang, getattr(results.get("risk"), "facility_exposures", None)),
            views_markdown(views, Path(out_dir), lang),
        ]
        analyses = registry() if analyses is None else analyses
        order = {a.name: i for i, a in enumerate(analyses)}
        for aname in sorted(results, key=lambda n: (order.get(n, 10**6), n)):
            parts.append(analysis_markdown(aname, results[aname], pol, lang, analyses))
    parts.append("---\n\n" + term(_T, "footer", lang, v=__version__) + "\n")
    text = "\n".join(parts)
    # md() masked every value; this pass is a net for any value a section wrote without it
    return mask_text(text) if mask else text


def write_report(
    results: dict, dataset, out_dir: str | Path, lang: str = "zh", views=None, mask: bool = True
) -> list[Path]:
    """Write ``report.md`` and ``report.html`` into *out_dir*; returns both paths.

    *views* are the paths :func:`channelgraph.viz.write_views` returned (HTML pages are
    linked, relative to *out_dir*).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = report_markdown(results, dataset, lang, views, out, mask)
    md_path = out / "report.md"
    md_path.write_text(md, encoding="utf-8", newline="\n")
    html_path = out / "report.html"
    html_path.write_text(report_html(md, lang), encoding="utf-8", newline="\n")
    return [md_path, html_path]
