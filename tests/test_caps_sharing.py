"""Caps that add up (issue 21, item 7): a group's room shared across schemes, a borrower bound by
its single risk source, an over-limit group named in its schemes, caps on measured exposure.

Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

import textwrap

from channelgraph.caps import caps_report_markdown, draft_caps_tables, run_caps
from channelgraph.caps.draft import share_room
from channelgraph.graph import build_book
from channelgraph.io import load_dataset

YUAN = 100

#: Tier-1 1,000,000,000 yuan: single-customer limit 150,000,000, group limit 200,000,000, interbank
#: limit 250,000,000; net capital 1,200,000,000: loan limit 120,000,000. Scheme policy per borrower
#: 5,000,000. Caps rounded to the fen; the channel-quality factors that need a big channel are off.
POLICY = """\
tier1_capital = "1000000000"
net_capital = "1200000000"
[caps]
hhi_above = 1
penetration_below = 0
rounding = "0.01"
{extra}
"""

#: BOSS controls A, E1 and E2 (60% each): one group G-A. A is a member of both chambers, E1 of C2.
GROUP_ENTITIES = """\
id,kind,name,is_customer
C1,chamber,温州商会,false
C2,chamber,台州商会,false
A,enterprise,甲公司,true
E1,enterprise,乙公司,true
E2,enterprise,丙公司,true
BOSS,person,老板,false
"""
GROUP_RELATIONS = """\
src,dst,type,amount,share
A,C1,MEMBER_OF,,
A,C2,MEMBER_OF,,
E1,C2,MEMBER_OF,,
BOSS,A,CONTROLS,,0.6
BOSS,E1,CONTROLS,,0.6
BOSS,E2,CONTROLS,,0.6
"""
TWO_SCHEMES = """\
scheme_id,channel_id,name,product
S1,C1,会员贷,business_loan
S2,C2,会员贷二,business_loan
"""

#: G guarantees A and B; H guarantees A only (one borrower: not a tested source).
SOURCE_ENTITIES = """\
id,kind,name,is_customer
C1,chamber,温州商会,false
A,enterprise,甲公司,true
B,enterprise,乙公司,true
D,enterprise,丁公司,true
G,enterprise,担保公司,true
H,person,王五,false
"""
SOURCE_RELATIONS = """\
src,dst,type,amount,share
A,C1,MEMBER_OF,,
B,C1,MEMBER_OF,,
D,C1,MEMBER_OF,,
G,A,GUARANTEES,300000,
G,B,GUARANTEES,300000,
H,A,GUARANTEES,100000,
"""
ONE_SCHEME = "scheme_id,channel_id,name,product\nS1,C1,会员贷,business_loan\n"


def _exposures(*rows: str, extra: str = "") -> str:
    head = "facility_id,customer_id,outstanding,scheme_id" + (f",{extra}" if extra else "")
    return head + "\n" + "\n".join(rows) + "\n"


def _tables(make_dataset, *, entities, relations, exposures, schemes, policy=""):
    folder = make_dataset(
        entities=entities,
        relations=relations,
        exposures=exposures,
        schemes=schemes,
        policy=POLICY.format(extra=textwrap.dedent(policy)),
    )
    book = build_book(load_dataset(folder))
    return book, draft_caps_tables(book)


def _row(df, **where):
    m = df
    for k, v in where.items():
        m = m[m[k] == v]
    assert len(m) == 1, (where, m)
    return m.iloc[0]


# ----------------------------------------------------------------------------- the sharing rule


def test_share_room_splits_equally_and_hands_the_odd_fen_in_order():
    assert share_room(301, [500, 500, 500]) == [101, 100, 100]
    # a claimant that can use less leaves the rest to the others: 1,000 − 100 = 900 over two
    assert share_room(1000, [100, 2000, 2000]) == [100, 450, 450]
    assert share_room(1001, [100, 2000, 2000]) == [100, 451, 450]
    # the claimants need less than the room: each gets its need, the rest stays unallocated
    assert share_room(1000, [100, 200]) == [100, 200]
    assert share_room(0, [100, 200]) == [0, 0]
    assert share_room(7, [0, 0]) == [0, 0]


# ----------------------------------------------------------------------------- group room


def test_group_room_is_shared_across_two_schemes_and_never_handed_out_twice(make_dataset):
    # Group G-A holds 1,000,000 (A under S1) + 2,000,000 (E1 under S2) + 48,999,999.99 (E1 outside)
    # + 145,000,000 (E2 outside) = 196,999,999.99 of its 200,000,000 limit (98.5% used): room
    # 3,000,000.01 = 300,000,001 fen. Claimants, in table order: (S1, A), (S2, E1) [2,000,000 under
    # S2], (S2, A) [0 under S2]; each could use more than a third (per-borrower 5,000,000 less what
    # it holds), so each gets 100,000,000 fen and the odd fen goes to the first, (S1, A).
    book, t = _tables(
        make_dataset,
        entities=GROUP_ENTITIES,
        relations=GROUP_RELATIONS,
        exposures=_exposures("F1,A,1000000,S1", "F2,E1,2000000,S2", "F3,E1,48999999.99,", "F4,E2,145000000,"),
        schemes=TWO_SCHEMES,
    )
    bt = t["scheme_borrower_caps"]
    a1, e1, a2 = (_row(bt, scheme_id=s, customer_id=c) for s, c in (("S1", "A"), ("S2", "E1"), ("S2", "A")))
    assert a1.group_exposure_fen == 19_699_999_999 and a1.group_headroom_fen == 300_000_001
    assert (a1.group_share_fen, e1.group_share_fen, a2.group_share_fen) == (100_000_001, 100_000_000, 100_000_000)
    assert (a1.cap_fen, e1.cap_fen, a2.cap_fen) == (200_000_001, 300_000_000, 100_000_000)
    assert {a1.binding, e1.binding, a2.binding} == {"group"}
    # new lending over all schemes and members = the room, exactly (before: 3 × the room)
    assert sum(int(r.cap_fen) - int(r.current_exposure_fen) for r in (a1, e1, a2)) == 300_000_001
    # A sits in both schemes: its own rooms are shared between its two rows too (here they are large)
    assert a1.binding_rule == (
        "cap = min(scheme per-borrower 5,000,000.00; single-customer limit 150,000,000.00 less 1,000,000.00 "
        "held in all = room 149,000,000.00, shared among its 2 scheme rows: share 4,000,000.00 + current "
        "1,000,000.00 = 5,000,000.00; loan limit 120,000,000.00 less 1,000,000.00 of loans in all = room "
        "119,000,000.00, shared among its 2 scheme rows: share 4,000,000.00 + loans under the scheme "
        "1,000,000.00 = 5,000,000.00; group G-A 20% limit 200,000,000.00 less group exposure 196,999,999.99 = room "
        "3,000,000.01, shared among 3 rows of its members in the schemes: share 1,000,000.01 + current "
        "1,000,000.00 = 2,000,000.01) → 2,000,000.01"
    )
    assert len(t["caps_breaches"]) == 0


def test_a_group_member_that_can_use_less_leaves_the_rest_to_the_others(make_dataset):
    # E1 holds 4,990,000 under S2: the per-borrower cap 5,000,000 leaves it 10,000 (1,000,000 fen).
    # Group exposure 1,000,000 + 4,990,000 + 45,999,999.99 + 145,000,000 = 196,989,999.99: room
    # 3,010,000.01 = 301,000,001 fen. E1 gets its 1,000,000 fen; the other 300,000,001 go to (S1, A)
    # and (S2, A) in halves, the odd fen to (S1, A), listed first.
    _, t = _tables(
        make_dataset,
        entities=GROUP_ENTITIES,
        relations=GROUP_RELATIONS,
        exposures=_exposures("F1,A,1000000,S1", "F2,E1,4990000,S2", "F3,E1,45999999.99,", "F4,E2,145000000,"),
        schemes=TWO_SCHEMES,
    )
    bt = t["scheme_borrower_caps"]
    a1, e1, a2 = (_row(bt, scheme_id=s, customer_id=c) for s, c in (("S1", "A"), ("S2", "E1"), ("S2", "A")))
    assert (a1.group_share_fen, e1.group_share_fen, a2.group_share_fen) == (150_000_001, 1_000_000, 150_000_000)
    assert (a1.cap_fen, e1.cap_fen, a2.cap_fen) == (250_000_001, 500_000_000, 150_000_000)
    assert (a1.binding, e1.binding, a2.binding) == ("group", "scheme", "group")


def test_a_customer_in_two_schemes_shares_its_single_customer_room(make_dataset):
    # X (in no group) is a member of C1 and C2. It holds a 148,000,000 acceptance outside the
    # schemes and a 500,000 loan under S1: single-customer room 150,000,000 − 148,500,000 =
    # 1,500,000, shared by (S1, X) and (S2, X), each able to use more (5,000,000 less what it
    # holds): 750,000 each. Before, each row was given the whole 1,500,000. The loan limit tests
    # loans only: 120,000,000 − 500,000 leaves plenty.
    _, t = _tables(
        make_dataset,
        entities=GROUP_ENTITIES + "X,enterprise,戊公司,true\n",
        relations=GROUP_RELATIONS + "X,C1,MEMBER_OF,,\nX,C2,MEMBER_OF,,\n",
        exposures=_exposures("F1,X,500000,S1,loan", "F2,X,148000000,,bank_acceptance", extra="exposure_type"),
        schemes=TWO_SCHEMES,
    )
    bt = t["scheme_borrower_caps"]
    x1, x2 = _row(bt, scheme_id="S1", customer_id="X"), _row(bt, scheme_id="S2", customer_id="X")
    assert (x1.binding, x1.cap_fen, x1.headroom_fen) == ("single_customer", 125_000_000, 75_000_000)
    assert (x2.binding, x2.cap_fen, x2.headroom_fen) == ("single_customer", 75_000_000, 75_000_000)
    assert "single-customer limit 150,000,000.00 less 148,500,000.00 held in all = room 1,500,000.00" in x1.binding_rule


def test_a_scheme_names_the_group_already_over_its_limit_in_its_section(make_dataset):
    # E2 holds 210,000,000 outside: the group holds 1,000,000 + 2,000,000 + 210,000,000 =
    # 213,000,000 > its 200,000,000 limit (excess 13,000,000). A borrows under S1, E1 under S2.
    book, t = _tables(
        make_dataset,
        entities=GROUP_ENTITIES,
        relations=GROUP_RELATIONS,
        exposures=_exposures("F1,A,1000000,S1", "F2,E1,2000000,S2", "F4,E2,210000000,"),
        schemes=TWO_SCHEMES,
    )
    br = t["caps_breaches"]
    g1 = _row(br, scheme_id="S1", breach_type="group_limit")
    assert (g1.subject_id, g1.subject_name, g1.subject_kind) == ("G-A", "甲公司", "group")
    assert (g1.current_fen, g1.cap_fen, g1.excess_fen) == (21_300_000_000, 20_000_000_000, 1_300_000_000)
    assert g1.rule.endswith("its members borrowing under S1 (exposure under the scheme): A 甲公司 (1,000,000.00)")
    g2 = _row(br, scheme_id="S2", breach_type="group_limit")
    assert g2.rule.endswith("under S2 (exposure under the scheme): E1 乙公司 (2,000,000.00)")  # A holds nothing there
    caps = t["caps"]
    assert caps["groups_over_limit"].tolist() == [1, 1] and set(caps["status"]) == {"breach"}
    # every member takes the whole excess: A's cap 1,000,000 − 13,000,000 → 0
    assert _row(t["scheme_borrower_caps"], scheme_id="S1", customer_id="A").cap_fen == 0

    result = run_caps(book)
    zh = caps_report_markdown(result, book.policy, "zh")
    en = caps_report_markdown(result, book.policy, "en")
    s1_zh = zh[zh.index("## S1 ") : zh.index("## S2 ")]
    assert (
        "**关联客户组 G-A（甲公司）已超限额**：风险暴露 21,300.00万元，限额 20,000.00万元，超出 1,300.00万元。"
        "本方案项下借款的组内成员（方案项下风险暴露）：A 甲公司（100.00万元）。"
    ) in s1_zh
    s2_en = en[en.index("## S2 ") :]
    assert (
        "**Group of connected clients G-A (甲公司) is above its limit**: exposure 213,000,000.00, limit "
        "200,000,000.00, excess 13,000,000.00. Its members borrowing under this scheme (exposure under the "
        "scheme): E1 乙公司 (2,000,000.00)."
    ) in s2_en
    assert "关联客户组已超限额" in zh and "group of connected clients above its limit" in en


# ----------------------------------------------------------------------------- single risk source


def test_a_borrower_cap_is_bound_by_its_risk_sources_remaining_room(make_dataset):
    # appetite 0.1% of tier-1 = 1,000,000; single-source cap 10% = 100,000. G guarantees A
    # (30,000.01 under S1) and B (20,000): 50,000.01 depends on G, room 49,999.99 = 4,999,999 fen,
    # shared by A and B: 2,500,000 fen to A (listed first: more under the scheme), 2,499,999 to B.
    _, t = _tables(
        make_dataset,
        entities=SOURCE_ENTITIES,
        relations=SOURCE_RELATIONS,
        exposures=_exposures("F1,A,30000.01,S1", "F2,B,20000,S1"),
        schemes=ONE_SCHEME,
        policy="scheme_total_share = 0.001",
    )
    bt = t["scheme_borrower_caps"]
    a, b, d = (_row(bt, customer_id=c) for c in "ABD")
    assert (a.risk_source_id, a.risk_source_share_fen, a.cap_fen) == ("G", 2_500_000, 5_500_001)
    assert (b.risk_source_id, b.risk_source_share_fen, b.cap_fen) == ("G", 2_499_999, 4_499_999)
    assert a.binding == b.binding == "risk_source"
    assert a.binding_rule.endswith(
        "risk source G remaining room 49,999.99, shared among 2 of its dependants in the scheme: share "
        "25,000.00 + current 30,000.01 = 55,000.01) → 55,000.01"
    )
    # D depends on no tested source (H guarantees only A and is not tested): the scheme cap binds
    assert (d.risk_source_id, d.binding, d.cap_fen) == ("", "scheme", 5_000_000 * YUAN)
    assert len(t["caps_breaches"]) == 0


def test_a_source_already_over_its_cap_leaves_its_dependants_a_cap_of_zero(make_dataset):
    # 80,000 + 30,000 = 110,000 depends on G, above its 100,000 cap: A's and B's caps are 0
    book, t = _tables(
        make_dataset,
        entities=SOURCE_ENTITIES,
        relations=SOURCE_RELATIONS,
        exposures=_exposures("F1,A,80000,S1", "F2,B,30000,S1"),
        schemes=ONE_SCHEME,
        policy="scheme_total_share = 0.001",
    )
    bt, br = t["scheme_borrower_caps"], t["caps_breaches"]
    for c in "AB":
        r = _row(bt, customer_id=c)
        assert (r.cap_fen, r.binding, r.status, r.risk_source_share_fen) == (0, "risk_source", "breach", 0)
        assert r.binding_rule.endswith("risk source G already 10,000.00 above its single-source cap: 0.00) → 0.00")
    assert sorted(br.loc[br["breach_type"] == "borrower", "subject_id"]) == ["A", "B"]
    assert _row(br, breach_type="risk_source").subject_id == "G"
    # the scheme's section says why its borrowers are capped at 0
    result = run_caps(book)
    zh = caps_report_markdown(result, book.policy, "zh")
    en = caps_report_markdown(result, book.policy, "en")
    assert "- 单一风险源 G（担保公司）已超上限：依赖它的 2 户借款人单户上限为零" in zh
    assert "- Risk source G (担保公司) is already above its cap: the 2 borrowers depending on it are capped at 0" in en


# ----------------------------------------------------------------------------- measured exposure


def test_caps_are_measured_on_exposure_and_the_loan_limit_on_loans(make_dataset):
    # Under S1, A holds a 1,000,000 bank acceptance with 400,000 cash margin (CCF 1: exposure
    # 600,000) and a 100,000 loan: exposure 700,000, outstanding 1,100,000. Outside, a 147,000,000
    # acceptance (exposure 147,000,000, no loans). Single-customer room 150,000,000 − 147,000,000 =
    # 3,000,000 binds; the loan limit tests loans only: 120,000,000 − 0 outside.
    _, t = _tables(
        make_dataset,
        entities=SOURCE_ENTITIES,
        relations=SOURCE_RELATIONS,
        exposures=_exposures(
            "F1,A,1000000,S1,bank_acceptance,400000",
            "F2,A,100000,S1,loan,",
            "F3,A,147000000,,bank_acceptance,",
            extra="exposure_type,margin",
        ),
        schemes=ONE_SCHEME,
    )
    s1 = _row(t["caps"], scheme_id="S1")
    assert (s1.utilized_fen, s1.utilized_outstanding_fen) == (700_000 * YUAN, 1_100_000 * YUAN)
    a = _row(t["scheme_borrower_caps"], customer_id="A")
    assert (a.current_exposure_fen, a.current_outstanding_fen) == (700_000 * YUAN, 1_100_000 * YUAN)
    assert (a.customer_exposure_fen, a.customer_loans_fen) == (147_700_000 * YUAN, 100_000 * YUAN)
    assert (a.binding, a.cap_fen, a.headroom_fen) == ("single_customer", 3_000_000 * YUAN, 2_300_000 * YUAN)
    assert a.binding_rule.endswith("; loan limit 120,000,000.00) → 3,000,000.00")  # no loans outside the scheme


def test_an_interbank_borrower_takes_the_interbank_limit_and_an_exempt_one_no_limit(make_dataset):
    # A is interbank: 25% of tier-1 = 250,000,000 less 200,000,000 outside = 50,000,000; the loan
    # limit (120,000,000, exceeded outside) is not applied. B is a policy bank (exempt): 300,000,000
    # outside caps nothing. Both are held by the scheme's 5,000,000.
    entities = SOURCE_ENTITIES.replace("id,kind,name,is_customer", "id,kind,name,is_customer,is_interbank,exempt")
    entities = "\n".join(
        line + {"A": ",true,", "B": ",,policy_bank"}.get(line.split(",")[0], ",,") if i else line
        for i, line in enumerate(entities.strip().split("\n"))
    )
    _, t = _tables(
        make_dataset,
        entities=entities + "\n",
        relations="\n".join(SOURCE_RELATIONS.split("\n")[:4]) + "\n",  # memberships only
        exposures=_exposures("F1,A,1000000,S1", "F2,A,200000000,", "F3,B,1000000,S1", "F4,B,300000000,"),
        schemes=ONE_SCHEME,
    )
    bt = t["scheme_borrower_caps"]
    a, b = _row(bt, customer_id="A"), _row(bt, customer_id="B")
    assert (bool(a.interbank), a.binding, a.cap_fen) == (True, "scheme", 5_000_000 * YUAN)
    assert (
        "interbank limit 25% of tier-1 250,000,000.00 less 200,000,000.00 held outside the scheme = "
        "50,000,000.00; loan limit not applied (interbank)"
    ) in a.binding_rule
    assert (b.exempt, b.binding, b.cap_fen) == ("policy_bank", "scheme", 5_000_000 * YUAN)
    assert "exempt (policy_bank): not capped by the large-exposure limits nor the loan limit" in b.binding_rule


# ----------------------------------------------------------------------------- the zh citation


def test_the_zh_report_cites_art_39_as_capital_balance(make_dataset):
    book, _ = _tables(
        make_dataset,
        entities=SOURCE_ENTITIES,
        relations=SOURCE_RELATIONS,
        exposures=_exposures("F1,A,30000,S1"),
        schemes=ONE_SCHEME,
    )
    zh = caps_report_markdown(run_caps(book), book.policy, "zh")
    assert "对同一借款人的贷款余额与商业银行资本余额的比例不得超过百分之十" in zh
    assert "本行以参数中的资本净额作为该条所称资本余额计算" in zh
    assert "同一借款人贷款余额 ≤ 资本净额" not in zh
