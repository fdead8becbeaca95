"""The embedded backend: one pass from validated tables to an in-memory graph.

The graph is a :class:`networkx.MultiDiGraph` whose nodes are entity ids and whose
edges are keyed by relation type (at most one edge per source, target and type, as
validation guarantees). Node attributes: ``kind``, ``name``, ``is_customer``,
``industry``, ``region``, ``segment``, ``net_assets_fen``, ``annual_revenue_fen``,
``outstanding_fen`` (sum of the entity's facilities), ``facilities`` (count) and any
extra entity columns. Edge attributes: ``type``, ``amount_fen``, ``share``, ``role``,
``since`` and extra relation columns. FAMILY ties are stored once, in the direction
given; analyses treat them as undirected.

>>> from channelgraph.io import load_dataset          # doctest: +SKIP
>>> g = build_graph(load_dataset("data/sample"))      # doctest: +SKIP
>>> g.nodes["P000001"]["kind"]                          # doctest: +SKIP
'person'
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

from ..io.validate import Dataset

_ENTITY_FIXED = ("id", "kind", "name", "is_customer", "industry", "region", "segment", "net_assets", "annual_revenue")
_RELATION_FIXED = ("src", "dst", "type", "amount", "share", "role", "since")


def _nullable(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def exposure_by_customer(dataset: Dataset) -> dict[str, tuple[int, int]]:
    """Customer id → (outstanding in fen, number of facilities)."""
    exp = dataset.exposures
    if len(exp) == 0:
        return {}
    grouped = exp.groupby("customer_id", sort=False)["outstanding"].agg(["sum", "count"])
    return {k: (int(s), int(n)) for k, s, n in zip(grouped.index, grouped["sum"], grouped["count"])}


def build_graph(dataset: Dataset) -> nx.MultiDiGraph:
    """Build the multi-relational directed graph of a validated dataset."""
    g = nx.MultiDiGraph()
    ent = dataset.entities
    extras = [c for c in ent.columns if c not in _ENTITY_FIXED]
    by_cust = exposure_by_customer(dataset)
    cols = [ent[c].tolist() for c in _ENTITY_FIXED]
    extra_cols = [ent[c].tolist() for c in extras]
    nodes = []
    for i, (eid, kind, name, cust, ind, reg, seg, na, rev) in enumerate(zip(*cols)):
        out, nfac = by_cust.get(eid, (0, 0))
        attrs = {"kind": kind, "name": name, "is_customer": bool(cust), "industry": ind, "region": reg,
                 "segment": seg, "net_assets_fen": None if _nullable(na) is None else int(na),
                 "annual_revenue_fen": None if _nullable(rev) is None else int(rev),
                 "outstanding_fen": out, "facilities": nfac}
        for c, vals in zip(extras, extra_cols):
            attrs[c] = vals[i]
        nodes.append((eid, attrs))
    g.add_nodes_from(nodes)

    rel = dataset.relations
    rextras = [c for c in rel.columns if c not in _RELATION_FIXED]
    rcols = [rel[c].tolist() for c in _RELATION_FIXED]
    rextra_cols = [rel[c].tolist() for c in rextras]
    edges = []
    for i, (s, d, ty, amt, share, role, since) in enumerate(zip(*rcols)):
        attrs = {"type": ty, "amount_fen": None if _nullable(amt) is None else int(amt),
                 "share": None if _nullable(share) is None else float(share), "role": role, "since": since}
        for c, vals in zip(rextras, rextra_cols):
            attrs[c] = vals[i]
        edges.append((s, d, ty, attrs))
    g.add_edges_from(edges)
    g.graph["total_outstanding_fen"] = dataset.total_outstanding_fen
    return g


def edges_of_type(g: nx.MultiDiGraph, *types: str):
    """Iterate ``(src, dst, attrs)`` over edges whose type is one of *types*."""
    wanted = set(types)
    for s, d, k, a in g.edges(keys=True, data=True):
        if k in wanted:
            yield s, d, a
