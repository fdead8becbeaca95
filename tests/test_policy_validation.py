"""policy.toml validated completely: every key's type and range, rules between keys, and
every problem named by key path and line (issue 18, part c)."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelgraph.io import DatasetError, load_dataset
from channelgraph.policy import RULES, SECTIONS, Policy, PolicyError, _key_lines

README = Path(__file__).resolve().parents[1] / "README.md"


def refused(text: str) -> list:
    """The problems of a policy text (it must be refused)."""
    with pytest.raises(PolicyError) as info:
        Policy.from_text(text, source="policy.toml")
    return info.value.problems


def one(text: str):
    problems = refused(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# ----------------------------------------------------------------------------- completeness


def test_every_field_of_every_section_has_a_rule():
    for name, klass in SECTIONS.items():
        want = {f.name.removesuffix("_fen") for f in dataclasses.fields(klass)}
        assert set(RULES[name]) == want, name
    top = {f.name[:-4] for f in dataclasses.fields(Policy) if f.name.endswith("_fen")}
    assert set(RULES[""]) == top


def test_the_defaults_pass_every_rule():
    d = Policy().to_dict()
    d.pop("source")
    assert d.pop("net_capital_from_tier1") is False  # derived, not a key
    assert Policy.from_mapping(d) == Policy(source="mapping")


def test_the_readme_example_is_valid_and_gives_the_defaults():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Policy (`policy.toml`)") :]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)
    assert Policy.from_text(block, source="README") == Policy(source="README")


# ----------------------------------------------------------------------------- refused values

# (toml text, line, text the reason contains) — every rule, each at its line
REFUSED = [
    # capital and amounts
    ('tier1_capital = "0"', 1, 'tier1_capital = "0": must be an amount above 0 yuan'),
    ("tier1_capital = 0", 1, "tier1_capital = 0: must be an amount above 0"),
    ('tier1_capital = "-5"', 1, "negative amount"),
    ("tier1_capital = true", 1, "tier1_capital = true: expected an amount of yuan"),
    ("net_capital = false", 1, "net_capital = false: expected an amount"),
    ('tier1_capital = "1.001"', 1, "more than 2 decimals"),
    ("tier1_capital = 1200000000.005", 1, "more than 2 decimals"),
    ("tier1_capital = nan", 1, "tier1_capital = nan: must be a finite amount"),
    ("tier1_capital = inf", 1, "tier1_capital = inf: must be a finite amount"),
    ("tier1_capital = 12345678901234.56", 1, "too many digits to be read exactly"),
    ("tier1_capital = [1000]", 1, 'tier1_capital: expected an amount of yuan such as "1000000.00", got an array'),
    ("tier1_capital = { yuan = 1 }", 1, "got a table"),
    ("tier1_capital = 2020-01-01", 1, "got a date/time (2020-01-01)"),
    ('net_capital = "1e9"', 1, "not a number of yuan"),
    ('tier1_capital = "１０００"', 1, "not a number of yuan"),
    ('net_capital = "99999999999999999"', 1, "absurdly large"),
    ('[caps]\nper_borrower = "0"', 2, '[caps] per_borrower = "0": must be an amount above 0'),
    ("[caps]\nper_borrower = -1", 2, "negative amount"),
    ("[caps]\nrounding = 0", 2, "[caps] rounding = 0: must be an amount above 0"),
    ('[caps]\nrounding = "0.001"', 2, "more than 2 decimals"),
    # limits: shares in (0, 1]
    ("[limits]\ngroup_share = 0", 2, "[limits] group_share = 0: must be above 0 and at most 1"),
    ("[limits]\ngroup_share = -0.2", 2, "must be above 0 and at most 1"),
    ("[limits]\nsingle_customer_share = 1.5", 2, "if you meant 1.5%, write 0.015"),
    ("[limits]\nsingle_customer_share = 15", 2, "if you meant 15%, write 0.15"),
    ("[limits]\nlarge_exposure_share = 1.0001", 2, "at most 1"),
    ("[limits]\nsingle_borrower_net_capital_share = 0.0", 2, "above 0"),
    ('[limits]\ngroup_share = "20%"', 2, "not a percentage: 20% is 0.2"),
    ('[limits]\ngroup_share = "x"', 2, '[limits] group_share = "x": expected a number such as 0.05'),
    ('[limits]\ngroup_share = "1e-1"', 2, "expected a number"),
    ("[limits]\ngroup_share = true", 2, "group_share = true: expected a number"),
    ("[limits]\ngroup_share = nan", 2, "group_share = nan: must be a finite number"),
    ("[limits]\ngroup_share = -inf", 2, "group_share = -inf: must be a finite number"),
    ("[limits]\ngroup_share = [0.2]", 2, "got an array"),
    ("[limits]\ngroup_share = { a = 1 }", 2, "got a table"),
    ("[caps]\nscheme_total_share = 0", 2, "[caps] scheme_total_share = 0: must be above 0"),
    ("[caps]\nscheme_total_share = 5", 2, "write 0.05"),
    ("[caps]\nsingle_source_share = 0", 2, "single_source_share = 0: must be above 0"),
    # thresholds in [0, 1]
    ("[connection]\ncontrol_share_above = 1.2", 2, "must be from 0 to 1"),
    ("[connection]\ncontrol_share_above = -0.1", 2, "must be from 0 to 1"),
    ("[connection]\nguarantee_net_assets_share = 50", 2, "write 0.5"),
    ("[connection]\nsupply_share = -1", 2, "from 0 to 1"),
    ("[caps]\nhhi_above = 1.8", 2, "hhi_above = 1.8: must be from 0 to 1"),
    ("[caps]\npenetration_below = -0.2", 2, "from 0 to 1"),
    ("[caps]\nnon_normal_share_above = 5", 2, "from 0 to 1"),
    ("[caps]\nnon_normal_share_high = 1.1", 2, "from 0 to 1"),
    # factors in (0, 1]
    ("[caps]\nnon_normal_factor = 0", 2, "non_normal_factor = 0: must be above 0 and at most 1 (a factor"),
    ("[caps]\nnon_normal_factor_high = 1.5", 2, "a factor multiplies the caps"),
    ("[caps]\nconcentration_factor = -0.8", 2, "above 0 and at most 1"),
    ("[caps]\npenetration_factor = 2", 2, "above 0 and at most 1"),
    # flags
    ("[connection]\nfamily_joins = 1", 2, "family_joins = 1: expected true or false"),
    ('[connection]\nfamily_joins = "true"', 2, "expected true or false"),
    ('[caps]\nquality_adjusts_per_borrower = "yes"', 2, "expected true or false"),
    # counts
    ("[guarantee]\ncross_min_borrowers = 1", 2, "cross_min_borrowers = 1: must be at least 2"),
    ("[guarantee]\nfocus_min_guarantors = 0", 2, "must be at least 2"),
    ("[guarantee]\nmax_circle_length = 2", 2, "must be at least 3 (a guarantee circle has at least 3 firms"),
    ("[guarantee]\nmax_scc_enumerate = -1", 2, "must be at least 3"),
    ("[guarantee]\nmin_chain_length = 1", 2, "must be at least 2 (a chain links"),
    ("[guarantee]\nmin_chain_length = 3.0", 2, "min_chain_length = 3.0: expected a whole number"),
    ('[guarantee]\nmin_chain_length = "3"', 2, "write it without quotes"),
    ("[guarantee]\nmin_chain_length = true", 2, "expected a whole number"),
    ("[marketing]\nbetweenness_samples = 0", 2, "betweenness_samples = 0: must be at least 1"),
    ("[marketing]\ncampaign_k = -3", 2, "campaign_k = -3: must be at least 1"),
    ("[caps]\nsingle_source_min_borrowers = 0", 2, "must be at least 1"),
    ("[marketing]\nseed = -1", 2, "seed = -1: must be at least 0"),
    ("[marketing]\nseed = 4.2", 2, "expected a whole number"),
    ("[marketing]\nseed = 9223372036854775808", 2, "beyond TOML's 64-bit whole numbers"),
    ("[guarantee]\nmax_circle_length = 18446744073709551617", 2, "beyond TOML's 64-bit"),
    ("[caps]\nrounding = " + "[" * 3000 + "]" * 3000, 2, "nested too deeply"),
    ("# digits\n[caps]\nrounding = " + "9" * 5000, 3, "not valid TOML here: Exceeds the limit (4300 digits)"),
    ("[marketing]\ntype_weights = { FAMILY = " + "9" * 400 + " }", 2, "FAMILY = 99999999999999999999…(400 digits)"),
    ("[marketing]\ntype_weights = { FAMILY = 1e400 }", 2, "FAMILY = inf: expected a finite number"),
    # weights
    ("[marketing]\ntype_weights = { REFERED = 5.0 }", 2, "type_weights.REFERED: unknown relation type 'REFERED'"),
    ("[marketing]\ntype_weights = { FAMILY = -1 }", 2, "type_weights.FAMILY = -1: a weight must not be negative"),
    ("[marketing]\ntype_weights = { FAMILY = nan }", 2, "type_weights.FAMILY = nan: expected a finite number"),
    ('[marketing]\ntype_weights = { FAMILY = "1" }', 2, "expected a finite number"),
    ("[marketing]\ntype_weights = { FAMILY = true }", 2, "expected a finite number"),
    ("[marketing]\ntype_weights = { FAMILY = 1e9 }", 2, "keep them at most 1,000,000"),
    ("[marketing]\ntype_weights = 3", 2, "type_weights = 3: expected a table of weights"),
    ("[marketing]\ntype_weights = [1, 2]", 2, "got an array"),
    (
        "[marketing]\nscore_weights = { referrals = 0, pagerank = 0, betweenness = 0, reach = 0 }",
        2,
        "score_weights: every weight is 0",
    ),
    ("[marketing]\nscore_weights = { clicks = 1 }", 2, "unknown score component 'clicks'"),
    ("[marketing]\nscore_weights = { reach = -0.3 }", 2, "must not be negative"),
    # structure and unknown keys
    ("tier1 = 5", 1, "unknown key 'tier1'"),
    ("[limit]\ngroup_share = 0.2", 1, "unknown key 'limit'"),
    ("[limits]\nbogus = 1", 2, "[limits] bogus: unknown key 'bogus' in [limits]"),
    ("limits = 5", 1, "[limits] = 5: must be a table"),
    ("[[caps]]\nrounding = 1", 1, "[caps]: must be a table"),
    # rules between keys
    (
        "[caps]\nnon_normal_share_high = 0.03",
        2,
        "non_normal_share_high = 0.03: must be at least [caps] non_normal_share_above = 0.05 (default)",
    ),
    (
        "[caps]\nnon_normal_share_above = 0.2",
        2,
        ("non_normal_share_above = 0.2: must be at most [caps] non_normal_share_high = 0.10 (default)"),
    ),
    ("[caps]\nnon_normal_factor_high = 0.9", 2, "must be at most [caps] non_normal_factor = 0.8 (default)"),
    ('[caps]\nper_borrower = "5000"', 2, "per_borrower = 5000.00: must be at least [caps] rounding = 10000.00"),
]


@pytest.mark.parametrize("text,line,needle", REFUSED, ids=[f"{i}:{t[:40]}" for i, (t, _, _) in enumerate(REFUSED)])
def test_each_refused_value_names_its_key_and_line(text, line, needle):
    p = one(text)
    assert p.file == "policy.toml" and p.line == line, str(p)
    assert needle in p.reason, str(p)
    assert str(p).startswith(f"policy.toml:{line}: ")
    assert "\n" not in str(p) and "Traceback" not in str(p) and "<class" not in str(p)


def test_cross_key_rule_names_the_line_of_the_other_key():
    p = one("[caps]\nnon_normal_share_above = 0.3\nnon_normal_share_high = 0.2\n")
    assert p.line == 3
    assert p.reason.startswith(
        "[caps] non_normal_share_high = 0.2: must be at least [caps] non_normal_share_above = 0.3 (line 2)"
    )


def test_a_cross_rule_is_not_checked_against_a_refused_value():
    p = one("[caps]\nnon_normal_share_above = 7\nnon_normal_share_high = 0.03\n")
    assert p.line == 2 and "from 0 to 1" in p.reason


# ----------------------------------------------------------------------------- boundaries accepted


ACCEPTED = [
    ('tier1_capital = "0.01"\nnet_capital = "0.01"', lambda p: p.tier1_capital_fen == 1),
    ("tier1_capital = 1000", lambda p: p.tier1_capital_fen == 100_000),
    ("tier1_capital = 1200000000.5", lambda p: p.tier1_capital_fen == 120_000_000_050),
    ('tier1_capital = "1,200,000,000.00"', lambda p: p.tier1_capital_fen == 120_000_000_000),
    (
        'tier1_capital = "4000000000"\nnet_capital = "4000000000"',
        lambda p: p.net_capital_fen == 400_000_000_000 and not p.net_capital_from_tier1,
    ),  # net capital equal to tier-1: allowed (below it is refused)
    ("[limits]\ngroup_share = 1\nsingle_customer_share = 1.0", lambda p: p.limits.group_share == 1),
    ("[limits]\nlarge_exposure_share = 0.0001", lambda p: p.limits.large_exposure_share == Decimal("0.0001")),
    ('[limits]\ngroup_share = "0.25"', lambda p: p.limits.group_share == Decimal("0.25")),
    (
        "[limits]\ngroup_share = 0.1",
        lambda p: p.limits.group_share == Decimal("0.1"),
    ),  # exact, not 0.1000000000000000055
    (
        "[connection]\ncontrol_share_above = 0\nsupply_share = 1\nguarantee_net_assets_share = 0",
        lambda p: p.connection.control_share_above == 0 and p.connection.supply_share == 1,
    ),
    ("[connection]\nfamily_joins = false", lambda p: p.connection.family_joins is False),
    (
        (
            "[guarantee]\ncross_min_borrowers = 2\nfocus_min_guarantors = 2\nmax_circle_length = 3\n"
            "max_scc_enumerate = 3\nmin_chain_length = 2"
        ),
        lambda p: p.guarantee.max_circle_length == 3,
    ),
    ("[guarantee]\nmax_circle_length = 1000", lambda p: p.guarantee.max_circle_length == 1000),
    ("[marketing]\nbetweenness_samples = 1\ncampaign_k = 1\nseed = 0", lambda p: p.marketing.seed == 0),
    ("[marketing]\nseed = 9223372036854775807", lambda p: p.marketing.seed == 2**63 - 1),
    (
        "[marketing]\ntype_weights = { CONTROLS = 0, GUARANTEES = 0 }",
        lambda p: p.marketing.type_weights["CONTROLS"] == 0 and p.marketing.type_weights["REFERRED"] == 3.0,
    ),
    (
        "[marketing]\nscore_weights = { referrals = 1, pagerank = 0, betweenness = 0, reach = 0 }",
        lambda p: p.marketing.score_weights["referrals"] == 1.0,
    ),
    ("[marketing]\ntype_weights = { REFERRED = 1000000 }", lambda p: p.marketing.type_weights["REFERRED"] == 1e6),
    ("[caps]\nscheme_total_share = 1\nsingle_source_share = 1", lambda p: p.caps.scheme_total_share == 1),
    ("[caps]\nhhi_above = 1\npenetration_below = 0", lambda p: p.caps.penetration_below == 0),
    ("[caps]\nhhi_above = 0\npenetration_below = 1", lambda p: p.caps.hhi_above == 0),
    ("[caps]\nnon_normal_share_above = 0\nnon_normal_share_high = 0", lambda p: p.caps.non_normal_share_high == 0),
    ("[caps]\nnon_normal_share_above = 0.1\nnon_normal_share_high = 0.1", lambda p: True),
    (
        "[caps]\nnon_normal_factor = 1\nnon_normal_factor_high = 1\nconcentration_factor = 1\npenetration_factor = 1",
        lambda p: p.caps.penetration_factor == 1,
    ),
    ("[caps]\nnon_normal_factor = 0.5\nnon_normal_factor_high = 0.5", lambda p: True),
    ("[caps]\nnon_normal_factor_high = 0.0001", lambda p: p.caps.non_normal_factor_high == Decimal("0.0001")),
    ('[caps]\nrounding = "0.01"\nper_borrower = "0.01"', lambda p: p.caps.rounding_fen == 1),
    ('[caps]\nrounding = "10000"\nper_borrower = 10000', lambda p: p.caps.per_borrower_fen == 1_000_000),
    ("[caps]\nsingle_source_min_borrowers = 1", lambda p: p.caps.single_source_min_borrowers == 1),
    ("[caps]\nquality_adjusts_per_borrower = false", lambda p: not p.caps.quality_adjusts_per_borrower),
    ("", lambda p: p == Policy(source="policy.toml")),
    ("# only a comment\n", lambda p: True),
]


@pytest.mark.parametrize("text,check", ACCEPTED, ids=[t[:40] for t, _ in ACCEPTED])
def test_each_boundary_is_accepted(text, check):
    assert check(Policy.from_text(text, source="policy.toml"))


# ----------------------------------------------------------------------------- all at once, lines


def test_every_problem_is_reported_at_once_in_line_order():
    text = (
        "tier1_capital = true\n"  # 1
        "[limits]\n"  # 2
        "group_share = 1.5\n"  # 3
        "[guarantee]\n"  # 4
        "max_circle_length = 2\n"  # 5
        "[marketing]\n"  # 6
        "type_weights = { REFERED = 1, FAMILY = -1 }\n"  # 7
        "campaign_k = 0\n"  # 8
        "[caps]\n"  # 9
        "rounding = 0\n"  # 10
        "bogus = 1\n"
    )  # 11
    problems = refused(text)
    assert [p.line for p in problems] == [1, 3, 5, 7, 7, 8, 10, 11]
    keys = [
        "tier1_capital",
        "[limits] group_share",
        "[guarantee] max_circle_length",
        "[marketing] type_weights.REFERED",
        "[marketing] type_weights.FAMILY",
        "[marketing] campaign_k",
        "[caps] rounding",
        "[caps] bogus",
    ]
    assert [p.reason.startswith(k) for p, k in zip(problems, keys)] == [True] * len(keys)


def test_lines_of_dotted_keys_subtables_inline_tables_and_quoted_keys():
    text = (
        "# a comment = 1\n"  # 1
        'desc = """\n'  # 2
        "caps = 5\n"  # 3 (inside a string)
        '"""\n'  # 4
        "caps.scheme_total_share = 1.5\n"  # 5
        'limits . "group_share" = 0\n'  # 6
        "[marketing.type_weights]\n"  # 7
        "FAMILY = -2\n"  # 8
        "[ guarantee ]  # patterns\n"  # 9
        "  'min_chain_length' = 1\n"  # 10
        "[connection]\n"  # 11
        "x = { a = 1,  b = { c = 2 } }\n"
    )  # 12
    lines = _key_lines(text)
    assert lines[("caps", "scheme_total_share")] == 5 and ("caps",) in lines and lines[("caps",)] == 5
    assert lines[("limits", "group_share")] == 6
    assert lines[("marketing", "type_weights")] == 7 and lines[("marketing", "type_weights", "FAMILY")] == 8
    assert lines[("guarantee", "min_chain_length")] == 10
    assert lines[("connection", "x", "a")] == 12 and lines[("connection", "x", "b")] == 12
    problems = refused(text)
    got = {p.reason.split(":")[0].split(" =")[0]: p.line for p in problems}
    assert got == {
        "desc": 2,
        "[caps] scheme_total_share": 5,
        "[limits] group_share": 6,
        "[marketing] type_weights.FAMILY": 8,
        "[guarantee] min_chain_length": 10,
        "[connection] x": 12,
    }


