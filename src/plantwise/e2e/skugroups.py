r"""SKU-group decomposition: a proven bound and a plan for instances too large for one MILP.

SKUs interact only through the line hours (:math:`L \times T` rows of the integrated model;
every other row - balances, targets, lots, shipments, transfers - belongs to one SKU). With
the SKUs split into groups :math:`g` (:func:`partition_skus`, about ``GROUP_SKUS`` each,
balanced by demand) the model is

.. math::

    \min \sum_g c_g x_g \quad \text{s.t.} \quad \sum_g A_g x_g \le H, \qquad x_g \in X_g,

with :math:`A_g x_g` the hours group :math:`g` takes on each line-day and :math:`X_g` its own
rows (including :math:`A_g x_g \le H`, implied by the coupling rows).

**Bound (Lagrangian relaxation of the line hours, LP pricing).** For prices
:math:`\lambda \ge 0` on the line-days,

.. math::

    L(\lambda) = \sum_g \min_{x_g \in \bar X_g} (c_g + \lambda A_g) x_g \; - \; \lambda H

is a lower bound of the MILP for *any* :math:`\lambda \ge 0` (:math:`\bar X_g` the LP
relaxation of :math:`X_g`). The first prices are the groups' hour duals, averaged, when
each group's LP runs on its demand share of the hours; later ones come from projected
subgradient steps (:func:`price_loop`). Each group's LP stays in one HiGHS object and is
re-solved warm: only the costs of its production and lot columns change. The bound is the
best :math:`L(\lambda)`, near the integrated LP relaxation's value, reached without ever
building that LP (826,000 columns at 1,500 SKUs, where HiGHS's LP alone does not finish in
minutes on two cores).

**Plan.** The groups are solved one after another by the exact method
(:func:`plantwise.e2e.exact.solve_exact`: LP, LP dive, MILP) on the instance restricted to
their SKUs, with the hours the earlier groups left less the hours the later groups' LPs
take at the best prices, every hour charged its price (the last group pays none). Then
block-coordinate descent: each group again, the largest own gap first, on all the hours
the others leave and at its true cost, its plan replaced only when cheaper. The union of
the group plans is a plan of the whole instance (every coupling row holds by
construction) and its cost is the sum of the groups' costs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from plantwise.core.backends.highs import HighsBackend, use_threads
from plantwise.core.interrupt import stop_requested
from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress, SolveResult, SolveStatus
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.exact import solve_exact
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.model import E2EModel, build_model

GROUP_SKUS = 400  # SKUs per group (measured at 1,500 SKUs, 600 s: 188 a group 2.48 %, 375 a group 2.24 %)
DECOMPOSE_COLUMNS = 300_000  # the exact method decomposes a lean model larger than this
PRICE_SHARE = 0.1  # of the time limit at most for the price loop
PRICE_TOLERANCE = 1e-4  # the loop ends when the bound is this close to the share plan's LP value
MAX_PRICE_ROUNDS = 100
TARGET_SHARE = 0.02  # the Polyak target: at most this far above the best bound
STEP = 1.0  # Polyak step factor, halved whenever a round does not raise the bound
FIRST_PASS_SHARE = 0.85  # of the time after the price loop for the first pass; the descent gets the rest
DESCENT_GAP = 0.02  # groups whose own gap is above this are re-solved first
MIN_GROUP_SECONDS = 3.0  # a descent step needs at least this
MARGIN_SECONDS = 2.0  # kept free at the end for merging, verifying and writing the plan


@dataclass
class SkuGroup:
    """Where a restricted instance's positions sit in the full instance."""

    skus: np.ndarray  # full SKU indices (sorted)
    pairs: np.ndarray  # [K_g] full line-SKU pair of each pair of the restricted instance
    plant_positions: np.ndarray  # [A_g]
    dc_positions: np.ndarray  # [B_g]
    ship_arcs: np.ndarray  # [E_g]
    move_arcs: np.ndarray  # [F_g]


