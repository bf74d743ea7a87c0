"""The worker: executes runs in a process of its own, never in the web process.

A local worker is a spawned process (:func:`worker_main`) that loops: claim the oldest
queued run (:func:`plantwise.workspace.runs.claim`), execute it (:func:`execute`), repeat.
A Ray task executes one run (:func:`execute_remote`). Executing a run:

1. load the dataset with the family's loader;
2. solve through the one pipeline (:func:`plantwise.core.pipeline.solve`), with the solver's
   output going to the run's log and each progress report (incumbent, bound, gap, phase)
   written to the run row (every 0.5 s at most) and to ``progress.jsonl``;
3. a watcher thread reads the run row every 0.25 s: a cancel request stops the solve
   (the best plan found is kept: status ``interrupted``); a lost lease stops it too, and then
   nothing more is written; a local worker whose server died exits at once (the restarted
   server re-queues the run);
4. write the verified plan folder (``runs/<id>/plan``: the CLI's plan files, ``summary.json``
   and ``report.html``) atomically, and ``figures.json`` (the report's figures), then the final
   status with the summary, in one update guarded by the lease.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from plantwise.core import interrupt
from plantwise.core.errors import InputError, InputErrors
from plantwise.core.pipeline import finite
from plantwise.core.result import Progress
from plantwise.workspace.db import make_engine
from plantwise.workspace.models import Dataset, Run, utcnow
from plantwise.workspace.runs import append_log, claim, plan_dir, run_dir, share_assets, status_of_solve
from plantwise.workspace.settings import WorkspaceSettings

PROGRESS_INTERVAL = 0.5
WATCH_INTERVAL = 0.25
IDLE_POLL = 0.3


def new_token(kind: str = "local") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """The process's stdout and stderr (file descriptors 1 and 2, where the C++ solvers print)
    appended to ``path`` while the block runs."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


class _Watcher(threading.Thread):
    """Reads the run row: a cancel request or a lost lease asks the solve to stop."""

    def __init__(self, engine: Engine, run_id: str, token: str, parent_pid: int | None) -> None:
        super().__init__(daemon=True, name=f"watch-{run_id[:8]}")
        self.engine, self.run_id, self.token, self.parent_pid = engine, run_id, token, parent_pid
        self.done = threading.Event()
        self.lost = False
        self.cancelled = False

    def run(self) -> None:
        while not self.done.wait(WATCH_INTERVAL):
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                os._exit(0)  # the server died: leave the run 'running' for the restart to re-queue
            try:
                with Session(self.engine) as session:
                    row = session.execute(select(Run.cancel_requested, Run.worker).where(Run.id == self.run_id)).first()
            except Exception:  # a busy store: try again at the next tick
                continue
            if row is None or row.worker != self.token:
                self.lost = True
                interrupt.request_stop("lease lost")
            elif row.cancel_requested and not self.cancelled:
                self.cancelled = True
                interrupt.request_stop("cancel")


class _ProgressWriter:
    """The pipeline's progress callback: the run row (throttled) and ``progress.jsonl``."""

    def __init__(self, engine: Engine, run_id: str, token: str, folder: Path) -> None:
        self.engine, self.run_id, self.token = engine, run_id, token
        self.path = folder / "progress.jsonl"
        self.last = 0.0
        self.started = time.monotonic()
        self.latest: dict[str, Any] = {}

    def __call__(self, p: Progress) -> None:
        gap = p.gap  # elapsed: since the run started (a method's phases each count their own time)
        self.latest = {"elapsed": round(time.monotonic() - self.started, 3), "incumbent": finite(p.incumbent),
                       "bound": finite(p.bound), "gap": finite(gap), "phase": p.message or "solving"}
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(self.latest) + "\n")
        now = time.monotonic()
        if now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            self.write(self.latest)

    def write(self, progress: dict[str, Any]) -> None:
        with contextlib.suppress(Exception), Session(self.engine) as session:
            session.execute(update(Run).where(Run.id == self.run_id, Run.worker == self.token)
                            .values(progress=progress))
            session.commit()


