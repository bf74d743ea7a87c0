"""Seeded make-to-order instances drawn by the document's order categories (document 003,
section 4: complexity, promptness, revenue, location, quantity and parts).

The document's tables 2-5 did not survive extraction; the category levels below are ours
(stated in ``docs/models/acceptance.md``). The late penalty is a share of the order's
revenue per day late (``LATE_SHARE_PER_DAY``). Capacities grow with the number of orders
so that roughly two thirds of the orders can be served: acceptance is a real choice.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from plantwise.acceptance.instance import AcceptanceInstance

HORIZON_HOURS = 168.0  # one week
PERIOD_HOURS = 8.0  # one shift per decision period
LATE_SHARE_PER_DAY = 0.05  # of revenue, per day late
UNMET_SHARE = 0.25  # of revenue, for an accepted order never delivered
# category: (levels, probabilities, value ranges per level)
COMPLEXITY = (("simple", "moderate", "complex"), (0.4, 0.4, 0.2), ((2, 2), (3, 3), (4, 4)))  # operations
PROMPTNESS = (("urgent", "normal", "relaxed"), (0.25, 0.5, 0.25), ((24, 48), (72, 120), (120, 160)))  # deadline h
REVENUE = (("low", "medium", "high"), (0.3, 0.5, 0.2), ((2_000, 5_000), (5_000, 10_000), (10_000, 20_000)))
LOCATION = (("local", "regional", "national"), (0.3, 0.5, 0.2), ((10, 50), (50, 300), (300, 1_000)))  # miles
QUANTITY = (("small", "medium", "large"), (0.3, 0.5, 0.2), ((5, 20), (20, 60), (60, 150)))  # items
PARTS = (("few", "many"), (0.6, 0.4), ((1, 2), (3, 4)))  # part types per order
N_PARTS = 6
MODES = pd.DataFrame({"mode": ["truck", "rail", "air"], "capacity_factor": [4.0, 6.0, 1.0],
                      "cost_per_item_mile": [0.05, 0.02, 0.30], "hours_per_mile": [1 / 50, 1 / 30, 1 / 400]})


def _draw(rng: np.random.Generator, category: tuple, n: int) -> tuple[np.ndarray, np.ndarray]:
    levels, probs, ranges = category
    pick = rng.choice(len(levels), size=n, p=probs)
    lo = np.array([ranges[k][0] for k in pick], dtype=float)
    hi = np.array([ranges[k][1] for k in pick], dtype=float)
    return np.array(levels, dtype=object)[pick], lo + (hi - lo) * rng.random(n)


def generate(orders: int = 50, seed: int = 1) -> AcceptanceInstance:
    """``orders`` orders with seeded categories, and a supply chain sized to them."""
    rng = np.random.default_rng(seed)
    n = orders
    ids = [f"O{i + 1:04d}" for i in range(n)]
    complexity, n_ops = _draw(rng, COMPLEXITY, n)
    promptness, deadline = _draw(rng, PROMPTNESS, n)
    revenue_class, revenue = _draw(rng, REVENUE, n)
    location, distance = _draw(rng, LOCATION, n)
    quantity_class, quantity = _draw(rng, QUANTITY, n)
    parts_class, n_parts = _draw(rng, PARTS, n)
    quantity = np.round(quantity).astype(int)
    revenue = np.round(revenue, 2)
    n_machines = max(4, math.ceil(n / 10))
    machines = [f"M{m + 1:02d}" for m in range(n_machines)]
    ops_rows, parts_rows = [], []
    work_hours = 0.0
    for i, order in enumerate(ids):
        route = rng.choice(n_machines, size=round(n_ops[i]), replace=False)
        for step, m in enumerate(route, start=1):
            hours = round(float(rng.uniform(0.03, 0.12)), 3)
            ops_rows.append((order, step, machines[m], hours))
            work_hours += hours * quantity[i]
        for k in rng.choice(N_PARTS, size=round(n_parts[i]), replace=False):
            parts_rows.append((order, f"P{k + 1}", float(rng.integers(1, 4))))
    periods = int(HORIZON_HOURS / PERIOD_HOURS)
    # machine time for about two thirds of the orders' work at 90 % utilisation
    per_machine = PERIOD_HOURS
    capacity_share = (2 / 3) * work_hours / (0.9 * n_machines * periods * per_machine)
    capacity = per_machine * min(1.0, max(capacity_share, 0.3))
    orders_frame = pd.DataFrame({
        "order": ids, "product": [f"product-{c}" for c in complexity], "quantity": quantity, "revenue": revenue,
        "margin": np.round(revenue * rng.uniform(0.15, 0.35, n), 2), "deadline_hours": np.round(deadline, 1),
        "delay_penalty_per_hour": np.round(revenue * LATE_SHARE_PER_DAY / 24, 4),
        "unmet_penalty": np.round(revenue * UNMET_SHARE, 2), "distance_miles": np.round(distance, 1),
        "production_cost_per_hour": np.round(rng.uniform(40, 60, n), 2), "complexity": complexity,
        "promptness": promptness, "revenue_class": revenue_class, "location": location,
        "quantity_class": quantity_class, "parts_class": parts_class,
    })
    order_parts = pd.DataFrame(parts_rows, columns=["order", "part", "per_unit"])
    need = order_parts.merge(orders_frame[["order", "quantity"]], on="order")
    need = (need["per_unit"] * need["quantity"]).groupby(need["part"]).sum()
    part_ids = [f"P{k + 1}" for k in range(N_PARTS)]
    parts = pd.DataFrame({"part": part_ids, "holding_cost": np.round(rng.uniform(0.2, 1.0, N_PARTS), 2),
                          "initial_inventory": 0.0})
    supplier_rows = []
    for s in range(3):
        for k in rng.choice(N_PARTS, size=4, replace=False):
            part = f"P{k + 1}"
            per_period = max(10.0, float(need.get(part, 0.0)) / periods)  # the whole need over the week, shared
            supplier_rows.append((f"S{s + 1}", part, round(per_period * rng.uniform(0.4, 0.8), 1),
                                  round(float(rng.uniform(5, 30)), 2)))
    suppliers = pd.DataFrame(supplier_rows, columns=["supplier", "part", "capacity_per_period", "cost_per_part"])
    for part in part_ids:  # every part has a supplier
        if part not in set(suppliers["part"]):
            suppliers.loc[len(suppliers)] = ["S1", part, max(10.0, float(need.get(part, 0.0)) / periods), 20.0]
    machines_frame = pd.DataFrame({
        "machine": machines, "capacity_hours": round(capacity, 2),
        "maintenance_capacity_hours": round(capacity * 0.75, 2),
        "max_utilisation": 0.9, "mttf_hours": np.round(rng.uniform(72, 120, n_machines), 1),
        "maintenance_hours": 2.0, "maintenance_cost": np.round(rng.uniform(200, 400, n_machines), 2),
    })
    items_per_period = quantity.sum() / periods
    transport = pd.DataFrame({"mode": MODES["mode"],
                              "capacity_per_period": np.round(items_per_period * MODES["capacity_factor"], 0),
                              "cost_per_item_mile": MODES["cost_per_item_mile"],
                              "hours_per_mile": np.round(MODES["hours_per_mile"], 5)})
    return AcceptanceInstance(
        name=f"acceptance-{n}-orders-seed-{seed}", orders=orders_frame, order_parts=order_parts,
        operations=pd.DataFrame(ops_rows, columns=["order", "step", "machine", "hours_per_unit"]), parts=parts,
        suppliers=suppliers, machines=machines_frame, transport=transport, horizon_hours=HORIZON_HOURS,
        period_hours=PERIOD_HOURS, storage_cost=0.1, storage_capacity=float(max(200, quantity.sum() // 3)),
    )
