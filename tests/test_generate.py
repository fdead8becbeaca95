"""The synthetic dataset generator: determinism, the input contract, and the planted structures."""

from __future__ import annotations

import collections
import csv
import tomllib
from pathlib import Path

import networkx as nx
import pytest

from channelgraph.generate import generate_dataset
from channelgraph.model import (
    CHANNEL_KINDS,
    PARTY_KINDS,
    RELATION_SPECS,
    ExposureType,
    Kind,
    RelationType,
    Status,
    parse_yuan,
)

OFF_BALANCE_PRODUCTS = (
    "bank_acceptance",
    "financing_guarantee",
    "performance_guarantee",
    "letter_of_credit",
    "loan_commitment",
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FILES = ("entities.csv", "relations.csv", "exposures.csv", "schemes.csv", "policy.toml")
PREFIX = {"person": "P", "enterprise": "E", "chamber": "C", "market": "M", "intermediary": "I"}


def read(folder: Path, name: str) -> list[dict]:
    with open(folder / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class Data:
    """A generated folder, read back as plain rows, with a few indexes."""

    def __init__(self, folder: Path, counts: dict):
        self.folder, self.counts = folder, counts
        self.entities = read(folder, "entities.csv")
        self.relations = read(folder, "relations.csv")
        self.exposures = read(folder, "exposures.csv")
        self.schemes = read(folder, "schemes.csv")
        self.policy = tomllib.loads((folder / "policy.toml").read_text(encoding="utf-8"))
        self.kind = {e["id"]: e["kind"] for e in self.entities}
        self.ent = {e["id"]: e for e in self.entities}
        self.by_type = collections.defaultdict(list)
        for r in self.relations:
            self.by_type[r["type"]].append(r)

    def graph(self, rtype: str) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_edges_from((r["src"], r["dst"], r) for r in self.by_type[rtype])
        return g


@pytest.fixture(scope="module")
def gen300(tmp_path_factory) -> Data:
    folder = tmp_path_factory.mktemp("gen") / "n300"
    return Data(folder, generate_dataset(folder, customers=300, seed=42))


@pytest.fixture(scope="module")
def gen2000(tmp_path_factory) -> Data:
    folder = tmp_path_factory.mktemp("gen") / "n2000"
    return Data(folder, generate_dataset(folder, customers=2000, seed=7))


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(tmp_path, gen300):
    again = tmp_path / "again"
    generate_dataset(again, customers=300, seed=42)
    for name in FILES:
        assert (again / name).read_bytes() == (gen300.folder / name).read_bytes(), name


def test_other_seed_gives_other_data(tmp_path, gen300):
    other = tmp_path / "other"
    generate_dataset(other, customers=300, seed=43)
    for name in ("entities.csv", "relations.csv", "exposures.csv"):
        assert (other / name).read_bytes() != (gen300.folder / name).read_bytes(), name


def test_committed_sample_is_the_generated_one(gen300):
    if not SAMPLE.exists():
        pytest.skip("data/sample not generated yet")
    for name in FILES:
        assert (SAMPLE / name).read_bytes() == (gen300.folder / name).read_bytes(), (
            f"data/sample/{name} differs from generate_dataset(customers=300, seed=42): regenerate it"
        )


def test_progress_is_reported(tmp_path):
    seen = []
    generate_dataset(tmp_path / "p", customers=120, seed=1, progress=lambda s, d, t: seen.append((s, d, t)))
    stages = {s for s, _, _ in seen}
    assert {"structure", "entities", "relations", "exposures"} <= stages
    assert all(0 <= d <= t for _, d, t in seen)
    for stage in stages:
        last = [x for x in seen if x[0] == stage][-1]
        assert last[1] == last[2], stage


def test_too_few_customers_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least"):
        generate_dataset(tmp_path / "x", customers=3)


@pytest.mark.parametrize("n", [10, 37, 100])
def test_tiny_worlds_still_follow_the_contract(tmp_path, n):
    folder = tmp_path / f"n{n}"
    d = Data(folder, generate_dataset(folder, customers=n, seed=n))
    check_contract(d, n)


# ----------------------------------------------------------------------------- the contract


def check_contract(d: Data, n: int) -> None:
    # files: UTF-8 without BOM, \n line endings, header first
    for name in FILES:
        raw = (d.folder / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), name
        assert b"\r" not in raw, name
        raw.decode("utf-8")
    assert (d.folder / "entities.csv").read_text(encoding="utf-8").startswith("id,kind,name,")
    assert (
        (d.folder / "relations.csv")
        .read_text(encoding="utf-8")
        .startswith("src,dst,type,amount,share,role,since,buyer_share\n")
    )

    # entities
    ids = [e["id"] for e in d.entities]
    assert len(ids) == len(set(ids))
    for e in d.entities:
        assert e["kind"] in PREFIX and e["id"].startswith(PREFIX[e["kind"]]), e
        assert e["name"], e
        assert e["is_customer"] in ("true", "false")
        if e["kind"] not in ("person", "enterprise"):
            assert e["is_customer"] == "false"
        for col in ("net_assets", "annual_revenue"):
            if e[col]:
                assert parse_yuan(e[col]) >= 0
        if e["kind"] == "person":
            assert len(e["phone"]) == 11 and e["phone"].isdigit() and e["phone"][0] == "1"
            assert len(e["id_card"]) == 18 and e["id_card"][:17].isdigit()
        else:
            assert e["phone"] == "" and e["id_card"] == ""
        assert e["is_interbank"] in ("", "true"), e
        assert e["exempt"] in ("", "policy_bank"), e
        if e["is_interbank"] or e["exempt"]:  # only enterprises that are banks
            assert e["kind"] == "enterprise" and e["industry"] == "金融业" and "银行" in e["name"], e
    customers = [e for e in d.entities if e["is_customer"] == "true"]
    assert len(customers) == n == d.counts["customers"]
    assert d.counts["entities"] == len(d.entities)

    # relations
    seen = set()
    for r in d.relations:
        t = RelationType(r["type"])
        spec = RELATION_SPECS[t]
        assert r["src"] in d.kind and r["dst"] in d.kind, r
        assert Kind(d.kind[r["src"]]) in spec.src_kinds, r
        assert Kind(d.kind[r["dst"]]) in spec.dst_kinds, r
        assert r["src"] != r["dst"], r
        key = (r["src"], r["dst"], t) if spec.directed else (min(r["src"], r["dst"]), max(r["src"], r["dst"]), t)
        assert key not in seen, r
        seen.add(key)
        if "share" in spec.requires:
            assert r["share"], r
        if r["share"]:
            assert 0 <= float(r["share"]) <= 1, r
        if "amount" in spec.requires:
            assert parse_yuan(r["amount"]) > 0, r
        if r["buyer_share"]:
            assert t is RelationType.SUPPLIES and 0 < float(r["buyer_share"]) <= 1, r
        if r["since"]:
            assert len(r["since"]) == 10 and r["since"][4] == "-" and "1990" <= r["since"] <= "2024-12-31", r
    assert d.counts["relations"] == len(d.relations)
    assert d.counts["types"] == {t.value: len(d.by_type[t.value]) for t in RelationType}
    # control shares of one firm never add up to more than the whole
    held = collections.Counter()
    for r in d.by_type["CONTROLS"]:
        held[r["dst"]] += round(float(r["share"]) * 10000)
    assert max(held.values(), default=0) <= 10000

    # schemes and exposures
    scheme_ids = {s["scheme_id"] for s in d.schemes}
    assert len(scheme_ids) == len(d.schemes)
    for s in d.schemes:
        assert Kind(d.kind[s["channel_id"]]) in CHANNEL_KINDS
        assert s["name"] and s["product"]
    fac = [x["facility_id"] for x in d.exposures]
    assert len(fac) == len(set(fac))
    statuses = {s.value for s in Status}
    total = 0
    for x in d.exposures:
        assert d.ent[x["customer_id"]]["is_customer"] == "true", x
        assert Kind(d.kind[x["customer_id"]]) in PARTY_KINDS
        out, lim = parse_yuan(x["outstanding"]), parse_yuan(x["limit"])
        assert 0 < out <= lim, x
        assert x["scheme_id"] == "" or x["scheme_id"] in scheme_ids, x
        assert x["status"] in statuses
        assert x["product"] in (
            "mortgage",
            "business_loan",
            "consumer_loan",
            "working_capital",
            "supply_chain",
            "credit_card",
            "bank_acceptance",
            "financing_guarantee",
            "performance_guarantee",
            "letter_of_credit",
            "loan_commitment",
            "interbank_placement",
            "interbank_lending",
        )
        etype = ExposureType(x["exposure_type"])
        assert (etype is ExposureType.LOAN) == (x["product"] not in OFF_BALANCE_PRODUCTS), x
        if x["product"].startswith("interbank"):
            assert d.ent[x["customer_id"]]["is_interbank"] == "true", x
        undrawn = parse_yuan(x["undrawn"]) if x["undrawn"] else 0
        margin = parse_yuan(x["margin"]) if x["margin"] else 0
        assert 0 <= margin <= out + undrawn, x
        if x["undrawn"]:  # a loan's unused committed part: its limit minus what is drawn
            assert etype is ExposureType.LOAN and undrawn == lim - out > 0, x
        if x["cancellable"]:
            assert x["cancellable"] == "true" and (x["product"] in ("credit_card", "loan_commitment")), x
        if x["original_maturity_days"]:
            assert 1 <= int(x["original_maturity_days"]) <= 36_500, x
        else:
            assert x["product"] == "credit_card", x  # a card revolves: no original maturity
        total += out
    assert total == d.counts["total_outstanding_fen"]

    # policy: quoted yuan strings
    assert set(d.policy) == {"tier1_capital", "net_capital"}
    assert parse_yuan(d.policy["tier1_capital"]) > 0
    assert parse_yuan(d.policy["net_capital"]) >= parse_yuan(d.policy["tier1_capital"])


def test_contract_300(gen300):
    check_contract(gen300, 300)


def test_contract_2000(gen2000):
    check_contract(gen2000, 2000)


def test_validates_with_the_loader(gen300, gen2000):
    io = pytest.importorskip("channelgraph.io")
    if not hasattr(io, "load_dataset"):
        pytest.skip("channelgraph.io.load_dataset not available yet")
    for d in (gen300, gen2000):
        try:
            ds = io.load_dataset(d.folder)
        except io.DatasetError as exc:  # pragma: no cover - shows what is wrong
            pytest.fail("\n".join(map(str, exc.problems[:20])))
        s = ds.summary()
        for key in (
            "entities",
            "customers",
            "prospects",
            "relations",
            "types",
            "facilities",
            "schemes",
            "total_outstanding_fen",
            "status",
        ):
            assert s[key] == d.counts[key], key
        assert ds.policy.tier1_capital_fen == d.counts["capital"]["tier1_capital_fen"]


# ----------------------------------------------------------------------------- the planted structures


@pytest.fixture(params=["gen300", "gen2000"])
def data(request) -> Data:
    return request.getfixturevalue(request.param)


def test_guarantee_patterns(data):
    g = data.graph("GUARANTEES")
    mutual = [(a, b) for a, b in g.edges if g.has_edge(b, a)]
    assert mutual, "no mutual guarantee"
    cycles = list(nx.simple_cycles(g, length_bound=6))
    assert any(len(c) >= 3 for c in cycles), "no guarantee circle of 3+"
    # a chain: a → b → c with no cycle through any of them
    in_cycle = {n for comp in nx.strongly_connected_components(g) if len(comp) > 1 for n in comp}
    chains = [
        (a, b, c) for a, b in g.edges for c in g.successors(b) if len({a, b, c}) == 3 and not ({a, b, c} & in_cycle)
    ]
    assert chains, "no guarantee chain"
    assert max(d for _, d in g.out_degree) >= 3, "no one-guarantees-many"
    assert max(d for _, d in g.in_degree) >= 3, "no many-guarantee-one"


def test_guarantee_dependence_is_some_but_not_most(data):
    rows = data.by_type["GUARANTEES"]
    dep = sum(parse_yuan(r["amount"]) * 2 >= parse_yuan(data.ent[r["src"]]["net_assets"]) for r in rows)
    assert 0 < dep < len(rows) / 3


def test_control_group_and_supplier_dependence(data):
    by_boss = collections.defaultdict(list)
    for r in data.by_type["CONTROLS"]:
        if data.kind[r["src"]] == "person":
            by_boss[r["src"]].append(float(r["share"]))
    assert any(len(s) >= 3 and max(s) > 0.5 and min(s) <= 0.5 for s in by_boss.values()), (
        "no boss controlling several firms with shares above and below 50%"
    )
    assert any(data.kind[r["src"]] == "enterprise" for r in data.by_type["CONTROLS"])
    assert any(r["share"] and float(r["share"]) >= 0.5 for r in data.by_type["SUPPLIES"])


def test_star_broker(data):
    referrals = collections.Counter(r["src"] for r in data.by_type["REFERRED"])
    managers = {r["dst"]: r["src"] for r in data.by_type["EMPLOYS"] if r["role"] == "store_manager"}
    star = max(managers, key=lambda p: referrals[p])
    assert referrals[star] >= 20
    assert referrals[star] == max(n for p, n in referrals.items() if data.kind[p] == "person")
    broker = managers[star]
    via = {r["src"] for r in data.by_type["SOURCED_VIA"] if r["dst"] == broker}
    referred = {r["dst"] for r in data.by_type["REFERRED"] if r["src"] == star}
    mortgages = {x["customer_id"] for x in data.exposures if x["product"] == "mortgage"}
    assert len(referred & via & mortgages) >= 20


def test_chamber_president_bridges_two_chambers(data):
    members = collections.defaultdict(set)
    roles = {}
    for r in data.by_type["MEMBER_OF"]:
        members[r["dst"]].add(r["src"])
        roles[(r["src"], r["dst"])] = r["role"]
    presidents = [p for (p, c), role in roles.items() if role == "president"]
    bridges = [
        p
        for p in presidents
        if sum(p in m for m in members.values()) >= 2
        and any(
            len(members[a] & members[b]) == 1
            for a in members
            for b in members
            if a < b and p in members[a] & members[b]
        )
    ]
    assert bridges, "no chamber president who is the one member shared by two chambers"
    referrals = collections.Counter(r["src"] for r in data.by_type["REFERRED"])
    assert max(referrals[p] for p in bridges) >= 10


def test_market_leading_merchant_and_textile_market(data):
    traders = collections.Counter(r["dst"] for r in data.by_type["TRADES_IN"])
    big = max(traders, key=traders.get)
    assert "轻纺城" in data.ent[big]["name"]
    leaders = [r["src"] for r in data.by_type["TRADES_IN"] if r["role"] == "leading_merchant" and r["dst"] == big]
    assert leaders
    referrals = collections.Counter(r["src"] for r in data.by_type["REFERRED"])
    assert referrals[leaders[0]] >= 10


def test_prospects_sit_around_the_channels(data):
    parties = [e for e in data.entities if e["kind"] in ("person", "enterprise")]
    prospects = [e["id"] for e in parties if e["is_customer"] == "false"]
    assert 0.3 <= len(prospects) / len(parties) <= 0.4
    linked = {r["src"] for r in data.relations} | {r["dst"] for r in data.relations}
    assert all(p in linked for p in prospects)
    members = {r["src"] for r in data.relations if r["type"] in ("MEMBER_OF", "TRADES_IN")}
    assert any(p in members for p in prospects)


def test_statuses_and_schemes(data):
    st = collections.Counter(x["status"] for x in data.exposures)
    n = len(data.exposures)
    assert st["normal"] / n > 0.85
    assert st["normal"] < n
    assert sum(st[s] for s in ("substandard", "doubtful", "loss")) > 0
    used = {x["scheme_id"] for x in data.exposures if x["scheme_id"]}
    assert used and used <= {s["scheme_id"] for s in data.schemes}
    kinds = {data.kind[s["channel_id"]] for s in data.schemes}
    assert kinds == {"chamber", "market", "intermediary"}


def _measured(folder: Path):
    """Each entity's exposure as the risk room measures it (graph.exposure), by id."""
    from channelgraph.graph import build_book
    from channelgraph.graph.exposure import measure_exposure
    from channelgraph.io import load_dataset

    book = build_book(load_dataset(folder))
    return dict(zip(book.ids.tolist(), measure_exposure(book).of_entity.tolist()))


def test_one_group_breaches_the_group_limit(data):
    """Groups by the default connection rules: control > 50%, guarantees summed per guarantor
    ≥ 50% of its net assets, supply share ≥ 50% on either side, a shared repayment source,
    family; measured on exposure; the banks stand alone (tested against the interbank limit)."""
    g = nx.Graph()
    g.add_nodes_from(data.kind)
    given = collections.Counter()
    for r in data.by_type["GUARANTEES"]:
        given[r["src"]] += parse_yuan(r["amount"])
    for r in data.relations:
        t = r["type"]
        if (
            (t == "CONTROLS" and float(r["share"]) > 0.5)
            or (t == "GUARANTEES" and given[r["src"]] * 2 >= parse_yuan(data.ent[r["src"]]["net_assets"]))
            or (t == "SUPPLIES" and r["share"] and float(r["share"]) >= 0.5)
            or (t == "SUPPLIES" and r["buyer_share"] and float(r["buyer_share"]) >= 0.5)
            or t in ("FAMILY", "SHARES_REPAYMENT_SOURCE")
        ):
            g.add_edge(r["src"], r["dst"])
    exposure = _measured(data.folder)
    banks = {e["id"] for e in data.entities if e["is_interbank"]}
    comps = [c for c in nx.connected_components(g) if not c & banks]
    groups = sorted((sum(exposure[n] for n in comp) for comp in comps), reverse=True)
    tier1 = parse_yuan(data.policy["tier1_capital"])
    over20 = sum(x * 5 > tier1 for x in groups)
    large = sum(x * 40 > tier1 for x in groups)  # a large exposure: above 2.5%
    assert 1 <= over20 <= 2
    assert large >= 3
    assert over20 == data.counts["capital"]["groups_over_20pct"]
    assert large == data.counts["capital"]["groups_over_2_5pct"]
    assert groups[0] == data.counts["capital"]["largest_group_fen"]
    assert 0.2 < groups[0] / tier1 <= 0.26  # about 25% of tier-1
    # the breaching group is a boss with several firms
    top = max(comps, key=lambda c: sum(exposure[n] for n in c))
    assert sum(data.kind[n] == "enterprise" for n in top) >= 3


def test_names_look_chinese(gen300):
    persons = [e["name"] for e in gen300.entities if e["kind"] == "person"]
    assert all(2 <= len(p) <= 3 for p in persons)
    firms = [e["name"] for e in gen300.entities if e["kind"] == "enterprise"]
    assert sum(f.endswith("有限公司") for f in firms) > 0.7 * len(firms)
    chambers = [e["name"] for e in gen300.entities if e["kind"] == "chamber"]
    assert any("商会" in c for c in chambers) and any("协会" in c for c in chambers)
    brokers = [e for e in gen300.entities if e["segment"] == "real_estate_broker"]
    agencies = [e for e in gen300.entities if e["segment"] == "loan_agency"]
    assert brokers and agencies


# ----------------------------------------------------------------------------- issue 21: what exposure reads


def test_off_balance_items_commitments_and_margins_have_realistic_shares(gen2000):
    rows = gen2000.exposures
    by_type = collections.Counter(x["exposure_type"] for x in rows)
    loans = by_type["loan"]
    assert loans / len(rows) > 0.8  # the book is mostly loans
    for t in ("bank_acceptance", "performance_guarantee", "financial_guarantee", "trade_lc", "undrawn_commitment"):
        assert by_type[t] >= 1, t
    assert by_type["bank_acceptance"] > by_type["performance_guarantee"] > by_type["financial_guarantee"]
    # acceptances: mostly margined 30-50% of face, at most the whole face
    rates = [
        parse_yuan(x["margin"]) / parse_yuan(x["outstanding"]) for x in rows if x["exposure_type"] == "bank_acceptance"
    ]
    assert sum(0.29 <= r <= 0.51 for r in rates) / len(rates) > 0.8
    assert all(r <= 1 for r in rates)
    # acceptances and guarantees are SMEs' and firms', never persons'
    assert all(gen2000.kind[x["customer_id"]] == "enterprise" for x in rows if x["exposure_type"] != "loan")
    # undrawn commitments: short and long maturities, some cancellable (every card line)
    undrawn = [x for x in rows if x["undrawn"]]
    assert len(undrawn) > 0.1 * loans
    days = [int(x["original_maturity_days"]) for x in undrawn if x["original_maturity_days"]]
    assert min(days) <= 365 < max(days)
    assert all(x["cancellable"] == "true" for x in rows if x["product"] == "credit_card" and x["undrawn"])
    commitments = [x for x in rows if x["exposure_type"] == "undrawn_commitment"]
    assert all(int(x["original_maturity_days"]) > 365 for x in commitments)


def test_measured_exposure_counts_acceptances_net_of_their_margin(gen2000):
    """An acceptance counts its face less its cash margin (CCF 100%): for every customer with only
    acceptances and loans without an undrawn part, exposure = loans + Σ (face − margin)."""
    exposure = _measured(gen2000.folder)
    by_customer = collections.defaultdict(list)
    for x in gen2000.exposures:
        by_customer[x["customer_id"]].append(x)
    checked = 0
    for cid, facs in by_customer.items():
        types = {x["exposure_type"] for x in facs}
        if types != {"loan", "bank_acceptance"} or any(x["undrawn"] for x in facs):
            continue
        want = sum(
            parse_yuan(x["outstanding"]) - (parse_yuan(x["margin"]) if x["exposure_type"] != "loan" else 0)
            for x in facs
        )
        assert exposure[cid] == want < sum(parse_yuan(x["outstanding"]) for x in facs), cid
        checked += 1
    assert checked >= 5


def test_a_few_banks_one_policy_bank_exempt(gen2000, data):
    for d in (gen2000, data):
        banks = [e for e in d.entities if e["is_interbank"] == "true"]
        exempt = [e for e in d.entities if e["exempt"]]
        assert 1 <= len(banks) <= 6
        assert [e["exempt"] for e in exempt] == ["policy_bank"] and exempt[0]["is_interbank"] == "true"
        assert d.counts["capital"]["interbank"] == len(banks) and d.counts["capital"]["exempt"] == 1
        # a bank keeps no relation and borrows nothing but interbank placements
        ids = {e["id"] for e in banks}
        assert not [r for r in d.relations if r["src"] in ids or r["dst"] in ids]
        products = {x["product"] for x in d.exposures if x["customer_id"] in ids}
        assert products and products <= {"interbank_placement", "interbank_lending"}
        # sized against tier-1: the policy bank ~20% (exempt), a commercial bank above 15% (within 25%)
        tier1 = parse_yuan(d.policy["tier1_capital"])
        held = collections.Counter()
        for x in d.exposures:
            if x["customer_id"] in ids:
                held[x["customer_id"]] += parse_yuan(x["outstanding"])
        assert 0.17 < held[exempt[0]["id"]] / tier1 <= 0.2
        commercial = sorted((v / tier1 for k, v in held.items() if k != exempt[0]["id"]), reverse=True)
        assert commercial and 0.15 < commercial[0] < 0.25


def test_buyer_shares_and_shared_repayment_sources(gen2000, data):
    for d in (gen2000, data):
        sup = d.by_type["SUPPLIES"]
        known = [float(r["buyer_share"]) for r in sup if r["buyer_share"]]
        assert 0.2 < len(known) / len(sup) < 0.6
        assert any(b >= 0.5 for b in known)  # at least one buyer depends on its supplier
        assert sum(b >= 0.5 for b in known) < 0.3 * len(known)
        ties = d.by_type["SHARES_REPAYMENT_SOURCE"]
        assert ties and all(d.kind[r["src"]] == d.kind[r["dst"]] == "enterprise" for r in ties)
        assert all(d.ent[r["src"]]["industry"] == d.ent[r["dst"]]["industry"] for r in ties)


def test_policy_comment_says_above_not_at_least(gen300):
    text = (gen300.folder / "policy.toml").read_text(encoding="utf-8")
    assert ">= 2.5%" not in text and "≥ 2.5%" not in text
    assert "(above\n# 2.5%)" in text
