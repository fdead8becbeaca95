"""Stage: channels — chambers and associations, professional markets, intermediaries, referrals.

* :func:`form_chambers`: hometown chambers and industry associations (MEMBER_OF), their
  officers' referrals and secretariat staff;
* :func:`form_markets`: professional markets with the large textile market first (TRADES_IN),
  leading merchants' referrals and market staff;
* :func:`form_intermediaries`: broker stores and loan-assistance agencies, their agents, and the
  customers they source (SOURCED_VIA, REFERRED);
* :func:`spread_referrals`: heavy-tailed (Pareto) word-of-mouth referrals among customers;
* :func:`attach_lone_prospects`: every prospect still unlinked becomes someone's referred lead.
"""

from __future__ import annotations

import numpy as np

from ..model import RelationType
from .vocabulary import (
    ROLE,
    _AGENCY_WORDS,
    _BROKER_BRANDS,
    _HOMETOWNS,
    _INDUSTRIES,
    _INDUSTRY_CODE,
    _MARKETS,
    _MARKET_GOODS,
    _PLACES,
    _REGIONS,
    _ZIHAO,
    _day,
)
from .world import World


def form_chambers(world: World) -> None:
    """Chambers and associations with members, officers, their referrals and secretariat staff."""
    rng, n_persons, n_parties, n_chambers = world.rng, world.n_persons, world.n_parties, world.n_chambers
    mem = world.edges_of(RelationType.MEMBER_OF)
    # names: two fixed communities first, then hometown chambers and industry associations
    cands = [
        ("绍兴市温州商会", 1, -1, 0),
        ("柯桥区纺织行业协会", 0, _INDUSTRY_CODE["纺织"], -1),
        ("绍兴市福建商会", 1, -1, 1),
        ("绍兴市印染行业协会", 1, _INDUSTRY_CODE["印染"], -1),
    ]
    rest = []
    for h, (town, _) in enumerate(_HOMETOWNS):
        if h > 1:
            rest.append((f"绍兴市{town}商会", 1, -1, h))
        for r, reg in enumerate(_REGIONS):
            rest.append((f"{reg[0]}{town}商会", r, -1, h))
    for ind in _INDUSTRIES:
        if ind != "印染":
            rest.append((f"绍兴市{ind}行业协会", 1, _INDUSTRY_CODE[ind], -1))
        for r, reg in enumerate(_REGIONS):
            if not (r == 0 and ind == "纺织"):
                rest.append((f"{reg[0]}{ind}商会", r, _INDUSTRY_CODE[ind], -1))
    rest += [
        ("绍兴市女企业家协会", 1, -1, -1),
        ("绍兴市青年企业家协会", 1, -1, -1),
        ("柯桥区个体劳动者协会", 0, -1, -1),
    ]
    order = rng.permutation(len(rest))
    cands += [rest[i] for i in order]
    while len(cands) < n_chambers:  # only for very large worlds
        base = cands[len(cands) % len(rest) + 4]
        cands.append((f"{base[0]}第{len(cands)}分会", base[1], base[2], base[3]))
    total = round(0.25 * n_parties)
    w = (np.arange(n_chambers) + 1.0) ** -0.9
    # a chamber has dozens to a few thousand members, never tens of thousands
    cap = max(80, min(3000, world.n_customers // 50))
    sizes = np.clip(np.floor(total * w / w.sum()), 6, cap).astype(np.int64)
    ent_all = np.arange(n_persons, n_parties)
    ent_by_ind = {
        i: np.flatnonzero(world.industry[n_persons:n_parties] == i) + n_persons for i in range(len(_INDUSTRIES))
    }
    bosses = np.flatnonzero((world.person_role == 1) & ~world.reserved[:n_persons])
    others = np.flatnonzero((world.person_role == 0) & ~world.reserved[:n_persons] & (world.birth <= 1992))
    in0 = np.zeros(n_parties, dtype=bool)
    world.chamber_members = []
    for c in range(n_chambers):
        name, r, ind, home = cands[c]
        g = world.first_chamber + c
        seg = "hometown_chamber" if home >= 0 else "industry_association"
        world.channels.append({"name": name, "region": r, "industry": ind, "segment": seg})
        world.region[g], world.industry[g] = r, ind
        size = int(sizes[c])
        n_ent = size // 2
        epool = ent_by_ind.get(ind) if ind >= 0 else ent_all
        if epool is None or len(epool) < n_ent:
            epool = ent_all
        n_boss = (size - n_ent) * 7 // 10
        bpool, opool = bosses, others
        if c == 1:  # the second community shares only its vice president with the first
            epool, bpool, opool = epool[~in0[epool]], bpool[~in0[bpool]], opool[~in0[opool]]
        members = np.concatenate(
            [world.take(bpool, n_boss), world.take(opool, size - n_ent - n_boss), world.take(epool, n_ent)]
        )
        members = members[rng.permutation(len(members))]
        persons = members[members < n_persons]
        pres = -1
        roles = np.zeros(len(members), dtype=np.int8)
        if c == 0 and world.chamber_president >= 0:
            pres = world.chamber_president
        elif c == 1 and world.chamber_president >= 0:
            mem.add([world.chamber_president], [g], role=ROLE["vice_president"], since=[_day(2019, 3, 16)])
        if pres < 0 and len(persons):
            pres = int(persons[0])
        pos = {int(p): i for i, p in enumerate(members)}
        officers = [p for p in persons.tolist() if p != pres][:5]
        for j, p in enumerate(officers):
            roles[pos[p]] = ROLE["secretary_general"] if j == len(officers) - 1 and j >= 1 else ROLE["vice_president"]
        if pres >= 0:
            if pres in pos:
                roles[pos[pres]] = ROLE["president"]
            else:
                mem.add([pres], [g], role=ROLE["president"], since=[_day(2012, 6, 1)])
        mem.add(members, g, role=roles)
        allm = members if pres < 0 or pres in pos else np.append(members, pres)
        if c == 0:
            in0[allm] = True
        world.chamber_members.append(allm)
        first = allm[world.chamber_of[allm] < 0]
        world.chamber_of[first] = g
        if home >= 0:
            pm = allm[allm < n_persons]
            world.hometown[pm] = home
        # the president and vice presidents refer members to the bank
        if pres >= 0:  # other presidents refer fewer than the planted one
            other = int(rng.integers(world.president_referrals // 4, world.president_referrals * 2 // 3 + 1))
            world.refer_members(pres, members, world.president_referrals if c == 0 else min(len(members) // 6, other))
        for vp in officers[:3]:
            cand = members[(members != vp) & ~world.referred[members]]
            world.refer(vp, world.take(cand, int(rng.integers(1, 4))))
        world.hire_staff(g, 1 + size // 400)  # the chamber's secretariat
    world.progress("structure", 4, 12)


def form_markets(world: World) -> None:
    """Professional markets (the textile market first) with merchants, leading merchants and staff."""
    rng, n_persons, n_parties = world.rng, world.n_persons, world.n_parties
    n_markets, n_customers = world.n_markets, world.n_customers
    tr = world.edges_of(RelationType.TRADES_IN)
    cands = [
        (n, next(i for i, r in enumerate(_REGIONS) if r[0] == reg), _INDUSTRY_CODE[ind]) for n, reg, ind in _MARKETS
    ]
    extra = []
    for r, reg in enumerate(_REGIONS):
        for goods in _MARKET_GOODS:
            extra.append((f"{reg[1]}{goods}市场", r, -1))
    cands += [extra[i] for i in rng.permutation(len(extra))]
    while len(cands) < n_markets:
        base = cands[len(cands) % len(extra) + len(_MARKETS)]
        cands.append((f"{base[0]}{len(cands)}号馆", base[1], base[2]))
    big = max(min(n_parties // 5, 120), n_customers // 150)  # the textile market: 5,000+ shops at a million customers
    other_total = round(0.08 * n_parties)
    w = (np.arange(1, n_markets) + 1.0) ** -1.0
    other = np.minimum(np.maximum(5, np.floor(other_total * w / max(w.sum(), 1e-9))), big * 6 // 10)
    sizes = [big] + other.astype(int).tolist()
    ent_by_ind = {
        i: np.flatnonzero(world.industry[n_persons:n_parties] == i) + n_persons for i in range(len(_INDUSTRIES))
    }
    world.market_members = []
    person_pool = np.flatnonzero(
        ((world.person_role == 0) | (world.person_role == 2)) & ~world.reserved[:n_persons] & (world.birth <= 1996)
    )
    for m in range(n_markets):
        name, r, ind = cands[m]
        g = world.first_market + m
        world.channels.append({"name": name, "region": r, "industry": ind, "segment": "wholesale_market"})
        world.region[g], world.industry[g] = r, ind
        size = sizes[m]
        n_per = size * 6 // 10
        epool = ent_by_ind.get(ind, np.arange(n_persons, n_parties)) if ind >= 0 else np.arange(n_persons, n_parties)
        if m == 0:  # the textile market draws on the whole textile chain
            chain = [_INDUSTRY_CODE[x] for x in ("纺织", "印染", "服装", "化纤")]
            epool = np.flatnonzero(np.isin(world.industry[n_persons:n_parties], chain)) + n_persons
        if len(epool) < size - n_per:
            epool = np.arange(n_persons, n_parties)
        epool = epool[~world.reserved[epool]]
        members = np.concatenate([world.take(person_pool, n_per), world.take(epool, size - n_per)])
        members = members[rng.permutation(len(members))]
        persons = members[members < n_persons]
        leader = world.market_leader if m == 0 and world.market_leader >= 0 else int(persons[0]) if len(persons) else -1
        roles = np.zeros(len(members), dtype=np.int8)
        if leader >= 0 and leader in set(persons.tolist()):
            roles[members == leader] = ROLE["leading_merchant"]
        elif leader >= 0:
            tr.add([leader], [g], role=ROLE["leading_merchant"], since=[_day(2004, 9, 1)])
        tr.add(members, g, role=roles)
        allm = members if leader < 0 or leader in set(members.tolist()) else np.append(members, leader)
        world.market_members.append(allm)
        pm = allm[allm < n_persons]
        world.person_role[pm[world.person_role[pm] == 0]] = 2
        if ind >= 0:
            world.industry[pm] = ind
        first = allm[world.market_of[allm] < 0]
        world.market_of[first] = g
        if leader >= 0:
            other = int(rng.integers(world.leader_referrals // 4, world.leader_referrals * 2 // 3 + 1))
            world.refer_members(leader, members, world.leader_referrals if m == 0 else min(len(members) // 8, other))
        world.hire_staff(g, 2 + size // 150)  # the market's management office
    world.progress("structure", 5, 12)


def form_intermediaries(world: World) -> None:
    """Broker stores and loan agencies, their agents, and the customers they source and refer."""
    rng, n_persons, n_intermediaries = world.rng, world.n_persons, world.n_intermediaries
    emp, via = world.edges_of(RelationType.EMPLOYS), world.edges_of(RelationType.SOURCED_VIA)
    is_broker = rng.random(n_intermediaries) < 0.7
    is_broker[0], is_broker[1] = True, False
    world.is_broker = is_broker
    staff_pool = rng.permutation(
        np.flatnonzero(
            (world.person_role == 0)
            & ~world.employed
            & ~world.reserved[:n_persons]
            & (world.birth >= 1972)
            & (world.birth <= 2000)
        )
    )
    sp = 0
    staff_of: list[np.ndarray] = []
    used_names: set[str] = set()
    for i in range(n_intermediaries):
        g = world.first_intermediary + i
        r = 0 if i < 2 else int(rng.choice(len(_REGIONS), p=np.array([x[3] for x in _REGIONS]) / 100))
        if is_broker[i]:
            while True:
                name = (
                    f"{_BROKER_BRANDS[int(rng.integers(len(_BROKER_BRANDS)))]}"
                    f"{_PLACES[int(rng.integers(len(_PLACES)))]}店"
                )
                if i == 0:
                    name = "居安房产笛扬路店"
                if name not in used_names or len(used_names) > 300:
                    break
            if name in used_names:
                name = f"{name[:-1]}{len(used_names)}号店"
            seg = "real_estate_broker"
        else:
            z = "".join(_ZIHAO[int(j)] for j in rng.integers(0, len(_ZIHAO), 2))
            name = f"{_REGIONS[r][1]}{z}{_AGENCY_WORDS[int(rng.integers(len(_AGENCY_WORDS)))]}"
            seg = "loan_agency"
        used_names.add(name)
        world.channels.append(
            {"name": name, "region": r, "industry": _INDUSTRY_CODE["房地产"] if is_broker[i] else -1, "segment": seg}
        )
        world.region[g] = r
        world.industry[g] = _INDUSTRY_CODE["房地产"] if is_broker[i] else -1
        n_staff = 5 if i == 0 else int(rng.integers(2, 7))
        st = staff_pool[sp : sp + n_staff]
        sp += len(st)
        if is_broker[i] and i == 0 and world.star_broker >= 0:
            st = np.concatenate([[world.star_broker], st[:4]])
        world.employed[st] = True
        world.person_role[st] = np.where(world.person_role[st] == 9, 9, 3)
        roles = np.full(len(st), ROLE["agent"], dtype=np.int8)
        if is_broker[i] and len(st):
            roles[0] = ROLE["store_manager"]
        emp.add(np.full(len(st), g), st, role=roles)
        staff_of.append(st)
    # mortgage customers brought by broker stores (a store manager's referrals)
    adults = world.birth[:n_persons] <= 1998
    pool = np.flatnonzero(
        world.is_customer[:n_persons] & adults & ~world.reserved[:n_persons] & ~world.referred[:n_persons]
    )
    pool = rng.permutation(pool)
    brokers = np.flatnonzero(is_broker)
    n_mort = max(world.star_referrals + 5, round(0.07 * world.n_person_customers))
    n0 = min(world.star_referrals, len(pool))
    wb = (np.arange(len(brokers)) + 2.0) ** -1.1
    wb[0] = 0
    # no other store comes near the star: at most 80% of her volume per store
    counts = np.minimum(np.floor((n_mort - n0) * wb / max(wb.sum(), 1e-9)), int(0.8 * world.star_referrals)).astype(int)
    counts[0] = n0
    pos = 0
    for bi, b in enumerate(brokers):
        c = pool[pos : pos + counts[bi]]
        pos += len(c)
        if not len(c):
            continue
        g = world.first_intermediary + int(b)
        st = staff_of[b]
        when = world.since(len(c), 2016 if bi else 2019, 2024)
        if len(st):
            mgr_share = 1.0 if bi == 0 else 0.55
            who = np.where(rng.random(len(c)) < mgr_share, st[0], st[rng.integers(0, len(st), len(c))])
            world.refer(who, c, since=when)
        via.add(c, g, since=when)
        world.sourced[c] = g
    # loan-assistance agencies: consumer and micro-business loans
    agencies = np.flatnonzero(~is_broker)
    if len(agencies):
        pp = np.flatnonzero(
            world.is_customer[:n_persons] & adults & ~world.reserved[:n_persons] & (world.sourced[:n_persons] < 0)
        )
        pe = (
            np.flatnonzero(world.is_customer[n_persons:] & ~world.reserved[n_persons:] & (world.enterprise_size == 0))
            + n_persons
        )
        c = np.concatenate(
            [
                world.take(pp, round(0.05 * world.n_person_customers)),
                world.take(pe, round(0.03 * world.n_enterprise_customers)),
            ]
        )
        c = c[rng.permutation(len(c))]
        wa = (np.arange(len(agencies)) + 1.0) ** -0.9
        # an agency brings at most the star's volume, mostly through its agents
        per = np.minimum(np.floor(len(c) * wa / wa.sum()), world.star_referrals).astype(int)
        which = np.repeat(agencies, per)
        c = c[: len(which)]
        g = world.first_intermediary + which
        when = world.since(len(c), 2018, 2024)
        via.add(c, g, since=when)
        world.sourced[c] = g
        by_agency = rng.random(len(c)) < 0.3
        world.refer(g[by_agency], c[by_agency], since=when[by_agency])
        for a in agencies:
            st = staff_of[a]
            mine = (~by_agency) & (which == a)
            if len(st) and mine.any():
                world.refer(st[rng.integers(0, len(st), int(mine.sum()))], c[mine], since=when[mine])
    world.progress("structure", 6, 12)


def spread_referrals(world: World) -> None:
    """Heavy-tailed word-of-mouth referrals, capped below the planted key persons."""
    rng, n_persons, n_customers = world.rng, world.n_persons, world.n_customers
    n_ref = round(0.7 * n_customers)
    refp = np.flatnonzero(world.is_customer[:n_persons] & ~world.reserved[:n_persons])
    refe = np.flatnonzero(world.is_customer[n_persons:]) + n_persons
    # the planted key persons stay on top: ordinary referrers are capped below them
    cap = max(8, min(30, round(0.6 * min(world.president_referrals, world.leader_referrals, world.star_referrals))))
    deg = np.floor(rng.pareto(1.5, size=n_ref) + 1).astype(np.int64)
    over = deg > cap  # folded back below the cap, not piled up on it
    deg[over] = rng.integers(max(1, cap // 3), cap + 1, size=int(over.sum()))
    cs = np.cumsum(deg)
    k = int(np.searchsorted(cs, n_ref)) + 1
    deg = deg[:k]
    nr = len(deg)
    n_e = min(len(refe), nr // 8)
    who = np.concatenate([world.take(refp, nr - n_e), world.take(refe, n_e)])
    if not len(who):
        return
    who = who[rng.permutation(len(who))]
    deg = deg[: len(who)]
    src = np.repeat(who, deg)
    free = ~world.referred
    cust = rng.permutation(np.flatnonzero(free & world.is_customer))
    pros = rng.permutation(np.flatnonzero(free & ~world.is_customer))
    n_p = min(len(pros), len(src) * 22 // 100)
    n_c = min(len(cust), len(src) - n_p)
    dst = np.concatenate([cust[:n_c], pros[:n_p]])
    dst = dst[rng.permutation(len(dst))]
    src = src[: len(dst)]
    world.refer(src, dst, since=world.since(len(dst), 2012, 2024))
    world.progress("structure", 7, 12)


def attach_lone_prospects(world: World) -> None:
    """Every prospect is known through someone: attach the unlinked ones as referred leads."""
    rng, n_parties, n_persons = world.rng, world.n_parties, world.n_persons
    seen = np.zeros(world.n_nodes, dtype=bool)
    for e in world.edges.values():
        s, d, *_ = e.arrays()
        seen[s] = True
        seen[d] = True
    lone = np.flatnonzero(~seen[:n_parties] & ~world.is_customer)
    refp = np.flatnonzero(world.is_customer[:n_persons] & ~world.reserved[:n_persons])
    if len(lone) and len(refp):
        src = refp[rng.integers(0, len(refp), len(lone))]
        world.refer(src, lone, since=world.since(len(lone), 2020, 2024))
