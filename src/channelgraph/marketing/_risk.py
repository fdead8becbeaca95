"""Risk-aware flags from the risk room's :class:`~channelgraph.risk.RiskResult`.

Marketing must not push credit blindly through a hub that is a top single risk source
(规避单一风险源) or that sits in a group of connected clients breaching its limit: read
from ``risk.sources`` (``source_id``, ``rank``), ``risk.groups`` (``group_id``, ``status``
∈ ok | large_exposure | breach) and ``risk.members`` (``entity_id``, ``group_id``). Without
a risk result the flags are empty and :attr:`RiskFlags.available` is False.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..risk import RiskResult

#: A risk source ranked at most this is a "top" risk source for the flags.
TOP_RISK_SOURCES = 10


@dataclass
class RiskFlags:
    available: bool
    source_rank: np.ndarray  # int, 0 = not a top risk source
    breach_group: np.ndarray  # object, "" = not in a breached group
    note: str = ""
    _text: list | None = field(default=None, repr=False, compare=False)

    def top_source(self) -> np.ndarray:
        return self.source_rank > 0

    def breached(self) -> np.ndarray:
        return self.breach_group != ""

    def text(self) -> list[str]:
        """The flag per node as text ("" for most), built once."""
        if self._text is None:
            out = [""] * len(self.source_rank)
            flagged = np.flatnonzero((self.source_rank > 0) | (self.breach_group != ""))
            for i, r, g in zip(
                flagged.tolist(), self.source_rank[flagged].tolist(), self.breach_group[flagged].tolist()
            ):
                parts = []
                if r:
                    parts.append(f"top risk source #{r}")
                if g:
                    parts.append(f"in breached group {g}")
                out[i] = "; ".join(parts)
            self._text = out
        return self._text


def risk_flags(view, risk: RiskResult | None) -> RiskFlags:
    """Flags per node of *view* from the risk result; unavailable when *risk* is None."""
    n = view.n
    rank = np.zeros(n, dtype=np.int64)
    group = np.full(n, "", dtype=object)
    if risk is None:
        return RiskFlags(False, rank, group, "risk analysis not run: no risk flags")
    src = risk.sources
    ranks = src["rank"].to_numpy(dtype=np.int64)
    top = np.flatnonzero((ranks > 0) & (ranks <= TOP_RISK_SOURCES))
    pos = view.positions(src["source_id"].to_numpy(dtype=object)[top])
    ok = pos >= 0
    r = ranks[top][ok]
    o = np.argsort(-r, kind="stable")  # the smallest rank is written last and wins
    rank[pos[ok][o]] = r[o]
    groups, members = risk.groups, risk.members
    breached = groups.loc[groups["status"] == "breach", "group_id"].tolist()
    if breached:
        hit = members[members["group_id"].isin(breached)]
        pos = view.positions(hit["entity_id"].to_numpy(dtype=object))
        for i, gid in zip(pos.tolist(), hit["group_id"].tolist()):
            if i >= 0:
                group[i] = gid if not group[i] else min(group[i], gid)
    return RiskFlags(True, rank, group)
