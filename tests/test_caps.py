"""Scheme caps (issue 6): each binding rule on hand-made data, breaches, outputs, the command."""

from __future__ import annotations

import csv
import json
import random
import textwrap

import pytest
from click.testing import CliRunner

from channelgraph.graph import build_book, measure_exposure
from channelgraph.analyses import registry, write_results
from channelgraph.caps import (
    BORROWER_COLUMNS,
    BREACH_COLUMNS,
    CAPS_COLUMNS,
    caps_report_markdown,
    caps_section,
    draft_caps_tables,
    draft_scheme_caps,
    run_caps,
    write_caps_report,
)
from channelgraph.cli import main
from channelgraph.io import load_dataset
from channelgraph.policy import Policy
from channelgraph.risk import run_risk

from conftest import SAMPLE, write_dataset

YUAN = 100
WAN = 10_000 * YUAN

#: Tier-1 1,000,000,000 yuan: single-customer limit 150,000,000, group limit 200,000,000,
#: scheme appetite 50,000,000; net capital 1,200,000,000: loan limit 120,000,000. The quality
#: tests that need no channel of any size (concentration, penetration) are switched off.
POLICY = """\
tier1_capital = "1000000000"
net_capital = "1200000000"
[caps]
hhi_above = 1
penetration_below = 0
{extra}
"""

#: A chamber C1 with members A, B, D (firms) and P (a person, not a customer).
ENTITIES = """\
id,kind,name,is_customer,net_assets
C1,chamber,温州商会,false,
A,enterprise,甲公司,true,
B,enterprise,乙公司,true,
D,enterprise,丁公司,true,
P,person,张三,false,
G,enterprise,担保公司,true,
"""
MEMBERS = """\
src,dst,type,amount,share,role
A,C1,MEMBER_OF,,,
B,C1,MEMBER_OF,,,
D,C1,MEMBER_OF,,,
P,C1,MEMBER_OF,,,
"""
SCHEMES = """\
scheme_id,channel_id,name,product
S1,C1,会员贷,business_loan
"""


def _policy(extra: str = "") -> str:
    return POLICY.format(extra=textwrap.dedent(extra))


def _load(make_dataset, *, entities=ENTITIES, relations=MEMBERS, exposures, schemes=SCHEMES, policy=""):
    folder = make_dataset(
        entities=entities, relations=relations, exposures=exposures, schemes=schemes, policy=_policy(policy)
    )
    return load_dataset(folder)


def _exposures(*rows: str) -> str:
    return "facility_id,customer_id,outstanding,limit,product,scheme_id,status\n" + "\n".join(rows) + "\n"


def _row(df, **where):
    m = df
    for k, v in where.items():
        m = m[m[k] == v]
    assert len(m) == 1, (where, m)
    return m.iloc[0]


# ----------------------------------------------------------------------------- binding rules


def test_scheme_policy_binds_the_per_borrower_cap(make_dataset):
    ds = _load(make_dataset, exposures=_exposures("F1,A,1000000,,,S1,", "F2,B,2000000,,,,"))
    caps, borrowers, breaches = draft_scheme_caps(build_book(ds))
    r = _row(caps, scheme_id="S1")
    assert r.cap_per_borrower_fen == 5_000_000 * YUAN
    assert r.per_borrower_binding == "scheme_policy"
    assert r.per_borrower_rule == (
        "per-borrower = min(single-customer limit 15% of tier-1 150,000,000.00; loan limit 10% of net capital "
        "120,000,000.00; scheme policy 5,000,000.00) → 5,000,000.00"
    )
    assert r.cap_total_fen == 50_000_000 * YUAN and r.total_binding == "appetite"
    assert r.total_rule.startswith(
        "total = scheme appetite 5% of tier-1 1,000,000,000.00 = 50,000,000.00 "
        "(channel quality ×1: non-normal 0.00% ≤ 5%"
    )
    assert r.cap_single_risk_source_fen == 5_000_000 * YUAN
    assert r.utilized_fen == 1_000_000 * YUAN and r.headroom_fen == 49_000_000 * YUAN
    assert r.channel_members_outstanding_fen == 3_000_000 * YUAN
    assert r.status == "ok" and len(breaches) == 0
    # every member (customer or not) and borrower has a row; the scheme's cap binds them all
    assert sorted(borrowers["customer_id"]) == ["A", "B", "D", "P"]
    assert set(borrowers["binding"]) == {"scheme"} and set(borrowers["cap_fen"]) == {5_000_000 * YUAN}
    a = _row(borrowers, customer_id="A")
    assert a.is_borrower and a.current_outstanding_fen == 1_000_000 * YUAN and a.headroom_fen == 4_000_000 * YUAN
    assert not _row(borrowers, customer_id="P").is_customer
    assert r.binding_rule == " | ".join([r.total_rule, r.per_borrower_rule, r.single_source_rule])


