"""The output folder of a run: written whole, by one run at a time, or not at all.

A command that writes several files into ``--out`` (``analyze``, ``demo``, ``risk``,
``hubs``, ``channels``, ``caps``, ``stress``, ``generate``) goes through
:func:`staged_output`:

* **Checked first.** ``--out ''``, a path under ``/proc``, ``/sys`` or ``/dev``, an existing
  file, the current folder (or one that holds it) and a place where no folder can be made are
  refused with one line naming the path and what to do (:class:`OutputError`).
* **Exclusive.** A lock file beside the folder, ``.OUT.channelgraph.lock``, is held with
  ``flock`` for the whole run; a second run on the same ``--out`` is refused at once
  (:class:`OutputBusy`). The kernel releases the lock when the process ends, however it ends.
* **Atomic.** The run writes into a fresh staging folder beside ``--out`` (same file system,
  ``.OUT.staging-<pid>-<random>``); at the end the staging folder and ``--out`` are exchanged
  in one ``renameat2(RENAME_EXCHANGE)`` (two renames where the file system cannot exchange)
  and the previous outputs are removed. A run that fails or is interrupted before the
  exchange removes its staging folder and leaves ``--out`` as it was; one killed outright
  leaves its staging folder, which the next run on that ``--out`` removes.
* **Nothing of yours deleted.** A run replaces ``--out`` as a whole, so it refuses an
  ``--out`` that holds anything channelgraph did not write there. What it wrote is listed in
  ``.OUT.channelgraph.json`` beside the folder (not inside it: the outputs stay the same bytes
  and the same files).

Single files (``viz`` adds one page to a folder that collects pages) go through
:func:`write_one_file`: written under a unique temporary name in the same folder and renamed
into place, no lock needed (two runs writing the same page both write whole pages; the last
one stays).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import secrets
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .._forked import end_side_processes, pause_for_tests

LOCK_SUFFIX = ".channelgraph.lock"
RECORD_SUFFIX = ".channelgraph.json"
STAGING_TAG = ".staging-"
OLD_TAG = ".old-"
#: Places that hold no files of anyone's: an ``--out`` under them is refused before anything is tried.
VIRTUAL_ROOTS = ("/proc", "/sys", "/dev")


class OutputError(Exception):
    """An ``--out`` that cannot be used or written: the message is one line naming the path and what to do."""


class OutputBusy(OutputError):
    """Another run holds the lock of this ``--out``."""


# ----------------------------------------------------------------------------- checking the path


def _reason(exc: OSError) -> str:
    return exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)


def _hint(exc: OSError) -> str:
    return {errno.ENOSPC: "the disk is full: free some room and run again",
            errno.EDQUOT: "the disk quota is used up: free some room and run again",
            errno.EFBIG: "a file grew past the size this process may write (ulimit -f) or the file system "
                         "allows: raise the limit or choose another --out",
            errno.EROFS: "a read-only file system: choose another --out",
            errno.EACCES: "no permission: choose another --out or fix its permissions",
            errno.EPERM: "not permitted here: choose another --out",
            errno.ENOTDIR: "a file stands where a folder should be: remove it or choose another --out",
            errno.EISDIR: "a folder stands where a file should be: remove it or choose another --out",
            errno.ENAMETOOLONG: "the path is too long: choose a shorter --out"}.get(exc.errno or 0,
                                                                                   "choose another --out")


def check_out(out, option: str = "--out", replaced: bool = True) -> Path:
    """The absolute folder *out* names, or :class:`OutputError` saying why it cannot be an output folder.

    Parameters
    ----------
    out : the folder as the user gave it.
    option : how the user gave it, for the messages (``--out``, ``OUT_DIR``).
    replaced : whether a run replaces the folder as a whole (then a mount point, which cannot
        be renamed, is refused); not for a folder that collects files (``viz``).

    Returns
    -------
    pathlib.Path
        The folder with symbolic links resolved (the staging folder goes beside the real one).
        Its parent exists afterwards (created if missing).
    """
    text = os.fspath(out)
    if text.strip() == "":
        raise OutputError(f"{option} is empty: give an output folder (channelgraph does not write into the "
                          "current folder unasked)")
    target = Path(text).expanduser().resolve()
    for root in VIRTUAL_ROOTS:
        if target == Path(root) or Path(root) in target.parents:
            raise OutputError(f"{option} {text} is under {root}, which holds no files of anyone's: choose a folder "
                              "on a disk")
    if target.parent == target:
        raise OutputError(f"{option} {text} is the root folder: choose a folder of its own")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{option} {text} is a file, not a folder: choose another {option} or remove the file")
    if replaced and os.path.ismount(target):  # a mounted volume cannot be renamed, so it cannot be swapped
        raise OutputError(f"{option} {text} is a mount point, which a run cannot replace as a whole: give a folder "
                          f"inside it, e.g. {os.path.join(text, 'run')}")
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise OutputError(f"{option} {text} is the current folder or holds it, and a run replaces its output "
                          f"folder as a whole: choose a folder of its own")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{option} {text}: a file stands where a folder should be on the way to it: remove it "
                          f"or choose another {option}") from None
    except OSError as exc:
        where = exc.filename or target.parent
        raise OutputError(f"{option} {text}: cannot make the folder {where}: {_reason(exc)} ({_hint(exc)})") from None
    return target


# ----------------------------------------------------------------------------- lock and record


@contextmanager
def _locked(target: Path, shown: str) -> Iterator[None]:
    """Hold the lock of *target* (``.NAME.channelgraph.lock`` beside it) or raise :class:`OutputBusy`."""
    import fcntl

    lock = target.parent / f".{target.name}{LOCK_SUFFIX}"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot write beside {shown} ({lock.name}): {_reason(exc)} ({_hint(exc)})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise OutputBusy(f"{shown} is being written by another channelgraph run"
                             + (f" (process {holder})" if holder.isdigit() else "")
                             + ": wait for it to end, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock (a forked writer still holding it has ended by now)


def _record_path(target: Path) -> Path:
    return target.parent / f".{target.name}{RECORD_SUFFIX}"


def _read_record(target: Path) -> list[set[str]]:
    """The lists of what channelgraph wrote into *target* (more than one only around a swap)."""
    try:
        data = json.loads(_record_path(target).read_text(encoding="utf-8"))
        return [set(entries) for entries in data["written"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _write_record(target: Path, command: str, written: list[set[str]]) -> None:
    data = {"command": command, "written": [sorted(entries) for entries in written]}
    write_one_file(_record_path(target), (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8"))


def _entries(folder: Path) -> set[str]:
    """Every file and folder under *folder*, as paths relative to it."""
    found = set()
    for top, dirs, files in os.walk(folder):
        rel = os.path.relpath(top, folder)
        for name in dirs + files:
            found.add(name if rel == "." else f"{rel}/{name}")
    return found


def _leftovers(target: Path) -> list[Path]:
    prefix = f".{target.name}"
    return sorted(p for p in target.parent.iterdir()
                  if p.name.startswith(prefix + STAGING_TAG) or p.name.startswith(prefix + OLD_TAG))


def _tidy(target: Path) -> None:
    """Remove what killed runs left beside *target*; put back outputs a killed swap left aside."""
    left = _leftovers(target)
    if not target.exists():
        aside = [p for p in left if p.name.startswith(f".{target.name}{OLD_TAG}")]
        if aside:  # killed between the two renames of a swap: the previous outputs are whole
            newest = max(aside, key=lambda p: p.stat().st_mtime)
            os.rename(newest, target)
            left.remove(newest)
    for p in left:
        shutil.rmtree(p, ignore_errors=True)


# ----------------------------------------------------------------------------- the swap

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Exchange the folders *a* and *b* in one step (Linux ``renameat2``); False where that is not possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), os.fspath(b))


@dataclass
class Staging:
    """A run's staging folder (:attr:`path`) and the ``--out`` it will replace (:attr:`target`)."""

    path: Path
    target: Path
    shown: str
    command: str
    had_previous: bool
    committed: bool = False
    _on_commit: list = field(default_factory=list)

    def final(self, p) -> Path:
        """Where the staged file *p* will be once swapped in, as the user named ``--out``."""
        p = Path(p)
        try:
            return Path(self.shown) / p.relative_to(self.path)
        except ValueError:
            return p

    def kept(self) -> str:
        """What an interrupted or failed run leaves: the words for its one line."""
        if self.committed:
            return f"{self.shown} holds this run's complete outputs"
        if self.had_previous:
            return f"{self.shown} is unchanged (previous outputs kept)"
        return f"nothing was written to {self.shown}"

    def name_in(self, text: str) -> str:
        """*text* with the staging folder's path replaced by ``--out``'s."""
        return text.replace(os.fspath(self.path), self.shown)


