"""Acceptance instances: generator, save/load round trip, validation naming file, row, column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from plantwise.acceptance.generator import generate
from plantwise.acceptance.instance import load
from plantwise.core.errors import InputErrors


def test_generator_is_seeded_and_round_trips(tmp_path: Path) -> None:
    a, b = generate(50, seed=1), generate(50, seed=1)
    assert a.checksum() == b.checksum()
    assert generate(50, seed=2).checksum() != a.checksum()
    a.save(tmp_path / "d")
    loaded = load(tmp_path / "d")
    assert len(loaded.orders) == 50 and loaded.num_periods == 21
    assert set(loaded.orders["complexity"]) <= {"simple", "moderate", "complex"}
    # the late penalty is a share of revenue per day late
    ratio = loaded.orders["delay_penalty_per_hour"] * 24 / loaded.orders["revenue"]
    assert ratio.between(0.049, 0.051).all()


def _errors(path: Path) -> list:
    with pytest.raises(InputErrors) as info:
        load(path)
    return info.value.errors


def test_bad_cells_name_file_row_and_column(tmp_path: Path) -> None:
    d = tmp_path / "d"
    generate(20, seed=3).save(d)
    ops = pd.read_csv(d / "operations.csv")
    ops.loc[1, "machine"] = "NOPE"
    ops.to_csv(d / "operations.csv", index=False)
    machines = pd.read_csv(d / "machines.csv")
    machines.loc[0, "max_utilisation"] = 1.5
    machines.to_csv(d / "machines.csv", index=False)
    errors = _errors(d)
    found = {(e.file, e.row, e.column) for e in errors}
    assert ("operations.csv", 3, "machine") in found
    assert ("machines.csv", 2, "max_utilisation") in found


def test_deadline_beyond_horizon_and_bad_period(tmp_path: Path) -> None:
    d = tmp_path / "d"
    generate(10, seed=4).save(d)
    orders = pd.read_csv(d / "orders.csv")
    orders.loc[0, "deadline_hours"] = 1_000
    orders.to_csv(d / "orders.csv", index=False)
    errors = _errors(d)
    assert any(e.file == "orders.csv" and e.row == 2 and e.column == "deadline_hours" for e in errors)
    orders.loc[0, "deadline_hours"] = 10
    orders.to_csv(d / "orders.csv", index=False)
    scalars = yaml.safe_load((d / "instance.yaml").read_text())
    scalars["period_hours"] = 5  # 168 h is not a whole number of 5-h periods
    (d / "instance.yaml").write_text(yaml.safe_dump(scalars))
    errors = _errors(d)
    assert any(e.column == "period_hours" for e in errors)


def test_an_order_without_a_route_or_a_part_without_supplier_is_named(tmp_path: Path) -> None:
    d = tmp_path / "d"
    inst = generate(10, seed=5)
    inst.operations = inst.operations[inst.operations["order"] != "O0001"]
    inst.suppliers = inst.suppliers[inst.suppliers["part"] != inst.order_parts["part"].iloc[0]]
    inst.save(d)
    errors = _errors(d)
    assert any(e.file == "orders.csv" and "no operations.csv rows" in e.message for e in errors)
    assert any(e.file == "order_parts.csv" and "no supplier" in e.message for e in errors)


def test_an_operation_longer_than_the_horizon_is_an_input_error(tmp_path: Path) -> None:
    generate(6, 1).save(tmp_path)
    ops = pd.read_csv(tmp_path / "operations.csv")
    ops.loc[2, "hours_per_unit"] = 1e9
    ops.to_csv(tmp_path / "operations.csv", index=False)
    errors = _errors(tmp_path)
    assert [(e.file, e.row, e.column) for e in errors] == [("operations.csv", 4, "hours_per_unit")]
    assert "longer than the whole horizon" in errors[0].message