def restrict(inst: E2EInstance, skus: np.ndarray, hours: np.ndarray | None = None) -> tuple[E2EInstance, SkuGroup]:
    """The instance with only the SKUs ``skus`` (and their pairs, positions and arcs), its line
    hours ``hours`` ``[L, T]`` (default: the instance's), and the index maps back."""
    skus = np.unique(np.asarray(skus, dtype=np.int64))
    S = len(inst.skus)
    keep = np.zeros(S, dtype=bool)
    keep[skus] = True
    new_sku = np.full(S, -1, dtype=np.int64)
    new_sku[skus] = np.arange(len(skus))
    k = np.flatnonzero(keep[inst.pair_sku])
    a = np.flatnonzero(keep[inst.plant_pos_sku])
    b = np.flatnonzero(keep[inst.dc_pos_sku])
    sub = E2EInstance(
        name=f"{inst.name}[{len(skus)} SKUs]", horizon=inst.horizon, plants=inst.plants, lines=inst.lines,
        skus=[inst.skus[s] for s in skus], dcs=inst.dcs, line_plant=inst.line_plant,
        hours_per_day=inst.hours_per_day, hours=(inst.hours if hours is None else np.asarray(hours, float)).copy(),
        product_type=[inst.product_type[s] for s in skus], holding_cost=inst.holding_cost[skus],
        pair_line=inst.pair_line[k], pair_sku=new_sku[inst.pair_sku[k]], rate=inst.rate[k], moq=inst.moq[k],
        setup_hours=inst.setup_hours[k], setup_cost=inst.setup_cost[k],
        plant_pos_plant=inst.plant_pos_plant[a], plant_pos_sku=new_sku[inst.plant_pos_sku[a]],
        plant_initial=inst.plant_initial[a], plant_target=inst.plant_target[a], plant_minimum=inst.plant_minimum[a],
        dc_plant=inst.dc_plant, dc_pos_dc=inst.dc_pos_dc[b], dc_pos_sku=new_sku[inst.dc_pos_sku[b]],
        dc_initial=inst.dc_initial[b], dc_target=inst.dc_target[b], dc_minimum=inst.dc_minimum[b],
        demand=inst.demand[b], lane_plant=inst.lane_plant, lane_dc=inst.lane_dc, lane_cost=inst.lane_cost,
        lane_lead=inst.lane_lead, transfer_from=inst.transfer_from, transfer_to=inst.transfer_to,
        transfer_cost=inst.transfer_cost, transfer_lead=inst.transfer_lead, penalties=inst.penalties,
        allow_stockout=inst.allow_stockout)
    # arcs are ordered by (position, lane) in both instances, and positions keep their order
    ship = np.flatnonzero(keep[inst.dc_pos_sku[inst.ship_to]])
    move = np.flatnonzero(keep[inst.plant_pos_sku[inst.move_from]])
    if not (np.array_equal(b[sub.ship_to], inst.ship_to[ship]) and np.array_equal(sub.ship_lane, inst.ship_lane[ship])
            and np.array_equal(a[sub.move_from], inst.move_from[move])
            and np.array_equal(sub.move_lane, inst.move_lane[move])):
        raise AssertionError("restricted instance's arcs do not line up with the full instance's")
    return sub, SkuGroup(skus, k, a, b, ship, move)


def partition_skus(inst: E2EInstance, size: int = GROUP_SKUS) -> list[np.ndarray]:
    """SKUs in ``ceil(S / size)`` groups of near-equal size and near-equal demand (SKUs by
    descending network demand, dealt out in turn)."""
    S = len(inst.skus)
    count = max(1, math.ceil(S / max(1, size)))
    demand = np.zeros(S)
    np.add.at(demand, inst.dc_pos_sku, inst.demand.sum(axis=1))
    order = np.argsort(-demand, kind="stable")
    return [np.sort(order[g::count]) for g in range(count)]


def hour_matrix(em: E2EModel) -> sp.csr_matrix:
    """The model's line-hour rows ``A`` ``[L*T, n]`` (row ``l*T + t``): the hours each column
    takes on each line-day, exactly as the model charges them."""
    block = em.model.row_blocks["line_hours"]
    return em.model.matrix("csr")[block.start:block.stop]


def charge_hours(em: E2EModel, prices: np.ndarray) -> None:
    """Add ``prices`` ``[L, T]`` per line hour to the model's objective: ``c += A^T prices``."""
    em.model.add_cost(np.arange(em.model.num_vars), hour_matrix(em).T @ prices.ravel())


