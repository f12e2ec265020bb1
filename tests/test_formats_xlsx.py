"""Excel workbooks: typed cells as text, sheets, damaged archives, error cells and streams."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Font

from bulkpoc.batch.read import read_file
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.domain.parsers import parse_yes_no
from bulkpoc.formats.xlsx_format import write_xlsx
from tests.conftest import POC_HEADERS as ALL_HEADERS
from tests.conftest import errors, flatten, poc, workbook_bytes, write_bytes
from tests.test_formats_csv import PHONE_ROW, POC_HEADERS, cells


def error_workbook(headers: list[str], rows: list[list[object]]) -> bytes:
    """A one-sheet workbook in which cells such as "#N/A" are error cells, as a formula leaves."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for cell in (cell for line in sheet.iter_rows(min_row=2) for cell in line):
        if isinstance(cell.value, str) and cell.value.startswith("#"):
            cell.data_type = "e"
    return workbook_bytes(workbook)


def with_prefixed_elements(content: bytes) -> bytes:
    """The workbook as .NET's Open XML SDK writes it: ``<x:c r="B2" t="e"><x:v>#N/A</x:v>``.

    Every element of the sheet, the workbook and its relationships gets a namespace prefix, and
    the relationship attribute's prefix is not ``r``: the same document to an XML parser.
    """
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            xml = source.read(member)
            prefix = {
                "xl/worksheets/sheet1.xml": b"x",
                "xl/workbook.xml": b"x",
                "xl/_rels/workbook.xml.rels": b"pr",
            }.get(member.filename)
            if prefix:
                xml = re.sub(rb"<(/?)([A-Za-z]+)(?=[\s/>])", rb"<\1" + prefix + rb":\2", xml)
                xml = xml.replace(b' xmlns="', b" xmlns:" + prefix + b'="', 1)
                xml = xml.replace(b"xmlns:r=", b"xmlns:ns1=").replace(b" r:id=", b" ns1:id=")
            target.writestr(member, xml)
    return buffer.getvalue()


# --- reading ---------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_booleans_read_as_the_text_a_user_typed(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Point of Contact", "Last Modified", "Day", "Active", "Time"])
    sheet["A2"] = "Main Line"
    sheet["B2"] = 2025550102
    sheet["C2"] = dt.datetime(2024, 1, 15, 13, 45, 30)
    sheet["D2"] = dt.date(2024, 1, 15)
    sheet["E2"] = True
    sheet["F2"] = dt.time(8, 30)
    sheet["A3"] = "Toll Free"
    sheet["B3"] = 18005551234.0
    sheet["E3"] = False
    sheet["F3"] = 2.5
    path = write_bytes(tmp_path / "types.xlsx", workbook_bytes(workbook))
    table = read_file(path, "xlsx")
    assert table.file_type == "xlsx"
    assert table.headers == ["Name", "Point of Contact", "Last Modified", "Day", "Active", "Time"]
    assert cells(table) == [
        ["Main Line", "2025550102", "2024-01-15 13:45:30", "2024-01-15", "TRUE", "08:30:00"],
        ["Toll Free", "18005551234", "", "", "FALSE", "2.5"],
    ]
    # Boolean cells mean Y/N to the validator.
    assert parse_yes_no(table.data[4], "Active").values.tolist() == [True, False]


def test_xlsx_trailing_and_middle_empty_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Media Type"])
    sheet.append(["A", "Chat"])
    sheet["A4"] = "B"
    sheet["B4"] = "Email"
    sheet["A5"] = "   "  # whitespace only counts as empty
    sheet.cell(row=3000, column=2, value="")
    sheet.cell(row=5000, column=1, value=None)
    sheet.cell(row=6000, column=5).font = Font(bold=True)  # a formatted, empty cell far away
    path = write_bytes(tmp_path / "trailing.xlsx", workbook_bytes(workbook))
    table = read_file(path, "xlsx")
    assert table.headers == ["Name", "Media Type"]
    assert cells(table) == [["A", "Chat"], ["B", "Email"]]
    assert table.rows.tolist() == [2, 4]


