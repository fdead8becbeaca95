"""Where the time goes: wall and CPU seconds and peak memory per stage of a run.

``channelgraph analyze --timings`` prints them and writes ``timings.json``; the
benchmarks under ``bench/`` read that file. Peak memory is the process's peak resident
set size so far (``ru_maxrss``), so a stage's figure is the peak up to and including it.

>>> sw = Stopwatch()
>>> with sw.stage("sum"):
...     _ = sum(range(1000))
>>> with sw.stage("sum"):
...     _ = sum(range(1000))
>>> [s["stage"] for s in sw.stages]
['sum']
"""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class Stopwatch:
    """Collects ``{"stage", "wall_s", "cpu_s", "thread_cpu_s", "peak_rss_bytes"}`` for each timed
    stage, in order.

    A stage timed again (``analyze`` hands each room's tables on as soon as the room is done)
    adds to its earlier entry, which moves to the end: stages are listed in the order they
    last ended, so each one's peak memory is the peak up to then. CPU seconds are the whole process's, so work running on a
    background thread meanwhile (the marketing room's betweenness) counts in the stage it
    overlaps; ``thread_cpu_s`` is the timing thread's own (the critical path: on a busy
    machine it shows what the stage needs when the background work has a core of its own).
    """

    def __init__(self) -> None:
        self.stages: list[dict] = []
        self._t0 = time.perf_counter()

    @contextmanager
    def stage(self, name: str):
        w, c, t = time.perf_counter(), time.process_time(), time.thread_time()
        try:
            yield
        finally:
            wall, cpu, own = time.perf_counter() - w, time.process_time() - c, time.thread_time() - t
            got = next((s for s in self.stages if s["stage"] == name), None)
            if got is not None:
                self.stages.remove(got)
                wall += got["wall_s"]
                cpu += got["cpu_s"]
                own += got["thread_cpu_s"]
            self.stages.append(
                {
                    "stage": name,
                    "wall_s": round(wall, 3),
                    "cpu_s": round(cpu, 3),
                    "thread_cpu_s": round(own, 3),
                    "peak_rss_bytes": peak_rss_bytes(),
                }
            )

    def total(self) -> dict:
        """Wall seconds since the stopwatch was made, and the peak resident memory
        (``bench/run.py`` samples the process's PSS as well)."""
        return {"wall_s": round(time.perf_counter() - self._t0, 3), "peak_rss_bytes": peak_rss_bytes()}

    def to_dict(self) -> dict:
        return {"stages": self.stages, "total": self.total()}


@contextmanager
def _nothing(name: str):
    yield


def stage_of(stopwatch: Stopwatch | None):
    """``stopwatch.stage`` or, without a stopwatch, a context manager that does nothing."""
    return stopwatch.stage if stopwatch is not None else _nothing
