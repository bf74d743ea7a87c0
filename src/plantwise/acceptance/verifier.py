"""Check an acceptance plan against every rule and recompute its cost and profit from the
instance and the plan's tables alone (never the MILP or the solver's output).

Periods are ``1..T`` (``T = inst.num_periods``; period ``t`` covers hours ``[(t-1)Δ, tΔ)``).
Rules, each a violation family:

* ``format``: a table lacks a required column or has a value that is no (whole) number;
  unknown order, supplier, part, machine or transport mode; a period outside ``1..T``; an
  order of ``orders.csv`` missing or listed twice (any table's key listed twice); a
  (supplier, part) pair ``suppliers.csv`` does not offer; a processing row whose
  (order, step) is not in ``operations.csv`` or whose machine differs from it; a negative
  quantity; ``accepted``, ``delivered`` or ``unmet`` other than 0 or 1;
* ``acceptance``: delivered needs accepted; accepted and not delivered needs unmet; unmet
  needs accepted and not delivered; a delivered order names a mode and a delivery period
  in ``1..T``; an order not delivered names neither;
* ``supplier capacity``: purchases per (supplier, part, period) within the offer's capacity
  (times the period's factor of ``capacity_factors.csv``, as every capacity below);
* ``part balance``: part stock ``I_kt = I_k,t-1 + purchases - Σ_i a_ik · units of the
  order's first step in t`` from ``parts.initial_inventory`` is never negative, and matches
  ``part_stock.csv`` when that table has rows (a missing row states 0);
* ``route``: cumulative units of step ``s + 1`` up to ``t`` never exceed those of step ``s``;
* ``quantity``: at most the order's quantity at each step, exactly it for a delivered
  order, nothing for an order not accepted;
* ``machine hours``: hours per machine and period within ``max_utilisation`` times the
  capacity (the maintenance capacity in a maintenance period);
* ``maintenance``: with ``L_m = max(1, ⌊mttf_hours / Δ⌋) ≤ T`` every ``L_m`` consecutive
  periods hold a maintenance of machine ``m``;
* ``finished stock``: stock of order ``i`` after ``t`` = its last step's cumulative units
  minus the quantity once delivered is never negative (the order is complete by its
  delivery period), matches ``finished_stock.csv`` when that table has rows (a missing row
  states 0), and the orders' stock per period fits the storage capacity;
* ``transport capacity``: items delivered per mode and period within the mode's capacity;
* ``delivery``: the plan's ``arrival_hours`` (delivery period · Δ + miles · hours per mile)
  and ``tardiness_hours`` (arrival past the deadline) match the recomputed ones (1e-4 h);
* ``cost``: ``summary.json``'s ``profit``, ``revenue`` and each ``cost_per_agent`` entry
  match the recomputed values (relative 1e-6, of at least 1); a value that is not a
  finite number is a violation too.

Rows that fail a ``format`` rule (unknown names, periods outside the horizon, a repeated
key, a bad number) are left out of every recomputation, the cost included; a processing
row on the wrong machine is kept, its hours charged to the machine of ``operations.csv``.
Delivery-dependent rules (finished stock, transport, arrival) use the orders whose
delivery names a known mode and a period in ``1..T``.

The cost breakdown (``cost_breakdown``) has the model's agents: ``supply`` (purchases at
their cost plus holding of the recomputed part stock), ``production`` (units · hours per
unit · the order's cost per machine hour), ``maintenance`` (maintenance rows · the
machine's cost), ``inventory`` (storage cost · recomputed finished stock over orders and
periods), ``distribution`` (quantity · miles · the mode's cost per item-mile plus the delay
penalty · recomputed tardiness of each delivery, plus the unmet penalty of unmet orders).

Revenue and profit: :func:`verify` returns an :class:`AcceptanceVerification`, a
:class:`~plantwise.core.verification.Verification` with ``revenue`` (revenue of the orders
the plan marks delivered) and the property ``profit = revenue - total_cost``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.plan import (
    FINISHED_STOCK_SPEC,
    MAINTENANCE_SPEC,
    ORDERS_SPEC,
    PART_STOCK_SPEC,
    PROCESSING_SPEC,
    PURCHASES_SPEC,
    AcceptancePlan,
)
from plantwise.core.summary import lookup
from plantwise.core.tables import TableSpec
from plantwise.core.verification import COST_TOLERANCE, Verification

TOL = 1e-6  # quantities, stocks and hours
HOURS_TOL = 1e-4  # arrival and tardiness hours
MAX_MESSAGES = 50  # per family; the rest are counted in one closing message
AGENTS = ("supply", "production", "maintenance", "inventory", "distribution")


@dataclass
class AcceptanceVerification(Verification):
    """Violations, the recomputed cost per agent, the revenue of delivered orders and the profit."""

    revenue: float = 0.0

    @property
    def profit(self) -> float:
        return self.revenue - self.total_cost


class _Report:
    """Adds violations to ``out``, at most ``MAX_MESSAGES`` per family."""

    def __init__(self, out: Verification) -> None:
        self.out = out
        self.count: dict[str, int] = {}

    def __call__(self, family: str, message: str) -> None:
        n = self.count.get(family, 0)
        self.count[family] = n + 1
        if n < MAX_MESSAGES:
            self.out.add(family, message)

    def close(self) -> None:
        for family, n in self.count.items():
            if n > MAX_MESSAGES:
                self.out.add(family, f"... and {n - MAX_MESSAGES} more {family} violation(s)")


def _num(x: float) -> str:
    """A quantity to 6 decimals, without trailing zeros (7.3, 4.733333, 12)."""
    return f"{round(float(x), 6) + 0.0:.12g}"


def _exceeds(value: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """``value > limit`` beyond the tolerance (relative to the limit, absolute below 1)."""
    return value > limit + TOL * np.maximum(1.0, np.abs(limit))


def _table(frame: pd.DataFrame | None, spec: TableSpec, T: int, report: _Report) -> pd.DataFrame:
    """The plan table typed per ``spec``, with its file line in ``_line``; rows with a bad
    number, a repeated key or a period outside ``1..T`` are reported and left out."""
    name = f"{spec.name}.csv"
    columns = [c.name for c in spec.columns]
    if frame is None:
        frame = pd.DataFrame(columns=columns)
    source = frame.attrs.get("source_rows")
    lines = np.asarray(source) if source is not None and len(source) == len(frame) else np.arange(len(frame)) + 2
    missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
    if missing:
        report("format", f"{name} lacks column(s) {', '.join(missing)}")
        return pd.DataFrame({**{c: pd.Series(dtype=object) for c in columns}, "_line": pd.Series(dtype=np.int64)})
    typed = {"_line": lines}
    bad = np.zeros(len(frame), dtype=bool)
    for col in spec.columns:
        values = frame[col.name].reset_index(drop=True) if col.name in frame.columns \
            else pd.Series([col.default] * len(frame), dtype=object)
        if col.kind == "str":
            text = values.astype(object)
            typed[col.name] = text.where(text.notna(), "").astype(str).to_numpy(object)
            continue
        number = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        wrong = ~np.isfinite(number)
        if col.kind == "int":
            wrong |= ~wrong & (number != np.round(np.nan_to_num(number)))
        for i in np.flatnonzero(wrong):
            kind = "a whole number" if col.kind == "int" else "a finite number"
            shown = repr(values.iat[i]) if isinstance(values.iat[i], str) else str(values.iat[i])
            report("format", f"{name} row {lines[i]}: {col.name} {shown} is not {kind}")
        bad |= wrong
        typed[col.name] = np.nan_to_num(number, nan=0.0, posinf=0.0, neginf=0.0)
    out = pd.DataFrame(typed)[~bad]
    for col in spec.columns:
        if col.kind == "int":
            out[col.name] = out[col.name].astype(np.int64)
    if "period" in out.columns:
        outside = ((out["period"] < 1) | (out["period"] > T)).to_numpy()
        for line, period in out.loc[outside, ["_line", "period"]].itertuples(index=False):
            report("format", f"{name} row {line}: period {period} is outside 1..{T}")
        out = out[~outside]
    twice = out.duplicated(list(spec.key), keep="first").to_numpy()
    for i in np.flatnonzero(twice):
        key = ", ".join(f"{k} {out[k].iat[i]}" for k in spec.key)
        report("format", f"{name} row {out['_line'].iat[i]}: ({key}) is listed twice")
    return out[~twice].reset_index(drop=True)


# processing.csv without its optional start_hours: derived from the period, informative, not checked
_PROCESSING_CHECKED = TableSpec(PROCESSING_SPEC.name, tuple(c for c in PROCESSING_SPEC.columns
                                                            if c.name != "start_hours"), PROCESSING_SPEC.key)


def _lookup(ids: list[str] | pd.Series, values: np.ndarray) -> np.ndarray:
    return pd.Index(list(ids), dtype=object).get_indexer(pd.Index(values, dtype=object))


def _check_stated(frame: pd.DataFrame, spec: TableSpec, key: str, ids: list[str], recomputed: np.ndarray,
                  family: str, source: str, T: int, report: _Report) -> None:
    """Compare a stated stock table (``key``, period, stock) with the ``recomputed`` stock
    ``[len(ids), T]``; a missing row states 0."""
    stated_rows = _table(frame, spec, T, report)
    index = _lookup(ids, stated_rows[key].to_numpy(object))
    ok = _unknown(report, stated_rows, f"{spec.name}.csv", key, index, key)
    stated = np.zeros_like(recomputed)
    present = np.zeros(recomputed.shape, dtype=bool)
    period = stated_rows["period"].to_numpy(np.int64)[ok] - 1
    stated[index[ok], period] = stated_rows["stock"].to_numpy(float)[ok]
    present[index[ok], period] = True
    for r, t_ in zip(*np.nonzero(np.abs(stated - recomputed) > TOL * np.maximum(1.0, np.abs(recomputed))),
                     strict=True):
        says = _num(stated[r, t_]) if present[r, t_] else "0 (no row)"
        report(family, f"{key} {ids[r]} period {t_ + 1}: {spec.name}.csv states {says}, {source} "
                       f"{_num(recomputed[r, t_])}")


def _unknown(report: _Report, frame: pd.DataFrame, name: str, column: str, index: np.ndarray, what: str) -> np.ndarray:
    """Report rows whose ``column`` is no known ``what``; returns the mask of known rows."""
    for line, value in frame.loc[index < 0, ["_line", column]].itertuples(index=False):
        report("format", f"{name} row {line}: unknown {what} '{value}'")
    return index >= 0


def _reported_number(report: _Report, what: str, reported: object, recomputed: float) -> None:
    if reported is None:
        return
    try:
        if isinstance(reported, bool):
            raise TypeError
        value = float(reported)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        report("cost", f"reported {what} {reported!r} is not a number")
        return
    if not math.isfinite(value):
        report("cost", f"reported {what} {reported!r} is not a finite number")
    elif abs(value - recomputed) > COST_TOLERANCE * max(1.0, abs(recomputed)):
        report("cost", f"reported {what} {value:,.6f} differs from the recomputed {recomputed:,.6f}")


def verify(inst: AcceptanceInstance, plan: AcceptancePlan) -> AcceptanceVerification:
    """Every rule of the module docstring on ``plan``; recomputes the cost, revenue and profit."""
    out = AcceptanceVerification()
    report = _Report(out)
    T, delta = inst.num_periods, float(inst.period_hours)
    periods = np.arange(1, T + 1)
    o = inst.orders
    order_ids = o["order"].astype(str).tolist()
    N = len(order_ids)
    q = o["quantity"].to_numpy(float)
    ops = inst.operations.reset_index(drop=True)
    op_order = _lookup(order_ids, ops["order"].astype(str).to_numpy(object))
    op_step = ops["step"].to_numpy(np.int64)
    machine_ids = inst.machines["machine"].astype(str).tolist()
    op_machine = _lookup(machine_ids, ops["machine"].astype(str).to_numpy(object))
    op_hours = ops["hours_per_unit"].to_numpy(float)
    O, M = len(ops), len(machine_ids)
    part_ids = inst.parts["part"].astype(str).tolist()
    K = len(part_ids)
    modes = inst.transport["mode"].astype(str).tolist()
    J = len(modes)
    sup = inst.suppliers
    S = len(sup)

    # ------------------------------------------------------------------ orders
    orders = _table(plan.orders, ORDERS_SPEC, T, report)
    oi = _lookup(order_ids, orders["order"].to_numpy(object))
    known = _unknown(report, orders, "orders.csv", "order", oi, "order")
    orders, oi = orders[known], oi[known]
    flags = {}
    for col in ("accepted", "delivered", "unmet"):
        value = orders[col].to_numpy(np.int64)
        for line, order, v in zip(orders["_line"].to_numpy()[(value != 0) & (value != 1)],
                                  orders["order"].to_numpy()[(value != 0) & (value != 1)],
                                  value[(value != 0) & (value != 1)], strict=True):
            report("format", f"orders.csv row {line}: order {order} {col} {v} must be 0 or 1")
        flags[col] = np.zeros(N, dtype=bool)
        flags[col][oi] = value != 0
    acc, dlv, unmet = flags["accepted"], flags["delivered"], flags["unmet"]
    listed = np.zeros(N, dtype=bool)
    listed[oi] = True
    for i in np.flatnonzero(~listed):
        report("format", f"order {order_ids[i]}: no row in orders.csv")
    mode_text = np.full(N, "", dtype=object)
    mode_text[oi] = orders["mode"].to_numpy(object)
    named = (pd.Series(mode_text, dtype=object).astype(str).str.strip() != "").to_numpy(bool)
    mode_idx = _lookup(modes, mode_text)
    for i in np.flatnonzero(named & (mode_idx < 0)):
        report("format", f"order {order_ids[i]}: unknown transport mode '{mode_text[i]}'")
    dper = np.zeros(N, dtype=np.int64)
    dper[oi] = orders["delivery_period"].to_numpy(np.int64)
    stated_arrival = np.zeros(N)
    stated_arrival[oi] = orders["arrival_hours"].to_numpy(float)
    stated_tardiness = np.zeros(N)
    stated_tardiness[oi] = orders["tardiness_hours"].to_numpy(float)

    # ------------------------------------------------------------------ acceptance
    in_horizon = (dper >= 1) & (dper <= T)
    rules = (
        (dlv & ~acc, "delivered but not accepted"),
        (acc & ~dlv & ~unmet, "accepted, not delivered and not counted unmet"),
        (unmet & ~acc, "counted unmet but not accepted"),
        (unmet & dlv, "counted unmet but delivered"),
        (dlv & ~named, "delivered without a transport mode"),
        (dlv & ~in_horizon, f"delivered in period {{period}}, outside 1..{T}"),
        (~dlv & named, "not delivered but names transport mode '{mode}'"),
        (~dlv & (dper != 0), "not delivered but names delivery period {period}"),
    )
    for mask, text in rules:
        for i in np.flatnonzero(mask & listed):
            report("acceptance", f"order {order_ids[i]}: " + text.format(period=dper[i], mode=mode_text[i]))
    deliverable = dlv & (mode_idx >= 0) & in_horizon

    # ------------------------------------------------------------------ purchases, supplier capacity
    purchases = _table(plan.purchases, PURCHASES_SPEC, T, report)
    s_known = _unknown(report, purchases, "purchases.csv", "supplier",
                       np.where(purchases["supplier"].isin(sup["supplier"].astype(str)), 0, -1), "supplier")
    p_known = _unknown(report, purchases, "purchases.csv", "part",
                       _lookup(part_ids, purchases["part"].to_numpy(object)), "part")
    offer = pd.MultiIndex.from_arrays([sup["supplier"].astype(str).to_numpy(object),
                                       sup["part"].astype(str).to_numpy(object)]).get_indexer(
        pd.MultiIndex.from_arrays([purchases["supplier"].to_numpy(object), purchases["part"].to_numpy(object)]))
    not_offered = s_known & p_known & (offer < 0)
    for line, s_, k_ in purchases.loc[not_offered, ["_line", "supplier", "part"]].itertuples(index=False):
        report("format", f"purchases.csv row {line}: supplier {s_} does not offer part {k_}")
    negative = purchases["quantity"].to_numpy(float) < 0
    for line, s_, k_, t_, x_ in purchases.loc[negative, ["_line", "supplier", "part", "period", "quantity"]].itertuples(
            index=False):
        report("format", f"purchases.csv row {line}: supplier {s_} part {k_} period {t_}: negative quantity {_num(x_)}")
    keep = offer >= 0
    buy = np.zeros((S, T))
    np.add.at(buy, (offer[keep], purchases["period"].to_numpy(np.int64)[keep] - 1),
              purchases["quantity"].to_numpy(float)[keep])
    factors = inst.factors()
    cap_s = sup["capacity_per_period"].to_numpy(float)[:, None] * factors.supplier
    for s_, t_ in zip(*np.nonzero(_exceeds(buy, cap_s)), strict=True):
        report("supplier capacity", f"supplier {sup['supplier'].iat[s_]} part {sup['part'].iat[s_]} period {t_ + 1}: "
                                    f"buys {_num(buy[s_, t_])} > capacity {_num(cap_s[s_, t_])}")

    # ------------------------------------------------------------------ processing
    processing = _table(plan.processing, _PROCESSING_CHECKED, T, report)
    p_order = _lookup(order_ids, processing["order"].to_numpy(object))
    _unknown(report, processing, "processing.csv", "order", p_order, "order")
    op = pd.MultiIndex.from_arrays([ops["order"].astype(str).to_numpy(object), op_step]).get_indexer(
        pd.MultiIndex.from_arrays([processing["order"].to_numpy(object), processing["step"].to_numpy(np.int64)]))
    for line, order, step in processing.loc[(p_order >= 0) & (op < 0), ["_line", "order", "step"]].itertuples(
            index=False):
        report("format", f"processing.csv row {line}: order {order} has no step {step} in operations.csv")
    label = ("processing.csv row " + processing["_line"].astype(str) + " (order " + processing["order"].astype(str)
             + " step " + processing["step"].astype(str) + " period " + processing["period"].astype(str) + ")")
    given_machine = processing["machine"].to_numpy(object)
    expected_machine = np.where(op >= 0, ops["machine"].astype(str).to_numpy(object)[np.maximum(op, 0)], "")
    wrong_machine = (op >= 0) & (given_machine != expected_machine)
    unknown_machine = ~pd.Index(given_machine, dtype=object).isin(machine_ids)
    for i in np.flatnonzero(wrong_machine):
        what = "unknown machine" if unknown_machine[i] else "machine"
        report("format", f"{label.iat[i]}: {what} '{given_machine[i]}', operations.csv runs it on "
                         f"'{expected_machine[i]}'")
    units_col = processing["units"].to_numpy(float)
    for i in np.flatnonzero(units_col < 0):
        report("format", f"{label.iat[i]}: negative units {_num(units_col[i])}")
    keep = op >= 0
    W = np.zeros((O, T))
    np.add.at(W, (op[keep], processing["period"].to_numpy(np.int64)[keep] - 1), units_col[keep])
    cumW = np.cumsum(W, axis=1)

    # first and last step of each order; consecutive step pairs
    first_op = np.full(N, -1, dtype=np.int64)
    last_op = np.full(N, -1, dtype=np.int64)
    if O:
        by_order = pd.DataFrame({"order": op_order, "step": op_step, "op": np.arange(O)}).sort_values(["order", "step"])
        first = by_order.groupby("order").head(1)
        last = by_order.groupby("order").tail(1)
        first_op[first["order"].to_numpy()] = first["op"].to_numpy()
        last_op[last["order"].to_numpy()] = last["op"].to_numpy()
        same = by_order["order"].to_numpy()[1:] == by_order["order"].to_numpy()[:-1]
        pair_from, pair_to = by_order["op"].to_numpy()[:-1][same], by_order["op"].to_numpy()[1:][same]
    else:
        pair_from = pair_to = np.zeros(0, dtype=np.int64)

    def op_label(k: int) -> str:
        return f"order {ops['order'].iat[k]} step {op_step[k]}"

    # ------------------------------------------------------------------ part balance
    used_first = np.zeros((N, T))
    has_first = first_op >= 0
    used_first[has_first] = W[first_op[has_first]]
    need = inst.order_parts
    need_order = _lookup(order_ids, need["order"].astype(str).to_numpy(object))
    need_part = _lookup(part_ids, need["part"].astype(str).to_numpy(object))
    consumed = np.zeros((K, T))
    np.add.at(consumed, need_part, need["per_unit"].to_numpy(float)[:, None] * used_first[need_order])
    bought = np.zeros((K, T))
    offer_part = _lookup(part_ids, sup["part"].astype(str).to_numpy(object))
    np.add.at(bought, offer_part, buy)
    part_stock = inst.parts["initial_inventory"].to_numpy(float)[:, None] + np.cumsum(bought - consumed, axis=1)
    negative = part_stock < -TOL
    for k in np.flatnonzero(negative.any(axis=1)):
        t_ = int(np.argmax(negative[k]))
        report("part balance", f"part {part_ids[k]} period {t_ + 1}: stock {_num(part_stock[k, t_])} < 0 (bought "
                               f"{_num(bought[k, :t_ + 1].sum())}, used {_num(consumed[k, :t_ + 1].sum())} by then)")
    if plan.part_stock is not None and len(plan.part_stock):
        _check_stated(plan.part_stock, PART_STOCK_SPEC, "part", part_ids, part_stock, "part balance",
                      "the purchases and processing give", T, report)

    # ------------------------------------------------------------------ route
    if len(pair_from):
        ahead = _exceeds(cumW[pair_to], cumW[pair_from])
        for p in np.flatnonzero(ahead.any(axis=1)):
            t_ = int(np.argmax(ahead[p]))
            a, b = pair_from[p], pair_to[p]
            report("route", f"{op_label(b)} period {t_ + 1}: {_num(cumW[b, t_])} units processed by then, "
                            f"step {op_step[a]} only {_num(cumW[a, t_])}")

    # ------------------------------------------------------------------ quantity
    total = cumW[:, -1] if T else np.zeros(O)
    q_op = q[op_order]
    over = _exceeds(total, q_op)
    short = dlv[op_order] & (total < q_op - TOL * np.maximum(1.0, q_op)) & ~over
    idle = ~acc[op_order] & (total > TOL) & ~over
    for k in np.flatnonzero(over):
        report("quantity", f"{op_label(k)}: {_num(total[k])} units processed > quantity {_num(q_op[k])}")
    for k in np.flatnonzero(short):
        report("quantity", f"{op_label(k)}: {_num(total[k])} units processed, the delivered order needs "
                           f"{_num(q_op[k])}")
    for k in np.flatnonzero(idle):
        report("quantity", f"{op_label(k)}: {_num(total[k])} units processed but the order is not accepted")

    # ------------------------------------------------------------------ maintenance rows, machine hours, windows
    maintenance = _table(plan.maintenance, MAINTENANCE_SPEC, T, report)
    mm = _lookup(machine_ids, maintenance["machine"].to_numpy(object))
    ok = _unknown(report, maintenance, "maintenance.csv", "machine", mm, "machine")
    maintained = np.zeros((M, T), dtype=bool)
    maintained[mm[ok], maintenance["period"].to_numpy(np.int64)[ok] - 1] = True
    m_frame = inst.machines
    cap = m_frame["capacity_hours"].to_numpy(float)
    cap_mnt = m_frame["maintenance_capacity_hours"].to_numpy(float)
    rho = m_frame["max_utilisation"].to_numpy(float)
    available = rho[:, None] * np.where(maintained, cap_mnt[:, None], cap[:, None]) * factors.machine
    hours = np.zeros((M, T))
    np.add.at(hours, op_machine, W * op_hours[:, None])
    for m_, t_ in zip(*np.nonzero(hours > available + TOL), strict=True):
        note = " (maintenance period)" if maintained[m_, t_] else ""
        report("machine hours", f"machine {machine_ids[m_]} period {t_ + 1}: {_num(hours[m_, t_])} h used > "
                                f"{_num(available[m_, t_])} h available{note}")
    window = np.maximum(np.floor(m_frame["mttf_hours"].to_numpy(float) / delta).astype(np.int64), 1)
    padded = np.concatenate([np.ones((M, 1), bool), maintained, np.ones((M, 1), bool)], axis=1).astype(np.int8)
    change = np.diff(padded, axis=1)
    run_m, run_start = np.nonzero(change == -1)  # a run of periods without maintenance starts (0-based period)
    _, run_end = np.nonzero(change == 1)  # ... and ends (exclusive); both listed row by row, in order
    long = (run_end - run_start >= window[run_m]) & (window[run_m] <= T)
    for m_, a, b in zip(run_m[long], run_start[long], run_end[long], strict=True):
        report("maintenance", f"machine {machine_ids[m_]} periods {a + 1}-{b}: no maintenance in {b - a} consecutive "
                              f"periods; MTTF {_num(m_frame['mttf_hours'].iat[m_])} h needs one in every "
                              f"{window[m_]}")

    # ------------------------------------------------------------------ finished stock, storage
    done = np.zeros((N, T))
    has_last = last_op >= 0
    done[has_last] = cumW[last_op[has_last]]
    shipped = deliverable[:, None] & (periods[None, :] >= dper[:, None])
    finished = done - q[:, None] * shipped
    early = finished < -TOL
    for i in np.flatnonzero(early.any(axis=1)):
        t_ = int(np.argmax(early[i]))
        report("finished stock", f"order {order_ids[i]} period {t_ + 1}: stock {_num(finished[i, t_])} < 0 "
                                 f"(delivered in period {dper[i]} with {_num(done[i, t_])} of {_num(q[i])} units "
                                 f"through its last step)")
    if plan.finished_stock is not None and len(plan.finished_stock):
        _check_stated(plan.finished_stock, FINISHED_STOCK_SPEC, "order", order_ids, finished, "finished stock",
                      "the processing and delivery give", T, report)
    stored = np.maximum(finished, 0.0).sum(axis=0)
    if math.isfinite(inst.storage_capacity):
        room = factors.storage_capacity(float(inst.storage_capacity))
        for t_ in np.flatnonzero(_exceeds(stored, room)):
            report("finished stock", f"period {t_ + 1}: {_num(stored[t_])} items in finished stock > storage "
                                     f"capacity {_num(room[t_])}")

    # ------------------------------------------------------------------ transport, delivery
    tr = inst.transport
    carried = np.zeros((J, T))
    d = np.flatnonzero(deliverable)
    np.add.at(carried, (mode_idx[d], dper[d] - 1), q[d])
    cap_j = tr["capacity_per_period"].to_numpy(float)[:, None] * factors.mode
    for j, t_ in zip(*np.nonzero(_exceeds(carried, cap_j)), strict=True):
        report("transport capacity", f"mode {modes[j]} period {t_ + 1}: {_num(carried[j, t_])} items delivered > "
                                     f"capacity {_num(cap_j[j, t_])}")
    miles = o["distance_miles"].to_numpy(float)
    per_mile = tr["hours_per_mile"].to_numpy(float)[np.maximum(mode_idx, 0)]
    arrival = np.where(deliverable, dper * delta + miles * per_mile, 0.0)
    tardiness = np.where(deliverable, np.maximum(arrival - o["deadline_hours"].to_numpy(float), 0.0), 0.0)
    for what, stated, recomputed in (("arrival_hours", stated_arrival, arrival),
                                     ("tardiness_hours", stated_tardiness, tardiness)):
        for i in np.flatnonzero(deliverable & ~(np.abs(stated - recomputed) <= HOURS_TOL)):
            report("delivery", f"order {order_ids[i]}: {what} {_num(stated[i])} stated, {_num(recomputed[i])} "
                               f"recomputed (period {dper[i]} by {modes[mode_idx[i]]})")

    # ------------------------------------------------------------------ cost, revenue, profit
    supply = float((buy * sup["cost_per_part"].to_numpy(float)[:, None]).sum()
                   + (part_stock * inst.parts["holding_cost"].to_numpy(float)[:, None]).sum())
    production = float((total * op_hours * o["production_cost_per_hour"].to_numpy(float)[op_order]).sum())
    maintenance_cost = float(maintained.sum(axis=1) @ m_frame["maintenance_cost"].to_numpy(float))
    inventory = float(inst.storage_cost * finished.sum())
    per_item_mile = tr["cost_per_item_mile"].to_numpy(float)[np.maximum(mode_idx, 0)]
    distribution = float(np.where(deliverable, q * miles * per_item_mile
                                  + o["delay_penalty_per_hour"].to_numpy(float) * tardiness, 0.0).sum()
                         + (unmet * o["unmet_penalty"].to_numpy(float)).sum())
    out.cost_breakdown = {"supply": supply, "production": production, "maintenance": maintenance_cost,
                          "inventory": inventory, "distribution": distribution}
    out.revenue = float((dlv * o["revenue"].to_numpy(float)).sum())
    summary = plan.summary if isinstance(plan.summary, dict) else {}
    if not isinstance(plan.summary, dict):
        report("summary", f"summary.json holds {type(plan.summary).__name__}, not an object of the plan's figures")
    _reported_number(report, "objective (profit)", summary.get("objective"), out.profit)
    _reported_number(report, "profit", lookup(summary, "profit"), out.profit)
    _reported_number(report, "revenue", lookup(summary, "revenue"), out.revenue)
    agents = lookup(summary, "cost_per_agent")
    if agents is not None:
        if not isinstance(agents, dict):
            report("cost", f"reported cost_per_agent {agents!r} is not a mapping of agent to cost")
        else:
            for agent, value in agents.items():
                if agent not in out.cost_breakdown:
                    report("cost", f"reported cost_per_agent names unknown agent {agent!r} (expected "
                                   f"{', '.join(AGENTS)})")
                elif value is None:
                    report("cost", f"reported {agent} cost None is not a number")
                else:
                    _reported_number(report, f"{agent} cost", value, out.cost_breakdown[agent])
    report.close()
    return out
