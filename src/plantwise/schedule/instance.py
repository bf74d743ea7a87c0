"""Food-plant scheduling instances (document 002): goods, recipes, machines, calendar, costs.

Tables (one CSV each, or one sheet each of an ``.xlsx``), units in ``docs/models/schedule.md``:

* ``goods.csv`` finished goods (recipe + package), demand statistics, stock and costs;
* ``demand.csv`` forecast per good and period (periods ``1..P`` of working time);
* ``routes.csv`` each recipe's route: ``step`` order, ``stage``, eligible ``machine``,
  ``rate`` (units/h of input) and ``yield`` (output/input) of the step;
* ``machines.csv`` machine, its stage, setup minutes per job, cost per hour;
* ``stages.csv`` waste cost per unit lost at each stage;
* ``shelf_life.csv`` perishability: ``end(to_stage) - start(from_stage) <= max_hours``.

Disruptions (optional tables, written only when they have rows; re-planning writes them,
``docs/replanning-schedule.md``): ``machine_downtime.csv`` (a machine unavailable in
``[from_hour, to_hour)``), ``stock_adjustments.csv`` (a correction of a good's
end-of-period stock) and ``yield_losses.csv`` (units of a job's output lost).

``instance.yaml`` holds the calendar (weeks, days per week, shifts per day, hours per
shift, period length in hours), the generalised setup and labour costs per hour, the
reorder-point policy (``static`` or ``dynamic``) and optional batch-size levels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from plantwise.core.errors import ErrorCollector, InputError
from plantwise.core.scalars import ScalarSpec, check_scalars, decode_text, failed_keys
from plantwise.core.tables import (
    Column,
    Table,
    TableSpec,
    check_references,
    frames_checksum,
    index_of,
    load_instance,
    save_tables,
    tables_from_frames,
)

MINUTES_PER_HOUR = 60
MIN_BATCH = 0.01  # units: plans hold quantities to 0.01
MINUTES_PER_DAY = 24 * 60
DAYS_PER_WEEK = 7

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "goods",
        (
            Column("good", "str", unit="id", doc="finished good id (recipe + package type)"),
            Column("recipe", "str", unit="id", doc="recipe whose route (routes.csv) makes it"),
            Column("package", "str", required=False, default="", unit="text", doc="package type (informative)"),
            Column("annual_demand", "float", 0, required=False, default=None, unit="units",
                   doc="D_j of the EPQ; blank = the forecast over the horizon"),
            Column("mean_demand", "float", 0, required=False, default=None, unit="units/h",
                   doc="mean demand per working hour; blank = forecast / working hours"),
            Column("std_demand", "float", 0, required=False, default=0.0, unit="units/sqrt(h)",
                   doc="standard deviation of demand per working hour"),
            Column("service_level", "float", 0.5, required=False, default=0.99, unit="probability",
                   doc="psi_j, in [0.5, 1)"),
            Column("initial_inventory", "float", 0, required=False, default=0.0, unit="units",
                   doc="stock at the start"),
            Column("holding_cost", "float", 0, unit="currency/unit/period", doc="on end-of-period stock"),
            Column("stockout_cost", "float", 0, unit="currency/unit/period", doc="on unmet demand"),
            Column("order_cost", "float", 0, required=False, default=0.0, unit="currency/unit",
                   doc="per unit produced"),
            Column("safety_stock_cost", "float", 0, required=False, default=0.0, unit="currency/unit/period",
                   doc="per unit below the reorder point and period"),
            Column("unit_cost", "float", 0, required=False, default=0.0, unit="currency/unit",
                   doc="finished-good cost per unit produced"),
            Column("reorder_point", "float", 0, required=False, default=None, unit="units",
                   doc="static reorder point (policy static); blank = 0"),
            Column("batch_size", "float", MIN_BATCH, required=False, default=None, unit="units",
                   doc="output per job; blank = EPQ"),
            Column("min_batch", "float", MIN_BATCH, required=False, default=None, unit="units",
                   doc="with max_batch: the solver picks batch sizes in [min_batch, max_batch]"),
            Column("max_batch", "float", MIN_BATCH, required=False, default=None, unit="units",
                   doc="largest batch, with min_batch"),
        ),
        key=("good",),
        unknown_columns="error",
    ),
    TableSpec(
        "demand",
        (
            Column("good", "str", unit="id", doc="a good of goods.csv"),
            Column("period", "int", 1, unit="period", doc="an inventory period 1..P of the calendar"),
            Column("quantity", "float", 0, unit="units", doc="forecast demand in the period"),
        ),
        key=("good", "period"),
        unknown_columns="error",
    ),
    TableSpec(
        "routes",
        (
            Column("recipe", "str", unit="id", doc="a recipe"),
            Column("step", "int", 1, unit="step", doc="position in the route, 1..n"),
            Column("stage", "str", unit="id", doc="the step's stage (of stages.csv)"),
            Column("machine", "str", unit="id", doc="an eligible machine of the stage"),
            Column("rate", "float", 1e-9, unit="units/h", doc="input processed per hour"),
            Column("yield", "float", 1e-9, required=False, default=1.0, unit="output/input",
                   doc="in (0, 1], one value per step"),
        ),
        key=("recipe", "step", "machine"),
        unknown_columns="error",
    ),
    TableSpec(
        "machines",
        (
            Column("machine", "str", unit="id", doc="a machine"),
            Column("stage", "str", unit="id", doc="its stage (of stages.csv)"),
            Column("setup_minutes", "float", 0, required=False, default=0.0, unit="min/job", doc="setup per job"),
            Column("cost_per_hour", "float", 0, required=False, default=0.0, unit="currency/h",
                   doc="running cost"),
        ),
        key=("machine",),
        unknown_columns="error",
    ),
    TableSpec(
        "stages",
        (
            Column("stage", "str", unit="id", doc="a stage"),
            Column("waste_cost", "float", 0, required=False, default=0.0, unit="currency/unit",
                   doc="per unit lost at the stage"),
        ),
        key=("stage",),
        unknown_columns="error",
    ),
    TableSpec(
        "shelf_life",
        (
            Column("recipe", "str", unit="id", doc="a recipe"),
            Column("from_stage", "str", unit="id", doc="a stage of the recipe"),
            Column("to_stage", "str", unit="id", doc="the same or a later stage of the recipe"),
            Column("max_hours", "float", 0, unit="h (wall clock)",
                   doc="end(to_stage) - start(from_stage) <= max_hours"),
        ),
        key=("recipe", "from_stage", "to_stage"),
        doc="may be empty, even a zero-byte file",
        unknown_columns="error",
    ),
)

# what changes over time (re-planning's disruptions): optional tables, written only when they
# have rows. Kept apart from SPECS, the plant's own tables (docs/models/schedule.md lists those).
DISRUPTION_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "machine_downtime",
        (
            Column("machine", "str", unit="id", doc="a machine of machines.csv"),
            Column("from_hour", "float", 0, unit="h (wall clock)", doc="first hour it is down, from the start of "
                                                                     "week 1"),
            Column("to_hour", "float", 0, unit="h (wall clock)", doc="the hour it works again (after from_hour)"),
        ),
        key=("machine", "from_hour"), doc="machines out of use in [from_hour, to_hour) (absent = all machines work)",
        unknown_columns="error", optional=True,
    ),
    TableSpec(
        "stock_adjustments",
        (
            Column("good", "str", unit="id", doc="a good of goods.csv"),
            Column("period", "int", 1, unit="period", doc="an inventory period 1..P"),
            Column("quantity", "float", None, unit="units",
                   doc="added to the end-of-period stock of this and every later period (negative: a loss)"),
        ),
        key=("good", "period"), doc="stock corrections, e.g. a stock count (absent = none)",
        unknown_columns="error", optional=True,
    ),
    TableSpec(
        "yield_losses",
        (
            Column("job", "str", unit="id", doc="a job of the plan (schedule.csv's job)"),
            Column("quantity", "float", 0, unit="units", doc="of the job's output lost: its stock receipt is its "
                                                             "output less this"),
        ),
        key=("job",), doc="output lost by jobs already made or running (absent = none)",
        unknown_columns="error", optional=True,
    ),
)
ALL_SPECS = SPECS + DISRUPTION_SPECS
DISRUPTION_COLUMNS = {spec.name: [c.name for c in spec.columns] for spec in DISRUPTION_SPECS}

CALENDAR_KEYS = {"weeks": 1, "days_per_week": 5, "shifts_per_day": 1, "hours_per_shift": 8, "period_hours": 1}
INTEGER_CALENDAR_KEYS = ("weeks", "days_per_week", "shifts_per_day")
REORDER_POLICIES = ("static", "dynamic")

SCALAR_SPECS: tuple[ScalarSpec, ...] = (
    ScalarSpec("name", "str", unit="text", doc="label of the instance (default: the folder or workbook name)"),
    ScalarSpec("calendar", "mapping", doc="the work calendar", fields=(
        ScalarSpec("weeks", "int", minimum=1, maximum=104, default=1, unit="weeks",
                   doc="weeks of 7 days (at most 104: the schedule is in minutes)"),
        ScalarSpec("days_per_week", "int", minimum=1, maximum=DAYS_PER_WEEK, default=5, unit="days",
                   doc="worked days, the first of each week"),
        ScalarSpec("shifts_per_day", "int", minimum=1, default=1, unit="shifts", doc="shifts per worked day"),
        ScalarSpec("hours_per_shift", "float", minimum=0, exclusive_minimum=True, default=8.0, unit="h",
                   doc="shifts x hours at most 24"),
        ScalarSpec("period_hours", "float", minimum=0, exclusive_minimum=True, default=1.0, unit="h",
                   doc="inventory period; must cut a working day into whole periods of whole minutes"),
    )),
    ScalarSpec("setup_cost_per_hour", "float", minimum=0, required=True, unit="currency/h",
               doc="generalised setup cost (required: a plant's costs are stated, never assumed 0)"),
    ScalarSpec("labor_cost_per_hour", "float", minimum=0, required=True, unit="currency/h",
               doc="labour cost (required)"),
    ScalarSpec("reorder_policy", "choice", choices=REORDER_POLICIES, default="dynamic", unit="policy",
               doc="static: goods.csv reorder_point; dynamic: from the demand statistics"),
    ScalarSpec("batch_levels", "int", minimum=1, default=3, unit="sizes",
               doc="batch sizes tried between min_batch and max_batch"),
)


@dataclass(frozen=True)
class Calendar:
    """Work calendar: ``weeks`` of 7 days, the first ``days_per_week`` of each worked, each
    worked day ``shifts_per_day`` x ``hours_per_shift`` hours from midnight; time runs in
    wall-clock minutes from the start of week 1. Inventory periods cut the working time
    into ``period_hours`` pieces."""

    weeks: int = 1
    days_per_week: int = 5
    shifts_per_day: int = 1
    hours_per_shift: float = 8
    period_hours: float = 1

    @property
    def day_minutes(self) -> int:
        return round(self.shifts_per_day * self.hours_per_shift * MINUTES_PER_HOUR)

    def working_days(self) -> np.ndarray:
        """Wall-clock index (0-based) of every worked day."""
        days = [w * DAYS_PER_WEEK + d for w in range(self.weeks) for d in range(self.days_per_week)]
        return np.array(days, dtype=np.int64)

    def windows(self) -> np.ndarray:
        """``[start, end)`` minutes of each working window (one per worked day)."""
        starts = self.working_days() * MINUTES_PER_DAY
        return np.stack([starts, starts + self.day_minutes], axis=1)

    @property
    def horizon(self) -> int:
        return int(self.windows()[-1, 1])

    @property
    def working_hours(self) -> float:
        return len(self.working_days()) * self.day_minutes / MINUTES_PER_HOUR

    def breaks(self) -> np.ndarray:
        """Non-working ``[start, end)`` windows between working windows (before the horizon)."""
        w = self.windows()
        gaps = np.stack([w[:-1, 1], w[1:, 0]], axis=1)
        return gaps[gaps[:, 1] > gaps[:, 0]]

    def period_ends(self) -> np.ndarray:
        """Wall-clock minute at which each inventory period ends."""
        step = round(self.period_hours * MINUTES_PER_HOUR)
        per_day = self.day_minutes // step
        offsets = step * np.arange(1, per_day + 1)
        return (self.windows()[:, :1] + offsets[None, :]).ravel()

    @property
    def num_periods(self) -> int:
        return len(self.period_ends())

    def as_dict(self) -> dict[str, float]:
        # typed per key, so that Calendar(hours_per_shift=8) and a loaded 8.0 give the same
        # scalars (and so the same checksum) after a save/load round trip
        return {k: int(getattr(self, k)) if k in INTEGER_CALENDAR_KEYS else float(getattr(self, k))
                for k in CALENDAR_KEYS}


@dataclass
class ScheduleInstance:
    """A document-002 plant, validated; tables are kept as typed frames."""

    name: str
    goods: pd.DataFrame
    demand: np.ndarray  # [G, P]
    routes: pd.DataFrame  # sorted by recipe, step, machine
    machines: pd.DataFrame
    stages: pd.DataFrame
    shelf_life: pd.DataFrame
    calendar: Calendar = field(default_factory=Calendar)
    setup_cost_per_hour: float = 0.0
    labor_cost_per_hour: float = 0.0
    reorder_policy: str = "dynamic"
    batch_levels: int = 3
    downtime: pd.DataFrame = field(default_factory=lambda: _empty("machine_downtime"))
    adjustments: pd.DataFrame = field(default_factory=lambda: _empty("stock_adjustments"))
    yield_losses: pd.DataFrame = field(default_factory=lambda: _empty("yield_losses"))

    @property
    def good_ids(self) -> list[str]:
        return self.goods["good"].tolist()

    @property
    def machine_ids(self) -> list[str]:
        return self.machines["machine"].tolist()

    def route(self, recipe: str) -> pd.DataFrame:
        return self.routes[self.routes["recipe"] == recipe]

    @property
    def disrupted(self) -> bool:
        """True when the instance has machine downtime, stock adjustments or yield losses."""
        return bool(len(self.downtime) or len(self.adjustments) or len(self.yield_losses))

    def downtime_windows(self) -> dict[int, np.ndarray]:
        """Per machine index, its downtime as merged ``[start, end)`` minute windows inside the
        working windows (a break is no downtime: no machine works then anyway)."""
        out: dict[int, np.ndarray] = {}
        if not len(self.downtime):
            return out
        index = {m: i for i, m in enumerate(self.machine_ids)}
        work = self.calendar.windows()
        for machine, grp in self.downtime.groupby("machine", sort=False):
            a = np.round(grp["from_hour"].to_numpy(float) * MINUTES_PER_HOUR).astype(np.int64)
            b = np.round(grp["to_hour"].to_numpy(float) * MINUTES_PER_HOUR).astype(np.int64)
            # clip every (downtime, working window) pair, then merge what touches
            lo = np.maximum(a[:, None], work[None, :, 0]).ravel()
            hi = np.minimum(b[:, None], work[None, :, 1]).ravel()
            keep = hi > lo
            pieces = sorted(zip(lo[keep].tolist(), hi[keep].tolist(), strict=True))
            merged: list[list[int]] = []
            for x, y in pieces:
                if merged and x <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], y)
                else:
                    merged.append([x, y])
            if merged:
                out[index[str(machine)]] = np.array(merged, dtype=np.int64).reshape(-1, 2)
        return out

    def adjustment_matrix(self) -> np.ndarray:
        """``[G, P]`` stock corrections per good and period (``stock_adjustments.csv``)."""
        adj = np.zeros((len(self.goods), self.calendar.num_periods))
        if len(self.adjustments):
            g = index_of(self.adjustments["good"], self.good_ids)
            np.add.at(adj, (g, self.adjustments["period"].to_numpy(np.int64) - 1),
                      self.adjustments["quantity"].to_numpy(float))
        return adj

    def losses(self) -> dict[str, float]:
        """Units lost per job name (``yield_losses.csv``)."""
        return {str(j): float(q) for j, q in zip(self.yield_losses["job"], self.yield_losses["quantity"],
                                                  strict=True)}

    def describe(self) -> str:
        extra = [f"{len(t)} {what}" for t, what in ((self.downtime, "downtime rows"),
                                                   (self.adjustments, "stock adjustments"),
                                                   (self.yield_losses, "yield losses")) if len(t)]
        return (f"{self.name}: {len(self.goods)} goods, {self.goods['recipe'].nunique()} recipes, "
                f"{len(self.machines)} machines, {self.calendar.num_periods} periods, "
                f"demand {self.demand.sum():,.0f} units" + "".join(f", {e}" for e in extra))

    def checksum(self) -> str:
        return frames_checksum(self.to_frames(), repr(self.scalars()))

    # ------------------------------------------------------------- tables
    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The tables of ``SPECS``, and those of ``DISRUPTION_SPECS`` that have rows (so an
        instance without disruptions has the files, and the checksum, it always had)."""
        g, p = np.nonzero(self.demand)
        goods = np.array(self.good_ids, dtype=object)
        frames = {
            "goods": self.goods.copy(),
            "demand": pd.DataFrame({"good": goods[g], "period": p + 1, "quantity": self.demand[g, p]}),
            "routes": self.routes.copy(),
            "machines": self.machines.copy(),
            "stages": self.stages.copy(),
            "shelf_life": self.shelf_life.copy(),
        }
        for name, frame in (("machine_downtime", self.downtime), ("stock_adjustments", self.adjustments),
                            ("yield_losses", self.yield_losses)):
            if len(frame):
                frames[name] = frame[DISRUPTION_COLUMNS[name]].reset_index(drop=True).copy()
        return frames

    def scalars(self) -> dict[str, object]:
        return {"name": self.name, "calendar": self.calendar.as_dict(),
                "setup_cost_per_hour": float(self.setup_cost_per_hour),
                "labor_cost_per_hour": float(self.labor_cost_per_hour),
                "reorder_policy": self.reorder_policy, "batch_levels": int(self.batch_levels)}

    def save(self, path: str | Path) -> None:
        save_tables(path, self.to_frames(), self.scalars())


