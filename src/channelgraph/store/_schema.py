"""What the Cypher loader (:mod:`.neo4j`) and the bulk import files (:mod:`.neo4j_import`)
share: the dataset record's id, how table columns become Neo4j properties, and the
dataset's fingerprint. Both modules import it; neither imports the other (issue 24)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ..io.validate import Dataset

#: The id of the one ``Dataset`` node.
DATASET_ID = "channelgraph"

#: Table columns stored under another property name (amounts are in fen).
ENTITY_RENAME = {"net_assets": "net_assets_fen", "annual_revenue": "annual_revenue_fen"}
RELATION_RENAME = {"amount": "amount_fen"}
FACILITY_RENAME = {
    "facility_id": "id",
    "outstanding": "outstanding_fen",
    "limit": "limit_fen",
    "undrawn": "undrawn_fen",
    "margin": "margin_fen",
}
SCHEME_RENAME = {"scheme_id": "id"}


def dataset_fingerprint(dataset: Dataset) -> str:
    """A hash of the four validated tables (columns, types, row order and every cell).

    The bulk import stores it on the ``Dataset`` node; the Cypher loader compares it to
    tell "this database holds exactly this dataset, imported" from anything else.
    """
    h = hashlib.sha256()
    for name in ("entities", "relations", "exposures", "schemes"):
        df = getattr(dataset, name)
        h.update(f"{name}:{list(df.columns)}:{[str(t) for t in df.dtypes]}:{len(df)}".encode())
        h.update(
            np.ascontiguousarray(pd.util.hash_pandas_object(df, index=True, categorize=False).to_numpy()).tobytes()
        )
    return h.hexdigest()
