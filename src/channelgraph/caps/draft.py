"""Draft exposure caps for channel-specific schemes (渠道专属方案: 额度控制, 规避单一风险源).

For every scheme in ``schemes.csv`` (a product for one chamber's members, one market's
merchants, one intermediary's clients) this module drafts three caps, each with the rule
that bound it, and finds where today's book already breaks them:

=====================  ======================================================================
cap                    rule (all amounts integer fen, floored, then rounded *down* to
                       ``policy.caps.rounding_fen``)
=====================  ======================================================================
``cap_total``          min(scheme appetite ``caps.scheme_total_share`` × tier-1 capital;
                       the appetite × the channel-quality factor)
``cap_per_borrower``   min(single-customer limit ``limits.single_customer_share`` × tier-1;
                       loans-to-one-borrower limit ``limits.single_borrower_net_capital_share``
                       × net capital; scheme policy ``caps.per_borrower``; the policy amount
                       × the quality factor when ``caps.quality_adjusts_per_borrower``)
``cap_single_risk_     ``caps.single_source_share`` × ``cap_total``
source``
=====================  ======================================================================

**Channel quality.** The channel's *book* is every facility of its members (persons and firms
tied to the channel by MEMBER_OF, TRADES_IN or SOURCED_VIA) and of the scheme's borrowers. Three
factors (``policy.caps``) multiply: the non-normal share of that book (关注 and worse, by
outstanding) above ``non_normal_share_above`` → ``non_normal_factor``, above
``non_normal_share_high`` → ``non_normal_factor_high`` instead; the Herfindahl–Hirschman index of
the customers' outstanding above ``hhi_above`` → ``concentration_factor``; penetration (customers
among members) below ``penetration_below`` → ``penetration_factor``. Every factor applied, and
every test passed, is named in the rule text.

**Per borrower.** ``scheme_borrower_caps`` has a row for each member of the channel and each
borrower under the scheme. Their cap is the largest amount of *exposure* (measured by
:func:`channelgraph.graph.measure_exposure`, or the risk room's ``RiskResult.exposure``) they may
hold under the scheme such that, everything else unchanged, no regulatory limit is broken:

    cap = min(cap_per_borrower;
              single-customer limit − the customer's exposure outside the scheme
                  [``limits.interbank_share`` of tier-1 for an interbank customer];
              loan limit − the customer's *loans* outside the scheme [not for interbank];
                  [a customer in several schemes: its current holding + its share of the
                  limit less all it holds, for each of the two]
              the current exposure + its share of the group's remaining room
                  [members of a connected group: group limit − group exposure];
              the current exposure + its share of a tested risk source's remaining room
                  [dependants of the source in the scheme; 0 when the source is over its cap])

floored at 0 and rounded down. An exempt borrower (``Book.exempt``) is held by none of the
large-exposure limits nor the loan limit. A room is shared by :func:`share_room` among every
row that claims it — for a customer, its rows in every scheme; for a group, its members' rows
in *every* scheme — in equal shares, none
above what the row's other limits let it use, the odd fen in table order; so the new lending
the caps allow never adds up to more than the room. A group already above its limit (negative
room) takes its whole excess off each member's current exposure. Groups and their exposure come
from the risk room's result (``RiskResult.groups`` and ``.members``); a group counts when it has
two or more entities (a lone customer is held by the single-customer limit).

**Single risk sources.** How much of the scheme's current exposure depends on one guarantor,
controller, intermediary, market, chamber or key person (the dependants of
:func:`channelgraph.risk.dependent_pairs`, plus the source's own lending under the scheme).
A source is tested when at least ``caps.single_source_min_borrowers`` (default 2) of the
scheme's borrowers depend on it (counting the source itself when it borrows under the scheme):
a single risk source is one whose failure takes *several* borrowers with it; one borrower
alone is held by its per-borrower cap. The scheme's own channel is left out: the scheme rests
on it by design, and ``cap_total`` is the control for that.

**Breaches** (``caps_breaches``): the scheme's utilisation above ``cap_total``; a borrower above
its cap; a tested risk source carrying more than ``cap_single_risk_source``; a group of
connected clients the risk room finds above its limit whose members borrow under the scheme
(``group_limit``: the group by id and name, its exposure and limit, those members).

Utilisation is the exposure of the facilities carrying the scheme's id (``utilized_outstanding_fen``
their outstanding); summed over the schemes it equals the exposure of every facility with a
scheme id, exactly (checked).
Every table is sorted by ids, so both graph backends write byte-identical files.

Rule sources: 商业银行大额风险暴露管理办法 (CBIRC Order 2018 No. 1) art. 7 (single non-interbank
customer ≤ 15% of tier-1), art. 8 (a group of connected non-interbank customers ≤ 20% of tier-1),
interbank customer or group ≤ 25% of tier-1; 商业银行法 art. 39 (loans to one borrower ≤ 10% of
the bank's 资本余额, for which the policy's net capital is used); DOMAIN.md, scheme elements
(额度控制, 规避单一风险源, 专属产品并非满足所有客户需求).
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from ..graph import Book, Exposure, measure_exposure
from ..model import RelationType, Status, format_yuan_human, fraction_of, round_down
from ..model import decimal_number as _num
from ..model import decimal_percent as _pct
from ..policy import Policy
from ..risk import RiskResult, dependent_pairs, run_risk
from ..risk.sources import VIAS

#: Relation types that make a person or firm a member of a channel (chamber, market, intermediary).
MEMBER_TYPES = (RelationType.MEMBER_OF.value, RelationType.TRADES_IN.value, RelationType.SOURCED_VIA.value)

CAPS_COLUMNS = [
    "scheme_id",
    "scheme_name",
    "product",
    "channel_id",
    "channel_name",
    "channel_kind",
    "cap_total_fen",
    "cap_per_borrower_fen",
    "cap_single_risk_source_fen",
    "utilized_fen",
    "headroom_fen",
    "utilization",
    "status",
    "binding_rule",
    "facilities",
    "borrowers",
    "borrowers_over_cap",
    "risk_sources_over_cap",
    "top_risk_source_id",
    "top_risk_source_type",
    "top_risk_source_exposure_fen",
    "channel_members",
    "channel_member_customers",
    "channel_members_outstanding_fen",
    "channel_book_fen",
    "non_normal_share",
    "hhi",
    "penetration",
    "quality_flags",
    "non_normal_factor",
    "concentration_factor",
    "penetration_factor",
    "quality_factor",
    "appetite_fen",
    "quality_adjusted_fen",
    "total_binding",
    "single_customer_limit_fen",
    "loan_limit_fen",
    "policy_per_borrower_fen",
    "policy_per_borrower_adjusted_fen",
    "per_borrower_binding",
    "total_rule",
    "per_borrower_rule",
    "single_source_rule",
    "utilized_outstanding_fen",
    "groups_over_limit",
]
BORROWER_COLUMNS = [
    "scheme_id",
    "customer_id",
    "name",
    "kind",
    "is_customer",
    "is_member",
    "is_borrower",
    "group_id",
    "current_outstanding_fen",
    "customer_outstanding_fen",
    "group_exposure_fen",
    "group_headroom_fen",
    "cap_fen",
    "headroom_fen",
    "binding",
    "status",
    "binding_rule",
    "current_exposure_fen",
    "customer_exposure_fen",
    "customer_loans_fen",
    "interbank",
    "exempt",
    "group_share_fen",
    "risk_source_id",
    "risk_source_share_fen",
]
SOURCE_COLUMNS = [
    "scheme_id",
    "source_id",
    "name",
    "source_type",
    "dependent_customers",
    "scheme_borrowers",
    "dependent_exposure_fen",
    "own_exposure_fen",
    "exposure_fen",
    "share_of_scheme",
    "cap_fen",
    "headroom_fen",
    "status",
    "via",
]
BREACH_COLUMNS = [
    "scheme_id",
    "breach_type",
    "subject_id",
    "subject_name",
    "subject_kind",
    "current_fen",
    "cap_fen",
    "excess_fen",
    "rule",
]
#: Breach types, in the order they are listed.
BREACH_TYPES = ("scheme_total", "borrower", "risk_source", "group_limit")

OK, BREACH = "ok", "breach"
#: A risk source with fewer scheme borrowers than ``caps.single_source_min_borrowers`` is not tested.
NOT_TESTED = "not_tested"
_NON_NORMAL = frozenset(s.value for s in Status if s is not Status.NORMAL)


# ----------------------------------------------------------------------------- text helpers


def _y(fen: int) -> str:
    return format_yuan_human(int(fen))


def _ratio(part: int, whole: int, places: int = 6) -> str:
    """``part / whole`` truncated to *places* decimals, exactly (``''`` when whole is 0)."""
    part, whole = int(part), int(whole)
    if whole <= 0:
        return ""
    scale = 10**places
    q = (part * scale) // whole if part >= 0 else -((-part * scale) // whole)
    sign = "-" if q < 0 else ""
    ip, fp = divmod(abs(q), scale)
    return f"{sign}{ip}.{fp:0{places}d}"


def _pct_floor(part: int, whole: int) -> str:
    """``part / whole`` as a percentage truncated to two decimals (never crosses a threshold)."""
    if whole <= 0:
        return "0%"
    q = (int(part) * 10000) // int(whole)
    ip, fp = divmod(q, 100)
    return f"{ip}.{fp:02d}%"


def _above(part: int, whole: int, threshold: Decimal) -> bool:
    """``part / whole > threshold`` exactly (False when whole is 0)."""
    if whole <= 0:
        return False
    p, q = Decimal(threshold).as_integer_ratio()
    return int(part) * q > p * int(whole)


def _round_note(raw: int, cap: int, unit: int) -> str:
    if raw < 0:
        return " (floored at 0.00)"
    if raw != cap:
        return f" (rounded down to a multiple of {_y(unit)})"
    return ""


def _rounded(raw: int, unit: int) -> int:
    return round_down(max(0, int(raw)), int(unit))


# ----------------------------------------------------------------------------- quality


@dataclass
class ChannelQuality:
    """The channel-quality tests of one scheme and the factors they apply."""

    book_fen: int
    non_normal_fen: int
    sum_squares: int  # Σ (customer outstanding)², for the HHI
    members: int
    member_customers: int
    non_normal_factor: Decimal = Decimal(1)
    concentration_factor: Decimal = Decimal(1)
    penetration_factor: Decimal = Decimal(1)
    notes: list = field(default_factory=list)  # English, one per test
    flags: list = field(default_factory=list)  # tests that applied a factor

    @property
    def factor(self) -> Decimal:
        return self.non_normal_factor * self.concentration_factor * self.penetration_factor

    @property
    def non_normal_share(self) -> str:
        return _ratio(self.non_normal_fen, self.book_fen)

    @property
    def hhi(self) -> str:
        return _ratio(self.sum_squares, self.book_fen * self.book_fen)

    @property
    def penetration(self) -> str:
        return _ratio(self.member_customers, self.members)


def channel_quality(
    book: dict[str, tuple[int, int]], members: int, member_customers: int, policy: Policy
) -> ChannelQuality:
    """Assess a channel's book: ``book`` maps customer id → (outstanding, non-normal outstanding).

    >>> q = channel_quality({"A": (90, 9), "B": (10, 0)}, members=10, member_customers=2, policy=Policy())
    >>> q.factor, q.non_normal_share, q.hhi, q.penetration
    (Decimal('0.64'), '0.090000', '0.820000', '0.200000')
    >>> q.notes
    ['non-normal 9.00% > 5%: ×0.8', 'HHI 0.8200 > 0.18: ×0.8', 'penetration 20.00% ≥ 20%']
    """
    total = sum(o for o, _ in book.values())
    nn = sum(n for _, n in book.values())
    sq = sum(o * o for o, _ in book.values())
    return _assess(total, nn, sq, members, member_customers, policy)


def _assess(total: int, nn: int, sq: int, members: int, member_customers: int, policy: Policy) -> ChannelQuality:
    """:func:`channel_quality` from the book's sums: outstanding, non-normal outstanding and the
    sum of squares of the customers' outstanding (exact integers)."""
    c = policy.caps
    q = ChannelQuality(total, nn, sq, members, member_customers)
    shown = _pct_floor(nn, total)
    if _above(nn, total, c.non_normal_share_high):
        q.non_normal_factor = c.non_normal_factor_high
        q.flags.append("non_normal_high")
        q.notes.append(f"non-normal {shown} > {_pct(c.non_normal_share_high)}: ×{_num(c.non_normal_factor_high)}")
    elif _above(nn, total, c.non_normal_share_above):
        q.non_normal_factor = c.non_normal_factor
        q.flags.append("non_normal")
        q.notes.append(f"non-normal {shown} > {_pct(c.non_normal_share_above)}: ×{_num(c.non_normal_factor)}")
    else:
        q.notes.append(f"non-normal {shown} ≤ {_pct(c.non_normal_share_above)}")
    if total > 0:
        hhi_shown = _ratio(sq, total * total, 4)
        if _above(sq, total * total, c.hhi_above):
            q.concentration_factor = c.concentration_factor
            q.flags.append("concentration")
            q.notes.append(f"HHI {hhi_shown} > {_num(c.hhi_above)}: ×{_num(c.concentration_factor)}")
        else:
            q.notes.append(f"HHI {hhi_shown} ≤ {_num(c.hhi_above)}")
    else:
        q.notes.append("HHI n/a (no outstanding)")
    if members > 0:
        pen = _pct_floor(member_customers, members)
        p, d = Decimal(c.penetration_below).as_integer_ratio()
        if member_customers * d < p * members:
            q.penetration_factor = c.penetration_factor
            q.flags.append("low_penetration")
            q.notes.append(f"penetration {pen} < {_pct(c.penetration_below)}: ×{_num(c.penetration_factor)}")
        else:
            q.notes.append(f"penetration {pen} ≥ {_pct(c.penetration_below)}")
    else:
        q.notes.append("penetration n/a (no members)")
    return q


