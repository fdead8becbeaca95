"""The public Book (channelgraph.graph): built once, immutable, the same facts as the tables."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLE

from channelgraph.graph import load_book
from channelgraph.model import RelationType
from channelgraph.viz.command import ViewNotFound, build_view


@pytest.fixture(scope="module")
def book():
    return load_book(SAMPLE)


def test_every_array_of_the_book_is_read_only(book):
    with pytest.raises(ValueError, match="read-only"):
        book.outstanding[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        book.of(RelationType.GUARANTEES).amount[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        book.fac_outstanding[0] = 1
    with pytest.raises(TypeError):
        book.edges["GUARANTEES"] = book.of(RelationType.CONTROLS)  # type: ignore[index]
    with pytest.raises(AttributeError):
        book.total_outstanding = 0  # type: ignore[misc]


def test_relations_compare_by_identity_not_elementwise(book):
    a, b = book.of(RelationType.FAMILY), book.of(RelationType.CONTROLS)
    assert a != b and a == a


def test_the_book_holds_the_tables_facts(book):
    ents = book.tables.entities
    assert list(book.ids) == sorted(ents["id"])
    assert int(book.outstanding.sum()) == book.total_outstanding == book.tables.total_outstanding_fen
    assert np.array_equal(np.asarray(ents["id"])[book.entity_row], book.ids)
    g = book.to_networkx()
    assert g.number_of_nodes() == book.n
    assert g.number_of_edges() == sum(len(r) for r in book.edges.values())


@pytest.mark.parametrize("kind", ["group", "pattern"])
def test_a_view_without_risk_results_says_so(book, kind):
    with pytest.raises(ViewNotFound, match="no risk results given"):
        build_view(book, {}, kind)
