"""An acceptance plan as plain data: one CSV per decision and ``summary.json``.

Periods are numbered ``1..T``; period ``t`` covers hours ``[(t-1)Δ, tΔ)``.

* ``orders.csv``: order, accepted (0/1), delivered (0/1), unmet (0/1), mode (empty when not
  delivered), delivery_period (0 when not delivered), arrival_hours, tardiness_hours;
* ``purchases.csv``: supplier, part, period, quantity (rows with quantity > 0);
* ``part_stock.csv``: part, period, stock at the end of the period (every part and period);
* ``processing.csv``: order, step, machine, period, units (rows with units > 0), start_hours
  (the hour the period starts, ``(period - 1)Δ``: when the work may begin; re-planning's
  time of a production decision; derived from the period: optional, and not verified);
* ``maintenance.csv``: machine, period (one row per maintenance);
* ``finished_stock.csv``: order, period, stock at the end of the period (rows with stock > 0);
* ``summary.json``: status, profit, revenue, accepted_orders, cost per agent, solve_seconds
  and the method's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from plantwise.core.summary import dumps
from plantwise.core.tables import Column, TableSpec, load_tables, read_summary

ORDERS_SPEC = TableSpec(
    "orders",
    (
        Column("order", "str"),
        Column("accepted", "int", 0),
        Column("delivered", "int", 0),
        Column("unmet", "int", 0),
        Column("mode", "str", required=False, default=""),
        Column("delivery_period", "int", 0, required=False, default=0),
        Column("arrival_hours", "float", required=False, default=0.0),
        Column("tardiness_hours", "float", 0, required=False, default=0.0),
    ),
    key=("order",),
)
PURCHASES_SPEC = TableSpec(
    "purchases",
    (Column("supplier", "str"), Column("part", "str"), Column("period", "int", 1), Column("quantity", "float", 0)),
    key=("supplier", "part", "period"),
)
PART_STOCK_SPEC = TableSpec(
    "part_stock", (Column("part", "str"), Column("period", "int", 1), Column("stock", "float")), key=("part", "period"),
)
PROCESSING_SPEC = TableSpec(
    "processing",
    (Column("order", "str"), Column("step", "int", 1), Column("machine", "str"), Column("period", "int", 1),
     Column("units", "float", 0), Column("start_hours", "float", required=False)),
    key=("order", "step", "period"),
)
MAINTENANCE_SPEC = TableSpec("maintenance", (Column("machine", "str"), Column("period", "int", 1)),
                             key=("machine", "period"))
FINISHED_STOCK_SPEC = TableSpec(
    "finished_stock", (Column("order", "str"), Column("period", "int", 1), Column("stock", "float")),
    key=("order", "period"),
)
PLAN_SPECS = (ORDERS_SPEC, PURCHASES_SPEC, PART_STOCK_SPEC, PROCESSING_SPEC, MAINTENANCE_SPEC, FINISHED_STOCK_SPEC)
OPTIONAL_TABLES = ("part_stock", "finished_stock")  # recomputable from the others; checked when present


@dataclass
class AcceptancePlan:
    """The plan's tables (see the module docstring) and its ``summary``."""

    orders: pd.DataFrame
    purchases: pd.DataFrame
    part_stock: pd.DataFrame
    processing: pd.DataFrame
    maintenance: pd.DataFrame
    finished_stock: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)
    history: pd.DataFrame | None = None  # the ADMM iteration history, when there is one

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"orders": self.orders, "purchases": self.purchases, "part_stock": self.part_stock,
                "processing": self.processing, "maintenance": self.maintenance,
                "finished_stock": self.finished_stock}

    @property
    def accepted_orders(self) -> list[str]:
        return self.orders.loc[self.orders["accepted"] == 1, "order"].tolist()

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables().items():
            frame.to_csv(path / f"{name}.csv", index=False)
        if self.history is not None:
            self.history.to_csv(path / "history.csv", index=False)
        (path / "summary.json").write_text(dumps(self.summary), encoding="utf-8")


def empty(spec: TableSpec) -> pd.DataFrame:
    kinds = {"str": object, "int": "int64", "float": float}
    return pd.DataFrame({c.name: pd.Series(dtype=kinds[c.kind]) for c in spec.columns})


def load_plan(path: str | Path) -> AcceptancePlan:
    """Read a plan folder; bad files raise ``InputErrors`` naming file, row and column.

    ``part_stock.csv`` and ``finished_stock.csv`` may be absent (the verifier recomputes the
    stocks); every other table must exist, possibly with a header only.
    """
    path = Path(path)
    specs = [s for s in PLAN_SPECS if s.name not in OPTIONAL_TABLES or (path / f"{s.name}.csv").exists()]
    tables = load_tables(path, specs)
    frames = {}
    for spec in PLAN_SPECS:
        if spec.name in tables:
            frame = tables[spec.name].frame.copy()
            frame.attrs["source_rows"] = tables[spec.name].source_rows
            frames[spec.name] = frame
        else:
            frames[spec.name] = empty(spec)
    summary = read_summary(path)
    return AcceptancePlan(summary=summary, **frames)
