"""The fast, column-wise table writer against the per-cell reference, byte for byte.

The reference is the writer as it was before the column-wise one: ``output_frame`` +
``_csv_column`` + pandas ``to_csv`` for the CSV, ``table_records`` + ``json.dumps`` for
the JSON twin. Both must give the same bytes on every table, including the awkward
cells: formula-like text, negative fen, missing values in integer and money columns,
lists, dicts, Chinese text, quotes and line breaks inside text, floats.
"""

from __future__ import annotations

import io
import json
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelgraph.io import write as w
from channelgraph.io.write import (
    PRETTY_JSON_MAX_RECORDS,
    _csv_column,
    _json_default,
    output_frame,
    table_records,
    write_csv,
    write_table,
)


def reference_csv(df: pd.DataFrame) -> bytes:
    """The CSV as the per-cell reference writes it (pandas' csv writer on the neutralised text)."""
    view = output_frame(df)
    text = pd.DataFrame({c: _csv_column(view[c]) for c in view.columns}, index=range(len(view)))
    buf = io.StringIO()
    text.to_csv(buf, index=False, lineterminator="\r\n")
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def reference_json(df: pd.DataFrame) -> bytes:
    """The JSON twin as the per-cell reference writes it (records through ``json.dumps``)."""
    records = table_records(df)
    indent = 2 if len(records) <= w.PRETTY_JSON_MAX_RECORDS else None
    text = json.dumps(records, ensure_ascii=False, indent=indent, default=_json_default)
    return (text + "\n").encode("utf-8")


def assert_same_as_reference(df: pd.DataFrame, tmp_path, name: str = "t") -> tuple[bytes, bytes]:
    csv_path, json_path = write_table(df, tmp_path, name)
    got_csv, got_json = csv_path.read_bytes(), json_path.read_bytes()
    assert got_csv == reference_csv(df)
    assert got_json == reference_json(df)
    written = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(name + "."))
    assert written == [f"{name}.csv", f"{name}.json"]  # no partial file left behind
    return got_csv, got_json


TRICKY_TEXT = [
    '=HYPERLINK("http://evil")',
    "+86 138",
    "-12.50",
    "+5",
    "-",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "-1e-05",
    "1e5",
    "-12\n",
    "-inf",
    "温州商会",
    "绍兴柯桥飞永染整有限公司",
    "a,b",
    'say "hi"',
    "line1\nline2",
    "line1\r\nline2",
    "back\\slash",
    "ctrl\x01char",
    "unit\x1fsep",
    "del\x7f",
    "broken¦bar",
    "",
    " lead space",
    "E000001 → E002388 supply 62% ≥ 50%",
    "'quoted already",
    "emoji 😀",
    "\u2028sep",
    "null",
    "true",
    "a;b",
    "-١٢",
    "pipe|",
    "",
]


@pytest.mark.parametrize("layout", ["pretty", "compact"])
def test_tricky_cells_match_reference(tmp_path, monkeypatch, layout):
    if layout == "compact":
        monkeypatch.setattr(w, "PRETTY_JSON_MAX_RECORDS", 0)
    n = len(TRICKY_TEXT)
    fen = [123456789, 5, -250, 0, None, 10**17, 1, -1, -99, -100, -101] * 4
    df = pd.DataFrame(
        {
            "name": TRICKY_TEXT,
            "exposure_fen": pd.array(fen[:n], dtype="Int64"),
            "limit_fen": np.arange(n, dtype=np.int64) * -37,
            "members": [[t, "E1"] if i % 3 else [] for i, t in enumerate(TRICKY_TEXT)],
            "joins": [bool(i % 2) for i in range(n)],
            "maybe": pd.array([None if i % 4 == 0 else bool(i % 2) for i in range(n)], dtype="boolean"),
            "count": pd.array([None if i % 5 == 0 else i - 7 for i in range(n)], dtype="Int64"),
            "share": [
                0.5,
                0.1,
                1e-7,
                -0.0,
                float("nan"),
                float("inf"),
                float("-inf"),
                1e22,
                5e-324,
                2 / 3,
                123456789.123,
                -1.5,
            ]
            * 2
            + [0.0] * (n - 24),
            "text_or_none": [None if i % 3 == 0 else t for i, t in enumerate(TRICKY_TEXT)],
            "rank": np.arange(n, dtype=np.int64),
        }
    )
    got_csv, got_json = assert_same_as_reference(df, tmp_path)
    lines = got_csv.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "name,exposure,limit,members,joins,maybe,count,share,text_or_none,rank"
    assert lines[1].startswith('"\'=HYPERLINK(""http://evil"")",1234567.89,0.00,,false')


