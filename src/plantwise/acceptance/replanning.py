r"""Re-planning an acceptance plan after changes (:mod:`plantwise.core.replan` has the shared rules).

Time is the hour from the start of the horizon (``time_word`` ``hour``), the unit of
``deadline_hours``; period ``t = 1..T`` covers hours ``[(t-1)Δ, tΔ)``. A period has
**started** by hour ``now`` when ``(t-1)Δ < now``: the started periods are ``t ≤ h`` with
``h = ⌈now/Δ⌉`` (so period 1 has always started: ``now ≥ 1``), and the periods started by
``freeze_until`` but not by ``now`` are the fence, ``h < t ≤ f`` with ``f = ⌈freeze_until/Δ⌉``
(at most ``T``). A production decision's time is its period's start hour (``start_hours``
of ``processing.csv``); an order's time is its first period of work.

Events (:data:`EVENTS`), applied in order to give the changed instance (:func:`apply_events`):

* ``new_orders`` — ``rows``: orders in the format of ``orders.csv``, each with its route and
  parts: ``like`` (an existing order whose route, parts and, for the columns the row leaves
  out, values it takes) and/or ``operations`` (a list of ``{machine, hours_per_unit}`` in
  route order) and ``parts`` (``{part: per_unit}``). Each row passes the instance loader's
  own checks.
* ``cancel_order`` — ``order``: the customer withdraws it; it leaves the instance (an order
  with work or a delivery in a started period is history and cannot be cancelled).
* ``release_order`` — ``order``: the planner releases an order the plan accepted from its
  commitment (it may then be rejected); not for an order with history.
* ``capacity`` — ``agent`` (supply, production, inventory, distribution), ``resource`` (the
  supplier, machine or transport mode; none for inventory), hours ``[from, to)`` and
  ``factor``: in each period not yet started the capacity is scaled pro rata,
  ``f_t = 1 - (1 - factor) · |[from, to) ∩ period t| / Δ`` (several events multiply). The
  part of ``[from, to)`` inside started periods is history and ignored (said in the notes);
  an event wholly inside them is an error. Written to ``capacity_factors.csv``.

The re-plan is the centralized MILP (:mod:`plantwise.acceptance.model`) of the changed
instance, ``max profit - P·(outcomes changed) - W_f·(frozen orders moved) - W_c·(commitments
dropped)``, with

* **history** (hard): in the started periods ``t ≤ h`` the processing ``w_ot``, purchases
  ``x_st``, maintenance ``μ_mt`` and deliveries ``y_ijt`` are fixed to the old plan's (so the
  stocks up to ``h`` are what they were); an order with history stays accepted;
* **commitments** (hard): an order the old plan accepted stays accepted (``z_i = 1``) unless
  a ``release_order`` event releases it; one the old plan delivered stays delivered unless
  no plan can: delivering it earns ``W_c``, more than all the other terms together, so only
  the fewest commitments are dropped (they become *unmet*: accepted, not delivered, the
  order's unmet penalty paid) and each is named in ``fence_changes`` with the reason;
* **the fence**: an order of both plans (not released) keeps its work ``w_ot`` and deliveries
  ``y_ijt`` of the fence periods unless that is infeasible: a binary ``k_i`` with
  ``|w_ot - w^old_ot| ≤ q_i (1 - k_i)``, ``|y_ijt - y^old_ijt| ≤ 1 - k_i`` earns ``W_f`` (more
  than the penalties and any profit); each order with ``k_i = 0`` that moved is named.
  Capacity the frozen work leaves in the fence is free for other orders' work;
* **beyond**: each order of both plans whose outcome (rejected, delivered, unmet) changed
  costs ``change_penalty`` ``P``: ``P z_i`` for an old rejection, ``P (1 - Σ_jt y_ijt)`` for
  an old delivery, ``P (1 - u_i)`` for an old unmet order. New and cancelled orders are not
  charged (the events decide them);
* **warm start**: the old plan (history and commitments as they were, new orders rejected),
  when it is feasible for the changed instance (HiGHS ``setSolution``). The re-plan always
  solves the centralized MILP, whichever method made the old plan: the game's prices are
  not kept in a plan folder, and its followers cannot keep a history, so an ADMM warm start
  is not offered.

``change_penalty: 0`` with ``freeze_until == now`` gives the cold re-optimum: the changed
instance solved with the same history and the same commitments (release them to see what
they cost). The objective reported is the plan's own profit as the verifier recomputes it
(sense max, no penalties or rewards); the MILP's own objective and bound are in the
summary's ``details.replan_milp``. ``W_f = 10 S`` and ``W_c = (N + 1) W_f`` with
``S = Σ_i r_i + Σ_i U_i + C^old + P N + 1`` (revenues, unmet penalties, the old plan's cost).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from plantwise.acceptance.arrays import PlanArrays, to_plan
from plantwise.acceptance.events import EVENTS
from plantwise.acceptance.instance import (
    CAPACITY_AGENTS,
    SPECS,
    AcceptanceInstance,
    from_frames,
)
from plantwise.acceptance.model import CentralModel, build
from plantwise.acceptance.plan import AcceptancePlan
from plantwise.acceptance.verifier import verify
from plantwise.core.backends import get_backend
from plantwise.core.errors import InputError, InputErrors
from plantwise.core.family import MethodOutput
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.replan import Changes, Replanned
from plantwise.core.result import SolveStatus

FENCE_WEIGHT = 10.0
TOL = 1e-6
ORDER_COLUMNS = tuple(c.name for c in SPECS[0].columns)
ROUTE_KEYS = ("like", "operations", "parts")

RESOURCE_WORD = {"supply": "supplier", "production": "machine", "distribution": "transport mode",
                 "inventory": "storage"}


@dataclass
class Applied:
    """The changed instance and what the events decided besides it."""

    instance: AcceptanceInstance
    released: set[str] = field(default_factory=set)
    capacity_events: list[dict[str, Any]] = field(default_factory=list)  # k, agent, resource, from, to, factor
    notes: list[str] = field(default_factory=list)


def started_periods(hours: float, period_hours: float, periods: int) -> int:
    """How many periods have started by hour ``hours``: ``min(T, ⌈hours/Δ⌉)``."""
    return int(min(periods, max(0, math.ceil(hours / period_hours - 1e-9))))


def _fail(changes: Changes, k: int, kind: str, column: str | None, message: str) -> InputError:
    return InputError(changes.source, None, column, f"event {k} ({kind}): {message}")


def history_orders(plan: AcceptancePlan, h: int) -> dict[str, str]:
    """Orders of ``plan`` with work or a delivery in the started periods ``1..h``, and what."""
    out: dict[str, str] = {}
    proc = plan.processing
    if len(proc):
        early = proc[(pd.to_numeric(proc["period"]) <= h) & (pd.to_numeric(proc["units"]) > TOL)]
        for order, period in early.groupby(early["order"].astype(str))["period"].min().items():
            out[str(order)] = f"work in period {int(period)}"
    o = plan.orders
    if len(o):
        gone = o[(pd.to_numeric(o["delivered"]) == 1) & (pd.to_numeric(o["delivery_period"]) <= h)]
        for order, period in zip(gone["order"].astype(str), gone["delivery_period"], strict=True):
            out.setdefault(order, f"delivered in period {int(period)}")
    return out


def _apply(inst: AcceptanceInstance, plan: AcceptancePlan, changes: Changes) -> Applied:
    """The events of ``changes`` applied in order (see the module docstring); every defect is
    collected and raised together, each naming its event and field."""
    frames = {k: v.copy() for k, v in inst.to_frames().items()}
    T, delta = inst.num_periods, float(inst.period_hours)
    h = started_periods(changes.now, delta, T)
    past = history_orders(plan, h)
    accepted = set(plan.orders.loc[pd.to_numeric(plan.orders["accepted"]) == 1, "order"].astype(str))
    errors: list[InputError] = []
    out = Applied(inst)
    factor_rows: list[dict[str, Any]] = []
    origin: dict[str, list[tuple[int, int, str] | None]] = {t: [None] * len(frames[t])
                                                      for t in ("orders", "operations", "order_parts")}
    resources = {"supply": set(inst.suppliers["supplier"].astype(str)),
                 "production": set(inst.machines["machine"].astype(str)),
                 "distribution": set(inst.transport["mode"].astype(str)), "inventory": {"", "storage"}}
    for k, event in enumerate(changes.events, start=1):
        kind = event["kind"]
        orders = set(frames["orders"]["order"].astype(str))
        if kind in ("cancel_order", "release_order"):
            order = str(event["order"])
            if order not in orders:
                errors.append(_fail(changes, k, kind, "order", f"unknown order {order}"))
                continue
            if order in past:
                errors.append(_fail(changes, k, kind, "order", f"order {order} has {past[order]}, a period that "
                                                              f"started before now ({changes.now} h): it is history"))
                continue
            if kind == "release_order":
                if order not in accepted:
                    errors.append(_fail(changes, k, kind, "order", f"order {order} is not accepted in the plan: "
                                                                  "there is no commitment to release"))
                else:
                    out.released.add(order)
                continue
            for table in ("orders", "operations", "order_parts"):
                keep = (frames[table]["order"].astype(str) != order).to_numpy()
                frames[table] = frames[table][keep].reset_index(drop=True)
                origin[table] = [o for o, kept in zip(origin[table], keep, strict=True) if kept]
            out.released.discard(order)
        elif kind == "capacity":
            errors += _capacity(changes, k, event, resources, h, T, delta, factor_rows, out)
        elif kind == "new_orders":
            errors += _new_orders(changes, k, event, frames, origin, orders, inst)
    if errors:
        raise InputErrors(errors)
    if factor_rows:
        rows = pd.DataFrame(factor_rows)
        if "capacity_factors" in frames:
            rows = pd.concat([frames["capacity_factors"], rows], ignore_index=True)
        frames["capacity_factors"] = (rows.groupby(["agent", "resource", "period"], as_index=False, sort=True)
                                      ["factor"].prod())
    scalars = {**inst.scalars(), "name": f"{inst.name}-replanned"}
    try:
        out.instance = from_frames(frames, scalars)
    except InputErrors as exc:  # the loader's own rules, said in the changes file's terms
        raise InputErrors([_loader_error(changes, e, origin) for e in exc.errors]) from None
    return out


def _loader_error(changes: Changes, error: InputError, origin: Mapping[str, list[tuple[int, int, str] | None]]
                  ) -> InputError:
    table = error.file.removesuffix(".csv")
    rows = origin.get(table)
    if rows is not None and error.row is not None and 0 <= error.row - 2 < len(rows) and rows[error.row - 2]:
        k, r, order = rows[error.row - 2]  # type: ignore[misc]
        where = "" if table == "orders" else f", {table}"
        return InputError(changes.source, None, error.column,
                          f"event {k} (new_orders): row {r} (order {order}{where}): {error.message}")
    return InputError(changes.source, None, error.column, f"after the events: {error}")


def _capacity(changes: Changes, k: int, event: dict[str, Any], resources: Mapping[str, set[str]], h: int, T: int,
              delta: float, rows: list[dict[str, Any]], out: Applied) -> list[InputError]:
    """One ``capacity`` event: checked, then its per-period factors appended to ``rows``."""
    errors = []
    agent = str(event["agent"])
    resource = str(event.get("resource") or "")
    if agent not in CAPACITY_AGENTS:
        return [_fail(changes, k, "capacity", "agent", f"unknown agent {agent!r}; capacities belong to "
                                                       f"{', '.join(CAPACITY_AGENTS)}")]
    if agent == "inventory":
        resource = resource or "storage"
    if agent != "inventory" and not resource:
        errors.append(_fail(changes, k, "capacity", "resource", f"missing: the {RESOURCE_WORD[agent]} whose "
                                                                "capacity changes"))
    elif resource not in resources[agent]:
        errors.append(_fail(changes, k, "capacity", "resource", f"unknown {RESOURCE_WORD[agent]} {resource!r}"))
    start, end = int(event["from"]), int(event["to"])
    if end <= start:
        errors.append(_fail(changes, k, "capacity", "to", f"{end} must be after from ({start})"))
    if errors:
        return errors
    t = np.arange(T)
    overlap = np.clip(np.minimum(end, (t + 1) * delta) - np.maximum(start, t * delta), 0.0, None)
    future = (t >= h) & (overlap > 0)
    if not future.any():
        return [_fail(changes, k, "capacity", "from", f"hours [{start}, {end}) lie in periods that started before "
                                                      f"now ({changes.now} h, periods 1..{h}): the past is history")]
    if ((t < h) & (overlap > 0)).any():
        out.notes.append(f"event {k} (capacity): the hours before period {h + 1} (started by now) are history; "
                         f"the change applies from hour {h * delta:g}")
    factor = float(event["factor"])
    for p in np.flatnonzero(future):
        rows.append({"agent": agent, "resource": resource, "period": int(p) + 1,
                     "factor": 1.0 - (1.0 - factor) * float(overlap[p]) / delta})
    out.capacity_events.append({"k": k, "agent": agent, "resource": resource, "from": start, "to": end,
                                "factor": factor, "periods": [int(p) + 1 for p in np.flatnonzero(future)]})
    return []


def _new_orders(changes: Changes, k: int, event: dict[str, Any], frames: dict[str, pd.DataFrame],
                origin: dict[str, list[tuple[int, int, str] | None]], orders: set[str], inst: AcceptanceInstance
                ) -> list[InputError]:
    """One ``new_orders`` event: its rows' structure checked, then appended to the frames (the
    loader checks their values)."""
    kind = "new_orders"
    rows = event["rows"]
    if isinstance(rows, Mapping):
        rows = [rows]
    if not isinstance(rows, list) or not rows:
        return [_fail(changes, k, kind, "rows", "must be a list of orders (mappings)")]
    errors: list[InputError] = []
    machines = set(inst.machines["machine"].astype(str))
    parts = set(inst.parts["part"].astype(str))
    added: set[str] = set()
    for r, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            errors.append(_fail(changes, k, kind, "rows", f"row {r}: must be a mapping of orders.csv's columns"))
            continue
        order = str(row.get("order") or "").strip()
        where = f"row {r}" + (f" (order {order})" if order else "")
        bad = sorted(set(map(str, row)) - set(ORDER_COLUMNS) - set(ROUTE_KEYS))
        for key in bad:
            errors.append(_fail(changes, k, kind, key, f"{where}: unknown field; a row takes the columns of "
                                                       f"orders.csv and {', '.join(ROUTE_KEYS)}"))
        if not order:
            errors.append(_fail(changes, k, kind, "order", f"{where}: missing: the new order's id"))
            continue
        if order in orders or order in added:
            errors.append(_fail(changes, k, kind, "order", f"{where}: order {order} exists already"))
            continue
        like = None if row.get("like") is None else str(row["like"])
        if like is not None and like not in orders:
            errors.append(_fail(changes, k, kind, "like", f"{where}: unknown order {like}"))
            continue
        ops = _route(row.get("operations"), like, frames["operations"], order)
        need = _parts(row.get("parts"), like, frames["order_parts"], order)
        if isinstance(ops, str):
            errors.append(_fail(changes, k, kind, "operations", f"{where}: {ops}"))
        if isinstance(need, str):
            errors.append(_fail(changes, k, kind, "parts", f"{where}: {need}"))
        if isinstance(ops, str) or isinstance(need, str) or bad:
            continue
        for m in sorted(set(ops["machine"].astype(str)) - machines):
            errors.append(_fail(changes, k, kind, "operations", f"{where}: unknown machine {m}"))
        for p in sorted(set(need["part"].astype(str)) - parts):
            errors.append(_fail(changes, k, kind, "parts", f"{where}: unknown part {p}"))
        values = {c: row[c] for c in ORDER_COLUMNS if c in row}
        if like is not None:
            base = frames["orders"][frames["orders"]["order"].astype(str) == like].iloc[0].to_dict()
            values = {**base, **values}
        values["order"] = order
        added.add(order)
        frames["orders"] = pd.concat([frames["orders"], pd.DataFrame([values])], ignore_index=True)
        origin["orders"].append((k, r, order))
        for table, new in (("operations", ops), ("order_parts", need)):
            frames[table] = pd.concat([frames[table], new], ignore_index=True)
            origin[table].extend([(k, r, order)] * len(new))
    return errors


def _route(given: object, like: str | None, operations: pd.DataFrame, order: str) -> pd.DataFrame | str:
    """The new order's operations rows, or what is wrong with them."""
    if given is None:
        if like is None:
            return "missing: give operations (a list of {machine, hours_per_unit}) or like (an existing order)"
        rows = operations[operations["order"].astype(str) == like].copy()
        return rows.assign(order=order)
    if not isinstance(given, list) or not given or not all(isinstance(g, Mapping) for g in given):
        return "must be a list of {machine, hours_per_unit}, in route order"
    frame = pd.DataFrame([dict(g) for g in given])
    unknown = sorted(set(map(str, frame.columns)) - {"machine", "hours_per_unit", "step"})
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}; an operation takes machine, hours_per_unit and step"
    if "step" not in frame.columns:
        frame["step"] = np.arange(1, len(frame) + 1)
    return frame.assign(order=order)[["order", "step", *[c for c in ("machine", "hours_per_unit") if c in frame]]]


