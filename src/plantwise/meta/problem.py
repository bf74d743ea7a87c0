"""The problem and result types shared by the metaheuristics, and their bridge to pymoo.

A :class:`VectorProblem` is a box-bounded, continuous minimisation problem given as a
*vectorised* cost function: ``evaluate(X)`` takes a population matrix ``X`` of shape
``[n, n_var]`` and returns ``n`` costs. An optional ``repair(X)`` maps a population to a
feasible population; the metaheuristics apply it to **every** individual before it is
evaluated (seeds, the initial population and every offspring), so the cost function only
ever sees repaired rows.

Repair contract: ``repair`` must return an array of the same shape, should keep rows inside
``[lower, upper]``, and should be idempotent (repairing a feasible row leaves it unchanged)
— then the reported cost equals ``evaluate(repair(x[None]))[0]`` for the returned ``x``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymoo.config import Config
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair

Config.warnings["not_compiled"] = False
Config.show_compile_hint = False

__all__ = ["MetaResult", "VectorProblem"]


@dataclass
class VectorProblem:
    """A continuous box-bounded minimisation problem with a vectorised cost."""

    lower: np.ndarray
    upper: np.ndarray
    evaluate: Callable[[np.ndarray], np.ndarray]
    repair: Callable[[np.ndarray], np.ndarray] | None = None
    name: str = "problem"

    def __post_init__(self) -> None:
        self.lower = np.asarray(self.lower, dtype=float).ravel()
        self.upper = np.asarray(self.upper, dtype=float).ravel()
        if self.lower.shape != self.upper.shape:
            raise ValueError(f"lower has {self.lower.size} entries but upper has {self.upper.size}")
        if self.lower.size == 0:
            raise ValueError("a problem needs at least one variable")
        if not (np.all(np.isfinite(self.lower)) and np.all(np.isfinite(self.upper))):
            raise ValueError("bounds must be finite")
        if np.any(self.lower > self.upper):
            bad = int(np.flatnonzero(self.lower > self.upper)[0])
            raise ValueError(f"lower > upper for variable {bad}: {self.lower[bad]} > {self.upper[bad]}")

    @property
    def n_var(self) -> int:
        return int(self.lower.size)

    def repaired(self, X: np.ndarray) -> np.ndarray:
        """``X`` clipped to the box and passed through ``repair`` (if any), as a float matrix."""
        X = np.clip(np.atleast_2d(np.asarray(X, dtype=float)), self.lower, self.upper)
        if self.repair is None:
            return X
        Xr = np.asarray(self.repair(X), dtype=float)
        if Xr.shape != X.shape:
            raise ValueError(f"repair returned shape {Xr.shape} for a population of shape {X.shape}")
        return Xr

    def costs(self, X: np.ndarray) -> np.ndarray:
        """``evaluate(X)`` checked to be ``n`` floats; NaN costs become ``+inf`` (never selected)."""
        X = np.atleast_2d(X)
        F = np.asarray(self.evaluate(X), dtype=float).reshape(-1)
        if F.size != X.shape[0]:
            raise ValueError(f"evaluate returned {F.size} costs for {X.shape[0]} rows")
        return np.where(np.isnan(F), np.inf, F)


@dataclass
class MetaResult:
    """Outcome of one metaheuristic run.

    ``x`` is the best (repaired, hence feasible) vector found and ``cost`` its cost, equal to
    ``evaluate(repair(x[None]))[0]`` (re-evaluated once at the end if repairing ``x`` again
    changes it, e.g. by rounding; then ``cost`` may differ from ``history[-1]`` in the last digits);
    ``history[0]`` is the best cost of the initial population and ``history[g]`` the best
    cost found up to generation/iteration ``g`` (non-increasing); ``evaluations`` counts
    rows passed to ``evaluate``; ``seconds`` is wall-clock time; ``params`` echoes the
    parameters plus ``seed``, ``generations_run`` and ``stopped_by`` (``"generations"``,
    ``"time_limit"`` or ``"converged"`` — the GA found no new, non-duplicate offspring).
    """

    x: np.ndarray
    cost: float
    history: list[float] = field(default_factory=list)
    evaluations: int = 0
    seconds: float = 0.0
    algorithm: str = ""
    params: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------
# pymoo bridge (internal)
# ------------------------------------------------------------------------------------------


class _PymooProblem(Problem):
    """Wraps a :class:`VectorProblem` as a vectorised (``elementwise=False``) pymoo problem."""

    def __init__(self, problem: VectorProblem) -> None:
        super().__init__(
            n_var=problem.n_var, n_obj=1, n_ieq_constr=0, xl=problem.lower, xu=problem.upper, elementwise=False
        )
        self.vector_problem = problem
        self.n_evaluations = 0

    def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        self.n_evaluations += X.shape[0]
        out["F"] = self.vector_problem.costs(X)[:, None]


class _PymooRepair(Repair):
    """Applies ``VectorProblem.repair`` (after clipping to the box) to offspring populations."""

    def __init__(self, problem: VectorProblem) -> None:
        super().__init__()
        self.vector_problem = problem

    def _do(self, problem: Any, X: np.ndarray, **kwargs: Any) -> np.ndarray:
        if len(X) == 0:
            return X
        return self.vector_problem.repaired(X)


def initial_population(
    problem: VectorProblem, size: int, rng: np.random.Generator, initial: np.ndarray | None = None
) -> np.ndarray:
    """A repaired ``[size, n_var]`` start population containing the seed rows of ``initial``.

    Seeds come first (at most ``size`` of them). Of the remaining rows, half are
    perturbations of the seeds (Gaussian noise, sigma = 10 % of the box width, on a random
    ~20 % of the genes, cycling through the seeds) and half are uniform in the box; without
    seeds all rows are uniform. Every row is clipped to the box and repaired.
    """
    lo, hi = problem.lower, problem.upper
    n_var = problem.n_var
    rows: list[np.ndarray] = []
    if initial is not None:
        seeds = np.atleast_2d(np.asarray(initial, dtype=float))
        if seeds.shape[1] != n_var:
            raise ValueError(f"initial has {seeds.shape[1]} columns but the problem has {n_var} variables")
        seeds = seeds[:size]
        rows.append(seeds)
        n_rest = size - len(seeds)
        n_pert = n_rest // 2 if len(seeds) else 0
        if n_pert:
            base = seeds[np.arange(n_pert) % len(seeds)]
            mask = rng.random((n_pert, n_var)) < 0.2
            noise = rng.normal(0.0, 0.1, (n_pert, n_var)) * (hi - lo)
            rows.append(np.clip(base + mask * noise, lo, hi))
    n_uniform = size - sum(len(r) for r in rows)
    if n_uniform > 0:
        rows.append(lo + rng.random((n_uniform, n_var)) * (hi - lo))
    return problem.repaired(np.vstack(rows))


class _Clock:
    """Wall-clock time since construction."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def run_pymoo(
    algorithm: Any,
    problem: VectorProblem,
    pymoo_problem: _PymooProblem,
    *,
    generations: int,
    seed: int,
    time_limit: float | None,
    clock: _Clock,
    name: str,
    params: dict[str, Any],
) -> MetaResult:
    """Drive a set-up-free pymoo ``algorithm`` generation by generation and collect a result.

    Generation 0 evaluates the initial population; then up to ``generations`` further
    generations run. The loop is ours rather than ``pymoo.optimize.minimize`` so that the
    best cost is recorded after every generation and ``time_limit`` counts from the start of
    the run (including building the initial population); pymoo's ``MaximumGenerationTermination``
    still caps the generations. The initial population is always evaluated, even when the
    time limit is already spent, so there is always a result.
    """
    from pymoo.termination.max_gen import MaximumGenerationTermination

    from plantwise.core.interrupt import stop_requested

    if generations < 0:
        raise ValueError(f"generations must be >= 0, got {generations}")
    if time_limit is not None and time_limit < 0:
        raise ValueError(f"time_limit must be >= 0, got {time_limit}")
    # pymoo counts the initial population as generation 1
    termination = MaximumGenerationTermination(generations + 1)
    algorithm.setup(pymoo_problem, termination=termination, seed=seed, verbose=False, progress=False)
    history: list[float] = []
    stopped_by = "generations"
    while algorithm.has_next():
        if history and time_limit is not None and clock.elapsed() >= time_limit:
            stopped_by = "time_limit"
            break
        if history and stop_requested():
            stopped_by = "interrupted"
            break
        algorithm.next()
        if algorithm.opt is None or len(algorithm.opt) == 0:  # pragma: no cover - defensive
            break
        history.append(float(algorithm.opt[0].F[0]))
    if stopped_by == "generations" and len(history) - 1 < generations:
        # pymoo's GA stops by itself when mating cannot produce any offspring that is not a
        # duplicate (e.g. a repair that maps everything to one point): the population converged.
        # That last step evaluated nothing, so it is not a generation.
        stopped_by = "converged"
        if len(history) > 1:
            history.pop()
    best = algorithm.opt[0]
    x = np.array(best.X, dtype=float, copy=True)
    cost = float(best.F[0])
    if problem.repair is not None:
        # x was evaluated as repaired, but a repair that is idempotent only up to rounding (e.g. a
        # rescaling projection) can move it by an ulp: report the cost a caller would recompute.
        xr = np.asarray(problem.repair(x[None, :].copy()), dtype=float)
        if not np.array_equal(xr[0], x):
            cost = float(problem.costs(xr)[0])
            pymoo_problem.n_evaluations += 1
    return MetaResult(
        x=x,
        cost=cost,
        history=history,
        evaluations=pymoo_problem.n_evaluations,
        seconds=clock.elapsed(),
        algorithm=name,
        params={**params, "seed": seed, "generations_run": len(history) - 1, "stopped_by": stopped_by},
    )
