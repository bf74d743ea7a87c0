"""The CP-SAT search of job shops and flow shops: default parallel search, ``--deterministic``,
the whole time limit, and the command's time limit counting from the process start."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from benchmarks.registry import SHARED
from typer.testing import CliRunner

from plantwise.cli import EXIT_OK, app
from plantwise.core.options import SolveOptions, process_started
from plantwise.schedule.methods import PORTFOLIO_WORKERS, search_workers, solve
from plantwise.schedule.shop import read_hfs, read_jsplib

FT06 = SHARED / "jobshop_jsplib" / "instances" / "ft06"
HFS = SHARED / "hfs_carlier_neron_subset" / "instances" / "j10c5a2.csv"
needs_shared = pytest.mark.skipif(not FT06.exists(), reason="../shared/benchmarks is not here")


def test_search_configuration_per_objective_and_mode() -> None:
    options = SolveOptions(threads=2)
    assert search_workers("makespan", options, None, False) == (2, False)  # CP-SAT's default parallel search
    assert search_workers("weighted-tardiness", options.with_(threads=4), None, False) == (4, False)
    assert search_workers("makespan", options, None, True) == (PORTFOLIO_WORKERS, True)  # interleaved portfolio
    assert search_workers("cost", options, None, False) == (1, False)
    assert search_workers("cost", options, 3, False) == (3, True)


@needs_shared
@pytest.mark.parametrize(("path", "reader", "optimum"), [(FT06, read_jsplib, 55), (HFS, read_hfs, 87)])
@pytest.mark.parametrize("deterministic", [False, True])
def test_both_modes_reach_the_proven_optimum_verified(path: Path, reader, optimum: int, deterministic: bool) -> None:
    result = solve(reader(path), "makespan", SolveOptions(time_limit=60), deterministic=deterministic)
    assert result.summary["status"] == "optimal"
    assert result.summary["objective"] == optimum and result.summary["bound"] == optimum
    assert result.summary["verified"] is True


@needs_shared
def test_deterministic_mode_gives_the_same_schedule_on_every_run() -> None:
    options = SolveOptions(time_limit=60, work_limit=3.0)  # a deterministic stop, proof or not
    first = solve(read_jsplib(SHARED / "jobshop_jsplib" / "instances" / "la06"), "makespan", options,
                  deterministic=True)
    second = solve(read_jsplib(SHARED / "jobshop_jsplib" / "instances" / "la06"), "makespan", options,
                   deterministic=True)
    assert first.plan is not None and second.plan is not None
    assert first.plan.schedule.equals(second.plan.schedule)
    assert first.summary["verified"] and second.summary["objective"] == first.summary["objective"]


@needs_shared
def test_cli_takes_deterministic(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schedule", "solve", str(FT06), "--format", "jsplib", "--objective", "makespan",
                                      "--deterministic", "--time-limit", "30", "--out", str(tmp_path / "p"),
                                      "--quiet", "--no-report"])
    assert result.exit_code == EXIT_OK, result.output
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["objective"] == 55 and summary["verified"] is True
    assert summary["options"]["params"]["deterministic"] is True


def test_process_started_is_in_the_past_and_the_deadline_bounds_what_remains() -> None:
    assert process_started() <= time.perf_counter()
    options = SolveOptions(time_limit=100.0, deadline=time.perf_counter() + 5.0)
    assert 4.0 < options.remaining(0.0) <= 5.0  # the deadline is nearer than the time limit
    assert options.remaining(99.5) <= 0.5
    assert SolveOptions(time_limit=None, deadline=time.perf_counter() - 1).remaining(0.0) == 0.0
