"""A schedule plan as plain data: ``schedule.csv``, ``inventory.csv`` and ``summary.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from plantwise.core.summary import dumps
from plantwise.core.tables import Column, TableSpec, load_tables, read_summary

SCHEDULE_SPEC = TableSpec(
    "schedule",
    (
        Column("job", "str"),
        Column("good", "str", required=False, default=""),
        Column("quantity", "float", 0, required=False, default=0.0, unit="units of output"),
        Column("step", "int", 1),
        Column("stage", "str"),
        Column("machine", "str"),
        Column("start", "int", 0, unit="time units from the horizon start"),
        Column("end", "int", 0),
    ),
    key=("job", "step"),
)
INVENTORY_SPEC = TableSpec(
    "inventory",
    (
        Column("good", "str"),
        Column("period", "int", 1),
        Column("period_end", "int", 0),
        Column("demand", "float", 0),
        Column("produced", "float", 0),
        Column("inventory", "float", 0),
        Column("stockout", "float", 0),
        Column("reorder_point", "float", 0),
        Column("below_reorder_point", "float", 0),
        Column("adjustment", "float", None, required=False, default=0.0, unit="units",
               doc="stock adjustment of the period (only with stock_adjustments.csv)"),
    ),
    key=("good", "period"),
)


@dataclass
class SchedulePlan:
    """``schedule`` (job, good, quantity, step, stage, machine, start, end) of every made job,
    ``inventory`` per good and period (empty without inventory) and the ``summary``."""

    schedule: pd.DataFrame
    inventory: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.schedule.to_csv(path / "schedule.csv", index=False)
        self.inventory.to_csv(path / "inventory.csv", index=False)
        (path / "summary.json").write_text(dumps(self.summary), encoding="utf-8")


def load_plan(path: str | Path) -> SchedulePlan:
    """Read a plan folder; bad files raise ``InputErrors`` naming file, row and column."""
    path = Path(path)
    specs = [SCHEDULE_SPEC] + ([INVENTORY_SPEC] if (path / "inventory.csv").exists() and
                               (path / "inventory.csv").read_text().strip() else [])
    tables = load_tables(path, specs)
    summary = read_summary(path)
    inventory = tables["inventory"].frame if "inventory" in tables else pd.DataFrame(
        columns=[c.name for c in INVENTORY_SPEC.columns if c.name != "adjustment"])
    if "inventory" in tables:
        header = {str(c).strip().casefold() for c in pd.read_csv(path / "inventory.csv", nrows=0, sep=None,
                                                                  engine="python").columns}
        if "adjustment" not in header:  # the optional column only where the plan has it: the folder round-trips
            inventory = inventory.drop(columns=["adjustment"])
    frame = tables["schedule"].frame.copy()
    frame.attrs["source_rows"] = tables["schedule"].source_rows
    return SchedulePlan(frame, inventory, summary)


def empty_schedule() -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=object if c.kind == "str" else (np.int64 if c.kind == "int"
                                                                                else float))
                         for c in SCHEDULE_SPEC.columns})
