"""Workbooks read by calamine (.xlsx, .xlsm, .xlsb, .xls, .ods) into one table of text.

A zip-based workbook is inflated in a bounded stream first (``archive``), so calamine is never
given one that inflates past the limit. The sheet read is the worksheet named like the record
type, else the first worksheet with data: chart, dialog and macro sheets never, visible
worksheets before hidden ones. Messages are bulkpoc's own sentences, never calamine's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from python_calamine import (
    CalamineError,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
    load_workbook,
)

from bulkpoc.domain.errors.codes import (
    DAMAGED_WORKBOOK,
    EMPTY_WORKSHEET,
    NO_WORKSHEETS,
    TOO_MANY_COLUMNS,
    UNSUPPORTED_FORMAT,
)
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats import extent
from bulkpoc.formats.base import (
    MAX_COLUMNS,
    RawTable,
    Source,
    arrow_to_frame,
    file_label,
    opened,
)

# Finds the error cells (#N/A…) of the sheet read, which calamine reads as empty: given the
# source and the sheet's position among all sheets, (row, column position, text) of each.
ErrorScan = Callable[[Source, int], list[tuple[int, int, str]]]


@dataclass(frozen=True)
class Kind:
    """How messages name one kind of workbook."""

    name: str  # the format's name: RawTable.file_type
    description: str  # "a LibreOffice spreadsheet (.ods)"
    zipped: bool  # a zip archive, inflated in a bounded stream before calamine opens it


def read_workbook(
    source: Source,
    name: str,
    kind: Kind,
    sheet_names: tuple[str, ...] = (),
    error_scan: ErrorScan | None = None,
) -> RawTable:
    """The chosen sheet of a workbook as text; the header is row 1."""
    if kind.zipped:
        extent.check_archive(source, name, binary=kind.name == "xlsb")
    try:
        with opened(source) as handle:
            workbook = load_workbook(handle)  # reads the whole stream
        candidates = _candidates(workbook, sheet_names, name)
        # The error-cell scan inflates the sheet XML; it runs beside calamine's parse.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulkpoc-scan") as pool:
            first = candidates[0][0]
            scanning = pool.submit(error_scan, source, first) if error_scan else None
            position, sheet, cells = _first_with_data(workbook, candidates)
            errors = scanning.result() if scanning else []
        if error_scan and position != first:
            errors = error_scan(source, position)
    except PasswordError:
        raise FileRejected(
            UNSUPPORTED_FORMAT,
            name=name,
            what="a password-protected (encrypted) workbook",
            advice="open it with its password, save a copy without a password as Excel "
            "Workbook (.xlsx) or CSV, and upload that file",
        ) from None
    except (CalamineError, ValueError, OSError, KeyError, OverflowError):
        raise FileRejected(DAMAGED_WORKBOOK, name=name, what=kind.description) from None
    if not cells:
        raise FileRejected(EMPTY_WORKSHEET, sheet=sheet, name=name)
    table = _table(cells, name)
    table.file_type, table.sheet, table.cell_errors = kind.name, sheet, errors
    return table


def _sheet_key(name: str) -> str:
    return "".join(name.lower().split()).replace("-", "").replace("_", "")


def _candidates(workbook: Any, sheet_names: tuple[str, ...], name: str) -> list[tuple[int, str]]:
    """(position among all sheets, name) of the sheets that may be read, in the order tried:
    the worksheet named like the record type, else every worksheet, visible ones first."""
    sheets = [
        (position, meta.name, meta.visible == SheetVisibleEnum.Visible)
        for position, meta in enumerate(workbook.sheets_metadata)
        if meta.typ == SheetTypeEnum.WorkSheet  # never a chart, dialog or macro sheet
    ]
    if not sheets:
        raise FileRejected(NO_WORKSHEETS, name=name)
    named = [(position, sheet) for position, sheet, _ in sheets if _sheet_key(sheet) in sheet_names]
    visible = [(position, sheet) for position, sheet, shown in sheets if shown]
    hidden = [(position, sheet) for position, sheet, shown in sheets if not shown]
    return named or visible + hidden


def _first_with_data(workbook: Any, candidates: list[tuple[int, str]]) -> tuple[int, str, list]:
    """(position, name, cells) of the first candidate with a cell filled; else the first's,
    with no cells."""
    for position, sheet in candidates:
        cells = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        if any(cell != "" for row in cells for cell in row):
            return position, sheet, cells
    return *candidates[0], []


def _table(cells: list[list[Any]], name: str) -> RawTable:
    headers = [cell_text(value) for value in cells[0]]
    width = len(headers)
    if width > MAX_COLUMNS:
        raise FileRejected(
            TOO_MANY_COLUMNS, file=file_label(name), columns=f"{width:,}", limit=MAX_COLUMNS
        )
    body = cells[1:]
    # numpy transposes rows to columns, and pyarrow reads object arrays, faster than tuples.
    grid = np.array(body, dtype=object).reshape(len(body), width)
    table = pa.table(
        [_column_text(grid[:, i]) for i in range(width)], names=[str(i) for i in range(width)]
    )
    frame = arrow_to_frame(table)
    rows = pd.Series(frame.index + 2, index=frame.index)
    return RawTable(headers, frame, rows, "")


def _column_text(column: np.ndarray) -> pa.Array:
    """One worksheet column as text; typed cells (numbers, dates) are converted one by one."""
    try:
        return pa.array(column, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([cell_text(value) for value in column], type=pa.string())


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a user typed: 18005551234.0 becomes 18005551234."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
