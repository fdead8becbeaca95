"""A realistic synthetic bank extract, in the input contract (see :mod:`channelgraph.model`).

:func:`generate_dataset` writes a dataset folder — ``entities.csv``, ``relations.csv``,
``exposures.csv``, ``schemes.csv`` and ``policy.toml`` — that looks like the customer,
channel and guarantee data of a regional commercial bank around Shaoxing (绍兴):

* persons (Chinese names, synthetic phone and ID-card numbers) and enterprises
  ("绍兴柯桥华丰纺织有限公司"); about a third of them are *prospects* (is_customer=false)
  found around the channels;
* channels: hometown chambers and industry associations (商会/协会), professional markets
  with one large textile market (轻纺城), real-estate broker stores and loan-assistance
  agencies (助贷机构), each major one with a channel scheme (渠道专属方案);
* key persons: a star broker store manager who referred dozens of mortgage customers, a
  chamber president who sits in two chambers (a bridge between two communities), a
  market's leading merchant; heavy-tailed (Pareto) referrals elsewhere;
* control groups (a boss behind several firms, shares above and below 50%),
  households (FAMILY), payroll employers (EMPLOYS), supplier dependence (SUPPLIES);
* guarantee networks: mutual guarantees, circles of 3–6, chains, one-guarantees-many,
  many-guarantee-one and joint guarantees (联保), amounts sized against the guarantor's
  net assets so that some are economic dependence (≥ 50% of net assets);
* facilities with five-class status (≈2% special mention, ≈1.5% NPL, worse inside a
  couple of guarantee circles and through loan agencies), each loan with its original maturity
  and some with an undrawn committed part; off-balance items of SMEs: bank acceptances
  (银行承兑汇票) with cash margins of 30–50%, performance and financing guarantees (保函),
  letters of credit, undrawn commitments; credit cards' unused lines, cancellable at any time;
* a few interbank counterparties (banks, 同业) with placements, one of them a policy bank
  (政策性银行, exempt from the large-exposure limits); SUPPLIES rows with the buyer's share of
  purchases (some buyers depend on one supplier) and a few shared repayment sources;
* ``policy.toml`` with tier-1 and net capital scaled to the generated book so that one
  group of connected clients breaches 20% of tier-1 and a few are large exposures.

Same arguments give byte-identical files: every draw comes from
``numpy.random.default_rng(seed)`` or ``random.Random(seed)``, in a fixed order.
Memory stays bounded at a million customers: per-entity attributes and relations are
held as integer arrays, names are drawn while streaming rows to the files.

The stages, in the order :func:`build` runs them (each in its own module):

=====================  ==========================================================================
:mod:`.population`     persons and enterprises, planted key persons and groups, households, payroll
:mod:`.control`        control groups (CONTROLS)
:mod:`.channels`       chambers, markets, intermediaries and referrals
:mod:`.trade`          supplier dependence (SUPPLIES)
:mod:`.facilities`     facilities and their five-class status; :mod:`.schemes` channel schemes
:mod:`.guarantees`     guarantee circles, chains and joint guarantees
:mod:`.offbalance`     banks (interbank, one policy bank exempt), maturities and undrawn parts,
                       acceptances, guarantees (保函), letters of credit, commitments; buyer
                       shares of SUPPLIES, shared repayment sources (own random stream)
:mod:`.capital`        tier-1 and net capital for ``policy.toml``
:mod:`.write`          the dataset files
=====================  ==========================================================================

:mod:`.world` holds the shared state (sizes, index ranges, attribute arrays, relation buffers)
and :mod:`.vocabulary` the fixed tables.
"""

from __future__ import annotations

from pathlib import Path

