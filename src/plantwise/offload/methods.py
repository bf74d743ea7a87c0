"""Solving an offload instance: methods, baseline, diagnosis, verification, summary.

Methods
  ``milp``       HiGHS on the full MILP, warm-started from the constructive heuristic, for
                 65 % of its time; if not proven optimal by then, fix-and-optimise LNS
                 improves HiGHS's incumbent for the rest (the bound is HiGHS's).
  ``cpsat``      CP-SAT on the same model (all data integral), hinted the same way.
  ``gurobi``     Gurobi on the same model, when installed and licensed.
  ``heuristic``  constructive heuristic + fix-and-optimise LNS; its bound is the LP
                 relaxation of the full model, so its gap is proven too.

In ``sS`` mode the LP bound is floored by the ``free`` relaxation: every (s,S) plan is a
plan of the ``free`` model (the same columns but ``r``, the same cost, fewer rows), so
``z*_sS >= z*_free >= `` the ``free`` LP value. That LP solves first, and quickly. The (s,S)
LP is then tried in what is left of its share: its bound is stronger, and its start values
guide the constructive heuristic, or the ``free`` LP's do if it does not finish. At 2,000
orders the (s,S) LP may not finish at all within its share, and the MIP's root not within
the time limit. The proven bound was then 0.29 M under an 80 M plan, where the ``free`` LP
gives 75.6 M in 16 s.

The baseline is the same model with every order fixed to its initial site (starts,
purchases and transshipments still optimised), solved by the same backend with a
share of the time limit. Its reported bound is the larger of its own and the full
model's (every baseline plan is a plan of the full model, so the full model's bound
holds for it too; at 5,000 orders the baseline's own LP may not finish in its share).
Every plan is verified by :mod:`plantwise.offload.verifier` before it is returned; a
verification failure is a bug and raises.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from plantwise import __version__
from plantwise.core.backends import get_backend
from plantwise.core.interrupt import stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveResult, SolveStatus, relative_gap
from plantwise.core.verification import VerificationFailed
from plantwise.offload.heuristics import construct, improve
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.model import OffloadModel, build_model
from plantwise.offload.plan import OffloadPlan
from plantwise.offload.verifier import Verification, verify

METHODS = ("milp", "cpsat", "gurobi", "heuristic")
BASELINE_SHARE = 0.2  # of the time limit, spent on the baseline
MIP_SHARE = 0.65  # of a HiGHS solve's time, before fix-and-optimise polishes the incumbent
LP_SHARE = 0.25  # at most, for the LP relaxation that guides the constructive heuristic
POLISH_SHARE = 0.1  # for re-optimising the first plan's purchases and transshipments


@dataclass
class Diagnosis:
    """Why an instance is infeasible: orders that cannot be placed, parts shortages."""

    unplaced_orders: list[str] = field(default_factory=list)
    shortages: list[dict[str, object]] = field(default_factory=list)
    note: str = ""

    def lines(self) -> list[str]:
        out = []
        if self.unplaced_orders:
            out.append(f"{len(self.unplaced_orders)} orders cannot be placed within stations, "
                       f"product-type capacity and due dates: {', '.join(self.unplaced_orders[:20])}")
        for s in self.shortages[:20]:
            if "orders" in s:
                users = s["orders"]
                out.append(f"part {s['part']}: the orders need {s['quantity']} units more than the sites can ever "
                           f"have (initial stock + purchase limit x T); orders needing it: "
                           f"{', '.join(users[:20])}{' ...' if len(users) > 20 else ''}")
            else:
                users = list(s.get("needed_by", []))
                out.append(f"site {s['site']} part {s['part']}: short by {s['quantity']} units "
                           f"(first in period {s['period']})" + (
                               f"; orders placed there that need it: {', '.join(users[:20])}"
                               f"{' ...' if len(users) > 20 else ''}" if users else ""))
        if self.note:
            out.append(self.note)
        return out or ["no plan exists (no single order or part explains it)"]


@dataclass
class OffloadResult:
    status: SolveStatus
    plan: OffloadPlan | None
    result: SolveResult
    baseline: SolveResult | None
    verification: Verification | None
    summary: dict[str, object]
    diagnosis: Diagnosis | None = None


def _run(
    model: OffloadModel, method: str, options: SolveOptions, warm: np.ndarray | None, warm_obj: float | None,
    warm_plan: OffloadPlan | None, lp_bound: float | None,
) -> SolveResult:
    """Solve ``model`` by ``method`` (backend name or ``heuristic``); ``lp_bound`` is the LP
    relaxation's value when known (the heuristic's bound; a floor for a solver's bound)."""
    if method == "heuristic":
        t0 = time.perf_counter()
        bound = lp_bound
        if bound is None:
            lp = get_backend("highs").solve(model.lm, options.with_(progress=None), relax=True)
            bound = lp.objective if lp.status == SolveStatus.OPTIMAL else None
            if lp.status == SolveStatus.INFEASIBLE:
                return SolveResult(SolveStatus.INFEASIBLE, solver="heuristic", message="LP relaxation infeasible")
        if warm_plan is None:
            return SolveResult(SolveStatus.NO_SOLUTION, bound=bound, solver="heuristic",
                               message="constructive heuristic found no plan")
        rest = options.with_(time_limit=options.remaining(time.perf_counter() - t0))
        plan, objective, stats = improve(model.inst, warm_plan, float(warm_obj), rest, model.mode,
                                         site_mask=_mask_of(model))
        x = model.vector_from_plan(plan)
        gap = relative_gap(objective, bound)
        status = SolveStatus.OPTIMAL if gap is not None and gap <= options.mip_gap else SolveStatus.FEASIBLE
        return SolveResult(status, objective, bound, "heuristic+highs", get_backend("highs").version(),
                           {"solve": time.perf_counter() - t0}, x,
                           f"LNS {stats.iterations} sub-problems, {stats.improvements} improvements")
    backend = get_backend(method)
    if method != "highs" or options.time_limit is None:
        return _floor_bound(backend.solve(model.lm, options, start=warm), lp_bound)
    # HiGHS branch-and-cut for most of the time, then fix-and-optimise from its incumbent;
    # the bound stays the one HiGHS proved
    t0 = time.perf_counter()
    res = _floor_bound(
        backend.solve(model.lm, options.with_(time_limit=options.time_limit * MIP_SHARE), start=warm), lp_bound)
    remaining = options.remaining(time.perf_counter() - t0)
    if res.status != SolveStatus.FEASIBLE or res.x is None or res.objective is None or not remaining:
        return res
    plan, objective, stats = improve(model.inst, model.plan_from_vector(res.x), res.objective,
                                     options.with_(time_limit=remaining), model.mode, site_mask=_mask_of(model))
    res.timings["lns"] = stats.seconds
    res.message += f"; then LNS: {stats.iterations} sub-problems, {stats.improvements} improvements"
    if objective < res.objective - 1e-6:
        res.x, res.objective = model.vector_from_plan(plan), objective
        if res.gap is not None and res.gap <= options.mip_gap:
            res.status = SolveStatus.OPTIMAL
    return res


