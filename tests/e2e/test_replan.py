"""Re-planning an e2e plan (plantwise.core.replan + plantwise.e2e.replanning): history kept, the
fence kept unless infeasible (and then moved by the least and named), the change penalty per
production decision, changes.csv exact, bad changes files named by event and field.

One small instance (scenario 1, 4 SKUs of plant A, 14 days), solved once by the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from plantwise.core.family import families
from plantwise.core.pipeline import replan, solve
from plantwise.core.replan import check_changes
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.replanning import apply_events, old_arrays

FAM = families()["e2e"]
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "250"}
RUN = [sys.executable, "-m", "plantwise", "e2e"]
DOC = Path(__file__).resolve().parents[2] / "docs" / "replanning-e2e.md"
LIMIT = 20
TOL = FAM.decisions[0].tolerance  # the family's DecisionSpec tolerance (units)
KEYS = {"production": ["line", "sku", "day"], "shipments": ["plant", "dc", "sku", "day"],
        "transfers": ["from_plant", "to_plant", "sku", "day"]}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documented example's instance and plan, made by the CLI as docs/replanning-e2e.md says."""
    root = tmp_path_factory.mktemp("e2e-replan")
    for args in (["generate", "--scenario", "1", "--seed", "1", "--skus", "4", str(root / "inst")],
                 ["solve", str(root / "inst"), "--out", str(root / "plan"), "--time-limit", str(LIMIT),
                  "--threads", "1"]):
        done = subprocess.run([*RUN, *args], capture_output=True, text=True, timeout=120, env=ENV)
        assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.fixture(scope="module")
def solved(folders: Path) -> tuple[Any, Any]:
    return FAM.load(folders / "inst"), FAM.load_plan(folders / "plan")


def _changes(inst: Any, **values: Any) -> Any:
    return check_changes(values, FAM.replan_events, inst.horizon, time_word="day")


def _replan(inst: Any, plan: Any, **values: Any) -> Any:
    sol = replan(FAM, inst, plan, _changes(inst, **values), time_limit=LIMIT, threads=1, handle_signals=False)
    assert sol.ok and sol.summary["verified"] is True, sol.summary.get("message")
    return sol


def _table(plan: Any, name: str) -> pd.DataFrame:
    """A decision table keyed as strings, quantities as floats, with its day as an int."""
    frame = getattr(plan, name)[[*KEYS[name], "quantity"]].copy()
    frame = frame.astype({k: str for k in KEYS[name]})
    frame["quantity"] = frame["quantity"].astype(float)
    return frame


def _diff(old: Any, new: Any, name: str) -> pd.DataFrame:
    """Every decision of table ``name`` that differs by more than the family's tolerance (a
    missing row is 0)."""
    merged = _table(old, name).merge(_table(new, name), on=KEYS[name], how="outer", suffixes=("_old", "_new"))
    merged = merged.fillna({"quantity_old": 0.0, "quantity_new": 0.0})
    merged["day"] = merged["day"].astype(int)
    return merged[(merged["quantity_old"] - merged["quantity_new"]).abs() > TOL].reset_index(drop=True)


def _name(name: str, row: pd.Series) -> str:
    """The decision as the re-plan names a frozen one."""
    if name == "production":
        return f"production line {row['line']} SKU {row['sku']} day {row['day']}"
    if name == "shipments":
        return f"shipment {row['plant']} -> {row['dc']} SKU {row['sku']} day {row['day']}"
    return f"transfer {row['from_plant']} -> {row['to_plant']} SKU {row['sku']} day {row['day']}"


def _named(sol: Any) -> dict[str, str]:
    return {n["decision"].split(":")[0]: n["reason"] for n in sol.summary["details"]["replan"]["fence_changes"]}


