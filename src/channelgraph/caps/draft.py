"""Draft exposure caps for channel-specific schemes (渠道专属方案: 额度控制, 规避单一风险源).

For every scheme in ``schemes.csv`` (a product for one chamber's members, one market's
merchants, one intermediary's clients) this module drafts three caps, each with the rule
that bound it, and finds where today's book already breaks them:

=====================  ======================================================================
cap                    rule (all amounts integer fen, floored, then rounded *down* to
                       ``policy.caps.rounding_fen``)
=====================  ======================================================================
``cap_total``          min(scheme appetite ``caps.scheme_total_share`` × tier-1 capital;
                       the appetite × the channel-quality factor)
``cap_per_borrower``   min(single-customer limit ``limits.single_customer_share`` × tier-1;
                       loans-to-one-borrower limit ``limits.single_borrower_net_capital_share``
                       × net capital; scheme policy ``caps.per_borrower``; the policy amount
                       × the quality factor when ``caps.quality_adjusts_per_borrower``)
``cap_single_risk_     ``caps.single_source_share`` × ``cap_total``
source``
=====================  ======================================================================

**Channel quality.** The channel's *book* is every facility of its members (persons and firms
tied to the channel by MEMBER_OF, TRADES_IN or SOURCED_VIA) and of the scheme's borrowers. Three
factors (``policy.caps``) multiply: the non-normal share of that book (关注 and worse, by
outstanding) above ``non_normal_share_above`` → ``non_normal_factor``, above
``non_normal_share_high`` → ``non_normal_factor_high`` instead; the Herfindahl–Hirschman index of
the customers' outstanding above ``hhi_above`` → ``concentration_factor``; penetration (customers
among members) below ``penetration_below`` → ``penetration_factor``. Every factor applied, and
every test passed, is named in the rule text.

**Per borrower.** ``scheme_borrower_caps`` has a row for each member of the channel and each
borrower under the scheme. Their cap is the largest amount they may hold *under the scheme*
such that, everything else unchanged, no regulatory limit is broken:

    cap = min(cap_per_borrower;
              single-customer limit − the customer's outstanding outside the scheme;
              loan limit − the customer's outstanding outside the scheme;
              group limit (``limits.group_share`` × tier-1) − the group's exposure outside this
              borrower's scheme lending)        [the last for members of a connected group]

floored at 0 and rounded down. So a borrower's room for new lending (``headroom`` = cap −
current) never exceeds the group's remaining headroom (group limit − group exposure), and a
borrower of a group already above its limit gets less than it holds (a breach). Groups and
their exposure come from the risk room (:func:`channelgraph.risk.connected_groups`); a group
counts when it has two or more entities (a lone customer is held by the single-customer limit).

**Single risk sources.** How much of the scheme's current outstanding depends on one guarantor,
controller, intermediary, market, chamber or key person (the dependants of
:func:`channelgraph.risk.source_dependents`, plus the source's own lending under the scheme).
A source is tested when at least ``caps.single_source_min_borrowers`` (default 2) of the
scheme's borrowers depend on it (counting the source itself when it borrows under the scheme):
a single risk source is one whose failure takes *several* borrowers with it; one borrower
alone is held by its per-borrower cap. The scheme's own channel is left out: the scheme rests
on it by design, and ``cap_total`` is the control for that.

**Breaches** (``caps_breaches``): the scheme's utilisation above ``cap_total``; a borrower above
its cap; a tested risk source carrying more than ``cap_single_risk_source``.

Utilisation is the outstanding of the facilities carrying the scheme's id; summed over the
schemes it equals the outstanding of every facility with a scheme id, exactly (checked).
Every table is sorted by ids, so both graph backends write byte-identical files.

Rule sources: 商业银行大额风险暴露管理办法 (CBIRC Order 2018 No. 1) art. 7 (single non-interbank
customer ≤ 15% of tier-1), art. 8 (a group of connected non-interbank customers ≤ 20% of tier-1);
商业银行法 art. 39 (loans to one borrower ≤ 10% of net capital); DOMAIN.md, scheme elements
(额度控制, 规避单一风险源, 专属产品并非满足所有客户需求).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from ..model import RelationType, Status, format_yuan_human, fraction_of, round_down
from ..policy import Policy

#: Relation types that make a person or firm a member of a channel (chamber, market, intermediary).
MEMBER_TYPES = (RelationType.MEMBER_OF.value, RelationType.TRADES_IN.value, RelationType.SOURCED_VIA.value)

CAPS_COLUMNS = [
    "scheme_id", "scheme_name", "product", "channel_id", "channel_name", "channel_kind",
    "cap_total_fen", "cap_per_borrower_fen", "cap_single_risk_source_fen", "utilized_fen", "headroom_fen",
    "utilization", "status", "binding_rule",
    "facilities", "borrowers", "borrowers_over_cap", "risk_sources_over_cap", "top_risk_source_id",
    "top_risk_source_type", "top_risk_source_exposure_fen",
    "channel_members", "channel_member_customers", "channel_members_outstanding_fen", "channel_book_fen",
    "non_normal_share", "hhi", "penetration", "quality_flags", "non_normal_factor", "concentration_factor",
    "penetration_factor", "quality_factor", "appetite_fen", "quality_adjusted_fen", "total_binding",
    "single_customer_limit_fen", "loan_limit_fen", "policy_per_borrower_fen", "policy_per_borrower_adjusted_fen",
    "per_borrower_binding", "total_rule", "per_borrower_rule", "single_source_rule",
]
BORROWER_COLUMNS = [
    "scheme_id", "customer_id", "name", "kind", "is_customer", "is_member", "is_borrower", "group_id",
    "current_outstanding_fen", "customer_outstanding_fen", "group_exposure_fen", "group_headroom_fen",
    "cap_fen", "headroom_fen", "binding", "status", "binding_rule",
]
SOURCE_COLUMNS = [
    "scheme_id", "source_id", "name", "source_type", "dependent_customers", "scheme_borrowers",
    "dependent_exposure_fen", "own_exposure_fen", "exposure_fen", "share_of_scheme", "cap_fen", "headroom_fen",
    "status", "via",
]
BREACH_COLUMNS = [
    "scheme_id", "breach_type", "subject_id", "subject_name", "subject_kind", "current_fen", "cap_fen",
    "excess_fen", "rule",
]
#: Breach types, in the order they are listed.
BREACH_TYPES = ("scheme_total", "borrower", "risk_source")

OK, BREACH = "ok", "breach"
#: A risk source with fewer scheme borrowers than ``caps.single_source_min_borrowers`` is not tested.
NOT_TESTED = "not_tested"
_NON_NORMAL = frozenset(s.value for s in Status if s is not Status.NORMAL)


# ----------------------------------------------------------------------------- text helpers


def _y(fen: int) -> str:
    return format_yuan_human(int(fen))


def _pct(d) -> str:
    """A policy ratio as a percentage: ``Decimal('0.05')`` → ``'5%'``."""
    s = format((Decimal(d) * 100).normalize(), "f")
    return f"{s}%"


def _num(d) -> str:
    """A policy number without trailing zeros: ``Decimal('0.80')`` → ``'0.8'``."""
    s = format(Decimal(d).normalize(), "f")
    return s


def _ratio(part: int, whole: int, places: int = 6) -> str:
    """``part / whole`` truncated to *places* decimals, exactly (``''`` when whole is 0)."""
    part, whole = int(part), int(whole)
    if whole <= 0:
        return ""
    scale = 10**places
    q = (part * scale) // whole if part >= 0 else -((-part * scale) // whole)
    sign = "-" if q < 0 else ""
    ip, fp = divmod(abs(q), scale)
    return f"{sign}{ip}.{fp:0{places}d}"


def _pct_floor(part: int, whole: int) -> str:
    """``part / whole`` as a percentage truncated to two decimals (never crosses a threshold)."""
    if whole <= 0:
        return "0%"
    q = (int(part) * 10000) // int(whole)
    ip, fp = divmod(q, 100)
    return f"{ip}.{fp:02d}%"


def _above(part: int, whole: int, threshold: Decimal) -> bool:
    """``part / whole > threshold`` exactly (False when whole is 0)."""
    if whole <= 0:
        return False
    p, q = Decimal(threshold).as_integer_ratio()
    return int(part) * q > p * int(whole)


def _round_note(raw: int, cap: int, unit: int) -> str:
    if raw < 0:
        return " (floored at 0.00)"
    if raw != cap:
        return f" (rounded down to a multiple of {_y(unit)})"
    return ""


def _rounded(raw: int, unit: int) -> int:
    return round_down(max(0, int(raw)), int(unit))


# ----------------------------------------------------------------------------- quality


@dataclass
class ChannelQuality:
    """The channel-quality tests of one scheme and the factors they apply."""

    book_fen: int
    non_normal_fen: int
    sum_squares: int  # Σ (customer outstanding)², for the HHI
    members: int
    member_customers: int
    non_normal_factor: Decimal = Decimal(1)
    concentration_factor: Decimal = Decimal(1)
    penetration_factor: Decimal = Decimal(1)
    notes: list = field(default_factory=list)  # English, one per test
    flags: list = field(default_factory=list)  # tests that applied a factor

    @property
    def factor(self) -> Decimal:
        return self.non_normal_factor * self.concentration_factor * self.penetration_factor

    @property
    def non_normal_share(self) -> str:
        return _ratio(self.non_normal_fen, self.book_fen)

    @property
    def hhi(self) -> str:
        return _ratio(self.sum_squares, self.book_fen * self.book_fen)

    @property
    def penetration(self) -> str:
        return _ratio(self.member_customers, self.members)


def channel_quality(book: dict[str, tuple[int, int]], members: int, member_customers: int,
                    policy: Policy) -> ChannelQuality:
    """Assess a channel's book: ``book`` maps customer id → (outstanding, non-normal outstanding).

    >>> q = channel_quality({"A": (90, 9), "B": (10, 0)}, members=10, member_customers=2, policy=Policy())
    >>> q.factor, q.non_normal_share, q.hhi, q.penetration
    (Decimal('0.64'), '0.090000', '0.820000', '0.200000')
    >>> q.notes
    ['non-normal 9.00% > 5%: ×0.8', 'HHI 0.8200 > 0.18: ×0.8', 'penetration 20.00% ≥ 20%']
    """
    c = policy.caps
    total = sum(o for o, _ in book.values())
    nn = sum(n for _, n in book.values())
    sq = sum(o * o for o, _ in book.values())
    q = ChannelQuality(total, nn, sq, members, member_customers)
    shown = _pct_floor(nn, total)
    if _above(nn, total, c.non_normal_share_high):
        q.non_normal_factor = c.non_normal_factor_high
        q.flags.append("non_normal_high")
        q.notes.append(f"non-normal {shown} > {_pct(c.non_normal_share_high)}: ×{_num(c.non_normal_factor_high)}")
    elif _above(nn, total, c.non_normal_share_above):
        q.non_normal_factor = c.non_normal_factor
        q.flags.append("non_normal")
        q.notes.append(f"non-normal {shown} > {_pct(c.non_normal_share_above)}: ×{_num(c.non_normal_factor)}")
    else:
        q.notes.append(f"non-normal {shown} ≤ {_pct(c.non_normal_share_above)}")
    if total > 0:
        hhi_shown = _ratio(sq, total * total, 4)
        if _above(sq, total * total, c.hhi_above):
            q.concentration_factor = c.concentration_factor
            q.flags.append("concentration")
            q.notes.append(f"HHI {hhi_shown} > {_num(c.hhi_above)}: ×{_num(c.concentration_factor)}")
        else:
            q.notes.append(f"HHI {hhi_shown} ≤ {_num(c.hhi_above)}")
    else:
        q.notes.append("HHI n/a (no outstanding)")
    if members > 0:
        pen = _pct_floor(member_customers, members)
        p, d = Decimal(c.penetration_below).as_integer_ratio()
        if member_customers * d < p * members:
            q.penetration_factor = c.penetration_factor
            q.flags.append("low_penetration")
            q.notes.append(f"penetration {pen} < {_pct(c.penetration_below)}: ×{_num(c.penetration_factor)}")
        else:
            q.notes.append(f"penetration {pen} ≥ {_pct(c.penetration_below)}")
    else:
        q.notes.append("penetration n/a (no members)")
    return q


# ----------------------------------------------------------------------------- the risk room's facts


def _risk_tables(graph, dataset, policy: Policy, risk) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(risk_groups, risk_group_members, risk_sources) from *risk* (an AnalysisResult or a mapping)."""
    tables = getattr(risk, "tables", risk)
    if tables is not None and all(k in tables for k in ("risk_groups", "risk_group_members", "risk_sources")):
        return tables["risk_groups"], tables["risk_group_members"], tables["risk_sources"]
    from ..risk import connected_groups, single_risk_sources

    groups, members, _ = connected_groups(graph, dataset, policy)
    return groups, members, single_risk_sources(graph, dataset, policy)


