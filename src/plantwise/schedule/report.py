"""Report of a schedule: Gantt charts per machine and per job, the stock curve against the
reorder point, the cost breakdown; and the document's scenario table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from plantwise.report import HtmlReport
from plantwise.schedule.plan import SchedulePlan

MAX_GANTT_ROWS = 60  # machines or jobs drawn; the CSV has every row
MAX_CURVES = 8


def _scale(time_unit: str) -> tuple[float, str]:
    return (60.0, "hours from the start") if time_unit == "min" else (1.0, f"time ({time_unit})")


def gantt(schedule: pd.DataFrame, by: str, time_unit: str, breaks: np.ndarray | None = None) -> go.Figure:
    """Horizontal bars ``[start, end)`` per ``by`` (``machine`` or ``job``), coloured by the other."""
    div, label = _scale(time_unit)
    rows = schedule[by].drop_duplicates().tolist()[:MAX_GANTT_ROWS]
    shown = schedule[schedule[by].isin(rows)]
    colour_by = "job" if by == "machine" else "stage"
    fig = go.Figure()
    for key, grp in shown.groupby(colour_by, sort=False):
        fig.add_trace(go.Bar(
            y=grp[by], x=(grp["end"] - grp["start"]) / div, base=grp["start"] / div, orientation="h", name=str(key),
            customdata=np.stack([grp["job"], grp["stage"], grp["machine"], grp["start"], grp["end"]], axis=1),
            hovertemplate="job %{customdata[0]}<br>%{customdata[1]} on %{customdata[2]}<br>"
                          "[%{customdata[3]}, %{customdata[4]})<extra></extra>",
        ))
    for b0, b1 in (breaks if breaks is not None else np.zeros((0, 2)))[:60]:
        fig.add_vrect(x0=b0 / div, x1=b1 / div, fillcolor="#d9e2ec", opacity=0.35, line_width=0)
    fig.update_layout(barmode="overlay", title=f"Gantt chart per {by}", xaxis_title=label,
                      yaxis={"categoryorder": "array", "categoryarray": rows[::-1]},
                      height=max(300, 26 * len(rows) + 120), showlegend=len(shown[colour_by].unique()) <= 30)
    return fig


def inventory_figure(inventory: pd.DataFrame) -> go.Figure:
    """Stock (backlog negative) per period against the reorder point, for the first goods."""
    fig = go.Figure()
    for good in inventory["good"].drop_duplicates().tolist()[:MAX_CURVES]:
        grp = inventory[inventory["good"] == good]
        fig.add_trace(go.Scatter(x=grp["period"], y=grp["inventory"] - grp["stockout"], mode="lines+markers",
                                 name=f"{good} stock"))
        fig.add_trace(go.Scatter(x=grp["period"], y=grp["reorder_point"], mode="lines", name=f"{good} reorder point",
                                 line={"dash": "dash"}))
    fig.update_layout(title="Finished-goods stock per period (backlog below 0) and reorder point",
                      xaxis_title="period", yaxis_title="units")
    return fig


def write_report(plan: SchedulePlan, out_dir: str | Path, title: str = "schedule",
                 breaks: np.ndarray | None = None) -> Path:
    """Write ``report.html`` (and ``cost_breakdown.csv``) into ``out_dir``."""
    out_dir = Path(out_dir)
    s = plan.summary
    rep = HtmlReport(f"plantwise schedule: {title}")
    keys = ("status", "objective_name", "objective", "bound", "gap", "jobs", "makespan", "amount_produced",
            "average_lead_time_hours", "reorder_point", "rop_settled", "solve_seconds", "verified")
    rep.key_values({k: s[k] for k in keys if k in s})
    breakdown = pd.DataFrame({"term": list((s.get("cost_breakdown") or {}).keys()),
                              "cost": list((s.get("cost_breakdown") or {}).values())})
    if len(breakdown):
        breakdown.to_csv(out_dir / "cost_breakdown.csv", index=False)
        rep.heading("Cost breakdown")
        rep.table(breakdown)
    unit = str(s.get("time_unit", "min"))
    if len(plan.schedule):
        rep.heading("Gantt chart per machine")
        rep.figure(gantt(plan.schedule, "machine", unit, breaks))
        rep.heading("Gantt chart per job")
        rep.figure(gantt(plan.schedule, "job", unit, breaks))
    else:
        rep.paragraph("no job is made: the starting stock is the cheaper plan")
    if len(plan.inventory):
        rep.heading("Stock and reorder point")
        rep.figure(inventory_figure(plan.inventory))
    if s.get("rop_iterations"):
        rep.heading("Reorder-point iteration")
        rep.table(pd.DataFrame(s["rop_iterations"]))
    rep.heading("Schedule")
    rep.table(plan.schedule)
    return rep.write(out_dir / "report.html")


def write_scenarios_report(table: pd.DataFrame, out_dir: str | Path, notes: list[str]) -> Path:
    out_dir = Path(out_dir)
    rep = HtmlReport("plantwise schedule: the document's 8-scenario study")
    for note in notes:
        rep.paragraph(note)
    rep.table(table)
    fig = go.Figure()
    for forecast, grp in table.groupby("forecast_lbs"):
        fig.add_trace(go.Scatter(x=grp["starting_inventory_lbs"], y=grp["production_jobs"], mode="lines+markers",
                                 name=f"forecast {forecast:,.0f} lbs"))
    fig.update_layout(title="Production jobs against starting stock", xaxis_title="starting inventory (lbs)",
                      yaxis_title="jobs")
    rep.figure(fig)
    return rep.write(out_dir / "report.html")
