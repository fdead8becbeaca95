"""A first load of a big book into Neo4j through Neo4j's offline bulk importer.

The Cypher loader (:func:`~channelgraph.store.neo4j.load_dataset_to_neo4j`) writes every
row through a transaction, which is slow for a whole book whatever the batch size. For a
first load of a whole book, Neo4j's own importer (``neo4j-admin database import full``)
writes the store files directly, many times faster, into a stopped database. This module
writes the importer's input: the same nodes, labels, relationships and properties (same
names, same types, ``_row`` included) as the Cypher loader creates, so that read-back and
every analysis give the same answers. The workflow is::

    channelgraph export-neo4j DATA OUT              # writes OUT/*.csv and OUT/import.args
    neo4j stop
    neo4j-admin database import full neo4j --overwrite-destination @OUT/import.args
    neo4j start
    channelgraph load DATA --neo4j URI              # constraints, indexes, the dataset record

The last step recognises the imported dataset by its fingerprint (stored on the
``Dataset`` node by the import) and only creates the schema and the dataset record;
it writes no row again. With the local server, ``scripts/neo4j-local import
@OUT/import.args`` runs the importer on its (stopped) database.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import re
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .._oserror import naming
from ..io.validate import Dataset
from ..model import Kind, RelationType
from ._schema import DATASET_ID, ENTITY_RENAME, FACILITY_RENAME, RELATION_RENAME, SCHEME_RENAME, dataset_fingerprint

#: The importer's argument file, read by ``neo4j-admin … @OUT/import.args``.
ARGS_FILE = "import.args"
#: Below this many cells the files are written in this process (forking costs more).
PARALLEL_MIN_CELLS = 2_000_000
#: Rows per part file: big tables are split so that the worker processes share them evenly.
PART_ROWS = 250_000
_HEADER_NAME = re.compile(r"^[^\s:,\"';`]+$")


@dataclass
class ImportFiles:
    """What :func:`write_import_files` wrote."""

    folder: Path
    args_file: Path
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""

    @property
    def node_count(self) -> int:
        """Nodes written (``nodes`` counts per label, as Neo4j does: an entity under ``Entity``
        and under its kind)."""
        return sum(n for label, n in self.nodes.items() if label != "Entity")

    @property
    def relationship_count(self) -> int:
        return sum(self.relationships.values())


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
        _PRCTL(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended between the fork and prctl
        os._exit(1)


def _start_worker(parent: int) -> None:  # pragma: no cover - runs in the child
    """What a forked worker of the pool does first.

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


def _texts(values: pd.Series) -> tuple[list[str], np.ndarray | None]:
    """The cells of a column as Python strings ('' where missing) and the missing mask (or None)."""
    missing = values.isna().to_numpy()
    if missing.any():
        return values.astype(object).where(~missing, "").astype(str).tolist(), missing
    return values.astype(str).tolist(), None


def _quoted(values: pd.Series) -> tuple[list[str], bool]:
    """Text cells for the importer, and whether one holds a line break (the importer must
    then read multi-line fields). Cells are quoted (so an empty text stays an empty text),
    quotes doubled; a missing cell is an unquoted empty field, which the importer stores as
    no property."""
    texts, missing = _texts(values)
    if not texts:
        return [], False
    joined = "\x00".join(texts)
    line_break = "\n" in joined or "\r" in joined
    if joined.count("\x00") == len(texts) - 1:  # no NUL inside a value: quote in one pass
        out = ('"' + joined.replace('"', '""').replace("\x00", '"\x00"') + '"').split("\x00")
    else:
        out = ['"' + t.replace('"', '""') + '"' for t in texts]
    if missing is not None:
        for i in np.flatnonzero(missing).tolist():
            out[i] = ""
    return out, line_break


