from __future__ import annotations

import numpy as np
import pytest

from plantwise.meta import GAParams, MetaResult, PSOParams, VectorProblem, run_ga, run_pso
from plantwise.meta.problem import initial_population

ALGORITHMS = ["ga", "pso"]


def run(algorithm: str, problem: VectorProblem, *, seed: int = 0, size: int = 20, steps: int = 50, **kwargs):
    if algorithm == "ga":
        return run_ga(problem, GAParams(population=size, generations=steps), seed=seed, **kwargs)
    return run_pso(problem, PSOParams(particles=size, iterations=steps), seed=seed, **kwargs)


def shifted_sphere(n: int) -> tuple[VectorProblem, np.ndarray]:
    shift = np.linspace(-1.5, 2.5, n)
    problem = VectorProblem(
        lower=np.full(n, -5.0),
        upper=np.full(n, 5.0),
        evaluate=lambda X: ((X - shift) ** 2).sum(axis=1),
        name=f"sphere{n}",
    )
    return problem, shift


class Recorder:
    """Wraps a vectorised cost: counts rows and checks every evaluated row with ``check``."""

    def __init__(self, cost, check=None):
        self.cost, self.check, self.rows = cost, check, 0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        assert X.ndim == 2
        if self.check is not None:
            self.check(X)
        self.rows += X.shape[0]
        return self.cost(X)


def assert_well_formed(result: MetaResult, problem: VectorProblem, steps: int) -> None:
    assert len(result.history) == steps + 1
    assert np.all(np.diff(result.history) <= 0), "best cost got worse"
    assert result.cost == result.history[-1]
    assert result.x.shape == (problem.n_var,)
    assert np.all(result.x >= problem.lower) and np.all(result.x <= problem.upper)
    assert result.seconds >= 0.0


# (a) improvement over the random initial population -----------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_improves_on_initial_population(algorithm):
    problem, _ = shifted_sphere(30)
    result = run(algorithm, problem, seed=3)
    assert_well_formed(result, problem, 50)
    assert result.algorithm == algorithm
    assert result.cost < 0.5 * result.history[0]
    assert result.evaluations == 20 * 51
    assert result.params["generations_run"] == 50 and result.params["stopped_by"] == "generations"
    assert result.params["seed"] == 3


def test_evaluations_count_every_row():
    problem, _ = shifted_sphere(8)
    rec = Recorder(problem.evaluate)
    counted = VectorProblem(problem.lower, problem.upper, rec)
    for algorithm in ALGORITHMS:
        rec.rows = 0
        result = run(algorithm, counted, steps=10)
        assert result.evaluations == rec.rows > 0


# (b) seeding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_seeding_with_optimum_returns_it(algorithm):
    problem, shift = shifted_sphere(30)
    result = run(algorithm, problem, seed=1, initial=shift[None, :], steps=20)
    assert result.cost == 0.0
    np.testing.assert_array_equal(result.x, shift)
    assert result.history[0] == 0.0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_never_worse_than_seed(algorithm):
    problem, shift = shifted_sphere(30)
    seeds = np.vstack([shift + 0.05, shift - 0.1, np.zeros(30)])
    seed_cost = problem.evaluate(seeds).min()
    result = run(algorithm, problem, seed=2, initial=seeds, steps=10)
    assert result.history[0] == seed_cost
    assert result.cost <= seed_cost


def test_initial_population_layout():
    problem, shift = shifted_sphere(5)
    rng = np.random.default_rng(0)
    seeds = np.vstack([shift, np.full(5, 9.0)])  # second seed is outside the box -> clipped
    pop = initial_population(problem, 10, rng, seeds)
    assert pop.shape == (10, 5)
    np.testing.assert_array_equal(pop[0], shift)
    np.testing.assert_array_equal(pop[1], np.full(5, 5.0))
    assert np.all(pop >= problem.lower) and np.all(pop <= problem.upper)
    # more seeds than the population: the first rows are kept
    assert initial_population(problem, 2, rng, np.tile(shift, (4, 1))).shape == (2, 5)
    with pytest.raises(ValueError, match="columns"):
        initial_population(problem, 4, rng, np.zeros((1, 3)))


