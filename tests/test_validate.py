"""Every validation rule names file, line (header = line 1), column, value and reason."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import ENTITIES, EXPOSURES, RELATIONS, SCHEMES

from channelgraph.cli import main
from channelgraph.io import DatasetError, load_dataset


def problems_of(path, **kw):
    with pytest.raises(DatasetError) as info:
        load_dataset(path, **kw)
    return info.value.problems


def has(problems, file, line, column, reason_part, value=None):
    for p in problems:
        if (
            p.file == file
            and p.line == line
            and p.column == column
            and reason_part in p.reason
            and (value is None or p.value == value)
        ):
            return True
    raise AssertionError(f"no problem {file}:{line} {column} ~{reason_part!r} in:\n" + "\n".join(map(str, problems)))


def test_tiny_dataset_is_valid(tiny):
    ds = load_dataset(tiny)
    assert len(ds.entities) == 8
    assert ds.total_outstanding_fen == 100000000 + 25000050 + 9999 + 30000000
    s = ds.summary()
    assert s["customers"] == 4 and s["prospects"] == 1
    assert s["types"]["GUARANTEES"] == 2
    assert ds.exposures["status"].tolist() == ["normal", "special_mention", "normal", "normal"]
    assert ds.entities.set_index("id").loc["P1", "is_customer"]
    assert ds.entities.set_index("id").loc["E1", "net_assets"] == 6_000_000_000


def test_extra_columns_are_kept(make_dataset):
    ent = ENTITIES.replace(
        "id,kind,name,is_customer,net_assets,industry,region",
        "id,kind,name,is_customer,net_assets,industry,region,phone",
    )
    ent = "\n".join(line + (",13800000000" if i else "") for i, line in enumerate(ent.strip().split("\n"))) + "\n"
    ds = load_dataset(make_dataset(entities=ent))
    assert ds.entities["phone"].iloc[0] == "13800000000"


ENTITY_CASES = [
    ("P1,persn,张三,true,,,", "kind", "unknown kind"),
    ("P1,person,,true,,,", "name", "is empty but required"),
    (",person,王五,true,,,", "id", "is empty but required"),
    ("P9,person,王五,maybe,,,", "is_customer", "not a yes/no value"),
    ("P9,person,王五,true,-5,,", "net_assets", "negative"),
    ("P9,person,王五,true,1.234,,", "net_assets", "more than 2 decimals"),
    ("P9,person,王五,true,12abc,,", "net_assets", "not a number"),
    ("P9,person,王五,true,99999999999999999,,", "net_assets", "absurdly large"),
    ("C9,chamber,某商会,true,,,", "is_customer", "cannot be a borrowing customer"),
    ("P9,person," + "长" * 201 + ",true,,,", "name", "longer than 200"),
]


@pytest.mark.parametrize("row,column,reason", ENTITY_CASES)
def test_entity_rules(make_dataset, row, column, reason):
    probs = problems_of(make_dataset(entities=ENTITIES + row + "\n"))
    has(probs, "entities.csv", 10, column, reason)


def test_duplicate_id_names_first_line(make_dataset):
    probs = problems_of(make_dataset(entities=ENTITIES + "E2,enterprise,重复,true,,,\n"))
    has(probs, "entities.csv", 10, "id", "duplicate id (first on line 5)", value="E2")


RELATION_CASES = [
    ("P1,E9,REFERRED,,,", "dst", "dangling reference"),
    ("X1,E1,REFERRED,,,", "src", "dangling reference"),
    ("P1,E1,OWNS,,,", "type", "unknown relation type"),
    ("P1,E1,MEMBER_OF,,,", "dst", "MEMBER_OF cannot end at a enterprise"),
    ("E1,C1,TRADES_IN,,,", "dst", "TRADES_IN cannot end at a chamber"),
    ("E1,M1,SOURCED_VIA,,,", "dst", "SOURCED_VIA cannot end at a market"),
    ("E1,P1,FAMILY,,,", "src", "FAMILY cannot start at a enterprise"),
    ("C1,E1,CONTROLS,,0.6,", "src", "CONTROLS cannot start at a chamber"),
    ("E1,E1,GUARANTEES,100,,", "dst", "self-loop"),
    ("P1,P1,CONTROLS,,0.6,", "dst", "self-loop"),
    ("P1,E2,CONTROLS,,,", "share", "requires a share"),
    ("P1,E2,CONTROLS,,1.2,", "share", "share outside 0–1"),
    ("P1,E2,CONTROLS,,-0.1,", "share", "share outside 0–1"),
    ("P1,E2,CONTROLS,,abc,", "share", "not a number"),
    ("E3,E2,GUARANTEES,,,", "amount", "requires an amount"),
    ("E3,E2,GUARANTEES,-100,,", "amount", "negative"),
    ("E3,E2,GUARANTEES,1.001,,", "amount", "more than 2 decimals"),
    ("E1,E2,GUARANTEES,100,,", "type", "duplicate relation"),
    ("P2,P1,FAMILY,,,", "type", "duplicate relation"),  # undirected: same pair reversed
    ("E1,E2,EMPLOYS,,,", "dst", "EMPLOYS cannot end at a enterprise"),
]


@pytest.mark.parametrize("row,column,reason", RELATION_CASES)
def test_relation_rules(make_dataset, row, column, reason):
    probs = problems_of(make_dataset(relations=RELATIONS + row + "\n"))
    has(probs, "relations.csv", 10, column, reason)


EXPOSURE_CASES = [
    ("F1,E1,5,,,,", "facility_id", "duplicate id (first on line 2)"),
    ("F9,E9,5,,,,", "customer_id", "dangling reference"),
    ("F9,C1,5,,,,", "customer_id", "must be a person or enterprise"),
    ("F9,P2,5,,,,", "customer_id", "is_customer is false"),
    ("F9,E1,,,,,", "outstanding", "amount is required"),
    ("F9,E1,-1,,,,", "outstanding", "negative"),
    ("F9,E1,1.005,,,,", "outstanding", "more than 2 decimals"),
    ("F9,E1,5,x,,,", "limit", "not a number"),
    ("F9,E1,5,,,S9,", "scheme_id", "dangling reference"),
    ("F9,E1,5,,,,bad", "status", "unknown five-class status"),
]


@pytest.mark.parametrize("row,column,reason", EXPOSURE_CASES)
def test_exposure_rules(make_dataset, row, column, reason):
    probs = problems_of(make_dataset(exposures=EXPOSURES + row + "\n"))
    has(probs, "exposures.csv", 6, column, reason)


@pytest.mark.parametrize(
    "row,column,reason",
    [
        ("S1,C1,重复,", "scheme_id", "duplicate id"),
        ("S2,C9,某方案,", "channel_id", "dangling reference"),
        ("S2,E1,某方案,", "channel_id", "must be a chamber, market or intermediary"),
        ("S2,C1,,", "name", "is empty but required"),
    ],
)
def test_scheme_rules(make_dataset, row, column, reason):
    probs = problems_of(make_dataset(schemes=SCHEMES + row + "\n"))
    has(probs, "schemes.csv", 3, column, reason)


def test_every_problem_is_collected_not_just_the_first(make_dataset):
    ent = ENTITIES + "P8,persn,A,true,,,\nP9,person,B,maybe,,,\n"
    rel = RELATIONS + "P1,E9,REFERRED,,,\n"
    exp = EXPOSURES + "F9,E1,abc,,,,\n"
    probs = problems_of(make_dataset(entities=ent, relations=rel, exposures=exp))
    assert {(p.file, p.line) for p in probs} >= {
        ("entities.csv", 10),
        ("entities.csv", 11),
        ("relations.csv", 10),
        ("exposures.csv", 6),
    }


def test_missing_files_and_columns(make_dataset, tmp_path):
    folder = make_dataset(relations="src,dst\nP1,E1\n")
    (folder / "exposures.csv").unlink()
    probs = problems_of(folder)
    has(probs, "relations.csv", 1, "type", "required column is missing")
    assert any(p.file == "exposures.csv" and "is missing" in p.reason for p in probs)
    probs = problems_of(tmp_path / "nowhere")
    assert "does not exist" in probs[0].reason


@pytest.mark.parametrize(
    "text,line,reason",
    [
        ("", 1, "is empty"),
        ("id,kind,name\n", 1, "no rows"),
        ("id,kind,name,id\nP1,person,x,y\n", 1, "appears twice"),
        ("id,kind,name\nP1,person\n", 2, "has 2 fields but the header has 3"),
        ("id,kind,name\nP1,person,张,三\n", 2, "has 4 fields"),
        ('id,kind,name\nP1,person,"unterminated\n', 2, "not valid CSV"),
        ("id,kind,name\nP1,person,a\x00b\n", 2, "NUL byte"),
    ],
)
def test_malformed_files(make_dataset, text, line, reason):
    probs = problems_of(make_dataset(entities=text))
    assert any(p.file == "entities.csv" and p.line == line and reason in p.reason for p in probs), probs


def test_quoted_newlines_keep_editor_line_numbers(make_dataset):
    ent = ENTITIES + 'P8,person,"多行\n名称",true,,,\nP9,persn,x,true,,,\n'
    probs = problems_of(make_dataset(entities=ent))
    has(probs, "entities.csv", 12, "kind", "unknown kind")  # record on lines 10–11, next starts at 12


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings_are_detected(make_dataset, encoding):
    folder = make_dataset(encoding=encoding)
    ds = load_dataset(folder)
    assert ds.entities.set_index("id").loc["C1", "name"] == "温州商会"
    assert ds.encodings["entities"] == {"gbk": "gb18030"}.get(encoding, encoding)


def test_forced_encoding(make_dataset):
    folder = make_dataset(encoding="gbk")
    assert load_dataset(folder, encoding="gbk").entities["name"].iloc[0] == "张三"
    probs = problems_of(folder, encoding="utf-8")
    assert any("cannot be decoded as utf-8" in p.reason for p in probs)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_utf16_is_named_even_with_a_forced_encoding(make_dataset, encoding):
    # decoded as GB18030 the bytes are nonsense; as UTF-8 a NUL on every line: neither is said
    folder = make_dataset()
    (folder / "entities.csv").write_bytes(ENTITIES.encode("utf-16"))
    probs = [p for p in problems_of(folder, encoding=encoding) if p.file == "entities.csv"]
    assert len(probs) == 1, probs
    has(probs, "entities.csv", 1, None, "is UTF-16 (byte-order mark FF FE): save it as UTF-8 or GB18030")


def test_mixed_encodings_are_refused_with_lines(make_dataset):
    folder = make_dataset()
    data = ENTITIES.encode("utf-8") + "P9,person,王五,true,,,\n".encode("gbk")
    (folder / "entities.csv").write_bytes(data)
    probs = problems_of(folder)
    has(probs, "entities.csv", 10, None, "mixes encodings")


def test_cli_validate_reports_and_exits_1(make_dataset):
    folder = make_dataset(entities=ENTITIES + "P9,persn,x,true,,,\n")
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 1
    assert "entities.csv:10, column kind, value 'persn': unknown kind" in r.output
    assert "Traceback" not in r.output
    r = CliRunner().invoke(main, ["validate", str(folder), "--json"])
    assert r.exit_code == 1 and '"line": 10' in r.output


def test_cli_validate_summary(tiny):
    r = CliRunner().invoke(main, ["validate", str(tiny)])
    assert r.exit_code == 0, r.output
    assert "is valid" in r.output and "1,550,100.49" in r.output


def test_every_dataset_command_refuses_bad_data(make_dataset, tmp_path):
    folder = make_dataset(exposures=EXPOSURES + "F9,E1,abc,,,,\n")
    r = CliRunner().invoke(main, ["analyze", str(folder), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1
    assert "exposures.csv:6, column outstanding" in r.output
    assert not (tmp_path / "o").exists()


def test_policy_problems_are_reported(make_dataset):
    folder = make_dataset(policy="tier1_capital = 'abc'\n")
    probs = problems_of(folder)
    assert any(p.file == "policy.toml" and "tier1_capital" in p.reason for p in probs)


# ----------------------------------------------------------------------------- issue 18 (e)

SHARE_FORMS = [
    ("0.51", 0.51),
    ("1", 1.0),
    (".5", 0.5),
    ("+0.3", 0.3),
    (" 0.6 ", 0.6),
    ("", None),
    ("5e-1", "an exponent"),
    ("5.1E-1", "an exponent"),
    ("０.５", "full-width"),
    ("0．5", "full-width"),
    ("51%", "write 51% as 0.51"),
    ("nan", "not a number"),
    ("inf", "not a number"),
    ("0_5", "not a number"),
    ("0x1", "not a number"),
    ("-0.1", "outside 0–1"),
    ("1.01", "outside 0–1"),
]


@pytest.mark.parametrize("text,want", SHARE_FORMS)
def test_shares_take_the_number_forms_amounts_take(text, want):
    from channelgraph.model import ShareError, parse_share

    if want is None or isinstance(want, float):
        assert parse_share(text) == want
    else:
        with pytest.raises(ShareError, match=want):
            parse_share(text)


def test_amount_messages_name_the_likely_cause():
    from channelgraph.model import AmountError, parse_yuan

    for text, cause in (("1e6", "exponent"), ("１２３", "full-width"), ("12abc", "not a number of yuan")):
        with pytest.raises(AmountError, match=cause):
            parse_yuan(text)


SINCE = [
    "2024-01-31",
    "2024-02-29",
    "2023-02-29",
    "2024-04-31",
    "2024-00-10",
    "2024-13-01",
    "1899-12-31",
    "1900-01-01",
    "2100-12-31",
    "2101-01-01",
    "0224-01-01",
    "2024",
    "2024-06",
    "2024-6",
    "2024/06/01",
    "20240601",
    "2024-06-01T00:00",
    "２０２４-06-01",
    "",
    " 2024-06-01 ",
    "去年",
    "2024-06-01 ",
]


def test_vectorised_since_equals_since_problem():
    import numpy as np

    from channelgraph.io.validate import _since_problems
    from channelgraph.model import since_problem

    values = np.array(SINCE, dtype=object)
    assert _since_problems(values) == [since_problem(v) for v in SINCE]
    plain = np.array([v for v in SINCE if len(v) == 10 and v.isascii()], dtype=object)
    assert _since_problems(plain) == [since_problem(v) for v in plain]


def test_since_accepts_partial_and_future_dates_refuses_the_rest(make_dataset):
    rel = "src,dst,type,amount,share,role,since\n" + "".join(line + ",\n" for line in RELATIONS.strip().split("\n")[1:])
    rel += "P2,E3,REFERRED,,,,2031-05\nE3,P2,REFERRED,,,,1999\nE1,P2,EMPLOYS,,,,2024-02-30\n"
    probs = problems_of(make_dataset(relations=rel))
    assert [(p.line, p.column, p.value) for p in probs] == [(12, "since", "2024-02-30")]
    assert "February 2024 has no day 30" in probs[0].reason


def test_character_checks_agree_on_both_paths():
    """ASCII columns are checked as bytes, others by a table over code points: both find what the regex finds."""
    import numpy as np

    from channelgraph.io.validate import _BAD_ID, _CONTROL, _ascii, _rows_with

    ascii_values = ["E1", "E\t2", "E 3", "E\x7f4", "\x015", "E6\x1f", "~7"]
    other = ["中", "E\u200b", "\u202eX", "Y\u00ad", "Z\ufeff", "é", "\U000e0041t", "e\u0301", "\u3000", "\x85"]
    for values in (ascii_values, ascii_values + other):
        arr = np.array(values, dtype=object)
        for pattern in (_BAD_ID, _CONTROL):
            want = [i for i, v in enumerate(values) if pattern.search(v)]
            assert _rows_with(arr, _ascii(arr), pattern).tolist() == want, (values, pattern)
            assert _rows_with(arr, None, pattern).tolist() == want


def test_character_hits_map_to_their_rows():
    """Hits in the joined code points map back to the right rows: empty cells, astral
    characters, several hits in one cell, hits at a cell's first and last character."""
    import numpy as np

    from channelgraph.io.validate import _BAD_ID, _rows_with

    pieces = ["", "中", "\U0001f600", "\u200b", "ab", "\u200b\u200b", "\ufeffx", "x\u2060", " "]
    rng = np.random.default_rng(7)
    values = ["".join(rng.choice(pieces, size=rng.integers(0, 4)).tolist()) for _ in range(2_000)]
    want = [i for i, v in enumerate(values) if _BAD_ID.search(v)]
    assert 0 < len(want) < len(values)
    assert _rows_with(np.array(values, dtype=object), None, _BAD_ID).tolist() == want


