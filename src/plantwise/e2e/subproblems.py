"""The configurator's two sub-problems as box-bounded vector problems for GA and PSO, with their
repairs and constructive seeds (document 001, Eq. 6-14; see :mod:`plantwise.e2e.configurator`
for the flow that uses them).

* :class:`ProductionProblem`: one plant (DCs pooled) or both plants with transfers; the vector
  is the production of every line-SKU pair and day (plus transfers); its cost the pooled
  stock's holding and target/minimum/stockout penalties, setups, transfers and, in the
  capacity checks, overtime at ``penalties.under_target`` per unit beyond the line hours.
* :class:`DistributionProblem`: production and transfers fixed, the vector is every shipment
  (arc, day), its cost the integrated plan's (:func:`plantwise.e2e.evaluate.simulate`).
* :func:`production_seed`, :func:`distribution_seed`: the constructive heuristics.
"""

from __future__ import annotations

import numpy as np

from plantwise.e2e.evaluate import simulate
from plantwise.e2e.instance import E2EInstance
from plantwise.meta import VectorProblem


# ====================================================================== production problem
class ProductionProblem:
    """The pooled production problem of one plant (or both, with transfers) as vectors."""

    def __init__(self, pooled: E2EInstance, moq: bool, hard_capacity: bool, target_factor: float = 1.0,
                 transfers: bool = False):
        self.inst = pooled
        self.moq = moq
        self.hard = hard_capacity
        self.T = pooled.horizon
        self.K = pooled.num_pairs
        self.F = len(pooled.move_from) if transfers else 0
        self.target = pooled.dc_target * target_factor
        self.minimum = pooled.dc_minimum * target_factor
        self.cap = pooled.pair_capacity()
        self.overtime_price = pooled.penalties.under_target  # per unit made beyond the hours
        days = np.arange(self.T)
        if self.F:
            self.move_ok = days[None, :] + pooled.move_lead[:, None] < self.T
        # pooled position index of each pair (pool DC position b == plant position a here)
        self.position = pooled.pair_position

    @property
    def n_var(self) -> int:
        return (self.K + self.F) * self.T

    def split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = X.shape[0]
        prod = X[:, : self.K * self.T].reshape(n, self.K, self.T)
        move = X[:, self.K * self.T:].reshape(n, self.F, self.T)
        return prod, move

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        upper = [self.cap.ravel()]
        if self.F:
            total = self.inst.dc_initial.sum() + self.cap.sum()
            upper.append(np.where(self.move_ok, total, 0.0).ravel())
        up = np.concatenate(upper)
        return np.zeros_like(up), up

    def stocks(self, prod: np.ndarray, move: np.ndarray) -> np.ndarray:
        """Net pooled stock [n, A, T] (negative = backlog)."""
        inst = self.inst
        n = prod.shape[0]
        flow = np.zeros((n, inst.num_dc_positions, self.T))
        np.add.at(flow, (slice(None), self.position), prod)
        if self.F:
            np.add.at(flow, (slice(None), inst.move_from), -move)
            arrive = np.zeros_like(move)
            lead = inst.move_lead
            for f in range(self.F):  # F is small (SKUs x lanes), T-slices are vector ops
                if lead[f] < self.T:
                    arrive[:, f, lead[f]:] = move[:, f, : self.T - lead[f]]
            np.add.at(flow, (slice(None), inst.move_to), arrive)
        flow -= inst.demand[None]
        return inst.dc_initial[None, :, None] + np.cumsum(flow, axis=2)

    def hours(self, prod: np.ndarray) -> np.ndarray:
        inst = self.inst
        lots = prod > 1e-6
        per_pair = prod / inst.rate[None, :, None] + inst.setup_hours[None, :, None] * lots
        hours = np.zeros((prod.shape[0], len(inst.lines), self.T))
        np.add.at(hours, (slice(None), inst.pair_line), per_pair)
        return hours

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        inst, pen = self.inst, self.inst.penalties
        prod, move = self.split(X)
        net = self.stocks(prod, move)
        on_hand = np.maximum(net, 0.0)
        backlog = np.maximum(-net, 0.0)
        holding = inst.holding_cost[inst.dc_pos_sku][None, :, None]
        cost = (holding * on_hand).sum(axis=(1, 2))
        cost += pen.over_target * np.maximum(on_hand - self.target[None, :, None], 0).sum(axis=(1, 2))
        cost += pen.under_target * np.maximum(self.target[None, :, None] - on_hand, 0).sum(axis=(1, 2))
        cost += pen.under_minimum * np.maximum(self.minimum[None, :, None] - on_hand, 0).sum(axis=(1, 2))
        cost += pen.stockout * backlog.sum(axis=(1, 2))
        cost += (inst.setup_cost[None, :, None] * (prod > 1e-6)).sum(axis=(1, 2))
        if self.F:
            cost += (inst.move_cost[None, :, None] * move).sum(axis=(1, 2))
        if not self.hard:
            over = np.maximum(self.hours(prod) - inst.hours[None], 0.0)
            mean_rate = np.bincount(inst.pair_line, inst.rate, len(inst.lines)) / np.maximum(
                np.bincount(inst.pair_line, minlength=len(inst.lines)), 1)
            cost += self.overtime_price * (over * mean_rate[None, :, None]).sum(axis=(1, 2))
        return cost

    def repair(self, X: np.ndarray) -> np.ndarray:
        inst = self.inst
        X = np.clip(X, 0.0, None)
        prod, move = self.split(X.copy())
        prod = np.minimum(prod, self.cap[None])
        moq = inst.moq[None, :, None]
        if self.moq:
            prod = np.where(prod < 0.5 * moq, 0.0, np.maximum(prod, moq))
            prod = np.where(self.cap[None] < moq, 0.0, prod)
        if self.hard:
            hours = self.hours(prod)
            factor = np.minimum(1.0, inst.hours[None] / np.maximum(hours, 1e-12))
            prod = prod * factor[:, inst.pair_line, :]
            if self.moq:
                prod = np.where(prod < moq * (1 - 1e-9), 0.0, prod)
            # setups can still overflow a line-day after scaling: drop its smallest lots
            over = self.hours(prod) > inst.hours[None] + 1e-9
            while over.any():
                n_idx, l_idx, t_idx = np.nonzero(over)
                for n, l, t in zip(n_idx, l_idx, t_idx, strict=True):
                    ks = np.flatnonzero((inst.pair_line == l) & (prod[n, :, t] > 1e-6))
                    prod[n, ks[np.argmin(prod[n, ks, t])], t] = 0.0
                over = self.hours(prod) > inst.hours[None] + 1e-9
        if self.F:
            move = np.where(self.move_ok[None], move, 0.0)
            move = self._limit_transfers(prod, move)
        return np.concatenate([prod.reshape(X.shape[0], -1), move.reshape(X.shape[0], -1)], axis=1)

    def _limit_transfers(self, prod: np.ndarray, move: np.ndarray) -> np.ndarray:
        """Transfers leave only from stock on hand: scale a day's transfers of a position
        down to what it holds after that day's production and earlier flows."""
        move = move.copy()
        for t in range(self.T):
            net = self.stocks(prod, move)  # T is 14: one vector simulation per day
            n = prod.shape[0]
            prev = np.broadcast_to(self.inst.dc_initial, (n, net.shape[1])).copy() if t == 0 else net[:, :, t - 1]
            out = np.zeros_like(prev)
            np.add.at(out, (slice(None), self.inst.move_from), move[:, :, t])
            made = np.zeros_like(prev)
            np.add.at(made, (slice(None), self.position), prod[:, :, t])
            avail = np.maximum(prev + made - self.inst.demand[None, :, t], 0.0)
            factor = np.where(out > avail, avail / np.maximum(out, 1e-12), 1.0)
            move[:, :, t] *= factor[:, self.inst.move_from]
        return move

    def problem(self, name: str, lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> VectorProblem:
        lo, up = self.bounds()
        return VectorProblem(lo if lower is None else lower, up if upper is None else upper, self.evaluate,
                             self.repair, name)

    def utilisation(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(per line-day, per plant-day) utilisation of the plan ``x``."""
        prod, _ = self.split(x[None])
        hours = self.hours(prod)[0]
        inst = self.inst
        line_util = hours / np.maximum(inst.hours, 1e-12)
        plant_used = np.zeros((len(inst.plants), self.T))
        plant_avail = np.zeros((len(inst.plants), self.T))
        np.add.at(plant_used, inst.line_plant, hours)
        np.add.at(plant_avail, inst.line_plant, inst.hours)
        return line_util, plant_used / np.maximum(plant_avail, 1e-12)


def production_seed(pp: ProductionProblem, other_plant_share: bool = False) -> np.ndarray:
    """Constructive plan, built in three tiers of priority - first what keeps every pooled
    position out of backlog, then what lifts it to its minimum, then to its target - each
    tier using only the hours the earlier tiers left:

    1. each position gets one pair (its SKU's line), largest requirement first, on the
       eligible line least loaded relative to its hours;
    2. lot-for-lot: day by day, a position below the tier's level (after the day's demand)
       gets a lot of the shortfall, at least the MOQ when MOQs apply;
    3. levelling, from the last day backwards: whole lots that overload a line-day move to
       the day before; on the first day, lots that still do not fit are dropped, smallest
       first - except with soft hours (the capacity checks), where they stay as overtime;
    4. with hard hours, a forward fill (:func:`_forward_fill`) spends the hours still free on
       positions still below the tier's level, day by day.

    With ``other_plant_share`` (phase 3), after the backlog tier and after the minimum
    tier, what a plant still lacks is made at the other plant with its hours left over and
    transferred (:func:`_cross_plant`).
    """
    inst, T = pp.inst, pp.T
    A = inst.num_dc_positions
    moq = inst.moq if pp.moq else np.zeros(pp.K)
    requirement = np.maximum(inst.demand.sum(axis=1) + pp.target - inst.dc_initial, 0.0)
    load = np.zeros(len(inst.lines))
    capacity = inst.hours.sum(axis=1)
    pair_of = np.full(A, -1, dtype=np.int64)
    candidates: list[list[int]] = [[] for _ in range(A)]
    for k in range(pp.K):
        candidates[pp.position[k]].append(k)
    for a in np.argsort(-requirement, kind="stable"):
        if not candidates[a]:
            continue
        k = min(candidates[a], key=lambda k: (load[inst.pair_line[k]] + requirement[a] / inst.rate[k])
                / max(capacity[inst.pair_line[k]], 1e-12))
        pair_of[a] = k
        load[inst.pair_line[k]] += requirement[a] / inst.rate[k]
    has = pair_of >= 0
    prod = np.zeros((pp.K, T))
    move = np.zeros((pp.F, T))
    free = inst.hours.copy()
    for tier, level in enumerate((np.zeros(A), pp.minimum, pp.target)):
        add = np.zeros((pp.K, T))
        base = pp.stocks(prod[None], move[None])[0]  # end-of-day net stock of the plan so far
        extra = np.zeros(A)
        for t in range(T):
            need = np.maximum(level - (base[:, t] + extra), 0.0) * has
            lot = np.where(need > 1e-9, np.maximum(need, moq[np.maximum(pair_of, 0)]), 0.0)
            add[pair_of[has], t] += lot[has]
            extra += lot
        for t in range(T - 1, -1, -1):
            lots = add[:, t] > 1e-9
            # a lot on a pair already producing that day needs no second setup
            setup = inst.setup_hours * (lots & (prod[:, t] <= 1e-9))
            hours = np.zeros(len(inst.lines))
            np.add.at(hours, inst.pair_line, add[:, t] / inst.rate + setup)
            for line in np.flatnonzero(hours > free[:, t] + 1e-9):
                ks = np.flatnonzero((inst.pair_line == line) & lots)
                for k in ks[np.argsort(add[ks, t], kind="stable")]:
                    if hours[line] <= free[line, t] + 1e-9:
                        break
                    if t == 0 and not pp.hard:
                        break  # soft hours: the rest is overtime
                    hours[line] -= add[k, t] / inst.rate[k] + setup[k]
                    if t > 0:
                        add[k, t - 1] += add[k, t]
                    add[k, t] = 0.0
            free[:, t] -= hours
        prod += add
        if pp.hard:
            _forward_fill(pp, prod, move, free, level, moq, candidates)
        if tier <= 1 and other_plant_share and pp.F:
            # a plant's backlog comes before the other plant's minimum, and what a plant
            # lacks below its minimum before anyone's target
            prod, move = _cross_plant(pp, prod, move, free, moq, level)
    x = np.concatenate([prod.ravel(), move.ravel()])
    return pp.repair(x[None])[0]


def _forward_fill(pp: ProductionProblem, prod: np.ndarray, move: np.ndarray, free: np.ndarray, level: np.ndarray,
                  moq: np.ndarray, candidates: list[list[int]]) -> None:
    """Use hours still free, day by day from the first: a position whose stock at the end
    of the day is below ``level`` gets a lot (largest shortfall first) on the pair with the
    most room, at least the MOQ. Late production still shortens the shortfall's days."""
    inst, T = pp.inst, pp.T
    for t in range(T):
        net = pp.stocks(prod[None], move[None])[0]
        short = np.maximum(level - net[:, t], 0.0)
        for a in np.flatnonzero(short > 1e-9)[np.argsort(-short[short > 1e-9], kind="stable")]:
            q = short[a]
            for k in sorted(candidates[a], key=lambda k: -free[inst.pair_line[k], t] * inst.rate[k]):
                line = inst.pair_line[k]
                new_lot = prod[k, t] <= 1e-9
                setup = inst.setup_hours[k] if new_lot else 0.0
                room = (free[line, t] - setup) * inst.rate[k]
                lot = min(max(q, moq[k]) if new_lot else q, room)
                if lot <= 1e-9 or (new_lot and lot < moq[k] - 1e-9):
                    continue
                prod[k, t] += lot
                free[line, t] -= lot / inst.rate[k] + setup
                q -= lot
                if q <= 1e-9:
                    break


def _cross_plant(pp: ProductionProblem, prod: np.ndarray, move: np.ndarray, free: np.ndarray,
                 moq: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cover positions' projected shortfalls below ``level``, earliest day first, by
    production at another plant on ``lead`` days before with the hours it has left, and a
    transfer on the same day."""
    inst, T = pp.inst, pp.T
    stock = pp.stocks(prod[None], move[None])[0]
    arcs_into: list[list[int]] = [[] for _ in range(inst.num_dc_positions)]
    for f in range(pp.F):
        arcs_into[inst.move_to[f]].append(f)
    src_pairs: list[list[int]] = [[] for _ in range(inst.num_dc_positions)]
    for k in range(pp.K):
        src_pairs[pp.position[k]].append(k)
    for u in range(T):
        short = np.maximum(level - stock[:, u], 0.0)
        for a in np.flatnonzero(short > 1e-9):
            q = short[a]
            for f in arcs_into[a]:
                t = u - int(inst.move_lead[f])
                if t < 0:
                    continue
                for k in src_pairs[inst.move_from[f]]:
                    line = inst.pair_line[k]
                    new_lot = prod[k, t] <= 0
                    setup = inst.setup_hours[k] if new_lot else 0.0
                    room = (free[line, t] - setup) * inst.rate[k]
                    lot = min(max(q, moq[k]) if new_lot else q, room)
                    if lot <= 1e-9 or (new_lot and lot < moq[k]):
                        continue
                    prod[k, t] += lot
                    move[f, t] += lot
                    free[line, t] -= lot / inst.rate[k] + setup
                    stock[a, u:] += lot
                    q -= lot
                    if q <= 1e-9:
                        break
                if q <= 1e-9:
                    break
    return prod, move


# ====================================================================== distribution problem
class DistributionProblem:
    """Shipments (arc x day) with production and transfers fixed; cost = integrated cost."""

    def __init__(self, inst: E2EInstance, production: np.ndarray, transfers: np.ndarray):
        self.inst = inst
        self.production = production
        self.T = inst.horizon
        self.E = len(inst.ship_from)
        days = np.arange(self.T)
        self.ok = days[None, :] + inst.ship_lead[:, None] < self.T
        self.made = np.zeros((inst.num_plant_positions, self.T))
        np.add.at(self.made, inst.pair_position, production)
        self.transfers = self._repair_transfers(transfers)
        self.inflow = self.made + self._transfer_flow(self.transfers)  # plant stock change before shipments

    def _transfer_flow(self, transfers: np.ndarray) -> np.ndarray:
        inst = self.inst
        flow = np.zeros((inst.num_plant_positions, self.T))
        np.add.at(flow, inst.move_from, -transfers)
        for f in range(len(inst.move_from)):
            lead = inst.move_lead[f]
            if lead < self.T:
                flow[inst.move_to[f], lead:] += transfers[f, : self.T - lead]
        return flow

    def _repair_transfers(self, transfers: np.ndarray) -> np.ndarray:
        """Transfers leave only from the plant's own stock: day by day, a position's
        transfers are scaled down to its stock (initial + made + arrived - earlier
        transfers out), so that the stock without any shipment never goes negative."""
        inst = self.inst
        transfers = np.clip(transfers, 0.0, None).copy()
        if not transfers.size:
            return transfers
        for t in range(self.T):  # T is 14; each step is a vector operation
            flow = self.made + self._transfer_flow(transfers)
            before = inst.plant_initial + flow[:, :t].sum(axis=1) + self.made[:, t]
            arrive = flow[:, t] - self.made[:, t]
            out = np.zeros(inst.num_plant_positions)
            np.add.at(out, inst.move_from, transfers[:, t])
            avail = np.maximum(before + arrive + out, 0.0)  # arrivals today count, own departures not yet
            factor = np.where(out > avail, avail / np.maximum(out, 1e-12), 1.0)
            transfers[:, t] *= factor[inst.move_from]
        return transfers

    def upper(self) -> np.ndarray:
        total = self.inst.plant_initial.sum() + np.maximum(self.inflow, 0).sum()
        return np.where(self.ok, total, 0.0).ravel()

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape[0])
        for i, row in enumerate(X):  # population of 20: one vector simulation each
            out[i] = simulate(self.inst, self.production, row.reshape(self.E, self.T), self.transfers).total
        return out

    def repair(self, X: np.ndarray) -> np.ndarray:
        """Shipments leave only from stock the plant can spare: on day t at most the least
        stock it will hold on any day from t on without further shipments (later transfers
        out still need theirs)."""
        inst = self.inst
        n = X.shape[0]
        z = np.where(self.ok[None], np.clip(X, 0.0, None).reshape(n, self.E, self.T), 0.0)
        stock = np.broadcast_to(inst.plant_initial, (n, inst.num_plant_positions)).copy()
        for t in range(self.T):
            ahead = np.cumsum(self.inflow[:, t:], axis=1)  # [A, T - t]
            avail = np.maximum(stock + ahead.min(axis=1)[None, :], 0.0)
            out = np.zeros_like(stock)
            np.add.at(out, (slice(None), inst.ship_from), z[:, :, t])
            factor = np.where(out > avail, avail / np.maximum(out, 1e-12), 1.0)
            z[:, :, t] *= factor[:, inst.ship_from]
            out = np.zeros_like(stock)
            np.add.at(out, (slice(None), inst.ship_from), z[:, :, t])
            stock = stock + self.inflow[None, :, t] - out
        return z.reshape(n, -1)

    def problem(self, name: str, upper: np.ndarray | None = None) -> VectorProblem:
        up = self.upper() if upper is None else upper
        return VectorProblem(np.zeros_like(up), up, self.evaluate, self.repair, name)


def distribution_seed(dp: DistributionProblem) -> np.ndarray:
    """Greedy shipments day by day, in tiers by the DC's projected stock on the arrival
    day: first what avoids a backlog (from any plant stock), then what lifts it to its
    minimum (from plant stock above the plant's own minimum), then to its target (from
    plant stock above the plant's target). A tier asking more than the plant can give is
    shared in proportion to the asks."""
    inst, T = dp.inst, dp.T
    z = np.zeros((dp.E, T))
    arrivals = np.zeros((inst.num_dc_positions, T))
    plant_stock = inst.plant_initial.copy()
    arcs_into = np.maximum(np.bincount(inst.ship_to, minlength=inst.num_dc_positions), 1)
    lead, b = inst.ship_lead, inst.ship_to
    for t in range(T):
        avail = np.maximum(plant_stock + np.cumsum(dp.inflow[:, t:], axis=1).min(axis=1), 0.0)
        arrive_day = t + lead
        ok = arrive_day < T
        net = inst.dc_initial[:, None] + np.cumsum(arrivals - inst.demand, axis=1)
        projected = net[b, np.minimum(arrive_day, T - 1)]
        shipped = np.zeros(dp.E)
        for level, keep in ((0.0, 0.0), (inst.dc_minimum[b], inst.plant_minimum),
                            (inst.dc_target[b], inst.plant_target)):
            need = np.where(ok, np.maximum(level - projected - shipped, 0.0) / arcs_into[b], 0.0)
            give = np.maximum(avail - keep, 0.0)
            asked = np.zeros_like(avail)
            np.add.at(asked, inst.ship_from, need)
            factor = np.where(asked > give, give / np.maximum(asked, 1e-12), 1.0)
            ship = need * factor[inst.ship_from]
            out = np.zeros_like(avail)
            np.add.at(out, inst.ship_from, ship)
            avail -= out
            shipped += ship
        z[:, t] = shipped
        np.add.at(arrivals, (b[ok], arrive_day[ok]), shipped[ok])
        out = np.zeros_like(avail)
        np.add.at(out, inst.ship_from, shipped)
        plant_stock = plant_stock + dp.inflow[:, t] - out
    return dp.repair(z.ravel()[None])[0]
