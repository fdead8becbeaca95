"""Words a person reads in the views and the report, in Chinese (zh) and English (en)."""

from __future__ import annotations

from ..model import EXEMPT_EN, EXEMPT_ZH, KIND_ZH, STATUS_ZH, Exempt, Kind, Status

LANGS = ("zh", "en")

KIND_EN = {
    Kind.PERSON: "person",
    Kind.ENTERPRISE: "enterprise",
    Kind.CHAMBER: "chamber of commerce",
    Kind.MARKET: "wholesale market",
    Kind.INTERMEDIARY: "intermediary",
}

RELATION_TEXT = {
    # type: (zh, en)
    "REFERRED": ("转介", "referred"),
    "MEMBER_OF": ("商会会员", "member of"),
    "TRADES_IN": ("市场商户", "trades in"),
    "SOURCED_VIA": ("中介获客", "sourced via"),
    "CONTROLS": ("控制", "controls"),
    "GUARANTEES": ("担保", "guarantees"),
    "EMPLOYS": ("代发/雇佣", "employs (payroll)"),
    "SUPPLIES": ("供应", "supplies"),
    "FAMILY": ("亲属", "family"),
    "SHARES_REPAYMENT_SOURCE": ("共同还款来源", "shared repayment source"),
}

GROUP_STATUS_TEXT = {
    "ok": ("未超限", "within limits"),
    "large_exposure": ("大额风险暴露", "large exposure"),
    "breach": ("超限", "limit breached"),
    "exempt": ("豁免", "exempt"),
    "not_tested": ("不适用", "not tested"),
}

PATTERN_TEXT = {
    "mutual": ("互保", "mutual guarantee"),
    "circle": ("担保圈", "guarantee circle"),
    "cycle": ("担保圈", "guarantee circle"),
    "scc": ("担保圈（强连通块）", "guarantee block (strongly connected)"),
    "block": ("担保圈（强连通块）", "guarantee block (strongly connected)"),
    "chain": ("担保链", "guarantee chain"),
    "cross": ("一保多", "one guarantor, many borrowers"),
    "focus": ("多保一", "many guarantors, one borrower"),
    "joint": ("联保", "joint guarantee"),
}

