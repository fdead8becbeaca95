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
  couple of guarantee circles and through loan agencies);
* ``policy.toml`` with tier-1 and net capital scaled to the generated book so that one
  group of connected clients breaches 20% of tier-1 and a few are large exposures.

Same arguments give byte-identical files: every draw comes from
``numpy.random.default_rng(seed)`` or ``random.Random(seed)``, in a fixed order.
Memory stays bounded at a million customers: per-entity attributes and relations are
held as integer arrays, names are drawn while streaming rows to the files.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from array import array
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .model import Kind, RelationType, Status, format_yuan

__all__ = ["generate_dataset", "MIN_CUSTOMERS"]

#: Fewer customers than this cannot hold the vocabulary of structures.
MIN_CUSTOMERS = 10

# ============================================================================ vocabulary

# surname, weight (common surnames; Zhejiang-flavoured weights)
_SURNAMES = (
    "王14 陈13 张11 李10 金6 徐6 周6 沈5 杨5 黄5 吴5 孙4 钱4 朱4 胡4 赵4 刘4 何3 林3 郑3 "
    "俞3 马3 高3 孟2 谢2 宋2 唐2 许2 韩2 冯2 邓2 曹2 彭2 曾2 袁2 潘2 蒋2 蔡2 杜2 叶3 程2 "
    "苏2 魏2 吕2 丁2 任2 姚2 卢2 陆3 汪2 范2 方2 石1 邵2 傅2 董2 顾2 毛2 裘2 章2 楼2 "
    "茹1 骆1 钟1 谭1 廖1 贾1 夏1 邹1 熊1 秦1 江1 尹1 薛1 段1 雷1 侯1 龙1 史1 陶1 贺1 龚1 "
    "万1 严1 戴1 孔1 汤1 倪1 屠1 施1 葛1 应1"
).split()
_SURNAME_CHARS = [s[0] for s in _SURNAMES]
_SURNAME_CUM_NP = np.cumsum([int(s[1:]) for s in _SURNAMES]).astype(float)
_MALE = ("伟强军磊勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳峰建国志海东亮文兵荣新春永德"
         "忠成军良栋杭锋斌彬晨昊锐骏诚毅")
_FEMALE = ("芳娜敏静丽艳娟霞燕玲萍红琳雪婷慧莉颖倩洁琴云丹兰英梅佳欣怡萱雯月凤秀蕾瑶琪珊薇晶璐"
           "妍婉蓉")
# 字号 characters for company names
_ZIHAO = ("华丰恒盛鑫达源泰宏兴隆瑞祥富嘉利昌通金新永聚汇诚信德和美佳益凯精天宇海明远博创立润锦绣"
          "荣顺东方亚中港广越绍柯鉴禹兰舜浙江宝龙腾飞云祥安康乐正元")

# name, company-name prefix, ID-card area code, weight, {industry: weight}
_REGIONS = (
    ("柯桥区", "绍兴柯桥", "330603", 30, {"纺织": 30, "印染": 18, "服装": 12, "化纤": 10, "批发零售": 10,
                                      "房地产": 4, "建材": 4, "餐饮": 6, "制造": 6}),
    ("越城区", "绍兴", "330602", 20, {"批发零售": 20, "餐饮": 16, "黄酒": 8, "房地产": 8, "建材": 8,
                                   "制造": 12, "物流": 8, "纺织": 8, "服装": 6}),
    ("诸暨市", "诸暨", "330681", 15, {"袜业": 25, "珍珠": 12, "五金": 15, "制造": 15, "批发零售": 10,
                                   "纺织": 8, "餐饮": 7, "建材": 5, "房地产": 3}),
    ("上虞区", "绍兴上虞", "330604", 14, {"化工": 22, "制造": 22, "建材": 10, "批发零售": 10, "餐饮": 8,
                                      "纺织": 8, "物流": 8, "房地产": 4, "五金": 8}),
    ("嵊州市", "嵊州", "330683", 8, {"领带": 30, "服装": 15, "制造": 20, "批发零售": 15, "餐饮": 10,
                                  "建材": 5, "房地产": 5}),
    ("新昌县", "新昌", "330624", 7, {"轴承": 30, "制造": 30, "化工": 10, "批发零售": 12, "餐饮": 10,
                                  "建材": 5, "房地产": 3}),
    ("萧山区", "杭州萧山", "330109", 6, {"化纤": 20, "纺织": 20, "制造": 20, "物流": 15, "批发零售": 15,
                                     "房地产": 5, "餐饮": 5}),
)
_INDUSTRIES = ("纺织", "印染", "服装", "化纤", "房地产", "建材", "餐饮", "批发零售", "制造", "物流",
               "五金", "黄酒", "袜业", "珍珠", "领带", "轴承", "化工")
_IND = {name: i for i, name in enumerate(_INDUSTRIES)}
# words used in company names for each industry
_IND_WORDS = {
    "纺织": ("纺织", "纺织品", "家纺"), "印染": ("印染", "染整"), "服装": ("服饰", "服装", "制衣"),
    "化纤": ("化纤", "化纤科技"), "房地产": ("置业", "房地产开发"), "建材": ("建材", "新型建材"),
    "餐饮": ("餐饮管理", "餐饮"), "批发零售": ("商贸", "贸易"), "制造": ("机械制造", "机电", "科技"),
    "物流": ("物流", "供应链管理"), "五金": ("五金", "五金制品"), "黄酒": ("酒业", "黄酒"),
    "袜业": ("袜业", "针织"), "珍珠": ("珍珠", "珠宝"), "领带": ("领带", "服饰"), "轴承": ("轴承", "精密机械"),
    "化工": ("化工", "新材料"),
}
# hometown chambers: place, ID-card area code of the place
_HOMETOWNS = (("温州", "330302"), ("福建", "350102"), ("台州", "331002"), ("安徽", "340102"),
              ("江西", "360102"), ("河南", "410102"), ("四川", "510104"), ("湖南", "430102"),
              ("湖北", "420102"), ("江苏", "320102"), ("宁波", "330203"), ("金华", "330702"),
              ("义乌", "330782"), ("丽水", "331102"), ("衢州", "330802"), ("莆田", "350302"),
              ("晋江", "350582"), ("潮汕", "445102"), ("重庆", "500101"), ("贵州", "520102"),
              ("山东", "370102"), ("广西", "450102"), ("云南", "530102"), ("东阳", "330783"),
              ("上海", "310101"))
# professional markets: name, region, industry
_MARKETS = (("柯桥轻纺城", "柯桥区", "纺织"), ("钱清轻纺原料市场", "柯桥区", "化纤"),
            ("大唐袜业市场", "诸暨市", "袜业"), ("山下湖珍珠市场", "诸暨市", "珍珠"),
            ("嵊州领带城", "嵊州市", "领带"), ("上虞建材市场", "上虞区", "建材"),
            ("越城农副产品批发市场", "越城区", "批发零售"), ("新昌轴承市场", "新昌县", "轴承"),
            ("绍兴五金机电市场", "越城区", "五金"), ("柯桥服装市场", "柯桥区", "服装"),
            ("绍兴黄酒交易市场", "越城区", "黄酒"), ("上虞化工原料市场", "上虞区", "化工"))
_MARKET_GOODS = ("布料", "服装", "家纺", "建材", "五金", "农副产品", "小商品", "汽配", "家具", "茶叶",
                 "水产", "花木", "纺织辅料", "灯具")
# invented broker brands and store locations (no real brand names)
_BROKER_BRANDS = ("居安房产", "鑫家地产", "家和置业", "佳境房产", "安心地产", "盛居地产", "合家房产",
                  "宅安房屋", "诚居房产", "惠居地产", "悦家房产", "邻里置业")
_PLACES = ("笛扬路", "鉴湖", "金柯桥大道", "城南", "迪荡", "镜湖", "东湖", "大滩", "湖塘", "钱清",
           "兰亭", "柯岩", "华舍", "齐贤", "解放路", "中兴路", "世纪街", "百官", "暨阳", "浣东", "鹿山",
           "剡湖", "七星", "城东", "万达广场", "银泰", "县前街", "人民路", "北海", "府山")
_AGENCY_WORDS = ("融资咨询服务有限公司", "金融信息服务有限公司", "信息咨询有限公司", "商务咨询有限公司")
_PHONE_PREFIX = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                 "153", "155", "156", "157", "158", "159", "166", "177", "180", "181", "182", "183",
                 "185", "186", "187", "188", "189", "191", "198", "199")

_PRODUCTS = ("mortgage", "business_loan", "consumer_loan", "working_capital", "supply_chain", "credit_card")
MORT, BUS, CONS, WC, SC, CARD = range(6)
_STATUS = tuple(s.value for s in Status)
S_NORMAL, S_SM, S_SUB, S_DOUBT, S_LOSS = range(5)

_ROLES = ("", "president", "vice_president", "secretary_general", "leading_merchant", "store_manager",
          "agent", "staff", "actual_controller", "shareholder", "parent_company", "spouse",
          "parent_child", "sibling", "joint_guarantee")
R = {name: i for i, name in enumerate(_ROLES)}

_PERSON_SEGMENTS = ("mass", "affluent", "private_banking", "payroll", "merchant", "senior", "youth")
_ENT_SEGMENTS = ("micro", "small", "medium", "large")
_ENT_MEDIAN_NA = (1_500_000, 10_000_000, 60_000_000, 400_000_000)  # yuan, by size class

_TYPES = tuple(RelationType)
_T = {t: i for i, t in enumerate(_TYPES)}

EPOCH = date(1990, 1, 1)
TODAY = date(2024, 12, 31)  # the extract's date: fixed, never the clock


def _day(y: int, m: int = 1, d: int = 1) -> int:
    return (date(y, m, d) - EPOCH).days


_N_DAYS = (TODAY - EPOCH).days + 1
_DATES = [(EPOCH + timedelta(days=i)).isoformat() for i in range(_N_DAYS)]
# since-date window per relation type (first year, last year); FAMILY has none
_SINCE = {
    RelationType.REFERRED: (2015, 2024), RelationType.MEMBER_OF: (2006, 2024),
    RelationType.TRADES_IN: (2003, 2024), RelationType.SOURCED_VIA: (2015, 2024),
    RelationType.CONTROLS: (1995, 2023), RelationType.GUARANTEES: (2021, 2024),
    RelationType.EMPLOYS: (2005, 2024), RelationType.SUPPLIES: (2010, 2024),
}
_SHARE_TEXT = [("%.4f" % (bp / 10000)).rstrip("0").rstrip(".") for bp in range(10001)]
_SHARE_TEXT[0] = "0"