class _PricedGroup:
    """One group's LP relaxation, kept in one HiGHS object and re-solved warm under new hour prices."""

    def __init__(self, sub: E2EInstance, threads: int, seed: int):
        self.em: E2EModel = build_model(sub, lean=True)
        m = self.em.model
        self.cost = m.cost.copy()
        self.hours_matrix = hour_matrix(self.em)
        self.priced_cols = np.unique(self.hours_matrix.indices).astype(np.int32)
        block = m.row_blocks["line_hours"]
        self.hour_rows = np.arange(block.start, block.stop, dtype=np.int32)
        self.h = HighsBackend().build(m, relax=True)
        self.h.setOptionValue("random_seed", int(seed))
        self.threads = threads

    def solve_share(self, share: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        """The group's LP with its line hours cut to ``share`` ``[L*T]`` (unpriced). Returns
        (cost, hours A x, hour duals >= 0) or ``None`` if it has no optimum; the rows are set
        back to the full hours afterwards."""
        n = len(self.hour_rows)
        upper = self.em.model.row_upper[self.hour_rows]
        self.h.changeRowsBounds(n, self.hour_rows, np.full(n, -highspy.kHighsInf), np.minimum(share, upper))
        try:
            use_threads(self.h, self.threads)
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            sol = self.h.getSolution()
            x = np.asarray(sol.col_value, dtype=float)
            duals = np.maximum(0.0, -np.asarray(sol.row_dual, dtype=float)[self.hour_rows])
        finally:
            self.h.changeRowsBounds(n, self.hour_rows, np.full(n, -highspy.kHighsInf), upper)
        return float(self.cost @ x) + self.em.model.offset, self.hours_matrix @ x, duals

    def solve(self, prices: np.ndarray, seconds: float | None) -> tuple[float, float, np.ndarray] | None:
        """Minimise ``(c + prices A) x`` over the group's LP. Returns (priced optimum, original
        cost of the solution, its hours A x) or ``None`` if the LP did not finish."""
        priced = self.cost + self.hours_matrix.T @ prices
        self.h.changeColsCost(len(self.priced_cols), self.priced_cols, priced[self.priced_cols])
        if seconds is not None:
            self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.5, seconds))
        use_threads(self.h, self.threads)
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.asarray(self.h.getSolution().col_value, dtype=float)
        offset = self.em.model.offset
        return float(priced @ x) + offset, float(self.cost @ x) + offset, self.hours_matrix @ x


@dataclass
class PriceLoop:
    """Outcome of the price loop."""

    bound: float | None  # best L(lambda): a proven lower bound of the MILP
    upper: float | None  # the LP value of the first round's share plan (>= the LP optimum)
    prices: np.ndarray | None  # [L*T] the prices of the best bound
    usage: list[np.ndarray] | None = None  # [L*T] per group: the hours its LP takes at those prices
    rounds: int = 0
    seconds: float = 0.0
    history: list[tuple[float, float | None]] = field(default_factory=list)  # (seconds, bound) per round


def price_loop(groups: list[E2EInstance], hours: np.ndarray, options: SolveOptions, deadline: float | None
               ) -> PriceLoop:
    r"""Hour prices and the bound of the module docstring.

    Round 0 solves every group's LP on its share of the hours by demand; the union is a plan
    of the integrated LP (its value ``upper`` is at least the LP optimum) and the groups' hour
    duals, averaged, are the first prices :math:`\lambda^0`. Each later round evaluates
    :math:`L(\lambda^r)` (all groups priced, warm) and takes a projected subgradient step with
    Polyak's length, :math:`\lambda^{r+1} = (\lambda^r + \theta (U - L(\lambda^r)) g / \|g\|^2)^+`
    with :math:`g = \sum_g A_g x_g - H`, halving :math:`\theta` when the bound does not improve."""
    t0 = time.perf_counter()
    LT = hours.size
    H = hours.ravel()
    G = len(groups)
    priced = [_PricedGroup(sub, options.threads, options.seed) for sub in groups]
    out = PriceLoop(None, None, None)
    demand = np.array([sub.demand.sum() for sub in groups], dtype=float)
    weight = demand / demand.sum() if demand.sum() > 0 else np.full(G, 1.0 / G)
    duals, upper = [], 0.0
    for g, pg in enumerate(priced):
        found = pg.solve_share(H * weight[g])
        if found is None:  # a share with no LP plan (stockouts forbidden): start from zero prices
            duals, upper = [], None
            break
        cost, _, dual = found
        upper += cost
        duals.append(dual)
    out.upper = upper
    prices = np.mean(duals, axis=0) if duals else np.zeros(LT)
    theta = STEP
    for rounds in range(1, MAX_PRICE_ROUNDS + 1):
        value = -float(prices @ H)
        used = np.zeros(LT)
        usage = []
        for pg in priced:
            left = None if deadline is None else deadline - time.perf_counter()
            found = pg.solve(prices, left if rounds > 1 else None)  # the first round always finishes
            if found is None:
                value = -np.inf
                break
            z, _, hours_taken = found
            value += z
            used += hours_taken
            usage.append(hours_taken)
        if not np.isfinite(value):
            break
        out.rounds = rounds
        if out.bound is None or value > out.bound:
            out.bound, out.prices, out.usage = value, prices.copy(), usage
        else:
            theta *= 0.5
        out.history.append((time.perf_counter() - t0, out.bound))
        if out.upper is not None and out.upper - out.bound <= PRICE_TOLERANCE * max(abs(out.upper), 1e-9):
            break
        if (deadline is not None and time.perf_counter() > deadline) or stop_requested():
            break
        step = used - H
        step[(prices <= 0) & (step < 0)] = 0.0  # the projection keeps these at zero anyway
        norm = float(step @ step)
        if norm <= 0:
            break
        target = min(out.upper - out.bound, TARGET_SHARE * abs(out.bound)) if out.upper is not None else \
            TARGET_SHARE * abs(out.bound)
        prices = np.maximum(0.0, out.prices + theta * target / norm * step)
    out.seconds = time.perf_counter() - t0
    return out


