"""From a document-002 plant to a :class:`Shop`: batch sizes, jobs, durations, costs, reorder points.

Batch size (the document's EPQ, output of one job, in finished units):

    Q_j = sqrt( 2 D_j C^setup / ( h_j (1 - dbar_j / alpha_j) ) )

with ``D_j`` the annualised demand (blank: the forecast over the horizon, which is what
the document's case study used), ``C^setup`` the generalised setup cost per hour,
``h_j`` the holding cost, ``dbar_j`` the mean demand per working hour and ``alpha_j`` the
mean rate of the good's first-stage (extruder) machines. The input at step ``s`` is
``Q_j / prod_{t >= s} y_t`` (the document's eta^- = eta^+ / (xi nu phi chi)). A batch is
capped so that every step fits in one working day on its fastest eligible machine.

Jobs per good: ``n_j = ceil(max(0, sum_p d_jp + R_j - I0_j) / Q_j)``; the ``cost``
objective offers one optional job more and lets the solver choose how many to make (with
``min_batch``/``max_batch``, ``n_j + 1`` of the largest size and, of each smaller size, its
own ``n + 1`` up to ``max(MAX_JOBS_PER_GOOD, n_j + 1)``); ``makespan`` and
``weighted-tardiness`` make exactly ``n_j`` (without ``R_j``) of the largest size. More than
``MAX_CANDIDATE_JOBS`` jobs of one good is refused (``ValueError``): it is a unit mix-up.

Reorder point (document 002): ``R_j = dbar_j Lbar_j + Z sigma_j sqrt(Lbar_j)`` with
``Lbar_j`` the mean flow time (working hours from the start of the first step to the end
of the last) of the good's jobs, 0 without jobs, and ``Z`` the standard normal quantile
of the service level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri  # the standard normal quantile (scipy.stats.norm.ppf), without importing scipy.stats

from plantwise.schedule.instance import (
    MINUTES_PER_HOUR,
    ScheduleInstance,
    mean_demand,
    operation_minutes,
)
from plantwise.schedule.shop import Inventory, Shop

MAX_JOBS_PER_GOOD = 12  # optional jobs of each smaller batch size (the largest gets all it needs, plus one)
MAX_CANDIDATE_JOBS = 1_000  # per good and size: more means a unit mix-up, not a plan


def epq(inst: ScheduleInstance) -> tuple[np.ndarray, np.ndarray]:
    """Batch output per good (EPQ or ``batch_size``), rounded to 0.01 units, and whether it was capped."""
    g = inst.goods
    horizon_demand = inst.demand.sum(axis=1)
    annual = g["annual_demand"].to_numpy(float)
    D = np.where(np.isnan(annual), horizon_demand, annual)
    dbar = mean_demand(inst)
    h = g["holding_cost"].to_numpy(float)
    sizes, capped = np.zeros(len(g)), np.zeros(len(g), dtype=bool)
    steps = recipe_steps(inst)
    caps = {recipe: batch_cap(inst, recipe, rows) for recipe, rows in steps.items()}
    for i, row in enumerate(g.itertuples(index=False)):
        cap = caps[row.recipe]
        if pd.notna(row.batch_size):
            sizes[i] = row.batch_size
            continue
        alpha = float(np.mean([rate for _, rate in steps[row.recipe][0].machines]))
        if h[i] > 0 and inst.setup_cost_per_hour > 0 and D[i] > 0:
            q = math.sqrt(2 * D[i] * inst.setup_cost_per_hour / (h[i] * (1 - dbar[i] / alpha)))
        else:  # no trade-off to balance: one batch covers the horizon
            q = max(horizon_demand[i], 1.0)
        if q > cap:
            q, capped[i] = cap, True
        sizes[i] = q
    return np.where(capped, np.floor(sizes * 100 + 1e-9), np.round(sizes * 100)) / 100, capped


@dataclass(frozen=True)
class RecipeStep:
    """One step of a recipe: its stage, its yield, the yield of it and every later step
    (so that input = output / yield_after), and the eligible (machine index, rate) pairs."""

    step: int
    stage: str
    step_yield: float
    yield_after: float
    machines: tuple[tuple[int, float], ...]


def _routes_key(inst: ScheduleInstance) -> tuple[int, ...]:
    """Fingerprint of what :func:`recipe_steps` reads: the routes and the machines' order."""
    rows = pd.util.hash_pandas_object(inst.routes, index=False).to_numpy()
    machines = pd.util.hash_pandas_object(inst.machines["machine"], index=False).to_numpy()
    return len(rows), hash(rows.tobytes()), hash(machines.tobytes())


