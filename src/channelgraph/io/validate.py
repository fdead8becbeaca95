"""Validation: from the CSV files of a dataset folder to checked, typed tables.

:func:`load_dataset` reads every file, checks every rule of the input contract
(README "Input contract") and either returns a :class:`Dataset` or raises
:class:`DatasetError` listing *every* problem with file, line, column, value and
reason. Nothing is dropped silently: a row is either valid and kept whole, or it is
named in a problem.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from .._ids import mix64
from ..model import (
    CHANNEL_KINDS,
    ENTITY_COLUMNS,
    ENTITY_MONEY,
    ENTITY_OPTIONAL,
    EXPOSURE_COLUMNS,
    EXPOSURE_OPTIONAL,
    FALSE_WORDS,
    MAX_MATURITY_DAYS,
    PARTY_KINDS,
    RELATION_COLUMNS,
    RELATION_OPTIONAL,
    RELATION_SPECS,
    SCHEME_COLUMNS,
    SCHEME_OPTIONAL,
    SINCE_YEARS,
    TABLE_FILES,
    TRUE_WORDS,
    AmountError,
    Exempt,
    ExposureType,
    Kind,
    RelationType,
    ShareError,
    Status,
    parse_share,
    format_yuan,
    parse_yuan,
    since_problem,
)
from ..policy import Policy, PolicyError
from .problems import DatasetError, Problem, show_name
from .read import RawTable, normalise_encoding, read_csv_table

#: Longest id and name accepted (longer is almost surely a shifted column or junk).
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 200

#: Code points no id may hold: controls (tab and line breaks included), invisible
#: characters (zero-width space and joiners, word joiner, BOM, soft hyphen, Hangul fillers,
#: variation selectors, tags …) and bidi controls. They make two ids look equal on screen
#: that are not, or reorder the text around them.
_CONTROL_RANGES = ((0x00, 0x1F), (0x7F, 0x9F))
_INVISIBLE_RANGES = _CONTROL_RANGES + (
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x61C, 0x61C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
)


def _char_class(ranges) -> re.Pattern:
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


def _table(ranges) -> np.ndarray:
    """A look-up table over every code point: True for those in *ranges*. NUL is left out:
    it pads fixed-width bytes here, and read.py refuses a file holding one."""
    t = np.zeros(0x110000, dtype=bool)
    for a, b in ranges:
        t[a : b + 1] = True
    t[0] = False
    return t


_BAD_ID, _CONTROL = _char_class(_INVISIBLE_RANGES), _char_class(_CONTROL_RANGES)
_TABLES = {_BAD_ID: _table(_INVISIBLE_RANGES), _CONTROL: _table(_CONTROL_RANGES)}
_CHAR_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return", "\ufeff": "a byte-order mark (BOM)"}

_KINDS = {k.value: k for k in Kind}
_TYPES = {t.value: t for t in RelationType}
_STATUSES = {s.value: s for s in Status}
_EXPOSURE_TYPES = {t.value: t for t in ExposureType}
_EXEMPTS = {e.value: e for e in Exempt}
_WHOLE = re.compile(r"^\+?\d{1,9}$", re.ASCII)


@dataclass
class Dataset:
    """A validated dataset: typed tables plus the policy.

    ``entities``: id, kind, name, is_customer (bool), industry, region, segment,
    net_assets / annual_revenue (nullable Int64, fen), is_interbank (bool), exempt (text,
    ``""`` or an :class:`~channelgraph.model.Exempt` value), extra columns (text).
    ``relations``: src, dst, type, amount (nullable Int64, fen), share and buyer_share
    (nullable Float64, 0–1), role, since, extra columns. ``exposures``: facility_id,
    customer_id, outstanding (int64, fen), limit (nullable Int64, fen), product,
    scheme_id, status (default ``normal``), exposure_type (default ``loan``), undrawn and
    margin (nullable Int64, fen), original_maturity_days (nullable Int64), cancellable
    (bool), extra columns. ``schemes``: scheme_id, channel_id, name, product, extra columns.
    """

    entities: pd.DataFrame
    relations: pd.DataFrame
    exposures: pd.DataFrame
    schemes: pd.DataFrame
    policy: Policy = field(default_factory=Policy)
    path: Path | None = None
    encodings: dict = field(default_factory=dict)
    #: What people call the dataset (the folder's name; kept through a Neo4j round trip).
    name: str = ""

    def __post_init__(self):
        if not self.name and self.path is not None:
            self.name = Path(self.path).name

    @property
    def total_outstanding_fen(self) -> int:
        return int(sum(self.exposures["outstanding"].tolist()))

    def summary(self) -> dict:
        """Counts per kind and type and the total outstanding (fen), for people and JSON."""
        ent = self.entities
        return {
            "entities": len(ent),
            "customers": int(ent["is_customer"].sum()),
            "prospects": int((~ent["is_customer"] & ent["kind"].isin([k.value for k in PARTY_KINDS])).sum()),
            "kinds": {k.value: int((ent["kind"] == k.value).sum()) for k in Kind},
            "relations": len(self.relations),
            "types": {t.value: int((self.relations["type"] == t.value).sum()) for t in RelationType},
            "facilities": len(self.exposures),
            "schemes": len(self.schemes),
            "total_outstanding_fen": self.total_outstanding_fen,
            "status": {s.value: int((self.exposures["status"] == s.value).sum()) for s in Status},
        }


# ----------------------------------------------------------------------------- helpers
#
# Every rule below is checked on whole columns (object arrays of str) with numpy and
# pandas; a Problem is built only for a row that breaks a rule. Python-level work is
# done once per distinct value in columns with few values (kinds, types, statuses,
# shares) and once per unusual amount (model.parse_yuan decides those).

_KIND_LIST = list(Kind)  # a kind's code is its position here
_TYPE_LIST = list(RelationType)  # likewise for relation types
_KIND_CODE = {k.value: i for i, k in enumerate(_KIND_LIST)}
_TYPE_CODE = {t.value: i for i, t in enumerate(_TYPE_LIST)}
_IS_PARTY = np.array([k in PARTY_KINDS for k in _KIND_LIST])
_IS_CHANNEL = np.array([k in CHANNEL_KINDS for k in _KIND_LIST])
_SPECS = [RELATION_SPECS[t] for t in _TYPE_LIST]
_SRC_OK = np.array([[k in s.src_kinds for k in _KIND_LIST] for s in _SPECS])
_DST_OK = np.array([[k in s.dst_kinds for k in _KIND_LIST] for s in _SPECS])
_NO_SELF_LOOP = np.array([s.no_self_loop for s in _SPECS])
_DIRECTED = np.array([s.directed for s in _SPECS])
_NEEDS_AMOUNT = np.array(["amount" in s.requires for s in _SPECS])
_NEEDS_SHARE = np.array(["share" in s.requires for s in _SPECS])
#: Plain amounts converted with numpy: at most this many characters, 13 integer digits.
_PLAIN_WIDTH = 16
_POW10 = 10 ** np.arange(19, dtype=np.int64)
#: Bytes that ``str.strip`` removes from an ASCII string.
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
#: A first guess at the width of ids, in bytes (a wider column costs one more pass).
_ID_WIDTH = 15


def _hashes(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(hash, values), dtype=np.int64, count=len(values))


def _ascii(values: np.ndarray, width: int = _ID_WIDTH) -> np.ndarray | None:
    """The strings as fixed-width ASCII bytes; ``None`` if one of them is not ASCII or is
    longer than an id may be (a fixed width that large would cost too much memory)."""
    if not len(values):
        return np.zeros(0, dtype="S1")
    try:
        out = values.astype(f"S{width + 1}")
        if out.view(np.uint8).reshape(len(out), width + 1)[:, width].any():  # longer than guessed
            longest = max(map(len, values))
            if longest > MAX_ID_LENGTH:
                return None
            out = values.astype(f"S{longest}")
    except UnicodeEncodeError:
        return None
    return out


def _byte_keys(data: np.ndarray) -> np.ndarray:
    """An int64 key per fixed-width byte string: equal strings, equal keys, whatever the width."""
    words = -(-data.itemsize // 8)
    if data.itemsize != 8 * words:
        data = data.astype(f"S{8 * words}")
    w = data.view(np.int64).reshape(len(data), words)
    key = w[:, -1].copy()
    for j in range(words - 2, -1, -1):  # Horner from the last word: zero padding adds nothing
        key *= np.int64(-7046029254386353131)
        key += w[:, j]
    return mix64(key.view(np.uint64)).view(np.int64)


class _Ids:
    """A column of ids (stripped ``str``) keyed for fast, exact matching.

    ASCII ids — the usual case — are also held as fixed-width bytes: the key packs the
    bytes, and equal keys are confirmed on the bytes. Other ids are keyed by Python's
    str hash and confirmed on the strings. Either way a key collision never passes for
    a match.
    """

    def __init__(self, values: np.ndarray, ascii: np.ndarray | None):
        self.values = values
        self.ascii = ascii
        self._keys: np.ndarray | None = None

    @classmethod
    def of(cls, values: np.ndarray) -> _Ids:
        return cls(values, _ascii(values))

    def __len__(self) -> int:
        return len(self.values)

    def take(self, rows: np.ndarray) -> _Ids:
        return _Ids(self.values[rows], None if self.ascii is None else self.ascii[rows])

    @property
    def keys(self) -> np.ndarray:
        if self._keys is None:
            self._keys = _byte_keys(self.ascii) if self.ascii is not None else _hashes(self.values)
        return self._keys

    @property
    def exact(self) -> np.ndarray:
        return self.ascii if self.ascii is not None else self.values

    def first_index(self) -> np.ndarray:
        """For each row, the first row holding the same id."""
        first = _first_index(self.keys)
        later = np.flatnonzero(first != np.arange(len(first)))
        exact = self.exact
        if len(later) and not (exact[later] == exact[first[later]]).all():  # two ids share a key
            seen: dict = {}
            first = np.fromiter(
                (seen.setdefault(k, i) for i, k in enumerate(exact.tolist())), dtype=np.int64, count=len(exact)
            )
        return first


def _first_index(keys: np.ndarray) -> np.ndarray:
    """For each row, the first row with an equal integer key."""
    n = len(keys)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    codes, _ = pd.factorize(mix64(keys.view(np.uint64)).view(np.int64))
    # factorize numbers codes in order of first appearance: code k first appears where it is new
    is_new = np.empty(n, dtype=bool)
    is_new[0] = True
    is_new[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    return np.flatnonzero(is_new)[codes]


class _Few:
    """A column with few distinct values: anything per value is done once per distinct value."""

    def __init__(self, values: np.ndarray):
        filled = np.flatnonzero(values != "")
        if len(filled) == len(values):
            self.codes, uniques = pd.factorize(values)
            self.uniques = uniques.astype(object)
        else:  # blank cells (often most of an optional column) are code 0
            codes, uniques = pd.factorize(values[filled])
            self.codes = np.zeros(len(values), dtype=np.intp)
            self.codes[filled] = codes + 1
            self.uniques = np.concatenate((np.array([""], dtype=object), uniques.astype(object)))

    def map(self, fn, dtype=object) -> np.ndarray:
        """``fn(value)`` for every row."""
        return np.array([fn(u) for u in self.uniques], dtype=dtype)[self.codes]


def _stripped(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Values without surrounding whitespace, their lengths, and their ASCII bytes if all are ASCII."""
    ascii = _ascii(values) if values.dtype == object else None
    if ascii is not None:
        length = np.strings.str_len(ascii)
        m = ascii.view(np.uint8).reshape(len(ascii), ascii.itemsize)
        last = m[np.arange(len(m)), np.maximum(length - 1, 0)]
        changed = np.flatnonzero(_ASCII_SPACE[m[:, 0]] | _ASCII_SPACE[last])
        if len(changed):
            values, ascii = values.copy(), ascii.copy()
            values[changed] = [v.strip() for v in values[changed]]
            ascii[changed] = values[changed].astype(ascii.dtype)
            length[changed] = np.strings.str_len(ascii[changed])
        return values, length, ascii
    as_list = values.tolist()
    length = np.fromiter(map(len, map(str.strip, as_list)), dtype=np.int64, count=len(as_list))
    changed = np.flatnonzero(length != np.fromiter(map(len, as_list), dtype=np.int64, count=len(as_list)))
    if len(changed):
        values = values.copy()
        values[changed] = [as_list[i].strip() for i in changed]
    return values, length, None


