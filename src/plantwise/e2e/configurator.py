r"""Document 001's three-phase hybrid configurator (Figure 7), on pymoo GA and PSO.

Flow (each per-plant step runs the plants through the executor, so in parallel locally or
on Ray):

1. **First capacity check** — a GA per plant on the plant's production problem with its
   targets, without MOQ and with line hours *soft* (overtime allowed at a price), so the
   plan shows the hours the requirements need. Daily utilisation = hours used / hours
   available. A plant *fits* when no line-day exceeds 100 %.
2. Both fit: **phase 1** — a refining GA per plant (55 generations) with MOQ and hard line
   hours, then a GA for distribution.
3. Otherwise **reduce safety stock** (targets and minimums x ``safety_stock_factor``,
   default 0: demand only) and run the GA per plant again: the **second capacity check**.
4. Both fit: **phase 2** — a PSO per plant with MOQ, hard hours and the full targets,
   inside bounds set by the GA's plan, then a PSO for distribution.
5. Otherwise **phase 3** — a joint GA over both plants' lines with inter-plant transfers,
   a joint PSO inside the GA's bounds, then a PSO for distribution.

Production problem (document Eq. 6-11, corrected balance): for each plant the DCs are
pooled (:mod:`plantwise.e2e.aggregate`); decision vector = production of every line-SKU
pair and day (plus transfers of every SKU and day in phase 3). Cost of a vector =
holding + over-target + under-target + under-minimum + stockout (backlog) penalties of
the pooled stock, setup and transfer cost, and in the capacity checks an overtime price
of ``penalties.under_target`` per unit of line output beyond the available hours.

Distribution problem (Eq. 12-14 made coherent): with production and transfers fixed,
the decision vector is every shipment (arc, day); its cost is the integrated plan's cost
(:func:`plantwise.e2e.evaluate.simulate`), so the configurator's final cost is exactly
what the verifier recomputes.

Repairs keep every evaluated vector feasible: production clipped to the pair's capacity,
lots below half the MOQ dropped and the rest raised to the MOQ, line-days over their
hours scaled down (then lots now below the MOQ dropped); transfers and shipments limited
to the stock the plant has that day. Seeds come from constructive heuristics
(:func:`production_seed`, :func:`distribution_seed`): lot-for-lot requirements in tiers
(avoid backlog, reach the minimum, reach the target), levelled backwards into earlier free
hours, then free hours filled forwards; in phase 3 what a plant still lacks is made at the
other plant and transferred.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from plantwise.core.executors import Executor, SerialExecutor
from plantwise.e2e.aggregate import aggregate, pooled_pairs
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.subproblems import (
    DistributionProblem,
    ProductionProblem,
    distribution_seed,
    production_seed,
)
from plantwise.meta import GAParams, MetaResult, PSOParams, run_ga, run_pso

UTILISATION_TOLERANCE = 1e-6
PSO_BOUND_FACTOR = 1.5  # PSO searches production in [0, max(1.5 x GA plan, MOQ)]


@dataclass(frozen=True)
class ConfiguratorParams:
    """The document's parameters (Tables 11 and 19) and the safety-stock reduction."""

    ga: GAParams = field(default_factory=GAParams)
    refine_generations: int = 55
    pso: PSOParams = field(default_factory=PSOParams)
    safety_stock_factor: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"ga": asdict(self.ga), "refine_generations": self.refine_generations, "pso": asdict(self.pso),
                "safety_stock_factor": self.safety_stock_factor}


@dataclass
class Step:
    """One step of the configurator's path."""

    name: str
    phase: int | None
    algorithm: str
    plants: list[str]
    seconds: float
    cost: float | None = None
    evaluations: int = 0
    utilisation: dict[str, list[float]] | None = None  # plant -> daily utilisation (checks)
    fits: dict[str, bool] | None = None
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class ConfiguratorOutcome:
    production: np.ndarray  # [K, T] of the full instance
    shipments: np.ndarray  # [E, T]
    transfers: np.ndarray  # [F, T]
    cost: float
    phase: int
    path: list[Step]
    seconds: float


