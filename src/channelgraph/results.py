"""The types every analysis shares: what it is (:class:`Analysis`) and what it returns (:class:`Result`).

The rooms import these (and nothing else of the orchestration), so that :mod:`channelgraph.analyses`
can import the rooms to build its registry without an import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Book
    from .policy import Policy


class Result(Protocol):
    """What every analysis returns: named tables to write and a JSON-ready summary.

    Rooms return a typed result with these two (the risk room's
    :class:`~channelgraph.risk.result.RiskResult`) or a plain :class:`AnalysisResult`."""

    @property
    def tables(self) -> dict[str, pd.DataFrame]: ...

    @property
    def summary(self) -> dict: ...


@dataclass
class AnalysisResult:
    """What one analysis produced: named tables, a JSON-ready summary, extra documents."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Analysis:
    name: str
    run: Callable[[Book, Policy, dict], Result]
    title_en: str
    title_zh: str
    #: Position in a run: book 0, risk 10, marketing 20, caps 30, views/report 40.
    order: int = 50
    #: Optional ``report(result, policy, lang) -> str``: the analysis' section of
    #: report.md / report.html, in Markdown, in Chinese (``zh``) or English (``en``); *result*
    #: is what its ``run`` returned (the room's own type, e.g. a ``RiskResult``).
    report: Callable[[Any, Policy, str], str] | None = None
    #: The analyses whose results it reads from ``prior``; None: every one before it in the registry.
    needs: tuple[str, ...] | None = None
    #: Whether it waits for work started in the background (the marketing room's betweenness):
    #: analyses that are ready and do not wait run first, meanwhile.
    waits: bool = False
    #: Optional ``node_properties(result) -> {entity id: {property: value}}``: its per-entity
    #: results for the Neo4j write-back (:func:`node_results`).
    node_properties: Callable[[Any], dict[str, dict]] | None = None
