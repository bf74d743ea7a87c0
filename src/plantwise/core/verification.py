"""The verifier's result, shared by every family: named violations and a recomputed cost."""

from __future__ import annotations

from dataclasses import dataclass, field

COST_TOLERANCE = 1e-6  # relative difference allowed between a reported and a recomputed cost


class VerificationFailed(RuntimeError):
    """A method produced a plan that the independent verifier rejects (a bug, never a result)."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: its family (e.g. ``line hours``) and what exactly is wrong."""

    family: str
    message: str

    def __str__(self) -> str:
        return f"[{self.family}] {self.message}"


@dataclass
class Verification:
    """Violations found and the cost breakdown recomputed from the input and the plan."""

    violations: list[Violation] = field(default_factory=list)
    cost_breakdown: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def total_cost(self) -> float:
        return float(sum(self.cost_breakdown.values()))

    def families(self) -> set[str]:
        return {v.family for v in self.violations}

    def add(self, family: str, message: str) -> None:
        self.violations.append(Violation(family, message))


def check_reported_cost(out: Verification, reported: object, tolerance: float = COST_TOLERANCE) -> None:
    """Add a ``cost`` violation when a plan's reported objective differs from the recomputed one."""
    if reported is None:
        return
    try:
        value = float(reported)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        out.add("cost", f"reported objective {reported!r} is not a number")
        return
    total = out.total_cost
    if abs(value - total) > tolerance * max(1.0, abs(total)):
        out.add("cost", f"reported objective {value:,.4f} differs from the recomputed cost {total:,.4f}")
