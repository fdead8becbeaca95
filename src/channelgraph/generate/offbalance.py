"""Stage: what the exposure measure reads — off-balance items, commitments, interbank and exempt
counterparties, buyer-side supply shares and shared repayment sources (issue 21).

* :func:`pick_banks`: a few enterprise customers are banks (同业): a rural commercial or village
  bank or two, more in a bigger book, and one policy bank (政策性银行), interbank *and* exempt.
  Their facilities become interbank placements (存放同业 / 拆放同业), sized against tier-1 by
  :mod:`.capital`; they keep no relation (a bank is nobody's supplier, guarantor or employer
  here);
* :func:`add_off_balance`: every loan gets its original maturity (credit cards have none: they
  revolve); some business lines have an undrawn committed part, every card its unused line
  (unconditionally cancellable); SMEs in markets, chambers and supply chains draw bank
  acceptances (银行承兑汇票) with cash margins of 30–50% of face, some take performance or
  financing guarantees (保函), textile traders letters of credit (信用证), larger firms committed
  term loans not yet drawn. These are *new* facilities, appended after the loans;
* :func:`add_buyer_shares`: part of the SUPPLIES rows say which share of the buyer's purchases
  the supplier makes (``buyer_share``); a small buyer of a larger supplier sometimes buys most
  of what it needs there (buyer-side dependence);
* :func:`add_shared_repayment`: a few pairs of local firms of one trade share their main source
  of repayment (SHARES_REPAYMENT_SOURCE), e.g. one buyer's receivables or one project.

Every draw here comes from its own stream (``default_rng([seed, 21])``), after the rest of the
book is drawn: the same seed gives the same parties, relations and loans as before these fields
existed, plus the fields.
"""

from __future__ import annotations

import numpy as np

from ..model import Exempt, ExposureType, RelationType
from .vocabulary import BUS, CARD, CONS, MORT, SC, WC, _INDUSTRY_CODE, _ZIHAO
from .world import World

_CODE = {t: i for i, t in enumerate(ExposureType)}
LOAN = _CODE[ExposureType.LOAN]

#: Product names of the facilities this stage adds (the product column is the bank's own text).
OFF_PRODUCTS = {
    ExposureType.BANK_ACCEPTANCE: "bank_acceptance",
    ExposureType.FINANCIAL_GUARANTEE: "financing_guarantee",
    ExposureType.PERFORMANCE_GUARANTEE: "performance_guarantee",
    ExposureType.TRADE_LC: "letter_of_credit",
    ExposureType.UNDRAWN_COMMITMENT: "loan_commitment",
}
#: Products of the banks' facilities: placements with (存放同业) and lending to (拆放同业) banks.
INTERBANK_PRODUCTS = ("interbank_placement", "interbank_lending")
_POLICY_BANK_NAME = "中国农业发展银行绍兴市分行"
_BANK_FORMS = ("绍兴{}农村商业银行股份有限公司", "浙江{}村镇银行股份有限公司", "浙江{}商业银行股份有限公司")
_WAN = 1_000_000  # 10,000 yuan in fen


