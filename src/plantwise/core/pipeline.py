"""ONE solve pipeline for every family: run a method, stop cleanly on interruption, verify the
plan, build the summary, return a :class:`Solution`; write plan folders whole or not at all.

::

    sol = solve("offload", inst, "milp", time_limit=60)
    sol.status, sol.objective, sol.bound, sol.gap, sol.verified
    sol.save("plan", inst)        # atomic: a temporary folder beside it, then a rename

Rules, the same for all families:

* **Interruption.** SIGINT or SIGTERM during a method asks it to stop
  (:mod:`plantwise.core.interrupt`); the best plan found is kept, verified like any other,
  and reported with status ``interrupted``.
* **Verification, always.** The family's independent verifier recomputes the objective and
  checks every constraint from the instance and the plan alone; the summary's ``objective``
  is the recomputed value. A plan that fails is reported with status ``error`` — never as a
  success. A bound on the wrong side of the objective is a violation too.
* **Honest status.** ``optimal`` only when the method proved it (within ``mip_gap``) and was
  not interrupted.
* **Writes.** :meth:`Solution.save` checks the output location first (:func:`check_output`:
  never an input or a folder holding one, never a file or a folder that is not a plan
  folder), writes into a temporary sibling and renames it into place, so a reused ``--out``
  holds no stale file and a failed solve leaves only its ``summary.json``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plantwise import __version__
from plantwise.core import interrupt
from plantwise.core.errors import InputError, InputErrors
from plantwise.core.family import Family, MethodOutput, NoParams, get_family
from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress, SolveStatus, relative_gap
from plantwise.core.summary import SCHEMA_VERSION, dumps, json_safe
from plantwise.core.tables import read_summary
from plantwise.core.verification import Verification, VerificationFailed

BOUND_TOLERANCE = 1e-6  # relative slack allowed between a bound and the objective it bounds
PLAN_STATUSES = (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.INTERRUPTED)


class OutputLocationError(ValueError):
    """The ``--out`` location cannot take a plan (checked before the solve starts)."""


class MethodNotApplicable(ValueError):
    """The method cannot run on this instance or on this machine (e.g. a missing solver)."""


class ModelTooLarge(ValueError):
    """The instance would build a model beyond what this machine can hold (checked before solving)."""


MAX_MODEL_VARIABLES = 20_000_000  # about 20 GB of solver memory, the most a 24-GiB machine can take


class ChecksumMismatch(ValueError):
    """A plan checked against an instance other than the one it was made for."""


@dataclass
class Solution:
    """The outcome of :func:`solve`: status, the verified plan (or ``None``), the summary."""

    family: Family
    status: SolveStatus
    plan: Any | None
    summary: dict[str, Any]
    verification: Verification | None = None
    history: Any | None = None
    attachments: dict[str, Callable[[Path], None]] = field(default_factory=dict)  # name -> writer
    changed_instance: Any | None = None  # a re-plan's instance with the changes applied

    @property
    def objective(self) -> float | None:
        return self.summary.get("objective")

    @property
    def bound(self) -> float | None:
        return self.summary.get("bound")

    @property
    def gap(self) -> float | None:
        return self.summary.get("gap")

    @property
    def verified(self) -> bool:
        return bool(self.summary.get("verified"))

    @property
    def ok(self) -> bool:
        """A plan exists and passed the verifier."""
        return self.plan is not None and self.verified and self.status in PLAN_STATUSES

    @property
    def kpis(self) -> dict[str, Any]:
        return self.summary.get("kpis", {})

    def save(self, out: str | Path, instance: Any, report: bool = True, inputs: Iterable[str | Path] = (),
             lock: bool = True) -> Path:
        """Write the plan folder ``out`` atomically (see the module docstring); returns ``out``.

        Without a plan, ``out`` holds only ``summary.json``. ``inputs`` are paths the write must
        never touch (the instance). A report that fails is noted in the summary, not fatal.
        """
        out = Path(out)
        check_output(out, inputs)
        if not lock:  # the caller holds the lock (see reserve_output)
            return self._write(out, instance, report)
        with _OutputLock(out):
            return self._write(out, instance, report)

    def _write(self, out: Path, instance: Any, report: bool) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            for name, write in self.attachments.items():  # first: a report may show them (changes.csv)
                write(tmp / name)
            if self.plan is not None:
                self.plan.save(tmp)
                if self.history is not None and len(self.history):
                    self.history.to_csv(tmp / "history.csv", index=False)
                if report:
                    try:
                        self.family.write_report(instance, self.plan, tmp)
                    except Exception as exc:  # a report is a view; the verified plan stands
                        self.summary.setdefault("details", {})["report_error"] = f"{type(exc).__name__}: {exc}"
            (tmp / "summary.json").write_text(dumps(self.summary), encoding="utf-8")
            _replace_folder(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out


def _replace_folder(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``: two renames, so readers see the old or the new folder."""
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


