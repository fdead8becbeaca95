"""Reading the analyses' results for the views, by attribute and documented column.

The views use the risk room's :class:`~channelgraph.risk.RiskResult` (``results["risk"]``:
its ``groups`` and ``patterns``) and the marketing room's ``hubs`` and ``channels``
tables (``results["marketing"].tables``). Without risk results the views show no
groups or patterns, and say so in their notes; without marketing results no hub is
ranked and channels are ordered by their members.

:class:`Findings` reads those tables once per run and lines them up with a book's
entities as arrays (each entity's most severe group, whether it is in a guarantee
pattern, its hub rank and score), so that a view can rank a million entities by
importance with one ``numpy.lexsort``; a group's or pattern's :class:`GroupInfo` /
:class:`PatternInfo` is made only when a view needs it. The list accessors
(:func:`risk_groups`, :func:`guarantee_patterns`, :func:`hub_ranks`) return plain
Python values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..graph import Book
from ._index import ViewIndex

if TYPE_CHECKING:  # pragma: no cover
    from ..risk import RiskResult

#: A hub rank larger than any real one: entities the ``hubs`` table does not list sort last.
NO_RANK = 10**9
#: This many best-ranked hubs (persons and enterprises) get a star in the views.
TOP_HUB_RANK = 10
#: The guarantee patterns that are circles (a block of circles, a circle, a mutual guarantee).
CIRCLES = frozenset({"circle_block", "circle", "mutual"})


def _risk(results: dict | None) -> RiskResult | None:
    """The :class:`~channelgraph.risk.RiskResult` of *results* (None when risk did not run)."""
    return (results or {}).get("risk")


def _marketing_table(results: dict | None, name: str) -> pd.DataFrame | None:
    """The marketing room's table *name* (``hubs``, ``channels``), None when marketing did not run."""
    marketing = (results or {}).get("marketing")
    return None if marketing is None else marketing.tables.get(name)


def _ranks(texts: list[str]) -> np.ndarray:
    """Each text's position when the texts are sorted (stable)."""
    order = np.argsort(np.array(texts, dtype=object), kind="stable")
    ranks = np.empty(len(texts), dtype=np.int64)
    ranks[order] = np.arange(len(texts), dtype=np.int64)
    return ranks


class _Members:
    """The ``members`` cells of a results table (lists of ids): every (row, member) pair at once."""

    def __init__(self, cells: list[list[str]]):
        self.cells = cells
        self.lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
        self._flat: tuple[np.ndarray, np.ndarray] | None = None

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """(row of each pair, member id of each pair) over all rows, rows ascending."""
        if self._flat is None:
            flat = np.fromiter(chain.from_iterable(self.cells), dtype=object, count=int(self.lengths.sum()))
            self._flat = (np.repeat(np.arange(len(self.cells), dtype=np.int64), self.lengths), flat)
        return self._flat


@dataclass
class GroupInfo:
    """One connected-client group (一组关联客户)."""

    group_id: str
    members: list[str]
    exposure_fen: int = 0
    share_of_tier1: float | None = None
    status: str = "ok"  # ok | large_exposure | breach

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


_STATUS_ORDER = {"breach": 0, "large_exposure": 1, "ok": 2, "exempt": 3}  # exempt: reported, not tested


