"""Lower bounds for large plants (steps 1 of :mod:`plantwise.schedule.large`).

* :func:`capacity_free_bound`: machine capacity and shelf life relaxed, each good alone chooses
  how many jobs to make and when, by a dynamic programme over periods (see the docstring of
  :mod:`plantwise.schedule.large` for the formula); also each job's ideal completion period.
* :func:`lagrangian_bound`: stage capacity put back by Lagrangian relaxation of the
  capacity-free bound.
* :func:`earliest_completion`: the first period a job can finish alone on empty machines
  within the calendar (also used by the infeasibility diagnosis).
"""

from __future__ import annotations

import bisect

import numpy as np

from plantwise.schedule.shop import Shop


def earliest_completion(shop: Shop) -> np.ndarray:
    """Earliest finish of each job alone on empty machines (fastest alternative, calendar kept)."""
    windows = shop.working_windows()
    routes = shop.job_ops()
    alts = shop.op_alts()
    out = np.zeros(shop.num_jobs, dtype=np.int64)
    for k, route in enumerate(routes):
        t = int(shop.job_release[k])
        for o in route:
            d = int(min(shop.alt_duration[a] for a in alts[o]))
            t = fit_in_window(windows, [], [], t, d) + d
        out[k] = t
    return out


def fit_in_window(windows: np.ndarray, starts: list[int], ends: list[int], ready: int, d: int) -> int:
    """Earliest ``t >= ready`` with ``[t, t + d)`` inside one working window and clear of the
    busy intervals ``starts/ends`` (sorted, disjoint). Returns a time past the horizon if none."""
    t = ready
    horizon = int(windows[-1, 1]) if len(windows) else t + d
    while True:
        w = int(np.searchsorted(windows[:, 1], t, side="right"))
        if w >= len(windows):
            return horizon + 1
        t = max(t, int(windows[w, 0]))
        if t + d > windows[w, 1]:
            if w + 1 >= len(windows):
                return horizon + 1
            t = int(windows[w + 1, 0])
            continue
        i = bisect.bisect_right(ends, t)
        if i < len(starts) and starts[i] < t + d:
            t = ends[i]
            continue
        return t


def capacity_free_bound(shop: Shop) -> tuple[float, np.ndarray, np.ndarray]:
    """The bound of step 1, each job's ideal completion period (-1: not made) and each good's bound."""
    dp = _PeriodDP(shop)
    value, path = dp.solve(np.zeros((len(dp.stages), dp.P)))
    return float(value.sum()), dp.ideal(path), value