@dataclass
class _GroupPlan:
    production: np.ndarray
    shipments: np.ndarray
    transfers: np.ndarray
    cost: float
    hours: np.ndarray  # [L, T] the plan takes
    gap: float | None  # of the group's own solve, against its own bound
    seconds: float


def _solve_group(inst: E2EInstance, where: SkuGroup, capacity: np.ndarray, prices: np.ndarray | None,
                 options: SolveOptions, seconds: float | None) -> _GroupPlan | None:
    """The exact method on the group's SKUs with line hours ``capacity`` and, with ``prices``
    ``[L, T]``, every hour the group takes charged at its price."""
    t0 = time.perf_counter()
    sub, _ = restrict(inst, where.skus, capacity)
    if seconds is not None and seconds <= 0:  # stopping: no time for a solve
        return _nothing_made(sub, t0)
    em = build_model(sub, lean=True)
    if prices is not None and prices.any():
        charge_hours(em, prices)
    outcome = solve_exact(sub, options.with_(time_limit=seconds, deadline=None, progress=None), em=em)
    if outcome.x is None:  # no plan in time
        return _nothing_made(sub, t0)
    prod, ship, move = outcome.model.flows(outcome.x)
    sim = simulate(sub, prod, ship, move)
    return _GroupPlan(prod, ship, move, sim.total, sim.line_hours, outcome.result.gap, time.perf_counter() - t0)


def _nothing_made(sub: E2EInstance, t0: float) -> _GroupPlan | None:
    """The group makes and ships nothing: every demand backlogged. A plan when stockouts are
    allowed (``None`` otherwise)."""
    if not sub.allow_stockout:
        return None
    prod = np.zeros((sub.num_pairs, sub.horizon))
    ship = np.zeros((len(sub.ship_from), sub.horizon))
    move = np.zeros((len(sub.move_from), sub.horizon))
    return _GroupPlan(prod, ship, move, simulate(sub, prod, ship, move).total, np.zeros_like(sub.hours), None,
                      time.perf_counter() - t0)


