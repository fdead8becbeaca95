"""channelgraph — a commercial bank's customers, channels and guarantees as a graph.

The library API mirrors the command line::

    from channelgraph.io import load_dataset
    from channelgraph.store import build_graph
    ds = load_dataset("data/sample")
    g = build_graph(ds)
"""

__version__ = "0.1.0"