def _empty(name: str) -> pd.DataFrame:
    spec = next(s for s in DISRUPTION_SPECS if s.name == name)
    return pd.DataFrame({c.name: pd.Series(dtype=object if c.kind == "str" else (np.int64 if c.kind == "int"
                                                                                else float))
                         for c in spec.columns})


def _blank_file(file: Path) -> bool:
    """True for a zero-byte file, or one holding only whitespace (and a BOM)."""
    if not file.is_file():
        return False
    text, problem = decode_text(file.read_bytes(), file.name)
    return problem is None and text is not None and not text.strip()


def load(path: str | Path) -> ScheduleInstance:
    """Load and validate an instance folder or workbook; raises ``InputErrors`` naming every
    defect: every unreadable file, bad cell and bad setting together, then the cross-table rules."""
    path = Path(path)
    specs = ALL_SPECS
    if path.is_dir() and _blank_file(path / "shelf_life.csv"):
        # an empty shelf_life.csv (not even a header): no shelf-life rows
        specs = tuple(spec for spec in ALL_SPECS if spec.name != "shelf_life")

    def no_shelf_life_rows(tables: dict[str, Table]) -> dict[str, Table]:
        if "shelf_life" not in tables:
            spec = next(spec for spec in SPECS if spec.name == "shelf_life")
            tables["shelf_life"] = tables_from_frames(
                {"shelf_life": pd.DataFrame(columns=[c.name for c in spec.columns])}, (spec,))["shelf_life"]
        return tables

    return load_instance(path, specs, _scalars, from_tables, no_shelf_life_rows)


