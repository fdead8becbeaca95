"""Reading CSV exports: encoding detection and line-exact parsing.

Bank exports come as UTF-8, UTF-8 with BOM, or GB18030/GBK. :func:`detect_encoding`
tells them apart strictly (a file that mixes them is refused, naming the lines), and
:func:`read_csv_table` parses a file into columns of text while remembering the line
on which each record starts, as an editor numbers lines (the header is line 1), so
that every later problem can name file, line, column and value.

Two ways to the same table
--------------------------
The text is decoded once and held as UTF-8 bytes. A vectorised scan (:func:`_scan`)
finds every record: where it starts, on which line, and how many fields it has,
honouring quoted fields (which may hold commas and newlines). When the file is
well-formed CSV as Python's :mod:`csv` module in strict mode reads it — every quote
opens or closes a field, no lone carriage returns, no field beyond the csv module's
size limit — pandas' C parser turns the records into columns (the *fast path*).
Blank lines are skipped and ragged records (wrong field count) are reported and left
out before pandas sees the text, so row *i* of the table is a known record with a
known line.

Anything else — a stray quote inside a field, an unterminated quote, a lone CR, a
blank header — is read record by record with the :mod:`csv` module (the *exact
path*), which diagnoses malformed CSV precisely. Both paths give the same
:class:`RawTable`; validation (``validate.py``) is one logic on top of it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._oserror import cannot_read
from .problems import Problem

#: Encodings accepted with ``--encoding`` (aliases normalised by :func:`normalise_encoding`).
KNOWN_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312")
#: Their canonical codec names (``utf8``, ``cp936`` … are aliases of these).
_KNOWN_CODECS = frozenset(codecs.lookup(e).name for e in KNOWN_ENCODINGS)

#: Most columns a file may have: the contract needs about a dozen; a thousand leaves room
#: for extra attribute columns while a header of a million empty names is refused at once.
MAX_COLUMNS = 1_000
#: Most bytes (UTF-8) one field may hold: ids are ≤ 64 characters and names ≤ 200, so
#: 64 KiB leaves room for long free-text attribute columns; more is a lost closing quote
#: or a file pasted into a cell. A record with a longer field is reported and left out.
MAX_FIELD_BYTES = 65_536
#: Longest column name: a header cell longer than a name may be is not a column name.
MAX_COLUMN_NAME = 200

#: Bytes scanned at a time: bounds the scan's temporary arrays to a few times this.
_CHUNK = 1 << 24
_QUOTE, _COMMA, _LF, _CR = ord('"'), ord(","), ord("\n"), ord("\r")
#: Leading bytes that ``str.strip`` removes (ASCII whitespace and the separators \x1c-\x1f).
_LEADING_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c\x1c-\x1f]*")


def normalise_encoding(name: str) -> str:
    """The canonical codec name of an accepted ``--encoding`` (``UTF8`` → ``utf-8``).

    Raises
    ------
    ValueError
        for any other encoding, naming the accepted ones (bank exports are UTF-8, UTF-8
        with BOM or GB18030/GBK; another codec would read them as nonsense, not fail).
    """
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        canonical = None
    if canonical not in _KNOWN_CODECS:
        raise ValueError(
            f"unknown encoding {name!r}: use one of {', '.join(KNOWN_ENCODINGS)} "
            "(or leave --encoding out to detect it per file)"
        )
    return canonical


#: What a non-regular file is, for people.
_FILE_TYPES = (
    (stat.S_ISDIR, "is a folder, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not an ordinary file"),
    (stat.S_ISCHR, "is a character device, not an ordinary file"),
    (stat.S_ISBLK, "is a block device, not an ordinary file"),
    (stat.S_ISSOCK, "is a socket, not an ordinary file"),
)
#: What to do about a CSV export that cannot be read as a file.
SAVE_AS_CSV_FILE = "save the export as an ordinary CSV file in the dataset folder"


def _not_regular(mode: int, instead: str) -> str | None:
    """Why a file of this mode cannot be read (``None`` for a regular file), and *instead*."""
    if stat.S_ISREG(mode):
        return None
    for test, what in _FILE_TYPES:
        if test(mode):
            return f"{what}; {instead}"
    return f"is not an ordinary file; {instead}"  # pragma: no cover - every type is listed


def _too_big(size: int, max_bytes: int) -> str:
    return f"is {size:,} bytes; at most {max_bytes:,} bytes are read (is this the right file?)"


def read_file_bytes(
    path: Path, *, instead: str = SAVE_AS_CSV_FILE, max_bytes: int | None = None
) -> tuple[bytes | None, str | None]:
    """The whole content of the input file *path*, or ``None`` and why it cannot be read.

    Every input file (CSV export, policy) is read by this function, so the reasons agree.
    Only an ordinary file is read (after following symbolic links): a missing file, a
    folder, FIFO, device or socket is refused *before* it is opened — a FIFO would block
    for ever and a device never end — and so are a dangling symbolic link and a link
    loop. An error of the operating system while opening or reading is a reason, not an
    exception.

    Parameters
    ----------
    path
        The file.
    instead
        What the user should give instead, appended to a reason for a path that is not
        a readable ordinary file (e.g. "give a policy.toml text file").
    max_bytes
        Most bytes accepted; a larger file is refused unread (``None``: no limit).
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(path):
            return None, f"is a symbolic link to {os.readlink(path)!r}, which does not exist; {instead}"
        return None, f"does not exist; {instead}"
    except OSError as exc:
        return None, cannot_read(exc, "opened")
    why = _not_regular(st.st_mode, instead)
    if why:
        return None, why
    if max_bytes is not None and st.st_size > max_bytes:
        return None, _too_big(st.st_size, max_bytes)
    try:
        # Non-blocking: a FIFO swapped in after the check above still cannot block the open.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return None, cannot_read(exc, "opened")
    try:
        with os.fdopen(fd, "rb") as fh:
            why = _not_regular(os.fstat(fh.fileno()).st_mode, instead)
            if why:
                return None, why
            if max_bytes is None:
                return fh.read(), None
            data = fh.read(max_bytes + 1)  # a file that grew since the check is still bounded
            if len(data) > max_bytes:
                return None, _too_big(os.fstat(fh.fileno()).st_size, max_bytes)
            return data, None
    except OSError as exc:
        return None, cannot_read(exc, "read")


