"""Stage: facilities — products, limits and outstanding amounts per customer, and five-class status.

* :func:`grant_facilities`: which customer holds which product (mortgages through broker stores,
  consumer loans through agencies, business loans through chambers and markets, ...), limits
  and drawn amounts sized to the customer, the planted groups sized against the whole book, and
  the channel schemes (:mod:`.schemes`) the facilities are booked under;
* :func:`classify_facilities`: ≈2% special mention and ≈1.5% NPL, worse through loan agencies and
  inside a couple of guarantee circles in trouble.
"""

from __future__ import annotations

import math

import numpy as np

from .vocabulary import BUS, CARD, CONS, MORT, SC, S_DOUBT, S_NORMAL, S_SM, S_SUB, WC
from .schemes import assign_schemes
from .world import World


def grant_facilities(world: World) -> None:
    """Products, limits and outstanding per customer; planted groups sized against the book; schemes."""
    rng, n_persons, n_parties, n_customers = world.rng, world.n_persons, world.n_parties, world.n_customers
    is_customer = world.is_customer
    person_customers = np.flatnonzero(is_customer[:n_persons])
    firm_customers = np.flatnonzero(is_customer[n_persons:]) + n_persons
    source_kind = np.full(n_parties, -1, dtype=np.int8)  # 0 broker, 1 agency
    s = world.sourced >= 0
    source_kind[s] = np.where(world.is_broker[world.sourced[s] - world.first_intermediary], 0, 1)
    has = {}
    u = rng.random
    pr = world.person_role[person_customers]
    has[MORT] = person_customers[
        (source_kind[person_customers] == 0)
        | ((u(len(person_customers)) < 0.09) & (world.birth[person_customers] <= 1995))
    ]
    has[CONS] = person_customers[(source_kind[person_customers] == 1) | (u(len(person_customers)) < 0.07)]
    has[BUS] = np.concatenate(
        [
            person_customers[
                ((pr == 2) & (u(len(person_customers)) < 0.65))
                | ((world.chamber_of[person_customers] >= 0) & (u(len(person_customers)) < 0.3))
                | ((pr == 1) & (u(len(person_customers)) < 0.25))
            ],
            firm_customers[
                ((world.chamber_of[firm_customers] >= 0) | (world.market_of[firm_customers] >= 0))
                & (u(len(firm_customers)) < 0.5)
                | (source_kind[firm_customers] == 1)
                | (u(len(firm_customers)) < 0.12)
            ],
        ]
    )
    has[CARD] = person_customers[u(len(person_customers)) < 0.3]
    has[WC] = firm_customers[u(len(firm_customers)) < 0.62]
    has[SC] = firm_customers[world.core_supplier[firm_customers] & (u(len(firm_customers)) < 0.35)]
    # planted groups: every firm borrows
    gf = np.array([f for g in world.groups for f in g["firms"]], dtype=np.int64)
    has[WC] = np.union1d(has[WC], gf)
    # every enterprise customer that is in no product yet: 40% get working capital
    cust_list, prod_list = [], []
    for p in range(6):
        c = np.unique(has[p])
        cust_list.append(c)
        prod_list.append(np.full(len(c), p, dtype=np.int8))
    borrower = np.concatenate(cust_list).astype(np.int64)
    product = np.concatenate(prod_list)
    order = np.lexsort((product, borrower))
    borrower, product = borrower[order], product[order]
    n = len(borrower)
    lim = np.zeros(n, dtype=np.int64)  # yuan
    na_y = world.net_assets[borrower] // 100
    rev_y = world.revenue[borrower] // 100

    def logn(median, sigma, lo, hi, m):
        return np.clip(rng.lognormal(math.log(median), sigma, int(m.sum())), lo, hi)

    m = product == MORT
    lim[m] = logn(900_000, 0.5, 200_000, 6_000_000, m)
    m = product == CONS
    lim[m] = logn(80_000, 0.6, 10_000, 500_000, m)
    m = product == CARD
    lim[m] = rng.choice(
        [10_000, 20_000, 30_000, 50_000, 80_000, 100_000, 200_000],
        size=int(m.sum()),
        p=[0.15, 0.2, 0.2, 0.2, 0.1, 0.1, 0.05],
    )
    m = (product == BUS) & (borrower < n_persons)
    lim[m] = np.minimum(logn(400_000, 0.7, 50_000, 10_000_000, m), np.maximum(na_y[m] * 2, 100_000))
    m = (product == BUS) & (borrower >= n_persons)
    lim[m] = np.maximum(na_y[m] * logn(0.2, 0.5, 0.03, 0.8, m), 100_000)
    m = product == WC
    lim[m] = np.maximum(na_y[m] * logn(0.35, 0.4, 0.05, 0.9, m), 200_000)
    m = product == SC
    lim[m] = np.maximum(rev_y[m] * logn(0.08, 0.4, 0.02, 0.3, m), 100_000)
    lim = np.maximum(lim // 10_000 * 10_000, 10_000) * 100  # to 万元, then fen
    use = np.where(
        product == CARD,
        rng.uniform(0.03, 0.9, n),
        np.where(product == MORT, rng.uniform(0.35, 0.99, n), rng.uniform(0.45, 1.0, n)),
    )
    out = np.maximum(np.floor(lim * use).astype(np.int64), 100)
    # round business lines drawn in full to whole yuan; instalment loans keep fen
    whole = np.isin(product, [BUS, WC, SC]) & (rng.random(n) < 0.6)
    out[whole] = lim[whole] * np.minimum(1.0, np.round(use[whole] * 20) / 20)
    out = np.maximum(out, 100)
    # ---- size the planted groups against the book
    planted = np.isin(borrower, gf)
    book = int(out[~planted].sum())
    f = min(0.3, max(0.02, 5.0 / math.sqrt(n_customers)))
    per_cust = np.zeros(n_parties, dtype=np.int64)
    np.add.at(per_cust, borrower[~planted], out[~planted])
    # the planted group is the largest: ~2% of the book at scale, and well above any single borrower
    mega_target = max(book * f / (1 - f), 1.6 * float(per_cust.max(initial=0)))
    for g in world.groups:
        firms = g["firms"]
        target = mega_target * g["weight"]
        wts = np.array([0.25, 0.2, 0.15, 0.12, 0.1, 0.1, 0.08][: len(firms)])
        if not g["mega"]:
            wts = rng.uniform(0.5, 1.0, len(firms))
        wts = wts / wts.sum()
        for fi, wt in zip(firms, wts):
            idx = np.flatnonzero(borrower == fi)
            if not len(idx):
                continue
            o = int(target * wt / len(idx))
            o = max(o // 100 * 100, 100_000_00)
            for j in idx:
                out[j] = o
                lim[j] = -(-int(o / rng.uniform(0.85, 0.98)) // 1_000_000) * 1_000_000
            total_lim = int(lim[idx].sum())
            world.net_assets[fi] = int(total_lim / rng.uniform(0.5, 0.8)) // 100_000 * 100_000
            world.revenue[fi] = int(world.net_assets[fi] * rng.uniform(1.2, 1.8)) // 100_000 * 100_000
            world.enterprise_size[fi - n_persons] = max(int(world.enterprise_size[fi - n_persons]), 2)
    lim = np.maximum(lim, out)
    sch = assign_schemes(world, borrower, product)
    world.facility_customer, world.facility_product, world.facility_scheme = borrower, product, sch
    world.facility_limit, world.facility_outstanding = lim, out
    world.limit_of = np.zeros(n_parties, dtype=np.int64)
    np.add.at(world.limit_of, borrower, lim)
    world.progress("structure", 10, 12)


def classify_facilities(world: World) -> None:
    """Five-class status per facility: a base rate, worse through agencies and in troubled circles."""
    rng, n_parties = world.rng, world.n_parties
    st = rng.choice(5, size=n_parties, p=[0.9665, 0.019, 0.0075, 0.0045, 0.0025]).astype(np.int8)
    agency = world.sourced >= 0
    agency[agency] = ~world.is_broker[world.sourced[agency] - world.first_intermediary]
    n_a = int(agency.sum())
    st[agency] = rng.choice(5, size=n_a, p=[0.925, 0.04, 0.018, 0.01, 0.007])
    for g in world.groups:
        st[g["firms"]] = S_NORMAL
        st[g["boss"]] = S_NORMAL
    if world.groups and world.groups[0]["mega"] and len(world.groups[0]["firms"]) >= 7:
        st[world.groups[0]["firms"][6]] = S_SM  # an early warning inside the big group
    # a couple of guarantee circles in trouble: one firm defaulted, its circle strained
    circles = [c for c in world.circles if len(c) >= 3]
    n_bad = min(len(circles), 2 + len(circles) // 60)
    world.bad_circles = []
    for j in rng.choice(len(circles), size=n_bad, replace=False) if n_bad else []:
        c = circles[int(j)]
        st[c[0]] = S_DOUBT if rng.random() < 0.5 else S_SUB
        st[c[1:]] = rng.choice([S_SM, S_SUB, S_NORMAL], size=len(c) - 1, p=[0.45, 0.15, 0.4])
        world.bad_circles.append(c)
    world.party_status = st
    world.facility_status = st[world.facility_customer]
    # a card or mortgage of a borrower in trouble is usually one class better
    soft = (
        (world.facility_status >= S_SUB)
        & np.isin(world.facility_product, [CARD, MORT])
        & (rng.random(len(world.facility_customer)) < 0.3)
    )
    world.facility_status[soft] -= 1
