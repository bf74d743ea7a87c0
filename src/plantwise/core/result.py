"""Solver-independent results."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np


class SolveStatus(enum.StrEnum):
    """Outcome of a solve.

    ``OPTIMAL``: proven optimal within the requested ``mip_gap``.
    ``FEASIBLE``: a plan exists, optimality not proven within the limits.
    ``INFEASIBLE``: proven that no plan exists.
    ``NO_SOLUTION``: limits reached before any plan was found.
    ``INTERRUPTED``: stopped by SIGINT/SIGTERM; the best plan found so far is kept.
    ``ERROR``: the solver failed (or a plan failed its verification).
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    INTERRUPTED = "interrupted"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.INTERRUPTED)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """Relative optimality gap ``|objective - bound| / max(|objective|, 1e-9)``.

    For a minimisation the bound is a proven lower bound, so the gap is the largest
    relative amount by which the incumbent can exceed the optimum.
    """
    if objective is None or bound is None:
        return None
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    gap = abs(objective - bound) / max(abs(objective), 1e-9)
    return float(gap)


def json_default(value: object) -> object:
    """``json.dumps`` fallback for the values summaries hold: numpy arrays and scalars, paths."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value)}")


@dataclass
class Progress:
    """One progress report: elapsed seconds, incumbent, bound and gap (any may be None)."""

    elapsed: float
    incumbent: float | None
    bound: float | None
    message: str = ""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.incumbent, self.bound)


@dataclass
class SolveResult:
    """What a backend (or a method composed of several solves) returns.

    ``objective`` is the incumbent's objective, ``bound`` a proven bound on the optimum
    (lower bound for minimisation), ``gap`` their relative difference; ``timings`` maps
    phase names to seconds; ``x`` holds the incumbent's variable values.
    """

    status: SolveStatus
    objective: float | None = None
    bound: float | None = None
    solver: str = ""
    solver_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    x: np.ndarray | None = None
    message: str = ""
    row_dual: np.ndarray | None = None  # LP solves: dual values of the rows (solver's sign convention)
    node_count: int | None = None

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    def summary(self) -> dict[str, object]:
        """JSON-ready fields shared by every family's ``summary.json``."""
        return {
            "status": str(self.status),
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }
