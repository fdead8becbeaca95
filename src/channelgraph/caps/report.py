"""The committee report on the draft caps, in Chinese (``zh``) or English (``en``).

:func:`caps_report_markdown` is the whole document (``caps_report.md``), :func:`write_caps_report`
writes it with its HTML twin (``caps_report.html``: self-contained, inline CSS, a strict
Content-Security-Policy, every text HTML-escaped — rendered by
:func:`channelgraph.report.report_html`), and :func:`caps_section` is the ``## 渠道方案限额``
section of the run's ``report.md`` (the registry's ``report=`` callable).

Everything is rendered from the caps tables and the policy, so the CSV, the JSON and the
report never disagree. Every value from the data goes through
:func:`channelgraph.report.markdown.md` (a table cell is data unless it is our own
:class:`~channelgraph.report.markdown.Md`): escaped for Markdown, and ID-card and phone
numbers masked unless ``mask=False``. Amounts are exact to the fen: thousands separators in English, 万元 in
Chinese (with as many decimals as the fen needs).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from ..model import decimal_number as _num
from ..model import decimal_percent as _pct
from ..model import fraction_of
from ..policy import Policy
from ..report.markdown import Md, masking, md, md_money, md_table
from ..viz.mask import mask_text
from ..terms import term

#: Rows per table in the report (the CSV files hold everything).
REPORT_ROWS = 10

_T = {
    "doc_title": ("渠道专属方案限额草案", "Draft exposure caps for channel schemes"),
    "section_title": ("渠道方案限额", "Scheme caps"),
    "draft_note": ("草案，供授信审批委员会审议", "draft for the credit committee"),
    "data": ("数据", "Data"),
    "policy": ("参数", "Policy"),
    "defaults": ("内置默认值", "built-in defaults"),
    "intro": (
        (
            "每个渠道专属方案（面向某商会会员、某专业市场商户或某中介客户的产品）拟定三项限额：方案总额上限、"
            "单户上限、单一风险源上限。每项限额注明起约束作用的规则，并列出现有业务已超出草案的方案、借款人和风险源。"
            "完整数据见 `caps.csv`、`scheme_borrower_caps.csv`、`scheme_risk_sources.csv`、`caps_breaches.csv`。"
        ),
        (
            "For each channel scheme (a product for one chamber's members, one market's merchants, one intermediary's "
            "clients): a total cap, a per-borrower cap and a single-risk-source cap, each with the rule that bound it, "
            "and where today's book already breaks them. Full tables: `caps.csv`, `scheme_borrower_caps.csv`, "
            "`scheme_risk_sources.csv`, `caps_breaches.csv`."
        ),
    ),
    "policy_h": ("参数取值", "Policy values used"),
    "overview_h": ("总览", "Overview"),
    "method_h": ("方法与依据", "Method and sources"),
    "no_schemes": (
        "数据中没有渠道专属方案（`schemes.csv` 为空或缺失）。",
        "The dataset has no channel schemes (`schemes.csv` is empty or missing).",
    ),
    "caps_h": ("限额与约束规则", "Caps and the rules that bind them"),
    "use_h": ("额度使用", "Utilisation"),
    "breach_h": ("已超出草案", "Already above the draft"),
    "no_breach": ("现有业务未超出本方案的任何草案限额。", "Today's book is within every cap of this scheme."),
    "group_h": ("受关联客户组余量约束的会员/借款人", "Members and borrowers held by their group's headroom"),
    "sources_h": ("单一风险源", "Single risk sources"),
    "masked": ("证件号、电话已脱敏显示。", "ID-card and phone numbers are masked."),
    "unmasked": (
        "注意：本报告未脱敏，含证件号、电话等个人信息，请勿外传。",
        "Warning: not masked — this report shows ID-card and phone numbers; do not share it.",
    ),
    "more": (
        "（共 {n} 行，此处显示前 {k} 行；完整数据见 `{name}.csv`）",
        "({n} rows, the first {k} shown; all in `{name}.csv`)",
    ),
}

_BREACH = {
    "scheme_total": ("方案总额超上限", "scheme above its total cap"),
    "borrower": ("借款人超单户上限", "borrower above its cap"),
    "risk_source": ("单一风险源超上限", "risk source above its cap"),
    "group_limit": ("关联客户组已超限额", "group of connected clients above its limit"),
}
_PB_BINDING = {
    "single_customer": ("单一客户限额", "the single-customer limit"),
    "loan_limit": ("单一借款人贷款限额", "the loan limit"),
    "scheme_policy": ("方案政策", "the scheme policy"),
    "quality": ("经渠道质量调整的方案政策", "the quality-adjusted scheme policy"),
}
_KIND = {
    "chamber": ("商会", "chamber"),
    "market": ("专业市场", "market"),
    "intermediary": ("中介机构", "intermediary"),
    "person": ("个人", "person"),
    "enterprise": ("企业", "enterprise"),
    "guarantor": ("担保人", "guarantor"),
    "controller": ("实际控制人", "controller"),
    "key_person": ("关键人", "key person"),
    "scheme": ("方案", "scheme"),
    "group": ("关联客户组", "group of connected clients"),
}
_STATUS = {
    "ok": ("未超限", "ok"),
    "breach": (Md("**超限**"), Md("**breach**")),
    "not_tested": ("不检验（借款人少于 {n} 户）", "not tested (fewer than {n} borrowers)"),
}


def wan_exact(fen: int) -> str:
    """Fen as 万元 exactly (two to six decimals): ``wan_exact(1355392075)`` → ``'1,355.392075万元'``.

    >>> wan_exact(621000000), wan_exact(-50), wan_exact(1234567)
    ('621.00万元', '-0.00005万元', '1.234567万元')
    """
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 1_000_000)
    frac = f"{r:06d}".rstrip("0")
    frac = frac + "0" * (2 - len(frac)) if len(frac) < 2 else frac
    return f"{sign}{q:,}.{frac}万元"


def _money(fen, lang: str) -> Md:
    """An amount as the caps report shows it: exact 万元 in Chinese (ties out to the fen)."""
    return md_money(fen, lang, wan=wan_exact)


def _share_pct(ratio_text: str) -> str:
    """A ratio string of the tables (truncated) as a percentage truncated to two decimals."""
    if not ratio_text:
        return "—"
    q = (Decimal(ratio_text) * 10000).to_integral_value(rounding="ROUND_FLOOR")
    ip, fp = divmod(int(q), 100)
    return f"{ip}.{fp:02d}%"


def _hhi(ratio_text: str) -> str:
    if not ratio_text:
        return "—"
    return ratio_text[: ratio_text.index(".") + 5]


def _more(n: int, name: str, lang: str) -> list[str]:
    return [term(_T, "more", lang, n=f"{n:,}", k=REPORT_ROWS, name=name), ""] if n > REPORT_ROWS else []


def _kind(k: str, lang: str) -> str:
    return term(_KIND, k, lang) if k in _KIND else k


# ----------------------------------------------------------------------------- plain-words rules


def _quality_words(r, policy: Policy, lang: str) -> str:
    c = policy.caps
    flags = set(str(r.quality_flags).split(";")) - {""}
    zh = lang == "zh"
    parts = []
    nn = _share_pct(r.non_normal_share)
    if "non_normal_high" in flags:
        parts.append(
            f"关注类及以下贷款占比 {nn} > {_pct(c.non_normal_share_high)}：×{_num(c.non_normal_factor_high)}"
            if zh
            else f"non-normal share {nn} > {_pct(c.non_normal_share_high)}: ×{_num(c.non_normal_factor_high)}"
        )
    elif "non_normal" in flags:
        parts.append(
            f"关注类及以下贷款占比 {nn} > {_pct(c.non_normal_share_above)}：×{_num(c.non_normal_factor)}"
            if zh
            else f"non-normal share {nn} > {_pct(c.non_normal_share_above)}: ×{_num(c.non_normal_factor)}"
        )
    else:
        parts.append(
            f"关注类及以下贷款占比 {nn} ≤ {_pct(c.non_normal_share_above)}"
            if zh
            else f"non-normal share {nn} ≤ {_pct(c.non_normal_share_above)}"
        )
    if not r.hhi:
        parts.append("集中度不适用（无贷款）" if zh else "concentration n/a (no outstanding)")
    elif "concentration" in flags:
        parts.append(
            f"客户集中度 HHI {_hhi(r.hhi)} > {_num(c.hhi_above)}：×{_num(c.concentration_factor)}"
            if zh
            else f"concentration HHI {_hhi(r.hhi)} > {_num(c.hhi_above)}: ×{_num(c.concentration_factor)}"
        )
    else:
        parts.append(
            f"客户集中度 HHI {_hhi(r.hhi)} ≤ {_num(c.hhi_above)}"
            if zh
            else f"concentration HHI {_hhi(r.hhi)} ≤ {_num(c.hhi_above)}"
        )
    pen = _share_pct(r.penetration)
    if not r.penetration:
        parts.append("渗透率不适用（无会员）" if zh else "penetration n/a (no members)")
    elif "low_penetration" in flags:
        parts.append(
            f"渗透率（会员中本行客户占比）{pen} < {_pct(c.penetration_below)}：×{_num(c.penetration_factor)}"
            if zh
            else f"penetration (customers among members) {pen} < {_pct(c.penetration_below)}: "
            f"×{_num(c.penetration_factor)}"
        )
    else:
        parts.append(
            f"渗透率（会员中本行客户占比）{pen} ≥ {_pct(c.penetration_below)}"
            if zh
            else f"penetration (customers among members) {pen} ≥ {_pct(c.penetration_below)}"
        )
    return ("；" if zh else "; ").join(parts)


def _round_words(raw: int, cap: int, policy: Policy, lang: str) -> str:
    if raw == cap:
        return ""
    unit = _money(policy.caps.rounding_fen, lang)
    return f"，向下取整至 {unit} 的整数倍" if lang == "zh" else f", rounded down to a multiple of {unit}"


def total_words(r, policy: Policy, lang: str) -> str:
    """The total cap's rule in plain words."""
    m = lambda x: _money(x, lang)
    c = policy.caps
    q = Decimal(r.quality_factor)
    raw = min(int(r.appetite_fen), int(r.quality_adjusted_fen))
    rnd = _round_words(raw, int(r.cap_total_fen), policy, lang)
    qw = _quality_words(r, policy, lang)
    if lang == "zh":
        s = f"一级资本净额 {m(policy.tier1_capital_fen)} × 方案总额占比 {_pct(c.scheme_total_share)} = {m(r.appetite_fen)}"
        if r.total_binding == "quality":
            s += f"；乘以渠道质量系数 {_num(q)}（{qw}）= {m(r.quality_adjusted_fen)}"
        else:
            s += f"；渠道质量系数 1（{qw}）"
        return Md(s + f"{rnd} → **{m(r.cap_total_fen)}**")
    s = f"{_pct(c.scheme_total_share)} of tier-1 capital {m(policy.tier1_capital_fen)} = {m(r.appetite_fen)}"
    if r.total_binding == "quality":
        s += f"; times the channel-quality factor {_num(q)} ({qw}) = {m(r.quality_adjusted_fen)}"
    else:
        s += f"; channel-quality factor 1 ({qw})"
    return Md(s + f"{rnd} → **{m(r.cap_total_fen)}**")


