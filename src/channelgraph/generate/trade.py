"""Stage: trade — supplier relations between enterprises (SUPPLIES), some of them economic dependence.

About 70% of enterprises supply one to three buyers, larger firms more often; about one in nine
suppliers sells most of its output to its first buyer (a dependent supplier), and at least one
does however small the book. Suppliers of medium and large firms are *core suppliers*, the
candidates for supply-chain finance.
"""

from __future__ import annotations

import numpy as np

from ..model import RelationType
from .world import World


def link_suppliers(world: World) -> None:
    """SUPPLIES: one to three buyers per supplier, some dependent on the first; marks core suppliers."""
    rng, n_persons, n_parties, n_enterprises = world.rng, world.n_persons, world.n_parties, world.n_enterprises
    sup = world.edges_of(RelationType.SUPPLIES)
    suppliers = world.take(np.arange(n_persons, n_parties), int(n_enterprises * 0.7))
    suppliers.sort()
    k = rng.choice([1, 2, 3], size=len(suppliers), p=[0.45, 0.33, 0.22])
    src = np.repeat(suppliers, k)
    pos = np.arange(len(src)) - np.repeat(np.cumsum(k) - k, k)
    w = (world.net_assets[n_persons:].astype(float) / 1e8) ** 0.8
    buyers = n_persons + rng.choice(n_enterprises, size=len(src), p=w / w.sum())
    clash = buyers == src
    buyers[clash] = n_persons + rng.integers(0, n_enterprises, size=int(clash.sum()))
    keep = buyers != src
    # shares: a dependent supplier sells most of its output to its first buyer
    dep = np.repeat(rng.random(len(suppliers)) < 0.11, k)
    known = np.repeat(rng.random(len(suppliers)) < 0.7, k)
    free = np.flatnonzero(~world.reserved[suppliers])
    if len(free):  # at least one dependent supplier, however small the world
        j = int(np.cumsum(k)[free[0]] - k[free[0]])
        dep[j : j + k[free[0]]] = True
        known[j : j + k[free[0]]] = True
        ok = np.flatnonzero(~world.reserved[n_persons:n_parties]) + n_persons
        ok = ok[ok != src[j]]
        if len(ok):  # it sells to the largest independent firm around
            buyers[j] = ok[int(np.argmax(world.net_assets[ok]))]
            keep[j] = True
    first_dep = rng.integers(55, 86, size=len(src)) * 100
    other = rng.integers(2, 8, size=len(src)) * 100
    spread = rng.integers(5, 31, size=len(src)) * 100
    # planted groups keep their own shape: nobody depends on them through supply, nor they on others
    dep &= ~(world.reserved[src] | world.reserved[buyers])
    share = np.where(dep, np.where(pos == 0, first_dep, other), spread)
    share = np.where(known, share, -1)
    sup.add(src[keep], buyers[keep], share=share[keep], since=world.since(int(keep.sum()), 2010, 2024))
    world.core_supplier = np.zeros(n_parties, dtype=bool)
    big = world.enterprise_size[buyers - n_persons] >= 2
    world.core_supplier[src[keep & big]] = True
    world.progress("structure", 9, 12)