@pytest.mark.parametrize("layout", ["pretty", "compact"])
def test_lists_without_empty_arrays(tmp_path, monkeypatch, layout):
    """Every array non-empty: brackets and quotes go into the record's constant parts."""
    if layout == "compact":
        monkeypatch.setattr(w, "PRETTY_JSON_MAX_RECORDS", 0)
    df = pd.DataFrame(
        {
            "members": [["E1"], ["E2", "温州商会"], ["=x", "a,b"]],
            "plain": [["a"], ["b", "c"], ["d"]],
            "escaped": [['say "hi"'], ["back\\slash"], ["tab\tin"]],
        }
    )
    assert_same_as_reference(df, tmp_path)


def test_repeated_values_are_formatted_once_with_the_same_bytes(tmp_path):
    rng = np.random.default_rng(7)
    n = 3_000
    floats = np.array([0.0, -0.0, 0.1, 1 / 3, float("nan"), float("inf"), -float("inf"), 2.5e-8])
    df = pd.DataFrame(
        {
            "count": rng.integers(-50, 50, n),
            "big": rng.choice(np.array([2**63 - 1, -(2**63), 10**12, -7]), n),
            "huge": rng.choice(np.array([2**64 - 1, 2**63, 5], dtype=np.uint64), n),
            "rank": np.arange(n, dtype=np.int64),
            "limit_fen": rng.choice(np.array([0, -1, 99, -100, 123456789, -(10**14)]), n),
            "maybe_fen": pd.array(rng.choice(np.array([1, -250, 10**10, 0]), n), dtype="Int64"),
            "ratio": rng.choice(floats, n),
            "ratio32": rng.choice(floats, n).astype(np.float32),
            "share": rng.random(n),
        }
    )
    df.loc[rng.random(n) < 0.3, "maybe_fen"] = None
    assert_same_as_reference(df, tmp_path)


def test_money_edges(tmp_path):
    df = pd.DataFrame(
        {
            "a_fen": pd.array([None, -1, -100, -12345, 99, 100, 2**62, None], dtype="Int64"),
            "b_fen": np.array([0, -5, 7, -(10**15), 1, 2, 3, 4], dtype=np.int64),
            "c_fen": pd.array([None] * 8, dtype="Int64"),
        }
    )
    got_csv, got_json = assert_same_as_reference(df, tmp_path)
    rows = json.loads(got_json)
    assert [r["a"] for r in rows[:5]] == [None, "-0.01", "-1.00", "-123.45", "0.99"]
    assert rows[3]["b"] == "-10000000000000.00" and rows[0]["c"] is None


def test_object_columns_follow_the_reference_inference(tmp_path):
    df = pd.DataFrame(
        {
            "ints_with_none": pd.Series([1, None, 3], dtype=object),  # → float64 in the reference: "1.0"
            "ints": pd.Series([1, 2, -3], dtype=object),
            "mixed": pd.Series([Decimal("1.50"), np.int64(4), {"b": 1, "a": [1, 2]}], dtype=object),
            "tuples": pd.Series([("x", "y"), ("=z",), ()], dtype=object),
            "nested": pd.Series([["a", 1], {"k": "温"}, None], dtype=object),
            "sets": pd.Series([{"b", "a"}, frozenset(), {"c"}], dtype=object),
            "bools": pd.Series([True, None, False], dtype=object),
            "floats": pd.Series([0.1, float("nan"), -2.5], dtype=object),
            "strs": pd.Series(["a", None, float("nan")], dtype=object),
            "all_none": pd.Series([None, None, None], dtype=object),
        }
    )
    got_csv, _ = assert_same_as_reference(df, tmp_path)
    assert got_csv.decode("utf-8-sig").split("\r\n")[1].startswith("1.0,1,1.50,")


