"""Independent verification of an e2e plan from the instance and the plan alone.

Nothing here reads the solver model. The plan's decision tables are mapped onto the
instance's index sets, stocks are re-simulated (:mod:`plantwise.e2e.evaluate`) and every
rule is checked. Families named in violations:

``format``          unknown ids, non-numeric or negative quantities, days outside 1..T,
                    duplicate rows, a line making a SKU it is not eligible for, a
                    shipment or transfer on a lane that does not exist
``lane lead time``  arrival_day = day + the lane's lead time, and arrival within 1..T
``line hours``      sum of quantity / rate + setup hours of a line-day <= available hours
``MOQ``             a lot (quantity > 0) is at least the pair's minimum order quantity
``plant stock``     plant stock never negative (shipments and transfers leave from stock)
``stockout``        no DC backlog when the instance forbids stockouts
``stock balance``   reported inventory/stockout tables equal the re-simulated ones
``cost``            the reported objective equals the recomputed cost
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plantwise.core.verification import Verification, check_reported_cost
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.plan import E2EPlan

TOLERANCE = 1e-5  # units or hours; relative to the magnitude for larger numbers


def _first(items: list[str], limit: int = 8) -> str:
    return "; ".join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _numbers(frame: pd.DataFrame, file: str, columns: dict[str, str], out: Verification, T: int) -> pd.DataFrame:
    """Typed copy of ``frame``; rows with bad values are reported and dropped.

    ``columns`` maps a column to ``day`` (integer in 1..T), ``arrival`` (integer) or
    ``quantity`` (finite, >= 0)."""
    frame = frame.reset_index(drop=True).copy()
    ok = np.ones(len(frame), dtype=bool)
    for col, kind in columns.items():  # numpy on the converted column: pandas ops cost ms per call
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        filled = np.where(np.isfinite(values), values, 0.0)
        bad = ~np.isfinite(values)
        if kind in ("day", "arrival"):
            bad |= ~np.isclose(filled, np.round(filled))
        if kind == "day":
            bad |= (filled < 1) | (filled > T)
        if kind == "quantity":
            bad |= filled < 0
        what = {"day": f"an integer day in 1..{T}", "arrival": "an integer day", "quantity": "a number >= 0"}[kind]
        rows = np.flatnonzero(bad)
        if rows.size:
            out.add("format", f"{file} column '{col}' must be {what}: " + _first(
                [f"row {r + 2} '{frame[col].iloc[r]}'" for r in rows]))
        ok &= ~bad
        frame[col] = values
    return frame[ok].reset_index(drop=True)


def _lookup(frame: pd.DataFrame, columns: list[str], keys: pd.DataFrame, file: str, what: str,
            out: Verification) -> np.ndarray:
    """Index of each row of ``frame`` in ``keys`` (matched on ``columns``, as strings); -1 and a
    format violation where there is none. (A dictionary, not a merge: plans are mostly small,
    and a merge costs milliseconds even on ten rows.)"""
    index_of: dict[tuple[str, ...], int] = {}
    for i, key in enumerate(zip(*(keys[c].astype(str).tolist() for c in columns), strict=True)):
        index_of.setdefault(key, i)
    rows = zip(*(frame[c].astype(str).tolist() for c in columns), strict=True)
    index = np.fromiter((index_of.get(key, -1) for key in rows), dtype=np.int64, count=len(frame))
    bad = np.flatnonzero(index < 0)
    if bad.size:
        out.add("format", f"{file}: {what}: " + _first(
            [f"row {r + 2} ({', '.join(str(frame[c].iloc[r]) for c in columns)})" for r in bad]))
    return index


def _scatter(shape: tuple[int, int], index: np.ndarray, day: np.ndarray, qty: np.ndarray, file: str,
             out: Verification) -> np.ndarray:
    arr = np.zeros(shape)
    ok = index >= 0
    pairs = pd.DataFrame({"i": index[ok], "t": day[ok]})
    dup = pairs.duplicated(keep="first").to_numpy()
    if dup.any():
        out.add("format", f"{file}: {int(dup.sum())} duplicate rows for the same key and day")
    np.add.at(arr, (index[ok], day[ok] - 1), qty[ok])
    return arr


def plan_arrays(inst: E2EInstance, plan: E2EPlan, out: Verification) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map the plan's decision tables onto ``[K, T]``, ``[E, T]``, ``[F, T]`` arrays,
    reporting format and lead-time violations into ``out``."""
    T = inst.horizon
    lines, skus = np.array(inst.lines, object), np.array(inst.skus, object)
    plants, dcs = np.array(inst.plants, object), np.array(inst.dcs, object)
    for frame in (plan.production, plan.shipments, plan.transfers):
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].astype(str).str.strip()
    prod = _numbers(plan.production.astype({"line": str, "sku": str}), "production.csv",
                    {"day": "day", "quantity": "quantity"}, out, T)
    pairs = pd.DataFrame({"line": lines[inst.pair_line], "sku": skus[inst.pair_sku]})
    k = _lookup(prod, ["line", "sku"], pairs, "production.csv", "line not eligible for the SKU (or unknown ids)", out)
    production = _scatter((inst.num_pairs, T), k, prod["day"].to_numpy(np.int64), prod["quantity"].to_numpy(float),
                          "production.csv", out)

    ship = _numbers(plan.shipments.astype({"plant": str, "dc": str, "sku": str}), "shipments.csv",
                    {"day": "day", "arrival_day": "arrival", "quantity": "quantity"}, out, T)
    arcs = pd.DataFrame({"plant": plants[inst.plant_pos_plant[inst.ship_from]],
                         "dc": dcs[inst.dc_pos_dc[inst.ship_to]], "sku": skus[inst.dc_pos_sku[inst.ship_to]]})
    e = _lookup(ship, ["plant", "dc", "sku"], arcs, "shipments.csv",
                "no dc_lanes.csv lane from the plant to the DC for a SKU both stock", out)
    _check_lead(ship, e, inst.ship_lead, "shipments.csv", T, out)
    shipments = _scatter((len(inst.ship_from), T), e, ship["day"].to_numpy(np.int64),
                         ship["quantity"].to_numpy(float), "shipments.csv", out)

    move = _numbers(plan.transfers.astype({"from_plant": str, "to_plant": str, "sku": str}), "transfers.csv",
                    {"day": "day", "arrival_day": "arrival", "quantity": "quantity"}, out, T)
    marcs = pd.DataFrame({"from_plant": plants[inst.plant_pos_plant[inst.move_from]],
                          "to_plant": plants[inst.plant_pos_plant[inst.move_to]],
                          "sku": skus[inst.plant_pos_sku[inst.move_from]]})
    f = _lookup(move, ["from_plant", "to_plant", "sku"], marcs, "transfers.csv",
                "no transfer_lanes.csv lane between the plants for a SKU both stock", out)
    _check_lead(move, f, inst.move_lead, "transfers.csv", T, out)
    transfers = _scatter((len(inst.move_from), T), f, move["day"].to_numpy(np.int64),
                         move["quantity"].to_numpy(float), "transfers.csv", out)
    return production, shipments, transfers


