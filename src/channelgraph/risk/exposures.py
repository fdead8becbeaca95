"""The facility exposure table: how each facility's exposure is measured, one row per facility,
sorted by ``facility_id`` (so the table does not depend on the order of the input rows).

Each row shows the arithmetic of :func:`~channelgraph.graph.exposure.measure_exposure`, so a
reader can redo it by hand::

    exposure = on_balance + converted − mitigation
    converted = round(off_balance × ccf) + round(undrawn × undrawn_ccf)   (half up, to the fen)
    mitigation = min(margin, on_balance + converted)

``outstanding_fen`` is the facility's outstanding as given (a loan's balance, an off-balance
item's nominal amount); ``on_balance_fen`` is it for a loan, ``off_balance_fen`` for any other
type; ``ccf`` and ``undrawn_ccf`` are the factors as written in the policy (``""`` when no
amount is converted). A dataset without the new columns has ``exposure_fen == outstanding_fen``
on every row.

Examples
--------
A 1,000-yuan bank acceptance with 400 yuan of cash margin (CCF 100%):

>>> import pandas as pd
>>> from channelgraph.graph import build_book
>>> from channelgraph.io import dataset_from_frames
>>> ent = pd.DataFrame({"id": ["E1"], "kind": ["enterprise"], "name": ["甲"], "is_customer": ["true"]})
>>> rel = pd.DataFrame({"src": [], "dst": [], "type": []})
>>> exp = pd.DataFrame({"facility_id": ["F1"], "customer_id": ["E1"], "outstanding": ["1000"],
...                     "exposure_type": ["bank_acceptance"], "margin": ["400"]})
>>> t = facility_exposures(build_book(dataset_from_frames(ent, rel, exp)))
>>> t[["facility_id", "exposure_type", "off_balance_fen", "ccf", "mitigation_fen", "exposure_fen"]].values.tolist()
[['F1', 'bank_acceptance', 100000, '1', 40000, 60000]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..graph import Book
from ..graph.ids import key_order, string_keys
from ..graph.exposure import Exposure, measure_exposure
from ..model import ExposureType
from ..policy import Policy

#: The columns of the ``facility_exposures`` table, in order.
FACILITY_COLUMNS = [
    "facility_id",
    "customer_id",
    "name",
    "exposure_type",
    "outstanding_fen",
    "on_balance_fen",
    "off_balance_fen",
    "ccf",
    "undrawn_fen",
    "undrawn_ccf",
    "converted_fen",
    "margin_fen",
    "mitigation_fen",
    "exposure_fen",
]

_TYPE_TEXTS = np.asarray([t.value for t in ExposureType], dtype=object)


def facility_exposures(book: Book, policy: Policy | None = None, *, exposure: Exposure | None = None) -> pd.DataFrame:
    """One row per facility (by ``facility_id``): its outstanding and measured exposure.

    Parameters
    ----------
    book : the :class:`~channelgraph.graph.Book`.
    policy : its ``[exposure]`` rules (default ``book.policy``); not read when *exposure* is given.
    exposure : the measure already taken (:func:`~channelgraph.graph.exposure.measure_exposure`),
        so that the table and the limits read the same figures.

    Returns
    -------
    DataFrame with :data:`FACILITY_COLUMNS`; money in integer fen, factors as text.
    """
    m = exposure if exposure is not None else measure_exposure(book, policy)
    fid = book.tables.exposures["facility_id"].to_numpy(dtype=object)
    o = key_order(string_keys(fid)[0]) if len(fid) else np.zeros(0, dtype=np.int64)
    cust = book.fac_customer[o]
    return pd.DataFrame(
        {
            "facility_id": fid[o],
            "customer_id": book.ids[cust],
            "name": book.name[cust],
            "exposure_type": _TYPE_TEXTS[book.fac_type[o].astype(np.int64)],
            "outstanding_fen": np.asarray(book.fac_outstanding[o], dtype=np.int64),
            "on_balance_fen": m.on_balance[o],
            "off_balance_fen": m.off_balance[o],
            "ccf": m.ccf[o],
            "undrawn_fen": m.undrawn[o],
            "undrawn_ccf": m.undrawn_ccf[o],
            "converted_fen": m.converted[o],
            "margin_fen": m.margin[o],
            "mitigation_fen": m.mitigation[o],
            "exposure_fen": m.exposure[o],
        },
        columns=FACILITY_COLUMNS,
    )
