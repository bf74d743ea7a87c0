"""The offload MILP (document 000, as intended) built from numpy arrays.

Notation: orders i, sites j, parts n, product types v, periods t = 1..T, lanes
l = (j -> k) with transshipment time TT_l and fixed cost TC_l.

Variables
  x[i,j,s] in {0,1}   order i starts at site j in period s, only for s in its window
                      1 <= s <= due_i - PT_ij - ST_ij + 1 (and s + PT_ij - 1 <= T)
  y[j,n,t] in Z+      parts purchased (<= the purchase limit of period t)
  b[j,n,t] in Z+      end-of-period stock (<= storage capacity c_jn)
  q[l,n,t] in Z+      parts shipped on lane l in period t, arriving in t + TT_l <= T
  z[l,t]   in {0,1}   lane l ships anything in period t (0 where lane_closures closes it)
  r[j,n,t] in {0,1}   (sS mode) stock fell below s in t-1, so order up to S in t

Objective  sum x (PC_ij + SC_ij) + sum y MC_n + sum b h_n + sum z TC_l

Constraints
  assign     sum_{j,s} x[i,j,s] = 1                                         for all i
  station    sum_{i, s <= t <= s+PT_ij-1} x[i,j,s] <= L_jt (L_j less stations lost in t)
  type       same sum over orders of type v <= C_jv  (only where C_jv < L_j) for all j,v,t
  balance    b[t] = b[t-1] + y[t] + sum_{l into j} q[l,n,t-TT_l]
                    - sum_{l out of j} q[l,n,t] - sum_i P_in x[i,j,t] + a[j,n,t],
             b[0] = initial stock, a = stock corrections (stock_adjustments.csv; 0 by default)
  forward    sum_{l out of j} q[l,n,t] <= b[t-1] + y[t]   (no cross-docking: parts that
             arrive in a period are used or stored; they leave again from the next one)
  lane       q[l,n,t] <= U[l,n,t] z[l,t] with the per-lane, per-part, per-period bound
             U = min(c_jn + ybar_jn, c_kn + D_knt'),  t' = t + TT_l, where ybar is the most
             that can be bought in one period and D_knt' the most part n that the L_k largest
             consumers among orders able to start at k in t' can use: by "forward", what j
             ships is at most its stock plus purchases; what k receives is at most what it
             can store plus what it consumes.
  arrival    (valid inequalities, not needed for correctness) without arrivals a site can
             use at most A_jn = b[t-1] + y[t] <= c_jn + ybar_jn of part n in a period (c_jn in
             sS mode, where b[t-1] + y[t] <= max(b[t-1], S) <= c). Hence
             (a) an order needing more than A_jn at its start must meet an arrival:
                 x[i,j,t] <= sum_{l into j} z[l, t - TT_l]            if P_in > A_jn
             (b) sum_i P_in x[i,j,t] <= A_jn + (D_jnt - A_jn) sum_{l into j} z[l, t - TT_l]
             They bound the number of lane-periods from below where the LP relaxation would
             otherwise pay a sliver of each fixed charge (q/U of it).
  sS mode    r[t] = 1  iff  b[t-1] < s:     b[t-1] + s r[t] >= s,  b[t-1] + (c - s + 1) r[t] <= c
             y[t] = r[t] (S - b[t-1]):      y[t] <= S r[t],  y[t] + b[t-1] >= S r[t],
                                             y[t] + b[t-1] + (c - S) r[t] <= c
             valid floor (tightens the LP): b[t-1] + y[t] >= s
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantwise.core.linear import LinearModel
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.plan import OffloadPlan, describe_assignments


@dataclass(frozen=True)
class Candidates:
    """Every feasible (order, site, start) triple, in order-major order."""

    order: np.ndarray
    site: np.ndarray
    start: np.ndarray

    def __len__(self) -> int:
        return int(self.order.size)


def candidates(inst: OffloadInstance, site_mask: np.ndarray | None = None) -> Candidates:
    """All (i, j, s) with ``1 <= s <= last_start[i, j]``; ``site_mask[i, j]`` restricts sites."""
    last = inst.last_start()
    count = np.maximum(last, 0)
    if site_mask is not None:
        count = np.where(site_mask, count, 0)
    flat = count.ravel()
    pair = np.repeat(np.arange(flat.size), flat)
    first = np.repeat(np.cumsum(flat) - flat, flat)
    start = np.arange(pair.size) - first + 1
    return Candidates(pair // inst.num_sites, pair % inst.num_sites, start.astype(np.int64))


def _expand(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each k, the run starts[k], ..., starts[k] + lengths[k] - 1: returns (owner, value)."""
    owner = np.repeat(np.arange(starts.size), lengths)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offset


