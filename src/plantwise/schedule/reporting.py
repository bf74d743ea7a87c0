"""Report of a schedule: Gantt charts per machine and per job, the stock curve against the
reorder point, the cost breakdown; and the document's scenario table.

:func:`write_report` takes the instance the plan was solved for: a document-002 plant
(:class:`~plantwise.schedule.instance.ScheduleInstance`: title from its name, non-working
windows from its calendar, time in minutes) or a bare
:class:`~plantwise.schedule.shop.Shop` of a job-shop / flow-shop benchmark (no calendar
breaks, time in the shop's ``time_unit``). The cost breakdown and the makespan are
recomputed by :func:`plantwise.schedule.verifier.verify`, not read from the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from plantwise.report import HtmlReport, percent, summary_seconds, summary_value
from plantwise.report.html import replan_section
from plantwise.schedule.plan import SchedulePlan

if TYPE_CHECKING:
    from plantwise.schedule.instance import ScheduleInstance
    from plantwise.schedule.shop import Shop

MAX_GANTT_ROWS = 60  # machines or jobs drawn; the CSV has every row
MAX_CURVES = 8
SCENARIO_UNITS = {"optimal_cost": "currency", "cost_per_production_job": "currency/job",
                  "gap": "fraction", "production_jobs": "jobs", "document_cost": "currency", "document_jobs": "jobs",
                  "document_minutes": "min", "document_gap": "fraction", "rop_iterations": "iterations"}


def _scale(time_unit: str) -> tuple[float, str]:
    """Divisor and axis title of a time axis: minutes are drawn in hours."""
    return (60.0, "time (hours from the start)") if time_unit == "min" else (1.0, f"time ({time_unit})")


def time_unit_of(inst: object, summary: dict[str, object] | None = None) -> str:
    """The instance's time unit: a shop's ``time_unit``; minutes for a plant with a calendar;
    else the summary's ``time_unit``."""
    unit = getattr(inst, "time_unit", None)
    if unit:
        return "time units" if unit == "unit" else str(unit)
    if getattr(inst, "calendar", None) is not None:
        return "min"
    return str(summary_value(summary, "time_unit", "time units"))


def gantt(schedule: pd.DataFrame, by: str, time_unit: str, breaks: np.ndarray | None = None,
          downtime: pd.DataFrame | None = None) -> go.Figure:
    """Horizontal bars ``[start, end)`` per ``by`` (``machine`` or ``job``), coloured by the other;
    per machine, ``downtime`` rows (machine, from_hour, to_hour) as grey bars."""
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
    if by == "machine" and downtime is not None and len(downtime):
        down = downtime[downtime["machine"].isin(rows)]
        minutes = 60.0 if time_unit == "min" else 1.0  # downtime is in hours
        fig.add_trace(go.Bar(
            y=down["machine"], x=(down["to_hour"] - down["from_hour"]) * minutes / div,
            base=down["from_hour"] * minutes / div, orientation="h", name="downtime",
            marker={"color": "#7b8794", "pattern": {"shape": "/"}}, opacity=0.6,
            hovertemplate="downtime %{base:.2f} to %{x:.2f} later<extra></extra>",
        ))
    for b0, b1 in (breaks if breaks is not None else np.zeros((0, 2)))[:60]:
        fig.add_vrect(x0=b0 / div, x1=b1 / div, fillcolor="#d9e2ec", opacity=0.35, line_width=0)
    fig.update_layout(barmode="overlay", title=f"Gantt chart per {by}", xaxis_title=label,
                      yaxis={"title": by, "type": "category", "categoryorder": "array", "categoryarray": rows[::-1]},
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
                      xaxis_title="period", yaxis_title="stock (units)")
    return fig


