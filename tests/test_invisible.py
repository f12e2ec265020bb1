"""Invisible characters in headers and names (issue 22, defect 9): repaired where that cannot
change what a cell means, and said so; named in every message where they are not repaired.

At the batch level on every backend (the CLI, the web upload and the API share it), and once
end to end through the CLI.
"""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from bulkpoc.cli import cli
from bulkpoc.domain import invisible
from bulkpoc.domain.parsers import TEXT
from bulkpoc.domain.records import RECORD_TYPES
from tests.conftest import POC_HEADERS, errors, poc, stored_pocs, write_rows

MOJIBAKE = "\ufeff".encode().decode("cp1252")  # 'ï»¿': a UTF-8 byte order mark read as cp1252
NBSP, ZWSP, ZWJ = "\u00a0", "\u200b", "\u200d"
# The POC headers with Name first, as a hand-made file has them: a missing Name fails the batch.
NAME_FIRST = ["Name", "Media Type", "Point of Contact", "Skill", "Script"]


def new_pocs(count: int, **cells: str) -> list[dict[str, str]]:
    """``count`` valid new Phone Call POCs on +12025550100 onwards."""
    return [
        poc(Name=f"Line {i}", Point_of_Contact=f"+120255501{i:02}", **cells) for i in range(count)
    ]


def with_headers(rows: list[dict[str, str]], headers: list[str]) -> list[dict[str, str]]:
    """The rows keyed by ``headers`` (written in the file) in place of NAME_FIRST."""
    return [
        {written: row[plain] for written, plain in zip(headers, NAME_FIRST, strict=True)}
        for row in rows
    ]


# --- headers ---------------------------------------------------------------------------------


def test_a_garbled_byte_order_mark_before_the_first_header_is_repaired_and_said(run, store):
    headers = [MOJIBAKE + "Name", *NAME_FIRST[1:]]
    result = run(with_headers(new_pocs(2), headers), headers=headers)
    assert result.status.value == "succeeded", result.failure
    assert result.counts.created == 2
    assert [p["name"] for p in stored_pocs(store)] == ["Line 0", "Line 1"]
    (warning,) = result.warnings
    assert warning.startswith("Repaired the header 'Name' (column 1): 'ï»¿' removed from its start")
    assert "Windows-1252" in warning


def test_a_garbled_byte_order_mark_after_a_real_one_is_repaired(run, tmp_path):
    headers = [MOJIBAKE + "Name", *NAME_FIRST[1:]]
    path = write_rows(tmp_path / "twice.csv", with_headers(new_pocs(1), headers), headers)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run(path)
    assert result.status.value == "succeeded", result.failure
    assert len(result.warnings) == 1


@pytest.mark.parametrize(
    ("written", "repair"),
    [
        (f"Media{NBSP}Type", "a no-break space read as a space"),
        (f"Media Type{ZWSP}", "a zero-width space removed"),
        (
            f"Me{ZWJ}dia{NBSP}Type",
            "a no-break space read as a space and a zero-width joiner removed",
        ),
    ],
)
def test_invisible_characters_in_a_header_are_repaired_and_said(run, store, written, repair):
    headers = [*NAME_FIRST[:1], written, *NAME_FIRST[2:]]
    result = run(with_headers(new_pocs(1), headers), headers=headers)
    assert result.status.value == "succeeded", result.failure
    assert result.warnings == [f"Repaired the header 'Media Type' (column 2): {repair}."]


def test_a_garbled_byte_order_mark_elsewhere_is_named_in_the_failure(run):
    headers = [*NAME_FIRST[:1], MOJIBAKE + "Media Type", *NAME_FIRST[2:]]
    result = run(with_headers(new_pocs(1), headers), headers=headers)
    assert result.status.value == "failed"
    assert result.failure_code == "missing_columns"
    assert result.failure == (
        "The file is missing the required column 'Media Type'. Column 2: 'ï»¿Media Type' "
        "contains 'ï»¿', a byte order mark that a program reading the file as Windows-1252 "
        "saved as text."
    )


def test_an_unknown_header_shows_its_invisible_characters(run):
    headers = [*POC_HEADERS, f"Notes{ZWSP}"]
    result = run(new_pocs(1), headers=headers)
    assert result.status.value == "succeeded", result.failure
    assert result.warnings == [
        "Ignored unknown column(s): Notes\\u200b (which contains a zero-width space)."
    ]


