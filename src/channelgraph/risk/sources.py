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
exposure. The source's own outstanding is not in ``dependent_exposure`` (see
``own_exposure``).

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
>>> from channelgraph.io import dataset_from_frames
>>> ent = pd.DataFrame({"id": ["M1", "A", "B"], "kind": ["market", "enterprise", "enterprise"],
...                     "name": ["轻纺城", "甲", "乙"], "is_customer": ["false", "true", "true"],
...                     "industry": ["", "纺织", "纺织"]})
>>> rel = pd.DataFrame({"src": ["A", "B"], "dst": ["M1", "M1"], "type": ["TRADES_IN"] * 2})
>>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["A", "B"], "outstanding": ["30", "70"]})
>>> s = single_risk_sources(None, dataset_from_frames(ent, rel, exp))
>>> s[["source_id", "source_type", "dependent_exposure_fen", "share_of_total", "factors"]].values.tolist()
[['M1', 'market', 10000, '1.000000', 'same_risk_factor']]
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..model import Kind, RelationType, format_yuan_human
from ..policy import Policy
from ._facts import Facts, facts_of, in_ints, kind_in, percent_text, ratio_text, ratio_texts, unique_ints

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

SOURCE_COLUMNS = ["rank", "source_id", "name", "kind", "source_type", "roles", "dependent_customers",
                  "dependent_exposure_fen", "share_of_total", "own_exposure_fen", "controlled_exposure_fen",
                  "guaranteed_exposure_fen", "member_exposure_fen", "sourced_exposure_fen", "sourced_customers",
                  "unbacked_customers", "unbacked_exposure_fen", "top_industry", "top_industry_share",
                  "business_not_real", "control", "same_risk_factor", "factors", "factor_notes"]
DEPENDENT_COLUMNS = ["source_id", "customer_id", "via"]
VIAS = ("controlled", "guaranteed", "member", "sourced")

_CHANNELS = {Kind.CHAMBER.value, Kind.MARKET.value, Kind.INTERMEDIARY.value}
_PARTIES = {Kind.PERSON.value, Kind.ENTERPRISE.value}


