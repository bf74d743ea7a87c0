"""Runs: the job queue and the run record, as operations on the store shared by the web
process, the supervisor and the workers.

Lifecycle: ``queued`` -> ``running`` (a worker claimed it: ``worker`` holds its lease) ->
``succeeded`` (a verified plan), ``failed`` (no plan, with the reason) or ``interrupted``
(cancelled while running: the best plan found is kept); ``queued`` -> ``cancelled``.
A worker writes a run only while the run's ``worker`` column still holds its lease, so a
worker that lost its run (the server restarted and re-queued it) cannot overwrite it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from plantwise.core.family import get_family
from plantwise.workspace.datasets import new_id
from plantwise.workspace.models import FINAL_STATUSES, Dataset, Run, utcnow
from plantwise.workspace.settings import WorkspaceSettings

RUN_OPTION_NAMES = ("time_limit", "mip_gap", "seed", "work_limit", "solver_log")
MAX_TIME_LIMIT = 24 * 3600.0


def run_dir(settings: WorkspaceSettings, run_id: str) -> Path:
    return settings.data_dir / "runs" / run_id


def plan_dir(settings: WorkspaceSettings, run_id: str) -> Path:
    return run_dir(settings, run_id) / "plan"


def share_assets(settings: WorkspaceSettings, folder: Path) -> None:
    """Replace the plan folder's copy of ``plotly.min.js`` (4.8 MB, the report's offline
    library) by a hard link to the store's one copy, where the file system allows; the folder
    still holds a whole, working report."""
    from plantwise.report.html import PLOTLY_JS, ensure_plotly_js

    local = folder / PLOTLY_JS
    if not local.is_file():
        return
    shared = ensure_plotly_js(settings.data_dir / "assets")
    if local.stat().st_size != shared.stat().st_size or local.samefile(shared):
        return
    tmp = folder / f".{PLOTLY_JS}.link"
    try:
        os.link(shared, tmp)
        os.replace(tmp, local)
    except OSError:  # another file system, or no hard links: keep the copy
        with contextlib.suppress(OSError):
            tmp.unlink()


def append_log(settings: WorkspaceSettings, run_id: str, text: str) -> None:
    """Append one line, time-stamped, to the run's log (``runs/<id>/log.txt``)."""
    folder = run_dir(settings, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    with open(folder / "log.txt", "a", encoding="utf-8") as fh:
        fh.write(f"[{stamp} plantwise] {text}\n")


def _positive(name: str, value: object, maximum: float | None = None) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}, got {number:g}")
    return number


def check_options(family: str, method: str, options: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The run's options, checked now (a run that cannot start is refused at submission, not
    failed later): method known and parameters valid for it, limits positive."""
    fam = get_family(family)
    if method != "auto" or fam.choose_method is None:
        m = fam.method(method)
        m.make_params(params)
    elif params:
        raise ValueError("method 'auto' takes no parameters: choose a method to set its parameters")
    return check_limits(options, params)


def check_limits(options: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The run options (time limit, MIP gap, seed, work limit, solver log) checked, with defaults."""
    unknown = sorted(set(options) - set(RUN_OPTION_NAMES))
    if unknown:
        raise ValueError(f"unknown run option(s) {', '.join(unknown)}; choose from {', '.join(RUN_OPTION_NAMES)}")
    out: dict[str, Any] = {"time_limit": 60.0, "mip_gap": 1e-4, "seed": 0, "work_limit": None, "solver_log": True}
    if options.get("time_limit") is not None:
        out["time_limit"] = _positive("time_limit", options["time_limit"], MAX_TIME_LIMIT)
    if options.get("mip_gap") is not None:
        gap = float(options["mip_gap"])
        if not (0 <= gap < 1):
            raise ValueError(f"mip_gap must be in [0, 1), got {gap}")
        out["mip_gap"] = gap
    if options.get("seed") is not None:
        out["seed"] = int(options["seed"])
    if options.get("work_limit") is not None:
        out["work_limit"] = _positive("work_limit", options["work_limit"])
    if options.get("solver_log") is not None:
        out["solver_log"] = bool(options["solver_log"])
    out["params"] = dict(params)
    json.dumps(out)  # parameters must be plain values
    return out


def submit(session: Session, dataset: Dataset, method: str | None, options: Mapping[str, Any],
           params: Mapping[str, Any], label: str = "") -> Run:
    fam = get_family(dataset.family)
    method = method or ("auto" if fam.choose_method else fam.default_method)
    checked = check_options(dataset.family, method, options, params)
    run = Run(id=new_id(), family=dataset.family, dataset_id=dataset.id, label=label[:200], method=method,
              options=checked, status="queued", attempts=0, progress={}, message="", cancel_requested=False)
    session.add(run)
    session.commit()
    return run


