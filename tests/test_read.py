"""Reading uploaded files: encodings, delimiters, Excel damage and files that must be refused."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import struct
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Font

from bulkpoc import read as read_module
from bulkpoc.errors import FileRejected
from bulkpoc.fields import parse_yes_no
from bulkpoc.read import RawTable, read_file
from bulkpoc.write import write_csv

FILES = Path(__file__).parent / "files"
POC_HEADERS = [
    "Point of Contact ID",
    "Row Changed",
    "Name",
    "Media Type",
    "Point of Contact",
    "Skill",
    "Script",
]
CHAT_ROW = ["", "Y", "Chat en Español", "Chat", "", "Web Chat", "Chat Flow"]
PHONE_ROW = ["", "Y", "Main Line", "Phone Call", "+12025550100", "Sales Calls", "Main IVR"]


def cells(table: RawTable) -> list[list[str]]:
    """The table's data as plain lists of text."""
    return table.data.to_numpy().tolist()


def write_bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- CSV encodings and delimiters ------------------------------------------------------------


def test_utf8_without_bom(tmp_path: Path) -> None:
    text = "Name,Media Type\nChat en Español,Chat\n"
    table = read_file(write_bytes(tmp_path / "plain.csv", text.encode()), "csv")
    assert table.headers == ["Name", "Media Type"]
    assert cells(table) == [["Chat en Español", "Chat"]]
    assert table.rows.tolist() == [2]
    assert (table.file_type, table.delimiter, table.encoding) == ("csv", ",", "utf-8")


def test_utf8_with_bom_does_not_leak_into_the_first_header() -> None:
    path = FILES / "pocs-utf8-bom.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = read_file(path, "csv")
    assert table.headers == POC_HEADERS
    assert cells(table) == [CHAT_ROW, PHONE_ROW]
    assert table.rows.tolist() == [2, 3]
    assert table.encoding == "utf-8"


def test_cp1252_from_excel_keeps_accents_and_the_euro_sign() -> None:
    path = FILES / "pocs-cp1252.csv"
    raw = path.read_bytes()
    assert b"Espa\xf1ol" in raw  # really cp1252, not UTF-8
    assert b"\x80" in raw
    table = read_file(path, "csv")
    assert table.encoding == "cp1252"
    assert table.headers == POC_HEADERS
    assert cells(table)[0][2] == "Chat en Español"
    assert cells(table)[1][2] == "Soporte €"
    assert table.rows.tolist() == [2, 3]


def test_latin1_text_that_is_not_cp1252_is_still_read(tmp_path: Path) -> None:
    # 0x81 is undefined in cp1252, so only Latin-1 decodes this file.
    path = write_bytes(tmp_path / "latin1.csv", b"Name,Note\nCaf\xe9,x\x81y\n")
    table = read_file(path, "csv")
    assert cells(table) == [["Café", "x\x81y"]]


def test_utf16_unicode_text_from_excel_with_bom_and_tabs() -> None:
    path = FILES / "pocs-utf16.txt"
    assert path.read_bytes().startswith(b"\xff\xfe")
    table = read_file(path, "csv")
    assert table.delimiter == "\t"
    assert table.encoding.startswith("utf-16")
    assert table.headers == POC_HEADERS
    assert cells(table) == [CHAT_ROW, PHONE_ROW]
    assert table.rows.tolist() == [2, 3]


def test_utf16_without_bom() -> None:
    path = FILES / "pocs-utf16-nobom.txt"
    assert not path.read_bytes().startswith((b"\xff\xfe", b"\xfe\xff"))
    table = read_file(path, "csv")
    assert table.encoding == "utf-16-le"
    assert table.headers == POC_HEADERS
    assert cells(table) == [CHAT_ROW, PHONE_ROW]


def test_utf16_big_endian_without_bom(tmp_path: Path) -> None:
    text = "Name\tMedia Type\r\nChat en Español\tChat\r\n"
    path = write_bytes(tmp_path / "be.txt", text.encode("utf-16-be"))
    table = read_file(path, "csv")
    assert table.headers == ["Name", "Media Type"]
    assert cells(table) == [["Chat en Español", "Chat"]]


