"""The ``channelgraph`` command line: a thin click layer over the library.

Commands parse their options and call the library (``analyze`` calls
:func:`channelgraph.pipeline.run_everything`). Every command that reads a dataset validates
it first and refuses bad data with the same report as ``channelgraph validate`` (exit code
1), never a traceback.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape as _escape
from rich.table import Table

from . import __version__
from ._exit import EXIT_INTERRUPTED, interrupted, tell
from .io import DatasetError, load_dataset
from .model import format_yuan_human, parse_yuan
from .policy import Policy, PolicyError

#: Every message is one line however narrow the terminal (the terminal folds it, nothing is cut).
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

#: Exit codes: 0 fine, 1 the data (or policy) was refused, 2 usage, 3 a server or environment
#: failure (a file that cannot be read or written, a full disk, an unreachable server),
#: 4 an internal error (a bug), 130 interrupted (Ctrl-C).
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_SERVER = 3
EXIT_INTERNAL = 4
#: Set to 1 to see the Python traceback of an internal error (for a bug report).
DEBUG_ENV = "CHANNELGRAPH_DEBUG"


def _one_line(value) -> str:
    """*value* as one line of visible text: control characters and line breaks are shown as
    symbols and spaces (:func:`~.viz.mask.visible`)."""
    text = str(value)
    if text.isprintable():
        return text
    # only for the rare odd name: the viz package is slow to import
    from .viz.mask import visible

    return visible(text)


def _shown(value) -> str:
    """*value* (a path, an id the user gave) as literal text in a rich message, on one line.

    Square brackets are escaped (``x[/y]`` is a folder, not markup); see :func:`_one_line`.
    """
    return _escape(_one_line(value))


def _print_table(console: Console, table: Table) -> None:
    """Print *table* with every cell on one line: amounts are never wrapped or cut; a table wider
    than the terminal runs past its edge (the terminal folds the rows) instead."""
    from rich.measure import Measurement

    for column in table.columns:
        column.no_wrap, column.overflow = True, "ignore"
    natural = Measurement.get(console, console.options.update_width(1_000_000), table).maximum
    if natural > console.width:
        table.width = natural
    console.print(table, soft_wrap=True)


def _problems_report(exc: DatasetError, max_errors: int) -> None:
    n = len(exc.problems)
    err.print(
        f"[bold red]✗ {n} problem{'s' if n != 1 else ''} in the dataset[/] "
        "(file:line, column, value: reason — header is line 1)"
    )
    shown = exc.problems if max_errors <= 0 else exc.problems[:max_errors]
    for p in shown:
        err.print(f"  {_one_line(p)}", markup=False, emoji=False, highlight=False, soft_wrap=True)
    if len(shown) < n:
        err.print(f"  … and {n - len(shown)} more (use --max-errors 0 to show all)")


def _load(data: str, encoding: str | None, policy: str | Policy | None, max_errors: int = 50):
    try:
        return load_dataset(data, encoding=encoding, policy=policy)
    except DatasetError as exc:
        _problems_report(exc, max_errors)
        sys.exit(EXIT_DATA)


def _given_policy(ctx, param, value):
    """``--policy ''`` would silently mean the defaults: refused as a usage error."""
    if value is not None and not str(value).strip():
        raise click.BadParameter("is empty: give a policy.toml file, or leave --policy out", ctx, param)
    return value


def _check_encoding(ctx, param, value):
    """``--encoding`` must be one the exports come in: anything else is a usage error (exit 2)."""
    from .io.read import normalise_encoding

    if value is not None:
        try:
            normalise_encoding(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def dataset_options(f):
    """Options every dataset-reading command shares."""
    f = click.option(
        "--max-errors",
        default=50,
        show_default=True,
        help="How many problems to print when the data is refused (0 = all).",
    )(f)
    f = click.option(
        "--policy",
        "policy",
        type=click.Path(dir_okay=False),
        callback=_given_policy,
        help="policy.toml to use (default: DATA/policy.toml, else built-in defaults).",
    )(f)
    f = click.option(
        "--encoding",
        callback=_check_encoding,
        help="Force the files' encoding (utf-8, utf-8-sig, gb18030, gbk, gb2312); default: detected per file.",
    )(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="channelgraph")
def main():
    """channelgraph — bank customers, channels and guarantees as a graph.

    Risk officers: connected-client groups, guarantee circles, single risk sources,
    limit breaches. Account managers: key persons, channels for batch marketing,
    prospects. Drafts exposure caps for channel schemes.

    \b
    Start here:
      channelgraph demo                      # generate the sample, analyse it, list the outputs
      channelgraph validate data/sample      # check a dataset folder
      channelgraph analyze data/sample --out out/
    """


# ----------------------------------------------------------------------------- validate


@main.command()
@click.argument("data", type=click.Path(exists=False))
@dataset_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary (or the problems) as JSON.")
def validate(data, encoding, policy, max_errors, as_json):
    """Check a dataset folder against the input contract.

    Reports every problem (file, line, column, value, reason) and exits 1, or prints
    a one-screen summary of a valid dataset.

    \b
    Example:
      channelgraph validate data/sample
      channelgraph validate exports/2026-11 --encoding gb18030
    """
    import json

    try:
        ds = load_dataset(data, encoding=encoding, policy=policy)
    except DatasetError as exc:
        if as_json:
            click.echo(
                json.dumps(
                    {"valid": False, "problems": [p.to_dict() for p in exc.problems]}, ensure_ascii=False, indent=2
                )
            )
        else:
            _problems_report(exc, max_errors)
        sys.exit(EXIT_DATA)
    s = ds.summary()
    if as_json:
        from .analyses import dataset_summary

        click.echo(json.dumps({"valid": True, **dataset_summary(ds)}, ensure_ascii=False, indent=2))
        return
    _print_summary(data, s, ds)


def _print_summary(data, s: dict, ds) -> None:
    out.print(f"[bold green]✓ {_shown(data)} is valid[/]  ({', '.join(f'{k}: {v}' for k, v in ds.encodings.items())})")
    t = Table(show_header=True, header_style="bold", box=None)
    t.add_column("entities by kind")
    t.add_column("n", justify="right")
    t.add_column("relations by type")
    t.add_column("n", justify="right")
    kinds = [(k, v) for k, v in s["kinds"].items()]
    types = [(k, v) for k, v in s["types"].items()]
    for i in range(max(len(kinds), len(types))):
        a = kinds[i] if i < len(kinds) else ("", "")
        b = types[i] if i < len(types) else ("", "")
        t.add_row(str(a[0]), str(a[1]), str(b[0]), str(b[1]))
    _print_table(out, t)
    out.print(
        f"customers {s['customers']:,} · prospects {s['prospects']:,} · facilities {s['facilities']:,} "
        f"· schemes {s['schemes']:,}"
    )
    out.print(
        f"total outstanding [bold]{format_yuan_human(s['total_outstanding_fen'])}[/] yuan · "
        + " · ".join(f"{k} {v:,}" for k, v in s["status"].items() if v)
    )
    out.print(
        f"policy: {_shown(ds.policy.source)}; tier-1 capital {format_yuan_human(ds.policy.tier1_capital_fen)} yuan"
    )


def _check_out(
    out_dir, option: str = "--out", replaced: bool = True, data=None, policy=None, data_option: str = "DATA"
) -> None:
    """Refuse at once, before the data is read, an *out_dir* that cannot be an output folder.

    One line naming the path and what to do; exit 2 when the user gave it wrongly (empty, a
    file, the current folder, or the input: the DATA folder or the --policy file, which a run
    must neither replace nor write into), exit 3 when the place cannot be written.
    """
    from .io.outdir import OutputError, check_out

    try:
        check_out(out_dir, option, replaced=replaced, inputs=((data_option, data), ("--policy", policy)))
    except OutputError as exc:
        _output_refused(exc)


def _output_refused(exc) -> None:
    """Print an :class:`~.io.outdir.OutputError` in one line and exit (2 a usage error, else 3)."""
    from .io.outdir import OutputMisgiven

    err.print(f"[bold red]✗[/] {_shown(exc)}", soft_wrap=True, highlight=False)
    sys.exit(EXIT_USAGE if isinstance(exc, OutputMisgiven) else EXIT_SERVER)


# ----------------------------------------------------------------------------- generate


class _Progress:
    """Adapter from the generator's ``progress(stage, done, total)`` to a rich bar."""

    def __init__(self, progress):
        self.p = progress
        self.tasks = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.p.add_task(stage, total=total)
        self.p.update(self.tasks[stage], completed=done, total=total)


