"""Masking personal identifiers in anything a person will see.

Any text — a name, an id, an extra column such as ``phone`` or ``id_card``, a note —
is scanned for mainland ID-card numbers (18 characters: 17 digits and a digit or X;
or the old 15 digits), mobile numbers (``1[3-9]`` and 9 more digits, optionally
``+86`` and separators) and landlines with an area code (``0571-88889999``). Each is
replaced by a masked form that keeps enough to recognise a record but not to use it.
The column name does not matter: an identifier typed into a ``remark`` column is
masked too.

>>> mask_text("13812345678")
'138****5678'
>>> mask_text("身份证 330602199001011234 电话 0571-88889999")
'身份证 330602********1234 电话 0571-****9999'
>>> mask_text("贷款余额 13812345678.00 元")  # a number with decimals is an amount, not a phone
'贷款余额 13812345678.00 元'
"""

from __future__ import annotations

import re

# Digit boundaries: an identifier is never part of a longer run of digits, and a run
# followed by ".<digit>" (or preceded by "<digit>.") is a decimal amount, not an identifier.
_B = r"(?<![\d])(?<!\d\.)"
_E = r"(?![\d])(?!\.\d)"

_PATTERN = re.compile(
    _B + r"(?:"
    r"(?P<id18>\d{17}[\dXx])"
    r"|(?P<mobile>(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2})"
    r"|(?P<id15>\d{15})"
    r"|(?P<landline>0\d{2,3}[- ]?\d{7,8})"
    r")" + _E
)


#: Every identifier has a decimal digit: text without one is returned as it is, unscanned.
_DIGIT = re.compile(r"\d")


def _mask_match(m: re.Match) -> str:
    text = m.group(0)
    if m.group("id18") or m.group("id15"):
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if m.group("mobile"):
        digits = re.sub(r"\D", "", text)[-11:]
        return digits[:3] + "****" + digits[-4:]
    # landline: keep the area code (3 digits for 010 and 02x, else 4) and the last 4 digits
    digits = re.sub(r"\D", "", text)
    area = digits[:3] if digits[1] in "12" else digits[:4]
    return area + "-****" + digits[-4:]


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
