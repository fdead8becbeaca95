"""What the risk room found, typed: the one result marketing, caps, viz and report read.

>>> from channelgraph.graph import load_book
>>> from channelgraph.risk import run_risk
>>> risk = run_risk(load_book("data/sample"))
>>> list(risk.groups.columns[:3]), list(risk.tables)[:2]
(['group_id', 'members', 'customers'], ['risk_groups', 'risk_group_members'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..graph import Exposure

#: Attribute → the table name it is written as (``<name>.csv`` / ``.json``), in writing order.
TABLE_NAMES = {
    "groups": "risk_groups",
    "members": "risk_group_members",
    "ties": "connection_ties",
    "patterns": "guarantee_patterns",
    "sources": "risk_sources",
    "impact": "systemic_impact",
    "concentration": "concentration",
    "facility_exposures": "facility_exposures",
}


@dataclass(frozen=True)
class RiskResult:
    """The risk room's tables by attribute; each has exactly its module's documented columns.

    Attributes
    ----------
    groups : groups of connected clients (:data:`~channelgraph.risk.groups.GROUP_COLUMNS`).
    members : one row per member of a group (:data:`~channelgraph.risk.groups.MEMBER_COLUMNS`).
    ties : the ties that connect them (:data:`~channelgraph.risk.groups.TIE_COLUMNS`).
    patterns : guarantee circles, chains, … (:data:`~channelgraph.risk.guarantees.PATTERN_COLUMNS`).
    sources : single risk sources (:data:`~channelgraph.risk.sources.SOURCE_COLUMNS`).
    impact : DebtRank systemic impact (:data:`~channelgraph.risk.contagion.IMPACT_COLUMNS`).
    concentration : HHI and top buckets (:data:`~channelgraph.risk.concentration.CONCENTRATION_COLUMNS`).
    summary : JSON-ready key figures (:func:`~channelgraph.risk.risk_summary`).
    exposure : the measured exposure the limits tested (:class:`~channelgraph.graph.Exposure`;
        None for a result rebuilt by :meth:`from_tables` without one).
    facility_exposures : each facility's measured exposure
        (:data:`~channelgraph.risk.exposures.FACILITY_COLUMNS`; empty when not given).
    """

    groups: pd.DataFrame
    members: pd.DataFrame
    ties: pd.DataFrame
    patterns: pd.DataFrame
    sources: pd.DataFrame
    impact: pd.DataFrame
    concentration: pd.DataFrame
    summary: dict = field(default_factory=dict)
    exposure: Exposure | None = None
    facility_exposures: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Table name → frame, as written (``risk_groups.csv`` …)."""
        return {name: getattr(self, attr) for attr, name in TABLE_NAMES.items()}

    @classmethod
    def from_tables(
        cls, tables: dict[str, pd.DataFrame], summary: dict | None = None, exposure: Exposure | None = None
    ) -> RiskResult:
        """The result of frames keyed by table name, as :func:`~channelgraph.risk.run_risk` makes them (in
        memory: the written files format money and lists for people, and do not read back into this)."""
        return cls(
            **{attr: tables[name] for attr, name in TABLE_NAMES.items() if name in tables},
            summary=summary or {},
            exposure=exposure,
        )
