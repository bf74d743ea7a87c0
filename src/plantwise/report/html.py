"""A self-contained HTML report: headings, key-value summaries, tables, plotly figures.

The plotly library is embedded once, so the page works offline.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

_STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem auto; max-width: 1200px;
       color: #1f2933; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d9e2ec; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border: 1px solid #d9e2ec; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f0f4f8; } td:first-child, th:first-child { text-align: left; }
.note { color: #52606d; font-size: 0.9rem; }
"""


class HtmlReport:
    """Collects sections and writes one HTML file."""

    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []
        self._plotly_included = False

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str) -> None:
        self.parts.append(f"<p class='note'>{html.escape(text)}</p>")

    def key_values(self, values: dict[str, object]) -> None:
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in values.items()
        )
        self.parts.append(f"<table>{rows}</table>")

    def table(self, frame: pd.DataFrame, max_rows: int = 200) -> None:
        shown = frame.head(max_rows)
        self.parts.append(shown.to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0))
        if len(frame) > max_rows:
            self.paragraph(f"showing {max_rows} of {len(frame)} rows; the CSV has all of them")

    def figure(self, fig: go.Figure) -> None:
        fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 40})
        self.parts.append(fig.to_html(full_html=False, include_plotlyjs=not self._plotly_included))
        self._plotly_included = True

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "\n".join(self.parts)
        path.write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(self.title)}</h1>{body}</body></html>"
        )
        return path


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)
