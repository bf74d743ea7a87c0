r"""The integrated production + distribution + transfer MILP (document 001, Eq. 6-14 made coherent).

Sets: line-SKU pairs :math:`k` (line :math:`l(k)`, output position :math:`a(k)`), plant
positions :math:`a` (plant-SKU), DC positions :math:`b` (DC-SKU), shipment arcs
:math:`e = (a \to b)` with lead time :math:`L_e`, transfer arcs :math:`f = (a \to a')` with
lead time :math:`L_f`, days :math:`t = 1..T`.

Variables (all :math:`\ge 0`): production :math:`x_{kt}`, lot indicator :math:`y_{kt} \in
\{0,1\}` (only for pairs with an MOQ, a setup time or a setup cost), plant stock
:math:`I_{at}`, DC stock :math:`I_{bt}` and DC backlog (stockout) :math:`B_{bt}`, shipments
:math:`z_{et}` and transfers :math:`w_{ft}` leaving on day :math:`t` (only when they arrive
by :math:`T`), and for every position :math:`q` and day the deviations :math:`O_{qt}` (over
target), :math:`U_{qt}` (under target), :math:`M_{qt}` (under minimum).

.. math::

    \min \sum_{q,t} (h_q I_{qt} + c_{OT} O_{qt} + c_{UT} U_{qt} + c_{UM} M_{qt})
         + \sum_{b,t} c_B B_{bt} + \sum_{e,t} c_e z_{et} + \sum_{f,t} c_f w_{ft}
         + \sum_{k,t} s_k y_{kt}

subject to

* plant balance: :math:`I_{at} = I_{a,t-1} + \sum_{k: a(k)=a} x_{kt} + \sum_{f \to a}
  w_{f,t-L_f} - \sum_{e: a \to} z_{et} - \sum_{f: a \to} w_{ft}` (plant stock never
  negative: shipments are limited by plant stock);
* DC balance (backlog): :math:`I_{bt} - B_{bt} = I_{b,t-1} - B_{b,t-1} + \sum_{e \to b}
  z_{e,t-L_e} - D_{bt}`; :math:`B \equiv 0` when stockouts are not allowed;
* target deviation: :math:`I_{qt} - O_{qt} + U_{qt} = I^{target}_q`; minimum:
  :math:`I_{qt} + M_{qt} \ge I^{min}_q`;
* line hours: :math:`\sum_{k: l(k)=l} (x_{kt}/r_k + \sigma_k y_{kt}) \le H_{lt}`;
* MOQ as a tight semi-continuous pair: :math:`m_k y_{kt} \le x_{kt} \le u_{kt} y_{kt}`
  with :math:`u_{kt} = r_k (H_{l(k)t} - \sigma_k)^+`, further capped by
  :math:`\max(m_k, \text{remaining network demand of the SKU from } t)` for SKUs with no
  target or minimum anywhere (there, a larger lot only adds end stock and cost).

``build_model(inst, lean=True)`` (the exact method's model) leaves out what the instance does
not use, with the same optimum: backlog columns when stockouts are forbidden, deviation
columns and target/minimum rows of positions with neither (their :math:`c_{OT}` joins the
holding cost), and the plant stock and shipments of the arcs of :func:`merged_arcs` (a
plant position whose only way out is a free lane of lead time 0). On a Trigeiro file that
is exactly the textbook CLSP (docs/models/e2e.md, "What the exact method builds").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plantwise.core.linear import LinearModel
from plantwise.e2e.instance import E2EInstance


@dataclass
class E2EModel:
    """The linear model plus the column/row index arrays to read a plan back."""

    instance: E2EInstance
    model: LinearModel
    x: np.ndarray  # [K, T] columns
    y: np.ndarray  # [K, T] columns, -1 where a pair has no lot indicator
    binary_pairs: np.ndarray  # [K] bool
    plant_stock: np.ndarray  # [A, T]
    dc_stock: np.ndarray  # [B, T]
    backlog: np.ndarray  # [B, T]
    ship: np.ndarray  # [E, T]
    move: np.ndarray  # [F, T]
    x_upper: np.ndarray  # [K, T]
    merged: np.ndarray | None = None  # [E] bool: arcs folded into their DC (lean model; no columns)

    @property
    def integer_columns(self) -> np.ndarray:
        return self.y[self.binary_pairs].ravel()

    def flows(self, x: np.ndarray, tolerance: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Production ``[K, T]``, shipments ``[E, T]`` and transfers ``[F, T]`` of the column values
        ``x`` (values at or below ``tolerance`` set to 0). A merged arc (lean model) ships its
        plant position's initial stock on day 1 and its production on the day it is made."""
        inst = self.instance

        def take(cols: np.ndarray) -> np.ndarray:
            out = np.where(cols >= 0, x[np.maximum(cols, 0)], 0.0)
            return np.where(out > tolerance, out, 0.0)

        production = take(self.x)
        shipments = take(self.ship)
        if self.merged is not None and self.merged.any():
            made = np.zeros((inst.num_plant_positions, inst.horizon))
            np.add.at(made, inst.pair_position, production)
            made[:, 0] += inst.plant_initial
            arcs = np.flatnonzero(self.merged)
            shipments[arcs] = np.where(made[inst.ship_from[arcs]] > tolerance, made[inst.ship_from[arcs]], 0.0)
        return production, shipments, take(self.move)


