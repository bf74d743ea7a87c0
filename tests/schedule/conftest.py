"""Shared fixtures of the schedule tests: benchmark files and solved document scenarios.

Each document scenario is solved at most once per session (``solved_scenario(n)``) and
shared read-only; tests that edit a plan take a deep copy first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from plantwise.core.options import SolveOptions
from plantwise.schedule.generator import document_scenario
from plantwise.schedule.instance import ScheduleInstance
from plantwise.schedule.methods import ScheduleResult, solve

BENCHMARKS = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"
SCENARIO_TIME_LIMIT = 30.0

Solved = tuple[ScheduleInstance, ScheduleResult]


def benchmark_path(relative: str) -> Path:
    """A benchmark file under ``shared/benchmarks``; skips the test when it is absent."""
    path = BENCHMARKS / relative
    if not path.is_file():
        pytest.skip(f"benchmark file {path} not available")
    return path


@pytest.fixture(scope="session")
def benchmark() -> Callable[[str], Path]:
    """``benchmark("jobshop_jsplib/instances/ft06")``: the path, or skip when absent."""
    return benchmark_path


@functools.cache
def _solve_scenario(n: int) -> Solved:
    inst = document_scenario(n)
    result = solve(inst, "cost", SolveOptions(time_limit=SCENARIO_TIME_LIMIT))
    assert result.plan is not None, result.summary
    result.plan.summary = result.summary  # as the CLI saves it
    return inst, result


@pytest.fixture(scope="session")
def solved_scenario() -> Callable[[int], Solved]:
    """``solved_scenario(n)``: document scenario ``n`` solved for cost (30 s limit, default
    workers), cached for the session. Do not modify what it returns."""
    return _solve_scenario
