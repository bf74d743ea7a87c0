"""Seeded generator of offload instances with the case study's dimensions.

Document 000's case study has 3 sites, 5 part types, 4 product types and T = 50; the
authors imputed missing data by uniform draws, and so does this generator. Instances
are built around a *witness*: a feasible plan at the initial assignment (orders
scheduled at their initial site, parts flows following the (s,S) rule with
transshipments from a well-stocked site), so the baseline is feasible in both
replenishment modes by construction. The initial assignment is deliberately
unbalanced: the first site receives the most orders on the fewest stations, and some
(site, part) pairs have small order-up-to levels and purchase limits, so a good plan
offloads orders and moves parts between sites.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from plantwise.offload.instance import OffloadInstance
from plantwise.offload.plan import OffloadPlan

NUM_SITES, NUM_PARTS, NUM_TYPES, HORIZON = 3, 5, 4, 50
# share of orders initially assigned to each site, and the target station utilisation
# of that load: site A is crowded, site C has room.
INITIAL_SHARE = np.array([0.45, 0.33, 0.22])
TARGET_UTILISATION = np.array([0.95, 0.75, 0.6])
# (site, part) pairs that are short of parts: over the horizon they can buy only about
# SHORT_SUPPLY of what their initial orders need. The last site is the parts-rich one.
SHORT_PAIRS = ((0, 0), (0, 1), (0, 3), (1, 2))
SHORT_SUPPLY = 0.3
RICH_SITE = 2


def _place(
    busy: np.ndarray, type_busy: np.ndarray, stations: np.ndarray, cap: np.ndarray,
    j: int, v: int, duration: int, candidates: np.ndarray,
) -> int | None:
    """First start in ``candidates`` with a free station and type slot for ``duration``."""
    for s in candidates:
        window = slice(s - 1, s - 1 + duration)
        if (busy[j, window] < stations[j]).all() and (type_busy[j, v, window] < cap[j, v]).all():
            return int(s)
    return None


def simulate_order_up_to(
    consumption: np.ndarray, arrivals: np.ndarray, b0: int, s: int, S: int
) -> tuple[np.ndarray, np.ndarray]:
    """Purchases and end stock under the (s,S) rule: before period t, if the stock is
    below s, buy S - stock; then add arrivals and remove consumption. Returns
    (purchases[t], stock[t]); a negative stock marks a shortage."""
    T = consumption.size
    buy = np.zeros(T, dtype=np.int64)
    stock = np.zeros(T, dtype=np.int64)
    b = int(b0)
    for t in range(T):
        if b < s:
            buy[t] = S - b
            b = S
        b += int(arrivals[t]) - int(consumption[t])
        stock[t] = b
    return buy, stock


def generate(num_orders: int, seed: int = 0, horizon: int = HORIZON) -> OffloadInstance:
    """A random instance with ``num_orders`` orders; same arguments, same instance."""
    return generate_with_witness(num_orders, seed, horizon)[0]


def generate_with_witness(
    num_orders: int, seed: int = 0, horizon: int = HORIZON
) -> tuple[OffloadInstance, OffloadPlan]:
    """The instance and its witness: a plan at the initial assignment that is feasible
    in both replenishment modes (it follows the (s,S) rule within the purchase limits)."""
    if num_orders < 1:
        raise ValueError("num_orders must be at least 1")
    rng = np.random.default_rng(seed)
    J, N, V, I, T = NUM_SITES, NUM_PARTS, NUM_TYPES, num_orders, horizon

    initial_site = rng.choice(J, size=I, p=INITIAL_SHARE)
    order_type = rng.integers(0, V, size=I)
    processing_time = rng.integers(2, 7, size=(I, J))  # 2..6 periods
    shipping_time = rng.integers(2, 6, size=(I, J))  # 2..5 periods elsewhere
    shipping_time[np.arange(I), initial_site] = rng.integers(1, 3, size=I)  # 1..2 at home
    parts_required = rng.integers(1, 6, size=(I, N)) * (rng.random((I, N)) < 0.7)

    # stations sized from the initial load and the target utilisation
    active = T - 12
    load = np.bincount(initial_site, weights=processing_time[np.arange(I), initial_site], minlength=J)
    stations = np.maximum(1, np.ceil(load / (TARGET_UTILISATION * active))).astype(np.int64)
    type_capacity = np.maximum(1, np.ceil(stations[:, None] * rng.uniform(0.4, 0.7, size=(J, V))))
    type_capacity = type_capacity.astype(np.int64)

    # witness schedule at the initial site; add a station where an order does not fit
    release = rng.integers(1, T - 11, size=I)
    order_by_release = np.argsort(release, kind="stable")
    busy = np.zeros((J, T), dtype=np.int64)
    type_busy = np.zeros((J, V, T), dtype=np.int64)
    start = np.zeros(I, dtype=np.int64)
    for i in order_by_release:
        j, v = initial_site[i], order_type[i]
        pt, st = processing_time[i, j], shipping_time[i, j]
        last = T - pt - st + 1
        candidates = np.r_[np.arange(release[i], last + 1), np.arange(release[i] - 1, 0, -1)]
        s = _place(busy, type_busy, stations, type_capacity, j, v, pt, candidates)
        while s is None:
            stations[j] += 1
            type_capacity[j, v] += 1
            s = _place(busy, type_busy, stations, type_capacity, j, v, pt, candidates)
        start[i] = s
        busy[j, s - 1 : s - 1 + pt] += 1
        type_busy[j, v, s - 1 : s - 1 + pt] += 1
    completion = start + processing_time[np.arange(I), initial_site] + shipping_time[np.arange(I), initial_site] - 1
    due = np.minimum(T, completion + rng.integers(0, 7, size=I))

    # lanes: every ordered pair of sites
    lane = ~np.eye(J, dtype=bool)
    transshipment_time = np.where(lane, rng.integers(1, 4, size=(J, J)), 0)
    lane_fixed_cost = np.where(lane, np.round(rng.uniform(3000, 12000, size=(J, J))), 0.0)

    # witness consumption per (site, part, period)
    consumption = np.zeros((J, N, T), dtype=np.int64)
    np.add.at(consumption, (initial_site[:, None], np.arange(N)[None, :], (start - 1)[:, None]), parts_required)

    initial_stock = np.zeros((J, N), dtype=np.int64)
    storage = np.zeros((J, N), dtype=np.int64)
    reorder = np.zeros((J, N), dtype=np.int64)
    up_to = np.zeros((J, N), dtype=np.int64)
    limit = np.zeros((J, N), dtype=np.int64)
    outbound = np.zeros((N, T), dtype=np.int64)  # witness shipments from the rich site
    inbound = np.zeros((J, N, T), dtype=np.int64)
    short = set(SHORT_PAIRS)
    for j in range(J):
        if j == RICH_SITE:
            continue
        for n in range(N):
            cons = consumption[j, n]
            peak = int(cons.max())
            if (j, n) in short:
                S = max(1, round(SHORT_SUPPLY * cons.mean() * rng.uniform(0.8, 1.2)))
                s = max(1, S // 2)
            else:
                s = max(1, math.ceil(peak * rng.uniform(1.0, 1.2)))
                S = s + max(1, math.ceil(peak * rng.uniform(0.5, 1.5)))
            b0 = S
            tt = transshipment_time[RICH_SITE, j]
            arrivals = np.zeros(T, dtype=np.int64)
            for _ in range(50):  # raise the initial stock until no deficit precedes the lead time
                b, early = b0, 0
                arrivals[:] = 0
                for t in range(T):
                    if b < s:
                        b = S
                    if b < cons[t]:
                        arrivals[t] = cons[t] - b
                        if t + 1 <= tt:
                            early += arrivals[t]
                        b = 0
                    else:
                        b -= cons[t]
                if early == 0:
                    break
                b0 += early
            initial_stock[j, n], reorder[j, n], up_to[j, n] = b0, s, S
            # short sites lack supply (a small purchase limit), not warehouse space: they can
            # store 5-10 periods of their initial orders' consumption
            if (j, n) in short:
                room = math.ceil(cons.mean() * rng.uniform(5.0, 10.0))
            else:
                room = math.ceil(rng.uniform(0.1, 0.5) * S)
            storage[j, n] = max(b0, S) + room
            limit[j, n] = S
            inbound[j, n] = arrivals
            ship_period = np.flatnonzero(arrivals) - tt  # 0-based period of departure
            np.add.at(outbound[n], ship_period, arrivals[arrivals > 0])
    for n in range(N):
        total = consumption[RICH_SITE, n] + outbound[n]
        s = max(1, math.ceil(int(total.max()) * rng.uniform(1.0, 1.2)))
        S = s + max(1, math.ceil(int(total.max()) * rng.uniform(0.5, 1.5)))
        initial_stock[RICH_SITE, n] = int(rng.integers(s, S + 1))
        reorder[RICH_SITE, n], up_to[RICH_SITE, n] = s, S
        storage[RICH_SITE, n] = S + math.ceil(rng.uniform(0.1, 0.5) * S)
        limit[RICH_SITE, n] = S

    base_cost = rng.uniform(20000, 40000, size=I)
    processing_cost = np.round(base_cost[:, None] * rng.uniform(0.9, 1.1, size=(I, J)))
    shipping_cost = np.round(rng.uniform(2000, 12000, size=(I, J)))
    width = max(4, len(str(I)))
    inst = OffloadInstance(
        sites=["A", "B", "C"][:J],
        parts=[f"P{n + 1}" for n in range(N)],
        product_types=[f"V{v + 1}" for v in range(V)],
        orders=[f"O{i + 1:0{width}d}" for i in range(I)],
        horizon=T,
        replenishment="sS",
        stations=stations,
        type_capacity=type_capacity,
        unit_cost=np.round(rng.uniform(100, 800, size=N)),
        holding_cost=np.round(rng.uniform(2, 10, size=N)),
        initial_stock=initial_stock,
        storage_capacity=storage,
        reorder_point=reorder,
        order_up_to=up_to,
        purchase_limit=limit,
        order_type=order_type,
        due=due,
        initial_site=initial_site,
        parts_required=parts_required.astype(np.int64),
        eligible=np.ones((I, J), dtype=bool),
        processing_time=processing_time,
        shipping_time=shipping_time,
        processing_cost=processing_cost,
        shipping_cost=shipping_cost,
        lane=lane,
        transshipment_time=transshipment_time,
        lane_fixed_cost=lane_fixed_cost,
        name=f"offload-{I}-seed{seed}",
    )
    # the witness plan
    buys = []
    for j in range(J):
        for n in range(N):
            out = outbound[n] if j == RICH_SITE else np.zeros(T, dtype=np.int64)
            buy, stock = simulate_order_up_to(consumption[j, n] + out, inbound[j, n],
                                              initial_stock[j, n], reorder[j, n], up_to[j, n])
            assert stock.min() >= 0, "generator witness has a shortage"
            buys += [(inst.sites[j], inst.parts[n], t + 1, int(buy[t])) for t in np.flatnonzero(buy)]
    ships = []
    for j in range(J):
        if j == RICH_SITE:
            continue
        for n in range(N):
            tt = int(transshipment_time[RICH_SITE, j])
            ships += [(inst.sites[RICH_SITE], inst.sites[j], inst.parts[n], t + 1 - tt, t + 1,
                       int(inbound[j, n, t])) for t in np.flatnonzero(inbound[j, n])]
    witness = OffloadPlan(
        pd.DataFrame({"order": inst.orders, "site": np.array(inst.sites)[initial_site], "start": start}),
        pd.DataFrame(buys, columns=["site", "part", "period", "quantity"]),
        pd.DataFrame(ships, columns=["from_site", "to_site", "part", "period", "arrival_period", "quantity"]),
    )
    return inst, witness
