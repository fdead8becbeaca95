"""Channel profiles for batch marketing (批量营销): chambers, markets and intermediaries.

A channel's *members* are the persons and enterprises tied to it by MEMBER_OF (chamber),
TRADES_IN (market) or SOURCED_VIA (intermediary), plus those the channel itself REFERRED
(an agency referring its clients); each counted once. Its *staff* are the persons it
EMPLOYS. For each channel: members, customers, untapped prospects, penetration
(customers / members), the members' outstanding and non-performing outstanding, the key
persons inside it — role holders (a role on their tie to the channel: president, leading
merchant, store manager …; not a generic "staff") and the top referrers among members and staff — and the
schemes tied to it.

Channels are ranked for a batch campaign by untapped prospects (the upside of one
campaign), then customers (the bank's foothold: people who can vouch for it), then id.
Risk flags mark a channel that is itself a top single risk source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..graph import Book
from ..model import NON_PERFORMING, format_yuan_human
from ._graph import MEMBER_TYPES, MarketingGraph, rnd, view_for
from ._risk import risk_flags

if TYPE_CHECKING:  # pragma: no cover
    from ..risk import RiskResult

#: Role holders and top referrers listed per channel (the counts say how many in all).
KEY_PERSONS_LISTED = 10
TOP_REFERRERS_LISTED = 3
#: Roles on a tie to a channel that do not make a key person (a secretariat clerk).
GENERIC_ROLES = frozenset({"staff", "employee", "member"})

CHANNEL_COLUMNS = [
    "rank",
    "channel_id",
    "name",
    "kind",
    "region",
    "members",
    "customers",
    "prospects",
    "penetration",
    "members_outstanding_fen",
    "members_npl_fen",
    "staff",
    "role_holders",
    "key_persons",
    "top_referrers",
    "schemes",
    "why",
    "risk_flag",
    "risk_top_source",
    "risk_source_rank",
]


def _npl_by_customer(book: Book) -> np.ndarray:
    """Non-performing outstanding (fen) per entity, from the book's facilities."""
    out = np.zeros(book.n, dtype=np.int64)
    status = book.tables.exposures["status"]
    bad = status.isin([s.value for s in NON_PERFORMING]).to_numpy(dtype=bool)
    np.add.at(out, book.fac_customer[bad], book.fac_outstanding[bad])
    return out


