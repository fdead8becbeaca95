"""Exposure as the regulator measures it: on-balance + CCF × off-balance − cash margin.

Hand-computed cases for every exposure type, the commitment factors (maturity, cancellable),
the margin deduction, undrawn from the limit; the input contract of the new columns; and
Hypothesis properties: every facility reconciles to the fen, and a dataset without the new
columns has exposure = outstanding for every facility and customer.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelgraph.graph import build_book, measure_exposure
from channelgraph.io import DatasetError, dataset_from_frames
from channelgraph.model import ExposureType
from channelgraph.policy import DEFAULT_CCF, Policy, PolicyError

ENT = pd.DataFrame(
    {
        "id": ["E1", "E2", "P1"],
        "kind": ["enterprise", "enterprise", "person"],
        "name": ["甲公司", "乙公司", "张三"],
        "is_customer": ["true", "true", "true"],
    }
)
NO_REL = pd.DataFrame({"src": [], "dst": [], "type": []})


def measure(rows: list[dict], policy: Policy | None = None, ent: pd.DataFrame = ENT):
    exp = pd.DataFrame(rows).fillna("")
    if "customer_id" not in exp:
        exp["customer_id"] = "E1"
    exp["facility_id"] = [f"F{i}" for i in range(len(exp))]
    book = build_book(dataset_from_frames(ent, NO_REL, exp, policy=policy))
    return book, measure_exposure(book)


@pytest.mark.parametrize(
    ("etype", "ccf"),
    [
        ("bank_acceptance", "1"),
        ("financial_guarantee", "1"),
        ("performance_guarantee", "0.5"),
        ("trade_lc", "0.2"),
        ("other_off_balance", "1"),
    ],
)
def test_each_off_balance_type_takes_its_ccf(etype, ccf):
    # 1,234.57 yuan nominal: 123,457 fen × factor, rounded half up to the fen
    _, m = measure([{"outstanding": "1234.57", "exposure_type": etype}])
    expected = int((Decimal(123457) * Decimal(ccf)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert m.on_balance.tolist() == [0]
    assert m.off_balance.tolist() == [123457]
    assert m.ccf.tolist() == [ccf] and m.ccf_key.tolist() == [etype]
    assert m.exposure.tolist() == [expected]
    assert m.loans.tolist()[0] == 0  # E1 has no loan: the loan limit tests nothing


def test_loan_is_on_balance_and_counts_as_loans():
    _, m = measure([{"outstanding": "100.00"}, {"outstanding": "50.00", "exposure_type": "loan"}])
    assert m.exposure.tolist() == [10000, 5000]
    assert m.ccf.tolist() == ["", ""]
    assert int(m.loans[0]) == 15000 and int(m.of_entity[0]) == 15000


def test_half_fen_rounds_up():
    # 0.01 yuan × 0.5 = half a fen → 1 fen; 0.03 × 0.2 = 0.6 fen → 1 fen; 0.02 × 0.2 = 0.4 → 0
    _, m = measure(
        [
            {"outstanding": "0.01", "exposure_type": "performance_guarantee"},
            {"outstanding": "0.03", "exposure_type": "trade_lc"},
            {"outstanding": "0.02", "exposure_type": "trade_lc"},
        ]
    )
    assert m.exposure.tolist() == [1, 1, 0]


@pytest.mark.parametrize(
    ("days", "cancellable", "key", "fen"),
    [
        ("365", "", "commitment_up_to_one_year", 20000),
        ("366", "", "commitment_over_one_year", 50000),
        ("", "", "commitment_over_one_year", 50000),  # unknown maturity: the longer factor
        ("90", "true", "commitment_cancellable", 10000),
        ("", "是", "commitment_cancellable", 10000),
    ],
)
def test_undrawn_commitment_factor_by_maturity_and_cancellability(days, cancellable, key, fen):
    # a commitment facility of 1,000 yuan, and the same 1,000 yuan as the undrawn part of a loan
    _, m = measure(
        [
            {
                "outstanding": "1000",
                "exposure_type": "undrawn_commitment",
                "original_maturity_days": days,
                "cancellable": cancellable,
            },
            {"outstanding": "300", "undrawn": "1000", "original_maturity_days": days, "cancellable": cancellable},
        ]
    )
    assert m.ccf_key.tolist() == [key, ""]
    assert m.undrawn_ccf_key.tolist() == ["", key]
    assert m.exposure.tolist() == [fen, 30000 + fen]
    assert int(m.loans[0]) == 30000


def test_margin_is_deducted_after_conversion_and_never_below_zero():
    _, m = measure(
        [
            {"outstanding": "1000", "exposure_type": "bank_acceptance", "margin": "400"},
            # 1,000 × 50% = 500 converted; a 800-yuan margin is recognised up to 500
            {"outstanding": "1000", "exposure_type": "performance_guarantee", "margin": "800"},
            {"outstanding": "200", "margin": "50"},  # cash collateral on a loan
        ]
    )
    assert m.converted.tolist() == [100000, 50000, 0]
    assert m.mitigation.tolist() == [40000, 50000, 5000]
    assert m.exposure.tolist() == [60000, 0, 15000]
    # the loan limit reads the loan's outstanding, not its exposure net of margin
    assert int(m.loans[0]) == 20000


def test_undrawn_from_limit_only_when_the_policy_says_so():
    rows = [{"outstanding": "300", "limit": "1000"}, {"outstanding": "300", "limit": "1000", "undrawn": "100"}]
    _, m = measure(rows)
    assert m.undrawn.tolist() == [0, 10000] and m.exposure.tolist() == [30000, 30000 + 5000]
    _, m = measure(rows, Policy.from_mapping({"exposure": {"undrawn_from_limit": True}}))
    assert m.undrawn.tolist() == [70000, 10000]  # the given undrawn wins over the limit
    assert m.undrawn_from_limit.tolist() == [True, False]
    assert m.exposure.tolist() == [30000 + 35000, 30000 + 5000]


def test_policy_ccf_overrides_and_is_checked():
    p = Policy.from_mapping({"exposure": {"ccf": {"commitment_cancellable": 0, "trade_lc": "0.25"}}})
    _, m = measure(
        [
            {"outstanding": "100", "exposure_type": "trade_lc"},
            {"outstanding": "100", "exposure_type": "undrawn_commitment", "cancellable": "yes"},
        ],
        p,
    )
    assert m.exposure.tolist() == [2500, 0]
    assert m.ccf.tolist() == ["0.25", "0"]
    with pytest.raises(PolicyError, match=r"\[exposure\] ccf.trade_lc = 1.5: must be from 0 to 1"):
        Policy.from_text("[exposure.ccf]\ntrade_lc = 1.5\n")
    with pytest.raises(PolicyError, match="unknown credit conversion factor 'loan'"):
        Policy.from_text("[exposure.ccf]\nloan = 1\n")
    assert set(DEFAULT_CCF) == {t.value for t in ExposureType} - {"loan", "undrawn_commitment"} | {
        "commitment_up_to_one_year",
        "commitment_over_one_year",
        "commitment_cancellable",
    }


def test_new_columns_are_validated_with_file_line_column_value():
    ent = ENT.assign(is_interbank=["yes", "maybe", "true"], exempt=["sovereign", "", "central_bank"])
    rel = pd.DataFrame(
        {
            "src": ["E1", "E1"],
            "dst": ["E2", "E2"],
            "type": ["SUPPLIES", "GUARANTEES"],
            "amount": ["", "10"],
            "buyer_share": ["0.6", "0.7"],
        }
    )
    exp = pd.DataFrame(
        {
            "facility_id": ["F1", "F2", "F3", "F4"],
            "customer_id": ["E1"] * 4,
            "outstanding": ["100", "100", "100", "100"],
            "exposure_type": ["acceptance", "loan", "", "trade_lc"],
            "undrawn": ["", "1e3", "", ""],
            "margin": ["", "", "150", "50"],
            "original_maturity_days": ["", "0", "1.5", "365"],
            "cancellable": ["", "", "perhaps", "no"],
        }
    )
    with pytest.raises(DatasetError) as err:
        dataset_from_frames(ent, rel, exp)
    got = {(p.file, p.line, p.column, p.value) for p in err.value.problems}
    reasons = "\n".join(str(p) for p in err.value.problems)
    assert ("entities.csv", 3, "is_interbank", "maybe") in got
    assert ("entities.csv", 4, "is_interbank", "true") in got  # a person is not a bank
    assert ("entities.csv", 4, "exempt", "central_bank") in got
    assert ("relations.csv", 3, "buyer_share", "0.7") in got  # only SUPPLIES has a buyer share
    assert ("exposures.csv", 2, "exposure_type", "acceptance") in got
    assert ("exposures.csv", 3, "undrawn", "1e3") in got
    assert ("exposures.csv", 3, "original_maturity_days", "0") in got
    assert ("exposures.csv", 4, "original_maturity_days", "1.5") in got
    assert ("exposures.csv", 4, "cancellable", "perhaps") in got
    assert ("exposures.csv", 4, "margin", "150") in got  # above the 100-yuan facility
    assert ("exposures.csv", 5, "margin", "50") not in got
    assert "unknown exposure type (expected one of loan, bank_acceptance" in reasons
    assert len(got) == 10


def test_net_capital_follows_tier1_and_never_below_it():
    p = Policy.from_mapping({"tier1_capital": "1000"})
    assert p.net_capital_fen == p.tier1_capital_fen == 100000 and p.net_capital_from_tier1
    assert not Policy().net_capital_from_tier1
    with pytest.raises(PolicyError, match=r"net_capital = 900.00: must be at least tier1_capital \(1000.00 yuan\)"):
        Policy.from_mapping({"tier1_capital": "1000", "net_capital": "900"})
    with pytest.raises(PolicyError, match="give tier1_capital too"):
        Policy.from_mapping({"net_capital": "1000"})


# ----------------------------------------------------------------------------- properties

_AMOUNT = st.integers(min_value=0, max_value=10**12)
_FACILITY = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(["E1", "E2", "P1"]),
        "outstanding": _AMOUNT,
        "type": st.sampled_from([t.value for t in ExposureType] + [""]),
        "undrawn": st.one_of(st.none(), _AMOUNT),
        "margin_share": st.one_of(st.none(), st.fractions(min_value=0, max_value=1)),
        "days": st.one_of(st.none(), st.integers(min_value=1, max_value=3650)),
        "cancellable": st.booleans(),
    }
)
_CCF = st.fixed_dictionaries({k: st.decimals(min_value=0, max_value=1, places=3) for k in DEFAULT_CCF})


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facilities=st.lists(_FACILITY, min_size=1, max_size=12), ccf=_CCF)
def test_every_exposure_reconciles_to_the_fen(facilities, ccf):
    rows = []
    for f in facilities:
        whole = f["outstanding"] + (f["undrawn"] or 0)
        margin = None if f["margin_share"] is None else int(whole * f["margin_share"])
        rows.append(
            {
                "customer_id": f["customer"],
                "outstanding": _yuan(f["outstanding"]),
                "exposure_type": f["type"],
                "undrawn": "" if f["undrawn"] is None else _yuan(f["undrawn"]),
                "margin": "" if margin is None else _yuan(margin),
                "original_maturity_days": "" if f["days"] is None else str(f["days"]),
                "cancellable": "true" if f["cancellable"] else "",
            }
        )
    policy = Policy.from_mapping({"exposure": {"ccf": {k: str(v) for k, v in ccf.items()}}})
    book, m = measure(rows, policy)
    by_customer = {"E1": 0, "E2": 0, "P1": 0}
    loans = dict(by_customer)
    for i, (f, row) in enumerate(zip(facilities, rows)):
        t = f["type"] or "loan"
        commit = (
            "commitment_cancellable"
            if f["cancellable"]
            else "commitment_up_to_one_year"
            if f["days"] is not None and f["days"] <= 365
            else "commitment_over_one_year"
        )
        on = f["outstanding"] if t == "loan" else 0
        off = 0 if t == "loan" else f["outstanding"]
        off_ccf = Decimal(0) if t == "loan" else ccf[commit if t == "undrawn_commitment" else t]
        half_up = lambda x: int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        converted = half_up(off * off_ccf) + half_up((f["undrawn"] or 0) * ccf[commit])
        margin = int(Decimal(row["margin"] or "0") * 100)
        exposure = max(0, on + converted - margin)
        assert int(m.exposure[i]) == exposure, (i, f)
        assert int(m.on_balance[i] + m.converted[i] - m.mitigation[i]) == exposure
        by_customer[f["customer"]] += exposure
        loans[f["customer"]] += on
    at = book.positions(list(by_customer))
    assert m.of_entity[at].tolist() == list(by_customer.values())
    assert m.loans[at].tolist() == list(loans.values())
    assert m.total == sum(by_customer.values())


@settings(max_examples=40, deadline=None)
@given(
    amounts=st.lists(
        st.tuples(st.sampled_from(["E1", "E2", "P1"]), _AMOUNT, st.one_of(st.none(), _AMOUNT)), min_size=1, max_size=10
    )
)
def test_without_the_new_columns_exposure_is_outstanding(amounts):
    rows = [
        {"customer_id": c, "outstanding": _yuan(o), "limit": "" if lim is None else _yuan(lim)} for c, o, lim in amounts
    ]
    book, m = measure(rows)
    assert np.array_equal(m.exposure, book.fac_outstanding)
    assert np.array_equal(m.of_entity, book.outstanding)
    assert np.array_equal(m.loans, book.outstanding)
    assert m.total == book.total_outstanding


@pytest.mark.parametrize("factor", ["0.1234567890123", "0.999999999999", "0.333"])
def test_conversion_is_exact_for_the_largest_amounts_and_long_factors(factor):
    # 10,000,000,000,000 yuan (the largest amount accepted) × a factor with many decimals
    # needs more than 64 bits on the way: the result is still exact, half up
    p = Policy.from_mapping({"exposure": {"ccf": {"trade_lc": factor}}})
    _, m = measure(
        [
            {"outstanding": "10000000000000", "exposure_type": "trade_lc"},
            {"outstanding": "0.03", "exposure_type": "trade_lc"},
        ],
        p,
    )
    want = [int((Decimal(f) * Decimal(factor)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for f in (10**15, 3)]
    assert m.exposure.tolist() == want