@dataclass
class RawTable:
    """A CSV file as text columns, with the starting line of each record.

    ``columns`` maps each header name to an object array of ``str`` (one per record,
    in file order; blank and ragged records left out). ``record_lines`` holds the
    editor line on which each record starts, or is ``None`` when record *i* simply
    starts on line ``i + 2`` (no blank lines, no multi-line records).
    """

    file: str
    encoding: str
    header: list[str] = field(default_factory=list)
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    record_lines: np.ndarray | None = None
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    #: The line from which the file is not valid CSV (records from there on are lost), or None.
    broken_at: int | None = None
    #: Whether the header was refused (too many, too long, empty or repeated names): no rows read.
    header_refused: bool = False
    #: Records reported and left out (ragged, over-long field): (line, fields up to the header's
    #: width), so that references to the ids they hold can be told from dangling ones.
    left_out: list[tuple[int, list[str]]] = field(default_factory=list)
    #: The editor line of the header: 1, or later when blank lines come before it.
    header_line: int = 1

    def __len__(self) -> int:
        return self.rows

    def line_at(self, i: int) -> int:
        """The editor line on which record *i* starts."""
        return int(self.record_lines[i]) if self.record_lines is not None else i + 2

    def lines_of(self, rows: np.ndarray) -> np.ndarray:
        """Editor lines of the records at positions *rows* (vectorised :meth:`line_at`)."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.record_lines[rows] if self.record_lines is not None else rows + 2

    @property
    def lines(self) -> list[int]:
        """The editor line of every record, as a list."""
        return self.lines_of(np.arange(self.rows)).tolist()


#: A line break as the csv module and editors count them: CRLF, a lone CR or LF.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _line_of(data: bytes, offset: int, start: int = 0) -> int:
    """The editor line (1-based) on which byte *offset* of ``data[start:]`` stands."""
    return sum(1 for _ in _LINE_BREAK.finditer(data, start, offset)) + 1


def _split_lines(data: bytes) -> list[bytes]:
    return _LINE_BREAK.split(data)


def _first_bad_utf8_lines(data: bytes, limit: int = 5) -> tuple[list[int], int]:
    """Lines (1-based) that are not valid UTF-8, and how many lines are valid non-ASCII UTF-8."""
    bad: list[int] = []
    good_non_ascii = 0
    for number, raw in enumerate(_split_lines(data), start=1):
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
            good_non_ascii += 1
        except UnicodeDecodeError:
            if len(bad) < limit:
                bad.append(number)
    return bad, good_non_ascii


def _is_utf8(data: bytes, start: int = 0) -> bool:
    """Whether ``data[start:]`` is valid UTF-8, checked piecewise (no copy of the whole text)."""
    if data.isascii():
        return True
    view = memoryview(data)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for lo in range(start, len(data), _CHUNK):
            decoder.decode(view[lo : lo + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


#: Byte-order marks of the encodings Excel's "Unicode Text" and other tools write, longest first
#: (the UTF-32 LE mark begins with the UTF-16 LE one).
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SAVE_AS_UTF8 = "save it as UTF-8 or GB18030"


def _wide_encoding(data: bytes) -> str | None:
    """Why *data* is UTF-16 or UTF-32 text (which channelgraph does not read), or ``None``.

    Told by its byte-order mark, or — without one — by NUL bytes in every other byte of the
    first 4 KiB (UTF-16 holds ASCII characters as a byte and a NUL) while the other bytes
    are not NUL (NUL padding at the end of a file is not UTF-16).
    """
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return f"is {name} (byte-order mark {bom.hex(' ').upper()}): {_SAVE_AS_UTF8}"
    sample = data[:4096]
    if len(sample) < 8:
        return None
    for lane, order in ((1, "little-endian"), (0, "big-endian")):
        nuls, others = sample[lane::2].count(0), sample[1 - lane :: 2].count(0)
        if nuls * 5 >= len(sample) and others * 40 <= len(sample):  # ≥ 40 % of the lane, ≤ 5 % of the other
            return f"is UTF-16 ({order}, without a byte-order mark: every other byte is NUL): {_SAVE_AS_UTF8}"
    return None


def detect_encoding(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Decide how *data* is encoded: ``utf-8-sig``, ``utf-8`` or ``gb18030``.

    Returns the encoding and any problems (a file that is neither, or mixes UTF-8
    lines with GBK lines, or is UTF-16/UTF-32: one problem, on line 1).
    """
    why = _wide_encoding(data)
    if why:
        return None, [Problem(file, 1, None, None, why)]
    if data.startswith(codecs.BOM_UTF8):
        if _is_utf8(data, len(codecs.BOM_UTF8)):
            return "utf-8-sig", []
        try:
            data.decode("utf-8-sig")
            return "utf-8-sig", []  # pragma: no cover - _is_utf8 said otherwise
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start)
            return None, [
                Problem(
                    file,
                    line,
                    None,
                    None,
                    "has a UTF-8 byte-order mark but bytes that are not UTF-8 "
                    "(mixed encodings?); re-export the file in one encoding",
                )
            ]
    if _is_utf8(data):
        return "utf-8", []
    bad, good = _first_bad_utf8_lines(data)
    if good:
        lines = ", ".join(map(str, bad))
        return None, [
            Problem(
                file,
                bad[0],
                None,
                None,
                f"mixes encodings: some lines are UTF-8, others (lines {lines}) are not; "
                "re-export the file in one encoding",
            )
        ]
    try:
        data.decode("gb18030")
        return "gb18030", []
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        return None, [
            Problem(
                file,
                line,
                None,
                None,
                "is neither UTF-8 nor GB18030/GBK (the accepted encodings); re-export it as UTF-8",
            )
        ]


