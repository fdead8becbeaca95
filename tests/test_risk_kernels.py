"""The risk room's fast kernels against their plain references (NetworkX, pandas, scalar code).

Each vectorised or hand-written kernel that replaced a NetworkX call or a per-row Python loop
is compared here, on many small random inputs, with the straightforward way of computing the
same thing; the outputs must be identical.
"""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from channelgraph.graph import build_book
from channelgraph.graph.ids import key_order, positions_in, string_keys
from channelgraph.io import dataset_from_frames
from channelgraph.model import format_yuan_human
from channelgraph.policy import Policy
from channelgraph.risk import contagion, debt_rank
from channelgraph.risk._numbers import (
    percent_floor,
    percent_floors,
    percent_text,
    percent_texts,
    ratio_pairs,
    ratio_text,
    ratio_texts,
    texts_by_value,
    yuan_human_texts,
)
from channelgraph.risk.concentration import _buckets
from channelgraph.risk.groups import _lists_by_index, _ties, group_labels
from channelgraph.risk.guarantees import bounded_circles
from channelgraph.risk.sources import _top_industry, controlled_pairs

SEEDS = range(60)


# ----------------------------------------------------------------------------- guarantee circles


def _random_digraph(rng: random.Random) -> tuple[list[int], list[int], list[int]]:
    k = rng.randint(1, 9)
    nodes = sorted(rng.sample(range(100), k))
    p = rng.choice([0.15, 0.3, 0.5, 0.8])
    src, dst = [], []
    for a in nodes:
        for b in nodes:
            if a != b and rng.random() < p:
                src.append(a)
                dst.append(b)
    return nodes, src, dst


def _nx_circles(nodes, src, dst, max_len):
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(zip(src, dst))
    out = set()
    for cyc in nx.simple_cycles(g, length_bound=max_len):
        if len(cyc) >= 3:
            k = cyc.index(min(cyc))
            out.add(tuple(cyc[k:] + cyc[:k]))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_bounded_circles_match_networkx(seed):
    rng = random.Random(seed)
    nodes, src, dst = _random_digraph(rng)
    for max_len in (3, 4, 5, 8):
        want = _nx_circles(nodes, src, dst, max_len)
        got = bounded_circles(nodes, src, dst, max_len, 10**9)
        assert len(got) == len(set(map(tuple, got))), "each circle once"
        assert set(map(tuple, got)) == want
        assert all(c[0] == min(c) for c in got), "each circle starts at its smallest member"
        # the limit: None exactly when there are more circles than it
        for limit in (0, len(want) - 1, len(want)):
            if limit >= 0:
                res = bounded_circles(nodes, src, dst, max_len, limit)
                assert (res is None) == (len(want) > limit)


def test_bounded_circles_dense_block_stops_early():
    nodes = list(range(30))
    src = [a for a in nodes for b in nodes if a != b]
    dst = [b for a in nodes for b in nodes if a != b]
    assert bounded_circles(nodes, src, dst, 8, 200) is None


# ----------------------------------------------------------------------------- ids as integer keys


def _random_ids(rng: random.Random, k: int) -> list[str]:
    alphabets = ["PE0123456789", "abcXYZ-_.", "张李王赵商会市场", "😀🚀ab"]
    alpha = rng.choice(alphabets) + (rng.choice(alphabets) if rng.random() < 0.3 else "")
    out = set()
    while len(out) < k:
        out.add("".join(rng.choice(alpha) for _ in range(rng.randint(1, rng.choice([4, 8, 12, 30])))))
    return list(out)


@pytest.mark.parametrize("seed", SEEDS)
def test_string_keys_sort_like_python_and_positions_match_get_indexer(seed):
    rng = random.Random(seed)
    ids = _random_ids(rng, rng.randint(1, 60))
    (keys,) = string_keys(np.asarray(ids, dtype=object))
    order = key_order(keys)
    assert [ids[i] for i in order] == sorted(ids)
    sorted_ids = np.asarray(sorted(ids), dtype=object)
    queries = [rng.choice(ids) for _ in range(50)] + _random_ids(rng, 5) + [""]
    want = pd.Index(sorted_ids, dtype=object).get_indexer(np.asarray(queries, dtype=object))
    assert positions_in(sorted_ids, queries).tolist() == want.tolist()
    # with the ids packed beforehand (as the book keeps them)
    (packed,) = string_keys(sorted_ids)
    assert positions_in(sorted_ids, queries, packed).tolist() == want.tolist()


def test_positions_in_empty_inputs():
    assert positions_in(np.asarray([], dtype=object), ["a"]).tolist() == [-1]
    assert positions_in(np.asarray(["a"], dtype=object), []).tolist() == []


# ----------------------------------------------------------------------------- exact texts


