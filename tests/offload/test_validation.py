"""Validation of offload instances: each planted defect is reported with its file, row
and column, through the Python API and through the command line."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from plantwise.core.errors import InputError, InputErrors
from plantwise.offload.generator import generate
from plantwise.offload.instance import OffloadInstance, load

Where = tuple[str, int | None, str | None]


@pytest.fixture(scope="module")
def base() -> OffloadInstance:
    return generate(8, seed=3)


@pytest.fixture
def folder(base: OffloadInstance, tmp_path: Path) -> Path:
    path = tmp_path / "inst"
    base.save(path)
    return path


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / f"{name}.csv", index=False)


def plant(folder: Path, name: str, index: int, column: str, value: object) -> Where:
    """Set one cell (positional data row ``index``); return the (file, row, column) expected."""
    frame = read(folder, name)
    frame.loc[index, column] = str(value)
    write(folder, name, frame)
    return f"{name}.csv", index + 2, column


def errors_of(path: Path) -> list[InputError]:
    with pytest.raises(InputErrors) as info:
        load(path)
    assert info.value.errors, "InputErrors raised without any error"
    return info.value.errors


def where(errors: list[InputError]) -> list[Where]:
    return [(e.file, e.row, e.column) for e in errors]


def test_clean_instance_loads(base: OffloadInstance, folder: Path) -> None:
    inst = load(folder)
    assert inst.checksum() == base.checksum()
    assert inst.sites == ["A", "B", "C"]
    assert inst.num_orders == 8


# ---------------------------------------------------------------- unknown ids
@pytest.mark.parametrize(
    ("table", "index", "column", "value", "what"),
    [
        ("orders", 4, "initial_site", "Z", "unknown site 'Z'"),
        ("order_sites", 7, "site", "Z", "unknown site 'Z'"),
        ("site_parts", 3, "site", "Z", "unknown site 'Z'"),
        ("product_capacity", 2, "site", "Z", "unknown site 'Z'"),
        ("lanes", 1, "from_site", "Z", "unknown site 'Z'"),
        ("lanes", 2, "to_site", "Z", "unknown site 'Z'"),
        ("order_parts", 5, "part", "P9", "unknown part 'P9'"),
        ("site_parts", 6, "part", "P9", "unknown part 'P9'"),
        ("order_parts", 3, "order", "O9999", "unknown order 'O9999'"),
        ("order_sites", 10, "order", "O9999", "unknown order 'O9999'"),
        ("orders", 2, "product_type", "V9", "unknown product type"),
    ],
)
def test_unknown_id(folder: Path, table: str, index: int, column: str, value: str, what: str) -> None:
    expected = plant(folder, table, index, column, value)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert what in errors[0].message


# ---------------------------------------------------------------- cell values
@pytest.mark.parametrize(
    ("table", "index", "column", "value", "what"),
    [
        ("order_parts", 4, "quantity", -1, "below the minimum 0"),
        ("sites", 1, "stations", 2.5, "not an integer"),
        ("sites", 2, "stations", "many", "not a number"),
        ("orders", 3, "due_period", 0, "below the minimum 1"),
        ("order_sites", 6, "processing_time", 0, "below the minimum 1"),
        ("lanes", 3, "transshipment_time", "", "empty value"),
        ("parts", 1, "unit_cost", -5.5, "below the minimum 0"),
        ("site_parts", 8, "purchase_limit", 1.5, "not an integer"),
        ("orders", 5, "order", "", "empty value"),
    ],
)
def test_bad_cell(folder: Path, table: str, index: int, column: str, value: object, what: str) -> None:
    expected = plant(folder, table, index, column, value)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert what in errors[0].message


def test_missing_column(folder: Path) -> None:
    write(folder, "order_sites", read(folder, "order_sites").drop(columns="shipping_time"))
    errors = errors_of(folder)
    assert where(errors) == [("order_sites.csv", None, "shipping_time")]


def test_duplicate_key(folder: Path) -> None:
    frame = read(folder, "order_parts")
    frame = pd.concat([frame, frame.iloc[[2]]], ignore_index=True)
    write(folder, "order_parts", frame)
    errors = errors_of(folder)
    assert where(errors) == [("order_parts.csv", len(frame) + 1, "part")]
    assert "duplicate key" in errors[0].message


@pytest.mark.parametrize("name", ["orders", "lanes"])
def test_missing_file(folder: Path, name: str) -> None:
    (folder / f"{name}.csv").unlink()
    errors = errors_of(folder)
    assert where(errors) == [(f"{name}.csv", None, None)]


# ---------------------------------------------------------------- cross-table rules
def test_due_beyond_horizon(base: OffloadInstance, folder: Path) -> None:
    expected = plant(folder, "orders", 6, "due_period", base.horizon + 1)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "beyond the horizon T = 50" in errors[0].message


def test_order_that_cannot_finish_anywhere(folder: Path) -> None:
    expected = plant(folder, "orders", 3, "due_period", 4)
    order = read(folder, "orders")["order"].iloc[3]
    frame = read(folder, "order_sites")
    frame.loc[frame["order"] == order, "processing_time"] = "10"
    write(folder, "order_sites", frame)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert f"order '{order}' cannot complete by period 4" in errors[0].message


def test_order_that_can_finish_somewhere_is_accepted(folder: Path) -> None:
    orders = read(folder, "orders")
    order, home = orders["order"].iloc[3], orders["initial_site"].iloc[3]
    plant(folder, "orders", 3, "due_period", 4)
    frame = read(folder, "order_sites")
    mine = frame["order"] == order
    frame.loc[mine, "processing_time"] = "10"
    frame.loc[mine & (frame["site"] == home), ["processing_time", "shipping_time"]] = ["2", "1"]
    write(folder, "order_sites", frame)
    inst = load(folder)
    assert inst.due[3] == 4


def test_order_without_eligible_site(folder: Path) -> None:
    order = read(folder, "orders")["order"].iloc[1]
    frame = read(folder, "order_sites")
    write(folder, "order_sites", frame[frame["order"] != order])
    errors = errors_of(folder)
    assert set(where(errors)) == {("orders.csv", 3, "order"), ("orders.csv", 3, "initial_site")}


def test_initial_site_not_eligible(folder: Path) -> None:
    orders = read(folder, "orders")
    order, home = orders["order"].iloc[2], orders["initial_site"].iloc[2]
    frame = read(folder, "order_sites")
    write(folder, "order_sites", frame[~((frame["order"] == order) & (frame["site"] == home))])
    assert where(errors_of(folder)) == [("orders.csv", 4, "initial_site")]


def _site_part_row(folder: Path, site: str, part: str) -> tuple[int, pd.Series]:
    frame = read(folder, "site_parts")
    index = int(np.flatnonzero((frame["site"] == site) & (frame["part"] == part))[0])
    return index, frame.iloc[index]


def test_reorder_point_above_order_up_to(folder: Path) -> None:
    index, row = _site_part_row(folder, "C", "P2")
    expected = plant(folder, "site_parts", index, "reorder_point", int(row["order_up_to"]) + 1)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "exceeds S" in errors[0].message


def test_order_up_to_above_storage(folder: Path) -> None:
    index, row = _site_part_row(folder, "B", "P3")
    expected = plant(folder, "site_parts", index, "order_up_to", int(row["storage_capacity"]) + 1)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "exceeds storage capacity" in errors[0].message


def test_initial_stock_above_storage(folder: Path) -> None:
    index, row = _site_part_row(folder, "A", "P5")
    expected = plant(folder, "site_parts", index, "initial_stock", int(row["storage_capacity"]) + 1)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "initial stock" in errors[0].message


def test_lane_from_site_to_itself(folder: Path) -> None:
    lanes = read(folder, "lanes")
    expected = plant(folder, "lanes", 0, "to_site", lanes["from_site"].iloc[0])
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "two different sites" in errors[0].message


def test_missing_site_part_row(folder: Path) -> None:
    frame = read(folder, "site_parts")
    write(folder, "site_parts", frame.drop(index=7))
    errors = errors_of(folder)
    assert where(errors) == [("site_parts.csv", None, "site")]
    assert f"no row for site '{frame['site'].iloc[7]}', part '{frame['part'].iloc[7]}'" in errors[0].message


def test_missing_site_type_row(folder: Path) -> None:
    frame = read(folder, "product_capacity")
    write(folder, "product_capacity", frame.drop(index=5))
    assert where(errors_of(folder)) == [("product_capacity.csv", None, "capacity")]


# ---------------------------------------------------------------- instance.yaml
@pytest.mark.parametrize("horizon", [None, 0, -3, "ten", 2.5, True, [50]], ids=repr)
def test_horizon_missing_or_invalid(folder: Path, horizon: object) -> None:
    scalars = yaml.safe_load((folder / "instance.yaml").read_text())
    if horizon is None:
        del scalars["horizon"]
    else:
        scalars["horizon"] = horizon
    (folder / "instance.yaml").write_text(yaml.safe_dump(scalars))
    errors = errors_of(folder)
    assert where(errors) == [("instance.yaml", None, "horizon")]
    assert "must be an integer from 1 to" in errors[0].message


def test_replenishment_invalid(folder: Path) -> None:
    (folder / "instance.yaml").write_text("horizon: 50\nreplenishment: weekly\n")
    assert where(errors_of(folder)) == [("instance.yaml", None, "replenishment")]


def test_instance_yaml_missing(folder: Path) -> None:
    (folder / "instance.yaml").unlink()
    assert where(errors_of(folder)) == [("instance.yaml", None, None)]


# ---------------------------------------------------------------- several defects
def test_two_defects_in_one_file_are_reported_together(folder: Path) -> None:
    first = plant(folder, "orders", 1, "due_period", "soon")
    second = plant(folder, "orders", 5, "initial_site", "")
    assert sorted(where(errors_of(folder)), key=str) == sorted([first, second], key=str)


def test_two_rule_violations_in_one_file_are_reported_together(base: OffloadInstance, folder: Path) -> None:
    first = plant(folder, "orders", 0, "due_period", base.horizon + 5)
    second = plant(folder, "orders", 7, "due_period", base.horizon + 1)
    assert where(errors_of(folder)) == [first, second]


def test_defects_in_several_files_are_reported_together(folder: Path) -> None:
    first = plant(folder, "sites", 0, "stations", -1)
    second = plant(folder, "lanes", 4, "fixed_cost", "free")
    third = plant(folder, "order_parts", 9, "quantity", 0.5)
    assert set(where(errors_of(folder))) == {first, second, third}


def test_unknown_id_and_rule_violation_in_one_file_are_reported_together(base: OffloadInstance, folder: Path) -> None:
    first = plant(folder, "orders", 0, "initial_site", "Z")
    second = plant(folder, "orders", 1, "due_period", base.horizon + 1)
    assert where(errors_of(folder)) == [first, second]


# ---------------------------------------------------------------- workbook
def test_workbook_equals_csv_folder(base: OffloadInstance, folder: Path, tmp_path: Path) -> None:
    book = tmp_path / "inst.xlsx"
    base.save(book)
    from_csv, from_xlsx = load(folder), load(book)
    csv_frames, xlsx_frames = from_csv.to_frames(), from_xlsx.to_frames()
    assert csv_frames.keys() == xlsx_frames.keys()
    for name in csv_frames:
        pd.testing.assert_frame_equal(csv_frames[name], xlsx_frames[name], check_exact=True, obj=name)
        pd.testing.assert_frame_equal(csv_frames[name], base.to_frames()[name], check_exact=True, obj=name)
    for field in dataclasses.fields(OffloadInstance):
        a, b = getattr(from_csv, field.name), getattr(from_xlsx, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, field.name
            np.testing.assert_array_equal(a, b, err_msg=field.name)
            np.testing.assert_array_equal(a, getattr(base, field.name), err_msg=field.name)
        else:
            assert a == b, field.name
    assert from_csv.checksum() == from_xlsx.checksum() == base.checksum()


def test_workbook_defect_names_sheet_row_and_column(base: OffloadInstance, tmp_path: Path) -> None:
    frames = base.to_frames()
    frames["orders"].loc[2, "due_period"] = base.horizon + 1
    book = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        pd.DataFrame({"key": ["horizon"], "value": ["50"]}).to_excel(writer, sheet_name="instance", index=False)
    assert where(errors_of(book)) == [("bad.xlsx[orders]", 4, "due_period")]


# ---------------------------------------------------------------- command line
def run_solve(instance: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "plantwise",
            "offload",
            "solve",
            str(instance),
            "--out",
            str(tmp_path / "p"),
            "--time-limit",
            "5",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def flat(text: str) -> str:
    """stderr with line wrapping undone (rich wraps long lines at the console width)."""
    return " ".join(text.split())


def test_cli_bad_cell_exits_2_with_location(folder: Path, tmp_path: Path) -> None:
    plant(folder, "orders", 3, "due_period", 99)
    proc = run_solve(folder, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "orders.csv, row 5, column 'due_period'" in flat(proc.stderr)
    assert not (tmp_path / "p").exists()


def test_cli_garbage_csv_exits_2(folder: Path, tmp_path: Path) -> None:
    (folder / "order_parts.csv").write_bytes(b"\xff\xfe\x00\x81 garbage \x00\x00\n\x01,\x02")
    (folder / "lanes.csv").write_text('from_site,to_site\n"A,B\n')
    proc = run_solve(folder, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "order_parts.csv" in proc.stderr
    assert "lanes.csv" in proc.stderr
    assert "cannot be read" in flat(proc.stderr)


def test_cli_missing_folder_exits_2(tmp_path: Path) -> None:
    proc = run_solve(tmp_path / "no-such-instance", tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "no-such-instance" in flat(proc.stderr)


def test_cli_extra_fields_exit_2(folder: Path, tmp_path: Path) -> None:
    text = (folder / "sites.csv").read_text().splitlines()
    text[1] += ",extra,more"
    (folder / "sites.csv").write_text("\n".join(text) + "\n")
    proc = run_solve(folder, tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert "sites.csv" in proc.stderr
