"""What every ``plantwise`` command shares: exit codes, consoles, error printing, the progress
bar, summary and table printing. Imported by the factory and the per-family modules, never
the other way round (no import circle)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plantwise.core.errors import InputErrors
from plantwise.core.result import Progress as SolveProgress
from plantwise.core.result import relative_gap

# exit codes (documented in the README and docs/architecture.md)
EXIT_OK = 0  # plan found (or plan verified)
EXIT_VIOLATIONS = 1  # the verifier found violations
EXIT_BAD_INPUT = 2  # bad input, bad option, unusable --out, plan made for another instance
EXIT_INFEASIBLE = 3  # proven infeasible (with a diagnosis)
EXIT_NO_PLAN = 4  # no plan within the limits
EXIT_INTERNAL = 70  # internal error (a bug): one line, never a traceback unless PLANTWISE_DEBUG=1
EXIT_INTERRUPTED = 130  # SIGINT/SIGTERM: the best plan found is written with status "interrupted"

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def input_error(exc: InputErrors) -> typer.Exit:
    """Print every defect of an input (file, row, column) and return the bad-input exit."""
    console.print(f"[bold red]bad input[/]: {len(exc.errors)} problem(s)")
    for e in exc.errors[:100]:
        console.print(f"  {e}", markup=False, highlight=False)
    if len(exc.errors) > 100:
        console.print(f"  ... and {len(exc.errors) - 100} more")
    return typer.Exit(EXIT_BAD_INPUT)


def fail(message: str, code: int = EXIT_BAD_INPUT, title: str = "error") -> typer.Exit:
    """Print one line and return the exit with ``code``."""
    console.print(f"[bold red]{title}[/]: {message}", highlight=False)
    return typer.Exit(code)


def number(value: object, key: str = "") -> str:
    """A value as a planner reads it: gaps and shares in %, money with thousands separators."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if key == "gap" or key.endswith("_gap"):
            return f"{100 * value:.4f} %"
        if key.endswith("_pct"):
            return f"{value:.3f} %"
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {number(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return f"{len(value)} items" if len(value) > 8 else ", ".join(number(v) for v in value)
    return str(value)


def key_value_table(rows: Sequence[tuple[str, object]]) -> Table:
    """Two columns that wrap (never cut) long values."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for k, v in rows:
        table.add_row(k, v if isinstance(v, str) else number(v, k))
    return table


def print_summary(summary: Mapping[str, Any]) -> None:
    """The common part of a summary, then the family's KPIs and the cost breakdown."""
    rows: list[tuple[str, object]] = []
    for key in ("status", "method", "method_choice", "objective", "bound", "bound_source", "gap", "verified"):
        if summary.get(key) is not None:
            value = summary[key]
            label = f"objective ({summary.get('sense')})" if key == "objective" else key
            rows.append((label, value))
    timings = summary.get("timings") or {}
    if "total" in timings:
        rows.append(("seconds", float(timings["total"])))
    for k, v in (summary.get("kpis") or {}).items():
        if isinstance(v, (list, tuple)) and len(v) > 8:
            v = f"{len(v)} items"
        rows.append((k, v))
    for k, v in (summary.get("cost_breakdown") or {}).items():
        rows.append((f"  cost: {k}", float(v)))
    if summary.get("message"):
        rows.append(("message", str(summary["message"])))
    out.print(key_value_table(rows))


def print_frame(frame: Any, title: str | None = None, columns: Mapping[str, str] | None = None) -> None:
    """A pandas frame as a terminal table whose cells wrap instead of being cut; when even
    wrapped columns would be narrower than their numbers, one record per block instead."""
    columns = dict(columns or {c: c for c in frame.columns})
    cells = [[number(v, c) if not isinstance(v, str) else v for c, v in zip(columns, row, strict=True)]
             for row in frame[list(columns)].itertuples(index=False)]
    widest = [max([len(columns[c])] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    if sum(widest) + 3 * len(widest) > max(out.width, 40) and len(columns) > 2:
        for r in cells:  # vertical: a key-value block per record
            out.print(key_value_table([(columns[c], r[i]) for i, c in enumerate(columns)]))
            out.print()
        return
    table = Table(title=title)
    for c in columns:
        table.add_column(columns[c], justify="left", overflow="fold", min_width=min(widest[list(columns).index(c)], 12))
    for r in cells:
        table.add_row(*r)
    out.print(table)


@contextmanager
def progress_bar(time_limit: float | None, quiet: bool, sense: str = "min",
                 ) -> Iterator[Callable[[SolveProgress], None] | None]:
    """A rich progress bar over the time limit: phase, incumbent, bound, gap. Solvers report the
    minimised objective; for a maximising family (profit) the bar shows it with its own sign."""
    if quiet or not console.is_terminal:
        yield None
        return
    bar = Progress(TextColumn("[bold]{task.fields[phase]}[/]"), BarColumn(), TextColumn("{task.description}"),
                   TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task("", total=time_limit or 1.0, phase="solving")
    start = time.perf_counter()
    best: dict[str, float | None] = {"incumbent": None, "bound": None}
    phase = {"name": ""}
    sign = -1.0 if sense == "max" else 1.0

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
        gap = relative_gap(inc, bnd)
        text = (f"incumbent {sign * inc:,.0f}" if inc is not None else "no plan yet") + (
            f" | bound {sign * bnd:,.0f}" if bnd is not None else "") + (
            f" | gap {100 * gap:.3f}%" if gap is not None else "")
        elapsed = time.perf_counter() - start
        bar.update(task, completed=min(elapsed, time_limit or elapsed), description=text, phase=name)

    with bar:
        yield update


def print_verification(check: Any, summary_problems: Sequence[str] = ()) -> int:
    """Print a verification (violations by family, the recomputed cost); return the exit code."""
    for family in sorted(check.families()):
        items = [v for v in check.violations if v.family == family]
        console.print(f"[bold red]{family}[/]: {len(items)} violation(s)")
        for v in items[:10]:
            console.print(f"  {v.message}", markup=False, highlight=False)
    if check.cost_breakdown:
        out.print(f"recomputed cost {check.total_cost:,.2f}: " + ", ".join(
            f"{k} {v:,.2f}" for k, v in check.cost_breakdown.items()), highlight=False)
    if check.ok:
        out.print("[bold green]plan verified[/]: 0 violations")
        return EXIT_OK
    out.print(f"[bold red]{len(check.violations)} violation(s)[/] in families: {', '.join(sorted(check.families()))}")
    return EXIT_VIOLATIONS
