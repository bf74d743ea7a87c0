"""The REST API (``/api``): families, datasets, runs, compare. OpenAPI at ``/docs``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantwise.core.errors import InputErrors
from plantwise.core.family import families, get_family
from plantwise.workspace import datasets as ds
from plantwise.workspace import runs as rs
from plantwise.workspace import views
from plantwise.workspace.models import Dataset, Run
from plantwise.workspace.schemas import (
    CompareOut,
    DatasetOut,
    ErrorOut,
    FamilyOut,
    GenerateIn,
    PlanOut,
    ReplanIn,
    RunDetail,
    RunIn,
    RunOut,
    ScenarioIn,
    TablePage,
)

NOT_FOUND = {404: {"model": ErrorOut, "description": "no such dataset or run"}}
INVALID = {422: {"model": ErrorOut, "description": "invalid input: every defect with file, row and column"}}
TOO_LARGE = {413: {"model": ErrorOut, "description": "upload larger than the server accepts"}}
UNPARSABLE = {400: {"model": ErrorOut, "description": "the body cannot be parsed (not UTF-8 JSON, or a broken form)"}}
CONFLICT = {409: {"model": ErrorOut, "description": "the run has no plan (yet)"}}
BINARY = {"application/zip": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}

# every operation validates its parameters: a request that does not fit is answered 422 with
# ErrorOut (app.py's handler), so the document says so for each (not FastAPI's HTTPValidationError)
router = APIRouter(prefix="/api", responses=INVALID)


class ApiError(Exception):
    """An error answered as ``ErrorOut`` with ``status``."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail, "errors": self.errors}, status_code=self.status)


def session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as s:
        yield s


SessionDep = Annotated[Session, Depends(session)]


def settings_of(request: Request) -> Any:
    return request.app.state.settings


def _dataset(s: Session, dataset_id: str) -> Dataset:
    row = s.get(Dataset, dataset_id)
    if row is None:
        raise ApiError(404, f"no dataset {dataset_id!r}")
    return row


def _run(s: Session, run_id: str) -> Run:
    row = s.get(Run, run_id)
    if row is None:
        raise ApiError(404, f"no run {run_id!r}")
    return row


def _family(name: str) -> Any:
    try:
        return get_family(name)
    except (KeyError, ValueError):
        raise ApiError(422, f"unknown family {name!r}; choose one of {', '.join(families())}") from None


def dataset_out(row: Dataset, with_changes: bool = True) -> dict[str, Any]:
    return {"id": row.id, "family": row.family, "name": row.name, "version": row.version, "base_id": row.base_id,
            "source": row.source, "created_at": rs._iso(row.created_at), "checksum": row.checksum,
            "description": row.description or "", "files": list(row.files or []), "options": dict(row.options or {}),
            "size": dict(row.size or {}), "changes": dict(row.changes or {}) if with_changes else {}}


def family_out(fam: Any) -> dict[str, Any]:
    methods = []
    for m in fam.methods.values():
        params = [{"name": f.name, "default": views.plain(f.default) if not callable(f.default) else None,
                   "help": f.metadata.get("help", ""), "unit": f.metadata.get("unit", ""),
                   "choices": list(f.metadata["choices"]) if f.metadata.get("choices") else None,
                   "minimum": f.metadata.get("minimum"), "type": ds._kind(f.type)}
                  for f in dataclasses.fields(m.params_type)]
        methods.append({"name": m.name, "doc": m.doc, "proves_bound": m.proves_bound, "params": params})
    if fam.choose_method is not None:
        methods.insert(0, {"name": "auto", "doc": "let plantwise choose the method for the instance",
                           "proves_bound": True, "params": []})
    return {"name": fam.name, "document": fam.document, "title": fam.title, "sense": fam.sense,
            "default_method": "auto" if fam.choose_method else fam.default_method, "methods": methods,
            "generator": [p | {"default": views.plain(p["default"])} for p in ds.generator_options(fam)],
            "decisions": [d.label for d in fam.decisions]}


# ---------------------------------------------------------------------- families


@router.get("/health", tags=["server"])
def health(request: Request) -> dict[str, Any]:
    """The server is up; the executor and its live workers."""
    sup = request.app.state.supervisor
    return {"status": "ok", "executor": request.app.state.settings.executor,
            "workers": len(sup.worker_pids()) if sup is not None else 0}


