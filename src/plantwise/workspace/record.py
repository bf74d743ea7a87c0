"""Recording a plan made outside the workspace (``plantwise demo``) in the workspace store, so
``plantwise serve`` shows it beside the runs made in the browser."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from plantwise.core.family import get_family
from plantwise.core.summary import total_seconds
from plantwise.core.tables import read_summary
from plantwise.workspace import datasets as ds
from plantwise.workspace.models import Run, utcnow
from plantwise.workspace.runs import append_log, plan_dir, run_dir, share_assets, status_of_solve
from plantwise.workspace.settings import WorkspaceSettings


def record(settings: WorkspaceSettings, family: str, instance: Any, plan_folder: Path, name: str,
           source: str = "demo", label: str = "") -> tuple[str, str]:
    """Store ``instance`` as a dataset and the plan folder as a finished run of it; returns
    (dataset id, run id). The plan folder is copied, never moved."""
    from plantwise.workspace.app import open_store
    from plantwise.workspace.worker import write_figures

    fam = get_family(family)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            dataset = ds.store(session, settings, fam, instance, name, source)
            summary: dict[str, Any] = dict(read_summary(plan_folder))
            run = Run(id=ds.new_id(), family=family, dataset_id=dataset.id, label=label or source,
                      method=str(summary.get("method", fam.default_method)),
                      options=dict(summary.get("options") or {}), status="running", attempts=1, progress={},
                      message="", cancel_requested=False)
            folder = run_dir(settings, run.id)
            folder.mkdir(parents=True)
            shutil.copytree(plan_folder, folder / ".plan.tmp")
            (folder / ".plan.tmp").rename(plan_dir(settings, run.id))
            share_assets(settings, plan_dir(settings, run.id))
            write_figures(folder / "figures.json", fam, instance, plan_dir(settings, run.id))
            solve_status = str(summary.get("status"))
            run.status = status_of_solve(solve_status, bool(summary.get("verified")))
            run.solve_status = solve_status
            run.objective, run.bound, run.gap = summary.get("objective"), summary.get("bound"), summary.get("gap")
            run.verified, run.seconds, run.summary = bool(summary.get("verified")), total_seconds(summary), summary
            run.started_at = run.finished_at = utcnow()
            run.message = f"recorded from {source}: {solve_status}, " + ("verified" if run.verified else "NOT verified")
            session.add(run)
            session.commit()
            append_log(settings, run.id, f"{run.message} (plan folder {plan_folder})")
            return dataset.id, run.id
    finally:
        engine.dispose()
