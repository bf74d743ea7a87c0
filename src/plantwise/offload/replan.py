"""Re-planning an offload plan after changes (:mod:`plantwise.core.replan` has the rules).

Time is the period. The changed instance is the old one with the events applied:
``cancel_order`` (the order and its rows leave), ``due_date`` (a new due period),
``new_order`` (a new order with the parts and site data of an existing one, ``like``).
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
* warm start: the old plan, when it is feasible for the changed instance.

The objective reported is the plan's own cost (as the verifier recomputes it); the MILP's
own objective and bound (with the rewards) are in the summary's details.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from plantwise.core.backends import get_backend
from plantwise.core.errors import InputError, InputErrors
from plantwise.core.family import MethodOutput
from plantwise.core.options import SolveOptions
from plantwise.core.replan import Changes, EventField, EventKind, Replanned
from plantwise.core.result import SolveStatus
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
}


def _fail(changes: Changes, k: int, event: dict[str, Any], column: str, message: str) -> InputError:
    return InputError(changes.source, None, column, f"event {k} ({event['kind']}): {message}")


def apply_events(inst: OffloadInstance, plan: OffloadPlan, changes: Changes) -> OffloadInstance:
    """The instance with the events applied (every defect named by event and field)."""
    frames = {k: v.copy() for k, v in inst.to_frames().items()}
    starts = dict(zip(plan.assignments["order"].astype(str), plan.assignments["start"].astype(int), strict=True))
    errors: list[InputError] = []
    for k, event in enumerate(changes.events, start=1):
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
        return from_frames(frames, inst.horizon, inst.replenishment, name=f"{inst.name}-replanned")
    except InputErrors as exc:  # a change that breaks a cross-table rule, said in the changes file's terms
        raise InputErrors([InputError(changes.source, None, None, f"after the events: {e}") for e in exc.errors]
                          ) from None


def replan(inst: OffloadInstance, plan: OffloadPlan, changes: Changes, options: SolveOptions) -> Replanned:
    """Re-plan ``plan`` of ``inst`` after ``changes`` (see the module docstring)."""
    new = apply_events(inst, plan, changes)
    model = build_model(new)
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
    # purchases and transshipments before now keep their quantities
    if now > 1:
        J, N, T = new.num_sites, new.num_parts, new.horizon
        pidx = {p: k for k, p in enumerate(new.parts)}
        buys = plan.purchases[plan.purchases["period"].astype(int) < now]
        bought = np.zeros((J, N, T))
        bought[buys["site"].map(sidx).to_numpy(np.int64), buys["part"].map(pidx).to_numpy(np.int64),
               buys["period"].to_numpy(np.int64) - 1] = buys["quantity"].to_numpy(float)
        lm.fix(model.y[:, :, : now - 1].ravel(), bought[:, :, : now - 1].ravel())
        moves = plan.shipments[plan.shipments["period"].astype(int) < now]
        shipped = np.zeros((J, J, N, T))  # [from, to, part, departure period]
        shipped[moves["from_site"].map(sidx).to_numpy(np.int64), moves["to_site"].map(sidx).to_numpy(np.int64),
                moves["part"].map(pidx).to_numpy(np.int64), moves["period"].to_numpy(np.int64) - 1] = \
            moves["quantity"].to_numpy(float)
        early = np.flatnonzero(model.q_period < now)
        lanes = model.q_lane[early]
        lm.fix(model.q[early], shipped[model.lane_from[lanes], model.lane_to[lanes], model.q_part[early],
                                       model.q_period[early] - 1])
        zk = np.flatnonzero(model.z_period < now)
        zl = model.z_lane[zk]
        used = shipped.sum(axis=2) > 0  # [from, to, period]: the lane shipped something
        lm.fix(model.z[zk], used[model.lane_from[zl], model.lane_to[zl], model.z_period[zk] - 1].astype(float))
    # the fence and the change penalty: rewards on the old columns
    old_cost = float(plan.summary.get("objective") or 0.0) if isinstance(plan.summary, dict) else 0.0
    fence_reward = FENCE_WEIGHT * max(old_cost, 1.0) + changes.change_penalty
    keep_fence = fence & has_col
    lm.add_cost(model.x[col[keep_fence]], -fence_reward)
    keep_beyond = beyond & has_col
    if changes.change_penalty > 0:
        lm.add_cost(model.x[col[keep_beyond]], -changes.change_penalty)
    lm.offset += fence_reward * int(fence.sum()) + changes.change_penalty * int(beyond.sum())

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
    res = get_backend("highs").solve(lm, options, start=warm)
    if not res.status.has_solution or res.x is None:
        out = MethodOutput(res.status, None, solver=res.solver, solver_version=res.solver_version,
                           timings=res.timings, message=res.message or "the re-plan found no plan")
        if res.status == SolveStatus.INFEASIBLE:
            out.diagnosis = ["the changes leave no plan that keeps the history (orders started before now, "
                             "purchases and transshipments before now)"]
        return Replanned(new, out)
    new_plan = model.plan_from_vector(res.x)
    check = verify(new, new_plan, inst.replenishment)
    kept = dict(zip(new_plan.assignments["order"].astype(str),
                    zip(new_plan.assignments["site"], new_plan.assignments["start"].astype(int), strict=True),
                    strict=True))
    fence_changes = []
    for k in np.flatnonzero(fence):
        order = old["order"][k]
        before = (old["site"][k], int(s_old[k]))
        if kept.get(order) != before:
            reason = ("its old start no longer fits its window after the changes" if not has_col[k]
                      else "keeping it is infeasible with the changes (station, type or parts capacity)")
            fence_changes.append({"decision": f"order {order}: site {before[0]}, start {before[1]} -> site "
                                              f"{kept[order][0]}, start {kept[order][1]}", "reason": reason})
    status = res.status if res.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else SolveStatus.FEASIBLE
    out = MethodOutput(status, new_plan, objective=check.total_cost, bound=None,
                       bound_source="none proven for the plan's own cost: the re-plan's MILP minimises the cost "
                                    "plus change penalties (its objective and bound are in details)",
                       solver=res.solver, solver_version=res.solver_version, timings=res.timings,
                       cost_breakdown=check.cost_breakdown,
                       details={"replan_milp": {"objective": res.objective, "bound": res.bound, "gap": res.gap,
                                                "warm_start": warm is not None, "fence_reward": fence_reward}},
                       message=res.message)
    return Replanned(new, out, fence_changes)


__all__ = ["EVENTS", "apply_events", "load", "replan"]
