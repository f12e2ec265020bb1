"""CSV and other delimited text: detection, reading into a RawTable, and writing.

Reads UTF-8 (with or without BOM), UTF-16 with or without BOM, cp1252 / Latin-1; comma,
semicolon, tab or pipe delimited, all detected, and Excel's ``sep=`` line. pyarrow reads clean
files; pandas reads ragged ones. A row with more cells than the header fails alone (its extra
cells are reported as a row problem), unless the extra cells are empty.

Writes UTF-8 with a BOM and CRLF; values a spreadsheet would run as a formula get an apostrophe,
which the reader strips again, so an export uploaded unchanged imports with zero changes.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from bulkpoc.domain.errors.codes import (
    EXTRA_CELLS,
    FILE_EMPTY,
    HEADER_TOO_LONG,
    INVALID_CSV,
    NO_HEADER,
    NOT_DECODABLE,
    NOT_TEXT,
    TOO_MANY_COLUMNS,
    UNQUOTED_DELIMITER,
)
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats.base import (
    MAX_COLUMNS,
    Probe,
    RawTable,
    RowProblem,
    Source,
    WriteOptions,
    arrow_to_frame,
    file_label,
    opened,
)

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
# What a spreadsheet would run as a formula; exports put an apostrophe before it.
FORMULA_START = r"[=+\-@\t\r']"
SHOWN_VALUE = 100  # characters of a row's extra cells quoted in its error
# The longest first line read as a header: 1,000 columns of 100 characters. It stays below the
# csv module's field limit (131,072), so a header never reaches that limit's error.
MAX_HEADER_CHARS = 100_000
MAX_CELL_CHARS = 2**31 - 1  # the csv module's own limit is a C long; a cell is never longer
_TOO_MANY_FIELDS = re.compile(r"Expected \d+ fields in line \d+, saw \d+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Dialect:
    """How one CSV file is written: what the reader detected from its first line."""

    encoding: str
    delimiter: str
    width: int  # cells in the header
    skip: int = 0  # lines before the header (Excel's "sep=;" line)


class CsvFormat:
    """Delimited text. Any bytes may be text, so it is detected last: its reader decides."""

    name = "csv"
    option = "csv"
    title = "Text (.csv)"
    choice = title
    description = "a text (CSV) file"
    extensions: tuple[str, ...] = (".csv", ".txt", ".tsv")
    styled = False

    def detect(self, probe: Probe) -> bool:
        return True

    def read(self, source: Source, name: str, sheet_names: tuple[str, ...] = ()) -> RawTable:
        return read_csv(source, name)

    def write(self, frame: pd.DataFrame, path: Path, options: WriteOptions) -> None:
        write_csv(frame, path, delimiter=options.delimiter)

    def write_errors(self, frame: pd.DataFrame, path: Path, raw: RawTable) -> None:
        write_csv(frame, path, delimiter=raw.delimiter)


CSV = CsvFormat()


# --- reading -------------------------------------------------------------------------------


def read_csv(source: Source, name: str) -> RawTable:
    """Every row of a delimited text file as text; the header is row 1."""
    dialect = detect_dialect(source, name)
    frame = _read_csv_arrow(source, dialect)
    problems: list[RowProblem] = []
    if frame is None:
        frame, problems = _read_csv_pandas(source, dialect, name)
    frame = frame.fillna("")
    frame.columns = range(frame.shape[1])
    headers = [str(value).lstrip("\ufeff") for value in frame.iloc[0]]
    data = frame.iloc[1:].reset_index(drop=True)
    for column in data.columns:
        data[column] = unescape_formulas(data[column])
    rows = pd.Series(data.index + 2, index=data.index)
    encoding = dialect.encoding.replace("-sig", "")
    return RawTable(headers, data, rows, "csv", dialect.delimiter, encoding, row_problems=problems)


def detect_dialect(source: Source, name: str) -> Dialect:
    """Encoding, delimiter and header width, from the first line (or Excel's sep= hint)."""
    try:
        encoding = detect_encoding(source, name)
        header_line = _first_line(source, encoding)
    except UnicodeError:
        raise FileRejected(NOT_TEXT, name=name) from None
    if not header_line.strip():
        raise FileRejected(NO_HEADER, name=name)
    skip = 0
    hint = re.fullmatch(r"sep=(.)", header_line.strip("\r\n"))
    if hint:  # Excel's "sep=;" line: it names the delimiter and Excel does not show it
        skip, delimiter = 1, hint[1]
        header_line = _first_line(source, encoding, skip=1)
    else:
        delimiter = detect_delimiter(header_line.rstrip("\r\n"))
    header_line = header_line.rstrip("\r\n")
    width = len(next(csv.reader([header_line], delimiter=delimiter)))
    _check_width(width, len(header_line) > MAX_HEADER_CHARS, name)
    return Dialect(encoding, delimiter, width, skip)


def _check_width(width: int, cut: bool, name: str) -> None:
    """Refuse a header of too many columns, or one too long to read (``cut`` short)."""
    if width > MAX_COLUMNS:
        columns = f"more than {MAX_COLUMNS:,}" if cut else f"{width:,}"
        raise FileRejected(
            TOO_MANY_COLUMNS, file=file_label(name), columns=columns, limit=MAX_COLUMNS
        )
    if cut:
        raise FileRejected(HEADER_TOO_LONG, name=name, limit=MAX_HEADER_CHARS)


def detect_encoding(source: Source, name: str) -> str:
    """The text encoding of a CSV file; FileRejected if it is not text at all."""
    with opened(source) as handle:
        head = handle.read(4096)
        encoding = _guess_encoding(handle, head, name)
    sample = head[: len(head) - len(head) % 2] if encoding.startswith("utf-16") else head
    text = (
        sample.decode(encoding, errors="ignore" if encoding == "utf-8" else "strict")
        if sample
        else ""
    )
    if _CONTROL.search(text):
        raise FileRejected(NOT_TEXT, name=name)
    return encoding


def _guess_encoding(handle: BinaryIO, head: bytes, name: str) -> str:
    if head.startswith(codecs.BOM_UTF8):
        if _decodes(handle, "utf-8"):
            return "utf-8-sig"
        # A program read the BOM as cp1252 text ('ï»¿') and saved the file as cp1252, which
        # kept the BOM's bytes before text that is not UTF-8. The header repair removes 'ï»¿'.
        return _single_byte(handle)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head.count(b"\x00") >= len(head) // 4:
        # UTF-16 without a BOM: ASCII text with every other byte zero.
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    if b"\x00" in head:
        raise FileRejected(NOT_TEXT, name=name)
    if _decodes(handle, "utf-8"):
        return "utf-8"
    return _single_byte(handle)


def _single_byte(handle: BinaryIO) -> str:
    return "cp1252" if _decodes(handle, "cp1252") else "latin-1"


def _decodes(handle: BinaryIO, encoding: str) -> bool:
    """Whether the whole stream decodes as ``encoding``, read a block at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    handle.seek(0)
    try:
        for block in iter(lambda: handle.read(1 << 20), b""):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    best, most = ",", 1
    for delimiter in DELIMITERS:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        if len(fields) > most:
            best, most = delimiter, len(fields)
    return best


@contextmanager
def _text(source: Source, encoding: str, skip: int = 0) -> Iterator[TextIO]:
    """The source as text from line ``skip``; a stream the caller gave is left open."""
    with opened(source) as handle:
        text = io.TextIOWrapper(handle, encoding=encoding, newline="")
        try:
            for _ in range(skip):
                text.readline()
            yield text
        finally:
            text.detach()


def _first_line(source: Source, encoding: str, skip: int = 0) -> str:
    """The line after ``skip`` lines, cut one character past the longest header."""
    with _text(source, encoding, skip) as text:
        return text.readline(MAX_HEADER_CHARS + 1).lstrip("\ufeff")


def _read_csv_arrow(source: Source, dialect: Dialect) -> pd.DataFrame | None:
    """The fast multi-threaded reader; None when the file needs the forgiving one.

    Blank lines come back as rows of empty cells, so row numbers stay the spreadsheet's. Rows
    with fewer or more cells than the header (hand-edited files) make it give up.
    """
    names = [str(i) for i in range(dialect.width)]
    try:
        with opened(source) as handle:
            table = pa_csv.read_csv(
                handle,
                read_options=pa_csv.ReadOptions(
                    column_names=names, encoding=dialect.encoding, skip_rows=dialect.skip
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=dialect.delimiter, newlines_in_values=True, ignore_empty_lines=False
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError, LookupError):
        return None
    return arrow_to_frame(table)


def _read_csv_pandas(
    source: Source, dialect: Dialect, name: str
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """pandas' C reader pads short rows; rows with more cells than the header fail alone.

    Only when a row is too long is the file read again, cut to the header's width, and the
    long rows looked at for cells that would be lost.
    """
    try:
        return _pandas_frame(source, dialect, name), []
    except pd.errors.ParserError as error:
        if not _TOO_MANY_FIELDS.search(str(error)):
            raise _unreadable(str(error), name) from None
    try:
        frame = _pandas_frame(source, dialect, name, cut=True)
    except pd.errors.ParserError as error:
        raise _unreadable(str(error), name) from None
    return frame, _extra_cells(source, dialect)


def _pandas_frame(source: Source, dialect: Dialect, name: str, cut: bool = False) -> pd.DataFrame:
    """The file through pandas; when ``cut``, cells past the header's width are left unread."""
    try:
        with opened(source) as handle:
            return pd.read_csv(
                handle,
                sep=dialect.delimiter,
                encoding=dialect.encoding,
                header=None,
                skiprows=dialect.skip,
                usecols=range(dialect.width) if cut else None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
                quoting=csv.QUOTE_MINIMAL,
            )
    except UnicodeError:
        raise FileRejected(NOT_DECODABLE, name=name, encoding=dialect.encoding) from None
    except pd.errors.EmptyDataError:
        raise FileRejected(FILE_EMPTY, file=file_label(name)) from None


def _extra_cells(source: Source, dialect: Dialect) -> list[RowProblem]:
    """A problem for each row whose cells past the header's are not all empty.

    One pass of the csv module, in C: ``tee`` gives each row twice, once to measure and once to
    keep, and ``compress`` passes on only the rows wider than the header.
    """
    # A cell may be as long as the file: the csv module's default limit (128 KiB) would stop
    # the read with its own error in the middle of a row.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
    with _text(source, dialect.encoding, dialect.skip) as text:
        rows, measured = itertools.tee(csv.reader(text, delimiter=dialect.delimiter))
        too_wide = map(dialect.width.__lt__, map(len, measured))
        wide = itertools.compress(enumerate(rows, start=1), too_wide)
        found = (_extra_cells_problem(row, cells, dialect) for row, cells in wide)
        return [problem for problem in found if problem is not None]


def _extra_cells_problem(row: int, cells: list[str], dialect: Dialect) -> RowProblem | None:
    extra = cells[dialect.width :]
    filled = [position for position, cell in enumerate(extra) if cell.strip()]
    if not filled:
        return None  # trailing delimiters: nothing was lost
    extra = extra[: filled[-1] + 1]
    value = dialect.delimiter.join(extra)
    if len(value) > SHOWN_VALUE:
        value = value[:SHOWN_VALUE] + "…"
    shown = DELIMITER_NAMES.get(dialect.delimiter, f"'{dialect.delimiter}'")
    return RowProblem(
        row,
        "",
        value,
        EXTRA_CELLS,
        {"cells": dialect.width + len(extra), "width": dialect.width, "delimiter": shown},
    )


def _unreadable(detail: str, name: str) -> FileRejected:
    # pandas says e.g. "Error tokenizing data. C error: Expected 11 fields in line 5, saw 12"
    if "Expected" in detail and "line" in detail:
        sentence = detail.split("C error: ")[-1].strip().rstrip(".")
        return FileRejected(UNQUOTED_DELIMITER, name=name, detail=sentence)
    return FileRejected(INVALID_CSV, name=name, detail=detail.strip())


def unescape_formulas(column: pd.Series) -> pd.Series:
    """Undo the apostrophe exports put before text a spreadsheet would run as a formula."""
    escaped = column.str.match("'" + FORMULA_START)
    if not escaped.any():
        return column
    return column.where(~escaped, column.str.slice(1))


# --- writing -------------------------------------------------------------------------------


def escape_formulas(column: pd.Series) -> pd.Series:
    """Prefix an apostrophe to text a spreadsheet would treat as a formula (CSV injection)."""
    column = column.astype(str)
    risky = column.str.match(FORMULA_START)
    return column.where(~risky, "'" + column)


def write_csv(frame: pd.DataFrame, path: Path, delimiter: str = ",") -> None:
    """UTF-8 with a BOM (so Excel reads accents right), CRLF, formula-safe."""
    safe = frame.apply(escape_formulas) if len(frame) else frame
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        safe.to_csv(
            handle, index=False, sep=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
        )
