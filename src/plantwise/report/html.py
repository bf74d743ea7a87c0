"""An HTML report that works offline: headings, key-value summaries, tables, plotly figures.

The plotly library is not inlined (it is ~4.8 MB): :meth:`HtmlReport.write` writes it once
as ``plotly.min.js`` into the report's folder (from the installed plotly package, so the
page needs no network) and the page loads it with ``<script src="plotly.min.js">``. Several
reports in one folder share the file; it is rewritten only when it differs from the
installed plotly's, and always atomically (a temporary file, then :func:`os.replace`), so
a concurrent reader never sees half a file.

Units: every axis title and table column header carries its unit. :func:`with_unit`
spells a label (``"stock (units)"``), :meth:`HtmlReport.table` takes a column-to-unit
mapping and renames the headers it shows (the CSV files keep their plain column names).

Summaries: :func:`summary_value` reads a key from a plan's ``summary`` in either schema,
the flat one or the one with family figures under ``kpis`` and method details under
``details``.
"""

from __future__ import annotations

import contextlib
import functools
import html
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from plantwise.core.summary import lookup, total_seconds

PLOTLY_JS = "plotly.min.js"

_STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem auto; max-width: 1200px;
       color: #1f2933; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d9e2ec; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border: 1px solid #d9e2ec; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f0f4f8; } td:first-child, th:first-child { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; }
