"""Re-planning an offload plan after changes (:mod:`plantwise.core.replan` has the rules).

Time is the period. The changed instance is the old one with the events applied:
``cancel_order`` (the order and its rows leave), ``due_date`` (a new due period),
``new_order`` (a new order with the parts and site data of an existing one, ``like``),
and the disruptions, written into the instance's optional tables (periods ``from..to``
inclusive, none before ``now``):

* ``site_down`` (site, from, to, stations): L_jt -= stations (all of them by default) —
  ``site_downtime.csv``;
* ``part_short`` (site, part, from, to, limit): the purchase limit of those periods —
  ``purchase_limits.csv``;
* ``lane_closed`` (from_site, to_site, from, to): nothing departs on the lane in those
  periods — ``lane_closures.csv``;
* ``stock_actual`` (site, part, quantity): the stock counted at the start of ``now``. The old
  plan's stock at the end of ``now - 1`` (recomputed from the old instance and plan) is
  corrected by ``a = quantity - planned`` in period ``now - 1`` (``stock_adjustments.csv``),
  so the history stays as it was and the stock from ``now`` on starts from the count; at
  ``now = 1`` the initial stock becomes the count.

The re-plan is the offload MILP of the changed instance with

* history: an order that started before ``now`` keeps its site and start (bounds), no
  other order may start before ``now``, and purchases and transshipments of periods before
  ``now`` keep their quantities (so the stock up to ``now`` is what it was);
* the fence: an order whose old start is in ``[now, freeze_until)`` keeps it unless that is
  infeasible — its old (site, start) column earns a reward of ``FENCE_WEIGHT`` times the
  old plan's cost, more than any plan can save by moving it; every one that moved anyway is
  named;
* beyond: keeping an order's old (site, start) earns ``change_penalty`` (the same as
  charging each change, up to a constant);
* purchases and transshipments from ``now`` on: each quantity that differs from the old
  plan's (a binary per site-part-period and per lane-part-period, :func:`_penalise_changes`)
  costs ``change_penalty`` beyond the fence and the old plan's cost (+ the penalty) in the
  fence — a tenth of a frozen order's weight, so when the fence cannot hold whole, frozen
  orders are kept before frozen quantities; every frozen quantity that changed is named;
* the MIP gap is absolute, ``mip_gap`` times the old plan's cost (the fence weights would
  make a relative gap loose in the plan's own units);
* warm start: the old plan, when it is feasible for the changed instance.

The objective reported is the plan's own cost (as the verifier recomputes it); the MILP's
own objective and bound (with the rewards) are in the summary's details.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import pandas as pd

from plantwise.core.backends import get_backend
from plantwise.core.errors import InputError, InputErrors
from plantwise.core.family import MethodOutput
from plantwise.core.options import SolveOptions
from plantwise.core.replan import Changes, EventField, EventKind, Replanned
from plantwise.core.result import SolveStatus
from plantwise.core.summary import lookup
from plantwise.offload.instance import OffloadInstance, from_frames, load
from plantwise.offload.model import build_model
from plantwise.offload.plan import OffloadPlan
from plantwise.offload.verifier import verify

FENCE_WEIGHT = 10.0

EVENTS = {
    "cancel_order": EventKind("cancel_order", (EventField("order", help="the order withdrawn"),),
                              "the order is withdrawn (it must not have started before now)"),
    "due_date": EventKind("due_date", (EventField("order"), EventField("due", "int", time=True,
                                                                        help="the new due period")),
                          "the order's due period changes"),
    "new_order": EventKind(
        "new_order",
        (EventField("order", help="the new order's id"),
         EventField("due_period", "int", time=True),
         EventField("like", help="an existing order whose parts and site data it takes"),
         EventField("product_type", required=False), EventField("initial_site", required=False)),
        "a new order: its parts, eligible sites, times and costs those of the order `like`"),
    "site_down": EventKind(
        "site_down",
        (EventField("site"), EventField("from", "int", time=True, help="first period down"),
         EventField("to", "int", time=True, help="last period down (inclusive)"),
         EventField("stations", "int", required=False, minimum=1, help="stations lost (default: all)")),
        "stations of a site out of use in periods from..to"),
    "part_short": EventKind(
        "part_short",
        (EventField("site"), EventField("part"), EventField("from", "int", time=True),
         EventField("to", "int", time=True, help="last period (inclusive)"),
         EventField("limit", "int", minimum=0, help="the purchase limit in those periods")),
        "a part's purchase limit at a site drops in periods from..to"),
    "lane_closed": EventKind(
        "lane_closed",
        (EventField("from_site"), EventField("to_site"), EventField("from", "int", time=True),
         EventField("to", "int", time=True, help="last period (inclusive)")),
        "nothing departs on the lane in periods from..to"),
    "stock_actual": EventKind(
        "stock_actual",
        (EventField("site"), EventField("part"),
         EventField("quantity", "int", minimum=0, help="the stock counted at the start of now")),
        "the stock counted at the start of now replaces the planned stock"),
}
DISRUPTIONS = ("site_down", "part_short", "lane_closed", "stock_actual")


def _fail(changes: Changes, k: int, event: dict[str, Any], column: str, message: str) -> InputError:
    return InputError(changes.source, None, column, f"event {k} ({event['kind']}): {message}")


def apply_events(inst: OffloadInstance, plan: OffloadPlan, changes: Changes) -> OffloadInstance:
    """The instance with the events applied (every defect named by event and field)."""
    frames = {k: v.copy() for k, v in inst.to_frames().items()}
    starts = dict(zip(plan.assignments["order"].astype(str), plan.assignments["start"].astype(int), strict=True))
    errors: list[InputError] = []
    for k, event in enumerate(changes.events, start=1):
        if event["kind"] in DISRUPTIONS:
            continue
        orders = set(frames["orders"]["order"].astype(str))
        order = str(event["order"])
        kind = event["kind"]
        if kind == "new_order":
            like = str(event["like"])
            if order in orders:
                errors.append(_fail(changes, k, event, "order", f"order {order} exists already"))
                continue
            if like not in orders:
                errors.append(_fail(changes, k, event, "like", f"unknown order {like}"))
                continue
            row = frames["orders"][frames["orders"]["order"] == like].copy()
            row["order"], row["due_period"] = order, int(event["due_period"])
            for column in ("product_type", "initial_site"):
                if event.get(column) is not None:
                    row[column] = str(event[column])
            frames["orders"] = pd.concat([frames["orders"], row], ignore_index=True)
            for table in ("order_parts", "order_sites"):
                rows = frames[table][frames[table]["order"] == like].copy()
                rows["order"] = order
                frames[table] = pd.concat([frames[table], rows], ignore_index=True)
            continue
        if order not in orders:
            errors.append(_fail(changes, k, event, "order", f"unknown order {order}"))
            continue
        if order in starts and starts[order] < changes.now:
            errors.append(_fail(changes, k, event, "order", f"order {order} started in period {starts[order]}, "
                                                            f"before now ({changes.now}): it is history"))
            continue
        if kind == "cancel_order":
            for table in ("orders", "order_parts", "order_sites"):
                frames[table] = frames[table][frames[table]["order"].astype(str) != order].reset_index(drop=True)
        elif kind == "due_date":
            frames["orders"].loc[frames["orders"]["order"].astype(str) == order, "due_period"] = int(event["due"])
    if errors:
        raise InputErrors(errors)
    try:
        changed = from_frames(frames, inst.horizon, inst.replenishment, name=f"{inst.name}-replanned")
    except InputErrors as exc:  # a change that breaks a cross-table rule, said in the changes file's terms
        raise InputErrors([InputError(changes.source, None, None, f"after the events: {e}") for e in exc.errors]
                          ) from None
    return _apply_disruptions(inst, plan, changed, changes)


def _apply_disruptions(inst: OffloadInstance, plan: OffloadPlan, changed: OffloadInstance,
                       changes: Changes) -> OffloadInstance:
    """``changed`` with the disruption events written into its time-varying arrays."""
    J, N, T = changed.num_sites, changed.num_parts, changed.horizon
    sidx = {s: k for k, s in enumerate(changed.sites)}
    pidx = {p: k for k, p in enumerate(changed.parts)}
    lost = changed.stations_lost.copy() if changed.stations_lost is not None else np.zeros((J, T), np.int64)
    limits = changed.period_purchase_limit.copy() if changed.period_purchase_limit is not None \
        else np.full((J, N, T), -1, np.int64)
    closed = changed.lane_closed.copy() if changed.lane_closed is not None else np.zeros((J, J, T), bool)
    adjust = changed.adjustment_by_period().copy()
    initial = changed.initial_stock.copy()
    planned: np.ndarray | None = None
    history: np.ndarray | None = None
    errors: list[InputError] = []
    for k, event in enumerate(changes.events, start=1):
        kind = event["kind"]
        if kind not in DISRUPTIONS:
            continue
        bad = [_fail(changes, k, event, c, f"unknown {what} {event[c]}") for c, what, ids in
               (("site", "site", sidx), ("from_site", "site", sidx), ("to_site", "site", sidx),
                ("part", "part", pidx)) if c in event and str(event[c]) not in ids]
        if kind != "stock_actual":
            first, last = int(event["from"]), int(event["to"])
            if first < changes.now:
                bad.append(_fail(changes, k, event, "from", f"period {first} is before now ({changes.now}): "
                                                            "the past cannot change"))
            if last < first:
                bad.append(_fail(changes, k, event, "to", f"period {last} is before from ({first})"))
        if bad:
            errors += bad
            continue
        if kind == "site_down":
            j = sidx[str(event["site"])]
            n_lost = int(event.get("stations") or changed.stations[j])
            window = slice(first - 1, last)
            if (lost[j, window] + n_lost > changed.stations[j]).any():
                errors.append(_fail(changes, k, event, "stations", f"site {event['site']} has "
                                    f"{changed.stations[j]} stations; {n_lost} more cannot be lost"))
                continue
            if history is None:
                history = _history_occupancy(changed, plan, changes.now)
            busy = changed.stations[j] - lost[j, window] - n_lost < history[j, window]
            if busy.any():
                period = first + int(np.flatnonzero(busy)[0])
                errors.append(_fail(changes, k, event, "stations", f"orders started before now are in process at "
                                    f"site {event['site']} in period {period} on {int(history[j, period - 1])} "
                                    "station(s): they are history, so those stations cannot be lost"))
                continue
            lost[j, window] += n_lost
        elif kind == "part_short":
            j, n = sidx[str(event["site"])], pidx[str(event["part"])]
            current = changed.purchase_limit_by_period()[j, n, first - 1:last]
            limits[j, n, first - 1:last] = np.minimum(current, int(event["limit"]))
        elif kind == "lane_closed":
            j, jj = sidx[str(event["from_site"])], sidx[str(event["to_site"])]
            if not changed.lane[j, jj]:
                errors.append(_fail(changes, k, event, "to_site", f"no lane {event['from_site']} -> "
                                                                  f"{event['to_site']} in lanes.csv"))
                continue
            closed[j, jj, first - 1:last] = True
        else:  # stock_actual
            j, n = sidx[str(event["site"])], pidx[str(event["part"])]
            quantity = int(event["quantity"])
            if quantity > changed.storage_capacity[j, n]:
                errors.append(_fail(changes, k, event, "quantity", f"{quantity} exceeds the storage capacity "
                                                                   f"{changed.storage_capacity[j, n]}"))
                continue
            if changes.now == 1:
                initial[j, n] = quantity
                continue
            if planned is None:
                planned = verify(inst, plan).stock
            adjust[j, n, changes.now - 2] += quantity - int(planned[j, n, changes.now - 2])
    if errors:
        raise InputErrors(errors)
    return dataclasses.replace(
        changed, stations_lost=lost if lost.any() else None,
        period_purchase_limit=limits if (limits >= 0).any() else None,
        lane_closed=closed if closed.any() else None,
        stock_adjustment=adjust if adjust.any() else None, initial_stock=initial)


def replan(inst: OffloadInstance, plan: OffloadPlan, changes: Changes, options: SolveOptions) -> Replanned:
    """Re-plan ``plan`` of ``inst`` after ``changes`` (see the module docstring)."""
    t0 = time.perf_counter()
    new = apply_events(inst, plan, changes)
    mode = str(lookup(plan.summary or {}, "replenishment", None) or inst.replenishment)  # the old plan's rule
    model = build_model(new, mode)
    lm, cand = model.lm, model.cand
    old = plan.assignments[["order", "site", "start"]].copy()
    old["order"] = old["order"].astype(str)
    oidx = {o: k for k, o in enumerate(new.orders)}
    sidx = {s: k for k, s in enumerate(new.sites)}
    old = old[old["order"].isin(oidx)].reset_index(drop=True)
    i_old = old["order"].map(oidx).to_numpy(np.int64)
    j_old = old["site"].map(sidx).to_numpy(np.int64)
    s_old = old["start"].to_numpy(np.int64)
    index = pd.Series(np.arange(len(cand)), index=pd.MultiIndex.from_arrays([cand.order, cand.site, cand.start]))
    col = index.reindex(pd.MultiIndex.from_arrays([i_old, j_old, s_old])).to_numpy()
    has_col = ~np.isnan(col)
    col = np.where(has_col, col, -1).astype(np.int64)
    now, freeze = changes.now, changes.freeze_until
    history, fence, beyond = s_old < now, (s_old >= now) & (s_old < freeze), s_old >= freeze

    lost = history & ~has_col
    if lost.any():
        names = ", ".join(old["order"][lost])
        raise InputErrors([InputError(changes.source, None, None, f"history cannot be kept: order(s) {names} "
                                                                  "started before now at a site or period the "
                                                                  "changed instance no longer allows")])
    # nothing starts in the past but the history
    past = np.flatnonzero(cand.start < now)
    lm.set_bounds(past, 0.0, 0.0)
    lm.fix(col[history], np.ones(int(history.sum())))
    # the old purchases and transshipments (every period): before now they are history
    J, N, T = new.num_sites, new.num_parts, new.horizon
    pidx = {p: k for k, p in enumerate(new.parts)}
    buys = plan.purchases
    bought = np.zeros((J, N, T))
    bought[buys["site"].map(sidx).to_numpy(np.int64), buys["part"].map(pidx).to_numpy(np.int64),
           buys["period"].to_numpy(np.int64) - 1] = buys["quantity"].to_numpy(float)
    moves = plan.shipments
    shipped = np.zeros((J, J, N, T))  # [from, to, part, departure period]
    shipped[moves["from_site"].map(sidx).to_numpy(np.int64), moves["to_site"].map(sidx).to_numpy(np.int64),
            moves["part"].map(pidx).to_numpy(np.int64), moves["period"].to_numpy(np.int64) - 1] = \
        moves["quantity"].to_numpy(float)
    y_old = bought.ravel()
    y_period = np.tile(np.arange(1, T + 1), J * N)
    q_old = shipped[model.lane_from[model.q_lane], model.lane_to[model.q_lane], model.q_part, model.q_period - 1]
    if now > 1:
        lm.fix(model.y.ravel()[y_period < now], y_old[y_period < now])
        early = np.flatnonzero(model.q_period < now)
        lm.fix(model.q[early], q_old[early])
        zk = np.flatnonzero(model.z_period < now)
        zl = model.z_lane[zk]
        used = shipped.sum(axis=2) > 0  # [from, to, period]: the lane shipped something
        lm.fix(model.z[zk], used[model.lane_from[zl], model.lane_to[zl], model.z_period[zk] - 1].astype(float))
    # the fence and the change penalty: rewards on the old columns
    old_cost = float(plan.summary.get("objective") or 0.0) if isinstance(plan.summary, dict) else 0.0
    fence_reward = FENCE_WEIGHT * max(old_cost, 1.0) + changes.change_penalty
    quantity_fence = max(old_cost, 1.0)  # orders are kept before quantities when the fence cannot hold whole
    keep_fence = fence & has_col
    lm.add_cost(model.x[col[keep_fence]], -fence_reward)
    keep_beyond = beyond & has_col
    if changes.change_penalty > 0:
        lm.add_cost(model.x[col[keep_beyond]], -changes.change_penalty)
    lm.offset += fence_reward * int(fence.sum()) + changes.change_penalty * int(beyond.sum())
    # purchases and transshipments from now on: a changed quantity costs a penalty (dominant in the fence)
    flags = []
    for name, columns, old_values, periods in (("purchase", model.y.ravel(), y_old, y_period),
                                               ("shipment", model.q, q_old, model.q_period)):
        flags.append(_penalise_changes(lm, name, columns, old_values, periods, now, freeze,
                                       quantity_fence + changes.change_penalty, changes.change_penalty))

    warm = None
    if has_col.all() and len(old) == new.num_orders:  # the old plan, less cancelled orders, if still feasible
        kept_plan = OffloadPlan(plan.assignments[plan.assignments["order"].astype(str).isin(oidx)],
                                plan.purchases, plan.shipments)
        try:
            candidate = model.vector_from_plan(kept_plan)
        except (ValueError, KeyError):
            candidate = None
        if candidate is not None and lm.max_violation(candidate) <= 1e-6:
            warm = candidate
    # the gap in the plan's own units; the time limit covers the events and the model build too
    solver_options = options.with_(mip_abs_gap=options.mip_gap * max(old_cost, 1.0),
                                   time_limit=options.remaining(time.perf_counter() - t0))
    res = get_backend("highs").solve(lm, solver_options, start=warm)
    if not res.status.has_solution or res.x is None:
        out = MethodOutput(res.status, None, solver=res.solver, solver_version=res.solver_version,
                           timings=res.timings, message=res.message or "the re-plan found no plan")
        if res.status == SolveStatus.INFEASIBLE:
            out.diagnosis = ["the changes leave no plan that keeps the history (orders started before now, "
                             "purchases and transshipments before now)"]
        return Replanned(new, out)
    new_plan = model.plan_from_vector(res.x)
    check = verify(new, new_plan, mode)
    kept = dict(zip(new_plan.assignments["order"].astype(str),
                    zip(new_plan.assignments["site"], new_plan.assignments["start"].astype(int), strict=True),
                    strict=True))
    fence_changes = []
    for k in np.flatnonzero(fence):
        order = old["order"][k]
        before = (old["site"][k], int(s_old[k]))
        if kept.get(order) != before:
            reason = _fence_reason(new, int(oidx[order]), int(j_old[k]), int(s_old[k]), bool(has_col[k]))
            fence_changes.append({"decision": f"order {order}: site {before[0]}, start {before[1]} -> site "
                                              f"{kept[order][0]}, start {kept[order][1]}", "reason": reason})
    for (what, frozen_cols, old_values), describe in zip(flags, (_purchase_name, _shipment_name), strict=True):
        for k in np.flatnonzero(np.abs(np.round(res.x[frozen_cols]) - old_values) > 0.5):
            fence_changes.append({"decision": describe(new, model, what[k]) + f": {old_values[k]:g} -> "
                                              f"{np.round(res.x[frozen_cols[k]]):g}",
                                  "reason": "keeping it is infeasible with the changes (its parts, stock, lane or "
                                            "purchase limit)"})
    status = res.status if res.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else SolveStatus.FEASIBLE
    out = MethodOutput(status, new_plan, objective=check.total_cost, bound=None,
                       bound_source="none proven for the plan's own cost: the re-plan's MILP minimises the cost "
                                    "plus change penalties (its objective and bound are in details)",
                       solver=res.solver, solver_version=res.solver_version, timings=res.timings,
                       cost_breakdown=check.cost_breakdown,
                       details={"replenishment": mode,
                                "replan_milp": {"objective": res.objective, "bound": res.bound, "gap": res.gap,
                                                "warm_start": warm is not None, "fence_reward": fence_reward}},
                       message=res.message)
    return Replanned(new, out, fence_changes)


def _penalise_changes(lm: Any, name: str, columns: np.ndarray, old: np.ndarray, periods: np.ndarray, now: int,
                      freeze: int, fence_weight: float, penalty: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A changed quantity v_k != old_k (from ``now`` on) costs ``fence_weight`` in the fence
    ``[now, freeze)`` and ``penalty`` beyond, through a binary ``c_k``:

        v_k - old_k <= U_k c_k        (U_k the column's upper bound)
        old_k - v_k <= old_k c_k      (only where old_k > 0)

    so ``c_k = 0`` forces ``v_k = old_k`` and the objective pays for each changed quantity.
    Returns, for the fence's entries, (their positions in ``columns``, the columns, the old
    values), to name the frozen quantities that changed."""
    in_fence = (periods >= now) & (periods < freeze)
    weight = np.where(in_fence, fence_weight, penalty)
    pick = np.flatnonzero((periods >= now) & (weight > 0))
    if pick.size:
        cols, base = columns[pick], old[pick]
        upper = np.maximum(lm.upper[cols], base)
        c = lm.add_vars(f"changed_{name}", pick.size, 0, 1, weight[pick], integer=True)
        n = pick.size
        lm.add_rows(f"change_up_{name}", n, np.r_[np.arange(n), np.arange(n)], np.r_[cols, c],
                    np.r_[np.ones(n), -upper], -np.inf, base)
        pos = np.flatnonzero(base > 0)
        m = pos.size
        lm.add_rows(f"change_down_{name}", m, np.r_[np.arange(m), np.arange(m)], np.r_[cols[pos], c[pos]],
                    np.r_[-np.ones(m), -base[pos]], -np.inf, -base[pos])
    frozen = np.flatnonzero(in_fence)
    return frozen, columns[frozen], old[frozen]


