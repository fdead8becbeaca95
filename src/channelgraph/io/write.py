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

import numpy as np
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


def _yuan_column(series: pd.Series) -> list:
    """Integer fen → yuan strings with two decimals (None stays None), vectorised."""
    if len(series) == 0:
        return []
    values = pd.array(series, dtype="Int64")
    mask = np.asarray(values.isna())
    fen = np.asarray(values.fillna(0), dtype=np.int64)
    q, r = np.divmod(np.abs(fen), 100)
    text = np.char.add(np.char.add(np.where(fen < 0, "-", ""), q.astype(str)),
                       np.char.add(".", np.char.zfill(r.astype(str), 2)))
    out = text.astype(object)
    out[mask] = None
    return out.tolist()


def output_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as it is written: ``*_fen`` columns become yuan strings without the suffix."""
    cols = {}
    for c in df.columns:
        if isinstance(c, str) and c.endswith("_fen"):
            cols[c[:-4]] = _yuan_column(df[c])
        else:
            cols[str(c)] = df[c].tolist() if df[c].dtype == object else df[c]
    return pd.DataFrame(cols, index=range(len(df)))


def _csv_text(v) -> str:
    v = _cell(v)
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
    return str(v)


def _csv_column(series: pd.Series) -> pd.Series:
    """One output column as CSV text, with formula-like text cells neutralised."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) and not series.isna().any():
        return series.map({True: "true", False: "false"})
    if pd.api.types.is_integer_dtype(dtype) and not series.isna().any():
        return series.astype(str)
    if pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.Float64Dtype):
        return pd.Series(["" if x != x else repr(x) for x in series.tolist()], dtype=object)
    values = series.tolist()
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        text = pd.Series(["" if v is None or v != v else v for v in values], dtype=object)
    else:
        text = pd.Series([_csv_text(v) for v in values], dtype=object)
    first = text.str[:1]
    risky = first.isin(_FORMULA_START)
    if risky.any():
        risky &= ~text.str.fullmatch(_PLAIN_NUMBER)
        text = text.where(~risky, "'" + text)
    return text


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    view = output_frame(df)
    text = pd.DataFrame({c: _csv_column(view[c]) for c in view.columns}, index=range(len(view)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        text.to_csv(fh, index=False, lineterminator="\r\n")
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
    view = output_frame(df)
    names = list(view.columns)
    cols = [[_cell(v) for v in view[c].tolist()] for c in names]
    return [dict(zip(names, r)) for r in zip(*cols)]


def _write_json_records(df: pd.DataFrame, path: Path) -> Path:
    """The JSON twin: a list of records; pretty-printed when small, compact when large."""
    records = table_records(df)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        # json.dumps (one shot) takes the C encoder when there is no indent; json.dump never does
        fh.write(json.dumps(records, ensure_ascii=False, indent=2 if len(records) <= 20_000 else None,
                            default=_json_default))
        fh.write("\n")
    return path


def write_table(df: pd.DataFrame, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.csv`` and its JSON twin ``name.json`` into *out_dir*."""
    out_dir = Path(out_dir)
    return [write_csv(df, out_dir / f"{name}.csv"), _write_json_records(df, out_dir / f"{name}.json")]