class _PeriodDP:
    """Per good, the cheapest path of ``m_p`` (jobs done by period ``p``, non-decreasing,
    0 before the good's earliest period, at most its candidate jobs) under period costs
    ``cost_gp(m) + m sum_s lambda_sp w_gs``, plus ``m_P c_g``: vectorised over goods."""

    def __init__(self, shop: Shop) -> None:
        inv = shop.inventory
        assert inv is not None
        self.shop = shop
        G, P = inv.demand.shape
        self.G, self.P = G, P
        alts = shop.op_alts()
        routes = shop.job_ops()
        self.stages = sorted(set(shop.machine_stage))
        stage_index = {st: i for i, st in enumerate(self.stages)}
        self.count = np.bincount(shop.job_good, minlength=G)
        M = int(self.count.max()) + 1 if G else 1
        quantity = np.full(G, np.nan)
        self.job_cost = np.full(G, np.inf)
        self.work = np.zeros((G, len(self.stages)))
        first_period = np.searchsorted(inv.period_end, earliest_completion(shop), side="left")
        self.earliest = np.full(G, P, dtype=np.int64)
        for k, route in enumerate(routes):
            g = int(shop.job_good[k])
            if not np.isnan(quantity[g]) and not np.isclose(quantity[g], shop.job_quantity[k]):
                raise ValueError("the capacity-free bound needs one batch size per good")
            quantity[g] = shop.job_quantity[k]
            cost = shop.job_fixed_cost[k] + sum(float(shop.alt_cost[alts[o]].min()) for o in route)
            self.job_cost[g] = min(self.job_cost[g], cost)
            self.earliest[g] = min(self.earliest[g], first_period[k])
            for o in route:
                self.work[g, stage_index[shop.op_stage[o]]] = float(shop.alt_duration[alts[o]].min())
        self.job_cost = np.where(np.isfinite(self.job_cost), self.job_cost, 0.0)
        quantity = np.nan_to_num(quantity)
        self.m = np.arange(M)
        cum = np.cumsum(inv.demand, axis=1)
        net = inv.initial[None, :, None] + self.m[None, None, :] * quantity[None, :, None] - cum.T[:, :, None]
        stock = np.maximum(net, 0)
        self.base = (inv.holding_cost[None, :, None] * stock + inv.stockout_cost[None, :, None] * np.maximum(-net, 0)
                     + inv.safety_cost[None, :, None] * np.maximum(inv.reorder_point[None, :, None] - stock, 0))
        self.forbidden = self.m[None, :] > self.count[:, None]
        self.early = np.arange(P)[:, None] < self.earliest[None, :]

    def solve(self, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each good's optimal value and path ``m[g, p]`` under multipliers ``lam[s, p]``."""
        G, P, m = self.G, self.P, self.m
        price = lam.T @ self.work.T  # [P, G]: priced stage time of one job done by p
        f_prev = np.zeros((G, len(m)))
        args = np.zeros((P, G, len(m)), dtype=np.int64)
        for p in range(P):
            if p == 0:  # before the first period no job is done: any m_0 >= 0 is reachable at no cost
                best, arg = np.zeros((G, len(m))), np.zeros((G, len(m)), dtype=np.int64)
            else:
                best = np.minimum.accumulate(f_prev, axis=1)
                arg = np.maximum.accumulate(np.where(f_prev <= best, m[None, :], 0), axis=1)
            f = self.base[p] + price[p][:, None] * m[None, :] + best
            f_prev = np.where(self.forbidden | (self.early[p][:, None] & (m[None, :] > 0)), np.inf, f)
            args[p] = arg
        final = f_prev + self.job_cost[:, None] * m[None, :]
        end = np.argmin(final, axis=1)
        value = final[np.arange(G), end]
        path = np.zeros((G, P), dtype=np.int64)
        path[:, P - 1] = end
        for p in range(P - 1, 0, -1):
            path[:, p - 1] = args[p][np.arange(G), path[:, p]]
        return value, path

    def ideal(self, path: np.ndarray) -> np.ndarray:
        """Ideal completion period of each job (-1 when the path does not make it)."""
        ideal = np.full(self.shop.num_jobs, -1, dtype=np.int64)
        for g in range(self.G):
            jobs = np.flatnonzero(self.shop.job_good == g)
            for j, k in enumerate(jobs[: int(path[g, -1])]):
                ideal[k] = int(np.argmax(path[g] >= j + 1))
        return ideal


def lagrangian_bound(shop: Shop, upper: float, iterations: int = 300) -> tuple[float, np.ndarray]:
    """The capacity-free bound with stage capacity put back by Lagrangian relaxation.

    A job of good ``g`` done by the end ``E_p`` of period ``p`` has used at least ``w_gs``
    minutes (its fastest eligible machine) of stage ``s`` before ``E_p``, and stage ``s``
    has ``N_s`` machines, so ``sum_g w_gs m_gp <= N_s W(E_p)`` with ``W`` the working
    minutes up to ``E_p``. Pricing these with ``lambda_sp >= 0`` leaves one dynamic
    programme per good (each period's cost gains ``m sum_s lambda_sp w_gs``):

        L(lambda) = sum_g LB_g(lambda) - sum_{s,p} lambda_sp N_s W(E_p)  <=  optimum,

    maximised by projected subgradient steps (Polyak step towards ``upper``). Returns the
    best ``L`` found (at least the capacity-free bound, ``lambda = 0``) and the ideal
    completion period of each job at the best multipliers."""
    dp = _PeriodDP(shop)
    inv = shop.inventory
    assert inv is not None
    windows = shop.working_windows()
    worked = np.array([np.clip(np.minimum(windows[:, 1], e) - windows[:, 0], 0, None).sum()
                       for e in inv.period_end], dtype=float)
    machines_per_stage = np.array([shop.machine_stage.count(st) for st in dp.stages])
    capacity = machines_per_stage[:, None] * worked[None, :]  # [S, P]
    solve_dp, work, P = dp.solve, dp.work, dp.P
    lam = np.zeros((len(dp.stages), P))
    best_value, best_path = -np.inf, None
    theta, stall = 1.0, 0
    for _ in range(iterations):
        value, path = solve_dp(lam)
        total = float(value.sum() - (lam * capacity).sum())
        if total > best_value + 1e-9:
            best_value, best_path, stall = total, path, 0
        else:
            stall += 1
            if stall >= 10:
                theta, stall = theta / 2, 0
        used = work.T @ path  # [S, P]
        sub = used - capacity
        norm = float((sub ** 2).sum())
        if (sub <= 0).all() and abs(float((lam * sub).sum())) <= 1e-9:
            break  # feasible for the priced rows and complementary: these multipliers are optimal
        if norm == 0 or theta < 1e-4 or upper - total <= 1e-9 * max(1.0, abs(upper)):
            break
        lam = np.maximum(0.0, lam + theta * (upper - total) / norm * sub)
    assert best_path is not None
    return best_value, dp.ideal(best_path)
