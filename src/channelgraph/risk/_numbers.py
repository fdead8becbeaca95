"""Exact decimal texts of ratios and percentages, one at a time or many at once.

Each vectorised helper (:func:`ratio_texts`, :func:`ratio_pairs`, :func:`percent_floors`,
:func:`texts_by_value`) is identical to its one-value counterpart (``tests/test_risk_kernels.py``).
"""

from __future__ import annotations

import numpy as np

from ..model import decimal_percent


def ratio_text(part: int, whole: int, places: int = 6) -> str:
    """``part / whole`` rounded half-up to *places* decimals, exactly (0 when whole is 0).

    >>> ratio_text(1, 3)
    '0.333333'
    >>> ratio_text(2, 3, 2)
    '0.67'
    """
    part, whole = int(part), int(whole)
    if whole == 0:
        return "0." + "0" * places if places else "0"
    scale = 10**places
    num = part * scale
    sign = "-" if (num < 0) != (whole < 0) and num != 0 else ""
    num, den = abs(num), abs(whole)
    q = (2 * num + den) // (2 * den)
    if places == 0:
        return f"{sign}{q}"
    return f"{sign}{q // scale}.{q % scale:0{places}d}"


def percent_text(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with at most two decimals, trailing zeros dropped.

    >>> percent_text(2, 3), percent_text(3, 5), percent_text(1, 8)
    ('66.67%', '60%', '12.5%')
    """
    t = ratio_text(part, whole, 4)
    whole_pct, frac = t.split(".")
    pct = int(whole_pct) * 100 + int(frac[:2])
    dec = frac[2:].rstrip("0")
    return f"{pct}.{dec}%" if dec else f"{pct}%"


def percent_floor(part: int, whole: int) -> str:
    """``part / whole`` as a percentage truncated (not rounded) to two decimals, trailing zeros
    dropped, so that a shown value never crosses a threshold the exact value did not cross.

    >>> percent_floor(2, 3), percent_floor(39999999, 80000000), percent_floor(1, 2)
    ('66.66%', '49.99%', '50%')
    """
    part, whole = int(part), int(whole)
    if whole <= 0:
        return "0%"
    q = (part * 10000) // whole  # hundredths of a percent, floored
    ip, fp = divmod(q, 100)
    return f"{ip}.{fp:02d}".rstrip("0").rstrip(".") + "%"


def share_percent(share: float) -> str:
    """A share parsed from CSV text (float) as a percentage, from its shortest repr."""
    from decimal import Decimal

    return decimal_percent(Decimal(repr(float(share))))


def exceeds(part: np.ndarray, whole: int, ratio) -> np.ndarray:
    """Vectorised exact test ``part > ratio × whole`` for integer fen arrays (ratio a Decimal)."""
    from ..model import fraction_of

    limit = fraction_of(int(whole), ratio)  # floor: for integers, x > r·w ⇔ x > floor(r·w)
    return np.asarray(part, dtype=np.int64) > limit


def ratio_texts(parts, whole: int, places: int = 6) -> list[str]:
    """:func:`ratio_text` of every part over one whole, vectorised where int64 is safe.

    >>> ratio_texts([1, 2, 3], 3, 2)
    ['0.33', '0.67', '1.00']
    """
    arr = np.asarray(parts, dtype=np.int64)
    whole = int(whole)
    scale = 10**places
    if whole <= 0 or not len(arr) or arr.min() < 0 or arr.max() >= (2**62) // (2 * scale) or whole >= 2**61:
        return [ratio_text(p, whole, places) for p in arr.tolist()]
    q = (2 * arr * scale + whole) // (2 * whole)
    return _decimal_texts(q, places)


def _decimal_texts(q: np.ndarray, places: int) -> list[str]:
    """``q / 10**places`` as text with *places* decimals (q ≥ 0), formatted once per distinct value.

    Ratios of many amounts to one capital figure take few distinct values; a look-up into
    the formatted distinct values is many times cheaper than formatting each.
    """
    if not len(q):
        return []
    uq, inv = np.unique(q, return_inverse=True)
    scale = 10**places
    if places == 0:
        texts = [str(a) for a in uq.tolist()]
    else:
        texts = [f"{a}.{b:0{places}d}" for a, b in zip((uq // scale).tolist(), (uq % scale).tolist())]
    return _object_array(texts)[inv.reshape(-1)].tolist()


def _object_array(items: list) -> np.ndarray:
    """A 1-d object array of the items (never a 2-d array, whatever the items are)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def texts_by_value(values: np.ndarray, fmt) -> list[str]:
    """``[fmt(v) for v in values]``, calling *fmt* once per distinct value (NaN formatted once too)."""
    values = np.asarray(values)
    if not len(values):
        return []
    if values.dtype.kind == "f" and bool(np.any((values == 0) & np.signbit(values))):
        return [fmt(v) for v in values.tolist()]  # -0.0 and 0.0 are one value to np.unique, not to fmt
    uq, inv = np.unique(values, return_inverse=True)  # NaNs collapse to one (numpy ≥ 1.21)
    return _object_array([fmt(v) for v in uq.tolist()])[inv.reshape(-1)].tolist()


#: ".01" … ".99" without trailing zeros ("" for 0): the decimals of a percentage with two places.
_HUNDREDTHS = np.asarray(["", *(f".{k:02d}".rstrip("0") for k in range(1, 100))], dtype=object)


def ratio_pairs(parts, wholes, places: int = 6) -> list[str]:
    """:func:`ratio_text` of each part over its own whole, vectorised where int64 is safe.

    >>> ratio_pairs([1, 2, 5], [3, 3, 0], 2)
    ['0.33', '0.67', '0.00']
    """
    a = np.asarray(parts, dtype=np.int64)
    b = np.asarray(wholes, dtype=np.int64)
    scale = 10**places
    safe = (a >= 0) & (b > 0) & (a < (2**62) // (2 * scale)) & (b < 2**61)
    out = np.empty(len(a), dtype=object)
    if places and safe.any():
        x, y = a[safe], b[safe]
        q = (2 * x * scale + y) // (2 * y)
        out[safe] = [f"{u}.{v:0{places}d}" for u, v in zip((q // scale).tolist(), (q % scale).tolist())]
    rest = np.flatnonzero(~safe) if places else np.arange(len(a))
    if len(rest):
        out[rest] = [ratio_text(x, y, places) for x, y in zip(a[rest].tolist(), b[rest].tolist())]
    return out.tolist()


def percent_floors(parts, wholes) -> list[str]:
    """:func:`percent_floor` of each part over its own whole, vectorised where int64 is safe.

    >>> percent_floors([2, 39999999, 1, 1], [3, 80000000, 2, 0])
    ['66.66%', '49.99%', '50%', '0%']
    """
    a = np.asarray(parts, dtype=np.int64)
    b = np.asarray(wholes, dtype=np.int64)
    safe = (a >= 0) & (b > 0) & (a < 2**62 // 10000)
    out = np.empty(len(a), dtype=object)
    if safe.any():
        q = a[safe] * 10000 // b[safe]  # hundredths of a percent, floored
        out[safe] = [f"{x}{y}%" for x, y in zip((q // 100).tolist(), _HUNDREDTHS[q % 100].tolist())]
    rest = np.flatnonzero(~safe)
    if len(rest):
        out[rest] = [percent_floor(x, y) for x, y in zip(a[rest].tolist(), b[rest].tolist())]
    return out.tolist()


def percent_texts(parts, wholes) -> list[str]:
    """:func:`percent_text` of each part over its own whole, vectorised where int64 is safe.

    >>> percent_texts([2, 3, 1, 1], [3, 5, 8, 0])
    ['66.67%', '60%', '12.5%', '0%']
    """
    a = np.asarray(parts, dtype=np.int64)
    b = np.asarray(wholes, dtype=np.int64)
    safe = (a >= 0) & (b > 0) & (a < 2**62 // 20000)
    out = np.empty(len(a), dtype=object)
    if safe.any():
        x, y = a[safe], b[safe]
        q = (2 * x * 10000 + y) // (2 * y)  # hundredths of a percent, rounded half-up
        out[safe] = [f"{u}{v}%" for u, v in zip((q // 100).tolist(), _HUNDREDTHS[q % 100].tolist())]
    rest = np.flatnonzero(~safe)
    if len(rest):
        out[rest] = [percent_text(x, y) for x, y in zip(a[rest].tolist(), b[rest].tolist())]
    return out.tolist()


def yuan_human_texts(fen) -> list[str]:
    """:func:`~channelgraph.model.format_yuan_human` of every amount, once per distinct amount.

    >>> yuan_human_texts([123456, 5, 123456])
    ['1,234.56', '0.05', '1,234.56']
    """
    from ..model import format_yuan_human

    arr = np.asarray(fen, dtype=np.int64)
    if not len(arr):
        return []
    return texts_by_value(arr, format_yuan_human)


def share_percents(shares: np.ndarray) -> list[str]:
    """:func:`share_percent` of every share (NaN → ``"unknown"``), computed once per distinct value."""
    return texts_by_value(np.asarray(shares, dtype=np.float64), lambda u: share_percent(u) if u == u else "unknown")
