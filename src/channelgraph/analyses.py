"""Run every analysis that exists and write its outputs.

The library functions of each room (``risk``, ``marketing``, ``caps`` …) are pure
functions of (book, policy) returning plain tables. Each room also defines its
:class:`Analysis` as the module constant ``ANALYSIS`` (nothing is registered at import;
:func:`registry` reads the rooms of :data:`ROOMS`): a runner ``run(book, policy, prior)`` that calls
its library functions and returns a :class:`Result` (an :class:`AnalysisResult`, or a typed
result such as the risk room's :class:`~channelgraph.risk.RiskResult`, read by attribute);
``prior`` holds the results of the analyses that ran before it, among them those it declares
it needs (``needs``; every one before it in the registry when it declares nothing), so that, say,
marketing can flag hubs that risk found to be top risk sources without computing them
again. This module runs the analyses in registry order — except that the
marketing room, which waits for its background work, lets caps (which needs only risk)
go first — and writes each table as CSV + JSON with :mod:`channelgraph.io.write`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import pandas as pd

from .graph import Book
from .io.validate import Dataset
from .io.write import write_json, write_table
from .model import Status, format_yuan
from .policy import Policy
from .results import Analysis, AnalysisResult, Result

__all__ = [
    "BOOK",
    "Analysis",
    "AnalysisResult",
    "Result",
    "book_overview",
    "dataset_summary",
    "node_results",
    "registry",
    "run_analyses",
    "schedule",
    "write_results",
    "write_summary",
    "write_tables",
]


def book_overview(book: Book, policy: Policy, prior: dict) -> AnalysisResult:
    """Outstanding and facility count per five-class status and per product."""
    exp = book.tables.exposures
    rows = []
    for s in Status:
        part = exp[exp["status"] == s.value]
        rows.append(
            {"status": s.value, "facilities": len(part), "outstanding_fen": int(sum(part["outstanding"].tolist()))}
        )
    by_status = pd.DataFrame(rows)
    prod = (
        exp.assign(product=exp["product"].replace("", "(none)"))
        .groupby("product", sort=True)["outstanding"]
        .agg(["count", "sum"])
        .reset_index()
    )
    by_product = pd.DataFrame(
        {
            "product": prod["product"],
            "facilities": prod["count"].astype(int),
            "outstanding_fen": [int(x) for x in prod["sum"]],
        }
    )
    return AnalysisResult({"book_by_status": by_status, "book_by_product": by_product})


#: The book overview, the first analysis of every run.
BOOK = Analysis("book", book_overview, "Book overview", "贷款概览", order=0, needs=())

#: The rooms whose module constant ``ANALYSIS`` :func:`registry` reads.
ROOMS = ("channelgraph.risk", "channelgraph.marketing", "channelgraph.caps")


@cache
def registry() -> tuple[Analysis, ...]:
    """The analyses ``analyze`` runs: :data:`BOOK` and each room's ``ANALYSIS``, sorted by ``order``.

    >>> [a.name for a in registry()]
    ['book', 'risk', 'marketing', 'caps']
    """
    from . import caps, marketing, risk  # imported here: the rooms take a while to import

    rooms = {m.__name__: m.ANALYSIS for m in (risk, marketing, caps)}
    return tuple(sorted([BOOK, *(rooms[name] for name in ROOMS)], key=lambda a: a.order))


def dataset_summary(dataset: Dataset) -> dict:
    s = dataset.summary()
    s["total_outstanding"] = format_yuan(s.pop("total_outstanding_fen"))
    s["encodings"] = dataset.encodings
    s["policy"] = dataset.policy.to_dict()
    return s


def run_analyses(
    book: Book,
    policy: Policy | None = None,
    only: list[str] | None = None,
    stopwatch=None,
    after: Callable[[str, Result], None] | None = None,
    options: dict[str, dict] | None = None,
    analyses: Sequence[Analysis] | None = None,
) -> dict[str, Result]:
    """Run the analyses (or *only* those named, plus what they need) and return their results.

    *analyses* is the registry to run from, :func:`registry` by default. An analysis reads the
    results of those it declares in :attr:`Analysis.needs` (every one before it in the registry
    when it declares nothing), so those run too, first; the order is
    :func:`schedule`'s. Only the wanted ones are returned, in registry order. Every analysis reads
    the one *book* (:class:`~channelgraph.graph.Book`). A :class:`~channelgraph.timing.Stopwatch` times each analysis; *after*,
    if given, is called with each wanted analysis's name and result as soon as it is done
    (``analyze`` writes the tables from there). *options* gives an analysis keyword arguments beyond
    ``(book, policy, prior)``: ``{"marketing": {"work": …}}`` (see :mod:`channelgraph.pipeline`).
    """
    from .timing import stage_of

    timed = stage_of(stopwatch)
    policy = policy or book.policy
    if analyses is None:
        with timed("import rooms"):
            analyses = registry()
    results: dict[str, Result] = {}
    wanted = [a.name for a in analyses] if only is None else list(only)
    unknown = set(wanted) - {a.name for a in analyses}
    if unknown:
        raise ValueError(f"unknown analyses: {', '.join(sorted(unknown))}")
    for a in schedule(wanted, analyses):
        with timed(a.name):
            results[a.name] = a.run(book, policy, results, **(options or {}).get(a.name, {}))
        if after is not None and a.name in wanted:
            after(a.name, results[a.name])
    return {a.name: results[a.name] for a in analyses if a.name in wanted}


def schedule(wanted: list[str], analyses: Sequence[Analysis] | None = None) -> list[Analysis]:
    """The analyses of *analyses* (:func:`registry` by default) to run for *wanted*, in the order to run them.

    The wanted ones and, transitively, what they need (:attr:`Analysis.needs`). Registry order,
    except that an analysis that waits for background work (:attr:`Analysis.waits`) lets the
    ready ones after it go first.

    >>> [a.name for a in schedule(["book"])]
    ['book']
    """
    analyses = registry() if analyses is None else tuple(analyses)
    position = {a.name: i for i, a in enumerate(analyses)}

    def needs(a: Analysis) -> tuple[str, ...]:
        return tuple(b.name for b in analyses[: position[a.name]]) if a.needs is None else a.needs

    todo: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name not in todo:
            todo.add(name)
            stack.extend(needs(analyses[position[name]]))
    pending = [a for a in analyses if a.name in todo]
    done: set[str] = set()
    order: list[Analysis] = []
    while pending:
        ready = [a for a in pending if set(needs(a)) <= done]
        a = next((r for r in ready if not r.waits), ready[0])
        pending.remove(a)
        done.add(a.name)
        order.append(a)
    return order


def write_results(results: dict[str, Result], dataset: Dataset, out_dir: Path) -> list[Path]:
    """Write every table of *results* plus ``summary.json`` into *out_dir*."""
    files: list[Path] = []
    for res in results.values():
        files += write_tables(res, out_dir)
    return files + write_summary(results, dataset, out_dir)


def write_tables(result: Result, out_dir: Path) -> list[Path]:
    """Write the tables of one analysis (CSV and JSON twin each) into *out_dir*."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for table, df in result.tables.items():
        files.extend(write_table(df, out_dir, table))
    return files


def write_summary(results: dict[str, Result], dataset: Dataset, out_dir: Path) -> list[Path]:
    """Write ``summary.json``: the dataset's counts and every analysis's summary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {"dataset": dataset_summary(dataset), "analyses": {n: r.summary for n, r in results.items()}}
    return [write_json(summary, out_dir / "summary.json")]


def node_results(results: dict[str, Result]) -> dict[str, dict]:
    """Per-entity results to write back onto Neo4j nodes: ``id → {property: value}``.

    Each analysis of the registry with per-entity results contributes through its
    :attr:`Analysis.node_properties`, in registry order.
    """
    props: dict[str, dict] = {}
    for a in registry():
        if a.node_properties is not None and a.name in results:
            for eid, values in a.node_properties(results[a.name]).items():
                props.setdefault(eid, {}).update(values)
    return props