def from_frames(frames: dict[str, pd.DataFrame], scalars: dict[str, object]) -> ScheduleInstance:
    """Build and validate an instance from pandas frames (Python API)."""
    return from_tables(tables_from_frames(frames, ALL_SPECS), scalars, "instance.yaml",
                       name=str(scalars.get("name") or "schedule"))


def _scalars(scalars: Mapping[str, object] | None, source: str) -> tuple[dict[str, object], list[InputError]]:
    """The settings checked against :data:`SCALAR_SPECS` plus the calendar's own rules;
    ``calendar`` is a :class:`Calendar` (the default one if the calendar is in error)."""
    settings, errors = check_scalars(scalars, SCALAR_SPECS, source)
    values: dict[str, float] = settings["calendar"]  # type: ignore[assignment]
    if not failed_keys(errors) & {"calendar.shifts_per_day", "calendar.hours_per_shift", "calendar.period_hours"}:
        day_hours = values["shifts_per_day"] * values["hours_per_shift"]
        if day_hours > 24:
            errors.append(InputError(source, None, "calendar.hours_per_shift",
                                     f"shifts x hours = {day_hours:g} h exceeds a day"))
        else:
            ratio = day_hours / values["period_hours"]
            minutes = values["period_hours"] * 60
            if abs(ratio - round(ratio)) > 1e-9 or abs(minutes - round(minutes)) > 1e-9:
                errors.append(InputError(source, None, "calendar.period_hours",
                                         f"must split a working day ({day_hours:g} h) into whole periods of "
                                         "whole minutes"))
    calendar = Calendar()
    if not failed_keys(errors) & {"", "calendar"}:
        calendar = Calendar(int(values["weeks"]), int(values["days_per_week"]), int(values["shifts_per_day"]),
                            float(values["hours_per_shift"]), float(values["period_hours"]))
    return {**settings, "calendar": calendar}, errors


