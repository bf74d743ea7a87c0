"""The independent e2e verifier: a solved plan passes with the solver's cost, and each
planted violation is reported under its own family (and, where the planting can be
isolated, nothing unrelated is reported with it)."""

from __future__ import annotations

import copy
import dataclasses
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from plantwise.cli import app
from plantwise.core.options import SolveOptions
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.generator import generate
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.methods import solve
from plantwise.e2e.plan import E2EPlan, load_plan, plan_from_arrays
from plantwise.e2e.verifier import verify

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


@functools.cache
def _solved() -> tuple[E2EInstance, E2EPlan]:
    """Scenario 3 (plant A short of capacity: transfers and stockouts) at 5 SKUs, solved
    to optimality by the exact method (well under a second)."""
    inst = generate(3, 1, skus=5)
    result = solve(inst, "exact", SolveOptions(time_limit=20))
    assert result.plan is not None
    return inst, result.plan


@pytest.fixture
def case() -> tuple[E2EInstance, E2EPlan]:
    """The instance (shared, never modified) and a private copy of the solved plan."""
    inst, plan = _solved()
    return inst, copy.deepcopy(plan)


def arrays_of(inst: E2EInstance, plan: E2EPlan) -> Arrays:
    """The plan's decision tables as ``[K, T]``, ``[E, T]``, ``[F, T]`` arrays, mapped here
    (not by the verifier's own code)."""
    T = inst.horizon
    pair = {(inst.lines[inst.pair_line[k]], inst.skus[inst.pair_sku[k]]): k for k in range(inst.num_pairs)}
    arc = {(inst.plants[inst.plant_pos_plant[a]], inst.dcs[inst.dc_pos_dc[b]], inst.skus[inst.dc_pos_sku[b]]): e
           for e, (a, b) in enumerate(zip(inst.ship_from, inst.ship_to, strict=True))}
    plant_of = [inst.plants[p] for p in inst.plant_pos_plant]
    move = {(plant_of[a], plant_of[c], inst.skus[inst.plant_pos_sku[a]]): f
            for f, (a, c) in enumerate(zip(inst.move_from, inst.move_to, strict=True))}
    production = np.zeros((inst.num_pairs, T))
    for line, sku, day, q in plan.production[["line", "sku", "day", "quantity"]].itertuples(index=False):
        production[pair[(str(line), str(sku))], int(day) - 1] += float(q)
    shipments = np.zeros((len(inst.ship_from), T))
    for p, d, s, day, q in plan.shipments[["plant", "dc", "sku", "day", "quantity"]].itertuples(index=False):
        shipments[arc[(str(p), str(d), str(s))], int(day) - 1] += float(q)
    transfers = np.zeros((len(inst.move_from), T))
    for p, c, s, day, q in plan.transfers[["from_plant", "to_plant", "sku", "day", "quantity"]].itertuples(index=False):
        transfers[move[(str(p), str(c), str(s))], int(day) - 1] += float(q)
    return production, shipments, transfers


def replan(inst: E2EInstance, production: np.ndarray, shipments: np.ndarray, transfers: np.ndarray) -> E2EPlan:
    """A plan of these decisions whose derived tables and reported objective are consistent."""
    cost = simulate(inst, production, shipments, transfers).total
    return plan_from_arrays(inst, production, shipments, transfers, {"objective": cost})


def plant_stock(inst: E2EInstance, production: np.ndarray, shipments: np.ndarray, transfers: np.ndarray) -> np.ndarray:
    """End-of-day plant stock [A, T], computed here by a plain day loop."""
    A, T = inst.num_plant_positions, inst.horizon
    stock = np.zeros((A, T))
    level = inst.plant_initial.astype(float).copy()
    for t in range(T):
        for k in range(inst.num_pairs):
            level[inst.pair_position[k]] += production[k, t]
        for e in range(len(inst.ship_from)):
            level[inst.ship_from[e]] -= shipments[e, t]
        for f in range(len(inst.move_from)):
            level[inst.move_from[f]] -= transfers[f, t]
            if t - inst.move_lead[f] >= 0:
                level[inst.move_to[f]] += transfers[f, t - inst.move_lead[f]]
        stock[:, t] = level
    return stock


def families(inst: E2EInstance, plan: E2EPlan) -> set[str]:
    return verify(inst, plan).families()


def messages(inst: E2EInstance, plan: E2EPlan, family: str) -> str:
    return " | ".join(v.message for v in verify(inst, plan).violations if v.family == family)


def add_row(frame: pd.DataFrame, **row: object) -> pd.DataFrame:
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


