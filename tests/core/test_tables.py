"""Loading typed tables: every defect names its file, spreadsheet row and column."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.tables import (
    Column,
    TableSpec,
    check_references,
    load_tables,
    read_scalars,
    save_tables,
)

ITEMS = TableSpec(
    "items",
    (
        Column("item", "str"),
        Column("count", "int", 0),
        Column("weight", "float", 0),
        Column("note", "str", required=False, default=""),
        Column("bonus", "int", 0, required=False, default=7),
    ),
    key=("item",),
)
LINKS = TableSpec(
    "links",
    (Column("src", "str"), Column("dst", "str"), Column("days", "int", 1)),
    key=("src", "dst"),
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def where(errors: list[InputError]) -> list[tuple[str, int | None, str | None]]:
    return [(e.file, e.row, e.column) for e in errors]


def load_errors(path: Path, specs=(ITEMS,)) -> list[InputError]:
    with pytest.raises(InputErrors) as info:
        load_tables(path, list(specs))
    assert info.value.errors, "InputErrors raised without any error"
    return info.value.errors


GOOD_ITEMS = "item,count,weight\na,1,0.5\nb,2,1.5\nc,3,2\n"
GOOD_LINKS = "src,dst,days\na,b,1\nb,c,2\n"


# ------------------------------------------------------------------ good input
def test_good_folder_is_typed(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item, count ,weight,note\n a ,1, 0.5,x\nb,2,1.5,\nc,3,2,z\n")
    tables = load_tables(tmp_path, [ITEMS])
    frame = tables["items"].frame
    assert tables["items"].source == "items.csv"
    assert frame["item"].tolist() == ["a", "b", "c"]  # whitespace stripped
    assert frame["count"].tolist() == [1, 2, 3]
    assert frame["count"].dtype == np.int64
    assert frame["weight"].tolist() == [0.5, 1.5, 2.0]
    assert frame["weight"].dtype == np.float64
    assert frame["note"].tolist() == ["x", "", "z"]  # optional str may be empty
    assert frame["bonus"].tolist() == [7, 7, 7]  # optional column missing: default


def test_optional_numeric_blank_takes_default(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight,bonus\na,1,0.5,\nb,2,1.5,3\n")
    frame = load_tables(tmp_path, [ITEMS])["items"].frame
    assert frame["bonus"].tolist() == [7, 3]


def test_integer_valued_float_text_is_an_int(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,4.0,1\nb,1e2,1\n")
    assert load_tables(tmp_path, [ITEMS])["items"].frame["count"].tolist() == [4, 100]


def test_row_number_of_table(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", GOOD_ITEMS)
    table = load_tables(tmp_path, [ITEMS])["items"]
    assert table.row_number(0) == 2
    assert table.error(3, "count", "m") == InputError("items.csv", 5, "count", "m")
    assert table.error(None, None, "m") == InputError("items.csv", None, None, "m")


# ------------------------------------------------------------------ cell defects
def test_non_number(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,0.5\nb,two,1.5\nc,3,heavy\n")
    errors = load_errors(tmp_path)
    assert where(errors) == [("items.csv", 3, "count"), ("items.csv", 4, "weight")]
    assert "'two' is not a number" in errors[0].message
    assert "'heavy' is not a number" in errors[1].message


def test_non_integer_in_int_column(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,0.5\nb,2,1.5\nc,2.5,2\n")
    errors = load_errors(tmp_path)
    assert where(errors) == [("items.csv", 4, "count")]
    assert "not an integer" in errors[0].message
    assert "2.5" in errors[0].message


def test_non_integer_allowed_in_float_column(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,0.25\n")
    assert load_tables(tmp_path, [ITEMS])["items"].frame["weight"].tolist() == [0.25]


def test_value_below_minimum(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,-1,0.5\nb,2,-0.01\nc,0,0\n")
    errors = load_errors(tmp_path)
    assert where(errors) == [("items.csv", 2, "count"), ("items.csv", 3, "weight")]
    assert all("below the minimum 0" in e.message for e in errors)


def test_minimum_is_inclusive(tmp_path: Path) -> None:
    write(tmp_path, "links.csv", "src,dst,days\na,b,1\nb,c,0\n")
    errors = load_errors(tmp_path, [LINKS])
    assert where(errors) == [("links.csv", 3, "days")]
    assert "below the minimum 1" in errors[0].message


def test_empty_required_values(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,0.5\n,2,1.5\nc,,2\nd,4,\n")
    errors = load_errors(tmp_path)
    assert where(errors) == [("items.csv", 3, "item"), ("items.csv", 4, "count"), ("items.csv", 5, "weight")]
    assert all(e.message == "empty value" for e in errors)


def test_short_row_is_an_empty_value(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,0.5\nb,2\n")
    assert where(load_errors(tmp_path)) == [("items.csv", 3, "weight")]


def test_missing_required_column(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,weight\na,0.5\nb,1.5\n")
    errors = load_errors(tmp_path)
    assert where(errors) == [("items.csv", None, "count")]
    assert errors[0].message == "required column missing"


def test_missing_key_column_skips_duplicate_check(tmp_path: Path) -> None:
    write(tmp_path, "links.csv", "src,days\na,1\na,2\n")
    assert where(load_errors(tmp_path, [LINKS])) == [("links.csv", None, "dst")]


def test_duplicate_key(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,0.5\nb,2,1.5\na,3,2\nb,4,1\n")
    errors = load_errors(tmp_path)
    assert where(errors) == [("items.csv", 4, "item"), ("items.csv", 5, "item")]
    assert "duplicate key (item=a)" in errors[0].message


def test_duplicate_compound_key_names_last_key_column(tmp_path: Path) -> None:
    write(tmp_path, "links.csv", "src,dst,days\na,b,1\na,c,2\nb,a,1\n a , b ,3\n")
    errors = load_errors(tmp_path, [LINKS])
    assert where(errors) == [("links.csv", 5, "dst")]
    assert "src=a, dst=b" in errors[0].message


def test_all_defects_of_a_file_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,x,0.5\nb,1.5,-2\n,3,\na,4,1\n")
    assert sorted(where(load_errors(tmp_path)), key=str) == sorted(
        [
            ("items.csv", 2, "count"),  # not a number
            ("items.csv", 3, "count"),  # not an integer
            ("items.csv", 3, "weight"),  # below minimum
            ("items.csv", 4, "item"),  # empty
            ("items.csv", 4, "weight"),  # empty
            ("items.csv", 5, "item"),  # duplicate of row 2
        ],
        key=str,
    )


def test_defects_of_several_files_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,x,0.5\n")
    write(tmp_path, "links.csv", "src,dst,days\na,b,0\n")
    errors = load_errors(tmp_path, [ITEMS, LINKS])
    assert where(errors) == [("items.csv", 2, "count"), ("links.csv", 2, "days")]


def test_error_text_names_file_row_and_column(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "item,count,weight\na,1,0.5\nb,x,1\n")
    with pytest.raises(InputErrors) as info:
        load_tables(tmp_path, [ITEMS])
    assert str(info.value) == "items.csv, row 3, column 'count': 'x' is not a number"


# ------------------------------------------------------------------ file defects
def test_missing_file(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", GOOD_ITEMS)
    errors = load_errors(tmp_path, [ITEMS, LINKS])
    assert where(errors) == [("links.csv", None, None)]
    assert "file missing" in errors[0].message


def test_all_missing_files_reported(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    assert where(load_errors(tmp_path, [ITEMS, LINKS])) == [("items.csv", None, None), ("links.csv", None, None)]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n\n",
        b"\xff\xfe\x00\x81garbage\x00",
    ],
    ids=["empty", "blank-lines", "binary"],
)
def test_unreadable_csv(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "items.csv").write_bytes(content)
    errors = load_errors(tmp_path)
    assert where(errors) == [("items.csv", None, None)]
    assert "cannot be read as CSV" in errors[0].message


@pytest.mark.parametrize(
    ("content", "row"),
    [(b'item,count,weight\n"a,1,2\n', 2), (b"item,count,weight\na,1,2\nb,2,3,4\n", 3)],
    ids=["open-quote", "ragged"],
)
def test_malformed_row_is_named(tmp_path: Path, content: bytes, row: int) -> None:
    (tmp_path / "items.csv").write_bytes(content)
    errors = load_errors(tmp_path)
    assert errors and all(e.file == "items.csv" and e.row == row for e in errors)


@pytest.mark.parametrize("content", ["item,count,weight\na,1,2,x,y\nb,2,3\n", "item,count,weight\na,1,2,x\nb,2,3,y\n"])
def test_extra_fields_are_an_input_error(tmp_path: Path, content: str) -> None:
    write(tmp_path, "items.csv", content)
    with pytest.raises(InputErrors) as info:
        load_tables(tmp_path, [ITEMS])
    errors = info.value.errors
    assert all(e.file == "items.csv" and (e.row is None or e.row <= 3) for e in errors)
    assert not any("duplicate key" in e.message for e in errors), "keys a and b are distinct"


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("token", ["inf", "1e400", str(2**63)])
def test_non_finite_or_huge_int_is_rejected(tmp_path: Path, token: str) -> None:
    write(tmp_path, "items.csv", f"item,count,weight\na,{token},1\n")
    with pytest.raises(InputErrors) as info:
        load_tables(tmp_path, [ITEMS])
    assert where(info.value.errors) == [("items.csv", 2, "count")]


def test_neither_folder_nor_workbook(tmp_path: Path) -> None:
    path = tmp_path / "items.txt"
    path.write_text(GOOD_ITEMS)
    errors = load_errors(path)
    assert where(errors) == [(str(path), None, None)]


# ------------------------------------------------------------------ workbooks
def write_book(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_workbook_loads(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "book.xlsx",
        {
            "items": pd.DataFrame({"item": ["a", "b"], "count": [1, 2], "weight": [0.5, 2.0]}),
            "links": pd.DataFrame({"src": ["a"], "dst": ["b"], "days": [3]}),
        },
    )
    tables = load_tables(book, [ITEMS, LINKS])
    assert tables["items"].source == "book.xlsx[items]"
    assert tables["items"].frame["count"].tolist() == [1, 2]
    assert tables["items"].frame["weight"].tolist() == [0.5, 2.0]
    assert tables["links"].frame["days"].tolist() == [3]


def test_workbook_missing_sheet(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", {"items": pd.DataFrame({"item": ["a"], "count": [1], "weight": [1.0]})})
    errors = load_errors(book, [ITEMS, LINKS])
    assert where(errors) == [("book.xlsx[links]", None, None)]
    assert errors[0].message == "sheet 'links' missing; the workbook has: items"


def test_workbook_cell_errors_name_sheet_row_and_column(tmp_path: Path) -> None:
    book = write_book(
        tmp_path / "book.xlsx",
        {"items": pd.DataFrame({"item": ["a", "b", "a"], "count": ["1", "x", "3"], "weight": [0.5, -1.0, 1.0]})},
    )
    assert where(load_errors(book)) == [
        ("book.xlsx[items]", 3, "count"),
        ("book.xlsx[items]", 3, "weight"),
        ("book.xlsx[items]", 4, "item"),
    ]


def test_broken_workbook(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"this is not a zip file")
    errors = load_errors(book)
    assert where(errors) == [("book.xlsx", None, None)]
    assert "cannot open workbook" in errors[0].message


# ------------------------------------------------------------------ scalars, references, saving
def test_read_scalars_folder_and_workbook(tmp_path: Path) -> None:
    frames = {"items": pd.DataFrame({"item": ["a"], "count": [1], "weight": [0.5]})}
    scalars = {"name": "demo", "horizon": 12, "mode": "sS"}
    save_tables(tmp_path / "f", frames, scalars)
    save_tables(tmp_path / "b.xlsx", frames, scalars)
    assert read_scalars(tmp_path / "f") == (scalars, "instance.yaml")
    assert read_scalars(tmp_path / "b.xlsx") == (scalars, "b.xlsx[instance]")
    for path in (tmp_path / "f", tmp_path / "b.xlsx"):
        assert load_tables(path, [ITEMS])["items"].frame["count"].tolist() == [1]


@pytest.mark.parametrize("text", ["", "horizon: [1, 2\n", "- 1\n- 2\n"], ids=["missing", "invalid", "list"])
def test_read_scalars_defects(tmp_path: Path, text: str) -> None:
    if text:
        (tmp_path / "instance.yaml").write_text(text)
    with pytest.raises(InputErrors) as info:
        read_scalars(tmp_path)
    assert where(info.value.errors) == [("instance.yaml", None, None)]


def test_check_references(tmp_path: Path) -> None:
    write(tmp_path, "links.csv", "src,dst,days\na,b,1\nq,c,2\nb,a,1\nz,a,1\n")
    table = load_tables(tmp_path, [LINKS])["links"]
    errors = check_references(table, "src", ["a", "b", "c"], "site")
    assert where(errors) == [("links.csv", 3, "src"), ("links.csv", 5, "src")]
    assert errors[0].message == "unknown site 'q'"
    assert check_references(table, "dst", ["a", "b", "c"], "site") == []


# ------------------------------------------------------------------ properties
INT_VALUES = st.integers(min_value=-(10**15), max_value=10**15)  # exactly representable as float64


@st.composite
def int_tables(draw: st.DrawFn) -> pd.DataFrame:
    ncols = draw(st.integers(1, 4))
    nrows = draw(st.integers(1, 15))
    return pd.DataFrame({f"c{k}": draw(st.lists(INT_VALUES, min_size=nrows, max_size=nrows)) for k in range(ncols)})


def int_spec(frame: pd.DataFrame) -> TableSpec:
    return TableSpec("nums", tuple(Column(c, "int") for c in frame.columns))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=int_tables())
def test_integer_tables_round_trip(frame: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        frame.to_csv(Path(tmp) / "nums.csv", index=False)
        loaded = load_tables(tmp, [int_spec(frame)])["nums"].frame
    assert list(loaded.columns) == list(frame.columns)
    for col in frame.columns:
        assert loaded[col].dtype == np.int64
        assert loaded[col].tolist() == frame[col].tolist()


BAD_TOKENS = st.from_regex(r"[A-Za-z_?!#][A-Za-z0-9_?!#]{0,7}", fullmatch=True).filter(
    lambda s: s.lower() not in {"inf", "infinity", "nan", "none"}
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=int_tables(), data=st.data(), token=BAD_TOKENS)
def test_planted_non_number_names_its_row_and_column(frame: pd.DataFrame, data: st.DataObject, token: str) -> None:
    row = data.draw(st.integers(0, len(frame) - 1), label="row")
    col = data.draw(st.sampled_from(list(frame.columns)), label="column")
    text = frame.astype(str)
    text.loc[row, col] = token
    with tempfile.TemporaryDirectory() as tmp:
        text.to_csv(Path(tmp) / "nums.csv", index=False)
        with pytest.raises(InputErrors) as info:
            load_tables(tmp, [int_spec(frame)])
    assert where(info.value.errors) == [("nums.csv", row + 2, col)]
    assert token in info.value.errors[0].message