class GroupTable:
    """The risk groups (``RiskResult.groups``), most severe first: breached, then large exposures,
    then the rest; by exposure (largest first), members (most first) and id. A row's
    :class:`GroupInfo` is made when asked for."""

    def __init__(self, risk: RiskResult | None):
        self._info: dict[int, GroupInfo] = {}
        n = self.n = 0 if risk is None else len(risk.groups)
        if risk is None or not n:
            self.order = np.zeros(0, dtype=np.int64)
            return
        df = risk.groups
        self.gids: list[str] = df["group_id"].tolist()
        self.members = _Members(df["members"].tolist())
        self.exposure = df["exposure_fen"].to_numpy(dtype=np.int64)
        self._shares: list[str] = df["share_of_tier1"].tolist()
        self.status: list[str] = df["status"].tolist()
        self.severity = np.array([_STATUS_ORDER.get(s, len(_STATUS_ORDER)) for s in self.status], dtype=np.int64)
        self.order = np.lexsort((_ranks(self.gids), -self.members.lengths, -self.exposure, self.severity))
        #: each row's place in :attr:`order`
        self.place = np.empty(n, dtype=np.int64)
        self.place[self.order] = np.arange(n, dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def info(self, row: int) -> GroupInfo:
        """The group in table row *row*."""
        row = int(row)
        if row not in self._info:
            self._info[row] = GroupInfo(
                self.gids[row],
                list(self.members.cells[row]),
                int(self.exposure[row]),
                float(self._shares[row]),
                self.status[row],
            )
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

    def of_entities(self, index: ViewIndex) -> np.ndarray:
        """Per entity: the table row of its most severe group, -1 when in none."""
        if not self.n:
            return np.full(index.n_nodes, -1, dtype=np.int64)
        best = np.full(index.n_nodes, self.n, dtype=np.int64)
        rows, flat = self.members.flat()
        pos = index.positions(flat)
        ok = pos >= 0
        np.minimum.at(best, pos[ok], self.place[rows[ok]])
        return np.where(best < self.n, self.order[np.minimum(best, self.n - 1)], -1)


def risk_groups(results: dict | None) -> list[GroupInfo]:
    """The risk groups: breached first, then by exposure (largest first)."""
    return GroupTable(_risk(results)).all()


class PatternTable:
    """The guarantee patterns (``RiskResult.patterns``) in their table's order."""

    def __init__(self, risk: RiskResult | None):
        self._info: dict[int, PatternInfo] = {}
        self.n = 0 if risk is None else len(risk.patterns)
        if risk is None or not self.n:
            return
        df = risk.patterns
        self.pids: list[str] = df["pattern_id"].tolist()
        self.patterns: list[str] = df["pattern"].tolist()
        self.members = _Members(df["members"].tolist())
        self.exposure = df["exposure_fen"].to_numpy(dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def info(self, row: int) -> PatternInfo:
        row = int(row)
        if row not in self._info:
            self._info[row] = PatternInfo(
                self.pids[row], self.patterns[row], list(self.members.cells[row]), int(self.exposure[row])
            )
        return self._info[row]

    def all(self) -> list[PatternInfo]:
        return [self.info(r) for r in range(self.n)]

    def largest_circle(self) -> PatternInfo | None:
        """The guarantee circle (or block of circles, or mutual guarantee) with most members, then the
        largest exposure; else the largest pattern."""
        if not self.n:
            return None
        pool = [r for r in range(self.n) if self.patterns[r] in CIRCLES] or range(self.n)
        lens = self.members.lengths
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
        lens = self.members.lengths
        return self.info(min(rows.tolist(), key=lambda r: (-lens[r], self.pids[r])))

    def in_any(self, index: ViewIndex) -> np.ndarray:
        """Per entity: is it a member of any pattern?"""
        out = np.zeros(index.n_nodes, dtype=bool)
        if self.n:
            _, flat = self.members.flat()
            pos = index.positions(flat)
            out[pos[pos >= 0]] = True
        return out


def guarantee_patterns(results: dict | None) -> list[PatternInfo]:
    """The guarantee patterns in their table's order."""
    return PatternTable(_risk(results)).all()


def hub_ranks(results: dict | None) -> dict[str, tuple[int, float]]:
    """Node id → (rank, score) from the marketing room's ``hubs`` table (rank 1 is the strongest)."""
    df = _marketing_table(results, "hubs")
    if df is None:
        return {}
    return dict(zip(df["id"].tolist(), zip(df["rank"].tolist(), df["score"].tolist())))


# --------------------------------------------------------------------------- findings


class Findings:
    """The results the views use, lined up with a book's entities.

    Made once per run (:func:`findings_of`) and shared by every view; the view builders
    accept it wherever they take *results*.

    Parameters
    ----------
    results : dict or None
        The analyses' results (``{name: result}``; ``"risk"`` a
        :class:`~channelgraph.risk.RiskResult`).
    index : ViewIndex
        The views' index of the book whose entities the arrays follow.
    top_hubs : int
        How many best-ranked persons and enterprises get a star.

    Attributes
    ----------
    book : channelgraph.graph.Book
        The book (``index.book``).
    has_risk : bool
        Whether risk results were given (else no group or pattern is shown).
    groups : GroupTable
        The risk groups, most severe first.
    group_row : numpy.ndarray
        Per entity: the row in ``groups`` of its most severe group, -1 when in none.
    breach, large, in_pattern : numpy.ndarray
        Per entity: is that group breached / a large exposure? is it in a guarantee pattern?
    patterns : PatternTable
        The guarantee patterns, in table order.
    has_hub, hub_rank, hub_score : numpy.ndarray
        Per entity: listed in ``hubs``? its rank (:data:`NO_RANK` when not) and score.
    ranked_parties : list of (int, str)
        (rank, id) of the listed persons and enterprises, best first.
    star : set of int
        Positions of the ``top_hubs`` best of them.
    """

    def __init__(self, results: dict | None, index: ViewIndex, top_hubs: int = TOP_HUB_RANK):
        self.results = results
        self.index = index
        self.book: Book = index.book
        risk = _risk(results)
        self.has_risk = risk is not None
        self.groups = GroupTable(risk)
        self.group_row = self.groups.of_entities(index)
        sev = np.full(index.n_nodes, 3, dtype=np.int64)
        has = self.group_row >= 0
        if has.any():
            sev[has] = self.groups.severity[self.group_row[has]]
        self.breach = sev == 0
        self.large = sev == 1
        self.patterns = PatternTable(risk)
        self.in_pattern = self.patterns.in_any(index)
        hubs = hub_ranks(results)
        #: whether the run ranked any hub at all (even outside this book)
        self.any_hubs = bool(hubs)
        self.has_hub = np.zeros(index.n_nodes, dtype=bool)
        self.hub_rank = np.full(index.n_nodes, NO_RANK, dtype=np.int64)
        self.hub_score = np.zeros(index.n_nodes, dtype=np.float64)
        self._hub_values: dict[int, tuple[int, float]] = {}
        if hubs:
            pos = index.positions(list(hubs))
            for p, (r, s_) in zip(pos.tolist(), hubs.values()):
                if p >= 0:
                    self._hub_values[p] = (r, s_)
            if self._hub_values:
                at = np.fromiter(self._hub_values, dtype=np.int64, count=len(self._hub_values))
                self.has_hub[at] = True
                self.hub_rank[at] = [r for r, _ in self._hub_values.values()]
                self.hub_score[at] = [s_ for _, s_ in self._hub_values.values()]
        #: (rank, id) of the persons and enterprises in the ``hubs`` table, best first
        self.ranked_parties = sorted((r, str(index.ids[p])) for p, (r, _) in self._hub_values.items() if index.party[p])
        self.star = {index.index_of(i) for _, i in self.ranked_parties[:top_hubs]}

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
        flags = (
            (~self.breach[p]).astype(np.int64) << 2
            | (~self.large[p]).astype(np.int64) << 1
            | (~self.in_pattern[p]).astype(np.int64)
        )
        rank = self.hub_rank[p]
        if len(p) and rank.min() >= 0 and rank.max() < 1 << 58:  # flags and hub rank in one key
            return p, -self.index.outstanding[p], flags << 58 | rank  # a position is its id's rank
        return p, -self.index.outstanding[p], rank, flags

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
    """*results* lined up with *book* (findings already made for this book are kept; else the
    book's :class:`~channelgraph.viz._index.ViewIndex` is made here)."""
    if isinstance(results, Findings):
        if results.book is book:
            return results
        results = results.results
    return Findings(results, ViewIndex.of(book))


def channel_order(found: Findings) -> list[str]:
    """Channel ids, best first: the ``channels`` table's order (by rank) when marketing ran, then the
    other channels by member count."""
    index = found.index
    df = _marketing_table(found.results, "channels")
    ids: list[str] = []
    if df is not None and len(df):
        listed = df.sort_values("rank", kind="stable")["channel_id"].tolist()
        ids = [i for i, p in zip(listed, index.positions(listed).tolist()) if p >= 0]
    seen = index.mask(index.positions(ids)) if ids else np.zeros(index.n_nodes, dtype=bool)
    rest = np.flatnonzero(index.channel & ~seen)
    rest = rest[np.lexsort((rest, -index.member_counts[rest]))]
    return ids + [str(index.ids[i]) for i in rest.tolist()]


def share_text(v) -> str:
    """A ratio as a percentage with two decimals ('' when unknown)."""
    if v is None:
        return ""
    return f"{float(Decimal(str(v))) * 100:.2f}%"


__all__ = [
    "GroupInfo",
    "PatternInfo",
    "Findings",
    "GroupTable",
    "PatternTable",
    "findings_of",
    "risk_groups",
    "guarantee_patterns",
    "hub_ranks",
    "channel_order",
    "share_text",
]