from ..model import Kind
from .capital import size_capital
from .channels import attach_lone_prospects, form_chambers, form_intermediaries, form_markets, spread_referrals
from .control import assign_controllers
from .facilities import classify_facilities, grant_facilities
from .guarantees import weave_guarantees
from .offbalance import extend_for_exposure
from .population import draw_parties, form_households, hire_payroll, plant_key_persons_and_groups
from .trade import link_suppliers
from .world import World
from .write import party_ids, write_entities, write_exposures, write_policy, write_relations, write_schemes

__all__ = ["generate_dataset", "MIN_CUSTOMERS"]

#: Fewer customers than this cannot hold the vocabulary of structures.
MIN_CUSTOMERS = 10


def build(world: World) -> None:
    """Run every stage, in the one order that fixes the random stream."""
    draw_parties(world)
    plant_key_persons_and_groups(world)
    form_households(world)
    assign_controllers(world)
    form_chambers(world)
    form_markets(world)
    form_intermediaries(world)
    spread_referrals(world)
    hire_payroll(world)
    link_suppliers(world)
    grant_facilities(world)
    weave_guarantees(world)
    classify_facilities(world)
    attach_lone_prospects(world)
    extend_for_exposure(world)
    world.progress("structure", 12, 12)


def generate_dataset(out_dir, customers: int, seed: int = 42, progress=None) -> dict:
    """Write a synthetic bank dataset folder and return its counts.

    Parameters
    ----------
    out_dir : folder to write (created if missing; existing dataset files are replaced).
    customers : number of customers N (persons and enterprises with is_customer=true),
        at least :data:`MIN_CUSTOMERS`. About a third as many prospects are added, and
        chambers, markets and intermediaries scale with N.
    seed : random seed; the same (customers, seed) give byte-identical files.
    progress : optional ``progress(stage, done, total)`` callable.

    Returns
    -------
    dict with ``entities``, ``customers``, ``prospects``, ``relations``, ``facilities``,
    ``schemes``, ``total_outstanding_fen`` (ints, as in ``Dataset.summary()``), ``kinds``
    (entities per kind), ``types`` (relations per type), ``status`` (facilities per
    five-class status), ``rows`` (data rows per file) and ``capital`` (tier-1 and net
    capital written to ``policy.toml``, the largest group's measured exposure, how many groups
    of connected clients are above 2.5% and 20% of tier-1, and how many interbank and exempt
    counterparties there are).

    Examples
    --------
    >>> counts = generate_dataset("data/sample", customers=300, seed=42)  # doctest: +SKIP
    >>> counts["customers"]                                                # doctest: +SKIP
    300
    """
    customers = int(customers)
    if customers < MIN_CUSTOMERS:
        raise ValueError(f"customers must be at least {MIN_CUSTOMERS} (got {customers})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = World(customers, int(seed), progress)
    build(world)
    capital = size_capital(world)
    ids = party_ids(world)
    n_ent = write_entities(world, out / "entities.csv", ids)
    types = write_relations(world, out / "relations.csv", ids)
    n_fac, status = write_exposures(world, out / "exposures.csv", ids)
    n_sch = write_schemes(world, out / "schemes.csv", ids)
    write_policy(world, out / "policy.toml")
    kinds = {
        Kind.PERSON.value: world.n_persons,
        Kind.ENTERPRISE.value: world.n_enterprises,
        Kind.CHAMBER.value: world.n_chambers,
        Kind.MARKET.value: world.n_markets,
        Kind.INTERMEDIARY.value: world.n_intermediaries,
    }
    n_rel = sum(types.values())
    return {
        "entities": n_ent,
        "customers": int(world.is_customer.sum()),
        "prospects": int(world.n_parties - world.is_customer.sum()),
        "relations": n_rel,
        "facilities": n_fac,
        "schemes": n_sch,
        "total_outstanding_fen": int(world.facility_outstanding.sum()),
        "kinds": kinds,
        "types": types,
        "status": status,
        "rows": {"entities.csv": n_ent, "relations.csv": n_rel, "exposures.csv": n_fac, "schemes.csv": n_sch},
        "capital": capital,
    }