def recipe_steps(inst: ScheduleInstance) -> dict[str, list[RecipeStep]]:
    """Every recipe's steps in route order, computed in one pass over ``routes`` (cached on
    the instance, and recomputed when its routes or machines change)."""
    key = _routes_key(inst)
    cached = inst.__dict__.get("_recipe_steps")
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    m_index = {m: i for i, m in enumerate(inst.machine_ids)}
    r = inst.routes
    machine_idx = r["machine"].map(m_index).to_numpy()
    rates = r["rate"].to_numpy(float)
    step_col = r["step"].to_numpy(np.int64)
    stage_col = r["stage"].to_numpy(object)
    yield_col = r["yield"].to_numpy(float)
    out: dict[str, list[RecipeStep]] = {}
    for recipe, idx in r.groupby("recipe", sort=False).indices.items():
        order = idx[np.argsort(step_col[idx], kind="stable")]
        bounds = np.flatnonzero(np.diff(step_col[order])) + 1
        chunks = np.split(order, bounds)
        yields = np.array([yield_col[c[0]] for c in chunks])
        after = np.cumprod(yields[::-1])[::-1]
        out[str(recipe)] = [
            RecipeStep(int(step_col[c[0]]), str(stage_col[c[0]]), float(yields[i]), float(after[i]),
                       tuple((int(machine_idx[j]), float(rates[j])) for j in c))
            for i, c in enumerate(chunks)
        ]
    inst.__dict__["_recipe_steps"] = (key, out)
    return out


def batch_cap(inst: ScheduleInstance, recipe: str, steps: list[RecipeStep] | None = None) -> float:
    """Largest output whose every step fits one working day on the step's fastest machine."""
    window = inst.calendar.day_minutes
    setup = inst.machines["setup_minutes"].to_numpy(float)
    steps = steps if steps is not None else recipe_steps(inst)[recipe]
    cap = math.inf
    for st in steps:
        best = max((window - math.ceil(setup[m])) / MINUTES_PER_HOUR * rate * st.yield_after for m, rate in st.machines)
        cap = min(cap, best)
    return max(cap * (1 - 1e-6), 0.0)


def z_score(service_level: np.ndarray) -> np.ndarray:
    return ndtri(np.asarray(service_level, dtype=float))


def reorder_points(inst: ScheduleInstance, lead_time_hours: np.ndarray) -> np.ndarray:
    """``R_j = dbar_j L_j + Z_j sigma_j sqrt(L_j)``, rounded to 0.01 units."""
    L = np.maximum(np.asarray(lead_time_hours, dtype=float), 0.0)
    z = z_score(inst.goods["service_level"].to_numpy(float))
    sigma = inst.goods["std_demand"].to_numpy(float)
    return np.round(mean_demand(inst) * L + z * sigma * np.sqrt(L), 2)


def static_reorder_points(inst: ScheduleInstance) -> np.ndarray:
    r = inst.goods["reorder_point"].to_numpy(float)
    return np.round(np.nan_to_num(r, nan=0.0), 2)


