"""``plantwise schedule`` end to end: generate, solve, verify, report, scenarios; exit codes
0 ok, 1 violations, 2 bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from plantwise.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_VIOLATIONS, app
from plantwise.schedule.generator import document_scenario
from plantwise.schedule.instance import load

runner = CliRunner()
PLAN_FILES = ("summary.json", "schedule.csv", "inventory.csv", "report.html")


def plantwise(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """generate scenario 2 -> solve (30 s limit), shared by the tests below (read only)."""
    tmp = tmp_path_factory.mktemp("schedule-cli")
    d, p = tmp / "d", tmp / "p"
    code, output = plantwise("schedule", "generate", "--scenario", "2", d)
    assert code == EXIT_OK, output
    assert "document-scenario-2" in output
    code, output = plantwise("schedule", "solve", d, "--out", p, "--time-limit", "30")
    assert code == EXIT_OK, output
    return d, p


def copy_of(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target)
    return target


def test_generate_writes_the_document_scenario(solved: tuple[Path, Path]) -> None:
    d, _ = solved
    assert load(d).checksum() == document_scenario(2).checksum()


def test_solve_writes_plan_summary_and_report(solved: tuple[Path, Path]) -> None:
    _, p = solved
    for name in PLAN_FILES:
        assert (p / name).is_file(), name
    s = json.loads((p / "summary.json").read_text())
    assert s["status"] == "optimal" and s["verified"] is True and s["input_format"] == "plant"
    assert s["kpis"]["objective_name"] == "cost" and s["kpis"]["jobs"] >= 1
    assert s["objective"] == pytest.approx(s["details"]["model_objective"], rel=1e-4)
    assert sum(s["cost_breakdown"].values()) == pytest.approx(s["objective"], rel=1e-9)
    schedule = pd.read_csv(p / "schedule.csv")
    assert list(schedule.columns) == ["job", "good", "quantity", "step", "stage", "machine", "start", "end"]
    assert schedule["job"].nunique() == s["kpis"]["jobs"]
    assert len(pd.read_csv(p / "inventory.csv")) == 40
    assert "<html" in (p / "report.html").read_text().lower()


def test_verify_passes(solved: tuple[Path, Path]) -> None:
    d, p = solved
    code, output = plantwise("schedule", "verify", d, p)
    assert code == EXIT_OK, output
    assert "plan verified" in output and "0 violations" in output


def test_verify_reports_a_planted_overlap(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    bad = copy_of(p, tmp_path / "bad")
    frame = pd.read_csv(bad / "schedule.csv")
    # two jobs' operations of one stage on the same machine at the same time
    stage = frame.groupby("stage")["job"].nunique().idxmax()
    a, b = frame.index[frame["stage"] == stage][:2]
    assert frame.loc[a, "job"] != frame.loc[b, "job"]
    frame.loc[b, ["machine", "start", "end"]] = frame.loc[a, ["machine", "start", "end"]].to_numpy()
    frame.to_csv(bad / "schedule.csv", index=False)
    code, output = plantwise("schedule", "verify", d, bad)
    assert code == EXIT_VIOLATIONS != 0, output
    assert "machine overlap" in output


def test_verify_reports_a_changed_objective(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    bad = copy_of(p, tmp_path / "bad")
    summary = json.loads((bad / "summary.json").read_text())
    summary["objective"] *= 1.01
    (bad / "summary.json").write_text(json.dumps(summary))
    code, output = plantwise("schedule", "verify", d, bad)
    assert code == EXIT_VIOLATIONS, output
    assert "cost: 1 violation(s)" in output and "in families: cost" in output


def test_report_rewrites_the_html(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    again = copy_of(p, tmp_path / "again")
    (again / "report.html").unlink()
    code, output = plantwise("schedule", "report", d, again)
    assert code == EXIT_OK, output
    assert (again / "report.html").is_file()


def test_solve_a_jsplib_job_shop(benchmark: Callable[[str], Path], tmp_path: Path) -> None:
    la01 = benchmark("jobshop_jsplib/instances/la01")
    p2 = tmp_path / "p2"
    code, output = plantwise("schedule", "solve", la01, "--format", "jsplib", "--objective", "makespan",
                             "--time-limit", "60", "--out", p2)
    assert code == EXIT_OK, output
    s = json.loads((p2 / "summary.json").read_text())
    assert s["status"] == "optimal" and s["objective"] == 666 and s["input_format"] == "jsplib"
    assert len(pd.read_csv(p2 / "schedule.csv")) == 50
    code, output = plantwise("schedule", "verify", la01, p2, "--format", "jsplib")
    assert code == EXIT_OK, output
    assert "recomputed makespan: 666" in output


def test_scenarios(tmp_path: Path) -> None:
    s = tmp_path / "s"
    code, output = plantwise("schedule", "scenarios", "--out", s, "--time-limit", "30")
    assert code == EXIT_OK, output
    assert (s / "report.html").is_file()
    table = pd.read_csv(s / "scenarios.csv")
    assert len(table) == 8 and table["scenario"].tolist() == list(range(1, 9))
    assert (table["status"] == "optimal").all() and table["verified"].all()
    assert table.set_index("scenario").loc[8, "production_jobs"] == 0
    assert table.set_index("scenario").loc[8, "optimal_cost"] == pytest.approx(1180.0)
    assert "pattern broken" not in output
    for n in range(1, 9):
        assert (s / f"scenario-{n}" / "plan" / "schedule.csv").is_file()


def test_bad_input_exits_2_naming_the_file(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    bad = copy_of(d, tmp_path / "bad")
    routes = pd.read_csv(bad / "routes.csv", dtype=str)
    routes.loc[2, "rate"] = "-3"
    routes.to_csv(bad / "routes.csv", index=False)
    for args in (("solve", bad, "--out", tmp_path / "p", "--time-limit", "5"), ("verify", bad, p)):
        code, output = plantwise("schedule", *args)
        assert code == EXIT_BAD_INPUT, (args[0], output)
        assert "bad input: 1 problem(s)" in output
        assert "routes.csv, row 4, column 'rate': -3 is below the minimum" in output
    assert not (tmp_path / "p").exists()


def test_bad_benchmark_file_and_plan_exit_2(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    bad = tmp_path / "bad.jsp"
    bad.write_text("2 2\n0 3 1 2\n0 x 1 1\n")
    code, output = plantwise("schedule", "solve", bad, "--format", "jsplib", "--out", tmp_path / "p")
    assert code == EXIT_BAD_INPUT and "bad.jsp, row 3, column 'field 2'" in output
    plan = copy_of(p, tmp_path / "plan")
    frame = pd.read_csv(plan / "schedule.csv", dtype=str)
    frame.loc[1, "start"] = "soon"
    frame.to_csv(plan / "schedule.csv", index=False)
    code, output = plantwise("schedule", "verify", d, plan)
    assert code == EXIT_BAD_INPUT and "schedule.csv, row 3, column 'start'" in output
    code, output = plantwise("schedule", "solve", tmp_path / "nowhere", "--out", tmp_path / "p")
    assert code == EXIT_BAD_INPUT and "no such folder or workbook" in output


def test_a_small_job_shop_and_flow_shop_written_here(tmp_path: Path) -> None:
    """Runs without ../shared: the classic 3 x 3 job shop (optimal makespan 11) in JSPLIB
    format, and a 2-stage hybrid flow shop whose optimum is easy to check by hand."""
    jsp = tmp_path / "tiny.jsp"
    jsp.write_text("# three jobs, three machines\n3 3\n0 3 1 2 2 2\n0 2 2 1 1 4\n1 4 2 3 0 0\n")
    code, output = plantwise("schedule", "solve", jsp, "--format", "jsplib", "--objective", "makespan",
                             "--out", tmp_path / "pj", "--time-limit", "30", "--no-report")
    assert code == EXIT_OK, output
    summary = json.loads((tmp_path / "pj" / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["objective"] == 11
    code, output = plantwise("schedule", "verify", jsp, tmp_path / "pj", "--format", "jsplib")
    assert code == EXIT_OK, output
    # stage 1: one machine, times 2 3 4; stage 2: two machines, 5 each. The last job leaves
    # stage 1 at 2 + 3 + 4 = 9 at the earliest, so 9 + 5 = 14 is a bound, and any order meets it.
    hfs = tmp_path / "tiny.hfs"
    hfs.write_text("1\n2\n2 3 4 0 1\n5 5 5 0 2\n0 0 0 0 0\n")
    code, output = plantwise("schedule", "solve", hfs, "--format", "hfs", "--objective", "makespan",
                             "--out", tmp_path / "ph", "--time-limit", "30", "--no-report")
    assert code == EXIT_OK, output
    summary = json.loads((tmp_path / "ph" / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["objective"] == 14
