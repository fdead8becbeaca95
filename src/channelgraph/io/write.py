"""Writing outputs: CSV that Excel opens safely, and JSON twins.

Conventions every analysis follows:

* money columns in result tables are integer fen and their names end in ``_fen``;
  the writers turn them into yuan with two decimals and drop the suffix
  (``exposure_fen`` → ``exposure`` = ``"1234.50"``). JSON carries them as strings
  so that no reader turns them into floats.
* CSV is UTF-8 *with* BOM, so Excel shows Chinese correctly; a text cell that
  starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with
  ``'`` so that Excel does not run it as a formula (plain numbers are left alone).
  Lines end in CRLF; a cell holding a comma, a quote or a line break is quoted the
  way Python's :mod:`csv` writer quotes it (``QUOTE_MINIMAL``).
* booleans are ``true``/``false``, lists are joined with ``;`` (JSON: arrays),
  dicts are sorted JSON, missing values (None, NaN, NA) are empty (JSON: ``null``),
  floats keep their round-trip ``repr``.
* the JSON twin is a list of records, pretty-printed (indent 2) up to
  :data:`PRETTY_JSON_MAX_RECORDS` records and compact above, with a trailing newline.

How the tables are written. :func:`write_table` writes the CSV and the JSON twin in
one pass over the table, a block of rows at a time (memory stays bounded by a block,
not by the table). Within a block it works column by column: numbers are formatted
once per distinct value, text columns are joined into one string whose code points
numpy scans for the few cells that need quoting, an apostrophe or JSON escapes, and
the cells of a row are joined with ``str.join``. Non-ASCII text travels as its UTF-8
bytes held in latin-1 strings (:func:`_utf8_units`), so that one Chinese name does not
widen a whole block to two bytes per character and the block encodes by plain copy.

The per-cell functions (:func:`output_frame`, :func:`table_records`,
:func:`_csv_column`, :func:`_csv_text`, :func:`_cell`) define the contract; the tests
compare the fast writer against them byte for byte.
"""

from __future__ import annotations

import json
import math
import operator
import os
import queue
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import chain, compress, repeat
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .._oserror import naming
from ..model import format_yuan  # noqa: F401  (importable from here, as it always was)
from .outdir import temporary_name

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")

#: A JSON twin with at most this many records is pretty-printed (indent 2); larger ones are compact.
PRETTY_JSON_MAX_RECORDS = 20_000


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


# ----------------------------------------------------------------------------- reference, per cell


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
    fen, missing = _fen_values(series)
    out = np.array(_yuan_texts(fen), dtype=object)
    out[missing] = None
    return out.tolist()