def default_jobs(inst: ScheduleInstance, reorder_point: np.ndarray, objective: str) -> list[tuple[int, float, bool]]:
    """Candidate jobs ``(good, output, optional)`` per good (see the module docstring)."""
    sizes, _ = epq(inst)
    need = inst.demand.sum(axis=1) + reorder_point - inst.goods["initial_inventory"].to_numpy(float)
    lo, hi = inst.goods["min_batch"].to_numpy(float), inst.goods["max_batch"].to_numpy(float)
    jobs: list[tuple[int, float, bool]] = []
    for g in range(len(inst.goods)):
        if not np.isnan(lo[g]):
            levels = np.unique(np.floor(np.linspace(lo[g], hi[g], inst.batch_levels) * 100) / 100)
        else:
            levels = np.array([sizes[g]])
        top = None  # jobs the largest size needs: it alone must be able to cover the need, and one more
        for q in levels[::-1]:
            n = math.ceil(max(need[g] if objective == "cost" else need[g] - reorder_point[g], 0.0) / q - 1e-9)
            if q == levels[-1] and n > MAX_CANDIDATE_JOBS:
                raise ValueError(f"good '{inst.good_ids[g]}' would need {n:,} jobs of {q:g} units (more than "
                                 f"{MAX_CANDIDATE_JOBS:,}): check the units of its batch size and demand")
            if objective == "cost":
                top = n + 1 if top is None else top
                n = min(n + 1, max(MAX_JOBS_PER_GOOD, top))
                jobs += [(g, float(q), True)] * n
            else:
                jobs += [(g, float(q), False)] * n
                break  # mandatory jobs use the largest size only
    return jobs