def _check_lead(frame: pd.DataFrame, index: np.ndarray, lead: np.ndarray, file: str, T: int,
                out: Verification) -> None:
    ok = index >= 0
    if not ok.any():
        return
    day = frame["day"].to_numpy(np.int64)
    arrival = frame["arrival_day"].to_numpy(np.int64)
    expected = np.where(ok, day + lead[np.maximum(index, 0)], arrival)
    wrong = np.flatnonzero(ok & (arrival != expected))
    if wrong.size:
        out.add("lane lead time", f"{file}: arrival_day is not day + lead time: " + _first(
            [f"row {r + 2} leaves day {day[r]}, arrives {arrival[r]}, lead time {expected[r] - day[r]}"
             for r in wrong]))
    late = np.flatnonzero(ok & (expected > T) & (frame["quantity"].to_numpy(float) > TOLERANCE))
    if late.size:
        out.add("lane lead time", f"{file}: arrives after the horizon T = {T}: " + _first(
            [f"row {r + 2} leaves day {day[r]}, arrives {expected[r]}" for r in late]))


def verify(inst: E2EInstance, plan: E2EPlan, check_cost: bool = True) -> Verification:
    """Check every rule of the module docstring; recompute the cost breakdown."""
    out = Verification()
    production, shipments, transfers = plan_arrays(inst, plan, out)
    T = inst.horizon
    sim = simulate(inst, production, shipments, transfers)
    out.cost_breakdown = sim.costs

    # line hours
    excess = sim.line_hours - inst.hours
    bad_l, bad_t = np.nonzero(excess > TOLERANCE * np.maximum(1.0, inst.hours))
    if bad_l.size:
        out.add("line hours", "hours used exceed available hours: " + _first(
            [f"line {inst.lines[l]} day {t + 1}: {sim.line_hours[l, t]:.4f} h > {inst.hours[l, t]:.4f} h"
             for l, t in zip(bad_l, bad_t, strict=True)]))
    # MOQ
    lots = production > TOLERANCE
    small = lots & (production < inst.moq[:, None] - TOLERANCE * np.maximum(1.0, inst.moq[:, None]))
    bad_k, bad_t = np.nonzero(small)
    if bad_k.size:
        out.add("MOQ", "lots below the minimum order quantity: " + _first(
            [f"line {inst.lines[inst.pair_line[k]]} SKU {inst.skus[inst.pair_sku[k]]} day {t + 1}: "
             f"{production[k, t]:g} < MOQ {inst.moq[k]:g}" for k, t in zip(bad_k, bad_t, strict=True)]))
    # plant stock
    scale = np.maximum(1.0, np.abs(sim.plant_stock).max(axis=1, keepdims=True))  # per position
    neg_a, neg_t = np.nonzero(sim.plant_stock < -TOLERANCE * scale)
    if neg_a.size:
        out.add("plant stock", "shipments and transfers exceed the plant's stock: " + _first(
            [f"plant {inst.plants[inst.plant_pos_plant[a]]} SKU {inst.skus[inst.plant_pos_sku[a]]} day {t + 1}: "
             f"stock {sim.plant_stock[a, t]:.4f}" for a, t in zip(neg_a, neg_t, strict=True)]))
    # stockouts forbidden
    if not inst.allow_stockout:
        bo_b, bo_t = np.nonzero(sim.dc_backlog > TOLERANCE)
        if bo_b.size:
            out.add("stockout", "demand not met from stock where stockouts are not allowed: " + _first(
                [f"DC {inst.dcs[inst.dc_pos_dc[b]]} SKU {inst.skus[inst.dc_pos_sku[b]]} day {t + 1}: "
                 f"short {sim.dc_backlog[b, t]:g}" for b, t in zip(bo_b, bo_t, strict=True)]))
    _check_reported_stock(inst, plan, sim.plant_stock, sim.dc_stock, sim.dc_backlog, T, out)
    if check_cost:
        check_reported_cost(out, plan.summary.get("objective"))
    return out


