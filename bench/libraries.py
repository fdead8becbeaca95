"""The compiled marketing kernels against graph libraries on one book's relationship view.

    PYTHONPATH=src .venv/bin/python bench/libraries.py /work/bdata/bank-10000 /work/bdata/bank-100000
    PYTHONPATH=src:/path/to/igraph .venv/bin/python bench/libraries.py BOOK   # igraph too, if importable

The view: every relation of the book as an undirected tie weighted by
``policy.marketing.type_weights`` (parallel ties summed, no self-ties) — the shape of the
marketing view, built from the public :class:`~channelgraph.graph.Book` only. For each
algorithm, the kernel's public function and each library's, same inputs, wall seconds of
the call alone (graphs converted beforehand; the kernels warmed up once, as compiled code is
cached on disk), median of ``--repeat``:

* PageRank: :func:`channelgraph.marketing.centrality.pagerank` (tol 1e-12) vs
  ``networkx.pagerank`` (tol 1e-12) and igraph's PRPACK; max abs difference to the kernel;
* betweenness from ``--sources`` sampled sources (as analyze samples them):
  :func:`~channelgraph.marketing.centrality.source_dependencies` vs igraph's
  ``betweenness(sources=)`` and networkx' ``betweenness_centrality_subset`` (pure Python: on
  ``--nx-sources`` of them only, reported per source);
* Louvain: :func:`channelgraph.marketing.communities.louvain` vs igraph's multilevel and
  Leiden (modularity) and networkx' ``louvain_communities`` (up to ``--nx-louvain-max``
  nodes); modularity of each partition by one formula.

Prints a Markdown table (bench/RESULTS.md, "Issue 24: libraries vs kernels").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import networkx as nx
import numpy as np
import scipy.sparse as sp

from channelgraph.graph import load_book
from channelgraph.marketing.centrality import pagerank, source_dependencies
from channelgraph.marketing.communities import louvain

try:
    import igraph
except ImportError:  # optional: the table then has no igraph rows
    igraph = None


def view(book) -> sp.csr_matrix:
    """The symmetric weighted tie matrix of the tied nodes."""
    weights = book.policy.marketing.type_weights
    rows, cols, vals = [], [], []
    for rtype, rel in book.edges.items():
        w = float(weights.get(rtype, 1.0))
        if w > 0 and len(rel):
            rows += [rel.src, rel.dst]
            cols += [rel.dst, rel.src]
            vals += [np.full(len(rel), w)] * 2
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    keep = r != c
    n = book.n
    W = sp.csr_matrix((v[keep], (r[keep], c[keep])), shape=(n, n))
    W.sum_duplicates()
    tied = np.flatnonzero(np.diff(W.indptr) > 0)
    return W[tied][:, tied].tocsr()


def modularity(W: sp.csr_matrix, label: np.ndarray) -> float:
    k = np.asarray(W.sum(axis=1)).ravel()
    m2 = k.sum()
    C = W.tocoo()
    same = label[C.row] == label[C.col]
    _, lab = np.unique(label, return_inverse=True)
    K = np.bincount(lab, weights=k)
    return float(C.data[same].sum() / m2 - (K**2).sum() / m2**2)


def timed(repeat, fn, *args):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def labels_of(parts, n) -> np.ndarray:
    label = np.empty(n, dtype=np.int64)
    for i, p in enumerate(parts):
        label[np.fromiter(p, dtype=np.int64)] = i
    return label


def rows_for(path: str, args) -> list[str]:
    book = load_book(path)
    W = view(book)
    n = W.shape[0]
    A = sp.csr_matrix((np.ones(W.nnz, dtype=np.int8), W.indices, W.indptr), shape=W.shape)
    sources = np.sort(np.random.default_rng(42).choice(n, size=min(args.sources, n), replace=False))
    up = W.tocoo()
    up_mask = up.row < up.col
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(up.row[up_mask].tolist(), up.col[up_mask].tolist(), up.data[up_mask].tolist()))
    ig = None
    if igraph is not None:
        ig = igraph.Graph(n=n, edges=np.column_stack((up.row[up_mask], up.col[up_mask])).tolist())
        ig.es["weight"] = up.data[up_mask].tolist()
    name = f"{path} ({n:,} tied nodes, {W.nnz // 2:,} ties)"
    out = []

    def row(algorithm, method, seconds, note=""):
        out.append(f"| {name} | {algorithm} | {method} | {seconds:.2f} | {note} |")

    # PageRank
    pagerank(W)
    t, pr = timed(args.repeat, pagerank, W)
    row("PageRank", "kernel (conjugate gradients)", t)
    t, ref = timed(args.repeat, lambda: nx.pagerank(G, weight="weight", tol=1e-12, max_iter=10_000))
    row(
        "PageRank",
        "networkx.pagerank",
        t,
        f"max abs diff {np.abs(pr - np.array([ref[i] for i in range(n)])).max():.1e}",
    )
    if ig is not None:
        t, ref = timed(args.repeat, lambda: ig.pagerank(weights="weight", damping=0.85))
        row("PageRank", "igraph PRPACK", t, f"max abs diff {np.abs(pr - np.asarray(ref)).max():.1e}")
    # betweenness from the same sampled sources
    source_dependencies(A, sources[:2])
    t, bc = timed(args.repeat, source_dependencies, A, sources)
    row("betweenness", f"kernel, {len(sources)} sources", t)
    if ig is not None:
        t, ref = timed(args.repeat, lambda: ig.betweenness(directed=False, sources=sources.tolist()))
        rel = np.abs(bc - 2 * np.asarray(ref)).max() / max(bc.max(), 1e-300)
        row("betweenness", f"igraph, {len(sources)} sources", t, f"max diff / max {rel:.1e}")
    few = sources[: args.nx_sources]
    t, _ = timed(1, lambda: nx.betweenness_centrality_subset(G, few.tolist(), list(G), normalized=False))
    row(
        "betweenness",
        f"networkx subset, {len(few)} sources",
        t,
        f"{t / len(few):.2f} s per source: ≈ {t / len(few) * len(sources):.0f} s for {len(sources)}",
    )
    # Louvain
    louvain(W, 42)
    t, lab = timed(args.repeat, louvain, W, 42)
    row("Louvain", "kernel (multilevel)", t, f"modularity {modularity(W, lab):.4f}")
    if ig is not None:
        t, part = timed(args.repeat, lambda: ig.community_multilevel(weights="weight"))
        row("Louvain", "igraph multilevel", t, f"modularity {modularity(W, np.asarray(part.membership)):.4f}")
        t, part = timed(
            args.repeat, lambda: ig.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
        )
        row("Louvain", "igraph Leiden (modularity)", t, f"modularity {modularity(W, np.asarray(part.membership)):.4f}")
    if n <= args.nx_louvain_max:
        t, parts = timed(1, lambda: nx.community.louvain_communities(G, weight="weight", seed=42))
        row("Louvain", "networkx louvain_communities", t, f"modularity {modularity(W, labels_of(parts, n)):.4f}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("books", nargs="+")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sources", type=int, default=200, help="sampled betweenness sources (policy default 200)")
    ap.add_argument("--nx-sources", type=int, default=10)
    ap.add_argument("--nx-louvain-max", type=int, default=20_000)
    args = ap.parse_args(argv)
    print("| view | algorithm | method | s | note |")
    print("|---|---|---|---:|---|")
    for path in args.books:
        for line in rows_for(path, args):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
