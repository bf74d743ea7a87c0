r"""The centralized order-acceptance MILP (document 003, the integrated model of its ref. [12]).

Periods ``t = 0..T-1`` of ``Δ`` hours. Orders ``i`` with quantity ``q_i``, revenue ``r_i``,
deadline ``d_i``; operations ``o`` (order ``i(o)``, machine ``m(o)``, hours per unit
``p_o``, route order within the order); parts ``k`` (``a_ik`` per unit); supplier offers
``s`` (part ``k(s)``, capacity ``C_s`` per period, cost ``c_s``); machines ``m``; transport
modes ``j``.

Variables: accept ``z_i`` ∈ {0,1}; unmet ``u_i`` ∈ {0,1}; purchases ``x_st ≥ 0``; part
stock ``I_kt ≥ 0``; units processed ``w_ot ≥ 0``; finished stock ``S_it ≥ 0``; delivery
``y_ijt`` ∈ {0,1} (order ``i`` leaves by mode ``j`` at the end of period ``t``);
maintenance ``μ_mt`` ∈ {0,1}.

.. math::

    \max \sum_{i,j,t} r_i y_{ijt} - \Big[ \sum_{s,t} c_s x_{st} + \sum_{k,t} h_k I_{kt} \Big]_{supply}
         - \Big[ \sum_{o,t} \pi_{i(o)} p_o w_{ot} \Big]_{production}
         - \Big[ \sum_{m,t} c^{mnt}_m μ_{mt} \Big]_{maintenance}
         - \Big[ \sum_{i,t} c^{sto} S_{it} \Big]_{inventory}
         - \Big[ \sum_{i,j,t} (q_i L_i c_j + λ_i (t_{ijt}^{arr} - d_i)^+) y_{ijt} + \sum_i U_i u_i \Big]_{distribution}

subject to

* parts: ``I_kt = I_k,t-1 + Σ_{s: k(s)=k} x_st - Σ_i a_ik w_{first(i),t}``, ``x_st ≤ f_st C_s``;
* route: ``Σ_{t'≤t} w_{o',t'} ≤ Σ_{t'≤t} w_{o,t'}`` for consecutive operations ``o, o'``
  (a unit may pass to the next operation within the period: the model is a
  period-level plan, not a sequence), written sparsely with work in progress
  ``b_ot = b_o,t-1 + w_ot - w_o't ≥ 0``;
* produce at most the order: ``Σ_t w_ot ≤ q_i z_i``;
* machine hours: ``Σ_{o: m(o)=m} p_o w_ot ≤ ρ_m f_mt (C_m - (C_m - C^{mnt}_m) μ_mt)``;
* maintenance before the mean time to failure: every window of ``⌊MTTF_m / Δ⌋``
  consecutive periods holds at least one ``μ_mt = 1``;
* finished stock: ``S_it = S_i,t-1 + w_{last(i),t} - q_i Σ_j y_ijt``;
  ``Σ_i S_it ≤ f_t`` · storage capacity;
* delivery: ``Σ_{j,t} y_ijt + u_i = z_i`` (an accepted order is delivered once, whole, or
  counted unmet); ``Σ_i q_i y_ijt ≤ f_jt`` · the mode's capacity per period;
* arrival ``t^{arr}_{ijt} = (t + 1) Δ + L_i h_j`` (``L_i`` miles, ``h_j`` hours per mile),
  so the tardiness cost of each delivery option is a constant ``λ_i (t^{arr} - d_i)^+``.

The factors ``f`` (1 unless ``capacity_factors.csv`` says otherwise, see
:mod:`plantwise.acceptance.instance`) scale a capacity in single periods.

Revenue is earned on delivery; an accepted order that is never delivered earns nothing
and costs its unmet penalty ``U_i``. Solved by HiGHS as ``min cost - revenue``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.core.linear import LinearModel

AGENTS = ("supply", "production", "maintenance", "inventory", "distribution")


@dataclass
class Indices:
    """Flattened index sets of an instance, built once."""

    orders: list[str]
    op_order: np.ndarray  # [O]
    op_machine: np.ndarray  # [O]
    op_hours: np.ndarray  # [O]
    op_first: np.ndarray  # [O] bool
    op_last: np.ndarray  # [O] bool
    op_next: np.ndarray  # [O] next operation of the same order, -1 at the end
    parts: list[str]
    need_order: np.ndarray  # [E] order of each (order, part) need
    need_part: np.ndarray  # [E]
    need_per_unit: np.ndarray  # [E]
    offer_part: np.ndarray  # [S]
    machines: list[str]
    modes: list[str]
    T: int


def indices(inst: AcceptanceInstance) -> Indices:
    orders = inst.order_ids
    o_idx = {o: i for i, o in enumerate(orders)}
    machines = inst.machines["machine"].tolist()
    m_idx = {m: i for i, m in enumerate(machines)}
    parts = inst.parts["part"].tolist()
    p_idx = {p: i for i, p in enumerate(parts)}
    ops = inst.operations
    op_order = ops["order"].map(o_idx).to_numpy(np.int64)
    steps = ops["step"].to_numpy(np.int64)
    last_step = ops.groupby("order")["step"].transform("max").to_numpy(np.int64)
    op_next = np.where(steps < last_step, np.arange(len(ops)) + 1, -1)  # sorted by (order, step)
    return Indices(
        orders=orders, op_order=op_order, op_machine=ops["machine"].map(m_idx).to_numpy(np.int64),
        op_hours=ops["hours_per_unit"].to_numpy(float), op_first=steps == 1, op_last=steps == last_step,
        op_next=op_next, parts=parts,
        need_order=inst.order_parts["order"].map(o_idx).to_numpy(np.int64),
        need_part=inst.order_parts["part"].map(p_idx).to_numpy(np.int64),
        need_per_unit=inst.order_parts["per_unit"].to_numpy(float),
        offer_part=inst.suppliers["part"].map(p_idx).to_numpy(np.int64),
        machines=machines, modes=inst.transport["mode"].tolist(), T=inst.num_periods,
    )


def delivery_options(period_hours: float, periods: int, quantity: np.ndarray, distance: np.ndarray,
                     deadline: np.ndarray, delay_penalty: np.ndarray, hours_per_mile: np.ndarray,
                     cost_per_item_mile: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival hour ``(t+1)Δ + L_i h_j``, transport cost ``q_i L_i c_j`` and tardiness cost
    ``λ_i (arrival - d_i)^+`` of each (order, mode, period) delivery option, each ``[N, J, T]``."""
    t = np.arange(periods)
    arrival = (t[None, None, :] + 1) * period_hours + distance[:, None, None] * hours_per_mile[None, :, None]
    transport = np.broadcast_to((quantity * distance)[:, None, None] * cost_per_item_mile[None, :, None],
                                arrival.shape).copy()
    tardiness = delay_penalty[:, None, None] * np.maximum(arrival - deadline[:, None, None], 0.0)
    return arrival, transport, tardiness


