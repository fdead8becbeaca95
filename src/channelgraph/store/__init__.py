"""Graph stores: the embedded NetworkX graph (default) and a Neo4j server."""

from .embedded import build_graph, edges_of_type, exposure_by_customer

__all__ = ["build_graph", "edges_of_type", "exposure_by_customer"]
