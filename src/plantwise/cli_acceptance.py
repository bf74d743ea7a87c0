"""``plantwise acceptance``: make-to-order order acceptance, centralized or game-based ADMM (document 003)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from plantwise.cli import (
    EXIT_BAD_INPUT,
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
from plantwise.core.result import json_default

acceptance_app = typer.Typer(help="Which make-to-order orders to accept: one MILP, or a Stackelberg game whose "
                                  "followers coordinate by ADMM (document 003).", no_args_is_help=True)


class Method(StrEnum):
    centralized = "centralized"
    admm = "admm"


class Executor(StrEnum):
    serial = "serial"
    ray = "ray"


class Study(StrEnum):
    rho = "rho"
    scale = "scale"
    doe = "doe"
    capacity = "capacity"


def _load(path: Path):  # type: ignore[no-untyped-def]
    from plantwise.acceptance.instance import load

    try:
        return load(path)
    except InputErrors as exc:
        raise _input_error(exc) from None


def _print_summary(summary: dict[str, object]) -> None:
    table = Table(show_header=False, box=None)
    for k in ("method", "status", "profit", "bound", "gap", "revenue", "solve_seconds", "stop_reason"):
        v = summary.get(k)
        if v is None:
            continue
        if isinstance(v, float):
            v = f"{100 * v:.3f} %" if k == "gap" else f"{v:,.2f}"
        table.add_row(k, str(v))
    table.add_row("accepted orders", str(len(summary.get("accepted_orders", []))))  # type: ignore[arg-type]
    for k, v in (summary.get("cost_per_agent") or {}).items():  # type: ignore[union-attr]
        table.add_row(f"  cost {k}", f"{v:,.2f}")
    if "iterations" in summary:
        table.add_row("iterations", json.dumps(summary["iterations"]))
        res = summary.get("final_residuals") or {}
        table.add_row("final residuals", ", ".join(f"{k} {v:.3g}" for k, v in res.items()))  # type: ignore[union-attr]
    out.print(table)


def _admm_settings(rho: float, inner_tolerance: float, outer_tolerance: float, max_inner: int, max_outer: int,
                   executor: Executor, cpus: int | None, adaptive_rho: bool = True) -> dict[str, object]:
    return {"rho": rho, "inner_tolerance": inner_tolerance, "outer_tolerance": outer_tolerance,
            "max_inner": max_inner, "max_outer": max_outer, "executor": executor.value, "num_cpus": cpus,
            "adaptive_rho": adaptive_rho}


RhoOpt = Annotated[float, typer.Option(min=1e-9, help="ADMM penalty ρ (the document's choice: 100)")]
InnerOpt = Annotated[float, typer.Option("--inner-tolerance", min=0.0, help="inner-loop residual threshold")]
OuterOpt = Annotated[float, typer.Option("--outer-tolerance", min=0.0,
                                         help="relative change of the leader's Lagrangian that ends the game")]
MaxInnerOpt = Annotated[int, typer.Option("--max-inner", min=1, help="ADMM iterations per leader move")]
MaxOuterOpt = Annotated[int, typer.Option("--max-outer", min=1, help="leader moves")]
ExecutorOpt = Annotated[Executor, typer.Option(help="serial: followers in this process; ray: one Ray actor each")]
CpusOpt = Annotated[int | None, typer.Option("--cpus", min=1, help="CPUs of the local Ray instance")]


@acceptance_app.command("generate")
def generate_cmd(
    out_dir: Annotated[Path, typer.Argument(help="folder to write (or a .xlsx file)")],
    orders: Annotated[int, typer.Option(min=1, help="number of orders")] = 50,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
) -> None:
    """Write a seeded instance: orders drawn by the document's categories and a supply chain sized to them."""
    from plantwise.acceptance.generate import generate

    inst = generate(orders, seed)
    inst.save(out_dir)
    out.print(f"wrote {inst.describe()} to {out_dir}")