def read_csv_table(path: Path, encoding: str | None = None) -> RawTable:
    """Read one CSV file into a :class:`RawTable`; problems are collected, not raised.

    Blank lines are skipped. A record whose field count differs from the header's,
    a NUL byte, an unterminated quote, an empty file or a duplicated column name is a
    problem naming the line. So are the limits: a header of more than
    :data:`MAX_COLUMNS` columns or with a name longer than :data:`MAX_COLUMN_NAME`
    (no row is read), and a field of more than :data:`MAX_FIELD_BYTES` bytes (its
    record is left out). A path that is not an ordinary file (folder, FIFO, device,
    socket, dangling or looping link) or cannot be read is one problem without a line
    (see :func:`read_file_bytes`).

    Raises
    ------
    ValueError
        for an *encoding* that is not one of :data:`KNOWN_ENCODINGS` (or an alias).
    """
    file = path.name
    table = RawTable(file, encoding or "")
    enc = normalise_encoding(encoding) if encoding else None
    data, why = read_file_bytes(path)
    if data is None:
        assert why is not None  # read_file_bytes says why it read nothing
        table.problems.append(Problem(file, None, None, None, why))
        return table
    why = _wide_encoding(data)
    if why:  # one problem for the file (also with --encoding), not a NUL byte on every line
        table.problems.append(Problem(file, 1, None, None, why))
        return table
    if enc:
        if enc == "utf-8" and data.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start)
            table.problems.append(Problem(file, line, None, None, f"cannot be decoded as {encoding}"))
            return table
    else:
        enc, probs = detect_encoding(data, file)
        if enc is None:
            table.problems.extend(probs)
            return table
        text = None
    table.encoding = enc
    # From here on the text is held once, as UTF-8 bytes without BOM: `data[start:]`.
    start = len(codecs.BOM_UTF8) if enc == "utf-8-sig" and data.startswith(codecs.BOM_UTF8) else 0
    if enc not in ("utf-8", "utf-8-sig"):
        data = (text if text is not None else data.decode(enc)).encode("utf-8")
    del text
    if _is_blank(data, start):
        table.problems.append(Problem(file, 1, None, None, "is empty: no header line"))
        return table
    if data.find(b"\x00", start) >= 0:
        for number, line in enumerate(_split_lines(data[start:]), start=1):
            if b"\x00" in line:
                table.problems.append(
                    Problem(file, number, None, None, "contains a NUL byte (a binary or truncated export?)")
                )
        return table
    if data.find(b"\r", start) >= 0 and data.find(b"\n", start) < 0:
        data = _cr_only_as_lf(data, start)
    start = _skip_blank_lines(data, start, table)
    if _header_too_wide(data, start, table):
        return table
    if not _read_fast(data, start, table):
        _read_exact(data[start:].decode("utf-8"), table)
    return table


