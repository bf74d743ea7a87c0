"""Food-plant schedule instances (document 002): save/load round trips, and every planted
defect reported with its file, row (header = row 1) and column."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantwise.core.errors import InputError, InputErrors
from plantwise.schedule.generator import document_scenario
from plantwise.schedule.instance import SPECS, Calendar, ScheduleInstance, from_frames, load, operation_minutes

Where = tuple[str, int | None, str | None]
TABLES = ("goods", "demand", "routes", "machines", "stages", "shelf_life")


@pytest.fixture(scope="module")
def base() -> ScheduleInstance:
    """Scenario 2: one good (FG3, recipe R3: extrude, dry x2, coat, package), 40 hourly periods."""
    return document_scenario(2)


@pytest.fixture
def folder(base: ScheduleInstance, tmp_path: Path) -> Path:
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
    assert index < len(frame), f"{name} has only {len(frame)} rows"
    frame.loc[index, column] = str(value)
    write(folder, name, frame)
    return f"{name}.csv", index + 2, column


def row_of(folder: Path, name: str, **match: str) -> int:
    """Positional index of the first data row whose columns equal ``match``."""
    frame = read(folder, name)
    hit = np.ones(len(frame), dtype=bool)
    for column, value in match.items():
        hit &= (frame[column] == value).to_numpy()
    assert hit.any(), (name, match)
    return int(np.flatnonzero(hit)[0])


def edit_yaml(folder: Path, **changes: object) -> None:
    data = yaml.safe_load((folder / "instance.yaml").read_text())
    data.update(changes)
    (folder / "instance.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def errors_of(path: Path) -> list[InputError]:
    with pytest.raises(InputErrors) as info:
        load(path)
    assert info.value.errors, "InputErrors raised without any error"
    return info.value.errors


def where(errors: list[InputError]) -> list[Where]:
    return [(e.file, e.row, e.column) for e in errors]


def assert_same(a: ScheduleInstance, b: ScheduleInstance) -> None:
    frames_a, frames_b = a.to_frames(), b.to_frames()
    assert set(frames_a) == set(frames_b) == set(TABLES)
    for name in TABLES:
        pd.testing.assert_frame_equal(frames_a[name], frames_b[name], check_dtype=False, obj=name)
    np.testing.assert_array_equal(a.demand, b.demand)
    assert a.calendar == b.calendar
    assert a.scalars() == b.scalars()
    assert a.checksum() == b.checksum()


# ---------------------------------------------------------------- clean input
def test_saved_scenario_round_trips(base: ScheduleInstance, folder: Path) -> None:
    assert {f.name for f in folder.iterdir()} == {"instance.yaml", *(f"{t}.csv" for t in TABLES)}
    inst = load(folder)
    assert_same(inst, base)
    assert inst.name == "document-scenario-2" and inst.good_ids == ["FG3"]
    assert inst.machine_ids == ["EXT1", "DRY1", "DRY2", "COA1", "PAC1"]
    assert inst.calendar == Calendar(weeks=1, days_per_week=5, shifts_per_day=1, hours_per_shift=8, period_hours=1)
    assert inst.calendar.num_periods == 40 and inst.demand.shape == (1, 40)
    assert inst.demand.sum() == pytest.approx(10_000)
    assert inst.reorder_policy == "dynamic"
    # a second round trip changes nothing
    inst.save(folder.parent / "again")
    assert_same(load(folder.parent / "again"), base)


def test_round_trip_xlsx(base: ScheduleInstance, tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    base.save(tmp_path / "inst.xlsx")
    assert (tmp_path / "inst.xlsx").is_file()
    assert_same(load(tmp_path / "inst.xlsx"), base)


def test_round_trip_from_frames(base: ScheduleInstance) -> None:
    assert_same(from_frames(base.to_frames(), base.scalars()), base)


def test_every_document_scenario_loads(tmp_path: Path) -> None:
    for n in range(1, 9):
        inst = document_scenario(n)
        inst.save(tmp_path / str(n))
        assert load(tmp_path / str(n)).checksum() == inst.checksum(), n


def test_calendar_geometry() -> None:
    cal = Calendar(weeks=2, days_per_week=5, shifts_per_day=2, hours_per_shift=8, period_hours=4)
    assert cal.day_minutes == 960
    assert cal.working_days().tolist() == [0, 1, 2, 3, 4, 7, 8, 9, 10, 11]
    assert cal.windows()[0].tolist() == [0, 960] and cal.windows()[5].tolist() == [7 * 1440, 7 * 1440 + 960]
    assert cal.horizon == 11 * 1440 + 960
    assert cal.working_hours == 160
    assert cal.num_periods == 40 and cal.period_ends()[:5].tolist() == [240, 480, 720, 960, 1440 + 240]
    assert cal.breaks()[0].tolist() == [960, 1440] and cal.breaks()[4].tolist() == [4 * 1440 + 960, 7 * 1440]


def test_operation_minutes_rounds_setup_and_run_up() -> None:
    # 5,483.33 lbs at 1,500 lbs/h: 219.33 min of run, + 10 min of setup
    assert operation_minutes(5483.33, 1.0, 1500.0, 10.0) == 230
    assert operation_minutes(1500.0, 1.0, 1500.0, 0.0) == 60  # exactly an hour: no extra minute
    assert operation_minutes(900.0, 0.9, 1000.0, 0.5) == 1 + 60  # 1,000 lbs of input in 60 min


# ---------------------------------------------------------------- planted defects
def test_negative_rate(folder: Path) -> None:
    expected = plant(folder, "routes", row_of(folder, "routes", machine="DRY2"), "rate", -5)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "below the minimum" in errors[0].message
    assert str(errors[0]).startswith(f"routes.csv, row {expected[1]}, column 'rate'")


def test_non_numeric_rate(folder: Path) -> None:
    expected = plant(folder, "routes", 0, "rate", "fast")
    errors = errors_of(folder)
    assert where(errors) == [expected] and "'fast' is not a number" in errors[0].message


def test_unknown_machine(folder: Path) -> None:
    expected = plant(folder, "routes", row_of(folder, "routes", machine="DRY1"), "machine", "DRY9")
    errors = errors_of(folder)
    assert where(errors) == [expected] and "unknown machine 'DRY9'" in errors[0].message


def test_machine_of_another_stage(folder: Path) -> None:
    expected = plant(folder, "routes", row_of(folder, "routes", stage="extrude"), "machine", "DRY1")
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "belongs to stage 'dry', not 'extrude'" in errors[0].message


def test_yield_above_one(folder: Path) -> None:
    expected = plant(folder, "routes", row_of(folder, "routes", stage="coat"), "yield", 1.5)
    errors = errors_of(folder)
    assert where(errors) == [expected] and "(0, 1]" in errors[0].message


def test_demand_period_beyond_the_calendar(folder: Path) -> None:
    expected = plant(folder, "demand", 4, "period", 41)
    errors = errors_of(folder)
    assert where(errors) == [expected] and "beyond the calendar's 40 periods" in errors[0].message


def test_shelf_life_stage_not_in_the_recipe(folder: Path) -> None:
    # 'mix' is a known stage, but recipe R3 has no step there
    stages = read(folder, "stages")
    write(folder, "stages", pd.concat([stages, pd.DataFrame([{"stage": "mix", "waste_cost": "0"}])]))
    expected = plant(folder, "shelf_life", 0, "to_stage", "mix")
    errors = errors_of(folder)
    assert where(errors) == [expected] and "recipe 'R3' has no step at stage 'mix'" in errors[0].message


def test_shelf_life_unknown_stage(folder: Path) -> None:
    expected = plant(folder, "shelf_life", 0, "from_stage", "nowhere")
    errors = errors_of(folder)
    assert where(errors) == [expected] and "unknown stage 'nowhere'" in errors[0].message


def test_shelf_life_stages_in_the_wrong_order(folder: Path) -> None:
    plant(folder, "shelf_life", 0, "from_stage", "dry")
    expected = plant(folder, "shelf_life", 0, "to_stage", "extrude")
    errors = errors_of(folder)
    assert where(errors) == [expected] and "comes before" in errors[0].message


def test_unknown_calendar_key(folder: Path) -> None:
    edit_yaml(folder, calendar={"weeks": 1, "days_per_weak": 5})
    errors = errors_of(folder)
    assert where(errors) == [("instance.yaml", None, "calendar.days_per_weak")]
    assert "unknown key" in errors[0].message and "days_per_week" in errors[0].message


@pytest.mark.parametrize(("calendar", "column"), [
    ({"weeks": 0}, "calendar.weeks"),
    ({"days_per_week": 8}, "calendar.days_per_week"),
    ({"shifts_per_day": 1.5}, "calendar.shifts_per_day"),
    ({"shifts_per_day": 3, "hours_per_shift": 9}, "calendar.hours_per_shift"),
    ({"period_hours": 3}, "calendar.period_hours"),  # 8 h days do not split into 3 h periods
])
def test_bad_calendar_values(folder: Path, calendar: dict[str, object], column: str) -> None:
    edit_yaml(folder, calendar=calendar)
    assert ("instance.yaml", None, column) in where(errors_of(folder))


def test_bad_reorder_policy(folder: Path) -> None:
    edit_yaml(folder, reorder_policy="sometimes")
    assert where(errors_of(folder)) == [("instance.yaml", None, "reorder_policy")]


def test_batch_that_does_not_fit_a_working_day(folder: Path) -> None:
    # 50,000 lbs at 1,500 lbs/h takes 2,010 min at drying and coating, 1,510 at packaging
    plant(folder, "goods", 0, "batch_size", 50_000)
    errors = errors_of(folder)
    routes = read(folder, "routes")
    slow = [f for f, stage in enumerate(routes["stage"]) if stage != "extrude"]
    assert where(errors) == [("routes.csv", f + 2, "rate") for f in slow]
    assert all("longer than a working day (480 min)" in e.message and "'FG3'" in e.message for e in errors)


@pytest.mark.parametrize(("given", "missing"), [("min_batch", "max_batch"), ("max_batch", "min_batch")])
def test_min_batch_and_max_batch_go_together(folder: Path, given: str, missing: str) -> None:
    plant(folder, "goods", 0, given, 1000)
    errors = errors_of(folder)
    assert where(errors) == [("goods.csv", 2, missing)]
    assert "must be given together" in errors[0].message


def test_min_batch_above_max_batch(folder: Path) -> None:
    plant(folder, "goods", 0, "min_batch", 2000)
    plant(folder, "goods", 0, "max_batch", 1000)
    assert where(errors_of(folder)) == [("goods.csv", 2, "max_batch")]


def test_service_level_of_one(folder: Path) -> None:
    expected = plant(folder, "goods", 0, "service_level", 1)
    assert where(errors_of(folder)) == [expected]


def test_duplicate_route_row(folder: Path) -> None:
    expected = plant(folder, "routes", row_of(folder, "routes", machine="DRY2"), "machine", "DRY1")
    errors = errors_of(folder)
    assert where(errors) == [expected] and "duplicate key" in errors[0].message


def test_reference_errors_of_several_files_are_reported_together(folder: Path) -> None:
    a = plant(folder, "routes", row_of(folder, "routes", machine="PAC1"), "machine", "PAC7")
    b = plant(folder, "demand", 39, "period", 99)
    c = plant(folder, "demand", 3, "good", "FG9")
    assert sorted(where(errors_of(folder))) == sorted([a, b, c])


def test_missing_table_and_column(folder: Path) -> None:
    (folder / "stages.csv").unlink()
    write(folder, "machines", read(folder, "machines").drop(columns=["stage"]))
    found = where(errors_of(folder))
    assert ("stages.csv", None, None) in found and ("machines.csv", None, "stage") in found


def test_optional_columns_take_their_defaults(base: ScheduleInstance, folder: Path) -> None:
    write(folder, "routes", read(folder, "routes").drop(columns=["yield"]))
    write(folder, "machines", read(folder, "machines").drop(columns=["setup_minutes", "cost_per_hour"]))
    inst = load(folder)
    assert (inst.routes["yield"] == 1.0).all()
    assert (inst.machines["setup_minutes"] == 0).all() and (inst.machines["cost_per_hour"] == 0).all()
    assert inst.checksum() != base.checksum()


# ---------------------------------------------------------------- properties
NUMERIC = [(spec.name, col.name, col.minimum, col.kind) for spec in SPECS for col in spec.columns
           if col.kind != "str" and col.minimum is not None]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_value_below_its_minimum_is_named_by_file_row_and_column(base: ScheduleInstance,
                                                                   data: st.DataObject) -> None:
    """Any numeric cell of any table set below its column's minimum is reported at that cell."""
    table, column, minimum, kind = data.draw(st.sampled_from(NUMERIC), label="cell")
    frames = base.to_frames()
    frame = frames[table].astype(object)
    index = data.draw(st.integers(0, len(frame) - 1), label="row")
    if kind == "int":
        value: object = data.draw(st.integers(-1000, int(np.ceil(minimum)) - 1), label="value")
    else:
        value = data.draw(st.floats(-1e6, minimum, exclude_max=True, allow_nan=False), label="value")
    frame.loc[index, column] = value
    frames[table] = frame
    with pytest.raises(InputErrors) as info:
        from_frames(frames, base.scalars())
    assert (f"{table}.csv", index + 2, column) in where(info.value.errors), info.value.errors


@settings(max_examples=12, deadline=None)
@given(
    scenario=st.integers(1, 8),
    rates=st.lists(st.floats(0.6, 1.5), min_size=5, max_size=5),
    stock=st.floats(0, 5_000),
    shelf_hours=st.floats(10, 72),  # extrusion + drying take up to ~7.2 h at these rates; a shorter shelf
)                                   # life is a load error (the good could never be made)
def test_save_load_round_trips(scenario: int, rates: list[float], stock: float, shelf_hours: float) -> None:
    inst = document_scenario(scenario)
    inst.routes["rate"] = np.round(inst.routes["rate"].to_numpy() * np.array(rates), 3)
    inst.goods.loc[0, "initial_inventory"] = round(stock, 2)
    inst.shelf_life.loc[0, "max_hours"] = round(shelf_hours, 4)
    with tempfile.TemporaryDirectory() as tmp:
        inst.save(Path(tmp) / "inst")
        assert_same(load(Path(tmp) / "inst"), inst)
