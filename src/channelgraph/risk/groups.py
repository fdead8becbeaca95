"""Groups of connected clients (关联客户) and the large-exposure limits.

A *group of connected clients* is a set of customers tied by **control** (集团客户) or
**economic dependence** (经济依存客户), as in 商业银行大额风险暴露管理办法 (CBIRC
Order 2018 No. 1) and the Basel large-exposures framework (LEX10, LEX20 "groups of
connected counterparties"). A tie joins two entities when (thresholds from
``policy.connection``):

* ``CONTROLS`` with share **>** ``control_share_above`` (default 50%): controller and controlled;
* ``GUARANTEES`` whose amount is **≥** ``guarantee_net_assets_share`` (default 50%) of the
  guarantor's net assets: guarantor and borrower (the guarantor could not honour it if the
  borrower failed); a guarantor whose net assets are unknown cannot be tested and is not joined;
* ``SUPPLIES`` with share **≥** ``supply_share`` (default 50%, the supplier's revenue from the
  buyer): supplier and buyer;
* ``FAMILY`` when ``family_joins`` (default true).

Ties below a threshold join nothing but are listed (``connection_ties``). Groups are the
connected components of the joining ties (scipy sparse union, linear time) that contain at
least one customer; they also list the non-customer entities that join them (a controlling
boss who does not borrow, a guarantor with no loan). Every customer is in exactly one group
(singletons included), so the groups partition the book: the sum of group exposures equals
the total outstanding exactly (checked).

Limits (``policy.limits``), against tier-1 capital (一级资本净额):

* a group with two or more customers: ≤ ``group_share`` (20%, CBIRC 2018 art. 8);
* a group with one customer: ≤ ``single_customer_share`` (15%, CBIRC 2018 art. 7);
* a *large exposure* is one **above** ``large_exposure_share`` (2.5%) of tier-1 capital
  (the Order's definition says 超过, "exceeds");
* per customer, loans ≤ ``single_borrower_net_capital_share`` (10%) of net capital (资本净额;
  CBIRC 2018 art. 7 and 商业银行法 art. 39) — tested on the customer's outstanding.

All customers are treated as non-interbank (the input has no interbank marker).

Examples
--------
>>> from channelgraph.graph import load_book
>>> book = load_book("data/sample")
>>> groups, members, ties = connected_groups(book)
>>> int(groups["exposure_fen"].sum()) == book.total_outstanding
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._runtime import gc_paused
from ..graph import Book
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
]
TIE_COLUMNS = ["src", "dst", "type", "amount_fen", "share", "ratio", "threshold", "joins", "group_id", "reason"]

OK, LARGE, BREACH = "ok", "large_exposure", "breach"


def rule_texts(policy: Policy) -> dict[str, str]:
    """The rules the outputs cite, with the thresholds of *policy*."""
    lim = policy.limits
    return {
        "group": f"CBIRC 2018 art. 8: group of connected non-interbank customers ≤ "
        f"{decimal_percent(lim.group_share)} of tier-1 capital",
        "single": f"CBIRC 2018 art. 7: single non-interbank customer ≤ "
        f"{decimal_percent(lim.single_customer_share)} of tier-1 capital",
        "large": f"CBIRC 2018 large exposure: > {decimal_percent(lim.large_exposure_share)} of tier-1 "
        "capital (identify and report)",
        "loan": f"CBIRC 2018 art. 7 / Commercial Banking Law art. 39: loans to one borrower ≤ "
        f"{decimal_percent(lim.single_borrower_net_capital_share)} of net capital",
    }


# ----------------------------------------------------------------------------- ties

#: Relation types that can join a group, in the order their ties are built.
TIE_TYPES = (
    RelationType.CONTROLS.value,
    RelationType.GUARANTEES.value,
    RelationType.SUPPLIES.value,
    RelationType.FAMILY.value,
)
#: Rank of each tie type in alphabetical order (the ``connection_ties`` sort key after src, dst).
_TYPE_RANK = np.asarray([sorted(TIE_TYPES).index(t) for t in TIE_TYPES], dtype=np.int64)
_DNJ = ": listed, does not join"


@dataclass
class Ties:
    """Every CONTROLS, GUARANTEES, SUPPLIES and FAMILY tie as parallel arrays, by type then (src, dst)."""

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


def _ties(book: Book, policy: Policy) -> Ties:
    """Every CONTROLS, GUARANTEES, SUPPLIES and FAMILY tie with whether it joins and why."""
    con = policy.connection
    ids = book.ids
    parts = []  # (edges, type code, ratios, threshold, joins, reasons)

    e = book.of(RelationType.CONTROLS)
    if len(e):
        joins = ~np.isnan(e.share) & (e.share > float(con.control_share_above))
        t = decimal_percent(con.control_share_above)
        pct = share_percents(e.share)
        yes, no = f" > {t}", f" ≤ {t}{_DNJ}"
        reasons = [
            f"{s} → {d} control {p}{yes if j else no}"
            for s, d, p, j in zip(ids[e.src].tolist(), ids[e.dst].tolist(), pct, joins.tolist())
        ]
        parts.append((e, 0, _share_ratios(e.share), f"> {t}", joins, reasons))

    e = book.of(RelationType.GUARANTEES)
    if len(e):
        t = decimal_percent(con.guarantee_net_assets_share)
        joins, ratios, reasons = _guarantee_tests(book, e, con.guarantee_net_assets_share, t)
        parts.append((e, 1, ratios, f"≥ {t} of guarantor net assets", joins, reasons))

    e = book.of(RelationType.SUPPLIES)
    if len(e):
        t = decimal_percent(con.supply_share)
        has = ~np.isnan(e.share)
        joins = has & (e.share >= float(con.supply_share))
        pct = share_percents(e.share)
        reasons = [
            (
                f"{s} → {d} supply {p} of {s} revenue ≥ {t}"
                if j
                else f"{s} → {d} supply {p} of {s} revenue < {t}{_DNJ}"
                if h
                else f"{s} → {d} supply, share of revenue unknown{_DNJ}"
            )
            for s, d, p, j, h in zip(ids[e.src].tolist(), ids[e.dst].tolist(), pct, joins.tolist(), has.tolist())
        ]
        parts.append((e, 2, _share_ratios(e.share), f"≥ {t} of supplier revenue", joins, reasons))

    e = book.of(RelationType.FAMILY)
    if len(e):
        j = bool(con.family_joins)
        tail = "" if j else _DNJ + " (connection.family_joins = false)"
        reasons = [f"{s} — {d} family{tail}" for s, d in zip(ids[e.src].tolist(), ids[e.dst].tolist())]
        parts.append(
            (
                e,
                3,
                [""] * len(e),
                "family_joins = " + ("true" if j else "false"),
                np.full(len(e), j, dtype=bool),
                reasons,
            )
        )

    def cat(arrays, dtype):
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)

    def obj(items):
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out

    return Ties(
        src=cat([x[0].src for x in parts], np.int64),
        dst=cat([x[0].dst for x in parts], np.int64),
        type_code=cat([np.full(len(x[0]), x[1], dtype=np.int64) for x in parts], np.int64),
        amount=cat([x[0].amount for x in parts], np.int64),
        has_amount=cat([x[0].has_amount for x in parts], bool),
        share=cat([x[0].share for x in parts], np.float64),
        ratio=cat([obj(x[2]) for x in parts], object),
        threshold=_texts(*[x[3] for x in parts])[np.repeat(np.arange(len(parts)), [len(x[0]) for x in parts])]
        if parts
        else np.zeros(0, dtype=object),
        joins=cat([np.asarray(x[4], dtype=bool) for x in parts], bool),
        reason=cat([obj(x[5]) for x in parts], object),
    )


def _guarantee_tests(book: Book, e, share, t: str) -> tuple[np.ndarray, list[str], list[str]]:
    """Whether each guarantee joins (amount ≥ *share* × the guarantor's net assets), its ratio and why.

    Exact integer tests, vectorised; a guarantor with unknown net assets cannot be tested,
    one with zero net assets joins.
    """
    p, q = share.as_integer_ratio()
    ids = book.ids
    amt, has_amt = e.amount, e.has_amount
    nav, has_nav = book.net_assets[e.src], book.has_net_assets[e.src]
    tested = has_amt & has_nav & (nav != 0)
    zero = has_amt & has_nav & (nav == 0)
    joins = zero.copy()
    ta, tn = amt[tested], nav[tested]
    joins[tested] = _at_least(ta, q, tn, p)
    ratio = np.full(len(e), "", dtype=object)
    ratio[tested] = ratio_pairs(ta, tn)
    pct = np.full(len(e), "", dtype=object)
    pct[tested] = percent_floors(ta, tn)
    money = np.full(len(e), "", dtype=object)
    money[has_amt] = yuan_human_texts(amt[has_amt])
    # case 0: no amount, 1: net assets unknown, 2: no net assets, 3: tested
    case = np.where(~has_amt, 0, np.where(~has_nav, 1, np.where(zero, 2, 3)))
    ge, lt = f"≥ {t}", f"< {t}{_DNJ}"
    reasons = [
        f"{s} → {d} guarantee {m} = {pc} of {s} net assets {ge if j else lt}"
        if c == 3
        else f"{s} → {d} guarantee {m}; {s} has no net assets (0.00) {ge}"
        if c == 2
        else f"{s} → {d} guarantee {m}; {s} net assets unknown: cannot test{_DNJ}"
        if c == 1
        else f"{s} → {d} guarantee without an amount{_DNJ}"
        for s, d, m, pc, j, c in zip(
            ids[e.src].tolist(), ids[e.dst].tolist(), money.tolist(), pct.tolist(), joins.tolist(), case.tolist()
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
def connected_groups(book: Book, policy: Policy | None = None):
    """Groups of connected clients with exposure, share of tier-1, limit and status.

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book` (either backend builds the same one, so both
        give identical tables).
    policy : thresholds (default: ``book.policy``).

    Returns
    -------
    groups : one row per group (``GROUP_COLUMNS``), sorted by exposure (desc) then group_id.
        ``group_id`` is ``"G-"`` + the smallest member id. ``members`` lists every entity
        in the group, ``customers`` those with ``is_customer``. ``status`` is ``ok``,
        ``large_exposure`` (above 2.5% of tier-1) or ``breach`` (above the limit applied).
    members : one row per entity in a group (``MEMBER_COLUMNS``), with the single-customer
        and the loans-to-one-borrower checks and the links that bind it.
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

    cust_o = book.is_customer[order]
    out_o = book.outstanding[order]
    exposure = np.add.reduceat(out_o, starts) if ng else np.zeros(0, np.int64)
    ncust = np.add.reduceat(cust_o.astype(np.int64), starts) if ng else np.zeros(0, np.int64)
    total = int(exposure.sum())
    if total != book.total_outstanding:
        raise RuntimeError(f"groups do not reconcile: {total} fen in groups, {book.total_outstanding} fen outstanding")

    single_limit = fraction_of(tier1, lim.single_customer_share)
    large_limit = fraction_of(tier1, lim.large_exposure_share)
    loan_limit = fraction_of(netcap, lim.single_borrower_net_capital_share)
    group_limit = fraction_of(tier1, lim.group_share)

    # final order: groups by exposure desc then group_id ("G-" + smallest id: the smallest
    # member index orders them alike); members by their group's rank, then id
    rank = np.lexsort((first, -exposure))
    grank = np.empty(ng, dtype=np.int64)
    grank[rank] = np.arange(ng)
    mo = np.argsort(grank[gpos] * max(n, 1) + order) if n < 2**31 else np.lexsort((order, grank[gpos]))

    # ---- members (in final order)
    m_idx, m_cust, m_out = order[mo], cust_o[mo], out_o[mo]
    # status texts by look-up (one shared str per status): "" for a non-customer
    single_code = np.where(m_cust, 1 + (m_out > large_limit) + (m_out > single_limit), 0)
    single = _texts("", OK, LARGE, BREACH)[single_code]
    loan = _texts("", OK, BREACH)[np.where(m_cust, 1 + (m_out > loan_limit), 0)]
    share_t1 = np.full(len(order), "", dtype=object)
    share_nc = np.full(len(order), "", dtype=object)
    share_t1[m_cust] = ratio_texts(m_out[m_cust], tier1)
    share_nc[m_cust] = ratio_texts(m_out[m_cust], netcap)
    bad = m_cust & ((m_out > single_limit) | (m_out > loan_limit))
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
        },
        columns=MEMBER_COLUMNS,
    )

    # ---- groups (in final order)
    exposure_r, ncust_r = exposure[rank], ncust[rank]
    multi = ncust_r >= 2
    lim_fen = np.where(multi, group_limit, single_limit).astype(np.int64)
    breach = exposure_r > lim_fen
    large = ~breach & (exposure_r > large_limit)
    status = _texts(OK, LARGE, BREACH)[np.where(breach, 2, large.astype(np.int64))]
    large_rule = rules["large"] + "; "
    rule = _texts(rules["single"], rules["group"], large_rule + rules["single"], large_rule + rules["group"])[
        multi.astype(np.int64) + 2 * large
    ]
    all_ids = ids[order].tolist()
    member_lists = [all_ids[a:b] for a, b in zip(starts[rank].tolist(), ends[rank].tolist())]
    cust_ids = ids[order][cust_o].tolist()
    cust_ends = np.cumsum(ncust)
    cust_starts = cust_ends - ncust
    cust_lists = [cust_ids[a:b] for a, b in zip(cust_starts[rank].tolist(), cust_ends[rank].tolist())]
    groups = pd.DataFrame(
        {
            "group_id": gid[rank],
            "members": member_lists,
            "customers": cust_lists,
            "member_count": (ends - starts)[rank].astype(np.int64),
            "customer_count": ncust_r,
            "exposure_fen": exposure_r.astype(np.int64),
            "share_of_tier1": ratio_texts(exposure_r, tier1),
            "limit_share": _texts(str(lim.single_customer_share), str(lim.group_share))[multi.astype(np.int64)],
            "limit_fen": lim_fen,
            "headroom_fen": lim_fen - exposure_r,
            "status": status,
            "rule": rule,
            "member_breaches": member_breaches[rank],
            "binding_links": group_links,
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
    if n < 2**30:  # (src·n + dst)·4 + type < 2⁶³
        return np.argsort((ties.src * n + ties.dst) * 4 + _TYPE_RANK[ties.type_code])
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
