"""Exposure as the large-exposure rules measure it: on-balance + CCF × off-balance − cash margin.

Per facility (integer fen, exact):

* a ``loan``'s ``outstanding`` is on the balance sheet;
* any other type's ``outstanding`` is the nominal amount of an off-balance item (an
  acceptance's face, a guarantee's or letter of credit's amount, an undrawn commitment),
  converted by the CCF of its type (``[exposure.ccf]``);
* ``undrawn`` (or, with ``[exposure] undrawn_from_limit``, a loan's ``limit − outstanding``)
  is an undrawn commitment, converted by the commitment CCF of the facility's original
  maturity (≤ 365 days: ``commitment_up_to_one_year``, else or unknown:
  ``commitment_over_one_year``) or, when ``cancellable``, ``commitment_cancellable``; an
  ``undrawn_commitment`` facility's ``outstanding`` takes the same factor;
* each conversion is rounded half up to the fen;
* cash ``margin`` (保证金) is recognised up to the converted amount:
  ``mitigation = min(margin, on_balance + converted)``, so
  ``exposure = on_balance + converted − mitigation`` is never negative.

A customer's exposure is the sum of its facilities' (``Exposure.of_entity``), its *loans* the
outstanding of its ``loan`` facilities (the 10% loan limit tests loans only). A dataset without
the new columns has ``exposure == outstanding`` for every facility and customer.

Examples
--------
A 1,000-yuan bank acceptance with 400 yuan of cash margin, and a 300-yuan loan with 500 yuan
undrawn for 2 years:

>>> import pandas as pd
>>> from channelgraph.graph import build_book
>>> from channelgraph.io import dataset_from_frames
>>> ent = pd.DataFrame({"id": ["E1"], "kind": ["enterprise"], "name": ["甲"], "is_customer": ["true"]})
>>> rel = pd.DataFrame({"src": [], "dst": [], "type": []})
>>> exp = pd.DataFrame({"facility_id": ["F1", "F2"], "customer_id": ["E1", "E1"],
...                     "outstanding": ["1000", "300"], "exposure_type": ["bank_acceptance", "loan"],
...                     "margin": ["400", ""], "undrawn": ["", "500"], "original_maturity_days": ["", "730"]})
>>> m = measure_exposure(build_book(dataset_from_frames(ent, rel, exp)))
>>> m.exposure.tolist(), m.ccf.tolist(), m.undrawn_ccf.tolist()
([60000, 55000], ['1', ''], ['', '0.5'])
>>> int(m.of_entity[0]), int(m.loans[0])
(115000, 30000)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ..model import ExposureType
from ..policy import ExposureRules
from .book import Book

#: An undrawn commitment of at most this many days (original maturity) is short-term.
SHORT_COMMITMENT_DAYS = 365

_TYPES = list(ExposureType)
_LOAN = _TYPES.index(ExposureType.LOAN)
_COMMITMENT = _TYPES.index(ExposureType.UNDRAWN_COMMITMENT)


@dataclass(frozen=True, eq=False)
class Exposure:
    """The measured exposure of every facility (exposures table order) and entity (book order)."""

    on_balance: np.ndarray  # int64 fen: a loan's outstanding
    off_balance: np.ndarray  # int64 fen: an off-balance item's nominal amount (its outstanding)
    ccf: np.ndarray  # object: the factor applied to off_balance ("" when there is none)
    ccf_key: np.ndarray  # object: its [exposure.ccf] key ("" when there is none)
    undrawn: np.ndarray  # int64 fen: the undrawn commitment (given, or limit − outstanding)
    undrawn_from_limit: np.ndarray  # bool: undrawn was derived from the limit
    undrawn_ccf: np.ndarray  # object: the factor applied to undrawn ("" when undrawn is 0)
    undrawn_ccf_key: np.ndarray  # object
    converted: np.ndarray  # int64 fen: round(off_balance × ccf) + round(undrawn × undrawn_ccf)
    margin: np.ndarray  # int64 fen: cash margin given
    mitigation: np.ndarray  # int64 fen: margin recognised, min(margin, on_balance + converted)
    exposure: np.ndarray  # int64 fen: on_balance + converted − mitigation
    of_entity: np.ndarray  # int64 fen per entity: the sum of its facilities' exposure
    loans: np.ndarray  # int64 fen per entity: the outstanding of its loan facilities
    total: int  # fen: the book's exposure


def measure_exposure(book: Book, policy=None) -> Exposure:
    """Measure every facility's and customer's exposure under *policy* (default: ``book.policy``).

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book`.
    policy : its ``exposure`` rules (the CCFs) are used.

    Returns
    -------
    Exposure
        per facility and per entity, in integer fen; ``exposure == on_balance + converted −
        mitigation`` holds exactly for every facility.

    Notes
    -----
    CBIRC 2018 Order No. 1 (商业银行大额风险暴露管理办法) counts off-balance items at their
    nominal amount times a CCF, less recognised credit-risk mitigation; the CCFs come from
    the capital rules' off-balance table (商业银行资本管理办法) and Basel LEX30.9 (a 10%
    floor for the large-exposure measure). README "How exposure is measured" cites each.
    """
    return measure_facilities(
        book.n,
        book.fac_customer,
        book.fac_outstanding,
        book.fac_type,
        limit=np.where(book.fac_has_limit, book.fac_limit, -1),
        undrawn=np.where(book.fac_has_undrawn, book.fac_undrawn, -1),
        margin=book.fac_margin,
        maturity_days=book.fac_maturity_days,
        cancellable=book.fac_cancellable,
        rules=(policy or book.policy).exposure,
    )


def measure_facilities(
    n: int,
    customer: np.ndarray,
    outstanding: np.ndarray,
    exposure_type: np.ndarray,
    *,
    limit: np.ndarray,
    undrawn: np.ndarray,
    margin: np.ndarray,
    maturity_days: np.ndarray,
    cancellable: np.ndarray,
    rules: ExposureRules,
) -> Exposure:
    """:func:`measure_exposure` on bare facility arrays (for a book not built yet: the generator).

    *customer* is each facility's entity index (``0 … n-1``), *exposure_type* its code into
    ``list(ExposureType)``; *limit*, *undrawn* and *maturity_days* are ``-1`` where unknown;
    amounts are int64 fen.
    """
    nf = len(outstanding)
    t = np.asarray(exposure_type, dtype=np.int64)
    out = np.asarray(outstanding, dtype=np.int64)
    has_limit, has_undrawn = limit >= 0, undrawn >= 0
    loan = t == _LOAN
    on = np.where(loan, out, 0).astype(np.int64)
    off = np.where(loan, 0, out).astype(np.int64)

    derived = loan & ~has_undrawn & has_limit & (limit > out) if rules.undrawn_from_limit else np.zeros(nf, dtype=bool)
    undrawn = np.where(has_undrawn, undrawn, 0)
    undrawn = np.where(derived, limit - out, undrawn).astype(np.int64)

    # the commitment factor of each facility: cancellable, else by original maturity
    short = (maturity_days >= 0) & (maturity_days <= SHORT_COMMITMENT_DAYS)
    commit_keys = ["commitment_cancellable", "commitment_up_to_one_year", "commitment_over_one_year"]
    commit = np.where(cancellable, 0, np.where(short, 1, 2))
    # keys: one per exposure type (the loan has none; a commitment takes one of the three
    # commitment keys that follow)
    keys = [("" if i in (_LOAN, _COMMITMENT) else x.value) for i, x in enumerate(_TYPES)] + commit_keys
    off_key = np.where(t == _COMMITMENT, len(_TYPES) + commit, t)
    off_key = np.where(off > 0, off_key, _LOAN)  # no off-balance amount: no factor shown
    und_key = np.where(undrawn > 0, len(_TYPES) + commit, _LOAN)
    factors = [Decimal(rules.ccf[k]) if k else Decimal(0) for k in keys]

    converted = _times(off, off_key, factors) + _times(undrawn, und_key, factors)
    margin = np.maximum(np.asarray(margin, dtype=np.int64), 0)
    mitigation = np.minimum(margin, on + converted)
    exposure = on + converted - mitigation

    key_texts = np.asarray(keys, dtype=object)
    factor_texts = np.asarray(["" if not k else _plain(f) for k, f in zip(keys, factors)], dtype=object)
    of_entity = np.zeros(n, dtype=np.int64)
    loans = np.zeros(n, dtype=np.int64)
    if nf:
        np.add.at(of_entity, customer, exposure)
        np.add.at(loans, customer, on)
    result = Exposure(
        on_balance=on,
        off_balance=off,
        ccf=factor_texts[off_key],
        ccf_key=key_texts[off_key],
        undrawn=undrawn,
        undrawn_from_limit=derived,
        undrawn_ccf=factor_texts[und_key],
        undrawn_ccf_key=key_texts[und_key],
        converted=converted,
        margin=margin,
        mitigation=mitigation,
        exposure=exposure,
        of_entity=of_entity,
        loans=loans,
        total=int(exposure.sum()),
    )
    for a in vars(result).values():
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return result


def _plain(d: Decimal) -> str:
    """A factor as written in a policy: ``Decimal('0.50')`` → ``'0.5'``, ``Decimal('1')`` → ``'1'``."""
    return format(d.normalize(), "f")


def _times(amount: np.ndarray, key: np.ndarray, factors: list[Decimal]) -> np.ndarray:
    """``amount × factors[key]`` rounded half up to the fen, exactly (integer arithmetic)."""
    out = np.zeros(len(amount), dtype=np.int64)
    for k in np.unique(key).tolist():
        p, q = factors[k].as_integer_ratio()
        if p == 0:
            continue
        at = np.flatnonzero(key == k)
        a = amount[at]
        if p == q:
            out[at] = a
        elif len(a) and int(a.max()) * 2 * p + q < 2**63:
            out[at] = (a * (2 * p) + q) // (2 * q)
        else:
            out[at] = np.asarray([(x * 2 * p + q) // (2 * q) for x in a.tolist()], dtype=np.int64)
    return out