def _typed(values: pd.Series) -> tuple[str, list[str], bool]:
    """(header type suffix, cells, holds a line break) of one column, with the types the
    Cypher loader stores."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        flags = values.fillna(False).to_numpy(dtype=bool).tolist()
        suffix, cells = ":boolean", ["true" if f else "false" for f in flags]
    elif pd.api.types.is_integer_dtype(dtype):
        suffix, cells = ":long", list(map(str, values.fillna(0).to_numpy(dtype=np.int64).tolist()))
    elif pd.api.types.is_float_dtype(dtype):
        # repr: the shortest text that reads back as the same double.
        suffix, cells = ":double", list(map(repr, values.fillna(0.0).to_numpy(dtype=float).tolist()))
    else:
        return ("", *_quoted(values))
    missing = values.isna().to_numpy()
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            cells[i] = ""
    return suffix, cells, False


def _write_text(path: Path, text: str) -> None:
    """Write a small file; an error names it (a failed ``write`` names no file)."""
    with naming(path):
        path.write_text(text, encoding="utf-8")


def _write_header(path: Path, header: list[str]) -> None:
    _write_text(path, ",".join(header) + "\n")


def _write_rows(path: Path, cells: list[list[str]]) -> None:
    with naming(path), open(path, "w", encoding="utf-8", newline="") as fh:
        n = len(cells[0]) if cells else 0
        step = 200_000
        for i in range(0, n, step):
            rows = zip(*(c[i : i + step] for c in cells))
            fh.write("\n".join(map(",".join, rows)))
            fh.write("\n")


def _properties(
    df: pd.DataFrame, rename: dict[str, str], skip: tuple[str, ...], id_column: str | None, id_space: str | None
) -> tuple[list[str], list[list[str]], bool]:
    """Header and cells of a node or relationship file: every column as the Cypher loader's
    property (renamed, typed), the id column as the importer's ``:ID``, plus ``_row``."""
    header, cells, multiline = [], [], False
    for column in df.columns:
        if column in skip:
            continue
        name = rename.get(column, column)
        if not _HEADER_NAME.match(name):
            raise ValueError(
                f"column {column!r} cannot be a property name in neo4j-admin's header; "
                "load this dataset with `channelgraph load` instead"
            )
        values = df[column]
        if column == id_column:
            suffix, typed, line_break = f":ID({id_space})", *_quoted(values)
        else:
            suffix, typed, line_break = _typed(values)
        header.append(name + suffix)
        cells.append(typed)
        multiline = multiline or line_break
    header.append("_row:long")
    cells.append(list(map(str, df.index.to_numpy().astype(np.int64).tolist())))
    return header, cells, multiline


_JOBS: list[Callable[[], bool]] = []


def _run_job(i: int) -> bool:
    return _JOBS[i]()


def _run_jobs(
    jobs: list[Callable[[], bool]], sizes: list[int], meanwhile: Callable[[], None], parallel_min_cells: int
) -> list[bool]:
    """Run the file-writing jobs, on forked worker processes where the platform forks
    (they share the dataset's memory, copy-on-write) and the export is big enough to
    repay the start-up; *meanwhile* runs in this process."""
    workers = min(os.cpu_count() or 1, 4)
    if sum(sizes) < parallel_min_cells or workers < 2 or "fork" not in mp.get_all_start_methods():
        meanwhile()
        return [job() for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -sizes[i])  # largest first: the workers end together
    _JOBS[:] = jobs
    # The workers ignore Ctrl-C and die with this process (:func:`_start_worker`): a
    # failed or interrupted export ends them at once rather than wait for every queued file.
    pool = ProcessPoolExecutor(
        workers, mp_context=mp.get_context("fork"), initializer=_start_worker, initargs=(os.getpid(),)
    )
    try:
        futures = {i: pool.submit(_run_job, i) for i in order}
        meanwhile()
        return [futures[i].result() for i in range(len(jobs))]
    except BaseException:
        # Take the workers before shutdown: it drops the pool's table of them (CPython 3.11),
        # and the workers must not go on writing into a staging folder being removed.
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for worker in procs:
            worker.kill()
        for worker in procs:
            worker.join()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        _JOBS.clear()