def _progress_bar(disable: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    # its own console: the bar is redrawn in place, so it is cut to the terminal's width
    return Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, highlight=False),
        disable=disable,
        transient=False,
    )


# ----------------------------------------------------------------------------- output folders


@contextmanager
def _writing(out_dir, command: str, option: str = "--out", replaceable=None, collects: bool = False):
    """Stage a command's outputs and swap them in as *out_dir* at the end (see :mod:`.io.outdir`).

    With *collects*, *out_dir* is a folder that collects files (``viz``): each file written
    replaces only the file of its name (:func:`~.io.outdir.staged_files`).

    An output folder that cannot be used or written ends the command with one line naming the
    path, the reason and what to do (exit 3, or 2 for a usage error); Ctrl-C, SIGTERM or SIGHUP
    (the terminal closed) with one line saying what is left (exit 130). Either way the previous
    outputs are whole.
    """
    import signal
    import threading

    from .io.outdir import OutputError, staged_files, staged_output

    stage = None
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _TERMINATING:
            if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup: a closed terminal does not end the run
                previous[sig] = signal.signal(sig, _on_terminate)
    try:
        staging = (
            staged_files(out_dir, option=option)
            if collects
            else staged_output(out_dir, command=command, option=option, replaceable=replaceable)
        )
        with staging as stage:
            yield stage
    except OutputError as exc:
        _output_refused(exc)
    except KeyboardInterrupt as exc:
        left = stage.kept() if stage is not None else f"{out_dir} is unchanged"
        how = f"terminated ({exc.signal_name})" if isinstance(exc, _Terminated) else "interrupted"
        try:
            print(f"✗ {how}: {_one_line(left)}", file=sys.stderr)
        except OSError:  # the terminal is gone (SIGHUP): the outputs are as the line would say
            pass
        sys.exit(EXIT_INTERRUPTED)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _terminating() -> tuple:
    import signal

    return tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


#: Signals that end a command writing its outputs as Ctrl-C does: SIGTERM, and SIGHUP (terminal closed).
_TERMINATING = _terminating()


