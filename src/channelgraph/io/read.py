"""Reading CSV exports: encoding detection and line-exact parsing.

Bank exports come as UTF-8, UTF-8 with BOM, or GB18030/GBK. :func:`detect_encoding`
tells them apart strictly (a file that mixes them is refused, naming the lines), and
:func:`read_csv_table` parses a file into columns of text while remembering the line
on which each record starts, as an editor numbers lines (the header is line 1), so
that every later problem can name file, line, column and value.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem

#: Encodings accepted with ``--encoding`` (aliases normalised by :func:`normalise_encoding`).
KNOWN_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312")


def normalise_encoding(name: str) -> str:
    try:
        canonical = codecs.lookup(name).name
    except LookupError as exc:
        raise ValueError(f"unknown encoding {name!r}; use one of {', '.join(KNOWN_ENCODINGS)}") from exc
    return canonical


@dataclass
class RawTable:
    """A CSV file as text columns, with the starting line of each record."""

    file: str
    encoding: str
    header: list[str]
    columns: dict[str, list[str]]
    lines: list[int]
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


def _first_bad_utf8_lines(data: bytes, limit: int = 5) -> tuple[list[int], int]:
    """Lines (1-based) that are not valid UTF-8, and how many lines are valid non-ASCII UTF-8."""
    bad: list[int] = []
    good_non_ascii = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
            good_non_ascii += 1
        except UnicodeDecodeError:
            if len(bad) < limit:
                bad.append(number)
    return bad, good_non_ascii


def detect_encoding(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Decide how *data* is encoded: ``utf-8-sig``, ``utf-8`` or ``gb18030``.

    Returns the encoding and any problems (a file that is neither, or mixes UTF-8
    lines with GBK lines).
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            data.decode("utf-8-sig")
            return "utf-8-sig", []
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            return None, [Problem(file, line, None, None,
                                  "has a UTF-8 byte-order mark but bytes that are not UTF-8 "
                                  "(mixed encodings?); re-export the file in one encoding")]
    try:
        data.decode("utf-8")
        return "utf-8", []
    except UnicodeDecodeError:
        pass
    bad, good = _first_bad_utf8_lines(data)
    if good:
        lines = ", ".join(map(str, bad))
        return None, [Problem(file, bad[0], None, None,
                              f"mixes encodings: some lines are UTF-8, others (lines {lines}) are not; "
                              "re-export the file in one encoding")]
    try:
        data.decode("gb18030")
        return "gb18030", []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(file, line, None, None,
                              "is neither UTF-8 nor GB18030/GBK; pass --encoding if it is another encoding")]


def read_csv_table(path: Path, encoding: str | None = None) -> RawTable:
    """Read one CSV file into a :class:`RawTable`; problems are collected, not raised.

    Blank lines are skipped. A record whose field count differs from the header's,
    a NUL byte, an unterminated quote, an empty file or a duplicated column name is a
    problem naming the line.
    """
    file = path.name
    table = RawTable(file, encoding or "", [], {}, [])
    data = path.read_bytes()
    if encoding:
        enc = normalise_encoding(encoding)
        if enc == "utf-8" and data.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            table.problems.append(Problem(file, line, None, None, f"cannot be decoded as {encoding}"))
            return table
    else:
        enc, probs = detect_encoding(data, file)
        if enc is None:
            table.problems.extend(probs)
            return table
        text = data.decode(enc)
    table.encoding = enc
    if not text.strip():
        table.problems.append(Problem(file, 1, None, None, "is empty: no header line"))
        return table
    if "\x00" in text:
        for number, line in enumerate(text.split("\n"), start=1):
            if "\x00" in line:
                table.problems.append(Problem(file, number, None, None,
                                              "contains a NUL byte (a binary or truncated export?)"))
        return table

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        table.problems.append(Problem(file, 1, None, None, f"header is not valid CSV: {exc}"))
        return table
    header = [h.strip() for h in header]
    table.header = header
    seen: set[str] = set()
    for name in header:
        if not name:
            table.problems.append(Problem(file, 1, None, None, "header has an empty column name"))
        elif name in seen:
            table.problems.append(Problem(file, 1, name, None, "column name appears twice in the header"))
        seen.add(name)
    if table.problems:
        return table
    width = len(header)
    cols: list[list[str]] = [[] for _ in header]
    lines = table.lines
    start = reader.line_num + 1
    try:
        for row in reader:
            end = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip() and width > 1):
                start = end + 1
                continue
            if len(row) != width:
                table.problems.append(Problem(
                    file, start, None, None,
                    f"has {len(row)} fields but the header has {width}"
                    + (" (truncated row?)" if len(row) < width else " (an unquoted comma?)")))
            else:
                for i, value in enumerate(row):
                    cols[i].append(value)
                lines.append(start)
            start = end + 1
    except csv.Error as exc:
        table.problems.append(Problem(file, start, None, None,
                                      f"is not valid CSV from here on: {exc} (an unterminated quote?)"))
    table.columns = dict(zip(header, cols))
    return table
