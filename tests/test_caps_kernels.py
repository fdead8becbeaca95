"""The vectorised caps kernels against the reference they replaced.

``draft_caps_tables`` works on integer entity positions and formats each amount once per
distinct value; the reference below is the implementation it replaced (a Python loop per
scheme and per member or borrower, kept verbatim), and every table must come out identical —
values, dtypes, row order — over generated banks, random policies and hand-made edge cases.
The small helpers are checked against the scalar functions they vectorise, and the report's
one-pass split by scheme against a filter per scheme.
"""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelgraph.graph import build_book
from channelgraph.caps import caps_report_markdown, draft_caps_tables, run_caps
from channelgraph.caps.draft import (BORROWER_COLUMNS, BREACH, BREACH_COLUMNS, BREACH_TYPES, CAPS_COLUMNS,
                                     MEMBER_TYPES, NOT_TESTED, OK, SOURCE_COLUMNS, _NON_NORMAL, _assess, _expand,
                                     _limits, _num, _pct, _ratio, _ratios, _round_note, _rounded,
                                     _rounded_all, _y, _yuan_texts, channel_quality)
from channelgraph.caps.report import REPORT_ROWS, SchemeRows, _split_by_scheme, scheme_markdown
from channelgraph.generate import generate_dataset
from channelgraph.io import load_dataset
from channelgraph.model import format_yuan_human, fraction_of
from channelgraph.policy import Policy
from channelgraph.risk import run_risk, source_dependents

from conftest import SAMPLE

# ----------------------------------------------------------------------------- the reference


