"""Compact, order-independent arrays of the facts the risk room reads.

Every risk function works on integer entity indices into the *sorted* entity ids, so
that no output depends on the order in which rows, nodes or edges were inserted
(the embedded and the Neo4j backend must write byte-identical tables). Money stays
integer fen (``int64``); shares stay the floats parsed from the CSV text.

The facts are read from the validated :class:`~channelgraph.io.validate.Dataset`
tables (the same facts the graph holds, in vectorised form), once per dataset. Ids are
turned into entity indices through integer keys packed from their characters
(:func:`string_keys`, :func:`positions_in`): sorting and hashing 64-bit words is several
times faster than hashing millions of Python strings.

The helpers below format many numbers as exact text at once (:func:`ratio_texts`,
:func:`ratio_pairs`, :func:`percent_floors`, :func:`texts_by_value`), each identical to
its one-value counterpart (``tests/test_risk_kernels.py``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._runtime import gc_paused
from ..io.validate import Dataset
from ..model import RelationType, decimal_percent

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
    #: the packed ``ids`` (see :func:`string_keys`), for :meth:`positions`
    id_keys: StringKeys | None = field(default=None, repr=False)
    _index: pd.Index | None = field(default=None, repr=False)
    #: views other rooms derive from these facts, built once (e.g. the marketing view per weights)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def index(self) -> pd.Index:
        """``pd.Index`` of the sorted ids (built on first use)."""
        if self._index is None:
            self._index = pd.Index(self.ids, dtype=object)
        return self._index

    def of(self, rtype: str | RelationType) -> Edges:
        return self.edges[RelationType(rtype).value]

    def positions(self, values) -> np.ndarray:
        """Entity index of each id in *values* (``-1`` for an id that is not an entity)."""
        return positions_in(self.ids, values, self.id_keys)


#: id(dataset) → (weak reference to it, fingerprint, facts); a few recent datasets only.
_CACHE: dict[int, tuple] = {}
_CACHE_SIZE = 4


def _fingerprint(ds: Dataset) -> tuple:
    return (id(ds.entities), len(ds.entities), id(ds.relations), len(ds.relations),
            id(ds.exposures), len(ds.exposures), id(ds.schemes), len(ds.schemes))


@gc_paused
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


# ----------------------------------------------------------------------------- ids as integers


def _objects(values) -> np.ndarray:
    """An object array of the values (a column, list or array)."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object)
    return np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=object)


