"""The output folder of a run: written whole, by one run at a time, or not at all.

A command that writes several files into ``--out`` (``analyze``, ``demo``, ``risk``,
``hubs``, ``channels``, ``caps``, ``stress``, ``generate``, ``export-neo4j``) goes through
:func:`staged_output`:

* **Checked first**, creating nothing (:func:`check_out`). ``--out ''``, an existing file, the
  current folder (or one that holds it), a mount point and an ``--out`` that is, holds or lies
  inside an input of the run (the DATA folder, the ``--policy`` file) are the user's mistakes
  (:class:`OutputMisgiven`); a path under ``/proc``, ``/sys`` or ``/dev`` and a place where no
  folder can be made are refused too (:class:`OutputError`). One line naming the path and what
  to do.
* **Exclusive.** A lock file beside the folder, ``.OUT.channelgraph.lock``, is held with
  ``flock`` for the whole run; a second run on the same ``--out`` is refused at once
  (:class:`OutputBusy`). The kernel releases the lock when the process ends, however it ends.
* **Atomic.** The run writes into a fresh staging folder beside ``--out`` (same file system,
  ``.OUT.staging-<pid>-<random>``); at the end the staging folder and ``--out`` are exchanged
  in one ``renameat2(RENAME_EXCHANGE)`` (two renames where the file system cannot exchange)
  and the previous outputs are removed. Ctrl-C, SIGTERM and SIGHUP during the swap are noted
  and acted on once the swap and its record are complete (:func:`_signals_held`). A run that fails or is interrupted before the
  exchange removes its staging folder and leaves ``--out`` as it was; one killed outright
  leaves its staging folder, which the next run on that ``--out`` removes, as it removes the
  private folders (``.channelgraph-<pid>-*``, at any depth) of ``viz`` runs killed inside it;
  one of a live ``viz`` makes the run busy (:class:`OutputBusy`).
* **Nothing of yours deleted.** A run replaces ``--out`` as a whole, so it refuses an
  ``--out`` that holds anything channelgraph did not write there. What it wrote is listed in
  ``.OUT.channelgraph.json`` beside the folder (not inside it: the outputs stay the same bytes
  and the same files).

Single files (``viz`` adds one page to a folder that collects pages) go through
:func:`write_one_file`: written under a unique temporary name in the same folder and renamed
into place, no lock needed (two runs writing the same page both write whole pages; the last
one stays). :func:`staged_files` does that for the pages of a ``viz`` run, and lists them as
*kept* in the record of an output folder that holds them: a later run on that folder refuses
to replace it while they are there (they are the user's, asked for one by one), rather than
delete them with the old outputs.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from .._oserror import hint as _hint
from .._oserror import named
from .._oserror import reason as _reason

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


class OutputMisgiven(OutputError):
    """An ``--out`` the user gave wrongly (empty, a file, the current folder, the input): a usage error."""


# ----------------------------------------------------------------------------- checking the path

#: Test hook, not for users: ``DIR:point[,point…]`` makes the process pause at each named
#: point (``swap``: a run whose outputs are all
#: staged, before they are swapped in; ``swapping``: in the middle of the swap, the new outputs
#: exchanged in or the previous ones renamed aside) until the test removes ``DIR/<point>-<pid>``, at most
#: a minute. The tests use it to interrupt or kill a run at a known moment.
TEST_PAUSE_ENV = "CHANNELGRAPH_TEST_PAUSE"


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


def check_out(out, option: str = "--out", replaced: bool = True, inputs: tuple = ()) -> Path:
    """The absolute folder *out* names, or :class:`OutputError` saying why it cannot be an output folder.

    Nothing is created: a run refused later (bad data) leaves no folder behind.

    Parameters
    ----------
    out : the folder as the user gave it.
    option : how the user gave it, for the messages (``--out``, ``OUT_DIR``).
    replaced : whether a run replaces the folder as a whole (then a mount point, which cannot
        be renamed, is refused); not for a folder that collects files (``viz``).
    inputs : ``(how the user gave it, path)`` of every input of the run (``("DATA", "d1")``,
        ``("--policy", "p.toml")``; ``None`` skipped): *out* may not be one, hold one, or lie
        inside an input folder, so that no run replaces or writes into its own input.

    Returns
    -------
    pathlib.Path
        The folder with symbolic links resolved (the staging folder goes beside the real one).

    Raises
    ------
    OutputMisgiven
        *out* is empty, the root folder, a file, a mount point, the current folder or one
        holding it, or overlaps an input (a usage error).
    OutputError
        *out* is under ``/proc``, ``/sys`` or ``/dev``, or a file stands on the way to it.
    """
    text = os.fspath(out)
    if text.strip() == "":
        raise OutputMisgiven(
            f"{option} is empty: give an output folder (channelgraph does not write into the current folder unasked)"
        )
    target = Path(text).expanduser().resolve()
    for root in VIRTUAL_ROOTS:
        if target == Path(root) or Path(root) in target.parents:
            raise OutputError(
                f"{option} {text} is under {root}, which holds no files of anyone's: choose a folder on a disk"
            )
    if target.parent == target:
        raise OutputMisgiven(f"{option} {text} is the root folder: choose a folder of its own")
    if target.exists() and not target.is_dir():
        raise OutputMisgiven(f"{option} {text} is a file, not a folder: choose another {option} or remove the file")
    if replaced and os.path.ismount(target):  # a mounted volume cannot be renamed, so it cannot be swapped
        raise OutputMisgiven(
            f"{option} {text} is a mount point, which a run cannot replace as a whole: give a "
            f"folder inside it, e.g. {os.path.join(text, 'run')}"
        )
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise OutputMisgiven(
            f"{option} {text} is the current folder or holds it, and a run replaces its output "
            f"folder as a whole: choose a folder of its own"
        )
    for how, given in inputs:
        if given is None or os.fspath(given).strip() == "":
            continue
        source = Path(os.fspath(given)).expanduser().resolve()
        if target == source or target in source.parents:
            raise OutputMisgiven(
                f"{option} {text} {'is' if target == source else 'holds'} the input {how} "
                f"{os.fspath(given)}, which a run would replace: choose another {option}"
            )
        if source in target.parents and source.is_dir():
            raise OutputMisgiven(
                f"{option} {text} lies inside the input {how} {os.fspath(given)}: outputs do "
                f"not go into a dataset folder; choose an {option} outside it"
            )
    on_the_way = target.parent
    while not on_the_way.exists() and on_the_way.parent != on_the_way:
        on_the_way = on_the_way.parent
    if not on_the_way.is_dir():
        raise OutputError(
            f"{option} {text}: a file stands where a folder should be on the way to it "
            f"({on_the_way}): remove it or choose another {option}"
        )
    return target


def _make_folders(folder: Path, shown: str, option: str) -> list[Path]:
    """Create *folder* and its missing parents; the folders created, outermost first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()][::-1]
    try:
        for p in missing:
            p.mkdir(exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"{option} {shown}: a file stands where a folder should be on the way to it: remove it "
            f"or choose another {option}"
        ) from None
    except OSError as exc:
        where = exc.filename or folder
        raise OutputError(
            f"{option} {shown}: cannot make the folder {where}: {_reason(exc)} ({_hint(exc, option)})"
        ) from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the *folders* a failed run created (innermost first), as long as they are empty."""
    for p in reversed(folders):
        try:
            p.rmdir()
        except OSError:
            return


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
            raise OutputBusy(
                f"{shown} is being written by another channelgraph run"
                + (f" (process {holder})" if holder.isdigit() else "")
                + ": wait for it to end, or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _record_path(target: Path) -> Path:
    return target.parent / f".{target.name}{RECORD_SUFFIX}"


def _read_record(target: Path) -> list[set[str]]:
    """The lists of what channelgraph wrote into *target* (more than one only around a swap)."""
    try:
        data = json.loads(_record_path(target).read_text(encoding="utf-8"))
        return [set(entries) for entries in data["written"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _read_kept(target: Path) -> set[str]:
    """The pages ``viz`` wrote into *target* (kept: a run on *target* refuses them rather than delete them)."""
    try:
        return set(json.loads(_record_path(target).read_text(encoding="utf-8")).get("kept", []))
    except (OSError, ValueError, AttributeError, TypeError):
        return set()


def _write_record(target: Path, command: str, written: list[set[str]], kept: set[str] | None = None) -> None:
    data: dict = {"command": command, "written": [sorted(entries) for entries in written]}
    if kept:
        data["kept"] = sorted(kept)
    write_one_file(_record_path(target), (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8"))


def _entries(folder: Path) -> set[str]:
    """Every file and folder under *folder*, as paths relative to it."""
    found = set()
    for top, dirs, files in os.walk(folder):
        rel = os.path.relpath(top, folder)
        for name in dirs + files:
            found.add(name if rel == "." else f"{rel}/{name}")
    return found


def _folders_above(entry: str) -> list[str]:
    """The folders an entry (``views/a/b.html``) lies in, relative: ``views``, ``views/a``."""
    parts = entry.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _leftovers(target: Path) -> list[Path]:
    prefix = f".{target.name}"
    return sorted(
        p
        for p in target.parent.iterdir()
        if p.name.startswith(prefix + STAGING_TAG) or p.name.startswith(prefix + OLD_TAG)
    )


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


_PRIVATE = re.compile(r"\.channelgraph-(\d+)-")


def _tidy_private(target: Path, shown: str, option: str) -> None:
    """Remove the private folders (``.channelgraph-<pid>-*``) killed ``viz`` runs left at any depth in *target*.

    One of a live process is a ``viz`` writing its pages there: :class:`OutputBusy`.
    """
    for top, dirs, _files in os.walk(target):
        for name in list(dirs):
            m = _PRIVATE.match(name)
            if m is None:
                continue
            dirs.remove(name)
            pid = int(m.group(1))
            if _pid_alive(pid):
                raise OutputBusy(
                    f"{shown} is being written by another channelgraph run (process {pid}): wait "
                    f"for it to end, or choose another {option}"
                )
            shutil.rmtree(os.path.join(top, name), ignore_errors=True)


# ----------------------------------------------------------------------------- the swap

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _libc_renameat2():
    """The C library's ``renameat2``, looked up once at import (not in a forked child), or None."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2


