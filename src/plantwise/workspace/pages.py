"""The workspace's pages: server-rendered Jinja2 templates over the same operations as the API.

Every page works with plain forms (each POST answers with a redirect, or the page again
with the errors); JavaScript adds the live parts — the run's progress by server-sent events
(polling ``/api/runs/{id}`` where EventSource fails), the log's tail, the figures (plotly,
served from the installed package: nothing comes from the internet) and cell editing for
scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from plantwise.core.family import families, get_family
from plantwise.workspace import api, views
from plantwise.workspace import datasets as ds
from plantwise.workspace import runs as rs
from plantwise.workspace.models import Dataset, Run

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
pages = APIRouter(include_in_schema=False)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.{digits}f}"
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(value: Any) -> str:
    return f"{100 * value:.3f} %" if isinstance(value, int | float) and not isinstance(value, bool) else "–"


templates.env.filters["fmt"] = _fmt
templates.env.filters["pct"] = _pct


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context |= {"families": [api.family_out(f) for f in families().values()]}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _session(request: Request) -> Any:
    return request.app.state.sessions()


def _settings(request: Request) -> Any:
    return request.app.state.settings


# ---------------------------------------------------------------------- index and lists


@pages.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    with _session(request) as s:
        datasets = [api.dataset_out(d, False) for d in s.scalars(
            select(Dataset).order_by(Dataset.created_at.desc()).limit(15))]
        runs = [rs.public(r) for r in s.scalars(select(Run).order_by(Run.created_at.desc()).limit(15))]
    return _render(request, "index.html", datasets=datasets, runs=runs, errors=[], message="")


@pages.get("/assets/plotly.min.js")
def plotly_asset() -> Response:
    from plantwise.report.html import plotly_js

    return Response(plotly_js(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


@pages.get("/datasets", response_class=HTMLResponse)
def datasets_page(request: Request, family: str = "") -> HTMLResponse:
    with _session(request) as s:
        query = select(Dataset).order_by(Dataset.created_at.desc()).limit(500)
        if family:
            query = query.where(Dataset.family == family)
        rows = [api.dataset_out(d, False) for d in s.scalars(query)]
    return _render(request, "datasets.html", datasets=rows, family=family, errors=[], message="")


@pages.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, family: str = "", status: str = "") -> HTMLResponse:
    with _session(request) as s:
        query = select(Run, Dataset).join(Dataset, Run.dataset_id == Dataset.id).order_by(Run.created_at.desc()
                                                                                          ).limit(500)
        if family:
            query = query.where(Run.family == family)
        if status:
            query = query.where(Run.status == status)
        rows = [rs.public(r) | {"dataset": f"{d.name} v{d.version}"} for r, d in s.execute(query)]
    return _render(request, "runs.html", runs=rows, family=family, status=status)


# ---------------------------------------------------------------------- datasets


@pages.post("/ui/datasets/upload", response_model=None)
async def ui_upload(request: Request, family: Annotated[str, Form()], file: Annotated[UploadFile, File()],
                    name: Annotated[str, Form()] = "") -> Response:
    settings = _settings(request)
    data = await file.read(settings.max_upload_bytes + 1)
    errors: list[dict[str, Any]] = []
    message = ""
    with _session(request) as s:
        try:
            if len(data) > settings.max_upload_bytes:
                raise ds.UploadRejected(f"the upload is larger than {settings.max_upload_bytes:,} bytes")
            get_family(family)
            row = ds.upload(s, settings, family, name, file.filename or "", data)
            return RedirectResponse(f"/datasets/{row.id}", status_code=303)
        except ds.InvalidInstance as exc:
            errors, message = exc.errors, f"{file.filename}: {len(exc.errors)} defect(s); nothing was stored"
        except (ds.UploadRejected, ValueError, KeyError) as exc:
            message = str(exc)
        rows = [api.dataset_out(d, False) for d in s.scalars(
            select(Dataset).order_by(Dataset.created_at.desc()).limit(500))]
    return _render(request, "datasets.html", status_code=422, datasets=rows, family="", errors=errors,
                   message=message)


@pages.post("/ui/datasets/generate", response_model=None)
async def ui_generate(request: Request) -> Response:
    form = await request.form()
    family = str(form.get("family", ""))
    prefix = f"gen.{family}."
    options = {k[len(prefix):]: v for k, v in form.items() if k.startswith(prefix) and str(v) != ""}
    with _session(request) as s:
        try:
            row = ds.generate(s, _settings(request), family, str(form.get("name", "")), options)
            return RedirectResponse(f"/datasets/{row.id}", status_code=303)
        except (ValueError, TypeError, KeyError) as exc:
            message = str(exc)
        rows = [api.dataset_out(d, False) for d in s.scalars(
            select(Dataset).order_by(Dataset.created_at.desc()).limit(500))]
    return _render(request, "datasets.html", status_code=422, datasets=rows, family="", errors=[], message=message)


def _dataset_context(request: Request, s: Any, row: Dataset, table: str, q: str, sort: str, desc: bool,
                     offset: int) -> dict[str, Any]:
    settings = _settings(request)
    tables = [f[:-4] for f in row.files if f.endswith(".csv")]
    table = table if table in tables else (tables[0] if tables else "")
    page = views.table_page(ds.read_table(settings, row, table), q=q, sort=sort, desc=desc, offset=offset,
                            limit=100) if table else None
    settings_text = ""
    yaml_path = ds.instance_dir(settings, row.id) / ds.SETTINGS_FILE
    if yaml_path.is_file():
        settings_text = yaml_path.read_text(encoding="utf-8")
    base = s.get(Dataset, row.base_id) if row.base_id else None
    runs = [rs.public(r) for r in s.scalars(select(Run).where(Run.dataset_id == row.id)
                                            .order_by(Run.created_at.desc()).limit(100))]
    versions = [api.dataset_out(d, False) for d in s.scalars(
        select(Dataset).where(Dataset.family == row.family, Dataset.name == row.name).order_by(Dataset.version))]
    return {"dataset": api.dataset_out(row), "tables": tables, "table": table, "page": page, "q": q, "sort": sort,
            "desc": desc, "settings_text": settings_text, "base": api.dataset_out(base, False) if base else None,
            "runs": runs, "versions": versions, "family": api.family_out(get_family(row.family))}


@pages.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_page(request: Request, dataset_id: str, table: str = "", q: str = "", sort: str = "",
                 desc: bool = False, offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    with _session(request) as s:
        row = s.get(Dataset, dataset_id)
        if row is None:
            return _not_found(request, "dataset", dataset_id)
        context = _dataset_context(request, s, row, table, q, sort, desc, offset)
    return _render(request, "dataset.html", errors=[], message="", **context)


@pages.post("/ui/datasets/{dataset_id}/scenario", response_model=None)
async def ui_scenario(request: Request, dataset_id: str, name: Annotated[str, Form()] = "",
                      edits: Annotated[str, Form()] = "[]", description: Annotated[str, Form()] = "",
                      files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    settings = _settings(request)
    contents: dict[str, bytes] = {}
    for f in files or []:
        if f.filename:
            contents[f.filename] = await f.read(settings.max_upload_bytes + 1)
    with _session(request) as s:
        base = s.get(Dataset, dataset_id)
        if base is None:
            return _not_found(request, "dataset", dataset_id)
        errors: list[dict[str, Any]] = []
        try:
            parsed = json.loads(edits or "[]")
            if not isinstance(parsed, list):
                raise ValueError("edits must be a list")
            row = ds.derive(s, settings, base, name, parsed, contents, description)
            return RedirectResponse(f"/datasets/{row.id}", status_code=303)
        except ds.InvalidInstance as exc:
            errors, message = exc.errors, f"the scenario is invalid: {len(exc.errors)} defect(s); nothing was stored"
        except ValueError as exc:
            message = f"the scenario is invalid: {exc}"
        context = _dataset_context(request, s, base, "", "", "", False, 0)
    return _render(request, "dataset.html", status_code=422, errors=errors, message=message, **context)


# ---------------------------------------------------------------------- runs


@pages.post("/ui/runs", response_model=None)
async def ui_submit(request: Request) -> Response:
    form = await request.form()
    dataset_id = str(form.get("dataset_id", ""))
    method = str(form.get("method", "")) or None
    with _session(request) as s:
        dataset = s.get(Dataset, dataset_id)
        if dataset is None:
            return _not_found(request, "dataset", dataset_id)
        fam = api.family_out(get_family(dataset.family))
        kinds = {p["name"]: p["type"] for m in fam["methods"] if m["name"] == method for p in m["params"]}
        prefix = f"param.{method}."
        try:
            params = {k[len(prefix):]: ds.cast(str(v), kinds.get(k[len(prefix):], "str"))
                      for k, v in form.items() if k.startswith(prefix) and str(v) != ""}
            options = {k: str(form[k]) for k in ("time_limit", "mip_gap", "seed", "work_limit")
                       if str(form.get(k, "")) != ""}
            options["solver_log"] = True
            run = rs.submit(s, dataset, method, options, params, str(form.get("label", "")))
            return RedirectResponse(f"/runs/{run.id}", status_code=303)
        except (ValueError, TypeError) as exc:
            context = _dataset_context(request, s, dataset, "", "", "", False, 0)
            return _render(request, "dataset.html", status_code=422, errors=[], message=f"cannot submit: {exc}",
                           **context)


@pages.post("/ui/runs/{run_id}/cancel", response_model=None)
def ui_cancel(request: Request, run_id: str) -> Response:
    with _session(request) as s:
        if s.get(Run, run_id) is None:
            return _not_found(request, "run", run_id)
        rs.cancel(s, _settings(request), run_id)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@pages.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, table: str = "", q: str = "", sort: str = "", desc: bool = False,
             offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    settings = _settings(request)
    with _session(request) as s:
        run = s.get(Run, run_id)
        if run is None:
            return _not_found(request, "run", run_id)
        dataset = s.get(Dataset, run.dataset_id)
        folder = rs.plan_dir(settings, run_id)
        tables = list(views.plan_tables(folder)) if folder.is_dir() else []
        table = table if table in tables else (tables[0] if tables else "")
        page = views.table_page(views.read_csv(folder / f"{table}.csv"), q=q, sort=sort, desc=desc, offset=offset,
                                limit=100) if table else None
        summary = run.summary or {}
        others = [rs.public(r) for r in s.scalars(select(Run).where(Run.family == run.family, Run.id != run.id,
                                                                    Run.status.in_(("succeeded", "interrupted")))
                                                  .order_by(Run.created_at.desc()).limit(50))]
        context = {
            "run": rs.public(run), "dataset": api.dataset_out(dataset, False) if dataset else None,
            "summary": summary, "kpis": {k: v for k, v in (summary.get("kpis") or {}).items()
                                         if not isinstance(v, dict | list)},
            "costs": summary.get("cost_breakdown") or {}, "violations": summary.get("violations") or [],
            "figures": views.read_figures(rs.run_dir(settings, run_id) / "figures.json"),
            "history": views.progress_history(rs.run_dir(settings, run_id) / "progress.jsonl"),
            "tables": tables, "table": table, "page": page, "q": q, "sort": sort, "desc": desc,
            "artifacts": views.artifacts(folder), "others": others, "final": rs.is_final(run.status),
            "can_replan": get_family(run.family).replan is not None and run.status in ("succeeded", "interrupted"),
            "replan_events": sorted(get_family(run.family).replan_events),
        }
    return _render(request, "run.html", replan_template=REPLAN_TEMPLATE, **context)


REPLAN_TEMPLATE = """now: 4
freeze_until: 7
change_penalty: 1000
events:
  - {kind: cancel_order, order: O0001}
