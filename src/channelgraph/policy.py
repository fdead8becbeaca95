"""The bank's policy: capital, regulatory limits and the thresholds analyses use.

A policy is read from ``policy.toml`` (in the dataset folder, or given with
``--policy``). Every key is optional; a missing key takes the default documented
in :data:`DEFAULTS` (and in README.md). Amounts are yuan (a quoted string such as
``"1200000000.00"`` or a TOML integer), held as integer fen.

Regulatory defaults follow 商业银行大额风险暴露管理办法 (CBIRC Order 2018 No. 1):
large exposure above 2.5% of tier-1 capital; non-interbank single customer ≤ 15% and a
group of connected non-interbank customers ≤ 20% of tier-1 capital; and 商业银行法
art. 39: loans to one borrower ≤ 10% of net capital.

>>> p = Policy.from_mapping({"tier1_capital": "1000000.00"})
>>> p.tier1_capital_fen
100000000
>>> p.limits.group_share
Decimal('0.20')
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from pathlib import Path

from .model import AmountError, format_yuan, yuan_to_fen


class PolicyError(ValueError):
    """A policy file or value that cannot be used."""


@dataclass(frozen=True)
class Limits:
    """Regulatory limits, as shares of capital."""

    #: 大额风险暴露: an exposure above (超过) this share of tier-1 capital is a large exposure.
    large_exposure_share: Decimal = Decimal("0.025")
    #: 单一非同业客户: exposure to one non-interbank customer ≤ this share of tier-1.
    single_customer_share: Decimal = Decimal("0.15")
    #: 一组非同业关联客户: exposure to a group of connected customers ≤ this share of tier-1.
    group_share: Decimal = Decimal("0.20")
    #: 单一客户贷款集中度: loans to one borrower ≤ this share of net capital.
    single_borrower_net_capital_share: Decimal = Decimal("0.10")


@dataclass(frozen=True)
class Connection:
    """When a tie joins two customers into one group of connected clients."""

    #: CONTROLS with share strictly above this joins controller and controlled.
    control_share_above: Decimal = Decimal("0.5")
    #: GUARANTEES whose amount is ≥ this share of the guarantor's net assets joins them.
    guarantee_net_assets_share: Decimal = Decimal("0.5")
    #: SUPPLIES with share ≥ this (of the supplier's revenue) joins supplier and buyer.
    supply_share: Decimal = Decimal("0.5")
    #: FAMILY ties join persons into one group.
    family_joins: bool = True


@dataclass(frozen=True)
class Guarantee:
    """Thresholds for naming guarantee patterns."""

    #: A guarantor behind at least this many borrowers is a cross guarantee (一保多).
    cross_min_borrowers: int = 3
    #: A borrower behind at least this many guarantors is a focus guarantee (多保一).
    focus_min_guarantors: int = 3
    #: Circles longer than this are not enumerated one by one.
    max_circle_length: int = 8
    #: A strongly connected block larger than this is reported as one block.
    max_scc_enumerate: int = 40
    #: Chains shorter than this many firms are not listed.
    min_chain_length: int = 3


@dataclass(frozen=True)
class Marketing:
    """Weights for hub ranking (per relation type) and the composite score."""

    type_weights: dict = field(
        default_factory=lambda: {
            "REFERRED": 3.0,
            "MEMBER_OF": 1.0,
            "TRADES_IN": 1.0,
            "SOURCED_VIA": 2.0,
            "EMPLOYS": 1.0,
            "FAMILY": 1.0,
            "SUPPLIES": 1.0,
            "CONTROLS": 0.5,
            "GUARANTEES": 0.5,
        }
    )
    score_weights: dict = field(
        default_factory=lambda: {
            "referrals": 0.35,
            "pagerank": 0.2,
            "betweenness": 0.15,
            "reach": 0.3,
        }
    )
    #: Betweenness is exact up to 2,000 nodes (or this many, if larger); above, it is
    #: sampled from this many sources with ``seed`` and scaled by n/k (Brandes & Pich 2007).
    #: Measured on a generated 100k-customer book (bench/betweenness_error.py): with 200
    #: sources the top 100 hubs agree with a 20,000-source reference on 98.7 of 100 (500:
    #: 99.3), while the betweenness of single top nodes is off by a median 40% (500: 24%).
    #: Each source is one breadth-first search of the whole view (0.3 s on a 1M book).
    betweenness_samples: int = 200
    #: How many hubs the campaign seed list picks (lazy greedy over untapped prospects).
    campaign_k: int = 10
    seed: int = 42


@dataclass(frozen=True)
class Caps:
    """Appetite for channel-specific schemes (渠道专属方案)."""

    #: The largest scheme total as a share of tier-1 capital.
    scheme_total_share: Decimal = Decimal("0.05")
    #: The largest amount one borrower may hold under a scheme (yuan, as fen here).
    per_borrower_fen: int = 5_000_000 * 100
    #: The largest share of a scheme that may depend on one risk source.
    single_source_share: Decimal = Decimal("0.10")
    #: A risk source is tested against that share when at least this many of the scheme's
    #: borrowers depend on it (one borrower alone is held by the per-borrower cap).
    single_source_min_borrowers: int = 2
    #: Caps are rounded down to this unit (yuan, as fen here).
    rounding_fen: int = 10_000 * 100
    # Channel quality adjustments: each factor multiplies the scheme appetite (and, with
    # ``quality_adjusts_per_borrower``, the per-borrower amount); the factors applied multiply.
    # The channel's book is every facility of its members and of the scheme's borrowers.
    #: Non-normal share (关注 and worse, by outstanding) of the channel's book above this …
    non_normal_share_above: Decimal = Decimal("0.05")
    #: … multiplies the caps by this factor.
    non_normal_factor: Decimal = Decimal("0.8")
    #: Non-normal share above this (instead of the step above) …
    non_normal_share_high: Decimal = Decimal("0.10")
    #: … multiplies the caps by this factor.
    non_normal_factor_high: Decimal = Decimal("0.5")
    #: Concentration: HHI of the channel customers' outstanding above this (0.18: "highly
    #: concentrated" in the US DOJ/FTC 2023 merger guidelines) …
    hhi_above: Decimal = Decimal("0.18")
    #: … multiplies the caps by this factor.
    concentration_factor: Decimal = Decimal("0.8")
    #: Penetration: customers among the channel's members below this share (the bank knows
    #: little of the channel) …
    penetration_below: Decimal = Decimal("0.20")
    #: … multiplies the caps by this factor.
    penetration_factor: Decimal = Decimal("0.9")
    #: Apply the quality factor to the per-borrower policy amount too (not only to the total).
    quality_adjusts_per_borrower: bool = True


@dataclass(frozen=True)
class Policy:
    """Capital and every threshold the analyses use. See README for the file format."""

    tier1_capital_fen: int = 10_000_000_000 * 100
    net_capital_fen: int = 12_000_000_000 * 100
    limits: Limits = field(default_factory=Limits)
    connection: Connection = field(default_factory=Connection)
    guarantee: Guarantee = field(default_factory=Guarantee)
    marketing: Marketing = field(default_factory=Marketing)
    caps: Caps = field(default_factory=Caps)
    #: Where the values came from ("defaults" or a file path).
    source: str = "defaults"

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_mapping(cls, data: dict, source: str = "mapping") -> "Policy":
        """Build a policy from a parsed TOML mapping; unknown keys are refused."""
        problems: list[str] = []
        top = dict(data)
        kwargs: dict = {"source": source}
        for key, attr in (("tier1_capital", "tier1_capital_fen"), ("net_capital", "net_capital_fen")):
            if key in top:
                try:
                    kwargs[attr] = yuan_to_fen(top.pop(key))
                except AmountError as exc:
                    problems.append(f"{key}: {exc}")
        sections = {"limits": Limits, "connection": Connection, "guarantee": Guarantee,
                    "marketing": Marketing, "caps": Caps}
        for name, klass in sections.items():
            if name not in top:
                continue
            raw = top.pop(name)
            if not isinstance(raw, dict):
                problems.append(f"[{name}] must be a table")
                continue
            kwargs[name] = _section(klass, name, raw, problems)
        for key in top:
            problems.append(f"unknown key {key!r} (known: tier1_capital, net_capital, "
                            + ", ".join(f"[{s}]" for s in sections) + ")")
        if problems:
            raise PolicyError(f"{source}: " + "; ".join(problems))
        return cls(**kwargs)

    @classmethod
    def load(cls, path: str | Path) -> "Policy":
        """Read a ``policy.toml`` file."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise PolicyError(f"{path}: no such policy file") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PolicyError(f"{path}: not valid TOML: {exc}") from exc
        return cls.from_mapping(data, source=str(path))

    # ------------------------------------------------------------------ derived
    @property
    def tier1_capital(self) -> Decimal:
        return Decimal(self.tier1_capital_fen) / 100

    def to_dict(self) -> dict:
        """Plain JSON-ready view, amounts as yuan strings, ratios as strings."""

        def plain(v):
            if isinstance(v, Decimal):
                return str(v)
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            return v

        out = {"source": Path(self.source).name, "tier1_capital": format_yuan(self.tier1_capital_fen),
               "net_capital": format_yuan(self.net_capital_fen)}
        for name in ("limits", "connection", "guarantee", "marketing", "caps"):
            sec = asdict(getattr(self, name))
            for k in list(sec):
                if k.endswith("_fen"):
                    sec[k[:-4]] = format_yuan(sec.pop(k))
            out[name] = plain(sec)
        return out


