"""Constructive heuristic and large-neighbourhood search for the offload model.

``construct``: orders in order of urgency (earliest latest-start first) go to the
cheapest site, at the earliest start where a station and a product-type slot are free
for the whole processing time and where the site's parts stay feasible. Parts are
simulated per site with the replenishment policy of the mode: the (s,S) rule in
``sS`` mode; just-in-time purchases within the purchase limit in ``free`` mode. A
shortage is repaired by a transshipment from a sister site that can spare the parts
(its own simulation stays feasible). The result is a feasible plan or ``None``.

``improve``: fix-and-optimise. Repeatedly frees a neighbourhood of orders (a time
window, a pair of sites, or a random set), fixes every other order's site and start,
and re-solves the MILP of :mod:`plantwise.offload.model` over the free orders and all
purchases, stock, transshipments and lane flags, warm-started from the incumbent. A
neighbourhood's solution is never worse than the incumbent, so the cost only falls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from plantwise.core.backends import get_backend
from plantwise.core.interrupt import stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.model import Candidates, build_model, candidates
from plantwise.offload.plan import OffloadPlan


@dataclass
class _SiteParts:
    """Parts trajectories of one site under the heuristic's purchase policy."""

    buy: np.ndarray  # [N, T]
    stock: np.ndarray  # [N, T]
    feasible: bool


class PartsSimulator:
    """Simulates every site's parts stock under the mode's purchase policy.

    ``sS``: before period t, if stock < s buy S - stock (must be <= purchase limit).
    ``free``: buy just what period t needs, up to the purchase limit.
    A site is feasible when 0 <= stock <= storage capacity in every period and
    departures never exceed the stock at the start of the period plus purchases.
    """

    def __init__(self, inst: OffloadInstance, mode: str):
        self.inst, self.mode = inst, mode
        J, N, T = inst.num_sites, inst.num_parts, inst.horizon
        self.consumption = np.zeros((J, N, T), dtype=np.int64)
        self.inflow = np.zeros((J, N, T), dtype=np.int64)
        self.outflow = np.zeros((J, N, T), dtype=np.int64)
        self.limit = inst.purchase_limit_by_period()  # [J, N, T]
        self.adjustment = inst.adjustment_by_period()  # [J, N, T]

    def simulate(self, j: int, consumption: np.ndarray, inflow: np.ndarray, outflow: np.ndarray) -> _SiteParts:
        inst = self.inst
        b = inst.initial_stock[j].astype(np.int64).copy()
        s, S = inst.reorder_point[j], inst.order_up_to[j]
        limits, adjust, cap = self.limit[j], self.adjustment[j], inst.storage_capacity[j]
        N, T = consumption.shape
        buy = np.zeros((N, T), dtype=np.int64)
        stock = np.zeros((N, T), dtype=np.int64)
        ok = True
        for t in range(T):
            limit = limits[:, t]
            if self.mode == "sS":
                purchase = np.where(b < s, S - b, 0)
                ok &= bool((purchase <= limit).all())
            else:
                need = consumption[:, t] + outflow[:, t] - b - inflow[:, t] - np.minimum(adjust[:, t], 0)
                purchase = np.clip(need, 0, limit)
            pre = b + purchase
            ok &= bool((outflow[:, t] <= pre).all())
            b = pre + inflow[:, t] - outflow[:, t] - consumption[:, t] + adjust[:, t]
            buy[:, t], stock[:, t] = purchase, b
        ok &= bool((stock >= 0).all() and (stock <= cap[:, None]).all())
        return _SiteParts(buy, stock, ok)

    def site(self, j: int) -> _SiteParts:
        return self.simulate(j, self.consumption[j], self.inflow[j], self.outflow[j])


