"""Groups of connected clients (关联客户) and the large-exposure limits.

A *group of connected clients* is a set of customers tied by **control** (集团客户) or
**economic dependence** (经济依存客户), as in 商业银行大额风险暴露管理办法 (CBIRC
Order 2018 No. 1) and the Basel large-exposures framework (LEX10, LEX20 "groups of
connected counterparties"). A tie joins two entities when (thresholds from
``policy.connection``):

* control, direct or **effective** (:func:`effective_control`): X's own share in Y plus the
  shares in Y held by the entities X controls, at any depth, is **>** ``control_share_above``
  (default 50%; **≥** with ``control_at_threshold_joins``): controller and controlled. A
  control that needs holdings summed is listed as a ``CONTROLS`` tie with the path
  ("A → G effective control 60% (via B 30%, C 30%) > 50%"): a row of its own, or the verdict
  of X's direct relation to Y when there is one;
* ``GUARANTEES``: the guarantor's guarantees **summed** (``aggregate_guarantees``, default; else
  each alone) are **≥** ``guarantee_net_assets_share`` (default 50%) of its net assets:
  guarantor and each borrower (the guarantor could not honour them if the borrowers failed); a
  guarantor whose net assets are unknown cannot be tested and is not joined;
* ``SUPPLIES`` with share **≥** ``supply_share`` (the supplier's revenue from the buyer) or
  buyer_share **≥** ``purchase_share`` (the buyer's purchases from the supplier), default 50%;
* ``FAMILY`` when ``family_joins``; ``SHARES_REPAYMENT_SOURCE`` when ``shared_repayment_joins``.

Ties below a threshold join nothing but are listed (``connection_ties``). Groups are the
connected components of the joining ties (scipy sparse union, linear time) that contain at
least one customer; they also list the non-customer entities that join them (a controlling
boss who does not borrow, a guarantor with no loan). Every customer is in exactly one group
(singletons included), so the groups partition the book: the groups' tested plus exempt
exposure equals the book's measured exposure, and their outstanding the total outstanding,
exactly (checked).

Limits (``policy.limits``) against tier-1 capital (一级资本净额), on the **measured exposure**
(:func:`~channelgraph.graph.measure_exposure`: on-balance + CCF × off-balance − margin):

* a group with two or more tested customers: ≤ ``group_share`` (20%, CBIRC 2018 art. 8);
* a group with one tested customer: ≤ ``single_customer_share`` (15%, CBIRC 2018 art. 7);
* an interbank customer, or a group whose tested customers are all interbank:
  ≤ ``interbank_share`` (25%, CBIRC 2018 art. 9 as summarised); a mixed group takes 20%;
* a *large exposure* is one **above** ``large_exposure_share`` (2.5%) of tier-1 capital
  (the Order's definition says 超过, "exceeds");
* per non-interbank customer, **loans** (the outstanding of its loan facilities) ≤
  ``single_borrower_net_capital_share`` (10%) of net capital (资本净额; CBIRC 2018 art. 7
  and 商业银行法 art. 39).

Exempt customers (``exempt``: sovereign, central bank, …) are reported (``exempt_fen``,
status ``exempt``) and not tested; a group's tested ``exposure_fen`` leaves them out.

Examples
--------
>>> from channelgraph.graph import load_book
>>> book = load_book("data/sample")
>>> groups, members, ties = connected_groups(book)
>>> int(groups["outstanding_fen"].sum()) == book.total_outstanding
True
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._runtime import gc_paused
from ..graph import Book, Exposure, measure_exposure
from ..model import RelationType, decimal_percent, fraction_of
from ..policy import Policy
from ._numbers import percent_floors, ratio_pairs, ratio_texts, share_percents, texts_by_value, yuan_human_texts

#: How many binding links a group row lists before "… and N more" (all are in connection_ties).
MAX_LINKS_PER_GROUP = 50
#: How many binding links a member row lists.
MAX_LINKS_PER_MEMBER = 20

GROUP_COLUMNS = [
    "group_id",
    "members",
    "customers",
    "member_count",
    "customer_count",
    "exposure_fen",
    "share_of_tier1",
    "limit_share",
    "limit_fen",
    "headroom_fen",
    "status",
    "rule",
    "member_breaches",
    "binding_links",
    "outstanding_fen",
    "exempt_fen",
    "interbank",
]
MEMBER_COLUMNS = [
    "entity_id",
    "name",
    "kind",
    "group_id",
    "is_customer",
    "outstanding_fen",
    "share_of_tier1",
    "single_status",
    "share_of_net_capital",
    "loan_status",
    "binding_reason",
    "exposure_fen",
    "loans_fen",
    "interbank",
    "exempt",
]
TIE_COLUMNS = ["src", "dst", "type", "amount_fen", "share", "ratio", "threshold", "joins", "group_id", "reason"]

OK, LARGE, BREACH = "ok", "large_exposure", "breach"
#: Exempt (reported, not tested) and, for the loan limit of an interbank or exempt customer, not tested.
EXEMPT, NOT_TESTED = "exempt", "not_tested"
#: What the 15/20/25% and large-exposure tests measure, and what the loan limit measures.
EXPOSURE_MEASURE = "exposure (on-balance + CCF × off-balance − margin)"
LOANS_MEASURE = "loans outstanding"


def rule_texts(policy: Policy) -> dict[str, str]:
    """The rules the outputs cite, with the thresholds of *policy* and the measure each tests.

    >>> rule_texts(Policy.from_mapping({"tier1_capital": "100"}))["loan"]
    'CBIRC 2018 art. 7 / Commercial Banking Law art. 39: loans to one non-interbank borrower ≤ 10% of net capital; tests loans outstanding; net capital taken as tier-1 (the policy gives tier-1 only)'
    """
    lim = policy.limits
    on = f"; tests {EXPOSURE_MEASURE}"
    from_t1 = "; net capital taken as tier-1 (the policy gives tier-1 only)" if policy.net_capital_from_tier1 else ""
    return {
        "group": f"CBIRC 2018 art. 8: group of connected non-interbank customers ≤ "
        f"{decimal_percent(lim.group_share)} of tier-1 capital{on}",
        "single": f"CBIRC 2018 art. 7: single non-interbank customer ≤ "
        f"{decimal_percent(lim.single_customer_share)} of tier-1 capital{on}",
        "interbank": f"CBIRC 2018 art. 9 (as summarised): interbank customer, or group whose customers are all "
        f"interbank, ≤ {decimal_percent(lim.interbank_share)} of tier-1 capital{on}",
        "large": f"CBIRC 2018 large exposure: > {decimal_percent(lim.large_exposure_share)} of tier-1 "
        "capital (identify and report)",
        "loan": f"CBIRC 2018 art. 7 / Commercial Banking Law art. 39: loans to one non-interbank borrower ≤ "
        f"{decimal_percent(lim.single_borrower_net_capital_share)} of net capital; tests {LOANS_MEASURE}{from_t1}",
        "exempt": "exempt customers (sovereign, central bank, …): exposure reported, not tested against the limits",
    }


#: Added to the rule of a group holding interbank and non-interbank customers.
MIXED_GROUP_NOTE = (
    "; holds interbank and non-interbank customers: tested against the stricter non-interbank group limit"
)


# ----------------------------------------------------------------------------- ties

#: Relation types that can join a group, in the order their ties are built.
TIE_TYPES = (
    RelationType.CONTROLS.value,
    RelationType.GUARANTEES.value,
    RelationType.SUPPLIES.value,
    RelationType.FAMILY.value,
    RelationType.SHARES_REPAYMENT_SOURCE.value,
)
#: Rank of each tie type in alphabetical order (the ``connection_ties`` sort key after src, dst).
_TYPE_RANK = np.asarray([sorted(TIE_TYPES).index(t) for t in TIE_TYPES], dtype=np.int64)
#: Room for the type rank in the one-int64 sort key of the ties (a power of two above their count).
_TYPE_SLOTS = 8
assert len(TIE_TYPES) <= _TYPE_SLOTS
_DNJ = ": listed, does not join"
#: Shares are summed exactly in these units (10⁻¹² of a whole): a share written with up to
#: twelve decimals is held exactly, so 25% + 25% is exactly 50%.
SHARE_UNITS = 10**12
#: How many holdings an effective-control reason names before "… and N more".
MAX_VIA = 10


@dataclass
class Ties:
    """Every CONTROLS, GUARANTEES, SUPPLIES, FAMILY and SHARES_REPAYMENT_SOURCE tie as parallel
    arrays, by type then (src, dst); effective-control ties (no relation row) among the CONTROLS."""

    src: np.ndarray  # int64 entity index
    dst: np.ndarray  # int64 entity index
    type_code: np.ndarray  # int64 index into TIE_TYPES
    amount: np.ndarray  # int64 fen (valid where has_amount)
    has_amount: np.ndarray  # bool
    share: np.ndarray  # float64, nan where empty
    ratio: np.ndarray  # object (str)
    threshold: np.ndarray  # object (str)
    joins: np.ndarray  # bool
    reason: np.ndarray  # object (str)

    def __len__(self) -> int:
        return len(self.src)

    @property
    def type_name(self) -> np.ndarray:
        return np.asarray(TIE_TYPES, dtype=object)[self.type_code]


@dataclass
class _Part:
    """The ties of one type, before they are concatenated into :class:`Ties`."""

    src: np.ndarray
    dst: np.ndarray
    code: int
    amount: np.ndarray
    has_amount: np.ndarray
    share: np.ndarray
    ratio: list
    threshold: np.ndarray  # object, one text per tie
    joins: np.ndarray
    reason: list


def _part(e, code: int, ratio, threshold, joins, reason) -> _Part:
    """A part of the relations *e* (one threshold text for all, or one per tie)."""
    th = threshold if isinstance(threshold, np.ndarray) else _texts(threshold)[np.zeros(len(e), dtype=np.int64)]
    return _Part(e.src, e.dst, code, e.amount, e.has_amount, e.share, list(ratio), th, np.asarray(joins, bool), reason)


def _ties(book: Book, policy: Policy) -> Ties:
    """Every tie that can join a group, with whether it joins and why."""
    con = policy.connection
    ids = book.ids
    parts: list[_Part] = []

    e = book.of(RelationType.CONTROLS)
    if len(e):
        parts.append(_control_part(book, e, policy))

    e = book.of(RelationType.GUARANTEES)
    if len(e):
        t = decimal_percent(con.guarantee_net_assets_share)
        joins, ratios, reasons = _guarantee_tests(
            book, e, con.guarantee_net_assets_share, t, aggregate=bool(con.aggregate_guarantees)
        )
        parts.append(_part(e, 1, ratios, f"≥ {t} of guarantor net assets", joins, reasons))

    e = book.of(RelationType.SUPPLIES)
    if len(e):
        parts.append(_supply_part(book, e, policy))

    e = book.of(RelationType.FAMILY)
    if len(e):
        j = bool(con.family_joins)
        tail = "" if j else _DNJ + " (connection.family_joins = false)"
        reasons = [f"{s} — {d} family{tail}" for s, d in zip(ids[e.src].tolist(), ids[e.dst].tolist())]
        th = "family_joins = " + ("true" if j else "false")
        parts.append(_part(e, 3, [""] * len(e), th, np.full(len(e), j, dtype=bool), reasons))

    e = book.of(RelationType.SHARES_REPAYMENT_SOURCE)
    if len(e):
        j = bool(con.shared_repayment_joins)
        tail = "" if j else _DNJ + " (connection.shared_repayment_joins = false)"
        reasons = [
            f"{s} — {d} share a main source of repayment or funding{tail}"
            for s, d in zip(ids[e.src].tolist(), ids[e.dst].tolist())
        ]
        th = "shared_repayment_joins = " + ("true" if j else "false")
        parts.append(_part(e, 4, [""] * len(e), th, np.full(len(e), j, dtype=bool), reasons))

    def cat(arrays, dtype):
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)

    def obj(items):
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out

    return Ties(
        src=cat([x.src for x in parts], np.int64),
        dst=cat([x.dst for x in parts], np.int64),
        type_code=cat([np.full(len(x.src), x.code, dtype=np.int64) for x in parts], np.int64),
        amount=cat([x.amount for x in parts], np.int64),
        has_amount=cat([x.has_amount for x in parts], bool),
        share=cat([x.share for x in parts], np.float64),
        ratio=cat([obj(x.ratio) for x in parts], object),
        threshold=cat([x.threshold for x in parts], object),
        joins=cat([x.joins for x in parts], bool),
        reason=cat([obj(x.reason) for x in parts], object),
    )


def _share_units(share: np.ndarray) -> np.ndarray:
    """Shares (float, NaN for none) as integer :data:`SHARE_UNITS` (NaN → 0)."""
    s = np.where(np.isnan(share), 0.0, share)
    return np.rint(s * SHARE_UNITS).astype(np.int64)


def _control_test(threshold: Decimal, at_threshold: bool):
    """``units → bool array``: the control test (> threshold, or ≥ with *at_threshold*), exact."""
    t = Decimal(threshold) * SHARE_UNITS
    if at_threshold:
        least = int(t.to_integral_value(rounding=ROUND_CEILING))
        return lambda u: np.asarray(u) >= least
    most = int(t.to_integral_value(rounding=ROUND_FLOOR))
    return lambda u: np.asarray(u) > most


def _units_percent(u: int) -> str:
    return decimal_percent(Decimal(int(u)) / SHARE_UNITS)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(total, dtype=np.int64)


@dataclass
class EffectiveControl:
    """Who controls whom, directly or effectively (:func:`effective_control`).

    ``x``, ``y``: every (controller, controlled) pair, sorted by ``x·n + y``; ``units``: the
    controller's holding in ``y`` (direct plus its controlled entities' holdings, in
    :data:`SHARE_UNITS`); ``summed``: control needs holdings added up (no single holding,
    direct or of one controlled entity, is over the threshold) — these are the ties
    ``connection_ties`` adds. ``via_*``: the holdings that make up each summed pair
    (``via_pair`` its position in ``x``; ``via_holder`` the holder, ``-1`` for the
    controller's own direct holding; ``via_units``), sorted by pair then holder.
    """

    x: np.ndarray
    y: np.ndarray
    units: np.ndarray
    summed: np.ndarray
    via_pair: np.ndarray
    via_holder: np.ndarray
    via_units: np.ndarray
    rounds: int


def effective_control(book: Book, policy: Policy | None = None) -> EffectiveControl:
    """Effective control through chains and sums of holdings (``CONTROLS`` shares).

    X controls Y when X's direct share in Y plus the shares in Y held by the entities X
    controls (directly or effectively, at any depth) is above ``control_share_above``
    (at or above it with ``control_at_threshold_joins``). Computed as a fixed point: each
    round sums, for every controller pair found so far, the holdings of what it controls,
    by one sort of ``x·n + y`` keys; the set of pairs only grows, and the loop ends when a
    round adds none (rounds ≤ the longest chain + 1).

    Examples
    --------
    A controls B and C (60% each); B and C each hold 30% of G, so A controls 60% of G:

    >>> import pandas as pd
    >>> from channelgraph.graph import build_book
    >>> from channelgraph.io import dataset_from_frames
    >>> ent = pd.DataFrame({"id": ["A", "B", "C", "G"], "kind": ["person"] + ["enterprise"] * 3,
    ...                     "name": ["甲", "乙", "丙", "丁"], "is_customer": ["false", "true", "true", "true"]})
    >>> rel = pd.DataFrame({"src": ["A", "A", "B", "C"], "dst": ["B", "C", "G", "G"],
    ...                     "type": ["CONTROLS"] * 4, "share": ["0.6", "0.6", "0.3", "0.3"]})
    >>> exp = pd.DataFrame({"facility_id": [], "customer_id": [], "outstanding": []})
    >>> book = build_book(dataset_from_frames(ent, rel, exp))
    >>> ec = effective_control(book)
    >>> [(book.ids[a], book.ids[b], _units_percent(u)) for a, b, u, s in zip(ec.x, ec.y, ec.units, ec.summed) if s]
    [('A', 'G', '60%')]
    """
    policy = policy or book.policy
    con = policy.connection
    over = _control_test(con.control_share_above, bool(con.control_at_threshold_joins))
    n = book.n
    e = book.of(RelationType.CONTROLS)
    u = _share_units(e.share) if len(e) else np.zeros(0, dtype=np.int64)
    keep = u > 0
    o = np.argsort(e.src[keep], kind="stable") if len(e) else np.zeros(0, dtype=np.int64)
    hs, hd, hu = e.src[keep][o], e.dst[keep][o], u[keep][o]
    deg = np.bincount(hs, minlength=n).astype(np.int64)
    ptr = np.cumsum(deg) - deg
    pairs = np.unique(hs[over(hu)] * n + hd[over(hu)])
    rounds = 0
    while True:
        rounds += 1
        cx, cz = pairs // max(n, 1), pairs % max(n, 1)
        cnt = deg[cz]
        at = _ranges(ptr[cz], cnt)
        x = np.concatenate((hs, np.repeat(cx, cnt)))
        y = np.concatenate((hd, hd[at]))
        s = np.concatenate((hu, hu[at]))
        holder = np.concatenate((np.full(len(hs), -1, dtype=np.int64), np.repeat(cz, cnt)))
        ok = x != y
        key = x[ok] * n + y[ok]
        o = np.argsort(key, kind="stable")
        key, s, holder = key[o], s[ok][o], holder[ok][o]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        keys = key[starts]
        sums = np.add.reduceat(s, starts) if len(starts) else np.zeros(0, dtype=np.int64)
        found = keys[over(sums)]
        if len(found) == len(pairs):
            break
        pairs = found
    big = np.maximum.reduceat(s, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    ctrl = over(sums)
    summed = ctrl & ~over(big)
    # the holdings behind each summed pair
    pos = np.cumsum(first) - 1
    pair_of_key = np.cumsum(ctrl) - 1
    sel = summed[pos] if len(pos) else np.zeros(0, dtype=bool)
    return EffectiveControl(
        x=keys[ctrl] // max(n, 1),
        y=keys[ctrl] % max(n, 1),
        units=sums[ctrl],
        summed=summed[ctrl],
        via_pair=pair_of_key[pos[sel]],
        via_holder=holder[sel],
        via_units=s[sel],
        rounds=rounds,
    )


def _control_part(book: Book, e, policy: Policy) -> _Part:
    """CONTROLS ties: each relation tested alone, then the ties of summed effective control.

    A summed effective control of X over Y is a tie of its own when X holds nothing in Y
    directly; when X holds a share too small alone, that relation's row takes the effective
    verdict (the row's ``share`` stays X's direct share; ``ratio`` is the effective share).
    """
    con = policy.connection
    ids = book.ids
    at = bool(con.control_at_threshold_joins)
    over = _control_test(con.control_share_above, at)
    t = decimal_percent(con.control_share_above)
    joins = ~np.isnan(e.share) & over(_share_units(e.share))
    pct = share_percents(e.share)
    yes, no = (f" ≥ {t}", f" < {t}{_DNJ}") if at else (f" > {t}", f" ≤ {t}{_DNJ}")
    reasons = [
        f"{s} → {d} control {p}{yes if j else no}"
        for s, d, p, j in zip(ids[e.src].tolist(), ids[e.dst].tolist(), pct, joins.tolist())
    ]
    ratios = _share_ratios(e.share)
    src, dst, amount, has_amount, share = e.src, e.dst, e.amount, e.has_amount, e.share
    ec = effective_control(book, policy)
    k = np.flatnonzero(ec.summed)
    if len(k):
        n = book.n
        texts = _effective_reasons(book, ec, k, yes)
        rtexts = [f"{x:.6f}" for x in (ec.units[k] / SHARE_UNITS).tolist()]
        row_keys = src * n + dst
        pair_keys = ec.x[k] * n + ec.y[k]
        o = np.argsort(row_keys, kind="stable")
        hit = np.searchsorted(row_keys[o], pair_keys)
        hit = np.minimum(hit, max(len(o) - 1, 0))
        has_row = (row_keys[o][hit] == pair_keys) if len(o) else np.zeros(len(k), dtype=bool)
        joins = joins.copy()
        for j, r in enumerate(o[hit].tolist()):
            if has_row[j]:
                joins[r], reasons[r], ratios[r] = True, texts[j], rtexts[j]
        new = np.flatnonzero(~has_row)
        src = np.concatenate((src, ec.x[k][new]))
        dst = np.concatenate((dst, ec.y[k][new]))
        amount = np.concatenate((amount, np.zeros(len(new), dtype=np.int64)))
        has_amount = np.concatenate((has_amount, np.zeros(len(new), dtype=bool)))
        share = np.concatenate((share, np.full(len(new), np.nan)))
        ratios = ratios + [rtexts[j] for j in new.tolist()]
        reasons = reasons + [texts[j] for j in new.tolist()]
        joins = np.concatenate((joins, np.ones(len(new), dtype=bool)))
    th = _texts(("≥ " if at else "> ") + t)[np.zeros(len(src), dtype=np.int64)]
    return _Part(src, dst, 0, amount, has_amount, share, ratios, th, joins, reasons)


def _effective_reasons(book: Book, ec: EffectiveControl, k: np.ndarray, verdict: str) -> list[str]:
    """ "A → G effective control 60% (via B 30%, C 30%) > 50%" for the summed pairs *k*."""
    ids = book.ids.tolist()
    vp, vh, vu = ec.via_pair.tolist(), ec.via_holder.tolist(), ec.via_units.tolist()
    direct: dict[int, int] = {}
    via: dict[int, list[str]] = {}
    for p, h, u in zip(vp, vh, vu):
        if h < 0:
            direct[p] = u
        else:
            via.setdefault(p, []).append(f"{ids[h]} {_units_percent(u)}")
    out = []
    for p in k.tolist():
        items = via.get(p, [])
        if len(items) > MAX_VIA:
            items = items[:MAX_VIA] + [f"… and {len(items) - MAX_VIA} more"]
        inner = ([f"direct {_units_percent(direct[p])}"] if p in direct else []) + (
            ["via " + ", ".join(items)] if items else []
        )
        x, y = ids[int(ec.x[p])], ids[int(ec.y[p])]
        out.append(f"{x} → {y} effective control {_units_percent(int(ec.units[p]))} ({'; '.join(inner)}){verdict}")
    return out


def _supply_part(book: Book, e, policy: Policy) -> _Part:
    """SUPPLIES ties: the supplier's revenue share, and the buyer's purchase share where given."""
    con = policy.connection
    ids = book.ids
    t, tb = decimal_percent(con.supply_share), decimal_percent(con.purchase_share)
    has = ~np.isnan(e.share)
    joins_s = has & (e.share >= float(con.supply_share))
    has_b = ~np.isnan(e.buyer_share)
    joins_b = has_b & (e.buyer_share >= float(con.purchase_share))
    joins = joins_s | joins_b
    pct, pct_b = share_percents(e.share), share_percents(e.buyer_share)
    reasons = []
    for s, d, p, j, h, pb, jb, hb in zip(
        ids[e.src].tolist(),
        ids[e.dst].tolist(),
        pct,
        joins_s.tolist(),
        has.tolist(),
        pct_b,
        joins_b.tolist(),
        has_b.tolist(),
    ):
        if not hb:
            reasons.append(
                f"{s} → {d} supply {p} of {s} revenue ≥ {t}"
                if j
                else f"{s} → {d} supply {p} of {s} revenue < {t}{_DNJ}"
                if h
                else f"{s} → {d} supply, share of revenue unknown{_DNJ}"
            )
            continue
        side = (
            f"{p} of {s} revenue {'≥' if j else '<'} {t}" if h else "share of revenue unknown"
        ) + f"; {pb} of {d} purchases {'≥' if jb else '<'} {tb}"
        reasons.append(f"{s} → {d} supply {side}" + ("" if j or jb else _DNJ))
    th = _texts(f"≥ {t} of supplier revenue", f"≥ {t} of supplier revenue or ≥ {tb} of buyer purchases")[
        has_b.astype(np.int64)
    ]
    return _part(e, 2, _share_ratios(e.share), th, joins, reasons)


def _guarantee_tests(book: Book, e, share, t: str, aggregate: bool = False) -> tuple[np.ndarray, list[str], list[str]]:
    """Whether each guarantee joins (amount ≥ *share* × the guarantor's net assets), its ratio and why.

    With *aggregate*, a guarantor's guarantees (those with an amount) are summed and the
    sum is tested: all of them join, or none. A guarantor with one guarantee reads as
    before. Exact integer tests, vectorised; a guarantor with unknown net assets cannot be
    tested, one with zero net assets joins. ``ratio`` stays the tie's own amount over the
    guarantor's net assets.
    """
    p, q = share.as_integer_ratio()
    ids = book.ids
    amt, has_amt = e.amount, e.has_amount
    nav, has_nav = book.net_assets[e.src], book.has_net_assets[e.src]
    tested = has_amt & has_nav & (nav != 0)
    zero = has_amt & has_nav & (nav == 0)
    # the amount tested: the tie's own, or (aggregated) its guarantor's total
    total = np.zeros(book.n, dtype=np.int64)
    count = np.zeros(book.n, dtype=np.int64)
    if aggregate and len(e):
        np.add.at(total, e.src[has_amt], amt[has_amt])
        np.add.at(count, e.src[has_amt], 1)
    summed = has_amt & (count[e.src] >= 2)
    amount_tested = np.where(summed, total[e.src], amt)
    joins = zero.copy()
    ta, tn = amount_tested[tested], nav[tested]
    joins[tested] = _at_least(ta, q, tn, p)
    ratio = np.full(len(e), "", dtype=object)
    ratio[tested] = ratio_pairs(amt[tested], tn)
    pct = np.full(len(e), "", dtype=object)
    pct[tested] = percent_floors(amt[tested], tn)
    money = np.full(len(e), "", dtype=object)
    money[has_amt] = yuan_human_texts(amt[has_amt])
    sum_pct = np.full(len(e), "", dtype=object)
    sum_money = np.full(len(e), "", dtype=object)
    st = tested & summed
    sum_pct[st] = percent_floors(amount_tested[st], nav[st])
    sum_money[summed] = yuan_human_texts(amount_tested[summed])
    nsum = count[e.src]
    # case 0: no amount, 1: net assets unknown, 2: no net assets, 3: tested alone, 4: tested summed
    case = np.where(~has_amt, 0, np.where(~has_nav, 1, np.where(zero, 2, np.where(summed, 4, 3))))
    ge, lt = f"≥ {t}", f"< {t}{_DNJ}"
    reasons = [
        f"{s} → {d} guarantee {m} = {pc} of {s} net assets {ge if j else lt}"
        if c == 3
        else f"{s} → {d} guarantee {m} = {pc} of {s} net assets; {s}'s {k} guarantees total {sm} = {sp} of "
        f"its net assets {ge if j else lt}"
        if c == 4
        else f"{s} → {d} guarantee {m}; {s} has no net assets (0.00) {ge}"
        if c == 2
        else f"{s} → {d} guarantee {m}; {s} net assets unknown: cannot test{_DNJ}"
        if c == 1
        else f"{s} → {d} guarantee without an amount{_DNJ}"
        for s, d, m, pc, j, c, k, sm, sp in zip(
            ids[e.src].tolist(),
            ids[e.dst].tolist(),
            money.tolist(),
            pct.tolist(),
            joins.tolist(),
            case.tolist(),
            nsum.tolist(),
            sum_money.tolist(),
            sum_pct.tolist(),
        )
    ]
    return joins, ratio.tolist(), reasons


def _at_least(a: np.ndarray, q: int, b: np.ndarray, p: int) -> np.ndarray:
    """Exact ``a × q ≥ p × b`` for non-negative int64 arrays (Python integers when int64 could overflow)."""
    if not len(a):
        return np.zeros(0, dtype=bool)
    lim = 2**63 - 1
    if int(a.max()) * q < lim and int(b.max()) * p < lim and int(min(a.min(), b.min())) >= 0:
        return a * q >= b * p
    return np.asarray([x * q >= p * y for x, y in zip(a.tolist(), b.tolist())], dtype=bool)


def _texts(*texts: str) -> np.ndarray:
    """A small object array of texts, to pick from by integer codes (the rows share the str objects)."""
    out = np.empty(len(texts), dtype=object)
    out[:] = list(texts)
    return out


def _share_ratios(share: np.ndarray) -> list[str]:
    return texts_by_value(share, lambda x: f"{x:.6f}" if x == x else "")


# ----------------------------------------------------------------------------- groups


def group_labels(book: Book, ties: Ties) -> np.ndarray:
    """Component label per entity over the joining ties (scipy connected components)."""
    src, dst = ties.src[ties.joins], ties.dst[ties.joins]
    adj = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(book.n, book.n)).tocsr()
    _, labels = connected_components(adj, directed=False)
    return labels.astype(np.int64)


@gc_paused
def connected_groups(book: Book, policy: Policy | None = None, *, exposure: Exposure | None = None):
    """Groups of connected clients with exposure, share of tier-1, limit and status.

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book` (either backend builds the same one, so both
        give identical tables).
    policy : thresholds (default: ``book.policy``).
    exposure : the measure to test (default: :func:`~channelgraph.graph.measure_exposure` of
        *book* under *policy*; :func:`~channelgraph.risk.run_risk` passes the one it keeps).

    Returns
    -------
    groups : one row per group (``GROUP_COLUMNS``), sorted by tested exposure (desc) then
        group_id. ``group_id`` is ``"G-"`` + the smallest member id. ``members`` lists every
        entity in the group, ``customers`` those with ``is_customer``. ``exposure_fen`` is the
        measured exposure of its non-exempt customers (what the limit tests), ``exempt_fen``
        its exempt customers', ``outstanding_fen`` its customers' outstanding. ``status`` is
        ``ok``, ``large_exposure`` (above 2.5% of tier-1), ``breach`` (above the limit
        applied: 15%, 20% or, when ``interbank``, 25%) or ``exempt`` (no tested customer).
    members : one row per entity in a group (``MEMBER_COLUMNS``), with the single-customer
        check on its exposure, the loans-to-one-borrower check on its loans (``not_tested``
        for an interbank or exempt customer) and the links that bind it.
    ties : every tie considered (``TIE_COLUMNS``), joined or not, with why.

    Notes
    -----
    CBIRC 2018 Order No. 1 (商业银行大额风险暴露管理办法) arts. 7–8; Basel LEX10/LEX20.
    Union by scipy ``connected_components`` on the joining ties: linear in entities + ties.

    Examples
    --------
    A boss P1 controls E1 (60%) and E2 (55%); E1 and E2 borrow 10 and 20 yuan: one group.

    >>> import pandas as pd
    >>> from channelgraph.graph import build_book
    >>> from channelgraph.io import dataset_from_frames
    >>> from channelgraph.policy import Policy
    >>> ent = pd.DataFrame({"id": ["P1", "E1", "E2"], "kind": ["person", "enterprise", "enterprise"],
    ...                     "name": ["张三", "甲", "乙"], "is_customer": ["false", "true", "true"]})
    >>> rel = pd.DataFrame({"src": ["P1", "P1"], "dst": ["E1", "E2"], "type": ["CONTROLS"] * 2,
    ...                     "share": ["0.6", "0.55"]})
    >>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["E1", "E2"],
    ...                     "outstanding": ["10", "20"]})
    >>> book = build_book(dataset_from_frames(ent, rel, exp, policy=Policy.from_mapping({"tier1_capital": "100"})))
    >>> groups, members, ties = connected_groups(book)
    >>> groups[["group_id", "members", "exposure_fen", "share_of_tier1", "status"]].values.tolist()
    [['G-E1', ['E1', 'E2', 'P1'], 3000, '0.300000', 'breach']]
    """
    policy = policy or book.policy
    m = exposure if exposure is not None else measure_exposure(book, policy)
    ties = _ties(book, policy)
    labels = group_labels(book, ties)
    n, ids = book.n, book.ids
    rules = rule_texts(policy)
    lim = policy.limits
    tier1, netcap = policy.tier1_capital_fen, policy.net_capital_fen

    # components that hold a customer; their nodes sorted by (label, index = id order)
    ncomp = int(labels.max()) + 1 if n else 0
    keep_comp = np.bincount(labels[book.is_customer], minlength=ncomp) > 0
    order = np.argsort(labels, kind="stable")
    order = order[keep_comp[labels[order]]] if n else order
    lab_sorted = labels[order]
    is_start = np.ones(len(order), dtype=bool)
    is_start[1:] = lab_sorted[1:] != lab_sorted[:-1]
    starts = np.flatnonzero(is_start)
    ends = np.append(starts[1:], len(order)).astype(np.int64) if len(starts) else starts
    gpos = np.cumsum(is_start) - 1  # group position (unsorted) of each node in `order`
    comp_labels = lab_sorted[starts]
    first = order[starts]  # smallest member index of each group
    gid = np.asarray(["G-" + x for x in ids[first].tolist()], dtype=object)
    ng = len(starts)
    group_of_comp = np.full(ncomp, -1, dtype=np.int64)
    group_of_comp[comp_labels] = np.arange(ng)

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values.astype(np.int64), starts) if ng else np.zeros(0, np.int64)

    cust_o = book.is_customer[order]
    out_o = book.outstanding[order]
    exp_o = m.of_entity[order]
    loans_o = m.loans[order]
    exempt_o = cust_o & (book.exempt[order] != "")
    bank_o = cust_o & book.is_interbank[order]
    tested_o = cust_o & ~exempt_o
    exposure = per_group(np.where(exempt_o, 0, exp_o))
    exempt_fen = per_group(np.where(exempt_o, exp_o, 0))
    outstanding = per_group(out_o)
    ncust = per_group(cust_o)
    ntested = per_group(tested_o)
    nbank = per_group(tested_o & bank_o)
    total = int(exposure.sum()) + int(exempt_fen.sum())
    if total != m.total or int(outstanding.sum()) != book.total_outstanding:
        raise RuntimeError(
            f"groups do not reconcile: {total} fen of exposure in groups, {m.total} fen measured; "
            f"{int(outstanding.sum())} fen outstanding in groups, {book.total_outstanding} fen in the book"
        )

    single_limit = fraction_of(tier1, lim.single_customer_share)
    large_limit = fraction_of(tier1, lim.large_exposure_share)
    loan_limit = fraction_of(netcap, lim.single_borrower_net_capital_share)
    group_limit = fraction_of(tier1, lim.group_share)
    bank_limit = fraction_of(tier1, lim.interbank_share)

    # final order: groups by tested exposure desc then group_id ("G-" + smallest id: the
    # smallest member index orders them alike); members by their group's rank, then id
    rank = np.lexsort((first, -exposure))
    grank = np.empty(ng, dtype=np.int64)
    grank[rank] = np.arange(ng)
    mo = np.argsort(grank[gpos] * max(n, 1) + order) if n < 2**31 else np.lexsort((order, grank[gpos]))

    # ---- members (in final order)
    m_idx, m_cust, m_out = order[mo], cust_o[mo], out_o[mo]
    m_exp, m_loans, m_exempt, m_bank = exp_o[mo], loans_o[mo], exempt_o[mo], bank_o[mo]
    # status texts by look-up (one shared str per status): "" for a non-customer
    m_limit = np.where(m_bank, bank_limit, single_limit)
    single_code = np.where(m_cust, np.where(m_exempt, 4, 1 + (m_exp > large_limit) + (m_exp > m_limit)), 0)
    single = _texts("", OK, LARGE, BREACH, EXEMPT)[single_code]
    loan_code = np.where(m_cust, np.where(m_exempt | m_bank, 3, 1 + (m_loans > loan_limit)), 0)
    loan = _texts("", OK, BREACH, NOT_TESTED)[loan_code]
    share_t1 = np.full(len(order), "", dtype=object)
    share_nc = np.full(len(order), "", dtype=object)
    share_t1[m_cust] = ratio_texts(m_exp[m_cust], tier1)
    share_nc[m_cust] = ratio_texts(m_loans[m_cust], netcap)
    bad = (single_code == 3) | (loan_code == 2)
    member_breaches = np.bincount(gpos[mo][bad], minlength=ng).astype(np.int64)

    # joining ties in (src id, dst id, type) order: the order of connection_ties
    tie_order = _tie_order(ties, n)
    link_rank = tie_order[ties.joins[tie_order]]
    js, jd, jr = ties.src[link_rank], ties.dst[link_rank], ties.reason[link_rank]
    nl = len(js)
    # links per member: each joining tie is listed at both ends, in link order
    who = np.concatenate((js, jd))
    at = np.concatenate((np.arange(nl), np.arange(nl)))
    o = np.argsort(who * max(nl, 1) + at) if n * max(nl, 1) < 2**62 else np.lexsort((at, who))
    member_links = _lists_by_index(who[o], np.concatenate((jr, jr))[o], m_idx, n, MAX_LINKS_PER_MEMBER)
    # links per group (ties joining entities of a group with no customer belong to none)
    glink = group_of_comp[labels[js]] if nl else np.zeros(0, np.int64)
    o = np.argsort(glink, kind="stable")
    o = o[glink[o] >= 0]
    group_links = _lists_by_index(glink[o], jr[o], rank, ng, MAX_LINKS_PER_GROUP)

    members = pd.DataFrame(
        {
            "entity_id": ids[m_idx],
            "name": book.name[m_idx],
            "kind": book.kind[m_idx],
            "group_id": gid[gpos[mo]],
            "is_customer": m_cust,
            "outstanding_fen": m_out,
            "share_of_tier1": share_t1,
            "single_status": single,
            "share_of_net_capital": share_nc,
            "loan_status": loan,
            "binding_reason": member_links,
            "exposure_fen": m_exp.astype(np.int64),
            "loans_fen": m_loans.astype(np.int64),
            "interbank": m_bank,
            "exempt": np.where(m_cust, book.exempt[m_idx], "").astype(object),
        },
        columns=MEMBER_COLUMNS,
    )

    # ---- groups (in final order)
    exposure_r, ntested_r = exposure[rank], ntested[rank]
    multi = ntested_r >= 2
    bank = (ntested_r >= 1) & (nbank[rank] == ntested_r)
    none = ntested_r == 0  # every customer exempt: reported, not tested
    # limit kind: 0 single, 1 group, 2 interbank (single or group)
    kind = np.where(bank, 2, multi.astype(np.int64))
    lim_fen = np.asarray([single_limit, group_limit, bank_limit], dtype=np.int64)[kind]
    breach = ~none & (exposure_r > lim_fen)
    large = ~none & ~breach & (exposure_r > large_limit)
    status = _texts(OK, LARGE, BREACH, EXEMPT)[np.where(none, 3, np.where(breach, 2, large.astype(np.int64)))]
    large_rule = rules["large"] + "; "
    rule = _texts(
        rules["single"],
        rules["group"],
        rules["interbank"],
        large_rule + rules["single"],
        large_rule + rules["group"],
        large_rule + rules["interbank"],
        rules["exempt"],
    )[np.where(none, 6, kind + 3 * large)]
    # a group of interbank and non-interbank customers: the rules name only all-interbank and
    # all-non-interbank groups; channelgraph applies the stricter non-interbank limit, and says so
    mixed = (kind == 1) & (nbank[rank] > 0)
    if mixed.any():
        rule = rule.copy()
        rule[mixed] = [r + MIXED_GROUP_NOTE for r in rule[mixed].tolist()]
    all_ids = ids[order].tolist()
    member_lists = [all_ids[a:b] for a, b in zip(starts[rank].tolist(), ends[rank].tolist())]
    cust_ids = ids[order][cust_o].tolist()
    cust_ends = np.cumsum(ncust)
    cust_starts = cust_ends - ncust
    cust_lists = [cust_ids[a:b] for a, b in zip(cust_starts[rank].tolist(), cust_ends[rank].tolist())]
    limit_texts = _texts(str(lim.single_customer_share), str(lim.group_share), str(lim.interbank_share))
    groups = pd.DataFrame(
        {
            "group_id": gid[rank],
            "members": member_lists,
            "customers": cust_lists,
            "member_count": (ends - starts)[rank].astype(np.int64),
            "customer_count": ncust[rank],
            "exposure_fen": exposure_r.astype(np.int64),
            "share_of_tier1": ratio_texts(exposure_r, tier1),
            # an all-exempt group is not tested: no limit, no headroom
            "limit_share": np.where(none, "", limit_texts[kind]).astype(object),
            "limit_fen": pd.arrays.IntegerArray(lim_fen.astype(np.int64), none),
            "headroom_fen": pd.arrays.IntegerArray((lim_fen - exposure_r).astype(np.int64), none),
            "status": status,
            "rule": rule,
            "member_breaches": member_breaches[rank],
            "binding_links": group_links,
            "outstanding_fen": outstanding[rank].astype(np.int64),
            "exempt_fen": exempt_fen[rank].astype(np.int64),
            "interbank": bank,
        },
        columns=GROUP_COLUMNS,
    )

    tie_out = _ties_table(book, ties, tie_order, labels, group_of_comp, gid)
    return groups, members, tie_out


def _lists_by_index(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray, size: int, cap: int) -> list[list[str]]:
    """For each of *wanted*: the *values* whose key it is (keys sorted, in ``range(size)``), cut at
    *cap* with a "more" item."""
    if not len(keys):
        return [[] for _ in range(len(wanted))]
    counts = np.bincount(keys, minlength=size)
    lo = (np.cumsum(counts) - counts)[wanted]
    n_of = counts[wanted]
    hi = lo + np.minimum(n_of, cap)
    vals = values.tolist()
    out = [vals[a:b] for a, b in zip(lo.tolist(), hi.tolist())]
    for i in np.flatnonzero(n_of > cap).tolist():
        out[i].append(f"… and {int(n_of[i]) - cap} more (see connection_ties)")
    return out


def _tie_order(ties: Ties, n: int) -> np.ndarray:
    """Positions of the ties sorted by (src id, dst id, type) — one int64 key (distinct per tie)."""
    if n < 2**29:  # (src·n + dst)·8 + type < 2⁶³ (8 > the number of tie types)
        return np.argsort((ties.src * n + ties.dst) * _TYPE_SLOTS + _TYPE_RANK[ties.type_code], kind="stable")
    return np.lexsort((_TYPE_RANK[ties.type_code], ties.dst, ties.src))


def _ties_table(
    book: Book, ties: Ties, r: np.ndarray, labels: np.ndarray, group_of_comp: np.ndarray, gid: np.ndarray
) -> pd.DataFrame:
    """``connection_ties`` in the order *r* (by src id, dst id, type); a joining tie names its group."""
    if not len(ties):
        return pd.DataFrame({c: [] for c in TIE_COLUMNS})
    src, dst, joins = ties.src[r], ties.dst[r], ties.joins[r]
    g = group_of_comp[labels[src]]
    gids = np.append(gid, "").astype(object)[np.where(joins & (g >= 0), g, len(gid))]
    return pd.DataFrame(
        {
            "src": book.ids[src],
            "dst": book.ids[dst],
            "type": ties.type_name[r],
            "amount_fen": pd.arrays.IntegerArray(ties.amount[r].astype(np.int64), ~ties.has_amount[r]),
            "share": ties.share[r],
            "ratio": ties.ratio[r],
            "threshold": ties.threshold[r],
            "joins": joins,
            "group_id": gids,
            "reason": ties.reason[r],
        },
        columns=TIE_COLUMNS,
    )
