"""``plantwise schedule``: multi-stage scheduling on parallel machines (document 002)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from plantwise.cli import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_NO_PLAN,
    EXIT_OK,
    _input_error,
    _report_verification,
    console,
    out,
)
from plantwise.core.errors import InputErrors
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus, json_default

schedule_app = typer.Typer(help="Multi-stage scheduling on parallel machines with batch sizing, reorder points "
                                "and perishability (document 002).", no_args_is_help=True)


class Format(StrEnum):
    plant = "plant"
    jsplib = "jsplib"
    hfs = "hfs"


class Objective(StrEnum):
    cost = "cost"
    makespan = "makespan"
    weighted_tardiness = "weighted-tardiness"


class Method(StrEnum):
    exact = "exact"
    large = "large"


def _load(path: Path, fmt: Format):  # type: ignore[no-untyped-def]
    try:
        if fmt == Format.jsplib:
            from plantwise.schedule.shop import read_jsplib

            return read_jsplib(path)
        if fmt == Format.hfs:
            from plantwise.schedule.shop import read_hfs

            return read_hfs(path)
        from plantwise.schedule.instance import load

        return load(path)
    except InputErrors as exc:
        raise _input_error(exc) from None


def _breaks(inst: object):  # type: ignore[no-untyped-def]
    from plantwise.schedule.instance import ScheduleInstance

    return inst.calendar.breaks() if isinstance(inst, ScheduleInstance) else None


def _print_summary(summary: dict[str, object]) -> None:
    table = Table(show_header=False, box=None)
    for k in ("status", "objective_name", "objective", "bound", "gap", "jobs", "makespan", "amount_produced",
              "reorder_point", "average_lead_time_hours", "solve_seconds"):
        if k not in summary:
            continue
        v = summary[k]
        if isinstance(v, float):
            v = f"{100 * v:.3f} %" if k == "gap" else f"{v:,.2f}"
        table.add_row(k, str(v))
    for k, v in (summary.get("cost_breakdown") or {}).items():  # type: ignore[union-attr]
        table.add_row(f"  {k}", f"{v:,.2f}")
    out.print(table)


@schedule_app.command("generate")
def generate_cmd(
    out_dir: Annotated[Path, typer.Argument(help="folder to write (or a .xlsx file)")],
    scenario: Annotated[int, typer.Option(min=1, max=8, help="the document's scenario 1..8")] = 2,
    large: Annotated[bool, typer.Option("--large", help="a plant at the document's future scale instead")] = False,
    goods: Annotated[int, typer.Option(min=1, help="goods of --large")] = 1_050,
    recipes: Annotated[int, typer.Option(min=1, help="recipes of --large")] = 420,
    seed: Annotated[int, typer.Option(help="seed of --large")] = 1,
) -> None:
    """Write one of the document's eight case-study scenarios, or a large seeded plant."""
    from plantwise.schedule.generate import document_scenario
    from plantwise.schedule.generate import large as large_plant

    inst = large_plant(seed, goods, recipes) if large else document_scenario(scenario)
    inst.save(out_dir)
    out.print(f"wrote {inst.describe()} to {out_dir}")


def _solve(inst: object, objective: str, method: str, options: SolveOptions, workers: int | None):  # type: ignore[no-untyped-def]
    if method == "large":
        from plantwise.schedule.large import solve_large

        return solve_large(inst, objective, options)  # type: ignore[arg-type]
    from plantwise.schedule.solve import solve

    return solve(inst, objective, options, workers=workers)  # type: ignore[arg-type]


