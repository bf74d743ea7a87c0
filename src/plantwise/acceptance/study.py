"""The numerical experiments of document 003 (section 4), rebuilt on :func:`plantwise.acceptance.methods.solve`.

One function per experiment; each writes CSV tables and one self-contained HTML report with its
plotly figures into ``out_dir`` (created if missing), never prints, and returns its table:

* :func:`rho_study` the ADMM penalty ρ against profit, cost and iterations (the document's Table 6,
  Figures 5-6): ``rho.csv``, ``rho_history.csv``, ``rho.html``;
* :func:`scale_study` centralized MILP against ADMM as the number of orders grows (Figure 7):
  ``scale.csv``, ``crossover.json``, ``scale.html``;
* :func:`doe_study` a full factorial over ρ and the inner/outer thresholds with a MANOVA of run time
  and profit (Tables 9-11, Figures 8-9): ``doe_runs.csv``, ``manova.csv``, ``anova_solve_seconds.csv``,
  ``anova_profit.csv``, ``doe_main_effects.csv``, ``doe.html``;
* :func:`capacity_study` one capacity at a time scaled, and each agent's incentive share (Figure 10):
  ``capacity.csv``, ``capacity.html``;
* :func:`compare` both methods on one instance side by side (Tables 7-8): ``compare.csv``,
  ``compare_orders.csv``, ``compare.html``.

``**settings`` are fields of :class:`plantwise.acceptance.admm.AdmmSettings` (``max_outer``,
``max_inner``, ``trust_region``, ...). A run that raises is recorded as a row with ``status``
``error`` and the exception in ``error`` when ``on_error="record"`` (the default: one bad setting
does not lose a long study); ``on_error="raise"`` re-raises it. Nothing is random beyond the
seeded generator; only the measured ``solve_seconds`` vary between runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plantwise.acceptance.doe import (
    DOE_FACTORS,
    DOE_RESPONSES,
    anova_table,
    as_number,
    main_effects,
    main_effects_figure,
    manova_table,
)
from plantwise.acceptance.generator import generate
from plantwise.acceptance.instance import AcceptanceInstance, load
from plantwise.acceptance.methods import solve
from plantwise.acceptance.model import AGENTS
from plantwise.acceptance.plan import AcceptancePlan
from plantwise.core.options import SolveOptions
from plantwise.report import HtmlReport

METHODS = ("centralized", "admm")
CAPACITIES = ("supply", "production", "maintenance", "inventory", "distribution")
SHARE_COLUMNS = tuple(f"share_{a}" for a in AGENTS)
COST_COLUMNS = tuple(f"cost_{a}" for a in AGENTS)
_COLOURS = {"centralized": "#1f77b4", "admm": "#ff7f0e"}


# --- running one solve ----------------------------------------------------------------------------


def _as_instance(inst: AcceptanceInstance | str | Path) -> AcceptanceInstance:
    return inst if isinstance(inst, AcceptanceInstance) else load(inst)


def _check(on_error: str, settings: dict[str, Any], reserved: Sequence[str] = ()) -> None:
    """Fail fast (before any solve) on settings that every run would reject."""
    if on_error not in ("record", "raise"):
        raise ValueError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    try:
        from plantwise.acceptance.admm import AdmmSettings
    except Exception:  # the admm module does not import: its runs will record the error; check nothing here
        known = set(settings)
    else:
        known = {f.name for f in dataclasses.fields(AdmmSettings)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TypeError(f"unknown admm settings {unknown}; known: {sorted(known)}")
    clash = sorted(set(settings) & set(reserved))
    if clash:
        raise ValueError(f"settings {clash} are the study's own factors; pass their levels instead")


def metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """One flat row of a plan's summary: the columns every study picks from."""
    costs = summary.get("cost_per_agent") or {}
    shares = summary.get("incentive_shares") or {}
    incentives = summary.get("incentives") or {}
    iterations = summary.get("iterations") or {}
    residuals = summary.get("final_residuals") or {}
    accepted = summary.get("accepted_orders")
    return {
        "status": str(summary.get("status", "")),
        "profit": as_number(summary.get("profit")),
        "revenue": as_number(summary.get("revenue")),
        "total_cost": float(sum(as_number(v) for v in costs.values())) if costs else math.nan,
        "accepted": len(accepted) if accepted is not None and summary.get("profit") is not None else math.nan,
        "solve_seconds": as_number(summary.get("solve_seconds")),
        **{f"cost_{a}": as_number(costs.get(a)) for a in AGENTS},
        "bound": as_number(summary.get("bound")),
        "gap": as_number(summary.get("gap")),
        "iterations_outer": as_number(iterations.get("outer")),
        "iterations_inner": as_number(iterations.get("inner")),
        "best_outer": as_number(iterations.get("best_outer")),
        "primal_residual": as_number(residuals.get("primal")),
        "dual_residual": as_number(residuals.get("dual")),
        "dual_residual_scaled": as_number(residuals.get("dual_scaled")),
        "stop_reason": str(summary.get("stop_reason") or ""),
        **{f"share_{a}": as_number(shares.get(a)) for a in AGENTS},
        "incentive_total": float(sum(as_number(v) for v in incentives.values())) if incentives else math.nan,
        "error": "the solver reported status error" if summary.get("status") == "error" else "",
    }