def test_single_customer_limit_binds(make_dataset):
    folder = make_dataset(
        entities=ENTITIES, relations=MEMBERS, schemes=SCHEMES, exposures=_exposures("F1,A,1000000,,,S1,")
    )
    ds = load_dataset(
        folder,
        policy=Policy.from_mapping(
            {
                "tier1_capital": "1000000000",
                "net_capital": "2000000000",
                "caps": {"per_borrower": "300000000", "hhi_above": 1, "penetration_below": 0},
            }
        ),
    )
    r = _row(draft_scheme_caps(build_book(ds))[0], scheme_id="S1")
    assert r.cap_per_borrower_fen == 150_000_000 * YUAN
    assert r.per_borrower_binding == "single_customer"
    assert r.per_borrower_rule == (
        "per-borrower = min(single-customer limit 15% of tier-1 150,000,000.00; loan limit 10% of net capital "
        "200,000,000.00; scheme policy 300,000,000.00) → 150,000,000.00"
    )


def test_loan_limit_binds(make_dataset):
    ds = _load(make_dataset, exposures=_exposures("F1,A,1000000,,,S1,"), policy='per_borrower = "300000000"')
    r = _row(draft_scheme_caps(build_book(ds))[0], scheme_id="S1")
    assert r.cap_per_borrower_fen == 120_000_000 * YUAN and r.per_borrower_binding == "loan_limit"


def test_a_borrower_already_holding_loans_gets_only_its_own_headroom(make_dataset):
    # A owes 118,500,000 outside the scheme: 1,500,000 of room under the loan limit is left
    ds = _load(make_dataset, exposures=_exposures("F1,A,1000000,,,S1,", "F2,A,118500000,,,,"))
    a = _row(draft_scheme_caps(build_book(ds))[1], customer_id="A")
    assert a.binding == "loan_limit"
    assert a.cap_fen == 1_500_000 * YUAN  # 120,000,000 − 118,500,000 outside the scheme
    assert a.headroom_fen == 500_000 * YUAN
    assert (
        "single-customer limit 150,000,000.00 less 118,500,000.00 held outside the scheme = 31,500,000.00"
        in a.binding_rule
    )
    assert "loan limit 120,000,000.00 less 118,500,000.00 held outside the scheme = 1,500,000.00" in a.binding_rule
    # with a larger net capital the single-customer headroom binds
    ds = load_dataset(
        ds.path,
        policy=Policy.from_mapping(
            {"tier1_capital": "1000000000", "net_capital": "2000000000", "caps": {"hhi_above": 1}}
        ),
    )
    (ds.path / "exposures.csv").write_text(_exposures("F1,A,1000000,,,S1,", "F2,A,148500000,,,,"), encoding="utf-8")
    ds = load_dataset(ds.path, policy=ds.policy)
    a = _row(draft_scheme_caps(build_book(ds))[1], customer_id="A")
    assert (a.binding, a.cap_fen) == ("single_customer", 1_500_000 * YUAN)


GROUP_ENTITIES = ENTITIES + "E1,enterprise,控股子公司,true,\nBOSS,person,老板,false,\n"
GROUP_RELATIONS = MEMBERS + "BOSS,A,CONTROLS,,0.6,\nBOSS,E1,CONTROLS,,0.6,\n"


