"""Integer keys for ids: the bit mixer the dataset checks (:mod:`channelgraph.io.validate`) hash
packed ids with."""

from __future__ import annotations

import numpy as np


def mix64(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 words: a bijection that scrambles the bits (pandas' hash
    tables hash integers weakly, and packed ASCII bytes or row numbers would crowd them).

    >>> mix64(np.array([0, 1], dtype=np.uint64)).tolist()
    [0, 11280537832608991257]
    """
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(31))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(27))
