"""Templates, exports and error files, in CSV or XLSX.

CSV values that a spreadsheet would run as a formula are prefixed with an apostrophe, which
``read`` strips again, so an export uploaded unchanged imports with zero changes. XLSX values are
always written as text cells, which never run. openpyxl builds each workbook (styles, dropdowns,
instructions, frozen header); the data rows are streamed into the sheet XML a column at a time,
because writing a cell at a time is several times slower than the export target allows.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from bulkpoc.fields import MEDIA_TYPES
from bulkpoc.read import FORMULA_START
from bulkpoc.records.base import ROW_CHANGED, RecordType
from bulkpoc.records.text import records_as_text
from bulkpoc.snapshot import load_references, load_snapshot
from bulkpoc.store.db import Store

MAX_ROW = 1_048_576
GENERAL_INSTRUCTIONS = (
    "Headers match whatever their case or spacing; column order is free.",
    "Upload this sheet as Excel (.xlsx), or save it as CSV and upload it as Text (.csv).",
    "An Error column (as in the error file of a failed upload) is ignored, so a fixed error "
    "file can be uploaded as it is.",
)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --- frames --------------------------------------------------------------------------------


def export_frame(store: Store, rtype: RecordType) -> pd.DataFrame:
    """Every record of ``rtype`` as the text a file would hold, columns named by header."""
    with store.engine.connect() as connection:
        snapshot = load_snapshot(store, rtype, connection)
    frame = records_as_text(rtype, snapshot.refs, snapshot.existing.sort_index())
    frame.insert(1, ROW_CHANGED, "")
    return frame[rtype.headers].reset_index(drop=True)


def template_frame(rtype: RecordType) -> pd.DataFrame:
    return pd.DataFrame(columns=rtype.headers, dtype=str)


# --- CSV -----------------------------------------------------------------------------------


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


# --- XLSX ----------------------------------------------------------------------------------


HEADER_FILL = PatternFill("solid", start_color="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")


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
    """A workbook whose first sheet holds ``frame`` as text cells under a frozen, styled header."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    headers = list(frame.columns)
    sheet.append(headers)
    for position, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=position)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = _column_width(header, frame[header])
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
    if frame.empty:
        return ""
    numbers = pd.Series(range(2, len(frame) + 2), index=frame.index).astype(str)
    row_xml = '<row r="' + numbers + '">'
    for position, header in enumerate(frame.columns, start=1):
        text = _xml_text(frame[header])
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
                        r'<dimension ref="[^"]*"/>',
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


# --- what the CLI and the web UI call ---------------------------------------------------------


def _dropdowns(store: Store, rtype: RecordType) -> dict[str, list[str]]:
    yes_no = ["Y", "N"]
    lists: dict[str, list[str]] = {ROW_CHANGED: yes_no}
    with store.engine.connect() as connection:
        references = load_references(store, rtype, connection)
    for field in rtype.fields:
        if field.kind == "yes_no":
            lists[field.header] = yes_no
        elif field.kind == "media_type":
            lists[field.header] = list(MEDIA_TYPES)
        elif field.kind == "ref":
            names = references[field.ref or ""]
            if "active" in names:
                names = names.sort_values(["active", "name"], ascending=[False, True])
            else:
                names = names.sort_values("name")
            lists[field.header] = names["name"].tolist()
    return lists


def _text_columns(rtype: RecordType) -> tuple[str, ...]:
    return tuple(
        f.header for f in (rtype.key, *rtype.fields) if f.kind in {"address", "phone", "id"}
    )


def write_records(
    store: Store, rtype: RecordType, file_format: str, path: Path, template: bool
) -> int:
    """Write the template (headers only) or the export of every record; returns rows written."""
    frame = template_frame(rtype) if template else export_frame(store, rtype)
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "csv":
        write_csv(frame, path)
    else:
        write_xlsx(
            frame,
            path,
            rtype.plural,
            text_columns=_text_columns(rtype),
            dropdowns=_dropdowns(store, rtype),
            instructions=[*rtype.instructions, *GENERAL_INSTRUCTIONS],
        )
    return len(frame)
