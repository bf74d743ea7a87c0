"""An e2e plan: decision tables plus derived tables and a summary, round-tripping to a folder.

Decisions: ``production.csv`` (line, sku, day, quantity), ``shipments.csv`` (plant, dc,
sku, day, arrival_day, quantity), ``transfers.csv`` (from_plant, to_plant, sku, day,
arrival_day, quantity). Derived, for people, and re-checked by the verifier:
``plant_inventory.csv`` (plant, sku, day, inventory) and ``dc_inventory.csv`` (dc, sku,
day, inventory, stockout), both at the end of the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.summary import dumps
from plantwise.core.tables import read_summary
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.instance import E2EInstance

PRODUCTION_COLUMNS = ["line", "sku", "day", "quantity"]
SHIPMENT_COLUMNS = ["plant", "dc", "sku", "day", "arrival_day", "quantity"]
TRANSFER_COLUMNS = ["from_plant", "to_plant", "sku", "day", "arrival_day", "quantity"]
PLANT_INVENTORY_COLUMNS = ["plant", "sku", "day", "inventory"]
DC_INVENTORY_COLUMNS = ["dc", "sku", "day", "inventory", "stockout"]
QUANTITY_TOLERANCE = 1e-6


@dataclass
class E2EPlan:
    """The decisions of a plan as tables, the derived stock tables and the summary."""

    production: pd.DataFrame
    shipments: pd.DataFrame
    transfers: pd.DataFrame
    plant_inventory: pd.DataFrame | None = None
    dc_inventory: pd.DataFrame | None = None
    summary: dict[str, object] = field(default_factory=dict)
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.production.to_csv(path / "production.csv", index=False)
        self.shipments.to_csv(path / "shipments.csv", index=False)
        self.transfers.to_csv(path / "transfers.csv", index=False)
        if self.plant_inventory is not None:
            self.plant_inventory.to_csv(path / "plant_inventory.csv", index=False)
        if self.dc_inventory is not None:
            self.dc_inventory.to_csv(path / "dc_inventory.csv", index=False)
        for name, frame in self.extra_tables.items():
            frame.to_csv(path / f"{name}.csv", index=False)
        (path / "summary.json").write_text(dumps(self.summary), encoding="utf-8")


def plan_from_arrays(inst: E2EInstance, production: np.ndarray, shipments: np.ndarray, transfers: np.ndarray,
                     summary: dict[str, object] | None = None) -> E2EPlan:
    """Tables of the plan given as arrays ``[K, T]``, ``[E, T]``, ``[F, T]`` (entries at
    or below ``QUANTITY_TOLERANCE`` are dropped; quantities are rounded to 6 decimals)."""
    T = inst.horizon
    lines, skus = np.array(inst.lines, object), np.array(inst.skus, object)
    plants, dcs = np.array(inst.plants, object), np.array(inst.dcs, object)
    k, t = np.nonzero(production > QUANTITY_TOLERANCE)
    prod = pd.DataFrame({"line": lines[inst.pair_line[k]], "sku": skus[inst.pair_sku[k]], "day": t + 1,
                         "quantity": np.round(production[k, t], 6)}, columns=PRODUCTION_COLUMNS)
    e, t = np.nonzero(shipments > QUANTITY_TOLERANCE)
    ship = pd.DataFrame({"plant": plants[inst.plant_pos_plant[inst.ship_from[e]]],
                         "dc": dcs[inst.dc_pos_dc[inst.ship_to[e]]], "sku": skus[inst.dc_pos_sku[inst.ship_to[e]]],
                         "day": t + 1, "arrival_day": t + 1 + inst.ship_lead[e],
                         "quantity": np.round(shipments[e, t], 6)}, columns=SHIPMENT_COLUMNS)
    f, t = np.nonzero(transfers > QUANTITY_TOLERANCE)
    move = pd.DataFrame({"from_plant": plants[inst.plant_pos_plant[inst.move_from[f]]],
                         "to_plant": plants[inst.plant_pos_plant[inst.move_to[f]]],
                         "sku": skus[inst.plant_pos_sku[inst.move_from[f]]], "day": t + 1,
                         "arrival_day": t + 1 + inst.move_lead[f], "quantity": np.round(transfers[f, t], 6)},
                        columns=TRANSFER_COLUMNS)
    sim = simulate(inst, production, shipments, transfers)
    A, B = inst.num_plant_positions, inst.num_dc_positions
    aa, tt = np.meshgrid(np.arange(A), np.arange(T), indexing="ij")
    plant_inv = pd.DataFrame({"plant": plants[inst.plant_pos_plant[aa.ravel()]],
                              "sku": skus[inst.plant_pos_sku[aa.ravel()]], "day": tt.ravel() + 1,
                              "inventory": np.round(sim.plant_stock.ravel(), 6)})
    bb, tt = np.meshgrid(np.arange(B), np.arange(T), indexing="ij")
    dc_inv = pd.DataFrame({"dc": dcs[inst.dc_pos_dc[bb.ravel()]], "sku": skus[inst.dc_pos_sku[bb.ravel()]],
                           "day": tt.ravel() + 1, "inventory": np.round(sim.dc_stock.ravel(), 6),
                           "stockout": np.round(sim.dc_backlog.ravel(), 6)})
    return E2EPlan(prod, ship, move, plant_inv, dc_inv, dict(summary or {}))


# ---------------------------------------------------------------------- reading
def _read(path: Path, name: str, columns: list[str], required: bool = True) -> pd.DataFrame | None:
    file = path / name
    if not file.exists():
        if required:
            raise InputErrors([InputError(name, None, None, f"file missing in {path}")])
        return None
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputErrors([InputError(name, None, None, f"cannot be read as CSV: {exc}")]) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputErrors([InputError(name, None, c, "required column missing") for c in missing])
    return frame


def load_plan(path: str | Path) -> E2EPlan:
    """Read a plan folder (decision tables required, derived tables optional)."""
    path = Path(path)
    if not path.is_dir():
        raise InputErrors([InputError(str(path), None, None, "no such plan folder")])
    prod = _read(path, "production.csv", PRODUCTION_COLUMNS)
    ship = _read(path, "shipments.csv", SHIPMENT_COLUMNS)
    move = _read(path, "transfers.csv", TRANSFER_COLUMNS)
    plant_inv = _read(path, "plant_inventory.csv", PLANT_INVENTORY_COLUMNS, required=False)
    dc_inv = _read(path, "dc_inventory.csv", DC_INVENTORY_COLUMNS, required=False)
    summary = read_summary(path)
    assert prod is not None and ship is not None and move is not None
    return E2EPlan(prod, ship, move, plant_inv, dc_inv, summary)