class _OutputLock:
    """``.<name>.lock`` beside the output folder while a solve writes it: a second solve into
    the same folder is refused instead of silently overwriting the first (stale locks of
    processes that no longer run are taken over)."""

    def __init__(self, out: Path) -> None:
        self.path = out.parent / f".{out.name}.lock"

    def __enter__(self) -> _OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pid = lock_pid(self.path)
                if pid is not None and pid != os.getpid() and process_alive(pid):
                    raise OutputLocationError(
                        f"{self.path.parent / self.path.name[1:-5]}: another solve (pid {pid}) is writing this "
                        "plan folder; wait for it or choose another --out") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return self
        raise OutputLocationError(f"cannot lock {self.path}")

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def lock_pid(path: Path) -> int | None:
    """The process id a lock file names, or ``None``."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """True when process ``pid`` exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reserve_output(out: str | Path) -> _OutputLock:
    """Hold the output lock for the whole solve (the CLI takes it before solving)."""
    return _OutputLock(Path(out))


def check_output(out: str | Path, inputs: Iterable[str | Path] = ()) -> None:
    """Raise :class:`OutputLocationError` unless a plan folder can be written at ``out``:
    not an input nor inside one nor holding one, not a file, not under a file, in a
    writable place, and either absent, empty or a plan folder (with ``summary.json``)."""
    out = Path(out)
    target = out.resolve()
    for item in inputs:
        p = Path(item).resolve()
        if target == p or p in target.parents:
            raise OutputLocationError(f"--out {out} is the input {item} or inside it: a plan never overwrites "
                                      "its input; choose another folder")
        if target in p.parents:
            raise OutputLocationError(f"--out {out} holds the input {item}: writing the plan there would replace "
                                      "it; choose another folder")
    if target.exists() and not target.is_dir():
        raise OutputLocationError(f"--out {out} is a file, not a folder")
    parent = target
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputLocationError(f"--out {out} is under {parent}, which is a file")
    if not os.access(parent if parent != target else target.parent, os.W_OK | os.X_OK):
        raise OutputLocationError(f"--out {out}: {parent} is not writable")
    if target.is_dir() and any(target.iterdir()) and not (target / "summary.json").exists():
        raise OutputLocationError(f"--out {out} exists and is not a plan folder (no summary.json): plantwise "
                                  "replaces a plan folder whole, so it will not write into other files; choose a "
                                  "new or empty folder")


