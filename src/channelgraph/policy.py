"""The bank's policy: capital, regulatory limits and the thresholds analyses use.

A policy is read from ``policy.toml`` (in the dataset folder, or given with
``--policy``). Every key is optional; a missing key takes the default documented
in the dataclasses below (and in README.md). Amounts are yuan (a quoted string such as
``"1200000000.00"`` or a TOML integer), held as integer fen.

Every key is checked completely — its type, its range from its meaning (capital above 0,
limits and scheme shares in (0, 1], thresholds in [0, 1], factors in (0, 1], counts at
least 1, 2 or 3, weights at least 0 and not all 0) and the rules between keys — and every
problem is reported at once, each naming its key (``[caps] scheme_total_share``) and, for
a file, its line (``policy.toml:23``). See :data:`RULES`.

Regulatory defaults follow 商业银行大额风险暴露管理办法 (CBIRC Order 2018 No. 1):
large exposure above 2.5% of tier-1 capital; non-interbank single customer ≤ 15% and a
group of connected non-interbank customers ≤ 20% of tier-1 capital; and 商业银行法
art. 39: loans to one borrower ≤ 10% of net capital.

>>> p = Policy.from_mapping({"tier1_capital": "1000000.00"})
>>> p.tier1_capital_fen
100000000
>>> p.limits.group_share
Decimal('0.20')
>>> Policy.from_text("[caps]\\nscheme_total_share = 5\\n", source="policy.toml")
Traceback (most recent call last):
...
channelgraph.policy.PolicyError: policy.toml:2: [caps] scheme_total_share = 5: must be above 0 and at most 1 (a share: 5% is written 0.05; if you meant 5%, write 0.05)
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .model import AmountError, format_yuan, yuan_to_fen

#: A policy file is a few kilobytes; a larger file is not read (the wrong file, most likely).
MAX_POLICY_BYTES = 1 << 20


@dataclass(frozen=True)
class PolicyProblem:
    """One problem in a policy: where (file, line as an editor shows it, column) and why.

    ``reason`` starts with the key path (``[caps] scheme_total_share = 1.5: …``) when the
    problem is a key's; ``line`` is None when the policy did not come from a file.
    """

    file: str | None
    line: int | None
    reason: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file or "policy"
        if self.line is not None:
            where += f":{self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class PolicyError(ValueError):
    """A policy file or value that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[PolicyProblem] | str):
        if isinstance(problems, str):
            problems = [PolicyProblem(None, None, problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Limits:
    """Regulatory limits, as shares of capital."""

    #: 大额风险暴露: an exposure above (超过) this share of tier-1 capital is a large exposure.
    large_exposure_share: Decimal = Decimal("0.025")
    #: 单一非同业客户: exposure to one non-interbank customer ≤ this share of tier-1.
    single_customer_share: Decimal = Decimal("0.15")
    #: 一组非同业关联客户: exposure to a group of connected customers ≤ this share of tier-1.
    group_share: Decimal = Decimal("0.20")
    #: 单一客户贷款集中度: loans to one non-interbank borrower ≤ this share of net capital.
    single_borrower_net_capital_share: Decimal = Decimal("0.10")
    #: 同业单一客户或集团客户: exposure to one interbank customer, or to a group whose customers
    #: are all interbank, ≤ this share of tier-1.
    interbank_share: Decimal = Decimal("0.25")


@dataclass(frozen=True)
class Connection:
    """When a tie joins two customers into one group of connected clients."""

    #: Control (direct, or summed through controlled entities) above this share joins
    #: controller and controlled.
    control_share_above: Decimal = Decimal("0.5")
    #: Control of exactly ``control_share_above`` joins too (``≥`` instead of ``>``).
    control_at_threshold_joins: bool = False
    #: GUARANTEES whose amount is ≥ this share of the guarantor's net assets joins them.
    guarantee_net_assets_share: Decimal = Decimal("0.5")
    #: Test a guarantor's guarantees together (their sum against its net assets), not one by one.
    aggregate_guarantees: bool = True
    #: SUPPLIES with share ≥ this (of the supplier's revenue) joins supplier and buyer.
    supply_share: Decimal = Decimal("0.5")
    #: SUPPLIES with buyer_share ≥ this (of the buyer's purchases) joins supplier and buyer.
    purchase_share: Decimal = Decimal("0.5")
    #: FAMILY ties join persons into one group.
    family_joins: bool = True
    #: SHARES_REPAYMENT_SOURCE ties (a shared main source of repayment or funding) join.
    shared_repayment_joins: bool = True


#: Credit conversion factors (CCF) by off-balance item, as the policy holds them. Sources and
#: which figures could not be checked against the primary text: README "How exposure is measured".
DEFAULT_CCF = {
    "bank_acceptance": Decimal("1"),
    "financial_guarantee": Decimal("1"),
    "performance_guarantee": Decimal("0.5"),
    "trade_lc": Decimal("0.2"),
    "other_off_balance": Decimal("1"),
    "commitment_up_to_one_year": Decimal("0.2"),
    "commitment_over_one_year": Decimal("0.5"),
    "commitment_cancellable": Decimal("0.1"),
}


@dataclass(frozen=True)
class ExposureRules:
    """How a facility's exposure is measured: on-balance + CCF × off-balance − cash margin."""

    #: CCF per off-balance item (``[exposure.ccf]``); an undrawn commitment takes the
    #: ``commitment_*`` factor of its original maturity (≤ 365 days or above; unknown counts
    #: as above) or, when unconditionally cancellable, ``commitment_cancellable``.
    ccf: dict = field(default_factory=lambda: dict(DEFAULT_CCF))
    #: For a loan with a limit and no ``undrawn`` given, take ``limit − outstanding`` as its
    #: undrawn commitment (a revolving line). Off by default: a limit is not always committed.
    undrawn_from_limit: bool = False


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
            "SHARES_REPAYMENT_SOURCE": 1.0,
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
    #: Enough sources to rank the top hubs, not to quote one node's value (the error is
    #: measured by bench/betweenness_error.py; figures in bench/NOTES.md). Each source is
    #: one breadth-first search of the whole view.
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
    #: True when the policy gave tier-1 capital but no net capital: net capital is then taken
    #: as equal to tier-1 (net capital = tier-1 + tier-2 ≥ tier-1, so this is its floor and the
    #: loan limit errs on the safe side).
    net_capital_from_tier1: bool = False
    limits: Limits = field(default_factory=Limits)
    connection: Connection = field(default_factory=Connection)
    guarantee: Guarantee = field(default_factory=Guarantee)
    marketing: Marketing = field(default_factory=Marketing)
    caps: Caps = field(default_factory=Caps)
    exposure: ExposureRules = field(default_factory=ExposureRules)
    #: Where the values came from ("defaults" or a file path).
    source: str = "defaults"

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_mapping(cls, data: dict, source: str = "mapping", text: str | None = None) -> Policy:
        """Build a policy from a parsed TOML mapping, checking every key (see :data:`RULES`).

        Parameters
        ----------
        data : the mapping (``tomllib.loads`` of a policy file, or a plain dict).
        source : where it came from, named in every problem.
        text : the TOML text *data* was parsed from, if any: problems then name its line.

        Raises
        ------
        PolicyError
            listing every problem: unknown keys, wrong types, values out of range, rules
            between keys that do not hold.
        """
        v = _Validator(source, _key_lines(text) if text is not None else None)
        if not isinstance(data, dict):
            v.problem((), f"a policy is a table of keys, got {_what(data)}")
            raise PolicyError(v.problems)
        kwargs: dict = {"source": source}
        for key, value in data.items():
            if key in SECTIONS:
                if not isinstance(value, dict):
                    v.problem((key,), f"must be a table ([{key}] on its own line, then its keys){_got(value)}", value)
                    continue
                kwargs[key] = v.section(key, value)
            elif key in RULES[""]:
                got = v.value((key,), RULES[""][key], value)
                if got is not _BAD:
                    kwargs[key + "_fen"] = got
            else:
                v.problem(
                    (key,),
                    f"unknown key {key!r} (known: {', '.join(RULES[''])}, "
                    + ", ".join(f"[{s}]" for s in SECTIONS)
                    + ")",
                )
        v.capital(kwargs)
        v.cross_checks(cls(**kwargs))  # a key refused above takes its default here, and is skipped
        if v.problems:
            raise PolicyError(sorted(v.problems, key=lambda p: (p.line is None, p.line or 0)))
        return cls(**kwargs)

    @classmethod
    def from_text(cls, text: str, source: str = "policy.toml") -> Policy:
        """Build a policy from the text of a ``policy.toml``; problems name their line.

        Raises
        ------
        PolicyError
            a TOML syntax error (line, column and the parser's reason), or every problem
            :meth:`from_mapping` finds.
        """
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError([_syntax_problem(source, text, exc)]) from None
        except ValueError as exc:  # int() of a number over 4,300 digits, inside tomllib
            m = re.search(r"\d{4000,}", text)
            line = text.count("\n", 0, m.start()) + 1 if m else None
            raise PolicyError([PolicyProblem(source, line, f"not valid TOML here: {exc}".split(";")[0])]) from None
        except RecursionError:  # tomllib recurses once per nested array or inline table
            raise PolicyError(
                [
                    PolicyProblem(
                        source,
                        _deep_line(text),
                        "not valid TOML here: arrays or inline tables nested too deeply (a policy needs two levels)",
                    )
                ]
            ) from None
        return cls.from_mapping(data, source=source, text=text)

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Read a ``policy.toml`` file (UTF-8, with or without a BOM).

        Raises
        ------
        PolicyError
            one line for a file that is missing, a folder, not a regular file (a FIFO is
            never opened), unreadable, too large or not UTF-8; else as :meth:`from_text`.
        """
        path = Path(path)
        return cls.from_text(_read_policy_text(path), source=str(path))

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

        out = {
            "source": Path(self.source).name,
            "tier1_capital": format_yuan(self.tier1_capital_fen),
            "net_capital": format_yuan(self.net_capital_fen),
            "net_capital_from_tier1": self.net_capital_from_tier1,
        }
        for name in SECTIONS:
            sec = asdict(getattr(self, name))
            for k in list(sec):
                if k.endswith("_fen"):
                    sec[k[:-4]] = format_yuan(sec.pop(k))
            out[name] = plain(sec)
        return out


# ============================================================================ rules

SECTIONS = {
    "limits": Limits,
    "connection": Connection,
    "guarantee": Guarantee,
    "marketing": Marketing,
    "caps": Caps,
    "exposure": ExposureRules,
}


@dataclass(frozen=True)
class Rule:
    """What one key holds: its kind, and for counts the least value and why."""

    #: ``amount`` (yuan > 0), ``share`` (a limit, in (0, 1]), ``threshold`` (a share compared
    #: with, in [0, 1]), ``factor`` (in (0, 1]), ``count`` (a whole number ≥ ``least``),
    #: ``seed`` (a whole number ≥ 0), ``flag`` (true or false), ``weights`` (a table of
    #: numbers ≥ 0, not all 0, keys from the defaults), ``factors`` (a table of numbers from
    #: 0 to 1, keys from the defaults).
    kind: str
    least: int = 1
    why: str = ""


_SHARE, _THRESHOLD, _FACTOR = Rule("share"), Rule("threshold"), Rule("factor")

#: Every key, by section ("" for the top level). A test checks that every field has a rule.
RULES: dict[str, dict[str, Rule]] = {
    "": {
        "tier1_capital": Rule("amount", why="every limit is a share of it"),
        "net_capital": Rule("amount", why="the loan limit is a share of it"),
    },
    "limits": {
        "large_exposure_share": _SHARE,
        "single_customer_share": _SHARE,
        "group_share": _SHARE,
        "single_borrower_net_capital_share": _SHARE,
        "interbank_share": _SHARE,
    },
    "connection": {
        "control_share_above": _THRESHOLD,
        "control_at_threshold_joins": Rule("flag"),
        "guarantee_net_assets_share": _THRESHOLD,
        "aggregate_guarantees": Rule("flag"),
        "supply_share": _THRESHOLD,
        "purchase_share": _THRESHOLD,
        "family_joins": Rule("flag"),
        "shared_repayment_joins": Rule("flag"),
    },
    "guarantee": {
        "cross_min_borrowers": Rule("count", 2, "一保多 is one guarantor behind several borrowers"),
        "focus_min_guarantors": Rule("count", 2, "多保一 is several guarantors behind one borrower"),
        "max_circle_length": Rule("count", 3, "a guarantee circle has at least 3 firms; 2 is a mutual guarantee"),
        "max_scc_enumerate": Rule("count", 3, "a block holding a circle has at least 3 firms"),
        "min_chain_length": Rule("count", 2, "a chain links at least 2 firms"),
    },
    "marketing": {
        "type_weights": Rule("weights", why="relation types"),
        "score_weights": Rule("weights", why="score components"),
        "betweenness_samples": Rule("count", 1, "betweenness needs at least one source"),
        "campaign_k": Rule("count", 1, "the campaign list picks at least one hub"),
        "seed": Rule("seed"),
    },
    "caps": {
        "scheme_total_share": _SHARE,
        "per_borrower": Rule("amount", why="a borrower under a scheme"),
        "single_source_share": _SHARE,
        "single_source_min_borrowers": Rule("count", 1, "a source is behind at least one borrower"),
        "rounding": Rule("amount", why="caps are rounded down to a multiple of it"),
        "non_normal_share_above": _THRESHOLD,
        "non_normal_factor": _FACTOR,
        "non_normal_share_high": _THRESHOLD,
        "non_normal_factor_high": _FACTOR,
        "hhi_above": _THRESHOLD,
        "concentration_factor": _FACTOR,
        "penetration_below": _THRESHOLD,
        "penetration_factor": _FACTOR,
        "quality_adjusts_per_borrower": Rule("flag"),
    },
    "exposure": {
        "ccf": Rule("factors", why="credit conversion factors"),
        "undrawn_from_limit": Rule("flag"),
    },
}

#: A weight above this is refused: weights are relative, and sums of huge ones overflow.
MAX_WEIGHT = 1_000_000
#: A float amount with more significant digits than this may not be the number written.
_FLOAT_DIGITS = 15
#: TOML's whole numbers are 64-bit; tomllib reads larger ones, the compiled kernels cannot.
_INT64_MAX = 2**63 - 1
_DECIMAL_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$", re.ASCII)
_BAD = object()


class _Bad(ValueError):
    """A value refused; the message says why."""


def _what(value) -> str:
    """A value as a person reads it in a message: TOML spelling, or what kind of thing it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        v = value if len(value) <= 40 else value[:40] + "…"
        return '"' + v.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (int, Decimal)):
        text = str(value)
        return text if len(text) <= 40 else f"{text[:20]}…({len(text)} digits)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, (_dt.date, _dt.time)):
        return f"a date/time ({value.isoformat()})"
    return f"a {type(value).__name__}"


def _scalar(value) -> bool:
    return isinstance(value, (bool, int, float, str, Decimal))


def _got(value) -> str:
    """ ", got an array" for what a message's key prefix does not show (a scalar is shown there)."""
    return "" if _scalar(value) else f", got {_what(value)}"


def _number(value, example: str) -> Decimal:
    """A TOML number (or a quoted plain decimal) as an exact Decimal, finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _Bad(f"expected a number such as {example}{_got(value)}")
    if isinstance(value, str):
        s = value.strip()
        if s.endswith("%"):
            raise _Bad(f"write a share as a decimal number, not a percentage: {s} is {_pct_hint(s)}")
        if not _DECIMAL_TEXT.match(s):
            raise _Bad(f"expected a number such as {example}{_got(value)}")
        return Decimal(s)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad(f"must be a finite number{_got(value)}")
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not d.is_finite():
        raise _Bad(f"must be a finite number{_got(value)}")
    return d


def _pct_hint(s: str) -> str:
    try:
        return str(Decimal(s.rstrip("%").strip()) / 100)
    except InvalidOperation:
        return "a decimal (15% is 0.15)"


def _whole(value, least: int, why: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        quoted = " (write it without quotes)" if isinstance(value, str) and value.strip().isdigit() else ""
        raise _Bad(f"expected a whole number{_got(value)}{quoted}")
    if value > _INT64_MAX:
        raise _Bad(f"is beyond TOML's 64-bit whole numbers (at most {_INT64_MAX:,})")
    if value < least:
        raise _Bad(f"must be at least {least}" + (f" ({why})" if why else ""))
    return value


def _check_value(rule: Rule, value):
    """*value* as the policy holds it under *rule* (fen, Decimal, int, bool), or :class:`_Bad`.

    Weights are checked by :meth:`_Validator.weights` (they need the defaults).
    """
    kind = rule.kind
    if kind == "flag":
        if not isinstance(value, bool):
            raise _Bad(f"expected true or false{_got(value)}")
        return value
    if kind in ("count", "seed"):
        return _whole(
            value,
            rule.least if kind == "count" else 0,
            rule.why if kind == "count" else "a random seed is a non-negative whole number",
        )
    if kind == "amount":
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise _Bad(f'expected an amount of yuan such as "1000000.00"{_got(value)}')
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _Bad(f"must be a finite amount of yuan{_got(value)}")
            if len(Decimal(repr(value)).as_tuple().digits) > _FLOAT_DIGITS:
                raise _Bad(
                    f"{_what(value)} has too many digits to be read exactly as a TOML float: "
                    'write the amount in quotes, e.g. "1200000000.00"'
                )
        try:
            fen = yuan_to_fen(value)
        except AmountError as exc:
            raise _Bad(f"{exc}{_got(value)}") from None
        if fen <= 0:
            raise _Bad("must be an amount above 0 yuan" + (f" ({rule.why})" if rule.why else ""))
        return fen
    if kind in ("share", "threshold", "factor"):
        d = _number(value, "0.05")
        low_ok = kind == "threshold"
        if d < 0 or d > 1 or (d == 0 and not low_ok):
            rng = "from 0 to 1" if low_ok else "above 0 and at most 1"
            hint = {
                "share": "a share: 5% is written 0.05",
                "threshold": "a share: 5% is written 0.05; 0 and 1 switch the test fully on or off",
                "factor": "a factor multiplies the caps: 0.8 cuts them by a fifth, 1 leaves them",
            }[kind]
            if 1 < d <= 100 and kind != "factor":
                hint += f"; if you meant {d.normalize():f}%, write {(d / 100).normalize():f}"
            raise _Bad(f"must be {rng} ({hint})")
        return d
    raise AssertionError(f"no check for kind {kind!r}")  # pragma: no cover - RULES names known kinds


class _Validator:
    """Collects every problem of one policy, each with its key path and line."""

    def __init__(self, source: str, lines: dict[tuple, int] | None):
        self.source = source
        self.lines = lines
        self.problems: list[PolicyProblem] = []
        self.given: set[tuple] = set()
        self.bad: set[tuple] = set()

    def line(self, path: tuple) -> int | None:
        """The line of *path* in the text (or of its nearest enclosing key or table)."""
        if self.lines is None:
            return None
        for n in range(len(path), 0, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def problem(self, path: tuple, reason: str, value=_BAD) -> None:
        """Record a problem of the key at *path* (showing its *value* when given)."""
        shown = f" = {_what(value)}" if value is not _BAD and _scalar(value) else ""
        prefix = f"{key_path(path)}{shown}: " if path else ""
        self.problems.append(PolicyProblem(self.source, self.line(path), prefix + reason))

    def value(self, path: tuple, rule: Rule, value):
        """The checked value of the key at *path*, or ``_BAD`` (the problem recorded)."""
        self.given.add(path)
        try:
            if rule.kind in ("weights", "factors"):
                return self.weights(path, rule, value)
            return _check_value(rule, value)
        except _Skip:
            self.bad.add(path)
            return _BAD
        except _Bad as exc:
            self.bad.add(path)
            self.problem(path, str(exc), value)
            return _BAD

    def section(self, name: str, raw: dict):
        klass = SECTIONS[name]
        rules = RULES[name]
        known = {f.name for f in fields(klass)}
        kwargs = {}
        for key, value in raw.items():
            path = (name, key)
            if key not in rules:
                self.problem(path, f"unknown key {key!r} in [{name}] (known: {', '.join(rules)})")
                continue
            got = self.value(path, rules[key], value)
            if got is not _BAD:
                kwargs[key + "_fen" if key + "_fen" in known else key] = got
        return klass(**kwargs)

    def weights(self, path: tuple, rule: Rule, value) -> dict:
        """A table of weights (or of factors 0–1 for ``factors``) over the default's keys."""
        what = "weights" if rule.kind == "weights" else rule.why
        if not isinstance(value, dict):
            raise _Bad(f"expected a table of {what} such as {{ {_example(path)} }}{_got(value)}")
        default = getattr(SECTIONS[path[0]](), path[1])
        merged = dict(default)
        bad = False
        for k, w in value.items():
            wpath = path + (k,)
            if k not in default:
                self.problem(wpath, f"unknown {rule.why[:-1]} {k!r} (known: {', '.join(default)})")
                bad = True
                continue
            if rule.kind == "factors":
                try:
                    d = _number(w, "0.5")
                except _Bad as exc:
                    self.problem(wpath, str(exc), w)
                    bad = True
                    continue
                if 0 <= d <= 1:
                    merged[k] = d
                    continue
                self.problem(wpath, "must be from 0 to 1 (a conversion factor: 50% is written 0.5)", w)
                bad = True
                continue
            if (
                isinstance(w, bool)
                or not isinstance(w, (int, float))
                or (isinstance(w, float) and not math.isfinite(w))
            ):
                self.problem(wpath, f"expected a finite number ≥ 0{_got(w)}", w)
            elif w < 0:
                self.problem(wpath, "a weight must not be negative (0 leaves it out)", w)
            elif w > MAX_WEIGHT:
                self.problem(wpath, f"weights are relative; keep them at most {MAX_WEIGHT:,}", w)
            else:
                merged[k] = float(w)
                continue
            bad = True
        if not bad and rule.kind == "weights" and not any(merged.values()):
            raise _Bad(
                f"every weight is 0 (with the defaults of the {rule.why} not given): give at least one a weight above 0"
            )
        if bad:
            raise _Skip
        return merged

    def capital(self, kwargs: dict) -> None:
        """Net capital with tier-1: taken as tier-1 when only tier-1 is given (its floor);
        refused when given without tier-1 or below it (net capital includes tier-1)."""
        t1, net = ("tier1_capital",), ("net_capital",)
        if t1 in self.bad or net in self.bad:
            return
        if t1 in self.given and net not in self.given:
            kwargs["net_capital_fen"] = kwargs["tier1_capital_fen"]
            kwargs["net_capital_from_tier1"] = True
        elif net in self.given and t1 not in self.given:
            self.problem(
                net,
                "give tier1_capital too: every limit but the loan limit is a share of tier-1 capital, "
                "and the default tier-1 would not be this bank's",
                _yuan_text(kwargs["net_capital_fen"]),
            )
        elif net in self.given and kwargs["net_capital_fen"] < kwargs["tier1_capital_fen"]:
            self.problem(
                net,
                f"must be at least tier1_capital ({format_yuan(kwargs['tier1_capital_fen'])} yuan): "
                "net capital (资本净额) is tier-1 plus tier-2 capital",
                _yuan_text(kwargs["net_capital_fen"]),
            )

    def cross_checks(self, p: Policy) -> None:
        """Rules between keys (each checked when both keys passed their own checks)."""
        c = p.caps
        self._order(
            ("caps", "non_normal_share_above"),
            c.non_normal_share_above,
            ("caps", "non_normal_share_high"),
            c.non_normal_share_high,
            "the higher non-normal step must start at or above the first",
        )
        self._order(
            ("caps", "non_normal_factor_high"),
            c.non_normal_factor_high,
            ("caps", "non_normal_factor"),
            c.non_normal_factor,
            "the factor above the higher non-normal step must cut at least as much as the first",
        )
        self._order(
            ("caps", "rounding"),
            Decimal(c.rounding_fen).scaleb(-2),
            ("caps", "per_borrower"),
            Decimal(c.per_borrower_fen).scaleb(-2),
            "a per-borrower cap rounded down to a larger unit would be 0",
        )

    def _order(self, low: tuple, low_value, high: tuple, high_value, why: str) -> None:
        """Require ``low_value ≤ high_value``; the problem is reported at the key the file set."""
        if low_value <= high_value or low in self.bad or high in self.bad:
            return

        def other(path, value):
            where = (
                (f"line {self.line(path)}" if self.lines is not None else "given") if path in self.given else "default"
            )
            return f"{key_path(path)} = {value} ({where})"

        if high in self.given:
            reason = f"{key_path(high)} = {high_value}: must be at least {other(low, low_value)}: {why}"
        else:
            reason = f"{key_path(low)} = {low_value}: must be at most {other(high, high_value)}: {why}"
        self.problems.append(PolicyProblem(self.source, self.line(high if high in self.given else low), reason))


class _Skip(_Bad):
    """A weights table whose entries were reported one by one."""


def _yuan_text(fen: int) -> Decimal:
    """An amount of fen as the yuan a policy file writes (shown unquoted in a message)."""
    return Decimal(fen).scaleb(-2)


def _example(path: tuple) -> str:
    default = getattr(SECTIONS[path[0]](), path[1])
    k, w = next(iter(default.items()))
    return f"{k} = {w}"


def key_path(path: tuple) -> str:
    """``("caps", "rounding")`` → ``[caps] rounding``; a top-level key is its name."""
    if not path:
        return ""
    if path[0] in SECTIONS:
        return f"[{path[0]}]" + (" " + ".".join(map(_toml_key, path[1:])) if len(path) > 1 else "")
    return ".".join(map(_toml_key, path))


def _toml_key(key: str) -> str:
    """A key as TOML spells it: bare when it can be, else quoted with escapes (no raw newline)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _what(key)


# ============================================================================ reading the file


def _read_policy_text(path: Path) -> str:
    """The text of a policy file, or a :class:`PolicyError` of one line saying what is wrong.

    The file is read as every input file is (:func:`channelgraph.io.read.read_file_bytes`:
    a FIFO is never opened, a folder or missing file is one reason), at most
    :data:`MAX_POLICY_BYTES`.
    """
    # imported here, not at the top: channelgraph.io imports this module
    from .io.read import read_file_bytes

    data, why = read_file_bytes(
        path, instead="give a policy.toml text file (or none, for the defaults)", max_bytes=MAX_POLICY_BYTES
    )
    if data is None:
        assert why is not None  # read_file_bytes says why it read nothing
        raise PolicyError([PolicyProblem(str(path), None, why)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyError(
            [PolicyProblem(str(path), line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the policy as UTF-8")]
        ) from None


def _deep_line(text: str, depth: int = 50) -> int | None:
    """The line where brackets first nest *depth* deep (strings not told apart: a hint only)."""
    level, line = 0, 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "[{":
            level += 1
            if level >= depth:
                return line
        elif ch in "]}":
            level -= 1
    return None


_AT = re.compile(r"^(.*?)\s*\(at line (\d+), column (\d+)\)$", re.DOTALL)
_AT_END = re.compile(r"^(.*?)\s*\(at end of document\)$", re.DOTALL)


def _syntax_problem(source: str, text: str, exc: tomllib.TOMLDecodeError) -> PolicyProblem:
    msg = str(exc)
    m = _AT.match(msg)
    if m:
        return PolicyProblem(source, int(m.group(2)), f"not valid TOML: {m.group(1)}", int(m.group(3)))
    m = _AT_END.match(msg)
    if m:
        lines = text.split("\n")
        return PolicyProblem(
            source, len(lines), f"not valid TOML: {m.group(1)} (at the end of the file)", len(lines[-1]) + 1
        )
    return PolicyProblem(source, None, f"not valid TOML: {msg}")


# ---------------------------------------------------------------------------- key lines
# tomllib gives no positions for values, so the line of each key is found by a small scan of
# the text: table headers, ``key =`` lines (dotted keys included) and the keys of inline tables.
# The text has parsed as TOML, so every key path appears once.

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|' + r"'[^']*'"
_KEY = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*"
_HEADER_RE = re.compile(rf"^[ \t]*\[\[?[ \t]*({_DOTTED})[ \t]*\]")
_ASSIGN_RE = re.compile(rf"^[ \t]*({_DOTTED})[ \t]*=")
_INLINE_RE = re.compile(rf"[{{,][ \t]*({_DOTTED})[ \t]*=")
_PART_RE = re.compile(_KEY)


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for m in _PART_RE.finditer(dotted):
        part = m.group(0)
        if part.startswith('"'):
            part = tomllib.loads(f"k = {part}")["k"]
        elif part.startswith("'"):
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)


def _key_lines(text: str) -> dict[tuple, int]:
    """The line (1-based) of every key path and table header in a TOML text."""
    lines: dict[tuple, int] = {}
    table: tuple = ()
    in_string = None  # the quote of a multi-line string being skipped
    for n, line in enumerate(text.split("\n"), 1):
        if in_string:
            if line.count(in_string) % 2:
                in_string = None
            continue
        m = _HEADER_RE.match(line)
        if m:
            table = _split_key(m.group(1))
            lines.setdefault(table, n)
            continue
        m = _ASSIGN_RE.match(line)
        if not m:
            continue
        key = table + _split_key(m.group(1))
        for k in range(len(table) + 1, len(key) + 1):
            lines.setdefault(key[:k], n)
        rest = line[m.end() :]
        for q in ('"""', "'''"):
            if rest.count(q) % 2:
                in_string = q
        if "{" in rest:
            for im in _INLINE_RE.finditer(rest):
                lines.setdefault(key + _split_key(im.group(1)), n)
    return lines
