"""The measured exposure where a person reads it: the facility table, concentration, single risk
sources, contagion, the report and the views.

One hand-computed book (yuan):

====  ========  ===========================  ==========  ======  ========
id    industry  facilities                   outstanding  margin  exposure
====  ========  ===========================  ==========  ======  ========
A     纺织      FA1 loan 300, FA2 acceptance 1,000      1,300     400     300 + 1,000 × 1 − 400 = 900
B     印染      FB1 loan 200, FB2 perf. guarantee 100   300        —      200 + 100 × 0.5 = 250
G     —         FG1 loan 100                            100        —      100
====  ========  ===========================  ==========  ======  ========

Totals: outstanding 1,700, loans 600, exposure 1,250. A and B trade in market M1; G (net assets
1,000) guarantees A for 500.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelgraph.graph import build_book, measure_exposure
from channelgraph.io import dataset_from_frames
from channelgraph.policy import Policy
from channelgraph.report.build import exposure_rules_markdown, summary_markdown
from channelgraph.risk import (
    concentration,
    debt_rank,
    facility_exposures,
    run_risk,
    single_risk_sources,
    stress_cascade,
)
from channelgraph.risk.exposures import FACILITY_COLUMNS
from channelgraph.viz.views import ego_view

ENT = pd.DataFrame(
    {
        "id": ["A", "B", "G", "M1"],
        "kind": ["enterprise", "enterprise", "enterprise", "market"],
        "name": ["甲纺织", "乙印染", "丙担保", "轻纺城"],
        "is_customer": ["true", "true", "true", "false"],
        "industry": ["纺织", "印染", "", ""],
        "net_assets": ["", "", "1000", ""],
    }
)
REL = pd.DataFrame(
    {
        "src": ["A", "B", "G"],
        "dst": ["M1", "M1", "A"],
        "type": ["TRADES_IN", "TRADES_IN", "GUARANTEES"],
        "amount": ["", "", "500"],
    }
)
EXP = pd.DataFrame(
    {
        "facility_id": ["FA1", "FA2", "FB1", "FB2", "FG1"],
        "customer_id": ["A", "A", "B", "B", "G"],
        "outstanding": ["300", "1000", "200", "100", "100"],
        "exposure_type": ["loan", "bank_acceptance", "loan", "performance_guarantee", ""],
        "margin": ["", "400", "", "", ""],
    }
)


def book_of(ent=ENT, rel=REL, exp=EXP):
    return build_book(dataset_from_frames(ent, rel, exp))


def ratio(p, q) -> str:
    """p / q as the tables write it (6 decimals, half up)."""
    return str((Decimal(p) / Decimal(q)).quantize(Decimal("0.000001")))


# ----------------------------------------------------------------------------- facility table


def test_facility_table_shows_the_arithmetic_of_an_acceptance_with_margin():
    t = facility_exposures(book_of()).set_index("facility_id")
    assert list(t.reset_index().columns) == FACILITY_COLUMNS
    fa2 = t.loc["FA2"]
    # 1,000 yuan acceptance at CCF 1, 400 yuan margin: 600 yuan
    assert fa2["exposure_type"] == "bank_acceptance" and fa2["ccf"] == "1"
    assert (fa2["outstanding_fen"], fa2["on_balance_fen"], fa2["off_balance_fen"]) == (100000, 0, 100000)
    assert (fa2["converted_fen"], fa2["margin_fen"], fa2["mitigation_fen"], fa2["exposure_fen"]) == (
        100000,
        40000,
        40000,
        60000,
    )
    fb2 = t.loc["FB2"]  # 100 yuan performance guarantee at 50%
    assert (fb2["ccf"], fb2["converted_fen"], fb2["exposure_fen"]) == ("0.5", 5000, 5000)
    fg1 = t.loc["FG1"]  # blank type = loan: on balance, no factor
    assert (fg1["exposure_type"], fg1["on_balance_fen"], fg1["ccf"], fg1["exposure_fen"]) == ("loan", 10000, "", 10000)


def test_facility_table_reconciles_to_measure_exposure_and_per_customer():
    book = book_of()
    m = measure_exposure(book)
    t = facility_exposures(book)
    on, conv, mit = t["on_balance_fen"], t["converted_fen"], t["mitigation_fen"]
    assert (t["exposure_fen"] == on + conv - mit).all()
    assert int(t["exposure_fen"].sum()) == m.total == 125000
    per = t.groupby("customer_id")["exposure_fen"].sum()
    for cid, fen in per.items():
        assert fen == m.of_entity[book.positions([cid])[0]]
    assert per.to_dict() == {"A": 90000, "B": 25000, "G": 10000}


def test_facility_table_does_not_depend_on_row_order():
    a = facility_exposures(book_of())
    b = facility_exposures(book_of(exp=EXP.iloc[::-1].reset_index(drop=True)))
    assert a.equals(b) and a["facility_id"].tolist() == ["FA1", "FA2", "FB1", "FB2", "FG1"]


def test_facility_table_reconciles_to_the_members_rows(tmp_path):
    # the risk run: one measure for the facility table and the members' rows
    res = run_risk(book_of())
    t = res.facility_exposures
    m = res.members[res.members["is_customer"]].set_index("entity_id")
    out = t.groupby("customer_id")["outstanding_fen"].sum()
    exp = t.groupby("customer_id")["exposure_fen"].sum()
    for cid in m.index:
        assert m.loc[cid, "outstanding_fen"] == out[cid]
        if "exposure_fen" in m.columns:  # the members' measured exposure (appended by the groups rules)
            assert m.loc[cid, "exposure_fen"] == exp[cid]


# ----------------------------------------------------------------------------- concentration


def test_concentration_is_on_exposure_with_outstanding_beside_it():
    c = concentration(book_of())
    ind = c[c["dimension"] == "industry"].set_index("bucket")
    # exposure 900 / 250 / 100 of 1,250 yuan; outstanding 1,300 / 300 / 100
    assert ind["exposure_fen"].to_dict() == {"*": 125000, "纺织": 90000, "印染": 25000, "(none)": 10000}
    assert ind["outstanding_fen"].to_dict() == {"*": 170000, "纺织": 130000, "印染": 30000, "(none)": 10000}
    assert ind.loc["纺织", "share_of_total"] == "0.720000"
    assert ind.loc["印染", "share_of_total"] == "0.200000"
    # HHI = 0.72² + 0.2² + 0.08² = 0.5648 (on outstanding it would be 0.6540: 13² + 3² + 1² over 17²)
    assert ind.loc["*", "hhi"] == "0.564800"
    cust = c[c["dimension"] == "customer"].iloc[0]
    assert cust["hhi"] == "0.564800" and cust["top_ids"] == ["A", "B", "G"]
    for dim in ("channel", "industry", "region"):
        part = c[(c["dimension"] == dim) & (c["bucket"] != "*")]
        assert int(part["exposure_fen"].sum()) == 125000 and int(part["outstanding_fen"].sum()) == 170000


# ----------------------------------------------------------------------------- single risk sources


def test_risk_sources_rank_and_share_on_exposure():
    s = single_risk_sources(book_of()).set_index("source_id")
    assert s.index.tolist() == ["M1", "G"]
    # the market: A and B, 900 + 250 = 1,150 of 1,250 yuan exposure (outstanding 1,600)
    assert s.loc["M1", "dependent_exposure_fen"] == 115000
    assert s.loc["M1", "share_of_total"] == ratio(1150, 1250) == "0.920000"
    assert s.loc["M1", "dependent_outstanding_fen"] == 160000
    # the guarantor: A's 900 yuan; its own exposure and outstanding are its 100-yuan loan
    assert s.loc["G", "guaranteed_exposure_fen"] == 90000 and s.loc["G", "share_of_total"] == "0.720000"
    assert (s.loc["G", "own_exposure_fen"], s.loc["G", "own_outstanding_fen"]) == (10000, 10000)
    assert s.loc["G", "dependent_outstanding_fen"] == 130000


# ----------------------------------------------------------------------------- contagion


def test_debt_rank_values_the_book_by_exposure():
    d = debt_rank(book_of()).set_index("entity_id")
    # A's distress hits G with W = min(1, min(500, 1,300) / 1,000) = 0.5; v_G = 100 / 1,250 = 0.08
    # → R_A = 0.5 × 0.08 = 0.04 (on outstanding it would be 0.5 × 100 / 1,700 = 0.029412)
    assert d.loc["A", "debt_rank"] == "0.040000"
    assert d.loc["A", "impact_exposure_fen"] == 5000  # 0.04 × 125,000 fen
    assert (d.loc["A", "own_exposure_fen"], d.loc["A", "own_outstanding_fen"]) == (90000, 130000)
    assert d.loc["G", "debt_rank"] == "0.000000"


def test_stress_hit_is_exposure_and_the_call_is_on_the_debt_owed():
    rounds, calls = stress_cascade(book_of(), None, ["A"])
    r0 = rounds.iloc[0]
    assert (r0["exposure_hit_fen"], r0["outstanding_hit_fen"]) == (90000, 130000)
    # the guarantee answers for the debt as owed: min(500, 1,300) yuan, not the measured 900
    assert calls["called_fen"].tolist() == [50000]
    assert rounds["cumulative_share_of_tier1"].iloc[0] == ratio(90000, Policy().tier1_capital_fen)


def test_without_new_columns_exposure_columns_equal_outstanding_ones():
    plain = EXP[["facility_id", "customer_id", "outstanding"]]
    book = book_of(exp=plain)
    c = concentration(book)
    assert (c["exposure_fen"] == c["outstanding_fen"]).all()
    s = single_risk_sources(book)
    assert (s["dependent_exposure_fen"] == s["dependent_outstanding_fen"]).all()
    assert (s["own_exposure_fen"] == s["own_outstanding_fen"]).all()
    d = debt_rank(book)
    assert (d["own_exposure_fen"] == d["own_outstanding_fen"]).all()
    t = facility_exposures(book)
    assert (t["exposure_fen"] == t["outstanding_fen"]).all()


# ----------------------------------------------------------------------------- report and views


def _report(lang, ent=ENT, exp=EXP):
    ds = dataset_from_frames(ent, REL, exp)
    return summary_markdown(ds, lang, facility_exposures(build_book(ds)))


def test_report_shows_outstanding_loans_and_exposure_side_by_side_zh():
    text = _report("zh")
    assert "| 授信余额合计（表内贷款余额与表外项目名义金额，元） | 1,700.00 |" in text
    assert "| 其中：贷款余额（表内，元） | 600.00 |" in text
    assert "| 其中：表外项目名义金额（元） | 1,100.00 |" in text
    assert "| 未使用的承诺额度（元） | 0.00 |" in text and "| 风险暴露合计（元） | 1,250.00 |" in text
    assert "| 已扣除的保证金（元） | 400.00 |" in text
    assert "信用转换系数" in text and "保证金" in text and "银行承兑汇票 100%" in text
    assert "非融资性保函 50%" in text and "可无条件撤销的贷款承诺 10%" in text
    assert "资本净额 10% 的贷款限额只测贷款余额" in text


def test_report_shows_outstanding_loans_and_exposure_side_by_side_en():
    text = _report("en")
    assert "| Total exposure (yuan) | 1,250.00 |" in text
    assert "| of which loans (on-balance; yuan) | 600.00 |" in text
    assert "credit conversion factor (CCF)" in text and "bank acceptance 100%" in text
    assert "loan limit tests loans only" in text


def test_report_names_interbank_and_exempt_customers():
    ent = pd.concat(
        [
            ENT,
            pd.DataFrame(
                {
                    "id": ["I1", "S1"],
                    "kind": ["enterprise", "enterprise"],
                    "name": ["丁银行", "某财政局"],
                    "is_customer": ["true", "true"],
                    "is_interbank": ["true", ""],
                    "exempt": ["", "sovereign"],
                }
            ),
        ],
        ignore_index=True,
    ).fillna("")
    exp = pd.concat(
        [EXP, pd.DataFrame({"facility_id": ["FI1", "FS1"], "customer_id": ["I1", "S1"], "outstanding": ["50", "70"]})],
        ignore_index=True,
    ).fillna("")
    zh = _report("zh", ent, exp)
    assert "- 同业客户：丁银行（I1，50.00）" in zh
    assert "- 豁免客户（风险暴露仅报告，不纳入限额测试）：某财政局（S1，中央政府，70.00）" in zh
    en = _report("en", ent, exp)
    assert "- Interbank customers: 丁银行 (I1, 50.00)" in en
    assert "某财政局 (S1, sovereign, 70.00)" in en
    # without such customers the report says so
    assert "- 同业客户：无" in _report("zh")


def test_report_rules_follow_the_policy():
    pol = Policy()
    ccf = dict(pol.exposure.ccf)
    ccf["trade_lc"] = Decimal("0.25")
    from dataclasses import replace

    text = exposure_rules_markdown(replace(pol, exposure=replace(pol.exposure, ccf=ccf)), "zh")
    assert "跟单信用证 25%" in text


@pytest.mark.parametrize(("lang", "label"), [("zh", "风险暴露（元）"), ("en", "exposure (yuan)")])
def test_view_node_details_show_exposure_next_to_outstanding(lang, label):
    view = ego_view(book_of(), "A", 1, None, lang=lang)
    rows = next(v for v in view.nodes if v.id == "A").rows
    keys = [k for k, _ in rows]
    out_key = "授信余额（元）" if lang == "zh" else "outstanding (yuan)"
    assert keys.index(label) == keys.index(out_key) + 1
    assert dict(rows)[label] == "900.00" and dict(rows)[out_key] == "1,300.00"
    assert not any(k in ("is_interbank", "exempt") for k in keys)


def test_view_node_details_say_interbank_and_exempt():
    ent = ENT.assign(is_interbank=["true", "", "", ""], exempt=["", "policy_bank", "", ""])
    view = ego_view(book_of(ent=ent), "A", 2, None, lang="zh")
    rows = {v.id: dict(v.rows) for v in view.nodes}
    assert rows["A"]["同业客户"] == "是" and "豁免" not in rows["A"]
    assert rows["B"]["豁免"] == "政策性银行" and "同业客户" not in rows["B"]
    assert np.all([k != "is_interbank" for r in rows.values() for k in r])


# ----------------------------------------------------------------------------- property

TYPES = ["", "loan", "bank_acceptance", "financial_guarantee", "performance_guarantee", "trade_lc"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "G"]),
            st.integers(min_value=0, max_value=10**9),  # outstanding, fen
            st.sampled_from(TYPES),
            st.integers(min_value=0, max_value=100),  # margin, % of outstanding
        ),
        min_size=1,
        max_size=12,
    )
)
def test_rooms_reconcile_to_the_measure_for_any_book(facs):
    exp = pd.DataFrame(
        {
            "facility_id": [f"F{i:02d}" for i in range(len(facs))],
            "customer_id": [c for c, _, _, _ in facs],
            "outstanding": [f"{o / 100:.2f}" for _, o, _, _ in facs],
            "exposure_type": [t for _, _, t, _ in facs],
            "margin": [f"{o * m // 100 / 100:.2f}" for _, o, _, m in facs],
        }
    )
    book = book_of(exp=exp)
    m = measure_exposure(book)
    c = concentration(book, exposure=m)
    for dim in ("channel", "industry", "region"):
        part = c[(c["dimension"] == dim) & (c["bucket"] != "*")]
        assert int(part["exposure_fen"].sum()) == m.total
        assert int(part["outstanding_fen"].sum()) == book.total_outstanding
    t = facility_exposures(book, exposure=m)
    assert (t["exposure_fen"] == t["on_balance_fen"] + t["converted_fen"] - t["mitigation_fen"]).all()
    assert (t["exposure_fen"] >= 0).all() and int(t["exposure_fen"].sum()) == m.total
    s = single_risk_sources(book, exposure=m).set_index("source_id")
    deps = [p for p in ("A", "B") if p in set(exp["customer_id"])]
    assert s.loc["M1", "dependent_exposure_fen"] == sum(int(m.of_entity[book.positions([p])[0]]) for p in deps)
