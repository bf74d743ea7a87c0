"""Make-to-order acceptance instances (document 003): orders, parts, suppliers, machines,
storage and transport modes over an hourly horizon cut into decision periods.

Tables (one CSV each, or one sheet each of an ``.xlsx``; units in
``docs/models/acceptance.md``):

* ``orders.csv`` order, product, quantity, revenue, profit margin, deadline (h), delay
  penalty per hour, unmet-order penalty, customer distance (miles), production cost per
  machine hour, and the generator's categories (informative);
* ``order_parts.csv`` parts per unit of each order (the bill of material);
* ``operations.csv`` each order's route: ``step`` order, ``machine``, hours per unit;
* ``parts.csv`` holding cost per item and period, starting stock;
* ``suppliers.csv`` capacity per part per period and cost per part;
* ``machines.csv`` capacity (h per period), capacity in a maintenance period, the largest
  utilisation, mean time to failure (h), maintenance duration (h) and cost;
* ``transport.csv`` modes: capacity (items per period), cost per item-mile, hours per mile.

``instance.yaml`` holds ``horizon_hours``, ``period_hours`` and the finished-goods
``storage`` (``cost_per_item_period``, ``capacity``).

One optional table, ``capacity_factors.csv`` (:data:`CAPACITY_SPEC`: agent, resource,
period, factor), scales a capacity in single periods — what a re-plan's ``capacity`` event
writes (a machine down for a shift, a supplier short for a day): the capacity of resource
``r`` in period ``t`` is its table value times ``f_rt`` (the product of its rows, 1 without
one). Agents and resources: ``supply`` a supplier (every offer of it: ``capacity_per_period``),
``production`` a machine (``capacity_hours`` and ``maintenance_capacity_hours``),
``distribution`` a transport mode (``capacity_per_period``), ``inventory`` the storage
(resource empty or ``storage``: ``storage.capacity``; an unlimited storage stays unlimited).
It is kept out of :data:`SPECS` (the documented schema of ``docs/models/acceptance.md``);
:func:`load` and :func:`from_frames` read it when present, :meth:`AcceptanceInstance.save`
writes it when it has rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from plantwise.core.errors import ErrorCollector, InputError
from plantwise.core.scalars import ScalarSpec, check_scalars
from plantwise.core.tables import (
    Column,
    Table,
    TableSpec,
    check_references,
    frames_checksum,
    load_instance,
    save_tables,
    tables_from_frames,
)

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "orders",
        (
            Column("order", "str", unit="id", doc="an order"),
            Column("product", "str", required=False, default="", unit="text", doc="product (informative)"),
            Column("quantity", "int", 1, unit="items", doc="items ordered"),
            Column("revenue", "float", 0, unit="currency/order", doc="paid when the order is delivered"),
            Column("margin", "float", 0, required=False, default=0.0, unit="currency/order",
                   doc="profit margin (informative: the model charges every cost explicitly)"),
            Column("deadline_hours", "float", 0, unit="h", doc="due time from the start, within the horizon"),
            Column("delay_penalty_per_hour", "float", 0, unit="currency/h", doc="per hour delivered late"),
            Column("unmet_penalty", "float", 0, unit="currency/order", doc="per accepted order not delivered"),
            Column("distance_miles", "float", 0, unit="miles", doc="distance to the customer"),
            Column("production_cost_per_hour", "float", 0, required=False, default=0.0, unit="currency/h",
                   doc="per machine hour of this order"),
            Column("complexity", "str", required=False, default="", unit="text",
                   doc="generator category: number of operations (informative)"),
            Column("promptness", "str", required=False, default="", unit="text",
                   doc="generator category: deadline (informative)"),
            Column("revenue_class", "str", required=False, default="", unit="text",
                   doc="generator category: revenue (informative)"),
            Column("location", "str", required=False, default="", unit="text",
                   doc="generator category: distance (informative)"),
            Column("quantity_class", "str", required=False, default="", unit="text",
                   doc="generator category: quantity (informative)"),
            Column("parts_class", "str", required=False, default="", unit="text",
                   doc="generator category: number of part types (informative)"),
        ),
        key=("order",),
        unknown_columns="error",
    ),
    TableSpec(
        "order_parts",
        (Column("order", "str", unit="id", doc="an order of orders.csv"),
         Column("part", "str", unit="id", doc="a part of parts.csv, with a supplier"),
         Column("per_unit", "float", 1e-9, unit="parts/item", doc="the bill of material")),
        key=("order", "part"),
        unknown_columns="error",
    ),
    TableSpec(
        "operations",
        (
            Column("order", "str", unit="id", doc="an order of orders.csv"),
            Column("step", "int", 1, unit="step", doc="position in the order's route, 1..n"),
            Column("machine", "str", unit="id", doc="a machine of machines.csv"),
            Column("hours_per_unit", "float", 1e-9, unit="machine h/item", doc="processing time"),
        ),
        key=("order", "step"),
        unknown_columns="error",
    ),
    TableSpec(
        "parts",
        (
            Column("part", "str", unit="id", doc="a part"),
            Column("holding_cost", "float", 0, unit="currency/item/period", doc="on end-of-period stock"),
            Column("initial_inventory", "float", 0, required=False, default=0.0, unit="items",
                   doc="stock at the start"),
        ),
        key=("part",),
        unknown_columns="error",
    ),
    TableSpec(
        "suppliers",
        (
            Column("supplier", "str", unit="id", doc="a supplier"),
            Column("part", "str", unit="id", doc="a part it offers"),
            Column("capacity_per_period", "float", 0, unit="parts/period", doc="most it delivers per period"),
            Column("cost_per_part", "float", 0, unit="currency/part", doc="purchase cost"),
        ),
        key=("supplier", "part"),
        unknown_columns="error",
    ),
    TableSpec(
        "machines",
        (
            Column("machine", "str", unit="id", doc="a machine"),
            Column("capacity_hours", "float", 0, unit="h/period", doc="available hours per period"),
            Column("maintenance_capacity_hours", "float", 0, unit="h/period",
                   doc="available hours in a period with maintenance, at most capacity_hours"),
            Column("max_utilisation", "float", 0, required=False, default=1.0, unit="share",
                   doc="largest share of the capacity used, in (0, 1]"),
            Column("mttf_hours", "float", 1e-9, unit="h", doc="mean time to failure: maintain at least this often"),
            Column("maintenance_hours", "float", 0, required=False, default=0.0, unit="h",
                   doc="duration of a maintenance"),
            Column("maintenance_cost", "float", 0, required=False, default=0.0, unit="currency/maintenance",
                   doc="cost of a maintenance"),
        ),
        key=("machine",),
        unknown_columns="error",
    ),
    TableSpec(
        "transport",
        (
            Column("mode", "str", unit="id", doc="a transport mode"),
            Column("capacity_per_period", "float", 0, unit="items/period", doc="most items shipped per period"),
            Column("cost_per_item_mile", "float", 0, unit="currency/item/mile", doc="shipping cost"),
            Column("hours_per_mile", "float", 0, unit="h/mile", doc="travel time"),
        ),
        key=("mode",),
        unknown_columns="error",
    ),
)

CAPACITY_AGENTS = ("supply", "production", "inventory", "distribution")
CAPACITY_SPEC = TableSpec(
    "capacity_factors",
    (
        Column("agent", "str", unit="id", doc="supply, production, inventory or distribution"),
        Column("resource", "str", required=False, default="", unit="id",
               doc="the supplier (supply), machine (production) or transport mode (distribution); empty or "
                   "'storage' for inventory"),
        Column("period", "int", 1, unit="period", doc="a decision period, 1..T"),
        Column("factor", "float", 0, unit="share", doc="multiplies the resource's capacity in that period"),
    ),
    key=("agent", "resource", "period"),
    unknown_columns="error",
    optional=True,
)
ALL_SPECS: tuple[TableSpec, ...] = (*SPECS, CAPACITY_SPEC)

MAX_PERIODS = 2_000  # decision periods in the horizon

SCALAR_SPECS: tuple[ScalarSpec, ...] = (
    ScalarSpec("name", "str", unit="text", doc="label of the instance (default: the folder or workbook name)"),
    ScalarSpec("horizon_hours", "float", minimum=0, maximum=100_000, exclusive_minimum=True, required=True,
               unit="h", doc="length of the horizon (at most 100,000 h)"),
    ScalarSpec("period_hours", "float", minimum=0, exclusive_minimum=True, required=True, unit="h",
               doc="decision period; must divide horizon_hours into whole periods"),
    ScalarSpec("storage", "mapping", doc="finished-goods storage", fields=(
        ScalarSpec("cost_per_item_period", "float", minimum=0, default=0.0, unit="currency/item/period",
                   doc="holding cost of a finished item"),
        ScalarSpec("capacity", "float", minimum=0, default=None, unit="items",
                   doc="finished items stored at once; leave it out for unlimited"),
    )),
)


@dataclass
class AcceptanceInstance:
    """A validated instance; tables kept as typed frames, routes sorted by (order, step)."""

    name: str
    orders: pd.DataFrame
    order_parts: pd.DataFrame
    operations: pd.DataFrame
    parts: pd.DataFrame
    suppliers: pd.DataFrame
    machines: pd.DataFrame
    transport: pd.DataFrame
    horizon_hours: float
    period_hours: float
    storage_cost: float = 0.0
    storage_capacity: float = math.inf
    capacity_factors: pd.DataFrame = field(default_factory=lambda: _empty_factors())

    @property
    def num_periods(self) -> int:
        return round(self.horizon_hours / self.period_hours)

    @property
    def order_ids(self) -> list[str]:
        return self.orders["order"].tolist()

    def describe(self) -> str:
        return (f"{self.name}: {len(self.orders)} orders, {len(self.parts)} parts, {len(self.suppliers)} supplier "
                f"offers, {len(self.machines)} machines, {len(self.transport)} transport modes, "
                f"{self.num_periods} periods of {self.period_hours:g} h")

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The tables; ``capacity_factors`` only when it has rows (so the checksum of an
        instance without it is what it always was)."""
        frames = {"orders": self.orders, "order_parts": self.order_parts, "operations": self.operations,
                  "parts": self.parts, "suppliers": self.suppliers, "machines": self.machines,
                  "transport": self.transport}
        if len(self.capacity_factors):
            frames["capacity_factors"] = self.capacity_factors
        return frames

    def factors(self) -> CapacityFactors:
        """The per-period capacity factors of :data:`CAPACITY_SPEC` as arrays (1 where no row)."""
        T = self.num_periods
        out = CapacityFactors(np.ones((len(self.suppliers), T)), np.ones((len(self.machines), T)),
                              np.ones((len(self.transport), T)), np.ones(T))
        f = self.capacity_factors
        if not len(f):
            return out
        agent = f["agent"].astype(str).to_numpy()
        resource = f["resource"].astype(str).to_numpy()
        period = f["period"].to_numpy(np.int64) - 1
        factor = f["factor"].to_numpy(float)
        sup_ids = self.suppliers["supplier"].astype(str).to_numpy()
        for name, ids, target in (("production", self.machines["machine"].astype(str).tolist(), out.machine),
                                  ("distribution", self.transport["mode"].astype(str).tolist(), out.mode)):
            rows = np.flatnonzero(agent == name)
            index = pd.Index(ids).get_indexer(resource[rows])
            np.multiply.at(target, (index, period[rows]), factor[rows])
        rows = np.flatnonzero(agent == "supply")
        hit = sup_ids[:, None] == resource[rows][None, :]  # [S, rows]: every offer of the supplier
        s_idx, r_idx = np.nonzero(hit)
        np.multiply.at(out.supplier, (s_idx, period[rows][r_idx]), factor[rows][r_idx])
        rows = np.flatnonzero(agent == "inventory")
        np.multiply.at(out.storage, period[rows], factor[rows])
        return out

    def scalars(self) -> dict[str, object]:
        storage = {"cost_per_item_period": float(self.storage_cost)}
        if math.isfinite(self.storage_capacity):
            storage["capacity"] = float(self.storage_capacity)
        return {"name": self.name, "horizon_hours": float(self.horizon_hours),
                "period_hours": float(self.period_hours), "storage": storage}

    def save(self, path: str | Path) -> None:
        save_tables(path, self.to_frames(), self.scalars())

    def checksum(self) -> str:
        return frames_checksum(self.to_frames(), repr(self.scalars()))


