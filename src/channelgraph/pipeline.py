"""One run of every analysis with its outputs: scheduling and writing (what ``analyze`` does).

:func:`run_everything` builds the book once, starts the marketing room's slow values on
the one background executor it owns (a single thread: the compiled kernels release the
GIL, so they take the second core while this thread runs the risk room), runs the
registered analyses (:func:`channelgraph.analyses.run_analyses`, handing the marketing
room its :class:`~channelgraph.marketing.MarketingWork` as an argument), and writes every
table, ``summary.json``, the main views, the report and, when the caps room ran, its
committee report.

Tables are written by forked side processes (:mod:`channelgraph._forked`) where that is
safe: a fork copies only the calling thread, so they are handed on only once the background
executor has finished and shut down; until then, while the next analysis would only wait
for the background work (the marketing room), this thread writes them one by one. The files
are the same bytes either way, and with ``side_processes=False`` (or
``CHANNELGRAPH_SIDE_PROCESSES=0``) everything is written in this process.

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
from concurrent.futures import wait as wait_for
from itertools import pairwise
from pathlib import Path

from ._forked import SideProcesses
from ._oserror import naming
from .analyses import Result, registry, run_analyses, schedule, write_summary
from .graph import build_book
from .io.validate import Dataset
from .io.write import write_table
from .marketing import MarketingWork, start_marketing
from .timing import stage_of

#: How many side processes share the rooms' tables when they are handed on together.
TABLE_WRITERS = 2


def run_everything(
    ds: Dataset, out_dir: Path, lang: str = "zh", mask: bool = True, stopwatch=None, *, side_processes: bool = True
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
    side_processes : bool
        Let forked side processes write tables and half of the views (the default); False
        writes everything in this process. The outputs are the same bytes either way.

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
        # on a failure or Ctrl-C the side processes still running are killed
        with SideProcesses(enabled=side_processes) as side:
            return _run(book, out_dir, lang, mask, stopwatch, side, background, work)
    finally:
        background.shutdown(wait=False, cancel_futures=True)


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
        self._thread.start()

    def submit(self, fn, /, *args, **kwargs) -> Future:
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


def _run(
    book, out_dir, lang, mask, stopwatch, side: SideProcesses, background: BackgroundThread, work: MarketingWork
) -> tuple[dict[str, Result], list[Path]]:
    from .report import write_report
    from .viz import write_views

    ds = book.tables
    timed = stage_of(stopwatch)
    waiting: list = []  # (room, table, frame) not written yet
    written: dict = {}  # (room, table) → files
    batches: list = []

    def settled(timeout: float) -> bool:
        """Whether the background work has ended (then its thread is shut down, so that forking is safe)."""
        if wait_for(work.futures, timeout=timeout).not_done:
            return False
        background.shutdown(wait=True)
        return True

    def write_waiting(force: bool = False, idle: bool = False) -> None:
        ended = settled(0.1)  # a thread whose last result is out ends within moments
        while waiting and not ended and idle and not force:
            room, name, df = waiting.pop(0)
            written[room, name] = write_table(df, out_dir, name)
            ended = settled(0.0)
        if waiting and (force or side.forks()):
            shares = _share_tables(waiting, TABLE_WRITERS if side.forks() else 1)
            waiting.clear()
            batches.extend(side.run(_write_some_tables, share, out_dir) for share in shares)

    order = schedule([a.name for a in registry()])
    after_it = {a.name: b for a, b in pairwise(order)}

    def write_room(name: str, result: Result) -> None:
        # idle: the next analysis would wait for the background work (the marketing room)
        idle = name in after_it and after_it[name].waits
        with timed("tables"):
            waiting.extend((name, table, df) for table, df in result.tables.items())
            write_waiting(idle=idle)

    results = run_analyses(book, stopwatch=stopwatch, after=write_room, options={"marketing": {"work": work}})
    with timed("tables"):
        write_waiting(force=True)
        summary = write_summary(results, ds, out_dir)
    with timed("views"), naming(Path(out_dir) / "views"):
        views = write_views(book, results, out_dir, lang=lang, mask=mask, side_processes=side.enabled)
    with timed("report"):
        with naming(Path(out_dir) / "report.html"):
            files = views + write_report(results, ds, out_dir, lang, views=views, mask=mask)
        if "caps" in results:  # the caps room's committee report, beside the main one
            from .caps import write_caps_report

            with naming(Path(out_dir) / "caps_report.html"):
                files += write_caps_report(results["caps"], ds.policy, out_dir, lang, ds.name, mask=mask)
    with timed("tables"):
        side.wait()
        written.update(((room, name), paths) for job in batches for room, name, paths in job.result())
        files = (
            [p for room, result in results.items() for name in result.tables for p in written[room, name]]
            + summary
            + files
        )
    return results, files


def _write_some_tables(items: list, out_dir: Path) -> list:
    """Write ``(room, table name, frame)`` items; ``(room, table name, files)`` for each."""
    return [(room, name, write_table(df, Path(out_dir), name)) for room, name, df in items]


def _share_tables(items: list, parts: int) -> list[list]:
    """``(room, table, frame)`` *items* in *parts* lists of about equal size (cells), the biggest
    first (longest-processing-time-first)."""
    items = sorted(items, key=lambda item: -(len(item[2]) * max(1, item[2].shape[1])))
    shares: list[list] = [[] for _ in range(max(1, parts))]
    load = [0] * len(shares)
    for item in items:
        i = load.index(min(load))
        shares[i].append(item)
        load[i] += len(item[2]) * max(1, item[2].shape[1])
    return [share for share in shares if share]
