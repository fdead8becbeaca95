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
>>> from channelgraph.io import load_dataset                 # doctest: +SKIP
>>> ds = load_dataset("data/sample")                          # doctest: +SKIP
>>> groups, members, ties = connected_groups(None, ds, ds.policy)   # doctest: +SKIP
>>> int(groups["exposure_fen"].sum()) == ds.total_outstanding_fen   # doctest: +SKIP
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..model import RelationType, format_yuan_human, fraction_of
from ..policy import Policy
from ._facts import Facts, decimal_percent, facts_of, percent_floor, ratio_text, ratio_texts, share_percents

#: How many binding links a group row lists before "… and N more" (all are in connection_ties).
MAX_LINKS_PER_GROUP = 50
#: How many binding links a member row lists.
MAX_LINKS_PER_MEMBER = 20

GROUP_COLUMNS = ["group_id", "members", "customers", "member_count", "customer_count", "exposure_fen",
                 "share_of_tier1", "limit_share", "limit_fen", "headroom_fen", "status", "rule",
                 "member_breaches", "binding_links"]
MEMBER_COLUMNS = ["entity_id", "name", "kind", "group_id", "is_customer", "outstanding_fen",
                  "share_of_tier1", "single_status", "share_of_net_capital", "loan_status", "binding_reason"]
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


def _ties(f: Facts, policy: Policy) -> pd.DataFrame:
    """Every CONTROLS, GUARANTEES, SUPPLIES and FAMILY tie with whether it joins and why."""
    con = policy.connection
    ids = f.ids
    frames = []
    DNJ = ": listed, does not join"

    e = f.of(RelationType.CONTROLS)
    if len(e):
        joins = ~np.isnan(e.share) & (e.share > float(con.control_share_above))
        t = decimal_percent(con.control_share_above)
        pct = share_percents(e.share)
        reasons = [f"{s} → {d} control {p} > {t}" if j else f"{s} → {d} control {p} ≤ {t}{DNJ}"
                   for s, d, p, j in zip(ids[e.src].tolist(), ids[e.dst].tolist(), pct, joins.tolist())]
        frames.append(_tie_frame(e, "CONTROLS", _share_ratios(e.share), f"> {t}", joins, reasons))

    e = f.of(RelationType.GUARANTEES)
    if len(e):
        p, q = con.guarantee_net_assets_share.as_integer_ratio()
        t = decimal_percent(con.guarantee_net_assets_share)
        na = f.net_assets[e.src]
        has_na = f.has_net_assets[e.src]
        joins, ratios, reasons = [], [], []
        for s, d, amt, hasamt, nav, hn in zip(ids[e.src].tolist(), ids[e.dst].tolist(), e.amount.tolist(),
                                              e.has_amount.tolist(), na.tolist(), has_na.tolist()):
            if not hasamt:
                j, r, why = False, "", f"{s} → {d} guarantee without an amount{DNJ}"
            elif not hn:
                j, r = False, ""
                why = f"{s} → {d} guarantee {format_yuan_human(amt)}; {s} net assets unknown: cannot test{DNJ}"
            elif nav == 0:
                j, r = True, ""
                why = f"{s} → {d} guarantee {format_yuan_human(amt)}; {s} has no net assets (0.00) ≥ {t}"
            else:
                j = amt * q >= p * nav
                r = ratio_text(amt, nav)
                why = (f"{s} → {d} guarantee {format_yuan_human(amt)} = {percent_floor(amt, nav)} of {s} net assets "
                       + (f"≥ {t}" if j else f"< {t}{DNJ}"))
            joins.append(j)
            ratios.append(r)
            reasons.append(why)
        frames.append(_tie_frame(e, "GUARANTEES", ratios, f"≥ {t} of guarantor net assets",
                                 np.asarray(joins, dtype=bool), reasons))

    e = f.of(RelationType.SUPPLIES)
    if len(e):
        t = decimal_percent(con.supply_share)
        has = ~np.isnan(e.share)
        joins = has & (e.share >= float(con.supply_share))
        pct = share_percents(e.share)
        reasons = [(f"{s} → {d} supply {p} of {s} revenue ≥ {t}" if j else
                    f"{s} → {d} supply {p} of {s} revenue < {t}{DNJ}" if h else
                    f"{s} → {d} supply, share of revenue unknown{DNJ}")
                   for s, d, p, j, h in zip(ids[e.src].tolist(), ids[e.dst].tolist(), pct, joins.tolist(),
                                            has.tolist())]
        frames.append(_tie_frame(e, "SUPPLIES", _share_ratios(e.share), f"≥ {t} of supplier revenue", joins,
                                 reasons))

    e = f.of(RelationType.FAMILY)
    if len(e):
        j = bool(con.family_joins)
        joins = np.full(len(e), j, dtype=bool)
        tail = "" if j else DNJ + " (connection.family_joins = false)"
        reasons = [f"{s} — {d} family{tail}" for s, d in zip(ids[e.src].tolist(), ids[e.dst].tolist())]
        frames.append(_tie_frame(e, "FAMILY", [""] * len(e), "family_joins = " + ("true" if j else "false"),
                                 joins, reasons))

    if not frames:
        return pd.DataFrame({"src_i": pd.Series([], dtype=np.int64), "dst_i": pd.Series([], dtype=np.int64),
                             "type": pd.Series([], dtype=object), "amount_fen": pd.Series([], dtype="Int64"),
                             "share": pd.Series([], dtype=float), "ratio": pd.Series([], dtype=object),
                             "threshold": pd.Series([], dtype=object), "joins": pd.Series([], dtype=bool),
                             "reason": pd.Series([], dtype=object)})
    return pd.concat(frames, ignore_index=True)