class _Lookup:
    """Exact, vectorised search among unique ids: each value's position, or -1."""

    def __init__(self, ids: _Ids):
        self.ids = ids
        self._index = pd.Index(ids.keys)
        self._dict = None if self._index.is_unique else {k: i for i, k in enumerate(ids.values.tolist())}

    def positions(self, q: _Ids) -> np.ndarray:
        if self._dict is not None:
            return np.fromiter(map(self._dict.get, q.values, repeat(-1)), dtype=np.int64, count=len(q))
        if self.ids.ascii is not None and q.ascii is None:
            # Keys are ASCII bytes: only ASCII values no wider than the keys can match.
            width = self.ids.ascii.itemsize
            rows = np.flatnonzero([v.isascii() and len(v) <= width for v in q.values.tolist()])
            pos = np.full(len(q), -1, dtype=np.int64)
            pos[rows] = self.positions(_Ids(q.values[rows], q.values[rows].astype(self.ids.ascii.dtype)))
            return pos
        if self.ids.ascii is None and q.ascii is not None:
            q = _Ids(q.values, None)  # keys are str hashes
        # Look up each run of equal keys once (relations often come grouped by src).
        keys = q.keys
        heads = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else keys
        pos = np.repeat(self._index.get_indexer(keys[heads]), np.diff(np.append(heads, len(keys))))
        hit = np.flatnonzero(pos >= 0)
        pos[hit[self.ids.exact[pos[hit]] != q.exact[hit]]] = -1
        return pos