def _check_reported_stock(inst: E2EInstance, plan: E2EPlan, plant_stock: np.ndarray, dc_stock: np.ndarray,
                          backlog: np.ndarray, T: int, out: Verification) -> None:
    """The derived inventory tables, if present, must equal the re-simulated stocks."""
    checks = []
    if plan.plant_inventory is not None and len(plan.plant_inventory):
        keys = pd.DataFrame({"plant": np.array(inst.plants, object)[inst.plant_pos_plant],
                             "sku": np.array(inst.skus, object)[inst.plant_pos_sku]})
        checks.append(("plant_inventory.csv", plan.plant_inventory, ["plant", "sku"], keys,
                       {"inventory": plant_stock}))
    if plan.dc_inventory is not None and len(plan.dc_inventory):
        keys = pd.DataFrame({"dc": np.array(inst.dcs, object)[inst.dc_pos_dc],
                             "sku": np.array(inst.skus, object)[inst.dc_pos_sku]})
        checks.append(("dc_inventory.csv", plan.dc_inventory, ["dc", "sku"], keys,
                       {"inventory": dc_stock, "stockout": backlog}))
    for file, frame, cols, keys, values in checks:
        frame = frame.astype({c: str for c in cols})
        typed = _numbers(frame, file, {"day": "day", **{c: "quantity" for c in values}}, out, T)
        index = _lookup(typed, cols, keys, file, "unknown stock position", out)
        ok = index >= 0
        day = typed["day"].to_numpy(np.int64) - 1
        for col, truth in values.items():
            reported = typed[col].to_numpy(float)
            expected = truth[np.maximum(index, 0), day]
            wrong = np.flatnonzero(ok & ~np.isclose(reported, expected, rtol=1e-6, atol=1e-4))
            if wrong.size:
                out.add("stock balance", f"{file} column '{col}' differs from previous stock + inflow - outflow: "
                        + _first([f"row {r + 2}: reported {reported[r]:g}, balance gives {expected[r]:g}"
                                  for r in wrong]))
