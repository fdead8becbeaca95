"""Work on the marketing view that may run on a background thread, memoised on the view.

The two slowest computations of the marketing room — sampled betweenness and the
community partition — need nothing but the view, and their compiled kernels release the
GIL. ``analyze`` starts them right after the graph build (:func:`start`), so they run on
the second core while the risk room and its tables take the first; the functions that
need a result ask :func:`result`, which waits for the background work if it was started
and otherwise computes it on the spot. Either way the values are the same.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from collections.abc import Callable


def start(view, tasks: list[tuple[tuple, Callable, tuple]]) -> None:
    """Run *tasks* — ``(key, function, args)`` — one after another on one background thread.

    Each result (or exception) is kept in ``view.cache[key]`` as a
    :class:`concurrent.futures.Future`; keys already there are skipped.
    """
    todo = plan(view, tasks)
    if todo:
        in_background(run, todo)


def plan(view, tasks: list[tuple[tuple, Callable, tuple]]) -> list:
    """Register a :class:`~concurrent.futures.Future` in ``view.cache`` for each new task; the
    work to hand to :func:`run`."""
    todo = []
    for key, fn, args in tasks:
        if key in view.cache:
            continue
        fut: Future = Future()
        view.cache[key] = fut
        todo.append((fut, fn, args))
    return todo


def run(todo: list) -> None:
    """Do the planned work in order, each result (or exception) into its future."""
    for fut, fn, args in todo:
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            fut.set_exception(exc)


_THREADS: list[threading.Thread] = []


def in_background(fn: Callable, *args) -> None:
    """``fn(*args)`` on a new daemon thread."""
    t = threading.Thread(target=fn, args=args, name="channelgraph-marketing", daemon=True)
    t.start()
    _THREADS.append(t)


def settle(timeout: float = 0.1) -> bool:
    """Give background threads that are ending up to *timeout* seconds each to end; whether
    none is left.

    The thread's last result wakes whoever waits for it a moment before the thread itself
    returns; ``analyze`` forks side processes only once no other thread runs (see
    :mod:`channelgraph._forked`), so it settles the threads after the marketing room.
    """
    for t in list(_THREADS):
        t.join(timeout)
        if not t.is_alive():
            _THREADS.remove(t)
    return not _THREADS


def result(view, key: tuple, fn: Callable, args: tuple):
    """``fn(*args)``: from the background work started for *key*, else computed now (not kept)."""
    fut = view.cache.get(key)
    if fut is None:
        return fn(*args)
    return fut.result()
