"""The exact method: LP relaxation, LP-based rounding of the lots, then the MILP warm-started.

1. Solve the LP relaxation of the integrated model: a proven lower bound.
2. Dive: in the same HiGHS LP object (so every re-solve is a warm-started dual simplex
   of a few hundred iterations), repeatedly fix the most clear-cut half of the lots the LP
   violates (0 < x < MOQ, or a fractional lot indicator where a setup cost or time
   applies): a lot where the LP makes at least ``ROUND_UP_SHARE`` of the MOQ, none
   otherwise, and re-solve, until no violation is left. The last LP is then a feasible
   plan. (If a fixing makes the LP infeasible - possible only when stockouts are not
   allowed - the dive falls back to cumulative rounding, :func:`round_lots`.)
3. HiGHS on the MILP from that plan for the remaining time, unless the dive's plan is
   already within the MIP gap of the LP bound (then it is proven and no MIP runs). The
   reported bound is the larger of the MILP's and the LP's; the plan is the best of the
   dive's and HiGHS's.

The model is the lean one (:func:`~plantwise.e2e.model.build_model` with ``lean=True``).
On a pure lot-sizing model (:func:`is_lot_sizing`, the Trigeiro special case) the LP and
the dive carry the (l, S) inequalities, and the MIP (without them) starts from the dive's
plan only when that is within ``LOT_SIZING_START_GAP`` of the LP bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from plantwise.core.backends import get_backend
from plantwise.core.backends.highs import HighsBackend
from plantwise.core.interrupt import shielded, stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress, SolveResult, SolveStatus
from plantwise.e2e.cuts import add_lot_sizing_inequalities
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.model import E2EModel, build_model

ROUND_UP_SHARE = 0.5
LP_SHARE = 0.5  # at most this share of the time limit for the LP relaxation
DIVE_FIX_SHARE = 0.5  # of the violated lots fixed per dive step
VIOLATION = 1e-6
FINAL_STEP_SECONDS = 10.0  # for the dive's last re-solve when its deadline has passed
MIP_MARGIN_SECONDS = 1.5  # kept free at the end for extracting, verifying and writing the plan (large models)
MARGIN_SECONDS_PER_COLUMN = 2e-5  # what the plan's tables and verification take, roughly, per model column
LOT_SIZING_START_GAP = 0.05  # the dive's plan starts the lot-sizing MIP only within this gap of the LP bound


@dataclass
class ExactOutcome:
    result: SolveResult  # objective, bound, status of the method as a whole
    model: E2EModel
    x: np.ndarray | None  # the incumbent's column values
    lp_bound: float | None
    lp_seconds: float
    rounded_objective: float | None
    timings: dict[str, float]


def round_lots(em: E2EModel, x_lp: np.ndarray) -> np.ndarray:
    """Lot decisions ``[K, T]`` (bool) from LP production, repaired to fit each line-day.

    Cumulative rounding: walking forward in time, a pair accumulates the LP's production
    since its last lot; once the sum reaches ``ROUND_UP_SHARE`` of the MOQ, a lot is
    placed on the first day of that run (so the stock is there when the LP needed it) and
    the sum restarts. A final run below the threshold is dropped."""
    inst = em.instance
    prod = x_lp[em.x]
    K, T = prod.shape
    threshold = ROUND_UP_SHARE * np.maximum(inst.moq, 1e-9)
    lots = np.zeros((K, T), dtype=bool)
    acc = np.zeros(K)
    start = np.full(K, -1, dtype=np.int64)
    for t in range(T):  # a vector step per day
        making = prod[:, t] > 1e-9
        start = np.where((start < 0) & making, t, start)
        acc += prod[:, t]
        fire = (start >= 0) & (acc >= threshold)
        lots[np.flatnonzero(fire), start[fire]] = True
        acc[fire] = 0.0
        start[fire] = -1
    lots &= em.binary_pairs[:, None] & (em.x_upper >= inst.moq[:, None] - 1e-9)
    # minimum hours a lot takes: its MOQ at the pair's rate plus the setup time
    need = (inst.moq / inst.rate + inst.setup_hours)[:, None] * lots
    T = inst.horizon
    used = np.zeros((len(inst.lines), T))
    np.add.at(used, inst.pair_line, need)
    # production of pairs without lots takes hours too; keep it at its LP value
    free = ~em.binary_pairs
    np.add.at(used, inst.pair_line[free], prod[free] / inst.rate[free, None])
    over_l, over_t = np.nonzero(used > inst.hours + 1e-9)
    for l, t in zip(over_l, over_t, strict=True):  # only overloaded line-days: few
        ks = np.flatnonzero((inst.pair_line == l) & lots[:, t])
        for k in ks[np.argsort(prod[ks, t], kind="stable")]:
            if used[l, t] <= inst.hours[l, t] + 1e-9:
                break
            lots[k, t] = False
            used[l, t] -= need[k, t]
    return lots


def _fixed_lot_plan(em: E2EModel, lots: np.ndarray, options: SolveOptions) -> tuple[np.ndarray | None, float | None]:
    """The LP optimum with every lot indicator fixed to ``lots`` (a feasible plan), if any."""
    cols = em.y[em.binary_pairs].ravel()
    values = lots[em.binary_pairs].astype(float).ravel()
    lower, upper = em.model.lower, em.model.upper
    em.model.fix(cols, values)
    try:
        with shielded():  # the LP that turns a rounded lot plan into a plan: keep it even when stopping
            fixed = get_backend("highs").solve(em.model, options.with_(progress=None), relax=True)
    finally:
        em.model.set_bounds(np.arange(em.model.num_vars), lower, upper)
    if fixed.status != SolveStatus.OPTIMAL or fixed.x is None:
        return None, None
    x = fixed.x.copy()
    x[cols] = values
    return x, em.model.objective_value(x)


def _fit_lots(pick: np.ndarray, values: np.ndarray, pair_of: np.ndarray, day_of: np.ndarray,
              lot_hours: np.ndarray, committed: np.ndarray, inst: E2EInstance) -> np.ndarray:
    """Keep the lots to be opened (``values == 1``, in ``pick`` order of preference) only while
    the least hours of every lot fixed on a line-day fit its available hours; the rest are
    closed instead. Updates ``committed`` in place."""
    opened = np.flatnonzero(values > 0.5)
    if not opened.size:
        return values
    line = inst.pair_line[pair_of[pick[opened]]]
    day = day_of[pick[opened]]
    need = lot_hours[pick[opened]]
    key = line * inst.horizon + day
    order = np.argsort(key, kind="stable")  # stable: preference order within a line-day
    key_sorted, need_sorted = key[order], need[order]
    starts = np.r_[0, np.flatnonzero(np.diff(key_sorted)) + 1]
    csum = np.cumsum(need_sorted)
    group_start = np.repeat(csum[starts] - need_sorted[starts], np.diff(np.r_[starts, key_sorted.size]))
    within = csum - group_start  # hours of this and earlier preferred lots of the line-day
    fits = committed.ravel()[key_sorted] + within <= inst.hours.ravel()[key_sorted] + 1e-9
    keep = np.zeros(opened.size, dtype=bool)
    keep[order] = fits
    values = values.copy()
    values[opened[~keep]] = 0.0
    flat = committed.reshape(-1)
    np.add.at(flat, key[keep], need[keep])
    return values


def lp_dive(em: E2EModel, options: SolveOptions, deadline: float | None) -> tuple[SolveResult, np.ndarray | None]:
    """Step 1 and 2 of the module docstring. Returns the LP relaxation's result and the
    column values of the dive's feasible plan (``None`` if the dive did not finish)."""

    from plantwise.core.backends.highs import use_threads

    inst = em.instance
    backend = HighsBackend()
    t0 = time.perf_counter()
    h = backend.build(em.model, relax=True)
    h.setOptionValue("random_seed", int(options.seed))

    def run(final: bool = False) -> bool:
        if deadline is not None:
            # HiGHS's time limit counts the run time of the object over all its runs; a
            # final step after the deadline still gets a few seconds to finish
            left = max(0.5, deadline - time.perf_counter()) if not final else FINAL_STEP_SECONDS
            h.setOptionValue("time_limit", h.getRunTime() + left)
        use_threads(h, options.threads)
        h.run()
        return h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    optimal = run()
    lp = backend.result(h, em.model, True, {"solve": time.perf_counter() - t0})
    if not optimal or lp.x is None or not em.binary_pairs.any():
        return lp, lp.x if optimal else None
    ycols = em.y[em.binary_pairs]
    xcols = em.x[em.binary_pairs]
    moq = np.broadcast_to(inst.moq[em.binary_pairs][:, None], ycols.shape)
    needs_y = np.broadcast_to(((inst.setup_cost > 0) | (inst.setup_hours > 0))[em.binary_pairs][:, None],
                              ycols.shape)
    free = np.ones(ycols.shape, dtype=bool)
    pair_of = np.repeat(np.flatnonzero(em.binary_pairs), inst.horizon)
    day_of = np.tile(np.arange(inst.horizon), int(em.binary_pairs.sum()))
    lot_hours = inst.moq[pair_of] / inst.rate[pair_of] + inst.setup_hours[pair_of]  # least hours of a lot
    committed = np.zeros_like(inst.hours)  # hours the lots fixed so far take at least
    x = lp.x
    while True:
        prod, yval = x[xcols], x[ycols]
        short = (prod > VIOLATION) & (prod < moq - VIOLATION)
        fractional = needs_y & (yval > VIOLATION) & (yval < 1 - VIOLATION)
        violated = free & (short | fractional)
        if not violated.any():
            break
        share = np.where(moq > 0, prod / np.maximum(moq, 1e-12), yval)
        # out of time: round every lot still free at once, so the dive still ends with a plan
        hurry = (deadline is not None and time.perf_counter() > deadline) or stop_requested()
        idx = np.flatnonzero((free if hurry else violated).ravel())
        clear = np.abs(share.ravel()[idx] - ROUND_UP_SHARE)
        count = idx.size if hurry else max(1, int(DIVE_FIX_SHARE * idx.size))
        pick = idx[np.argsort(-clear, kind="stable")[:count]]
        values = (share.ravel()[pick] >= ROUND_UP_SHARE).astype(float)
        values = _fit_lots(pick, values, pair_of, day_of, lot_hours, committed, inst)
        cols = ycols.ravel()[pick]
        h.changeColsBounds(len(cols), cols.astype(np.int32), values, values)
        free.ravel()[pick] = False
        if stop_requested():  # the last, warm-started step turns the rounded lots into a plan
            with shielded():
                if not run(final=True):
                    return lp, None
        elif not run(final=hurry):
            return lp, None
        x = np.asarray(h.getSolution().col_value, dtype=float)
    # a feasible plan: lots exactly where production reaches the MOQ (or a setup is paid)
    x = x.copy()
    prod = x[xcols]
    x[ycols] = np.where(needs_y, np.round(x[ycols]), (prod >= moq - VIOLATION) & (prod > VIOLATION)).astype(float)
    return lp, x


