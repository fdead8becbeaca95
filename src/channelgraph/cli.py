"""The ``channelgraph`` command line: a thin click layer over the library.

Every command that reads a dataset validates it first and refuses bad data with the
same report as ``channelgraph validate`` (exit code 1), never a traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from . import __version__
from .io import DatasetError, load_dataset
from .model import format_yuan_human
from .policy import Policy, PolicyError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

#: Exit codes: 0 fine, 1 the data (or policy) was refused, 2 usage, 3 a server or environment failure.
EXIT_DATA = 1
EXIT_SERVER = 3


def _problems_report(exc: DatasetError, max_errors: int) -> None:
    n = len(exc.problems)
    err.print(f"[bold red]✗ {n} problem{'s' if n != 1 else ''} in the dataset[/] "
              "(file:line, column, value: reason — header is line 1)")
    shown = exc.problems if max_errors <= 0 else exc.problems[:max_errors]
    for p in shown:
        err.print(f"  {p}", markup=False, soft_wrap=True)
    if len(shown) < n:
        err.print(f"  … and {n - len(shown)} more (use --max-errors 0 to show all)")


def _load(data: str, encoding: str | None, policy: str | None, max_errors: int = 50):
    try:
        return load_dataset(data, encoding=encoding, policy=policy)
    except DatasetError as exc:
        _problems_report(exc, max_errors)
        sys.exit(EXIT_DATA)


def dataset_options(f):
    """Options every dataset-reading command shares."""
    f = click.option("--max-errors", default=50, show_default=True,
                     help="How many problems to print when the data is refused (0 = all).")(f)
    f = click.option("--policy", "policy", type=click.Path(dir_okay=False),
                     help="policy.toml to use (default: DATA/policy.toml, else built-in defaults).")(f)
    f = click.option("--encoding", help="Force the files' encoding (utf-8, utf-8-sig, gb18030, gbk); "
                                        "default: detected per file.")(f)
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
            click.echo(json.dumps({"valid": False, "problems": [p.to_dict() for p in exc.problems]},
                                  ensure_ascii=False, indent=2))
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
    out.print(f"[bold green]✓ {data} is valid[/]  "
              f"({', '.join(f'{k}: {v}' for k, v in ds.encodings.items())})")
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
    out.print(t)
    out.print(f"customers {s['customers']:,} · prospects {s['prospects']:,} · facilities {s['facilities']:,} "
              f"· schemes {s['schemes']:,}")
    out.print(f"total outstanding [bold]{format_yuan_human(s['total_outstanding_fen'])}[/] yuan · "
              + " · ".join(f"{k} {v:,}" for k, v in s["status"].items() if v))
    out.print(f"policy: {ds.policy.source}; tier-1 capital {format_yuan_human(ds.policy.tier1_capital_fen)} yuan")


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, disable=disable, transient=False)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--customers", default=300, show_default=True, type=click.IntRange(10, 5_000_000),
              help="How many customers (persons and enterprises with is_customer=true).")
@click.option("--seed", default=42, show_default=True, help="Random seed; same arguments ⇒ identical files.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(out_dir, customers, seed, quiet):
    """Write a realistic synthetic regional-bank extract in the input contract.

    Chinese names, chambers, a large textile market, brokers and loan agencies,
    key persons who refer dozens, control groups, guarantee circles and chains,
    supplier dependence, five-class status, schemes and prospects.

    \b
    Example:
      channelgraph generate out/bank-100k --customers 100000 --seed 7
    """
    from .generate import generate_dataset

    t0 = time.perf_counter()
    with _progress_bar(quiet) as bar:
        counts = generate_dataset(out_dir, customers=customers, seed=seed, progress=_Progress(bar))
    dt = time.perf_counter() - t0
    if not quiet:
        out.print(f"[green]✓[/] wrote {out_dir} in {dt:.1f}s: "
                  + ", ".join(f"{k} {v:,}" for k, v in counts.items() if isinstance(v, int)))


# ----------------------------------------------------------------------------- analyze


def _run_and_write(ds, out_dir: Path, lang: str) -> list[Path]:
    from .analyses import run_analyses, write_results
    from .store import build_graph

    graph = build_graph(ds)
    results = run_analyses(graph, ds)
    return write_results(results, ds, out_dir)


@main.command()
@click.argument("data", type=click.Path())
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the report.")
@dataset_options
def analyze(data, out_dir, lang, encoding, policy, max_errors):
    """Validate DATA, run every analysis and write the outputs to --out.

    Writes one CSV (UTF-8 with BOM, Excel-safe) and one JSON twin per table, plus
    summary.json with counts and total outstanding.

    \b
    Example:
      channelgraph analyze data/sample --out out/sample
    """
    ds = _load(data, encoding, policy, max_errors)
    files = _run_and_write(ds, Path(out_dir), lang)
    out.print(f"[green]✓[/] analysed {data}: {len(files)} files in {out_dir}")


# ----------------------------------------------------------------------------- single analyses


def analysis_command(name: str, analyses: list[str], help: str):
    """Make a command that validates DATA, runs the named analyses and writes their tables.

    Rooms call this to expose an analysis (``risk``, ``hubs``, ``channels``, ``caps``);
    ``extra_options`` are click options whose values are passed to *configure*.
    """

    @main.command(name=name, help=help)
    @click.argument("data", type=click.Path())
    @click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                  help="Language of the report section.")
    @dataset_options
    def command(data, out_dir, lang, encoding, policy, max_errors):
        from .analyses import run_analyses, write_results
        from .store import build_graph

        ds = _load(data, encoding, policy, max_errors)
        results = run_analyses(build_graph(ds), ds, only=analyses)
        files = write_results(results, ds, Path(out_dir))
        out.print(f"[green]✓[/] {name}: {len(files)} files in {out_dir}")
        for f in files:
            if f.suffix == ".csv":
                out.print(f"  {f}")

    return command


# ----------------------------------------------------------------------------- demo


@main.command()
@click.option("--out", "out_dir", default="out/demo", show_default=True, type=click.Path(file_okay=False),
              help="Output folder.")
@click.option("--data", "data", type=click.Path(file_okay=False),
              help="Analyse this dataset instead of generating the sample (300 customers, seed 42).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def demo(out_dir, data, lang):
    """Generate the sample bank (or take --data), validate, analyse, and say what to open.

    Needs no server and no network.

    \b
    Example:
      channelgraph demo --out out/demo
    """
    from .analyses import run_analyses, write_results
    from .generate import generate_dataset
    from .store import build_graph

    out_path = Path(out_dir)
    if data is None:
        data = out_path / "data"
        out.print(f"[bold]1/3[/] generating the sample bank (300 customers, seed 42) into {data}")
        generate_dataset(data, customers=300, seed=42)
    else:
        out.print(f"[bold]1/3[/] using {data}")
    out.print("[bold]2/3[/] validating")
    ds = _load(str(data), None, None)
    _print_summary(str(data), ds.summary(), ds)
    out.print("[bold]3/3[/] analysing")
    graph = build_graph(ds)
    results = run_analyses(graph, ds)
    files = write_results(results, ds, out_path)
    out.print(f"\n[bold green]✓ done[/] — {len(files)} files in {out_path}/")
    for f in files:
        if f.suffix in (".csv", ".html") or f.name == "summary.json":
            out.print(f"  {f}")


if __name__ == "__main__":  # pragma: no cover
    main()