def construct(
    inst: OffloadInstance,
    mode: str | None = None,
    site_mask: np.ndarray | None = None,
    guide: tuple[Candidates, np.ndarray] | None = None,
) -> OffloadPlan | None:
    """A feasible plan by parts-aware list scheduling (see the module docstring), or None.

    ``guide = (candidates, weights)``, e.g. the LP relaxation's values of the start
    variables: each order first tries its guided (site, start) pairs by decreasing weight,
    then falls back to the cheapest site and earliest start."""
    mode = mode or inst.replenishment
    J, V, T, I = inst.num_sites, len(inst.product_types), inst.horizon, inst.num_orders
    last = inst.last_start()
    allowed = last >= 1
    if site_mask is not None:
        allowed &= site_mask
    urgency = np.where(allowed, last, T + 1).min(axis=1)
    sequence = np.lexsort((inst.due, urgency))
    cost = np.where(allowed, inst.processing_cost + inst.shipping_cost, np.inf)
    busy = np.zeros((J, T), dtype=np.int64)
    stations = inst.stations_by_period()  # [J, T]
    lane_open = inst.lane_open_by_period()  # [J, J, T]
    type_busy = np.zeros((J, V, T), dtype=np.int64)
    sim = PartsSimulator(inst, mode)
    site_of = np.full(I, -1)
    start_of = np.zeros(I, dtype=np.int64)
    shipments: list[tuple[int, int, int, int, int]] = []  # from, to, part, period, qty

    def free_starts(i: int, j: int) -> np.ndarray:
        pt, v = int(inst.processing_time[i, j]), inst.order_type[i]
        full = (busy[j] >= stations[j]) | (type_busy[j, v] >= inst.type_capacity[j, v])
        blocked = sliding_window_view(full, pt).any(axis=1)[: last[i, j]]
        return np.flatnonzero(~blocked) + 1

    def place(i: int, j: int, s: int) -> None:
        pt, v = int(inst.processing_time[i, j]), inst.order_type[i]
        busy[j, s - 1 : s - 1 + pt] += 1
        type_busy[j, v, s - 1 : s - 1 + pt] += 1
        sim.consumption[j, :, s - 1] += inst.parts_required[i]
        site_of[i], start_of[i] = j, s

    def try_repair(i: int, j: int, s: int) -> list[tuple[int, int, int, int, int]] | None:
        """Add transshipments into j until its parts are feasible with order i at s; returns
        the shipments added (from, to, part, departure, quantity), or None (nothing added)."""
        cons = sim.consumption[j].copy()
        cons[:, s - 1] += inst.parts_required[i]
        added: list[tuple[int, int, int, int, int]] = []
        for _ in range(4 * inst.num_parts):
            state = sim.simulate(j, cons, sim.inflow[j], sim.outflow[j])
            if state.feasible:
                return added
            negative = state.stock < 0
            if not negative.any():
                break  # infeasible for a reason a shipment cannot fix
            n, t = np.argwhere(negative)[np.argmin(np.argwhere(negative)[:, 1])]
            qty = int(-state.stock[n, t])
            done = False
            for k in np.argsort(inst.lane_fixed_cost[:, j]):
                if not inst.lane[k, j]:
                    continue
                depart = t + 1 - int(inst.transshipment_time[k, j])
                if depart < 1 or not lane_open[k, j, depart - 1]:
                    continue
                out = sim.outflow[k].copy()
                out[n, depart - 1] += qty
                if not sim.simulate(k, sim.consumption[k], sim.inflow[k], out).feasible:
                    continue
                sim.outflow[k, n, depart - 1] += qty
                sim.inflow[j, n, t] += qty
                added.append((int(k), j, int(n), depart, qty))
                done = True
                break
            if not done:
                break
        for k, jj, n, depart, qty in added:  # undo
            sim.outflow[k, n, depart - 1] -= qty
            sim.inflow[jj, n, depart - 1 + int(inst.transshipment_time[k, jj])] -= qty
        return None

    def fits(i: int, j: int, s: int) -> bool:
        """Place order i at (j, s) if the site's parts stay feasible as they are."""
        cons = sim.consumption[j].copy()
        cons[:, s - 1] += inst.parts_required[i]
        if not sim.simulate(j, cons, sim.inflow[j], sim.outflow[j]).feasible:
            return False
        place(i, j, s)
        return True

    def repaired(i: int, j: int, s: int) -> bool:
        """Place order i at (j, s) if transshipments into j can make its parts feasible."""
        added = try_repair(i, j, s)
        if added is None:
            return False
        shipments.extend(added)
        place(i, j, s)
        return True

    guided: dict[int, list[tuple[int, int]]] = {}
    if guide is not None:
        gc, weight = guide
        top = np.flatnonzero(weight > 0.05)
        top = top[np.lexsort((-weight[top], gc.order[top]))]
        for k in top:
            guided.setdefault(int(gc.order[k]), []).append((int(gc.site[k]), int(gc.start[k])))

    for i in sequence:
        placed = False
        sites = [j for j in np.argsort(cost[i], kind="stable") if np.isfinite(cost[i, j])]
        station_ok: list[tuple[int, int]] = []
        for j, s in guided.get(int(i), []):
            if not (allowed[i, j] and s <= last[i, j] and s in free_starts(i, j)):
                continue
            if fits(i, j, s) or repaired(i, j, s):
                placed = True
                break
        for j in [] if placed else sites:
            for s in free_starts(i, j)[:8]:
                station_ok.append((j, int(s)))
                if fits(i, j, int(s)):
                    placed = True
                    break
            if placed:
                break
        if not placed:
            placed = any(repaired(i, j, s) for j, s in station_ok)
        if not placed:
            return None

    # assemble the plan
    sites = np.array(inst.sites, dtype=object)
    parts = np.array(inst.parts, dtype=object)
    rows_buy, rows_ship = [], []
    for j in range(J):
        state = sim.site(j)
        if not state.feasible:
            return None
        for n, t in np.argwhere(state.buy > 0):
            rows_buy.append((sites[j], parts[n], t + 1, int(state.buy[n, t])))
    for (k, j, n, depart), group in pd.DataFrame(shipments, columns=["k", "j", "n", "t", "q"]).groupby(
        ["k", "j", "n", "t"]
    ):
        arrive = int(depart) + int(inst.transshipment_time[k, j])
        rows_ship.append((sites[k], sites[j], parts[n], int(depart), arrive, int(group["q"].sum())))
    order_ids = np.array(inst.orders, dtype=object)
    return OffloadPlan(
        pd.DataFrame({"order": order_ids, "site": sites[site_of], "start": start_of}),
        pd.DataFrame(rows_buy, columns=["site", "part", "period", "quantity"]),
        pd.DataFrame(rows_ship, columns=["from_site", "to_site", "part", "period", "arrival_period", "quantity"]),
    )


