"""Stage: guarantee networks (GUARANTEES).

The planted group's circle and mutual guarantees; random motifs among other enterprise
borrowers (mutual, circles of 3–6, chains, one-guarantees-many, many-guarantee-one and joint
guarantees 联保), local firms of one industry together; bosses' guarantees for their firms,
spouses' for household loans and joint-guarantee teams of three in the textile market. Amounts
are sized against the guarantor's net assets so that some are economic dependence (≥ 50%).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..model import RelationType
from .vocabulary import ROLE
from .world import World


def weave_guarantees(world: World) -> None:
    """GUARANTEES: planted circles, random motifs, bosses' and spouses' guarantees, joint teams."""
    rng, n_persons = world.rng, world.n_persons
    gu = world.edges_of(RelationType.GUARANTEES)
    gs, gd, ga, gr = [], [], [], []
    net_assets, limit_of = world.net_assets, world.limit_of
    dep_draw = rng.random  # bound method

    def amount(g: int, b: int, frac: float, dep_p: float) -> int:
        L = int(limit_of[b])
        if L <= 0:
            L = 1_000_000 * 100
        a = L * frac
        cap = int(net_assets[g])
        if dep_draw() < dep_p:
            a = min(L, max(a, cap * float(rng.uniform(0.5, 0.9))))
        else:
            a = min(a, cap * float(rng.uniform(0.1, 0.45)))
        return max(int(a) // 1_000_000 * 1_000_000, 1_000_000)

    def add(g: int, b: int, frac: float = 1.0, dep_p: float = 0.25, role: int = 0) -> None:
        if g == b:
            return
        gs.append(g)
        gd.append(b)
        ga.append(amount(g, b, frac, dep_p))
        gr.append(role)

    # planted: the boss's circle, mutual guarantees, dependence
    world.circles = []  # random motifs only (the planted group's circle stays healthy)
    for g in world.groups:
        f = g["firms"]
        if g["mega"]:
            if len(f) >= 5:
                circle = [f[1], f[2], f[3], f[4]]
                for x, y in zip(circle, circle[1:] + circle[:1]):
                    add(x, y, 0.8, 0.9)
            if len(f) >= 6:
                add(f[0], f[5], 0.9, 0.9)
                add(f[5], f[0], 0.5, 0.9)
            if len(f) >= 7:
                add(f[1], f[6], 0.9, 1.0)
                add(f[5], f[6], 0.5, 0.5)
            if len(f) < 5:
                for x, y in zip(f, f[1:] + f[:1]):
                    add(x, y, 0.8, 0.9)
            add(g["boss"], f[1 % len(f)], 0.5, 0.0)
            add(g["boss"], f[2 % len(f)], 0.5, 0.0)
        else:
            add(g["boss"], f[0], 0.5, 0.2)
            if len(f) >= 2:
                add(f[0], f[1], 0.6, 0.3)
    # motifs among other enterprise borrowers, local firms of one industry together
    eb = np.flatnonzero((limit_of[n_persons:] > 0) & ~world.reserved[n_persons:]) + n_persons
    eb = eb[np.lexsort((rng.random(len(eb)), world.industry[eb], world.region[eb]))]
    budget = min(len(eb), max(int(len(eb) * 0.5), 26))  # room for every pattern at least once
    pos = 0
    used: list[int] = []
    forced = ["mutual", "circle", "chain", "cross", "focus", "joint", "circle"]
    kinds = ["mutual", "circle", "chain", "cross", "focus", "joint"]
    kp = np.array([0.24, 0.16, 0.2, 0.14, 0.14, 0.12])
    mi = 0
    while pos < budget:
        kind = forced[mi] if mi < len(forced) else kinds[int(rng.choice(6, p=kp))]
        mi += 1
        size = {
            "mutual": 2,
            "circle": int(rng.integers(3, 7)),
            "chain": int(rng.integers(3, 7)),
            "cross": int(rng.integers(4, 9)),
            "focus": int(rng.integers(4, 8)),
            "joint": int(rng.integers(3, 5)),
        }[kind]
        nodes = eb[pos : pos + size].tolist()
        pos += size
        if len(nodes) < min(size, 3 if kind != "mutual" else 2):
            break
        if used and rng.random() < 0.1:  # motifs overlap now and then: linked circles
            nodes[int(rng.integers(len(nodes)))] = used[int(rng.integers(len(used)))]
            if len(set(nodes)) < len(nodes):
                continue
        used.extend(nodes)
        if kind == "mutual":
            add(nodes[0], nodes[1], 0.7)
            add(nodes[1], nodes[0], 0.7)
        elif kind == "circle":
            for x, y in zip(nodes, nodes[1:] + nodes[:1]):
                add(x, y, 0.7)
            world.circles.append(nodes)
        elif kind == "chain":
            for x, y in itertools.pairwise(nodes):
                add(x, y, 0.7)
        elif kind == "cross":
            for y in nodes[1:]:
                add(nodes[0], y, 0.6, 0.3)
        elif kind == "focus":
            for x in nodes[1:]:
                add(x, nodes[0], 1.0 / (len(nodes) - 1) + 0.1)
        else:  # joint guarantee (联保): everyone guarantees everyone
            for x in nodes:
                for y in nodes:
                    if x != y:
                        add(x, y, 0.4, 0.05, ROLE["joint_guarantee"])
    if gs:
        gu.add(np.array(gs), np.array(gd), amount=np.array(ga, dtype=np.int64), role=np.array(gr, dtype=np.int8))
    # bosses' personal guarantees for their firms, spouses' for household loans
    eb_all = np.flatnonzero(limit_of[n_persons:] > 0) + n_persons
    b = world.boss_of[eb_all - n_persons]
    m = (b >= 0) & (rng.random(len(eb_all)) < 0.45) & ~world.reserved[eb_all]
    _vector_guarantees(world, b[m], eb_all[m], 0.05)
    pb = np.flatnonzero(limit_of[:n_persons] > 0)
    sp = world.spouse[pb]
    m = (sp >= 0) & (rng.random(len(pb)) < 0.15)
    _vector_guarantees(world, sp[m], pb[m], 0.2)
    # merchants of the textile market in joint-guarantee teams (联保小组) of three
    if world.market_members:
        mm = world.market_members[0]
        mm = mm[(mm < n_persons) & (limit_of[mm] > 0) & ~world.reserved[mm]]
        teams = max(1, len(mm) // 15)
        for t in range(min(teams, len(mm) // 3)):
            trio = mm[3 * t : 3 * t + 3]
            xs = np.repeat(trio, 3)
            ys = np.tile(trio, 3)
            ok = xs != ys
            _vector_guarantees(world, xs[ok], ys[ok], 0.1, frac=0.5, role=ROLE["joint_guarantee"])
    world.progress("structure", 11, 12)


def _vector_guarantees(world: World, g, b, dep_p: float, frac: float = 0.8, role: int = 0) -> None:
    """Guarantees g[i] → b[i], amounts sized in one draw; a share dep_p of them economic dependence."""
    rng = world.rng
    g = np.asarray(g, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if not len(g):
        return
    L = world.limit_of[b].astype(float)
    cap = world.net_assets[g].astype(float)
    a = L * frac * rng.uniform(0.7, 1.0, len(g))
    dep = rng.random(len(g)) < dep_p
    a = np.where(
        dep,
        np.minimum(L, np.maximum(a, cap * rng.uniform(0.5, 0.9, len(g)))),
        np.minimum(a, cap * rng.uniform(0.1, 0.45, len(g))),
    )
    a = np.maximum((a // 1_000_000) * 1_000_000, 1_000_000).astype(np.int64)
    world.edges_of(RelationType.GUARANTEES).add(g, b, amount=a, role=role)
