"""Report helpers shared by every family: an offline HTML page of plotly figures and tables
that loads ``plotly.min.js`` from its own folder, and a reader for either summary schema."""

from plantwise.report.html import (
    PLOTLY_JS,
    HtmlReport,
    ensure_plotly_js,
    percent,
    summary_seconds,
    summary_value,
    with_unit,
    with_units,
    write_atomic,
)

__all__ = ["PLOTLY_JS", "HtmlReport", "ensure_plotly_js", "percent", "summary_seconds", "summary_value",
           "with_unit", "with_units", "write_atomic"]