def solve(family: Family | str, instance: Any, method: str | None = None, *,
          time_limit: float | None = 60.0, mip_gap: float = 1e-4, threads: int = 2, seed: int = 0,
          work_limit: float | None = None,
          progress: Callable[[Progress], None] | None = None, log: bool = False,
          options: SolveOptions | None = None, params: Mapping[str, Any] | None = None,
          handle_signals: bool = True, input_format: str | None = None, deadline: float | None = None,
          **param_values: Any) -> Solution:
    """Solve ``instance`` of ``family`` by ``method`` (``None``: the family's default; ``auto``
    where the family offers it). Method parameters come as ``params`` or keyword arguments.
    ``deadline`` (a ``time.perf_counter()`` instant) is :attr:`SolveOptions.deadline`.

    Raises :class:`MethodNotApplicable` when the method cannot run here, ``ValueError`` for an
    unknown method or parameter; everything else ends in a :class:`Solution`.
    """
    fam = get_family(family) if isinstance(family, str) else family
    name = method or fam.default_method
    choice = None
    if name == "auto":
        if fam.choose_method is None:
            raise ValueError(f"{fam.name} has no method 'auto'; choose one of {', '.join(fam.method_names())}")
        name, choice = fam.choose_method(instance)
    m = fam.method(name)
    if m.applies is not None:
        reason = m.applies(instance)
        if reason:
            raise MethodNotApplicable(reason)
    if fam.model_size is not None:
        size = int(fam.model_size(instance))
        if size > MAX_MODEL_VARIABLES:
            raise ModelTooLarge(f"this instance would build a model of about {size:,} variables, more than the "
                                f"{MAX_MODEL_VARIABLES:,} this machine can hold: shorten the horizon, coarsen the "
                                "periods or split the instance")
    values = dict(params or {}) | param_values
    method_params = m.make_params(values)
    if options is None:
        if time_limit is not None and not (time_limit > 0 and math.isfinite(time_limit)):
            raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit}")
        options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed, progress=progress,
                               log=log, work_limit=work_limit, deadline=deadline)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    interrupt.reset()
    t0 = time.perf_counter()
    from plantwise.core.backends import BackendUnavailable

    try:
        if handle_signals:
            with interrupt.handle_signals():
                output = m.run(instance, options, method_params)
        else:
            output = m.run(instance, options, method_params)
    except BackendUnavailable as exc:
        raise MethodNotApplicable(str(exc)) from None
    except VerificationFailed as exc:
        output = MethodOutput(SolveStatus.ERROR, None, message=f"a plan failed its verification (a bug): {exc}")
    total = time.perf_counter() - t0
    interrupted = interrupt.stop_requested()
    if interrupted and interrupt.seconds_since_stop() is not None:
        output.details["seconds_from_stop_to_plan"] = round(float(interrupt.seconds_since_stop()), 3)
    return _finish(fam, instance, m.name, choice, method_params, options, output, started, total,
                   interrupt.stop_reason() if interrupted else None, input_format)