@schedule_app.command("solve")
def solve_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder/workbook, or a benchmark file with --format")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="plan folder to write")] = Path("plan"),
    fmt: Annotated[Format, typer.Option("--format", help="plant (folder of CSVs), jsplib or hfs")] = Format.plant,
    objective: Annotated[Objective, typer.Option(help="what to minimise")] = Objective.cost,
    method: Annotated[Method, typer.Option(help="exact: one CP-SAT model; large: windows + LNS for big plants")] =
        Method.exact,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds")] = 60.0,
    mip_gap: Annotated[float, typer.Option(help="relative gap to stop at (cost objective)")] = 1e-4,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads the solver may use")] = 2,
    workers: Annotated[int | None, typer.Option(min=1, help="CP-SAT search workers, interleaved deterministically "
                                                            "(default: 1 for cost, 8 for makespan and tardiness)")] =
        None,
    seed: Annotated[int, typer.Option()] = 0,
    report: Annotated[bool, typer.Option(help="write report.html")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Schedule jobs on machines: schedule.csv, inventory.csv, summary.json and report.html."""
    from plantwise.schedule.report import write_report

    inst = _load(instance, fmt)
    options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed)
    try:
        result = _solve(inst, objective.value, method.value, options, workers)
    except ValueError as exc:  # a method that does not apply to this input (e.g. large with makespan)
        console.print(f"[bold red]cannot solve[/]: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    result.summary["format"] = fmt.value
    if result.plan is None:
        (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=2, default=json_default))
        if result.status == SolveStatus.INFEASIBLE:
            console.print("[bold red]infeasible[/]: no schedule meets the calendar, the shelf life and the horizon:")
            for reason in result.summary.get("diagnosis", []):  # type: ignore[union-attr]
                console.print(f"  {reason}", markup=False, highlight=False)
            raise typer.Exit(EXIT_INFEASIBLE)
        console.print(f"[bold yellow]no schedule[/] within the limits ({result.status}); try a longer --time-limit")
        raise typer.Exit(EXIT_NO_PLAN)
    result.plan.summary = result.summary
    result.plan.save(out_dir)
    if report:
        write_report(result.plan, out_dir, title=str(result.summary.get("instance", instance.name)),
                     breaks=_breaks(inst))
    if not quiet:
        _print_summary(result.summary)
        out.print(f"schedule written to {out_dir}")
    raise typer.Exit(EXIT_OK)


def _load_plan(plan_dir: Path):  # type: ignore[no-untyped-def]
    from plantwise.schedule.plan import load_plan

    try:
        return load_plan(plan_dir)
    except InputErrors as exc:
        raise _input_error(exc) from None


@schedule_app.command("verify")
def verify_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder, workbook or benchmark file")],
    plan_dir: Annotated[Path, typer.Argument(help="plan folder")],
    fmt: Annotated[Format, typer.Option("--format")] = Format.plant,
) -> None:
    """Check a schedule against every rule and recompute its objective, from the files alone."""
    from plantwise.schedule.verify import verify

    inst = _load(instance, fmt)
    plan = _load_plan(plan_dir)
    check = verify(inst, plan)
    if check.objective_name != "cost":
        out.print(f"recomputed {check.objective_name}: {check.objective_value:g}")
    raise typer.Exit(_report_verification(check))


@schedule_app.command("report")
def report_cmd(
    instance: Annotated[Path, typer.Argument()],
    plan_dir: Annotated[Path, typer.Argument()],
    fmt: Annotated[Format, typer.Option("--format")] = Format.plant,
) -> None:
    """(Re)write ``report.html`` of a plan folder."""
    from plantwise.schedule.report import write_report

    inst = _load(instance, fmt)
    plan = _load_plan(plan_dir)
    out.print(f"wrote {write_report(plan, plan_dir, title=plan_dir.name, breaks=_breaks(inst))}")


@schedule_app.command("scenarios")
def scenarios_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the table, report and each scenario")] =
        Path("scenarios"),
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds per scenario")] = 60.0,
    threads: Annotated[int, typer.Option(min=1)] = 2,
) -> None:
    """Rebuild the document's 8-scenario study (starting inventory x forecast) and write its table."""
    from plantwise.schedule.study import run_scenarios

    table, notes, ok = run_scenarios(out_dir, SolveOptions(time_limit=time_limit, threads=threads))
    shown = Table(title="document 002 case study, rebuilt")
    columns = {"scenario": "#", "starting_inventory_lbs": "stock", "forecast_lbs": "forecast",
               "running_time_s": "s", "optimal_cost": "cost", "cost_per_production_job": "per job", "gap": "gap",
               "production_jobs": "jobs", "amount_produced_lbs": "produced", "reorder_point_lbs": "ROP",
               "average_lead_time_hours": "lead h", "status": "status"}
    cols = list(columns)
    for c in cols:
        shown.add_column(columns[c], justify="right")
    for row in table[cols].itertuples(index=False):
        shown.add_row(*("-" if (isinstance(v, float) and v != v) else f"{v:,.2f}" if isinstance(v, float) else str(v)
                        for v in row))
    out.print(shown)
    for note in notes:
        out.print(note)
    out.print(f"wrote {out_dir / 'scenarios.csv'} and {out_dir / 'report.html'}")
    raise typer.Exit(EXIT_OK if ok else EXIT_NO_PLAN)