def _failed(exc: BaseException) -> dict[str, Any]:
    row = metrics({})
    row.update(status="error", error=f"{type(exc).__name__}: {exc}")
    return row


def _run(inst: AcceptanceInstance, method: str, options: SolveOptions, settings: dict[str, Any],
         on_error: str) -> tuple[dict[str, Any], AcceptancePlan | None]:
    """Solve once; a failure becomes an ``error`` row when ``on_error == 'record'``."""
    try:
        plan = solve(inst, method, options, **(settings if method == "admm" else {}))
    except Exception as exc:
        if on_error == "raise":
            raise
        return _failed(exc), None
    return metrics(plan.summary), plan


def _out(out_dir: str | Path) -> Path:
    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _errors_note(rep: HtmlReport, table: pd.DataFrame) -> None:
    bad = table[table["status"] == "error"]
    if len(bad):
        rep.paragraph(f"{len(bad)} of {len(table)} runs raised; see the error column. First: {bad['error'].iat[0]}")


# --- 1. the penalty ρ ----------------------------------------------------------------------------

RHO_COLUMNS = ("rho", "status", "profit", "revenue", "total_cost", "iterations_outer", "iterations_inner",
               "best_outer", "solve_seconds", "accepted", "primal_residual", "dual_residual", "dual_residual_scaled",
               "stop_reason", "error")