def _finish(fam: Family, instance: Any, method: str, choice: str | None, method_params: Any, options: SolveOptions,
            out: MethodOutput, started: str, total: float, interrupted_by: str | None,
            input_format: str | None) -> Solution:
    status = out.status
    plan = out.plan if status.has_solution or out.plan is not None else None
    if plan is None and status.has_solution:
        status = SolveStatus.ERROR
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "family": fam.name,
        "method": method,
        "status": str(status),
        "objective": finite(out.objective) if plan is not None else None,
        "sense": fam.sense,
        "bound": finite(out.bound),
        "bound_source": out.bound_source,
        "gap": None,
        "verified": False,
        "violations": [],
        "input_checksum": fam.checksum(instance),
        "instance": str(getattr(instance, "name", "")),
        "plantwise_version": __version__,
        "solver": out.solver,
        "solver_version": out.solver_version,
        "options": {"time_limit": options.time_limit, "mip_gap": options.mip_gap, "threads": options.threads,
                    "seed": options.seed, "work_limit": options.work_limit,
                    "params": json_safe(dataclasses.asdict(method_params))},
        "timings": {**{k: round(float(v), 4) for k, v in out.timings.items() if finite(v) is not None},
                    "total": round(total, 4)},
        "started_at": started,
        "cost_breakdown": {k: float(v) for k, v in out.cost_breakdown.items() if finite(v) is not None},
        "kpis": json_safe(out.kpis),
        "details": json_safe(out.details),
    }
    if choice:
        summary["method_choice"] = choice
    if input_format:
        summary["input_format"] = input_format
    if out.message:
        summary["message"] = out.message
    if out.diagnosis:
        summary["diagnosis"] = list(out.diagnosis)
    if interrupted_by:
        summary["interrupted_by"] = interrupted_by
    if getattr(instance, "warnings", None):
        summary["details"]["input_warnings"] = [str(w) for w in instance.warnings]
    verification = None
    if plan is not None:
        plan.summary = summary
        verification = _verify(fam, instance, plan)
        recomputed = fam_objective(fam, verification)
        problems = [str(v) for v in verification.violations]
        if recomputed is not None:
            summary["objective"] = recomputed
        if summary["objective"] is None:
            problems.append("[cost] the method reported no finite objective")
        problems += _bound_problems(fam, summary["objective"], summary["bound"])
        summary["violations"] = problems[:50]
        summary["verified"] = not problems
        if problems:
            status = SolveStatus.ERROR
            summary["message"] = ("the plan failed its verification — a bug, please report it: "
                                  + "; ".join(problems[:3]))
        elif interrupted_by:
            status = SolveStatus.INTERRUPTED
        elif status == SolveStatus.OPTIMAL:
            pass
        else:
            status = SolveStatus.FEASIBLE
        summary["gap"] = relative_gap(summary["objective"], summary["bound"])
        if status == SolveStatus.FEASIBLE and summary["gap"] is not None and summary["gap"] <= options.mip_gap:
            status = SolveStatus.OPTIMAL  # a bound proves it (e.g. a heuristic that met its LP bound)
    elif interrupted_by:
        status = SolveStatus.INTERRUPTED
        summary["message"] = "interrupted before any plan was found"
    summary["status"] = str(status)
    return Solution(fam, status, plan, summary, verification, out.history)


def replan(family: Family | str, instance: Any, plan: Any, changes: Any, *, time_limit: float | None = 60.0,
           mip_gap: float = 1e-4, threads: int = 2, seed: int = 0, handle_signals: bool = True,
           progress: Callable[[Progress], None] | None = None) -> Solution:
    """Re-plan ``plan`` of ``instance`` after ``changes`` (a :class:`plantwise.core.replan.Changes`)
    by the family's ``replan``; the new plan is verified against the changed instance, its
    history is checked unchanged, and the solution carries ``changes.csv`` (every changed
    decision) and the changed instance (``instance/``) as attachments of its plan folder.
    Summary: ``kpis.cost_before`` (the old plan's), ``cost_after``, ``changes`` and
    ``changes_by_kind``; ``details.replan`` (now, fence, penalty, events, frozen decisions that
    had to change and why)."""
    from plantwise.core.replan import changes_table, history_changes

    fam = get_family(family) if isinstance(family, str) else family
    if fam.replan is None:
        raise MethodNotApplicable(f"{fam.name} has no re-planning yet")
    options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed, progress=progress)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    interrupt.reset()
    t0 = time.perf_counter()
    if handle_signals:
        with interrupt.handle_signals():
            done = fam.replan(instance, plan, changes, options)
    else:
        done = fam.replan(instance, plan, changes, options)
    interrupted = interrupt.stop_requested()
    sol = _finish(fam, done.instance, "replan", None, NoParams(), options, done.output, started,
                  time.perf_counter() - t0, interrupt.stop_reason() if interrupted else None, None)
    old_tables = _plan_tables(fam, plan)
    cost_before = finite((getattr(plan, "summary", None) or {}).get("objective"))
    block: dict[str, Any] = {**changes.as_dict(), "fence_changes": done.fence_changes, "notes": done.notes}
    sol.summary["details"]["replan"] = json_safe(block)
    if sol.plan is not None:
        new_tables = _plan_tables(fam, sol.plan)
        past = history_changes(fam.decisions, old_tables, new_tables, changes.now)
        if len(past):
            sol.status = SolveStatus.ERROR
            sol.summary["status"], sol.summary["verified"] = str(SolveStatus.ERROR), False
            sol.summary["violations"].append(f"[history] {len(past)} decision(s) before now changed (a bug)")
        table = changes_table(fam.decisions, old_tables, new_tables)
        counts = {str(k): int(v) for k, v in table["kind"].value_counts().items()}
        sol.summary["kpis"].update({"cost_before": cost_before, "cost_after": sol.summary["objective"],
                                    "changes": len(table), "changes_by_kind": counts,
                                    "frozen_changed": len(done.fence_changes)})
        sol.attachments["changes.csv"] = lambda path, table=table: table.to_csv(path, index=False)
    changed = done.instance
    sol.changed_instance = changed
    sol.attachments["instance"] = lambda path: changed.save(path)
    return sol