# ----------------------------------------------------------------------------- the draft


@dataclass(frozen=True)
class _Limits:
    single: int  # single-customer limit, fen
    loan: int  # loans to one borrower, fen
    group: int  # group of connected customers, fen
    interbank: int  # one interbank customer, or a group of interbank customers, fen
    appetite: int  # scheme appetite, fen
    unit: int  # rounding unit, fen


def _limits(policy: Policy) -> _Limits:
    lim, c = policy.limits, policy.caps
    return _Limits(
        single=fraction_of(policy.tier1_capital_fen, lim.single_customer_share),
        loan=fraction_of(policy.net_capital_fen, lim.single_borrower_net_capital_share),
        group=fraction_of(policy.tier1_capital_fen, lim.group_share),
        interbank=fraction_of(policy.tier1_capital_fen, lim.interbank_share),
        appetite=fraction_of(policy.tier1_capital_fen, c.scheme_total_share),
        unit=int(c.rounding_fen),
    )


def _yuan_texts(fen) -> np.ndarray:
    """:func:`~channelgraph.model.format_yuan_human` of each amount, formatted once per distinct value.

    >>> _yuan_texts(np.array([150, -5, 150])).tolist()
    ['1.50', '-0.05', '1.50']
    """
    fen = np.asarray(fen, dtype=np.int64)
    if not len(fen):
        return np.zeros(0, dtype=object)
    values, at = np.unique(fen, return_inverse=True)
    yuan, cents = np.divmod(np.abs(values), 100)  # as format_yuan_human: sign, then |fen| in yuan and fen
    texts = [
        f"-{y:,}.{c:02d}" if neg else f"{y:,}.{c:02d}"
        for y, c, neg in zip(yuan.tolist(), cents.tolist(), (values < 0).tolist())
    ]
    return np.asarray(texts, dtype=object)[at.reshape(-1)]


def _yuan_texts_where(shown: np.ndarray, fen: np.ndarray, *bases: int) -> list[list[str]]:
    """The texts of *fen*, then of ``base − fen`` for each of *bases*, on the rows *shown*
    (``''`` on the others); each distinct amount is formatted once.

    >>> _yuan_texts_where(np.array([True, False, True]), np.array([5, 7, 5]), 100)
    [['0.05', '', '0.05'], ['0.95', '', '0.95']]
    """
    values, at = np.unique(fen[shown], return_inverse=True)
    out = []
    for amounts in (values, *(base - values for base in bases)):
        texts = np.full(len(fen), "", dtype=object)
        texts[shown] = _yuan_texts(amounts)[at.reshape(-1)]
        out.append(texts.tolist())
    return out