@acceptance_app.command("solve")
def solve_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder or workbook")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="plan folder to write")] = Path("plan"),
    method: Annotated[Method, typer.Option(help="centralized MILP or the game-based ADMM")] = Method.centralized,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds")] = 120.0,
    mip_gap: Annotated[float, typer.Option(help="relative gap to stop at (centralized)")] = 1e-4,
    threads: Annotated[int, typer.Option(min=1, help="solver threads (centralized)")] = 2,
    rho: RhoOpt = 100.0,
    adaptive_rho: Annotated[bool, typer.Option("--adaptive-rho/--fixed-rho",
                                               help="balance ρ by the residuals, or keep it fixed")] = True,
    inner_tolerance: InnerOpt = 0.01,
    outer_tolerance: OuterOpt = 0.001,
    max_inner: MaxInnerOpt = 200,
    max_outer: MaxOuterOpt = 8,
    executor: ExecutorOpt = Executor.serial,
    cpus: CpusOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Accept orders and plan them: orders.csv and the plan tables, summary.json (and history.csv for admm)."""
    from plantwise.acceptance.solve import solve

    inst = _load(instance)
    settings = _admm_settings(rho, inner_tolerance, outer_tolerance, max_inner, max_outer, executor, cpus,
                              adaptive_rho) if method == Method.admm else {}
    # the bar shows the minimised objective, cost - revenue (= -profit)
    with _progress_bar(time_limit, quiet) as progress:
        options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, progress=progress)
        try:
            plan = solve(inst, method.value, options, **settings)
        except ValueError as exc:
            console.print(f"[bold red]cannot solve[/]: {exc}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
    if plan.summary.get("profit") is None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "summary.json").write_text(json.dumps(plan.summary, indent=2, default=json_default))
        console.print(f"[bold yellow]no plan[/] within the limits ({plan.summary.get('status')}); "
                      "try a longer --time-limit")
        raise typer.Exit(EXIT_NO_PLAN)
    plan.save(out_dir)
    if not quiet:
        _print_summary(plan.summary)
        out.print(f"plan written to {out_dir}")
    raise typer.Exit(EXIT_OK)


@acceptance_app.command("verify")
def verify_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder or workbook")],
    plan_dir: Annotated[Path, typer.Argument(help="plan folder")],
) -> None:
    """Check a plan against every rule and recompute each agent's cost and the profit, from the files alone."""
    from plantwise.acceptance.plan import load_plan
    from plantwise.acceptance.verify import verify

    inst = _load(instance)
    try:
        plan = load_plan(plan_dir)
    except InputErrors as exc:
        raise _input_error(exc) from None
    check = verify(inst, plan)
    profit = getattr(check, "profit", None)
    if profit is not None:
        out.print(f"recomputed profit {profit:,.2f}")
    raise typer.Exit(_report_verification(check))


@acceptance_app.command("study")
def study_cmd(
    study: Annotated[Study, typer.Argument(help="rho | scale | doe | capacity")],
    instance: Annotated[Path | None, typer.Argument(help="instance folder (not used by scale)")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o")] = Path("study"),
    sizes: Annotated[str, typer.Option(help="scale: order counts, comma-separated")] = "20,50,100,200",
    seeds: Annotated[str, typer.Option(help="scale: seeds, comma-separated")] = "1",
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1,
                                              help="seconds per solve")] = 120.0,
    max_inner: MaxInnerOpt = 200,
    max_outer: MaxOuterOpt = 8,
) -> None:
    """The document's experiments: ρ sensitivity, scale, a 3x3x3 design with MANOVA, capacity shares."""
    from plantwise.acceptance import study as studies

    settings: dict[str, object] = {"max_inner": max_inner, "max_outer": max_outer}
    options = SolveOptions(time_limit=time_limit)
    if study == Study.scale:
        table = studies.scale_study(sizes=tuple(int(s) for s in sizes.split(",")),
                                    seeds=tuple(int(s) for s in seeds.split(",")), out_dir=out_dir,
                                    time_limit=time_limit, **settings)
    else:
        if instance is None:
            console.print(f"[bold red]missing argument[/]: the {study.value} study needs an instance folder")
            raise typer.Exit(EXIT_BAD_INPUT)
        inst = _load(instance)
        runner = {Study.rho: studies.rho_study, Study.doe: studies.doe_study,
                  Study.capacity: studies.capacity_study}[study]
        table = runner(inst, out_dir, options=options, **settings)
    out.print(table.to_string(index=False, max_rows=40))
    out.print(f"tables and figures written to {out_dir}")
    raise typer.Exit(EXIT_OK)


@acceptance_app.command("compare")
def compare_cmd(
    instance: Annotated[Path, typer.Argument(help="instance folder or workbook")],
    out_dir: Annotated[Path, typer.Option("--out", "-o")] = Path("compare"),
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1)] = 120.0,
    max_inner: MaxInnerOpt = 200,
    max_outer: MaxOuterOpt = 8,
) -> None:
    """Both methods on the same orders, side by side (the document's Tables 7-8)."""
    from plantwise.acceptance.study import compare

    inst = _load(instance)
    table, per_order = compare(inst, out_dir, time_limit=time_limit, max_inner=max_inner, max_outer=max_outer)
    out.print(table.to_string(index=False))
    out.print(f"{len(per_order)} orders compared; tables and figure written to {out_dir}")
    raise typer.Exit(EXIT_OK)
