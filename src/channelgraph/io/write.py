"""Writing outputs: CSV that Excel opens safely, and JSON twins.

Conventions every analysis follows:

* money columns in result tables are integer fen and their names end in ``_fen``;
  the writers turn them into yuan with two decimals and drop the suffix
  (``exposure_fen`` → ``exposure`` = ``"1234.50"``). JSON carries them as strings
  so that no reader turns them into floats.
* CSV is UTF-8 *with* BOM, so Excel shows Chinese correctly; a text cell that
  starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with
  ``'`` so that Excel does not run it as a formula (plain numbers are left alone).
"""

from __future__ import annotations

import csv
import json
import math
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..model import format_yuan

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")


def neutralise_cell(value: str) -> str:
    """Make a text cell safe to open in Excel (formula injection, CWE-1236).

    >>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_cell("-12.50")
    '-12.50'
    """
    if value and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _cell(v) -> object:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, Decimal):
        return str(v)
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v


def output_frame(df: pd.DataFrame) -> tuple[list[str], list[list]]:
    """Column names and rows as they are written: fen columns formatted as yuan."""
    names: list[str] = []
    cols: list[list] = []
    for c in df.columns:
        values = df[c].tolist()
        if isinstance(c, str) and c.endswith("_fen"):
            names.append(c[:-4])
            cols.append([None if _cell(v) is None else format_yuan(int(v)) for v in values])
        else:
            names.append(str(c))
            cols.append([_cell(v) for v in values])
    rows = [list(r) for r in zip(*cols)] if cols else []
    return names, rows


def _csv_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return ";".join(map(str, v))
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return neutralise_cell(str(v))


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    names, rows = output_frame(df)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(names)
        for r in rows:
            w.writerow([_csv_text(v) for v in r])
    return path


def write_json(data, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=False, default=_json_default)
        fh.write("\n")
    return path


def _json_default(o):
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def table_records(df: pd.DataFrame) -> list[dict]:
    names, rows = output_frame(df)
    return [dict(zip(names, r)) for r in rows]


def write_table(df: pd.DataFrame, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.csv`` and its JSON twin ``name.json`` into *out_dir*."""
    out_dir = Path(out_dir)
    return [write_csv(df, out_dir / f"{name}.csv"), write_json(table_records(df), out_dir / f"{name}.json")]
