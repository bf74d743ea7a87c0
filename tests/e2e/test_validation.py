"""Validation of e2e instances (document 001): each planted defect is reported with its
file, row (header = row 1) and column, through CSV folders, workbooks and ``from_frames``;
clean instances round-trip exactly."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantwise.core.errors import InputError, InputErrors
from plantwise.e2e.generator import generate
from plantwise.e2e.instance import DEFAULT_PENALTIES, MINIMUM_SHARE, SPECS, E2EInstance, from_frames, load

Where = tuple[str, int | None, str | None]
DROP = "<drop>"  # scalars(): remove the key


@pytest.fixture(scope="module")
def base() -> E2EInstance:
    """2 plants (A stocks S0001-S0004, B S0001-S0003), 5 lines, 11 DCs, 14 days."""
    return generate(1, 1, skus=4)


@pytest.fixture
def folder(base: E2EInstance, tmp_path: Path) -> Path:
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


def append(folder: Path, name: str, row: dict[str, object]) -> int:
    """Append a data row; return its spreadsheet row number."""
    frame = read(folder, name)
    frame = pd.concat([frame, pd.DataFrame([{k: str(v) for k, v in row.items()}])], ignore_index=True)
    write(folder, name, frame.fillna(""))
    return len(frame) + 1


def scalars(folder: Path, **changes: object) -> None:
    data = yaml.safe_load((folder / "instance.yaml").read_text())
    for key, value in changes.items():
        if value == DROP:
            data.pop(key, None)
        else:
            data[key] = value
    (folder / "instance.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def errors_of(path: Path) -> list[InputError]:
    with pytest.raises(InputErrors) as info:
        load(path)
    assert info.value.errors, "InputErrors raised without any error"
    return info.value.errors


def where(errors: list[InputError]) -> list[Where]:
    return [(e.file, e.row, e.column) for e in errors]


def assert_same(a: E2EInstance, b: E2EInstance) -> None:
    """Every field (inputs and derived index sets) identical, arrays exactly equal."""
    for f in dataclasses.fields(E2EInstance):
        if f.name == "warnings":  # the same defects, named by where each instance was read from
            assert [(w.row, w.column, w.message) for w in a.warnings] == [(w.row, w.column, w.message)
                                                                          for w in b.warnings]
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray):
            assert va.shape == vb.shape, f.name
            assert np.array_equal(va, vb), f.name
            assert va.dtype.kind == np.asarray(vb).dtype.kind, f.name
        else:
            assert va == vb, f.name
    assert np.array_equal(a.position_index, b.position_index)
    assert a.checksum() == b.checksum()


# ---------------------------------------------------------------- clean input
def test_clean_instance_loads(base: E2EInstance, folder: Path) -> None:
    inst = load(folder)
    assert_same(inst, base)
    assert inst.plants == ["A", "B"] and inst.horizon == 14
    assert inst.lines == ["2A", "3A", "6A", "1B", "2B"]


def test_round_trip_csv(tmp_path: Path) -> None:
    inst = generate(1, 1, skus=10)
    inst.save(tmp_path / "inst")
    assert_same(load(tmp_path / "inst"), inst)


def test_round_trip_xlsx(tmp_path: Path) -> None:
    inst = generate(1, 1, skus=10)
    inst.save(tmp_path / "inst.xlsx")
    assert (tmp_path / "inst.xlsx").is_file()
    assert_same(load(tmp_path / "inst.xlsx"), inst)


def test_round_trip_from_frames(base: E2EInstance) -> None:
    assert_same(from_frames(base.to_frames(), base.scalars()), base)


def test_optional_columns_take_their_defaults(base: E2EInstance, folder: Path) -> None:
    write(folder, "line_skus", read(folder, "line_skus").drop(columns=["moq", "setup_hours", "setup_cost"]))
    write(folder, "plant_skus", read(folder, "plant_skus").drop(columns=["minimum"]))
    write(folder, "skus", read(folder, "skus").drop(columns=["product_type", "holding_cost"]))
    frame = read(folder, "dc_skus")
    frame.loc[0, "minimum"] = ""  # blank = 0.9 x target
    write(folder, "dc_skus", frame)
    inst = load(folder)
    assert np.all(inst.moq == 0) and np.all(inst.setup_hours == 0) and np.all(inst.setup_cost == 0)
    assert np.allclose(inst.plant_minimum, MINIMUM_SHARE * base.plant_target)
    assert inst.dc_minimum[0] == pytest.approx(MINIMUM_SHARE * base.dc_target[0])
    assert np.array_equal(inst.dc_minimum[1:], base.dc_minimum[1:])
    assert np.all(inst.holding_cost == 0) and inst.product_type == [""] * len(base.skus)


def test_scalars_are_read(folder: Path) -> None:
    scalars(folder, penalties={"stockout": 2000, "under_target": 0}, allow_stockout=False, horizon=14)
    inst = load(folder)
    assert inst.penalties.stockout == 2000.0 and inst.penalties.under_target == 0.0
    assert inst.penalties.over_target == DEFAULT_PENALTIES["over_target"]
    assert inst.allow_stockout is False


def test_calendar_overrides_hours(base: E2EInstance, folder: Path) -> None:
    cal = read(folder, "line_calendar")
    line, day = cal.loc[0, "line"], int(cal.loc[0, "day"])
    plant(folder, "line_calendar", 0, "hours", 3.5)
    inst = load(folder)
    assert inst.hours[inst.lines.index(line), day - 1] == 3.5


# ---------------------------------------------------------------- unknown ids
UNKNOWN_IDS = [
    ("lines", 1, "plant", "Z", "unknown plant 'Z'"),
    ("line_calendar", 2, "line", "9Z", "unknown line '9Z'"),
    ("line_skus", 3, "line", "9Z", "unknown line '9Z'"),
    ("line_skus", 4, "sku", "S9999", "unknown SKU 'S9999'"),
    ("plant_skus", 1, "plant", "Z", "unknown plant 'Z'"),
    ("plant_skus", 2, "sku", "S9999", "unknown SKU 'S9999'"),
    ("dcs", 3, "plant", "Z", "unknown plant 'Z'"),
    ("dc_skus", 1, "dc", "DC99", "unknown DC 'DC99'"),
    ("dc_skus", 2, "sku", "S9999", "unknown SKU 'S9999'"),
    ("demand", 5, "dc", "DC99", "unknown DC 'DC99'"),
    ("demand", 6, "sku", "S9999", "unknown SKU 'S9999'"),
    ("dc_lanes", 2, "plant", "Z", "unknown plant 'Z'"),
    ("dc_lanes", 3, "dc", "DC99", "unknown DC 'DC99'"),
    ("transfer_lanes", 0, "from_plant", "Z", "unknown plant 'Z'"),
    ("transfer_lanes", 1, "to_plant", "Z", "unknown plant 'Z'"),
    ]


@pytest.mark.parametrize(("table", "index", "column", "value", "what"), UNKNOWN_IDS)
def test_unknown_id(folder: Path, table: str, index: int, column: str, value: str, what: str) -> None:
    expected = plant(folder, table, index, column, value)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert what in errors[0].message


def test_every_reference_column_is_tested() -> None:
    """The list above covers every id column that refers to another table."""
    id_columns = {(s.name, c.name) for s in SPECS for c in s.columns if c.kind == "str"}
    own_keys = {("plants", "plant"), ("lines", "line"), ("skus", "sku"), ("skus", "product_type"), ("dcs", "dc")}
    tested = {(table, column) for table, _, column, _, _ in UNKNOWN_IDS}
    assert id_columns - own_keys == tested


# ---------------------------------------------------------------- cell values
NUMERIC = [(s.name, c) for s in SPECS for c in s.columns if c.kind != "str"]


@pytest.mark.parametrize(("table", "column"), [(t, c.name) for t, c in NUMERIC])
def test_non_number(folder: Path, table: str, column: str) -> None:
    expected = plant(folder, table, 1, column, "lots")
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert errors[0].message == "'lots' is not a number"


@pytest.mark.parametrize(
    ("table", "column", "value", "what"),
    [(t, c.name, c.minimum - 1, f"below the minimum {c.minimum:g}") for t, c in NUMERIC if c.minimum is not None]
    + [("plant_skus", "minimum", -5, "-5 is below the minimum 0"), ("dc_skus", "minimum", -0.5, "below the minimum 0")],
)
def test_below_minimum(folder: Path, table: str, column: str, value: float, what: str) -> None:
    expected = plant(folder, table, 1, column, value)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert what in errors[0].message


@pytest.mark.parametrize("table", ["plant_skus", "dc_skus"])
def test_minimum_of_minus_one_is_rejected(folder: Path, table: str) -> None:
    expected = plant(folder, table, 1, "minimum", -1)
    assert where(errors_of(folder)) == [expected]


@pytest.mark.parametrize(
    ("table", "column"),
    [(t, c.name) for t, c in NUMERIC if c.kind == "int"],
)
def test_fractional_integer(folder: Path, table: str, column: str) -> None:
    value = read(folder, table).loc[0, column]
    expected = plant(folder, table, 0, column, f"{int(value)}.25")
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "not an integer" in errors[0].message


def test_bad_key_cell_gives_no_spurious_duplicate(folder: Path) -> None:
    demand = read(folder, "demand")
    assert demand.loc[1, "day"] == "2"
    assert demand.loc[0, ["dc", "sku"]].tolist() == demand.loc[1, ["dc", "sku"]].tolist()
    expected = plant(folder, "demand", 0, "day", 1.5)  # rounds to day 2, the key of row 3
    assert where(errors_of(folder)) == [expected]


@pytest.mark.parametrize(
    ("table", "column"),
    [(t, c.name) for t, c in NUMERIC if c.required]
    + [("lines", "line"), ("demand", "sku"), ("transfer_lanes", "from_plant"), ("dcs", "plant")],
)
def test_empty_required_value(folder: Path, table: str, column: str) -> None:
    expected = plant(folder, table, 0, column, "")
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert errors[0].message == "empty value"


@pytest.mark.parametrize("token", ["inf", "-inf", "1e400", "2e15"])
def test_non_finite_or_huge(folder: Path, token: str) -> None:
    expected = plant(folder, "demand", 3, "quantity", token)
    errors = errors_of(folder)
    assert where(errors) == [expected]


@pytest.mark.parametrize(
    ("table", "column"),
    [(s.name, c.name) for s in SPECS for c in s.columns if c.required],
)
def test_missing_required_column(folder: Path, table: str, column: str) -> None:
    frame = read(folder, table)
    write(folder, table, frame.drop(columns=[column]))
    errors = errors_of(folder)
    if frame.shape[1] == 1:  # plants.csv without its only column has no header at all
        assert where(errors) == [(f"{table}.csv", None, None)]
        assert "no header row" in errors[0].message
        return
    assert where(errors) == [(f"{table}.csv", None, column)]
    assert errors[0].message == "required column missing"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_duplicate_key(folder: Path, spec) -> None:
    frame = read(folder, spec.name)
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    write(folder, spec.name, frame)
    errors = errors_of(folder)
    assert where(errors) == [(spec.filename, len(frame) + 1, spec.key[-1])]
    assert "duplicate key" in errors[0].message


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_missing_file(folder: Path, spec) -> None:
    (folder / spec.filename).unlink()
    errors = errors_of(folder)
    assert where(errors) == [(spec.filename, None, None)]
    assert "file missing" in errors[0].message


def test_ragged_row(folder: Path) -> None:
    text = (folder / "demand.csv").read_text().splitlines()
    text[4] += ",7"  # row 5 gets a fifth field
    (folder / "demand.csv").write_text("\n".join(text) + "\n")
    errors = errors_of(folder)
    assert where(errors) == [("demand.csv", 5, None)]
    assert "5 fields, the header has 4" in errors[0].message


def test_short_row_is_an_empty_value(folder: Path) -> None:
    text = (folder / "dc_lanes.csv").read_text().splitlines()
    text[3] = ",".join(text[3].split(",")[:3])  # row 4 loses its lead_time
    (folder / "dc_lanes.csv").write_text("\n".join(text) + "\n")
    assert where(errors_of(folder)) == [("dc_lanes.csv", 4, "lead_time")]


def test_every_defect_is_reported_together(folder: Path) -> None:
    expected = [
        plant(folder, "lines", 2, "hours_per_day", "x"),
        plant(folder, "demand", 7, "quantity", -3),
        plant(folder, "demand", 9, "day", "later"),
    ]
    assert sorted(where(errors_of(folder)), key=str) == sorted(expected, key=str)


def test_row_number_after_a_blank_line(folder: Path) -> None:
    text = (folder / "lines.csv").read_text().splitlines()
    text.insert(2, "")  # a blank line as row 3
    row = text[4].split(",")
    row[2] = "abc"
    text[4] = ",".join(row)  # spreadsheet row 5
    (folder / "lines.csv").write_text("\n".join(text) + "\n")
    assert where(errors_of(folder)) == [("lines.csv", 5, "hours_per_day")]


# ---------------------------------------------------------------- cross-table rules
@pytest.mark.parametrize("table", ["line_calendar", "demand"])
def test_day_beyond_horizon(base: E2EInstance, folder: Path, table: str) -> None:
    expected = plant(folder, table, 2, "day", base.horizon + 1)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert f"beyond the horizon T = {base.horizon}" in errors[0].message


def test_last_day_is_within_horizon(base: E2EInstance, folder: Path) -> None:
    plant(folder, "line_calendar", 2, "day", base.horizon)
    load(folder)


def test_shorter_horizon_moves_days_beyond_it(base: E2EInstance, folder: Path) -> None:
    """A horizon of 5 puts every later calendar and demand day beyond it: all are named."""
    scalars(folder, horizon=5)
    errors = errors_of(folder)
    cal, dem = read(folder, "line_calendar"), read(folder, "demand")
    expected = [("line_calendar.csv", i + 2, "day") for i in np.flatnonzero(cal["day"].astype(int) > 5)]
    expected += [("demand.csv", i + 2, "day") for i in np.flatnonzero(dem["day"].astype(int) > 5)]
    assert where(errors) == expected


def test_transfer_lane_to_the_same_plant(folder: Path) -> None:
    frame = read(folder, "transfer_lanes")
    expected = plant(folder, "transfer_lanes", 0, "to_plant", frame.loc[0, "from_plant"])
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "two different plants" in errors[0].message


@pytest.mark.parametrize("table", ["plant_skus", "dc_skus"])
def test_minimum_above_target(folder: Path, table: str) -> None:
    frame = read(folder, table)
    expected = plant(folder, table, 2, "minimum", float(frame.loc[2, "target"]) + 1)
    errors = errors_of(folder)
    assert where(errors) == [expected]
    assert "exceeds target" in errors[0].message


def test_minimum_equal_to_target_is_fine(folder: Path) -> None:
    frame = read(folder, "dc_skus")
    plant(folder, "dc_skus", 2, "minimum", frame.loc[2, "target"])
    load(folder)


def test_line_makes_a_sku_its_plant_does_not_stock(base: E2EInstance, folder: Path) -> None:
    stocked_b = set(read(folder, "plant_skus").query("plant == 'B'")["sku"])
    sku = next(s for s in base.skus if s not in stocked_b)  # S0004: only plant A stocks it
    row = append(folder, "line_skus", {"line": "1B", "sku": sku, "rate": 10, "moq": 0, "setup_hours": 0,
                                       "setup_cost": 0})
    errors = errors_of(folder)
    assert where(errors) == [("line_skus.csv", row, "sku")]
    assert f"plant 'B' of line '1B' has no plant_skus.csv row for SKU '{sku}'" in errors[0].message


def test_demand_without_dc_sku_row(base: E2EInstance, folder: Path) -> None:
    stocked = set(zip(read(folder, "dc_skus")["dc"], read(folder, "dc_skus")["sku"], strict=True))
    dc, sku = next((d, s) for d in base.dcs for s in base.skus if (d, s) not in stocked)
    row = append(folder, "demand", {"dc": dc, "sku": sku, "day": 3, "quantity": 10})
    errors = errors_of(folder)
    assert where(errors) == [("demand.csv", row, "sku")]
    assert f"DC '{dc}' has no dc_skus.csv row for SKU '{sku}'" in errors[0].message


def test_unreachable_dc_without_stockouts(base: E2EInstance, folder: Path) -> None:
    """With stockouts forbidden, a DC-SKU whose demand exceeds its stock needs a lane."""
    lanes = read(folder, "dc_lanes")
    dc = "DC1A"
    write(folder, "dc_lanes", lanes[lanes["dc"] != dc])
    load(folder)  # stockouts allowed: a plan (with stockouts) exists
    scalars(folder, allow_stockout=False)
    errors = errors_of(folder)
    ds = read(folder, "dc_skus")
    short = [i for i in range(len(ds)) if ds.loc[i, "dc"] == dc
             and base.demand[i].sum() > float(ds.loc[i, "initial_inventory"])]
    assert short, "the instance should have DC1A positions that need shipments"
    assert where(errors) == [("dc_skus.csv", i + 2, "sku") for i in short]
    assert "no dc_lanes.csv lane" in errors[0].message


@pytest.mark.parametrize("table", ["plants", "lines", "skus", "dcs"])
def test_empty_entity_table(folder: Path, table: str) -> None:
    write(folder, table, read(folder, table).iloc[:0])
    errors = errors_of(folder)
    assert (f"{table}.csv", None, None) in where(errors)


# ---------------------------------------------------------------- instance.yaml
@pytest.mark.parametrize("horizon", [0, -3, 2.5, "14", True, None, DROP], ids=str)
def test_bad_horizon(folder: Path, horizon: object) -> None:
    scalars(folder, horizon=horizon)
    errors = errors_of(folder)
    assert where(errors) == [("instance.yaml", None, "horizon")]
    assert "must be an integer from 1 to" in errors[0].message


@pytest.mark.parametrize(
    ("penalties", "column", "what"),
    [
        ({"backorder": 5.0}, "penalties.backorder", "unknown penalty"),
        ({"stockout": -1.0}, "penalties.stockout", "finite number >= 0"),
        ({"over_target": "high"}, "penalties.over_target", "finite number >= 0"),
        ({"under_minimum": True}, "penalties.under_minimum", "finite number >= 0"),
        ({"under_target": float("nan")}, "penalties.under_target", "finite number >= 0"),
        ([1, 2], "penalties", "must be a mapping"),
    ],
)
def test_bad_penalties(folder: Path, penalties: object, column: str, what: str) -> None:
    scalars(folder, penalties=penalties)
    errors = errors_of(folder)
    assert where(errors) == [("instance.yaml", None, column)]
    assert what in errors[0].message


def test_all_bad_penalties_reported_together(folder: Path) -> None:
    scalars(folder, penalties={"stockout": -1, "bogus": 1, "over_target": 2})
    assert sorted(where(errors_of(folder)), key=str) == [("instance.yaml", None, "penalties.bogus"),
                                                         ("instance.yaml", None, "penalties.stockout")]


@pytest.mark.parametrize("value", ["yes please", 1, 0.0, [True]], ids=str)
def test_allow_stockout_not_bool(folder: Path, value: object) -> None:
    scalars(folder, allow_stockout=value)
    errors = errors_of(folder)
    assert where(errors) == [("instance.yaml", None, "allow_stockout")]
    assert "true or false" in errors[0].message


@pytest.mark.parametrize("text", ["horizon: [1, 2", "- 1\n- 2\n"], ids=["invalid-yaml", "not-a-mapping"])
def test_unreadable_instance_yaml(folder: Path, text: str) -> None:
    (folder / "instance.yaml").write_text(text)
    assert where(errors_of(folder)) == [("instance.yaml", None, None)]


def test_missing_instance_yaml(folder: Path) -> None:
    (folder / "instance.yaml").unlink()
    errors = errors_of(folder)
    assert where(errors) == [("instance.yaml", None, None)]
    assert "file missing" in errors[0].message


def test_no_such_path(tmp_path: Path) -> None:
    errors = errors_of(tmp_path / "nowhere")
    assert len(errors) == 1 and "no such folder or workbook" in errors[0].message


# ---------------------------------------------------------------- workbooks and frames
def test_workbook_errors_name_sheet_row_and_column(base: E2EInstance, tmp_path: Path) -> None:
    frames = base.to_frames()
    frames["demand"] = frames["demand"].astype(object)
    frames["demand"].loc[4, "quantity"] = "many"
    frames["line_skus"] = frames["line_skus"].astype(object)
    frames["line_skus"].loc[2, "sku"] = "S9999"
    from plantwise.core.tables import save_tables

    save_tables(tmp_path / "book.xlsx", frames, base.scalars())
    errors = errors_of(tmp_path / "book.xlsx")
    assert where(errors) == [("book.xlsx[demand]", 6, "quantity")]
    # unknown ids are checked once the cells are typed
    frames["demand"].loc[4, "quantity"] = 5.0
    save_tables(tmp_path / "book.xlsx", frames, base.scalars())
    errors = errors_of(tmp_path / "book.xlsx")
    assert where(errors) == [("book.xlsx[line_skus]", 4, "sku")]


def test_workbook_missing_sheet_and_bad_scalars(base: E2EInstance, tmp_path: Path) -> None:
    from plantwise.core.tables import save_tables

    frames = base.to_frames()
    del frames["dc_lanes"]
    save_tables(tmp_path / "book.xlsx", frames, base.scalars())
    assert where(errors_of(tmp_path / "book.xlsx")) == [("book.xlsx[dc_lanes]", None, None)]
    save_tables(tmp_path / "book.xlsx", base.to_frames(), {**base.scalars(), "horizon": 0})
    assert where(errors_of(tmp_path / "book.xlsx")) == [("book.xlsx[instance]", None, "horizon")]


def test_from_frames_reports_like_files(base: E2EInstance) -> None:
    frames = {k: v.astype(str) for k, v in base.to_frames().items()}
    frames["dc_skus"].loc[3, "target"] = "x"
    del frames["transfer_lanes"]
    with pytest.raises(InputErrors) as info:
        from_frames(frames, base.scalars())
    assert where(info.value.errors) == [("dc_skus.csv", 5, "target"), ("transfer_lanes.csv", None, None)]
    with pytest.raises(InputErrors) as info:
        from_frames(base.to_frames(), {**base.scalars(), "allow_stockout": "no"})
    assert where(info.value.errors) == [("instance.yaml", None, "allow_stockout")]


# ---------------------------------------------------------------- properties
@st.composite
def valid_frames(draw: st.DrawFn) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """A random small valid instance as frames (every cross-table rule respected)."""
    T = draw(st.integers(1, 6), label="horizon")
    P = draw(st.integers(1, 3), label="plants")
    S = draw(st.integers(1, 4), label="skus")
    D = draw(st.integers(1, 3), label="dcs")
    plants = [f"P{p}" for p in range(P)]
    skus = [f"S{s}" for s in range(S)]
    dcs = [f"D{d}" for d in range(D)]
    num = st.integers(0, 50).map(float)
    lines = [(f"L{p}{i}", plants[p]) for p in range(P) for i in range(draw(st.integers(1, 2)))]
    plant_skus = [(p, s) for p in plants for s in skus if draw(st.booleans())]
    stocked = {p: [s for q, s in plant_skus if q == p] for p in plants}
    line_skus = [(ln, s) for ln, p in lines for s in stocked[p] if draw(st.booleans())]
    dc_plant = [draw(st.sampled_from(plants)) for _ in dcs]
    dc_skus = [(d, s) for d in dcs for s in skus if draw(st.booleans())]
    demand = [(d, s, t) for d, s in dc_skus for t in range(1, T + 1) if draw(st.booleans())]
    dc_lanes = [(p, d) for p in plants for d in dcs if draw(st.booleans())]
    transfer = [(p, q) for p in plants for q in plants if p != q and draw(st.booleans())]
    calendar = [(ln, t) for ln, _ in lines for t in range(1, T + 1) if draw(st.booleans())]

    def stock_rows(keys: list[tuple[str, str]], c0: str) -> pd.DataFrame:
        rows = []
        for a, s in keys:
            target = draw(num)
            minimum = draw(st.one_of(st.just(""), st.floats(0, target, allow_nan=False)))
            rows.append({c0: a, "sku": s, "initial_inventory": draw(num), "target": target, "minimum": minimum})
        return pd.DataFrame(rows, columns=[c0, "sku", "initial_inventory", "target", "minimum"])

    frames = {
        "plants": pd.DataFrame({"plant": plants}),
        "lines": pd.DataFrame({"line": [ln for ln, _ in lines], "plant": [p for _, p in lines],
                               "hours_per_day": [draw(st.integers(0, 24)) for _ in lines]}),
        "line_calendar": pd.DataFrame({"line": [ln for ln, _ in calendar], "day": [t for _, t in calendar],
                                       "hours": [draw(num) for _ in calendar]}, columns=["line", "day", "hours"]),
        "skus": pd.DataFrame({"sku": skus, "holding_cost": [draw(num) / 100 for _ in skus]}),
        "line_skus": pd.DataFrame({"line": [ln for ln, _ in line_skus], "sku": [s for _, s in line_skus],
                                   "rate": [draw(st.integers(1, 100)) for _ in line_skus],
                                   "moq": [draw(num) for _ in line_skus]}, columns=["line", "sku", "rate", "moq"]),
        "plant_skus": stock_rows(plant_skus, "plant"),
        "dcs": pd.DataFrame({"dc": dcs, "plant": dc_plant}),
        "dc_skus": stock_rows(dc_skus, "dc"),
        "demand": pd.DataFrame({"dc": [d for d, _, _ in demand], "sku": [s for _, s, _ in demand],
                                "day": [t for *_, t in demand], "quantity": [draw(num) for _ in demand]},
                               columns=["dc", "sku", "day", "quantity"]),
        "dc_lanes": pd.DataFrame({"plant": [p for p, _ in dc_lanes], "dc": [d for _, d in dc_lanes],
                                  "cost_per_unit": [draw(num) for _ in dc_lanes],
                                  "lead_time": [draw(st.integers(0, 3)) for _ in dc_lanes]},
                                 columns=["plant", "dc", "cost_per_unit", "lead_time"]),
        "transfer_lanes": pd.DataFrame({"from_plant": [p for p, _ in transfer], "to_plant": [q for _, q in transfer],
                                        "cost_per_unit": [draw(num) for _ in transfer],
                                        "lead_time": [draw(st.integers(0, 3)) for _ in transfer]},
                                       columns=["from_plant", "to_plant", "cost_per_unit", "lead_time"]),
    }
    return frames, {"name": "random", "horizon": T}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=valid_frames())
def test_random_valid_frames_load(case: tuple[dict[str, pd.DataFrame], dict[str, object]]) -> None:
    frames, sc = case
    inst = from_frames(frames, sc)
    T = inst.horizon
    assert inst.demand.shape == (len(frames["dc_skus"]), T)
    assert inst.demand.sum() == pytest.approx(frames["demand"]["quantity"].sum())
    for d, s, t, q in frames["demand"].itertuples(index=False):
        b = next(i for i in range(inst.num_dc_positions)
                 if inst.dcs[inst.dc_pos_dc[i]] == d and inst.skus[inst.dc_pos_sku[i]] == s)
        assert inst.demand[b, t - 1] == q
    for ln, t, h in frames["line_calendar"].itertuples(index=False):
        assert inst.hours[inst.lines.index(ln), t - 1] == h
    # every line-SKU pair produces into a stock point of its own plant
    assert np.all(inst.pair_position >= 0)
    assert np.array_equal(inst.plant_pos_plant[inst.pair_position], inst.line_plant[inst.pair_line])
    # every shipment arc joins a lane; every transfer arc moves a SKU between two plants stocking it
    assert np.array_equal(inst.lane_dc[inst.ship_lane], inst.dc_pos_dc[inst.ship_to])
    assert np.array_equal(inst.plant_pos_sku[inst.ship_from], inst.dc_pos_sku[inst.ship_to])
    assert np.array_equal(inst.plant_pos_sku[inst.move_from], inst.plant_pos_sku[inst.move_to])
    assert np.all(inst.plant_pos_plant[inst.move_from] != inst.plant_pos_plant[inst.move_to])
    assert np.all(inst.plant_minimum <= inst.plant_target + 1e-9)
    # and the instance round-trips through its own tables
    assert_same(from_frames(inst.to_frames(), inst.scalars()), inst)


BAD_TOKENS = st.from_regex(r"[A-Za-z_?!#][A-Za-z0-9_?!#]{0,7}", fullmatch=True).filter(
    lambda s: s.lower() not in {"inf", "infinity", "nan", "none", "na", "null"}
)
NUMERIC_CELLS = [(t, c.name) for t, c in NUMERIC]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), token=BAD_TOKENS)
def test_random_corrupted_cell_is_named(base: E2EInstance, data: st.DataObject, token: str) -> None:
    table, column = data.draw(st.sampled_from(NUMERIC_CELLS), label="cell")
    frames = {k: v.astype(str) for k, v in base.to_frames().items()}
    row = data.draw(st.integers(0, len(frames[table]) - 1), label="row")
    frames[table].loc[row, column] = token
    with pytest.raises(InputErrors) as info:
        from_frames(frames, base.scalars())
    assert where(info.value.errors) == [(f"{table}.csv", row + 2, column)]
    assert f"'{token}'" in info.value.errors[0].message


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_negative_cell_in_a_file_is_named(base: E2EInstance, data: st.DataObject) -> None:
    table, column = data.draw(st.sampled_from([(t, c) for t, c in NUMERIC_CELLS if c not in ("day",)]),
                              label="cell")
    frames = {k: v.astype(str) for k, v in base.to_frames().items()}
    row = data.draw(st.integers(0, len(frames[table]) - 1), label="row")
    frames[table].loc[row, column] = "-7"
    with tempfile.TemporaryDirectory() as tmp:
        from plantwise.core.tables import save_tables

        save_tables(tmp, frames, base.scalars())
        with pytest.raises(InputErrors) as info:
            load(tmp)
    assert where(info.value.errors) == [(f"{table}.csv", row + 2, column)]
    assert "below the minimum" in info.value.errors[0].message


def test_an_moq_above_a_full_day_of_output_is_a_warning_naming_the_row(tmp_path: Path) -> None:
    from plantwise.e2e.generator import generate as make
    from plantwise.e2e.instance import load as load_e2e

    inst = make(1, 1, skus=10)
    assert inst.warnings, "the small generated instance has pairs that can never reach their MOQ"
    inst.save(tmp_path / "d")
    loaded = load_e2e(tmp_path / "d")
    best = loaded.pair_capacity().max(axis=1)
    never = np.flatnonzero(loaded.moq > best + 1e-9)
    assert [w.row for w in loaded.warnings] == [int(k) + 2 for k in never]
    assert all(w.file == "line_skus.csv" and w.column == "moq" for w in loaded.warnings)
    assert not make(3, 1).warnings  # the document's sizes draw no such pair
