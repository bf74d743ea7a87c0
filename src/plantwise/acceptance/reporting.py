"""HTML report of an acceptance plan: which orders are accepted, why the others are rejected,
each agent's cost, the machines' load and the deliveries against the deadlines.

Every figure is recomputed from the instance and the plan's tables: revenue, profit and the
cost per agent by :func:`plantwise.acceptance.verifier.verify`; the machines' hours from
``processing.csv`` and ``operations.csv``; arrival and tardiness from the delivery period,
the mode and the customer's distance. The summary gives only what the plan cannot (status,
bound, solve time). Units: hours (h) from the start of the horizon, periods ``1..T`` of
``period_hours``, items, the instance's currency.

Why an order is rejected
========================

Each rejected order (``accepted = 0``) gets exactly one reason, from the instance and the
plan alone, by the first rule that holds — intrinsic reasons first, so that an order the
plant would refuse even when empty is never blamed on the other orders:

1. ``margin``: its revenue does not cover its marginal cost,
   ``r_i ≤ q_i Σ_k a_ik min_s c_s(k)`` (parts at the cheapest supplier of each part)
   ``+ q_i π_i Σ_o p_o`` (processing: machine hours of its route at its cost per hour)
   ``+ q_i L_i min_j c_j`` (transport at the cheapest mode, ignoring time).
2. ``deadline``: it covers its marginal cost on time, but not with the delivery it can
   actually get even alone. Alone on an empty plant it completes at the earliest in period
   ``t_e = max(1, max_m ⌈q_i Σ_{o on m} p_o / (ρ_m C_m)⌉, max_k ⌈(q_i a_ik - I_k0)^+ / Σ_s C_s(k)⌉)``
   (machine hours at full utilisable capacity, maintenance ignored; parts from the initial
   stock plus every supplier's capacity; both optimistic), so it can leave in a period
   ``t ∈ [t_e, T]`` by a mode ``j`` that carries its ``q_i`` items in one period, arriving at
   ``tΔ + L_i h_j``. If no such option exists (``t_e > T``), or the best of them,
   ``min_{j,t} q_i L_i c_j + λ_i (tΔ + L_i h_j - d_i)^+``, leaves no profit
   (``r_i - parts - processing - best ≤ 0``: the tardiness penalty, or the faster mode
   the deadline needs, eats the margin), the reason is ``deadline``.
3. ``capacity``: otherwise — the order is profitable alone, so what stops it is what the
   accepted orders leave. The detail names the resources whose remainder in the periods
   ``1..t_w`` (``t_w`` the last period it can still leave profitably) is smaller than the
   order's need: machine hours per machine (``ρ_m`` times the capacity, the maintenance
   capacity in the plan's maintenance periods, minus the plan's hours), parts per part
   (initial stock plus supplier capacity minus the plan's use), and a transport mode with
   ``q_i`` items of room in one period. When no single resource is short in total, the
   detail says so: the order then does not fit period by period (per-period hours,
   maintenance, route order, storage), or the plan is not optimal (its gap is shown).

An accepted order is ``delivered`` or, when never delivered, ``unmet`` (its penalty is paid).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.plan import AcceptancePlan
from plantwise.acceptance.verifier import AGENTS, verify
from plantwise.report import HtmlReport, percent, summary_seconds, summary_value
from plantwise.report.html import replan_section

REASONS = ("capacity", "margin", "deadline")
TOL = 1e-6
REASON_COLOURS = {"accepted": "#2e9e6a", "capacity": "#d9822b", "margin": "#c2415c", "deadline": "#8e5cc2"}
MAX_ORDER_ROWS = 1_000


def _periods_needed(need: np.ndarray, per_period: np.ndarray) -> np.ndarray:
    """``⌈need / per_period⌉`` (0 without need, infinite without capacity)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(need <= TOL, 0.0, np.where(per_period > TOL, np.ceil(need / per_period - 1e-9), np.inf))
    return out


