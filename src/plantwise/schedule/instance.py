"""Food-plant scheduling instances (document 002): goods, recipes, machines, calendar, costs.

Tables (one CSV each, or one sheet each of an ``.xlsx``), units in ``docs/models/schedule.md``:

* ``goods.csv`` finished goods (recipe + package), demand statistics, stock and costs;
* ``demand.csv`` forecast per good and period (periods ``1..P`` of working time);
* ``routes.csv`` each recipe's route: ``step`` order, ``stage``, eligible ``machine``,
  ``rate`` (units/h of input) and ``yield`` (output/input) of the step;
* ``machines.csv`` machine, its stage, setup minutes per job, cost per hour;
* ``stages.csv`` waste cost per unit lost at each stage;
* ``shelf_life.csv`` perishability: ``end(to_stage) - start(from_stage) <= max_hours``.

``instance.yaml`` holds the calendar (weeks, days per week, shifts per day, hours per
shift, period length in hours), the generalised setup and labour costs per hour, the
reorder-point policy (``static`` or ``dynamic``) and optional batch-size levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from plantwise.core.errors import ErrorCollector
from plantwise.core.tables import (
    Column,
    Table,
    TableSpec,
    check_references,
    frames_checksum,
    index_of,
    load_tables,
    read_scalars,
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
            Column("good", "str", doc="finished good id (recipe + package type)"),
            Column("recipe", "str", doc="recipe whose route makes it"),
            Column("package", "str", required=False, default="", doc="package type (informative)"),
            Column("annual_demand", "float", 0, required=False, default=None, unit="units",
                   doc="D_j of the EPQ; blank = the forecast over the horizon"),
            Column("mean_demand", "float", 0, required=False, default=None, unit="units/h",
                   doc="mean demand per working hour; blank = forecast / working hours"),
            Column("std_demand", "float", 0, required=False, default=0.0, unit="units/sqrt(h)",
                   doc="standard deviation of demand per working hour"),
            Column("service_level", "float", 0.5, required=False, default=0.99, doc="psi_j, in [0.5, 1)"),
            Column("initial_inventory", "float", 0, required=False, default=0.0, unit="units"),
            Column("holding_cost", "float", 0, unit="currency/unit/period"),
            Column("stockout_cost", "float", 0, unit="currency/unit/period"),
            Column("order_cost", "float", 0, required=False, default=0.0, unit="currency/unit produced"),
            Column("safety_stock_cost", "float", 0, required=False, default=0.0,
                   unit="currency/unit below the reorder point/period"),
            Column("unit_cost", "float", 0, required=False, default=0.0, unit="currency/unit produced",
                   doc="finished-good cost"),
            Column("reorder_point", "float", 0, required=False, default=None, unit="units",
                   doc="static reorder point (policy static); blank = 0"),
            Column("batch_size", "float", MIN_BATCH, required=False, default=None, unit="units",
                   doc="output per job; blank = EPQ"),
            Column("min_batch", "float", MIN_BATCH, required=False, default=None, unit="units",
                   doc="with max_batch: the solver picks batch sizes in [min_batch, max_batch]"),
            Column("max_batch", "float", MIN_BATCH, required=False, default=None, unit="units"),
        ),
        key=("good",),
    ),
    TableSpec(
        "demand",
        (
            Column("good", "str"),
            Column("period", "int", 1),
            Column("quantity", "float", 0, unit="units"),
        ),
        key=("good", "period"),
    ),
    TableSpec(
        "routes",
        (
            Column("recipe", "str"),
            Column("step", "int", 1, doc="position in the route"),
            Column("stage", "str"),
            Column("machine", "str", doc="an eligible machine of the stage"),
            Column("rate", "float", 1e-9, unit="units/h", doc="input processed per hour"),
            Column("yield", "float", 1e-9, required=False, default=1.0, doc="output / input, in (0, 1]"),
        ),
        key=("recipe", "step", "machine"),
    ),
    TableSpec(
        "machines",
        (
            Column("machine", "str"),
            Column("stage", "str"),
            Column("setup_minutes", "float", 0, required=False, default=0.0, unit="min per job"),
            Column("cost_per_hour", "float", 0, required=False, default=0.0, unit="currency/h"),
        ),
        key=("machine",),
    ),
    TableSpec(
        "stages",
        (
            Column("stage", "str"),
            Column("waste_cost", "float", 0, required=False, default=0.0, unit="currency/unit lost"),
        ),
        key=("stage",),
    ),
    TableSpec(
        "shelf_life",
        (
            Column("recipe", "str"),
            Column("from_stage", "str"),
            Column("to_stage", "str"),
            Column("max_hours", "float", 0, unit="h (wall clock)"),
        ),
        key=("recipe", "from_stage", "to_stage"),
        doc="may be empty",
    ),
)

CALENDAR_KEYS = {"weeks": 1, "days_per_week": 5, "shifts_per_day": 1, "hours_per_shift": 8, "period_hours": 1}
INTEGER_CALENDAR_KEYS = ("weeks", "days_per_week", "shifts_per_day")


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

    @property
    def good_ids(self) -> list[str]:
        return self.goods["good"].tolist()

    @property
    def machine_ids(self) -> list[str]:
        return self.machines["machine"].tolist()

    def route(self, recipe: str) -> pd.DataFrame:
        return self.routes[self.routes["recipe"] == recipe]

    def describe(self) -> str:
        return (f"{self.name}: {len(self.goods)} goods, {self.goods['recipe'].nunique()} recipes, "
                f"{len(self.machines)} machines, {self.calendar.num_periods} periods, "
                f"demand {self.demand.sum():,.0f} units")

    def checksum(self) -> str:
        return frames_checksum(self.to_frames(), repr(self.scalars()))

    # ------------------------------------------------------------- tables
    def to_frames(self) -> dict[str, pd.DataFrame]:
        g, p = np.nonzero(self.demand)
        goods = np.array(self.good_ids, dtype=object)
        return {
            "goods": self.goods.copy(),
            "demand": pd.DataFrame({"good": goods[g], "period": p + 1, "quantity": self.demand[g, p]}),
            "routes": self.routes.copy(),
            "machines": self.machines.copy(),
            "stages": self.stages.copy(),
            "shelf_life": self.shelf_life.copy(),
        }

    def scalars(self) -> dict[str, object]:
        return {"name": self.name, "calendar": self.calendar.as_dict(),
                "setup_cost_per_hour": float(self.setup_cost_per_hour),
                "labor_cost_per_hour": float(self.labor_cost_per_hour),
                "reorder_policy": self.reorder_policy, "batch_levels": int(self.batch_levels)}

    def save(self, path: str | Path) -> None:
        save_tables(path, self.to_frames(), self.scalars())


def load(path: str | Path) -> ScheduleInstance:
    """Load and validate an instance folder or workbook; raises ``InputErrors`` naming every defect."""
    path = Path(path)
    scalars, source = read_scalars(path)
    specs = SPECS
    blank = path / "shelf_life.csv"
    if path.is_dir() and blank.is_file() and not blank.read_text(errors="replace").strip():
        # an empty shelf_life.csv (not even a header): no shelf-life rows
        specs = tuple(spec for spec in SPECS if spec.name != "shelf_life")
    tables = load_tables(path, specs)
    if "shelf_life" not in tables:
        spec = next(spec for spec in SPECS if spec.name == "shelf_life")
        tables["shelf_life"] = tables_from_frames(
            {"shelf_life": pd.DataFrame(columns=[c.name for c in spec.columns])}, (spec,))["shelf_life"]
    return from_tables(tables, scalars, source, name=str(scalars.get("name", path.stem)))


def from_frames(frames: dict[str, pd.DataFrame], scalars: dict[str, object]) -> ScheduleInstance:
    """Build and validate an instance from pandas frames (Python API)."""
    return from_tables(tables_from_frames(frames, SPECS), scalars, "instance.yaml",
                       name=str(scalars.get("name", "schedule")))


def _number(err: ErrorCollector, source: str, key: str, value: object, minimum: float, integer: bool = False,
            strict: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer and float(value) != int(value):  # type: ignore[arg-type]
        ok = False
    if ok and (value < minimum or (strict and value == minimum)):  # type: ignore[operator]
        ok = False
    if not ok:
        kind = "an integer" if integer else "a number"
        err.add(source, None, key, f"must be {kind} {'>' if strict else '>='} {minimum:g}, got {value!r}")
        return minimum + (1 if strict else 0)
    return float(value)  # type: ignore[arg-type]


def _scalars(scalars: dict[str, object], source: str, err: ErrorCollector) -> dict[str, object]:
    raw = scalars.get("calendar", {}) or {}
    if not isinstance(raw, dict):
        err.add(source, None, "calendar", "must be a mapping of " + ", ".join(CALENDAR_KEYS))
        raw = {}
    values: dict[str, float] = dict(CALENDAR_KEYS)
    for key, value in raw.items():
        if key not in CALENDAR_KEYS:
            err.add(source, None, f"calendar.{key}", f"unknown key (expected one of {', '.join(CALENDAR_KEYS)})")
            continue
        integer = key in INTEGER_CALENDAR_KEYS
        values[key] = _number(err, source, f"calendar.{key}", value, 0, integer=integer, strict=True)
    if values["days_per_week"] > DAYS_PER_WEEK:
        err.add(source, None, "calendar.days_per_week", f"at most {DAYS_PER_WEEK}, got {values['days_per_week']:g}")
    day_hours = values["shifts_per_day"] * values["hours_per_shift"]
    if day_hours > 24:
        err.add(source, None, "calendar.hours_per_shift", f"shifts x hours = {day_hours:g} h exceeds a day")
    ratio = day_hours / values["period_hours"] if values["period_hours"] > 0 else 0
    if abs(ratio - round(ratio)) > 1e-9 or abs(values["period_hours"] * 60 - round(values["period_hours"] * 60)) > 1e-9:
        err.add(source, None, "calendar.period_hours",
                f"must split a working day ({day_hours:g} h) into whole periods of whole minutes")
    calendar = Calendar(int(values["weeks"]), int(values["days_per_week"]), int(values["shifts_per_day"]),
                        values["hours_per_shift"], values["period_hours"])
    policy = scalars.get("reorder_policy", "dynamic")
    if policy not in ("static", "dynamic"):
        err.add(source, None, "reorder_policy", f"must be 'static' or 'dynamic', got {policy!r}")
    return {
        "calendar": calendar,
        "setup_cost_per_hour": _number(err, source, "setup_cost_per_hour", scalars.get("setup_cost_per_hour", 0.0), 0),
        "labor_cost_per_hour": _number(err, source, "labor_cost_per_hour", scalars.get("labor_cost_per_hour", 0.0), 0),
        "reorder_policy": policy,
        "batch_levels": int(_number(err, source, "batch_levels", scalars.get("batch_levels", 3), 1, integer=True)),
    }


def from_tables(tables: dict[str, Table], scalars: dict[str, object], source: str,
                name: str = "schedule") -> ScheduleInstance:
    """Cross-table validation; every defect is collected and raised together."""
    err = ErrorCollector()
    s = _scalars(scalars, source, err)
    err.raise_if_any()
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
    for idx in np.flatnonzero((td.frame["period"] > P).to_numpy()):
        err.errors.append(td.error(int(idx), "period", f"period {td.frame['period'].iloc[idx]} is beyond the "
                                                       f"calendar's {P} periods"))
    r = tr.frame
    for idx in np.flatnonzero((r["yield"] > 1).to_numpy()):
        err.errors.append(tr.error(int(idx), "yield", f"must be in (0, 1], got {r['yield'].iloc[idx]:g}"))
    day = calendar.day_minutes
    for idx in np.flatnonzero(np.ceil(tm.frame["setup_minutes"].to_numpy(float) - 1e-9) >= day):
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