def per_borrower_words(r, policy: Policy, lang: str) -> str:
    """The scheme-level per-borrower cap's rule in plain words."""
    m = lambda x: _money(x, lang)
    lim = policy.limits
    adj = int(r.policy_per_borrower_adjusted_fen) < int(r.policy_per_borrower_fen)
    raw = min(
        int(r.single_customer_limit_fen),
        int(r.loan_limit_fen),
        int(r.policy_per_borrower_fen),
        int(r.policy_per_borrower_adjusted_fen),
    )
    rnd = _round_words(raw, int(r.cap_per_borrower_fen), policy, lang)
    if lang == "zh":
        items = [
            f"单一客户限额（一级资本净额 {_pct(lim.single_customer_share)}）{m(r.single_customer_limit_fen)}",
            f"单一借款人贷款限额（资本净额 {_pct(lim.single_borrower_net_capital_share)}）{m(r.loan_limit_fen)}",
            f"方案政策每户 {m(r.policy_per_borrower_fen)}",
        ]
        if adj:
            items.append(f"按渠道质量系数 {_num(r.quality_factor)} 调整后 {m(r.policy_per_borrower_adjusted_fen)}")
        return Md(
            f"取最小值：{'；'.join(items)}{rnd} → **{m(r.cap_per_borrower_fen)}**"
            f"（约束项：{term(_PB_BINDING, r.per_borrower_binding, 'zh')}）"
        )
    items = [
        f"single-customer limit ({_pct(lim.single_customer_share)} of tier-1) {m(r.single_customer_limit_fen)}",
        (
            f"loans-to-one-borrower limit ({_pct(lim.single_borrower_net_capital_share)} of net capital) "
            f"{m(r.loan_limit_fen)}"
        ),
        f"scheme policy {m(r.policy_per_borrower_fen)}",
    ]
    if adj:
        items.append(
            f"the policy × the quality factor {_num(r.quality_factor)} = {m(r.policy_per_borrower_adjusted_fen)}"
        )
    return Md(
        f"the smallest of: {'; '.join(items)}{rnd} → **{m(r.cap_per_borrower_fen)}** "
        f"(bound by {term(_PB_BINDING, r.per_borrower_binding, 'en')})"
    )


