r"""The five followers of the game (document 003, section 3), each built from its own data only.

Every follower holds

* the **order book** the market publishes to all followers (:class:`OrderBook`: order ids,
  quantities, deadlines, distances, routes, parts per unit; never revenue or margin), and
* its **private data** (:func:`private_data` slices the instance): suppliers' capacities
  and prices (supply), machine capacities and production cost rates (production), MTTF
  and maintenance costs (maintenance), storage cost and capacity (inventory), transport
  modes and the delay and unmet penalties of the contracts (distribution).

Coupling blocks (consensus variables), each shared by exactly two followers, in natural units:

==============  =========  =======================  ======================================
block           shape      holders                  meaning
==============  =========  =======================  ======================================
``parts``       [K, T]     supply, production       parts of each needed kind used in t
``maintenance`` [M, T]     maintenance, production  1 if machine m is maintained in t
``output``      [N, T]     production, inventory    finished items of order i in t
``delivery``    [N, T]     inventory, distribution  items of order i leaving in t (q_i × 0/1)
==============  =========  =======================  ======================================

A follower's ADMM step minimises, on its continuous relaxation, its own cost (minus the
leader's incentives) plus, for each of its blocks ``b``, ``λ_b·v_b + ρ/2 ||v_b - v̄_b||²``
(consensus ADMM): a convex QP with a diagonal Hessian, solved by OSQP warm-started from the
previous step. Integer decisions are taken in the commit step: maintenance and distribution
round their own binaries (for a 0/1 copy ``v² = v``, so the ADMM terms are linear and the
rounding is a small MILP), production and supply plan exactly against them.

Each follower also reports, for the leader's Benders cuts, its cost and the estimated
marginal cost ``Δ_ai`` of every order (its own cost rates plus the shadow prices of its
own capacity rows, never the rates themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.model import add_maintenance_windows, add_route_rows, delivery_options
from plantwise.core.backends.highs import ReusableHighs
from plantwise.core.backends.qp import ReusableQP
from plantwise.core.interrupt import stop_requested
from plantwise.core.linear import LinearModel

FOLLOWERS = ("supply", "production", "maintenance", "inventory", "distribution")
BLOCKS = {"parts": ("supply", "production"), "maintenance": ("maintenance", "production"),
          "output": ("production", "inventory"), "delivery": ("inventory", "distribution")}


@dataclass(frozen=True)
class OrderBook:
    """What the market tells every follower about the orders (no revenue, no margin)."""

    orders: tuple[str, ...]
    quantity: np.ndarray  # [N]
    deadline_hours: np.ndarray  # [N]
    distance_miles: np.ndarray  # [N]
    op_order: np.ndarray  # [O] order index of each operation, sorted by (order, step)
    op_machine: tuple[str, ...]  # [O] machine names
    op_hours: np.ndarray  # [O] hours per unit
    op_step: np.ndarray  # [O]
    need_order: np.ndarray  # [E] bill of material: order index, part name, parts per unit
    need_part: tuple[str, ...]
    need_per_unit: np.ndarray
    periods: int
    period_hours: float

    @property
    def num_orders(self) -> int:
        return len(self.orders)

    def part_names(self) -> list[str]:
        return sorted(set(self.need_part))

    def first_ops(self) -> np.ndarray:
        """Index of each order's first operation, [N]."""
        first = np.full(self.num_orders, -1, dtype=np.int64)
        is_first = np.r_[True, self.op_order[1:] != self.op_order[:-1]]
        first[self.op_order[is_first]] = np.flatnonzero(is_first)
        return first

    def last_ops(self) -> np.ndarray:
        last = np.full(self.num_orders, -1, dtype=np.int64)
        is_last = np.r_[self.op_order[1:] != self.op_order[:-1], True]
        last[self.op_order[is_last]] = np.flatnonzero(is_last)
        return last

    def part_need(self, parts: list[str]) -> np.ndarray:
        """Parts of each kind per unit of each order, [N, K]."""
        k_of = {p: k for k, p in enumerate(parts)}
        need = np.zeros((self.num_orders, len(parts)))
        np.add.at(need, (self.need_order, np.array([k_of[p] for p in self.need_part], dtype=np.int64)),
                  self.need_per_unit)
        return need


