"""Campaign seed list: k hubs that together reach the most distinct untapped prospects.

Maximum coverage by the greedy algorithm — pick the hub adding the most prospects not yet
reached, k times — which reaches at least (1 − 1/e) of the best possible coverage
(Nemhauser, Wolsey & Fisher 1978), evaluated lazily: a hub's gain can only shrink as
others are picked, so stale gains are upper bounds and only the hub on top of the queue
is re-evaluated (Minoux 1978, "accelerated greedy"; Leskovec et al. 2007, CELF). Initial
bounds are the 2-hop prospect counts of every candidate, so a hub's reach set is built
only when it reaches the top of the queue: the run is bounded on a million nodes.

Seeds are entities the bank already works with — customers and channels (a prospect is a
target, not someone to visit for referrals). A seed *reaches* the untapped prospects within
two hops of it (the relay rule of
:func:`~channelgraph.marketing.centrality.two_hop_reach`), itself excluded. Gains tie to
the smaller id. The list stops early when no hub adds a prospect.

Scopes: ``channel=ID`` — seeds are the channel's customer members and staff, prospects are
its untapped members, and paths *through the channel itself* are ignored (otherwise every
member would reach every other): who inside the chamber reaches the most members by their
own ties. ``region=R`` — seeds and prospects are those with that region.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..graph import Book
from ._graph import MarketingGraph, rnd, view_for
from ._risk import risk_flags
from .centrality import two_hop_reach, two_hop_set
from .hubs import HubScores, reach_of

if TYPE_CHECKING:  # pragma: no cover
    from ..risk import RiskResult

#: Hubs on the seed list when k is not given.
DEFAULT_K = 10
#: Newly reached prospect ids listed per pick (the gain column counts them all).
NEW_PROSPECTS_LISTED = 10

CAMPAIGN_COLUMNS = [
    "pick",
    "id",
    "name",
    "kind",
    "region",
    "marginal_gain",
    "cumulative_reach",
    "coverage",
    "prospects_reached",
    "hub_rank",
    "new_prospects",
    "scope",
    "risk_flag",
    "risk_top_source",
    "risk_source_rank",
    "risk_breached_group",
    "risk_group_id",
]


class ScopeError(ValueError):
    """An unknown channel or region for the campaign scope; *option* names it (``--channel``, ``--region``)."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


def _scope(v: MarketingGraph, channel: str | None, region: str | None):
    """(adjacency, candidate mask, target mask, scope text) for the campaign."""
    A = v.adjacency
    cand = ~v.prospect
    target = v.prospect.copy()
    text = "all"
    if channel is not None:
        try:
            c = v.index_of(channel)
        except KeyError:
            raise ScopeError(f"unknown channel {channel!r}", "--channel") from None
        if v.kind[c] not in ("chamber", "market", "intermediary"):
            raise ScopeError(f"{channel!r} is a {v.kind[c]}, not a chamber, market or intermediary", "--channel")
        cidx, midx = v.channel_members
        mem = np.zeros(v.n, dtype=bool)
        mem[midx[cidx == c]] = True
        es, ed, _ = v.edges["EMPLOYS"]
        cand = mem.copy()
        cand[ed[es == c]] = True
        cand &= ~v.prospect
        target &= mem
        keep = np.ones(v.n)
        keep[c] = 0
        D = sp.diags(keep)
        A = (D @ A @ D).tocsr()
        A.eliminate_zeros()
        A.sort_indices()
        text = f"channel {channel}"
    if region is not None:
        inreg = v.region == region
        if not inreg.any():
            raise ScopeError(f"no entity has region {region!r}", "--region")
        cand &= inreg
        target &= inreg
        text = f"region {region}" if text == "all" else f"{text}, region {region}"
    return A, cand, target, text


