"""The risk section of the report, in Markdown, in Chinese (``zh``) or English (``en``).

Every value from the data goes through :func:`channelgraph.report.markdown.md` (a table cell
is data unless it is our own :class:`~channelgraph.report.markdown.Md`).
"""

from __future__ import annotations

from ..model import decimal_percent
from ..policy import Policy
from ..report.markdown import Md, md, md_money, md_table
from ..terms import term
from .result import RiskResult

#: Rows per table in the report (the CSV files hold everything).
REPORT_ROWS = 10

_T = {
    "title": ("风险", "Risk"),
    "intro": (
        (
            "关联客户组与大额风险暴露限额（《商业银行大额风险暴露管理办法》，2018年第1号令）、担保圈链、"
            "单一风险源、风险传染（DebtRank）与集中度。完整结果见 `risk_groups.csv`、`risk_group_members.csv`、"
            "`connection_ties.csv`、`guarantee_patterns.csv`、`risk_sources.csv`、`systemic_impact.csv`、"
            "`concentration.csv`。"
        ),
        (
            "Groups of connected clients against the large-exposure limits (CBIRC 2018 Order No. 1), "
            "guarantee patterns, single risk sources, contagion (DebtRank) and concentration. "
            "Full tables: `risk_groups.csv`, `risk_group_members.csv`, `connection_ties.csv`, "
            "`guarantee_patterns.csv`, `risk_sources.csv`, `systemic_impact.csv`, `concentration.csv`."
        ),
    ),
    "key": ("要点", "Key figures"),
    "groups_h": ("风险暴露最大的关联客户组", "Largest groups of connected clients"),
    "breach_h": ("超限与大额风险暴露", "Breaches and large exposures"),
    "none_breach": (
        "没有客户组超限，也没有大额风险暴露。",
        "No group breaches its limit and none is a large exposure.",
    ),
    "patterns_h": ("担保圈链", "Guarantee patterns"),
    "none_patterns": ("未发现担保圈、互保、担保链、一保多或多保一。", "No guarantee pattern found."),
    "sources_h": ("单一风险源", "Single risk sources"),
    "impact_h": ("系统性影响（DebtRank）", "Systemic impact (DebtRank)"),
    "conc_h": ("集中度", "Concentration"),
}
_STATUS = {
    "ok": ("正常", "ok"),
    "large_exposure": ("大额风险暴露", "large exposure"),
    "breach": (Md("**超限**"), Md("**breach**")),
    "exempt": ("豁免", "exempt"),
}
_PATTERN = {
    "mutual": ("互保", "mutual"),
    "circle": ("担保圈", "circle"),
    "circle_block": ("担保圈（强连通块）", "circle block"),
    "chain": ("担保链", "chain"),
    "cross": ("一保多", "cross (one guarantor)"),
    "focus": ("多保一", "focus (one borrower)"),
}
_SOURCE = {
    "guarantor": ("担保人", "guarantor"),
    "controller": ("实际控制人", "controller"),
    "intermediary": ("中介机构", "intermediary"),
    "market": ("专业市场", "market"),
    "chamber": ("商会", "chamber"),
    "key_person": ("关键人", "key_person"),
}
_FACTOR = {
    "business_not_real": ("交易真实性存疑", "business not real"),
    "control": ("控制权", "control"),
    "same_risk_factor": ("同一风险因素", "same risk factor"),
}
_DIM = {
    "channel": ("渠道", "channel"),
    "industry": ("行业", "industry"),
    "region": ("地区", "region"),
    "customer": ("客户", "customer"),
}


def _ids(items, cap: int = 6) -> str:
    items = list(items)
    s = ", ".join(items[:cap])
    return s + (f" … (+{len(items) - cap})" if len(items) > cap else "")


def _pct(ratio_text: str) -> str:
    from decimal import Decimal

    return f"{(Decimal(ratio_text) * 100).quantize(Decimal('0.01'))}%" if ratio_text else ""


_MEASURE_ZH = "计量口径：风险暴露（表内 + 信用转换系数 × 表外 − 保证金）"