def from_tables(tables: dict[str, Table], scalars: Mapping[str, object] | None, source: str,
                name: str = "schedule") -> ScheduleInstance:
    """Cross-table validation; every defect is collected and raised together."""
    err = ErrorCollector()
    s, errors = _scalars(scalars, source)
    err.extend(errors)
    calendar_ok = not failed_keys(errors) & {"", "calendar"}
    calendar: Calendar = s["calendar"]  # type: ignore[assignment]
    tg, td, tr, tm, ts, tl = (tables[n] for n in ("goods", "demand", "routes", "machines", "stages", "shelf_life"))
    goods, machines, stages = tg.frame["good"].tolist(), tm.frame["machine"].tolist(), ts.frame["stage"].tolist()
    recipes = sorted(set(tr.frame["recipe"]))
    for table, what in ((tg, "good"), (tm, "machine"), (ts, "stage")):
        if len(table.frame) == 0:
            err.errors.append(table.error(None, None, f"no {what}s given"))
    for table, col, valid, what in (
        (td, "good", goods, "good"), (tg, "recipe", recipes, "recipe (no routes.csv rows)"),
        (tr, "machine", machines, "machine"), (tr, "stage", stages, "stage"), (tm, "stage", stages, "stage"),
        (tl, "recipe", recipes, "recipe"), (tl, "from_stage", stages, "stage"), (tl, "to_stage", stages, "stage"),
    ):
        err.extend(check_references(table, col, valid, what))
    f = tg.frame
    for idx in np.flatnonzero((f["service_level"] >= 1).to_numpy()):
        err.errors.append(tg.error(int(idx), "service_level", f"must be below 1, got {f['service_level'].iloc[idx]:g}"))
    lo, hi = f["min_batch"], f["max_batch"]
    for idx in np.flatnonzero((lo.notna() != hi.notna()).to_numpy()):
        err.errors.append(tg.error(int(idx), "max_batch" if lo.notna().iloc[idx] else "min_batch",
                                   "min_batch and max_batch must be given together"))
    for idx in np.flatnonzero((lo.notna() & hi.notna() & (lo > hi)).to_numpy()):
        err.errors.append(tg.error(int(idx), "max_batch", f"max_batch {hi.iloc[idx]:g} < min_batch {lo.iloc[idx]:g}"))
    for idx in np.flatnonzero((lo.notna() & f["batch_size"].notna()).to_numpy()):
        err.errors.append(tg.error(int(idx), "batch_size", "give batch_size or min_batch/max_batch, not both"))
    P = calendar.num_periods
    for idx in np.flatnonzero((td.frame["period"] > P).to_numpy() if calendar_ok else []):
        err.errors.append(td.error(int(idx), "period", f"period {td.frame['period'].iloc[idx]} is beyond the "
                                                       f"calendar's {P} periods"))
    r = tr.frame
    for idx in np.flatnonzero((r["yield"] > 1).to_numpy()):
        err.errors.append(tr.error(int(idx), "yield", f"must be in (0, 1], got {r['yield'].iloc[idx]:g}"))
    day = calendar.day_minutes
    for idx in np.flatnonzero(np.ceil(tm.frame["setup_minutes"].to_numpy(float) - 1e-9) >= day if calendar_ok else []):
        err.errors.append(tm.error(int(idx), "setup_minutes", f"a setup of {tm.frame['setup_minutes'].iloc[idx]:g} "
                                                              f"min leaves no time to work in a working day "
                                                              f"({day} min)"))
    stage_of = dict(zip(tm.frame["machine"], tm.frame["stage"], strict=True))
    for idx, (machine, stage) in enumerate(zip(r["machine"], r["stage"], strict=True)):
        if machine in stage_of and stage_of[machine] != stage:
            err.errors.append(tr.error(idx, "machine", f"machine '{machine}' belongs to stage '{stage_of[machine]}', "
                                                       f"not '{stage}'"))
    err.raise_if_any()
    # one stage and one yield per (recipe, step); steps 1..n without gaps; a stage once per route
    r = r.assign(_row=np.arange(len(r)))
    by_step = r.groupby(["recipe", "step"], sort=False)
    for col in ("stage", "yield"):
        varied = by_step[col].transform("nunique") > 1
        second = varied & (by_step.cumcount() == 1)
        for idx in np.flatnonzero(second.to_numpy()):
            err.errors.append(tr.error(int(idx), col, f"recipe '{r['recipe'].iat[idx]}' step {r['step'].iat[idx]}: "
                                                      f"every machine row must give the same {col}"))
    steps = r.drop_duplicates(["recipe", "step"]).sort_values(["recipe", "step"], kind="stable")
    count = steps.groupby("recipe")["step"].transform("size")
    bad = steps[(steps.groupby("recipe")["step"].transform("max") != count)
                | (steps.groupby("recipe")["step"].transform("min") != 1)].drop_duplicates("recipe")
    for recipe, row in zip(bad["recipe"], bad["_row"], strict=True):
        listed = sorted(steps.loc[steps["recipe"] == recipe, "step"].tolist())
        err.errors.append(tr.error(int(row), "step", f"recipe '{recipe}' steps must be 1..n, got {listed}"))
    twice = steps[steps.duplicated(["recipe", "stage"])].drop_duplicates("recipe")
    for recipe, row in zip(twice["recipe"], twice["_row"], strict=True):
        err.errors.append(tr.error(int(row), "stage", f"recipe '{recipe}' visits a stage twice"))
    err.raise_if_any()
    # yield of each step and every later one: input = output / yield_after
    steps = steps.assign(yield_after=steps.iloc[::-1].groupby("recipe", sort=False)["yield"].cumprod().iloc[::-1])
    lf = tl.frame.assign(_row=np.arange(len(tl.frame)))
    for col in ("from_stage", "to_stage"):
        lf = lf.merge(steps[["recipe", "stage", "step"]].rename(columns={"stage": col, "step": f"{col}_step"}),
                      on=["recipe", col], how="left")
    for row, recipe, a, b, sa, sb in zip(lf["_row"], lf["recipe"], lf["from_stage"], lf["to_stage"],
                                         lf["from_stage_step"], lf["to_stage_step"], strict=True):
        for col, st, step in (("from_stage", a, sa), ("to_stage", b, sb)):
            if pd.isna(step):
                err.errors.append(tl.error(int(row), col, f"recipe '{recipe}' has no step at stage '{st}'"))
        if pd.notna(sa) and pd.notna(sb) and sa > sb:
            err.errors.append(tl.error(int(row), "to_stage", f"stage '{b}' comes before '{a}' in recipe '{recipe}'"))
    # an operation must fit in one working window (it cannot span a break)
    window = calendar.day_minutes
    sized = f.assign(_good=np.arange(len(f)), size=f["batch_size"].fillna(f["max_batch"]))
    sized = sized[sized["size"].notna()][["_good", "recipe", "size"]]
    ops = sized.merge(r[["recipe", "step", "machine", "rate", "_row"]], on="recipe").merge(
        steps[["recipe", "step", "yield_after"]], on=["recipe", "step"]).merge(
        tm.frame[["machine", "setup_minutes"]], on="machine")
    if len(ops):
        minutes = (np.ceil(ops["setup_minutes"].to_numpy(float) - 1e-9)
                   + np.ceil(MINUTES_PER_HOUR * ops["size"].to_numpy(float) / ops["yield_after"].to_numpy(float)
                             / ops["rate"].to_numpy(float) - 1e-6))
        too_long = ops.assign(minutes=minutes.astype(np.int64))[minutes > window].sort_values(["_good", "_row"])
        for gi, idx, machine, m in too_long[["_good", "_row", "machine", "minutes"]].head(20).itertuples(index=False):
            err.errors.append(tr.error(int(idx), "rate", f"a batch of good '{goods[gi]}' takes {m} min on "
                                                         f"'{machine}', longer than a working day ({window} min): "
                                                         f"raise the rate or lower the batch"))
        if len(too_long) > 20:
            more = len(too_long) - 20
            err.errors.append(tr.error(None, "rate", f"... and {more} more operations too long for a day"))
    err.raise_if_any()
    _check_disruptions(tables, goods, machines, calendar, err)
    err.raise_if_any()
    r = r.drop(columns="_row")
    demand = np.zeros((len(goods), P))
    demand[index_of(td.frame["good"], goods), td.frame["period"].to_numpy(np.int64) - 1] = \
        td.frame["quantity"].to_numpy(float)
    inst = ScheduleInstance(
        name=name, goods=tg.frame.reset_index(drop=True), demand=demand,
        routes=r.sort_values(["recipe", "step", "machine"], kind="stable").reset_index(drop=True),
        machines=tm.frame.reset_index(drop=True), stages=ts.frame.reset_index(drop=True),
        shelf_life=tl.frame.reset_index(drop=True), calendar=calendar,
        setup_cost_per_hour=s["setup_cost_per_hour"], labor_cost_per_hour=s["labor_cost_per_hour"],  # type: ignore[arg-type]
        reorder_policy=s["reorder_policy"], batch_levels=s["batch_levels"],  # type: ignore[arg-type]
        **{attr: tables[name].frame.reset_index(drop=True) if name in tables else _empty(name)
           for name, attr in (("machine_downtime", "downtime"), ("stock_adjustments", "adjustments"),
                              ("yield_losses", "yield_losses"))},
    )
    first_rate = r[r["step"] == 1].groupby("recipe")["rate"].mean()
    alpha = f["recipe"].map(first_rate).to_numpy(float)
    mean = mean_demand(inst)
    epq_goods = (f["batch_size"].isna() & f["max_batch"].isna()).to_numpy()
    for gi in np.flatnonzero(epq_goods & (mean >= alpha)):
        err.errors.append(tg.error(int(gi), "mean_demand", f"demand {mean[gi]:g}/h is not below the first-stage rate "
                                                           f"{alpha[gi]:g}/h: the EPQ is undefined; give batch_size"))
    err.raise_if_any()
    _check_batches(inst, tg, tl, err)
    err.raise_if_any()
    return inst


