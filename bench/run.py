"""channelgraph benchmarks: one command, results written to bench/RESULTS.md.

    .venv/bin/python bench/run.py                       # 10k and 100k customers
    .venv/bin/python bench/run.py --sizes 10000,100000,1000000
    .venv/bin/python bench/run.py --sizes 100000,1000000 --neo4j-only --neo4j-import [--neo4j bolt://…]

For each size it generates a seeded dataset (cached under bench/data/, git-ignored),
then runs the whole ``channelgraph analyze --timings`` in a fresh process and records
wall and CPU seconds and peak RSS per stage (read + validate, graph build, risk,
marketing, caps, tables, views, report), the straightforward-NetworkX baseline in
fresh processes (bench/stage.py; sizes ≤ --baseline-max) and, with --neo4j / --neo4j-import,
the Neo4j load throughput (Cypher load; first load through Neo4j's offline importer). Results go to bench/results/<size>.json and
are summarised in bench/RESULTS.md with the machine description and the date.
Benchmarks measure; tests never assert times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable


def _child(args: list[str], env=None) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([PY, str(HERE / "stage.py"), *args], capture_output=True, text=True, env=env, cwd=str(HERE))
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"stage": args[0], "error": (proc.stderr or proc.stdout)[-2000:], "wall": round(wall, 3)}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["wall"] = round(wall, 3)
    return res


def _generate(n: int, seed: int) -> tuple[Path, dict]:
    data = HERE / "data" / f"bank-{n}-s{seed}"
    if (data / "relations.csv").exists():
        return data, {"cached": True}
    code = (
        "import json,resource,sys,time;from channelgraph.generate import generate_dataset;"
        f"t=time.perf_counter();c=generate_dataset({str(data)!r},customers={n},seed={seed});"
        "print(json.dumps({'seconds':round(time.perf_counter()-t,3),"
        "'peak_rss_bytes':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss*1024}))"
    )
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    return data, json.loads(proc.stdout.strip().splitlines()[-1])


def _neo4j_load(data: Path, uri: str) -> dict:
    code = (
        "import json,time;from channelgraph.io import load_dataset;"
        "from channelgraph.store.neo4j import Neo4jTarget,load_dataset_to_neo4j;"
        f"ds=load_dataset({str(data)!r});t=time.perf_counter();"
        f"c=load_dataset_to_neo4j(ds,Neo4jTarget({uri!r},password=__import__('os').environ.get('NEO4J_PASSWORD')),replace=True);"
        "s=time.perf_counter()-t;n=sum(v for k,v in c['nodes'].items() if k!='Entity');"
        "r=sum(c['relationships'].values());"
        "print(json.dumps({'seconds':round(s,3),'nodes':n,'relationships':r,"
        "'nodes_per_s':round(n/s),'relationships_per_s':round(r/s)}))"
    )
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: The bulk-import benchmark's own local server (git-ignored state dir, port).
IMPORT_STATE = ROOT / ".neo4j-bench" / "import"
IMPORT_PORT = "7691"


def _neo4j_import(data: Path) -> dict:
    """First load through Neo4j's offline importer, as the README describes it: export-neo4j
    (timed in its own process), `scripts/neo4j-local import` (stopped server), start, then the
    finishing `load` (schema, indexes, dataset record). Relationships/s counts export + import
    + finishing load; the server's start is reported apart (the Cypher load's server is
    already running)."""
    env = dict(os.environ, NEO4J_LOCAL_DIR=str(IMPORT_STATE))
    script = str(ROOT / "scripts" / "neo4j-local")
    files = HERE / "data" / f"import-{data.name}"
    code = (
        "import json,time;from channelgraph.io import load_dataset;"
        "from channelgraph.store.neo4j_import import write_import_files;"
        f"ds=load_dataset({str(data)!r});t=time.perf_counter();f=write_import_files(ds,{str(files)!r});"
        "print(json.dumps({'seconds':round(time.perf_counter()-t,3),'nodes':f.node_count,"
        "'relationships':f.relationship_count}))"
    )
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr[-1500:]}
    export = json.loads(proc.stdout.strip().splitlines()[-1])
    subprocess.run([script, "stop"], capture_output=True, env=env)
    # The first use builds the launcher with Maven: done here, untimed (the importer's help).
    subprocess.run([script, "import", "--help"], capture_output=True, env=env)
    t = time.perf_counter()
    imp = subprocess.run([script, "import", f"@{files / 'import.args'}"], capture_output=True, text=True, env=env)
    import_s = time.perf_counter() - t
    if imp.returncode:
        return {"error": (imp.stdout + imp.stderr)[-1500:]}
    t = time.perf_counter()
    subprocess.run([script, "start", "--no-auth", "--port", IMPORT_PORT], check=True, capture_output=True, env=env)
    start_s = time.perf_counter() - t
    try:
        code = (
            "import json,time;from channelgraph.io import load_dataset;"
            "from channelgraph.store.neo4j import Neo4jTarget,load_dataset_to_neo4j;"
            f"ds=load_dataset({str(data)!r});t=time.perf_counter();st=[];"
            f"c=load_dataset_to_neo4j(ds,Neo4jTarget('bolt://127.0.0.1:{IMPORT_PORT}'),"
            "progress=lambda s,*a:st.append(s));"
            "print(json.dumps({'seconds':round(time.perf_counter()-t,3),'stages':sorted(set(st)),"
            "'nodes':sum(v for k,v in c['nodes'].items() if k!='Entity'),"
            "'relationships':sum(c['relationships'].values())}))"
        )
        proc = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    finally:
        subprocess.run([script, "stop"], capture_output=True, env=env)
    if proc.returncode:
        return {"error": proc.stderr[-1500:]}
    finish = json.loads(proc.stdout.strip().splitlines()[-1])
    total = export["seconds"] + import_s + finish["seconds"]
    return {
        "export_s": export["seconds"],
        "import_s": round(import_s, 3),
        "server_start_s": round(start_s, 3),
        "finish_load_s": finish["seconds"],
        "finish_stages": finish["stages"],
        "seconds": round(total, 3),
        "nodes": finish["nodes"],
        "relationships": finish["relationships"],
        "relationships_per_s": round(finish["relationships"] / total),
        "relationships_per_s_with_start": round(finish["relationships"] / (total + start_s)),
    }


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import networkx
    import pandas
    import scipy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "networkx": networkx.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
    }


#: Stages of ``analyze --timings`` shown in the table, in order (others are summed into "other").
SHOWN = ["read+validate", "graph build", "risk", "marketing", "caps", "tables", "views", "report"]


def _pss_bytes(pid: int) -> int:
    """Proportional set size of one process (shared pages split among the processes sharing them)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            return sum(int(line.split()[1]) * 1024 for line in fh if line.startswith("Pss:"))
    except (OSError, ValueError, IndexError):
        return 0