def _rule_zh(r, policy: Policy) -> str:
    """The Chinese rule of a group row, read from its (English) ``rule`` and ``status``."""
    lim = policy.limits
    if r.status == "exempt":
        return "豁免客户（中央政府、中央银行等）：风险暴露单独列示，不纳入限额测试"
    if "art. 9" in r.rule:
        rule = (
            f"《大额风险暴露管理办法》第九条（据转述）：同业单一客户或集团客户 ≤ 一级资本净额 "
            f"{decimal_percent(lim.interbank_share)}"
        )
    elif "art. 8" in r.rule:
        rule = f"《大额风险暴露管理办法》第八条：一组非同业关联客户 ≤ 一级资本净额 {decimal_percent(lim.group_share)}"
    else:
        rule = f"《大额风险暴露管理办法》第七条：非同业单一客户 ≤ 一级资本净额 {decimal_percent(lim.single_customer_share)}"
    if r.status == "large_exposure":
        rule = f"大额风险暴露：超过一级资本净额 {decimal_percent(lim.large_exposure_share)}；" + rule
    return rule + "；" + _MEASURE_ZH


def _loan_breaches(result: RiskResult, lang: str) -> list[str]:
    """One line naming every customer whose loans are over the loan limit (largest first), or none."""
    m = result.members
    if not len(m) or "loans_fen" not in m.columns:
        return []
    over = m[m["loan_status"] == "breach"].sort_values(["loans_fen", "entity_id"], ascending=[False, True])
    if not len(over):
        return []
    if lang == "zh":
        each = [
            f"{md(r.name)}（{md(r.entity_id)}，贷款余额 {md_money(r.loans_fen, lang)}，占资本净额 {_pct(r.share_of_net_capital)}）"
            for r in over.itertuples()
        ]
        return [f"- 贷款余额超过单一客户贷款限额的客户：{'；'.join(each)}。"]
    each = [
        f"{md(r.name)} ({md(r.entity_id)}, loans {md_money(r.loans_fen, lang)} yuan, "
        f"{_pct(r.share_of_net_capital)} of net capital)"
        for r in over.itertuples()
    ]
    return [f"- Customers whose loans are over the loan limit: {'; '.join(each)}."]