def single_source_words(r, policy: Policy, lang: str) -> str:
    """The single-risk-source cap's rule in plain words."""
    m = lambda x: _money(x, lang)
    c = policy.caps
    raw = fraction_of(int(r.cap_total_fen), c.single_source_share)
    rnd = _round_words(raw, int(r.cap_single_risk_source_fen), policy, lang)
    if lang == "zh":
        return Md(
            f"方案总额上限 {m(r.cap_total_fen)} × {_pct(c.single_source_share)} = {m(raw)}{rnd} → "
            f"**{m(r.cap_single_risk_source_fen)}**；适用于方案内至少 {c.single_source_min_borrowers} 户借款人"
            f"共同依赖的担保人、实际控制人、中介、市场、商会或关键人；方案所属渠道 {md(r.channel_id)} 本身不计"
            "（方案依托该渠道设立，由总额上限控制）"
        )
    return Md(
        f"{_pct(c.single_source_share)} of the total cap {m(r.cap_total_fen)} = {m(raw)}{rnd} → "
        f"**{m(r.cap_single_risk_source_fen)}**; applies to any guarantor, controller, intermediary, market, "
        f"chamber or key person behind at least {c.single_source_min_borrowers} of the scheme's borrowers; "
        f"the scheme's own channel {md(r.channel_id)} is not counted (the scheme rests on it by design; the total "
        "cap controls that)"
    )