# ----------------------------------------------------------------------------- the draft


@dataclass(frozen=True)
class _Limits:
    single: int  # single-customer limit, fen
    loan: int  # loans to one borrower, fen
    group: int  # group of connected customers, fen
    appetite: int  # scheme appetite, fen
    unit: int  # rounding unit, fen


def _limits(policy: Policy) -> _Limits:
    lim, c = policy.limits, policy.caps
    return _Limits(
        single=fraction_of(policy.tier1_capital_fen, lim.single_customer_share),
        loan=fraction_of(policy.net_capital_fen, lim.single_borrower_net_capital_share),
        group=fraction_of(policy.tier1_capital_fen, lim.group_share),
        appetite=fraction_of(policy.tier1_capital_fen, c.scheme_total_share),
        unit=int(c.rounding_fen),
    )


def draft_caps_tables(graph, dataset, policy: Policy | None = None, risk=None) -> dict[str, pd.DataFrame]:
    """Every caps table: ``caps``, ``scheme_borrower_caps``, ``scheme_risk_sources``, ``caps_breaches``.

    Same arguments as :func:`draft_scheme_caps`; ``scheme_risk_sources`` has a row per (scheme,
    risk source) with exposure under the scheme depending on it (``SOURCE_COLUMNS``).
    """
    policy = policy or dataset.policy
    L = _limits(policy)
    c = policy.caps
    groups, gmembers, sources = _risk_tables(graph, dataset, policy, risk)

    ent = dataset.entities
    name_of = dict(zip(ent["id"].tolist(), ent["name"].fillna("").astype(str).tolist()))
    kind_of = dict(zip(ent["id"].tolist(), ent["kind"].tolist()))
    is_cust = dict(zip(ent["id"].tolist(), ent["is_customer"].astype(bool).tolist()))

    exp = dataset.exposures
    cust_ids = exp["customer_id"].tolist()
    outs = [int(x) for x in exp["outstanding"].tolist()]
    sids = exp["scheme_id"].fillna("").astype(str).tolist() if "scheme_id" in exp.columns else [""] * len(exp)
    stats = exp["status"].fillna("").astype(str).tolist() if "status" in exp.columns else [""] * len(exp)
    cust_total: dict[str, int] = {}
    cust_nn: dict[str, int] = {}
    scheme_cust: dict[str, dict[str, int]] = {}
    scheme_fac: dict[str, int] = {}
    for cu, o, s, st in zip(cust_ids, outs, sids, stats):
        cust_total[cu] = cust_total.get(cu, 0) + o
        if st in _NON_NORMAL:
            cust_nn[cu] = cust_nn.get(cu, 0) + o
        if s:
            d = scheme_cust.setdefault(s, {})
            d[cu] = d.get(cu, 0) + o
            scheme_fac[s] = scheme_fac.get(s, 0) + 1

    rel = dataset.relations
    mrel = rel[rel["type"].isin(MEMBER_TYPES)]
    members_of: dict[str, set] = {}
    for src, dst in zip(mrel["src"].tolist(), mrel["dst"].tolist()):
        members_of.setdefault(dst, set()).add(src)

    # groups of connected clients (two or more entities) from the risk room
    gsize = dict(zip(groups["group_id"].tolist(), [int(x) for x in groups["member_count"].tolist()]))
    gexp = dict(zip(groups["group_id"].tolist(), [int(x) for x in groups["exposure_fen"].tolist()]))
    group_of = {e: g for e, g in zip(gmembers["entity_id"].tolist(), gmembers["group_id"].tolist())
                if gsize.get(g, 0) >= 2}

    sch = dataset.schemes.sort_values("scheme_id", kind="stable")
    scheme_rows, borrower_rows, breach_rows = [], [], []
    caps_of: dict[str, tuple[int, int]] = {}  # scheme → (cap_total, cap_single_source)
    channel_of_scheme: dict[str, str] = {}
    utilized_of: dict[str, int] = {}
    for s in sch.itertuples(index=False):
        sid, ch = s.scheme_id, s.channel_id
        channel_of_scheme[sid] = ch
        borrowers = scheme_cust.get(sid, {})
        members = members_of.get(ch, set())
        population = sorted(members | set(borrowers))
        book = {e: (cust_total.get(e, 0), cust_nn.get(e, 0)) for e in population if cust_total.get(e, 0)}
        member_customers = sum(1 for e in members if is_cust.get(e, False))
        q = channel_quality(book, len(members), member_customers, policy)
        qf = q.factor
        quality_txt = "; ".join(q.notes)

        # total
        adjusted = fraction_of(L.appetite, qf)
        total_raw = min(L.appetite, adjusted)
        cap_total = _rounded(total_raw, L.unit)
        total_binding = "quality" if adjusted < L.appetite else "appetite"
        base = (f"scheme appetite {_pct(c.scheme_total_share)} of tier-1 {_y(policy.tier1_capital_fen)} "
                f"= {_y(L.appetite)}")
        if total_binding == "quality":
            total_rule = (f"total = min({base}; quality-adjusted {_y(L.appetite)} × {_num(qf)} = {_y(adjusted)} "
                          f"[{quality_txt}]) → {_y(cap_total)}{_round_note(total_raw, cap_total, L.unit)}")
        else:
            total_rule = (f"total = {base} (channel quality ×1: {quality_txt}) → {_y(cap_total)}"
                          f"{_round_note(total_raw, cap_total, L.unit)}")

        # per borrower (scheme level)
        pb_policy = int(c.per_borrower_fen)
        pb_adjusted = fraction_of(pb_policy, qf) if c.quality_adjusts_per_borrower else pb_policy
        cands = [("single_customer", L.single,
                  f"single-customer limit {_pct(policy.limits.single_customer_share)} of tier-1 {_y(L.single)}"),
                 ("loan_limit", L.loan,
                  f"loan limit {_pct(policy.limits.single_borrower_net_capital_share)} of net capital "
                  f"{_y(L.loan)}"),
                 ("scheme_policy", pb_policy, f"scheme policy {_y(pb_policy)}")]
        if pb_adjusted < pb_policy:
            cands.append(("quality", pb_adjusted,
                          f"quality-adjusted {_y(pb_policy)} × {_num(qf)} = {_y(pb_adjusted)}"))
        pb_binding, pb_raw, _ = min(cands, key=lambda t: t[1])  # first of equals: regulatory before policy
        cap_pb = _rounded(pb_raw, L.unit)
        pb_rule = (f"per-borrower = min({'; '.join(t for _, _, t in cands)}) → {_y(cap_pb)}"
                   f"{_round_note(pb_raw, cap_pb, L.unit)}")

        # single risk source
        ss_raw = fraction_of(cap_total, c.single_source_share)
        cap_ss = _rounded(ss_raw, L.unit)
        ss_rule = (f"single-source = {_pct(c.single_source_share)} of the total cap {_y(cap_total)} = {_y(ss_raw)} "
                   f"→ {_y(cap_ss)}{_round_note(ss_raw, cap_ss, L.unit)}; tested on sources behind at least "
                   f"{c.single_source_min_borrowers} of the scheme's borrowers; the scheme's own channel {ch} "
                   "is not counted (the scheme rests on it by design)")

        utilized = sum(borrowers.values())
        utilized_of[sid] = utilized
        caps_of[sid] = (cap_total, cap_ss)

        # per borrower rows
        n_over = 0
        for e in population:
            cur = borrowers.get(e, 0)
            own = cust_total.get(e, 0)
            outside = own - cur
            parts = [("scheme", cap_pb, f"scheme per-borrower {_y(cap_pb)}")]
            tail = f" less {_y(outside)} held outside the scheme" if outside else ""
            parts.append(("single_customer", L.single - outside,
                          f"single-customer limit {_y(L.single)}{tail}"
                          + (f" = {_y(L.single - outside)}" if outside else "")))
            parts.append(("loan_limit", L.loan - outside,
                          f"loan limit {_y(L.loan)}{tail}" + (f" = {_y(L.loan - outside)}" if outside else "")))
            g = group_of.get(e)
            g_exp = g_head = None
            if g is not None:
                g_exp = gexp[g]
                g_head = max(0, L.group - g_exp)
                other = g_exp - cur
                parts.append(("group", L.group - other,
                              f"group {g} {_pct(policy.limits.group_share)} limit {_y(L.group)} less {_y(other)} "
                              f"other group exposure = {_y(L.group - other)}"))
            binding, raw, _ = min(parts, key=lambda t: t[1])
            cap = _rounded(raw, L.unit)
            status = BREACH if cur > cap else OK
            rule = (f"cap = min({'; '.join(t for _, _, t in parts)}) → {_y(cap)}{_round_note(raw, cap, L.unit)}")
            if status == BREACH:
                n_over += 1
                breach_rows.append({
                    "scheme_id": sid, "breach_type": "borrower", "subject_id": e, "subject_name": name_of.get(e, ""),
                    "subject_kind": kind_of.get(e, ""), "current_fen": cur, "cap_fen": cap, "excess_fen": cur - cap,
                    "rule": f"{e} holds {_y(cur)} under {sid}, above its cap: {rule}"})
            borrower_rows.append({
                "scheme_id": sid, "customer_id": e, "name": name_of.get(e, ""), "kind": kind_of.get(e, ""),
                "is_customer": bool(is_cust.get(e, False)), "is_member": e in members, "is_borrower": e in borrowers,
                "group_id": g or "", "current_outstanding_fen": cur, "customer_outstanding_fen": own,
                "group_exposure_fen": g_exp, "group_headroom_fen": g_head, "cap_fen": cap, "headroom_fen": cap - cur,
                "binding": binding, "status": status, "binding_rule": rule})

        if utilized > cap_total:
            breach_rows.append({
                "scheme_id": sid, "breach_type": "scheme_total", "subject_id": sid, "subject_name": s.name,
                "subject_kind": "scheme", "current_fen": utilized, "cap_fen": cap_total,
                "excess_fen": utilized - cap_total,
                "rule": f"{sid} utilises {_y(utilized)}, above its total cap: {total_rule}"})

        members_out = sum(cust_total.get(e, 0) for e in members)
        scheme_rows.append({
            "scheme_id": sid, "scheme_name": s.name, "product": getattr(s, "product", "") or "", "channel_id": ch,
            "channel_name": name_of.get(ch, ""), "channel_kind": kind_of.get(ch, ""),
            "cap_total_fen": cap_total, "cap_per_borrower_fen": cap_pb, "cap_single_risk_source_fen": cap_ss,
            "utilized_fen": utilized, "headroom_fen": cap_total - utilized,
            "utilization": _ratio(utilized, cap_total, 4), "status": OK, "binding_rule": "",
            "facilities": scheme_fac.get(sid, 0), "borrowers": len(borrowers), "borrowers_over_cap": n_over,
            "risk_sources_over_cap": 0, "top_risk_source_id": "", "top_risk_source_type": "",
            "top_risk_source_exposure_fen": 0,
            "channel_members": len(members), "channel_member_customers": member_customers,
            "channel_members_outstanding_fen": members_out, "channel_book_fen": q.book_fen,
            "non_normal_share": q.non_normal_share, "hhi": q.hhi, "penetration": q.penetration,
            "quality_flags": ";".join(q.flags),
            "non_normal_factor": _num(q.non_normal_factor), "concentration_factor": _num(q.concentration_factor),
            "penetration_factor": _num(q.penetration_factor), "quality_factor": _num(qf),
            "appetite_fen": L.appetite, "quality_adjusted_fen": adjusted, "total_binding": total_binding,
            "single_customer_limit_fen": L.single, "loan_limit_fen": L.loan, "policy_per_borrower_fen": pb_policy,
            "policy_per_borrower_adjusted_fen": pb_adjusted, "per_borrower_binding": pb_binding,
            "total_rule": total_rule, "per_borrower_rule": pb_rule, "single_source_rule": ss_rule,
        })

    # reconcile: utilisation over the schemes = every facility that carries a scheme id
    with_scheme = sum(o for o, s in zip(outs, sids) if s)
    if sum(utilized_of.values()) != with_scheme:  # pragma: no cover - validation guards dangling scheme ids
        raise RuntimeError(f"scheme utilisation does not reconcile: {sum(utilized_of.values())} fen over the "
                           f"schemes, {with_scheme} fen of facilities carry a scheme id")

    src_table = _scheme_sources(graph, dataset, policy, sources, scheme_cust, channel_of_scheme, caps_of,
                                utilized_of, name_of)
    for r in src_table[src_table["status"] == BREACH].itertuples(index=False):
        cap_total, cap_ss = caps_of[r.scheme_id]
        breach_rows.append({
            "scheme_id": r.scheme_id, "breach_type": "risk_source", "subject_id": r.source_id,
            "subject_name": r.name, "subject_kind": r.source_type, "current_fen": int(r.exposure_fen),
            "cap_fen": int(r.cap_fen), "excess_fen": int(r.exposure_fen) - int(r.cap_fen),
            "rule": (f"{_y(r.exposure_fen)} of {r.scheme_id} depends on {r.source_type} {r.source_id} "
                     f"({r.dependent_customers} customer{'s' if r.dependent_customers != 1 else ''} via {r.via}"
                     + (f", plus its own {_y(r.own_exposure_fen)}" if r.own_exposure_fen else "")
                     + f"), above the single-source cap {_pct(policy.caps.single_source_share)} of "
                       f"{_y(cap_total)} → {_y(cap_ss)}")})

    caps = pd.DataFrame(scheme_rows, columns=CAPS_COLUMNS)
    if len(caps):
        over_src = src_table[src_table["status"] == BREACH].groupby("scheme_id").size().to_dict()
        top = src_table.drop_duplicates("scheme_id")  # sorted by exposure desc within a scheme
        top = {r.scheme_id: r for r in top.itertuples(index=False)}
        caps["risk_sources_over_cap"] = [int(over_src.get(s, 0)) for s in caps["scheme_id"]]
        caps["top_risk_source_id"] = [top[s].source_id if s in top else "" for s in caps["scheme_id"]]
        caps["top_risk_source_type"] = [top[s].source_type if s in top else "" for s in caps["scheme_id"]]
        caps["top_risk_source_exposure_fen"] = [int(top[s].exposure_fen) if s in top else 0
                                                for s in caps["scheme_id"]]
        bad = ((caps["utilized_fen"] > caps["cap_total_fen"]) | (caps["borrowers_over_cap"] > 0)
               | (caps["risk_sources_over_cap"] > 0))
        caps["status"] = [BREACH if b else OK for b in bad.tolist()]
        caps["binding_rule"] = [" | ".join(x) for x in zip(caps["total_rule"], caps["per_borrower_rule"],
                                                           caps["single_source_rule"])]
        for col in ("cap_total_fen", "cap_per_borrower_fen", "cap_single_risk_source_fen", "utilized_fen",
                    "headroom_fen", "top_risk_source_exposure_fen", "channel_members_outstanding_fen",
                    "channel_book_fen", "appetite_fen", "quality_adjusted_fen", "single_customer_limit_fen",
                    "loan_limit_fen", "policy_per_borrower_fen", "policy_per_borrower_adjusted_fen", "facilities",
                    "borrowers", "borrowers_over_cap", "risk_sources_over_cap", "channel_members",
                    "channel_member_customers"):
            caps[col] = caps[col].astype("int64")

    bt = pd.DataFrame(borrower_rows, columns=BORROWER_COLUMNS)
    if len(bt):
        for col in ("group_exposure_fen", "group_headroom_fen"):
            bt[col] = pd.array(bt[col].tolist(), dtype="Int64")
        for col in ("current_outstanding_fen", "customer_outstanding_fen", "cap_fen", "headroom_fen"):
            bt[col] = bt[col].astype("int64")
        bt = bt.assign(_neg=-bt["current_outstanding_fen"]).sort_values(
            ["scheme_id", "_neg", "customer_id"], kind="stable").drop(columns="_neg").reset_index(drop=True)

    br = pd.DataFrame(breach_rows, columns=BREACH_COLUMNS)
    if len(br):
        for col in ("current_fen", "cap_fen", "excess_fen"):
            br[col] = br[col].astype("int64")
        br = br.assign(_t=br["breach_type"].map(BREACH_TYPES.index), _neg=-br["excess_fen"]).sort_values(
            ["scheme_id", "_t", "_neg", "subject_id"], kind="stable").drop(columns=["_t", "_neg"])
        br = br.reset_index(drop=True)
    return {"caps": caps, "scheme_borrower_caps": bt, "scheme_risk_sources": src_table, "caps_breaches": br}