def _check_disruptions(tables: dict[str, Table], goods: list[str], machines: list[str], calendar: Calendar,
                       err: ErrorCollector) -> None:
    """Downtime names a machine and a window ``from_hour < to_hour`` within the calendar's
    horizon; a stock adjustment names a good and a period ``1..P``."""
    if "machine_downtime" in tables:
        t = tables["machine_downtime"]
        err.extend(check_references(t, "machine", machines, "machine"))
        f = t.frame
        for idx in np.flatnonzero((f["to_hour"] <= f["from_hour"]).to_numpy()):
            err.errors.append(t.error(int(idx), "to_hour", f"must be after from_hour ({f['from_hour'].iat[idx]:g}), "
                                                           f"got {f['to_hour'].iat[idx]:g}"))
        end = calendar.horizon / MINUTES_PER_HOUR
        for idx in np.flatnonzero((f["to_hour"] > end + 1e-9).to_numpy()):
            err.errors.append(t.error(int(idx), "to_hour", f"{f['to_hour'].iat[idx]:g} h is beyond the horizon "
                                                           f"({end:g} h)"))
    if "stock_adjustments" in tables:
        t = tables["stock_adjustments"]
        err.extend(check_references(t, "good", goods, "good"))
        P = calendar.num_periods
        for idx in np.flatnonzero((t.frame["period"] > P).to_numpy()):
            err.errors.append(t.error(int(idx), "period", f"period {t.frame['period'].iat[idx]} is beyond the "
                                                          f"calendar's {P} periods"))


