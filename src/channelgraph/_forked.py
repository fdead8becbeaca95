"""Output work in forked copies of this process, so that writing files uses the second core.

Once the marketing room's background work has ended, ``analyze`` has single-threaded work
left (the marketing room itself, the views, the report) and every room's tables to write: a
forked copy of the process sees the tables as they are in memory (copy-on-write, nothing is
pickled) and writes them on the other core while this process goes on; the views share their
pages with another.

A fork copies only the calling thread, so :class:`SideProcesses` forks only where that is
safe and useful: on Linux, when no other Python thread runs (the marketing room's
background work has ended), and unless switched off (``SideProcesses(enabled=False)``, or
for every run ``CHANNELGRAPH_SIDE_PROCESSES=0``, read here only). Otherwise the work
runs at once in this process, with the same result. The child pauses the garbage collector
(its walk would copy every page it touches), sends back its function's result or exception
through a pipe and ends with ``os._exit`` (no ``atexit`` handlers, no stdio buffers of the
parent flushed twice).

A side process does not outlive this one: it asks the kernel for SIGKILL when its parent
ends (``PR_SET_PDEATHSIG`` through ``prctl``, looked up at import so that the child loads
nothing; checking the parent did not end before it asked), ignores Ctrl-C (this process
decides), ends on SIGTERM and SIGHUP as any process does (not through this process's
handlers), and :class:`SideProcesses` used as a context manager kills the ones still running
when the block fails or is interrupted. A killed writer leaves at most a
partial file in a staging folder that is never swapped in (see :mod:`channelgraph.io.outdir`).

>>> side = SideProcesses()
>>> job = side.run(sum, [1, 2, 3])
>>> job.result()
6
>>> side.wait()
[6]
"""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import resource
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

#: Set to ``0`` to run the side work in this process (same outputs; for debugging and A/B timing).
ENV_SWITCH = "CHANNELGRAPH_SIDE_PROCESSES"


#: Test hook, not for users: ``DIR:point[,point…]`` makes the process pause at each named
#: point (``side``: a side process before its work; ``swap``: a run whose outputs are all
#: staged, before they are swapped in; ``swapping``: in the middle of the swap, the new outputs
#: exchanged in or the previous ones renamed aside) until the test removes ``DIR/<point>-<pid>``, at most
#: a minute. The tests use it to interrupt or kill a run at a known moment.
TEST_PAUSE_ENV = "CHANNELGRAPH_TEST_PAUSE"

_PR_SET_PDEATHSIG = 1

_TALLY = [0]
#: Side processes started and not yet waited for, whoever started them (see :func:`end_side_processes`).
_LIVE: list = []


def end_side_processes() -> None:
    """Kill and reap every side process still running (a run that failed or was interrupted).

    Whoever started them (the tables' writers, the views' pages): nothing of a failed run may
    go on writing after the run has cleaned up.
    """
    while _LIVE:
        _LIVE.pop().end()


def pause_for_tests(point: str) -> None:
    """Pause at *point* when :data:`TEST_PAUSE_ENV` names it (a test hook; nothing otherwise)."""
    spec = os.environ.get(TEST_PAUSE_ENV)
    if not spec:
        return
    folder, _, points = spec.rpartition(":")
    if point not in points.split(","):
        return
    flag = os.path.join(folder, f"{point}-{os.getpid()}")
    with open(flag, "w", encoding="ascii"):
        pass
    deadline = time.monotonic() + 60
    while os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.02)


def _libc_prctl():
    """The C library's ``prctl`` (Linux), looked up once at import, in the parent, or None.

    Looking it up in a forked child would ``dlopen`` there, which may deadlock on a lock a
    native thread of the parent held at the fork.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _libc_prctl()


def _die_with_parent(parent: int) -> None:  # pragma: no cover - runs in the child
    """Ask the kernel to SIGKILL this process when its parent ends; end now if it already has."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended between the fork and prctl
        os._exit(1)


def start_forked_child(parent: int) -> None:  # pragma: no cover - runs in the child
    """What a forked child doing side work does first (here and in ``export-neo4j``'s worker pool).

    It dies with *parent*, ignores Ctrl-C (it reaches the whole process group: the parent
    decides and ends its children) and ends on SIGTERM and SIGHUP as any process does, not
    through the parent's handlers, which raise to end the parent's run (one the parent
    ignores, as under ``nohup``, stays ignored).
    """
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:  # ignored (nohup) stays ignored
            signal.signal(sig, signal.SIG_DFL)


def side_private_bytes() -> int:
    """The peak private memory (estimates) of every side process waited for so far, summed."""
    return _TALLY[0]


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - Linux provides it
        return 0


