"""Groups and limits measured as the regulator measures them (issue 21): hand-computed cases.

Every figure below is worked out by hand from the CSV texts, with tier-1 = net capital =
1,000,000 yuan unless said: single customer 15% = 150,000; group 20% = 200,000; interbank
25% = 250,000; large exposure above 2.5% = 25,000; loans to one borrower 10% = 100,000.
"""

from __future__ import annotations

import pandas as pd

from channelgraph.graph import build_book
from channelgraph.io import load_dataset
from channelgraph.model import parse_yuan
from channelgraph.risk import connected_groups, run_risk
from channelgraph.risk.groups import GROUP_COLUMNS, MEMBER_COLUMNS, effective_control
from channelgraph.risk.report import risk_report

POLICY = 'tier1_capital = "1000000.00"\nnet_capital = "1000000.00"\n'


def load(make_dataset, entities, relations, exposures, policy=POLICY):
    return build_book(
        load_dataset(
            make_dataset(entities=entities, relations=relations, exposures=exposures, schemes=None, policy=policy)
        )
    )


def fen(yuan: str) -> int:
    return parse_yuan(yuan)


def frames(book):
    groups, members, ties = connected_groups(book)
    return groups.set_index("group_id"), members.set_index("entity_id"), ties


NO_RELATIONS = "src,dst,type,amount,share\n"

# ----------------------------------------------------------------------------- the measure


LIMIT_ENTITIES = """\
id,kind,name,is_customer,is_interbank,exempt
E1,enterprise,甲,true,,
E2,enterprise,乙,true,,
E3,enterprise,丙,true,,
"""
LIMIT_EXPOSURES = """\
facility_id,customer_id,outstanding,exposure_type,undrawn,margin,original_maturity_days
F1,E1,100000,loan,200000,,730
F2,E2,20000,loan,,,
F3,E2,140000,bank_acceptance,,,
F4,E3,170000,bank_acceptance,,30000,
"""


def test_ccf_exposure_drives_a_single_customer_breach_outstanding_would_not(make_dataset):
    # E1: a 100,000 loan with 200,000 undrawn for two years: 100,000 + 0.5 × 200,000 = 200,000
    # of exposure > 150,000 (15%); its outstanding alone, 100,000, would be within the limit
    g, m, _ = frames(load(make_dataset, LIMIT_ENTITIES, NO_RELATIONS, LIMIT_EXPOSURES))
    assert list(g.reset_index().columns) == GROUP_COLUMNS and list(m.reset_index().columns) == MEMBER_COLUMNS
    assert m.loc["E1", "outstanding_fen"] == fen("100000") and m.loc["E1", "exposure_fen"] == fen("200000")
    assert m.loc["E1", "single_status"] == "breach" and m.loc["E1", "share_of_tier1"] == "0.200000"
    assert g.loc["G-E1", "status"] == "breach" and g.loc["G-E1", "exposure_fen"] == fen("200000")
    assert g.loc["G-E1", "outstanding_fen"] == fen("100000")
    assert "exposure (on-balance + CCF × off-balance − margin)" in g.loc["G-E1", "rule"]
    # the loan limit tests loans: 100,000 is exactly 10% of net capital, not above it
    assert m.loc["E1", "loans_fen"] == fen("100000") and m.loc["E1", "loan_status"] == "ok"


def test_loan_limit_tests_loans_only(make_dataset):
    # E2: a 20,000 loan and a 140,000 acceptance (CCF 100%): exposure 160,000 > 15% breaches;
    # loans 20,000 ≤ 10% of net capital pass (its outstanding, 160,000, would not)
    _, m, _ = frames(load(make_dataset, LIMIT_ENTITIES, NO_RELATIONS, LIMIT_EXPOSURES))
    assert m.loc["E2", "exposure_fen"] == fen("160000") and m.loc["E2", "single_status"] == "breach"
    assert m.loc["E2", "loans_fen"] == fen("20000") and m.loc["E2", "loan_status"] == "ok"
    assert m.loc["E2", "share_of_net_capital"] == "0.020000"


def test_cash_margin_reduces_the_tested_exposure(make_dataset):
    # E3: a 170,000 acceptance with 30,000 cash margin: 140,000 ≤ 150,000, a large exposure only
    g, m, _ = frames(load(make_dataset, LIMIT_ENTITIES, NO_RELATIONS, LIMIT_EXPOSURES))
    assert m.loc["E3", "exposure_fen"] == fen("140000") and m.loc["E3", "single_status"] == "large_exposure"
    assert g.loc["G-E3", "status"] == "large_exposure" and g.loc["G-E3", "headroom_fen"] == fen("10000")


