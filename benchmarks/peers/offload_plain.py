"""The plain document-000 formulation on HiGHS: what a user would write from the paper.

Ahn & Aqlan's integer program (document 000, ``../shared/seeds/000_*.txt``) with the
defects of the printed model fixed the way the text intends, and nothing else: one big-M
constant per constraint family, no bound tightening, no valid inequalities, no warm
start, no heuristic, HiGHS with its defaults (``mip_rel_gap`` as plantwise's ``--mip-gap``).
The model is this module's own; only the data is read with plantwise's instance loader,
and the plan is checked with plantwise's offload verifier (never by this model).

Notation as in the paper: orders i, sites j, parts n, product types v, periods t = 1..T.

Variables (all integer, as in the paper)
  X[i,j,t] in {0,1}  order i starts ("assignment confirmation") at site j in period t;
                     every t in 1..T, for the sites where the order can be made
  R[i,j,t] in {0,1}  order i occupies a station at site j in period t after its start
  Y[j,n,t] in Z+     parts bought, at most the purchase limit of the period ((23))
  b[j,n,t] in Z+     end-of-period stock, at most the storage capacity ((8))
  S[j,k,n,t] in Z+   parts shipped from j to k in period t (lanes of lanes.csv only,
                     arrival t + TT_jk within the horizon)
  phi[j,k,t] in {0,1} lane j -> k ships in period t (fixed cost TC_jk)
  u[j,n,t] in {0,1}  (sS mode) the paper's (15)-(16) helper: the stock before t is below s

Objective (as printed, read as "the cost of the chosen start")
  sum X (PC_ij + SC_ij) + sum Y MC_n + sum b h_n + sum phi TC_jk

Constraints, numbered as in the paper
  (1)      sum_{j,t} X[i,j,t] = 1
  (2)      sum_{j, t > PSSD_i} X[i,j,t] = 0
  (17-18)  intent (printed: vacuous): the order completes by its due date,
           sum_{j,t} (t + PT_ij + ST_ij - 1) X[i,j,t] <= PSSD_i
  (11-13)  a start occupies a station for PT_ij periods: the paper's big-M pair
           X <= M(1 - u), 1 - sum_k R(t+k) / (PT - 1) <= M u links two binaries, so it is
           written without its helper u:  (PT_ij - 1) X[i,j,t] <= sum_{k=1}^{PT_ij-1} R[i,j,t+k]
  (14)     sum_i (X[i,j,t] + R[i,j,t]) <= L_j (less the stations lost in t)
  (6-7)    rho_jvt = sum_{i of type v} (X + R) <= C_jv          (9)  sum_v rho_jvt <= sum_v C_jv
  (5)      b[t] = b[t-1] + Y[t] + sum_{k -> j} S[k,j,n,t - TT_kj] - sum_{j -> k} S[j,k,n,t]
                  - sum_i P_in X[i,j,t],   b[0] = initial stock
  (19-20)  intent (printed: vacuous): sum_n S[j,k,n,t] <= M_lane phi[j,k,t], one M for every
           lane and period: M_lane = max_j sum_n (c_jn + the largest purchase limit of (j, n)),
           the most a site can hold and buy in one period (valid by the no-cross-docking rows)
  (15-16)  (sS mode) intent: when the stock before t is below s, buy S - stock, else nothing;
           with one M_sS = max c_jn + the largest purchase limit + 1:
             s - b[t-1] <= M u          b[t-1] - s + 1 <= M (1 - u)          Y[t] <= M u
             S - b[t-1] - Y[t] <= M (1 - u)          Y[t] + b[t-1] - S <= M (1 - u)

Where the printed model is wrong (the list in ``../shared/seeds/README.md``) this module
implements the intent, as plantwise does: (3) forbids shipping from a site to itself (no
such lane exists), (5)'s inbound term arrives TT periods after it leaves, (17)-(18) and
(19)-(20) have their big-M on the right side, ``c_jn`` (storage) and ``S_jn`` (order-up-to)
are separate data, ``PR_ij`` reads ``PT_ij``, (6)-(7) count an order while it occupies a
station (plantwise's reading: in-process capacity), and (15)-(16) buy exactly ``S - b``
(plantwise's ``sS`` mode; ``free`` mode drops them and ``u``). The paper's ``beta``
(customer shipment) and ``tau`` (a processing time inside an index, not linear) are not
needed once (17)-(18) state the due date on the start.

Features of plantwise's offload model that are not in the document, modelled plainly here
so that both tools solve the same problem and their objectives are comparable (the cost
terms are the verifier's): purchase limits per period instead of ``Y <= c_jn`` (and
``purchase_limits.csv``), initial stock per site and part instead of ``b_jn0 = c_jn``, no
cross-docking (``sum_{j -> k} S[j,k,n,t] <= b[t-1] + Y[t]``: parts leave from the stock on
hand, as plantwise's verifier requires), and the optional calendars: stations lost by
period (``site_downtime.csv``, in (14)), closed lane-periods (``lane_closures.csv``:
``phi = 0``) and stock corrections (``stock_adjustments.csv``, in (5)).
"""