def test_an_export_header_row_needs_no_repair(run):
    result = run(new_pocs(1))
    assert result.warnings == []


# --- reference names -------------------------------------------------------------------------


def test_invisible_characters_in_reference_names_are_repaired_and_said(run, store):
    rows = new_pocs(14, Skill=f"Sales{ZWSP} Calls", Script=f"Main{NBSP}IVR")
    rows[3]["Skill"] = "Sales Calls"  # written plainly: not repaired
    result = run(rows)
    assert result.status.value == "succeeded", errors(result)
    assert result.counts.created == 14
    assert result.warnings == [
        "Repaired 13 Skill cell(s) holding invisible characters (rows 2, 3, 4, 6, 7, 8, 9, 10, 11, "
        "12 and 3 more): with a zero-width space removed, each names an existing skill.",
        "Repaired 14 Script cell(s) holding invisible characters (rows 2, 3, 4, 5, 6, 7, 8, 9, 10, "
        "11 and 4 more): with a no-break space read as a space, each names an existing script.",
    ]
    skills = {p["skill_id"] for p in stored_pocs(store)}
    assert len(skills) == 1


def test_a_chat_profile_name_pasted_from_a_web_page_is_repaired(run, store):
    row = poc(
        Name="Web",
        Media_Type="Chat",
        Point_of_Contact="",
        Skill="Web Chat",
        Script="Chat Router",
        Chat_Profile=f"\u200eDefault{NBSP}Chat\u00ad",
    )
    result = run([row])
    assert result.status.value == "succeeded", errors(result)
    (warning,) = result.warnings
    assert warning == (
        "Repaired 1 Chat Profile cell(s) holding invisible characters (row 2): with a no-break "
        "space read as a space and a left-to-right mark and a soft hyphen removed, each names an "
        "existing chat profile."
    )


def test_a_stored_name_holding_a_no_break_space_matches_as_written(run, store):
    skill = RECORD_TYPES["skill"].headers
    created = run(
        [{"Name": f"VIP{NBSP}Calls", "Media Type": "Phone Call"}],
        headers=skill,
        record_type="skill",
    )
    assert created.counts.created == 1, errors(created)
    result = run([poc(Skill=f"VIP{NBSP}Calls")])
    assert result.status.value == "succeeded", errors(result)
    assert result.warnings == []


def test_an_unknown_name_names_its_invisible_character(run, store):
    result = run([poc(Skill=f"Sales{ZWSP}Cals")])
    assert errors(result) == [[2, "Skill", "unknown_reference"]]
    (error,) = result.errors
    assert error.value == f"Sales{ZWSP}Cals"  # the cell as it was, for the error file
    assert error.message == (
        "Skill 'Sales\\u200bCals' does not exist; did you mean 'Sales Calls'? Otherwise use the "
        "name of an existing skill (download the skill export for the list). 'Sales\\u200bCals' "
        "contains a zero-width space."
    )
    assert stored_pocs(store) == []


def test_every_message_names_the_invisible_character_it_shows(run):
    result = run(
        [
            poc(Media_Type=f"Phone{ZWSP}Call"),
            poc(Name="B", Media_Type="Email", Point_of_Contact=f"sales{NBSP}team@example.com"),
            poc(Name="C", Point_of_Contact="+12025550102", Active=f"Y{ZWSP}"),
        ]
    )
    by_column = {error.column: error.message for error in result.errors}
    assert by_column["Media Type"].endswith("'Phone\\u200bCall' contains a zero-width space.")
    assert by_column["Point of Contact"].endswith(
        "'sales\\u00a0team@example.com' contains a no-break space."
    )
    assert by_column["Active"] == "Active must be Y or N. 'Y\\u200b' contains a zero-width space."
    assert all(ZWSP not in m and NBSP not in m for m in by_column.values())


# --- through the CLI ---------------------------------------------------------------------------