def _grid(first: np.ndarray, count: int, T: int) -> np.ndarray:
    """Columns of a [count, T] block starting at ``first[0]``."""
    return (first[0] + np.arange(count * T)).reshape(count, T) if count else np.zeros((0, T), dtype=np.int64)


def production_upper(inst: E2EInstance) -> np.ndarray:
    """Upper bound :math:`u_{kt}` on a lot (see module docstring), [K, T]."""
    T = inst.horizon
    cap = inst.pair_capacity()
    S = len(inst.skus)
    # SKUs with no target and no minimum anywhere: a lot beyond the remaining network demand
    # only adds stock that nothing needs, so it can be capped without losing an optimum
    no_target = np.ones(S, dtype=bool)
    for sku, target, minimum in ((inst.plant_pos_sku, inst.plant_target, inst.plant_minimum),
                                 (inst.dc_pos_sku, inst.dc_target, inst.dc_minimum)):
        has = (target > 0) | (minimum > 0)
        no_target[sku[has]] = False
    sku_demand = np.zeros((S, T))
    np.add.at(sku_demand, inst.dc_pos_sku, inst.demand)
    remaining = np.cumsum(sku_demand[:, ::-1], axis=1)[:, ::-1]  # demand from t to T
    need = np.maximum(remaining[inst.pair_sku], inst.moq[:, None])
    capped = np.where(no_target[inst.pair_sku][:, None], np.minimum(cap, need), cap)
    return capped


def merged_arcs(inst: E2EInstance) -> np.ndarray:
    """Shipment arcs whose plant position can be folded into the DC position, [E] bool.

    Arc :math:`e = (a \\to b)` qualifies when it is :math:`a`'s only way out, has lead time 0
    and cost 0, no transfer leaves or enters :math:`a`, :math:`a` has no target and no minimum,
    and no penalty is negative. Then a unit kept at :math:`a` costs :math:`h + c_{OT}` a day
    while the same unit at :math:`b` costs at most that (every slope of :math:`b`'s stock cost
    is at most :math:`h + c_{OT}`), and moving it costs nothing and takes no time: some optimal
    plan ships everything :math:`a` makes on the day it is made. Plant stock and shipment
    columns of the arc are then left out (see :meth:`E2EModel.flows` for the plan)."""
    E = len(inst.ship_from)
    if not E:
        return np.zeros(0, dtype=bool)
    pen = inst.penalties
    if min(pen.as_dict().values()) < 0:
        return np.zeros(E, dtype=bool)
    A = inst.num_plant_positions
    out_arcs = np.bincount(inst.ship_from, minlength=A)
    moving = np.zeros(A, dtype=bool)
    moving[inst.move_from] = True
    moving[inst.move_to] = True
    plain = (inst.plant_target <= 0) & (inst.plant_minimum <= 0) & ~moving & (out_arcs == 1)
    return plain[inst.ship_from] & (inst.ship_lead == 0) & (inst.ship_cost == 0)