def replan_grid(family: Family | str, instance: Any, plan: Any, changes: Any, penalties: Iterable[float], *,
                time_limit: float | None = 60.0, mip_gap: float = 1e-4, threads: int = 2) -> Any:
    """The cost-against-changes frontier: one re-plan per change penalty (the fence and the
    history as in ``changes``), and the cold re-optimum (penalty 0, no fence). Returns a
    table: penalty (``cold`` for the cold one), status, cost, changes, changes per kind,
    frozen decisions changed, seconds — the trade-off a planner chooses from."""
    import pandas as pd

    fam = get_family(family) if isinstance(family, str) else family
    rows = []
    cold = dataclasses.replace(changes, change_penalty=0.0, freeze_until=changes.now)
    for label, variant in [("cold", cold), *[(f"{p:g}", dataclasses.replace(changes, change_penalty=float(p)))
                                              for p in penalties]]:
        sol = replan(fam, instance, plan, variant, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                     handle_signals=False)
        kpis = sol.summary.get("kpis", {})
        rows.append({"penalty": label, "status": str(sol.status), "cost": sol.summary.get("objective"),
                     "changes": kpis.get("changes"), "frozen_changed": kpis.get("frozen_changed"),
                     "seconds": sol.summary["timings"]["total"],
                     **{f"changes_{k}": v for k, v in (kpis.get("changes_by_kind") or {}).items()}})
    return pd.DataFrame(rows)


def frontier_figure(table: Any, out: Path) -> Path:
    """``frontier.html``: cost against changes, one point per penalty (plotly, offline)."""
    import plotly.graph_objects as go

    from plantwise.report.html import HtmlReport

    rep = HtmlReport("Re-planning frontier: cost against changes")
    rep.heading("Cost against changes")
    fig = go.Figure(go.Scatter(x=table["changes"], y=table["cost"], mode="markers+lines+text",
                               text=[f"penalty {p}" for p in table["penalty"]], textposition="top center"))
    fig.update_layout(xaxis_title="changed decisions", yaxis_title="plan cost (currency)")
    rep.figure(fig)
    rep.table(table)
    return rep.write(out)


def _plan_tables(fam: Family, plan: Any) -> dict[str, Any]:
    """The plan's decision tables by name (read from a scratch copy of its folder)."""
    import tempfile

    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="plantwise-decisions-") as tmp:
        plan.save(Path(tmp))
        return {spec.table: pd.read_csv(Path(tmp) / f"{spec.table}.csv", keep_default_na=False)
                for spec in fam.decisions if (Path(tmp) / f"{spec.table}.csv").is_file()}


def fam_objective(fam: Family, check: Verification) -> float | None:
    """The objective the verifier recomputed, in the family's sense."""
    for attr in ("objective_value", "profit"):
        value = getattr(check, attr, None)
        if value is not None:
            return finite(value)
    return finite(check.total_cost) if check.cost_breakdown else None


