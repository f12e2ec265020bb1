"""Excel workbooks (.xlsx): detection, reading into a RawTable, and writing.

Reading: calamine, after a zip-bomb check; error cells (#N/A, #REF!), which calamine reads as
blanks, are found by a byte scan of the sheet XML beside calamine's parse.

Writing: values are always text cells, which never run. openpyxl builds each workbook (styles,
dropdowns, instructions, frozen header); the data rows are streamed into the sheet XML a column
at a time, because writing a cell at a time is several times slower than the export target
allows.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
from python_calamine import CalamineError, load_workbook

from bulkpoc.catalogue import DAMAGED_WORKBOOK, EMPTY_WORKSHEET, NO_WORKSHEETS
from bulkpoc.errors import FileRejected
from bulkpoc.formats import archive
from bulkpoc.formats.base import RawTable, Source, WriteOptions, arrow_to_frame, opened

if TYPE_CHECKING:
    from openpyxl import Workbook

ZIP_MAGIC = b"PK\x03\x04"
MAX_ROW = 1_048_576
HEADER_COLOUR = "1F4E79"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class XlsxFormat:
    """An Excel workbook: a zip archive of XML parts."""

    name = "xlsx"
    title = "Excel (.xlsx)"
    description = "an Excel workbook (.xlsx)"
    extensions: tuple[str, ...] = (".xlsx",)
    styled = True

    def detect(self, head: bytes) -> bool:
        return head.startswith(ZIP_MAGIC)

    def read(self, source: Source, name: str, sheet_names: tuple[str, ...] = ()) -> RawTable:
        return read_xlsx(source, name, sheet_names)

    def write(self, frame: pd.DataFrame, path: Path, options: WriteOptions) -> None:
        write_xlsx(
            frame,
            path,
            options.title,
            text_columns=options.text_columns,
            dropdowns=options.dropdowns,
            instructions=list(options.instructions),
        )

    def write_errors(self, frame: pd.DataFrame, path: Path, raw: RawTable) -> None:
        write_xlsx(frame, path, raw.sheet or "Errors", text_columns=tuple(frame.columns))


XLSX = XlsxFormat()


# --- reading -------------------------------------------------------------------------------


def _sheet_key(name: str) -> str:
    return "".join(name.lower().split()).replace("-", "").replace("_", "")


def read_xlsx(source: Source, name: str, sheet_names: tuple[str, ...] = ()) -> RawTable:
    """The sheet named like the record type (else the first) as text; the header is row 1."""
    archive.check_inflated(source, name, archive.members(source, name))
    try:
        with opened(source) as handle:
            workbook = load_workbook(handle)  # reads the whole stream
        sheets = workbook.sheet_names
        if not sheets:
            raise FileRejected(NO_WORKSHEETS, name=name)
        chosen = next((sheet for sheet in sheets if _sheet_key(sheet) in sheet_names), sheets[0])
        # The error-cell scan inflates the sheet XML; it runs beside calamine's parse.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulkpoc-scan") as pool:
            scanning = pool.submit(error_cells, source, sheets.index(chosen))
            cells = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
            errors = scanning.result()
    except CalamineError as error:
        raise FileRejected(DAMAGED_WORKBOOK, name=name, detail=error) from None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
        raise FileRejected(DAMAGED_WORKBOOK, name=name, detail=error) from None
    if not cells:
        raise FileRejected(EMPTY_WORKSHEET, sheet=chosen, name=name)
    headers = [cell_text(value) for value in cells[0]]
    width = len(headers)
    body = cells[1:]
    # numpy transposes rows to columns, and pyarrow reads object arrays, faster than tuples.
    grid = np.array(body, dtype=object).reshape(len(body), width)
    table = pa.table(
        [_column_text(grid[:, i]) for i in range(width)], names=[str(i) for i in range(width)]
    )
    frame = arrow_to_frame(table)
    rows = pd.Series(frame.index + 2, index=frame.index)
    return RawTable(headers, frame, rows, "xlsx", sheet=chosen, cell_errors=errors)


_WORKSHEET = re.compile(rb"<([\w.-]+:)?worksheet\b")
_CELL_REF = re.compile(rb"\br=[\"']([A-Z]+)(\d+)[\"']")
_SHEET = re.compile(r"<(?:[\w.-]+:)?sheet\b[^>]*?\s[\w.-]+:id=[\"']([^\"']+)[\"']")
_RELATIONSHIP = re.compile(r"<(?:[\w.-]+:)?Relationship\b[^>]*>")
_REL_ID = re.compile(r"\sId=[\"']([^\"']+)[\"']")
_REL_TARGET = re.compile(r"\sTarget=[\"']([^\"']+)[\"']")


def error_cells(source: Source, sheet_index: int) -> list[tuple[int, int, str]]:
    """(row, column position, error text) of every error cell (#N/A, #REF!…) of a worksheet.

    calamine reads them as empty cells; a VLOOKUP that found nothing must not become a blank.
    A byte search finds whether there are any; only then are they located.
    """
    with opened(source) as handle, zipfile.ZipFile(handle) as archive:
        member = _worksheet_member(archive, sheet_index)
        xml = archive.read(member) if member else b""
    if b't="e"' not in xml and b"t='e'" not in xml:
        return []
    cell, value_of = _cell_patterns(xml)
    found = []
    for match in cell.finditer(xml):
        ref, value = _CELL_REF.search(match[0]), value_of.search(match[0])
        if ref:
            column = 0
            for letter in ref[1].decode():
                column = column * 26 + ord(letter) - 64
            found.append((int(ref[2]), column - 1, value[1].decode() if value else "#ERROR"))
    return found


def _cell_patterns(xml: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Patterns for an error cell and a cell's value, with the sheet's namespace prefix if any.

    Some generators prefix every element (``<x:c r="B2" t="e"><x:v>#N/A</x:v></x:c>``, as
    .NET's Open XML SDK writes); the prefix is read from the root element and matched
    literally, which keeps the scan fast. An error cell may have no value (``<c t="e"/>``)
    and must then not run on into the next cell.
    """
    root = _WORKSHEET.search(xml)
    prefix = re.escape(root[1]) if root and root[1] else b""
    cell = re.compile(
        rb"<" + prefix + rb"c\s[^>]*?\bt=[\"']e[\"'][^>]*?(?:/>|>.*?</" + prefix + rb"c>)",
        re.DOTALL,
    )
    return cell, re.compile(rb"<" + prefix + rb"v>([^<]*)</" + prefix + rb"v>")


def _worksheet_member(archive: zipfile.ZipFile, sheet_index: int) -> str | None:
    """The zip member of the n-th worksheet, following workbook.xml and its relationships."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    sheets = _SHEET.findall(workbook)
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets: dict[str, str] = {}
    for tag in _RELATIONSHIP.findall(rels):
        rel_id, target = _REL_ID.search(tag), _REL_TARGET.search(tag)
        if rel_id and target:
            targets[rel_id[1]] = target[1]
    if sheet_index >= len(sheets) or sheets[sheet_index] not in targets:
        return None
    path = targets[sheets[sheet_index]]
    return path.lstrip("/") if path.startswith("/") else "xl/" + path


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


# --- writing -------------------------------------------------------------------------------


def _column_width(header: str, values: pd.Series) -> float:
    longest = int(values.head(1000).str.len().max()) if len(values) else 0
    return float(min(max(len(header), longest, 10) + 2, 60))


def write_xlsx(
    frame: pd.DataFrame,
    path: Path,
    sheet_title: str,
    text_columns: tuple[str, ...] = (),
    dropdowns: dict[str, list[str]] | None = None,
    instructions: list[str] | None = None,
) -> None:
    """A workbook whose first sheet holds ``frame`` as text cells under a frozen, styled header.

    openpyxl is imported here, by the writing functions only: reading (and so a CSV import)
    does without it.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    headers = list(frame.columns)
    sheet.append(headers)
    for position, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=position)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", start_color=HEADER_COLOUR)
        cell.alignment = Alignment(vertical="center")
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = _column_width(header, frame.iloc[:, position - 1])
        if header in text_columns:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    if dropdowns:
        _add_dropdowns(workbook, sheet, headers, dropdowns)
    if instructions:
        notes = workbook.create_sheet("Instructions")
        notes.column_dimensions["A"].width = 110
        notes.append(["How to fill in this file"])
        notes["A1"].font = Font(bold=True, size=13)
        for line in instructions:
            notes.append([line])
            notes.cell(row=notes.max_row, column=1).alignment = Alignment(wrap_text=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    _splice_rows(buffer, path, frame)


def _add_dropdowns(
    workbook: Workbook, sheet, headers: list[str], dropdowns: dict[str, list[str]]
) -> None:
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = workbook.create_sheet("Lists")
    lists.sheet_state = "hidden"
    for position, (header, options) in enumerate(dropdowns.items(), start=1):
        if header not in headers:
            continue
        letter = get_column_letter(position)
        lists.cell(row=1, column=position, value=header)
        for row, option in enumerate(options, start=2):
            lists.cell(row=row, column=position, value=option).data_type = "s"
        last = max(len(options) + 1, 2)
        source = f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${last}"
        target = get_column_letter(headers.index(header) + 1)
        validation = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=header,
            error=f"Choose a value from the list for {header}.",
        )
        validation.add(f"{target}2:{target}{MAX_ROW}")
        sheet.add_data_validation(validation)


