r"""A plain MILP of document 001's production + distribution problem on HiGHS: what a user
would write from the paper.

The data come from a plantwise e2e instance (its reader or generator); the model is this
module's own, written from the document's equations with its integration made explicit
(the two stages of the paper solved as one model, as plantwise does) and nothing more:
no strengthening, no LP dive, no warm start. Indices as in
:class:`plantwise.e2e.instance.E2EInstance`: pairs :math:`k` (line-SKU), plant positions
:math:`a`, DC positions :math:`b`, shipment arcs :math:`e = (a \to b)` with lead time
:math:`L_e`, transfer arcs :math:`f = (a \to a')` with lead time :math:`L_f`, days :math:`t`.

.. math::

    \min \sum_{q,t} (h_q I_{qt} + C_{IOT} I_{OT,qt} + C_{IUT} I_{UT,qt} + C_{IUM} I_{UM,qt})
      + \sum_{b,t} C_B B_{bt} + \sum_{e,t} c_e z_{et} + \sum_{f,t} c_f w_{ft}
      + \sum_{k,t} s_k y_{kt}

* Eq 7, line capacity: :math:`\sum_{k \in l} (x_{kt} / r_k + \sigma_k y_{kt}) \le H_{lt}`;
* Eq 8, balances: plant :math:`I_{at} = I_{a,t-1} + \sum_{k \to a} x_{kt} + \sum_{f \to a}
  w_{f,t-L_f} - \sum_{e: a \to} z_{et} - \sum_{f: a \to} w_{ft}`; DC (Eq 13-14, backlog)
  :math:`I_{bt} - B_{bt} = I_{b,t-1} - B_{b,t-1} + \sum_{e \to b} z_{e,t-L_e} - D_{bt}`,
  :math:`B \equiv 0` when stockouts are forbidden; a flow that would arrive after the
  horizon is 0;
* Eq 9-11 at every position :math:`q`: :math:`I_{qt} - I^{target}_q \le I_{OT,qt}`,
  :math:`I^{target}_q - I_{qt} \le I_{UT,qt}`, :math:`I_{qt} + I_{UM,qt} \ge I^{min}_q`;
* lots, big-M: :math:`m_k y_{kt} \le x_{kt} \le r_k H_{lt} y_{kt}` (MOQ, setup cost or time).

:func:`solve` takes an instance, :func:`solve_scenario` generates one as ``plantwise e2e
generate --scenario N --seed S`` does. The solution is turned into a plantwise plan and
checked by plantwise's e2e verifier (``verified``: every rule holds and the recomputed cost
equals this model's objective).
"""

from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

from benchmarks.peers import Outcome, Trace, run_highs_mip


class _Columns:
    """Column blocks ``[n, T]`` with bounds, costs and integrality."""

    def __init__(self) -> None:
        self.n = 0
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []

    def add(self, shape: tuple[int, int], upper: np.ndarray | float, cost: np.ndarray | float,
            integer: bool = False) -> np.ndarray:
        size = shape[0] * shape[1]
        idx = (self.n + np.arange(size)).reshape(shape)
        self.n += size
        self.lower.append(np.zeros(size))
        self.upper.append(np.broadcast_to(np.asarray(upper, float), shape).ravel().copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, float), shape).ravel().copy())
        self.integer.append(np.full(size, integer))
        return idx


class _Rows:
    """Row blocks as COO triplets with lower and upper sides."""

    def __init__(self) -> None:
        self.n = 0
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.up: list[np.ndarray] = []

    def block(self, count: int, lower: np.ndarray | float, upper: np.ndarray | float) -> int:
        first = self.n
        self.n += count
        self.lo.append(np.broadcast_to(np.asarray(lower, float), (count,)).ravel().copy())
        self.up.append(np.broadcast_to(np.asarray(upper, float), (count,)).ravel().copy())
        return first

    def put(self, rows: np.ndarray, cols: np.ndarray, value: float | np.ndarray) -> None:
        rows, cols = np.asarray(rows).ravel(), np.asarray(cols).ravel()
        self.r.append(rows)
        self.c.append(cols)
        self.v.append(np.broadcast_to(np.asarray(value, float), np.asarray(rows).shape).ravel().copy())


