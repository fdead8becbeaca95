"""The caps tables against the rules they implement.

``draft_caps_tables`` is checked against the rules of its module docstring (and DOMAIN.md's
scheme caps), each recomputed here from the policy, the book's tables and the risk room's
public results: every cap is the minimum of its stated terms, floored and rounded down to
``policy.caps.rounding_fen``; a borrower's cap respects its single-customer, loan and group
room; utilisation, headroom, risk-source exposures and breaches follow from the facilities.
The rules hold over generated banks, random policies and hand-made edge cases, and a tiny book
worked out by hand is asserted cell by cell. The small helpers are checked against the scalar
functions they vectorise, and the report's one-pass split by scheme against a filter per scheme.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter, defaultdict
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelgraph.caps import caps_report_markdown, draft_caps_tables, run_caps
from channelgraph.caps.draft import (
    BORROWER_COLUMNS,
    BREACH,
    BREACH_COLUMNS,
    BREACH_TYPES,
    CAPS_COLUMNS,
    NOT_TESTED,
    OK,
    SOURCE_COLUMNS,
    _assess,
    _expand,
    _ratio,
    _ratios,
    _rounded,
    _rounded_all,
    _yuan_texts,
    channel_quality,
)
from channelgraph.caps.report import REPORT_ROWS, SchemeRows, _split_by_scheme, scheme_markdown
from channelgraph.generate import generate_dataset
from channelgraph.graph import build_book, measure_exposure
from channelgraph.io import load_dataset
from channelgraph.model import Status, format_yuan_human, fraction_of
from channelgraph.policy import Policy
from channelgraph.risk import run_risk, source_dependents

from conftest import SAMPLE, write_dataset

# ----------------------------------------------------------------------------- the rules

#: 关注 and worse (a facility without a status counts as normal).
NON_NORMAL = {s.value for s in Status} - {Status.NORMAL.value}
#: The ties that make an entity a member of a channel.
MEMBERSHIP = ("MEMBER_OF", "TRADES_IN", "SOURCED_VIA")
#: Integer columns that are never missing; the group columns are missing outside a group.
COUNTS = {
    "facilities",
    "borrowers",
    "borrowers_over_cap",
    "risk_sources_over_cap",
    "channel_members",
    "channel_member_customers",
    "dependent_customers",
    "scheme_borrowers",
    "groups_over_limit",
}
NULLABLE = {"group_exposure_fen", "group_headroom_fen", "group_share_fen", "risk_source_share_fen"}
#: Flag columns not named ``is_…``.
FLAGS = {"interbank"}


def shared(room: int, needs: list[int]) -> list[int]:
    """A room shared as the caps module documents, found another way (bisection on the level):
    a lone claimant takes the room; otherwise the largest level L with Σ min(need, L) ≤ room,
    each gets min(need, L), and the fen left go one each, in the listed order, to those short."""
    if len(needs) == 1:
        return [room]
    lo, hi = 0, max(needs, default=0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(d, mid) for d in needs) <= room:
            lo = mid
        else:
            hi = mid - 1
    out = [min(d, lo) for d in needs]
    left = room - sum(out)
    for i, d in enumerate(needs):
        if left and d > lo:
            out[i] += 1
            left -= 1
    return out


def share_of(fen: int, share) -> int:
    """``share × fen`` floored to the fen, exactly."""
    return math.floor(Fraction(int(fen)) * Fraction(share))


def down(fen: int, unit: int) -> int:
    """Floored at 0, then rounded down to a multiple of *unit*."""
    return max(0, int(fen)) // unit * unit


def truncated(part: int, whole: int, places: int) -> str:
    """``part / whole`` truncated to *places* decimals, as text ('' when whole is 0)."""
    return "" if whole <= 0 else str(Decimal(part * 10**places // whole).scaleb(-places))


def check_columns(tables: dict) -> None:
    """The four tables with exactly the documented columns, integer and flag dtypes, a plain index."""
    assert list(tables) == ["caps", "scheme_borrower_caps", "scheme_risk_sources", "caps_breaches"]
    for (name, t), columns in zip(tables.items(), (CAPS_COLUMNS, BORROWER_COLUMNS, SOURCE_COLUMNS, BREACH_COLUMNS)):
        assert list(t.columns) == columns, name
        assert t.index.equals(pd.RangeIndex(len(t))), name
        if not len(t):
            continue
        for col in columns:
            dtype = str(t[col].dtype)
            if col in NULLABLE:
                assert dtype == "Int64", (name, col, dtype)
            elif col.endswith("_fen") or col in COUNTS:
                assert dtype == "int64", (name, col, dtype)
            elif col.startswith("is_") or col in FLAGS:
                assert dtype == "bool", (name, col, dtype)
            else:
                assert pd.api.types.is_string_dtype(t[col]), (name, col, dtype)
                assert not t[col].isna().any(), (name, col)


def check_caps_rules(book, policy: Policy, risk, tables: dict) -> None:
    """Every caps table follows the rules of ``channelgraph.caps.draft``, each recomputed here."""
    check_columns(tables)
    caps, bt, src, br = tables.values()
    ds, c, lim = book.tables, policy.caps, policy.limits
    unit = int(c.rounding_fen)
    single = share_of(policy.tier1_capital_fen, lim.single_customer_share)
    loan = share_of(policy.net_capital_fen, lim.single_borrower_net_capital_share)
    group_limit = share_of(policy.tier1_capital_fen, lim.group_share)
    appetite = share_of(policy.tier1_capital_fen, c.scheme_total_share)

    # the book: each customer's outstanding, non-normal outstanding, exposure and loans (the
    # measure of graph.exposure, tested on its own), each scheme's borrowers
    exp = ds.exposures
    measured = measure_exposure(book, policy)
    blank = pd.Series([""] * len(exp), dtype=object)
    owed, bad, n_fac, held, loans = Counter(), Counter(), Counter(), Counter(), Counter()
    under: dict = defaultdict(Counter)  # scheme → borrower → exposure under the scheme
    under_out: dict = defaultdict(Counter)  # … outstanding under the scheme
    under_loans: dict = defaultdict(Counter)  # … loans under the scheme
    for cu, o, x, ln, s, status in zip(
        exp["customer_id"],
        exp["outstanding"].astype(int),
        measured.exposure.tolist(),
        measured.on_balance.tolist(),
        exp.get("scheme_id", blank).fillna(""),
        exp.get("status", blank).fillna(""),
    ):
        owed[cu] += o
        held[cu] += x
        loans[cu] += ln
        bad[cu] += o if status in NON_NORMAL else 0
        if s:
            under[s][cu] += x
            under_out[s][cu] += o
            under_loans[s][cu] += ln
            n_fac[s] += 1
    interbank = dict(zip(book.ids.tolist(), book.is_interbank.tolist()))
    exempt = dict(zip(book.ids.tolist(), book.exempt.tolist()))
    ent = ds.entities
    is_cust = dict(zip(ent["id"], ent["is_customer"].astype(bool)))
    kind_of = dict(zip(ent["id"], ent["kind"]))
    rel = ds.relations
    members: dict = defaultdict(set)
    for a, b, ty in zip(rel["src"], rel["dst"], rel["type"]):
        if ty in MEMBERSHIP:
            members[b].add(a)
    size = dict(zip(risk.groups["group_id"], risk.groups["member_count"]))
    g_exp = dict(zip(risk.groups["group_id"], risk.groups["exposure_fen"]))
    group_of = {e: g for e, g in zip(risk.members["entity_id"], risk.members["group_id"]) if size.get(g, 0) >= 2}
    g_interbank = dict(zip(risk.groups["group_id"], risk.groups.get("interbank", [False] * len(risk.groups))))
    g_over = dict(zip(risk.groups["group_id"], risk.groups["status"] == BREACH))
    g_limit_fen = dict(zip(risk.groups["group_id"], risk.groups["limit_fen"]))
    interbank_limit = share_of(policy.tier1_capital_fen, lim.interbank_share)

    # scheme level: quality, the three caps, utilisation
    schemes = ds.schemes
    assert caps["scheme_id"].tolist() == sorted(schemes["scheme_id"])
    channel_of = dict(zip(schemes["scheme_id"], schemes["channel_id"]))
    for r in caps.itertuples(index=False):
        ch, borrowers = r.channel_id, under[r.scheme_id]
        assert ch == channel_of[r.scheme_id] and r.channel_kind == kind_of[ch]
        mem = members[ch]
        pop = mem | set(borrowers)
        total, nn = sum(owed[e] for e in pop), sum(bad[e] for e in pop)
        n_cust = sum(bool(is_cust[e]) for e in mem)
        assert (r.channel_book_fen, r.channel_members, r.channel_member_customers) == (total, len(mem), n_cust)
        assert r.channel_members_outstanding_fen == sum(owed[e] for e in mem)
        nn_share = Fraction(nn, total) if total else Fraction(0)
        f_nn = (
            c.non_normal_factor_high
            if nn_share > Fraction(c.non_normal_share_high)
            else c.non_normal_factor
            if nn_share > Fraction(c.non_normal_share_above)
            else Decimal(1)
        )
        sq = sum(owed[e] ** 2 for e in pop)
        f_hhi = c.concentration_factor if total and Fraction(sq, total**2) > Fraction(c.hhi_above) else Decimal(1)
        low = mem and Fraction(n_cust, len(mem)) < Fraction(c.penetration_below)
        f_pen = c.penetration_factor if low else Decimal(1)
        qf = f_nn * f_hhi * f_pen
        got = [
            Decimal(x) for x in (r.non_normal_factor, r.concentration_factor, r.penetration_factor, r.quality_factor)
        ]
        assert got == [f_nn, f_hhi, f_pen, qf], r.scheme_id
        assert (r.non_normal_share, r.hhi, r.penetration) == (
            truncated(nn, total, 6),
            truncated(sq, total**2, 6),
            truncated(n_cust, len(mem), 6),
        )
        for test in ("non-normal", "HHI", "penetration"):  # every test is named in the rule text
            assert test in r.total_rule
        for f, text in ((f_nn, r.non_normal_factor), (f_hhi, r.concentration_factor), (f_pen, r.penetration_factor)):
            assert f == 1 or f"×{text}" in r.total_rule  # and every factor applied

        adjusted = share_of(appetite, qf)
        assert (r.appetite_fen, r.quality_adjusted_fen) == (appetite, adjusted)
        assert r.cap_total_fen == down(min(appetite, adjusted), unit)
        assert r.total_binding == ("quality" if adjusted < appetite else "appetite")
        pb = int(c.per_borrower_fen)
        pb_adjusted = share_of(pb, qf) if c.quality_adjusts_per_borrower else pb
        terms = {"single_customer": single, "loan_limit": loan, "scheme_policy": pb, "quality": pb_adjusted}
        assert (r.single_customer_limit_fen, r.loan_limit_fen) == (single, loan)
        assert (r.policy_per_borrower_fen, r.policy_per_borrower_adjusted_fen) == (pb, pb_adjusted)
        assert r.cap_per_borrower_fen == down(min(terms.values()), unit)
        assert terms[r.per_borrower_binding] == min(terms.values())
        assert r.cap_single_risk_source_fen == down(share_of(r.cap_total_fen, c.single_source_share), unit)
        for rule, cap in (
            (r.total_rule, r.cap_total_fen),
            (r.per_borrower_rule, r.cap_per_borrower_fen),
            (r.single_source_rule, r.cap_single_risk_source_fen),
        ):
            assert f"→ {format_yuan_human(cap)}" in rule
        assert r.binding_rule == " | ".join((r.total_rule, r.per_borrower_rule, r.single_source_rule))

        utilized = sum(borrowers.values())
        assert (r.utilized_fen, r.facilities, r.borrowers) == (utilized, n_fac[r.scheme_id], len(borrowers))
        assert r.headroom_fen == r.cap_total_fen - utilized
        assert r.utilization == truncated(utilized, r.cap_total_fen, 4)
        assert r.utilized_outstanding_fen == sum(under_out[r.scheme_id].values())
    # the schemes' utilisation reconciles with every facility that carries a scheme id
    assert caps["utilized_fen"].sum() == sum(sum(b.values()) for b in under.values())

    # per borrower: every member of the channel and every borrower, each within every limit's room
    scheme_caps = caps.set_index("scheme_id")
    assert sorted(zip(bt["scheme_id"], bt["customer_id"])) == sorted(
        (s, e) for s in caps["scheme_id"] for e in members[channel_of[s]] | set(under[s])
    )
    deps = source_dependents(book, policy)
    tested = {
        (x.scheme_id, x.source_id): int(x.cap_fen) - int(x.exposure_fen)
        for x in src.itertuples()
        if x.status != NOT_TESTED
    }
    depends_on: dict = defaultdict(set)  # customer → the sources it depends on
    for source, cu in zip(deps["source_id"], deps["customer_id"]):
        depends_on[cu].add(source)
    rows = list(bt.itertuples(index=False))
    cur_of: list[int] = []
    terms_of: list[dict] = []
    for r in rows:
        borrowers = under[r.scheme_id]
        cur, own = borrowers.get(r.customer_id, 0), owed[r.customer_id]
        assert (r.current_exposure_fen, r.customer_exposure_fen) == (cur, held[r.customer_id])
        assert r.customer_loans_fen == loans[r.customer_id]
        assert (r.current_outstanding_fen, r.customer_outstanding_fen) == (
            under_out[r.scheme_id].get(r.customer_id, 0),
            own,
        )
        assert r.is_member == (r.customer_id in members[channel_of[r.scheme_id]])
        assert r.is_borrower == (r.customer_id in borrowers)
        assert r.is_customer == is_cust[r.customer_id] and r.kind == kind_of[r.customer_id]
        assert (bool(r.interbank), r.exempt) == (interbank[r.customer_id], exempt[r.customer_id])
        terms_of.append({"scheme": scheme_caps.at[r.scheme_id, "cap_per_borrower_fen"]})
        cur_of.append(cur)

    # the customer's own single-customer and loan rooms, shared among its rows in every scheme
    rows_of: dict = defaultdict(list)
    for i, r in enumerate(rows):
        rows_of[r.customer_id].append(i)
    for cu, idx in rows_of.items():
        if exempt[cu]:
            continue
        needs = [max(0, terms_of[i]["scheme"] - cur_of[i]) for i in idx]
        rooms = [("single_customer", (interbank_limit if interbank[cu] else single) - held[cu])]
        if not interbank[cu]:
            rooms.append(("loan_limit", loan - loans[cu]))
        for name, room in rooms:
            shares = [room] * len(idx) if room < 0 else shared(room, needs)
            assert room < 0 or sum(shares) <= room  # never more than the customer's room, over its schemes
            for i, sh in zip(idx, shares):
                r = rows[i]
                held_here = cur_of[i] if name == "single_customer" else under_loans[r.scheme_id].get(cu, 0)
                terms_of[i][name] = held_here + sh
    base = [min(t.values()) for t in terms_of]

    # a group's room, shared among its members' rows in every scheme (exempt members aside)
    claims: dict = defaultdict(list)
    for i, r in enumerate(rows):
        g = group_of.get(r.customer_id)
        if g is None:
            assert r.group_id == "" and pd.isna(r.group_exposure_fen) and pd.isna(r.group_headroom_fen)
            continue
        limit = interbank_limit if g_interbank.get(g) else group_limit
        assert (r.group_id, r.group_exposure_fen) == (g, g_exp[g])
        assert r.group_headroom_fen == max(0, limit - g_exp[g])
        if not exempt[r.customer_id]:
            claims[g].append(i)
    for g, idx in claims.items():
        limit = interbank_limit if g_interbank.get(g) else group_limit
        room = limit - g_exp[g]
        if room < 0:
            shares = [room] * len(idx)
        else:
            shares = shared(room, [max(0, base[i] - cur_of[i]) for i in idx])
            assert sum(shares) <= room  # never more than the room, over every scheme and member
        for i, sh in zip(idx, shares):
            terms_of[i]["group"] = cur_of[i] + sh
            assert rows[i].group_share_fen == sh
            assert rows[i].headroom_fen <= max(sh, 0)  # new lending never exceeds its share
    # a tested risk source's room, shared among its dependants' rows in the scheme
    s_claims: dict = defaultdict(list)
    for i, r in enumerate(rows):
        for source in sorted(depends_on[r.customer_id] | {r.customer_id}):
            if (r.scheme_id, source) in tested:
                s_claims[r.scheme_id, source].append(i)
    bound: dict = defaultdict(list)
    for key, idx in s_claims.items():
        room = tested[key]
        if room < 0:
            shares = [None] * len(idx)
        else:
            shares = shared(room, [max(0, min(terms_of[i].values()) - cur_of[i]) for i in idx])
            assert sum(shares) <= room
        for i, sh in zip(idx, shares):
            bound[i].append((0 if sh is None else cur_of[i] + sh, key[1]))
    for i, r in enumerate(rows):
        terms = terms_of[i]
        if bound[i]:
            b_fen, b_src = min(bound[i])
            terms["risk_source"] = b_fen
            assert r.risk_source_id == b_src
            assert r.cap_fen <= b_fen  # never more than the source's room allows
        else:
            assert r.risk_source_id == "" and pd.isna(r.risk_source_share_fen)
        cur = cur_of[i]
        assert r.cap_fen == down(min(terms.values()), unit), (r, terms)
        assert terms[r.binding] == min(terms.values())
        assert r.headroom_fen == r.cap_fen - cur
        assert r.status == (BREACH if cur > r.cap_fen else OK)
        assert f"→ {format_yuan_human(r.cap_fen)}" in r.binding_rule
    keys = list(zip(bt["scheme_id"], -bt["current_exposure_fen"], bt["customer_id"]))
    assert keys == sorted(keys)

    # single risk sources: the scheme exposure that depends on one source
    behind: dict = defaultdict(set)  # (scheme, source) → dependants borrowing under the scheme
    vias: dict = defaultdict(set)
    for s_id, borrowers in under.items():
        d = deps[deps["customer_id"].isin(list(borrowers)) & (deps["source_id"] != channel_of[s_id])]
        for source, cu, via in d.itertuples(index=False):
            behind[s_id, source].add(cu)
            vias[s_id, source].add(via)
    assert sorted(zip(src["scheme_id"], src["source_id"])) == sorted(behind)
    source_type = dict(zip(risk.sources["source_id"], risk.sources["source_type"]))
    min_borrowers = int(c.single_source_min_borrowers)
    for r in src.itertuples(index=False):
        borrowers, dependants = under[r.scheme_id], behind[r.scheme_id, r.source_id]
        assert r.source_id != channel_of[r.scheme_id]
        assert r.dependent_customers == len(dependants) and r.source_id not in dependants
        assert r.dependent_exposure_fen == sum(borrowers[e] for e in dependants)
        assert r.own_exposure_fen == borrowers.get(r.source_id, 0)
        assert r.exposure_fen == r.dependent_exposure_fen + r.own_exposure_fen
        assert r.scheme_borrowers == len(dependants) + (r.source_id in borrowers)
        assert r.share_of_scheme == truncated(r.exposure_fen, sum(borrowers.values()), 6)
        assert r.cap_fen == scheme_caps.at[r.scheme_id, "cap_single_risk_source_fen"]
        assert r.headroom_fen == r.cap_fen - r.exposure_fen
        assert r.status == (
            NOT_TESTED if r.scheme_borrowers < min_borrowers else BREACH if r.exposure_fen > r.cap_fen else OK
        )
        assert r.via == ",".join(sorted(vias[r.scheme_id, r.source_id]))
        assert r.source_type == source_type.get(r.source_id, "")
    keys = list(zip(src["scheme_id"], -src["exposure_fen"], src["source_id"]))
    assert keys == sorted(keys)

    # breaches: exactly the scheme totals, borrowers and tested sources above their caps
    over = caps[caps["utilized_fen"] > caps["cap_total_fen"]]
    b_over, s_over = bt[bt["current_exposure_fen"] > bt["cap_fen"]], src[src["status"] == BREACH]
    g_hit = sorted(
        {
            (s, g)
            for s, g, b in zip(bt["scheme_id"], bt["group_id"], bt["is_borrower"])
            if b and g and g_over.get(g, False)
        }
    )
    want = sorted(
        [
            (s, "scheme_total", s, u, cap)
            for s, u, cap in zip(over["scheme_id"], over["utilized_fen"], over["cap_total_fen"])
        ]
        + [
            (s, "borrower", e, u, cap)
            for s, e, u, cap in zip(
                b_over["scheme_id"], b_over["customer_id"], b_over["current_exposure_fen"], b_over["cap_fen"]
            )
        ]
        + [(s, "group_limit", g, int(g_exp[g]), int(g_limit_fen[g])) for s, g in g_hit]
        + [
            (s, "risk_source", e, u, cap)
            for s, e, u, cap in zip(s_over["scheme_id"], s_over["source_id"], s_over["exposure_fen"], s_over["cap_fen"])
        ]
    )
    assert sorted(zip(br["scheme_id"], br["breach_type"], br["subject_id"], br["current_fen"], br["cap_fen"])) == want
    assert (br["excess_fen"] == br["current_fen"] - br["cap_fen"]).all() and (br["excess_fen"] > 0).all()
    keys = list(zip(br["scheme_id"], br["breach_type"].map(BREACH_TYPES.index), -br["excess_fen"], br["subject_id"]))
    assert keys == sorted(keys)

    # the scheme row's counts and status
    for r in caps.itertuples(index=False):
        mine = src[src["scheme_id"] == r.scheme_id]
        n_over = int((b_over["scheme_id"] == r.scheme_id).sum())
        n_src = int((s_over["scheme_id"] == r.scheme_id).sum())
        assert (r.borrowers_over_cap, r.risk_sources_over_cap) == (n_over, n_src)
        top = mine.iloc[0] if len(mine) else None
        assert r.top_risk_source_id == ("" if top is None else top["source_id"])
        assert r.top_risk_source_exposure_fen == (0 if top is None else mine["exposure_fen"].max())
        n_groups = sum(1 for s, _ in g_hit if s == r.scheme_id)
        assert r.groups_over_limit == n_groups
        assert r.status == (BREACH if r.utilized_fen > r.cap_total_fen or n_over or n_src or n_groups else OK)


def checked(ds, policy=None) -> dict:
    """The caps tables of *ds*, after checking them against the rules."""
    book = build_book(ds)
    policy = policy or book.policy
    risk = run_risk(book, policy)
    tables = draft_caps_tables(book, policy, risk=risk)
    check_caps_rules(book, policy, risk, tables)
    return tables


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


def test_the_sample_bank_follows_the_rules():
    tables = checked(load_dataset(SAMPLE))
    assert len(tables["scheme_borrower_caps"]) and len(tables["scheme_risk_sources"])


def test_run_caps_gives_the_drafted_tables_from_the_risk_result():
    ds = load_dataset(SAMPLE)
    book = build_book(ds)
    risk = run_risk(book, ds.policy)
    res = run_caps(book, ds.policy, {"risk": risk})
    check_caps_rules(book, ds.policy, risk, res.tables)
    want = draft_caps_tables(book, ds.policy, risk=risk)
    assert all(res.tables[k].equals(want[k]) for k in want)


# ----------------------------------------------------------------------------- a book worked out by hand

#: Chamber C (members A, B, D and the person P, who controls A and B: group G-A of three) backs
#: S1; market M (traders E and G; G guarantees E) backs S2. Amounts in yuan.
HAND_ENTITIES = """\
id,kind,name,is_customer,net_assets
C,chamber,商会,false,
M,market,市场,false,
P,person,张三,false,
A,enterprise,甲,true,1000000
B,enterprise,乙,true,1000000
D,enterprise,丁,true,1000000
E,enterprise,戊,true,1000000
G,enterprise,担保,true,10000000
"""
HAND_RELATIONS = """\
src,dst,type,amount,share,role
A,C,MEMBER_OF,,,
B,C,MEMBER_OF,,,
D,C,MEMBER_OF,,,
P,C,MEMBER_OF,,,
E,M,TRADES_IN,,,
G,M,TRADES_IN,,,
P,A,CONTROLS,,0.8,
P,B,CONTROLS,,0.9,
G,E,GUARANTEES,10000,,
"""
HAND_EXPOSURES = """\
facility_id,customer_id,outstanding,scheme_id,status
F1,A,20000,S1,normal
F2,B,15000,S1,special_mention
F3,B,5000,,normal
F4,D,115400,,normal
F5,E,8000,S2,normal
F6,G,3000,S2,normal
F7,G,50000,,normal
"""
HAND_SCHEMES = """\
scheme_id,channel_id,name
S2,M,市场贷
S1,C,会员贷
"""
#: Tier-1 1,000,000: appetite 5% = 50,000, single customer 15% = 150,000, group 4% = 40,000;
#: net capital 1,200,000: loan limit 10% = 120,000. Caps round down to 1,000.
HAND_POLICY = """\
tier1_capital = "1000000"
net_capital = "1200000"
[limits]
group_share = 0.04
[caps]
per_borrower = "30500"
rounding = "1000"
single_source_share = 0.3
"""


def test_a_book_worked_out_by_hand(tmp_path):
    ds = load_dataset(
        write_dataset(tmp_path / "hand", HAND_ENTITIES, HAND_RELATIONS, HAND_EXPOSURES, HAND_SCHEMES, HAND_POLICY)
    )
    t = checked(ds)
    k = 100  # fen per yuan
    # S1 on C: the book of A, B, D, P is 20,000 + 20,000 + 115,400 + 0 = 155,400; non-normal 15,000
    #   = 9.65% > 5% (≤ 10%) → ×0.8; HHI (20² + 20² + 115.4²) / 155.4² = 0.5845 > 0.18 → ×0.8;
    #   penetration 3 customers of 4 members = 75% ≥ 20% → ×1. Quality 0.64.
    #   total = min(50,000; 50,000 × 0.64 = 32,000) = 32,000; utilised 20,000 + 15,000 = 35,000.
    #   per borrower = min(150,000; 120,000; 30,500; 30,500 × 0.64 = 19,520) → 19,000 (rounded).
    #   single source = 30% × 32,000 = 9,600 → 9,000.
    # S2 on M: the book of E, G is 8,000 + 53,000 = 61,000, all normal; HHI (8² + 53²) / 61² = 0.7721
    #   → ×0.8; penetration 2 of 2. total = 40,000, utilised 11,000; per borrower 30,500 × 0.8 =
    #   24,400 → 24,000; single source 30% × 40,000 = 12,000.
    caps = t["caps"]
    assert caps[
        [
            "scheme_id",
            "cap_total_fen",
            "cap_per_borrower_fen",
            "cap_single_risk_source_fen",
            "utilized_fen",
            "headroom_fen",
            "utilization",
            "status",
            "facilities",
            "borrowers",
            "borrowers_over_cap",
            "risk_sources_over_cap",
            "top_risk_source_id",
            "top_risk_source_exposure_fen",
        ]
    ].values.tolist() == [
        [
            "S1",
            32_000 * k,
            19_000 * k,
            9_000 * k,
            35_000 * k,
            -3_000 * k,
            "1.0937",
            BREACH,
            2,
            2,
            2,
            1,
            "P",
            35_000 * k,
        ],
        ["S2", 40_000 * k, 24_000 * k, 12_000 * k, 11_000 * k, 29_000 * k, "0.2750", OK, 2, 2, 0, 0, "G", 11_000 * k],
    ]
    assert caps[
        [
            "channel_members",
            "channel_member_customers",
            "channel_members_outstanding_fen",
            "channel_book_fen",
            "non_normal_share",
            "hhi",
            "penetration",
            "quality_flags",
            "non_normal_factor",
            "concentration_factor",
            "penetration_factor",
            "quality_factor",
        ]
    ].values.tolist() == [
        [
            4,
            3,
            155_400 * k,
            155_400 * k,
            "0.096525",
            "0.584581",
            "0.750000",
            "non_normal;concentration",
            "0.8",
            "0.8",
            "1",
            "0.64",
        ],
        [2, 2, 61_000 * k, 61_000 * k, "0.000000", "0.772104", "1.000000", "concentration", "1", "0.8", "1", "0.8"],
    ]
    assert caps[
        [
            "appetite_fen",
            "quality_adjusted_fen",
            "total_binding",
            "single_customer_limit_fen",
            "loan_limit_fen",
            "policy_per_borrower_fen",
            "policy_per_borrower_adjusted_fen",
            "per_borrower_binding",
        ]
    ].values.tolist() == [
        [50_000 * k, 32_000 * k, "quality", 150_000 * k, 120_000 * k, 30_500 * k, 19_520 * k, "quality"],
        [50_000 * k, 40_000 * k, "quality", 150_000 * k, 120_000 * k, 30_500 * k, 24_400 * k, "quality"],
    ]
    assert caps.at[0, "per_borrower_rule"] == (
        "per-borrower = min(single-customer limit 15% of tier-1 150,000.00; loan limit 10% of net capital "
        "120,000.00; scheme policy 30,500.00; quality-adjusted 30,500.00 × 0.64 = 19,520.00) → 19,000.00 "
        "(rounded down to a multiple of 1,000.00)"
    )
    # per borrower, cap = min(scheme cap; limits less what is held outside the scheme; for group
    # G-A (P, A, B: exposure 20,000 + 20,000 = 40,000, no room left) the current exposure plus a
    # share of the room 0; for a dependant of a tested risk source, the current exposure plus its
    # share of the source's room, or 0 when the source is over its cap):
    #   S1's source P (controller of A and B, 35,000 > its 9,000 cap) leaves A, B and P itself 0:
    #   A: 20,000 held, cap 0: a breach of 20,000; B: 15,000 held, cap 0: a breach of 15,000;
    #   D: 115,400 outside: min(19,000; 34,600; 4,600) → 4,000 (the loan limit binds; rounded down);
    #   P: holds nothing: its group share 0 → 0 (the group binds, listed before the source);
    #   S2's source G (guarantees E, borrows itself): room 12,000 − 11,000 = 1,000, shared by E and
    #   G (each could use more than 500): E 8,000 + 500 → 8,000, G 3,000 + 500 → 3,000 (rounded).
    new_columns = BORROWER_COLUMNS[BORROWER_COLUMNS.index("binding_rule") + 1 :]
    bt = t["scheme_borrower_caps"]
    assert bt.drop(columns=["name", "kind", "binding_rule", *new_columns]).values.tolist() == [
        [
            "S1",
            "A",
            True,
            True,
            True,
            "G-A",
            20_000 * k,
            20_000 * k,
            40_000 * k,
            0,
            0,
            -20_000 * k,
            "risk_source",
            BREACH,
        ],
        [
            "S1",
            "B",
            True,
            True,
            True,
            "G-A",
            15_000 * k,
            20_000 * k,
            40_000 * k,
            0,
            0,
            -15_000 * k,
            "risk_source",
            BREACH,
        ],
        ["S1", "D", True, True, False, "", 0, 115_400 * k, pd.NA, pd.NA, 4_000 * k, 4_000 * k, "loan_limit", OK],
        ["S1", "P", False, True, False, "G-A", 0, 0, 40_000 * k, 0, 0, 0, "group", OK],
        ["S2", "E", True, True, True, "", 8_000 * k, 8_000 * k, pd.NA, pd.NA, 8_000 * k, 0, "risk_source", OK],
        ["S2", "G", True, True, True, "", 3_000 * k, 53_000 * k, pd.NA, pd.NA, 3_000 * k, 0, "risk_source", OK],
    ]
    assert bt[["group_share_fen", "risk_source_id", "risk_source_share_fen"]].values.tolist() == [
        [0, "P", 0],
        [0, "P", 0],
        [pd.NA, "", pd.NA],
        [0, "P", 0],
        [pd.NA, "G", 500 * k],
        [pd.NA, "G", 500 * k],
    ]
    # sources (the schemes' own channels C and M are left out): P controls A and B, 35,000 of S1
    # > 9,000; G guarantees E (8,000) and borrows 3,000 itself under S2: two borrowers, 11,000 ≤ 12,000.
    assert t["scheme_risk_sources"].drop(columns=["name"]).values.tolist() == [
        [
            "S1",
            "P",
            "controller",
            2,
            2,
            35_000 * k,
            0,
            35_000 * k,
            "1.000000",
            9_000 * k,
            -26_000 * k,
            BREACH,
            "controlled",
        ],
        [
            "S2",
            "G",
            "guarantor",
            1,
            2,
            8_000 * k,
            3_000 * k,
            11_000 * k,
            "1.000000",
            12_000 * k,
            1_000 * k,
            OK,
            "guaranteed",
        ],
    ]
    assert t["caps_breaches"].drop(columns=["subject_name", "rule"]).values.tolist() == [
        ["S1", "scheme_total", "S1", "scheme", 35_000 * k, 32_000 * k, 3_000 * k],
        ["S1", "borrower", "A", "enterprise", 20_000 * k, 0, 20_000 * k],
        ["S1", "borrower", "B", "enterprise", 15_000 * k, 0, 15_000 * k],
        ["S1", "risk_source", "P", "controller", 35_000 * k, 9_000 * k, 26_000 * k],
    ]


# ----------------------------------------------------------------------------- generated and edge cases

policies = st.fixed_dictionaries(
    {
        "tier1_per_mille": st.integers(5, 5000),
        "net_over_tier1": st.sampled_from(["1", "1.2", "1.5"]),
        "limits": st.fixed_dictionaries(
            {
                "single_customer_share": st.sampled_from([0.01, 0.05, 0.15, 0.2]),
                "group_share": st.sampled_from([0.02, 0.1, 0.2, 0.25]),
                "single_borrower_net_capital_share": st.sampled_from([0.01, 0.02, 0.1]),
            }
        ),
        "caps": st.fixed_dictionaries(
            {
                "scheme_total_share": st.sampled_from([0.001, 0.005, 0.05, 0.3]),
                "per_borrower": st.integers(10_000, 50_000_000),  # > 0 and ≥ rounding (policy rules)
                "single_source_share": st.sampled_from([0.01, 0.05, 0.1, 0.5]),
                "single_source_min_borrowers": st.integers(1, 4),
                "rounding": st.sampled_from(["0.01", "1", "123.45", "10000"]),
                "hhi_above": st.sampled_from([0.05, 0.18, 1]),
                "penetration_below": st.sampled_from([0, 0.2, 0.9]),
                "non_normal_share_above": st.sampled_from([0, 0.05]),
                "quality_adjusts_per_borrower": st.booleans(),
            }
        ),
    }
)


def _policy(ds, raw) -> Policy:
    tier1 = max(100, ds.total_outstanding_fen * raw["tier1_per_mille"] // 1000)
    net = fraction_of(tier1, Decimal(raw["net_over_tier1"]))
    return Policy.from_mapping(
        {
            "tier1_capital": f"{tier1 // 100}.{tier1 % 100:02d}",
            "net_capital": f"{net // 100}.{net % 100:02d}",
            "limits": raw["limits"],
            "caps": dict(raw["caps"], per_borrower=str(raw["caps"]["per_borrower"])),
        }
    )


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(seed=st.sampled_from((1, 2, 3, 5, 8, 13)), size=st.sampled_from((40, 90, 200)), raw=policies)
def test_generated_banks_and_random_policies_follow_the_rules(banks, seed, size, raw):
    base = banks(seed, size)
    policy = _policy(base, raw)
    checked(dataclasses.replace(base, policy=policy), policy)


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
def test_hand_made_edge_cases_follow_the_rules(make_dataset, seed, raw):
    folder = make_dataset(
        entities=EDGE_ENTITIES,
        relations=EDGE_RELATIONS,
        schemes=EDGE_SCHEMES,
        exposures=_edge_exposures(random.Random(seed)),
    )
    ds = load_dataset(folder)
    policy = _policy(ds, raw) if ds.total_outstanding_fen else ds.policy
    checked(dataclasses.replace(ds, policy=policy), policy)


def test_no_schemes_and_no_borrowers(make_dataset):
    folder = make_dataset(
        entities=EDGE_ENTITIES,
        relations=EDGE_RELATIONS,
        schemes=None,
        exposures="facility_id,customer_id,outstanding\nF1,A,100\n",
    )
    assert not any(len(t) for t in checked(load_dataset(folder)).values())
    folder = make_dataset(
        entities=EDGE_ENTITIES,
        relations=EDGE_RELATIONS,
        schemes=EDGE_SCHEMES,
        exposures="facility_id,customer_id,outstanding,scheme_id\nF1,A,100,\n",
    )
    t = checked(load_dataset(folder))
    assert t["caps"]["utilized_fen"].tolist() == [0, 0, 0, 0] and not len(t["caps_breaches"])


# ----------------------------------------------------------------------------- the small kernels


@given(
    st.lists(
        st.one_of(st.integers(-(10**15), 10**15), st.sampled_from([0, 1, -1, 99, 100, -100, 999_999])), max_size=60
    )
)
def test_amounts_are_formatted_as_format_yuan_human(values):
    assert _yuan_texts(np.asarray(values, dtype=np.int64)).tolist() == [format_yuan_human(v) for v in values]


@given(st.lists(st.integers(-(10**13), 10**13), max_size=40), st.sampled_from([0, 1, 2, 100, 12345, 1_000_000]))
def test_rounding_matches_the_scalar_rule(values, unit):
    got = _rounded_all(np.asarray(values, dtype=np.int64), unit).tolist()
    assert got == [_rounded(v, unit) for v in values]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 5)), max_size=20))
def test_expand_concatenates_ranges(pairs):
    starts = np.asarray([a for a, _ in pairs], dtype=np.int64)
    counts = np.asarray([k for _, k in pairs], dtype=np.int64)
    assert _expand(starts, counts).tolist() == [i for a, k in pairs for i in range(a, a + k)]


@given(
    st.dictionaries(
        st.text("ABC", min_size=1, max_size=3), st.tuples(st.integers(0, 10**12), st.integers(0, 10**12)), max_size=8
    ),
    st.integers(0, 50),
    st.integers(0, 50),
)
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


@given(
    st.lists(st.tuples(st.integers(-(10**14), 10**14), st.integers(-5, 10**14)), max_size=30),
    st.sampled_from([2, 4, 6]),
)
def test_ratios_match_the_scalar_ratio(pairs, places):
    parts = np.asarray([a for a, _ in pairs], dtype=np.int64)
    wholes = np.asarray([b for _, b in pairs], dtype=np.int64)
    assert _ratios(parts, wholes, places) == [_ratio(a, b, places) for a, b in pairs]
    nonneg = np.abs(parts)
    assert _ratios(nonneg, wholes, places) == [_ratio(a, b, places) for a, b in zip(nonneg.tolist(), wholes.tolist())]
