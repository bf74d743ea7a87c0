r"""Re-planning an e2e plan after changes (:mod:`plantwise.core.replan` has the shared rules).

Time is the day, counted as the plan's ``day`` column counts it: ``1..T``. ``now`` is the
first day not yet past: days ``1..now-1`` are history, days ``now..freeze_until-1`` the
fence. A decision's day is its production day, or the day a shipment or transfer leaves.

Events (applied in the order given to a copy of the instance; the changed instance is
written beside the new plan). An event day before ``now`` is past: an event whose days are
all past is refused, one that starts in the past applies from ``now`` (with a note).

``demand``        (sku, dc, from_day[, to_day], quantity | factor): the DC's demand of the
                  SKU on each day ``from_day..to_day`` (``to_day`` defaults to ``from_day``)
                  becomes ``quantity`` or is multiplied by ``factor``;
``line_down``     (line, from_day[, to_day][, hours]): the line loses ``hours`` on each of
                  those days (all its hours when omitted; never fewer than 0 left), in the
                  changed instance's line calendar;
``lane_closed``   (from, to, from_day[, to_day]): nothing leaves on the lane plant -> DC or
                  plant -> plant (``to`` names a DC or a plant) on those days. The instance
                  format has no lane calendar, so a closure is a constraint of the re-plan
                  (zero bounds), not part of the changed instance;
``stock_actual``  (sku, plant | dc, quantity): the stock on hand counted at the start of day
                  ``now`` (the end of day ``now-1``; at ``now = 1`` the initial stock). With
                  the history fixed the old plan has :math:`s^\circ` there, and the correction
                  :math:`\Delta = \text{quantity} - s^\circ` enters the changed instance as a
                  flow on day ``now`` where the format can carry one exactly:

                  * at a DC, the demand of day ``now`` is raised by :math:`-\Delta` (a loss),
                    or lowered by :math:`\Delta` (units found) when that day's demand is at
                    least :math:`\Delta`: exact from ``now`` on, the past untouched;
                    otherwise (more found than the day's demand) the DC's initial stock is
                    raised by :math:`\Delta`;
                  * at a plant, the initial stock is raised by :math:`\Delta` (the format has
                    no plant-side sink): every past day's stock of the position moves by
                    :math:`\Delta` too, so a count below the plan is refused when it would make
                    the initial stock or a past day's stock negative.

                  Where the initial stock carries the correction, the past days' recomputed
                  holding and target costs change by a constant the re-plan cannot influence
                  (said in the notes). DC stock is a net position: counted units first serve
                  a backlog. These corrections are applied after the other events.

The re-plan is the integrated MILP of :mod:`plantwise.e2e.model` on the changed instance,
with lots bounded by line capacity alone (``cap=False``). With the old plan's values
:math:`x^\circ, z^\circ, w^\circ` (production, shipments, transfers) and lots
:math:`y^\circ = [x^\circ > 0]`:

* **history** (days :math:`t < now`): :math:`x_{kt} = x^\circ_{kt}`, :math:`y_{kt} =
  y^\circ_{kt}`, :math:`z_{et} = z^\circ_{et}`, :math:`w_{ft} = w^\circ_{ft}` (bounds). The
  line-hours and lot rows of those days then hold constants only and are left unbounded,
  and a plant position's stock may dip to the old plan's least past value when that is a
  rounding hair below 0, so an old plan that passed the verifier is never "infeasible".
* **fence** (:math:`now \le t < freeze`): every production quantity per SKU-line-day and
  every shipment and transfer quantity of those days (zeros included: nothing new is added
  to a frozen day) is kept unless keeping it is infeasible. Keeping it is feasible exactly
  when the old decisions of days :math:`< freeze`, with the changes, pass every rule on
  those days (line hours, lot capacity, plant stock :math:`\ge 0`, closed lanes, no
  stockout where forbidden): later decisions can always be zero without breaking an
  earlier rule, and stockouts are allowed. Then the fence is fixed by bounds, like the
  history (where stockouts are forbidden and the kept fence leaves later demand out of
  reach, the MILP is infeasible and the two stages below run instead). Otherwise the fence
  is kept lexicographically, in two stages: with deviations
  :math:`v - d^+_v + d^-_v = v^\circ`, :math:`d^\pm_v \ge 0` for every fence quantity
  :math:`v`, stage 1 minimises :math:`\Delta = \sum (d^+ + d^-)` (units) over the whole
  model, costs ignored; stage 2 minimises the cost subject to :math:`\sum (d^+ + d^-) \le
  \Delta^* + \epsilon`, :math:`\epsilon = 10^{-6} \max(1, \Delta^*) + 10^{-7} n` for
  :math:`n` deviation rows (stage 1's optimum is exact only to its rows' tolerance; a tighter
  budget can make HiGHS call stage 2 infeasible), and frozen quantities that moved by at
  most :math:`\epsilon` are set back afterwards (:func:`polish`). So the fence moves by the least total quantity any
  feasible plan needs, and among those plans the cheapest is taken (a single penalty
  weight cannot guarantee this: a fixed change penalty beyond the fence can outweigh any
  per-unit fence weight on a small enough move). Every frozen decision that changed is
  named with its reason.
* **beyond the fence** (:math:`t \ge freeze`), when ``change_penalty`` :math:`P > 0`: a
  change indicator :math:`c_{kt} \in \{0, 1\}` per SKU-line-day with cost :math:`P c_{kt}` and

  .. math::

      x_{kt} - x^\circ_{kt} \le (u_{kt} - x^\circ_{kt})^+ c_{kt}, \qquad
      x^\circ_{kt} - x_{kt} \le x^\circ_{kt} c_{kt}, \qquad
      |y_{kt} - y^\circ_{kt}| \le c_{kt} \ \text{(pairs with an MOQ)},

  :math:`u_{kt}` the capacity bound of :math:`x_{kt}`. :math:`c_{kt} = 0` forces
  :math:`x_{kt} = x^\circ_{kt}` and :math:`P > 0` makes :math:`c_{kt} = 1` with an unchanged
  quantity never optimal, so the penalty term is exactly :math:`P` times the number of
  production decisions beyond the fence that change (the lot rows are valid — a lot that
  opens or closes changes the quantity — and tighten the relaxation). A move that an
  indicator HiGHS leaves a hair above 0 would allow is set back to :math:`x^\circ` by an
  LP with production fixed (:func:`polish`). Shipments and transfers beyond the fence are
  re-made freely: they are counted in ``changes.csv`` but not charged (issue 13 defines
  e2e's changed decision as a production quantity). Cells whose capacity is 0 and whose old
  quantity is 0 need no indicator. :math:`P = 0` adds nothing: with ``freeze_until = now``
  the re-plan is the cold re-optimum of the changed instance under the same history.
  A quantity is changed when it moves by more than ``DECISION_TOLERANCE`` (1e-4 units, the
  family's DecisionSpec tolerance).
* **warm start**: the old plan's vector when it is feasible for the re-plan's model; else its
  lots, repaired to the changed line-days (a lot that no longer reaches its MOQ closes; on a
  line-day whose lots need more than its hours the smallest close), completed by the LP
  with the lots fixed; or the exact method's LP dive on this model when that is cheaper in
  the re-plan's objective; in the two-stage case stage 2 starts from stage 1's plan. HiGHS
  gets it through ``setSolution`` (the backend's ``start=``).
* shipments and transfers beyond the fence carry a tie-break of ``TIE_BREAK`` per unit they
  move (when :math:`P > 0`): without it HiGHS returns any of many equally cheap shipment
  patterns.

The objective reported is the plan's own cost as :func:`plantwise.e2e.verifier.verify`
recomputes it on the changed instance (no penalties); no bound is claimed for it. The
MILP's own objective and bound (with the penalties) are in ``details.replan_milp``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plantwise.core.backends import get_backend
from plantwise.core.backends.highs import OVERRUN_GRACE_SECONDS
from plantwise.core.errors import InputError, InputErrors
from plantwise.core.family import MethodOutput
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.replan import Changes, EventField, EventKind, Replanned
from plantwise.core.result import SolveResult, SolveStatus
from plantwise.core.verification import Verification
from plantwise.e2e.evaluate import LOT_TOLERANCE, simulate
from plantwise.e2e.exact import lp_dive
from plantwise.e2e.instance import E2EInstance, load
from plantwise.e2e.model import E2EModel, build_model
from plantwise.e2e.plan import E2EPlan, plan_from_arrays
from plantwise.e2e.verifier import TOLERANCE, plan_arrays, verify

DECISION_TOLERANCE = 1e-4  # units; the DecisionSpec tolerance: quantities closer than this are the same decision
BUDGET_SLACK = 1e-6  # stage 2's fence budget: the least deviation times (1 + this), plus 1e-7 per deviation row
STAGE1_SHARE = 0.3  # of the time left for the warm start, and for stage 1 when the fence cannot be kept
# kept free at the end for reading, verifying and writing the plan (1 s), and for the second
# HiGHS may run past its limit before the backend takes its incumbent (OVERRUN_GRACE_SECONDS):
# on the document's scenario 3, HiGHS 1.16's root LP ran 3.5 s past a 6.6-s MIP limit
MARGIN_SECONDS = 1.0 + OVERRUN_GRACE_SECONDS
FLOW = 1e-7  # solver values at or below this are zero
TIE_BREAK = 1e-3  # currency per unit a shipment or transfer beyond the fence moves (when change_penalty > 0)

_DAYS = (EventField("from_day", "int", time=True, help="the first day"),
         EventField("to_day", "int", required=False, time=True, help="the last day (default: from_day)"))

EVENTS = {
    "demand": EventKind("demand", (
        EventField("sku", help="a SKU"), EventField("dc", help="a DC that stocks it"), *_DAYS,
        EventField("quantity", "float", required=False, minimum=0, help="the new demand per day (units)"),
        EventField("factor", "float", required=False, minimum=0, help="a multiplier of the demand per day")),
        "the DC's demand of the SKU on each day from_day..to_day becomes quantity, or is multiplied by factor"),
    "line_down": EventKind("line_down", (
        EventField("line", help="a production line"), *_DAYS,
        EventField("hours", "float", required=False, minimum=0, help="hours lost per day (default: all)")),
        "the line loses hours (all of them when omitted) on each day from_day..to_day"),
    "stock_actual": EventKind("stock_actual", (
        EventField("sku", help="a SKU"), EventField("plant", required=False, help="a plant (or give dc)"),
        EventField("dc", required=False, help="a DC (or give plant)"),
        EventField("quantity", "float", minimum=0, help="units on hand at the start of day now")),
        "the stock on hand counted at the start of day now replaces the plan's"),
    "lane_closed": EventKind("lane_closed", (
        EventField("from", help="the shipping plant"), EventField("to", help="the receiving DC or plant"), *_DAYS),
        "nothing leaves on the lane (plant -> DC, or plant -> plant) on each day from_day..to_day"),
}


# ---------------------------------------------------------------------- the events
@dataclass
class Applied:
    """The changed instance and what the re-plan needs beyond it: closed lane-days, which
    event lowered a line-day's hours, which event set a position's stock, and notes."""

    instance: E2EInstance
    ship_closed: np.ndarray  # [E, T] bool: no shipment may leave on the arc that day
    move_closed: np.ndarray  # [F, T] bool
    ship_event: np.ndarray  # [E, T] int: the lane_closed event (1-based), 0 none
    move_event: np.ndarray  # [F, T] int
    hours_event: np.ndarray  # [L, T] int: the line_down event that set the line-day's hours, 0 none
    stock_event: dict[tuple[str, int], int] = field(default_factory=dict)  # ("plant"|"dc", position) -> event
    notes: list[str] = field(default_factory=list)


def _fail(changes: Changes, k: int, kind: str, column: str | None, message: str) -> InputError:
    return InputError(changes.source, None, column, f"event {k} ({kind}): {message}")


def old_arrays(inst: E2EInstance, plan: E2EPlan, source: str = "plan") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The old plan's production ``[K, T]``, shipments ``[E, T]`` and transfers ``[F, T]`` on
    ``inst``'s index sets; a plan that does not fit the instance is an input error."""
    out = Verification()
    arrays = plan_arrays(inst, dataclasses.replace(plan, production=plan.production.copy(),
                                                   shipments=plan.shipments.copy(),
                                                   transfers=plan.transfers.copy()), out)
    if out.violations:
        raise InputErrors([InputError(source, None, None, f"the plan does not fit the instance: {v}")
                           for v in out.violations[:10]])
    return arrays