def reference_caps_tables(book, policy: Policy | None = None, risk=None) -> dict[str, pd.DataFrame]:
    """The caps tables as first written: a Python loop per scheme and per (scheme, borrower) row,
    on the validated tables (``book.tables``) and the risk room's public tables."""
    policy = policy or book.policy
    dataset = book.tables
    L = _limits(policy)
    c = policy.caps
    risk = risk if risk is not None else run_risk(book, policy)
    groups, gmembers, sources = risk.groups, risk.members, risk.sources

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
    for cu, o, s, status in zip(cust_ids, outs, sids, stats):
        cust_total[cu] = cust_total.get(cu, 0) + o
        if status in _NON_NORMAL:
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
        channel_book = {e: (cust_total.get(e, 0), cust_nn.get(e, 0)) for e in population if cust_total.get(e, 0)}
        member_customers = sum(1 for e in members if is_cust.get(e, False))
        q = channel_quality(channel_book, len(members), member_customers, policy)
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

    src_table = reference_scheme_sources(book, policy, sources, scheme_cust, channel_of_scheme, caps_of,
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


def reference_scheme_sources(book, policy, sources: pd.DataFrame, scheme_cust: dict, channel_of_scheme: dict,
                             caps_of: dict, utilized_of: dict, name_of: dict) -> pd.DataFrame:
    """Per (scheme, risk source): the scheme outstanding that depends on the source."""
    empty = pd.DataFrame({col: [] for col in SOURCE_COLUMNS})
    rows = [(s, cu, o) for s, d in scheme_cust.items() for cu, o in d.items()]
    if not rows or not len(sources):
        return empty
    sc = pd.DataFrame(rows, columns=["scheme_id", "customer_id", "current"])
    deps = source_dependents(book, policy)
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



# ----------------------------------------------------------------------------- comparing tables


def assert_same_tables(got: dict, want: dict) -> None:
    """Every table identical: the same columns in the same order, dtypes, values and row order."""
    assert list(got) == list(want)
    for name, w in want.items():
        g = got[name]
        assert list(g.columns) == list(w.columns), name
        assert g.dtypes.astype(str).tolist() == w.dtypes.astype(str).tolist(), name
        assert g.index.equals(w.index), name
        assert g.equals(w), (name, g.compare(w) if g.shape == w.shape else (g.shape, w.shape))


def both(ds, policy=None):
    """(vectorised, reference) tables on the same risk result."""
    book = build_book(ds)
    policy = policy or book.policy
    risk = run_risk(book, policy)
    return draft_caps_tables(book, policy, risk=risk), reference_caps_tables(book, policy, risk)


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    cache: dict = {}

    def get(seed: int, customers: int):
        if (seed, customers) not in cache:
            folder = tmp_path_factory.mktemp(f"bank-{seed}-{customers}")
            generate_dataset(folder, customers=customers, seed=seed)
            cache[seed, customers] = load_dataset(folder)
        return cache[seed, customers]

    return get


def test_the_sample_bank_is_identical():
    ds = load_dataset(SAMPLE)
    got, want = both(ds)
    assert len(want["scheme_borrower_caps"]) and len(want["scheme_risk_sources"])
    assert_same_tables(got, want)


def test_run_caps_gives_the_reference_tables_from_the_risk_result():
    ds = load_dataset(SAMPLE)
    book = build_book(ds)
    risk = run_risk(book, ds.policy)
    res = run_caps(book, ds.policy, {"risk": risk})
    assert_same_tables(res.tables, reference_caps_tables(book, ds.policy, risk))


policies = st.fixed_dictionaries({
    "tier1_per_mille": st.integers(5, 5000),
    "net_over_tier1": st.sampled_from(["1", "1.2", "1.5"]),
    "limits": st.fixed_dictionaries({
        "single_customer_share": st.sampled_from([0.01, 0.05, 0.15, 0.2]),
        "group_share": st.sampled_from([0.02, 0.1, 0.2, 0.25]),
        "single_borrower_net_capital_share": st.sampled_from([0.01, 0.02, 0.1]),
    }),
    "caps": st.fixed_dictionaries({
        "scheme_total_share": st.sampled_from([0.001, 0.005, 0.05, 0.3]),
        "per_borrower": st.integers(10_000, 50_000_000),  # > 0 and ≥ rounding (policy rules)
        "single_source_share": st.sampled_from([0.01, 0.05, 0.1, 0.5]),
        "single_source_min_borrowers": st.integers(1, 4),
        "rounding": st.sampled_from(["0.01", "1", "123.45", "10000"]),
        "hhi_above": st.sampled_from([0.05, 0.18, 1]),
        "penetration_below": st.sampled_from([0, 0.2, 0.9]),
        "non_normal_share_above": st.sampled_from([0, 0.05]),
        "quality_adjusts_per_borrower": st.booleans(),
    }),
})


def _policy(ds, raw) -> Policy:
    tier1 = max(100, ds.total_outstanding_fen * raw["tier1_per_mille"] // 1000)
    net = fraction_of(tier1, Decimal(raw["net_over_tier1"]))
    return Policy.from_mapping({
        "tier1_capital": f"{tier1 // 100}.{tier1 % 100:02d}", "net_capital": f"{net // 100}.{net % 100:02d}",
        "limits": raw["limits"], "caps": dict(raw["caps"], per_borrower=str(raw["caps"]["per_borrower"]))})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(seed=st.sampled_from((1, 2, 3, 5, 8, 13)), size=st.sampled_from((40, 90, 200)), raw=policies)
def test_generated_banks_and_random_policies_are_identical(banks, seed, size, raw):
    base = banks(seed, size)
    policy = _policy(base, raw)
    got, want = both(dataclasses.replace(base, policy=policy), policy)
    assert_same_tables(got, want)


#: Two schemes on one chamber (one without borrowers), a market without members, a guarantor that
#: borrows under the scheme it backs, a group far over its limit, a zero facility, bad loans.
EDGE_ENTITIES = """\
id,kind,name,is_customer,net_assets
C1,chamber,温州商会,false,
C2,chamber,空商会,false,
M1,market,轻纺城,false,
I1,intermediary,安居中介,false,
A,enterprise,甲公司,true,1000000
B,enterprise,乙公司,true,1000000
D,enterprise,丁公司,true,1000000
G,enterprise,担保公司,true,1000000
P,person,张三,false,
Q,person,李四,true,
"""
EDGE_RELATIONS = """\
src,dst,type,amount,share,role
A,C1,MEMBER_OF,,,
B,C1,MEMBER_OF,,,
D,C1,MEMBER_OF,,,
P,C1,MEMBER_OF,,,
G,C1,MEMBER_OF,,,
Q,M1,TRADES_IN,,,
G,A,GUARANTEES,900000,,
G,B,GUARANTEES,900000,,
G,D,GUARANTEES,900000,,
P,A,CONTROLS,,0.8,
P,B,CONTROLS,,0.9,
Q,I1,SOURCED_VIA,,,
A,I1,SOURCED_VIA,,,
B,I1,SOURCED_VIA,,,
"""
EDGE_SCHEMES = """\
scheme_id,channel_id,name,product
S2,C1,会员贷二,
S1,C1,会员贷,business_loan
S3,M1,市场贷,
S4,C2,空方案,
"""


def _edge_exposures(rng: random.Random) -> str:
    rows = ["facility_id,customer_id,outstanding,limit,product,scheme_id,status"]
    statuses = ["normal", "special_mention", "substandard", "doubtful", "loss", ""]
    for i, cu in enumerate(["A", "A", "B", "D", "G", "G", "Q", "B", "D"]):
        amount = rng.choice([0, 1, 99.99, 10_000, 2_500_000, 40_000_000, 150_000_000])
        scheme = rng.choice(["S1", "S1", "S2", "S3", ""])
        rows.append(f"F{i},{cu},{amount},,,{scheme},{rng.choice(statuses)}")
    return "\n".join(rows) + "\n"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), raw=policies)