def build_model(inst: E2EInstance, relax: bool = False, cap: bool = True, fixed_days: int = 0,
                lean: bool = False) -> E2EModel:
    """Assemble the integrated MILP (vectorised; see the module docstring).

    ``lean=True`` builds only what the instance needs (the exact method's model): no backlog
    columns when stockouts are forbidden; no deviation columns or target/minimum rows for a
    position with neither a target nor a minimum (its over-target penalty, charged on all of
    its stock, joins the holding cost); and no plant stock, shipment columns or plant balance
    rows for the arcs of :func:`merged_arcs` (production of such a plant position enters the
    DC balance directly). The optimum is the same; columns left out are ``-1`` in the index
    arrays, and :meth:`E2EModel.flows` turns a solution into the plan's flows either way.

    Hooks for re-planning (:mod:`plantwise.e2e.replanning`): ``cap=False`` bounds a lot by the
    line's capacity alone, :math:`u_{kt} = r_k (H_{lt} - \\sigma_k)^+` (the demand cap is
    optimum-preserving only when nothing rewards keeping a larger old lot); ``fixed_days``
    leaves the line-hours and lot rows of days ``1..fixed_days`` unbounded, because the caller
    fixes every column in them (history, a kept fence) and they then constrain only constants
    (an old plan within the verifier's tolerance stays feasible)."""
    T = inst.horizon
    K, A, B = inst.num_pairs, inst.num_plant_positions, inst.num_dc_positions
    E, F = len(inst.ship_from), len(inst.move_from)
    pen = inst.penalties
    m = LinearModel(name=inst.name)
    days = np.arange(T)
    merged = merged_arcs(inst) if lean else np.zeros(E, dtype=bool)
    folded = np.zeros(A, dtype=bool)  # plant positions folded into their DC position
    folded[inst.ship_from[merged]] = True
    # positions that need deviation columns (all of them unless lean)
    dev_a = (inst.plant_target > 0) | (inst.plant_minimum > 0) if lean else np.ones(A, dtype=bool)
    dev_a &= ~folded
    dev_b = (inst.dc_target > 0) | (inst.dc_minimum > 0) if lean else np.ones(B, dtype=bool)

    def block(name: str, mask: np.ndarray, lower: float, upper: object, cost: object = 0.0) -> np.ndarray:
        """Columns [len(mask), T] for the rows of ``mask`` (``-1`` elsewhere); ``upper``/``cost``
        are per-row arrays (repeated over days) or scalars."""
        out = np.full((mask.size, T), -1, dtype=np.int64)
        n = int(mask.sum())
        if n:
            up = np.repeat(np.asarray(upper, float)[mask], T) if np.ndim(upper) else upper
            c = np.repeat(np.asarray(cost, float)[mask], T) if np.ndim(cost) else cost
            out[mask] = _grid(m.add_vars(name, n * T, lower, up, c), n, T)
        return out

    # ---------------------------------------------------------------- variables
    upper = production_upper(inst) if cap else inst.pair_capacity()
    binary_pairs = (inst.moq > 0) | (inst.setup_hours > 0) | (inst.setup_cost > 0)
    x = _grid(m.add_vars("production", K * T, 0.0, upper.ravel()), K, T)
    nb = int(binary_pairs.sum())
    y = np.full((K, T), -1, dtype=np.int64)
    if nb:
        y_upper = (upper[binary_pairs] >= np.maximum(inst.moq[binary_pairs, None], 1e-9)).astype(float)
        y[binary_pairs] = _grid(
            m.add_vars("lot", nb * T, 0.0, y_upper.ravel(), np.repeat(inst.setup_cost[binary_pairs], T),
                       integer=not relax), nb, T)
    # a position without deviation columns has O = I (target 0, U = M = 0): c_OT joins h
    hold_a = inst.holding_cost[inst.plant_pos_sku] + np.where(dev_a, 0.0, pen.over_target)
    hold_b = inst.holding_cost[inst.dc_pos_sku] + np.where(dev_b, 0.0, pen.over_target)
    every_b = np.ones(B, dtype=bool)
    Ia = block("plant_stock", ~folded, 0.0, np.full(A, np.inf), hold_a)
    Oa = block("plant_over", dev_a, 0.0, np.full(A, np.inf), np.full(A, pen.over_target))
    Ua = block("plant_under", dev_a, 0.0, inst.plant_target, np.full(A, pen.under_target))
    Ma = block("plant_below_min", dev_a, 0.0, inst.plant_minimum, np.full(A, pen.under_minimum))
    Ib = block("dc_stock", every_b, 0.0, np.full(B, np.inf), hold_b)
    Bb = block("dc_backlog", every_b if (inst.allow_stockout or not lean) else np.zeros(B, dtype=bool), 0.0,
               np.full(B, np.inf if inst.allow_stockout else 0.0), np.full(B, pen.stockout))
    Ob = block("dc_over", dev_b, 0.0, np.full(B, np.inf), np.full(B, pen.over_target))
    Ub = block("dc_under", dev_b, 0.0, inst.dc_target, np.full(B, pen.under_target))
    Mb = block("dc_below_min", dev_b, 0.0, inst.dc_minimum, np.full(B, pen.under_minimum))
    ship_ok = (days[None, :] + inst.ship_lead[:, None] <= T - 1).astype(float)
    z = np.full((E, T), -1, dtype=np.int64)
    ne = int((~merged).sum())
    if ne:
        z[~merged] = _grid(m.add_vars("shipment", ne * T, 0.0, np.where(ship_ok[~merged].ravel() > 0, np.inf, 0.0),
                                      np.repeat(inst.ship_cost[~merged], T)), ne, T)
    move_ok = (days[None, :] + inst.move_lead[:, None] <= T - 1).astype(float)
    w = _grid(m.add_vars("transfer", F * T, 0.0, np.where(move_ok.ravel() > 0, np.inf, 0.0),
                         np.repeat(inst.move_cost, T)), F, T)

    # ---------------------------------------------------------------- plant balance
    rows, cols, vals = [], [], []

    def put(r: np.ndarray, c: np.ndarray, v: float | np.ndarray) -> None:
        """Entries ``(r, c, v)``, skipping those of a row or column left out (``-1``)."""
        r, c = np.asarray(r, np.int64).ravel(), np.asarray(c, np.int64).ravel()
        v = np.broadcast_to(np.asarray(v, float).ravel() if np.ndim(v) else float(v), r.shape)
        keep = (r >= 0) & (c >= 0)
        rows.append(r[keep])
        cols.append(c[keep])
        vals.append(v[keep])

    def rows_of(mask: np.ndarray) -> np.ndarray:
        """Row of (position, day) for the positions of ``mask`` (``-1`` for the others)."""
        index = np.full(mask.size, -1, dtype=np.int64)
        index[mask] = np.arange(int(mask.sum()))
        return np.where(mask[:, None], index[:, None] * T + days[None, :], -1)

    kept_a = ~folded
    na = int(kept_a.sum())
    arow = rows_of(kept_a)  # row of (a, t)
    put(arow, Ia, 1.0)
    put(arow[:, 1:], Ia[:, :-1], -1.0)
    put(arow[inst.pair_position], x, -1.0)
    put(arow[inst.ship_from], z, 1.0)
    put(arow[inst.move_from], w, 1.0)
    if F:  # arrival of transfer f on day t + L_f
        arrive = days[None, :] + inst.move_lead[:, None]
        ok = arrive <= T - 1
        put(arow[inst.move_to[:, None].repeat(T, 1)[ok], arrive[ok]], w[ok], -1.0)
    rhs = np.zeros((A, T))
    rhs[:, 0] = inst.plant_initial
    if na:
        m.add_rows("plant_balance", na * T, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                   rhs[kept_a].ravel(), rhs[kept_a].ravel())

    # ---------------------------------------------------------------- DC balance
    rows, cols, vals = [], [], []
    brow = rows_of(np.ones(B, dtype=bool))
    put(brow, Ib, 1.0)
    put(brow, Bb, -1.0)
    put(brow[:, 1:], Ib[:, :-1], -1.0)
    put(brow[:, 1:], Bb[:, :-1], 1.0)
    if E:
        arrive = days[None, :] + inst.ship_lead[:, None]
        ok = arrive <= T - 1
        put(inst.ship_to[:, None].repeat(T, 1)[ok] * T + arrive[ok], z[ok], -1.0)
    rhs = -inst.demand.copy()
    rhs[:, 0] += inst.dc_initial
    if merged.any():  # a folded plant position's production arrives at its DC the same day
        fold_to = np.full(A, -1, dtype=np.int64)
        fold_to[inst.ship_from[merged]] = inst.ship_to[merged]
        direct = folded[inst.pair_position]
        put(brow[fold_to[inst.pair_position[direct]]], x[direct], -1.0)
        np.add.at(rhs[:, 0], inst.ship_to[merged], inst.plant_initial[inst.ship_from[merged]])
    m.add_rows("dc_balance", B * T, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
               rhs.ravel(), rhs.ravel())

    # ---------------------------------------------------------------- targets and minimums
    for tag, stock, over, under, below, target, minimum, dev in (
        ("plant", Ia, Oa, Ua, Ma, inst.plant_target, inst.plant_minimum, dev_a),
        ("dc", Ib, Ob, Ub, Mb, inst.dc_target, inst.dc_minimum, dev_b),
    ):
        n = int(dev.sum())
        if not n:
            continue
        r = np.arange(n * T).reshape(n, T)
        tgt = np.repeat(target[dev], T)
        m.add_rows(f"{tag}_target", n * T, np.concatenate([r.ravel()] * 3),
                   np.concatenate([stock[dev].ravel(), over[dev].ravel(), under[dev].ravel()]),
                   np.concatenate([np.ones(n * T), -np.ones(n * T), np.ones(n * T)]), tgt, tgt)
        m.add_rows(f"{tag}_minimum", n * T, np.concatenate([r.ravel()] * 2),
                   np.concatenate([stock[dev].ravel(), below[dev].ravel()]), 1.0, np.repeat(minimum[dev], T), np.inf)

    # ---------------------------------------------------------------- line hours
    L = len(inst.lines)
    lrow = inst.pair_line[:, None] * T + days[None, :]
    hr_rows = [lrow.ravel()]
    hr_cols = [x.ravel()]
    hr_vals = [np.repeat(1.0 / inst.rate, T)]
    if nb:
        sh = binary_pairs & (inst.setup_hours > 0)
        hr_rows.append(lrow[sh].ravel())
        hr_cols.append(y[sh].ravel())
        hr_vals.append(np.repeat(inst.setup_hours[sh], T))
    free_day = days < fixed_days  # rows over fixed columns only: left unbounded
    m.add_rows("line_hours", L * T, np.concatenate(hr_rows), np.concatenate(hr_cols), np.concatenate(hr_vals),
               -np.inf, np.where(np.tile(free_day, L), np.inf, inst.hours.ravel()))

    # ---------------------------------------------------------------- lots: MOQ and setup link
    if nb:
        xb, yb = x[binary_pairs].ravel(), y[binary_pairs].ravel()
        ub = upper[binary_pairs].ravel()
        r = np.arange(nb * T)
        m.add_rows("lot_upper", nb * T, np.concatenate([r, r]), np.concatenate([xb, yb]),
                   np.concatenate([np.ones(nb * T), -ub]), -np.inf, np.where(np.tile(free_day, nb), np.inf, 0.0))
        has_moq = np.repeat(inst.moq[binary_pairs] > 0, T)
        if has_moq.any():
            n = int(has_moq.sum())
            r = np.arange(n)
            m.add_rows("lot_minimum", n, np.concatenate([r, r]), np.concatenate([xb[has_moq], yb[has_moq]]),
                       np.concatenate([np.ones(n), -np.repeat(inst.moq[binary_pairs], T)[has_moq]]),
                       np.where(np.tile(free_day, nb)[has_moq], -np.inf, 0.0), np.inf)

    return E2EModel(instance=inst, model=m, x=x, y=y, binary_pairs=binary_pairs, plant_stock=Ia, dc_stock=Ib,
                    backlog=Bb, ship=z, move=w, x_upper=upper, merged=merged)