# ----------------------------------------------------------------------------- sections


def policy_markdown(policy: Policy, lang: str) -> str:
    """The table of policy values used."""
    zh = lang == "zh"
    m = lambda x: _money(x, lang)
    lim, c = policy.limits, policy.caps
    t1, nc = policy.tier1_capital_fen, policy.net_capital_fen
    yes_no = (
        ("是" if c.quality_adjusts_per_borrower else "否")
        if zh
        else ("yes" if c.quality_adjusts_per_borrower else "no")
    )
    rows = [
        ("一级资本净额" if zh else "Tier-1 capital", m(t1), "tier1_capital"),
        ("资本净额" if zh else "Net capital", m(nc), "net_capital"),
        (
            (
                f"单一非同业客户限额（一级资本净额 {_pct(lim.single_customer_share)}）"
                if zh
                else f"Single non-interbank customer limit ({_pct(lim.single_customer_share)} of tier-1)"
            ),
            m(fraction_of(t1, lim.single_customer_share)),
            "limits.single_customer_share",
        ),
        (
            (
                f"一组非同业关联客户限额（一级资本净额 {_pct(lim.group_share)}）"
                if zh
                else f"Group of connected customers limit ({_pct(lim.group_share)} of tier-1)"
            ),
            m(fraction_of(t1, lim.group_share)),
            "limits.group_share",
        ),
        (
            (
                f"单一借款人贷款限额（资本净额 {_pct(lim.single_borrower_net_capital_share)}）"
                if zh
                else f"Loans to one borrower ({_pct(lim.single_borrower_net_capital_share)} of net capital)"
            ),
            m(fraction_of(nc, lim.single_borrower_net_capital_share)),
            "limits.single_borrower_net_capital_share",
        ),
        (
            (
                f"方案总额占比（一级资本净额 {_pct(c.scheme_total_share)}）"
                if zh
                else f"Scheme appetite ({_pct(c.scheme_total_share)} of tier-1)"
            ),
            m(fraction_of(t1, c.scheme_total_share)),
            "caps.scheme_total_share",
        ),
        ("方案政策每户上限" if zh else "Scheme policy per borrower", m(c.per_borrower_fen), "caps.per_borrower"),
        (
            "单一风险源占方案总额上限比例" if zh else "Single risk source, share of the total cap",
            _pct(c.single_source_share),
            "caps.single_source_share",
        ),
        (
            "单一风险源检验的最少借款人数" if zh else "Borrowers behind a source before it is tested",
            str(c.single_source_min_borrowers),
            "caps.single_source_min_borrowers",
        ),
        ("取整单位（向下取整）" if zh else "Rounding unit (down)", m(c.rounding_fen), "caps.rounding"),
        (
            "关注类及以下占比 > 阈值：系数" if zh else "Non-normal share above: factor",
            (
                f"> {_pct(c.non_normal_share_above)}: ×{_num(c.non_normal_factor)}; "
                f"> {_pct(c.non_normal_share_high)}: ×{_num(c.non_normal_factor_high)}"
            ),
            "caps.non_normal_share_above / non_normal_factor / non_normal_share_high / non_normal_factor_high",
        ),
        (
            "客户集中度 HHI > 阈值：系数" if zh else "Concentration HHI above: factor",
            f"> {_num(c.hhi_above)}: ×{_num(c.concentration_factor)}",
            "caps.hhi_above / concentration_factor",
        ),
        (
            "渗透率 < 阈值：系数" if zh else "Penetration below: factor",
            f"< {_pct(c.penetration_below)}: ×{_num(c.penetration_factor)}",
            "caps.penetration_below / penetration_factor",
        ),
        (
            "质量系数同时调整每户上限" if zh else "Quality factor also applied per borrower",
            yes_no,
            "caps.quality_adjusts_per_borrower",
        ),
    ]
    head = ["项目", "取值", "参数键"] if zh else ["item", "value", "policy key"]
    return md_table(head, [[a, b, Md(f"`{k}`")] for a, b, k in rows], ["---", "--:", "---"])


def overview_markdown(caps, lang: str) -> str:
    zh = lang == "zh"
    head = (
        ["方案", "名称", "渠道", "总额上限", "单户上限", "单一风险源上限", "已用额度", "剩余额度", "状态"]
        if zh
        else [
            "scheme",
            "name",
            "channel",
            "total cap",
            "per borrower",
            "single source",
            "utilised",
            "headroom",
            "status",
        ]
    )
    rows = [
        [
            r.scheme_id,
            r.scheme_name,
            f"{r.channel_id} {r.channel_name}",
            _money(r.cap_total_fen, lang),
            _money(r.cap_per_borrower_fen, lang),
            _money(r.cap_single_risk_source_fen, lang),
            _money(r.utilized_fen, lang),
            _money(r.headroom_fen, lang),
            term(_STATUS, r.status, lang),
        ]
        for r in caps.itertuples(index=False)
    ]
    return md_table(head, rows, ["---", "---", "---", "--:", "--:", "--:", "--:", "--:", "---"])