def order_book(inst: AcceptanceInstance) -> OrderBook:
    o, ops, bom = inst.orders, inst.operations, inst.order_parts
    index = {name: i for i, name in enumerate(inst.order_ids)}
    return OrderBook(
        orders=tuple(inst.order_ids), quantity=o["quantity"].to_numpy(float),
        deadline_hours=o["deadline_hours"].to_numpy(float), distance_miles=o["distance_miles"].to_numpy(float),
        op_order=ops["order"].map(index).to_numpy(np.int64), op_machine=tuple(ops["machine"]),
        op_hours=ops["hours_per_unit"].to_numpy(float), op_step=ops["step"].to_numpy(np.int64),
        need_order=bom["order"].map(index).to_numpy(np.int64), need_part=tuple(bom["part"]),
        need_per_unit=bom["per_unit"].to_numpy(float), periods=inst.num_periods, period_hours=inst.period_hours,
    )


def private_data(inst: AcceptanceInstance) -> dict[str, dict[str, Any]]:
    """Each follower's own data, and nothing else; with ``capacity_factors.csv`` rows, each
    capacity holder also gets its per-period factors (``capacity_factor``, the storage's
    ``capacity_per_period``)."""
    o = inst.orders
    data: dict[str, dict[str, Any]] = {
        "supply": {"suppliers": inst.suppliers.copy(), "parts": inst.parts.copy()},
        "production": {"machines": inst.machines[["machine", "capacity_hours", "maintenance_capacity_hours",
                                                  "max_utilisation"]].reset_index(drop=True).copy(),
                       "cost_per_hour": o["production_cost_per_hour"].to_numpy(float)},
        "maintenance": {"machines": inst.machines[["machine", "mttf_hours", "maintenance_hours",
                                                   "maintenance_cost"]].copy()},
        "inventory": {"cost_per_item_period": float(inst.storage_cost), "capacity": float(inst.storage_capacity)},
        "distribution": {"transport": inst.transport.copy(),
                         "delay_penalty_per_hour": o["delay_penalty_per_hour"].to_numpy(float),
                         "unmet_penalty": o["unmet_penalty"].to_numpy(float)},
    }
    if len(inst.capacity_factors):
        f = inst.factors()
        data["supply"]["capacity_factor"] = f.supplier
        data["production"]["capacity_factor"] = f.machine
        data["distribution"]["capacity_factor"] = f.mode
        data["inventory"]["capacity_per_period"] = f.storage_capacity(float(inst.storage_capacity))
    return data


@dataclass
class StepResult:
    """What a follower sends back after a step: its copies of the coupling blocks, its own cost
    (without ADMM terms) and the orders its local plan serves in full."""

    coupling: dict[str, np.ndarray]
    cost: float
    served: np.ndarray  # [N] bool