def _check_batches(inst: ScheduleInstance, tg: Table, tl: Table, err: ErrorCollector) -> None:
    """Every good's batch (EPQ, ``batch_size``, or ``min_batch``) is at least ``MIN_BATCH`` and
    can meet its recipe's shelf lives: a good that can never be made is a data error."""
    from plantwise.schedule.expand import epq, recipe_steps

    sizes, capped = epq(inst)
    ranged = inst.goods["min_batch"].notna().to_numpy()
    smallest = np.where(ranged, np.floor(inst.goods["min_batch"].fillna(0).to_numpy(float) * 100) / 100, sizes)
    for gi in np.flatnonzero(~ranged & (sizes < MIN_BATCH)):
        err.errors.append(tg.error(int(gi), "batch_size", f"good '{inst.good_ids[gi]}': the EPQ batch "
                                                          f"{'capped to fit a working day ' if capped[gi] else ''}"
                                                          f"is {sizes[gi]:g} units, below {MIN_BATCH:g}"))
    if len(inst.shelf_life) == 0 or err.errors:
        return
    setup = inst.machines["setup_minutes"].to_numpy(float)
    steps = recipe_steps(inst)
    lags = inst.shelf_life
    found = 0
    for gi, (good, recipe) in enumerate(zip(inst.good_ids, inst.goods["recipe"], strict=True)):
        route = steps[recipe]
        position = {st.stage: i for i, st in enumerate(route)}
        for row in np.flatnonzero((lags["recipe"] == recipe).to_numpy()):
            a, b = position[lags["from_stage"].iat[row]], position[lags["to_stage"].iat[row]]
            hours = float(lags["max_hours"].iat[row])
            fastest = sum(min(operation_minutes(smallest[gi], st.yield_after, rate, setup[m])
                              for m, rate in st.machines) for st in route[a:b + 1])
            if fastest > math.floor(hours * MINUTES_PER_HOUR + 1e-9):
                found += 1
                if found <= 20:
                    err.errors.append(tl.error(int(row), "max_hours", (
                        f"a batch of good '{good}' ({smallest[gi]:g} units) takes at least {fastest} min from the "
                        f"start of {route[a].stage} to the end of {route[b].stage}, longer than the shelf life "
                        f"of {hours:g} h: the good could never be made")))
    if found > 20:
        err.errors.append(tl.error(None, "max_hours", f"... and {found - 20} more batches that break a shelf life"))


def operation_minutes(output: float, yield_after: float, rate: float, setup_minutes: float) -> int:
    """Minutes a job of ``output`` finished units occupies a machine at a step: the setup plus
    the step's input ``output / yield_after`` at ``rate`` units per hour, rounded up."""
    run = MINUTES_PER_HOUR * output / yield_after / rate
    return math.ceil(setup_minutes - 1e-9) + math.ceil(run - 1e-6)


def yields_after(inst: ScheduleInstance, recipe: str) -> dict[int, float]:
    grp = inst.route(recipe).drop_duplicates("step").sort_values("step")
    y = grp["yield"].to_numpy(float)
    after = np.cumprod(y[::-1])[::-1]
    return dict(zip(grp["step"].astype(int), after, strict=True))


def mean_demand(inst: ScheduleInstance) -> np.ndarray:
    """Mean demand per working hour: ``mean_demand`` or the forecast over the working hours."""
    given = inst.goods["mean_demand"].to_numpy(float)
    return np.where(np.isnan(given), inst.demand.sum(axis=1) / inst.calendar.working_hours, given)
