"""Scenario generator reproducing document 001's network and its three scenarios.

Network (section 3.2, Figure 4): plant A makes 200 SKUs on lines 2A, 3A, 6A and serves
DC1A-DC6A; plant B makes 170 of the same SKUs on lines 1B, 2B and serves DC1B-DC5B; a
transfer lane joins the plants both ways; 14 days.

Scenarios (Tables 10, 16, 23: average daily demand and initial inventory of plant A;
plant B's are given for scenario 3 only and scaled with A's demand in 1 and 2):

=========  ================  ===============  ================================
scenario   A demand/day      A initial stock  intended capacity situation
=========  ================  ===============  ================================
1          32,038            508,702          capacity fits demand and targets
2          64,076            508,702          fits demand, not the targets
3          73,687            508,702          A cannot cover its own demand
=========  ================  ===============  ================================

The document gives no line rates. Each plant's lines make about ``PLANT_CAPACITY`` units a
day (with the SKU mix), chosen so that the situations above hold by a margin over the
horizon: scenario 1 needs ~56 % of A's capacity to meet demand and targets, scenario 2
~84 % to meet demand alone (and far more with targets: SKUs start below target), and
scenario 3 ~113 % of A's capacity for demand alone while B has room to spare.
"""

from __future__ import annotations

import numpy as np

from plantwise.core.errors import InputError
from plantwise.e2e.instance import E2EInstance, Penalties, moq_warnings

HORIZON = 14
PLANT_SKUS = {"A": 200, "B": 170}
PLANT_LINES = {"A": ("2A", "3A", "6A"), "B": ("1B", "2B")}
LINE_BASE_RATE = {"2A": 400.0, "3A": 500.0, "6A": 475.0, "1B": 700.0, "2B": 675.0}  # units/h at 200 SKUs
HOURS_PER_DAY = 24.0
PLANT_CAPACITY = 33_000.0  # units/day, both plants, at the document's SKU counts (informative)
DC_WEIGHTS = {
    "A": {"DC1A": 0.28, "DC2A": 0.24, "DC3A": 0.22, "DC4A": 0.24, "DC5A": 0.01, "DC6A": 0.01},
    "B": {"DC1B": 0.45, "DC2B": 0.25, "DC3B": 0.01, "DC4B": 0.02, "DC5B": 0.27},
}
SCENARIOS = {  # plant -> (average daily demand, initial inventory); Tables 10, 16, 23
    1: {"A": (32_038.0, 508_702.0), "B": (16_010.0, 259_959.0)},
    2: {"A": (64_076.0, 508_702.0), "B": (32_026.0, 259_959.0)},
    3: {"A": (73_687.0, 508_702.0), "B": (36_829.0, 259_959.0)},
}
TARGET_DAYS = 10.0  # target inventory in days of demand (plant + DCs)
PLANT_STOCK_SHARE = 0.4  # of a SKU's initial stock and target held at the plant, the rest at DCs