# ====================================================================== the flow
def _run(task: tuple[str, ProductionProblem, np.ndarray | None, np.ndarray | None, object, int, np.ndarray]) \
        -> MetaResult:
    """One metaheuristic run (top level, so executors can ship it to a worker)."""
    algorithm, pp, lower, upper, params, seed, initial = task
    problem = pp.problem(f"{algorithm}:{pp.inst.name}", lower, upper)
    if algorithm == "ga":
        return run_ga(problem, params, seed=seed, initial=initial)  # type: ignore[arg-type]
    return run_pso(problem, params, seed=seed, initial=initial)  # type: ignore[arg-type]


def _to_full(inst: E2EInstance, plants: list[int], pooled: E2EInstance, pp: ProductionProblem, x: np.ndarray,
             production: np.ndarray, transfers: np.ndarray) -> None:
    """Write a pooled plan's production (and transfers) into the full instance's arrays."""
    prod, move = pp.split(x[None])
    production[pooled_pairs(inst, plants)] = prod[0]
    if pp.F:
        key = {(inst.move_from[f], inst.move_to[f]): f for f in range(len(inst.move_from))}
        # pooled plant positions keep the full instance's order of the kept plants' positions
        kept = np.flatnonzero(np.isin(inst.plant_pos_plant, plants))
        for f in range(pp.F):
            full = key.get((kept[pooled.move_from[f]], kept[pooled.move_to[f]]))
            if full is not None:
                transfers[full] = move[0, f]


