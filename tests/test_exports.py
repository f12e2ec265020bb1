"""Templates and exports (SPEC §3 "Templates and exports"): what a user downloads."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from sqlalchemy import event

from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.output.exports import write_records
from bulkpoc.services.demo import load_demo_reference_data
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.conftest import flatten, poc

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
TYPES = list(RECORD_TYPES)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RISKY_NAMES = ('=HYPERLINK("http://x")', "@SUM(1)", "+1", "-1", "=cmd|' /C calc'!A0")
TABLES = {
    "poc": schema.pocs,
    "skill": schema.skills,
    "script": schema.scripts,
    "chat-profile": schema.chat_profiles,
    "number": schema.numbers,
}
# Which columns of each template must offer a dropdown, and where its choices come from.
YES_NO = ["Y", "N"]
TEXT_COLUMNS = {"poc": "Point of Contact", "number": "Phone Number"}


def read_csv_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def names(store: Store, table) -> list[str]:
    return store.read_frame(table)["name"].tolist()


def expected_dropdowns(store: Store, type_name: str) -> dict[str, list[str]]:
    media = list(MEDIA_TYPES)
    return {
        "poc": {
            "Row Changed": YES_NO,
            "Media Type": media,
            "Skill": names(store, schema.skills),
            "Script": names(store, schema.scripts),
            "IVR Reporting Enabled": YES_NO,
            "Chat Profile": names(store, schema.chat_profiles),
            "Active": YES_NO,
        },
        "skill": {"Row Changed": YES_NO, "Media Type": media, "Active": YES_NO},
        "script": {"Row Changed": YES_NO, "Media Type": media},
        "chat-profile": {"Row Changed": YES_NO},
        "number": {"Row Changed": YES_NO, "Voice": YES_NO, "SMS": YES_NO},
    }[type_name]


def list_source(workbook, formula: str) -> tuple[list[str], object]:
    """The choices a list validation offers, and the sheet they live on (None if inline)."""
    if formula.startswith('"'):
        return [item.strip() for item in formula.strip('"').split(",")], None
    sheet_name, cells = formula.lstrip("=").rsplit("!", 1)
    sheet = workbook[sheet_name.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    values = [
        cell.value
        for row in sheet.iter_rows(
            min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col
        )
        for cell in row
    ]
    return [str(value) for value in values if value not in (None, "")], sheet


def dropdowns_by_header(workbook, sheet) -> dict[str, tuple[list[str], object, str]]:
    headers = [cell.value for cell in sheet[1]]
    found = {}
    for validation in sheet.data_validations.dataValidation:
        if validation.type != "list":
            continue
        choices, source = list_source(workbook, validation.formula1)
        for cell_range in str(validation.sqref).split():
            min_col, min_row, max_col, max_row = range_boundaries(cell_range)
            for column in range(min_col, max_col + 1):
                found[headers[column - 1]] = (choices, source, f"{min_row}:{max_row}")
    return found


def column_width(sheet, header: str) -> float | None:
    headers = [cell.value for cell in sheet[1]]
    position = headers.index(header) + 1
    for dimension in sheet.column_dimensions.values():
        low = dimension.min or column_index_from_string(dimension.index)
        high = dimension.max or low
        if low <= position <= high and dimension.width:
            return float(dimension.width)
    return None


def column_format(sheet, header: str) -> str:
    headers = [cell.value for cell in sheet[1]]
    letter = get_column_letter(headers.index(header) + 1)
    return sheet.column_dimensions[letter].number_format


@pytest.fixture
def new_reference_data(run):
    """A skill, a script and a chat profile added after the demo data was loaded."""
    for type_name, row in (
        ("skill", {"Name": "Brand New Skill", "Media Type": "Phone Call", "Active": "Y"}),
        ("script", {"Name": "Brand New Script", "Media Type": "Chat"}),
        ("chat-profile", {"Name": "Brand New Profile"}),
    ):
        result = run([row], headers=RECORD_TYPES[type_name].headers, record_type=type_name)
        assert result.status.value == "succeeded", (result.failure, flatten(result.errors))


# --- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", TYPES)
def test_csv_template_holds_exactly_the_headers(store, tmp_path, type_name):
    path = tmp_path / f"{type_name}-template.csv"
    written = write_records(store, RECORD_TYPES[type_name], "csv", path, template=True)
    assert written == 0
    assert read_csv_cells(path) == [RECORD_TYPES[type_name].headers]


def test_a_blank_template_does_not_read_the_stored_records(tmp_path, settings):
    # Bug: every template download loaded every stored point of contact for nothing.
    store = Store(f"sqlite:///{tmp_path / 'traced.db'}")
    store.initialise()
    store.add_user("admin", PERMISSIONS)
    load_demo_reference_data(store, settings)
    statements: list[str] = []
    event.listen(
        store.engine, "connect", lambda dbapi, _: dbapi.set_trace_callback(statements.append)
    )
    store.engine.dispose()  # new connections, traced
    write_records(store, RECORD_TYPES["poc"], "xlsx", tmp_path / "template.xlsx", template=True)
    store.engine.dispose()
    assert [sql for sql in statements if re.search(r"\bFROM\s+skills\b", sql)], "no dropdowns"
    assert not [sql for sql in statements if re.search(r"\bFROM\s+\"?pocs\b", sql)]


@pytest.mark.parametrize("type_name", TYPES)
def test_xlsx_template_has_headers_frozen_row_dropdowns_and_instructions(
    store, tmp_path, new_reference_data, type_name
):
    rtype = RECORD_TYPES[type_name]
    path = tmp_path / f"{type_name}-template.xlsx"
    write_records(store, rtype, "xlsx", path, template=True)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]

    assert [cell.value for cell in sheet[1]] == rtype.headers
    assert sheet.max_row == 1, "a template has no data rows"
    assert sheet.freeze_panes == "A2"

    dropdowns = dropdowns_by_header(workbook, sheet)
    expected = expected_dropdowns(store, type_name)
    assert set(dropdowns) == set(expected)
    for header, wanted in expected.items():
        choices, source, rows = dropdowns[header]
        assert sorted(choices) == sorted(wanted), header
        assert source is not None, f"{header} choices are inline, not on the Lists sheet"
        assert source.title == "Lists", header
        assert source.sheet_state == "hidden"
        first, last = (int(part) for part in rows.split(":"))
        assert first == 2, f"{header} dropdown covers rows {rows}"
        assert last >= 10_000, f"{header} dropdown covers rows {rows}"
    if type_name == "poc":
        assert "Brand New Skill" in dropdowns["Skill"][0]
        assert "Brand New Script" in dropdowns["Script"][0]
        assert "Brand New Profile" in dropdowns["Chat Profile"][0]

    assert "Instructions" in workbook.sheetnames
    lines = [
        str(cell.value)
        for row in workbook["Instructions"].iter_rows()
        for cell in row
        if cell.value not in (None, "")
    ]
    assert len(lines) >= 2
    assert sum(len(line) for line in lines) > 100

    for header in rtype.headers:
        width = column_width(sheet, header)
        assert width is not None, f"{header} has no width"
        assert len(header) <= width <= 80, (header, width)

    if type_name in TEXT_COLUMNS:
        assert column_format(sheet, TEXT_COLUMNS[type_name]) == "@"


# --- exports -------------------------------------------------------------------------------


@pytest.fixture
def sample_pocs(run):
    result = run(SAMPLES / "new-pocs.csv")
    assert result.status.value == "succeeded", flatten(result.errors)
    assert result.counts.created == 12
    return result


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("type_name", TYPES)
def test_export_holds_every_record_with_row_changed_blank(
    store, tmp_path, sample_pocs, type_name, fmt
):
    rtype = RECORD_TYPES[type_name]
    path = tmp_path / f"{type_name}-export.{fmt}"
    written = write_records(store, rtype, fmt, path, template=False)
    stored = store.read_frame(TABLES[type_name])
    assert written == len(stored) > 0

    if fmt == "csv":
        cells = read_csv_cells(path)
        headers, rows = cells[0], cells[1:]
    else:
        sheet = openpyxl.load_workbook(path).worksheets[0]
        table = [
            ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
        ]
        headers, rows = table[0], table[1:]
    assert headers == rtype.headers
    assert len(rows) == len(stored)
    column = {header: position for position, header in enumerate(headers)}
    assert all(row[column["Row Changed"]] == "" for row in rows)
    keys = [row[0].lstrip("'") for row in rows]
    if rtype.key.kind == "id":
        assert sorted(int(key) for key in keys) == sorted(stored["id"].tolist())
    else:
        assert sorted(keys) == sorted(stored["phone_number"].tolist())
    if "Name" in column:
        exported = sorted(row[column["Name"]] for row in rows)
        assert exported == sorted(stored["name"].tolist())


@pytest.fixture
def risky_store(store, run):
    """Reference data and points of contact whose names a spreadsheet would run as formulas."""
    media = ["Phone Call", "Email", "Chat", "SMS", "Work Item"]
    skills = [
        {"Name": name, "Media Type": media[i % len(media)], "Active": "Y"}
        for i, name in enumerate(RISKY_NAMES)
    ]
    scripts = [{"Name": name, "Media Type": "Phone Call"} for name in RISKY_NAMES]
    profiles = [{"Name": name} for name in RISKY_NAMES]
    for type_name, rows in (("skill", skills), ("script", scripts), ("chat-profile", profiles)):
        result = run(rows, headers=RECORD_TYPES[type_name].headers, record_type=type_name)
        assert result.status.value == "succeeded", (type_name, flatten(result.errors))
    pocs = [
        poc(Name=name, Point_of_Contact=f"+1202555011{i}") for i, name in enumerate(RISKY_NAMES)
    ]
    # One that refers to a risky skill and script by name, which the export repeats.
    pocs.append(
        poc(
            Name="Refers To Risky Names",
            Point_of_Contact="+12025550118",
            Skill=RISKY_NAMES[0],
            Script=RISKY_NAMES[1],
        )
    )
    pocs.append(
        poc(
            Name="Risky Chat Profile",
            Media_Type="Chat",
            Point_of_Contact="",
            Skill="Web Chat",
            Script="Chat Router",
            Chat_Profile=RISKY_NAMES[2],
        )
    )
    result = run(pocs)
    assert result.status.value == "succeeded", flatten(result.errors)
    return store


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("type_name", TYPES)
def test_export_never_runs_as_a_formula_yet_round_trips_with_zero_changes(
    risky_store, run, tmp_path, type_name, fmt
):
    rtype = RECORD_TYPES[type_name]
    path = tmp_path / f"{type_name}-export.{fmt}"
    written = write_records(risky_store, rtype, fmt, path, template=False)
    assert written > 0

    if fmt == "csv":
        cells = read_csv_cells(path)
        data = [cell for row in cells[1:] for cell in row]
        dangerous = [cell for cell in data if cell.startswith(FORMULA_STARTS)]
        assert dangerous == [], "cells a spreadsheet would run as formulas"
        if type_name != "number":
            for name in RISKY_NAMES:
                assert "'" + name in data, f"{name!r} missing from the export"
        else:
            assert all(row[0].startswith("'+") for row in cells[1:])
    else:
        sheet = openpyxl.load_workbook(path).worksheets[0]
        data = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value]
        formulas = [cell.coordinate for cell in data if cell.data_type == "f"]
        assert formulas == []
        as_text = {cell.value for cell in data if cell.data_type == "s"}
        expected = set(RISKY_NAMES) if type_name != "number" else set()
        assert expected <= as_text
        if type_name == "number":
            assert all(str(cell.value).startswith("+") for cell in sheet["A"][1:])

    result = run(path, record_type=type_name)
    assert result.status.value == "succeeded", (result.failure, flatten(result.errors))
    counts = result.counts
    assert (counts.created, counts.updated, counts.failed) == (0, 0, 0)
    assert counts.unchanged == counts.total == written


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_an_empty_store_is_just_the_headers(store, tmp_path, fmt):
    path = tmp_path / f"empty.{fmt}"
    assert write_records(store, RECORD_TYPES["poc"], fmt, path, template=False) == 0
    if fmt == "csv":
        assert read_csv_cells(path) == [RECORD_TYPES["poc"].headers]
    else:
        sheet = openpyxl.load_workbook(path).worksheets[0]
        assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
            RECORD_TYPES["poc"].headers
        ]


def test_export_keeps_phone_numbers_as_text_cells_in_xlsx(store, tmp_path, sample_pocs):
    path = tmp_path / "pocs.xlsx"
    write_records(store, RECORD_TYPES["poc"], "xlsx", path, template=False)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    address = headers.index("Point of Contact") + 1
    phones = [
        cell
        for row in sheet.iter_rows(min_row=2, min_col=address, max_col=address)
        for cell in row
        if cell.value and re.fullmatch(r"\+\d+", str(cell.value))
    ]
    assert len(phones) >= 6
    assert all(cell.data_type == "s" for cell in phones)
