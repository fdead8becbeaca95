"""Guarantee patterns (担保网络): mutual, circle, chain, cross and focus guarantees.

On the directed guarantee network (guarantor → borrower, ``GUARANTEES`` edges):

* ``mutual`` (互保): A guarantees B and B guarantees A;
* ``circle`` (担保圈): a simple cycle of 3 to ``policy.guarantee.max_circle_length`` firms,
  enumerated per strongly connected component (SCC) by :func:`bounded_circles`, a
  length-bounded depth-first search pruned by the distance back to its start (the set
  ``networkx.simple_cycles(length_bound=...)`` lists — Johnson 1975, "Finding all the
  elementary circuits of a directed graph", SIAM J. Comput. 4(1); Gupta & Suzumura 2021 —
  tested against it, many times faster on the thousands of small SCCs of a large bank),
  only in SCCs of at most ``max_scc_enumerate`` firms and at most
  :data:`MAX_CIRCLES_PER_BLOCK` circles;
* ``circle_block``: an SCC of 3+ firms whose circles are not listed one by one (too many
  firms, too many circles, or circles longer than the bound) — reported as one block;
* ``chain`` (担保链): per weakly connected part of the network, the longest guarantee path
  in the condensation (an SCC counts as one link, shown ``{A,B,C}``), when it has at least
  ``min_chain_length`` links; linear time (level-by-level longest path in a DAG);
* ``cross`` (一保多): a guarantor behind at least ``cross_min_borrowers`` borrowers;
* ``focus`` (多保一): a borrower behind at least ``focus_min_guarantors`` guarantors.

``exposure`` of a pattern is the measured exposure (on-balance + CCF × off-balance − margin,
:func:`~channelgraph.graph.measure_exposure`) of its distinct members, with their outstanding
beside it (``outstanding_fen``); ``guaranteed`` the sum
of the guarantee amounts on the pattern's edges. Work is linear in the network except the
cycle enumeration, which is bounded per SCC.

Examples
--------
>>> import pandas as pd
>>> from channelgraph.graph import build_book
>>> from channelgraph.io import dataset_from_frames
>>> ent = pd.DataFrame({"id": ["A", "B", "C"], "kind": ["enterprise"] * 3, "name": ["甲", "乙", "丙"],
...                     "is_customer": ["true"] * 3})
>>> rel = pd.DataFrame({"src": ["A", "B", "C"], "dst": ["B", "C", "A"], "type": ["GUARANTEES"] * 3,
...                     "amount": ["5", "5", "5"]})
>>> exp = pd.DataFrame({"facility_id": ["F1"], "customer_id": ["A"], "outstanding": ["100"]})
>>> p = guarantee_patterns(build_book(dataset_from_frames(ent, rel, exp)))
>>> p[["pattern", "members", "path", "exposure_fen"]].values.tolist()
[['circle', ['A', 'B', 'C'], 'A → B → C → A', 10000]]
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..model import RelationType
from ..policy import Policy
from .._runtime import gc_paused
from ..graph import Book, Exposure, measure_exposure
from ..graph.arrays import csr, gather, in_ints, unique_ints
from ._numbers import ratio_texts

#: At most this many circles are listed per strongly connected block; beyond, it is one block.
MAX_CIRCLES_PER_BLOCK = 200

PATTERN_COLUMNS = [
    "pattern_id",
    "pattern",
    "members",
    "member_count",
    "path",
    "anchor",
    "exposure_fen",
    "guaranteed_fen",
    "share_of_tier1",
    "block_id",
    "note",
    "outstanding_fen",
]
PATTERN_ORDER = {"circle_block": 0, "circle": 1, "mutual": 2, "chain": 3, "cross": 4, "focus": 5}


class GuaranteeNetwork:
    """The guarantee edges of a book with strong and weak components (internal helper)."""

    def __init__(self, book: Book):
        e = book.of(RelationType.GUARANTEES)
        self.src, self.dst = e.src, e.dst
        self.amount = np.where(e.has_amount, e.amount, 0).astype(np.int64)
        n = book.n
        adj = coo_matrix((np.ones(len(e), dtype=np.int8), (e.src, e.dst)), shape=(n, n)).tocsr()
        self.ns, scc = connected_components(adj, directed=True, connection="strong")
        self.nw, wcc = connected_components(adj, directed=True, connection="weak")
        self.scc, self.wcc = scc.astype(np.int64), wcc.astype(np.int64)
        self.scc_size = np.bincount(self.scc, minlength=self.ns)
        touched = np.zeros(n, dtype=bool)
        touched[e.src] = True
        touched[e.dst] = True
        self.touched = touched


@gc_paused
def guarantee_patterns(book: Book, policy: Policy | None = None, *, exposure: Exposure | None = None) -> pd.DataFrame:
    """Every mutual, circle, circle block, chain, cross and focus guarantee with its exposure.

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book`.
    policy : ``policy.guarantee`` thresholds (default: ``book.policy``).
    exposure : the measured exposure (default: measured here under *policy*).

    Returns
    -------
    DataFrame with ``PATTERN_COLUMNS``: ``pattern_id`` (stable, from the members), ``pattern``,
    ``members`` (ids; circles and chains in path order), ``member_count``, ``path`` (text),
    ``anchor`` (the guarantor of a cross, the borrower of a focus), ``exposure_fen``,
    ``guaranteed_fen``, ``share_of_tier1``, ``block_id`` (``B-`` + smallest id of the SCC for
    circles and blocks), ``note``, ``outstanding_fen``. Sorted by pattern (circle_block, circle, mutual, chain,
    cross, focus), exposure desc, pattern_id.

    Notes
    -----
    Simple cycles by :func:`bounded_circles` (the cycles of Johnson 1975 with the length bound
    of Gupta & Suzumura 2021, as ``networkx.simple_cycles`` lists them); longest path in the
    condensation DAG by levels (Kahn 1962).
    """
    policy = policy or book.policy
    gp = policy.guarantee
    net = GuaranteeNetwork(book)
    ids = book.ids.tolist()
    rows = _Patterns()
    add = rows.add

    src, dst, amount = net.src, net.dst, net.amount
    n = book.n
    if len(src) == 0:
        return pd.DataFrame({c: [] for c in PATTERN_COLUMNS})
    key = src * n + dst
    amount_of = dict(zip(key.tolist(), amount.tolist()))

    # ---- mutual
    rev = dst * n + src
    mutual = in_ints(key, rev) & (src < dst)
    for a, b in zip(src[mutual].tolist(), dst[mutual].tolist()):
        add(
            "mutual",
            f"mutual:{ids[a]}-{ids[b]}",
            [a, b],
            f"{ids[a]} ⇄ {ids[b]}",
            "",
            amount_of[a * n + b] + amount_of[b * n + a],
        )

    # ---- circles per SCC
    big = np.flatnonzero(net.scc_size >= 3)
    if len(big):
        in_big = in_ints(net.scc, big)
        node_idx = np.flatnonzero(in_big)
        comp = net.scc[node_idx]
        o = np.argsort(comp, kind="stable")
        node_idx, comp = node_idx[o], comp[o]
        inner = (net.scc[src] == net.scc[dst]) & in_big[src]
        e_src, e_dst = src[inner], dst[inner]
        e_comp = net.scc[e_src]
        eo = np.argsort(e_comp, kind="stable")
        e_src, e_dst, e_comp = e_src[eo], e_dst[eo], e_comp[eo]
        n_starts = np.searchsorted(comp, big)
        n_ends = np.searchsorted(comp, big, side="right")
        e_starts = np.searchsorted(e_comp, big)
        e_ends = np.searchsorted(e_comp, big, side="right")
        for _c, na, nb, ea, eb in zip(
            big.tolist(), n_starts.tolist(), n_ends.tolist(), e_starts.tolist(), e_ends.tolist()
        ):
            members = node_idx[na:nb].tolist()  # ascending index = ascending id
            block = f"B-{ids[members[0]]}"
            es, ed = e_src[ea:eb].tolist(), e_dst[ea:eb].tolist()
            inner_amount = sum(amount_of[s * n + d] for s, d in zip(es, ed))
            size = len(members)
            cycles = None
            if size > gp.max_scc_enumerate:
                too_many = (
                    f"strongly connected block of {size} firms > max_scc_enumerate {gp.max_scc_enumerate}: "
                    "circles not enumerated"
                )
            else:
                cycles = bounded_circles(members, es, ed, gp.max_circle_length, MAX_CIRCLES_PER_BLOCK)
                too_many = (
                    f"more than {MAX_CIRCLES_PER_BLOCK} circles of ≤ {gp.max_circle_length} firms: "
                    "reported as one block"
                )
            if cycles is None:
                add("circle_block", f"circle_block:{ids[members[0]]}", members, "", "", inner_amount, block, too_many)
                continue
            if not cycles:
                only_pairs = all(amount_of.get(d * n + s) is not None for s, d in zip(es, ed)) and len(es) == 2 * (
                    size - 1
                )
                if not only_pairs:
                    add(
                        "circle_block",
                        f"circle_block:{ids[members[0]]}",
                        members,
                        "",
                        "",
                        inner_amount,
                        block,
                        f"circles longer than max_circle_length {gp.max_circle_length}: reported as one block",
                    )
                continue
            for cyc in cycles:  # each once, from its smallest member
                path = " → ".join(ids[i] for i in cyc) + f" → {ids[cyc[0]]}"
                guaranteed = sum(amount_of[a * n + b] for a, b in zip(cyc, cyc[1:] + cyc[:1]))
                add("circle", "circle:" + ">".join(ids[i] for i in cyc), cyc, path, "", guaranteed, block)

    # ---- chains: longest path in the condensation, per weak component
    for pid, members, path, guaranteed, note in _chains(book, net, gp.min_chain_length, ids):
        add("chain", pid, members, path, "", guaranteed, note=note)

    # ---- cross and focus: the guarantees of one guarantor / of one borrower, in id order
    for pattern, side, other, least in (
        ("cross", src, dst, gp.cross_min_borrowers),
        ("focus", dst, src, gp.focus_min_guarantors),
    ):
        deg = np.bincount(side, minlength=n)
        total = np.zeros(n, dtype=np.int64)
        np.add.at(total, side, amount)
        indptr, targets, _ = csr(side, other, n)
        tl, starts = targets.tolist(), indptr.tolist()
        for x in np.flatnonzero(deg >= max(1, least)).tolist():
            ys = tl[starts[x] : starts[x + 1]]
            names = ", ".join([ids[y] for y in ys])
            if pattern == "cross":
                add(
                    "cross",
                    f"cross:{ids[x]}",
                    [x] + ys,
                    f"{ids[x]} → {names}",
                    ids[x],
                    int(total[x]),
                    note=f"one guarantor behind {len(ys)} borrowers",
                )
            else:
                add(
                    "focus",
                    f"focus:{ids[x]}",
                    ys + [x],
                    f"{names} → {ids[x]}",
                    ids[x],
                    int(total[x]),
                    note=f"{len(ys)} guarantors behind one borrower",
                )

    return rows.table(book, policy, exposure or measure_exposure(book, policy))


class _Patterns:
    """The patterns found, column by column; exposures are summed for all of them at once."""

    def __init__(self):
        self.cols: dict[str, list] = {
            c: [] for c in ("pattern_id", "pattern", "path", "anchor", "guaranteed_fen", "block_id", "note")
        }
        self.members: list[list[int]] = []

    def add(self, pattern, pid, members_idx, path, anchor, guaranteed, block="", note=""):
        c = self.cols
        c["pattern_id"].append(pid)
        c["pattern"].append(pattern)
        c["path"].append(path)
        c["anchor"].append(anchor)
        c["guaranteed_fen"].append(int(guaranteed))
        c["block_id"].append(block)
        c["note"].append(note)
        self.members.append(members_idx)

    def table(self, book: Book, policy: Policy, measured: Exposure) -> pd.DataFrame:
        """``PATTERN_COLUMNS`` sorted by pattern, exposure desc, pattern_id; exposure over distinct members."""
        k = len(self.members)
        if not k:
            return pd.DataFrame([], columns=PATTERN_COLUMNS)
        n = book.n
        lens = np.fromiter((len(m) for m in self.members), dtype=np.int64, count=k)
        flat = np.fromiter((i for m in self.members for i in m), dtype=np.int64, count=int(lens.sum()))
        row = np.repeat(np.arange(k), lens)
        distinct = unique_ints(row * n + flat)
        d_row = distinct // n
        member_count = np.bincount(d_row, minlength=k)
        exposure = np.zeros(k, dtype=np.int64)
        np.add.at(exposure, d_row, measured.of_entity[distinct % n])
        outstanding = np.zeros(k, dtype=np.int64)
        np.add.at(outstanding, d_row, book.outstanding[distinct % n])
        c = self.cols
        order_of = np.asarray([PATTERN_ORDER[p] for p in c["pattern"]], dtype=np.int64)
        rank = np.lexsort((np.asarray(c["pattern_id"], dtype=object), -exposure, order_of))
        ids = book.ids
        members = [ids[self.members[i]].tolist() for i in rank.tolist()]

        def pick(name):
            vals = c[name]
            return [vals[i] for i in rank.tolist()]

        return pd.DataFrame(
            {
                "pattern_id": pick("pattern_id"),
                "pattern": pick("pattern"),
                "members": members,
                "member_count": member_count[rank],
                "path": pick("path"),
                "anchor": pick("anchor"),
                "exposure_fen": exposure[rank],
                "guaranteed_fen": pick("guaranteed_fen"),
                "share_of_tier1": ratio_texts(exposure[rank], policy.tier1_capital_fen),
                "block_id": pick("block_id"),
                "note": pick("note"),
                "outstanding_fen": outstanding[rank],
            },
            columns=PATTERN_COLUMNS,
        )


def bounded_circles(
    members: list[int], src: list[int], dst: list[int], max_len: int, limit: int
) -> list[list[int]] | None:
    """Every simple directed cycle of 3 to *max_len* nodes of a small graph, or None beyond *limit*.

    Parameters
    ----------
    members : the nodes (entity indices), ascending.
    src, dst : the edges (guarantor → borrower) among them.
    max_len : longest cycle listed, in nodes.
    limit : more cycles than this → ``None`` (the block is reported whole).

    Returns
    -------
    Each cycle once, as its nodes in edge order starting from its smallest node; cycles
    ordered by that node, then depth-first. The set is the one of
    ``networkx.simple_cycles(g, length_bound=max_len)`` restricted to 3+ nodes (tested
    against it).

    Notes
    -----
    Depth-first search from each start *s* over nodes above *s*, pruned by the distance back
    to *s* (breadth-first over predecessors): a node is entered only when a cycle through it
    can still close within *max_len* nodes, so no path is explored that cannot return in
    time (the pruning of Gupta & Suzumura 2021's bounded search, in its simplest form).

    >>> bounded_circles([0, 1, 2, 3], [0, 1, 2, 2, 3], [1, 2, 0, 3, 0], 8, 10)
    [[0, 1, 2], [0, 1, 2, 3]]
    """
    local = {v: i for i, v in enumerate(members)}
    k = len(members)
    succ: list[list[int]] = [[] for _ in range(k)]
    pred: list[list[int]] = [[] for _ in range(k)]
    for a, b in zip(src, dst):
        succ[local[a]].append(local[b])
        pred[local[b]].append(local[a])
    for x in succ:
        x.sort()
    out: list[list[int]] = []
    on_path = [False] * k
    for s in range(k):
        # distance (in edges) from each node above s back to s, through nodes above s
        dist = {s: 0}
        frontier, d = [s], 0
        while frontier and d < max_len - 1:
            d += 1
            nxt = []
            for v in frontier:
                for u in pred[v]:
                    if u > s and u not in dist:
                        dist[u] = d
                        nxt.append(u)
            frontier = nxt
        path = [s]
        on_path[s] = True
        stack = [iter(succ[s])]
        while stack:
            for w in stack[-1]:
                if w == s:
                    if len(path) >= 3:
                        out.append([members[i] for i in path])
                        if len(out) > limit:
                            on_path[:] = [False] * k
                            return None
                elif w > s and not on_path[w] and len(path) + dist.get(w, max_len) <= max_len:
                    path.append(w)
                    on_path[w] = True
                    stack.append(iter(succ[w]))
                    break
            else:
                stack.pop()
                on_path[path.pop()] = False
    return out


def _chains(book: Book, net: GuaranteeNetwork, min_len: int, ids: list[str]) -> list[tuple]:
    """Longest condensed guarantee path per weakly connected part (level-by-level DAG longest path).

    Returns (pattern_id, member indices, path text, guaranteed fen, note) per chain.
    """
    n = book.n
    src, dst = net.src, net.dst
    cs, cd = net.scc[src], net.scc[dst]
    keep = cs != cd
    ckey = unique_ints(cs[keep] * net.ns + cd[keep])
    cu, cv = ckey // net.ns, ckey % net.ns
    ns = net.ns
    # smallest member index per SCC (its key): first occurrence over ascending indices
    first = np.full(ns, n, dtype=np.int64)
    np.minimum.at(first, net.scc, np.arange(n, dtype=np.int64))
    indeg = np.bincount(cv, minlength=ns).astype(np.int64)
    indptr, targets, _ = csr(cu, cv, ns)
    level = np.zeros(ns, dtype=np.int64)
    scc_touched = np.zeros(ns, dtype=bool)
    scc_touched[net.scc[net.touched]] = True
    frontier = np.flatnonzero(scc_touched & (indeg == 0))
    lv = 1
    remaining = indeg.copy()
    while len(frontier):
        level[frontier] = lv
        p = gather(indptr, frontier)
        if not len(p):
            break
        t = targets[p]
        dec = np.bincount(t, minlength=ns)
        remaining -= dec
        cand = unique_ints(t)
        frontier = cand[remaining[cand] == 0]
        lv += 1
    if not len(level) or int(level.max()) < min_len:
        return []
    # predecessor on a longest path: among preds one level up, the one with the smallest key
    on = level[cu] == level[cv] - 1
    pu, pv = cu[on], cv[on]
    o = np.lexsort((first[pu], pv))
    pu, pv = pu[o], pv[o]
    firsts = np.flatnonzero(np.concatenate(([True], pv[1:] != pv[:-1]))) if len(pv) else np.zeros(0, np.int64)
    pred = np.full(ns, -1, dtype=np.int64)
    pred[pv[firsts]] = pu[firsts]
    # end of the longest path per weak component: max level, then smallest key
    cand = np.flatnonzero(level >= min_len)
    if not len(cand):
        return []
    weak = net.wcc[first[cand]]
    o = np.lexsort((first[cand], -level[cand], weak))
    cand, weak = cand[o], weak[o]
    ends = cand[np.concatenate(([True], weak[1:] != weak[:-1]))]
    # members of the multi-firm SCCs (ascending), and guarantee amounts between condensed links
    multi = np.flatnonzero(net.scc_size[net.scc] > 1)
    mo = np.argsort(net.scc[multi], kind="stable")
    multi = multi[mo]
    mcomp = net.scc[multi]

    def scc_members(c: int) -> list[int]:
        if net.scc_size[c] == 1:
            return [int(first[c])]
        a, b = np.searchsorted(mcomp, c), np.searchsorted(mcomp, c, side="right")
        return multi[a:b].tolist()

    ekey = cs[keep] * ns + cd[keep]
    eamt = net.amount[keep]
    uniq, inv = np.unique(ekey, return_inverse=True)
    csum = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(csum, inv, eamt)
    cond_amount = dict(zip(uniq.tolist(), csum.tolist()))
    rows = []
    for end in ends.tolist():
        path_scc = []
        c = end
        while c >= 0:
            path_scc.append(c)
            c = int(pred[c])
        path_scc.reverse()
        parts, members = [], []
        for c in path_scc:
            ms = scc_members(c)
            members.extend(ms)
            parts.append(ids[ms[0]] if len(ms) == 1 else "{" + ",".join(ids[m] for m in ms) + "}")
        guaranteed = sum(cond_amount.get(a * ns + b, 0) for a, b in itertools.pairwise(path_scc))
        rows.append(
            (
                f"chain:{ids[members[0]]}>{ids[members[-1]]}",
                members,
                " → ".join(parts),
                guaranteed,
                f"longest guarantee path of {len(path_scc)} links",
            )
        )
    return rows
