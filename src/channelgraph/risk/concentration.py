"""Concentration of the book by channel, industry and region: HHI and top-N shares.

Concentration is measured on the **exposure** (``exposure_fen``: on-balance + CCF ×
off-balance − recognised cash margin, :func:`~channelgraph.graph.exposure.measure_exposure`);
each row also shows the same bucket's ``outstanding_fen`` (appended column). Without the
optional exposure columns of the input the two are equal.

Every facility is attributed to exactly one bucket per dimension, so each dimension
partitions the book and its buckets add up to the total exposure exactly (checked):

* ``channel``: the channel of the facility's scheme; for a facility outside a scheme, the
  customer's channel by precedence SOURCED_VIA, TRADES_IN, MEMBER_OF, EMPLOYS (employer is
  a channel), smallest channel id first; else ``(none)``;
* ``industry`` and ``region``: the customer's, ``(none)`` when empty;
* ``customer``: each customer (one summary row only: name concentration).

Rows per dimension: a summary row (``bucket = *``) with the Herfindahl–Hirschman index
across buckets, ``HHI = Σ sᵢ²`` with ``sᵢ`` the bucket's share of the total (0–1; 1 means
everything in one bucket), and the share of the top-N buckets; then one row per bucket
with its exposure and share of the total, the HHI *across its customers* and the share of
its top-N customers. HHI is exact (integer sums of squared fen) rounded to 6 decimals.
Reference: Basel Committee, "Studies on credit risk concentration" (BCBS WP 15, 2006).

Examples
--------
>>> import pandas as pd
>>> from channelgraph.graph import build_book
>>> from channelgraph.io import dataset_from_frames
>>> ent = pd.DataFrame({"id": ["A", "B"], "kind": ["enterprise"] * 2, "name": ["甲", "乙"],
...                     "is_customer": ["true"] * 2, "industry": ["纺织", "印染"]})
>>> rel = pd.DataFrame({"src": [], "dst": [], "type": []})
>>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["A", "B"], "outstanding": ["30", "70"]})
>>> c = concentration(build_book(dataset_from_frames(ent, rel, exp)))
>>> c[c["dimension"] == "industry"][["bucket", "exposure_fen", "share_of_total", "hhi"]].values.tolist()
[['*', 10000, '1.000000', '0.580000'], ['印染', 7000, '0.700000', '1.000000'], ['纺织', 3000, '0.300000', '1.000000']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import Kind, RelationType
from ..policy import Policy
from ..graph import Book
from ..graph.arrays import kind_in, unique_ints
from ..graph.exposure import Exposure, measure_exposure
from ._numbers import ratio_text

#: Top-N used for the top-N share.
TOP_N = 10
NONE = "(none)"
CONCENTRATION_COLUMNS = [
    "dimension",
    "bucket",
    "bucket_name",
    "customers",
    "exposure_fen",
    "share_of_total",
    "hhi",
    "top_n",
    "top_n_share",
    "top_ids",
    "outstanding_fen",
]
_CHANNELS = {Kind.CHAMBER.value, Kind.MARKET.value, Kind.INTERMEDIARY.value}


def customer_channel(book: Book) -> np.ndarray:
    """Primary channel index per entity (-1 when none), by the documented precedence."""
    n = book.n
    best = np.full(n, -1, dtype=np.int64)
    for t, party_side in (
        (RelationType.EMPLOYS, "dst"),
        (RelationType.MEMBER_OF, "src"),
        (RelationType.TRADES_IN, "src"),
        (RelationType.SOURCED_VIA, "src"),
    ):
        e = book.of(t)
        party = getattr(e, party_side)
        chan = e.src if party_side == "dst" else e.dst
        m = kind_in(book.kind[chan], _CHANNELS)
        party, chan = party[m], chan[m]
        if not len(party):
            continue
        # smallest channel per party: edges are sorted, take the minimum explicitly
        o = np.lexsort((chan, party))
        party, chan = party[o], chan[o]
        first = np.concatenate(([True], party[1:] != party[:-1]))
        best[party[first]] = chan[first]  # later types (higher precedence) overwrite
    return best


def _hhi(values: list[int]) -> str:
    total = sum(values)
    if total <= 0:
        return ratio_text(0, 1)
    return ratio_text(sum(v * v for v in values), total * total)


def _hhi_of(square_sum: int, total: int) -> str:
    """HHI text from the exact sum of squared amounts and the total (0 when the total is 0)."""
    return ratio_text(int(square_sum), int(total) * int(total)) if total > 0 else ratio_text(0, 1)


def _buckets(codes: np.ndarray, cust: np.ndarray, amt: np.ndarray, top_n: int):
    """Per bucket code (ascending): customers, exposure, exact Σ(customer exposure)², top-N sum and
    top-N customer indices (by exposure desc, then index).

    The facility amounts are first summed per (bucket, customer); squares are Python integers
    (exact however large), summed per bucket with ``np.add.reduceat``.
    """
    if not len(cust):
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z.astype(object), z, []
    n = int(cust.max()) + 1
    key = codes.astype(np.int64) * n + cust
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    per = np.add.reduceat(amt[order], starts)  # exposure per (bucket, customer)
    pb, pc = key[starts] // n, key[starts] % n
    bstart = np.flatnonzero(np.concatenate(([True], pb[1:] != pb[:-1])))
    bcode = pb[bstart]
    customers = np.diff(np.append(bstart, len(pb)))
    exposure = np.add.reduceat(per, bstart)
    po = per.astype(object)
    squares = np.add.reduceat(po * po, bstart)
    # within each bucket: exposure desc, then customer index
    rank = np.lexsort((pc, -per, pb))
    pos_in = np.arange(len(pb)) - np.repeat(bstart, customers)  # rank within the bucket (pb is sorted)
    take = rank[pos_in < top_n]  # positions of the top-N rows, bucket by bucket
    tb = pb[take]
    tops = np.add.reduceat(per[take], np.flatnonzero(np.concatenate(([True], tb[1:] != tb[:-1]))))
    top_split = np.cumsum(np.minimum(customers, top_n))[:-1]
    top_ids = np.split(pc[take], top_split)
    return bcode, customers, exposure, squares, tops, top_ids


def concentration(
    book: Book, policy: Policy | None = None, top_n: int = TOP_N, *, exposure: Exposure | None = None
) -> pd.DataFrame:
    """HHI and top-N shares of the exposure per channel, industry and region (and customer name
    concentration).

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book`.
    policy : its ``[exposure]`` rules measure the exposure (default ``book.policy``).
    top_n : N of the top-N share (default :data:`TOP_N`).
    exposure : the measure already taken (default: measured here).

    Returns
    -------
    DataFrame with ``CONCENTRATION_COLUMNS``; per dimension the summary row first, then
    buckets by exposure desc, bucket. ``top_ids`` lists the top-N buckets (summary row) or
    customers (bucket row). Shares, HHI and top-N are on ``exposure_fen``; ``outstanding_fen``
    is the bucket's outstanding, shown beside it.
    """
    m = exposure if exposure is not None else measure_exposure(book, policy)
    total = m.total
    total_out = book.total_outstanding
    cust = book.fac_customer
    amt = m.exposure
    chan = np.where(book.fac_channel >= 0, book.fac_channel, customer_channel(book)[cust]) if len(cust) else cust
    # bucket codes per facility and their labels
    channels, ch_codes = np.unique(chan, return_inverse=True)
    dims = {
        "channel": (
            ch_codes.reshape(-1).astype(np.int64),
            [book.ids[c] if c >= 0 else NONE for c in channels.tolist()],
            [book.name[c] if c >= 0 else "" for c in channels.tolist()],
        )
    }
    for dim, col in (("industry", book.industry), ("region", book.region)):
        labels = np.where(col[cust] != "", col[cust], NONE) if len(cust) else np.zeros(0, object)
        codes, uniq = pd.factorize(np.asarray(labels, dtype=object))
        dims[dim] = (np.asarray(codes, dtype=np.int64), list(uniq), [""] * len(uniq))
    rows = []
    for dim, (codes, label, bname) in dims.items():
        bcode, customers, per_bucket, squares, tops, top_ids = _buckets(codes, cust, amt, top_n)
        out_b = np.zeros(len(label), dtype=np.int64)
        np.add.at(out_b, codes, book.fac_outstanding)
        brows = []
        for k, b in enumerate(bcode.tolist()):
            exp_b = int(per_bucket[k])
            brows.append(
                {
                    "dimension": dim,
                    "bucket": label[b],
                    "bucket_name": bname[b],
                    "customers": int(customers[k]),
                    "exposure_fen": exp_b,
                    "share_of_total": ratio_text(exp_b, total),
                    "hhi": _hhi_of(squares[k], exp_b),
                    "top_n": min(top_n, int(customers[k])),
                    "top_n_share": ratio_text(int(tops[k]), exp_b),
                    "top_ids": book.ids[top_ids[k]].tolist(),
                    "outstanding_fen": int(out_b[b]),
                }
            )
        brows.sort(key=lambda r: (-r["exposure_fen"], r["bucket"]))
        got = sum(r["exposure_fen"] for r in brows)
        if got != total:
            raise RuntimeError(f"concentration by {dim} does not reconcile: {got} ≠ {total} fen")
        bvals = [r["exposure_fen"] for r in brows]
        rows.append(
            {
                "dimension": dim,
                "bucket": "*",
                "bucket_name": "",
                "customers": len(unique_ints(cust)),
                "exposure_fen": total,
                "share_of_total": ratio_text(total, total),
                "hhi": _hhi(bvals),
                "top_n": min(top_n, len(brows)),
                "top_n_share": ratio_text(sum(bvals[:top_n]), total),
                "top_ids": [r["bucket"] for r in brows[:top_n]],
                "outstanding_fen": total_out,
            }
        )
        rows.extend(brows)
    # customer name concentration: summary row only
    per_c = np.zeros(book.n, dtype=np.int64)
    np.add.at(per_c, cust, amt)
    has = unique_ints(cust)
    vals = per_c[has]
    o = np.lexsort((has, -vals))[:top_n]
    vo = vals.astype(object)
    rows.append(
        {
            "dimension": "customer",
            "bucket": "*",
            "bucket_name": "",
            "customers": len(has),
            "exposure_fen": total,
            "share_of_total": ratio_text(total, total),
            "hhi": _hhi_of(int((vo * vo).sum()) if len(vo) else 0, int(vals.sum())),
            "top_n": min(top_n, len(has)),
            "top_n_share": ratio_text(int(vals[o].sum()), total),
            "top_ids": book.ids[has[o]].tolist(),
            "outstanding_fen": total_out,
        }
    )
    out = pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)
    out["exposure_fen"] = out["exposure_fen"].astype(np.int64)
    out["outstanding_fen"] = out["outstanding_fen"].astype(np.int64)
    return out