def build(inst: object) -> tuple[highspy.Highs, dict[str, np.ndarray]]:
    """The model of the module docstring as a HiGHS object and the column index arrays."""
    T = inst.horizon
    K, A, B = inst.num_pairs, inst.num_plant_positions, inst.num_dc_positions
    E, F = len(inst.ship_from), len(inst.move_from)
    pen = inst.penalties
    days = np.arange(T)
    col = _Columns()
    hours_k = inst.hours[inst.pair_line]  # [K, T]
    x = col.add((K, T), inst.rate[:, None] * hours_k, 0.0)
    lot = (inst.moq > 0) | (inst.setup_hours > 0) | (inst.setup_cost > 0)
    nl = int(lot.sum())
    y = col.add((nl, T), 1.0, inst.setup_cost[lot][:, None], integer=True)
    Ia = col.add((A, T), np.inf, inst.holding_cost[inst.plant_pos_sku][:, None])
    Ib = col.add((B, T), np.inf, inst.holding_cost[inst.dc_pos_sku][:, None])
    Bb = col.add((B, T), np.inf if inst.allow_stockout else 0.0, pen.stockout)
    dev = {}
    for tag, n in (("a", A), ("b", B)):
        dev[tag] = (col.add((n, T), np.inf, pen.over_target), col.add((n, T), np.inf, pen.under_target),
                    col.add((n, T), np.inf, pen.under_minimum))
    z = col.add((E, T), np.where(days[None, :] + inst.ship_lead[:, None] <= T - 1, np.inf, 0.0),
                inst.ship_cost[:, None])
    w = col.add((F, T), np.where(days[None, :] + inst.move_lead[:, None] <= T - 1, np.inf, 0.0),
                inst.move_cost[:, None])

    rows = _Rows()
    # Eq 8, plant balance: I_at - I_a,t-1 - made + shipped + moved out - moved in = initial (t = 1)
    rhs = np.zeros((A, T))
    rhs[:, 0] = inst.plant_initial
    r0 = rows.block(A * T, rhs.ravel(), rhs.ravel())
    ar = r0 + np.arange(A * T).reshape(A, T)
    rows.put(ar, Ia, 1.0)
    rows.put(ar[:, 1:], Ia[:, :-1], -1.0)
    rows.put(ar[inst.pair_position], x, -1.0)
    rows.put(ar[inst.ship_from], z, 1.0)
    rows.put(ar[inst.move_from], w, 1.0)
    arrive = days[None, :] + inst.move_lead[:, None]
    ok = arrive <= T - 1
    rows.put(ar[np.broadcast_to(inst.move_to[:, None], (F, T))[ok], arrive[ok]], w[ok], -1.0)
    # Eq 8 / 13-14, DC balance with backlog
    rhs = -inst.demand.copy()
    rhs[:, 0] += inst.dc_initial
    r0 = rows.block(B * T, rhs.ravel(), rhs.ravel())
    br = r0 + np.arange(B * T).reshape(B, T)
    rows.put(br, Ib, 1.0)
    rows.put(br, Bb, -1.0)
    rows.put(br[:, 1:], Ib[:, :-1], -1.0)
    rows.put(br[:, 1:], Bb[:, :-1], 1.0)
    arrive = days[None, :] + inst.ship_lead[:, None]
    ok = arrive <= T - 1
    rows.put(br[np.broadcast_to(inst.ship_to[:, None], (E, T))[ok], arrive[ok]], z[ok], -1.0)
    # Eq 9-11 at every plant and DC position
    for stock, (over, under, below), target, minimum in ((Ia, dev["a"], inst.plant_target, inst.plant_minimum),
                                                         (Ib, dev["b"], inst.dc_target, inst.dc_minimum)):
        n = stock.shape[0]
        tgt = np.repeat(target, T)
        r = rows.block(n * T, -np.inf, tgt) + np.arange(n * T)  # I - OT <= target
        rows.put(r, stock, 1.0)
        rows.put(r, over, -1.0)
        r = rows.block(n * T, tgt, np.inf) + np.arange(n * T)  # I + UT >= target
        rows.put(r, stock, 1.0)
        rows.put(r, under, 1.0)
        r = rows.block(n * T, np.repeat(minimum, T), np.inf) + np.arange(n * T)  # I + UM >= minimum
        rows.put(r, stock, 1.0)
        rows.put(r, below, 1.0)
    # Eq 7, line hours
    L = len(inst.lines)
    r0 = rows.block(L * T, -np.inf, inst.hours.ravel())
    lr = r0 + inst.pair_line[:, None] * T + days[None, :]
    rows.put(lr, x, np.repeat(1.0 / inst.rate, T))
    rows.put(lr[lot], y, np.repeat(inst.setup_hours[lot], T))
    # lots: big-M (the line-day's capacity) and the MOQ
    r = rows.block(nl * T, -np.inf, 0.0) + np.arange(nl * T)
    rows.put(r, x[lot], 1.0)
    rows.put(r, y, -(inst.rate[lot][:, None] * hours_k[lot]).ravel())
    r = rows.block(nl * T, 0.0, np.inf) + np.arange(nl * T)
    rows.put(r, x[lot], 1.0)
    rows.put(r, y, -np.repeat(inst.moq[lot], T))

    a = sp.csc_matrix((np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c))),
                      shape=(rows.n, col.n))
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = col.n, rows.n
    lp.col_cost_ = np.concatenate(col.cost)
    lp.col_lower_ = np.concatenate(col.lower)
    lp.col_upper_ = np.minimum(np.concatenate(col.upper), inf)
    lp.row_lower_ = np.maximum(np.concatenate(rows.lo), -inf)
    lp.row_upper_ = np.minimum(np.concatenate(rows.up), inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = col.n, rows.n
    integer = np.concatenate(col.integer)
    lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous for f in integer]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    return h, {"x": x, "z": z, "w": w}