def _split_by_scheme(table: pd.DataFrame | None) -> dict[str, tuple[list, int]]:
    """scheme id → (its first ``REPORT_ROWS`` rows in table order, as ``itertuples`` rows; its row count).

    One pass over the table for every scheme, and only the rows the report shows are read out.
    """
    if table is None or not len(table):
        return {}
    codes, uniques = pd.factorize(table["scheme_id"].to_numpy(dtype=object))
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(uniques))
    starts = np.cumsum(counts) - counts
    shown = np.minimum(counts, REPORT_ROWS)
    rows = list(table.iloc[np.concatenate([order[a : a + k] for a, k in zip(starts, shown)])].itertuples())
    out, i = {}, 0
    for sid, n, k in zip(uniques.tolist(), counts.tolist(), shown.tolist()):
        out[sid] = (rows[i : i + k], n)
        i += k
    return out


class SchemeRows:
    """The rows of the breach, borrower and risk-source tables that the report shows, by scheme.

    Split once for the whole report (a scan per scheme would cost schemes × rows).
    """

    def __init__(self, tables: dict):
        bt = tables.get("scheme_borrower_caps")
        self.breaches = _split_by_scheme(tables.get("caps_breaches"))
        self.group_bound = _split_by_scheme(bt[bt["binding"] == "group"] if bt is not None and len(bt) else None)
        self.sources = _split_by_scheme(tables.get("scheme_risk_sources"))
        # the borrowers a risk source already above its cap holds at 0, counted by (scheme, source)
        self.held_by_source: dict[str, list] = {}
        src = tables.get("scheme_risk_sources")
        if bt is not None and len(bt) and "risk_source_id" in bt.columns and src is not None and len(src):
            over = src[src["status"] == "breach"]
            names = dict(zip(zip(over["scheme_id"], over["source_id"]), over["name"]))
            held = bt[(bt["binding"] == "risk_source") & (bt["cap_fen"] == 0) & (bt["status"] == "breach")]
            counts = held.groupby(["scheme_id", "risk_source_id"], sort=True).size()
            for (sid, source), k in counts.items():
                if (sid, source) in names:
                    self.held_by_source.setdefault(sid, []).append((source, names[sid, source], int(k)))
        # every group above its limit that a scheme lends to, with the members borrowing under it
        br = tables.get("caps_breaches")
        self.groups_over: dict[str, list] = {}
        self.group_members: dict[tuple[str, str], list] = {}
        if br is not None and len(br):
            hit = br[br["breach_type"] == "group_limit"]
            for x in hit.itertuples(index=False):
                self.groups_over.setdefault(x.scheme_id, []).append(x)
            if len(hit) and bt is not None and len(bt):
                wanted = set(zip(hit["scheme_id"], hit["subject_id"]))
                cur = "current_exposure_fen" if "current_exposure_fen" in bt.columns else "current_outstanding_fen"
                rows = bt[bt["is_borrower"].astype(bool) & bt["group_id"].isin(set(hit["subject_id"]))]
                for y in rows.itertuples(index=False):
                    if (y.scheme_id, y.group_id) in wanted:
                        self.group_members.setdefault((y.scheme_id, y.group_id), []).append(
                            (y.customer_id, y.name, int(getattr(y, cur)))
                        )


