"""The family contract, over every family and every method: a tiny instance is solved through the
one pipeline, its plan folder round-trips, verifies with 0 violations, has a report and a
summary that validates against the shipped JSON Schema; plus interruption by SIGINT of a CLI
subprocess, checksum mismatches, --out checks, and the exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import plantwise
from plantwise.core.family import Family, families
from plantwise.core.pipeline import (
    ChecksumMismatch,
    MethodNotApplicable,
    OutputLocationError,
    check_output,
    solve,
    verify_folder,
)
from plantwise.core.result import SolveStatus
from plantwise.core.summary import schema_errors

TINY: dict[str, dict[str, Any]] = {
    "offload": {"orders": 8, "seed": 1, "horizon": 20, "replenishment": "free"},
    "e2e": {"scenario": 1, "seed": 1, "skus": 3},
    "schedule": {"scenario": 2},
    "acceptance": {"orders": 6, "seed": 1},
}
METHOD_PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("acceptance", "admm"): {"max_outer": 2, "max_inner": 40},
    ("offload", "milp"): {"baseline": False},
    ("offload", "cpsat"): {"baseline": False},
    ("offload", "heuristic"): {"baseline": False},
}
LARGE_PLANT = {"large": True, "goods": 24, "recipes": 6, "seed": 1}


def _cases() -> list[tuple[str, str]]:
    return [(f, m) for f, fam in families().items() for m in fam.methods]


@pytest.fixture(scope="module")
def instances() -> dict[str, Any]:
    fams = families()
    return {name: fams[name].generate(fams[name].generate_params(**TINY[name])) for name in fams}


def _instance_for(family: Family, method: str, instances: dict[str, Any]) -> Any:
    if (family.name, method) == ("schedule", "large"):
        return family.generate(family.generate_params(**LARGE_PLANT))
    return instances[family.name]


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.csv"))}


def test_families_are_registered_in_document_order() -> None:
    assert list(plantwise.families()) == ["offload", "e2e", "schedule", "acceptance"]
    for fam in families().values():
        assert fam.sense in ("min", "max") and fam.methods and fam.input_specs


@pytest.mark.parametrize(("family_name", "method"), _cases())
def test_solve_roundtrip_verify_report_schema(family_name: str, method: str, instances: dict[str, Any],
                                              tmp_path: Path) -> None:
    family = families()[family_name]
    inst = _instance_for(family, method, instances)
    params = METHOD_PARAMS.get((family_name, method), {})
    if method == "gurobi":
        try:
            sol = solve(family, inst, method, time_limit=10, params=params)
        except MethodNotApplicable as exc:
            assert "gurobi" in str(exc).lower() and "pip install" in str(exc)
            return
    else:
        sol = solve(family, inst, method, time_limit=10, params=params)
    assert sol.ok, sol.summary
    assert sol.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert schema_errors(sol.summary) == []
    assert sol.summary["family"] == family_name and sol.summary["method"] == method
    assert sol.summary["input_checksum"] == family.checksum(inst)
    if sol.bound is not None:
        assert sol.summary["bound_source"]
        if family.sense == "min":
            assert sol.bound <= sol.objective * (1 + 1e-6) + 1e-6
        else:
            assert sol.bound >= sol.objective * (1 - 1e-6) - 1e-6
    else:
        assert sol.summary["bound_source"], "a method without a bound says why"
    inst_dir, plan_dir = tmp_path / "instance", tmp_path / "plan"
    if hasattr(inst, "save"):
        inst.save(inst_dir)
    sol.save(plan_dir, inst, inputs=[inst_dir])
    written = json.loads((plan_dir / "summary.json").read_text())
    assert schema_errors(written) == []
    assert (plan_dir / "report.html").exists(), written["details"].get("report_error")
    assert "report_error" not in written["details"]
    # round trip: the loaded plan saves to the same tables
    again = family.load_plan(plan_dir)
    copy_dir = tmp_path / "copy"
    again.save(copy_dir)
    rewritten = _files(copy_dir)
    assert rewritten and rewritten == {k: v for k, v in _files(plan_dir).items() if k in rewritten}
    check = verify_folder(family, inst, plan_dir)
    assert check.verification.ok, [str(v) for v in check.verification.violations]
    assert check.objective == pytest.approx(written["objective"], rel=1e-6, abs=1e-6)


def test_schedule_auto_picks_exact_for_a_small_plant_and_says_so(instances: dict[str, Any]) -> None:
    fam = families()["schedule"]
    sol = solve(fam, instances["schedule"], "auto", time_limit=20)
    assert sol.summary["method"] == "exact" and "auto" in sol.summary["method_choice"]
    big = fam.generate(fam.generate_params(**LARGE_PLANT))
    assert fam.choose_method(big)[0] == "large"


def test_verify_against_another_instance_names_the_checksum(instances: dict[str, Any], tmp_path: Path) -> None:
    fam = families()["offload"]
    sol = solve(fam, instances["offload"], "milp", time_limit=10, baseline=False)
    sol.save(tmp_path / "p", instances["offload"])
    other = fam.generate(fam.generate_params(orders=9, seed=2, horizon=20))
    with pytest.raises(ChecksumMismatch, match="input_checksum"):
        verify_folder(fam, other, tmp_path / "p")


def test_a_summary_without_objective_is_a_violation(instances: dict[str, Any], tmp_path: Path) -> None:
    fam = families()["acceptance"]
    sol = solve(fam, instances["acceptance"], "centralized", time_limit=10)
    sol.save(tmp_path / "p", instances["acceptance"])
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    summary["objective"] = None
    (tmp_path / "p" / "summary.json").write_text(json.dumps(summary))
    check = verify_folder(fam, instances["acceptance"], tmp_path / "p")
    assert not check.verification.ok and "cost" in check.verification.families()


def test_output_location_is_checked_before_solving(tmp_path: Path) -> None:
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "orders.csv").write_text("order\n")
    with pytest.raises(OutputLocationError, match="input"):
        check_output(inst, [inst])
    with pytest.raises(OutputLocationError, match="input"):
        check_output(inst / "plan", [inst])
    with pytest.raises(OutputLocationError, match="holds the input"):
        check_output(tmp_path, [inst])
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(OutputLocationError, match="is a file"):
        check_output(afile, [inst])
    with pytest.raises(OutputLocationError, match="under"):
        check_output(afile / "plan", [inst])
    other = tmp_path / "docs"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(OutputLocationError, match="not a plan folder"):
        check_output(other, [inst])
    check_output(tmp_path / "new", [inst])  # a new folder is fine


# ------------------------------------------------------------------ the CLI as a user runs it
def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "plantwise", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_version_and_family_modules_import_on_their_own() -> None:
    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"plantwise {plantwise.__version__}"
    for name in ("offload", "e2e", "schedule", "acceptance"):
        code = subprocess.run([sys.executable, "-c", f"import plantwise.cli.{name}"], capture_output=True, text=True)
        assert code.returncode == 0, code.stderr


def test_out_equal_to_the_instance_is_refused_and_nothing_is_touched(tmp_path: Path) -> None:
    d = tmp_path / "d"
    assert _cli("acceptance", "generate", "--orders", "5", str(d)).returncode == 0
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    proc = _cli("acceptance", "solve", str(d), "-o", str(d), "-t", "5")
    assert proc.returncode == 2 and "never overwrites" in proc.stderr and "Traceback" not in proc.stderr
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before


def test_a_failed_solve_leaves_no_stale_plan(tmp_path: Path) -> None:
    d, p = tmp_path / "d", tmp_path / "p"
    assert _cli("offload", "generate", "--orders", "8", "--horizon", "20", str(d)).returncode == 0
    assert _cli("offload", "solve", str(d), "-o", str(p), "-t", "5", "--no-baseline", "-q").returncode == 0
    assert (p / "assignments.csv").exists()
    proc = _cli("offload", "solve", str(d), "-o", str(p), "-m", "gurobi", "-t", "5", "-q")
    if proc.returncode == 0:
        pytest.skip("gurobi is installed here")
    assert proc.returncode == 2 and "pip install" in proc.stderr
    assert (p / "assignments.csv").exists(), "a refused solve leaves the previous plan as it was"


def _wait_for(proc: subprocess.Popen[str], seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and proc.poll() is None:
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize(("family_name", "generate", "solve_args"), [
    ("offload", ["--orders", "60"], []),
    ("e2e", ["--scenario", "3"], ["-m", "exact"]),
    ("schedule", ["--large", "--goods", "60", "--recipes", "12"], ["-m", "large"]),
    ("acceptance", ["--orders", "50"], ["-m", "centralized"]),
    ("acceptance", ["--orders", "120"], ["-m", "admm"]),
])
def test_sigint_keeps_the_best_plan(family_name: str, generate: list[str], solve_args: list[str],
                                    tmp_path: Path) -> None:
    d, p = tmp_path / "d", tmp_path / "p"
    assert _cli(family_name, "generate", *generate, str(d)).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "plantwise", family_name, "solve", str(d), "-o", str(p),
                             "-t", "120", *solve_args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(proc, 12)
    assert proc.poll() is None, "the solve ended before the interrupt"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr
    summary = json.loads((p / "summary.json").read_text())
    assert summary["status"] == "interrupted", (summary["status"], stderr)
    assert proc.returncode == 130
    assert schema_errors(summary) == []
    verify = _cli(family_name, "verify", str(d), str(p))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert summary["details"]["seconds_from_stop_to_plan"] >= 0  # measured, reported; never asserted as a time
    assert not any(n.startswith(".p.") for n in os.listdir(tmp_path)), "no temporary folder left behind"


HUGE = {"offload": ("horizon: 50", "horizon: 100000000"), "e2e": ("horizon: 14", "horizon: 10000000"),
        "schedule": ("  weeks: 1", "  weeks: 1000000"), "acceptance": ("horizon_hours: 168.0", "horizon_hours: 1.0e9")}


@pytest.mark.parametrize("family_name", list(HUGE))
def test_a_huge_horizon_is_an_input_error_not_a_memory_error(family_name: str, tmp_path: Path) -> None:
    family = families()[family_name]
    params = {"orders": 5} if family_name in ("offload", "acceptance") else (
        {"skus": 3} if family_name == "e2e" else {})
    d = tmp_path / "d"
    family.generate(family.generate_params(**params)).save(d)
    old, new = HUGE[family_name]
    text = (d / "instance.yaml").read_text()
    assert old in text
    (d / "instance.yaml").write_text(text.replace(old, new))
    proc = _cli(family_name, "solve", str(d), "-o", str(tmp_path / "p"), "-t", "3", timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "instance.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_a_model_too_large_for_the_machine_is_refused_before_solving(instances: dict[str, Any],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from plantwise.core import pipeline

    monkeypatch.setattr(pipeline, "MAX_MODEL_VARIABLES", 100)
    with pytest.raises(pipeline.ModelTooLarge, match="variables"):
        solve(families()["offload"], instances["offload"], "milp", time_limit=5)


def test_a_work_limit_gives_the_same_plan_and_is_recorded() -> None:
    fam = families()["schedule"]
    shop = fam.generate(fam.generate_params(scenario=2))
    first = solve(fam, shop, "exact", time_limit=60, work_limit=0.5)
    second = solve(fam, shop, "exact", time_limit=60, work_limit=0.5)
    assert first.summary["options"]["work_limit"] == 0.5 and schema_errors(first.summary) == []
    assert first.plan.schedule.equals(second.plan.schedule)