def _commit(st: Staging) -> None:
    """Swap the staging folder in; SIGINT and SIGTERM wait until the record says what is there."""
    pause_for_tests("swap")
    new = _entries(st.path)
    blocked = {signal.SIGINT, signal.SIGTERM}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        _write_record(st.target, st.command, [*_read_record(st.target), new])
        if st.target.exists():
            if _exchange(st.path, st.target):
                st.committed = True
                aside = st.path
            else:
                aside = st.target.parent / f".{st.target.name}{OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}"
                os.rename(st.target, aside)
                os.rename(st.path, st.target)
                st.committed = True
        else:
            os.rename(st.path, st.target)
            st.committed = True
            aside = None
        _write_record(st.target, st.command, [new])
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


@contextmanager
def staged_output(out, *, command: str, option: str = "--out",
                  replaceable: Callable[[str], bool] | None = None) -> Iterator[Staging]:
    """Write a run's outputs into a staging folder and swap it in as ``out`` when the block ends.

    Parameters
    ----------
    out : the output folder the user gave.
    command : the command's name, kept in the record beside the folder.
    option : how the user gave *out* (for the messages).
    replaceable : whether an entry (a path relative to *out*) that channelgraph did not write
        there may be replaced anyway (``generate --force``: dataset files); default none.

    Yields
    ------
    Staging
        ``.path`` is the folder to write into.

    Raises
    ------
    OutputError
        *out* cannot be used (see :func:`check_out`), another run holds it, it holds files
        channelgraph did not write, or writing failed (an ``OSError`` of the block, turned into
        one line naming the file, the reason, and that the previous outputs are kept).
        An interruption (``KeyboardInterrupt``) and any other exception pass through after the
        staging folder is removed; :meth:`Staging.kept` says what is left.
    """
    shown = os.fspath(out)
    target = check_out(out, option)
    with _locked(target, shown):
        try:
            _tidy(target)
        except OSError as exc:
            raise OutputError(f"cannot tidy beside {shown}: {_reason(exc)} ({_hint(exc)})") from None
        if target.exists():
            record = _read_record(target)
            known = set().union(*record)
            foreign = sorted(e for e in _entries(target) if e not in known
                             and not (replaceable and replaceable(e)))
            if foreign:
                more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
                why = ("which channelgraph did not write there" if record else
                       f"and no record says channelgraph wrote them ({_record_path(target).name} beside it; "
                       "an older version kept none)")
                raise OutputError(f"{shown} holds {foreign[0]}{more}, {why}, and a run replaces {option} as a whole: "
                                  f"move them out or choose another {option}")
        try:
            path = Path(_make_staging(target))
        except OSError as exc:
            raise OutputError(f"cannot make a staging folder beside {shown}: {_reason(exc)} ({_hint(exc)})") from None
        st = Staging(path, target, shown, command, had_previous=target.exists() and any(target.iterdir()))
        try:
            yield st
            _commit(st)
        except OSError as exc:
            end_side_processes()  # none of them may go on writing into the staging folder
            shutil.rmtree(path, ignore_errors=True)
            where = st.name_in(os.fspath(exc.filename)) if exc.filename is not None else ""
            raise OutputError(f"could not write {where or 'into ' + shown}: {_reason(exc)} ({_hint(exc)}); "
                              f"{st.kept()}") from None
        except BaseException:
            end_side_processes()
            shutil.rmtree(path, ignore_errors=True)
            raise