from __future__ import annotations

import math
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from benchmarks.peers import Outcome, Trace

INF = highspy.kHighsInf


class _Builder:
    """Columns and rows in COO form; one HiGHS model at the end."""

    def __init__(self) -> None:
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.ncols = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.row_lower: list[np.ndarray] = []
        self.row_upper: list[np.ndarray] = []
        self.nrows = 0

    def var(self, shape: tuple[int, ...] | int, lower: object, upper: object, cost: object) -> np.ndarray:
        size = int(np.prod(shape))
        self.lower.append(np.broadcast_to(np.asarray(lower, float), (size,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, float), (size,)).copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, float), (size,)).copy())
        self.integer.append(np.ones(size, dtype=bool))
        idx = np.arange(self.ncols, self.ncols + size).reshape(shape)
        self.ncols += size
        return idx

    def rows_block(self, count: int, row: np.ndarray, col: np.ndarray, val: np.ndarray,
                   lower: object, upper: object) -> None:
        """``count`` rows; entries (row within the block, column, value)."""
        self.rows.append(np.asarray(row, np.int64) + self.nrows)
        self.cols.append(np.asarray(col, np.int64))
        self.vals.append(np.broadcast_to(np.asarray(val, float), (len(row),)).copy())
        self.row_lower.append(np.broadcast_to(np.asarray(lower, float), (count,)).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, float), (count,)).copy())
        self.nrows += count

    def highs(self) -> highspy.Highs:
        a = sparse.coo_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                              shape=(self.nrows, self.ncols)).tocsc()
        a.sum_duplicates()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.ncols, self.nrows
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.concatenate(self.upper)
        lp.row_lower_ = np.clip(np.concatenate(self.row_lower), -INF, INF)
        lp.row_upper_ = np.clip(np.concatenate(self.row_upper), -INF, INF)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.ncols, self.nrows
        lp.integrality_ = [highspy.HighsVarType.kInteger] * self.ncols  # every variable of the paper is integer
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(lp)
        return h


