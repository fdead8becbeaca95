from decimal import Decimal

import pytest

from channelgraph.model import (
    MAX_AMOUNT_FEN,
    AmountError,
    format_wan,
    format_yuan,
    format_yuan_human,
    fraction_of,
    parse_yuan,
    round_down,
    yuan_to_fen,
)
from channelgraph.policy import Policy, PolicyError


@pytest.mark.parametrize(
    "text,fen",
    [
        ("0", 0),
        ("1", 100),
        ("1.5", 150),
        ("1.05", 105),
        ("1,234,567.89", 123456789),
        (" 12 ", 1200),
        ("0.01", 1),
        (".5", 50),
        ("100.", 10000),
    ],
)
def test_parse_yuan_exact(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text,reason",
    [
        ("1.001", "more than 2 decimals"),
        ("-1", "negative"),
        ("abc", "not a number"),
        ("1e5", "not a number"),
        ("", "not a number"),
        ("1,23", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("100000000000000000", "absurdly large"),
        ("１２３", "not a number"),
        ("٣", "not a number"),
    ],
)
def test_parse_yuan_refuses(text, reason):
    with pytest.raises(AmountError, match=reason):
        parse_yuan(text)


def test_money_round_trip_and_formats():
    assert format_yuan(parse_yuan("1234.5")) == "1234.50"
    assert format_yuan(-5) == "-0.05"
    assert format_yuan_human(123456789) == "1,234,567.89"
    assert format_wan(123456789) == "123.46万元"
    assert yuan_to_fen(1.5e10) == 1_500_000_000_000
    assert yuan_to_fen("0.1") == 10
    assert fraction_of(1001, Decimal("0.5")) == 500  # floors
    assert round_down(123_456_789, 1_000_000) == 123_000_000
    assert parse_yuan("10000000000000") == MAX_AMOUNT_FEN


def test_float_sum_would_be_wrong_but_fen_is_exact():
    values = ["0.10"] * 3
    assert sum(parse_yuan(v) for v in values) == 30
    assert sum(float(v) for v in values) != 0.3  # why money is never float


def test_policy_defaults_and_overrides(tmp_path):
    p = Policy()
    assert p.limits.single_customer_share == Decimal("0.15")
    f = tmp_path / "policy.toml"
    f.write_text(
        'tier1_capital = "1200000000.00"\nnet_capital = 1500000000\n'
        '[limits]\ngroup_share = 0.25\n[caps]\nper_borrower = "3000000"\n',
        encoding="utf-8",
    )
    p = Policy.load(f)
    assert p.tier1_capital_fen == 120_000_000_000
    assert p.net_capital_fen == 150_000_000_000
    assert p.limits.group_share == Decimal("0.25")
    assert p.caps.per_borrower_fen == 300_000_000
    assert p.to_dict()["caps"]["per_borrower"] == "3000000.00"


@pytest.mark.parametrize(
    "text,msg",
    [
        ("tier1 = 5", "unknown key 'tier1'"),
        ('tier1_capital = "1.001"', "more than 2 decimals"),
        ('[limits]\ngroup_share = "x"', "group_share"),
        ("[limits]\nbogus = 1", "bogus: unknown key"),
        ("[connection]\nfamily_joins = 1", "expected true or false"),
        ("tier1_capital = ", "not valid TOML"),
    ],
)
def test_policy_refuses(tmp_path, text, msg):
    f = tmp_path / "policy.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=msg):
        Policy.load(f)
