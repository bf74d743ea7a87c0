"""CP-SAT model of a :class:`~plantwise.schedule.shop.Shop` with interval variables.

Variables (all integer; time in the shop's unit, quantities in ``1/QUANTITY_SCALE`` units):

* ``x_k`` job ``k`` is made (constant 1 for mandatory jobs);
* ``s_o, e_o`` start and end of operation ``o``; ``y_a`` alternative ``a`` is chosen,
  with an optional interval ``[s_o, s_o + d_a)`` present iff ``y_a``;
* ``f_kp`` job ``k`` has finished by the end ``E_p`` of period ``p`` (inventory only);
* ``I_gp, B_gp, U_gp`` stock, backlog (stockout) and shortfall below the reorder point.

Constraints:

* one alternative per operation of a made job: ``sum_{a in A(o)} y_a = x_{job(o)}``;
* no overlap on a machine: the chosen intervals on machine ``m``, the calendar's
  breaks and the machine's downtime windows are pairwise disjoint (``NoOverlap``), so no
  operation spans a break or a downtime;
* route precedence: ``s_{o'} >= e_o`` for consecutive operations ``o, o'`` of a job;
* release: ``s_{first(k)} >= r_k``; horizon: ``e_o <= H``;
* shelf life: ``e_{o_to} - s_{o_from} <= L`` for every lag row;
* completion by period: ``f_kp => x_k``, ``f_kp => e_{last(k)} <= E_p``,
  ``x_k and not f_kp => e_{last(k)} >= E_p + 1``, ``f_kp <= f_{k,p+1}``, ``x_k => f_{k,P}``;
* inventory balance: ``I_gp - B_gp = I0_g + sum_{k in K_g} q_k f_kp - sum_{p' <= p} (d_{gp'} - a_{gp'})``
  with ``q_k`` the job's output less its yield loss and ``a`` the stock adjustments;
* reorder point: ``U_gp >= R_g - I_gp``;
* identical jobs of a good are made in order: ``x_{k+1} <= x_k`` and ``s_{first(k)} <= s_{first(k+1)}``.

Objectives:

* ``cost``: ``sum_a c_a y_a + sum_k F_k x_k + sum_{g,p} (h_g I_gp + b_g B_gp + c^safety_g U_gp)``
  where ``c_a`` prices the alternative's machine, labour and setup hours and ``F_k`` the
  job's order, finished-good and waste costs;
* ``makespan``: ``min C_max`` with ``C_max >= e_o`` for every operation;
* ``weighted-tardiness``: ``min sum_k w_k T_k`` with ``T_k >= e_{last(k)} - due_k``, ``T_k >= 0``.

Costs are scaled to integers (``COST_SCALE`` per currency unit) for CP-SAT; the plan's
reported cost is recomputed in floating point by the verifier. A caller may add its own
constraints and cost terms (``extend``: re-planning's history, fence and change penalties)
before the objective is set.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from plantwise.core.interrupt import stop_hook, stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress, SolveStatus
from plantwise.schedule.shop import Shop

QUANTITY_SCALE = 100  # CP-SAT counts stock in hundredths of a unit
COST_SCALE = 1_000_000  # and costs in millionths of a currency unit
OBJECTIVES = ("cost", "makespan", "weighted-tardiness")
TIE_BREAK_LIMIT = 2**62  # lexicographic cost-then-flow objective only while it cannot overflow

_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.UNKNOWN: SolveStatus.NO_SOLUTION,
    cp_model.MODEL_INVALID: SolveStatus.ERROR,
}


@dataclass
class Schedule:
    """A schedule of a shop: which jobs are made, and each operation's alternative and times.

    ``op_alt[o]`` is the chosen alternative (-1 when the job is not made).
    """

    job_made: np.ndarray  # [K] bool
    op_alt: np.ndarray  # [O] int
    op_start: np.ndarray  # [O] int
    op_end: np.ndarray  # [O] int


@dataclass
class ModelVars:
    """The variables of a built model, for a caller's ``extend``: ``made[k]`` (a literal or the
    constant 1), ``start[o]``, ``end[o]``, ``chosen[a]`` (a literal or the constant 1), and
    ``op_alts[o]`` / ``job_ops[k]`` (the shop's index sets)."""

    made: list
    start: list
    end: list
    chosen: list
    op_alts: list[np.ndarray]
    job_ops: list[np.ndarray]


# extend(model, vars, worst) -> (variables, integer coefficients) added to the cost objective;
# ``worst`` bounds |cost part of the objective| in integer cost units (COST_SCALE per currency)
Extend = Callable[[cp_model.CpModel, ModelVars, int], tuple[list, list[int]]]


@dataclass
class CpSatOutcome:
    status: SolveStatus
    schedule: Schedule | None
    objective: float | None  # the model's objective (currency or time units)
    bound: float | None
    build_seconds: float
    solve_seconds: float
    message: str = ""


def _int_cost(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * COST_SCALE).astype(np.int64)


def solve_cpsat(shop: Shop, objective: str, options: SolveOptions, hint: Schedule | None = None,
                workers: int | None = None, compact: bool = False,
                blocked: list[np.ndarray] | None = None, deterministic_time: float | None = None,
                interleave: bool = False, extend: Extend | None = None,
                interchangeable: np.ndarray | None = None, absolute_gap: float | None = None) -> CpSatOutcome:
    """Build the CP-SAT model of ``shop`` for ``objective`` and solve it within ``options``.

    With ``compact`` (cost objective), ties are broken by the total flow time
    ``sum_k (e_{last(k)} - s_{first(k)})``: the model minimises ``M cost + flow`` with
    ``M = K H + 1`` larger than any flow, so the cost optimum is unchanged and, among
    equally cheap schedules, jobs do not wait between stages without reason (this is what
    makes the document's lead time, and so the dynamic reorder point, well defined).
    ``blocked[m]`` lists ``[start, end)`` windows in which machine ``m`` is taken (by jobs outside this model).
    ``deterministic_time`` caps CP-SAT's deterministic work (reproducible, unlike seconds).
    With ``interleave`` the workers' search is interleaved deterministically: the same
    input gives the same schedule on every run unless the wall-clock limit cuts the search.

    ``extend`` (cost objective) adds a caller's constraints and cost terms (see :data:`Extend`);
    the outcome's objective and bound then include those terms. ``interchangeable[k]``
    (default: every job) says job ``k`` may be ordered by symmetry with its identical
    neighbours. ``absolute_gap`` (currency) stops the search once the objective is proven
    within it, instead of the relative ``mip_gap``."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    t0 = time.perf_counter()
    m = cp_model.CpModel()
    H = int(shop.horizon)
    K, O = shop.num_jobs, shop.num_ops
    job_ops = shop.job_ops()
    op_alts = shop.op_alts()
    optional = shop.job_optional.astype(bool)
    made = [m.new_bool_var(f"x{k}") if optional[k] else m.new_constant(1) for k in range(K)]
    start = [m.new_int_var(0, H, f"s{o}") for o in range(O)]
    end = [m.new_int_var(0, H, f"e{o}") for o in range(O)]
    chosen: list[cp_model.IntVar] = [None] * len(shop.alt_op)  # type: ignore[list-item]
    by_machine: list[list[cp_model.IntervalVar]] = [[] for _ in shop.machines]
    for o in range(O):
        k = int(shop.op_job[o])
        alts = op_alts[o]
        if len(alts) == 0:
            raise ValueError(f"operation {o} of job {shop.job_name[k]} has no machine")
        if len(alts) == 1 and not optional[k]:
            a = int(alts[0])
            chosen[a] = m.new_constant(1)
            iv = m.new_interval_var(start[o], int(shop.alt_duration[a]), end[o], f"i{a}")
            by_machine[int(shop.alt_machine[a])].append(iv)
            continue
        lits = []
        for a in alts:
            a = int(a)
            lit = m.new_bool_var(f"y{a}")
            chosen[a] = lit
            lits.append(lit)
            iv = m.new_optional_interval_var(start[o], int(shop.alt_duration[a]), end[o], lit, f"i{a}")
            by_machine[int(shop.alt_machine[a])].append(iv)
        m.add(sum(lits) == made[k])
        if optional[k]:
            m.add(start[o] == 0).only_enforce_if(made[k].Not())
            m.add(end[o] == 0).only_enforce_if(made[k].Not())
    breaks = [m.new_interval_var(int(b0), int(b1 - b0), int(b1), "break") for b0, b1 in shop.breaks if b1 > b0]
    for machine, ivs in enumerate(by_machine):
        taken = []
        if blocked is not None and len(blocked[machine]):
            taken = [m.new_interval_var(int(b0), int(b1 - b0), int(b1), "taken") for b0, b1 in blocked[machine]]
        taken += [m.new_interval_var(int(b0), int(b1 - b0), int(b1), "down") for b0, b1 in
                  shop.machine_downtime(machine) if b1 > b0]
        if ivs and (len(ivs) > 1 or breaks or taken):
            m.add_no_overlap(ivs + breaks + taken)
    first = np.array([ops[0] for ops in job_ops], dtype=np.int64)
    last = np.array([ops[-1] for ops in job_ops], dtype=np.int64)
    for k, ops in enumerate(job_ops):
        for o, o_next in itertools.pairwise(ops):
            m.add(start[int(o_next)] >= end[int(o)])
        if shop.job_release[k] > 0:
            m.add(start[int(first[k])] >= int(shop.job_release[k])).only_enforce_if(made[k])
    for _k, o_from, o_to, lag in shop.lags:
        m.add(end[int(o_to)] - start[int(o_from)] <= int(lag))
    # identical jobs (same good, quantity and route alternatives) in order
    swappable = np.ones(K, dtype=bool) if interchangeable is None else np.asarray(interchangeable, dtype=bool)
    for k in range(K - 1):
        if swappable[k] and swappable[k + 1] and shop.job_good[k] >= 0 \
                and shop.job_good[k] == shop.job_good[k + 1] and optional[k] == optional[k + 1] \
                and np.isclose(shop.job_quantity[k], shop.job_quantity[k + 1]) \
                and len(job_ops[k]) == len(job_ops[k + 1]) and shop.job_release[k] == shop.job_release[k + 1]:
            if optional[k]:
                m.add_implication(made[k + 1], made[k])
            m.add(start[int(first[k])] <= start[int(first[k + 1])]).only_enforce_if(made[k + 1])

    tie_scale = 1
    terms_vars: list[cp_model.IntVar] = []
    terms_coef: list[int] = []
    if objective == "cost":
        alt_cost = _int_cost(shop.alt_cost)
        for a in np.flatnonzero(alt_cost):
            terms_vars.append(chosen[int(a)])
            terms_coef.append(int(alt_cost[a]))
        fixed = _int_cost(shop.job_fixed_cost)
        for k in np.flatnonzero(fixed):
            terms_vars.append(made[int(k)])
            terms_coef.append(int(fixed[k]))
        if shop.inventory is not None:
            _inventory(m, shop, made, end, last, terms_vars, terms_coef)
        proto_vars = m.proto.variables

        def largest(variables: list, coefs: list[int]) -> int:
            return sum(abs(c) * max(abs(d) for d in proto_vars[v.index].domain)
                       for v, c in zip(variables, coefs, strict=True))

        if extend is not None:
            more_vars, more_coef = extend(m, ModelVars(made, start, end, chosen, op_alts, job_ops),
                                          largest(terms_vars, terms_coef))
            terms_vars += list(more_vars)
            terms_coef += [int(c) for c in more_coef]
        cost_expr = cp_model.LinearExpr.weighted_sum(terms_vars, terms_coef) if terms_vars else 0
        worst = largest(terms_vars, terms_coef)
        tie_scale = K * H + 1 if compact and terms_vars else 1
        if tie_scale > 1 and worst * tie_scale < TIE_BREAK_LIMIT:
            flow = sum(end[int(last[k])] - start[int(first[k])] for k in range(K))
            m.minimize(tie_scale * cost_expr + flow)
        else:
            tie_scale = 1
            m.minimize(cost_expr)
    elif objective == "makespan":
        cmax = m.new_int_var(0, H, "cmax")
        if K:
            m.add_max_equality(cmax, [end[int(o)] for o in last])
        else:  # nothing to make: the makespan is 0
            m.add(cmax == 0)
        m.minimize(cmax)
    else:
        tardy = []
        weights = []
        for k in range(K):
            t = m.new_int_var(0, H, f"T{k}")
            m.add(t >= end[int(last[k])] - int(shop.job_due[k]))
            tardy.append(t)
            weights.append(round(float(shop.job_weight[k]) * 1000))
        m.minimize(cp_model.LinearExpr.weighted_sum(tardy, weights))

    if hint is not None:
        for k in range(K):
            if optional[k]:
                m.add_hint(made[k], bool(hint.job_made[k]))
        for o in range(O):
            m.add_hint(start[o], int(hint.op_start[o]))
            m.add_hint(end[o], int(hint.op_end[o]))
            for a in op_alts[o]:
                if len(op_alts[o]) > 1 or optional[int(shop.op_job[o])]:
                    m.add_hint(chosen[int(a)], int(a) == int(hint.op_alt[o]))

    build_seconds = time.perf_counter() - t0
    solver = cp_model.CpSolver()
    if options.time_limit is not None:
        solver.parameters.max_time_in_seconds = float(max(options.time_limit - build_seconds, 0.05))
    solver.parameters.num_workers = int(workers if workers is not None else max(1, options.threads))
    solver.parameters.random_seed = int(options.seed)
    solver.parameters.relative_gap_limit = float(options.mip_gap) if objective == "cost" else 0.0
    if absolute_gap is not None and objective == "cost":
        solver.parameters.relative_gap_limit = 0.0
        solver.parameters.absolute_gap_limit = float(max(absolute_gap, 0.0)) * COST_SCALE * tie_scale
    solver.parameters.log_search_progress = bool(options.log)
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = float(deterministic_time)
    elif options.work_limit is not None:
        solver.parameters.max_deterministic_time = float(options.work_limit)
    if interleave:
        solver.parameters.interleave_search = True
    t1 = time.perf_counter()
    callback = None
    if options.progress is not None:
        report = options.progress
        divisor = (COST_SCALE if objective == "cost" else (1000 if objective == "weighted-tardiness" else 1))

        class _Progress(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                value = float(np.floor(self.objective_value / tie_scale)) / divisor
                bound = float(np.floor(self.best_objective_bound / tie_scale)) / divisor
                report(Progress(time.perf_counter() - t1, value, bound))

        callback = _Progress()
    solver.parameters.catch_sigint_signal = False  # plantwise.core.interrupt stops it (and keeps the plan)
    if stop_requested():
        solver.parameters.max_time_in_seconds = 0.01
    with stop_hook(solver.stop_search):
        raw_status = solver.solve(m, callback)
    status = _STATUS.get(raw_status, SolveStatus.ERROR)
    solve_seconds = time.perf_counter() - t1
    if not status.has_solution:
        return CpSatOutcome(status, None, None, None, build_seconds, solve_seconds, solver.status_name(raw_status))
    objective_value = float(solver.objective_value)
    bound_value = float(solver.best_objective_bound)
    if tie_scale > 1:  # recover the cost from M * cost + flow
        objective_value = float(np.floor(objective_value / tie_scale))
        bound_value = float(np.floor(bound_value / tie_scale))
    job_made = np.array([bool(solver.value(x)) for x in made])
    op_alt = np.full(O, -1, dtype=np.int64)
    for a, lit in enumerate(chosen):
        if solver.value(lit):
            op_alt[int(shop.alt_op[a])] = a
    op_start = np.array([solver.value(v) for v in start], dtype=np.int64)
    op_end = np.array([solver.value(v) for v in end], dtype=np.int64)
    scale = COST_SCALE if objective == "cost" else (1000 if objective == "weighted-tardiness" else 1)
    return CpSatOutcome(
        status, Schedule(job_made, op_alt, op_start, op_end),
        objective_value / scale, bound_value / scale,
        build_seconds, solve_seconds, solver.status_name(raw_status),
    )


def _inventory(m: cp_model.CpModel, shop: Shop, made: list, end: list, last: np.ndarray,
               terms_vars: list, terms_coef: list) -> None:
    """Finished-goods stock per good and period (see the module docstring)."""
    inv = shop.inventory
    assert inv is not None
    P = inv.num_periods
    G = len(inv.goods)
    E = inv.period_end.astype(np.int64)
    produced: list[list[tuple[int, cp_model.IntVar]]] = [[[] for _ in range(P)] for _ in range(G)]  # type: ignore[misc]
    received = shop.received()
    for k in range(shop.num_jobs):
        g = int(shop.job_good[k])
        if g < 0:
            continue
        q = round(float(received[k]) * QUANTITY_SCALE)
        e_last = end[int(last[k])]
        prev = None
        for p in range(P):
            f = m.new_bool_var(f"f{k}_{p}")
            m.add_implication(f, made[k])
            m.add(e_last <= int(E[p])).only_enforce_if(f)
            m.add(e_last >= int(E[p]) + 1).only_enforce_if([made[k], f.Not()])
            if prev is not None:
                m.add_implication(prev, f)
            prev = f
            produced[g][p].append((q, f))
        if prev is not None:
            m.add_implication(made[k], prev)
    demand = np.round(inv.demand * QUANTITY_SCALE).astype(np.int64)
    adjust = np.zeros_like(demand) if inv.adjustment is None else np.round(inv.adjustment * QUANTITY_SCALE).astype(
        np.int64)
    cum = np.cumsum(demand - adjust, axis=1)  # net draw on the stock up to each period
    initial = np.round(inv.initial * QUANTITY_SCALE).astype(np.int64)
    # per-quantity-unit costs in integer cost units
    hold = _int_cost(inv.holding_cost / QUANTITY_SCALE)
    short = _int_cost(inv.stockout_cost / QUANTITY_SCALE)
    safety = _int_cost(inv.safety_cost / QUANTITY_SCALE)
    rop = np.round(inv.reorder_point * QUANTITY_SCALE).astype(np.int64)
    gained = np.maximum(adjust, 0).sum(axis=1)
    lost = np.maximum(demand, 0).sum(axis=1) + np.maximum(-adjust, 0).sum(axis=1)
    for g in range(G):
        top = int(initial[g] + gained[g] + (sum(q for q, _ in produced[g][P - 1]) if P else 0))
        low = int(lost[g]) if P else 0
        for p in range(P):
            stock = m.new_int_var(0, max(top, 0), f"I{g}_{p}")
            backlog = m.new_int_var(0, max(low, 0), f"B{g}_{p}")
            made_by_p = cp_model.LinearExpr.weighted_sum([f for _, f in produced[g][p]],
                                                         [q for q, _ in produced[g][p]]) if produced[g][p] else 0
            m.add(stock - backlog == int(initial[g]) - int(cum[g, p]) + made_by_p)
            if hold[g]:
                terms_vars.append(stock)
                terms_coef.append(int(hold[g]))
            if short[g]:
                terms_vars.append(backlog)
                terms_coef.append(int(short[g]))
            if rop[g] > 0 and safety[g]:
                under = m.new_int_var(0, int(rop[g]), f"U{g}_{p}")
                m.add(under >= int(rop[g]) - stock)
                terms_vars.append(under)
                terms_coef.append(int(safety[g]))