class PlainModel:
    """The formulation of the module docstring for one instance and replenishment mode."""

    def __init__(self, inst: object, mode: str) -> None:
        if mode not in ("sS", "free"):
            raise ValueError(f"unknown replenishment mode {mode!r} (sS or free)")
        self.inst, self.mode = inst, mode
        I, J, N, T = inst.num_orders, inst.num_sites, inst.num_parts, inst.horizon
        V = len(inst.product_types)
        m = _Builder()
        self.builder = m

        # ---- X and R for every eligible (i, j) and every period
        pi, pj = np.nonzero(inst.eligible)  # (order, site) pairs
        P = pi.size
        per = np.arange(1, T + 1)
        xc = np.repeat(inst.processing_cost[pi, pj] + inst.shipping_cost[pi, pj], T)
        self.X = m.var((P, T), 0, 1, xc)
        self.R = m.var((P, T), 0, 1, 0.0)
        self.pair_order, self.pair_site = pi, pj
        pt, st = inst.processing_time[pi, pj], inst.shipping_time[pi, pj]
        pp, tt = (a.ravel() for a in np.meshgrid(np.arange(P), per, indexing="ij"))  # one entry per X

        # (1) every order once
        m.rows_block(I, pi[pp], self.X[pp, tt - 1], 1.0, 1.0, 1.0)
        # (2) no start after the due date
        late = tt > inst.due[pi[pp]]
        m.rows_block(I, pi[pp[late]], self.X[pp[late], tt[late] - 1], 1.0, 0.0, 0.0)
        # (17-18) completion by the due date
        m.rows_block(I, pi[pp], self.X[pp, tt - 1], (tt + pt[pp] + st[pp] - 1).astype(float), -np.inf,
                     inst.due.astype(float))
        # (11-13) occupancy after the start: (PT - 1) X[t] - sum_{k=1}^{PT-1} R[t+k] <= 0
        occ_len = pt[pp] - 1
        keep = occ_len > 0
        link = np.flatnonzero(keep)
        owner = np.repeat(link, occ_len[link])
        offset = np.arange(owner.size) - np.repeat(np.cumsum(occ_len[link]) - occ_len[link], occ_len[link]) + 1
        later = tt[owner] + offset
        inside = later <= T
        local = np.full(pp.size, -1)
        local[link] = np.arange(link.size)
        m.rows_block(link.size,
                     np.r_[local[link], local[owner[inside]]],
                     np.r_[self.X[pp[link], tt[link] - 1], self.R[pp[owner[inside]], later[inside] - 1]],
                     np.r_[occ_len[link].astype(float), -np.ones(int(inside.sum()))],
                     -np.inf, 0.0)
        # (14) stations; (7) product-type capacity; (9) aggregate capacity
        busy_cols = np.r_[self.X[pp, tt - 1], self.R[pp, tt - 1]]
        busy_site = np.r_[pj[pp], pj[pp]]
        busy_t = np.r_[tt, tt]
        busy_type = inst.order_type[np.r_[pi[pp], pi[pp]]]
        m.rows_block(J * T, busy_site * T + busy_t - 1, busy_cols, 1.0, -np.inf,
                     inst.stations_by_period().astype(float).ravel())
        m.rows_block(J * V * T, (busy_site * V + busy_type) * T + busy_t - 1, busy_cols, 1.0, -np.inf,
                     np.repeat(inst.type_capacity.astype(float).ravel(), T))
        m.rows_block(J * T, busy_site * T + busy_t - 1, busy_cols, 1.0, -np.inf,
                     np.repeat(inst.type_capacity.sum(axis=1).astype(float), T))

        # ---- parts: Y, b, lanes
        limit = inst.purchase_limit_by_period().astype(float)  # [J, N, T]
        self.Y = m.var((J, N, T), 0, limit.ravel(), np.tile(np.repeat(inst.unit_cost, T), J))
        self.b = m.var((J, N, T), 0, np.repeat(inst.storage_capacity.astype(float).ravel(), T),
                       np.tile(np.repeat(inst.holding_cost, T), J))
        lf, lt = np.nonzero(inst.lane)
        L = lf.size
        self.lane_from, self.lane_to = lf, lt
        ltt = inst.transshipment_time[lf, lt]
        depart_ok = per[None, :] + ltt[:, None] <= T  # [L, T]: arrival within the horizon
        open_ = inst.lane_open_by_period()[lf, lt]  # [L, T]
        self.phi = m.var((L, T), 0, (depart_ok & open_).astype(float).ravel(),
                         np.repeat(inst.lane_fixed_cost[lf, lt], T))
        self.S = m.var((L, N, T), 0, np.where(np.repeat(depart_ok[:, None, :], N, axis=1), INF, 0.0).ravel(), 0.0)
        self.depart_ok = depart_ok

        row = lambda j, n, t: (j * N + n) * T + t - 1  # noqa: E731  (t is 1-based)
        gj, gn, gt = (a.ravel() for a in np.meshgrid(np.arange(J), np.arange(N), per, indexing="ij"))
        prev = gt >= 2
        sl, sn, st_ = (a.ravel() for a in np.meshgrid(np.arange(L), np.arange(N), per, indexing="ij"))
        ok = depart_ok[sl, st_ - 1]
        sl, sn, st_ = sl[ok], sn[ok], st_[ok]
        scol = self.S[sl, sn, st_ - 1]
        arrive = st_ + ltt[sl]
        # consumption entries: X of (pair, t) needs P_in of part n at the pair's site in t
        need = inst.parts_required[pi]  # [P, N]
        cp, cn = np.nonzero(need)
        cpp = np.repeat(cp, T)
        cnn = np.repeat(cn, T)
        ctt = np.tile(per, cp.size)
        b0 = np.where(gt == 1, inst.initial_stock[gj, gn], 0).astype(float)
        # (5) b[t] - b[t-1] - Y[t] - arrivals + departures + consumption = b0 [t=1] + correction
        rhs = b0 + inst.adjustment_by_period()[gj, gn, gt - 1]
        m.rows_block(
            J * N * T,
            np.r_[row(gj, gn, gt), row(gj[prev], gn[prev], gt[prev]), row(gj, gn, gt),
                  row(lt[sl], sn, arrive), row(lf[sl], sn, st_), row(pj[cpp], cnn, ctt)],
            np.r_[self.b[gj, gn, gt - 1], self.b[gj[prev], gn[prev], gt[prev] - 2], self.Y[gj, gn, gt - 1],
                  scol, scol, self.X[cpp, ctt - 1]],
            np.r_[np.ones(gj.size), -np.ones(int(prev.sum())), -np.ones(gj.size), -np.ones(scol.size),
                  np.ones(scol.size), need[cpp, cnn].astype(float)],
            rhs, rhs)
        # no cross-docking (plantwise's rule): departures - b[t-1] - Y[t] <= b0 [t=1]
        m.rows_block(
            J * N * T,
            np.r_[row(lf[sl], sn, st_), row(gj[prev], gn[prev], gt[prev]), row(gj, gn, gt)],
            np.r_[scol, self.b[gj[prev], gn[prev], gt[prev] - 2], self.Y[gj, gn, gt - 1]],
            np.r_[np.ones(scol.size), -np.ones(int(prev.sum())), -np.ones(gj.size)],
            -np.inf, b0)
        # (19-20) lane fixed charge with one big M: sum_n S[l,n,t] - M phi[l,t] <= 0
        self.M_lane = float((inst.storage_capacity + limit.max(axis=2)).sum(axis=1).max()) if J else 0.0
        pl, pt_ = np.nonzero(depart_ok)
        lane_row = np.full((L, T), -1)
        lane_row[pl, pt_] = np.arange(pl.size)
        m.rows_block(pl.size, np.r_[lane_row[sl, st_ - 1], np.arange(pl.size)],
                     np.r_[scol, self.phi[pl, pt_]], np.r_[np.ones(scol.size), np.full(pl.size, -self.M_lane)],
                     -np.inf, 0.0)

        # (15-16) (s,S) rule with one big M
        self.u = None
        if mode == "sS":
            self.u = m.var((J, N, T), 0, 1, 0.0)
            M = float(inst.storage_capacity.max() + limit.max() + 1) if J and N else 1.0
            self.M_sS = M
            s = inst.reorder_point[gj, gn].astype(float)
            S = inst.order_up_to[gj, gn].astype(float)
            k = np.arange(gj.size)
            ucol, ycol = self.u[gj, gn, gt - 1], self.Y[gj, gn, gt - 1]
            bprev_rows, bprev_cols = k[prev], self.b[gj[prev], gn[prev], gt[prev] - 2]

            def block(b_coef: float, y_coef: float, u_coef: float, upper: np.ndarray) -> None:
                """b_coef b[t-1] + y_coef Y[t] + u_coef u[t] <= upper (b[0] moved to the right)."""
                rows_, cols_, vals_ = [k], [ucol], [np.full(k.size, u_coef)]
                if b_coef:
                    rows_.append(bprev_rows)
                    cols_.append(bprev_cols)
                    vals_.append(np.full(bprev_rows.size, b_coef))
                if y_coef:
                    rows_.append(k)
                    cols_.append(ycol)
                    vals_.append(np.full(k.size, y_coef))
                m.rows_block(k.size, np.concatenate(rows_), np.concatenate(cols_), np.concatenate(vals_),
                             -np.inf, upper - b_coef * b0)

            block(-1.0, 0.0, -M, -s)           # s - b[t-1] <= M u
            block(1.0, 0.0, M, s - 1 + M)      # b[t-1] - s + 1 <= M (1 - u)
            block(0.0, 1.0, -M, np.zeros(k.size))  # Y[t] <= M u
            block(-1.0, -1.0, M, M - S)        # S - b[t-1] - Y[t] <= M (1 - u)
            block(1.0, 1.0, M, M + S)          # Y[t] + b[t-1] - S <= M (1 - u)

    # ------------------------------------------------------------------ reading a solution
    def plan(self, x: np.ndarray) -> object:
        """The solution as a plantwise offload plan (assignments, purchases, transshipments)."""
        from plantwise.offload.plan import OffloadPlan

        inst = self.inst
        v = np.round(np.asarray(x, float))
        sites, parts = np.array(inst.sites, dtype=object), np.array(inst.parts, dtype=object)
        orders = np.array(inst.orders, dtype=object)
        xp, xt = np.nonzero(v[self.X] > 0.5)
        order_sort = np.argsort(self.pair_order[xp], kind="stable")
        xp, xt = xp[order_sort], xt[order_sort]
        assignments = pd.DataFrame({"order": orders[self.pair_order[xp]], "site": sites[self.pair_site[xp]],
                                    "start": xt + 1})
        y = v[self.Y]
        jj, nn, tt = np.nonzero(y > 0)
        purchases = pd.DataFrame({"site": sites[jj], "part": parts[nn], "period": tt + 1,
                                  "quantity": y[jj, nn, tt].astype(np.int64)})
        q = v[self.S]
        ll, qn, qt = np.nonzero(q > 0)
        frm, to = self.lane_from[ll], self.lane_to[ll]
        shipments = pd.DataFrame({"from_site": sites[frm], "to_site": sites[to], "part": parts[qn],
                                  "period": qt + 1, "arrival_period": qt + 1 + inst.transshipment_time[frm, to],
                                  "quantity": q[ll, qn, qt].astype(np.int64)})
        return OffloadPlan(assignments, purchases, shipments, None, {})


