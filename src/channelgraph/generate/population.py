"""Stage: the population — persons and enterprises, planted key persons and groups, households, payroll.

* :func:`draw_parties`: region, industry, age, net assets and revenue of every person and
  enterprise, and which of them are customers (exact counts) or prospects;
* :func:`plant_key_persons_and_groups`: the star broker, the chamber president, the market's
  leading merchant and the planted groups of connected clients (a boss, his firms);
* :func:`form_households`: spouses, children and siblings (FAMILY);
* :func:`hire_payroll`: employees of enterprise customers (EMPLOYS).
"""

from __future__ import annotations

import math

import numpy as np

from ..model import RelationType
from .vocabulary import ROLE, _ENT_MEDIAN_NA, _INDUSTRY_CODE, _REGIONS
from .world import World


def draw_parties(world: World) -> None:
    """Region, industry, age, net assets and revenue of every party, and exactly who is a customer."""
    rng, n_persons, n_enterprises = world.rng, world.n_persons, world.n_enterprises
    n_parties, n_nodes = world.n_parties, world.n_nodes
    w = np.array([r[3] for r in _REGIONS], dtype=float)
    world.region = np.full(n_nodes, -1, dtype=np.int8)
    world.region[:n_parties] = rng.choice(len(_REGIONS), size=n_parties, p=w / w.sum())
    world.industry = np.full(n_nodes, -1, dtype=np.int8)
    # enterprise industries follow the region's economy
    ereg = world.region[n_persons:n_parties]
    eind = np.empty(n_enterprises, dtype=np.int8)
    for r, spec in enumerate(_REGIONS):
        idx = np.flatnonzero(ereg == r)
        names = list(spec[4])
        p = np.array([spec[4][n] for n in names], dtype=float)
        codes = np.array([_INDUSTRY_CODE[n] for n in names], dtype=np.int8)
        eind[idx] = codes[rng.choice(len(names), size=len(idx), p=p / p.sum())]
    world.industry[n_persons:n_parties] = eind
    # persons
    world.female = rng.random(n_persons) < 0.49
    world.birth = (1948 + np.floor(rng.beta(2.0, 1.9, size=n_persons) * 57)).astype(np.int16)  # 1948–2004
    world.hometown = np.full(n_persons, -1, dtype=np.int8)
    world.person_role = np.zeros(n_persons, dtype=np.int8)  # 0 none, 1 boss, 2 merchant, 3 channel staff, 9 planted
    world.spouse = np.full(n_persons, -1, dtype=np.int32)
    world.employed = np.zeros(n_persons, dtype=bool)
    net_assets = np.empty(n_parties, dtype=np.int64)
    revenue = np.empty(n_parties, dtype=np.int64)
    net_assets[:n_persons] = (
        np.clip(rng.lognormal(math.log(400_000), 1.1, n_persons), 5_000, 3e8).astype(np.int64) // 100 * 100
    )
    revenue[:n_persons] = (
        np.clip(rng.lognormal(math.log(110_000), 0.65, n_persons), 24_000, 2e7).astype(np.int64) // 100 * 100
    )
    world.enterprise_size = rng.choice(4, size=n_enterprises, p=[0.75, 0.2, 0.045, 0.005]).astype(np.int8)
    med = np.array(_ENT_MEDIAN_NA, dtype=float)[world.enterprise_size]
    # a small extract holds no giant: the cap grows with the book (40M yuan at 300 customers, 2.3bn at 1M)
    cap = 40_000_000 * math.sqrt(max(world.n_customers, 300) / 300)
    ena = np.clip(rng.lognormal(0, 0.6, n_enterprises) * med, 100_000, cap)
    net_assets[n_persons:] = ena.astype(np.int64) // 1000 * 1000
    revenue[n_persons:] = (ena * rng.lognormal(math.log(1.5), 0.45, n_enterprises)).astype(np.int64) // 1000 * 1000
    world.net_assets, world.revenue = net_assets * 100, revenue * 100  # fen
    world.name_key = np.full(n_enterprises, -1, dtype=np.int32)  # shared 字号 key of a group's firms
    # customers: exact counts
    world.is_customer = np.zeros(n_parties, dtype=bool)
    world.is_customer[rng.permutation(n_persons)[: world.n_person_customers]] = True
    world.is_customer[n_persons + rng.permutation(n_enterprises)[: world.n_enterprise_customers]] = True
    world.referred = np.zeros(n_parties, dtype=bool)
    world.sourced = np.full(n_parties, -1, dtype=np.int32)  # intermediary global index
    world.chamber_of = np.full(n_parties, -1, dtype=np.int32)  # first chamber (global index)
    world.market_of = np.full(n_parties, -1, dtype=np.int32)
    world.reserved = np.zeros(n_parties, dtype=bool)
    world.boss_of = np.full(n_enterprises, -1, dtype=np.int32)  # controlling person of each enterprise
    # customer pools in random order; planted roles are taken from their front
    world.customer_persons = rng.permutation(np.flatnonzero(world.is_customer[:n_persons]))
    world.customer_firms = n_persons + rng.permutation(np.flatnonzero(world.is_customer[n_persons:]))
    world._next_person = 0
    world._next_firm = 0


