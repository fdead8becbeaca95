"""The state every stage of the generator shares: sizes, index ranges, draws, relations.

Every party and channel is one integer index into a single numbering (the *node* index):

====================================  ============================================
``0 .. n_persons``                    persons (customers and prospects)
``n_persons .. n_parties``            enterprises
``first_chamber ..``                  chambers of commerce and industry associations
``first_market ..``                   professional (wholesale) markets
``first_intermediary .. n_nodes``     broker stores and loan-assistance agencies
====================================  ============================================

Per-party attributes are NumPy arrays indexed that way (person-only ones by person index,
enterprise-only ones by ``index - n_persons``); relations are kept per type in :class:`Edges`
buffers. The stages in the sibling modules fill them in, in the order of :func:`build`, all
drawing from the one ``rng`` so that the same seed gives the same book.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable

import numpy as np

from ..model import RelationType
from .vocabulary import ROLE, _TYPES, _day


class Edges:
    """Relations of one type as integer columns (src, dst, amount fen, share bp, role, since day)."""

    __slots__ = ("src", "dst", "amount", "share", "role", "since")

    def __init__(self) -> None:
        self.src, self.dst = array("i"), array("i")
        self.amount, self.share = array("q"), array("h")
        self.role, self.since = array("b"), array("h")

    def add(self, src, dst, *, amount=None, share=None, role=0, since=None) -> None:
        s = np.atleast_1d(np.asarray(src, dtype=np.int32))
        n = len(s)
        if n == 0:
            return
        d = np.broadcast_to(np.asarray(dst, dtype=np.int32), (n,))

        def col(v, dtype, default):
            if v is None:
                v = default
            return np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=dtype), (n,)))

        self.src.frombytes(np.ascontiguousarray(s).tobytes())
        self.dst.frombytes(np.ascontiguousarray(d).tobytes())
        self.amount.frombytes(col(amount, np.int64, -1).tobytes())
        self.share.frombytes(col(share, np.int16, -1).tobytes())
        self.role.frombytes(col(role, np.int8, 0).tobytes())
        self.since.frombytes(col(since, np.int16, -1).tobytes())

    def arrays(self):
        return (
            np.frombuffer(self.src, dtype=np.int32),
            np.frombuffer(self.dst, dtype=np.int32),
            np.frombuffer(self.amount, dtype=np.int64),
            np.frombuffer(self.share, dtype=np.int16),
            np.frombuffer(self.role, dtype=np.int8),
            np.frombuffer(self.since, dtype=np.int16),
        )

    def __len__(self) -> int:
        return len(self.src)


class World:
    """Every attribute and structure of the synthetic bank, as integer arrays."""

    # ---- filled by the stages (population, control, channels, trade, facilities, guarantees, capital)
    region: np.ndarray  # region code per node (-1: none)
    industry: np.ndarray  # industry code per node (-1: none)
    female: np.ndarray  # per person
    birth: np.ndarray  # birth year per person
    hometown: np.ndarray  # hometown code per person (-1: local)
    person_role: np.ndarray  # per person: 0 none, 1 boss, 2 merchant, 3 channel staff, 9 planted
    spouse: np.ndarray  # spouse's person index (-1: none)
    employed: np.ndarray  # per person: on some payroll already
    net_assets: np.ndarray  # fen, per party
    revenue: np.ndarray  # annual revenue in fen, per party
    enterprise_size: np.ndarray  # per enterprise: 0 micro, 1 small, 2 medium, 3 large
    name_key: np.ndarray  # per enterprise: shared 字号 key of a planted group's firms (-1: own name)
    is_customer: np.ndarray  # per party
    referred: np.ndarray  # per party: already has its one referrer
    sourced: np.ndarray  # per party: node index of the intermediary that sourced it (-1: none)
    chamber_of: np.ndarray  # per party: first chamber (node index, -1: none)
    market_of: np.ndarray  # per party: first market (node index, -1: none)
    reserved: np.ndarray  # per party: taken by a planted role, kept out of random structures
    boss_of: np.ndarray  # per enterprise: controlling person (-1: none)
    customer_persons: np.ndarray  # customer persons in random order; planted roles come from the front
    customer_firms: np.ndarray  # customer enterprises (node index) in random order, likewise
    _next_person: int
    _next_firm: int
    star_broker: int  # the broker store manager who referred dozens of mortgage customers
    chamber_president: int  # president of one chamber, vice president of another
    market_leader: int  # the textile market's leading merchant
    star_referrals: int
    president_referrals: int
    leader_referrals: int
    groups: list[dict]  # planted groups of connected clients: boss, spouse, firms, weight, mega
    chamber_members: list[np.ndarray]
    market_members: list[np.ndarray]
    is_broker: np.ndarray  # per intermediary: broker store (else loan agency)
    core_supplier: np.ndarray  # per party: supplies a medium or large firm
    schemes: list[tuple[int, str, int]]  # (channel node index, name, product)
    sch_ids: list[str]
    facility_customer: np.ndarray  # per facility: borrower's node index (facilities sorted by it)
    facility_product: np.ndarray
    facility_limit: np.ndarray  # fen
    facility_outstanding: np.ndarray  # fen
    facility_scheme: np.ndarray  # index into schemes (-1: none)
    facility_status: np.ndarray  # five-class status code
    limit_of: np.ndarray  # per party: sum of its facility limits, fen
    circles: list[list[int]]  # guarantee circles drawn as random motifs
    bad_circles: list[list[int]]  # the circles put in trouble
    party_status: np.ndarray  # per party: its five-class status code (its facilities' before softening)
    # ---- filled by .offbalance (issue 21: what the exposure measure reads), from its own stream ``ext``
    ext: np.random.Generator
    is_interbank: np.ndarray  # per node: a bank (同业)
    exempt: np.ndarray  # per node: index into list(Exempt), -1: not exempt
    banks: np.ndarray  # node indices of the banks; the first is the policy bank
    renamed: dict[int, str]  # node index → name that replaces the drawn one (the banks)
    industry_text: dict[int, str]  # node index → industry written instead of the code's
    bank_facility: np.ndarray  # per facility: a bank's (interbank placement or lending)
    facility_type: np.ndarray  # per facility: code into list(ExposureType)
    facility_undrawn: np.ndarray  # fen, -1: blank
    facility_margin: np.ndarray  # fen, -1: blank
    facility_maturity: np.ndarray  # original maturity in days, -1: blank
    facility_cancellable: np.ndarray  # bool
    facility_product_text: dict[int, str]  # facility index → product written instead of the code's
    buyer_share: np.ndarray  # per SUPPLIES row (as added): basis points, -1: blank
    tier1: int  # fen
    net: int  # fen

    def __init__(self, customers: int, seed: int, progress: Callable | None) -> None:
        self.n_customers = n_customers = int(customers)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.names = random.Random(seed)
        self.progress = progress or (lambda stage, done, total: None)
        # ---- sizes
        self.n_person_customers = max(1, round(0.68 * n_customers))
        self.n_enterprise_customers = max(1, n_customers - self.n_person_customers)
        self.n_person_customers = n_customers - self.n_enterprise_customers
        self.n_persons = round(self.n_person_customers / 0.62) + 2  # ~38% of persons are prospects
        self.n_enterprises = round(self.n_enterprise_customers / 0.70) + 1  # ~30% of enterprises are prospects
        self.n_parties = self.n_persons + self.n_enterprises
        self.n_chambers = max(3, round(n_customers / 4000))
        self.n_markets = max(2, round(n_customers / 8000))
        self.n_intermediaries = max(4, round(n_customers / 1000))
        self.first_chamber = self.n_parties
        self.first_market = self.first_chamber + self.n_chambers
        self.first_intermediary = self.first_market + self.n_markets
        self.n_nodes = self.first_intermediary + self.n_intermediaries
        self.edges = {t: Edges() for t in _TYPES}
        self.channels: list[dict] = []  # per channel (global index order): name, region, industry, segment

    # ------------------------------------------------------------------ helpers
    def take(self, pool, k: int) -> np.ndarray:
        """Up to k distinct elements of pool, uniformly, in random order."""
        pool = np.asarray(pool)
        k = int(min(max(k, 0), len(pool)))
        if k == 0:
            return pool[:0]
        return pool[self.rng.choice(len(pool), size=k, replace=False)]

    def refer_members(self, who: int, members: np.ndarray, k: int) -> None:
        """A key person refers k members of her channel: 80% customers, the rest prospects (leads)."""
        cand = members[(members != who) & ~self.referred[members]]
        cand = np.concatenate([cand[self.is_customer[cand]], cand[~self.is_customer[cand]]])
        n_c = int(round(k * 0.8))  # noqa: RUF046 - k may be a NumPy integer
        pick = np.concatenate([cand[:n_c], cand[max(n_c, len(cand) - (k - n_c)) :]])
        self.refer(who, pick[:k])

    def hire_staff(self, employer: int, k: int) -> None:
        """Up to k persons with no role and no employer join *employer*'s payroll (EMPLOYS, staff)."""
        free = (self.person_role == 0) & ~self.employed & ~self.reserved[: self.n_persons]
        staff = self.take(np.flatnonzero(free), k)
        self.employed[staff] = True
        self.person_role[staff] = 3
        self.edges[RelationType.EMPLOYS].add(np.full(len(staff), employer), staff, role=ROLE["staff"])

    def since(self, n: int, y0: int, y1: int) -> np.ndarray:
        return self.rng.integers(_day(y0), _day(y1, 12, 28), size=n).astype(np.int16)

    def edges_of(self, t: RelationType) -> Edges:
        return self.edges[t]

    def refer(self, src, dsts, since=None) -> np.ndarray:
        """REFERRED src → each of dsts not yet referred (one referrer per party); returns those referred."""
        dsts = np.asarray(dsts, dtype=np.int64)
        src_arr = np.broadcast_to(np.asarray(src, dtype=np.int64), dsts.shape)
        ok = (~self.referred[dsts]) & (dsts != src_arr)
        # a party appearing twice in dsts is referred once
        dsts, src_arr = dsts[ok], src_arr[ok]
        if len(dsts):
            _, first = np.unique(dsts, return_index=True)
            first.sort()
            dsts, src_arr = dsts[first], src_arr[first]
            self.referred[dsts] = True
            if since is not None:
                since = np.broadcast_to(np.asarray(since), ok.shape)[ok][first]
            self.edges_of(RelationType.REFERRED).add(src_arr, dsts, since=since)
        return dsts

    def planted_person(self, female: bool, birth: int, role: int = 9) -> int:
        """Reserve the next customer person for a planted role (-1 if none left)."""
        while self._next_person < len(self.customer_persons):
            p = int(self.customer_persons[self._next_person])
            self._next_person += 1
            if not self.reserved[p]:
                self.reserved[p] = True
                self.female[p] = female
                self.birth[p] = birth
                self.person_role[p] = role
                return p
        return -1

    def planted_firms(self, k: int) -> list[int]:
        out: list[int] = []
        while len(out) < k and self._next_firm < len(self.customer_firms) - max(2, len(self.customer_firms) // 3):
            e = int(self.customer_firms[self._next_firm])
            self._next_firm += 1
            if not self.reserved[e]:
                self.reserved[e] = True
                out.append(e)
        return out