def write_report(inst: ScheduleInstance | Shop, plan: SchedulePlan, out_dir: str | Path) -> Path:
    """Write ``out_dir/report.html`` and ``cost_breakdown.csv`` (plus ``plotly.min.js`` once per
    folder); returns the html path."""
    from plantwise.schedule.verifier import verify

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    s = plan.summary
    title = str(getattr(inst, "name", None) or summary_value(s, "instance") or "schedule")
    calendar = getattr(inst, "calendar", None)
    breaks = calendar.breaks() if calendar is not None else None
    unit = time_unit_of(inst, s)
    objective_name = str(summary_value(s, "objective_name", "cost"))
    check = verify(inst, plan, objective_name)
    objective_unit = {"cost": "currency", "makespan": unit}.get(objective_name, f"weight × {unit}")
    jobs = plan.schedule.drop_duplicates("job") if len(plan.schedule) else plan.schedule
    rep = HtmlReport(f"plantwise schedule: {title}")
    rep.heading("Summary")
    values: dict[str, object] = {
        "status": summary_value(s, "status"),
        "objective": objective_name,
        f"objective value, recomputed ({objective_unit})": check.objective_value,
        f"proven bound ({objective_unit})": summary_value(s, "bound"),
        "gap": percent(summary_value(s, "gap"), 4),
        "jobs made (jobs)": len(jobs),
        f"makespan ({unit})": check.makespan,
    }
    has_goods = bool(len(jobs)) and "good" in jobs and bool((jobs["good"].astype(str) != "").any())
    if has_goods:
        values["amount produced (units)"] = float(jobs["quantity"].sum())
    lead = summary_value(s, "average_lead_time_hours")
    if lead is not None:
        values["average lead time (h)"] = lead
    if len(plan.inventory):
        rop = plan.inventory.drop_duplicates("good").set_index("good")["reorder_point"]
        values["reorder point (units)"] = {str(g): float(r) for g, r in rop.items()}
    settled = summary_value(s, "rop_settled")
    if settled is not None:
        values["reorder point settled"] = settled
    values["solve time (s)"] = summary_seconds(s)
    values["independent verification"] = "passed" if check.ok else f"{len(check.violations)} violations"
    rep.key_values(values)
    for v in check.violations[:10]:
        rep.paragraph(str(v), warn=True)
    replan_section(rep, s, out_dir)
    breakdown = pd.DataFrame({"term": list(check.cost_breakdown), "cost": list(check.cost_breakdown.values())})
    breakdown.to_csv(out_dir / "cost_breakdown.csv", index=False)
    if len(breakdown):
        rep.heading("Cost breakdown")
        rep.table(breakdown, units={"cost": "currency"})
    if len(plan.schedule):
        rep.heading("Gantt chart per machine")
        rep.figure(gantt(plan.schedule, "machine", unit, breaks, getattr(inst, "downtime", None)))
        rep.heading("Gantt chart per job")
        rep.figure(gantt(plan.schedule, "job", unit, breaks))
    else:
        rep.paragraph("no job is made: the starting stock is the cheaper plan")
    if len(plan.inventory):
        rep.heading("Stock and reorder point")
        rep.figure(inventory_figure(plan.inventory))
    iterations = summary_value(s, "rop_iterations")
    if iterations:
        rep.heading("Reorder-point iteration")
        rep.table(pd.DataFrame(iterations), units=ROP_UNITS)
    rep.heading("Schedule")
    shown = plan.schedule if has_goods else plan.schedule.drop(columns=["good", "quantity"], errors="ignore")
    rep.table(shown, units={"quantity": "units", "start": unit, "end": unit})
    return rep.write(out_dir / "report.html")


ROP_UNITS = {"reorder_point_used": "units", "reorder_point_implied": "units", "objective": "currency",
             "bound": "currency", "seconds": "s", "lead_time_hours": "h"}


def _scenario_header(column: str) -> str:
    """``starting_inventory_lbs`` -> ``starting_inventory (lbs)``: a unit suffix as the header's unit."""
    for suffix, unit in (("_lbs", "lbs"), ("_hours", "h"), ("_s", "s")):
        if column.endswith(suffix):
            return f"{column[: -len(suffix)]} ({unit})"
    return column


def write_scenarios_report(table: pd.DataFrame, out_dir: str | Path, notes: list[str]) -> Path:
    """Write the 8-scenario study's ``out_dir/report.html`` (its column names carry their units)."""
    out_dir = Path(out_dir)
    rep = HtmlReport("plantwise schedule: the document's 8-scenario study")
    for note in notes:
        rep.paragraph(note)
    rep.table(table.rename(columns=_scenario_header), units=SCENARIO_UNITS)
    fig = go.Figure()
    for forecast, grp in table.groupby("forecast_lbs"):
        fig.add_trace(go.Scatter(x=grp["starting_inventory_lbs"], y=grp["production_jobs"], mode="lines+markers",
                                 name=f"forecast {forecast:,.0f} lbs"))
    fig.update_layout(title="Production jobs against starting stock", xaxis_title="starting inventory (lbs)",
                      yaxis_title="production jobs (jobs)")
    rep.figure(fig)
    return rep.write(out_dir / "report.html")