# ---------------------------------------------------------------- the solved plan
def test_solved_plan_verifies_with_the_solver_cost(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    check = verify(inst, plan)
    assert check.ok, check.violations
    assert check.total_cost == pytest.approx(plan.summary["solver_objective"], rel=1e-6)
    assert check.total_cost == pytest.approx(plan.summary["objective"], rel=1e-9)
    assert check.cost_breakdown == pytest.approx(plan.summary["cost_breakdown"], rel=1e-6, abs=1e-4)
    # the instance has what the plantings below need
    assert len(plan.transfers) and len(plan.shipments) and (inst.moq > 0).all()


def test_saved_plan_verifies(case: tuple[E2EInstance, E2EPlan], tmp_path: Path) -> None:
    inst, plan = case
    inst.save(tmp_path / "inst")
    plan.save(tmp_path / "plan")
    from plantwise.e2e.instance import load

    check = verify(load(tmp_path / "inst"), load_plan(tmp_path / "plan"))
    assert check.ok, check.violations
    assert check.total_cost == pytest.approx(plan.summary["solver_objective"], rel=1e-6)


def test_arrays_round_trip(case: tuple[E2EInstance, E2EPlan]) -> None:
    """The test's own mapping and stock simulation agree with the plan's derived tables."""
    inst, plan = case
    arrays = arrays_of(inst, plan)
    again = replan(inst, *arrays)
    assert verify(inst, again).ok
    stock = plant_stock(inst, *arrays)
    assert stock.min() >= -1e-6
    assert np.allclose(stock.ravel(), plan.plant_inventory["inventory"].to_numpy(float), atol=1e-4)


def test_plan_without_derived_tables_or_objective_verifies(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    bare = E2EPlan(plan.production, plan.shipments, plan.transfers)
    check = verify(inst, bare)
    assert check.ok and check.total_cost == pytest.approx(plan.summary["objective"], rel=1e-9)


# ---------------------------------------------------------------- line hours, MOQ
def test_line_hours(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    k, t = (int(v[0]) for v in np.nonzero(production > 0))
    line = inst.pair_line[k]
    production[k, t] = 1.25 * inst.rate[k] * inst.hours[line, t]  # a quarter more than the line's day
    bad = replan(inst, production, shipments, transfers)
    assert families(inst, bad) == {"line hours"}
    assert f"line {inst.lines[line]} day {t + 1}" in messages(inst, bad, "line hours")


def test_line_hours_summed_over_pairs(case: tuple[E2EInstance, E2EPlan]) -> None:
    """Two lots each within the day's hours, together beyond them."""
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    line = next(ln for ln in range(len(inst.lines)) if (inst.pair_line == ln).sum() >= 2)
    k1, k2 = np.flatnonzero(inst.pair_line == line)[:2]
    t = inst.horizon - 1
    production[[k1, k2], t] = 0.0
    production[k1, t] = max(inst.moq[k1], 0.6 * inst.rate[k1] * inst.hours[line, t])
    production[k2, t] = max(inst.moq[k2], 0.6 * inst.rate[k2] * inst.hours[line, t])
    bad = replan(inst, production, shipments, transfers)
    assert "line hours" in families(inst, bad)
    assert f"line {inst.lines[line]} day {t + 1}" in messages(inst, bad, "line hours")


def test_line_hours_respect_the_calendar(case: tuple[E2EInstance, E2EPlan]) -> None:
    """A lot that fits 24 h but not the maintenance day's 16 h."""
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    line, t, k = next((int(ln), int(t), int(k)) for ln, t in zip(*np.nonzero(inst.hours < inst.hours_per_day[:, None]),
                                                                strict=True)
                      for k in np.flatnonzero(inst.pair_line == ln)
                      if inst.moq[k] <= inst.rate[k] * (inst.hours[ln, t] + inst.hours_per_day[ln]) / 2)
    production[inst.pair_line == line, t] = 0.0
    production[k, t] = inst.rate[k] * (inst.hours[line, t] + inst.hours_per_day[line]) / 2
    bad = replan(inst, production, shipments, transfers)
    assert families(inst, bad) == {"line hours"}


def _free_slot(inst: E2EInstance, production: np.ndarray, need: float) -> tuple[int, int]:
    """A pair and day without production whose line has ``need`` x MOQ hours free."""
    used = np.zeros_like(inst.hours)
    np.add.at(used, inst.pair_line, production / inst.rate[:, None])
    for k in range(inst.num_pairs):
        for t in range(inst.horizon):
            line = inst.pair_line[k]
            if production[k, t] == 0 and inst.moq[k] > 1 and \
                    used[line, t] + need * inst.moq[k] / inst.rate[k] < inst.hours[line, t]:
                return k, t
    raise AssertionError("no free slot")


def test_moq(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    k, t = _free_slot(inst, production, 0.5)
    production[k, t] = inst.moq[k] / 2  # an extra lot of half the MOQ: stock only goes up
    bad = replan(inst, production, shipments, transfers)
    assert families(inst, bad) == {"MOQ"}
    text = messages(inst, bad, "MOQ")
    assert f"line {inst.lines[inst.pair_line[k]]} SKU {inst.skus[inst.pair_sku[k]]} day {t + 1}" in text


def test_lot_of_exactly_the_moq_is_fine(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    k, t = _free_slot(inst, production, 1.0)
    production[k, t] = inst.moq[k]
    assert verify(inst, replan(inst, production, shipments, transfers)).ok


# ---------------------------------------------------------------- stock balance
@pytest.mark.parametrize(("table", "column"), [("plant_inventory", "inventory"), ("dc_inventory", "inventory"),
                                               ("dc_inventory", "stockout")])
def test_stock_balance(case: tuple[E2EInstance, E2EPlan], table: str, column: str) -> None:
    inst, plan = case
    frame = getattr(plan, table)
    row = int(np.flatnonzero(frame[column].to_numpy(float) > 0)[0])
    frame.loc[row, column] = float(frame.loc[row, column]) + 5
    assert families(inst, plan) == {"stock balance"}
    text = messages(inst, plan, "stock balance")
    assert f"{table}.csv column '{column}'" in text and f"row {row + 2}:" in text


# ---------------------------------------------------------------- lane lead time
@pytest.mark.parametrize("table", ["shipments", "transfers"])
def test_wrong_arrival_day(case: tuple[E2EInstance, E2EPlan], table: str) -> None:
    inst, plan = case
    frame = getattr(plan, table)
    frame.loc[2, "arrival_day"] = int(frame.loc[2, "arrival_day"]) + 1
    assert families(inst, plan) == {"lane lead time"}
    assert f"{table}.csv: arrival_day is not day + lead time: row 4" in messages(inst, plan, "lane lead time")


def test_shipment_arriving_after_the_horizon(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    T = inst.horizon
    stock = plant_stock(inst, production, shipments, transfers)
    e = next(e for e in range(len(inst.ship_from)) if stock[inst.ship_from[e], T - 1] >= 1)
    shipments[e, T - 1] = 1.0  # leaves on the last day, arrives after it
    bad = replan(inst, production, shipments, transfers)
    assert int(bad.shipments["arrival_day"].max()) > T
    assert families(inst, bad) == {"lane lead time"}
    assert f"arrives after the horizon T = {T}" in messages(inst, bad, "lane lead time")


def test_transfer_arriving_after_the_horizon(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    T = inst.horizon
    stock = plant_stock(inst, production, shipments, transfers)
    f = next(f for f in range(len(inst.move_from)) if stock[inst.move_from[f], T - 1] >= 1)
    transfers[f, T - 1] = 1.0
    bad = replan(inst, production, shipments, transfers)
    assert families(inst, bad) == {"lane lead time"}
    assert "transfers.csv: arrives after the horizon" in messages(inst, bad, "lane lead time")


# ---------------------------------------------------------------- plant stock
def test_plant_stock(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    stock = plant_stock(inst, production, shipments, transfers)
    e, t = 0, 0
    a = inst.ship_from[e]
    shipments[e, t] += stock[a, t] + 100.0  # 100 units more than the plant holds that day
    assert plant_stock(inst, production, shipments, transfers)[a, t] == pytest.approx(-100.0)
    bad = replan(inst, production, shipments, transfers)
    bare = E2EPlan(bad.production, bad.shipments, bad.transfers, summary=bad.summary)
    assert families(inst, bare) == {"plant stock"}
    text = messages(inst, bare, "plant stock")
    assert f"plant {inst.plants[inst.plant_pos_plant[a]]} SKU {inst.skus[inst.plant_pos_sku[a]]} day 1" in text
    # with the derived tables, their (correctly simulated) negative stock is named too
    assert "plant stock" in families(inst, bad)


def test_transfer_beyond_plant_stock(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    stock = plant_stock(inst, production, shipments, transfers)
    f, t = 0, 0
    transfers[f, t] += stock[inst.move_from[f], t] + 10.0
    bad = replan(inst, production, shipments, transfers)
    assert families(inst, E2EPlan(bad.production, bad.shipments, bad.transfers, summary=bad.summary)) == \
        {"plant stock"}


def test_plant_stock_tolerance_is_per_position(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    big = dataclasses.replace(inst, plant_initial=inst.plant_initial.copy())
    production, shipments, transfers = arrays_of(big, plan)
    a_big = inst.num_plant_positions - 1
    big.plant_initial[a_big] += 1e7  # ten million units of one SKU at one plant
    stock = plant_stock(big, production, shipments, transfers)
    e = next(e for e in range(len(big.ship_from)) if big.ship_from[e] != a_big)
    shipments[e, 0] += stock[big.ship_from[e], 0] + 50.0  # 50 units more than another position holds
    assert plant_stock(big, production, shipments, transfers).min() <= -50 + 1e-6
    bad = replan(big, production, shipments, transfers)
    assert "plant stock" in families(big, E2EPlan(bad.production, bad.shipments, bad.transfers))


# ---------------------------------------------------------------- format
def _idle(inst: E2EInstance, plan: E2EPlan) -> tuple[str, str, int]:
    """An eligible (line, sku, day) without production in the plan."""
    used = set(zip(plan.production["line"], plan.production["sku"], plan.production["day"].astype(int), strict=True))
    for k in range(inst.num_pairs):
        for t in range(1, inst.horizon + 1):
            key = (inst.lines[inst.pair_line[k]], inst.skus[inst.pair_sku[k]], t)
            if key not in used:
                return key
    raise AssertionError("every pair produces every day")


@pytest.mark.parametrize(
    ("line", "sku", "day", "quantity", "what"),
    [
        ("9Z", None, None, 100.0, "line not eligible for the SKU (or unknown ids): row {row} (9Z, "),
        (None, "S9999", None, 100.0, "line not eligible for the SKU (or unknown ids): row {row} ("),
        (None, None, None, -5.0, "column 'quantity' must be a number >= 0: row {row} '-5.0'"),
        (None, None, None, "lots", "column 'quantity' must be a number >= 0: row {row} 'lots'"),
        (None, None, 0, 100.0, "column 'day' must be an integer day in 1..14: row {row} '0'"),
        (None, None, 15, 100.0, "column 'day' must be an integer day in 1..14: row {row} '15'"),
        (None, None, 2.5, 100.0, "column 'day' must be an integer day in 1..14: row {row} '2.5'"),
    ],
    ids=["unknown-line", "unknown-sku", "negative", "non-number", "day-0", "day-15", "fractional-day"],
)
def test_format_production(case: tuple[E2EInstance, E2EPlan], line: str | None, sku: str | None,
                           day: object, quantity: object, what: str) -> None:
    """A bad row added to production.csv is named (and dropped, so nothing else changes)."""
    inst, plan = case
    free_line, free_sku, free_day = _idle(inst, plan)
    row = len(plan.production) + 2
    plan.production = add_row(plan.production.astype(object), line=line or free_line, sku=sku or free_sku,
                              day=free_day if day is None else day, quantity=quantity)
    assert families(inst, plan) == {"format"}
    assert what.format(row=row) in messages(inst, plan, "format")


def test_format_line_not_eligible(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    pairs = {(inst.lines[inst.pair_line[k]], inst.skus[inst.pair_sku[k]]) for k in range(inst.num_pairs)}
    line, sku = next((ln, s) for ln in inst.lines for s in inst.skus if (ln, s) not in pairs)
    plan.production = add_row(plan.production, line=line, sku=sku, day=3, quantity=100.0)
    assert families(inst, plan) == {"format"}
    assert f"({line}, {sku})" in messages(inst, plan, "format")


def test_format_duplicate_row(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    plan.production = pd.concat([plan.production, plan.production.iloc[[0]]], ignore_index=True)
    assert "format" in families(inst, plan)
    assert "1 duplicate rows" in messages(inst, plan, "format")


def test_format_shipment_without_lane(case: tuple[E2EInstance, E2EPlan]) -> None:
    """Plant B never serves DC1A directly: no dc_lanes.csv lane."""
    inst, plan = case
    sku = next(inst.skus[inst.dc_pos_sku[b]] for b in range(inst.num_dc_positions)
               if inst.dcs[inst.dc_pos_dc[b]] == "DC1A")
    plan.shipments = add_row(plan.shipments, plant="B", dc="DC1A", sku=sku, day=1, arrival_day=2, quantity=1.0)
    assert families(inst, plan) == {"format"}
    assert f"no dc_lanes.csv lane from the plant to the DC for a SKU both stock: row {len(plan.shipments) + 1}" \
        in messages(inst, plan, "format")


def test_format_transfer_unknown_plant(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    plan.transfers = add_row(plan.transfers, from_plant="Z", to_plant="A", sku=inst.skus[0], day=1, arrival_day=3,
                             quantity=1.0)
    assert families(inst, plan) == {"format"}


def test_format_unknown_line_in_place(case: tuple[E2EInstance, E2EPlan]) -> None:
    """Renaming a line of an existing row drops that production: format is named first."""
    inst, plan = case
    plan.production.loc[0, "line"] = "9Z"
    found = families(inst, plan)
    assert "format" in found
    assert "row 2 (9Z, " in messages(inst, plan, "format")


# ---------------------------------------------------------------- stockout, cost
def test_stockout_when_not_allowed(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    assert plan.summary["stockout_unit_days"] > 0  # scenario 3: plant A cannot cover its demand
    strict = dataclasses.replace(inst, allow_stockout=False)
    assert families(strict, plan) == {"stockout"}
    assert "short" in messages(strict, plan, "stockout")
    assert families(inst, plan) == set()


def test_no_stockout_no_violation(case: tuple[E2EInstance, E2EPlan]) -> None:
    """With the demand cut to what the DCs hold, the same plan has no backlog: no violation."""
    inst, plan = case
    production, shipments, transfers = arrays_of(inst, plan)
    easy = dataclasses.replace(inst, demand=np.zeros_like(inst.demand), allow_stockout=False)
    assert verify(easy, replan(easy, production, shipments, transfers)).ok


@pytest.mark.parametrize("objective", ["shift", "scale", "text"])
def test_cost(case: tuple[E2EInstance, E2EPlan], objective: str) -> None:
    inst, plan = case
    true = float(plan.summary["objective"])
    plan.summary["objective"] = {"shift": true + 1e-5 * abs(true), "scale": true * 1.01, "text": "cheap"}[objective]
    assert families(inst, plan) == {"cost"}


def test_cost_within_tolerance(case: tuple[E2EInstance, E2EPlan]) -> None:
    inst, plan = case
    plan.summary["objective"] = float(plan.summary["objective"]) * (1 + 1e-8)
    assert verify(inst, plan).ok


# ---------------------------------------------------------------- command line
runner = CliRunner()


@pytest.fixture
def files(case: tuple[E2EInstance, E2EPlan], tmp_path: Path) -> tuple[Path, Path]:
    inst, plan = case
    inst.save(tmp_path / "inst")
    plan.save(tmp_path / "plan")
    return tmp_path / "inst", tmp_path / "plan"


def test_cli_verify_good_plan(files: tuple[Path, Path]) -> None:
    inst, plan = files
    result = runner.invoke(app, ["e2e", "verify", str(inst), str(plan)])
    assert result.exit_code == 0, result.output
    assert "0 violations" in result.output and "recomputed cost" in result.output


@pytest.mark.parametrize(
    ("file", "column", "family"),
    [("shipments.csv", "arrival_day", "lane lead time"), ("plant_inventory.csv", "inventory", "stock balance"),
     ("production.csv", "day", "format")],
)
def test_cli_verify_planted(files: tuple[Path, Path], file: str, column: str, family: str) -> None:
    inst, plan = files
    frame = pd.read_csv(plan / file)
    frame.loc[1, column] = {"arrival_day": frame.loc[1, column] + 1, "inventory": frame.loc[1, column] + 7,
                            "day": 0}[column]
    frame.to_csv(plan / file, index=False)
    result = runner.invoke(app, ["e2e", "verify", str(inst), str(plan)])
    assert result.exit_code == 1, result.output
    assert f"{family}: 1 violation(s)" in result.output
    assert f"in families: {family}" in result.output or family in result.output.splitlines()[-1]


def test_cli_verify_bad_input(files: tuple[Path, Path], tmp_path: Path) -> None:
    inst, plan = files
    result = runner.invoke(app, ["e2e", "verify", str(inst), str(tmp_path / "nowhere")])
    assert result.exit_code == 2, result.output
    assert "no such plan folder" in result.output
    (plan / "shipments.csv").write_text("plant,dc,sku,day\nA,DC1A,S0001,1\n")
    result = runner.invoke(app, ["e2e", "verify", str(inst), str(plan)])
    assert result.exit_code == 2, result.output
    assert "shipments.csv, column 'arrival_day': required column missing" in result.output
