"""Re-planning a schedule after changes (:mod:`plantwise.core.replan` has the common rules).

Time: ``now``, ``freeze_until`` and the events' times are **hours from the schedule's start**
(wall clock, the start of week 1); the plan's ``start`` and ``end`` are minutes, so a step
with start ``s`` is in hour ``s / 60``. Write ``N = 60 now`` and ``F = 60 freeze_until``.

Events, applied in order to a copy of the instance (:func:`apply_events`):

* ``machine_down`` (machine, from, to): a row of ``machine_downtime.csv``; the machine does
  nothing in ``[from, to)`` (the model and the verifier both honour it). It may not overlap a
  step that started before now on that machine: history continues as it is.
* ``rush_order`` (good, quantity, due): ``quantity`` is added to the demand of the period
  that contains hour ``due`` (a due in a break counts in the last period before the break),
  or of the first period ending after now if that period is already over.
* ``demand`` (good, quantity, due): the forecast of the period containing hour ``due``
  becomes ``quantity`` (that period must end after now).
* ``yield_loss`` (job, quantity): a job of the plan that started before now loses
  ``quantity`` units of its output (``yield_losses.csv``): its stock receipt is its output
  less the loss. Its steps and costs are unchanged.
* ``stock_actual`` (good, quantity): ``quantity`` is the good's net stock (on hand less
  backlog) at the end of the period containing now (at now itself when now is a period end
  or in a break), counting the jobs whose last step started before now. The difference to
  what the plan's history gives there is a row of ``stock_adjustments.csv`` in that period.

A demand event leaves the goods' batch sizes and demand rates as they were: for a good
whose ``annual_demand`` or ``mean_demand`` was blank, the old value (the horizon's demand,
the demand per working hour) is written into the changed instance, so its EPQ, the size
of the jobs already made, and the reorder-point formula's rate stay what they were.

Jobs. Old jobs keep their names; a job with a step before now is made (mandatory), every
other old job may be dropped. New candidate jobs (optional, as many as the cold model of
the changed instance offers, less one per old job of the same good and size, plus enough
for the losses and negative adjustments) are named ``<good>#<n>`` with ``n`` after the
largest number the good's old jobs use; no job is renumbered. A decision is a job step
``(job, step)``: its ``machine`` and ``start``, compared exactly (tolerance 0 minutes:
starts are whole minutes).

The model is :func:`plantwise.schedule.model.solve_cpsat` of the changed instance with
these jobs (symmetry breaking only among the new candidates), plus, per old step ``o``
with old alternative ``a_o`` (its machine) and old start ``s_o``:

* history (``s_o < N``): ``y_{a_o} = 1`` and ``start_o = s_o`` (so its end is too): a step
  running at now continues as it is;
* nothing new before now: ``start_o >= N x_k`` for the first step ``o`` of job ``k`` that is
  not history (``x_k`` made; later steps follow by precedence);
* fence (``N <= s_o < F``): a Boolean ``m_o`` with ``m_o = 0 => y_{a_o} = 1, start_o = s_o``
  and ``W m_o`` in the objective, ``W = 1 +`` the largest value the cost terms can take
  ``+`` every change penalty: keeping one more frozen step is worth more than anything
  else, so only what must move moves (and each is named, with the reason);
* beyond (``s_o >= F``): a Boolean ``c_o`` with ``c_o = 0 => y_{a_o} = 1, start_o = s_o``
  and ``change_penalty * c_o`` in the objective; each step of a new job made costs
  ``change_penalty`` too (an added decision). Penalties are in the objective's unit,
  currency, per changed job step, so the penalty part is ``change_penalty`` times the
  number of rows of ``changes.csv`` beyond the fence.

The warm start is the old plan as CP-SAT hints. With the ``dynamic`` reorder policy the
reorder point is iterated as in :mod:`plantwise.schedule.methods` (from the old plan's).
The reported objective is the plan's own cost as the verifier recomputes it against the
changed instance, without penalties; no bound is claimed for it (``bound=None``); CP-SAT's
objective and bound with the penalties are in ``details.replan_cpsat``. ``change_penalty``
0 with ``freeze_until == now`` adds no term: the cold re-optimum under the same history.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.family import MethodOutput
from plantwise.core.interrupt import stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.replan import Changes, Replanned
from plantwise.core.result import SolveStatus
from plantwise.core.summary import lookup
from plantwise.schedule.events import EVENTS as SCHEDULE_EVENTS
from plantwise.schedule.expand import (
    build_shop,
    default_jobs,
    lead_times,
    reorder_points,
    static_reorder_points,
)
from plantwise.schedule.instance import (
    MINUTES_PER_HOUR,
    ScheduleInstance,
    from_frames,
    mean_demand,
)
from plantwise.schedule.methods import MAX_ROP_ITERATIONS, schedule_frame
from plantwise.schedule.model import COST_SCALE, CpSatOutcome, ModelVars, Schedule, solve_cpsat
from plantwise.schedule.plan import SchedulePlan
from plantwise.schedule.shop import Shop
from plantwise.schedule.verifier import _natural, inventory_frame, verify

START_TOLERANCE_MINUTES = 0  # a start that differs by more than this is a change (starts are whole minutes)

EVENTS = SCHEDULE_EVENTS  # the event kinds (plantwise.schedule.events)


def _fail(changes: Changes, k: int, event: dict[str, Any], column: str | None, message: str) -> InputError:
    return InputError(changes.source, None, column, f"event {k} ({event['kind']}): {message}")


def _hours(minutes: float) -> str:
    return f"{round(minutes / MINUTES_PER_HOUR, 2):g} h"


def period_of(inst: ScheduleInstance, minute: int) -> int:
    """The 0-based period that contains wall-clock ``minute`` (``start < minute <= end``); in a
    break, the last period before it; before the first period, the first."""
    ends = inst.calendar.period_ends()
    starts = ends - round(inst.calendar.period_hours * MINUTES_PER_HOUR)
    return max(int(np.searchsorted(starts, minute, side="left")) - 1, 0)


def _old_jobs(plan: SchedulePlan) -> pd.DataFrame:
    """One row per job of the plan (job, good, quantity, first start, last start, end), in
    job-name order."""
    frame = plan.schedule
    jobs = frame.groupby("job", sort=False).agg(good=("good", "first"), quantity=("quantity", "first"),
                                                first_start=("start", "min"), last_start=("start", "max"),
                                                end=("end", "max")).reset_index()
    order = sorted(range(len(jobs)), key=lambda i: _natural(str(jobs["job"].iat[i])))
    return jobs.iloc[order].reset_index(drop=True)


def apply_events(inst: ScheduleInstance, plan: SchedulePlan, changes: Changes) -> ScheduleInstance:
    """The instance with the events applied (module docstring); every defect is named by
    event and field, all raised together as one :class:`InputErrors`."""
    now = changes.now * MINUTES_PER_HOUR
    goods, machines = inst.good_ids, inst.machine_ids
    gidx = {g: i for i, g in enumerate(goods)}
    sched = plan.schedule
    past = sched[sched["start"].to_numpy(np.int64) < now]
    jobs = _old_jobs(plan).set_index("job")
    ends = inst.calendar.period_ends()
    P = len(ends)
    first_future = int(np.searchsorted(ends, now, side="right"))  # first period ending after now
    demand = inst.demand.copy()
    adjust = inst.adjustment_matrix()
    losses = Counter(inst.losses())
    downtime = [inst.downtime]
    touched: set[int] = set()
    counted: dict[int, int] = {}
    errors: list[InputError] = []
    for k, event in enumerate(changes.events, start=1):
        kind = event["kind"]
        if kind == "machine_down":
            machine, a, b = str(event["machine"]), float(event["from"]), float(event["to"])
            if machine not in machines:
                errors.append(_fail(changes, k, event, "machine", f"unknown machine {machine!r}; the machines are "
                                                                  f"{', '.join(machines)}"))
                continue
            if a >= b:
                errors.append(_fail(changes, k, event, "to", f"must be after from ({a:g} h), got {b:g} h"))
                continue
            a_min, b_min = a * MINUTES_PER_HOUR, b * MINUTES_PER_HOUR
            hit = past[(past["machine"] == machine) & (past["start"] < b_min) & (past["end"] > a_min)]
            if len(hit):
                row = hit.iloc[0]
                errors.append(_fail(changes, k, event, "from", (
                    f"machine {machine} runs job {row['job']} step {row['step']} in [{_hours(row['start'])}, "
                    f"{_hours(row['end'])}), which started before now ({changes.now} h) and continues as it is: "
                    "the downtime must not overlap it")))
                continue
            downtime.append(pd.DataFrame({"machine": [machine], "from_hour": [a], "to_hour": [b]}))
        elif kind in ("rush_order", "demand"):
            good = str(event["good"])
            if good not in gidx:
                errors.append(_fail(changes, k, event, "good", f"unknown good {good!r}"))
                continue
            if first_future >= P:
                errors.append(_fail(changes, k, event, "due", f"no inventory period ends after now "
                                                              f"({changes.now} h): nothing can change"))
                continue
            g, p = gidx[good], period_of(inst, round(float(event["due"]) * MINUTES_PER_HOUR))
            if kind == "demand":
                if p < first_future:
                    errors.append(_fail(changes, k, event, "due", (
                        f"hour {event['due']:g} is in period {p + 1}, which ended by now ({changes.now} h): its "
                        "demand is history (a count of the stock is a stock_actual)")))
                    continue
                demand[g, p] = float(event["quantity"])
            else:
                demand[g, max(p, first_future)] += float(event["quantity"])
            touched.add(g)
        elif kind == "yield_loss":
            job = str(event["job"])
            if job not in jobs.index:
                errors.append(_fail(changes, k, event, "job", f"unknown job {job!r}: not in the plan"))
                continue
            if jobs.at[job, "first_start"] >= now:
                errors.append(_fail(changes, k, event, "job", (
                    f"job {job} starts at {_hours(jobs.at[job, 'first_start'])}, not before now ({changes.now} h): "
                    "a yield loss is of a job made or running")))
                continue
            left = float(jobs.at[job, "quantity"]) - losses[job]
            if float(event["quantity"]) > left + 1e-9:
                errors.append(_fail(changes, k, event, "quantity", f"{event['quantity']:g} units is more than job "
                                                                   f"{job} has left to lose ({left:g})"))
                continue
            losses[job] += float(event["quantity"])
        elif kind == "stock_actual":
            good = str(event["good"])
            if good not in gidx:
                errors.append(_fail(changes, k, event, "good", f"unknown good {good!r}"))
                continue
            g = gidx[good]
            if g in counted:
                errors.append(_fail(changes, k, event, "good", f"good {good} was counted already (event "
                                                               f"{counted[g]})"))
                continue
            counted[g] = k
            p = period_of(inst, now)
            done = jobs[(jobs["good"] == good) & (jobs["last_start"] < now)]
            arrive = np.searchsorted(ends, done["end"].to_numpy(np.int64), side="left")
            received = (done["quantity"].to_numpy(float) - done.index.map(lambda j: losses[j]).to_numpy(float))
            planned = (float(inst.goods["initial_inventory"].iat[g]) + float(received[arrive <= p].sum())
                       + float(adjust[g, : p + 1].sum() - demand[g, : p + 1].sum()))
            adjust[g, p] += float(event["quantity"]) - planned
    if errors:
        raise InputErrors(errors)
    frames = inst.to_frames()
    gg, pp = np.nonzero(demand)
    frames["demand"] = pd.DataFrame({"good": np.array(goods, dtype=object)[gg], "period": pp + 1,
                                     "quantity": demand[gg, pp]})
    if touched:  # the batch sizes and demand rates stay those of the plan (module docstring)
        horizon_demand = inst.demand.sum(axis=1)
        rates = mean_demand(inst)
        g_frame = frames["goods"]
        for g in sorted(touched):
            row = g_frame.index[g]
            if pd.isna(g_frame.at[row, "annual_demand"]):  # the EPQ's D: the old horizon's demand
                g_frame.loc[row, "annual_demand"] = float(horizon_demand[g])
            if pd.isna(g_frame.at[row, "mean_demand"]):  # the EPQ's and the reorder point's rate
                g_frame.loc[row, "mean_demand"] = float(rates[g])
    down = pd.concat([d for d in downtime if len(d)], ignore_index=True) if any(len(d) for d in downtime) else None
    if down is not None:
        frames["machine_downtime"] = down.drop_duplicates(["machine", "from_hour"], keep="last")
    ag, ap = np.nonzero(np.abs(adjust) > 1e-9)
    if len(ag):
        frames["stock_adjustments"] = pd.DataFrame({"good": np.array(goods, dtype=object)[ag], "period": ap + 1,
                                                    "quantity": np.round(adjust[ag, ap], 6)})
    else:
        frames.pop("stock_adjustments", None)
    if losses:
        frames["yield_losses"] = pd.DataFrame({"job": list(losses), "quantity": [float(q) for q in losses.values()]})
    try:
        return from_frames(frames, {**inst.scalars(), "name": f"{inst.name}-replanned"})
    except InputErrors as exc:  # a change that breaks a cross-table rule, said in the changes file's terms
        raise InputErrors([InputError(changes.source, None, None, f"after the events: {e}") for e in exc.errors]
                          ) from None


def _candidates(new: ScheduleInstance, old: pd.DataFrame, R: np.ndarray) -> tuple[list[tuple[int, float, bool]],
                                                                                  list[str]]:
    """New optional jobs ``(good, output, True)`` and their names (module docstring)."""
    goods = new.good_ids
    gidx = {g: i for i, g in enumerate(goods)}
    pool = Counter((g, round(q, 2)) for g, q, _ in default_jobs(new, R, "cost"))
    for good, qty in zip(old["good"], old["quantity"], strict=True):
        key = (gidx[good], round(float(qty), 2))
        if pool[key] > 0:
            pool[key] -= 1
    jobs = [(g, q, True) for (g, q), n in sorted(pool.items()) for _ in range(n)]
    # more for what the losses and negative adjustments take away, of each good's largest size
    lost = np.zeros(len(goods))
    for job, q in new.losses().items():
        hit = old.loc[old["job"] == job, "good"]
        if len(hit):
            lost[gidx[hit.iat[0]]] += q
    lost += np.maximum(-new.adjustment_matrix().sum(axis=1), 0.0)
    largest: dict[int, float] = {}
    for g, q, _ in default_jobs(new, R, "cost"):
        largest[g] = max(largest.get(g, 0.0), q)
    for g in np.flatnonzero(lost > 0):
        jobs += [(int(g), largest[int(g)], True)] * math.ceil(lost[g] / largest[int(g)] - 1e-9)
    jobs.sort(key=lambda j: (j[0], -j[1]))
    used = set(old["job"].astype(str))
    top: dict[int, int] = {}
    for job, good in zip(old["job"], old["good"], strict=True):
        match = re.fullmatch(r".*#(\d+)", str(job))
        top[gidx[good]] = max(top.get(gidx[good], 0), int(match.group(1)) if match else 0)
    names = []
    for g, _, _ in jobs:
        n = top.get(g, 0) + 1
        while f"{goods[g]}#{n}" in used:
            n += 1
        top[g] = n
        used.add(f"{goods[g]}#{n}")
        names.append(f"{goods[g]}#{n}")
    return jobs, names


def _bad_plan(message: str) -> InputErrors:
    return InputErrors([InputError("schedule.csv", None, None, message)])


def replan(inst: ScheduleInstance, plan: SchedulePlan, changes: Changes, options: SolveOptions) -> Replanned:
    """Re-plan ``plan`` of ``inst`` after ``changes`` (see the module docstring)."""
    if not isinstance(inst, ScheduleInstance):
        raise InputErrors([InputError(changes.source, None, None, "re-planning needs a document-002 plant; job "
                                                                  "shops and flow shops have no re-plan")])
    objective_name = str(lookup(plan.summary, "objective_name", "cost"))
    if objective_name != "cost":
        raise _bad_plan(f"the plan was made for {objective_name}; re-planning keeps plans made for cost")
    check_old = verify(inst, plan, "cost")
    if check_old.violations:
        raise _bad_plan("the plan does not verify against the instance: "
                        + "; ".join(str(v) for v in check_old.violations[:3]))
    t0 = time.perf_counter()
    new = apply_events(inst, plan, changes)
    N, F = changes.now * MINUTES_PER_HOUR, changes.freeze_until * MINUTES_PER_HOUR
    old_jobs = _old_jobs(plan)
    gidx = {g: i for i, g in enumerate(new.good_ids)}
    dynamic = new.reorder_policy == "dynamic"
    if dynamic:
        stated = plan.inventory.drop_duplicates("good").set_index("good")["reorder_point"] if len(plan.inventory) \
            else pd.Series(dtype=float)
        R = np.array([float(stated.get(g, 0.0)) for g in new.good_ids])
    else:
        R = static_reorder_points(new)
    history_job = (old_jobs["first_start"] < N).to_numpy()
    fence_job = old_jobs["job"].isin(plan.schedule.loc[(plan.schedule["start"] >= N) & (plan.schedule["start"] < F),
                                                       "job"]).to_numpy()
    extra, extra_names = _candidates(new, old_jobs, R)
    # without a penalty, an old job with no step before freeze_until is as free as a new candidate:
    # it joins them in the symmetry breaking (each good and size its own chain, old jobs first)
    free_old = ~history_job & ~fence_job & (changes.change_penalty == 0)
    entries = [(gidx[g], float(q), not bool(h), str(j), bool(f), False)
               for g, q, h, j, f in zip(old_jobs["good"], old_jobs["quantity"], history_job, old_jobs["job"],
                                        free_old, strict=True)]
    entries += [(g, q, True, name, True, True) for (g, q, _), name in zip(extra, extra_names, strict=True)]
    entries.sort(key=lambda e: (e[4], e[0], -e[1], e[5]) if e[4] else (False, 0, 0.0, False))
    jobs = [(g, q, o) for g, q, o, _, _, _ in entries]
    names = [e[3] for e in entries]
    swappable = np.array([e[4] for e in entries], dtype=bool)
    is_new = np.array([e[5] for e in entries], dtype=bool)

    shop = build_shop(new, jobs, R, names=names)
    routes = shop.job_ops()
    k_of = {n: k for k, n in enumerate(names)}
    m_of = {m: i for i, m in enumerate(new.machine_ids)}
    rows = plan.schedule.reset_index(drop=True)
    k_row = rows["job"].map(k_of).to_numpy(np.int64)
    o_row = np.array([routes[k][s - 1] for k, s in zip(k_row, rows["step"].to_numpy(np.int64), strict=True)],
                     dtype=np.int64)
    alt_at = {(int(o), int(m)): int(a) for a, (o, m) in enumerate(zip(shop.alt_op, shop.alt_machine, strict=True))}
    a_row = np.array([alt_at[(int(o), m_of[str(mc)])] for o, mc in zip(o_row, rows["machine"], strict=True)],
                     dtype=np.int64)
    s_row = rows["start"].to_numpy(np.int64)
    e_row = rows["end"].to_numpy(np.int64)
    history, fence = s_row < N, (s_row >= N) & (s_row < F)
    beyond = s_row >= F
    fixed_op = np.zeros(shop.num_ops, dtype=bool)
    fixed_op[o_row[history]] = True
    # nothing new before now: the first step of each job that is not history starts at now or
    # later if the job is made (start >= N made, linear: an unmade job's steps sit at 0)
    first_free = np.array([r[~fixed_op[r]][0] for r in routes if (~fixed_op[r]).any()], dtype=np.int64)
    first_free_job = shop.op_job[first_free]
    new_jobs = np.flatnonzero(is_new)
    new_job_steps = np.array([len(routes[k]) for k in new_jobs], dtype=np.int64)
    penalty = round(changes.change_penalty * COST_SCALE)
    weights: dict[str, int] = {}

    def extend(m: Any, v: ModelVars, worst: int) -> tuple[list[Any], list[int]]:
        for o, a, s in zip(o_row[history], a_row[history], s_row[history], strict=True):
            m.add(v.start[int(o)] == int(s))
            m.add(v.chosen[int(a)] == 1)
        for o, k in zip(first_free, first_free_job, strict=True):  # later steps follow by precedence
            m.add(v.start[int(o)] >= int(N) * v.made[int(k)])
        terms: list[Any] = []
        coefs: list[int] = []
        n_penalised = int(beyond.sum()) + int(new_job_steps.sum())
        fence_weight = worst + penalty * n_penalised + COST_SCALE
        weights.update(fence=fence_weight, change=penalty)

        def keep(mask: np.ndarray, weight: int, tag: str) -> None:
            for o, a, s in zip(o_row[mask], a_row[mask], s_row[mask], strict=True):
                moved = m.new_bool_var(f"{tag}{o}")
                m.add(v.start[int(o)] == int(s)).only_enforce_if(moved.Not())
                m.add(v.chosen[int(a)] == 1).only_enforce_if(moved.Not())
                terms.append(moved)
                coefs.append(weight)

        keep(fence, fence_weight, "moved")
        if penalty > 0:
            keep(beyond, penalty, "changed")
            for k, n in zip(new_jobs, new_job_steps, strict=True):
                terms.append(v.made[int(k)])
                coefs.append(penalty * int(n))
        return terms, coefs

    hint = Schedule(~is_new, np.full(shop.num_ops, -1, dtype=np.int64),
                    np.zeros(shop.num_ops, dtype=np.int64), np.zeros(shop.num_ops, dtype=np.int64))
    hint.op_alt[o_row], hint.op_start[o_row], hint.op_end[o_row] = a_row, s_row, e_row
    old_cost = float(lookup(plan.summary, "objective", check_old.total_cost) or check_old.total_cost)
    workers = max(1, int(options.threads))
    iterations: list[dict[str, Any]] = []
    settled, seen = not dynamic, []
    last: CpSatOutcome | None = None  # the last iteration with a schedule
    build_seconds, solve_seconds = time.perf_counter() - t0, 0.0
    while True:
        left = options.remaining(time.perf_counter() - t0)
        out = solve_cpsat(shop, "cost", options.with_(time_limit=left), hint=hint, workers=workers,
                          compact=True, interleave=workers > 1, extend=extend, interchangeable=swappable,
                          absolute_gap=options.mip_gap * max(abs(old_cost), 1.0))
        entry: dict[str, Any] = {"iteration": len(iterations) + 1, "reorder_point_used": R.tolist(),
                                 "status": str(out.status), "objective": out.objective, "bound": out.bound,
                                 "seconds": round(out.build_seconds + out.solve_seconds, 4)}
        iterations.append(entry)
        build_seconds += out.build_seconds
        solve_seconds += out.solve_seconds
        if out.schedule is None and last is not None:  # the time ran out on a later iteration: keep the last plan
            out, settled = last, False
            break
        if out.schedule is None or not dynamic:
            break
        last = out
        hint = out.schedule
        L = lead_times(shop, out.schedule.job_made, out.schedule.op_start, out.schedule.op_end)
        R_next = reorder_points(new, L)
        entry["reorder_point_implied"] = R_next.tolist()
        if np.allclose(R_next, R, atol=0.005, rtol=0):
            settled = True
            break
        if any(np.allclose(R_next, r, atol=0.005, rtol=0) for r in seen) or len(iterations) >= MAX_ROP_ITERATIONS \
                or (options.time_limit is not None and time.perf_counter() - t0 >= options.time_limit) \
                or stop_requested():
            break
        seen.append(R)
        R = R_next
        assert shop.inventory is not None
        shop.inventory.reorder_point = R
    timings = {"build": round(build_seconds, 4), "solve": round(solve_seconds, 4)}
    if out.schedule is None:
        result = MethodOutput(out.status, None, solver="cpsat", timings=timings,
                              message=out.message or "the re-plan found no schedule",
                              details={"replan_cpsat": {"iterations": iterations}})
        if out.status == SolveStatus.INFEASIBLE:
            result.diagnosis = ["the changes leave no schedule that keeps the history (the steps that started "
                                "before now, on their machines and at their times) within the calendar, the "
                                "downtime and the shelf lives"]
        return Replanned(new, result)
    sched = out.schedule
    status = out.status if out.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else SolveStatus.FEASIBLE
    assert shop.inventory is not None
    if dynamic and not settled:  # the reorder point the schedule's own lead times imply; not optimal for it
        shop.inventory.reorder_point = reorder_points(new, lead_times(shop, sched.job_made, sched.op_start,
                                                                      sched.op_end))
        status = SolveStatus.FEASIBLE
    frame = schedule_frame(shop, sched)
    new_plan = SchedulePlan(frame, inventory_frame(shop, frame))
    check = verify(new, new_plan, "cost")
    kept = (sched.op_alt[o_row] == a_row) & (sched.op_start[o_row] == s_row)
    fence_changes = [_fence_change(shop, new, rows, i, sched, o_row, kept) for i in np.flatnonzero(fence & ~kept)]
    made = np.flatnonzero(sched.job_made)
    L = lead_times(shop, sched.job_made, sched.op_start, sched.op_end)
    notes = [f"job names: the old jobs keep theirs; new candidate jobs are {_span(extra_names)} (none renumbered)"]
    if any(e["kind"] in ("rush_order", "demand") for e in changes.events):
        notes.append("demand events keep the goods' batch sizes and demand rates (annual_demand and mean_demand "
                     "written into the changed instance where they were blank)")
    if dynamic:
        notes.append("reorder point " + ("settled" if settled else "did not settle: the plan reports the one its "
                                                                   "lead times imply"))
    result = MethodOutput(
        status, new_plan, objective=check.total_cost, bound=None,
        bound_source="none proven for the plan's own cost: the re-plan's CP-SAT model minimises the cost plus the "
                     "fence and change penalties (its objective and bound are in details.replan_cpsat)",
        solver="cpsat", timings=timings, cost_breakdown=check.cost_breakdown,
        kpis={"objective_name": "cost", "makespan": int(frame["end"].max()) if len(frame) else 0,
              "jobs": len(made), "time_unit": "min",
              "reorder_point": {g: float(r) for g, r in zip(new.good_ids, shop.inventory.reorder_point, strict=True)},
              "average_lead_time_hours": float(L[L > 0].mean()) if np.any(L > 0) else 0.0,
              "reorder_policy": new.reorder_policy, "rop_settled": settled},
        details={"replan_cpsat": {
            "objective": out.objective, "bound": out.bound, "status": str(out.status),
            "unit": "currency, with the penalties", "warm_start": "the old plan as hints",
            "fence_weight": weights.get("fence", 0) / COST_SCALE, "change_penalty": changes.change_penalty,
            "start_tolerance_minutes": START_TOLERANCE_MINUTES,
            "steps": {"history": int(history.sum()), "fence": int(fence.sum()), "beyond": int(beyond.sum())},
            "frozen_moved": int((fence & ~kept).sum()), "changed_beyond": int((beyond & ~kept).sum()),
            "new_jobs_made": int(sched.job_made[is_new].sum()), "candidate_jobs": len(extra),
            "iterations": iterations}},
        message=out.message)
    return Replanned(new, result, fence_changes, notes)


def _span(names: list[str]) -> str:
    if not names:
        return "none"
    return ", ".join(names) if len(names) <= 4 else f"{names[0]} ... {names[-1]} ({len(names)})"


def _fence_change(shop: Shop, new: ScheduleInstance, rows: pd.DataFrame, i: int, sched: Schedule,
                  o_row: np.ndarray, kept: np.ndarray) -> dict[str, str]:
    """``{"decision", "reason"}`` of frozen step ``i`` (a row of the old plan) that moved."""
    job, step, stage, machine = rows["job"].iat[i], int(rows["step"].iat[i]), rows["stage"].iat[i], \
        str(rows["machine"].iat[i])
    s0, e0 = int(rows["start"].iat[i]), int(rows["end"].iat[i])
    o = int(o_row[i])
    before = f"{machine} at {s0} min ({s0 / MINUTES_PER_HOUR:.2f} h)"
    if sched.op_alt[o] < 0:
        after = "not made"
    else:
        s1 = int(sched.op_start[o])
        after = f"{shop.machines[shop.alt_machine[sched.op_alt[o]]]} at {s1} min ({s1 / MINUTES_PER_HOUR:.2f} h)"
    down = shop.machine_downtime(shop.machines.index(machine))
    hit = down[(down[:, 0] < e0) & (down[:, 1] > s0)]
    route = shop.job_ops()[int(shop.op_job[o])]
    if len(hit):
        reason = (f"machine {machine} is down from {_hours(hit[0, 0])} to {_hours(hit[0, 1])}, over its old slot "
                  f"[{_hours(s0)}, {_hours(e0)})")
    elif step > 1 and sched.op_alt[route[step - 2]] >= 0 and sched.op_end[route[step - 2]] > s0:
        reason = (f"its previous step now ends at {sched.op_end[route[step - 2]]} min, after its old start "
                  "(precedence)")
    elif not kept[(rows["job"] == job).to_numpy() & (rows["step"] != step).to_numpy()].all():
        reason = "another step of its job had to move, and precedence or the shelf life ties this one to it"
    else:
        reason = "keeping it is infeasible with the changes (machine capacity, precedence or shelf life)"
    return {"decision": f"job {job} step {step} ({stage}): {before} -> {after}", "reason": reason}


__all__ = ["EVENTS", "START_TOLERANCE_MINUTES", "apply_events", "period_of", "replan"]
