"""How far channelgraph's sampled betweenness is from the exact values, by number of sources.

    .venv/bin/python bench/betweenness_error.py --size 10000                # exact reference
    .venv/bin/python bench/betweenness_error.py --size 100000 --reference 20000

The hub score weighs betweenness at ``score_weights.betweenness`` (0.15 by default) after
dividing it by its maximum, so what matters to an account manager is whether the hubs at
the top of the list, and their order, change when fewer sources are sampled. For the
marketing view of a generated book (bench/data/bank-N-s1, made by bench/run.py) this
computes a reference betweenness — exact (every node a source, the kernel the tests check
against ``networkx.betweenness_centrality``) or, where exact is too slow, from many
sampled sources — and then, for each number of sources and several seeds:

* ``rel_err_top100`` — median and 90th-percentile relative error of the betweenness of
  the reference's 100 highest-betweenness nodes;
* ``top10`` / ``top100`` — how many of the reference's top 10 / 100 by betweenness are
  also in the sample's;
* ``norm_max_abs`` — the largest error of ``betweenness_norm`` (what enters the score);
* ``hubs_top10`` / ``hubs_top100`` — overlap of the final hub list (the whole score) with
  the hub list computed from the reference betweenness;
* ``score_max_abs`` — the largest change of any node's hub score.

Results go to bench/results/betweenness-error-<size>.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _hub_scores(ds, view, bc: np.ndarray) -> np.ndarray:
    """The hub score of every node when betweenness is *bc* (the rest as channelgraph computes it)."""
    from channelgraph.marketing import hub_scores

    return hub_scores(view, ds.policy, betweenness=(bc, {"method": "given"})).score


def _top(values: np.ndarray, k: int) -> np.ndarray:
    return np.lexsort((np.arange(values.size), -values))[:k]


def measure(size: int, samples: list[int], seeds: list[int], reference: str) -> dict:
    from channelgraph.graph import build_book
    from channelgraph.io import load_dataset
    from channelgraph.marketing import build_view
    from channelgraph.marketing.centrality import betweenness

    ds = load_dataset(HERE / "data" / f"bank-{size}-s1")
    view = build_view(build_book(ds), ds.policy.marketing.type_weights)
    adj = view.adjacency
    n = adj.shape[0]
    cache = HERE / "data" / f"betweenness-{size}-{reference}.npy"
    t0 = time.perf_counter()
    if cache.exists():
        ref = np.load(cache)
        ref_how = {"method": reference, "cached": True}
    else:
        if reference == "exact":
            ref, ref_how = betweenness(adj, samples=n, seed=0, exact_max_nodes=n)
        else:
            ref, ref_how = betweenness(adj, samples=int(reference), seed=987_654_321)
        np.save(cache, ref)
        ref_how["seconds"] = round(time.perf_counter() - t0, 1)
    ref_score = _hub_scores(ds, view, ref)
    ref_top100 = _top(ref, 100)
    ref_norm = ref / ref.max()
    rows = []
    for k in samples:
        for seed in seeds:
            t0 = time.perf_counter()
            bc, how = betweenness(adj, samples=k, seed=seed)
            secs = time.perf_counter() - t0
            rel = np.abs(bc[ref_top100] - ref[ref_top100]) / ref[ref_top100]
            score = _hub_scores(ds, view, bc)
            rows.append(
                {
                    "sources": k,
                    "seed": seed,
                    "seconds": round(secs, 2),
                    "rel_err_top100_median": round(float(np.median(rel)), 4),
                    "rel_err_top100_p90": round(float(np.quantile(rel, 0.9)), 4),
                    "top10": len(set(_top(bc, 10)) & set(_top(ref, 10))),
                    "top100": len(set(_top(bc, 100)) & set(ref_top100)),
                    "norm_max_abs": round(float(np.abs(bc / bc.max() - ref_norm).max()), 4),
                    "hubs_top10": len(set(_top(score, 10)) & set(_top(ref_score, 10))),
                    "hubs_top100": len(set(_top(score, 100)) & set(_top(ref_score, 100))),
                    "score_max_abs": round(float(np.abs(score - ref_score).max()), 4),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return {
        "customers": size,
        "nodes": int(n),
        "ties": int(adj.nnz // 2),
        "reference": reference,
        "reference_how": ref_how,
        "rows": rows,
    }


def table(result: dict) -> str:
    """Mean over seeds per number of sources, as a markdown table."""
    by: dict[int, list[dict]] = {}
    for r in result["rows"]:
        by.setdefault(r["sources"], []).append(r)
    keys = [
        "seconds",
        "rel_err_top100_median",
        "rel_err_top100_p90",
        "top10",
        "top100",
        "norm_max_abs",
        "hubs_top10",
        "hubs_top100",
        "score_max_abs",
    ]
    lines = ["| sources | " + " | ".join(keys) + " |", "|---:|" + "---:|" * len(keys)]
    for k in sorted(by):
        rs = by[k]
        cells = [f"{sum(r[c] for r in rs) / len(rs):.3g}" for c in keys]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--samples", default="25,50,100,200,500")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--reference", default="exact", help="'exact' or a number of sampled sources")
    a = ap.parse_args()
    res = measure(a.size, [int(x) for x in a.samples.split(",")], [int(x) for x in a.seeds.split(",")], a.reference)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"betweenness-error-{a.size}.json").write_text(
        json.dumps(res, indent=2) + "\n", encoding="utf-8"
    )
    print(f"{res['nodes']:,} nodes, {res['ties']:,} ties, reference {res['reference']}")
    print(table(res))


if __name__ == "__main__":
    main()