def test_vectorised_texts_match_scalar_ones():
    rng = random.Random(7)
    parts = [rng.randint(0, 10 ** rng.randint(0, 15)) for _ in range(3000)] + [0, 2**62, 10**17]
    wholes = [rng.randint(1, 10 ** rng.randint(0, 15)) for _ in range(len(parts))]
    assert ratio_pairs(parts, wholes) == [ratio_text(a, b) for a, b in zip(parts, wholes)]
    assert ratio_pairs(parts, wholes, 2) == [ratio_text(a, b, 2) for a, b in zip(parts, wholes)]
    assert percent_floors(parts, wholes) == [percent_floor(a, b) for a, b in zip(parts, wholes)]
    assert percent_texts(parts, wholes) == [percent_text(a, b) for a, b in zip(parts, wholes)]
    assert percent_texts([1, -1, 0], [0, 3, 0]) == [percent_text(1, 0), percent_text(-1, 3), percent_text(0, 0)]
    for whole in (1, 3, 10**12, 2**61 + 1):
        assert ratio_texts(parts, whole) == [ratio_text(a, whole) for a in parts]
        assert ratio_texts(parts, whole, 0) == [ratio_text(a, whole, 0) for a in parts]
    assert ratio_texts(parts, 0) == [ratio_text(a, 0) for a in parts]
    assert percent_floors([1, -1], [0, 3]) == [percent_floor(1, 0), percent_floor(-1, 3)]
    assert yuan_human_texts(parts[:500]) == [format_yuan_human(a) for a in parts[:500]]
    shares = np.asarray([0.5, np.nan, 0.25, 0.5, -0.0, 0.0, np.nan])
    fmt = lambda x: f"{x:.6f}" if x == x else ""
    assert texts_by_value(shares, fmt) == [fmt(x) for x in shares.tolist()]


def test_lists_by_index_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    keys = np.sort(rng.integers(0, 40, 300))
    values = np.asarray([f"v{i}" for i in range(300)], dtype=object)
    wanted = rng.permutation(40)[:25]
    got = _lists_by_index(keys, values, wanted, 40, 5)
    for w, lst in zip(wanted.tolist(), got):
        vals = [v for k, v in zip(keys.tolist(), values.tolist()) if k == w]
        assert lst == (vals if len(vals) <= 5 else vals[:5] + [f"… and {len(vals) - 5} more (see connection_ties)"])


# ----------------------------------------------------------------------------- graph kernels on banks


def _bank(seed: int):
    rng = random.Random(seed)
    persons = [f"P{i}" for i in range(rng.randint(2, 12))]
    firms = [f"E{i}" for i in range(rng.randint(2, 15))]
    parties = persons + firms
    ent = [
        {
            "id": p,
            "kind": "person" if p[0] == "P" else "enterprise",
            "name": p,
            "is_customer": rng.choice(["true", "false"]),
            "net_assets": str(rng.randint(0, 900)),
            "industry": rng.choice(["", "纺织", "印染", "服装"]),
        }
        for p in parties
    ]
    rels = {}
    for _ in range(rng.randint(0, 60)):
        t = rng.choice(["CONTROLS", "GUARANTEES", "SUPPLIES", "FAMILY", "CONTROLS"])
        s = rng.choice(persons if t == "FAMILY" else parties)
        d = rng.choice(persons if t == "FAMILY" else firms if t == "CONTROLS" else parties)
        k = (min(s, d), max(s, d), t) if t == "FAMILY" else (s, d, t)
        if s == d or k in rels:
            continue
        rels[k] = {
            "src": s,
            "dst": d,
            "type": t,
            "amount": str(rng.randint(1, 800)) if t == "GUARANTEES" else "",
            "share": rng.choice(["0.3", "0.51", "0.8", "1"]) if t in ("CONTROLS", "SUPPLIES") else "",
        }
    customers = [e["id"] for e in ent if e["is_customer"] == "true"]
    exp = [
        {"facility_id": f"F{i}", "customer_id": c, "outstanding": str(rng.randint(0, 500))}
        for i, c in enumerate(customers)
    ]
    return build_book(
        dataset_from_frames(
            pd.DataFrame(ent),
            pd.DataFrame(list(rels.values()), columns=["src", "dst", "type", "amount", "share"]),
            pd.DataFrame(exp, columns=["facility_id", "customer_id", "outstanding"]),
            policy=Policy.from_mapping({"tier1_capital": "1000.00"}),
        )
    )


