"""What the API and the pages show, computed once: table pages (filter, sort, page), a plan's
tables and artifacts, and the comparison of runs."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plantwise.core.decisions import diff_table
from plantwise.core.family import get_family
from plantwise.core.summary import lookup, total_seconds
from plantwise.workspace.models import Run

MAX_PAGE = 1000


def plain(value: Any) -> Any:
    """A JSON-safe cell: NaN/inf as ``None``, numpy scalars as Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def table_page(frame: pd.DataFrame, *, q: str = "", sort: str = "", desc: bool = False, offset: int = 0,
               limit: int = 200) -> dict[str, Any]:
    """One page of ``frame`` after filtering and sorting.

    ``q``: rows whose any cell contains the text (case-insensitive), or ``column=value`` for
    rows whose ``column`` equals ``value`` exactly (several joined by ``&``); ``sort``: a
    column (numbers sort as numbers). Rows keep their ``row`` number in the stored table,
    which is what a scenario's cell edit names."""
    frame = frame.reset_index(drop=True)
    rows = np.arange(len(frame))
    mask = np.ones(len(frame), dtype=bool)
    problems: list[str] = []
    q = (q or "").strip()
    if q:
        if "=" in q:
            for part in q.split("&"):
                column, _, value = part.partition("=")
                column, value = column.strip(), value.strip()
                if column not in frame.columns:
                    problems.append(f"no column {column!r}")
                    continue
                mask &= frame[column].astype(str).str.strip().to_numpy() == value
        else:
            text = frame.astype(str).apply(lambda c: c.str.contains(q, case=False, regex=False))
            mask &= text.any(axis=1).to_numpy() if len(frame.columns) else mask
    frame, rows = frame[mask], rows[mask]
    if sort:
        if sort not in frame.columns:
            problems.append(f"no column {sort!r} to sort by")
        else:
            key = pd.to_numeric(frame[sort], errors="coerce")
            key = key if key.notna().all() else frame[sort].astype(str)
            order = np.argsort(key.to_numpy(), kind="stable")
            if desc:
                order = order[::-1]
            frame, rows = frame.iloc[order], rows[order]
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    page = frame.iloc[offset:offset + limit]
    return {"columns": [str(c) for c in frame.columns], "rows": [[plain(v) for v in r] for r in page.itertuples(
        index=False, name=None)], "row_numbers": [int(r) for r in rows[offset:offset + limit]],
            "total": len(frame), "offset": offset, "limit": limit, "problems": problems}


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False)


def plan_tables(folder: Path) -> dict[str, dict[str, Any]]:
    """The plan folder's CSV tables: rows and columns of each."""
    out = {}
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().strip()
            rows = sum(1 for _ in fh)
        out[path.stem] = {"rows": rows, "columns": header.split(",") if header else []}
    return out


def artifacts(folder: Path) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    return [{"name": p.name, "bytes": p.stat().st_size} for p in sorted(folder.iterdir()) if p.is_file()]


def read_figures(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def progress_history(path: Path, limit: int = 2000) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out[-limit:]


# ---------------------------------------------------------------------- compare


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def compare(runs: Sequence[Run], plan_folders: Sequence[Path], max_rows: int = 500) -> dict[str, Any]:
    """Two or more runs of one family side by side: the headline figures, the KPIs and the cost
    breakdown of each; and against the first run (the reference), the decisions that differ,
    per decision kind of the family (:mod:`plantwise.core.decisions`)."""
    if len(runs) < 2:
        raise ValueError("compare needs at least two runs")
    families = {r.family for r in runs}
    if len(families) > 1:
        raise ValueError(f"compare runs of one family; these are of {', '.join(sorted(families))}")
    fam = get_family(runs[0].family)
    summaries = [r.summary or {} for r in runs]
    headline = []
    for key, label in (("status", "status"), ("method", "method"), ("objective", "objective"),
                       ("bound", "bound"), ("gap", "gap"), ("verified", "verified")):
        headline.append({"key": label, "values": [plain(s.get(key)) for s in summaries]})
    headline.append({"key": "seconds", "values": [total_seconds(s) for s in summaries]})
    kpi_keys: list[str] = []
    for s in summaries:
        for k, v in (s.get("kpis") or {}).items():
            if k not in kpi_keys and (isinstance(v, int | float | str | bool) or v is None):
                kpi_keys.append(k)
    kpis = [{"key": k, "values": [plain(lookup(s, k)) for s in summaries]} for k in kpi_keys]
    cost_keys: list[str] = []
    for s in summaries:
        for k in (s.get("cost_breakdown") or {}):
            if k not in cost_keys:
                cost_keys.append(k)
    costs = [{"key": k, "values": [plain((s.get("cost_breakdown") or {}).get(k)) for s in summaries]}
             for k in cost_keys]
    decisions = []
    for spec in fam.decisions:
        reference = _table(plan_folders[0], spec.table)
        for run, folder in zip(runs[1:], plan_folders[1:], strict=True):
            diff = diff_table(spec, reference, _table(folder, spec.table))
            decisions.append({"table": spec.table, "label": spec.label, "reference": runs[0].id, "other": run.id,
                              "count": len(diff), "columns": [str(c) for c in diff.columns],
                              "rows": [[plain(v) for v in r] for r in diff.head(max_rows).itertuples(
                                  index=False, name=None)]})
    objective = [_number(s.get("objective")) for s in summaries]
    return {"family": fam.name, "sense": fam.sense, "runs": [r.id for r in runs], "headline": headline, "kpis": kpis,
            "cost_breakdown": costs, "decisions": decisions, "objective": objective}


def _table(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.csv"
    return read_csv(path) if path.is_file() else None
