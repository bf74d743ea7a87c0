"""Solve a schedule: the CP-SAT model, the dynamic reorder-point iteration, the plan.

``solve(instance, objective, options)`` accepts a document-002 plant
(:class:`ScheduleInstance`) or a bare :class:`Shop` (job shop, hybrid flow shop).

Dynamic reorder point (document 002: ``R_j = dbar_j Lbar_j + Z sigma_j sqrt(Lbar_j)``
with ``Lbar_j`` the schedule's own mean flow time): ``R`` and the schedule depend on
each other, so we iterate

    R^0 = 0;  schedule^i = argmin cost(. | R^i);  R^{i+1} = R(Lbar(schedule^i))

until ``R^{i+1} = R^i`` (to 0.01 units), at most ``MAX_ROP_ITERATIONS`` times. Each
schedule is right-shifted (:mod:`plantwise.schedule.compact`) before its lead times are
measured, so waiting the cost does not see does not inflate the reorder point. A settled
plan is a fixed point: its reorder point is the one its own lead times imply, and it is
optimal (when CP-SAT proves it) for that reorder point. When the iteration does not
settle (a cycle or the limit), the last schedule is reported with the reorder point its
lead times imply, status ``feasible`` and no bound. Every plan is verified.

Search and determinism: the cost objective runs one CP-SAT worker by default (the same input
gives the same plan unless the time limit cuts the search). The makespan and tardiness
objectives run CP-SAT's default parallel search with ``options.threads`` workers (what
CP-SAT and PyJobShop do out of the box, and the fastest configuration measured on the
shared job shops and flow shops, ``benchmarks/BENCHMARKS.md``): its result can differ from
run to run when the search is cut by the time limit. ``deterministic=True`` runs instead
CP-SAT's portfolio of ``PORTFOLIO_WORKERS`` workers interleaved deterministically over the
threads: the same input gives the same plan on every run and machine whenever the search
ends on a proof or a work limit (``options.work_limit``), at the cost of speed (measured in
``benchmarks/BENCHMARKS.md``). Passing ``workers`` > 1 for the cost objective interleaves
them too. The whole method keeps to ``options.time_limit``: CP-SAT gets what is left after
the model is built, less a margin for reading the schedule back and verifying it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from plantwise.core.interrupt import stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus, relative_gap
from plantwise.schedule.compact import right_shift
from plantwise.schedule.expand import (
    build_shop,
    default_jobs,
    lead_times,
    reorder_points,
    static_reorder_points,
)
from plantwise.schedule.instance import ScheduleInstance
from plantwise.schedule.model import OBJECTIVES, CpSatOutcome, Schedule, solve_cpsat
from plantwise.schedule.plan import SchedulePlan
from plantwise.schedule.shop import Shop

MAX_ROP_ITERATIONS = 8
PORTFOLIO_WORKERS = 8  # CP-SAT's portfolio, interleaved deterministically over the threads (deterministic=True)
FINISH_MARGIN = 0.2  # seconds kept from the time limit for reading the schedule back and verifying it


@dataclass
class ScheduleResult:
    status: SolveStatus
    plan: SchedulePlan | None
    summary: dict[str, object] = field(default_factory=dict)


def schedule_frame(shop: Shop, sched: Schedule) -> pd.DataFrame:
    """Rows (job, good, quantity, step, stage, machine, start, end) of the made jobs."""
    ops = np.flatnonzero(sched.op_alt >= 0)
    job = shop.op_job[ops]
    step = np.zeros(shop.num_ops, dtype=np.int64)
    for route in shop.job_ops():
        step[route] = np.arange(1, len(route) + 1)
    goods = shop.inventory.goods if shop.inventory is not None else []
    frame = pd.DataFrame({
        "job": [shop.job_name[k] for k in job],
        "good": [goods[shop.job_good[k]] if shop.job_good[k] >= 0 else "" for k in job],
        "quantity": np.round(shop.job_quantity[job], 4),
        "step": step[ops],
        "stage": [shop.op_stage[o] for o in ops],
        "machine": [shop.machines[shop.alt_machine[sched.op_alt[o]]] for o in ops],
        "start": sched.op_start[ops],
        "end": sched.op_end[ops],
    })
    return frame.sort_values(["start", "job", "step"], kind="stable").reset_index(drop=True)


def diagnose(shop: Shop) -> list[str]:
    """Why a shop has no schedule: jobs that cannot finish by the horizon even alone on
    empty machines, shelf lives shorter than the fastest processing between their stages,
    operations longer than every working window; else the mandatory jobs together exceed
    the machines' time."""
    from plantwise.schedule.bounds import earliest_completion

    reasons = []
    alts = shop.op_alts()
    windows = int(np.max(np.diff(shop.working_windows(), axis=1)))
    for o in range(shop.num_ops):
        shortest = int(shop.alt_duration[alts[o]].min())
        if shortest > windows:
            reasons.append(f"job '{shop.job_name[shop.op_job[o]]}' {shop.op_stage[o]} takes at least {shortest} "
                           f"{shop.time_unit}, longer than any working window ({windows})")
    finish = earliest_completion(shop)
    for k in np.flatnonzero(~shop.job_optional & (finish > shop.horizon)):
        reasons.append(f"job '{shop.job_name[k]}' cannot finish by the horizon {shop.horizon} even alone "
                       f"(earliest {finish[k]} {shop.time_unit})")
    for k, o_from, o_to, lag in shop.lags:
        shortest = sum(int(shop.alt_duration[alts[o]].min()) for o in range(int(o_from), int(o_to) + 1))
        if shortest > lag:
            reasons.append(f"job '{shop.job_name[k]}': {shop.op_stage[o_from]} to {shop.op_stage[o_to]} takes at "
                           f"least {shortest} {shop.time_unit}, more than the shelf life {lag}")
    if not reasons:
        reasons.append("every job fits alone; together the mandatory jobs need more machine time than the "
                       "calendar offers before the horizon")
    return reasons[:20]


