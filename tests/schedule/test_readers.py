"""Benchmark readers: JSPLIB job shops and Carlier-Neron hybrid flow shops become shops;
malformed files raise ``InputErrors`` naming the file's line (and field)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from plantwise.core.errors import InputError, InputErrors
from plantwise.schedule.shop import Shop, read_hfs, read_jsplib

Reader = Callable[[Path], Shop]


def error_of(reader: Reader, path: Path) -> InputError:
    with pytest.raises(InputErrors) as info:
        reader(path)
    assert len(info.value.errors) == 1, info.value.errors
    return info.value.errors[0]


def test_read_jsplib_ft06(benchmark: Callable[[str], Path]) -> None:
    shop = read_jsplib(benchmark("jobshop_jsplib/instances/ft06"))
    assert shop.num_jobs == 6 and len(shop.machines) == 6 and shop.num_ops == 36
    assert len(shop.alt_op) == 36  # a job shop: one machine per operation
    assert shop.job_name == [f"J{k}" for k in range(6)]
    assert np.array_equal(np.bincount(shop.op_job), [6] * 6)
    assert not shop.job_optional.any() and shop.inventory is None and len(shop.breaks) == 0
    # first job: "2 1 0 3 1 6 3 7 5 3 4 6"
    route = shop.job_ops()[0]
    alts = shop.op_alts()
    first = [(shop.machines[shop.alt_machine[alts[o][0]]], int(shop.alt_duration[alts[o][0]])) for o in route]
    assert first == [("M2", 1), ("M0", 3), ("M1", 6), ("M3", 7), ("M5", 3), ("M4", 6)]
    assert [shop.op_stage[o] for o in route] == ["M2", "M0", "M1", "M3", "M5", "M4"]
    # every job visits every machine once
    for route in shop.job_ops():
        assert sorted(int(shop.alt_machine[alts[o][0]]) for o in route) == list(range(6))
    assert shop.horizon == int(shop.alt_duration.sum()) == 197
    assert shop.time_unit == "unit"


def test_read_hfs_j10c5a2(benchmark: Callable[[str], Path]) -> None:
    shop = read_hfs(benchmark("hfs_carlier_neron_subset/instances/j10c5a2.csv"))
    assert shop.num_jobs == 10 and shop.num_ops == 50
    counts = Counter(shop.machine_stage)
    assert [counts[f"S{s}"] for s in range(1, 6)] == [2, 2, 1, 2, 2]
    assert len(shop.machines) == 9 and len(shop.alt_op) == 10 * (2 + 2 + 1 + 2 + 2)
    alts = shop.op_alts()
    for route in shop.job_ops():
        assert [shop.op_stage[o] for o in route] == ["S1", "S2", "S3", "S4", "S5"]
        for o in route:
            machines = {shop.machine_stage[shop.alt_machine[a]] for a in alts[o]}
            assert machines == {shop.op_stage[o]}  # any machine of the operation's stage
            assert len({int(shop.alt_duration[a]) for a in alts[o]}) == 1  # identical machines
    # stage 1 row: "7 3 13 6 7 4 8 15 15 1 ... 2"
    stage1 = [int(shop.alt_duration[alts[route[0]][0]]) for route in shop.job_ops()]
    assert stage1 == [7, 3, 13, 6, 7, 4, 8, 15, 15, 1]


def test_read_hfs_j10c5c2_machine_counts(benchmark: Callable[[str], Path]) -> None:
    shop = read_hfs(benchmark("hfs_carlier_neron_subset/instances/j10c5c2.csv"))
    counts = Counter(shop.machine_stage)
    assert [counts[f"S{s}"] for s in range(1, 6)] == [3, 3, 2, 3, 3]


def test_read_small_files(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("# a comment\n2 2   # jobs machines\n\n0 3 1 2\n1 4 0 1\n")
    shop = read_jsplib(path)
    assert shop.num_jobs == 2 and shop.num_ops == 4 and shop.horizon == 10
    assert shop.alt_machine.tolist() == [0, 1, 1, 0] and shop.alt_duration.tolist() == [3, 2, 4, 1]
    path = tmp_path / "tiny.csv"
    path.write_text("1\n2\n1 2 3 0 1\n4 5 6 0 2\n0 0 0 0 0\n")
    shop = read_hfs(path)
    assert shop.num_jobs == 3 and shop.machine_stage == ["S1", "S2", "S2"]
    assert shop.alt_duration.tolist() == [1, 4, 4, 2, 5, 5, 3, 6, 6]


# ---------------------------------------------------------------- malformed files
@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("# c\n2 2\n0 3 1 2\n0 4\n", 4, None, "job 1: expected 2 (machine, duration) pairs, got 2 values"),
    ("2 2\n0 3 1 2\n0 x 1 1\n", 3, "field 2", "expected an integer, got 'x'"),
    ("2 2\n0 3 5 2\n0 4 1 1\n", 2, "field 3", "machine 5 out of range 0..1"),
    ("2 2\n0 3 1 -2\n0 4 1 1\n", 2, "field 4", "must be >= 0, got -2"),
    ("# header\n2\n0 3 1 2\n", 2, None, "expected 'n_jobs n_machines'"),
    ("2 0\n\n", 1, "field 2", "must be >= 1, got 0"),
    ("3 2\n0 3 1 2\n0 4 1 1\n", None, None, "expected 3 job lines, found 2"),
    ("# only a comment\n", None, None, "empty file"),
])
def test_malformed_jsplib(tmp_path: Path, text: str, line: int | None, field: str | None, message: str) -> None:
    path = tmp_path / "bad.jsp"
    path.write_text(text)
    error = error_of(read_jsplib, path)
    assert (error.file, error.row, error.column) == ("bad.jsp", line, field)
    assert error.message == message
    if line is not None:
        assert str(error).startswith(f"bad.jsp, row {line}")


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("1\n2\n1 2 3 1\n4 5 2\n", 4, None, "stage 2: expected 3 processing times and a machine count"),
    ("1\n2\n1 2 3 1\n4 z 6 2\n", 4, "field 2", "expected an integer, got 'z'"),
    ("1\n2\n1 2 3 1\n4 5 6 0\n", 4, "field 4", "must be >= 1, got 0"),
    ("1\n-2\n1 2 3 1\n", 2, "field 1", "must be >= 0, got -2"),
    ("2\n2\n1 2 3 1\n4 5 6 2\n", None, None, "expected 3 stage rows"),
    ("1\n2\n", None, None, "expected S-1, N-1 and one row per stage"),
])
def test_malformed_hfs(tmp_path: Path, text: str, line: int | None, field: str | None, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    error = error_of(read_hfs, path)
    assert (error.file, error.row, error.column) == ("bad.csv", line, field)
    assert error.message == message


@pytest.mark.parametrize("reader", [read_jsplib, read_hfs])
def test_missing_file(tmp_path: Path, reader: Reader) -> None:
    error = error_of(reader, tmp_path / "nowhere")
    assert error.message == "no such file" and error.file.endswith("nowhere")
