"""``solve(instance, method)``: the centralized MILP or the game-based ADMM, one plan format.

Both return an :class:`~plantwise.acceptance.plan.AcceptancePlan` whose ``summary`` holds
``status``, ``profit`` (revenue of delivered orders minus every agent's cost), ``revenue``,
``accepted_orders``, ``cost_per_agent``, ``solve_seconds``; the centralized method adds the
MILP's ``bound`` (a proven upper bound on the profit) and ``gap``; ``admm`` adds
``iterations``, the final residuals and its iteration history.
"""

from __future__ import annotations

import time

import numpy as np

from plantwise.acceptance.arrays import PlanArrays, to_plan
from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.model import AGENTS, CentralModel, build
from plantwise.acceptance.plan import AcceptancePlan
from plantwise.core.backends import get_backend
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus

METHODS = ("centralized", "admm")


def solve(inst: AcceptanceInstance, method: str = "centralized", options: SolveOptions | None = None,
          **admm_settings: object) -> AcceptancePlan:
    """Solve ``inst`` by ``method``; ``admm_settings`` go to :class:`~plantwise.acceptance.admm.AdmmSettings`."""
    options = options or SolveOptions()
    if method == "centralized":
        if admm_settings:
            raise ValueError(f"settings {sorted(admm_settings)} apply to the admm method only")
        return solve_centralized(inst, options)
    if method == "admm":
        from plantwise.acceptance.admm import AdmmSettings, solve_admm

        return solve_admm(inst, options, AdmmSettings(**admm_settings))  # type: ignore[arg-type]
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def solve_centralized(inst: AcceptanceInstance, options: SolveOptions) -> AcceptancePlan:
    """The MILP of :mod:`plantwise.acceptance.model` by one solver (HiGHS by default)."""
    t0 = time.perf_counter()
    cm = build(inst)
    result = get_backend(options.solver).solve(cm.lm, options)
    seconds = time.perf_counter() - t0
    summary: dict[str, object] = {"method": "centralized", "instance": inst.name, "checksum": inst.checksum(),
                                  **result.summary()}
    summary["status"] = str(result.status)
    summary["solve_seconds"] = round(seconds, 3)
    if not result.status.has_solution or result.x is None:
        summary.update(profit=None, accepted_orders=[], cost_per_agent={})
        return AcceptancePlan(*(_empty_tables()), summary=summary)
    x = result.x
    arrays = PlanArrays(x[cm.z], x[cm.u], x[cm.x], x[cm.part_stock], x[cm.w], x[cm.stock], x[cm.y], x[cm.mu]).cleaned()
    revenue = float(inst.orders["revenue"].to_numpy(float) @ arrays.deliver.sum(axis=(1, 2)))
    # the costs of the cleaned plan, so that profit matches the tables exactly
    costs = agent_costs_of(inst, cm, arrays)
    profit = revenue - sum(costs.values())
    summary.update(
        profit=round(profit, 6), revenue=round(revenue, 6), cost_per_agent={a: round(v, 6) for a, v in costs.items()},
        accepted_orders=[o for o, a in zip(cm.ix.orders, arrays.accepted, strict=True) if a > 0.5],
        bound=None if result.bound is None else round(-result.bound, 6),
        objective=round(profit, 6),
    )
    bound = summary["bound"]
    summary["gap"] = None if bound is None else round(max(float(bound) - profit, 0.0) / max(abs(profit), 1e-9), 8)
    if result.status == SolveStatus.OPTIMAL:
        summary["status"] = "optimal"
    return to_plan(inst, cm.ix, arrays, summary)


def agent_costs_of(inst: AcceptanceInstance, cm: CentralModel, arrays: PlanArrays) -> dict[str, float]:
    """Each agent's cost of ``arrays`` by the central model's cost vectors."""
    x = np.zeros(cm.lm.num_vars)
    for cols, values in ((cm.z, arrays.accepted), (cm.u, arrays.unmet), (cm.x, arrays.purchase),
                         (cm.part_stock, arrays.part_stock), (cm.w, arrays.process),
                         (cm.stock, arrays.finished), (cm.y, arrays.deliver), (cm.mu, arrays.maintain)):
        x[np.asarray(cols).ravel()] = np.asarray(values).ravel()
    return {a: float(cm.agent_cost[a] @ x) for a in AGENTS}


def _empty_tables() -> tuple:
    from plantwise.acceptance.plan import PLAN_SPECS, empty

    return tuple(empty(spec) for spec in PLAN_SPECS)