# ----------------------------------------------------------------------------- interbank and exempt

BANK_ENTITIES = """\
id,kind,name,is_customer,is_interbank,exempt
B1,enterprise,甲银行,true,true,
N1,enterprise,乙公司,true,false,
B3,enterprise,丙银行,true,true,
B4,enterprise,丁银行,true,true,
B5,enterprise,戊银行,true,true,
N5,enterprise,己公司,true,,
X1,enterprise,财政,true,,sovereign
N6,enterprise,庚公司,true,,
X2,enterprise,央行,true,,central_bank
"""
BANK_RELATIONS = """\
src,dst,type,amount,share
B3,B4,CONTROLS,,0.6
B5,N5,CONTROLS,,0.6
N6,X1,SUPPLIES,,0.6
"""
BANK_EXPOSURES = """\
facility_id,customer_id,outstanding
F1,B1,220000
F2,N1,220000
F3,B3,120000
F4,B4,120000
F5,B5,110000
F6,N5,100000
F7,X1,500000
F8,N6,100000
F9,X2,300000
"""


def test_interbank_customers_and_groups_take_the_25_percent_limit(make_dataset):
    g, m, _ = frames(load(make_dataset, BANK_ENTITIES, BANK_RELATIONS, BANK_EXPOSURES))
    # an interbank customer at 22% is within 25%; a non-interbank one at 22% breaches 15%
    assert g.loc["G-B1", "status"] == "large_exposure" and bool(g.loc["G-B1", "interbank"])
    assert g.loc["G-B1", "limit_share"] == "0.25" and g.loc["G-B1", "limit_fen"] == fen("250000")
    assert "art. 9" in g.loc["G-B1", "rule"] and "25%" in g.loc["G-B1", "rule"]
    assert m.loc["B1", "single_status"] == "large_exposure" and bool(m.loc["B1", "interbank"])
    assert g.loc["G-N1", "status"] == "breach" and not g.loc["G-N1", "interbank"]
    assert m.loc["N1", "single_status"] == "breach"
    # the loan limit is for non-interbank borrowers: 220,000 of loans is not tested for B1
    assert m.loc["B1", "loan_status"] == "not_tested" and m.loc["N1", "loan_status"] == "breach"
    # an all-interbank group at 24% is within 25%
    assert g.loc["G-B3", "customers"] == ["B3", "B4"] and bool(g.loc["G-B3", "interbank"])
    assert g.loc["G-B3", "exposure_fen"] == fen("240000") and g.loc["G-B3", "status"] == "large_exposure"
    # a mixed group takes the 20% non-interbank group limit: 210,000 > 200,000
    assert not g.loc["G-B5", "interbank"] and g.loc["G-B5", "limit_share"] == "0.20"
    assert g.loc["G-B5", "status"] == "breach" and "art. 8" in g.loc["G-B5", "rule"]
    assert "holds interbank and non-interbank customers" in g.loc["G-B5", "rule"]
    assert "holds interbank" not in g.loc["G-N1", "rule"] + g.loc["G-B3", "rule"]
    # a group whose customers are all exempt is not tested: no limit, no headroom
    assert g.loc["G-X2", "limit_share"] == "" and pd.isna(g.loc["G-X2", "limit_fen"])
    assert pd.isna(g.loc["G-X2", "headroom_fen"])


