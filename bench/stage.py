"""Run one benchmark stage in a fresh process and print its timings and peak RSS as JSON.

Usage: python bench/stage.py STAGE DATA [OUT]

STAGE is one of: validate, build, risk, marketing, caps, viz, analyze, baseline-risk,
baseline-marketing. Each stage runs what it needs before it (a risk stage reads,
validates and builds the graph first); the JSON reports the seconds of each step and
the process's peak resident memory (ru_maxrss), i.e. the peak up to and including the
stage. Called by bench/run.py; not meant to be timed in tests.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> dict:
    stage, data = argv[0], Path(argv[1])
    out = Path(argv[2]) if len(argv) > 2 else None
    steps: dict[str, float] = {}
    answers: dict = {}

    def timed(name, fn, *a, **kw):
        t0 = time.perf_counter()
        r = fn(*a, **kw)
        steps[name] = round(time.perf_counter() - t0, 3)
        return r

    from channelgraph.io import load_dataset

    if stage == "analyze":
        from click.testing import CliRunner

        from channelgraph.cli import main as cli

        t0 = time.perf_counter()
        r = CliRunner().invoke(cli, ["analyze", str(data), "--out", str(out or data.parent / "out")])
        steps["analyze"] = round(time.perf_counter() - t0, 3)
        if r.exit_code != 0:
            raise SystemExit(r.output)
    else:
        ds = timed("read+validate", load_dataset, data)
        if stage in ("risk", "marketing", "caps", "viz"):
            # earlier rooms run first (their results feed later ones); each room is timed alone
            from channelgraph.analyses import registry
            from channelgraph.graph import build_book

            book = timed("graph build", build_book, ds)
            prior: dict = {}
            for a in registry():
                prior[a.name] = timed(a.name, a.run, book, ds.policy, prior)
                if a.name == stage:
                    break
            if "risk" in prior:
                rg, pats = prior["risk"].groups, prior["risk"].patterns
                answers["risk"] = {
                    "groups_total_fen": int(sum(rg["exposure_fen"].tolist())),
                    "largest_group_fen": int(rg["exposure_fen"].max()),
                    "circles": int((pats["pattern"] == "circle").sum()),
                    "circle_blocks": int((pats["pattern"] == "circle_block").sum()),
                }
            if stage == "viz":
                from channelgraph.viz import write_views

                timed("viz", write_views, book, prior, out or data.parent / "out-viz")
        elif stage != "validate":
            from channelgraph.store import build_graph

            g = timed("graph build", build_graph, ds)
            if stage.startswith("baseline-"):
                import baseline

                extra = {"out": out} if stage == "baseline-marketing" and out else {}
                answers[stage] = timed(stage, getattr(baseline, stage.replace("-", "_")), g, ds, **extra)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"stage": stage, "steps": steps, "peak_rss_bytes": peak, "answers": answers}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    print(json.dumps(main(sys.argv[1:])))