def scheme_markdown(r, tables: dict, policy: Policy, lang: str, level: int, rows: SchemeRows | None = None) -> str:
    """One scheme: caps with rules, utilisation, breaches, group-bound members, risk sources.

    *rows* is :class:`SchemeRows` of *tables* (built here when not given; pass it when
    rendering many schemes).
    """
    rows = rows if rows is not None else SchemeRows(tables)
    zh = lang == "zh"
    m = lambda x: _money(x, lang)
    h = "#" * level
    sid = r.scheme_id
    kind = _kind(r.channel_kind, lang)
    sid_, name, cid, cname, kind = md(sid), md(r.scheme_name), md(r.channel_id), md(r.channel_name), md(kind)
    title = f"{h} {sid_} {name}（{cid} {cname}，{kind}）" if zh else f"{h} {sid_} {name} ({cid} {cname}, {kind})"
    out = [title, ""]
    head = ["限额", "金额", "约束规则"] if zh else ["cap", "amount", "binding rule"]
    out += [
        f"{h}# {term(_T, 'caps_h', lang)}",
        "",
        md_table(
            head,
            [
                ["方案总额上限" if zh else "total", m(r.cap_total_fen), total_words(r, policy, lang)],
                ["单户上限" if zh else "per borrower", m(r.cap_per_borrower_fen), per_borrower_words(r, policy, lang)],
                [
                    "单一风险源上限" if zh else "single risk source",
                    m(r.cap_single_risk_source_fen),
                    single_source_words(r, policy, lang),
                ],
            ],
            ["---", "--:", "---"],
        ),
        "",
    ]
    util = _share_pct(r.utilization) if r.utilization else "—"
    nominal = int(getattr(r, "utilized_outstanding_fen", r.utilized_fen))
    differs = nominal != int(r.utilized_fen)
    if zh:
        out += [
            f"{h}# {term(_T, 'use_h', lang)}",
            "",
            f"- 方案项下贷款 {r.facilities} 笔、借款人 {r.borrowers} 户，"
            + (f"风险暴露 {m(r.utilized_fen)}（余额 {m(nominal)}），" if differs else f"余额 {m(r.utilized_fen)}，")
            + f"占总额上限 {util}；剩余额度 {m(r.headroom_fen)}"
            + ("（**已超出**）。" if int(r.headroom_fen) < 0 else "。"),
            (
                f"- 渠道会员 {r.channel_members} 个，其中本行客户 {r.channel_member_customers} 户，会员授信余额合计 "
                f"{m(r.channel_members_outstanding_fen)}（含方案外贷款）；渠道业务（会员及方案借款人的全部贷款）"
                f"{m(r.channel_book_fen)}。"
            ),
            "",
        ]
    else:
        out += [
            f"{h}# {term(_T, 'use_h', lang)}",
            "",
            f"- {r.facilities} facilities to {r.borrowers} borrowers under the scheme, "
            + (
                f"exposure {m(r.utilized_fen)} (outstanding {m(nominal)})"
                if differs
                else f"outstanding {m(r.utilized_fen)}"
            )
            + f" = {util} of the total cap; headroom {m(r.headroom_fen)}"
            + (" (**over the cap**)." if int(r.headroom_fen) < 0 else "."),
            (
                f"- The channel has {r.channel_members} members, {r.channel_member_customers} of them customers; the "
                f"members owe {m(r.channel_members_outstanding_fen)} in all (inside and outside the scheme); the "
                f"channel's book (every facility of members and scheme borrowers) is {m(r.channel_book_fen)}."
            ),
            "",
        ]

    shown, n = rows.breaches.get(sid, ([], 0))
    out += [f"{h}# {term(_T, 'breach_h', lang)}", ""]
    if not n:
        out += [term(_T, "no_breach", lang), ""]
    else:
        bh = (
            ["类型", "对象", "名称", "类别", "现有金额", "上限", "超出"]
            if zh
            else ["type", "subject", "name", "kind", "current", "cap", "excess"]
        )
        cells = [
            [
                term(_BREACH, x.breach_type, lang),
                x.subject_id,
                x.subject_name,
                _kind(x.subject_kind, lang),
                m(x.current_fen),
                m(x.cap_fen),
                m(x.excess_fen),
            ]
            for x in shown
        ]
        out += [md_table(bh, cells, ["---"] * 4 + ["--:"] * 3), ""] + _more(n, "caps_breaches", lang)
    for source, name, k in rows.held_by_source.get(sid, []):
        out += [
            (
                f"- 单一风险源 {md(source)}（{md(name)}）已超上限：依赖它的 {k} 户借款人单户上限为零（见上表及“单一风险源”）。"
                if zh
                else f"- Risk source {md(source)} ({md(name)}) is already above its cap: the {k} borrower"
                f"{'s' if k != 1 else ''} depending on it {'are' if k != 1 else 'is'} capped at 0 (above, and "
                "under single risk sources)."
            ),
            "",
        ]
    out += _groups_over_markdown(sid, rows, lang)

    shown, n = rows.group_bound.get(sid, ([], 0))
    if n:
        out += [
            f"{h}# {term(_T, 'group_h', lang)}",
            "",
            (
                "单户上限另受其所在关联客户组剩余额度约束：组剩余额度（组限额减去组风险暴露）在各方案的组内成员之间分配，"
                "每户上限为其方案项下现有风险暴露加分得的份额。"
                if zh
                else "A member's cap is also held by its group's remaining room: the room (the group limit less the "
                "group's exposure) is shared among the group's members in every scheme, and a member's cap is its "
                "exposure under the scheme plus its share."
            ),
            "",
        ]
        gh = (
            ["客户", "名称", "关联客户组", "组风险暴露", "组剩余额度", "方案项下余额", "单户上限"]
            if zh
            else ["customer", "name", "group", "group exposure", "group headroom", "under the scheme", "cap"]
        )
        cells = [
            [
                x.customer_id,
                x.name,
                x.group_id,
                m(x.group_exposure_fen),
                m(x.group_headroom_fen),
                m(x.current_outstanding_fen),
                m(x.cap_fen),
            ]
            for x in shown
        ]
        out += [md_table(gh, cells, ["---"] * 3 + ["--:"] * 4), ""] + _more(n, "scheme_borrower_caps", lang)

    shown, n = rows.sources.get(sid, ([], 0))
    if n:
        out += [f"{h}# {term(_T, 'sources_h', lang)}", ""]
        sh = (
            ["风险源", "名称", "类别", "方案借款人", "依赖余额", "占方案余额", "状态"]
            if zh
            else ["source", "name", "type", "scheme borrowers", "exposure", "share of scheme", "status"]
        )
        n_min = policy.caps.single_source_min_borrowers
        cells = [
            [
                x.source_id,
                x.name,
                _kind(x.source_type, lang),
                x.scheme_borrowers,
                m(x.exposure_fen),
                _share_pct(x.share_of_scheme),
                term(_STATUS, x.status, lang, n=n_min),
            ]
            for x in shown
        ]
        out += [md_table(sh, cells, ["---"] * 3 + ["--:"] * 3 + ["---"]), ""] + _more(n, "scheme_risk_sources", lang)
    return "\n".join(out)


