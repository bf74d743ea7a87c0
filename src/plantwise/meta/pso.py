"""Particle swarm optimisation (pymoo ``PSO``) for :class:`~plantwise.meta.problem.VectorProblem`.

This is pymoo's own PSO (a thin subclass, not a re-implementation): it accepts a ``Repair``
and, with ``adaptive=False``, keeps ``w``, ``c1`` and ``c2`` exactly as given. Behaviour, as
configured:

* global-best topology: ``v <- w v + c1 r1 (pbest - x) + c2 r2 (gbest - x)``, ``x <- x + v``
  with ``r1, r2 ~ U(0, 1)`` per particle and gene;
* velocities are clamped to 20 % of the box width per variable (pymoo's
  ``max_velocity_rate=0.2``); initial velocities are drawn from ``[0, 0.2 x width)`` —
  non-negative only, a pymoo quirk we keep;
* a gene that leaves the box is redrawn (new ``r1, r2``) up to 20 times, then re-initialised
  uniformly between the particle's old position and the bound (pymoo's
  ``repair_random_init``). This is the one change to pymoo's PSO (a subclass overriding
  ``_infill``): pymoo redraws the *whole particle* while any of its genes is out of the box,
  and in high dimension nearly every particle always has some gene out, so it ran 21
  velocity updates per iteration to no effect (5,000 variables, 20 x 50: 10 s, two thirds
  in those redraws; 2 s with per-gene redraws). Solution quality is the same within seed-to-seed noise
  (median of 12 seeds on shifted sphere, Rastrigin, a sphere with its optimum near the
  bounds and a simplex-constrained quadratic, n = 10 ... 1,000);
* every iteration the particle whose personal best is the swarm best is moved to a
  polynomial mutation of that best instead (pymoo's ``pertube_best``), a cheap local search;
* every new position is clipped to the box and passed through ``problem.repair`` before it
  is evaluated; personal bests are replaced only on improvement, so the global best never
  gets worse.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from pymoo.algorithms.soo.nonconvex.ga import FitnessSurvival
from pymoo.algorithms.soo.nonconvex.pso import PSO, pso_equation
from pymoo.core.individual import Individual
from pymoo.core.population import Population
from pymoo.operators.mutation.pm import PM
from pymoo.operators.repair.bounds_repair import repair_random_init

from plantwise.meta.problem import (
    MetaResult,
    VectorProblem,
    _Clock,
    _PymooProblem,
    _PymooRepair,
    initial_population,
    run_pymoo,
)

__all__ = ["PSOParams", "run_pso"]


class _GenewisePSO(PSO):
    """pymoo's PSO with per-gene (instead of per-particle) redraws of out-of-box moves."""

    def _infill(self) -> Population:
        problem, particles, pbest, rs = self.problem, self.particles, self.pop, self.random_state
        X, V = particles.get("X", "V")
        P_X = pbest.get("X")
        sbest = self._social_best()
        S_X = sbest.get("X")
        Xp, Vp = pso_equation(X, P_X, S_X, V, self.V_max, self.w, self.c1, self.c2, random_state=rs)

        xl, xu = problem.bounds()
        for _ in range(20):
            i, j = np.nonzero((Xp < xl) | (Xp > xu))
            if len(i) == 0:
                break
            r1, r2 = rs.random(len(i)), rs.random(len(i))
            v = self.w * V[i, j] + self.c1 * r1 * (P_X[i, j] - X[i, j]) + self.c2 * r2 * (S_X[i, j] - X[i, j])
            v = np.clip(v, -self.V_max[j], self.V_max[j])
            Vp[i, j] = v
            Xp[i, j] = X[i, j] + v
        Xp = repair_random_init(Xp, X, xl, xu, random_state=rs)

        off = Population.new(X=Xp, V=Vp)
        if self.pertube_best:  # as pymoo: move the best particle to a mutant of its personal best
            k = FitnessSurvival().do(problem, pbest, n_survive=1, return_indices=True)[0]
            mut = PM(prob=0.9, eta=rs.uniform(5, 30), at_least_once=False)
            mutant = mut(problem, Population(Individual(X=pbest[k].X)), random_state=rs)[0]
            off[k].set("X", mutant.X)

        self.repair(problem, off)
        self.sbest = sbest
        return off


@dataclass(frozen=True)
class PSOParams:
    """PSO settings.

    Defaults: 20 particles, 100 iterations (after the initial swarm, so at most
    20 + 100 x 20 = 2,020 evaluations), inertia 0.7, cognitive and social weights 1.5.
    """

    particles: int = 20
    iterations: int = 100
    inertia: float = 0.7
    cognitive: float = 1.5
    social: float = 1.5

    def __post_init__(self) -> None:
        if self.particles < 1:
            raise ValueError(f"particles must be >= 1, got {self.particles}")
        if self.iterations < 0:
            raise ValueError(f"iterations must be >= 0, got {self.iterations}")
        if min(self.inertia, self.cognitive, self.social) < 0:
            raise ValueError("inertia, cognitive and social weights must be >= 0")


def run_pso(
    problem: VectorProblem,
    params: PSOParams | None = None,
    seed: int = 0,
    initial: np.ndarray | None = None,
    time_limit: float | None = None,
) -> MetaResult:
    """Minimise ``problem`` with particle swarm optimisation.

    Seeding, repair, determinism and ``time_limit`` behave as in
    :func:`~plantwise.meta.ga.run_ga`: seed rows of ``initial`` become particles (repaired),
    the rest of the swarm is perturbations of the seeds and uniform samples, and the result
    is never worse than the best repaired seed.
    """
    params = params or PSOParams()
    clock = _Clock()
    rng = np.random.default_rng((seed, 0x50))
    X0 = initial_population(problem, params.particles, rng, initial)
    algorithm = _GenewisePSO(
        pop_size=params.particles,
        sampling=X0,  # pymoo's PSO initialisation does not repair; X0 is repaired already
        w=params.inertia,
        c1=params.cognitive,
        c2=params.social,
        adaptive=False,
        initial_velocity="random",
        max_velocity_rate=0.2,
        pertube_best=True,
        repair=_PymooRepair(problem),
    )
    return run_pymoo(
        algorithm,
        problem,
        _PymooProblem(problem),
        generations=params.iterations,
        seed=seed,
        time_limit=time_limit,
        clock=clock,
        name="pso",
        params=asdict(params),
    )
