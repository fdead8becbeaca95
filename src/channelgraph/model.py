"""The data contract: entity kinds, relation types, loan status, and money.

Everything that reads, builds, loads or analyses a dataset takes its vocabulary
from here, so that a label or relationship type can never come from input data
(it is always one of the fixed members below).

Money is held as integer *fen* (1 yuan = 100 fen) from the moment it is parsed
until it is formatted for a person: it is never a float.

>>> parse_yuan("1,234.5")
123450
>>> format_yuan(123450)
'1234.50'
>>> format_yuan_human(123450)
'1,234.50'
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from enum import Enum


class Kind(str, Enum):
    """What an entity is."""

    PERSON = "person"
    ENTERPRISE = "enterprise"
    CHAMBER = "chamber"  # 商会/协会: chamber of commerce, trade association
    MARKET = "market"  # 专业市场: professional wholesale market
    INTERMEDIARY = "intermediary"  # 中介: broker, loan-assistance agency

    @property
    def label(self) -> str:
        """The Neo4j node label for this kind (fixed, never from input)."""
        return _LABELS[self]


_LABELS = {
    Kind.PERSON: "Person",
    Kind.ENTERPRISE: "Enterprise",
    Kind.CHAMBER: "Chamber",
    Kind.MARKET: "Market",
    Kind.INTERMEDIARY: "Intermediary",
}

#: Kinds that are channels: a scheme may be tied to one of these.
CHANNEL_KINDS = frozenset({Kind.CHAMBER, Kind.MARKET, Kind.INTERMEDIARY})
#: Kinds that can borrow and guarantee (persons and enterprises).
PARTY_KINDS = frozenset({Kind.PERSON, Kind.ENTERPRISE})

KIND_ZH = {
    Kind.PERSON: "个人",
    Kind.ENTERPRISE: "企业",
    Kind.CHAMBER: "商会",
    Kind.MARKET: "专业市场",
    Kind.INTERMEDIARY: "中介机构",
}


@dataclass(frozen=True)
class RelationSpec:
    """What a relation type means and which kinds may stand at its ends."""

    meaning: str
    src_kinds: frozenset
    dst_kinds: frozenset
    directed: bool = True
    requires: tuple = ()  # columns that must be filled for this type
    no_self_loop: bool = False


class RelationType(str, Enum):
    """The fixed set of relationship types (also the Neo4j relationship types)."""

    REFERRED = "REFERRED"
    MEMBER_OF = "MEMBER_OF"
    TRADES_IN = "TRADES_IN"
    SOURCED_VIA = "SOURCED_VIA"
    CONTROLS = "CONTROLS"
    GUARANTEES = "GUARANTEES"
    EMPLOYS = "EMPLOYS"
    SUPPLIES = "SUPPLIES"
    FAMILY = "FAMILY"
    SHARES_REPAYMENT_SOURCE = "SHARES_REPAYMENT_SOURCE"

    @property
    def spec(self) -> RelationSpec:
        return RELATION_SPECS[self]


_ANY = frozenset(Kind)
_PARTY = PARTY_KINDS

RELATION_SPECS: dict[RelationType, RelationSpec] = {
    RelationType.REFERRED: RelationSpec("src referred dst to the bank (转介)", _ANY, _PARTY, no_self_loop=True),
    RelationType.MEMBER_OF: RelationSpec(
        "member of a chamber of commerce (商会会员)", _PARTY, frozenset({Kind.CHAMBER})
    ),
    RelationType.TRADES_IN: RelationSpec(
        "trades in a professional market (市场商户)", _PARTY, frozenset({Kind.MARKET})
    ),
    RelationType.SOURCED_VIA: RelationSpec(
        "customer's business was brought by an intermediary (中介获客)",
        _PARTY,
        frozenset({Kind.INTERMEDIARY}),
    ),
    RelationType.CONTROLS: RelationSpec(
        "controller → controlled enterprise (控制)",
        _PARTY,
        frozenset({Kind.ENTERPRISE}),
        requires=("share",),
        no_self_loop=True,
    ),
    RelationType.GUARANTEES: RelationSpec(
        "guarantor → borrower (担保)", _PARTY, _PARTY, requires=("amount",), no_self_loop=True
    ),
    RelationType.EMPLOYS: RelationSpec(
        "employer → employee, payroll (代发)",
        frozenset({Kind.ENTERPRISE, Kind.CHAMBER, Kind.MARKET, Kind.INTERMEDIARY}),
        frozenset({Kind.PERSON}),
        no_self_loop=True,
    ),
    RelationType.SUPPLIES: RelationSpec(
        "supplier → buyer; share = part of the supplier's revenue from that buyer, "
        "buyer_share = part of the buyer's purchases from that supplier (供应)",
        _PARTY,
        _PARTY,
        no_self_loop=True,
    ),
    RelationType.FAMILY: RelationSpec(
        "family tie between persons (亲属), undirected",
        frozenset({Kind.PERSON}),
        frozenset({Kind.PERSON}),
        directed=False,
        no_self_loop=True,
    ),
    RelationType.SHARES_REPAYMENT_SOURCE: RelationSpec(
        "the two share one main source of repayment or funding (共同还款来源), undirected",
        _PARTY,
        _PARTY,
        directed=False,
        no_self_loop=True,
    ),
}


class Status(str, Enum):
    """Five-class loan classification (五级分类)."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


