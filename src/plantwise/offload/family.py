"""The offload family on the shared contract (:mod:`plantwise.core.family`): document 000."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plantwise.core.decisions import DecisionSpec
from plantwise.core.family import (
    Family,
    Method,
    MethodOutput,
    conventional_functions,
    lazy,
    output_from_summary,
    param,
    register,
    specs_of,
)
from plantwise.core.options import SolveOptions
from plantwise.core.rolling import RollingSpec

KPI_KEYS = ("replenishment", "baseline_cost", "baseline_status", "baseline_bound", "baseline_gap", "saving_pct",
            "offloaded_orders", "orders_per_site", "transshipment_periods", "transshipped_units")


@dataclass(frozen=True)
class OffloadParams:
    """Parameters every offload method takes."""

    replenishment: str | None = param(None, "replenishment rule: sS (the document's) or free (default: the "
                                            "instance's)", choices=("sS", "free"))
    baseline: bool = param(True, "also solve the initial-assignment baseline (20 % of the time) to report the "
                                 "saving of offloading")


@dataclass(frozen=True)
class OffloadGenerate:
    """Options of ``plantwise offload generate``."""

    orders: int = param(100, "number of orders", unit="orders", minimum=1)
    seed: int = param(1, "random seed of the generator")
    horizon: int = param(50, "planning horizon T", unit="periods", minimum=10)
    replenishment: str | None = param(None, "replenishment rule written into the instance (default sS)",
                                      choices=("sS", "free"))


def _generate(p: OffloadGenerate) -> Any:
    from plantwise.offload.generator import generate

    inst = generate(p.orders, p.seed, p.horizon)
    if p.replenishment:
        inst.replenishment = p.replenishment
    return inst


def _replan_events() -> dict[str, Any]:
    from plantwise.offload.replanning import EVENTS

    return EVENTS


def _runner(method: str) -> Any:
    bound_sources = {
        "milp": "HiGHS branch-and-bound (at least the LP relaxation)",
        "cpsat": "CP-SAT (at least the LP relaxation)",
        "gurobi": "Gurobi branch-and-bound (at least the LP relaxation)",
        "heuristic": "LP relaxation of the full model",
    }

    def run(inst: Any, options: SolveOptions, params: OffloadParams) -> MethodOutput:
        from plantwise.offload.methods import solve

        result = solve(inst, method, params.replenishment, options, baseline=params.baseline)
        summary = dict(result.summary)
        summary.setdefault("replenishment", params.replenishment or inst.replenishment)
        return output_from_summary(result.plan, summary, KPI_KEYS, status=result.status,
                                   bound_source=bound_sources[method])

    return run


def _gurobi_missing(inst: Any) -> str | None:
    from plantwise.core.backends import get_backend

    try:
        if get_backend("gurobi").available():
            return None
    except Exception:
        pass
    return "method gurobi needs gurobipy and a Gurobi licence: pip install 'plantwise[gurobi]' (or gurobipy)"


_specs = dict(zip(("input_specs", "scalar_specs"), specs_of("plantwise.offload.instance", "SPECS", "SCALAR_SPECS"),
                  strict=True))

FAMILY = register(Family(
    name="offload",
    document="000",
    title="Order offloading across sites with parts inventory, (s,S) replenishment and transshipment",
    sense="min",
    **conventional_functions("offload"),
    generate=_generate,
    generate_params=OffloadGenerate,
    checksum=lambda inst: inst.checksum(),
    methods={
        "milp": Method("milp", _runner("milp"), "HiGHS on the full MILP, warm-started, then fix-and-optimise LNS",
                       OffloadParams),
        "cpsat": Method("cpsat", _runner("cpsat"), "CP-SAT on the same model (all data integral)", OffloadParams),
        "gurobi": Method("gurobi", _runner("gurobi"), "Gurobi on the same model, when installed and licensed",
                         OffloadParams, applies=_gurobi_missing),
        "heuristic": Method("heuristic", _runner("heuristic"), "constructive heuristic + fix-and-optimise LNS; "
                            "bound: the LP relaxation", OffloadParams, proves_bound=False),
    },
    default_method="milp",
    **_specs,
    model_size=lambda inst: int(inst.last_start().clip(0).sum()) + 6 * inst.num_sites * inst.num_parts * inst.horizon
    + 2 * int(inst.lane.sum()) * inst.horizon,
    plan_files=("assignments.csv", "purchases.csv", "transshipments.csv", "inventory.csv", "summary.json"),
    decisions=(
        DecisionSpec("assignments", ("order",), ("site", "start"), "orders that changed site or start period",
                     time="start"),
        DecisionSpec("purchases", ("site", "part", "period"), ("quantity",), "purchases that changed",
                     absent={"quantity": 0}, time="period"),
        DecisionSpec("transshipments", ("from_site", "to_site", "part", "period"), ("quantity",),
                     "transshipments that changed", absent={"quantity": 0}, time="period"),
    ),
    replan=lazy("plantwise.offload.replanning:replan"),
    replan_events=_replan_events(),
    rolling=RollingSpec(lazy("plantwise.offload.rolling:draw_events"), {"baseline": False}),
))