@router.get("/families", response_model=list[FamilyOut], tags=["families"])
def list_families() -> list[dict[str, Any]]:
    """Every family with its methods (and their parameters) and its generator's options."""
    return [family_out(f) for f in families().values()]


# ---------------------------------------------------------------------- datasets


@router.get("/datasets", response_model=list[DatasetOut], tags=["datasets"])
def list_datasets(s: SessionDep, family: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200
                  ) -> list[dict[str, Any]]:
    """Datasets, newest first (``family`` filters)."""
    query = select(Dataset).order_by(Dataset.created_at.desc(), Dataset.id).limit(limit)
    if family:
        query = query.where(Dataset.family == family)
    return [dataset_out(r, with_changes=False) for r in s.scalars(query)]


@router.post("/datasets", status_code=201, response_model=DatasetOut, responses=UNPARSABLE | INVALID | TOO_LARGE,
             tags=["datasets"])
async def upload_dataset(request: Request, s: SessionDep, family: Annotated[str, Form()],
                         file: Annotated[UploadFile, File(description="a zip of the CSV files or an .xlsx workbook")],
                         name: Annotated[str, Form(max_length=200)] = "",
                         description: Annotated[str, Form(max_length=2000)] = "") -> dict[str, Any]:
    """Upload an instance (CSV zip or Excel workbook). Every defect is reported with file, row
    and column (422), and nothing is stored then."""
    settings = settings_of(request)
    _family(family)
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise ApiError(413, f"the upload is larger than {settings.max_upload_bytes:,} bytes")
    try:
        row = await asyncio.to_thread(ds.upload, s, settings, family, name, file.filename or "", data, description)
    except ds.InvalidInstance as exc:
        raise ApiError(422, f"{file.filename}: {len(exc.errors)} defect(s); nothing was stored", exc.errors) from None
    except ds.UploadRejected as exc:
        raise ApiError(422, str(exc)) from None
    return dataset_out(row)


@router.post("/datasets/generate", status_code=201, response_model=DatasetOut, responses=UNPARSABLE | INVALID,
             tags=["datasets"])
async def generate_dataset(request: Request, s: SessionDep, body: GenerateIn) -> dict[str, Any]:
    """A dataset from the family's generator (options as in ``GET /api/families``)."""
    fam = _family(body.family)
    try:
        row = await asyncio.to_thread(ds.generate, s, settings_of(request), fam.name, body.name, body.options)
    except (ValueError, TypeError) as exc:
        raise ApiError(422, str(exc)) from None
    except ds.InvalidInstance as exc:
        raise ApiError(422, "the generated instance is invalid", exc.errors) from None
    return dataset_out(row)


@router.get("/datasets/{dataset_id}", response_model=DatasetOut, responses=NOT_FOUND, tags=["datasets"])
def get_dataset(s: SessionDep, dataset_id: str) -> dict[str, Any]:
    """A dataset; a scenario's ``changes`` is its diff against its base."""
    return dataset_out(_dataset(s, dataset_id))


@router.get("/datasets/{dataset_id}/tables/{table}", response_model=TablePage, responses=NOT_FOUND,
            tags=["datasets"])
def dataset_table(request: Request, s: SessionDep, dataset_id: str, table: str, q: str = "", sort: str = "",
                  desc: bool = False, offset: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=views.MAX_PAGE)] = 200) -> dict[str, Any]:
    """One input table, filtered (``q``: text, or ``column=value``), sorted and paged."""
    row = _dataset(s, dataset_id)
    try:
        frame = ds.read_table(settings_of(request), row, table)
    except KeyError:
        raise ApiError(404, f"dataset {dataset_id} has no table {table!r}") from None
    return views.table_page(frame, q=q, sort=sort, desc=desc, offset=offset, limit=limit)


@router.get("/datasets/{dataset_id}/download", responses=NOT_FOUND | {200: {"content": BINARY}},
            response_class=Response, tags=["datasets"])
def download_dataset(request: Request, s: SessionDep, dataset_id: str,
                     format: Annotated[str, Query(pattern="^(zip|xlsx)$")] = "zip") -> Response:
    """The dataset as a CSV zip or as the family's Excel workbook (both load in the CLI and upload)."""
    row = _dataset(s, dataset_id)
    settings = settings_of(request)
    stem = f"{row.family}-{_slug(row.name)}-v{row.version}"
    if format == "xlsx":
        return _attachment(ds.instance_workbook(settings, row), f"{stem}.xlsx")
    return _attachment(ds.zip_folder(ds.instance_dir(settings, row.id)), f"{stem}.zip")