def build_shop(inst: ScheduleInstance, jobs: Sequence[tuple[int, float, bool]], reorder_point: np.ndarray,
               names: Sequence[str] | None = None) -> Shop:
    """The shop of ``inst`` with the given jobs ``(good index, output units, optional)``."""
    goods = inst.good_ids
    machines = inst.machine_ids
    setup = inst.machines["setup_minutes"].to_numpy(float)
    cph = inst.machines["cost_per_hour"].to_numpy(float)
    waste_cost = dict(zip(inst.stages["stage"], inst.stages["waste_cost"], strict=True))
    recipe_of = inst.goods["recipe"].tolist()
    unit_cost = (inst.goods["order_cost"] + inst.goods["unit_cost"]).to_numpy(float)
    steps_of = recipe_steps(inst)
    lag_rows: dict[str, list[tuple[str, str, float]]] = {}
    for recipe, a, b, hours in inst.shelf_life[["recipe", "from_stage", "to_stage", "max_hours"]].itertuples(
            index=False):
        lag_rows.setdefault(recipe, []).append((a, b, hours))
    counters: dict[int, int] = {}
    job_name, job_good, job_qty, job_opt, job_fixed, job_due = [], [], [], [], [], []
    op_job, op_stage, op_input = [], [], []
    alt_op, alt_machine, alt_duration, alt_setup, alt_cost = [], [], [], [], []
    alt_parts: dict[str, list[float]] = {"machine hours": [], "labour": [], "setup": []}
    job_parts: dict[str, list[float]] = {"order": [], "finished goods": [], "waste": []}
    order_cost = inst.goods["order_cost"].to_numpy(float)
    fg_cost = inst.goods["unit_cost"].to_numpy(float)
    lags = []
    calendar = inst.calendar
    period_end = calendar.period_ends()
    cum = np.cumsum(inst.demand, axis=1)
    initial = inst.goods["initial_inventory"].to_numpy(float)
    supplied: dict[int, float] = {}
    for k, (g, q, optional) in enumerate(jobs):
        n = counters.get(g, 0)
        counters[g] = n + 1
        job_name.append(names[k] if names is not None else f"{goods[g]}#{n + 1}")
        job_good.append(g)
        job_qty.append(q)
        job_opt.append(optional)
        # due: the end of the first period whose cumulative demand exceeds the stock before this job
        before = initial[g] + supplied.get(g, 0.0)
        supplied[g] = supplied.get(g, 0.0) + q
        short = np.flatnonzero(cum[g] > before + 1e-9)
        job_due.append(int(period_end[short[0]]) if len(short) else calendar.horizon)
        fixed = unit_cost[g] * q
        waste = 0.0
        stage_op: dict[str, int] = {}
        for st in steps_of[recipe_of[g]]:
            stage, after, step_yield = st.stage, st.yield_after, st.step_yield
            o = len(op_job)
            op_job.append(k)
            op_stage.append(stage)
            stage_op[stage] = o
            quantity_in = q / after
            op_input.append(quantity_in)
            waste += waste_cost.get(stage, 0.0) * quantity_in * (1 - step_yield)
            for m, rate in st.machines:
                d = operation_minutes(q, after, rate, setup[m])
                s = math.ceil(setup[m] - 1e-9)
                alt_op.append(o)
                alt_machine.append(m)
                alt_duration.append(d)
                alt_setup.append(s)
                parts = (d / MINUTES_PER_HOUR * cph[m], d / MINUTES_PER_HOUR * inst.labor_cost_per_hour,
                         s / MINUTES_PER_HOUR * inst.setup_cost_per_hour)
                for name, value in zip(alt_parts, parts, strict=True):
                    alt_parts[name].append(value)
                alt_cost.append(sum(parts))
        job_fixed.append(fixed + waste)
        for name, value in zip(job_parts, (order_cost[g] * q, fg_cost[g] * q, waste), strict=True):
            job_parts[name].append(value)
        if recipe_of[g] in lag_rows:
            for a, b, hours in lag_rows[recipe_of[g]]:
                lags.append((k, stage_op[a], stage_op[b], math.floor(hours * MINUTES_PER_HOUR + 1e-9)))
    K = len(jobs)
    g = inst.goods
    adjustment = inst.adjustment_matrix() if len(inst.adjustments) else None
    inventory = Inventory(
        goods=goods, period_end=period_end, demand=inst.demand, initial=initial,
        holding_cost=g["holding_cost"].to_numpy(float), stockout_cost=g["stockout_cost"].to_numpy(float),
        safety_cost=g["safety_stock_cost"].to_numpy(float), reorder_point=np.asarray(reorder_point, dtype=float),
        adjustment=adjustment,
    )
    windows = inst.downtime_windows()
    downtime = np.array([(m, a, b) for m in sorted(windows) for a, b in windows[m]], dtype=np.int64).reshape(-1, 3)
    job_loss = None
    if len(inst.yield_losses):
        lost = inst.losses()
        job_loss = np.array([lost.get(name, 0.0) for name in job_name], dtype=float)
    return Shop(
        name=inst.name, machines=machines, machine_stage=inst.machines["stage"].tolist(), job_name=job_name,
        job_good=np.array(job_good, dtype=np.int64), job_quantity=np.array(job_qty, dtype=float),
        job_optional=np.array(job_opt, dtype=bool), job_release=np.zeros(K, dtype=np.int64),
        job_due=np.array(job_due, dtype=np.int64), job_weight=np.ones(K), job_fixed_cost=np.array(job_fixed),
        op_job=np.array(op_job, dtype=np.int64), op_stage=op_stage, alt_op=np.array(alt_op, dtype=np.int64),
        alt_machine=np.array(alt_machine, dtype=np.int64), alt_duration=np.array(alt_duration, dtype=np.int64),
        alt_setup=np.array(alt_setup, dtype=np.int64), alt_cost=np.array(alt_cost), horizon=calendar.horizon,
        breaks=calendar.breaks(), lags=np.array(lags, dtype=np.int64).reshape(-1, 4), inventory=inventory,
        time_unit="min", job_input=np.array(op_input),
        alt_cost_parts={k: np.array(v) for k, v in alt_parts.items()},
        job_cost_parts={k: np.array(v) for k, v in job_parts.items()}, downtime=downtime, job_loss=job_loss,
    )


def lead_times(shop: Shop, job_made: np.ndarray, op_start: np.ndarray, op_end: np.ndarray) -> np.ndarray:
    """Mean flow time per good in working hours (0 for a good without jobs)."""
    assert shop.inventory is not None
    G = len(shop.inventory.goods)
    first = np.full(shop.num_jobs, -1, dtype=np.int64)
    last = np.full(shop.num_jobs, -1, dtype=np.int64)
    for k, ops in enumerate(shop.job_ops()):
        first[k], last[k] = ops[0], ops[-1]
    made = np.flatnonzero(job_made)
    flow = shop.working_time(op_start[first[made]], op_end[last[made]]) / MINUTES_PER_HOUR
    total = np.bincount(shop.job_good[made], weights=flow, minlength=G)
    count = np.bincount(shop.job_good[made], minlength=G)
    return total / np.maximum(count, 1)
