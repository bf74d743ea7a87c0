r"""Simulating a plan from its decisions alone: stocks, backlogs, line hours and cost.

Used by the verifier (which adds the constraint checks) and by the metaheuristics as
their fitness. Nothing here reads a solver model.

Given production :math:`x_{kt}`, shipments :math:`z_{et}` and transfers :math:`w_{ft}`
(indexed as in :class:`~plantwise.e2e.instance.E2EInstance`), with :math:`t` the day a
shipment leaves and :math:`t + L` the day it arrives:

* plant stock :math:`I_{at} = I_{a0} + \sum_{s \le t} (\text{made}_{as} + \text{in}_{as}
  - \text{shipped}_{as} - \text{out}_{as})`;
* DC net stock :math:`N_{bt} = I_{b0} + \sum_{s \le t}(\text{arrived}_{bs} - D_{bs})`,
  on hand :math:`I_{bt} = N_{bt}^+`, backlog :math:`B_{bt} = N_{bt}^-`;
* cost per position and day: :math:`h I + c_{OT}(I - I^{target})^+ + c_{UT}(I^{target} -
  I)^+ + c_{UM}(I^{min} - I)^+`, plus :math:`c_B B` at DCs, plus lane costs per unit, plus
  setup cost per lot (a day on which a pair makes anything).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plantwise.e2e.instance import E2EInstance

COST_KEYS = ("holding", "over_target", "under_target", "under_minimum", "stockout", "distribution", "transfer",
             "setup")
LOT_TOLERANCE = 1e-6  # production below this many units is "no lot"


@dataclass
class Simulation:
    """Stocks, backlogs, hours and the cost breakdown of one plan."""

    plant_stock: np.ndarray  # [A, T] (may be negative: an infeasible plan)
    dc_stock: np.ndarray  # [B, T] on hand
    dc_backlog: np.ndarray  # [B, T]
    line_hours: np.ndarray  # [L, T] hours used (production + setups)
    costs: dict[str, float]

    @property
    def total(self) -> float:
        return float(sum(self.costs.values()))


def _arrivals(count: int, T: int, dest: np.ndarray, lead: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sum of ``flow[i, t]`` into ``dest[i]`` on day ``t + lead[i]`` (within the horizon)."""
    out = np.zeros((count, T))
    if flow.size == 0:
        return out
    days = np.arange(T)
    arrive = days[None, :] + lead[:, None]
    ok = arrive < T
    np.add.at(out, (np.broadcast_to(dest[:, None], flow.shape)[ok], arrive[ok]), flow[ok])
    return out


def position_costs(inst: E2EInstance, stock: np.ndarray, target: np.ndarray, minimum: np.ndarray,
                   holding: np.ndarray) -> dict[str, float]:
    """Holding and target-deviation cost of stock ``[n, T]`` at positions with ``target``,
    ``minimum`` and unit ``holding`` cost ``[n]``."""
    pen = inst.penalties
    on_hand = np.maximum(stock, 0.0)
    return {
        "holding": float((holding[:, None] * on_hand).sum()),
        "over_target": pen.over_target * float(np.maximum(on_hand - target[:, None], 0).sum()),
        "under_target": pen.under_target * float(np.maximum(target[:, None] - on_hand, 0).sum()),
        "under_minimum": pen.under_minimum * float(np.maximum(minimum[:, None] - on_hand, 0).sum()),
    }


def simulate(inst: E2EInstance, production: np.ndarray, shipments: np.ndarray, transfers: np.ndarray) -> Simulation:
    """Stocks and cost of the plan given as arrays ``[K, T]``, ``[E, T]``, ``[F, T]``."""
    T = inst.horizon
    A, B = inst.num_plant_positions, inst.num_dc_positions
    flow = np.zeros((A, T))
    np.add.at(flow, inst.pair_position, production)
    np.add.at(flow, inst.ship_from, -shipments)
    np.add.at(flow, inst.move_from, -transfers)
    flow += _arrivals(A, T, inst.move_to, inst.move_lead, transfers)
    plant_stock = inst.plant_initial[:, None] + np.cumsum(flow, axis=1)
    dc_flow = _arrivals(B, T, inst.ship_to, inst.ship_lead, shipments) - inst.demand
    net = inst.dc_initial[:, None] + np.cumsum(dc_flow, axis=1)
    dc_stock = np.maximum(net, 0.0)
    backlog = np.maximum(-net, 0.0)
    lots = production > LOT_TOLERANCE
    hours = np.zeros((len(inst.lines), T))
    np.add.at(hours, inst.pair_line, production / inst.rate[:, None] + inst.setup_hours[:, None] * lots)
    costs = dict.fromkeys(COST_KEYS, 0.0)
    for part in (
        position_costs(inst, plant_stock, inst.plant_target, inst.plant_minimum,
                       inst.holding_cost[inst.plant_pos_sku]),
        position_costs(inst, dc_stock, inst.dc_target, inst.dc_minimum, inst.holding_cost[inst.dc_pos_sku]),
    ):
        for key, value in part.items():
            costs[key] += value
    costs["stockout"] = inst.penalties.stockout * float(backlog.sum())
    costs["distribution"] = float((inst.ship_cost[:, None] * shipments).sum())
    costs["transfer"] = float((inst.move_cost[:, None] * transfers).sum())
    costs["setup"] = float((inst.setup_cost[:, None] * lots).sum())
    return Simulation(plant_stock, dc_stock, backlog, hours, costs)
