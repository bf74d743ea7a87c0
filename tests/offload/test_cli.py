"""The offload command line end to end: generate, solve, verify, report, demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

SUMMARY_KEYS = {"status", "objective", "bound", "gap", "cost_breakdown", "timings", "kpis", "input_checksum"}
KPI_KEYS = {"baseline_cost", "saving_pct", "offloaded_orders", "orders_per_site"}


def plantwise(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "plantwise", *args], capture_output=True, text=True, timeout=300)


def test_generate_solve_verify(tmp_path: Path) -> None:
    d, p = tmp_path / "d", tmp_path / "p"
    assert plantwise("offload", "generate", "--orders", "30", "--seed", "1", str(d)).returncode == 0
    proc = plantwise("offload", "solve", str(d), "--time-limit", "15", "--out", str(p), "--replenishment", "free")
    assert proc.returncode == 0, proc.stderr
    for name in ("assignments.csv", "purchases.csv", "transshipments.csv", "inventory.csv", "report.html"):
        assert (p / name).exists(), name
    summary = json.loads((p / "summary.json").read_text())
    assert summary.keys() >= SUMMARY_KEYS and summary["kpis"].keys() >= KPI_KEYS
    assert summary["status"] in ("optimal", "feasible")
    assert summary["verified"] is True
    assert summary["bound"] <= summary["objective"] + 1e-6
    kpis = summary["kpis"]
    assert sum(kpis["orders_per_site"].values()) == 30
    assert sum(summary["cost_breakdown"].values()) == summary["objective"]
    assert kpis["baseline_cost"] >= summary["bound"] - 1e-6  # the baseline is a restriction of the model
    # so the model's bound holds for the baseline too: its reported bound is never below it
    assert summary["bound"] - 1e-6 <= kpis["baseline_bound"] <= kpis["baseline_cost"] + 1e-6
    assignments = pd.read_csv(p / "assignments.csv")
    assert kpis["offloaded_orders"] == int(assignments["offloaded"].sum())
    proc = plantwise("offload", "verify", str(d), str(p))
    assert proc.returncode == 0 and "0 violations" in proc.stdout
    assert plantwise("offload", "report", str(d), str(p)).returncode == 0


def test_demo_writes_plan_and_report(tmp_path: Path) -> None:
    proc = plantwise("demo", "--out", str(tmp_path / "demo"), "--orders", "20", "--time-limit", "10",
                     "--data", str(tmp_path / "store"))
    assert proc.returncode == 0, proc.stderr
    assert "recorded in the workspace store" in proc.stdout  # plantwise serve --data store shows it
    (run,) = list((tmp_path / "store" / "runs").iterdir())
    assert (run / "plan" / "summary.json").is_file() and (run / "figures.json").is_file()
    summary = json.loads((tmp_path / "demo" / "plan" / "summary.json").read_text())
    assert summary["verified"] is True and summary["method"] == "milp" and summary["solver"] == "highs"
    html = (tmp_path / "demo" / "plan" / "report.html").read_text()
    for title in ("Orders per site over time", "Station utilisation", "Parts stock against (s, S)",
                  "Transshipments", "Cost against the baseline"):
        assert title in html


def test_infeasible_instance_exits_3_with_diagnosis(tmp_path: Path) -> None:
    from plantwise.offload.generator import generate

    inst = generate(12, seed=2)
    # every order can make its due date alone, but with one station per site not all of them
    inst.stations[:] = 1
    inst.type_capacity[:] = 1
    inst.due[:] = (inst.processing_time + inst.shipping_time).min(axis=1) + 1
    inst.save(tmp_path / "d")
    proc = plantwise("offload", "solve", str(tmp_path / "d"), "--time-limit", "20", "--out", str(tmp_path / "p"))
    assert proc.returncode == 3, proc.stderr
    assert "infeasible" in proc.stderr and "cannot be placed" in proc.stderr
    assert "Traceback" not in proc.stderr
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["diagnosis"]