def _flow(shop: Shop, sched: Schedule) -> np.ndarray:
    routes = shop.job_ops()
    first = np.array([r[0] for r in routes], dtype=np.int64)
    last = np.array([r[-1] for r in routes], dtype=np.int64)
    return np.where(sched.job_made, sched.op_end[last] - sched.op_start[first], 0)


def search_workers(objective: str, options: SolveOptions, workers: int | None,
                   deterministic: bool) -> tuple[int, bool]:
    """(CP-SAT workers, interleaved?) for ``objective`` (see the module docstring)."""
    if objective == "cost":
        w = workers or 1
        return w, w > 1
    if deterministic:
        return workers or PORTFOLIO_WORKERS, True
    return workers or max(1, int(options.threads)), False


def left_for_search(options: SolveOptions, t0: float) -> float | None:
    """Seconds CP-SAT may search: the time limit less what has elapsed since ``t0`` and
    ``FINISH_MARGIN`` for reading the schedule back and verifying it."""
    left = options.remaining(time.perf_counter() - t0)
    return None if left is None else max(0.05, left - FINISH_MARGIN)


RESUME_ABOVE = 1.0  # seconds: a search CP-SAT ends unproven with more time left than this is resumed


def search_to_the_limit(shop: Shop, objective: str, options: SolveOptions, t0: float, workers: int,
                        interleave: bool) -> CpSatOutcome:
    """Solve ``shop`` with CP-SAT and use the whole time limit: stop early only on a proof.

    CP-SAT can end a search unproven before its time limit (measured with the interleaved
    portfolio, whose subsolvers can all finish): while the result is unproven and more than
    ``RESUME_ABOVE`` seconds are left, the search is resumed from the incumbent (as a hint)
    with the time left; the best schedule and the largest bound are kept. A run with a
    ``work_limit`` is not resumed: it stops where its deterministic work budget ends."""
    out = solve_cpsat(shop, objective, options.with_(time_limit=left_for_search(options, t0)), workers=workers,
                      interleave=interleave)
    resumed = 0
    # a work limit is a deliberate early stop (the same plan on any machine state): never resumed
    while out.status == SolveStatus.FEASIBLE and out.schedule is not None and options.work_limit is None \
            and not stop_requested():
        left = left_for_search(options, t0)
        if left is None or left <= RESUME_ABOVE:
            break
        more = solve_cpsat(shop, objective, options.with_(time_limit=left), hint=out.schedule, workers=workers,
                           interleave=interleave)
        resumed += 1
        if more.schedule is None or more.objective is None or out.objective is None:
            break
        best = more if more.objective <= out.objective else out
        bounds = [b for b in (out.bound, more.bound) if b is not None]
        bound = max(bounds) if bounds else None
        proven = more.status == SolveStatus.OPTIMAL or (bound is not None and best.objective is not None
                                                         and bound >= best.objective - 1e-9)
        out = CpSatOutcome(SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE, best.schedule, best.objective,
                           best.objective if proven else bound, out.build_seconds + more.build_seconds,
                           out.solve_seconds + more.solve_seconds, more.message + f" (resumed {resumed}x)")
    return out


