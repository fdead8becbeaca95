"""The marketing section of the report, in Markdown, in Chinese (``zh``) or English (``en``).

Every value from the data goes through :func:`channelgraph.report.markdown.md` (a table cell
is data unless it is our own :class:`~channelgraph.report.markdown.Md`).
"""

from __future__ import annotations

import pandas as pd

from ..model import KIND_ZH, Kind, format_wan
from ..report.markdown import Md, md, md_money, md_table

#: Rows per table in the report (the CSV files hold everything).
REPORT_ROWS = 10

_T = {
    "title": {"en": "Marketing", "zh": "营销"},
    "intro": {
        "en": "Whom to visit to bring in the next customers: key persons and channels ranked, the prospects "
        "behind them, and a short list that together reaches the most untapped prospects. "
        "Full tables: `hubs.csv`, `channels.csv`, `campaign.csv`, `communities.csv`.",
        "zh": "下一批客户从哪里来：关键人与渠道排名、其背后的潜在客户，以及合起来覆盖最多未开发潜在客户的走访名单。"
        "完整结果见 `hubs.csv`、`channels.csv`、`campaign.csv`、`communities.csv`。",
    },
    "method": {
        "en": "Hub score = {terms} (each component divided by its maximum). Betweenness: {bc}. "
        "Reach = prospects at 1 hop + {h2} × those first reached at 2 hops.",
        "zh": "关键人得分 = {terms}（各分项除以其最大值）。中介中心度：{bc}。"
        "触达 = 一度潜在客户数 + {h2} × 二度新增潜在客户数。",
    },
    "bc_exact": {"en": "exact ({n:,} nodes)", "zh": "精确计算（{n:,} 个节点）"},
    "bc_sampled": {
        "en": "estimated from {k:,} sampled sources of {n:,} nodes (seed {seed})",
        "zh": "在 {n:,} 个节点中按固定种子 {seed} 抽样 {k:,} 个源点估计",
    },
    "hubs_h": {"en": "Top key persons and hubs", "zh": "关键人与枢纽排名"},
    "persons_h": {"en": "Key persons (persons only)", "zh": "关键人（仅个人）"},
    "hubs_cut": {
        "en": "`hubs.csv` lists the best {k:,} of the {n:,} entities ranked.",
        "zh": "`hubs.csv` 列出全部 {n:,} 个已排名实体中的前 {k:,} 名。",
    },
    "channels_h": {"en": "Channels for a batch campaign", "zh": "批量营销渠道排名"},
    "campaign_h": {"en": "Campaign seed list", "zh": "走访名单（营销种子）"},
    "campaign_intro": {
        "en": "{n} hubs ({scope}) that together reach {reach:,} of {total:,} untapped prospects ({cov}); "
        "each row adds the prospects not reached by the rows above it.",
        "zh": "以下 {n} 位（范围：{scope}）合计触达 {reach:,} / {total:,} 名未开发潜在客户（{cov}）；"
        "每行只计入前面各行尚未触达的潜在客户。",
    },
    "communities_h": {"en": "Campaign clusters (communities)", "zh": "营销客群（社区）"},
    "communities_intro": {
        "en": "{listed:,} communities of at least 3 ({method}, seed {seed}); {left:,} entities in smaller ones, "
        "{untied:,} without ties.",
        "zh": "共 {listed:,} 个不少于 3 个成员的社区（{method}，种子 {seed}）；另有 {left:,} 个实体在更小的社区中，"
        "{untied:,} 个实体没有关系。",
    },
    "risk_none": {"en": "Risk analysis not run: hubs carry no risk flags.", "zh": "未运行风险分析：关键人未标注风险。"},
    "risk_some": {
        "en": "**Risk flags:** {n} of the listed hubs are top single risk sources or sit in a breached "
        "group of connected clients — do not push credit through them blindly.",
        "zh": "**风险提示：** 上表中有 {n} 位是主要单一风险源或所在关联客户组已超限，不宜据此盲目扩大授信。",
    },
    "empty": {"en": "(none)", "zh": "（无）"},
}

