"""The ``plantwise`` command line.

Exit codes: 0 plan found (or verification passed); 1 verification found violations;
2 bad input; 3 proven infeasible (with a diagnosis); 4 no plan within the limits.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plantwise.core.errors import InputErrors
from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress as SolveProgress
from plantwise.core.result import SolveStatus
from plantwise.core.verification import Verification

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 1, 2, 3, 4

app = typer.Typer(help="plantwise: production, inventory and distribution planning.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
offload_app = typer.Typer(help="Order offloading across sites with parts inventory and transshipment (document 000).",
                          no_args_is_help=True)
app.add_typer(offload_app, name="offload")
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class Method(StrEnum):
    milp = "milp"
    cpsat = "cpsat"
    gurobi = "gurobi"
    heuristic = "heuristic"


class Replenishment(StrEnum):
    sS = "sS"
    free = "free"


def _input_error(exc: InputErrors) -> typer.Exit:
    console.print(f"[bold red]bad input[/]: {len(exc.errors)} problem(s)")
    for e in exc.errors[:100]:
        console.print(f"  {e}", markup=False, highlight=False)
    if len(exc.errors) > 100:
        console.print(f"  ... and {len(exc.errors) - 100} more")
    return typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def _progress_bar(time_limit: float | None, quiet: bool) -> Iterator[Callable[[SolveProgress], None] | None]:
    """A rich progress bar over the time limit, showing the phase, incumbent, bound and gap."""
    if quiet or not console.is_terminal:
        yield None
        return
    bar = Progress(TextColumn("[bold]{task.fields[phase]}[/]"), BarColumn(), TextColumn("{task.description}"),
                   TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task("", total=time_limit or 1.0, phase="solving")
    start = time.perf_counter()
    best: dict[str, float | None] = {"incumbent": None, "bound": None}
    phase = {"name": ""}

    def update(p: SolveProgress) -> None:
        name = "baseline" if p.message == "baseline" else "solving"
        if name != phase["name"]:  # a new phase: forget the previous one's numbers
            phase["name"] = name
            best["incumbent"] = best["bound"] = None
        if p.incumbent is not None and (best["incumbent"] is None or p.incumbent < best["incumbent"]):
            best["incumbent"] = p.incumbent
        if p.bound is not None:
            best["bound"] = p.bound
        inc, bnd = best["incumbent"], best["bound"]
        gap = SolveProgress(p.elapsed, inc, bnd).gap
        text = (f"incumbent {inc:,.0f}" if inc is not None else "no plan yet") + (
            f" | bound {bnd:,.0f}" if bnd is not None else "") + (f" | gap {100 * gap:.3f}%" if gap is not None else "")
        elapsed = time.perf_counter() - start
        bar.update(task, completed=min(elapsed, time_limit or elapsed), description=text, phase=name)

    with bar:
        yield update


def _print_summary(summary: dict[str, object]) -> None:
    table = Table(show_header=False, box=None)
    keys = ["status", "objective", "bound", "gap", "baseline_cost", "saving_pct", "offloaded_orders",
            "orders_per_site", "transshipment_periods", "solve_seconds"]
    for k in keys:
        v = summary.get(k)
        if isinstance(v, float):
            v = f"{100 * v:.4f} %" if k == "gap" else (f"{v:.3f} %" if k == "saving_pct" else f"{v:,.2f}")
        table.add_row(k, str(v))
    out.print(table)


@offload_app.command("generate")
def offload_generate(
    out_dir: Annotated[Path, typer.Argument(help="folder to write (or a .xlsx file)")],
    orders: Annotated[int, typer.Option("--orders", "-n", min=1, help="number of orders")] = 100,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    horizon: Annotated[int, typer.Option(min=10, help="periods T")] = 50,
) -> None:
    """Write a random instance with the case study's dimensions (3 sites, 5 parts, 4 types)."""
    from plantwise.offload.generate import generate

    inst = generate(orders, seed, horizon)
    inst.save(out_dir)
    out.print(f"wrote {inst.name} ({inst.num_orders} orders, T = {inst.horizon}) to {out_dir}")


def _load_instance(path: Path):  # type: ignore[no-untyped-def]
    from plantwise.offload.instance import load

    return load(path)


def _load_instance_and_plan(instance: Path, plan_dir: Path):  # type: ignore[no-untyped-def]
    from plantwise.offload.plan import load_plan

    try:
        return _load_instance(instance), load_plan(plan_dir)
    except InputErrors as exc:
        raise _input_error(exc) from None