def configure(inst: E2EInstance, params: ConfiguratorParams | None = None, seed: int = 0,
              executor: Executor | None = None, method: str = "configurator") -> ConfiguratorOutcome:
    """Run the configurator (``method="configurator"``), or the GA or PSO alone over the
    joint problem (``"ga"``, ``"pso"``: joint production with transfers, then distribution
    by the same algorithm), for comparison."""
    params = params or ConfiguratorParams()
    executor = executor or SerialExecutor()
    t_start = time.perf_counter()
    T = inst.horizon
    production = np.zeros((inst.num_pairs, T))
    transfers = np.zeros((len(inst.move_from), T))
    path: list[Step] = []
    plants = list(range(len(inst.plants)))
    per_plant = [aggregate(inst, [p], plant_requirements=True) for p in plants]

    def check(name: str, factor: float) -> tuple[list[MetaResult], list[ProductionProblem], bool]:
        t0 = time.perf_counter()
        pps = [ProductionProblem(pooled, moq=False, hard_capacity=False, target_factor=factor)
               for pooled in per_plant]
        tasks = [("ga", pp, None, None, params.ga, seed + p, production_seed(pp)[None]) for p, pp in enumerate(pps)]
        results = executor.map(_run, tasks)
        util, fits = {}, {}
        for p, (pp, res) in enumerate(zip(pps, results, strict=True)):
            line_util, plant_util = pp.utilisation(res.x)
            util[inst.plants[p]] = [round(float(u), 4) for u in plant_util[0]]
            fits[inst.plants[p]] = bool(line_util.max() <= 1 + UTILISATION_TOLERANCE)
        path.append(Step(name, None, "ga", list(inst.plants), time.perf_counter() - t0,
                         float(sum(r.cost for r in results)), sum(r.evaluations for r in results), util, fits,
                         {"target_factor": factor, **asdict(params.ga)}))
        return results, pps, all(fits.values())

    def per_plant_step(name: str, phase: int, algorithm: str, factor_seed: list[MetaResult]) -> None:
        t0 = time.perf_counter()
        pps = [ProductionProblem(pooled, moq=True, hard_capacity=True) for pooled in per_plant]
        tasks = []
        for p, pp in enumerate(pps):
            seed_rows = np.vstack([pp.repair(factor_seed[p].x[None]), production_seed(pp)[None]])
            if algorithm == "ga":
                tasks.append(("ga", pp, None, None, replace(params.ga, generations=params.refine_generations),
                              seed + 10 + p, seed_rows))
            else:
                lo, up = pp.bounds()
                up = np.minimum(up, np.maximum(PSO_BOUND_FACTOR * factor_seed[p].x, np.tile(
                    np.repeat(pp.inst.moq, T), 1)))
                tasks.append(("pso", pp, lo, up, params.pso, seed + 20 + p, np.clip(seed_rows, lo, up)))
        results = executor.map(_run, tasks)
        for p, (pp, res) in enumerate(zip(pps, results, strict=True)):
            _to_full(inst, [p], per_plant[p], pp, res.x, production, transfers)
        path.append(Step(name, phase, algorithm, list(inst.plants), time.perf_counter() - t0,
                         float(sum(r.cost for r in results)), sum(r.evaluations for r in results),
                         params=asdict(params.ga) if algorithm == "ga" else asdict(params.pso)))

    def joint(phase: int | None, algorithms: tuple[str, ...]) -> None:
        joint_inst = aggregate(inst, plant_requirements=True)
        pp = ProductionProblem(joint_inst, moq=True, hard_capacity=True, transfers=True)
        start = production_seed(pp, other_plant_share=True)[None]
        best: MetaResult | None = None
        for algorithm in algorithms:
            t0 = time.perf_counter()
            if algorithm == "ga":
                res = _run(("ga", pp, None, None, params.ga, seed + 30, start))
            else:
                lo, up = pp.bounds()
                if best is not None:  # inside the GA's bounds
                    moq = np.concatenate([np.repeat(joint_inst.moq, T), np.zeros(pp.F * T)])
                    up = np.minimum(up, np.maximum(PSO_BOUND_FACTOR * best.x, moq))
                res = _run(("pso", pp, lo, up, params.pso, seed + 40, np.clip(start, lo, up)))
            path.append(Step(f"joint {algorithm.upper()} (both plants, transfers)", phase, algorithm,
                             list(inst.plants), time.perf_counter() - t0, res.cost, res.evaluations,
                             params=asdict(params.ga) if algorithm == "ga" else asdict(params.pso)))
            if best is None or res.cost <= best.cost:
                best = res
            start = res.x[None]
        assert best is not None
        _to_full(inst, plants, joint_inst, pp, best.x, production, transfers)

    def distribution(phase: int | None, algorithm: str) -> np.ndarray:
        t0 = time.perf_counter()
        dp = DistributionProblem(inst, production, transfers)
        transfers[:] = dp.transfers  # transfers limited to the plant's own stock
        start = distribution_seed(dp)[None]
        problem = dp.problem(f"distribution {algorithm}")
        res = run_ga(problem, params.ga, seed=seed + 50, initial=start) if algorithm == "ga" else \
            run_pso(problem, params.pso, seed=seed + 50, initial=start)
        path.append(Step(f"{algorithm.upper()} distribution", phase, algorithm, list(inst.plants),
                         time.perf_counter() - t0, res.cost, res.evaluations,
                         params=asdict(params.ga) if algorithm == "ga" else asdict(params.pso)))
        return res.x.reshape(len(inst.ship_from), T)

    if method in ("ga", "pso"):
        joint(None, (method,))
        shipments = distribution(None, method)
        phase = 0
    else:
        first, _, fits = check("first capacity check (GA per plant, with targets)", 1.0)
        if fits:
            phase = 1
            per_plant_step("refining GA per plant (MOQ)", 1, "ga", first)
            shipments = distribution(1, "ga")
        else:
            second, _, fits = check(f"second capacity check (GA per plant, safety stock x "
                                    f"{params.safety_stock_factor:g})", params.safety_stock_factor)
            if fits:
                phase = 2
                per_plant_step("PSO per plant inside the GA's bounds (MOQ)", 2, "pso", second)
                shipments = distribution(2, "pso")
            else:
                phase = 3
                joint(3, ("ga", "pso"))
                shipments = distribution(3, "pso")
    cost = simulate(inst, production, shipments, transfers).total
    return ConfiguratorOutcome(production, shipments, transfers, cost, phase, path, time.perf_counter() - t_start)
