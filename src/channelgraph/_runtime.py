"""Small helpers the rooms share for running fast: a paused garbage collector."""

from __future__ import annotations

import functools
import gc


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
