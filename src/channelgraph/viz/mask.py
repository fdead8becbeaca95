"""Masking personal identifiers in anything a person will see.

Any text — a name, an id, an extra column such as ``phone`` or ``id_card``, a note —
is scanned for mainland ID-card numbers (18 characters: 17 digits and a digit or X;
or the old 15 digits), mobile numbers (``1[3-9]`` and 9 more digits) and landlines
with an area code (``0571-88889999``), in the forms people type them:

* full-width digits and X (``１３８１２３４５６７８``, ``…１２３Ｘ``);
* one space, dash or dot between the groups (``138 1234 5678``, ``138-1234-5678``,
  ``138.1234.5678`` — dots only as both separators of a mobile number — and
  ``330602 19900101 1234``);
* a country code: ``+86``, ``0086``, ``86-``, ``86 `` (also in brackets, ``(+86)``);
* an area code in brackets or set apart (``(0571)88889999``, ``（0571）8888-9999``,
  ``0571 8888 9999``).

Each is replaced by one masked form that keeps enough to recognise a record but not
to use it: ``138****5678``, ``330602********1234``, ``0571-****9999`` (ASCII digits,
without the country code, brackets or separators). The column name does not matter:
an identifier typed into a ``remark`` column is masked too.

Not identifiers, and left as they are: amounts (``1,234,567.89``, ``13812345678.00``),
dates (``2024-01-01``, ``20240101``), percentages (``13812345678%``), entity and
facility ids (``E000005``, ``F000123``), any run of digits longer than the forms above.

>>> mask_text("13812345678")
'138****5678'
>>> mask_text("身份证 330602199001011234 电话 0571-88889999")
'身份证 330602********1234 电话 0571-****9999'
>>> mask_text("手机 １３８ １２３４ ５６７８，座机（0571）8888-9999")
'手机 138****5678，座机0571-****9999'
>>> mask_text("贷款余额 13812345678.00 元")  # a number with decimals is an amount, not a phone
'贷款余额 13812345678.00 元'
"""

from __future__ import annotations

import re

#: A decimal digit, ASCII or full-width.
_D = "[0-9\uff10-\uff19]"
#: The check character of an ID card: a digit or X, ASCII or full-width, either case.
_X = "[0-9\uff10-\uff19Xx\uff38\uff58]"
#: One separator between groups: a space (also no-break and ideographic), a dash (ASCII,
#: full-width, hyphen, en dash). Dots are allowed only where noted.
_S = "[ \u00a0\u3000\\-\uff0d\u2010\u2011\u2013]"
_OPEN, _CLOSE = "[(\uff08]", "[)\uff09]"

# Boundaries: an identifier is never part of a longer run of digits; a run followed by
# "." and a digit (or preceded by a digit and ".") is a decimal amount; one followed by
# "%" is a percentage.
_B = rf"(?<!{_D})(?<!{_D}[.\uff0e])"
_E = rf"(?!{_D})(?![.\uff0e]{_D})(?![%\uff05])"


def _groups(*sizes: int, sep: str = _S, last: str = _D) -> str:
    """Digit groups of *sizes*, each after the first optionally after one *sep*."""
    parts = [f"{_D}{{{sizes[0]}}}"] + [f"(?:{sep})?{_D}{{{n}}}" for n in sizes[1:]]
    if last != _D:  # the last character is a check character
        parts[-1] = parts[-1][: -len(f"{{{sizes[-1]}}}")] + f"{{{sizes[-1] - 1}}}{last}"
    return "".join(parts)


