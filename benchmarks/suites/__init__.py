"""Benchmark cases per family, with the adapters that run plantwise the way its CLI does."""

from __future__ import annotations

from benchmarks.peers import Outcome, Trace


def outcome_from_solution(solution: object, trace: Trace, note: str = "") -> Outcome:
    """An :class:`Outcome` of a :func:`plantwise.core.pipeline.solve` ``Solution``: its status
    (an interrupted run is ``feasible`` with a plan, else ``no_solution``), the verified
    objective and bound of its summary, the seconds since ``trace`` started, and the
    trajectory closed by the final plan (e.g. one improved after the last progress report)."""
    summary = solution.summary  # type: ignore[attr-defined]
    seconds = trace.elapsed()
    status = str(solution.status)  # type: ignore[attr-defined]
    has_plan = solution.plan is not None  # type: ignore[attr-defined]
    if status == "interrupted":
        status = "feasible" if has_plan else "no_solution"
    objective = summary.get("objective") if has_plan else None
    objective = None if objective is None else float(objective)
    bound = None if summary.get("bound") is None else float(summary["bound"])
    if objective is not None:
        trace(objective, at=seconds)  # recorded only if it improves on the last point
    return Outcome(status, objective, bound, seconds, trace.points,
                   bool(summary.get("verified")) if objective is not None else None, note)
