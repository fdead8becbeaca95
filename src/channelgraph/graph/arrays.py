"""Whole-array helpers over integer index arrays: CSR adjacency, gathering, membership."""

from __future__ import annotations

import numpy as np


def csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, targets, edge positions) of the edges grouped by *src*, targets ascending."""
    order = np.lexsort((dst, src))
    counts = np.bincount(src, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, dst[order], order


def gather(indptr: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Positions (into the CSR arrays) of every edge leaving *nodes*, vectorised."""
    starts = indptr[nodes]
    lens = indptr[nodes + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    return np.arange(total, dtype=np.int64) + offsets


def unique_ints(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array (sort-based: numpy's hash-based
    ``np.unique`` is much slower on large int64 arrays)."""
    a = np.sort(np.asarray(a, dtype=np.int64), kind="stable")
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def in_ints(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.isin(a, b)`` for integer arrays, by binary search in the sorted distinct *b*."""
    a = np.asarray(a, dtype=np.int64)
    u = unique_ints(b)
    if not len(u) or not len(a):
        return np.zeros(len(a), dtype=bool)
    pos = np.minimum(np.searchsorted(u, a), len(u) - 1)
    return u[pos] == a


def kind_in(kinds: np.ndarray, wanted) -> np.ndarray:
    """Boolean mask: entries of an object array equal to one of *wanted* (a few strings)."""
    out = np.zeros(len(kinds), dtype=bool)
    for w in wanted:
        out |= kinds == w
    return out