@dataclass
class _Entities:
    """What other tables need from entities.csv: id → kind and is_customer (last valid row wins)."""

    lookup: _Lookup
    kind: np.ndarray  # kind code per id (-1: an unknown kind, reported in entities.csv)
    customer: np.ndarray  # is_customer per id: 1 yes, 0 no, -1 not a yes/no value (reported there)
    #: Why references into entities.csv cannot be checked (it was refused as a whole), or None.
    refused: str | None = None
    #: Ids on rows of entities.csv that were reported and left out (ragged …) → their line.
    lost: dict = field(default_factory=dict)

    @classmethod
    def none(cls, refused: str | None = None) -> _Entities:
        return cls(
            _Lookup(_Ids.of(np.empty(0, dtype=object))),
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.int8),
            refused,
        )

    def find(self, ids: _Ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position of each id (-1 if no entity has it), its kind code (-1 likewise) and
        its is_customer code (1 yes, 0 no, -1 not a yes/no value or no entity)."""
        pos = self.lookup.positions(ids)
        hit = np.flatnonzero(pos >= 0)
        kind = np.full(len(ids), -1, dtype=np.int64)
        kind[hit] = self.kind[pos[hit]]
        customer = np.full(len(ids), -1, dtype=np.int8)
        customer[hit] = self.customer[pos[hit]]
        return pos, kind, customer


def _parse_amounts(raw: np.ndarray):
    """Amounts of yuan as ``model.parse_yuan`` reads them, for a whole column.

    Returns fen (int64), ok (parsed), empty (blank cell), and the rows and reasons of
    the cells that are not amounts. Plain amounts — ASCII digits, at most 13 before an
    optional point and 1–2 after — are converted with numpy; every other cell (signs,
    thousands separators, spaces, other digits, errors) goes through parse_yuan.
    """
    n, width = len(raw), _PLAIN_WIDTH
    fen = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    empty = raw == ""
    filled = np.flatnonzero(~empty)
    values = raw[filled]
    ascii = np.arange(len(values))
    try:
        chars = values.astype(f"S{width + 1}")  # one byte more tells a longer cell
    except UnicodeEncodeError:
        ascii = np.flatnonzero(np.fromiter(map(str.isascii, values), dtype=bool, count=len(values)))
        chars = values[ascii].astype(f"S{width + 1}")
    size = np.strings.str_len(chars)
    # Character j of every cell is row j of `m` (contiguous, so each step is one fast pass).
    m = np.ascontiguousarray(chars.view(np.uint8).reshape(len(chars), width + 1).T)
    digit = (m - np.uint8(ord("0"))) < 10
    point = m == ord(".")
    points = point.sum(axis=0)
    at = size.copy()  # where the integer part ends: the point, or the end
    for j in range(width, -1, -1):
        at[point[j]] = j
    decimals = np.where(points == 1, size - at - 1, 0)
    good = (
        (digit | point | (m == 0)).all(axis=0)
        & (size <= width)
        & (points <= 1)
        & (at >= 1)
        & (at <= 13)
        & ((points == 0) | (decimals >= 1))
        & (decimals <= 2)
    )
    digits = np.zeros(len(chars), dtype=np.int64)  # the cell's digits read as one integer
    for j in range(width):
        digits = np.where(digit[j], digits * 10 + (m[j] - np.uint8(ord("0"))), digits)
    value = digits * _POW10[np.clip(2 - decimals, 0, 2)]
    fen[filled[ascii[good]]] = value[good]
    ok[filled[ascii[good]]] = True

    others = np.ones(len(values), dtype=bool)
    others[ascii[good]] = False
    bad_rows, reasons = [], []
    for i in filled[others].tolist():
        s = raw[i].strip()
        if not s:
            empty[i] = True
            continue
        try:
            fen[i] = parse_yuan(s)
            ok[i] = True
        except AmountError as exc:
            bad_rows.append(i)
            reasons.append(str(exc))
    return fen, ok, empty, np.array(bad_rows, dtype=np.int64), reasons


def _share(text: str) -> tuple[float | None, str | None]:
    """A share 0–1 from one cell: (value or None, reason it is refused or None)."""
    try:
        return parse_share(text), None
    except ShareError as exc:
        return None, str(exc)


def _listing(names: list[str], most: int = 20) -> str:
    """Column names for a message: the first *most*, and how many more."""
    if not names:
        return "nothing"
    more = f", … ({len(names) - most:,} more)" if len(names) > most else ""
    return ", ".join(map(show_name, names[:most])) + more


#: Separators a CSV export may wrongly use instead of the comma, by name.
_SEPARATORS = {"\t": "tab", ";": "semicolon"}


def _separated_by(header: list[str], required) -> str | None:
    """The name of the separator ("tab", "semicolon") of a file read as one column whose header
    splits on it into required column names; ``None`` for any other header."""
    if len(header) != 1:
        return None
    for sep, name in _SEPARATORS.items():
        names = {n.strip().strip('"').strip() for n in header[0].split(sep)}
        if len(names) > 1 and names & set(required):
            return name
    return None


def _missing_column(column: str, header: list[str]) -> str:
    """Why *column* is missing from *header*: a header name that is *column* with invisible
    characters in it is named (escaped) and the character described; else the header is listed."""
    for name in header:
        hidden = _BAD_ID.findall(name)
        if hidden and _BAD_ID.sub("", name).strip() == column:
            if name.startswith("\ufeff"):
                return (
                    f"required column is missing: the header's {show_name(name)} is {column} but starts "
                    "with an invisible byte-order mark (a second one?); save the file again as UTF-8"
                )
            return (
                f"required column is missing: the header's {show_name(name)} is {column} but holds "
                f"{_describe(hidden[0])}; retype the column name"
            )
    return f"required column is missing (header has: {_listing(header)})"


def _since_problems(values: np.ndarray) -> list[str | None]:
    """``model.since_problem`` for each value; plain ``YYYY-MM-DD`` dates are checked with numpy."""
    why: list[str | None] = [None] * len(values)
    rest = np.arange(len(values))
    try:
        chars = values.astype("S11")
    except UnicodeEncodeError:
        chars = None
    if chars is not None and len(values):
        m = chars.view(np.uint8).reshape(len(chars), 11)
        digit = (m - np.uint8(ord("0"))) < 10
        dash = m == ord("-")
        plain = digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1) & dash[:, 4] & dash[:, 7] & (m[:, 10] == 0)
        rows = np.flatnonzero(plain)
        try:
            days = chars[rows].astype("datetime64[D]")
        except ValueError:  # an impossible day (2023-02-29): since_problem tells which
            plain[:] = False
        else:
            years = days.astype("datetime64[Y]").astype(np.int64) + 1970
            exact = (days.astype("S10") == chars[rows]) & (years >= SINCE_YEARS[0]) & (years <= SINCE_YEARS[1])
            plain[rows[~exact]] = False  # a year out of range: since_problem says so
        rest = np.flatnonzero(~plain)
    for i in rest.tolist():
        why[i] = since_problem(values[i])
    return why


def _describe(ch: str) -> str:
    """A character no one can see, named so that a person can find it."""
    name = _CHAR_NAMES.get(ch) or unicodedata.name(ch, "") or "a control character"
    return f"{name} (U+{ord(ch):04X})"


def _rows_with(values: np.ndarray, ascii: np.ndarray | None, pattern: re.Pattern) -> np.ndarray:
    """Rows whose text matches *pattern* (a class of characters none of which is printable ASCII).

    Vectorised: ASCII columns are checked as bytes (only controls can match there); other
    columns by one look-up over the code points of the joined text, each hit mapped back to
    its row by the cells' cumulative lengths.
    """
    none = np.empty(0, dtype=np.int64)
    if not len(values):
        return none
    if ascii is not None:  # only the controls 0x01-0x1F and 0x7F can match (0 is padding)
        m = ascii.view(np.uint8).reshape(len(ascii), ascii.itemsize)
        bad = ((m - np.uint8(1)) < 0x1F) | (m == 0x7F)
        return np.flatnonzero(bad.any(axis=1)) if bad.any() else none
    as_list = values.tolist()
    code_points = np.frombuffer(" ".join(as_list).encode("utf-32-le"), dtype=np.uint32)
    hits = np.flatnonzero(_TABLES[pattern][code_points])
    if not len(hits):
        return none
    # Cell i ends (with its separating space, never a hit) at ends[i]: map each hit to its cell.
    ends = np.cumsum(np.fromiter(map(len, as_list), dtype=np.int64, count=len(as_list)) + 1)
    return np.unique(np.searchsorted(ends, hits, side="right"))


def _nfc_twins(values: np.ndarray, ascii: np.ndarray | None) -> list[tuple[int, int]]:
    """Pairs (row, earlier row) of ids that differ but are equal once normalised to NFC.

    ASCII ids are always NFC; other columns are checked in one pass over their joined text
    and row by row only when some id is not NFC.
    """
    if ascii is not None or not len(values):
        return []
    as_list = values.tolist()
    if unicodedata.is_normalized("NFC", "\x00".join(as_list)):
        return []  # every id is NFC: equal NFC forms are equal ids
    first: dict[str, tuple[str, int]] = {}
    twins = []
    for i, v in enumerate(as_list):
        if not v:
            continue
        key = unicodedata.normalize("NFC", v)
        seen = first.setdefault(key, (v, i))
        if seen[0] != v:
            twins.append((i, seen[1]))
    return twins


def _yes_no(text: str) -> bool | None:
    s = text.strip().lower()
    return True if s in TRUE_WORDS else False if s in FALSE_WORDS else None


class _Checker:
    """Collects the problems of one table, rule by rule over whole columns."""

    def __init__(self, table: RawTable):
        self.t = table
        self.n = len(table)
        self.problems: list[Problem] = []
        #: Per column, rows already refused for the characters in them (one problem per cell).
        self.refused: dict[str, np.ndarray] = {}

    def report(self, rows, column: str | None, values, reason) -> None:
        """A problem for each row in *rows*; *values* is the whole column (or one value for
        all), *reason* one text for all rows or one per row."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        lines = self.t.lines_of(rows).tolist()
        vals = values[rows].tolist() if isinstance(values, np.ndarray) else [values] * len(rows)
        reasons = [reason] * len(rows) if isinstance(reason, str) else reason
        self.problems.extend(Problem(self.t.file, line, column, v, r) for line, v, r in zip(lines, vals, reasons))

    def missing_columns(self, required) -> str | None:
        """Why the table is refused for its header (for its dependants' message), or ``None``
        when it has every *required* column. Each missing column is a problem — or one problem
        for a file separated by tabs or semicolons instead of commas."""
        missing = [c for c in required if c not in self.t.header]
        if not missing:
            return None
        separator = _separated_by(self.t.header, required)
        if separator:
            self.problems.append(
                Problem(
                    self.t.file,
                    self.t.header_line,
                    None,
                    None,
                    f"looks {separator}-separated; channelgraph reads comma-separated CSV: save it as CSV (comma)",
                )
            )
            return "it is not comma-separated"
        for c in missing:
            self.problems.append(Problem(self.t.file, self.t.header_line, c, None, _missing_column(c, self.t.header)))
        return f"its {missing[0]} column is missing" if len(missing) == 1 else "its required columns are missing"

    def col(self, name: str) -> np.ndarray:
        got = self.t.columns.get(name)
        return got if got is not None else np.full(self.n, "", dtype=object)

    def _lengths(self, name: str, raw: np.ndarray, length: np.ndarray, required: bool, max_len: int) -> None:
        if required:
            self.report(np.flatnonzero(length == 0), name, raw, "is empty but required")
        self.report(np.flatnonzero(length > max_len), name, raw, f"is longer than {max_len} characters")

    def _characters(self, name: str, rows: np.ndarray, values: np.ndarray, pattern: re.Pattern, what: str) -> None:
        """Report the cells at *rows* that hold a character of *pattern*, naming the first one."""
        self.refused[name] = rows
        reasons = [
            f"contains {_describe(pattern.search(v).group())}: {what}"  # type: ignore[union-attr]  # rows match
            for v in values[rows].tolist()
        ]
        self.report(rows, name, values, reasons)

    def text(self, name: str, *, required: bool, max_len: int = MAX_NAME_LENGTH) -> np.ndarray:
        """The column stripped; empty (if *required*), over-long cells and control characters
        inside a cell (a line break, tab, bell …) are problems."""
        raw = self.col(name)
        out, length, ascii = _stripped(raw)
        self._lengths(name, raw, length, required, max_len)
        self._characters(
            name,
            _rows_with(out, ascii, _CONTROL),
            out,
            _CONTROL,
            "a name is one line of visible text; retype it without the control character",
        )
        return out

    def ids(self, name: str, *, required: bool = True) -> _Ids:
        """A column of ids, as :meth:`text` with ids' length limit; control, invisible and
        bidi characters inside an id are problems."""
        raw = self.col(name)
        out, length, ascii = _stripped(raw)
        self._lengths(name, raw, length, required, MAX_ID_LENGTH)
        self._characters(
            name,
            _rows_with(out, ascii, _BAD_ID),
            out,
            _BAD_ID,
            "an id must be visible characters only (it would not match the same id typed by hand); retype it",
        )
        return _Ids(out, ascii)

    def few(
        self, name: str, *, required: bool, max_len: int = MAX_NAME_LENGTH, pattern: re.Pattern | None = _CONTROL
    ) -> tuple[np.ndarray, _Few]:
        """As :meth:`text`, for a column with few distinct values; also returns them.
        Characters of *pattern* are checked once per distinct value."""
        raw = self.col(name)
        few = _Few(raw)
        out, length, _ = _stripped(few.uniques)
        self._lengths(name, raw, length[few.codes], required, max_len)
        if out is not few.uniques:
            few.uniques = out
            raw = out[few.codes]
        bad = np.array([pattern is not None and pattern.search(u) is not None for u in out.tolist()], dtype=bool)
        if bad.any():
            assert pattern is not None  # nothing is bad without a pattern
            what = (
                "an id must be visible characters only; retype it"
                if pattern is _BAD_ID
                else "the value is one line of visible text; retype it without the control character"
            )
            self._characters(name, np.flatnonzero(bad[few.codes]), raw, pattern, what)
        return raw, few

    def money(self, name: str, *, required: bool) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray]:
        """The column as nullable Int64 fen, and which cells are blank."""
        raw = self.col(name)
        fen, ok, empty, bad, reasons = _parse_amounts(raw)
        if required:
            self.report(np.flatnonzero(empty), name, raw, "is empty but an amount is required")
        self.report(bad, name, raw, reasons)
        return pd.arrays.IntegerArray(fen, ~ok), empty

    def share(self, name: str) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray]:
        """The column as nullable Float64 (0–1), and which cells are blank."""
        raw = self.col(name)
        few = _Few(raw)
        shares = [_share(u) for u in few.uniques]
        value = np.array([0.0 if x is None else x for x, _ in shares], dtype=np.float64)[few.codes]
        valid = np.array([x is not None for x, _ in shares], dtype=bool)[few.codes]
        blank = np.array([x is None and why is None for x, why in shares], dtype=bool)[few.codes]
        refused = np.flatnonzero(~valid & ~blank)
        self.report(refused, name, raw, [shares[k][1] for k in few.codes[refused].tolist()])
        return pd.arrays.FloatingArray(value, ~valid), blank

    def yes_no(self, name: str) -> np.ndarray:
        """A yes/no column as bool (blank is no); any other value is a problem."""
        raw = self.col(name)
        few = _Few(raw)
        code = few.map(lambda v: {True: 1, False: 0, None: -1}[_yes_no(v)], np.int8)
        self.report(np.flatnonzero(code < 0), name, raw, "not a yes/no value (true/false, 1/0, yes/no, 是/否)")
        return code == 1

    def whole(self, name: str, least: int, most: int, unit: str) -> pd.api.extensions.ExtensionArray:
        """A column of whole numbers from *least* to *most* (nullable Int64; blank is unknown)."""
        raw = self.col(name)
        few = _Few(raw)

        def read(text: str) -> tuple[int | None, str | None]:
            t = text.strip()
            if not t:
                return None, None
            if not _WHOLE.match(t):
                return None, f"not a whole number of {unit} (plain ASCII digits, e.g. 365)"
            v = int(t)
            if not least <= v <= most:
                return None, f"outside {least:,}–{most:,} {unit}"
            return v, None

        got = [read(u) for u in few.uniques.tolist()]
        value = np.array([0 if v is None else v for v, _ in got], dtype=np.int64)[few.codes]
        valid = np.array([v is not None for v, _ in got], dtype=bool)[few.codes]
        bad = np.flatnonzero(np.array([w is not None for _, w in got], dtype=bool)[few.codes])
        self.report(bad, name, raw, [got[k][1] for k in few.codes[bad].tolist()])
        return pd.arrays.IntegerArray(value, ~valid)

    def choice(self, name: str, allowed: dict, what: str, default: str = "") -> np.ndarray:
        """A column whose values are the keys of *allowed* (blank is *default*)."""
        values, few = self.few(name, required=False, pattern=None)
        self.report(
            np.flatnonzero(few.map(lambda v: bool(v) and v not in allowed, bool)),
            name,
            values,
            f"unknown {what} (expected one of {', '.join(allowed)}, or blank)",
        )
        return few.map(lambda v: v or default) if default else values

    def unique(self, name: str, ids: _Ids) -> bool:
        """Repeated ids are problems naming the first line; True when there are none.

        Ids are compared code point by code point and never normalised (they must match
        the bank's systems exactly); two ids that differ but are equal once normalised to
        Unicode NFC (``é`` as one character or as ``e`` + accent) are refused as well.
        """
        first = ids.first_index()
        rows = np.flatnonzero((first != np.arange(len(ids))) & (ids.values != ""))
        firsts = self.t.lines_of(first[rows]).tolist()
        self.report(rows, name, ids.values, [f"duplicate id (first on line {line})" for line in firsts])
        twins = _nfc_twins(ids.values, ids.ascii)
        if twins:
            later, earlier = (np.array(x, dtype=np.int64) for x in zip(*twins))
            self.report(
                later,
                name,
                ids.values,
                [
                    f"the same id as {ids.values[e]!r} on line {line} once Unicode-normalised (NFC), but "
                    f"written with other code points ({ids.values[e]!a} there, {ids.values[i]!a} here); "
                    "write the id the same way everywhere"
                    for i, e, line in zip(later.tolist(), earlier.tolist(), self.t.lines_of(earlier).tolist())
                ],
            )
        return not len(rows) and not twins

    def references(self, ents: _Entities, columns) -> None:
        """Dangling references into entities.csv, for each (column, ids, positions) — or, when
        entities.csv was refused as a whole, one problem saying these columns were not checked."""
        rows = [
            (name, ids, np.setdiff1d(np.flatnonzero((pos < 0) & (ids.values != "")), self.refused.get(name, ())))
            for name, ids, pos in columns
        ]
        if ents.refused:
            if any(len(r) for _, _, r in rows):
                names = " and ".join(name for name, _, _ in columns)
                self.problems.append(
                    Problem(
                        self.t.file,
                        self.t.header_line,
                        None,
                        None,
                        f"{names} not checked against entities.csv: {ents.refused}; fix it and validate again",
                    )
                )
            return
        for name, ids, r in rows:
            r = self.left_out(r, name, ids.values, ents.lost, "entities.csv")
            self.dangling(
                r,
                name,
                ids.values,
                "refers to no entity in entities.csv (dangling reference)",
                lambda: ents.lookup.ids.values,
            )

    def left_out(self, rows: np.ndarray, name: str, values: np.ndarray, lost: dict, file: str) -> np.ndarray:
        """Of the unmatched references at *rows*, those to an id on a row of *file* that was
        reported and left out make one problem (the row's problem is the cause); the rest are returned."""
        if not lost or not len(rows):
            return rows
        hit = np.array([v in lost for v in values[rows].tolist()], dtype=bool)
        if hit.any():
            first = rows[hit][0]
            n = int(hit.sum())
            more = f" ({n:,} rows here refer to refused rows, this is the first; none checked)" if n > 1 else ""
            self.report(
                first[None],
                name,
                values,
                f"refers to {values[first]!r}, whose row in {file} (line {lost[values[first]]}) was "
                f"refused{more}: fix that row",
            )
        return rows[~hit]

    def dangling(self, rows: np.ndarray, name: str, values: np.ndarray, reason: str, known) -> None:
        """Report references at *rows* that match nothing; when one equals a known id once
        normalised to NFC, say so. *known* gives the known ids (called only if needed)."""
        if not len(rows):
            return
        reasons = [reason] * len(rows)
        odd = [k for k, v in enumerate(values[rows].tolist()) if not v.isascii()]
        if odd:
            spelled: dict[str, str] = {}
            for v in known().tolist():
                if not v.isascii():
                    spelled.setdefault(unicodedata.normalize("NFC", v), v)
            for k in odd:
                other = spelled.get(unicodedata.normalize("NFC", values[rows[k]]))
                if other is not None:
                    reasons[k] = (
                        f"{reason}; {other!r} is the same id in another Unicode form "
                        f"({other!a} there, {values[rows[k]]!a} here): "
                        "write it the same way in both files"
                    )
        self.report(rows, name, values, reasons)

    def extras(self, known) -> dict[str, np.ndarray]:
        return {c: vals for c, vals in self.t.columns.items() if c not in known}


