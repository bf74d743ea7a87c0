"""The offload side of the rolling-horizon simulation (:mod:`plantwise.core.rolling`): what
becomes known between two re-plans, drawn from a seeded generator.

At each ``now`` (the step's news, for periods ``[now, next_now)`` and after), with
``step = next_now - now``, ``I`` orders and ``T`` periods in the instance:

* new orders: Poisson with mean ``I * step / (4 T)`` — each a copy of a random existing
  order (parts, sites, times, costs), due ``now + PT_min + ST_min - 1 + U{step, 3 step}``
  (so it can still be made), none once that passes ``T``;
* a cancellation (probability 0.4) of an order not yet started;
* a due-date change (0.3): an order not yet started is due 1..step periods earlier, if it
  can still make it somewhere, else later;
* a site down (0.3): one station of a random site with at least one, for ``U{1, step}``
  periods from ``U[now, next_now + step)``;
* a part shortage (0.3): a random site and part can buy nothing for ``U{1, step}`` periods;
* a lane closed (0.2) for ``U{1, step}`` periods.

Every drawn event is checked against the instance and the plan (:func:`apply_events`); one
the instance refuses (e.g. a site down under orders in process) is dropped, so the stream
is reproducible for a seed and always valid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plantwise.core.rolling import accepted_events
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.plan import OffloadPlan
from plantwise.offload.replanning import apply_events


def draw_events(inst: OffloadInstance, plan: OffloadPlan, now: int, next_now: int,
                rng: np.random.Generator) -> list[dict[str, Any]]:
    """The events known at ``now`` (see the module docstring)."""
    T, step = inst.horizon, max(next_now - now, 1)
    starts = dict(zip(plan.assignments["order"].astype(str), plan.assignments["start"].astype(int), strict=True))
    open_orders = sorted(o for o, s in starts.items() if s >= now)
    candidates: list[dict[str, Any]] = []
    fastest = np.where(inst.eligible, inst.processing_time + inst.shipping_time, 10**9).min(axis=1)
    for k in range(int(rng.poisson(inst.num_orders * step / (4.0 * T)))):
        like = int(rng.integers(inst.num_orders))
        due = now + int(fastest[like]) - 1 + int(rng.integers(step, 3 * step + 1))
        if due <= T:
            candidates.append({"kind": "new_order", "order": f"R{now:03d}-{k + 1}", "due_period": due,
                               "like": inst.orders[like]})
    if open_orders and rng.random() < 0.4:
        candidates.append({"kind": "cancel_order", "order": str(rng.choice(open_orders))})
    if open_orders and rng.random() < 0.3:
        order = str(rng.choice(open_orders))
        i = inst.orders.index(order)
        earlier = int(inst.due[i]) - int(rng.integers(1, step + 1))
        due = earlier if earlier - int(fastest[i]) + 1 >= now else min(T, int(inst.due[i]) + step)
        candidates.append({"kind": "due_date", "order": order, "due": due})
    window = lambda: (lambda a: (a, min(T, a + int(rng.integers(0, step)))))(  # noqa: E731
        int(rng.integers(now, min(T, next_now + step - 1) + 1)))
    if rng.random() < 0.3:
        j = int(rng.integers(inst.num_sites))
        first, last = window()
        if inst.stations[j] >= 1:
            candidates.append({"kind": "site_down", "site": inst.sites[j], "from": first, "to": last, "stations": 1})
    if rng.random() < 0.3:
        first, last = window()
        candidates.append({"kind": "part_short", "site": inst.sites[int(rng.integers(inst.num_sites))],
                           "part": inst.parts[int(rng.integers(inst.num_parts))], "from": first, "to": last,
                           "limit": 0})
    src, dst = inst.lanes_list()
    if src.size and rng.random() < 0.2:
        lane = int(rng.integers(src.size))
        first, last = window()
        candidates.append({"kind": "lane_closed", "from_site": inst.sites[src[lane]],
                           "to_site": inst.sites[dst[lane]], "from": first, "to": last})
    return accepted_events(apply_events, inst, plan, now, candidates)


__all__ = ["draw_events"]