def _code_points(values: np.ndarray) -> np.ndarray:
    """(rows, width) uint32 code points of strings, zero-padded on the right."""
    u = np.asarray(values, dtype=str) if len(values) else np.zeros(0, dtype="<U1")
    width = max(1, u.dtype.itemsize // 4)
    return u.view(np.uint32).reshape(len(u), width)


def _bits(top: int) -> int:
    """Bits per character for code points up to *top*."""
    return 8 if top < 1 << 8 else 16 if top < 1 << 16 else 21


def _pack(cps: np.ndarray, bits: int, k: int) -> np.ndarray:
    """Code points (rows, width) → (rows, k) uint64 words, ``64 // bits`` characters per word."""
    per = 64 // bits
    words = np.zeros((cps.shape[0], k), dtype=np.uint64)
    for j in range(cps.shape[1]):
        shift = np.uint64(64 - bits * (j % per + 1))
        words[:, j // per] |= cps[:, j].astype(np.uint64) << shift
    return words


@dataclass
class StringKeys:
    """Strings packed as rows of 64-bit words (see :func:`string_keys`)."""

    words: np.ndarray  # (rows, k) uint64
    bits: int  # bits per character
    _lookup: pd.Index | None = field(default=None, repr=False)

    def fits(self, cps: np.ndarray) -> bool:
        """Can strings with these code points be packed the same way (same bits, ≤ k words)?"""
        top = int(cps.max()) if cps.size else 0
        return top < 1 << self.bits and -(-cps.shape[1] // (64 // self.bits)) <= self.words.shape[1]

    def lookup(self) -> pd.Index:
        """A hash index over the one-word keys (built once; for many look-ups)."""
        if self._lookup is None:
            self._lookup = pd.Index(self.words[:, 0])
        return self._lookup


def string_keys(*columns) -> list[StringKeys]:
    """Pack strings into unsigned 64-bit words whose lexicographic order is the strings' order.

    Each string becomes a row of ``k`` big-endian words (the same ``k`` for every column):
    8, 4 or 3 characters per word (code points below 2⁸, 2¹⁶ or 2²¹), zero-padded. Python
    orders ``str`` by code points, shorter prefix first, so for strings without NUL
    characters (validation refuses them) two strings compare as their rows of words do, and
    equal rows mean equal strings. Integer keys sort and search many times faster than
    Python strings (no hashing, no per-object pointer chasing).

    Parameters
    ----------
    *columns : object arrays (or columns) of ``str``.

    Returns
    -------
    One :class:`StringKeys` per column, packed alike.

    Examples
    --------
    >>> a, b = string_keys(np.array(["E1", "E10", "P2"], dtype=object), np.array(["E10"], dtype=object))
    >>> a.words.shape, bool((a.words[1] == b.words[0]).all()), bool(a.words[0, 0] < a.words[1, 0] < a.words[2, 0])
    ((3, 1), True, True)
    """
    cps = [_code_points(_objects(c)) for c in columns]
    bits = _bits(max((int(c.max()) for c in cps if c.size), default=0))
    k = max(1, -(-max((c.shape[1] for c in cps), default=1) // (64 // bits)))
    return [StringKeys(_pack(c, bits, k), bits) for c in cps]


def key_order(keys: StringKeys) -> np.ndarray:
    """Stable order that sorts packed strings (the strings' sort order)."""
    w = keys.words
    if w.shape[1] == 1:
        return np.argsort(w[:, 0], kind="stable")
    return np.lexsort(w.T[::-1])


def positions_in(ids: np.ndarray, values, id_keys: StringKeys | None = None) -> np.ndarray:
    """Position of each of *values* in the sorted, distinct strings *ids* (``-1`` where absent).

    Equivalent to ``pd.Index(ids).get_indexer(values)`` for sorted distinct *ids*, by binary
    search (one 64-bit word per id) or a merge by sorting (longer ids) over
    :func:`string_keys`; *id_keys*, the packed *ids*, saves packing them again.

    >>> positions_in(np.array(["A", "B", "C"], dtype=object), ["C", "X", "A", ""]).tolist()
    [2, -1, 0, -1]
    """
    vals = _objects(values)
    m = len(vals)
    if not m:
        return np.zeros(0, dtype=np.int64)
    if not len(ids):
        return np.full(m, -1, dtype=np.int64)
    cps = _code_points(vals)
    if id_keys is None or not id_keys.fits(cps):
        id_keys, vkeys = string_keys(ids, vals)
        cps = None
    ik = id_keys.words
    vk = vkeys.words if cps is None else _pack(cps, id_keys.bits, ik.shape[1])
    n = len(ids)
    if ik.shape[1] == 1:  # hashing beats binary search here: one cache miss per look-up, not ~20
        return np.asarray(id_keys.lookup().get_indexer(vk[:, 0]), dtype=np.int64)
    # several words: sort ids and values together (ids first among equals), then carry the
    # position of the last id seen forward onto the values that follow it
    allk = np.concatenate((ik, vk))
    flag = np.concatenate((np.zeros(n, np.int8), np.ones(m, np.int8)))
    order = np.lexsort((flag,) + tuple(allk.T[::-1]))
    is_id = order < n
    last = np.maximum.accumulate(np.where(is_id, order, -1))
    got = np.full(m, -1, dtype=np.int64)
    q = ~is_id
    cand, qi = last[q], order[q] - n
    ok = cand >= 0
    ok[ok] = (ik[cand[ok]] == vk[qi[ok]]).all(axis=1)
    got[qi[ok]] = cand[ok]
    return got


# ----------------------------------------------------------------------------- building


def _int_or_unknown(values) -> tuple[np.ndarray, np.ndarray]:
    s = pd.array(values, dtype="Int64")
    has = ~np.asarray(s.isna(), dtype=bool)
    arr = np.asarray(s.fillna(UNKNOWN).astype("int64"), dtype=np.int64)
    return arr, has


def _texts(col: pd.Series) -> np.ndarray:
    """Object array of a text column, empty (missing) as ``""``."""
    return np.asarray(col.fillna("").to_numpy(dtype=object), dtype=object)


def _build(ds: Dataset) -> Facts:
    ent = ds.entities
    raw_ids = _objects(ent["id"])
    (raw_keys,) = string_keys(raw_ids)
    order = key_order(raw_keys)  # = sort by id (ids are distinct)
    ids = raw_ids[order]
    id_keys = StringKeys(raw_keys.words[order], raw_keys.bits)
    net, has_net = _int_or_unknown(ent["net_assets"])
    n = len(ids)

    exp = ds.exposures
    outstanding = np.zeros(n, dtype=np.int64)
    fac_c = positions_in(ids, exp["customer_id"], id_keys)
    fac_o = np.asarray(exp["outstanding"].to_numpy(dtype=np.int64), dtype=np.int64)
    if len(exp):
        np.add.at(outstanding, fac_c, fac_o)
    sch = ds.schemes
    if len(exp) and len(sch) and "scheme_id" in exp.columns:
        chan_of_scheme = positions_in(ids, sch["channel_id"], id_keys)
        scheme_at = pd.Index(_objects(sch["scheme_id"]), dtype=object).get_indexer(_texts(exp["scheme_id"]))
        fac_ch = np.where(scheme_at >= 0, chan_of_scheme[scheme_at], -1).astype(np.int64)
    else:
        fac_ch = np.full(len(exp), -1, dtype=np.int64)

    f = Facts(
        ids=ids, kind=_objects(ent["kind"])[order], name=_objects(ent["name"])[order],
        is_customer=np.asarray(ent["is_customer"].to_numpy(dtype=bool), dtype=bool)[order],
        net_assets=net[order], has_net_assets=has_net[order],
        industry=_texts(ent["industry"])[order], region=_texts(ent["region"])[order],
        outstanding=outstanding, total_outstanding=int(ds.total_outstanding_fen),
        fac_customer=fac_c, fac_outstanding=fac_o, fac_channel=fac_ch, id_keys=id_keys,
    )
    if int(outstanding.sum()) != f.total_outstanding:  # pragma: no cover - validation guards it
        raise RuntimeError("facility outstanding does not reconcile with the dataset total")

    rel = ds.relations
    tcodes, tnames = pd.factorize(_objects(rel["type"]))
    src_all = positions_in(ids, rel["src"], id_keys)
    dst_all = positions_in(ids, rel["dst"], id_keys)
    amt_all, has_amt_all = _int_or_unknown(rel["amount"])
    share_all = np.asarray(pd.array(rel["share"], dtype="Float64").to_numpy(dtype=np.float64, na_value=np.nan))
    role_all = _texts(rel["role"]) if len(rel) else np.zeros(0, object)
    code_of = {t: i for i, t in enumerate(list(tnames))}
    fam = code_of.get(RelationType.FAMILY.value, -1)
    if fam >= 0:  # undirected: store as (smaller, larger)
        m = tcodes == fam
        s, d = src_all[m], dst_all[m]
        src_all[m], dst_all[m] = np.minimum(s, d), np.maximum(s, d)
    # by (type, src, dst) in one int64 key: 9 types × n² < 2⁶³ for n up to 10⁹
    order = np.argsort((tcodes.astype(np.int64) * n + src_all) * n + dst_all, kind="stable") if n < 10**8 \
        else np.lexsort((dst_all, src_all, tcodes))
    tsorted = tcodes[order]
    for t in RelationType:
        c = code_of.get(t.value, -1)
        a, b = (np.searchsorted(tsorted, c), np.searchsorted(tsorted, c, side="right")) if c >= 0 else (0, 0)
        o = order[a:b]
        f.edges[t.value] = Edges(src_all[o], dst_all[o], amt_all[o], has_amt_all[o], share_all[o], role_all[o])
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
    return _decimal_texts(q, places)


def _decimal_texts(q: np.ndarray, places: int) -> list[str]:
    """``q / 10**places`` as text with *places* decimals (q ≥ 0), formatted once per distinct value.

    Ratios of many amounts to one capital figure take few distinct values; a look-up into
    the formatted distinct values is many times cheaper than formatting each.
    """
    if not len(q):
        return []
    uq, inv = np.unique(q, return_inverse=True)
    scale = 10**places
    if places == 0:
        texts = [str(a) for a in uq.tolist()]
    else:
        texts = [f"{a}.{b:0{places}d}" for a, b in zip((uq // scale).tolist(), (uq % scale).tolist())]
    return _object_array(texts)[inv.reshape(-1)].tolist()


def _object_array(items: list) -> np.ndarray:
    """A 1-d object array of the items (never a 2-d array, whatever the items are)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def texts_by_value(values: np.ndarray, fmt) -> list[str]:
    """``[fmt(v) for v in values]``, calling *fmt* once per distinct value (NaN formatted once too)."""
    values = np.asarray(values)
    if not len(values):
        return []
    if values.dtype.kind == "f" and bool(np.any((values == 0) & np.signbit(values))):
        return [fmt(v) for v in values.tolist()]  # -0.0 and 0.0 are one value to np.unique, not to fmt
    uq, inv = np.unique(values, return_inverse=True)  # NaNs collapse to one (numpy ≥ 1.21)
    return _object_array([fmt(v) for v in uq.tolist()])[inv.reshape(-1)].tolist()


#: ".01" … ".99" without trailing zeros ("" for 0): the decimals of a percentage with two places.
_HUNDREDTHS = np.asarray(["", *(f".{k:02d}".rstrip("0") for k in range(1, 100))], dtype=object)


def ratio_pairs(parts, wholes, places: int = 6) -> list[str]:
    """:func:`ratio_text` of each part over its own whole, vectorised where int64 is safe.

    >>> ratio_pairs([1, 2, 5], [3, 3, 0], 2)
    ['0.33', '0.67', '0.00']
    """
    a = np.asarray(parts, dtype=np.int64)
    b = np.asarray(wholes, dtype=np.int64)
    scale = 10**places
    safe = (a >= 0) & (b > 0) & (a < (2**62) // (2 * scale)) & (b < 2**61)
    out = np.empty(len(a), dtype=object)
    if places and safe.any():
        x, y = a[safe], b[safe]
        q = (2 * x * scale + y) // (2 * y)
        out[safe] = [f"{u}.{v:0{places}d}" for u, v in zip((q // scale).tolist(), (q % scale).tolist())]
    rest = np.flatnonzero(~safe) if places else np.arange(len(a))
    if len(rest):
        out[rest] = [ratio_text(x, y, places) for x, y in zip(a[rest].tolist(), b[rest].tolist())]
    return out.tolist()


def percent_floors(parts, wholes) -> list[str]:
    """:func:`percent_floor` of each part over its own whole, vectorised where int64 is safe.

    >>> percent_floors([2, 39999999, 1, 1], [3, 80000000, 2, 0])
    ['66.66%', '49.99%', '50%', '0%']
    """
    a = np.asarray(parts, dtype=np.int64)
    b = np.asarray(wholes, dtype=np.int64)
    safe = (a >= 0) & (b > 0) & (a < 2**62 // 10000)
    out = np.empty(len(a), dtype=object)
    if safe.any():
        q = a[safe] * 10000 // b[safe]  # hundredths of a percent, floored
        out[safe] = [f"{x}{y}%" for x, y in zip((q // 100).tolist(), _HUNDREDTHS[q % 100].tolist())]
    rest = np.flatnonzero(~safe)
    if len(rest):
        out[rest] = [percent_floor(x, y) for x, y in zip(a[rest].tolist(), b[rest].tolist())]
    return out.tolist()


def percent_texts(parts, wholes) -> list[str]:
    """:func:`percent_text` of each part over its own whole, vectorised where int64 is safe.

    >>> percent_texts([2, 3, 1, 1], [3, 5, 8, 0])
    ['66.67%', '60%', '12.5%', '0%']
    """
    a = np.asarray(parts, dtype=np.int64)
    b = np.asarray(wholes, dtype=np.int64)
    safe = (a >= 0) & (b > 0) & (a < 2**62 // 20000)
    out = np.empty(len(a), dtype=object)
    if safe.any():
        x, y = a[safe], b[safe]
        q = (2 * x * 10000 + y) // (2 * y)  # hundredths of a percent, rounded half-up
        out[safe] = [f"{u}{v}%" for u, v in zip((q // 100).tolist(), _HUNDREDTHS[q % 100].tolist())]
    rest = np.flatnonzero(~safe)
    if len(rest):
        out[rest] = [percent_text(x, y) for x, y in zip(a[rest].tolist(), b[rest].tolist())]
    return out.tolist()


def yuan_human_texts(fen) -> list[str]:
    """:func:`~channelgraph.model.format_yuan_human` of every amount, once per distinct amount.

    >>> yuan_human_texts([123456, 5, 123456])
    ['1,234.56', '0.05', '1,234.56']
    """
    from ..model import format_yuan_human

    arr = np.asarray(fen, dtype=np.int64)
    if not len(arr):
        return []
    return texts_by_value(arr, format_yuan_human)


def share_percents(shares: np.ndarray) -> list[str]:
    """:func:`share_percent` of every share (NaN → ``"unknown"``), computed once per distinct value."""
    return texts_by_value(np.asarray(shares, dtype=np.float64), lambda u: share_percent(u) if u == u else "unknown")


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
