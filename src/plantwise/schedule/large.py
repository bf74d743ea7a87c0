"""Large plants (the document's future work: over 1,000 goods, over 400 recipes, a month).

``solve_large`` returns a good feasible schedule with a proven bound within the time limit:

1. **Capacity-free bound.** Relax machine capacity (and the shelf life): each good alone
   chooses how many of its jobs to make and the period each completes in, no earlier than
   the first period a job of it can finish on empty machines within the calendar. With
   ``m_p`` jobs done by period ``p`` (non-decreasing, ``0`` before the earliest period),

       LB_g = min_{m} [ sum_p cost_gp(m_p) + m_P c_g ],
       cost_gp(m) = h_g (net)^+ + b_g (net)^- + c^safety_g (R_g - (net)^+)^+,  net = I0_g + m Q_g - D_g(1..p),

   where ``c_g`` is the cheapest a job of ``g`` can cost (its order, finished-good and
   waste costs plus the cheapest machine on each step). A dynamic programme over periods
   solves it for all goods at once; ``sum_g LB_g`` is a valid lower bound on the optimum.
   The bound's path also gives each job its *ideal completion period*. Stage capacity
   can be put back by Lagrangian relaxation (:func:`lagrangian_bound`); the reported
   bound is the larger of the two.
2. **Constructive schedule.** Jobs in order of ideal completion period; each job's steps
   go, one after another, to the eligible machine where they end first (earliest free
   gap inside a working window), released a few working days before the ideal period
   (1, 2, 3, 5 or 10: the cheapest schedule of the five is kept); a job that breaks its
   shelf life is started later, and one that cannot end within the horizon is not made.
3. **Large-neighbourhood search with CP-SAT.** Repeatedly free every job of a few goods
   (drawn with probability proportional to each good's cost above its own bound), keep
   all other jobs where they are (their machine time becomes blocked windows), and solve
   that sub-model exactly as the interval model of :mod:`plantwise.schedule.model`,
   warm-started with the current schedule. Goods are independent in the objective (each
   good's stock depends only on its own jobs), so a sub-model's objective is exactly
   the freed goods' share of the total, and an accepted move never makes the plan worse.
   The neighbourhood size adapts: it grows while sub-models are proven optimal quickly
   and shrinks when they time out.

The reorder point is the static one (policy ``static``). With ``dynamic`` the search
uses the reorder point the constructive schedule's lead times imply, and the plan
reports the one its final lead times imply, with the bound recomputed for it (one pass,
not iterated to a fixed point; the summary says so).
"""

from __future__ import annotations

import bisect
import time

import numpy as np

from plantwise.core.interrupt import stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus, relative_gap
from plantwise.schedule.bounds import capacity_free_bound, fit_in_window, lagrangian_bound
from plantwise.schedule.expand import build_shop, default_jobs, lead_times, reorder_points, static_reorder_points
from plantwise.schedule.instance import ScheduleInstance
from plantwise.schedule.methods import ScheduleResult, schedule_frame
from plantwise.schedule.model import Schedule, solve_cpsat
from plantwise.schedule.plan import SchedulePlan
from plantwise.schedule.shop import Inventory, Shop

MOVES_PER_SECOND = 0.85  # LNS moves per second of time limit (a 0.5-unit move takes ~1 s here)
LOOKBACK_DAYS = (1, 2, 3, 5, 10)  # release leads (working days before the ideal period) the constructive tries