def _scheme_sources(graph, dataset, policy, sources: pd.DataFrame, scheme_cust: dict, channel_of_scheme: dict,
                    caps_of: dict, utilized_of: dict, name_of: dict) -> pd.DataFrame:
    """Per (scheme, risk source): the scheme outstanding that depends on the source."""
    from ..risk import source_dependents

    empty = pd.DataFrame({col: [] for col in SOURCE_COLUMNS})
    rows = [(s, cu, o) for s, d in scheme_cust.items() for cu, o in d.items()]
    if not rows or not len(sources):
        return empty
    sc = pd.DataFrame(rows, columns=["scheme_id", "customer_id", "current"])
    deps = source_dependents(graph, dataset, policy)
    if not len(deps):
        return empty
    d = deps.merge(sc, on="customer_id", how="inner")
    d = d[d["source_id"] != d["scheme_id"].map(channel_of_scheme)]
    if not len(d):
        return empty
    via = (d.groupby(["scheme_id", "source_id"], sort=True)["via"]
           .agg(lambda v: ",".join(sorted(set(v)))).rename("via"))
    u = d.drop_duplicates(["scheme_id", "source_id", "customer_id"])
    agg = u.groupby(["scheme_id", "source_id"], sort=True).agg(
        dependent_customers=("customer_id", "size"), dependent_exposure_fen=("current", "sum"))
    agg = agg.join(via).reset_index()
    own = dict(((s, cu), o) for s, cu, o in rows)
    min_borrowers = int(policy.caps.single_source_min_borrowers)
    stype = dict(zip(sources["source_id"].tolist(), sources["source_type"].tolist()))
    out = []
    for r in agg.itertuples(index=False):
        cap_total, cap_ss = caps_of[r.scheme_id]
        mine = int(own.get((r.scheme_id, r.source_id), 0))
        dep = int(r.dependent_exposure_fen)
        total = dep + mine
        nb = int(r.dependent_customers) + (1 if (r.scheme_id, r.source_id) in own else 0)
        status = NOT_TESTED if nb < min_borrowers else BREACH if total > cap_ss else OK
        out.append({
            "scheme_id": r.scheme_id, "source_id": r.source_id, "name": name_of.get(r.source_id, ""),
            "source_type": stype.get(r.source_id, ""), "dependent_customers": int(r.dependent_customers),
            "scheme_borrowers": nb, "dependent_exposure_fen": dep, "own_exposure_fen": mine, "exposure_fen": total,
            "share_of_scheme": _ratio(total, utilized_of.get(r.scheme_id, 0)), "cap_fen": cap_ss,
            "headroom_fen": cap_ss - total, "status": status, "via": r.via})
    t = pd.DataFrame(out, columns=SOURCE_COLUMNS)
    for col in ("dependent_customers", "scheme_borrowers", "dependent_exposure_fen", "own_exposure_fen",
                "exposure_fen", "cap_fen", "headroom_fen"):
        t[col] = t[col].astype("int64")
    t = t.assign(_neg=-t["exposure_fen"]).sort_values(["scheme_id", "_neg", "source_id"], kind="stable")
    return t.drop(columns="_neg").reset_index(drop=True)