def output_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as it is written: ``*_fen`` columns become yuan strings without the suffix.

    Parameters
    ----------
    df : a result table; money columns are integer fen named ``*_fen``.

    Returns
    -------
    pandas.DataFrame
        The same rows; money as ``"1234.50"`` strings (None where missing) under the name
        without ``_fen``; object columns rebuilt from their values (pandas' inference).
    """
    df = df.reset_index(drop=True)  # a filtered frame's rows keep their values, numbered 0 … n-1
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


def table_records(df: pd.DataFrame) -> list[dict]:
    """The JSON twin's records, one dict per row (the per-cell reference of :func:`write_table`).

    Parameters
    ----------
    df : a result table.

    Returns
    -------
    list of dict
        ``{output column: value}`` per row, missing values as None, numpy scalars as
        Python values, money as yuan strings.
    """
    view = output_frame(df)
    names = list(view.columns)
    cols = [[_cell(v) for v in view[c].tolist()] for c in names]
    return [dict(zip(names, r)) for r in zip(*cols)]


# ----------------------------------------------------------------------------- JSON of one value


def write_json(data, path: Path) -> Path:
    """Write *data* (e.g. ``summary.json``) as pretty-printed UTF-8 JSON with a trailing newline.

    Parameters
    ----------
    data : JSON-able data; Decimals, sets, numpy scalars and paths are turned into JSON values.
    path : the file to write (its folder is created); replaced only once complete.

    Returns
    -------
    pathlib.Path
        *path*.
    """
    from .outdir import write_one_file

    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False, default=_json_default) + "\n"
    return write_one_file(Path(path), text.encode("utf-8"))


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


# ----------------------------------------------------------------------------- fast, column-wise

#: A block of rows holds at most this many cells, and after the first block as many rows as
#: make about ``_BLOCK_BYTES`` of output (long texts: fewer rows), but never fewer than
#: ``_MIN_BLOCK_ROWS`` rows. Small blocks keep the cells being joined in the CPU caches.
_BLOCK_CELLS = 32_000
_BLOCK_BYTES = 2 << 20
_MIN_BLOCK_ROWS = 256

_NEEDS_QUOTES = re.compile(r'[,"\r\n]').search  # what the csv module quotes (delimiter, quotechar, CRLF)
_encode_json_text = json.encoder.encode_basestring  # C; equals json.dumps(str, ensure_ascii=False)

_CENTS = np.array([f".{r:02d}" for r in range(100)], dtype=object)
_SMALL_INTS = np.array([str(i) for i in range(10_000)], dtype=object)
_BOOL_TEXT = np.array(["false", "true"], dtype=object)
_QUOTES = ('"', '"')
_UTF8_BOM = "\ufeff".encode("utf-8")


class _Layout(TypedDict):
    """How JSON records are laid out: pretty for small tables, compact for large ones."""

    record_open: str
    item_sep: str
    record_close: str
    record_sep: str
    open: str
    close: str
    nested: str | None


# pretty-printed records: "[\n  {\n    "key": value,\n    …\n  },\n  {…}\n]"; a nested
# array or object is indented two levels (four spaces) deeper than the top level
_PRETTY: _Layout = {
    "record_open": "  {\n    ",
    "item_sep": ",\n    ",
    "record_close": "\n  }",
    "record_sep": ",\n",
    "open": "[\n",
    "close": "\n]",
    "nested": "\n    ",
}
_COMPACT: _Layout = {
    "record_open": "{",
    "item_sep": ", ",
    "record_close": "}",
    "record_sep": ", ",
    "open": "[",
    "close": "]",
    "nested": None,
}


@dataclass(frozen=True)
class _OutputColumn:
    """One column as it is written: its output name, how its cells are turned into text, its values.

    ``kind`` is ``bool``, ``int``, ``float`` (numpy floats), ``yuan`` (fen as int64), ``text``
    (str, None/NaN/NA for missing), ``list`` (lists or tuples of str) or ``any`` (anything
    else, cell by cell). ``missing`` marks the missing cells of ``bool``, ``int`` and ``yuan``.
    ``distinct`` is, for a number column whose values repeat a lot, each row's code and the
    text of each distinct value: formatted once for the whole table.
    """

    name: str
    kind: str
    values: Any  # np.ndarray, or a list for ``list``/``any``
    missing: np.ndarray | None = None
    distinct: tuple[np.ndarray, np.ndarray] | None = None

    def texts(self, a: int, b: int, texts_of) -> list[str]:
        """The texts of rows ``a:b`` (missing ones too), *texts_of* formatting an array of values."""
        if self.distinct is None:
            return texts_of(self.values[a:b])
        codes, texts = self.distinct
        return texts[codes[a:b]].tolist()


@dataclass(frozen=True)
class _Cells:
    """A block of one column as text, in UTF-8 units (see :func:`_utf8_units`).

    ``csv`` are the final CSV cells. Each JSON value is ``wrap[0] + json[i] + wrap[1]``;
    a wrap common to the whole block (the quotes around strings, the brackets around
    arrays) goes into the constant parts of the records instead of into every cell.
    """

    csv: list
    json: list
    wrap: tuple[str, str] = ("", "")


def _utf8_units(texts: list[str], may_hold_nul: bool = True) -> list[str]:
    """Each text as its UTF-8 bytes, one latin-1 character per byte ("UTF-8 units").

    A block joined from such strings stays at one byte per character (a str joined
    from ASCII cells and one Chinese name would be widened, every cell copied at two
    bytes per character), and its ``encode("latin-1")`` is a plain copy that gives
    exactly the UTF-8 bytes of the original text. ASCII text is its own UTF-8 units.
    Strict UTF-8: a lone surrogate raises, as writing it would.
    """
    if may_hold_nul:
        return [t.encode("utf-8").decode("latin-1") for t in texts]
    return "\0".join(texts).encode("utf-8").decode("latin-1").split("\0")


def _fen_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Fen as int64 (missing as 0) and the missing mask; refuses fractional fen like the reference."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and (dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8)):
        return series.to_numpy(dtype=np.int64), np.zeros(len(series), dtype=bool)  # fits int64 as it is
    values = pd.array(series, dtype="Int64")
    missing = np.asarray(values.isna())
    return np.asarray(values.fillna(0), dtype=np.int64), missing


def _yuan_texts(fen: np.ndarray) -> list[str]:
    """Integer fen → ``'1234.50'``-style yuan strings (``format_yuan`` for an array)."""
    q, r = np.divmod(np.abs(fen), 100)
    texts = list(map(operator.add, map(str, q.tolist()), _CENTS[r].tolist()))
    for i in np.flatnonzero(fen < 0).tolist():
        texts[i] = "-" + texts[i]
    return texts


def _int_texts(values: np.ndarray) -> list[str]:
    """``str`` of each integer (a table look-up for small counts)."""
    if len(values) and values.min() >= 0 and values.max() < len(_SMALL_INTS):
        return _SMALL_INTS[values].tolist()
    return list(map(str, values.tolist()))


def _distinct_texts(values: np.ndarray, texts_of) -> tuple[np.ndarray, np.ndarray] | None:
    """Each value's code and ``texts_of`` the distinct values, when values repeat a lot (else None).

    *values* are integers (floats are passed as their bit patterns, so that -0.0 and 0.0
    stay apart); *texts_of* maps an array of them to a list of texts.
    """
    n = len(values)
    if n < 256:
        return None
    sample = values[:: max(1, n // 4096)]
    if len(pd.unique(sample)) * 2 > len(sample):
        return None
    codes, uniques = pd.factorize(values)
    if len(uniques) * 2 > n:
        return None
    texts = texts_of(np.asarray(uniques))
    return codes.astype(np.int32), np.fromiter(texts, dtype=object, count=len(texts))


def _replace_at(texts: list, mask: np.ndarray, value: str) -> list:
    """*texts* with *value* where *mask* is true."""
    out = np.fromiter(texts, dtype=object, count=len(texts))
    out[mask] = value
    return out.tolist()


def _spread(texts: list, mask: np.ndarray, fill: str) -> list:
    """A list as long as *mask*: *fill* where it is true, *texts* in order elsewhere."""
    out = np.full(len(mask), fill, dtype=object)
    out[~mask] = np.fromiter(texts, dtype=object, count=len(texts))
    return out.tolist()


def _output_columns(df: pd.DataFrame) -> list[_OutputColumn]:
    """The columns of ``output_frame(df)``, classified for fast writing (values by position)."""
    n = len(df)
    planned: dict[str, _OutputColumn] = {}
    for j, c in enumerate(df.columns):
        series = df.iloc[:, j]
        if isinstance(c, str) and c.endswith("_fen"):
            fen, missing = _fen_values(series) if n else (np.zeros(0, np.int64), np.zeros(0, bool))
            planned[c[:-4]] = _OutputColumn(
                c[:-4], "yuan", fen, missing if missing.any() else None, _distinct_texts(fen, _yuan_texts)
            )
            continue
        name = str(c)
        if series.dtype == object:
            values = series.to_numpy()
            # rebuilding keeps lists (of str) as they are
            if n and set(map(type, values)) <= {list, tuple} and set(map(type, chain.from_iterable(values))) <= {str}:
                planned[name] = _OutputColumn(name, "list", values.tolist())
                continue
            # the reference rebuilds the column from a list: the same dtype inference
            series = pd.DataFrame({name: series.tolist()}, index=range(n))[name]
        planned[name] = _classify(name, series)
    return list(planned.values())


def _classify(name: str, series: pd.Series) -> _OutputColumn:
    dtype = series.dtype
    is_numpy = isinstance(dtype, np.dtype)
    if pd.api.types.is_bool_dtype(dtype) and dtype != object:  # noqa: E721 - dtype equality, not a type test
        missing = None if is_numpy else np.asarray(series.isna())
        values = series.to_numpy(dtype=bool, na_value=False)
        return _OutputColumn(name, "bool", values, missing if missing is not None and missing.any() else None)
    if pd.api.types.is_integer_dtype(dtype):
        missing = None if is_numpy else np.asarray(series.isna())
        values = series.to_numpy(dtype=dtype if is_numpy else dtype.numpy_dtype, na_value=0)
        return _OutputColumn(
            name,
            "int",
            values,
            missing if missing is not None and missing.any() else None,
            _distinct_texts(values, _int_texts),
        )
    if is_numpy and dtype.kind == "f":
        values = series.to_numpy()
        bits = _float_bits(values)
        distinct = None if bits is None else _distinct_texts(bits, lambda b: _float_texts(b.view(dtype)))
        return _OutputColumn(name, "float", values, None, distinct)
    if isinstance(dtype, pd.StringDtype):
        return _OutputColumn(name, "text", series.to_numpy(dtype=object))
    if dtype == object:  # noqa: E721 - dtype equality, not a type test
        values = series.to_numpy()
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred == "string":
            return _OutputColumn(name, "text", values)
    return _OutputColumn(name, "any", series.tolist())


@dataclass(frozen=True)
class _Scan:
    """A block of one text column as UTF-8 bytes, to find the cells that need work without a per-cell loop.

    ``data`` is the cells joined by NUL, plus a closing ``|`` (so that an empty last cell
    still starts inside it), encoded as UTF-8; ``codes`` views it as bytes. A byte below
    0x80 is always the ASCII character itself (never part of a multi-byte character), so
    quotes, commas, control characters and formula-like first characters are found on
    the bytes. ``control`` tells whether a cell holds a C0 control character (tab, CR,
    LF, …); if not, the NULs are exactly the separators and ``starts`` holds where each
    cell begins. Strict UTF-8: a lone surrogate raises, as writing it would.
    """

    data: bytes
    codes: np.ndarray
    ascii: bool
    control: bool
    starts: np.ndarray | None

    @cached_property
    def units_text(self) -> str:
        """The joined cells in UTF-8 units (see :func:`_utf8_units`), without the closing ``|``."""
        return self.data[:-1].decode("latin-1")

    def json_strings(self) -> list[str]:
        """Each cell as a JSON string, in UTF-8 units; only for a scan with nothing JSON escapes.

        The quotes go around every cell of the joined text at once, which is then split.
        """
        return ('"' + self.units_text.replace("\0", '"\0"') + '"').split("\0")

    def json_string_lists(self, open_: str, sep: str, close: str) -> list[str]:
        """Each cell, a ``;``-joined list, as a JSON array of strings, in UTF-8 units.

        Only for a scan with nothing JSON escapes and no ``;`` inside an element; an empty
        list comes out as ``open_ + '""' + close`` and is the caller's to replace.
        """
        text = self.units_text.replace(";", '"' + sep + '"').replace("\0", '"' + close + "\0" + open_ + '"')
        return (open_ + '"' + text + '"' + close).split("\0")


def _scan(texts: list[str]) -> _Scan:
    joined = "\0".join(texts) + "|"
    data = joined.encode("utf-8")
    codes = np.frombuffer(data, dtype=np.uint8)
    controls = np.flatnonzero(codes < 0x20)
    if len(controls) != len(texts) - 1:
        return _Scan(data, codes, joined.isascii(), True, None)
    starts = np.empty(len(texts), dtype=np.intp)
    starts[0] = 0
    starts[1:] = controls + 1
    return _Scan(data, codes, joined.isascii(), False, starts)


def _scan_units(texts: list[str], scan: _Scan) -> list[str]:
    """*texts* (the cells of *scan*) in UTF-8 units, reusing the scan's joined text."""
    if scan.ascii:
        return texts
    if scan.control:
        return _utf8_units(texts)
    return scan.units_text.split("\0")


def _needs_json_escape(scan: _Scan) -> bool:
    return scan.control or b'"' in scan.data or b"\\" in scan.data


def _csv_safe(texts: list[str], scan: _Scan, units: list[str]) -> list[str]:
    """Neutralise formula-like cells and quote cells as the csv module does.

    Decides on *texts* (and their *scan*) and changes their UTF-8 *units* (a new list if
    anything changes): a quote or an apostrophe is one unit, and a ``"`` unit is always
    a ``"`` character.
    """
    risky: Iterable[int]
    quote: Iterable[int]
    if scan.control:  # rare: look at every cell
        risky = compress(range(len(texts)), map(str.startswith, texts, repeat(_FORMULA_START)))
        quote = compress(range(len(texts)), map(_NEEDS_QUOTES, texts))
    else:
        assert scan.starts is not None  # known when no cell holds a control character
        first = scan.codes[scan.starts]
        risky = np.flatnonzero((first == 61) | (first == 43) | (first == 45) | (first == 64)).tolist()  # = + - @
        quote = ()
        if b"," in scan.data or b'"' in scan.data:
            hits = np.flatnonzero((scan.codes == 44) | (scan.codes == 34))  # , "
            cells = np.searchsorted(scan.starts, hits, side="right") - 1  # sorted, with repeats
            quote = cells[np.diff(cells, prepend=-1) != 0].tolist()
    out = units
    for i in risky:
        if not _PLAIN_NUMBER.fullmatch(texts[i]):
            out = list(out) if out is units else out
            out[i] = "'" + out[i]
    for i in quote:
        out = list(out) if out is units else out
        s = out[i]
        out[i] = f'"{s}"' if '"' not in s else '"' + s.replace('"', '""') + '"'
    return out


def _json_value_text(v, layout: _Layout) -> str:
    """One cell's JSON text, as the whole-document encoder would write it at record level."""
    text = json.dumps(
        _cell(v), ensure_ascii=False, default=_json_default, indent=None if layout["nested"] is None else 2
    )
    return text if layout["nested"] is None else text.replace("\n", layout["nested"])


def _float_texts(values: np.ndarray) -> list[str]:
    """``repr`` of each float, as the Python float it becomes."""
    return list(map(repr, values.tolist()))


def _float_bits(values: np.ndarray) -> np.ndarray | None:
    """The floats' bit patterns as integers (None for an unusual width)."""
    return values.view(f"i{values.itemsize}") if values.itemsize in (2, 4, 8) else None


def _block_cells(col: _OutputColumn, a: int, b: int, layout: _Layout) -> _Cells:
    """Rows ``a:b`` of *col* as CSV and JSON text, in UTF-8 units."""
    kind = col.kind
    missing = None if col.missing is None else col.missing[a:b]
    if missing is not None and not missing.any():
        missing = None
    if kind in ("bool", "int"):
        if kind == "bool":
            texts = _BOOL_TEXT[col.values[a:b].view(np.uint8)].tolist()
        else:
            texts = col.texts(a, b, _int_texts)
        if missing is None:
            return _Cells(texts, texts)
        return _Cells(_replace_at(texts, missing, ""), _replace_at(texts, missing, "null"))
    if kind == "float":
        values = col.values[a:b]
        texts = col.texts(a, b, _float_texts)
        if np.isfinite(values).all():
            return _Cells(texts, texts)
        nan = np.isnan(values)
        js = np.fromiter(texts, dtype=object, count=len(texts))
        js[nan] = "null"
        js[values == np.inf] = "Infinity"
        js[values == -np.inf] = "-Infinity"
        return _Cells(_replace_at(texts, nan, ""), js.tolist())
    if kind == "yuan":
        if missing is None:
            texts = col.texts(a, b, _yuan_texts)
            return _Cells(texts, texts, _QUOTES)
        if col.distinct is None:
            present = _yuan_texts(col.values[a:b][~missing])
        else:
            present = col.distinct[1][col.distinct[0][a:b][~missing]].tolist()
        quoted = list(map(operator.add, map(operator.add, repeat('"'), present), repeat('"')))
        return _Cells(_spread(present, missing, ""), _spread(quoted, missing, "null"))
    if kind == "text":
        texts = col.values[a:b].tolist()
        try:
            scan = _scan(texts)
        except TypeError:  # None, NaN or NA among the strings
            missing = pd.isna(col.values[a:b])
            texts = _replace_at(texts, missing, "")
            scan = _scan(texts)
        units = _scan_units(texts, scan)
        csv = _csv_safe(texts, scan, units)
        if not _needs_json_escape(scan):
            if missing is None:
                return _Cells(csv, units, _QUOTES)
            return _Cells(csv, _replace_at(scan.json_strings(), missing, "null"))
        js = list(map(_encode_json_text, texts))  # escapes every control character
        js = js if units is texts else _utf8_units(js, may_hold_nul=False)
        return _Cells(csv, js if missing is None else _replace_at(js, missing, "null"))
    if kind == "list":
        rows = col.values[a:b]
        texts = list(map(";".join, rows))
        scan = _scan(texts)  # the elements hold what their join holds
        return _Cells(_csv_safe(texts, scan, _scan_units(texts, scan)), *_json_string_lists(rows, scan, layout))
    values = col.values[a:b]
    texts = [_csv_text(v) for v in values]
    return _Cells(
        _csv_safe(texts, _scan(texts), _utf8_units(texts)),
        _utf8_units([_json_value_text(v, layout) for v in values], may_hold_nul=False),
    )


def _json_string_lists(rows: list, scan: _Scan, layout: _Layout) -> tuple[list[str], tuple[str, str]]:
    """JSON arrays of strings laid out as the whole-document encoder would: the values and their wrap.

    *scan* is the scan of the rows joined with ``;`` (the elements hold what their join
    holds). The values are in UTF-8 units, made from the scan's text in one go unless an
    element holds a ``;`` or something JSON escapes.
    """
    if layout["nested"] is None:
        open_, sep, close = "[", ", ", "]"
    else:
        open_, sep, close = "[" + layout["nested"] + "  ", "," + layout["nested"] + "  ", layout["nested"] + "]"
    if not _needs_json_escape(scan):
        sizes = np.fromiter(map(len, rows), dtype=np.intp, count=len(rows))
        empty = sizes == 0
        if scan.data.count(b";") == int(sizes.sum()) - len(rows) + int(empty.sum()):  # no ";" inside
            out = scan.json_string_lists(open_, sep, close)
            return (_replace_at(out, empty, "[]") if empty.any() else out), ("", "")
    enc = _encode_json_text
    out = [open_ + sep.join(map(enc, v)) + close if v else "[]" for v in rows]
    return (out if scan.ascii else _utf8_units(out, may_hold_nul=False)), ("", "")


def _csv_header(names: list[str]) -> str:
    cells = [('"' + c.replace('"', '""') + '"') if _NEEDS_QUOTES(c) else c for c in names]
    if cells == [""]:
        cells = ['""']
    return ",".join(cells) + "\r\n"


def _csv_block(cells: list[_Cells]) -> str:
    """The CSV lines of one block, each ending in CRLF (in the cells' units)."""
    if len(cells) == 1:  # the csv module writes a lone empty field as ""
        return "".join(['""\r\n' if s == "" else s + "\r\n" for s in cells[0].csv])
    parts = ([","] * (2 * len(cells) - 1) + ["\r\n"]) * len(cells[0].csv)
    for j, c in enumerate(cells):
        parts[2 * j :: 2 * len(cells)] = c.csv
    return "".join(parts)


def _json_block(names: list[str], cells: list[_Cells], layout: _Layout, first: bool) -> str:
    """The records of one block, separated (and preceded, unless *first*) by the record separator.

    *cells* are in UTF-8 units, and so is the result. The block is one ``str.join`` over
    a list that repeats the record's constant parts (keys, separators, wraps) with each
    column's values put in place by slice assignment: no string per record.
    """
    consts, trail = [], ""
    for j, (name, c) in enumerate(zip(names, cells)):
        key = _encode_json_text(name).encode("utf-8").decode("latin-1")  # UTF-8 units, like the cells
        consts.append(trail + (layout["record_open"] if j == 0 else layout["item_sep"]) + key + ": " + c.wrap[0])
        trail = c.wrap[1]
    record: list = []
    for j, const in enumerate(consts):
        record += [layout["record_sep"] + const if j == 0 else const, None]
    record.append(trail + layout["record_close"])
    parts = record * len(cells[0].json)
    if first:
        parts[0] = consts[0]
    for j, c in enumerate(cells):
        parts[2 * j + 1 :: len(record)] = c.json
    return "".join(parts)


#: Tables with more rows hand their blocks to a writer thread (see :class:`_QueuedFile`).
QUEUED_WRITE_MIN_ROWS = 50_000


class _QueuedFile:
    """A binary file whose writes happen on a thread of their own, in order.

    ``write`` queues the bytes (at most a few blocks are held) and returns; the thread
    hands them to the operating system, which releases the GIL meanwhile — on a big book,
    gigabytes the main thread does not wait for. ``close`` waits for the queue to drain and
    raises any error the thread met (a full disk, say).
    """

    def __init__(self, path: Path):
        self._fh = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="channelgraph-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._error is None:
                try:
                    self._fh.write(data)
                except BaseException as exc:  # noqa: BLE001 - raised by the next write or close
                    self._error = exc

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._fh.close()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


class _Named:
    """A file whose write and close errors name *path* (an ``OSError`` from ``write`` names no file)."""

    def __init__(self, fh, path: Path):
        self._fh, self._path = fh, path

    def write(self, data: bytes) -> None:
        with naming(self._path):
            self._fh.write(data)

    def close(self) -> None:
        with naming(self._path):
            self._fh.close()


def _stream_table(df: pd.DataFrame, csv_path: Path | None, json_path: Path | None) -> None:
    """Write the CSV and/or the JSON twin of *df*, block by block, each to a temporary name first."""
    columns = _output_columns(df)
    names = [c.name for c in columns]
    n = len(df)
    layout = _PRETTY if n <= PRETTY_JSON_MAX_RECORDS else _COMPACT
    targets = [p for p in (csv_path, json_path) if p is not None]
    for p in targets:
        p.parent.mkdir(parents=True, exist_ok=True)
    partial = {p: temporary_name(p) for p in targets}  # unique to this run and process
    handles: dict[Path | None, _Named] = {}
    try:
        for p in targets:
            fh = _QueuedFile(partial[p]) if len(df) >= QUEUED_WRITE_MIN_ROWS else open(partial[p], "wb")  # noqa: SIM115 - closed below
            handles[p] = _Named(fh, p)
        csv_fh = handles.get(csv_path)
        json_fh = handles.get(json_path)
        if csv_fh:
            csv_fh.write(_UTF8_BOM + _csv_header(names).encode("utf-8"))
        if not columns:  # like the reference: an empty line per row, and no records at all
            if csv_fh:
                csv_fh.write(b"\r\n" * n)
            n = 0
        if json_fh:
            json_fh.write(layout["open"].encode("utf-8") if n else b"[]")
        most_rows = max(_MIN_BLOCK_ROWS, _BLOCK_CELLS // max(1, len(columns)))
        a, rows, written = 0, most_rows, 0
        while a < n:
            b = min(n, a + rows)
            cells = [_block_cells(c, a, b, layout) for c in columns]
            if csv_fh:
                data = _csv_block(cells).encode("latin-1")
                csv_fh.write(data)
                written += len(data)
            if json_fh:
                data = _json_block(names, cells, layout, first=a == 0).encode("latin-1")
                json_fh.write(data)
                written += len(data)
            del cells, data
            rows = max(_MIN_BLOCK_ROWS, min(most_rows, int(_BLOCK_BYTES * b / max(1, written))))
            a = b
        if json_fh:
            json_fh.write((layout["close"] + "\n").encode("utf-8") if n else b"\n")
        for p in targets:
            handles.pop(p).close()
            os.replace(partial[p], p)  # whole, under its name
    finally:
        for fh in handles.values():
            try:
                fh.close()
            except OSError:  # the error that brought us here is the one to report
                pass
        for p in targets:
            if partial[p].exists():
                partial[p].unlink()


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write *df* as CSV for Excel (UTF-8 with BOM, CRLF, money in yuan, formulas neutralised).

    Parameters
    ----------
    df : a result table.
    path : the file to write (its folder is created); replaced only once complete.

    Returns
    -------
    pathlib.Path
        *path*.
    """
    path = Path(path)
    _stream_table(df, path, None)
    return path


def _write_json_records(df: pd.DataFrame, path: Path) -> Path:
    """The JSON twin: a list of records; pretty-printed when small, compact when large."""
    path = Path(path)
    _stream_table(df, None, path)
    return path


def write_table(df: pd.DataFrame, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.csv`` and its JSON twin ``name.json`` into *out_dir*, in one pass over *df*.

    Parameters
    ----------
    df : a result table (money in integer fen, columns named ``*_fen``).
    out_dir : the output folder (created if missing).
    name : the table's name, the files' stem.

    Returns
    -------
    list of pathlib.Path
        The CSV and the JSON file. Each is written under a temporary name and renamed
        when complete; on an error neither is left half-written.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> df = pd.DataFrame({"group_id": ["G1"], "exposure_fen": [123450], "members": [["E1", "E2"]]})
    >>> [p.name for p in write_table(df, out, "risk_groups")]
    ['risk_groups.csv', 'risk_groups.json']
    >>> (out / "risk_groups.csv").read_bytes()
    b'\\xef\\xbb\\xbfgroup_id,exposure,members\\r\\nG1,1234.50,E1;E2\\r\\n'
    """
    out_dir = Path(out_dir)
    csv_path, json_path = out_dir / f"{name}.csv", out_dir / f"{name}.json"
    _stream_table(df, csv_path, json_path)
    return [csv_path, json_path]
