"""Re-planning a schedule (plantwise.schedule.replanning): the documented example through the CLI,
a downtime under a frozen step, penalty 0 against the cold re-optimum and a large penalty
against the fewest changes, bad changes files, and the disruption tables the changed
instance carries (downtime, stock adjustments, yield losses).

Small instances, time limits of at most 20 s, one thread."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from plantwise.core.errors import InputErrors
from plantwise.core.family import families
from plantwise.core.pipeline import replan, solve
from plantwise.core.replan import check_changes
from plantwise.schedule.expand import build_shop
from plantwise.schedule.instance import Calendar, ScheduleInstance, from_frames, load
from plantwise.schedule.plan import SchedulePlan
from plantwise.schedule.replanning import apply_events
from plantwise.schedule.verifier import inventory_frame, verify

FAM = families()["schedule"]
DOC = Path(__file__).resolve().parents[2] / "docs" / "replanning-schedule.md"
RUN = [sys.executable, "-m", "plantwise", "schedule"]
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "250"}
LIMIT = dict(time_limit=20, threads=1, handle_signals=False)


def tiny() -> ScheduleInstance:
    """Two goods, three 8-hour days, 2-hour periods, static reorder points: extrude (EXT1), dry
    (DRY1 at 150 units/h, DRY2 at 120), package (PAC1); batches of 200 units take 40, 90 (DRY1)
    or 110 (DRY2) and 40 minutes; good A may wait at most 12 h from extrusion to the end of drying."""
    cal = Calendar(weeks=1, days_per_week=3, shifts_per_day=1, hours_per_shift=8, period_hours=2)
    P = cal.num_periods
    machines = pd.DataFrame({"machine": ["EXT1", "DRY1", "DRY2", "PAC1"],
                             "stage": ["extrude", "dry", "dry", "package"], "setup_minutes": 10.0,
                             "cost_per_hour": 1.0})
    rows = [(r, 1, "extrude", "EXT1", 400.0, 1.0) for r in ("RA", "RB")]
    rows += [(r, 2, "dry", m, rate, 1.0) for r in ("RA", "RB") for m, rate in (("DRY1", 150.0), ("DRY2", 120.0))]
    rows += [(r, 3, "package", "PAC1", 400.0, 1.0) for r in ("RA", "RB")]
    routes = pd.DataFrame(rows, columns=["recipe", "step", "stage", "machine", "rate", "yield"])
    goods = pd.DataFrame({"good": ["A", "B"], "recipe": ["RA", "RB"], "package": "bag", "annual_demand": np.nan,
                          "mean_demand": np.nan, "std_demand": 0.0, "service_level": 0.95,
                          "initial_inventory": [100.0, 50.0], "holding_cost": 0.02, "stockout_cost": 0.5,
                          "order_cost": 0.02, "safety_stock_cost": 0.02, "unit_cost": 0.02,
                          "reorder_point": [50.0, 50.0], "batch_size": [200.0, 200.0], "min_batch": np.nan,
                          "max_batch": np.nan})
    demand = np.zeros((2, P))
    demand[0, :] = 800 / P
    demand[1, P // 3:] = 500 / (P - P // 3)
    return ScheduleInstance(
        name="tiny", goods=goods, demand=demand, routes=routes, machines=machines,
        stages=pd.DataFrame({"stage": ["extrude", "dry", "package"], "waste_cost": 0.0}),
        shelf_life=pd.DataFrame({"recipe": ["RA"], "from_stage": ["extrude"], "to_stage": ["dry"],
                                 "max_hours": [12.0]}),
        calendar=cal, setup_cost_per_hour=29.53, labor_cost_per_hour=28.55, reorder_policy="static")


# (job, machine, start) per step; durations follow from the machine. Day 1 is [0, 480), day 2
# [1440, 1920), day 3 [2880, 3360) minutes.
HAND = {
    "A#1": [("EXT1", 60), ("DRY1", 100), ("PAC1", 190)],
    "A#2": [("EXT1", 200), ("DRY1", 240), ("PAC1", 330)],
    "B#1": [("EXT1", 250), ("DRY2", 290), ("PAC1", 400)],
    "A#3": [("EXT1", 1440), ("DRY1", 1480), ("PAC1", 1570)],
    "B#2": [("EXT1", 1500), ("DRY1", 1570), ("PAC1", 1660)],
    "A#4": [("EXT1", 2880), ("DRY1", 2920), ("PAC1", 3010)],
}
MINUTES = {"EXT1": 40, "DRY1": 90, "DRY2": 110, "PAC1": 40}
STAGES = ("extrude", "dry", "package")


def hand_plan(inst: ScheduleInstance) -> SchedulePlan:
    """The plan of ``HAND`` (valid, not optimal), with its inventory and its verified cost."""
    rows = [(job, job[0], 200.0, s + 1, STAGES[s], m, t, t + MINUTES[m])
            for job, steps in HAND.items() for s, (m, t) in enumerate(steps)]
    frame = pd.DataFrame(rows, columns=["job", "good", "quantity", "step", "stage", "machine", "start", "end"])
    names = list(HAND)
    shop = build_shop(inst, [(inst.good_ids.index(n[0]), 200.0, True) for n in names], np.array([50.0, 50.0]),
                      names=names)
    plan = SchedulePlan(frame, inventory_frame(shop, frame))
    check = verify(inst, plan, "cost")
    assert check.ok, check.violations
    plan.summary = {"status": "feasible", "objective": check.total_cost, "kpis": {"objective_name": "cost"}}
    return plan


def _changes(inst: ScheduleInstance, **values: Any) -> Any:
    return FAM.read_changes(values, inst)


def _steps(plan: Any) -> dict[tuple[str, int], tuple[str, int]]:
    s = plan.schedule if hasattr(plan, "schedule") else plan
    return {(str(j), int(k)): (str(m), int(t)) for j, k, m, t in zip(s["job"], s["step"], s["machine"], s["start"],
                                                                     strict=True)}


def _differing(old: dict[tuple[str, int], Any], new: dict[tuple[str, int], Any]) -> set[tuple[str, int]]:
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}


def _keys(table: pd.DataFrame) -> set[tuple[str, int]]:
    out = set()
    for key in table["key"]:
        parts = dict(p.split("=", 1) for p in key.split("; "))
        out.add((parts["job"], int(parts["step"])))
    return out


# ---------------------------------------------------------------- (a) the documented example
def test_the_documented_example_through_the_cli(tmp_path: Path) -> None:
    """docs/replanning-schedule.md: generate, solve, replan, verify; history and fence kept step by
    step; changes.csv lists exactly the steps that differ."""
    text = DOC.read_text().split("```yaml", 1)[1].split("```", 1)[0]
    (tmp_path / "changes.yaml").write_text(text)
    changes = yaml.safe_load(text)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*RUN, *args], capture_output=True, text=True, timeout=180, env=ENV, cwd=tmp_path)

    for args in (("generate", "--scenario", "2", "inst"), ("solve", "inst", "--out", "plan", "-t", "20",
                                                            "--threads", "1", "-q")):
        done = run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    done = run("replan", "inst", "plan", "changes.yaml", "--out", "new", "-t", "20", "--threads", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    check = run("verify", "new/instance", "new")
    assert check.returncode == 0 and "0 violations" in check.stdout, check.stdout + check.stderr
    old = _steps(pd.read_csv(tmp_path / "plan" / "schedule.csv"))
    new = _steps(pd.read_csv(tmp_path / "new" / "schedule.csv"))
    frozen = 60 * changes["freeze_until"]
    for key, (machine, start) in old.items():
        if start < frozen:  # history and fence: unchanged
            assert new.get(key) == (machine, start), key
    assert all(start >= 60 * changes["now"] for key, (_, start) in new.items() if key not in old)
    table = pd.read_csv(tmp_path / "new" / "changes.csv", keep_default_na=False)
    assert _keys(table) == _differing(old, new) and len(table) == len(_differing(old, new)) > 0
    summary = yaml.safe_load((tmp_path / "new" / "summary.json").read_text())
    assert summary["verified"] is True and summary["kpis"]["changes"] == len(table)
    assert summary["kpis"]["frozen_changed"] == 0 and summary["bound"] is None
    assert "machine_downtime.csv" in {p.name for p in (tmp_path / "new" / "instance").iterdir()}
    report = (tmp_path / "new" / "report.html").read_text()
    assert "Re-plan: before and after" in report


# ---------------------------------------------------------------- (b) the fence
def test_a_machine_down_under_a_frozen_step_moves_only_what_it_must_and_names_it() -> None:
    """DRY1 down over A#2's frozen drying: drying must move and so must one neighbour (its
    extrusion or its packaging; either way two frozen steps, the fewest); nothing else moves."""
    inst = tiny()
    plan = hand_plan(inst)
    changes = _changes(inst, now=3, freeze_until=6, change_penalty=10_000,
                       events=[{"kind": "machine_down", "machine": "DRY1", "from": 4, "to": 5}])
    sol = replan(FAM, inst, plan, changes, **LIMIT)
    assert sol.ok and sol.summary["verified"] is True and sol.status.value == "optimal"
    old, new = _steps(plan), _steps(sol.plan)
    moved = _differing(old, new)
    named = {(n["decision"].split()[1], int(n["decision"].split()[3])): n["reason"]
             for n in sol.summary["details"]["replan"]["fence_changes"]}
    assert set(named) == moved and len(moved) == 2  # the fewest: see the docstring
    assert {job for job, _ in moved} == {"A#2"} and ("A#2", 2) in named
    assert "DRY1 is down" in named[("A#2", 2)]
    assert all(new[k] == old[k] for k in old if old[k][1] < 180)  # history
    assert sol.summary["kpis"]["changes"] == 2 and sol.summary["kpis"]["frozen_changed"] == 2


def test_a_step_running_at_now_cannot_be_taken_down() -> None:
    inst = tiny()
    plan = hand_plan(inst)
    with pytest.raises(InputErrors, match=r"event 1 \(machine_down\).*A#1 step 2.*continues as it is"):
        apply_events(inst, plan, _changes(inst, now=2, events=[{"kind": "machine_down", "machine": "DRY1",
                                                                "from": 2.5, "to": 3}]))


# ---------------------------------------------------------------- (c) penalties
def test_penalty_zero_is_the_cold_re_optimum() -> None:
    """No fence, no penalty: the re-plan's cost is the cold optimum of the changed instance with
    nothing before now (every machine down in [0, now): the plan has no step before now)."""
    inst = tiny()
    plan = hand_plan(inst)
    assert plan.schedule["start"].min() >= 60
    changes = _changes(inst, now=1, freeze_until=1, change_penalty=0,
                       events=[{"kind": "rush_order", "good": "A", "quantity": 300, "due": 40}])
    free = replan(FAM, inst, plan, changes, **LIMIT)
    frames = apply_events(inst, plan, changes).to_frames()
    frames["machine_downtime"] = pd.DataFrame({"machine": inst.machine_ids, "from_hour": 0.0, "to_hour": 1.0})
    direct = solve(FAM, from_frames(frames, inst.scalars()), "exact", **LIMIT)
    assert free.status.value == "optimal" and direct.status.value == "optimal"
    assert free.objective == pytest.approx(direct.objective, rel=2e-4)
    assert free.objective < plan.summary["objective"] + 300 * 0.5 * 4  # better than leaving the rush unmet


def test_a_large_penalty_gives_the_fewest_changes() -> None:
    """EXT1 down over B#2's extrusion: that step must change (a lower bound of one change); it can
    move to day 1 alone (B has no shelf life), so a large penalty changes exactly it."""
    inst = tiny()
    plan = hand_plan(inst)
    events = [{"kind": "machine_down", "machine": "EXT1", "from": 25, "to": 26}]
    sticky = replan(FAM, inst, plan, _changes(inst, now=3, change_penalty=1e4, events=events), **LIMIT)
    loose = replan(FAM, inst, plan, _changes(inst, now=3, change_penalty=0, events=events), **LIMIT)
    assert sticky.ok and loose.ok
    assert _differing(_steps(plan), _steps(sticky.plan)) == {("B#2", 1)}
    assert sticky.summary["kpis"]["changes"] == 1 <= loose.summary["kpis"]["changes"]
    assert loose.objective <= sticky.objective + 1e-6


# ---------------------------------------------------------------- (d) bad changes files
@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("replan")
    inst = tiny()
    inst.save(folder / "inst")
    plan = hand_plan(inst)
    plan.save(folder / "plan")
    return folder


@pytest.mark.parametrize(("changes", "words"), [
    ({"now": 3, "events": [{"kind": "machine_down", "machine": "OVEN9", "from": 5, "to": 6}]},
     ["event 1 (machine_down)", "'machine'", "unknown machine 'OVEN9'"]),
    ({"now": 3, "events": [{"kind": "machine_down", "machine": "DRY1", "from": 5, "to": 999}]},
     ["event 1 (machine_down)", "'to'", "outside the horizon"]),
    ({"now": 3, "events": [{"kind": "machine_down", "machine": "DRY1", "from": 6, "to": 5}]},
     ["event 1 (machine_down)", "'to'", "must be after from"]),
    ({"now": 3, "events": [{"kind": "explode", "machine": "DRY1"}]}, ["event 1 (explode)", "unknown kind"]),
    ({"now": 999}, ["'now'", "outside the horizon"]),
    ({"now": 3, "events": [{"kind": "rush_order", "good": "Z", "quantity": 5, "due": 30}]},
     ["event 1 (rush_order)", "'good'", "unknown good 'Z'"]),
    ({"now": 3, "events": [{"kind": "yield_loss", "job": "B#2", "quantity": 5}]},
     ["event 1 (yield_loss)", "'job'", "not before now"]),
    ({"now": 3, "events": [{"kind": "rush_order", "good": "A", "due": 30}]}, ["'quantity'", "missing"]),
])
def test_bad_changes_exit_2_naming_event_and_field(saved: Path, tmp_path: Path, changes: dict[str, Any],
                                                   words: list[str]) -> None:
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(changes))
    done = subprocess.run([*RUN, "replan", str(saved / "inst"), str(saved / "plan"), str(tmp_path / "changes.yaml"),
                           "--out", str(tmp_path / "new")], capture_output=True, text=True, timeout=120, env=ENV)
    text = done.stdout + done.stderr
    assert done.returncode == 2, text
    for w in words:
        assert w in text, (w, text)
    assert not (tmp_path / "new").exists()


def test_every_defect_is_listed_together() -> None:
    inst = tiny()
    with pytest.raises(InputErrors) as info:
        apply_events(inst, hand_plan(inst), _changes(inst, now=3, events=[
            {"kind": "machine_down", "machine": "OVEN9", "from": 5, "to": 6},
            {"kind": "stock_actual", "good": "Z", "quantity": 5},
            {"kind": "yield_loss", "job": "A#9", "quantity": 5}]))
    text = str(info.value)
    assert "event 1 (machine_down)" in text and "event 2 (stock_actual)" in text and "event 3 (yield_loss)" in text


# ---------------------------------------------------------------- the changed instance
def test_stock_count_and_yield_loss_reach_the_stock_and_the_changed_instance(tmp_path: Path) -> None:
    """now = 4 h (the end of period 2): A#1 (made) lost 50 units, then A's net stock was counted
    at 30. The changed instance round-trips, and the re-plan's stock of period 2 is 30."""
    inst = tiny()
    plan = hand_plan(inst)
    changes = _changes(inst, now=4, freeze_until=4, change_penalty=0,
                       events=[{"kind": "yield_loss", "job": "A#1", "quantity": 50},
                               {"kind": "stock_actual", "good": "A", "quantity": 30}])
    new = apply_events(inst, plan, changes)
    assert len(new.adjustments) == 1 and new.losses() == {"A#1": 50.0}
    new.save(tmp_path / "changed")
    again = load(tmp_path / "changed")
    assert again.checksum() == new.checksum() and again.losses() == {"A#1": 50.0}
    assert load_plain_checksum(inst, tmp_path)
    sol = replan(FAM, inst, plan, changes, **LIMIT)
    assert sol.ok and sol.summary["verified"] is True
    stock = sol.plan.inventory.set_index(["good", "period"])
    assert stock.loc[("A", 2), "inventory"] - stock.loc[("A", 2), "stockout"] == pytest.approx(30.0)
    a1 = stock.loc[("A", 1), "produced"] + stock.loc[("A", 2), "produced"]
    assert a1 == pytest.approx(150.0)  # A#1's 200 units less its loss, by period 2