class Follower:
    """Common mechanics: a local model with named coupling columns, re-solved with new prices."""

    name = "follower"

    def __init__(self, book: OrderBook, data: dict[str, Any]) -> None:
        self.book = book
        self.data = data
        self.accepted = np.zeros(book.num_orders, dtype=bool)
        self.x: np.ndarray | None = None
        self.row_dual: np.ndarray | None = None

    # --- to be provided by each follower -------------------------------------------------
    def build(self, accepted: np.ndarray) -> tuple[LinearModel, dict[str, np.ndarray]]:
        """The local model for the leader's accepted set and the columns of each coupling block."""
        raise NotImplementedError

    def served(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def marginal_costs(self) -> np.ndarray:
        """Estimated cost ``Δ_ai`` this follower carries for each order, [N]."""
        raise NotImplementedError

    # --- shared --------------------------------------------------------------------------
    def blocks(self) -> tuple[str, ...]:
        return tuple(b for b, holders in BLOCKS.items() if self.name in holders)

    def setup(self, accepted: np.ndarray, rho: float, incentive: np.ndarray | None = None) -> None:
        """Build the relaxed (QP) and integer step models for the leader's accepted set; ``incentive``
        is the leader's payment per order served (used by the follower that serves orders)."""
        self.accepted = np.asarray(accepted, dtype=bool)
        self.rho = float(rho)
        self.lm, self.cols = self.build(self.accepted)
        self.own_cost = self.lm.cost
        self.incentive_cost = self.incentive_terms(incentive)
        self.scales = {b: np.broadcast_to(self.coupling_scale(b), self.cols[b].shape).ravel().astype(float)
                       for b in self.blocks()}
        hessian = np.zeros(self.lm.num_vars)
        for block in self.blocks():
            hessian[self.cols[block].ravel()] = self.rho * self.scales[block] ** 2
        self.relaxed = ReusableQP(self.lm, hessian)
        if self.x is not None and len(self.x) == self.lm.num_vars:  # a new leader move: start from the last plan
            self.relaxed.warm_start(np.clip(self.x, self.lm.lower, self.lm.upper))
        self.integer = ReusableHighs(self.lm, relax=False, time_limit=60.0) if self.lm.integer.any() else None

    def admm_cost(self, prices: dict[str, np.ndarray | None], targets: dict[str, np.ndarray | None],
                  binary: bool = False) -> np.ndarray:
        """Own cost + incentives + the linear part of ``λ·v + ρ/2 ||v - v̄||²`` (``v = scale·x``); with
        ``binary`` the copies are 0/1, so ``x² = x`` and the whole penalty is linear."""
        cost = self.own_cost + self.incentive_cost
        for block in self.blocks():
            cols = self.cols[block].ravel()
            lam = 0.0 if prices.get(block) is None else np.asarray(prices[block]).ravel()
            target = 0.0 if targets.get(block) is None else np.asarray(targets[block]).ravel()
            scale = self.scales[block]
            if binary:
                cost[cols] += scale * lam + 0.5 * self.rho * scale * (scale - 2.0 * target)
            else:
                cost[cols] += scale * lam - self.rho * scale * target
        return cost

    def step(self, prices: dict[str, np.ndarray | None], targets: dict[str, np.ndarray | None],
             rho: float | None = None) -> StepResult:
        """One ADMM step on the continuous relaxation: own cost + λ·v + ρ/2 ||v - v̄||² (a convex QP)."""
        if rho is not None and rho != self.rho:
            self.rho = float(rho)
            hessian = np.zeros(self.lm.num_vars)
            for block in self.blocks():
                hessian[self.cols[block].ravel()] = self.rho * self.scales[block] ** 2
            self.relaxed.set_hessian(hessian)
        result = self.relaxed.solve(self.admm_cost(prices, targets))
        if result.x is None and stop_requested() and getattr(self, "x", None) is not None:
            result.x, result.row_dual = self.x, self.row_dual  # stopping: keep the last step's plan
        if result.x is None:
            raise RuntimeError(f"{self.name} step found no solution ({result.message})")
        self.x = result.x
        self.row_dual = result.row_dual
        self.last_prices, self.last_targets = prices, targets
        return StepResult({b: self.coupling(b) for b in self.blocks()}, float(self.own_cost @ self.x),
                          self.served(self.x))

    def incentive_terms(self, incentive: np.ndarray | None) -> np.ndarray:
        """Objective terms of the leader's incentives (none unless a follower serves orders directly)."""
        return np.zeros(self.lm.num_vars)

    def coupling_scale(self, block: str) -> np.ndarray | float:
        """Units of a coupling block per unit of its column (1 unless a follower says otherwise)."""
        return 1.0

    def coupling(self, block: str) -> np.ndarray:
        """This follower's current copy of ``block`` in the block's units."""
        assert self.x is not None
        cols = self.cols[block]
        return self.x[cols] * self.scales[block].reshape(cols.shape)


class Supply(Follower):
    """Purchases ``x_st ≤ C_s`` and part stock ``I_kt`` so that ``I_kt = I_k,t-1 + Σ_s x_st - R_k c_kt``;
    cost ``Σ c_s x_st + Σ h_k I_kt``."""

    name = "supply"

    def build(self, accepted: np.ndarray) -> tuple[LinearModel, dict[str, np.ndarray]]:
        book, sup, parts_frame = self.book, self.data["suppliers"], self.data["parts"]
        T = book.periods
        self.parts = parts_frame["part"].tolist()  # every part supply keeps
        K, S = len(self.parts), len(sup)
        k_of = {p: k for k, p in enumerate(self.parts)}
        offer_part = sup["part"].map(k_of).to_numpy(np.int64)
        needed = book.part_names()  # the parts block: parts some order needs
        self.needed_index = np.array([k_of[p] for p in needed], dtype=np.int64)
        C = len(needed)
        need_max = book.quantity[accepted] @ book.part_need(needed)[accepted]  # [C]
        lm = LinearModel(name="supply")
        factor = self.data.get("capacity_factor")
        factor = np.ones((S, T)) if factor is None else factor
        x = lm.add_vars("purchase", S * T, 0, (sup["capacity_per_period"].to_numpy(float)[:, None] * factor).ravel(),
                        cost=np.repeat(sup["cost_per_part"].to_numpy(float), T)).reshape(S, T)
        stock = lm.add_vars("part_stock", K * T, cost=np.repeat(parts_frame["holding_cost"].to_numpy(float), T)
                            ).reshape(K, T)
        use = lm.add_vars("use", C * T, 0, np.repeat(need_max, T)).reshape(C, T)
        kt = np.arange(K * T).reshape(K, T)
        rows = np.concatenate([kt.ravel(), kt[:, 1:].ravel(), kt[offer_part].ravel(), kt[self.needed_index].ravel()])
        cols = np.concatenate([stock.ravel(), stock[:, :-1].ravel(), x.ravel(), use.ravel()])
        vals = np.concatenate([np.ones(K * T), -np.ones(K * (T - 1)), -np.ones(S * T), np.ones(C * T)])
        rhs = np.zeros((K, T))
        rhs[:, 0] = parts_frame["initial_inventory"].to_numpy(float)
        self.balance_rows = lm.add_rows("part_balance", K * T, rows, cols, vals, rhs.ravel(), rhs.ravel())
        self.purchase_cols, self.stock_cols, self.offer_part = x, stock, offer_part
        self.cheapest = np.full(K, np.inf)
        np.minimum.at(self.cheapest, offer_part, sup["cost_per_part"].to_numpy(float))
        return lm, {"parts": use}

    def served(self, x: np.ndarray) -> np.ndarray:
        return self.accepted.copy()  # supply serves parts, not orders: it never refuses an accepted order

    def marginal_costs(self) -> np.ndarray:
        """``Δ_i = q_i Σ_k a_ik π_k``, π_k the marginal cost of part k (balance-row duals, at least the
        cheapest offer)."""
        price = self.cheapest.copy()
        if self.row_dual is not None:
            marginal = np.maximum(-self.row_dual[self.balance_rows].reshape(len(self.parts), -1), 0.0)
            price = np.maximum(price, marginal.mean(axis=1))
        price = np.where(np.isfinite(price), price, 0.0)[self.needed_index]
        return self.book.quantity * (self.book.part_need(self.book.part_names()) @ price)

    def offer(self, request: np.ndarray) -> np.ndarray:
        """Supply's answer to production's parts request ``[needed parts, T]`` (per period): the feasible
        delivery plan closest to it, i.e. the cheapest plan among those that fall behind the request's
        cumulative profile as little as possible. Only this plan crosses the boundary, never the
        capacities or prices that shape it."""
        lm, cols = self.build(self.accepted)
        use = cols["parts"]
        C, T = use.shape
        tri_r, tri_c = np.tril_indices(T)
        behind = lm.add_vars("behind", C * T, 0, np.inf, cost=1e4 + 10 * lm.cost.max(initial=0.0) * T)
        rows = (np.arange(C)[:, None] * T + tri_r[None, :]).ravel()
        wanted = np.cumsum(np.maximum(request, 0.0), axis=1).ravel()
        lm.add_rows("request", C * T, np.concatenate([rows, np.arange(C * T)]),
                    np.concatenate([use[:, tri_c].ravel(), behind]), 1.0, lower=wanted)
        lm.add_rows("no_more", C * T, rows, use[:, tri_c].ravel(), 1.0, upper=wanted + 1e-9)
        result = ReusableHighs(lm, relax=True).solve()
        if result.x is None:
            raise RuntimeError(f"supply offer failed: {result.message}")
        return np.maximum(result.x[use] - 1e-7, 0.0)

    def plan(self, consumption: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Cheapest purchases and stock for a fixed consumption ``[K, T]`` (the commit step)."""
        lm, cols = self.build(self.accepted)
        want = consumption
        lm.set_bounds(cols["parts"].ravel(), want.ravel(), want.ravel())
        result = ReusableHighs(lm, relax=True).solve()
        if result.x is None:
            raise RuntimeError(f"supply cannot deliver the committed consumption ({result.message})")
        x = result.x
        return x[self.purchase_cols], x[self.stock_cols], float(lm.cost @ x)


class Production(Follower):
    """Units ``w_ot`` of each operation per period: route ``Σ_{t'≤t} w_{o',t'} ≤ Σ_{t'≤t} w_{o,t'}``,
    ``Σ_t w_ot ≤ q_i z_i``, machine hours ``Σ_o p_o w_ot ≤ ρ_m (C_m - (C_m - C^mnt_m) μ_mt)``;
    coupling: part use ``R_k c_kt = Σ_i a_ik w_first(i),t``, output ``q_i g_it = w_last(i),t``, μ."""

    name = "production"

    def build(self, accepted: np.ndarray) -> tuple[LinearModel, dict[str, np.ndarray]]:
        book, machines = self.book, self.data["machines"].sort_values("machine", kind="stable")
        T, N = book.periods, book.num_orders
        self.machines = machines["machine"].tolist()
        m_of = {m: i for i, m in enumerate(self.machines)}
        op_machine = np.array([m_of[m] for m in book.op_machine], dtype=np.int64)
        O, M = len(op_machine), len(self.machines)
        self.parts = book.part_names()
        K = len(self.parts)
        q = book.quantity
        rate = self.data["cost_per_hour"][book.op_order] * book.op_hours
        lm = LinearModel(name="production")
        w = lm.add_vars("process", O * T, 0, np.repeat(q[book.op_order] * accepted[book.op_order], T),
                        cost=np.repeat(rate, T)).reshape(O, T)
        use = lm.add_vars("use", K * T, 0, np.inf).reshape(K, T)
        out = lm.add_vars("output", N * T, 0, np.repeat(q * accepted, T)).reshape(N, T)
        mu = lm.add_vars("maintain", M * T, 0, 1).reshape(M, T)
        first, last = book.first_ops(), book.last_ops()
        # route, as work in progress between consecutive operations: b_pt = b_p,t-1 + w_ot - w_o't >= 0
        nxt = np.flatnonzero(np.r_[book.op_order[1:] == book.op_order[:-1], False])
        add_route_rows(lm, w, nxt, nxt + 1)
        lm.add_rows("order_quantity", O, np.repeat(np.arange(O), T), w.ravel(), 1.0,
                    upper=q[book.op_order] * accepted[book.op_order])
        cap = machines["capacity_hours"].to_numpy(float)
        cap_m = machines["maintenance_capacity_hours"].to_numpy(float)
        util = machines["max_utilisation"].to_numpy(float)
        factor = self.data.get("capacity_factor")
        factor = np.ones((M, T)) if factor is None else np.asarray(factor)[machines.index.to_numpy()]  # sorted
        mt = np.arange(M * T).reshape(M, T)
        self.machine_rows = lm.add_rows(
            "machine_hours", M * T, np.concatenate([mt[op_machine].ravel(), mt.ravel()]),
            np.concatenate([w.ravel(), mu.ravel()]),
            np.concatenate([np.repeat(book.op_hours, T), ((util * (cap - cap_m))[:, None] * factor).ravel()]),
            upper=((util * cap)[:, None] * factor).ravel())
        need = book.part_need(self.parts)  # [N, K]
        kt = np.arange(K * T).reshape(K, T)
        i_idx, k_idx = np.nonzero(need)
        lm.add_rows("part_use", K * T,
                    np.concatenate([kt.ravel(), kt[k_idx].ravel()]),
                    np.concatenate([use.ravel(), w[first[i_idx]].ravel()]),
                    np.concatenate([np.ones(K * T), -np.repeat(need[i_idx, k_idx], T)]), 0.0, 0.0)
        it = np.arange(N * T).reshape(N, T)
        lm.add_rows("output", N * T, np.concatenate([it.ravel(), it.ravel()]),
                    np.concatenate([out.ravel(), w[last].ravel()]),
                    np.concatenate([np.ones(N * T), -np.ones(N * T)]), 0.0, 0.0)
        self.w, self.op_machine, self.rate, self.last, self.mu_cols = w, op_machine, rate, last, mu
        return lm, {"parts": use, "maintenance": mu, "output": out}

    def served(self, x: np.ndarray) -> np.ndarray:
        made = x[self.w[self.last]].sum(axis=1)
        return self.accepted & (made >= self.book.quantity - 1e-6)

    def machine_prices(self) -> np.ndarray:
        """Shadow price of one machine hour, [M, T] (0 before the first relaxed step)."""
        if self.row_dual is None:
            return np.zeros((len(self.machines), self.book.periods))
        return np.maximum(-self.row_dual[self.machine_rows], 0.0).reshape(len(self.machines), -1)

    def marginal_costs(self) -> np.ndarray:
        """``Δ_i = q_i Σ_o p_o (cost rate_i + η̄_m(o))``, η̄ the mean machine-hour shadow price."""
        eta = self.machine_prices().mean(axis=1)
        per_op = self.book.quantity[self.book.op_order] * self.book.op_hours * (
            self.data["cost_per_hour"][self.book.op_order] + eta[self.op_machine])
        return np.bincount(self.book.op_order, weights=per_op, minlength=self.book.num_orders)

    def commit(self, maintenance: np.ndarray, deliver_by: np.ndarray, part_limit: np.ndarray,
               order_weight: np.ndarray, stock_price: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Processing for a fixed maintenance plan and fixed delivery periods (production's rounding step).

        Every order with ``deliver_by_i ≥ 0`` must be finished by the end of that period (elastic at
        ``order_weight_i`` per missing unit), with cumulative part use within supply's offer
        ``part_limit [K, T]``. The LP minimises production cost plus ``stock_price_t`` per finished
        unit waiting in period ``t`` for its delivery (just in time). An order that misses units is
        given until the end of the horizon (distribution then ships it later); one that misses units
        even then is dropped. Returns ``(w [O, T], kept [N], completion period [N])`` (``-1`` if not kept)."""
        book = self.book
        T, N = book.periods, book.num_orders
        q = book.quantity
        planned = np.asarray(deliver_by).copy()  # the agreed delivery periods; later finishing costs per period late
        kept = (planned >= 0) & self.accepted
        deliver_by = np.where(kept, T - 1, -1)  # every kept order may finish late (distribution then ships later)
        tri_r, tri_c = np.tril_indices(T)
        # waiting cost of one unit finished in t' for an order leaving at d: sum_{t=t'}^{d-1} stock_price_t
        suffix = np.concatenate([np.cumsum(stock_price[::-1])[::-1], [0.0]])  # suffix[t] = sum_{u>=t}
        for _round in range(N + 1):
            lm, cols = self.build(kept)
            lm.fix(cols["maintenance"].ravel(), maintenance.ravel())
            out, use = cols["output"], cols["parts"]
            K = use.shape[0]
            lm.add_rows("part_limit", K * T, (np.arange(K)[:, None] * T + tri_r[None, :]).ravel(),
                        use[:, tri_c].ravel(), 1.0, upper=np.cumsum(part_limit, axis=1).ravel())
            have = np.flatnonzero(kept)
            H = len(have)
            d = np.asarray(deliver_by)[have]
            lm.set_bounds(out[have][np.arange(T)[None, :] > d[:, None]], 0.0, 0.0)  # nothing after it leaves
            wait = np.maximum(suffix[np.arange(T)][None, :] - suffix[np.minimum(planned[have] + 1, T)][:, None], 0.0)
            overdue = np.maximum(np.arange(T)[None, :] - planned[have][:, None], 0)  # periods past the plan
            wait = wait + overdue * (0.1 * order_weight[have] / np.maximum(q[have], 1.0))[:, None]
            lm.add_cost(out[have].ravel(), wait.ravel())
            # a missing unit costs more than any delay of it
            missing = lm.add_vars("missing", H, 0, np.inf,
                                  cost=(1.0 + 0.1 * T) * 10.0 * order_weight[have] / np.maximum(q[have], 1.0))
            lm.add_rows("complete", H, np.concatenate([np.repeat(np.arange(H), T), np.arange(H)]),
                        np.concatenate([out[have].ravel(), missing]), 1.0, lower=q[have])
            result = ReusableHighs(lm, relax=True).solve()
            if result.x is None:
                raise RuntimeError(f"production commit failed: {result.message}")
            x = result.x
            short = np.zeros(N, bool)
            short[have] = x[missing] > 1e-6
            if not short.any():
                made = np.cumsum(x[out], axis=1)
                completion = np.where(kept, np.argmax(made >= q[:, None] - 1e-6, axis=1), -1)
                return np.where(np.abs(x[self.w]) < 1e-9, 0.0, x[self.w]), kept, completion
            kept = kept & ~short
        raise RuntimeError("production commit did not settle")


class Maintenance(Follower):
    """``μ_mt`` ∈ {0, 1}: every window of ``⌊MTTF_m/Δ⌋`` periods holds a maintenance; cost Σ c_m μ_mt."""

    name = "maintenance"

    def build(self, accepted: np.ndarray) -> tuple[LinearModel, dict[str, np.ndarray]]:
        machines = self.data["machines"].sort_values("machine", kind="stable")
        T, M = self.book.periods, len(machines)
        lm = LinearModel(name="maintenance")
        mu = lm.add_vars("maintain", M * T, 0, 1, cost=np.repeat(machines["maintenance_cost"].to_numpy(float), T),
                         integer=True).reshape(M, T)
        add_maintenance_windows(lm, mu, machines["mttf_hours"].to_numpy(float), self.book.period_hours)
        self.mu = mu
        return lm, {"maintenance": mu}

    def served(self, x: np.ndarray) -> np.ndarray:
        return self.accepted.copy()

    def marginal_costs(self) -> np.ndarray:
        """Maintenance is forced by MTTF, not by orders: no order adds to it."""
        return np.zeros(self.book.num_orders)

    def commit(self) -> tuple[np.ndarray, float]:
        """Rounding: the binary plan nearest the consensus at the last prices (``x² = x`` makes the
        ADMM penalty linear, so this is a small MILP). Returns ``(μ [M, T], cost)``."""
        assert self.integer is not None
        result = self.integer.solve(self.admm_cost(self.last_prices, self.last_targets, binary=True))
        if result.x is None:
            raise RuntimeError(f"maintenance commit failed: {result.message}")
        mu = np.round(result.x[self.mu])
        return mu, float(self.own_cost[self.mu.ravel()] @ mu.ravel())


class Inventory(Follower):
    """Finished stock ``S_it = S_i,t-1 + q_i g_it - q_i d_it ≥ 0``, ``Σ_i S_it ≤`` capacity; cost Σ c S."""

    name = "inventory"

    def build(self, accepted: np.ndarray) -> tuple[LinearModel, dict[str, np.ndarray]]:
        book = self.book
        T, N = book.periods, book.num_orders
        q = book.quantity
        lm = LinearModel(name="inventory")
        stock = lm.add_vars("finished", N * T, 0, np.repeat(q * accepted, T),
                            cost=self.data["cost_per_item_period"]).reshape(N, T)
        out = lm.add_vars("output", N * T, 0, np.repeat(q * accepted, T)).reshape(N, T)
        leave = lm.add_vars("delivery", N * T, 0, np.repeat(accepted.astype(float), T)).reshape(N, T)
        it = np.arange(N * T).reshape(N, T)
        lm.add_rows("finished_balance", N * T,
                    np.concatenate([it.ravel(), it[:, 1:].ravel(), it.ravel(), it.ravel()]),
                    np.concatenate([stock.ravel(), stock[:, :-1].ravel(), out.ravel(), leave.ravel()]),
                    np.concatenate([np.ones(N * T), -np.ones(N * (T - 1)), -np.ones(N * T), np.repeat(q, T)]),
                    0.0, 0.0)
        lm.add_rows("leave_once", N, np.repeat(np.arange(N), T), leave.ravel(), 1.0, upper=1.0)
        capacity = self._storage()
        if np.isfinite(self.data["capacity"]):
            self.storage_rows = lm.add_rows("storage", T, np.tile(np.arange(T), N), stock.ravel(), 1.0,
                                            upper=capacity)
        self.stock = stock
        return lm, {"output": out, "delivery": leave}

    def _storage(self) -> np.ndarray:
        """The storage capacity per period ``[T]``."""
        per_period = self.data.get("capacity_per_period")
        return np.full(self.book.periods, float(self.data["capacity"])) if per_period is None else \
            np.asarray(per_period, float)

    def coupling_scale(self, block: str) -> np.ndarray | float:
        return self.book.quantity[:, None] if block == "delivery" else 1.0  # a delivery moves q_i items

    def served(self, x: np.ndarray) -> np.ndarray:
        return self.accepted & (x[self.cols["delivery"]].sum(axis=1) >= 1 - 1e-6)

    def marginal_costs(self) -> np.ndarray:
        """Storage cost of each order's stock in the current plan."""
        if self.x is None:
            return np.zeros(self.book.num_orders)
        return self.data["cost_per_item_period"] * self.x[self.stock].sum(axis=1)

    def check(self, output_units: np.ndarray, deliveries: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """Stock of a committed plan, its cost and the periods over capacity (the commit step)."""
        q = self.book.quantity
        stock = np.cumsum(output_units, axis=1) - np.cumsum(deliveries * q[:, None], axis=1)
        stock = np.where(np.abs(stock) < 1e-7, 0.0, stock)
        over = stock.sum(axis=0) > self._storage() + 1e-6
        return stock, float(self.data["cost_per_item_period"] * stock.sum()), over


class Distribution(Follower):
    """Deliveries ``y_ijt`` ∈ {0, 1} and unmet ``u_i``: ``Σ_{j,t} y_ijt + u_i = z_i``, mode capacity
    ``Σ_i q_i y_ijt ≤ D_jt``; cost transport ``q_i L_i c_j`` plus tardiness ``λ_i (arrival - d_i)^+``
    plus ``U_i u_i``; coupling ``d_it = Σ_j y_ijt``."""

    name = "distribution"

    def build(self, accepted: np.ndarray) -> tuple[LinearModel, dict[str, np.ndarray]]:
        book, tr = self.book, self.data["transport"]
        T, N, J = book.periods, book.num_orders, len(tr)
        q = book.quantity
        _arrival, transport, tardiness = delivery_options(
            book.period_hours, T, q, book.distance_miles, book.deadline_hours, self.data["delay_penalty_per_hour"],
            tr["hours_per_mile"].to_numpy(float), tr["cost_per_item_mile"].to_numpy(float))
        option_cost = transport + tardiness  # [N, J, T]
        lm = LinearModel(name="distribution")
        y = lm.add_vars("deliver", N * J * T, 0, np.repeat(accepted.astype(float), J * T), cost=option_cost.ravel(),
                        integer=True).reshape(N, J, T)
        u = lm.add_vars("unmet", N, 0, accepted.astype(float), cost=self.data["unmet_penalty"], integer=True)
        leave = lm.add_vars("delivery", N * T, 0, 1).reshape(N, T)
        lm.add_rows("deliver_once", N, np.concatenate([np.repeat(np.arange(N), J * T), np.arange(N)]),
                    np.concatenate([y.ravel(), u]), 1.0, lower=accepted.astype(float), upper=accepted.astype(float))
        it = np.arange(N * T).reshape(N, T)
        lm.add_rows("leave", N * T, np.concatenate([it.ravel(), np.repeat(it[:, None, :], J, axis=1).ravel()]),
                    np.concatenate([leave.ravel(), y.ravel()]), np.concatenate([np.ones(N * T), -np.ones(N * J * T)]),
                    0.0, 0.0)
        jt = np.arange(J * T).reshape(J, T)
        factor = self.data.get("capacity_factor")
        factor = np.ones((J, T)) if factor is None else factor
        lm.add_rows("transport", J * T, np.tile(jt.ravel(), N), y.ravel(), np.repeat(q, J * T),
                    upper=(tr["capacity_per_period"].to_numpy(float)[:, None] * factor).ravel())
        self.y, self.u, self.option_cost = y, u, option_cost
        return lm, {"delivery": leave}

    def coupling_scale(self, block: str) -> np.ndarray | float:
        return self.book.quantity[:, None]  # the delivery block counts items: q_i per delivery

    def incentive_terms(self, incentive: np.ndarray | None) -> np.ndarray:
        """The leader pays ``π_i`` per delivered order: ``-π_i Σ_{j,t} y_ijt``."""
        terms = np.zeros(self.lm.num_vars)
        if incentive is not None:
            terms[self.y.ravel()] = -np.repeat(np.asarray(incentive, float), self.y.shape[1] * self.y.shape[2])
        return terms

    def served(self, x: np.ndarray) -> np.ndarray:
        return self.accepted & (x[self.y].sum(axis=(1, 2)) >= 1 - 1e-6)

    def marginal_costs(self) -> np.ndarray:
        """Delivered orders: their delivery cost; accepted but unmet: the unmet penalty; others: the cheapest
        option that arrives by the deadline (or the cheapest at all)."""
        cheapest = self.option_cost.reshape(self.book.num_orders, -1).min(axis=1)
        if self.x is None:
            return cheapest
        chosen = (self.x[self.y] * self.option_cost).sum(axis=(1, 2))
        unmet = self.x[self.u] * self.data["unmet_penalty"]
        return np.where(self.accepted, chosen + unmet, cheapest)

    def commit(self, kept: np.ndarray, earliest: np.ndarray | None = None) -> np.ndarray:
        """Rounding: one delivery (mode, period) for each kept order, under the mode capacities,
        minimising own cost minus incentives plus the consensus terms ``q_i λ_it - ρ q_i v̄_it`` (the
        binary form of the ADMM penalty without its constant, which is the same for every period),
        so each order leaves where the agreed plan moves it; with ``earliest`` (production's
        completion periods) no order leaves before it is finished. Orders capacity cannot carry get
        no delivery. Returns ``y [N, J, T]`` (0/1)."""
        lm, _cols = self.build(np.asarray(kept, bool))
        if earliest is not None:
            T = self.book.periods
            too_early = np.arange(T)[None, :] < np.asarray(earliest)[:, None]
            lm.set_bounds(self.y[np.repeat(too_early[:, None, :], self.y.shape[1], axis=1)], 0.0, 0.0)
        q = self.book.quantity
        lam = self.last_prices.get("delivery")
        target = self.last_targets.get("delivery")
        cost = lm.cost + self.incentive_cost
        per_period = np.zeros((self.book.num_orders, self.book.periods))
        if lam is not None:
            per_period += q[:, None] * lam
        if target is not None:
            per_period -= self.rho * q[:, None] * target
        cost[self.y.ravel()] += np.repeat(per_period[:, None, :], self.y.shape[1], axis=1).ravel()
        cost[self.u] = np.where(np.asarray(kept, bool), 1e3 + np.abs(cost[self.y.ravel()]).max(initial=0.0), 0.0)
        lm.add_cost(np.arange(lm.num_vars), cost - lm.cost)
        result = ReusableHighs(lm, mip_gap=1e-6, time_limit=60.0).solve()
        if result.x is None:
            raise RuntimeError(f"distribution commit failed: {result.message}")
        self.committed = np.round(result.x[self.y])
        return self.committed

    def ship(self, kept: np.ndarray) -> tuple[np.ndarray, float]:
        """The committed deliveries of the orders finally kept, and their cost."""
        y = self.committed * np.asarray(kept, bool)[:, None, None]
        return y, float((y * self.option_cost).sum())


AGENT_CLASSES: dict[str, type[Follower]] = {"supply": Supply, "production": Production, "maintenance": Maintenance,
                                             "inventory": Inventory, "distribution": Distribution}