def test_group_headroom_binds_a_member_near_the_group_limit(make_dataset):
    # BOSS controls A and E1: one group. E1 owes 140,000,000, A 57,000,000 outside and 1,000,000
    # under the scheme: the group holds 198,000,000 of its 200,000,000 limit (20% of tier-1).
    ds = _load(
        make_dataset,
        entities=GROUP_ENTITIES,
        relations=GROUP_RELATIONS,
        exposures=_exposures("F1,A,1000000,,,S1,", "F2,A,57000000,,,,", "F3,E1,140000000,,,,", "F4,B,1000000,,,S1,"),
    )
    caps, borrowers, breaches = draft_scheme_caps(build_book(ds))
    a = _row(borrowers, customer_id="A")
    assert a.group_id == "G-A" and a.group_exposure_fen == 198_000_000 * YUAN
    assert a.group_headroom_fen == 2_000_000 * YUAN
    assert a.binding == "group"
    assert a.cap_fen == 3_000_000 * YUAN  # 200,000,000 − (198,000,000 − 1,000,000 under the scheme)
    assert a.headroom_fen == 2_000_000 * YUAN  # new lending ≤ the group's headroom
    assert a.binding_rule == (
        "cap = min(scheme per-borrower 5,000,000.00; single-customer limit 150,000,000.00 less 57,000,000.00 held "
        "outside the scheme = 93,000,000.00; loan limit 120,000,000.00 less 57,000,000.00 held outside the scheme "
        "= 63,000,000.00; group G-A 20% limit 200,000,000.00 less 197,000,000.00 other group exposure "
        "= 3,000,000.00) → 3,000,000.00"
    )
    # B is in no group: the scheme's cap binds; the scheme-level cap is unchanged
    b = _row(borrowers, customer_id="B")
    assert b.binding == "scheme" and b.group_id == "" and b.cap_fen == 5_000_000 * YUAN
    assert _row(caps, scheme_id="S1").cap_per_borrower_fen == 5_000_000 * YUAN
    assert len(breaches) == 0


def test_a_group_over_its_limit_leaves_its_members_no_room(make_dataset):
    ds = _load(
        make_dataset,
        entities=GROUP_ENTITIES,
        relations=GROUP_RELATIONS,
        exposures=_exposures("F1,A,1000000.55,,,S1,", "F3,E1,205000000,,,,"),
    )
    caps, borrowers, breaches = draft_scheme_caps(build_book(ds))
    a = _row(borrowers, customer_id="A")
    assert a.group_headroom_fen == 0 and a.cap_fen == 0 and a.status == "breach"
    assert a.binding_rule.endswith("= -5,000,000.00) → 0.00 (floored at 0.00)")
    b = _row(breaches, breach_type="borrower", subject_id="A")
    assert b.current_fen == 100_000_055 and b.cap_fen == 0 and b.excess_fen == 100_000_055
    assert _row(caps, scheme_id="S1").status == "breach"


@pytest.mark.parametrize(
    "statuses, factor, note",
    [
        (("normal", "special_mention"), "0.5", "non-normal 50.00% > 10%: ×0.5"),
        (("normal", "normal"), "1", "non-normal 0.00% ≤ 5%"),
    ],
)
def test_quality_adjustment_binds_the_total_and_the_per_borrower_cap(make_dataset, statuses, factor, note):
    ds = _load(make_dataset, exposures=_exposures(f"F1,A,1000000,,,S1,{statuses[0]}", f"F2,B,1000000,,,,{statuses[1]}"))
    r = _row(draft_scheme_caps(build_book(ds))[0], scheme_id="S1")
    assert r.quality_factor == factor and note in r.total_rule
    if factor == "1":
        assert r.cap_total_fen == 50_000_000 * YUAN and r.total_binding == "appetite"
    else:
        assert r.total_binding == "quality" and r.per_borrower_binding == "quality"
        assert r.cap_total_fen == 25_000_000 * YUAN and r.cap_per_borrower_fen == 2_500_000 * YUAN
        assert r.total_rule == (
            "total = min(scheme appetite 5% of tier-1 1,000,000,000.00 = 50,000,000.00; quality-adjusted "
            "50,000,000.00 × 0.5 = 25,000,000.00 [non-normal 50.00% > 10%: ×0.5; HHI 0.5000 ≤ 1; "
            "penetration 75.00% ≥ 0%]) → 25,000,000.00"
        )
        assert r.per_borrower_rule.endswith("quality-adjusted 5,000,000.00 × 0.5 = 2,500,000.00) → 2,500,000.00")


