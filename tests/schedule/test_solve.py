"""Real CP-SAT solves: the document's eight scenarios (cost), benchmark job shops and hybrid
flow shops at their proven optimal makespans, weighted tardiness against brute force, and
determinism."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus
from plantwise.schedule.generator import SCENARIOS, document_scenario
from plantwise.schedule.methods import solve
from plantwise.schedule.shop import Shop, read_hfs, read_jsplib
from plantwise.schedule.verifier import verify

SUMMARY_KEYS = {"status", "objective", "bound", "gap", "model_objective", "cost_breakdown", "jobs",
                "amount_produced", "reorder_point", "average_lead_time_hours", "solve_seconds", "rop_iterations",
                "verified", "objective_name", "makespan"}


# ---------------------------------------------------------------- the document's case study
@pytest.mark.parametrize("n", sorted(SCENARIOS))
def test_document_scenario_solves_to_optimality(solved_scenario: Callable, n: int) -> None:
    inst, result = solved_scenario(n)
    s = result.summary
    assert s.keys() >= SUMMARY_KEYS
    assert result.status == SolveStatus.OPTIMAL and s["status"] == "optimal", s
    assert s["verified"] is True and s["violations"] == []
    assert s["rop_settled"] is True
    # the verifier's recomputed cost is the reported objective, and the model agrees
    check = verify(inst, result.plan)
    assert check.ok, check.violations
    assert check.objective_value == pytest.approx(s["objective"], rel=1e-9)
    assert s["objective"] == pytest.approx(s["model_objective"], rel=1e-4)
    assert sum(s["cost_breakdown"].values()) == pytest.approx(s["objective"], rel=1e-9)
    assert check.cost_breakdown == pytest.approx(s["cost_breakdown"])
    assert s["bound"] <= s["objective"] * (1 + 1e-9) and s["gap"] <= 1e-4
    # summary figures agree with the plan's tables
    frame = result.plan.schedule
    assert frame["job"].nunique() == s["jobs"]
    assert frame.drop_duplicates("job")["quantity"].sum() == pytest.approx(s["amount_produced"], abs=0.01)
    assert (result.plan.inventory["reorder_point"] == s["reorder_point"]["FG3"]).all()
    if s["jobs"]:
        assert len(frame) == 4 * s["jobs"] and set(frame["step"]) == {1, 2, 3, 4}
        assert s["makespan"] == frame["end"].max()


def test_jobs_never_increase_with_starting_stock(solved_scenario: Callable) -> None:
    table = pd.DataFrame([{"scenario": n, "stock": stock, "forecast": forecast,
                           "jobs": solved_scenario(n)[1].summary["jobs"]}
                          for n, (stock, forecast) in SCENARIOS.items()])
    for forecast, grp in table.sort_values("stock").groupby("forecast"):
        assert len(grp) == 4
        jobs = grp["jobs"].to_numpy()
        assert np.all(np.diff(jobs) <= 0), (forecast, grp)
        assert jobs[0] >= 1  # without stock the forecast needs production
    assert table.set_index("scenario")["jobs"].to_dict()[8] == 0


def test_scenario_8_makes_nothing_at_the_document_cost(solved_scenario: Callable) -> None:
    """2,500 lbs of stock cover the 2,000 lbs forecast: no job; the cost is holding (and the
    document's 1,180.00)."""
    _, result = solved_scenario(8)
    s = result.summary
    assert s["jobs"] == 0 and s["amount_produced"] == 0 and len(result.plan.schedule) == 0
    assert s["objective"] == pytest.approx(1180.0, abs=1e-6)
    assert s["cost_breakdown"]["holding"] == pytest.approx(1180.0, abs=1e-6)
    assert s["reorder_point"] == {"FG3": 0.0} and s["average_lead_time_hours"] == 0.0
    stock = result.plan.inventory["inventory"].to_numpy()
    assert stock[0] == pytest.approx(2450) and stock[-1] == pytest.approx(500)


# ---------------------------------------------------------------- benchmark makespans
@pytest.mark.parametrize(("reader", "relative", "optimum"), [
    (read_jsplib, "jobshop_jsplib/instances/la01", 666),
    (read_jsplib, "jobshop_jsplib/instances/ft06", 55),
    (read_hfs, "hfs_carlier_neron_subset/instances/j10c5a2.csv", 87),
    (read_hfs, "hfs_carlier_neron_subset/instances/j10c5c2.csv", 74),
], ids=["la01", "ft06", "j10c5a2", "j10c5c2"])
def test_benchmark_makespan(benchmark: Callable[[str], Path], reader: Callable[[Path], Shop], relative: str,
                            optimum: int) -> None:
    shop = reader(benchmark(relative))
    result = solve(shop, "makespan", SolveOptions(time_limit=60))
    s = result.summary
    assert result.status == SolveStatus.OPTIMAL, s
    assert s["objective"] == optimum and s["model_objective"] == optimum and s["bound"] == optimum
    assert s["makespan"] == optimum and s["verified"] is True
    assert result.plan is not None and len(result.plan.schedule) == shop.num_ops
    result.plan.summary = s
    check = verify(shop, result.plan)
    assert check.ok, check.violations
    assert check.objective_name == "makespan" and check.objective_value == optimum


def test_a_too_short_horizon_is_infeasible(benchmark: Callable[[str], Path]) -> None:
    shop = read_jsplib(benchmark("jobshop_jsplib/instances/ft06"))
    shop.horizon = 54  # one less than the optimal makespan
    result = solve(shop, "makespan", SolveOptions(time_limit=20))
    assert result.status == SolveStatus.INFEASIBLE and result.plan is None
    assert result.summary["objective"] is None


# ---------------------------------------------------------------- weighted tardiness
def single_machine(tmp_path: Path, durations: list[int], due: list[int], weight: list[float]) -> Shop:
    path = tmp_path / "single.jsp"
    path.write_text(f"{len(durations)} 1\n" + "".join(f"0 {p}\n" for p in durations))
    shop = read_jsplib(path)
    shop.job_due = np.array(due, dtype=np.int64)
    shop.job_weight = np.array(weight, dtype=float)
    return shop


def brute_force_tardiness(durations: list[int], due: list[int], weight: list[float]) -> float:
    best = np.inf
    for order in itertools.permutations(range(len(durations))):
        t, total = 0, 0.0
        for j in order:
            t += durations[j]
            total += weight[j] * max(0, t - due[j])
        best = min(best, total)
    return best


def test_weighted_tardiness_on_one_machine_matches_brute_force(tmp_path: Path) -> None:
    durations, due, weight = [3, 2, 4, 1, 5], [4, 2, 9, 3, 6], [1.0, 3.0, 1.0, 2.0, 2.0]
    shop = single_machine(tmp_path, durations, due, weight)
    result = solve(shop, "weighted-tardiness", SolveOptions(time_limit=20))
    expected = brute_force_tardiness(durations, due, weight)
    assert expected > 0
    assert result.status == SolveStatus.OPTIMAL
    assert result.summary["objective"] == pytest.approx(expected)
    assert result.summary["model_objective"] == pytest.approx(expected)
    result.plan.summary = result.summary
    check = verify(shop, result.plan)
    assert check.ok, check.violations
    assert check.objective_name == "weighted-tardiness" and check.weighted_tardiness == pytest.approx(expected)


def test_weighted_tardiness_on_a_plant() -> None:
    inst = document_scenario(2)
    result = solve(inst, "weighted-tardiness", SolveOptions(time_limit=20))
    s = result.summary
    assert result.status == SolveStatus.OPTIMAL and s["verified"] is True, s
    assert s["jobs"] == 2  # mandatory jobs: ceil(10,000 / 5,483.33)
    assert s["objective"] == pytest.approx(s["model_objective"])
    result.plan.summary = s
    check = verify(inst, result.plan)
    assert check.ok, check.violations
    assert check.weighted_tardiness == pytest.approx(s["objective"])


def test_unknown_objective_is_rejected() -> None:
    with pytest.raises(ValueError, match="objective"):
        solve(document_scenario(1), "profit")


# ---------------------------------------------------------------- determinism
def test_solving_scenario_2_twice_gives_the_same_schedule(solved_scenario: Callable) -> None:
    """Default workers (the solver's threads, 2): the same schedule, to the minute.

    (With ``workers=1`` the second, flow-compacting solve of each reorder-point iteration
    runs into its time cap on a busy 2-core machine, so its schedule depends on the clock;
    it is not checked here.)"""
    _, first = solved_scenario(2)
    again = solve(document_scenario(2), "cost", SolveOptions(time_limit=30))
    pd.testing.assert_frame_equal(again.plan.schedule, first.plan.schedule)
    pd.testing.assert_frame_equal(again.plan.inventory, first.plan.inventory)
    assert again.summary["objective"] == first.summary["objective"]


def test_solve_does_not_modify_the_instance() -> None:
    inst = document_scenario(1)
    before = copy.deepcopy(inst)
    solve(inst, "cost", SolveOptions(time_limit=30))
    assert inst.checksum() == before.checksum()


def test_an_impossible_shelf_life_gets_a_diagnosis_naming_the_jobs() -> None:
    from plantwise.schedule.generator import document_scenario as scenario

    inst = scenario(2)
    inst.shelf_life["max_hours"] = 1.0  # extrusion + drying take over 4 h
    result = solve(inst, "makespan", SolveOptions(time_limit=10))
    assert result.status == SolveStatus.INFEASIBLE and result.plan is None
    diagnosis = result.summary["diagnosis"]
    assert any("FG3#1" in d and "shelf life" in d for d in diagnosis), diagnosis
