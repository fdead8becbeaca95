"""TRANSITIONAL (issue 24): the old name of :mod:`channelgraph.graph`; removed once no room uses it."""

from __future__ import annotations

import weakref

from .._runtime import gc_paused
from ..graph.arrays import csr, gather, in_ints, kind_in, unique_ints
from ..graph.book import UNKNOWN, Book, Relation, build_book
from ..graph.ids import StringKeys, key_order, positions_in, string_keys
from ..model import decimal_percent
from ._numbers import (exceeds, percent_floor, percent_floors, percent_text, percent_texts, ratio_pairs, ratio_text,
                       ratio_texts, share_percent, share_percents, texts_by_value, yuan_human_texts)

Facts = Book
Edges = Relation

__all__ = ["UNKNOWN", "Book", "Edges", "Facts", "Relation", "StringKeys", "csr", "decimal_percent", "exceeds",
           "facts_of", "gather", "gc_paused", "in_ints", "key_order", "kind_in", "percent_floor", "percent_floors",
           "percent_text", "percent_texts", "positions_in", "ratio_pairs", "ratio_text", "ratio_texts",
           "share_percent", "share_percents", "string_keys", "texts_by_value", "unique_ints", "yuan_human_texts"]

_CACHE: dict[int, tuple] = {}


def facts_of(dataset) -> Book:
    """TRANSITIONAL: the book of a dataset, cached per dataset object."""
    if isinstance(dataset, Book):
        return dataset
    got = _CACHE.get(id(dataset))
    if got is not None and got[0]() is dataset:
        return got[1]
    book = build_book(dataset)
    for k in [k for k, v in _CACHE.items() if v[0]() is None]:
        del _CACHE[k]
    while len(_CACHE) >= 4:
        del _CACHE[next(iter(_CACHE))]
    _CACHE[id(dataset)] = (weakref.ref(dataset), book)
    return book