STATUS_ZH = {
    Status.NORMAL: "正常",
    Status.SPECIAL_MENTION: "关注",
    Status.SUBSTANDARD: "次级",
    Status.DOUBTFUL: "可疑",
    Status.LOSS: "损失",
}
#: Statuses counted as non-performing (不良): substandard, doubtful, loss.
NON_PERFORMING = frozenset({Status.SUBSTANDARD, Status.DOUBTFUL, Status.LOSS})


class ExposureType(str, Enum):
    """What a facility is, for measuring its exposure (表内 / 表外).

    A ``loan`` is on the balance sheet: its ``outstanding`` is drawn money. Every other type
    is off the balance sheet: its ``outstanding`` is the item's nominal amount (the face of
    an acceptance, the amount of a guarantee or letter of credit, an undrawn commitment),
    converted into exposure by a credit conversion factor (CCF, ``[exposure.ccf]``).
    """

    LOAN = "loan"
    BANK_ACCEPTANCE = "bank_acceptance"  # 银行承兑汇票
    FINANCIAL_GUARANTEE = "financial_guarantee"  # 融资性保函 (and standby LCs)
    PERFORMANCE_GUARANTEE = "performance_guarantee"  # 非融资性保函 (performance, bid)
    TRADE_LC = "trade_lc"  # 跟单信用证 (short-term, self-liquidating)
    UNDRAWN_COMMITMENT = "undrawn_commitment"  # 未使用的贷款承诺
    OTHER_OFF_BALANCE = "other_off_balance"  # 其他表外项目

    @property
    def on_balance(self) -> bool:
        return self is ExposureType.LOAN


EXPOSURE_TYPE_ZH = {
    ExposureType.LOAN: "贷款",
    ExposureType.BANK_ACCEPTANCE: "银行承兑汇票",
    ExposureType.FINANCIAL_GUARANTEE: "融资性保函",
    ExposureType.PERFORMANCE_GUARANTEE: "非融资性保函",
    ExposureType.TRADE_LC: "跟单信用证",
    ExposureType.UNDRAWN_COMMITMENT: "未使用的贷款承诺",
    ExposureType.OTHER_OFF_BALANCE: "其他表外项目",
}
EXPOSURE_TYPE_EN = {
    ExposureType.LOAN: "loan",
    ExposureType.BANK_ACCEPTANCE: "bank acceptance",
    ExposureType.FINANCIAL_GUARANTEE: "financial guarantee",
    ExposureType.PERFORMANCE_GUARANTEE: "performance guarantee",
    ExposureType.TRADE_LC: "trade letter of credit",
    ExposureType.UNDRAWN_COMMITMENT: "undrawn commitment",
    ExposureType.OTHER_OFF_BALANCE: "other off-balance item",
}


class Exempt(str, Enum):
    """Why exposures to an entity are exempt from the large-exposure limits (豁免).

    Marked by the bank in ``entities.csv`` (column ``exempt``); channelgraph reports these
    exposures but does not test them. Mark only what your rules exempt.
    """

    SOVEREIGN = "sovereign"  # 中央政府
    CENTRAL_BANK = "central_bank"  # 中央银行
    POLICY_BANK = "policy_bank"  # 政策性银行 / 开发性金融机构
    OTHER = "other"  # 经监管认定的其他豁免


EXEMPT_ZH = {
    Exempt.SOVEREIGN: "中央政府",
    Exempt.CENTRAL_BANK: "中央银行",
    Exempt.POLICY_BANK: "政策性银行",
    Exempt.OTHER: "其他经认定豁免",
}
EXEMPT_EN = {
    Exempt.SOVEREIGN: "sovereign",
    Exempt.CENTRAL_BANK: "central bank",
    Exempt.POLICY_BANK: "policy bank",
    Exempt.OTHER: "other exemption",
}

# --------------------------------------------------------------------------- tables

