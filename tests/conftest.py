"""Shared fixtures: small hand-made datasets written as CSV text."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

ENTITIES = """\
id,kind,name,is_customer,net_assets,industry,region
P1,person,张三,是,1000000,,柯桥区
P2,person,李四,否,,,柯桥区
E1,enterprise,华丰纺织有限公司,true,60000000,纺织,柯桥区
E2,enterprise,恒达印染有限公司,true,20000000,印染,越城区
E3,enterprise,金鑫服装有限公司,true,40000000,服装,柯桥区
C1,chamber,温州商会,false,,,
M1,market,轻纺城,false,,,
I1,intermediary,安居房产中介,false,,,
"""

RELATIONS = """\
src,dst,type,amount,share,role
P1,E1,CONTROLS,,0.6,
E1,E2,GUARANTEES,30000000,,
E2,E1,GUARANTEES,5000000,,
P1,C1,MEMBER_OF,,,president
E3,M1,TRADES_IN,,,
P1,P2,REFERRED,,,
P2,I1,SOURCED_VIA,,,
P1,P2,FAMILY,,,
"""

EXPOSURES = """\
facility_id,customer_id,outstanding,limit,product,scheme_id,status
F1,E1,1000000.00,2000000,working_capital,S1,normal
F2,E2,250000.50,,working_capital,,special_mention
F3,E3,99.99,,business_loan,S1,
F4,P1,300000,,mortgage,,
"""

SCHEMES = """\
scheme_id,channel_id,name,product
S1,C1,温州商会会员贷,business_loan
"""


def write_dataset(
    folder: Path,
    entities: str = ENTITIES,
    relations: str = RELATIONS,
    exposures: str = EXPOSURES,
    schemes: str | None = SCHEMES,
    policy: str | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write a dataset folder from CSV text (dedented); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("entities.csv", entities),
        ("relations.csv", relations),
        ("exposures.csv", exposures),
        ("schemes.csv", schemes),
    ):
        if text is not None:
            (folder / name).write_bytes(textwrap.dedent(text).encode(encoding))
    if policy is not None:
        (folder / "policy.toml").write_text(textwrap.dedent(policy), encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_dataset(tmp_path / "tiny")


@pytest.fixture
def make_dataset(tmp_path):
    counter = iter(range(10_000))

    def make(**kwargs) -> Path:
        return write_dataset(tmp_path / f"ds{next(counter)}", **kwargs)

    return make


def neo4j_uri() -> str | None:
    return os.environ.get("NEO4J_URI")