def test_quality_factors_multiply_and_each_is_named(make_dataset):
    # 6% non-normal (×0.8); two customers with a concentrated book (×0.8); 3 of 4 members customers,
    # below a 90% penetration floor (×0.9): 0.576
    folder = make_dataset(
        entities=ENTITIES,
        relations=MEMBERS,
        schemes=SCHEMES,
        exposures=_exposures("F1,A,940000,,,S1,", "F2,B,60000,,,,doubtful"),
        policy='tier1_capital = "1000000000"\nnet_capital = "1200000000"\n[caps]\npenetration_below = 0.9\n',
    )
    r = _row(draft_scheme_caps(build_book(load_dataset(folder)))[0], scheme_id="S1")
    assert r.quality_factor == "0.576"
    assert r.quality_flags == "non_normal;concentration;low_penetration"
    for text in ("non-normal 6.00% > 5%: ×0.8", "HHI 0.8872 > 0.18: ×0.8", "penetration 75.00% < 90%: ×0.9"):
        assert text in r.total_rule
    assert r.cap_total_fen == 28_800_000 * YUAN  # 50,000,000 × 0.576
    assert r.cap_per_borrower_fen == 2_880_000 * YUAN


def test_rounding_down_to_the_unit_and_to_the_fen(make_dataset):
    # tier-1 1,000,000,001.23: 5% = 50,000,000.0615 → floored to the fen 50,000,000.06
    exposures = _exposures("F1,A,1000000,,,S1,")
    pol = {
        "tier1_capital": "1000000001.23",
        "net_capital": "1200000000",
        "caps": {"hhi_above": 1, "penetration_below": 0, "per_borrower": "1234567.89"},
    }
    ds = load_dataset(
        make_dataset(entities=ENTITIES, relations=MEMBERS, exposures=exposures, schemes=SCHEMES),
        policy=Policy.from_mapping(pol),
    )
    r = _row(draft_scheme_caps(build_book(ds))[0], scheme_id="S1")
    assert r.appetite_fen == 5_000_000_006
    assert r.cap_total_fen == 50_000_000 * YUAN
    assert r.total_rule.endswith("→ 50,000,000.00 (rounded down to a multiple of 10,000.00)")
    assert r.cap_per_borrower_fen == 1_230_000 * YUAN
    pol["caps"]["rounding"] = "0.01"
    ds = load_dataset(ds.path, policy=Policy.from_mapping(pol))
    r = _row(draft_scheme_caps(build_book(ds))[0], scheme_id="S1")
    assert r.cap_total_fen == 5_000_000_006 and r.cap_per_borrower_fen == 123_456_789
    assert r.cap_single_risk_source_fen == 500_000_000  # 10% of 50,000,000.06, floored to the fen


SOURCE_ENTITIES = ENTITIES + "H,person,王五,false,\n"
SOURCE_RELATIONS = MEMBERS + "G,A,GUARANTEES,300000,,\nG,B,GUARANTEES,300000,,\nH,A,GUARANTEES,100000,,\n"