@dataclass
class CapacityFactors:
    """Per-period capacity factors: ``supplier [S, T]`` (per offer row of ``suppliers.csv``),
    ``machine [M, T]``, ``mode [J, T]``, ``storage [T]``."""

    supplier: np.ndarray
    machine: np.ndarray
    mode: np.ndarray
    storage: np.ndarray

    def storage_capacity(self, capacity: float) -> np.ndarray:
        """The storage capacity per period ``[T]`` (unlimited stays unlimited)."""
        return np.full(len(self.storage), math.inf) if not math.isfinite(capacity) else capacity * self.storage


def _empty_factors() -> pd.DataFrame:
    return pd.DataFrame({"agent": pd.Series(dtype=object), "resource": pd.Series(dtype=object),
                         "period": pd.Series(dtype="int64"), "factor": pd.Series(dtype=float)})


def load(path: str | Path) -> AcceptanceInstance:
    """Load and validate a folder or workbook; ``InputErrors`` name every defect: every
    unreadable file, bad cell and bad setting together, then the cross-table rules."""
    return load_instance(path, ALL_SPECS, _scalars, from_tables)


def from_frames(frames: dict[str, pd.DataFrame], scalars: dict[str, object]) -> AcceptanceInstance:
    return from_tables(tables_from_frames(frames, ALL_SPECS), scalars, "instance.yaml",
                       name=str(scalars.get("name") or "acceptance"))