"""


@pages.post("/ui/runs/{run_id}/replan", response_model=None)
def ui_replan(request: Request, run_id: str, changes: Annotated[str, Form()] = "",
              time_limit: Annotated[str, Form()] = "60", label: Annotated[str, Form()] = "") -> Response:
    import yaml

    from plantwise.core.errors import InputErrors

    with _session(request) as s:
        parent = s.get(Run, run_id)
        if parent is None:
            return _not_found(request, "run", run_id)
        try:
            data = yaml.safe_load(changes or "") or {}
            run = rs.submit_replan(s, _settings(request), parent, data, {"time_limit": time_limit or None}, label)
            return RedirectResponse(f"/runs/{run.id}", status_code=303)
        except InputErrors as exc:
            return _render(request, "error.html", status_code=422, message="the changes are invalid",
                           errors=[{"file": e.file, "row": e.row, "column": e.column, "message": e.message}
                                   for e in exc.errors])
        except (ValueError, yaml.YAMLError) as exc:
            return _render(request, "error.html", status_code=422, message=f"the changes are invalid: {exc}")


@pages.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, runs: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    ids = [r for r in (runs or []) if r]
    settings = _settings(request)
    with _session(request) as s:
        rows = [s.get(Run, r) for r in ids]
        missing = [r for r, row in zip(ids, rows, strict=True) if row is None]
        error = ""
        result = None
        if missing:
            error = f"no run {', '.join(missing)}"
        elif len(rows) < 2:
            error = "choose two or more runs of one family to compare"
        else:
            folders = [rs.plan_dir(settings, r.id) for r in rows]  # type: ignore[union-attr]
            lacking = [r.id for r, f in zip(rows, folders, strict=True) if not views.plan_tables(f)]  # type: ignore[union-attr]
            if lacking:
                error = f"run(s) {', '.join(lacking)} have no plan"
            else:
                try:
                    result = views.compare(rows, folders)  # type: ignore[arg-type]
                except ValueError as exc:
                    error = str(exc)
        public = [rs.public(r) for r in rows if r is not None]
    return _render(request, "compare.html", status_code=200 if result else 422, result=result, error=error,
                   runs=public)


def _not_found(request: Request, kind: str, ident: str) -> HTMLResponse:
    return _render(request, "error.html", status_code=404, message=f"no {kind} {ident!r}")
