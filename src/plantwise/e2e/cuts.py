r"""Lot-sizing strengthening of the integrated model (valid inequalities, extended formulation).

The lot rows of :mod:`plantwise.e2e.model`, :math:`x_{kt} \le u_{kt} y_{kt}`, are a weak
big-M link: the LP relaxation opens a fraction :math:`x_{kt}/u_{kt}` of a lot, so its bound
ignores most of the setup cost. Both families here use the *echelon stock* of a SKU
:math:`s`, everything of :math:`s` in the network at the end of day :math:`l`,

.. math::

    E_{sl} = \sum_{a \ni s} I_{al} + \sum_{b \ni s} I_{bl}
           + \sum_{e \ni s} \sum_{\tau = l - L_e + 1}^{l} z_{e\tau}
           + \sum_{f \ni s} \sum_{\tau = l - L_f + 1}^{l} w_{f\tau}

(plant stock, DC stock and shipments and transfers in transit), which obeys
:math:`E_{sl} = E_{s0} + \sum_{\tau \le l} (X_{s\tau} - D_{s\tau})` with :math:`X_{s\tau}`
the production of :math:`s` on all lines. They are valid (they cut off no plan) only
when **stockouts are not allowed** (:math:`E \ge 0` on every day); with
``allow_stockout`` the functions add nothing. Costs, targets and minimums play no part.

* :func:`add_lot_sizing_inequalities` -- the :math:`(l, S)` inequalities of the
  uncapacitated lot-sizing polytope with :math:`S = \{t\}` per pair: for :math:`t \le l`,
  :math:`x_{kt} \le D_{s,t..l}\, y_{kt} + E_{sl}` (a lot made on day :math:`t` either
  serves demand up to :math:`l` or is still in the network at :math:`l`). Only the
  non-dominated ones, :math:`D_{s,t..l} < u_{kt}`, are added. Rows only.
* :func:`add_facility_location` -- the facility-location reformulation: production of
  pair :math:`k` on day :math:`t` is split by the day :math:`l \ge t` whose (net) demand
  it serves, :math:`v_{ktl} \le \tilde D_{sl}\, y_{kt}`, :math:`\sum_l v_{ktl} \le x_{kt}`,
  :math:`\sum_{k \ni s, t \le l - \lambda_s} v_{ktl} = \tilde D_{sl}`. Here
  :math:`\tilde D_{sl}` is the demand left on day :math:`l` after the initial echelon
  stock :math:`E_{s0}` has been used up first-in-first-out, and :math:`\lambda_s` the
  shortest lane lead time into a DC stocking :math:`s`. Its projection implies every
  :math:`(l, S)` inequality, so per SKU it describes the uncapacitated lot-sizing hull:
  the strongest of the two, at :math:`O(K T^2)` extra columns.

Effect (Trigeiro CLSP set, :mod:`plantwise.e2e.trigeiro`, HiGHS 1.14, 2 threads): the LP
bound rises from ~19 % of the optimum to the optimum itself on 12 of 20 instances, but
HiGHS's own root cuts reach the same level on the plain model (X11119A: plain LP 1572,
(l,S) LP 8689, FL LP 8916, HiGHS root bound after cuts 8986 plain / 8994 with FL), so the
time to prove optimality and the gap after 60 s barely move; the remaining ~3 % gap on the
tightest instances comes from the shared line capacity with setup times, which neither
family sees. The FL LP makes a much better plan to round (X11119A: 9890 vs 12843).

Used by the exact method (2026-12, HiGHS 1.16): on a pure lot-sizing model
(:func:`plantwise.e2e.exact.is_lot_sizing`) the LP relaxation and the LP dive run with the
(l, S) rows, whose LP is the optimum on 12 of the 15 Trigeiro instances that close, so the
dive's plan is proven there without a MIP; the MIP itself runs without them (slower node
LPs, the same root bound after HiGHS's cuts). The facility-location block stays optional:
in the MIP it raised the 60-s bound on four of the five X11119 a little but its plans were
worse (larger gaps).
"""

from __future__ import annotations

import numpy as np

from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.model import E2EModel

