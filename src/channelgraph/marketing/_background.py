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
from typing import Callable


def start(view, tasks: list[tuple[tuple, Callable, tuple]]) -> None:
    """Run *tasks* — ``(key, function, args)`` — one after another on one background thread.

    Each result (or exception) is kept in ``view.cache[key]`` as a
    :class:`concurrent.futures.Future`; keys already there are skipped.
    """
    todo = []
    for key, fn, args in tasks:
        if key in view.cache:
            continue
        fut: Future = Future()
        view.cache[key] = fut
        todo.append((fut, fn, args))
    if not todo:
        return

    def work():
        for fut, fn, args in todo:
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # handed to whoever asks for the result
                fut.set_exception(exc)

    threading.Thread(target=work, name="channelgraph-marketing", daemon=True).start()


def result(view, key: tuple, fn: Callable, args: tuple):
    """``fn(*args)``: from the background work started for *key*, else computed now (not kept)."""
    fut = view.cache.get(key)
    if fut is None:
        return fn(*args)
    return fut.result()