def test_the_cli_repairs_and_reports_in_its_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BULKPOC_REPORT_DIR", str(tmp_path / "reports"))
    runner, db = CliRunner(), ["--db", f"sqlite:///{tmp_path / 'bulkpoc.db'}"]
    assert runner.invoke(cli, [*db, "init", "--demo"]).exit_code == 0
    headers = [MOJIBAKE + "Name", f"Media{NBSP}Type", *NAME_FIRST[2:]]
    rows = with_headers(new_pocs(2, Skill=f"Sales Calls{ZWSP}"), headers)
    typo = poc(Name="Typo", Point_of_Contact="+12025550102", Skill=f"Sales{ZWSP}Calls")
    rows.append(with_headers([typo], headers)[0])
    path = write_rows(tmp_path / "pasted.csv", rows, headers)
    result = runner.invoke(cli, [*db, "import", str(path), "--json"])
    assert result.exit_code == 1, result.output
    body = json.loads(result.stdout)
    assert body["counts"]["created"] == 2, (body["failure"], body["errors"])
    assert [warning.split(":")[0] for warning in body["warnings"]] == [
        "Repaired the header 'Name' (column 1)",
        "Repaired the header 'Media Type' (column 2)",
        "Repaired 2 Skill cell(s) holding invisible characters (rows 2 and 3)",
    ]
    (error,) = body["errors"]
    assert error["message"].startswith("Skill 'Sales\\u200bCalls' does not exist; did you mean")
    assert error["message"].endswith("'Sales\\u200bCalls' contains a zero-width space.")
    shown = runner.invoke(cli, [*db, "import", str(path), "--dry-run"]).output
    assert "Warning: Repaired the header 'Name' (column 1)" in shown


# --- the module's own words --------------------------------------------------------------------


def test_notes_and_codes():
    assert invisible.note(f"Sales{NBSP}Phone") == "'Sales\\u00a0Phone' contains a no-break space."
    assert invisible.note("plain") == ""
    assert invisible.visible(f"a{ZWSP}b{ZWJ}c") == "a\\u200bb\\u200dc"
    assert invisible.repair_header(f"\ufeff{MOJIBAKE}{MOJIBAKE}ID", first=True)[0] == "ID"
    assert invisible.repair_header(f"{MOJIBAKE}ID", first=False)[0] == f"{MOJIBAKE}ID"
    assert invisible.repair_header("Point of Contact ID", first=True) == ("Point of Contact ID", "")


def test_a_message_whose_own_text_holds_one_names_its_code():
    named = invisible.name_in_messages(np.array([f"did you mean 'A{NBSP}B'?"], dtype=object), "x")
    assert list(named) == ["did you mean 'A\\u00a0B'? \\u00a0 is a no-break space."]


def test_columns_are_searched_and_repaired_whole():
    cells = pd.Series([f"a{NBSP}b", "plain", None, f"{ZWSP}c"], dtype=TEXT)
    assert invisible.has_invisible(cells).tolist() == [True, False, False, True]
    assert invisible.repair(cells).tolist()[:2] == ["a b", "plain"]
    assert invisible.repair(cells).tolist()[3] == "c"
    assert not invisible.has_invisible(pd.Series(["ascii only"] * 3, dtype=TEXT)).any()


def test_a_file_saved_as_cp1252_after_its_byte_order_mark_was_read_as_text(run, store, tmp_path):
    # The program read the UTF-8 BOM as 'ï»¿' and saved everything as cp1252: the file starts
    # with the BOM's bytes, and its accents are not UTF-8.
    headers = [MOJIBAKE + "Name", *NAME_FIRST[1:]]
    rows = with_headers(new_pocs(1), headers)
    rows[0][headers[0]] = "Café Line"
    path = write_rows(tmp_path / "saved-as-ansi.csv", rows, headers, encoding="cp1252")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfName,")
    result = run(path)
    assert result.status.value == "succeeded", result.failure
    assert [p["name"] for p in stored_pocs(store)] == ["Café Line"]
    assert result.warnings[0].startswith("Repaired the header 'Name' (column 1): 'ï»¿' removed")


def test_a_spreadsheet_header_pasted_from_a_web_page_is_repaired(run, store, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([f"Point{NBSP}of{NBSP}Contact{ZWSP}", *NAME_FIRST[:2], *NAME_FIRST[3:]])
    sheet.append(["+12025550100", "Main Line", "Phone Call", f"Sales{NBSP}Calls", "Main IVR"])
    path = tmp_path / "pasted.xlsx"
    workbook.save(path)
    result = run(path)
    assert result.status.value == "succeeded", result.failure or errors(result)
    assert result.warnings == [
        "Repaired the header 'Point of Contact' (column 1): a no-break space read as a space "
        "and a zero-width space removed.",
        "Repaired 1 Skill cell(s) holding invisible characters (row 2): with a no-break space "
        "read as a space, each names an existing skill.",
    ]
