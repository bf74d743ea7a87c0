"""``plantwise e2e``: production + distribution planning (document 001)."""

from __future__ import annotations

import json
import time
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
    _progress_bar,
    _report_verification,
    console,
    out,
)
from plantwise.core.errors import InputErrors
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus

e2e_app = typer.Typer(help="Production + distribution planning with inter-plant transfer (document 001).",
                      no_args_is_help=True)


class Method(StrEnum):
    exact = "exact"
    decomposed = "decomposed"
    configurator = "configurator"
    ga = "ga"
    pso = "pso"


class Format(StrEnum):
    e2e = "e2e"
    trigeiro = "trigeiro"


class ExecutorName(StrEnum):
    serial = "serial"
    process = "process"
    ray = "ray"


def _load(path: Path, fmt: Format):  # type: ignore[no-untyped-def]
    if fmt == Format.trigeiro:
        from plantwise.e2e.trigeiro import read_trigeiro

        return read_trigeiro(path)
    from plantwise.e2e.instance import load

    return load(path)


def _load_or_exit(path: Path, fmt: Format):  # type: ignore[no-untyped-def]
    try:
        return _load(path, fmt)
    except InputErrors as exc:
        raise _input_error(exc) from None


@e2e_app.command("generate")
def generate_cmd(
    out_dir: Annotated[Path, typer.Argument(help="folder to write (or a .xlsx file)")],
    scenario: Annotated[int, typer.Option(min=1, max=3, help="document scenario 1, 2 or 3")] = 1,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    skus: Annotated[int | None, typer.Option(min=1, help="plant A's SKU count (default 200; B keeps 170/200)")] = None,
) -> None:
    """Write an instance of one of the document's three scenarios (2 plants, 5 lines, 11 DCs, 14 days)."""
    from plantwise.e2e.generate import generate

    inst = generate(scenario, seed, skus)
    inst.save(out_dir)
    out.print(f"wrote {inst.describe()} to {out_dir}")


def _print_summary(summary: dict[str, object]) -> None:
    table = Table(show_header=False, box=None)
    for k in ("status", "method", "objective", "bound", "gap", "phase", "solve_seconds", "bound_seconds"):
        if k not in summary:
            continue
        v = summary.get(k)
        if isinstance(v, float):
            v = f"{100 * v:.3f} %" if k == "gap" else f"{v:,.2f}"
        table.add_row(k, str(v))
    breakdown = summary.get("cost_breakdown") or {}
    for k, v in breakdown.items():  # type: ignore[union-attr]
        table.add_row(f"  {k}", f"{v:,.2f}")
    out.print(table)


def _solve(inst, method: str, options: SolveOptions, executor_name: str):  # type: ignore[no-untyped-def]
    from plantwise.core.executors import get_executor
    from plantwise.e2e.solve import solve

    with get_executor(executor_name, workers=2) as executor:
        return solve(inst, method, options, executor=executor)