def submit_replan(session: Session, settings: WorkspaceSettings, parent: Run, changes: object,
                  options: Mapping[str, Any], label: str = "") -> Run:
    """Queue the re-plan of ``parent``'s plan after ``changes`` (a parsed changes file, checked
    now: a defect is an ``InputErrors`` naming the event and the field)."""
    from plantwise.workspace.datasets import load_instance

    fam = get_family(parent.family)
    if fam.replan is None:
        raise ValueError(f"{fam.name} has no re-planning yet (docs/replanning.md)")
    if parent.status not in ("succeeded", "interrupted") or not (plan_dir(settings, parent.id) / "summary.json"
                                                                 ).is_file():
        raise ValueError(f"run {parent.id} has no plan to re-plan ({parent.status})")
    dataset = session.get(Dataset, parent.dataset_id)
    inst = load_instance(settings, dataset)  # type: ignore[arg-type]
    checked = fam.read_changes(changes, inst, "changes")
    checked_options = check_limits({k: v for k, v in options.items() if k in ("time_limit", "mip_gap")}, {})
    run = Run(id=new_id(), family=parent.family, dataset_id=parent.dataset_id, label=label[:200] or
              f"re-plan of {parent.label or parent.id[:8]}", method="replan", options=checked_options,
              status="queued", attempts=0, progress={}, message="", cancel_requested=False, kind="replan",
              parent_id=parent.id, changes=checked.as_dict())
    session.add(run)
    session.commit()
    return run


def cancel(session: Session, settings: WorkspaceSettings, run_id: str) -> Run | None:
    """Cancel: a queued run becomes ``cancelled`` at once; a running one is asked to stop
    (its worker keeps the best plan found: ``interrupted``); a final run stays as it is."""
    now = utcnow()
    done = session.execute(update(Run).where(Run.id == run_id, Run.status == "queued")
                           .values(status="cancelled", finished_at=now, cancel_requested=True,
                                   message="cancelled before it started"))
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(update(Run).where(Run.id == run_id, Run.status == "running").values(cancel_requested=True))
    session.commit()
    run = session.get(Run, run_id)
    if run is not None:
        session.refresh(run)
        append_log(settings, run_id, "cancel requested" + (" (the run had not started)"
                                                          if run.status == "cancelled" else ""))
    return run


def claim(engine: Engine, token: str) -> str | None:
    """Take the oldest queued run for the worker ``token`` (atomic: one worker wins a run)."""
    with Session(engine) as session:
        candidates = session.scalars(select(Run.id).where(Run.status == "queued")
                                     .order_by(Run.created_at, Run.id).limit(8)).all()
        for run_id in candidates:
            result = session.execute(
                update(Run).where(Run.id == run_id, Run.status == "queued")
                .values(status="running", worker=token, worker_pid=os.getpid(), started_at=utcnow(),
                        attempts=Run.attempts + 1, progress={"phase": "starting"}))
            session.commit()
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return run_id
    return None


def fail_lost(engine: Engine, settings: WorkspaceSettings, *, pid: int | None = None, token: str | None = None,
              reason: str) -> list[str]:
    """Fail the running runs of a worker that died (by pid or lease) with ``reason``."""
    with Session(engine) as session:
        query = select(Run).where(Run.status == "running")
        query = query.where(Run.worker_pid == pid) if pid is not None else query.where(Run.worker == token)
        lost = session.scalars(query).all()
        for run in lost:
            run.status, run.finished_at, run.message, run.worker = "failed", utcnow(), reason, None
            run.progress = dict(run.progress or {}) | {"phase": "failed"}
        session.commit()
        for run in lost:
            append_log(settings, run.id, reason)
        return [r.id for r in lost]


def recover(engine: Engine, settings: WorkspaceSettings) -> dict[str, list[str]]:
    """At server start: every run left ``running`` by a server that stopped is re-queued
    (attempts < ``max_attempts``) or failed with the reason; a cancel requested meanwhile
    makes it ``cancelled``. Nothing stays ``running`` without a worker."""
    out: dict[str, list[str]] = {"requeued": [], "failed": [], "cancelled": []}
    with Session(engine) as session:
        for run in session.scalars(select(Run).where(Run.status == "running")).all():
            run.worker, run.worker_pid = None, None
            if run.cancel_requested:
                run.status, run.finished_at = "cancelled", utcnow()
                run.message = "the server stopped while this run was running; it had been cancelled"
                out["cancelled"].append(run.id)
            elif run.attempts < settings.max_attempts:
                run.status, run.progress = "queued", {"phase": "re-queued"}
                run.message = (f"re-queued: the server stopped while this run was running (attempt {run.attempts} "
                               f"of {settings.max_attempts})")
                out["requeued"].append(run.id)
            else:
                run.status, run.finished_at = "failed", utcnow()
                run.message = (f"failed: the server stopped while this run was running, {run.attempts} times; "
                               "not retried")
                out["failed"].append(run.id)
        session.commit()
        for kind, ids in out.items():
            for run_id in ids:
                append_log(settings, run_id, f"server restart: run {kind}")
    return out


def status_of_solve(solve_status: str, verified: bool) -> str:
    """The run status of a finished solve: a verified plan ``succeeded``; a stopped solve is
    ``interrupted`` (its best plan kept); everything else (infeasible, no plan, a plan that
    failed verification, an error) ``failed``."""
    if solve_status == "interrupted":
        return "interrupted"
    return "succeeded" if solve_status in ("optimal", "feasible") and verified else "failed"


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def public(run: Run) -> dict[str, Any]:
    """A run as the API shows it."""
    return {
        "id": run.id, "family": run.family, "dataset_id": run.dataset_id, "label": run.label, "method": run.method,
        "options": run.options, "status": run.status, "solve_status": run.solve_status,
        "cancel_requested": bool(run.cancel_requested), "attempts": run.attempts,
        "created_at": _iso(run.created_at), "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
        "progress": run.progress or {}, "objective": run.objective, "bound": run.bound, "gap": run.gap,
        "verified": run.verified, "seconds": run.seconds, "message": run.message or "",
        "kind": run.kind or "solve", "parent_id": run.parent_id, "changes": run.changes,
    }


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")
