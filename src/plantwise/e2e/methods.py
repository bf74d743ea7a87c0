"""Solving an e2e instance: methods, bounds, verification and the summary.

Methods
  ``exact``         the integrated MILP: LP relaxation, LP dive, HiGHS warm-started
                    (:mod:`plantwise.e2e.exact`).
  ``sku-groups``    the SKU-group decomposition for instances too large for one MILP: hour
                    prices by Lagrangian relaxation of the line hours (a proven bound at
                    LP strength), then the groups' exact solves on the hours the others
                    leave (:mod:`plantwise.e2e.skugroups`). ``exact`` switches to it by
                    itself when the lean model has more than ``DECOMPOSE_COLUMNS`` columns.
  ``decomposed``    the document's decomposition solved exactly: the plant-level
                    production MILP (DCs pooled, requirements shifted by lead times) first,
                    then distribution and transfers with production fixed (an LP). Measures
                    what solving production before distribution costs.
  ``configurator``  the three-phase GA/PSO hybrid of Figure 7 (:mod:`plantwise.e2e.configurator`).
  ``ga``, ``pso``   one algorithm alone over the joint problem, for comparison.

Every method's plan is checked by the independent verifier before it is returned (a
failure is a bug and raises), and every method reports a gap to a proven bound: the
exact method's own bound, or for the others the integrated model's LP relaxation.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from plantwise import __version__
from plantwise.core.backends import get_backend
from plantwise.core.executors import Executor
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveResult, SolveStatus, relative_gap
from plantwise.core.verification import Verification, VerificationFailed
from plantwise.e2e.configurator import ConfiguratorParams, configure
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.exact import solve_exact
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.model import E2EModel, build_model
from plantwise.e2e.plan import E2EPlan, plan_from_arrays
from plantwise.e2e.skugroups import DECOMPOSE_COLUMNS, GROUP_SKUS, solve_groups
from plantwise.e2e.verifier import verify

METHODS = ("exact", "sku-groups", "decomposed", "configurator", "ga", "pso")


@dataclass
class E2EResult:
    status: SolveStatus
    plan: E2EPlan | None
    result: SolveResult
    verification: Verification | None
    summary: dict[str, object] = field(default_factory=dict)


def diagnose(inst: E2EInstance, options: SolveOptions, limit: int = 20) -> list[str]:
    """Where demand cannot be met when stockouts are forbidden: the LP relaxation with backlog
    allowed at a prohibitive price. A backlog ``B_bt > 0`` there is needed by every plan, so the
    first day of each DC-SKU's backlog names where and when the demand is out of reach."""
    from dataclasses import replace

    big = 1e3 * max(inst.penalties.as_dict().values()) + 1e6
    elastic = replace(inst, allow_stockout=True, penalties=replace(inst.penalties, stockout=big))
    em = build_model(elastic, relax=True)
    lp = get_backend("highs").solve(em.model, options.with_(progress=None), relax=True)
    if lp.status != SolveStatus.OPTIMAL or lp.x is None:
        return ["no plan even with stockouts allowed: check line hours, lanes and lead times"]
    backlog = lp.x[em.backlog]
    lines = []
    for b in np.flatnonzero(backlog.max(axis=1) > 1e-6):
        day = int(np.argmax(backlog[b] > 1e-6))
        lines.append((day, f"DC '{inst.dcs[inst.dc_pos_dc[b]]}' SKU '{inst.skus[inst.dc_pos_sku[b]]}': demand "
                           f"cannot be met from day {day + 1} on (short by {backlog[b, day]:,.6g} units that day, "
                           f"{backlog[b].max():,.6g} at most)"))
    lines.sort()
    out = [text for _, text in lines[:limit]]
    if len(lines) > limit:
        out.append(f"... and {len(lines) - limit} more DC-SKU positions")
    return out or ["the LP relaxation with stockouts allowed needs none: the integer rules (MOQ) make it "
                   "infeasible"]