def mip_margin(em: E2EModel) -> float:
    """Seconds kept free after the MIP: at most ``MIP_MARGIN_SECONDS``, less for a small model
    (a 600-column lot-sizing model needs a few hundredths of a second for its plan; the
    document's 110,000-column scenarios keep the full margin)."""
    return min(MIP_MARGIN_SECONDS, 0.25 + MARGIN_SECONDS_PER_COLUMN * em.model.num_vars)


def _closed(objective: float, bound: float, options: SolveOptions) -> bool:
    """``objective`` is within the MIP tolerance of ``bound`` (absolute gap when one is given)."""
    if options.mip_abs_gap is not None:
        return objective - bound <= options.mip_abs_gap
    return (objective - bound) / max(abs(objective), 1e-9) <= options.mip_gap


def is_lot_sizing(em: E2EModel) -> bool:
    """The lean model is a pure capacitated lot-sizing model (the Trigeiro special case): lot
    indicators with a setup cost or time, every shipment arc folded into its DC, no transfers,
    no deviation columns and no backlog."""
    inst = em.instance
    return (em.merged is not None and bool(em.merged.all()) and em.binary_pairs.any()
            and bool(((inst.setup_cost > 0) | (inst.setup_hours > 0))[em.binary_pairs].all())
            and em.move.size == 0 and not inst.allow_stockout
            and not ((inst.plant_target > 0) | (inst.plant_minimum > 0)).any()
            and not ((inst.dc_target > 0) | (inst.dc_minimum > 0)).any())