def _groups_over_markdown(sid: str, rows: SchemeRows, lang: str) -> list[str]:
    """One line per group of connected clients above its limit whose members borrow under the
    scheme: the group by id and name, its exposure, its limit, and those members."""
    m = lambda x: _money(x, lang)
    out = []
    for x in rows.groups_over.get(sid, []):
        members = rows.group_members.get((sid, x.subject_id), [])
        sep = "、" if lang == "zh" else ", "
        listed = sep.join(
            f"{md(i)} {md(nm)}（{m(c)}）" if lang == "zh" else f"{md(i)} {md(nm)} ({m(c)})" for i, nm, c in members
        )
        if lang == "zh":
            out.append(
                f"- **关联客户组 {md(x.subject_id)}（{md(x.subject_name)}）已超限额**：风险暴露 {m(x.current_fen)}，"
                f"限额 {m(x.cap_fen)}，超出 {m(x.excess_fen)}。本方案项下借款的组内成员（方案项下风险暴露）：{listed}。"
                "组内成员在本方案下不得新增额度。"
            )
        else:
            out.append(
                f"- **Group of connected clients {md(x.subject_id)} ({md(x.subject_name)}) is above its limit**: "
                f"exposure {m(x.current_fen)}, limit {m(x.cap_fen)}, excess {m(x.excess_fen)}. Its members borrowing "
                f"under this scheme (exposure under the scheme): {listed}. No new lending to them under the scheme."
            )
    return out + [""] if out else []


def method_markdown(lang: str) -> str:
    if lang == "zh":
        lines = [
            (
                "- 单户上限另按每个会员/借款人测算：不超过方案单户上限，且在其全部风险暴露计入后不超过单一客户限额"
                "（同业客户适用同业客户限额），贷款计入后不超过单一借款人贷款限额（同业客户、豁免主体不适用）；"
                "豁免主体不受大额风险暴露限额约束（仅报告）。同一客户出现在多个方案时，其单一客户限额和贷款限额的剩余额度在各方案之间分配（方法同下），不重复使用。"
            ),
            (
                "- 关联客户组的剩余额度在各方案所有组内成员之间分配，不重复使用：平均分配，"
                "但每户不超过其其他限额允许的新增额度，用不完的部分再分给其他成员；不能整除的零头（分）按表内顺序"
                "（方案、方案项下风险暴露由大到小、客户编号）逐户补足。已超限额的关联客户组，其成员额度为现有风险暴露减去全部超出额。"
            ),
            (
                "- 借款人依赖的单一风险源（经检验的）剩余额度按同样方法在本方案内依赖该风险源的会员/借款人之间分配；"
                "风险源已超上限的，其依赖客户的单户上限为零。"
            ),
            (
                "- 风险暴露 = 表内余额 + 表外项目名义金额 × 信用转换系数 − 认可的现金保证金（见 README “How exposure is measured”）；"
                "方案额度使用、单户上限、组剩余额度均按风险暴露计算，渠道质量（关注类占比、集中度）按授信余额（表内贷款与表外项目名义金额）计算。"
            ),
            "- 关联客户组、单一风险源沿用风险分析结果（控制、担保、供应、亲属关系；担保、控制、会员、获客依赖）。",
            "- 金额以分为单位精确计算，比例精确比较；所有限额向下取整。",
            (
                "- 依据：《商业银行大额风险暴露管理办法》（原银保监会 2018 年第 1 号令）第七条（单一非同业客户 ≤ 一级资本净额 15%）、"
                "第八条（一组非同业关联客户 ≤ 一级资本净额 20%）；同业单一客户或集团客户 ≤ 一级资本净额 25%（条款号未经原文核实）；"
                "《商业银行法》第三十九条（对同一借款人的贷款余额与商业银行资本余额的比例不得超过百分之十；"
                "本行以参数中的资本净额作为该条所称资本余额计算）；"
                "渠道专属方案要素：额度控制、规避单一风险源、专属产品并非满足所有客户需求。"
            ),
        ]
    else:
        lines = [
            (
                "- Each member and borrower also gets an individual cap: at most the scheme's per-borrower cap and, with "
                "all their other exposure counted, within the single-customer limit (the interbank limit for an "
                "interbank customer) and, with their other loans counted, the loans-to-one-borrower limit (not applied "
                "to interbank or exempt borrowers); exempt borrowers are not capped by the large-exposure limits "
                "(reported only). A customer in several schemes shares its own remaining room under each of the two "
                "limits among them (as below), never using it twice."
            ),
            (
                "- A group's remaining room is shared among its members' rows in every scheme, never handed out "
                "twice: in equal shares, none larger than what the member's other limits let it use, what one cannot "
                "use going to the others; fen that do not divide go one each in table order (scheme, exposure under "
                "it descending, customer id). A group already above its limit takes its whole excess off each member."
            ),
            (
                "- The remaining room of a tested single risk source a borrower depends on is shared the same way "
                "among the source's dependants in the scheme; when the source is already above its cap, their cap "
                "is 0."
            ),
            (
                '- Exposure is on-balance + CCF × off-balance − recognised cash margin (README "How exposure is '
                'measured"); scheme use, caps and group room are on exposure, channel quality (non-normal share, '
                "concentration) on outstanding."
            ),
            (
                "- Groups of connected clients and single risk sources are the risk analysis' (control, guarantee, "
                "supply and family ties; guaranteed, controlled, member and sourced dependants)."
            ),
            "- Amounts are exact integer fen, ratios are compared exactly, every cap is rounded down.",
            (
                "- Sources: CBIRC Order 2018 No. 1 on large exposures, art. 7 (single non-interbank customer ≤ 15% of "
                "tier-1) and art. 8 (group of connected non-interbank customers ≤ 20% of tier-1), interbank customer or "
                "group ≤ 25% of tier-1 (article number not verified against the primary text); Commercial Banking "
                "Law art. 39 (loans to one borrower ≤ 10% of the bank's "
                "capital balance, 资本余额; the bank uses the policy's net capital for it); the elements of a channel "
                "scheme: a cap on "
                "the amount, no single risk source, the product does not fit every member."
            ),
        ]
    return "\n".join(lines)