def constructive(shop: Shop, ideal: np.ndarray, lookback_days: int = 1) -> Schedule:
    """Step 2 of the module docstring."""
    windows = shop.working_windows()
    inv = shop.inventory
    assert inv is not None
    routes = shop.job_ops()
    alts = shop.op_alts()
    busy_s: list[list[int]] = [[] for _ in shop.machines]
    busy_e: list[list[int]] = [[] for _ in shop.machines]
    lag_of: dict[int, list[tuple[int, int, int]]] = {}
    for k, a, b, lag in shop.lags:
        lag_of.setdefault(int(k), []).append((int(a), int(b), int(lag)))
    made = np.zeros(shop.num_jobs, dtype=bool)
    op_alt = np.full(shop.num_ops, -1, dtype=np.int64)
    op_start = np.zeros(shop.num_ops, dtype=np.int64)
    op_end = np.zeros(shop.num_ops, dtype=np.int64)
    order = np.lexsort((np.arange(shop.num_jobs), ideal))
    for k in order:
        if ideal[k] < 0:
            continue
        window = max(0, int(np.searchsorted(windows[:, 1], inv.period_end[ideal[k]], side="left")) - lookback_days)
        ready = max(int(shop.job_release[k]), int(windows[window, 0]))
        for _attempt in range(6):
            placed = []
            t = ready
            for o in routes[k]:
                best = None
                for a in alts[o]:
                    m, d = int(shop.alt_machine[a]), int(shop.alt_duration[a])
                    s = fit_in_window(windows, busy_s[m], busy_e[m], t, d)
                    key = (s + d, float(shop.alt_cost[a]))
                    if best is None or key < best[0]:
                        best = (key, int(a), s, s + d)
                assert best is not None
                placed.append((int(o), best[1], best[2], best[3]))
                t = best[3]
            if t > shop.horizon:
                break
            pos = {o: (s, e) for o, _a, s, e in placed}
            late = [pos[b][1] - lag - pos[a][0] for a, b, lag in lag_of.get(int(k), []) if pos[b][1] - pos[a][0] > lag]
            if not late:
                made[k] = True
                for o, a, s, e in placed:
                    op_alt[o], op_start[o], op_end[o] = a, s, e
                    m = int(shop.alt_machine[a])
                    i = bisect.bisect_left(busy_s[m], s)
                    busy_s[m].insert(i, s)
                    busy_e[m].insert(i, e)
                break
            ready = placed[0][2] + max(late)
    return Schedule(made, op_alt, op_start, op_end)


def good_costs(shop: Shop, sched: Schedule) -> np.ndarray:
    """Each good's share of the cost: its jobs' machine, labour, setup, order, finished-good
    and waste costs plus its holding, stockout and safety-stock costs."""
    inv = shop.inventory
    assert inv is not None
    G, P = inv.demand.shape
    made = np.flatnonzero(sched.job_made)
    ops = np.flatnonzero(sched.op_alt >= 0)
    job_cost = np.bincount(
        shop.job_good[made], weights=shop.job_fixed_cost[made], minlength=G)
    job_cost += np.bincount(shop.job_good[shop.op_job[ops]], weights=shop.alt_cost[sched.op_alt[ops]], minlength=G)
    last = np.array([r[-1] for r in shop.job_ops()], dtype=np.int64)
    period = np.searchsorted(inv.period_end, sched.op_end[last[made]], side="left")
    produced = np.zeros((G, P))
    inside = period < P
    np.add.at(produced, (shop.job_good[made][inside], period[inside]), shop.job_quantity[made][inside])
    net = inv.initial[:, None] + np.cumsum(produced - inv.demand, axis=1)
    stock = np.maximum(net, 0)
    inventory = (inv.holding_cost[:, None] * stock + inv.stockout_cost[:, None] * np.maximum(-net, 0)
                 + inv.safety_cost[:, None] * np.maximum(inv.reorder_point[:, None] - stock, 0)).sum(axis=1)
    return job_cost + inventory


