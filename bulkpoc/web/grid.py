"""A page of failed rows laid out as the user's own file: its columns, the failed cells marked.

The cells come from the batch's stored error file (the failed rows, in row order, with their
original values and an ``Error`` column); the errors come from the run history. A failed row's
place among the batch's failed rows is its place in the error file. Columns the file left
blank in every failed row (and no error on the page names) are left out, so the columns that
matter fit the page; the grid says which.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from bulkpoc.batch.read import read_file
from bulkpoc.domain.errors.types import BulkpocError, RowError
from bulkpoc.domain.records import ERROR_COLUMN, RecordType
from bulkpoc.formats.base import RawTable
from bulkpoc.store.batch_queries import FailedRow


@dataclass
class Cell:
    value: str
    errors: list[RowError] = field(default_factory=list)


@dataclass
class GridRow:
    """One failed row: its number, its record's name, its cells, and the errors that concern
    the row as a whole (or a column the file does not have); ``key``, its key column's cell."""

    row: int
    name: str
    cells: list[Cell]
    row_errors: list[RowError]
    key: str = ""
    name_cell: Cell | None = None  # the name's own cell, shown with the row's number

    @property
    def failed_name(self) -> bool:
        return self.name_cell is not None and bool(self.name_cell.errors)

    @property
    def messages(self) -> list[tuple[str, RowError]]:
        """Every error of the row in the file's column order, each with what to say before
        it: nothing for a cell's (its message names the column), else the column it names or
        that it concerns the whole row. The line under the row lists them."""
        cells = [self.name_cell, *self.cells] if self.name_cell else self.cells
        found = [("", error) for cell in cells for error in cell.errors]
        return found + [(error.column or WHOLE_ROW, error) for error in self.row_errors]


@dataclass
class Grid:
    headers: list[str]
    rows: list[GridRow]
    blank: list[str] = field(default_factory=list)  # columns left out: blank in every row


WHOLE_ROW = "Whole row"


def _key(header: str) -> str:
    return " ".join(header.casefold().split())


def name_header(rtype: RecordType) -> str:
    """The column that names a record: Name, or the key itself (a number's Phone Number)."""
    names = [f.header for f in rtype.fields if f.name == "name"]
    return names[0] if names else rtype.key.header


def read_error_file(content: bytes, expected_rows: int) -> RawTable | None:
    """The stored error file's table, or None when it does not hold one row per failed row
    (then the grid shows the errors' own values)."""
    try:
        raw = read_file(io.BytesIO(content))
    except BulkpocError:
        return None
    return raw if len(raw.data) == expected_rows else None


def build_grid(
    rtype: RecordType,
    raw: RawTable | None,
    failed: list[FailedRow],
    errors: list[RowError],
) -> Grid:
    """The grid of the ``failed`` rows (one page) with their ``errors``."""
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)
    if raw is not None:
        headers = [h for h in raw.headers if _key(h) != _key(ERROR_COLUMN)]
    else:  # no file to show: the columns the errors name, with the values they quote
        headers = list(dict.fromkeys(e.column for e in errors if e.column))
    position_of = {_key(header): i for i, header in enumerate(headers)}
    name_at = position_of.get(_key(name_header(rtype)))
    key_at = position_of.get(_key(rtype.key.header))
    rows = []
    for failure in failed:
        if raw is not None:
            values = [str(v) for v in raw.data.iloc[failure.position, : len(headers)]]
        else:
            values = [""] * len(headers)
        cells = [Cell(value) for value in values]
        row_errors = []
        for error in by_row.get(failure.row, []):
            at = position_of.get(_key(error.column)) if error.column else None
            if at is None:
                row_errors.append(error)
                continue
            cells[at].errors.append(error)
            if raw is None:
                cells[at].value = error.value
        name = cells[name_at].value.strip() if name_at is not None else ""
        key = cells[key_at].value.strip() if key_at is not None else ""
        rows.append(GridRow(failure.row, name, cells, row_errors, key))
    return _name_with_row_number(_without_blank_columns(Grid(headers, rows), raw), rtype)


def _name_with_row_number(grid: Grid, rtype: RecordType) -> Grid:
    """``grid`` with the name's column moved into each row's header, beside its number, so
    the row says what it is once and the grid is a column narrower."""
    names = [i for i, header in enumerate(grid.headers) if _key(header) == _key(name_header(rtype))]
    if not names:
        return grid
    at = names[0]
    for row in grid.rows:
        row.name_cell = row.cells.pop(at)
    return Grid(grid.headers[:at] + grid.headers[at + 1 :], grid.rows, grid.blank)


def _without_blank_columns(grid: Grid, raw: RawTable | None) -> Grid:
    """``grid`` without the columns that are blank in every row of the file (``raw``, all its
    failed rows, so the columns stay the same from page to page) and that no error names."""
    if raw is None:
        return grid
    keep = [
        i
        for i, _header in enumerate(grid.headers)
        if raw.data.iloc[:, i].astype(str).str.strip().ne("").any()
        or any(row.cells[i].errors for row in grid.rows)
    ]
    for row in grid.rows:
        row.cells = [row.cells[i] for i in keep]
    blank = [header for i, header in enumerate(grid.headers) if i not in keep]
    return Grid([grid.headers[i] for i in keep], grid.rows, blank)