def test_a_risk_source_behind_several_borrowers_above_its_cap_is_a_breach(make_dataset):
    # appetite 0.1% of tier-1 = 1,000,000; single-source cap 10% = 100,000. G guarantees A and
    # B (600,000 under the scheme); H only A (one borrower: not tested); C1 is the scheme's own channel.
    ds = _load(
        make_dataset,
        entities=SOURCE_ENTITIES,
        relations=SOURCE_RELATIONS,
        exposures=_exposures("F1,A,300000,,,S1,", "F2,B,300000,,,S1,", "F3,D,50000,,,S1,"),
        policy="scheme_total_share = 0.001",
    )
    t = draft_caps_tables(build_book(ds))
    r = _row(t["caps"], scheme_id="S1")
    assert r.cap_total_fen == 1_000_000 * YUAN and r.cap_single_risk_source_fen == 100_000 * YUAN
    assert r.utilized_fen == 650_000 * YUAN and r.headroom_fen == 350_000 * YUAN
    src = t["scheme_risk_sources"]
    assert "C1" not in set(src["source_id"])
    g = _row(src, source_id="G")
    assert (g.source_type, g.scheme_borrowers, g.exposure_fen, g.status, g.via) == (
        "guarantor",
        2,
        600_000 * YUAN,
        "breach",
        "guaranteed",
    )
    assert g.share_of_scheme == "0.923076"
    assert _row(src, source_id="H").status == "not_tested"
    br = _row(t["caps_breaches"], breach_type="risk_source")
    assert (br.subject_id, br.current_fen, br.cap_fen, br.excess_fen) == ("G", 60_000_000, 10_000_000, 50_000_000)
    assert br.rule.startswith("600,000.00 of S1 depends on guarantor G (2 customers via guaranteed)")
    assert (r.risk_sources_over_cap, r.top_risk_source_id, r.status) == (1, "G", "breach")


def test_a_risk_source_that_also_borrows_counts_its_own_loan(make_dataset):
    ds = _load(
        make_dataset,
        entities=SOURCE_ENTITIES,
        relations=SOURCE_RELATIONS,
        exposures=_exposures("F1,A,300000,,,S1,", "F4,G,70000,,,S1,"),
        policy="scheme_total_share = 0.001",
    )
    g = _row(draft_caps_tables(build_book(ds))["scheme_risk_sources"], source_id="G")
    assert (
        g.dependent_customers,
        g.scheme_borrowers,
        g.dependent_exposure_fen,
        g.own_exposure_fen,
        g.exposure_fen,
        g.status,
    ) == (1, 2, 300_000 * YUAN, 70_000 * YUAN, 370_000 * YUAN, "breach")


def test_borrower_and_scheme_total_breaches(make_dataset):
    ds = _load(
        make_dataset,
        exposures=_exposures("F1,A,6000000,,,S1,", "F2,B,4000000,,,S1,", "F3,D,1000000,,,S1,"),
        policy="scheme_total_share = 0.01",
    )
    caps, borrowers, breaches = draft_scheme_caps(build_book(ds))
    r = _row(caps, scheme_id="S1")
    assert r.cap_total_fen == 10_000_000 * YUAN and r.utilized_fen == 11_000_000 * YUAN
    assert r.headroom_fen == -1_000_000 * YUAN and r.borrowers_over_cap == 1 and r.status == "breach"
    assert breaches[["breach_type", "subject_id", "excess_fen"]].values.tolist() == [
        ["scheme_total", "S1", 1_000_000 * YUAN],
        ["borrower", "A", 1_000_000 * YUAN],
    ]
    assert list(breaches.columns) == BREACH_COLUMNS
    a = _row(borrowers, customer_id="A")
    assert a.status == "breach" and a.headroom_fen == -1_000_000 * YUAN


def test_utilisation_reconciles_and_members_outstanding(make_dataset):
    schemes = SCHEMES + "S2,C1,会员消费贷,consumer_loan\n"
    ds = _load(
        make_dataset,
        schemes=schemes,
        exposures=_exposures(
            "F1,A,100.01,,,S1,", "F2,A,200.02,,,S2,", "F3,B,300.03,,,S2,", "F4,G,400.04,,,,", "F5,D,0.01,,,,"
        ),
    )
    caps = draft_scheme_caps(build_book(ds))[0]
    assert caps["utilized_fen"].tolist() == [10001, 50005]
    assert int(caps["utilized_fen"].sum()) == 10001 + 20002 + 30003  # every facility with a scheme id
    assert set(caps["channel_members_outstanding_fen"]) == {10001 + 20002 + 30003 + 1}  # G is no member
    assert list(caps.columns) == CAPS_COLUMNS


