"""Validation: from the CSV files of a dataset folder to checked, typed tables.

:func:`load_dataset` reads every file, checks every rule of the input contract
(README "Input contract") and either returns a :class:`Dataset` or raises
:class:`DatasetError` listing *every* problem with file, line, column, value and
reason. Nothing is dropped silently: a row is either valid and kept whole, or it is
named in a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..model import (
    CHANNEL_KINDS,
    ENTITY_COLUMNS,
    ENTITY_MONEY,
    ENTITY_OPTIONAL,
    EXPOSURE_COLUMNS,
    EXPOSURE_MONEY,
    EXPOSURE_OPTIONAL,
    FALSE_WORDS,
    PARTY_KINDS,
    RELATION_COLUMNS,
    RELATION_MONEY,
    RELATION_OPTIONAL,
    RELATION_SPECS,
    SCHEME_COLUMNS,
    SCHEME_OPTIONAL,
    TABLE_FILES,
    TRUE_WORDS,
    AmountError,
    Kind,
    RelationType,
    Status,
    parse_yuan,
)
from ..policy import Policy, PolicyError
from .problems import DatasetError, Problem
from .read import RawTable, read_csv_table

#: Longest id and name accepted (longer is almost surely a shifted column or junk).
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 200

_KINDS = {k.value: k for k in Kind}
_TYPES = {t.value: t for t in RelationType}
_STATUSES = {s.value: s for s in Status}


@dataclass
class Dataset:
    """A validated dataset: typed tables plus the policy.

    ``entities``: id, kind, name, is_customer (bool), industry, region, segment,
    net_assets / annual_revenue (nullable Int64, fen), extra columns (text).
    ``relations``: src, dst, type, amount (nullable Int64, fen), share (nullable
    Float64, 0–1), role, since, extra columns. ``exposures``: facility_id,
    customer_id, outstanding (int64, fen), limit (nullable Int64, fen), product,
    scheme_id, status (default ``normal``), extra columns. ``schemes``: scheme_id,
    channel_id, name, product, extra columns.
    """

    entities: pd.DataFrame
    relations: pd.DataFrame
    exposures: pd.DataFrame
    schemes: pd.DataFrame
    policy: Policy = field(default_factory=Policy)
    path: Path | None = None
    encodings: dict = field(default_factory=dict)

    @property
    def total_outstanding_fen(self) -> int:
        return int(sum(self.exposures["outstanding"].tolist()))

    def summary(self) -> dict:
        """Counts per kind and type and the total outstanding (fen), for people and JSON."""
        ent = self.entities
        return {
            "entities": len(ent),
            "customers": int(ent["is_customer"].sum()),
            "prospects": int((~ent["is_customer"] & ent["kind"].isin([k.value for k in PARTY_KINDS])).sum()),
            "kinds": {k.value: int((ent["kind"] == k.value).sum()) for k in Kind},
            "relations": len(self.relations),
            "types": {t.value: int((self.relations["type"] == t.value).sum()) for t in RelationType},
            "facilities": len(self.exposures),
            "schemes": len(self.schemes),
            "total_outstanding_fen": self.total_outstanding_fen,
            "status": {s.value: int((self.exposures["status"] == s.value).sum()) for s in Status},
        }


# ----------------------------------------------------------------------------- helpers


class _Checker:
    """Collects problems for one table."""

    def __init__(self, table: RawTable):
        self.t = table
        self.problems: list[Problem] = []
        self.bad_rows: set[int] = set()

    def add(self, i: int | None, column: str | None, value: str | None, reason: str) -> None:
        line = self.t.lines[i] if i is not None else 1
        self.problems.append(Problem(self.t.file, line, column, value, reason))
        if i is not None:
            self.bad_rows.add(i)

    def require_columns(self, required, optional=()) -> bool:
        missing = [c for c in required if c not in self.t.columns]
        for c in missing:
            self.problems.append(Problem(
                self.t.file, 1, c, None,
                f"required column is missing (header has: {', '.join(self.t.header) or 'nothing'})"))
        return not missing

    def col(self, name: str) -> list[str]:
        got = self.t.columns.get(name)
        if got is None:
            return [""] * len(self.t)
        return got

    def text(self, name: str, *, required: bool, max_len: int = MAX_NAME_LENGTH) -> list[str]:
        out = []
        for i, v in enumerate(self.col(name)):
            s = v.strip()
            if required and not s:
                self.add(i, name, v, "is empty but required")
            elif len(s) > max_len:
                self.add(i, name, v, f"is longer than {max_len} characters")
            out.append(s)
        return out

    def money(self, name: str, *, required: bool) -> list[int | None]:
        out: list[int | None] = []
        for i, v in enumerate(self.col(name)):
            s = v.strip()
            if not s:
                if required:
                    self.add(i, name, v, "is empty but an amount is required")
                out.append(None)
                continue
            try:
                out.append(parse_yuan(s))
            except AmountError as exc:
                self.add(i, name, v, str(exc))
                out.append(None)
        return out

    def share(self, name: str) -> list[float | None]:
        out: list[float | None] = []
        for i, v in enumerate(self.col(name)):
            s = v.strip()
            if not s:
                out.append(None)
                continue
            try:
                x = float(s)
            except ValueError:
                self.add(i, name, v, "not a number (a share is written 0–1, e.g. 0.51)")
                out.append(None)
                continue
            if not (0.0 <= x <= 1.0):  # also refuses nan
                self.add(i, name, v, "share outside 0–1 (write 51% as 0.51)")
                out.append(None)
                continue
            out.append(x)
        return out

    def unique(self, name: str, values: list[str]) -> None:
        first: dict[str, int] = {}
        for i, v in enumerate(values):
            if not v:
                continue
            j = first.setdefault(v, i)
            if j != i:
                self.add(i, name, v, f"duplicate id (first on line {self.t.lines[j]})")

    def extras(self, known) -> dict[str, list[str]]:
        return {c: vals for c, vals in self.t.columns.items() if c not in known}


def _frame(columns: dict[str, list], keep: list[int]) -> pd.DataFrame:
    if len(keep) == len(next(iter(columns.values()), [])):
        return pd.DataFrame(columns)
    return pd.DataFrame({c: [vals[i] for i in keep] for c, vals in columns.items()})


def _int_column(values: list[int | None]) -> pd.Series:
    return pd.array(values, dtype="Int64")


# ----------------------------------------------------------------------------- tables


def _check_entities(t: RawTable) -> tuple[pd.DataFrame, list[Problem], dict]:
    c = _Checker(t)
    if not c.require_columns(ENTITY_COLUMNS):
        return None, c.problems, {}
    if len(t) == 0 and not t.problems:
        c.problems.append(Problem(t.file, 1, None, None, "has a header but no rows: a dataset needs entities"))
    ids = c.text("id", required=True, max_len=MAX_ID_LENGTH)
    c.unique("id", ids)
    kinds = c.text("kind", required=True)
    for i, k in enumerate(kinds):
        if k and k not in _KINDS:
            c.add(i, "kind", k, f"unknown kind (expected one of {', '.join(_KINDS)})")
    names = c.text("name", required=True)
    cust = []
    for i, v in enumerate(c.col("is_customer")):
        s = v.strip().lower()
        if s in TRUE_WORDS:
            cust.append(True)
        elif s in FALSE_WORDS:
            cust.append(False)
        else:
            c.add(i, "is_customer", v, "not a yes/no value (true/false, 1/0, yes/no, 是/否)")
            cust.append(False)
    for i, (k, cu) in enumerate(zip(kinds, cust)):
        if cu and k in _KINDS and _KINDS[k] not in PARTY_KINDS:
            c.add(i, "is_customer", c.col("is_customer")[i],
                  f"a {k} cannot be a borrowing customer here (only person or enterprise)")
    money = {m: c.money(m, required=False) for m in ENTITY_MONEY}
    cols = {"id": ids, "kind": kinds, "name": names, "is_customer": cust}
    for opt in ("industry", "region", "segment"):
        cols[opt] = c.text(opt, required=False)
    cols.update(money)
    cols.update(c.extras(set(ENTITY_COLUMNS) | set(ENTITY_OPTIONAL)))
    index = {v: i for i, v in enumerate(ids) if v and kinds[i] in _KINDS}
    info = {"kind_of": {v: kinds[i] for v, i in index.items()}, "customer": {ids[i]: cust[i] for i in index.values()}}
    keep = [i for i in range(len(t)) if i not in c.bad_rows]
    df = _frame(cols, keep)
    for m in ENTITY_MONEY:
        df[m] = _int_column(df[m].tolist())
    df["is_customer"] = df["is_customer"].astype(bool)
    return df, c.problems, info


def _check_relations(t: RawTable, kind_of: dict[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    c = _Checker(t)
    if not c.require_columns(RELATION_COLUMNS):
        return None, c.problems
    srcs = c.text("src", required=True, max_len=MAX_ID_LENGTH)
    dsts = c.text("dst", required=True, max_len=MAX_ID_LENGTH)
    types = c.text("type", required=True)
    amounts = c.money("amount", required=False)
    shares = c.share("share")
    seen: dict[tuple, int] = {}
    for i, (s, d, ty) in enumerate(zip(srcs, dsts, types)):
        for col, v in (("src", s), ("dst", d)):
            if v and v not in kind_of:
                c.add(i, col, v, "refers to no entity in entities.csv (dangling reference)")
        if not ty:
            continue
        rt = _TYPES.get(ty)
        if rt is None:
            c.add(i, "type", ty, f"unknown relation type (expected one of {', '.join(_TYPES)})")
            continue
        spec = RELATION_SPECS[rt]
        if s and d and s == d and spec.no_self_loop:
            c.add(i, "dst", d, f"{ty} from an entity to itself (self-loop)")
        ks, kd = kind_of.get(s), kind_of.get(d)
        if ks and Kind(ks) not in spec.src_kinds:
            c.add(i, "src", s, f"{ty} cannot start at a {ks} (allowed: {_kinds(spec.src_kinds)})")
        if kd and Kind(kd) not in spec.dst_kinds:
            c.add(i, "dst", d, f"{ty} cannot end at a {kd} (allowed: {_kinds(spec.dst_kinds)})")
        if "amount" in spec.requires and amounts[i] is None and not c.col("amount")[i].strip():
            c.add(i, "amount", "", f"{ty} requires an amount")
        if "share" in spec.requires and shares[i] is None and not c.col("share")[i].strip():
            c.add(i, "share", "", f"{ty} requires a share (0–1)")
        key = (s, d, ty) if spec.directed else (min(s, d), max(s, d), ty)
        j = seen.setdefault(key, i)
        if j != i:
            c.add(i, "type", ty, f"duplicate relation {s} -{ty}- {d} (first on line {t.lines[j]}); "
                                 "one row per pair and type (add amounts into one row)")
    cols = {"src": srcs, "dst": dsts, "type": types, "amount": amounts, "share": shares,
            "role": c.text("role", required=False), "since": c.text("since", required=False)}
    cols.update(c.extras(set(RELATION_COLUMNS) | set(RELATION_OPTIONAL)))
    keep = [i for i in range(len(t)) if i not in c.bad_rows]
    df = _frame(cols, keep)
    df["amount"] = _int_column(df["amount"].tolist())
    df["share"] = pd.array(df["share"].tolist(), dtype="Float64")
    return df, c.problems


def _check_schemes(t: RawTable | None, kind_of: dict[str, str]) -> tuple[pd.DataFrame, list[Problem], set]:
    cols_all = list(SCHEME_COLUMNS) + list(SCHEME_OPTIONAL)
    if t is None:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols_all}), [], set()
    c = _Checker(t)
    if not c.require_columns(SCHEME_COLUMNS):
        return None, c.problems, set()
    ids = c.text("scheme_id", required=True, max_len=MAX_ID_LENGTH)
    c.unique("scheme_id", ids)
    chans = c.text("channel_id", required=True, max_len=MAX_ID_LENGTH)
    for i, ch in enumerate(chans):
        if not ch:
            continue
        k = kind_of.get(ch)
        if k is None:
            c.add(i, "channel_id", ch, "refers to no entity in entities.csv (dangling reference)")
        elif Kind(k) not in CHANNEL_KINDS:
            c.add(i, "channel_id", ch, f"a scheme's channel must be a chamber, market or intermediary, not a {k}")
    cols = {"scheme_id": ids, "channel_id": chans, "name": c.text("name", required=True),
            "product": c.text("product", required=False)}
    cols.update(c.extras(set(cols_all)))
    keep = [i for i in range(len(t)) if i not in c.bad_rows]
    return _frame(cols, keep), c.problems, {v for v in ids if v}


def _check_exposures(t: RawTable, kind_of: dict, customer: dict, schemes: set) -> tuple[pd.DataFrame, list[Problem]]:
    c = _Checker(t)
    if not c.require_columns(EXPOSURE_COLUMNS):
        return None, c.problems
    ids = c.text("facility_id", required=True, max_len=MAX_ID_LENGTH)
    c.unique("facility_id", ids)
    custs = c.text("customer_id", required=True, max_len=MAX_ID_LENGTH)
    outstanding = c.money("outstanding", required=True)
    limits = c.money("limit", required=False)
    for i, cu in enumerate(custs):
        if not cu:
            continue
        k = kind_of.get(cu)
        if k is None:
            c.add(i, "customer_id", cu, "refers to no entity in entities.csv (dangling reference)")
        elif Kind(k) not in PARTY_KINDS:
            c.add(i, "customer_id", cu, f"a facility's customer must be a person or enterprise, not a {k}")
        elif not customer.get(cu):
            c.add(i, "customer_id", cu, "has a facility but is_customer is false in entities.csv")
    scheme_ids = c.text("scheme_id", required=False, max_len=MAX_ID_LENGTH)
    for i, s in enumerate(scheme_ids):
        if s and s not in schemes:
            c.add(i, "scheme_id", s, "refers to no scheme in schemes.csv (dangling reference)")
    statuses = c.text("status", required=False)
    for i, s in enumerate(statuses):
        if not s:
            statuses[i] = Status.NORMAL.value
        elif s not in _STATUSES:
            c.add(i, "status", s, f"unknown five-class status (expected one of {', '.join(_STATUSES)})")
    cols = {"facility_id": ids, "customer_id": custs, "outstanding": outstanding, "limit": limits,
            "product": c.text("product", required=False), "scheme_id": scheme_ids, "status": statuses}
    cols.update(c.extras(set(EXPOSURE_COLUMNS) | set(EXPOSURE_OPTIONAL)))
    keep = [i for i in range(len(t)) if i not in c.bad_rows]
    df = _frame(cols, keep)
    df["outstanding"] = pd.array(df["outstanding"].tolist(), dtype="int64")
    df["limit"] = _int_column(df["limit"].tolist())
    return df, c.problems


def _kinds(kinds) -> str:
    return "|".join(k.value for k in Kind if k in kinds)


# ----------------------------------------------------------------------------- API


def load_dataset(path: str | Path, *, encoding: str | None = None, policy: str | Path | Policy | None = None) -> Dataset:
    """Read and validate a dataset folder.

    Parameters
    ----------
    path : folder with ``entities.csv``, ``relations.csv``, ``exposures.csv`` and
        optionally ``schemes.csv`` and ``policy.toml``.
    encoding : force an encoding for every file (default: detect UTF-8, UTF-8 with
        BOM, or GB18030/GBK per file).
    policy : a :class:`Policy`, or a path to a ``policy.toml`` (default: the
        folder's ``policy.toml`` if present, else the documented defaults).

    Raises
    ------
    DatasetError
        listing every problem found, each with file, line, column, value, reason.

    Examples
    --------
    >>> ds = load_dataset("data/sample")   # doctest: +SKIP
    >>> ds.summary()["customers"]           # doctest: +SKIP
    300
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError([Problem(str(folder), None, None, None, "is not a folder (a dataset is a folder of CSV files)")])
    problems: list[Problem] = []

    pol: Policy
    if isinstance(policy, Policy):
        pol = policy
    else:
        ppath = Path(policy) if policy else folder / "policy.toml"
        if policy or ppath.exists():
            try:
                pol = Policy.load(ppath)
            except PolicyError as exc:
                problems.append(Problem(ppath.name, None, None, None, str(exc).split(": ", 1)[-1]))
                pol = Policy()
        else:
            pol = Policy()

    raw: dict[str, RawTable | None] = {}
    for key, name in TABLE_FILES.items():
        f = folder / name
        if not f.exists():
            if key != "schemes":
                problems.append(Problem(name, None, None, None, f"is missing from {folder}"))
            raw[key] = None
            continue
        try:
            raw[key] = read_csv_table(f, encoding)
        except ValueError as exc:  # unknown --encoding
            raise DatasetError([Problem(name, None, None, encoding, str(exc))]) from exc
        problems.extend(raw[key].problems)

    ent_df = rel_df = exp_df = None
    kind_of: dict[str, str] = {}
    customer: dict[str, bool] = {}
    if raw["entities"] is not None and raw["entities"].header:
        ent_df, p, info = _check_entities(raw["entities"])
        problems.extend(p)
        kind_of, customer = info.get("kind_of", {}), info.get("customer", {})
    sch_df, p, scheme_ids = _check_schemes(raw["schemes"] if raw["schemes"] is None or raw["schemes"].header else None, kind_of)
    problems.extend(p)
    if raw["relations"] is not None and raw["relations"].header:
        rel_df, p = _check_relations(raw["relations"], kind_of)
        problems.extend(p)
    if raw["exposures"] is not None and raw["exposures"].header:
        exp_df, p = _check_exposures(raw["exposures"], kind_of, customer, scheme_ids)
        problems.extend(p)
        if exp_df is not None and len(exp_df) > 0 and not p:
            total = sum(exp_df["outstanding"].tolist())
            if total >= 2**62:
                problems.append(Problem(raw["exposures"].file, None, "outstanding", None,
                                        "total outstanding is too large to be a bank's book"))
    if problems:
        raise DatasetError(problems)
    return Dataset(ent_df, rel_df, exp_df, sch_df, pol, folder,
                   {k: t.encoding for k, t in raw.items() if t is not None})


def validate(path: str | Path, **kwargs) -> list[Problem]:
    """Every problem in a dataset folder (an empty list when it is valid)."""
    try:
        load_dataset(path, **kwargs)
    except DatasetError as exc:
        return exc.problems
    return []


def dataset_from_frames(entities: pd.DataFrame, relations: pd.DataFrame, exposures: pd.DataFrame,
                        schemes: pd.DataFrame | None = None, policy: Policy | None = None) -> Dataset:
    """Validate in-memory tables (text cells, as they would be in CSV) by the same rules.

    Convenient for tests and notebooks; goes through a temporary folder so that the
    one validation path is used.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for frame, name in ((entities, "entities.csv"), (relations, "relations.csv"),
                            (exposures, "exposures.csv"), (schemes, "schemes.csv")):
            if frame is not None:
                frame.to_csv(Path(tmp) / name, index=False)
        ds = load_dataset(tmp, policy=policy or Policy())
    ds.path = None
    return ds