def _verify(fam: Family, instance: Any, plan: Any) -> Verification:
    try:
        return fam.verify(instance, plan)
    except Exception as exc:  # the verifier itself failed: the plan is not verified
        check = Verification()
        check.add("verifier", f"the verifier failed: {type(exc).__name__}: {exc}")
        return check


def _bound_problems(fam: Family, objective: float | None, bound: float | None) -> list[str]:
    if objective is None or bound is None:
        return []
    slack = BOUND_TOLERANCE * max(1.0, abs(objective))
    wrong = bound > objective + slack if fam.sense == "min" else bound < objective - slack
    if wrong:
        side = "above" if fam.sense == "min" else "below"
        return [f"[bound] the reported bound {bound:,.6g} is {side} the plan's objective {objective:,.6g}"]
    return []


def finite(value: object) -> float | None:
    """``value`` as a finite float, or ``None`` (missing, not a number, NaN, infinite)."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


# ---------------------------------------------------------------------------- verify a plan folder
LEGACY_CHECKSUM_KEYS = ("input_checksum", "instance_checksum", "checksum")


@dataclass
class PlanCheck:
    """The verdict on a plan folder: the verification and what the summary itself gets wrong."""

    verification: Verification
    summary: dict[str, Any] = field(default_factory=dict)
    objective: float | None = None
    notes: list[str] = field(default_factory=list)


def verify_folder(family: Family | str, instance: Any, plan_dir: str | Path) -> PlanCheck:
    """Check the plan in ``plan_dir`` against ``instance`` from the files alone.

    The summary comes first: it must be a JSON object, made for this instance (its
    ``input_checksum``; a mismatch raises :class:`ChecksumMismatch`), with a plan status
    and a numeric objective (else a violation, never a skip). Then the family's verifier.
    """
    fam = get_family(family) if isinstance(family, str) else family
    plan_dir = Path(plan_dir)
    summary = _read_summary_object(plan_dir)
    expected = fam.checksum(instance)
    claimed = next((summary[k] for k in LEGACY_CHECKSUM_KEYS if k in summary), None)
    if claimed is not None and str(claimed) != expected:
        raise ChecksumMismatch(f"{plan_dir}/summary.json: the plan was made for another instance "
                               f"(input_checksum {claimed}, this instance has {expected})")
    plan = fam.load_plan(plan_dir)
    check = _verify(fam, instance, plan)
    status = summary.get("status")
    if status is not None and str(status) not in [str(s) for s in PLAN_STATUSES]:
        check.add("summary", f"status {status!r} is not a plan status (optimal, feasible, interrupted)")
    if "objective" not in summary or summary.get("objective") is None:
        check.add("cost", "summary.json has no objective: the plan's cost cannot be checked")
    elif finite(summary.get("objective")) is None:
        check.add("cost", f"summary.json's objective {summary.get('objective')!r} is not a finite number")
    notes = []
    if claimed is None:
        notes.append("summary.json has no input_checksum (a plan made by hand?): checked against this instance "
                     "without knowing which instance it was made for")
    objective = fam_objective(fam, check)
    for problem in _bound_problems(fam, finite(summary.get("objective")), finite(summary.get("bound"))):
        check.add("bound", problem.removeprefix("[bound] "))
    return PlanCheck(check, summary, objective, notes)


def _read_summary_object(plan_dir: Path) -> dict[str, Any]:
    """The plan folder's summary, which must exist and be a JSON object."""
    if not plan_dir.is_dir():
        raise InputErrors([InputError(str(plan_dir), None, None, "no such plan folder")])
    if not (plan_dir / "summary.json").exists():
        raise InputErrors([InputError(f"{plan_dir.name}/summary.json", None, None, "file missing in the plan folder")])
    data = read_summary(plan_dir)
    if not isinstance(data, dict):
        raise InputErrors([InputError("summary.json", None, None,
                                      f"expected a JSON object, found {type(data).__name__}")])
    return data
