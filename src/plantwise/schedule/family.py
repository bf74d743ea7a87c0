"""The schedule family on the shared contract (:mod:`plantwise.core.family`): document 002.

Methods: ``exact`` (one CP-SAT model with the reorder-point fixed point), ``large`` (windows,
bounds and LNS for big plants), and the default ``auto``: ``large`` for a plant of
``AUTO_LARGE_GOODS`` goods or more when it applies (cost objective, one batch size per good),
else ``exact`` — the summary's ``method_choice`` says which and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

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

AUTO_LARGE_GOODS = 20  # from this many goods on, one exact CP-SAT model is out of reach in minutes
OBJECTIVES = ("cost", "makespan", "weighted-tardiness")
KPI_KEYS = ("objective_name", "makespan", "jobs", "time_unit", "amount_produced", "jobs_per_good",
            "reorder_point", "reorder_point_mean", "average_lead_time_hours", "reorder_policy", "rop_settled",
            "total_flow_minutes", "amount_produced_per_good", "format")


@dataclass(frozen=True)
class ScheduleParams:
    """Parameters of the schedule methods."""

    objective: str = param("cost", "what to minimise", choices=OBJECTIVES)
    workers: int | None = param(None, "CP-SAT search workers (default: 1 for cost; --threads for makespan and "
                                      "tardiness, or 8 interleaved with --deterministic)", minimum=1)
    deterministic: bool = param(False, "makespan and tardiness: CP-SAT's 8-worker portfolio interleaved "
                                       "deterministically, so a run that ends on a proof or --work-limit gives the "
                                       "same schedule every time (slower than the default parallel search: "
                                       "benchmarks/BENCHMARKS.md)")


@dataclass(frozen=True)
class ScheduleGenerate:
    """Options of ``plantwise schedule generate``."""

    scenario: int = param(2, "the document's case-study scenario 1..8", minimum=1)
    large: bool = param(False, "a plant at the document's future scale instead of a scenario")
    goods: int = param(1_050, "goods of --large", unit="goods", minimum=1)
    recipes: int = param(420, "recipes of --large", unit="recipes", minimum=1)
    seed: int = param(1, "random seed of --large")


def _generate(p: ScheduleGenerate) -> Any:
    from plantwise.schedule.generator import document_scenario, large

    return large(p.seed, p.goods, p.recipes) if p.large else document_scenario(p.scenario)


def _is_plant(inst: Any) -> bool:
    from plantwise.schedule.instance import ScheduleInstance

    return isinstance(inst, ScheduleInstance)


def _large_reason(inst: Any, objective: str = "cost") -> str | None:
    if not _is_plant(inst):
        return "method large schedules document-002 plants; job shops and flow shops use method exact"
    if inst.disrupted:
        return "method large does not model machine downtime, stock adjustments or yield losses (a re-plan's " \
               "changed instance); use method exact"
    if objective != "cost":
        return "method large minimises cost; use method exact for makespan or weighted-tardiness"
    if inst.goods["min_batch"].notna().any():
        return "method large needs one batch size per good (batch_size or the EPQ); min_batch/max_batch goods " \
               "need method exact"
    return None


def _choose(inst: Any) -> tuple[str, str]:
    if _is_plant(inst) and len(inst.goods) >= AUTO_LARGE_GOODS and _large_reason(inst) is None:
        return "large", (f"auto: {len(inst.goods)} goods (>= {AUTO_LARGE_GOODS}): one exact CP-SAT model is out of "
                         "reach, so the large-plant method (windows, bounds, LNS)")
    why = "a job shop or flow shop" if not _is_plant(inst) else f"{len(inst.goods)} goods (< {AUTO_LARGE_GOODS})"
    return "exact", f"auto: {why}: the exact CP-SAT model"


def _run_exact(inst: Any, options: SolveOptions, params: ScheduleParams) -> MethodOutput:
    from plantwise.schedule.methods import solve

    result = solve(inst, params.objective, options, workers=params.workers, deterministic=params.deterministic)
    return _output(result, "CP-SAT's best objective bound")


def _run_large(inst: Any, options: SolveOptions, params: ScheduleParams) -> MethodOutput:
    from plantwise.core.pipeline import MethodNotApplicable
    from plantwise.schedule.large import solve_large

    reason = _large_reason(inst, params.objective)
    if reason:
        raise MethodNotApplicable(reason)
    result = solve_large(inst, params.objective, options, workers=params.workers)
    return _output(result, "max(capacity-free bound, Lagrangian stage-capacity bound)")


def _output(result: Any, bound_source: str) -> MethodOutput:
    summary = dict(result.summary)
    return output_from_summary(result.plan, summary, KPI_KEYS, status=result.status,
                               bound_source=bound_source if summary.get("bound") is not None else
                               "none: the reorder-point iteration did not settle, so no bound holds for the "
                               "reported reorder point")


def _checksum(inst: Any) -> str:
    if hasattr(inst, "checksum"):
        return str(inst.checksum())
    h = hashlib.sha256()  # a bare Shop (job shop, flow shop): every field's content
    for f in dataclasses.fields(inst):
        value = getattr(inst, f.name)
        h.update(f.name.encode())
        h.update(np.asarray(value).tobytes() if isinstance(value, np.ndarray) else repr(value).encode())
    return h.hexdigest()[:16]


def _replan_events() -> dict[str, Any]:
    from plantwise.schedule.events import EVENTS

    return EVENTS


def _replan_horizon(inst: Any) -> int:
    """The horizon in hours (the unit of ``now`` and the events' times), rounded up."""
    from plantwise.schedule.instance import MINUTES_PER_HOUR

    return int(-(-int(inst.calendar.horizon) // MINUTES_PER_HOUR))

_specs = dict(zip(("input_specs", "scalar_specs"), specs_of("plantwise.schedule.instance", "ALL_SPECS", "SCALAR_SPECS"),
                  strict=True))

FAMILY = register(Family(
    name="schedule",
    document="002",
    title="Multi-stage scheduling on parallel machines with batch sizing, reorder points and shelf life",
    sense="min",
    **conventional_functions("schedule"),
    generate=_generate,
    generate_params=ScheduleGenerate,
    checksum=_checksum,
    methods={
        "exact": Method("exact", _run_exact, "one CP-SAT model (with the dynamic reorder-point fixed point)",
                        ScheduleParams),
        "large": Method("large", _run_large, "large plants: capacity-free and Lagrangian bounds, constructive "
                        "schedule, CP-SAT LNS", ScheduleParams, proves_bound=False,
                        applies=lambda inst: _large_reason(inst)),
    },
    default_method="auto",
    choose_method=_choose,
    **_specs,
    formats={"jsplib": lazy("plantwise.schedule.shop:read_jsplib"), "hfs": lazy("plantwise.schedule.shop:read_hfs")},
    native_format="plant",
    plan_files=("schedule.csv", "inventory.csv", "summary.json"),
    # a job step is a decision: its machine (text, exact) and start (whole minutes, exact: the
    # default tolerance; time_scale 60 puts it in the hours of `now`)
    decisions=(DecisionSpec("schedule", ("job", "step"), ("machine", "start"), "job steps that moved machine or start",
                            time="start", time_scale=60),),
    replan=lazy("plantwise.schedule.replanning:replan"),
    replan_events=_replan_events(),
    time_word="hour",
    replan_horizon=_replan_horizon,
))