def _umask() -> int:
    """This process's umask, read without changing it (``os.umask`` would, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _make_staging(target: Path, prefix: str | None = None) -> str:
    """A fresh folder beside *target* (or inside it, with *prefix*), with the permissions ``mkdir`` gives."""
    if prefix is None:
        path = tempfile.mkdtemp(prefix=f".{target.name}{STAGING_TAG}{os.getpid()}-", dir=target.parent)
    else:
        path = tempfile.mkdtemp(prefix=prefix, dir=target)
    os.chmod(path, 0o777 & ~_umask())  # mkdtemp makes it private (0700); outputs are as readable as before
    return path


# ----------------------------------------------------------------------------- one file


def temporary_name(path: Path) -> Path:
    """A name beside *path* that no other run or writer uses: ``.NAME.<pid>-<random>.partial``."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")


def write_one_file(path, data: bytes) -> Path:
    """Write *data* to *path* whole or not at all: a unique temporary name beside it, then a rename.

    Parameters
    ----------
    path : the file (its folder is created).
    data : its bytes.

    Returns
    -------
    pathlib.Path
        *path*. On an error the temporary file is removed and *path* is as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if exc.filename is None and exc.errno is not None:  # a failed write names no file: name it
            raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
        raise
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def staged_files(out, *, option: str = "--out") -> Iterator[Staging]:
    """Write files into a folder that collects them (``viz``): each appears whole, the others stay.

    The block writes into a private folder inside *out* (``.channelgraph-<pid>-<random>``, so
    on the same file system); at its end each file written there is renamed into *out*,
    replacing a file of that name in one step. Folders left by killed runs are removed.

    Raises
    ------
    OutputError
        *out* cannot be used (see :func:`check_out`), or writing or renaming failed (one line
        naming the file and the reason; the file of that name in *out* is as it was).
    """
    shown = os.fspath(out)
    target = check_out(out, option, replaced=False)
    try:
        target.mkdir(exist_ok=True)
        for p in target.glob(".channelgraph-*-*"):
            pid = p.name.split("-")[1]
            if p.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
        path = Path(_make_staging(target, prefix=f".channelgraph-{os.getpid()}-"))
    except OSError as exc:
        raise OutputError(f"cannot write into {shown}: {_reason(exc)} ({_hint(exc)})") from None
    st = Staging(path, target, shown, "", had_previous=True)
    try:
        try:
            yield st
        except BaseException:
            end_side_processes()
            raise
        for p in sorted(path.iterdir()):
            final = target / p.name
            if final.is_dir() and not final.is_symlink():
                raise OutputError(f"{st.final(p)} is a folder where the file goes: remove it or choose another "
                                  f"{option}")
            os.replace(p, final)
        st.committed = True
    except OSError as exc:
        where = st.name_in(os.fspath(exc.filename)) if exc.filename is not None else shown
        raise OutputError(f"could not write {where}: {_reason(exc)} ({_hint(exc)}); the files in {shown} "
                          "are as they were") from None
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def naming(path) -> Iterator[None]:
    """Give an ``OSError`` of the block that names no file (a failed ``write``) *path* as its file.

    For writers that do not say which file failed: *path* is the file or folder they write.
    """
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from exc