def rho_study(inst: AcceptanceInstance | str | Path, out_dir: str | Path, rhos: Sequence[float] = (1, 10, 100, 1000),
              options: SolveOptions | None = None, on_error: str = "record", **settings: Any) -> pd.DataFrame:
    """ADMM once per ``rho`` (other settings fixed): profit, total cost, iterations, residuals.

    Writes ``rho.csv`` (one row per ρ, columns ``RHO_COLUMNS``), ``rho_history.csv`` (every run's
    iteration history with a ``rho`` column) and ``rho.html`` (profit and total cost against ρ,
    iterations against ρ, accepted orders and cost per outer iteration)."""
    _check(on_error, settings, reserved=("rho",))
    inst, out, options = _as_instance(inst), _out(out_dir), options or SolveOptions()
    rows, histories = [], []
    for rho in rhos:
        row, plan = _run(inst, "admm", options, {**settings, "rho": rho}, on_error)
        rows.append({"rho": rho, **row})
        if plan is not None and plan.history is not None and len(plan.history):
            histories.append(plan.history.assign(rho=rho))
    table = pd.DataFrame(rows, columns=list(RHO_COLUMNS))
    table.to_csv(out / "rho.csv", index=False)
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame(columns=["rho", "kind"])
    history = history[["rho", *[c for c in history.columns if c != "rho"]]]
    history.to_csv(out / "rho_history.csv", index=False)

    rep = HtmlReport(f"acceptance: the ADMM penalty ρ on {inst.name}")
    rep.paragraph(f"{inst.describe()}; settings {settings or 'default'}; time limit {options.time_limit} s")
    _errors_note(rep, table)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=table["rho"], y=table["profit"], mode="lines+markers", name="profit"))
    fig.add_trace(go.Scatter(x=table["rho"], y=table["total_cost"], mode="lines+markers", name="total cost"))
    fig.update_layout(title="Profit and total cost against ρ", xaxis_title="ρ", yaxis_title="currency")
    fig.update_xaxes(type="log")
    rep.figure(fig)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=table["rho"], y=table["iterations_outer"], mode="lines+markers", name="outer"))
    fig.add_trace(go.Scatter(x=table["rho"], y=table["iterations_inner"], mode="lines+markers", name="inner (total)"))
    fig.update_layout(title="Iterations against ρ", xaxis_title="ρ", yaxis_title="iterations")
    fig.update_xaxes(type="log")
    rep.figure(fig)
    outer = history[history["kind"] == "outer"] if "kind" in history else history.iloc[0:0]
    if len(outer):
        rep.heading("Per outer iteration (the document's Figures 5-6)")
        fig = go.Figure()
        for rho, grp in outer.groupby("rho", sort=False):
            fig.add_trace(go.Scatter(x=grp["outer"], y=grp["delivered"], mode="lines+markers", name=f"ρ={rho:g}"))
        fig.update_layout(title="Orders served per outer iteration", xaxis_title="outer iteration",
                          yaxis_title="orders delivered")
        rep.figure(fig)
        fig = go.Figure()
        for rho, grp in outer.groupby("rho", sort=False):
            cost = grp[[c for c in COST_COLUMNS if c in grp]].sum(axis=1)
            fig.add_trace(go.Scatter(x=grp["outer"], y=cost, mode="lines+markers", name=f"ρ={rho:g}"))
        fig.update_layout(title="Total cost of the followers' plan per outer iteration", xaxis_title="outer iteration",
                          yaxis_title="currency")
        rep.figure(fig)
    rep.heading("Runs")
    rep.table(table)
    rep.write(out / "rho.html")
    return table


# --- 2. scale: centralized against ADMM -------------------------------------------------------------

SCALE_COLUMNS = ("orders", "seed", "method", "status", "profit", "bound", "gap", "solve_seconds", "time_limited",
                 "accepted", "gap_to_centralized_pct", "gap_to_bound_pct", "error")


def crossover(table: pd.DataFrame) -> dict[str, Any]:
    """The smallest order count from which ADMM is faster than the MILP at every larger size.

    Run times are averaged over seeds per (orders, method); a size where either method has no
    timing is skipped. ``crossover_orders`` is ``None`` when ADMM is not faster at the largest size;
    ``first_faster_orders`` is the first size where it is faster at all."""
    ok = table[table["status"] != "error"]
    mean = ok.groupby(["orders", "method"])["solve_seconds"].mean().unstack("method")
    per_size = []
    for orders, row in mean.sort_index().iterrows():
        central, admm = as_number(row.get("centralized")), as_number(row.get("admm"))
        if math.isnan(central) or math.isnan(admm):
            continue
        per_size.append({"orders": int(orders), "centralized_seconds": round(central, 3),
                         "admm_seconds": round(admm, 3), "admm_faster": bool(admm < central)})
    found: int | None = None
    for entry in reversed(per_size):
        if not entry["admm_faster"]:
            break
        found = entry["orders"]
    first = next((e["orders"] for e in per_size if e["admm_faster"]), None)
    flagged = ok["time_limited"].fillna(False).astype(bool) if "time_limited" in ok else pd.Series(False, ok.index)
    limited = sorted({int(o) for o in ok.loc[flagged, "orders"]})
    return {"crossover_orders": found, "first_faster_orders": first, "per_size": per_size,
            "sizes_with_a_time_limited_run": limited,
            "definition": "smallest order count from which admm's mean solve_seconds is below centralized's "
                          "at that and every larger size (null if never)"}


