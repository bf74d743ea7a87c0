"""The rolling-horizon simulation (plantwise.core.rolling with offload's news generator): every
step's plan verified, the history kept across steps, the stream reproducible for a seed, and
the rolling cost never below the full-information optimum (beyond its gap)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plantwise.core.family import families
from plantwise.core.rolling import rolling
from plantwise.offload.rolling import draw_events

FAM = families()["offload"]


@pytest.fixture(scope="module")
def inst() -> object:
    return FAM.generate(FAM.generate_params(orders=16, seed=4, horizon=24, replenishment="free"))


def test_the_news_stream_is_reproducible_and_valid(inst: object) -> None:
    from plantwise.core.pipeline import solve

    plan = solve(FAM, inst, time_limit=5, handle_signals=False, baseline=False).plan  # any verified plan
    draws = [draw_events(inst, plan, 6, 11, np.random.default_rng(7)) for _ in range(2)]
    assert draws[0] == draws[1]
    many = [e for seed in range(20) for e in draw_events(inst, plan, 6, 11, np.random.default_rng(seed))]
    kinds = {e["kind"] for e in many}
    assert {"new_order", "cancel_order", "site_down"} <= kinds
    started = set(plan.assignments.loc[plan.assignments["start"] < 6, "order"])
    assert not any(e.get("order") in started for e in many if e["kind"] in ("cancel_order", "due_date"))
    assert all(e["from"] >= 6 for e in many if "from" in e)


def test_rolling_keeps_every_step_verified_and_is_no_better_than_full_information(inst: object) -> None:
    result = rolling(FAM, inst, step=6, seed=1, time_limit=8, full_time_limit=12)
    steps, s = result.steps, result.summary
    assert s["complete"] and s["rolling_verified"] and s["steps"] == len(steps) - 1 == 3
    assert steps["now"].tolist() == [1, 7, 13, 19]
    assert steps["verified"].all()
    assert s["full_information_status"] in ("optimal", "feasible")
    # the last plan is a plan of the full-information instance, so never below its proven bound
    assert s["rolling_cost"] >= s["full_information_bound"] - 1e-6
    assert s["regret"] == pytest.approx((s["rolling_cost"] - s["full_information_cost"])
                                        / s["full_information_cost"])
    assert s["changes_total"] == int(steps["changes"].sum())
    final = result.final_instance
    assert FAM.verify(final, result.final.plan).ok  # the last plan is a plan of the last instance
    assert FAM.verify(final, result.full.plan).ok


def test_the_command_writes_its_folder_whole(inst: object, tmp_path: Path) -> None:
    inst.save(tmp_path / "inst")
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "250"}
    run = [sys.executable, "-m", "plantwise", "offload"]
    done = subprocess.run([*run, "rolling", str(tmp_path / "inst"), "--out", str(tmp_path / "roll"), "--step", "8",
                           "--seed", "2", "--time-limit", "5", "--full-time-limit", "8", "-q"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "regret" in done.stdout and "full information" in done.stdout
    out = tmp_path / "roll"
    summary = json.loads((out / "rolling.json").read_text())
    steps = pd.read_csv(out / "steps.csv")
    assert len(steps) == summary["steps"] + 1 and (out / "rolling.html").is_file()
    check = subprocess.run([*run, "verify", str(out / "final" / "instance"), str(out / "final")],
                           capture_output=True, text=True, timeout=120, env=env)
    assert check.returncode == 0 and "0 violations" in check.stdout
    refused = subprocess.run([*run, "rolling", str(tmp_path / "inst"), "--out", str(tmp_path / "inst")],
                             capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 2 and "input" in (refused.stdout + refused.stderr)