def draft_scheme_caps(graph, dataset, policy: Policy | None = None, risk=None):
    """Draft exposure caps for every channel scheme, with the rule that bound each.

    Parameters
    ----------
    graph : networkx.MultiDiGraph or None
        The dataset's graph (either backend). The facts are read from *dataset*, which holds
        the same ones, so both backends give identical tables.
    dataset : channelgraph.io.Dataset
        A validated dataset (``schemes``, ``exposures``, ``entities``, ``relations``).
    policy : Policy, optional
        Capital, ``limits`` and ``caps`` (default ``dataset.policy``).
    risk : AnalysisResult or mapping, optional
        The risk room's result (its ``risk_groups``, ``risk_group_members`` and ``risk_sources``
        tables); computed when not given.

    Returns
    -------
    caps : DataFrame, one row per scheme (``CAPS_COLUMNS``), sorted by scheme_id
        ``cap_total_fen``, ``cap_per_borrower_fen``, ``cap_single_risk_source_fen``,
        ``utilized_fen`` (outstanding of the scheme's facilities), ``headroom_fen`` (cap_total −
        utilized; negative is a breach), ``channel_members_outstanding_fen``, the quality
        figures and factors, each candidate amount, ``total_rule``, ``per_borrower_rule``,
        ``single_source_rule`` and ``binding_rule`` (the three joined by `` | ``).
    borrower_caps : DataFrame (``BORROWER_COLUMNS``)
        One row per (scheme, member or borrower): the individual cap, which also respects
        the customer's single-customer and loan headroom and its group's headroom, sorted by
        scheme, current outstanding (desc), customer id.
    breaches : DataFrame (``BREACH_COLUMNS``)
        ``scheme_total``, ``borrower`` and ``risk_source`` breaches, sorted by scheme, type,
        excess (desc), subject id.

    Notes
    -----
    Amounts are integer fen throughout; ratios are exact (Decimal or integer cross-products);
    every cap is floored (:func:`~channelgraph.model.fraction_of`) and rounded down to
    ``policy.caps.rounding_fen``. Rules: CBIRC 2018 Order No. 1 arts. 7–8; Commercial Banking
    Law art. 39; DOMAIN.md (scheme elements). See the module docstring for every formula.

    Examples
    --------
    A chamber C with two member firms: A borrows 3,000,000 yuan under scheme S, B 2,000,000
    outside it. Tier-1 capital is 100,000,000 yuan, so the appetite is 5% = 5,000,000; a book of
    two customers is concentrated (HHI 0.52 > 0.18), so the caps are multiplied by 0.8.

    >>> import pandas as pd
    >>> from channelgraph.io import dataset_from_frames
    >>> ent = pd.DataFrame({"id": ["C", "A", "B"], "kind": ["chamber", "enterprise", "enterprise"],
    ...                     "name": ["商会", "甲", "乙"], "is_customer": ["false", "true", "true"]})
    >>> rel = pd.DataFrame({"src": ["A", "B"], "dst": ["C", "C"], "type": ["MEMBER_OF"] * 2})
    >>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["A", "B"],
    ...                     "outstanding": ["3000000", "2000000"], "scheme_id": ["S", ""]})
    >>> sch = pd.DataFrame({"scheme_id": ["S"], "channel_id": ["C"], "name": ["会员贷"]})
    >>> ds = dataset_from_frames(ent, rel, exp, sch, policy=Policy.from_mapping(
    ...     {"tier1_capital": "100000000", "net_capital": "120000000"}))
    >>> caps, borrowers, breaches = draft_scheme_caps(None, ds)
    >>> r = caps.iloc[0]
    >>> int(r.cap_total_fen) // 100, int(r.cap_per_borrower_fen) // 100, int(r.utilized_fen) // 100
    (4000000, 4000000, 3000000)
    >>> r.per_borrower_rule
    'per-borrower = min(single-customer limit 15% of tier-1 15,000,000.00; loan limit 10% of net capital 12,000,000.00; scheme policy 5,000,000.00; quality-adjusted 5,000,000.00 × 0.8 = 4,000,000.00) → 4,000,000.00'
    >>> borrowers[["customer_id", "current_outstanding_fen", "cap_fen", "binding"]].values.tolist()
    [['A', 300000000, 400000000, 'scheme'], ['B', 0, 400000000, 'scheme']]
    >>> len(breaches)
    0
    """
    t = draft_caps_tables(graph, dataset, policy, risk)
    return t["caps"], t["scheme_borrower_caps"], t["caps_breaches"]