@router.post("/datasets/{dataset_id}/scenarios", status_code=201, response_model=DatasetOut,
             responses=UNPARSABLE | NOT_FOUND | INVALID, tags=["datasets"])
async def derive_scenario(request: Request, s: SessionDep, dataset_id: str, body: ScenarioIn) -> dict[str, Any]:
    """A scenario: a new dataset version made from this one with cells edited; its
    ``changes`` is the diff against this base."""
    base = _dataset(s, dataset_id)
    try:
        row = await asyncio.to_thread(ds.derive, s, settings_of(request), base, body.name,
                                      [e.model_dump() for e in body.edits], None, body.description)
    except ds.InvalidInstance as exc:
        raise ApiError(422, f"the scenario is invalid: {len(exc.errors)} defect(s); nothing was stored",
                       exc.errors) from None
    return dataset_out(row)


@router.post("/datasets/{dataset_id}/scenarios/upload", status_code=201, response_model=DatasetOut,
             responses=UNPARSABLE | NOT_FOUND | INVALID | TOO_LARGE, tags=["datasets"])
async def derive_scenario_from_files(request: Request, s: SessionDep, dataset_id: str,
                                     files: Annotated[list[UploadFile], File(description="changed tables")],
                                     name: Annotated[str, Form(max_length=200)] = "",
                                     description: Annotated[str, Form(max_length=2000)] = "") -> dict[str, Any]:
    """A scenario with whole tables replaced by uploaded files (same file names as the base's)."""
    base = _dataset(s, dataset_id)
    settings = settings_of(request)
    contents: dict[str, bytes] = {}
    total = 0
    for f in files:
        data = await f.read(settings.max_upload_bytes + 1)
        total += len(data)
        if total > settings.max_upload_bytes:
            raise ApiError(413, f"the upload is larger than {settings.max_upload_bytes:,} bytes")
        contents[f.filename or ""] = data
    try:
        row = await asyncio.to_thread(ds.derive, s, settings, base, name, [], contents, description)
    except ds.InvalidInstance as exc:
        raise ApiError(422, f"the scenario is invalid: {len(exc.errors)} defect(s); nothing was stored",
                       exc.errors) from None
    return dataset_out(row)


# ---------------------------------------------------------------------- runs


@router.post("/runs", status_code=202, response_model=RunOut, responses=UNPARSABLE | NOT_FOUND | INVALID,
             tags=["runs"])
def submit_run(request: Request, response: Response, s: SessionDep, body: RunIn) -> dict[str, Any]:
    """Queue a solve of a dataset (202 with the run; poll ``GET /api/runs/{id}`` or follow
    ``/api/runs/{id}/events``)."""
    dataset = _dataset(s, body.dataset_id)
    options = {"time_limit": body.time_limit, "mip_gap": body.mip_gap, "seed": body.seed,
               "work_limit": body.work_limit, "solver_log": body.solver_log}
    try:
        run = rs.submit(s, dataset, body.method, options, body.params, body.label)
    except (ValueError, TypeError) as exc:
        raise ApiError(422, str(exc)) from None
    response.headers["Location"] = f"/api/runs/{run.id}"
    return rs.public(run)


@router.get("/runs", response_model=list[RunOut], tags=["runs"])
def list_runs(s: SessionDep, family: str | None = None, status: str | None = None, dataset_id: str | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """Runs, newest first."""
    query = select(Run).order_by(Run.created_at.desc(), Run.id).limit(limit)
    if family:
        query = query.where(Run.family == family)
    if status:
        query = query.where(Run.status == status)
    if dataset_id:
        query = query.where(Run.dataset_id == dataset_id)
    return [rs.public(r) for r in s.scalars(query)]


@router.get("/runs/{run_id}", response_model=RunDetail, responses=NOT_FOUND, tags=["runs"])
def get_run(request: Request, s: SessionDep, run_id: str) -> dict[str, Any]:
    """A run: status, progress (incumbent, bound, gap, phase), and when final its summary."""
    run = _run(s, run_id)
    return rs.public(run) | {"summary": run.summary,
                             "artifacts": views.artifacts(rs.plan_dir(settings_of(request), run_id))}


@router.get("/runs/{run_id}/events", responses=NOT_FOUND | {200: {"content": {"text/event-stream": {}}}},
            response_class=StreamingResponse, tags=["runs"])
async def run_events(request: Request, run_id: str) -> StreamingResponse:
    """Server-sent events: the run (as ``GET /api/runs/{id}``, without the summary) whenever it
    changes, until it is final."""
    sessions = request.app.state.sessions
    with sessions() as s:
        _run(s, run_id)

    async def stream() -> AsyncIterator[str]:
        last = None
        for _ in range(7200 * 2):
            with sessions() as s:
                run = s.get(Run, run_id)
                state = rs.public(run) if run is not None else None
            if state is None:
                return
            text = json.dumps(state)
            if text != last:
                last = text
                yield f"event: run\ndata: {text}\n\n"
            else:
                yield ": keep-alive\n\n"
            if rs.is_final(state["status"]) or await request.is_disconnected():
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/runs/{run_id}/replan", status_code=202, response_model=RunOut,
             responses=NOT_FOUND | INVALID | UNPARSABLE, tags=["runs"])