def _apply(inst: E2EInstance, plan: E2EPlan, changes: Changes) -> Applied:
    """The events applied (see the module docstring); every defect named by event and field."""
    T, now = inst.horizon, changes.now
    demand, hours = inst.demand.copy(), inst.hours.copy()
    plant_initial, dc_initial = inst.plant_initial.copy(), inst.dc_initial.copy()
    E, F, L = len(inst.ship_from), len(inst.move_from), len(inst.lines)
    ship_closed, move_closed = np.zeros((E, T), bool), np.zeros((F, T), bool)
    ship_event, move_event = np.zeros((E, T), np.int64), np.zeros((F, T), np.int64)
    hours_event = np.zeros((L, T), np.int64)
    skus, dcs = {s: i for i, s in enumerate(inst.skus)}, {d: i for i, d in enumerate(inst.dcs)}
    lines, plants = {ln: i for i, ln in enumerate(inst.lines)}, {p: i for i, p in enumerate(inst.plants)}
    dc_position = np.full((len(inst.dcs), len(inst.skus)), -1, np.int64)
    dc_position[inst.dc_pos_dc, inst.dc_pos_sku] = np.arange(inst.num_dc_positions)
    errors: list[InputError] = []
    notes: list[str] = []
    counts: dict[tuple[str, int], tuple[int, float]] = {}

    for k, event in enumerate(changes.events, start=1):
        kind = event["kind"]

        def fail(column: str | None, message: str, k: int = k, kind: str = kind) -> None:
            errors.append(_fail(changes, k, kind, column, message))

        def lookup(column: str, ids: dict[str, int], what: str, event: dict[str, Any] = event) -> int | None:
            value = str(event[column])
            if value not in ids:
                fail(column, f"unknown {what} {value}")
                return None
            return ids[value]

        days = None
        if kind in ("demand", "line_down", "lane_closed"):
            first, last = int(event["from_day"]), int(event.get("to_day", event["from_day"]))
            if last < first:
                fail("to_day", f"day {last} is before from_day {first}")
            elif last < now:
                fail("to_day" if "to_day" in event else "from_day",
                     f"days {first}..{last} are all before now ({now}): the past cannot change")
            else:
                if first < now:
                    notes.append(f"event {k} ({kind}): days {first}..{now - 1} are past; applied from day {now}")
                days = slice(max(first, now) - 1, last)
        if kind == "demand":
            s, d = lookup("sku", skus, "SKU"), lookup("dc", dcs, "DC")
            given = [c for c in ("quantity", "factor") if c in event]
            if len(given) != 1:
                fail("quantity", "give exactly one of quantity (units per day) and factor (a multiplier)"
                     + (", not both" if given else ""))
                continue
            if s is None or d is None or days is None:
                continue
            b = dc_position[d, s]
            if b < 0:
                fail("sku", f"DC {inst.dcs[d]} does not stock SKU {inst.skus[s]} (no dc_skus.csv row)")
                continue
            if "quantity" in event:
                demand[b, days] = float(event["quantity"])
            else:
                demand[b, days] *= float(event["factor"])
        elif kind == "line_down":
            ln = lookup("line", lines, "line")
            if ln is None or days is None:
                continue
            lost = event.get("hours")
            hours[ln, days] = 0.0 if lost is None else np.maximum(hours[ln, days] - float(lost), 0.0)
            hours_event[ln, days] = k
        elif kind == "lane_closed":
            p = lookup("from", plants, "plant")
            to = str(event["to"])
            if to in dcs and to in plants:
                fail("to", f"{to} names both a DC and a plant")
                continue
            if to not in dcs and to not in plants:
                fail("to", f"unknown DC or plant {to}")
                continue
            if p is None or days is None:
                continue
            if to in dcs:
                lane = np.flatnonzero((inst.lane_plant == p) & (inst.lane_dc == dcs[to]))
                arcs = np.flatnonzero(np.isin(inst.ship_lane, lane))
                closed, events = ship_closed, ship_event
                where = "dc_lanes.csv"
            else:
                lane = np.flatnonzero((inst.transfer_from == p) & (inst.transfer_to == plants[to]))
                arcs = np.flatnonzero(np.isin(inst.move_lane, lane))
                closed, events = move_closed, move_event
                where = "transfer_lanes.csv"
            if not lane.size:
                fail("to", f"no {where} lane from {inst.plants[p]} to {to}")
                continue
            closed[arcs, days] = True
            events[arcs, days] = k
        elif kind == "stock_actual":
            s = lookup("sku", skus, "SKU")
            given = [c for c in ("plant", "dc") if c in event]
            if len(given) != 1:
                fail("plant", "give exactly one of plant and dc" + (", not both" if given else ""))
                continue
            where = given[0]
            loc = lookup(where, plants if where == "plant" else dcs, where if where == "plant" else "DC")
            if s is None or loc is None:
                continue
            pos = inst.position_index[loc, s] if where == "plant" else dc_position[loc, s]
            if pos < 0:
                fail("sku", f"{where} {event[where]} does not stock SKU {inst.skus[s]}")
                continue
            if (where, int(pos)) in counts:
                notes.append(f"event {k} (stock_actual): replaces event {counts[where, int(pos)][0]}'s count")
            counts[where, int(pos)] = (k, float(event["quantity"]))
    if errors:
        raise InputErrors(errors)

    stock_event: dict[tuple[str, int], int] = {}
    if counts:
        production, shipments, transfers = old_arrays(inst, plan)
        sim = simulate(inst, production, shipments, transfers)
        for (where, pos), (k, quantity) in counts.items():
            stock_event[where, pos] = k
            past = (sim.plant_stock if where == "plant" else sim.dc_stock)[pos, : now - 1]
            before = float(past[-1]) if now > 1 else float((plant_initial if where == "plant" else dc_initial)[pos])
            delta = quantity - before
            if abs(delta) <= DECISION_TOLERANCE:
                continue
            if where == "plant":
                name = f"plant {inst.plants[inst.plant_pos_plant[pos]]} SKU {inst.skus[inst.plant_pos_sku[pos]]}"
            else:
                name = f"DC {inst.dcs[inst.dc_pos_dc[pos]]} SKU {inst.skus[inst.dc_pos_sku[pos]]}"
            if where == "dc" and (delta < 0 or demand[pos, now - 1] >= delta):
                demand[pos, now - 1] -= delta
                notes.append(f"event {k} (stock_actual): {name}: counted {quantity:,.6g} against the plan's "
                             f"{before:,.6g}; day {now}'s demand {'raised' if delta < 0 else 'lowered'} by "
                             f"{abs(delta):,.6g}")
                continue
            lowest = min(float(plant_initial[pos] if where == "plant" else dc_initial[pos]),
                         float(past[:-1].min()) if past.size > 1 else np.inf)
            if where == "plant" and lowest + delta < -DECISION_TOLERANCE:
                errors.append(_fail(changes, k, "stock_actual", "quantity",
                                    f"{name}: the count {quantity:,.6g} is {-delta:,.6g} below the plan's stock at "
                                    f"now ({before:,.6g}), more than the lowest stock before it ({lowest:,.6g}): "
                                    "the e2e format carries a plant count only as a changed initial stock, which "
                                    "would make a past day negative"))
                continue
            (plant_initial if where == "plant" else dc_initial)[pos] += delta
            notes.append(f"event {k} (stock_actual): {name}: counted {quantity:,.6g} against the plan's "
                         f"{before:,.6g}; the initial stock moved by {delta:+,.6g} (the past days' stock and cost "
                         "in the changed instance move with it)")
    if errors:
        raise InputErrors(errors)
    new = dataclasses.replace(inst, name=f"{inst.name}-replanned", demand=demand, hours=hours,
                              plant_initial=np.maximum(plant_initial, 0.0), dc_initial=dc_initial,
                              warnings=list(inst.warnings))
    return Applied(new, ship_closed, move_closed, ship_event, move_event, hours_event, stock_event, notes)