def test_semicolons_from_european_excel_and_libreoffice_trailing_rows_are_dropped() -> None:
    table = read_file(FILES / "pocs-semicolon.csv", "csv")
    assert table.delimiter == ";"
    assert table.headers == POC_HEADERS
    quoted_row = [*PHONE_ROW[:2], "Sales; East", *PHONE_ROW[3:]]
    assert cells(table) == [CHAT_ROW, quoted_row]
    assert table.rows.tolist() == [2, 3]


def test_tab_delimited_utf8() -> None:
    table = read_file(FILES / "pocs-tab.txt", "csv")
    assert table.delimiter == "\t"
    assert table.headers == POC_HEADERS
    assert cells(table) == [CHAT_ROW, PHONE_ROW]


def test_pipe_delimited(tmp_path: Path) -> None:
    table = read_file(write_bytes(tmp_path / "pipe.csv", b"Name|Note\nA|b,c\n"), "csv")
    assert table.delimiter == "|"
    assert cells(table) == [["A", "b,c"]]


def test_quoted_delimiter_and_multiline_cell_keep_spreadsheet_row_numbers() -> None:
    table = read_file(FILES / "pocs-quoted.csv", "csv")
    assert table.headers == POC_HEADERS
    names = table.data[2].tolist()
    assert names == ["Sales, East", "Line one\r\nline two", "Support"]
    # The multi-line cell is one spreadsheet row, so Support is row 4 (not line 5 of the file).
    assert table.rows.tolist() == [2, 3, 4]


def test_blank_rows_in_the_middle_are_dropped_but_later_rows_keep_their_number(
    tmp_path: Path,
) -> None:
    path = write_bytes(tmp_path / "gaps.csv", b"Name,Media Type\nA,Chat\n\n,\n  ,  \nB,Email\n\n\n")
    table = read_file(path, "csv")
    assert cells(table) == [["A", "Chat"], ["B", "Email"]]
    assert table.rows.tolist() == [2, 6]


def test_trailing_delimiters_do_not_become_an_unnamed_column(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "trailing.csv", b"Name;Media Type;\nA;Chat;\n;;\n")
    table = read_file(path, "csv")
    assert table.headers == ["Name", "Media Type"]
    assert cells(table) == [["A", "Chat"]]


def test_cells_are_text_exactly_as_typed(tmp_path: Path) -> None:
    """No NA guessing, no number conversion, no trimming: later stages decide."""
    content = b"Name,Point of Contact,Note\nNA,00123,null\nN/A,2025550100, padded \n"
    table = read_file(write_bytes(tmp_path / "text.csv", content), "csv")
    assert cells(table) == [["NA", "00123", "null"], ["N/A", "2025550100", " padded "]]
    assert all(isinstance(value, str) for row in cells(table) for value in row)


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    table = read_file(write_bytes(tmp_path / "template.csv", b"Name,Media Type\r\n"), "csv")
    assert table.headers == ["Name", "Media Type"]
    assert table.data.empty
    assert table.rows.tolist() == []


def test_file_type_is_detected_when_not_declared() -> None:
    assert read_file(FILES / "pocs-tab.txt").file_type == "csv"


# --- CSV problems ------------------------------------------------------------------------------


def test_row_with_more_fields_than_the_header_names_the_line() -> None:
    with pytest.raises(FileRejected, match=r"line 3") as caught:
        read_file(FILES / "pocs-extra-field.csv", "csv")
    assert "double quotes" in str(caught.value)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="empty"):
        read_file(write_bytes(tmp_path / "empty.csv", b""), "csv")


def test_first_line_blank_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="first line"):
        read_file(write_bytes(tmp_path / "blank.csv", b"\r\nName,Media Type\r\nA,Chat\r\n"), "csv")


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="does not exist"):
        read_file(tmp_path / "nowhere.csv", "csv")


def _sqlite_database(tmp_path: Path) -> bytes:
    database = tmp_path / "contacts.db"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE t (a)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    connection.close()
    return database.read_bytes()


BINARY_GARBAGE = {
    "every-byte-value": bytes(range(256)) * 16,
    # Packed integers: half the bytes are zero, which looks like UTF-16 to a naive check.
    "packed-integers": b"".join(struct.pack("<I", number) for number in range(2000)),
    "windows-executable": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"
    + b"\x00" * 200
    + b"This program cannot be run in DOS mode.\r\r\n$"
    + b"\x00" * 300,
    # Looks like UTF-16 (many zero bytes) but holds an unpaired surrogate, so cannot be decoded.
    "broken-utf16": b"AB" + b"\x00\x00" * 10 + b"\xd8\x00\x00A" + b"\x00" * 20,
}