def _customers(k: int) -> str:
    return f"{k} customer" + ("" if k == 1 else "s")


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def controlled_pairs(f: Facts, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """(controller, controlled) index pairs, transitive up to :data:`MAX_CONTROL_DEPTH` levels."""
    e = f.of(RelationType.CONTROLS)
    m = ~np.isnan(e.share) & (e.share > float(policy.connection.control_share_above))
    s, d = e.src[m], e.dst[m]
    n = f.n
    if not len(s):
        return s, d
    seen = unique_ints(s * n + d)
    frontier = seen
    edges = pd.DataFrame({"mid": s, "down": d})
    for _ in range(MAX_CONTROL_DEPTH - 1):
        fr = pd.DataFrame({"top": frontier // n, "mid": frontier % n})
        nxt = fr.merge(edges, on="mid")
        if not len(nxt):
            break
        keys = unique_ints(nxt["top"].to_numpy(np.int64) * n + nxt["down"].to_numpy(np.int64))
        keys = keys[(keys // n) != (keys % n)]
        new = keys[~in_ints(keys, seen)]
        if not len(new):
            break
        seen = unique_ints(np.concatenate((seen, new)))
        frontier = new
    return seen // n, seen % n


def key_persons(f: Facts) -> np.ndarray:
    """Boolean mask of key persons: role holders and heavy referrers (persons or firms)."""
    party = kind_in(f.kind, _PARTIES)
    key = np.zeros(f.n, dtype=bool)
    for t, side in ((RelationType.MEMBER_OF, "src"), (RelationType.TRADES_IN, "src"), (RelationType.EMPLOYS, "dst")):
        e = f.of(t)
        has_role = np.asarray([bool(r and str(r).strip()) for r in e.role.tolist()], dtype=bool)
        key[getattr(e, side)[has_role]] = True
    ref = f.of(RelationType.REFERRED)
    key |= np.bincount(ref.src, minlength=f.n) >= KEY_REFERRER_MIN
    return key & party


def source_dependents(graph, dataset, policy: Policy | None = None) -> pd.DataFrame:
    """Every (source, dependent customer, via) pair behind :func:`single_risk_sources`.

    ``via`` is ``controlled``, ``guaranteed``, ``member`` or ``sourced``. A customer may
    depend on a source through several vias (one row each). Not written as an output
    (it can have millions of rows); for other rooms (e.g. caps: how much of a scheme
    depends on one source).
    """
    policy = policy or dataset.policy
    f = facts_of(dataset)
    s, c, v = _pairs(f, policy)
    return pd.DataFrame({"source_id": f.ids[s], "customer_id": f.ids[c], "via": np.asarray(VIAS, dtype=object)[v]})


def _pairs(f: Facts, policy: Policy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, customer, via code) index arrays, customers only, self excluded, de-duplicated."""
    n = f.n
    S, C, V = [], [], []

    def put(s, c, via):
        S.append(np.asarray(s, dtype=np.int64))
        C.append(np.asarray(c, dtype=np.int64))
        V.append(np.full(len(s), VIAS.index(via), dtype=np.int64))

    cs, cc = controlled_pairs(f, policy)
    put(cs, cc, "controlled")
    g = f.of(RelationType.GUARANTEES)
    put(g.src, g.dst, "guaranteed")
    is_channel = kind_in(f.kind, _CHANNELS)
    for t in (RelationType.MEMBER_OF, RelationType.TRADES_IN):
        e = f.of(t)
        put(e.dst, e.src, "member")
    e = f.of(RelationType.EMPLOYS)
    m = is_channel[e.src]
    put(e.src[m], e.dst[m], "member")
    e = f.of(RelationType.SOURCED_VIA)
    put(e.dst, e.src, "sourced")
    m = f.fac_channel >= 0
    put(f.fac_channel[m], f.fac_customer[m], "sourced")
    key = key_persons(f)
    e = f.of(RelationType.REFERRED)
    m = is_channel[e.src] | key[e.src]
    put(e.src[m], e.dst[m], "sourced")

    s, c, v = _cat(S), _cat(C), _cat(V)
    keep = f.is_customer[c] & (s != c)
    s, c, v = s[keep], c[keep], v[keep]
    k = unique_ints((s * n + c) * len(VIAS) + v)
    v = k % len(VIAS)
    sc = k // len(VIAS)
    return sc // n, sc % n, v


def _tie_keys(f: Facts) -> np.ndarray:
    """Keys s*n+c of every (source, customer) pair with a trade, payroll, supply or control tie."""
    n = f.n
    keys = []
    for t in (RelationType.MEMBER_OF, RelationType.TRADES_IN):
        e = f.of(t)
        keys.append(e.dst * n + e.src)
    for t in (RelationType.EMPLOYS, RelationType.SUPPLIES, RelationType.CONTROLS):
        e = f.of(t)
        keys.append(e.src * n + e.dst)
        keys.append(e.dst * n + e.src)
    return unique_ints(_cat(keys))


def _shared_place(f: Facts, s: np.ndarray, c: np.ndarray) -> np.ndarray:
    """For pairs (s, c): do they belong to / trade in the same chamber or market?"""
    if not len(s):
        return np.zeros(0, dtype=bool)
    mem = [f.of(RelationType.MEMBER_OF), f.of(RelationType.TRADES_IN)]
    ps = _cat([e.src for e in mem])
    pc = _cat([e.dst for e in mem])
    n = f.n
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


def single_risk_sources(graph, dataset, policy: Policy | None = None) -> pd.DataFrame:
    """Rank every potential single risk source by the exposure that depends on it.

    Parameters
    ----------
    graph : the dataset's graph (either backend); facts are read from *dataset*.
    dataset : a validated Dataset.
    policy : default ``dataset.policy`` (``connection.control_share_above`` decides control).

    Returns
    -------
    DataFrame with ``SOURCE_COLUMNS``, sorted by ``dependent_exposure`` desc then
    ``source_id``; ``rank`` starts at 1; ``share_of_total`` is the dependent exposure over the
    total outstanding (6 decimals); ``factors`` joins the true factor tags with ``;`` and
    ``factor_notes`` explains each.
    """
    policy = policy or dataset.policy
    f = facts_of(dataset)
    n, ids = f.n, f.ids
    s, c, v = _pairs(f, policy)
    out = f.outstanding

    key = key_persons(f)
    ctrl_src, _ = controlled_pairs(f, policy)
    is_controller = np.zeros(n, dtype=bool)
    is_controller[ctrl_src] = True
    is_guarantor = np.zeros(n, dtype=bool)
    is_guarantor[f.of(RelationType.GUARANTEES).src] = True
    is_channel = kind_in(f.kind, _CHANNELS)
    is_source = is_channel | key | is_controller | is_guarantor
    src_idx = np.flatnonzero(is_source)
    if not len(src_idx):
        return pd.DataFrame({col: [] for col in SOURCE_COLUMNS})

    df = pd.DataFrame({"s": s, "c": c, "v": v, "o": out[c]})
    # union of dependents
    uniq = df.drop_duplicates(["s", "c"])
    dep_n = np.bincount(uniq["s"].to_numpy(np.int64), minlength=n)
    dep_exp = np.zeros(n, dtype=np.int64)
    np.add.at(dep_exp, uniq["s"].to_numpy(np.int64), uniq["o"].to_numpy(np.int64))
    via_exp = np.zeros((len(VIAS), n), dtype=np.int64)
    np.add.at(via_exp, (df["v"].to_numpy(np.int64), df["s"].to_numpy(np.int64)), df["o"].to_numpy(np.int64))
    via_n = np.zeros((len(VIAS), n), dtype=np.int64)
    np.add.at(via_n, (df["v"].to_numpy(np.int64), df["s"].to_numpy(np.int64)), 1)

    # sourced business without a real tie
    src_rows = df[df["v"] == VIAS.index("sourced")]
    ss, sc_ = src_rows["s"].to_numpy(np.int64), src_rows["c"].to_numpy(np.int64)
    tied = in_ints(ss * n + sc_, _tie_keys(f))
    party_src = ~is_channel[ss]
    tied[party_src] |= _shared_place(f, ss[party_src], sc_[party_src])
    unb_n = np.bincount(ss[~tied], minlength=n)
    unb_exp = np.zeros(n, dtype=np.int64)
    np.add.at(unb_exp, ss[~tied], out[sc_[~tied]])

    # industry concentration of the dependents
    ind = pd.DataFrame({"s": uniq["s"].to_numpy(np.int64), "ind": f.industry[uniq["c"].to_numpy(np.int64)],
                        "o": uniq["o"].to_numpy(np.int64)})
    ind = ind[ind["ind"] != ""]
    top_ind = {}
    if len(ind):
        agg = ind.groupby(["s", "ind"], sort=True)["o"].sum().reset_index()
        agg = agg.sort_values(["s", "o", "ind"], ascending=[True, False, True], kind="stable")
        agg = agg.drop_duplicates("s")
        top_ind = {int(a): (b, int(o)) for a, b, o in zip(agg["s"], agg["ind"], agg["o"])}

    total = f.total_outstanding
    na, qa = BUSINESS_NOT_REAL_SHARE.as_integer_ratio()
    ni, qi = SAME_FACTOR_INDUSTRY_SHARE.as_integer_ratio()
    G, CTRL, MEM, SRC = (VIAS.index(x) for x in ("guaranteed", "controlled", "member", "sourced"))
    I = src_idx
    kind = f.kind[I]
    chan, ctl, gua, kp = is_channel[I], is_controller[I], is_guarantor[I], key[I]
    stype = np.where(chan, kind, np.where(kp, "key_person", np.where(
        ctl & (~gua | (via_exp[CTRL, I] >= via_exp[G, I])), "controller", "guarantor"))).astype(object)
    roles = [[r for r, on in ((k, c), ("controller", a), ("guarantor", b), ("key_person", d)) if on]
             for k, c, a, b, d in zip(kind.tolist(), chan.tolist(), ctl.tolist(), gua.tolist(), kp.tolist())]

    def obj(a):  # python ints: exact products however large the amounts
        return np.asarray(a, dtype=np.int64).astype(object)

    d_exp, d_n = dep_exp[I], dep_n[I]
    s_exp, s_n = via_exp[SRC, I], via_n[SRC, I]
    u_exp, u_n = unb_exp[I], unb_n[I]
    bnr = np.where(s_exp > 0, obj(u_exp) * qa > obj(s_exp) * na, (s_n > 0) & (obj(u_n) * qa > obj(s_n) * na))
    bnr = bnr.astype(bool)
    ctrl_n = via_n[CTRL, I]
    ctrl = ctrl_n > 0
    top = [top_ind.get(i, ("", 0)) for i in I.tolist()]
    ti = np.asarray([t[0] for t in top], dtype=object)
    to = np.asarray([t[1] for t in top], dtype=np.int64)
    ind_conc = (d_exp > 0) & (obj(to) * qi >= obj(d_exp) * ni).astype(bool)
    g_n = via_n[G, I]
    same = (d_n >= SAME_FACTOR_MIN_CUSTOMERS) & ((kind == Kind.MARKET.value) | (g_n >= SAME_FACTOR_MIN_CUSTOMERS)
                                                | ind_conc)
    factors, notes = [], []
    ids_I = ids[I].tolist()
    for k in range(len(I)):
        fs, ns_ = [], []
        if bnr[k]:
            fs.append("business_not_real")
            ns_.append(f"business_not_real: {u_n[k]} of {s_n[k]} customers sourced through {ids_I[k]} "
                       f"({format_yuan_human(int(u_exp[k]))} of {format_yuan_human(int(s_exp[k]))}) have no trade, "
                       "payroll or supply tie to it")
        if ctrl[k]:
            fs.append("control")
            ns_.append(f"control: controls {_customers(int(ctrl_n[k]))} "
                       f"({format_yuan_human(int(via_exp[CTRL, I[k]]))})")
        if same[k]:
            fs.append("same_risk_factor")
            why = []
            if kind[k] == Kind.MARKET.value:
                why.append(f"{_customers(int(d_n[k]))} trade in one market")
            if g_n[k] >= SAME_FACTOR_MIN_CUSTOMERS:
                why.append(f"one guarantor behind {_customers(int(g_n[k]))}")
            if ind_conc[k]:
                why.append(f"{percent_text(int(to[k]), int(d_exp[k]))} of the dependent exposure is in {ti[k]}")
            ns_.append("same_risk_factor: " + ", ".join(why))
        factors.append(";".join(fs))
        notes.append(ns_)
    has_ti = ti != ""
    top_share = np.full(len(I), "", dtype=object)
    if has_ti.any():
        top_share[has_ti] = [ratio_text(a, b) for a, b in zip(to[has_ti].tolist(), d_exp[has_ti].tolist())]
    rows = {
        "source_id": ids[I], "name": f.name[I], "kind": kind, "source_type": stype, "roles": roles,
        "dependent_customers": d_n.astype(np.int64), "dependent_exposure_fen": d_exp.astype(np.int64),
        "share_of_total": ratio_texts(d_exp, total), "own_exposure_fen": out[I],
        "controlled_exposure_fen": via_exp[CTRL, I], "guaranteed_exposure_fen": via_exp[G, I],
        "member_exposure_fen": via_exp[MEM, I], "sourced_exposure_fen": s_exp, "sourced_customers": s_n,
        "unbacked_customers": u_n.astype(np.int64), "unbacked_exposure_fen": u_exp, "top_industry": ti,
        "top_industry_share": top_share, "business_not_real": bnr, "control": ctrl, "same_risk_factor": same,
        "factors": factors, "factor_notes": notes,
    }
    res = pd.DataFrame(rows)
    res["dependent_exposure_fen"] = res["dependent_exposure_fen"].astype(np.int64)
    o = np.lexsort((res["source_id"].to_numpy(dtype=object), -res["dependent_exposure_fen"].to_numpy()))
    res = res.iloc[o].reset_index(drop=True)
    res.insert(0, "rank", np.arange(1, len(res) + 1, dtype=np.int64))
    return res[SOURCE_COLUMNS]
