"""Hostile and careless policy files through the real ``channelgraph`` command.

Each case writes a ``policy.toml`` into a small valid dataset (or gives one with
``--policy``) and runs the console entry point in a subprocess (:mod:`hostile`): the run
must end with exit 1, name the file, line and key of every problem, and show no traceback
— whichever command reads the dataset, and before any analysis or server connection.
"""

from __future__ import annotations

import os

import pytest
from conftest import write_dataset
from hostile import refused, run_cli

ALL_ZERO_TYPES = (
    "{ "
    + ", ".join(
        f"{t} = 0"
        for t in (
            "REFERRED",
            "MEMBER_OF",
            "TRADES_IN",
            "SOURCED_VIA",
            "EMPLOYS",
            "FAMILY",
            "SUPPLIES",
            "CONTROLS",
            "GUARANTEES",
            "SHARES_REPAYMENT_SOURCE",
        )
    )
    + " }"
)

# (case id, command, policy.toml text, texts the output must hold — file:line and key first)
CASES = [
    (
        "share-above-1",
        "caps",
        "[caps]\nscheme_total_share = 1.5\n",
        ["policy.toml:2: [caps] scheme_total_share = 1.5", "at most 1"],
    ),
    (
        "single-customer-150pct",
        "caps",
        "[limits]\nsingle_customer_share = 1.5\n",
        ["policy.toml:2: [limits] single_customer_share = 1.5", "write 0.015"],
    ),
    ("zero-capital", "risk", 'tier1_capital = "0"\n', ["policy.toml:1: tier1_capital", "above 0 yuan"]),
    ("bool-capital", "validate", "tier1_capital = true\n", ["policy.toml:1: tier1_capital = true"]),
    ("negative-net-capital", "caps", "net_capital = -1\n", ["policy.toml:1: net_capital = -1", "negative"]),
    ("zero-rounding", "caps", '# unit\n[caps]\nrounding = "0"\n', ["policy.toml:3: [caps] rounding"]),
    ("zero-per-borrower", "caps", "[caps]\nper_borrower = 0\n", ["policy.toml:2: [caps] per_borrower = 0"]),
    (
        "zero-betweenness-samples",
        "hubs",
        "[marketing]\nbetweenness_samples = 0\n",
        ["policy.toml:2: [marketing] betweenness_samples = 0", "at least 1"],
    ),
    ("negative-campaign-k", "hubs", "[marketing]\ncampaign_k = -1\n", ["policy.toml:2: [marketing] campaign_k"]),
    ("negative-seed", "hubs", "[marketing]\nseed = -5\n", ["policy.toml:2: [marketing] seed = -5"]),
    (
        "all-type-weights-zero",
        "hubs",
        f"[marketing]\ntype_weights = {ALL_ZERO_TYPES}\n",
        ["policy.toml:2: [marketing] type_weights", "every weight is 0"],
    ),
    (
        "negative-score-weight",
        "hubs",
        "[marketing]\nscore_weights = { referrals = -1 }\n",
        ["policy.toml:2: [marketing] score_weights.referrals = -1"],
    ),
    (
        "unknown-score-component",
        "hubs",
        "[marketing.score_weights]\nclicks = 1\n",
        ["policy.toml:2: [marketing] score_weights.clicks", "unknown score component"],
    ),
    (
        "circle-of-two",
        "risk",
        "[guarantee]\nmax_circle_length = 2\n",
        ["policy.toml:2: [guarantee] max_circle_length = 2", "at least 3"],
    ),
    ("zero-chain", "risk", "[guarantee]\nmin_chain_length = 0\n", ["policy.toml:2: [guarantee] min_chain_length"]),
    (
        "zero-cross",
        "analyze",
        "[guarantee]\ncross_min_borrowers = 0\n",
        ["policy.toml:2: [guarantee] cross_min_borrowers = 0"],
    ),
    (
        "steps-out-of-order",
        "caps",
        "[caps]\nnon_normal_share_above = 0.3\nnon_normal_share_high = 0.2\n",
        ["policy.toml:3: [caps] non_normal_share_high = 0.2", "non_normal_share_above = 0.3 (line 2)"],
    ),
    ("zero-factor", "caps", "[caps]\nconcentration_factor = 0\n", ["policy.toml:2: [caps] concentration_factor = 0"]),
    ("nan-share", "validate", "[limits]\ngroup_share = nan\n", ["policy.toml:2: [limits] group_share = nan"]),
    (
        "percent-string",
        "validate",
        '[connection]\nsupply_share = "50%"\n',
        ["policy.toml:2: [connection] supply_share", "50% is 0.5"],
    ),
    (
        "count-as-float",
        "risk",
        "[guarantee]\nmax_scc_enumerate = 40.0\n",
        ["policy.toml:2: [guarantee] max_scc_enumerate = 40.0", "whole number"],
    ),
    (
        "bool-as-number",
        "validate",
        "[connection]\nfamily_joins = 1\n",
        ["policy.toml:2: [connection] family_joins = 1", "true or false"],
    ),
    (
        "table-for-scalar",
        "validate",
        "[caps]\nhhi_above = { value = 0.18 }\n",
        ["policy.toml:2: [caps] hhi_above", "got a table"],
    ),
    ("array-of-tables", "validate", "[[limits]]\ngroup_share = 0.2\n", ["policy.toml:1: [limits]", "must be a table"]),
    (
        "inexact-float-amount",
        "validate",
        "tier1_capital = 12345678901234.56\n",
        ["policy.toml:1: tier1_capital", "write the amount in quotes"],
    ),
    ("typo-section", "validate", "[limit]\ngroup_share = 0.2\n", ["policy.toml:1: limit", "unknown key 'limit'"]),
    (
        "syntax-error",
        "analyze",
        '[caps]\nrounding = "10000"\nhhi_above = 0.18 0.2\n',
        ["policy.toml:3, column", "not valid TOML"],
    ),
    ("unclosed-array", "validate", "[marketing]\ntype_weights = [1,\n", ["policy.toml:3, column", "end of the file"]),
    (
        "nested-too-deeply",
        "validate",
        "[caps]\nrounding = " + "[" * 100_000 + "]" * 100_000 + "\n",
        ["policy.toml:2: not valid TOML here", "nested too deeply"],
    ),
    (
        "five-thousand-digits",
        "caps",
        "[caps]\nper_borrower = " + "9" * 5000 + "\n",
        ["policy.toml:2: not valid TOML here", "4300 digits"],
    ),
    (
        "huge-integer-weight",
        "hubs",
        "[marketing]\ntype_weights = { FAMILY = " + "9" * 400 + " }\n",
        ["policy.toml:2: [marketing] type_weights.FAMILY", "at most 1,000,000"],
    ),
    (
        "beyond-64-bit",
        "hubs",
        "[marketing]\nseed = 18446744073709551617\n",
        ["policy.toml:2: [marketing] seed = 18446744073709551617", "64-bit"],
    ),
    (
        "every-problem-at-once",
        "validate",
        "tier1_capital = 0\n[limits]\ngroup_share = 2\n[caps]\nrounding = -1\n[guarantee]\nmin_chain_length = 1\n",
        [
            "4 problems",
            "policy.toml:1: tier1_capital",
            "policy.toml:3: [limits] group_share",
            "policy.toml:5: [caps] rounding",
            "policy.toml:7: [guarantee] min_chain_length",
        ],
    ),
]


