"""Spreadsheets other than .xlsx, and files named for what they are (issue 22, defect 12)."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

from bulkpoc.batch.read import read_file, sniff_file_type
from bulkpoc.domain.errors.types import FileRejected
from tests.archives import ods_bytes, with_backslashes
from tests.conftest import POC_HEADERS, errors, poc, workbook_bytes, write_bytes

CORPUS = Path(__file__).parent / "files" / "corpus"


@pytest.mark.parametrize(
    ("file_name", "file_type", "described"),
    [
        ("sushi.xlsb", "xlsb", "an Excel binary workbook (.xlsb)"),
        ("sushi.xls", "xls", "an Excel 97-2003 workbook (.xls)"),
        ("sushi.ods", "ods", "a LibreOffice spreadsheet (.ods)"),
    ],
)
@pytest.mark.parametrize("declared", ["xlsx", None])
def test_what_calamine_reads_is_read_as_a_spreadsheet(
    file_name: str, file_type: str, described: str, declared: str | None
) -> None:
    table = read_file(CORPUS / "sheetjs" / file_name, declared)
    assert (table.file_type, table.sheet, table.headers) == (file_type, "Sheet1", ["🍣"])
    assert table.warnings == [
        f"The file {file_name} is {described}: it was read as a spreadsheet, and its error "
        "file is an Excel workbook (.xlsx)."
    ]


def test_a_spreadsheet_declared_as_csv_names_what_it_is_and_the_file_type_to_choose() -> None:
    with pytest.raises(FileRejected) as caught:
        read_file(CORPUS / "sheetjs" / "sushi.ods", "csv")
    assert str(caught.value) == (
        "File Type is Text (.csv) but sushi.ods is a LibreOffice spreadsheet (.ods); choose "
        "Spreadsheet (.xlsx, .xls, .ods) as the File Type."
    )


def test_an_ods_upload_imports_and_its_error_file_is_an_xlsx(run, tmp_path: Path) -> None:
    good, bad = poc(), poc(Name="Typo Skill", Point_of_Contact="+12025550104", Skill="Sales Cals")
    rows = [POC_HEADERS, *([row.get(h, "") for h in POC_HEADERS] for row in (good, bad))]
    upload = write_bytes(tmp_path / "pocs.ods", ods_bytes(rows))

    result = run(upload, file_type="xlsx")

    assert result.status.value == "completed_with_errors", result.failure
    assert (result.counts.created, result.file_type) == (1, "ods")
    assert errors(result) == [[3, "Skill", "unknown_reference"]]
    error_file = Path(result.reports.error_file)
    assert error_file.name == "pocs-errors.xlsx"
    kept = read_file(error_file)
    assert kept.file_type == "xlsx"
    assert kept.data.iloc[0, :5].tolist() == ["", "", "Typo Skill", "Phone Call", "+12025550104"]


REFUSED = {
    "minimal_112.numbers": (
        "sheetjs",
        "an Apple Numbers spreadsheet, which bulkpoc cannot read; in Numbers choose File > "
        "Export To > Excel (or CSV) and upload the exported file.",
    ),
    "pass_protected.xlsx": (
        "calamine",
        "a password-protected (encrypted) workbook, which bulkpoc cannot read; open it with its "
        "password, save a copy without a password as Excel Workbook (.xlsx) or CSV, and upload "
        "that file.",
    ),
    "password_2002_40_xor.xls": (
        "sheetjs",
        "a password-protected (encrypted) workbook, which bulkpoc cannot read; open it with its "
        "password, save a copy without a password as Excel Workbook (.xlsx) or CSV, and upload "
        "that file.",
    ),
    "table.csv.zip": (
        "frictionless",
        "a zip archive holding a CSV file, which bulkpoc cannot read; unzip it and upload the "
        "CSV file inside.",
    ),
    "table.csv.gz": (
        "frictionless",
        "a compressed (gzip) CSV file, which bulkpoc cannot read; decompress it and upload the "
        "CSV file inside.",
    ),
}


@pytest.mark.parametrize("file_name", REFUSED)
@pytest.mark.parametrize("declared", ["xlsx", "csv", None])
def test_what_cannot_be_read_is_named_with_how_to_save_it(
    file_name: str, declared: str | None
) -> None:
    origin, sentence = REFUSED[file_name]
    with pytest.raises(FileRejected) as caught:
        read_file(CORPUS / origin / file_name, declared)
    assert caught.value.code == "unsupported_format"
    assert str(caught.value) == f"{file_name} is {sentence}"


def test_a_csv_compressed_in_memory_is_named_too() -> None:
    content = gzip.compress(b"Name,Media Type\r\nMain Line,Phone Call\r\n")
    assert sniff_file_type(io.BytesIO(content)) == "gzipped_csv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pocs.csv", "Name,Media Type\r\n")
        archive.writestr("__MACOSX/._pocs.csv", b"\0\5\26\7")
    assert sniff_file_type(buffer) == "zipped_csv"


def _chart_first_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "Data"
    data.append(["Name", "Media Type"])
    data.append(["Main Line", "Phone Call"])
    chart_sheet = workbook.create_chartsheet("Chart1", 0)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=2))
    chart_sheet.add_chart(chart)
    return workbook_bytes(workbook)


def test_a_chart_sheet_first_is_passed_over_for_the_data_sheet() -> None:
    table = read_file(io.BytesIO(_chart_first_workbook()), "xlsx")
    assert (table.sheet, table.headers) == ("Data", ["Name", "Media Type"])
    assert table.data.values.tolist() == [["Main Line", "Phone Call"]]


def test_an_empty_first_sheet_is_passed_over_for_the_first_with_data() -> None:
    workbook = openpyxl.Workbook()
    workbook.create_sheet("Later").append(["Name"])
    workbook["Later"].append(["Main Line"])
    table = read_file(io.BytesIO(workbook_bytes(workbook)), "xlsx")
    assert (table.sheet, table.headers) == ("Later", ["Name"])


def test_a_workbook_part_outside_xl_is_read() -> None:
    table = read_file(CORPUS / "sheetjs" / "wtf_path.xlsx")
    assert (table.file_type, table.sheet) == ("xlsx", "SheetJS")
    assert table.data.iloc[0, 3] == "sheetjs"


def test_member_names_with_backslashes_are_read_with_their_error_cells() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Skill"])
    workbook.active.append(["#N/A", "Sales Calls"])
    workbook.active["A2"].data_type = "e"
    content = with_backslashes(workbook_bytes(workbook))
    assert "xl\\workbook.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    table = read_file(io.BytesIO(content))
    assert table.data.values.tolist() == [["", "Sales Calls"]]
    assert table.cell_errors == [(2, 0, "#N/A")]