def _wan(x) -> np.ndarray:
    """Fen rounded down to whole 万元 (10,000 yuan), at least one."""
    return np.maximum(np.asarray(x, dtype=np.int64) // _WAN, 1) * _WAN


def pick_banks(world: World) -> None:
    """Mark a few enterprise customers as banks (one of them a policy bank) and re-draw their facilities."""
    x = world.ext
    n_persons, n_parties = world.n_persons, world.n_parties
    world.is_interbank = np.zeros(world.n_nodes, dtype=bool)
    world.exempt = np.full(world.n_nodes, -1, dtype=np.int8)
    world.renamed = {}
    world.industry_text = {}
    fc = world.facility_customer
    borrows = np.zeros(n_parties, dtype=bool)
    borrows[fc] = True
    cand = np.flatnonzero(borrows[n_persons:] & ~world.reserved[n_persons:]) + n_persons
    n_banks = 1 + (world.n_customers >= 5_000) + (world.n_customers >= 50_000) + (world.n_customers >= 500_000)
    k = min(n_banks + 1, len(cand)) if len(cand) >= 4 else 0
    banks = cand[x.choice(len(cand), size=k, replace=False)] if k else cand[:0]
    world.banks = banks.astype(np.int64)
    for k, b in enumerate(banks.tolist()):
        world.is_interbank[b] = True
        world.industry_text[b] = "金融业"
        if k == 0:
            world.exempt[b] = list(Exempt).index(Exempt.POLICY_BANK)
            world.renamed[b] = _POLICY_BANK_NAME
        else:
            z = _ZIHAO[int(x.integers(len(_ZIHAO)))] + _ZIHAO[int(x.integers(len(_ZIHAO)))]
            world.renamed[b] = _BANK_FORMS[(k - 1) % len(_BANK_FORMS)].format(z)
    world.bank_facility = world.is_interbank[fc]


def add_off_balance(world: World) -> None:
    """Maturities and undrawn parts of the loans; new off-balance facilities appended after them."""
    x = world.ext
    n_persons = world.n_persons
    fc, prod = world.facility_customer, world.facility_product
    lim, out = world.facility_limit, world.facility_outstanding
    n0 = len(fc)
    # ---- the loans: original maturity by product (a card revolves: none), undrawn committed parts
    maturity = np.full(n0, -1, dtype=np.int64)
    pick = x.random(n0)
    maturity[prod == MORT] = np.array([7300, 9125, 10950])[(pick[prod == MORT] * 3).astype(int)]
    maturity[prod == CONS] = np.array([365, 730, 1095])[(pick[prod == CONS] * 3).astype(int)]
    maturity[prod == BUS] = np.where(pick[prod == BUS] < 0.7, 365, np.where(pick[prod == BUS] < 0.9, 730, 1095))
    maturity[prod == WC] = np.where(pick[prod == WC] < 0.85, 365, 180)
    maturity[prod == SC] = np.where(pick[prod == SC] < 0.7, 180, 90)
    undrawn = np.full(n0, -1, dtype=np.int64)
    cancellable = np.zeros(n0, dtype=bool)
    room = lim - out
    committed = np.isin(prod, [BUS, WC, SC]) & (room > 0) & (x.random(n0) < 0.45)
    undrawn[committed] = room[committed]
    card = (prod == CARD) & (room > 0)
    undrawn[card] = room[card]
    cancellable[card] = True
    world.facility_type = np.full(n0, LOAN, dtype=np.int8)
    world.facility_undrawn, world.facility_margin = undrawn, np.full(n0, -1, dtype=np.int64)
    world.facility_maturity, world.facility_cancellable = maturity, cancellable
    world.facility_product_text = {}
    # the banks' facilities: interbank placements and lending, short, no undrawn part
    bf = np.flatnonzero(world.bank_facility)
    for j in bf.tolist():
        world.facility_product_text[j] = INTERBANK_PRODUCTS[int(x.integers(2))]
    world.facility_maturity[bf] = x.choice([30, 90, 180, 365], size=len(bf))
    world.facility_undrawn[bf] = -1
    world.facility_scheme[bf] = -1
    world.facility_status[bf] = 0
    # ---- new off-balance facilities of enterprise borrowers (banks aside)
    lim_of = world.limit_of
    ent = np.flatnonzero(lim_of[n_persons : world.n_parties] > 0) + n_persons
    ent = ent[~world.is_interbank[ent]]
    size = world.enterprise_size[ent - n_persons]
    ind = world.industry[ent]
    around = (world.market_of[ent] >= 0) | (world.chamber_of[ent] >= 0) | world.core_supplier[ent]
    textile = np.isin(ind, [_INDUSTRY_CODE[t] for t in ("纺织", "印染", "服装", "化纤")])
    building = np.isin(ind, [_INDUSTRY_CODE[t] for t in ("房地产", "建材")])
    L = lim_of[ent].astype(float)
    rows: list[tuple[np.ndarray, ...]] = []

    def add(who, etype: ExposureType, amount, margin, days, cancel=None) -> None:
        who = np.asarray(who, dtype=np.int64)
        n = len(who)
        rows.append(
            (
                who,
                np.full(n, _CODE[etype], dtype=np.int8),
                _wan(amount),
                np.asarray(margin, dtype=np.int64),
                np.asarray(days, dtype=np.int64),
                np.zeros(n, dtype=bool) if cancel is None else np.asarray(cancel, dtype=bool),
            )
        )

    n = len(ent)
    # bank acceptances: a third of the SMEs around markets, chambers and core buyers, fewer elsewhere
    m = (size <= 1) & (x.random(n) < np.where(around, 0.35, 0.12)) | (size >= 2) & (x.random(n) < 0.2)
    face = _wan(L[m] * x.uniform(0.3, 0.8, int(m.sum())))
    rate = x.choice([30, 40, 50, 100], size=len(face), p=[0.35, 0.3, 0.3, 0.05])
    add(
        ent[m],
        ExposureType.BANK_ACCEPTANCE,
        face,
        face * rate // 100,
        x.choice([90, 180, 360], len(face), p=[0.15, 0.7, 0.15]),
    )
    # performance guarantees (bid, performance): builders and developers most
    m = x.random(n) < np.where(building, 0.25, 0.06)
    amt = _wan(L[m] * x.uniform(0.05, 0.3, int(m.sum())))
    marg = np.where(x.random(len(amt)) < 0.5, amt // 10, -1)
    add(ent[m], ExposureType.PERFORMANCE_GUARANTEE, amt, marg, x.choice([365, 730, 1095], len(amt)))
    # financing guarantees: few
    m = x.random(n) < 0.03
    amt = _wan(L[m] * x.uniform(0.2, 0.5, int(m.sum())))
    marg = np.where(x.random(len(amt)) < 0.4, amt // 5, -1)
    add(ent[m], ExposureType.FINANCIAL_GUARANTEE, amt, marg, x.choice([365, 1095], len(amt)))
    # letters of credit: textile traders that are not micro
    m = (size >= 1) & (x.random(n) < np.where(textile, 0.12, 0.03))
    amt = _wan(L[m] * x.uniform(0.1, 0.4, int(m.sum())))
    marg = np.where(x.random(len(amt)) < 0.6, amt // 5, -1)
    add(ent[m], ExposureType.TRADE_LC, amt, marg, x.choice([90, 180], len(amt)))
    # committed term loans not drawn yet: medium and large firms, a fifth cancellable at any time
    m = (size >= 2) & (x.random(n) < 0.08)
    amt = _wan(L[m] * x.uniform(0.3, 1.0, int(m.sum())))
    add(
        ent[m],
        ExposureType.UNDRAWN_COMMITMENT,
        amt,
        np.full(len(amt), -1),
        x.choice([730, 1095, 1825], len(amt)),
        x.random(len(amt)) < 0.2,
    )
    # the planted group's flagship discounts acceptances (half margined), another firm has a guarantee
    for g in world.groups[:1]:
        f = g["firms"]
        face = _wan([lim_of[f[0]] * 0.4])
        add([f[0]], ExposureType.BANK_ACCEPTANCE, face, face // 2, [180])
        if len(f) > 1:
            add([f[1]], ExposureType.PERFORMANCE_GUARANTEE, _wan([lim_of[f[1]] * 0.2]), [-1], [730])
    if not rows:
        return
    who, typ, amt, marg, days, cancel = (np.concatenate(c) for c in zip(*rows))
    order = np.argsort(who, kind="stable")
    who, typ, amt, marg, days, cancel = who[order], typ[order], amt[order], marg[order], days[order], cancel[order]
    k = len(who)
    world.facility_customer = np.concatenate([fc, who])
    world.facility_product = np.concatenate([prod, np.full(k, -1, dtype=prod.dtype)])
    world.facility_limit = np.concatenate([lim, amt])
    world.facility_outstanding = np.concatenate([out, amt])
    world.facility_scheme = np.concatenate([world.facility_scheme, np.full(k, -1, dtype=world.facility_scheme.dtype)])
    world.facility_status = np.concatenate([world.facility_status, world.party_status[who]])
    world.facility_type = np.concatenate([world.facility_type, typ])
    world.facility_undrawn = np.concatenate([world.facility_undrawn, np.full(k, -1, dtype=np.int64)])
    world.facility_margin = np.concatenate([world.facility_margin, marg])
    world.facility_maturity = np.concatenate([world.facility_maturity, days])
    world.facility_cancellable = np.concatenate([world.facility_cancellable, cancel])
    world.bank_facility = np.concatenate([world.bank_facility, np.zeros(k, dtype=bool)])
    types = list(ExposureType)
    for j, t in zip(range(n0, n0 + k), typ.tolist()):
        world.facility_product_text[j] = OFF_PRODUCTS[types[t]]


def add_buyer_shares(world: World) -> None:
    """``buyer_share`` on part of the SUPPLIES rows; a small buyer of a larger supplier may depend on it."""
    x, n_persons = world.ext, world.n_persons
    s, d, *_ = world.edges_of(RelationType.SUPPLIES).arrays()
    n = len(s)
    bp = np.full(n, -1, dtype=np.int16)
    known = x.random(n) < 0.4
    small_buyer = world.enterprise_size[d - n_persons] < world.enterprise_size[s - n_persons]
    free = ~(world.reserved[s] | world.reserved[d] | world.is_interbank[s] | world.is_interbank[d])
    dep = known & small_buyer & free & (x.random(n) < 0.3)
    bp[known] = x.integers(1, 26, size=int(known.sum())) * 100
    bp[dep] = x.integers(50, 81, size=int(dep.sum())) * 100
    if not dep.any():  # at least one dependent buyer, however small the book
        at = np.flatnonzero(free)
        if len(at):
            bp[at[0]] = 6000
    world.buyer_share = bp


def add_shared_repayment(world: World) -> None:
    """SHARES_REPAYMENT_SOURCE: a few pairs of local firms of one trade with one main source of repayment."""
    x, n_persons = world.ext, world.n_persons
    lim_of = world.limit_of
    eb = np.flatnonzero(lim_of[n_persons : world.n_parties] > 0) + n_persons
    eb = eb[~world.reserved[eb] & ~world.is_interbank[eb]]
    if len(eb) < 2:
        return
    eb = eb[np.lexsort((x.random(len(eb)), world.industry[eb], world.region[eb]))]
    k = max(1, len(eb) // 300)
    # neighbours in that order are local firms of one trade when region and industry agree
    same = np.flatnonzero(
        (world.industry[eb[:-1]] == world.industry[eb[1:]]) & (world.region[eb[:-1]] == world.region[eb[1:]])
    )
    if not len(same):
        return
    starts = np.sort(x.choice(same, size=min(k, len(same)), replace=False))
    starts = starts[np.concatenate([[True], np.diff(starts) > 1])]  # pairs do not overlap
    world.edges_of(RelationType.SHARES_REPAYMENT_SOURCE).add(eb[starts], eb[starts + 1])


def extend_for_exposure(world: World) -> None:
    """Run this module's stages in their fixed order."""
    world.ext = np.random.default_rng([world.seed, 21])
    pick_banks(world)
    add_off_balance(world)
    add_buyer_shares(world)
    add_shared_repayment(world)
