"""What an operating-system error means to a user: its reason, what to do, and the file it concerns.

One place for the words, so that a file that cannot be read (:mod:`channelgraph.io.read`),
an output that cannot be written (:mod:`channelgraph.io.outdir`) and the last-resort
handler of the command line (:func:`channelgraph.cli._last_resort`) say the same thing
about the same error.

>>> import errno
>>> reason(OSError(errno.ENOSPC, "No space left on device"))
'No space left on device'
>>> hint(OSError(errno.EROFS, "Read-only file system"))
'a read-only file system: choose another --out'
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager

#: What to do when writing fails, by ``errno``; ``{other}`` is the option to choose another of.
_WRITING = {
    errno.ENOSPC: "the disk is full: free some room and run again",
    errno.EDQUOT: "the disk quota is used up: free some room and run again",
    errno.EFBIG: "a file grew past the size this process may write (ulimit -f) or the file system "
    "allows: raise the limit or choose another {other}",
    errno.EROFS: "a read-only file system: choose another {other}",
    errno.EACCES: "no permission: choose another {other} or fix its permissions",
    errno.EPERM: "not permitted here: choose another {other}",
    errno.ENOTDIR: "a file stands where a folder should be: remove it or choose another {other}",
    errno.EISDIR: "a folder stands where a file should be: remove it or choose another {other}",
    errno.ENAMETOOLONG: "the path is too long: choose a shorter {other}",
}
#: What to do when reading an input file fails, by ``errno``.
_READING = {
    errno.EACCES: "check the file's permissions (or copy it somewhere you can read)",
    errno.EPERM: "check the file's permissions (or copy it somewhere you can read)",
    errno.EIO: "the disk or network share failed: copy the file again",
    errno.ELOOP: "a symbolic link that points to itself: replace it with the file",
}


def reason(exc: OSError) -> str:
    """The operating system's words for *exc* (``No space left on device``)."""
    return exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)


def hint(exc: OSError, other: str = "--out", otherwise: str = "choose another {other}") -> str:
    """What to do about a failed write: free room, raise a limit, or choose another *other*.

    *otherwise* is said for an error without advice of its own (``""``: nothing).
    """
    return _WRITING.get(exc.errno or 0, otherwise).format(other=other)


def cannot_read(exc: OSError, doing: str) -> str:
    """Why an input file ``cannot be {doing}`` (opened, read) and what to do, for a problem line."""
    what = reason(exc)
    return f"cannot be {doing}: {what.lower() if what[:1].isupper() else what}; " + _READING.get(
        exc.errno or 0, "check the file and copy it again"
    )


def named(exc: OSError, path) -> OSError:
    """*exc* with *path* as its file when it names none (a failed ``write`` does not); else *exc*."""
    if exc.filename is not None or exc.errno is None:
        return exc
    renamed = type(exc)(exc.errno, exc.strerror, os.fspath(path))
    renamed.__cause__ = exc
    return renamed


@contextmanager
def naming(path) -> Iterator[None]:
    """Give an ``OSError`` of the block that names no file *path* as its file (see :func:`named`)."""
    try:
        yield
    except OSError as exc:
        renamed = named(exc, path)
        if renamed is exc:
            raise
        raise renamed from exc
