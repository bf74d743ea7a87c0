"""Loading typed tables from a folder of CSVs or one Excel workbook.

Every defect becomes an :class:`InputError` naming the file (``orders.csv`` or
``book.xlsx[orders]``), the spreadsheet row (header = row 1) and the column. All
defects of a table are collected before anything is raised.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml

from plantwise.core.errors import ErrorCollector, InputError, InputErrors

Kind = Literal["str", "int", "float"]
MAX_MAGNITUDE = 1e15  # larger (or infinite) numbers are input errors, never wrapped or clipped


@dataclass(frozen=True)
class Column:
    """A column: its name, kind, whether it must be present, and an inclusive minimum."""

    name: str
    kind: Kind
    minimum: float | None = None
    required: bool = True
    default: float | str | None = None
    unit: str = ""
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A table: file stem, columns and the columns forming its unique key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    doc: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


@dataclass
class Table:
    """A loaded table: the typed frame plus where it came from (for error messages)."""

    spec: TableSpec
    frame: pd.DataFrame
    source: str
    source_rows: list[int] | None = None  # file line of each row (CSV blank lines are skipped)

    def row_number(self, index: int) -> int:
        """Spreadsheet row of positional ``index`` (header is row 1)."""
        if self.source_rows is not None and 0 <= int(index) < len(self.source_rows):
            return self.source_rows[int(index)]
        return int(index) + 2

    def error(self, index: int | None, column: str | None, message: str) -> InputError:
        row = None if index is None else self.row_number(index)
        return InputError(self.source, row, column, message)


def _read_raw(
    path: Path, specs: Sequence[TableSpec]
) -> tuple[dict[str, tuple[pd.DataFrame, str]], list[InputError]]:
    raw: dict[str, tuple[pd.DataFrame, str]] = {}
    errors = ErrorCollector()
    if path.is_dir():
        for spec in specs:
            file = path / spec.filename
            if not file.exists():
                errors.add(spec.filename, None, None, f"file missing in {path}")
                continue
            try:
                frame = _read_csv(file, spec.filename, errors)
            except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, csv.Error) as exc:
                errors.add(spec.filename, None, None, f"cannot be read as CSV: {exc}")
                continue
            if frame is not None:
                raw[spec.name] = (frame, spec.filename)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            book = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
        except Exception as exc:  # openpyxl raises many types for a broken workbook
            raise InputErrors([InputError(path.name, None, None, f"cannot open workbook: {exc}")]) from None
        for spec in specs:
            source = f"{path.name}[{spec.name}]"
            if spec.name not in book:
                errors.add(source, None, None, "sheet missing in workbook")
                continue
            raw[spec.name] = (book[spec.name], source)
    elif not path.exists():
        raise InputErrors([InputError(str(path), None, None, "no such folder or workbook")])
    else:
        raise InputErrors(
            [InputError(str(path), None, None, "expected a folder of CSV files or an .xlsx workbook")]
        )
    return raw, errors.errors


def _read_csv(file: Path, name: str, errors: ErrorCollector) -> pd.DataFrame | None:
    """Read a CSV as text. A row with more fields than the header is an error naming that
    row (pandas would shift or drop values silently); missing trailing fields are empty,
    so a required column then reports an empty value."""
    with file.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, skipinitialspace=True)
        rows, line_numbers = [], []
        for row in reader:
            rows.append(row)
            line_numbers.append(reader.line_num)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise pd.errors.EmptyDataError("no header row")
    header = [c.strip() for c in rows[0]]
    bad = False
    body = []
    numbers = []
    for number, row in zip(line_numbers[1:], rows[1:], strict=True):
        if not row or all(not c.strip() for c in row):
            continue  # blank line
        if len(row) > len(header):
            errors.add(name, number, None, f"{len(row)} fields, the header has {len(header)}")
            bad = True
            continue
        body.append(row + [""] * (len(header) - len(row)))  # short rows: missing trailing values are empty
        numbers.append(number)
    if bad:
        return None
    frame = pd.DataFrame(body, columns=header, dtype=str)
    frame.attrs["source_rows"] = numbers
    return frame

def _coerce(raw: pd.DataFrame, spec: TableSpec, source: str) -> tuple[pd.DataFrame, list[InputError]]:
    """Type every column of ``raw`` per ``spec``; collect all defects."""
    errors: list[InputError] = []
    source_rows = raw.attrs.get("source_rows")
    raw = raw.rename(columns=lambda c: str(c).strip())
    out: dict[str, pd.Series] = {}
    bad_key_rows = np.zeros(len(raw), dtype=bool)  # rows with a defect in a key column

    def rownum(idx: int) -> int:
        return int(source_rows[idx]) if source_rows is not None else int(idx) + 2

    for col in spec.columns:
        if col.name not in raw.columns:
            if col.required:
                errors.append(InputError(source, None, col.name, "required column missing"))
                continue
            values = pd.Series([col.default] * len(raw), dtype=object)
            text = values.astype(str)
        else:
            text = raw[col.name].astype(str).str.strip()
            values = text
        blank = text.isna() | text.isin(["", "None", "nan"])
        if col.kind == "str":
            if col.required:
                for idx in np.flatnonzero(blank.to_numpy()):
                    errors.append(InputError(source, rownum(idx), col.name, "empty value"))
                if col.name in spec.key:
                    bad_key_rows |= blank.to_numpy()
            out[col.name] = text.where(~blank, "")
            continue
        if col.default is not None:
            text = text.where(~blank, str(col.default))
            blank = text.isna() | text.isin(["", "None", "nan"])
        # an optional numeric column without a default may be left blank: NaN, for the caller
        allow_blank = (not col.required) and col.default is None and col.kind == "float"
        numbers = pd.to_numeric(text, errors="coerce")
        arr = numbers.to_numpy(dtype=float)
        nan = numbers.isna().to_numpy()
        huge = ~nan & ~(np.abs(arr) <= MAX_MAGNITUDE)
        left_blank = blank.to_numpy() & allow_blank
        bad = (nan & ~left_blank) | huge
        for idx in np.flatnonzero(bad):
            if blank.iloc[idx]:
                what = "empty value"
            elif huge[idx]:
                what = f"'{text.iloc[idx]}' is not a finite number of magnitude at most {MAX_MAGNITUDE:.0e}"
            else:
                what = f"'{text.iloc[idx]}' is not a number"
            errors.append(InputError(source, rownum(idx), col.name, what))
        ok = ~bad & ~left_blank
        if col.kind == "int":
            frac = ok & ~np.isclose(arr, np.round(arr))
            for idx in np.flatnonzero(frac):
                errors.append(
                    InputError(source, rownum(idx), col.name, f"{text.iloc[idx]} is not an integer")
                )
            if col.name in spec.key:
                bad_key_rows |= frac
        if col.minimum is not None:
            low = ok & (arr < col.minimum)
            for idx in np.flatnonzero(low):
                errors.append(
                    InputError(
                        source, rownum(idx), col.name,
                        f"{text.iloc[idx]} is below the minimum {col.minimum:g}",
                    )
                )
        if col.name in spec.key:
            bad_key_rows |= bad
        arr = np.where(ok, arr, np.where(left_blank, np.nan, 0.0))
        out[col.name] = pd.Series(np.round(arr).astype(np.int64) if col.kind == "int" else arr)
    frame = pd.DataFrame(out)
    if spec.key and not any(e.column in spec.key for e in errors if e.row is None):
        # rows with a bad key cell are left out: a zeroed or rounded bad value is no duplicate
        good = ~bad_key_rows
        dup = np.zeros(len(frame), dtype=bool)
        dup[good] = frame.loc[good].duplicated(list(spec.key), keep="first").to_numpy()
        for idx in np.flatnonzero(dup):
            key = ", ".join(f"{k}={frame[k].iloc[idx]}" for k in spec.key)
            errors.append(InputError(source, rownum(idx), spec.key[-1], f"duplicate key ({key})"))
    return frame, errors


def tables_from_frames(frames: Mapping[str, pd.DataFrame], specs: Sequence[TableSpec]) -> dict[str, Table]:
    """Type the pandas ``frames`` (the Python API's input) per ``specs``, as :func:`load_tables`
    types files. Raises :class:`InputErrors` with every defect, a missing table included."""
    tables: dict[str, Table] = {}
    errors: list[InputError] = []
    for spec in specs:
        if spec.name not in frames:
            errors.append(InputError(spec.filename, None, None, "table missing"))
            continue
        typed, errs = _coerce(frames[spec.name].astype(str), spec, spec.filename)
        errors.extend(errs)
        tables[spec.name] = Table(spec, typed, spec.filename)
    if errors:
        raise InputErrors(errors)
    return tables


def frames_checksum(frames: Mapping[str, pd.DataFrame], extra: str) -> str:
    """A short content hash of an instance: every frame's rows, then ``extra`` (its scalars)."""
    h = hashlib.sha256()
    for frame in frames.values():
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    h.update(extra.encode())
    return h.hexdigest()[:16]


def index_of(values: pd.Series, ids: list[str]) -> np.ndarray:
    """Position of each value in ``ids`` (-1 for an unknown id)."""
    lookup = {v: k for k, v in enumerate(ids)}
    return values.map(lookup).fillna(-1).to_numpy(dtype=np.int64)


def load_tables(path: str | Path, specs: Sequence[TableSpec]) -> dict[str, Table]:
    """Load and type every table of ``specs`` from a CSV folder or an Excel workbook.

    Raises :class:`InputErrors` with every defect of every table.
    """
    path = Path(path)
    raw, errors = _read_raw(path, specs)
    tables: dict[str, Table] = {}
    for spec in specs:
        if spec.name not in raw:
            continue
        frame, source = raw[spec.name]
        typed, errs = _coerce(frame, spec, source)
        errors.extend(errs)
        tables[spec.name] = Table(spec, typed, source, frame.attrs.get("source_rows"))
    if errors:
        raise InputErrors(errors)
    return tables


def read_scalars(path: str | Path, filename: str = "instance.yaml") -> tuple[dict[str, object], str]:
    """Scalars of an instance: ``instance.yaml`` in a folder, or sheet ``instance`` of a
    workbook (two columns ``key``, ``value``). Returns the mapping and its source name."""
    path = Path(path)
    if path.is_dir():
        file = path / filename
        if not file.exists():
            raise InputErrors([InputError(filename, None, None, f"file missing in {path}")])
        try:
            data = yaml.safe_load(file.read_text()) or {}
        except yaml.YAMLError as exc:
            raise InputErrors([InputError(filename, None, None, f"invalid YAML: {exc}")]) from None
        if not isinstance(data, dict):
            raise InputErrors([InputError(filename, None, None, "expected a mapping of key: value")])
        return data, filename
    if not path.exists():
        raise InputErrors([InputError(str(path), None, None, "no such folder or workbook")])
    source = f"{path.name}[instance]"
    try:
        sheet = pd.read_excel(path, sheet_name="instance", dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InputErrors([InputError(source, None, None, f"cannot read sheet: {exc}")]) from None
    if not {"key", "value"} <= set(sheet.columns):
        raise InputErrors([InputError(source, None, None, "expected columns 'key' and 'value'")])
    return {str(k).strip(): yaml.safe_load(str(v)) for k, v in zip(sheet["key"], sheet["value"], strict=True)}, source


def check_references(
    table: Table, column: str, valid: Iterable[str], what: str
) -> list[InputError]:
    """Errors for every row whose ``column`` is not one of ``valid`` (an unknown id)."""
    valid_set = set(valid)
    values = table.frame[column]
    bad = ~values.isin(valid_set).to_numpy()
    return [
        table.error(int(i), column, f"unknown {what} '{values.iloc[i]}'") for i in np.flatnonzero(bad)
    ]


def save_tables(path: str | Path, frames: Mapping[str, pd.DataFrame], scalars: Mapping[str, object]) -> None:
    """Write ``frames`` as ``<name>.csv`` and ``scalars`` as ``instance.yaml`` (folder), or
    every frame as a sheet plus an ``instance`` sheet (``.xlsx``)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(path) as writer:
            for name, frame in frames.items():
                frame.to_excel(writer, sheet_name=name, index=False)
            pd.DataFrame({"key": list(scalars), "value": [str(v) for v in scalars.values()]}).to_excel(
                writer, sheet_name="instance", index=False
            )
        return
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(path / f"{name}.csv", index=False)
    (path / "instance.yaml").write_text(yaml.safe_dump(dict(scalars), sort_keys=False))


def read_summary(folder: str | Path) -> dict[str, object]:
    """A plan folder's ``summary.json`` (``{}`` when absent); invalid JSON raises ``InputErrors``."""
    path = Path(folder) / "summary.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputErrors([InputError("summary.json", None, None, f"invalid JSON: {exc}")]) from None
