"""The e2e command line end to end: generate, solve, verify, report, compare; exit codes
0 ok, 1 violations, 2 bad input, 3 infeasible."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from plantwise.cli import app
from plantwise.e2e.generator import generate
from plantwise.e2e.instance import load

runner = CliRunner()
SUMMARY_KEYS = {"status", "method", "objective", "bound", "gap", "cost_breakdown", "timings", "solver", "instance",
                "input_checksum", "bound_source", "kpis", "details", "options"}
KPI_KEYS = {"produced_units", "shipped_units", "transferred_units", "stockout_unit_days"}
REPORT_TABLES = ("production_by_line", "line_utilisation", "distribution_by_dc", "inventory_position",
                 "transfers_by_day", "cost_breakdown")
SKUS = "15"  # scenario 1 at 15 SKUs: the configurator takes phase 1 (see test_solve.py)


def plantwise(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """generate -> solve (exact, 3 s), shared by the tests below (read only)."""
    tmp = tmp_path_factory.mktemp("cli")
    d, p = tmp / "inst", tmp / "plan"
    code, output = plantwise("e2e", "generate", d, "--scenario", "1", "--seed", "1", "--skus", SKUS)
    assert code == 0, output
    assert "15 SKUs" in output and "14 days" in output
    code, output = plantwise("e2e", "solve", d, "--out", p, "--method", "exact", "--time-limit", "3")
    assert code == 0, output
    return d, p


def test_generate_writes_a_loadable_instance(solved: tuple[Path, Path]) -> None:
    d, _ = solved
    inst = load(d)
    assert inst.checksum() == generate(1, 1, skus=15).checksum()
    assert {f.name for f in d.iterdir()} >= {"instance.yaml", "demand.csv", "line_skus.csv", "transfer_lanes.csv"}


def test_solve_writes_plan_summary_and_report(solved: tuple[Path, Path]) -> None:
    d, p = solved
    for name in ("production.csv", "shipments.csv", "transfers.csv", "plant_inventory.csv", "dc_inventory.csv",
                 "summary.json", "report.html", *(f"{t}.csv" for t in REPORT_TABLES)):
        assert (p / name).exists(), name
    s = json.loads((p / "summary.json").read_text())
    assert s.keys() >= SUMMARY_KEYS and s["kpis"].keys() >= KPI_KEYS and "lp_bound" in s["details"]
    assert s["status"] in ("optimal", "feasible") and s["method"] == "exact"
    assert s["bound"] <= s["objective"] * (1 + 1e-9) and 0 <= s["gap"] < 1
    assert s["objective"] == pytest.approx(s["details"]["solver_objective"], rel=1e-6)
    assert sum(s["cost_breakdown"].values()) == pytest.approx(s["objective"], rel=1e-9)
    assert s["input_checksum"] == load(d).checksum() and s["options"]["time_limit"] == 3.0
    production = pd.read_csv(p / "production.csv")
    assert production["quantity"].sum() == pytest.approx(s["kpis"]["produced_units"], rel=1e-9)
    costs = pd.read_csv(p / "cost_breakdown.csv").set_index("cost")["value"]
    assert costs["total"] == pytest.approx(s["objective"], rel=1e-6)
    html = (p / "report.html").read_text()
    assert "Line utilisation" in html and "Inter-plant transfers" in html


def test_summary_json_says_verified(solved: tuple[Path, Path]) -> None:
    _, p = solved
    assert json.loads((p / "summary.json").read_text()).get("verified") is True


def test_verify_and_report(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    code, output = plantwise("e2e", "verify", d, p)
    assert code == 0, output
    assert "plan verified" in output and "0 violations" in output
    # report rewrites the tables into a copy of the plan
    copy = tmp_path / "plan"
    copy.mkdir()
    for name in ("production.csv", "shipments.csv", "transfers.csv", "summary.json"):
        (copy / name).write_bytes((p / name).read_bytes())
    code, output = plantwise("e2e", "report", d, copy)
    assert code == 0, output
    assert (copy / "report.html").exists()
    for table in REPORT_TABLES:
        pd.testing.assert_frame_equal(pd.read_csv(copy / f"{table}.csv"), pd.read_csv(p / f"{table}.csv"))


def test_verify_names_a_planted_violation(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    bad = tmp_path / "plan"
    bad.mkdir()
    for f in p.iterdir():
        bad.joinpath(f.name).write_bytes(f.read_bytes())
    summary = json.loads((bad / "summary.json").read_text())
    summary["objective"] = summary["objective"] * 1.01
    (bad / "summary.json").write_text(json.dumps(summary))
    code, output = plantwise("e2e", "verify", d, bad)
    assert code == 1, output
    assert "cost: 1 violation(s)" in output and "in families: cost" in output


def test_compare(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, _ = solved
    out = tmp_path / "compare.json"
    code, output = plantwise("e2e", "compare", d, "--out", out, "--time-limit", "3")
    assert code == 0, output
    data = json.loads(out.read_text())
    assert data["instance"] == "e2e-scenario1-seed1-skus15"
    rows = {r["method"]: r for r in data["methods"]}
    assert set(rows) == {"configurator", "exact"}
    for r in rows.values():
        assert r.keys() >= {"cost", "bound", "gap", "seconds", "status", "gap_to_best_bound"}
        assert r["status"] in ("optimal", "feasible")
        assert r["bound"] <= r["cost"] * (1 + 1e-9) and 0 <= r["gap"] < 1 and r["seconds"] > 0
        assert r["gap_to_best_bound"] <= r["gap"] + 1e-12  # the best bound is at least each method's own
    assert rows["configurator"]["phase"] == 1
    assert data["best_bound"] == max(r["bound"] for r in rows.values())
    assert min(r["above_best_cost_pct"] for r in rows.values()) == 0.0


# ---------------------------------------------------------------- bad input and other exits
def test_bad_input_exits_2_naming_file_row_and_column(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, p = solved
    bad = tmp_path / "inst"
    bad.mkdir()
    for f in d.iterdir():
        bad.joinpath(f.name).write_bytes(f.read_bytes())
    demand = pd.read_csv(bad / "demand.csv", dtype=str)
    demand.loc[3, "quantity"] = "plenty"
    demand.to_csv(bad / "demand.csv", index=False)
    lanes = pd.read_csv(bad / "transfer_lanes.csv", dtype=str)
    lanes.loc[0, "to_plant"] = lanes.loc[0, "from_plant"]
    lanes.to_csv(bad / "transfer_lanes.csv", index=False)
    for args in (("solve", bad, "--out", tmp_path / "p", "--time-limit", "1"), ("verify", bad, p), ("report", bad, p),
                 ("compare", bad, "--out", tmp_path / "c.json")):
        code, output = plantwise("e2e", *args)
        assert code == 2, (args[0], output)
        assert "bad input: 1 problem(s)" in output
        assert "demand.csv, row 5, column 'quantity': 'plenty' is not a number" in output
    assert not (tmp_path / "p").exists() and not (tmp_path / "c.json").exists()
    # once the cells are numbers, the cross-table rules are checked
    demand.loc[3, "quantity"] = "7"
    demand.to_csv(bad / "demand.csv", index=False)
    code, output = plantwise("e2e", "verify", bad, p)
    assert code == 2 and "transfer_lanes.csv, row 2, column 'to_plant'" in output


def test_missing_instance_and_unknown_method(solved: tuple[Path, Path], tmp_path: Path) -> None:
    d, _ = solved
    code, output = plantwise("e2e", "solve", tmp_path / "nowhere", "--out", tmp_path / "p")
    assert code == 2 and "no such folder or workbook" in output
    code, output = plantwise("e2e", "compare", d, "--methods", "exact,simplex", "--out", tmp_path / "c.json")
    assert code == 2 and "unknown method(s)" in output and "simplex" in output
    code, output = plantwise("e2e", "generate", tmp_path / "x", "--scenario", "4")
    assert code == 2  # a usage error
    code, output = plantwise("e2e", "solve", d, "--method", "simplex")
    assert code == 2


def test_infeasible_exits_3(tmp_path: Path) -> None:
    inst = generate(2, 1, skus=4)
    inst.allow_stockout = False
    inst.demand[0, 0] = 1e6  # nothing can arrive at a DC on day 1
    inst.save(tmp_path / "inst")
    code, output = plantwise("e2e", "solve", tmp_path / "inst", "--out", tmp_path / "p", "--time-limit", "5")
    assert code == 3, output
    assert "infeasible" in output
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    dc, sku = inst.dcs[inst.dc_pos_dc[0]], inst.skus[inst.dc_pos_sku[0]]
    assert summary["diagnosis"][0].startswith(f"DC '{dc}' SKU '{sku}': demand cannot be met from day 1")
    assert f"DC '{dc}' SKU '{sku}'" in output


def test_solve_from_a_workbook(tmp_path: Path) -> None:
    generate(2, 1, skus=4).save(tmp_path / "inst.xlsx")
    code, output = plantwise("e2e", "solve", tmp_path / "inst.xlsx", "--out", tmp_path / "p", "--time-limit", "5",
                             "--no-report", "--quiet")
    assert code == 0, output
    assert json.loads((tmp_path / "p" / "summary.json").read_text())["status"] in ("optimal", "feasible")
    assert not (tmp_path / "p" / "report.html").exists()
    code, output = plantwise("e2e", "verify", tmp_path / "inst.xlsx", tmp_path / "p")
    assert code == 0, output