def test_exempt_exposure_is_reported_not_tested(make_dataset):
    book = load(make_dataset, BANK_ENTITIES, BANK_RELATIONS, BANK_EXPOSURES)
    g, m, _ = frames(book)
    # X1 (sovereign, 500,000) is tied to N6 (100,000) by supply: one group whose tested
    # exposure is N6's alone; X1's is reported apart
    assert g.loc["G-N6", "customers"] == ["N6", "X1"]
    assert g.loc["G-N6", "exposure_fen"] == fen("100000") and g.loc["G-N6", "exempt_fen"] == fen("500000")
    assert g.loc["G-N6", "outstanding_fen"] == fen("600000")
    # one tested customer: the single-customer limit; 100,000 is a large exposure, no breach
    assert g.loc["G-N6", "limit_share"] == "0.15" and g.loc["G-N6", "status"] == "large_exposure"
    assert m.loc["X1", "single_status"] == "exempt" and m.loc["X1", "loan_status"] == "not_tested"
    assert m.loc["X1", "exempt"] == "sovereign" and m.loc["X1", "exposure_fen"] == fen("500000")
    assert m.loc["N6", "exempt"] == ""
    # a group of exempt customers only is reported as exempt
    assert g.loc["G-X2", "status"] == "exempt" and g.loc["G-X2", "exposure_fen"] == 0
    assert g.loc["G-X2", "exempt_fen"] == fen("300000") and "not tested" in g.loc["G-X2", "rule"]
    # the groups still add up to the whole measured exposure
    res = run_risk(book)
    assert int(res.groups["exposure_fen"].sum() + res.groups["exempt_fen"].sum()) == res.exposure.total
    assert res.exposure.total == fen("1790000")  # 220 + 220 + 120 + 120 + 110 + 100 + 500 + 100 + 300 thousand
    s = res.summary
    assert s["exempt_customers"] == 2 and s["exempt_exposure"] == "800000.00" and s["interbank_groups"] == 2
    # breaches: N1, G-B5; large exposures (breaches included): B1, N1, G-B3, G-B5, G-N6
    assert s["breaches"] == 2 and s["large_exposures"] == 5 and s["large_exposures_within_limits"] == 3
    zh, en = risk_report(res, book.policy, "zh"), risk_report(res, book.policy, "en")
    assert "豁免客户 2 户" in zh and "同业客户组 2 个" in zh and "含超限" in zh
    assert "2 exempt customers" in en and "breaches included" in en


# ----------------------------------------------------------------------------- effective control

CONTROL_ENTITIES = """\
id,kind,name,is_customer
A,person,甲,false
B,enterprise,乙,true
C,enterprise,丙,true
G,enterprise,丁,true
H,person,戊,false
J,enterprise,己,true
K,enterprise,庚,true
L,enterprise,辛,true
P,person,壬,false
Q,enterprise,癸,true
R,enterprise,子,true
"""
CONTROL_RELATIONS = """\
src,dst,type,amount,share
A,B,CONTROLS,,0.6
A,C,CONTROLS,,0.6
B,G,CONTROLS,,0.3
C,G,CONTROLS,,0.3
H,J,CONTROLS,,0.6
H,K,CONTROLS,,0.6
J,L,CONTROLS,,0.25
K,L,CONTROLS,,0.25
P,Q,CONTROLS,,0.6
Q,R,CONTROLS,,0.3
P,R,CONTROLS,,0.25
"""
CONTROL_EXPOSURES = """\
facility_id,customer_id,outstanding
F1,G,1
F2,L,1
F3,R,1
"""


def test_effective_control_through_summed_holdings(make_dataset):
    # A controls B and C (60% each); B and C each hold 30% of G: A controls 60% of G
    g, _, ties = frames(load(make_dataset, CONTROL_ENTITIES, CONTROL_RELATIONS, CONTROL_EXPOSURES))
    assert g.loc["G-A", "members"] == ["A", "B", "C", "G"]
    t = ties.set_index(["src", "dst", "type"])
    row = t.loc[("A", "G", "CONTROLS")]  # a tie of its own: A holds nothing in G directly
    assert row["joins"] and row["group_id"] == "G-A" and row["ratio"] == "0.600000"
    assert row["reason"] == "A → G effective control 60% (via B 30%, C 30%) > 50%"
    assert row["share"] != row["share"]  # no relation row: no share of its own
    assert "A → G effective control 60% (via B 30%, C 30%) > 50%" in g.loc["G-A", "binding_links"]


def test_effective_control_two_levels_direct_plus_via(make_dataset):
    # P controls Q (60%); Q holds 30% of R and P 25% directly: P holds 55% of R, joined;
    # the direct row takes the effective verdict
    g, _, ties = frames(load(make_dataset, CONTROL_ENTITIES, CONTROL_RELATIONS, CONTROL_EXPOSURES))
    assert g.loc["G-P", "members"] == ["P", "Q", "R"]
    row = ties.set_index(["src", "dst", "type"]).loc[("P", "R", "CONTROLS")]
    assert row["joins"] and row["share"] == 0.25 and row["ratio"] == "0.550000"
    assert row["reason"] == "P → R effective control 55% (direct 25%; via Q 30%) > 50%"
    # Q → R alone (30%) still does not join
    assert not ties.set_index(["src", "dst", "type"]).loc[("Q", "R", "CONTROLS"), "joins"]


