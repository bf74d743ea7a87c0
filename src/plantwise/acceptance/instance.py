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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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
    load_tables,
    read_scalars,
    save_tables,
    tables_from_frames,
)

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "orders",
        (
            Column("order", "str"),
            Column("product", "str", required=False, default=""),
            Column("quantity", "int", 1, unit="items"),
            Column("revenue", "float", 0, unit="currency per order"),
            Column("margin", "float", 0, required=False, default=0.0, unit="currency per order",
                   doc="profit margin (informative: the model charges every cost explicitly)"),
            Column("deadline_hours", "float", 0, unit="h from the start"),
            Column("delay_penalty_per_hour", "float", 0, unit="currency/h late"),
            Column("unmet_penalty", "float", 0, unit="currency per accepted order not delivered"),
            Column("distance_miles", "float", 0, unit="miles to the customer"),
            Column("production_cost_per_hour", "float", 0, required=False, default=0.0, unit="currency/machine h"),
            Column("complexity", "str", required=False, default=""),
            Column("promptness", "str", required=False, default=""),
            Column("revenue_class", "str", required=False, default=""),
            Column("location", "str", required=False, default=""),
            Column("quantity_class", "str", required=False, default=""),
            Column("parts_class", "str", required=False, default=""),
        ),
        key=("order",),
    ),
    TableSpec(
        "order_parts",
        (Column("order", "str"), Column("part", "str"), Column("per_unit", "float", 1e-9, unit="parts/item")),
        key=("order", "part"),
    ),
    TableSpec(
        "operations",
        (
            Column("order", "str"),
            Column("step", "int", 1),
            Column("machine", "str"),
            Column("hours_per_unit", "float", 1e-9, unit="machine h/item"),
        ),
        key=("order", "step"),
    ),
    TableSpec(
        "parts",
        (
            Column("part", "str"),
            Column("holding_cost", "float", 0, unit="currency/item/period"),
            Column("initial_inventory", "float", 0, required=False, default=0.0, unit="items"),
        ),
        key=("part",),
    ),
    TableSpec(
        "suppliers",
        (
            Column("supplier", "str"),
            Column("part", "str"),
            Column("capacity_per_period", "float", 0, unit="parts/period"),
            Column("cost_per_part", "float", 0, unit="currency/part"),
        ),
        key=("supplier", "part"),
    ),
    TableSpec(
        "machines",
        (
            Column("machine", "str"),
            Column("capacity_hours", "float", 0, unit="h/period"),
            Column("maintenance_capacity_hours", "float", 0, unit="h in a period with maintenance"),
            Column("max_utilisation", "float", 0, required=False, default=1.0, doc="in (0, 1]"),
            Column("mttf_hours", "float", 1e-9, unit="h: maintain at least this often"),
            Column("maintenance_hours", "float", 0, required=False, default=0.0, unit="h"),
            Column("maintenance_cost", "float", 0, required=False, default=0.0, unit="currency per maintenance"),
        ),
        key=("machine",),
    ),
    TableSpec(
        "transport",
        (
            Column("mode", "str"),
            Column("capacity_per_period", "float", 0, unit="items/period"),
            Column("cost_per_item_mile", "float", 0, unit="currency/item/mile"),
            Column("hours_per_mile", "float", 0, unit="h/mile"),
        ),
        key=("mode",),
    ),
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
        return {"orders": self.orders, "order_parts": self.order_parts, "operations": self.operations,
                "parts": self.parts, "suppliers": self.suppliers, "machines": self.machines,
                "transport": self.transport}

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


def load(path: str | Path) -> AcceptanceInstance:
    """Load and validate a folder or workbook; ``InputErrors`` name every defect."""
    path = Path(path)
    scalars, source = read_scalars(path)
    return from_tables(load_tables(path, SPECS), scalars, source, name=str(scalars.get("name", path.stem)))


def from_frames(frames: dict[str, pd.DataFrame], scalars: dict[str, object]) -> AcceptanceInstance:
    return from_tables(tables_from_frames(frames, SPECS), scalars, "instance.yaml",
                       name=str(scalars.get("name", "acceptance")))


def _positive(err: ErrorCollector, source: str, key: str, value: object, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= minimum:
        err.add(source, None, key, f"must be a number > {minimum:g}, got {value!r}")
        return 1.0
    return float(value)


def from_tables(tables: dict[str, Table], scalars: dict[str, object], source: str,
                name: str = "acceptance") -> AcceptanceInstance:
    """Cross-table validation; every defect is collected and raised together."""
    err = ErrorCollector()
    horizon = _positive(err, source, "horizon_hours", scalars.get("horizon_hours"))
    period = _positive(err, source, "period_hours", scalars.get("period_hours"))
    ratio = horizon / period
    if abs(ratio - round(ratio)) > 1e-9:
        err.add(source, None, "period_hours", f"must divide horizon_hours ({horizon:g}) into whole periods")
    storage = scalars.get("storage", {}) or {}
    if not isinstance(storage, dict):
        err.add(source, None, "storage", "must be a mapping with cost_per_item_period and capacity")
        storage = {}
    for key in storage:
        if key not in ("cost_per_item_period", "capacity"):
            err.add(source, None, f"storage.{key}", "unknown key (expected cost_per_item_period, capacity)")
    storage_cost = storage.get("cost_per_item_period", 0.0)
    if isinstance(storage_cost, bool) or not isinstance(storage_cost, int | float) or storage_cost < 0:
        err.add(source, None, "storage.cost_per_item_period", f"must be a number >= 0, got {storage_cost!r}")
        storage_cost = 0.0
    capacity = storage.get("capacity", math.inf)
    if isinstance(capacity, bool) or not isinstance(capacity, int | float) or capacity < 0:
        err.add(source, None, "storage.capacity", f"must be a number >= 0, got {capacity!r}")
        capacity = math.inf
    err.raise_if_any()
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
    for idx in np.flatnonzero((to.frame["deadline_hours"] > horizon).to_numpy()):
        err.errors.append(to.error(int(idx), "deadline_hours", f"deadline {to.frame['deadline_hours'].iat[idx]:g} h is "
                                                               f"beyond the horizon ({horizon:g} h)"))
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
    )