def test_the_documented_example(folders: Path, solved: tuple[Any, Any], tmp_path: Path) -> None:
    """docs/replanning-e2e.md's changes file through the CLI: exit 0, the new plan verifies
    against the changed instance, history and fence unchanged decision by decision, closed
    lanes unused, and changes.csv lists exactly the decisions that differ."""
    text = DOC.read_text().split("```yaml", 1)[1].split("```", 1)[0]
    (tmp_path / "changes.yaml").write_text(text)
    changes = yaml.safe_load(text)
    new_dir = tmp_path / "new"
    done = subprocess.run([*RUN, "replan", str(folders / "inst"), str(folders / "plan"), str(tmp_path / "changes.yaml"),
                           "--out", str(new_dir), "--time-limit", str(LIMIT), "--threads", "1"],
                          capture_output=True, text=True, timeout=180, env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    check = subprocess.run([*RUN, "verify", str(new_dir / "instance"), str(new_dir)], capture_output=True, text=True,
                           timeout=120, env=ENV)
    assert check.returncode == 0 and "0 violations" in check.stdout, check.stdout + check.stderr
    report = (new_dir / "report.html").read_text()
    assert "Re-plan: before and after" in report and "cost before (currency)" in report

    old, new = solved[1], FAM.load_plan(new_dir)
    summary = new.summary
    assert summary["details"]["replan"]["fence_changes"] == []  # the example forces no frozen decision to move
    table = pd.read_csv(new_dir / "changes.csv", keep_default_na=False)
    for name in KEYS:
        diff = _diff(old, new, name)
        assert (diff["day"] >= changes["freeze_until"]).all(), diff[diff["day"] < changes["freeze_until"]]
        listed = set(table.loc[table["kind"] == name, "key"])
        assert listed == {"; ".join(f"{k}={r[k]}" for k in KEYS[name]) for _, r in diff.iterrows()}, name
    assert summary["kpis"]["changes"] == len(table)
    assert summary["kpis"]["cost_before"] == pytest.approx(old.summary["objective"])
    ships = _table(new, "shipments").astype({"day": int})
    closed = ships[(ships["plant"] == "A") & (ships["dc"] == "DC2A") & ships["day"].between(8, 9)]
    assert closed.empty  # lane_closed: nothing leaves on the closed lane-days
    changed = FAM.load(new_dir / "instance")
    assert changed.hours[changed.lines.index("1B"), 9] == pytest.approx(16.0)  # line_down: 8 h lost on day 10


def _without(inst: Any, plan: Any, now: int, freeze: int, line: str, day: int) -> float:
    """Units the plant stock positions lack in the fence if every decision before ``freeze``
    is kept but line ``line`` makes nothing on ``day``: the sum over positions of the worst
    shortfall (cutting a position's shipments by it is one feasible repair)."""
    production, shipments, transfers = old_arrays(inst, plan)
    fence = np.zeros(inst.horizon, bool)
    fence[now - 1: freeze - 1] = True
    keep = fence | (np.arange(inst.horizon) < now - 1)
    production = np.where(keep, production, 0.0)
    production[(inst.pair_line == inst.lines.index(line)), day - 1] = 0.0
    stock = simulate(inst, production, np.where(keep, shipments, 0.0), np.where(keep, transfers, 0.0)).plant_stock
    return float(np.maximum(-np.where(fence, stock, 0.0).min(axis=1), 0.0).sum())


def test_a_line_down_under_a_frozen_decision_moves_only_what_it_must(solved: tuple[Any, Any]) -> None:
    """A frozen line-day loses all its hours: its lots must go, and the frozen shipments and
    transfers its stock fed must give way. The fence moves by the least total quantity (stage
    1's proven optimum), between the lost lots and a direct repair, and every frozen decision
    that moved is named with its reason."""
    inst, plan = solved
    now, freeze = 4, 8
    prod = _table(plan, "production").astype({"day": int})
    frozen = prod[prod["day"].between(now, freeze - 1)]
    # the frozen line-day whose loss leaves the fence shortest of stock
    line, day = max(frozen.groupby(["line", "day"]).groups, key=lambda ld: _without(inst, plan, now, freeze, *ld))
    shortfall = _without(inst, plan, now, freeze, line, day)
    assert shortfall > 0
    sol = _replan(inst, plan, now=now, freeze_until=freeze, change_penalty=1000,
                  events=[{"kind": "line_down", "line": line, "from_day": int(day)}])  # all its hours lost
    named = _named(sol)
    lost = frozen[(frozen["line"] == line) & (frozen["day"] == day)]
    changed = {}
    total = 0.0
    for name in KEYS:
        diff = _diff(plan, sol.plan, name)
        assert (diff["day"] >= now).all()  # history never moves
        in_fence = diff[diff["day"] < freeze]
        changed.update({_name(name, r): r for _, r in in_fence.iterrows()})
        total += float((in_fence["quantity_old"] - in_fence["quantity_new"]).abs().sum())
    assert set(changed) == set(named)  # every frozen decision that changed is named, and only those
    for _, r in lost.iterrows():  # the line-day's production had to go, and says why
        key = _name("production", r)
        assert changed[key]["quantity_new"] == 0 and "line_down" in named[key] and f"line {line} has 0 h" in named[key]
    knock_on = [k for k in named if k not in {_name("production", r) for _, r in lost.iterrows()}]
    assert knock_on and all("makes up for" in named[k] or "would run out" in named[k] for k in knock_on)
    deviation = sol.summary["details"]["fence_deviation"]
    assert deviation["stage1_status"] == "optimal" and deviation["stage1_bound"] == pytest.approx(
        deviation["least_units"], abs=1e-6)
    # the plan moved the proven least, up to stage 2's budget slack (stage 1's rows' tolerance)
    slack = 2 * deviation["budget_slack"] + 1e-6
    assert deviation["budget_slack"] <= 1e-5 * max(1.0, deviation["least_units"])
    assert total == pytest.approx(deviation["least_units"], abs=slack)
    removed = float(lost["quantity"].sum())
    assert removed - 1e-6 <= total <= removed + shortfall + slack


def test_penalty_zero_is_the_cold_reoptimum(solved: tuple[Any, Any]) -> None:
    """now = 1 (no history) and no fence: the re-plan at penalty 0 costs what the exact method
    costs on the changed instance solved cold."""
    inst, plan = solved
    events = [{"kind": "demand", "sku": "S0001", "dc": "DC1A", "from_day": 5, "to_day": 10, "factor": 1.5},
              {"kind": "line_down", "line": "1B", "from_day": 6, "hours": 12}]
    free = _replan(inst, plan, now=1, freeze_until=1, change_penalty=0, events=events)
    cold = solve(FAM, apply_events(inst, plan, _changes(inst, now=1, events=events)), time_limit=LIMIT, threads=1,
                 handle_signals=False)
    assert free.status.value == "optimal" and cold.status.value == "optimal"
    assert free.objective == pytest.approx(cold.objective, rel=2e-4)  # both within the 1e-4 gap of the optimum


def test_a_large_penalty_gives_the_fewest_changes(solved: tuple[Any, Any]) -> None:
    """A line loses all its hours on four days beyond the fence: its lots there must go, nothing
    else must (stockouts are allowed, shipments are free), so the fewest production changes is
    a direct count of the old lots on those line-days. A huge penalty finds exactly that;
    penalty 0 re-plans more, never at a higher cost."""
    inst, plan = solved
    now, freeze, first, last = 4, 6, 8, 11
    prod = _table(plan, "production").astype({"day": int})
    window = prod[prod["day"].between(first, last)]
    line = window["line"].value_counts().idxmax()
    fewest = int((window["line"] == line).sum())
    events = [{"kind": "line_down", "line": line, "from_day": first, "to_day": last}]
    sticky = _replan(inst, plan, now=now, freeze_until=freeze, change_penalty=1e8, events=events)
    diff = _diff(plan, sticky.plan, "production")
    assert len(diff) == fewest and ((diff["line"] == line) & diff["day"].between(first, last)).all()
    assert (diff["quantity_new"] == 0).all()
    assert sticky.summary["details"]["replan_milp"]["changed_production_beyond_fence"] == fewest
    loose = _replan(inst, plan, now=now, freeze_until=freeze, change_penalty=0, events=events)
    assert len(_diff(plan, loose.plan, "production")) > fewest
    assert loose.objective <= sticky.objective * (1 + 2e-4)  # fewer changes never for less (within the gap)


def test_stock_actual_sets_the_stock_at_now(solved: tuple[Any, Any]) -> None:
    """A plant count above the plan and a DC count below it: in the changed instance, with the
    new plan, the stock on hand at the start of day now is the count."""
    inst, plan = solved
    now = 5
    production, shipments, transfers = old_arrays(inst, plan)
    before = simulate(inst, production, shipments, transfers)
    a = int(inst.position_index[inst.plants.index("A"), inst.skus.index("S0001")])
    b = int(np.flatnonzero((np.array(inst.dcs)[inst.dc_pos_dc] == "DC4A") & (inst.dc_pos_sku == 0))[0])
    plant_count = float(before.plant_stock[a, now - 2]) + 50
    dc_count = max(float(before.dc_stock[b, now - 2]) - 20, 0.0)
    sol = _replan(inst, plan, now=now, freeze_until=now, change_penalty=100,
                  events=[{"kind": "stock_actual", "sku": "S0001", "plant": "A", "quantity": plant_count},
                          {"kind": "stock_actual", "sku": "S0001", "dc": "DC4A", "quantity": dc_count}])
    changed = sol.changed_instance
    after = simulate(changed, *old_arrays(changed, sol.plan))
    assert after.plant_stock[a, now - 2] == pytest.approx(plant_count)
    # the DC's loss is day now's extra demand: its net stock from day now on is the count's
    arrived = np.zeros(inst.num_dc_positions)
    lead = inst.ship_lead
    new_ship = old_arrays(changed, sol.plan)[1]
    for e in np.flatnonzero(inst.ship_to == b):
        if now - 1 - lead[e] >= 0:
            arrived[b] += new_ship[e, now - 1 - lead[e]]
    net = after.dc_stock[b, now - 1] - after.dc_backlog[b, now - 1]
    assert net == pytest.approx(dc_count + arrived[b] - inst.demand[b, now - 1])
    notes = " ".join(sol.summary["details"]["replan"]["notes"])
    assert "initial stock moved by +50" in notes and "demand raised by 20" in notes


def test_events_change_the_instance_as_documented(solved: tuple[Any, Any]) -> None:
    """demand (quantity and factor), line_down (hours lost, all hours) and a day range that starts
    in the past (applied from now, with a note) in the changed instance; a closed transfer lane
    is a constraint of the re-plan: nothing leaves on it those days."""
    inst, plan = solved
    now = 5
    b = int(np.flatnonzero((np.array(inst.dcs)[inst.dc_pos_dc] == "DC1A") & (inst.dc_pos_sku == 0))[0])
    events = [{"kind": "demand", "sku": "S0001", "dc": "DC1A", "from_day": 3, "to_day": 7, "quantity": 77},
              {"kind": "demand", "sku": "S0001", "dc": "DC1A", "from_day": 7, "to_day": 8, "factor": 2},
              {"kind": "line_down", "line": "2B", "from_day": 9, "hours": 5},
              {"kind": "line_down", "line": "1B", "from_day": 10, "to_day": 11},
              {"kind": "lane_closed", "from": "A", "to": "B", "from_day": 5, "to_day": 9}]
    changed = apply_events(inst, plan, _changes(inst, now=now, events=events))
    assert list(changed.demand[b, :8]) == [*inst.demand[b, :4], 77, 77, 154, 2 * inst.demand[b, 7]]
    assert changed.hours[inst.lines.index("2B"), 8] == inst.hours[inst.lines.index("2B"), 8] - 5
    assert (changed.hours[inst.lines.index("1B"), 9:11] == 0).all()
    assert (changed.move_from == inst.move_from).all()  # a closure is not in the instance
    sol = _replan(inst, plan, now=now, freeze_until=now, change_penalty=10, events=events)
    assert any("days 3..4 are past; applied from day 5" in n for n in sol.summary["details"]["replan"]["notes"])
    moves = _table(sol.plan, "transfers").astype({"day": int})
    assert moves[(moves["from_plant"] == "A") & moves["day"].between(5, 9)].empty
    old_moves = _table(plan, "transfers").astype({"day": int})
    assert not old_moves[(old_moves["from_plant"] == "A") & old_moves["day"].between(5, 9)].empty  # it mattered


@pytest.mark.parametrize(("changes", "words"), [
    ({"now": 4, "events": [{"kind": "demand", "sku": "NOPE", "dc": "DC1A", "from_day": 5, "quantity": 1}]},
     ["event 1 (demand)", "'sku'", "unknown SKU NOPE"]),
    ({"now": 4, "events": [{"kind": "line_down", "line": "1B", "from_day": 99}]},
     ["event 1 (line_down)", "'from_day'", "outside the horizon 1..14"]),
    ({"now": 4, "events": [{"kind": "explode"}]}, ["event 1 (explode)", "unknown kind"]),
    ({"now": 15}, ["'now'", "outside the horizon"]),
    ({"now": 6, "events": [{"kind": "lane_closed", "from": "A", "to": "DC1A", "from_day": 2, "to_day": 4}]},
     ["event 1 (lane_closed)", "'to_day'", "before now"]),
    ({"now": 4, "events": [{"kind": "lane_closed", "from": "A", "to": "DC1B", "from_day": 5},
                           {"kind": "stock_actual", "sku": "S0001", "plant": "A", "dc": "DC1A", "quantity": 5}]},
     ["event 1 (lane_closed)", "no dc_lanes.csv lane", "event 2 (stock_actual)", "'plant'", "not both"]),
])
def test_bad_changes_exit_2_naming_event_and_field(folders: Path, tmp_path: Path, changes: dict[str, Any],
                                                   words: list[str]) -> None:
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(changes))
    done = subprocess.run([*RUN, "replan", str(folders / "inst"), str(folders / "plan"), str(tmp_path / "changes.yaml"),
                           "--out", str(tmp_path / "new")], capture_output=True, text=True, timeout=120, env=ENV)
    text = done.stdout + done.stderr
    assert done.returncode == 2, text
    for w in words:
        assert w in text, (w, text)
    assert not (tmp_path / "new").exists()