def _share_ratios(share: np.ndarray) -> list[str]:
    return [f"{x:.6f}" if x == x else "" for x in share.tolist()]


def _tie_frame(e, rtype, ratios, threshold, joins, reasons) -> pd.DataFrame:
    amount = pd.arrays.IntegerArray(e.amount.astype(np.int64), ~e.has_amount)
    return pd.DataFrame({"src_i": e.src, "dst_i": e.dst, "type": rtype, "amount_fen": amount,
                         "share": e.share, "ratio": ratios, "threshold": threshold,
                         "joins": np.asarray(joins, dtype=bool), "reason": reasons})


# ----------------------------------------------------------------------------- groups


def group_labels(f: Facts, ties: pd.DataFrame) -> np.ndarray:
    """Component label per entity over the joining ties (scipy connected components)."""
    j = ties[ties["joins"]] if len(ties) else ties
    src = j["src_i"].to_numpy(dtype=np.int64) if len(j) else np.zeros(0, np.int64)
    dst = j["dst_i"].to_numpy(dtype=np.int64) if len(j) else np.zeros(0, np.int64)
    adj = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(f.n, f.n)).tocsr()
    _, labels = connected_components(adj, directed=False)
    return labels.astype(np.int64)


def connected_groups(graph, dataset, policy: Policy | None = None):
    """Groups of connected clients with exposure, share of tier-1, limit and status.

    Parameters
    ----------
    graph : the dataset's graph (embedded or rebuilt from Neo4j); the facts are read from
        *dataset*, which holds the same ones, so both backends give identical tables.
    dataset : a validated :class:`~channelgraph.io.validate.Dataset`.
    policy : thresholds (default: ``dataset.policy``).

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
    >>> from channelgraph.io import dataset_from_frames
    >>> from channelgraph.policy import Policy
    >>> ent = pd.DataFrame({"id": ["P1", "E1", "E2"], "kind": ["person", "enterprise", "enterprise"],
    ...                     "name": ["张三", "甲", "乙"], "is_customer": ["false", "true", "true"]})
    >>> rel = pd.DataFrame({"src": ["P1", "P1"], "dst": ["E1", "E2"], "type": ["CONTROLS"] * 2,
    ...                     "share": ["0.6", "0.55"]})
    >>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["E1", "E2"],
    ...                     "outstanding": ["10", "20"]})
    >>> ds = dataset_from_frames(ent, rel, exp, policy=Policy.from_mapping({"tier1_capital": "100"}))
    >>> groups, members, ties = connected_groups(None, ds)
    >>> groups[["group_id", "members", "exposure_fen", "share_of_tier1", "status"]].values.tolist()
    [['G-E1', ['E1', 'E2', 'P1'], 3000, '0.300000', 'breach']]
    """
    policy = policy or dataset.policy
    f = facts_of(dataset)
    ties = _ties(f, policy)
    labels = group_labels(f, ties)
    n, ids = f.n, f.ids
    rules = rule_texts(policy)
    lim = policy.limits
    tier1, netcap = policy.tier1_capital_fen, policy.net_capital_fen

    # components that hold a customer; their nodes sorted by (label, index = id order)
    ncomp = int(labels.max()) + 1 if n else 0
    keep_comp = np.bincount(labels[f.is_customer], minlength=ncomp) > 0
    order = np.argsort(labels, kind="stable")
    order = order[keep_comp[labels[order]]] if n else order
    lab_sorted = labels[order]
    is_start = np.ones(len(order), dtype=bool)
    is_start[1:] = lab_sorted[1:] != lab_sorted[:-1]
    starts = np.flatnonzero(is_start)
    gpos = np.cumsum(is_start) - 1  # group position (unsorted) of each node in `order`
    comp_labels = lab_sorted[starts]
    first = order[starts]  # smallest member index of each group
    gid = np.asarray(["G-" + x for x in ids[first].tolist()], dtype=object)
    comp_to_gid = dict(zip(comp_labels.tolist(), gid.tolist()))
    ng = len(starts)

    cust_o = f.is_customer[order]
    out_o = f.outstanding[order]
    exposure = np.add.reduceat(out_o, starts) if ng else np.zeros(0, np.int64)
    ncust = np.add.reduceat(cust_o.astype(np.int64), starts) if ng else np.zeros(0, np.int64)
    total = int(exposure.sum())
    if total != f.total_outstanding:
        raise RuntimeError(f"groups do not reconcile: {total} fen in groups, "
                           f"{f.total_outstanding} fen outstanding")

    single_limit = fraction_of(tier1, lim.single_customer_share)
    large_limit = fraction_of(tier1, lim.large_exposure_share)
    loan_limit = fraction_of(netcap, lim.single_borrower_net_capital_share)
    group_limit = fraction_of(tier1, lim.group_share)

    # ---- members
    single = np.where(out_o > single_limit, BREACH, np.where(out_o > large_limit, LARGE, OK)).astype(object)
    loan = np.where(out_o > loan_limit, BREACH, OK).astype(object)
    single[~cust_o] = ""
    loan[~cust_o] = ""
    share_t1 = np.full(len(order), "", dtype=object)
    share_nc = np.full(len(order), "", dtype=object)
    share_t1[cust_o] = ratio_texts(out_o[cust_o], tier1)
    share_nc[cust_o] = ratio_texts(out_o[cust_o], netcap)
    bad = cust_o & ((single == BREACH) | (loan == BREACH))
    member_breaches = np.add.reduceat(bad.astype(np.int64), starts) if ng else np.zeros(0, np.int64)

    joined = ties[ties["joins"].to_numpy(dtype=bool)] if len(ties) else ties
    js = joined["src_i"].to_numpy(np.int64) if len(joined) else np.zeros(0, np.int64)
    jd = joined["dst_i"].to_numpy(np.int64) if len(joined) else np.zeros(0, np.int64)
    jr = np.asarray(joined["reason"].tolist() if len(joined) else [], dtype=object)
    jt = np.asarray(joined["type"].tolist() if len(joined) else [], dtype=object)
    link_rank = np.lexsort((jt, jd, js))  # (src id, dst id, type) order
    # links per member: each joining tie is listed at both ends
    who = np.concatenate((js[link_rank], jd[link_rank]))
    what = np.concatenate((jr[link_rank], jr[link_rank]))
    pos = np.concatenate((np.arange(len(js)), np.arange(len(js))))
    o = np.lexsort((pos, who))
    member_links = _lists_by_key(who[o], what[o], order, MAX_LINKS_PER_MEMBER)
    # links per group
    comp_of_link = labels[js[link_rank]]
    group_of_comp = np.full(ncomp, -1, dtype=np.int64)
    group_of_comp[comp_labels] = np.arange(ng)
    glink = group_of_comp[comp_of_link] if len(js) else np.zeros(0, np.int64)
    o = np.argsort(glink, kind="stable")
    group_links = _lists_by_key(glink[o], jr[link_rank][o], np.arange(ng), MAX_LINKS_PER_GROUP)

    members = pd.DataFrame({
        "entity_id": ids[order], "name": f.name[order], "kind": f.kind[order], "group_id": gid[gpos],
        "is_customer": cust_o, "outstanding_fen": out_o, "share_of_tier1": share_t1, "single_status": single,
        "share_of_net_capital": share_nc, "loan_status": loan, "binding_reason": member_links,
    }, columns=MEMBER_COLUMNS)

    # ---- groups
    multi = ncust >= 2
    lim_fen = np.where(multi, group_limit, single_limit).astype(np.int64)
    status = np.where(exposure > lim_fen, BREACH, np.where(exposure > large_limit, LARGE, OK)).astype(object)
    rule = np.where(multi, rules["group"], rules["single"]).astype(object)
    is_large = status == LARGE
    rule[is_large] = [rules["large"] + "; " + r for r in rule[is_large].tolist()]
    ends = np.append(starts[1:], len(order)).tolist()
    all_ids = ids[order].tolist()
    member_lists = [all_ids[a:b] for a, b in zip(starts.tolist(), ends)]
    cust_ids = ids[order][cust_o].tolist()
    cust_ends = np.cumsum(ncust).tolist()
    cust_lists = [cust_ids[a:b] for a, b in zip([0] + cust_ends[:-1], cust_ends)]
    groups = pd.DataFrame({
        "group_id": gid, "members": member_lists, "customers": cust_lists,
        "member_count": np.diff(np.append(starts, len(order))).astype(np.int64), "customer_count": ncust,
        "exposure_fen": exposure.astype(np.int64), "share_of_tier1": ratio_texts(exposure, tier1),
        "limit_share": np.where(multi, str(lim.group_share), str(lim.single_customer_share)).astype(object),
        "limit_fen": lim_fen, "headroom_fen": lim_fen - exposure, "status": status, "rule": rule,
        "member_breaches": member_breaches, "binding_links": group_links,
    }, columns=GROUP_COLUMNS)
    rank = np.lexsort((gid, -exposure))
    groups = groups.iloc[rank].reset_index(drop=True)
    # members follow their group's rank, then id
    grank = np.empty(ng, dtype=np.int64)
    grank[rank] = np.arange(ng)
    mo = np.lexsort((order, grank[gpos]))
    members = members.iloc[mo].reset_index(drop=True)

    tie_out = _ties_table(f, ties, labels, comp_to_gid, keep_comp)
    return groups, members, tie_out