def solve_exact(inst: E2EInstance, options: SolveOptions, em: E2EModel | None = None) -> ExactOutcome:
    """Run the three steps of the module docstring within ``options.time_limit``.

    Without ``em``, the model is the lean one (:func:`~plantwise.e2e.model.build_model` with
    ``lean=True``); when that is a pure lot-sizing model (:func:`is_lot_sizing`), the LP and
    the dive run on it with the (l, S) inequalities of :mod:`plantwise.e2e.cuts` added (their
    LP is the optimum itself on most Trigeiro instances, and the dive then proves it), and
    the MIP runs on the model without them (HiGHS's default options)."""
    t0 = time.perf_counter()
    given = em is not None
    em = em or build_model(inst, lean=True)
    lot_sizing = not given and is_lot_sizing(em)
    dive_em = em
    if lot_sizing:
        dive_em = build_model(inst, lean=True)  # the same columns; (l, S) rows for the LP and the dive
        add_lot_sizing_inequalities(dive_em)
    backend = get_backend(options.solver)
    timings: dict[str, float] = {"build": time.perf_counter() - t0}
    limit = options.time_limit
    lp, best_x = lp_dive(dive_em, options, None if limit is None else t0 + max(1.0, (1 - 0.2) * limit))
    timings["lp"] = lp.timings.get("solve", 0.0)
    timings["dive"] = time.perf_counter() - t0 - timings["lp"] - timings["build"]
    lp_bound = lp.objective if lp.status == SolveStatus.OPTIMAL else None
    if lp.status == SolveStatus.INFEASIBLE:
        res = SolveResult(SolveStatus.INFEASIBLE, solver=lp.solver, solver_version=lp.solver_version,
                          message="LP relaxation infeasible")
        return ExactOutcome(res, em, None, None, timings["lp"], None, timings)
    if not em.model.integer.any() and lp.x is not None:  # no lots: the LP is the model
        res = SolveResult(lp.status, lp.objective, lp_bound, lp.solver, lp.solver_version, timings, lp.x)
        return ExactOutcome(res, em, lp.x, lp_bound, timings["lp"], None, timings)
    if best_x is None and lp.x is not None:  # dive failed: cumulative rounding instead
        remaining = options.remaining(time.perf_counter() - t0)
        best_x, _ = _fixed_lot_plan(em, round_lots(em, lp.x), options.with_(time_limit=remaining))
    best_obj = em.model.objective_value(best_x) if best_x is not None else None
    dive_obj = best_obj
    if options.progress is not None and best_obj is not None:
        options.progress(Progress(time.perf_counter() - t0, best_obj, lp_bound, "LP dive"))

    remaining = options.remaining(time.perf_counter() - t0)
    if remaining is not None:
        remaining -= mip_margin(em)
    mip = None
    # the dive's plan already meets the LP bound (a tight model): it is proven, no MIP needed
    proven = best_obj is not None and lp_bound is not None and _closed(best_obj, lp_bound, options)
    if not proven and (remaining is None or remaining > 1.0):
        start = best_x
        if lot_sizing and best_obj is not None and lp_bound is not None and \
                (best_obj - lp_bound) > LOT_SIZING_START_GAP * max(abs(best_obj), 1e-9):
            start = None  # a poor dive plan as a start lowers HiGHS's 60-s bound there (X11119A: 9039 vs 9103)
        mip = backend.solve(em.model, options.with_(time_limit=remaining), start=start)
        timings["mip"] = mip.timings.get("solve", 0.0)
        if mip.x is not None and (best_obj is None or (mip.objective or np.inf) < best_obj - 1e-9):
            best_x, best_obj = mip.x, mip.objective
    bounds = [b for b in (lp_bound, mip.bound if mip else None) if b is not None]
    bound = max(bounds) if bounds else None
    if best_x is None:
        status = mip.status if mip is not None else SolveStatus.NO_SOLUTION
    elif proven or (mip is not None and mip.status == SolveStatus.OPTIMAL and best_obj is not None and
            mip.objective is not None and best_obj >= mip.objective - 1e-9):
        status = SolveStatus.OPTIMAL
    else:
        gap = None if bound is None or best_obj is None else (best_obj - bound) / max(abs(best_obj), 1e-9)
        status = SolveStatus.OPTIMAL if gap is not None and gap <= options.mip_gap else SolveStatus.FEASIBLE
    if bound is not None and best_obj is not None and bound > best_obj:
        bound = best_obj  # numerical noise: a bound never exceeds the incumbent
    timings["total"] = time.perf_counter() - t0
    res = SolveResult(status, best_obj, bound, backend.name, backend.version(), timings, best_x,
                      node_count=mip.node_count if mip else None)
    return ExactOutcome(res, em, best_x, lp_bound, timings["lp"], dive_obj, timings)