@pytest.mark.parametrize("seed", range(25))
def test_graph_kernels_match_networkx(seed):
    book = _bank(seed)
    policy = book.policy

    # groups: components of the joining ties
    ties = _ties(book, policy)
    labels = group_labels(book, ties)
    g = nx.Graph()
    g.add_nodes_from(range(book.n))
    g.add_edges_from(zip(ties.src[ties.joins].tolist(), ties.dst[ties.joins].tolist()))
    want = sorted(sorted(c) for c in nx.connected_components(g))
    got = sorted(sorted(np.flatnonzero(labels == x).tolist()) for x in np.unique(labels))
    assert got == want

    # transitive control up to MAX_CONTROL_DEPTH levels
    from channelgraph.risk.sources import MAX_CONTROL_DEPTH

    e = book.of("CONTROLS")
    m = ~np.isnan(e.share) & (e.share > float(policy.connection.control_share_above))
    dg = nx.DiGraph()
    dg.add_edges_from(zip(e.src[m].tolist(), e.dst[m].tolist()))
    pairs = set()
    for a in dg.nodes:
        for b, depth in nx.single_source_shortest_path_length(dg, a, cutoff=MAX_CONTROL_DEPTH).items():
            if b != a and depth >= 1:
                pairs.add((a, b))
    s, d = controlled_pairs(book, policy)
    assert set(zip(s.tolist(), d.tolist())) == pairs

    # top industry of each source's dependents, against a pandas groupby
    rng = np.random.default_rng(seed)
    src = rng.integers(0, book.n, 40)
    cus = rng.integers(0, book.n, 40)
    sc = np.unique(src * book.n + cus)
    src, cus = sc // book.n, sc % book.n
    amt = book.outstanding[cus]
    name, top = _top_industry(book, src, cus, amt)
    df = pd.DataFrame({"s": src, "ind": book.industry[cus], "o": amt})
    df = df[df["ind"] != ""]
    agg = (
        df.groupby(["s", "ind"])["o"].sum().reset_index().sort_values(["s", "o", "ind"], ascending=[True, False, True])
    )
    agg = agg.drop_duplicates("s")
    want = {int(a): (b, int(o)) for a, b, o in zip(agg["s"], agg["ind"], agg["o"])}
    got = {i: (name[i], int(top[i])) for i in range(book.n) if name[i] != ""}
    assert got == want


def test_concentration_buckets_match_plain_sums():
    rng = np.random.default_rng(11)
    codes = rng.integers(0, 6, 500)
    cust = rng.integers(0, 80, 500)
    amt = rng.integers(0, 10**12, 500)
    bcode, customers, exposure, squares, tops, top_ids = _buckets(codes, cust, amt, 10)
    for k, b in enumerate(bcode.tolist()):
        per: dict[int, int] = {}
        for c, a in zip(cust[codes == b].tolist(), amt[codes == b].tolist()):
            per[c] = per.get(c, 0) + a
        ranked = sorted(per, key=lambda c: (-per[c], c))
        assert customers[k] == len(per) and exposure[k] == sum(per.values())
        assert squares[k] == sum(v * v for v in per.values())
        assert tops[k] == sum(per[c] for c in ranked[:10]) and top_ids[k].tolist() == ranked[:10]


@pytest.mark.parametrize("seed", range(10))
def test_debt_rank_does_not_depend_on_chunking(seed, monkeypatch):
    book = _bank(seed)
    whole = debt_rank(book)
    monkeypatch.setattr(contagion, "DEBTRANK_BLOCK_CELLS", 1)
    assert debt_rank(book).equals(whole)


@pytest.mark.parametrize("customers, seed", [(2000, 7), (3000, 11)])
def test_bounded_circles_are_networkx_cycles_on_generated_books(tmp_path, customers, seed):
    """Every strongly connected guarantee block of a generated bank (as guarantee_patterns
    enumerates them): the same circles as ``networkx.simple_cycles(length_bound=)``, as sets.
    bench/circles.py times both on the 10k and 100k books (ours 13–30× faster)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from channelgraph.generate import generate_dataset
    from channelgraph.graph import load_book
    from channelgraph.model import RelationType

    generate_dataset(tmp_path, customers=customers, seed=seed)
    book = load_book(tmp_path)
    e = book.of(RelationType.GUARANTEES)
    n = len(book.ids)
    adj = coo_matrix((np.ones(len(e.src), dtype=np.int8), (e.src, e.dst)), shape=(n, n)).tocsr()
    _, scc = connected_components(adj, directed=True, connection="strong")
    size = np.bincount(scc)
    max_len = book.policy.guarantee.max_circle_length
    inner = scc[e.src] == scc[e.dst]
    blocks = np.flatnonzero((size >= 3) & (size <= book.policy.guarantee.max_scc_enumerate))
    assert len(blocks) >= 5
    circles = 0
    for c in blocks.tolist():
        members = np.flatnonzero(scc == c).tolist()
        m = inner & (scc[e.src] == c)
        src, dst = e.src[m].tolist(), e.dst[m].tolist()
        got = bounded_circles(members, src, dst, max_len, 10**9)
        assert len(got) == len(set(map(tuple, got)))
        assert set(map(tuple, got)) == _nx_circles(members, src, dst, max_len)
        circles += len(got)
    assert circles > 0
