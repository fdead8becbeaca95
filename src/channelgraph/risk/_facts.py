"""Compact, order-independent arrays of the facts the risk room reads.

Every risk function works on integer entity indices into the *sorted* entity ids, so
that no output depends on the order in which rows, nodes or edges were inserted
(the embedded and the Neo4j backend must write byte-identical tables). Money stays
integer fen (``int64``); shares stay the floats parsed from the CSV text.

The facts are read from the validated :class:`~channelgraph.io.validate.Dataset`
tables (the same facts the graph holds, in vectorised form), once per dataset.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..io.validate import Dataset
from ..model import RelationType

#: Placeholder for an unknown (empty) amount in an int64 array; use the ``has_*`` masks.
UNKNOWN = -1


@dataclass
class Edges:
    """One relation type as parallel arrays, sorted by (src, dst) index."""

    src: np.ndarray  # int64 entity index
    dst: np.ndarray  # int64 entity index
    amount: np.ndarray  # int64 fen, UNKNOWN where empty
    has_amount: np.ndarray  # bool
    share: np.ndarray  # float64, nan where empty
    role: np.ndarray  # object (str)

    def __len__(self) -> int:
        return len(self.src)


@dataclass
class Facts:
    """Entities (sorted by id) and relations by type, as arrays."""

    ids: np.ndarray  # object, sorted
    index: pd.Index
    kind: np.ndarray  # object
    name: np.ndarray  # object
    is_customer: np.ndarray  # bool
    net_assets: np.ndarray  # int64, UNKNOWN where empty
    has_net_assets: np.ndarray  # bool
    industry: np.ndarray  # object
    region: np.ndarray  # object
    outstanding: np.ndarray  # int64 fen per entity (sum of its facilities)
    total_outstanding: int
    edges: dict[str, Edges] = field(default_factory=dict)
    #: facilities: customer index, outstanding fen, scheme channel index (-1 when none)
    fac_customer: np.ndarray | None = None
    fac_outstanding: np.ndarray | None = None
    fac_channel: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.ids)

    def of(self, rtype: str | RelationType) -> Edges:
        return self.edges[RelationType(rtype).value]


#: id(dataset) → (weak reference to it, fingerprint, facts); a few recent datasets only.
_CACHE: dict[int, tuple] = {}
_CACHE_SIZE = 4


def _fingerprint(ds: Dataset) -> tuple:
    return (id(ds.entities), len(ds.entities), id(ds.relations), len(ds.relations),
            id(ds.exposures), len(ds.exposures), id(ds.schemes), len(ds.schemes))


def facts_of(dataset: Dataset) -> Facts:
    """The :class:`Facts` of a dataset (built once and cached per dataset object)."""
    fp = _fingerprint(dataset)
    got = _CACHE.get(id(dataset))
    if got is not None and got[0]() is dataset and got[1] == fp:
        return got[2]
    f = _build(dataset)
    for k in [k for k, v in _CACHE.items() if v[0]() is None]:
        del _CACHE[k]
    while len(_CACHE) >= _CACHE_SIZE:
        del _CACHE[next(iter(_CACHE))]
    _CACHE[id(dataset)] = (weakref.ref(dataset), fp, f)
    return f


def _int_or_unknown(values) -> tuple[np.ndarray, np.ndarray]:
    s = pd.array(values, dtype="Int64")
    has = ~np.asarray(s.isna(), dtype=bool)
    arr = np.asarray(s.fillna(UNKNOWN).astype("int64"), dtype=np.int64)
    return arr, has


def _build(ds: Dataset) -> Facts:
    ent = ds.entities.sort_values("id", kind="stable").reset_index(drop=True)
    ids = np.asarray(ent["id"].tolist(), dtype=object)
    index = pd.Index(ids)
    net, has_net = _int_or_unknown(ent["net_assets"])
    n = len(ids)

    exp = ds.exposures
    outstanding = np.zeros(n, dtype=np.int64)
    fac_c = np.asarray(index.get_indexer(exp["customer_id"].tolist()), dtype=np.int64)
    fac_o = np.asarray(exp["outstanding"].to_numpy(dtype=np.int64), dtype=np.int64)
    if len(exp):
        np.add.at(outstanding, fac_c, fac_o)
    sch = ds.schemes
    chan_of_scheme = dict(zip(sch["scheme_id"].tolist(), sch["channel_id"].tolist())) if len(sch) else {}
    scheme_col = exp["scheme_id"].tolist() if "scheme_id" in exp.columns else [""] * len(exp)
    chan_ids = [chan_of_scheme.get(s, "") if s else "" for s in scheme_col]
    fac_ch = np.asarray(index.get_indexer(chan_ids), dtype=np.int64) if len(exp) else np.zeros(0, np.int64)

    f = Facts(
        ids=ids, index=index, kind=np.asarray(ent["kind"].tolist(), dtype=object),
        name=np.asarray(ent["name"].tolist(), dtype=object),
        is_customer=np.asarray(ent["is_customer"].to_numpy(dtype=bool), dtype=bool),
        net_assets=net, has_net_assets=has_net,
        industry=np.asarray(ent["industry"].fillna("").tolist(), dtype=object),
        region=np.asarray(ent["region"].fillna("").tolist(), dtype=object),
        outstanding=outstanding, total_outstanding=int(ds.total_outstanding_fen),
        fac_customer=fac_c, fac_outstanding=fac_o, fac_channel=fac_ch,
    )
    if int(outstanding.sum()) != f.total_outstanding:  # pragma: no cover - validation guards it
        raise RuntimeError("facility outstanding does not reconcile with the dataset total")

    rel = ds.relations
    types = rel["type"].to_numpy(dtype=object)
    src_all = np.asarray(index.get_indexer(rel["src"].tolist()), dtype=np.int64)
    dst_all = np.asarray(index.get_indexer(rel["dst"].tolist()), dtype=np.int64)
    amt_all, has_amt_all = _int_or_unknown(rel["amount"])
    share_all = np.asarray(pd.array(rel["share"], dtype="Float64").to_numpy(dtype=np.float64, na_value=np.nan))
    role_all = np.asarray(rel["role"].fillna("").tolist(), dtype=object) if len(rel) else np.zeros(0, object)
    for t in RelationType:
        m = types == t.value
        s, d = src_all[m], dst_all[m]
        if t is RelationType.FAMILY:  # undirected: store as (smaller, larger)
            s, d = np.minimum(s, d), np.maximum(s, d)
        order = np.lexsort((d, s))
        f.edges[t.value] = Edges(s[order], d[order], amt_all[m][order], has_amt_all[m][order],
                                 share_all[m][order], role_all[m][order])
    return f


# ----------------------------------------------------------------------------- helpers


def csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, targets, edge positions) of the edges grouped by *src*, targets ascending."""
    order = np.lexsort((dst, src))
    counts = np.bincount(src, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, dst[order], order


def gather(indptr: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Positions (into the CSR arrays) of every edge leaving *nodes*, vectorised."""
    starts = indptr[nodes]
    lens = indptr[nodes + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    return np.arange(total, dtype=np.int64) + offsets


def ratio_text(part: int, whole: int, places: int = 6) -> str:
    """``part / whole`` rounded half-up to *places* decimals, exactly (0 when whole is 0).

    >>> ratio_text(1, 3)
    '0.333333'
    >>> ratio_text(2, 3, 2)
    '0.67'
    """
    part, whole = int(part), int(whole)
    if whole == 0:
        return "0." + "0" * places if places else "0"
    scale = 10**places
    num = part * scale
    sign = "-" if (num < 0) != (whole < 0) and num != 0 else ""
    num, den = abs(num), abs(whole)
    q = (2 * num + den) // (2 * den)
    if places == 0:
        return f"{sign}{q}"
    return f"{sign}{q // scale}.{q % scale:0{places}d}"


def percent_text(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with at most two decimals, trailing zeros dropped.

    >>> percent_text(2, 3), percent_text(3, 5), percent_text(1, 8)
    ('66.67%', '60%', '12.5%')
    """
    t = ratio_text(part, whole, 4)
    whole_pct, frac = t.split(".")
    pct = int(whole_pct) * 100 + int(frac[:2])
    dec = frac[2:].rstrip("0")
    return f"{pct}.{dec}%" if dec else f"{pct}%"


def percent_floor(part: int, whole: int) -> str:
    """``part / whole`` as a percentage truncated (not rounded) to two decimals, trailing zeros
    dropped, so that a shown value never crosses a threshold the exact value did not cross.

    >>> percent_floor(2, 3), percent_floor(39999999, 80000000), percent_floor(1, 2)
    ('66.66%', '49.99%', '50%')
    """
    part, whole = int(part), int(whole)
    if whole <= 0:
        return "0%"
    q = (part * 10000) // whole  # hundredths of a percent, floored
    ip, fp = divmod(q, 100)
    return f"{ip}.{fp:02d}".rstrip("0").rstrip(".") + "%"


def decimal_percent(d) -> str:
    """A Decimal ratio (a policy threshold) as a percentage: ``Decimal('0.025')`` → ``'2.5%'``."""
    from decimal import Decimal

    p = (Decimal(d) * 100).normalize()
    s = format(p, "f")
    return f"{s}%"


def share_percent(share: float) -> str:
    """A share parsed from CSV text (float) as a percentage, from its shortest repr."""
    from decimal import Decimal

    return decimal_percent(Decimal(repr(float(share))))


def exceeds(part: np.ndarray, whole: int, ratio) -> np.ndarray:
    """Vectorised exact test ``part > ratio × whole`` for integer fen arrays (ratio a Decimal)."""
    from ..model import fraction_of

    limit = fraction_of(int(whole), ratio)  # floor: for integers, x > r·w ⇔ x > floor(r·w)
    return np.asarray(part, dtype=np.int64) > limit


def ratio_texts(parts, whole: int, places: int = 6) -> list[str]:
    """:func:`ratio_text` of every part over one whole, vectorised where int64 is safe.

    >>> ratio_texts([1, 2, 3], 3, 2)
    ['0.33', '0.67', '1.00']
    """
    arr = np.asarray(parts, dtype=np.int64)
    whole = int(whole)
    scale = 10**places
    if whole <= 0 or not len(arr) or arr.min() < 0 or arr.max() >= (2**62) // (2 * scale) or whole >= 2**61:
        return [ratio_text(p, whole, places) for p in arr.tolist()]
    q = (2 * arr * scale + whole) // (2 * whole)
    ip, fp = (q // scale).tolist(), (q % scale).tolist()
    if places == 0:
        return [str(a) for a in ip]
    return [f"{a}.{b:0{places}d}" for a, b in zip(ip, fp)]


def share_percents(shares: np.ndarray) -> list[str]:
    """:func:`share_percent` of every share (NaN → ``"unknown"``), computed once per distinct value."""
    shares = np.asarray(shares, dtype=np.float64)
    uniq, inv = np.unique(shares, return_inverse=True)
    texts = [share_percent(u) if u == u else "unknown" for u in uniq.tolist()]
    return [texts[i] for i in inv.reshape(-1).tolist()]


def unique_ints(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array (sort-based: numpy's hash-based
    ``np.unique`` is much slower on large int64 arrays)."""
    a = np.sort(np.asarray(a, dtype=np.int64), kind="stable")
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def in_ints(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.isin(a, b)`` for integer arrays, by binary search in the sorted distinct *b*."""
    a = np.asarray(a, dtype=np.int64)
    u = unique_ints(b)
    if not len(u) or not len(a):
        return np.zeros(len(a), dtype=bool)
    pos = np.minimum(np.searchsorted(u, a), len(u) - 1)
    return u[pos] == a


def kind_in(kinds: np.ndarray, wanted) -> np.ndarray:
    """Boolean mask: entries of an object array equal to one of *wanted* (a few strings)."""
    out = np.zeros(len(kinds), dtype=bool)
    for w in wanted:
        out |= kinds == w
    return out
