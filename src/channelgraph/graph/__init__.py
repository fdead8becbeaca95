"""The book as one typed graph every room reads (:class:`~channelgraph.graph.book.Book`).

>>> from channelgraph.graph import load_book
>>> load_book("data/sample").n
478
"""

from .book import UNKNOWN, Book, Relation, build_book, load_book
from .exposure import Exposure, measure_exposure

__all__ = ["UNKNOWN", "Book", "Exposure", "Relation", "build_book", "load_book", "measure_exposure"]