def _parts(given: object, like: str | None, order_parts: pd.DataFrame, order: str) -> pd.DataFrame | str:
    """The new order's bill of material rows, or what is wrong with them."""
    if given is None:
        rows = order_parts[order_parts["order"].astype(str) == like].copy() if like is not None else \
            order_parts.iloc[:0].copy()
        return rows.assign(order=order)
    if isinstance(given, Mapping):
        return pd.DataFrame({"order": order, "part": [str(p) for p in given], "per_unit": list(given.values())})
    if isinstance(given, list) and all(isinstance(g, Mapping) and set(g) <= {"part", "per_unit"} for g in given):
        frame = pd.DataFrame([dict(g) for g in given], columns=["part", "per_unit"])
        return frame.assign(order=order)[["order", "part", "per_unit"]]
    return "must be a mapping of part to parts per unit, e.g. {P1: 2, P3: 1}"


def apply_events(inst: AcceptanceInstance, plan: AcceptancePlan, changes: Changes) -> AcceptanceInstance:
    """The changed instance: the events applied (every defect named by event and field)."""
    return _apply(inst, plan, changes).instance


# ---------------------------------------------------------------------------- the old plan as arrays
@dataclass
class OldPlan:
    """The old plan on the changed instance's indices (new orders: rejected, no work)."""

    present: np.ndarray  # [N] the order is in the old plan
    accepted: np.ndarray  # [N] bool
    delivered: np.ndarray  # [N] bool
    unmet: np.ndarray  # [N] bool
    deliver: np.ndarray  # [N, J, T]
    process: np.ndarray  # [O, T]
    purchase: np.ndarray  # [S, T]
    maintain: np.ndarray  # [M, T]