def apply_events(inst: E2EInstance, plan: E2EPlan, changes: Changes) -> E2EInstance:
    """The instance with the events applied (every defect an :class:`InputError` naming the
    event and the field, all raised together). Lane closures are not part of it (the format
    has no lane calendar): :func:`replan` imposes them."""
    return _apply(inst, plan, changes).instance


# ---------------------------------------------------------------------- the fence
@dataclass
class FenceCheck:
    """What breaks if every decision of days before ``freeze_until`` is kept."""

    over_hours: np.ndarray  # [L, T] bool
    over_lot: np.ndarray  # [K, T] bool: a kept lot above the line's capacity that day
    plant_short: np.ndarray  # [A, T] bool
    plant_stock: np.ndarray  # [A, T]
    ship_closed: np.ndarray  # [E, T] bool: a kept shipment on a closed lane-day
    move_closed: np.ndarray  # [F, T] bool
    dc_short: np.ndarray  # [B, T] bool: a backlog where stockouts are forbidden
    line_hours: np.ndarray  # [L, T] hours the kept decisions need

    @property
    def kept(self) -> bool:
        return not any(a.any() for a in (self.over_hours, self.over_lot, self.plant_short, self.ship_closed,
                                         self.move_closed, self.dc_short))


def check_fence(applied: Applied, old: tuple[np.ndarray, np.ndarray, np.ndarray], now: int, freeze: int
                ) -> FenceCheck:
    """Every rule of days ``now..freeze-1`` checked on the old decisions of days before
    ``freeze`` (later ones zero), as the verifier checks them (its tolerance)."""
    inst = applied.instance
    T = inst.horizon
    fence = np.zeros(T, bool)
    fence[now - 1: freeze - 1] = True
    production, shipments, transfers = (np.where(fence | (np.arange(T) < now - 1), a, 0.0) for a in old)
    sim = simulate(inst, production, shipments, transfers)
    over_hours = (sim.line_hours > inst.hours + TOLERANCE * np.maximum(1.0, inst.hours)) & fence
    cap = inst.pair_capacity()
    over_lot = (production > cap + TOLERANCE * np.maximum(1.0, cap)) & fence
    scale = np.maximum(1.0, np.abs(sim.plant_stock).max(axis=1, keepdims=True)) if T else 1.0
    plant_short = (sim.plant_stock < -TOLERANCE * scale) & fence
    ship_closed = applied.ship_closed & (shipments > DECISION_TOLERANCE)
    move_closed = applied.move_closed & (transfers > DECISION_TOLERANCE)
    dc_short = (sim.dc_backlog > TOLERANCE) & fence & (not inst.allow_stockout)
    return FenceCheck(over_hours, over_lot, plant_short, sim.plant_stock, ship_closed, move_closed, dc_short,
                      sim.line_hours)