ENTITY_COLUMNS = ("id", "kind", "name")
ENTITY_OPTIONAL = (
    "is_customer",
    "industry",
    "region",
    "segment",
    "net_assets",
    "annual_revenue",
    "is_interbank",
    "exempt",
)
ENTITY_MONEY = ("net_assets", "annual_revenue")

RELATION_COLUMNS = ("src", "dst", "type")
RELATION_OPTIONAL = ("amount", "share", "role", "since", "buyer_share")
RELATION_MONEY = ("amount",)

EXPOSURE_COLUMNS = ("facility_id", "customer_id", "outstanding")
EXPOSURE_OPTIONAL = (
    "limit",
    "product",
    "scheme_id",
    "status",
    "exposure_type",
    "undrawn",
    "margin",
    "original_maturity_days",
    "cancellable",
)
EXPOSURE_MONEY = ("outstanding", "limit", "undrawn", "margin")
#: The longest original maturity accepted, in days (100 years): more is a unit error.
MAX_MATURITY_DAYS = 36_500

SCHEME_COLUMNS = ("scheme_id", "channel_id", "name")
SCHEME_OPTIONAL = ("product",)

TABLE_FILES = {
    "entities": "entities.csv",
    "relations": "relations.csv",
    "exposures": "exposures.csv",
    "schemes": "schemes.csv",
}

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t", "是"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f", "否", ""})

# --------------------------------------------------------------------------- money

#: The largest single amount accepted: 10 trillion yuan (10 万亿). Anything larger
#: is almost surely a unit error (fen exported as yuan, or a shifted column).
MAX_AMOUNT_FEN = 10**13 * 100

_AMOUNT_RE = re.compile(
    r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?$|^[+-]?\.\d+$", re.ASCII
)  # ASCII digits only: no fullwidth １２３


class AmountError(ValueError):
    """A text that is not an amount of yuan with at most two decimals."""


def parse_yuan(text: str, *, allow_negative: bool = False) -> int:
    """Parse an amount of yuan into integer fen, exactly.

    Accepts ``1234``, ``1234.5``, ``1234.56`` and thousands separators
    (``1,234.56``). Refuses more than two decimals, exponents, negatives
    (unless *allow_negative*) and amounts above :data:`MAX_AMOUNT_FEN`.

    >>> parse_yuan("40000000")
    4000000000
    >>> parse_yuan("0.07")
    7
    """
    s = text.strip()
    if not _AMOUNT_RE.match(s):
        raise AmountError("not a number of yuan (digits, optional '.', at most 2 decimals)" + _number_form(s))
    s = s.replace(",", "")
    try:
        d = Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - regex guards this
        raise AmountError("not a number") from exc
    if d < 0 and not allow_negative:
        raise AmountError("negative amount")
    fen = d * 100
    if fen != fen.to_integral_value():
        raise AmountError("more than 2 decimals (amounts are yuan to the fen)")
    fen_int = int(fen)
    if abs(fen_int) > MAX_AMOUNT_FEN:
        raise AmountError("absurdly large (over 10,000,000,000,000 yuan; a unit error?)")
    return fen_int


def _number_form(s: str) -> str:
    """What makes *s* not a plain number, when it is a common cause (else ``""``)."""
    if any(c.isdigit() and not c.isascii() for c in s) or any("\uff0b" <= c <= "\uff0e" for c in s):
        return ": full-width or other non-ASCII digits (retype them as 0-9)"
    if re.search(r"\d[eE][+-]?\d", s):
        return ": an exponent (scientific notation; format the column as a plain number)"
    if s.endswith("%"):
        return ": write 51% as 0.51"
    return ""


#: A share as written in a cell: ASCII digits, at most one point; no sign but '+', no exponent.
_SHARE_RE = re.compile(r"^\+?(?:\d+(?:\.\d*)?|\.\d+)$", re.ASCII)


class ShareError(ValueError):
    """A text that is not a share written 0–1."""


def parse_share(text: str) -> float | None:
    """Parse a share 0–1 (``0.51``); ``None`` for a blank cell.

    The same number forms as :func:`parse_yuan`: ASCII digits and a point only, so
    ``5.1e-1``, full-width ``０.５``, ``51%``, ``nan`` and ``inf`` are refused like the
    amounts ``1e6`` and ``１２３`` are.

    >>> parse_share("0.51")
    0.51
    >>> parse_share(" 1 ")
    1.0
    """
    s = text.strip()
    if not s:
        return None
    if s.startswith("-") and _SHARE_RE.match(s[1:]):
        raise ShareError("share outside 0–1 (write 51% as 0.51)")
    if not _SHARE_RE.match(s):
        raise ShareError("not a number (a share is written 0–1 in plain ASCII digits, e.g. 0.51)" + _number_form(s))
    x = float(s)
    if not 0.0 <= x <= 1.0:
        raise ShareError("share outside 0–1 (write 51% as 0.51)")
    return x