def solve(instance: object, time_limit: float = 60.0, threads: int = 1, mip_gap: float = 1e-4) -> Outcome:
    """Solve the plain model of ``instance`` (an :class:`E2EInstance`) and verify its plan."""
    return solve_with_plan(instance, time_limit, threads, mip_gap)[0]


def solve_with_plan(instance: object, time_limit: float = 60.0, threads: int = 1,
                    mip_gap: float = 1e-4) -> tuple[Outcome, object | None]:
    """:func:`solve`, and the plantwise plan (``None`` without a solution)."""
    from plantwise.e2e.plan import plan_from_arrays
    from plantwise.e2e.verifier import verify

    trace = Trace()
    inst = instance
    h, idx = build(inst)
    info, status = run_highs_mip(h, trace, time_limit, threads, mip_gap)
    ms = highspy.HighsModelStatus
    if info.primal_solution_status != 2:
        return Outcome("infeasible" if status == ms.kInfeasible else "no_solution", None, None, trace.elapsed(),
                       trace.points, None, h.modelStatusToString(status)), None
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    v = np.asarray(h.getSolution().col_value)

    def flow(cols: np.ndarray) -> np.ndarray:
        out = v[cols] if cols.size else np.zeros(cols.shape)
        return np.where(out > 1e-7, out, 0.0)

    plan = plan_from_arrays(inst, flow(idx["x"]), flow(idx["z"]), flow(idx["w"]), {"objective": objective})
    check = verify(inst, plan)
    seconds = trace.elapsed()
    trace(objective, at=seconds)
    note = f"HiGHS {h.version()}, {int(info.mip_node_count)} nodes, verifier cost {check.total_cost:.6f}"
    if not check.ok:
        note += "; " + "; ".join(str(x) for x in check.violations[:3])
    return Outcome("optimal" if status == ms.kOptimal else "feasible", objective, min(bound, objective), seconds,
                   trace.points, bool(check.ok), note), plan


def solve_scenario(scenario: int, seed: int = 1, time_limit: float = 60.0, threads: int = 1,
                   mip_gap: float = 1e-4, skus: int | None = None) -> Outcome:
    """``plantwise e2e generate --scenario N --seed S [--skus n]``, then :func:`solve`."""
    from plantwise.e2e.generator import generate

    return solve(generate(scenario, seed, skus), time_limit=time_limit, threads=threads, mip_gap=mip_gap)