@pytest.mark.parametrize("command,policy,needles", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_policy_value(tmp_path, command, policy, needles):
    data = write_dataset(tmp_path / "data", policy=policy)
    args = [command, data] + ([] if command == "validate" else ["--out", tmp_path / "out"])
    r = run_cli(*args, cwd=tmp_path, timeout=120)
    refused(r, 1, *needles)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir()), "wrote outputs anyway"


def test_policy_not_utf8(tmp_path):
    data = write_dataset(tmp_path / "data")
    (data / "policy.toml").write_bytes('tier1_capital = "1000"\n# 一级资本\n'.encode("gb18030"))
    refused(run_cli("validate", data), 1, "policy.toml:2: not UTF-8 text", "save the policy as UTF-8")


def test_policy_toml_is_a_folder(tmp_path):
    data = write_dataset(tmp_path / "data")
    (data / "policy.toml").mkdir()
    refused(
        run_cli("risk", data, "--out", tmp_path / "out"),
        1,
        "policy.toml: is a folder, not a file; give a policy.toml text file",
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_policy_toml_is_a_fifo_and_nothing_hangs(tmp_path):
    data = write_dataset(tmp_path / "data")
    os.mkfifo(data / "policy.toml")
    refused(run_cli("validate", data, timeout=30), 1, "policy.toml: is a named pipe (FIFO), not an ordinary file")
    fifo = tmp_path / "p.toml"
    os.mkfifo(fifo)
    refused(
        run_cli("caps", data, "--policy", fifo, "--out", tmp_path / "out", timeout=30),
        1,
        f"{fifo}: is a named pipe (FIFO)",
    )


def test_policy_toml_is_a_dangling_link(tmp_path):
    data = write_dataset(tmp_path / "data")
    (data / "policy.toml").symlink_to(tmp_path / "gone.toml")
    refused(run_cli("validate", data), 1, "policy.toml: is a symbolic link to", "which does not exist")


def test_policy_oversized(tmp_path):
    data = write_dataset(tmp_path / "data")
    (data / "policy.toml").write_bytes(b"# padding\n" * 200_000)
    refused(run_cli("validate", data), 1, "policy.toml: is 2,000,000 bytes; at most 1,048,576 bytes are read")


def test_missing_policy_option_file(tmp_path):
    data = write_dataset(tmp_path / "data")
    refused(
        run_cli("analyze", data, "--policy", tmp_path / "nope.toml", "--out", tmp_path / "out"),
        1,
        f"{tmp_path / 'nope.toml'}: does not exist; give a policy.toml",
    )


def test_policy_option_names_the_file_as_given(tmp_path):
    data = write_dataset(tmp_path / "data")
    other = tmp_path / "bank-policy.toml"
    other.write_text("[caps]\n\nsingle_source_share = 0\n", encoding="utf-8")
    refused(
        run_cli("caps", data, "--policy", other, "--out", tmp_path / "out"),
        1,
        f"{other}:3: [caps] single_source_share = 0",
    )


def test_policy_option_on_a_folder_is_a_usage_error(tmp_path):
    data = write_dataset(tmp_path / "data")
    r = run_cli("validate", data, "--policy", tmp_path)
    refused(r, 2, "is a directory")


def test_empty_policy_option_is_a_usage_error(tmp_path):
    data = write_dataset(tmp_path / "data")
    refused(run_cli("validate", data, "--policy", ""), 2, "--policy", "is empty")


def test_bad_policy_with_neo4j_is_refused_before_connecting(tmp_path):
    """``--neo4j`` with a bad ``--policy``: the user's file (exit 1), not a server failure (3)."""
    bad = tmp_path / "policy.toml"
    bad.write_text("[limits]\ngroup_share = 0\n", encoding="utf-8")
    r = run_cli("risk", "--neo4j", "bolt://127.0.0.1:9", "--policy", bad, "--out", tmp_path / "out", timeout=60)
    refused(r, 1, f"{bad}:2: [limits] group_share = 0", "1 problem in the policy")
    r = run_cli(
        "hubs",
        "--neo4j",
        "bolt://127.0.0.1:9",
        "--policy",
        tmp_path / "nope.toml",
        "--out",
        tmp_path / "out",
        timeout=60,
    )
    refused(r, 1, "nope.toml: does not exist")


def test_validate_json_lists_policy_problems_with_lines(tmp_path):
    import json

    data = write_dataset(tmp_path / "data", policy="[caps]\nrounding = 0\n")
    r = run_cli("validate", data, "--json")
    assert r.code == 1 and "Traceback" not in r.output, str(r)
    got = json.loads(r.stdout)
    assert got["valid"] is False
    assert [(p["file"], p["line"]) for p in got["problems"]] == [("policy.toml", 2)]
    assert got["problems"][0]["reason"].startswith("[caps] rounding = 0: must be an amount above 0")