def test_hand_made_edge_cases_are_identical(make_dataset, seed, raw):
    folder = make_dataset(entities=EDGE_ENTITIES, relations=EDGE_RELATIONS, schemes=EDGE_SCHEMES,
                          exposures=_edge_exposures(random.Random(seed)))
    ds = load_dataset(folder)
    policy = _policy(ds, raw) if ds.total_outstanding_fen else ds.policy
    got, want = both(dataclasses.replace(ds, policy=policy), policy)
    assert_same_tables(got, want)


def test_no_schemes_and_no_borrowers_give_the_same_empty_tables(make_dataset):
    folder = make_dataset(entities=EDGE_ENTITIES, relations=EDGE_RELATIONS, schemes=None,
                          exposures="facility_id,customer_id,outstanding\nF1,A,100\n")
    assert_same_tables(*both(load_dataset(folder)))
    folder = make_dataset(entities=EDGE_ENTITIES, relations=EDGE_RELATIONS, schemes=EDGE_SCHEMES,
                          exposures="facility_id,customer_id,outstanding,scheme_id\nF1,A,100,\n")
    assert_same_tables(*both(load_dataset(folder)))


# ----------------------------------------------------------------------------- the small kernels


@given(st.lists(st.one_of(st.integers(-10**15, 10**15), st.sampled_from([0, 1, -1, 99, 100, -100, 999_999])),
                max_size=60))
def test_amounts_are_formatted_as_format_yuan_human(values):
    assert _yuan_texts(np.asarray(values, dtype=np.int64)).tolist() == [format_yuan_human(v) for v in values]


@given(st.lists(st.integers(-10**13, 10**13), max_size=40), st.sampled_from([0, 1, 2, 100, 12345, 1_000_000]))
def test_rounding_matches_the_scalar_rule(values, unit):
    got = _rounded_all(np.asarray(values, dtype=np.int64), unit).tolist()
    assert got == [_rounded(v, unit) for v in values]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 5)), max_size=20))
def test_expand_concatenates_ranges(pairs):
    starts = np.asarray([a for a, _ in pairs], dtype=np.int64)
    counts = np.asarray([k for _, k in pairs], dtype=np.int64)
    assert _expand(starts, counts).tolist() == [i for a, k in pairs for i in range(a, a + k)]


@given(st.dictionaries(st.text("ABC", min_size=1, max_size=3),
                       st.tuples(st.integers(0, 10**12), st.integers(0, 10**12)), max_size=8),
       st.integers(0, 50), st.integers(0, 50))
def test_quality_from_sums_is_channel_quality(book, members, customers):
    book = {k: (o, min(n, o)) for k, (o, n) in book.items()}
    want = channel_quality(book, members, customers, Policy())
    total, nn = sum(o for o, _ in book.values()), sum(n for _, n in book.values())
    got = _assess(total, nn, sum(o * o for o, _ in book.values()), members, customers, Policy())
    assert got == want


# ----------------------------------------------------------------------------- the report's split


def test_split_by_scheme_is_a_filter_per_scheme():
    rng = np.random.default_rng(7)
    sids = rng.choice(["S3", "S1", "S2", "S10"], size=200)
    df = pd.DataFrame({"scheme_id": sids, "x": np.arange(200), "name": [f"n{i}" for i in range(200)]})
    split = _split_by_scheme(df)
    assert set(split) == set(sids.tolist())
    for sid in split:
        want = df[df["scheme_id"] == sid]
        rows, n = split[sid]
        assert n == len(want)
        assert [tuple(r) for r in rows] == [tuple(r) for r in want.head(REPORT_ROWS).itertuples()]
    assert _split_by_scheme(None) == {} and _split_by_scheme(df.iloc[:0]) == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_scheme_alone_renders_as_in_the_whole_report(lang):
    ds = load_dataset(SAMPLE)
    res = run_caps(build_book(ds), ds.policy)
    rows = SchemeRows(res.tables)
    doc = caps_report_markdown(res, ds.policy, lang)
    for r in res.tables["caps"].itertuples(index=False):
        alone = scheme_markdown(r, res.tables, ds.policy, lang, 2)
        assert alone == scheme_markdown(r, res.tables, ds.policy, lang, 2, rows)
        assert alone in doc


@given(st.lists(st.tuples(st.integers(-10**14, 10**14), st.integers(-5, 10**14)), max_size=30),
       st.sampled_from([2, 4, 6]))
def test_ratios_match_the_scalar_ratio(pairs, places):
    parts = np.asarray([a for a, _ in pairs], dtype=np.int64)
    wholes = np.asarray([b for _, b in pairs], dtype=np.int64)
    assert _ratios(parts, wholes, places) == [_ratio(a, b, places) for a, b in pairs]
    nonneg = np.abs(parts)
    assert _ratios(nonneg, wholes, places) == [_ratio(a, b, places) for a, b in zip(nonneg.tolist(), wholes.tolist())]