def test_ids_are_never_normalised(make_dataset):
    nfd = "Mu\u0308ller"
    ds = load_dataset(
        make_dataset(
            entities=ENTITIES + f"{nfd},person,穆勒,false,,,\n", relations=RELATIONS + f"{nfd},P1,REFERRED,,,\n"
        )
    )
    assert nfd in ds.entities["id"].tolist() and nfd in ds.relations["src"].tolist()


def test_an_unknown_kind_is_not_a_dangling_reference_everywhere(make_dataset):
    probs = problems_of(make_dataset(entities=ENTITIES.replace("E2,enterprise,", "E2,enterprize,")))
    assert [(p.file, p.column) for p in probs] == [("entities.csv", "kind")]


def test_an_invisible_id_is_one_problem_not_two(make_dataset):
    probs = problems_of(make_dataset(exposures=EXPOSURES + "F9,E\u200b1,5,,,S\u200b1,\n"))
    assert sorted((p.column, p.value) for p in probs) == [("customer_id", "E\u200b1"), ("scheme_id", "S\u200b1")]
    assert all("ZERO WIDTH SPACE (U+200B)" in p.reason for p in probs)


def test_missing_entities_are_reported_once_per_dependent_file(make_dataset):
    folder = make_dataset(relations=RELATIONS + "".join(f"P1,X{i},REFERRED,,,\n" for i in range(200)))
    (folder / "entities.csv").unlink()
    probs = problems_of(folder)
    assert [(p.file, p.line) for p in probs] == [
        ("entities.csv", None),
        ("exposures.csv", 1),
        ("relations.csv", 1),
        ("schemes.csv", 1),
    ]
    assert "src and dst not checked against entities.csv: entities.csv is missing" in probs[2].reason


def test_data_folder_problems(tmp_path, tiny):
    assert "is a file, not a folder" in problems_of(tiny / "entities.csv")[0].reason
    assert "does not exist" in problems_of(tmp_path / "none")[0].reason