def _scalars(scalars: Mapping[str, object] | None, source: str) -> tuple[dict[str, object], list[InputError]]:
    """The settings checked against :data:`SCALAR_SPECS`, plus: the period divides the horizon."""
    settings, errors = check_scalars(scalars, SCALAR_SPECS, source)
    horizon, period = settings["horizon_hours"], settings["period_hours"]
    if isinstance(horizon, float) and isinstance(period, float):
        ratio = horizon / period
        if abs(ratio - round(ratio)) > 1e-9:
            errors.append(InputError(source, None, "period_hours",
                                     f"must divide horizon_hours ({horizon:g}) into whole periods"))
        elif round(ratio) > MAX_PERIODS:
            errors.append(InputError(source, None, "period_hours",
                                     f"{round(ratio):,} periods of {period:g} h in the horizon: at most "
                                     f"{MAX_PERIODS:,} (the model grows with orders x periods); use longer periods"))
    return settings, errors


def from_tables(tables: dict[str, Table], scalars: Mapping[str, object] | None, source: str,
                name: str = "acceptance") -> AcceptanceInstance:
    """Cross-table validation; every defect is collected and raised together (a bad setting
    skips only the rules that need it)."""
    err = ErrorCollector()
    settings, errors = _scalars(scalars, source)
    err.extend(errors)
    horizon_ok = isinstance(settings["horizon_hours"], float)  # None when missing or in error
    horizon = float(settings["horizon_hours"] or 1.0)  # type: ignore[arg-type]
    period = float(settings["period_hours"] or 1.0)  # type: ignore[arg-type]
    storage: dict[str, object] = settings["storage"]  # type: ignore[assignment]
    storage_cost = float(storage["cost_per_item_period"])  # type: ignore[arg-type]
    capacity = math.inf if storage["capacity"] is None else float(storage["capacity"])  # type: ignore[arg-type]
    to, top, tops, tp, ts, tm, tt = (tables[n] for n in ("orders", "order_parts", "operations", "parts", "suppliers",
                                                          "machines", "transport"))
    orders, parts, machines = to.frame["order"].tolist(), tp.frame["part"].tolist(), tm.frame["machine"].tolist()
    for table, what in ((to, "order"), (tm, "machine"), (tt, "transport mode")):
        if len(table.frame) == 0:
            err.errors.append(table.error(None, None, f"no {what}s given"))
    for table, col, valid, what in ((top, "order", orders, "order"), (top, "part", parts, "part"),
                                    (tops, "order", orders, "order"), (tops, "machine", machines, "machine"),
                                    (ts, "part", parts, "part")):
        err.extend(check_references(table, col, valid, what))
    m = tm.frame
    for idx in np.flatnonzero(((m["max_utilisation"] <= 0) | (m["max_utilisation"] > 1)).to_numpy()):
        value = m["max_utilisation"].iat[idx]
        err.errors.append(tm.error(int(idx), "max_utilisation", f"must be in (0, 1], got {value:g}"))
    for idx in np.flatnonzero((m["maintenance_capacity_hours"] > m["capacity_hours"]).to_numpy()):
        err.errors.append(tm.error(int(idx), "maintenance_capacity_hours", "exceeds capacity_hours"))
    # one unit that takes longer than the whole horizon can never be made; such coefficients
    # (1e9 h) also break the solver's numerics, so they are input errors, not solver trouble
    for idx in np.flatnonzero((tops.frame["hours_per_unit"] > horizon).to_numpy() if horizon_ok else []):
        err.errors.append(tops.error(int(idx), "hours_per_unit",
                                     f"{tops.frame['hours_per_unit'].iat[idx]:g} machine h per item is longer than the "
                                     f"whole horizon ({horizon:g} h)"))
    for idx in np.flatnonzero((to.frame["deadline_hours"] > horizon).to_numpy() if horizon_ok else []):
        err.errors.append(to.error(int(idx), "deadline_hours", f"deadline {to.frame['deadline_hours'].iat[idx]:g} h is "
                                                               f"beyond the horizon ({horizon:g} h)"))
    factors = tables.get("capacity_factors")
    if factors is not None and len(factors.frame):
        err.extend(_check_factors(factors, {
            "supply": ts.frame["supplier"].astype(str).tolist(), "production": machines,
            "distribution": tt.frame["mode"].astype(str).tolist(), "inventory": ["", "storage"]},
            round(horizon / period) if horizon_ok and isinstance(settings["period_hours"], float) else None))
    err.raise_if_any()
    ops = tops.frame.assign(_row=np.arange(len(tops.frame)))
    steps = ops.groupby("order")["step"].agg(["min", "max", "size"])
    for order in steps.index[(steps["min"] != 1) | (steps["max"] != steps["size"])]:
        row = int(ops.loc[ops["order"] == order, "_row"].iat[0])
        err.errors.append(tops.error(row, "step", f"order '{order}' steps must be 1..n"))
    routed = set(ops["order"])
    for idx, order in enumerate(orders):
        if order not in routed:
            err.errors.append(to.error(idx, "order", f"order '{order}' has no operations.csv rows"))
    supplied = set(ts.frame["part"])
    needed = top.frame.assign(_row=np.arange(len(top.frame)))
    for part, row in zip(needed["part"], needed["_row"], strict=True):
        if part not in supplied:
            err.errors.append(top.error(int(row), "part", f"part '{part}' has no supplier in suppliers.csv"))
    err.raise_if_any()
    return AcceptanceInstance(
        name=name, orders=to.frame.reset_index(drop=True), order_parts=top.frame.reset_index(drop=True),
        operations=tops.frame.sort_values(["order", "step"], kind="stable").reset_index(drop=True),
        parts=tp.frame.reset_index(drop=True), suppliers=ts.frame.reset_index(drop=True),
        machines=tm.frame.reset_index(drop=True), transport=tt.frame.reset_index(drop=True),
        horizon_hours=horizon, period_hours=period, storage_cost=float(storage_cost), storage_capacity=float(capacity),
        capacity_factors=_factors_frame(factors),
    )


