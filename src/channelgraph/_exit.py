"""How a run ends: the exit codes, and the one line said on standard error.

Used by the console script (:mod:`._entry`, which imports nothing heavy) and by the command
line it starts (:mod:`.cli`): the command line takes them from here, not from the module
that imports it.
"""

from __future__ import annotations

import sys

#: Exit code of an interrupted run (Ctrl-C, SIGTERM), as a shell reports a SIGINT.
EXIT_INTERRUPTED = 130
#: Exit code when the command line cannot even be loaded (a broken installation).
EXIT_ENVIRONMENT = 3


def tell(line: str) -> None:
    """Write *line* to standard error; nothing when the process has no standard error."""
    stream = sys.stderr
    if stream is not None:
        try:
            stream.write(line + "\n")
            stream.flush()
        except (OSError, ValueError):  # closed or gone: nobody is listening
            pass


def interrupted() -> int:
    """Say that the run was interrupted; the exit code to end with."""
    tell("✗ interrupted")
    return EXIT_INTERRUPTED
