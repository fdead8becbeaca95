"""Writing: ids, names, phones and ID cards drawn while streaming rows to the dataset files.

``entities.csv``, ``relations.csv``, ``exposures.csv``, ``schemes.csv`` and ``policy.toml``,
a chunk of rows at a time so that memory stays bounded at a million customers. Names and
the since-dates left open by the stages are drawn here, in file order.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np

from ..model import EXPOSURE_COLUMNS, EXPOSURE_OPTIONAL, Exempt, ExposureType, RelationType, format_yuan
from .vocabulary import (
    _CHUNK,
    _DATES,
    _ENT_SEGMENTS,
    _FEMALE,
    _HOMETOWNS,
    _INDUSTRIES,
    _IND_WORDS,
    _MALE,
    _PERSON_SEGMENTS,
    _PHONE_PREFIX,
    _PRODUCTS,
    _REGIONS,
    _ROLES,
    _SHARE_TEXT,
    _SINCE,
    _STATUS,
    _SURNAME_CHARS,
    _SURNAME_CUM_NP,
    _TYPES,
    _ZIHAO,
    _day,
)
from .world import Edges, World


def party_ids(world: World) -> list[str]:
    """Ids of every node in index order: P…, E…, C…, M…, I… with zero padding to the book's size."""
    n_persons, n_enterprises = world.n_persons, world.n_enterprises
    wp, we = max(6, len(str(n_persons))), max(6, len(str(n_enterprises)))
    wc = max(4, len(str(max(world.n_chambers, world.n_markets, world.n_intermediaries))))
    out = [f"P{i:0{wp}d}" for i in range(1, n_persons + 1)]
    out += [f"E{i:0{we}d}" for i in range(1, n_enterprises + 1)]
    out += [f"C{i:0{wc}d}" for i in range(1, world.n_chambers + 1)]
    out += [f"M{i:0{wc}d}" for i in range(1, world.n_markets + 1)]
    out += [f"I{i:0{wc}d}" for i in range(1, world.n_intermediaries + 1)]
    return out


def person_columns(world: World, c0: int, c1: int):
    """Names, phones and ID-card numbers of persons c0..c1-1, drawn in one go."""
    rng, n = world.rng, c1 - c0
    fem = world.female[c0:c1]
    sur = np.minimum(
        np.searchsorted(_SURNAME_CUM_NP, rng.random(n) * _SURNAME_CUM_NP[-1], side="right"), len(_SURNAME_CHARS) - 1
    )
    g1 = np.where(fem, rng.integers(0, len(_FEMALE), n), len(_FEMALE) + rng.integers(0, len(_MALE), n))
    g2 = np.where(fem, rng.integers(0, len(_FEMALE), n), len(_FEMALE) + rng.integers(0, len(_MALE), n))
    g2 = np.where(rng.random(n) < 0.3, -1, g2)
    chars = list(_FEMALE + _MALE) + [""]
    names = [_SURNAME_CHARS[a] + chars[b] + chars[c] for a, b, c in zip(sur.tolist(), g1.tolist(), g2.tolist())]
    pfx = rng.integers(0, len(_PHONE_PREFIX), n).tolist()
    num = rng.integers(0, 100_000_000, n).tolist()
    phones = [f"{_PHONE_PREFIX[a]}{b:08d}" for a, b in zip(pfx, num)]
    home = world.hometown[c0:c1]
    use_home = (home >= 0) & (rng.random(n) < 0.8)
    area = np.where(use_home, len(_REGIONS) + np.maximum(home, 0), world.region[c0:c1]).tolist()
    codes = [x[2] for x in _REGIONS] + [x[1] for x in _HOMETOWNS]
    month = rng.integers(1, 13, n).tolist()
    day = rng.integers(1, 29, n).tolist()
    seq = (rng.integers(0, 500, n) * 2 + np.where(fem, 0, 1)).tolist()
    check = rng.integers(0, 11, n).tolist()
    cards = [
        f"{codes[a]}{b}{m:02d}{d:02d}{q:03d}{'0123456789X'[k]}"
        for a, b, m, d, q, k in zip(area, world.birth[c0:c1].tolist(), month, day, seq, check)
    ]
    return names, phones, cards