def scale_study(out_dir: str | Path, sizes: Sequence[int] = (20, 50, 100, 200), seeds: Sequence[int] = (1,),
                time_limit: float | None = 600.0, options: SolveOptions | None = None, on_error: str = "record",
                **settings: Any) -> pd.DataFrame:
    """Both methods on ``generate(orders, seed)`` for every size and seed.

    Writes ``scale.csv`` (one row per size, seed and method; columns ``SCALE_COLUMNS``; the
    gaps are ``100 (reference - profit) / |reference|`` with the centralized profit, resp. its
    bound, as reference; ``time_limited`` flags a MILP stopped before proving optimality, resp. an
    ADMM run stopped by the time limit), ``crossover.json`` (see :func:`crossover`; also in the returned
    table's ``attrs["crossover"]``) and ``scale.html`` (run time against orders on a log axis,
    profit against orders). ``time_limit`` applies to each run of either method."""
    _check(on_error, settings)
    out = _out(out_dir)
    options = (options or SolveOptions()).with_(time_limit=time_limit)
    rows = []
    for orders, seed in itertools.product(sizes, seeds):
        inst = generate(orders, seed)
        found = {m: _run(inst, m, options, settings, on_error)[0] for m in METHODS}
        central, bound = found["centralized"]["profit"], found["centralized"]["bound"]
        for method in METHODS:
            row = found[method]
            limited = (row["stop_reason"] == "time limit" if method == "admm"
                       else row["status"] in ("feasible", "no_solution"))
            rows.append({"orders": orders, "seed": seed, "method": method, **row, "time_limited": limited,
                         "gap_to_centralized_pct": _gap_pct(central, row["profit"]),
                         "gap_to_bound_pct": _gap_pct(bound, row["profit"])})
    table = pd.DataFrame(rows, columns=list(SCALE_COLUMNS))
    table.to_csv(out / "scale.csv", index=False)
    cross = crossover(table)
    (out / "crossover.json").write_text(json.dumps(cross, indent=2))
    table.attrs["crossover"] = cross

    rep = HtmlReport("acceptance: centralized MILP against game-based ADMM by number of orders")
    rep.paragraph(f"sizes {list(sizes)}, seeds {list(seeds)}, time limit {time_limit} s per run; "
                  f"admm settings {settings or 'default'}")
    rep.key_values({"crossover (orders)": cross["crossover_orders"],
                    "first size admm is faster": cross["first_faster_orders"],
                    "sizes with a time-limited run": cross["sizes_with_a_time_limited_run"] or "none"})
    _errors_note(rep, table)
    ok = table[table["status"] != "error"]
    mean = ok.groupby(["method", "orders"], sort=False)[["solve_seconds", "profit"]].mean().reset_index()
    for column, title, log in (("solve_seconds", "Run time against the number of orders", True),
                               ("profit", "Profit against the number of orders", False)):
        fig = go.Figure()
        for method in METHODS:
            grp = mean[mean["method"] == method].sort_values("orders")
            fig.add_trace(go.Scatter(x=grp["orders"], y=grp[column], mode="lines+markers", name=method,
                                     line={"color": _COLOURS[method]}))
            if len(seeds) > 1:
                pts = ok[ok["method"] == method]
                fig.add_trace(go.Scatter(x=pts["orders"], y=pts[column], mode="markers", name=f"{method} (each seed)",
                                         marker={"color": _COLOURS[method], "opacity": 0.4}))
        fig.update_layout(title=title + (" (mean over seeds)" if len(seeds) > 1 else ""), xaxis_title="orders",
                          yaxis_title="seconds" if column == "solve_seconds" else "currency")
        if log:
            fig.update_yaxes(type="log")
        rep.figure(fig)
    rep.heading("Runs")
    rep.table(table)
    rep.write(out / "scale.html")
    return table


def _gap_pct(reference: float, value: float) -> float:
    if math.isnan(reference) or math.isnan(value) or reference == 0:
        return math.nan
    return 100.0 * (reference - value) / abs(reference)


# --- 3. design of experiments: MANOVA over ρ and the thresholds ---------------------------------------

DOE_COLUMNS = (*DOE_FACTORS, "status", "solve_seconds", "profit", "total_cost", "accepted", "iterations_outer",
               "iterations_inner", "stop_reason", "error")