@e2e_app.command("solve")
def solve_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder (or .xlsx, or a Trigeiro file with --format)")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="plan folder to write")] = Path("plan"),
    method: Annotated[Method, typer.Option(help="solution method")] = Method.exact,
    fmt: Annotated[Format, typer.Option("--format", help="input format")] = Format.e2e,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds (exact methods)")] = 60.0,
    mip_gap: Annotated[float, typer.Option(help="relative gap to stop at")] = 1e-4,
    threads: Annotated[int, typer.Option(min=1)] = 2,
    seed: Annotated[int, typer.Option(help="seed of every random choice")] = 0,
    executor: Annotated[ExecutorName, typer.Option(help="where the configurator's per-plant runs go")] =
        ExecutorName.serial,
    report: Annotated[bool, typer.Option(help="write the report tables and report.html")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Plan production per line and day, shipments to DCs and inter-plant transfers."""
    from plantwise.e2e.report import write_report

    inst = _load_or_exit(instance, fmt)
    with _progress_bar(time_limit if method in (Method.exact, Method.decomposed) else None, quiet) as progress:
        options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed, progress=progress)
        result = _solve(inst, method.value, options, executor.value)
    out_dir.mkdir(parents=True, exist_ok=True)
    if result.plan is None:
        (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=2, default=str))
        if result.status == SolveStatus.INFEASIBLE:
            console.print("[bold red]infeasible[/]: the LP relaxation has no solution (with stockouts "
                          "forbidden, demand cannot be met in time)")
            raise typer.Exit(EXIT_INFEASIBLE)
        console.print(f"[bold yellow]no plan[/] within the limits ({result.status}); try a longer --time-limit")
        raise typer.Exit(EXIT_NO_PLAN)
    result.plan.save(out_dir)
    if report:
        write_report(inst, result.plan, out_dir)
    if not quiet:
        _print_summary(result.summary)
        out.print(f"plan written to {out_dir}" + (f" (report: {out_dir / 'report.html'})" if report else ""))
    raise typer.Exit(EXIT_OK)


@e2e_app.command("verify")
def verify_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder, workbook or Trigeiro file")],
    plan_dir: Annotated[Path, typer.Argument(help="plan folder")],
    fmt: Annotated[Format, typer.Option("--format", help="input format")] = Format.e2e,
) -> None:
    """Check a plan against every constraint and recompute its cost, from the files alone."""
    from plantwise.e2e.plan import load_plan
    from plantwise.e2e.verify import verify

    inst = _load_or_exit(instance, fmt)
    try:
        plan = load_plan(plan_dir)
    except InputErrors as exc:
        raise _input_error(exc) from None
    raise typer.Exit(_report_verification(verify(inst, plan)))


@e2e_app.command("report")
def report_cmd(
    instance: Annotated[Path, typer.Argument()],
    plan_dir: Annotated[Path, typer.Argument()],
    fmt: Annotated[Format, typer.Option("--format", help="input format")] = Format.e2e,
) -> None:
    """(Re)write the report tables and ``report.html`` of a plan folder."""
    from plantwise.e2e.plan import load_plan
    from plantwise.e2e.report import write_report

    inst = _load_or_exit(instance, fmt)
    try:
        plan = load_plan(plan_dir)
    except InputErrors as exc:
        raise _input_error(exc) from None
    out.print(f"wrote {write_report(inst, plan, plan_dir)}")


@e2e_app.command("compare")
def compare_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write")] = Path("compare.json"),
    methods: Annotated[str, typer.Option(help="comma-separated methods")] = "configurator,exact",
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds for exact")] = 60.0,
    seed: Annotated[int, typer.Option()] = 0,
    executor: Annotated[ExecutorName, typer.Option()] = ExecutorName.serial,
    fmt: Annotated[Format, typer.Option("--format", help="input format")] = Format.e2e,
) -> None:
    """Run the configurator and the exact model on the same instance: cost, bound, gap, time."""
    inst = _load_or_exit(instance, fmt)
    names = [m.strip() for m in methods.split(",") if m.strip()]
    bad = [m for m in names if m not in Method.__members__]
    if bad:
        console.print(f"[bold red]unknown method(s)[/]: {', '.join(bad)}")
        raise typer.Exit(EXIT_BAD_INPUT)
    rows = []
    for name in names:
        t0 = time.perf_counter()
        result = _solve(inst, name, SolveOptions(time_limit=time_limit, seed=seed), executor.value)
        s = result.summary
        rows.append({"method": name, "status": s.get("status"), "cost": s.get("objective"), "bound": s.get("bound"),
                     "gap": s.get("gap"), "seconds": round(time.perf_counter() - t0, 3),
                     "solve_seconds": s.get("solve_seconds"), "bound_seconds": s.get("bound_seconds"),
                     "phase": s.get("phase"), "cost_breakdown": s.get("cost_breakdown")})
    best_bound = max((r["bound"] for r in rows if r["bound"] is not None), default=None)
    best_cost = min((r["cost"] for r in rows if r["cost"] is not None), default=None)
    for r in rows:  # every method against the best proven bound of the comparison
        r["gap_to_best_bound"] = None if r["cost"] is None or best_bound is None else \
            (r["cost"] - best_bound) / max(abs(r["cost"]), 1e-9)
        r["above_best_cost_pct"] = None if r["cost"] is None or best_cost is None else \
            100 * (r["cost"] - best_cost) / max(abs(best_cost), 1e-9)
    table = Table(title=f"{inst.name}: methods compared")
    for col in ("method", "status", "cost", "bound", "gap", "gap to best bound", "seconds"):
        table.add_column(col, justify="right" if col not in ("method", "status") else "left")
    for r in rows:
        table.add_row(r["method"], str(r["status"]), _num(r["cost"]), _num(r["bound"]), _pct(r["gap"]),
                      _pct(r["gap_to_best_bound"]), f"{r['seconds']:.1f}")
    out.print(table)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps({"instance": inst.name, "best_bound": best_bound, "methods": rows}, indent=2,
                                   default=str))
    out.print(f"wrote {out_file}")
    raise typer.Exit(EXIT_OK)


def _num(v: object) -> str:
    return "n/a" if v is None else f"{float(v):,.2f}"  # type: ignore[arg-type]


def _pct(v: object) -> str:
    return "n/a" if v is None else f"{100 * float(v):.3f} %"  # type: ignore[arg-type]
