r"""The plant-level production problem: each plant's DCs pooled into one stock point.

Document 001 (section 3.4) "aggregates the requirements from each distribution center and
converts them into production plant requirements". Here that aggregation is a model in
its own right: for every plant a virtual DC whose SKU position holds the plant's and all
its DCs' initial stock, targets and minimums summed, and their demand; the plant ships to
it at no cost and with no lead time. Transfers between plants keep their cost and lead time.

It is a **relaxation** of the integrated model: any integrated plan maps onto it (sum the
stocks and backlogs of a plant's positions) at no greater cost, because the target,
minimum and stockout penalties have the same slopes at every position, so the sum of the
positions' convex penalties is at least the pooled position's penalty at the summed target
(an infimal convolution), and lane costs and lead times only add cost and restrictions.
Its MILP optimum, and any proven bound on it, is therefore a lower bound for the
integrated MILP, and it keeps the lots' integrality, which the integrated LP loses.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from plantwise.e2e.instance import E2EInstance


def aggregate(inst: E2EInstance, plants: list[int] | None = None, plant_requirements: bool = False) -> E2EInstance:
    """The pooled instance (optionally only the given plants, without transfers when one).

    With ``plant_requirements`` each DC's demand is moved earlier by the lead time of the
    cheapest lane into the DC from its serving plant (demand the lead time puts before day 1
    stays on day 1): the day the plant must have the stock, as the document's
    pre-processing turns DC requirements into plant requirements. That instance is a
    planning approximation, no longer a relaxation."""
    keep_plants = list(range(len(inst.plants))) if plants is None else list(plants)
    keep_p = np.zeros(len(inst.plants), dtype=bool)
    keep_p[keep_plants] = True
    T = inst.horizon
    S = len(inst.skus)
    # plant positions of the kept plants
    a_keep = np.flatnonzero(keep_p[inst.plant_pos_plant])
    new_plant_index = np.full(len(inst.plants), -1, dtype=np.int64)
    new_plant_index[keep_plants] = np.arange(len(keep_plants))
    pos_plant = new_plant_index[inst.plant_pos_plant[a_keep]]
    pos_sku = inst.plant_pos_sku[a_keep]
    n = len(a_keep)
    # pool each plant's DC positions into its plant position's virtual DC position
    pool_of = np.full((len(inst.plants), S), -1, dtype=np.int64)
    pool_of[inst.plant_pos_plant[a_keep], pos_sku] = np.arange(n)
    b_plant = inst.dc_plant[inst.dc_pos_dc]
    b_pool = pool_of[b_plant, inst.dc_pos_sku]
    b_ok = b_pool >= 0
    initial = inst.plant_initial[a_keep].copy()
    target = inst.plant_target[a_keep].copy()
    minimum = inst.plant_minimum[a_keep].copy()
    demand = np.zeros((n, T))
    np.add.at(initial, b_pool[b_ok], inst.dc_initial[b_ok])
    np.add.at(target, b_pool[b_ok], inst.dc_target[b_ok])
    np.add.at(minimum, b_pool[b_ok], inst.dc_minimum[b_ok])
    dc_demand = inst.demand
    if plant_requirements:
        lead = np.zeros(len(inst.dcs), dtype=np.int64)
        serving = inst.lane_plant == inst.dc_plant[inst.lane_dc]
        for r in np.flatnonzero(serving)[np.argsort(-inst.lane_cost[serving], kind="stable")]:
            lead[inst.lane_dc[r]] = inst.lane_lead[r]  # cheapest lane written last
        shift = lead[inst.dc_pos_dc]
        dc_demand = np.zeros_like(inst.demand)
        for d in np.unique(shift):
            rows = shift == d
            dc_demand[rows, : T - d] += inst.demand[rows, d:]
            dc_demand[rows, 0] += inst.demand[rows, :d].sum(axis=1)
    np.add.at(demand, b_pool[b_ok], dc_demand[b_ok])
    # lines of the kept plants
    l_keep = np.flatnonzero(keep_p[inst.line_plant])
    new_line = np.full(len(inst.lines), -1, dtype=np.int64)
    new_line[l_keep] = np.arange(len(l_keep))
    k_keep = np.flatnonzero(keep_p[inst.line_plant[inst.pair_line]])
    t_keep = np.flatnonzero(keep_p[inst.transfer_from] & keep_p[inst.transfer_to])
    P = len(keep_plants)
    zeros = np.zeros(n)
    return replace(
        inst,
        name=f"{inst.name}-pooled",
        plants=[inst.plants[p] for p in keep_plants],
        lines=[inst.lines[ln] for ln in l_keep],
        dcs=[f"{inst.plants[p]}-pool" for p in keep_plants],
        line_plant=new_plant_index[inst.line_plant[l_keep]],
        hours_per_day=inst.hours_per_day[l_keep],
        hours=inst.hours[l_keep],
        pair_line=new_line[inst.pair_line[k_keep]],
        pair_sku=inst.pair_sku[k_keep],
        rate=inst.rate[k_keep], moq=inst.moq[k_keep], setup_hours=inst.setup_hours[k_keep],
        setup_cost=inst.setup_cost[k_keep],
        plant_pos_plant=pos_plant, plant_pos_sku=pos_sku,
        plant_initial=zeros, plant_target=zeros, plant_minimum=zeros,
        dc_plant=np.arange(P, dtype=np.int64),
        dc_pos_dc=pos_plant.copy(), dc_pos_sku=pos_sku.copy(),
        dc_initial=initial, dc_target=target, dc_minimum=minimum, demand=demand,
        lane_plant=np.arange(P, dtype=np.int64), lane_dc=np.arange(P, dtype=np.int64),
        lane_cost=np.zeros(P), lane_lead=np.zeros(P, dtype=np.int64),
        transfer_from=new_plant_index[inst.transfer_from[t_keep]],
        transfer_to=new_plant_index[inst.transfer_to[t_keep]],
        transfer_cost=inst.transfer_cost[t_keep], transfer_lead=inst.transfer_lead[t_keep],
    )


def pooled_pairs(inst: E2EInstance, plants: list[int] | None = None) -> np.ndarray:
    """Indices (in ``inst``) of the line-SKU pairs that :func:`aggregate` keeps, in its order."""
    keep_p = np.zeros(len(inst.plants), dtype=bool)
    keep_p[list(range(len(inst.plants))) if plants is None else list(plants)] = True
    return np.flatnonzero(keep_p[inst.line_plant[inst.pair_line]])


def restrict_skus(inst: E2EInstance, skus: np.ndarray) -> E2EInstance:
    """The instance with only the SKUs ``skus`` (indices): their pairs, positions and demand;
    every plant, line, DC and lane stays. SKUs share nothing but line hours, so the
    integrated model without the line-hours coupling separates into these sub-instances."""
    keep = np.zeros(len(inst.skus), dtype=bool)
    keep[skus] = True
    new_sku = np.full(len(inst.skus), -1, dtype=np.int64)
    new_sku[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
    k = np.flatnonzero(keep[inst.pair_sku])
    a = np.flatnonzero(keep[inst.plant_pos_sku])
    b = np.flatnonzero(keep[inst.dc_pos_sku])
    return replace(
        inst,
        name=f"{inst.name}-skus",
        skus=[inst.skus[s] for s in np.flatnonzero(keep)],
        product_type=[inst.product_type[s] for s in np.flatnonzero(keep)],
        holding_cost=inst.holding_cost[keep],
        pair_line=inst.pair_line[k], pair_sku=new_sku[inst.pair_sku[k]], rate=inst.rate[k], moq=inst.moq[k],
        setup_hours=inst.setup_hours[k], setup_cost=inst.setup_cost[k],
        plant_pos_plant=inst.plant_pos_plant[a], plant_pos_sku=new_sku[inst.plant_pos_sku[a]],
        plant_initial=inst.plant_initial[a], plant_target=inst.plant_target[a], plant_minimum=inst.plant_minimum[a],
        dc_pos_dc=inst.dc_pos_dc[b], dc_pos_sku=new_sku[inst.dc_pos_sku[b]], dc_initial=inst.dc_initial[b],
        dc_target=inst.dc_target[b], dc_minimum=inst.dc_minimum[b], demand=inst.demand[b],
    )