# ---------------------------------------------------------------------- the model
@dataclass
class ReplanModel:
    """The re-plan's MILP and the index arrays of what it adds to the e2e model."""

    em: E2EModel
    fixed_days: int  # days 1..fixed_days are fixed (history, and the fence when kept)
    dev_cols: np.ndarray  # fence quantities with a deviation (x, z or w columns)
    dev_old: np.ndarray
    dev_plus: np.ndarray
    dev_minus: np.ndarray
    c_cols: np.ndarray  # change indicators
    c_x: np.ndarray  # the production column of each
    c_old: np.ndarray
    tie_cols: np.ndarray  # shipments and transfers beyond the fence with a tie-break deviation
    tie_old: np.ndarray
    tie_plus: np.ndarray
    tie_minus: np.ndarray

    @property
    def lm(self) -> LinearModel:
        return self.em.model


def build_replan_model(applied: Applied, old: tuple[np.ndarray, np.ndarray, np.ndarray], changes: Changes,
                       keep_fence: bool, objective: str = "cost", budget: float | None = None) -> ReplanModel:
    """The MILP of the module docstring. ``keep_fence``: the fence is fixed by bounds;
    otherwise it has deviations, and ``objective="deviation"`` (stage 1) minimises their sum,
    ``"cost"`` with ``budget`` (stage 2) bounds it."""
    inst = applied.instance
    T = inst.horizon
    production, shipments, transfers = old
    now0, fz0 = changes.now - 1, changes.freeze_until - 1  # 0-based first day not past, first day beyond the fence
    fixed = fz0 if keep_fence else now0
    em = build_model(inst, cap=False, fixed_days=fixed)
    lm = em.model
    binary = em.binary_pairs
    # history (and a kept fence): decisions fixed by bounds
    lm.fix(em.x[:, :fixed].ravel(), production[:, :fixed].ravel())
    if binary.any():
        lm.fix(em.y[binary, :fixed].ravel(), (production[binary, :fixed] > LOT_TOLERANCE).astype(float).ravel())
    lm.fix(em.ship[:, :fixed].ravel(), shipments[:, :fixed].ravel())
    lm.fix(em.move[:, :fixed].ravel(), transfers[:, :fixed].ravel())
    # closed lanes (days >= now only)
    lm.set_bounds(em.ship[applied.ship_closed], 0.0, 0.0)
    lm.set_bounds(em.move[applied.move_closed], 0.0, 0.0)
    # rounding hairs of the fixed days: a plant position may go as low as the old plan's
    # least stock on them (<= 0), its under-target and under-minimum as far above their bounds
    sim = simulate(inst, production, shipments, transfers)
    if fixed:
        allowance = np.minimum(sim.plant_stock[:, :fixed].min(axis=1), 0.0)
        hairy = np.flatnonzero(allowance < 0)
        if hairy.size:
            lm.set_bounds(em.plant_stock[hairy].ravel(), np.repeat(allowance[hairy], T), np.inf)
            for name, level in (("plant_under", inst.plant_target), ("plant_below_min", inst.plant_minimum)):
                cols = np.arange(lm.var_blocks[name].start, lm.var_blocks[name].stop).reshape(-1, T)[hairy]
                lm.set_bounds(cols.ravel(), 0.0, np.repeat(level[hairy] - allowance[hairy], T))
        if not inst.allow_stockout:
            hair = np.repeat(sim.dc_backlog[:, :fixed].max(axis=1), T)
            lm.set_bounds(em.backlog.ravel(), 0.0, hair)
    if objective == "deviation":
        lm.add_cost(np.arange(lm.num_vars), -lm.cost)  # stage 1: only the fence's deviation counts

    empty = np.zeros(0, np.int64)
    dev_cols, dev_old, dev_plus, dev_minus = empty, np.zeros(0), empty, empty
    if not keep_fence and fz0 > now0:
        dev_cols = np.concatenate([a[:, now0:fz0].ravel() for a in (em.x, em.ship, em.move)])
        dev_old = np.concatenate([a[:, now0:fz0].ravel() for a in old])
        dev_plus, dev_minus = _deviation(lm, "fence", dev_cols, dev_old, 1.0 if objective == "deviation" else 0.0)
        n = dev_cols.size
        if budget is not None:
            lm.add_rows("fence_budget", 1, np.zeros(2 * n, np.int64), np.concatenate([dev_plus, dev_minus]), 1.0,
                        -np.inf, budget)

    c_cols, c_x, c_old = empty, empty, np.zeros(0)
    if objective == "cost" and changes.change_penalty > 0 and fz0 < T:
        upper = lm.upper[em.x[:, fz0:]]
        prev = production[:, fz0:]
        cell = (upper > DECISION_TOLERANCE) | (prev > DECISION_TOLERANCE)
        kk, tt = np.nonzero(cell)
        tt = tt + fz0
        n = kk.size
        c_x, c_old = em.x[kk, tt], production[kk, tt]
        u = lm.upper[c_x]
        c_cols = lm.add_vars("changed", n, 0.0, 1.0, changes.change_penalty, integer=True)
        r = np.arange(n)
        lm.add_rows("change_up", n, np.concatenate([r, r]), np.concatenate([c_x, c_cols]),
                    np.concatenate([np.ones(n), -np.maximum(u - c_old, 0.0)]), -np.inf, c_old)
        down = np.flatnonzero(c_old > 0)
        r = np.arange(down.size)
        lm.add_rows("change_down", down.size, np.concatenate([r, r]), np.concatenate([c_x[down], c_cols[down]]),
                    np.concatenate([np.ones(down.size), c_old[down]]), c_old[down], np.inf)
        moq = np.flatnonzero(binary[kk] & (inst.moq[kk] > 0))
        if moq.size:
            ycol, yold = em.y[kk[moq], tt[moq]], (c_old[moq] > LOT_TOLERANCE).astype(float)
            r = np.arange(moq.size)
            lm.add_rows("lot_flip_up", moq.size, np.concatenate([r, r]), np.concatenate([ycol, c_cols[moq]]),
                        np.concatenate([np.ones(moq.size), -np.ones(moq.size)]), -np.inf, yold)
            lm.add_rows("lot_flip_down", moq.size, np.concatenate([r, r]), np.concatenate([ycol, c_cols[moq]]),
                        1.0, yold, np.inf)
    tie_cols, tie_old, tie_plus, tie_minus = empty, np.zeros(0), empty, empty
    if objective == "cost" and changes.change_penalty > 0 and fz0 < T:
        cols = np.concatenate([em.ship[:, fz0:].ravel(), em.move[:, fz0:].ravel()])
        prev = np.concatenate([shipments[:, fz0:].ravel(), transfers[:, fz0:].ravel()])
        keep = (lm.upper[cols] > 0) | (prev > 0)
        tie_cols, tie_old = cols[keep], prev[keep]
        tie_plus, tie_minus = _deviation(lm, "tie", tie_cols, tie_old, TIE_BREAK)
    return ReplanModel(em, fixed, dev_cols, dev_old, dev_plus, dev_minus, c_cols, c_x, c_old, tie_cols, tie_old,
                       tie_plus, tie_minus)


