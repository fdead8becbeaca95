"""Compiled id look-up (:class:`channelgraph.viz.book.IdIndex`).

An open-addressing hash table of the ids' 64-bit keys (already scrambled by
:func:`channelgraph.viz.book._key`), each slot holding the key and the id's position side by
side: one cache miss per look-up, where ``pandas.Index.get_indexer`` takes several. The
answer is the position of the id with that key and that second word, else -1 (tested
against a dict of the ids). Imported at the first packed index: it imports numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def build_table(keys, size):  # pragma: no cover - compiled
    """A ``size × 2`` table (key, position; position -1 in an empty slot) of the distinct *keys*;
    *size* is a power of two above ``len(keys)``. None when two keys are equal."""
    table = np.empty((size, 2), dtype=np.int64)
    table[:, 1] = -1
    mask = size - 1
    for i in range(len(keys)):
        k = keys[i]
        slot = k & mask
        while table[slot, 1] >= 0:
            if table[slot, 0] == k:
                return None
            slot = (slot + 1) & mask
        table[slot, 0] = k
        table[slot, 1] = i
    return table


@njit(cache=True, nogil=True)
def look_up(table, id_second, keys, second, fits, out):  # pragma: no cover - compiled
    """Set ``out[i]`` to the position of the id with key ``keys[i]`` and second word
    ``second[i]`` (-1 when there is none, or when the value does not fit in two words)."""
    mask = table.shape[0] - 1
    for i in range(len(keys)):
        found = -1
        if fits[i]:
            k = keys[i]
            slot = k & mask
            while True:
                p = table[slot, 1]
                if p < 0:
                    break
                if table[slot, 0] == k:
                    if id_second[p] == second[i]:
                        found = p
                    break
                slot = (slot + 1) & mask
        out[i] = found