def _section(klass, name: str, raw: dict, problems: list[str]):
    known = {f.name: f for f in fields(klass)}
    # money keys are written in yuan in the file and held as fen here
    money = {k[:-4]: k for k in known if k.endswith("_fen")}
    kwargs = {}
    for key, value in raw.items():
        if key in money:
            try:
                kwargs[money[key]] = yuan_to_fen(value)
            except AmountError as exc:
                problems.append(f"[{name}].{key}: {exc}")
            continue
        if key not in known:
            names = sorted(set(known) - set(money.values()) | set(money))
            problems.append(f"[{name}].{key}: unknown key (known: {', '.join(names)})")
            continue
        default = getattr(klass(), key)
        try:
            kwargs[key] = _coerce(default, value)
        except (TypeError, ValueError, ArithmeticError) as exc:
            problems.append(f"[{name}].{key}: {exc}")
    return klass(**kwargs)


def _coerce(default, value):
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {value!r}")
        return value
    if isinstance(default, Decimal):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(f"expected a number, got {value!r}")
        try:
            d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
        except ArithmeticError:
            raise ValueError(f"expected a number, got {value!r}") from None
        if not d.is_finite():
            raise ValueError(f"must be a finite number, got {value!r}")
        if d < 0:
            raise ValueError(f"must not be negative, got {value!r}")
        return d
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected a whole number, got {value!r}")
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise TypeError("expected a table")
        merged = dict(default)
        for k, v in value.items():
            if k not in default:
                raise ValueError(f"unknown key {k!r} (known: {', '.join(default)})")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
                raise TypeError(f"{k}: expected a finite number, got {v!r}")
            merged[k] = float(v)
        return merged
    return value
