"""The bad-input corpus: every case in tests/bad_input/ through the API and the CLI.

Each case is a folder ``tests/bad_input/<case>/`` holding only the files that differ from
the valid base dataset (conftest's ``tiny``) plus ``expect.json``:

``{"valid": false, "problems": [{"file", "line", "column", "reason_contains"[, "value"]}, …]}``
    the dataset is refused with exactly these problems, in the order ``DatasetError``
    sorts them (file, line, column, reason). ``validate`` and ``analyze`` exit 1 and print
    every problem exactly as ``str(problem)`` — file:line, column, value: reason — never a
    traceback; ``validate --json`` lists the same problems.
``{"valid": true[, "counts", "rows", "encodings", "neutralised"]}``
    the dataset loads (``counts``: rows per table, so nothing is dropped silently;
    ``rows``: cells stored verbatim, by the table's id; ``encodings`` as detected), and
    ``validate`` and ``analyze`` exit 0; ``neutralised`` lists formula-like values that the
    CSV outputs must carry only behind a leading ``'`` (the JSON outputs verbatim).

Optional keys: ``remove`` (base files to delete), ``reason_not_contains`` (text no reason
may contain), ``xfail`` ("BUG: …": a known bug; the case is a strict xfail), ``description``.
Adding a case is adding a folder.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelgraph.cli import main
from channelgraph.io import DatasetError, load_dataset
from conftest import write_dataset

CORPUS = Path(__file__).resolve().parent / "bad_input"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.json").is_file())
TABLE_KEYS = {"entities": "id", "exposures": "facility_id", "schemes": "scheme_id"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def _expect(name: str) -> dict:
    return json.loads((CORPUS / name / "expect.json").read_text(encoding="utf-8"))


def _params():
    for name in CASES:
        reason = _expect(name).get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(name, id=name, marks=marks)


def _materialise(name: str, folder: Path) -> Path:
    """The base dataset with the case's files laid over it (and its ``remove`` files deleted)."""
    write_dataset(folder)
    for f in _expect(name).get("remove", []):
        (folder / f).unlink()
    for f in (CORPUS / name).iterdir():
        if f.name != "expect.json":
            shutil.copyfile(f, folder / f.name)
    return folder


def _matches(problem, want: dict) -> bool:
    return (
        problem.file == want["file"]
        and problem.line == want["line"]
        and problem.column == want["column"]
        and want["reason_contains"] in problem.reason
        and ("value" not in want or problem.value == want["value"])
    )


def _check_problems(problems, expect: dict) -> None:
    listing = "\n".join(map(str, problems))
    wanted = expect["problems"]
    assert len(problems) == len(wanted), f"expected {len(wanted)} problems, got:\n{listing}"
    for p, want in zip(problems, wanted):
        assert _matches(p, want), f"expected {want}, got {p!r}; all:\n{listing}"
        assert p.file and p.reason
        if p.file.endswith(".csv") and "is missing from" not in p.reason:
            assert isinstance(p.line, int) and p.line >= 1, p  # a CSV problem always names its line
        if "reason_not_contains" in expect:
            assert expect["reason_not_contains"] not in p.reason, p


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit) or result.exception is None, repr(result.exception)


def _refused_by_cli(runner, args, problems) -> None:
    r = runner.invoke(main, args)
    _no_traceback(r)
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit)
    n = len(problems)
    assert f"✗ {n} problem{'s' if n != 1 else ''} in the dataset" in r.output
    report = "".join(f"  {p}\n" for p in problems)
    assert report in r.output, f"the CLI report differs from the problems:\n{r.output}\nexpected:\n{report}"


@pytest.mark.parametrize("name", list(_params()))
def test_case(name, tmp_path):
    expect = _expect(name)
    folder = _materialise(name, tmp_path / "data")
    runner = CliRunner()
    out = tmp_path / "out"
    if expect["valid"]:
        _check_valid(expect, folder, out, runner)
        return

    # the Python API
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    problems = info.value.problems
    _check_problems(problems, expect)

    # the CLI: same problems, every one printed as str(problem), exit 1, no traceback
    _refused_by_cli(runner, ["validate", str(folder), "--max-errors", "0"], problems)
    _refused_by_cli(runner, ["analyze", str(folder), "--out", str(out), "--max-errors", "0"], problems)
    assert not out.exists(), "analyze wrote outputs for a refused dataset"
    r = runner.invoke(main, ["validate", str(folder), "--json"])
    _no_traceback(r)
    assert r.exit_code == 1
    got = json.loads(r.stdout)
    assert got["valid"] is False
    assert got["problems"] == [p.to_dict() for p in problems]


def _check_valid(expect: dict, folder: Path, out: Path, runner) -> None:
    ds = load_dataset(folder)
    tables = {"entities": ds.entities, "relations": ds.relations, "exposures": ds.exposures, "schemes": ds.schemes}
    for table, n in expect.get("counts", {}).items():
        assert len(tables[table]) == n, f"{table}: {len(tables[table])} rows, expected {n} (a row dropped?)"
    for table, rows in expect.get("rows", {}).items():
        df = tables[table].set_index(TABLE_KEYS[table])
        for key, cells in rows.items():
            for column, value in cells.items():
                got = df.loc[key, column]
                assert (int(got) if isinstance(value, int) else got) == value, (table, key, column, got)
    for table, enc in expect.get("encodings", {}).items():
        assert ds.encodings[table] == enc, ds.encodings

    r = runner.invoke(main, ["validate", str(folder)])
    _no_traceback(r)
    assert r.exit_code == 0, r.output
    assert "is valid" in r.output
    r = runner.invoke(main, ["analyze", str(folder), "--out", str(out)])
    _no_traceback(r)
    assert r.exit_code == 0, r.output
    assert (out / "summary.json").is_file()
    _check_csv_cells_are_safe(out, expect.get("neutralised", []))


def _check_csv_cells_are_safe(out: Path, neutralised: list[str]) -> None:
    """No CSV cell starts like a formula (plain numbers aside); the listed values appear in CSV
    outputs only as ``'value`` and verbatim in the JSON twins."""
    seen_quoted: set[str] = set()
    for f in sorted(out.rglob("*.csv")):
        raw = f.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{f.name} is not UTF-8 with BOM"
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not (cell.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(cell)), (
                        f"{f.name}: cell {cell!r} would run as a formula"
                    )
                    if cell.startswith("'") and cell[1:] in neutralised:
                        seen_quoted.add(cell[1:])
    assert seen_quoted == set(neutralised), f"not found neutralised in any CSV: {set(neutralised) - seen_quoted}"
    if neutralised:
        strings: set[str] = set()

        def walk(x):
            if isinstance(x, str):
                strings.add(x)
            elif isinstance(x, dict):
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)

        for f in sorted(out.glob("*.json")):
            walk(json.loads(f.read_text(encoding="utf-8")))
        assert set(neutralised) <= strings, f"not verbatim in the JSON outputs: {set(neutralised) - strings}"


def test_corpus_is_large_and_covers_both_outcomes():
    expects = [_expect(n) for n in CASES]
    assert len(CASES) >= 40
    assert sum(e["valid"] for e in expects) >= 10
    assert sum(not e["valid"] for e in expects) >= 40
    for name, e in zip(CASES, expects):
        assert e["valid"] or e["problems"], name
        assert set(e) <= {
            "description",
            "valid",
            "problems",
            "counts",
            "rows",
            "encodings",
            "neutralised",
            "remove",
            "reason_not_contains",
            "xfail",
        }, name
        if "xfail" in e:
            assert e["xfail"].startswith("BUG: "), name
