"""The benchmark runner end to end on one small case: real processes, real solvers, the CSV
schema, the side-by-side table (values only; no time is asserted)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from benchmarks.peers import Outcome
from benchmarks.registry import SHARED, suite
from benchmarks.run import FIELDS, _ratio, _time_ratio, run, tables
from benchmarks.suites.schedule import cases

needs_shared = pytest.mark.skipif(not (SHARED / "jobshop_jsplib").exists(), reason="../shared/benchmarks absent")


def test_outcome_time_to_reads_the_trajectory() -> None:
    o = Outcome("feasible", 10.0, 8.0, 5.0, [(0.5, 14.0), (1.5, 12.0), (4.0, 10.0)])
    assert o.gap == pytest.approx(0.2)
    assert o.time_to(12.0) == 1.5 and o.time_to(13.0) == 1.5 and o.time_to(9.0) is None
    assert o.seconds_to_best == 4.0


def test_ratio_conventions() -> None:
    assert _ratio(0.0, 0.0) == 1.0 and _ratio(0.01, 0.0) == float("inf") and _ratio(None, 0.02) == float("inf")
    assert _ratio(0.01, 0.02) == 0.5 and _ratio(0.01, None) is None
    assert _time_ratio(0.001, 0.004) == 1.0  # both below the 0.01 s floor: a tie


@needs_shared
def test_every_registered_schedule_case_names_its_tools_and_files() -> None:
    registered = suite("peers", ["schedule"])
    assert len(registered) == 18
    for case in registered:
        assert next(iter(case.tools)) == "plantwise" and "pyjobshop" in case.tools
        assert Path(str(case.tools["plantwise"].kwargs["path"])).is_file()
        assert case.reference is not None


@needs_shared
def test_runner_writes_one_row_per_tool_and_the_table_compares_them(tmp_path: Path) -> None:
    ft06 = [c for c in cases() if c.name == "jsplib/ft06"]
    out = tmp_path / "peers.csv"
    run(ft06, out, threads=1, time_limit=20.0)
    rows = list(csv.DictReader(out.open()))
    assert [r["tool"] for r in rows] == ["plantwise", "pyjobshop", "plantwise-deterministic"]
    assert set(rows[0]) == set(FIELDS)
    for r in rows:
        assert r["status"] == "optimal" and float(r["objective"]) == 55 and r["verified"] == "True"
        assert float(r["seconds_to_reference"]) <= float(r["seconds"])
    text = tables(out)
    assert "### jobshop: plantwise vs pyjobshop" in text and "| jsplib/ft06 | 55.0 |" in text
    assert "| schedule | pyjobshop |" in text