def lp_bound(inst: E2EInstance, options: SolveOptions) -> tuple[float | None, float]:
    """The integrated model's LP relaxation value (a proven lower bound) and its seconds."""
    t0 = time.perf_counter()
    em = build_model(inst, relax=True)
    lp = get_backend("highs").solve(em.model, options.with_(progress=None), relax=True)
    return (lp.objective if lp.status == SolveStatus.OPTIMAL else None), time.perf_counter() - t0


def decomposing_columns(inst: E2EInstance, group_skus: int = GROUP_SKUS) -> int | None:
    """The lean model's column count when the exact method decomposes by SKU groups (more
    than ``DECOMPOSE_COLUMNS`` columns and SKUs for two groups or more), else ``None``. The
    model is built, not solved: a fraction of a second."""
    if len(inst.skus) <= group_skus:
        return None
    columns = build_model(inst, lean=True).model.num_vars
    return columns if columns > DECOMPOSE_COLUMNS else None


def large_model(inst: E2EInstance, group_skus: int = GROUP_SKUS) -> bool:
    """The exact method decomposes by SKU groups (:func:`decomposing_columns`)."""
    return decomposing_columns(inst, group_skus) is not None


def _arrays(em: E2EModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return em.flows(x)


def _decomposed(inst: E2EInstance, options: SolveOptions) -> tuple[SolveResult, tuple | None, dict]:
    """Production first (pooled plant-level MILP), then distribution + transfers (LP)."""
    from plantwise.e2e.aggregate import aggregate, pooled_pairs

    t0 = time.perf_counter()
    pooled = aggregate(inst, plant_requirements=True)
    stage1 = solve_exact(pooled, options.with_(time_limit=None if options.time_limit is None
                                               else 0.7 * options.time_limit, progress=None))
    info = {"production_stage_objective": stage1.result.objective, "production_stage_gap": stage1.result.gap,
            "production_stage_seconds": time.perf_counter() - t0}
    if stage1.x is None:
        return SolveResult(SolveStatus.NO_SOLUTION, message="production stage found no plan"), None, info
    production = np.zeros((inst.num_pairs, inst.horizon))
    production[pooled_pairs(inst)] = np.where(stage1.x[stage1.model.x] > 1e-7, stage1.x[stage1.model.x], 0.0)
    em = build_model(inst)
    lots = production > 1e-7
    em.model.fix(em.x.ravel(), production.ravel())
    if em.binary_pairs.any():
        em.model.fix(em.y[em.binary_pairs].ravel(), lots[em.binary_pairs].astype(float).ravel())
    res = get_backend("highs").solve(em.model, options.with_(
        time_limit=options.remaining(time.perf_counter() - t0), progress=None), relax=True)
    if res.x is None:
        return res, None, info
    _, shipments, transfers = _arrays(em, res.x)
    cost = simulate(inst, production, shipments, transfers).total
    out = SolveResult(SolveStatus.FEASIBLE, cost, None, "highs", res.solver_version,
                      {"solve": time.perf_counter() - t0})
    return out, (production, shipments, transfers), info


def solve(inst: E2EInstance, method: str = "exact", options: SolveOptions | None = None,
          executor: Executor | None = None, params: ConfiguratorParams | None = None,
          check: bool = True, group_skus: int | None = None) -> E2EResult:
    """Solve ``inst`` by ``method`` (see the module docstring). ``check=False`` leaves the
    verification to the caller (the shared pipeline verifies every plan it returns, so the
    family's runner does not verify twice); ``verification`` is then ``None``. ``group_skus``: SKUs
    per group of the SKU-group decomposition (default ``GROUP_SKUS``)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    options = options or SolveOptions()
    t0 = time.perf_counter()
    extra: dict[str, object] = {}
    arrays = None
    group_skus = group_skus or GROUP_SKUS
    columns = decomposing_columns(inst, group_skus) if method == "exact" else None
    method_used = "sku-groups" if columns is not None else method
    if columns is not None:
        extra["decomposition"] = (f"the lean model has {columns:,} columns (more than {DECOMPOSE_COLUMNS:,}): "
                                  f"solved by SKU groups")
    if method_used == "sku-groups":
        res, arrays, info = solve_groups(inst, options, group_skus)
        extra.update(info)
    elif method == "exact":
        outcome = solve_exact(inst, options)
        res = outcome.result
        if outcome.x is not None:
            arrays = _arrays(outcome.model, outcome.x)
        extra.update({"lp_bound": outcome.lp_bound, "lp_seconds": round(outcome.lp_seconds, 3),
                      "dive_objective": outcome.rounded_objective, "model": outcome.model.model.stats()})
    elif method == "decomposed":
        res, arrays, info = _decomposed(inst, options)
        extra.update(info)
    else:
        outcome_c = configure(inst, params, seed=options.seed, executor=executor, method=method)
        arrays = (outcome_c.production, outcome_c.shipments, outcome_c.transfers)
        res = SolveResult(SolveStatus.FEASIBLE, outcome_c.cost, None, method, "", {"solve": outcome_c.seconds})
        extra.update({"phase": outcome_c.phase, "path": [asdict(s) for s in outcome_c.path],
                      "parameters": (params or ConfiguratorParams()).as_dict(),
                      "metaheuristic_seconds": round(outcome_c.seconds, 3)})
    solve_seconds = time.perf_counter() - t0
    if method_used == "sku-groups":
        extra["bound_source"] = "Lagrangian relaxation of the line hours (SKU groups' LPs under hour prices)"
    elif method != "exact":
        bound, seconds = lp_bound(inst, options.with_(time_limit=None))
        res.bound = bound
        extra["bound_source"] = "LP relaxation of the integrated model"
        extra["bound_seconds"] = round(seconds, 3)
        gap = relative_gap(res.objective, bound)
        if res.status == SolveStatus.FEASIBLE and gap is not None and gap <= options.mip_gap:
            res.status = SolveStatus.OPTIMAL
    else:
        extra["bound_source"] = "max(LP relaxation, HiGHS branch-and-bound)"
    if arrays is None:
        summary = {"status": str(res.status), "method": method, "objective": None, "bound": res.bound,
                   "gap": None, "solve_seconds": round(solve_seconds, 3), **extra}
        if res.status == SolveStatus.INFEASIBLE:
            summary["diagnosis"] = diagnose(inst, options)
        return E2EResult(res.status, None, res, None, summary)

    production, shipments, transfers = arrays
    sim = simulate(inst, production, shipments, transfers)
    objective = sim.total
    summary: dict[str, object] = {
        "status": str(res.status),
        "method": method,
        "objective": objective,
        "solver_objective": res.objective,
        "bound": res.bound,
        "gap": relative_gap(objective, res.bound),
        "cost_breakdown": {k: round(v, 6) for k, v in sim.costs.items()},
        "solve_seconds": round(solve_seconds, 3),
        "solver": res.solver,
        "solver_version": res.solver_version,
        "timings": {k: round(v, 4) for k, v in res.timings.items()},
        "produced_units": float(production.sum()),
        "shipped_units": float(shipments.sum()),
        "transferred_units": float(transfers.sum()),
        "stockout_unit_days": float(sim.dc_backlog.sum()),
        "instance": inst.name,
        "instance_checksum": inst.checksum(),
        "plantwise_version": __version__,
        "seed": options.seed,
        "time_limit": options.time_limit,
        **extra,
    }
    plan = plan_from_arrays(inst, production, shipments, transfers, summary)
    if not check:
        return E2EResult(res.status, plan, res, None, summary)
    verification = verify(inst, plan)
    if not verification.ok:
        raise VerificationFailed("; ".join(str(v) for v in verification.violations[:5]))
    summary["verified"] = True
    plan.summary["verified"] = True
    return E2EResult(res.status, plan, res, verification, summary)
