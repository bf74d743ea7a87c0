"""The independent acceptance-plan verifier: the centralized MILP's plan passes with the
reported profit and cost per agent, and each planted violation is reported under its own
family (alone, or with the ``cost`` it moves, where the planting can be isolated)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plantwise.acceptance.generator import generate
from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.methods import solve
from plantwise.acceptance.plan import AcceptancePlan, load_plan
from plantwise.acceptance.verifier import AGENTS, AcceptanceVerification, verify
from plantwise.core.options import SolveOptions

Solved = tuple[AcceptanceInstance, AcceptancePlan]


@pytest.fixture(scope="module")
def solved_once() -> Solved:
    inst = generate(8, seed=1)
    plan = solve(inst, "centralized", SolveOptions(time_limit=60))
    assert plan.summary["status"] == "optimal", plan.summary
    return inst, plan


@pytest.fixture
def solved(solved_once: Solved) -> Solved:
    """The instance and a private copy of its optimal plan."""
    inst, plan = solved_once
    return inst, copy.deepcopy(plan)


def num(x: float) -> str:
    """A quantity as the verifier's messages show it: to 6 decimals, without trailing zeros."""
    return f"{round(float(x), 6) + 0.0:.12g}"


def families(inst: AcceptanceInstance, plan: AcceptancePlan) -> set[str]:
    check = verify(inst, plan)
    assert not check.ok
    return check.families()


def messages(check: AcceptanceVerification, family: str) -> list[str]:
    return [v.message for v in check.violations if v.family == family]


def append(frame: pd.DataFrame, **row: object) -> pd.DataFrame:
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


def delivered_orders(plan: AcceptancePlan) -> pd.DataFrame:
    return plan.orders[plan.orders["delivered"] == 1]


def refused_order(plan: AcceptancePlan) -> str:
    refused = plan.orders.loc[plan.orders["accepted"] == 0, "order"]
    assert len(refused), "the plan accepts every order"
    return str(refused.iloc[0])


def set_delivery(inst: AcceptanceInstance, plan: AcceptancePlan, order: str, mode: str, period: int) -> None:
    """Deliver ``order`` by ``mode`` in ``period``, with the arrival and tardiness that go with it."""
    o = inst.orders.set_index("order").loc[order]
    per_mile = float(inst.transport.set_index("mode").loc[mode, "hours_per_mile"])
    arrival = period * inst.period_hours + float(o["distance_miles"]) * per_mile
    row = plan.orders.index[plan.orders["order"] == order]
    plan.orders.loc[row, ["delivery_period", "arrival_hours", "tardiness_hours"]] = \
        [period, arrival, max(arrival - float(o["deadline_hours"]), 0.0)]
    plan.orders.loc[row, "mode"] = mode


def machine_hours(inst: AcceptanceInstance, plan: AcceptancePlan) -> pd.Series:
    """Hours used per (machine, period), from the plan's processing rows."""
    p = plan.processing.merge(inst.operations, on=["order", "step", "machine"])
    return (p["units"] * p["hours_per_unit"]).groupby([p["machine"], p["period"]]).sum()


# ---------------------------------------------------------------- unmodified plans
def test_solved_plan_verifies_with_the_reported_cost_and_profit(solved: Solved) -> None:
    inst, plan = solved
    check = verify(inst, plan)
    assert check.ok, check.violations
    assert isinstance(check, AcceptanceVerification)
    assert tuple(check.cost_breakdown) == AGENTS
    reported = plan.summary["cost_per_agent"]
    assert isinstance(reported, dict)
    for agent in AGENTS:
        assert check.cost_breakdown[agent] == pytest.approx(reported[agent], rel=1e-6, abs=1e-6), agent
    assert check.revenue == pytest.approx(plan.summary["revenue"], rel=1e-9)
    assert check.profit == pytest.approx(plan.summary["profit"], rel=1e-6)
    assert check.profit == pytest.approx(check.revenue - check.total_cost)
    # the instance makes acceptance a real choice, and the plan uses maintenance and finished stock
    assert 0 < len(plan.accepted_orders) < len(inst.orders)
    assert len(plan.maintenance) and len(plan.finished_stock)