def plant_key_persons_and_groups(world: World) -> None:
    """Reserve the star broker, chamber president, market leader and the planted groups' bosses and firms."""
    n_customers, rng = world.n_customers, world.rng
    root = math.sqrt(n_customers / 300)
    world.star_broker = world.planted_person(True, 1986)
    world.chamber_president = world.planted_person(True, 1968)
    world.market_leader = world.planted_person(False, 1972)
    world.star_referrals = 26 + round(2.5 * root)
    world.president_referrals = 12 + round(2 * root)
    world.leader_referrals = 10 + round(1.5 * root)
    # groups of connected clients: (boss, firms, weight of the group's borrowing)
    world.groups = []
    nm = 7 if world.n_enterprise_customers >= 40 else max(2, world.n_enterprise_customers // 6)
    boss = world.planted_person(False, 1963)
    wife = world.planted_person(True, 1965)
    firms = world.planted_firms(nm)
    if boss >= 0 and len(firms) >= 2:
        world.groups.append({"boss": boss, "spouse": wife, "firms": firms, "weight": 1.0, "mega": True})
    n_firms = world.n_enterprise_customers
    n_mid = 0 if n_firms < 30 else (4 if n_firms < 200 else 4 + n_customers // 100_000)
    for i in range(n_mid):
        k = 3 if i == 0 else 2 + int(rng.integers(0, 2))
        b = world.planted_person(False, int(rng.integers(1958, 1980)))
        fs = world.planted_firms(k)
        if b < 0 or not fs:
            break
        weight = 0.55 if i == 0 else float(rng.uniform(0.13, 0.32))
        world.groups.append({"boss": b, "spouse": -1, "firms": fs, "weight": weight, "mega": False})
    world.progress("structure", 1, 12)


def form_households(world: World) -> None:
    """FAMILY: spouses, children and siblings among the unreserved persons."""
    rng, n_persons = world.rng, world.n_persons
    fam = world.edges_of(RelationType.FAMILY)
    for g in world.groups:  # the planted boss and his wife
        if g["spouse"] >= 0:
            world.spouse[g["boss"]], world.spouse[g["spouse"]] = g["spouse"], g["boss"]
            fam.add([g["boss"]], [g["spouse"]], role=ROLE["spouse"])
    free = np.flatnonzero(~world.reserved[:n_persons])
    pool = rng.permutation(free)[: int(len(free) * 0.85)]
    sizes = rng.choice([2, 3, 4, 5], size=len(pool) // 2 + 1, p=[0.38, 0.34, 0.21, 0.07])
    cut = int(np.searchsorted(np.cumsum(sizes), len(pool), side="right"))
    sizes = sizes[:cut]
    if not len(sizes):
        return
    off = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    a, b = pool[off], pool[off + 1]
    world.female[a], world.female[b] = False, True
    with_kids = sizes >= 3
    world.birth[a[with_kids]] = rng.integers(1950, 1977, size=int(with_kids.sum()))
    world.birth[b] = np.clip(world.birth[a] + rng.integers(-2, 5, size=len(b)), 1948, 2002)
    world.spouse[a], world.spouse[b] = b, a
    fam.add(a, b, role=ROLE["spouse"])
    for k in range(2, 5):
        m = sizes > k
        c = pool[off[m] + k]
        world.birth[c] = np.minimum(world.birth[a[m]] + rng.integers(24, 33, size=len(c)), 2004)
        fam.add(a[m], c, role=ROLE["parent_child"])
        fam.add(b[m], c, role=ROLE["parent_child"])
        if k >= 3:
            fam.add(pool[off[m] + k - 1], c, role=ROLE["sibling"])
    world.progress("structure", 2, 12)


def hire_payroll(world: World) -> None:
    """EMPLOYS: 90% of working-age persons without a role or job work for enterprise customers."""
    rng, n_persons = world.rng, world.n_persons
    emp = world.edges_of(RelationType.EMPLOYS)
    employers = np.flatnonzero(world.is_customer[n_persons:]) + n_persons
    if not len(employers):
        return
    w = np.array([1.0, 8.0, 60.0, 400.0])[world.enterprise_size[employers - n_persons]] * rng.lognormal(
        0, 1.0, len(employers)
    )
    pool = np.flatnonzero(
        (world.person_role == 0)
        & ~world.employed
        & ~world.reserved[:n_persons]
        & (world.birth >= 1962)
        & (world.birth <= 2003)
    )
    staff = world.take(pool, int(len(pool) * 0.9))
    staff.sort()
    boss = employers[rng.choice(len(employers), size=len(staff), p=w / w.sum())]
    emp.add(boss, staff, since=world.since(len(staff), 2005, 2024))
    world.employed[staff] = True
    world.progress("structure", 8, 12)