MAX_ENTRIES = 500_000  # refuse to add more nonzeros than this (the model would balloon)


def _sku_demand(inst: E2EInstance) -> np.ndarray:
    """Network demand per SKU and day, [S, T]."""
    out = np.zeros((len(inst.skus), inst.horizon))
    np.add.at(out, inst.dc_pos_sku, inst.demand)
    return out


def echelon_stock(em: E2EModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COO triplets ``(row, col, val)`` of :math:`E_{sl}`, row ``s * T + l`` (day ``l`` 0-based)."""
    inst = em.instance
    T = inst.horizon
    days = np.arange(T)
    rows, cols = [], []
    for stock, sku in ((em.plant_stock, inst.plant_pos_sku), (em.dc_stock, inst.dc_pos_sku)):
        rows.append((sku[:, None] * T + days[None, :]).ravel())
        cols.append(stock.ravel())
    # in transit at the end of day l: left on tau <= l, arrives on tau + L > l
    for flow, sku, lead in ((em.ship, inst.plant_pos_sku[inst.ship_from], inst.ship_lead),
                            (em.move, inst.plant_pos_sku[inst.move_from], inst.move_lead)):
        for delta in range(int(lead.max()) if lead.size else 0):  # l = tau + delta, 0 <= delta < L
            arc, tau = np.nonzero((lead[:, None] > delta) & (days[None, :] + delta <= T - 1))
            rows.append(sku[arc] * T + tau + delta)
            cols.append(flow[arc, tau])
    r, c = np.concatenate(rows), np.concatenate(cols)
    keep = c >= 0  # columns a lean model left out (folded plant stock and its shipments) hold nothing
    return r[keep], c[keep], np.ones(int(keep.sum()))


def _gather(sl_rows: np.ndarray, echelon: tuple[np.ndarray, np.ndarray, np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every new row ``i`` with echelon row ``sl_rows[i]``: entries ``(i, col, val)`` of that echelon."""
    er, ec, ev = echelon
    order = np.argsort(er, kind="stable")
    er, ec, ev = er[order], ec[order], ev[order]
    n_sl = int(max(er.max(initial=-1), sl_rows.max(initial=-1))) + 1
    start = np.searchsorted(er, np.arange(n_sl))
    count = np.bincount(er, minlength=n_sl)
    per = count[sl_rows]
    row = np.repeat(np.arange(sl_rows.size), per)
    offset = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    idx = np.repeat(start[sl_rows], per) + offset
    return row, ec[idx], ev[idx]


def add_lot_sizing_inequalities(em: E2EModel, max_entries: int = MAX_ENTRIES) -> int:
    r"""Append :math:`x_{kt} - D_{s,t..l} y_{kt} - E_{sl} \le 0` for every pair with a lot
    indicator and :math:`t \le l` with :math:`D_{s,t..l} < u_{kt}` (module docstring).

    Adds one row block ``ls_single``; returns the number of rows added (0 when stockouts
    are allowed, when nothing is non-dominated, or when the block would exceed
    ``max_entries`` nonzeros)."""
    inst = em.instance
    if inst.allow_stockout or not em.binary_pairs.any():
        return 0
    T = inst.horizon
    dem = _sku_demand(inst)
    cum = np.concatenate([np.zeros((dem.shape[0], 1)), np.cumsum(dem, axis=1)], axis=1)  # [S, T+1]
    ks = np.flatnonzero(em.binary_pairs)
    k_idx, t_idx, l_idx = [], [], []
    for t in range(T):  # vector step per day: all binary pairs, all l >= t
        ls = np.arange(t, T)
        d = cum[inst.pair_sku[ks]][:, ls + 1] - cum[inst.pair_sku[ks], t][:, None]  # [nk, T - t]
        ok = (d < em.x_upper[ks, t][:, None] - 1e-9) & (em.x_upper[ks, t][:, None] > 0)
        kk, jj = np.nonzero(ok)
        k_idx.append(ks[kk])
        t_idx.append(np.full(kk.size, t))
        l_idx.append(ls[jj])
    k, t, l = np.concatenate(k_idx), np.concatenate(t_idx), np.concatenate(l_idx)
    n = k.size
    if n == 0:
        return 0
    s = inst.pair_sku[k]
    d = cum[s, l + 1] - cum[s, t]
    er, ec, ev = _gather(s * T + l, echelon_stock(em))
    if 2 * n + er.size > max_entries:
        return 0
    r = np.arange(n)
    em.model.add_rows("ls_single", n, np.concatenate([r, r, er]), np.concatenate([em.x[k, t], em.y[k, t], ec]),
                      np.concatenate([np.ones(n), -d, -ev]), -np.inf, 0.0)
    return n


def net_demand(inst: E2EInstance) -> np.ndarray:
    """Demand per SKU and day left after the initial echelon stock is used first-in-first-out, [S, T]."""
    dem = _sku_demand(inst)
    stock = np.zeros(len(inst.skus))
    np.add.at(stock, inst.plant_pos_sku, inst.plant_initial)
    np.add.at(stock, inst.dc_pos_sku, inst.dc_initial)
    cum = np.cumsum(dem, axis=1)
    covered = np.minimum(cum, stock[:, None])
    return dem - np.diff(np.concatenate([np.zeros((dem.shape[0], 1)), covered], axis=1), axis=1)


def add_facility_location(em: E2EModel, max_entries: int = MAX_ENTRIES) -> int:
    r"""Append the facility-location reformulation of the module docstring.

    Adds a column block ``fl_serve`` (:math:`v_{ktl} \ge 0`) and row blocks
    ``fl_demand``, ``fl_lot`` and ``fl_split``; returns the number of columns added
    (0 when stockouts are allowed or the blocks would exceed ``max_entries``
    nonzeros)."""
    inst = em.instance
    if inst.allow_stockout or not em.binary_pairs.any():
        return 0
    T = inst.horizon
    S = len(inst.skus)
    nd = net_demand(inst)
    # shortest lead time from production to a DC of the SKU
    lam = np.full(S, np.iinfo(np.int64).max)
    np.minimum.at(lam, inst.plant_pos_sku[inst.ship_from], inst.ship_lead)
    lam = np.where(lam == np.iinfo(np.int64).max, 0, lam)
    K = inst.num_pairs
    k, t, l = np.meshgrid(np.arange(K), np.arange(T), np.arange(T), indexing="ij")
    s = inst.pair_sku[k]
    keep = (t + lam[s] <= l) & (nd[s, l] > 1e-9) & (em.x_upper[k, t] > 1e-9)
    k, t, l, s = k[keep], t[keep], l[keep], s[keep]
    n = k.size
    binary = em.binary_pairs[k]
    nb = int(binary.sum())
    if n == 0 or 3 * n + nb > max_entries:
        return 0
    v = em.model.add_vars("fl_serve", n, 0.0, nd[s, l])
    # demand of (s, l) served exactly
    sl = s * T + l
    uniq, dem_row = np.unique(sl, return_inverse=True)
    missing = (nd > 1e-9) & ~np.isin(np.arange(S * T).reshape(S, T), uniq)
    if missing.any():  # net demand that no pair can serve: the model is infeasible anyway; stay valid
        em.model.add_rows("fl_demand", uniq.size, dem_row, v, 1.0, -np.inf, nd.ravel()[uniq])
    else:
        em.model.add_rows("fl_demand", uniq.size, dem_row, v, 1.0, nd.ravel()[uniq], nd.ravel()[uniq])
    # v <= nd * y for pairs with a lot indicator
    r = np.arange(nb)
    em.model.add_rows("fl_lot", nb, np.concatenate([r, r]), np.concatenate([v[binary], em.y[k[binary], t[binary]]]),
                      np.concatenate([np.ones(nb), -nd[s[binary], l[binary]]]), -np.inf, 0.0)
    # sum_l v_ktl <= x_kt
    kt = k * T + t
    uniq, split_row = np.unique(kt, return_inverse=True)
    m = uniq.size
    em.model.add_rows("fl_split", m, np.concatenate([split_row, np.arange(m)]),
                      np.concatenate([v, em.x.ravel()[uniq]]), np.concatenate([np.ones(n), -np.ones(m)]), -np.inf, 0.0)
    return n