def solve(instance: ScheduleInstance | Shop, objective: str = "cost", options: SolveOptions | None = None,
          workers: int | None = None, deterministic: bool = False) -> ScheduleResult:
    """Schedule ``instance`` for ``objective`` (``cost``, ``makespan``, ``weighted-tardiness``).

    ``deterministic`` selects the interleaved portfolio (see the module docstring)."""
    from plantwise.schedule.verifier import inventory_frame, verify_shop

    options = options or SolveOptions()
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    t0 = time.perf_counter()
    history: list[dict[str, object]] = []
    settled = True
    if isinstance(instance, Shop):
        shop = instance
        out = search_to_the_limit(shop, objective, options, t0, *search_workers(objective, options, workers,
                                                                                  deterministic))
        R = None
    else:
        dynamic = instance.reorder_policy == "dynamic"
        R = np.zeros(len(instance.goods)) if dynamic else static_reorder_points(instance)
        seen: list[np.ndarray] = []
        settled = not dynamic
        while True:
            shop = build_shop(instance, default_jobs(instance, R, objective), R)
            w, interleave = search_workers(objective, options, workers, deterministic)
            out = solve_cpsat(shop, objective, options.with_(time_limit=left_for_search(options, t0)), workers=w,
                              interleave=interleave,
                              compact=objective == "cost")
            if out.schedule is not None:
                out.schedule = right_shift(shop, out.schedule)
            entry: dict[str, object] = {"iteration": len(history) + 1, "reorder_point_used": R.tolist(),
                                        "status": str(out.status), "objective": out.objective,
                                        "bound": out.bound, "seconds": round(out.build_seconds + out.solve_seconds, 4)}
            history.append(entry)
            if out.schedule is None or not dynamic:
                break
            L = lead_times(shop, out.schedule.job_made, out.schedule.op_start, out.schedule.op_end)
            R_next = reorder_points(instance, L)
            entry["lead_time_hours"] = np.round(L, 4).tolist()
            entry["reorder_point_implied"] = R_next.tolist()
            if np.allclose(R_next, R, atol=0.005, rtol=0):
                settled = True
                break
            if any(np.allclose(R_next, r, atol=0.005, rtol=0) for r in seen) or len(history) >= MAX_ROP_ITERATIONS \
                    or (options.time_limit is not None and time.perf_counter() - t0 >= options.time_limit):
                break
            seen.append(R)
            R = R_next
    seconds = time.perf_counter() - t0
    summary: dict[str, object] = {"objective_name": objective, "instance": shop.name}
    if out.schedule is None:
        summary.update({"status": str(out.status), "objective": None, "bound": None, "gap": None,
                        "solve_seconds": round(seconds, 4), "message": out.message, "rop_iterations": history})
        if out.status == SolveStatus.INFEASIBLE:
            summary["diagnosis"] = diagnose(shop)
        return ScheduleResult(out.status, None, summary)
    sched = out.schedule
    status, bound = out.status, out.bound
    if shop.inventory is not None and not settled:
        # report the reorder point the schedule's own lead times imply; no bound for it
        L = lead_times(shop, sched.job_made, sched.op_start, sched.op_end)
        shop.inventory.reorder_point = reorder_points(instance, L)  # type: ignore[arg-type]
        status, bound = SolveStatus.FEASIBLE, None
    frame = schedule_frame(shop, sched)
    inventory = inventory_frame(shop, frame) if shop.inventory is not None else pd.DataFrame()
    plan = SchedulePlan(frame, inventory)
    check = verify_shop(shop, plan, objective)
    value = check.objective_value
    made = np.flatnonzero(sched.job_made)
    summary.update({
        "status": str(status),
        "objective": value,
        "bound": bound if bound is None else float(min(bound, value)) if status == SolveStatus.OPTIMAL else bound,
        "gap": relative_gap(value, bound),
        "model_objective": out.objective,
        "cost_breakdown": check.cost_breakdown,
        "makespan": int(frame["end"].max()) if len(frame) else 0,
        "jobs": len(made),
        "solve_seconds": round(seconds, 4),
        "build_seconds": round(out.build_seconds, 4),
        "solver": "cpsat",
        "time_unit": shop.time_unit,
        "verified": check.ok,
        "violations": [str(v) for v in check.violations[:20]],
    })
    if shop.inventory is not None:
        goods = shop.inventory.goods
        L = lead_times(shop, sched.job_made, sched.op_start, sched.op_end)
        produced = np.bincount(shop.job_good[made], weights=shop.job_quantity[made], minlength=len(goods))
        summary.update({
            "amount_produced": float(produced.sum()),
            "jobs_per_good": {goods[g]: int(n) for g, n in enumerate(np.bincount(shop.job_good[made],
                                                                                  minlength=len(goods))) if n},
            "reorder_point": {goods[g]: float(r) for g, r in enumerate(shop.inventory.reorder_point)},
            "average_lead_time_hours": float(L[L > 0].mean()) if np.any(L > 0) else 0.0,
            "reorder_policy": instance.reorder_policy if isinstance(instance, ScheduleInstance) else "static",
            "rop_settled": settled,
            "rop_iterations": history,
            "total_flow_minutes": int(_flow(shop, sched).sum()),
        })
        if len(goods) <= 50:
            summary["amount_produced_per_good"] = {goods[g]: float(q) for g, q in enumerate(produced) if q}
    plan.summary = summary
    return ScheduleResult(status, plan, summary)
