"""The acceptance family on the shared contract (:mod:`plantwise.core.family`): document 003.

The objective is the profit (revenue of delivered orders minus every agent's cost), maximised;
bounds are upper bounds. The centralized MILP proves its own; the game-based ADMM proves
none, so it cites the LP relaxation of the centralized MILP (solved after the game, timed
under ``timings.bound``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from plantwise.core.decisions import DecisionSpec
from plantwise.core.family import (
    Family,
    Method,
    MethodOutput,
    NoParams,
    conventional_functions,
    lazy,
    output_from_summary,
    param,
    register,
    specs_of,
)
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus

KPI_KEYS = ("profit", "revenue", "accepted_orders", "cost_per_agent", "incentives", "incentive_shares",
            "stop_reason")


@dataclass(frozen=True)
class AdmmParams:
    """Parameters of the game-based ADMM (document 003, section 4)."""

    rho: float = param(100.0, "ADMM penalty ρ (the document's choice: 100)", minimum=1e-9)
    adaptive_rho: bool = param(True, "balance ρ by the residuals (else keep it fixed)")
    inner_tolerance: float = param(0.01, "inner-loop residual threshold (RMS, in the blocks' units)", minimum=0.0)
    outer_tolerance: float = param(0.001, "relative change of the leader's Lagrangian that ends the game",
                                   minimum=0.0)
    max_inner: int = param(200, "ADMM iterations per leader move", unit="iterations", minimum=1)
    max_outer: int = param(8, "leader moves", unit="moves", minimum=1)
    trust_region: int | None = param(None, "most orders the leader may flip per move (default max(2, N/10))",
                                     unit="orders", minimum=1)
    executor: str = param("serial", "serial: followers in this process; ray: one Ray actor each",
                          choices=("serial", "ray"))
    num_cpus: int | None = param(None, "CPUs of the local Ray instance", minimum=1)


@dataclass(frozen=True)
class AcceptanceGenerate:
    """Options of ``plantwise acceptance generate``."""

    orders: int = param(50, "number of orders", unit="orders", minimum=1)
    seed: int = param(1, "random seed")


def _generate(p: AcceptanceGenerate) -> Any:
    from plantwise.acceptance.generator import generate

    return generate(p.orders, p.seed)


def _output(plan: Any, bound_source: str | None) -> MethodOutput:
    summary = dict(plan.summary)
    summary.pop("_messages", None)
    has_plan = summary.get("profit") is not None
    out = output_from_summary(plan if has_plan else None, summary, KPI_KEYS, bound_source=bound_source)
    if has_plan:
        out.cost_breakdown = {str(a): float(v) for a, v in dict(summary.get("cost_per_agent") or {}).items()}
    return out


def _run_centralized(inst: Any, options: SolveOptions, params: NoParams) -> MethodOutput:
    from plantwise.acceptance.methods import solve

    return _output(solve(inst, "centralized", options), "HiGHS branch-and-bound of the centralized MILP")


def _run_admm(inst: Any, options: SolveOptions, params: AdmmParams) -> MethodOutput:
    from dataclasses import asdict

    from plantwise.acceptance.methods import solve
    from plantwise.core.interrupt import stop_requested

    plan = solve(inst, "admm", options, **asdict(params))
    out = _output(plan, None)
    if out.plan is not None and not stop_requested():
        t0 = time.perf_counter()
        bound = lp_bound(inst, options)
        out.timings["bound"] = time.perf_counter() - t0
        out.bound = bound
        out.bound_source = ("LP relaxation of the centralized MILP" if bound is not None else
                            "none: the LP relaxation of the centralized MILP did not solve")
    elif out.plan is not None:
        out.bound_source = "none: interrupted before the LP relaxation bound was computed"
    return out


def lp_bound(inst: Any, options: SolveOptions) -> float | None:
    """An upper bound on the profit: the LP relaxation of the centralized MILP (it minimises
    cost - revenue, so the bound is minus its value)."""
    from plantwise.acceptance.model import build
    from plantwise.core.backends import get_backend

    lp = get_backend("highs").solve(build(inst).lm, options.with_(progress=None, time_limit=None), relax=True)
    return -float(lp.objective) if lp.status == SolveStatus.OPTIMAL and lp.objective is not None else None



def _replan_events() -> dict[str, Any]:
    from plantwise.acceptance.events import EVENTS

    return EVENTS


def _horizon_hours(inst: Any) -> int:
    """The horizon in whole hours (re-planning's time unit)."""
    return int(inst.horizon_hours)


_specs = {
    **dict(zip(("input_specs", "scalar_specs"), specs_of("plantwise.acceptance.instance", "ALL_SPECS", "SCALAR_SPECS"),
               strict=True)),
    "plan_specs": specs_of("plantwise.acceptance.plan", "PLAN_SPECS")[0],
}

FAMILY = register(Family(
    name="acceptance",
    document="003",
    title="Make-to-order order acceptance: one MILP, or a Stackelberg game whose followers coordinate by ADMM",
    sense="max",
    **conventional_functions("acceptance"),
    generate=_generate,
    generate_params=AcceptanceGenerate,
    checksum=lambda inst: inst.checksum(),
    methods={
        "centralized": Method("centralized", _run_centralized, "one MILP (HiGHS): bound and gap"),
        "admm": Method("admm", _run_admm, "the game: leader + five ADMM followers keeping their data private",
                       AdmmParams, proves_bound=False),
    },
    default_method="centralized",
    **_specs,
    model_size=lambda inst: (2 * len(inst.operations) + (len(inst.transport) + 3) * len(inst.orders)
                             + len(inst.parts)) * inst.num_periods,
    plan_files=("orders.csv", "purchases.csv", "part_stock.csv", "processing.csv", "maintenance.csv",
                "finished_stock.csv", "summary.json"),
    decisions=(
        DecisionSpec("orders", ("order",), ("accepted", "delivered"),
                     "orders whose outcome changed (accepted or not, delivered or not)",
                     absent={"accepted": 0, "delivered": 0}),
        DecisionSpec("processing", ("order", "step", "period"), ("units", "start_hours"),
                     "production that changed (units per order, step and period)", absent={"units": 0},
                     time="start_hours"),
    ),
    replan=lazy("plantwise.acceptance.replanning:replan"),
    replan_events=_replan_events(),
    time_word="hour",
    replan_horizon=_horizon_hours,
))