def max_consumption(inst: OffloadInstance, cand: Candidates) -> np.ndarray:
    """D[j, n, t]: the most of part n that orders starting at site j in period t can use:
    the sum of the L_j largest requirements among orders with a candidate start there."""
    J, N, T = inst.num_sites, inst.num_parts, inst.horizon
    out = np.zeros((J, N, T))
    for j in range(J):
        sel = cand.site == j
        if not sel.any():
            continue
        orders, starts = cand.order[sel], cand.start[sel] - 1
        for n in range(N):
            req = np.zeros((inst.num_orders, T))
            req[orders, starts] = inst.parts_required[orders, n]
            k = min(int(inst.stations[j]), inst.num_orders)
            if k == 0:
                continue
            top = -np.partition(-req, k - 1, axis=0)[:k] if k < inst.num_orders else req
            out[j, n] = top.sum(axis=0)
    return out


@dataclass
class OffloadModel:
    """A built model with the column layout needed to read a solution back."""

    inst: OffloadInstance
    mode: str
    lm: LinearModel
    cand: Candidates
    x: np.ndarray  # columns of the candidates
    y: np.ndarray  # [J, N, T]
    b: np.ndarray  # [J, N, T]
    q: np.ndarray  # flat
    q_lane: np.ndarray
    q_part: np.ndarray
    q_period: np.ndarray  # 1-based departure period
    z: np.ndarray  # flat
    z_lane: np.ndarray
    z_period: np.ndarray
    r: np.ndarray | None
    lane_from: np.ndarray
    lane_to: np.ndarray

    def vector_from_plan(self, plan: OffloadPlan) -> np.ndarray:
        """The full column vector of ``plan`` (stock and lane flags recomputed)."""
        inst = self.inst
        J, N, T = inst.num_sites, inst.num_parts, inst.horizon
        vec = np.zeros(self.lm.num_vars)
        oidx = {o: k for k, o in enumerate(inst.orders)}
        sidx = {s: k for k, s in enumerate(inst.sites)}
        pidx = {p: k for k, p in enumerate(inst.parts)}
        a = plan.assignments
        key = pd.MultiIndex.from_arrays([self.cand.order, self.cand.site, self.cand.start])
        want = pd.MultiIndex.from_arrays(
            [a["order"].map(oidx).to_numpy(), a["site"].map(sidx).to_numpy(), a["start"].astype(int).to_numpy()]
        )
        pos = key.get_indexer(want)
        if (pos < 0).any():
            raise ValueError("plan uses starts that are not candidates of this model")
        vec[self.x[pos]] = 1
        y = np.zeros((J, N, T))
        p = plan.purchases
        if len(p):
            np.add.at(y, (p["site"].map(sidx).to_numpy(), p["part"].map(pidx).to_numpy(),
                          p["period"].astype(int).to_numpy() - 1), p["quantity"].astype(float).to_numpy())
        vec[self.y] = y
        lane_index = {(int(f), int(t)): k for k, (f, t) in enumerate(zip(self.lane_from, self.lane_to, strict=True))}
        qkey = pd.MultiIndex.from_arrays([self.q_lane, self.q_part, self.q_period])
        s = plan.shipments
        inflow = np.zeros((J, N, T))
        outflow = np.zeros((J, N, T))
        if len(s):
            pairs = zip(s["from_site"], s["to_site"], strict=True)
            lanes = np.array([lane_index[(sidx[f], sidx[t])] for f, t in pairs])
            parts = s["part"].map(pidx).to_numpy()
            periods = s["period"].astype(int).to_numpy()
            qty = s["quantity"].astype(float).to_numpy()
            qpos = qkey.get_indexer(pd.MultiIndex.from_arrays([lanes, parts, periods]))
            np.add.at(vec, self.q[qpos], qty)
            zpos = pd.MultiIndex.from_arrays([self.z_lane, self.z_period]).get_indexer(
                pd.MultiIndex.from_arrays([lanes, periods]))
            vec[self.z[zpos]] = 1
            arrive = periods + inst.transshipment_time[self.lane_from[lanes], self.lane_to[lanes]]
            np.add.at(outflow, (self.lane_from[lanes], parts, periods - 1), qty)
            np.add.at(inflow, (self.lane_to[lanes], parts, arrive - 1), qty)
        cons = np.zeros((J, N, T))
        chosen = np.flatnonzero(vec[self.x] > 0.5)
        np.add.at(cons, (self.cand.site[chosen], slice(None), self.cand.start[chosen] - 1),
                  inst.parts_required[self.cand.order[chosen]])
        stock = inst.initial_stock[:, :, None] + np.cumsum(y + inflow - outflow - cons + inst.adjustment_by_period(),
                                                           axis=2)
        vec[self.b] = stock
        if self.r is not None:
            prev = np.concatenate([inst.initial_stock[:, :, None], stock[:, :, :-1]], axis=2)
            vec[self.r] = prev < inst.reorder_point[:, :, None]
        return vec

    def plan_from_vector(self, vec: np.ndarray) -> OffloadPlan:
        """Decisions of a solution vector as an :class:`OffloadPlan` (values rounded)."""
        inst = self.inst
        vec = np.round(vec)
        chosen = np.flatnonzero(vec[self.x] > 0.5)
        i, j, s = self.cand.order[chosen], self.cand.site[chosen], self.cand.start[chosen]
        order_sort = np.argsort(i, kind="stable")
        i, j, s = i[order_sort], j[order_sort], s[order_sort]
        sites = np.array(inst.sites, dtype=object)
        parts = np.array(inst.parts, dtype=object)
        assignments = describe_assignments(
            inst, pd.DataFrame({"order": np.array(inst.orders, dtype=object)[i], "site": sites[j], "start": s})
        )
        y = vec[self.y]
        jj, nn, tt = np.nonzero(y > 0)
        purchases = pd.DataFrame(
            {"site": sites[jj], "part": parts[nn], "period": tt + 1, "quantity": y[jj, nn, tt].astype(np.int64)}
        )
        qv = vec[self.q]
        k = np.flatnonzero(qv > 0)
        lanes = self.q_lane[k]
        frm, to = self.lane_from[lanes], self.lane_to[lanes]
        shipments = pd.DataFrame(
            {
                "from_site": sites[frm],
                "to_site": sites[to],
                "part": parts[self.q_part[k]],
                "period": self.q_period[k],
                "arrival_period": self.q_period[k] + inst.transshipment_time[frm, to],
                "quantity": qv[k].astype(np.int64),
            }
        )
        b = vec[self.b]
        J, N, T = b.shape
        gj, gn, gt = np.meshgrid(np.arange(J), np.arange(N), np.arange(T), indexing="ij")
        inventory = pd.DataFrame(
            {"site": sites[gj.ravel()], "part": parts[gn.ravel()], "period": gt.ravel() + 1,
             "stock": b.ravel().astype(np.int64)}
        )
        return OffloadPlan(assignments, purchases, shipments, inventory, {})