def _body(result, policy: Policy, lang: str, level: int) -> list[str]:
    h = "#" * level
    tables = result.tables
    caps = tables.get("caps")
    out = [f"{h} {term(_T, 'policy_h', lang)}", "", policy_markdown(policy, lang), ""]
    if caps is None or not len(caps):
        return out + [term(_T, "no_schemes", lang), ""]
    out += [f"{h} {term(_T, 'overview_h', lang)}", "", overview_markdown(caps, lang), ""]
    rows = SchemeRows(tables)
    for r in caps.itertuples(index=False):
        out += [scheme_markdown(r, tables, policy, lang, level, rows), ""]
    out += [f"{h} {term(_T, 'method_h', lang)}", "", method_markdown(lang), ""]
    return out


def caps_section(result, policy: Policy, lang: str = "zh") -> str:
    """The caps section of the run's report (``## 渠道方案限额`` / ``## Scheme caps``), Markdown."""
    lang = "zh" if lang == "zh" else "en"
    head = [f"## {term(_T, 'section_title', lang)}", "", term(_T, "intro", lang), ""]
    return "\n".join(head + _body(result, policy, lang, 3))


def caps_report_markdown(
    result, policy: Policy, lang: str = "zh", data_name: str | None = None, mask: bool = True
) -> str:
    """The committee report as one Markdown document (``caps_report.md``); ID-card and phone
    numbers masked unless *mask* is false."""
    lang = "zh" if lang == "zh" else "en"
    colon = "：" if lang == "zh" else ": "
    src = term(_T, "defaults", lang) if policy.source == "defaults" else Path(policy.source).name
    with masking(mask):
        meta = (
            f"{term(_T, 'data', lang)}{colon}{md(data_name or '—')} · "
            f"{term(_T, 'policy', lang)}{colon}{md(src)} · "
            f"{term(_T, 'draft_note', lang)} · {term(_T, 'masked' if mask else 'unmasked', lang)}"
        )
        parts = [f"# {term(_T, 'doc_title', lang)}", "", meta, "", term(_T, "intro", lang), ""]
        parts += _body(result, policy, lang, 2)
    text = "\n".join(parts).rstrip() + "\n"
    return mask_text(text) if mask else text  # md() masked every value; a net for any written without it


def write_caps_report(
    result, policy: Policy, out_dir, lang: str = "zh", data_name: str | None = None, mask: bool = True
) -> list[Path]:
    """Write ``caps_report.md`` and ``caps_report.html`` into *out_dir*; returns both paths.

    ID-card and phone numbers in names and other values are masked unless *mask* is false.
    """
    from ..report.page import report_html

    lang = "zh" if lang == "zh" else "en"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = caps_report_markdown(result, policy, lang, data_name, mask=mask)
    md_path = out / "caps_report.md"
    md_path.write_text(text, encoding="utf-8", newline="\n")
    html_path = out / "caps_report.html"
    html_path.write_text(report_html(text, lang, title=term(_T, "doc_title", lang)), encoding="utf-8", newline="\n")
    return [md_path, html_path]