def execute(engine: Engine, settings: WorkspaceSettings, run_id: str, token: str,
            parent_pid: int | None = None) -> str:
    """Execute the claimed run ``run_id``; returns its final status (see the module docstring)."""
    from plantwise.core.family import get_family
    from plantwise.core.pipeline import MethodNotApplicable, ModelTooLarge, solve
    from plantwise.report.html import capture_figures
    from plantwise.workspace.datasets import instance_dir

    folder = run_dir(settings, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    with Session(engine) as session:
        run = session.get(Run, run_id)
        dataset = session.get(Dataset, run.dataset_id) if run is not None else None
    if run is None or dataset is None:
        return "failed"
    threads = settings.solver_threads
    append_log(settings, run_id, f"attempt {run.attempts}: {run.family} {run.method} on dataset {dataset.name} "
                                 f"v{dataset.version}, worker {token}, {threads} solver thread(s)")
    watcher = _Watcher(engine, run_id, token, parent_pid)
    progress = _ProgressWriter(engine, run_id, token, folder)
    values: dict[str, Any] = {"status": "failed", "finished_at": None, "message": "", "worker": None}
    opts = dict(run.options or {})
    interrupt.reset()
    watcher.start()
    t0 = time.perf_counter()
    try:
        fam = get_family(run.family)
        try:
            inst = fam.load(instance_dir(settings, dataset.id))
        except (InputErrors, InputError) as exc:
            raise ValueError(f"the dataset no longer loads: {exc}") from None
        main = threading.current_thread() is threading.main_thread()
        with _output_to(folder / "log.txt") if opts.get("solver_log", True) else contextlib.nullcontext():
            if run.kind == "replan":
                solution = _replan(fam, inst, run, settings, opts, threads, progress, main)
            else:
                solution = solve(fam, inst, run.method, time_limit=opts.get("time_limit", 60.0),
                                 mip_gap=opts.get("mip_gap", 1e-4), threads=threads, seed=int(opts.get("seed", 0)),
                                 work_limit=opts.get("work_limit"), progress=progress,
                                 log=bool(opts.get("solver_log")), params=opts.get("params") or {},
                                 handle_signals=main)
        if watcher.lost:
            append_log(settings, run_id, "this worker lost the run (the server re-queued it): result discarded")
            return "lost"
        planned_on = solution.changed_instance if solution.changed_instance is not None else inst
        with interrupt.shielded(), capture_figures() as figures:
            solution.save(plan_dir(settings, run_id), planned_on, report=True, lock=False)
        if solution.changed_instance is not None:  # a re-plan's instance: a scenario of the parent's dataset
            values["dataset_id"] = _store_changed(engine, settings, fam, dataset, solution.changed_instance)
        share_assets(settings, plan_dir(settings, run_id))
        _figures_json(folder / "figures.json", figures)
        summary = solution.summary
        solve_status = str(summary.get("status"))
        status = status_of_solve(solve_status, solution.ok)
        message = _message(summary, solve_status, watcher.cancelled)
        if summary.get("objective") is not None:  # the history ends at the plan and the bound the summary states
            progress(Progress(0.0, summary.get("objective"), summary.get("bound"), "final"))
        values |= {"status": status, "solve_status": solve_status, "objective": summary.get("objective"),
                   "bound": summary.get("bound"), "gap": summary.get("gap"), "verified": bool(summary.get("verified")),
                   "summary": summary, "message": message,
                   "progress": progress.latest | {"phase": "done" if status == "succeeded" else status}}
        append_log(settings, run_id, f"finished: {status} ({message})")
    except (ValueError, MethodNotApplicable, ModelTooLarge) as exc:
        values["message"] = str(exc)
        append_log(settings, run_id, f"failed: {exc}")
    except InputErrors as exc:  # a re-plan's changes that do not apply to the instance or the plan
        values["message"] = "; ".join(str(e) for e in exc.errors[:10])
        append_log(settings, run_id, f"failed: {values['message']}")
    except Exception as exc:  # a bug: the reason to the run, the traceback to the server's error log only
        values["message"] = f"internal error: {type(exc).__name__}: {exc}"
        append_log(settings, run_id, values["message"])
        with open(settings.data_dir / "worker-errors.log", "a", encoding="utf-8") as fh:
            fh.write(f"run {run_id}\n{traceback.format_exc()}\n")
    finally:
        watcher.done.set()
    values["seconds"] = round(time.perf_counter() - t0, 3)
    values["finished_at"] = utcnow()
    for attempt in range(20):  # the final write must land (a busy SQLite store waits, then retries)
        try:
            with Session(engine) as session:
                result = session.execute(update(Run).where(Run.id == run_id, Run.worker == token).values(**values))
                session.commit()
            break
        except Exception:
            if attempt == 19:
                raise
            time.sleep(0.5)
    return values["status"] if result.rowcount == 1 else "lost"  # type: ignore[attr-defined]


def _replan(fam: Any, inst: Any, run: Run, settings: WorkspaceSettings, opts: dict[str, Any], threads: int,
            progress: Any, main: bool) -> Any:
    """The re-plan of the parent run's plan after the run's changes (core.pipeline.replan)."""
    from plantwise.core.pipeline import replan

    old_plan = fam.load_plan(plan_dir(settings, str(run.parent_id)))
    changes = fam.read_changes(run.changes or {}, inst, "changes")
    return replan(fam, inst, old_plan, changes, time_limit=opts.get("time_limit", 60.0),
                  mip_gap=opts.get("mip_gap", 1e-4), threads=threads, progress=progress, handle_signals=main)


def _store_changed(engine: Engine, settings: WorkspaceSettings, fam: Any, base: Dataset, changed: Any) -> str:
    from plantwise.workspace.datasets import store

    with Session(engine) as session:
        row = store(session, settings, fam, changed, f"{base.name} re-planned", "replan",
                    base=session.get(Dataset, base.id))
        return row.id


def _message(summary: dict[str, Any], solve_status: str, cancelled: bool) -> str:
    gap = summary.get("gap")
    gap_text = f", gap {100 * gap:.3f} %" if isinstance(gap, int | float) else ""
    verified = "verified" if summary.get("verified") else "NOT verified"
    if solve_status == "interrupted":
        who = "cancelled" if cancelled else f"stopped ({summary.get('interrupted_by') or 'signal'})"
        return f"{who}: best plan kept, {verified}{gap_text}" if summary.get("objective") is not None else \
            f"{who} before any plan was found"
    if solve_status in ("optimal", "feasible"):
        return f"{solve_status}, {verified}{gap_text}"
    detail = summary.get("message") or ""
    diagnosis = summary.get("diagnosis") or []
    if diagnosis:
        detail = (detail + "; " if detail else "") + "; ".join(str(d) for d in diagnosis[:5])
    return f"{solve_status}" + (f": {detail}" if detail else "")


def _figures_json(path: Path, figures: list[tuple[str, Any]]) -> None:
    from plantwise.report.html import write_atomic

    data = [{"section": section, "figure": json.loads(fig.to_json())} for section, fig in figures]
    write_atomic(path, json.dumps(data).encode("utf-8"))


def write_figures(path: Path, fam: Any, instance: Any, plan_folder: Path) -> None:
    """``figures.json`` of a plan folder made elsewhere: its report rebuilt (in a scratch
    folder) with the figures captured."""
    import tempfile

    from plantwise.report.html import capture_figures

    plan = fam.load_plan(plan_folder)
    with tempfile.TemporaryDirectory(prefix="plantwise-figures-") as tmp, capture_figures() as figures:
        fam.write_report(instance, plan, Path(tmp))
    _figures_json(path, figures)


# ---------------------------------------------------------------------- process entry points


def worker_main(settings_values: dict[str, Any], parent_pid: int) -> None:
    """A local worker process: claims and executes runs until its server goes away or it is
    told to stop (SIGTERM: the running solve stops and keeps its best plan, then the process
    ends). Ctrl-C in the server's terminal reaches only the server (own process group)."""
    with contextlib.suppress(OSError):
        os.setpgrp()
    settings = WorkspaceSettings(**settings_values)
    engine = make_engine(settings.url)
    token = new_token()
    stopping = threading.Event()

    def _term(_signum: int, _frame: object) -> None:
        stopping.set()
        interrupt.request_stop("server stopping")

    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while not stopping.is_set():
        if os.getppid() != parent_pid:
            os._exit(0)
        try:
            run_id = claim(engine, token)
        except Exception:
            run_id = None
        if run_id is None:
            stopping.wait(IDLE_POLL)
            continue
        execute(engine, settings, run_id, token, parent_pid)
        if interrupt.stop_reason() in ("SIGTERM", "server stopping"):
            break
        signal.signal(signal.SIGTERM, _term)  # the pipeline restores the handlers it found
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        from plantwise.core.backends.highs import running_abandoned_solves

        if running_abandoned_solves():  # a C++ solve still unwinding: start afresh (the supervisor respawns)
            os._exit(0)
    sys.stdout.flush()
    os._exit(0)


def execute_remote(settings_values: dict[str, Any], run_id: str, token: str) -> str:
    """One run as a Ray task (the cluster reaches the store's database and data folder)."""
    settings = WorkspaceSettings(**settings_values)
    return execute(make_engine(settings.url), settings, run_id, token)