_HEAD = {
    "hubs": {
        "en": [Md("#"), "Hub", "Kind", "Score", "Why", "Risk"],
        "zh": ["名次", "关键人/机构", "类型", "得分", "理由", "风险"],
    },
    "channels": {
        "en": [
            Md("#"),
            "Channel",
            "Kind",
            "Members",
            "Customers",
            "Prospects",
            "Penetration",
            "Members' outstanding (yuan)",
            "Key persons",
            "Risk",
        ],
        "zh": ["名次", "渠道", "类型", "成员", "本行客户", "潜在客户", "渗透率", "成员授信余额", "关键人", "风险"],
    },
    "campaign": {
        "en": ["Pick", "Hub", "Kind", "New prospects", "Cumulative", "Coverage", "Hub rank", "Risk"],
        "zh": ["顺序", "走访对象", "类型", "新增触达", "累计触达", "覆盖率", "关键人名次", "风险"],
    },
    "communities": {
        "en": ["Cluster", "Size", "Customers", "Prospects", "Penetration", "Outstanding (yuan)", "Top hub", "Region"],
        "zh": ["客群", "规模", "本行客户", "潜在客户", "渗透率", "授信余额", "核心关键人", "主要地区"],
    },
}
_COMPONENT = {
    "en": {
        "referrals": "converted referrals",
        "pagerank": "PageRank",
        "betweenness": "betweenness",
        "reach": "prospect reach",
    },
    "zh": {"referrals": "转介成功数", "pagerank": "PageRank", "betweenness": "中介中心度", "reach": "潜在客户触达"},
}
_ROLE_ZH = {
    "president": "会长",
    "vice_president": "副会长",
    "secretary_general": "秘书长",
    "leading_merchant": "龙头商户",
    "store_manager": "店长",
    "agent": "业务员",
    "manager": "经理",
}
_METHOD = {
    "en": {"multilevel": "Louvain multi-level modularity optimisation (compiled)"},
    "zh": {"multilevel": "Louvain 多层模块度优化（编译实现）"},
}


def _scope(text: str, lang: str) -> str:
    if lang != "zh":
        return text
    if text == "all":
        return "全部"
    return text.replace("channel ", "渠道 ", 1).replace("region ", "地区 ")


def _person_role(item: str, lang: str) -> str:
    if lang != "zh" or ":" not in item:
        return item
    eid, role = item.split(":", 1)
    return f"{eid} {'/'.join(_ROLE_ZH.get(r, r) for r in role.split('/'))}"


def _kind(k: str, lang: str) -> str:
    if lang == "zh":
        try:
            return KIND_ZH[Kind(k)]
        except ValueError:
            return k
    return k


def _pct(x) -> str:
    return f"{float(x) * 100:.1f}%"


def _risk(row, lang: str) -> str:
    if lang != "zh":
        return row["risk_flag"]
    parts = []
    rank = row.get("risk_source_rank")
    if not pd.isna(rank) and rank:
        parts.append(f"主要单一风险源第 {int(rank)} 名")
    elif row.get("risk_top_source"):
        parts.append("主要单一风险源")
    if row.get("risk_breached_group"):
        gid = row.get("risk_group_id") or ""
        parts.append(f"所在关联客户组 {gid} 超限".replace("  ", " "))
    return "；".join(parts)


def _why_zh(row) -> str:
    parts = []
    if row["referrals_made"]:
        s = f"转介 {row['referrals_made']} 人、已成为本行客户 {row['referrals_converted']} 人"
        if row["referred_outstanding_fen"]:
            s += f"（授信余额 {format_wan(int(row['referred_outstanding_fen']))}）"
        parts.append(s)
    if row["prospects_2hop"]:
        parts.append(f"一度潜在客户 {row['prospects_1hop']} 人、两度以内 {row['prospects_2hop']} 人")
    if row["betweenness_norm"] and row["betweenness_norm"] >= 0.5:
        parts.append("连接不同圈子的桥梁")
    return "；".join(parts) or "—"


def _hub_table(df, lang: str) -> str:
    rows = [
        [
            r["rank"],
            f"{r['name']} ({r['id']})",
            _kind(r["kind"], lang),
            f"{r['score']:.3f}",
            _why_zh(r) if lang == "zh" else r["why"],
            _risk(r, lang),
        ]
        for _, r in df.iterrows()
    ]
    return md_table(_HEAD["hubs"][lang], rows)