_CHUNK = 50_000


# ============================================================================ edge buffers


class _Edges:
    """Relations of one type as integer columns (src, dst, amount fen, share bp, role, since day)."""

    __slots__ = ("src", "dst", "amount", "share", "role", "since")

    def __init__(self) -> None:
        self.src, self.dst = array("i"), array("i")
        self.amount, self.share = array("q"), array("h")
        self.role, self.since = array("b"), array("h")

    def add(self, src, dst, *, amount=None, share=None, role=0, since=None) -> None:
        s = np.atleast_1d(np.asarray(src, dtype=np.int32))
        n = len(s)
        if n == 0:
            return
        d = np.broadcast_to(np.asarray(dst, dtype=np.int32), (n,))

        def col(v, dtype, default):
            if v is None:
                v = default
            return np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=dtype), (n,)))

        self.src.frombytes(np.ascontiguousarray(s).tobytes())
        self.dst.frombytes(np.ascontiguousarray(d).tobytes())
        self.amount.frombytes(col(amount, np.int64, -1).tobytes())
        self.share.frombytes(col(share, np.int16, -1).tobytes())
        self.role.frombytes(col(role, np.int8, 0).tobytes())
        self.since.frombytes(col(since, np.int16, -1).tobytes())

    def arrays(self):
        return (np.frombuffer(self.src, dtype=np.int32), np.frombuffer(self.dst, dtype=np.int32),
                np.frombuffer(self.amount, dtype=np.int64), np.frombuffer(self.share, dtype=np.int16),
                np.frombuffer(self.role, dtype=np.int8), np.frombuffer(self.since, dtype=np.int16))

    def __len__(self) -> int:
        return len(self.src)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64).tolist()

    def find(self, x: int) -> int:
        p = self.parent
        root = x
        while p[root] != root:
            root = p[root]
        while p[x] != root:
            p[x], x = root, p[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                ra, rb = rb, ra
            self.parent[ra] = rb


# ============================================================================ generator


class _World:
    """Every attribute and structure of the synthetic bank, as integer arrays."""

    def __init__(self, customers: int, seed: int, progress) -> None:
        self.N = N = int(customers)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.names = random.Random(seed)
        self.progress = progress or (lambda stage, done, total: None)
        # ---- sizes
        self.Np_c = max(1, round(0.68 * N))
        self.Ne_c = max(1, N - self.Np_c)
        self.Np_c = N - self.Ne_c
        self.Np = round(self.Np_c / 0.62) + 2  # ~38% of persons are prospects
        self.Ne = round(self.Ne_c / 0.70) + 1  # ~30% of enterprises are prospects
        self.P = self.Np + self.Ne
        self.nC = max(3, round(N / 4000))
        self.nM = max(2, round(N / 8000))
        self.nI = max(4, round(N / 1000))
        self.c0 = self.P
        self.m0 = self.c0 + self.nC
        self.i0 = self.m0 + self.nM
        self.T = self.i0 + self.nI
        self.edges = {t: _Edges() for t in _TYPES}
        self.channels: list[dict] = []  # per channel (global index order): name, region, industry, segment

    # ------------------------------------------------------------------ helpers
    def take(self, pool, k: int) -> np.ndarray:
        """Up to k distinct elements of pool, uniformly, in random order."""
        pool = np.asarray(pool)
        k = int(min(max(k, 0), len(pool)))
        if k == 0:
            return pool[:0]
        return pool[self.rng.choice(len(pool), size=k, replace=False)]

    def refer_members(self, who: int, members: np.ndarray, k: int) -> None:
        """A key person refers k members of her channel: 80% customers, the rest prospects (leads)."""
        cand = members[(members != who) & ~self.referred[members]]
        cand = np.concatenate([cand[self.is_cust[cand]], cand[~self.is_cust[cand]]])
        n_c = int(round(k * 0.8))  # noqa: RUF046 - k may be a NumPy integer
        pick = np.concatenate([cand[:n_c], cand[max(n_c, len(cand) - (k - n_c)):]])
        self.refer(who, pick[:k])

    def since(self, n: int, y0: int, y1: int) -> np.ndarray:
        return self.rng.integers(_day(y0), _day(y1, 12, 28), size=n).astype(np.int16)

    def rel(self, t: RelationType) -> _Edges:
        return self.edges[t]

    def refer(self, src, dsts, since=None) -> np.ndarray:
        """REFERRED src → each of dsts not yet referred (one referrer per party); returns those referred."""
        dsts = np.asarray(dsts, dtype=np.int64)
        src_arr = np.broadcast_to(np.asarray(src, dtype=np.int64), dsts.shape)
        ok = (~self.referred[dsts]) & (dsts != src_arr)
        # a party appearing twice in dsts is referred once
        dsts, src_arr = dsts[ok], src_arr[ok]
        if len(dsts):
            _, first = np.unique(dsts, return_index=True)
            first.sort()
            dsts, src_arr = dsts[first], src_arr[first]
            self.referred[dsts] = True
            if since is not None:
                since = np.broadcast_to(np.asarray(since), ok.shape)[ok][first]
            self.rel(RelationType.REFERRED).add(src_arr, dsts, since=since)
        return dsts

    # ------------------------------------------------------------------ stage 1: parties
    def parties(self) -> None:
        rng, Np, Ne, P, T = self.rng, self.Np, self.Ne, self.P, self.T
        w = np.array([r[3] for r in _REGIONS], dtype=float)
        self.region = np.full(T, -1, dtype=np.int8)
        self.region[:P] = rng.choice(len(_REGIONS), size=P, p=w / w.sum())
        self.industry = np.full(T, -1, dtype=np.int8)
        # enterprise industries follow the region's economy
        ereg = self.region[Np:P]
        eind = np.empty(Ne, dtype=np.int8)
        for r, spec in enumerate(_REGIONS):
            idx = np.flatnonzero(ereg == r)
            names = list(spec[4])
            p = np.array([spec[4][n] for n in names], dtype=float)
            codes = np.array([_IND[n] for n in names], dtype=np.int8)
            eind[idx] = codes[rng.choice(len(names), size=len(idx), p=p / p.sum())]
        self.industry[Np:P] = eind
        # persons
        self.female = rng.random(Np) < 0.49
        self.birth = (1948 + np.floor(rng.beta(2.0, 1.9, size=Np) * 57)).astype(np.int16)  # 1948–2004
        self.hometown = np.full(Np, -1, dtype=np.int8)
        self.prole = np.zeros(Np, dtype=np.int8)  # 0 none, 1 boss, 2 merchant, 3 channel staff, 9 planted
        self.spouse = np.full(Np, -1, dtype=np.int32)
        self.employed = np.zeros(Np, dtype=bool)
        na = np.empty(P, dtype=np.int64)
        rev = np.empty(P, dtype=np.int64)
        na[:Np] = np.clip(rng.lognormal(math.log(400_000), 1.1, Np), 5_000, 3e8).astype(np.int64) // 100 * 100
        rev[:Np] = np.clip(rng.lognormal(math.log(110_000), 0.65, Np), 24_000, 2e7).astype(np.int64) // 100 * 100
        self.esize = rng.choice(4, size=Ne, p=[0.75, 0.2, 0.045, 0.005]).astype(np.int8)
        med = np.array(_ENT_MEDIAN_NA, dtype=float)[self.esize]
        # a small extract holds no giant: the cap grows with the book (40M yuan at 300 customers, 2.3bn at 1M)
        cap = 40_000_000 * math.sqrt(max(self.N, 300) / 300)
        ena = np.clip(rng.lognormal(0, 0.6, Ne) * med, 100_000, cap)
        na[Np:] = ena.astype(np.int64) // 1000 * 1000
        rev[Np:] = (ena * rng.lognormal(math.log(1.5), 0.45, Ne)).astype(np.int64) // 1000 * 1000
        self.na, self.rev = na * 100, rev * 100  # fen
        self.ekey = np.full(Ne, -1, dtype=np.int32)  # shared 字号 key of a group's firms
        # customers: exact counts
        self.is_cust = np.zeros(P, dtype=bool)
        self.is_cust[rng.permutation(Np)[: self.Np_c]] = True
        self.is_cust[Np + rng.permutation(Ne)[: self.Ne_c]] = True
        self.referred = np.zeros(P, dtype=bool)
        self.sourced = np.full(P, -1, dtype=np.int32)  # intermediary global index
        self.chamber_of = np.full(P, -1, dtype=np.int32)  # first chamber (global index)
        self.market_of = np.full(P, -1, dtype=np.int32)
        self.reserved = np.zeros(P, dtype=bool)
        self.boss_of = np.full(Ne, -1, dtype=np.int32)  # controlling person of each enterprise
        # customer pools in random order; planted roles are taken from their front
        self.cust_persons = rng.permutation(np.flatnonzero(self.is_cust[:Np]))
        self.cust_ents = Np + rng.permutation(np.flatnonzero(self.is_cust[Np:]))
        self._cp = 0
        self._ce = 0

    def planted_person(self, female: bool, birth: int, role: int = 9) -> int:
        """Reserve the next customer person for a planted role (-1 if none left)."""
        while self._cp < len(self.cust_persons):
            p = int(self.cust_persons[self._cp])
            self._cp += 1
            if not self.reserved[p]:
                self.reserved[p] = True
                self.female[p] = female
                self.birth[p] = birth
                self.prole[p] = role
                return p
        return -1

    def planted_firms(self, k: int) -> list[int]:
        out: list[int] = []
        while len(out) < k and self._ce < len(self.cust_ents) - max(2, len(self.cust_ents) // 3):
            e = int(self.cust_ents[self._ce])
            self._ce += 1
            if not self.reserved[e]:
                self.reserved[e] = True
                out.append(e)
        return out

    # ------------------------------------------------------------------ stage 2: planted key persons and groups
    def plant(self) -> None:
        N, rng = self.N, self.rng
        root = math.sqrt(N / 300)
        self.star = self.planted_person(True, 1986)
        self.president = self.planted_person(True, 1968)
        self.leader = self.planted_person(False, 1972)
        self.star_refs = 26 + round(2.5 * root)
        self.pres_refs = 12 + round(2 * root)
        self.lead_refs = 10 + round(1.5 * root)
        # groups of connected clients: (boss, firms, weight of the group's borrowing)
        self.groups: list[dict] = []
        nm = 7 if self.Ne_c >= 40 else max(2, self.Ne_c // 6)
        boss = self.planted_person(False, 1963)
        wife = self.planted_person(True, 1965)
        firms = self.planted_firms(nm)
        if boss >= 0 and len(firms) >= 2:
            self.groups.append({"boss": boss, "spouse": wife, "firms": firms, "weight": 1.0, "mega": True})
        n_mid = 0 if self.Ne_c < 30 else (4 if self.Ne_c < 200 else 4 + N // 100_000)
        for i in range(n_mid):
            k = 3 if i == 0 else 2 + int(rng.integers(0, 2))
            b = self.planted_person(False, int(rng.integers(1958, 1980)))
            fs = self.planted_firms(k)
            if b < 0 or not fs:
                break
            weight = 0.55 if i == 0 else float(rng.uniform(0.13, 0.32))
            self.groups.append({"boss": b, "spouse": -1, "firms": fs, "weight": weight, "mega": False})
        self.progress("structure", 1, 12)

    # ------------------------------------------------------------------ stage 3: households
    def households(self) -> None:
        rng, Np = self.rng, self.Np
        fam = self.rel(RelationType.FAMILY)
        for g in self.groups:  # the planted boss and his wife
            if g["spouse"] >= 0:
                self.spouse[g["boss"]], self.spouse[g["spouse"]] = g["spouse"], g["boss"]
                fam.add([g["boss"]], [g["spouse"]], role=R["spouse"])
        free = np.flatnonzero(~self.reserved[:Np])
        pool = rng.permutation(free)[: int(len(free) * 0.85)]
        sizes = rng.choice([2, 3, 4, 5], size=len(pool) // 2 + 1, p=[0.38, 0.34, 0.21, 0.07])
        cut = int(np.searchsorted(np.cumsum(sizes), len(pool), side="right"))
        sizes = sizes[:cut]
        if not len(sizes):
            return
        off = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        a, b = pool[off], pool[off + 1]
        self.female[a], self.female[b] = False, True
        with_kids = sizes >= 3
        self.birth[a[with_kids]] = rng.integers(1950, 1977, size=int(with_kids.sum()))
        self.birth[b] = np.clip(self.birth[a] + rng.integers(-2, 5, size=len(b)), 1948, 2002)
        self.spouse[a], self.spouse[b] = b, a
        fam.add(a, b, role=R["spouse"])
        for k in range(2, 5):
            m = sizes > k
            c = pool[off[m] + k]
            self.birth[c] = np.minimum(self.birth[a[m]] + rng.integers(24, 33, size=len(c)), 2004)
            fam.add(a[m], c, role=R["parent_child"])
            fam.add(b[m], c, role=R["parent_child"])
            if k >= 3:
                fam.add(pool[off[m] + k - 1], c, role=R["sibling"])
        self.progress("structure", 2, 12)

    # ------------------------------------------------------------------ stage 4: control
    def control(self) -> None:
        rng, Np, P = self.rng, self.Np, self.P
        ctl = self.rel(RelationType.CONTROLS)
        for key, g in enumerate(self.groups, 1):
            boss, firms = g["boss"], g["firms"]
            self.ekey[np.array(firms) - Np] = key
            self.prole[boss] = 1
            self.na[boss] = max(int(self.na[boss]), 20_000_000 * 100)
            if g["mega"]:
                # flagship 0.85; 0.70; 0.60; 0.40 + wife 0.30; via flagship 0.75; 0.55; 0.35 (another holder 0.65)
                plan = [(boss, 0, 8500), (boss, 1, 7000), (boss, 2, 6000), (boss, 3, 4000),
                        (g["spouse"], 3, 3000), (firms[0], 4, 7500), (boss, 5, 5500), (boss, 6, 3500)]
                for holder, j, bp in plan:
                    if j < len(firms) and holder >= 0 and holder != firms[j]:
                        role = ("parent_company" if holder >= Np
                                else "actual_controller" if bp > 5000 else "shareholder")
                        ctl.add([holder], [firms[j]], share=bp, role=R[role])
                        if holder < Np and bp > 5000:
                            self.boss_of[firms[j] - Np] = holder
                for j in range(len(firms)):
                    if self.boss_of[firms[j] - Np] < 0:
                        self.boss_of[firms[j] - Np] = boss
                if len(firms) > 6:
                    other = self.planted_person(False, 1970)
                    if other >= 0:
                        ctl.add([other], [firms[6]], share=6500, role=R["actual_controller"])
                        self.prole[other] = 1
                trades = ("纺织", "印染", "纺织", "化纤", "服装", "批发零售", "房地产")
                self.industry[firms] = [_IND[x] for x in trades][: len(firms)]
                self.region[firms] = 0
                self.esize[firms[0] - Np] = 3
            else:
                shares = [9000, 6500, 5100][: len(firms)] if g["weight"] > 0.5 else \
                    [int(x) * 100 for x in rng.integers(55, 101, size=len(firms))]
                for f, bp in zip(firms, shares):
                    ctl.add([boss], [f], share=bp, role=R["actual_controller"])
                    self.boss_of[f - Np] = boss
            self.industry[boss] = self.industry[firms[0]]
        # every other enterprise has a controller; some bosses run several firms
        rest = rng.permutation(np.flatnonzero(~self.reserved[Np:P])) + Np
        n = len(rest)
        if n == 0:
            return
        deg = np.where(rng.random(n) < 0.8, 1, 2 + np.minimum(rng.zipf(2.0, size=n) - 1, 6))
        cs = np.cumsum(deg)
        nb = int(np.searchsorted(cs, n)) + 1
        deg = deg[:nb]
        deg[-1] -= int(cs[nb - 1] - n)
        pool = np.flatnonzero((~self.reserved[:Np]) & (self.birth <= 1990))
        if len(pool) < nb:
            pool = np.flatnonzero(~self.reserved[:Np])
        bosses = self.take(pool, nb)
        if len(bosses) < nb:  # tiny worlds: recycle bosses
            bosses = np.resize(bosses, nb)
        firm_boss = np.repeat(bosses, deg)
        multi = np.repeat(deg > 1, deg)
        u = rng.random(n)
        s_single = np.where(u < 0.25, 100, np.where(u < 0.8, rng.integers(51, 96, n), rng.integers(25, 50, n)))
        s_multi = np.where(rng.random(n) < 0.65, rng.integers(51, 101, n), rng.integers(20, 50, n))
        share = (np.where(multi, s_multi, s_single) * 100).astype(np.int64)
        ctl.add(firm_boss, rest, share=share,
                role=np.where(share > 5000, R["actual_controller"], R["shareholder"]))
        self.boss_of[rest - Np] = firm_boss
        self.prole[bosses] = 1
        self.birth[bosses] = np.minimum(self.birth[bosses], 1990)
        self.na[bosses] = self.na[bosses] * 3
        first_firm = np.full(Np, -1, dtype=np.int64)
        first_firm[firm_boss[::-1]] = rest[::-1]
        has = first_firm[bosses] >= 0
        self.industry[bosses[has]] = self.industry[first_firm[bosses[has]]]
        # second shareholders: the spouse when there is one, else another person
        m = (share < 10000) & (rng.random(n) < 0.6)
        sp = self.spouse[firm_boss[m]].astype(np.int64)
        rnd = rng.integers(0, Np, size=int(m.sum()))
        holder = np.where(sp >= 0, sp, rnd)
        room = 10000 - share[m]
        s2 = np.minimum(room, rng.integers(10, 50, size=len(room)) * 100)
        ok = (holder != firm_boss[m]) & (s2 > 0)
        ctl.add(holder[ok], rest[m][ok], share=s2[ok], role=R["shareholder"])
        # enterprise → enterprise: small firms held by a larger one
        small = (~m) & (share < 5000) & (self.esize[rest - Np] == 0) & (rng.random(n) < 0.35)
        parents = np.flatnonzero(self.esize >= 1) + Np
        if len(parents) and small.any():
            par = parents[rng.integers(0, len(parents), size=int(small.sum()))]
            room = 10000 - share[small]
            s3 = np.maximum(5100, room - rng.integers(0, 20, size=len(room)) * 100)
            s3 = np.minimum(s3, room)
            ctl.add(par, rest[small], share=s3, role=R["parent_company"])
        self.progress("structure", 3, 12)

    # ------------------------------------------------------------------ stage 5: chambers
    def chambers(self) -> None:
        rng, Np, P, nC = self.rng, self.Np, self.P, self.nC
        mem, emp = self.rel(RelationType.MEMBER_OF), self.rel(RelationType.EMPLOYS)
        # names: two fixed communities first, then hometown chambers and industry associations
        cands = [("绍兴市温州商会", 1, -1, 0), ("柯桥区纺织行业协会", 0, _IND["纺织"], -1),
                 ("绍兴市福建商会", 1, -1, 1), ("绍兴市印染行业协会", 1, _IND["印染"], -1)]
        rest = []
        for h, (town, _) in enumerate(_HOMETOWNS):
            if h > 1:
                rest.append((f"绍兴市{town}商会", 1, -1, h))
            for r, reg in enumerate(_REGIONS):
                rest.append((f"{reg[0]}{town}商会", r, -1, h))
        for ind in _INDUSTRIES:
            if ind != "印染":
                rest.append((f"绍兴市{ind}行业协会", 1, _IND[ind], -1))
            for r, reg in enumerate(_REGIONS):
                if not (r == 0 and ind == "纺织"):
                    rest.append((f"{reg[0]}{ind}商会", r, _IND[ind], -1))
        rest += [("绍兴市女企业家协会", 1, -1, -1), ("绍兴市青年企业家协会", 1, -1, -1),
                 ("柯桥区个体劳动者协会", 0, -1, -1)]
        order = rng.permutation(len(rest))
        cands += [rest[i] for i in order]
        while len(cands) < nC:  # only for very large worlds
            base = cands[len(cands) % len(rest) + 4]
            cands.append((f"{base[0]}第{len(cands)}分会", base[1], base[2], base[3]))
        total = round(0.25 * P)
        w = (np.arange(nC) + 1.0) ** -0.9
        # a chamber has dozens to a few thousand members, never tens of thousands
        cap = max(80, min(3000, self.N // 50))
        sizes = np.clip(np.floor(total * w / w.sum()), 6, cap).astype(np.int64)
        ent_all = np.arange(Np, P)
        ent_by_ind = {i: np.flatnonzero(self.industry[Np:P] == i) + Np for i in range(len(_INDUSTRIES))}
        bosses = np.flatnonzero((self.prole == 1) & ~self.reserved[:Np])
        others = np.flatnonzero((self.prole == 0) & ~self.reserved[:Np] & (self.birth <= 1992))
        in0 = np.zeros(P, dtype=bool)
        self.chamber_members: list[np.ndarray] = []
        for c in range(nC):
            name, r, ind, home = cands[c]
            g = self.c0 + c
            seg = "hometown_chamber" if home >= 0 else "industry_association"
            self.channels.append({"name": name, "region": r, "industry": ind, "segment": seg})
            self.region[g], self.industry[g] = r, ind
            size = int(sizes[c])
            n_ent = size // 2
            epool = ent_by_ind.get(ind) if ind >= 0 else ent_all
            if epool is None or len(epool) < n_ent:
                epool = ent_all
            n_boss = (size - n_ent) * 7 // 10
            bpool, opool = bosses, others
            if c == 1:  # the second community shares only its vice president with the first
                epool, bpool, opool = epool[~in0[epool]], bpool[~in0[bpool]], opool[~in0[opool]]
            members = np.concatenate([self.take(bpool, n_boss), self.take(opool, size - n_ent - n_boss),
                                      self.take(epool, n_ent)])
            members = members[rng.permutation(len(members))]
            persons = members[members < Np]
            pres = -1
            roles = np.zeros(len(members), dtype=np.int8)
            if c == 0 and self.president >= 0:
                pres = self.president
            elif c == 1 and self.president >= 0:
                mem.add([self.president], [g], role=R["vice_president"], since=[_day(2019, 3, 16)])
            if pres < 0 and len(persons):
                pres = int(persons[0])
            pos = {int(p): i for i, p in enumerate(members)}
            officers = [p for p in persons.tolist() if p != pres][:5]
            for j, p in enumerate(officers):
                roles[pos[p]] = R["secretary_general"] if j == len(officers) - 1 and j >= 1 else R["vice_president"]
            if pres >= 0:
                if pres in pos:
                    roles[pos[pres]] = R["president"]
                else:
                    mem.add([pres], [g], role=R["president"], since=[_day(2012, 6, 1)])
            mem.add(members, g, role=roles)
            allm = members if pres < 0 or pres in pos else np.append(members, pres)
            if c == 0:
                in0[allm] = True
            self.chamber_members.append(allm)
            first = allm[self.chamber_of[allm] < 0]
            self.chamber_of[first] = g
            if home >= 0:
                pm = allm[allm < Np]
                self.hometown[pm] = home
            # the president and vice presidents refer members to the bank
            if pres >= 0:  # other presidents refer fewer than the planted one
                other = int(rng.integers(self.pres_refs // 4, self.pres_refs * 2 // 3 + 1))
                self.refer_members(pres, members, self.pres_refs if c == 0 else min(len(members) // 6, other))
            for vp in officers[:3]:
                cand = members[(members != vp) & ~self.referred[members]]
                self.refer(vp, self.take(cand, int(rng.integers(1, 4))))
            # chamber secretariat on payroll
            staff = self.take(np.flatnonzero((self.prole == 0) & ~self.employed & ~self.reserved[:Np]),
                              1 + size // 400)
            self.employed[staff] = True
            self.prole[staff] = 3
            emp.add(np.full(len(staff), g), staff, role=R["staff"])
        self.progress("structure", 4, 12)

    # ------------------------------------------------------------------ stage 6: markets
    def markets(self) -> None:
        rng, Np, P, nM, N = self.rng, self.Np, self.P, self.nM, self.N
        tr, emp = self.rel(RelationType.TRADES_IN), self.rel(RelationType.EMPLOYS)
        cands = [(n, next(i for i, r in enumerate(_REGIONS) if r[0] == reg), _IND[ind]) for n, reg, ind in _MARKETS]
        extra = []
        for r, reg in enumerate(_REGIONS):
            for goods in _MARKET_GOODS:
                extra.append((f"{reg[1]}{goods}市场", r, -1))
        cands += [extra[i] for i in rng.permutation(len(extra))]
        while len(cands) < nM:
            base = cands[len(cands) % len(extra) + len(_MARKETS)]
            cands.append((f"{base[0]}{len(cands)}号馆", base[1], base[2]))
        big = max(min(P // 5, 120), N // 150)  # the textile market: 5,000+ shops at a million customers
        other_total = round(0.08 * P)
        w = (np.arange(1, nM) + 1.0) ** -1.0
        other = np.minimum(np.maximum(5, np.floor(other_total * w / max(w.sum(), 1e-9))), big * 6 // 10)
        sizes = [big] + other.astype(int).tolist()
        ent_by_ind = {i: np.flatnonzero(self.industry[Np:P] == i) + Np for i in range(len(_INDUSTRIES))}
        self.market_members: list[np.ndarray] = []
        person_pool = np.flatnonzero(((self.prole == 0) | (self.prole == 2)) & ~self.reserved[:Np]
                                     & (self.birth <= 1996))
        for m in range(nM):
            name, r, ind = cands[m]
            g = self.m0 + m
            self.channels.append({"name": name, "region": r, "industry": ind, "segment": "wholesale_market"})
            self.region[g], self.industry[g] = r, ind
            size = sizes[m]
            n_per = size * 6 // 10
            epool = ent_by_ind.get(ind, np.arange(Np, P)) if ind >= 0 else np.arange(Np, P)
            if m == 0:  # the textile market draws on the whole textile chain
                chain = [_IND[x] for x in ("纺织", "印染", "服装", "化纤")]
                epool = np.flatnonzero(np.isin(self.industry[Np:P], chain)) + Np
            if len(epool) < size - n_per:
                epool = np.arange(Np, P)
            epool = epool[~self.reserved[epool]]
            members = np.concatenate([self.take(person_pool, n_per), self.take(epool, size - n_per)])
            members = members[rng.permutation(len(members))]
            persons = members[members < Np]
            leader = self.leader if m == 0 and self.leader >= 0 else (int(persons[0]) if len(persons) else -1)
            roles = np.zeros(len(members), dtype=np.int8)
            if leader >= 0 and leader in set(persons.tolist()):
                roles[members == leader] = R["leading_merchant"]
            elif leader >= 0:
                tr.add([leader], [g], role=R["leading_merchant"], since=[_day(2004, 9, 1)])
            tr.add(members, g, role=roles)
            allm = members if leader < 0 or leader in set(members.tolist()) else np.append(members, leader)
            self.market_members.append(allm)
            pm = allm[allm < Np]
            self.prole[pm[self.prole[pm] == 0]] = 2
            if ind >= 0:
                self.industry[pm] = ind
            first = allm[self.market_of[allm] < 0]
            self.market_of[first] = g
            if leader >= 0:
                other = int(rng.integers(self.lead_refs // 4, self.lead_refs * 2 // 3 + 1))
                self.refer_members(leader, members, self.lead_refs if m == 0 else min(len(members) // 8, other))
            staff = self.take(np.flatnonzero((self.prole == 0) & ~self.employed & ~self.reserved[:Np]), 2 + size // 150)
            self.employed[staff] = True
            self.prole[staff] = 3
            emp.add(np.full(len(staff), g), staff, role=R["staff"])
        self.progress("structure", 5, 12)

    # ------------------------------------------------------------------ stage 7: intermediaries
    def intermediaries(self) -> None:
        rng, Np, nI = self.rng, self.Np, self.nI
        emp, via = self.rel(RelationType.EMPLOYS), self.rel(RelationType.SOURCED_VIA)
        is_broker = rng.random(nI) < 0.7
        is_broker[0], is_broker[1] = True, False
        self.is_broker = is_broker
        staff_pool = rng.permutation(np.flatnonzero((self.prole == 0) & ~self.employed & ~self.reserved[:Np]
                                                    & (self.birth >= 1972) & (self.birth <= 2000)))
        sp = 0
        staff_of: list[np.ndarray] = []
        used_names: set[str] = set()
        for i in range(nI):
            g = self.i0 + i
            r = 0 if i < 2 else int(rng.choice(len(_REGIONS), p=np.array([x[3] for x in _REGIONS]) / 100))
            if is_broker[i]:
                while True:
                    name = (f"{_BROKER_BRANDS[int(rng.integers(len(_BROKER_BRANDS)))]}"
                            f"{_PLACES[int(rng.integers(len(_PLACES)))]}店")
                    if i == 0:
                        name = "居安房产笛扬路店"
                    if name not in used_names or len(used_names) > 300:
                        break
                if name in used_names:
                    name = f"{name[:-1]}{len(used_names)}号店"
                seg = "real_estate_broker"
            else:
                z = "".join(_ZIHAO[int(j)] for j in rng.integers(0, len(_ZIHAO), 2))
                name = f"{_REGIONS[r][1]}{z}{_AGENCY_WORDS[int(rng.integers(len(_AGENCY_WORDS)))]}"
                seg = "loan_agency"
            used_names.add(name)
            self.channels.append({"name": name, "region": r, "industry": _IND["房地产"] if is_broker[i] else -1,
                                  "segment": seg})
            self.region[g] = r
            self.industry[g] = _IND["房地产"] if is_broker[i] else -1
            n_staff = 5 if i == 0 else int(rng.integers(2, 7))
            st = staff_pool[sp: sp + n_staff]
            sp += len(st)
            if is_broker[i] and i == 0 and self.star >= 0:
                st = np.concatenate([[self.star], st[:4]])
            self.employed[st] = True
            self.prole[st] = np.where(self.prole[st] == 9, 9, 3)
            roles = np.full(len(st), R["agent"], dtype=np.int8)
            if is_broker[i] and len(st):
                roles[0] = R["store_manager"]
            emp.add(np.full(len(st), g), st, role=roles)
            staff_of.append(st)
        # mortgage customers brought by broker stores (a store manager's referrals)
        adults = (self.birth[: Np] <= 1998)
        pool = np.flatnonzero(self.is_cust[:Np] & adults & ~self.reserved[:Np] & ~self.referred[:Np])
        pool = rng.permutation(pool)
        brokers = np.flatnonzero(is_broker)
        n_mort = max(self.star_refs + 5, round(0.07 * self.Np_c))
        n0 = min(self.star_refs, len(pool))
        wb = (np.arange(len(brokers)) + 2.0) ** -1.1
        wb[0] = 0
        # no other store comes near the star: at most 80% of her volume per store
        counts = np.minimum(np.floor((n_mort - n0) * wb / max(wb.sum(), 1e-9)), int(0.8 * self.star_refs)).astype(int)
        counts[0] = n0
        pos = 0
        for bi, b in enumerate(brokers):
            c = pool[pos: pos + counts[bi]]
            pos += len(c)
            if not len(c):
                continue
            g = self.i0 + int(b)
            st = staff_of[b]
            when = self.since(len(c), 2016 if bi else 2019, 2024)
            if len(st):
                mgr_share = 1.0 if bi == 0 else 0.55
                who = np.where(rng.random(len(c)) < mgr_share, st[0], st[rng.integers(0, len(st), len(c))])
                self.refer(who, c, since=when)
            via.add(c, g, since=when)
            self.sourced[c] = g
        # loan-assistance agencies: consumer and micro-business loans
        agencies = np.flatnonzero(~is_broker)
        if len(agencies):
            pp = np.flatnonzero(self.is_cust[:Np] & adults & ~self.reserved[:Np] & (self.sourced[:Np] < 0))
            pe = np.flatnonzero(self.is_cust[Np:] & ~self.reserved[Np:] & (self.esize == 0)) + Np
            c = np.concatenate([self.take(pp, round(0.05 * self.Np_c)), self.take(pe, round(0.03 * self.Ne_c))])
            c = c[rng.permutation(len(c))]
            wa = (np.arange(len(agencies)) + 1.0) ** -0.9
            # an agency brings at most the star's volume, mostly through its agents
            per = np.minimum(np.floor(len(c) * wa / wa.sum()), self.star_refs).astype(int)
            which = np.repeat(agencies, per)
            c = c[: len(which)]
            g = self.i0 + which
            when = self.since(len(c), 2018, 2024)
            via.add(c, g, since=when)
            self.sourced[c] = g
            by_agency = rng.random(len(c)) < 0.3
            self.refer(g[by_agency], c[by_agency], since=when[by_agency])
            for a in agencies:
                st = staff_of[a]
                mine = (~by_agency) & (which == a)
                if len(st) and mine.any():
                    self.refer(st[rng.integers(0, len(st), int(mine.sum()))], c[mine], since=when[mine])
        self.progress("structure", 6, 12)

    # ------------------------------------------------------------------ stage 8: heavy-tailed referrals
    def referrals(self) -> None:
        rng, Np, N = self.rng, self.Np, self.N
        n_ref = round(0.7 * N)
        refp = np.flatnonzero(self.is_cust[:Np] & ~self.reserved[:Np])
        refe = np.flatnonzero(self.is_cust[Np:]) + Np
        # the planted key persons stay on top: ordinary referrers are capped below them
        cap = max(8, min(30, round(0.6 * min(self.pres_refs, self.lead_refs, self.star_refs))))
        deg = np.floor(rng.pareto(1.5, size=n_ref) + 1).astype(np.int64)
        over = deg > cap  # folded back below the cap, not piled up on it
        deg[over] = rng.integers(max(1, cap // 3), cap + 1, size=int(over.sum()))
        cs = np.cumsum(deg)
        k = int(np.searchsorted(cs, n_ref)) + 1
        deg = deg[:k]
        nr = len(deg)
        n_e = min(len(refe), nr // 8)
        who = np.concatenate([self.take(refp, nr - n_e), self.take(refe, n_e)])
        if not len(who):
            return
        who = who[rng.permutation(len(who))]
        deg = deg[: len(who)]
        src = np.repeat(who, deg)
        free = ~self.referred
        cust = rng.permutation(np.flatnonzero(free & self.is_cust))
        pros = rng.permutation(np.flatnonzero(free & ~self.is_cust))
        n_p = min(len(pros), len(src) * 22 // 100)
        n_c = min(len(cust), len(src) - n_p)
        dst = np.concatenate([cust[:n_c], pros[:n_p]])
        dst = dst[rng.permutation(len(dst))]
        src = src[: len(dst)]
        self.refer(src, dst, since=self.since(len(dst), 2012, 2024))
        self.progress("structure", 7, 12)

    # ------------------------------------------------------------------ stage 9: payroll
    def payroll(self) -> None:
        rng, Np = self.rng, self.Np
        emp = self.rel(RelationType.EMPLOYS)
        employers = np.flatnonzero(self.is_cust[Np:]) + Np
        if not len(employers):
            return
        w = np.array([1.0, 8.0, 60.0, 400.0])[self.esize[employers - Np]] * rng.lognormal(0, 1.0, len(employers))
        pool = np.flatnonzero((self.prole == 0) & ~self.employed & ~self.reserved[:Np]
                              & (self.birth >= 1962) & (self.birth <= 2003))
        staff = self.take(pool, int(len(pool) * 0.9))
        staff.sort()
        boss = employers[rng.choice(len(employers), size=len(staff), p=w / w.sum())]
        emp.add(boss, staff, since=self.since(len(staff), 2005, 2024))
        self.employed[staff] = True
        self.progress("structure", 8, 12)

    # ------------------------------------------------------------------ stage 10: supply chains
    def supplies(self) -> None:
        rng, Np, P, Ne = self.rng, self.Np, self.P, self.Ne
        sup = self.rel(RelationType.SUPPLIES)
        suppliers = self.take(np.arange(Np, P), int(Ne * 0.7))
        suppliers.sort()
        k = rng.choice([1, 2, 3], size=len(suppliers), p=[0.45, 0.33, 0.22])
        src = np.repeat(suppliers, k)
        pos = np.arange(len(src)) - np.repeat(np.cumsum(k) - k, k)
        w = (self.na[Np:].astype(float) / 1e8) ** 0.8
        buyers = Np + rng.choice(Ne, size=len(src), p=w / w.sum())
        clash = buyers == src
        buyers[clash] = Np + rng.integers(0, Ne, size=int(clash.sum()))
        keep = buyers != src
        # shares: a dependent supplier sells most of its output to its first buyer
        dep = np.repeat(rng.random(len(suppliers)) < 0.11, k)
        known = np.repeat(rng.random(len(suppliers)) < 0.7, k)
        free = np.flatnonzero(~self.reserved[suppliers])
        if len(free):  # at least one dependent supplier, however small the world
            j = int(np.cumsum(k)[free[0]] - k[free[0]])
            dep[j: j + k[free[0]]] = True
            known[j: j + k[free[0]]] = True
            ok = np.flatnonzero(~self.reserved[Np:P]) + Np
            ok = ok[ok != src[j]]
            if len(ok):  # it sells to the largest independent firm around
                buyers[j] = ok[int(np.argmax(self.na[ok]))]
                keep[j] = True
        first_dep = rng.integers(55, 86, size=len(src)) * 100
        other = rng.integers(2, 8, size=len(src)) * 100
        spread = rng.integers(5, 31, size=len(src)) * 100
        # planted groups keep their own shape: nobody depends on them through supply, nor they on others
        dep &= ~(self.reserved[src] | self.reserved[buyers])
        share = np.where(dep, np.where(pos == 0, first_dep, other), spread)
        share = np.where(known, share, -1)
        sup.add(src[keep], buyers[keep], share=share[keep], since=self.since(int(keep.sum()), 2010, 2024))
        self.core_supplier = np.zeros(P, dtype=bool)
        big = self.esize[buyers - Np] >= 2
        self.core_supplier[src[keep & big]] = True
        self.progress("structure", 9, 12)

    # ------------------------------------------------------------------ stage 11: facilities
    def facilities(self) -> None:
        rng, Np, P, N = self.rng, self.Np, self.P, self.N
        cust = self.is_cust
        pc = np.flatnonzero(cust[:Np])
        ec = np.flatnonzero(cust[Np:]) + Np
        src_kind = np.full(P, -1, dtype=np.int8)  # 0 broker, 1 agency
        s = self.sourced >= 0
        src_kind[s] = np.where(self.is_broker[self.sourced[s] - self.i0], 0, 1)
        has = {}
        u = rng.random
        pr = self.prole[pc]
        has[MORT] = pc[(src_kind[pc] == 0) | ((u(len(pc)) < 0.09) & (self.birth[pc] <= 1995))]
        has[CONS] = pc[(src_kind[pc] == 1) | (u(len(pc)) < 0.07)]
        has[BUS] = np.concatenate([
            pc[((pr == 2) & (u(len(pc)) < 0.65)) | ((self.chamber_of[pc] >= 0) & (u(len(pc)) < 0.3))
               | ((pr == 1) & (u(len(pc)) < 0.25))],
            ec[((self.chamber_of[ec] >= 0) | (self.market_of[ec] >= 0)) & (u(len(ec)) < 0.5)
               | (src_kind[ec] == 1) | (u(len(ec)) < 0.12)]])
        has[CARD] = pc[u(len(pc)) < 0.3]
        has[WC] = ec[u(len(ec)) < 0.62]
        has[SC] = ec[self.core_supplier[ec] & (u(len(ec)) < 0.35)]
        # planted groups: every firm borrows
        gf = np.array([f for g in self.groups for f in g["firms"]], dtype=np.int64)
        has[WC] = np.union1d(has[WC], gf)
        # every enterprise customer that is in no product yet: 40% get working capital
        cust_list, prod_list = [], []
        for p in range(6):
            c = np.unique(has[p])
            cust_list.append(c)
            prod_list.append(np.full(len(c), p, dtype=np.int8))
        fc = np.concatenate(cust_list).astype(np.int64)
        fp = np.concatenate(prod_list)
        order = np.lexsort((fp, fc))
        fc, fp = fc[order], fp[order]
        n = len(fc)
        lim = np.zeros(n, dtype=np.int64)  # yuan
        na_y = self.na[fc] // 100
        rev_y = self.rev[fc] // 100

        def logn(median, sigma, lo, hi, m):
            return np.clip(rng.lognormal(math.log(median), sigma, int(m.sum())), lo, hi)

        m = fp == MORT
        lim[m] = logn(900_000, 0.5, 200_000, 6_000_000, m)
        m = fp == CONS
        lim[m] = logn(80_000, 0.6, 10_000, 500_000, m)
        m = fp == CARD
        lim[m] = rng.choice([10_000, 20_000, 30_000, 50_000, 80_000, 100_000, 200_000], size=int(m.sum()),
                            p=[0.15, 0.2, 0.2, 0.2, 0.1, 0.1, 0.05])
        m = (fp == BUS) & (fc < Np)
        lim[m] = np.minimum(logn(400_000, 0.7, 50_000, 10_000_000, m), np.maximum(na_y[m] * 2, 100_000))
        m = (fp == BUS) & (fc >= Np)
        lim[m] = np.maximum(na_y[m] * logn(0.2, 0.5, 0.03, 0.8, m), 100_000)
        m = fp == WC
        lim[m] = np.maximum(na_y[m] * logn(0.35, 0.4, 0.05, 0.9, m), 200_000)
        m = fp == SC
        lim[m] = np.maximum(rev_y[m] * logn(0.08, 0.4, 0.02, 0.3, m), 100_000)
        lim = np.maximum(lim // 10_000 * 10_000, 10_000) * 100  # to 万元, then fen
        use = np.where(fp == CARD, rng.uniform(0.03, 0.9, n),
                       np.where(fp == MORT, rng.uniform(0.35, 0.99, n), rng.uniform(0.45, 1.0, n)))
        out = np.maximum(np.floor(lim * use).astype(np.int64), 100)
        # round business lines drawn in full to whole yuan; instalment loans keep fen
        whole = np.isin(fp, [BUS, WC, SC]) & (rng.random(n) < 0.6)
        out[whole] = lim[whole] * np.minimum(1.0, np.round(use[whole] * 20) / 20)
        out = np.maximum(out, 100)
        # ---- size the planted groups against the book
        planted = np.isin(fc, gf)
        book = int(out[~planted].sum())
        f = min(0.3, max(0.02, 5.0 / math.sqrt(N)))
        per_cust = np.zeros(P, dtype=np.int64)
        np.add.at(per_cust, fc[~planted], out[~planted])
        # the planted group is the largest: ~2% of the book at scale, and well above any single borrower
        mega_target = max(book * f / (1 - f), 1.6 * float(per_cust.max(initial=0)))
        for g in self.groups:
            firms = g["firms"]
            target = mega_target * g["weight"]
            wts = np.array([0.25, 0.2, 0.15, 0.12, 0.1, 0.1, 0.08][: len(firms)])
            if not g["mega"]:
                wts = rng.uniform(0.5, 1.0, len(firms))
            wts = wts / wts.sum()
            for fi, wt in zip(firms, wts):
                idx = np.flatnonzero(fc == fi)
                if not len(idx):
                    continue
                o = int(target * wt / len(idx))
                o = max(o // 100 * 100, 100_000_00)
                for j in idx:
                    out[j] = o
                    lim[j] = -(-int(o / rng.uniform(0.85, 0.98)) // 1_000_000) * 1_000_000
                total_lim = int(lim[idx].sum())
                self.na[fi] = int(total_lim / rng.uniform(0.5, 0.8)) // 100_000 * 100_000
                self.rev[fi] = int(self.na[fi] * rng.uniform(1.2, 1.8)) // 100_000 * 100_000
                self.esize[fi - Np] = max(int(self.esize[fi - Np]), 2)
        lim = np.maximum(lim, out)
        # ---- schemes: one per major channel
        self.schemes: list[tuple[int, str, int]] = []  # (channel global index, name, product)
        scheme_of = {}
        csz = np.array([len(m) for m in self.chamber_members])
        for c in np.argsort(-csz, kind="stable")[: max(2, math.ceil(self.nC * 0.25))]:
            g = self.c0 + int(c)
            scheme_of[g] = len(self.schemes)
            self.schemes.append((g, f"{self.channels[int(c)]['name']}会员贷", BUS))
        for mi in range(min(self.nM, max(1, math.ceil(self.nM * 0.3)))):
            g = self.m0 + mi
            nm = self.channels[self.nC + mi]["name"]
            short = "轻纺城" if mi == 0 else nm.removesuffix("市场")
            scheme_of[g] = len(self.schemes)
            self.schemes.append((g, f"{short}商户贷", BUS))
        br = np.flatnonzero(self.is_broker)
        ag = np.flatnonzero(~self.is_broker)
        for b in br[: max(1, math.ceil(len(br) * 0.15))]:
            g = self.i0 + int(b)
            scheme_of[g] = len(self.schemes)
            nm = self.channels[self.nC + self.nM + int(b)]["name"]
            self.schemes.append((g, f"{nm}二手房按揭直通车", MORT))
        for a in ag[: max(1, math.ceil(len(ag) * 0.15))]:
            g = self.i0 + int(a)
            scheme_of[g] = len(self.schemes)
            nm = self.channels[self.nC + self.nM + int(a)]["name"]
            self.schemes.append((g, f"{nm[:-4] if nm.endswith('有限公司') else nm}合作消费贷", CONS))
        lut = np.full(self.T, -1, dtype=np.int32)
        for g, s_ in scheme_of.items():
            lut[g] = s_
        sch = np.full(n, -1, dtype=np.int32)
        via = self.sourced[fc]
        m = ((fp == MORT) | (fp == CONS)) & (via >= 0)
        cand = np.where(via >= 0, lut[np.maximum(via, 0)], -1)
        prod_ok = np.array([self.schemes[s_][2] if s_ >= 0 else -1 for s_ in range(len(self.schemes))] + [-1])
        sch[m] = np.where(prod_ok[cand[m]] == fp[m], cand[m], -1)
        mk = self.market_of[fc]
        ch = self.chamber_of[fc]
        s_mk = np.where(mk >= 0, lut[np.maximum(mk, 0)], -1)
        s_ch = np.where(ch >= 0, lut[np.maximum(ch, 0)], -1)
        s_bus = np.where(s_mk >= 0, s_mk, s_ch)
        m = (fp == BUS) & (s_bus >= 0) & (rng.random(n) < 0.75)
        sch[m] = s_bus[m]
        sch[(sch >= 0) & (rng.random(n) < 0.08)] = -1  # some members borrow outside the scheme
        self.fc, self.fp, self.flim, self.fout, self.fsch = fc, fp, lim, out, sch
        self.lim_of = np.zeros(P, dtype=np.int64)
        np.add.at(self.lim_of, fc, lim)
        self.progress("structure", 10, 12)

    # ------------------------------------------------------------------ stage 12: guarantees
    def guarantees(self) -> None:
        rng, Np = self.rng, self.Np
        gu = self.rel(RelationType.GUARANTEES)
        gs, gd, ga, gr = [], [], [], []
        na, lim_of = self.na, self.lim_of
        dep_draw = rng.random  # bound method

        def amount(g: int, b: int, frac: float, dep_p: float) -> int:
            L = int(lim_of[b])
            if L <= 0:
                L = 1_000_000 * 100
            a = L * frac
            cap = int(na[g])
            if dep_draw() < dep_p:
                a = min(L, max(a, cap * float(rng.uniform(0.5, 0.9))))
            else:
                a = min(a, cap * float(rng.uniform(0.1, 0.45)))
            return max(int(a) // 1_000_000 * 1_000_000, 1_000_000)

        def add(g: int, b: int, frac: float = 1.0, dep_p: float = 0.25, role: int = 0) -> None:
            if g == b:
                return
            gs.append(g)
            gd.append(b)
            ga.append(amount(g, b, frac, dep_p))
            gr.append(role)

        # planted: the boss's circle, mutual guarantees, dependence
        self.circles: list[list[int]] = []  # random motifs only (the planted group's circle stays healthy)
        for g in self.groups:
            f = g["firms"]
            if g["mega"]:
                if len(f) >= 5:
                    circle = [f[1], f[2], f[3], f[4]]
                    for x, y in zip(circle, circle[1:] + circle[:1]):
                        add(x, y, 0.8, 0.9)
                if len(f) >= 6:
                    add(f[0], f[5], 0.9, 0.9)
                    add(f[5], f[0], 0.5, 0.9)
                if len(f) >= 7:
                    add(f[1], f[6], 0.9, 1.0)
                    add(f[5], f[6], 0.5, 0.5)
                if len(f) < 5:
                    for x, y in zip(f, f[1:] + f[:1]):
                        add(x, y, 0.8, 0.9)
                add(g["boss"], f[1 % len(f)], 0.5, 0.0)
                add(g["boss"], f[2 % len(f)], 0.5, 0.0)
            else:
                add(g["boss"], f[0], 0.5, 0.2)
                if len(f) >= 2:
                    add(f[0], f[1], 0.6, 0.3)
        # motifs among other enterprise borrowers, local firms of one industry together
        eb = np.flatnonzero((lim_of[Np:] > 0) & ~self.reserved[Np:]) + Np
        eb = eb[np.lexsort((rng.random(len(eb)), self.industry[eb], self.region[eb]))]
        budget = min(len(eb), max(int(len(eb) * 0.5), 26))  # room for every pattern at least once
        pos = 0
        used: list[int] = []
        forced = ["mutual", "circle", "chain", "cross", "focus", "joint", "circle"]
        kinds = ["mutual", "circle", "chain", "cross", "focus", "joint"]
        kp = np.array([0.24, 0.16, 0.2, 0.14, 0.14, 0.12])
        mi = 0
        while pos < budget:
            kind = forced[mi] if mi < len(forced) else kinds[int(rng.choice(6, p=kp))]
            mi += 1
            size = {"mutual": 2, "circle": int(rng.integers(3, 7)), "chain": int(rng.integers(3, 7)),
                    "cross": int(rng.integers(4, 9)), "focus": int(rng.integers(4, 8)),
                    "joint": int(rng.integers(3, 5))}[kind]
            nodes = eb[pos: pos + size].tolist()
            pos += size
            if len(nodes) < min(size, 3 if kind != "mutual" else 2):
                break
            if used and rng.random() < 0.1:  # motifs overlap now and then: linked circles
                nodes[int(rng.integers(len(nodes)))] = used[int(rng.integers(len(used)))]
                if len(set(nodes)) < len(nodes):
                    continue
            used.extend(nodes)
            if kind == "mutual":
                add(nodes[0], nodes[1], 0.7)
                add(nodes[1], nodes[0], 0.7)
            elif kind == "circle":
                for x, y in zip(nodes, nodes[1:] + nodes[:1]):
                    add(x, y, 0.7)
                self.circles.append(nodes)
            elif kind == "chain":
                for x, y in itertools.pairwise(nodes):
                    add(x, y, 0.7)
            elif kind == "cross":
                for y in nodes[1:]:
                    add(nodes[0], y, 0.6, 0.3)
            elif kind == "focus":
                for x in nodes[1:]:
                    add(x, nodes[0], 1.0 / (len(nodes) - 1) + 0.1)
            else:  # joint guarantee (联保): everyone guarantees everyone
                for x in nodes:
                    for y in nodes:
                        if x != y:
                            add(x, y, 0.4, 0.05, R["joint_guarantee"])
        if gs:
            gu.add(np.array(gs), np.array(gd), amount=np.array(ga, dtype=np.int64),
                   role=np.array(gr, dtype=np.int8))
        # bosses' personal guarantees for their firms, spouses' for household loans
        eb_all = np.flatnonzero(lim_of[Np:] > 0) + Np
        b = self.boss_of[eb_all - Np]
        m = (b >= 0) & (rng.random(len(eb_all)) < 0.45) & ~self.reserved[eb_all]
        self._vector_guarantees(b[m], eb_all[m], 0.05)
        pb = np.flatnonzero(lim_of[:Np] > 0)
        sp = self.spouse[pb]
        m = (sp >= 0) & (rng.random(len(pb)) < 0.15)
        self._vector_guarantees(sp[m], pb[m], 0.2)
        # merchants of the textile market in joint-guarantee teams (联保小组) of three
        if self.market_members:
            mm = self.market_members[0]
            mm = mm[(mm < Np) & (lim_of[mm] > 0) & ~self.reserved[mm]]
            teams = max(1, len(mm) // 15)
            for t in range(min(teams, len(mm) // 3)):
                trio = mm[3 * t: 3 * t + 3]
                xs = np.repeat(trio, 3)
                ys = np.tile(trio, 3)
                ok = xs != ys
                self._vector_guarantees(xs[ok], ys[ok], 0.1, frac=0.5, role=R["joint_guarantee"])
        self.progress("structure", 11, 12)

    def _vector_guarantees(self, g, b, dep_p: float, frac: float = 0.8, role: int = 0) -> None:
        rng = self.rng
        g = np.asarray(g, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        if not len(g):
            return
        L = self.lim_of[b].astype(float)
        cap = self.na[g].astype(float)
        a = L * frac * rng.uniform(0.7, 1.0, len(g))
        dep = rng.random(len(g)) < dep_p
        a = np.where(dep, np.minimum(L, np.maximum(a, cap * rng.uniform(0.5, 0.9, len(g)))),
                     np.minimum(a, cap * rng.uniform(0.1, 0.45, len(g))))
        a = np.maximum((a // 1_000_000) * 1_000_000, 1_000_000).astype(np.int64)
        self.rel(RelationType.GUARANTEES).add(g, b, amount=a, role=role)

    # ------------------------------------------------------------------ stage 13: status, orphans, capital
    def statuses(self) -> None:
        rng, P = self.rng, self.P
        st = rng.choice(5, size=P, p=[0.9665, 0.019, 0.0075, 0.0045, 0.0025]).astype(np.int8)
        agency = (self.sourced >= 0)
        agency[agency] = ~self.is_broker[self.sourced[agency] - self.i0]
        n_a = int(agency.sum())
        st[agency] = rng.choice(5, size=n_a, p=[0.925, 0.04, 0.018, 0.01, 0.007])
        for g in self.groups:
            st[g["firms"]] = S_NORMAL
            st[g["boss"]] = S_NORMAL
        if self.groups and self.groups[0]["mega"] and len(self.groups[0]["firms"]) >= 7:
            st[self.groups[0]["firms"][6]] = S_SM  # an early warning inside the big group
        # a couple of guarantee circles in trouble: one firm defaulted, its circle strained
        circles = [c for c in self.circles if len(c) >= 3]
        n_bad = min(len(circles), 2 + len(circles) // 60)
        self.bad_circles = []
        for j in rng.choice(len(circles), size=n_bad, replace=False) if n_bad else []:
            c = circles[int(j)]
            st[c[0]] = S_DOUBT if rng.random() < 0.5 else S_SUB
            st[c[1:]] = rng.choice([S_SM, S_SUB, S_NORMAL], size=len(c) - 1, p=[0.45, 0.15, 0.4])
            self.bad_circles.append(c)
        self.fstat = st[self.fc]
        # a card or mortgage of a borrower in trouble is usually one class better
        soft = (self.fstat >= S_SUB) & np.isin(self.fp, [CARD, MORT]) & (rng.random(len(self.fc)) < 0.3)
        self.fstat[soft] -= 1

    def orphans(self) -> None:
        """Every prospect is known through someone: attach the unlinked ones as referred leads."""
        rng, P, Np = self.rng, self.P, self.Np
        seen = np.zeros(self.T, dtype=bool)
        for e in self.edges.values():
            s, d, *_ = e.arrays()
            seen[s] = True
            seen[d] = True
        lone = np.flatnonzero(~seen[:P] & ~self.is_cust)
        refp = np.flatnonzero(self.is_cust[:Np] & ~self.reserved[:Np])
        if len(lone) and len(refp):
            src = refp[rng.integers(0, len(refp), len(lone))]
            self.refer(src, lone, since=self.since(len(lone), 2020, 2024))

    def capital(self) -> dict:
        """Tier-1 and net capital so that the largest group of connected clients is ~25% of tier-1."""
        P = self.P
        uf = _UnionFind(P)
        s, d, a, sh, *_ = self.rel(RelationType.CONTROLS).arrays()
        for x, y in zip(s[sh > 5000].tolist(), d[sh > 5000].tolist()):
            uf.union(x, y)
        s, d, a, sh, *_ = self.rel(RelationType.GUARANTEES).arrays()
        m = a * 2 >= self.na[s]
        for x, y in zip(s[m].tolist(), d[m].tolist()):
            uf.union(x, y)
        s, d, a, sh, *_ = self.rel(RelationType.SUPPLIES).arrays()
        for x, y in zip(s[sh >= 5000].tolist(), d[sh >= 5000].tolist()):
            uf.union(x, y)
        s, d, *_ = self.rel(RelationType.FAMILY).arrays()
        for x, y in zip(s.tolist(), d.tolist()):
            uf.union(x, y)
        exp = np.zeros(P, dtype=np.int64)
        np.add.at(exp, self.fc, self.fout)
        borrowers = np.flatnonzero(exp > 0)
        roots = np.array([uf.find(int(x)) for x in borrowers], dtype=np.int64)
        gexp = np.zeros(P, dtype=np.int64)
        np.add.at(gexp, roots, exp[borrowers])
        top = int(gexp.max()) if len(gexp) else 0
        tier1 = max(-(-top * 4 // 1_000_000) * 1_000_000, 100_000_000)  # top ≈ 25% of tier-1, in 万元
        net = int(tier1 * 1.28) // 1_000_000 * 1_000_000
        self.tier1, self.net = tier1, net
        return {
            "tier1_capital_fen": tier1,
            "net_capital_fen": net,
            "largest_group_fen": top,
            "groups_over_2_5pct": int((gexp * 40 >= tier1).sum()),
            "groups_over_20pct": int((gexp * 5 > tier1).sum()),
        }

    # ------------------------------------------------------------------ build everything
    def build(self) -> None:
        self.parties()
        self.plant()
        self.households()
        self.control()
        self.chambers()
        self.markets()
        self.intermediaries()
        self.referrals()
        self.payroll()
        self.supplies()
        self.facilities()
        self.guarantees()
        self.statuses()
        self.orphans()
        self.progress("structure", 12, 12)

    # ============================================================== writing
    def ids(self) -> list[str]:
        Np, Ne = self.Np, self.Ne
        wp, we = max(6, len(str(Np))), max(6, len(str(Ne)))
        wc = max(4, len(str(max(self.nC, self.nM, self.nI))))
        out = [f"P{i:0{wp}d}" for i in range(1, Np + 1)]
        out += [f"E{i:0{we}d}" for i in range(1, Ne + 1)]
        out += [f"C{i:0{wc}d}" for i in range(1, self.nC + 1)]
        out += [f"M{i:0{wc}d}" for i in range(1, self.nM + 1)]
        out += [f"I{i:0{wc}d}" for i in range(1, self.nI + 1)]
        return out

    def person_columns(self, c0: int, c1: int):
        """Names, phones and ID-card numbers of persons c0..c1-1, drawn in one go."""
        rng, n = self.rng, c1 - c0
        fem = self.female[c0:c1]
        sur = np.minimum(np.searchsorted(_SURNAME_CUM_NP, rng.random(n) * _SURNAME_CUM_NP[-1], side="right"),
                         len(_SURNAME_CHARS) - 1)
        g1 = np.where(fem, rng.integers(0, len(_FEMALE), n), len(_FEMALE) + rng.integers(0, len(_MALE), n))
        g2 = np.where(fem, rng.integers(0, len(_FEMALE), n), len(_FEMALE) + rng.integers(0, len(_MALE), n))
        g2 = np.where(rng.random(n) < 0.3, -1, g2)
        chars = list(_FEMALE + _MALE) + [""]
        names = [_SURNAME_CHARS[a] + chars[b] + chars[c] for a, b, c in zip(sur.tolist(), g1.tolist(), g2.tolist())]
        pfx = rng.integers(0, len(_PHONE_PREFIX), n).tolist()
        num = rng.integers(0, 100_000_000, n).tolist()
        phones = [f"{_PHONE_PREFIX[a]}{b:08d}" for a, b in zip(pfx, num)]
        home = self.hometown[c0:c1]
        use_home = (home >= 0) & (rng.random(n) < 0.8)
        area = np.where(use_home, len(_REGIONS) + np.maximum(home, 0), self.region[c0:c1]).tolist()
        codes = [x[2] for x in _REGIONS] + [x[1] for x in _HOMETOWNS]
        month = rng.integers(1, 13, n).tolist()
        day = rng.integers(1, 29, n).tolist()
        seq = (rng.integers(0, 500, n) * 2 + np.where(fem, 0, 1)).tolist()
        check = rng.integers(0, 11, n).tolist()
        cards = [f"{codes[a]}{b}{m:02d}{d:02d}{q:03d}{'0123456789X'[k]}"
                 for a, b, m, d, q, k in zip(area, self.birth[c0:c1].tolist(), month, day, seq, check)]
        return names, phones, cards

    def company_name(self, j: int) -> str:
        r = self.names
        reg = _REGIONS[int(self.region[self.Np + j])]
        ind = _INDUSTRIES[int(self.industry[self.Np + j])]
        key = int(self.ekey[j])
        if key >= 0:
            kr = random.Random(self.seed * 1_000_003 + key)
            z = kr.choice(_ZIHAO) + kr.choice(_ZIHAO)
        else:
            z = r.choice(_ZIHAO) + r.choice(_ZIHAO)
        word = r.choice(_IND_WORDS[ind])
        size = int(self.esize[j])
        if size == 3 and key >= 0 and r.random() < 0.9:
            return f"浙江{z}控股集团有限公司"
        if size >= 2 and r.random() < 0.4:
            return f"浙江{z}{word}股份有限公司"
        if size == 0 and r.random() < 0.15:
            return f"{reg[1]}{z}{word}经营部"
        return f"{reg[1]}{z}{word}有限公司"

    def write_entities(self, path: Path, ids: list[str]) -> int:
        Np, P, T = self.Np, self.P, self.T
        seg_p = self.person_segments()
        region_names = [x[0] for x in _REGIONS]
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["id", "kind", "name", "is_customer", "industry", "region", "segment", "net_assets",
                        "annual_revenue", "phone", "id_card"])
            for c0 in range(0, Np, _CHUNK):  # persons, a chunk at a time (bounded memory)
                c1 = min(Np, c0 + _CHUNK)
                names, phones, cards = self.person_columns(c0, c1)
                w.writerows(
                    (ids[i], "person", name, "true" if cu else "false", _INDUSTRIES[ind] if ind >= 0 else "",
                     region_names[reg], _PERSON_SEGMENTS[seg], format_yuan(na), format_yuan(rev), phone, card)
                    for i, cu, reg, ind, na, rev, seg, name, phone, card in zip(
                        range(c0, c1), self.is_cust[c0:c1].tolist(), self.region[c0:c1].tolist(),
                        self.industry[c0:c1].tolist(), self.na[c0:c1].tolist(), self.rev[c0:c1].tolist(),
                        seg_p[c0:c1].tolist(), names, phones, cards))
                self.progress("entities", c1, T)
            for c0 in range(0, self.Ne, _CHUNK):
                c1 = min(self.Ne, c0 + _CHUNK)
                sl = slice(Np + c0, Np + c1)
                rows = []
                for j, cu, reg, ind, na, rev, size in zip(
                        range(c0, c1), self.is_cust[sl].tolist(), self.region[sl].tolist(),
                        self.industry[sl].tolist(), self.na[sl].tolist(), self.rev[sl].tolist(),
                        self.esize[c0:c1].tolist()):
                    rows.append((ids[Np + j], "enterprise", self.company_name(j), "true" if cu else "false",
                                 _INDUSTRIES[ind], region_names[reg], _ENT_SEGMENTS[size],
                                 format_yuan(na), format_yuan(rev), "", ""))
                w.writerows(rows)
                self.progress("entities", Np + c1, T)
            kinds = ["chamber"] * self.nC + ["market"] * self.nM + ["intermediary"] * self.nI
            w.writerows((ids[P + k], kinds[k], ch["name"], "false",
                         _INDUSTRIES[ch["industry"]] if ch["industry"] >= 0 else "",
                         region_names[ch["region"]], ch["segment"], "", "", "", "")
                        for k, ch in enumerate(self.channels))
        self.progress("entities", T, T)
        return T

    def person_segments(self) -> np.ndarray:
        Np = self.Np
        na_y = self.na[:Np] // 100
        seg = np.zeros(Np, dtype=np.int8)  # mass
        seg[self.birth >= 1998] = 6
        seg[self.birth <= 1960] = 5
        seg[self.employed & (self.prole != 3)] = 3
        seg[na_y >= 1_000_000] = 1
        seg[self.prole == 2] = 4
        seg[na_y >= 6_000_000] = 2
        return seg

    def write_relations(self, path: Path, ids: list[str]) -> dict:
        rng = self.rng
        total = sum(len(e) for e in self.edges.values())
        done = 0
        counts = {}
        K = np.int64(self.T)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["src", "dst", "type", "amount", "share", "role", "since"])
            for t in _TYPES:
                e = self.edges[t]
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
                counts[t.value] = len(idx)
                tname = t.value
                for c0 in range(0, len(idx), _CHUNK):
                    sel = idx[c0: c0 + _CHUNK]
                    src = [ids[x] for x in s[sel].tolist()]
                    dst = [ids[x] for x in d[sel].tolist()]
                    am = [format_yuan(x) if x >= 0 else "" for x in a[sel].tolist()]
                    sha = [_SHARE_TEXT[x] if x >= 0 else "" for x in sh[sel].tolist()]
                    rol = [_ROLES[x] for x in ro[sel].tolist()]
                    sin = [_DATES[x] if x >= 0 else "" for x in si[sel].tolist()] if t in _SINCE else [""] * len(sel)
                    w.writerows(zip(src, dst, [tname] * len(sel), am, sha, rol, sin))
                    self.progress("relations", done + c0 + len(sel), total)
                done += n0
                self.edges[t] = _Edges()  # free the buffer
        self.progress("relations", total, total)
        return counts

    def write_exposures(self, path: Path, ids: list[str]) -> tuple[int, dict]:
        n = len(self.fc)
        wf = max(7, len(str(n)))
        ws = max(3, len(str(len(self.schemes))))
        sch_ids = [f"S{i:0{ws}d}" for i in range(1, len(self.schemes) + 1)]
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["facility_id", "customer_id", "outstanding", "limit", "product", "scheme_id", "status"])
            for c0 in range(0, n, _CHUNK):
                sl = slice(c0, min(n, c0 + _CHUNK))
                rows = zip(
                    [f"F{i:0{wf}d}" for i in range(c0 + 1, sl.stop + 1)],
                    [ids[x] for x in self.fc[sl].tolist()],
                    [format_yuan(x) for x in self.fout[sl].tolist()],
                    [format_yuan(x) for x in self.flim[sl].tolist()],
                    [_PRODUCTS[x] for x in self.fp[sl].tolist()],
                    [sch_ids[x] if x >= 0 else "" for x in self.fsch[sl].tolist()],
                    [_STATUS[x] for x in self.fstat[sl].tolist()],
                )
                w.writerows(rows)
                self.progress("exposures", sl.stop, n)
        self.progress("exposures", n, n)
        status = {s: int((self.fstat == i).sum()) for i, s in enumerate(_STATUS)}
        self.sch_ids = sch_ids
        return n, status

    def write_schemes(self, path: Path, ids: list[str]) -> int:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["scheme_id", "channel_id", "name", "product"])
            for sid, (g, name, prod) in zip(self.sch_ids, self.schemes):
                w.writerow([sid, ids[g], name, _PRODUCTS[prod]])
        return len(self.schemes)

    def write_policy(self, path: Path) -> None:
        text = (
            f"# Generated by channelgraph.generate (customers={self.N}, seed={self.seed}).\n"
            "# Capital is scaled to this synthetic book: the largest group of connected clients is about\n"
            "# 25% of tier-1 capital (over the 20% group limit) and a few groups are large exposures (>= 2.5%).\n"
            "# Every other setting takes the documented defaults.\n"
            f'tier1_capital = "{format_yuan(self.tier1)}"\n'
            f'net_capital = "{format_yuan(self.net)}"\n'
        )
        path.write_text(text, encoding="utf-8", newline="\n")


# ============================================================================ API


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
    capital written to ``policy.toml``, the largest group's exposure and how many groups
    of connected clients are over 2.5% and 20% of tier-1).

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
    world = _World(customers, int(seed), progress)
    world.build()
    capital = world.capital()
    ids = world.ids()
    n_ent = world.write_entities(out / "entities.csv", ids)
    types = world.write_relations(out / "relations.csv", ids)
    n_fac, status = world.write_exposures(out / "exposures.csv", ids)
    n_sch = world.write_schemes(out / "schemes.csv", ids)
    world.write_policy(out / "policy.toml")
    kinds = {
        Kind.PERSON.value: world.Np, Kind.ENTERPRISE.value: world.Ne, Kind.CHAMBER.value: world.nC,
        Kind.MARKET.value: world.nM, Kind.INTERMEDIARY.value: world.nI,
    }
    n_rel = sum(types.values())
    return {
        "entities": n_ent,
        "customers": int(world.is_cust.sum()),
        "prospects": int(world.P - world.is_cust.sum()),
        "relations": n_rel,
        "facilities": n_fac,
        "schemes": n_sch,
        "total_outstanding_fen": int(world.fout.sum()),
        "kinds": kinds,
        "types": types,
        "status": status,
        "rows": {"entities.csv": n_ent, "relations.csv": n_rel, "exposures.csv": n_fac, "schemes.csv": n_sch},
        "capital": capital,
    }