def _rounded_all(raw: np.ndarray, unit: int) -> np.ndarray:
    """:func:`_rounded` of each amount: floored at 0, rounded down to a multiple of *unit*."""
    raw = np.maximum(raw, 0)
    return raw if unit <= 1 else (raw // unit) * unit


def _sum_by(codes: np.ndarray, amounts: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums of *amounts* per code in ``range(size)`` (never through floats)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, codes, np.asarray(amounts, dtype=np.int64))
    return out


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct integer keys, sorted (by sorting: ``np.unique`` hashes, which is slower here).

    >>> _distinct(np.array([5, 1, 5, 3])).tolist()
    [1, 3, 5]
    """
    k = np.sort(np.asarray(keys, dtype=np.int64))
    return k[np.concatenate(([True], k[1:] != k[:-1]))] if len(k) else k


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, position) of each of *keys* in the distinct *sorted_keys*."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys, at


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``range(start, start + count)`` for each pair, vectorised."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return np.arange(total, dtype=np.int64) + offsets


def _positions(book: Book, ids: pd.Series) -> np.ndarray:
    """Entity positions (into the sorted ``book.ids``) of *ids*; every id must be an entity."""
    values = ids.to_numpy(dtype=object)
    at = book.positions(values)
    if (at < 0).any():  # pragma: no cover - validation guards dangling references
        unknown = sorted(set(values[at < 0].tolist()))[:5]
        raise RuntimeError(f"ids that are not entities: {', '.join(map(str, unknown))}")
    return at


def _texts(values: np.ndarray) -> np.ndarray:
    """Object array of text, missing values as ``''``."""
    values = np.asarray(values, dtype=object)
    return np.where(pd.isna(values), "", values).astype(object) if len(values) else values


def _rows_in(column: pd.Series, wanted) -> np.ndarray:
    """Positions of the rows of a text *column* whose value is in the set *wanted*.

    A set lookup per row: for a long column against a few values this beats hashing both
    into a table (``isin``), the cost being one visit to each string.
    """
    values = column.tolist()
    return np.flatnonzero(np.fromiter(map(wanted.__contains__, values), dtype=bool, count=len(values)))


def _codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A text column as codes into its distinct values (missing as ``''``)."""
    code, values = pd.factorize(column.to_numpy(dtype=object, na_value=""))
    return np.asarray(code, dtype=np.int64), [str(v) for v in values]


def _ratios(part: np.ndarray, whole: np.ndarray, places: int = 6) -> list[str]:
    """:func:`_ratio` of each pair; vectorised where ``part × 10**places`` fits in int64.

    >>> _ratios(np.array([1, 2, 5]), np.array([3, 3, 0]), 2)
    ['0.33', '0.66', '']
    """
    part, whole = np.asarray(part, dtype=np.int64), np.asarray(whole, dtype=np.int64)
    scale = 10**places
    if not len(part) or part.min() < 0 or part.max() > (2**63 - 1) // scale:
        return [_ratio(a, b, places) for a, b in zip(part.tolist(), whole.tolist())]
    shown = whole > 0
    units, frac = np.divmod(part * scale // np.where(shown, whole, 1), scale)
    text = "%d.%0" + str(places) + "d"
    return [text % (a, b) if w else "" for a, b, w in zip(units.tolist(), frac.tolist(), shown.tolist())]


@dataclass(frozen=True)
class _Lending:
    """The scheme book by customer and by (scheme, customer), integer-coded.

    ``non_normal`` is per entity position (outstanding); the pairs (``pair_scheme``,
    ``pair_customer``, ``pair_current``) are every (scheme, borrower) with its measured exposure
    under the scheme (``pair_outstanding``: its outstanding, ``pair_loans``: its loans), sorted
    by scheme then entity position (``pair_keys`` = scheme × n + entity); ``facilities``,
    ``utilized`` (exposure) and ``utilized_outstanding`` are per scheme position (schemes
    sorted by id).
    """

    non_normal: np.ndarray
    pair_keys: np.ndarray
    pair_scheme: np.ndarray
    pair_customer: np.ndarray
    pair_current: np.ndarray
    pair_outstanding: np.ndarray
    pair_loans: np.ndarray
    facilities: np.ndarray
    utilized: np.ndarray
    utilized_outstanding: np.ndarray


def _lending(book: Book, scheme_ids: np.ndarray, expo: Exposure) -> _Lending:
    exp = book.tables.exposures
    n, n_s = book.n, len(scheme_ids)
    cust = np.asarray(book.fac_customer, dtype=np.int64)
    outs = np.asarray(book.fac_outstanding, dtype=np.int64)
    measured = np.asarray(expo.exposure, dtype=np.int64)
    loans = np.asarray(expo.on_balance, dtype=np.int64)
    if "status" in exp.columns and len(exp):
        code, values = _codes(exp["status"])
        nn = np.isin(code, [i for i, v in enumerate(values) if v in _NON_NORMAL])
        non_normal = _sum_by(cust[nn], outs[nn], n)
    else:
        non_normal = np.zeros(n, dtype=np.int64)
    if "scheme_id" in exp.columns and len(exp):
        code, values = _codes(exp["scheme_id"])
        carries = np.isin(code, [i for i, v in enumerate(values) if v != ""])
        scheme = np.asarray(pd.Index(scheme_ids, dtype=object).get_indexer(values), dtype=np.int64)[code[carries]]
    else:
        carries, scheme = np.zeros(len(exp), dtype=bool), np.zeros(0, dtype=np.int64)
    # reconcile: utilisation over the schemes = every facility that carries a scheme id
    known = scheme >= 0
    with_scheme = int(measured[carries].sum())
    cust, outs, scheme = cust[carries][known], outs[carries][known], scheme[known]
    measured, loans = measured[carries][known], loans[carries][known]
    utilized = _sum_by(scheme, measured, n_s)
    if int(utilized.sum()) != with_scheme:  # pragma: no cover - validation guards dangling scheme ids
        raise RuntimeError(
            f"scheme utilisation does not reconcile: {int(utilized.sum())} fen over the "
            f"schemes, {with_scheme} fen of facilities carry a scheme id"
        )
    keys, at = np.unique(scheme * n + cust, return_inverse=True)
    at = at.reshape(-1)
    return _Lending(
        non_normal=non_normal,
        pair_keys=keys,
        pair_scheme=keys // n,
        pair_customer=keys % n,
        pair_current=_sum_by(at, measured, len(keys)),
        pair_outstanding=_sum_by(at, outs, len(keys)),
        pair_loans=_sum_by(at, loans, len(keys)),
        facilities=np.bincount(scheme, minlength=n_s),
        utilized=utilized,
        utilized_outstanding=_sum_by(scheme, outs, n_s),
    )


def _channel_members(book: Book) -> tuple[np.ndarray, np.ndarray]:
    """(channel, member) entity positions of every membership tie, unique, sorted by channel then member."""
    n = book.n
    keys = _distinct(np.concatenate([book.of(t).dst * n + book.of(t).src for t in MEMBER_TYPES]))
    return keys // n, keys % n


def _groups_of(
    book: Book, entities: np.ndarray, groups: pd.DataFrame, gmembers: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each entity's group of connected clients, from the risk room's ``risk_groups`` and
    ``risk_group_members`` tables; only groups of two or more entities count.

    Parameters
    ----------
    book : the book whose ids the positions index.
    entities : distinct entity positions (into ``book.ids``).

    Returns
    -------
    group_id : object array, ``''`` outside a group; in_group : bool array;
    exposure : int64 array, the group's exposure (its *tested* exposure: exempt members left
    out), 0 outside a group; interbank : bool array, the group is all interbank (its limit is
    ``limits.interbank_share``; False when the risk table has no ``interbank`` column);
    over : bool array, the risk room finds the group above its limit (``status == breach``);
    limit : int64 array, the limit the risk room applied (``limit_fen``), 0 outside a group.
    """
    slot = {e: i for i, e in enumerate(book.ids[entities].tolist())}
    listed = gmembers["entity_id"].tolist()  # one dictionary look-up per row of the long table
    member = np.fromiter(map(slot.get, listed, itertools.repeat(-1)), dtype=np.int64, count=len(listed))
    rows = np.flatnonzero(member >= 0)  # the rows of our entities, in table order
    member = member[rows]
    code, names = pd.factorize(gmembers["group_id"].to_numpy(dtype=object)[rows])
    names = np.asarray(names, dtype=object)
    g_rows = _rows_in(groups["group_id"], set(names.tolist()))
    at = pd.Index(names, dtype=object).get_indexer(groups["group_id"].to_numpy(dtype=object)[g_rows])
    size, exposure = np.zeros(len(names), dtype=np.int64), np.zeros(len(names), dtype=np.int64)
    interbank, over = np.zeros(len(names), dtype=bool), np.zeros(len(names), dtype=bool)
    limit = np.zeros(len(names), dtype=np.int64)
    size[at] = groups["member_count"].to_numpy(dtype=np.int64)[g_rows]  # ids are unique in risk_groups
    exposure[at] = groups["exposure_fen"].to_numpy(dtype=np.int64)[g_rows]
    if "interbank" in groups.columns:
        interbank[at] = groups["interbank"].to_numpy(dtype=object)[g_rows].astype(bool)
    if "status" in groups.columns:
        over[at] = groups["status"].to_numpy(dtype=object)[g_rows] == BREACH
    if "limit_fen" in groups.columns:
        limit[at] = groups["limit_fen"].to_numpy(dtype=np.int64, na_value=0)[g_rows]  # empty: not tested
    counted = np.flatnonzero(size[code] >= 2)
    # an entity listed twice keeps its last qualifying row
    last_first, pick = np.unique(member[counted][::-1], return_index=True)
    group = np.full(len(entities), -1, dtype=np.int64)
    group[last_first] = code[counted[::-1][pick]]
    in_group = group >= 0
    group_id = np.full(len(entities), "", dtype=object)
    group_id[in_group] = names[group[in_group]]
    g = np.maximum(group, 0)
    return (
        group_id,
        in_group,
        np.where(in_group, exposure[g], 0),
        in_group & interbank[g],
        in_group & over[g],
        np.where(in_group, limit[g], 0),
    )


def share_room(room: int, need: list[int]) -> list[int]:
    """Share *room* fen among claimants listed in a stated order; each claimant *needs* so much.

    The rule (max-min fair, exact in fen): a lone claimant is given the whole room; several
    share it equally, none being given more than it needs (what its other limits leave it)
    and what one cannot use going to the others; when the equal shares do not divide the
    room, the fen left over go one each to the claimants still short, in the listed order.
    The shares never add up to more than the room (exactly the room when the claimants
    need at least that much), and none exceeds its need (a lone claimant's excepted).

    >>> share_room(1001, [700, 700])
    [501, 500]
    >>> share_room(1000, [100, 2000, 2000])
    [100, 450, 450]
    >>> share_room(1000, [100, 200])
    [100, 200]
    >>> share_room(1000, [5])
    [1000]
    """
    room = int(room)
    k = len(need)
    if k <= 1:
        return [room] * k
    if sum(need) <= room:
        return [int(d) for d in need]
    prefix, level = 0, 0
    ranked = sorted(need)
    for i, d in enumerate(ranked):
        rest = k - i
        if prefix + d * rest > room:
            level = (room - prefix) // rest
            break
        prefix += d
    shares = [min(int(d), level) for d in need]
    left = room - sum(shares)
    for i, d in enumerate(need):
        if not left:
            break
        if d > level:
            shares[i] += 1
            left -= 1
    return shares


def _share_by(claim: np.ndarray, room: np.ndarray, need: np.ndarray) -> np.ndarray:
    """:func:`share_room` for every claim at once: *claim* is a code into *room* per row
    (``-1``: no claim), the rows listed in the order ties are broken; *need* per row."""
    share = np.zeros(len(claim), dtype=np.int64)
    rows = np.flatnonzero(claim >= 0)
    if not len(rows):
        return share
    counts = np.bincount(claim[rows], minlength=len(room))
    lone = rows[counts[claim[rows]] == 1]
    share[lone] = room[claim[lone]]
    multi = rows[counts[claim[rows]] > 1]
    if len(multi):
        ordered = multi[np.argsort(claim[multi], kind="stable")]  # stable: the listed order within a claim
        cuts = np.flatnonzero(np.diff(claim[ordered])) + 1
        need_list = need.tolist()
        for part in np.split(ordered, cuts):
            rs = part.tolist()
            share[part] = share_room(int(room[claim[rs[0]]]), [max(0, need_list[r]) for r in rs])
    return share


def _scheme_level(s, q: ChannelQuality, policy: Policy, L: _Limits) -> dict:
    """One scheme's three caps, their binding rules and the quality figures (a ``caps`` row, in part)."""
    c = policy.caps
    ch = s.channel_id
    qf = q.factor
    quality_txt = "; ".join(q.notes)

    # total
    adjusted = fraction_of(L.appetite, qf)
    total_raw = min(L.appetite, adjusted)
    cap_total = _rounded(total_raw, L.unit)
    total_binding = "quality" if adjusted < L.appetite else "appetite"
    base = f"scheme appetite {_pct(c.scheme_total_share)} of tier-1 {_y(policy.tier1_capital_fen)} = {_y(L.appetite)}"
    if total_binding == "quality":
        total_rule = (
            f"total = min({base}; quality-adjusted {_y(L.appetite)} × {_num(qf)} = {_y(adjusted)} "
            f"[{quality_txt}]) → {_y(cap_total)}{_round_note(total_raw, cap_total, L.unit)}"
        )
    else:
        total_rule = (
            f"total = {base} (channel quality ×1: {quality_txt}) → {_y(cap_total)}"
            f"{_round_note(total_raw, cap_total, L.unit)}"
        )

    # per borrower (scheme level)
    pb_policy = int(c.per_borrower_fen)
    pb_adjusted = fraction_of(pb_policy, qf) if c.quality_adjusts_per_borrower else pb_policy
    cands = [
        (
            "single_customer",
            L.single,
            f"single-customer limit {_pct(policy.limits.single_customer_share)} of tier-1 {_y(L.single)}",
        ),
        (
            "loan_limit",
            L.loan,
            f"loan limit {_pct(policy.limits.single_borrower_net_capital_share)} of net capital {_y(L.loan)}",
        ),
        ("scheme_policy", pb_policy, f"scheme policy {_y(pb_policy)}"),
    ]
    if pb_adjusted < pb_policy:
        cands.append(("quality", pb_adjusted, f"quality-adjusted {_y(pb_policy)} × {_num(qf)} = {_y(pb_adjusted)}"))
    pb_binding, pb_raw, _ = min(cands, key=lambda t: t[1])  # first of equals: regulatory before policy
    cap_pb = _rounded(pb_raw, L.unit)
    pb_rule = (
        f"per-borrower = min({'; '.join(t for _, _, t in cands)}) → {_y(cap_pb)}{_round_note(pb_raw, cap_pb, L.unit)}"
    )

    # single risk source
    ss_raw = fraction_of(cap_total, c.single_source_share)
    cap_ss = _rounded(ss_raw, L.unit)
    ss_rule = (
        f"single-source = {_pct(c.single_source_share)} of the total cap {_y(cap_total)} = {_y(ss_raw)} "
        f"→ {_y(cap_ss)}{_round_note(ss_raw, cap_ss, L.unit)}; tested on sources behind at least "
        f"{c.single_source_min_borrowers} of the scheme's borrowers; the scheme's own channel {ch} "
        "is not counted (the scheme rests on it by design)"
    )
    return {
        "cap_total_fen": cap_total,
        "cap_per_borrower_fen": cap_pb,
        "cap_single_risk_source_fen": cap_ss,
        "non_normal_share": q.non_normal_share,
        "hhi": q.hhi,
        "penetration": q.penetration,
        "quality_flags": ";".join(q.flags),
        "non_normal_factor": _num(q.non_normal_factor),
        "concentration_factor": _num(q.concentration_factor),
        "penetration_factor": _num(q.penetration_factor),
        "quality_factor": _num(qf),
        "appetite_fen": L.appetite,
        "quality_adjusted_fen": adjusted,
        "total_binding": total_binding,
        "single_customer_limit_fen": L.single,
        "loan_limit_fen": L.loan,
        "policy_per_borrower_fen": pb_policy,
        "policy_per_borrower_adjusted_fen": pb_adjusted,
        "per_borrower_binding": pb_binding,
        "total_rule": total_rule,
        "per_borrower_rule": pb_rule,
        "single_source_rule": ss_rule,
    }


def _source_claims(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray], p_s: np.ndarray, p_e: np.ndarray, n: int, s_keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row, tested source) pairs: each population row (scheme *p_s*, entity *p_e*) with every
    tested source of its scheme (*s_keys*, sorted scheme × n + source) that it depends on or is;
    sorted by row, then source."""
    none = np.zeros(0, dtype=np.int64)
    if not len(s_keys) or not len(p_s):
        return none, none
    src, c, _ = pairs
    sc = _distinct(np.asarray(src, dtype=np.int64) * n + np.asarray(c, dtype=np.int64))
    src, c = sc // n, sc % n
    by_e = np.argsort(p_e, kind="stable")
    pe = p_e[by_e]
    lo, hi = np.searchsorted(pe, c, "left"), np.searchsorted(pe, c, "right")
    tie = np.repeat(np.arange(len(c), dtype=np.int64), hi - lo)
    rows = by_e[_expand(lo, hi - lo)]
    every = np.arange(len(p_s), dtype=np.int64)
    rows = np.concatenate((rows, every))
    key = np.concatenate((p_s[rows[: len(tie)]] * n + src[tie], p_s * n + p_e))
    found, pos = _lookup(s_keys, key)
    rows, pos = rows[found], pos[found]
    o = np.lexsort((pos, rows))
    return rows[o], pos[o]


@dataclass(frozen=True)
class _RuleInputs:
    """The per-row figures a borrower's ``binding_rule`` shows (arrays in table order)."""

    scheme_cap: np.ndarray
    outside: np.ndarray  # exposure held outside the scheme
    outside_loans: np.ndarray  # loans held outside the scheme
    in_several: np.ndarray  # the customer has rows in several schemes
    n_rows: np.ndarray
    own_exp: np.ndarray
    own_loans: np.ndarray
    s_share: np.ndarray  # its share of its single-customer room
    l_share: np.ndarray  # its share of its loan room
    cur_loans: np.ndarray
    single_room: np.ndarray
    loan_room: np.ndarray
    interbank: np.ndarray
    exempt: np.ndarray
    grouped: np.ndarray
    group_ids: np.ndarray
    group_limit: np.ndarray
    g_exp: np.ndarray
    g_shared: np.ndarray
    g_share: np.ndarray
    g_claimants: np.ndarray
    cur: np.ndarray
    group_bound: np.ndarray
    has_source: np.ndarray
    source_ids: np.ndarray
    source_room: np.ndarray
    source_share: np.ndarray
    source_claimants: np.ndarray
    source_bound: np.ndarray
    raw: np.ndarray
    cap: np.ndarray


def _borrower_rules(x: _RuleInputs, policy: Policy, L: _Limits) -> list[str]:
    """The ``binding_rule`` text of each (scheme, member or borrower) row.

    Each amount is formatted once per distinct value and only on the rows whose text shows it;
    a row's text is then one f-string (cheaper than concatenating columns of strings).
    """
    lim = policy.limits
    single, loan, inter = _y(L.single), _y(L.loan), _y(L.interbank)
    single_head = f"single-customer limit {single}"
    inter_head = f"interbank limit {_pct(lim.interbank_share)} of tier-1 {inter}"
    g_pct = {False: f"{_pct(lim.group_share)} limit", True: f"interbank {_pct(lim.interbank_share)} limit"}
    held = x.outside != 0
    held_loans = x.outside_loans != 0
    same = x.outside == x.outside_loans
    exempt = x.exempt != ""
    y_out, y_single, y_inter = _yuan_texts_where(held, x.outside, L.single, L.interbank)
    y_out_l, y_loan = _yuan_texts_where(held_loans, x.outside_loans, L.loan)
    g = x.grouped
    g_alone, g_sh = g & ~x.g_shared, g & x.g_shared
    y_glim = _yuan_texts_where(g, x.group_limit)[0]
    y_other = _yuan_texts_where(g_alone, x.g_exp - x.cur)[0]
    y_gexp = _yuan_texts_where(g_sh, x.g_exp)[0]
    y_groom = _yuan_texts_where(g_sh, x.group_limit - x.g_exp)[0]
    y_gshare = _yuan_texts_where(g_sh, x.g_share)[0]
    y_cur = _yuan_texts(x.cur).tolist()
    y_gbound = _yuan_texts_where(g, x.group_bound)[0]
    hs = x.has_source
    y_sroom = _yuan_texts_where(hs, x.source_room)[0]
    y_sexcess = _yuan_texts_where(hs, -x.source_room)[0]
    y_sshare = _yuan_texts_where(hs, x.source_share)[0]
    y_sbound = _yuan_texts_where(hs, x.source_bound)[0]
    notes = np.full(len(x.raw), "", dtype=object)
    notes[x.raw != x.cap] = f" (rounded down to a multiple of {_y(L.unit)})"
    notes[x.raw < 0] = " (floored at 0.00)"

    sev = x.in_several
    y_own = _yuan_texts_where(sev, x.own_exp)[0]
    y_own_l = _yuan_texts_where(sev, x.own_loans)[0]
    y_s_room = _yuan_texts_where(sev, np.where(x.interbank, L.interbank, L.single) - x.own_exp)[0]
    y_l_room = _yuan_texts_where(sev, L.loan - x.own_loans)[0]
    y_s_share = _yuan_texts_where(sev, x.s_share)[0]
    y_l_share = _yuan_texts_where(sev, x.l_share)[0]
    y_cur_l = _yuan_texts_where(sev, x.cur_loans)[0]
    y_s_bound = _yuan_texts_where(sev, x.single_room)[0]
    y_l_bound = _yuan_texts_where(sev, x.loan_room)[0]

    def several(i: int) -> str:
        head = inter_head if x.interbank[i] else single_head
        text = (
            f"{head} less {y_own[i]} held in all = room {y_s_room[i]}, shared among its {x.n_rows[i]} scheme "
            f"rows: share {y_s_share[i]} + current {y_cur[i]} = {y_s_bound[i]}"
        )
        if x.interbank[i]:
            return text + "; loan limit not applied (interbank)"
        return (
            f"{text}; loan limit {loan} less {y_own_l[i]} of loans in all = room {y_l_room[i]}, shared among its "
            f"{x.n_rows[i]} scheme rows: share {y_l_share[i]} + loans under the scheme {y_cur_l[i]} = {y_l_bound[i]}"
        )

    def limits(i: int) -> str:
        if exempt[i]:
            return f"exempt ({x.exempt[i]}): not capped by the large-exposure limits nor the loan limit"
        if sev[i]:
            return several(i)
        if x.interbank[i]:
            text = f"{inter_head} less {y_out[i]} held outside the scheme = {y_inter[i]}" if held[i] else inter_head
            return text + "; loan limit not applied (interbank)"
        text = f"{single_head} less {y_out[i]} held outside the scheme = {y_single[i]}" if held[i] else single_head
        if not held_loans[i]:
            return f"{text}; loan limit {loan}"
        what = "held outside the scheme" if same[i] else "of loans held outside the scheme"
        return f"{text}; loan limit {loan} less {y_out_l[i]} {what} = {y_loan[i]}"

    def group(i: int) -> str:
        if not g[i]:
            return ""
        head = f"; group {x.group_ids[i]} {g_pct[bool(x.group_limit[i] == L.interbank and L.interbank != L.group)]}"
        if x.g_shared[i]:
            return (
                f"{head} {y_glim[i]} less group exposure {y_gexp[i]} = room {y_groom[i]}, shared among "
                f"{x.g_claimants[i]} rows of its members in the schemes: share {y_gshare[i]} + current "
                f"{y_cur[i]} = {y_gbound[i]}"
            )
        return f"{head} {y_glim[i]} less {y_other[i]} other group exposure = {y_gbound[i]}"

    def source(i: int) -> str:
        if not hs[i]:
            return ""
        sid = x.source_ids[i]
        if x.source_room[i] < 0:
            return f"; risk source {sid} already {y_sexcess[i]} above its single-source cap: 0.00"
        if x.source_claimants[i] > 1:
            return (
                f"; risk source {sid} remaining room {y_sroom[i]}, shared among {x.source_claimants[i]} of "
                f"its dependants in the scheme: share {y_sshare[i]} + current {y_cur[i]} = {y_sbound[i]}"
            )
        return f"; risk source {sid} remaining room {y_sroom[i]} + current {y_cur[i]} = {y_sbound[i]}"

    pb = _yuan_texts(x.scheme_cap).tolist()
    yc = _yuan_texts(x.cap).tolist()
    return [
        f"cap = min(scheme per-borrower {pb[i]}; {limits(i)}{group(i)}{source(i)}) → {yc[i]}{notes[i]}"
        for i in range(len(x.raw))
    ]


def draft_caps_tables(
    book: Book, policy: Policy | None = None, *, risk: RiskResult | None = None
) -> dict[str, pd.DataFrame]:
    """Every caps table: ``caps``, ``scheme_borrower_caps``, ``scheme_risk_sources``, ``caps_breaches``.

    Same arguments as :func:`draft_scheme_caps`; ``scheme_risk_sources`` has a row per (scheme,
    risk source) with exposure under the scheme depending on it (``SOURCE_COLUMNS``).

    Notes
    -----
    Vectorised over the (scheme, member or borrower) rows: entities are positions into the
    book's sorted ids, schemes are positions in id order, money stays exact ``int64`` fen (sums by
    ``np.add.at``, never floats; the HHI's sum of squares in Python integers), and every
    amount in a rule is formatted once per distinct value. Only the per-scheme figures (a
    few hundred schemes) are computed one scheme at a time.
    """
    policy = policy or book.policy
    risk = risk if risk is not None else run_risk(book, policy)
    expo = getattr(risk, "exposure", None)
    if expo is None:
        expo = measure_exposure(book, policy)
    L = _limits(policy)
    n = book.n
    sch = book.tables.schemes.sort_values("scheme_id", kind="stable").reset_index(drop=True)
    sids = sch["scheme_id"].to_numpy(dtype=object)
    n_s = len(sch)
    lending = _lending(book, sids, expo)
    channel = _positions(book, sch["channel_id"]) if n_s else np.zeros(0, dtype=np.int64)
    outstanding = np.asarray(book.outstanding, dtype=np.int64)

    # each scheme's population: the members of its channel and its borrowers, keyed scheme × n + entity
    m_ch, m_ent = _channel_members(book)
    lo, hi = np.searchsorted(m_ch, channel, "left"), np.searchsorted(m_ch, channel, "right")
    n_members = hi - lo
    member_keys = np.repeat(np.arange(n_s, dtype=np.int64), n_members) * n + m_ent[_expand(lo, n_members)]
    keys = _distinct(np.concatenate((member_keys, lending.pair_keys)))
    p_s, p_e = keys // n, keys % n
    is_member, _ = _lookup(member_keys, keys)  # member_keys: by scheme, then member, so sorted
    is_borrower, at = _lookup(lending.pair_keys, keys)

    def under_scheme(amounts: np.ndarray) -> np.ndarray:
        return np.where(is_borrower, amounts[at] if len(lending.pair_keys) else 0, 0).astype(np.int64)

    cur = under_scheme(lending.pair_current)
    cur_out, cur_loans = under_scheme(lending.pair_outstanding), under_scheme(lending.pair_loans)
    own = outstanding[p_e]

    # channel quality per scheme: the members' figures, and the population's book
    ch_customers = np.bincount(m_ch[book.is_customer[m_ent]], minlength=n)
    ch_outstanding = _sum_by(m_ch, outstanding[m_ent], n)
    book_total = _sum_by(p_s, own, n_s)
    book_nn = _sum_by(p_s, lending.non_normal[p_e], n_s)
    bounds = np.searchsorted(p_s, np.arange(n_s + 1))
    own_list = own.tolist()
    scheme_level = []
    for i, s in enumerate(sch.itertuples(index=False)):
        part = own_list[bounds[i] : bounds[i + 1]]
        q = _assess(
            int(book_total[i]),
            int(book_nn[i]),
            sum(map(operator.mul, part, part)),
            int(n_members[i]),
            int(ch_customers[channel[i]]),
            policy,
        )
        scheme_level.append(_scheme_level(s, q, policy, L))
    cap_total = np.asarray([r["cap_total_fen"] for r in scheme_level], dtype=np.int64)
    cap_pb = np.asarray([r["cap_per_borrower_fen"] for r in scheme_level], dtype=np.int64)
    cap_ss = np.asarray([r["cap_single_risk_source_fen"] for r in scheme_level], dtype=np.int64)

    # per (scheme, member or borrower): the smallest candidate, the first of equals in the order
    # scheme cap, single-customer headroom, loan headroom, group share, risk-source share
    order = np.lexsort((p_e, -cur, p_s))  # scheme, exposure under it (desc), id (positions follow ids)
    p_s, p_e, cur, own = p_s[order], p_e[order], cur[order], own[order]
    cur_out, cur_loans = cur_out[order], cur_loans[order]
    is_member, is_borrower = is_member[order], is_borrower[order]
    uniq, inv = np.unique(p_e, return_inverse=True)
    inv = inv.reshape(-1)
    group_id, in_group, g_exp, g_interbank, g_over, g_risk_limit = (
        x[inv] for x in _groups_of(book, uniq, risk.groups, risk.members)
    )
    own_exp = np.asarray(expo.of_entity, dtype=np.int64)[p_e]
    own_loans = np.asarray(expo.loans, dtype=np.int64)[p_e]
    interbank = np.asarray(book.is_interbank, dtype=bool)[p_e]
    exempt = _texts(book.exempt[p_e])
    is_exempt = exempt != ""
    outside, outside_loans = own_exp - cur, own_loans - cur_loans
    unbound = np.iinfo(np.int64).max // 4  # a limit that does not apply
    single_limit = np.where(interbank, L.interbank, L.single)
    scheme_cap = cap_pb[p_s]
    # the customer's own room under each limit, shared among its rows when it sits in several
    # schemes (a lone row takes it all: the limit less what is held outside the scheme)
    rows_of = np.bincount(inv, minlength=len(uniq))
    in_several = rows_of[inv] > 1
    need = np.maximum(scheme_cap - cur, 0)

    def own_share(room: np.ndarray) -> np.ndarray:
        code = np.where(room >= 0, inv, -1)
        rooms = np.zeros(len(uniq), dtype=np.int64)
        rooms[inv] = np.maximum(room, 0)
        return np.where(room >= 0, _share_by(code, rooms, need), room)

    single_total_room = single_limit - own_exp
    loan_total_room = L.loan - own_loans
    s_share, l_share = own_share(single_total_room), own_share(loan_total_room)
    single_room = np.where(is_exempt, unbound, cur + s_share)
    loan_room = np.where(is_exempt | interbank, unbound, cur_loans + l_share)
    raw = np.minimum(np.minimum(scheme_cap, single_room), loan_room)

    # the group's remaining room, shared among its members' rows in every scheme (exempt members
    # are not tested); a group over its limit takes its whole excess off each member
    g_limit = np.where(g_interbank, L.interbank, L.group)
    grouped = in_group & ~is_exempt
    g_room = g_limit - g_exp
    g_code = np.where(grouped & (g_room >= 0), pd.factorize(group_id)[0], -1)
    g_rooms = np.zeros(int(g_code.max()) + 1 if len(g_code) else 0, dtype=np.int64)
    g_rooms[g_code[g_code >= 0]] = g_room[g_code >= 0]
    g_share = np.where(g_code >= 0, _share_by(g_code, g_rooms, raw - cur), g_room)
    g_claimants = np.bincount(np.maximum(g_code, 0), weights=(g_code >= 0), minlength=len(g_rooms))
    g_shared = (g_code >= 0) & (g_claimants[np.maximum(g_code, 0)] > 1)
    group_bound = np.where(grouped, cur + g_share, unbound)
    raw_g = np.minimum(raw, group_bound)

    # the remaining room of each tested single risk source the row depends on (or is), shared
    # among its dependants in the scheme; a source above its cap leaves its dependants 0
    pairs = dependent_pairs(book, policy)
    src_table, s_keys, s_room = _scheme_sources(book, policy, risk.sources, lending, sids, channel, cap_ss, pairs)
    row_at, key_at = _source_claims(pairs, p_s, p_e, n, s_keys)
    s_room_pair = s_room[key_at]
    claim = np.where(s_room_pair >= 0, key_at, -1)
    s_share_pair = np.where(
        s_room_pair >= 0,
        _share_by(claim, np.maximum(s_room, 0), (raw_g - cur)[row_at]),
        0,
    )
    s_bound_pair = np.where(s_room_pair >= 0, cur[row_at] + s_share_pair, 0)
    # each row's tightest source (first by source position on equal bounds)
    pick = np.lexsort((s_keys[key_at] % max(n, 1), s_bound_pair, row_at))
    first = pick[np.concatenate(([True], row_at[pick][1:] != row_at[pick][:-1]))] if len(pick) else pick
    has_source = np.zeros(len(p_s), dtype=bool)
    has_source[row_at[first]] = True
    source_bound = np.full(len(p_s), unbound, dtype=np.int64)
    source_bound[row_at[first]] = s_bound_pair[first]
    source_pos = np.full(len(p_s), -1, dtype=np.int64)
    source_pos[row_at[first]] = s_keys[key_at[first]] % max(n, 1)
    source_room = np.zeros(len(p_s), dtype=np.int64)
    source_room[row_at[first]] = s_room_pair[first]
    source_share = np.zeros(len(p_s), dtype=np.int64)
    source_share[row_at[first]] = s_share_pair[first]
    source_claimants = np.zeros(len(p_s), dtype=np.int64)
    source_claimants[row_at[first]] = np.bincount(key_at, minlength=len(s_keys))[key_at[first]]
    raw_all = np.minimum(raw_g, source_bound)

    binding = np.select(
        [raw_all == scheme_cap, raw_all == single_room, raw_all == loan_room, raw_all == group_bound],
        ["scheme", "single_customer", "loan_limit", "group"],
        "risk_source",
    ).astype(object)
    cap = _rounded_all(raw_all, L.unit)
    over = cur > cap
    names, kinds = _texts(book.name[uniq])[inv], _texts(book.kind[uniq])[inv]
    source_ids = np.where(has_source, book.ids[np.maximum(source_pos, 0)], "").astype(object)
    rules = _borrower_rules(
        _RuleInputs(
            scheme_cap=scheme_cap,
            outside=outside,
            outside_loans=outside_loans,
            in_several=in_several,
            n_rows=rows_of[inv].astype(np.int64),
            own_exp=own_exp,
            own_loans=own_loans,
            s_share=s_share,
            l_share=l_share,
            cur_loans=cur_loans,
            single_room=single_room,
            loan_room=loan_room,
            interbank=interbank,
            exempt=exempt,
            grouped=grouped,
            group_ids=group_id,
            group_limit=g_limit,
            g_exp=g_exp,
            g_shared=g_shared,
            g_share=g_share,
            g_claimants=np.where(g_code >= 0, g_claimants[np.maximum(g_code, 0)], 0).astype(np.int64),
            cur=cur,
            group_bound=group_bound,
            has_source=has_source,
            source_ids=source_ids,
            source_room=source_room,
            source_share=source_share,
            source_claimants=source_claimants,
            source_bound=source_bound,
            raw=raw_all,
            cap=cap,
        ),
        policy,
        L,
    )
    pop_ids = book.ids[p_e]

    bt = pd.DataFrame([], columns=BORROWER_COLUMNS)
    if len(keys):
        bt = pd.DataFrame(
            {
                "scheme_id": sids[p_s],
                "customer_id": pop_ids,
                "name": names,
                "kind": kinds,
                "is_customer": book.is_customer[p_e],
                "is_member": is_member,
                "is_borrower": is_borrower,
                "group_id": group_id,
                "current_outstanding_fen": cur_out,
                "customer_outstanding_fen": own,
                "group_exposure_fen": pd.arrays.IntegerArray(g_exp, ~in_group),
                "group_headroom_fen": pd.arrays.IntegerArray(np.maximum(g_limit - g_exp, 0), ~in_group),
                "cap_fen": cap,
                "headroom_fen": cap - cur,
                "binding": binding,
                "status": np.where(over, BREACH, OK).astype(object),
                "binding_rule": np.asarray(rules, dtype=object),
                "current_exposure_fen": cur,
                "customer_exposure_fen": own_exp,
                "customer_loans_fen": own_loans,
                "interbank": interbank,
                "exempt": exempt,
                "group_share_fen": pd.arrays.IntegerArray(g_share.astype(np.int64), ~grouped),
                "risk_source_id": source_ids,
                "risk_source_share_fen": pd.arrays.IntegerArray(
                    np.where(source_room >= 0, source_share, 0).astype(np.int64), ~has_source
                ),
            },
            columns=BORROWER_COLUMNS,
        )

    # breaches: borrowers above their cap, schemes above their total, risk sources above theirs
    b = np.flatnonzero(over)
    breaches = {
        "scheme_id": sids[p_s[b]].tolist(),
        "breach_type": ["borrower"] * len(b),
        "subject_id": pop_ids[b].tolist(),
        "subject_name": names[b].tolist(),
        "subject_kind": kinds[b].tolist(),
        "current_fen": cur[b].tolist(),
        "cap_fen": cap[b].tolist(),
        "excess_fen": (cur[b] - cap[b]).tolist(),
        "rule": [
            f"{e} holds {y} under {s}, above its cap: {r}"
            for e, y, s, r in zip(
                pop_ids[b].tolist(), _yuan_texts(cur[b]).tolist(), sids[p_s[b]].tolist(), [rules[i] for i in b.tolist()]
            )
        ],
    }

    def add_breach(**row):
        for k, v in row.items():
            breaches[k].append(v)

    # groups of connected clients already above their limit, named in each scheme that lends to
    # their members (the scheme's section of the report shows them)
    g_hit = np.flatnonzero(is_borrower & g_over)
    groups_over = np.zeros(n_s, dtype=np.int64)
    if len(g_hit):
        gs = sorted(set(zip(p_s[g_hit].tolist(), group_id[g_hit].tolist())))
        by_pair: dict[tuple[int, str], list[int]] = {}
        for r in g_hit.tolist():  # table order: exposure under the scheme (desc), then id
            by_pair.setdefault((int(p_s[r]), group_id[r]), []).append(r)
        cur_texts = _yuan_texts(cur[g_hit])
        cur_text = dict(zip(g_hit.tolist(), cur_texts.tolist()))
        for si, gid in gs:
            rs = by_pair[(si, gid)]
            r0 = rs[0]
            head = gid[2:] if gid.startswith("G-") else gid
            hp = book.positions(np.asarray([head], dtype=object))
            gname = _texts(book.name[hp])[0] if int(hp[0]) >= 0 else ""
            ge, gl = int(g_exp[r0]), int(g_risk_limit[r0])
            listed = ", ".join(f"{pop_ids[r]} {names[r]} ({cur_text[r]})" for r in rs)
            add_breach(
                scheme_id=sids[si],
                breach_type="group_limit",
                subject_id=gid,
                subject_name=gname,
                subject_kind="group",
                current_fen=ge,
                cap_fen=gl,
                excess_fen=ge - gl,
                rule=(
                    f"group of connected clients {gid} ({gname}) has exposure {_y(ge)}, above its limit "
                    f"{_y(gl)} by {_y(ge - gl)}; its members borrowing under {sids[si]} (exposure under the "
                    f"scheme): {listed}"
                ),
            )
            groups_over[si] += 1

    n_over = np.bincount(p_s[over], minlength=n_s)
    n_borrowers = np.bincount(lending.pair_scheme, minlength=n_s)
    scheme_rows = []
    for i, s in enumerate(sch.itertuples(index=False)):
        lv = scheme_level[i]
        sid, ch, c_ch = s.scheme_id, s.channel_id, int(channel[i])
        total, utilized = int(cap_total[i]), int(lending.utilized[i])
        if utilized > total:
            add_breach(
                scheme_id=sid,
                breach_type="scheme_total",
                subject_id=sid,
                subject_name=s.name,
                subject_kind="scheme",
                current_fen=utilized,
                cap_fen=total,
                excess_fen=utilized - total,
                rule=f"{sid} utilises {_y(utilized)}, above its total cap: {lv['total_rule']}",
            )
        scheme_rows.append(
            {
                "scheme_id": sid,
                "scheme_name": s.name,
                "product": getattr(s, "product", "") or "",
                "channel_id": ch,
                "channel_name": _texts(book.name[c_ch : c_ch + 1])[0],
                "channel_kind": book.kind[c_ch],
                "cap_total_fen": total,
                "cap_per_borrower_fen": lv["cap_per_borrower_fen"],
                "cap_single_risk_source_fen": lv["cap_single_risk_source_fen"],
                "utilized_fen": utilized,
                "headroom_fen": total - utilized,
                "utilization": _ratio(utilized, total, 4),
                "status": OK,
                "binding_rule": "",
                "facilities": int(lending.facilities[i]),
                "borrowers": int(n_borrowers[i]),
                "borrowers_over_cap": int(n_over[i]),
                "risk_sources_over_cap": 0,
                "top_risk_source_id": "",
                "top_risk_source_type": "",
                "top_risk_source_exposure_fen": 0,
                "channel_members": int(n_members[i]),
                "channel_member_customers": int(ch_customers[c_ch]),
                "channel_members_outstanding_fen": int(ch_outstanding[c_ch]),
                "channel_book_fen": int(book_total[i]),
                "utilized_outstanding_fen": int(lending.utilized_outstanding[i]),
                "groups_over_limit": int(groups_over[i]),
                **{
                    k: v
                    for k, v in lv.items()
                    if k not in ("cap_total_fen", "cap_per_borrower_fen", "cap_single_risk_source_fen")
                },
            }
        )

    hit = src_table[src_table["status"] == BREACH]
    for r in hit.itertuples(index=False):
        i = int(np.searchsorted(sids, r.scheme_id))
        add_breach(
            scheme_id=r.scheme_id,
            breach_type="risk_source",
            subject_id=r.source_id,
            subject_name=r.name,
            subject_kind=r.source_type,
            current_fen=int(r.exposure_fen),
            cap_fen=int(r.cap_fen),
            excess_fen=int(r.exposure_fen) - int(r.cap_fen),
            rule=(
                f"{_y(r.exposure_fen)} of {r.scheme_id} depends on {r.source_type} {r.source_id} "
                f"({r.dependent_customers} customer{'s' if r.dependent_customers != 1 else ''} via {r.via}"
                + (f", plus its own {_y(r.own_exposure_fen)}" if r.own_exposure_fen else "")
                + f"), above the single-source cap {_pct(policy.caps.single_source_share)} of "
                f"{_y(cap_total[i])} → {_y(cap_ss[i])}"
            ),
        )

    caps = pd.DataFrame(scheme_rows, columns=CAPS_COLUMNS)
    if len(caps):
        over_src = hit.groupby("scheme_id").size().to_dict()
        top = src_table.drop_duplicates("scheme_id")  # sorted by exposure desc within a scheme
        top = {r.scheme_id: r for r in top.itertuples(index=False)}
        caps["risk_sources_over_cap"] = [int(over_src.get(s, 0)) for s in caps["scheme_id"]]
        caps["top_risk_source_id"] = [top[s].source_id if s in top else "" for s in caps["scheme_id"]]
        caps["top_risk_source_type"] = [top[s].source_type if s in top else "" for s in caps["scheme_id"]]
        caps["top_risk_source_exposure_fen"] = [int(top[s].exposure_fen) if s in top else 0 for s in caps["scheme_id"]]
        bad = (
            (caps["utilized_fen"] > caps["cap_total_fen"])
            | (caps["borrowers_over_cap"] > 0)
            | (caps["risk_sources_over_cap"] > 0)
            | (caps["groups_over_limit"] > 0)
        )
        caps["status"] = [BREACH if b else OK for b in bad.tolist()]
        caps["binding_rule"] = [
            " | ".join(x) for x in zip(caps["total_rule"], caps["per_borrower_rule"], caps["single_source_rule"])
        ]
        for col in (
            "cap_total_fen",
            "cap_per_borrower_fen",
            "cap_single_risk_source_fen",
            "utilized_fen",
            "headroom_fen",
            "top_risk_source_exposure_fen",
            "channel_members_outstanding_fen",
            "channel_book_fen",
            "appetite_fen",
            "quality_adjusted_fen",
            "single_customer_limit_fen",
            "loan_limit_fen",
            "policy_per_borrower_fen",
            "policy_per_borrower_adjusted_fen",
            "facilities",
            "borrowers",
            "borrowers_over_cap",
            "risk_sources_over_cap",
            "channel_members",
            "channel_member_customers",
            "utilized_outstanding_fen",
            "groups_over_limit",
        ):
            caps[col] = caps[col].astype("int64")

    br = pd.DataFrame([], columns=BREACH_COLUMNS)
    if breaches["scheme_id"]:
        br = pd.DataFrame(breaches, columns=BREACH_COLUMNS)
        for col in ("current_fen", "cap_fen", "excess_fen"):
            br[col] = br[col].astype("int64")
        br = (
            br.assign(_t=br["breach_type"].map(BREACH_TYPES.index), _neg=-br["excess_fen"])
            .sort_values(["scheme_id", "_t", "_neg", "subject_id"], kind="stable")
            .drop(columns=["_t", "_neg"])
        )
        br = br.reset_index(drop=True)
    return {"caps": caps, "scheme_borrower_caps": bt, "scheme_risk_sources": src_table, "caps_breaches": br}


def _scheme_sources(
    book: Book,
    policy: Policy,
    sources: pd.DataFrame,
    lending: _Lending,
    sids: np.ndarray,
    channel: np.ndarray,
    cap_ss: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per (scheme, risk source): the scheme exposure that depends on the source.

    The dependants of :func:`channelgraph.risk.dependent_pairs` (*pairs*) that borrow under a
    scheme are joined to those schemes and aggregated on integer positions.

    Returns the table, and the tested sources as sorted keys (scheme × n + source) with each
    one's remaining room (its cap less its exposure; negative above the cap).
    """
    empty = pd.DataFrame({col: [] for col in SOURCE_COLUMNS})
    none = (empty, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    if not len(lending.pair_scheme) or not len(sources):
        return none
    src, c, v = pairs
    n, n_via = book.n, len(VIAS)
    borrows = np.zeros(n, dtype=bool)
    borrows[lending.pair_customer] = True
    keep = np.flatnonzero(borrows[c])
    src, c, v = src[keep], c[keep], v[keep]
    # join each tie to every scheme its customer borrows under (the pairs sorted by customer)
    by_customer = np.argsort(lending.pair_customer, kind="stable")
    pair_c = lending.pair_customer[by_customer]
    lo, hi = np.searchsorted(pair_c, c, "left"), np.searchsorted(pair_c, c, "right")
    row = np.repeat(np.arange(len(c), dtype=np.int64), hi - lo)
    pair = by_customer[_expand(lo, hi - lo)]
    s, src, c, v = lending.pair_scheme[pair], src[row], c[row], v[row]
    counted = src != channel[s]  # the scheme's own channel is not a single risk source of it
    s, src, c, v, pair = s[counted], src[counted], c[counted], v[counted], pair[counted]
    if not len(s):
        return none
    keys, at = np.unique(s * n + src, return_inverse=True)
    at = at.reshape(-1)
    # every via of a (scheme, source) as a bit mask; its text lists the vias sorted, comma-joined
    kv = _distinct(at * n_via + v)
    mask = _sum_by(kv // n_via, np.left_shift(1, kv % n_via), len(keys))
    via_text = {m: ",".join(sorted(VIAS[i] for i in range(n_via) if m >> i & 1)) for m in _distinct(mask).tolist()}
    # dependants: distinct customers per (scheme, source), and their outstanding under the scheme
    _, first = np.unique(at * n + c, return_index=True)
    dependants = np.bincount(at[first], minlength=len(keys)).astype(np.int64)
    dep = _sum_by(at[first], lending.pair_current[pair[first]], len(keys))
    ks, ksrc = keys // n, keys % n
    # the source's own lending under the scheme
    borrows_here, pos = _lookup(lending.pair_keys, keys)
    mine = np.where(borrows_here, lending.pair_current[pos], 0).astype(np.int64)
    total = dep + mine
    nb = dependants + borrows_here.astype(np.int64)
    cap = cap_ss[ks]
    status = np.where(
        nb < int(policy.caps.single_source_min_borrowers), NOT_TESTED, np.where(total > cap, BREACH, OK)
    ).astype(object)
    tested = status != NOT_TESTED
    tested_keys, tested_room = keys[tested], (cap - total)[tested]  # keys are sorted
    order = np.lexsort((ksrc, -total, ks))  # scheme, exposure (desc), source id (positions follow ids)
    ks, ksrc, total, dependants, nb, dep, mine, cap, status, mask = (
        x[order] for x in (ks, ksrc, total, dependants, nb, dep, mine, cap, status, mask)
    )
    src_ids = book.ids[ksrc]
    st_rows = _rows_in(sources["source_id"], set(src_ids.tolist()))
    stype = dict(
        zip(
            sources["source_id"].to_numpy(dtype=object)[st_rows].tolist(),
            sources["source_type"].to_numpy(dtype=object)[st_rows].tolist(),
        )
    )
    table = pd.DataFrame(
        {
            "scheme_id": sids[ks],
            "source_id": src_ids,
            "name": _texts(book.name[ksrc]),
            "source_type": np.asarray([stype.get(x, "") for x in src_ids.tolist()], dtype=object),
            "dependent_customers": dependants,
            "scheme_borrowers": nb,
            "dependent_exposure_fen": dep,
            "own_exposure_fen": mine,
            "exposure_fen": total,
            "share_of_scheme": np.asarray(_ratios(total, lending.utilized[ks]), dtype=object),
            "cap_fen": cap,
            "headroom_fen": cap - total,
            "status": status,
            "via": np.asarray([via_text[m] for m in mask.tolist()], dtype=object),
        },
        columns=SOURCE_COLUMNS,
    )
    return table, tested_keys, tested_room


def draft_scheme_caps(book: Book, policy: Policy | None = None, *, risk: RiskResult | None = None):
    """Draft exposure caps for every channel scheme, with the rule that bound each.

    Parameters
    ----------
    book : Book
        The :class:`~channelgraph.graph.Book` (either backend builds the same one, so both give
        identical tables); its ``tables`` give the schemes and the facilities' status.
    policy : Policy, optional
        Capital, ``limits`` and ``caps`` (default ``book.policy``).
    risk : RiskResult, optional
        The risk room's result for this book and policy (:func:`channelgraph.risk.run_risk`):
        caps reads its ``groups``, ``members`` and ``sources``. Run here when not given.

    Returns
    -------
    caps : DataFrame, one row per scheme (``CAPS_COLUMNS``), sorted by scheme_id
        ``cap_total_fen``, ``cap_per_borrower_fen``, ``cap_single_risk_source_fen``,
        ``utilized_fen`` (measured exposure of the scheme's facilities; their outstanding is
        ``utilized_outstanding_fen``), ``headroom_fen`` (cap_total −
        utilized; negative is a breach), ``channel_members_outstanding_fen``, the quality
        figures and factors, each candidate amount, ``total_rule``, ``per_borrower_rule``,
        ``single_source_rule`` and ``binding_rule`` (the three joined by `` | ``).
    borrower_caps : DataFrame (``BORROWER_COLUMNS``)
        One row per (scheme, member or borrower): the individual cap, which also respects
        the customer's single-customer and loan headroom and its group's headroom, sorted by
        scheme, current exposure under the scheme (desc), customer id.
    breaches : DataFrame (``BREACH_COLUMNS``)
        ``scheme_total``, ``borrower``, ``risk_source`` and ``group_limit`` (a borrower's group of
        connected clients over its limit) breaches, sorted by scheme, type,
        excess (desc), subject id.

    Notes
    -----
    Amounts are integer fen throughout; ratios are exact (Decimal or integer cross-products);
    every cap is floored (:func:`~channelgraph.model.fraction_of`) and rounded down to
    ``policy.caps.rounding_fen``. Rules: CBIRC 2018 Order No. 1 arts. 7–8; Commercial Banking
    Law art. 39; DOMAIN.md (scheme elements). See the module docstring for every formula.

    Examples
    --------
    A chamber C with two member firms: A borrows 3,000,000 yuan under scheme S, B 2,000,000
    outside it. Tier-1 capital is 100,000,000 yuan, so the appetite is 5% = 5,000,000; a book of
    two customers is concentrated (HHI 0.52 > 0.18), so the caps are multiplied by 0.8.

    >>> import pandas as pd
    >>> from channelgraph.graph import build_book
    >>> from channelgraph.io import dataset_from_frames
    >>> ent = pd.DataFrame({"id": ["C", "A", "B"], "kind": ["chamber", "enterprise", "enterprise"],
    ...                     "name": ["商会", "甲", "乙"], "is_customer": ["false", "true", "true"]})
    >>> rel = pd.DataFrame({"src": ["A", "B"], "dst": ["C", "C"], "type": ["MEMBER_OF"] * 2})
    >>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["A", "B"],
    ...                     "outstanding": ["3000000", "2000000"], "scheme_id": ["S", ""]})
    >>> sch = pd.DataFrame({"scheme_id": ["S"], "channel_id": ["C"], "name": ["会员贷"]})
    >>> book = build_book(dataset_from_frames(ent, rel, exp, sch, policy=Policy.from_mapping(
    ...     {"tier1_capital": "100000000", "net_capital": "120000000"})))
    >>> caps, borrowers, breaches = draft_scheme_caps(book)
    >>> r = caps.iloc[0]
    >>> int(r.cap_total_fen) // 100, int(r.cap_per_borrower_fen) // 100, int(r.utilized_fen) // 100
    (4000000, 4000000, 3000000)
    >>> r.per_borrower_rule
    'per-borrower = min(single-customer limit 15% of tier-1 15,000,000.00; loan limit 10% of net capital 12,000,000.00; scheme policy 5,000,000.00; quality-adjusted 5,000,000.00 × 0.8 = 4,000,000.00) → 4,000,000.00'
    >>> borrowers[["customer_id", "current_outstanding_fen", "cap_fen", "binding"]].values.tolist()
    [['A', 300000000, 400000000, 'scheme'], ['B', 0, 400000000, 'scheme']]
    >>> len(breaches)
    0
    """
    t = draft_caps_tables(book, policy, risk=risk)
    return t["caps"], t["scheme_borrower_caps"], t["caps_breaches"]