def marketing_report(result, policy, lang: str = "zh") -> str:
    """Markdown section: method, top hubs with why, top channels, the campaign list, clusters."""
    lang = "zh" if lang == "zh" else "en"
    t = {k: v[lang] for k, v in _T.items()}
    tables, s = result.tables, result.summary
    out = [f"## {t['title']}", "", t["intro"], ""]
    bc = s.get("betweenness") or {}
    if bc:
        bc_text = (
            t["bc_exact"].format(n=bc.get("nodes", 0))
            if bc.get("method") == "exact"
            else t["bc_sampled"].format(k=bc.get("sources", 0), n=bc.get("nodes", 0), seed=bc.get("seed"))
        )
        w = s.get("score_weights", {})
        terms = " + ".join(f"{w[c]:g} × {_COMPONENT[lang][c]}" for c in w)
        out += [t["method"].format(terms=terms, bc=bc_text, h2=s.get("second_hop_weight", 0.5)), ""]

    hubs = tables.get("hubs")
    if hubs is not None:
        out += [f"### {t['hubs_h']}", ""]
        top = hubs.head(REPORT_ROWS)
        out += [_hub_table(top, lang) if len(top) else t["empty"], ""]
        ranked = int(s.get("entities_ranked", len(hubs)))
        if len(hubs) < ranked:
            out += [t["hubs_cut"].format(k=len(hubs), n=ranked), ""]
        persons = hubs[hubs["kind"] == "person"].head(REPORT_ROWS)
        if len(persons) and not persons["id"].isin(top["id"]).all():
            out += [f"### {t['persons_h']}", "", _hub_table(persons, lang), ""]
        risk = s.get("risk_flags", {})
        if not risk.get("available", False):
            out += [t["risk_none"], ""]
        else:
            n = int((top["risk_top_source"] | top["risk_breached_group"]).sum()) if len(top) else 0
            if n:
                out += [t["risk_some"].format(n=n), ""]

    ch = tables.get("channels")
    if ch is not None:
        out += [f"### {t['channels_h']}", ""]
        rows = [
            [
                r["rank"],
                f"{r['name']} ({r['channel_id']})",
                _kind(r["kind"], lang),
                f"{r['members']:,}",
                f"{r['customers']:,}",
                f"{r['prospects']:,}",
                _pct(r["penetration"]),
                md_money(r["members_outstanding_fen"], lang),
                [_person_role(x, lang) for x in list(r["key_persons"])[:3]],
                _risk(r, lang),
            ]
            for _, r in ch.head(REPORT_ROWS).iterrows()
        ]
        out += [md_table(_HEAD["channels"][lang], rows) if rows else t["empty"], ""]

    camp = tables.get("campaign")
    if camp is not None:
        out += [f"### {t['campaign_h']}", ""]
        c = s.get("campaign", {})
        if len(camp):
            out += [
                t["campaign_intro"].format(
                    n=len(camp),
                    scope=md(_scope(c.get("scope", "all"), lang)),
                    reach=int(camp["cumulative_reach"].iloc[-1]),
                    total=int(c.get("prospects_in_scope", 0)),
                    cov=_pct(camp["coverage"].iloc[-1]),
                ),
                "",
            ]
            rows = [
                [
                    r["pick"],
                    f"{r['name']} ({r['id']})",
                    _kind(r["kind"], lang),
                    f"{r['marginal_gain']:,}",
                    f"{r['cumulative_reach']:,}",
                    _pct(r["coverage"]),
                    "" if pd.isna(r["hub_rank"]) else r["hub_rank"],
                    _risk(r, lang),
                ]
                for _, r in camp.iterrows()
            ]
            out += [md_table(_HEAD["campaign"][lang], rows), ""]
        else:
            out += [t["empty"], ""]

    com = tables.get("communities")
    if com is not None:
        out += [f"### {t['communities_h']}", ""]
        c = s.get("communities", {})
        out += [
            t["communities_intro"].format(
                listed=c.get("listed", len(com)),
                method=_METHOD[lang].get(c.get("method"), c.get("method", "")),
                seed=c.get("seed", ""),
                left=c.get("left_out", 0),
                untied=c.get("untied", 0),
            ),
            "",
        ]
        rows = [
            [
                r["community_id"],
                f"{r['size']:,}",
                f"{r['customers']:,}",
                f"{r['prospects']:,}",
                _pct(r["penetration"]),
                md_money(r["outstanding_fen"], lang),
                f"{r['top_hub_name']} ({r['top_hub']})",
                r["main_region"],
            ]
            for _, r in com.head(REPORT_ROWS).iterrows()
        ]
        out += [md_table(_HEAD["communities"][lang], rows) if rows else t["empty"], ""]
    return "\n".join(out).rstrip() + "\n"
