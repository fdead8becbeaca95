"""The run's readable report: ``report.md`` and a self-contained ``report.html``.

>>> from channelgraph.report import write_report                      # doctest: +SKIP
>>> write_report(results, dataset, "out/", lang="zh", views=view_paths)  # doctest: +SKIP
[PosixPath('out/report.md'), PosixPath('out/report.html')]
"""

from .build import (
    report_markdown,
    summary_markdown,
    table_markdown,
    write_report,
)
from .markdown import markdown_to_html
from .page import report_html

__all__ = [
    "markdown_to_html",
    "report_html",
    "report_markdown",
    "summary_markdown",
    "table_markdown",
    "write_report",
]
