"""Risk room: hand-computed groups, limits, guarantee patterns, sources, stress and DebtRank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelgraph.graph import build_book
from channelgraph.analyses import node_results, registry, run_analyses, write_results
from channelgraph.cli import main
from channelgraph.io import load_dataset
from channelgraph.model import format_yuan
from channelgraph.risk import (
    UnknownEntityError,
    concentration,
    connected_groups,
    debt_rank,
    guarantee_patterns,
    run_risk,
    single_risk_sources,
    stress_cascade,
)
from channelgraph.risk import guarantees as guarantees_module
from channelgraph.risk.concentration import CONCENTRATION_COLUMNS
from channelgraph.risk.contagion import CALL_COLUMNS, IMPACT_COLUMNS, ROUND_COLUMNS
from channelgraph.risk.groups import GROUP_COLUMNS, MEMBER_COLUMNS, TIE_COLUMNS
from channelgraph.risk.guarantees import PATTERN_COLUMNS
from channelgraph.risk.sources import SOURCE_COLUMNS
from conftest import SAMPLE

# tier-1 = net capital = 1,000,000 yuan: single 150,000; group 200,000; large 25,000; loans 100,000
POLICY = """\
tier1_capital = "1000000.00"
net_capital = "1000000.00"
"""


def load(make_dataset, entities, relations, exposures, policy=POLICY, schemes=None):
    """The book of a dataset written from these CSV texts."""
    return build_book(
        load_dataset(
            make_dataset(entities=entities, relations=relations, exposures=exposures, schemes=schemes, policy=policy)
        )
    )


def fen(yuan: str) -> int:
    from channelgraph.model import parse_yuan

    return parse_yuan(yuan)


# ----------------------------------------------------------------------------- groups and limits

GROUP_ENTITIES = """\
id,kind,name,is_customer,net_assets
B,person,老板,false,
E1,enterprise,甲,true,
E2,enterprise,乙,true,
E3,enterprise,丙,true,
E4,enterprise,丁,true,
E5,enterprise,戊,true,
E6,enterprise,己,true,
G1,enterprise,保一,true,800000
G2,enterprise,保二,false,800000
G3,enterprise,保三,false,
G4,enterprise,保四,false,0
E7,enterprise,庚,true,
E8,enterprise,辛,true,
E9,enterprise,壬,true,
E10,enterprise,癸,true,
S1,enterprise,供一,true,
S2,enterprise,供二,true,
E11,enterprise,子,true,
E12,enterprise,丑,true,
P1,person,张三,true,
P2,person,李四,true,
"""
GROUP_RELATIONS = """\
src,dst,type,amount,share
B,E1,CONTROLS,,0.6
B,E2,CONTROLS,,0.51
B,E3,CONTROLS,,0.5
G1,E7,GUARANTEES,399999.99,
G2,E8,GUARANTEES,400000,
G3,E9,GUARANTEES,1,
G4,E10,GUARANTEES,1,
S1,E11,SUPPLIES,,0.5
S2,E12,SUPPLIES,,0.49
P2,P1,FAMILY,,
"""
GROUP_EXPOSURES = """\
facility_id,customer_id,outstanding
F1,E1,100000.00
F2,E2,100000.01
F3,E3,150000.00
F4,E4,150000.01
F5,E5,25000.00
F6,E6,25000.01
F7,E7,1.00
F8,E8,2.00
F9,E9,3.00
F10,E10,4.00
F11,E11,5.00
F12,E12,6.00
F13,P1,7.00
F14,P2,8.00
F15,S1,9.00
"""


@pytest.fixture
def group_book(make_dataset):
    return load(make_dataset, GROUP_ENTITIES, GROUP_RELATIONS, GROUP_EXPOSURES)


def test_groups_hand_computed(group_book):
    groups, members, ties = connected_groups(group_book)
    assert list(groups.columns) == GROUP_COLUMNS
    g = groups.set_index("group_id")
    # a non-customer boss joins E1 and E2 (control > 50%); E3 at exactly 50% is not joined
    assert g.loc["G-B", "members"] == ["B", "E1", "E2"]
    assert g.loc["G-B", "customers"] == ["E1", "E2"]
    assert g.loc["G-B", "exposure_fen"] == fen("200000.01")
    assert g.loc["G-B", "status"] == "breach"  # > 20% of tier-1 (200,000.00)
    assert g.loc["G-B", "limit_fen"] == fen("200000.00") and g.loc["G-B", "limit_share"] == "0.20"
    assert g.loc["G-B", "headroom_fen"] == -1
    assert g.loc["G-B", "share_of_tier1"] == "0.200000"
    assert "art. 8" in g.loc["G-B", "rule"] and "20%" in g.loc["G-B", "rule"]
    assert g.loc["G-B", "binding_links"] == ["B → E1 control 60% > 50%", "B → E2 control 51% > 50%"]
    assert g.loc["G-B", "member_breaches"] == 1  # E2's loans are above 10% of net capital
    # single customers: 15% limit, large exposure strictly above 2.5%
    assert g.loc["G-E3", "status"] == "large_exposure"  # exactly 15%: within the limit
    assert "art. 7" in g.loc["G-E3", "rule"] and "large exposure" in g.loc["G-E3", "rule"]
    assert g.loc["G-E4", "status"] == "breach"
    assert g.loc["G-E5", "status"] == "ok"  # exactly 2.5% is not above it
    assert g.loc["G-E6", "status"] == "large_exposure"
    # guarantees: ≥ 50% of the guarantor's net assets joins; unknown net assets cannot be tested
    assert g.loc["G-E7", "members"] == ["E7"] and g.loc["G-G1", "members"] == ["G1"]
    assert g.loc["G-E8", "members"] == ["E8", "G2"] and g.loc["G-E8", "customers"] == ["E8"]
    assert g.loc["G-E9", "members"] == ["E9"]
    assert g.loc["G-E10", "members"] == ["E10", "G4"]
    assert g.loc["G-E8", "binding_links"] == ["G2 → E8 guarantee 400,000.00 = 50% of G2 net assets ≥ 50%"]
    # supply ≥ 50% joins; family joins by default
    assert g.loc["G-E11", "members"] == ["E11", "S1"] and g.loc["G-E11", "customer_count"] == 2
    assert g.loc["G-E12", "members"] == ["E12"]
    assert g.loc["G-P1", "members"] == ["P1", "P2"]
    assert g.loc["G-P1", "limit_share"] == "0.20"
    # rows: exposure desc then group id; the groups partition the book exactly
    assert groups["group_id"].tolist()[:3] == ["G-B", "G-E4", "G-E3"]
    assert int(groups["exposure_fen"].sum()) == group_book.total_outstanding
    custs = sorted(c for cs in groups["customers"] for c in cs)
    assert custs == sorted(group_book.tables.entities.loc[group_book.tables.entities["is_customer"], "id"])


def test_members_and_single_checks(group_book):
    _, members, _ = connected_groups(group_book)
    assert list(members.columns) == MEMBER_COLUMNS
    m = members.set_index("entity_id")
    assert not m.loc["B", "is_customer"]
    assert m.loc["B", "single_status"] == "" and m.loc["B", "group_id"] == "G-B"
    assert m.loc["B", "binding_reason"] == ["B → E1 control 60% > 50%", "B → E2 control 51% > 50%"]
    assert m.loc["E2", "loan_status"] == "breach" and m.loc["E1", "loan_status"] == "ok"
    assert m.loc["E2", "single_status"] == "large_exposure"
    assert m.loc["E2", "share_of_net_capital"] == "0.100000"
    assert m.loc["E4", "single_status"] == "breach"
    assert m.loc["G2", "outstanding_fen"] == 0
    # the first rows are the members of the largest group
    assert members["entity_id"].tolist()[:3] == ["B", "E1", "E2"]
    assert "G3" not in m.index  # a non-customer tied to nobody is in no group


def test_connection_ties_list_every_tie_with_why(group_book):
    _, _, ties = connected_groups(group_book)
    assert list(ties.columns) == TIE_COLUMNS
    assert len(ties) == 10
    t = ties.set_index(["src", "dst", "type"])
    row = t.loc[("B", "E3", "CONTROLS")]
    assert not row["joins"] and row["group_id"] == ""
    assert row["reason"] == "B → E3 control 50% ≤ 50%: listed, does not join"
    row = t.loc[("G1", "E7", "GUARANTEES")]
    assert not row["joins"] and row["ratio"] == "0.500000"  # 49.9999987…%: rounds to 0.5, is below it
    assert row["reason"] == "G1 → E7 guarantee 399,999.99 = 49.99% of G1 net assets < 50%: listed, does not join"
    assert "net assets unknown" in t.loc[("G3", "E9", "GUARANTEES"), "reason"]
    assert t.loc[("G4", "E10", "GUARANTEES"), "joins"]
    assert (
        t.loc[("S2", "E12", "SUPPLIES"), "reason"] == "S2 → E12 supply 49% of S2 revenue < 50%: listed, does not join"
    )
    assert t.loc[("P1", "P2", "FAMILY"), "reason"] == "P1 — P2 family"  # stored once, smaller id first
    assert t.loc[("G2", "E8", "GUARANTEES"), "group_id"] == "G-E8"


def test_family_can_be_switched_off(make_dataset):
    book = load(
        make_dataset,
        GROUP_ENTITIES,
        GROUP_RELATIONS,
        GROUP_EXPOSURES,
        policy=POLICY + "[connection]\nfamily_joins = false\n",
    )
    groups, _, ties = connected_groups(book)
    g = groups.set_index("group_id")
    assert g.loc["G-P1", "members"] == ["P1"] and g.loc["G-P2", "members"] == ["P2"]
    assert "family_joins = false" in ties.set_index("type").loc["FAMILY", "reason"]


def test_thresholds_come_from_policy(make_dataset):
    book = load(
        make_dataset,
        GROUP_ENTITIES,
        GROUP_RELATIONS,
        GROUP_EXPOSURES,
        policy=POLICY + "[connection]\ncontrol_share_above = 0.49\n[limits]\ngroup_share = 0.5\n",
    )
    g = connected_groups(book)[0].set_index("group_id")
    assert g.loc["G-B", "members"] == ["B", "E1", "E2", "E3"]
    assert g.loc["G-B", "status"] == "large_exposure"  # 350,000.01 ≤ 50% of tier-1
    assert "50%" in g.loc["G-B", "rule"]


def _risk_files(book, out: Path) -> dict[str, bytes]:
    results = run_analyses(book, only=["risk"])
    write_results(results, book.tables, out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "summary.json"}


def _reverse_rows(text: str) -> str:
    lines = text.strip("\n").split("\n")
    return "\n".join([lines[0]] + lines[1:][::-1]) + "\n"


def test_outputs_do_not_depend_on_row_order(make_dataset, tmp_path):
    # the group dataset plus the guarantee patterns (ids prefixed with p) and a market with key persons
    names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "X", "Y1", "Y2", "Y3", "Z1", "Z2", "Z3", "W"]
    ent = GROUP_ENTITIES + "".join(f"p{x},enterprise,企业{x},true,{100 * (i + 1)}\n" for i, x in enumerate(names))
    ent += "M9,market,市场,false,\n"
    rel = GROUP_RELATIONS + "".join(
        f"p{a},p{b},GUARANTEES,{amt}," + "\n"
        for a, b, _, amt in (line.split(",") for line in PATTERN_RELATIONS.strip().split("\n")[1:])
    )
    rel += "pA,M9,TRADES_IN,,\npB,M9,TRADES_IN,,\nE1,M9,TRADES_IN,,\n"
    exp = GROUP_EXPOSURES + "".join(f"Fp{x},p{x},{i + 1}\n" for i, x in enumerate(names))
    a = load(make_dataset, ent, rel, exp)
    rel_b = _reverse_rows(rel).replace("P2,P1,FAMILY", "P1,P2,FAMILY")
    b = load(make_dataset, _reverse_rows(ent), rel_b, _reverse_rows(exp))
    fa, fb = _risk_files(a, tmp_path / "a"), _risk_files(b, tmp_path / "b")
    assert len(fa) == 16 and fa.keys() == fb.keys()
    for name in fa:
        assert fa[name] == fb[name], name
    sa = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))["analyses"]
    sb = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))["analyses"]
    assert sa == sb and sa["risk"]["patterns"]["circle"] == 1


# ----------------------------------------------------------------------------- guarantee patterns

PATTERN_ENTITIES = "id,kind,name,is_customer\n" + "".join(
    f"{x},enterprise,企业{x},true\n"
    for x in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "X", "Y1", "Y2", "Y3", "Z1", "Z2", "Z3", "W", "U", "V"]
)
PATTERN_RELATIONS = """\
src,dst,type,amount
A,B,GUARANTEES,10
B,A,GUARANTEES,20
C,D,GUARANTEES,1
D,E,GUARANTEES,1
E,C,GUARANTEES,1
F,G,GUARANTEES,2
G,H,GUARANTEES,2
H,I,GUARANTEES,2
X,Y1,GUARANTEES,3
X,Y2,GUARANTEES,3
X,Y3,GUARANTEES,3
Z1,W,GUARANTEES,4
Z2,W,GUARANTEES,4
Z3,W,GUARANTEES,4
"""
PATTERN_EXPOSURES = "facility_id,customer_id,outstanding\n" + "".join(
    f"F{x},{x},100\n" for x in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "X", "Y1", "W"]
)


def test_guarantee_patterns_hand_computed(make_dataset):
    book = load(make_dataset, PATTERN_ENTITIES, PATTERN_RELATIONS, PATTERN_EXPOSURES)
    p = guarantee_patterns(book)
    assert list(p.columns) == PATTERN_COLUMNS
    rows = p[["pattern_id", "pattern", "members", "path", "anchor", "exposure_fen", "guaranteed_fen"]].values.tolist()
    assert rows == [
        ["circle:C>D>E", "circle", ["C", "D", "E"], "C → D → E → C", "", 30000, 300],
        ["mutual:A-B", "mutual", ["A", "B"], "A ⇄ B", "", 20000, 3000],
        ["chain:F>I", "chain", ["F", "G", "H", "I"], "F → G → H → I", "", 40000, 600],
        ["cross:X", "cross", ["X", "Y1", "Y2", "Y3"], "X → Y1, Y2, Y3", "X", 20000, 900],
        ["focus:W", "focus", ["Z1", "Z2", "Z3", "W"], "Z1, Z2, Z3 → W", "W", 10000, 1200],
    ]
    assert p.set_index("pattern").loc["circle", "block_id"] == "B-C"
    assert p.set_index("pattern").loc["circle", "share_of_tier1"] == "0.000300"


def test_chain_through_a_circle_and_thresholds(make_dataset):
    rel = PATTERN_RELATIONS + "U,C,GUARANTEES,5\nE,V,GUARANTEES,6\n"
    book = load(
        make_dataset,
        PATTERN_ENTITIES,
        rel,
        PATTERN_EXPOSURES,
        policy=POLICY + "[guarantee]\ncross_min_borrowers = 4\nfocus_min_guarantors = 4\nmin_chain_length = 4\n",
    )
    p = guarantee_patterns(book)
    assert set(p["pattern"]) == {"circle", "mutual", "chain"}
    chains = p[p["pattern"] == "chain"][["members", "path", "guaranteed_fen"]].values.tolist()
    # U → {C,D,E} → V has 3 links (< 4): only F → G → H → I stays
    assert chains == [[["F", "G", "H", "I"], "F → G → H → I", 600]]
    book = load(make_dataset, PATTERN_ENTITIES, rel, PATTERN_EXPOSURES)
    chains = guarantee_patterns(book)
    chains = chains[chains["pattern"] == "chain"][["pattern_id", "members", "path", "guaranteed_fen"]].values.tolist()
    assert ["chain:U>V", ["U", "C", "D", "E", "V"], "U → {C,D,E} → V", 1100] in chains


def test_large_or_long_blocks_are_reported_whole(make_dataset, monkeypatch):
    ent = "id,kind,name,is_customer\n" + "".join(f"{x},enterprise,企业{x},true\n" for x in "PQRSTJKLMN")
    rel = (
        "src,dst,type,amount\n"
        "P,Q,GUARANTEES,1\nQ,R,GUARANTEES,1\nR,S,GUARANTEES,1\nS,P,GUARANTEES,1\n"
        "J,K,GUARANTEES,1\nK,L,GUARANTEES,1\nL,M,GUARANTEES,1\nM,N,GUARANTEES,1\nN,J,GUARANTEES,1\n"
    )
    exp = "facility_id,customer_id,outstanding\nF1,P,1\n"
    book = load(
        make_dataset, ent, rel, exp, policy=POLICY + "[guarantee]\nmax_scc_enumerate = 4\nmax_circle_length = 4\n"
    )
    p = guarantee_patterns(book).set_index("pattern_id")
    assert p.loc["circle:P>Q>R>S", "pattern"] == "circle"
    blk = p.loc["circle_block:J"]
    assert blk["pattern"] == "circle_block" and blk["members"] == ["J", "K", "L", "M", "N"]
    assert blk["note"].startswith("strongly connected block of 5 firms > max_scc_enumerate 4")
    book = load(make_dataset, ent, rel, exp, policy=POLICY + "[guarantee]\nmax_circle_length = 4\n")
    p = guarantee_patterns(book).set_index("pattern_id")
    assert "circles longer than max_circle_length 4" in p.loc["circle_block:J", "note"]
    # too many circles in one block: the block, not a flood of rows
    ent = "id,kind,name,is_customer\n" + "".join(f"{x},enterprise,企业{x},true\n" for x in "ABCD")
    rel = "src,dst,type,amount\n" + "".join(f"{a},{b},GUARANTEES,1\n" for a in "ABCD" for b in "ABCD" if a != b)
    monkeypatch.setattr(guarantees_module, "MAX_CIRCLES_PER_BLOCK", 3)
    p = guarantee_patterns(load(make_dataset, ent, rel, "facility_id,customer_id,outstanding\nF1,A,1\n"))
    assert p["pattern"].tolist().count("circle_block") == 1 and "circle" not in p["pattern"].tolist()
    assert p["pattern"].tolist().count("mutual") == 6


# ----------------------------------------------------------------------------- single risk sources

SOURCE_ENTITIES = """\
id,kind,name,is_customer,industry
M1,market,轻纺城,false,
C1,chamber,商会,false,
I1,intermediary,中介,false,
K,person,会长,false,
P,person,老板,false,
E1,enterprise,甲,true,纺织
E2,enterprise,乙,true,纺织
G,enterprise,保,false,
E3,enterprise,丙,true,服装
E4,enterprise,丁,true,纺织
Q1,person,客一,true,
Q2,person,客二,true,
Q3,person,客三,true,
"""
SOURCE_RELATIONS = """\
src,dst,type,amount,share,role
K,C1,MEMBER_OF,,,president
E1,C1,MEMBER_OF,,,
P,E1,CONTROLS,,0.8,
E1,E2,CONTROLS,,0.9,
G,E3,GUARANTEES,1,,
G,E4,GUARANTEES,1,,
E3,M1,TRADES_IN,,,
E4,M1,TRADES_IN,,,
Q1,I1,SOURCED_VIA,,,
Q2,I1,SOURCED_VIA,,,
Q3,I1,SOURCED_VIA,,,
I1,Q3,EMPLOYS,,,
K,Q1,REFERRED,,,
"""
SOURCE_EXPOSURES = """\
facility_id,customer_id,outstanding
F1,E1,100
F2,E2,200
F3,E3,300
F4,E4,400
F5,Q1,10
F6,Q2,25
F7,Q3,30
"""


def test_single_risk_sources_hand_computed(make_dataset):
    book = load(make_dataset, SOURCE_ENTITIES, SOURCE_RELATIONS, SOURCE_EXPOSURES)
    s = single_risk_sources(book)
    assert list(s.columns) == SOURCE_COLUMNS
    assert s[["rank", "source_id", "source_type", "dependent_customers", "dependent_exposure_fen"]].values.tolist() == [
        [1, "G", "guarantor", 2, 70000],
        [2, "M1", "market", 2, 70000],
        [3, "P", "controller", 2, 30000],  # E1 and, through E1, E2
        [4, "E1", "controller", 1, 20000],
        [5, "C1", "chamber", 1, 10000],
        [6, "I1", "intermediary", 3, 6500],
        [7, "K", "key_person", 1, 1000],
    ]
    r = s.set_index("source_id")
    assert r.loc["G", "share_of_total"] == "0.657277"  # 700 / 1,065
    assert r.loc["G", "factors"] == "same_risk_factor" and r.loc["M1", "same_risk_factor"]
    assert r.loc["P", "factors"] == "control;same_risk_factor"  # 100% of 300 in 纺织
    assert r.loc["P", "controlled_exposure_fen"] == 30000
    assert r.loc["I1", "sourced_customers"] == 3 and r.loc["I1", "unbacked_customers"] == 2
    assert r.loc["I1", "unbacked_exposure_fen"] == 3500 and r.loc["I1", "business_not_real"]
    assert r.loc["I1", "factor_notes"] == [
        "business_not_real: 2 of 3 customers sourced through I1 (35.00 of 65.00) have no trade, payroll or "
        "supply tie to it"
    ]
    assert r.loc["K", "roles"] == ["key_person"] and r.loc["K", "business_not_real"]  # referral, no tie
    assert r.loc["E1", "roles"] == ["controller"] and r.loc["E1", "own_exposure_fen"] == 10000
    assert r.loc["M1", "top_industry"] == "纺织" and r.loc["M1", "top_industry_share"] == "0.571429"


def test_heavy_referrer_is_a_key_person(make_dataset):
    ent = "id,kind,name,is_customer\nR,person,推荐人,false\n" + "".join(
        f"C{i:02d},person,客{i},true\n" for i in range(10)
    )
    rel = "src,dst,type\n" + "".join(f"R,C{i:02d},REFERRED\n" for i in range(10))
    exp = "facility_id,customer_id,outstanding\n" + "".join(f"F{i},C{i:02d},1\n" for i in range(10))
    s = single_risk_sources(load(make_dataset, ent, rel, exp)).set_index("source_id")
    assert s.loc["R", "source_type"] == "key_person" and s.loc["R", "dependent_customers"] == 10
    assert s.loc["R", "share_of_total"] == "1.000000" and s.loc["R", "business_not_real"]
    rel = "src,dst,type\n" + "".join(f"R,C{i:02d},REFERRED\n" for i in range(9))
    s = single_risk_sources(load(make_dataset, ent, rel, exp))
    assert "R" not in set(s["source_id"])


# ----------------------------------------------------------------------------- contagion

STRESS_ENTITIES = """\
id,kind,name,is_customer,net_assets
A,enterprise,甲,true,1000
B,enterprise,乙,true,50
C,enterprise,丙,false,1000
D,enterprise,丁,false,
E,enterprise,戊,false,1000
F,enterprise,己,false,50
"""
STRESS_RELATIONS = """\
src,dst,type,amount
B,A,GUARANTEES,80
C,A,GUARANTEES,30
F,A,GUARANTEES,30
D,B,GUARANTEES,10
F,B,GUARANTEES,30
E,D,GUARANTEES,5
"""
STRESS_EXPOSURES = """\
facility_id,customer_id,outstanding
F1,A,100
F2,B,40
"""


def test_stress_cascade_round_by_round(make_dataset):
    book = load(make_dataset, STRESS_ENTITIES, STRESS_RELATIONS, STRESS_EXPOSURES)
    rounds, calls = stress_cascade(book, None, ["A"])
    assert list(rounds.columns) == ROUND_COLUMNS and list(calls.columns) == CALL_COLUMNS
    assert rounds[
        ["round", "defaulted", "exposure_hit_fen", "cumulative_exposure_hit_fen", "guarantee_calls", "called_fen"]
    ].values.tolist() == [
        [0, ["A"], 10000, 10000, 3, 14000],
        [1, ["B"], 4000, 14000, 2, 4000],
        [2, ["D", "F"], 0, 14000, 0, 0],  # E's guarantee of D: nothing outstanding to call
    ]
    assert rounds["cumulative_share_of_tier1"].tolist()[-1] == "0.000140"
    got = calls[
        ["round", "guarantor_id", "borrower_id", "called_fen", "guarantor_called_total_fen", "guarantor_defaults"]
    ].values.tolist()
    assert got == [
        [0, "B", "A", 8000, 8000, True],  # 80 > net assets 50
        [0, "C", "A", 3000, 3000, False],
        [0, "F", "A", 3000, 3000, False],  # 30 ≤ 50
        [1, "D", "B", 1000, 1000, True],  # net assets unknown: cannot pay
        [1, "F", "B", 3000, 6000, True],  # 30 + 30 > 50: cumulative calls
    ]
    assert "net assets unknown" in calls.iloc[3]["note"]
    assert calls.iloc[1]["note"] == "C can pay: calls are 3% of its net assets"
    assert calls["guarantor_net_assets_fen"].isna().tolist() == [False, False, False, True, False]


def test_stress_refuses_unknown_ids(make_dataset):
    book = load(make_dataset, STRESS_ENTITIES, STRESS_RELATIONS, STRESS_EXPOSURES)
    with pytest.raises(UnknownEntityError) as info:
        stress_cascade(book, None, ["A", "NOPE", "ZZ"])
    assert info.value.unknown == ["NOPE", "ZZ"]


def test_debt_rank_hand_computed(make_dataset):
    ent = "id,kind,name,is_customer,net_assets\nA,enterprise,甲,true,\nB,enterprise,乙,true,100\nC,enterprise,丙,true,40\n"
    rel = "src,dst,type,amount\nB,A,GUARANTEES,50\nC,B,GUARANTEES,40\n"
    exp = "facility_id,customer_id,outstanding\nF1,A,100\nF2,B,100\nF3,C,200\n"
    # W[A→B] = 50/100 = 0.5, W[B→C] = 40/40 = 1; v = (0.25, 0.25, 0.5)
    # A: h_B = 0.5, then h_C = 0.5 → R = 0.5·0.25 + 0.5·0.5 = 0.375; B: h_C = 1 → R = 0.5
    d = debt_rank(load(make_dataset, ent, rel, exp))
    assert list(d.columns) == IMPACT_COLUMNS
    assert d[
        ["rank", "entity_id", "debt_rank", "impact_exposure_fen", "distressed_entities", "defaulted_entities", "method"]
    ].values.tolist() == [
        [1, "B", "0.500000", 20000, 1, 1, "full"],
        [2, "A", "0.375000", 15000, 2, 0, "full"],
        [3, "C", "0.000000", 0, 0, 0, "full"],
    ]


def test_debt_rank_propagates_once_around_a_circle(make_dataset):
    ent = "id,kind,name,is_customer,net_assets\nA,enterprise,甲,true,10\nB,enterprise,乙,true,10\n"
    rel = "src,dst,type,amount\nA,B,GUARANTEES,100\nB,A,GUARANTEES,100\n"
    exp = "facility_id,customer_id,outstanding\nF1,A,30\nF2,B,10\n"
    d = debt_rank(load(make_dataset, ent, rel, exp)).set_index("entity_id")
    assert d.loc["A", "debt_rank"] == "0.250000" and d.loc["B", "debt_rank"] == "0.750000"


# ----------------------------------------------------------------------------- concentration


def test_concentration_channel_precedence_and_hhi(make_dataset):
    ent = """\