def _xml_text(column: pd.Series) -> pd.Series:
    text = column.astype(str)
    if text.str.contains(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", regex=True).any():
        text = text.map(lambda value: _ILLEGAL_XML.sub("", value))
    return (
        text.str.replace("&", "&amp;", regex=False)
        .str.replace("<", "&lt;", regex=False)
        .str.replace(">", "&gt;", regex=False)
    )


def _rows_xml(frame: pd.DataFrame) -> str:
    """``<row>`` elements for every data row, built column by column."""
    from openpyxl.utils import get_column_letter

    if frame.empty:
        return ""
    numbers = pd.Series(range(2, len(frame) + 2), index=frame.index).astype(str)
    row_xml = '<row r="' + numbers + '">'
    for position in range(1, frame.shape[1] + 1):
        text = _xml_text(frame.iloc[:, position - 1])  # by position: headers may repeat
        letter = get_column_letter(position)
        cell = (
            '<c r="'
            + letter
            + numbers
            + '" t="inlineStr"><is><t xml:space="preserve">'
            + text
            + "</t></is></c>"
        )
        row_xml = row_xml + cell.where(text != "", "")
    return "".join((row_xml + "</row>").tolist())


def _splice_rows(buffer: io.BytesIO, path: Path, frame: pd.DataFrame) -> None:
    """Copy the openpyxl package to ``path`` with the data rows added to the first sheet."""
    from openpyxl.utils import get_column_letter

    rows = _rows_xml(frame)
    last_column = get_column_letter(max(len(frame.columns), 1))
    buffer.seek(0)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        with (
            zipfile.ZipFile(buffer) as source,
            zipfile.ZipFile(tmp_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
        ):
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml" and rows:
                    xml = data.decode("utf-8")
                    xml = re.sub(
                        r'<dimension ref="[^"]*"\s*/>',
                        f'<dimension ref="A1:{last_column}{len(frame) + 1}"/>',
                        xml,
                        count=1,
                    )
                    xml = xml.replace("</sheetData>", rows + "</sheetData>", 1)
                    data = xml.encode("utf-8")
                target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        shutil.move(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