def _factors_frame(table: Table | None) -> pd.DataFrame:
    if table is None or not len(table.frame):
        return _empty_factors()
    frame = table.frame[["agent", "resource", "period", "factor"]].reset_index(drop=True).copy()
    frame["resource"] = frame["resource"].astype(str).where(frame["agent"] != "inventory", "storage")
    return frame


def _check_factors(table: Table, resources: Mapping[str, list[str]], periods: int | None) -> list[InputError]:
    """``capacity_factors.csv``: a known agent, a resource of that agent, a period in ``1..T``."""
    errors: list[InputError] = []
    frame = table.frame
    agent = frame["agent"].astype(str).to_numpy()
    resource = frame["resource"].astype(str).to_numpy()
    known_agent = np.isin(agent, list(resources))
    known = np.zeros(len(frame), bool)
    for name, ids in resources.items():
        rows = agent == name
        known[rows] = np.isin(resource[rows], ids)
    for idx in np.flatnonzero(~known_agent):
        errors.append(table.error(int(idx), "agent", f"unknown agent '{agent[idx]}'; capacities belong to "
                                                     f"{', '.join(CAPACITY_AGENTS)}"))
    words = {"supply": "supplier", "production": "machine", "distribution": "transport mode",
             "inventory": "storage (leave it empty or write 'storage')"}
    for idx in np.flatnonzero(known_agent & ~known):
        errors.append(table.error(int(idx), "resource", f"unknown {words[agent[idx]]} '{resource[idx]}'"))
    if periods is not None:
        period = frame["period"].to_numpy(np.int64)
        for idx in np.flatnonzero((period < 1) | (period > periods)):
            errors.append(table.error(int(idx), "period", f"period {period[idx]} is outside 1..{periods}"))
    return errors
