"""Input errors that name the file, row and column at fault."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputError(Exception):
    """One defect of the input.

    ``row`` is the 1-based data row as a spreadsheet user sees it (the header is row 1,
    so the first data row is row 2); ``None`` when the defect is not tied to a row.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class InputErrors(Exception):
    """Every defect found in an input, reported together."""

    def __init__(self, errors: list[InputError]):
        self.errors = list(errors)
        super().__init__(self.render())

    def render(self, limit: int = 50) -> str:
        lines = [str(e) for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"... and {len(self.errors) - limit} more")
        return "\n".join(lines)


class ErrorCollector:
    """Accumulates ``InputError`` s; ``raise_if_any`` raises them together."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(InputError(file, row, column, message))

    def extend(self, errors: list[InputError]) -> None:
        self.errors.extend(errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InputErrors(self.errors)
