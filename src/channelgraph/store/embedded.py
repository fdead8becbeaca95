"""The embedded backend: one pass from validated tables to an in-memory graph.

The graph is a :class:`networkx.MultiDiGraph` whose nodes are entity ids and whose
edges are keyed by relation type (at most one edge per source, target and type, as
validation guarantees). Node attributes: ``kind``, ``name``, ``is_customer``,
``industry``, ``region``, ``segment``, ``net_assets_fen``, ``annual_revenue_fen``,
``outstanding_fen`` (sum of the entity's facilities' outstanding), ``facilities`` (count),
``is_interbank`` (bool), ``exempt`` (``""`` or an :class:`~channelgraph.model.Exempt` value)
and any extra entity columns. Edge attributes: ``type``, ``amount_fen``, ``share``, ``role``,
``since``, ``buyer_share`` (SUPPLIES: share of the buyer's purchases) and extra relation
columns. FAMILY and SHARES_REPAYMENT_SOURCE ties are stored once, in the direction given;
analyses treat them as undirected.

Columns are turned into Python values a whole column at a time, attribute dicts are
made by C-level ``map``/``zip`` (no Python code per row), and the graph is filled
with NetworkX's bulk ``add_nodes_from``/``add_edges_from`` while the cyclic garbage
collector is paused (it would otherwise rescan the growing graph many times).

>>> from channelgraph.io import load_dataset          # doctest: +SKIP
>>> g = build_graph(load_dataset("data/sample"))      # doctest: +SKIP
>>> g.nodes["P000001"]["kind"]                          # doctest: +SKIP
'person'
"""

from __future__ import annotations

from itertools import repeat

import networkx as nx
import numpy as np
import pandas as pd

from .._runtime import gc_paused
from ..io.validate import Dataset
from ..model import ENTITY_COLUMNS, ENTITY_OPTIONAL, RELATION_COLUMNS, RELATION_OPTIONAL

_ENTITY_FIXED = (*ENTITY_COLUMNS, *ENTITY_OPTIONAL)
_RELATION_FIXED = (*RELATION_COLUMNS, *RELATION_OPTIONAL)


def _nullable(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def column_values(column: pd.Series, convert=None) -> list:
    """A column as a list of Python values, missing ones as ``None`` (converted by *convert*):
    node and edge attributes exactly as :func:`build_graph` sets them."""
    if convert is None:
        return column.tolist()
    if isinstance(column.array, (pd.arrays.IntegerArray, pd.arrays.FloatingArray)):
        return column.array.to_numpy(dtype=object, na_value=None).tolist()  # Python ints / floats
    return [None if _nullable(v) is None else convert(v) for v in column.tolist()]


def column_bools(column: pd.Series) -> list:
    """A boolean column as a list of Python bools."""
    return column.tolist() if column.dtype == bool else [bool(v) for v in column.tolist()]


def _exposure_columns(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Outstanding fen and number of facilities per entity, aligned with ``dataset.entities``."""
    n = len(dataset.entities)
    out, count = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    exp = dataset.exposures
    if len(exp) == 0 or n == 0:
        return out, count
    grouped = exp.groupby("customer_id", sort=False)["outstanding"].agg(["sum", "count"])
    pos = grouped.index.get_indexer(dataset.entities["id"])
    hit = pos >= 0
    out[hit] = grouped["sum"].to_numpy(dtype=np.int64)[pos[hit]]
    count[hit] = grouped["count"].to_numpy(dtype=np.int64)[pos[hit]]
    return out, count


def exposure_by_customer(dataset: Dataset) -> dict[str, tuple[int, int]]:
    """Customer id → (outstanding in fen, number of facilities)."""
    exp = dataset.exposures
    if len(exp) == 0:
        return {}
    grouped = exp.groupby("customer_id", sort=False)["outstanding"].agg(["sum", "count"])
    return dict(zip(grouped.index.tolist(), zip(grouped["sum"].tolist(), grouped["count"].tolist())))


#: The node attributes :func:`build_graph` sets for every entity, in order (extra columns follow).
NODE_ATTRIBUTES = (
    "kind",
    "name",
    "is_customer",
    "industry",
    "region",
    "segment",
    "net_assets_fen",
    "annual_revenue_fen",
    "outstanding_fen",
    "facilities",
    "is_interbank",
    "exempt",
)


def entity_attributes(ent: pd.DataFrame, outstanding, facilities) -> list[dict]:
    """The node attribute dicts of the entity rows *ent*, as :func:`build_graph` sets them.

    *outstanding* and *facilities* are each row's outstanding fen and facility count. The views
    (:mod:`channelgraph.viz`) show the same attributes for the entities they draw.
    """
    extras = [c for c in ent.columns if c not in _ENTITY_FIXED]
    keys = (*NODE_ATTRIBUTES, *extras)
    cols = [
        column_values(ent["kind"]),
        column_values(ent["name"]),
        column_bools(ent["is_customer"]),
        column_values(ent["industry"]),
        column_values(ent["region"]),
        column_values(ent["segment"]),
        column_values(ent["net_assets"], int),
        column_values(ent["annual_revenue"], int),
        list(outstanding),
        list(facilities),
        column_bools(ent["is_interbank"]),
        column_values(ent["exempt"]),
        *(column_values(ent[c]) for c in extras),
    ]
    return list(map(dict, map(zip, repeat(keys), zip(*cols))))


def relation_attributes(rel: pd.DataFrame) -> list[dict]:
    """The edge attribute dicts of the relation rows *rel*, as :func:`build_graph` sets them."""
    extras = [c for c in rel.columns if c not in _RELATION_FIXED]
    keys = ("type", "amount_fen", "share", "role", "since", "buyer_share", *extras)
    cols = [
        column_values(rel["type"]),
        column_values(rel["amount"], int),
        column_values(rel["share"], float),
        column_values(rel["role"]),
        column_values(rel["since"]),
        column_values(rel["buyer_share"], float),
        *(column_values(rel[c]) for c in extras),
    ]
    return list(map(dict, map(zip, repeat(keys), zip(*cols))))


def _node_attrs(dataset: Dataset):
    """(id, attribute dict) for every entity, in file order."""
    out, count = _exposure_columns(dataset)
    ent = dataset.entities
    return zip(column_values(ent["id"]), entity_attributes(ent, out.tolist(), count.tolist()))


def _edge_attrs(dataset: Dataset):
    """(src, dst, type, attribute dict) for every relation, in file order."""
    rel = dataset.relations
    return zip(
        column_values(rel["src"]), column_values(rel["dst"]), column_values(rel["type"]), relation_attributes(rel)
    )


@gc_paused
def build_graph(dataset: Dataset) -> nx.MultiDiGraph:
    """Build the multi-relational directed graph of a validated dataset."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(_node_attrs(dataset))
    g.add_edges_from(_edge_attrs(dataset))
    g.graph["total_outstanding_fen"] = dataset.total_outstanding_fen
    return g


def edges_of_type(g: nx.MultiDiGraph, *types: str):
    """Iterate ``(src, dst, attrs)`` over edges whose type is one of *types*."""
    wanted = set(types)
    for s, d, k, a in g.edges(keys=True, data=True):
        if k in wanted:
            yield s, d, a