def doe_study(inst: AcceptanceInstance | str | Path, out_dir: str | Path, rhos: Sequence[float] = (10, 100, 1000),
              inner: Sequence[float] = (0.1, 0.01, 0.001), outer: Sequence[float] = (0.01, 0.001, 0.0001),
              options: SolveOptions | None = None, on_error: str = "record", **settings: Any) -> pd.DataFrame:
    """Full factorial ``rhos x inner x outer`` (ADMM ``rho``, ``inner_tolerance``, ``outer_tolerance``;
    27 runs by default, pass shorter level tuples for a smaller design), then a MANOVA of
    ``solve_seconds + profit`` on the three factors and one ANOVA per response.

    Writes ``doe_runs.csv`` (one row per run; columns ``DOE_COLUMNS``), ``manova.csv`` (one row per
    factor and test statistic; ``MANOVA_COLUMNS``), ``anova_solve_seconds.csv`` and
    ``anova_profit.csv`` (one row per factor plus ``Residual``; ``ANOVA_COLUMNS``),
    ``doe_main_effects.csv`` (mean response per factor level) and ``doe.html``. A statistic that is
    undefined on these data (a constant response, a singular residual covariance, no residual
    degrees of freedom, a factor with one level, failed runs) is left empty with the reason in
    ``note``; nothing raises. Returns the runs; the statistics are in ``attrs["manova"]`` and
    ``attrs["anova"]``."""
    _check(on_error, settings, reserved=DOE_FACTORS)
    inst, out, options = _as_instance(inst), _out(out_dir), options or SolveOptions()
    rows = []
    for rho, tin, tout in itertools.product(rhos, inner, outer):
        levels = {"rho": rho, "inner_tolerance": tin, "outer_tolerance": tout}
        row, _ = _run(inst, "admm", options, {**settings, **levels}, on_error)
        rows.append({**levels, **row})
    runs = pd.DataFrame(rows, columns=list(DOE_COLUMNS))
    runs.to_csv(out / "doe_runs.csv", index=False)
    manova = manova_table(runs)
    manova.to_csv(out / "manova.csv", index=False)
    anovas = {resp: anova_table(runs, resp) for resp in DOE_RESPONSES}
    for resp, frame in anovas.items():
        frame.to_csv(out / f"anova_{resp}.csv", index=False)
    effects = main_effects(runs)
    effects.to_csv(out / "doe_main_effects.csv", index=False)
    runs.attrs["manova"], runs.attrs["anova"] = manova, anovas

    rep = HtmlReport(f"acceptance: ADMM settings, {len(runs)}-run factorial design on {inst.name}")
    rep.paragraph(f"{inst.describe()}; levels ρ {list(rhos)}, inner threshold {list(inner)}, outer threshold "
                  f"{list(outer)}; other settings {settings or 'default'}")
    _errors_note(rep, runs)
    rep.heading("Main effects (mean response per factor level)")
    rep.figure(main_effects_figure(effects))
    rep.heading("MANOVA: solve_seconds + profit ~ C(rho) + C(inner_tolerance) + C(outer_tolerance)")
    rep.table(manova)
    for resp, frame in anovas.items():
        rep.heading(f"ANOVA of {resp}")
        rep.table(frame)
    rep.heading("Runs")
    rep.table(runs)
    rep.write(out / "doe.html")
    return runs


CAPACITY_COLUMNS = ("capacity", "factor", "status", "profit", "accepted", "share_varied", *SHARE_COLUMNS,
                    "incentive_total", "solve_seconds", "error")


