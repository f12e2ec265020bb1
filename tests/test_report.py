"""Results (SPEC §5): the HTML report and the error file (the results email: test_mail.py)."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path
from unittest.mock import ANY

import openpyxl
import pytest

from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from tests.conftest import flatten, poc

POC_HEADERS = RECORD_TYPES["poc"].headers
XSS = "<script>alert(1)</script>"


class _Page(HTMLParser):
    """The visible text of a page and its tables (lists of rows of cell texts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._skip = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "script"}:
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in {"style", "script"}:
            self._skip -= 1
        elif tag in {"td", "th"} and self._cell is not None and self.tables:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_page(html: str) -> tuple[str, list[list[list[str]]]]:
    page = _Page()
    page.feed(html)
    return " ".join("".join(page.text).split()), page.tables


def counts_shown(tables: list[list[list[str]]]) -> dict[str, int]:
    wanted = ["total", "processed", "created", "updated", "unchanged", "skipped", "failed"]
    for table in tables:
        for position, row in enumerate(table[:-1]):
            labels = [cell.lower() for cell in row]
            if all(name in labels for name in wanted):
                values = table[position + 1]
                return {name: int(values[labels.index(name)]) for name in wanted}
    raise AssertionError("no table of counts in the report")


def read_csv_file(path: Path, delimiter: str) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


# --- the HTML report -----------------------------------------------------------------------


@pytest.fixture
def mixed_result(store, run):
    """One good row and two failing rows named like a script tag; an unknown Notes column."""
    store.add_user("report_user", PERMISSIONS)
    rows = [
        poc(Name="Good Line", Notes="fine"),
        poc(
            Name=XSS,
            Point_of_Contact="+12025550101",
            Skill="Sales Cals",
            IVR_Reporting_Enabled="maybe",
            Notes="bad",
        ),
        poc(Name=XSS, Point_of_Contact="+12125550100", Notes="bad too"),
    ]
    result = run(rows, headers=[*POC_HEADERS, "Notes"], user="report_user", overwrite=True)
    assert result.status.value == "completed_with_errors", result.failure
    return result


def test_html_report_is_written_and_self_contained(mixed_result, settings):
    path = Path(mixed_result.reports.html)
    assert path.is_file()
    assert settings.report_dir in path.parents
    html = path.read_text(encoding="utf-8")
    lowered = html.lower()
    assert "<html" in lowered
    assert "<style" in lowered
    for external in ("<link", "<script", "<img", "<iframe", "src=", "@import", "url("):
        assert external not in lowered, f"the report depends on something outside it: {external}"


def test_html_report_shows_counts_errors_by_row_warnings_options_and_user(mixed_result):
    html = Path(mixed_result.reports.html).read_text(encoding="utf-8")
    text, tables = parse_page(html)

    assert counts_shown(tables) == mixed_result.counts.model_dump(exclude={"removed"})
    assert mixed_result.counts.as_dict() == {
        "total": 3,
        "processed": 3,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "skipped": 0,
        "failed": 2,
    }

    errors = mixed_result.errors
    assert {error.row for error in errors} == {3, 4}
    assert len([e for e in errors if e.row == 3]) >= 3  # skill, IVR, duplicate name
    positions = {}
    for error in errors:
        at = text.find(error.message)
        assert at >= 0, f"error not in the report: {error.message}"
        positions.setdefault(error.row, []).append(at)
    assert max(positions[3]) < min(positions[4]), "errors are not grouped by row"
    error_cells = {cell for table in tables for row in table for cell in row}
    assert {"3", "4"} <= error_cells
    assert "Sales Cals" in error_cells
    assert "maybe" in error_cells

    assert mixed_result.warnings, "an unknown column must give a warning"
    assert any("Notes" in warning for warning in mixed_result.warnings)
    for warning in mixed_result.warnings:
        assert warning in text
    assert "report_user" in text
    assert "All Rows" in text
    assert "overwrite: yes" in text.lower()
    assert mixed_result.file_name in text


def test_html_report_escapes_every_value(mixed_result):
    html = Path(mixed_result.reports.html).read_text(encoding="utf-8")
    assert XSS not in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text, _ = parse_page(html)
    assert XSS in text  # shown to the reader as typed


def test_html_report_of_a_failed_batch_states_why(run, store):
    headers = [h for h in POC_HEADERS if h != "Skill"]
    result = run([poc()], headers=headers)
    assert result.status.value == "failed"
    assert "Skill" in result.failure
    text, _ = parse_page(Path(result.reports.html).read_text(encoding="utf-8"))
    assert result.failure in text
    assert "Failed" in text


# --- the error file ------------------------------------------------------------------------

# Headers as a user might type them: odd case and spacing, an extra column, another order.
USER_HEADERS = [
    "point of contact id",
    "NAME",
    " Media type ",
    "Point Of Contact",
    "skill",
    "Script",
    "Active",
    "Notes",
]


def user_rows() -> list[list[str]]:
    return [
        ["", "Good Line", "phone", "(202) 555-0103", "Sales Calls", "Main IVR", "Y", "ok"],
        ["", "Typo Skill", "Phone Call", "202-555-0104", "Sales Cals", "Main IVR", "", "fix me"],
        ["", "Bad Email", "e-mail", "support@@example", "Email Support", "Email Router", "y", ""],
    ]


