"""Outputs safe for Excel: UTF-8 with BOM, formula-like cells neutralised, money exact."""

import json

import pandas as pd

from channelgraph.io.write import neutralise_cell, write_table


def test_csv_is_bom_utf8_with_neutralised_formulas_and_exact_money(tmp_path):
    df = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://evil")', "+86 138", "-12.50", "@SUM(A1)", "温州商会", "\tTAB", None],
            "exposure_fen": pd.array([123456789, 5, -250, 0, None, 10**17, 1], dtype="Int64"),
            "members": [["E1", "E2"], [], ["=x"], ["P1"], ["P2"], ["P3"], ["P4"]],
            "joins": [True, False, True, False, True, False, True],
            "share": [0.5, 0.25, 1.0, 0.0, 0.125, 0.75, 0.1],
        }
    )
    csv_path, json_path = write_table(df, tmp_path, "t")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "name,exposure,members,joins,share"
    assert lines[1].startswith('"\'=HYPERLINK(""http://evil"")"') and ",1234567.89,E1;E2,true,0.5" in lines[1]
    assert lines[2].startswith("'+86 138,0.05,")
    assert lines[3].startswith("-12.50,-2.50,'=x,")  # a plain number stays a number
    assert lines[4].startswith("'@SUM(A1),0.00,")
    assert lines[5].startswith("温州商会,,P2,")
    assert lines[6].startswith("'\tTAB,1000000000000000.00,") or lines[6].startswith('"\'\tTAB"')
    rows = json.loads(json_path.read_text(encoding="utf-8"))
    assert rows[0]["exposure"] == "1234567.89" and rows[0]["members"] == ["E1", "E2"]
    assert rows[4]["exposure"] is None and rows[6]["name"] is None
    assert rows[0]["name"] == '=HYPERLINK("http://evil")'  # JSON carries the data verbatim


def test_neutralise_cell():
    assert neutralise_cell("=1+1") == "'=1+1"
    assert neutralise_cell("-5") == "-5"
    assert neutralise_cell("normal") == "normal"


def test_empty_table(tmp_path):
    df = pd.DataFrame({"a": pd.Series([], dtype=object), "x_fen": pd.array([], dtype="Int64")})
    csv_path, json_path = write_table(df, tmp_path, "e")
    assert csv_path.read_text(encoding="utf-8-sig").strip() == "a,x"
    assert json.loads(json_path.read_text()) == []