@offload_app.command("solve")
def offload_solve(
    instance: Annotated[Path, typer.Argument(help="instance folder (CSV + instance.yaml) or .xlsx workbook")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="plan folder to write")] = Path("plan"),
    method: Annotated[Method, typer.Option(help="solution method")] = Method.milp,
    replenishment: Annotated[Replenishment | None, typer.Option(help="sS or free (default: instance.yaml)")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds in all")] = 60.0,
    mip_gap: Annotated[float, typer.Option(help="relative gap to stop at")] = 1e-4,
    threads: Annotated[int, typer.Option(min=1)] = 2,
    seed: Annotated[int, typer.Option()] = 0,
    baseline: Annotated[bool, typer.Option(help="also solve the initial-assignment baseline")] = True,
    report: Annotated[bool, typer.Option(help="write report.html")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Assign every order a site and a start, plan purchases and transshipments."""
    code = _solve_and_write(instance, out_dir, method.value, replenishment.value if replenishment else None,
                            time_limit, mip_gap, threads, seed, baseline, report, quiet)
    raise typer.Exit(code)


def _solve_and_write(instance: Path, out_dir: Path, method: str, replenishment: str | None, time_limit: float,
                     mip_gap: float, threads: int, seed: int, baseline: bool, report: bool, quiet: bool) -> int:
    from plantwise.core.backends import BackendUnavailable
    from plantwise.offload.report import write_report
    from plantwise.offload.solve import solve

    try:
        inst = _load_instance(instance)
    except InputErrors as exc:
        raise _input_error(exc) from None
    with _progress_bar(time_limit, quiet) as progress:
        options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed,
                               progress=progress)
        try:
            result = solve(inst, method, replenishment, options, baseline=baseline)
        except BackendUnavailable as exc:
            console.print(f"[bold red]solver unavailable[/]: {exc}")
            return EXIT_NO_PLAN
    out_dir.mkdir(parents=True, exist_ok=True)
    if result.plan is None:
        (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=2, default=str))
        if result.status == SolveStatus.INFEASIBLE:
            console.print("[bold red]infeasible[/]: no plan satisfies every constraint")
            for line in result.summary.get("diagnosis", []):  # type: ignore[union-attr]
                console.print(f"  {line}", markup=False)
            return EXIT_INFEASIBLE
        console.print(f"[bold yellow]no plan[/] within the limits ({result.status}); try a longer --time-limit")
        return EXIT_NO_PLAN
    result.plan.save(out_dir)
    if report:
        write_report(inst, result.plan, out_dir / "report.html")
    if not quiet:
        _print_summary(result.summary)
        out.print(f"plan written to {out_dir}" + (f" (report: {out_dir / 'report.html'})" if report else ""))
    return EXIT_OK


@offload_app.command("verify")
def offload_verify(
    instance: Annotated[Path, typer.Argument(help="instance folder or workbook")],
    plan_dir: Annotated[Path, typer.Argument(help="plan folder")],
    replenishment: Annotated[Replenishment | None, typer.Option(help="default: the plan's summary.json")] = None,
) -> None:
    """Check a plan against every constraint and recompute its cost, from the files alone."""
    from plantwise.offload.verify import verify

    inst, plan = _load_instance_and_plan(instance, plan_dir)
    check = verify(inst, plan, replenishment.value if replenishment else None)
    raise typer.Exit(_report_verification(check))


def _report_verification(check: Verification) -> int:
    """Print a verification (violations by family, recomputed cost); return the exit code."""
    for family in sorted(check.families()):
        items = [v for v in check.violations if v.family == family]
        console.print(f"[bold red]{family}[/]: {len(items)} violation(s)")
        for v in items[:10]:
            console.print(f"  {v.message}", markup=False, highlight=False)
    if check.cost_breakdown:
        out.print(f"recomputed cost {check.total_cost:,.2f}: " + ", ".join(
            f"{k} {v:,.2f}" for k, v in check.cost_breakdown.items()))
    if check.ok:
        out.print("[bold green]plan verified[/]: 0 violations")
        return EXIT_OK
    out.print(f"[bold red]{len(check.violations)} violation(s)[/] in families: {', '.join(sorted(check.families()))}")
    return EXIT_VIOLATIONS


@offload_app.command("report")
def offload_report(
    instance: Annotated[Path, typer.Argument()],
    plan_dir: Annotated[Path, typer.Argument()],
) -> None:
    """(Re)write ``report.html`` of a plan folder."""
    from plantwise.offload.report import write_report

    inst, plan = _load_instance_and_plan(instance, plan_dir)
    path = write_report(inst, plan, plan_dir / "report.html")
    out.print(f"wrote {path}")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the instance and the plan")] = Path(
        "demo-out"),
    orders: Annotated[int, typer.Option(min=1)] = 100,
    seed: Annotated[int, typer.Option()] = 1,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=1)] = 60.0,
    replenishment: Annotated[Replenishment, typer.Option(help="sS or free")] = Replenishment.free,
) -> None:
    """Generate a 100-order offload instance, solve it with HiGHS, write the plan and an HTML report."""
    from plantwise.offload.generate import generate

    inst = generate(orders, seed)
    inst.replenishment = replenishment.value
    inst.save(out_dir / "instance")
    out.print(f"instance: {inst.num_orders} orders, {inst.num_sites} sites, T = {inst.horizon} "
              f"-> {out_dir / 'instance'}")
    code = _solve_and_write(out_dir / "instance", out_dir / "plan", "milp", None, time_limit, 1e-4, 2, 0, True,
                            True, False)
    raise typer.Exit(code)


def _register_families() -> None:
    from plantwise.cli_e2e import e2e_app

    app.add_typer(e2e_app, name="e2e")
    from plantwise.cli_schedule import schedule_app

    app.add_typer(schedule_app, name="schedule")
    from plantwise.cli_acceptance import acceptance_app

    app.add_typer(acceptance_app, name="acceptance")


_register_families()


def main() -> None:
    try:
        app()
    except InputErrors as exc:  # a loader error that escaped a command
        console.print(str(exc))
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