#: Text columns are pandas' ``str`` dtype held as Python strings, whether or not pyarrow is
#: installed: pandas 3 would otherwise convert every cell into Arrow memory when pyarrow is
#: present (costly on a big book) and back again for every analysis that reads the column
#: as Python strings.
_TEXT = pd.StringDtype("python", na_value=np.nan)


def _frame(columns: dict) -> pd.DataFrame:
    # An empty text column is built from a list, as it always was (pandas makes it float64).
    return pd.DataFrame(
        {
            c: (v if not isinstance(v, np.ndarray) or v.dtype != object else pd.array(v, dtype=_TEXT) if len(v) else [])
            for c, v in columns.items()
        },
        copy=False,
    )


# ----------------------------------------------------------------------------- tables


def _check_entities(t: RawTable) -> tuple[pd.DataFrame, list[Problem], _Entities]:
    c = _Checker(t)
    missing = c.missing_columns(ENTITY_COLUMNS)
    if missing:
        return None, c.problems, _Entities.none(f"entities.csv was refused ({missing})")
    if len(t) == 0 and not t.problems:
        c.problems.append(
            Problem(t.file, t.header_line, None, None, "has a header but no rows: a dataset needs entities")
        )
    empty = "entities.csv was refused (it has no rows)" if len(t) == 0 else None
    ids = c.ids("id")
    distinct = c.unique("id", ids)
    kinds, few = c.few("kind", required=True, pattern=None)
    kind = few.map(lambda k: _KIND_CODE.get(k, -1), np.int64)
    c.report(
        np.flatnonzero((kind < 0) & (kinds != "")), "kind", kinds, f"unknown kind (expected one of {', '.join(_KINDS)})"
    )
    names = c.text("name", required=True)
    raw_cust = c.col("is_customer")
    few = _Few(raw_cust)
    yes_no = few.map(lambda v: {True: 1, False: 0, None: -1}[_yes_no(v)], np.int8)
    cust = yes_no == 1
    c.report(np.flatnonzero(yes_no < 0), "is_customer", raw_cust, "not a yes/no value (true/false, 1/0, yes/no, 是/否)")
    rows = np.flatnonzero(cust & (kind >= 0) & ~_IS_PARTY[kind])
    c.report(
        rows,
        "is_customer",
        raw_cust,
        [f"a {k} cannot be a borrowing customer here (only person or enterprise)" for k in kinds[rows]],
    )
    money = {m: c.money(m, required=False)[0] for m in ENTITY_MONEY}
    cols = {"id": ids.values, "kind": kinds, "name": names, "is_customer": cust}
    for opt in ("industry", "region", "segment"):
        cols[opt] = c.few(opt, required=False)[0]
    cols.update(money)
    interbank = c.yes_no("is_interbank")
    exempt = c.choice("exempt", _EXEMPTS, "exemption")
    for flag, column, values, what in (
        (interbank, "is_interbank", c.col("is_interbank"), "an interbank counterparty"),
        (exempt != "", "exempt", exempt, "an exempt counterparty"),
    ):
        rows = np.flatnonzero(flag & (kind >= 0) & (kind != _KIND_CODE[Kind.ENTERPRISE.value]))
        c.report(
            rows,
            column,
            values,
            [f"a {k} cannot be {what} (only an enterprise: a bank, a government body)" for k in kinds[rows]],
        )
    cols["is_interbank"] = interbank
    cols["exempt"] = exempt
    cols.update(c.extras(set(ENTITY_COLUMNS) | set(ENTITY_OPTIONAL)))
    # Other tables look ids up among rows with an id (an unknown kind is reported here, not
    # as a dangling reference in every row that refers to it); the last such row wins.
    rows = np.flatnonzero(ids.values != "")
    if not distinct:
        rows = rows[::-1]
        rows = rows[ids.take(rows).first_index() == np.arange(len(rows))]
    broken = None if t.broken_at is None else f"entities.csv could not be read from line {t.broken_at} on"
    entities = _Entities(
        _Lookup(ids.take(rows)), kind[rows], yes_no[rows], refused=empty or broken, lost=_lost_ids(t, "id")
    )
    return _frame(cols), c.problems, entities


