"""Single risk sources (单一风险源): who the exposure depends on.

A channel scheme must avoid a single risk source (规避单一风险源): one guarantor, one
controller, one intermediary, one market whose failure takes many borrowers with it. For
each potential source this module finds the customers whose exposure *depends* on it:

=============  ==============================================================================
source_type    dependent customers
=============  ==============================================================================
controller     firms it controls (CONTROLS share > ``connection.control_share_above``),
               transitively (at most :data:`MAX_CONTROL_DEPTH` levels)
guarantor      borrowers it guarantees (GUARANTEES)
chamber        members (MEMBER_OF), staff (EMPLOYS), customers sourced through it (a facility
market         under one of its schemes, SOURCED_VIA, REFERRED by it); a market's traders
intermediary   (TRADES_IN)
key_person     a person or firm holding a role (MEMBER_OF / TRADES_IN / EMPLOYS edge with a role,
               e.g. president, leading_merchant, store_manager) or referring at least
               :data:`KEY_REFERRER_MIN` customers: the customers it referred, controls or
               guarantees
=============  ==============================================================================

One row per entity: a person who is a key person, a controller and a guarantor is listed
once, its dependents are the union (each customer counted once) and ``roles`` names every
role. ``source_type`` is the channel kind for channels; for a person or firm it is
``key_person`` if it is one, else ``controller`` or ``guarantor``, whichever carries more
exposure. The source's own exposure is not in ``dependent_exposure`` (see
``own_exposure``).

Every ``*_exposure_fen`` column and every share is on the customers' **measured exposure**
(on-balance + CCF × off-balance − recognised cash margin,
:func:`~channelgraph.graph.exposure.measure_exposure`); the appended
``dependent_outstanding_fen`` and ``own_outstanding_fen`` give the same customers'
outstanding beside it. Without the optional exposure columns of the input the two are equal.

Three risk factors of non-standard channels (DOMAIN.md) are tagged:

* ``business_not_real`` (交易真实性): more than :data:`BUSINESS_NOT_REAL_SHARE` of the exposure
  *sourced* through it (schemes, SOURCED_VIA, referrals) belongs to customers with no trade,
  payroll or supply tie to it (membership/trading in it, EMPLOYS, SUPPLIES or CONTROLS either
  way; for a person or firm, also trading in or belonging to the same market or chamber);
* ``control`` (控制权): it controls dependent customers;
* ``same_risk_factor`` (同一风险因素): at least :data:`SAME_FACTOR_MIN_CUSTOMERS` dependent
  customers and either it is a market or a guarantor of several of them, or at least
  :data:`SAME_FACTOR_INDUSTRY_SHARE` of the dependent exposure is in one industry.

References: CBIRC 2018 Order No. 1 (economic dependence, shared repayment source);
Basel LEX10 (connected counterparties through economic interdependence).

Examples
--------
>>> import pandas as pd
>>> from channelgraph.graph import build_book
>>> from channelgraph.io import dataset_from_frames
>>> ent = pd.DataFrame({"id": ["M1", "A", "B"], "kind": ["market", "enterprise", "enterprise"],
...                     "name": ["轻纺城", "甲", "乙"], "is_customer": ["false", "true", "true"],
...                     "industry": ["", "纺织", "纺织"]})
>>> rel = pd.DataFrame({"src": ["A", "B"], "dst": ["M1", "M1"], "type": ["TRADES_IN"] * 2})
>>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["A", "B"], "outstanding": ["30", "70"]})
>>> s = single_risk_sources(build_book(dataset_from_frames(ent, rel, exp)))
>>> s[["source_id", "source_type", "dependent_exposure_fen", "share_of_total", "factors"]].values.tolist()
[['M1', 'market', 10000, '1.000000', 'same_risk_factor']]
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..model import Kind, RelationType, format_yuan_human
from ..policy import Policy
from .._runtime import gc_paused
from ..graph import Book
from ..graph.arrays import csr, gather, in_ints, kind_in, unique_ints
from ..graph.exposure import Exposure, measure_exposure
from ._numbers import percent_texts, ratio_pairs, ratio_texts, texts_by_value, yuan_human_texts

#: A person or firm referring at least this many entities (REFERRED out-degree) is a key person.
KEY_REFERRER_MIN = 10
#: Transitive control is followed at most this many levels down.
MAX_CONTROL_DEPTH = 10
#: business_not_real when more than this share of the sourced exposure has no tie to the source.
BUSINESS_NOT_REAL_SHARE = Decimal("0.5")
#: same_risk_factor needs at least this many dependent customers …
SAME_FACTOR_MIN_CUSTOMERS = 2
#: … and (a market, a guarantor of several, or) this share of their exposure in one industry.
SAME_FACTOR_INDUSTRY_SHARE = Decimal("0.5")

SOURCE_COLUMNS = [
    "rank",
    "source_id",
    "name",
    "kind",
    "source_type",
    "roles",
    "dependent_customers",
    "dependent_exposure_fen",
    "share_of_total",
    "own_exposure_fen",
    "controlled_exposure_fen",
    "guaranteed_exposure_fen",
    "member_exposure_fen",
    "sourced_exposure_fen",
    "sourced_customers",
    "unbacked_customers",
    "unbacked_exposure_fen",
    "top_industry",
    "top_industry_share",
    "business_not_real",
    "control",
    "same_risk_factor",
    "factors",
    "factor_notes",
    "dependent_outstanding_fen",
    "own_outstanding_fen",
]
DEPENDENT_COLUMNS = ["source_id", "customer_id", "via"]
VIAS = ("controlled", "guaranteed", "member", "sourced")

_CHANNELS = {Kind.CHAMBER.value, Kind.MARKET.value, Kind.INTERMEDIARY.value}
_PARTIES = {Kind.PERSON.value, Kind.ENTERPRISE.value}


def _customers(k: int) -> str:
    return f"{k} customer" + ("" if k == 1 else "s")


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def controlled_pairs(book: Book, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """(controller, controlled) index pairs, transitive up to :data:`MAX_CONTROL_DEPTH` levels."""
    e = book.of(RelationType.CONTROLS)
    m = ~np.isnan(e.share) & (e.share > float(policy.connection.control_share_above))
    s, d = e.src[m], e.dst[m]
    n = book.n
    if not len(s):
        return s, d
    indptr, targets, _ = csr(s, d, n)  # the firms each controller controls directly
    seen = unique_ints(s * n + d)
    frontier = seen
    for _ in range(MAX_CONTROL_DEPTH - 1):
        top, mid = frontier // n, frontier % n
        p = gather(indptr, mid)
        if not len(p):
            break
        keys = unique_ints(np.repeat(top, indptr[mid + 1] - indptr[mid]) * n + targets[p])
        keys = keys[(keys // n) != (keys % n)]
        new = keys[~in_ints(keys, seen)]
        if not len(new):
            break
        seen = unique_ints(np.concatenate((seen, new)))
        frontier = new
    return seen // n, seen % n


def key_persons(book: Book) -> np.ndarray:
    """Boolean mask of key persons: role holders and heavy referrers (persons or firms)."""
    party = kind_in(book.kind, _PARTIES)
    key = np.zeros(book.n, dtype=bool)
    for t, side in ((RelationType.MEMBER_OF, "src"), (RelationType.TRADES_IN, "src"), (RelationType.EMPLOYS, "dst")):
        e = book.of(t)
        has_role = e.role != ""
        if has_role.any():
            has_role[has_role] = [bool(str(r).strip()) for r in e.role[has_role].tolist()]
        key[getattr(e, side)[has_role]] = True
    ref = book.of(RelationType.REFERRED)
    key |= np.bincount(ref.src, minlength=book.n) >= KEY_REFERRER_MIN
    return key & party


@gc_paused
def source_dependents(book: Book, policy: Policy | None = None) -> pd.DataFrame:
    """Every (source, dependent customer, via) pair behind :func:`single_risk_sources`, by id.

    ``via`` is ``controlled``, ``guaranteed``, ``member`` or ``sourced``. A customer may
    depend on a source through several vias (one row each). Not written as an output
    (it can have millions of rows); :func:`dependent_pairs` gives the same pairs as integer
    arrays.
    """
    s, c, v = dependent_pairs(book, policy)
    return pd.DataFrame(
        {"source_id": book.ids[s], "customer_id": book.ids[c], "via": np.asarray(VIAS, dtype=object)[v]}
    )


def dependent_pairs(book: Book, policy: Policy | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of :func:`source_dependents` as integer arrays, for rooms that aggregate them.

    Returns
    -------
    source, customer : int64 entity positions (into ``book.ids``).
    via : int64 codes into :data:`VIAS`.

    Sorted by (source, customer, via), without repeats; customers only, never the source itself
    (the caps room finds from them how much of a scheme depends on one source).

    >>> from channelgraph.graph import load_book
    >>> book = load_book("data/sample")
    >>> s, c, v = dependent_pairs(book)
    >>> len(s) == len(source_dependents(book)), bool(book.is_customer[c].all()), bool((s != c).all())
    (True, True, True)
    """
    return _pairs(book, policy or book.policy)


