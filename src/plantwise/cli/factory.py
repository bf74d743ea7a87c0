"""ONE factory builds ``generate``, ``solve``, ``verify``, ``report`` and ``schema`` for every
registered family. Method options are generated from each method's params dataclass and the
generator's options from the family's generate dataclass (:func:`plantwise.core.family.param`
gives help, unit, choices and minimum), so each option is declared once."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from plantwise.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_PLAN,
    EXIT_OK,
    console,
    fail,
    input_error,
    out,
    print_summary,
    print_verification,
    progress_bar,
)
from plantwise.core.errors import InputErrors
from plantwise.core.family import Family
from plantwise.core.options import command_started
from plantwise.core.result import SolveStatus

WRITE_ALLOWANCE = 0.3  # seconds kept from --time-limit for writing the plan folder
REPORT_ALLOWANCE = 0.9  # and for rendering report.html
STATUS_EXIT = {
    SolveStatus.OPTIMAL: EXIT_OK,
    SolveStatus.FEASIBLE: EXIT_OK,
    SolveStatus.INTERRUPTED: EXIT_INTERRUPTED,
    SolveStatus.INFEASIBLE: EXIT_INFEASIBLE,
    SolveStatus.NO_SOLUTION: EXIT_NO_PLAN,
    SolveStatus.ERROR: EXIT_INTERNAL,
}


# ------------------------------------------------------------------ options from dataclasses
def _option_help(f: dataclasses.Field[Any], with_default: bool) -> str:
    meta = f.metadata
    text = str(meta.get("help", f.name.replace("_", " ")))
    if meta.get("unit"):
        text += f" [{meta['unit']}]"
    if with_default and f.default is not None and f.default is not dataclasses.MISSING:
        text += f" (default: {f.default})"
    return text


def _choice_enum(name: str, choices: tuple[str, ...]) -> type[enum.Enum]:
    return enum.Enum(name, {c.replace("-", "_"): c for c in choices}, type=str)  # type: ignore[return-value]


def dataclass_parameters(cls: type, *, optional: bool, applies_to: dict[str, list[str]] | None = None,
                         ) -> list[inspect.Parameter]:
    """Typer parameters for the fields of dataclass ``cls``. With ``optional`` every default is
    ``None`` (= not given), so a value is passed only when the user gave one."""
    hints = typing.get_type_hints(cls)
    params = []
    for f in dataclasses.fields(cls):
        base = hints[f.name]
        args = [a for a in typing.get_args(base) if a is not type(None)]
        if args and type(None) in typing.get_args(base):
            base = args[0]
        meta = f.metadata
        if meta.get("choices"):
            base = _choice_enum(f"{cls.__name__}_{f.name}", meta["choices"])
        help_text = _option_help(f, with_default=optional)
        if applies_to and f.name in applies_to:
            help_text += f"; methods: {', '.join(applies_to[f.name])}"
        decl = "--" + f.name.replace("_", "-")
        kwargs: dict[str, Any] = {"help": help_text, "show_default": not optional}
        if meta.get("minimum") is not None and base in (int, float):
            kwargs["min"] = meta["minimum"]
        if base is bool:
            decl = f"{decl}/--no-{f.name.replace('_', '-')}"
        annotation = Annotated[base | None if optional else base, typer.Option(decl, **kwargs)]
        default = None if optional else f.default
        if isinstance(default, str) and meta.get("choices"):
            default = base(default)  # type: ignore[operator]
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=annotation))
    return params


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _with_signature(fn: Callable[..., Any], params: list[inspect.Parameter]) -> Callable[..., Any]:
    fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    fn.__annotations__ = {}
    return fn


# ------------------------------------------------------------------ shared command options
def _positional(name: str, help_text: str, kind: type = Path) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                             annotation=Annotated[kind, typer.Argument(help=help_text)])


def _option(name: str, kind: Any, default: Any, *decls: str, **kwargs: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[kind, typer.Option(*decls, **kwargs)])


def _format_option(family: Family) -> list[inspect.Parameter]:
    if not family.formats:
        return []
    names = tuple(dict.fromkeys([family.native, *family.formats]))
    fmt_enum = _choice_enum(f"{family.name}_format", names)
    return [_option("fmt", fmt_enum, fmt_enum(family.native), "--format",
                    help="input format: the native CSV folder / workbook, or a benchmark file format")]


def load_instance(family: Family, path: Path, fmt: Any = None) -> Any:
    """Load an instance or exit 2 with every defect listed."""
    try:
        inst = family.read(path, _plain(fmt))
        print_warnings(inst)
        return inst
    except InputErrors as exc:
        raise input_error(exc) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot be read ({exc})") from None
    except ValueError as exc:
        raise fail(str(exc)) from None


def print_warnings(inst: Any) -> None:
    """Defects that do not stop a plan (e.g. an MOQ no line can reach in a day), one line each."""
    for w in getattr(inst, "warnings", None) or []:
        console.print(f"[yellow]warning[/]: {escape(str(w))}", highlight=False)


# ------------------------------------------------------------------ the family app
def family_app(family: Family) -> typer.Typer:
    """The ``plantwise <family>`` command group: generate, solve, verify, report, schema."""
    app = typer.Typer(help=f"{family.title} (document {family.document}).", no_args_is_help=True)
    app.command("generate", help=_generate_help(family))(_generate_command(family))
    app.command("solve", help=_solve_help(family))(_solve_command(family))
    app.command("verify", help="Check a plan folder against the instance — every constraint and the "
                               "recomputed objective — from the files alone.")(_verify_command(family))
    app.command("report", help="(Re)write report.html of a plan folder.")(_report_command(family))
    app.command("schema", help="Print the input tables (columns, kinds, units, meaning) and scalar "
                               "settings.")(_schema_command(family))
    if family.replan is not None:
        app.command("replan", help="Re-plan a plan after the changes in a changes.yaml (docs/replanning.md): "
                                   "history kept, the fence kept unless infeasible, each change beyond it "
                                   "penalised; writes the new plan, changes.csv and the changed instance."
                    )(_replan_command(family))
    if family.rolling is not None:
        app.command("rolling", help=f"Rolling-horizon simulation (docs/replanning.md): re-plan every --step "
                    f"{family.time_word}s as seeded news arrives (new orders, cancellations, disruptions); the "
                    "total cost against one full-information solve, and the changes per step.",
                    )(_rolling_command(family))
    return app


def _replan_command(family: Family) -> Callable[..., None]:
    def replan_cmd(instance: Path, plan_dir: Path, changes: Path, out_dir: Path, time_limit: float = 60.0,
                   mip_gap: float = 1e-4, threads: int = 2, quiet: bool = False, compare_cold: bool = False,
                   frontier: str = "") -> None:
        from plantwise.core.pipeline import (
            OutputLocationError,
            check_output,
            frontier_figure,
            replan,
            replan_grid,
            reserve_output,
        )

        try:
            grid = [float(p) for p in frontier.split(",") if p.strip()] if frontier else []
        except ValueError:
            raise fail(f"--frontier {frontier}: give penalties separated by commas, e.g. 0,100,1000") from None
        if any(p < 0 for p in grid):
            raise fail("--frontier: penalties must be >= 0")

        inst = load_instance(family, instance, None)
        try:
            plan = family.load_plan(plan_dir)
            checked = family.read_changes(changes, inst)
        except InputErrors as exc:
            raise input_error(exc) from None
        try:
            check_output(out_dir, [instance, plan_dir, changes])
            with reserve_output(out_dir), progress_bar(time_limit, quiet, family.sense) as progress:
                solution = replan(family, inst, plan, checked, time_limit=time_limit, mip_gap=mip_gap,
                                  threads=threads, progress=progress)
                if (compare_cold or grid) and solution.plan is not None:
                    table = replan_grid(family, inst, plan, checked, grid, time_limit=time_limit, mip_gap=mip_gap,
                                        threads=threads)
                    cold = table.iloc[0]
                    solution.summary["kpis"].update({"cold_cost": cold["cost"], "cold_changes": cold["changes"]})
                    if grid:
                        solution.attachments["frontier.csv"] = lambda path: table.to_csv(path, index=False)
                        solution.attachments["frontier.html"] = lambda path: frontier_figure(table, path)
                planned_on = solution.changed_instance if solution.changed_instance is not None else inst
                solution.save(out_dir, planned_on, report=solution.plan is not None,
                              inputs=[instance, plan_dir, changes], lock=False)
        except OutputLocationError as exc:
            raise fail(str(exc)) from None
        except InputErrors as exc:
            raise input_error(exc) from None
        code = _report_solution(solution, out_dir, quiet)
        kpis = solution.summary.get("kpis", {})
        if solution.plan is not None:
            out.print(f"changes: {kpis.get('changes')} ({kpis.get('changes_by_kind')}); cost before "
                      f"{kpis.get('cost_before')}, after {kpis.get('cost_after')}; changes.csv and the changed "
                      f"instance (instance/) in {out_dir}", highlight=False)
            for item in solution.summary["details"]["replan"]["fence_changes"]:
                console.print(f"[yellow]frozen decision changed[/]: {item['decision']} — {item['reason']}",
                              highlight=False)
        raise typer.Exit(code)

    params = [_positional("instance", "instance folder or workbook"), _positional("plan_dir", "plan folder"),
              _positional("changes", "changes.yaml"),
              _option("out_dir", Path, ..., "--out", "-o", help="folder for the new plan"),
              _option("time_limit", float, 60.0, "--time-limit", "-t", min=0.001, help="seconds [s]"),
              _option("mip_gap", float, 1e-4, "--mip-gap", min=0.0, help="relative MIP gap"),
              _option("threads", int, 2, "--threads", min=1, help="solver threads"),
              _option("quiet", bool, False, "--quiet", "-q", help="print only problems"),
              _option("compare_cold", bool, False, "--compare-cold",
                      help="also solve the cold re-optimum (penalty 0, no fence): its cost and changes in kpis"),
              _option("frontier", str, "", "--frontier", help="penalties, e.g. 0,100,1000,10000: one re-plan each, "
                      "written as frontier.csv and frontier.html (cost against changes)")]
    return _with_signature(replan_cmd, params)


def _rolling_command(family: Family) -> Callable[..., None]:
    def rolling_cmd(instance: Path, out_dir: Path, step: int = 5, seed: int = 0, freeze: int | None = None,
                    change_penalty: float = 1000.0, time_limit: float = 30.0, full_time_limit: float | None = None,
                    threads: int = 2, quiet: bool = False) -> None:
        from plantwise.core.pipeline import OutputLocationError
        from plantwise.core.rolling import check_rolling_output, rolling, write_rolling

        inst = load_instance(family, instance, None)
        try:
            check_rolling_output(out_dir, [instance])
            result = rolling(family, inst, step=step, seed=seed, freeze=freeze, change_penalty=change_penalty,
                             time_limit=time_limit, full_time_limit=full_time_limit, threads=threads,
                             log=None if quiet else lambda text: out.print(text, highlight=False))
            write_rolling(result, out_dir, [instance])
        except OutputLocationError as exc:
            raise fail(str(exc)) from None
        except ValueError as exc:
            raise fail(str(exc)) from None
        s = result.summary
        regret = s["regret"]
        out.print(f"{s['steps']} re-plans every {step} {family.time_word}s: cost {s['rolling_cost']} against "
                  f"{s['full_information_cost']} with full information ({s['full_information_status']}); regret "
                  + ("n/a" if regret is None else f"{100 * regret:.2f} %") + f"; {s['changes_total']} changed "
                  f"decisions in all (median {s['changes_per_step_median']:g} per step); written to {out_dir}",
                  highlight=False)
        if not s["complete"]:
            console.print(f"[yellow]stopped early[/]: {s['stopped']}", highlight=False)
        raise typer.Exit(0 if s["complete"] and s["rolling_verified"] else 1)

    params = [_positional("instance", "instance folder or workbook"),
              _option("out_dir", Path, ..., "--out", "-o", help="folder for the simulation's results"),
              _option("step", int, 5, "--step", min=1, help=f"{family.time_word}s between re-plans"),
              _option("seed", int, 0, "--seed", help="seed of the news generator"),
              _option("freeze", int | None, None, "--freeze", min=0,
                      help=f"{family.time_word}s frozen after each now (default: the step)"),
              _option("change_penalty", float, 1000.0, "--change-penalty", min=0.0,
                      help="cost per changed decision beyond the fence"),
              _option("time_limit", float, 30.0, "--time-limit", "-t", min=0.001, help="seconds per solve [s]"),
              _option("full_time_limit", float | None, None, "--full-time-limit", min=0.001,
                      help="seconds for the full-information solve (default: max(time limit, 60)) [s]"),
              _option("threads", int, 2, "--threads", min=1, help="solver threads"),
              _option("quiet", bool, False, "--quiet", "-q", help="print only the result")]
    return _with_signature(rolling_cmd, params)


def _generate_help(family: Family) -> str:
    return (family.generate_params.__doc__ or "Write a generated instance.").splitlines()[0].replace(
        "Options of ``plantwise", "Write a seeded instance (``plantwise").rstrip(".") + ")."


def _generate_command(family: Family) -> Callable[..., None]:
    def generate_cmd(out_dir: Path, **options: Any) -> None:
        values = {k: _plain(v) for k, v in options.items()}
        if out_dir.exists() and not out_dir.is_dir() and out_dir.suffix.lower() != ".xlsx":
            raise fail(f"{out_dir} is a file, not a folder")
        try:
            inst = family.generate(family.generate_params(**values))
        except ValueError as exc:
            raise fail(str(exc)) from None
        inst.save(out_dir)
        print_warnings(inst)
        describe = inst.describe() if hasattr(inst, "describe") else str(getattr(inst, "name", ""))
        out.print(f"wrote {describe} to {out_dir}")

    params = [_positional("out_dir", "folder to write (or a .xlsx file)")]
    params += dataclass_parameters(family.generate_params, optional=False)
    return _with_signature(generate_cmd, params)


def _method_fields(family: Family) -> tuple[type | None, dict[str, list[str]]]:
    """One dataclass holding every method parameter of the family (for the CLI), and which
    methods take each."""
    fields: dict[str, dataclasses.Field[Any]] = {}
    applies: dict[str, list[str]] = {}
    owners: dict[str, type] = {}
    for m in family.methods.values():
        for f in dataclasses.fields(m.params_type):
            applies.setdefault(f.name, []).append(m.name)
            if f.name not in fields:
                fields[f.name] = f
                owners[f.name] = m.params_type
    if not fields:
        return None, applies
    specs = []
    for name, f in fields.items():
        hint = typing.get_type_hints(owners[name])[name]
        specs.append((name, hint, dataclasses.field(default=f.default, metadata=f.metadata)))
    return dataclasses.make_dataclass(f"{family.name}_method_options", specs, frozen=True), applies


def _solve_help(family: Family) -> str:
    lines = [f"Solve an instance; writes the plan folder ({', '.join(family.plan_files)}, report.html).",
             "", "Methods:"]
    if family.choose_method:
        lines.append("  auto: picks a method for the instance (the summary's method_choice says which)")
    for m in family.methods.values():
        lines.append(f"  {m.name}: {m.doc}")
    lines += ["", "Exit codes: 0 plan found, 2 bad input, 3 infeasible, 4 no plan in the limits, "
                  "130 interrupted (best plan written), 70 internal error."]
    return "\n\n".join(["\n".join(lines[:1]), "\n".join(lines[2:])])


def _solve_command(family: Family) -> Callable[..., None]:
    option_type, applies = _method_fields(family)
    method_enum = _choice_enum(f"{family.name}_method", tuple(family.method_names()))

    def solve_cmd(instance: Path, out_dir: Path, method: Any, time_limit: float, mip_gap: float, threads: int,
                  seed: int, work_limit: float | None, report: bool, quiet: bool, fmt: Any = None,
                  **method_options: Any) -> None:
        inst = load_instance(family, instance, fmt)
        given = {k: _plain(v) for k, v in method_options.items() if v is not None}
        raise typer.Exit(solve_and_write(family, inst, instance, out_dir, _plain(method), given,
                                         time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed,
                                         report=report, quiet=quiet, fmt=_plain(fmt) if fmt is not None else None,
                                         work_limit=work_limit))

    params = [_positional("instance", "instance folder (CSV + instance.yaml) or .xlsx workbook, or a benchmark "
                                      "file with --format")]
    params += [
        _option("out_dir", Path, Path("plan"), "--out", "-o",
                help="plan folder to write (replaced whole; never the instance)"),
        _option("method", method_enum, method_enum(family.default_method), "--method", "-m",
                help="solution method (see above)"),
        _option("time_limit", float, 60.0, "--time-limit", "-t", min=0.1,
                help="wall-clock seconds for the whole solve [s]; a timed-out search depends on machine load"),
        _option("mip_gap", float, 1e-4, "--mip-gap", min=0.0,
                help="relative gap |objective - bound| / |objective| at which a proof of optimality stops"),
        _option("threads", int, 2, "--threads", min=1, help="solver threads (CPU cores) the method may use"),
        _option("seed", int, 0, "--seed", help="seed of every random choice (same seed, same plan unless the "
                                              "time limit cuts the search)"),
        _option("work_limit", float | None, None, "--work-limit", min=0.001,
                help="CP-SAT deterministic work units per solve (schedule, offload cpsat): a run that stops at its "
                     "work limit gives the same plan under any machine load; HiGHS methods ignore it"),
        _option("report", bool, True, "--report/--no-report", help="write report.html"),
        _option("quiet", bool, False, "--quiet", "-q", help="no progress bar and no summary table"),
        *_format_option(family),
    ]
    if option_type is not None:
        params += dataclass_parameters(option_type, optional=True, applies_to=applies)
    return _with_signature(solve_cmd, params)


def solve_and_write(family: Family, inst: Any, instance: Path, out_dir: Path, name: str, given: dict[str, Any], *,
                    time_limit: float, mip_gap: float, threads: int, seed: int, report: bool, quiet: bool,
                    fmt: str | None = None, work_limit: float | None = None) -> int:
    """Check ``--out``, solve with a progress bar, write the plan folder whole; return the exit code."""
    from plantwise.core.pipeline import (
        MethodNotApplicable,
        OutputLocationError,
        check_output,
        reserve_output,
        solve,
    )

    chosen = family.choose_method(inst)[0] if name == "auto" and family.choose_method else name
    try:
        takes = {f.name for f in dataclasses.fields(family.method(chosen).params_type)}
    except ValueError as exc:
        raise fail(str(exc)) from None
    wrong = sorted(set(given) - takes)
    if wrong:
        opts = ", ".join("--" + w.replace("_", "-") for w in wrong)
        raise fail(f"{opts}: not an option of method {chosen} (see plantwise {family.name} solve --help)")
    try:
        check_output(out_dir, [instance])
        # run as the process's command, its whole run keeps to --time-limit: start-up and reading count,
        # writing is reserved
        started = command_started()
        deadline = None if started is None else \
            started + time_limit - (WRITE_ALLOWANCE + (REPORT_ALLOWANCE if report else 0.0))
        with reserve_output(out_dir), progress_bar(time_limit, quiet, family.sense) as progress:
            solution = solve(family, inst, name, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                             seed=seed, progress=progress, params=given, input_format=fmt, work_limit=work_limit,
                             deadline=deadline)
            solution.save(out_dir, inst, report=report and solution.plan is not None, inputs=[instance],
                          lock=False)
    except OutputLocationError as exc:
        raise fail(str(exc)) from None
    except MethodNotApplicable as exc:
        raise fail(str(exc), title="cannot solve") from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    return _report_solution(solution, out_dir, quiet)


def _report_solution(solution: Any, out_dir: Path, quiet: bool) -> int:
    summary = solution.summary
    status = solution.status
    code = STATUS_EXIT.get(status, EXIT_INTERNAL)
    if status == SolveStatus.INTERRUPTED:
        if solution.plan is not None:
            console.print(f"[bold yellow]interrupted[/] ({summary.get('interrupted_by')}): the best plan found "
                          f"is verified and written to {out_dir}", highlight=False)
        else:
            console.print(f"[bold yellow]interrupted[/] ({summary.get('interrupted_by')}) before any plan was "
                          "found; nothing but summary.json written", highlight=False)
        if not quiet and solution.plan is not None:
            print_summary(summary)
        return code
    if status == SolveStatus.INFEASIBLE:
        console.print("[bold red]infeasible[/]: no plan satisfies every constraint")
        for line in summary.get("diagnosis", []):
            console.print(f"  {line}", markup=False, highlight=False)
        return code
    if status == SolveStatus.NO_SOLUTION:
        console.print(f"[bold yellow]no plan[/] within the limits ({summary.get('message') or 'no solution'}); "
                      "try a longer --time-limit", highlight=False)
        return code
    if status == SolveStatus.ERROR:
        console.print(f"[bold red]internal error[/]: {summary.get('message') or 'the method failed'}",
                      highlight=False, markup=False)
        return code
    if not quiet:
        print_summary(summary)
        out.print(f"plan written to {out_dir}")
    return code


def _verify_command(family: Family) -> Callable[..., None]:
    def verify_cmd(instance: Path, plan_dir: Path, fmt: Any = None) -> None:
        from plantwise.core.pipeline import ChecksumMismatch, verify_folder

        inst = load_instance(family, instance, fmt)
        try:
            result = verify_folder(family, inst, plan_dir)
        except ChecksumMismatch as exc:
            raise fail(str(exc), title="wrong instance") from None
        except InputErrors as exc:
            raise input_error(exc) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"{plan_dir}: cannot be read ({exc})") from None
        for note in result.notes:
            console.print(f"[yellow]note[/]: {note}", highlight=False)
        if result.objective is not None:
            name = getattr(result.verification, "objective_name", None) or (
                "profit" if family.sense == "max" else "objective")
            out.print(f"recomputed {name}: {result.objective:,.6g}", highlight=False)
        raise typer.Exit(print_verification(result.verification))

    params = [_positional("instance", "instance folder, workbook or benchmark file"),
              _positional("plan_dir", "plan folder"), *_format_option(family)]
    return _with_signature(verify_cmd, params)


def _report_command(family: Family) -> Callable[..., None]:
    def report_cmd(instance: Path, plan_dir: Path, fmt: Any = None) -> None:
        inst = load_instance(family, instance, fmt)
        try:
            plan = family.load_plan(plan_dir)
        except InputErrors as exc:
            raise input_error(exc) from None
        out.print(f"wrote {family.write_report(inst, plan, plan_dir)}")

    params = [_positional("instance", "instance folder, workbook or benchmark file"),
              _positional("plan_dir", "plan folder"), *_format_option(family)]
    return _with_signature(report_cmd, params)


def _schema_command(family: Family) -> Callable[..., None]:
    def schema_cmd() -> None:
        out.print(schema_text(family), markup=False, highlight=False)

    return _with_signature(schema_cmd, [])


def schema_text(family: Family) -> str:
    """The Markdown description of the family's input (tables, then scalar settings)."""
    from plantwise.core.tables import describe_schema

    return describe_schema(family.input_specs, family.scalar_specs)


__all__ = ["EXIT_BAD_INPUT", "family_app", "load_instance", "schema_text"]