def build_model(
    inst: OffloadInstance,
    mode: str | None = None,
    site_mask: np.ndarray | None = None,
    cand: Candidates | None = None,
) -> OffloadModel:
    """Build the MILP of the module docstring.

    ``site_mask[i, j]`` (or an explicit candidate subset ``cand``) restricts the orders'
    sites and starts: the baseline uses ``site_mask = initial assignment``.
    """
    mode = mode or inst.replenishment
    if mode not in ("sS", "free"):
        raise ValueError(f"unknown replenishment mode {mode!r}")
    J, N, T, I = inst.num_sites, inst.num_parts, inst.horizon, inst.num_orders
    cand = cand if cand is not None else candidates(inst, site_mask)
    lm = LinearModel(name=f"offload-{mode}")

    # ---- variables
    xcost = inst.processing_cost[cand.order, cand.site] + inst.shipping_cost[cand.order, cand.site]
    x = lm.add_vars("x", len(cand), 0, 1, xcost, integer=True)
    buy_max = inst.purchase_limit.astype(float)
    if mode == "sS":
        buy_max = np.minimum(buy_max, inst.order_up_to)
    buy_by_period = np.minimum(inst.purchase_limit_by_period().astype(float), buy_max[:, :, None])  # [J, N, T]
    y = lm.add_vars("y", J * N * T, 0, buy_by_period.ravel(),
                    np.tile(np.repeat(inst.unit_cost, T), J), integer=True).reshape(J, N, T)
    b = lm.add_vars("b", J * N * T, 0, np.repeat(inst.storage_capacity.ravel(), T),
                    np.tile(np.repeat(inst.holding_cost, T), J), integer=True).reshape(J, N, T)

    lane_from, lane_to = inst.lanes_list()
    L = lane_from.size
    tt_lane = inst.transshipment_time[lane_from, lane_to]
    periods_per_lane = np.maximum(T - tt_lane, 0)  # departures 1..T-TT
    z_lane = np.repeat(np.arange(L), periods_per_lane)
    z_period = _expand(np.ones(L, dtype=np.int64), periods_per_lane)[1]
    z_open = inst.lane_open_by_period()[lane_from[z_lane], lane_to[z_lane], z_period - 1]
    z = lm.add_vars("z", z_lane.size, 0, z_open.astype(float),
                    inst.lane_fixed_cost[lane_from[z_lane], lane_to[z_lane]], integer=True)
    # shipments: one per (lane-period, part)
    q_zidx = np.repeat(np.arange(z_lane.size), N)
    q_lane, q_period = z_lane[q_zidx], z_period[q_zidx]
    q_part = np.tile(np.arange(N), z_lane.size)
    consmax = max_consumption(inst, cand)
    src, dst = lane_from[q_lane], lane_to[q_lane]
    arrive = q_period + tt_lane[q_lane]
    upper = np.minimum(
        inst.storage_capacity[src, q_part] + buy_by_period[src, q_part, q_period - 1],
        inst.storage_capacity[dst, q_part] + consmax[dst, q_part, arrive - 1],
    )
    q = lm.add_vars("q", q_lane.size, 0, upper, 0.0, integer=True)

    # ---- assignment
    lm.add_rows("assign", I, cand.order, x, 1.0, 1.0, 1.0)

    # ---- stations and product-type capacity
    owner, period = _expand(cand.start, inst.processing_time[cand.order, cand.site])
    site_of = cand.site[owner]
    lm.add_rows("station", J * T, site_of * T + period - 1, x[owner], 1.0, -np.inf,
                inst.stations_by_period().astype(float).ravel())
    vtype = inst.order_type[cand.order[owner]]
    binding = inst.type_capacity < inst.stations[:, None]
    keep = binding[site_of, vtype]
    V = len(inst.product_types)
    lm.add_rows("type", J * V * T, (site_of[keep] * V + vtype[keep]) * T + period[keep] - 1, x[owner[keep]],
                1.0, -np.inf, np.repeat(inst.type_capacity.ravel().astype(float), T))

    # ---- parts balance: b[t] - b[t-1] - y[t] - arrivals + departures + consumption = b0 [t=1]
    row = lambda j, n, t: (j * N + n) * T + t - 1  # noqa: E731  (t is 1-based)
    gj, gn, gt = (a.ravel() for a in np.meshgrid(np.arange(J), np.arange(N), np.arange(1, T + 1), indexing="ij"))
    later = gt >= 2
    req = inst.parts_required[cand.order]  # [K, N]
    ck, cn = np.nonzero(req)
    rows = [row(gj, gn, gt), row(gj[later], gn[later], gt[later]), row(gj, gn, gt),
            row(src, q_part, arrive), row(src, q_part, q_period),
            row(cand.site[ck], cn, cand.start[ck])]
    cols = [b[gj, gn, gt - 1], b[gj[later], gn[later], gt[later] - 2], y[gj, gn, gt - 1], q, q, x[ck]]
    vals = [np.ones(gj.size), -np.ones(later.sum()), -np.ones(gj.size), -np.ones(q.size), np.ones(q.size),
            req[ck, cn].astype(float)]
    rows[3] = row(dst, q_part, arrive)
    rhs = np.where(gt == 1, inst.initial_stock[gj, gn], 0).astype(float)
    balance_rhs = rhs + inst.adjustment_by_period()[gj, gn, gt - 1]  # a stock correction enters its period
    lm.add_rows("balance", J * N * T, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                balance_rhs, balance_rhs)

    # ---- forward: departures - b[t-1] - y[t] <= b0 [t=1]
    lm.add_rows(
        "forward", J * N * T,
        np.concatenate([row(src, q_part, q_period), row(gj[later], gn[later], gt[later]), row(gj, gn, gt)]),
        np.concatenate([q, b[gj[later], gn[later], gt[later] - 2], y[gj, gn, gt - 1]]),
        np.concatenate([np.ones(q.size), -np.ones(later.sum()), -np.ones(gj.size)]),
        -np.inf, rhs,
    )

    # ---- lane fixed charge: q - U z <= 0
    nq = q.size
    lm.add_rows("lane", nq, np.r_[np.arange(nq), np.arange(nq)], np.r_[q, z[q_zidx]],
                np.r_[np.ones(nq), -upper], -np.inf, 0.0)

    # ---- arrival-needed valid inequalities (see module docstring)
    own = inst.storage_capacity + (0 if mode == "sS" else buy_max)  # [J, N]
    z_first = np.zeros(L, dtype=np.int64)
    z_first[1:] = np.cumsum(periods_per_lane)[:-1]
    z_first += z[0] if z.size else 0

    def inbound_z(site_arr: np.ndarray, period_arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(entry index, z column) of every lane into site_arr[k] departing period_arr[k] - TT."""
        idx, col = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for lane in range(L):
            depart = period_arr - tt_lane[lane]
            ok = (site_arr == lane_to[lane]) & (depart >= 1)
            idx.append(np.flatnonzero(ok))
            col.append(z_first[lane] + depart[ok] - 1)
        return np.concatenate(idx), np.concatenate(col)

    big = (req > own[cand.site]).any(axis=1)
    kb = np.flatnonzero(big)
    ent, zc = inbound_z(cand.site[kb], cand.start[kb])
    lm.add_rows("arrival_order", kb.size, np.r_[np.arange(kb.size), ent], np.r_[x[kb], zc],
                np.r_[np.ones(kb.size), -np.ones(ent.size)], -np.inf, 0.0)
    slack = np.maximum(consmax - own[:, :, None], 0.0)  # [J, N, T]
    need_rows = slack[gj, gn, gt - 1] > 0
    rr = np.flatnonzero(need_rows)
    ent2, zc2 = inbound_z(gj[rr], gt[rr])
    local = -np.ones(J * N * T, dtype=np.int64)
    local[rr] = np.arange(rr.size)
    cons_rows = local[row(cand.site[ck], cn, cand.start[ck])]
    keep_c = cons_rows >= 0
    lm.add_rows(
        "arrival_total", rr.size,
        np.r_[cons_rows[keep_c], ent2],
        np.r_[x[ck][keep_c], zc2],
        np.r_[req[ck, cn][keep_c].astype(float), -slack[gj[rr], gn[rr], gt[rr] - 1][ent2]],
        -np.inf, own[gj[rr], gn[rr]].astype(float),
    )

    # ---- (s,S) rule
    r = None
    if mode == "sS":
        r = lm.add_vars("r", J * N * T, 0, 1, 0.0, integer=True).reshape(J, N, T)
        s_lvl = inst.reorder_point[gj, gn].astype(float)
        S_lvl = inst.order_up_to[gj, gn].astype(float)
        cap = inst.storage_capacity[gj, gn].astype(float)
        b0 = np.where(gt == 1, inst.initial_stock[gj, gn], 0).astype(float)
        k = np.arange(gj.size)
        prev_rows, prev_cols = k[later], b[gj[later], gn[later], gt[later] - 2]
        rcol, ycol = r[gj, gn, gt - 1], y[gj, gn, gt - 1]

        def add(name: str, r_coef: np.ndarray, y_coef: float, lower: object, upper: object) -> None:
            entries_r = [k, prev_rows, k]
            entries_c = [rcol, prev_cols, ycol]
            entries_v = [r_coef, np.ones(prev_rows.size), np.full(k.size, y_coef)]
            lm.add_rows(name, k.size, np.concatenate(entries_r), np.concatenate(entries_c),
                        np.concatenate(entries_v), lower, upper)

        # b[t-1] + s r >= s  ;  b[t-1] + (c - s + 1) r <= c
        add("sS_trigger_low", s_lvl, 0.0, s_lvl - b0, np.inf)
        add("sS_trigger_high", cap - s_lvl + 1, 0.0, -np.inf, cap - b0)
        # y <= S r ; y + b[t-1] >= S r ; y + b[t-1] + (c - S) r <= c
        lm.add_rows("sS_no_order", k.size, np.r_[k, k], np.r_[ycol, rcol], np.r_[np.ones(k.size), -S_lvl],
                    -np.inf, 0.0)
        add("sS_up_to_low", -S_lvl, 1.0, -b0, np.inf)
        # valid: after the review the stock is never below s, so b[t-1] + y[t] >= s
        add("sS_floor", np.zeros(k.size), 1.0, s_lvl - b0, np.inf)
        add("sS_up_to_high", cap - S_lvl, 1.0, -np.inf, cap - b0)

    return OffloadModel(inst, mode, lm, cand, x, y, b, q, q_lane, q_part, q_period, z, z_lane, z_period,
                        r, lane_from, lane_to)
