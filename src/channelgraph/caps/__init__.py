"""Draft exposure caps for channel-specific schemes (渠道专属方案), with a committee report.

Library functions (pure; integer fen throughout; ``f(book, policy=None, *, risk=None)``, *risk*
the risk room's :class:`~channelgraph.risk.RiskResult`, run when not given):

* :func:`~channelgraph.caps.draft.draft_scheme_caps` → ``(caps, borrower_caps, breaches)``;
* :func:`~channelgraph.caps.draft.draft_caps_tables` → every caps table by name (also
  ``scheme_risk_sources``);
* :func:`~channelgraph.caps.report.caps_report_markdown` and
  :func:`~channelgraph.caps.report.write_caps_report` → ``caps_report.md`` / ``caps_report.html``
  in Chinese or English.

:data:`ANALYSIS` is the ``caps`` analysis (order 30; it needs only risk, so ``analyze`` runs it before
the marketing room, while that room's background work goes on): tables ``caps``, ``scheme_borrower_caps``,
``scheme_risk_sources`` and ``caps_breaches``, and the caps section of the run's report. It
reads the risk room's :class:`~channelgraph.risk.RiskResult` (``prior["risk"]``) for groups of
connected clients and risk sources, and runs the risk analysis itself when that is missing.
"""

from __future__ import annotations

from ..results import Analysis, AnalysisResult
from ..graph import Book
from ..model import format_yuan
from ..policy import Policy
from .draft import (
    BORROWER_COLUMNS,
    BREACH_COLUMNS,
    BREACH_TYPES,
    CAPS_COLUMNS,
    SOURCE_COLUMNS,
    channel_quality,
    draft_caps_tables,
    draft_scheme_caps,
)
from .report import caps_report_markdown, caps_section, write_caps_report

__all__ = [
    "ANALYSIS",
    "BORROWER_COLUMNS",
    "BREACH_COLUMNS",
    "CAPS_COLUMNS",
    "SOURCE_COLUMNS",
    "caps_report_markdown",
    "caps_section",
    "caps_summary",
    "channel_quality",
    "draft_caps_tables",
    "draft_scheme_caps",
    "run_caps",
    "write_caps_report",
]


def run_caps(book: Book, policy: Policy | None = None, prior: dict | None = None) -> AnalysisResult:
    """The runner of the ``caps`` analysis: draft every scheme's caps from ``prior["risk"]``
    (the :class:`~channelgraph.risk.RiskResult`; run here when *prior* has none)."""
    policy = policy or book.policy
    tables = draft_caps_tables(book, policy, risk=(prior or {}).get("risk"))
    return AnalysisResult(tables=tables, summary=caps_summary(tables, policy))


def caps_summary(tables: dict, policy: Policy) -> dict:
    """JSON-ready key figures (ints and strings; amounts as yuan strings)."""
    caps, br = tables["caps"], tables["caps_breaches"]
    counts = br["breach_type"].value_counts().to_dict() if len(br) else {}
    c = policy.caps

    def total(col: str) -> str:
        return format_yuan(int(sum(int(x) for x in caps[col].tolist())) if len(caps) else 0)

    return {
        "schemes": len(caps),
        "schemes_in_breach": int((caps["status"] == "breach").sum()) if len(caps) else 0,
        "cap_total": total("cap_total_fen"),
        "utilized": total("utilized_fen"),
        "breaches": {t: int(counts.get(t, 0)) for t in BREACH_TYPES},
        "policy": {
            "scheme_total_share": str(c.scheme_total_share),
            "per_borrower": format_yuan(c.per_borrower_fen),
            "single_source_share": str(c.single_source_share),
            "single_source_min_borrowers": c.single_source_min_borrowers,
            "rounding": format_yuan(c.rounding_fen),
        },
        "schemes_table": [
            {
                "scheme_id": r.scheme_id,
                "cap_total": format_yuan(r.cap_total_fen),
                "cap_per_borrower": format_yuan(r.cap_per_borrower_fen),
                "cap_single_risk_source": format_yuan(r.cap_single_risk_source_fen),
                "utilized": format_yuan(r.utilized_fen),
                "headroom": format_yuan(r.headroom_fen),
                "status": r.status,
            }
            for r in caps.itertuples(index=False)
        ],
    }


#: The ``caps`` analysis of :func:`channelgraph.analyses.registry`.
ANALYSIS = Analysis("caps", run_caps, "Scheme caps", "渠道方案限额", order=30, report=caps_section, needs=("risk",))
