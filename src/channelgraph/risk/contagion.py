"""Contagion through guarantees: a stress cascade and the DebtRank systemic-impact ranking.

**Stress cascade** (:func:`stress_cascade`). Round 0 defaults the given entities. In each
round, the guarantees of every borrower that defaulted in the previous round are called:
the call is ``min(guarantee amount, borrower outstanding)`` (a guarantee never pays more
than the debt). A guarantor whose called guarantees, summed over all rounds, **exceed**
its net assets defaults in the next round. A guarantor whose net assets are unknown is
treated as unable to pay any call (conservative; said in the call's ``note``). The cascade
stops when a round defaults nobody new.

**DebtRank** (:func:`debt_rank`; Battiston, Puliga, Kaushik, Tasca & Caldarelli 2012,
"DebtRank: Too Central to Fail? Financial Networks, the FED and Systemic Risk", Sci. Rep.
2:541). The impact of a borrower *b*'s distress on its guarantor *g* is
``W[b→g] = min(1, min(amount, outstanding_b) / net_assets_g)`` (1 when the net assets are
unknown or zero). The economic value of an entity is the bank's measured exposure to it,
``v = exposure / total exposure``. For each entity *i*, distress ``h_i = 1`` is
propagated with the DebtRank rule (each distressed node propagates once, then is inactive)
and ``R_i = Σ_j h_j v_j − v_i``: the share of the book's exposure hit *beyond* i's own;
``impact_exposure = R_i × total exposure``.

**Which measure.** The losses (``exposure_hit_fen``, ``v``, ``impact_exposure_fen``,
``own_exposure_fen``) are on the **measured exposure** (on-balance + CCF × off-balance −
recognised cash margin, :func:`~channelgraph.graph.exposure.measure_exposure`); a guarantee
call stays ``min(amount, outstanding)``: a guarantor answers for the debt as owed. The
appended ``outstanding_hit_fen`` (stress rounds) and ``own_outstanding_fen`` (DebtRank) show
the outstanding beside it; without the optional exposure columns of the input they are equal.

Bounded work: DebtRank runs from many entities at once on sparse (run, entity) pairs, in
chunks of at most :data:`DEBTRANK_BLOCK_CELLS` cells; each run only touches the weakly
connected part of the guarantee network it starts in. In a part where exact runs for every node would cost
more than :data:`DEBTRANK_WORK_BUDGET` edge-visits, only the :data:`DEBTRANK_MAX_EXACT`
candidates with the largest one-round impact get the full run (``method = full``); the
others keep their one-round impact, a lower bound (``method = one_round``).

Examples
--------
>>> import pandas as pd
>>> from channelgraph.graph import build_book
>>> from channelgraph.io import dataset_from_frames
>>> ent = pd.DataFrame({"id": ["A", "B"], "kind": ["enterprise"] * 2, "name": ["甲", "乙"],
...                     "is_customer": ["true"] * 2, "net_assets": ["100", "1000"]})
>>> rel = pd.DataFrame({"src": ["B"], "dst": ["A"], "type": ["GUARANTEES"], "amount": ["50"]})
>>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["A", "B"], "outstanding": ["80", "20"]})
>>> book = build_book(dataset_from_frames(ent, rel, exp))
>>> rounds, calls = stress_cascade(book, None, ["A"])
>>> rounds[["round", "defaulted", "exposure_hit_fen", "called_fen"]].values.tolist()
[[0, ['A'], 8000, 5000]]
>>> debt_rank(book)[["entity_id", "debt_rank", "impact_exposure_fen"]].values.tolist()
[['A', '0.010000', 100], ['B', '0.000000', 0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from ..model import RelationType
from ..policy import Policy
from .._runtime import gc_paused
from ..graph import Book
from ..graph.arrays import csr, gather, in_ints, unique_ints
from ..graph.exposure import Exposure, measure_exposure
from ._numbers import percent_text, ratio_text

ROUND_COLUMNS = [
    "round",
    "defaulted",
    "defaulted_count",
    "exposure_hit_fen",
    "cumulative_exposure_hit_fen",
    "cumulative_share_of_tier1",
    "guarantee_calls",
    "called_fen",
    "outstanding_hit_fen",
]
CALL_COLUMNS = [
    "round",
    "guarantor_id",
    "borrower_id",
    "guarantee_fen",
    "called_fen",
    "guarantor_called_total_fen",
    "guarantor_net_assets_fen",
    "guarantor_defaults",
    "note",
]
IMPACT_COLUMNS = [
    "rank",
    "entity_id",
    "name",
    "kind",
    "debt_rank",
    "impact_exposure_fen",
    "distressed_entities",
    "defaulted_entities",
    "own_exposure_fen",
    "method",
    "own_outstanding_fen",
]

#: Edge-visits allowed for exact DebtRank runs in one weakly connected part.
DEBTRANK_WORK_BUDGET = 50_000_000
#: In a part over the budget, this many candidates still get the full run.
DEBTRANK_MAX_EXACT = 2_000
#: A chunk of simultaneous runs covers at most this many (run, entity) cells.
DEBTRANK_BLOCK_CELLS = 4_000_000
#: Propagation stops after this many rounds (DebtRank converges in far fewer).
DEBTRANK_MAX_ROUNDS = 100


class UnknownEntityError(ValueError):
    """Ids given to a stress test that are not entities of the book."""

    def __init__(self, unknown: list[str]):
        self.unknown = unknown
        super().__init__("unknown entity id" + ("s" if len(unknown) > 1 else "") + ": " + ", ".join(unknown))


def _guarantees(book: Book):
    e = book.of(RelationType.GUARANTEES)
    amount = np.where(e.has_amount, e.amount, 0).astype(np.int64)
    called = np.minimum(amount, book.outstanding[e.dst])
    return e.src, e.dst, amount, called


@gc_paused
def stress_cascade(
    book: Book, policy: Policy | None, defaulted_ids, *, exposure: Exposure | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Default *defaulted_ids* and propagate through guarantees, round by round.

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book`.
    policy : for tier-1 capital and the ``[exposure]`` rules (default ``book.policy``).
    defaulted_ids : entity ids defaulting in round 0.
    exposure : the measure already taken (default: measured here).

    Returns
    -------
    rounds : ``ROUND_COLUMNS`` — per round the newly defaulted ids, the exposure hit (their
        measured exposure), the cumulative hit and its share of tier-1, the guarantee calls
        their defaults trigger, and their outstanding (``outstanding_hit_fen``).
    calls : ``CALL_COLUMNS`` — every guarantee called: round, guarantor, borrower, guarantee
        amount, amount called, the guarantor's cumulative calls, its net assets, whether it
        defaults (in the next round) and a note.

    Raises
    ------
    UnknownEntityError
        when an id is not an entity of the book.
    """
    policy = policy or book.policy
    wanted = sorted({str(x).strip() for x in defaulted_ids if str(x).strip()})
    pos = book.positions(wanted)
    unknown = [w for w, p in zip(wanted, pos.tolist()) if p < 0]
    if unknown:
        raise UnknownEntityError(unknown)
    n, ids = book.n, book.ids
    own = (exposure if exposure is not None else measure_exposure(book, policy)).of_entity
    gs, gb, amount, called_amt = _guarantees(book)
    # by borrower: the guarantees to call
    indptr, _, perm = csr(gb, gs, n)
    defaulted = np.zeros(n, dtype=bool)
    called_total = np.zeros(n, dtype=object)  # python ints: exact
    called_total[:] = 0
    new = np.asarray(sorted(pos.tolist()), dtype=np.int64)
    defaulted[new] = True
    cum_hit = 0
    rounds: dict[str, list] = {c: [] for c in ROUND_COLUMNS}
    calls: dict[str, list] = {c: [] for c in CALL_COLUMNS}
    r = 0
    while len(new):
        hit = int(own[new].sum())
        cum_hit += hit
        p = perm[gather(indptr, new)]
        # deterministic call order: borrower, then guarantor
        p = p[np.lexsort((gs[p], gb[p]))]
        next_default = set()
        ncalls, called_sum = 0, 0
        for e in p.tolist():
            g, b, c = int(gs[e]), int(gb[e]), int(called_amt[e])
            if c <= 0:
                continue
            ncalls += 1
            called_sum += c
            called_total[g] += c
            tot = called_total[g]
            if defaulted[g]:
                dflt, note = False, f"{ids[g]} is already in default"
            elif g in next_default:
                dflt, note = False, f"{ids[g]} already defaults next round"
            elif not book.has_net_assets[g]:
                dflt, note = True, f"{ids[g]} net assets unknown: treated as unable to pay"
                next_default.add(g)
            elif tot > int(book.net_assets[g]):
                dflt, note = True, f"calls on {ids[g]} exceed its net assets: defaults next round"
                next_default.add(g)
            else:
                pct = percent_text(tot, int(book.net_assets[g]))
                dflt, note = False, f"{ids[g]} can pay: calls are {pct} of its net assets"
            calls["round"].append(r)
            calls["guarantor_id"].append(ids[g])
            calls["borrower_id"].append(ids[b])
            calls["guarantee_fen"].append(int(amount[e]))
            calls["called_fen"].append(c)
            calls["guarantor_called_total_fen"].append(int(tot))
            calls["guarantor_net_assets_fen"].append(int(book.net_assets[g]) if book.has_net_assets[g] else None)
            calls["guarantor_defaults"].append(dflt)
            calls["note"].append(note)
        rounds["round"].append(r)
        rounds["defaulted"].append(ids[new].tolist())
        rounds["defaulted_count"].append(len(new))
        rounds["exposure_hit_fen"].append(hit)
        rounds["cumulative_exposure_hit_fen"].append(cum_hit)
        rounds["cumulative_share_of_tier1"].append(ratio_text(cum_hit, policy.tier1_capital_fen))
        rounds["guarantee_calls"].append(ncalls)
        rounds["called_fen"].append(called_sum)
        rounds["outstanding_hit_fen"].append(int(book.outstanding[new].sum()))
        new = np.asarray(sorted(next_default), dtype=np.int64)
        defaulted[new] = True
        r += 1
    rounds_df = pd.DataFrame(rounds, columns=ROUND_COLUMNS)
    calls_df = pd.DataFrame(calls, columns=CALL_COLUMNS)
    calls_df["guarantor_net_assets_fen"] = pd.array(calls_df["guarantor_net_assets_fen"].tolist(), dtype="Int64")
    return rounds_df, calls_df