def _pairs(book: Book, policy: Policy, control=None, key=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, customer, via code) index arrays, customers only, self excluded, de-duplicated.

    *control* (``controlled_pairs``) and *key* (``key_persons``) are computed when not given.
    """
    n = book.n
    S, C, V = [], [], []

    def put(s, c, via):
        S.append(np.asarray(s, dtype=np.int64))
        C.append(np.asarray(c, dtype=np.int64))
        V.append(np.full(len(s), VIAS.index(via), dtype=np.int64))

    cs, cc = controlled_pairs(book, policy) if control is None else control
    put(cs, cc, "controlled")
    g = book.of(RelationType.GUARANTEES)
    put(g.src, g.dst, "guaranteed")
    is_channel = kind_in(book.kind, _CHANNELS)
    for t in (RelationType.MEMBER_OF, RelationType.TRADES_IN):
        e = book.of(t)
        put(e.dst, e.src, "member")
    e = book.of(RelationType.EMPLOYS)
    m = is_channel[e.src]
    put(e.src[m], e.dst[m], "member")
    e = book.of(RelationType.SOURCED_VIA)
    put(e.dst, e.src, "sourced")
    fac_channel, fac_customer = book.fac_channel, book.fac_customer
    m = fac_channel >= 0
    put(fac_channel[m], fac_customer[m], "sourced")
    key = key_persons(book) if key is None else key
    e = book.of(RelationType.REFERRED)
    m = is_channel[e.src] | key[e.src]
    put(e.src[m], e.dst[m], "sourced")

    s, c, v = _cat(S), _cat(C), _cat(V)
    keep = book.is_customer[c] & (s != c)
    s, c, v = s[keep], c[keep], v[keep]
    k = unique_ints((s * n + c) * len(VIAS) + v)
    v = k % len(VIAS)
    sc = k // len(VIAS)
    return sc // n, sc % n, v


def _tie_keys(book: Book) -> np.ndarray:
    """Keys s*n+c of every (source, customer) pair with a trade, payroll, supply or control tie."""
    n = book.n
    keys = []
    for t in (RelationType.MEMBER_OF, RelationType.TRADES_IN):
        e = book.of(t)
        keys.append(e.dst * n + e.src)
    for t in (RelationType.EMPLOYS, RelationType.SUPPLIES, RelationType.CONTROLS):
        e = book.of(t)
        keys.append(e.src * n + e.dst)
        keys.append(e.dst * n + e.src)
    return unique_ints(_cat(keys))


def _shared_place(book: Book, s: np.ndarray, c: np.ndarray) -> np.ndarray:
    """For pairs (s, c): do they belong to / trade in the same chamber or market?"""
    if not len(s):
        return np.zeros(0, dtype=bool)
    mem = [book.of(RelationType.MEMBER_OF), book.of(RelationType.TRADES_IN)]
    ps = _cat([e.src for e in mem])
    pc = _cat([e.dst for e in mem])
    n = book.n
    place_keys = unique_ints(ps * n + pc)
    places = pd.DataFrame({"s": ps, "place": pc})
    pairs = pd.DataFrame({"s": s, "c": c, "k": np.arange(len(s))})
    j = pairs.merge(places, on="s")
    if not len(j):
        return np.zeros(len(s), dtype=bool)
    hit = in_ints(j["c"].to_numpy(np.int64) * n + j["place"].to_numpy(np.int64), place_keys)
    out = np.zeros(len(s), dtype=bool)
    out[j["k"].to_numpy(np.int64)[hit]] = True
    return out


@gc_paused
def single_risk_sources(book: Book, policy: Policy | None = None, *, exposure: Exposure | None = None) -> pd.DataFrame:
    """Rank every potential single risk source by the (measured) exposure that depends on it.

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book`.
    policy : default ``book.policy`` (``connection.control_share_above`` decides control; its
        ``[exposure]`` rules measure the exposure).
    exposure : the measure already taken (default: measured here).

    Returns
    -------
    DataFrame with ``SOURCE_COLUMNS``, sorted by ``dependent_exposure`` desc then
    ``source_id``; ``rank`` starts at 1; ``share_of_total`` is the dependent exposure over the
    total outstanding (6 decimals); ``factors`` joins the true factor tags with ``;`` and
    ``factor_notes`` explains each.
    """
    policy = policy or book.policy
    n, ids = book.n, book.ids
    measured = exposure if exposure is not None else measure_exposure(book, policy)
    out = measured.of_entity

    key = key_persons(book)
    control = controlled_pairs(book, policy)
    s, c, v = _pairs(book, policy, control, key)
    is_controller = np.zeros(n, dtype=bool)
    is_controller[control[0]] = True
    is_guarantor = np.zeros(n, dtype=bool)
    is_guarantor[book.of(RelationType.GUARANTEES).src] = True
    is_channel = kind_in(book.kind, _CHANNELS)
    is_source = is_channel | key | is_controller | is_guarantor
    src_idx = np.flatnonzero(is_source)
    if not len(src_idx):
        return pd.DataFrame({col: [] for col in SOURCE_COLUMNS})

    o_c = out[c]
    # union of dependents: (s, c) pairs are sorted, one row per via
    first_sc = np.ones(len(s), dtype=bool)
    first_sc[1:] = (s[1:] != s[:-1]) | (c[1:] != c[:-1])
    us, uc, uo = s[first_sc], c[first_sc], o_c[first_sc]
    dep_n = np.bincount(us, minlength=n)
    dep_exp = np.zeros(n, dtype=np.int64)
    np.add.at(dep_exp, us, uo)
    dep_out = np.zeros(n, dtype=np.int64)
    np.add.at(dep_out, us, book.outstanding[uc])
    via_exp = np.zeros((len(VIAS), n), dtype=np.int64)
    np.add.at(via_exp, (v, s), o_c)
    via_n = np.zeros((len(VIAS), n), dtype=np.int64)
    np.add.at(via_n, (v, s), 1)

    # sourced business without a real tie
    sourced = v == VIAS.index("sourced")
    ss, sc_ = s[sourced], c[sourced]
    tied = in_ints(ss * n + sc_, _tie_keys(book))
    party_src = ~is_channel[ss]
    tied[party_src] |= _shared_place(book, ss[party_src], sc_[party_src])
    unb_n = np.bincount(ss[~tied], minlength=n)
    unb_exp = np.zeros(n, dtype=np.int64)
    np.add.at(unb_exp, ss[~tied], out[sc_[~tied]])

    # industry concentration of the dependents: the top industry per source (exposure desc, name)
    top_name, top_exp = _top_industry(book, us, uc, uo)

    # rows in the final order: dependent exposure desc, then source id (= index order)
    I = src_idx[np.argsort(-dep_exp[src_idx], kind="stable")]  # noqa: E741 - the row order, used as an index
    total = measured.total
    na, qa = BUSINESS_NOT_REAL_SHARE.as_integer_ratio()
    ni, qi = SAME_FACTOR_INDUSTRY_SHARE.as_integer_ratio()
    G, CTRL, MEM, SRC = (VIAS.index(x) for x in ("guaranteed", "controlled", "member", "sourced"))
    kind = book.kind[I]
    chan, ctl, gua, kp = is_channel[I], is_controller[I], is_guarantor[I], key[I]
    stype = np.where(
        chan,
        kind,
        np.where(
            kp, "key_person", np.where(ctl & (~gua | (via_exp[CTRL, I] >= via_exp[G, I])), "controller", "guarantor")
        ),
    ).astype(object)
    roles = _roles(kind, chan, ctl, gua, kp)

    def obj(a):  # python ints: exact products however large the amounts
        return np.asarray(a, dtype=np.int64).astype(object)

    d_exp, d_n = dep_exp[I], dep_n[I]
    s_exp, s_n = via_exp[SRC, I], via_n[SRC, I]
    u_exp, u_n = unb_exp[I], unb_n[I]
    bnr = np.where(s_exp > 0, obj(u_exp) * qa > obj(s_exp) * na, (s_n > 0) & (obj(u_n) * qa > obj(s_n) * na))
    bnr = bnr.astype(bool)
    ctrl_n, ctrl_exp = via_n[CTRL, I], via_exp[CTRL, I]
    ctrl = ctrl_n > 0
    ti, to = top_name[I], top_exp[I]
    ind_conc = (d_exp > 0) & (obj(to) * qi >= obj(d_exp) * ni).astype(bool)
    g_n = via_n[G, I]
    is_market = kind == Kind.MARKET.value
    same = (d_n >= SAME_FACTOR_MIN_CUSTOMERS) & (is_market | (g_n >= SAME_FACTOR_MIN_CUSTOMERS) | ind_conc)
    factors, notes = _factor_notes(
        ids[I], bnr, ctrl, same, is_market, ind_conc, u_n, s_n, u_exp, s_exp, ctrl_n, ctrl_exp, d_n, g_n, to, d_exp, ti
    )
    has_ti = ti != ""
    top_share = np.full(len(I), "", dtype=object)
    if has_ti.any():
        top_share[has_ti] = ratio_pairs(to[has_ti], d_exp[has_ti])
    res = pd.DataFrame(
        {
            "rank": np.arange(1, len(I) + 1, dtype=np.int64),
            "source_id": ids[I],
            "name": book.name[I],
            "kind": kind,
            "source_type": stype,
            "roles": roles,
            "dependent_customers": d_n.astype(np.int64),
            "dependent_exposure_fen": d_exp.astype(np.int64),
            "share_of_total": ratio_texts(d_exp, total),
            "own_exposure_fen": out[I],
            "controlled_exposure_fen": ctrl_exp,
            "guaranteed_exposure_fen": via_exp[G, I],
            "member_exposure_fen": via_exp[MEM, I],
            "sourced_exposure_fen": s_exp,
            "sourced_customers": s_n,
            "unbacked_customers": u_n.astype(np.int64),
            "unbacked_exposure_fen": u_exp,
            "top_industry": ti,
            "top_industry_share": top_share,
            "business_not_real": bnr,
            "control": ctrl,
            "same_risk_factor": same,
            "factors": factors,
            "factor_notes": notes,
            "dependent_outstanding_fen": dep_out[I],
            "own_outstanding_fen": book.outstanding[I],
        },
        columns=SOURCE_COLUMNS,
    )
    return res


def _top_industry(book: Book, s: np.ndarray, c: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per entity: the industry holding most of its dependents' exposure (ties: smaller name) and that
    exposure; ``""`` and 0 where no dependent has an industry. *s*, *c*, *o*: distinct (source,
    customer) pairs with the customer's outstanding."""
    n = book.n
    name = np.full(n, "", dtype=object)
    amount = np.zeros(n, dtype=np.int64)
    codes, names = pd.factorize(book.industry, sort=True)  # code order = name order
    ic = codes[c]
    keep = book.industry[c] != ""
    if not keep.any():
        return name, amount
    k = len(names)
    key = s[keep] * k + ic[keep]
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    sums = np.add.reduceat(o[keep][order], starts)
    ks, kc = key[starts] // k, key[starts] % k
    best = np.lexsort((kc, -sums, ks))
    firsts = best[np.concatenate(([True], ks[best][1:] != ks[best][:-1]))]
    name[ks[firsts]] = np.asarray(names, dtype=object)[kc[firsts]]
    amount[ks[firsts]] = sums[firsts]
    return name, amount


def _roles(kind, chan, ctl, gua, kp) -> list[list[str]]:
    """The roles of each source: its channel kind, controller, guarantor, key_person."""
    if not len(kind):
        return []
    kcode, kinds = pd.factorize(np.where(chan, kind, "").astype(object))
    code = (((kcode.astype(np.int64) * 2 + chan) * 2 + ctl) * 2 + gua) * 2 + kp
    uniq, inv = np.unique(code, return_inverse=True)
    templates = []
    for u in uniq.tolist():
        k, rest = divmod(u, 16)
        flags = [
            (kinds[k], bool(rest & 8)),
            ("controller", bool(rest & 4)),
            ("guarantor", bool(rest & 2)),
            ("key_person", bool(rest & 1)),
        ]
        templates.append([x for x, on in flags if on])
    return [templates[i][:] for i in inv.reshape(-1).tolist()]


def _factor_notes(
    ids, bnr, ctrl, same, is_market, ind_conc, u_n, s_n, u_exp, s_exp, ctrl_n, ctrl_exp, d_n, g_n, to, d_exp, ti
) -> tuple[list[str], list[list[str]]]:
    """``factors`` (tags joined by ``;``) and ``factor_notes`` (one explanation per tag) of each source."""
    k = len(ids)
    factors = [""] * k
    notes: list[list[str]] = [[] for _ in range(k)]
    tags = np.asarray(
        [
            "",
            "business_not_real",
            "control",
            "business_not_real;control",
            "same_risk_factor",
            "business_not_real;same_risk_factor",
            "control;same_risk_factor",
            "business_not_real;control;same_risk_factor",
        ],
        dtype=object,
    )
    code = bnr.astype(np.int64) + 2 * ctrl.astype(np.int64) + 4 * same.astype(np.int64)
    factors = tags[code].tolist()
    any_f = np.flatnonzero(code > 0)
    if not len(any_f):
        return factors, notes
    ids_l = ids.tolist()
    for i in np.flatnonzero(bnr).tolist():
        notes[i].append(
            f"business_not_real: {u_n[i]} of {s_n[i]} customers sourced through {ids_l[i]} "
            f"({format_yuan_human(int(u_exp[i]))} of {format_yuan_human(int(s_exp[i]))}) have no trade, "
            "payroll or supply tie to it"
        )
    ci = np.flatnonzero(ctrl)
    money = yuan_human_texts(ctrl_exp[ci])
    counts = texts_by_value(ctrl_n[ci], _customers)
    for i, cn, m in zip(ci.tolist(), counts, money):
        notes[i].append(f"control: controls {cn} ({m})")
    si = np.flatnonzero(same)
    pct = np.full(len(si), "", dtype=object)
    conc = ind_conc[si]
    pct[conc] = percent_texts(to[si][conc], d_exp[si][conc])
    for i, mk, dn, gn, ic, p, name in zip(
        si.tolist(),
        is_market[si].tolist(),
        d_n[si].tolist(),
        g_n[si].tolist(),
        conc.tolist(),
        pct.tolist(),
        ti[si].tolist(),
    ):
        why = []
        if mk:
            why.append(f"{_customers(dn)} trade in one market")
        if gn >= SAME_FACTOR_MIN_CUSTOMERS:
            why.append(f"one guarantor behind {_customers(gn)}")
        if ic:
            why.append(f"{p} of the dependent exposure is in {name}")
        notes[i].append("same_risk_factor: " + ", ".join(why))
    return factors, notes
