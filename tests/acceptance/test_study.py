"""The document-003 experiments (``plantwise.acceptance.study``) on tiny instances with small ADMM caps.

The statistics and the 27-run default design are also checked with a stand-in solver (fast and
exactly reproducible); every other test runs the real methods.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from plantwise.acceptance import doe, study
from plantwise.acceptance.generator import generate
from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.model import AGENTS
from plantwise.core.options import SolveOptions

SETTINGS = {"max_outer": 2, "max_inner": 8}
OPTIONS = SolveOptions(time_limit=30)
SHARES = [f"share_{a}" for a in AGENTS]


@pytest.fixture(scope="module")
def inst() -> AcceptanceInstance:
    return generate(7, seed=4)


def _html(path: Path) -> None:
    assert path.exists() and path.stat().st_size > 0
    text = path.read_text()
    assert "plotly" in text.lower() and "<table" in text


def _no_errors(table: pd.DataFrame) -> None:
    bad = table[table["status"] == "error"]
    assert bad.empty, f"runs raised: {bad['error'].tolist()}"


def _fake_solve(fail: bool = False):
    """A deterministic stand-in for ``solve``: profit rises with ρ, run time falls with the thresholds."""

    def fake(inst, method, options=None, **settings):
        if fail:
            raise RuntimeError("follower step found no solution")
        rho = float(settings.get("rho", 100.0))
        tin, tout = float(settings.get("inner_tolerance", 0.01)), float(settings.get("outer_tolerance", 0.001))
        wobble = math.sin(7 * rho + 13 * tin + 17 * tout)
        costs = {a: 100.0 * (k + 1) for k, a in enumerate(AGENTS)}
        summary = {"status": "feasible", "profit": 1000.0 + 10 * math.log10(rho) + 3 * wobble,
                   "revenue": 5000.0, "accepted_orders": ["O0001"], "cost_per_agent": costs,
                   "solve_seconds": 1.0 - 0.1 * math.log10(tin) - 0.05 * math.log10(tout) + 0.02 * math.cos(5 * wobble),
                   "iterations": {"outer": 2, "inner": 10, "best_outer": 1},
                   "final_residuals": {"primal": 0.01, "dual": 0.02, "dual_scaled": 0.02 * rho},
                   "incentives": costs, "incentive_shares": {a: v / 1500.0 for a, v in costs.items()},
                   "stop_reason": "max_outer"}
        return SimpleNamespace(summary=summary, history=None)

    return fake


def test_rho_study_writes_one_row_per_rho(inst: AcceptanceInstance, tmp_path: Path) -> None:
    table = study.rho_study(inst, tmp_path / "rho", rhos=(10, 1000), options=OPTIONS, **SETTINGS)
    on_disk = pd.read_csv(tmp_path / "rho" / "rho.csv")
    assert list(on_disk.columns) == list(study.RHO_COLUMNS) == list(table.columns)
    assert on_disk["rho"].tolist() == [10, 1000]
    history = pd.read_csv(tmp_path / "rho" / "rho_history.csv")
    assert set(history["rho"]) <= {10, 1000} and "kind" in history
    _html(tmp_path / "rho" / "rho.html")
    _no_errors(table)
    assert (table["iterations_outer"] <= SETTINGS["max_outer"]).all()
    assert np.allclose(table["total_cost"], table["revenue"] - table["profit"], atol=1e-3)


def test_scale_study_compares_both_methods_and_writes_the_crossover(tmp_path: Path) -> None:
    table = study.scale_study(tmp_path / "scale", sizes=(6, 7), seeds=(7,), time_limit=30, **SETTINGS)
    on_disk = pd.read_csv(tmp_path / "scale" / "scale.csv")
    assert list(on_disk.columns) == list(study.SCALE_COLUMNS)
    assert len(on_disk) == 4 and set(on_disk["time_limited"]) <= {True, False}
    assert sorted(zip(on_disk["orders"], on_disk["method"], strict=True)) == [
        (6, "admm"), (6, "centralized"), (7, "admm"), (7, "centralized")]
    cross = json.loads((tmp_path / "scale" / "crossover.json").read_text())
    assert cross == table.attrs["crossover"]
    assert cross["crossover_orders"] in (None, 6, 7) and len(cross["per_size"]) == 2
    _html(tmp_path / "scale" / "scale.html")
    _no_errors(table)
    central = table[table["method"] == "centralized"]
    assert central["bound"].notna().all() and (central["gap_to_centralized_pct"] == 0).all()
    admm = table[table["method"] == "admm"].set_index("orders")
    profits = central.set_index("orders")["profit"]
    expected = 100 * (profits - admm["profit"]) / profits.abs()
    assert np.allclose(admm["gap_to_centralized_pct"], expected)
    assert (admm["gap_to_bound_pct"] >= admm["gap_to_centralized_pct"] - 1e-6).all()  # the bound is above


def test_crossover_is_the_size_from_which_admm_stays_faster() -> None:
    seconds = {(10, "centralized"): 1, (10, "admm"): 2, (20, "centralized"): 5, (20, "admm"): 3,
               (30, "centralized"): 4, (30, "admm"): 6, (40, "centralized"): 50, (40, "admm"): 9,
               (50, "centralized"): 90, (50, "admm"): 10}
    table = pd.DataFrame([{"orders": o, "method": m, "solve_seconds": s, "status": "optimal"}
                          for (o, m), s in seconds.items()])
    cross = study.crossover(table)
    assert cross["crossover_orders"] == 40 and cross["first_faster_orders"] == 20
    assert study.crossover(table[table["orders"] <= 30])["crossover_orders"] is None


def test_doe_study_small_design_with_manova_and_anova(inst: AcceptanceInstance, tmp_path: Path) -> None:
    out = tmp_path / "doe"
    runs = study.doe_study(inst, out, rhos=(10, 1000), inner=(0.1, 0.01), outer=(0.01, 0.0001), options=OPTIONS,
                           max_outer=1, max_inner=4)  # 8 runs: smaller caps to keep the test short
    on_disk = pd.read_csv(out / "doe_runs.csv")
    assert len(on_disk) == 8 and list(on_disk.columns) == list(study.DOE_COLUMNS)
    assert on_disk[list(study.DOE_FACTORS)].drop_duplicates().shape[0] == 8
    manova = pd.read_csv(out / "manova.csv")
    assert list(manova.columns) == list(doe.MANOVA_COLUMNS)
    assert sorted(set(manova["factor"])) == sorted(study.DOE_FACTORS)
    assert (manova.groupby("factor")["statistic"].apply(set) == set(doe.MANOVA_STATISTICS)).all()
    # every statistic is either computed or explained
    assert (manova["p_value"].notna() | manova["note"].fillna("").str.len().gt(0)).all()
    for resp in study.DOE_RESPONSES:
        anova = pd.read_csv(out / f"anova_{resp}.csv")
        assert list(anova.columns) == list(doe.ANOVA_COLUMNS)
        assert anova["source"].tolist() == [*study.DOE_FACTORS, "Residual"]
    effects = pd.read_csv(out / "doe_main_effects.csv")
    assert len(effects) == 3 * 2 * len(study.DOE_RESPONSES)
    _html(out / "doe.html")
    _no_errors(runs)


def test_doe_default_is_the_full_3x3x3_factorial(inst: AcceptanceInstance, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(study, "solve", _fake_solve())
    runs = study.doe_study(inst, tmp_path)
    assert len(runs) == 27 and runs[list(study.DOE_FACTORS)].drop_duplicates().shape[0] == 27
    manova = runs.attrs["manova"]
    assert len(manova) == 3 * len(doe.MANOVA_STATISTICS)
    assert manova["p_value"].notna().all() and (manova["note"] == "").all()
    wilks = manova[manova["statistic"] == "Wilks' lambda"].set_index("factor")
    assert wilks.loc["rho", "p_value"] < 0.01  # profit is driven by ρ
    assert set(wilks["num_df"]) == {4.0} and set(wilks["den_df"]) == {38.0}
    anova = runs.attrs["anova"]["profit"].set_index("source")
    assert anova.loc["rho", "p_value"] < 0.01 and anova.loc["Residual", "df"] == 20
    assert len(pd.read_csv(tmp_path / "doe_main_effects.csv")) == 3 * 3 * 2


def _design(profit: np.ndarray) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([(10, 100), (0.1, 0.01), (0.01, 0.001)], names=study.DOE_FACTORS).to_frame(
        index=False)
    return grid.assign(solve_seconds=[1.0, 1.3, 0.9, 1.7, 1.1, 1.25, 0.95, 1.6], profit=profit, status="feasible")


def test_degenerate_designs_are_reported_not_raised() -> None:
    constant = _design(np.full(8, 500.0))
    manova = study.manova_table(constant)
    assert len(manova) == 12 and manova["value"].isna().all()
    assert manova["note"].str.contains("zero variance").all()
    anova = study.anova_table(constant, "profit")
    assert anova["F"].isna().all() and anova["note"].str.contains("constant").all()
    exact = _design(np.array([3.0, 3.0, 3.0, 3.0, 30.0, 30.0, 30.0, 30.0]))  # a function of ρ alone
    assert study.manova_table(exact)["note"].str.contains("singular: profit fitted exactly").all()
    anova = study.anova_table(exact, "profit").set_index("source")
    assert anova["F"].isna().all() and "exactly" in anova.loc["rho", "note"]
    one_level = constant.assign(profit=np.arange(8.0), rho=10)
    manova = study.manova_table(one_level).set_index(["factor", "statistic"])
    assert "1 level" in manova.loc[("rho", "Pillai's trace"), "note"]
    assert math.isfinite(manova.loc[("inner_tolerance", "Pillai's trace"), "p_value"])
    failed = _design(np.arange(8.0) ** 2)
    failed.loc[:5, "profit"] = np.nan
    assert study.manova_table(failed)["note"].str.contains("6 of 8 runs").all()


def test_scale_capacity_changes_one_capacity_on_a_copy(inst: AcceptanceInstance) -> None:
    before = {k: v.copy() for k, v in inst.to_frames().items()}
    storage = inst.storage_capacity
    columns = {"supply": ("suppliers", ["capacity_per_period"]),
               "production": ("machines", ["capacity_hours", "maintenance_capacity_hours"]),
               "maintenance": ("machines", ["mttf_hours"]), "distribution": ("transport", ["capacity_per_period"])}
    for capacity in study.CAPACITIES:
        scaled = study.scale_capacity(inst, capacity, 1.5)
        for name, frame in scaled.to_frames().items():
            changed = [c for c in frame.columns if not frame[c].equals(before[name][c])]
            table, cols = columns.get(capacity, (None, []))
            assert changed == (cols if name == table else []), (capacity, name, changed)
            if name == table:
                assert np.allclose(frame[cols], 1.5 * before[name][cols])
        assert scaled.storage_capacity == (1.5 * storage if capacity == "inventory" else storage)
    for name, frame in inst.to_frames().items():
        pd.testing.assert_frame_equal(frame, before[name])
    assert inst.storage_capacity == storage
    with pytest.raises(ValueError, match="unknown capacity"):
        study.scale_capacity(inst, "marketing", 2.0)


def test_capacity_study_records_every_share(inst: AcceptanceInstance, tmp_path: Path) -> None:
    table = study.capacity_study(inst, tmp_path, factors=(0.5, 1.0), options=OPTIONS, **SETTINGS)
    on_disk = pd.read_csv(tmp_path / "capacity.csv")
    assert list(on_disk.columns) == list(study.CAPACITY_COLUMNS)
    assert len(on_disk) == 10 and on_disk.groupby("capacity").size().to_dict() == dict.fromkeys(study.CAPACITIES, 2)
    base = on_disk[on_disk["factor"] == 1.0]
    assert (base[["profit", *SHARES]].nunique() <= 1).all()  # the base case is solved once
    for _, row in on_disk.iterrows():
        assert row["share_varied"] == row[f"share_{row['capacity']}"]
    _html(tmp_path / "capacity.html")
    _no_errors(table)
    paid = table[table["incentive_total"] > 0]
    assert np.allclose(paid[SHARES].sum(axis=1), 1.0, atol=1e-4)


def test_compare_lists_every_order(inst: AcceptanceInstance, tmp_path: Path) -> None:
    summary, orders_frame = study.compare(inst, tmp_path, time_limit=30, **SETTINGS)
    on_disk = pd.read_csv(tmp_path / "compare.csv")
    assert list(on_disk.columns) == ["metric", "centralized", "admm"]
    assert on_disk["metric"].tolist() == ["profit", "revenue", "total_cost", *[f"cost_{a}" for a in AGENTS],
                                          "accepted_orders", "solve_seconds", "status"]
    per_order = pd.read_csv(tmp_path / "compare_orders.csv")
    assert list(per_order.columns) == ["order", "revenue", "accepted_centralized", "accepted_admm"]
    assert per_order["order"].tolist() == inst.order_ids
    pd.testing.assert_frame_equal(per_order, orders_frame, check_dtype=False)
    assert set(per_order["accepted_centralized"]) <= {0, 1} and set(per_order["accepted_admm"]) <= {0, 1}
    _html(tmp_path / "compare.html")
    values = summary.set_index("metric")
    assert "error" not in str(values.loc["status"].tolist()), values.loc["status"].tolist()
    for m in ("centralized", "admm"):
        assert values.loc["accepted_orders", m] == per_order[f"accepted_{m}"].sum()
        revenue = float(per_order.loc[per_order[f"accepted_{m}"] == 1, "revenue"].sum())
        assert abs(values.loc["revenue", m] - revenue) < 1e-3
    assert values.loc["profit", "centralized"] >= values.loc["profit", "admm"] - 1e-3  # the MILP is optimal


def test_failed_runs_are_recorded_or_raised(inst: AcceptanceInstance, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(study, "solve", _fake_solve(fail=True))
    table = study.rho_study(inst, tmp_path, rhos=(1, 10))
    assert (table["status"] == "error").all() and table["error"].str.contains("no solution").all()
    runs = study.doe_study(inst, tmp_path, rhos=(1, 10), inner=(0.1,), outer=(0.01,))
    assert runs.attrs["manova"]["note"].str.len().gt(0).all()
    summary, orders = study.compare(inst, tmp_path)
    assert summary.set_index("metric").loc["status"].tolist() == ["error", "error"]
    assert (orders[["accepted_centralized", "accepted_admm"]] == 0).all().all()
    with pytest.raises(RuntimeError, match="no solution"):
        study.rho_study(inst, tmp_path, rhos=(1,), on_error="raise")


def test_settings_are_checked_before_any_run(inst: AcceptanceInstance, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown admm settings"):
        study.rho_study(inst, tmp_path, rhos=(1,), max_outr=2)
    with pytest.raises(ValueError, match="own factors"):
        study.rho_study(inst, tmp_path, rho=5)
    with pytest.raises(ValueError, match="own factors"):
        study.doe_study(inst, tmp_path, inner_tolerance=0.1)
    with pytest.raises(ValueError, match="on_error"):
        study.compare(inst, tmp_path, on_error="ignore")
    assert not list(tmp_path.iterdir())