TERMS = {
    # key: (zh, en)
    "view.overview": ("全景图", "Overview"),
    "view.channel": ("渠道", "Channel"),
    "view.ego": ("关系圈", "Ego network"),
    "view.group": ("关联客户群", "Connected-client group"),
    "view.pattern": ("担保模式", "Guarantee pattern"),
    "id": ("编号", "id"),
    "name": ("名称", "name"),
    "kind": ("类型", "kind"),
    "customer": ("本行客户", "bank customer"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "outstanding": ("授信余额（元）", "outstanding (yuan)"),
    "exposure": ("风险暴露（元）", "exposure (yuan)"),
    "interbank": ("同业客户", "interbank customer"),
    "exempt": ("豁免", "exempt"),
    "facilities": ("授信笔数", "facilities"),
    "net_assets": ("净资产（元）", "net assets (yuan)"),
    "annual_revenue": ("年营业收入（元）", "annual revenue (yuan)"),
    "region": ("地区", "region"),
    "industry": ("行业", "industry"),
    "segment": ("客群", "segment"),
    "hub_rank": ("关键人排名", "hub rank"),
    "hub_score": ("关键人得分", "hub score"),
    "group": ("关联客户群", "connected group"),
    "group_status": ("群状态", "group status"),
    "group_exposure": ("群敞口（元）", "group exposure (yuan)"),
    "share_of_tier1": ("占一级资本净额", "share of tier-1 capital"),
    "members": ("成员", "members"),
    "members_shown": ("成员（图中显示）", "members (shown)"),
    "risk_source": ("单一风险源", "single risk source"),
    "relation": ("关系", "relation"),
    "amount": ("金额（元）", "amount (yuan)"),
    "share": ("比例", "share"),
    "role": ("角色", "role"),
    "since": ("起始", "since"),
    "legend": ("图例", "Legend"),
    "notes": ("说明", "Notes"),
    "search": ("查找名称或编号", "Find a name or id"),
    "find": ("查找", "Find"),
    "fit": ("全图", "Fit"),
    "not_found": ("未找到", "not found"),
    "masked": ("证件号、电话已脱敏显示。", "ID-card and phone numbers are masked."),
    "unmasked": (
        "注意：本页未脱敏，含证件号、电话等个人信息，请勿外传。",
        "Warning: not masked — this page shows ID-card and phone numbers; do not share it.",
    ),
    "help": (
        "滚轮缩放，拖动平移；鼠标悬停查看要素；点击节点突出其直接关系。",
        "Scroll to zoom, drag to pan; hover for key figures; click a node to highlight its ties.",
    ),
    "counts": ("显示 {nodes} 个节点、{edges} 条关系", "showing {nodes} nodes, {edges} ties"),
    "total": ("数据共 {nodes} 个节点、{edges} 条关系", "the data: {nodes} nodes, {edges} ties"),
    "left_out": (
        "为保证可读性，本图最多显示 {budget} 个节点：未显示 {nodes} 个节点、{edges} 条关系"
        "（{detail}）。可用 channelgraph viz --view ego --id 编号 查看任一节点的关系圈。",
        "To stay readable this view keeps at most {budget} nodes: {nodes} nodes and {edges} ties "
        "are left out ({detail}). Use channelgraph viz --view ego --id ID to see any node's ties.",
    ),
    "kept_rule": (
        "保留规则：全部渠道；其余按是否超限群成员、担保模式成员、关键人排名、授信余额依次优先。",
        "Kept: every channel, then parties by: in a breached group, in a guarantee pattern, hub rank, outstanding.",
    ),
    "channel_members": ("{name}：{members} 个成员，图中显示 {shown} 个。", "{name}: {members} members, {shown} shown."),
    "no_risk": (
        "未提供风险分析结果（channelgraph.risk），图中不标示关联客户组与担保模式。",
        "No risk results (channelgraph.risk) were given: connected-client groups and guarantee patterns are not shown.",
    ),
    "breached": ("超限", "breached"),
    "large": ("大额", "large exposure"),
    "hub": ("关键人", "key person"),
    "focus": ("焦点", "focus"),
    "legend.size_exposure": ("节点大小：授信余额", "node size: outstanding"),
    "legend.size_hub": ("节点大小：关键人得分", "node size: hub score"),
    "legend.breach": ("红色粗边框：超限关联群成员", "thick red border: member of a breached group"),
    "legend.large": ("橙色边框：大额风险暴露群成员", "orange border: member of a large-exposure group"),
    "legend.hub": (
        "★ 关键人（关键人排名前列，或会长、领头商户等角色）",
        "★ key person (a top-ranked hub, or a role such as president or leading merchant)",
    ),
    "legend.guarantee": (
        "红色箭头：担保（担保人→借款人），线宽随金额，标注万元",
        "red arrow: guarantee (guarantor → borrower), width by amount, label in 10k yuan",
    ),
    "hops": ("{hops} 跳", "{hops} hop(s)"),
    "ego_title": ("{name} 的关系圈（{hops}）", "Ties of {name} ({hops})"),
    "channel_title": ("渠道：{name}", "Channel: {name}"),
    "group_title": ("关联客户群 {gid}：{status}", "Connected-client group {gid}: {status}"),
    "pattern_title": ("{pattern}（{n} 家）", "{pattern} ({n} parties)"),
    "overview_title": ("全景图", "Overview"),
    "exposure_line": ("敞口 {amount} 元，占一级资本净额 {share}", "exposure {amount} yuan, {share} of tier-1 capital"),
    "pattern_line": ("涉及担保金额 {amount} 元", "guaranteed amount {amount} yuan"),
    "no_pattern": ("数据中没有担保模式。", "The data has no guarantee pattern."),
}


def kind_text(kind: str, lang: str) -> str:
    try:
        k = Kind(kind)
    except ValueError:
        return str(kind)
    return KIND_ZH[k] if lang == "zh" else KIND_EN[k]


def relation_text(rtype: str, lang: str) -> str:
    zh, en = RELATION_TEXT.get(rtype, (rtype, rtype))
    return zh if lang == "zh" else en


def exempt_text(exempt: str, lang: str) -> str:
    """Why a customer's exposure is exempt from the limits, in *lang* (the value itself when unknown).

    >>> exempt_text("central_bank", "zh"), exempt_text("policy_bank", "en")
    ('中央银行', 'policy bank')
    """
    try:
        e = Exempt(exempt)
    except ValueError:
        return str(exempt)
    return EXEMPT_ZH[e] if lang == "zh" else EXEMPT_EN[e]


def status_text(status: str, lang: str) -> str:
    """Five-class loan status or a group status in *lang*."""
    if status in GROUP_STATUS_TEXT:
        zh, en = GROUP_STATUS_TEXT[status]
        return zh if lang == "zh" else en
    try:
        s = Status(status)
    except ValueError:
        return str(status)
    return STATUS_ZH[s] if lang == "zh" else s.value.replace("_", " ")


def pattern_text(pattern: str, lang: str) -> str:
    zh, en = PATTERN_TEXT.get(str(pattern).lower(), (str(pattern), str(pattern)))
    return zh if lang == "zh" else en


def short_amount(fen, lang: str) -> str:
    """A compact amount for an edge label: ``3000万`` / ``1.2亿`` (zh), ``30M`` / ``1.2B`` (en)."""
    if fen is None:
        return ""
    yuan = int(fen) / 100
    if lang == "zh":
        if abs(yuan) >= 1e8:
            return f"{yuan / 1e8:.3g}亿"
        if abs(yuan) >= 1e4:
            return f"{yuan / 1e4:.4g}万"
        return f"{yuan:.0f}元"
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(yuan) >= div:
            return f"{yuan / div:.3g}{unit}"
    return f"{yuan:.0f}"
