"""The game-based ADMM: a consistent plan, deterministic, privacy-preserving messages, Ray actors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from plantwise.acceptance.agents import FOLLOWERS, private_data
from plantwise.acceptance.generator import generate
from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.methods import solve
from plantwise.core.options import SolveOptions

SETTINGS = {"max_inner": 60, "max_outer": 3}


def _marked(inst: AcceptanceInstance) -> AcceptanceInstance:
    """The instance with distinctive private parameter values that would stand out in any message."""
    sup = inst.suppliers.copy()
    sup["cost_per_part"] = sup["cost_per_part"] + 0.123457
    sup["capacity_per_period"] = sup["capacity_per_period"] + 0.765431
    machines = inst.machines.copy()
    machines["capacity_hours"] = machines["capacity_hours"] + 0.0135791
    machines["maintenance_cost"] = machines["maintenance_cost"] + 0.246811
    machines["mttf_hours"] = machines["mttf_hours"] + 0.0975311
    transport = inst.transport.copy()
    transport["cost_per_item_mile"] = transport["cost_per_item_mile"] + 0.000987653
    transport["capacity_per_period"] = transport["capacity_per_period"] + 0.864209
    parts = inst.parts.copy()
    parts["holding_cost"] = parts["holding_cost"] + 0.0112359
    from dataclasses import replace

    return replace(inst, suppliers=sup, machines=machines, transport=transport, parts=parts,
                   storage_cost=0.1357913, storage_capacity=inst.storage_capacity + 0.579135)


@pytest.fixture(scope="module")
def small() -> AcceptanceInstance:
    return _marked(generate(8, seed=3))


@pytest.fixture(scope="module")
def admm_plan(small: AcceptanceInstance):  # type: ignore[no-untyped-def]
    return solve(small, "admm", SolveOptions(time_limit=300), record_messages=True, **SETTINGS)


def test_admm_returns_a_consistent_plan_with_history(small: AcceptanceInstance, admm_plan) -> None:  # type: ignore[no-untyped-def]
    s = admm_plan.summary
    assert s["status"] == "feasible" and s["profit"] is not None
    assert set(s["cost_per_agent"]) == set(FOLLOWERS)
    assert s["iterations"]["outer"] >= 1 and s["iterations"]["inner"] >= 1
    assert {"primal", "dual"} <= set(s["final_residuals"])
    revenue = float(small.orders.set_index("order").loc[s["accepted_orders"], "revenue"].sum())
    assert s["profit"] == pytest.approx(revenue - sum(s["cost_per_agent"].values()), rel=1e-9, abs=1e-6)
    h = admm_plan.history
    inner = h[h["kind"] == "inner"]
    assert {"primal_residual", "dual_residual", "rho", *(f"cost_{a}" for a in FOLLOWERS),
            *(f"served_{a}" for a in FOLLOWERS)} <= set(inner.columns)
    outer = h[h["kind"] == "outer"]
    assert {"profit", "leader_lagrangian", *(f"incentive_{a}" for a in FOLLOWERS)} <= set(outer.columns)
    # accepted orders are exactly the delivered ones, and every delivered order is made in full
    orders = admm_plan.orders
    assert (orders["accepted"] == orders["delivered"]).all() and (orders["unmet"] == 0).all()
    made = admm_plan.processing.groupby(["order", "step"])["units"].sum()
    q = small.orders.set_index("order")["quantity"]
    for order in s["accepted_orders"]:
        steps = small.operations.loc[small.operations["order"] == order, "step"]
        for step in steps:
            assert made.get((order, step), 0.0) == pytest.approx(q[order], rel=1e-6)


def test_admm_is_deterministic(small: AcceptanceInstance, admm_plan) -> None:  # type: ignore[no-untyped-def]
    again = solve(small, "admm", SolveOptions(time_limit=300), **SETTINGS)
    assert again.summary["profit"] == admm_plan.summary["profit"]
    assert again.summary["accepted_orders"] == admm_plan.summary["accepted_orders"]
    assert again.processing.equals(admm_plan.processing)


def _numbers(obj: object) -> np.ndarray:
    """Every number inside a message (arrays, scalars, nested dicts/tuples)."""
    found: list[np.ndarray] = []

    def walk(x: object) -> None:
        if isinstance(x, np.ndarray):
            if x.dtype.kind in "fiub":
                found.append(x.astype(float).ravel())
        elif isinstance(x, bool | int | float | np.floating | np.integer):
            found.append(np.array([float(x)]))
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(k)
                walk(v)
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v)

    walk(obj)
    return np.concatenate(found) if found else np.zeros(0)


def test_messages_carry_no_private_parameters(small: AcceptanceInstance, admm_plan) -> None:  # type: ignore[no-untyped-def]
    messages = [m for m in admm_plan.summary["_messages"] if m["phase"] == "game"]
    assert messages, "the run recorded no messages"
    # after the game each follower publishes its part of the chosen plan (for the report and the verifier)
    assert {m["method"] for m in admm_plan.summary["_messages"] if m["phase"] == "publish"} == {"publish_supply"}
    private = private_data(small)
    secret = np.concatenate([
        small.suppliers["cost_per_part"].to_numpy(float), small.suppliers["capacity_per_period"].to_numpy(float),
        small.machines["capacity_hours"].to_numpy(float), small.machines["maintenance_cost"].to_numpy(float),
        small.machines["mttf_hours"].to_numpy(float), small.transport["cost_per_item_mile"].to_numpy(float),
        small.transport["capacity_per_period"].to_numpy(float), small.parts["holding_cost"].to_numpy(float),
        [small.storage_cost, small.storage_capacity]])
    # every marked value has a fractional part no plan quantity or price shares
    values = np.concatenate([_numbers(m["args"]) for m in messages] + [_numbers(m["reply"]) for m in messages])
    hits = np.isclose(values[:, None], secret[None, :], rtol=0, atol=1e-9)
    assert not hits.any(), f"private values crossed the boundary: {np.unique(values[hits.any(axis=1)])}"
    # messages carry only coupling blocks, prices, costs, estimates and plans: no tables
    for m in messages:
        blob = pickle.dumps((m["args"], m["reply"]))
        assert b"pandas" not in blob, f"a table crossed the boundary in {m['method']} to {m['to']}"
    # each follower's own data holds only its own tables
    assert set(private["supply"]) == {"suppliers", "parts"}
    assert set(private["distribution"]) == {"transport", "delay_penalty_per_hour", "unmet_penalty"}
    assert "revenue" not in str(private)


def test_ray_actors_give_the_same_plan(small: AcceptanceInstance, admm_plan) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("ray")
    remote = solve(small, "admm", SolveOptions(time_limit=300), executor="ray", num_cpus=2, **SETTINGS)
    assert remote.summary["profit"] == admm_plan.summary["profit"]
    assert remote.summary["accepted_orders"] == admm_plan.summary["accepted_orders"]
    assert remote.processing.equals(admm_plan.processing)
    assert remote.history.drop(columns=[]).equals(admm_plan.history)


def test_progress_reports_each_leader_move() -> None:
    from plantwise.core.result import Progress

    seen: list[Progress] = []
    plan = solve(generate(6, seed=1), "admm", SolveOptions(time_limit=120, progress=seen.append),
                 max_inner=20, max_outer=2)
    assert seen and all(p.message.startswith("leader move") for p in seen)
    assert seen[-1].incumbent == pytest.approx(-plan.summary["profit"], abs=1e-5)
