"""numpy's pairwise summation in compiled code, for kernels whose published results are bytes.

numpy sums a contiguous vector (or a contiguous row) in blocks of at most :data:`BLOCK`
values, each block with eight interleaved accumulators, and longer runs as a left half cut at
a multiple of eight plus the right half. The force layout's far field (float32 rows,
:mod:`channelgraph.viz._layout_kernels`) and PageRank's dot products (float64 vectors,
:mod:`channelgraph.marketing._pagerank_kernel`) sum this way.

Why it stays (there is no numpy twin left to agree with): the outputs are a contract to the
byte, and the view positions written into ``views/*.html`` depend on the order of these
float32 sums — with plain left-to-right sums instead, the generated 10k book's
``overview.html`` and ``ego-1.html`` and the 100k book's ``overview.html`` and
``channel-1…3.html`` change (issue 24, bench/RESULTS.md). PageRank's published values did
not change on those books, but its rounding margin is not checked at every size, so its dot
products keep the same order. Pairwise sums are also the more accurate (error growing with
log n rather than n).

Imported only by compiled-kernel modules: it imports numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: numpy's pairwise summation sums blocks of at most this many values with eight accumulators.
BLOCK = 128


@njit(cache=True, nogil=True, inline="always")
def block_sum(values, lo, count, zero):  # pragma: no cover - compiled
    """numpy's sum of ``values[lo:lo + count]`` (at most :data:`BLOCK` values), starting from
    *zero* (0 of the values' type): eight interleaved accumulators, then the rest."""
    if count < 8:
        res = zero
        for i in range(lo, lo + count):
            res += values[i]
        return res
    r0, r1, r2, r3 = values[lo], values[lo + 1], values[lo + 2], values[lo + 3]
    r4, r5, r6, r7 = values[lo + 4], values[lo + 5], values[lo + 6], values[lo + 7]
    end = lo + count - count % 8
    for i in range(lo + 8, end, 8):
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(end, lo + count):
        res += values[i]
    return res


@njit(cache=True, nogil=True, inline="always")
def pairwise_sum(values, count, zero, stack_lo, stack_count, stack_left, stack_side):  # pragma: no cover - compiled
    """The sum of ``values[:count]`` exactly as numpy's ``add.reduce`` sums a contiguous vector
    or row. numpy recurses; here the left halves wait on a stack: the four ``stack_*`` work
    arrays (:func:`stacks`), 64 long, ``stack_left`` of the values' type."""
    lo = 0
    sp = 0
    while True:
        while count > BLOCK:  # down the left halves
            half = count // 2
            half -= half % 8
            stack_lo[sp] = lo
            stack_count[sp] = count
            stack_side[sp] = 0
            sp += 1
            count = half
        value = block_sum(values, lo, count, zero)
        descend = False
        while sp > 0 and not descend:  # up: a left half waits for its right half
            top = sp - 1
            half = stack_count[top] // 2
            half -= half % 8
            if stack_side[top] == 0:
                stack_left[top] = value
                stack_side[top] = 1
                lo = stack_lo[top] + half
                count = stack_count[top] - half
                descend = True
            else:
                value = stack_left[top] + value
                sp -= 1
        if not descend:
            return value


def stacks(dtype) -> tuple:
    """The work arrays :func:`pairwise_sum` needs, for values of *dtype*."""
    return (np.empty(64, np.int64), np.empty(64, np.int64), np.empty(64, dtype), np.empty(64, np.int64))
