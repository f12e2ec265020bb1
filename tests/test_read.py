"""Reading uploaded files: the checks before any format reads, and the dispatch to the format.

Each format's own reading is tested in tests/test_formats_csv.py and tests/test_formats_xlsx.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from bulkpoc import formats
from bulkpoc.batch.read import checksum, read_file, sniff_file_type
from bulkpoc.domain.errors.types import FileRejected
from tests.conftest import workbook_bytes, write_bytes

FILES = Path(__file__).parent / "files"
OLE_HEAD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def test_file_type_is_detected_when_not_declared() -> None:
    assert read_file(FILES / "pocs-tab.txt").file_type == "csv"


def test_the_format_is_detected_from_the_content_whatever_the_name(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Media Type"])
    content = workbook_bytes(workbook)
    assert sniff_file_type(write_bytes(tmp_path / "pocs.csv", content)) == "xlsx"
    assert sniff_file_type(io.BytesIO(content)) == "xlsx"
    assert sniff_file_type(io.BytesIO(b"Name,Media Type\n")) == "csv"
    assert sniff_file_type(io.BytesIO(OLE_HEAD)) == "ole"  # a compound file, but a damaged one
    assert formats.identify(io.BytesIO(content)) is formats.get("xlsx")
    assert formats.get("XLSX").name == "xlsx"
    assert set(formats.available()) == {"csv", "xlsx", "xlsb", "ods", "xls"}
    assert formats.options() == ("xlsx", "csv")
    with pytest.raises(ValueError, match="numbers"):
        formats.get("numbers")


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="empty"):
        read_file(write_bytes(tmp_path / "empty.csv", b""), "csv")


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="does not exist"):
        read_file(tmp_path / "nowhere.csv", "csv")


def test_an_unseekable_stream_is_a_programming_error() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

    with pytest.raises(ValueError, match="seekable"):
        read_file(Pipe(), "csv")  # type: ignore[arg-type]


def test_checksum_of_a_stream_is_the_checksum_of_the_file() -> None:
    path = FILES / "pocs-cp1252.csv"
    stream = io.BytesIO(path.read_bytes())
    stream.read(10)
    assert checksum(stream) == checksum(path)


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
    assert "Spreadsheet (.xlsx, .xls, .ods)" in str(caught.value)


def test_a_stream_declared_as_the_wrong_type_is_named_by_its_given_name() -> None:
    with pytest.raises(FileRejected, match=r"but upload\.xlsx is a text \(CSV\) file"):
        read_file(io.BytesIO(b"Name,Media Type\nA,Chat\n"), "xlsx", name="upload.xlsx")


@pytest.mark.parametrize("declared", ["xlsx", "csv", None])
def test_a_damaged_office_97_2003_file_is_named_for_what_it_is(
    tmp_path: Path, declared: str | None
) -> None:
    path = write_bytes(tmp_path / "pocs.xls", OLE_HEAD)
    with pytest.raises(FileRejected) as caught:
        read_file(path, declared)
    assert caught.value.code == "unsupported_format"
    assert str(caught.value) == (
        "pocs.xls is an Office 97-2003 document that is not a workbook, or is damaged, which "
        "bulkpoc cannot read; open it where it was made and save it as Excel Workbook (.xlsx) "
        "or CSV and upload that file."
    )
