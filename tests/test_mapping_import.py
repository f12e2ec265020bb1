"""A partner's file imported through a column mapping (SQLite and PostgreSQL): renamed
columns, constants and value spellings; a file that does not fit; the partner's own headers
in the errors, the error file and the HTML report; saved mappings in the store."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from bulkpoc.batch.submit import run_import
from bulkpoc.domain.errors.types import MappingInvalid, UnknownMapping
from bulkpoc.domain.mapping import ColumnMapping
from bulkpoc.domain.options import ImportOptions
from tests.conftest import errors, stored_pocs

PARTNER_TOML = """\
# The partner's export: their headers = ours
[columns]
Name = "Queue Name"
"Point of Contact" = "Phone Number"
Skill = "Queue"
Script = "Routing Script"
"Media Type" = "Channel"
"IVR Reporting Enabled" = "IVR"

[values."Media Type"]
Voice = "Phone Call"

[values."IVR Reporting Enabled"]
yes = "Y"
no = "N"
"""

HEADERS = ["Queue Name", "Phone Number", "Queue", "Routing Script", "Channel", "IVR"]


def partner_file(path: Path, *rows: list[str], headers: list[str] = HEADERS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def mapped_options(toml: str = PARTNER_TOML, **options: object) -> ImportOptions:
    mapping = ColumnMapping.from_toml(toml, "poc")
    return ImportOptions(mapping=mapping.to_toml(), mapping_name="partner.toml", **options)  # type: ignore[arg-type]


def test_a_partner_file_imports_through_its_mapping_with_spellings_translated(
    store, settings, tmp_path
):
    path = partner_file(
        tmp_path / "partner.csv",
        ["Sales Line", "+12025550100", "Sales Calls", "Main IVR", " voice ", "yes"],
        ["Help Line", "+12025550101", "Sales Calls", "Main IVR", "Voice", "NO"],
    )
    result = run_import(store, path, mapped_options(), settings)
    assert result.status.value == "succeeded", (result.failure, result.errors)
    assert result.counts.created == 2
    stored = {poc["name"]: poc for poc in stored_pocs(store)}
    assert stored["Sales Line"]["media_type"] == "Phone Call"
    assert stored["Sales Line"]["ivr_enabled"] in (True, 1)
    assert stored["Help Line"]["ivr_enabled"] in (False, 0)
    assert result.options["mapping_name"] == "partner.toml"
    assert "Voice" in result.options["mapping"]


def test_a_constant_fills_a_column_the_file_lacks(store, settings, tmp_path):
    toml = PARTNER_TOML.replace('"Media Type" = "Channel"\n', "").replace(
        '[values."Media Type"]', '[constants]\n"Media Type" = "Phone Call"\n\n[values."Media Type"]'
    )
    headers = [header for header in HEADERS if header != "Channel"]
    path = partner_file(
        tmp_path / "partner.csv",
        ["Sales Line", "+12025550100", "Sales Calls", "Main IVR", "yes"],
        headers=headers,
    )
    result = run_import(store, path, mapped_options(toml), settings)
    assert result.counts.created == 1, (result.failure, result.errors)
    assert stored_pocs(store)[0]["media_type"] == "Phone Call"


def test_a_file_that_neither_matches_nor_fits_fails_naming_the_closest_headers(
    store, settings, tmp_path
):
    headers = ["Queue Name", "Phone No", "Queue", "Routing Script", "Channel", "IVR Flag"]
    path = partner_file(
        tmp_path / "partner.csv",
        ["A", "+12025550100", "Sales Calls", "Main IVR", "Voice", "y"],
        headers=headers,
    )
    result = run_import(store, path, mapped_options(), settings)
    assert result.status.value == "failed"
    assert result.failure_code == "mapping_misfit"
    assert result.failure == (
        "The file does not fit its mapping: it has no columns 'Phone Number' (for Point of "
        "Contact; the closest in the file is 'Phone No') and 'IVR' (for IVR Reporting Enabled; "
        "the closest in the file is 'IVR Flag')."
    )
    assert stored_pocs(store) == []


def test_a_required_column_neither_in_the_file_nor_in_the_mapping_is_named_with_the_closest(
    store, settings, tmp_path
):
    headers = ["Name", "Media Type", "Point of Contct", "Skill", "Script"]
    path = partner_file(
        tmp_path / "ours.csv",
        ["A", "Phone Call", "+12025550100", "Sales Calls", "Main IVR"],
        headers=headers,
    )
    result = run_import(store, path, ImportOptions(), settings)
    assert result.failure == (
        "The file is missing the required column 'Point of Contact' (the closest in the file "
        "is 'Point of Contct')."
    )


def test_errors_the_error_file_and_the_report_keep_the_partners_headers(store, settings, tmp_path):
    path = partner_file(
        tmp_path / "partner.csv",
        ["Sales Line", "+12025550100", "Sales Cals", "Main IVR", "Voice", "yes"],
        ["Good Line", "+12025550101", "Sales Calls", "Main IVR", "Voice", "maybe"],
        ["Fine Line", "+12025550102", "Sales Calls", "Main IVR", "Voice", "no"],
    )
    result = run_import(store, path, mapped_options(report_dir=tmp_path / "reports"), settings)
    assert errors(result) == [[2, "Queue", "unknown_reference"], [3, "IVR", "invalid_yes_no"]]
    with Path(result.reports.error_file).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*HEADERS, "Error"]
    # The partner's cells as they came, spellings untranslated.
    assert rows[1][:6] == ["Sales Line", "'+12025550100", "Sales Cals", "Main IVR", "Voice", "yes"]
    assert rows[1][6].startswith("Queue: ")
    assert rows[2][5] == "maybe"
    assert rows[2][6].startswith("IVR: ")
    html = Path(result.reports.html).read_text(encoding="utf-8")
    assert ">Queue<" in html
    assert ">IVR<" in html
    assert "<th>Column mapping</th><td>partner.toml " in html
    assert store.batch_errors(result.batch_id)[0].column == "Queue"


def test_a_mapping_of_another_record_type_fails_the_batch_in_one_sentence(
    store, settings, tmp_path
):
    path = partner_file(tmp_path / "partner.csv", ["A"], headers=["Skill Title"])
    options = ImportOptions(
        record_type="poc",
        mapping=ColumnMapping.from_toml('[columns]\nName = "Skill Title"', "skill").to_toml(),
        mapping_name="skills",
    )
    result = run_import(store, path, options, settings)
    assert result.failure == "The mapping is for the record type 'skill', not 'poc'."


def test_a_saved_mapping_is_resolved_at_submit_and_kept_with_the_batch(store, settings, tmp_path):
    store.save_mapping("partner", ColumnMapping.from_toml(PARTNER_TOML, "poc"), "admin")
    path = partner_file(
        tmp_path / "partner.csv",
        ["Sales Line", "+12025550100", "Sales Calls", "Main IVR", "Voice", "yes"],
    )
    result = run_import(store, path, ImportOptions(mapping_name="partner"), settings)
    assert result.counts.created == 1, (result.failure, result.errors)
    store.remove_mapping("partner")
    batch = store.batch(result.batch_id)
    assert ColumnMapping.from_toml(batch["options"]["mapping"]).columns["Skill"] == "Queue"


def test_a_batch_whose_saved_mapping_is_gone_fails_in_one_sentence(store, settings, tmp_path):
    path = partner_file(tmp_path / "partner.csv", ["A", "B", "C", "D", "E", "F"])
    result = run_import(store, path, ImportOptions(mapping_name="gone", source="cli"), settings)
    assert result.status.value == "failed"
    assert result.failure == (
        "The upload's column mapping 'gone' is not saved (it may have been removed), so the "
        "file was not read; save the mapping again or choose another."
    )


def test_the_store_saves_lists_finds_by_headers_replaces_and_removes_mappings(store):
    mapping = ColumnMapping.from_toml(PARTNER_TOML, "poc").model_copy(
        update={"headers": tuple(HEADERS)}
    )
    saved, created = store.save_mapping("partner", mapping, "admin", PARTNER_TOML)
    assert created
    assert saved.toml == PARTNER_TOML
    assert saved.mapping == mapping
    assert saved.saved_by == "admin"
    assert isinstance(saved.saved_at, dt.datetime)
    assert [m.name for m in store.mappings()] == ["partner"]
    assert store.mappings("skill") == []
    same = [" queue name", "PHONE NUMBER", "Queue", "Routing Script", "Channel", "IVR", "Error"]
    assert store.mapping_for_headers("poc", same).name == "partner"
    assert store.mapping_for_headers("poc", list(reversed(HEADERS))) is None
    assert store.mapping_for_headers("skill", HEADERS) is None
    _, created = store.save_mapping("partner", mapping.model_copy(update={"headers": ()}), "ann")
    assert not created
    assert store.get_mapping("partner").saved_by == "ann"
    assert store.mapping_for_headers("poc", HEADERS) is None
    store.remove_mapping("partner")
    assert store.find_mapping("partner") is None
    with pytest.raises(UnknownMapping, match="no mapping named 'partner'"):
        store.remove_mapping("partner")
    with pytest.raises(MappingInvalid, match="without '/'"):
        store.save_mapping("a/b", mapping, "admin")
