"""The solver backends on small models with known optima."""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from plantwise.core.backends import BackendUnavailable, available_backends, get_backend
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus


def knapsack() -> LinearModel:
    """max 10a + 13b + 7c s.t. 3a + 4b + 2c <= 6, binary -> min of the negation; optimum -20 (b, c)."""
    lm = LinearModel("knapsack")
    x = lm.add_vars("x", 3, 0, 1, np.array([-10.0, -13.0, -7.0]), integer=True)
    lm.add_rows("cap", 1, np.zeros(3, dtype=int), x, np.array([3.0, 4.0, 2.0]), -np.inf, 6.0)
    return lm


@pytest.mark.parametrize("name", ["highs", "cpsat"])
def test_knapsack_optimum(name: str) -> None:
    res = get_backend(name).solve(knapsack(), SolveOptions(time_limit=10))
    assert res.status == SolveStatus.OPTIMAL
    assert res.objective == pytest.approx(-20.0)
    assert res.bound == pytest.approx(-20.0)
    assert res.gap == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(res.x, [0, 1, 1])
    assert res.solver == name and res.solver_version


def test_highs_lp_relaxation_and_warm_start() -> None:
    lm = knapsack()
    lp = get_backend("highs").solve(lm, SolveOptions(), relax=True)
    assert lp.status == SolveStatus.OPTIMAL
    assert lp.objective == pytest.approx(-10.0 * 1 - 13.0 * 0.75 - 7.0 * 1, rel=1e-9) or lp.objective <= -20.0
    res = get_backend("highs").solve(lm, SolveOptions(), start=np.array([1.0, 0.0, 1.0]))
    assert res.objective == pytest.approx(-20.0)


def test_infeasible_is_reported() -> None:
    lm = LinearModel()
    x = lm.add_vars("x", 2, 0, 1, 1.0, integer=True)
    lm.add_rows("need3", 1, np.zeros(2, dtype=int), x, 1.0, 3.0, np.inf)
    for name in ("highs", "cpsat"):
        assert get_backend(name).solve(lm, SolveOptions(time_limit=5)).status == SolveStatus.INFEASIBLE


def test_cpsat_rejects_continuous_variables() -> None:
    lm = LinearModel()
    lm.add_vars("x", 1, 0, 1, 1.0, integer=False)
    with pytest.raises(BackendUnavailable):
        get_backend("cpsat").solve(lm, SolveOptions())


def test_progress_callback_receives_incumbent_and_bound() -> None:
    seen = []
    get_backend("cpsat").solve(knapsack(), SolveOptions(time_limit=5, progress=seen.append))
    assert seen and seen[-1].incumbent == pytest.approx(-20.0)


def test_unknown_solver() -> None:
    with pytest.raises(BackendUnavailable):
        get_backend("cplex")


@pytest.mark.skipif("gurobi" not in available_backends(), reason="gurobipy with a licence is not installed")
def test_gurobi_knapsack() -> None:
    res = get_backend("gurobi").solve(knapsack(), SolveOptions(time_limit=10))
    assert res.status == SolveStatus.OPTIMAL and res.objective == pytest.approx(-20.0)


def test_highs_run_past_its_limit_is_left_with_its_incumbent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A HiGHS MIP that has not returned ``OVERRUN_GRACE_SECONDS`` after the caller's time
    limit (HiGHS 1.16 once stayed 16 minutes in a root heuristic) is left running, and the
    incumbent it reported is returned as a feasible plan; the run itself is then interrupted
    at its next callback, so it does not go on using a core. Here the caller's limit (0.3 s) is
    shorter than HiGHS's own (3 s), so the guard fires on a real, hard lot-sizing MIP."""
    from pathlib import Path

    from benchmarks.registry import SHARED

    from plantwise.core.backends import highs as backend
    from plantwise.e2e.model import build_model
    from plantwise.e2e.trigeiro import read_trigeiro

    path = Path(SHARED) / "clsp_trigeiro_X" / "instances" / "X11119A"
    if not path.is_file():
        pytest.skip("shared benchmarks not present")
    em = build_model(read_trigeiro(path), lean=True)
    h = backend.HighsBackend().build(em.model, False)
    h.setOptionValue("time_limit", 3.0)
    backend.use_threads(h, 1)
    monkeypatch.setattr(backend, "OVERRUN_GRACE_SECONDS", 0.5)
    res = backend._run_mip_interruptibly(h, em.model, time_limit=0.3)
    try:
        assert res is not None and "did not return" in res.message
        assert res.status in (SolveStatus.FEASIBLE, SolveStatus.NO_SOLUTION)
        if res.status == SolveStatus.FEASIBLE:
            assert em.model.max_violation(res.x) <= 1e-6
            assert res.objective == pytest.approx(em.model.objective_value(res.x))
    finally:
        for worker in list(backend._ABANDONED):
            worker.join(10.0)  # HiGHS's own 3-s limit ends it at the latest; never leave it running at exit
    assert backend.running_abandoned_solves() == 0
    # the abandoned run was ended by its interrupt callback, not by its own 3-s limit
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