def test_chain_of_control_through_two_levels(make_dataset):
    # X → Y 60%, Y → Z 60%: X controls Z through Y (a chain, joined by the direct ties: no extra row)
    ent = "id,kind,name,is_customer\nX,person,甲,false\nY,enterprise,乙,true\nZ,enterprise,丙,true\n"
    rel = "src,dst,type,amount,share\nX,Y,CONTROLS,,0.6\nY,Z,CONTROLS,,0.6\n"
    exp = "facility_id,customer_id,outstanding\nF1,Z,1\n"
    book = load(make_dataset, ent, rel, exp)
    g, _, ties = frames(book)
    assert g.loc["G-X", "members"] == ["X", "Y", "Z"] and len(ties) == 2
    ec = effective_control(book)
    pairs = {(book.ids[a], book.ids[b]): bool(s) for a, b, s in zip(ec.x, ec.y, ec.summed)}
    assert pairs == {("X", "Y"): False, ("X", "Z"): False, ("Y", "Z"): False}


def test_exactly_the_threshold_joins_only_when_the_policy_says(make_dataset):
    # H controls J and K; they hold 25% + 25% of L = exactly 50%: "more than 50%" does not join
    g, _, ties = frames(load(make_dataset, CONTROL_ENTITIES, CONTROL_RELATIONS, CONTROL_EXPOSURES))
    assert g.loc["G-L", "members"] == ["L"] and ("H", "L") not in set(zip(ties["src"], ties["dst"]))
    policy = POLICY + "[connection]\ncontrol_at_threshold_joins = true\n"
    g, _, ties = frames(load(make_dataset, CONTROL_ENTITIES, CONTROL_RELATIONS, CONTROL_EXPOSURES, policy))
    assert g.loc["G-H", "members"] == ["H", "J", "K", "L"]
    row = ties.set_index(["src", "dst", "type"]).loc[("H", "L", "CONTROLS")]
    assert row["reason"] == "H → L effective control 50% (via J 25%, K 25%) ≥ 50%" and row["threshold"] == "≥ 50%"


# ----------------------------------------------------------------------------- economic dependence

DEP_ENTITIES = """\
id,kind,name,is_customer,net_assets
GU,enterprise,担保,false,100000
D1,enterprise,甲,true,
D2,enterprise,乙,true,
D3,enterprise,丙,true,
D4,enterprise,丁,true,
D5,enterprise,戊,true,
S1,enterprise,供一,true,
B1,enterprise,买一,true,
S2,enterprise,供二,true,
B2,enterprise,买二,true,
R1,enterprise,还一,true,
R2,enterprise,还二,true,
"""
DEP_RELATIONS = """\
src,dst,type,amount,share,buyer_share
GU,D1,GUARANTEES,20000,,
GU,D2,GUARANTEES,20000,,
GU,D3,GUARANTEES,20000,,
GU,D4,GUARANTEES,20000,,
GU,D5,GUARANTEES,20000,,
S1,B1,SUPPLIES,,0.1,0.6
S2,B2,SUPPLIES,,0.1,0.4
R1,R2,SHARES_REPAYMENT_SOURCE,,,
"""
DEP_EXPOSURES = """\
facility_id,customer_id,outstanding
F1,D1,1
F2,B1,1
F3,R1,1
"""


def test_guarantees_are_summed_per_guarantor(make_dataset):
    # five guarantees of 20,000 = 20% of GU's 100,000 net assets each, 100% in all: all join
    g, _, ties = frames(load(make_dataset, DEP_ENTITIES, DEP_RELATIONS, DEP_EXPOSURES))
    assert g.loc["G-D1", "members"] == ["D1", "D2", "D3", "D4", "D5", "GU"]
    row = ties.set_index(["src", "dst", "type"]).loc[("GU", "D3", "GUARANTEES")]
    assert row["joins"] and row["ratio"] == "0.200000"
    assert row["reason"] == (
        "GU → D3 guarantee 20,000.00 = 20% of GU net assets; GU's 5 guarantees total 100,000.00 = 100% "
        "of its net assets ≥ 50%"
    )


