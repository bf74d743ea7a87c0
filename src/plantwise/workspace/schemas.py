"""The REST API's request and response models (they make the OpenAPI document at ``/docs``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    file: str | None = None
    row: int | None = None
    column: str | None = None
    message: str


class ErrorOut(BaseModel):
    """An error: ``detail`` says what went wrong; ``errors`` lists an input's defects."""

    detail: str | list[Any]
    errors: list[ErrorItem] = []


class ParamOut(BaseModel):
    name: str
    default: Any = None
    help: str = ""
    unit: str = ""
    choices: list[str] | None = None
    minimum: float | None = None
    type: str = "str"


class MethodOut(BaseModel):
    name: str
    doc: str
    proves_bound: bool
    params: list[ParamOut]


class FamilyOut(BaseModel):
    name: str
    document: str
    title: str
    sense: str
    default_method: str
    methods: list[MethodOut]
    generator: list[ParamOut]
    decisions: list[str]


class DatasetOut(BaseModel):
    id: str
    family: str
    name: str
    version: int
    base_id: str | None
    source: str
    created_at: str | None
    checksum: str
    description: str
    files: list[str]
    options: dict[str, Any]
    size: dict[str, int]
    changes: dict[str, Any] = {}


class GenerateIn(BaseModel):
    family: str = Field(description="offload, e2e, schedule or acceptance")
    name: str = Field("", max_length=200)
    options: dict[str, Any] = Field(default_factory=dict, description="the generator's options (GET /api/families)")


class CellEdit(BaseModel):
    table: str
    row: int = Field(description="0-based data row of the stored table")
    column: str
    value: str | float | int | None


class ScenarioIn(BaseModel):
    name: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)
    edits: list[CellEdit] = Field(default_factory=list, max_length=10000)


class RunIn(BaseModel):
    dataset_id: str
    method: str | None = Field(None, description="a method of the dataset's family; default: auto or the default")
    label: str = Field("", max_length=200)
    time_limit: float | None = Field(60.0, description="seconds", gt=0, le=86400)
    mip_gap: float | None = Field(1e-4, ge=0, lt=1)
    seed: int | None = Field(0, ge=0, le=2**31 - 1)
    work_limit: float | None = Field(None, gt=0, le=1e7, description="CP-SAT deterministic time")
    solver_log: bool = True
    params: dict[str, Any] = Field(default_factory=dict, description="the method's own parameters")


class RunOut(BaseModel):
    id: str
    family: str
    dataset_id: str
    label: str
    method: str
    options: dict[str, Any]
    status: str = Field(description="queued, running, succeeded, failed, cancelled or interrupted")
    solve_status: str | None
    cancel_requested: bool
    attempts: int
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    progress: dict[str, Any]
    objective: float | None
    bound: float | None
    gap: float | None
    verified: bool | None
    seconds: float | None
    message: str
    kind: str = Field("solve", description="solve, or replan (a re-plan of parent_id after changes)")
    parent_id: str | None = None
    changes: dict[str, Any] | None = Field(None, description="a re-plan's changes file (docs/replanning.md)")


class ReplanIn(BaseModel):
    changes: dict[str, Any] = Field(description="the changes file as JSON: now, freeze_until, change_penalty, events")
    label: str = Field("", max_length=200)
    time_limit: float | None = Field(60.0, gt=0, le=86400)
    mip_gap: float | None = Field(1e-4, ge=0, lt=1)


class RunDetail(RunOut):
    summary: dict[str, Any] | None = Field(None, description="the contract's summary.json (summary.schema.json)")
    artifacts: list[dict[str, Any]] = []


class TableInfo(BaseModel):
    rows: int
    columns: list[str]


class PlanOut(BaseModel):
    run_id: str
    family: str
    summary: dict[str, Any]
    tables: dict[str, TableInfo]
    verification: dict[str, Any]


class TablePage(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]
    total: int
    offset: int
    limit: int
    problems: list[str] = []


class CompareRow(BaseModel):
    key: str
    values: list[Any]


class DecisionDiff(BaseModel):
    table: str
    label: str
    reference: str
    other: str
    count: int
    columns: list[str]
    rows: list[list[Any]]


class CompareOut(BaseModel):
    family: str
    sense: str
    runs: list[str]
    headline: list[CompareRow]
    kpis: list[CompareRow]
    cost_breakdown: list[CompareRow]
    decisions: list[DecisionDiff]
    objective: list[float | None]
