"""channelgraph benchmarks: one command, results written to bench/RESULTS.md.

    .venv/bin/python bench/run.py                       # 10k and 100k customers
    .venv/bin/python bench/run.py --sizes 10000,100000,1000000 --neo4j bolt://127.0.0.1:7687

For each size it generates a seeded dataset (cached under bench/data/, git-ignored),
then runs every stage in a fresh process (bench/stage.py) and records wall time per
step and peak RSS: generate, read + validate, graph build, risk, marketing, caps, viz,
the whole ``analyze``, the straightforward-NetworkX baseline (sizes ≤ --baseline-max)
and, with --neo4j, the load throughput. Results go to bench/results/<size>.json and
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
    proc = subprocess.run([PY, str(HERE / "stage.py"), *args], capture_output=True, text=True, env=env,
                          cwd=str(HERE))
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
    code = ("import json,resource,sys,time;from channelgraph.generate import generate_dataset;"
            f"t=time.perf_counter();c=generate_dataset({str(data)!r},customers={n},seed={seed});"
            "print(json.dumps({'seconds':round(time.perf_counter()-t,3),"
            "'peak_rss_bytes':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss*1024}))")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    return data, json.loads(proc.stdout.strip().splitlines()[-1])


def _neo4j_load(data: Path, uri: str) -> dict:
    code = ("import json,time;from channelgraph.io import load_dataset;"
            "from channelgraph.store.neo4j import Neo4jTarget,load_dataset_to_neo4j;"
            f"ds=load_dataset({str(data)!r});t=time.perf_counter();"
            f"c=load_dataset_to_neo4j(ds,Neo4jTarget({uri!r},password=__import__('os').environ.get('NEO4J_PASSWORD')),replace=True);"
            "s=time.perf_counter()-t;n=sum(c['nodes'].values());r=sum(c['relationships'].values());"
            "print(json.dumps({'seconds':round(s,3),'nodes':n,'relationships':r,"
            "'nodes_per_s':round(n/s),'relationships_per_s':round(r/s)}))")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


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

    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "python": platform.python_version(),
            "networkx": networkx.__version__, "pandas": pandas.__version__, "scipy": scipy.__version__,
            "platform": platform.platform()}


STAGES = ["validate", "build", "risk", "marketing", "caps", "viz", "analyze"]


def run(sizes: list[int], seed: int, neo4j: str | None, baseline_max: int) -> list[dict]:
    results = []
    for n in sizes:
        print(f"== {n:,} customers", flush=True)
        data, gen = _generate(n, seed)
        row = {"customers": n, "seed": seed, "generate": gen, "stages": {}}
        for stage in STAGES:
            r = _child([stage, str(data), str(HERE / "data" / f"out-{n}")])
            row["stages"][stage] = r
            print(f"   {stage:<10} {r.get('wall', 0):8.1f}s  peak {r.get('peak_rss_bytes', 0) / 2**30:5.2f} GiB"
                  + (f"  ERROR {r['error'][-300:]}" if "error" in r else ""), flush=True)
        if n <= baseline_max:
            for stage in ("baseline-risk", "baseline-marketing"):
                r = _child([stage, str(data)])
                row["stages"][stage] = r
                print(f"   {stage:<10} {r.get('wall', 0):8.1f}s" + (f"  ERROR {r['error'][-300:]}" if "error" in r else ""),
                      flush=True)
        if neo4j:
            row["neo4j_load"] = _neo4j_load(data, neo4j)
            print(f"   neo4j load {row['neo4j_load']}", flush=True)
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / f"{n}.json").write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
        results.append(row)
    return results


def _fmt_s(r: dict, key: str) -> str:
    if "error" in r:
        return "error"
    return f"{r['steps'].get(key, r.get('wall', 0)):.1f}"


def render(results_dir: Path, info: dict) -> str:
    rows = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"), key=lambda p: int(p.stem))]
    lines = [
        "# Benchmark results",
        "",
        f"Recorded {info['date']} with `.venv/bin/python bench/run.py --sizes "
        f"{','.join(str(r['customers']) for r in rows)}`.",
        "",
        f"Machine: {info['machine']['cpu']} · {info['machine']['cores']} cores · {info['machine']['memory']} · "
        f"Python {info['machine']['python']} · NetworkX {info['machine']['networkx']} · "
        f"pandas {info['machine']['pandas']} · SciPy {info['machine']['scipy']}",
        "",
        "Each stage runs in a fresh process and includes what it needs before it (reading and building "
        "the graph); the seconds are those of the stage's own step, *peak* is the process's peak RSS. "
        "`analyze` is the whole command, end to end, including writing every output.",
        "",
        "| customers | generate s | read+validate s | graph build s | risk s | marketing s | caps s | viz s "
        "| analyze s | analyze peak GiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        st = r["stages"]
        gen = r["generate"].get("seconds")
        lines.append(
            f"| {r['customers']:,} | {gen if gen is not None else 'cached'} | {_fmt_s(st['validate'], 'read+validate')} "
            f"| {_fmt_s(st['build'], 'graph build')} | {_fmt_s(st['risk'], 'risk')} "
            f"| {_fmt_s(st['marketing'], 'marketing')} | {_fmt_s(st['caps'], 'caps')} | {_fmt_s(st['viz'], 'viz')} "
            f"| {_fmt_s(st['analyze'], 'analyze')} "
            f"| {st['analyze'].get('peak_rss_bytes', 0) / 2**30:.2f} |")
    base = [r for r in rows if "baseline-risk" in r["stages"]]
    if base:
        lines += ["", "## Straightforward NetworkX baseline", "",
                  "The same questions answered the plain way (see bench/baseline.py): exact betweenness, "
                  "`simple_cycles` on the whole guarantee graph, a fresh graph conversion per call.", "",
                  "| customers | baseline risk s | channelgraph risk s | ratio | baseline marketing s "
                  "| channelgraph marketing s | ratio |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for r in base:
            st = r["stages"]

            def ratio(a, b):
                try:
                    return f"{float(a) / max(float(b), 1e-3):.1f}×"
                except ValueError:
                    return "–"
            br, cr = _fmt_s(st["baseline-risk"], "baseline-risk"), _fmt_s(st["risk"], "risk")
            bm, cm = _fmt_s(st["baseline-marketing"], "baseline-marketing"), _fmt_s(st["marketing"], "marketing")
            lines.append(f"| {r['customers']:,} | {br} | {cr} | {ratio(br, cr)} | {bm} | {cm} | {ratio(bm, cm)} |")
        for r in base:
            ans = r["stages"]["baseline-marketing"].get("answers", {}).get("baseline-marketing", {})
            if ans.get("betweenness_extrapolated"):
                lines.append(f"\nAt {r['customers']:,} customers the baseline's exact betweenness was timed on 100 "
                             "sources and extrapolated to all (n/100 ×); the rest of the baseline ran in full.")
            risk_b = r["stages"]["baseline-risk"].get("answers", {}).get("baseline-risk", {})
            risk_c = r["stages"]["risk"].get("answers", {}).get("risk", {})
            if risk_b and risk_c:
                same = (risk_b["largest_group_fen"] == risk_c["largest_group_fen"]
                        and risk_b["groups_total_fen"] == risk_c["groups_total_fen"])
                lines.append(f"\nAt {r['customers']:,}: largest group and total exposure "
                             f"{'identical' if same else 'DIFFERENT'} between baseline and channelgraph; "
                             f"circles {risk_b['circles']} (baseline, all SCCs) vs {risk_c['circles']} "
                             f"(+{risk_c['circle_blocks']} blocks) in channelgraph.")
    loads = [r for r in rows if r.get("neo4j_load") and "error" not in r["neo4j_load"]]
    if loads:
        lines += ["", "## Neo4j load", "", "| customers | nodes | relationships | seconds | nodes/s | relationships/s |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for r in loads:
            x = r["neo4j_load"]
            lines.append(f"| {r['customers']:,} | {x['nodes']:,} | {x['relationships']:,} | {x['seconds']} "
                         f"| {x['nodes_per_s']:,} | {x['relationships_per_s']:,} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated customer counts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--neo4j", help="measure load throughput into this server (it is replaced!)")
    ap.add_argument("--baseline-max", type=int, default=100_000, help="run the baseline up to this size")
    ap.add_argument("--render-only", action="store_true", help="only rewrite RESULTS.md from bench/results/")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if not args.render_only:
        run(sizes, args.seed, args.neo4j, args.baseline_max)
    info = {"date": dt.date.today().isoformat(), "machine": machine()}
    extra = HERE / "NOTES.md"
    text = render(HERE / "results", info) + ("\n" + extra.read_text(encoding="utf-8") if extra.exists() else "")
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