FIXES = {"Sales Cals": "Sales Calls", "support@@example": "support@example.com"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_error_file_holds_failed_rows_as_uploaded_and_can_be_fixed_and_uploaded(
    run, store, tmp_path, delimiter
):
    upload = tmp_path / "my upload.csv"
    with upload.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(USER_HEADERS)
        writer.writerows(user_rows())
    result = run(upload)
    assert result.status.value == "completed_with_errors", result.failure
    assert result.counts.created == 1
    assert result.counts.failed == 2

    error_file = Path(result.reports.error_file)
    assert error_file.is_file()
    assert error_file.suffix == ".csv"
    table = read_csv_file(error_file, delimiter)
    assert table[0] == [*USER_HEADERS, "Error"]
    body = table[1:]
    assert [row[:-1] for row in body] == user_rows()[1:]
    assert "Sales Cals" in body[0][-1]
    assert "email" in body[1][-1].lower()

    # Fix the bad cells, keep everything else (the Error column too), upload it as it is.
    fixed = [[FIXES.get(cell, cell) for cell in row[:-1]] + [row[-1]] for row in body]
    with error_file.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(table[0])
        writer.writerows(fixed)
    again = run(error_file)
    assert again.status.value == "succeeded", (again.failure, flatten(again.errors))
    assert again.counts.created == 2
    assert not any("Error" in warning for warning in again.warnings)


def test_xlsx_error_file_is_xlsx_and_can_be_fixed_and_uploaded(run, store, tmp_path):
    upload = tmp_path / "my upload.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Points of Contact"
    sheet.append(USER_HEADERS)
    for row in user_rows():
        sheet.append(row)
    workbook.save(upload)

    result = run(upload, file_type="xlsx")
    assert result.status.value == "completed_with_errors", result.failure
    error_file = Path(result.reports.error_file)
    assert error_file.suffix == ".xlsx"
    assert error_file.read_bytes()[:4] == b"PK\x03\x04"
    errors_book = openpyxl.load_workbook(error_file)
    rows = [
        ["" if value is None else str(value) for value in row]
        for row in errors_book.worksheets[0].iter_rows(values_only=True)
    ]
    assert rows[0] == [*USER_HEADERS, "Error"]
    assert [row[:-1] for row in rows[1:]] == user_rows()[1:]
    assert all(row[-1] for row in rows[1:])

    sheet = errors_book.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        for cell in row[:-1]:
            if cell.value in FIXES:
                cell.value = FIXES[cell.value]
    errors_book.save(error_file)
    again = run(error_file, file_type="xlsx")
    assert again.status.value == "succeeded", (again.failure, flatten(again.errors))
    assert again.counts.created == 2


def test_error_file_uploaded_unchanged_keeps_a_single_error_column(run, store):
    first = run([poc(Skill="Sales Cals")])
    error_file = Path(first.reports.error_file)
    second = run(error_file)
    assert second.status.value == "completed_with_errors"
    headers = read_csv_file(Path(second.reports.error_file), ",")[0]
    assert headers.count("Error") == 1
    assert headers == [*POC_HEADERS, "Error"]


def test_the_error_file_and_the_report_suggest_the_closest_name(run, store):
    result = run([poc(Skill="Sales Cals")])
    suggestion = "did you mean 'Sales Calls'? Otherwise use the name of an existing skill"
    table = read_csv_file(Path(result.reports.error_file), ",")
    assert [row[-1] for row in table] == [
        "Error",
        f"Skill: Skill 'Sales Cals' does not exist; {suggestion} (download the skill export "
        "for the list).",
    ]
    text, _ = parse_page(Path(result.reports.html).read_text(encoding="utf-8"))
    assert suggestion in text


def test_no_error_file_when_nothing_failed(run):
    result = run([poc()])
    assert result.status.value == "succeeded"
    assert result.reports.error_file is None


# Extra columns as people leave them: two without a header, one name twice, one odd name.
EXTRA_HEADERS = [*POC_HEADERS[2:7], "", "Notes", "", "Notes", "  Notes  ", "#2 (old)"]
EXTRA_ROWS = [
    ["Good Line", "Phone Call", "+12025550103", "Sales Calls", "Main IVR", "a", "n1", "", "n2"],
    ["Typo Skill", "Phone Call", "+12025550104", "Sales Cals", "Main IVR", "", "n3", "b", ""],
]


def _extra_cells(row: list[str]) -> list[str]:
    return row + [""] * (len(EXTRA_HEADERS) - len(row))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_extra_column_is_kept_as_it_was_in_the_error_file(run, tmp_path, file_format):
    upload = tmp_path / f"extra.{file_format}"
    if file_format == "csv":
        with upload.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([EXTRA_HEADERS, *map(_extra_cells, EXTRA_ROWS)])
    else:
        workbook = openpyxl.Workbook()
        for row in [EXTRA_HEADERS, *map(_extra_cells, EXTRA_ROWS)]:
            workbook.active.append([cell or None for cell in row])
        workbook.save(upload)

    result = run(upload)

    assert result.status.value == "completed_with_errors", result.failure
    error_file = Path(result.reports.error_file)
    assert error_file.suffix == f".{file_format}"
    if file_format == "csv":
        table = read_csv_file(error_file, ",")
        table[1][2] = table[1][2].removeprefix("'")  # written formula-safe, read back without
    else:
        sheet = openpyxl.load_workbook(error_file).worksheets[0]
        table = [["" if cell is None else cell for cell in row] for row in sheet.values]
    assert table == [[*EXTRA_HEADERS, "Error"], [*_extra_cells(EXTRA_ROWS[1]), ANY]]
    assert "Sales Cals" in table[1][-1]
