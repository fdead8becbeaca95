"""Stage: channel schemes (渠道专属方案) — one per major chamber, market and intermediary.

The largest quarter of chambers get a member loan (会员贷), the first markets a merchant loan
(商户贷), some broker stores a mortgage scheme and some agencies a consumer-loan scheme; a
facility of the matching product sourced through (or held by a member of) that channel is
usually booked under it.
"""

from __future__ import annotations

import math

import numpy as np

from .vocabulary import BUS, CONS, MORT
from .world import World


def assign_schemes(world: World, borrower: np.ndarray, product: np.ndarray) -> np.ndarray:
    """The schemes of the major channels, and the scheme (or -1) of each facility (borrower, product)."""
    rng, n = world.rng, len(borrower)
    world.schemes = []  # (channel global index, name, product)
    scheme_of = {}
    csz = np.array([len(m) for m in world.chamber_members])
    for c in np.argsort(-csz, kind="stable")[: max(2, math.ceil(world.n_chambers * 0.25))]:
        g = world.first_chamber + int(c)
        scheme_of[g] = len(world.schemes)
        world.schemes.append((g, f"{world.channels[int(c)]['name']}会员贷", BUS))
    for mi in range(min(world.n_markets, max(1, math.ceil(world.n_markets * 0.3)))):
        g = world.first_market + mi
        nm = world.channels[world.n_chambers + mi]["name"]
        short = "轻纺城" if mi == 0 else nm.removesuffix("市场")
        scheme_of[g] = len(world.schemes)
        world.schemes.append((g, f"{short}商户贷", BUS))
    br = np.flatnonzero(world.is_broker)
    ag = np.flatnonzero(~world.is_broker)
    for b in br[: max(1, math.ceil(len(br) * 0.15))]:
        g = world.first_intermediary + int(b)
        scheme_of[g] = len(world.schemes)
        nm = world.channels[world.n_chambers + world.n_markets + int(b)]["name"]
        world.schemes.append((g, f"{nm}二手房按揭直通车", MORT))
    for a in ag[: max(1, math.ceil(len(ag) * 0.15))]:
        g = world.first_intermediary + int(a)
        scheme_of[g] = len(world.schemes)
        nm = world.channels[world.n_chambers + world.n_markets + int(a)]["name"]
        world.schemes.append((g, f"{nm[:-4] if nm.endswith('有限公司') else nm}合作消费贷", CONS))
    lut = np.full(world.n_nodes, -1, dtype=np.int32)
    for g, s_ in scheme_of.items():
        lut[g] = s_
    sch = np.full(n, -1, dtype=np.int32)
    via = world.sourced[borrower]
    m = ((product == MORT) | (product == CONS)) & (via >= 0)
    cand = np.where(via >= 0, lut[np.maximum(via, 0)], -1)
    prod_ok = np.array([world.schemes[s_][2] if s_ >= 0 else -1 for s_ in range(len(world.schemes))] + [-1])
    sch[m] = np.where(prod_ok[cand[m]] == product[m], cand[m], -1)
    mk = world.market_of[borrower]
    ch = world.chamber_of[borrower]
    s_mk = np.where(mk >= 0, lut[np.maximum(mk, 0)], -1)
    s_ch = np.where(ch >= 0, lut[np.maximum(ch, 0)], -1)
    s_bus = np.where(s_mk >= 0, s_mk, s_ch)
    m = (product == BUS) & (s_bus >= 0) & (rng.random(n) < 0.75)
    sch[m] = s_bus[m]
    sch[(sch >= 0) & (rng.random(n) < 0.08)] = -1  # some members borrow outside the scheme
    return sch
