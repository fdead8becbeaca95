"""Run every analysis that exists and write its outputs.

An analysis is a pure function ``f(graph, dataset, policy) -> dict[name, DataFrame]``
(plus an optional summary); this module runs the registered ones in order and
writes each table as CSV + JSON with :mod:`channelgraph.io.write`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import networkx as nx
import pandas as pd

from .io.validate import Dataset
from .io.write import write_json, write_table
from .model import Status, format_yuan
from .policy import Policy


@dataclass
class AnalysisResult:
    """What one analysis produced: named tables, a JSON-ready summary, extra documents."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Analysis:
    name: str
    run: Callable[[nx.MultiDiGraph, Dataset, Policy], AnalysisResult]
    title_en: str
    title_zh: str


def book_overview(graph: nx.MultiDiGraph, dataset: Dataset, policy: Policy) -> AnalysisResult:
    """Outstanding and facility count per five-class status and per product."""
    exp = dataset.exposures
    rows = []
    for s in Status:
        part = exp[exp["status"] == s.value]
        rows.append({"status": s.value, "facilities": len(part),
                     "outstanding_fen": int(sum(part["outstanding"].tolist()))})
    by_status = pd.DataFrame(rows)
    prod = (exp.assign(product=exp["product"].replace("", "(none)"))
            .groupby("product", sort=True)["outstanding"].agg(["count", "sum"]).reset_index())
    by_product = pd.DataFrame({"product": prod["product"], "facilities": prod["count"].astype(int),
                               "outstanding_fen": [int(x) for x in prod["sum"]]})
    return AnalysisResult({"book_by_status": by_status, "book_by_product": by_product})


#: The analyses `analyze` runs, in order. Later rooms append theirs here.
REGISTRY: list[Analysis] = [
    Analysis("book", book_overview, "Book overview", "贷款概览"),
]


def register(analysis: Analysis) -> None:
    if all(a.name != analysis.name for a in REGISTRY):
        REGISTRY.append(analysis)


def dataset_summary(dataset: Dataset) -> dict:
    s = dataset.summary()
    s["total_outstanding"] = format_yuan(s.pop("total_outstanding_fen"))
    s["encodings"] = dataset.encodings
    s["policy"] = dataset.policy.to_dict()
    return s


def run_analyses(graph: nx.MultiDiGraph, dataset: Dataset, policy: Policy | None = None,
                 only: list[str] | None = None) -> dict[str, AnalysisResult]:
    """Run the registered analyses (or *only* those named) and return their results."""
    policy = policy or dataset.policy
    results: dict[str, AnalysisResult] = {}
    for a in REGISTRY:
        if only is None or a.name in only:
            results[a.name] = a.run(graph, dataset, policy)
    return results


def write_results(results: dict[str, AnalysisResult], dataset: Dataset, out_dir: Path) -> list[Path]:
    """Write every table of *results* plus ``summary.json`` into *out_dir*."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    summary = {"dataset": dataset_summary(dataset), "analyses": {}}
    for name, res in results.items():
        for table, df in res.tables.items():
            files.extend(write_table(df, out_dir, table))
        summary["analyses"][name] = res.summary
    files.append(write_json(summary, out_dir / "summary.json"))
    return files