def test_saved_plan_verifies_after_loading(solved: Solved, tmp_path: Path) -> None:
    inst, plan = solved
    plan.save(tmp_path / "plan")
    loaded = load_plan(tmp_path / "plan")
    check = verify(inst, loaded)
    assert check.ok, check.violations
    assert check.profit == pytest.approx(plan.summary["profit"], rel=1e-6)
    # the stock tables are optional: the verifier recomputes them
    (tmp_path / "plan" / "part_stock.csv").unlink()
    (tmp_path / "plan" / "finished_stock.csv").unlink()
    check = verify(inst, load_plan(tmp_path / "plan"))
    assert check.ok, check.violations
    assert check.profit == pytest.approx(plan.summary["profit"], rel=1e-6)


def test_a_bad_row_read_from_a_file_is_named_by_its_line(solved: Solved, tmp_path: Path) -> None:
    inst, plan = solved
    plan.save(tmp_path / "plan")
    frame = pd.read_csv(tmp_path / "plan" / "purchases.csv")
    frame.loc[2, "supplier"] = "S9"
    frame.to_csv(tmp_path / "plan" / "purchases.csv", index=False)
    check = verify(inst, load_plan(tmp_path / "plan"))
    assert "format" in check.families()
    assert messages(check, "format")[0] == "purchases.csv row 4: unknown supplier 'S9'"


def test_verify_ignores_row_order(solved: Solved) -> None:
    inst, plan = solved
    rng = np.random.default_rng(3)
    for name, frame in plan.tables().items():
        setattr(plan, name, frame.sample(frac=1.0, random_state=rng).reset_index(drop=True))
    check = verify(inst, plan)
    assert check.ok, check.violations


def test_an_empty_plan_is_reported_not_a_crash(solved: Solved) -> None:
    """The tables of a failed solve: every order is missing, machines go unmaintained."""
    inst, plan = solved
    for name, frame in plan.tables().items():
        setattr(plan, name, frame.iloc[:0])
    plan.summary = {"status": "infeasible", "profit": None, "cost_per_agent": {}}
    check = verify(inst, plan)
    assert {"format", "maintenance"} <= check.families()
    assert f"order {inst.order_ids[0]}: no row in orders.csv" in messages(check, "format")