def _cr_only_as_lf(data: bytes, start: int) -> bytes:
    """*data* with CR-only line endings (old Mac Excel) made LF, so the fast path can read it.

    Only a CR outside quotes is a line ending here; a CR inside a quoted field is left as it
    is (the csv module then reads the file). An editor counts a lone CR as a line break, so
    line numbers stay the same.
    """
    buf = np.frombuffer(data, dtype=np.uint8).copy()
    cr = np.flatnonzero(buf[start:] == _CR)
    if data.find(b'"', start) >= 0:
        outside = (np.cumsum(buf[start:] == _QUOTE, dtype=np.uint8) & 1) == 0
        cr = cr[outside[cr]]
    buf[cr + start] = _LF
    return buf.tobytes()


def _skip_blank_lines(data: bytes, start: int, table: RawTable) -> int:
    """Where the header starts: after any blank lines before it (``table.header_line`` is set
    to its editor line, so that every line number stays the one an editor shows)."""
    blank_to = _LEADING_SPACE.match(data, start).end()  # type: ignore[union-attr]  # matches ""
    last_break = max(data.rfind(b"\n", start, blank_to), data.rfind(b"\r", start, blank_to))
    if last_break < 0:
        return start
    table.header_line = _line_of(data, last_break + 1, start)
    return last_break + 1


def _first_line_end(data: bytes, start: int) -> int:
    """Offset of the first line break (LF or CR) at or after *start*, or ``len(data)``."""
    ends = [e for e in (data.find(b"\n", start), data.find(b"\r", start)) if e >= 0]
    return min(ends) if ends else len(data)


def _header_too_wide(data: bytes, start: int, table: RawTable) -> bool:
    """Refuse a header of more than :data:`MAX_COLUMNS` columns before any row is parsed.

    Counts the commas of the first line; a line with quotes (commas inside quoted names)
    is left to the parsers, which apply the same limit to the parsed header.
    """
    stop = _first_line_end(data, start)
    if stop - start < MAX_COLUMNS:
        return False
    first = data[start:stop]
    if b'"' in first:
        return False
    columns = first.count(b",") + 1
    if columns <= MAX_COLUMNS:
        return False
    table.problems.append(
        Problem(
            table.file,
            table.header_line,
            None,
            None,
            f"header has {columns:,} columns; at most {MAX_COLUMNS:,} are "
            "accepted (is this the right file, or a broken export?)",
        )
    )
    table.header_refused = True
    return True


