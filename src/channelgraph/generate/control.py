"""Stage: control groups — who controls which enterprise (CONTROLS), with shares above and below 50%.

The planted groups get their fixed holding structure (a flagship, a firm held through it, a
wife's stake, another holder's majority); every other enterprise gets a controlling person
(some bosses run several firms), often a second shareholder, and small firms are now and then
held by a larger one.
"""

from __future__ import annotations

import numpy as np

from ..model import RelationType
from .vocabulary import ROLE, _INDUSTRY_CODE
from .world import World


def assign_controllers(world: World) -> None:
    """CONTROLS: the planted groups' holdings, a controller for every other firm, co-holders, parents."""
    rng, n_persons, n_parties = world.rng, world.n_persons, world.n_parties
    ctl = world.edges_of(RelationType.CONTROLS)
    for key, g in enumerate(world.groups, 1):
        boss, firms = g["boss"], g["firms"]
        world.name_key[np.array(firms) - n_persons] = key
        world.person_role[boss] = 1
        world.net_assets[boss] = max(int(world.net_assets[boss]), 20_000_000 * 100)
        if g["mega"]:
            # flagship 0.85; 0.70; 0.60; 0.40 + wife 0.30; via flagship 0.75; 0.55; 0.35 (another holder 0.65)
            plan = [
                (boss, 0, 8500),
                (boss, 1, 7000),
                (boss, 2, 6000),
                (boss, 3, 4000),
                (g["spouse"], 3, 3000),
                (firms[0], 4, 7500),
                (boss, 5, 5500),
                (boss, 6, 3500),
            ]
            for holder, j, bp in plan:
                if j < len(firms) and holder >= 0 and holder != firms[j]:
                    role = (
                        "parent_company" if holder >= n_persons else "actual_controller" if bp > 5000 else "shareholder"
                    )
                    ctl.add([holder], [firms[j]], share=bp, role=ROLE[role])
                    if holder < n_persons and bp > 5000:
                        world.boss_of[firms[j] - n_persons] = holder
            for j in range(len(firms)):
                if world.boss_of[firms[j] - n_persons] < 0:
                    world.boss_of[firms[j] - n_persons] = boss
            if len(firms) > 6:
                other = world.planted_person(False, 1970)
                if other >= 0:
                    ctl.add([other], [firms[6]], share=6500, role=ROLE["actual_controller"])
                    world.person_role[other] = 1
            trades = ("纺织", "印染", "纺织", "化纤", "服装", "批发零售", "房地产")
            world.industry[firms] = [_INDUSTRY_CODE[x] for x in trades][: len(firms)]
            world.region[firms] = 0
            world.enterprise_size[firms[0] - n_persons] = 3
        else:
            shares = (
                [9000, 6500, 5100][: len(firms)]
                if g["weight"] > 0.5
                else [int(x) * 100 for x in rng.integers(55, 101, size=len(firms))]
            )
            for f, bp in zip(firms, shares):
                ctl.add([boss], [f], share=bp, role=ROLE["actual_controller"])
                world.boss_of[f - n_persons] = boss
        world.industry[boss] = world.industry[firms[0]]
    # every other enterprise has a controller; some bosses run several firms
    rest = rng.permutation(np.flatnonzero(~world.reserved[n_persons:n_parties])) + n_persons
    n = len(rest)
    if n == 0:
        return
    deg = np.where(rng.random(n) < 0.8, 1, 2 + np.minimum(rng.zipf(2.0, size=n) - 1, 6))
    cs = np.cumsum(deg)
    nb = int(np.searchsorted(cs, n)) + 1
    deg = deg[:nb]
    deg[-1] -= int(cs[nb - 1] - n)
    pool = np.flatnonzero((~world.reserved[:n_persons]) & (world.birth <= 1990))
    if len(pool) < nb:
        pool = np.flatnonzero(~world.reserved[:n_persons])
    bosses = world.take(pool, nb)
    if len(bosses) < nb:  # tiny worlds: recycle bosses
        bosses = np.resize(bosses, nb)
    firm_boss = np.repeat(bosses, deg)
    multi = np.repeat(deg > 1, deg)
    u = rng.random(n)
    s_single = np.where(u < 0.25, 100, np.where(u < 0.8, rng.integers(51, 96, n), rng.integers(25, 50, n)))
    s_multi = np.where(rng.random(n) < 0.65, rng.integers(51, 101, n), rng.integers(20, 50, n))
    share = (np.where(multi, s_multi, s_single) * 100).astype(np.int64)
    ctl.add(firm_boss, rest, share=share, role=np.where(share > 5000, ROLE["actual_controller"], ROLE["shareholder"]))
    world.boss_of[rest - n_persons] = firm_boss
    world.person_role[bosses] = 1
    world.birth[bosses] = np.minimum(world.birth[bosses], 1990)
    world.net_assets[bosses] = world.net_assets[bosses] * 3
    first_firm = np.full(n_persons, -1, dtype=np.int64)
    first_firm[firm_boss[::-1]] = rest[::-1]
    has = first_firm[bosses] >= 0
    world.industry[bosses[has]] = world.industry[first_firm[bosses[has]]]
    # second shareholders: the spouse when there is one, else another person
    m = (share < 10000) & (rng.random(n) < 0.6)
    sp = world.spouse[firm_boss[m]].astype(np.int64)
    rnd = rng.integers(0, n_persons, size=int(m.sum()))
    holder = np.where(sp >= 0, sp, rnd)
    room = 10000 - share[m]
    s2 = np.minimum(room, rng.integers(10, 50, size=len(room)) * 100)
    ok = (holder != firm_boss[m]) & (s2 > 0)
    ctl.add(holder[ok], rest[m][ok], share=s2[ok], role=ROLE["shareholder"])
    # enterprise → enterprise: small firms held by a larger one
    small = (~m) & (share < 5000) & (world.enterprise_size[rest - n_persons] == 0) & (rng.random(n) < 0.35)
    parents = np.flatnonzero(world.enterprise_size >= 1) + n_persons
    if len(parents) and small.any():
        par = parents[rng.integers(0, len(parents), size=int(small.sum()))]
        room = 10000 - share[small]
        s3 = np.maximum(5100, room - rng.integers(0, 20, size=len(room)) * 100)
        s3 = np.minimum(s3, room)
        ctl.add(par, rest[small], share=s3, role=ROLE["parent_company"])
    world.progress("structure", 3, 12)