# ---------------------------------------------------------------- format
def _unknown_supplier(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    plan.purchases = append(plan.purchases, supplier="S9", part="P1", period=1, quantity=1.0)
    return "unknown supplier 'S9'"


def _pair_not_offered(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    offered = set(zip(inst.suppliers["supplier"], inst.suppliers["part"], strict=True))
    supplier, part = next((s, k) for s in inst.suppliers["supplier"].unique() for k in inst.parts["part"]
                          if (s, k) not in offered)
    plan.purchases = append(plan.purchases, supplier=supplier, part=part, period=1, quantity=1.0)
    return f"supplier {supplier} does not offer part {part}"


def _unknown_part(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    plan.part_stock = append(plan.part_stock, part="P99", period=1, stock=0.0)
    return "unknown part 'P99'"


def _no_such_step(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    order = str(delivered_orders(plan)["order"].iloc[0])
    plan.processing = append(plan.processing, order=order, step=9, machine="M01", period=1, units=1.0)
    return f"order {order} has no step 9 in operations.csv"


def _wrong_machine(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    p = plan.processing
    actual = str(p.loc[0, "machine"])
    other = next(m for m in inst.machines["machine"] if m != actual)
    p.loc[0, "machine"] = other
    return (f"(order {p.loc[0, 'order']} step {p.loc[0, 'step']} period {p.loc[0, 'period']}): machine '{other}', "
            f"operations.csv runs it on '{actual}'")


def _unknown_machine(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    plan.maintenance = append(plan.maintenance, machine="M99", period=2)
    return "unknown machine 'M99'"


def _period_outside(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    T = inst.num_periods
    plan.maintenance = append(plan.maintenance, machine=str(inst.machines["machine"].iloc[0]), period=T + 1)
    return f"period {T + 1} is outside 1..{T}"


def _order_twice(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    plan.orders = pd.concat([plan.orders, plan.orders.iloc[[1]]], ignore_index=True)
    return f"(order {plan.orders.loc[1, 'order']}) is listed twice"


def _order_missing(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    order = refused_order(plan)
    plan.orders = plan.orders[plan.orders["order"] != order]
    return f"order {order}: no row in orders.csv"


def _unknown_order(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    plan.finished_stock = append(plan.finished_stock, order="O9999", period=1, stock=1.0)
    return "unknown order 'O9999'"


def _flag_not_binary(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    i = int(delivered_orders(plan).index[0])
    plan.orders.loc[i, "accepted"] = 2
    return "accepted 2 must be 0 or 1"


def _not_a_number(inst: AcceptanceInstance, plan: AcceptancePlan) -> str:
    plan.part_stock = append(plan.part_stock, part="P1", period=np.nan, stock=0.0)
    return "period nan is not a whole number"


@pytest.mark.parametrize("plant", [_unknown_supplier, _pair_not_offered, _unknown_part, _no_such_step, _wrong_machine,
                                   _unknown_machine, _period_outside, _order_twice, _order_missing, _unknown_order,
                                   _flag_not_binary, _not_a_number])
def test_format(solved: Solved, plant: Callable[[AcceptanceInstance, AcceptancePlan], str]) -> None:
    """Each defect alone: the row is reported and left out, so nothing else changes."""
    inst, plan = solved
    expected = plant(inst, plan)
    check = verify(inst, plan)
    assert check.families() == {"format"}, check.violations
    assert any(expected in m for m in messages(check, "format")), check.violations


def test_negative_quantity(solved: Solved) -> None:
    inst, plan = solved
    plan.purchases.loc[0, "quantity"] = -1.0
    check = verify(inst, plan)
    assert "format" in check.families()
    assert any("negative quantity -1" in m for m in messages(check, "format"))


def test_unknown_mode(solved: Solved) -> None:
    inst, plan = solved
    i = int(delivered_orders(plan).index[0])
    plan.orders.loc[i, "mode"] = "ship"
    check = verify(inst, plan)
    assert "format" in check.families()
    assert f"order {plan.orders.loc[i, 'order']}: unknown transport mode 'ship'" in messages(check, "format")


def test_missing_column(solved: Solved) -> None:
    inst, plan = solved
    plan.orders = plan.orders.drop(columns="accepted")
    check = verify(inst, plan)
    assert "orders.csv lacks column(s) accepted" in messages(check, "format")


# ---------------------------------------------------------------- acceptance
def test_accepted_but_neither_delivered_nor_unmet(solved: Solved) -> None:
    inst, plan = solved
    order = refused_order(plan)
    plan.orders.loc[plan.orders["order"] == order, "accepted"] = 1
    check = verify(inst, plan)
    assert check.families() == {"acceptance"}, check.violations
    assert messages(check, "acceptance") == [f"order {order}: accepted, not delivered and not counted unmet"]


def test_unmet_and_delivered(solved: Solved) -> None:
    inst, plan = solved
    i = int(delivered_orders(plan).index[0])
    plan.orders.loc[i, "unmet"] = 1
    check = verify(inst, plan)
    assert check.families() == {"acceptance", "cost"}, check.violations  # the unmet penalty is charged
    assert messages(check, "acceptance") == [f"order {plan.orders.loc[i, 'order']}: counted unmet but delivered"]


def test_delivered_but_not_accepted(solved: Solved) -> None:
    inst, plan = solved
    order = refused_order(plan)
    set_delivery(inst, plan, order, "truck", inst.num_periods)
    plan.orders.loc[plan.orders["order"] == order, "delivered"] = 1
    check = verify(inst, plan)
    assert "acceptance" in check.families()
    assert f"order {order}: delivered but not accepted" in messages(check, "acceptance")


@pytest.mark.parametrize(("column", "value", "expected"), [("mode", "", "delivered without a transport mode"),
                                                          ("delivery_period", 0, "delivered in period 0, outside")])
def test_delivery_without_mode_or_period(solved: Solved, column: str, value: object, expected: str) -> None:
    inst, plan = solved
    i = int(delivered_orders(plan).index[0])
    plan.orders.loc[i, column] = value
    check = verify(inst, plan)
    assert "acceptance" in check.families()
    assert any(m.startswith(f"order {plan.orders.loc[i, 'order']}: {expected}") for m in messages(check, "acceptance"))


def test_unmet_order_costs_its_penalty(solved: Solved) -> None:
    """Accepted and counted unmet is consistent; its penalty is part of the distribution cost."""
    inst, plan = solved
    before = verify(inst, plan)
    order = refused_order(plan)
    plan.orders.loc[plan.orders["order"] == order, ["accepted", "unmet"]] = 1
    check = verify(inst, plan)
    assert check.families() == {"cost"}, check.violations
    penalty = float(inst.orders.set_index("order").loc[order, "unmet_penalty"])
    assert check.cost_breakdown["distribution"] == pytest.approx(before.cost_breakdown["distribution"] + penalty)
    assert check.profit == pytest.approx(before.profit - penalty)


# ---------------------------------------------------------------- supplier capacity, part balance
def test_supplier_capacity(solved: Solved) -> None:
    """One purchase one part above the capacity, with the stated part stock following it."""
    inst, plan = solved
    p = plan.purchases.loc[0]
    cap = float(inst.suppliers.set_index(["supplier", "part"]).loc[(p["supplier"], p["part"]), "capacity_per_period"])
    extra = cap + 1.0 - float(p["quantity"])
    plan.purchases.loc[0, "quantity"] = cap + 1.0
    later = (plan.part_stock["part"] == p["part"]) & (plan.part_stock["period"] >= p["period"])
    plan.part_stock.loc[later, "stock"] += extra
    check = verify(inst, plan)
    assert check.families() == {"supplier capacity", "cost"}, check.violations
    assert messages(check, "supplier capacity") == [
        f"supplier {p['supplier']} part {p['part']} period {p['period']}: buys {num(cap + 1)} > capacity {num(cap)}"]


def test_stated_part_stock(solved: Solved) -> None:
    inst, plan = solved
    plan.part_stock.loc[5, "stock"] += 1.0
    r = plan.part_stock.loc[5]
    check = verify(inst, plan)
    assert check.families() == {"part balance"}, check.violations
    assert messages(check, "part balance")[0].startswith(f"part {r['part']} period {r['period']}: part_stock.csv "
                                                         f"states {num(r['stock'])}")


def test_part_stock_below_zero(solved: Solved) -> None:
    """Nothing bought: the first steps use parts nobody supplied."""
    inst, plan = solved
    plan.purchases = plan.purchases.iloc[:0]
    plan.part_stock = plan.part_stock.iloc[:0]
    check = verify(inst, plan)
    assert check.families() == {"part balance", "cost"}, check.violations
    assert all("< 0 (bought 0, used" in m for m in messages(check, "part balance"))


# ---------------------------------------------------------------- route, quantity
def test_route(solved: Solved) -> None:
    """Step 2 of an order of three or more steps postponed, whole, to the last period, after
    step 3 has run (the step's machine may run over its hours in that period)."""
    inst, plan = solved
    steps = inst.operations.groupby("order")["step"].max()
    order = next(o for o in delivered_orders(plan)["order"] if steps[o] >= 3)
    p = plan.processing
    rows = (p["order"] == order) & (p["step"] == 2)
    moved = p[rows].iloc[[0]].assign(period=inst.num_periods, units=p.loc[rows, "units"].sum())
    plan.processing = pd.concat([p[~rows], moved], ignore_index=True)
    check = verify(inst, plan)
    assert "route" in check.families() and check.families() <= {"route", "machine hours"}, check.violations
    assert messages(check, "route")[0].startswith(f"order {order} step 3 period ")
    assert "step 2 only 0" in messages(check, "route")[0]


def test_quantity_of_an_order_not_accepted(solved: Solved) -> None:
    """The smallest delivered order made but neither accepted nor delivered (the finished-stock
    table, optional, is dropped: the made units stay in stock)."""
    inst, plan = solved
    d = delivered_orders(plan)
    q = inst.orders.set_index("order")["quantity"]
    order = min(d["order"], key=lambda o: q[o])
    i = int(d.index[d["order"] == order][0])
    plan.orders.loc[i, ["accepted", "delivered", "unmet", "delivery_period", "arrival_hours", "tardiness_hours"]] = 0
    plan.orders.loc[i, "mode"] = ""
    plan.finished_stock = plan.finished_stock.iloc[:0]
    check = verify(inst, plan)
    assert check.families() == {"quantity", "cost"}, check.violations
    steps = int((inst.operations["order"] == order).sum())
    assert messages(check, "quantity") == [f"order {order} step {s}: {q[order]:g} units processed but the order is "
                                           f"not accepted" for s in range(1, steps + 1)]


def test_quantity_over_the_order(solved: Solved) -> None:
    inst, plan = solved
    p = plan.processing
    i = int(p.index[p["order"] == delivered_orders(plan)["order"].iloc[0]][0])
    p.loc[i, "units"] += 100.0
    check = verify(inst, plan)
    assert "quantity" in check.families()
    assert any("units processed > quantity" in m for m in messages(check, "quantity"))


# ---------------------------------------------------------------- machines
def test_machine_hours_with_a_smaller_capacity(solved: Solved) -> None:
    inst, plan = solved
    used = machine_hours(inst, plan)
    (machine, period), peak = used.idxmax(), float(used.max())
    smaller = copy.deepcopy(inst)
    row = smaller.machines.index[smaller.machines["machine"] == machine][0]
    rho = float(smaller.machines.loc[row, "max_utilisation"])
    smaller.machines.loc[row, "capacity_hours"] = (peak - 0.1) / rho
    smaller.machines.loc[row, "maintenance_capacity_hours"] = 0.0
    check = verify(smaller, plan)
    assert check.families() == {"machine hours"}, check.violations
    assert f"machine {machine} period {period}: {num(peak)} h used > {num(peak - 0.1)} h available" in \
        messages(check, "machine hours")


def test_machine_hours_in_a_maintenance_period(solved: Solved) -> None:
    inst, plan = solved
    used = machine_hours(inst, plan)
    m = inst.machines.set_index("machine")
    maintained = set(zip(plan.maintenance["machine"], plan.maintenance["period"], strict=True))
    over = [(mp, h) for mp, h in used.items()
            if mp not in maintained and h > m.loc[mp[0], "max_utilisation"] * m.loc[mp[0], "maintenance_capacity_hours"]
            + 1e-3]
    assert over, "no busy period to plant a maintenance in"
    (machine, period), _hours = over[0]
    plan.maintenance = append(plan.maintenance, machine=machine, period=period)
    check = verify(inst, plan)
    assert check.families() == {"machine hours", "cost"}, check.violations
    assert messages(check, "machine hours")[0].startswith(f"machine {machine} period {period}: ")
    assert messages(check, "machine hours")[0].endswith("h available (maintenance period)")


def test_maintenance(solved: Solved) -> None:
    inst, plan = solved
    machine = str(plan.maintenance["machine"].iloc[0])
    plan.maintenance = plan.maintenance[plan.maintenance["machine"] != machine]
    check = verify(inst, plan)
    assert check.families() == {"maintenance", "cost"}, check.violations
    T = inst.num_periods
    assert messages(check, "maintenance")[0].startswith(f"machine {machine} periods 1-{T}: no maintenance in {T} "
                                                        f"consecutive periods")


def test_maintenance_windows_follow_the_mttf(solved: Solved) -> None:
    """A longer MTTF makes the plan's maintenance needless, a shorter one insufficient."""
    inst, plan = solved
    relaxed = copy.deepcopy(inst)
    relaxed.machines["mttf_hours"] = inst.horizon_hours + inst.period_hours
    assert verify(relaxed, plan).ok  # the same rows, paid for as reported
    strict = copy.deepcopy(inst)
    strict.machines["mttf_hours"] = 2 * inst.period_hours
    check = verify(strict, plan)
    assert check.families() == {"maintenance"}, check.violations


# ---------------------------------------------------------------- finished stock, storage
def test_stated_finished_stock(solved: Solved) -> None:
    inst, plan = solved
    plan.finished_stock.loc[0, "stock"] += 1.0
    r = plan.finished_stock.loc[0]
    check = verify(inst, plan)
    assert check.families() == {"finished stock"}, check.violations
    assert messages(check, "finished stock") == [
        f"order {r['order']} period {r['period']}: finished_stock.csv states {num(r['stock'])}, the processing and "
        f"delivery give {num(r['stock'] - 1)}"]


def test_delivered_before_it_is_made(solved: Solved) -> None:
    inst, plan = solved
    steps = inst.operations.groupby("order")["step"].max()
    p = plan.processing
    last = p[p["step"] == p["order"].map(steps)].groupby("order")["period"].max()
    d = delivered_orders(plan)
    order = next(o for o in d["order"] if last[o] > 1)
    early = int(last[order]) - 1
    set_delivery(inst, plan, order, str(d.set_index("order").loc[order, "mode"]), early)
    check = verify(inst, plan)
    assert "finished stock" in check.families(), check.violations
    assert check.families() <= {"finished stock", "transport capacity", "cost"}, check.violations
    assert messages(check, "finished stock")[0].startswith(f"order {order} period {early}: stock -")


def test_storage_capacity(solved: Solved) -> None:
    inst, plan = solved
    stored = plan.finished_stock.groupby("period")["stock"].sum()
    smaller = copy.deepcopy(inst)
    smaller.storage_capacity = float(stored.max()) - 1.0
    check = verify(smaller, plan)
    assert check.families() == {"finished stock"}, check.violations
    assert f"period {stored.idxmax()}: {num(stored.max())} items in finished stock > storage capacity " \
           f"{num(stored.max() - 1)}" in messages(check, "finished stock")


# ---------------------------------------------------------------- transport, delivery
def test_transport_capacity(solved: Solved) -> None:
    inst, plan = solved
    tr = inst.transport.set_index("mode")
    mode = str(tr["capacity_per_period"].idxmin())
    q = inst.orders.set_index("order")["quantity"]
    d = delivered_orders(plan)
    order = next(o for o in d["order"] if q[o] > tr.loc[mode, "capacity_per_period"])
    period = int(d.set_index("order").loc[order, "delivery_period"])
    set_delivery(inst, plan, order, mode, period)
    check = verify(inst, plan)
    assert "transport capacity" in check.families(), check.violations
    assert check.families() <= {"transport capacity", "cost"}, check.violations
    assert messages(check, "transport capacity")[0].startswith(f"mode {mode} period {period}: ")


@pytest.mark.parametrize("column", ["arrival_hours", "tardiness_hours"])
def test_delivery_hours(solved: Solved, column: str) -> None:
    inst, plan = solved
    i = int(delivered_orders(plan).index[0])
    plan.orders.loc[i, column] += 1.0
    check = verify(inst, plan)
    assert check.families() == {"delivery"}, check.violations
    assert messages(check, "delivery")[0].startswith(f"order {plan.orders.loc[i, 'order']}: {column} ")


# ---------------------------------------------------------------- cost
def test_reported_profit(solved: Solved) -> None:
    inst, plan = solved
    plan.summary["profit"] = float(plan.summary["profit"]) + 1.0
    check = verify(inst, plan)
    assert check.families() == {"cost"}, check.violations
    assert messages(check, "cost")[0].startswith("reported profit ")


@pytest.mark.parametrize("agent", AGENTS)
def test_reported_agent_cost(solved: Solved, agent: str) -> None:
    inst, plan = solved
    plan.summary["cost_per_agent"][agent] += 1.0
    check = verify(inst, plan)
    assert check.families() == {"cost"}, check.violations
    assert len(check.violations) == 1 and check.violations[0].message.startswith(f"reported {agent} cost ")


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("profit", "a lot", "reported profit 'a lot' is not a number"),
    ("profit", math.nan, "reported profit nan is not a finite number"),
    ("profit", True, "reported profit True is not a number"),
    ("cost_per_agent", 3, "reported cost_per_agent 3 is not a mapping"),
    ("cost_per_agent", {"supply": None}, "reported supply cost None is not a number"),
    ("cost_per_agent", {"marketing": 1.0}, "reported cost_per_agent names unknown agent 'marketing'"),
])
def test_bad_reported_values(solved: Solved, key: str, value: object, expected: str) -> None:
    inst, plan = solved
    plan.summary[key] = value
    check = verify(inst, plan)
    assert check.families() == {"cost"}, check.violations
    assert check.violations[0].message.startswith(expected)


# ---------------------------------------------------------------- properties
@settings(max_examples=20, deadline=None)
@given(pick=st.integers(min_value=0, max_value=10_000))
def test_dropping_a_processing_row_of_a_delivered_order_is_caught(solved_once: Solved, pick: int) -> None:
    inst, plan = solved_once
    p = plan.processing
    rows = p.index[p["order"].isin(delivered_orders(plan)["order"])]
    drop = rows[pick % len(rows)]
    trial = copy.copy(plan)
    trial.processing = p.drop(index=drop)
    found = verify(inst, trial).families()
    assert "quantity" in found, (p.loc[drop].to_dict(), found)


@settings(max_examples=20, deadline=None)
@given(factor=st.floats(min_value=1.001, max_value=3.0))
def test_scaled_purchases_keep_supplier_capacity_only_where_it_was_slack(solved_once: Solved, factor: float) -> None:
    inst, plan = solved_once
    trial = copy.copy(plan)
    trial.purchases = plan.purchases.assign(quantity=plan.purchases["quantity"] * factor)
    cap = plan.purchases.merge(inst.suppliers, on=["supplier", "part"])["capacity_per_period"]
    broken = (trial.purchases["quantity"].to_numpy() > cap.to_numpy() + 1e-6 * np.maximum(1.0, cap.to_numpy()))
    check = verify(inst, trial)
    assert ("supplier capacity" in check.families()) == bool(broken.any())
    assert len(messages(check, "supplier capacity")) == min(int(broken.sum()), 50) + (broken.sum() > 50)
    assert "part balance" in check.families()  # the stated stock no longer matches the purchases