def machine_hours(inst: AcceptanceInstance, plan: AcceptancePlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hours used ``[M, T]`` by the plan's processing (on the machine of ``operations.csv``), hours
    available ``[M, T]`` (``max_utilisation`` times the capacity, the maintenance capacity in a
    maintenance period) and the maintenance periods ``[M, T]`` (bool)."""
    T = inst.num_periods
    m = inst.machines
    machines = m["machine"].astype(str).tolist()
    midx = {k: i for i, k in enumerate(machines)}
    used = np.zeros((len(machines), T))
    ops = inst.operations
    key = pd.MultiIndex.from_arrays([ops["order"].astype(str), ops["step"].astype(np.int64)])
    proc = plan.processing
    if len(proc):
        where = key.get_indexer(pd.MultiIndex.from_arrays([proc["order"].astype(str),
                                                           pd.to_numeric(proc["step"]).astype(np.int64)]))
        period = pd.to_numeric(proc["period"]).to_numpy(np.int64)
        ok = (where >= 0) & (period >= 1) & (period <= T)
        machine = ops["machine"].astype(str).map(midx).to_numpy(np.int64)[where[ok]]
        hours = pd.to_numeric(proc["units"]).to_numpy(float)[ok] * ops["hours_per_unit"].to_numpy(float)[where[ok]]
        np.add.at(used, (machine, period[ok] - 1), hours)
    maintained = np.zeros((len(machines), T), dtype=bool)
    mnt = plan.maintenance
    if len(mnt):
        mi = mnt["machine"].astype(str).map(midx)
        period = pd.to_numeric(mnt["period"]).to_numpy(np.int64)
        ok = mi.notna().to_numpy() & (period >= 1) & (period <= T)
        maintained[mi.to_numpy()[ok].astype(np.int64), period[ok] - 1] = True
    rho = m["max_utilisation"].to_numpy(float)[:, None]
    available = rho * np.where(maintained, m["maintenance_capacity_hours"].to_numpy(float)[:, None],
                               m["capacity_hours"].to_numpy(float)[:, None]) * inst.factors().machine
    return used, available, maintained


def _parts_used(inst: AcceptanceInstance, plan: AcceptancePlan) -> np.ndarray:
    """Parts ``[K, T]`` the plan's first steps consume."""
    T = inst.num_periods
    parts = inst.parts["part"].astype(str).tolist()
    out = np.zeros((len(parts), T))
    proc = plan.processing
    if not len(proc):
        return out
    first = proc[pd.to_numeric(proc["step"]) == 1]
    period = pd.to_numeric(first["period"]).to_numpy(np.int64)
    units = pd.to_numeric(first["units"]).to_numpy(float)
    keep = (period >= 1) & (period <= T)
    frame = pd.DataFrame({"order": first["order"].astype(str).to_numpy()[keep], "period": period[keep],
                          "units": units[keep]})
    need = inst.order_parts.assign(order=inst.order_parts["order"].astype(str))
    rows = frame.merge(need, on="order")
    pidx = {k: i for i, k in enumerate(parts)}
    np.add.at(out, (rows["part"].astype(str).map(pidx).to_numpy(np.int64), rows["period"].to_numpy(np.int64) - 1),
              rows["units"].to_numpy(float) * rows["per_unit"].to_numpy(float))
    return out


def _transport_used(inst: AcceptanceInstance, plan: AcceptancePlan) -> np.ndarray:
    """Items ``[J, T]`` the plan's deliveries carry per mode and period."""
    T = inst.num_periods
    modes = inst.transport["mode"].astype(str).tolist()
    out = np.zeros((len(modes), T))
    o = plan.orders
    if not len(o):
        return out
    q = inst.orders.set_index(inst.orders["order"].astype(str))["quantity"]
    d = o[pd.to_numeric(o["delivered"]) == 1]
    j = d["mode"].astype(str).map({k: i for i, k in enumerate(modes)})
    period = pd.to_numeric(d["delivery_period"]).to_numpy(np.int64)
    ok = j.notna().to_numpy() & (period >= 1) & (period <= T)
    np.add.at(out, (j.to_numpy()[ok].astype(np.int64), period[ok] - 1),
              d["order"].astype(str).map(q).to_numpy(float)[ok])
    return out


def order_decisions(inst: AcceptanceInstance, plan: AcceptancePlan) -> pd.DataFrame:
    """One row per order of the instance: ``decision`` (accepted / rejected), ``outcome``
    (delivered / unmet / rejected), ``reason`` of a rejection (``capacity``, ``margin`` or
    ``deadline``, see the module docstring; empty when accepted), ``detail``, and the figures
    the rule uses (currency, hours, periods)."""
    o = inst.orders
    ids = o["order"].astype(str).tolist()
    N, T, delta = len(ids), inst.num_periods, float(inst.period_hours)
    q = o["quantity"].to_numpy(float)
    revenue = o["revenue"].to_numpy(float)
    deadline = o["deadline_hours"].to_numpy(float)
    miles = o["distance_miles"].to_numpy(float)
    penalty = o["delay_penalty_per_hour"].to_numpy(float)
    oidx = {k: i for i, k in enumerate(ids)}
    # parts at the cheapest supplier, and the parts each order needs
    parts = inst.parts["part"].astype(str).tolist()
    pidx = {k: i for i, k in enumerate(parts)}
    sup = inst.suppliers
    sup_part = sup["part"].astype(str).map(pidx).to_numpy(np.int64)
    cheapest = np.full(len(parts), np.inf)
    np.minimum.at(cheapest, sup_part, sup["cost_per_part"].to_numpy(float))
    supply_rate = np.zeros(len(parts))
    np.add.at(supply_rate, sup_part, sup["capacity_per_period"].to_numpy(float))
    need = np.zeros((N, len(parts)))  # parts per unit
    op_ = inst.order_parts
    np.add.at(need, (op_["order"].astype(str).map(oidx).to_numpy(np.int64),
                     op_["part"].astype(str).map(pidx).to_numpy(np.int64)), op_["per_unit"].to_numpy(float))
    need_total = need * q[:, None]
    parts_cost = (need_total * np.where(np.isfinite(cheapest), cheapest, 0.0)[None, :]).sum(axis=1)
    # machine hours per order and machine
    machines = inst.machines["machine"].astype(str).tolist()
    midx = {k: i for i, k in enumerate(machines)}
    ops = inst.operations
    hours = np.zeros((N, len(machines)))
    np.add.at(hours, (ops["order"].astype(str).map(oidx).to_numpy(np.int64),
                      ops["machine"].astype(str).map(midx).to_numpy(np.int64)), ops["hours_per_unit"].to_numpy(float))
    hours *= q[:, None]
    processing = hours.sum(axis=1) * o["production_cost_per_hour"].to_numpy(float)
    tr = inst.transport
    per_item_mile = tr["cost_per_item_mile"].to_numpy(float)
    per_mile_h = tr["hours_per_mile"].to_numpy(float)
    mode_cap = tr["capacity_per_period"].to_numpy(float)
    transport_min = q * miles * per_item_mile.min()
    marginal = parts_cost + processing + transport_min
    margin = revenue - marginal
    # alone on an empty plant: earliest completion period, then the best delivery option
    m = inst.machines
    usable_hours = (m["max_utilisation"] * m["capacity_hours"]).to_numpy(float)
    t_machine = _periods_needed(hours, usable_hours[None, :]).max(axis=1, initial=0.0)
    initial = inst.parts["initial_inventory"].to_numpy(float)
    t_parts = _periods_needed(np.maximum(need_total - initial[None, :], 0.0), supply_rate[None, :]).max(
        axis=1, initial=0.0)
    t_early = np.maximum(1.0, np.maximum(t_machine, t_parts))
    periods = np.arange(1, T + 1)
    arrival = periods[None, None, :] * delta + (miles[:, None] * per_mile_h[None, :])[:, :, None]  # [N, J, T]
    option = (q * miles)[:, None, None] * per_item_mile[None, :, None] + penalty[:, None, None] * np.maximum(
        arrival - deadline[:, None, None], 0.0)
    allowed = (mode_cap[None, :, None] >= q[:, None, None] - TOL) & (periods[None, None, :] >= t_early[:, None, None])
    option = np.where(allowed, option, np.inf)
    best = option.min(axis=(1, 2)) if T else np.full(N, np.inf)
    profit_alone = revenue - parts_cost - processing - best
    earliest_arrival = np.where(allowed, arrival, np.inf).min(axis=(1, 2)) if T else np.full(N, np.inf)
    any_mode = (mode_cap[None, :] >= q[:, None] - TOL).any(axis=1)
    # what the plan leaves
    used, available, _maintained = machine_hours(inst, plan)
    left_hours = np.maximum(available - used, 0.0)
    supply_left = np.zeros((len(parts), T))
    np.add.at(supply_left, sup_part, sup["capacity_per_period"].to_numpy(float)[:, None] * inst.factors().supplier)
    consumed = _parts_used(inst, plan)
    carried = _transport_used(inst, plan)
    status = {k: (int(a), int(dv), int(u)) for k, a, dv, u in zip(
        plan.orders["order"].astype(str), pd.to_numeric(plan.orders["accepted"]),
        pd.to_numeric(plan.orders["delivered"]), pd.to_numeric(plan.orders["unmet"]), strict=True)}
    rows = []
    for i, order in enumerate(ids):
        acc, dlv, _unmet = status.get(order, (0, 0, 0))
        reason, detail = "", ""
        if acc:
            outcome = "delivered" if dlv else "unmet"
        else:
            outcome = "rejected"
            reason, detail = _classify(i, revenue, marginal, margin, parts_cost, processing, transport_min,
                                       profit_alone, best, earliest_arrival, deadline, t_early, any_mode, T)
            if reason == "capacity":
                profitable = (revenue[i] - parts_cost[i] - processing[i] - option[i].min(axis=0)) > TOL  # [T]
                t_w = int(periods[profitable].max()) if profitable.any() else T
                detail = _capacity_detail(inst, i, t_w, hours[i], left_hours, need_total[i], initial, supply_left,
                                          consumed, q[i], t_early[i], mode_cap, carried, machines, parts, plan)
        rows.append({
            "order": order, "decision": "accepted" if acc else "rejected", "outcome": outcome, "reason": reason,
            "detail": detail, "revenue (currency)": revenue[i], "marginal cost (currency)": marginal[i],
            "margin (currency)": margin[i],
            "best profit alone (currency)": profit_alone[i] if math.isfinite(profit_alone[i]) else None,
            "deadline (h)": deadline[i],
            "earliest arrival alone (h)": earliest_arrival[i] if math.isfinite(earliest_arrival[i]) else None,
        })
    return pd.DataFrame(rows)


def _classify(i: int, revenue: np.ndarray, marginal: np.ndarray, margin: np.ndarray, parts_cost: np.ndarray,
              processing: np.ndarray, transport_min: np.ndarray, profit_alone: np.ndarray, best: np.ndarray,
              earliest_arrival: np.ndarray, deadline: np.ndarray, t_early: np.ndarray, any_mode: np.ndarray,
              T: int) -> tuple[str, str]:
    """Rules 1 and 2 of the module docstring; ``capacity`` (detail filled in later) otherwise."""
    if margin[i] <= TOL:
        return "margin", (f"revenue {revenue[i]:,.2f} ≤ marginal cost {marginal[i]:,.2f} (parts {parts_cost[i]:,.2f}"
                          f" + processing {processing[i]:,.2f} + cheapest transport {transport_min[i]:,.2f})")
    if not any_mode[i]:
        return "capacity", ""
    if not math.isfinite(best[i]):
        return "deadline", (f"cannot be completed within the horizon even alone (earliest completion period "
                            f"{t_early[i]:g} > {T})")
    if profit_alone[i] <= TOL:
        late = earliest_arrival[i] - deadline[i]
        when = (f"earliest arrival alone {earliest_arrival[i]:,.1f} h, {late:,.1f} h after the deadline "
                f"{deadline[i]:,.1f} h" if late > TOL else
                f"on time only by a mode that costs more than the margin (deadline {deadline[i]:,.1f} h)")
        return "deadline", (f"{when}; the best delivery alone costs {best[i]:,.2f} in transport and tardiness, "
                            f"leaving {profit_alone[i]:,.2f} of the revenue {revenue[i]:,.2f}")
    return "capacity", ""


def _capacity_detail(inst: AcceptanceInstance, i: int, t_w: int, hours: np.ndarray, left_hours: np.ndarray,
                     need: np.ndarray, initial: np.ndarray, supply_left: np.ndarray, consumed: np.ndarray,
                     q: float, t_early: float, mode_cap: np.ndarray, carried: np.ndarray, machines: list[str],
                     parts: list[str], plan: AcceptancePlan) -> str:
    """The resources whose remainder in periods ``1..t_w`` is below the order's need."""
    short = []
    left_m = left_hours[:, :t_w].sum(axis=1)
    for m in np.flatnonzero(hours > left_m + TOL):
        short.append(f"machine {machines[m]} needs {hours[m]:,.2f} h, {left_m[m]:,.2f} h left")
    left_k = initial + supply_left[:, :t_w].sum(axis=1) - consumed[:, :t_w].sum(axis=1)
    for k in np.flatnonzero(need > left_k + TOL):
        short.append(f"part {parts[k]} needs {need[k]:,.1f}, {max(left_k[k], 0.0):,.1f} left")
    window = slice(max(int(t_early) - 1, 0), t_w)
    room = mode_cap[:, None] - carried[:, window]
    if not (room >= q - TOL).any():
        short.append(f"no transport mode has room for {q:g} items in one period"
                     if (mode_cap >= q - TOL).any() else f"no transport mode carries {q:g} items in one period")
    span = f"in periods 1–{t_w}"
    if short:
        return "short " + span + ": " + "; ".join(short)
    gap = summary_value(plan.summary, "gap")
    note = "" if not isinstance(gap, int | float) or gap <= 1e-6 else f"; the plan's gap is {percent(gap)}"
    return (f"profitable alone and no single resource short in total {span}: it does not fit period by period "
            f"beside the accepted orders (hours per period, maintenance, route order, storage){note}")


def deliveries(inst: AcceptanceInstance, plan: AcceptancePlan) -> pd.DataFrame:
    """Delivered orders sorted by deadline: delivery period, mode, arrival and tardiness recomputed."""
    o = inst.orders.assign(order=inst.orders["order"].astype(str)).set_index("order")
    d = plan.orders[pd.to_numeric(plan.orders["delivered"]) == 1].copy()
    tr = inst.transport.assign(mode=inst.transport["mode"].astype(str)).set_index("mode")
    d["order"] = d["order"].astype(str)
    d = d[d["order"].isin(o.index) & d["mode"].astype(str).isin(tr.index)]
    period = pd.to_numeric(d["delivery_period"]).to_numpy(np.int64)
    miles = o.loc[d["order"], "distance_miles"].to_numpy(float)
    arrival = period * float(inst.period_hours) + miles * tr.loc[d["mode"].astype(str), "hours_per_mile"].to_numpy(
        float)
    deadline = o.loc[d["order"], "deadline_hours"].to_numpy(float)
    tardiness = np.maximum(arrival - deadline, 0.0)
    out = pd.DataFrame({
        "order": d["order"].to_numpy(), "mode": d["mode"].astype(str).to_numpy(),
        "deadline (h)": deadline, "deadline period": np.ceil(deadline / float(inst.period_hours) - 1e-9).astype(int),
        "delivery period": period, "leaves (h)": period * float(inst.period_hours), "arrival (h)": arrival,
        "tardiness (h)": tardiness,
        "tardiness penalty (currency)": tardiness * o.loc[d["order"], "delay_penalty_per_hour"].to_numpy(float),
    })
    return out.sort_values(["deadline (h)", "order"]).reset_index(drop=True)


def write_report(inst: AcceptanceInstance, plan: AcceptancePlan, out_dir: str | Path) -> Path:
    """Write ``out_dir/report.html`` (plus ``plotly.min.js`` once per folder); returns the html path."""
    out_dir = Path(out_dir)
    s = plan.summary
    check = verify(inst, plan)
    decisions = order_decisions(inst, plan)
    rejected = decisions[decisions["decision"] == "rejected"]
    counts = rejected["reason"].value_counts().reindex(list(REASONS), fill_value=0)
    rep = HtmlReport(f"Order acceptance plan — {inst.name}")
    rep.heading("Summary")
    rep.key_values({
        "status": summary_value(s, "status"), "method": summary_value(s, "method"),
        "profit, recomputed (currency)": check.profit, "revenue of delivered orders (currency)": check.revenue,
        "total cost (currency)": check.total_cost,
        "proven upper bound on the profit (currency)": summary_value(s, "bound"),
        "gap": percent(summary_value(s, "gap"), 4),
        "orders accepted (orders)": f"{int((decisions['decision'] == 'accepted').sum())} of {len(decisions)}",
        "accepted and delivered (orders)": int((decisions["outcome"] == "delivered").sum()),
        "accepted, never delivered: unmet (orders)": int((decisions["outcome"] == "unmet").sum()),
        "rejected by reason (orders)": {k: int(v) for k, v in counts.items()},
        "solve time (s)": summary_seconds(s), "instance": inst.describe(),
        "independent verification": "passed" if check.ok else f"{len(check.violations)} violations",
    })
    for v in check.violations[:10]:
        rep.paragraph(str(v), warn=True)

    replan_section(rep, s, out_dir)
    rep.heading("Accepted and rejected orders", anchor="orders")
    rep.paragraph("Each rejected order has one reason, the first that holds: margin (revenue does not cover parts "
                  "at the cheapest supplier + processing + transport by the cheapest mode), deadline (alone on an "
                  "empty plant it completes too late, and the tardiness penalty or the faster mode it needs eats the "
                  "margin), capacity (profitable alone: what the accepted orders leave of machine hours, parts or "
                  "transport does not take it). The report module's docstring states the rule exactly.")
    rep.table(decisions, max_rows=MAX_ORDER_ROWS)
    fig = go.Figure()
    kind = decisions["reason"].where(decisions["decision"] == "rejected", "accepted")
    for name, colour in REASON_COLOURS.items():
        sub = decisions[kind == name]
        if sub.empty:
            continue
        label = name if name == "accepted" else f"rejected: {name}"
        fig.add_scatter(x=sub["deadline (h)"], y=sub["margin (currency)"], mode="markers", name=label,
                        marker={"color": colour, "size": 9}, text=sub["order"],
                        hovertemplate="%{text}: deadline %{x:.1f} h, margin %{y:,.2f}<extra></extra>")
    fig.add_hline(y=0, line={"color": "#9aa5b1", "dash": "dot"})
    fig.update_layout(title="Orders by deadline and margin before lateness (revenue - parts - processing - "
                            "cheapest transport)", xaxis_title="deadline (h from the start)",
                      yaxis_title="margin (currency)")
    rep.figure(fig)

    rep.heading("Cost per agent", anchor="agents")
    agents = list(AGENTS)
    cost = [check.cost_breakdown.get(a, 0.0) for a in agents]
    fig = go.Figure(go.Bar(x=agents, y=cost, marker_color="#2f6fbf", text=[f"{c:,.0f}" for c in cost],
                           textposition="outside"))
    fig.update_layout(title="Each agent's cost, recomputed from the plan", xaxis={"title": "agent", "type": "category"},
                      yaxis_title="cost (currency)")
    rep.figure(fig)
    total = check.total_cost
    rep.table(pd.DataFrame({"agent": agents, "cost (currency)": cost,
                            "share of the cost (%)": [100 * c / total if total > 0 else 0.0 for c in cost]}))

    rep.heading("Machine load", anchor="machine-load")
    used, available, maintained = machine_hours(inst, plan)
    machines = inst.machines["machine"].astype(str).tolist()
    periods = np.arange(1, inst.num_periods + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(available > TOL, 100 * used / available, np.where(used > TOL, np.inf, 0.0))
    fig = go.Figure(go.Heatmap(
        z=np.minimum(load, 150), x=periods, y=machines, zmin=0, zmax=100, colorscale="YlOrRd",
        colorbar={"title": "load (% of available h)"}, text=np.where(maintained, "M", ""), texttemplate="%{text}",
        customdata=np.stack([used, available], axis=-1),
        hovertemplate="machine %{y}, period %{x}: %{customdata[0]:.2f} h used of %{customdata[1]:.2f} h "
                      "(%{z:.0f} %)<extra></extra>"))
    fig.update_layout(title="Hours used per machine and period against the hours available (M: maintenance)",
                      xaxis_title="period", yaxis={"title": "machine", "type": "category"},
                      height=160 + 36 * len(machines))
    rep.figure(fig)
    tot_used, tot_avail = used.sum(axis=1), available.sum(axis=1)
    rep.table(pd.DataFrame({
        "machine": machines, "hours used (h)": tot_used, "hours available (h)": tot_avail,
        "load (%)": np.where(tot_avail > TOL, 100 * tot_used / np.maximum(tot_avail, TOL), 0.0),
        "peak period load (%)": np.where(np.isfinite(load), load, 0.0).max(axis=1, initial=0.0),
        "maintenance periods (periods)": maintained.sum(axis=1)}))

    rep.heading("Deliveries against deadlines", anchor="deliveries")
    dl = deliveries(inst, plan)
    if len(dl):
        late = dl["tardiness (h)"] > 1e-4
        fig = go.Figure()
        for mask, colour in ((~late, "#9aa5b1"), (late, "#c2415c")):  # transit: leaves -> arrives
            sub = dl[mask]
            if len(sub):
                gaps = [None] * len(sub)
                fig.add_scatter(x=[v for trio in zip(sub["order"], sub["order"], gaps, strict=True) for v in trio],
                                y=[v for trio in zip(sub["leaves (h)"], sub["arrival (h)"], gaps, strict=True)
                                   for v in trio],
                                mode="lines", line={"color": colour, "width": 2}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=dl["order"], y=dl["deadline (h)"], mode="markers", name="deadline",
                        marker={"symbol": "line-ew-open", "size": 18, "color": "#1f2933", "line": {"width": 2}})
        fig.add_scatter(x=dl["order"], y=dl["leaves (h)"], mode="markers", name="leaves (end of delivery period)",
                        marker={"symbol": "circle-open", "size": 8, "color": "#5c7080"})
        for mask, name, colour in ((~late, "arrives on time", "#2e9e6a"), (late, "arrives late", "#c2415c")):
            sub = dl[mask]
            if len(sub):
                fig.add_scatter(x=sub["order"], y=sub["arrival (h)"], mode="markers", name=name,
                                marker={"size": 10, "color": colour}, customdata=np.c_[sub["mode"],
                                                                                       sub["tardiness (h)"]],
                                hovertemplate="%{x}: arrives %{y:.1f} h by %{customdata[0]}, "
                                              "%{customdata[1]:.1f} h late<extra></extra>")
        fig.update_layout(title=f"Delivered orders by deadline: {int(late.sum())} of {len(dl)} late",
                          xaxis={"title": "order", "type": "category"}, yaxis_title="time (h from the start)")
        rep.figure(fig)
        rep.table(dl, max_rows=MAX_ORDER_ROWS)
    else:
        rep.paragraph("No order is delivered.")
    return rep.write(out_dir / "report.html")