def generate(scenario: int = 1, seed: int = 1, skus: int | None = None, horizon: int = HORIZON) -> E2EInstance:
    """A seeded instance of ``scenario`` (1, 2 or 3). ``skus`` scales plant A's SKU count
    (plant B keeps the ratio 170/200); demand, stock and line rates scale with it."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be 1, 2 or 3, got {scenario}")
    rng = np.random.default_rng([seed, scenario])
    scale = 1.0 if skus is None else skus / PLANT_SKUS["A"]
    counts = {"A": max(1, round(PLANT_SKUS["A"] * scale)), "B": max(1, round(PLANT_SKUS["B"] * scale))}
    n_sku = max(counts.values())
    sku_ids = [f"S{k + 1:04d}" for k in range(n_sku)]
    plants = ["A", "B"]
    lines = [ln for p in plants for ln in PLANT_LINES[p]]
    line_plant = np.array([plants.index(p) for p in plants for _ in PLANT_LINES[p]], dtype=np.int64)
    dcs = [dc for p in plants for dc in DC_WEIGHTS[p]]
    dc_plant = np.array([plants.index(p) for p in plants for _ in DC_WEIGHTS[p]], dtype=np.int64)

    # SKU popularity (skewed, as consumer goods are) and per-plant daily means
    popularity = rng.lognormal(0.0, 1.0, n_sku)
    pair_line, pair_sku, rate, moq = [], [], [], []
    pp_plant, pp_sku, pp_init, pp_target = [], [], [], []
    dp_dc, dp_sku, dp_init, dp_target, dp_demand = [], [], [], [], []
    cover_spread = {1: (13.0, 18.6), 2: (4.0, 11.8), 3: (3.8, 10.0)}[scenario]
    for p_idx, plant in enumerate(plants):
        n = counts[plant]
        daily, initial = SCENARIOS[scenario][plant]
        daily *= scale
        initial *= scale
        share = popularity[:n] / popularity[:n].sum()
        mean = daily * share  # units/day per SKU
        cover = rng.uniform(*cover_spread, n)
        cover *= initial / float((cover * mean).sum())  # match the table's initial inventory exactly
        plant_lines = [lines.index(ln) for ln in PLANT_LINES[plant]]
        for s in range(n):
            k_lines = rng.choice(plant_lines, size=min(2, len(plant_lines)), replace=False) \
                if rng.random() < 0.7 or len(plant_lines) < 3 else np.array(plant_lines)
            for ln in sorted(int(v) for v in k_lines):
                pair_line.append(ln)
                pair_sku.append(s)
                rate.append(LINE_BASE_RATE[lines[ln]] * scale * rng.uniform(0.85, 1.15))
                moq.append(float(max(1.0, np.round(mean[s] * rng.uniform(1.0, 3.0)))))
            pp_plant.append(p_idx)
            pp_sku.append(s)
            pp_init.append(float(np.round(PLANT_STOCK_SHARE * cover[s] * mean[s])))
            pp_target.append(float(np.round(PLANT_STOCK_SHARE * TARGET_DAYS * mean[s])))
            # the SKU is stocked at 1-3 of the plant's DCs, drawn by DC weight
            names = list(DC_WEIGHTS[plant])
            weights = np.array(list(DC_WEIGHTS[plant].values()))
            k = int(rng.integers(1, 4))
            chosen = np.sort(rng.choice(len(names), size=k, replace=False, p=weights))
            split = weights[chosen] * rng.uniform(0.7, 1.3, k)
            split /= split.sum()
            for c, f in zip(chosen, split, strict=True):
                dc_mean = mean[s] * f
                noise = rng.normal(1.0, 0.25, horizon).clip(0.2, None)
                dp_dc.append(dcs.index(names[c]))
                dp_sku.append(s)
                dp_demand.append(np.round(dc_mean * noise))
                dp_init.append(float(np.round((1 - PLANT_STOCK_SHARE) * cover[s] * dc_mean)))
                dp_target.append(float(np.round((1 - PLANT_STOCK_SHARE) * TARGET_DAYS * dc_mean)))

    L = len(lines)
    hours = np.full((L, horizon), HOURS_PER_DAY)
    # planned maintenance: each line loses 8 hours on one day (the calendar of section 3.4.2)
    for ln in range(L):
        hours[ln, int(rng.integers(2, horizon))] = HOURS_PER_DAY - 8.0
    lane_plant = dc_plant.copy()
    lane_dc = np.arange(len(dcs), dtype=np.int64)
    lane_cost = np.round(rng.uniform(0.5, 2.0, len(dcs)), 2)
    lane_lead = rng.integers(1, 3, len(dcs)).astype(np.int64)
    pt, dt = np.array(pp_target), np.array(dp_target)
    inst = E2EInstance(
        name=f"e2e-scenario{scenario}-seed{seed}" + (f"-skus{skus}" if skus else ""),
        horizon=horizon, plants=plants, lines=lines, skus=sku_ids, dcs=dcs, line_plant=line_plant,
        hours_per_day=np.full(L, HOURS_PER_DAY), hours=hours, product_type=["blue"] * n_sku,
        holding_cost=np.round(rng.uniform(0.02, 0.1, n_sku), 3),
        pair_line=np.array(pair_line, np.int64), pair_sku=np.array(pair_sku, np.int64),
        rate=np.round(np.array(rate), 1), moq=np.array(moq), setup_hours=np.zeros(len(rate)),
        setup_cost=np.zeros(len(rate)),
        plant_pos_plant=np.array(pp_plant, np.int64), plant_pos_sku=np.array(pp_sku, np.int64),
        plant_initial=np.array(pp_init), plant_target=pt, plant_minimum=np.round(0.9 * pt),
        dc_plant=dc_plant, dc_pos_dc=np.array(dp_dc, np.int64), dc_pos_sku=np.array(dp_sku, np.int64),
        dc_initial=np.array(dp_init), dc_target=dt, dc_minimum=np.round(0.9 * dt),
        demand=np.array(dp_demand).reshape(len(dp_dc), horizon),
        lane_plant=lane_plant, lane_dc=lane_dc, lane_cost=lane_cost, lane_lead=lane_lead,
        transfer_from=np.array([0, 1], np.int64), transfer_to=np.array([1, 0], np.int64),
        transfer_cost=np.array([2.5, 2.5]), transfer_lead=np.array([2, 2], np.int64),
        penalties=Penalties(), allow_stockout=True,
    )
    # the document's MOQ draw can exceed a line's day on small instances: say so, as loading would
    inst.warnings = moq_warnings(inst, lambda k, column, message: InputError("line_skus.csv", k + 2, column, message))
    return inst