def _tree_pss_bytes(pid: int) -> int:
    """PSS of a process and of its child processes (the side processes that write outputs)."""
    total = _pss_bytes(pid)
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                total += sum(_pss_bytes(int(child)) for child in fh.read().split())
    except OSError:
        pass
    return total


#: Seconds between two samples of the analyze process tree's memory.
PSS_EVERY = 0.25


def _analyze(data: Path, out: Path) -> dict:
    """The whole ``channelgraph analyze --timings`` in a fresh process: its stages and answers.

    While it runs, the memory of its process tree (PSS: the process and its side processes,
    pages they share counted once) is sampled every PSS_EVERY seconds; the largest sum is
    ``tree_peak_pss_bytes``.
    """
    t0 = time.perf_counter()
    with open(out.parent / f".{out.name}.stdout", "w+") as so, open(out.parent / f".{out.name}.stderr", "w+") as se:
        proc = subprocess.Popen(
            [PY, "-m", "channelgraph.cli", "analyze", str(data), "--out", str(out), "--timings"],
            stdout=so,
            stderr=se,
            text=True,
            cwd=str(ROOT),
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_pss_bytes(proc.pid))
            time.sleep(PSS_EVERY)
        wall = time.perf_counter() - t0
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read(), se.read()
    for f in (out.parent / f".{out.name}.stdout", out.parent / f".{out.name}.stderr"):
        f.unlink()
    if proc.returncode != 0:
        return {"error": (stderr or stdout)[-2000:], "wall": round(wall, 3)}
    timings = json.loads((out / "timings.json").read_text(encoding="utf-8"))
    return {"wall": round(wall, 3), "timings": timings, "answers": _answers(out), "tree_peak_pss_bytes": peak}