def _floor_bound(res: SolveResult, lp_bound: float | None) -> SolveResult:
    """A solver stopped before its root finished may report a bound below the LP
    relaxation's; the LP value is a proven bound too, so report the larger."""
    if lp_bound is not None and res.status.has_solution and (res.bound is None or res.bound < lp_bound):
        res.bound = lp_bound
    return res


def _warm_start(model: OffloadModel, options: SolveOptions) -> tuple[OffloadPlan | None, float | None]:
    """A first plan: the constructive heuristic guided by the LP relaxation's start
    variables (plain if the LP fails), then its purchases and transshipments re-optimised
    with every order's site and start fixed (a small MILP). Returns (plan, LP bound)."""
    inst, mode = model.inst, model.mode
    budget = options.time_limit
    t0 = time.perf_counter()
    mask = _mask_of(model)
    lp_options = options.with_(progress=None, time_limit=None if budget is None else budget * LP_SHARE)
    guide_model, relaxed = model, None
    if mode == "sS":  # the free relaxation first: a valid floor, solved fast (module docstring)
        free = build_model(inst, "free", site_mask=mask)
        relaxed = get_backend("highs").solve(free.lm, lp_options, relax=True)
        lp_options = lp_options.with_(time_limit=lp_options.remaining(time.perf_counter() - t0))
    lp = get_backend("highs").solve(model.lm, lp_options, relax=True)
    if lp.status != SolveStatus.OPTIMAL and relaxed is not None and relaxed.status == SolveStatus.OPTIMAL:
        guide_model, lp = free, relaxed
    lp_bound = lp.objective if lp.status == SolveStatus.OPTIMAL else None
    plan = None
    if lp.status == SolveStatus.OPTIMAL and lp.x is not None:
        plan = construct(inst, mode, mask, guide=(guide_model.cand, lp.x[guide_model.x]))
    if plan is None:
        plan = construct(inst, mode, mask)
    if plan is None:
        return None, lp_bound
    fixed = _assignment_model(model, plan)
    polish = get_backend("highs").solve(
        fixed.lm, options.with_(progress=None, time_limit=None if budget is None else budget * POLISH_SHARE),
        start=fixed.vector_from_plan(plan))
    if polish.status.has_solution and polish.x is not None:
        better = fixed.plan_from_vector(polish.x)
        if fixed.lm.objective_value(fixed.vector_from_plan(better)) < fixed.lm.objective_value(
                fixed.vector_from_plan(plan)):
            plan = better
    return plan, lp_bound