def _assignment_index(inst: OffloadInstance, cand: Candidates, plan: OffloadPlan) -> np.ndarray:
    """Position in ``cand`` of each order's (site, start) in ``plan`` (order-indexed)."""
    oidx = {o: k for k, o in enumerate(inst.orders)}
    sidx = {s: k for k, s in enumerate(inst.sites)}
    a = plan.assignments
    key = pd.MultiIndex.from_arrays([cand.order, cand.site, cand.start])
    pos = key.get_indexer(pd.MultiIndex.from_arrays(
        [a["order"].map(oidx).to_numpy(), a["site"].map(sidx).to_numpy(), a["start"].astype(int).to_numpy()]))
    out = np.empty(inst.num_orders, dtype=np.int64)
    out[a["order"].map(oidx).to_numpy()] = pos
    return out


@dataclass
class LnsStats:
    iterations: int = 0
    improvements: int = 0
    seconds: float = 0.0
    history: list[tuple[float, float]] | None = None


def improve(
    inst: OffloadInstance,
    plan: OffloadPlan,
    objective: float,
    options: SolveOptions,
    mode: str | None = None,
    site_mask: np.ndarray | None = None,
    neighbourhood_size: int = 20,
) -> tuple[OffloadPlan, float, LnsStats]:
    """Fix-and-optimise from ``plan`` until ``options.time_limit`` (see module docstring)."""
    mode = mode or inst.replenishment
    t0 = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    full = candidates(inst, site_mask)
    current = _assignment_index(inst, full, plan)
    backend = get_backend("highs")
    stats = LnsStats(history=[(0.0, objective)])
    size = min(neighbourhood_size, inst.num_orders)
    T, J = inst.horizon, inst.num_sites
    # in sS mode only time windows: the (s,S) flags outside the window stay as they are,
    # which keeps the sub-MILP small (freeing every flag makes it as hard as the whole)
    kinds = ("window",) if mode == "sS" else ("window", "sites", "random")
    half_width = 6
    while True:
        remaining = options.remaining(time.perf_counter() - t0)
        if (remaining is not None and remaining < 0.5) or stop_requested():
            break
        kind = kinds[stats.iterations % len(kinds)]
        starts = full.start[current]
        sites = full.site[current]
        centre = int(rng.integers(1, T + 1))
        pair = rng.choice(J, size=min(2, J), replace=False)
        if kind == "window":
            order = np.argsort(np.abs(starts - centre) + rng.random(inst.num_orders))
            free = order[:size]
            if mode == "sS":
                free = free[np.abs(starts[free] - centre) <= half_width]
        elif kind == "sites" and J > 1:
            pool = np.flatnonzero(np.isin(sites, pair))
            free = rng.choice(pool, size=min(size, pool.size), replace=False) if pool.size else pool
        else:
            free = rng.choice(inst.num_orders, size=size, replace=False)
        is_free = np.zeros(inst.num_orders, dtype=bool)
        is_free[free] = True
        keep = is_free[full.order]
        keep[current] = True
        sub = Candidates(full.order[keep], full.site[keep], full.start[keep])
        if mode == "sS":
            window = (np.abs(sub.start - centre) <= half_width) | ~is_free[sub.order]
            sub = Candidates(sub.order[window], sub.site[window], sub.start[window])
        model = build_model(inst, mode, cand=sub)
        warm = model.vector_from_plan(plan)
        # lane flags: free in the time window (window), on the lanes between the two sites
        # (sites); elsewhere no lane-period may open (open ones may close), and parts flows
        # stay free on every open lane-period
        if kind == "window":
            fixed_z = np.abs(model.z_period - centre) > half_width + 4
        elif kind == "sites" and J > 1:
            fixed_z = ~(np.isin(model.lane_from[model.z_lane], pair) & np.isin(model.lane_to[model.z_lane], pair))
        else:
            fixed_z = np.ones(model.z.size, dtype=bool)
        closed = fixed_z & (warm[model.z] < 0.5)  # no new lane-periods there; open ones may close
        model.lm.set_bounds(model.z[closed], 0.0, 0.0)
        if model.r is not None:
            periods = np.arange(1, T + 1)
            outside = np.abs(periods - centre) > half_width + 2
            cols = model.r[:, :, outside].ravel()
            model.lm.fix(cols, warm[cols])
        limit = min(3.0, remaining) if remaining is not None else 3.0
        res = backend.solve(model.lm, options.with_(time_limit=limit, progress=None, mip_gap=1e-6), start=warm)
        stats.iterations += 1
        if res.status.has_solution and res.objective is not None and res.objective < objective - 1e-6:
            plan = model.plan_from_vector(res.x)
            objective = model.lm.objective_value(model.vector_from_plan(plan))
            current = _assignment_index(inst, full, plan)
            stats.improvements += 1
            stats.history.append((time.perf_counter() - t0, objective))
            if options.progress is not None:
                from plantwise.core.result import Progress

                options.progress(Progress(time.perf_counter() - t0, objective, None, "lns"))
        # adapt the neighbourhood: grow after a proven-optimal sub-problem, shrink after a time-out
        if res.status == SolveStatus.OPTIMAL:
            size = min(inst.num_orders, int(size * 1.2) + 1)
        else:
            size = max(10, int(size * 0.7))
    stats.seconds = time.perf_counter() - t0
    return plan, objective, stats