def test_xlsx_sheet_named_like_the_record_type_is_chosen(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    instructions = workbook.active
    instructions.title = "Instructions"
    instructions.append(["Read me first"])
    instructions.append(["Fill in the next sheet"])
    data = workbook.create_sheet("Points of Contact")
    data.append(["Name", "Media Type"])
    data.append(["Main Line", "Phone Call"])
    path = write_bytes(tmp_path / "book.xlsx", workbook_bytes(workbook))

    chosen = read_file(path, "xlsx", sheet_names=("pointsofcontact",))
    assert chosen.sheet == "Points of Contact"
    assert chosen.headers == ["Name", "Media Type"]
    assert cells(chosen) == [["Main Line", "Phone Call"]]

    first = read_file(path, "xlsx", sheet_names=("skills",))
    assert first.sheet == "Instructions"
    assert first.headers == ["Read me first"]
    assert read_file(path, "xlsx").sheet == "Instructions"


def test_damaged_zip_declared_xlsx_is_rejected(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "damaged.xlsx", b"PK\x03\x04" + b"not really a zip" * 20)
    with pytest.raises(FileRejected, match=r"damaged\.xlsx"):
        read_file(path, "xlsx")


def test_truncated_workbook_is_rejected(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name"])
    content = workbook_bytes(workbook)
    path = write_bytes(tmp_path / "cut.xlsx", content[: len(content) // 2])
    with pytest.raises(FileRejected, match=r"cut\.xlsx"):
        read_file(path, "xlsx")


def test_zip_that_is_not_a_workbook_is_rejected(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    path = write_bytes(tmp_path / "notes.xlsx", buffer.getvalue())
    with pytest.raises(FileRejected, match=r"notes\.xlsx"):
        read_file(path, "xlsx")


def test_a_stream_reads_exactly_as_the_file_does(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Points of Contact"
    workbook.active.append(POC_HEADERS)
    workbook.active.append(PHONE_ROW)
    workbook.active.append(["#N/A", "", "Looked Up", "Phone Call", 2025550101, "", ""])
    workbook.active["A3"].data_type = "e"
    content = workbook_bytes(workbook)
    from_path = read_file(write_bytes(tmp_path / "pocs.xlsx", content), "xlsx")
    stream = io.BytesIO(content)
    stream.seek(0, io.SEEK_END)
    from_stream = read_file(stream, "xlsx", ("pointsofcontact",))
    assert (from_stream.file_type, from_stream.sheet) == ("xlsx", "Points of Contact")
    assert from_stream.headers == from_path.headers == POC_HEADERS
    assert cells(from_stream) == cells(from_path)
    assert cells(from_stream)[1][4] == "2025550101"
    assert from_stream.cell_errors == from_path.cell_errors == [(3, 0, "#N/A")]
    assert not stream.closed


def test_a_damaged_stream_is_called_the_upload() -> None:
    with pytest.raises(FileRejected, match=r"^the upload is damaged: it is a zip archive"):
        read_file(io.BytesIO(b"PK\x03\x04" + b"not really a zip" * 20), "xlsx")


# --- error cells -----------------------------------------------------------------------------


def test_error_cells_are_found_on_the_sheet_that_is_read(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Instructions"
    workbook.active["A1"] = "#REF!"  # an error on another sheet is none of our business
    sheet = workbook.create_sheet("Points of Contact")
    sheet.append(POC_HEADERS)
    sheet.append(PHONE_ROW)
    sheet.append(["#N/A", "", "Looked Up", "Phone Call", "#REF!", "Sales Calls", "Main IVR"])
    path = tmp_path / "errors.xlsx"
    workbook.save(path)
    table = read_file(path, "xlsx", ("pointsofcontact",))
    assert table.sheet == "Points of Contact"
    # calamine reads error cells as blanks; the reader reports them so they are not imported
    assert table.data.iloc[1, 0] == ""
    assert sorted(table.cell_errors) == [(3, 0, "#N/A"), (3, 4, "#REF!")]


def test_a_row_with_an_error_cell_fails_instead_of_being_read_as_blank(run, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(ALL_HEADERS)
    sheet.append(["", "", "Looked Up", "Phone Call", "+12025550100", "#N/A", "Main IVR"])
    path = tmp_path / "vlookup.xlsx"
    workbook.save(path)
    result = run(path)
    assert ["Skill", "spreadsheet_error"] in flatten(result.errors, ("column", "code"))
    assert result.counts.created == 0
    assert "#N/A" in result.errors[0].message + result.errors[-1].message


def test_an_error_cell_after_a_dropped_empty_column_fails_its_own_column(
    run, tmp_path: Path
) -> None:
    """The unnamed empty column is dropped; the #N/A must stay on Skill, not move or vanish."""
    skill = ALL_HEADERS.index("Skill")
    headers = [*ALL_HEADERS[:skill], "", *ALL_HEADERS[skill:]]
    row = poc(Skill="#N/A")
    content = error_workbook(headers, [[row.get(header, "") for header in headers]])
    result = run(write_bytes(tmp_path / "gap.xlsx", content))
    assert [2, "Skill", "spreadsheet_error"] in errors(result)
    assert {column for _, column, _ in errors(result)} == {"Skill"}
    assert result.counts.created == 0


def test_error_cells_alone_keep_their_row_and_their_unnamed_column() -> None:
    """A row or an unnamed column holding nothing but error cells is not empty."""
    content = error_workbook(
        ["Name", "", "", "Skill"],
        [["A", "", "", ""], ["", "", "", "#N/A"], ["", "", "#REF!", ""], ["B", "", "", ""]],
    )
    table = read_file(io.BytesIO(content), "xlsx")
    assert table.headers == ["Name", "", "Skill"]  # the first unnamed column was empty
    assert table.rows.tolist() == [2, 3, 4, 5]
    assert sorted(table.cell_errors) == [(3, 2, "#N/A"), (4, 1, "#REF!")]


def test_a_filled_down_error_cell_fails_every_row_once(run, tmp_path: Path) -> None:
    """A #N/A filled down a column fails each of its rows once, on its own column.

    How fast (one check per column and error text, not per cell) is measured by
    benchmarks/error_cells.py, not timed here.
    """
    count = 4000
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(ALL_HEADERS)
    skill = ALL_HEADERS.index("Skill")
    for i in range(count):
        row = poc(Name=f"Queue {i}", Media_Type="Email", Point_of_Contact=f"q{i}@example.com")
        cells_of_row: list[object] = [row.get(header, "") for header in ALL_HEADERS]
        error = openpyxl.cell.WriteOnlyCell(sheet, value="#N/A")
        error.data_type = "e"
        cells_of_row[skill] = error
        sheet.append(cells_of_row)
    path = tmp_path / "filled-down.xlsx"
    workbook.save(path)
    result = run(path)
    spreadsheet = [error for error in result.errors if error.code == "spreadsheet_error"]
    assert len(spreadsheet) == count
    assert {(error.column, error.value) for error in spreadsheet} == {("Skill", "#N/A")}
    assert sorted(error.row for error in spreadsheet) == list(range(2, count + 2))


def test_error_cells_are_found_when_the_xml_uses_a_namespace_prefix() -> None:
    rows = [PHONE_ROW, ["#N/A", "", "Looked Up", "Phone Call", "#REF!", "Sales Calls", "Main IVR"]]
    content = with_prefixed_elements(error_workbook(POC_HEADERS, rows))
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b'<x:c r="A3" t="e"><x:v>#N/A</x:v></x:c>' in sheet_xml
    table = read_file(io.BytesIO(content), "xlsx")
    assert table.headers == POC_HEADERS  # calamine reads the prefixed document
    assert cells(table)[0] == PHONE_ROW
    assert sorted(table.cell_errors) == [(3, 0, "#N/A"), (3, 4, "#REF!")]


def test_an_error_cell_without_a_value_does_not_swallow_the_next_cell() -> None:
    content = error_workbook(["Name", "Count", "Script"], [["#N/A", 5, "#REF!"]])
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for member in source.infolist():
            xml = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                xml = xml.replace(b'<c r="A2" t="e"><v>#N/A</v></c>', b'<c r="A2" t="e"/>')
            target.writestr(member, xml)
    table = read_file(io.BytesIO(buffer.getvalue()), "xlsx")
    assert cells(table) == [["", "5", ""]]
    assert sorted(table.cell_errors) == [(2, 0, "#ERROR"), (2, 2, "#REF!")]


# --- writing ---------------------------------------------------------------------------------


def test_write_xlsx_writes_text_cells_that_read_back_as_written(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Name": ["<b>Sales & Co</b>", "=1+1", "tab\there", "bell\x07gone"],
            "Point of Contact": ["00123", "+12025550100", "", "1.5E+10"],
        }
    )
    path = tmp_path / "export.xlsx"
    write_xlsx(frame, path, "Points of Contact", text_columns=("Point of Contact",))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet.title == "Points of Contact"
    assert sheet.freeze_panes == "A2"
    data = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value]
    assert {cell.data_type for cell in data} == {"s"}  # text, never a formula or a number
    table = read_file(path, "xlsx")
    assert cells(table) == [
        ["<b>Sales & Co</b>", "00123"],
        ["=1+1", "+12025550100"],
        ["tab\there", ""],
        ["bellgone", "1.5E+10"],  # characters XML cannot hold are dropped
    ]


def test_write_xlsx_declares_the_rows_it_holds(tmp_path: Path) -> None:
    """Readers that trust the sheet's dimension (openpyxl read-only) see every row."""
    frame = pd.DataFrame({"Name": ["a", "b", "c"], "Active": ["Y", "N", "Y"]})
    path = tmp_path / "export.xlsx"
    write_xlsx(frame, path, "Skills")
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    assert sheet.calculate_dimension() == "A1:B4"
    assert len(list(sheet.iter_rows(values_only=True))) == 4