# ----------------------------------------------------------------------------- DebtRank


def _impact_matrix(book: Book):
    """Sparse W with W[b, g] = impact of b's distress on guarantor g (rows: source of distress)."""
    gs, gb, _, called = _guarantees(book)
    m = called > 0
    gs, gb, called = gs[m], gb[m], called[m]
    na = book.net_assets[gs].astype(np.float64)
    known = book.has_net_assets[gs] & (book.net_assets[gs] > 0)
    w = np.ones(len(gs), dtype=np.float64)
    w[known] = np.minimum(1.0, called[known].astype(np.float64) / na[known])
    return gb, gs, w


def _debtrank_runs(
    indptr: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    v: np.ndarray,
    runs: np.ndarray,
    n: int,
    max_rounds: int,
):
    """DebtRank from each node of *runs* at once, on sparse (run, node) pairs.

    Each pair holds the distress ``h`` of *node* in the run started at *run*; only pairs with
    ``h > 0`` exist. A pair propagates once, in the round after it appears (state D), then is
    inactive (state I); its ``h`` may still grow. Returns (R, distressed, defaulted) per run.
    """
    k = len(runs)
    run_pos = np.arange(k, dtype=np.int64)
    keys = run_pos * n + runs  # state keys: run position * n + node, sorted
    h = np.ones(k)
    act_keys, act_h = keys.copy(), h.copy()
    for _ in range(max_rounds):
        if not len(act_keys):
            break
        nodes = act_keys % n
        p = gather(indptr, nodes)
        if not len(p):
            break
        lens = indptr[nodes + 1] - indptr[nodes]
        src_run = np.repeat(act_keys // n, lens)
        src_h = np.repeat(act_h, lens)
        in_keys = src_run * n + targets[p]
        in_val = src_h * weights[p]
        uk, inv = np.unique(in_keys, return_inverse=True)
        inflow = np.bincount(inv, weights=in_val, minlength=len(uk))
        pos = np.searchsorted(keys, uk)
        pos_c = np.minimum(pos, len(keys) - 1)
        exists = keys[pos_c] == uk
        h[pos_c[exists]] = np.minimum(1.0, h[pos_c[exists]] + inflow[exists])
        new_k, new_h = uk[~exists], np.minimum(1.0, inflow[~exists])
        if len(new_k):
            keys = np.concatenate((keys, new_k))
            h = np.concatenate((h, new_h))
            o = np.argsort(keys, kind="stable")
            keys, h = keys[o], h[o]
        act_keys, act_h = new_k, new_h
    rp = keys // n
    node = keys % n
    hv = np.bincount(rp, weights=h * v[node], minlength=k)
    R = hv - v[runs]
    distressed = np.bincount(rp, minlength=k) - 1
    defaulted = np.bincount(rp, weights=(h >= 1.0).astype(np.float64), minlength=k).astype(np.int64) - 1
    return R, distressed, defaulted


@gc_paused
def debt_rank(book: Book, policy: Policy | None = None, *, exposure: Exposure | None = None) -> pd.DataFrame:
    """DebtRank of every entity in the guarantee network (Battiston et al. 2012), on the measured
    exposure.

    *policy* gives the ``[exposure]`` rules (DebtRank itself has no thresholds); *exposure* is
    the measure already taken (default: measured here).

    Returns
    -------
    DataFrame with ``IMPACT_COLUMNS``: ``debt_rank`` (share of the book's exposure distressed
    beyond the entity's own, 6 decimals), ``impact_exposure_fen`` (that share × total exposure,
    rounded down), ``distressed_entities`` and ``defaulted_entities`` (other entities reaching
    some / full distress), ``own_exposure_fen``, ``method`` (``full`` or ``one_round``),
    ``own_outstanding_fen``.
    Sorted by debt_rank desc then entity_id; entities outside the guarantee network have
    DebtRank 0 and are not listed.
    """
    n, ids = book.n, book.ids
    gb, gs, w = _impact_matrix(book)
    e = book.of(RelationType.GUARANTEES)
    nodes = unique_ints(np.concatenate((e.src, e.dst)))
    if not len(nodes):
        return pd.DataFrame({c: [] for c in IMPACT_COLUMNS})
    measured = exposure if exposure is not None else measure_exposure(book, policy)
    total = measured.total
    v_all = measured.of_entity.astype(np.float64) / float(total) if total else np.zeros(n)
    # weak components over the impact edges
    from scipy.sparse.csgraph import connected_components

    W_all = csr_matrix((w, (gb, gs)), shape=(n, n))
    _, comp = connected_components(W_all, directed=True, connection="weak")
    comp_size = np.bincount(comp)
    comp_nnz = np.bincount(comp[gb], minlength=len(comp_size))
    indptr, targets, perm = csr(gb, gs, n)
    weights = w[perm]
    R = np.zeros(n)
    dist = np.zeros(n, dtype=np.int64)
    dflt = np.zeros(n, dtype=np.int64)
    method = np.full(n, "full", dtype=object)
    one_round = W_all @ v_all  # Σ_g W[b,g] v_g: the one-round impact, a lower bound
    sources = unique_ints(gb)  # only nodes with outgoing impact can have R > 0
    runs = sources
    if len(sources):
        sc = comp[sources]
        runs_per_comp = np.bincount(sc, minlength=len(comp_size))
        heavy = np.flatnonzero(runs_per_comp * np.maximum(1, comp_nnz) > DEBTRANK_WORK_BUDGET)
        if len(heavy):
            keep = np.ones(len(sources), dtype=bool)
            for c in heavy.tolist():
                in_c = sources[sc == c]
                pick = np.lexsort((in_c, -one_round[in_c]))[:DEBTRANK_MAX_EXACT]
                rest = in_c[~in_ints(in_c, in_c[pick])]
                R[rest] = one_round[rest]
                dist[rest] = np.diff(indptr)[rest]
                method[rest] = "one_round"
                keep &= ~in_ints(sources, rest)
            runs = sources[keep]
    if len(runs):
        # chunks of about DEBTRANK_BLOCK_CELLS (run, entity) cells; every run is independent of the
        # others in its chunk (its sums run in its own order), so the chunking changes no result
        cells = comp_size[comp[runs]]
        chunk = (np.cumsum(cells) - 1) // DEBTRANK_BLOCK_CELLS
        bounds = np.concatenate(([0], np.flatnonzero(chunk[1:] != chunk[:-1]) + 1, [len(runs)]))
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            part = runs[a:b]
            R[part], dist[part], dflt[part] = _debtrank_runs(
                indptr, targets, weights, v_all, part, n, DEBTRANK_MAX_ROUNDS
            )
    R = np.maximum(R, 0.0)
    # by DebtRank desc (rounded to 12 places, so float noise orders nothing), then id (= index)
    o = np.lexsort((np.arange(len(nodes)), -np.round(R[nodes], 12)))
    sel = nodes[o]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(sel) + 1, dtype=np.int64),
            "entity_id": ids[sel],
            "name": book.name[sel],
            "kind": book.kind[sel],
            "debt_rank": [f"{x:.6f}" for x in R[sel].tolist()],
            "impact_exposure_fen": np.floor(R[sel] * total + 1e-6).astype(np.int64),
            "distressed_entities": dist[sel],
            "defaulted_entities": dflt[sel],
            "own_exposure_fen": measured.of_entity[sel],
            "method": method[sel],
            "own_outstanding_fen": book.outstanding[sel],
        },
        columns=IMPACT_COLUMNS,
    )