def _shared_codes(a: _Ids, b: _Ids, pos_a: np.ndarray, pos_b: np.ndarray, known: int):
    """Integer codes for two id columns, equal exactly where the ids are equal: an entity's
    position for known ids, ``known + k`` for the others; and the number of codes."""
    code_a, code_b = pos_a.copy(), pos_b.copy()
    miss_a, miss_b = np.flatnonzero(pos_a < 0), np.flatnonzero(pos_b < 0)
    if len(miss_a) or len(miss_b):
        codes, uniques = pd.factorize(np.concatenate((a.values[miss_a], b.values[miss_b])))
        code_a[miss_a] = codes[: len(miss_a)] + known
        code_b[miss_b] = codes[len(miss_a) :] + known
        known += len(uniques)
    return code_a, code_b, max(known, 1)


def _check_relations(t: RawTable, ents: _Entities) -> tuple[pd.DataFrame, list[Problem]]:
    c = _Checker(t)
    if c.missing_columns(RELATION_COLUMNS):
        return None, c.problems
    srcs, dsts = c.ids("src"), c.ids("dst")
    types, few = c.few("type", required=True, pattern=None)
    ty = few.map(lambda x: _TYPE_CODE.get(x, -1), np.int64)
    amounts, no_amount = c.money("amount", required=False)
    shares, no_share = c.share("share")
    buyer_shares, no_buyer_share = c.share("buyer_share")
    pos_s, kind_s, _ = ents.find(srcs)
    pos_d, kind_d, _ = ents.find(dsts)
    c.references(ents, (("src", srcs, pos_s), ("dst", dsts, pos_d)))
    c.report(
        np.flatnonzero((ty < 0) & (types != "")),
        "type",
        types,
        f"unknown relation type (expected one of {', '.join(_TYPES)})",
    )
    typed = ty >= 0
    code_s, code_d, m = _shared_codes(srcs, dsts, pos_s, pos_d, len(ents.kind))

    loops = np.flatnonzero(typed & _NO_SELF_LOOP[ty] & (code_s == code_d) & (srcs.values != ""))
    c.report(loops, "dst", dsts.values, [f"{x} from an entity to itself (self-loop)" for x in types[loops]])
    for end, kind, allowed, ids, verb in (
        ("src", kind_s, _SRC_OK, srcs, "start at"),
        ("dst", kind_d, _DST_OK, dsts, "end at"),
    ):
        rows = np.flatnonzero(typed & (kind >= 0) & ~allowed[ty, kind])
        c.report(
            rows,
            end,
            ids.values,
            [
                f"{_TYPE_LIST[x].value} cannot {verb} a {_KIND_LIST[k].value} (allowed: {_kinds(allowed[x])})"
                for x, k in zip(ty[rows].tolist(), kind[rows].tolist())
            ],
        )
    for column, needs, blank, what in (
        ("amount", _NEEDS_AMOUNT, no_amount, "an amount"),
        ("share", _NEEDS_SHARE, no_share, "a share (0–1)"),
    ):
        rows = np.flatnonzero(typed & needs[ty] & blank)
        c.report(rows, column, "", [f"{x} requires {what}" for x in types[rows]])
    rows = np.flatnonzero(typed & ~no_buyer_share & (ty != _TYPE_CODE[RelationType.SUPPLIES.value]))
    c.report(
        rows,
        "buyer_share",
        c.col("buyer_share"),
        [f"only a SUPPLIES relation has a buyer_share (the buyer's purchases), not {x}" for x in types[rows]],
    )

    # One row per (src, dst, type); an undirected type's pair counts in either direction.
    rows = np.flatnonzero(typed)
    a, b = code_s[rows], code_d[rows]
    flip = np.flatnonzero(~_DIRECTED[ty[rows]])
    flip = flip[srcs.values[rows[flip]] > dsts.values[rows[flip]]]
    a[flip], b[flip] = b[flip], a[flip]
    first = _first_index((a * m + b) * len(_TYPE_LIST) + ty[rows])
    dup = np.flatnonzero(first != np.arange(len(rows)))
    firsts = t.lines_of(rows[first[dup]]).tolist()
    dup = rows[dup]
    c.report(
        dup,
        "type",
        types,
        [
            f"duplicate relation {s} -{x}- {d} (first on line {line}); "
            "one row per pair and type (add amounts into one row)"
            for s, x, d, line in zip(srcs.values[dup], types[dup], dsts.values[dup], firsts)
        ],
    )
    since, few = c.few("since", required=False, pattern=None)  # a date: since_problem refuses anything else
    why = _since_problems(few.uniques)
    rows = np.flatnonzero(np.array([w is not None for w in why], dtype=bool)[few.codes])
    c.report(rows, "since", since, [why[k] for k in few.codes[rows].tolist()])
    cols = {
        "src": srcs.values,
        "dst": dsts.values,
        "type": types,
        "amount": amounts,
        "share": shares,
        "buyer_share": buyer_shares,
        "role": c.few("role", required=False)[0],
        "since": since,
    }
    cols.update(c.extras(set(RELATION_COLUMNS) | set(RELATION_OPTIONAL)))
    return _frame(cols), c.problems