def company_name(world: World, j: int) -> str:
    """Name of enterprise j (planted groups share their 字号, drawn from a per-group stream)."""
    r = world.names
    reg = _REGIONS[int(world.region[world.n_persons + j])]
    ind = _INDUSTRIES[int(world.industry[world.n_persons + j])]
    key = int(world.name_key[j])
    if key >= 0:
        kr = random.Random(world.seed * 1_000_003 + key)
        z = kr.choice(_ZIHAO) + kr.choice(_ZIHAO)
    else:
        z = r.choice(_ZIHAO) + r.choice(_ZIHAO)
    word = r.choice(_IND_WORDS[ind])
    size = int(world.enterprise_size[j])
    if size == 3 and key >= 0 and r.random() < 0.9:
        return f"浙江{z}控股集团有限公司"
    if size >= 2 and r.random() < 0.4:
        return f"浙江{z}{word}股份有限公司"
    if size == 0 and r.random() < 0.15:
        return f"{reg[1]}{z}{word}经营部"
    return f"{reg[1]}{z}{word}有限公司"


def person_segments(world: World) -> np.ndarray:
    """Segment code per person (mass, affluent, private banking, payroll, merchant, senior, youth)."""
    n_persons = world.n_persons
    na_y = world.net_assets[:n_persons] // 100
    seg = np.zeros(n_persons, dtype=np.int8)  # mass
    seg[world.birth >= 1998] = 6
    seg[world.birth <= 1960] = 5
    seg[world.employed & (world.person_role != 3)] = 3
    seg[na_y >= 1_000_000] = 1
    seg[world.person_role == 2] = 4
    seg[na_y >= 6_000_000] = 2
    return seg


def write_entities(world: World, path: Path, ids: list[str]) -> int:
    """Write entities.csv (persons, enterprises, channels) and return its row count."""
    n_persons, n_parties, n_nodes = world.n_persons, world.n_parties, world.n_nodes
    seg_p = person_segments(world)
    region_names = [x[0] for x in _REGIONS]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "id",
                "kind",
                "name",
                "is_customer",
                "industry",
                "region",
                "segment",
                "net_assets",
                "annual_revenue",
                "phone",
                "id_card",
                "is_interbank",
                "exempt",
            ]
        )
        for c0 in range(0, n_persons, _CHUNK):  # persons, a chunk at a time (bounded memory)
            c1 = min(n_persons, c0 + _CHUNK)
            names, phones, cards = person_columns(world, c0, c1)
            w.writerows(
                (
                    ids[i],
                    "person",
                    name,
                    "true" if cu else "false",
                    _INDUSTRIES[ind] if ind >= 0 else "",
                    region_names[reg],
                    _PERSON_SEGMENTS[seg],
                    format_yuan(net_assets),
                    format_yuan(revenue),
                    phone,
                    card,
                    "",
                    "",
                )
                for i, cu, reg, ind, net_assets, revenue, seg, name, phone, card in zip(
                    range(c0, c1),
                    world.is_customer[c0:c1].tolist(),
                    world.region[c0:c1].tolist(),
                    world.industry[c0:c1].tolist(),
                    world.net_assets[c0:c1].tolist(),
                    world.revenue[c0:c1].tolist(),
                    seg_p[c0:c1].tolist(),
                    names,
                    phones,
                    cards,
                )
            )
            world.progress("entities", c1, n_nodes)
        renamed, industry_text, interbank, exempt = world.renamed, world.industry_text, world.is_interbank, world.exempt
        exempt_values = [x.value for x in Exempt]
        for c0 in range(0, world.n_enterprises, _CHUNK):
            c1 = min(world.n_enterprises, c0 + _CHUNK)
            sl = slice(n_persons + c0, n_persons + c1)
            rows = []
            for j, cu, reg, ind, net_assets, revenue, size in zip(
                range(c0, c1),
                world.is_customer[sl].tolist(),
                world.region[sl].tolist(),
                world.industry[sl].tolist(),
                world.net_assets[sl].tolist(),
                world.revenue[sl].tolist(),
                world.enterprise_size[c0:c1].tolist(),
            ):
                e = n_persons + j
                name = company_name(world, j)  # drawn for every firm: a bank's name does not shift the stream
                rows.append(
                    (
                        ids[e],
                        "enterprise",
                        renamed.get(e, name),
                        "true" if cu else "false",
                        industry_text.get(e, _INDUSTRIES[ind]),
                        region_names[reg],
                        _ENT_SEGMENTS[3 if interbank[e] else size],
                        format_yuan(net_assets),
                        format_yuan(revenue),
                        "",
                        "",
                        "true" if interbank[e] else "",
                        exempt_values[exempt[e]] if exempt[e] >= 0 else "",
                    )
                )
            w.writerows(rows)
            world.progress("entities", n_persons + c1, n_nodes)
        kinds = (
            ["chamber"] * world.n_chambers + ["market"] * world.n_markets + ["intermediary"] * world.n_intermediaries
        )
        w.writerows(
            (
                ids[n_parties + k],
                kinds[k],
                ch["name"],
                "false",
                _INDUSTRIES[ch["industry"]] if ch["industry"] >= 0 else "",
                region_names[ch["region"]],
                ch["segment"],
                "",
                "",
                "",
                "",
                "",
                "",
            )
            for k, ch in enumerate(world.channels)
        )
    world.progress("entities", n_nodes, n_nodes)
    return n_nodes


