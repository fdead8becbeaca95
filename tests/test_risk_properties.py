"""Property tests of the risk room on small random banks: partitions, exact reconciliation,
order independence."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelgraph.graph import build_book
from channelgraph.io import dataset_from_frames
from channelgraph.io.write import table_records
from channelgraph.model import fraction_of
from channelgraph.policy import Policy
from channelgraph.risk import run_risk, stress_cascade

SHARES = ["0.3", "0.5", "0.51", "0.75", "1"]
POLICY = Policy.from_mapping({"tier1_capital": "2000.00", "net_capital": "2500.00"})


@st.composite
def banks(draw):
    persons = [f"P{i}" for i in range(draw(st.integers(1, 5)))]
    firms = [f"E{i}" for i in range(draw(st.integers(1, 6)))]
    parties = persons + firms
    customer = {p: draw(st.booleans()) for p in parties}
    ent_rows = []
    for p in parties:
        na = draw(st.one_of(st.none(), st.integers(0, 500)))
        firm = p.startswith("E")
        ent_rows.append(
            {
                "id": p,
                "kind": "enterprise" if firm else "person",
                "name": "名" + p,
                "is_customer": "true" if customer[p] else "false",
                "net_assets": "" if na is None else str(na),
                "industry": draw(st.sampled_from(["", "纺织", "印染"])),
                "region": draw(st.sampled_from(["", "柯桥", "越城"])),
                "is_interbank": draw(st.sampled_from(["", "false", "true"])) if firm else "",
                "exempt": draw(st.sampled_from(["", "", "", "sovereign"])) if firm else "",
            }
        )
    ent_rows.append(
        {
            "id": "M0",
            "kind": "market",
            "name": "市场",
            "is_customer": "false",
            "net_assets": "",
            "industry": "",
            "region": "",
            "is_interbank": "",
            "exempt": "",
        }
    )
    rels = {}
    n_rel = draw(st.integers(0, 25))
    for _ in range(n_rel):
        t = draw(
            st.sampled_from(
                [
                    "CONTROLS",
                    "CONTROLS",
                    "GUARANTEES",
                    "GUARANTEES",
                    "SUPPLIES",
                    "FAMILY",
                    "SHARES_REPAYMENT_SOURCE",
                    "TRADES_IN",
                    "REFERRED",
                ]
            )
        )
        s = draw(st.sampled_from(parties))
        if t == "CONTROLS":
            d = draw(st.sampled_from(firms))
        elif t == "FAMILY":
            s, d = draw(st.sampled_from(persons)), draw(st.sampled_from(persons))
        elif t == "SHARES_REPAYMENT_SOURCE":
            d = draw(st.sampled_from(parties))
        elif t == "TRADES_IN":
            d = "M0"
        else:
            d = draw(st.sampled_from(parties))
        if s == d:
            continue
        key = (min(s, d), max(s, d), t) if t in ("FAMILY", "SHARES_REPAYMENT_SOURCE") else (s, d, t)
        if key in rels:
            continue
        amount = str(draw(st.integers(1, 800))) if t == "GUARANTEES" else ""
        share = (
            draw(st.sampled_from(SHARES))
            if t == "CONTROLS"
            else (draw(st.sampled_from(SHARES + [""])) if t == "SUPPLIES" else "")
        )
        buyer = draw(st.sampled_from(SHARES + ["", ""])) if t == "SUPPLIES" else ""
        rels[key] = {"src": s, "dst": d, "type": t, "amount": amount, "share": share, "buyer_share": buyer}
    exp_rows = []
    for p in parties:
        if customer[p]:
            for k in range(draw(st.integers(0, 2))):
                cents = draw(st.integers(0, 60000))
                margin = draw(st.integers(0, cents))
                exp_rows.append(
                    {
                        "facility_id": f"F{p}{k}",
                        "customer_id": p,
                        "outstanding": f"{cents // 100}.{cents % 100:02d}",
                        "exposure_type": draw(
                            st.sampled_from(["", "loan", "bank_acceptance", "performance_guarantee"])
                        ),
                        "margin": draw(st.sampled_from(["", f"{margin // 100}.{margin % 100:02d}"])),
                    }
                )
    seed = draw(st.integers(0, 2**32 - 1))
    rel = pd.DataFrame(list(rels.values()), columns=["src", "dst", "type", "amount", "share", "buyer_share"])
    exp = pd.DataFrame(exp_rows, columns=["facility_id", "customer_id", "outstanding", "exposure_type", "margin"])
    return pd.DataFrame(ent_rows), rel, exp, seed


def _shuffled(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    return df.sample(frac=1.0, random_state=seed % (2**32 - 1)).reset_index(drop=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(banks())
def test_risk_invariants(bank):
    ent, rel, exp, seed = bank
    ds = dataset_from_frames(ent, rel, exp, policy=POLICY)
    book = build_book(ds)
    res = run_risk(book)
    g, m, t = res.tables["risk_groups"], res.tables["risk_group_members"], res.tables["connection_ties"]
    total = ds.total_outstanding_fen
    out = ds.exposures.groupby("customer_id")["outstanding"].sum().to_dict()
    measured = dict(zip(book.ids.tolist(), res.exposure.of_entity.tolist()))
    exempt = set(ent.loc[ent["exempt"] != "", "id"])
    interbank = set(ent.loc[ent["is_interbank"] == "true", "id"])
    lim = POLICY.limits

    # the groups partition the customers and the book, exactly
    customers = sorted(ds.entities.loc[ds.entities["is_customer"], "id"])
    listed = [c for cs in g["customers"] for c in cs]
    assert sorted(listed) == customers and len(listed) == len(set(listed))
    assert int(g["outstanding_fen"].sum()) == total
    assert int(g["exposure_fen"].sum() + g["exempt_fen"].sum()) == res.exposure.total
    for row in g.itertuples():
        assert row.outstanding_fen == sum(int(out.get(c, 0)) for c in row.customers)
        tested = [c for c in row.customers if c not in exempt]
        assert row.exposure_fen == sum(measured[c] for c in tested)
        assert row.exempt_fen == sum(measured[c] for c in row.customers if c in exempt)
        assert row.group_id == "G-" + min(row.members)
        assert row.customer_count == len(row.customers) >= 1
        assert row.interbank == (bool(tested) and all(c in interbank for c in tested))
        share = (
            lim.interbank_share
            if row.interbank
            else (lim.group_share if len(tested) >= 2 else lim.single_customer_share)
        )
        limit = fraction_of(POLICY.tier1_capital_fen, share)
        assert (row.status == "breach") == (bool(tested) and row.exposure_fen > limit)
        assert (row.status == "exempt") == (not tested)
    # each customer: the single limit on its exposure, the loan limit on its loans
    loans = dict(zip(book.ids.tolist(), res.exposure.loans.tolist()))
    loan_limit = fraction_of(POLICY.net_capital_fen, lim.single_borrower_net_capital_share)
    for row in m[m["is_customer"]].itertuples():
        c = row.entity_id
        single = fraction_of(
            POLICY.tier1_capital_fen, lim.interbank_share if c in interbank else lim.single_customer_share
        )
        if c in exempt:
            assert (row.single_status, row.loan_status) == ("exempt", "not_tested")
        else:
            assert (row.single_status == "breach") == (measured[c] > single)
            if c in interbank:
                assert row.loan_status == "not_tested"
            else:
                assert (row.loan_status == "breach") == (loans[c] > loan_limit)
    # members table agrees with the groups; joining ties stay inside one group
    group_of = dict(zip(m["entity_id"], m["group_id"]))
    assert sorted(group_of) == sorted(x for ms in g["members"] for x in ms)
    for row in t.itertuples():
        if row.joins and row.src in group_of:
            assert group_of[row.src] == group_of[row.dst] == row.group_id
        if not row.joins:
            assert row.group_id == ""

    # guarantee patterns are made of real guarantee edges
    edges = set(zip(rel.loc[rel["type"] == "GUARANTEES", "src"], rel.loc[rel["type"] == "GUARANTEES", "dst"]))
    for row in res.tables["guarantee_patterns"].itertuples():
        if row.pattern == "circle":
            ring = list(row.members)
            assert len(ring) >= 3 and all((a, b) in edges for a, b in zip(ring, ring[1:] + ring[:1]))
        if row.pattern == "mutual":
            a, b = row.members
            assert (a, b) in edges and (b, a) in edges

    # every concentration dimension partitions the book
    c = res.tables["concentration"]
    for dim in ("channel", "industry", "region"):
        buckets = c[(c["dimension"] == dim) & (c["bucket"] != "*")]
        assert int(buckets["exposure_fen"].sum()) == res.exposure.total
        assert int(buckets["outstanding_fen"].sum()) == total

    # DebtRank is a share of the book
    for x in res.tables["systemic_impact"]["debt_rank"]:
        assert 0.0 <= float(x) <= 1.0

    # a stress test never hits more than the book and defaults each entity once
    first = sorted(ds.entities["id"])[: 1 + seed % 3]
    rounds, _ = stress_cascade(book, POLICY, first)
    seen = [x for d in rounds["defaulted"] for x in d]
    assert len(seen) == len(set(seen)) and set(first) <= set(seen)
    assert int(rounds["exposure_hit_fen"].sum()) <= total

    # the same bank with every table shuffled gives the same outputs
    ds2 = dataset_from_frames(_shuffled(ent, seed), _shuffled(rel, seed + 1), _shuffled(exp, seed + 2), policy=POLICY)
    res2 = run_risk(build_book(ds2))
    for name, df in res.tables.items():
        assert table_records(df) == table_records(res2.tables[name]), name
    assert res.summary == res2.summary