def _lists_by_key(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray, cap: int) -> list[list[str]]:
    """For each key of *wanted*: the *values* with that key (keys sorted), cut at *cap* with a "more" item."""
    if not len(keys):
        return [[] for _ in range(len(wanted))]
    lo = np.searchsorted(keys, wanted)
    hi = np.searchsorted(keys, wanted, side="right")
    vals = values.tolist()
    out = []
    for a, b in zip(lo.tolist(), hi.tolist()):
        if b - a <= cap:
            out.append(vals[a:b])
        else:
            out.append(vals[a:a + cap] + [f"… and {b - a - cap} more (see connection_ties)"])
    return out


def _ties_table(f: Facts, ties: pd.DataFrame, labels, group_id_of_comp, keep_comp) -> pd.DataFrame:
    if not len(ties):
        return pd.DataFrame({c: [] for c in TIE_COLUMNS})
    src_i = ties["src_i"].to_numpy(dtype=np.int64)
    lab = labels[src_i]
    gids = [group_id_of_comp.get(x, "") if j else "" for x, j in zip(lab.tolist(), ties["joins"].tolist())]
    out = pd.DataFrame({
        "src": f.ids[src_i], "dst": f.ids[ties["dst_i"].to_numpy(dtype=np.int64)], "type": ties["type"],
        "amount_fen": ties["amount_fen"], "share": ties["share"], "ratio": ties["ratio"],
        "threshold": ties["threshold"], "joins": ties["joins"], "group_id": gids, "reason": ties["reason"],
    })
    rank = np.lexsort((ties["type"].to_numpy(dtype=object), ties["dst_i"].to_numpy(), src_i))
    return out.iloc[rank].reset_index(drop=True)[TIE_COLUMNS]