class _Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP while a command writes its outputs: it ends as Ctrl-C does (staging removed, one line)."""

    def __init__(self, signal_name: str = "SIGTERM"):
        super().__init__(signal_name)
        self.signal_name = signal_name


def _on_terminate(signum, frame):
    import signal

    raise _Terminated(signal.Signals(signum).name)


# ----------------------------------------------------------------------------- generate


#: The largest --seed: the largest numpy takes everywhere (its legacy ``np.random.seed`` too), so a
#: generated sample can be reproduced with any numpy tool.
SEED_MAX = 2**32 - 1

#: The files a generated dataset folder holds; ``generate --force`` replaces a folder holding only these.
DATASET_FILES = ("entities.csv", "relations.csv", "exposures.csv", "schemes.csv", "policy.toml")


@main.command()
@click.argument("out_dir", type=click.Path())
@click.option(
    "--customers",
    default=300,
    show_default=True,
    type=click.IntRange(10, 5_000_000),
    help="How many customers (persons and enterprises with is_customer=true).",
)
@click.option(
    "--seed",
    default=42,
    show_default=True,
    type=click.IntRange(0, SEED_MAX),
    help="Random seed; same arguments ⇒ identical files.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace OUT_DIR if it already holds a dataset (only dataset files; anything else is refused).",
)
def generate(out_dir, customers, seed, quiet, force):
    """Write a realistic synthetic regional-bank extract in the input contract.

    Chinese names, chambers, a large textile market, brokers and loan agencies,
    key persons who refer dozens, control groups, guarantee circles and chains,
    supplier dependence, five-class status, schemes and prospects. A folder that is not
    empty is refused (exit 2) unless --force; the dataset appears whole or not at all.

    \b
    Example:
      channelgraph generate out/bank-100k --customers 100000 --seed 7
    """
    from .generate import generate_dataset

    _check_out(out_dir, "OUT_DIR")
    folder = Path(out_dir)
    if not force and out_dir.strip() and folder.is_dir() and any(folder.iterdir()):
        err.print(
            f"[bold red]✗[/] {_shown(out_dir)} is not empty: give --force to replace the dataset in it, "
            "or choose an empty or new folder",
            soft_wrap=True,
            highlight=False,
        )
        sys.exit(EXIT_USAGE)
    t0 = time.perf_counter()
    with (
        _writing(out_dir, "generate", option="OUT_DIR", replaceable=lambda entry: entry in DATASET_FILES) as stage,
        _progress_bar(quiet) as bar,
    ):
        counts = generate_dataset(stage.path, customers=customers, seed=seed, progress=_Progress(bar))
    dt = time.perf_counter() - t0
    if not quiet:
        out.print(
            f"[green]✓[/] wrote {_shown(out_dir)} in {dt:.1f}s: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items() if isinstance(v, int))
        )


# ----------------------------------------------------------------------------- backends


def neo4j_options(f, *, uri_from_env: bool = False):
    """Options that point a command at a Neo4j server instead of CSV files.

    The URI comes from ``--neo4j`` (for ``load`` also from ``NEO4J_URI``); user,
    password and database from options or ``NEO4J_USER``, ``NEO4J_PASSWORD``,
    ``NEO4J_DATABASE``, or from the URI itself (``bolt://user:password@host``, which take
    precedence). The password is never printed.
    """
    f = click.option("--database", envvar="NEO4J_DATABASE", help="Neo4j database (default: the server's default).")(f)
    f = click.option(
        "--neo4j-password",
        envvar="NEO4J_PASSWORD",
        show_envvar=True,
        help="Neo4j password (prefer the environment variable).",
    )(f)
    f = click.option(
        "--neo4j-user", envvar="NEO4J_USER", default="neo4j", show_default=True, show_envvar=True, help="Neo4j user."
    )(f)
    f = click.option(
        "--neo4j",
        "neo4j_uri",
        envvar="NEO4J_URI" if uri_from_env else None,
        show_envvar=uri_from_env,
        metavar="URI",
        help="Neo4j server, e.g. bolt://127.0.0.1:7687 (bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, "
        "neo4j+ssc; a user:password@ in it is used, never shown)"
        + ("." if uri_from_env else "; read the graph from it instead of CSV files."),
    )(f)
    return f


#: The Neo4j passwords this process was given (``--neo4j-password``, ``NEO4J_PASSWORD``, the
#: URI's): every failure line printed is cleared of them, even one that no command foresaw.
_PASSWORDS: list[str] = []


def _target(neo4j_uri, neo4j_user, neo4j_password, database):
    """The Neo4j target of the options; a URI the driver cannot use is a usage error (exit 2).

    The passwords given are remembered in :data:`_PASSWORDS` before anything can fail.
    """
    from .store.neo4j import Neo4jTarget, Neo4jUriError

    if neo4j_password and neo4j_password not in _PASSWORDS:
        _PASSWORDS.append(neo4j_password)
    try:
        target = Neo4jTarget(neo4j_uri, neo4j_user or "neo4j", neo4j_password or None, database or None)
    except Neo4jUriError as exc:
        raise click.UsageError(f"--neo4j / NEO4J_URI {exc}") from None
    if target.password and target.password not in _PASSWORDS:
        _PASSWORDS.append(target.password)
    return target


def _policy_refused(exc: PolicyError) -> None:
    n = len(exc.problems)
    err.print(f"[bold red]✗ {n} problem{'s' if n != 1 else ''} in the policy[/] (file:line: key = value: reason)")
    for p in exc.problems:
        err.print(f"  {_one_line(p)}", markup=False, emoji=False, highlight=False, soft_wrap=True)
    sys.exit(EXIT_DATA)


def _server_failure(exc, target=None, code: int = EXIT_SERVER) -> None:
    """Print a Neo4j failure in one line (no password, even one quoted back by the server) and exit."""
    from rich.markup import escape

    from .redact import redact

    err.print(
        f"[bold red]✗ {escape(redact(str(exc), getattr(target, 'password', None), *_PASSWORDS))}[/]", soft_wrap=True
    )
    sys.exit(code)


def _dataset(data, encoding, policy, max_errors, neo4j_uri=None, neo4j_user=None, neo4j_password=None, database=None):
    """The validated dataset, from CSV files (DATA) or read back from Neo4j (--neo4j)."""
    if neo4j_uri:
        from .store.neo4j import (
            Neo4jFailure,
            StoredPolicyError,
            read_dataset_from_neo4j,
        )

        if data:
            raise click.UsageError("give either DATA or --neo4j, not both")
        if policy:  # a bad --policy is the user's file (exit 1), found before any connection
            try:
                policy = Policy.load(policy)
            except PolicyError as exc:
                _policy_refused(exc)
        target = _target(neo4j_uri, neo4j_user, neo4j_password, database)
        try:
            return read_dataset_from_neo4j(target, policy)
        except StoredPolicyError as exc:  # the policy's fault, not the server's
            _server_failure(exc, target, EXIT_DATA)
        except Neo4jFailure as exc:
            _server_failure(exc, target)
    if not data:
        raise click.UsageError("give a dataset folder DATA (or --neo4j URI)")
    return _load(data, encoding, policy, max_errors)


def source_options(f):
    """DATA (optional when --neo4j is given) plus the dataset and Neo4j options."""
    f = neo4j_options(f)
    f = dataset_options(f)
    f = click.argument("data", required=False, type=click.Path())(f)
    return f


# ----------------------------------------------------------------------------- load


@main.command()
@click.argument("data", type=click.Path())
@dataset_options
@(lambda f: neo4j_options(f, uri_from_env=True))
@click.option(
    "--batch-size",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows per UNWIND transaction.",
)
@click.option("--replace", is_flag=True, help="Delete the channelgraph nodes already in the database first.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def load(
    data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database, batch_size, replace, quiet
):
    """Validate DATA and load it into Neo4j (idempotent, batched, parameterised).

    Creates the schema (a uniqueness constraint per label), then MERGEs entities,
    relations, schemes and facilities in UNWIND batches inside managed write
    transactions (into an empty database it CREATEs them). Loading the same dataset
    twice leaves the same counts, and an interrupted load completes when rerun. A
    database that holds another dataset (or a changed version of this one) is refused:
    --replace deletes it first. After a bulk import of the same DATA (see export-neo4j)
    it only adds the constraints, indexes and the dataset record. Prints node and
    relationship counts.

    \b
    Example:
      scripts/neo4j-local start
      export NEO4J_PASSWORD=$(cat .neo4j/password)
      channelgraph load data/sample --neo4j bolt://127.0.0.1:7687
    """
    from .store.neo4j import DatasetConflict, Neo4jFailure, load_dataset_to_neo4j

    if not neo4j_uri:
        raise click.UsageError("give --neo4j URI or set NEO4J_URI")
    target = _target(neo4j_uri, neo4j_user, neo4j_password, database)
    ds = _load(data, encoding, policy, max_errors)
    t0 = time.perf_counter()
    stages: set[str] = set()
    bar = _progress_bar(quiet)
    shown = _Progress(bar)

    def progress(stage: str, done: int, total: int) -> None:
        if not stages:  # shown from the first row on: a load refused before it adds no blank line
            bar.start()
        stages.add(stage)
        shown(stage, done, total)

    try:
        try:
            counts = load_dataset_to_neo4j(ds, target, batch_size=batch_size, replace=replace, progress=progress)
        finally:
            if stages:  # stopping a bar never started would print a blank line as well
                bar.stop()
    except DatasetConflict as exc:  # the user's choice to make, not a server failure
        _server_failure(exc, target, EXIT_DATA)
    except Neo4jFailure as exc:
        _server_failure(exc, target)
    dt = time.perf_counter() - t0
    if "imported" in stages:
        out.print(
            f"[green]✓[/] {_shown(target.uri)} holds {_shown(data)} as bulk-imported (export-neo4j): added the constraints, "
            f"indexes and the dataset record in {dt:.1f}s, no row written again"
        )
    else:
        out.print(f"[green]✓[/] loaded {_shown(data)} into {_shown(target.uri)} in {dt:.1f}s")
    t = Table(box=None, show_header=True, header_style="bold")
    t.add_column("nodes")
    t.add_column("n", justify="right")
    t.add_column("relationships")
    t.add_column("n", justify="right")
    nodes, rels = list(counts["nodes"].items()), list(counts["relationships"].items())
    for i in range(max(len(nodes), len(rels))):
        a = nodes[i] if i < len(nodes) else ("", "")
        b = rels[i] if i < len(rels) else ("", "")
        t.add_row(str(a[0]), f"{a[1]:,}" if a[1] != "" else "", str(b[0]), f"{b[1]:,}" if b[1] != "" else "")
    _print_table(out, t)


@main.command(name="export-neo4j")
@click.argument("data", type=click.Path())
@click.argument("out_dir", metavar="OUT", type=click.Path(file_okay=False))
@dataset_options
def export_neo4j(data, out_dir, encoding, policy, max_errors):
    """Validate DATA and write it as input files for Neo4j's offline bulk importer.

    For a first load of a big book: `neo4j-admin database import full` writes the
    store directly, many times faster than `load` (which goes through Cypher
    transactions). The files give the same nodes, labels, relationships and properties
    as `load`; OUT/import.args lists them for the importer. The database must be
    stopped while it imports; afterwards `load` with the same DATA only adds the
    constraints, indexes and the dataset record (it recognises the import by its
    fingerprint and writes no row again).

    \b
    Example (a Neo4j 5 installation):
      channelgraph export-neo4j data/sample /tmp/cg-import
      neo4j stop
      neo4j-admin database import full neo4j --overwrite-destination @/tmp/cg-import/import.args
      neo4j start
      channelgraph load data/sample --neo4j bolt://127.0.0.1:7687
    \b
    With the local server: scripts/neo4j-local stop
      scripts/neo4j-local import @/tmp/cg-import/import.args && scripts/neo4j-local start
    """
    from shlex import quote

    from rich.markup import escape

    from .store.neo4j_import import write_import_files

    _check_out(out_dir, "OUT", data=data, policy=policy)  # before the data is read
    ds = _load(data, encoding, policy, max_errors)
    t0 = time.perf_counter()
    try:  # staged and swapped in whole, as every command's outputs; import.args names the final files
        with _writing(out_dir, "export-neo4j", option="OUT") as stage:
            files = write_import_files(ds, stage.path, named_as=stage.target)
    except ValueError as exc:  # a column the importer cannot take: the data, not the place
        err.print(f"[bold red]✗[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_DATA)
    out.print(
        f"[green]✓[/] wrote {files.node_count:,} nodes and {files.relationship_count:,} relationships "
        f"for neo4j-admin in {time.perf_counter() - t0:.1f}s: {files.folder}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        "next, with the database stopped:\n"
        f"  neo4j-admin database import full neo4j --overwrite-destination {quote('@' + str(files.args_file))}\n"
        "then start it and finish with:\n"
        f"  channelgraph load {quote(str(data))} --neo4j URI",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


# ----------------------------------------------------------------------------- analyze


@main.command()
@source_options
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Output folder.")
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the report."
)
@click.option(
    "--write-back",
    is_flag=True,
    help="With --neo4j: store results on the nodes (hub score and rank, group id and status, "
    "guarantee patterns, risk-source rank).",
)
@click.option("--no-mask", is_flag=True, help="Show ID-card and phone numbers in views and the report.")
@click.option(
    "--timings",
    is_flag=True,
    help="Print wall and CPU seconds and peak memory per stage, and write them to OUT/timings.json.",
)
def analyze(
    data,
    encoding,
    policy,
    max_errors,
    neo4j_uri,
    neo4j_user,
    neo4j_password,
    database,
    out_dir,
    lang,
    write_back,
    no_mask,
    timings,
):
    """Validate DATA (or read --neo4j), run every analysis and write the outputs to --out.

    Writes one CSV (UTF-8 with BOM, Excel-safe) and one JSON twin per table,
    summary.json with counts and total outstanding, the main interactive graph views
    (views/*.html, offline) and report.html / report.md.

    \b
    Examples:
      channelgraph analyze data/sample --out out/sample
      channelgraph analyze --neo4j bolt://127.0.0.1:7687 --out out/neo4j --write-back
    """
    from . import pipeline
    from .analyses import node_results

    if write_back and not neo4j_uri:
        raise click.UsageError("--write-back needs --neo4j URI")
    from .timing import Stopwatch, stage_of

    _check_out(out_dir, data=data, policy=policy)  # before the data is read: a bad --out is refused at once
    stopwatch = Stopwatch() if timings else None
    with stage_of(stopwatch)("read from Neo4j" if neo4j_uri else "read+validate"):
        ds = _dataset(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database)
    with _writing(out_dir, "analyze") as stage:
        results, files = pipeline.run_everything(ds, stage.path, lang, mask=not no_mask, stopwatch=stopwatch)
        if stopwatch is not None:
            from .io.write import write_json

            write_json(stopwatch.to_dict(), stage.path / "timings.json")
    shown = data or _target(neo4j_uri, None, None, None).uri  # the URI without its password
    out.print(f"[green]✓[/] analysed {_shown(shown)}: {len(files)} files in {_shown(out_dir)}")
    if stopwatch is not None:
        _print_timings(stopwatch)
    if write_back:
        from .store.neo4j import Neo4jFailure, write_back_results

        target = _target(neo4j_uri, neo4j_user, neo4j_password, database)
        try:
            n = write_back_results(target, node_results(results))
        except Neo4jFailure as exc:
            _server_failure(exc, target)
        out.print(f"[green]✓[/] wrote results back onto {n:,} nodes")


def _print_timings(stopwatch) -> None:
    t = Table(box=None, show_header=True, header_style="bold")
    for col in ("stage", "wall s", "CPU s", "main-thread CPU s", "peak GiB"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    for s in stopwatch.stages:
        t.add_row(
            s["stage"],
            f"{s['wall_s']:.1f}",
            f"{s['cpu_s']:.1f}",
            f"{s['thread_cpu_s']:.1f}",
            f"{s['peak_rss_bytes'] / 2**30:.2f}",
        )
    total = stopwatch.total()
    t.add_row("[bold]total[/]", f"{total['wall_s']:.1f}", "", "", f"{total['peak_rss_bytes'] / 2**30:.2f}")
    _print_table(err, t)


# ----------------------------------------------------------------------------- single analyses


def analysis_command(name: str, analyses: list[str], help: str):
    """Make a command that validates DATA (or reads --neo4j), runs the named analyses and writes their tables.

    Rooms call this to expose an analysis (``risk``, ``hubs``, ``channels``, ``caps``).
    """

    @main.command(name=name, help=help)
    @source_options
    @click.option("--out", "out_dir", required=True, type=click.Path(), help="Output folder.")
    @click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default="zh",
        show_default=True,
        help="Language of the report section.",
    )
    def command(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database, out_dir, lang):
        from .analyses import run_analyses, write_results
        from .graph import build_book

        _check_out(out_dir, data=data, policy=policy)  # before the data is read: a bad --out is refused at once
        ds = _dataset(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database)
        results = run_analyses(build_book(ds), only=analyses)
        with _writing(out_dir, name) as stage:
            files = [stage.final(f) for f in write_results(results, ds, stage.path)]
        out.print(f"[green]✓[/] {name}: {len(files)} files in {_shown(out_dir)}")
        for f in files:
            if f.suffix == ".csv":
                out.print(f"  {_shown(f)}")

    return command


# --- risk commands ------------------------------------------------------------ risk

risk_command = analysis_command(
    "risk",
    ["risk"],
    help="""Connected-client groups against the large-exposure limits, guarantee patterns,
    single risk sources, DebtRank and concentration.

    Writes risk_groups, risk_group_members, connection_ties, guarantee_patterns,
    risk_sources, systemic_impact and concentration (CSV + JSON) and summary.json. Limits
    and thresholds come from the policy ([limits], [connection], [guarantee]).

    \b
    Example:
      channelgraph risk data/sample --out out/risk
    """,
)


@main.command()
@source_options
@click.option(
    "--default",
    "default_ids",
    required=True,
    metavar="ID[,ID…]",
    help="Entities that default in round 0 (comma-separated ids).",
)
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Output folder.")
def stress(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database, default_ids, out_dir):
    """Default --default entities and propagate through guarantees, round by round.

    A borrower's default calls its guarantees (at most the borrower's outstanding); a
    guarantor whose calls exceed its net assets defaults in the next round (unknown net
    assets: treated as unable to pay). Writes stress_rounds and stress_calls (CSV + JSON).

    \b
    Example:
      channelgraph stress data/sample --default E000012,E000040 --out out/stress
    """
    from .graph import build_book
    from .io.write import write_table
    from .model import format_yuan_human as _yuan
    from .risk import UnknownEntityError, stress_cascade

    ids = [x.strip() for x in default_ids.split(",") if x.strip()]
    if not ids:
        raise click.BadParameter("give at least one entity id", param_hint="--default")
    _check_out(out_dir, data=data, policy=policy)  # before the data is read: a bad --out is refused at once
    ds = _dataset(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database)
    try:
        rounds, calls = stress_cascade(build_book(ds), ds.policy, ids)
    except UnknownEntityError as exc:
        raise click.BadParameter(f"{exc} (not in entities)", param_hint="--default") from None
    with _writing(out_dir, "stress") as stage:
        files = [
            stage.final(f)
            for f in write_table(rounds, stage.path, "stress_rounds") + write_table(calls, stage.path, "stress_calls")
        ]
    t = Table(box=None, show_header=True, header_style="bold")
    for c in ("round", "defaulted", "exposure hit", "cumulative", "of tier-1", "calls", "called"):
        t.add_column(c, justify="left" if c == "defaulted" else "right")
    for r in rounds.itertuples():
        shown = ", ".join(map(_shown, r.defaulted[:5])) + (
            f" … (+{len(r.defaulted) - 5})" if len(r.defaulted) > 5 else ""
        )
        t.add_row(
            str(r.round),
            shown,
            _yuan(r.exposure_hit_fen),
            _yuan(r.cumulative_exposure_hit_fen),
            f"{float(r.cumulative_share_of_tier1):.2%}",
            f"{r.guarantee_calls:,}",
            _yuan(r.called_fen),
        )
    _print_table(out, t)
    n_def = int(rounds["defaulted_count"].sum()) if len(rounds) else 0
    hit = int(rounds["cumulative_exposure_hit_fen"].iloc[-1]) if len(rounds) else 0
    out.print(
        f"[green]✓[/] stress: {n_def:,} {'entity' if n_def == 1 else 'entities'} defaulted over "
        f"{len(rounds)} round{'s' if len(rounds) != 1 else ''}; exposure hit {_yuan(hit)} yuan"
    )
    for f in files:
        if f.suffix == ".csv":
            out.print(f"  {_shown(f)}")


# --- viz commands ------------------------------------------------------------- viz


@main.command()
@source_options
@click.option(
    "--view",
    "view_kind",
    type=click.Choice(["overview", "channel", "ego", "group", "pattern"]),
    default="overview",
    show_default=True,
    help="overview: the whole book within --budget; channel: a chamber/market/intermediary with its "
    "members and key persons; ego: an entity's ties within --hops; group: a connected-client "
    "group; pattern: a guarantee pattern.",
)
@click.option(
    "--id",
    "ident",
    metavar="ID",
    help="Channel or entity id; for group a group id or a member's id; for pattern a pattern id, "
    "its position (1, 2 …) or a member's id. Default: the top one.",
)
@click.option("--hops", default=1, show_default=True, type=click.IntRange(1, 4), help="Ego view: ties away.")
@click.option(
    "--budget",
    "node_budget",
    default=2000,
    show_default=True,
    type=click.IntRange(10, 20_000),
    help="Most nodes on one page; the page says what was left out.",
)
@click.option("--out", "out_dir", default="out/views", show_default=True, type=click.Path(), help="Output folder.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--no-mask", is_flag=True, help="Show ID-card and phone numbers unmasked (default: masked).")
def viz(
    data,
    encoding,
    policy,
    max_errors,
    neo4j_uri,
    neo4j_user,
    neo4j_password,
    database,
    view_kind,
    ident,
    hops,
    node_budget,
    out_dir,
    lang,
    no_mask,
):
    """Write an interactive graph page: one self-contained HTML file that works offline.

    Colour by kind, size by outstanding (or hub score), red guarantee arrows with
    amounts, breached groups outlined in red, tooltips with the key figures. No
    request leaves the page; names are shown as text; ID-card and phone numbers are
    masked unless --no-mask.

    \b
    Examples:
      channelgraph viz data/sample --view overview --out out/views
      channelgraph viz data/sample --view channel --id M0001
      channelgraph viz data/sample --view ego --id P000001 --hops 2 --lang en
      channelgraph viz data/sample --view group           # the most severe group
      channelgraph viz data/sample --view pattern --id 1
    """
    from .analyses import run_analyses
    from .graph import build_book
    from .viz.command import ViewNotFound, check_ident, write_view

    try:  # before the data is read: refused at once
        check_ident(view_kind, ident)
    except ViewNotFound as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from None
    _check_out(out_dir, replaced=False, data=data, policy=policy)  # before the data is read: refused at once
    ds = _dataset(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database)
    # the views read risk groups and patterns, hubs and channels; no whole-book graph is built
    book = build_book(ds)
    results = run_analyses(book, only=["risk", "marketing"])
    with _writing(out_dir, "viz", collects=True) as stage:  # the page appears whole; other pages stay
        try:
            path, view = write_view(
                book,
                results,
                view_kind,
                stage.path,
                ident,
                hops=hops,
                lang=lang,
                mask=not no_mask,
                node_budget=node_budget,
            )
        except ViewNotFound as exc:
            raise click.BadParameter(str(exc), param_hint="--id") from None
        path = stage.final(path)
    left = view.stats.get("left_out_nodes", 0)
    out.print(
        f"[green]✓[/] {view_kind}: {len(view.nodes):,} nodes, {len(view.edges):,} ties"
        + (f" ({left:,} nodes left out, see the page's notes)" if left else "")
        + f" → {_shown(path)}",
        markup=True,
        highlight=False,
    )
    if no_mask:
        err.print("[yellow]![/] not masked: the page shows ID-card and phone numbers; do not share it")


# --- marketing commands ------------------------------------------------------- marketing


def _marketing_tables(ds, out_dir: str, name: str, parts: tuple, **options) -> None:
    """Run risk (for the flags) and marketing with *options*; write only *parts* and summary.json."""
    from .analyses import write_results
    from .graph import build_book
    from .marketing import ScopeError, prior_results, run_marketing

    book = build_book(ds)
    prior = prior_results(book, ds.policy)
    try:
        res = run_marketing(book, ds.policy, prior, parts=parts, **options)
    except ScopeError as exc:
        raise click.BadParameter(str(exc), param_hint=exc.option) from None
    with _writing(out_dir, name) as stage:
        files = [stage.final(f) for f in write_results({"marketing": res}, ds, stage.path)]
    out.print(f"[green]✓[/] {name}: {len(files)} files in {_shown(out_dir)}")
    for f in files:
        if f.suffix == ".csv":
            out.print(f"  {_shown(f)}")


@main.command()
@source_options
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Output folder.")
@click.option(
    "--k", "k", type=click.IntRange(1, 10_000), default=None, help="Hubs on the campaign seed list.  [default: 10]"
)
@click.option("--channel", metavar="ID", help="Campaign inside this chamber, market or intermediary.")
@click.option("--region", metavar="REGION", help="Campaign inside this region (e.g. 柯桥区).")
@click.option(
    "--top",
    "top",
    default=10_000,
    show_default=True,
    type=click.IntRange(0, None),
    help="Rows of hubs.csv (the best; 0 = every entity).",
)
def hubs(
    data,
    encoding,
    policy,
    max_errors,
    neo4j_uri,
    neo4j_user,
    neo4j_password,
    database,
    out_dir,
    k,
    channel,
    region,
    top,
):
    """Key persons and hubs, a campaign seed list and campaign clusters.

    Ranks every person and organisation by converted referrals, PageRank, betweenness
    and reach into untapped prospects (each component, its normalised value and weight
    on every row, plus risk flags); picks --k hubs that together reach the most distinct
    prospects (lazy greedy), optionally within --channel or --region; finds communities.
    Writes hubs, campaign and communities (CSV + JSON) and summary.json. Weights come
    from the policy ([marketing] type_weights, score_weights, betweenness_samples, seed).

    \b
    Examples:
      channelgraph hubs data/sample --out out/hubs
      channelgraph hubs data/sample --out out/hubs-c1 --k 5 --channel C0001
    """
    _check_out(out_dir, data=data, policy=policy)  # before the data is read: a bad --out is refused at once
    ds = _dataset(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database)
    _marketing_tables(
        ds, out_dir, "hubs", ("hubs", "campaign", "communities"), k=k, channel=channel, region=region, hubs_rows=top
    )


@main.command()
@source_options
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Output folder.")
def channels(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database, out_dir):
    """Channel profiles for batch marketing (批量营销), ranked.

    For each chamber, market and intermediary: members, customers, untapped prospects,
    penetration, members' outstanding and non-performing outstanding, key persons
    (role holders, top referrers), schemes and risk flags; ranked by untapped prospects,
    then customers. Writes channels (CSV + JSON) and summary.json.

    \b
    Example:
      channelgraph channels data/sample --out out/channels
    """
    _check_out(out_dir, data=data, policy=policy)  # before the data is read: a bad --out is refused at once
    ds = _dataset(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database)
    _marketing_tables(ds, out_dir, "channels", ("channels",))


# --- caps commands ------------------------------------------------------------ caps


@main.command(name="caps")
@source_options
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Output folder.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the committee report (caps_report.md, caps_report.html).",
)
def caps_command(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database, out_dir, lang):
    """Draft exposure caps for every channel scheme (渠道专属方案), with a committee report.

    For each scheme: a total cap, a per-borrower cap and a single-risk-source cap, each with
    the rule that bound it (regulatory limits, scheme appetite, channel quality, a group's
    headroom), the current utilisation and headroom, and the borrowers and risk sources
    already above the draft. Writes caps, scheme_borrower_caps, scheme_risk_sources and
    caps_breaches (CSV + JSON), summary.json, and caps_report.md / caps_report.html in
    --lang. Values come from the policy ([caps], [limits], capital).

    \b
    Examples:
      channelgraph caps data/sample --out out/caps
      channelgraph caps data/sample --policy my-policy.toml --lang en --out out/caps-en
    """
    from .analyses import write_results
    from .caps import run_caps, write_caps_report
    from .graph import build_book
    from .viz.mask import mask_text

    _check_out(out_dir, data=data, policy=policy)  # before the data is read: a bad --out is refused at once
    ds = _dataset(data, encoding, policy, max_errors, neo4j_uri, neo4j_user, neo4j_password, database)
    res = run_caps(build_book(ds), ds.policy, {})
    with _writing(out_dir, "caps") as stage:
        files = write_results({"caps": res}, ds, stage.path)
        files += write_caps_report(res, ds.policy, stage.path, lang, ds.name)
        files = [stage.final(f) for f in files]
    t = Table(box=None, show_header=True, header_style="bold")
    for col in ("scheme", "channel", "total cap", "per borrower", "single source", "utilised", "headroom", "status"):
        t.add_column(col, justify="left" if col in ("scheme", "channel", "status") else "right")
    for r in res.tables["caps"].itertuples(index=False):
        t.add_row(
            _shown(mask_text(r.scheme_id)),
            _shown(mask_text(r.channel_id)),
            format_yuan_human(r.cap_total_fen),
            format_yuan_human(r.cap_per_borrower_fen),
            format_yuan_human(r.cap_single_risk_source_fen),
            format_yuan_human(r.utilized_fen),
            format_yuan_human(r.headroom_fen),
            "[red]breach[/]" if r.status == "breach" else "ok",
        )
    _print_table(out, t)
    n = res.summary["breaches"]
    out.print(
        f"[green]✓[/] caps: {res.summary['schemes']} schemes, {res.summary['schemes_in_breach']} with breaches "
        f"({n['scheme_total']} over the total cap, {n['borrower']} borrowers, {n['risk_source']} risk sources); "
        f"{len(files)} files in {_shown(out_dir)}"
    )
    for f in files:
        if f.suffix in (".csv", ".md", ".html"):
            out.print(f"  {_shown(f)}")


# ----------------------------------------------------------------------------- demo


@main.command()
@click.option("--out", "out_dir", default="out/demo", show_default=True, type=click.Path(), help="Output folder.")
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False),
    help="Analyse this dataset instead of generating the sample (300 customers, seed 42).",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def demo(out_dir, data, lang):
    """Generate the sample bank (or take --data), validate, analyse, and say what to open.

    Needs no server and no network.

    \b
    Example:
      channelgraph demo --out out/demo
    """
    from . import pipeline
    from .generate import generate_dataset

    _check_out(out_dir, data=data, data_option="--data")
    out_path = Path(out_dir)
    with _writing(out_dir, "demo") as stage:
        if data is None:
            out.print(
                f"[bold]1/3[/] generating the sample bank (300 customers, seed 42) into {_shown(out_path / 'data')}"
            )
            generate_dataset(stage.path / "data", customers=300, seed=42)
            shown_data, data = str(out_path / "data"), stage.path / "data"
        else:
            out.print(f"[bold]1/3[/] using {_shown(data)}")
            shown_data = data
        out.print("[bold]2/3[/] validating")
        ds = _load(str(data), None, None)
        _print_summary(shown_data, ds.summary(), ds)
        out.print("[bold]3/3[/] analysing")
        results, files = pipeline.run_everything(ds, stage.path, lang)
        files = [stage.final(f) for f in files]
    _print_findings(results, lang)
    out.print(f"\n[bold green]✓ done[/] — {len(files)} files in {_shown(out_path)}/. Open first:")
    first = [out_path / "report.html", out_path / "views" / "overview.html"]
    for f in first:
        if f.exists():
            out.print(f"  [bold]{_shown(f)}[/]")
    out.print("Tables (CSV for Excel, JSON twins):")
    out.print("  " + "  ".join(_shown(f.name) for f in files if f.suffix == ".csv"))


def _print_findings(results, lang: str) -> None:
    """A few lines a risk officer and an account manager read first (data masked, shown as text)."""
    from rich.markup import escape

    from .viz.mask import mask_text, visible

    def shown(value) -> str:
        return escape(mask_text(visible(value)))

    risk = results.get("risk")
    if risk is not None:
        s = risk.summary
        out.print(
            f"risk: {s.get('groups', 0):,} groups of connected clients, {s.get('breaches', 0)} over the "
            f"group/single limit, {s.get('large_exposures', 0)} large exposures, "
            f"{s.get('circles', 0)} guarantee circles"
        )
        top = s.get("top_source")
        if top:
            out.print(
                f"      top single risk source {shown(top['source_id'])} ({shown(top['source_type'])}): "
                f"{format_yuan_human(parse_yuan(top['dependent_exposure']))} yuan depends on it"
            )
    mk = results.get("marketing")
    if mk is not None and "hubs" in mk.tables and len(mk.tables["hubs"]):
        h = mk.tables["hubs"].iloc[0]
        out.print(f"marketing: top hub {shown(h['id'])} {shown(h['name'])} ({shown(h['kind'])}), score {h['score']}")
    caps = results.get("caps")
    if caps is not None and "caps" in caps.tables:
        c = caps.tables["caps"]
        out.print(
            f"caps: {len(c)} scheme drafts"
            + (f", {int((c['headroom_fen'] < 0).sum())} already over the draft total" if "headroom_fen" in c else "")
        )


#: The longest exception text :func:`_last_resort` prints (its first line only).
LAST_RESORT_CHARS = 300


def _first_line(text: str, limit: int = LAST_RESORT_CHARS) -> str:
    """The first line of *text*, cut to *limit* characters (``…`` when cut)."""
    lines = str(text).splitlines()
    line = lines[0] if lines else ""
    more = len(lines) > 1 or len(line) > limit
    return line[:limit] + ("…" if more else "")


def _last_resort(exc: BaseException) -> int:
    """One line for an exception no command turned into a message; the exit code to end with.

    An interruption is exit 130; an operating-system error (a file that cannot be read or
    written, a full disk) names the file and the reason, exit 3; anything else is a bug: the
    line says so, exit 4, and ``CHANNELGRAPH_DEBUG=1`` prints the traceback as well. Of the
    exception's text only the first line is shown, at most :data:`LAST_RESORT_CHARS` long.
    """
    import os

    from .redact import redact

    if isinstance(exc, KeyboardInterrupt):
        return interrupted()
    if os.environ.get(DEBUG_ENV) == "1":
        import traceback

        # redacted as the line below is: a password may be in a message or a URL of the chain
        tell(redact("".join(traceback.format_exception(exc)).rstrip("\n"), *_PASSWORDS))
    if isinstance(exc, MemoryError):
        tell("✗ out of memory: the book does not fit this machine's memory")
        return EXIT_SERVER
    if isinstance(exc, OSError):
        from ._oserror import hint, reason

        where = " ".join(str(exc.filename).splitlines()) if exc.filename is not None else ""
        advice = hint(exc, "folder", otherwise="")
        said = f"{_first_line(reason(exc))} ({advice})" if advice else _first_line(reason(exc))
        tell(redact(f"✗ {where}: {said}" if where else f"✗ {said}", *_PASSWORDS))
        return EXIT_SERVER
    tell(
        redact(
            f"✗ internal error (a bug in channelgraph; please report it): {type(exc).__name__}: "
            f"{_first_line(str(exc))} — run again with {DEBUG_ENV}=1 to see the traceback",
            *_PASSWORDS,
        )
    )
    return EXIT_INTERNAL


@main.result_callback()
def _no_exit_code(result, **options) -> None:
    """A command's return value is never the exit code (:func:`run` takes it only from click's ``Exit``)."""


def run() -> None:
    """The ``channelgraph`` command: :func:`main`, then a quick exit.

    When a command has finished, the interpreter has nothing left to do but free every
    object of the run one by one — seconds on a big book — memory the operating system
    takes back at once anyway. So the command flushes its output and ends the process
    directly with the command's exit code. Calling :func:`main` (click's ``CliRunner``, the
    Python API) is unaffected. An exception that no
    command turned into a message never ends in a traceback: :func:`_last_resort` prints one
    line and picks the exit code. The console script reaches this through :mod:`._entry`,
    which sets up Ctrl-C and the standard streams before this module is imported.
    """
    import logging
    import os

    try:
        # not standalone: click's own handling would turn Ctrl-C into "Aborted!" and exit 1;
        # it returns the code of click's Exit (--help, --version: 0), else None
        code = main(prog_name="channelgraph", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    except click.exceptions.Abort:
        code = _last_resort(KeyboardInterrupt())
    except click.ClickException as exc:  # usage errors and bad parameters: click's own message, exit 2
        exc.show()
        code = exc.exit_code
    except BaseException as exc:  # noqa: BLE001 - the one place every failure becomes one line
        code = _last_resort(exc)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        tell(str(code))
        code = EXIT_DATA
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (channelgraph … | head): nothing left to say
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
