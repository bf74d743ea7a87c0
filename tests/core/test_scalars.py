"""Scalar settings (``instance.yaml`` / the workbook's ``instance`` sheet) checked against each
family's ``SCALAR_SPECS``: non-finite numbers, duplicate and unknown keys, bad bytes and empty
files are input errors naming the file and key; the sheet round-trips numbers as numbers."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.scalars import ScalarSpec, check_scalars, failed_keys, format_value, parse_yaml
from plantwise.core.tables import read_scalar_source, read_scalars, save_tables

Where = tuple[str, int | None, str | None]


def where(errors: list[InputError]) -> list[Where]:
    return [(e.file, e.row, e.column) for e in errors]


# ---------------------------------------------------------------- the checker
SPECS = (
    ScalarSpec("name", "str"),
    ScalarSpec("horizon", "int", minimum=1, required=True, unit="periods"),
    ScalarSpec("rate", "float", minimum=0, maximum=1, default=0.5),
    ScalarSpec("gap", "float", minimum=0, exclusive_minimum=True, default=1.0),
    ScalarSpec("strict", "bool", default=False),
    ScalarSpec("mode", "choice", choices=("sS", "free"), default="sS"),
    ScalarSpec("costs", "mapping", item="cost", fields=(
        ScalarSpec("hold", "float", minimum=0, default=1.0), ScalarSpec("late", "float", minimum=0, default=9.0))),
)


def check(data: dict[str, object] | None) -> tuple[dict[str, object], list[InputError]]:
    return check_scalars(data, SPECS, "instance.yaml")


def test_defaults_and_types() -> None:
    values, errors = check({"horizon": 4.0, "rate": 1, "costs": {"late": 2}})
    assert errors == []
    assert values == {"name": None, "horizon": 4, "rate": 1.0, "gap": 1.0, "strict": False, "mode": "sS",
                      "costs": {"hold": 1.0, "late": 2.0}}
    assert isinstance(values["horizon"], int) and isinstance(values["rate"], float)
    assert check({"horizon": np.int64(3), "name": 2024})[0]["horizon"] == 3
    assert check({"horizon": 3, "name": 2024.0})[0]["name"] == "2024"


@pytest.mark.parametrize(("data", "key", "what"), [
    ({"horizon": float("nan")}, "horizon", "must be a positive integer, got nan"),
    ({"horizon": math.inf}, "horizon", "must be a positive integer, got inf"),
    ({"horizon": 2.5}, "horizon", "positive integer"),
    ({"horizon": True}, "horizon", "positive integer"),
    ({"horizon": "7"}, "horizon", "positive integer"),
    ({"horizon": 10**20}, "horizon", "at most 1e+15"),
    ({"horizon": 1, "rate": -math.inf}, "rate", "a finite number >= 0 and <= 1, got -inf"),
    ({"horizon": 1, "rate": 1.5}, "rate", "<= 1"),
    ({"horizon": 1, "gap": 0}, "gap", "a finite number > 0"),
    ({"horizon": 1, "strict": 1}, "strict", "true or false"),
    ({"horizon": 1, "mode": "ss"}, "mode", "did you mean 'sS'?"),
    ({"horizon": 1, "costs": [1]}, "costs", "must be a mapping of hold, late"),
    ({"horizon": 1, "costs": {"hold": float("nan")}}, "costs.hold", "finite number >= 0, got nan"),
    ({"horizon": 1, "costs": {"lat": 1}}, "costs.lat", "unknown cost 'lat' in 'costs'; did you mean 'late'?"),
    ({"horizon": 1, "costs": {"zzz": 1}}, "costs.zzz", "unknown cost 'zzz' in 'costs' (expected one of hold, late)"),
    ({"horizon": 1, "colour": "red"}, "colour", "unknown key 'colour' (expected one of name, horizon"),
    ({"rate": 0.1}, "horizon", "missing: must be a positive integer"),
])
def test_one_bad_setting_is_one_error(data: dict[str, object], key: str, what: str) -> None:
    values, errors = check(data)
    assert where(errors) == [("instance.yaml", None, key)]
    assert what in errors[0].message
    assert key.split(".")[0] in failed_keys(errors)
    assert set(values) == {s.name for s in SPECS}  # every key present (defaults for the bad ones)


def test_misspelt_required_key_is_one_message() -> None:
    _, errors = check({"horizn": 5})
    assert where(errors) == [("instance.yaml", None, "horizn")]
    assert errors[0].message == ("unknown key 'horizn'; did you mean 'horizon'? "
                                 "(required key 'horizon' is missing: a positive integer)")


def test_every_bad_setting_is_reported() -> None:
    _, errors = check({"horizon": 0, "rate": math.nan, "strict": "no", "costs": {"hold": -1, "x": 1}})
    assert sorted(e.column for e in errors) == ["costs.hold", "costs.x", "horizon", "rate", "strict"]


def test_empty_file() -> None:
    values, errors = check(None)
    assert where(errors) == [("instance.yaml", None, None)]
    assert errors[0].message == "empty: it must set horizon (a positive integer)"
    assert values["costs"] == {"hold": 1.0, "late": 9.0}
    assert check_scalars(None, SPECS[2:], "instance.yaml") == (
        {"rate": 0.5, "gap": 1.0, "strict": False, "mode": "sS", "costs": {"hold": 1.0, "late": 9.0}}, [])


def test_yaml_numbers_duplicates_and_text() -> None:
    data, errors = parse_yaml("a: 1e3\nb: 1e999\nc: '1e3'\nd: .nan\ne:\n  x: 1\n  x: 2\na: 2\n", "instance.yaml")
    assert data["a"] == 2 and data["b"] == math.inf and data["c"] == "1e3" and math.isnan(data["d"])
    assert where(errors) == [("instance.yaml", None, "e.x"), ("instance.yaml", None, "a")]  # in file order
    assert "lines 6 and 7" in errors[0].message and "lines 1 and 8" in errors[1].message
    assert parse_yaml("a: [1,\n", "f")[0] is None
    for value in ("text", "123", "yes", "a: b", " padded", "", {"weeks": 1, "hours": 7.5}, [1, 2.5], 1e-05):
        assert parse_yaml(format_value(value), "f")[0] == value, value


def test_yaml_aliases_cannot_loop_or_explode() -> None:
    data, errors = parse_yaml("a: &a [*a]\nb: &m {x: *m}\n", "f")
    assert errors == []
    _, errors = check_scalars(data, (ScalarSpec("a", "float"), ScalarSpec("b", "mapping", fields=(
        ScalarSpec("x", "float"),))), "f")
    assert [e.column for e in errors] == ["a", "b.x"]
    levels = ["x: &l0 [" + ", ".join(["v"] * 9) + "]"]
    levels += [f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, 8)]
    data, _ = parse_yaml("\n".join(levels) + "\nname: *l7\n", "f")  # 9^8 leaves if expanded
    _, errors = check_scalars({"name": data["name"]}, (ScalarSpec("name", "str"),), "f")
    assert len(errors) == 1 and len(errors[0].message) < 120


def test_read_scalars_keeps_its_contract(tmp_path: Path) -> None:
    (tmp_path / "instance.yaml").write_text("horizon: 5\nhorizon: 6\n")
    with pytest.raises(InputErrors) as info:
        read_scalars(tmp_path)
    assert "duplicate key 'horizon'" in str(info.value)
    (tmp_path / "instance.yaml").write_text("")
    assert read_scalars(tmp_path) == ({}, "instance.yaml")
    found = read_scalar_source(tmp_path)
    assert found.empty and found.readable and found.values is None


# ---------------------------------------------------------------- every family's instance.yaml
def _offload():
    from plantwise.offload.generator import generate

    return generate(6, seed=1)


def _e2e():
    from plantwise.e2e.generator import generate

    return generate(1, 1, skus=3)


def _schedule():
    from plantwise.schedule.generator import document_scenario

    return document_scenario(1)


def _acceptance():
    from plantwise.acceptance.generator import generate

    return generate(8, seed=1)


MAKERS: dict[str, Callable[[], object]] = {"offload": _offload, "e2e": _e2e, "schedule": _schedule,
                                           "acceptance": _acceptance}
FAMILIES = tuple(MAKERS)


@pytest.fixture(scope="module")
def instances() -> dict[str, object]:
    return {family: make() for family, make in MAKERS.items()}


def saved(instances: dict[str, object], family: str, path: Path) -> Path:
    instances[family].save(path)  # type: ignore[attr-defined]
    return path


def loader(family: str) -> Callable[[Path], object]:
    return importlib.import_module(f"plantwise.{family}.instance").load


def errors_of(family: str, path: Path) -> list[InputError]:
    with pytest.raises(InputErrors) as info:
        loader(family)(path)
    assert info.value.errors
    return info.value.errors


def set_yaml(folder: Path, dotted: str, text: str) -> None:
    """Set ``dotted`` (``a`` or ``a.b``) to the YAML ``text`` (written verbatim)."""
    data = yaml.safe_load((folder / "instance.yaml").read_text())
    parent, _, leaf = dotted.rpartition(".")
    marker = "__VALUE__"
    if parent:
        data.setdefault(parent, {})[leaf] = marker
    else:
        data[leaf] = marker
    (folder / "instance.yaml").write_text(yaml.safe_dump(data, sort_keys=False).replace(f"{marker}", text))


NON_FINITE = [
    ("offload", "horizon"), ("e2e", "horizon"), ("e2e", "penalties.stockout"), ("e2e", "penalties.over_target"),
    ("schedule", "calendar.hours_per_shift"), ("schedule", "calendar.weeks"), ("schedule", "labor_cost_per_hour"),
    ("schedule", "setup_cost_per_hour"), ("acceptance", "horizon_hours"), ("acceptance", "period_hours"),
    ("acceptance", "storage.cost_per_item_period"), ("acceptance", "storage.capacity"),
]


@pytest.mark.parametrize("token", [".nan", ".inf", "-.inf", "1e999", ".NaN"])
@pytest.mark.parametrize(("family", "key"), NON_FINITE, ids=[f"{f}-{k}" for f, k in NON_FINITE])
def test_non_finite_setting_is_an_input_error(instances: dict[str, object], tmp_path: Path, family: str, key: str,
                                              token: str) -> None:
    folder = saved(instances, family, tmp_path / "inst")
    set_yaml(folder, key, token)
    errors = errors_of(family, folder)
    assert where(errors) == [("instance.yaml", None, key)], errors
    assert "must be" in errors[0].message


def test_acceptance_storage_nan_is_not_unlimited(instances: dict[str, object], tmp_path: Path) -> None:
    folder = saved(instances, "acceptance", tmp_path / "inst")
    set_yaml(folder, "storage", "{cost_per_item_period: .inf, capacity: .nan}")
    assert sorted(where(errors_of("acceptance", folder))) == [
        ("instance.yaml", None, "storage.capacity"), ("instance.yaml", None, "storage.cost_per_item_period")]
    set_yaml(folder, "storage", "{cost_per_item_period: 0.5}")
    inst = loader("acceptance")(folder)
    assert inst.storage_cost == 0.5 and inst.storage_capacity == math.inf  # type: ignore[attr-defined]


@pytest.mark.parametrize("family", FAMILIES)
def test_duplicate_key_is_an_error(instances: dict[str, object], tmp_path: Path, family: str) -> None:
    folder = saved(instances, family, tmp_path / "inst")
    text = (folder / "instance.yaml").read_text()
    first = text.splitlines()[0]
    (folder / "instance.yaml").write_text(text + first + "\n")
    errors = errors_of(family, folder)
    key = first.split(":")[0]
    assert where(errors) == [("instance.yaml", None, key)]
    assert f"duplicate key '{key}' (lines 1 and {len(text.splitlines()) + 1})" in errors[0].message


@pytest.mark.parametrize("family", FAMILIES)
def test_non_utf8_instance_yaml(instances: dict[str, object], tmp_path: Path, family: str) -> None:
    folder = saved(instances, family, tmp_path / "inst")
    text = (folder / "instance.yaml").read_bytes()
    (folder / "instance.yaml").write_bytes(text + b"# caf\xe9\n")
    errors = errors_of(family, folder)
    assert where(errors) == [("instance.yaml", None, None)]
    line = text.count(b"\n") + 1
    assert f"not UTF-8 text (byte 0xe9 on line {line})" in errors[0].message


@pytest.mark.parametrize("family", FAMILIES)
def test_bom_in_instance_yaml_is_fine(instances: dict[str, object], tmp_path: Path, family: str) -> None:
    folder = saved(instances, family, tmp_path / "inst")
    (folder / "instance.yaml").write_bytes(b"\xef\xbb\xbf" + (folder / "instance.yaml").read_bytes())
    assert loader(family)(folder).checksum() == instances[family].checksum()  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"], ids=["zero-bytes", "blank", "comment"])
@pytest.mark.parametrize("family", FAMILIES)
def test_empty_instance_yaml(instances: dict[str, object], tmp_path: Path, family: str, text: str) -> None:
    folder = saved(instances, family, tmp_path / "inst")
    (folder / "instance.yaml").write_text(text)
    errors = errors_of(family, folder)
    assert where(errors) == [("instance.yaml", None, None)]
    assert errors[0].message.startswith("empty: it must set ")


@pytest.mark.parametrize(("family", "wrong", "right"), [
    ("offload", "horizn", "horizon"), ("e2e", "alow_stockout", "allow_stockout"),
    ("schedule", "reorder_polcy", "reorder_policy"), ("acceptance", "period_hour", "period_hours"),
])
def test_misspelt_key_says_did_you_mean(instances: dict[str, object], tmp_path: Path, family: str, wrong: str,
                                        right: str) -> None:
    folder = saved(instances, family, tmp_path / "inst")
    text = (folder / "instance.yaml").read_text()
    assert f"\n{right}:" in text
    (folder / "instance.yaml").write_text(text.replace(f"\n{right}:", f"\n{wrong}:"))
    errors = errors_of(family, folder)
    assert where(errors) == [("instance.yaml", None, wrong)]
    assert f"unknown key '{wrong}'; did you mean '{right}'?" in errors[0].message


def test_exponent_without_a_point_is_a_number(instances: dict[str, object], tmp_path: Path) -> None:
    folder = saved(instances, "offload", tmp_path / "inst")
    set_yaml(folder, "horizon", "1e2")
    assert loader("offload")(folder).horizon == 100  # type: ignore[attr-defined]


# ---------------------------------------------------------------- all defects in one pass
def test_setting_cells_and_files_reported_together(instances: dict[str, object], tmp_path: Path) -> None:
    folder = saved(instances, "offload", tmp_path / "inst")
    set_yaml(folder, "horizon", ".nan")
    orders = pd.read_csv(folder / "orders.csv", dtype=str)
    orders.loc[1, "due_period"] = "soon"
    orders.to_csv(folder / "orders.csv", index=False)
    pd.read_csv(folder / "lanes.csv", dtype=str).drop(columns="fixed_cost").to_csv(folder / "lanes.csv", index=False)
    (folder / "sites.csv").write_bytes(b"site,stations\n\xff,1\n")
    assert where(errors_of("offload", folder)) == [
        ("instance.yaml", None, "horizon"), ("sites.csv", 2, None), ("orders.csv", 3, "due_period"),
        ("lanes.csv", None, "fixed_cost")]


def test_bad_setting_does_not_hide_rule_violations(instances: dict[str, object], tmp_path: Path) -> None:
    folder = saved(instances, "acceptance", tmp_path / "inst")
    set_yaml(folder, "storage.cost_per_item_period", "-1")
    machines = pd.read_csv(folder / "machines.csv", dtype=str)
    machines.loc[0, "max_utilisation"] = "1.5"
    machines.to_csv(folder / "machines.csv", index=False)
    assert where(errors_of("acceptance", folder)) == [
        ("instance.yaml", None, "storage.cost_per_item_period"), ("machines.csv", 2, "max_utilisation")]


# ---------------------------------------------------------------- the workbook's instance sheet
def instance_sheet(path: Path) -> dict[str, object]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["instance"].iter_rows(values_only=True))
    wb.close()
    assert rows[0] == ("key", "value")
    return {k: v for k, v in rows[1:]}


@pytest.mark.parametrize("family", FAMILIES)
def test_workbook_round_trip_keeps_numbers_numeric(instances: dict[str, object], tmp_path: Path,
                                                   family: str) -> None:
    inst = instances[family]
    book = saved(instances, family, tmp_path / "inst.xlsx")
    sheet = instance_sheet(book)
    scalars = inst.scalars() if hasattr(inst, "scalars") else {  # type: ignore[attr-defined]
        "horizon": inst.horizon, "replenishment": inst.replenishment}  # type: ignore[attr-defined]
    for key, value in scalars.items():
        if isinstance(value, bool):
            assert sheet[key] is value, key
        elif isinstance(value, int | float):
            assert isinstance(sheet[key], int | float) and sheet[key] == value, key
        elif isinstance(value, dict):
            assert isinstance(sheet[key], str) and yaml.safe_load(sheet[key]) == value, key
    loaded = loader(family)(book)
    assert loaded.checksum() == inst.checksum()  # type: ignore[attr-defined]
    if hasattr(inst, "scalars"):
        assert loaded.scalars() == inst.scalars()  # type: ignore[attr-defined]
    assert read_scalars(book)[0] == {k: v for k, v in read_scalars(saved(instances, family, tmp_path / "d"))[0].items()}


def write_instance_sheet(path: Path, rows: list[list[object]], sheet: str = "instance") -> Path:
    wb = openpyxl.load_workbook(path)
    del wb["instance"]
    ws = wb.create_sheet(sheet)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    wb.save(path)
    return path


def test_instance_sheet_in_any_case_with_blank_rows(instances: dict[str, object], tmp_path: Path) -> None:
    book = saved(instances, "offload", tmp_path / "inst.xlsx")
    write_instance_sheet(book, [["Key", "VALUE"], ["horizon", 50], [], ["replenishment", "free"]], sheet="Instance")
    inst = loader("offload")(book)
    assert inst.horizon == 50 and inst.replenishment == "free"  # type: ignore[attr-defined]


def test_instance_sheet_defects(instances: dict[str, object], tmp_path: Path) -> None:
    book = saved(instances, "offload", tmp_path / "inst.xlsx")
    write_instance_sheet(book, [["key", "value"], ["horizon", 50], ["horizon", 60], ["replenishment", "=A1"],
                                [None, "orphan"]])
    assert where(errors_of("offload", book)) == [
        ("inst.xlsx[instance]", 3, "horizon"), ("inst.xlsx[instance]", 5, "key"),
        ("inst.xlsx[instance]", 4, "replenishment")]
    write_instance_sheet(book, [["key", "value"], ["horizon", ".nan"], ["replenishment", "sS"], ["name", "x: [1"]])
    errors = errors_of("offload", book)
    assert where(errors) == [("inst.xlsx[instance]", None, "horizon")]  # the text 'x: [1' is a valid name
    write_instance_sheet(book, [["setting", "value"], ["horizon", 50]])
    assert where(errors_of("offload", book)) == [("inst.xlsx[instance]", 1, None)]


def test_instance_sheet_missing_lists_the_sheets(instances: dict[str, object], tmp_path: Path) -> None:
    book = saved(instances, "acceptance", tmp_path / "inst.xlsx")
    wb = openpyxl.load_workbook(book)
    del wb["instance"]
    wb.save(book)
    errors = errors_of("acceptance", book)
    assert where(errors) == [("inst.xlsx[instance]", None, None)]
    assert errors[0].message.startswith("sheet 'instance' missing; the workbook has: orders, order_parts, operations")


def test_save_tables_writes_nested_settings_as_yaml_text(tmp_path: Path) -> None:
    frames = {"t": pd.DataFrame({"a": [1]})}
    scalars = {"n": 3, "x": 0.1, "flag": False, "text": "007", "nested": {"a": 1.5, "b": {"c": [1, 2]}},
               "np": np.float64(2.5)}
    save_tables(tmp_path / "b.xlsx", frames, scalars)
    sheet = instance_sheet(tmp_path / "b.xlsx")
    assert sheet["n"] == 3 and sheet["x"] == 0.1 and sheet["flag"] is False and sheet["np"] == 2.5
    assert sheet["text"] == "'007'" and isinstance(sheet["nested"], str)
    assert read_scalars(tmp_path / "b.xlsx")[0] == {**scalars, "np": 2.5}
