"""Input files as spreadsheets write them: BOMs, ``;`` and tab separators, decimal commas,
headers in another case or misspelt, workbooks with blank rows, renamed sheets and uncached
formulas; a single file given as the instance. Every defect is an ``InputError`` naming the
file (sheet), row and column, all of them reported together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.tables import Column, TableSpec, instance_kind, load_tables, tables_from_frames

ITEMS = TableSpec(
    "items",
    (
        Column("item", "str", unit="id"),
        Column("count", "int", 0, unit="units"),
        Column("weight", "float", 0, unit="kg"),
        Column("note", "str", required=False, default="", unit="text"),
        Column("bonus", "int", 0, required=False, default=7, unit="units"),
    ),
    key=("item",),
    unknown_columns="error",
)
LINKS = TableSpec("links", (Column("src", "str"), Column("dst", "str"), Column("days", "int", 1)),
                  key=("src", "dst"), unknown_columns="error")
LENIENT = TableSpec("items", ITEMS.columns, key=("item",))  # unknown_columns="ignore"

Where = tuple[str, int | None, str | None]


def where(errors: list[InputError]) -> list[Where]:
    return [(e.file, e.row, e.column) for e in errors]


def errors_of(path: Path, specs: tuple[TableSpec, ...] = (ITEMS,)) -> list[InputError]:
    with pytest.raises(InputErrors) as info:
        load_tables(path, specs)
    assert info.value.errors
    return info.value.errors


def write(folder: Path, name: str, data: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (folder / name).write_bytes(data)
    return folder


def frame(path: Path, spec: TableSpec = ITEMS) -> pd.DataFrame:
    return load_tables(path, [spec])[spec.name].frame


# ---------------------------------------------------------------- CSV dialects
def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", b"\xef\xbb\xbfitem,count,weight\na,1,0.5\n")
    f = frame(tmp_path)
    assert list(f.columns[:3]) == ["item", "count", "weight"]
    assert f["item"].tolist() == ["a"] and f["count"].tolist() == [1]


def test_semicolons_with_decimal_commas(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item;count;weight;note\na;1;1,5;x,y\nb;2;0,25;\nc;3;2;\nd;4;,5;\ne;5;-1,5e2;\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 6, "weight")]  # -150 is below the minimum
    write(tmp_path, "items.csv", "item;count;weight;note\na;1;1,5;x,y\nb;2;0,25;\nc;3;2;\nd;4;,5;\n")
    f = frame(tmp_path)
    assert f["weight"].tolist() == [1.5, 0.25, 2.0, 0.5]
    assert f["note"].tolist() == ["x,y", "", "", ""]  # a text cell keeps its comma


def test_semicolon_file_rejects_ambiguous_separators(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item;count;weight\na;1.000,5;1\nb;1,000,5;1\n")
    assert where(errors_of(tmp_path)) == [("items.csv", 2, "count"), ("items.csv", 3, "count")]


def test_decimal_comma_in_an_integer_column(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item;count;weight\na;4,0;1\nb;2,5;1\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 3, "count")] and "not an integer" in errors[0].message


def test_tab_separated(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item\tcount\tweight\na b\t1\t0.5\n")
    f = frame(tmp_path)
    assert f["item"].tolist() == ["a b"] and f["weight"].tolist() == [0.5]


def test_a_comma_file_keeps_a_decimal_point(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", 'item,count,weight\n"a;b",1,0.5\n')
    assert frame(tmp_path)["item"].tolist() == ["a;b"]


def test_crlf_line_ends(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", b"item;count;weight\r\na;1;1,5\r\n\r\nb;2;3\r\n")
    table = load_tables(tmp_path, [ITEMS])["items"]
    assert table.frame["weight"].tolist() == [1.5, 3.0] and table.source_rows == [2, 4]


def test_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,1\ncafé,2,2\n".encode("latin-1"))
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 3, None)]
    assert "not UTF-8" in errors[0].message and "line 3" in errors[0].message and "CSV UTF-8" in errors[0].message


def test_utf16_is_named(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item\tcount\tweight\na\t1\t1\n".encode("utf-16"))
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", None, None)] and "UTF-16" in errors[0].message


def test_nul_bytes_are_not_text(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", b"item,count,weight\na,1\x00,1\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 2, None)] and "NUL" in errors[0].message


def test_a_folder_named_like_the_file(tmp_path: Path) -> None:
    (tmp_path / "items.csv").mkdir()
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", None, None)] and "is a folder" in errors[0].message


def test_file_name_in_another_case(tmp_path: Path) -> None:
    write(tmp_path, "Items.CSV", "item,count,weight\na,1,1\n")
    assert frame(tmp_path)["item"].tolist() == ["a"]


def test_nan_text_is_not_a_number_in_a_file(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight,bonus\na,1,nan,None\n")
    assert where(errors_of(tmp_path)) == [("items.csv", 2, "weight"), ("items.csv", 2, "bonus")]


# ---------------------------------------------------------------- headers
def test_headers_match_in_any_case_and_spacing(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "ITEM, Count ,  Weight,NOTE\na,1,0.5,x\n")
    f = frame(tmp_path)
    assert f[["item", "count", "weight", "note"]].iloc[0].tolist() == ["a", 1, 0.5, "x"]


def test_misspelt_required_column_is_one_message(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,cuont,weight\na,1,0.5\n")
    errors = errors_of(tmp_path)
    assert len(errors) == 1
    assert where(errors) == [("items.csv", 1, "cuont")]
    assert errors[0].message == ("column 'cuont' is not known; did you mean 'count'? "
                                 "(required column 'count' is missing)")


def test_misspelt_optional_column_is_an_error_not_a_default(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight,bonsu\na,1,0.5,3\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 1, "bonsu")]
    assert errors[0].message == "column 'bonsu' is not known; did you mean 'bonus'?"


def test_unknown_column_lists_the_expected_ones(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight,colour\na,1,0.5,red\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 1, "colour")]
    assert errors[0].message == "column 'colour' is not known; expected columns: item, count, weight, note, bonus"


def test_lenient_tables_ignore_unknown_columns_but_still_hint(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight,colour\na,1,0.5,red\n")
    assert frame(tmp_path, LENIENT)["count"].tolist() == [1]
    write(tmp_path, "items.csv", "item,cont,weight\na,1,0.5\n")
    errors = errors_of(tmp_path, (LENIENT,))
    assert where(errors) == [("items.csv", 1, "cont")] and "did you mean 'count'?" in errors[0].message


def test_duplicated_header_names_the_column(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight,Count\na,1,0.5,2\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 1, "count")]
    assert "appears twice" in errors[0].message and "columns 2 and 4" in errors[0].message


def test_values_under_an_empty_header(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight,\na,1,0.5,\nb,2,1,x\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 1, None)] and "column 4 holds values but has no header" in errors[0].message
    write(tmp_path, "items.csv", "item,count,weight,\na,1,0.5,\n")  # a trailing separator only
    assert frame(tmp_path)["item"].tolist() == ["a"]


def test_single_field_header_with_separators(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", '"item;count;weight"\n"a;1;2"\n')
    errors = errors_of(tmp_path)
    assert len(errors) == 1 and where(errors) == [("items.csv", 1, None)]
    assert "looks like ';'-separated" in errors[0].message


# ---------------------------------------------------------------- every defect together
def test_non_number_and_below_minimum_in_one_file(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,many,1\nb,2,-3\nc,3,1\n")
    errors = errors_of(tmp_path)
    assert where(errors) == [("items.csv", 2, "count"), ("items.csv", 3, "weight")]
    assert "'many' is not a number" in errors[0].message and "below the minimum 0" in errors[1].message


def test_missing_column_and_bad_cell_in_another_column(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,weight\na,heavy\nb,1\n")
    assert where(errors_of(tmp_path)) == [("items.csv", None, "count"), ("items.csv", 2, "weight")]


def test_header_defect_and_cell_defects_together(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,cont,weight,colour\na,1,x,red\na,2,1,blue\n")
    assert sorted(where(errors_of(tmp_path)), key=str) == sorted([
        ("items.csv", 1, "cont"), ("items.csv", 1, "colour"), ("items.csv", 2, "weight"), ("items.csv", 3, "item"),
    ], key=str)


def test_ragged_row_and_bad_cell_in_one_file(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,2,3\nb,x,1\n")
    assert where(errors_of(tmp_path)) == [("items.csv", 2, None), ("items.csv", 3, "count")]


def test_defects_across_files_and_kinds(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item;count;weight\na;1,5;1\n")
    write(tmp_path, "links.csv", b"src,dst,days\n\xff,b,1\n")
    errors = errors_of(tmp_path, (ITEMS, LINKS))
    assert where(errors) == [("links.csv", 2, None), ("items.csv", 2, "count")]


# ---------------------------------------------------------------- workbooks
def book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
    wb.save(path)
    return path


HEADER = ["item", "count", "weight"]


def test_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"items": [HEADER, ["a", 1, 1]], "lnks": [["src"]], "notes": [["x"]]})
    errors = errors_of(path, (ITEMS, LINKS))
    assert where(errors) == [("b.xlsx[links]", None, None)]
    assert errors[0].message == "sheet 'links' missing; the workbook has: items, lnks, notes (did you mean 'lnks'?)"


def test_sheet_names_and_headers_in_any_case(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"Items": [["Item", "COUNT", " weight "], ["a", 1, 0.5]]})
    table = load_tables(path, [ITEMS])["items"]
    assert table.source == "b.xlsx[items]" and table.frame["weight"].tolist() == [0.5]


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    rows = [HEADER, ["a", 1, 0.5], [], [None, None, None], ["b", "x", 1], ["c", 3, -1]]
    path = book(tmp_path / "b.xlsx", {"items": rows})
    assert where(errors_of(path)) == [("b.xlsx[items]", 5, "count"), ("b.xlsx[items]", 6, "weight")]
    rows[4][1] = 2
    rows[5][2] = 1
    table = load_tables(book(tmp_path / "b.xlsx", {"items": rows}), [ITEMS])["items"]
    assert table.frame["item"].tolist() == ["a", "b", "c"] and table.source_rows == [2, 5, 6]
    assert table.error(1, "count", "m").row == 5


def test_header_below_blank_rows(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"items": [[], [], [None, *HEADER], [None, "a", 1, 2], [None, "b", "?", 2]]})
    assert where(errors_of(path)) == [("b.xlsx[items]", 5, "count")]


def test_formula_without_cached_value(tmp_path: Path) -> None:
    rows = [[*HEADER, "note"], ["a", "=1+1", 0.5, None], ["b", 2, None, "=A2"], ["c", 3, "=B3*2", None]]
    path = book(tmp_path / "b.xlsx", {"items": rows})
    formula = "formula without a cached value (open and save the workbook in Excel)"
    assert {(e.row, e.column, e.message) for e in errors_of(path)} == {
        (2, "count", formula), (4, "weight", formula), (3, "note", formula), (3, "weight", "empty value")}


def test_row_of_formulas_only_is_not_blank(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"items": [HEADER, ["a", 1, 1], ["=A2", "=B2", "=C2"]]})
    assert where(errors_of(path)) == [("b.xlsx[items]", 3, c) for c in HEADER]


def test_cached_formula_values_are_read(tmp_path: Path) -> None:
    import zipfile

    path = book(tmp_path / "b.xlsx", {"items": [HEADER, ["a", "=1+1", 0.5]]})
    with zipfile.ZipFile(path) as z:  # openpyxl writes no cached value: add one, as Excel would
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<f>1+1</f><v />" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    assert frame(path)["count"].tolist() == [2]


def test_numbers_in_text_and_number_cells(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"items": [[*HEADER, "note"], [7, 3.0, "1.25", 12], ["x", "4", 1e-3, 1.5]]})
    f = frame(path)
    assert f["item"].tolist() == ["7", "x"] and f["count"].tolist() == [3, 4]
    assert f["weight"].tolist() == [1.25, 1e-3] and f["note"].tolist() == ["12", "1.5"]


def test_empty_sheet(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"items": []})
    errors = errors_of(path)
    assert where(errors) == [("b.xlsx[items]", None, None)] and "no header row" in errors[0].message


def test_workbook_defects_across_sheets(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"items": [["item", "cont", "weight"], ["a", 1, "x"]],
                                      "links": [["src", "dst", "days"], ["a", "b", 0]]})
    assert where(errors_of(path, (ITEMS, LINKS))) == [
        ("b.xlsx[items]", 1, "cont"), ("b.xlsx[items]", 2, "weight"), ("b.xlsx[links]", 2, "days")]


# ---------------------------------------------------------------- frames (the Python API)
def test_frames_take_nan_as_blank_and_match_headers() -> None:
    given = pd.DataFrame({"Item": ["a", "b"], "count": [1, 2], "weight": [0.5, 1.0], "bonus": [np.nan, 3]})
    f = tables_from_frames({"items": given}, [ITEMS])["items"].frame
    assert f["bonus"].tolist() == [7, 3] and f["item"].tolist() == ["a", "b"]
    with pytest.raises(InputErrors) as info:
        tables_from_frames({"items": given.rename(columns={"weight": "wieght"})}, [ITEMS])
    assert where(info.value.errors) == [("items.csv", None, "wieght")]


# ---------------------------------------------------------------- the instance path
@pytest.mark.parametrize("name", ["orders.csv", "notes.txt", "instance.yaml", "book.ods"])
def test_single_file_is_a_plain_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("order,quantity\nO1,2\n")
    with pytest.raises(InputErrors) as info:
        instance_kind(path)
    assert where(info.value.errors) == [(str(path), None, None)]
    assert info.value.errors[0].message == (f"'{name}' is a single file: give the instance folder that holds it "
                                            f"({tmp_path}) or an .xlsx workbook")


def test_old_xls_workbook(tmp_path: Path) -> None:
    path = tmp_path / "book.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputErrors) as info:
        load_tables(path, [ITEMS])
    assert "save it as an .xlsx" in info.value.errors[0].message


@pytest.mark.parametrize("family", ["offload", "e2e", "schedule", "acceptance"])
def test_family_loader_on_a_single_csv(tmp_path: Path, family: str) -> None:
    import importlib

    load = importlib.import_module(f"plantwise.{family}.instance").load
    path = tmp_path / "orders.csv"
    path.write_text("order\nO1\n")
    with pytest.raises(InputErrors) as info:
        load(path)
    assert len(info.value.errors) == 1
    message = str(info.value)
    assert "'orders.csv' is a single file: give the instance folder that holds it" in message
    assert "engine" not in message and "Excel file format" not in message