def replan_run(request: Request, response: Response, s: SessionDep, run_id: str, body: ReplanIn) -> dict[str, Any]:
    """Queue the re-plan of this run's plan after a changes file (docs/replanning.md): history
    kept, the fence kept unless infeasible, each change beyond it penalised. The new run's
    ``parent_id`` is this run; its dataset becomes the changed instance (a scenario of this
    run's dataset); its plan folder holds ``changes.csv``. A defect of the changes is a 422
    naming the event and the field."""
    parent = _run(s, run_id)
    try:
        run = rs.submit_replan(s, settings_of(request), parent, body.changes,
                               {"time_limit": body.time_limit, "mip_gap": body.mip_gap}, body.label)
    except InputErrors as exc:
        raise ApiError(422, f"the changes are invalid: {len(exc.errors)} defect(s)", ds.error_dicts(exc)) from None
    except (ValueError, TypeError) as exc:
        raise ApiError(422, str(exc)) from None
    response.headers["Location"] = f"/api/runs/{run.id}"
    return rs.public(run)


@router.post("/runs/{run_id}/cancel", status_code=202, response_model=RunOut, responses=NOT_FOUND, tags=["runs"])
def cancel_run(request: Request, s: SessionDep, run_id: str) -> dict[str, Any]:
    """Cancel: a queued run is cancelled; a running one stops and keeps its best plan
    (``interrupted``); a final run is left as it is."""
    _run(s, run_id)
    run = rs.cancel(s, settings_of(request), run_id)
    return rs.public(run)  # type: ignore[arg-type]


@router.get("/runs/{run_id}/log", response_class=Response,  # errors are JSON (ErrorOut), the log text/plain
            responses=NOT_FOUND | {200: {"content": {"text/plain": {}}}}, tags=["runs"])
def run_log(request: Request, s: SessionDep, run_id: str, offset: Annotated[int, Query(ge=0)] = 0) -> PlainTextResponse:
    """The run's log (plantwise's lines and the solver's output) from byte ``offset``."""
    _run(s, run_id)
    path = rs.run_dir(settings_of(request), run_id) / "log.txt"
    if not path.is_file():
        return PlainTextResponse("", headers={"X-Log-Size": "0"})
    with open(path, "rb") as fh:
        offset = min(offset, os.fstat(fh.fileno()).st_size)  # past the end: nothing new (not a seek error)
        fh.seek(offset)
        data = fh.read(2_000_000)
    return PlainTextResponse(data.decode("utf-8", errors="replace"),
                             headers={"X-Log-Size": str(offset + len(data))})


@router.get("/runs/{run_id}/plan", response_model=PlanOut, responses=NOT_FOUND | CONFLICT, tags=["runs"])
def run_plan(request: Request, s: SessionDep, run_id: str) -> dict[str, Any]:
    """The plan: its summary, its verification and its tables."""
    run = _run(s, run_id)
    folder = _plan_folder(request, run)
    summary = run.summary or {}
    return {"run_id": run.id, "family": run.family, "summary": summary, "tables": views.plan_tables(folder),
            "verification": {"verified": bool(summary.get("verified")), "violations": summary.get("violations") or []}}