.note { color: #52606d; font-size: 0.9rem; }
.warn { color: #a82a2a; font-weight: 600; }
"""


def summary_value(summary: Mapping[str, object] | None, key: str, default: object = None) -> object:
    """``key`` of a plan summary of either schema (:func:`plantwise.core.summary.lookup`)."""
    return lookup(dict(summary) if isinstance(summary, Mapping) else None, key, default)


def summary_seconds(summary: Mapping[str, object] | None) -> float | None:
    """Wall-clock seconds of the solve, from either schema (:func:`plantwise.core.summary.total_seconds`)."""
    return total_seconds(dict(summary) if isinstance(summary, Mapping) else None)


def percent(value: object, digits: int = 3) -> str:
    """A fraction as ``"12.345 %"``; ``"n/a"`` when it is missing or not a number."""
    try:
        return f"{100 * float(value):.{digits}f} %"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"


def with_unit(label: str, unit: str | None) -> str:
    """``"label (unit)"``; the label alone when ``unit`` is empty or already in it."""
    if not unit or label.endswith(f"({unit})"):
        return label
    return f"{label} ({unit})"


def with_units(frame: pd.DataFrame, units: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with each column named in ``units`` renamed to ``"column (unit)"``."""
    return frame.rename(columns={c: with_unit(str(c), units[c]) for c in frame.columns if c in units})


@functools.cache
def plotly_js() -> bytes:
    """The installed plotly package's ``plotly.min.js`` (read once per process)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and :func:`os.replace`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def ensure_plotly_js(folder: str | Path) -> Path:
    """``folder/plotly.min.js``, written only if missing or different from the installed plotly's."""
    target = Path(folder) / PLOTLY_JS
    data = plotly_js()
    with contextlib.suppress(OSError):
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return target
    return write_atomic(target, data)


_CAPTURES: list[list[tuple[str, go.Figure]]] = []


@contextlib.contextmanager
def capture_figures() -> Iterator[list[tuple[str, go.Figure]]]:
    """Collect ``(section heading, figure)`` of every figure any :class:`HtmlReport` adds while
    the block runs (the workspace shows a plan's report figures on its own page this way)."""
    sink: list[tuple[str, go.Figure]] = []
    _CAPTURES.append(sink)
    try:
        yield sink
    finally:
        _CAPTURES.remove(sink)


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


class HtmlReport:
    """Collects sections and writes one HTML page (plus the shared ``plotly.min.js``)."""

    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []
        self.figures: list[go.Figure] = []
        self._anchors: set[str] = set()
        self._section = ""

    def heading(self, text: str, anchor: str | None = None, level: int = 2) -> None:
        """A section heading with an ``id`` (``anchor``, else derived from ``text``; unique per page)."""
        base = anchor or _anchor(text)
        name, n = base, 1
        while name in self._anchors:
            n += 1
            name = f"{base}-{n}"
        self._anchors.add(name)
        self._section = text
        self.parts.append(f"<h{level} id='{name}'>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, warn: bool = False) -> None:
        self.parts.append(f"<p class='{'warn' if warn else 'note'}'>{html.escape(text)}</p>")

    def key_values(self, values: Mapping[str, object]) -> None:
        """A two-column table; put the unit into each key (``"objective (currency)"``)."""
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in values.items()
        )
        self.parts.append(f"<table>{rows}</table>")

    def table(self, frame: pd.DataFrame, max_rows: int = 200, units: Mapping[str, str] | None = None) -> None:
        """``frame`` as a table, its headers renamed ``"column (unit)"`` per ``units``; at most ``max_rows``."""
        shown = with_units(frame.head(max_rows), units or {})
        table = shown.to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0, na_rep="")
        self.parts.append(f"<div class='scroll'>{table}</div>")
        if len(frame) > max_rows:
            self.paragraph(f"showing {max_rows} of {len(frame)} rows")

    def figure(self, fig: go.Figure) -> None:
        """A plotly figure; the library itself is loaded once per page from ``plotly.min.js``."""
        fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 40})
        self.figures.append(fig)
        for sink in _CAPTURES:
            sink.append((self._section, fig))
        self.parts.append(fig.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True}))

    def render(self) -> str:
        """The page as text; it references ``plotly.min.js`` in its own folder when it has figures."""
        script = f'<script src="{PLOTLY_JS}"></script>' if self.figures else ""
        body = "\n".join(self.parts)
        title = html.escape(self.title)
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
                f"<style>{_STYLE}</style>{script}</head><body><h1>{title}</h1>\n{body}\n</body></html>")

    def write(self, path: str | Path) -> Path:
        """Write the page to ``path`` (atomically) and ``plotly.min.js`` next to it if it has figures."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.figures:
            ensure_plotly_js(path.parent)
        return write_atomic(path, self.render().encode("utf-8"))


def replan_section(rep: HtmlReport, summary: Mapping[str, object] | None, folder: Path, max_rows: int = 200) -> None:
    """For a re-plan (``details.replan`` in the summary): the plan before and after — cost,
    changes per kind, the frozen decisions that had to change and why — and ``changes.csv``
    (every changed decision, before and after) from the plan folder."""
    details = lookup(dict(summary or {}), "details") or {}
    block = details.get("replan") if isinstance(details, Mapping) else None
    if not isinstance(block, Mapping):
        return
    rep.heading("Re-plan: before and after", anchor="replan")
    rep.key_values({
        "now / frozen until (time)": f"{block.get('now')} / {block.get('freeze_until')}",
        "change penalty (currency per changed decision)": block.get("change_penalty"),
        "events": ", ".join(str(e.get("kind")) for e in block.get("events", []) if isinstance(e, Mapping)),
        "cost before (currency)": lookup(dict(summary or {}), "cost_before"),
        "cost after (currency)": lookup(dict(summary or {}), "cost_after"),
        "cold re-optimum (currency)": lookup(dict(summary or {}), "cold_cost"),
        "changed decisions": lookup(dict(summary or {}), "changes"),
        "changed decisions per kind": lookup(dict(summary or {}), "changes_by_kind"),
    })
    for item in block.get("fence_changes", []) or []:
        if isinstance(item, Mapping):
            rep.paragraph(f"frozen decision changed: {item.get('decision')} — {item.get('reason')}", warn=True)
    path = Path(folder) / "changes.csv"
    if path.is_file():
        rep.table(pd.read_csv(path, keep_default_na=False), max_rows=max_rows)


def _fmt(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)
