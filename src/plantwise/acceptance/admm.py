r"""Game-based distributed order acceptance: a Stackelberg leader over five ADMM followers (document 003).

**Leader** (the market; holds the revenues). Outer iteration ``v`` solves the master MILP

.. math::

    \max_{z ∈ \{0,1\}^N, θ ≥ 0} \sum_i r_i z_i - \sum_a θ_a
    \quad\text{s.t.}\quad θ_a ≥ C^u_a + \sum_i Δ^u_{ai} (z_i - z^u_i) \;\; ∀ u < v
    \;\text{(logic-based Benders optimality cuts)},

.. math::

    \sum_{i ∈ A^u} (1 - z_i) ≥ 1 \;\text{for every set } A^u \text{ not served in full (no-good cuts)},
    \qquad \sum_{i ∈ B} (1 - z_i) + \sum_{i ∉ B} z_i ≤ k \;\text{(trust region around the best set } B),

where ``C^u_a`` is follower ``a``'s cost of serving the set ``z^u`` and ``Δ^u_{ai}`` its
estimate of what order ``i`` adds to it (its own cost rates plus the shadow prices of its
own capacities). Before any follower has answered, the Δ are the followers' estimates from
the order features alone (the document's initial guess) and the first set is the orders
whose revenue exceeds them. The leader's incentive to follower ``a`` is ``Σ_{i∈z} Δ_ai``.

**Followers** (:mod:`plantwise.acceptance.agents`) answer a set ``z`` with the inner loop,
consensus ADMM on the coupling blocks: each step every follower minimises, on its continuous
relaxation, its own cost plus ``λ·v + ρ/2 ||v - v̄||²`` (a convex QP); the coordinator
averages the two copies of each block (``v̄ = (v_A + v_B)/2``) and updates
``λ_A += ρ (v_A - v̄)``. The primal residual is the RMS of ``v - v̄``, the dual residual the
RMS of ``v̄^k - v̄^{k-1}`` (natural units: parts, items, maintenance indicators; the ρ-scaled
dual residual is ρ times it). The loop stops when both are below the inner threshold, or
at ``max_inner``. ρ starts at ``settings.rho`` and is residual-balanced (×2 when the primal
residual is ten times the dual, ÷2 in the opposite case); it carries over to the next
leader move, as do the prices and each follower's last plan (warm starts).

**Commit** (integer decisions, exact consistency): maintenance rounds its plan (a small MILP
with the linear form of the ADMM terms for 0/1 copies); distribution picks one (mode,
period) per order the followers agreed to make, steered by the consensus; production states
the parts it needs for those dates and supply answers with the closest plan it can keep;
production plans exactly within it (each order by its date if it can, else as early as it
can); distribution re-times what finishes late; inventory checks its capacity (raising its
stock price where it overflows, then dropping the lowest-priority order); supply buys
exactly what production uses. The leader accepts the delivered orders. The result is a plan
every follower has checked against its own constraints; its profit is evaluated exactly.

The outer loop stops when the leader's Lagrangian (its master objective) changes by less
than the outer threshold (relative), when the master repeats a set, or at ``max_outer``.
The best plan found is returned. Everything is deterministic: followers solve with HiGHS on
one thread, in a fixed order of messages, on either executor.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from plantwise.acceptance.agents import AGENT_CLASSES, BLOCKS, FOLLOWERS, order_book, private_data
from plantwise.acceptance.arrays import PlanArrays, to_plan
from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.model import indices
from plantwise.acceptance.plan import AcceptancePlan
from plantwise.core.backends.highs import ReusableHighs
from plantwise.core.executors import AgentPool
from plantwise.core.interrupt import shielded, stop_requested
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress


@dataclass(frozen=True)
class AdmmSettings:
    """``rho`` the ADMM penalty (the document's choice is 100); ``inner_tolerance`` the residual
    threshold of the inner loop (RMS, in the blocks' natural units); ``outer_tolerance`` the relative change of
    the leader's Lagrangian that ends the outer loop; iteration caps; ``trust_region`` the most
    orders the leader may flip per outer iteration (default ``max(2, N // 10)``); ``executor``
    ``serial`` (in-process) or ``ray`` (one actor per follower) and ``num_cpus`` for Ray."""

    rho: float = 100.0
    inner_tolerance: float = 0.01
    outer_tolerance: float = 0.001
    max_inner: int = 200
    max_outer: int = 8
    trust_region: int | None = None
    adaptive_rho: bool = True
    executor: str = "serial"
    num_cpus: int | None = None
    record_messages: bool = False


class AgentHost:
    """Wraps one follower for the pool: every method takes and returns coupling values, prices,
    costs and per-order estimates only."""

    def __init__(self, name: str, book: Any, data: dict[str, Any]) -> None:
        self.agent = AGENT_CLASSES[name](book, data)

    def setup(self, accepted: np.ndarray, rho: float, incentive: np.ndarray | None = None) -> tuple[str, ...]:
        self.agent.setup(accepted, rho, incentive)
        return self.agent.blocks()


    def step(self, prices: dict[str, np.ndarray | None], targets: dict[str, np.ndarray | None],
             rho: float) -> dict[str, Any]:
        r = self.agent.step(prices, targets, rho)
        return {"coupling": r.coupling, "cost": r.cost, "served": r.served}

    def estimates(self) -> np.ndarray:
        return self.agent.marginal_costs()

    # --- commit messages ------------------------------------------------------------------
    def parts_offer(self, request: np.ndarray) -> np.ndarray:
        return self.agent.offer(request)

    def commit_maintenance(self) -> dict[str, Any]:
        mu, cost = self.agent.commit()
        return {"maintain": mu, "cost": cost}

    def commit_production(self, maintenance: np.ndarray, deliver_by: np.ndarray, part_limit: np.ndarray,
                          weights: np.ndarray, stock_price: np.ndarray) -> dict[str, Any]:
        w, kept, completion = self.agent.commit(maintenance, deliver_by, part_limit, weights, stock_price)
        cost = float((self.agent.rate[:, None] * w).sum())
        book = self.agent.book
        consumption = book.part_need(self.agent.parts).T @ w[book.first_ops()]  # [K, T]
        return {"process": w, "kept": kept, "completion": completion, "cost": cost, "consumption": consumption,
                "output": w[book.last_ops()]}

    def commit_distribution(self, kept: np.ndarray, earliest: np.ndarray | None = None) -> np.ndarray:
        return self.agent.commit(kept, earliest)

    def ship(self, kept: np.ndarray) -> dict[str, Any]:
        y, cost = self.agent.ship(kept)
        return {"deliver": y, "cost": cost}

    def commit_inventory(self, output: np.ndarray, deliveries: np.ndarray) -> dict[str, Any]:
        stock, cost, over = self.agent.check(output, deliveries)
        return {"stock": stock, "cost": cost, "over": over}

    def supply_cost(self, consumption: np.ndarray) -> float:
        return self.agent.plan(consumption)[2]

    def publish_supply(self, consumption: np.ndarray) -> dict[str, Any]:
        purchase, stock, cost = self.agent.plan(consumption)
        return {"purchase": purchase, "stock": stock, "cost": cost}


def _rms(values: list[np.ndarray]) -> float:
    flat = np.concatenate([v.ravel() for v in values]) if values else np.zeros(0)
    return float(np.sqrt(np.mean(flat ** 2))) if flat.size else 0.0


class Leader:
    """The market: revenues (private), the master MILP with optimality, no-good and trust-region rows."""

    def __init__(self, revenue: np.ndarray, trust_region: int) -> None:
        self.revenue = revenue
        self.trust_region = trust_region
        self.cuts: list[tuple[str, float, np.ndarray, np.ndarray]] = []  # (agent, C, Δ, z)
        self.nogoods: list[np.ndarray] = []

    def add_cut(self, agent: str, cost: float, delta: np.ndarray, z: np.ndarray) -> None:
        self.cuts.append((agent, float(cost), np.asarray(delta, float), np.asarray(z, float)))

    def add_nogood(self, accepted: np.ndarray) -> None:
        self.nogoods.append(np.asarray(accepted, bool))

    def master(self, estimates: dict[str, np.ndarray], best: np.ndarray | None) -> tuple[np.ndarray, float,
                                                                                        dict[str, float]]:
        """The next set, the leader's Lagrangian (master objective) and each follower's θ."""
        N = len(self.revenue)
        agents = list(FOLLOWERS)
        lm = LinearModel(name="leader")
        z = lm.add_vars("accept", N, 0, 1, cost=-self.revenue, integer=True)
        theta = lm.add_vars("theta", len(agents), 0, np.inf, cost=1.0)
        if not self.cuts:  # before any answer: the followers' feature-based estimates
            for a, agent in enumerate(agents):
                lm.add_rows(f"estimate_{agent}", 1, np.zeros(N + 1, np.int64), np.r_[theta[a], z],
                            np.r_[1.0, -estimates[agent]], lower=0.0)
        for c, (agent, cost, delta, z0) in enumerate(self.cuts):
            a = agents.index(agent)
            lm.add_rows(f"cut_{c}", 1, np.zeros(N + 1, np.int64), np.r_[theta[a], z], np.r_[1.0, -delta],
                        lower=cost - float(delta @ z0))
        for g, accepted in enumerate(self.nogoods):
            members = np.flatnonzero(accepted)
            lm.add_rows(f"nogood_{g}", 1, np.zeros(len(members), np.int64), z[members], -1.0,
                        lower=1.0 - len(members))
        if best is not None:
            inside = best.astype(bool)
            coef = np.where(inside, -1.0, 1.0)
            lm.add_rows("trust_region", 1, np.zeros(N, np.int64), z, coef,
                        upper=self.trust_region - float(inside.sum()))
        result = ReusableHighs(lm, mip_gap=1e-9).solve()
        if result.x is None:
            return (best if best is not None else np.zeros(N, bool)), float("nan"), {}
        x = result.x
        return (np.round(x[z]) > 0.5), float(-result.objective), {a: float(x[theta[i]]) for i, a in enumerate(agents)}


def solve_admm(inst: AcceptanceInstance, options: SolveOptions, settings: AdmmSettings) -> AcceptancePlan:
    """The two-loop game-based ADMM of the module docstring."""
    t0 = time.perf_counter()
    book = order_book(inst)
    private = private_data(inst)
    N = book.num_orders
    revenue = inst.orders["revenue"].to_numpy(float)
    trust = settings.trust_region or max(2, N // 10)
    leader = Leader(revenue, trust)
    history: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    evaluated: list[np.ndarray] = []
    prev_lagrangian: float | None = None
    stop_reason = "max_outer"
    total_inner = 0
    last_residuals = (float("nan"), float("nan"))
    agents = {name: (AgentHost, (name, book, private[name])) for name in FOLLOWERS}
    rho = settings.rho  # carried from one leader move to the next (residual balancing may change it)
    with AgentPool(agents, settings.executor, num_cpus=settings.num_cpus, record=settings.record_messages) as pool:
        pool.phase = "game"
        everyone = np.ones(N, dtype=bool)
        pool.call("setup", {a: (everyone, settings.rho) for a in FOLLOWERS})
        estimates = pool.call("estimates", {a: () for a in FOLLOWERS})
        targets: dict[str, np.ndarray] = {}
        prices: dict[tuple[str, str], np.ndarray] = {}
        for outer in range(1, settings.max_outer + 1):
            z, lagrangian, theta = leader.master(estimates, None if best is None else best["delivered"])
            if any(np.array_equal(z, e) for e in evaluated):
                stop_reason = "repeated set"
                break
            evaluated.append(z.copy())
            incentive = np.where(z, revenue, 0.0)  # the leader's payment per delivered order
            pool.call("setup", {a: (z, rho) for a in FOLLOWERS if a != "distribution"}
                      | {"distribution": (z, rho, incentive)})
            if not prices:
                prices = _initial_prices(book, estimates)
            inner_rows, targets, prices, last_residuals, rho = _inner_loop(pool, settings, targets, prices, outer, rho)
            total_inner += len(inner_rows)
            history.extend(inner_rows)
            with shielded():  # a stop during the inner loop still commits this move into a plan
                estimates = pool.call("estimates", {a: () for a in FOLLOWERS})
                plan = _commit(pool, book, z, revenue, estimates, targets)
            delivered = plan["delivered"]
            if not np.array_equal(delivered, z):
                leader.add_nogood(z)
            for a in FOLLOWERS:
                leader.add_cut(a, plan["costs"][a], estimates[a], delivered)
            incentives = {a: float(estimates[a][delivered].sum()) for a in FOLLOWERS}
            history.append({"kind": "outer", "outer": outer, "inner": len(inner_rows), "accepted": int(z.sum()),
                            "delivered": int(delivered.sum()), "profit": plan["profit"],
                            "leader_lagrangian": lagrangian,
                            **{f"cost_{a}": plan["costs"][a] for a in FOLLOWERS},
                            **{f"incentive_{a}": incentives[a] for a in FOLLOWERS},
                            **{f"theta_{a}": theta.get(a) for a in FOLLOWERS}})
            if best is None or plan["profit"] > best["profit"] + 1e-9:
                best = {**plan, "outer": outer, "incentives": incentives}
            if options.progress is not None:  # the minimised objective, as every family reports it
                options.progress(Progress(time.perf_counter() - t0, -best["profit"], None, f"leader move {outer}"))
            if prev_lagrangian is not None and abs(lagrangian - prev_lagrangian) <= settings.outer_tolerance * max(
                    1.0, abs(prev_lagrangian)):
                stop_reason = "leader lagrangian converged"
                break
            prev_lagrangian = lagrangian
            if options.time_limit is not None and time.perf_counter() - t0 > options.time_limit:
                stop_reason = "time limit"
                break
            if stop_requested():
                stop_reason = "interrupted"
                break
        assert best is not None
        # publication: the game is over; each follower hands over its part of the chosen plan
        pool.phase = "publish"
        with shielded():  # publication completes the plan, also after a stop
            published = pool.call("publish_supply", {"supply": (best["consumption"],)})["supply"]
        messages = pool.messages
    best["arrays"].purchase, best["arrays"].part_stock = published["purchase"], published["stock"]
    best["arrays"] = best["arrays"].cleaned()
    seconds = time.perf_counter() - t0
    ix = indices(inst)
    arrays = best["arrays"]
    total_incentive = sum(best["incentives"].values()) or 1.0
    summary: dict[str, object] = {
        "method": "admm", "instance": inst.name, "checksum": inst.checksum(),
        "status": "feasible", "profit": round(best["profit"], 6), "revenue": round(best["revenue"], 6),
        "objective": round(best["profit"], 6), "bound": None, "gap": None,
        "accepted_orders": [o for o, d in zip(book.orders, best["delivered"], strict=True) if d],
        "cost_per_agent": {a: round(v, 6) for a, v in best["costs"].items()},
        "incentives": {a: round(v, 6) for a, v in best["incentives"].items()},
        "incentive_shares": {a: round(v / total_incentive, 6) for a, v in best["incentives"].items()},
        "solve_seconds": round(seconds, 3),
        "iterations": {"outer": len([h for h in history if h.get("kind") == "outer"]), "inner": total_inner,
                       "best_outer": best["outer"]},
        "final_residuals": {"primal": last_residuals[0], "dual": last_residuals[1],
                            "dual_scaled": last_residuals[1] * settings.rho},
        "stop_reason": stop_reason,
        "settings": {k: v for k, v in asdict(settings).items() if k != "record_messages"},
    }
    out = to_plan(inst, ix, arrays, summary)
    out.history = pd.DataFrame(history)
    if settings.record_messages:
        out.summary["_messages"] = messages  # removed by callers before saving; for the privacy tests
    return out


Prices = dict[tuple[str, str], np.ndarray]


def _inner_loop(pool: AgentPool, settings: AdmmSettings, targets: dict[str, np.ndarray], prices: Prices,
                outer: int, rho: float) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], Prices,
                                                  tuple[float, float], float]:
    """Consensus ADMM on the followers' continuous relaxations until both residuals are below the
    inner threshold (or ``max_inner``), starting from penalty ``rho``; returns the last ρ too."""
    rows: list[dict[str, Any]] = []
    primal = dual = float("nan")
    for k in range(1, settings.max_inner + 1):
        if stop_requested() and k > 1:
            break
        args = {a: ({b: prices.get((a, b)) for b in _held(a)}, {b: targets.get(b) for b in _held(a)}, rho)
                for a in FOLLOWERS}
        with shielded():  # one ADMM iteration is short: a stop takes effect at the next one
            replies = pool.call("step", args)
        new_targets = {b: 0.5 * (replies[h[0]]["coupling"][b] + replies[h[1]]["coupling"][b])
                       for b, h in BLOCKS.items()}
        primal = _rms([replies[a]["coupling"][b] - new_targets[b] for b, h in BLOCKS.items() for a in h])
        dual = _rms([new_targets[b] - targets[b] for b in BLOCKS]) if targets else float("inf")
        for b, holders in BLOCKS.items():
            for a in holders:
                lam = prices.get((a, b))
                lam = np.zeros_like(new_targets[b]) if lam is None else lam
                prices[(a, b)] = lam + rho * (replies[a]["coupling"][b] - new_targets[b])
        targets = new_targets
        rows.append({"kind": "inner", "outer": outer, "inner": k, "rho": rho, "primal_residual": primal,
                     "dual_residual": dual, **{f"cost_{a}": replies[a]["cost"] for a in FOLLOWERS},
                     **{f"served_{a}": int(np.sum(replies[a]["served"])) for a in FOLLOWERS}})
        if primal <= settings.inner_tolerance and dual <= settings.inner_tolerance:
            break
        if settings.adaptive_rho and np.isfinite(dual):  # residual balancing (Boyd et al. 2011, §3.4.1)
            if primal > 10.0 * dual:
                rho = min(rho * 2.0, settings.rho * 1e3)
            elif dual > 10.0 * primal:
                rho = max(rho / 2.0, settings.rho * 1e-3)
    return rows, targets, prices, (primal, dual), rho


def _initial_prices(book: Any, estimates: dict[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
    """Starting duals from the followers' per-order estimates: the downstream holder of a block pays
    the upstream holder its estimated cost per item (finished items at supply plus production,
    delivered items plus storage), the same in every period; parts start at zero (no follower
    quotes a part price)."""
    T, q = book.periods, book.quantity
    per_item_output = (estimates["supply"] + estimates["production"]) / q
    per_item_delivery = per_item_output + estimates["inventory"] / q
    start = {"output": (np.repeat(per_item_output[:, None], T, axis=1), "production"),
             "delivery": (np.repeat(per_item_delivery[:, None], T, axis=1), "inventory")}
    prices = {}
    for block, (price, upstream) in start.items():
        for holder in BLOCKS[block]:
            prices[(holder, block)] = -price if holder == upstream else price.copy()
    return prices


def _held(agent: str) -> list[str]:
    return [b for b, holders in BLOCKS.items() if agent in holders]


def _commit(pool: AgentPool, book: Any, z: np.ndarray, revenue: np.ndarray, estimates: dict[str, np.ndarray],
            targets: dict[str, np.ndarray]) -> dict[str, Any]:
    """The commit of the module docstring: an exactly consistent plan for (part of) the set ``z``."""
    q, T = book.quantity, book.periods
    mnt = pool.call("commit_maintenance", {"maintenance": ()})["maintenance"]
    unlimited = np.full((len(book.part_names()), T), np.inf)
    made = np.maximum(targets["output"], 0.0).sum(axis=1)
    kept = z & (made >= 0.5 * q)  # orders the followers agreed to make (rounding of the relaxation)
    schedule = pool.call("commit_distribution", {"distribution": (kept,)})["distribution"]  # [N, J, T]
    leaves = schedule.sum(axis=(1, 2)) > 0.5
    deliver_by = np.where(kept & leaves, schedule.sum(axis=1).argmax(axis=1), -1)
    value = revenue - sum(estimates.values())
    rank = np.argsort(np.argsort(value, kind="stable"), kind="stable")
    weights = 1_000.0 * (1.0 + rank / max(len(rank), 1))  # the leader's priorities, not its revenues
    stock_price = np.full(T, 1e-2)
    for attempt in range(3 * len(z) + 3):
        # production states the parts it wants for this plan; supply answers with the closest plan it can keep
        wish = pool.call("commit_production", {"production": (mnt["maintain"], deliver_by, unlimited, weights,
                                                               stock_price)})["production"]
        offer = pool.call("parts_offer", {"supply": (wish["consumption"],)})["supply"]
        prod = pool.call("commit_production", {"production": (mnt["maintain"], deliver_by, offer, weights, stock_price)}
                         )["production"]
        kept = prod["kept"]
        if np.any(kept & (prod["completion"] > deliver_by)):  # finished later than planned: ship later
            schedule = pool.call("commit_distribution", {"distribution": (kept, prod["completion"])})["distribution"]
            leaves = schedule.sum(axis=(1, 2)) > 0.5
            deliver_by = np.where(kept & leaves, schedule.sum(axis=1).argmax(axis=1), -1)
            if np.any(kept & ~leaves):  # no transport for some: plan production without them
                continue
            # otherwise production's plan stands: every kept order is finished by its (new) delivery period
        periods = schedule.sum(axis=1) * kept[:, None]  # [N, T]
        inv = pool.call("commit_inventory", {"inventory": (prod["output"], periods)})["inventory"]
        if not inv["over"].any():
            break
        if attempt % 3 < 2:  # storage overflow: inventory raises its price where it overflows
            stock_price = np.where(inv["over"], stock_price * 100.0 + 1.0, stock_price)
            continue
        t = int(np.flatnonzero(inv["over"])[0])  # still over: drop the lowest-priority holder
        holding = np.flatnonzero(inv["stock"][:, t] > 1e-9)
        deliver_by = deliver_by.copy()
        deliver_by[holding[np.argmin(weights[holding])]] = -1
    else:
        raise RuntimeError("commit did not settle")
    dist = pool.call("ship", {"distribution": (kept,)})["distribution"]
    supply_cost = pool.call("supply_cost", {"supply": (prod["consumption"],)})["supply"]
    costs = {"supply": supply_cost, "production": prod["cost"], "maintenance": mnt["cost"], "inventory": inv["cost"],
             "distribution": dist["cost"]}
    delivered = kept.astype(bool)
    rev = float(revenue[delivered].sum())
    parts = (None, None)  # supply's purchases stay with supply until the final plan is published
    arrays = PlanArrays(delivered.astype(float), np.zeros(len(z)), *parts, prod["process"], inv["stock"],
                        dist["deliver"], mnt["maintain"])
    return {"delivered": delivered, "costs": costs, "revenue": rev, "profit": rev - sum(costs.values()),
            "arrays": arrays, "consumption": prod["consumption"]}