def _private_bytes() -> int:
    """This process's private memory now (pages it does not share with its parent), from smaps_rollup."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as fh:
            return sum(
                int(line.split()[1]) * 1024 for line in fh if line.startswith(("Private_Clean:", "Private_Dirty:"))
            )
    except (OSError, ValueError, IndexError):  # pragma: no cover - Linux provides it
        return 0


def can_fork() -> bool:
    """Whether side work may go to a forked process now: on Linux, from the main thread, with
    no other Python thread running, and not switched off.

    Idle native worker pools (OpenBLAS's, started by ``import numpy``; LLVM's, by numba) do
    not count: OpenBLAS stops its pool around a fork, and the side work calls neither.
    """
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and os.environ.get(ENV_SWITCH, "1") != "0"
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
    )


class SideProcessError(RuntimeError):
    """A side process ended without a result (killed, or its result could not be sent)."""


@dataclass
class Job:
    """One piece of side work: its result once :meth:`result` has waited for it."""

    pid: int | None = None
    fd: int | None = None
    outcome: tuple | None = None
    #: Peak private memory (an estimate) of the forked process (0 when the work ran here); its
    #: CPU seconds are in this process's ``RUSAGE_CHILDREN`` once it was waited for.
    private_bytes: int = 0

    def result(self):
        """The function's return value; its exception re-raised here (with the child's traceback
        as a note)."""
        if self.outcome is None:
            self.outcome = self._collect()
        status, value, text = self.outcome
        if status == "ok":
            return value
        if text and hasattr(value, "add_note") and not getattr(value, "_side_noted", False):
            value.add_note("in a side process:\n" + text.rstrip())
            value._side_noted = True
        raise value

    def end(self) -> None:
        """Kill the side process if it still runs and reap it (its result is then lost)."""
        if self.pid is None or self.outcome is not None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        if self in _LIVE:
            _LIVE.remove(self)
        if self.fd is not None:
            os.close(self.fd)
        self.outcome = ("error", SideProcessError("a side process was ended: the run was interrupted"), "")

    def _collect(self) -> tuple:
        assert self.fd is not None and self.pid is not None  # only a forked job has no outcome yet
        fh, self.fd = os.fdopen(self.fd, "rb"), None  # closed here, whatever happens
        with fh:
            data = fh.read()
        pid = self.pid
        # Wait without reaping: the zombie keeps holding the PID, so an interruption up to the
        # line below still lets end_side_processes kill and reap it (no reused PID is hit).
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        if self in _LIVE:
            _LIVE.remove(self)
        self.pid = None  # from here on end() leaves it alone: the PID is reaped next
        _, status = os.waitpid(pid, 0)
        if not data:
            how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}"
            return "error", SideProcessError(f"a side process writing outputs ended without a result ({how})"), ""
        status_, value, text, self.private_bytes = pickle.loads(data)
        _TALLY[0] += self.private_bytes
        return status_, value, text


@dataclass
class SideProcesses:
    """Runs functions in forked copies of this process where that is safe (see the module text)."""

    #: False: every piece of work runs in this process (``pipeline.run_everything(side_processes=False)``).
    enabled: bool = True
    jobs: list[Job] = field(default_factory=list)

    def forks(self) -> bool:
        """Whether work handed on now goes to a forked process (else it runs here, at once)."""
        return self.enabled and can_fork()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        """On an error or an interruption, kill the side processes still running (and reap them)."""
        if kind is not None:
            self.end()

    def end(self) -> None:
        """Kill every side process still running; their results are lost."""
        for job in self.jobs:
            job.end()

    def run(self, fn: Callable, *args) -> Job:
        """Start ``fn(*args)`` in a forked process, or run it now when forking is not safe here.

        An error of the forked work is raised by :meth:`Job.result` or :meth:`wait`; an error of
        work run here is raised at once."""
        if not self.forks():  # here and now; an error is raised at once
            job = Job(outcome=("ok", fn(*args), ""))
            self.jobs.append(job)
            return job
        for stream in (sys.stdout, sys.stderr):  # None when the stream was closed (``>&-``)
            if stream is not None:
                stream.flush()
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        with warnings.catch_warnings():
            # Python 3.12+ warns on fork when the process has other OS threads: here only the
            # idle native pools above, which the child does not use.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, seen through its result
            _child(read_fd, write_fd, fn, args, parent)
        os.close(write_fd)
        job = Job(pid=pid, fd=read_fd)
        self.jobs.append(job)
        _LIVE.append(job)
        return job

    def wait(self) -> list:
        """Wait for every job; their results in order. The first failure is raised after all ended."""
        results, first_error = [], None
        for job in self.jobs:
            try:
                results.append(job.result())
            except BaseException as exc:  # noqa: BLE001 - raised below, once every job has ended
                results.append(None)
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        return results

    @property
    def private_bytes(self) -> int:
        """Peak private memory of the forked processes (estimates), summed."""
        return sum(j.private_bytes for j in self.jobs)


def _child(read_fd: int, write_fd: int, fn: Callable, args: tuple, parent: int) -> None:  # pragma: no cover - child
    try:
        start_forked_child(parent)
        pause_for_tests("side")
        gc.disable()
        at_start = _resident_bytes()  # all shared with the parent yet
        os.close(read_fd)
        try:
            outcome = ("ok", fn(*args), "")
        except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
            outcome = ("error", exc, traceback.format_exc())
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # Peak private memory, estimated: the most it allocated beyond what it started with (its
        # peak resident set starts at its size at the fork) plus every page it holds of its own
        # at the end (pages copied on writing). Pages the parent changes meanwhile and the timing
        # of each peak are not seen: the benchmark samples the process tree's PSS instead.
        grew = max(0, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) - at_start)
        extra = (grew + _private_bytes(),)
        try:
            data = pickle.dumps(outcome + extra)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception: send its text
            data = pickle.dumps(("error", SideProcessError(f"{type(exc).__name__}: {exc}"), outcome[2]) + extra)
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(data)
    finally:
        os._exit(0)