def write_relations(world: World, path: Path, ids: list[str]) -> dict:
    """Write relations.csv, deduplicated per type, filling open since-dates; return rows per type."""
    rng = world.rng
    total = sum(len(e) for e in world.edges.values())
    done = 0
    counts = {}
    K = np.int64(world.n_nodes)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["src", "dst", "type", "amount", "share", "role", "since", "buyer_share"])
        bank = world.is_interbank
        for t in _TYPES:
            e = world.edges[t]
            s, d, a, sh, ro, si = e.arrays()
            n0 = len(s)
            keep = s != d
            lo = np.minimum(s, d).astype(np.int64) if not t.spec.directed else s.astype(np.int64)
            hi = np.maximum(s, d).astype(np.int64) if not t.spec.directed else d.astype(np.int64)
            key = lo * K + hi
            _, first = np.unique(key, return_index=True)
            mask = np.zeros(n0, dtype=bool)
            mask[first] = True
            keep &= mask
            idx = np.flatnonzero(keep)
            si = si.copy()
            if t in _SINCE:
                y0, y1 = _SINCE[t]
                fill = si < 0
                si[fill] = rng.integers(_day(y0), _day(y1, 12, 28), size=int(fill.sum()))
            # the banks keep no relation (drawn before they were chosen); dropped after the dates
            # are drawn, so that every other row keeps its date
            idx = idx[~(bank[s[idx]] | bank[d[idx]])]
            buyer = world.buyer_share if t is RelationType.SUPPLIES else None
            counts[t.value] = len(idx)
            tname = t.value
            for c0 in range(0, len(idx), _CHUNK):
                sel = idx[c0 : c0 + _CHUNK]
                src = [ids[x] for x in s[sel].tolist()]
                dst = [ids[x] for x in d[sel].tolist()]
                am = [format_yuan(x) if x >= 0 else "" for x in a[sel].tolist()]
                sha = [_SHARE_TEXT[x] if x >= 0 else "" for x in sh[sel].tolist()]
                rol = [_ROLES[x] for x in ro[sel].tolist()]
                sin = [_DATES[x] if x >= 0 else "" for x in si[sel].tolist()] if t in _SINCE else [""] * len(sel)
                bsh = (
                    [_SHARE_TEXT[x] if x >= 0 else "" for x in buyer[sel].tolist()]
                    if buyer is not None
                    else [""] * len(sel)
                )
                w.writerows(zip(src, dst, [tname] * len(sel), am, sha, rol, sin, bsh))
                world.progress("relations", done + c0 + len(sel), total)
            done += n0
            world.edges[t] = Edges()  # free the buffer
    world.progress("relations", total, total)
    return counts


