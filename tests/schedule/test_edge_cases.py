"""Edge cases a planner meets, through the real loader and CLI: unusual but valid inputs
solve to plans that verify, whose reported objective is the verifier's and that round-trip
through ``load_plan``; planted plan defects are caught; bad input exits 2 naming file, row
and column, never with a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from plantwise.cli import EXIT_BAD_INPUT, EXIT_OK, app
from plantwise.core.errors import InputErrors
from plantwise.core.options import SolveOptions
from plantwise.schedule.expand import build_shop, default_jobs, epq
from plantwise.schedule.generator import document_scenario, large
from plantwise.schedule.instance import ScheduleInstance, load
from plantwise.schedule.methods import solve
from plantwise.schedule.plan import SchedulePlan, load_plan
from plantwise.schedule.verifier import inventory_frame, verify

runner = CliRunner()
YIELDS = {"extrude": 0.9, "dry": 0.8, "coat": 0.95, "package": 0.99}


def plantwise(*args: object) -> tuple[int, str]:
    """Run the CLI; a Python exception (a traceback for the user) fails the test."""
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def with_good(inst: ScheduleInstance, good: str, demand: np.ndarray, **values: object) -> ScheduleInstance:
    """``inst`` plus a copy of its first good named ``good`` with ``demand`` and ``values``."""
    row = inst.goods.iloc[[0]].copy()
    row["good"] = good
    for k, v in values.items():
        row[k] = v
    inst.goods = pd.concat([inst.goods, row], ignore_index=True)
    inst.demand = np.vstack([inst.demand, np.asarray(demand, dtype=float)[None, :]])
    return inst


# ---------------------------------------------------------------- valid edge cases, end to end
def zero_good() -> ScheduleInstance:
    """Scenario 1 plus good FG4 with no demand and no stock."""
    return with_good(document_scenario(1), "FG4", np.zeros(40), initial_inventory=0.0)


def static_policy() -> ScheduleInstance:
    inst = with_good(document_scenario(1), "FG4", np.full(40, 20.0), initial_inventory=300.0, reorder_point=400.0)
    inst.goods.loc[0, "reorder_point"] = 250.0
    inst.reorder_policy = "static"
    return inst


def ranged_batches() -> ScheduleInstance:
    inst = document_scenario(1)
    inst.goods.loc[0, ["min_batch", "max_batch"]] = [1_000.0, 2_400.0]
    inst.batch_levels = 2
    return inst


def lossy() -> ScheduleInstance:
    inst = document_scenario(1)
    inst.routes["yield"] = inst.routes["stage"].map(YIELDS)
    return inst


def shared_machines() -> ScheduleInstance:
    """Six goods of three recipes on one machine per stage, one week."""
    return large(3, goods=6, recipes=3, weeks=1)


CASES: dict[str, tuple[Callable[[], ScheduleInstance], str, str]] = {
    # name: (instance, objective, file name to save under)
    "zero-demand-zero-stock": (zero_good, "cost", "inst"),
    "stock-covers-demand": (lambda: document_scenario(8), "cost", "inst"),
    "xlsx": (zero_good, "cost", "inst.xlsx"),
    "static-reorder-points": (static_policy, "cost", "inst"),
    "min-max-batch": (ranged_batches, "cost", "inst"),
    "yields-below-one": (lossy, "cost", "inst"),
    "weighted-tardiness": (lambda: document_scenario(2), "weighted-tardiness", "inst"),
    "makespan": (lambda: document_scenario(2), "makespan", "inst"),
    "shared-machines-cost": (shared_machines, "cost", "inst"),
    "shared-machines-tardiness": (shared_machines, "weighted-tardiness", "inst"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_cli_solves_verifies_reports_and_round_trips(case: str, tmp_path: Path) -> None:
    make, objective, name = CASES[case]
    inst = make()
    d, p = tmp_path / name, tmp_path / "plan"
    inst.save(d)
    assert load(d).checksum() == inst.checksum()
    code, output = plantwise("schedule", "solve", d, "--out", p, "--objective", objective, "--time-limit", "10")
    assert code == EXIT_OK, output
    summary = json.loads((p / "summary.json").read_text())
    assert summary["verified"] is True and summary["violations"] == [], summary
    assert (p / "report.html").is_file() and "<html" in (p / "report.html").read_text().lower()
    code, output = plantwise("schedule", "verify", d, p)
    assert code == EXIT_OK and "plan verified: 0 violations" in output, output
    plan = load_plan(p)
    check = verify(load(d), plan)
    assert check.ok, check.violations
    assert summary["objective"] == pytest.approx(check.objective_value, rel=1e-9, abs=1e-9)
    if objective == "cost":
        assert summary["objective"] == pytest.approx(summary["details"]["model_objective"], rel=1e-4)
    # the plan round-trips: saving what was loaded gives the same files
    plan.save(tmp_path / "again")
    again = load_plan(tmp_path / "again")
    pd.testing.assert_frame_equal(again.schedule, plan.schedule)
    pd.testing.assert_frame_equal(again.inventory, plan.inventory)
    assert again.summary == plan.summary == summary
    if case == "yields-below-one":
        assert summary["cost_breakdown"]["waste"] > 0
        # input grows upstream: extruding takes longer than it would at full yield
        extrude = plan.schedule[plan.schedule["stage"] == "extrude"].iloc[0]
        q, in_1 = extrude["quantity"], extrude["quantity"] / np.prod(list(YIELDS.values()))
        assert extrude["end"] - extrude["start"] == 10 + int(np.ceil(60 * in_1 / 14_000 - 1e-6)) > 10 + 60 * q / 14_000
    if case in ("stock-covers-demand", "zero-demand-zero-stock"):
        assert "FG4" not in set(plan.schedule["good"])


def test_header_only_and_zero_byte_shelf_life(tmp_path: Path) -> None:
    d = tmp_path / "inst"
    document_scenario(1).save(d)
    (d / "shelf_life.csv").write_text("recipe,from_stage,to_stage,max_hours\n")
    assert len(load(d).shelf_life) == 0
    code, output = plantwise("schedule", "solve", d, "--out", tmp_path / "p", "--time-limit", "10", "--no-report")
    assert code == EXIT_OK, output
    assert plantwise("schedule", "verify", d, tmp_path / "p")[0] == EXIT_OK
    (d / "shelf_life.csv").write_text("")  # the docs: shelf_life.csv "may be empty"
    assert len(load(d).shelf_life) == 0


# ---------------------------------------------------------------- the verifier
@pytest.fixture(scope="module")
def scenario2(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScheduleInstance, dict[str, Path]]:
    """Scenario 2 and its plans for each objective, saved (read only)."""
    tmp = tmp_path_factory.mktemp("edge")
    inst = document_scenario(2)
    plans = {}
    for objective in ("cost", "makespan", "weighted-tardiness"):
        result = solve(inst, objective, SolveOptions(time_limit=20))
        assert result.plan is not None and result.summary["verified"], result.summary
        result.plan.summary = result.summary
        result.plan.save(tmp / objective)
        plans[objective] = tmp / objective
    return inst, plans


def families(inst: ScheduleInstance, plan: SchedulePlan) -> set[str]:
    check = verify(inst, plan)
    assert not check.ok
    return check.families()


def test_swapped_start_and_end(scenario2: tuple[ScheduleInstance, dict[str, Path]]) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["cost"])
    s = plan.schedule
    s.loc[0, ["start", "end"]] = [s.loc[0, "end"], s.loc[0, "start"]]
    assert "duration" in families(inst, plan)


def test_quantity_other_than_the_batch(scenario2: tuple[ScheduleInstance, dict[str, Path]]) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["cost"])
    plan.schedule.loc[1, "quantity"] -= 100  # one row of a job
    assert "format" in families(inst, plan)
    plan = load_plan(plans["cost"])
    job = plan.schedule["job"].iloc[0]
    plan.schedule.loc[plan.schedule["job"] == job, "quantity"] -= 100  # the whole job
    assert {"batch size", "duration", "inventory balance"} <= families(inst, plan)


def test_unknown_good(scenario2: tuple[ScheduleInstance, dict[str, Path]]) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["cost"])
    extra = plan.schedule[plan.schedule["job"] == plan.schedule["job"].iloc[0]].assign(job="X#1", good="NOPE")
    plan.schedule = pd.concat([plan.schedule, extra], ignore_index=True)
    check = verify(inst, plan)
    assert any("unknown good 'NOPE'" in v.message for v in check.violations), check.violations


def test_inventory_missing_period(scenario2: tuple[ScheduleInstance, dict[str, Path]]) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["cost"])
    plan.inventory = plan.inventory[plan.inventory["period"] != 5].reset_index(drop=True)
    check = verify(inst, plan)
    assert check.families() == {"inventory balance"}
    assert "period 5" in str(check.violations[0])


def test_inventory_rows_the_plant_does_not_have(scenario2: tuple[ScheduleInstance, dict[str, Path]]) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["cost"])
    extra = plan.inventory.iloc[[0, 1]].copy()
    extra.loc[:, "good"] = ["NOPE", "FG3"]
    extra.loc[:, "period"] = [1, 41]
    plan.inventory = pd.concat([plan.inventory, extra], ignore_index=True)
    check = verify(inst, plan)
    assert check.families() == {"inventory balance"}, check.violations
    assert "NOPE" in str(check.violations) and "41" in str(check.violations)


@pytest.mark.parametrize("column", ["demand", "below_reorder_point", "period_end"])
def test_inventory_columns_are_checked(scenario2: tuple[ScheduleInstance, dict[str, Path]], column: str) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["cost"])
    plan.inventory.loc[3, column] += 7
    check = verify(inst, plan)
    assert check.families() == {"inventory balance"}, check.violations
    assert column in str(check.violations[0])


def test_varying_reorder_point_in_inventory(scenario2: tuple[ScheduleInstance, dict[str, Path]]) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["cost"])
    plan.inventory.loc[10, "reorder_point"] += 100
    assert "inventory balance" in families(inst, plan)


@pytest.mark.parametrize("objective", ["weighted-tardiness", "makespan", "cost"])
def test_recomputed_objective_ignores_row_order(scenario2: tuple[ScheduleInstance, dict[str, Path]],
                                                objective: str) -> None:
    """Job FG3#1 is due at the end of period 1, FG3#2 when the first batch runs out: the
    due dates belong to the jobs, not to the order of schedule.csv's rows."""
    inst, plans = scenario2
    plan = load_plan(plans[objective])
    plan.schedule = plan.schedule.iloc[::-1].reset_index(drop=True)
    check = verify(inst, plan)
    assert check.ok, check.violations
    assert check.objective_value == pytest.approx(plan.summary["objective"])


