"""Reading the analyses' results for the views, tolerant of what is (not yet) there.

The views use the tables of ``channelgraph.risk`` (``risk_groups``,
``risk_group_members``, ``guarantee_patterns``, ``risk_sources``) and
``channelgraph.marketing`` (``hubs``, ``channels``) when a run produced them, and
fall back to what the book itself shows when it did not: connected groups from
control, guarantee and family ties; guarantee circles from the strongly connected
blocks of the guarantee ties.

:class:`Findings` reads those tables once per run and lines them up with a
:class:`~channelgraph.viz.book.Book`'s entities as arrays (each entity's most severe
group, whether it is in a guarantee pattern, its hub rank and score), so that a view
can rank a million entities by importance with one ``numpy.lexsort``; a group's or
pattern's :class:`GroupInfo` / :class:`PatternInfo` is made only when a view needs
it. The list accessors (:func:`risk_groups`, :func:`guarantee_patterns`,
:func:`hub_ranks`) return plain Python values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

import networkx as nx
import numpy as np
import pandas as pd

from ..model import CHANNEL_KINDS, PARTY_KINDS, share_of
from ..policy import Policy
from .book import Book, _text_ranks, as_book

_PARTY = {k.value for k in PARTY_KINDS}
_CHANNEL = {k.value for k in CHANNEL_KINDS}
#: A hub rank larger than any real one: entities the ``hubs`` table does not list sort last.
NO_RANK = 10**9
#: This many best-ranked hubs (persons and enterprises) get a star in the views.
TOP_HUB_RANK = 10


def find_table(results: dict | None, name: str) -> pd.DataFrame | None:
    """The table *name* from whichever analysis produced it (None when absent)."""
    for res in (results or {}).values():
        tables = getattr(res, "tables", None) or {}
        df = tables.get(name)
        if isinstance(df, pd.DataFrame):
            return df
    return None


def _col(df: pd.DataFrame, *names: str) -> str | None:
    for n in names:
        if n in df.columns:
            return n
    return None


def split_members(value) -> list[str]:
    """Members as a list, from a ';'-joined text, a list or a tuple."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return [m.strip() for m in str(value).split(";") if m.strip()]


def _int(v) -> int:
    try:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return 0
        return int(v)
    except (TypeError, ValueError):
        return 0


def _ratio(v) -> float | None:
    try:
        if v is None or v is pd.NA:
            return None
        f = float(v)
        return None if math.isnan(f) else f
    except (TypeError, ValueError):
        return None


