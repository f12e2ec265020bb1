"""Read any supported file into one table of strings. Knows nothing of the store.

What is common to every format lives here: the checks before a file is read (it exists, is not
empty, is a kind of file bulkpoc reads, is of the declared File Type), the dispatch to the
format's reader (``bulkpoc.formats``), and the clean-up after it (empty rows and unnamed empty
columns dropped).
A file is a path or a seekable binary stream. Row numbers are the spreadsheet's: the header is
row 1.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from bulkpoc import formats
from bulkpoc.domain.errors.codes import (
    FILE_EMPTY,
    FILE_MISSING,
    FILE_TYPE_MISMATCH,
    UNSUPPORTED_FORMAT,
)
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats.base import STREAM_NAME, RawTable, Source, file_label, opened

__all__ = ["checksum", "read_file", "renumbered", "sniff_file_type", "strip"]


def checksum(source: Source) -> str:
    """The SHA-256 of the file's bytes, read a block at a time."""
    digest = hashlib.sha256()
    with opened(source) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sniff_file_type(source: Source) -> str:
    """The format's name (``xlsx``, ``ods``, ``csv``…) from the content, whatever the file's
    name; for a file bulkpoc cannot read, the name of its kind (``numbers``, ``zipped_csv``…)."""
    return formats.identify(source).name


def read_file(
    source: Path | BinaryIO,
    file_type: str | None = None,
    sheet_names: tuple[str, ...] = (),
    name: str | None = None,
) -> RawTable:
    """Read ``source`` as the declared ``file_type`` (detected when None).

    ``name`` is how messages call the file: by default the path's name, or "the upload" for a
    stream. A stream must be seekable; it is read from its start and left open.
    """
    if isinstance(source, Path):
        name = name or source.name
        if not source.exists():
            raise FileRejected(FILE_MISSING, name=name)
        size = source.stat().st_size
    else:
        name = name or STREAM_NAME
        if not source.seekable():
            raise ValueError("read_file needs a path or a seekable binary stream")
        size = source.seek(0, io.SEEK_END)
    if size == 0:
        raise FileRejected(FILE_EMPTY, file=file_label(name))
    found = formats.identify(source)
    if isinstance(found, formats.Unreadable):
        raise FileRejected(
            UNSUPPORTED_FORMAT, name=name, what=found.description, advice=found.advice
        )
    declared = (file_type or found.option).lower()
    if declared != found.option:
        raise FileRejected(
            FILE_TYPE_MISMATCH,
            declared=formats.get(declared).choice,
            name=name,
            actual=found.description,
            choice=found.choice,
        )
    return _drop_empty(found.read(source, name, sheet_names))


def renumbered(raw: RawTable, numbers: tuple[int, ...]) -> RawTable:
    """``raw`` with its rows numbered as another file's: the data row at spreadsheet row
    ``n`` becomes row ``numbers[n - 2]``. A fix's file holds failed rows of an earlier file,
    and its results name them as that file does. Rows past the numbers keep their own."""

    def number(row: int) -> int:
        at = row - 2
        return numbers[at] if 0 <= at < len(numbers) else row

    raw.rows = raw.rows.map(number).astype("int64")
    raw.cell_errors = [(number(row), column, text) for row, column, text in raw.cell_errors]
    raw.row_problems = [problem._replace(row=number(problem.row)) for problem in raw.row_problems]
    return raw


# --- after any reader ------------------------------------------------------------------------


def strip(column: pd.Series) -> pd.Series:
    """Trimmed text; the same column when nothing needs trimming (the usual case).

    Trimming every cell and comparing is one pass of Arrow each, four times faster than
    looking at each cell's first and last character (slicing a string from its end walks it).
    """
    stripped = column.str.strip()
    trimmed = (stripped != column) & column.notna()
    return stripped if trimmed.any() else column


def _drop_empty(table: RawTable) -> RawTable:
    """Drop empty rows (LibreOffice may write a million) and unnamed empty columns.

    An error cell (#N/A) is not empty, nor is a row the reader found a problem with; the error
    cells' column positions follow the columns that remain. Works a column at a time and copies
    the data only if something is dropped.
    """
    data = table.data
    if not data.shape[1]:
        return table
    filled = {position: (strip(data[position]) != "").to_numpy(bool) for position in data.columns}
    _mark_error_cells(table, filled)
    has_value = pd.Series(np.logical_or.reduce(list(filled.values())), index=data.index)
    if table.row_problems:
        has_value |= table.rows.isin([problem.row for problem in table.row_problems])
    keep = [
        position
        for position, header in enumerate(table.headers)
        if header.strip() or (position in filled and filled[position].any())
    ]
    if not has_value.all():
        data = data[has_value]
        table.rows = table.rows[has_value]
    if len(keep) < data.shape[1]:
        data = data[keep]
        table.headers = [table.headers[position] for position in keep]
        kept = {old: new for new, old in enumerate(keep)}
        table.cell_errors = [
            (row, kept[position], text)
            for row, position, text in table.cell_errors
            if position in kept
        ]
    data.columns = range(len(keep))
    table.data = data
    return table


def _mark_error_cells(table: RawTable, filled: dict[int, np.ndarray]) -> None:
    """Mark the data cells that hold a spreadsheet error as filled: calamine reads them empty."""
    if not table.cell_errors:
        return
    rows, positions = np.array([(row, position) for row, position, _ in table.cell_errors]).T
    at = pd.Index(table.rows).get_indexer(rows)  # -1 for the header row
    for position in np.unique(positions[at >= 0]):
        if position in filled:
            filled[position] = filled[position].copy()
            filled[position][at[(positions == position) & (at >= 0)]] = True
