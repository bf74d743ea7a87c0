"""Loading typed tables from a folder of CSVs or one Excel workbook.

Every defect becomes an :class:`InputError` naming the file (``orders.csv`` or
``book.xlsx[orders]``), the spreadsheet row (header = row 1) and the column. All
defects of every table are collected before anything is raised.

What is accepted (the rules :func:`describe_schema` states for users):

* CSV files are UTF-8, with or without a BOM (Excel's "CSV UTF-8"); the separator is
  ``,``, ``;`` or tab, detected from the header line; in a ``;``-separated file a
  numeric cell may use a decimal comma (``1,5``). Blank lines are skipped; row numbers
  stay the file's lines.
* Headers match the spec after trimming and case-folding (`` Order `` is ``order``). A
  header that is not a column of the table is an error (with "did you mean" when it
  resembles a missing column) for tables whose ``unknown_columns`` is ``"error"`` (every
  instance table); tables with ``"ignore"`` (plans written by the solvers) skip it. A
  header given twice is an error.
* In a workbook the table is the sheet of that name, matched case-insensitively; blank
  rows are skipped, row numbers stay the sheet's. A formula cell without a cached
  value (a workbook written by a program and never opened in Excel) is an error: its
  value is unknown. Formulas are only looked up (a second, formula-preserving read of
  the sheet) when a sheet has empty cells, so clean workbooks are read once.
* Only an empty cell is blank in a file (``nan`` or ``None`` are not numbers); frames
  passed to :func:`tables_from_frames` may also use NaN/None for blank.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.scalars import (
    KIND_NAMES,
    MAX_MAGNITUDE,
    ScalarSpec,
    decode_text,
    did_you_mean,
    flatten_specs,
    format_value,
    parse_yaml,
)

Kind = Literal["str", "int", "float"]
__all__ = [
    "MAX_MAGNITUDE",
    "Column",
    "ScalarSource",
    "Table",
    "TableSpec",
    "check_references",
    "describe_schema",
    "frames_checksum",
    "index_of",
    "instance_kind",
    "load_tables",
    "read_scalar_source",
    "read_scalars",
    "read_summary",
    "read_tables",
    "save_tables",
    "tables_from_frames",
]

FORMULA_MESSAGE = "formula without a cached value (open and save the workbook in Excel)"
FRAME_BLANKS = ("", "None", "nan", "NaN", "<NA>", "NaT")  # how pandas renders a missing value as text
SEPARATORS = (",", ";", "\t")
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"^([+-]?\d*),(\d+(?:[eE][+-]?\d+)?)$")


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
    """A table: file stem, columns and the columns forming its unique key.

    ``unknown_columns`` says what a header that is not one of ``columns`` is: an
    ``"error"`` (instance tables: a misspelt optional column would otherwise silently take
    its default) or ``"ignore"``\\ d. An ``optional`` table may be absent (file or sheet): it
    is then read as empty.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    doc: str = ""
    unknown_columns: Literal["error", "ignore"] = "ignore"
    optional: bool = False

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


@dataclass
class _Raw:
    """A table as read, before its header is matched: the header cells, every non-blank
    body row (cell text) with its spreadsheet row, and cells holding uncached formulas."""

    source: str
    header: list[str]
    header_row: int
    rows: list[list[str]]
    row_numbers: list[int]
    decimal_comma: bool = False
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (body row index, column position)


# ---------------------------------------------------------------------- paths
def instance_kind(path: str | Path) -> Literal["folder", "workbook"]:
    """``"folder"`` or ``"workbook"``; any other path raises one plain :class:`InputErrors`."""
    path = Path(path)
    if path.is_dir():
        return "folder"
    if not path.exists():
        raise InputErrors([InputError(str(path), None, None, "no such folder or workbook")])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "workbook"
    if suffix == ".xls":
        message = "an old-format .xls workbook: save it as an .xlsx workbook (Excel Workbook)"
    else:
        message = (f"'{path.name}' is a single file: give the instance folder that holds it ({path.absolute().parent}) "
                   "or an .xlsx workbook")
    raise InputErrors([InputError(str(path), None, None, message)])