@pytest.mark.parametrize("objective", ["makespan", "weighted-tardiness"])
@pytest.mark.parametrize("keep", [1, 0])
def test_mandatory_jobs_may_not_be_left_out(scenario2: tuple[ScheduleInstance, dict[str, Path]], objective: str,
                                            keep: int) -> None:
    """Makespan and tardiness make exactly ceil((demand - stock) / Q) jobs: a plan that drops
    some (with a consistent inventory and objective) must not verify."""
    inst, plans = scenario2
    plan = load_plan(plans[objective])
    jobs = sorted(set(plan.schedule["job"]))[:keep]
    plan.schedule = plan.schedule[plan.schedule["job"].isin(jobs)].reset_index(drop=True)
    R = plan.inventory["reorder_point"].iloc[:1].to_numpy()
    shop = build_shop(inst, [(0, float(epq(inst)[0][0]), False)] * keep, R, names=jobs)
    plan.inventory = inventory_frame(shop, plan.schedule)
    first = verify(inst, plan)
    plan.summary["objective"] = first.objective_value
    check = verify(inst, plan)
    assert "route" in check.families(), check.violations
    assert any("mandatory" in v.message for v in check.violations)


def test_a_non_numeric_reported_makespan(scenario2: tuple[ScheduleInstance, dict[str, Path]]) -> None:
    inst, plans = scenario2
    plan = load_plan(plans["makespan"])
    plan.summary["objective"] = "soon"
    assert families(inst, plan) == {"cost"}