def scale_capacity(inst: AcceptanceInstance, capacity: str, factor: float) -> AcceptanceInstance:
    """A copy of ``inst`` with one agent's capacity multiplied by ``factor``; ``inst`` is untouched.

    supply: ``suppliers.capacity_per_period``; production: ``machines.capacity_hours`` and
    ``maintenance_capacity_hours``; maintenance: ``machines.mttf_hours`` (longer = fewer maintenance
    windows needed); inventory: ``storage_capacity`` (infinite stays infinite); distribution:
    ``transport.capacity_per_period``."""
    if factor < 0 or not math.isfinite(factor):
        raise ValueError(f"factor must be finite and >= 0, got {factor!r}")
    if capacity == "supply":
        changes: dict[str, Any] = {"suppliers": inst.suppliers.assign(
            capacity_per_period=inst.suppliers["capacity_per_period"] * factor)}
    elif capacity == "production":
        changes = {"machines": inst.machines.assign(
            capacity_hours=inst.machines["capacity_hours"] * factor,
            maintenance_capacity_hours=inst.machines["maintenance_capacity_hours"] * factor)}
    elif capacity == "maintenance":
        if factor == 0:
            raise ValueError("maintenance factor must be > 0 (mttf_hours must stay positive)")
        changes = {"machines": inst.machines.assign(mttf_hours=inst.machines["mttf_hours"] * factor)}
    elif capacity == "inventory":
        changes = {"storage_capacity": float(inst.storage_capacity) * factor}
    elif capacity == "distribution":
        changes = {"transport": inst.transport.assign(
            capacity_per_period=inst.transport["capacity_per_period"] * factor)}
    else:
        raise ValueError(f"unknown capacity {capacity!r}; choose one of {', '.join(CAPACITIES)}")
    return dataclasses.replace(inst, name=f"{inst.name}-{capacity}-x{factor:g}", **changes)


def capacity_study(inst: AcceptanceInstance | str | Path, out_dir: str | Path,
                   factors: Sequence[float] = (0.5, 0.75, 1.0, 1.25, 1.5), capacities: Sequence[str] = CAPACITIES,
                   options: SolveOptions | None = None, on_error: str = "record", **settings: Any) -> pd.DataFrame:
    """ADMM with one capacity at a time scaled by each factor (the others at base, see
    :func:`scale_capacity`); the base case (factor 1) is solved once and shared.

    Writes ``capacity.csv`` (one row per capacity and factor; columns ``CAPACITY_COLUMNS``, with
    ``share_varied`` the incentive share of the agent whose capacity varies) and ``capacity.html``
    (share of the varied agent against the factor, one line per capacity: the document's Figure 10;
    every agent's share, one panel per varied capacity; profit against the factor)."""
    _check(on_error, settings)
    unknown = sorted(set(capacities) - set(CAPACITIES))
    if unknown:
        raise ValueError(f"unknown capacities {unknown}; choose from {', '.join(CAPACITIES)}")
    inst, out, options = _as_instance(inst), _out(out_dir), options or SolveOptions()
    base: dict[str, Any] | None = None
    rows = []
    for capacity in capacities:
        for factor in factors:
            if factor == 1.0:
                if base is None:
                    base = _run(inst, "admm", options, settings, on_error)[0]
                row = base
            else:
                row = _run(scale_capacity(inst, capacity, factor), "admm", options, settings, on_error)[0]
            rows.append({"capacity": capacity, "factor": factor, **row, "share_varied": row[f"share_{capacity}"]})
    table = pd.DataFrame(rows, columns=list(CAPACITY_COLUMNS))
    table.to_csv(out / "capacity.csv", index=False)

    rep = HtmlReport(f"acceptance: capacities and incentive shares on {inst.name}")
    rep.paragraph(f"{inst.describe()}; factors {list(factors)} on one capacity at a time; admm settings "
                  f"{settings or 'default'}. maintenance scales mttf_hours (a larger factor needs fewer windows).")
    if math.isinf(inst.storage_capacity) and "inventory" in capacities:
        rep.paragraph("the storage capacity is infinite: scaling it changes nothing")
    empty = table[(table["status"] != "error") & ~(table["incentive_total"] > 0)]
    if len(empty):
        rep.paragraph(f"{len(empty)} run(s) pay no incentive (no order delivered): their shares are all 0")
    _errors_note(rep, table)
    fig = go.Figure()
    for capacity, grp in table.groupby("capacity", sort=False):
        fig.add_trace(go.Scatter(x=grp["factor"], y=grp["share_varied"], mode="lines+markers", name=str(capacity)))
    fig.update_layout(title="Incentive share of the agent whose capacity varies", xaxis_title="capacity factor",
                      yaxis_title="share of the incentives", yaxis={"rangemode": "tozero"})
    rep.figure(fig)
    panels = list(dict.fromkeys(table["capacity"]))
    fig = make_subplots(rows=1, cols=max(1, len(panels)), shared_yaxes=True,
                        subplot_titles=[f"{c} varied" for c in panels])
    for j, capacity in enumerate(panels, start=1):
        grp = table[table["capacity"] == capacity]
        for k, agent in enumerate(AGENTS):
            fig.add_trace(go.Scatter(x=grp["factor"], y=grp[f"share_{agent}"], mode="lines+markers", name=agent,
                                     legendgroup=agent, showlegend=j == 1,
                                     line={"color": _agent_colour(k)}), row=1, col=j)
    fig.update_layout(title="Every agent's incentive share against each capacity factor", height=420)
    rep.figure(fig)
    fig = go.Figure()
    for capacity, grp in table.groupby("capacity", sort=False):
        fig.add_trace(go.Scatter(x=grp["factor"], y=grp["profit"], mode="lines+markers", name=str(capacity)))
    fig.update_layout(title="Profit against the capacity factor", xaxis_title="capacity factor",
                      yaxis_title="currency")
    rep.figure(fig)
    rep.heading("Runs")
    rep.table(table)
    rep.write(out / "capacity.html")
    return table