def solve_groups(inst: E2EInstance, options: SolveOptions, group_skus: int = GROUP_SKUS
                 ) -> tuple[SolveResult, tuple[np.ndarray, np.ndarray, np.ndarray] | None, dict[str, object]]:
    """The method of the module docstring. Returns the result (objective, bound, status), the
    plan's (production, shipments, transfers) of the full instance, and what to report."""
    t0 = time.perf_counter()
    limit = options.remaining(0.0)
    end = None if limit is None else t0 + limit - MARGIN_SECONDS
    parts = partition_skus(inst, group_skus)
    if len(parts) == 1:  # one group: the exact method itself
        outcome = solve_exact(inst, options)
        arrays = None if outcome.x is None else outcome.model.flows(outcome.x)
        return outcome.result, arrays, {"groups": 1, "lp_bound": outcome.lp_bound}
    subs, wheres = zip(*(restrict(inst, skus) for skus in parts), strict=True)
    G = len(parts)
    loop = price_loop(list(subs), inst.hours, options,
                      None if limit is None else t0 + PRICE_SHARE * limit)
    info: dict[str, object] = {"groups": G, "group_skus": [len(p) for p in parts],
                               "price_rounds": loop.rounds, "price_seconds": round(loop.seconds, 3),
                               "price_bound": loop.bound, "share_plan_lp_value": loop.upper}
    if options.progress is not None and loop.bound is not None:
        options.progress(Progress(time.perf_counter() - t0, None, loop.bound, "hour prices"))
    prices = None if loop.prices is None else loop.prices.reshape(inst.hours.shape)

    def left() -> float | None:
        return None if end is None else end - time.perf_counter()

    # pass 1: each group in turn on the hours the earlier ones left less what the later ones'
    # LPs take at the prices, every hour charged its price (the last group has no one to leave
    # hours to: no price)
    plans: list[_GroupPlan] = []
    used = np.zeros_like(inst.hours)
    usage = [u.reshape(inst.hours.shape) for u in loop.usage] if loop.usage else \
        [np.zeros_like(inst.hours)] * G
    later = np.sum(usage, axis=0)
    start = left()
    pass_end = None if start is None else time.perf_counter() + FIRST_PASS_SHARE * start
    for g, where in enumerate(wheres):
        later -= usage[g]
        remaining = left()
        budget = None if pass_end is None else max(1.0, (pass_end - time.perf_counter()) / (G - g))
        if stop_requested() or (remaining is not None and remaining < 1.0):
            budget = 0.0  # stopping, or out of time: what is left makes nothing, the plan so far is kept
        free = np.maximum(inst.hours - used, 0.0)
        capacity = np.maximum(free - later, 0.0)
        plan = _solve_group(inst, where, capacity, prices if g < G - 1 else None, options, budget)
        if plan is None:
            return SolveResult(SolveStatus.NO_SOLUTION, message=f"SKU group {g + 1} found no plan"), None, info
        plans.append(plan)
        used += plan.hours
        if options.progress is not None:
            options.progress(Progress(time.perf_counter() - t0, sum(p.cost for p in plans) if g == G - 1 else None,
                                      loop.bound, f"SKU group {g + 1}/{G}"))
    first_pass = sum(p.cost for p in plans)
    # pass 2 (block coordinate descent): groups again, the largest own gap first (a group that
    # made nothing first of all), each on all the hours the others leave, at its true cost; a
    # group's plan is replaced only when the new one costs less. Groups above DESCENT_GAP are
    # visited first and share the time; then the others, while time is left
    improved = 0
    rounds = 0

    def own_gap(g: int) -> float:
        return 1.0 if plans[g].gap is None else float(plans[g].gap)

    while G > 1 and not stop_requested():
        remaining = left()
        if remaining is not None and remaining < MIN_GROUP_SECONDS:
            break
        rounds += 1
        changed = False
        order = sorted(range(G), key=lambda g: -own_gap(g))
        wide = sum(own_gap(g) > DESCENT_GAP for g in order) or G
        for i, g in enumerate(order):
            remaining = left()
            if (remaining is not None and remaining < MIN_GROUP_SECONDS) or stop_requested():
                break
            share = wide - i if i < wide else G - i  # the wide-gap groups share the time first
            budget = None if remaining is None else remaining / share
            others = used - plans[g].hours
            plan = _solve_group(inst, wheres[g], np.maximum(inst.hours - others, 0.0), None, options, budget)
            if plan is not None and plan.cost < plans[g].cost - 1e-6 * max(1.0, abs(plans[g].cost)):
                plans[g] = plan
                used = others + plan.hours
                improved += 1
                changed = True
        if not changed or remaining is None:
            break
    T = inst.horizon
    production = np.zeros((inst.num_pairs, T))
    shipments = np.zeros((len(inst.ship_from), T))
    transfers = np.zeros((len(inst.move_from), T))
    for where, plan in zip(wheres, plans, strict=True):
        production[where.pairs] = plan.production
        shipments[where.ship_arcs] = plan.shipments
        transfers[where.move_arcs] = plan.transfers
    info.update({"first_pass_objective": first_pass, "descent_rounds": rounds, "descent_improvements": improved,
                 "group_results": [{"skus": len(w.skus), "objective": p.cost, "gap": p.gap,
                                    "seconds": round(p.seconds, 3)} for w, p in zip(wheres, plans, strict=True)]})
    objective = simulate(inst, production, shipments, transfers).total
    bound = loop.bound
    gap = None if bound is None else (objective - bound) / max(abs(objective), 1e-9)
    status = SolveStatus.OPTIMAL if gap is not None and gap <= options.mip_gap else SolveStatus.FEASIBLE
    res = SolveResult(status, objective, None if bound is None else min(bound, objective), "highs",
                      HighsBackend().version(), {"total": time.perf_counter() - t0})
    return res, (production, shipments, transfers), info