def old_plan(new: AcceptanceInstance, cm: CentralModel, plan: AcceptancePlan) -> OldPlan:
    """The old plan's tables as arrays of the changed instance (rows of orders it no longer has,
    or of unknown names, are left out)."""
    ix = cm.ix
    T, N, J = ix.T, len(ix.orders), len(ix.modes)
    o = plan.orders.assign(order=plan.orders["order"].astype(str))
    i = pd.Index(ix.orders).get_indexer(o["order"])
    keep = i >= 0
    o, i = o[keep], i[keep]
    flag = {c: np.zeros(N, bool) for c in ("present", "accepted", "delivered", "unmet")}
    flag["present"][i] = True
    for c in ("accepted", "delivered", "unmet"):
        flag[c][i] = pd.to_numeric(o[c]).to_numpy() == 1
    deliver = np.zeros((N, J, T))
    j = pd.Index(ix.modes).get_indexer(o["mode"].astype(str))
    period = pd.to_numeric(o["delivery_period"]).to_numpy(np.int64) - 1
    ok = flag["delivered"][i] & (j >= 0) & (period >= 0) & (period < T)
    deliver[i[ok], j[ok], period[ok]] = 1.0
    process = np.zeros((len(ix.op_order), T))
    p = plan.processing
    if len(p):
        op = pd.MultiIndex.from_arrays([new.operations["order"].astype(str), new.operations["step"].astype(np.int64)]
                                       ).get_indexer(pd.MultiIndex.from_arrays(
                                           [p["order"].astype(str), pd.to_numeric(p["step"]).astype(np.int64)]))
        t = pd.to_numeric(p["period"]).to_numpy(np.int64) - 1
        ok = (op >= 0) & (t >= 0) & (t < T)
        np.add.at(process, (op[ok], t[ok]), pd.to_numeric(p["units"]).to_numpy(float)[ok])
    purchase = np.zeros((len(new.suppliers), T))
    b = plan.purchases
    if len(b):
        s = pd.MultiIndex.from_arrays([new.suppliers["supplier"].astype(str), new.suppliers["part"].astype(str)]
                                      ).get_indexer(pd.MultiIndex.from_arrays([b["supplier"].astype(str),
                                                                               b["part"].astype(str)]))
        t = pd.to_numeric(b["period"]).to_numpy(np.int64) - 1
        ok = (s >= 0) & (t >= 0) & (t < T)
        np.add.at(purchase, (s[ok], t[ok]), pd.to_numeric(b["quantity"]).to_numpy(float)[ok])
    maintain = np.zeros((len(ix.machines), T))
    mt = plan.maintenance
    if len(mt):
        m = pd.Index(ix.machines).get_indexer(mt["machine"].astype(str))
        t = pd.to_numeric(mt["period"]).to_numpy(np.int64) - 1
        ok = (m >= 0) & (t >= 0) & (t < T)
        maintain[m[ok], t[ok]] = 1.0
    return OldPlan(flag["present"], flag["accepted"], flag["delivered"], flag["unmet"], deliver, process, purchase,
                   maintain)


