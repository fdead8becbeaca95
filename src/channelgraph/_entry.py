"""The ``channelgraph`` console script and ``python -m channelgraph``: set up the terminal first.

Importing the command line takes a while (pandas, numba). This module imports nothing heavy,
so that what must hold for the whole run is in place before that import starts:

* Ctrl-C while the libraries are still being imported ends as every interruption does —
  one line, ``✗ interrupted``, exit 130 — not with the traceback of a half-done import;
* a standard output or error stream that was closed (``channelgraph … >&-``) is opened on the
  null device: nothing is printed, and no file the command writes can take its place;
* a reader that goes away (``channelgraph … | head -1``) sends the rest of the output to the
  null device and the command runs to its end: its outputs are written in full and it exits
  with its own code (0), not as if the data had been refused.
"""

from __future__ import annotations

import os
import sys

from ._exit import EXIT_ENVIRONMENT, interrupted, tell


class ReaderMayLeave:
    """A standard stream whose reader may go away (``| head``): then its descriptor is pointed at
    the null device and writing goes on silently, as Python's documentation advises for SIGPIPE.

    Parameters
    ----------
    stream : io.TextIOWrapper
        ``sys.stdout`` or ``sys.stderr``; every other attribute is the stream's own.
    """

    def __init__(self, stream) -> None:
        self._stream = stream

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()

    def _to_null(self) -> None:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self._stream.fileno())
        finally:
            os.close(null)
        try:  # the bytes still buffered for the gone reader go to the null device
            self._stream.flush()
        except OSError:
            pass


def _standard_streams() -> None:
    """Open a closed standard output or error on the null device; guard both against a gone reader."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        stream = getattr(sys, name)
        if stream is None:  # the descriptor was closed when Python started
            null = os.open(os.devnull, os.O_WRONLY)  # the lowest free descriptor: usually *fd* itself
            if null != fd:
                os.dup2(null, fd)
                if null > 2:
                    os.close(null)
            stream = open(fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as the run
        setattr(sys, name, ReaderMayLeave(stream))


def _from_ctrl_c(exc: BaseException) -> bool:
    """Whether *exc* was caused by Ctrl-C (a KeyboardInterrupt in its cause or context chain)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def run() -> None:
    """The ``channelgraph`` command: set up the terminal, then import and run :func:`.cli.run`."""
    try:
        _standard_streams()
        from .cli import run as command
    except KeyboardInterrupt:
        os._exit(interrupted())
    except Exception as exc:  # noqa: BLE001 - a broken installation: one line, not a traceback
        if _from_ctrl_c(exc):  # Python wraps an interrupt inside a class body's __set_name__ in RuntimeError
            os._exit(interrupted())
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        tell(f"✗ channelgraph cannot start: {type(exc).__name__}: {first} (reinstall channelgraph)")
        os._exit(EXIT_ENVIRONMENT)
    command()