def _assignment_model(model: OffloadModel, plan: OffloadPlan) -> OffloadModel:
    """The model with every order fixed to its (site, start) in ``plan``."""
    from plantwise.offload.heuristics import _assignment_index
    from plantwise.offload.model import Candidates

    pos = _assignment_index(model.inst, model.cand, plan)
    sub = Candidates(model.cand.order[pos], model.cand.site[pos], model.cand.start[pos])
    return build_model(model.inst, model.mode, cand=sub)


def _mask_of(model: OffloadModel) -> np.ndarray:
    inst = model.inst
    mask = np.zeros((inst.num_orders, inst.num_sites), dtype=bool)
    mask[model.cand.order, model.cand.site] = True
    return mask


def _solve_one(
    inst: OffloadInstance, mode: str, method: str, options: SolveOptions, site_mask: np.ndarray | None
) -> tuple[OffloadModel, SolveResult, dict[str, float]]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    model = build_model(inst, mode, site_mask=site_mask)
    timings["build"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    plan0, lp_bound = _warm_start(model, options)
    timings["construct"] = time.perf_counter() - t1
    warm = model.vector_from_plan(plan0) if plan0 is not None else None
    warm_obj = model.lm.objective_value(warm) if warm is not None else None
    if options.progress is not None and warm_obj is not None:
        from plantwise.core.result import Progress

        options.progress(Progress(time.perf_counter() - t0, warm_obj, None, "constructive"))
    rest = options.with_(time_limit=options.remaining(time.perf_counter() - t0))
    res = _run(model, method, rest, warm, warm_obj, plan0, lp_bound)
    # a backend that stops without beating the warm start still has the warm start
    if warm is not None and res.status in (SolveStatus.NO_SOLUTION, SolveStatus.ERROR):
        res.status, res.x, res.objective = SolveStatus.FEASIBLE, warm, warm_obj
        res.message = f"{res.message}; the plan is the constructive warm start".lstrip("; ")
    if res.x is not None and res.status.has_solution:
        # canonical form: a time-limited incumbent may pay for a lane-period that ships
        # nothing; the plan drops it, so objective and verified cost agree
        res.x = model.vector_from_plan(model.plan_from_vector(res.x))
        res.objective = model.lm.objective_value(res.x)
    for k, v in res.timings.items():
        timings[k] = timings.get(k, 0.0) + v
    return model, res, timings


def direct_causes(inst: OffloadInstance) -> Diagnosis:
    """Necessary conditions checked one by one, each naming exactly the orders and parts at fault:

    * an order with no (site, start) that meets its due date at a site with a station and
      capacity for its product type (``last_start`` and ``type_capacity``);
    * a part that the orders need more of, in all, than the sites can ever have:
      ``sum_i r_in > sum_j (initial_stock_jn + sum_t (purchase_limit_jnt + a_jnt))``; the orders that need
      it are named.
    """
    diag = Diagnosis()
    last = inst.last_start()
    can = inst.eligible & (last >= 1) & (inst.stations[None, :] > 0) & (
        inst.type_capacity[:, inst.order_type].T > 0)
    diag.unplaced_orders = [inst.orders[i] for i in np.flatnonzero(~can.any(axis=1))]
    need = inst.parts_required.sum(axis=0)
    most = (inst.initial_stock + inst.purchase_limit_by_period().sum(axis=2)
            + inst.adjustment_by_period().sum(axis=2)).sum(axis=0)
    for n in np.flatnonzero(need > most):
        users = [inst.orders[i] for i in np.flatnonzero(inst.parts_required[:, n] > 0)]
        diag.shortages.append({"site": "all sites", "part": inst.parts[n], "quantity": round(float(need[n] - most[n])),
                               "period": inst.horizon, "orders": users})
    return diag


def diagnose(inst: OffloadInstance, mode: str, options: SolveOptions) -> Diagnosis:
    """Why no plan exists. First :func:`direct_causes`; when they name nothing, the elastic
    model: an order may stay unplaced and a (site, part, period) may receive emergency parts,
    both at a prohibitive price. Its cheapest plan names the orders and parts that cannot be
    satisfied — reported only when HiGHS proves that plan optimal, since an unproven elastic
    plan may blame innocent orders."""
    direct = direct_causes(inst)
    if direct.unplaced_orders or direct.shortages:
        return direct
    model = build_model(inst, mode)
    lm = model.lm
    I = inst.num_orders
    J, N, T = inst.num_sites, inst.num_parts, inst.horizon
    big = 1e3 * (float(np.abs(lm.cost).sum()) + 1.0)
    unplaced = lm.add_vars("unplaced", I, 0, 1, big, integer=False)
    emergency = lm.add_vars("emergency", J * N * T, 0, np.inf, big / 1e3, integer=False)
    # an extra row block cannot edit existing rows, so fold the slacks in as new rows
    # replacing the assignment and balance rows: rebuild with slack columns appended
    a = lm.matrix("coo")
    rows, cols, vals = [a.row], [a.col], [a.data]
    assign = lm.row_blocks["assign"]
    balance = lm.row_blocks["balance"]
    rows.append(np.arange(assign.start, assign.stop))
    cols.append(unplaced)
    vals.append(np.ones(I))
    rows.append(np.arange(balance.start, balance.stop))
    cols.append(emergency)
    vals.append(-np.ones(J * N * T))
    elastic = type(lm)(name="offload-elastic")
    elastic.add_vars("all", lm.num_vars, lm.lower, lm.upper, lm.cost, False)
    integer = lm.integer
    elastic._integer = [integer]
    elastic.add_rows("all", lm.num_rows, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                     lm.row_lower, lm.row_upper)
    res = get_backend("highs").solve(elastic, options.with_(progress=None, time_limit=min(
        60.0, options.time_limit or 60.0)))
    diag = Diagnosis()
    if not res.status.has_solution or res.x is None:
        notes = []
        if mode == "sS":
            over = np.argwhere(inst.order_up_to > inst.purchase_limit)
            notes += [f"site {inst.sites[j]} part {inst.parts[n]}: the (s,S) rule can require buying up to "
                      f"S = {inst.order_up_to[j, n]} units in one period, the purchase limit is "
                      f"{inst.purchase_limit[j, n]}" for j, n in over]
        generic = "the elastic model found no plan either: check stations, capacities and due dates"
        diag.note = "; ".join(notes) or generic
        return diag
    if res.status != SolveStatus.OPTIMAL:
        diag.note = (f"the diagnosis model did not finish within {min(60.0, options.time_limit or 60.0):g} s, so "
                     "it names no order or part; rerun with a longer --time-limit for a diagnosis")
        return diag
    x = res.x
    diag.unplaced_orders = [inst.orders[i] for i in np.flatnonzero(x[unplaced] > 0.5)]
    em = x[emergency].reshape(J, N, T)
    chosen = x[model.x] > 0.5
    for j, n in zip(*np.nonzero(em.sum(axis=2) > 0.5), strict=True):
        periods = np.flatnonzero(em[j, n] > 0.5)
        placed = np.unique(model.cand.order[chosen & (model.cand.site == j)])
        users = [inst.orders[i] for i in placed if inst.parts_required[i, n] > 0]
        diag.shortages.append({"site": inst.sites[j], "part": inst.parts[n], "needed_by": users,
                               "quantity": round(float(em[j, n].sum())), "period": int(periods[0]) + 1})
    return diag


def solve(
    inst: OffloadInstance,
    method: str = "milp",
    replenishment: str | None = None,
    options: SolveOptions | None = None,
    baseline: bool = True,
) -> OffloadResult:
    """Solve ``inst`` and return a verified plan with its summary (see module docstring)."""
    options = options or SolveOptions()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    mode = replenishment or inst.replenishment
    t0 = time.perf_counter()
    base_res: SolveResult | None = None
    base_cost = None
    base_breakdown: dict[str, float] | None = None
    main_options = options
    if baseline:
        report = options.progress
        share = options.with_(
            time_limit=None if options.time_limit is None else options.time_limit * BASELINE_SHARE,
            progress=None if report is None else (lambda p: report(replace(p, message="baseline"))))
        mask = np.arange(inst.num_sites)[None, :] == inst.initial_site[:, None]
        base_method = "milp" if method == "heuristic" else method
        base_model, base_res, _ = _solve_one(inst, mode, _backend_name(base_method), share, mask)
        base_cost = base_res.objective if base_res.status.has_solution else None
        if base_res.x is not None and base_res.status.has_solution:
            base_check = verify(inst, base_model.plan_from_vector(base_res.x), mode, objective=base_cost)
            if not base_check.ok:
                raise VerificationFailed("baseline: " + "; ".join(str(v) for v in base_check.violations[:10]))
            base_breakdown = base_check.cost_breakdown
        main_options = options.with_(time_limit=options.remaining(time.perf_counter() - t0))
    if base_res is not None and base_res.status.has_solution and stop_requested():
        # interrupted during the baseline: its plan is the best one found, keep it
        model, res, timings = base_model, base_res, {"baseline": time.perf_counter() - t0}
        res.message = "interrupted while solving the baseline: the plan keeps every order at its initial site"
    else:
        model, res, timings = _solve_one(inst, mode, _backend_name(method), main_options, None)
        if base_res is not None and base_res.status.has_solution and res.bound is not None and \
                (base_res.bound is None or base_res.bound < res.bound):
            # every baseline plan is a plan of the full model (orders on their initial sites):
            # the full model's proven bound is the baseline's too
            base_res.bound = min(res.bound, base_res.objective) if base_res.objective is not None else res.bound
            base_res.message = f"{base_res.message}; bound from the full model's".lstrip("; ")
    elapsed = time.perf_counter() - t0

    summary: dict[str, object] = {
        "instance": inst.name,
        "input_checksum": inst.checksum(),
        "method": method,
        "replenishment": mode,
        **res.summary(),
        "solve_seconds": round(elapsed, 3),
        "model": model.lm.stats(),
        "plantwise_version": __version__,
        "options": {"time_limit": options.time_limit, "mip_gap": options.mip_gap,
                    "threads": options.threads, "seed": options.seed},
        "message": res.message,
    }
    summary["timings"] = {k: round(v, 4) for k, v in timings.items()}
    if base_res is not None:
        summary["baseline_cost"] = base_cost
        summary["baseline_status"] = str(base_res.status)
        summary["baseline_bound"] = base_res.bound
        summary["baseline_gap"] = base_res.gap
        summary["baseline_cost_breakdown"] = base_breakdown
    if res.status == SolveStatus.INFEASIBLE or (not res.status.has_solution and res.status != SolveStatus.NO_SOLUTION):
        diag = diagnose(inst, mode, options) if res.status == SolveStatus.INFEASIBLE else None
        summary["diagnosis"] = diag.lines() if diag else []
        return OffloadResult(res.status, None, res, base_res, None, summary, diag)
    if not res.status.has_solution or res.x is None:
        return OffloadResult(res.status, None, res, base_res, None, summary)

    plan = model.plan_from_vector(res.x)
    check = verify(inst, plan, mode, objective=res.objective)
    if not check.ok:
        raise VerificationFailed("; ".join(str(v) for v in check.violations[:10]))
    assignments = plan.assignments
    per_site = assignments["site"].value_counts().reindex(inst.sites, fill_value=0)
    summary.update(
        {
            "objective": check.total_cost,
            "cost_breakdown": check.cost_breakdown,
            "saving_pct": None if base_cost is None else round(100 * (base_cost - check.total_cost) / base_cost, 4),
            "offloaded_orders": int(assignments["offloaded"].sum()),
            "orders_per_site": {k: int(v) for k, v in per_site.items()},
            "transshipment_periods": check.lane_periods,
            "transshipped_units": int(plan.shipments["quantity"].sum()) if len(plan.shipments) else 0,
            "verified": True,
        }
    )
    plan.summary = summary
    return OffloadResult(res.status, plan, res, base_res, check, summary)


def _backend_name(method: str) -> str:
    return "highs" if method == "milp" else method
