"""Properties of the draft caps over generated banks and random policies.

No cap exceeds a regulatory limit; the room handed out of a group (over every scheme and
member) never exceeds the group's remaining room, nor a borrower's its share of it or of its
risk source's room; every cap is a multiple of the rounding unit; utilisation reconciles
exactly; breaches are exactly the rows above their caps.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelgraph.caps import draft_caps_tables
from channelgraph.caps.draft import share_room
from channelgraph.generate import generate_dataset
from channelgraph.graph import build_book, measure_exposure
from channelgraph.io import load_dataset
from channelgraph.model import fraction_of
from channelgraph.policy import Policy
from channelgraph.risk import connected_groups

SEEDS = (1, 2, 3, 5, 8)
SIZES = (40, 70)


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    cache: dict = {}

    def get(seed: int, customers: int):
        key = (seed, customers)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"bank-{seed}-{customers}")
            generate_dataset(folder, customers=customers, seed=seed)
            cache[key] = load_dataset(folder)
        return cache[key]

    return get


policies = st.fixed_dictionaries(
    {
        "tier1_per_mille": st.integers(20, 5000),  # tier-1 as ‰ of the book: from tight to roomy
        "net_over_tier1": st.sampled_from(["1", "1.2", "1.5"]),
        "limits": st.fixed_dictionaries(
            {
                "single_customer_share": st.sampled_from([0.05, 0.15, 0.2]),
                "group_share": st.sampled_from([0.1, 0.2, 0.25]),
                "single_borrower_net_capital_share": st.sampled_from([0.02, 0.1]),
            }
        ),
        "caps": st.fixed_dictionaries(
            {
                "scheme_total_share": st.sampled_from([0.005, 0.05, 0.3]),
                "per_borrower": st.integers(10_000, 50_000_000),
                "single_source_share": st.sampled_from([0.05, 0.1, 0.5]),
                "single_source_min_borrowers": st.integers(1, 3),
                "rounding": st.sampled_from(["0.01", "1", "123.45", "10000"]),
                "hhi_above": st.sampled_from([0.1, 0.18, 1]),
                "penetration_below": st.sampled_from([0, 0.2, 0.9]),
                "quality_adjusts_per_borrower": st.booleans(),
            }
        ),
    }
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), size=st.sampled_from(SIZES), raw=policies)
def test_caps_respect_every_limit_and_reconcile(banks, seed, size, raw):
    base = banks(seed, size)
    total = base.total_outstanding_fen
    tier1 = max(100, total * raw["tier1_per_mille"] // 1000)
    net = fraction_of(tier1, Decimal(raw["net_over_tier1"]))
    mapping = {
        "tier1_capital": f"{tier1 // 100}.{tier1 % 100:02d}",
        "net_capital": f"{net // 100}.{net % 100:02d}",
        "limits": raw["limits"],
        "caps": dict(raw["caps"], per_borrower=str(raw["caps"]["per_borrower"])),
    }
    policy = Policy.from_mapping(mapping)
    ds = dataclasses.replace(base, policy=policy)
    book = build_book(ds)
    t = draft_caps_tables(book, policy)
    caps, bt, src, br = t["caps"], t["scheme_borrower_caps"], t["scheme_risk_sources"], t["caps_breaches"]

    lim, c = policy.limits, policy.caps
    single = fraction_of(policy.tier1_capital_fen, lim.single_customer_share)
    loan = fraction_of(policy.net_capital_fen, lim.single_borrower_net_capital_share)
    group = fraction_of(policy.tier1_capital_fen, lim.group_share)
    appetite = fraction_of(policy.tier1_capital_fen, c.scheme_total_share)
    unit = max(1, c.rounding_fen)

    # utilisation reconciles exactly, on exposure and on outstanding
    exp = ds.exposures.assign(
        _x=measure_exposure(book, policy).exposure, _loans=measure_exposure(book, policy).on_balance
    )
    with_scheme = exp[exp["scheme_id"] != ""]
    per_scheme = {k: int(v) for k, v in with_scheme.groupby("scheme_id")["_x"].sum().items()}
    per_scheme_out = {k: int(v) for k, v in with_scheme.groupby("scheme_id")["outstanding"].sum().items()}
    assert int(caps["utilized_fen"].sum()) == int(with_scheme["_x"].sum())
    assert int(caps["utilized_outstanding_fen"].sum()) == int(with_scheme["outstanding"].sum())
    assert caps["scheme_id"].tolist() == sorted(ds.schemes["scheme_id"])

    for r in caps.itertuples(index=False):
        assert r.utilized_fen == per_scheme.get(r.scheme_id, 0)
        assert r.utilized_outstanding_fen == per_scheme_out.get(r.scheme_id, 0)
        assert r.headroom_fen == r.cap_total_fen - r.utilized_fen
        assert 0 <= r.cap_total_fen <= appetite
        assert 0 <= r.cap_per_borrower_fen <= min(single, loan, c.per_borrower_fen)
        assert 0 <= r.cap_single_risk_source_fen <= fraction_of(r.cap_total_fen, c.single_source_share)
        for v in (r.cap_total_fen, r.cap_per_borrower_fen, r.cap_single_risk_source_fen):
            assert v % unit == 0
        assert r.total_rule in r.binding_rule and r.per_borrower_rule in r.binding_rule

    # groups of connected clients as the risk room sees them
    groups, members, _ = connected_groups(book, policy)
    gexp = dict(zip(groups["group_id"], groups["exposure_fen"]))
    gsize = dict(zip(groups["group_id"], groups["member_count"]))
    group_of = {e: g for e, g in zip(members["entity_id"], members["group_id"]) if gsize[g] >= 2}
    cap_pb = dict(zip(caps["scheme_id"], caps["cap_per_borrower_fen"]))
    own_total = {k: int(v) for k, v in exp.groupby("customer_id")["outstanding"].sum().items()}

    interbank_limit = fraction_of(policy.tier1_capital_fen, lim.interbank_share)
    g_ib = dict(zip(groups["group_id"], groups.get("interbank", [False] * len(groups))))
    loans_under = {k: int(v) for k, v in with_scheme.groupby(["scheme_id", "customer_id"])["_loans"].sum().items()}
    given_out: dict = {}  # group → new lending its members' caps allow, over every scheme
    for r in bt.itertuples(index=False):
        cap, cur = int(r.cap_fen), int(r.current_exposure_fen)
        assert 0 <= cap <= cap_pb[r.scheme_id] and cap % unit == 0  # never above per_borrower
        assert r.headroom_fen == cap - cur
        assert r.customer_outstanding_fen == own_total.get(r.customer_id, 0)
        assert r.group_id == group_of.get(r.customer_id, "")
        outside = int(r.customer_exposure_fen) - cur
        outside_loans = int(r.customer_loans_fen) - loans_under.get((r.scheme_id, r.customer_id), 0)
        if cap > 0 and not r.exempt:  # drawing up to the cap breaks no limit
            assert outside + cap <= (interbank_limit if r.interbank else single)
            assert r.interbank or outside_loans + cap <= loan
        if r.group_id:
            ge = int(gexp[r.group_id])
            limit = interbank_limit if g_ib.get(r.group_id) else group
            assert r.group_exposure_fen == ge
            assert r.group_headroom_fen == max(0, limit - ge)
            if not r.exempt:
                assert cap - cur <= max(0, int(r.group_share_fen))  # … nor more than its share of it
                given_out[r.group_id] = given_out.get(r.group_id, 0) + max(0, cap - cur)
                if cap > 0:
                    assert ge - cur + cap <= limit
        if r.risk_source_id:  # never more than its risk source's remaining room allows
            assert cap - cur <= int(r.risk_source_share_fen)
        assert (r.status == "breach") == (cur > cap)
    per_customer: dict = {}  # customer → (new lending its caps allow over its schemes, its room)
    for r in bt.itertuples(index=False):
        if not r.exempt:
            room = (interbank_limit if r.interbank else single) - int(r.customer_exposure_fen)
            got = per_customer.get(r.customer_id, (0, room))[0] + max(0, int(r.cap_fen) - int(r.current_exposure_fen))
            per_customer[r.customer_id] = (got, room)
    for got, room in per_customer.values():  # a customer in several schemes gets its room once
        assert got <= max(0, room)
    for g, out in given_out.items():  # over every scheme and member: never more than the room
        limit = interbank_limit if g_ib.get(g) else group
        assert out <= max(0, limit - int(gexp[g]))

    # breaches are exactly the rows above their caps
    got = {(x.scheme_id, x.breach_type, x.subject_id) for x in br.itertuples(index=False)}
    want = {(x.scheme_id, "borrower", x.customer_id) for x in bt.itertuples(index=False) if x.status == "breach"}
    over_groups = set(groups.loc[groups["status"] == "breach", "group_id"])
    want |= {
        (x.scheme_id, "group_limit", x.group_id)
        for x in bt.itertuples(index=False)
        if x.is_borrower and x.group_id in over_groups
    }
    want |= {
        (x.scheme_id, "scheme_total", x.scheme_id)
        for x in caps.itertuples(index=False)
        if x.utilized_fen > x.cap_total_fen
    }
    want |= {(x.scheme_id, "risk_source", x.source_id) for x in src.itertuples(index=False) if x.status == "breach"}
    assert got == want
    assert all(int(x) > 0 for x in br["excess_fen"])
    for x in src.itertuples(index=False):
        assert x.exposure_fen == x.dependent_exposure_fen + x.own_exposure_fen <= per_scheme.get(x.scheme_id, 0)
        tested = x.scheme_borrowers >= c.single_source_min_borrowers
        assert x.status == ("not_tested" if not tested else "breach" if x.exposure_fen > x.cap_fen else "ok")
        assert x.source_id != caps.set_index("scheme_id").loc[x.scheme_id, "channel_id"]


@settings(max_examples=200, deadline=None)
@given(
    room=st.integers(0, 10**12),
    needs=st.lists(st.integers(0, 10**12), min_size=1, max_size=12),
)
def test_a_shared_room_never_exceeds_the_room_nor_a_need(room, needs):
    shares = share_room(room, needs)
    assert len(shares) == len(needs) and all(s >= 0 for s in shares)
    if len(needs) == 1:
        assert shares == [room]
        return
    assert sum(shares) == min(room, sum(needs))  # all of the room that can be used, and no more
    assert all(s <= d for s, d in zip(shares, needs))
    # equal treatment: a claimant short of its need has at least every other's share less one fen
    for s, d in zip(shares, needs):
        if s < d:
            assert all(s >= t - 1 for t in shares)