def test_crlf_and_bom_keep_the_lines(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_bytes(b"\xef\xbb\xbf# bank policy\r\n[caps]\r\n\r\nrounding = 0\r\n")
    with pytest.raises(PolicyError) as info:
        Policy.load(f)
    (p,) = info.value.problems
    assert (p.file, p.line) == (str(f), 4) and "[caps] rounding = 0" in p.reason


def test_a_mapping_without_text_names_the_key_without_a_line():
    with pytest.raises(PolicyError) as info:
        Policy.from_mapping({"caps": {"scheme_total_share": 2}, "marketing": {"seed": True}}, source="mapping")
    assert [str(p) for p in info.value.problems] == [
        (
            "mapping: [caps] scheme_total_share = 2: must be above 0 and at most 1 "
            "(a share: 5% is written 0.05; if you meant 2%, write 0.02)"
        ),
        "mapping: [marketing] seed = true: expected a whole number",
    ]
    assert all(p.line is None for p in info.value.problems)


# ----------------------------------------------------------------------------- syntax and files


def test_a_syntax_error_gives_line_column_and_reason():
    p = one('tier1_capital = "1"\n[caps]\nrounding = = 5\n')
    assert (p.line, p.column) == (3, 12) and p.reason.startswith("not valid TOML: Invalid value")
    assert str(p) == "policy.toml:3, column 12: not valid TOML: Invalid value"


def test_a_syntax_error_at_the_end_of_the_file():
    p = one("[caps]\nrounding = [1,\n")
    assert p.line == 3 and p.reason.startswith("not valid TOML") and "end of the file" in p.reason


def test_a_duplicate_key_is_a_syntax_error():
    p = one("[caps]\nrounding = 1\n[limits]\ngroup_share = 0.2\n[caps]\n")
    assert p.line == 5 and "not valid TOML" in p.reason


def _load_one(path) -> str:
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    (p,) = info.value.problems
    return str(p)


def test_a_missing_file(tmp_path):
    assert (
        _load_one(tmp_path / "nope.toml") == f"{tmp_path / 'nope.toml'}: does not exist; "
        "give a policy.toml text file (or none, for the defaults)"
    )
    assert "does not exist" in _load_one(tmp_path / "nope.toml" / "policy.toml")


def test_a_folder(tmp_path):
    (tmp_path / "policy.toml").mkdir()
    assert "is a folder, not a file; give a policy.toml text file" in _load_one(tmp_path / "policy.toml")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "policy.toml"
    os.mkfifo(fifo)
    got: list = []
    t = threading.Thread(target=lambda: got.append(_load_one(fifo)), daemon=True)
    t.start()
    t.join(10)
    if t.is_alive():  # unblock the reader so the test run can end
        with open(fifo, "w"):
            pass
        pytest.fail("reading a FIFO named policy.toml hangs")
    assert "is a named pipe (FIFO), not an ordinary file; give a policy.toml" in got[0]


def test_not_utf8_names_the_line(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_bytes("# 银行政策\n[caps]\n# 备注\n".encode("gb18030"))
    msg = _load_one(f)
    assert msg.startswith(f"{f}:1: not UTF-8 text (byte 0x") and "save the policy as UTF-8" in msg
    f.write_bytes(b'tier1_capital = "1"\n# \xff\n')
    assert _load_one(f).startswith(f"{f}:2: not UTF-8")


def test_an_oversized_file(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_bytes(b"#" * (2 << 20))
    assert "is 2,097,152 bytes; at most 1,048,576 bytes are read" in _load_one(f)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text("", encoding="utf-8")
    f.chmod(0)
    try:
        assert "cannot be opened: permission denied" in _load_one(f)
    finally:
        f.chmod(0o600)


# ----------------------------------------------------------------------------- through the dataset


def test_the_dataset_report_lists_each_policy_problem_at_its_line(make_dataset):
    folder = make_dataset(policy="[caps]\nscheme_total_share = 0\n[guarantee]\nmin_chain_length = 0\n")
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    probs = [p for p in info.value.problems if p.file == "policy.toml"]
    assert [(p.line, p.reason.split(" =")[0]) for p in probs] == [
        (2, "[caps] scheme_total_share"),
        (4, "[guarantee] min_chain_length"),
    ]
    assert str(probs[0]).startswith("policy.toml:2: [caps] scheme_total_share = 0: must be above 0")


def test_an_explicit_policy_is_named_as_given(make_dataset, tmp_path):
    folder = make_dataset()
    other = tmp_path / "bank-policy.toml"
    other.write_text("[limits]\ngroup_share = 2\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(folder, policy=other)
    (p,) = info.value.problems
    assert (p.file, p.line) == (str(other), 2)


def test_a_syntax_error_in_the_dataset_report_has_its_column(make_dataset):
    folder = make_dataset(policy="[caps\n")
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    (p,) = info.value.problems
    assert p.file == "policy.toml" and p.line == 1 and p.column is not None and "not valid TOML" in p.reason


# ----------------------------------------------------------------------------- anything at all

_values = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.floats(),
        st.text(max_size=30),
        st.dates(),
        st.datetimes(),
        st.times(),
        st.sampled_from(["0.05", "5%", "１", " 1 ", "1e3", "nan", "-0", "0.", ".5", "1,000.00"]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)
_keys = [(s, k) for s in RULES for k in RULES[s]] + [
    ("marketing", "type_weights", "FAMILY"),
    ("marketing", "score_weights", "reach"),
    ("caps",),
    ("x",),
    ("marketing", "type_weights", "a\nb"),
    ("caps", "\u202e\r"),
]


@settings(max_examples=400, deadline=None)
@given(picks=st.lists(st.tuples(st.sampled_from(_keys), _values), min_size=1, max_size=4))
def test_any_value_anywhere_is_a_policy_or_a_policy_error(picks):
    data: dict = {}
    for path, value in picks:
        path = tuple(p for p in path if p)
        d = data
        for p in path[:-1]:
            d = d.setdefault(p, {}) if isinstance(d.get(p, {}), dict) else {}
        d[path[-1]] = value
    try:
        Policy.from_mapping(data)
    except PolicyError as exc:
        assert exc.problems and all(str(p).startswith("mapping") and "\n" not in str(p) for p in exc.problems)