_CC = "(?:[+\uff0b]|[0\uff10]{2})[8\uff18][6\uff16]"  # +86, 0086 (any width)
_COUNTRY = rf"(?:(?:{_OPEN}{_CC}{_CLOSE}|{_CC})(?:{_S})?|[8\uff18][6\uff16]{_S})"
_MOBILE_HEAD = "[1\uff11][3-9\uff13-\uff19]"
_MOBILE = (
    rf"{_COUNTRY}?(?:{_MOBILE_HEAD}{_D}(?:(?:{_S})?{_D}{{4}}){{2}}"
    rf"|{_MOBILE_HEAD}{_D}[.\uff0e]{_D}{{4}}[.\uff0e]{_D}{{4}})"
)
_AREA = rf"(?:[0\uff10]{_D}{{2,3}})"
_LOCAL = rf"(?:{_D}{{7,8}}|{_D}{{3,4}}(?:{_S}){_D}{{4}})"
_LANDLINE = rf"(?:{_OPEN}{_AREA}{_CLOSE}(?:{_S})?{_LOCAL}|{_AREA}(?:{_S})?{_LOCAL})"

_PATTERN = re.compile(
    _B + r"(?:"
    rf"(?P<id18>{_groups(6, 4, 4, 4, last=_X)})"
    rf"|(?P<mobile>{_MOBILE})"
    rf"|(?P<id15>{_groups(6, 6, 3)})"
    rf"|(?P<landline>{_LANDLINE})"
    r")" + _E
)

#: Every identifier has a decimal digit: text without one is returned as it is, unscanned.
_DIGIT = re.compile(_D)
_ASCII = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_NOT_DIGIT = re.compile(r"[^0-9Xx]")


def _mask_match(m: re.Match) -> str:
    text = m.group(0).translate(_ASCII)
    if m.group("id18") or m.group("id15"):
        chars = _NOT_DIGIT.sub("", text)
        return chars[:6] + "*" * (len(chars) - 10) + chars[-4:]
    if m.group("mobile"):
        digits = _NOT_DIGIT.sub("", text)[-11:]
        return digits[:3] + "****" + digits[-4:]
    # landline: keep the area code (3 digits for 010 and 02x, else 4) and the last 4 digits
    digits = _NOT_DIGIT.sub("", text)
    area = digits[:3] if digits[1] in "12" else digits[:4]
    return area + "-****" + digits[-4:]


#: Line breaks (CommonMark's and Unicode's) inside a value: shown as a space.
_BREAKS = dict.fromkeys(map(ord, "\n\r\t\v\f\x85\u2028\u2029"), " ")
#: Other control characters are shown as their Unicode pictures (␀ … ␟, ␡); C1 controls and
#: bidirectional overrides and isolates (which reorder what the reader sees) as U+FFFD.
VISIBLE = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421} | _BREAKS
VISIBLE |= dict.fromkeys([*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)], "\ufffd")
VISIBLE[0x85] = " "
#: What :data:`VISIBLE` replaces (the report's Markdown reader looks for it too).
INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


#: The same, keeping line breaks and tabs (text shown with ``textContent``, where they are harmless).
_VISIBLE_KEEP_BREAKS = {k: v for k, v in VISIBLE.items() if k not in _BREAKS}
_INVISIBLE_KEEP_BREAKS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(value, *, keep_breaks: bool = False) -> str:
    """*value* as visible text: control characters as their symbols (``\\x07`` → ␇), C1 controls
    and bidirectional overrides as U+FFFD, line breaks and tabs as spaces (one line) unless
    *keep_breaks*."""
    s = "" if value is None else value if isinstance(value, str) else str(value)
    if keep_breaks:
        return s.translate(_VISIBLE_KEEP_BREAKS) if _INVISIBLE_KEEP_BREAKS.search(s) else s
    return s.translate(VISIBLE) if INVISIBLE.search(s) else s


def mask_text(value) -> str:
    """Return *value* as text with every identifier in it masked (non-text → str)."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    if not _DIGIT.search(s):
        return s
    return _PATTERN.sub(_mask_match, s)


def has_identifier(value) -> bool:
    """True when *value* contains something :func:`mask_text` would mask."""
    return value is not None and bool(_PATTERN.search(str(value)))


def maybe_mask(value, mask: bool) -> str:
    """``mask_text(value)`` when *mask*, else ``str(value)`` ('' for None)."""
    if value is None:
        return ""
    return mask_text(value) if mask else (value if isinstance(value, str) else str(value))