@router.get("/runs/{run_id}/plan/{table}", response_model=TablePage, responses=NOT_FOUND | CONFLICT, tags=["runs"])
def run_plan_table(request: Request, s: SessionDep, run_id: str, table: str, q: str = "", sort: str = "",
                   desc: bool = False, offset: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=views.MAX_PAGE)] = 200) -> dict[str, Any]:
    """One plan table, filtered, sorted and paged (as the dataset tables)."""
    folder = _plan_folder(request, _run(s, run_id))
    if table not in views.plan_tables(folder):
        raise ApiError(404, f"the plan has no table {table!r}")
    return views.table_page(views.read_csv(folder / f"{table}.csv"), q=q, sort=sort, desc=desc, offset=offset,
                            limit=limit)


@router.get("/runs/{run_id}/artifacts", response_model=list[dict[str, Any]], responses=NOT_FOUND, tags=["runs"])
def run_artifacts(request: Request, s: SessionDep, run_id: str) -> list[dict[str, Any]]:
    """The plan folder's files (the CLI's: CSVs, ``summary.json``, ``report.html``)."""
    _run(s, run_id)
    return views.artifacts(rs.plan_dir(settings_of(request), run_id))


@router.get("/runs/{run_id}/artifacts/{name}", response_class=Response,
            responses=NOT_FOUND | {200: {"content": {"text/csv": {}, "text/html": {}, "application/json": {},
                                                     "text/javascript": {}}}}, tags=["runs"])
def run_artifact(request: Request, s: SessionDep, run_id: str, name: str) -> Response:
    """One file of the plan folder, by its name as listed (no paths)."""
    _run(s, run_id)
    folder = rs.plan_dir(settings_of(request), run_id)
    names = {a["name"] for a in views.artifacts(folder)}
    if name not in names:
        raise ApiError(404, f"the run has no artifact {name!r}")
    media = {".csv": "text/csv", ".html": "text/html", ".json": "application/json", ".js": "text/javascript"}
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return Response((folder / name).read_bytes(), media_type=media.get(suffix, "application/octet-stream"))


@router.get("/runs/{run_id}/download", response_class=Response,
            responses=NOT_FOUND | CONFLICT | {200: {"content": BINARY}}, tags=["runs"])
def download_run(request: Request, s: SessionDep, run_id: str,
                 format: Annotated[str, Query(pattern="^(zip|xlsx)$")] = "zip") -> Response:
    """The plan as a zip of the plan folder or as an Excel workbook (a sheet per table and the summary)."""
    run = _run(s, run_id)
    folder = _plan_folder(request, run)
    stem = f"{run.family}-run-{run.id[:8]}"
    if format == "xlsx":
        frames = {name: views.read_csv(folder / f"{name}.csv") for name in views.plan_tables(folder)}
        summary = run.summary or {}
        rows = {k: v for k, v in summary.items() if not isinstance(v, dict | list)}
        rows |= {f"kpi {k}": v for k, v in (summary.get("kpis") or {}).items() if not isinstance(v, dict | list)}
        rows |= {f"cost {k}": v for k, v in (summary.get("cost_breakdown") or {}).items()}
        return _attachment(ds.workbook_bytes({"summary": _summary_frame(rows)} | frames), f"{stem}.xlsx")
    return _attachment(ds.zip_folder(folder), f"{stem}.zip")


def _summary_frame(rows: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame({"key": list(rows), "value": [views.plain(v) for v in rows.values()]})


# ---------------------------------------------------------------------- compare


@router.get("/compare", response_model=CompareOut, responses=NOT_FOUND | INVALID | CONFLICT, tags=["compare"])
def compare_runs(request: Request, s: SessionDep,
                 runs: Annotated[list[str], Query(description="two or more run ids of one family")]) -> dict[str, Any]:
    """Runs side by side: headline figures, KPIs, cost breakdown, and the decisions that differ
    from the first run's."""
    if len(runs) < 2:
        raise ApiError(422, "compare needs at least two runs")
    rows = [_run(s, r) for r in runs]
    folders = [_plan_folder(request, r) for r in rows]
    try:
        return views.compare(rows, folders)
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None


# ---------------------------------------------------------------------- helpers


def _plan_folder(request: Request, run: Run) -> Any:
    folder = rs.plan_dir(settings_of(request), run.id)
    if not (folder / "summary.json").is_file() or not views.plan_tables(folder):
        raise ApiError(409, f"run {run.id} has no plan ({run.status})")
    return folder


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "dataset"


def _attachment(data: bytes, filename: str) -> Response:
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if filename.endswith(".xlsx")
             else "application/zip")
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


__all__ = ["ApiError", "HTTPException", "router"]