def start_vector(new: AcceptanceInstance, cm: CentralModel, old: OldPlan, num_vars: int) -> np.ndarray:
    """The old plan as a column vector of ``cm`` (stocks and work in progress from the balances),
    padded with zeros to ``num_vars`` columns."""
    ix = cm.ix
    q = new.orders["quantity"].to_numpy(float)
    x = np.zeros(num_vars)
    x[cm.z] = old.accepted
    x[cm.u] = old.unmet
    x[cm.x.ravel()] = old.purchase.ravel()
    x[cm.w.ravel()] = old.process.ravel()
    x[cm.y.ravel()] = old.deliver.ravel()
    x[cm.mu.ravel()] = old.maintain.ravel()
    K = len(ix.parts)
    bought = np.zeros((K, ix.T))
    np.add.at(bought, ix.offer_part, old.purchase)
    first = np.full(len(ix.orders), -1, dtype=np.int64)
    first[ix.op_order[ix.op_first]] = np.flatnonzero(ix.op_first)
    used = np.zeros((K, ix.T))
    np.add.at(used, ix.need_part, ix.need_per_unit[:, None] * old.process[first[ix.need_order]])
    x[cm.part_stock.ravel()] = (new.parts["initial_inventory"].to_numpy(float)[:, None]
                                + np.cumsum(bought - used, axis=1)).ravel()
    last = np.full(len(ix.orders), -1, dtype=np.int64)
    last[ix.op_order[ix.op_last]] = np.flatnonzero(ix.op_last)
    x[cm.stock.ravel()] = (np.cumsum(old.process[last], axis=1)
                           - q[:, None] * np.cumsum(old.deliver.sum(axis=1), axis=1)).ravel()
    pairs = np.flatnonzero(ix.op_next >= 0)
    wip = np.arange(cm.lm.var_blocks["wip"].start, cm.lm.var_blocks["wip"].stop)
    x[wip] = np.cumsum(old.process[pairs] - old.process[ix.op_next[pairs]], axis=1).ravel()
    return x


