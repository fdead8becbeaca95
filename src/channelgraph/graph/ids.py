"""Ids as integers: strings packed into 64-bit words whose order is the strings' order.

The book (:mod:`channelgraph.graph.book`) sorts its entity ids once and finds any column of
ids among them with :func:`positions_in`; sorting and hashing 64-bit words is several times
faster than hashing millions of Python strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def _objects(values) -> np.ndarray:
    """An object array of the values (a column, list or array)."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object)
    return np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=object)


def _code_points(values: np.ndarray) -> np.ndarray:
    """(rows, width) uint32 code points of strings, zero-padded on the right."""
    u = np.asarray(values, dtype=str) if len(values) else np.zeros(0, dtype="<U1")
    width = max(1, u.dtype.itemsize // 4)
    return u.view(np.uint32).reshape(len(u), width)


def _bits(top: int) -> int:
    """Bits per character for code points up to *top*."""
    return 8 if top < 1 << 8 else 16 if top < 1 << 16 else 21


def _pack(cps: np.ndarray, bits: int, k: int) -> np.ndarray:
    """Code points (rows, width) → (rows, k) uint64 words, ``64 // bits`` characters per word."""
    per = 64 // bits
    words = np.zeros((cps.shape[0], k), dtype=np.uint64)
    for j in range(cps.shape[1]):
        shift = np.uint64(64 - bits * (j % per + 1))
        words[:, j // per] |= cps[:, j].astype(np.uint64) << shift
    return words


@dataclass
class StringKeys:
    """Strings packed as rows of 64-bit words (see :func:`string_keys`)."""

    words: np.ndarray  # (rows, k) uint64
    bits: int  # bits per character
    _lookup: pd.Index | None = field(default=None, repr=False)

    def fits(self, cps: np.ndarray) -> bool:
        """Can strings with these code points be packed the same way (same bits, ≤ k words)?"""
        top = int(cps.max()) if cps.size else 0
        return top < 1 << self.bits and -(-cps.shape[1] // (64 // self.bits)) <= self.words.shape[1]

    def lookup(self) -> pd.Index:
        """A hash index over the one-word keys (built once; for many look-ups)."""
        if self._lookup is None:
            self._lookup = pd.Index(self.words[:, 0])
        return self._lookup


def string_keys(*columns) -> list[StringKeys]:
    """Pack strings into unsigned 64-bit words whose lexicographic order is the strings' order.

    Each string becomes a row of ``k`` big-endian words (the same ``k`` for every column):
    8, 4 or 3 characters per word (code points below 2⁸, 2¹⁶ or 2²¹), zero-padded. Python
    orders ``str`` by code points, shorter prefix first, so for strings without NUL
    characters (validation refuses them) two strings compare as their rows of words do, and
    equal rows mean equal strings. Integer keys sort and search many times faster than
    Python strings (no hashing, no per-object pointer chasing).

    Parameters
    ----------
    *columns : object arrays (or columns) of ``str``.

    Returns
    -------
    One :class:`StringKeys` per column, packed alike.

    Examples
    --------
    >>> a, b = string_keys(np.array(["E1", "E10", "P2"], dtype=object), np.array(["E10"], dtype=object))
    >>> a.words.shape, bool((a.words[1] == b.words[0]).all()), bool(a.words[0, 0] < a.words[1, 0] < a.words[2, 0])
    ((3, 1), True, True)
    """
    cps = [_code_points(_objects(c)) for c in columns]
    bits = _bits(max((int(c.max()) for c in cps if c.size), default=0))
    k = max(1, -(-max((c.shape[1] for c in cps), default=1) // (64 // bits)))
    return [StringKeys(_pack(c, bits, k), bits) for c in cps]


def key_order(keys: StringKeys) -> np.ndarray:
    """Stable order that sorts packed strings (the strings' sort order)."""
    w = keys.words
    if w.shape[1] == 1:
        return np.argsort(w[:, 0], kind="stable")
    return np.lexsort(w.T[::-1])


def positions_in(ids: np.ndarray, values, id_keys: StringKeys | None = None) -> np.ndarray:
    """Position of each of *values* in the sorted, distinct strings *ids* (``-1`` where absent).

    Equivalent to ``pd.Index(ids).get_indexer(values)`` for sorted distinct *ids*, by binary
    search (one 64-bit word per id) or a merge by sorting (longer ids) over
    :func:`string_keys`; *id_keys*, the packed *ids*, saves packing them again.

    >>> positions_in(np.array(["A", "B", "C"], dtype=object), ["C", "X", "A", ""]).tolist()
    [2, -1, 0, -1]
    """
    vals = _objects(values)
    m = len(vals)
    if not m:
        return np.zeros(0, dtype=np.int64)
    if not len(ids):
        return np.full(m, -1, dtype=np.int64)
    cps = _code_points(vals)
    if id_keys is None or not id_keys.fits(cps):
        id_keys, vkeys = string_keys(ids, vals)
        cps = None
    ik = id_keys.words
    vk = vkeys.words if cps is None else _pack(cps, id_keys.bits, ik.shape[1])
    n = len(ids)
    if ik.shape[1] == 1:  # hashing beats binary search here: one cache miss per look-up, not ~20
        return np.asarray(id_keys.lookup().get_indexer(vk[:, 0]), dtype=np.int64)
    # several words: sort ids and values together (ids first among equals), then carry the
    # position of the last id seen forward onto the values that follow it
    allk = np.concatenate((ik, vk))
    flag = np.concatenate((np.zeros(n, np.int8), np.ones(m, np.int8)))
    order = np.lexsort((flag,) + tuple(allk.T[::-1]))
    is_id = order < n
    last = np.maximum.accumulate(np.where(is_id, order, -1))
    got = np.full(m, -1, dtype=np.int64)
    q = ~is_id
    cand, qi = last[q], order[q] - n
    ok = cand >= 0
    ok[ok] = (ik[cand[ok]] == vk[qi[ok]]).all(axis=1)
    got[qi[ok]] = cand[ok]
    return got
