"""Solver options shared by every family and every backend."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
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
    relative gap would be loose in the plan's own units. ``deadline``, when given, is a
    ``time.perf_counter()`` instant by which the method must return whatever
    ``time_limit`` says: the CLI sets it from the process start, so that a command's
    ``--time-limit`` covers its start-up, reading and writing too (:func:`remaining` honours both).
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
    deadline: float | None = None

    def with_(self, **changes: object) -> SolveOptions:
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def remaining(self, elapsed: float) -> float | None:
        """Seconds left of ``time_limit`` after ``elapsed`` seconds, and before ``deadline`` (never negative)."""
        left = None if self.time_limit is None else self.time_limit - elapsed
        if self.deadline is not None:
            before_deadline = self.deadline - time.perf_counter()
            left = before_deadline if left is None else min(left, before_deadline)
        return None if left is None else max(0.0, left)


def process_started() -> float:
    """The ``time.perf_counter()`` instant this process started (Linux ``/proc``; elsewhere
    the first import of this module), so a command's time limit can count its start-up."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        since_boot = ticks / os.sysconf("SC_CLK_TCK")
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot
        if 0 <= age < 3600:
            return time.perf_counter() - age
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    return _IMPORTED


_IMPORTED = time.perf_counter()
_command_started: list[float] = []


def mark_command_start(at: float) -> None:
    """Record when the running command started (:func:`plantwise.cli.main` run as the process's command)."""
    _command_started[:] = [at]


def command_started() -> float | None:
    """When the running command started, if it is the process's command (else ``None``)."""
    return _command_started[0] if _command_started else None
