"""CSV and other delimited text: encodings, delimiters, damaged text, streams and the writer."""

from __future__ import annotations

import io
import sqlite3
import struct
import time
from pathlib import Path

import pandas as pd
import pytest

from bulkpoc.batch.read import read_file
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats.base import RawTable
from bulkpoc.formats.csv_format import write_csv
from tests.conftest import errors

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


def read_bytes(content: bytes) -> RawTable:
    """``content`` read as a CSV upload held in memory."""
    return read_file(io.BytesIO(content), "csv")


# --- encodings and delimiters ----------------------------------------------------------------


def test_utf8_without_bom() -> None:
    table = read_bytes("Name,Media Type\nChat en Español,Chat\n".encode())
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


def test_latin1_text_that_is_not_cp1252_is_still_read() -> None:
    # 0x81 is undefined in cp1252, so only Latin-1 decodes this file.
    table = read_bytes(b"Name,Note\nCaf\xe9,x\x81y\n")
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


def test_utf16_big_endian_without_bom() -> None:
    table = read_bytes("Name\tMedia Type\r\nChat en Español\tChat\r\n".encode("utf-16-be"))
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


def test_pipe_delimited() -> None:
    table = read_bytes(b"Name|Note\nA|b,c\n")
    assert table.delimiter == "|"
    assert cells(table) == [["A", "b,c"]]


def test_quoted_delimiter_and_multiline_cell_keep_spreadsheet_row_numbers() -> None:
    table = read_file(FILES / "pocs-quoted.csv", "csv")
    assert table.headers == POC_HEADERS
    names = table.data[2].tolist()
    assert names == ["Sales, East", "Line one\r\nline two", "Support"]
    # The multi-line cell is one spreadsheet row, so Support is row 4 (not line 5 of the file).
    assert table.rows.tolist() == [2, 3, 4]


def test_blank_rows_in_the_middle_are_dropped_but_later_rows_keep_their_number() -> None:
    table = read_bytes(b"Name,Media Type\nA,Chat\n\n,\n  ,  \nB,Email\n\n\n")
    assert cells(table) == [["A", "Chat"], ["B", "Email"]]
    assert table.rows.tolist() == [2, 6]


def test_trailing_delimiters_do_not_become_an_unnamed_column() -> None:
    table = read_bytes(b"Name;Media Type;\nA;Chat;\n;;\n")
    assert table.headers == ["Name", "Media Type"]
    assert cells(table) == [["A", "Chat"]]


def test_cells_are_text_exactly_as_typed() -> None:
    """No NA guessing, no number conversion, no trimming: later stages decide."""
    table = read_bytes(b"Name,Point of Contact,Note\nNA,00123,null\nN/A,2025550100, padded \n")
    assert cells(table) == [["NA", "00123", "null"], ["N/A", "2025550100", " padded "]]
    assert all(isinstance(value, str) for row in cells(table) for value in row)


def test_header_only_file_has_no_rows() -> None:
    table = read_bytes(b"Name,Media Type\r\n")
    assert table.headers == ["Name", "Media Type"]
    assert table.data.empty
    assert table.rows.tolist() == []


def test_excel_sep_hint_line_names_the_delimiter_and_is_not_a_row() -> None:
    content = "sep=;\n" + ";".join(POC_HEADERS) + "\n" + ";".join(PHONE_ROW) + "\n"
    table = read_file(io.BytesIO(content.encode()))
    assert table.delimiter == ";"
    assert table.headers == POC_HEADERS
    assert cells(table) == [PHONE_ROW]
    assert table.rows.tolist() == [2]  # Excel hides the hint: the header is still row 1


# --- streams ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_name",
    [
        "pocs-utf8-bom.csv",
        "pocs-cp1252.csv",
        "pocs-utf16.txt",
        "pocs-utf16-nobom.txt",
        "pocs-semicolon.csv",
        "pocs-quoted.csv",
    ],
)
def test_a_stream_reads_exactly_as_the_file_does(file_name: str) -> None:
    path = FILES / file_name
    from_path = read_file(path, "csv")
    from_stream = read_file(io.BytesIO(path.read_bytes()), "csv")
    assert from_stream.headers == from_path.headers
    assert cells(from_stream) == cells(from_path)
    assert from_stream.rows.tolist() == from_path.rows.tolist()
    assert (from_stream.encoding, from_stream.delimiter) == (
        from_path.encoding,
        from_path.delimiter,
    )


def test_a_stream_is_read_from_its_start_and_left_open() -> None:
    stream = io.BytesIO("Name,Media Type\nSoporte €,Email\n".encode("cp1252"))
    stream.seek(0, io.SEEK_END)  # e.g. just written by the web layer
    table = read_file(stream, "csv")
    assert table.encoding == "cp1252"
    assert cells(table) == [["Soporte €", "Email"]]
    assert not stream.closed
    assert read_file(stream, "csv").headers == ["Name", "Media Type"]  # and can be read again


def test_messages_about_a_stream_use_its_given_name_or_call_it_the_upload() -> None:
    garbage = bytes(range(256)) * 16
    with pytest.raises(FileRejected, match=r"^the upload is not a text \(CSV\) file"):
        read_file(io.BytesIO(garbage), "csv")
    with pytest.raises(FileRejected, match=r"^pocs\.csv is not a text"):
        read_file(io.BytesIO(garbage), "csv", name="pocs.csv")
    with pytest.raises(FileRejected, match=r"^The upload is empty\.$"):
        read_file(io.BytesIO(b""), "csv")


# --- problems --------------------------------------------------------------------------------


def test_first_line_blank_is_rejected() -> None:
    with pytest.raises(FileRejected, match="first line"):
        read_bytes(b"\r\nName,Media Type\r\nA,Chat\r\n")


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
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as caught:
        read_file(path, "csv")
    assert path.name in str(caught.value)


# --- writing: formula escaping round trip ----------------------------------------------------

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


# --- rows with more cells than the header ----------------------------------------------------


def test_a_row_with_an_unquoted_delimiter_is_a_row_problem_not_a_rejected_file() -> None:
    table = read_file(FILES / "pocs-extra-field.csv", "csv")
    assert table.headers == POC_HEADERS
    assert table.rows.tolist() == [2, 3]
    assert cells(table)[0] == PHONE_ROW
    assert cells(table)[1][2:4] == ["Sales", " East"]  # read as far as the header goes
    assert [(p.row, p.column, p.value, p.code, p.message) for p in table.row_problems] == [
        (
            3,
            "",
            "Main IVR",
            "extra_cells",
            "Row has 8 cells but the header has 7; a value probably contains an unquoted ',' "
            "— put that value in double quotes.",
        )
    ]


def test_trailing_empty_cells_past_the_header_are_ignored() -> None:
    table = read_file(FILES / "pocs-extra-empty-cells.csv", "csv")
    assert table.headers == POC_HEADERS
    assert len(table.data.columns) == len(POC_HEADERS)
    assert table.rows.tolist() == [2, 3, 4]
    assert table.row_problems == []


def test_extra_cells_are_counted_up_to_the_last_filled_one_and_rows_keep_their_number() -> None:
    content = (
        b'Name\tNote\n"two\nlines"\tok\nA\tb\tc\t\td\t\t\nB\tok\n\t\t\tonly extra\n' + b"C\tok\n"
    )
    table = read_file(io.BytesIO(content), "csv")
    assert table.delimiter == "\t"
    assert cells(table) == [["two\nlines", "ok"], ["A", "b"], ["B", "ok"], ["", ""], ["C", "ok"]]
    assert table.rows.tolist() == [2, 3, 4, 5, 6]  # a row with only extra cells is not empty
    assert [(problem.row, problem.value) for problem in table.row_problems] == [
        (3, "c\t\td"),
        (5, "\tonly extra"),
    ]
    assert "Row has 5 cells but the header has 2" in table.row_problems[0].message
    assert "an unquoted tab" in table.row_problems[0].message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_extra_cells_are_found_in_every_encoding_and_after_a_sep_line(encoding: str) -> None:
    content = "sep=;\r\nName;Note\r\nCafé;x;lost €\r\nB;ok\r\n".encode(encoding)
    table = read_file(io.BytesIO(content), "csv")
    assert cells(table) == [["Café", "x"], ["B", "ok"]]
    assert [(problem.row, problem.value) for problem in table.row_problems] == [(2, "lost €")]
    assert "unquoted ';'" in table.row_problems[0].message


