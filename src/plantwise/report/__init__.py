"""Report helpers shared by every family: a self-contained HTML page of plotly figures and tables."""

from plantwise.report.html import HtmlReport

__all__ = ["HtmlReport"]
