"""The large-plant method on a small generated plant, the capacity-free bound, compaction."""

from __future__ import annotations

import numpy as np

from plantwise.core.options import SolveOptions
from plantwise.schedule.compact import right_shift
from plantwise.schedule.expand import build_shop, default_jobs, static_reorder_points
from plantwise.schedule.generator import document_scenario, large
from plantwise.schedule.large import capacity_free_bound, constructive, good_costs, solve_large
from plantwise.schedule.methods import schedule_frame, solve
from plantwise.schedule.model import solve_cpsat
from plantwise.schedule.plan import SchedulePlan
from plantwise.schedule.verifier import inventory_frame, verify, verify_shop


def _small_plant():
    return large(seed=3, goods=24, recipes=10, weeks=1)


def test_large_method_returns_a_verified_plan_with_a_valid_bound() -> None:
    inst = _small_plant()
    result = solve_large(inst, "cost", SolveOptions(time_limit=15, seed=1))
    s = result.summary
    assert result.plan is not None and s["verified"], s["violations"]
    assert s["bound"] <= s["objective"] + 1e-6
    assert s["objective"] <= s["constructive_cost"] + 1e-6  # LNS never makes the plan worse
    result.plan.summary = s
    assert verify(inst, result.plan).ok


def test_capacity_free_bound_is_below_the_exact_optimum() -> None:
    inst = large(seed=5, goods=3, recipes=2, weeks=1)
    R = static_reorder_points(inst)
    shop = build_shop(inst, default_jobs(inst, R, "cost"), R)
    bound, ideal, per_good = capacity_free_bound(shop)
    assert np.isclose(bound, per_good.sum())
    exact = solve(inst, "cost", SolveOptions(time_limit=60))
    assert exact.summary["status"] == "optimal"
    assert bound <= exact.summary["objective"] + 1e-6
    # the constructive schedule built from the bound's ideal periods is feasible
    sched = constructive(shop, ideal)
    frame = schedule_frame(shop, sched)
    check = verify_shop(shop, SchedulePlan(frame, inventory_frame(shop, frame)))
    assert check.ok, check.violations[:5]
    assert np.isclose(check.total_cost, good_costs(shop, sched).sum())


def test_right_shift_keeps_cost_and_never_lengthens_a_job() -> None:
    inst = document_scenario(2)
    R = np.array([2820.83])
    shop = build_shop(inst, default_jobs(inst, R, "cost"), R)
    out = solve_cpsat(shop, "cost", SolveOptions(time_limit=30), workers=1)
    assert out.schedule is not None
    shifted = right_shift(shop, out.schedule)
    before = verify_shop(shop, SchedulePlan(schedule_frame(shop, out.schedule),
                                            inventory_frame(shop, schedule_frame(shop, out.schedule))))
    after_frame = schedule_frame(shop, shifted)
    after = verify_shop(shop, SchedulePlan(after_frame, inventory_frame(shop, after_frame)))
    assert after.ok, after.violations[:5]
    assert np.isclose(before.total_cost, after.total_cost)
    routes = shop.job_ops()
    for k, route in enumerate(routes):
        if out.schedule.job_made[k]:
            assert shifted.op_end[route[-1]] == out.schedule.op_end[route[-1]]
            assert shifted.op_start[route[0]] >= out.schedule.op_start[route[0]]


def test_lagrangian_bound_lies_between_the_capacity_free_bound_and_the_optimum() -> None:
    from plantwise.schedule.large import lagrangian_bound

    inst = large(seed=5, goods=3, recipes=2, weeks=1)
    R = static_reorder_points(inst)
    shop = build_shop(inst, default_jobs(inst, R, "cost"), R)
    free, _, _ = capacity_free_bound(shop)
    exact = solve(inst, "cost", SolveOptions(time_limit=60))
    value, ideal = lagrangian_bound(shop, exact.summary["objective"])
    assert free - 1e-6 <= value <= exact.summary["objective"] + 1e-6
    assert len(ideal) == shop.num_jobs