def _agent_colour(k: int) -> str:
    return ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")[k % 5]


# --- 5. side by side ---------------------------------------------------------------------------------


def compare(inst: AcceptanceInstance | str | Path, out_dir: str | Path, time_limit: float | None = 600.0,
            options: SolveOptions | None = None, on_error: str = "record",
            **settings: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Centralized MILP and ADMM on the same instance (the document's Tables 7-8).

    Writes ``compare.csv`` (columns metric, centralized, admm; rows profit, revenue, total_cost,
    cost_<agent> for the five agents, accepted_orders (count), solve_seconds, status),
    ``compare_orders.csv`` (every order: order, revenue, accepted_centralized, accepted_admm as 0/1)
    and ``compare.html`` (cost per agent per method as grouped bars). Returns both tables."""
    _check(on_error, settings)
    inst, out = _as_instance(inst), _out(out_dir)
    options = (options or SolveOptions()).with_(time_limit=time_limit)
    found: dict[str, tuple[dict[str, Any], AcceptancePlan | None]] = {
        m: _run(inst, m, options, settings, on_error) for m in METHODS}
    names = ("profit", "revenue", "total_cost", *COST_COLUMNS, "accepted", "solve_seconds", "status")
    summary = pd.DataFrame({
        "metric": [("accepted_orders" if n == "accepted" else n) for n in names],
        **{m: pd.Series([found[m][0][n] for n in names], dtype=object) for m in METHODS},
    })
    summary.to_csv(out / "compare.csv", index=False)
    accepted = {m: set(p.summary.get("accepted_orders") or []) if p is not None else set()  # type: ignore[arg-type]
                for m, (_, p) in found.items()}
    orders = pd.DataFrame({
        "order": inst.orders["order"].astype(str),
        "revenue": inst.orders["revenue"].astype(float),
        **{f"accepted_{m}": [int(o in accepted[m]) for o in inst.orders["order"]] for m in METHODS},
    })
    orders.to_csv(out / "compare_orders.csv", index=False)

    rep = HtmlReport(f"acceptance: centralized MILP against game-based ADMM on {inst.name}")
    rep.paragraph(f"{inst.describe()}; time limit {time_limit} s per method; admm settings {settings or 'default'}")
    for m in METHODS:
        if found[m][0]["error"]:
            rep.paragraph(f"{m} raised: {found[m][0]['error']}")
    fig = go.Figure()
    for m in METHODS:
        fig.add_trace(go.Bar(x=list(AGENTS), y=[found[m][0][f"cost_{a}"] for a in AGENTS], name=m,
                             marker={"color": _COLOURS[m]}))
    fig.update_layout(barmode="group", title="Cost per agent", xaxis_title="agent", yaxis_title="currency")
    rep.figure(fig)
    rep.heading("Summary (Table 7)")
    rep.table(summary)
    rep.heading("Accepted orders (Table 8)")
    both = orders[[f"accepted_{m}" for m in METHODS]].sum(axis=1)
    rep.paragraph(f"{int((both == 2).sum())} order(s) accepted by both, {int((both == 1).sum())} by one method only")
    rep.table(orders, max_rows=500)
    rep.write(out / "compare.html")
    return summary, orders