def test_no_schemes_gives_empty_tables_with_their_columns(make_dataset):
    ds = _load(make_dataset, schemes=None, exposures=_exposures("F1,A,100,,,,"))
    caps, borrowers, breaches = draft_scheme_caps(build_book(ds))
    assert len(caps) == len(borrowers) == len(breaches) == 0
    assert list(caps.columns) == CAPS_COLUMNS and list(borrowers.columns) == BORROWER_COLUMNS
    res = run_caps(build_book(ds), ds.policy, {})
    assert "no channel schemes" in caps_report_markdown(res, ds.policy, "en")
    assert res.summary["schemes"] == 0


# ----------------------------------------------------------------------------- runner, order, sample


def test_runner_reuses_the_risk_result_and_is_registered():
    ds = load_dataset(SAMPLE)
    risk = run_risk(build_book(ds), ds.policy)
    a = run_caps(build_book(ds), ds.policy, {"risk": risk})
    b = run_caps(build_book(ds), ds.policy, {})
    for name, df in a.tables.items():
        assert df.equals(b.tables[name]), name
    assert set(a.tables) == {"caps", "scheme_borrower_caps", "scheme_risk_sources", "caps_breaches"}
    spec = next(x for x in registry() if x.name == "caps")
    assert (spec.order, spec.report, spec.title_zh) == (30, caps_section, "渠道方案限额")
    assert [x.name for x in registry()].index("caps") > [x.name for x in registry()].index("risk")


def test_sample_numbers():
    ds = load_dataset(SAMPLE)
    t = draft_caps_tables(build_book(ds))
    caps = t["caps"]
    exp = ds.exposures
    with_scheme = (exp["scheme_id"] != "").to_numpy()
    assert int(caps["utilized_outstanding_fen"].sum()) == int(exp.loc[with_scheme, "outstanding"].sum())
    measured = measure_exposure(build_book(ds))
    assert int(caps["utilized_fen"].sum()) == int(measured.exposure[with_scheme].sum())
    assert caps["scheme_id"].tolist() == ["S001", "S002", "S003", "S004", "S005"]
    # appetite 5% of tier-1, rounded down to the unit, when no quality factor applies (S004)
    tier1 = ds.policy.tier1_capital_fen
    appetite = tier1 * 5 // 100 // ds.policy.caps.rounding_fen * ds.policy.caps.rounding_fen
    assert (
        int(caps["cap_total_fen"].max())
        == appetite
        == int(caps.loc[caps["scheme_id"] == "S004", "cap_total_fen"].iloc[0])
    )
    unit = ds.policy.caps.rounding_fen
    for col in ("cap_total_fen", "cap_per_borrower_fen", "cap_single_risk_source_fen"):
        assert all(int(x) % unit == 0 for x in caps[col])
    # the broker's star store manager (DOMAIN.md's worked example) carries the whole mortgage scheme
    s4 = t["scheme_risk_sources"]
    top = s4[s4["scheme_id"] == "S004"].iloc[0]
    assert (top["source_type"], top["share_of_scheme"], top["status"]) == ("key_person", "1.000000", "breach")


def _shuffled_copy(src, dst, seed):
    rng = random.Random(seed)
    dst.mkdir()
    for f in src.iterdir():
        if f.suffix != ".csv":
            (dst / f.name).write_bytes(f.read_bytes())
            continue
        lines = f.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        head, body = lines[:1], lines[1:]
        rng.shuffle(body)
        (dst / f.name).write_text("".join(head + body), encoding="utf-8")
    return dst