def complete_times(plan: AcceptancePlan, period_hours: float) -> None:
    """Give ``plan.processing`` its ``start_hours`` (``(period - 1)Δ``) where it lacks them (a plan
    made before the column existed), so that the history check of :mod:`plantwise.core.replan`
    sees the old plan's times. Changes ``plan`` in place."""
    p = plan.processing
    start = (pd.to_numeric(p["period"], errors="coerce") - 1) * float(period_hours)
    if "start_hours" not in p.columns:
        plan.processing = p.assign(start_hours=start)
    elif pd.to_numeric(p["start_hours"], errors="coerce").isna().any():
        plan.processing = p.assign(start_hours=pd.to_numeric(p["start_hours"], errors="coerce").fillna(start))


# ---------------------------------------------------------------------------- the re-plan
def replan(inst: AcceptanceInstance, plan: AcceptancePlan, changes: Changes, options: SolveOptions) -> Replanned:
    """Re-plan ``plan`` of ``inst`` after ``changes`` (see the module docstring)."""
    applied = _apply(inst, plan, changes)
    new = applied.instance
    complete_times(plan, inst.period_hours)
    cm = build(new)
    lm, ix = cm.lm, cm.ix
    T, N, J = ix.T, len(ix.orders), len(ix.modes)
    delta = float(new.period_hours)
    h = started_periods(changes.now, delta, T)
    f = max(h, started_periods(changes.freeze_until, delta, T))
    old = old_plan(new, cm, plan)
    q = new.orders["quantity"].to_numpy(float)
    P = float(changes.change_penalty)

    # history: every decision of the started periods as it was
    lm.fix(cm.w[:, :h].ravel(), old.process[:, :h].ravel())
    lm.fix(cm.x[:, :h].ravel(), old.purchase[:, :h].ravel())
    lm.fix(cm.mu[:, :h].ravel(), old.maintain[:, :h].ravel())
    lm.fix(cm.y[:, :, :h].ravel(), old.deliver[:, :, :h].ravel())
    past = (old.process[:, :h].sum(axis=1) > TOL)
    with_history = np.zeros(N, bool)
    with_history[ix.op_order[past]] = True
    with_history |= old.deliver[:, :, :h].sum(axis=(1, 2)) > 0.5
    # commitments: accepted stays accepted (unless released); delivered stays delivered unless it cannot
    released = np.isin(np.asarray(ix.orders, dtype=object), sorted(applied.released))
    committed = old.present & old.accepted & ~released
    lm.set_bounds(cm.z[committed | with_history], 1.0, 1.0)
    promised = committed & old.delivered
    check_old = verify(inst, plan)
    scale = float(new.orders["revenue"].clip(lower=0).sum() + new.orders["unmet_penalty"].sum()
                  + abs(check_old.total_cost) + P * N + 1.0)
    w_fence = FENCE_WEIGHT * scale
    w_commit = (N + 1) * w_fence
    y_of = cm.y.reshape(N, J * T)
    reward = np.zeros(N)  # per delivered order (on each of its y columns)
    reward[promised] += w_commit
    # beyond: each order of both plans whose outcome changed costs P
    both = old.present
    if P > 0:
        reward[both & old.delivered] += P
        lm.add_cost(cm.z[both & ~old.accepted], P)
        lm.add_cost(cm.u[both & old.unmet], -P)
        lm.offset += P * int((both & old.accepted).sum())
    lm.add_cost(y_of[reward > 0].ravel(), -np.repeat(reward[reward > 0], J * T))
    lm.offset += w_commit * int(promised.sum())
    # the fence: orders of both plans keep their work and deliveries of periods h+1..f unless infeasible
    fence_orders = np.flatnonzero(both & ~released) if f > h else np.zeros(0, np.int64)
    keep = _add_fence(lm, cm, old, fence_orders, h, f, q, w_fence)

    warm = start_vector(new, cm, old, lm.num_vars)
    warm[keep] = 1.0
    warm_ok = bool(lm.max_violation(warm) <= 1e-6)
    res = get_backend("highs").solve(lm, options, start=warm if warm_ok else None)
    milp = {"objective": None if res.objective is None else -res.objective,
            "bound": None if res.bound is None else -res.bound, "gap": res.gap, "status": str(res.status),
            "warm_start": warm_ok, "history_periods": h, "fence_periods": [h + 1, f] if f > h else [],
            "weights": {"fence": w_fence, "commitment": w_commit, "change_penalty": P},
            "commitments": int(committed.sum()), "released": sorted(applied.released)}
    if not res.status.has_solution or res.x is None:
        out = MethodOutput(res.status, None, solver=res.solver, solver_version=res.solver_version,
                           timings=res.timings, message=res.message or "the re-plan found no plan",
                           details={"replan_milp": milp})
        if res.status == SolveStatus.INFEASIBLE:
            out.diagnosis = [f"the changes leave no plan that keeps the history (the work, purchases, maintenance "
                             f"and deliveries of periods 1..{h}) and the commitments accepted"]
        return Replanned(new, out, notes=applied.notes)
    x = res.x
    arrays = PlanArrays(x[cm.z], x[cm.u], x[cm.x], x[cm.part_stock], x[cm.w], x[cm.stock], x[cm.y],
                        x[cm.mu]).cleaned()
    new_plan = to_plan(new, ix, arrays, {})
    check = verify(new, new_plan)
    new_plan.summary = {
        "method": "replan", "instance": new.name, "checksum": new.checksum(), "status": str(res.status),
        "profit": round(check.profit, 6), "revenue": round(check.revenue, 6), "objective": round(check.profit, 6),
        "cost_per_agent": {a: round(v, 6) for a, v in check.cost_breakdown.items()},
        "accepted_orders": new_plan.accepted_orders, "bound": None,
    }
    moved = _moved(cm, old, fence_orders, arrays, h, f)
    fence_changes = _dropped(new, ix.orders, promised, arrays, applied, moved) + [
        {"decision": f"order {order}: {what}", "reason": _blame(new, order, applied)} for order, what in moved.items()]
    delivered_now = arrays.deliver.sum(axis=(1, 2)) > 0.5
    outcome_old = np.where(old.delivered, 2, np.where(old.accepted, 1, 0))
    outcome_new = np.where(delivered_now, 2, np.where(arrays.accepted > 0.5, 1, 0))
    flips = both & (outcome_old != outcome_new)
    status = res.status if res.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else SolveStatus.FEASIBLE
    out = MethodOutput(
        status, new_plan, objective=check.profit, bound=None,
        bound_source="none proven for the plan's own profit: the re-plan's MILP maximises the profit minus change "
                     "penalties, with rewards for the commitments and the fence (its objective and bound are in "
                     "details.replan_milp)",
        solver=res.solver, solver_version=res.solver_version, timings=res.timings,
        cost_breakdown=dict(check.cost_breakdown),
        kpis={"profit": check.profit, "revenue": check.revenue, "accepted_orders": new_plan.accepted_orders,
              "cost_per_agent": dict(check.cost_breakdown), "orders_changed": int(flips.sum()),
              "commitments_dropped": int((promised & ~delivered_now).sum())},
        details={"replan_milp": milp}, message=res.message)
    return Replanned(new, out, fence_changes, applied.notes)


