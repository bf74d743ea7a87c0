"""Solver options shared by every family and every backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plantwise.core.result import Progress


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    ``time_limit`` is wall-clock seconds for the whole method (``None`` = no limit);
    ``mip_gap`` is the relative gap ``(incumbent - bound) / |incumbent|`` at which a
    MIP search stops and reports *optimal within tolerance*; ``threads`` caps solver
    threads; ``seed`` fixes every random choice; ``solver`` names the backend
    (``highs``, ``cpsat``, ``gurobi``); ``progress`` receives incumbent/bound updates.
    ``work_limit`` caps CP-SAT's deterministic time per solve (its own work units, about a
    second each on a fast core): unlike seconds it does not depend on machine load, so a run
    that stops at its work limit gives the same plan on any machine state. HiGHS has no such
    limit, so HiGHS-based methods ignore it. ``mip_abs_gap``, when given, replaces the
    relative gap by an absolute one (``incumbent - bound <= mip_abs_gap``): for models whose
    objective carries large constant-like terms (a re-plan's fence weights), where a
    relative gap would be loose in the plan's own units.
    """

    time_limit: float | None = 60.0
    mip_gap: float = 1e-4
    threads: int = 2
    seed: int = 0
    solver: str = "highs"
    log: bool = False
    progress: Callable[[Progress], None] | None = None
    work_limit: float | None = None
    mip_abs_gap: float | None = None

    def with_(self, **changes: object) -> SolveOptions:
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def remaining(self, elapsed: float) -> float | None:
        """Seconds left of ``time_limit`` after ``elapsed`` seconds (never negative)."""
        if self.time_limit is None:
            return None
        return max(0.0, self.time_limit - elapsed)