def _fen(text: str) -> int:
    from decimal import Decimal

    return int(Decimal(text) * 100) if text else 0


def _answers(out: Path) -> dict:
    """What analyze found, to compare with the baseline: group exposure and circle counts."""
    import csv

    with open(out / "risk_groups.csv", encoding="utf-8-sig", newline="") as fh:
        groups = [_fen(r["exposure"]) for r in csv.DictReader(fh)]
    with open(out / "guarantee_patterns.csv", encoding="utf-8-sig", newline="") as fh:
        patterns = [r["pattern"] for r in csv.DictReader(fh)]
    return {
        "groups_total_fen": sum(groups),
        "largest_group_fen": max(groups, default=0),
        "circles": patterns.count("circle"),
        "circle_blocks": patterns.count("circle_block"),
    }


def _betweenness_error(out: Path) -> dict | None:
    """channelgraph's (sampled) betweenness of the listed hubs against NetworkX's exact values."""
    import csv

    exact_file = out / "baseline_betweenness.json"
    if not exact_file.exists():
        return None
    exact = json.loads(exact_file.read_text(encoding="utf-8"))
    with open(out / "hubs.csv", encoding="utf-8-sig", newline="") as fh:
        ours = {r["id"]: float(r["betweenness"]) for r in csv.DictReader(fh)}
    ids = [i for i in ours if i in exact]
    err = [abs(ours[i] - exact[i]) for i in ids]
    rel = [abs(ours[i] - exact[i]) / exact[i] for i in ids if exact[i] > 1e-4]
    top_exact = sorted(exact, key=lambda x: (-exact[x], x))[:10]
    top_ours = sorted(ours, key=lambda x: (-ours[x], x))[:10]
    return {
        "nodes_compared": len(ids),
        "max_abs_error": max(err, default=0.0),
        "median_rel_error_above_1e-4": sorted(rel)[len(rel) // 2] if rel else 0.0,
        "nodes_above_1e-4": len(rel),
        "top10_overlap": len(set(top_exact) & set(top_ours)),
    }


def run_neo4j(sizes: list[int], seed: int, neo4j: str | None, bulk: bool) -> None:
    """Neo4j load throughput only (results/neo4j-<size>.json): the Cypher load into *neo4j*
    and/or the bulk import into the benchmark's own local server."""
    for n in sizes:
        print(f"== {n:,} customers (Neo4j load)", flush=True)
        data, _ = _generate(n, seed)
        path = HERE / "results" / f"neo4j-{n}.json"
        row = json.loads(path.read_text()) if path.exists() else {"customers": n, "seed": seed}
        if neo4j:
            row["cypher"] = _neo4j_load(data, neo4j)
            print(f"   cypher load {row['cypher']}", flush=True)
        if bulk:
            row["bulk_import"] = _neo4j_import(data)
            print(f"   bulk import {row['bulk_import']}", flush=True)
        (HERE / "results").mkdir(exist_ok=True)
        path.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")


def run(
    sizes: list[int], seed: int, neo4j: str | None, baseline_max: int, repeat: int = 1, keep_baseline: bool = False
) -> list[dict]:
    results = []
    for n in sizes:
        print(f"== {n:,} customers", flush=True)
        data, gen = _generate(n, seed)
        out = HERE / "data" / f"out-{n}"
        row = {"customers": n, "seed": seed, "generate": gen, "recorded": dt.date.today().isoformat()}
        runs = [_analyze(data, out) for _ in range(max(1, repeat))]
        ok = sorted((r for r in runs if "error" not in r), key=lambda r: r["wall"])
        # the run with the median process time stands for the size; every run's time is kept
        row["analyze"] = a = ok[(len(ok) - 1) // 2] if ok else runs[0]
        if len(runs) > 1:
            a["walls"] = [r["wall"] for r in runs]
        if "error" in a:
            print(f"   analyze ERROR {a['error'][-500:]}", flush=True)
        else:
            for st in a["timings"]["stages"]:
                print(
                    f"   {st['stage']:<14} {st['wall_s']:8.1f}s wall {st['cpu_s']:8.1f}s CPU "
                    f"peak {st['peak_rss_bytes'] / 2**30:5.2f} GiB",
                    flush=True,
                )
            print(
                f"   analyze        {a['wall']:8.1f}s (process)  peak est. "
                f"{a['timings']['total']['peak_rss_bytes'] / 2**30:5.2f} GiB, memory (PSS) "
                f"{a['tree_peak_pss_bytes'] / 2**30:5.2f} GiB",
                flush=True,
            )
        recorded = HERE / "results" / f"{n}.json"
        if n > baseline_max and keep_baseline and recorded.exists():
            old = json.loads(recorded.read_text(encoding="utf-8"))
            for key in ("baseline", "betweenness_error"):
                if key in old:
                    row[key] = old[key]
            if "baseline" in old:
                row["baseline_recorded"] = old.get("baseline_recorded") or old.get("recorded", "earlier")
        if n <= baseline_max:
            row["baseline_recorded"] = dt.date.today().isoformat()
            row["baseline"] = {}
            for stage in ("baseline-risk", "baseline-marketing"):
                r = _child([stage, str(data), str(out)])
                row["baseline"][stage] = r
                print(
                    f"   {stage:<18} {r.get('steps', {}).get(stage, r.get('wall', 0)):8.1f}s"
                    + (f"  ERROR {r['error'][-300:]}" if "error" in r else ""),
                    flush=True,
                )
            row["betweenness_error"] = _betweenness_error(out)
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / f"{n}.json").write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
        results.append(row)
    return results


def _stage_seconds(row: dict) -> dict[str, tuple[float, float]]:
    """Stage → (wall, CPU) seconds of a recorded analyze; unlisted stages summed into "other"."""
    got: dict[str, tuple[float, float]] = {}
    for st in row["analyze"]["timings"]["stages"]:
        key = st["stage"] if st["stage"] in SHOWN else "other"
        w, c = got.get(key, (0.0, 0.0))
        got[key] = (w + st["wall_s"], c + st["cpu_s"])
    return got


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "–"
    return f"{a / max(b, 1e-3):.1f}×"


#: Issue 8's targets: customers → (whole analyze seconds, peak GiB).
TARGETS = {100_000: (15, None), 1_000_000: (120, 8)}


def render(results_dir: Path, info: dict) -> str:
    sized = [p for p in results_dir.glob("*.json") if p.stem.isdigit()]
    rows = [json.loads(p.read_text()) for p in sorted(sized, key=lambda p: int(p.stem))]
    rows = [r for r in rows if "analyze" in r]
    lines = [
        "# Benchmark results",
        "",
        f"Rendered {info['date']} from `bench/results/` by `.venv/bin/python bench/run.py --sizes "
        f"{','.join(str(r['customers']) for r in rows)}" + "` (Neo4j rows: `--neo4j-only --neo4j … --neo4j-import`); "
        "each size as last recorded: "
        + ", ".join(f"{r['customers']:,} on {r.get('recorded', 'an earlier day')}" for r in rows)
        + ". Hand-written sections below the tables come from `bench/NOTES.md`.",
        "",
        f"Machine: {info['machine']['cpu']} · {info['machine']['cores']} cores · {info['machine']['memory']} · "
        f"Python {info['machine']['python']} · NetworkX {info['machine']['networkx']} · "
        f"pandas {info['machine']['pandas']} · SciPy {info['machine']['scipy']}",
        "",
        "## Whole `analyze`, stage by stage",
        "",
        "One `channelgraph analyze DATA --out OUT --timings` per size, in a fresh process; the stages are "
        "those it prints (wall seconds; CPU seconds in `results/<size>.json`). *process* is the command's "
        "wall time end to end (start-up and imports included). *peak est.* is its peak RSS (from "
        "`--timings`); *memory* is the largest sum of PSS over the process and any child processes "
        "(pages they share counted once), sampled every 0.25 s by the benchmark — the "
        "figure the memory target is checked against (the estimate where no sample was taken). The marketing "
        "room's view-only work (PageRank, reach, betweenness, communities) runs on a background thread from "
        "the graph build on, so its cost shows in the stages it overlaps (risk, tables) and in *marketing* "
        "only where the main thread waits for it; compare whole runs. Rows recorded before issue 24 "
        "(2026-12-07) had forked side processes write the tables and every second graph page (their CPU "
        "and an estimate of their private memory counted in *CPU s* and *peak est.*).",
        "",
        "| customers | " + " | ".join(SHOWN) + " | other | process s | CPU s | peak est. GiB | memory GiB | target |",
        "|---:|" + "---:|" * (len(SHOWN) + 6),
    ]
    for r in rows:
        a = r["analyze"]
        if "error" in a:
            lines.append(f"| {r['customers']:,} | error |" + " |" * (len(SHOWN) + 5))
            continue
        got = _stage_seconds(r)
        cpu = sum(c for _, c in got.values())
        peak = a["timings"]["total"]["peak_rss_bytes"] / 2**30
        memory = a["tree_peak_pss_bytes"] / 2**30 if a.get("tree_peak_pss_bytes") else None
        target = TARGETS.get(r["customers"])
        if target:
            ok = a["wall"] <= target[0] and (target[1] is None or (memory if memory is not None else peak) <= target[1])
            tgt = f"≤ {target[0]} s" + (f", ≤ {target[1]} GiB" if target[1] else "") + (" ✓" if ok else " ✗ not met")
        else:
            tgt = ""
        cells = [f"{got[s][0]:.1f}" if s in got else "–" for s in SHOWN + ["other"]]
        runs = f" (median of {', '.join(f'{w:.1f}' for w in sorted(a['walls']))})" if a.get("walls") else ""
        lines.append(
            f"| {r['customers']:,} | "
            + " | ".join(cells)
            + f" | {a['wall']:.1f}{runs} | {cpu:.1f} | {peak:.2f} | "
            + (f"{memory:.2f}" if memory is not None else "–")
            + f" | {tgt} |"
        )
    lines += _before_after(rows)
    base = [r for r in rows if r.get("baseline")]
    if base:
        lines += [
            "",
            "## Straightforward NetworkX baseline",
            "",
            "The same questions answered the plain way (see bench/baseline.py): exact betweenness, "
            "`simple_cycles` on the whole guarantee graph, a fresh graph conversion per call; it starts "
            "from an already built NetworkX graph, which channelgraph does not need. channelgraph's "
            "figures are the stages of the analyze run above.",
            "",
            "| customers | baseline risk s | channelgraph risk s | ratio | baseline marketing s "
            "| channelgraph marketing s | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in base:
            got = _stage_seconds(r)
            b = r["baseline"]
            br = b["baseline-risk"].get("steps", {}).get("baseline-risk")
            bm = b["baseline-marketing"].get("steps", {}).get("baseline-marketing")
            cr, cm = got.get("risk", (None,))[0], got.get("marketing", (None,))[0]
            lines.append(
                f"| {r['customers']:,} | {br if br is not None else 'error'} | {cr:.1f} | {_ratio(br, cr)} "
                f"| {bm if bm is not None else 'error'} | {cm:.1f} | {_ratio(bm, cm)} |"
            )
        for r in base:
            b = r["baseline"]
            br = b["baseline-risk"].get("steps", {}).get("baseline-risk")
            bm = b["baseline-marketing"].get("steps", {}).get("baseline-marketing")
            if br is not None and bm is not None:
                lines.append(
                    f"\nAt {r['customers']:,}: *channelgraph marketing s* is only what the main thread spends "
                    "in the room; the view work runs in the background and overlaps risk and tables. The "
                    f"fair comparison is whole runs: the baseline's risk + marketing take {br + bm:.1f} s "
                    f"from an already built graph, channelgraph's whole analyze (reading, tables, views and "
                    f"report included) {r['analyze']['wall']:.1f} s: {_ratio(br + bm, r['analyze']['wall'])}."
                    + (
                        f" (Baseline recorded {r['baseline_recorded']}, analyze {r.get('recorded', 'in this run')}.)"
                        if r.get("baseline_recorded")
                        else ""
                    )
                )
            ans = b["baseline-marketing"].get("answers", {}).get("baseline-marketing", {})
            if ans.get("betweenness_extrapolated"):
                lines.append(
                    f"\nAt {r['customers']:,} customers the baseline's exact betweenness was timed on 100 "
                    "sources and extrapolated to all (n/100 ×); the rest of the baseline ran in full."
                )
            risk_b = b["baseline-risk"].get("answers", {}).get("baseline-risk", {})
            risk_c = r["analyze"].get("answers", {})
            if risk_b and risk_c:
                same = (
                    risk_b["largest_group_fen"] == risk_c["largest_group_fen"]
                    and risk_b["groups_total_fen"] == risk_c["groups_total_fen"]
                )
                lines.append(
                    f"\nAt {r['customers']:,}: largest group and total group exposure "
                    f"{'identical' if same else 'DIFFERENT'} between baseline and channelgraph; "
                    f"circles {risk_b['circles']} (baseline, `simple_cycles`) vs {risk_c['circles']} "
                    f"(+{risk_c['circle_blocks']} blocks) in channelgraph."
                )
            e = r.get("betweenness_error")
            if e:
                lines.append(
                    f"\nAt {r['customers']:,}: channelgraph's betweenness of the {e['nodes_compared']:,} "
                    f"listed hubs against NetworkX's exact values: largest absolute error "
                    f"{e['max_abs_error']:.2e}, median relative error {e['median_rel_error_above_1e-4']:.1%} "
                    f"over the {e['nodes_above_1e-4']:,} hubs with betweenness above 1e-4; "
                    f"{e['top10_overlap']} of the exact top 10 are in channelgraph's top 10."
                )
    lines += _betweenness_errors(results_dir)
    lines += _neo4j_tables(results_dir)
    return "\n".join(lines) + "\n"


def _neo4j_tables(results_dir: Path) -> list[str]:
    """The Neo4j load measurements (results/neo4j-<size>.json)."""
    rows = [
        json.loads(p.read_text())
        for p in sorted(results_dir.glob("neo4j-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    ]
    cypher = [r for r in rows if r.get("cypher") and "error" not in r["cypher"]]
    bulk = [r for r in rows if r.get("bulk_import") and "error" not in r["bulk_import"]]
    if not (cypher or bulk):
        return []
    out = [
        "",
        "## Neo4j load",
        "",
        "Target: ≥ 30,000 relationships/s. Nodes count each node once; relationships include "
        "HAS_FACILITY, UNDER_SCHEME and FOR_CHANNEL.",
    ]
    if cypher:
        out += [
            "",
            "`channelgraph load` (batched, parameterised Cypher; `--neo4j URI` into a running server, `--replace`):",
            "",
            "| customers | nodes | relationships | seconds | nodes/s | relationships/s |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in cypher:
            x = r["cypher"]
            out.append(
                f"| {r['customers']:,} | {x['nodes']:,} | {x['relationships']:,} | {x['seconds']} "
                f"| {x['nodes_per_s']:,} | {x['relationships_per_s']:,} |"
            )
    if bulk:
        out += [
            "",
            "First load through Neo4j's offline importer (`--neo4j-import`): `channelgraph export-neo4j`, "
            "`scripts/neo4j-local import` into the stopped database, then the finishing `channelgraph load` "
            "(constraints, indexes, dataset record). *seconds* = export + import + finishing load; the "
            "server's start is listed apart and counted only in the last column.",
            "",
            "| customers | nodes | relationships | export s | import s | finishing load s | seconds "
            "| relationships/s | server start s | relationships/s with start |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in bulk:
            x = r["bulk_import"]
            out.append(
                f"| {r['customers']:,} | {x['nodes']:,} | {x['relationships']:,} | {x['export_s']:.1f} "
                f"| {x['import_s']:.1f} | {x['finish_load_s']:.1f} | {x['seconds']:.1f} "
                f"| **{x['relationships_per_s']:,}** | {x['server_start_s']:.1f} "
                f"| {x['relationships_per_s_with_start']:,} |"
            )
    return out


def _betweenness_errors(results_dir: Path) -> list[str]:
    """The tables of bench/betweenness_error.py (results/betweenness-error-<size>.json)."""
    from betweenness_error import table

    out = []
    for p in sorted(results_dir.glob("betweenness-error-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        res = json.loads(p.read_text())
        ref = "exact betweenness" if res["reference"] == "exact" else f"a {int(res['reference']):,}-source estimate"
        if not out:
            out += [
                "",
                "## Sampled betweenness: error by number of sources",
                "",
                "`bench/betweenness_error.py`: the marketing view's betweenness from *sources* sampled "
                "sources (mean over seeds) against a reference; *rel_err_top100* is the relative error of "
                "the reference's 100 highest-betweenness nodes, *top10*/*top100* how many of the "
                "reference's top nodes the sample also ranks there, *norm_max_abs* the largest error of "
                "`betweenness_norm`, *hubs_top10*/*hubs_top100* the overlap of the final hub list (whole "
                "score) and *score_max_abs* the largest change of a hub score. The default is "
                "`[marketing] betweenness_samples = 200`.",
            ]
        out += [
            "",
            f"{res['customers']:,} customers ({res['nodes']:,} nodes, {res['ties']:,} ties), against {ref}:",
            "",
            table(res),
        ]
    return out


def _before_after(rows: list[dict]) -> list[str]:
    """Before (the first recorded run, bench/results/before/) and after, per stage, where both exist."""
    before_dir = HERE / "results" / "before"
    before = {json.loads(p.read_text())["customers"]: json.loads(p.read_text()) for p in before_dir.glob("*.json")}
    pairs = [(before[r["customers"]], r) for r in rows if r["customers"] in before and "error" not in r["analyze"]]
    if not pairs:
        return []
    out = [
        "",
        "## Before and after",
        "",
        "*Before* is the first recorded run (2026-11-30, `bench/results/before/`: each stage in its own "
        "process after reading and building the NetworkX graph); *after* is the run above.",
        "",
        "| customers | stage | before s | after s | speed-up |",
        "|---:|---|---:|---:|---:|",
    ]
    for old, new in pairs:
        got = _stage_seconds(new)
        st = old["stages"]
        for label, b, a in (
            ("read+validate", st["validate"]["steps"].get("read+validate"), got.get("read+validate", (None,))[0]),
            ("graph build", st["build"]["steps"].get("graph build"), got.get("graph build", (0.0,))[0]),
            ("risk", st["risk"]["steps"].get("risk"), got.get("risk", (None,))[0]),
            ("marketing", st["marketing"]["steps"].get("marketing"), got.get("marketing", (None,))[0]),
            ("caps", st["caps"]["steps"].get("caps"), got.get("caps", (None,))[0]),
            ("views", st["viz"]["steps"].get("viz"), got.get("views", (None,))[0]),
            ("whole analyze", st["analyze"]["steps"].get("analyze"), new["analyze"]["wall"]),
        ):
            out.append(
                f"| {new['customers']:,} | {label} | {b if b is not None else '–'} | {a:.1f} | {_ratio(b, a)} |"
                if a is not None
                else f"| {new['customers']:,} | {label} | {b} | – | – |"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated customer counts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--neo4j", help="measure the Cypher load's throughput into this server (it is replaced!)")
    ap.add_argument(
        "--neo4j-import",
        action="store_true",
        help="measure a first load through Neo4j's offline importer (export-neo4j, "
        f"scripts/neo4j-local import) into the benchmark's own server ({IMPORT_STATE}, "
        f"port {IMPORT_PORT}; started and stopped here)",
    )
    ap.add_argument("--neo4j-only", action="store_true", help="only the Neo4j measurements (no analyze)")
    ap.add_argument("--baseline-max", type=int, default=100_000, help="run the baseline up to this size")
    ap.add_argument(
        "--keep-baseline",
        action="store_true",
        help="sizes above --baseline-max keep the baseline recorded in bench/results/ (RESULTS.md says when)",
    )
    ap.add_argument("--render-only", action="store_true", help="only rewrite RESULTS.md from bench/results/")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run analyze this many times per size and record the median run (the machine's "
        "wall times vary by ±20%% from run to run)",
    )
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if not args.render_only:
        if args.neo4j or args.neo4j_import:
            run_neo4j(sizes, args.seed, args.neo4j, args.neo4j_import)
        if not args.neo4j_only:
            run(sizes, args.seed, None, args.baseline_max, args.repeat, args.keep_baseline)
    info = {"date": dt.date.today().isoformat(), "machine": machine()}
    extra = HERE / "NOTES.md"
    text = render(HERE / "results", info) + ("\n" + extra.read_text(encoding="utf-8") if extra.exists() else "")
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