@dataclass
class _Schemes:
    """What exposures.csv needs from schemes.csv: its scheme ids, or why they cannot be checked."""

    ids: set
    absent: bool = False  # there is no schemes.csv (it is optional)
    refused: str | None = None  # schemes.csv was refused as a whole
    lost: dict = field(default_factory=dict)  # scheme ids on rows left out → their line


def _check_schemes(
    t: RawTable | None, ents: _Entities, refused: str | None = None
) -> tuple[pd.DataFrame, list[Problem], _Schemes]:
    cols_all = list(SCHEME_COLUMNS) + list(SCHEME_OPTIONAL)
    if refused:
        return None, [], _Schemes(set(), refused=refused)
    if t is None:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols_all}), [], _Schemes(set(), absent=True)
    c = _Checker(t)
    missing = c.missing_columns(SCHEME_COLUMNS)
    if missing:
        return None, c.problems, _Schemes(set(), refused=f"schemes.csv was refused ({missing})")
    ids = c.ids("scheme_id")
    c.unique("scheme_id", ids)
    chans = c.ids("channel_id")
    pos, kind, _ = ents.find(chans)
    c.references(ents, (("channel_id", chans, pos),))
    rows = np.flatnonzero((kind >= 0) & ~_IS_CHANNEL[kind])
    c.report(
        rows,
        "channel_id",
        chans.values,
        [
            f"a scheme's channel must be a chamber, market or intermediary, not a {_KIND_LIST[k].value}"
            for k in kind[rows]
        ],
    )
    cols = {
        "scheme_id": ids.values,
        "channel_id": chans.values,
        "name": c.text("name", required=True),
        "product": c.few("product", required=False)[0],
    }
    cols.update(c.extras(set(cols_all)))
    broken = None if t.broken_at is None else f"schemes.csv could not be read from line {t.broken_at} on"
    return (
        _frame(cols),
        c.problems,
        _Schemes(set(ids.values.tolist()) - {""}, refused=broken, lost=_lost_ids(t, "scheme_id")),
    )