def test_guarantees_one_by_one_when_aggregation_is_off(make_dataset):
    policy = POLICY + "[connection]\naggregate_guarantees = false\n"
    g, _, ties = frames(load(make_dataset, DEP_ENTITIES, DEP_RELATIONS, DEP_EXPOSURES, policy))
    assert g.loc["G-D1", "members"] == ["D1"] and "G-GU" not in g.index
    guar = ties[ties["type"] == "GUARANTEES"]
    assert not guar["joins"].any()
    assert guar["reason"].iloc[0] == "GU → D1 guarantee 20,000.00 = 20% of GU net assets < 50%: listed, does not join"


def test_buyer_side_supply_dependence(make_dataset):
    # S1 sells 10% of its revenue to B1, but that is 60% of B1's purchases: joined; 40% is not
    g, _, ties = frames(load(make_dataset, DEP_ENTITIES, DEP_RELATIONS, DEP_EXPOSURES))
    assert g.loc["G-B1", "members"] == ["B1", "S1"]
    t = ties.set_index(["src", "dst", "type"])
    assert (
        t.loc[("S1", "B1", "SUPPLIES"), "reason"] == "S1 → B1 supply 10% of S1 revenue < 50%; 60% of B1 purchases ≥ 50%"
    )
    assert t.loc[("S1", "B1", "SUPPLIES"), "threshold"] == "≥ 50% of supplier revenue or ≥ 50% of buyer purchases"
    assert not t.loc[("S2", "B2", "SUPPLIES"), "joins"]
    assert g.loc["G-B2", "members"] == ["B2"]


def test_shared_repayment_source_joins_unless_switched_off(make_dataset):
    g, _, ties = frames(load(make_dataset, DEP_ENTITIES, DEP_RELATIONS, DEP_EXPOSURES))
    assert g.loc["G-R1", "members"] == ["R1", "R2"]
    row = ties.set_index("type").loc["SHARES_REPAYMENT_SOURCE"]
    assert row["reason"] == "R1 — R2 share a main source of repayment or funding" and row["group_id"] == "G-R1"
    policy = POLICY + "[connection]\nshared_repayment_joins = false\n"
    g, _, ties = frames(load(make_dataset, DEP_ENTITIES, DEP_RELATIONS, DEP_EXPOSURES, policy))
    assert g.loc["G-R1", "members"] == ["R1"] and not ties.set_index("type").loc["SHARES_REPAYMENT_SOURCE", "joins"]


# ----------------------------------------------------------------------------- capital


def test_net_capital_taken_from_tier1(make_dataset):
    # only tier-1 given (1,000,000): net capital = tier-1, so loans above 100,000 breach
    ent = "id,kind,name,is_customer\nE1,enterprise,甲,true\n"
    exp = "facility_id,customer_id,outstanding\nF1,E1,100000.01\n"
    book = load(make_dataset, ent, NO_RELATIONS, exp, policy='tier1_capital = "1000000.00"\n')
    res = run_risk(book)
    m = res.members.set_index("entity_id")
    assert m.loc["E1", "loan_status"] == "breach" and m.loc["E1", "share_of_net_capital"] == "0.100000"
    assert "net capital taken as tier-1" in res.summary["rules"]["loan"]
    assert res.summary["net_capital_from_tier1"] is True and res.summary["net_capital"] == "1000000.00"
    assert "资本净额按一级资本净额计" in risk_report(res, book.policy, "zh")
    assert "net capital taken as tier-1" in risk_report(res, book.policy, "en")


def test_large_exposure_count_includes_breaches(make_dataset):
    # E1 200,000 (breach of 15%), E2 160,000 (breach), E3 140,000 (large only): all above 2.5%
    book = load(make_dataset, LIMIT_ENTITIES, NO_RELATIONS, LIMIT_EXPOSURES)
    res = run_risk(book)
    s = res.summary
    assert s["breaches"] == 2 and s["large_exposures"] == 3 and s["large_exposures_within_limits"] == 1
    assert "超限 2 个，大额风险暴露（超过一级资本净额 2.5%，含超限）3 个" in risk_report(res, book.policy, "zh")