def test_float_columns(tmp_path):
    values = [0.1, 1 / 3, -0.0, 1e-300, 1.7976931348623157e308, float("nan"), float("inf"), -float("inf"), 100.0]
    df = pd.DataFrame(
        {
            "f64": values,
            "f32": np.array([v if abs(v) < 1e38 else v * 0 for v in values], dtype=np.float32),
            "finite": [v if math.isfinite(v) else 0.0 for v in values],
        }
    )
    assert_same_as_reference(df, tmp_path)


def test_single_column_and_odd_headers(tmp_path):
    assert_same_as_reference(pd.DataFrame({"only": ["", "x", None, ""]}), tmp_path, "one")
    assert_same_as_reference(pd.DataFrame({"": ["", "x"]}), tmp_path, "blank")
    odd = pd.DataFrame({"a,b": [1], 'q"uote': ["x"], "温州": ["y"], "=f": ["z"], 7: [True]})
    assert_same_as_reference(odd, tmp_path, "odd")


def test_empty_and_columnless_tables(tmp_path):
    assert_same_as_reference(
        pd.DataFrame({"a": pd.Series([], dtype=object), "x_fen": pd.array([], dtype="Int64")}), tmp_path, "empty"
    )
    assert_same_as_reference(pd.DataFrame(index=range(3)), tmp_path, "nocols")
    assert_same_as_reference(pd.DataFrame(), tmp_path, "nothing")


@pytest.mark.parametrize("rows", [PRETTY_JSON_MAX_RECORDS, PRETTY_JSON_MAX_RECORDS + 1])
def test_pretty_and_compact_json_at_the_threshold(tmp_path, rows):
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "id": [f"E{i:06d}" for i in range(rows)],
            "amount_fen": pd.array(
                np.where(rng.random(rows) < 0.2, None, rng.integers(-(10**9), 10**9, rows)), dtype="Int64"
            ),
            "ids": [[f"P{i}", "=x"] if i % 7 == 0 else [] for i in range(rows)],
            "share": rng.random(rows),
            "flag": rng.random(rows) < 0.5,
        }
    )
    _, got_json = assert_same_as_reference(df, tmp_path)
    assert got_json.startswith(b"[\n  {\n") == (rows <= PRETTY_JSON_MAX_RECORDS)


def test_many_blocks_give_the_same_bytes(tmp_path, monkeypatch):
    """Blocks of a few rows: each column switches between the fast and the per-cell path."""
    monkeypatch.setattr(w, "_BLOCK_CELLS", 1)
    monkeypatch.setattr(w, "_BLOCK_BYTES", 1)
    monkeypatch.setattr(w, "_MIN_BLOCK_ROWS", 3)
    texts = ["plain", "=f", 'q"', "a,b", None, "温", "ctl\x02", "x¦y", "-5", "ok"] * 3
    df = pd.DataFrame(
        {
            "t": texts,
            "n_fen": pd.array([None if i % 4 == 0 else i * -13 for i in range(len(texts))], dtype="Int64"),
            "l": [[t] if t else [] for t in texts],
            "f": [float("nan") if i % 5 == 0 else i / 7 for i in range(len(texts))],
        }
    )
    assert_same_as_reference(df, tmp_path)


def test_writer_thread_gives_the_same_bytes(tmp_path, monkeypatch):
    """Big tables hand their blocks to a writer thread: same bytes, in order."""
    monkeypatch.setattr(w, "QUEUED_WRITE_MIN_ROWS", 0)
    monkeypatch.setattr(w, "_BLOCK_CELLS", 1)
    monkeypatch.setattr(w, "_BLOCK_BYTES", 1)
    monkeypatch.setattr(w, "_MIN_BLOCK_ROWS", 3)
    df = pd.DataFrame({"t": [f"row {i} 温" for i in range(500)], "n_fen": np.arange(500) * 7})
    assert_same_as_reference(df, tmp_path)