def load_plain_checksum(inst: ScheduleInstance, tmp_path: Path) -> bool:
    """An instance without disruptions has the tables (so the files and the checksum) it always had."""
    inst.save(tmp_path / "plain")
    names = {p.name for p in (tmp_path / "plain").iterdir()}
    plain = {"goods", "demand", "routes", "machines", "stages", "shelf_life"}
    return names == {f"{n}.csv" for n in plain} | {"instance.yaml"} and set(inst.to_frames()) == plain


def test_the_verifier_flags_a_step_in_a_downtime_and_method_large_refuses_disruptions() -> None:
    inst = tiny()
    plan = hand_plan(inst)
    frames = inst.to_frames()
    frames["machine_downtime"] = pd.DataFrame({"machine": ["DRY1"], "from_hour": [4.0], "to_hour": [5.0]})
    down = from_frames(frames, inst.scalars())
    check = verify(down, plan, "cost")
    assert [v for v in check.violations if v.family == "downtime"], check.violations
    assert FAM.methods["large"].applies(down) is not None


def test_the_api_function_survives_the_module_import() -> None:
    import plantwise.schedule as schedule
    import plantwise.schedule.replanning as module

    assert callable(schedule.replan) and module.apply_events is apply_events
    inst = tiny()
    sol = schedule.replan(inst, hand_plan(inst), {"now": 3, "freeze_until": 6, "change_penalty": 1e5}, **LIMIT)
    assert sol.ok and sol.summary["kpis"]["changes"] == 0  # nothing changed: the plan stays