# ---------------------------------------------------------------------- CSV
def _sniff(line: str) -> str:
    """The separator of a header line: the most frequent of ``,`` ``;`` tab outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {sep: unquoted.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # ties: the earlier, ',' first
    return best if counts[best] else ","


def _read_csv(file: Path, name: str) -> tuple[_Raw | None, list[InputError]]:
    """Read a CSV as text. A row with more fields than the header is an error naming that
    row (and is left out); missing trailing fields are empty, so a required column then
    reports an empty value."""
    if file.is_dir():
        return None, [InputError(name, None, None, f"is a folder, not a CSV file ({file})")]
    try:
        data = file.read_bytes()
    except OSError as exc:
        return None, [InputError(name, None, None, f"cannot be read: {exc.strerror or exc}")]
    text, problem = decode_text(data, name, "save it as UTF-8 (Excel: \"CSV UTF-8\")")
    if problem is not None:
        return None, [InputError(name, problem.row, None, f"cannot be read as CSV: {problem.message}")]
    assert text is not None
    first = next((line for line in text.splitlines() if line.strip(" \t,;")), None)
    if first is None:
        return None, [InputError(name, None, None, "cannot be read as CSV: no header row")]
    sep = _sniff(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    errors: list[InputError] = []
    header: list[str] | None = None
    header_row = 1
    body: list[list[str]] = []
    numbers: list[int] = []
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue  # blank line
            if header is None:
                header, header_row = [c.strip() for c in row], reader.line_num
                continue
            if len(row) > len(header):
                errors.append(InputError(name, reader.line_num, None, f"{len(row)} fields, the header has "
                                                                      f"{len(header)}"))
                continue
            body.append(row + [""] * (len(header) - len(row)))  # short rows: missing trailing values are empty
            numbers.append(reader.line_num)
    except csv.Error as exc:
        errors.append(InputError(name, reader.line_num, None, f"cannot be read as CSV: {exc}"))
    if header is None:
        return None, [*errors, InputError(name, None, None, "cannot be read as CSV: no header row")]
    return _Raw(name, header, header_row, body, numbers, decimal_comma=sep == ";"), errors


# ---------------------------------------------------------------------- workbooks
def _cell_text(value: object) -> str:
    """A cell's value as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _is_formula(value: object) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ in (
        "ArrayFormula", "DataTableFormula")