def test_a_very_long_row_is_quoted_only_in_part() -> None:
    content = b"Name,Note\nA,b," + b",".join(b"x%d" % i for i in range(500)) + b"\nB,c\n"
    table = read_file(io.BytesIO(content), "csv")
    assert cells(table) == [["A", "b"], ["B", "c"]]
    (problem,) = table.row_problems
    assert problem.message.startswith("Row has 502 cells but the header has 2;")
    assert len(problem.value) <= 101


@pytest.mark.parametrize(
    ("file_name", "bad_row", "delimiter", "created"),
    [("pocs-extra-field.csv", 3, "','", 1), ("pocs-extra-field-semicolon.csv", 3, "';'", 3)],
)
def test_only_the_row_with_extra_cells_fails_and_the_others_are_applied(
    run, file_name: str, bad_row: int, delimiter: str, created: int
) -> None:
    result = run(FILES / file_name)
    assert result.status.value == "completed_with_errors", result.failure
    assert result.counts.created == created
    assert result.counts.failed == 1
    assert {row for row, _, _ in errors(result)} == {bad_row}
    first = result.errors[0]  # the reader's explanation comes before what the shift broke
    assert (first.row, first.column, first.code) == (bad_row, "", "extra_cells")
    assert f"unquoted {delimiter}" in first.message
    assert "double quotes" in first.message


def test_trailing_empty_cells_past_the_header_import_cleanly(run) -> None:
    result = run(FILES / "pocs-extra-empty-cells.csv")
    assert result.status.value == "succeeded", (result.failure, errors(result))
    assert result.counts.created == 3


# --- very wide files: refused from the header alone ------------------------------------------


def _refusal(content: bytes, declared: str | None = "csv") -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_file(io.BytesIO(content), declared, name="wide.csv")
    return caught.value


@pytest.mark.parametrize("columns", [1_001, 18_000, 36_000])
def test_a_header_with_too_many_columns_is_refused_at_once(columns: int) -> None:
    header = ",".join(f"Column {i}" for i in range(columns)).encode()
    body = b"\n" + b",".join(b"x" for _ in range(columns))
    clock = time.perf_counter()
    refusal = _refusal(header + body * 20)
    assert time.perf_counter() - clock < 1
    assert refusal.code == "too_many_columns"
    counted = f"{columns:,}" if columns < 10_000 else "more than 1,000"  # past 100,000 characters
    assert str(refusal) == (
        f"The file wide.csv has {counted} columns; a file may have at most 1,000: "
        "keep the columns of the template and remove the others."
    )


@pytest.mark.parametrize(
    "header",
    [
        b'Name,"' + b"x" * 140_000 + b'"',  # one long quoted header
        b"Name," + b"y" * 140_000,  # no quotes at all
        b"Name," + b"z" * 60_000_000,  # a whole file on one line, no line break anywhere
    ],
    ids=["quoted", "unquoted", "one-line-file"],
)
def test_a_header_line_too_long_is_refused_without_reading_it_all(header: bytes) -> None:
    clock = time.perf_counter()
    refusal = _refusal(header + b"\nA,b\n")
    assert time.perf_counter() - clock < 2
    assert refusal.code == "header_too_long"
    assert str(refusal) == (
        "The first line of wide.csv is longer than 100,000 characters, more than any header "
        "row needs; check that it is the file you meant to upload."
    )


def test_a_header_of_a_thousand_columns_is_read() -> None:
    header = ",".join(["Name", *(f"Extra {i}" for i in range(999))]).encode()
    table = read_file(io.BytesIO(header + b"\nA" + b",x" * 999 + b"\n"), "csv")
    assert len(table.headers) == 1_000
    assert cells(table)[0][:2] == ["A", "x"]


def test_a_long_cell_in_a_row_with_extra_cells_is_reported_not_a_traceback() -> None:
    content = b"Name,Note\nA,b,c" + b"d" * 200_000 + b"\nB,e\n"
    table = read_file(io.BytesIO(content), "csv")
    assert cells(table) == [["A", "b"], ["B", "e"]]
    (problem,) = table.row_problems
    assert (problem.row, problem.code) == (2, "extra_cells")