def test_outputs_do_not_depend_on_row_order(tmp_path):
    outs = []
    for i, data in enumerate([SAMPLE, _shuffled_copy(SAMPLE, tmp_path / "shuffled", 7)]):
        ds = load_dataset(data)
        res = run_caps(build_book(ds), ds.policy, {})
        out = tmp_path / f"out{i}"
        write_results({"caps": res}, ds, out)
        write_caps_report(res, ds.policy, out, "en", "sample")
        outs.append(out)
    for name in ("caps", "scheme_borrower_caps", "scheme_risk_sources", "caps_breaches"):
        for ext in ("csv", "json"):
            assert (outs[0] / f"{name}.{ext}").read_bytes() == (outs[1] / f"{name}.{ext}").read_bytes(), name
    assert (outs[0] / "caps_report.md").read_bytes() == (outs[1] / "caps_report.md").read_bytes()


# ----------------------------------------------------------------------------- command and report


def test_caps_command_writes_tables_and_the_committee_report(tmp_path):
    hostile = SCHEMES.replace("会员贷", '"<script>alert(1)</script> | **x** [a](javascript:alert(1))"')
    data = write_dataset(
        tmp_path / "d",
        entities=ENTITIES,
        relations=MEMBERS,
        schemes=hostile,
        exposures=_exposures("F1,A,1234567.89,,,S1,", "F2,B,7000000,,,S1,"),
        policy=_policy(),
    )
    for lang in ("zh", "en"):
        out = tmp_path / f"out-{lang}"
        res = CliRunner().invoke(main, ["caps", str(data), "--lang", lang, "--out", str(out)])
        assert res.exit_code == 0, res.output
        with open(out / "caps.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert {
            "scheme_id",
            "channel_id",
            "cap_total",
            "cap_per_borrower",
            "cap_single_risk_source",
            "utilized",
            "headroom",
            "binding_rule",
            "total_rule",
            "per_borrower_rule",
            "single_source_rule",
            "channel_members_outstanding",
        } <= set(rows[0])
        assert rows[0]["cap_total"] == "50000000.00" and rows[0]["utilized"] == "8234567.89"
        assert rows[0]["headroom"] == "41765432.11"
        records = json.loads((out / "caps.json").read_text("utf-8"))
        assert records[0]["cap_per_borrower"] == "5000000.00"
        for name in ("scheme_borrower_caps", "scheme_risk_sources", "caps_breaches", "summary"):
            assert (out / f"{name}.json").exists()
        md = (out / "caps_report.md").read_text("utf-8")
        html = (out / "caps_report.html").read_text("utf-8")
        assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
        if lang == "zh":
            assert "# 渠道专属方案限额草案" in md and "5,000.00万元" in md  # 50,000,000 yuan
            assert "823.456789万元" in md  # exact to the fen
            assert "单一客户限额（一级资本净额 15%）" in md and "借款人超单户上限" in md
            assert '<html lang="zh-CN">' in html
        else:
            assert "# Draft exposure caps for channel schemes" in md and "50,000,000.00" in md
            assert "8,234,567.89" in md and "borrower above its cap" in md
            assert "| Scheme appetite (5% of tier-1) | 50,000,000.00 | `caps.scheme_total_share` |" in md
            assert "bound by the scheme policy" in md


def test_caps_section_for_the_run_report():
    ds = load_dataset(SAMPLE)
    res = run_caps(build_book(ds), ds.policy, {})
    zh = caps_section(res, ds.policy, "zh")
    en = caps_section(res, ds.policy, "en")
    assert zh.startswith("## 渠道方案限额") and "### S004" in zh and "万元" in zh
    assert en.startswith("## Scheme caps") and "### Policy values used" in en


def test_bad_data_is_refused_by_the_command(tmp_path):
    data = write_dataset(
        tmp_path / "bad",
        entities=ENTITIES,
        relations=MEMBERS,
        schemes=SCHEMES,
        exposures=_exposures("F1,A,12.345,,,S9,"),
    )
    res = CliRunner().invoke(main, ["caps", str(data), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert not (tmp_path / "o").exists()


def test_docstring_examples():
    import doctest

    import channelgraph.caps.draft as draft
    import channelgraph.caps.report as report

    for mod in (draft, report):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, mod.__name__