def delivery_terms(inst: AcceptanceInstance, ix: Indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`delivery_options` of an instance."""
    o, tr = inst.orders, inst.transport
    return delivery_options(inst.period_hours, ix.T, o["quantity"].to_numpy(float), o["distance_miles"].to_numpy(float),
                            o["deadline_hours"].to_numpy(float), o["delay_penalty_per_hour"].to_numpy(float),
                            tr["hours_per_mile"].to_numpy(float), tr["cost_per_item_mile"].to_numpy(float))


def add_route_rows(lm: LinearModel, w: np.ndarray, upstream: np.ndarray, downstream: np.ndarray) -> np.ndarray:
    """Route precedence with work-in-progress variables (sparse): ``b_pt = b_p,t-1 + w_ot - w_o't ≥ 0``
    for each pair ``p = (o, o')`` of consecutive operations, i.e. cumulative units at ``o'`` never
    exceed those at ``o`` (a unit may pass on within its period). Returns the WIP columns ``[P, T]``."""
    P, T = len(upstream), w.shape[1]
    wip = lm.add_vars("wip", P * T).reshape(P, T)
    pt = np.arange(P * T).reshape(P, T)
    lm.add_rows("route", P * T, np.concatenate([pt.ravel(), pt[:, 1:].ravel(), pt.ravel(), pt.ravel()]),
                np.concatenate([wip.ravel(), wip[:, :-1].ravel(), w[upstream].ravel(), w[downstream].ravel()]),
                np.concatenate([np.ones(P * T), -np.ones(P * (T - 1)), -np.ones(P * T), np.ones(P * T)]), 0.0, 0.0)
    return wip


def add_maintenance_windows(lm: LinearModel, mu: np.ndarray, mttf_hours: np.ndarray, period_hours: float) -> None:
    """Maintenance before failure: with ``L_m = max(1, ⌊MTTF_m/Δ⌋)``, every ``L_m`` consecutive periods
    hold a ``μ_mt = 1`` (machines with ``L_m > T`` need none)."""
    M, T = mu.shape
    window = np.maximum(np.floor(np.asarray(mttf_hours, float) / period_hours), 1).astype(int)
    rows, cols, count = [], [], 0
    for m in range(M):  # one vectorised block per machine
        L = int(window[m])
        if L > T:
            continue
        starts = np.arange(T - L + 1)
        rows.append(np.repeat(np.arange(len(starts)) + count, L))
        cols.append(mu[m][(starts[:, None] + np.arange(L)[None, :]).ravel()])
        count += len(starts)
    if count:
        lm.add_rows("maintenance_window", count, np.concatenate(rows), np.concatenate(cols), 1.0, lower=1.0)


@dataclass
class CentralModel:
    instance: AcceptanceInstance
    ix: Indices
    lm: LinearModel
    z: np.ndarray  # [N]
    u: np.ndarray  # [N]
    x: np.ndarray  # [S, T]
    part_stock: np.ndarray  # [K, T]
    w: np.ndarray  # [O, T]
    stock: np.ndarray  # [N, T]
    y: np.ndarray  # [N, J, T]
    mu: np.ndarray  # [M, T]
    agent_cost: dict[str, np.ndarray]  # per agent: cost vector over all columns


def build(inst: AcceptanceInstance) -> CentralModel:
    """The MILP of the module docstring, as a :class:`LinearModel` (minimise cost - revenue)."""
    ix = indices(inst)
    T, N, O = ix.T, len(ix.orders), len(ix.op_order)
    K, S, M, J = len(ix.parts), len(inst.suppliers), len(ix.machines), len(ix.modes)
    o = inst.orders
    q = o["quantity"].to_numpy(float)
    lm = LinearModel(name=inst.name)
    z = lm.add_vars("accept", N, 0, 1, integer=True)
    u = lm.add_vars("unmet", N, 0, 1, cost=o["unmet_penalty"].to_numpy(float), integer=True)
    f = inst.factors()
    cost_s = inst.suppliers["cost_per_part"].to_numpy(float)
    x = lm.add_vars("purchase", S * T, 0, (inst.suppliers["capacity_per_period"].to_numpy(float)[:, None]
                                          * f.supplier).ravel(), cost=np.repeat(cost_s, T)).reshape(S, T)
    part_stock = lm.add_vars("part_stock", K * T, cost=np.repeat(inst.parts["holding_cost"].to_numpy(float), T)
                             ).reshape(K, T)
    prod_cost = o["production_cost_per_hour"].to_numpy(float)[ix.op_order] * ix.op_hours
    w = lm.add_vars("process", O * T, 0, np.repeat(q[ix.op_order], T), cost=np.repeat(prod_cost, T)).reshape(O, T)
    stock = lm.add_vars("finished", N * T, cost=inst.storage_cost).reshape(N, T)
    _arrival, transport, tardiness = delivery_terms(inst, ix)
    revenue = o["revenue"].to_numpy(float)[:, None, None] * np.ones((1, J, T))
    y = lm.add_vars("deliver", N * J * T, 0, 1, cost=(transport + tardiness - revenue).ravel(), integer=True
                    ).reshape(N, J, T)
    mu = lm.add_vars("maintain", M * T, 0, 1, cost=np.repeat(inst.machines["maintenance_cost"].to_numpy(float), T),
                     integer=True).reshape(M, T)

    t = np.arange(T)
    # part balance: I_kt - I_k,t-1 - sum_s x_st + sum a_ik w_first(i),t = 0 (I_k,-1 = initial)
    rows, cols, vals = [], [], []
    kt = np.arange(K * T).reshape(K, T)
    rows.append(kt.ravel()); cols.append(part_stock.ravel()); vals.append(np.ones(K * T))  # noqa: E702
    rows.append(kt[:, 1:].ravel()); cols.append(part_stock[:, :-1].ravel()); vals.append(-np.ones(K * (T - 1)))  # noqa: E702
    rows.append(kt[ix.offer_part].ravel()); cols.append(x.ravel()); vals.append(-np.ones(S * T))  # noqa: E702
    first_op = np.full(N, -1, dtype=np.int64)
    first_op[ix.op_order[ix.op_first]] = np.flatnonzero(ix.op_first)
    use_op = first_op[ix.need_order]
    rows.append(kt[ix.need_part].ravel()); cols.append(w[use_op].ravel())  # noqa: E702
    vals.append(np.repeat(ix.need_per_unit, T))
    rhs = np.zeros((K, T))
    rhs[:, 0] = inst.parts["initial_inventory"].to_numpy(float)
    lm.add_rows("part_balance", K * T, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                rhs.ravel(), rhs.ravel())
    # route: cumulative processed at o' <= cumulative processed at o (same period allowed), via WIP
    pairs = np.flatnonzero(ix.op_next >= 0)
    add_route_rows(lm, w, pairs, ix.op_next[pairs])
    # produce at most the accepted quantity: sum_t w_ot - q_i z_i <= 0
    lm.add_rows("order_quantity", O, np.concatenate([np.repeat(np.arange(O), T), np.arange(O)]),
                np.concatenate([w.ravel(), z[ix.op_order]]), np.concatenate([np.ones(O * T), -q[ix.op_order]]),
                upper=0.0)
    # machine hours with maintenance
    cap = inst.machines["capacity_hours"].to_numpy(float)
    cap_m = inst.machines["maintenance_capacity_hours"].to_numpy(float)
    rho = inst.machines["max_utilisation"].to_numpy(float)
    mt = np.arange(M * T).reshape(M, T)
    lm.add_rows("machine_hours", M * T,
                np.concatenate([mt[ix.op_machine].ravel(), mt.ravel()]),
                np.concatenate([w.ravel(), mu.ravel()]),
                np.concatenate([np.repeat(ix.op_hours, T), ((rho * (cap - cap_m))[:, None] * f.machine).ravel()]),
                upper=((rho * cap)[:, None] * f.machine).ravel())
    add_maintenance_windows(lm, mu, inst.machines["mttf_hours"].to_numpy(float), inst.period_hours)
    # finished stock: S_it - S_i,t-1 - w_last,t + q_i sum_j y_ijt = 0
    it = np.arange(N * T).reshape(N, T)
    last_op = np.full(N, -1, dtype=np.int64)
    last_op[ix.op_order[ix.op_last]] = np.flatnonzero(ix.op_last)
    lm.add_rows("finished_balance", N * T,
                np.concatenate([it.ravel(), it[:, 1:].ravel(), it.ravel(),
                                np.repeat(it[:, None, :], J, axis=1).ravel()]),
                np.concatenate([stock.ravel(), stock[:, :-1].ravel(), w[last_op].ravel(), y.ravel()]),
                np.concatenate([np.ones(N * T), -np.ones(N * (T - 1)), -np.ones(N * T),
                                np.repeat(q, J * T)]), 0.0, 0.0)
    if np.isfinite(inst.storage_capacity):
        lm.add_rows("storage", T, np.tile(t, N), stock.ravel(), 1.0, upper=f.storage_capacity(inst.storage_capacity))
    # delivery once or unmet
    lm.add_rows("deliver_once", N, np.concatenate([np.repeat(np.arange(N), J * T), np.arange(N), np.arange(N)]),
                np.concatenate([y.ravel(), u, z]), np.concatenate([np.ones(N * J * T), np.ones(N), -np.ones(N)]),
                0.0, 0.0)
    jt = np.arange(J * T).reshape(J, T)
    lm.add_rows("transport", J * T, np.tile(jt.ravel(), N), y.ravel(), np.repeat(q, J * T),
                upper=(inst.transport["capacity_per_period"].to_numpy(float)[:, None] * f.mode).ravel())
    agent_cost = {a: np.zeros(lm.num_vars) for a in AGENTS}
    agent_cost["supply"][x.ravel()] = np.repeat(cost_s, T)
    agent_cost["supply"][part_stock.ravel()] = np.repeat(inst.parts["holding_cost"].to_numpy(float), T)
    agent_cost["production"][w.ravel()] = np.repeat(prod_cost, T)
    agent_cost["maintenance"][mu.ravel()] = np.repeat(inst.machines["maintenance_cost"].to_numpy(float), T)
    agent_cost["inventory"][stock.ravel()] = inst.storage_cost
    agent_cost["distribution"][y.ravel()] = (transport + tardiness).ravel()
    agent_cost["distribution"][u] = o["unmet_penalty"].to_numpy(float)
    return CentralModel(inst, ix, lm, z, u, x, part_stock, w, stock, y, mu, agent_cost)
