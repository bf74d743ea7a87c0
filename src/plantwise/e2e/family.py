"""The e2e family on the shared contract (:mod:`plantwise.core.family`): document 001."""

from __future__ import annotations

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
from plantwise.core.rolling import RollingSpec

KPI_KEYS = ("produced_units", "shipped_units", "transferred_units", "stockout_unit_days", "phase")
EXECUTORS = ("serial", "process", "ray")


@dataclass(frozen=True)
class MetaParams:
    """Parameters of the metaheuristic methods (configurator, ga, pso)."""

    executor: str = param("serial", "where the per-plant GA/PSO runs go", choices=EXECUTORS)
    workers: int = param(2, "processes (process) or CPUs (ray) of the executor", minimum=1)


@dataclass(frozen=True)
class GroupParams:
    """Parameters of the SKU-group decomposition (and of ``exact`` where it decomposes)."""

    group_skus: int = param(400, "SKUs per group of the SKU-group decomposition", unit="SKUs", minimum=1)


@dataclass(frozen=True)
class E2EGenerate:
    """Options of ``plantwise e2e generate``."""

    scenario: int = param(1, "the document's scenario 1, 2 or 3", minimum=1)
    seed: int = param(1, "random seed")
    skus: int | None = param(None, "plant A's SKU count (default 200; B keeps 170/200)", unit="SKUs", minimum=1)


def _generate(p: E2EGenerate) -> Any:
    from plantwise.e2e.generator import generate

    if p.scenario not in (1, 2, 3):
        raise ValueError(f"scenario must be 1, 2 or 3, got {p.scenario}")
    return generate(p.scenario, p.seed, p.skus)


def _runner(method: str) -> Any:
    def run(inst: Any, options: SolveOptions, params: Any) -> MethodOutput:
        from plantwise.core.executors import get_executor
        from plantwise.e2e.methods import solve

        executor_name = getattr(params, "executor", "serial")
        with get_executor(executor_name, workers=getattr(params, "workers", 2)) as executor:
            result = solve(inst, method, options, executor=executor, check=False,  # the pipeline verifies
                           group_skus=getattr(params, "group_skus", None))
        return output_from_summary(result.plan, dict(result.summary), KPI_KEYS, status=result.status)

    return run


def _tolerance() -> float:
    from plantwise.e2e.replanning import DECISION_TOLERANCE

    return DECISION_TOLERANCE


def _replan_events() -> dict[str, Any]:
    from plantwise.e2e.replanning import EVENTS

    return EVENTS


_specs = dict(zip(("input_specs", "scalar_specs"), specs_of("plantwise.e2e.instance", "SPECS", "SCALAR_SPECS"),
                  strict=True))

FAMILY = register(Family(
    name="e2e",
    document="001",
    title="Production + distribution planning with inter-plant transfer",
    sense="min",
    **conventional_functions("e2e"),
    generate=_generate,
    generate_params=E2EGenerate,
    checksum=lambda inst: inst.checksum(),
    methods={
        "exact": Method("exact", _runner("exact"), "the integrated MILP: LP relaxation, LP dive, HiGHS warm-started "
                        "(by SKU groups when the model is too large for one MILP)", GroupParams),
        "sku-groups": Method("sku-groups", _runner("sku-groups"), "SKU groups under Lagrangian hour prices: a "
                             "proven bound and a plan for instances too large for one MILP (exact switches to it "
                             "by itself there)", GroupParams),
        "decomposed": Method("decomposed", _runner("decomposed"), "the document's decomposition solved exactly: "
                             "production MILP first, then distribution (LP)", NoParams, proves_bound=False),
        "configurator": Method("configurator", _runner("configurator"), "the document's three-phase GA/PSO "
                               "configurator (Figure 7)", MetaParams, proves_bound=False),
        "ga": Method("ga", _runner("ga"), "GA alone over the joint problem", MetaParams, proves_bound=False),
        "pso": Method("pso", _runner("pso"), "PSO alone over the joint problem", MetaParams, proves_bound=False),
    },
    default_method="exact",
    **_specs,
    formats={"trigeiro": lazy("plantwise.e2e.trigeiro:read_trigeiro")},
    model_size=lambda inst: (3 * inst.num_pairs + 4 * inst.num_dc_positions + 2 * len(inst.move_from)) * inst.horizon,
    plan_files=("production.csv", "shipments.csv", "transfers.csv", "plant_inventory.csv", "dc_inventory.csv",
                "summary.json"),
    # the day (1..T, as in the plan) is when a decision takes effect: production, departure. Quantities
    # closer than 1e-4 units are the same decision: plans are written to 6 decimals, and a re-plan's
    # history (fixed at those rounded values) shifts balance-determined quantities by about 1e-6
    decisions=(
        DecisionSpec("production", ("line", "sku", "day"), ("quantity",), "production that moved (SKU x line x day)",
                     tolerance=_tolerance(), absent={"quantity": 0.0}, time="day"),
        DecisionSpec("shipments", ("plant", "dc", "sku", "day"), ("quantity",), "shipments to DCs that changed",
                     tolerance=_tolerance(), absent={"quantity": 0.0}, time="day"),
        DecisionSpec("transfers", ("from_plant", "to_plant", "sku", "day"), ("quantity",),
                     "inter-plant transfers that changed", tolerance=_tolerance(), absent={"quantity": 0.0},
                     time="day"),
    ),
    replan=lazy("plantwise.e2e.replanning:replan"),
    replan_events=_replan_events(),
    time_word="day",
    rolling=RollingSpec(lazy("plantwise.e2e.rolling:draw_events")),
))
