"""Metaheuristics on pymoo — GA and PSO — for box-bounded continuous problems.

A problem is a :class:`VectorProblem` (bounds, a vectorised cost, an optional repair); both
methods take seed solutions from a heuristic, repair every individual before evaluating it,
are deterministic for a given seed, and return a :class:`MetaResult`::

    from plantwise.meta import GAParams, VectorProblem, run_ga

    problem = VectorProblem(lower=np.zeros(n), upper=np.ones(n), evaluate=cost, repair=project)
    result = run_ga(problem, GAParams(population=20, generations=50), seed=0, initial=heuristic_x[None])
"""

from plantwise.meta.ga import GAParams, run_ga
from plantwise.meta.problem import MetaResult, VectorProblem
from plantwise.meta.pso import PSOParams, run_pso

__all__ = ["GAParams", "MetaResult", "PSOParams", "VectorProblem", "run_ga", "run_pso"]