_RENAMEAT2 = _libc_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Exchange the folders *a* and *b* in one step (Linux ``renameat2``); False where that is not possible."""
    renameat2 = _RENAMEAT2
    if renameat2 is None:
        return False
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


#: The signals that end a run; during the swap they wait until the record says what is there.
ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block ends, then act on the first one that came.

    Python runs signal handlers in the main thread whichever thread the kernel picked, so a
    handler that only notes the signal keeps the block whole (blocking the signal with
    ``pthread_sigmask`` would not: it blocks it in the calling thread only). Outside the main
    thread handlers cannot be set: the block runs as it is.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    before = {}
    for sig in ENDING_SIGNALS:
        # an ignored one (nohup's SIGHUP) stays ignored; one set outside Python (None) is left alone
        if signal.getsignal(sig) not in (signal.SIG_IGN, None):
            before[sig] = signal.signal(sig, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        if came:
            signal.raise_signal(came[0])  # now handled as it would have been


def _commit(st: Staging) -> None:
    """Swap the staging folder in; a signal that ends the run waits until the record says what is there."""
    pause_for_tests("swap")
    new = _entries(st.path)
    aside = None
    try:
        with _signals_held():
            _write_record(st.target, st.command, [*_read_record(st.target), new], _read_kept(st.target))
            if st.target.exists():
                if _exchange(st.path, st.target):
                    st.committed = True
                    aside = st.path
                    pause_for_tests("swapping")
                else:  # two renames, the previous outputs put back if the second fails
                    aside = st.target.parent / f".{st.target.name}{OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}"
                    os.rename(st.target, aside)
                    pause_for_tests("swapping")
                    try:
                        os.rename(st.path, st.target)
                    except OSError:
                        os.rename(aside, st.target)
                        raise
                    st.committed = True
            else:
                os.rename(st.path, st.target)
                st.committed = True
            _write_record(st.target, st.command, [new])
    finally:
        if aside is not None and st.committed:
            shutil.rmtree(aside, ignore_errors=True)


@contextmanager
def staged_output(
    out, *, command: str, option: str = "--out", replaceable: Callable[[str], bool] | None = None
) -> Iterator[Staging]:
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
    made = _make_folders(target.parent, shown, option)
    lock = target.parent / f".{target.name}{LOCK_SUFFIX}"
    fresh = not lock.exists()
    try:
        with _locked(target, shown):
            try:
                yield from _staged_in(target, shown, command, option, replaceable)
            except BaseException:
                if fresh and not target.exists():  # a refused or failed first run leaves no lock behind
                    try:
                        lock.unlink()
                    except OSError:
                        pass
                raise
    except BaseException:
        if not target.exists():
            _remove_empty(made)  # and no folder it made on the way
        raise


def _staged_in(
    target: Path, shown: str, command: str, option: str, replaceable: Callable[[str], bool] | None
) -> Iterator[Staging]:
    """The body of :func:`staged_output`, its lock held."""
    try:
        _tidy(target)
        if target.exists():
            _tidy_private(target, shown, option)
    except OSError as exc:
        raise OutputError(f"cannot tidy beside {shown}: {_reason(exc)} ({_hint(exc, option)})") from None
    if target.exists():
        record = _read_record(target)
        pages = sorted(e for e in _read_kept(target) if (target / e).is_file())
        if pages:
            more = " …" if len(pages) > 1 else ""
            raise OutputError(
                f"{shown} holds pages written by `viz` ({pages[0]}{more}), and a run replaces "
                f"{option} as a whole: move them out or choose another {option}"
            )
        known = set().union(*record)
        foreign = {e for e in _entries(target) if e not in known and not (replaceable and replaceable(e))}
        # a folder nobody recorded stands for everything in it: count what is not inside another
        foreign = sorted(e for e in foreign if not any(up in foreign for up in _folders_above(e)))
        if foreign:
            more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
            why = (
                f"which the record of what channelgraph wrote there ({_record_path(target).name} beside "
                "it) does not list"
                if record
                else f"and no record says channelgraph wrote them ({_record_path(target).name} beside it; "
                "an older version kept none)"
            )
            raise OutputError(
                f"{shown} holds {foreign[0]}{more}, {why}, and a run replaces {option} as a whole: "
                f"move them out or choose another {option}"
            )
    try:
        path = Path(_make_staging(target))
    except OSError as exc:
        raise OutputError(
            f"cannot make a staging folder beside {shown}: {_reason(exc)} ({_hint(exc, option)})"
        ) from None
    st = Staging(path, target, shown, command, had_previous=target.exists() and any(target.iterdir()))
    try:
        yield st
        _commit(st)
    except OSError as exc:
        shutil.rmtree(path, ignore_errors=True)
        where = st.name_in(os.fspath(exc.filename)) if exc.filename is not None else ""
        raise OutputError(
            f"could not write {where or 'into ' + shown}: {_reason(exc)} ({_hint(exc, option)}); {st.kept()}"
        ) from None
    except BaseException:
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
        renamed = named(exc, path)  # a failed write names no file: name it
        if renamed is exc:
            raise
        raise renamed from exc
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
    replacing a file of that name in one step. Folders left by killed runs are removed. When
    *out* lies inside the output folder of another run (``viz --out OUT/views``), the files
    are listed as kept in that folder's record, so that the next run on it refuses them by
    name rather than delete them. A failed block leaves no folder it created.

    Raises
    ------
    OutputError
        *out* cannot be used (see :func:`check_out`), or writing or renaming failed (one line
        naming the file and the reason; the file of that name in *out* is as it was).
    """
    shown = os.fspath(out)
    target = check_out(out, option, replaced=False)
    made = _make_folders(target, shown, option)
    path = None
    try:
        try:
            for p in target.glob(".channelgraph-*-*"):
                pid = p.name.split("-")[1]
                if p.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
                    shutil.rmtree(p, ignore_errors=True)
            path = Path(_make_staging(target, prefix=f".channelgraph-{os.getpid()}-"))
        except OSError as exc:
            raise OutputError(f"cannot write into {shown}: {_reason(exc)} ({_hint(exc, option)})") from None
        st = Staging(path, target, shown, "", had_previous=True)
        yield st
        names = sorted(p.name for p in path.iterdir())
        above = _enclosing_output(target)
        # inside another run's --out: not while a run replaces it (the pages would go with the old outputs)
        with _locked(above, os.fspath(above)) if above is not None else nullcontext():
            for name in names:
                final = target / name
                if final.is_dir() and not final.is_symlink():
                    raise OutputError(
                        f"{st.final(path / name)} is a folder where the file goes: remove it or choose another {option}"
                    )
                os.replace(path / name, final)
            st.committed = True
            if above is not None:
                _record_pages(above, target, names)
    except OSError as exc:
        where = st.name_in(os.fspath(exc.filename)) if exc.filename is not None else shown
        raise OutputError(
            f"could not write {where}: {_reason(exc)} ({_hint(exc, option)}); the files in {shown} are as they were"
        ) from None
    finally:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)
        if made and not (path is not None and st.committed):
            _remove_empty(made)


def _enclosing_output(folder: Path) -> Path | None:
    """The output folder of a run that is or holds *folder* (the nearest with a record beside it), or None."""
    return next((above for above in (folder, *folder.parents) if _record_path(above).exists()), None)


def _record_pages(above: Path, folder: Path, names: list[str]) -> None:
    """Add the files *names* of *folder* to the record of the output folder *above* (its lock held).

    The pages go to the record's *kept* list (a run replacing *above* refuses them by name), the
    folders on the way to them to its written list. Best effort: a record that cannot be read or
    written leaves the pages unrecorded, and a run replacing *above* later refuses them as files
    its record does not list (never deletes them).
    """
    parts = folder.relative_to(above).parts
    pages = {"/".join((*parts, n)) for n in names}
    folders = {"/".join(parts[: i + 1]) for i in range(len(parts))}
    try:
        record = _read_record(above)
        kept = _read_kept(above)
        if record and not (pages <= kept and folders <= set().union(*record)):
            command = json.loads(_record_path(above).read_text(encoding="utf-8")).get("command", "")
            _write_record(above, command, [set().union(*record) | folders], kept | pages)
    except (OSError, ValueError, AttributeError):
        pass
