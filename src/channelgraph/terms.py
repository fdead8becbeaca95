"""Words a person reads, in Chinese (zh) or English (en): one way to look them up.

Each room keeps its words in a table ``{key: (zh, en)}``; :func:`term` picks one.
"""

from __future__ import annotations

from collections.abc import Mapping


def term(table: Mapping[str, tuple[str, str]], key: str, lang: str, **kw) -> str:
    """The text for *key* in *lang* (``"zh"``, else English), formatted with *kw* when given.

    >>> term({"rows": ("{n} 行", "{n} rows")}, "rows", "zh", n=3)
    '3 行'
    """
    zh, en = table[key]
    s = zh if lang == "zh" else en
    return s.format(**kw) if kw else s