def _purchase_name(inst: OffloadInstance, model: Any, k: int) -> str:
    J, N, T = inst.num_sites, inst.num_parts, inst.horizon
    j, n, t = np.unravel_index(int(k), (J, N, T))
    return f"purchase of {inst.parts[n]} at {inst.sites[j]} in period {t + 1}"


def _shipment_name(inst: OffloadInstance, model: Any, k: int) -> str:
    lane = model.q_lane[k]
    return (f"transshipment of {inst.parts[model.q_part[k]]} {inst.sites[model.lane_from[lane]]} -> "
            f"{inst.sites[model.lane_to[lane]]} departing in period {model.q_period[k]}")


def _history_occupancy(inst: OffloadInstance, plan: OffloadPlan, now: int) -> np.ndarray:
    """``[J, T]``: stations taken by orders that started before ``now`` (history)."""
    a = plan.assignments
    a = a[a["start"].astype(int) < now]
    sidx = {s: k for k, s in enumerate(inst.sites)}
    oidx = {o: k for k, o in enumerate(inst.orders)}
    i = a["order"].astype(str).map(oidx).to_numpy(np.int64)
    j = a["site"].map(sidx).to_numpy(np.int64)
    start = a["start"].to_numpy(np.int64)
    occupancy = np.zeros((inst.num_sites, inst.horizon + 1), dtype=np.int64)
    np.add.at(occupancy, (j, start - 1), 1)
    np.add.at(occupancy, (j, start - 1 + inst.processing_time[i, j]), -1)
    return np.cumsum(occupancy, axis=1)[:, : inst.horizon]


def _fence_reason(inst: OffloadInstance, i: int, j: int, start: int, has_column: bool) -> str:
    """Why a frozen order could not keep site ``j`` and ``start`` in the changed instance."""
    if not has_column:
        return "its old start no longer fits its window after the changes"
    periods = np.arange(start, start + int(inst.processing_time[i, j]))
    working = inst.stations_by_period()[j, periods - 1]
    if (working < inst.stations[j]).any():
        down = periods[working < inst.stations[j]]
        return (f"site {inst.sites[j]} has {int(working.min())} of {inst.stations[j]} stations working in "
                f"period(s) {down.min()}..{down.max()} (site_down) while the order would be in process")
    limits = inst.purchase_limit_by_period()[j, :, start - 1]
    if (limits < inst.purchase_limit[j]).any() or (inst.adjustment_by_period()[j] < 0).any():
        return "its parts cannot be had at the site in time after the changes (part_short or stock_actual)"
    if inst.lane_closed is not None and inst.lane_closed[:, j].any():
        return "its parts cannot reach the site in time: an inbound lane is closed (lane_closed)"
    return "keeping it is infeasible with the changes (station, type or parts capacity)"


__all__ = ["EVENTS", "apply_events", "load", "replan"]