def test_holdings_of_effectively_controlled_entities_count_too(make_dataset):
    # A holds 30% of B and controls C (60%), which holds 30% of B: A controls B (60%, summed).
    # B holds 30% of D and A 25% directly: A holds 55% of D through B, itself controlled only
    # effectively — control at any depth
    ent = "id,kind,name,is_customer\nA,person,甲,false\nB,enterprise,乙,true\nC,enterprise,丙,true\nD,enterprise,丁,true\n"
    rel = (
        "src,dst,type,amount,share\nA,B,CONTROLS,,0.3\nA,C,CONTROLS,,0.6\nC,B,CONTROLS,,0.3\n"
        "B,D,CONTROLS,,0.3\nA,D,CONTROLS,,0.25\n"
    )
    exp = "facility_id,customer_id,outstanding\nF1,D,1\n"
    g, _, ties = frames(load(make_dataset, ent, rel, exp))
    assert g.loc["G-A", "members"] == ["A", "B", "C", "D"]
    t = ties.set_index(["src", "dst", "type"])
    assert t.loc[("A", "B", "CONTROLS"), "reason"] == "A → B effective control 60% (direct 30%; via C 30%) > 50%"
    assert t.loc[("A", "D", "CONTROLS"), "reason"] == "A → D effective control 55% (direct 25%; via B 30%) > 50%"
    assert not t.loc[("B", "D", "CONTROLS"), "joins"] and not t.loc[("C", "B", "CONTROLS"), "joins"]


def test_ties_are_listed_by_source_target_then_type_whatever_the_type(make_dataset):
    # SUPPLIES ranks after CONTROLS: (A, B, SUPPLIES) must still come before (A, C, CONTROLS);
    # a sort key that gave the type rank too little room would put them the other way round
    entities = "id,kind,name,is_customer\nA,enterprise,甲,true\nB,enterprise,乙,true\nC,enterprise,丙,true\n"
    relations = (
        "src,dst,type,amount,share,buyer_share\n"
        "A,C,CONTROLS,,0.6,\nA,B,SUPPLIES,,0.6,\nA,B,SHARES_REPAYMENT_SOURCE,,,\nA,B,CONTROLS,,0.7,\n"
    )
    book = load(make_dataset, entities, relations, "facility_id,customer_id,outstanding\nF1,A,1\n")
    _, _, ties = connected_groups(book)
    assert ties[["src", "dst", "type"]].values.tolist() == [
        ["A", "B", "CONTROLS"],
        ["A", "B", "SHARES_REPAYMENT_SOURCE"],
        ["A", "B", "SUPPLIES"],
        ["A", "C", "CONTROLS"],
    ]


def test_the_report_names_every_customer_over_the_loan_limit(make_dataset):
    # N1's 220,000 of loans are 22% of net capital (limit 10%); B1's 220,000 are not tested
    # (interbank); N5's 100,000 are exactly 10%, not above; X1 and X2 are exempt
    book = load(make_dataset, BANK_ENTITIES, BANK_RELATIONS, BANK_EXPOSURES)
    res = run_risk(book)
    assert res.summary["loan_limit_breaches"] == 1
    zh, en = risk_report(res, book.policy, "zh"), risk_report(res, book.policy, "en")
    assert "- 贷款余额超过单一客户贷款限额的客户：乙公司（N1，贷款余额 22.00万元，占资本净额 22.00%）。" in zh
    assert (
        "- Customers whose loans are over the loan limit: 乙公司 (N1, loans 220,000.00 yuan, 22.00% of net capital)."
        in en
    )
    assert "甲银行（B1，贷款余额" not in zh


def test_the_report_lists_every_breach_and_large_exposure(make_dataset):
    # 30 lone customers of 30,000 each (3% of tier-1: large exposures) and one of 160,000 (a
    # breach of 15%): all 31 rows are in the report, the breach first
    ids = [f"E{i:02d}" for i in range(31)]
    entities = "id,kind,name,is_customer\n" + "".join(f"{x},enterprise,公司{x},true\n" for x in ids)
    exposures = "facility_id,customer_id,outstanding\n" + "".join(
        f"F{x},{x},{160000 if x == 'E30' else 30000}\n" for x in ids
    )
    book = load(make_dataset, entities, NO_RELATIONS, exposures)
    res = run_risk(book)
    for lang in ("zh", "en"):
        text = risk_report(res, book.policy, lang)
        section = text[text.index("超限与大额" if lang == "zh" else "Breaches and large") :]
        rows = [line for line in section.splitlines() if line.startswith("| G-E")]
        assert len(rows) == 31 and rows[0].startswith("| G-E30 |"), lang
