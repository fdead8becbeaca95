"""Stage: capital — tier-1 and net capital scaled to the generated book, for ``policy.toml``.

A rough grouping of connected clients (control over 50%, dependent guarantees and supplies,
shared repayment sources, households), measured on exposure (on-balance + CCF × off-balance −
cash margin, :func:`~channelgraph.graph.exposure.measure_exposure`), puts the largest group at
about 25% of tier-1 capital, over the 20% group limit.
"""

from __future__ import annotations


import numpy as np

from ..graph.exposure import measure_facilities
from ..model import RelationType
from ..policy import Policy
from .world import World


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64).tolist()

    def find(self, x: int) -> int:
        p = self.parent
        root = x
        while p[root] != root:
            root = p[root]
        while p[x] != root:
            p[x], x = root, p[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                ra, rb = rb, ra
            self.parent[ra] = rb


def measured_exposure(world: World) -> np.ndarray:
    """Each party's exposure as :func:`~channelgraph.graph.measure_exposure` measures it
    under the default policy (on-balance + CCF × off-balance − cash margin), in fen."""
    return measure_facilities(
        world.n_parties,
        world.facility_customer.astype(np.int64),
        world.facility_outstanding.astype(np.int64),
        world.facility_type,
        limit=world.facility_limit.astype(np.int64),
        undrawn=world.facility_undrawn,
        margin=world.facility_margin,
        maturity_days=world.facility_maturity,
        cancellable=world.facility_cancellable,
        rules=Policy().exposure,
    ).of_entity


def size_capital(world: World) -> dict:
    """Tier-1 and net capital so that the largest group of connected clients is ~25% of tier-1.

    Groups are joined roughly as the risk room joins them (control over 50%, guarantees summed
    per guarantor against its net assets, supply dependence on either side, a shared repayment
    source, households) and measured on their exposure, banks aside. Then the banks'
    placements are sized against it: the policy bank's (exempt) about 20% of tier-1, the first
    commercial bank's about 16% (a large exposure, over the 15% single-customer limit but within
    the 25% interbank one), the others' 2.5–7.5%.
    """
    n_parties = world.n_parties
    bank = world.is_interbank[:n_parties]
    uf = _UnionFind(n_parties)

    def join(src, dst) -> None:
        ok = ~(bank[src] | bank[dst])
        for x, y in zip(src[ok].tolist(), dst[ok].tolist()):
            uf.union(x, y)

    s, d, a, sh, *_ = world.edges_of(RelationType.CONTROLS).arrays()
    join(s[sh > 5000], d[sh > 5000])
    s, d, a, sh, *_ = world.edges_of(RelationType.GUARANTEES).arrays()
    given = np.zeros(n_parties, dtype=np.int64)
    np.add.at(given, s, a)
    m = given[s] * 2 >= world.net_assets[s]
    join(s[m], d[m])
    s, d, a, sh, *_ = world.edges_of(RelationType.SUPPLIES).arrays()
    m = (sh >= 5000) | (world.buyer_share >= 5000)
    join(s[m], d[m])
    for t in (RelationType.FAMILY, RelationType.SHARES_REPAYMENT_SOURCE):
        s, d, *_ = world.edges_of(t).arrays()
        join(s, d)
    exp = measured_exposure(world)[:n_parties]
    borrowers = np.flatnonzero((exp > 0) & ~bank)
    roots = np.array([uf.find(int(x)) for x in borrowers], dtype=np.int64)
    gexp = np.zeros(n_parties, dtype=np.int64)
    np.add.at(gexp, roots, exp[borrowers])
    top = int(gexp.max()) if len(gexp) else 0
    tier1 = max(-(-top * 4 // 1_000_000) * 1_000_000, 100_000_000)  # top ≈ 25% of tier-1, in 万元
    net = int(tier1 * 1.28) // 1_000_000 * 1_000_000
    world.tier1, world.net = tier1, net
    _size_banks(world, top)
    return {
        "tier1_capital_fen": tier1,
        "net_capital_fen": net,
        "largest_group_fen": top,
        "groups_over_2_5pct": int((gexp * 40 > tier1).sum()),
        "groups_over_20pct": int((gexp * 5 > tier1).sum()),
        "interbank": len(world.banks),
        "exempt": int((world.exempt >= 0).sum()),
    }


def _size_banks(world: World, top: int) -> None:
    """The banks' placements against the largest group (≈ 25% of tier-1), and their net assets."""
    x = world.ext
    for k, b in enumerate(world.banks.tolist()):
        share = 0.8 if k == 0 else 0.64 if k == 1 else float(x.uniform(0.1, 0.3))
        idx = np.flatnonzero(world.facility_customer == b)
        each = max(int(top * share / len(idx)) // 1_000_000, 1) * 1_000_000
        world.facility_outstanding[idx] = each
        world.facility_limit[idx] = each
        na = int(world.tier1 * float(x.uniform(1.0, 4.0))) // 1_000_000 * 1_000_000
        world.net_assets[b] = na
        world.revenue[b] = int(na * float(x.uniform(0.08, 0.15))) // 1_000_000 * 1_000_000