def _deviation(lm: LinearModel, name: str, cols: np.ndarray, old: np.ndarray, weight: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Columns :math:`d^\\pm \\ge 0` with :math:`v - d^+ + d^- = v^\\circ` for each column ``v`` of
    ``cols`` (``old`` its old value), each costing ``weight`` per unit."""
    n = cols.size
    plus = lm.add_vars(f"{name}_over", n, 0.0, np.inf, weight)
    minus = lm.add_vars(f"{name}_under", n, 0.0, np.inf, weight)
    r = np.arange(n)
    lm.add_rows(f"{name}_deviation", n, np.concatenate([r, r, r]), np.concatenate([cols, plus, minus]),
                np.concatenate([np.ones(n), -np.ones(n), np.ones(n)]), old, old)
    return plus, minus


def plan_vector(rp: ReplanModel, production: np.ndarray, shipments: np.ndarray, transfers: np.ndarray,
                lots: np.ndarray | None = None) -> np.ndarray:
    """The full column vector of a plan given by its decisions (stocks, deviations, lots and
    change indicators derived as the model defines them)."""
    em, lm = rp.em, rp.lm
    inst = em.instance
    sim = simulate(inst, production, shipments, transfers)
    v = np.zeros(lm.num_vars)
    v[em.x] = production
    if em.binary_pairs.any():
        made = production > LOT_TOLERANCE if lots is None else lots
        v[em.y[em.binary_pairs]] = made[em.binary_pairs]
    v[em.ship], v[em.move] = shipments, transfers
    v[em.plant_stock], v[em.dc_stock], v[em.backlog] = sim.plant_stock, sim.dc_stock, sim.dc_backlog
    for tag, stock, target, minimum in (("plant", sim.plant_stock, inst.plant_target, inst.plant_minimum),
                                        ("dc", sim.dc_stock, inst.dc_target, inst.dc_minimum)):
        n = stock.shape[0]
        for name, value in ((f"{tag}_over", stock - target[:, None]), (f"{tag}_under", target[:, None] - stock),
                            (f"{tag}_below_min", minimum[:, None] - stock)):
            block = lm.var_blocks[name]
            v[block] = np.maximum(value, 0.0).reshape(n * inst.horizon)
    for cols, prev, plus, minus in ((rp.dev_cols, rp.dev_old, rp.dev_plus, rp.dev_minus),
                                    (rp.tie_cols, rp.tie_old, rp.tie_plus, rp.tie_minus)):
        diff = v[cols] - prev
        v[plus], v[minus] = np.maximum(diff, 0.0), np.maximum(-diff, 0.0)
    if rp.c_cols.size:
        v[rp.c_cols] = np.abs(v[rp.c_x] - rp.c_old) > 1e-9
    return v


def _decisions(em: E2EModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.where(x[c] > FLOW, x[c], 0.0) for c in (em.x, em.ship, em.move))  # type: ignore[return-value]


def repaired_start(rp: ReplanModel, old: tuple[np.ndarray, np.ndarray, np.ndarray],
                   options: SolveOptions) -> np.ndarray | None:
    """A feasible start near the old plan: its lots on the free days, repaired to the changed
    line-days (see the module docstring), completed by the LP with the lots fixed."""
    em, lm = rp.em, rp.lm
    inst = em.instance
    binary = em.binary_pairs
    free = np.arange(inst.horizon) >= rp.fixed_days
    lots = (old[0] > LOT_TOLERANCE) & binary[:, None]
    lots &= ~free[None, :] | (inst.pair_capacity() >= inst.moq[:, None] - 1e-9)
    need = (inst.moq / inst.rate + inst.setup_hours)[:, None] * lots * free[None, :]
    used = np.zeros_like(inst.hours)
    np.add.at(used, inst.pair_line, need)
    over_l, over_t = np.nonzero(used > inst.hours + 1e-9)
    for ln, t in zip(over_l, over_t, strict=True):  # only the overloaded line-days: few
        ks = np.flatnonzero((inst.pair_line == ln) & lots[:, t])
        for k in ks[np.argsort(old[0][ks, t], kind="stable")]:
            if used[ln, t] <= inst.hours[ln, t] + 1e-9:
                break
            lots[k, t] = False
            used[ln, t] -= need[k, t]
    lower, upper = lm.lower, lm.upper
    if binary.any():
        cols = em.y[binary][:, free].ravel()
        lm.fix(cols, lots[binary][:, free].astype(float).ravel())
    try:
        res = get_backend("highs").solve(lm, options.with_(progress=None), relax=True)
    finally:
        lm.set_bounds(np.arange(lm.num_vars), lower, upper)
    if res.status != SolveStatus.OPTIMAL or res.x is None:
        return None
    production, shipments, transfers = _decisions(em, res.x)
    production = np.where(lots | ~binary[:, None], production, 0.0)
    v = plan_vector(rp, production, shipments, transfers, lots)
    return v if lm.max_violation(v) <= 1e-6 else None


def best_start(rp: ReplanModel, old: tuple[np.ndarray, np.ndarray, np.ndarray], options: SolveOptions,
               seconds: float | None) -> tuple[np.ndarray | None, str]:
    """The warm start of the module docstring, and which one it is: the old plan if it is
    feasible, else the old plan repaired; or the e2e exact method's LP dive
    (:func:`plantwise.e2e.exact.lp_dive`, its change indicators made binary) when that is
    cheaper in the re-plan's objective."""
    t0 = time.perf_counter()
    lm = rp.lm
    found: list[tuple[float, np.ndarray, str]] = []
    v = plan_vector(rp, *old)
    if lm.max_violation(v) <= 1e-6:
        found.append((lm.objective_value(v), v, "old plan"))
    else:
        repaired = repaired_start(rp, old, options.with_(time_limit=seconds))
        if repaired is not None:
            found.append((lm.objective_value(repaired), repaired, "old plan repaired"))
    rest = None if seconds is None else seconds - (time.perf_counter() - t0)
    if rest is None or rest > 0.5:
        _, dive = lp_dive(rp.em, options.with_(progress=None), None if rest is None else time.perf_counter() + rest)
        if dive is not None:
            v = plan_vector(rp, *_decisions(rp.em, dive))
            if lm.max_violation(v) <= 1e-6:
                found.append((lm.objective_value(v), v, "LP dive"))
    if not found:
        return None, "none"
    _, v, kind = min(found, key=lambda item: item[0])
    return v, kind


def _solve(lm: LinearModel, options: SolveOptions, seconds: float | None, start: np.ndarray | None) -> SolveResult:
    return get_backend("highs").solve(lm, options.with_(time_limit=seconds), start=start)


# ---------------------------------------------------------------------- the re-plan
def replan(inst: E2EInstance, plan: E2EPlan, changes: Changes, options: SolveOptions) -> Replanned:
    """Re-plan ``plan`` of ``inst`` after ``changes`` (see the module docstring)."""
    t0 = time.perf_counter()
    applied = _apply(inst, plan, changes)
    new = applied.instance
    old = old_arrays(inst, plan)
    fence = check_fence(applied, old, changes.now, changes.freeze_until)
    timings: dict[str, float] = {}
    details: dict[str, Any] = {"fence": "kept" if fence.kept else "two stages: least deviation, then cost"}

    def left() -> float | None:
        rest = options.remaining(time.perf_counter() - t0)
        return None if rest is None else max(0.5, rest - MARGIN_SECONDS)

    res: SolveResult | None = None
    rp: ReplanModel | None = None
    start_kind = "none"
    slack = 0.0
    if fence.kept:
        rp = build_replan_model(applied, old, changes, keep_fence=True)
        timings["build"] = time.perf_counter() - t0
        seconds = left()
        start, start_kind = best_start(rp, old, options, None if seconds is None else STAGE1_SHARE * seconds)
        timings["start"] = time.perf_counter() - t0 - timings["build"]
        res = _solve(rp.lm, options, left(), start)
        if res.status == SolveStatus.INFEASIBLE and changes.freeze_until > changes.now:
            details["fence"] = "kept fence infeasible later on: two stages"
            res = None  # stockouts forbidden and a kept fence leaves demand out of reach: deviate
    if res is None:
        t1 = time.perf_counter()
        stage1 = build_replan_model(applied, old, changes, keep_fence=False, objective="deviation")
        seconds = left()
        start1, _ = best_start(stage1, old, options, None if seconds is None else STAGE1_SHARE * seconds)
        res1 = _solve(stage1.lm, options.with_(progress=None),
                      None if seconds is None else max(0.5, STAGE1_SHARE * seconds), start1)
        timings["stage1"] = time.perf_counter() - t1
        if not res1.status.has_solution or res1.x is None:
            return _no_plan(new, res1, applied, "the changes leave no plan that keeps the history (production, "
                                               "shipments and transfers before now)")
        least = float(res1.x[stage1.dev_plus].sum() + res1.x[stage1.dev_minus].sum()) \
            if stage1.dev_plus.size else 0.0
        details["fence_deviation"] = {"least_units": least, "stage1_status": str(res1.status),
                                      "stage1_bound": res1.bound}
        # stage 1's least is exact up to its rows' tolerance (1e-7 each): stage 2 gets that much
        # room, or HiGHS may find the budget infeasible; polish() takes back what it used
        slack = BUDGET_SLACK * max(1.0, least) + 1e-7 * stage1.dev_cols.size
        for widen in (1.0, 100.0):
            rp = build_replan_model(applied, old, changes, keep_fence=False, objective="cost",
                                    budget=least + widen * slack)
            start = plan_vector(rp, *_decisions(stage1.em, res1.x))
            start_kind = "stage 1"
            if rp.lm.max_violation(start) > 1e-6:
                start, start_kind = None, "none"
            res = _solve(rp.lm, options, left(), start)
            if res.status != SolveStatus.INFEASIBLE:
                break
        slack *= widen
        details["fence_deviation"]["budget_slack"] = slack
    assert rp is not None and res is not None
    timings["solve"] = res.timings.get("solve", 0.0)
    if not res.status.has_solution or res.x is None:
        return _no_plan(new, res, applied, "the re-plan found no plan keeping the history and the fence")
    production, shipments, transfers, snapped = polish(rp, res.x, options, 2 * slack if rp.dev_cols.size else 0.0)
    new_plan = plan_from_arrays(new, production, shipments, transfers)
    check = verify(new, new_plan, check_cost=False)
    closed = []
    if (shipments[applied.ship_closed] > DECISION_TOLERANCE).any() or \
            (transfers[applied.move_closed] > DECISION_TOLERANCE).any():
        closed.append("a shipment or transfer leaves on a closed lane-day (a bug)")
    rounded = tuple(np.where(a > 1e-6, np.round(a, 6), 0.0) for a in (production, shipments, transfers))
    fence_changes = _fence_changes(applied, fence, old, rounded, changes)  # type: ignore[arg-type]
    changed_beyond = 0
    if changes.freeze_until - 1 < new.horizon:
        fz0 = changes.freeze_until - 1
        changed_beyond = int((np.abs(rounded[0][:, fz0:] - old[0][:, fz0:]) > DECISION_TOLERANCE).sum())
    status = res.status if res.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else SolveStatus.FEASIBLE
    message = res.message or ""
    if closed:
        status, message = SolveStatus.ERROR, "; ".join(closed)
    details.update({
        "replan_milp": {"objective": res.objective, "bound": res.bound, "gap": res.gap, "status": str(res.status),
                        "warm_start": start_kind, "model": rp.lm.stats(),
                        "change_indicators": int(rp.c_cols.size),
                        "changed_production_beyond_fence": changed_beyond,
                        "change_penalty_paid": changes.change_penalty * changed_beyond, "snapped": snapped},
    })
    timings["total"] = time.perf_counter() - t0
    out = MethodOutput(
        status, new_plan, objective=check.total_cost, bound=None,
        bound_source="none proven for the plan's own cost: the re-plan's MILP minimises the cost plus change "
                     "penalties with the history and the fence kept (its objective and bound are in "
                     "details.replan_milp)",
        solver=res.solver, solver_version=res.solver_version, timings=timings, cost_breakdown=check.cost_breakdown,
        kpis={"produced_units": float(production.sum()), "shipped_units": float(shipments.sum()),
              "transferred_units": float(transfers.sum()),
              "stockout_unit_days": float(simulate(new, production, shipments, transfers).dc_backlog.sum())},
        details=details, message=message)
    return Replanned(new, out, fence_changes, applied.notes)


def polish(rp: ReplanModel, x: np.ndarray, options: SolveOptions, hair: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The decisions of the MILP's solution ``x``, with two kinds of hair taken back: a
    production quantity an indicator left a hair above 0 let move (set to its old quantity),
    and a frozen quantity that moved by at most ``hair`` (stage 2's budget slack; set to its
    old value). If any, shipments and transfers beyond the fence are re-made by the LP with
    every production quantity, every lot and the fence fixed (kept as they were if that LP
    fails). Returns production, shipments, transfers and how many quantities were reset."""
    em, lm = rp.em, rp.lm
    decisions = _decisions(em, x)
    values = x.copy()
    reset = np.zeros(0, np.int64)
    if rp.c_cols.size:
        leak = (x[rp.c_cols] < 0.5) & (np.abs(x[rp.c_x] - rp.c_old) > DECISION_TOLERANCE)
        values[rp.c_x[leak]] = rp.c_old[leak]
        reset = rp.c_x[leak]
    if rp.dev_cols.size and hair > 0:
        moved = np.abs(x[rp.dev_cols] - rp.dev_old)
        small = (moved > 0) & (moved <= hair)
        values[rp.dev_cols[small]] = rp.dev_old[small]
        reset = np.concatenate([reset, rp.dev_cols[small]])
    if not reset.size:
        return (*decisions, 0)
    production = np.where(values[em.x] > FLOW, values[em.x], 0.0)
    lower, upper = lm.lower, lm.upper
    lm.fix(em.x.ravel(), production.ravel())
    if em.binary_pairs.any():
        lm.fix(em.y[em.binary_pairs].ravel(), (production[em.binary_pairs] > LOT_TOLERANCE).astype(float).ravel())
    if rp.dev_cols.size:
        lm.fix(rp.dev_cols, np.where(values[rp.dev_cols] > FLOW, values[rp.dev_cols], 0.0))
    try:
        res = get_backend("highs").solve(lm, options.with_(progress=None), relax=True)
    finally:
        lm.set_bounds(np.arange(lm.num_vars), lower, upper)
    if res.status != SolveStatus.OPTIMAL or res.x is None:
        return (*decisions, 0)
    _, shipments, transfers = _decisions(em, res.x)
    return production, shipments, transfers, int(reset.size)


def _no_plan(new: E2EInstance, res: SolveResult, applied: Applied, diagnosis: str) -> Replanned:
    out = MethodOutput(res.status, None, solver=res.solver, solver_version=res.solver_version,
                       timings=res.timings, message=res.message or "the re-plan found no plan")
    if res.status == SolveStatus.INFEASIBLE:
        out.diagnosis = [diagnosis]
    return Replanned(new, out, [], applied.notes)


def _fence_changes(applied: Applied, fence: FenceCheck, old: tuple[np.ndarray, np.ndarray, np.ndarray],
                   new: tuple[np.ndarray, np.ndarray, np.ndarray], changes: Changes) -> list[dict[str, str]]:
    """Every frozen decision that changed, named, with the reason: what breaks if it stays
    (hours a line lost, a closed lane, a plant running out), or else the break it makes up
    for at the same plant stock position."""
    inst = applied.instance
    now0, fz0 = changes.now - 1, changes.freeze_until - 1
    if fz0 <= now0:
        return []
    plants, skus, lines, dcs = inst.plants, inst.skus, inst.lines, inst.dcs

    def at(a: int) -> str:
        return f"plant {plants[inst.plant_pos_plant[a]]} SKU {skus[inst.plant_pos_sku[a]]}"

    def event(k: int, kind: str) -> str:
        return f" (event {k}, {kind})" if k else ""

    causes: dict[int, list[str]] = {}  # plant position -> what breaks there if the fence stays
    for ln, t in zip(*np.nonzero(fence.over_hours), strict=True):
        for a in np.unique(inst.pair_position[(inst.pair_line == ln) & (old[0][:, t] > DECISION_TOLERANCE)]):
            causes.setdefault(int(a), []).append(f"the hours line {lines[ln]} lost on day {t + 1}"
                                                 + event(int(applied.hours_event[ln, t]), "line_down"))
    for e, t in zip(*np.nonzero(fence.ship_closed), strict=True):
        causes.setdefault(int(inst.ship_from[e]), []).append(
            f"the closed lane to {dcs[inst.dc_pos_dc[inst.ship_to[e]]]} on day {t + 1}"
            + event(int(applied.ship_event[e, t]), "lane_closed"))
    for f, t in zip(*np.nonzero(fence.move_closed), strict=True):
        for a in (inst.move_from[f], inst.move_to[f]):
            causes.setdefault(int(a), []).append(f"the closed transfer lane on day {t + 1}"
                                                 + event(int(applied.move_event[f, t]), "lane_closed"))
    for a, t in zip(*np.nonzero(fence.plant_short), strict=True):
        causes.setdefault(int(a), []).append(f"the stock {at(a)} lacks on day {t + 1}"
                                             + event(applied.stock_event.get(("plant", int(a)), 0), "stock_actual"))

    def short(a: int, t: int) -> str | None:
        days = np.flatnonzero(fence.plant_short[a, t:])
        if not days.size:
            return None
        d = t + int(days[0])
        return (f"{at(a)} would run out on day {d + 1} ({fence.plant_stock[a, d]:,.6g} units) with the frozen "
                "decisions kept" + event(applied.stock_event.get(("plant", a), 0), "stock_actual"))

    def knock_on(*positions: int) -> str:
        found = list(dict.fromkeys(c for a in positions for c in causes.get(int(a), [])))
        if not found:
            return ("moved with the frozen decisions that could not stay: the fence changed by the least total "
                    "quantity any feasible plan needs")
        return "makes up for " + "; ".join(found[:3]) + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")

    out: list[dict[str, str]] = []
    for kind, a_old, a_new in zip(("production", "shipment", "transfer"), old, new, strict=True):
        rows, days = np.nonzero(np.abs(a_new[:, now0:fz0] - a_old[:, now0:fz0]) > DECISION_TOLERANCE)
        for i, t in zip(rows, days + now0, strict=True):
            if kind == "production":
                ln, a = inst.pair_line[i], int(inst.pair_position[i])
                name = f"production line {lines[ln]} SKU {skus[inst.pair_sku[i]]} day {t + 1}"
                if fence.over_hours[ln, t] or fence.over_lot[i, t]:
                    reason = (f"line {lines[ln]} has {inst.hours[ln, t]:g} h on day {t + 1}"
                              + event(int(applied.hours_event[ln, t]), "line_down")
                              + f"; the frozen production needs {fence.line_hours[ln, t]:,.6g} h")
                else:
                    reason = short(a, t) or knock_on(a)
            elif kind == "shipment":
                a, b = int(inst.ship_from[i]), inst.ship_to[i]
                name = (f"shipment {plants[inst.plant_pos_plant[a]]} -> {dcs[inst.dc_pos_dc[b]]} SKU "
                        f"{skus[inst.dc_pos_sku[b]]} day {t + 1}")
                reason = (f"the lane is closed on day {t + 1}" + event(int(applied.ship_event[i, t]), "lane_closed")
                          if fence.ship_closed[i, t] else short(a, t) or knock_on(a))
            else:
                a, b = int(inst.move_from[i]), int(inst.move_to[i])
                name = (f"transfer {plants[inst.plant_pos_plant[a]]} -> {plants[inst.plant_pos_plant[b]]} SKU "
                        f"{skus[inst.plant_pos_sku[a]]} day {t + 1}")
                reason = (f"the lane is closed on day {t + 1}" + event(int(applied.move_event[i, t]), "lane_closed")
                          if fence.move_closed[i, t] else short(a, t) or knock_on(a, b))
            out.append({"decision": f"{name}: {a_old[i, t]:,.6g} -> {a_new[i, t]:,.6g}", "reason": reason})
    return out


__all__ = ["EVENTS", "apply_events", "load", "replan"]
