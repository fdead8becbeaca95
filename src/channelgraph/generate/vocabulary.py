"""Vocabulary of the synthetic bank: names, regions, industries, channels, products, roles, dates.

Fixed tables only (nothing here draws a random number): surnames with their weights, given-name
characters, 字号 characters for company names, the seven regions around Shaoxing with their
industries, hometown chambers, professional markets, broker brands, products, five-class
statuses, relation roles and the since-date window of each relation type.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from ..model import RelationType, Status

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
_MALE = (
    "伟强军磊勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳峰建国志海东亮文兵荣新春永德"
    "忠成军良栋杭锋斌彬晨昊锐骏诚毅"
)
_FEMALE = "芳娜敏静丽艳娟霞燕玲萍红琳雪婷慧莉颖倩洁琴云丹兰英梅佳欣怡萱雯月凤秀蕾瑶琪珊薇晶璐妍婉蓉"
# 字号 characters for company names
_ZIHAO = (
    "华丰恒盛鑫达源泰宏兴隆瑞祥富嘉利昌通金新永聚汇诚信德和美佳益凯精天宇海明远博创立润锦绣"
    "荣顺东方亚中港广越绍柯鉴禹兰舜浙江宝龙腾飞云祥安康乐正元"
)

# name, company-name prefix, ID-card area code, weight, {industry: weight}
_REGIONS = (
    (
        "柯桥区",
        "绍兴柯桥",
        "330603",
        30,
        {"纺织": 30, "印染": 18, "服装": 12, "化纤": 10, "批发零售": 10, "房地产": 4, "建材": 4, "餐饮": 6, "制造": 6},
    ),
    (
        "越城区",
        "绍兴",
        "330602",
        20,
        {"批发零售": 20, "餐饮": 16, "黄酒": 8, "房地产": 8, "建材": 8, "制造": 12, "物流": 8, "纺织": 8, "服装": 6},
    ),
    (
        "诸暨市",
        "诸暨",
        "330681",
        15,
        {"袜业": 25, "珍珠": 12, "五金": 15, "制造": 15, "批发零售": 10, "纺织": 8, "餐饮": 7, "建材": 5, "房地产": 3},
    ),
    (
        "上虞区",
        "绍兴上虞",
        "330604",
        14,
        {"化工": 22, "制造": 22, "建材": 10, "批发零售": 10, "餐饮": 8, "纺织": 8, "物流": 8, "房地产": 4, "五金": 8},
    ),
    (
        "嵊州市",
        "嵊州",
        "330683",
        8,
        {"领带": 30, "服装": 15, "制造": 20, "批发零售": 15, "餐饮": 10, "建材": 5, "房地产": 5},
    ),
    (
        "新昌县",
        "新昌",
        "330624",
        7,
        {"轴承": 30, "制造": 30, "化工": 10, "批发零售": 12, "餐饮": 10, "建材": 5, "房地产": 3},
    ),
    (
        "萧山区",
        "杭州萧山",
        "330109",
        6,
        {"化纤": 20, "纺织": 20, "制造": 20, "物流": 15, "批发零售": 15, "房地产": 5, "餐饮": 5},
    ),
)
_INDUSTRIES = (
    "纺织",
    "印染",
    "服装",
    "化纤",
    "房地产",
    "建材",
    "餐饮",
    "批发零售",
    "制造",
    "物流",
    "五金",
    "黄酒",
    "袜业",
    "珍珠",
    "领带",
    "轴承",
    "化工",
)
_INDUSTRY_CODE = {name: i for i, name in enumerate(_INDUSTRIES)}
# words used in company names for each industry
_IND_WORDS = {
    "纺织": ("纺织", "纺织品", "家纺"),
    "印染": ("印染", "染整"),
    "服装": ("服饰", "服装", "制衣"),
    "化纤": ("化纤", "化纤科技"),
    "房地产": ("置业", "房地产开发"),
    "建材": ("建材", "新型建材"),
    "餐饮": ("餐饮管理", "餐饮"),
    "批发零售": ("商贸", "贸易"),
    "制造": ("机械制造", "机电", "科技"),
    "物流": ("物流", "供应链管理"),
    "五金": ("五金", "五金制品"),
    "黄酒": ("酒业", "黄酒"),
    "袜业": ("袜业", "针织"),
    "珍珠": ("珍珠", "珠宝"),
    "领带": ("领带", "服饰"),
    "轴承": ("轴承", "精密机械"),
    "化工": ("化工", "新材料"),
}
# hometown chambers: place, ID-card area code of the place
_HOMETOWNS = (
    ("温州", "330302"),
    ("福建", "350102"),
    ("台州", "331002"),
    ("安徽", "340102"),
    ("江西", "360102"),
    ("河南", "410102"),
    ("四川", "510104"),
    ("湖南", "430102"),
    ("湖北", "420102"),
    ("江苏", "320102"),
    ("宁波", "330203"),
    ("金华", "330702"),
    ("义乌", "330782"),
    ("丽水", "331102"),
    ("衢州", "330802"),
    ("莆田", "350302"),
    ("晋江", "350582"),
    ("潮汕", "445102"),
    ("重庆", "500101"),
    ("贵州", "520102"),
    ("山东", "370102"),
    ("广西", "450102"),
    ("云南", "530102"),
    ("东阳", "330783"),
    ("上海", "310101"),
)
# professional markets: name, region, industry
_MARKETS = (
    ("柯桥轻纺城", "柯桥区", "纺织"),
    ("钱清轻纺原料市场", "柯桥区", "化纤"),
    ("大唐袜业市场", "诸暨市", "袜业"),
    ("山下湖珍珠市场", "诸暨市", "珍珠"),
    ("嵊州领带城", "嵊州市", "领带"),
    ("上虞建材市场", "上虞区", "建材"),
    ("越城农副产品批发市场", "越城区", "批发零售"),
    ("新昌轴承市场", "新昌县", "轴承"),
    ("绍兴五金机电市场", "越城区", "五金"),
    ("柯桥服装市场", "柯桥区", "服装"),
    ("绍兴黄酒交易市场", "越城区", "黄酒"),
    ("上虞化工原料市场", "上虞区", "化工"),
)
_MARKET_GOODS = (
    "布料",
    "服装",
    "家纺",
    "建材",
    "五金",
    "农副产品",
    "小商品",
    "汽配",
    "家具",
    "茶叶",
    "水产",
    "花木",
    "纺织辅料",
    "灯具",
)
# invented broker brands and store locations (no real brand names)
_BROKER_BRANDS = (
    "居安房产",
    "鑫家地产",
    "家和置业",
    "佳境房产",
    "安心地产",
    "盛居地产",
    "合家房产",
    "宅安房屋",
    "诚居房产",
    "惠居地产",
    "悦家房产",
    "邻里置业",
)
_PLACES = (
    "笛扬路",
    "鉴湖",
    "金柯桥大道",
    "城南",
    "迪荡",
    "镜湖",
    "东湖",
    "大滩",
    "湖塘",
    "钱清",
    "兰亭",
    "柯岩",
    "华舍",
    "齐贤",
    "解放路",
    "中兴路",
    "世纪街",
    "百官",
    "暨阳",
    "浣东",
    "鹿山",
    "剡湖",
    "七星",
    "城东",
    "万达广场",
    "银泰",
    "县前街",
    "人民路",
    "北海",
    "府山",
)
_AGENCY_WORDS = ("融资咨询服务有限公司", "金融信息服务有限公司", "信息咨询有限公司", "商务咨询有限公司")
_PHONE_PREFIX = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)

_PRODUCTS = ("mortgage", "business_loan", "consumer_loan", "working_capital", "supply_chain", "credit_card")
MORT, BUS, CONS, WC, SC, CARD = range(6)
_STATUS = tuple(s.value for s in Status)
S_NORMAL, S_SM, S_SUB, S_DOUBT, S_LOSS = range(5)

_ROLES = (
    "",
    "president",
    "vice_president",
    "secretary_general",
    "leading_merchant",
    "store_manager",
    "agent",
    "staff",
    "actual_controller",
    "shareholder",
    "parent_company",
    "spouse",
    "parent_child",
    "sibling",
    "joint_guarantee",
)
ROLE = {name: i for i, name in enumerate(_ROLES)}

_PERSON_SEGMENTS = ("mass", "affluent", "private_banking", "payroll", "merchant", "senior", "youth")
_ENT_SEGMENTS = ("micro", "small", "medium", "large")
_ENT_MEDIAN_NA = (1_500_000, 10_000_000, 60_000_000, 400_000_000)  # yuan, by size class

_TYPES = tuple(RelationType)

EPOCH = date(1990, 1, 1)
TODAY = date(2024, 12, 31)  # the extract's date: fixed, never the clock


def _day(y: int, m: int = 1, d: int = 1) -> int:
    return (date(y, m, d) - EPOCH).days


_N_DAYS = (TODAY - EPOCH).days + 1
_DATES = [(EPOCH + timedelta(days=i)).isoformat() for i in range(_N_DAYS)]
# since-date window per relation type (first year, last year); FAMILY has none
_SINCE = {
    RelationType.REFERRED: (2015, 2024),
    RelationType.MEMBER_OF: (2006, 2024),
    RelationType.TRADES_IN: (2003, 2024),
    RelationType.SOURCED_VIA: (2015, 2024),
    RelationType.CONTROLS: (1995, 2023),
    RelationType.GUARANTEES: (2021, 2024),
    RelationType.EMPLOYS: (2005, 2024),
    RelationType.SUPPLIES: (2010, 2024),
}
_SHARE_TEXT = [("%.4f" % (bp / 10000)).rstrip("0").rstrip(".") for bp in range(10001)]
_SHARE_TEXT[0] = "0"

_CHUNK = 50_000