def test_history_before_now_is_checked_against_the_horizon_in_hours() -> None:
    inst = tiny()
    assert FAM.replan_horizon(inst) == 56  # 2 days and 8 hours
    with pytest.raises(InputErrors, match=r"outside the horizon 1\.\.56"):
        check_changes({"now": 57}, FAM.replan_events, FAM.replan_horizon(inst), time_word="hour")


def test_demand_events_land_in_their_periods_and_keep_the_batch_size() -> None:
    """2-hour periods: a due in the break after day 2 counts in day 2's last period (8, ending at
    32 h); a rush order due before now goes to the first period ending after now (period 2); a
    forecast for a past period is history. B's batch (its EPQ) stays what it was."""
    inst = tiny()
    plan = hand_plan(inst)
    inst.goods.loc[1, "batch_size"] = np.nan  # B's batch: the EPQ, kept by the changed instance
    plan.schedule = plan.schedule[plan.schedule["good"] == "A"].reset_index(drop=True)
    new = apply_events(inst, plan, _changes(inst, now=3, events=[
        {"kind": "rush_order", "good": "A", "quantity": 40, "due": 40},   # in the break after day 2
        {"kind": "rush_order", "good": "A", "quantity": 7, "due": 1},     # due already: period 2 (4 h)
        {"kind": "demand", "good": "B", "quantity": 90, "due": 26}]))    # period 5: hours 24..26
    added = new.demand - inst.demand
    assert added[0, 7] == pytest.approx(40) and added[0, 1] == pytest.approx(7)
    assert new.demand[1, 4] == pytest.approx(90) and new.demand[1, 5] == inst.demand[1, 5]
    assert np.array_equal(_epq_of(new), _epq_of(inst)) and new.goods["annual_demand"].iat[1] == 500
    with pytest.raises(InputErrors, match=r"event 1 \(demand\).*ended by now"):
        apply_events(inst, plan, _changes(inst, now=5, events=[{"kind": "demand", "good": "B", "quantity": 5,
                                                                "due": 2}]))


def _epq_of(inst: ScheduleInstance) -> np.ndarray:
    from plantwise.schedule.expand import epq

    return epq(inst)[0]