def _merge(intervals: list[tuple[int, int]]) -> np.ndarray:
    if not intervals:
        return np.zeros((0, 2), dtype=np.int64)
    intervals.sort()
    merged = [list(intervals[0])]
    for s, e in intervals[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return np.array(merged, dtype=np.int64)


def lns(inst: ScheduleInstance, shop: Shop, jobs: list[tuple[int, float, bool]], current: Schedule,
        good_bound: np.ndarray, deadline: float, options: SolveOptions, max_moves: int,
        ) -> tuple[Schedule, list[dict[str, object]]]:
    """Step 3 of the module docstring; returns the improved schedule and the move history.

    Each sub-model runs one CP-SAT worker for a fixed deterministic work budget, and the
    number of moves is fixed in advance (``max_moves``), so the result does not depend on
    the machine's speed unless the wall-clock ``deadline`` stops the search first."""
    rng = np.random.default_rng(options.seed)
    inv = shop.inventory
    assert inv is not None
    current = Schedule(current.job_made.copy(), current.op_alt.copy(), current.op_start.copy(),
                       current.op_end.copy())
    costs = good_costs(shop, current)
    routes = shop.job_ops()
    alts = shop.op_alts()
    jobs_of = [np.flatnonzero(shop.job_good == g) for g in range(len(inv.goods))]
    history: list[dict[str, object]] = []
    size, step_limit = 8, 0.5
    while len(history) < max_moves:
        left = deadline - time.perf_counter()
        if left < 1.0 or stop_requested():
            break
        goods = _neighbourhood(shop, current, costs, good_bound, jobs_of, alts, size, rng)
        count = len(goods)
        free = np.sort(np.concatenate([jobs_of[g] for g in goods]))
        free_set = np.zeros(shop.num_jobs, dtype=bool)
        free_set[free] = True
        taken: list[list[tuple[int, int]]] = [[] for _ in shop.machines]
        keep_ops = np.flatnonzero((current.op_alt >= 0) & ~free_set[shop.op_job])
        for o in keep_ops:
            taken[int(shop.alt_machine[current.op_alt[o]])].append((int(current.op_start[o]), int(current.op_end[o])))
        used = np.zeros(len(shop.machines), dtype=bool)
        used[np.concatenate([shop.alt_machine[alts[o]] for k in free for o in routes[k]])] = True
        blocked = [_merge(t) if used[m] else np.zeros((0, 2), dtype=np.int64) for m, t in enumerate(taken)]
        sub = build_shop(inst, [jobs[k] for k in free], inv.reorder_point, names=[shop.job_name[k] for k in free])
        _restrict_inventory(sub, np.sort(goods))  # the sub-model sees only the freed goods' stock
        hint = _sub_schedule(shop, sub, free, current, routes, alts)
        t = time.perf_counter()
        out = solve_cpsat(sub, "cost", options.with_(time_limit=min(4 * step_limit, left), mip_gap=1e-3),
                          hint=hint, workers=1, blocked=blocked, deterministic_time=step_limit)
        seconds = time.perf_counter() - t
        before = float(costs[goods].sum())
        after = before
        accepted = False
        if out.schedule is not None:
            trial = Schedule(current.job_made.copy(), current.op_alt.copy(), current.op_start.copy(),
                             current.op_end.copy())
            sub_routes = sub.job_ops()
            for i, k in enumerate(free):
                trial.job_made[k] = out.schedule.job_made[i]
                for o_sub, o in zip(sub_routes[i], routes[k], strict=True):
                    a_sub = out.schedule.op_alt[o_sub]
                    if a_sub < 0:
                        trial.op_alt[o], trial.op_start[o], trial.op_end[o] = -1, 0, 0
                        continue
                    m = sub.alt_machine[a_sub]
                    trial.op_alt[o] = int(alts[o][np.flatnonzero(shop.alt_machine[alts[o]] == m)[0]])
                    trial.op_start[o], trial.op_end[o] = out.schedule.op_start[o_sub], out.schedule.op_end[o_sub]
            new_costs = good_costs(shop, trial)
            after = float(new_costs[goods].sum())
            if after < before - 1e-6:
                current, costs, accepted = trial, new_costs, True
        if out.status == SolveStatus.OPTIMAL and seconds < 0.3 * step_limit:
            size = min(size + 5, 200)
        elif out.status != SolveStatus.OPTIMAL:
            size = max(5, size - 5)
        history.append({
            "goods": int(count), "jobs": len(free), "status": str(out.status), "seconds": round(seconds, 3),
            "before": round(before, 4), "after": round(after, 4), "accepted": accepted,
            "total": round(float(costs.sum()), 4),
        })
    return current, history


def _neighbourhood(shop: Shop, current: Schedule, costs: np.ndarray, good_bound: np.ndarray,
                   jobs_of: list[np.ndarray], alts: list[np.ndarray], size: int,
                   rng: np.random.Generator) -> np.ndarray:
    """A seed good drawn by its cost above its bound, plus goods whose made operations sit on
    the seed's eligible machines within a day of the seed's jobs (they compete for the
    same machine time), drawn the same way."""
    excess = np.maximum(costs - good_bound, 0) + 1e-6
    seed = int(rng.choice(len(excess), p=excess / excess.sum()))
    ops = np.flatnonzero(np.isin(shop.op_job, jobs_of[seed]))
    machines = np.unique(np.concatenate([shop.alt_machine[alts[o]] for o in ops])) if len(ops) else np.zeros(0, int)
    made_ops = ops[current.op_alt[ops] >= 0]
    day = 24 * 60
    if len(made_ops):
        lo, hi = int(current.op_start[made_ops].min()) - day, int(current.op_end[made_ops].max()) + day
    else:
        lo, hi = 0, int(shop.horizon)
    busy = np.flatnonzero(current.op_alt >= 0)
    near = busy[np.isin(shop.alt_machine[current.op_alt[busy]], machines) & (current.op_end[busy] > lo)
                & (current.op_start[busy] < hi)]
    others = np.setdiff1d(np.unique(shop.job_good[shop.op_job[near]]), [seed])
    if len(others) == 0:
        return np.array([seed])
    take = min(size - 1, len(others))
    weights = excess[others] + excess[others].mean()
    chosen = rng.choice(others, size=take, replace=False, p=weights / weights.sum())
    return np.sort(np.concatenate([[seed], chosen])).astype(np.int64)


def _restrict_inventory(sub: Shop, goods: np.ndarray) -> None:
    """Keep only ``goods`` (sorted) in ``sub``'s inventory and renumber its jobs' goods."""
    inv = sub.inventory
    assert inv is not None
    sub.inventory = Inventory(
        goods=[inv.goods[g] for g in goods], period_end=inv.period_end, demand=inv.demand[goods],
        initial=inv.initial[goods], holding_cost=inv.holding_cost[goods], stockout_cost=inv.stockout_cost[goods],
        safety_cost=inv.safety_cost[goods], reorder_point=inv.reorder_point[goods],
    )
    sub.job_good = np.searchsorted(goods, sub.job_good)


def _sub_schedule(shop: Shop, sub: Shop, free: np.ndarray, current: Schedule, routes: list[np.ndarray],
                  alts: list[np.ndarray]) -> Schedule:
    """The current schedule of the freed jobs, in the sub-model's indices (its hint)."""
    sub_routes = sub.job_ops()
    sub_alts = sub.op_alts()
    made = current.job_made[free].copy()
    op_alt = np.full(sub.num_ops, -1, dtype=np.int64)
    op_start = np.zeros(sub.num_ops, dtype=np.int64)
    op_end = np.zeros(sub.num_ops, dtype=np.int64)
    for i, k in enumerate(free):
        for o_sub, o in zip(sub_routes[i], routes[k], strict=True):
            a = current.op_alt[o]
            if a < 0:
                continue
            m = shop.alt_machine[a]
            op_alt[o_sub] = int(sub_alts[o_sub][np.flatnonzero(sub.alt_machine[sub_alts[o_sub]] == m)[0]])
            op_start[o_sub], op_end[o_sub] = current.op_start[o], current.op_end[o]
    return Schedule(made, op_alt, op_start, op_end)


def _cost(shop: Shop, sched: Schedule) -> float:
    from plantwise.schedule.verifier import inventory_frame, verify_shop

    frame = schedule_frame(shop, sched)
    return verify_shop(shop, SchedulePlan(frame, inventory_frame(shop, frame))).total_cost


def solve_large(inst: ScheduleInstance, objective: str = "cost", options: SolveOptions | None = None,
                workers: int | None = None) -> ScheduleResult:
    """Bound, constructive schedule, CP-SAT improvement (see the module docstring)."""
    from plantwise.schedule.verifier import inventory_frame, verify_shop

    options = options or SolveOptions(time_limit=600)
    if objective != "cost":
        raise ValueError("the large method minimises cost; use --method exact for makespan or tardiness")
    if inst.goods["min_batch"].notna().any():
        raise ValueError("the large method needs one batch size per good (batch_size or the EPQ); "
                         "min_batch/max_batch goods need --method exact")
    t0 = time.perf_counter()
    R = static_reorder_points(inst)
    jobs = default_jobs(inst, R, objective)
    shop = build_shop(inst, jobs, R)
    timings: dict[str, float] = {"build": time.perf_counter() - t0}
    t = time.perf_counter()
    bound, ideal, good_bound = capacity_free_bound(shop)
    timings["bound"] = time.perf_counter() - t
    t = time.perf_counter()
    greedy, lookback = None, None
    for days in LOOKBACK_DAYS:  # the release lead that schedules best on this plant
        trial = constructive(shop, ideal, lookback_days=days)
        if greedy is None or good_costs(shop, trial).sum() < good_costs(shop, greedy).sum() - 1e-9:
            greedy, lookback = trial, days
    assert greedy is not None
    timings["constructive"] = time.perf_counter() - t
    notes = []
    if inst.reorder_policy == "dynamic":
        R = reorder_points(inst, lead_times(shop, greedy.job_made, greedy.op_start, greedy.op_end))
        shop.inventory.reorder_point = R  # type: ignore[union-attr]
        bound, _, good_bound = capacity_free_bound(shop)
        notes.append("dynamic policy: reorder point from the constructive schedule's lead times, not iterated")
    greedy_cost = _cost(shop, greedy)
    t = time.perf_counter()
    lagrangian, _ = lagrangian_bound(shop, greedy_cost)
    timings["lagrangian"] = time.perf_counter() - t
    best, best_cost, source = greedy, greedy_cost, "constructive"
    t = time.perf_counter()
    deadline = t0 + (options.time_limit if options.time_limit is not None else 600.0) - 2.0
    limit = options.time_limit if options.time_limit is not None else 600.0
    max_moves = int(MOVES_PER_SECOND * limit)
    best, history = lns(inst, shop, jobs, greedy, good_bound, deadline, options, max_moves)
    best_cost = float(good_costs(shop, best).sum())
    source = "lns" if best_cost < greedy_cost - 1e-6 else "constructive"
    timings["lns"] = time.perf_counter() - t
    if inst.reorder_policy == "dynamic":  # report the reorder point the final schedule implies, and its bound
        R = reorder_points(inst, lead_times(shop, best.job_made, best.op_start, best.op_end))
        shop.inventory.reorder_point = R  # type: ignore[union-attr]
        bound, _, good_bound = capacity_free_bound(shop)
        lagrangian, _ = lagrangian_bound(shop, float(good_costs(shop, best).sum()))
        notes.append("the reported reorder point is the one the final schedule's lead times imply; "
                     "the bound is for that reorder point")
    proven = max(bound, lagrangian)
    frame = schedule_frame(shop, best)
    plan = SchedulePlan(frame, inventory_frame(shop, frame))
    check = verify_shop(shop, plan)
    made = np.flatnonzero(best.job_made)
    L = lead_times(shop, best.job_made, best.op_start, best.op_end)
    gap = relative_gap(check.total_cost, min(proven, check.total_cost))
    status = SolveStatus.OPTIMAL if gap is not None and gap <= options.mip_gap else SolveStatus.FEASIBLE
    summary: dict[str, object] = {
        "objective_name": "cost", "instance": shop.name, "method": "large", "status": str(status),
        "objective": check.total_cost, "bound": float(min(proven, check.total_cost)),
        "gap": relative_gap(check.total_cost, min(proven, check.total_cost)),
        "capacity_free_bound": bound, "lagrangian_bound": lagrangian, "constructive_cost": greedy_cost,
        "constructive_lookback_days": lookback,
        "schedule_from": source, "cost_breakdown": check.cost_breakdown,
        "makespan": int(frame["end"].max()) if len(frame) else 0, "jobs": len(made),
        "candidate_jobs": int(shop.num_jobs), "operations": int(shop.num_ops),
        "amount_produced": float(shop.job_quantity[made].sum()),
        "reorder_point_mean": float(np.mean(shop.inventory.reorder_point)),  # type: ignore[union-attr]
        "average_lead_time_hours": float(L[L > 0].mean()) if np.any(L > 0) else 0.0,
        "solve_seconds": round(time.perf_counter() - t0, 3), "timings": {k: round(v, 3) for k, v in timings.items()},
        "solver": "cpsat", "time_unit": shop.time_unit, "verified": check.ok,
        "lns_moves": len(history), "lns_moves_planned": max_moves,
        "deterministic": len(history) >= max_moves, "lns_accepted": int(sum(bool(h["accepted"]) for h in history)),
        "lns_history": history[-200:],
        "violations": [str(v) for v in check.violations[:20]], "notes": notes,
    }
    plan.summary = summary
    return ScheduleResult(status, plan, summary)
