"""Re-planning an acceptance plan (plantwise.acceptance.replanning on plantwise.core.replan): history and
commitments kept, the fence kept unless infeasible (and then named), a capacity loss dropping only
the commitments it must, change penalties against direct solves, changes.csv exact, bad changes
files named by event and field (exit 2)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from plantwise.acceptance.instance import load
from plantwise.acceptance.model import build
from plantwise.acceptance.replanning import apply_events
from plantwise.acceptance.verifier import verify
from plantwise.core.backends import get_backend
from plantwise.core.errors import InputErrors
from plantwise.core.family import families
from plantwise.core.options import SolveOptions
from plantwise.core.pipeline import replan, solve

FAM = families()["acceptance"]
DOC = Path(__file__).resolve().parents[2] / "docs" / "replanning-acceptance.md"
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "250"}
RUN = [sys.executable, "-m", "plantwise", "acceptance"]
LIMITS: dict[str, Any] = {"time_limit": 20, "threads": 1, "handle_signals": False}


@pytest.fixture(scope="module")
def solved() -> tuple[Any, Any]:
    inst = FAM.generate(FAM.generate_params(orders=10, seed=6))
    sol = solve(FAM, inst, time_limit=20, threads=1, handle_signals=False)
    assert sol.ok and sol.status.value == "optimal"
    return inst, sol.plan


def _changes(inst: Any, **values: Any) -> Any:
    return FAM.read_changes(values, inst)


def _outcomes(plan: Any) -> dict[str, str]:
    o = plan.orders
    return {str(k): ("delivered" if d else "unmet" if a else "rejected")
            for k, a, d in zip(o["order"], o["accepted"], o["delivered"], strict=True)}


def _work(plan: Any, last_period: int) -> pd.DataFrame:
    """The processing rows of periods 1..last_period, sorted (the history's work)."""
    p = plan.processing
    p = p[pd.to_numeric(p["period"]) <= last_period][["order", "step", "period", "units"]].copy()
    p["order"] = p["order"].astype(str)
    return p.sort_values(["order", "step", "period"]).reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> set[str]:
    """Orders whose work rows (:func:`_work`) differ between ``a`` and ``b`` (units within 1e-6)."""
    m = a.merge(b, on=["order", "step", "period"], how="outer", suffixes=("_a", "_b")).fillna({"units_a": 0.0,
                                                                                                "units_b": 0.0})
    return set(m.loc[(m["units_a"] - m["units_b"]).abs() > 1e-6, "order"])


def _direct(changed: Any, plan: Any, h: int, objective: str) -> tuple[float, np.ndarray, Any]:
    """A direct MILP of the changed instance, independent of the re-plan's code: the old plan's
    work, purchases, maintenance and deliveries of periods 1..h fixed, its accepted orders
    accepted; ``objective`` ``profit`` (its delivered orders must stay delivered) or ``kept``
    (as many of its delivered orders delivered as possible). Returns the objective, which
    orders are delivered, and the model."""
    cm = build(changed)
    lm, T = cm.lm, cm.ix.T
    orders = cm.ix.orders
    ops = changed.operations.reset_index(drop=True)
    key = {(str(o), int(s)): k for k, (o, s) in enumerate(zip(ops["order"], ops["step"], strict=True))}
    work = np.zeros((len(ops), T))
    for o, s, t, u in plan.processing[["order", "step", "period", "units"]].itertuples(index=False):
        if (str(o), int(s)) in key:
            work[key[(str(o), int(s))], int(t) - 1] += float(u)
    lm.fix(cm.w[:, :h].ravel(), work[:, :h].ravel())
    offers = {(str(s), str(p)): k for k, (s, p) in enumerate(zip(changed.suppliers["supplier"],
                                                                 changed.suppliers["part"], strict=True))}
    bought = np.zeros((len(offers), T))
    for s, p, t, x in plan.purchases[["supplier", "part", "period", "quantity"]].itertuples(index=False):
        bought[offers[(str(s), str(p))], int(t) - 1] += float(x)
    lm.fix(cm.x[:, :h].ravel(), bought[:, :h].ravel())
    machines = list(cm.ix.machines)
    kept_up = np.zeros((len(machines), T))
    for m, t in plan.maintenance[["machine", "period"]].itertuples(index=False):
        kept_up[machines.index(str(m)), int(t) - 1] = 1.0
    lm.fix(cm.mu[:, :h].ravel(), kept_up[:, :h].ravel())
    y = np.zeros(cm.y.shape)
    old = plan.orders.assign(order=plan.orders["order"].astype(str)).set_index("order")
    delivered = np.zeros(len(orders), bool)
    for i, order in enumerate(orders):
        if order in old.index and old.loc[order, "accepted"] == 1:
            lm.set_bounds(cm.z[[i]], 1.0, 1.0)
        if order in old.index and old.loc[order, "delivered"] == 1:
            delivered[i] = True
            y[i, cm.ix.modes.index(old.loc[order, "mode"]), int(old.loc[order, "delivery_period"]) - 1] = 1.0
    lm.fix(cm.y[:, :, :h].ravel(), y[:, :, :h].ravel())
    rows = np.repeat(np.arange(int(delivered.sum())), cm.y.shape[1] * T)
    cols = cm.y[delivered].ravel()
    if objective == "profit":
        lm.add_rows("stay_delivered", int(delivered.sum()), rows, cols, 1.0, lower=1.0)
    else:
        lm.add_cost(np.arange(lm.num_vars), -lm.cost)  # maximise the delivered commitments only
        lm.add_cost(cols, -1.0)
    res = get_backend("highs").solve(lm, SolveOptions(time_limit=20, threads=1))
    assert res.status.value == "optimal", res.status
    return -float(res.objective), np.round(res.x[cm.y]).sum(axis=(1, 2)) > 0.5, cm


def test_the_documented_example(tmp_path: Path) -> None:
    """docs/replanning-acceptance.md's commands and changes file: exit 0, verified, history and
    commitments kept order by order, changes.csv exactly the decisions that differ."""
    doc = DOC.read_text()
    (tmp_path / "changes.yaml").write_text(doc.split("```yaml", 1)[1].split("```", 1)[0])
    changes = yaml.safe_load((tmp_path / "changes.yaml").read_text())
    inst_dir, plan_dir, new_dir = tmp_path / "inst", tmp_path / "plan", tmp_path / "new"
    for args in (["generate", "--orders", "10", "--seed", "6", inst_dir],
                 ["solve", inst_dir, "--out", plan_dir, "-t", "20", "--threads", "1", "-q"],
                 ["replan", inst_dir, plan_dir, tmp_path / "changes.yaml", "--out", new_dir, "-t", "20",
                  "--threads", "1"]):
        done = subprocess.run([*RUN, *map(str, args)], capture_output=True, text=True, timeout=180, env=ENV)
        assert done.returncode == 0, done.stdout + done.stderr
    check = subprocess.run([*RUN, "verify", str(new_dir / "instance"), str(new_dir)], capture_output=True, text=True,
                           timeout=120, env=ENV)
    assert check.returncode == 0 and "0 violations" in check.stdout, check.stdout + check.stderr
    inst, old, new = load(inst_dir), FAM.load_plan(plan_dir), FAM.load_plan(new_dir)
    h = math.ceil(changes["now"] / inst.period_hours)
    cancelled = {e["order"] for e in changes["events"] if e["kind"] == "cancel_order"}
    added = {r["order"] for e in changes["events"] if e["kind"] == "new_orders" for r in e["rows"]}
    # history: the work of the started periods, order by order, as it was
    assert not _same(_work(new, h), _work(old, h)) - cancelled and not cancelled & set(_work(new, h)["order"])
    before, after = _outcomes(old), _outcomes(new)
    for order, outcome in before.items():
        if order in cancelled:
            assert order not in after
        elif outcome != "rejected":  # commitments stay accepted, and nothing forces a drop here
            assert after[order] == outcome, order
    assert set(after) - set(before) == added
    # changes.csv: exactly the orders and processing rows that differ
    table = pd.read_csv(new_dir / "changes.csv", keep_default_na=False)
    flags = {p: {str(o): (int(a), int(d)) for o, a, d in zip(x.orders["order"], x.orders["accepted"],
                                                            x.orders["delivered"], strict=True)}
             for p, x in (("old", old), ("new", new))}
    differ = {o for o in set(flags["old"]) | set(flags["new"])
              if flags["old"].get(o, (0, 0)) != flags["new"].get(o, (0, 0))}
    assert {k.split("=", 1)[1] for k in table.loc[table["kind"] == "orders", "key"]} == differ

    def units(plan: Any) -> dict[tuple[str, int, int], float]:
        p = plan.processing
        return {(str(o), int(s), int(t)): float(u) for o, s, t, u in
                p[["order", "step", "period", "units"]].itertuples(index=False)}

    ua, ub = units(old), units(new)
    moved = {k for k in set(ua) | set(ub) if abs(ua.get(k, 0.0) - ub.get(k, 0.0)) > 1e-6}
    listed = {tuple(part.split("=", 1)[1] for part in key.split("; "))
              for key in table.loc[table["kind"] == "processing", "key"]}
    assert listed == {(o, str(s), str(t)) for o, s, t in moved}
    summary = json.loads((new_dir / "summary.json").read_text())
    assert summary["kpis"]["changes"] == len(table) and summary["verified"] is True
    assert summary["kpis"]["cost_before"] == pytest.approx(old.summary["objective"])
    report = (new_dir / "report.html").read_text()
    assert "Re-plan: before and after" in report
    changed = load(new_dir / "instance")
    assert len(changed.capacity_factors) and added <= set(changed.order_ids) and not cancelled & set(changed.order_ids)


def test_a_capacity_loss_drops_only_the_commitments_it_must(solved: tuple[Any, Any]) -> None:
    inst, plan = solved
    changes = _changes(inst, now=16, freeze_until=16, change_penalty=1e5,
                       events=[{"kind": "capacity", "agent": "production", "resource": "M01", "from": 16, "to": 168,
                                "factor": 0.1}])
    sol = replan(FAM, inst, plan, changes, **LIMITS)
    assert sol.ok and sol.summary["verified"] is True
    before, after = _outcomes(plan), _outcomes(sol.plan)
    dropped = {o for o, v in before.items() if v == "delivered" and after[o] != "delivered"}
    assert all(after[o] == "unmet" for o in dropped)  # still accepted: the customer is told, the penalty paid
    assert all(after[o] != "rejected" for o, v in before.items() if v != "rejected")
    # the fewest: a direct MILP keeping as many delivered commitments as it can
    changed = apply_events(inst, plan, changes)
    most, _, _ = _direct(changed, plan, 2, "kept")
    promised = sum(v == "delivered" for v in before.values())
    assert 1 <= len(dropped) == promised - round(most)
    named = {n["decision"].split(":")[0].removeprefix("order ") for n in sol.summary["details"]["replan"][
        "fence_changes"]}
    assert named == dropped
    assert all("event 1: production M01" in n["reason"] for n in sol.summary["details"]["replan"]["fence_changes"])
    assert sol.summary["kpis"]["commitments_dropped"] == len(dropped)
    assert not _same(_work(sol.plan, 2), _work(plan, 2))
    # M01 down for good: every commitment needs it; O0004 (no work yet) released is rejected instead of kept unmet
    down = [{"kind": "capacity", "agent": "production", "resource": "M01", "from": 16, "to": 168, "factor": 0.0}]
    kept = replan(FAM, inst, plan, _changes(inst, now=16, events=down), **LIMITS)
    freed = replan(FAM, inst, plan, _changes(inst, now=16, events=[*down, {"kind": "release_order",
                                                                            "order": "O0004"}]), **LIMITS)
    assert _outcomes(kept.plan)["O0004"] == "unmet" and "O0004" in str(kept.summary["details"]["replan"])
    assert _outcomes(freed.plan)["O0004"] == "rejected"
    assert "O0004" not in str(freed.summary["details"]["replan"]["fence_changes"])
    assert freed.objective > kept.objective  # its unmet penalty is saved


def test_penalty_zero_is_the_cold_optimum_and_a_large_one_the_fewest_changes(solved: tuple[Any, Any]) -> None:
    inst, plan = solved
    more = [{"kind": "capacity", "agent": agent, "resource": r, "from": 16, "to": 168, "factor": 2.0}
            for agent, r in [*(("production", m) for m in inst.machines["machine"]),
                             *(("supply", s) for s in inst.suppliers["supplier"].unique())]]
    cold = replan(FAM, inst, plan, _changes(inst, now=16, freeze_until=16, change_penalty=0, events=more), **LIMITS)
    assert cold.status.value == "optimal" and cold.summary["verified"] is True
    changed = apply_events(inst, plan, _changes(inst, now=16, events=more))
    best, _, _ = _direct(changed, plan, 2, "profit")
    assert cold.objective == pytest.approx(best, rel=3e-4)
    assert cold.summary["kpis"]["orders_changed"] >= 1  # more capacity: an order rejected before is taken
    sticky = replan(FAM, inst, plan, _changes(inst, now=16, freeze_until=16, change_penalty=1e6, events=more),
                    **LIMITS)
    assert verify(changed, plan).ok  # the old plan still works: the fewest changes of an order's outcome is 0
    assert sticky.summary["kpis"]["orders_changed"] == 0 and _outcomes(sticky.plan) == _outcomes(plan)
    assert sticky.objective <= cold.objective * (1 + 3e-4)
    assert sticky.summary["details"]["replan_milp"]["warm_start"] is True


def test_the_fence_keeps_frozen_work_unless_a_capacity_loss_forbids_it(solved: tuple[Any, Any]) -> None:
    inst, plan = solved
    keep = replan(FAM, inst, plan, _changes(inst, now=16, freeze_until=48, change_penalty=0, events=[
        {"kind": "cancel_order", "order": "O0004"}]), **LIMITS)
    assert keep.ok and keep.summary["details"]["replan"]["fence_changes"] == []
    assert _same(_work(keep.plan, 6), _work(plan, 6)) <= {"O0004"}  # history and fence (periods 1-6) kept
    hit = replan(FAM, inst, plan, _changes(inst, now=16, freeze_until=40, change_penalty=1000, events=[
        {"kind": "capacity", "agent": "production", "resource": "M02", "from": 24, "to": 72, "factor": 0.25}]),
        **LIMITS)
    assert hit.ok
    named = {n["decision"].split(":")[0].removeprefix("order ") for n in hit.summary["details"]["replan"][
        "fence_changes"]}
    moved = _same(_work(plan, 5), _work(hit.plan, 5))
    assert named and moved == named  # every frozen order that moved is named, and only those
    assert all("M02" in n["reason"] for n in hit.summary["details"]["replan"]["fence_changes"])


def test_the_changed_instance_round_trips_and_its_capacity_table_is_checked(solved: tuple[Any, Any],
                                                                              tmp_path: Path) -> None:
    inst, plan = solved
    changed = apply_events(inst, plan, _changes(inst, now=20, events=[
        {"kind": "capacity", "agent": "supply", "resource": "S1", "from": 20, "to": 44, "factor": 0.5},
        {"kind": "capacity", "agent": "inventory", "from": 40, "to": 48, "factor": 0.0},
        {"kind": "capacity", "agent": "production", "resource": "M01", "from": 24, "to": 168, "factor": 0.0},
        {"kind": "new_orders", "rows": [{"order": "N1", "like": "O0007", "revenue": 9000},
                                        {"order": "N2", "quantity": 5, "revenue": 4000, "deadline_hours": 100,
                                         "delay_penalty_per_hour": 5, "unmet_penalty": 500, "distance_miles": 40,
                                         "operations": [{"machine": "M01", "hours_per_unit": 0.05}],
                                         "parts": {"P1": 2}}]}]))
    f = changed.capacity_factors.set_index(["agent", "period"])["factor"]
    # period 3 (hours 16-24) had started by hour 20: only periods 4-6 change, the last one for 4 h of 8
    assert ("supply", 3) not in f.index and f.loc[("supply", 4)] == 0.5 and f.loc[("supply", 6)] == 0.75
    assert f.loc[("inventory", 6)] == 0.0
    game = solve(FAM, changed, "admm", time_limit=20, threads=1, handle_signals=False, max_outer=2, max_inner=40)
    assert game.ok and game.summary["verified"] is True  # the followers honour the factors too
    work = game.plan.processing
    assert not ((work["machine"] == "M01") & (work["period"] >= 4) & (work["units"] > 1e-9)).any()
    changed.save(tmp_path / "c")
    again = load(tmp_path / "c")
    assert again.checksum() == changed.checksum() and {"N1", "N2"} <= set(again.order_ids)
    assert inst.checksum() == FAM.generate(FAM.generate_params(orders=10, seed=6)).checksum()
    (tmp_path / "c" / "capacity_factors.csv").write_text("agent,resource,period,factor\nproduction,M99,3,0.5\n"
                                                         "painting,,2,1\nproduction,M01,99,0.5\n")
    with pytest.raises(InputErrors) as err:
        load(tmp_path / "c")
    text = err.value.render()
    assert "unknown machine 'M99'" in text and "unknown agent 'painting'" in text and "period 99" in text


@pytest.mark.parametrize(("changes", "words"), [
    ({"now": 16, "events": [{"kind": "cancel_order", "order": "NOPE"}]}, ["event 1 (cancel_order)", "'order'",
                                                                          "unknown order NOPE"]),
    ({"now": 16, "events": [{"kind": "explode", "order": "O0001"}]}, ["event 1 (explode)", "unknown kind"]),
    ({"now": 999}, ["'now'", "outside the horizon 1..168"]),
    ({"now": 16, "events": [{"kind": "capacity", "agent": "production", "resource": "M01", "from": 20, "to": 400,
                             "factor": 0.5}]}, ["event 1 (capacity)", "'to'", "outside the horizon"]),
    ({"now": 40, "events": [{"kind": "capacity", "agent": "production", "resource": "M01", "from": 8, "to": 30,
                             "factor": 0.5}]}, ["event 1 (capacity)", "'from'", "the past is history"]),
    ({"now": 16, "events": [{"kind": "capacity", "agent": "production", "resource": "M9", "from": 20, "to": 30,
                             "factor": 0.5}]}, ["event 1 (capacity)", "'resource'", "unknown machine 'M9'"]),
    ({"now": 16, "events": [{"kind": "cancel_order", "order": "O0005"}]}, ["event 1 (cancel_order)", "history"]),
    ({"now": 16, "events": [{"kind": "release_order", "order": "O0001"}]}, ["event 1 (release_order)",
                                                                            "not accepted"]),
    ({"now": 16, "events": [{"kind": "new_orders", "rows": [{"order": "N1", "like": "O0007", "quantity": "many"},
                                                            {"order": "N2", "like": "O0007", "revenue": -5}]}]},
     ["event 1 (new_orders): row 1 (order N1)", "'quantity'", "event 1 (new_orders): row 2 (order N2)",
      "'revenue'", "below the minimum"]),
    ({"now": 16, "events": [{"kind": "new_orders", "rows": [{"order": "N2", "like": "O0007", "deadline_hours": 500},
                                                            {"order": "N3", "like": "NOPE"}]}]},
     ["event 1 (new_orders): row 2 (order N3)", "'like'", "unknown order NOPE"]),
    ({"now": 16, "events": [{"kind": "new_orders", "rows": [{"order": "N2", "like": "O0007",
                                                             "deadline_hours": 500}]}]},
     ["event 1 (new_orders): row 1 (order N2)", "'deadline_hours'", "beyond the horizon"]),
])
def test_bad_changes_exit_2_naming_event_and_field(solved: tuple[Any, Any], tmp_path: Path, changes: dict[str, Any],
                                                   words: list[str]) -> None:
    inst, plan = solved
    inst.save(tmp_path / "inst")
    plan.save(tmp_path / "plan")
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(changes))
    done = subprocess.run([*RUN, "replan", str(tmp_path / "inst"), str(tmp_path / "plan"),
                           str(tmp_path / "changes.yaml"), "--out", str(tmp_path / "new")],
                          capture_output=True, text=True, timeout=120, env=ENV)
    text = done.stdout + done.stderr
    assert done.returncode == 2, text
    for w in words:
        assert w in text, (w, text)
    assert not (tmp_path / "new").exists()