def _check_exposures(t: RawTable, ents: _Entities, schemes: _Schemes) -> tuple[pd.DataFrame, list[Problem]]:
    c = _Checker(t)
    if c.missing_columns(EXPOSURE_COLUMNS):
        return None, c.problems
    ids = c.ids("facility_id")
    c.unique("facility_id", ids)
    custs = c.ids("customer_id")
    outstanding, _ = c.money("outstanding", required=True)
    limits, _ = c.money("limit", required=False)
    undrawn, _ = c.money("undrawn", required=False)
    margin, _ = c.money("margin", required=False)
    etype = c.choice("exposure_type", _EXPOSURE_TYPES, "exposure type", default=ExposureType.LOAN.value)
    maturity = c.whole("original_maturity_days", 1, MAX_MATURITY_DAYS, "days")
    cancellable = c.yes_no("cancellable")
    out_fen = outstanding.to_numpy(dtype=np.int64, na_value=0)
    amount = out_fen + undrawn.to_numpy(dtype=np.int64, na_value=0)
    margin_fen = margin.to_numpy(dtype=np.int64, na_value=0)
    rows = np.flatnonzero(margin_fen > amount)
    c.report(
        rows,
        "margin",
        c.col("margin"),
        [
            f"cash margin above the facility's amount ({format_yuan(a)} yuan outstanding and undrawn): "
            "a margin covers at most the whole facility"
            for a in amount[rows].tolist()
        ],
    )
    # What is drawn and what is still committed together fit in the facility's limit.
    lim_fen = limits.to_numpy(dtype=np.int64, na_value=0)
    rows = np.flatnonzero(~undrawn.isna() & ~limits.isna() & (amount > lim_fen))
    c.report(
        rows,
        "undrawn",
        c.col("undrawn"),
        [
            f"outstanding and undrawn together ({format_yuan(a)} yuan) exceed the limit ({format_yuan(x)} yuan)"
            for a, x in zip(amount[rows].tolist(), lim_fen[rows].tolist())
        ],
    )
    pos, kind, customer = ents.find(custs)
    c.references(ents, (("customer_id", custs, pos),))
    rows = np.flatnonzero((kind >= 0) & ~_IS_PARTY[kind])
    c.report(
        rows,
        "customer_id",
        custs.values,
        [f"a facility's customer must be a person or enterprise, not a {_KIND_LIST[k].value}" for k in kind[rows]],
    )
    # (a customer whose is_customer is not a yes/no value is reported there, once)
    c.report(
        np.flatnonzero((kind >= 0) & _IS_PARTY[kind] & (customer == 0)),
        "customer_id",
        custs.values,
        "has a facility but is_customer is false in entities.csv",
    )
    scheme_ids, few = c.few("scheme_id", required=False, max_len=MAX_ID_LENGTH, pattern=_BAD_ID)
    rows = np.setdiff1d(
        np.flatnonzero(few.map(lambda s: bool(s) and s not in schemes.ids, bool)), c.refused.get("scheme_id", ())
    )
    if len(rows) and (schemes.refused or schemes.absent):
        # One problem for the file, not one per facility.
        many = f"{len(rows):,} row{'s' if len(rows) != 1 else ''} name a scheme, this is the first"
        c.report(
            rows[:1],
            "scheme_id",
            scheme_ids,
            f"not checked ({many}): {schemes.refused}; fix it and validate again"
            if schemes.refused
            else f"refers to no scheme: there is no schemes.csv ({many}); add schemes.csv or leave scheme_id blank",
        )
    else:
        rows = c.left_out(rows, "scheme_id", scheme_ids, schemes.lost, "schemes.csv")
        c.dangling(
            rows,
            "scheme_id",
            scheme_ids,
            "refers to no scheme in schemes.csv (dangling reference)",
            lambda: np.array(sorted(schemes.ids), dtype=object),
        )
    statuses, few = c.few("status", required=False, pattern=None)
    c.report(
        np.flatnonzero(few.map(lambda s: bool(s) and s not in _STATUSES, bool)),
        "status",
        statuses,
        f"unknown five-class status (expected one of {', '.join(_STATUSES)})",
    )
    cols = {
        "facility_id": ids.values,
        "customer_id": custs.values,
        "outstanding": out_fen,
        "limit": limits,
        "product": c.few("product", required=False)[0],
        "scheme_id": scheme_ids,
        "status": few.map(lambda s: s or Status.NORMAL.value),
        "exposure_type": etype,
        "undrawn": undrawn,
        "margin": margin,
        "original_maturity_days": maturity,
        "cancellable": cancellable,
    }
    cols.update(c.extras(set(EXPOSURE_COLUMNS) | set(EXPOSURE_OPTIONAL)))
    return _frame(cols), c.problems