id,kind,name,is_customer,industry,region
C1,chamber,商会,false,,
I1,intermediary,中介,false,,
M1,market,市场,false,,
A,enterprise,甲,true,纺织,柯桥
B,enterprise,乙,true,纺织,越城
D,person,丁,true,,柯桥
"""
    rel = "src,dst,type\nA,C1,MEMBER_OF\nA,I1,SOURCED_VIA\nB,M1,TRADES_IN\nB,C1,MEMBER_OF\n"
    exp = "facility_id,customer_id,outstanding,scheme_id\nF1,A,10,S1\nF2,A,20,\nF3,B,30,\nF4,D,40,\n"
    sch = "scheme_id,channel_id,name\nS1,C1,会员贷\n"
    c = concentration(load(make_dataset, ent, rel, exp, schemes=sch))
    assert list(c.columns) == CONCENTRATION_COLUMNS
    ch = c[c["dimension"] == "channel"][
        ["bucket", "bucket_name", "customers", "exposure_fen", "hhi", "top_ids"]
    ].values.tolist()
    # F1 → scheme channel C1; F2 → SOURCED_VIA beats MEMBER_OF; F3 → TRADES_IN beats MEMBER_OF
    assert ch == [
        ["*", "", 3, 10000, "0.300000", ["(none)", "M1", "I1", "C1"]],
        ["(none)", "", 1, 4000, "1.000000", ["D"]],
        ["M1", "市场", 1, 3000, "1.000000", ["B"]],
        ["I1", "中介", 1, 2000, "1.000000", ["A"]],
        ["C1", "商会", 1, 1000, "1.000000", ["A"]],
    ]
    ind = c[c["dimension"] == "industry"].set_index("bucket")
    assert ind.loc["*", "hhi"] == "0.520000" and ind.loc["纺织", "hhi"] == "0.500000"  # 0.6² + 0.4²; 0.5² + 0.5²
    assert ind.loc["纺织", "top_n_share"] == "1.000000"
    for dim in ("channel", "industry", "region"):
        part = c[(c["dimension"] == dim) & (c["bucket"] != "*")]
        assert int(part["exposure_fen"].sum()) == 10000
    assert c[c["dimension"] == "customer"]["top_ids"].iloc[0] == ["D", "A", "B"]


# ----------------------------------------------------------------------------- runner, report, CLI


def test_runner_summary_report_and_write_back(tiny):
    ds = load_dataset(tiny)
    res = run_risk(build_book(ds))
    assert set(res.tables) == {
        "risk_groups",
        "risk_group_members",
        "connection_ties",
        "guarantee_patterns",
        "risk_sources",
        "systemic_impact",
        "concentration",
        "facility_exposures",
    }
    s = res.summary
    json.dumps(s)  # JSON-ready
    assert s["groups"] == 2 and s["breaches"] == 0 and s["patterns"]["mutual"] == 1
    assert s["total_outstanding"] == format_yuan(ds.total_outstanding_fen)
    assert s["largest_group"]["group_id"] == "G-E1"
    risk = next(a for a in registry() if a.name == "risk")
    assert risk.order == 10 and risk.title_zh == "风险"
    zh, en = risk.report(res, ds.policy, "zh"), risk.report(res, ds.policy, "en")
    assert "## 风险" in zh and "关联客户组" in zh and "万元" in zh and "G-E1" in zh
    assert "## Risk" in en and "Guarantee patterns" in en and "1,550,000.50" in en
    props = node_results({"risk": res})
    assert props["E1"]["group_id"] == "G-E1" and props["E1"]["group_status"] == "ok"
    assert props["E1"]["guarantee_patterns"] == ["mutual"]
    assert props["C1"]["risk_source_rank"] == 1


def test_cli_risk_and_stress(tiny, tmp_path):
    r = CliRunner().invoke(main, ["risk", str(tiny), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    head = (tmp_path / "o" / "risk_groups.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("group_id,members,customers,member_count,customer_count,exposure,share_of_tier1")
    row = (tmp_path / "o" / "risk_groups.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    assert row.startswith("G-E1,E1;E2;P1;P2,E1;E2;P1,4,3,1550000.50,0.000155,")
    for name in (
        "risk_group_members",
        "connection_ties",
        "guarantee_patterns",
        "risk_sources",
        "systemic_impact",
        "concentration",
    ):
        assert (tmp_path / "o" / f"{name}.csv").exists() and (tmp_path / "o" / f"{name}.json").exists()
    r = CliRunner().invoke(main, ["stress", str(tiny), "--default", "E1", "--out", str(tmp_path / "s")])
    assert r.exit_code == 0, r.output
    assert "1 entity defaulted over 1 round" in r.output
    text = (tmp_path / "s" / "stress_calls.csv").read_text(encoding="utf-8-sig")
    assert "0,E2,E1,5000000.00,1000000.00,1000000.00,20000000.00,false" in text
    r = CliRunner().invoke(main, ["stress", str(tiny), "--default", "E1,NOPE", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "NOPE" in r.output
    r = CliRunner().invoke(main, ["stress", str(tiny), "--default", " , ", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2


@pytest.mark.skipif(not (SAMPLE / "entities.csv").exists(), reason="no data/sample")
def test_sample_reconciles():
    ds = load_dataset(SAMPLE)
    res = run_risk(build_book(ds))
    g, m = res.tables["risk_groups"], res.tables["risk_group_members"]
    # the groups partition the book: its outstanding, and its measured exposure (tested + exempt)
    assert int(g["outstanding_fen"].sum()) == ds.total_outstanding_fen
    assert int(g["exposure_fen"].sum() + g["exempt_fen"].sum()) == res.exposure.total
    assert res.exposure.total == int(res.tables["facility_exposures"]["exposure_fen"].sum())
    assert int(g["exempt_fen"].sum()) > 0  # the sample's policy bank
    customers = sorted(ds.entities.loc[ds.entities["is_customer"], "id"])
    assert sorted(c for cs in g["customers"] for c in cs) == customers
    assert sorted(m.loc[m["is_customer"], "entity_id"]) == customers


@pytest.mark.parametrize("module", ["_numbers", "groups", "guarantees", "sources", "contagion", "concentration"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"channelgraph.risk.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