def write_import_files(
    dataset: Dataset,
    folder: str | Path,
    *,
    named_as: str | Path | None = None,
    part_rows: int | None = None,
    parallel_min_cells: int | None = None,
) -> ImportFiles:
    """Write *dataset* as input files for ``neo4j-admin database import full``.

    Parameters
    ----------
    dataset : a validated :class:`~channelgraph.io.Dataset`.
    folder : where to write (created); best a new or empty folder (``export-neo4j`` writes
        into a fresh staging folder and swaps it in). Files of the same names are replaced;
        no other file is touched.
    named_as : where the files will be read from, when that is not *folder*: ``import.args``
        and the result name the files there (``export-neo4j``: the final folder, not the
        staging folder the files are written into). Default *folder*.
    part_rows : rows per part file (default :data:`PART_ROWS`): big tables are split so
        that the worker processes share them evenly.
    parallel_min_cells : from this many cells on (default :data:`PARALLEL_MIN_CELLS`) the
        parts are written by forked worker processes where the platform forks.

    Returns
    -------
    ImportFiles : the folder, the argument file (``import.args``: one ``--nodes`` or
        ``--relationships`` option per file, absolute paths) and the node and
        relationship counts per label and type, as the database will count them.

    Examples
    --------
    >>> from channelgraph.io import load_dataset
    >>> files = write_import_files(load_dataset("data/sample"), "/tmp/cg-import")  # doctest: +SKIP
    >>> files.args_file.name  # doctest: +SKIP
    'import.args'
    """
    written = Path(folder).resolve()
    written.mkdir(parents=True, exist_ok=True)
    out = Path(named_as).resolve() if named_as is not None else written
    files = ImportFiles(out, out / ARGS_FILE)
    # Jobs write one file each (a header, or a part of a table's rows) and say whether it
    # holds a line break; they run in parallel below. args: the importer's options.
    jobs: list[tuple[Callable[[], bool], int]] = []
    args: list[str] = []

    def add(
        stem: str,
        option: str,
        n_rows: int,
        n_columns: int,
        header_of: Callable[[], list[str]],
        write_rows: Callable[[Path, int, int], bool],
    ) -> None:
        """Queue one file group: a header file, then the rows in parts that the workers share."""
        parts = max(1, min(n_rows // (part_rows or PART_ROWS), 64)) if "," not in str(out) else 1
        bounds = np.linspace(0, n_rows, parts + 1).astype(int).tolist()
        names = [f"{stem}.header.csv"] + [f"{stem}.part{k}.csv" for k in range(parts)]

        def write_header() -> bool:
            _write_header(written / names[0], header_of())
            return False

        jobs.append((write_header, 1))
        for k in range(parts):
            lo, hi = bounds[k], bounds[k + 1]
            jobs.append((partial(write_rows, written / names[k + 1], lo, hi), (hi - lo) * n_columns))
        args.append(f"{option}=" + ",".join(str(out / n) for n in names))

    def node_file(label: str, labels: str, part: pd.DataFrame, rename: dict, id_column: str, space: str) -> None:
        def header() -> list[str]:
            return _properties(part.iloc[:0], rename, (), id_column, space)[0]

        def rows(path: Path, lo: int, hi: int) -> bool:
            _, cells, multiline = _properties(part.iloc[lo:hi], rename, (), id_column, space)
            _write_rows(path, cells)
            return multiline

        add(f"nodes_{label}", f"--nodes={labels}", len(part), part.shape[1] + 1, header, rows)

    def relationship_file(
        rtype: str, start: str, end: str, src: pd.Series, dst: pd.Series, props: pd.DataFrame | None = None
    ) -> None:
        skip = ("src", "dst", "type")

        def header() -> list[str]:
            extra = _properties(props.iloc[:0], RELATION_RENAME, skip, None, None)[0] if props is not None else []
            return [f":START_ID({start})", f":END_ID({end})"] + extra

        def rows(path: Path, lo: int, hi: int) -> bool:
            (a, a_break), (b, b_break) = _quoted(src.iloc[lo:hi]), _quoted(dst.iloc[lo:hi])
            cells, multiline = [a, b], a_break or b_break
            if props is not None:
                _, extra, ml = _properties(props.iloc[lo:hi], RELATION_RENAME, skip, None, None)
                cells, multiline = cells + extra, multiline or ml
            _write_rows(path, cells)
            return multiline

        add(
            f"rel_{rtype}",
            f"--relationships={rtype}",
            len(src),
            3 + (props.shape[1] if props is not None else 0),
            header,
            rows,
        )
        files.relationships[rtype] = files.relationships.get(rtype, 0) + len(src)

    ent = dataset.entities
    kinds = ent["kind"]
    for kind in Kind:
        part = ent[kinds == kind.value]
        if len(part):
            node_file(kind.label, f"Entity:{kind.label}", part, ENTITY_RENAME, "id", "Entity")
            files.nodes["Entity"] = files.nodes.get("Entity", 0) + len(part)
            files.nodes[kind.label] = len(part)

    rel = dataset.relations
    types = rel["type"]
    for rtype in RelationType:
        part = rel[types == rtype.value]
        if len(part):
            relationship_file(rtype.value, "Entity", "Entity", part["src"], part["dst"], part)

    sch = dataset.schemes
    if len(sch):
        node_file("Scheme", "Scheme", sch, SCHEME_RENAME, "scheme_id", "Scheme")
        files.nodes["Scheme"] = len(sch)
        relationship_file("FOR_CHANNEL", "Scheme", "Entity", sch["scheme_id"], sch["channel_id"])

    exp = dataset.exposures
    if len(exp):
        node_file("Facility", "Facility", exp, FACILITY_RENAME, "facility_id", "Facility")
        files.nodes["Facility"] = len(exp)
        relationship_file("HAS_FACILITY", "Entity", "Facility", exp["customer_id"], exp["facility_id"])
        # As the Cypher loader: a facility is under a scheme only if that scheme exists.
        under = exp[exp["scheme_id"].isin(set(sch["scheme_id"]))] if len(sch) else exp.iloc[:0]
        if len(under):
            relationship_file("UNDER_SCHEME", "Facility", "Scheme", under["facility_id"], under["scheme_id"])

    multiline = _run_jobs(
        [write for write, _ in jobs],
        [size for _, size in jobs],
        lambda: setattr(files, "fingerprint", dataset_fingerprint(dataset)),
        PARALLEL_MIN_CELLS if parallel_min_cells is None else parallel_min_cells,
    )
    _write_text(
        written / "nodes_Dataset.csv", f'id:ID(Dataset),import_fingerprint\n"{DATASET_ID}","{files.fingerprint}"\n'
    )
    args.append(f"--nodes=Dataset={out / 'nodes_Dataset.csv'}")
    files.nodes["Dataset"] = 1

    if any(multiline):
        args.append("--multiline-fields=true")
    # picocli's argument file: one argument a line, quoted so that paths may hold spaces.
    _write_text(written / ARGS_FILE, "".join('"' + a.replace("\\", "\\\\").replace('"', '\\"') + '"\n' for a in args))
    return files