#: Earliest and latest year a relation may start in: outside is a typo (0202, 20222).
SINCE_YEARS = (1900, 2100)
_SINCE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)


def since_problem(text: str) -> str | None:
    """Why *text* is not a start date for a relation's ``since`` (``None`` when it is one).

    ISO 8601 calendar dates ``YYYY-MM-DD``, or ``YYYY-MM`` / ``YYYY`` when only the month
    or the year is known; a real calendar day between 1900 and 2100. A date in the future
    is accepted (a planned guarantee or payroll). Blank is accepted (unknown).

    >>> since_problem("2024-02-29") is None
    True
    >>> since_problem("2023-02-29")
    'not a calendar date (February 2023 has no day 29)'
    """
    s = text.strip()
    if not s:
        return None
    m = _SINCE_RE.match(s)
    if not m:
        return "not a date: write YYYY-MM-DD (or YYYY-MM, YYYY when only the month or year is known)"
    year_s, month_s, day_s = m.groups()
    year = int(year_s)  # the pattern always has a year
    month = int(month_s) if month_s else None
    day = int(day_s) if day_s else None
    if not SINCE_YEARS[0] <= year <= SINCE_YEARS[1]:
        return f"year {year} outside {SINCE_YEARS[0]}–{SINCE_YEARS[1]} (a typo?)"
    if month is not None and not 1 <= month <= 12:
        return f"not a calendar date (no month {month})"
    if day is not None:
        assert month is not None  # the pattern has a day only after a month
        try:
            _dt.date(year, month, day)
        except ValueError:
            return f"not a calendar date ({_dt.date(year, month, 1):%B %Y} has no day {day})"
    return None


def yuan_to_fen(value) -> int:
    """Convert a policy value (int, str, Decimal or float) in yuan to fen exactly.

    Floats go through their shortest decimal repr, so ``1.5e10`` is 1,500,000,000,000 fen.
    """
    if isinstance(value, bool):
        raise AmountError("a boolean is not an amount")
    if isinstance(value, int):
        return parse_yuan(str(value))
    if isinstance(value, float):
        return parse_yuan(format(Decimal(repr(value)), "f"))
    if isinstance(value, Decimal):
        return parse_yuan(format(value, "f"))
    return parse_yuan(str(value))


def format_yuan(fen: int) -> str:
    """Fen as a plain yuan string with two decimals, for CSV/JSON: ``'1234.50'``."""
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q}.{r:02d}"


def format_yuan_human(fen: int) -> str:
    """Fen as yuan with thousands separators, for people: ``'1,234.50'``."""
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q:,}.{r:02d}"


def format_wan(fen: int) -> str:
    """Fen as 万元 with two decimals, truncated toward zero to stay exact to the display:
    ``format_wan(123456789)`` → ``'123.46万元'`` (rounded half-up on the 0.01 万元)."""
    fen = int(fen)
    d = (Decimal(fen) / Decimal(1_000_000)).quantize(Decimal("0.01"))
    return f"{d:,}万元"


def decimal_percent(d) -> str:
    """A Decimal ratio (a policy threshold) as a percentage: ``Decimal('0.025')`` → ``'2.5%'``.

    >>> decimal_percent(Decimal("0.025")), decimal_percent(Decimal("0.10"))
    ('2.5%', '10%')
    """
    return format((Decimal(d) * 100).normalize(), "f") + "%"


def decimal_number(d) -> str:
    """A policy number without trailing zeros: ``Decimal('0.80')`` → ``'0.8'``."""
    return format(Decimal(d).normalize(), "f")


def share_of(part_fen: int, whole_fen: int) -> Decimal:
    """Exact ratio ``part / whole`` as a Decimal (0 when the whole is 0)."""
    if not whole_fen:
        return Decimal(0)
    return Decimal(int(part_fen)) / Decimal(int(whole_fen))


def fraction_of(fen: int, ratio) -> int:
    """``ratio × fen`` rounded *down* to the fen (a limit never rounds up)."""
    d = Decimal(int(fen)) * Decimal(str(ratio))
    return int(d.to_integral_value(rounding=ROUND_FLOOR))


def round_down(fen: int, unit_fen: int) -> int:
    """Round an amount of fen down to a multiple of *unit_fen* (e.g. 10,000 yuan)."""
    if unit_fen <= 1:
        return int(fen)
    return (int(fen) // unit_fen) * unit_fen
