"""The solver backends on small models with known optima."""

from __future__ import annotations

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


def test_highs_portfolio_matches_enumeration() -> None:
    """Two single-thread HiGHS runs with different seeds, combined (best plan, largest bound):
    the proven optimum of a 16-item, two-row knapsack equals the enumerated one."""
    from itertools import product

    from plantwise.core.backends.highs import HighsBackend

    rng = np.random.default_rng(7)
    value, weight = rng.integers(5, 40, 16).astype(float), rng.integers(3, 20, (2, 16)).astype(float)
    capacity = weight.sum(axis=1) / 3
    lm = LinearModel("knapsack2")
    x = lm.add_vars("x", 16, 0, 1, -value, integer=True)
    lm.add_rows("cap", 2, np.repeat([0, 1], 16), np.tile(x, 2), weight.ravel(), -np.inf, capacity)
    choices = np.array(list(product([0, 1], repeat=16)), dtype=float)
    fits = (choices @ weight.T <= capacity + 1e-9).all(axis=1)
    optimum = float(-(choices[fits] @ value).max())
    res = HighsBackend().solve_portfolio(lm, SolveOptions(time_limit=20, mip_gap=0.0), runs=2)
    assert res.status == SolveStatus.OPTIMAL
    assert res.objective == pytest.approx(optimum)
    assert res.bound == pytest.approx(optimum)
    assert lm.max_violation(res.x) <= 1e-9
    assert res.message.startswith("portfolio of 2 HiGHS runs")
