"""A plan as dense arrays (the form both methods compute) and its conversion to tables.

Shapes: ``accepted[N]``, ``unmet[N]``, ``purchase[S, T]``, ``part_stock[K, T]``,
``process[O, T]`` (units of each operation per period), ``finished[N, T]``,
``deliver[N, J, T]`` (0/1), ``maintain[M, T]`` (0/1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantwise.acceptance.instance import AcceptanceInstance
from plantwise.acceptance.model import Indices, delivery_terms
from plantwise.acceptance.plan import AcceptancePlan

ROUND = 9  # decimals kept for continuous quantities in the tables


@dataclass
class PlanArrays:
    accepted: np.ndarray
    unmet: np.ndarray
    purchase: np.ndarray
    part_stock: np.ndarray
    process: np.ndarray
    finished: np.ndarray
    deliver: np.ndarray
    maintain: np.ndarray

    def cleaned(self) -> PlanArrays:
        """Integers rounded, tiny negatives and solver noise below 1e-7 set to zero."""
        def clean(a: np.ndarray) -> np.ndarray:
            a = np.where(np.abs(a) < 1e-7, 0.0, a)
            return np.maximum(a, 0.0)
        return PlanArrays(np.round(self.accepted), np.round(self.unmet), clean(self.purchase), clean(self.part_stock),
                          clean(self.process), clean(self.finished), np.round(self.deliver), np.round(self.maintain))


def to_plan(inst: AcceptanceInstance, ix: Indices, arrays: PlanArrays, summary: dict[str, object]) -> AcceptancePlan:
    """Tables of :mod:`plantwise.acceptance.plan` from ``arrays`` (already :meth:`~PlanArrays.cleaned`)."""
    a = arrays
    N, J, T = a.deliver.shape
    delivered = a.deliver.sum(axis=(1, 2)) > 0.5
    flat = a.deliver.reshape(N, J * T).argmax(axis=1)
    mode_idx, period_idx = np.divmod(flat, T)
    arrival, _transport, _late = delivery_terms(inst, ix)
    arrival_h = arrival[np.arange(N), mode_idx, period_idx]
    deadline = inst.orders["deadline_hours"].to_numpy(float)
    orders = pd.DataFrame({
        "order": ix.orders, "accepted": a.accepted.astype(int), "delivered": delivered.astype(int),
        "unmet": a.unmet.astype(int),
        "mode": np.where(delivered, np.asarray(ix.modes, dtype=object)[mode_idx], ""),
        "delivery_period": np.where(delivered, period_idx + 1, 0),
        "arrival_hours": np.where(delivered, np.round(arrival_h, 6), 0.0),
        "tardiness_hours": np.where(delivered, np.round(np.maximum(arrival_h - deadline, 0.0), 6), 0.0),
    })
    s, t = np.nonzero(a.purchase > 0)
    purchases = pd.DataFrame({"supplier": inst.suppliers["supplier"].to_numpy(object)[s],
                              "part": inst.suppliers["part"].to_numpy(object)[s], "period": t + 1,
                              "quantity": np.round(a.purchase[s, t], ROUND)})
    K = len(ix.parts)
    part_stock = pd.DataFrame({"part": np.repeat(np.asarray(ix.parts, dtype=object), T),
                               "period": np.tile(np.arange(1, T + 1), K),
                               "stock": np.round(a.part_stock.ravel(), ROUND)})
    o, t = np.nonzero(a.process > 0)
    ops = inst.operations
    processing = pd.DataFrame({"order": ops["order"].to_numpy(object)[o], "step": ops["step"].to_numpy()[o],
                               "machine": ops["machine"].to_numpy(object)[o], "period": t + 1,
                               "units": np.round(a.process[o, t], ROUND),
                               "start_hours": np.round(t * float(inst.period_hours), 6)})
    m, t = np.nonzero(a.maintain > 0.5)
    maintenance = pd.DataFrame({"machine": np.asarray(ix.machines, dtype=object)[m], "period": t + 1})
    i, t = np.nonzero(a.finished > 0)
    finished = pd.DataFrame({"order": np.asarray(ix.orders, dtype=object)[i], "period": t + 1,
                             "stock": np.round(a.finished[i, t], ROUND)})
    return AcceptancePlan(orders, purchases, part_stock, processing, maintenance, finished, summary)
