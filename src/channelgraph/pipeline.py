"""One run of every analysis with its outputs: scheduling and writing (what ``analyze`` does).

:func:`run_everything` builds the book once, starts the marketing room's slow values on
the one background executor it owns (a single thread: the compiled kernels release the
GIL, so they take the second core while this thread runs the risk room), runs the
registered analyses (:func:`channelgraph.analyses.run_analyses`, handing the marketing
room its :class:`~channelgraph.marketing.MarketingWork` as an argument), and writes every
table, ``summary.json``, the main views, the report and, when the caps room ran, its
committee report.

Each analysis's tables are written as soon as it is done, while the background thread
computes (the kernels release the GIL); a recorded A/B benchmark at 1M customers showed
forked writer processes no faster (``bench/RESULTS.md``).

>>> import tempfile
>>> from pathlib import Path
>>> from channelgraph.io import load_dataset
>>> with tempfile.TemporaryDirectory() as out:
...     results, files = run_everything(load_dataset("data/sample"), Path(out), lang="en")
>>> list(results)[:3], [f.name for f in files if f.suffix == ".html"][-1]
(['book', 'risk', 'marketing'], 'caps_report.html')
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Executor, Future
from pathlib import Path

from ._oserror import naming
from .analyses import Result, run_analyses, write_summary
from .graph import build_book
from .io.validate import Dataset
from .io.write import write_table
from .marketing import MarketingWork, start_marketing
from .timing import stage_of


def run_everything(
    ds: Dataset, out_dir: Path, lang: str = "zh", mask: bool = True, stopwatch=None
) -> tuple[dict[str, Result], list[Path]]:
    """Run every registered analysis on *ds* and write all outputs into *out_dir*.

    Parameters
    ----------
    ds : channelgraph.io.validate.Dataset
        The validated dataset (:func:`channelgraph.io.load_dataset`, or read from Neo4j).
    out_dir : Path
        The folder to write into (``analyze`` passes its staging folder).
    lang : str
        Language of the report and the views (``zh`` or ``en``).
    mask : bool
        Mask ID-card and phone numbers in the views and the reports.
    stopwatch : channelgraph.timing.Stopwatch, optional
        Times each stage (``graph build``, each analysis, ``tables``, ``views``, ``report``).

    Returns
    -------
    (dict, list of Path)
        The results by analysis name, and every file written (tables in registry order,
        ``summary.json``, the views, the reports).
    """
    timed = stage_of(stopwatch)
    # One executor, one thread: the marketing view and its slow values start right after the
    # graph build and run while the risk room does; marketing receives their futures.
    background = BackgroundThread()
    try:
        with timed("graph build"):
            book = build_book(ds)
            work = start_marketing(book, book.policy, background)
        done = _run(book, out_dir, lang, mask, stopwatch, work)
    finally:  # a failed run does not wait for the work it had started (a daemon thread)
        background.shutdown(wait=False, cancel_futures=True)
    background.shutdown(wait=True)  # the marketing room has had every result: it ends at once
    return done


class BackgroundThread(Executor):
    """An executor of one daemon thread that does the work submitted, in order.

    A daemon thread, unlike :class:`~concurrent.futures.ThreadPoolExecutor`'s, does not hold
    up the end of a run that failed or was interrupted while a kernel still runs.

    >>> ex = BackgroundThread()
    >>> ex.submit(sum, [1, 2]).result()
    3
    >>> ex.shutdown()
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="channelgraph-background", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._closed:  # queued behind the stop marker, it would never run
            raise RuntimeError("cannot schedule new work after shutdown")
        future: Future = Future()
        self._queue.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # noqa: BLE001 - raised to whoever asks for the result
                    future.set_exception(exc)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """End the thread once the work queued is done (with *cancel_futures*, the work not
        started yet is cancelled); with *wait*, wait until it has ended."""
        self._closed = True
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        if self._thread.is_alive():
            self._queue.put(None)
        if wait:
            self._thread.join()


def _run(book, out_dir, lang, mask, stopwatch, work: MarketingWork) -> tuple[dict[str, Result], list[Path]]:
    from .report import write_report
    from .viz import write_views

    ds = book.tables
    timed = stage_of(stopwatch)
    written: dict = {}  # (room, table) → files

    def write_room(name: str, result: Result) -> None:
        with timed("tables"):
            for table, df in result.tables.items():
                written[name, table] = write_table(df, out_dir, table)

    results = run_analyses(book, stopwatch=stopwatch, after=write_room, options={"marketing": {"work": work}})
    with timed("tables"):
        summary = write_summary(results, ds, out_dir)
    with timed("views"), naming(Path(out_dir) / "views"):
        views = write_views(book, results, out_dir, lang=lang, mask=mask)
    with timed("report"):
        with naming(Path(out_dir) / "report.html"):
            files = views + write_report(results, ds, out_dir, lang, views=views, mask=mask)
        if "caps" in results:  # the caps room's committee report, beside the main one
            from .caps import write_caps_report

            with naming(Path(out_dir) / "caps_report.html"):
                files += write_caps_report(results["caps"], ds.policy, out_dir, lang, ds.name, mask=mask)
    tables = [p for room, result in results.items() for name in result.tables for p in written[room, name]]
    return results, tables + summary + files
