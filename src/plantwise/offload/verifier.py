"""Independent verification of an offload plan from the instance and the plan alone.

Nothing here reads the solver model: every constraint family is recomputed from the
input tables and the plan's decisions (assignments, purchases, transshipments), and so
is the cost. Families named in violations:

``assignment``  every order exactly once, at a known site where it may be made
``due date``    start >= 1 and start + PT + ST - 1 <= due period
``station``     orders in process at a site <= its working stations (less site_downtime), every period
``capacity``    in-process orders of a product type <= C_jv, every period
``parts balance`` stock = previous + purchases + arrivals - departures - consumption
                (+ stock_adjustments) >= 0
``storage``     stock <= storage capacity
``purchase``    purchases are non-negative integers within the purchase limit (of the period)
``replenishment`` (sS mode) buy S - stock exactly when the previous stock is below s
``lane``        shipments use an existing lane between different sites, arrive after its
                transshipment time within the horizon, leave from stock on hand, and
                do not depart in a closed lane-period (lane_closures)
``cost``        the plan's reported objective equals the recomputed cost
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantwise.core.summary import lookup
from plantwise.core.verification import COST_TOLERANCE, Violation  # noqa: F401  (re-exported)
from plantwise.core.verification import Verification as BaseVerification
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.plan import OffloadPlan


@dataclass
class Verification(BaseVerification):
    """The shared verification result plus the recomputed parts stock and lane-periods."""

    stock: np.ndarray | None = None  # [J, N, T] recomputed end-of-period stock
    lane_periods: int = 0


def _numeric(frame: pd.DataFrame, columns: list[str], file: str, out: Verification) -> pd.DataFrame | None:
    frame = frame.copy()
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | ~np.isclose(values.fillna(0), np.round(values.fillna(0)))
        for idx in np.flatnonzero(bad.to_numpy())[:20]:
            out.add("format", f"{file} row {idx + 2} column '{col}': '{frame[col].iloc[idx]}' is not an integer")
        if bad.any():
            return None
        frame[col] = np.round(values).astype(np.int64)
    return frame


def _first(items: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(v) for v in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def verify(
    inst: OffloadInstance,
    plan: OffloadPlan,
    mode: str | None = None,
    objective: float | None = None,
) -> Verification:
    """Check every constraint and recompute the cost; ``objective`` (if given, else the
    plan summary's) must match the recomputed cost."""
    mode = mode or str(lookup(plan.summary, "replenishment", None) or inst.replenishment)
    out = Verification()
    J, N, T, I = inst.num_sites, inst.num_parts, inst.horizon, inst.num_orders
    V = len(inst.product_types)
    sidx = {s: k for k, s in enumerate(inst.sites)}
    pidx = {p: k for k, p in enumerate(inst.parts)}
    oidx = {o: k for k, o in enumerate(inst.orders)}

    a = _numeric(plan.assignments, ["start"], "assignments.csv", out)
    p = _numeric(plan.purchases, ["period", "quantity"], "purchases.csv", out)
    s = _numeric(plan.shipments, ["period", "arrival_period", "quantity"], "transshipments.csv", out)
    if a is None or p is None or s is None:
        return out

    # ---------------------------------------------------------------- assignment
    order = a["order"].map(oidx)
    site = a["site"].map(sidx)
    unknown = order.isna() | site.isna()
    for idx in np.flatnonzero(unknown.to_numpy())[:20]:
        out.add("assignment", f"assignments.csv row {idx + 2}: unknown order or site "
                              f"('{a['order'].iloc[idx]}', '{a['site'].iloc[idx]}')")
    a = a[~unknown.to_numpy()]
    i_arr = order[~unknown].to_numpy(np.int64)
    j_arr = site[~unknown].to_numpy(np.int64)
    start = a["start"].to_numpy(np.int64)
    counts = np.bincount(i_arr, minlength=I)
    names = np.array(inst.orders, dtype=object)
    if (counts == 0).any():
        out.add("assignment", f"orders not assigned: {_first(names[counts == 0])}")
    if (counts > 1).any():
        out.add("assignment", f"orders assigned more than once: {_first(names[counts > 1])}")
    inel = ~inst.eligible[i_arr, j_arr]
    if inel.any():
        out.add("assignment", f"orders at a site where they cannot be made: {_first(names[i_arr[inel]])}")
    pt = inst.processing_time[i_arr, j_arr]
    st = inst.shipping_time[i_arr, j_arr]

    # ---------------------------------------------------------------- due date / horizon
    completion = start + pt + st - 1
    late = (start < 1) | (completion > inst.due[i_arr]) | (start + pt - 1 > T)
    if late.any():
        out.add("due date", "orders that start before period 1, finish processing after T or "
                            f"complete after their due period: {_first(names[i_arr[late]])}")
    valid = ~late

    # ---------------------------------------------------------------- stations and capacity
    occupancy = np.zeros((J, T + 1), dtype=np.int64)
    type_occ = np.zeros((J, V, T + 1), dtype=np.int64)
    sv, jv, ptv, iv = start[valid], j_arr[valid], pt[valid], i_arr[valid]
    np.add.at(occupancy, (jv, sv - 1), 1)
    np.add.at(occupancy, (jv, sv - 1 + ptv), -1)
    np.add.at(type_occ, (jv, inst.order_type[iv], sv - 1), 1)
    np.add.at(type_occ, (jv, inst.order_type[iv], sv - 1 + ptv), -1)
    occupancy = np.cumsum(occupancy, axis=1)[:, :T]
    type_occ = np.cumsum(type_occ, axis=2)[:, :, :T]
    stations = inst.stations_by_period()
    for j, t in np.argwhere(occupancy > stations)[:20]:
        out.add("station", f"site {inst.sites[j]} period {t + 1}: {occupancy[j, t]} orders in process, "
                           f"{stations[j, t]} stations" + (" working" if stations[j, t] < inst.stations[j] else ""))
    for j, v, t in np.argwhere(type_occ > inst.type_capacity[:, :, None])[:20]:
        out.add("capacity", f"site {inst.sites[j]} type {inst.product_types[v]} period {t + 1}: "
                            f"{type_occ[j, v, t]} in process, capacity {inst.type_capacity[j, v]}")

    # ---------------------------------------------------------------- purchases
    buy = np.zeros((J, N, T), dtype=np.int64)
    pj, pn = p["site"].map(sidx), p["part"].map(pidx)
    pbad = pj.isna() | pn.isna() | (p["period"] < 1) | (p["period"] > T)
    for idx in np.flatnonzero(pbad.to_numpy())[:20]:
        out.add("purchase", f"purchases.csv row {idx + 2}: unknown site/part or period outside 1..{T}")
    ok = ~pbad.to_numpy()
    if (p["quantity"] < 0).any():
        out.add("purchase", "negative purchase quantities")
    np.add.at(buy, (pj[ok].to_numpy(np.int64), pn[ok].to_numpy(np.int64), p["period"][ok].to_numpy() - 1),
              p["quantity"][ok].to_numpy())
    limit = inst.purchase_limit_by_period()
    for j, n, t in np.argwhere(buy > limit)[:20]:
        out.add("purchase", f"site {inst.sites[j]} part {inst.parts[n]} period {t + 1}: bought {buy[j, n, t]}, "
                            f"limit {limit[j, n, t]}")

    # ---------------------------------------------------------------- shipments
    inflow = np.zeros((J, N, T), dtype=np.int64)
    outflow = np.zeros((J, N, T), dtype=np.int64)
    fj, tj, sn = s["from_site"].map(sidx), s["to_site"].map(sidx), s["part"].map(pidx)
    sbad = fj.isna() | tj.isna() | sn.isna()
    for idx in np.flatnonzero(sbad.to_numpy())[:20]:
        out.add("lane", f"transshipments.csv row {idx + 2}: unknown site or part")
    s = s[~sbad.to_numpy()]
    fj, tj, sn = (x[~sbad].to_numpy(np.int64) for x in (fj, tj, sn))
    depart, arrive, qty = (s[c].to_numpy(np.int64) for c in ("period", "arrival_period", "quantity"))
    self_lane = fj == tj
    no_lane = ~inst.lane[fj, tj] & ~self_lane
    wrong_time = arrive != depart + inst.transshipment_time[fj, tj]
    outside = (depart < 1) | (arrive > T)
    negative = qty < 0
    closed = ~outside & ~no_lane & ~self_lane & (qty > 0)
    closed[closed] = ~inst.lane_open_by_period()[fj[closed], tj[closed], depart[closed] - 1]
    for mask, what in ((self_lane, "ships from a site to itself"), (no_lane, "uses no lane of lanes.csv"),
                       (closed, "departs in a period in which its lane is closed (lane_closures.csv)"),
                       (wrong_time, "arrival period is not departure + transshipment time"),
                       (outside, "departs before period 1 or arrives after the horizon"),
                       (negative, "negative quantity")):
        for idx in np.flatnonzero(mask)[:10]:
            out.add("lane", f"transshipments.csv row {idx + 2}: {what}")
    good = ~(self_lane | no_lane | wrong_time | outside | negative | closed)
    np.add.at(outflow, (fj[good], sn[good], depart[good] - 1), qty[good])
    np.add.at(inflow, (tj[good], sn[good], arrive[good] - 1), qty[good])
    used = pd.unique(pd.Series(list(zip(fj[good & (qty > 0)], tj[good & (qty > 0)], depart[good & (qty > 0)],
                                        strict=True)), dtype=object))
    out.lane_periods = len(used)

    # ---------------------------------------------------------------- parts balance, storage, forward
    consumption = np.zeros((J, N, T), dtype=np.int64)
    np.add.at(consumption, (jv, slice(None), sv - 1), inst.parts_required[iv])
    stock = inst.initial_stock[:, :, None] + np.cumsum(buy + inflow - outflow - consumption
                                                       + inst.adjustment_by_period(), axis=2)
    out.stock = stock
    for j, n, t in np.argwhere(stock < 0)[:20]:
        out.add("parts balance", f"site {inst.sites[j]} part {inst.parts[n]} period {t + 1}: stock {stock[j, n, t]}")
    for j, n, t in np.argwhere(stock > inst.storage_capacity[:, :, None])[:20]:
        out.add("storage", f"site {inst.sites[j]} part {inst.parts[n]} period {t + 1}: stock {stock[j, n, t]} "
                           f"> capacity {inst.storage_capacity[j, n]}")
    previous = np.concatenate([inst.initial_stock[:, :, None], stock[:, :, :-1]], axis=2)
    for j, n, t in np.argwhere((outflow > 0) & (outflow > previous + buy))[:20]:
        out.add("lane", f"site {inst.sites[j]} part {inst.parts[n]} period {t + 1}: ships {outflow[j, n, t]} "
                        f"but holds only {previous[j, n, t] + buy[j, n, t]} before arrivals")

    # ---------------------------------------------------------------- (s,S) rule
    if mode == "sS":
        below = previous < inst.reorder_point[:, :, None]
        expected = np.where(below, inst.order_up_to[:, :, None] - previous, 0)
        for j, n, t in np.argwhere(buy != expected)[:20]:
            levels = f"s = {inst.reorder_point[j, n]}, S = {inst.order_up_to[j, n]}"
            out.add("replenishment", f"site {inst.sites[j]} part {inst.parts[n]} period {t + 1}: stock before "
                                     f"{previous[j, n, t]} ({levels}) requires buying {expected[j, n, t]}, "
                                     f"plan buys {buy[j, n, t]}")

    # ---------------------------------------------------------------- cost
    lane_cost = 0.0
    for f, t_, _ in used:
        lane_cost += float(inst.lane_fixed_cost[f, t_])
    out.cost_breakdown = {
        "processing": float(inst.processing_cost[i_arr, j_arr].sum()),
        "shipping": float(inst.shipping_cost[i_arr, j_arr].sum()),
        "purchase": float((buy.sum(axis=2) * inst.unit_cost[None, :]).sum()),
        "holding": float((np.maximum(stock, 0).sum(axis=2) * inst.holding_cost[None, :]).sum()),
        "transshipment_fixed": lane_cost,
    }
    claimed = objective if objective is not None else plan.summary.get("objective")
    if claimed is not None:
        claimed = float(claimed)  # type: ignore[arg-type]
        if abs(claimed - out.total_cost) > COST_TOLERANCE * max(1.0, abs(out.total_cost)):
            out.add("cost", f"reported objective {claimed:,.2f} differs from recomputed cost {out.total_cost:,.2f}")
    return out