def _add_fence(lm: LinearModel, cm: CentralModel, old: OldPlan, orders: np.ndarray, h: int, f: int, q: np.ndarray,
               weight: float) -> np.ndarray:
    """Binaries ``k_i`` (one per order of ``orders``) with ``|w_ot - w^old_ot| ≤ q_i (1 - k_i)`` and
    ``|y_ijt - y^old_ijt| ≤ 1 - k_i`` in the fence periods ``h+1..f``; each ``k_i = 1`` earns
    ``weight`` (an offset keeps the objective at the plan's value when every one holds).
    Returns the ``k`` columns."""
    if not len(orders):
        return np.zeros(0, np.int64)
    ix = cm.ix
    F = f - h
    keep = lm.add_vars("fence_keep", len(orders), 0, 1, cost=-weight, integer=True)
    lm.offset += weight * len(orders)
    slot = np.full(len(ix.orders), -1, np.int64)
    slot[orders] = np.arange(len(orders))
    ops = np.flatnonzero(slot[ix.op_order] >= 0)
    w = cm.w[ops, h:f].ravel()
    kw = np.repeat(keep[slot[ix.op_order[ops]]], F)
    qw = np.repeat(q[ix.op_order[ops]], F)
    w_old = old.process[ops, h:f].ravel()
    n = len(w)
    rows = np.r_[np.arange(n), np.arange(n)]
    lm.add_rows("fence_work_up", n, rows, np.r_[w, kw], np.r_[np.ones(n), qw], upper=w_old + qw)
    lm.add_rows("fence_work_down", n, rows, np.r_[w, kw], np.r_[np.ones(n), -qw], lower=w_old - qw)
    J = cm.y.shape[1]
    y = cm.y[orders][:, :, h:f].ravel()
    ky = np.repeat(keep, J * F)
    y_old = old.deliver[orders][:, :, h:f].ravel()
    n = len(y)
    rows = np.r_[np.arange(n), np.arange(n)]
    lm.add_rows("fence_deliver_up", n, rows, np.r_[y, ky], 1.0, upper=y_old + 1.0)
    lm.add_rows("fence_deliver_down", n, rows, np.r_[y, ky], np.r_[np.ones(n), -np.ones(n)], lower=y_old - 1.0)
    return keep