def test_writer_thread_error_reaches_the_caller_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(w, "QUEUED_WRITE_MIN_ROWS", 0)

    class Full:
        def __init__(self, path):
            self.fh = open(path, "wb")

        def write(self, data):
            raise OSError(28, "No space left on device")

        def close(self):
            self.fh.close()

    monkeypatch.setattr(w, "open", lambda path, mode: Full(path), raising=False)
    df = pd.DataFrame({"a": ["x"] * 10, "v_fen": range(10)})
    with pytest.raises(OSError, match="No space"):
        write_table(df, tmp_path / "out", "t")
    assert list((tmp_path / "out").iterdir()) == []


def test_write_csv_alone_and_no_partial_files_on_error(tmp_path):
    df = pd.DataFrame({"a": ["=1", "b"], "x_fen": [1, -2]})
    path = write_csv(df, tmp_path / "only.csv")
    assert path.read_bytes() == reference_csv(df)
    assert w._write_json_records(df, tmp_path / "only.json").read_bytes() == reference_json(df)

    bad = pd.DataFrame({"ok": ["a", "b"], "obj": pd.Series([object(), object()], dtype=object)})
    with pytest.raises(TypeError):
        write_table(bad, tmp_path / "bad", "bad")
    assert list((tmp_path / "bad").iterdir()) == []


def test_non_default_index_is_written_by_position(tmp_path):
    df = pd.DataFrame({"a": ["x", "y"], "v_fen": [100, 250]}, index=[0, 1])
    shifted = df.copy()
    shifted.index = [10, 11]
    write_table(shifted, tmp_path, "s")
    assert (tmp_path / "s.csv").read_bytes() == reference_csv(df)
    assert (tmp_path / "s.json").read_bytes() == reference_json(df)


_TEXT = st.text(alphabet=st.sampled_from(list("aZ09 ,;\"'\\=+-@.\t\r\n\x00\x1f¦温→😀eE")), max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), _TEXT),
            st.one_of(st.none(), st.integers(-(10**12), 10**12)),
            st.lists(_TEXT, max_size=3),
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_random_tables_match_reference(tmp_path, rows):
    df = pd.DataFrame(
        {
            "text": [r[0] for r in rows],
            "money_fen": pd.array([r[1] for r in rows], dtype="Int64"),
            "items": pd.Series([r[2] for r in rows], dtype=object),
            "ratio": pd.Series([np.nan if r[3] is None else r[3] for r in rows], dtype=float),
            "flag": pd.Series([r[4] for r in rows], dtype=bool),
        }
    )
    for p in tmp_path.glob("t.*"):
        p.unlink()
    assert_same_as_reference(df, tmp_path)


def test_writing_again_replaces_the_files_and_leaves_nothing_aside(tmp_path):
    first = pd.DataFrame({"group_id": ["G1", "G2"], "exposure_fen": [100, 250]})
    second = pd.DataFrame({"group_id": ["G9"], "exposure_fen": [12345]})
    write_table(first, tmp_path, "risk_groups")
    assert_same_as_reference(second, tmp_path, "risk_groups")  # over the first table's files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["risk_groups.csv", "risk_groups.json"]


def test_a_folder_in_the_way_is_an_error_and_stays(tmp_path):
    (tmp_path / "risk_groups.csv").mkdir()
    with pytest.raises(OSError):
        write_table(pd.DataFrame({"group_id": ["G1"]}), tmp_path, "risk_groups")
    assert (tmp_path / "risk_groups.csv").is_dir()
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.old"))


def test_a_filtered_frame_keeps_its_values():
    # rows 1 and 3 of a table: the frame people see is numbered 0, 1 and keeps every value
    # (the numeric columns once kept their old index and showed NaN beside the text columns)
    df = pd.DataFrame(
        {
            "id": ["A", "B", "C", "D"],
            "rank": [1, 2, 3, 4],
            "score": [0.5, 0.4, 0.3, 0.2],
            "amount_fen": [100, 250, 0, 7],
        }
    )
    shown = output_frame(df[df["id"].isin(["B", "D"])])
    assert shown.index.tolist() == [0, 1]
    assert shown.to_dict("list") == {"id": ["B", "D"], "rank": [2, 4], "score": [0.4, 0.2], "amount": ["2.50", "0.07"]}
