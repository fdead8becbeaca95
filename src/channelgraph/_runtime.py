"""Small helpers the rooms share for running fast: a paused garbage collector, optional
compiled modules."""

from __future__ import annotations

import functools
import gc
import importlib
from types import ModuleType


def gc_paused(fn):
    """Run *fn* with the cyclic garbage collector paused (restored afterwards, also on error).

    The risk tables and the views hold millions of small lists and strings that all
    survive; each allocation burst makes the collector walk every tracked object again,
    which on a big book costs more than building the tables. These functions create no
    reference cycles that matter, so pausing the collector frees nothing later than
    otherwise.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return wrapper


_OPTIONAL: dict[str, ModuleType | None] = {}


def optional_module(name: str) -> ModuleType | None:
    """The module *name* (imported once), or None when it cannot be imported — the compiled
    kernels' modules import numba, and the callers then use their numpy code."""
    if name not in _OPTIONAL:
        try:
            _OPTIONAL[name] = importlib.import_module(name)
        except ImportError:  # pragma: no cover - exercised only where numba is missing
            _OPTIONAL[name] = None
    return _OPTIONAL[name]
