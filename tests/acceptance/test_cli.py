"""``plantwise acceptance`` end to end: generate, solve (both methods), verify, compare, study;
exit codes 0 ok, 1 violations, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from plantwise.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_VIOLATIONS, app

runner = CliRunner()
SMALL = ("--max-inner", "40", "--max-outer", "2")


def plantwise(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("acc") / "d"
    code, output = plantwise("acceptance", "generate", "--orders", 7, "--seed", 4, d)
    assert code == EXIT_OK, output
    return d


@pytest.mark.parametrize("method", ["centralized", "admm"])
def test_solve_then_verify(instance: Path, tmp_path: Path, method: str) -> None:
    plan = tmp_path / method
    extra = SMALL if method == "admm" else ()
    code, output = plantwise("acceptance", "solve", instance, "--method", method, "--out", plan, "-t", 60, *extra)
    assert code == EXIT_OK, output
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(summary["kpis"]["profit"], abs=1e-5) and summary["sense"] == "max"
    for key in ("accepted_orders", "cost_per_agent"):
        assert key in summary["kpis"]
    assert summary["timings"]["total"] > 0
    if method == "admm":
        assert {"iterations", "final_residuals"} <= set(summary["details"])
        assert summary["bound"] >= summary["objective"] and summary["bound_source"].startswith("LP")
        assert (plan / "history.csv").exists()
    code, output = plantwise("acceptance", "verify", instance, plan)
    assert code == EXIT_OK, output
    assert "0 violations" in output
    # a planted violation: deliver an order twice as much as made
    orders = pd.read_csv(plan / "processing.csv")
    if len(orders):
        orders.loc[0, "units"] = orders.loc[0, "units"] * 3 + 1
        orders.to_csv(plan / "processing.csv", index=False)
        code, output = plantwise("acceptance", "verify", instance, plan)
        assert code == EXIT_VIOLATIONS, output


def test_bad_input_names_file_row_column(instance: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    code, _ = plantwise("acceptance", "generate", "--orders", 5, "--seed", 2, bad)
    frame = pd.read_csv(bad / "machines.csv")
    frame.loc[1, "max_utilisation"] = 1.7
    frame.to_csv(bad / "machines.csv", index=False)
    code, output = plantwise("acceptance", "solve", bad, "--out", tmp_path / "p")
    assert code == EXIT_BAD_INPUT
    assert "machines.csv" in output and "max_utilisation" in output


def test_compare_and_rho_study_write_tables(instance: Path, tmp_path: Path) -> None:
    code, output = plantwise("acceptance", "compare", instance, "--out", tmp_path / "cmp", "-t", 60, *SMALL)
    assert code == EXIT_OK, output
    assert (tmp_path / "cmp" / "compare.csv").exists() and (tmp_path / "cmp" / "compare_orders.csv").exists()
    code, output = plantwise("acceptance", "study", "rho", instance, "--out", tmp_path / "rho", "-t", 60,
                             "--max-inner", 10, "--max-outer", 1)
    assert code == EXIT_OK, output
    table = pd.read_csv(tmp_path / "rho" / "rho.csv")
    assert len(table) == 4 and {"rho", "profit", "iterations_inner"} <= set(table.columns)