def campaign_seeds(
    book: Book,
    policy=None,
    *,
    k: int = DEFAULT_K,
    channel: str | None = None,
    region: str | None = None,
    risk: RiskResult | None = None,
    view: MarketingGraph | None = None,
    reach: tuple[np.ndarray, np.ndarray] | None = None,
    scores: HubScores | None = None,
) -> pd.DataFrame:
    """Pick *k* hubs that together reach the most distinct untapped prospects (lazy greedy).

    Parameters
    ----------
    book, policy, view
        As for :func:`~channelgraph.marketing.hubs.rank_hubs`.
    k : int
        How many hubs (default :data:`DEFAULT_K`).
    channel : str, optional
        Campaign inside one chamber, market or intermediary (see the module text).
    region : str, optional
        Campaign inside one region.
    risk : channelgraph.risk.RiskResult, optional
        For the risk flags.
    reach : (numpy.ndarray, numpy.ndarray), optional
        :func:`~channelgraph.marketing.hubs.reach_of` the view, when already computed (read
        only without a scope; computed here when None).
    scores : HubScores, optional
        :func:`~channelgraph.marketing.hubs.hub_scores` of the view, to show each pick's hub
        rank (``hub_rank`` is empty without it).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CAMPAIGN_COLUMNS`: ``marginal_gain`` prospects newly reached by the
        pick, ``cumulative_reach`` after it, ``coverage`` = cumulative / all prospects in
        scope, ``prospects_reached`` the pick's own reach. ``df.attrs["prospects_in_scope"]``.

    References
    ----------
    Nemhauser, Wolsey & Fisher (1978), Math. Programming 14; Minoux (1978), Accelerated greedy
    algorithms for maximizing submodular set functions; Leskovec, Krause, Guestrin, Faloutsos,
    VanBriesen & Glance (2007), Cost-effective outbreak detection in networks (CELF), KDD.

    Examples
    --------
    >>> import pandas as pd
    >>> from channelgraph.graph import build_book
    >>> from channelgraph.io import dataset_from_frames
    >>> ent = pd.DataFrame({"id": ["A", "B", "x1", "x2", "x3"], "kind": ["person"] * 5,
    ...                     "name": list("ABxyz"), "is_customer": ["1", "1", "0", "0", "0"]})
    >>> rel = pd.DataFrame({"src": ["A", "A", "B"], "dst": ["x1", "x2", "x3"], "type": ["FAMILY"] * 3})
    >>> exp = pd.DataFrame({"facility_id": ["F1"], "customer_id": ["A"], "outstanding": ["1"]})
    >>> book = build_book(dataset_from_frames(ent, rel, exp))
    >>> campaign_seeds(book, k=3)[["pick", "id", "marginal_gain", "cumulative_reach"]].to_dict("records")
    [{'pick': 1, 'id': 'A', 'marginal_gain': 2, 'cumulative_reach': 2}, {'pick': 2, 'id': 'B', 'marginal_gain': 1, 'cumulative_reach': 3}]
    """
    policy = policy or book.policy
    if k < 1:
        raise ValueError("k must be at least 1")
    v = view_for(book, policy, view)
    A, cand, target, scope = _scope(v, channel, region)
    if channel is None and region is None:
        _, bound = reach_of(v) if reach is None else reach
    else:
        _, bound = two_hop_reach(A, target)
    total = int(target.sum())
    flags = risk_flags(v, risk)
    ftext = flags.text()
    hub_rank = None if scores is None else scores.rank

    # candidates with a positive bound, best first (ties by index = by id)
    ci = np.flatnonzero(cand & (bound > 0))
    ci = ci[np.lexsort((ci, -bound[ci]))]
    covered = np.zeros(v.n, dtype=bool)
    heap: list = []  # (-gain, index, round evaluated, reach set)
    nxt = 0  # next never-evaluated candidate in ci (its bound is its initial reach)
    picks = []  # (index, gain, reach set, newly reached)
    for rnd_no in range(k):
        chosen = None
        while chosen is None:
            top = heap[0] if heap else None
            if nxt < ci.size and (top is None or (-bound[ci[nxt]], ci[nxt]) < top[:2]):
                # a never-evaluated candidate whose bound beats the queue: evaluate it now
                i = int(ci[nxt])
                nxt += 1
                s = two_hop_set(A, i, target)
                heapq.heappush(heap, (-int((~covered[s]).sum()), i, rnd_no, s))
            elif top is None:
                break
            else:
                g, i, r, s = heapq.heappop(heap)
                if r == rnd_no:  # evaluated this round and still on top: the best
                    chosen = (i, -g, s)
                else:  # stale: re-evaluate and put back
                    heapq.heappush(heap, (-int((~covered[s]).sum()), i, rnd_no, s))
        if chosen is None or chosen[1] == 0:
            break
        i, gain, s = chosen
        new = s[~covered[s]]
        covered[new] = True
        picks.append((i, gain, s, new))

    rows = []
    cum = 0
    for n_pick, (i, gain, s, new) in enumerate(picks, start=1):
        cum += gain
        rows.append(
            {
                "pick": n_pick,
                "id": v.ids[i],
                "name": v.name[i],
                "kind": v.kind[i],
                "region": v.region[i],
                "marginal_gain": int(gain),
                "cumulative_reach": cum,
                "coverage": rnd(cum / total).item() if total else 0.0,
                "prospects_reached": int(s.size),
                "hub_rank": int(hub_rank[i]) if hub_rank is not None else None,
                "new_prospects": [str(x) for x in v.ids[new[:NEW_PROSPECTS_LISTED]]],
                "scope": scope,
                "risk_flag": ftext[i],
                "risk_top_source": bool(flags.source_rank[i] > 0),
                "risk_source_rank": int(flags.source_rank[i]) or None,
                "risk_breached_group": bool(flags.breach_group[i] != ""),
                "risk_group_id": flags.breach_group[i],
            }
        )
    df = pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)
    for c in ("hub_rank", "risk_source_rank"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    df.attrs.update(
        {
            "prospects_in_scope": total,
            "scope": scope,
            "k": int(k),
            "risk": {"available": flags.available, "note": flags.note},
        }
    )
    return df
