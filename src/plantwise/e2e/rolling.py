"""The e2e side of the rolling-horizon simulation (:mod:`plantwise.core.rolling`): the news
between two re-plans, by days, from a seeded generator.

At each ``now`` with ``step = next_now - now`` days:

* demand revisions: 1 to 3 random SKU-DC positions get their daily demand multiplied by
  ``U[0.5, 1.8]`` on the days ``now..min(T, now + 2 step - 1)`` (forecasts firm up);
* a line down (probability 0.4): a random line loses all its hours on one day within the
  next two steps.

Lane closures are not drawn: the e2e format has no lane calendar yet, so a closure would
bind the re-plan but not the full-information solve. Every drawn event is checked with
:func:`plantwise.e2e.replanning.apply_events`; one the instance refuses is dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plantwise.core.rolling import accepted_events
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.plan import E2EPlan
from plantwise.e2e.replanning import apply_events


def draw_events(inst: E2EInstance, plan: E2EPlan, now: int, next_now: int,
                rng: np.random.Generator) -> list[dict[str, Any]]:
    """The events known at ``now`` (see the module docstring)."""
    T, step = int(inst.horizon), max(next_now - now, 1)
    last = min(T, now + 2 * step - 1)
    candidates: list[dict[str, Any]] = []
    positions = rng.choice(inst.num_dc_positions, size=min(int(rng.integers(1, 4)), inst.num_dc_positions),
                           replace=False)
    for k in positions:
        candidates.append({"kind": "demand", "sku": str(inst.skus[inst.dc_pos_sku[k]]),
                           "dc": str(inst.dcs[inst.dc_pos_dc[k]]), "from_day": now, "to_day": last,
                           "factor": round(float(rng.uniform(0.5, 1.8)), 3)})
    if rng.random() < 0.4:
        day = int(rng.integers(now, last + 1))
        candidates.append({"kind": "line_down", "line": str(inst.lines[int(rng.integers(len(inst.lines)))]),
                           "from_day": day, "to_day": day})
    return accepted_events(apply_events, inst, plan, now, candidates)


__all__ = ["draw_events"]
