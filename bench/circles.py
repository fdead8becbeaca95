"""The bounded guarantee-circle search against ``networkx.simple_cycles(length_bound=)``.

    PYTHONPATH=src .venv/bin/python bench/circles.py /work/bdata/bank-10000 /work/bdata/bank-100000

For each book: the guarantee network's strongly connected blocks of 3 to
``policy.guarantee.max_scc_enumerate`` firms (the blocks :func:`guarantee_patterns`
enumerates), and in each the simple cycles of 3 to ``max_circle_length`` firms, stopping
beyond :data:`~channelgraph.risk.guarantees.MAX_CIRCLES_PER_BLOCK` — once by
:func:`~channelgraph.risk.guarantees.bounded_circles`, once by networkx (a ``DiGraph`` per
block, then ``simple_cycles(G, length_bound=max_circle_length)``, the same bound and the
same early stop; and once more with the DiGraphs built beforehand, the search alone).
Wall seconds of the whole loop, median of ``--repeat`` runs; they must find the same
cycles (as sets of rotations), which the script asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from channelgraph.graph import load_book
from channelgraph.model import RelationType
from channelgraph.risk.guarantees import MAX_CIRCLES_PER_BLOCK, bounded_circles


def blocks(book):
    """(members, src, dst) of every strongly connected block of 3 to max_scc_enumerate firms."""
    e = book.of(RelationType.GUARANTEES)
    n = len(book.ids)
    adj = coo_matrix((np.ones(len(e.src), dtype=np.int8), (e.src, e.dst)), shape=(n, n)).tocsr()
    _, scc = connected_components(adj, directed=True, connection="strong")
    size = np.bincount(scc)
    gp = book.policy.guarantee
    out = []
    inner = scc[e.src] == scc[e.dst]
    es, ed = e.src[inner], e.dst[inner]
    for c in np.flatnonzero((size >= 3) & (size <= gp.max_scc_enumerate)).tolist():
        members = np.flatnonzero(scc == c).tolist()
        m = scc[es] == c
        out.append((members, es[m].tolist(), ed[m].tolist()))
    return out


def ours(bl, max_len, limit):
    return [bounded_circles(members, s, d, max_len, limit) for members, s, d in bl]


def digraphs(bl):
    out = []
    for _members, s, d in bl:
        g = nx.DiGraph()
        g.add_edges_from(zip(s, d))
        out.append(g)
    return out


def by_networkx(bl, max_len, limit, graphs=None):
    found = []
    for g in graphs if graphs is not None else digraphs(bl):
        cycles: list | None = []
        for cyc in nx.simple_cycles(g, length_bound=max_len):
            if len(cyc) >= 3:
                cycles.append(cyc)
                if len(cycles) > limit:
                    cycles = None
                    break
        found.append(cycles)
    return found


def canonical(cycles):
    """Each cycle rotated to start at its smallest node; the set of them (None stays None)."""
    if cycles is None:
        return None
    out = set()
    for c in cycles:
        i = c.index(min(c))
        out.add(tuple(c[i:] + c[:i]))
    return out


def timed(repeat, fn, *args):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def row(path: str, repeat: int) -> str:
    """One book's line of the table."""
    book = load_book(path)
    bound = (book.policy.guarantee.max_circle_length, MAX_CIRCLES_PER_BLOCK)
    bl = blocks(book)
    t_ours, all_ours, a = timed(repeat, ours, bl, *bound)
    t_nx, all_nx, b = timed(repeat, by_networkx, bl, *bound)
    t_alone, all_alone, c = timed(repeat, by_networkx, bl, *bound, digraphs(bl))
    assert [canonical(x) for x in a] == [canonical(x) for x in b] == [canonical(x) for x in c], "different cycles"
    circles = sum(len(x) for x in a if x)

    def cell(t, ts):
        return f"{t:.3f} ({', '.join(f'{x:.3f}' for x in ts)}; {t / max(t_ours, 1e-9):.0f}×)"

    return (
        f"| {path} | {len(bl)} | {circles} | {t_ours:.3f} ({', '.join(f'{t:.3f}' for t in all_ours)}) "
        f"| {cell(t_nx, all_nx)} | {cell(t_alone, all_alone)} |"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("books", nargs="+")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(
        "| book | blocks | circles | bounded_circles s | networkx s (DiGraphs + simple_cycles) "
        "| networkx s (simple_cycles alone) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for path in args.books:
        print(row(path, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
