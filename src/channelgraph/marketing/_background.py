"""The marketing room's slow work, started early on an executor the caller owns.

PageRank, 2-hop reach, sampled betweenness and the community partition need nothing but
the view, and their compiled kernels release the GIL. :func:`start` submits the view's
build and then each of them to the given executor and returns the futures as one
:class:`MarketingWork`; whoever runs the marketing room later passes it to
:func:`~channelgraph.marketing.run_marketing`, which waits for each value where it needs
it. Nothing is left behind anywhere else: without a :class:`MarketingWork`,
:func:`~channelgraph.marketing.run_marketing` computes the same values itself.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import dataclass

from ..graph import Book
from ..policy import Policy
from ._graph import MarketingGraph, build_view
from .communities import community_labels
from .hubs import betweenness_of, pagerank_of, reach_of


@dataclass(frozen=True)
class MarketingWork:
    """Futures of the marketing view and of its slow values, for one book and policy."""

    policy: Policy
    view: Future  # MarketingGraph
    pagerank: Future  # see hubs.pagerank_of
    reach: Future  # see hubs.reach_of
    betweenness: Future  # see hubs.betweenness_of
    labels: Future  # see communities.community_labels

    @property
    def futures(self) -> tuple[Future, ...]:
        return self.view, self.pagerank, self.reach, self.betweenness, self.labels


def start(book: Book, policy: Policy, executor: Executor) -> MarketingWork:
    """Submit the view of *book* and its PageRank, reach, betweenness and communities to
    *executor*, in that order (with one worker, one after another)."""
    view = executor.submit(build_view, book, policy.marketing.type_weights)
    seed = int(policy.marketing.seed)

    def on_view(fn, *args):
        def work():
            v: MarketingGraph = view.result()
            return fn(v, *args)

        return executor.submit(work)

    return MarketingWork(
        policy=policy,
        view=view,
        pagerank=on_view(pagerank_of),
        reach=on_view(reach_of),
        betweenness=on_view(betweenness_of, policy),
        labels=on_view(community_labels, seed),
    )