def _uses(new: AcceptanceInstance, order: str) -> dict[str, set[str]]:
    """The resources an order needs, per agent (for naming the capacity events that hit it)."""
    machines = set(new.operations.loc[new.operations["order"].astype(str) == order, "machine"].astype(str))
    parts = set(new.order_parts.loc[new.order_parts["order"].astype(str) == order, "part"].astype(str))
    suppliers = set(new.suppliers.loc[new.suppliers["part"].astype(str).isin(parts), "supplier"].astype(str))
    return {"production": machines, "supply": suppliers, "distribution": set(new.transport["mode"].astype(str)),
            "inventory": {"storage"}}


def _blame(new: AcceptanceInstance, order: str, applied: Applied) -> str:
    uses = _uses(new, order)
    hits = [e for e in applied.capacity_events if e["resource"] in uses[e["agent"]]]
    if not hits:
        return "keeping it is infeasible after the changes (the capacity left by the history and the other orders)"
    said = "; ".join(f"event {e['k']}: {e['agent']} {e['resource']} x {e['factor']:g} in hours "
                     f"[{e['from']}, {e['to']})" for e in hits)
    return f"keeping it is infeasible after the capacity change ({said})"


def _dropped(new: AcceptanceInstance, orders: list[str], promised: np.ndarray, arrays: PlanArrays,
             applied: Applied, moved: dict[str, str]) -> list[dict[str, str]]:
    """The delivered commitments the new plan does not deliver, each with the reason (their
    frozen work, if it changed, is said here too and taken out of ``moved``)."""
    delivered = arrays.deliver.sum(axis=(1, 2)) > 0.5
    unmet_penalty = new.orders["unmet_penalty"].to_numpy(float)
    out = []
    for i in np.flatnonzero(promised & ~delivered):
        frozen = moved.pop(orders[i], None)
        out.append({"decision": f"order {orders[i]}: accepted and delivered -> accepted, not delivered (unmet: "
                                f"penalty {unmet_penalty[i]:,.2f} paid)" + (f"; {frozen}" if frozen else ""),
                    "reason": _blame(new, orders[i], applied)})
    return out


def _moved(cm: CentralModel, old: OldPlan, fence_orders: np.ndarray, arrays: PlanArrays, h: int, f: int
           ) -> dict[str, str]:
    """The orders whose frozen work or delivery (periods ``h+1..f``) changed, and how."""
    if not len(fence_orders):
        return {}
    ix = cm.ix
    work = np.zeros(len(ix.orders))
    np.add.at(work, ix.op_order, np.abs(arrays.process[:, h:f] - old.process[:, h:f]).sum(axis=1))
    moved_delivery = np.abs(arrays.deliver[:, :, h:f] - old.deliver[:, :, h:f]).sum(axis=(1, 2)) > 0.5
    out = {}
    for i in fence_orders:
        what = ([f"{work[i]:.6g} units of work differ"] if work[i] > 1e-5 else []) + (
            ["its delivery differs"] if moved_delivery[i] else [])
        if what:
            out[ix.orders[i]] = f"frozen periods {h + 1}-{f}: {', '.join(what)}"
    return out


__all__ = ["EVENTS", "apply_events", "replan"]