# ---------------------------------------------------------------- bad input: exit 2, file, row, column
def edited(src: Path, target: Path, name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
    shutil.copytree(src, target)
    frame = pd.read_csv(target / f"{name}.csv", dtype=str, keep_default_na=False)
    edit(frame).to_csv(target / f"{name}.csv", index=False)
    return target


def _set(row: int, column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame
    return edit


BAD_INPUT = {
    "non-numeric rate": ("routes", _set(1, "rate", "fast"), "routes.csv, row 3, column 'rate': 'fast' is not a number"),
    "negative setup": ("machines", _set(2, "setup_minutes", "-5"),
                       "machines.csv, row 4, column 'setup_minutes': -5 is below the minimum 0"),
    "duplicate route row": ("routes", lambda f: pd.concat([f, f.iloc[[1]]]),
                            "routes.csv, row 7, column 'machine': duplicate key (recipe=R3, step=2, machine=DRY1)"),
    "missing column": ("routes", lambda f: f.drop(columns="rate"),
                       "routes.csv, column 'rate': required column missing"),
    "demand period 0": ("demand", _set(0, "period", "0"),
                        "demand.csv, row 2, column 'period': 0 is below the minimum 1"),
    "setup longer than a day": ("machines", _set(4, "setup_minutes", "480"),
                                "machines.csv, row 6, column 'setup_minutes'"),
    "batch below 0.01": ("goods", _set(0, "batch_size", "0.004"), "goods.csv, row 2, column 'batch_size'"),
    "min batch below 0.01": ("goods", lambda f: _set(0, "max_batch", "0.009")(_set(0, "min_batch", "0.001")(f)),
                             "goods.csv, row 2, column 'min_batch'"),
    "impossible shelf life": ("shelf_life", _set(0, "max_hours", "0.5"), "shelf_life.csv, row 2, column 'max_hours'"),
}


@pytest.fixture(scope="module")
def scenario2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("edge-input") / "inst"
    document_scenario(2).save(d)
    return d


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_exits_2_naming_file_row_and_column(scenario2_folder: Path, tmp_path: Path, case: str) -> None:
    name, edit, expected = BAD_INPUT[case]
    bad = edited(scenario2_folder, tmp_path / "bad", name, edit)
    code, output = plantwise("schedule", "solve", bad, "--out", tmp_path / "p", "--time-limit", "5", "--no-report")
    assert code == EXIT_BAD_INPUT, output
    assert expected in output, output
    assert not (tmp_path / "p").exists()


def test_too_many_jobs_for_a_tiny_batch_is_refused(scenario2_folder: Path, tmp_path: Path) -> None:
    """A batch of 0.01 units against 10,000 units of demand (a unit mix-up) would need a
    million mandatory jobs: refused with a message, not left to exhaust memory."""
    bad = edited(scenario2_folder, tmp_path / "bad", "goods", _set(0, "batch_size", "0.01"))
    code, output = plantwise("schedule", "solve", bad, "--objective", "makespan", "--out", tmp_path / "p",
                             "--time-limit", "5", "--no-report")
    assert code == EXIT_BAD_INPUT, output
    assert "FG3" in output and "batch" in output


# ---------------------------------------------------------------- candidate jobs
def test_cost_objective_offers_every_needed_job_and_one_more() -> None:
    """n_j = ceil((demand + R - stock) / Q) jobs, plus one optional (docs): a small batch
    needing more than 12 jobs must not be capped below the demand."""
    inst = document_scenario(1)
    inst.goods["batch_size"] = 150.0  # 2,000 units of demand: 14 batches
    jobs = default_jobs(inst, np.zeros(1), "cost")
    assert len(jobs) == 15 and all(optional for _, _, optional in jobs)
    assert len(default_jobs(inst, np.zeros(1), "makespan")) == 14


def test_shelf_life_is_checked_against_the_fastest_route(tmp_path: Path) -> None:
    inst = document_scenario(2)
    inst.shelf_life["max_hours"] = 4.0  # extrude (34 min) + dry (230 min) = 4 h 24 min at the least
    inst.save(tmp_path / "i")
    with pytest.raises(InputErrors, match=r"shelf_life\.csv, row 2, column 'max_hours'"):
        load(tmp_path / "i")
    inst.shelf_life["max_hours"] = 4.5
    inst.save(tmp_path / "j")
    load(tmp_path / "j")


# ---------------------------------------------------------------- known defects outside this family's files
def test_makespan_when_stock_covers_the_demand() -> None:
    result = solve(document_scenario(8), "makespan", SolveOptions(time_limit=10))
    assert result.plan is not None and result.summary["objective"] == 0


def test_weighted_tardiness_when_stock_covers_the_demand() -> None:
    result = solve(document_scenario(8), "weighted-tardiness", SolveOptions(time_limit=10))
    assert result.plan is not None and result.summary["objective"] == 0