def write_exposures(world: World, path: Path, ids: list[str]) -> tuple[int, dict]:
    """Write exposures.csv; return its row count and facilities per status."""
    n = len(world.facility_customer)
    wf = max(7, len(str(n)))
    ws = max(3, len(str(len(world.schemes))))
    sch_ids = [f"S{i:0{ws}d}" for i in range(1, len(world.schemes) + 1)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([*EXPOSURE_COLUMNS, *EXPOSURE_OPTIONAL])
        types = [t.value for t in ExposureType]
        products = world.facility_product_text
        for c0 in range(0, n, _CHUNK):
            sl = slice(c0, min(n, c0 + _CHUNK))
            rows = zip(
                [f"F{i:0{wf}d}" for i in range(c0 + 1, sl.stop + 1)],
                [ids[x] for x in world.facility_customer[sl].tolist()],
                [format_yuan(x) for x in world.facility_outstanding[sl].tolist()],
                [format_yuan(x) for x in world.facility_limit[sl].tolist()],
                [products.get(j, _PRODUCTS[x]) for j, x in enumerate(world.facility_product[sl].tolist(), c0)],
                [sch_ids[x] if x >= 0 else "" for x in world.facility_scheme[sl].tolist()],
                [_STATUS[x] for x in world.facility_status[sl].tolist()],
                [types[x] for x in world.facility_type[sl].tolist()],
                [format_yuan(x) if x >= 0 else "" for x in world.facility_undrawn[sl].tolist()],
                [format_yuan(x) if x >= 0 else "" for x in world.facility_margin[sl].tolist()],
                [str(x) if x >= 0 else "" for x in world.facility_maturity[sl].tolist()],
                ["true" if x else "" for x in world.facility_cancellable[sl].tolist()],
            )
            w.writerows(rows)
            world.progress("exposures", sl.stop, n)
    world.progress("exposures", n, n)
    status = {s: int((world.facility_status == i).sum()) for i, s in enumerate(_STATUS)}
    world.sch_ids = sch_ids
    return n, status


def write_schemes(world: World, path: Path, ids: list[str]) -> int:
    """Write schemes.csv and return its row count."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["scheme_id", "channel_id", "name", "product"])
        for sid, (g, name, prod) in zip(world.sch_ids, world.schemes):
            w.writerow([sid, ids[g], name, _PRODUCTS[prod]])
    return len(world.schemes)


def write_policy(world: World, path: Path) -> None:
    """Write policy.toml with the capital sized by :func:`.capital.size_capital`."""
    text = (
        f"# Generated by channelgraph.generate (customers={world.n_customers}, seed={world.seed}).\n"
        "# Capital is scaled to this synthetic book: the largest group of connected clients is about\n"
        "# 25% of tier-1 capital (over the 20% group limit) and a few groups are large exposures (above\n"
        "# 2.5%), each measured on exposure (on-balance + CCF x off-balance - cash margin).\n"
        + (
            "# The policy bank's placements (exempt, not tested) are about 20% of tier-1"
            + (
                ", one commercial bank's\n# about 16% (over 15%, within the 25% interbank limit).\n"
                if len(world.banks) > 1
                else ".\n"
            )
            if len(world.banks)
            else ""
        )
        + "# Every other setting takes the documented defaults.\n"
        f'tier1_capital = "{format_yuan(world.tier1)}"\n'
        f'net_capital = "{format_yuan(world.net)}"\n'
    )
    path.write_text(text, encoding="utf-8", newline="\n")