def _kinds(kinds) -> str:
    """Allowed kinds as ``a|b``, from a set of kinds or a boolean row over ``_KIND_LIST``."""
    if isinstance(kinds, np.ndarray):
        kinds = {k for k, yes in zip(_KIND_LIST, kinds) if yes}
    return "|".join(k.value for k in Kind if k in kinds)


# ----------------------------------------------------------------------------- API


def load_dataset(
    path: str | Path, *, encoding: str | None = None, policy: str | Path | Policy | None = None
) -> Dataset:
    """Read and validate a dataset folder.

    Parameters
    ----------
    path : folder with ``entities.csv``, ``relations.csv``, ``exposures.csv`` and
        optionally ``schemes.csv`` and ``policy.toml``.
    encoding : force an encoding for every file (default: detect UTF-8, UTF-8 with
        BOM, or GB18030/GBK per file).
    policy : a :class:`Policy`, or a path to a ``policy.toml`` (default: the
        folder's ``policy.toml`` if present, else the documented defaults).

    Raises
    ------
    DatasetError
        listing every problem found, each with file, line, column, value, reason.

    Examples
    --------
    >>> ds = load_dataset("data/sample")   # doctest: +SKIP
    >>> ds.summary()["customers"]           # doctest: +SKIP
    300
    """
    folder = Path(path)
    why = _not_a_folder(folder)
    if why:
        raise DatasetError([Problem(str(folder), None, None, None, why)])
    if encoding:
        try:
            normalise_encoding(encoding)
        except ValueError as exc:
            raise DatasetError([Problem("--encoding", None, None, encoding, str(exc))]) from exc
    problems: list[Problem] = []

    pol: Policy
    if isinstance(policy, Policy):
        pol = policy
    else:
        ppath = Path(policy) if policy else folder / "policy.toml"
        if policy or ppath.exists() or ppath.is_symlink():  # a dangling link is refused, not skipped
            try:
                pol = Policy.load(ppath)
            except PolicyError as exc:  # every problem, at its line (named as given with --policy)
                where = str(ppath) if policy else ppath.name
                problems += [
                    Problem(where, p.line, None if p.column is None else str(p.column), None, p.reason)
                    for p in exc.problems
                ]
                pol = Policy()
        else:
            pol = Policy()

    raw: dict[str, RawTable | None] = {}
    for key, name in TABLE_FILES.items():
        f = folder / name
        if not os.path.lexists(f):  # a dangling link is not "missing": read_csv_table names it
            if key != "schemes":
                problems.append(Problem(name, None, None, None, f"is missing from {folder}"))
            raw[key] = None
            continue
        raw[key] = table = read_csv_table(f, encoding)
        problems.extend(table.problems)

    ent_df = rel_df = exp_df = None
    if raw["entities"] is not None and raw["entities"].header:
        ent_df, p, entities = _check_entities(raw["entities"])
        problems.extend(p)
    else:
        entities = _Entities.none(_refused(raw["entities"], "entities.csv"))
    schemes = raw["schemes"]
    refused = None if schemes is None or schemes.header else _refused(schemes, "schemes.csv")
    sch_df, p, scheme_ids = _check_schemes(schemes, entities, refused)
    problems.extend(p)
    if raw["relations"] is not None and raw["relations"].header:
        rel_df, p = _check_relations(raw["relations"], entities)
        problems.extend(p)
    if raw["exposures"] is not None and raw["exposures"].header:
        exp_df, p = _check_exposures(raw["exposures"], entities, scheme_ids)
        problems.extend(p)
        if exp_df is not None and len(exp_df) > 0 and not p:
            total = sum(exp_df["outstanding"].tolist())
            if total >= 2**62:
                problems.append(
                    Problem(
                        raw["exposures"].file,
                        None,
                        "outstanding",
                        None,
                        "total outstanding is too large to be a bank's book",
                    )
                )
    if problems:
        raise DatasetError(problems)
    return Dataset(
        ent_df, rel_df, exp_df, sch_df, pol, folder, {k: t.encoding for k, t in raw.items() if t is not None}
    )


def _lost_ids(t: RawTable, column: str) -> dict:
    """Ids in *column* of the records *t* reported and left out (ragged …), each → its line."""
    if column not in t.header:
        return {}
    at = t.header.index(column)
    lost: dict = {}
    for line, fields in t.left_out:
        if at < len(fields) and fields[at].strip():
            lost.setdefault(fields[at].strip(), line)
    return lost


def _refused(table: RawTable | None, name: str) -> str:
    """Why a file's references cannot be checked, for its dependants' one line."""
    if table is None:
        return f"{name} is missing"
    return f"{name} was refused ({'its header was refused' if table.header_refused else 'it could not be read'})"


def _not_a_folder(folder: Path) -> str | None:
    """Why *folder* cannot be a dataset folder (``None`` when it is a folder)."""
    try:
        mode = os.stat(folder).st_mode
    except FileNotFoundError:
        if os.path.islink(folder):
            return "is a symbolic link to a folder that does not exist"
        return "does not exist (a dataset is a folder holding entities.csv, relations.csv and exposures.csv)"
    except OSError as exc:
        return f"cannot be opened: {exc.strerror or exc}; check the path and its permissions"
    if stat.S_ISDIR(mode):
        return None
    if stat.S_ISREG(mode):
        return "is a file, not a folder: give the folder that holds entities.csv, relations.csv and exposures.csv"
    return "is not a folder (a dataset is a folder holding entities.csv, relations.csv and exposures.csv)"


def validate(path: str | Path, **kwargs) -> list[Problem]:
    """Every problem in a dataset folder (an empty list when it is valid)."""
    try:
        load_dataset(path, **kwargs)
    except DatasetError as exc:
        return exc.problems
    return []


def dataset_from_frames(
    entities: pd.DataFrame,
    relations: pd.DataFrame,
    exposures: pd.DataFrame,
    schemes: pd.DataFrame | None = None,
    policy: Policy | None = None,
) -> Dataset:
    """Validate in-memory tables (text cells, as they would be in CSV) by the same rules.

    Convenient for tests and notebooks; goes through a temporary folder so that the
    one validation path is used.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for frame, name in (
            (entities, "entities.csv"),
            (relations, "relations.csv"),
            (exposures, "exposures.csv"),
            (schemes, "schemes.csv"),
        ):
            if frame is not None:
                frame.to_csv(Path(tmp) / name, index=False)
        ds = load_dataset(tmp, policy=policy or Policy())
    ds.path = None
    ds.name = ""
    return ds