def _is_blank(data: bytes, start: int) -> bool:
    """Whether the text is only whitespace (as ``str.strip`` sees it), without decoding all of it."""
    first = _LEADING_SPACE.match(data, start).end()  # type: ignore[union-attr]  # matches ""
    if first == len(data):
        return True
    if data[first] < 0x80:
        return False
    return (
        not data[first : first + 4096].decode("utf-8", errors="ignore").strip()
        and not data[first:].decode("utf-8").strip()
    )


# ----------------------------------------------------------------------------- exact path


def _read_exact(text: str, table: RawTable) -> None:
    """Parse record by record with the csv module (strict): exact diagnosis of malformed CSV."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # a long field is judged by the rules, not the parser
    try:
        _read_records(text, table)
    finally:
        csv.field_size_limit(limit)


def _read_records(text: str, table: RawTable) -> None:
    file = table.file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        table.problems.append(Problem(file, table.header_line, None, None, f"header is not valid CSV: {exc}"))
        return
    if not _set_header(table, header):
        return
    width = len(table.header)
    cols: list[list[str]] = [[] for _ in table.header]
    lines: list[int] = []
    skipped = table.header_line - 1  # blank lines before the header
    start = reader.line_num + 1 + skipped
    try:
        for row in reader:
            end = reader.line_num + skipped
            if not row or (len(row) == 1 and not row[0].strip() and width > 1):
                start = end + 1
                continue
            if len(row) != width:
                table.problems.append(_ragged(file, start, len(row), width))
                table.left_out.append((start, row[:width]))
            elif max(map(len, row)) > _MAX_FIELD_CHARS and _too_long(table, start, row):
                table.left_out.append((start, row))
            else:
                for i, value in enumerate(row):
                    cols[i].append(value)
                lines.append(start)
            start = end + 1
    except csv.Error as exc:
        table.broken_at = start
        table.problems.append(
            Problem(file, start, None, None, f"is not valid CSV from here on: {exc} (an unterminated quote?)")
        )
    table.columns = {
        h: np.array(c, dtype=object) if c else np.empty(0, dtype=object) for h, c in zip(table.header, cols)
    }
    table.rows = len(lines)
    table.record_lines = np.array(lines, dtype=np.int64)


#: Separators of "CSV" files that are not comma-separated (Excel's tab-delimited text, or CSV
#: in a locale where the decimal sign is a comma).
_OTHER_SEPARATORS = re.compile("[\t;]")


def _set_header(table: RawTable, header: list[str]) -> bool:
    """Record the (stripped) header; False when it has too many, empty or repeated names (reported),
    or is one name holding tabs or semicolons (a file not separated by commas: no row is read)."""
    if len(header) > MAX_COLUMNS:
        table.problems.append(
            Problem(
                table.file,
                table.header_line,
                None,
                None,
                f"header has {len(header):,} columns; at most {MAX_COLUMNS:,} are "
                "accepted (is this the right file, or a broken export?)",
            )
        )
        table.header_refused = True
        return False
    header = [h.strip() for h in header]
    table.header = header
    if len(header) == 1 and _OTHER_SEPARATORS.search(header[0]):
        return False  # tab- or semicolon-separated: validation says so once; no row is read
    seen: set[str] = set()
    for name in header:
        if len(name) > MAX_COLUMN_NAME:
            table.problems.append(
                Problem(
                    table.file,
                    table.header_line,
                    None,
                    name,
                    f"header has a column name of {len(name):,} characters; at most "
                    f"{MAX_COLUMN_NAME} (is the first line really the header?)",
                )
            )
        elif not name:
            table.problems.append(Problem(table.file, table.header_line, None, None, "header has an empty column name"))
        elif name in seen:
            table.problems.append(
                Problem(table.file, table.header_line, name, None, "column name appears twice in the header")
            )
        seen.add(name)
    if table.problems:
        table.header, table.header_refused = [], True
    return not table.problems


#: A field of more characters than this may be over :data:`MAX_FIELD_BYTES` in UTF-8.
_MAX_FIELD_CHARS = MAX_FIELD_BYTES // 4


def _too_long(table: RawTable, line: int, row: list[str]) -> bool:
    """Report the fields of *row* longer than :data:`MAX_FIELD_BYTES`; True if there are any."""
    found = False
    for name, value in zip(table.header, row):
        if len(value) > _MAX_FIELD_CHARS and (size := len(value.encode("utf-8"))) > MAX_FIELD_BYTES:
            table.problems.append(
                Problem(
                    table.file,
                    line,
                    name,
                    value,
                    f"field is {size:,} bytes long; at most {MAX_FIELD_BYTES:,} bytes per field are accepted "
                    "(a missing closing quote, or a document pasted into a cell?); the row is left out",
                )
            )
            found = True
    return found


def _ragged(file: str, line: int, fields: int, width: int) -> Problem:
    return Problem(
        file,
        line,
        None,
        None,
        f"has {fields} fields but the header has {width}"
        + (" (truncated row?)" if fields < width else " (an unquoted comma?)"),
    )


# ----------------------------------------------------------------------------- fast path


@dataclass
class _Records:
    """Every record of a file: byte span, field count and the editor line it starts on."""

    starts: np.ndarray  # offset of the first byte (relative to the scanned buffer)
    ends: np.ndarray  # offset just past the record, terminator included
    fields: np.ndarray
    lines: np.ndarray


def _scan(data: bytes, start: int) -> _Records | None:
    """Split the UTF-8 CSV bytes ``data[start:]`` into records, vectorised; ``None`` when
    only the csv module can tell.

    A quote toggles "inside a quoted field"; a comma or LF outside quotes separates
    fields or records. That reading equals the csv module's exactly when each opening
    quote starts a field (or doubles a quote) and each closing quote ends one (or is
    doubled), and there is no lone CR (the csv module counts it as a line break).
    """
    buf = np.frombuffer(data, dtype=np.uint8, offset=start)
    n = len(buf)
    if data.find(b"\r", start) >= 0:
        cr = np.flatnonzero(buf == _CR)
        if cr[-1] == n - 1 or np.any(buf[cr + 1] != _LF):
            return None
    quotes = np.flatnonzero(buf == _QUOTE) if data.find(b'"', start) >= 0 else np.empty(0, dtype=np.intp)
    if len(quotes):
        if len(quotes) % 2:
            return None
        opens, closes = quotes[0::2], quotes[1::2]
        before = buf[np.maximum(opens - 1, 0)]
        ok_open = (opens == 0) | (before == _COMMA) | (before == _LF)
        ok_open[1:] |= opens[1:] - 1 == closes[:-1]
        after = buf[np.minimum(closes + 1, n - 1)]
        ok_close = (closes == n - 1) | (after == _COMMA) | (after == _LF) | (after == _CR)
        ok_close[:-1] |= closes[:-1] + 1 == opens[1:]
        if not (ok_open.all() and ok_close.all()):
            return None

    newlines, is_end, commas_before = [], [], []
    commas = 0
    inside = np.uint8(0)
    for lo in range(0, n, _CHUNK):
        chunk = buf[lo : lo + _CHUNK]
        lf = np.flatnonzero(chunk == _LF)
        comma = chunk == _COMMA
        if len(quotes):
            parity = (np.cumsum(chunk == _QUOTE, dtype=np.uint8) + inside) & 1
            inside = parity[-1]
            is_end.append(parity[lf] == 0)
            comma &= parity == 0
        else:
            is_end.append(np.ones(len(lf), dtype=bool))
        at = np.flatnonzero(comma)
        commas_before.append(np.searchsorted(at, lf) + commas)
        commas += len(at)
        newlines.append(lf + lo)
    newlines = np.concatenate(newlines)
    ends_at = np.flatnonzero(np.concatenate(is_end))  # indices (among all LFs) of record ends
    cum = np.concatenate(commas_before)[ends_at]
    stops = newlines[ends_at] + 1
    starts = np.concatenate(([0], stops))
    ends = np.concatenate((stops, [n]))
    fields = np.diff(np.concatenate(([0], cum, [commas]))) + 1
    lines = np.concatenate(([1], ends_at + 2))  # a record after the k-th LF starts on line k + 2
    if starts[-1] == n:  # the file ends with a line break
        starts, ends, fields, lines = starts[:-1], ends[:-1], fields[:-1], lines[:-1]
    if len(starts) and np.max(ends - starts) > csv.field_size_limit():
        return None  # the csv module refuses such a field: let it say so
    return _Records(starts, ends, fields, lines)


def _read_fast(data: bytes, start: int, table: RawTable) -> bool:
    """Read well-formed CSV with pandas' C parser; False (nothing done) when it does not apply."""
    rec = _scan(data, start)
    if rec is None or len(rec.starts) == 0:
        return False
    rec.lines += table.header_line - 1  # blank lines before the header
    view = memoryview(data)[start:]
    head = bytes(view[rec.starts[0] : rec.ends[0]]).decode("utf-8")
    if not head.strip() or rec.fields[0] < 2:
        return False  # a blank or one-column header: the csv module's reading is the reference
    header = next(csv.reader(io.StringIO(head, newline=""), strict=True))
    if len(header) != rec.fields[0]:  # pragma: no cover - the scan guarantees the count
        return False
    if not _set_header(table, header):
        return True  # empty or repeated column names are reported; no rows are read
    width = len(header)

    good = rec.fields == width
    good[0] = True
    for r in np.flatnonzero(~good):
        raw = bytes(view[rec.starts[r] : rec.ends[r]])
        if rec.fields[r] == 1 and b'"' in raw:
            table.problems.clear()
            return False  # e.g. a lone `""`: blank or not, as the csv module decides
        if rec.fields[r] == 1 and not raw.decode("utf-8").strip():
            continue  # a blank line
        table.problems.append(_ragged(table.file, int(rec.lines[r]), int(rec.fields[r]), width))
        try:
            fields = next(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True), [])
        except csv.Error:  # pragma: no cover - the scan accepted the quotes
            fields = []
        table.left_out.append((int(rec.lines[r]), fields[:width]))
    # Only a record longer than the field limit can hold a field beyond it: parse those alone.
    for r in np.flatnonzero(good & (rec.ends - rec.starts > MAX_FIELD_BYTES)):
        if r == 0:
            continue
        raw = bytes(view[rec.starts[r] : rec.ends[r]]).decode("utf-8")
        row = next(csv.reader(io.StringIO(raw, newline=""), strict=True))
        if _too_long(table, int(rec.lines[r]), row):
            good[r] = False
            table.left_out.append((int(rec.lines[r]), row))

    if good.all():
        source = view  # from the header on: no BOM, no blank lines before it
    else:
        # Leave out blank and ragged records: join the runs of good ones.
        change = np.flatnonzero(np.diff(np.concatenate(([0], good.view(np.int8), [0]))))
        runs = change.reshape(-1, 2)
        source = b"".join(view[rec.starts[a] : rec.ends[b - 1]] for a, b in runs)
    rows = int(good.sum()) - 1
    columns = _parse_columns(source, width)
    if columns is None or any(len(c) != rows for c in columns):  # pragma: no cover - the scan guarantees the shape
        table.problems.clear()
        return False
    table.columns = dict(zip(table.header, columns))
    table.rows = rows
    lines = rec.lines[good][1:]
    if rows and (lines[-1] != rows + 1):  # (always so after blank lines before the header)
        table.record_lines = lines
    return True


def _parse_columns(source: bytes | memoryview, width: int) -> list[np.ndarray] | None:
    """Parse well-formed UTF-8 CSV (header first) into *width* object arrays of ``str``.

    Uses Arrow's multi-threaded CSV reader when pyarrow is installed (less CPU than pandas'
    C parser on a big file, and both cores), else pandas' C parser.
    Both keep every cell as text exactly as written: no type guessing, no NA values, empty
    cells stay ``""``; quoted fields may hold commas, quotes and newlines.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pyarrow is optional (not a dependency: it saves little and costs memory)
        frame = pd.read_csv(
            io.BytesIO(source),
            dtype=object,
            header=0,
            encoding="utf-8",
            engine="c",
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
        )
        if frame.shape[1] != width:
            return None
        return [frame.iloc[:, i].to_numpy(dtype=object) for i in range(width)]
    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        pa.py_buffer(source),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    if table.num_columns != width:
        return None
    return [table.column(i).to_numpy(zero_copy_only=False).astype(object, copy=False) for i in range(width)]
