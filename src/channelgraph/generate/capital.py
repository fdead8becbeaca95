"""Stage: capital — tier-1 and net capital scaled to the generated book, for ``policy.toml``.

A rough grouping of connected clients (control over 50%, dependent guarantees and supplies,
households) puts the largest group at about 25% of tier-1 capital, over the 20% group limit.
"""

from __future__ import annotations

import numpy as np

from ..model import RelationType
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


def size_capital(world: World) -> dict:
    """Tier-1 and net capital so that the largest group of connected clients is ~25% of tier-1."""
    n_parties = world.n_parties
    uf = _UnionFind(n_parties)
    s, d, a, sh, *_ = world.edges_of(RelationType.CONTROLS).arrays()
    for x, y in zip(s[sh > 5000].tolist(), d[sh > 5000].tolist()):
        uf.union(x, y)
    s, d, a, sh, *_ = world.edges_of(RelationType.GUARANTEES).arrays()
    m = a * 2 >= world.net_assets[s]
    for x, y in zip(s[m].tolist(), d[m].tolist()):
        uf.union(x, y)
    s, d, a, sh, *_ = world.edges_of(RelationType.SUPPLIES).arrays()
    for x, y in zip(s[sh >= 5000].tolist(), d[sh >= 5000].tolist()):
        uf.union(x, y)
    s, d, *_ = world.edges_of(RelationType.FAMILY).arrays()
    for x, y in zip(s.tolist(), d.tolist()):
        uf.union(x, y)
    exp = np.zeros(n_parties, dtype=np.int64)
    np.add.at(exp, world.facility_customer, world.facility_outstanding)
    borrowers = np.flatnonzero(exp > 0)
    roots = np.array([uf.find(int(x)) for x in borrowers], dtype=np.int64)
    gexp = np.zeros(n_parties, dtype=np.int64)
    np.add.at(gexp, roots, exp[borrowers])
    top = int(gexp.max()) if len(gexp) else 0
    tier1 = max(-(-top * 4 // 1_000_000) * 1_000_000, 100_000_000)  # top ≈ 25% of tier-1, in 万元
    net = int(tier1 * 1.28) // 1_000_000 * 1_000_000
    world.tier1, world.net = tier1, net
    return {
        "tier1_capital_fen": tier1,
        "net_capital_fen": net,
        "largest_group_fen": top,
        "groups_over_2_5pct": int((gexp * 40 >= tier1).sum()),
        "groups_over_20pct": int((gexp * 5 > tier1).sum()),
    }