def channel_profiles(
    book: Book, policy=None, *, risk: RiskResult | None = None, view: MarketingGraph | None = None
) -> pd.DataFrame:
    """Profile every chamber, market and intermediary and rank them for a batch campaign.

    Parameters
    ----------
    book, policy, view
        As for :func:`~channelgraph.marketing.hubs.rank_hubs`.
    risk : channelgraph.risk.RiskResult, optional
        The risk room's result, to flag channels that are top single risk sources.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHANNEL_COLUMNS`, one row per channel, ranked. ``key_persons`` lists
        ``id:role`` (role holders, most converted referrals first, then by id; generic
        roles in :data:`GENERIC_ROLES` do not make a key person), ``top_referrers``
        ``id:converted`` (members and staff with the most converted referrals).

    Examples
    --------
    >>> import pandas as pd
    >>> from channelgraph.graph import build_book
    >>> from channelgraph.io import dataset_from_frames
    >>> ent = pd.DataFrame({"id": ["C", "P1", "P2", "P3"], "kind": ["chamber", "person", "person", "person"],
    ...                     "name": ["商会", "a", "b", "c"], "is_customer": ["0", "1", "0", "0"]})
    >>> rel = pd.DataFrame({"src": ["P1", "P2", "P3"], "dst": ["C", "C", "C"], "type": ["MEMBER_OF"] * 3,
    ...                     "role": ["president", "", ""]})
    >>> exp = pd.DataFrame({"facility_id": ["F1"], "customer_id": ["P1"], "outstanding": ["100"]})
    >>> ch = channel_profiles(build_book(dataset_from_frames(ent, rel, exp)))
    >>> ch[["channel_id", "members", "customers", "prospects", "penetration", "key_persons"]].to_dict("records")
    [{'channel_id': 'C', 'members': 3, 'customers': 1, 'prospects': 2, 'penetration': 0.33333333, 'key_persons': ['P1:president']}]
    """
    policy = policy or book.policy
    v = view_for(book, policy, view)
    chs = np.flatnonzero(v.is_channel)
    cidx, midx = v.channel_members
    n = v.n
    members = np.bincount(cidx, minlength=n)
    customers = np.bincount(cidx[v.is_customer[midx]], minlength=n)
    prospects = np.bincount(cidx[v.prospect[midx]], minlength=n)
    out_fen = np.zeros(n, dtype=np.int64)
    np.add.at(out_fen, cidx, v.outstanding_fen[midx])
    npl = _npl_by_customer(book)
    npl_fen = np.zeros(n, dtype=np.int64)
    np.add.at(npl_fen, cidx, npl[midx])
    _, converted, _ = v.referrals

    # staff and role holders
    es, ed, er = v.edges["EMPLOYS"]
    is_ch = v.is_channel
    sm = is_ch[es]
    staff_c, staff_p, staff_r = es[sm], ed[sm], er[sm]
    staff = np.bincount(staff_c, minlength=n)
    roles: dict[int, dict[int, set]] = {}
    for t in MEMBER_TYPES:
        s, d, r = v.edges[t]
        m = is_ch[d] & (r != "") & ~np.isin(r, list(GENERIC_ROLES))
        for c, p, role in zip(d[m].tolist(), s[m].tolist(), r[m].tolist()):
            roles.setdefault(c, {}).setdefault(p, set()).add(role)
    m = (staff_r != "") & ~np.isin(staff_r, list(GENERIC_ROLES))
    for c, p, role in zip(staff_c[m].tolist(), staff_p[m].tolist(), staff_r[m].tolist()):
        roles.setdefault(c, {}).setdefault(p, set()).add(role)

    # people per channel (members and staff) for the top referrers
    people_c = np.concatenate([cidx, staff_c])
    people_p = np.concatenate([midx, staff_p])
    ref = converted[people_p] > 0
    pc, pp = people_c[ref], people_p[ref]
    key = np.unique(pc * n + pp)
    pc, pp = key // n, key % n
    o = np.lexsort((pp, -converted[pp], pc))
    pc, pp = pc[o], pp[o]
    starts = np.searchsorted(pc, chs)
    ends = np.searchsorted(pc, chs, side="right")

    schemes: dict[str, list[str]] = {}
    sch = book.tables.schemes
    if len(sch):
        for sid, cid in sorted(zip(sch["scheme_id"].tolist(), sch["channel_id"].tolist())):
            schemes.setdefault(cid, []).append(sid)
    flags = risk_flags(v, risk)
    ftext = flags.text()

    rows = []
    for j, c in enumerate(chs.tolist()):
        holders = roles.get(c, {})
        hold_order = sorted(holders, key=lambda p: (-converted[p], p))
        kp = [f"{v.ids[p]}:{'/'.join(sorted(holders[p]))}" for p in hold_order[:KEY_PERSONS_LISTED]]
        tr = [f"{v.ids[p]}:{int(converted[p])}" for p in pp[starts[j] : ends[j]][:TOP_REFERRERS_LISTED].tolist()]
        mem, cu, pro = int(members[c]), int(customers[c]), int(prospects[c])
        pen = rnd(cu / mem).item() if mem else 0.0
        rows.append(
            {
                "channel_id": v.ids[c],
                "name": v.name[c],
                "kind": v.kind[c],
                "region": v.region[c],
                "members": mem,
                "customers": cu,
                "prospects": pro,
                "penetration": pen,
                "members_outstanding_fen": int(out_fen[c]),
                "members_npl_fen": int(npl_fen[c]),
                "staff": int(staff[c]),
                "role_holders": len(holders),
                "key_persons": kp,
                "top_referrers": tr,
                "schemes": schemes.get(v.ids[c], []),
                "why": _why(mem, cu, pro, pen, int(out_fen[c]), kp, tr),
                "risk_flag": ftext[c],
                "risk_top_source": bool(flags.source_rank[c] > 0),
                "risk_source_rank": int(flags.source_rank[c]) or None,
            }
        )
    df = pd.DataFrame(rows, columns=[c for c in CHANNEL_COLUMNS if c != "rank"])
    if len(df):
        df = df.sort_values(
            ["prospects", "customers", "channel_id"], ascending=[False, False, True], kind="mergesort"
        ).reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    df["risk_source_rank"] = pd.array(df["risk_source_rank"].tolist(), dtype="Int64")
    df.attrs["risk"] = {"available": flags.available, "note": flags.note}
    return df


def _why(mem, cu, pro, pen, out_fen, kp, tr) -> str:
    if not mem:
        return "no members"
    parts = [f"{pro} untapped prospects among {mem} members ({pen:.0%} already customers)"]
    if out_fen:
        parts.append(f"members owe {format_yuan_human(out_fen)} yuan")
    if kp:
        parts.append("key persons " + ", ".join(kp[:3]))
    if tr:
        parts.append("top referrers " + ", ".join(tr))
    return "; ".join(parts)