def _threads(h: highspy.Highs, threads: int) -> None:
    """HiGHS sizes one thread pool per process at its first run; size it for this run."""
    highspy.Highs.resetGlobalScheduler(True)
    h.setOptionValue("threads", int(threads))


def solve(instance_dir: str | Path, time_limit: float, threads: int = 1, mode: str = "sS",
          mip_gap: float = 1e-4, seed: int = 0, log: bool = False,
          generate: tuple[int, int] | list[int] | None = None) -> Outcome:
    """Load ``instance_dir`` (a plantwise offload instance), build the plain model for
    replenishment ``mode``, solve it with HiGHS within ``time_limit`` seconds (loading and
    building included), map the incumbent to a plantwise plan and verify it.

    ``generate = (orders, seed)``: when ``instance_dir`` does not exist yet, it is first
    generated (before the clock starts) as ``plantwise offload generate --orders N --seed S``
    into the benchmark cache (:func:`benchmarks.suites.offload.instance_dir`)."""
    from plantwise.offload.instance import load
    from plantwise.offload.verifier import verify

    if generate is not None and not (Path(instance_dir) / "instance.yaml").is_file():
        from benchmarks.suites.offload import instance_dir as generated

        instance_dir = generated(int(generate[0]), int(generate[1]))
    trace = Trace()
    inst = load(instance_dir)
    model = PlainModel(inst, mode)
    h = model.builder.highs()
    built = trace.elapsed()
    h.setOptionValue("output_flag", bool(log))
    h.setOptionValue("time_limit", float(max(time_limit - built, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", int(seed))

    def improving(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        value = out.objective_function_value
        if value is None or not math.isfinite(value) or abs(value) >= 1e29:
            value = out.mip_primal_bound
        trace(float(value))

    h.cbMipImprovingSolution.subscribe(improving)
    _threads(h, threads)
    h.run()
    seconds = trace.elapsed()
    highspy.Highs.resetGlobalScheduler(True)  # leave no pool of this size to a later run in the process

    status_ = h.getModelStatus()
    ms = highspy.HighsModelStatus
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    objective = float(info.objective_function_value) if has_solution else None
    bound = float(info.mip_dual_bound)
    bound = bound if math.isfinite(bound) and abs(bound) < 1e29 else None
    if status_ == ms.kOptimal:
        status = "optimal"
        bound = objective if bound is None else bound
    elif status_ == ms.kInfeasible:
        status = "infeasible"
    elif has_solution:
        status = "feasible"
    elif status_ in (ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit, ms.kSolutionLimit):
        status = "no_solution"
    else:
        status = "error"
    size = f"{model.builder.ncols} columns, {model.builder.nrows} rows, built in {built:.2f} s"
    notes = [f"HiGHS {h.modelStatusToString(status_)}; {size}; M_lane = {model.M_lane:g}"
             + (f", M_sS = {model.M_sS:g}" if mode == "sS" else "")]
    verified = None
    if has_solution and objective is not None:
        plan = model.plan(np.asarray(h.getSolution().col_value, float))
        check = verify(inst, plan, mode)  # no claimed objective: the cost is compared below
        verified = check.ok
        if not check.ok:
            notes.append("verifier: " + "; ".join(str(v) for v in check.violations[:5]))
        cost = check.total_cost
        if abs(cost - objective) > 1e-6 * max(1.0, abs(objective)):
            notes.append(f"verifier's cost {cost:,.2f} differs from the peer's objective {objective:,.2f} "
                         f"(by {cost - objective:+,.2f})")
    if objective is not None and (not trace.points or trace.points[-1][1] > objective + 1e-9):
        trace(objective, at=seconds)
    return Outcome(status, objective, bound, round(seconds, 3), trace.points, verified, "; ".join(notes))