def _str(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _ints(column: pd.Series) -> np.ndarray:
    """``_int`` of every value, as int64 (whole-column for integer columns without gaps)."""
    if column.dtype.kind in "iu" and not column.isna().any():
        return column.to_numpy(dtype=np.int64)
    return np.array([_int(v) for v in column.tolist()], dtype=np.int64)


def _strs(column: pd.Series) -> list[str]:
    """``_str`` of every value (whole-column for a text column)."""
    if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        return column.fillna("").tolist() if column.hasnans else column.tolist()
    return [_str(v) for v in column.tolist()]


class _Members:
    """The members cells of a results table: each row's list, and every (row, member) pair at once."""

    def __init__(self, cells: list):
        self.cells = cells
        self._flat: tuple[np.ndarray, np.ndarray] | None = None
        self._lengths: np.ndarray | None = None
        self._parsed: list[list[str]] | None = None
        #: every cell is a list of str (the usual case): rows need no parsing
        self._lists = set(map(type, cells)) <= {list}

    def row(self, r: int) -> list[str]:
        return split_members(self.cells[r])

    def _rows(self) -> list:
        if self._lists:
            return self.cells
        if self._parsed is None:
            self._parsed = [split_members(c) for c in self.cells]
        return self._parsed

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """(row of each pair, member id of each pair) over all rows, rows ascending."""
        if self._flat is None:
            cells = self._rows()
            lengths = self.lengths()
            # one pass over the (millions of) member ids, then one to check they are all text
            flat = np.fromiter(chain.from_iterable(cells), dtype=object, count=int(lengths.sum()))
            if self._lists and len(flat) and pd.api.types.infer_dtype(flat, skipna=False) != "string":
                flat = np.fromiter((str(x) for x in flat.tolist()), dtype=object, count=len(flat))
            self._flat = (np.repeat(np.arange(len(cells), dtype=np.int64), lengths), flat)
        return self._flat

    def lengths(self) -> np.ndarray:
        if self._lengths is None:
            cells = self._rows()
            self._lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
        return self._lengths


@dataclass
class GroupInfo:
    """One connected-client group (一组关联客户)."""

    group_id: str
    members: list[str]
    exposure_fen: int = 0
    share_of_tier1: float | None = None
    status: str = "ok"  # ok | large_exposure | breach
    computed_here: bool = False

    @property
    def breached(self) -> bool:
        return self.status == "breach"


@dataclass
class PatternInfo:
    """One guarantee pattern (互保, 担保圈, 担保链, 一保多, 多保一, 联保)."""

    pattern_id: str
    pattern: str
    members: list[str]
    exposure_fen: int = 0
    computed_here: bool = False


_STATUS_ORDER = {"breach": 0, "large_exposure": 1, "ok": 2}


class GroupTable:
    """The ``risk_groups`` table, most severe first: breached, then large exposures, then the
    rest; by exposure (largest first), members (most first) and id. A row's :class:`GroupInfo`
    is made when asked for."""

    def __init__(self, results: dict | None):
        df = find_table(results, "risk_groups")
        self._info: dict[int, GroupInfo] = {}
        if df is None or len(df) == 0:
            self.n = 0
            self.order = np.zeros(0, dtype=np.int64)
            return
        gid = _col(df, "group_id", "id", "group")
        mem = _col(df, "members", "member_ids")
        exp = _col(df, "exposure_fen", "outstanding_fen", "total_fen")
        shr = _col(df, "share_of_tier1", "share")
        st = _col(df, "status")
        n = self.n = len(df)
        self.gids = _strs(df[gid]) if gid else [str(i + 1) for i in range(n)]
        if mem is not None:
            self.members = _Members(df[mem].tolist())
        else:
            by_group: dict[str, list[str]] = {}
            gm = find_table(results, "risk_group_members")
            if gm is not None and len(gm):
                g2 = _col(gm, "group_id", "group")
                m2 = _col(gm, "entity_id", "id", "member_id", "customer_id", "member")
                if g2 and m2:
                    for g, m in zip(gm[g2].tolist(), gm[m2].tolist()):
                        by_group.setdefault(_str(g), []).append(_str(m))
            self.members = _Members([by_group.get(g, []) for g in self.gids])
        self.exposure = _ints(df[exp]) if exp else np.zeros(n, dtype=np.int64)
        self._shares = df[shr].tolist() if shr else None
        self.status = [s or "ok" for s in _strs(df[st])] if st else ["ok"] * n
        codes, uniques = pd.factorize(pd.Series(self.status, dtype=object))
        severity = np.array([_STATUS_ORDER.get(s, 3) for s in uniques], dtype=np.int64)[codes]
        self.severity = severity
        self.order = np.lexsort((_text_ranks(self.gids, text=True), -self.members.lengths(), -self.exposure,
                                 severity))
        #: each row's place in :attr:`order`
        self.place = np.empty(n, dtype=np.int64)
        self.place[self.order] = np.arange(n, dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def info(self, row: int) -> GroupInfo:
        """The group in table row *row*."""
        row = int(row)
        if row not in self._info:
            share = _ratio(self._shares[row]) if self._shares is not None else None
            self._info[row] = GroupInfo(self.gids[row], self.members.row(row), int(self.exposure[row]), share,
                                        self.status[row])
        return self._info[row]

    def all(self) -> list[GroupInfo]:
        """Every group, most severe first."""
        return [self.info(r) for r in self.order.tolist()]

    def first(self) -> GroupInfo | None:
        return self.info(self.order[0]) if self.n else None

    def find(self, ident: str) -> GroupInfo | None:
        """The group with id *ident*, else the most severe group that has *ident* as a member."""
        if not self.n:
            return None
        gids = np.empty(self.n, dtype=object)
        gids[:] = self.gids
        rows = np.flatnonzero(gids == ident)
        if not len(rows):
            pair_rows, flat = self.members.flat()
            rows = pair_rows[flat == ident]
        if not len(rows):
            return None
        return self.info(rows[np.argmin(self.place[rows])])

    def of_entities(self, book: Book) -> np.ndarray:
        """Per entity of *book*: the table row of its most severe group, -1 when in none."""
        if not self.n:
            return np.full(book.n_nodes, -1, dtype=np.int64)
        best = np.full(book.n_nodes, self.n, dtype=np.int64)
        rows, flat = self.members.flat()
        pos = book.positions(flat, text=True)
        ok = pos >= 0
        np.minimum.at(best, pos[ok], self.place[rows[ok]])
        return np.where(best < self.n, self.order[np.minimum(best, self.n - 1)], -1)


def risk_groups(results: dict | None) -> list[GroupInfo]:
    """Groups from ``risk_groups``: breached first, then by exposure (largest first)."""
    return GroupTable(results).all()


def groups_of_nodes(groups: list[GroupInfo]) -> dict[str, GroupInfo]:
    """Node id → its group (the first listed, i.e. the most severe, when in several)."""
    out: dict[str, GroupInfo] = {}
    for g in groups:
        for m in g.members:
            out.setdefault(m, g)
    return out


_CIRCLE_WORDS = ("circle", "cycle", "scc", "block", "mutual", "joint")


class PatternTable:
    """The ``guarantee_patterns`` table in its own order; ids are the table's or ``1``, ``2`` …"""

    def __init__(self, results: dict | None):
        df = find_table(results, "guarantee_patterns")
        self._info: dict[int, PatternInfo] = {}
        if df is None or len(df) == 0:
            self.n = 0
            return
        pid = _col(df, "pattern_id", "id")
        pat = _col(df, "pattern", "kind", "type")
        mem = _col(df, "members", "member_ids")
        exp = _col(df, "exposure_fen", "amount_fen", "guaranteed_fen", "outstanding_fen")
        n = self.n = len(df)
        self.pids = _strs(df[pid]) if pid else [str(i + 1) for i in range(n)]
        self.patterns = _strs(df[pat]) if pat else [""] * n
        self.members = _Members(df[mem].tolist() if mem else [[] for _ in range(n)])
        self.exposure = _ints(df[exp]) if exp else np.zeros(n, dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def info(self, row: int) -> PatternInfo:
        row = int(row)
        if row not in self._info:
            self._info[row] = PatternInfo(self.pids[row], self.patterns[row], self.members.row(row),
                                          int(self.exposure[row]))
        return self._info[row]

    def all(self) -> list[PatternInfo]:
        return [self.info(r) for r in range(self.n)]

    def largest_circle(self) -> PatternInfo | None:
        """:func:`largest_circle` of the table."""
        if not self.n:
            return None
        circle = {p: any(w in p.lower() for w in _CIRCLE_WORDS) for p in set(self.patterns)}
        pool = [r for r in range(self.n) if circle[self.patterns[r]]] or range(self.n)
        lens = self.members.lengths()
        return self.info(min(pool, key=lambda r: (-lens[r], -self.exposure[r], self.pids[r])))

    def find(self, ident: str) -> PatternInfo | None:
        """By id, by 1-based position (``2`` or ``#2``), else the largest pattern with *ident* as a member."""
        if not self.n:
            return None
        for r, p in enumerate(self.pids):
            if p == ident:
                return self.info(r)
        if ident.lstrip("#").isdigit() and 1 <= int(ident.lstrip("#")) <= self.n:
            return self.info(int(ident.lstrip("#")) - 1)
        pair_rows, flat = self.members.flat()
        rows = np.unique(pair_rows[flat == ident])
        if not len(rows):
            return None
        lens = self.members.lengths()
        return self.info(min(rows.tolist(), key=lambda r: (-lens[r], self.pids[r])))

    def in_any(self, book: Book) -> np.ndarray:
        """Per entity of *book*: is it a member of any pattern?"""
        out = np.zeros(book.n_nodes, dtype=bool)
        if self.n:
            _, flat = self.members.flat()
            pos = book.positions(flat, text=True)
            out[pos[pos >= 0]] = True
        return out


def guarantee_patterns(results: dict | None) -> list[PatternInfo]:
    """Patterns from ``guarantee_patterns`` in table order; ids are the table's or ``1``, ``2`` …"""
    return PatternTable(results).all()


def largest_circle(patterns: list[PatternInfo]) -> PatternInfo | None:
    """The guarantee circle (or strongly connected block) with most members; else the largest pattern."""
    if not patterns:
        return None
    circles = [p for p in patterns if any(w in p.pattern.lower() for w in _CIRCLE_WORDS)]
    pool = circles or patterns
    return sorted(pool, key=lambda p: (-len(p.members), -p.exposure_fen, p.pattern_id))[0]


def hub_ranks(results: dict | None) -> dict[str, tuple[int, float]]:
    """Node id → (rank, score) from the ``hubs`` table (rank 1 is the strongest)."""
    df = find_table(results, "hubs")
    if df is None or len(df) == 0:
        return {}
    idc = _col(df, "id", "node_id", "entity_id")
    if idc is None:
        return {}
    rk = _col(df, "rank")
    sc = _col(df, "score", "hub_score")
    n = len(df)
    ids = [_str(v) for v in df[idc].tolist()]
    ranks = [_int(v) or i + 1 for i, v in enumerate(df[rk].tolist())] if rk else list(range(1, n + 1))
    scores = [_ratio(v) or 0.0 for v in df[sc].tolist()] if sc else [0.0] * n
    out: dict[str, tuple[int, float]] = {}
    for i, r, s_ in zip(ids, ranks, scores):
        out.setdefault(i, (r, s_))
    return out


def risk_source_ids(results: dict | None) -> set[str]:
    df = find_table(results, "risk_sources")
    if df is None or len(df) == 0:
        return set()
    idc = _col(df, "source_id", "id", "node_id")
    return {_str(v) for v in df[idc].tolist()} if idc else set()


# --------------------------------------------------------------------------- findings


class Findings:
    """The results the views use, lined up with a book's entities.

    Made once per run (:func:`findings_of`) and shared by every view; the view builders
    accept it wherever they take *results*.

    Parameters
    ----------
    results : dict or None
        The analyses' results (``{name: AnalysisResult}``).
    book : Book
        The book whose entities the arrays follow.
    top_hubs : int
        How many best-ranked persons and enterprises get a star.

    Attributes
    ----------
    groups : GroupTable
        ``risk_groups``, most severe first.
    group_row : numpy.ndarray
        Per entity: the row in ``groups`` of its most severe group, -1 when in none.
    breach, large, in_pattern : numpy.ndarray
        Per entity: is that group breached / a large exposure? is it in a guarantee pattern?
    patterns : PatternTable
        ``guarantee_patterns``, in table order.
    has_hub, hub_rank, hub_score : numpy.ndarray
        Per entity: listed in ``hubs``? its rank (:data:`NO_RANK` when not) and score.
    ranked_parties : list of (int, str)
        (rank, id) of the listed persons and enterprises, best first.
    star : set of int
        Positions of the ``top_hubs`` best of them.
    """

    def __init__(self, results: dict | None, book: Book, top_hubs: int = TOP_HUB_RANK):
        self.results = results
        self.book = book
        self.groups = GroupTable(results)
        self.group_row = self.groups.of_entities(book)
        sev = np.full(book.n_nodes, 3, dtype=np.int64)
        has = self.group_row >= 0
        if has.any():
            sev[has] = self.groups.severity[self.group_row[has]]
        self.breach = sev == 0
        self.large = sev == 1
        self.patterns = PatternTable(results)
        self.in_pattern = self.patterns.in_any(book)
        hubs = hub_ranks(results)
        #: whether the run ranked any hub at all (even outside this book)
        self.any_hubs = bool(hubs)
        self.has_hub = np.zeros(book.n_nodes, dtype=bool)
        self.hub_rank = np.full(book.n_nodes, NO_RANK, dtype=np.int64)
        self.hub_score = np.zeros(book.n_nodes, dtype=np.float64)
        self._hub_values: dict[int, tuple[int, float]] = {}
        if hubs:
            pos = book.positions(list(hubs), text=True)
            for p, (r, s_) in zip(pos.tolist(), hubs.values()):
                if p >= 0:
                    self._hub_values[p] = (r, s_)
            if self._hub_values:
                at = np.fromiter(self._hub_values, dtype=np.int64, count=len(self._hub_values))
                self.has_hub[at] = True
                self.hub_rank[at] = [r for r, _ in self._hub_values.values()]
                self.hub_score[at] = [s_ for _, s_ in self._hub_values.values()]
        #: (rank, id) of the persons and enterprises in the ``hubs`` table, best first
        self.ranked_parties = sorted((r, str(book.ids[p])) for p, (r, _) in self._hub_values.items()
                                     if book.party[p])
        self.star = {book.index_of(i) for _, i in self.ranked_parties[:top_hubs]}

    def hub(self, i: int) -> tuple[int, float] | None:
        """(rank, score) of the entity at *i* from the ``hubs`` table, None when not listed."""
        return self._hub_values.get(int(i))

    def group(self, i: int) -> GroupInfo | None:
        """The most severe group of the entity at *i* (None when in none)."""
        row = int(self.group_row[i])
        return self.groups.info(row) if row >= 0 else None

    def priority_keys(self, positions: np.ndarray) -> tuple:
        """``numpy.lexsort`` keys, last key first in importance: breached-group members first, then
        large-exposure groups, guarantee patterns, hub rank, outstanding (largest first), id."""
        p = positions
        flags = (~self.breach[p]).astype(np.int64) << 2 | (~self.large[p]).astype(np.int64) << 1 \
            | (~self.in_pattern[p]).astype(np.int64)
        rank = self.hub_rank[p]
        if len(p) and rank.min() >= 0 and rank.max() < 1 << 58:  # flags and hub rank in one key
            return self.book.id_rank[p], -self.book.outstanding[p], flags << 58 | rank
        return self.book.id_rank[p], -self.book.outstanding[p], rank, flags

    def by_priority(self, positions) -> np.ndarray:
        """*positions* (entities), most important first."""
        p = np.asarray(positions, dtype=np.int64)
        return p[np.lexsort(self.priority_keys(p))] if len(p) > 1 else p

    def first_by_priority(self, positions, k: int) -> np.ndarray:
        """``by_priority(positions)[:k]`` without ordering all of a million *positions*.

        Key by key, from the most important, the entries certainly among the first *k*
        are picked by ``numpy.partition`` and only the ties at the cut go on to the next
        key; the few picked are then ordered as :meth:`by_priority` orders them.
        """
        p = np.asarray(positions, dtype=np.int64)
        k = max(0, int(k))
        if len(p) <= 4 * k or len(p) < 1024:
            return self.by_priority(p)[:k]
        keys = self.priority_keys(p)
        picked = []
        cand = np.arange(len(p))
        need = k
        for key in reversed(keys):  # the most important key first
            if need == 0:
                break
            if len(cand) <= need:
                picked.append(cand)
                need = 0
                break
            v = key[cand]
            cut = np.partition(v, need - 1)[need - 1]
            before = v < cut
            picked.append(cand[before])
            need -= int(np.count_nonzero(before))
            cand = cand[v == cut]
        if need:  # equal in every key: the first in the list come first (lexsort is stable)
            picked.append(cand[:need])
        top = np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)
        return p[top[np.lexsort(tuple(key[top] for key in keys))]]


def findings_of(results, book: Book) -> Findings:
    """*results* lined up with *book* (results already made into :class:`Findings` for this book are kept)."""
    if isinstance(results, Findings) and results.book is book:
        return results
    if isinstance(results, Findings):
        results = results.results
    return Findings(results, book)


def results_of(results) -> dict | None:
    """The plain results dict behind *results* (a dict or :class:`Findings`)."""
    return results.results if isinstance(results, Findings) else results


# --------------------------------------------------------------------------- book facts

#: Member ties of a channel: (type, the member is the edge's source?)
MEMBER_TIES = {"MEMBER_OF": True, "TRADES_IN": True, "SOURCED_VIA": True, "EMPLOYS": False}


def channel_order(results: dict | Findings | None, book) -> list[str]:
    """Channel ids, best first: the ``channels`` table's order when present, else by member count."""
    book = as_book(book)
    df = find_table(results_of(results), "channels")
    ids: list[str] = []
    if df is not None and len(df):
        idc = _col(df, "channel_id", "id")
        if idc:
            rk = _col(df, "rank")
            rows = df.sort_values(rk, kind="stable") if rk else df
            listed = [_str(v) for v in rows[idc].tolist()]
            ids = [i for i, p in zip(listed, book.positions(listed, text=True).tolist()) if p >= 0]
    seen = book.mask(book.positions(ids, text=True)) if ids else np.zeros(book.n_nodes, dtype=bool)
    rest = np.flatnonzero(book.channel & ~seen)
    rest = rest[np.lexsort((book.id_rank[rest], -book.member_counts[rest]))]
    return ids + [str(book.ids[i]) for i in rest.tolist()]


def channel_members(graph, channel: str) -> dict[str, str]:
    """Member id → role ('' when none) of a chamber, market or intermediary."""
    book = as_book(graph)
    i = book.index_of(channel)
    if i < 0:
        return {}
    return {str(book.ids[m]): role for m, role in book.channel_members(i).items()}


def local_groups(graph, policy: Policy | None = None) -> list[GroupInfo]:
    """Connected groups from control, guarantee and family ties (when risk results are absent).

    A rough stand-in for ``channelgraph.risk``: it does not apply the policy's
    thresholds on control shares or guarantee sizes. Status is judged against the
    policy's large-exposure and group limits.
    """
    book = as_book(graph)
    policy = policy or Policy()
    rows = np.flatnonzero(book.type_mask("CONTROLS", "GUARANTEES", "FAMILY"))
    tier1 = policy.tier1_capital_fen
    out = []
    for i, comp in enumerate(_components(book, rows, strong=False)):
        exposure = int(book.outstanding[comp].sum())
        share = share_of(exposure, tier1)
        status = ("breach" if share > policy.limits.group_share
                  else "large_exposure" if share > policy.limits.large_exposure_share else "ok")
        out.append(GroupInfo(f"L{i + 1}", [str(book.ids[m]) for m in comp], exposure, float(share), status,
                             computed_here=True))
    out.sort(key=lambda x: (_STATUS_ORDER.get(x.status, 3), -x.exposure_fen, -len(x.members), x.group_id))
    return out


def local_circles(graph) -> list[PatternInfo]:
    """Strongly connected blocks of the guarantee ties (mutual guarantees and circles)."""
    book = as_book(graph)
    rows = np.flatnonzero(book.type_mask("GUARANTEES"))
    comps = _components(book, rows, strong=True)
    label = np.full(book.n_nodes, -1, dtype=np.int64)
    for i, comp in enumerate(comps):
        label[comp] = i
    inside = rows[(label[book.src[rows]] >= 0) & (label[book.src[rows]] == label[book.dst[rows]])]
    amount = [0] * len(comps)
    for r, a in zip(inside.tolist(), book.edge_attrs(inside)):
        amount[int(label[book.src[r]])] += int(a.get("amount_fen") or 0)
    return [PatternInfo(f"L{i + 1}", "mutual" if len(comp) == 2 else "circle", [str(book.ids[m]) for m in comp],
                        amount[i], computed_here=True) for i, comp in enumerate(comps)]


def _components(book: Book, rows: np.ndarray, *, strong: bool) -> list[np.ndarray]:
    """Components (weak, or strong for directed ties) of more than one entity among the ties
    *rows*; each sorted by id, the largest first (then by first id)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(rows):
        return []
    nodes, inv = np.unique(np.concatenate((book.src[rows], book.dst[rows])), return_inverse=True)
    k = len(nodes)
    adj = coo_matrix((np.ones(len(rows), dtype=np.int8), (inv[: len(rows)], inv[len(rows):])), shape=(k, k)).tocsr()
    _, labels = connected_components(adj, directed=strong, connection="strong" if strong else "weak")
    rank = book.id_rank[nodes]
    order = np.lexsort((rank, labels))
    labels, members = labels[order], nodes[order]
    cuts = np.flatnonzero(np.diff(labels)) + 1
    comps = [c for c in np.split(members, cuts) if len(c) > 1]
    comps.sort(key=lambda c: (-len(c), book.id_rank[c[0]]))
    return comps


def is_party(graph, n) -> bool:
    """Is *n* a person or an enterprise? (*graph*: a book or a NetworkX graph)"""
    if isinstance(graph, nx.Graph):
        return graph.nodes[n].get("kind") in _PARTY
    i = graph.index_of(n)
    return bool(i >= 0 and graph.party[i])


def is_channel(graph, n) -> bool:
    """Is *n* a chamber, market or intermediary? (*graph*: a book or a NetworkX graph)"""
    if isinstance(graph, nx.Graph):
        return graph.nodes[n].get("kind") in _CHANNEL
    i = graph.index_of(n)
    return bool(i >= 0 and graph.channel[i])


def share_text(v) -> str:
    """A ratio as a percentage with two decimals ('' when unknown)."""
    if v is None:
        return ""
    try:
        return f"{float(Decimal(str(v))) * 100:.2f}%"
    except (ArithmeticError, ValueError):
        return str(v)


__all__ = ["GroupInfo", "PatternInfo", "Findings", "GroupTable", "PatternTable", "findings_of", "find_table",
           "risk_groups", "groups_of_nodes", "guarantee_patterns", "largest_circle", "hub_ranks", "channel_order",
           "risk_source_ids", "channel_members", "local_groups", "local_circles", "split_members", "share_text"]
