"""Peers: what a user would run instead of plantwise, written here so they run side by side with it.

Every peer and every "ours" adapter of :mod:`benchmarks.suites` returns an :class:`Outcome`:
the final status, objective and proven bound (minimisation), the wall-clock seconds of the
whole call (model building included), the incumbent trajectory ``[(seconds, objective), ...]``
(one point per improvement, so "time to reach a value" can be read off it) and whether an
independent check accepted the plan. The runner (:mod:`benchmarks.run`) writes one CSV row
per outcome.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

REACH_TOLERANCE = 1e-4  # "reached a value": within 0.01 % of it (exact for integer makespans below 10,000)


@dataclass
class Outcome:
    """One tool's run on one case.

    ``status``: ``optimal`` (proven within the tool's gap tolerance), ``feasible``,
    ``infeasible``, ``no_solution`` or ``error``. ``gap = (objective - bound) / |objective|``.
    ``time_to(v)`` is the first time the incumbent was at most ``v`` (plus a relative 0.01 %).
    """

    status: str
    objective: float | None
    bound: float | None
    seconds: float
    trajectory: list[tuple[float, float]] = field(default_factory=list)
    verified: bool | None = None
    note: str = ""

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        if not (math.isfinite(self.objective) and math.isfinite(self.bound)):
            return None
        return max(0.0, (self.objective - self.bound) / max(abs(self.objective), 1e-9))

    @property
    def seconds_to_best(self) -> float | None:
        if self.objective is None:
            return None
        return self.time_to(self.objective)

    def time_to(self, value: float, tolerance: float = REACH_TOLERANCE) -> float | None:
        """First time (s) the incumbent reached ``value`` (relative ``tolerance``); None if never."""
        limit = value + tolerance * max(1.0, abs(value))
        for at, objective in self.trajectory:
            if objective <= limit:
                return at
        if self.objective is not None and self.objective <= limit:
            return self.seconds  # the final value (a trajectory that missed the last point)
        return None


class Trace:
    """Incumbent trajectory recorder: ``trace(value)`` at each improvement, times from creation."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.points: list[tuple[float, float]] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def __call__(self, value: float | None, at: float | None = None) -> None:
        if value is None or not math.isfinite(value):
            return
        if self.points and value >= self.points[-1][1] - 1e-9:
            return
        self.points.append((round(self.elapsed() if at is None else at, 4), float(value)))


def run_highs_mip(h: object, trace: Trace, time_limit: float, threads: int, mip_gap: float) -> tuple[object, object]:
    """Run the HiGHS MIP ``h`` (a ``highspy.Highs`` holding the peer's model) within what is
    left of ``time_limit`` after ``trace`` started, recording each improving incumbent on
    ``trace``; return HiGHS's ``(info, model status)``."""
    h.setOptionValue("time_limit", float(max(0.01, time_limit - trace.elapsed())))  # type: ignore[attr-defined]
    h.setOptionValue("mip_rel_gap", float(mip_gap))  # type: ignore[attr-defined]
    h.setOptionValue("threads", int(threads))  # type: ignore[attr-defined]
    h.setOptionValue("random_seed", 0)  # type: ignore[attr-defined]

    def improving(event: object) -> None:
        trace(float(event.data_out.objective_function_value))  # type: ignore[attr-defined]

    h.cbMipImprovingSolution.subscribe(improving)  # type: ignore[attr-defined]
    h.run()  # type: ignore[attr-defined]
    return h.getInfo(), h.getModelStatus()  # type: ignore[attr-defined]