class _Workbook:
    """An open ``.xlsx`` (read-only, cached values); sheets matched case-insensitively."""

    def __init__(self, path: Path) -> None:
        import openpyxl

        self.path = path
        self._formulas: Any = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken workbook
            raise InputErrors([InputError(path.name, None, None, f"cannot open workbook: {exc}")]) from None
        self.names = list(self.book.sheetnames)
        self._by_fold = {n.strip().casefold(): n for n in reversed(self.names)}

    def close(self) -> None:
        self.book.close()
        if self._formulas is not None:
            self._formulas.close()

    def __enter__(self) -> _Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def missing(self, name: str, source: str) -> InputError:
        listed = ", ".join(self.names) if self.names else "no sheets"
        message = f"sheet '{name}' missing; the workbook has: {listed}"
        hint = did_you_mean(name, self.names)
        if hint is not None:
            message += f" (did you mean '{hint}'?)"
        return InputError(source, None, None, message)

    def sheet(self, name: str) -> str | None:
        return self._by_fold.get(name.casefold())

    def rows(self, sheet: str, book: Any = None) -> list[tuple[object, ...]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list((book or self.book)[sheet].iter_rows(values_only=True))

    def formula_cells(self, sheet: str, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
        """Which of ``cells`` (0-based sheet row, column), empty as cached values, hold a formula."""
        if not cells:
            return set()
        if self._formulas is None:
            import openpyxl

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._formulas = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        rows = self.rows(sheet, self._formulas)
        return {(r, c) for r, c in cells if r < len(rows) and c < len(rows[r]) and _is_formula(rows[r][c])}

    def read(self, sheet: str, source: str) -> tuple[_Raw | None, list[InputError]]:
        """The sheet as a table: the first non-blank row is the header, blank rows are skipped
        (a row of uncached formulas is not blank)."""
        header: list[str] | None = None
        header_row = 1
        entries: list[tuple[int, list[str]]] = []  # 0-based sheet row, cell texts
        empty: set[tuple[int, int]] = set()  # empty cached values under the header
        for r, row in enumerate(self.rows(sheet)):
            cells = [_cell_text(v) for v in row]
            if header is None:
                if any(cells):
                    header, header_row = cells, r + 1
                continue
            empty.update((r, c) for c, v in enumerate(row[: len(header)]) if v is None)
            entries.append((r, cells))
        if header is None:
            return None, [InputError(source, None, None, "no header row: the sheet is empty")]
        formulas = self.formula_cells(sheet, empty)
        with_formula = {r for r, _ in formulas}
        body: list[list[str]] = []
        numbers: list[int] = []
        index: dict[int, int] = {}
        for r, cells in entries:
            if not any(cells) and r not in with_formula:
                continue  # blank row
            index[r] = len(body)
            body.append(cells + [""] * (len(header) - len(cells)))
            numbers.append(r + 1)
        raw = _Raw(source, header, header_row, body, numbers, formulas={(index[r], c) for r, c in formulas})
        return raw, []


# ---------------------------------------------------------------------- header and typing
def _resolve_columns(header: Sequence[str], spec: TableSpec, source: str, header_row: int | None,
                     has_values: Callable[[int], bool]) -> tuple[dict[str, int], list[InputError]]:
    """Position of each spec column in ``header`` (trimmed, case-folded) and the header's defects."""
    names = [str(h).strip() for h in header]
    known = {c.name.casefold(): c.name for c in spec.columns}
    positions: dict[str, int] = {}
    errors: list[InputError] = []
    unknown: list[tuple[int, str]] = []
    for pos, name in enumerate(names):
        if not name:
            if has_values(pos):
                errors.append(InputError(source, header_row, None, f"column {pos + 1} holds values but has no header"))
            continue
        column = known.get(name.casefold())
        if column is None:
            unknown.append((pos, name))
        elif column in positions:
            errors.append(InputError(source, header_row, column, f"column '{column}' appears twice in the header "
                                                                 f"(columns {positions[column] + 1} and {pos + 1})"))
        else:
            positions[column] = pos
    if len(names) == 1 and unknown and len(spec.columns) > 1:
        seps = [s for s in (";", "\t", ",") if s in names[0]]
        if seps:
            message = (f"the header is the single field '{names[0]}': it looks like {SEPARATOR_NAMES[seps[0]]}-"
                       f"separated text; expected the columns {', '.join(c.name for c in spec.columns)}")
            return {}, [*errors, InputError(source, header_row, None, message)]
    missing = [c for c in spec.columns if c.name not in positions]
    by_name = {c.name: c for c in spec.columns}
    hinted: set[str] = set()
    expected = ", ".join(c.name for c in spec.columns)
    for _, name in unknown:
        hint = did_you_mean(name, [c.name for c in missing if c.name not in hinted])
        if hint is not None and (spec.unknown_columns == "error" or by_name[hint].required):
            hinted.add(hint)
            message = f"column '{name}' is not known; did you mean '{hint}'?"
            if by_name[hint].required:
                message += f" (required column '{hint}' is missing)"
            errors.append(InputError(source, header_row, name, message))
        elif spec.unknown_columns == "error":
            errors.append(InputError(source, header_row, name, f"column '{name}' is not known; "
                                                               f"expected columns: {expected}"))
    for column in missing:
        if column.required and column.name not in hinted:
            errors.append(InputError(source, None, column.name, "required column missing"))
    return positions, errors


def _frame_of(raw: _Raw, spec: TableSpec) -> tuple[pd.DataFrame, list[InputError]]:
    """The text frame of the spec columns found in ``raw`` (columns named as in the spec)."""
    def has_values(pos: int) -> bool:
        return any(pos < len(row) and row[pos].strip() for row in raw.rows)

    positions, errors = _resolve_columns(raw.header, spec, raw.source, raw.header_row, has_values)
    frame = pd.DataFrame({name: pd.Series([row[pos] for row in raw.rows], dtype=object)
                          for name, pos in positions.items()}, index=pd.RangeIndex(len(raw.rows)))
    frame.attrs["source_rows"] = raw.row_numbers
    frame.attrs["decimal_comma"] = raw.decimal_comma
    frame.attrs["formulas"] = {name: sorted(r for r, c in raw.formulas if c == pos)
                               for name, pos in positions.items()}
    return frame, errors


def _coerce(raw: pd.DataFrame, spec: TableSpec, source: str) -> tuple[pd.DataFrame, list[InputError]]:
    """Type every column of ``raw`` (text, spec column names; missing required columns
    already reported) per ``spec``; collect all defects."""
    errors: list[InputError] = []
    source_rows = raw.attrs.get("source_rows")
    blanks = list(FRAME_BLANKS if raw.attrs.get("from_frames") else ("",))
    formula_rows: dict[str, list[int]] = raw.attrs.get("formulas", {})
    n = len(raw)
    out: dict[str, pd.Series] = {}
    bad_key_rows = np.zeros(n, dtype=bool)  # rows with a defect in a key column

    def rownum(idx: int) -> int:
        return int(source_rows[idx]) if source_rows is not None else int(idx) + 2

    for col in spec.columns:
        formula = np.zeros(n, dtype=bool)
        if col.name not in raw.columns:
            if col.required:
                continue  # reported with the header
            text = pd.Series(["" if col.default is None else str(col.default)] * n, dtype=object)
        else:
            text = _as_text(raw[col.name]).str.strip()
            formula[formula_rows.get(col.name, [])] = True
        for idx in np.flatnonzero(formula):
            errors.append(InputError(source, rownum(idx), col.name, FORMULA_MESSAGE))
        blank = text.isin(blanks).to_numpy() & ~formula
        if col.name in spec.key:
            bad_key_rows |= formula
        if col.kind == "str":
            if col.required:
                for idx in np.flatnonzero(blank):
                    errors.append(InputError(source, rownum(idx), col.name, "empty value"))
                if col.name in spec.key:
                    bad_key_rows |= blank
            out[col.name] = text.where(~blank, "" if col.default is None else str(col.default))
            continue
        if col.default is not None:
            text = text.where(~blank, str(col.default))
            blank = text.isin(blanks).to_numpy() & ~formula
        if raw.attrs.get("decimal_comma"):
            text = text.str.replace(_DECIMAL_COMMA, r"\1.\2", regex=True)
        # an optional numeric column without a default may be left blank: NaN, for the caller
        allow_blank = (not col.required) and col.default is None and col.kind == "float"
        numbers = pd.to_numeric(text.where(~formula, ""), errors="coerce")
        arr = numbers.to_numpy(dtype=float)
        nan = numbers.isna().to_numpy()
        with np.errstate(invalid="ignore"):
            huge = ~nan & ~(np.abs(arr) <= MAX_MAGNITUDE)
        left_blank = blank & allow_blank
        bad = ((nan & ~left_blank) | huge) & ~formula
        for idx in np.flatnonzero(bad):
            if blank[idx]:
                what = "empty value"
            elif huge[idx]:
                what = f"'{text.iloc[idx]}' is not a finite number of magnitude at most {MAX_MAGNITUDE:.0e}"
            else:
                what = f"'{text.iloc[idx]}' is not a number"
            errors.append(InputError(source, rownum(idx), col.name, what))
        bad |= formula
        ok = ~bad & ~left_blank
        if col.kind == "int":
            with np.errstate(invalid="ignore"):
                frac = ok & ~np.isclose(arr, np.round(arr))
            for idx in np.flatnonzero(frac):
                errors.append(
                    InputError(source, rownum(idx), col.name, f"{text.iloc[idx]} is not an integer")
                )
            if col.name in spec.key:
                bad_key_rows |= frac
        if col.minimum is not None:
            low = ok & (np.where(ok, arr, 0.0) < col.minimum)
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
    frame = pd.DataFrame(out, index=pd.RangeIndex(n))
    if spec.key and all(k in out for k in spec.key):
        # rows with a bad key cell are left out: a zeroed or rounded bad value is no duplicate
        good = ~bad_key_rows
        dup = np.zeros(len(frame), dtype=bool)
        dup[good] = frame.loc[good].duplicated(list(spec.key), keep="first").to_numpy()
        for idx in np.flatnonzero(dup):
            key = ", ".join(f"{k}={frame[k].iloc[idx]}" for k in spec.key)
            errors.append(InputError(source, rownum(idx), spec.key[-1], f"duplicate key ({key})"))
    return frame, errors


def _as_text(values: pd.Series) -> pd.Series:
    """A frame column as text, a missing value (NaN, None, NA) as ``""``."""
    values = values.astype(object).reset_index(drop=True)
    return values.where(values.notna(), "").astype(str).astype(object)


def tables_from_frames(frames: Mapping[str, pd.DataFrame], specs: Sequence[TableSpec]) -> dict[str, Table]:
    """Type the pandas ``frames`` (the Python API's input) per ``specs``, as :func:`load_tables`
    types files (NaN/None count as blank). Raises :class:`InputErrors` with every defect, a
    missing table included."""
    tables: dict[str, Table] = {}
    errors: list[InputError] = []
    for spec in specs:
        if spec.name not in frames and not spec.optional:
            errors.append(InputError(spec.filename, None, None, "table missing"))
            continue
        given = frames[spec.name] if spec.name in frames else pd.DataFrame(columns=[c.name for c in spec.columns])
        columns = [_as_text(given.iloc[:, pos]) for pos in range(given.shape[1])]

        def has_values(pos: int, columns: list[pd.Series] = columns) -> bool:
            return bool((~columns[pos].str.strip().isin(FRAME_BLANKS)).any())

        positions, errs = _resolve_columns([str(c) for c in given.columns], spec, spec.filename, None, has_values)
        errors.extend(errs)
        text = pd.DataFrame({name: columns[pos] for name, pos in positions.items()},
                            index=pd.RangeIndex(len(given)))
        text.attrs["from_frames"] = True
        typed, errs = _coerce(text, spec, spec.filename)
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


# ---------------------------------------------------------------------- loading
def _empty_raw(spec: TableSpec, source: str) -> _Raw:
    """An absent optional table: its header and no rows."""
    return _Raw(source, [c.name for c in spec.columns], 1, [], [])


def read_tables(path: str | Path, specs: Sequence[TableSpec]) -> tuple[dict[str, Table], list[InputError]]:
    """Read and type every table of ``specs`` from a CSV folder or an Excel workbook,
    collecting every defect of every table instead of raising.

    Returns the tables that could be read (typed; a bad cell holds 0, so check the errors
    before using them) and the errors. A path that is neither a folder nor a workbook
    raises :class:`InputErrors` (nothing else can be read).
    """
    path = Path(path)
    raws: list[tuple[TableSpec, _Raw]] = []
    errors: list[InputError] = []
    if instance_kind(path) == "folder":
        for spec in specs:
            file = path / spec.filename
            if not file.exists():
                match = next((f for f in path.iterdir() if f.name.casefold() == spec.filename.casefold()), None) \
                    if path.is_dir() else None
                if match is not None:
                    file = match
                elif spec.optional:
                    raws.append((spec, _empty_raw(spec, spec.filename)))
                    continue
                else:
                    errors.append(InputError(spec.filename, None, None, f"file missing in {path}"))
                    continue
            raw, errs = _read_csv(file, spec.filename)
            errors.extend(errs)
            if raw is not None:
                raws.append((spec, raw))
    else:
        with _Workbook(path) as book:
            for spec in specs:
                source = f"{path.name}[{spec.name}]"
                sheet = book.sheet(spec.name)
                if sheet is None and spec.optional:
                    raws.append((spec, _empty_raw(spec, source)))
                    continue
                if sheet is None:
                    errors.append(book.missing(spec.name, source))
                    continue
                raw, errs = book.read(sheet, source)
                errors.extend(errs)
                if raw is not None:
                    raws.append((spec, raw))
    tables: dict[str, Table] = {}
    for spec, raw in raws:
        frame, errs = _frame_of(raw, spec)
        errors.extend(errs)
        typed, errs = _coerce(frame, spec, raw.source)
        errors.extend(errs)
        tables[spec.name] = Table(spec, typed, raw.source, raw.row_numbers)
    return tables, errors


def load_tables(path: str | Path, specs: Sequence[TableSpec]) -> dict[str, Table]:
    """Load and type every table of ``specs`` from a CSV folder or an Excel workbook.

    Raises :class:`InputErrors` with every defect of every table.
    """
    tables, errors = read_tables(path, specs)
    if errors:
        raise InputErrors(errors)
    return tables


def _sheet_scalars(book: _Workbook, sheet: str, source: str
                   ) -> tuple[dict[str, object] | None, list[InputError], bool]:
    """The ``key``/``value`` rows of a workbook's settings sheet (None if it has none), their
    defects and whether the values can be checked; numbers stay numbers, text is read as
    YAML (so nested settings and quoted text round-trip)."""
    errors: list[InputError] = []
    rows = book.rows(sheet)
    start = next((r for r, row in enumerate(rows) if any(_cell_text(v) for v in row)), None)
    if start is None:
        return None, [], True
    header = [_cell_text(v).casefold() for v in rows[start]]
    if "key" not in header or "value" not in header:
        return None, [InputError(source, start + 1, None, "expected columns 'key' and 'value'")], False
    kpos, vpos = header.index("key"), header.index("value")
    data: dict[str, object] = {}
    seen: dict[str, int] = {}
    uncached: set[tuple[int, int]] = set()
    for r in range(start + 1, len(rows)):
        row = rows[r]
        key = _cell_text(row[kpos]) if kpos < len(row) else ""
        value = row[vpos] if vpos < len(row) else None
        if not key:
            if value is not None and _cell_text(value):
                errors.append(InputError(source, r + 1, "key", "a value without a key"))
            continue
        if key in seen:
            errors.append(InputError(source, r + 1, key, f"duplicate key '{key}' (rows {seen[key]} and {r + 1}): "
                                                         "give each key once"))
            continue
        seen[key] = r + 1
        if value is None:
            uncached.add((r, vpos))
        elif isinstance(value, str):
            parsed, errs = parse_yaml(value, source)
            if parsed is None and errs and errs[0].column is None:
                parsed = value.strip()  # not YAML: plain text (the check says if text is wrong here)
            else:
                errors.extend(InputError(source, r + 1, e.column, e.message) for e in errs)
            value = parsed
        elif isinstance(value, datetime | date | time):
            value = value.isoformat()
        data[key] = value
    for r, _ in sorted(book.formula_cells(sheet, uncached)):
        key = _cell_text(rows[r][kpos])
        errors.append(InputError(source, r + 1, key, FORMULA_MESSAGE))
        data.pop(key, None)
    return (data if seen else None), errors, True


@dataclass
class ScalarSource:
    """The raw settings of an instance as read, before they are checked.

    ``data`` is the mapping read ({} when ``empty`` or unreadable); ``readable`` says whether
    it can be checked (a duplicate key is an error but leaves the file readable); ``errors``
    are the defects of reading it."""

    data: dict[str, object]
    source: str
    errors: list[InputError]
    readable: bool = True
    empty: bool = False

    @property
    def values(self) -> dict[str, object] | None:
        """What to check: the mapping, or None for an empty file (see ``check_scalars``)."""
        return None if self.empty else self.data


def read_scalar_source(path: str | Path, filename: str = "instance.yaml") -> ScalarSource:
    """Raw settings of an instance: ``filename`` in a folder, or the workbook's ``instance``
    sheet (columns ``key``, ``value``), with every defect of reading them (missing,
    unreadable, not UTF-8, invalid YAML, duplicate keys). Check the values with
    :func:`plantwise.core.scalars.check_scalars`."""
    path = Path(path)
    if instance_kind(path) == "folder":
        file = path / filename

        def fail(message: str) -> ScalarSource:
            return ScalarSource({}, filename, [InputError(filename, None, None, message)], readable=False)

        if not file.exists():
            return fail(f"file missing in {path}")
        if file.is_dir():
            return fail(f"is a folder, not a YAML file ({file})")
        try:
            data = file.read_bytes()
        except OSError as exc:
            return fail(f"cannot be read: {exc.strerror or exc}")
        text, problem = decode_text(data, filename)
        if problem is not None:
            return fail(problem.message)  # the line is in the message: a YAML file has no rows
        assert text is not None
        value, errors = parse_yaml(text, filename)
        if value is None:
            return ScalarSource({}, filename, errors, readable=not errors, empty=not errors)
        if not isinstance(value, dict):
            return fail("expected a mapping of key: value")
        return ScalarSource({str(k).strip(): v for k, v in value.items()}, filename, errors)
    source = f"{path.name}[instance]"
    with _Workbook(path) as book:
        sheet = book.sheet("instance")
        if sheet is None:
            return ScalarSource({}, source, [book.missing("instance", source)], readable=False)
        found, errors, readable = _sheet_scalars(book, sheet, source)
    return ScalarSource(found or {}, source, errors, readable=readable, empty=readable and found is None)


def read_scalars(path: str | Path, filename: str = "instance.yaml") -> tuple[dict[str, object], str]:
    """Scalars of an instance: ``instance.yaml`` in a folder, or sheet ``instance`` of a
    workbook (two columns ``key``, ``value``). Returns the mapping and its source name;
    raises :class:`InputErrors` if it cannot be read."""
    found = read_scalar_source(path, filename)
    if found.errors:
        raise InputErrors(found.errors)
    return dict(found.data), found.source


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


def _sheet_value(value: object) -> object:
    """A setting as an ``instance`` sheet cell: numbers and booleans as such, other values as
    YAML text that :func:`read_scalars` reads back unchanged."""
    if isinstance(value, bool | int | float) and not isinstance(value, np.generic):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if value is None:
        return None
    return format_value(_plain(value))


def _plain(value: object) -> object:
    """``value`` with numpy scalars and tuples turned into Python values (for YAML)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_tables(path: str | Path, frames: Mapping[str, pd.DataFrame], scalars: Mapping[str, object]) -> None:
    """Write ``frames`` as ``<name>.csv`` and ``scalars`` as ``instance.yaml`` (folder), or
    every frame as a sheet plus an ``instance`` sheet (``.xlsx``): numbers as numbers,
    nested settings as YAML text."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(path) as writer:
            for name, frame in frames.items():
                frame.to_excel(writer, sheet_name=name, index=False)
            settings = pd.DataFrame({"key": list(scalars), "value": pd.Series(
                [_sheet_value(v) for v in scalars.values()], dtype=object)})
            settings.to_excel(writer, sheet_name="instance", index=False)
        return
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(path / f"{name}.csv", index=False)
    (path / "instance.yaml").write_text(yaml.safe_dump(_plain(dict(scalars)), sort_keys=False))


def read_summary(folder: str | Path) -> dict[str, object]:
    """A plan folder's ``summary.json`` (``{}`` when absent); a summary that is not a file, not
    UTF-8 or not valid JSON raises ``InputErrors``."""
    path = Path(folder) / "summary.json"
    if not path.exists():
        return {}
    if not path.is_file():
        raise InputErrors([InputError("summary.json", None, None, "is not a file")])
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputErrors([InputError("summary.json", None, None,
                                      f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except json.JSONDecodeError as exc:
        raise InputErrors([InputError("summary.json", exc.lineno, None, f"invalid JSON: {exc.msg}")]) from None


# ---------------------------------------------------------------------- documentation
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _bound(minimum: float | None) -> str:
    if minimum is None:
        return ""
    if 0 < minimum < 1e-6:
        return "> 0"
    return f">= {minimum:g}"


def _column_presence(col: Column) -> str:
    if col.required:
        return "required"
    if col.default is None:
        return "optional, may be blank"
    if col.default == "":
        return "optional"
    return f"optional, default {col.default:g}" if isinstance(col.default, float | int) else \
        f"optional, default `{col.default}`"


def _scalar_presence(spec: ScalarSpec) -> str:
    if spec.required:
        return "required"
    if spec.kind == "mapping":
        return "optional"
    if spec.default is None:
        return "optional"
    value = spec.default
    if isinstance(value, bool):
        value = str(value).lower()
    elif isinstance(value, float):
        value = f"{value:g}"
    return f"optional, default `{value}`"


def _scalar_range(spec: ScalarSpec) -> str:
    if spec.kind == "choice":
        return ", ".join(f"`{c}`" for c in spec.choices)
    if spec.kind not in ("int", "float"):
        return ""
    parts = []
    if spec.minimum is not None:
        parts.append(f"{'>' if spec.exclusive_minimum else '>='} {spec.minimum:g}")
    if spec.maximum is not None:
        parts.append(f"<= {spec.maximum:g}")
    return ", ".join(parts)


def describe_schema(specs: Sequence[TableSpec], scalar_specs: Sequence[ScalarSpec] = ()) -> str:
    """The input format as Markdown: the reading rules, one table per input table (column,
    kind, unit, required/default, minimum, meaning), then the scalar settings."""
    strict = all(s.unknown_columns == "error" for s in specs)
    lines = [
        "An instance is a folder of CSV files plus `instance.yaml`, or one `.xlsx` workbook with a sheet "
        "per table (sheet names in any case) and a sheet `instance` with columns `key`, `value`.",
        "",
        "- CSV files are UTF-8 (a BOM, as Excel's \"CSV UTF-8\" writes, is fine), separated by `,`, `;` or "
        "tab (detected from the header line); in a `;`-separated file numbers may use a decimal comma (`1,5`).",
        "- Headers match ignoring case and surrounding spaces. "
        + ("A column not listed here is an error (the message suggests the closest name); a column given "
           "twice is an error." if strict else "A column given twice is an error."),
        "- Blank lines and blank sheet rows are skipped; messages give the file's own row numbers "
        "(the header is row 1). Only an empty cell is blank: `nan` is not a number.",
        "- Numbers must be finite and of magnitude at most 1e15; integer columns take whole numbers (`4.0` is 4).",
        "- A workbook cell holding a formula must have a cached value (open and save the workbook in Excel).",
        "- Every defect of every file, cell and setting is reported together; the rules that join tables "
        "(unknown ids, cross-table limits) are checked once every file and cell is valid, and are reported with "
        "any bad setting (a rule that needs that setting is skipped).",
    ]
    for spec in specs:
        lines += ["", f"### `{spec.filename}`", ""]
        about = []
        if spec.doc:
            about.append(spec.doc[0].upper() + spec.doc[1:] + ".")
        if spec.optional:
            about.append("Optional: an absent file is an empty table.")
        if len(spec.key) == 1:
            about.append(f"Key: `{spec.key[0]}` (unique).")
        elif spec.key:
            about.append("Key: " + ", ".join(f"`{k}`" for k in spec.key) + " (each combination at most once).")
        if about:
            lines += [" ".join(about), ""]
        lines += ["| column | kind | unit | required | minimum | meaning |", "| --- | --- | --- | --- | --- | --- |"]
        for col in spec.columns:
            kind = {"str": "text", "int": "integer", "float": "number"}[col.kind]
            lines.append(f"| `{col.name}` | {kind} | {_cell(col.unit)} | {_column_presence(col)} | "
                         f"{_bound(col.minimum)} | {_cell(col.doc)} |")
    if scalar_specs:
        nested = [s for s in scalar_specs if s.kind == "mapping" and s.fields]
        about = ("One key per line (per row in the sheet); a key given twice, an unknown key, and a number that is "
                 "not finite (`.nan`, `.inf`, `1e999`) are errors.")
        if any(s.required for s in scalar_specs):
            about += " An empty file is an error: the required keys must be set."
        else:
            about += " Every key is optional: an empty file means every default."
        if nested:
            example = ", ".join(f"{f.name}: {format_value(f.default)}" for f in nested[0].fields[:2]
                                if f.default is not None)
            about += (" Nested keys are written `parent.key` below; in `instance.yaml` they form a mapping under "
                      f"`parent`, in the sheet the value of `parent` is that mapping as YAML text (`{{{example}}}`).")
        lines += ["", "### Settings: `instance.yaml` (or the workbook's `instance` sheet)", "", about, "",
                  "| key | kind | unit | required | range | meaning |", "| --- | --- | --- | --- | --- | --- |"]
        for key, spec in flatten_specs(scalar_specs):
            lines.append(f"| `{key}` | {KIND_NAMES[spec.kind]} | {_cell(spec.unit)} | {_scalar_presence(spec)} | "
                         f"{_scalar_range(spec)} | {_cell(spec.doc)} |")
    return "\n".join(lines) + "\n"


def load_instance(path: str | Path, specs: Sequence[TableSpec],
                  check_settings: Callable[[Mapping[str, object] | None, str], tuple[dict[str, object],
                                                                                     list[InputError]]],
                  build: Callable[..., Any],
                  adjust_tables: Callable[[dict[str, Table]], dict[str, Table]] | None = None) -> Any:
    """The one loading sequence of every family's ``load``: every unreadable file, bad cell and
    bad setting is reported together first; only clean tables go on to ``build(tables, values,
    source, name=...)``, the family's cross-table rules, whose defects are reported with any
    duplicate-key defect of the settings file. ``adjust_tables`` may complete the tables
    (e.g. an optional file left empty) before ``build``."""
    path = Path(path)
    found = read_scalar_source(path)
    errors = list(found.errors)
    settings: dict[str, object] = {"name": None}
    if found.readable:
        settings, more = check_settings(found.values, found.source)
        errors += more
    tables, table_errors = read_tables(path, specs)
    if table_errors or not found.readable:
        raise InputErrors(errors + table_errors)
    if adjust_tables is not None:
        tables = adjust_tables(tables)
    try:
        inst = build(tables, found.values, found.source, name=str(settings.get("name") or path.stem))
    except InputErrors as exc:
        raise InputErrors(found.errors + exc.errors) from None
    if found.errors:  # a duplicate key: the values were usable, the file is still wrong
        raise InputErrors(found.errors)
    return inst