@pytest.mark.parametrize("kind", [*BINARY_GARBAGE, "sqlite-database"])
def test_binary_garbage_declared_csv_is_rejected(tmp_path: Path, kind: str) -> None:
    content = _sqlite_database(tmp_path) if kind == "sqlite-database" else BINARY_GARBAGE[kind]
    path = write_bytes(tmp_path / f"{kind}.csv", content)
    with pytest.raises(FileRejected) as caught:
        read_file(path, "csv")
    assert path.name in str(caught.value)


# --- declared type versus content ------------------------------------------------------------


def test_csv_declared_as_xlsx_names_the_right_file_type(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "pocs.xlsx", b"Name,Media Type\nA,Chat\n")
    with pytest.raises(FileRejected) as caught:
        read_file(path, "xlsx")
    message = str(caught.value)
    assert "Text (.csv)" in message
    assert "pocs.xlsx" in message


def test_xlsx_declared_as_csv_names_the_right_file_type(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Media Type"])
    path = write_bytes(tmp_path / "pocs.csv", workbook_bytes(workbook))
    with pytest.raises(FileRejected) as caught:
        read_file(path, "csv")
    assert "Excel (.xlsx)" in str(caught.value)


@pytest.mark.parametrize("declared", ["xlsx", "csv", None])
def test_old_xls_workbook_is_rejected_with_advice(tmp_path: Path, declared: str | None) -> None:
    path = write_bytes(tmp_path / "pocs.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    with pytest.raises(FileRejected) as caught:
        read_file(path, declared)
    message = str(caught.value)
    assert ".xls" in message
    assert ".xlsx" in message  # tells the user what to save it as


# --- XLSX ------------------------------------------------------------------------------------


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


def test_zip_bomb_is_refused_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name"])
    original = zipfile.ZipFile(io.BytesIO(workbook_bytes(workbook)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in original.infolist():
            archive.writestr(member.filename, original.read(member))
        archive.writestr("xl/media/padding.bin", b"\0" * (60 * 1024 * 1024))
    path = write_bytes(tmp_path / "bomb.xlsx", buffer.getvalue())
    assert path.stat().st_size * 200 < 60 * 1024 * 1024

    def must_not_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(read_module, "load_workbook", must_not_open)
    with pytest.raises(FileRejected, match="not read"):
        read_file(path, "xlsx")


# --- formula escaping round trip -------------------------------------------------------------

RISKY_VALUES = [
    "=1+1",
    "+12025550100",
    "-x",
    "@a",
    "'quoted",
    "''twice",
    "\tTabbed",
    "\rreturn",
    '=HYPERLINK("http://example.com","click")',
    "plain",
    "a=b",
    "",
]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_values_written_by_write_csv_read_back_exactly(tmp_path: Path, delimiter: str) -> None:
    frame = pd.DataFrame(
        {"Name": RISKY_VALUES, "Point of Contact": [f"{value}!" for value in RISKY_VALUES]}
    )
    path = tmp_path / "export.csv"
    write_csv(frame, path, delimiter=delimiter)
    written = path.read_text(encoding="utf-8-sig")
    assert "'=1+1" in written  # escaped on disk
    assert "'+12025550100" in written
    table = read_file(path, "csv")
    assert table.headers == ["Name", "Point of Contact"]
    assert table.delimiter == delimiter
    expected = [[value, f"{value}!"] for value in RISKY_VALUES]
    assert cells(table) == expected


def test_excel_sep_hint_line_names_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\n" + ";".join(POC_HEADERS) + "\n" + ";".join(PHONE_ROW) + "\n")
    table = read_file(path)
    assert table.delimiter == ";"
    assert table.headers == POC_HEADERS
    assert cells(table) == [PHONE_ROW]
    assert table.rows.tolist() == [2]  # Excel hides the hint: the header is still row 1


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
    from bulkpoc.errors import flatten
    from tests.conftest import POC_HEADERS as ALL_HEADERS

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
