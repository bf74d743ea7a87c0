"""The independent schedule verifier: solved plans pass with the reported objective, and each
planted violation is reported under its own family (alone, where the planting can be
isolated)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plantwise.core.options import SolveOptions
from plantwise.schedule.generator import document_scenario
from plantwise.schedule.instance import MINUTES_PER_DAY, ScheduleInstance
from plantwise.schedule.methods import solve
from plantwise.schedule.plan import SchedulePlan, load_plan
from plantwise.schedule.shop import Shop, read_jsplib
from plantwise.schedule.verifier import verify

Plant = tuple[ScheduleInstance, SchedulePlan]
JobShop = tuple[Shop, SchedulePlan]
SHELF_LIFE = 24 * 60  # minutes from the start of extrusion to the end of drying (scenario 2)
DAY = 480  # working minutes per day: [0, 480) of each day


@pytest.fixture
def plant(solved_scenario: Callable) -> Plant:
    """Scenario 2 (two jobs of 5,483.33 lbs) and a private copy of its optimal plan."""
    inst, result = solved_scenario(2)
    return inst, copy.deepcopy(result.plan)


@functools.cache
def _la01(path: Path) -> JobShop:
    shop = read_jsplib(path)
    result = solve(shop, "makespan", SolveOptions(time_limit=60))
    assert result.plan is not None and result.summary["objective"] == 666
    result.plan.summary = result.summary
    return shop, result.plan


@pytest.fixture
def la01(benchmark: Callable[[str], Path]) -> JobShop:
    """la01 (10 x 5 job shop) and a private copy of its makespan-optimal (666) plan."""
    shop, plan = _la01(benchmark("jobshop_jsplib/instances/la01"))
    return shop, copy.deepcopy(plan)


def row(plan: SchedulePlan, job: str, step: int) -> int:
    s = plan.schedule
    hit = s.index[(s["job"] == job) & (s["step"] == step)]
    assert len(hit) == 1, (job, step)
    return int(hit[0])


def place(plan: SchedulePlan, index: int, start: int, machine: str | None = None) -> None:
    """Move one row to ``start`` (keeping its duration), optionally onto ``machine``."""
    s = plan.schedule
    duration = int(s.loc[index, "end"] - s.loc[index, "start"])
    s.loc[index, ["start", "end"]] = [start, start + duration]
    if machine is not None:
        s.loc[index, "machine"] = machine


def set_reorder_point(plan: SchedulePlan, value: object) -> None:
    """Change the plan's reorder point, and its shortfall below it to match (the verifier
    checks every inventory.csv column)."""
    inv = plan.inventory
    inv["reorder_point"] = value
    inv["below_reorder_point"] = np.round(np.maximum(inv["reorder_point"] - inv["inventory"], 0.0), 6)


def families(inst: object, plan: SchedulePlan) -> set[str]:
    check = verify(inst, plan)
    assert not check.ok
    return check.families()


# ---------------------------------------------------------------- unmodified plans
def test_solved_plant_plan_verifies(plant: Plant) -> None:
    inst, plan = plant
    check = verify(inst, plan)
    assert check.ok, check.violations
    assert check.families() == set()
    assert check.objective_name == "cost"
    assert check.objective_value == pytest.approx(plan.summary["objective"], rel=1e-9)
    assert set(check.cost_breakdown) == {"machine hours", "labour", "setup", "order", "finished goods", "waste",
                                         "holding", "stockout", "safety stock"}
    assert all(v >= 0 for v in check.cost_breakdown.values())


def test_solved_job_shop_plan_verifies(la01: JobShop) -> None:
    shop, plan = la01
    check = verify(shop, plan)
    assert check.ok, check.violations
    assert check.objective_name == "makespan" and check.objective_value == 666


def test_saved_plan_verifies_after_loading(plant: Plant, tmp_path: Path) -> None:
    inst, plan = plant
    plan.save(tmp_path / "plan")
    loaded = load_plan(tmp_path / "plan")
    pd.testing.assert_frame_equal(loaded.schedule, plan.schedule, check_dtype=False)
    check = verify(inst, loaded)
    assert check.ok, check.violations
    # a bad row found in the file is named by its line in schedule.csv
    frame = pd.read_csv(tmp_path / "plan" / "schedule.csv")
    frame.loc[3, "machine"] = "COA1" if frame.loc[3, "stage"] != "coat" else "DRY1"
    frame.to_csv(tmp_path / "plan" / "schedule.csv", index=False)
    check = verify(inst, load_plan(tmp_path / "plan"))
    assert check.families() == {"machine eligibility"}
    assert check.violations[0].message.startswith("schedule.csv row 5: ")


# ---------------------------------------------------------------- planted violations
def overlap_candidate(plan: SchedulePlan) -> tuple[int, int]:
    """A row ``b`` and a start that makes it overlap the row ``a`` before it on its machine,
    without breaking precedence (its job's previous step ends in time) or the makespan."""
    s = plan.schedule
    makespan = int(s["end"].max())
    prev_end = {(j, st): e for j, st, e in zip(s["job"], s["step"] + 1, s["end"], strict=True)}
    for _, grp in s.sort_values("start").groupby("machine"):
        for a, b in zip(grp.index[:-1], grp.index[1:], strict=True):
            start = int(s.loc[a, "end"]) - 1
            if start < s.loc[b, "start"] and s.loc[b, "end"] < makespan \
                    and prev_end.get((s.loc[b, "job"], s.loc[b, "step"]), 0) <= start:
                return int(b), start
    raise AssertionError("no overlap can be planted alone")


def test_machine_overlap(la01: JobShop) -> None:
    shop, plan = la01
    b, start = overlap_candidate(plan)
    place(plan, b, start)
    check = verify(shop, plan)
    assert check.families() == {"machine overlap"}, check.violations
    assert f"machine '{plan.schedule.loc[b, 'machine']}'" in check.violations[0].message


def test_machine_overlap_on_a_plant(plant: Plant) -> None:
    """Both jobs dry at once on the same dryer (the second job dries earlier than planned, so
    precedence and the shelf life break too; the overlap is what is asserted)."""
    inst, plan = plant
    a, b = row(plan, "FG3#1", 2), row(plan, "FG3#2", 2)
    place(plan, b, int(plan.schedule.loc[a, "start"]), machine=str(plan.schedule.loc[a, "machine"]))
    assert "machine overlap" in families(inst, plan)


def test_precedence(plant: Plant) -> None:
    inst, plan = plant
    step1, step2 = row(plan, "FG3#1", 1), row(plan, "FG3#1", 2)
    place(plan, step2, int(plan.schedule.loc[step1, "end"]) - 1)
    check = verify(inst, plan)
    assert check.families() == {"precedence"}, check.violations
    assert "job 'FG3#1': step 2 starts at" in check.violations[0].message


def test_precedence_on_a_job_shop(la01: JobShop) -> None:
    """A step started one unit before its job's previous step ends, where its machine is free
    (CP-SAT's parallel search may return any of several optimal schedules: search for one)."""
    shop, plan = la01
    s = plan.schedule
    makespan = int(s["end"].max())
    for i in s.index[s["step"] > 1]:
        start = int(s.loc[row(plan, s.loc[i, "job"], int(s.loc[i, "step"]) - 1), "end"]) - 1
        end = start + int(s.loc[i, "end"] - s.loc[i, "start"])
        others = s[(s["machine"] == s.loc[i, "machine"]) & (s.index != i)]
        busy = ((others["start"] < end) & (others["end"] > start)).any()
        if not busy and (s.loc[i, "end"] < makespan or (s["end"] == makespan).sum() > 1):
            place(plan, i, start)
            break
    else:
        raise AssertionError("no precedence violation can be planted alone")
    check = verify(shop, plan)
    assert check.families() == {"precedence"}, check.violations


def test_perishability_when_drying_moves_to_a_later_day(plant: Plant) -> None:
    """Steps 2-4 of a job move whole days later (same time of day, so within the calendar and
    in route order); drying then ends more than 24 h after extrusion started. The job's
    finish moves too, so stock, the reorder point and the cost may differ as well."""
    inst, plan = plant
    s = plan.schedule
    for job in s["job"].unique():
        for days in range(1, 5):
            trial = copy.deepcopy(plan)
            for step in (2, 3, 4):
                i = row(trial, job, step)
                place(trial, i, int(trial.schedule.loc[i, "start"]) + days * MINUTES_PER_DAY)
            found = verify(inst, trial).families()
            if not found & {"machine overlap", "calendar", "horizon", "precedence"}:
                assert "perishability" in found, found
                assert found <= {"perishability", "inventory balance", "reorder point", "cost"}, found
                return
    raise AssertionError("no later day is free for the job's steps 2-4")


def test_perishability_alone_when_the_shelf_life_shrinks(plant: Plant) -> None:
    """The same plan against a plant whose shelf life is one minute shorter than the
    longest extrude-to-dry span of the plan: only the shelf life is broken."""
    inst, plan = plant
    s = plan.schedule.set_index(["job", "step"])
    spans = [int(s.loc[(job, 2), "end"] - s.loc[(job, 1), "start"]) for job in plan.schedule["job"].unique()]
    assert max(spans) <= SHELF_LIFE
    shorter = copy.deepcopy(inst)
    shorter.shelf_life.loc[0, "max_hours"] = (max(spans) - 1) / 60
    check = verify(shorter, plan)
    assert check.families() == {"perishability"}, check.violations
    assert sum(v.family == "perishability" for v in check.violations) == sum(x == max(spans) for x in spans)
    assert f"shelf life allows {max(spans) - 1}" in check.violations[0].message


def test_calendar(plant: Plant) -> None:
    """Drying of the first job moved into the night of day 1 (minute 600; work stops at 480)."""
    inst, plan = plant
    s = plan.schedule
    job = s.loc[s["start"].idxmin(), "job"]
    step1, step2, step3 = (row(plan, job, k) for k in (1, 2, 3))
    duration = int(s.loc[step2, "end"] - s.loc[step2, "start"])
    start = 600
    # the move keeps the route order, the shelf life and the dryer free
    assert s.loc[step1, "end"] <= start and start + duration <= s.loc[step3, "start"]
    assert start + duration - s.loc[step1, "start"] <= SHELF_LIFE
    dryer = s[(s["machine"] == s.loc[step2, "machine"]) & (s.index != step2)]
    assert not ((dryer["start"] < start + duration) & (dryer["end"] > start)).any()
    assert DAY < start < MINUTES_PER_DAY
    place(plan, step2, start)
    check = verify(inst, plan)
    assert check.families() == {"calendar"}, check.violations
    assert f"[{start}, {start + duration}) meets a non-working window" in check.violations[0].message


def test_inventory_balance(plant: Plant) -> None:
    inst, plan = plant
    plan.inventory.loc[5, "inventory"] += 100
    check = verify(inst, plan)
    assert check.families() == {"inventory balance"}, check.violations
    assert check.violations[0].message.startswith("good 'FG3' period 6: inventory")


def test_inventory_rows_missing(plant: Plant) -> None:
    inst, plan = plant
    plan.inventory = plan.inventory.iloc[:-3]
    check = verify(inst, plan)
    assert check.families() == {"inventory balance"}, check.violations
    assert "lacks 3 (good, period) rows" in check.violations[0].message


def test_duration(plant: Plant) -> None:
    inst, plan = plant
    i = row(plan, "FG3#1", 2)
    plan.schedule.loc[i, "end"] -= 10
    check = verify(inst, plan)
    assert check.families() == {"duration"}, check.violations
    assert "lasts 220 min, needs 230" in check.violations[0].message


def test_duration_on_a_job_shop(la01: JobShop) -> None:
    shop, plan = la01
    s = plan.schedule
    i = int(s.index[s["end"] < 666][0])
    s.loc[i, "end"] -= 1
    assert families(shop, plan) == {"duration"}


def test_machine_eligibility(plant: Plant) -> None:
    """Drying on the coater: ineligible (and not priced, so no cost echo either)."""
    inst, plan = plant
    i = row(plan, "FG3#1", 2)
    plan.schedule.loc[i, "machine"] = "COA1"
    check = verify(inst, plan)
    assert check.families() == {"machine eligibility"}, check.violations
    assert "job 'FG3#1' step 2 cannot run on machine 'COA1'" in check.violations[0].message


def test_machine_eligibility_on_a_job_shop(la01: JobShop) -> None:
    """An operation moved, at the same times, onto another machine that is idle then."""
    shop, plan = la01
    s = plan.schedule
    for i in s.index:
        start, end = s.loc[i, "start"], s.loc[i, "end"]
        for other in shop.machines:
            on = s[s["machine"] == other]
            if other != s.loc[i, "machine"] and not ((on["start"] < end) & (on["end"] > start)).any():
                s.loc[i, "machine"] = other
                assert families(shop, plan) == {"machine eligibility"}
                return
    raise AssertionError("no idle machine for any operation")


def test_cost(plant: Plant) -> None:
    inst, plan = plant
    plan.summary["objective"] = float(plan.summary["objective"]) + 1.0
    check = verify(inst, plan)
    assert check.families() == {"cost"}, check.violations
    assert "differs from the recomputed cost" in check.violations[0].message


def test_reported_makespan(la01: JobShop) -> None:
    shop, plan = la01
    plan.summary["objective"] = 665
    assert families(shop, plan) == {"cost"}


def test_reorder_point(plant: Plant) -> None:
    """A reorder point that is not the one the plan's own lead times imply (the safety-stock
    cost recomputed with it differs from the reported cost too)."""
    inst, plan = plant
    set_reorder_point(plan, plan.inventory["reorder_point"] + 100)
    found = families(inst, plan)
    assert "reorder point" in found and found <= {"reorder point", "cost"}


def test_missing_step(plant: Plant) -> None:
    inst, plan = plant
    plan.schedule = plan.schedule.drop(index=row(plan, "FG3#2", 3))
    check = verify(inst, plan)
    assert "route" in check.families(), check.violations
    assert any("job 'FG3#2' misses step(s) [3]" in v.message for v in check.violations)


def test_unknown_good(plant: Plant) -> None:
    inst, plan = plant
    plan.schedule.loc[plan.schedule["job"] == "FG3#2", "good"] = "FG9"
    check = verify(inst, plan)
    assert "format" in check.families(), check.violations
    assert any("unknown good 'FG9'" in v.message for v in check.violations)


def test_horizon(la01: JobShop) -> None:
    shop, plan = la01
    s = plan.schedule
    i = int(s["end"].idxmax())
    place(plan, i, shop.horizon - 1)
    found = families(shop, plan)
    assert "horizon" in found and found <= {"horizon", "cost"}  # the makespan moves as well


def test_wrong_batch_size(plant: Plant) -> None:
    inst, plan = plant
    s = plan.schedule
    s.loc[s["job"] == "FG3#2", "quantity"] = 4000.0
    found = families(inst, plan)
    assert "batch size" in found


def test_verify_ignores_row_order(plant: Plant) -> None:
    inst, plan = plant
    plan.schedule = plan.schedule.iloc[::-1].reset_index(drop=True)
    assert verify(inst, plan).ok
    plan.schedule = plan.schedule.sample(frac=1.0, random_state=np.random.default_rng(1))
    assert verify(inst, plan).ok


def test_static_reorder_point_policy() -> None:
    """A static policy: the plan must use the goods table's reorder point."""
    inst = document_scenario(1)
    inst.reorder_policy = "static"
    inst.goods.loc[0, "reorder_point"] = 450.0
    result = solve(inst, "cost", SolveOptions(time_limit=30))
    assert result.plan is not None and result.summary["reorder_point"] == {"FG3": 450.0}
    assert len(result.summary["rop_iterations"]) == 1
    result.plan.summary = result.summary
    assert verify(inst, result.plan).ok
    set_reorder_point(result.plan, 300.0)
    check = verify(inst, result.plan)
    assert "reorder point" in check.families() and check.families() <= {"reorder point", "cost"}
    assert any("the static policy gives 450" in v.message for v in check.violations)


def test_a_plan_without_jobs_round_trips(solved_scenario: Callable, tmp_path: Path) -> None:
    """Scenario 8 makes nothing: an empty schedule.csv loads and verifies at the holding cost."""
    inst, result = solved_scenario(8)
    result.plan.save(tmp_path / "plan")
    loaded = load_plan(tmp_path / "plan")
    assert len(loaded.schedule) == 0 and len(loaded.inventory) == 40
    check = verify(inst, loaded)
    assert check.ok, check.violations
    assert check.objective_value == pytest.approx(1180.0)
