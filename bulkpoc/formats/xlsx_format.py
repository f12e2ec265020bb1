"""Excel workbooks (.xlsx, .xlsm): detection, reading into a RawTable, and writing.

Reading: calamine through ``workbook`` (the archive inflated in a bounded stream first); error
cells (#N/A, #REF!), which calamine reads as blanks, are found by ``xlsx_cells``'s byte scan of
the sheet XML beside calamine's parse.

Writing: values are always text cells, which never run. openpyxl builds each workbook (styles,
dropdowns, instructions, frozen header); the data rows are streamed into the sheet XML a column
at a time, because writing a cell at a time is several times slower than the export target
allows. Every error file of a spreadsheet upload is written here, whatever the upload's format.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from bulkpoc.formats.base import Probe, RawTable, Source, WriteOptions
from bulkpoc.formats.workbook import Kind, read_workbook
from bulkpoc.formats.xlsx_cells import error_cells

if TYPE_CHECKING:  # openpyxl is imported by the writing functions only: reading needs none
    from openpyxl import Workbook

MAX_ROW = 1_048_576
HEADER_COLOUR = "1F4E79"
# How the File Type that covers every spreadsheet is offered: .xlsx, and what calamine also reads.
SPREADSHEET_CHOICE = "Spreadsheet (.xlsx, .xls, .ods)"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAIN_PARTS = ("spreadsheetml.sheet.main", "sheet.macroenabled.main", "spreadsheetml.template")


class XlsxFormat:
    """An Excel workbook: a zip archive of XML parts."""

    name = "xlsx"
    option = "xlsx"
    title = "Excel (.xlsx)"
    choice = SPREADSHEET_CHOICE
    description = "an Excel workbook (.xlsx)"
    extensions: tuple[str, ...] = (".xlsx", ".xlsm")
    styled = True
    kind = Kind(name, description, zipped=True)

    def detect(self, probe: Probe) -> bool:
        content_types = probe.text("content_types").lower()
        return probe.is_zip and (
            not probe.readable_zip  # damaged: read as a workbook, which says so
            or probe.has("workbook.xml")
            or any(part in content_types for part in _MAIN_PARTS)
        )

    def read(self, source: Source, name: str, sheet_names: tuple[str, ...] = ()) -> RawTable:
        return read_workbook(source, name, self.kind, sheet_names, error_cells)

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
    from openpyxl.utils import get_column_letter, quote_sheetname  # writing only: see above
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
    from openpyxl.utils import get_column_letter  # writing only, as write_xlsx says

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
    from openpyxl.utils import get_column_letter  # writing only, as write_xlsx says

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