# (c) repair ----------------------------------------------------------------------------------


def project_budget(X: np.ndarray) -> np.ndarray:
    """Scale rows with sum(x) > 1 back onto sum(x) = 1 (the box is [0, 1])."""
    total = X.sum(axis=1, keepdims=True)
    return np.where(total > 1.0, X / np.maximum(total, 1e-300), X)


def check_budget(X: np.ndarray) -> None:
    assert np.all(X.sum(axis=1) <= 1.0 + 1e-9), "an unrepaired row reached evaluate"
    assert np.all(X >= 0.0)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_repair_is_applied_before_every_evaluation(algorithm):
    n = 20
    weights = np.linspace(1.0, 2.0, n)
    rec = Recorder(lambda X: -(X * weights).sum(axis=1) + 0.1 * (X**2).sum(axis=1), check_budget)
    problem = VectorProblem(np.zeros(n), np.ones(n), rec, repair=project_budget, name="budget")
    infeasible_seed = np.ones((1, n))  # sum = 20: must be repaired before it is evaluated
    result = run(algorithm, problem, seed=4, initial=infeasible_seed, steps=30)
    assert rec.rows == result.evaluations
    assert result.x.sum() <= 1.0 + 1e-9
    assert result.cost == problem.evaluate(problem.repair(result.x[None]))[0]
    # the seed repairs to the uniform point; the search must do at least as well
    assert result.cost <= problem.evaluate(project_budget(infeasible_seed))[0]


def test_degenerate_repair_converges():
    problem = VectorProblem(np.zeros(3), np.ones(3), lambda X: X.sum(axis=1), repair=np.zeros_like)
    result = run_ga(problem, GAParams(generations=10))
    assert result.cost == 0.0
    assert result.params["stopped_by"] == "converged"
    assert result.history == [0.0] and result.params["generations_run"] == 0
    assert result.evaluations == 20  # only the initial population; every offspring was a duplicate


def test_repair_shape_is_checked():
    problem = VectorProblem(np.zeros(3), np.ones(3), lambda X: X.sum(axis=1), repair=lambda X: X[:, :2])
    with pytest.raises(ValueError, match="repair returned shape"):
        run_ga(problem, GAParams(generations=1))


# (d) determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_seed_same_result(algorithm):
    problem, shift = shifted_sphere(15)
    seeds = (shift + 0.5)[None, :]
    first = run(algorithm, problem, seed=7, initial=seeds, steps=25)
    second = run(algorithm, problem, seed=7, initial=seeds, steps=25)
    np.testing.assert_array_equal(first.x, second.x)
    assert first.history == second.history
    assert first.evaluations == second.evaluations
    other = run(algorithm, problem, seed=8, initial=seeds, steps=25)
    assert other.history != first.history


# time limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_time_limit_zero_returns_initial_population_best(algorithm):
    problem, shift = shifted_sphere(10)
    result = run(algorithm, problem, initial=shift[None, :] + 0.1, time_limit=0.0)
    assert len(result.history) == 1
    assert result.evaluations == 20
    assert result.params["stopped_by"] == "time_limit"
    assert result.cost == result.history[0] <= problem.evaluate(shift[None, :] + 0.1)[0]


# (e) large problem ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_five_thousand_variables(algorithm):
    problem, _ = shifted_sphere(5000)
    result = run(algorithm, problem, seed=0, size=20, steps=50)
    assert_well_formed(result, problem, 50)
    assert result.cost < result.history[0]


# parameter validation ------------------------------------------------------------------------


def test_invalid_inputs():
    with pytest.raises(ValueError):
        GAParams(population=1)
    with pytest.raises(ValueError):
        GAParams(mutation=1.5)
    with pytest.raises(ValueError):
        PSOParams(iterations=-1)
    with pytest.raises(ValueError, match="lower > upper"):
        VectorProblem(np.ones(2), np.zeros(2), lambda X: X.sum(axis=1))
    problem = VectorProblem(np.zeros(2), np.ones(2), lambda X: X.sum())  # not vectorised
    with pytest.raises(ValueError, match="costs"):
        run_pso(problem, PSOParams(iterations=1))