def risk_report(result: RiskResult, policy: Policy, lang: str = "zh") -> str:
    """Markdown section: key figures, top groups, breaches, patterns, sources, DebtRank, HHI."""
    lang = "zh" if lang == "zh" else "en"
    zh = lang == "zh"
    s = result.summary
    g, p, src, imp, conc = result.groups, result.patterns, result.sources, result.impact, result.concentration
    lim = policy.limits
    parts = [f"## {term(_T, 'title', lang)}", "", term(_T, "intro", lang), "", f"### {term(_T, 'key', lang)}", ""]
    t1 = md_money(policy.tier1_capital_fen, lang)
    nc = md_money(policy.net_capital_fen, lang)
    out_fen = int(g["outstanding_fen"].sum()) if len(g) else 0
    exp_fen = (
        result.exposure.total
        if result.exposure is not None
        else (int(g["exposure_fen"].sum() + g["exempt_fen"].sum()) if len(g) else 0)
    )
    exempt_fen = int(g["exempt_fen"].sum()) if len(g) else 0
    n_exempt, n_bank = s.get("exempt_customers", 0), s.get("interbank_groups", 0)
    pct = decimal_percent
    if zh:
        parts += [
            (
                f"- 一级资本净额 {t1}；资本净额 {nc}"
                + ("（政策只给出一级资本净额，资本净额按一级资本净额计）" if policy.net_capital_from_tier1 else "")
                + f"；授信余额合计 {md_money(out_fen, lang)}，风险暴露合计 {md_money(exp_fen, lang)}"
                "（表内 + 信用转换系数 × 表外 − 保证金）。"
            ),
            (
                f"- 关联客户组 {s['groups']} 个（其中多客户组 {s['multi_customer_groups']} 个），覆盖客户 {s['customers']} 户；"
                f"超限 {s['breaches']} 个，大额风险暴露（超过一级资本净额 {pct(lim.large_exposure_share)}，含超限）"
                f"{s['large_exposures']} 个。"
            ),
            (
                f"- 限额（按风险暴露计）：非同业单一客户 ≤ {pct(lim.single_customer_share)}、一组非同业关联客户 ≤ "
                f"{pct(lim.group_share)}、同业单一客户或集团客户 ≤ {pct(lim.interbank_share)}（一级资本净额）；"
                f"非同业单一客户贷款余额 ≤ {pct(lim.single_borrower_net_capital_share)}（资本净额，仅计表内贷款），"
                f"超出的客户 {s['loan_limit_breaches']} 户。"
            ),
        ]
        parts += _loan_breaches(result, lang)
        if n_bank:
            parts.append(f"- 同业客户组 {n_bank} 个，按一级资本净额 {pct(lim.interbank_share)} 的同业限额测试。")
        if n_exempt:
            parts.append(
                f"- 豁免客户 {n_exempt} 户，风险暴露 {md_money(exempt_fen, lang)}：单独列示，不纳入限额测试，"
                "也不计入所在客户组的风险暴露。"
            )
        parts.append(
            f"- 担保：互保 {s['patterns']['mutual']}、担保圈 {s['patterns']['circle']}（另有强连通块 "
            f"{s['patterns']['circle_block']}）、担保链 {s['patterns']['chain']}、一保多 {s['patterns']['cross']}、"
            f"多保一 {s['patterns']['focus']}。"
        )
    else:
        parts += [
            (
                f"- Tier-1 capital {t1} yuan; net capital {nc} yuan"
                + (
                    " (the policy gives tier-1 only: net capital taken as tier-1)"
                    if policy.net_capital_from_tier1
                    else ""
                )
                + f"; total outstanding {md_money(out_fen, lang)} yuan, total exposure {md_money(exp_fen, lang)} "
                "yuan (on-balance + CCF × off-balance − margin)."
            ),
            (
                f"- {s['groups']} groups of connected clients ({s['multi_customer_groups']} with two or more customers) "
                f"covering {s['customers']} customers: {s['breaches']} breach their limit, {s['large_exposures']} are "
                f"large exposures (above {pct(lim.large_exposure_share)} of tier-1, breaches included)."
            ),
            (
                f"- Limits, on exposure: single non-interbank customer ≤ {pct(lim.single_customer_share)}, group of "
                f"connected non-interbank customers ≤ {pct(lim.group_share)}, interbank customer or group ≤ "
                f"{pct(lim.interbank_share)} of tier-1; loans (on-balance only) to one non-interbank borrower ≤ "
                f"{pct(lim.single_borrower_net_capital_share)} of net capital "
                f"({s['loan_limit_breaches']} customers above)."
            ),
        ]
        parts += _loan_breaches(result, lang)
        if n_bank:
            parts.append(
                f"- {n_bank} interbank groups, tested against the interbank limit of "
                f"{pct(lim.interbank_share)} of tier-1."
            )
        if n_exempt:
            parts.append(
                f"- {n_exempt} exempt customers with {md_money(exempt_fen, lang)} yuan of exposure: reported, not "
                "tested against the limits nor counted in their group's exposure."
            )
        parts.append(
            f"- Guarantees: {s['patterns']['mutual']} mutual, {s['patterns']['circle']} circles "
            f"(+{s['patterns']['circle_block']} blocks), {s['patterns']['chain']} chains, "
            f"{s['patterns']['cross']} cross, {s['patterns']['focus']} focus."
        )
    parts.append("")

    head = (
        ["客户组", "客户数", "风险暴露", "占一级资本", "限额", "状态", "成员"]
        if zh
        else ["group", "customers", "exposure", "of tier-1", "limit", "status", "members"]
    )

    def group_rows(df):
        return [
            [
                r.group_id,
                r.customer_count,
                md_money(r.exposure_fen, lang),
                _pct(r.share_of_tier1),
                _pct(r.limit_share),
                term(_STATUS, r.status, lang),
                _ids(r.members),
            ]
            for r in df.itertuples()
        ]

    parts += [f"### {term(_T, 'groups_h', lang)}", "", md_table(head, group_rows(g.head(REPORT_ROWS))), ""]
    bad = g[g["status"].isin(["breach", "large_exposure"])] if len(g) else g
    if len(bad):  # breaches first, then large exposures; each by exposure
        bad = (
            bad.assign(_o=(bad["status"] != "breach").astype(int))
            .sort_values(["_o", "exposure_fen", "group_id"], ascending=[True, False, True], kind="stable")
            .drop(columns="_o")
        )
    parts += [f"### {term(_T, 'breach_h', lang)}", ""]
    if len(bad):
        shown = bad  # every breach and every large exposure is named (they are reported to the regulator)
        parts += [
            md_table(
                head + (["依据"] if zh else ["rule"]),
                [
                    row + [_rule_zh(r, policy) if zh else r.rule]
                    for row, r in zip(group_rows(shown), shown.itertuples())
                ],
            ),
            "",
        ]
        first = bad.iloc[0]
        if len(first["binding_links"]):
            parts += (
                [
                    ("关联依据（" if zh else "Why these are connected (")
                    + md(first["group_id"])
                    + ("）：" if zh else "):"),
                    "",
                ]
                + [f"- {md(x)}" for x in first["binding_links"][:REPORT_ROWS]]
                + [""]
            )
    else:
        parts += [term(_T, "none_breach", lang), ""]

    parts += [f"### {term(_T, 'patterns_h', lang)}", ""]
    if len(p):
        ph = (
            ["类型", "成员", "路径", "风险暴露", "担保金额"]
            if zh
            else ["pattern", "members", "path", "exposure", "guaranteed"]
        )
        top = p.sort_values(["exposure_fen", "pattern_id"], ascending=[False, True], kind="stable").head(REPORT_ROWS)
        parts += [
            md_table(
                ph,
                [
                    [
                        term(_PATTERN, r.pattern, lang),
                        _ids(r.members),
                        (r.path or r.note)[:120],
                        md_money(r.exposure_fen, lang),
                        md_money(r.guaranteed_fen, lang),
                    ]
                    for r in top.itertuples()
                ],
            ),
            "",
        ]
    else:
        parts += [term(_T, "none_patterns", lang), ""]

    if len(src):
        parts += [f"### {term(_T, 'sources_h', lang)}", ""]
        sh = (
            ["排名", "风险源", "名称", "类型", "依赖客户", "依赖风险暴露", "占比", "风险因素"]
            if zh
            else ["rank", "source", "name", "type", "customers", "dependent exposure", "share", "risk factors"]
        )
        rows = []
        for r in src.head(REPORT_ROWS).itertuples():
            fac = ", ".join(term(_FACTOR, x, lang) for x in r.factors.split(";") if x)
            rows.append(
                [
                    r.rank,
                    r.source_id,
                    r.name,
                    term(_SOURCE, r.source_type, lang),
                    r.dependent_customers,
                    md_money(r.dependent_exposure_fen, lang),
                    _pct(r.share_of_total),
                    fac,
                ]
            )
        parts += [md_table(sh, rows), ""]

    if len(imp):
        parts += [
            f"### {term(_T, 'impact_h', lang)}",
            "",
            (
                "某一主体违约后经担保链传导、受冲击的其他贷款占全部贷款的比例（Battiston 等，2012）。"
                if zh
                else "Share of the rest of the book distressed through guarantees if the entity defaults "
                "(Battiston et al. 2012)."
            ),
            "",
        ]
        ih = (
            ["排名", "主体", "名称", "DebtRank", "受冲击风险暴露", "受影响主体"]
            if zh
            else ["rank", "entity", "name", "DebtRank", "exposure hit", "entities distressed"]
        )
        parts += [
            md_table(
                ih,
                [
                    [
                        r.rank,
                        r.entity_id,
                        r.name,
                        r.debt_rank,
                        md_money(r.impact_exposure_fen, lang),
                        r.distressed_entities,
                    ]
                    for r in imp.head(REPORT_ROWS).itertuples()
                ],
            ),
            "",
        ]

    if len(conc):
        summ = conc[conc["bucket"] == "*"]
        ch = (
            ["维度", "HHI", "前N名", "前N名占比", "最大的几个"]
            if zh
            else ["dimension", "HHI", "top N", "top-N share", "largest"]
        )
        parts += [
            f"### {term(_T, 'conc_h', lang)}",
            "",
            md_table(
                ch,
                [
                    [term(_DIM, r.dimension, lang), r.hhi, r.top_n, _pct(r.top_n_share), _ids(r.top_ids, 5)]
                    for r in summ.itertuples()
                ],
            ),
            "",
        ]
    return "\n".join(parts)
