"""Validation (SPEC §2, §3, §4): the header, the cells of a point-of-contact row, references,
duplicates within the file."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from bulkpoc.batch.headers import map_headers
from bulkpoc.batch.validate import validate
from bulkpoc.domain.parsers import TEXT
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import Sheet
from bulkpoc.domain.records.snapshot import Snapshot
from bulkpoc.domain.users import User
from bulkpoc.formats.base import RawTable
from bulkpoc.output.exports import export_frame, write_records
from bulkpoc.store import schema
from bulkpoc.store import snapshots as snapshot_module
from bulkpoc.store.record_tables import table
from tests.conftest import POC_HEADERS, errors, flatten, poc, stored_pocs

KEYS = ("row", "column", "code")  # what errors() compares

DEFAULTS = {  # media type: (Point of Contact, Skill, Script) of a valid new row
    "Phone Call": ("+12025550100", "Sales Calls", "Main IVR"),
    "Email": ("help@example.com", "Email Support", "Email Router"),
    "Chat": ("", "Web Chat", "Chat Router"),
    "SMS": ("+14155550200", "SMS Support", "SMS Router"),
    "Work Item": ("", "Back Office", "Work Item Router"),
}


def row(media: str, name: str, **cells: str) -> dict[str, str]:
    """A valid new POC row of ``media`` (canonical name), with ``cells`` overriding."""
    address, skill, script = DEFAULTS[media]
    values = {
        "Name": name,
        "Media Type": media,
        "Point of Contact": address,
        "Skill": skill,
        "Script": script,
    }
    values.update({key.replace("_", " "): value for key, value in cells.items()})
    return values


def ref_id(store, table, name: str) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(table.c.id).where(table.c.name == name))


def message(result, column: str) -> str:
    return next(error.message for error in result.errors if error.column == column)


def skills_sheet(*names: str) -> Sheet:
    """Validate new Phone Call skills with ``names`` against an empty store, in memory."""
    rtype = RECORD_TYPES["skill"]
    raw = RawTable(
        headers=["Name", "Media Type"],
        data=pd.DataFrame({0: list(names), 1: "Phone Call"}, dtype=object),
        rows=pd.Series(range(2, len(names) + 2)),
        file_type="csv",
    )
    empty = pd.DataFrame({column.name: [] for column in table(rtype).columns}, dtype=object)
    existing = rtype.derive(empty).set_index("id", drop=False)
    positions, _ = map_headers(raw, rtype)
    user = User("admin", None, frozenset(PERMISSIONS))
    return validate(raw, positions, rtype, Snapshot(existing=existing), user)


# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["Name", "Media Type", "Point of Contact", "Skill", "Script"])
def test_missing_required_column_fails_the_batch(run, store, missing):
    headers = [h for h in POC_HEADERS if h != missing]
    result = run([poc()], headers=headers)
    assert result.status.value == "failed"
    assert f"'{missing}'" in result.failure
    assert result.applied is False
    assert stored_pocs(store) == []


def test_optional_columns_may_be_left_out(run, store):
    headers = ["Name", "Media Type", "Point of Contact", "Skill", "Script"]
    result = run([poc()], headers=headers)
    assert errors(result) == []
    assert result.status.value == "succeeded"
    (stored,) = stored_pocs(store)
    assert (stored["active"], stored["ivr_enabled"], stored["chat_profile_id"]) == (
        True,
        False,
        None,
    )


def test_unknown_columns_are_ignored_with_a_warning(run, store):
    headers = [*POC_HEADERS, "Notes", "Owner"]
    result = run([{**poc(), "Notes": "call me", "Owner": "=1+1"}], headers=headers)
    assert errors(result) == []
    assert result.status.value == "succeeded"
    assert any("Notes" in w and "Owner" in w for w in result.warnings), result.warnings
    assert [p["name"] for p in stored_pocs(store)] == ["Main Line"]


def test_headers_match_case_and_whitespace_insensitively_in_any_order(run, store):
    spelled = {
        "Script": "SCRIPT",
        "Name": "  name ",
        "Point of Contact": "Point Of  Contact",
        "Skill": "skill",
        "Media Type": "MediaType",
        "Active": " ACTIVE",
        "IVR Reporting Enabled": "ivr reporting enabled",
    }
    headers = list(spelled.values())
    row = {spelled[key]: value for key, value in poc(IVR_Reporting_Enabled="Y").items()}
    result = run([row], headers=headers)
    assert errors(result) == []
    assert result.status.value == "succeeded"
    assert not any("column" in w.lower() for w in result.warnings), result.warnings
    (stored,) = stored_pocs(store)
    assert (stored["name"], stored["address"], stored["ivr_enabled"]) == (
        "Main Line",
        "+12025550100",
        True,
    )


def test_error_column_is_ignored(run, store):
    headers = [*POC_HEADERS, "Error"]
    result = run([{**poc(), "Error": "Row 2: Skill 'x' does not exist"}], headers=headers)
    assert errors(result) == []
    assert result.status.value == "succeeded"
    assert result.warnings == []
    assert len(stored_pocs(store)) == 1


def test_error_column_first_is_ignored_too(run, store):
    headers = ["error", *POC_HEADERS]
    result = run([{**poc(), "error": "old problem"}], headers=headers)
    assert errors(result) == []
    assert result.warnings == []
    assert len(stored_pocs(store)) == 1


# --- media types ---------------------------------------------------------------------------


SPELLINGS = [
    ("Phone Call", "Phone Call"),
    ("phone", "Phone Call"),
    ("VOICE", "Phone Call"),
    ("phone call", "Phone Call"),
    ("Email", "Email"),
    ("e-mail", "Email"),
    ("E-Mail", "Email"),
    ("Chat", "Chat"),
    ("chat", "Chat"),
    ("SMS", "SMS"),
    ("text", "SMS"),
    ("Work Item", "Work Item"),
    ("workitem", "Work Item"),
    ("work-item", "Work Item"),
]


def test_media_type_spellings_are_stored_canonical(run, store):
    phones = iter(["+12025550100", "+12025550101", "+12025550102", "+12025550103"])
    texts = iter(["+14155550200", "+14155550201"])
    rows = []
    for number, (spelling, canonical) in enumerate(SPELLINGS):
        address = {
            "Phone Call": lambda: next(phones),
            "Email": lambda n=number: f"inbox{n}@example.com",
            "SMS": lambda: next(texts),
        }.get(canonical, lambda: "")()
        rows.append(row(canonical, f"POC {number}", Media_Type=spelling, Point_of_Contact=address))
    result = run(rows)
    assert errors(result) == []
    assert result.status.value == "succeeded"
    assert result.counts.created == len(SPELLINGS)
    assert [p["media_type"] for p in stored_pocs(store)] == [
        canonical for _, canonical in SPELLINGS
    ]


def test_unknown_media_type_fails(run, store):
    result = run([poc(Media_Type="Fax")])
    assert errors(result) == [[2, "Media Type", "invalid_media_type"]]
    assert result.status.value == "completed_with_errors"
    assert result.counts.failed == 1
    assert stored_pocs(store) == []


# --- phone addresses -----------------------------------------------------------------------


def test_phone_numbers_in_any_format_are_stored_e164(run, store):
    written = [
        "+12025550100",
        "(202) 555-0101",
        "202-555-0102",
        "202.555.0103",
        "2025550104",
        "12025550105",
        "1 (202) 555-0106",
        "+1 202 555 0107",
        "+1-202-555-0108",
        "  +1 (202) 555-0109  ",
        "'+12025550110",
        "2025550111.0",
    ]
    rows = [poc(Name=f"Line {n}", Point_of_Contact=text) for n, text in enumerate(written)]
    result = run(rows)
    assert errors(result) == []
    assert result.counts.created == len(written)
    assert [p["address"] for p in stored_pocs(store)] == [f"+120255501{n:02}" for n in range(12)]


def test_sms_number_is_normalised_too(run, store):
    result = run([row("SMS", "Texts", Point_of_Contact="(415) 555-0201")])
    assert errors(result) == []
    assert [p["address"] for p in stored_pocs(store)] == ["+14155550201"]


def test_number_not_in_inventory_fails(run, store):
    result = run([poc(Point_of_Contact="(212) 555-0100")])
    assert errors(result) == [[2, "Point of Contact", "not_in_inventory"]]
    assert "+12125550100" in message(result, "Point of Contact")
    assert stored_pocs(store) == []


def test_not_a_phone_number_fails(run, store):
    result = run([poc(Point_of_Contact="12345"), poc(Name="Other", Point_of_Contact="call me")])
    assert errors(result) == [
        [2, "Point of Contact", "invalid_phone"],
        [3, "Point of Contact", "invalid_phone"],
    ]


def test_phone_address_is_required(run, store):
    result = run([poc(Point_of_Contact=""), row("SMS", "Texts", Point_of_Contact="")])
    assert errors(result) == [
        [2, "Point of Contact", "required"],
        [3, "Point of Contact", "required"],
    ]


def test_phone_call_needs_a_voice_capable_number(run, store):
    result = run([poc(Point_of_Contact="+14155550200")])
    assert errors(result) == [[2, "Point of Contact", "number_not_capable"]]
    assert "voice" in message(result, "Point of Contact")
    assert stored_pocs(store) == []


def test_sms_needs_an_sms_capable_number(run, store):
    result = run([row("SMS", "Texts", Point_of_Contact="+12025550100")])
    assert errors(result) == [[2, "Point of Contact", "number_not_capable"]]
    assert "SMS" in message(result, "Point of Contact")
    assert stored_pocs(store) == []


def test_numbers_capable_of_both_serve_phone_and_sms(run, store):
    result = run(
        [
            poc(Name="Toll Free", Point_of_Contact="+18005550300"),
            row("SMS", "Toll Free Texts", Point_of_Contact="(800) 555-0300"),
        ]
    )
    assert errors(result) == []
    assert result.counts.created == 2
    assert sorted((p["media_type"], p["address"]) for p in stored_pocs(store)) == [
        ("Phone Call", "+18005550300"),
        ("SMS", "+18005550300"),
    ]


def test_the_same_number_as_phone_and_sms_across_batches(run, store):
    assert run([poc(Name="Toll Free", Point_of_Contact="+18005550300")]).counts.created == 1
    result = run([row("SMS", "Toll Free Texts", Point_of_Contact="+18005550300")])
    assert errors(result) == []
    assert result.counts.created == 1


def test_phone_address_already_used_in_the_store(run, store):
    assert run([poc()]).counts.created == 1
    result = run([poc(Name="Second Line", Point_of_Contact="(202) 555-0100")])
    assert errors(result) == [[2, "Point of Contact", "already_used"]]
    assert "Main Line" in message(result, "Point of Contact")
    assert len(stored_pocs(store)) == 1


def test_phone_address_twice_in_one_file_fails_both_rows_naming_the_other(run, store):
    result = run(
        [
            poc(Name="First", Point_of_Contact="+12025550100"),
            poc(Name="Fine", Point_of_Contact="+12025550101"),
            poc(Name="Second", Point_of_Contact="202-555-0100"),
        ]
    )
    assert errors(result) == [
        [2, "Point of Contact", "duplicate_in_file"],
        [4, "Point of Contact", "duplicate_in_file"],
    ]
    first, second = (e.message for e in result.errors)
    assert "row 4;" in first
    assert "row 2;" in second
    assert result.counts.created == 1
    assert [p["name"] for p in stored_pocs(store)] == ["Fine"]


# --- email addresses -----------------------------------------------------------------------


@pytest.mark.parametrize("address", ["support@@example", "not-an-email", "a b@example.com", "x@"])
def test_invalid_email_fails(run, store, address):
    result = run([row("Email", "Inbox", Point_of_Contact=address)])
    assert errors(result) == [[2, "Point of Contact", "invalid_email"]]
    assert stored_pocs(store) == []


def test_email_domain_is_stored_lower_cased(run, store):
    result = run([row("Email", "Billing", Point_of_Contact="Billing@Example.COM")])
    assert errors(result) == []
    assert [p["address"] for p in stored_pocs(store)] == ["Billing@example.com"]


def test_email_domain_case_change_on_update_is_unchanged(run, store):
    assert run([row("Email", "Billing", Point_of_Contact="Billing@example.com")]).counts.created
    result = run(
        [row("Email", "Billing", Point_of_Contact_ID="1", Point_of_Contact="Billing@EXAMPLE.com")]
    )
    assert errors(result) == []
    assert result.counts.unchanged == 1


def test_email_local_part_case_change_on_update_is_an_update(run, store):
    assert run([row("Email", "Billing", Point_of_Contact="Billing@example.com")]).counts.created
    result = run(
        [row("Email", "Billing", Point_of_Contact_ID="1", Point_of_Contact="billing@example.com")]
    )
    assert errors(result) == []
    assert result.counts.updated == 1
    assert [p["address"] for p in stored_pocs(store)] == ["billing@example.com"]


def test_email_is_required(run, store):
    result = run([row("Email", "Inbox", Point_of_Contact="")])
    assert errors(result) == [[2, "Point of Contact", "required"]]


def test_email_unique_case_insensitively_against_the_store(run, store):
    assert run([row("Email", "Help", Point_of_Contact="help@example.com")]).counts.created == 1
    result = run([row("Email", "Help Again", Point_of_Contact="HELP@Example.com")])
    assert errors(result) == [[2, "Point of Contact", "already_used"]]
    assert len(stored_pocs(store)) == 1


def test_email_unique_case_insensitively_within_the_file(run, store):
    result = run(
        [
            row("Email", "Help", Point_of_Contact="help@example.com"),
            row("Email", "Help Again", Point_of_Contact="Help@EXAMPLE.COM"),
        ]
    )
    assert errors(result) == [
        [2, "Point of Contact", "duplicate_in_file"],
        [3, "Point of Contact", "duplicate_in_file"],
    ]
    assert "row 3;" in result.errors[0].message
    assert "row 2;" in result.errors[1].message
    assert stored_pocs(store) == []


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_name_is_required(run, store, name):
    result = run([poc(Name=name)])
    assert errors(result) == [[2, "Name", "required"]]
    assert stored_pocs(store) == []


@pytest.mark.parametrize("padded", ["   Main Line  ", "\u00a0Main Line\t", "Main Line\u3000"])
def test_name_is_trimmed_of_any_whitespace_pasted_around_it(run, store, padded):
    result = run([poc(Name=padded)])
    assert errors(result) == []
    assert [p["name"] for p in stored_pocs(store)] == ["Main Line"]


def test_space_inside_a_name_is_kept(run, store):
    run([poc(Name="Main  Line")])
    assert [p["name"] for p in stored_pocs(store)] == ["Main  Line"]


def test_name_of_100_characters_is_fine_and_101_is_too_long(run, store):
    result = run(
        [
            poc(Name="a" * 100),
            poc(Name="b" * 101, Point_of_Contact="+12025550101"),
        ]
    )
    assert errors(result) == [[3, "Name", "too_long"]]
    assert "100" in message(result, "Name")
    assert [p["name"] for p in stored_pocs(store)] == ["a" * 100]


def test_name_twice_in_one_file_case_insensitively_fails_both_rows(run, store):
    result = run(
        [
            poc(Name="Duplicate Name"),
            poc(Name="Unique", Point_of_Contact="+12025550101"),
            poc(Name="duplicate NAME", Point_of_Contact="+12025550102"),
        ]
    )
    assert errors(result) == [[2, "Name", "duplicate_in_file"], [4, "Name", "duplicate_in_file"]]
    assert "row 4;" in result.errors[0].message
    assert "row 2;" in result.errors[1].message
    assert [p["name"] for p in stored_pocs(store)] == ["Unique"]


def test_name_used_in_the_store_case_insensitively_fails(run, store):
    assert run([poc()]).counts.created == 1
    result = run([poc(Name="MAIN LINE", Point_of_Contact="+12025550101")])
    assert errors(result) == [[2, "Name", "already_used"]]
    assert "Main Line" in message(result, "Name")
    assert len(stored_pocs(store)) == 1


def test_name_unique_across_media_types(run, store):
    result = run([poc(Name="Support"), row("Email", "support")])
    assert errors(result) == [[2, "Name", "duplicate_in_file"], [3, "Name", "duplicate_in_file"]]


# --- skills and scripts --------------------------------------------------------------------


def test_unknown_skill_and_script_fail(run, store):
    result = run([poc(Skill="Sales Cals", Script="Nope")])
    assert errors(result) == [[2, "Skill", "unknown_reference"], [2, "Script", "unknown_reference"]]
    assert "Sales Cals" in message(result, "Skill")
    assert stored_pocs(store) == []


def test_references_match_case_insensitively(run, store):
    result = run([poc(Skill="sales calls", Script="MAIN IVR")])
    assert errors(result) == []
    (stored,) = stored_pocs(store)
    assert stored["skill_id"] == ref_id(store, schema.skills, "Sales Calls")
    assert stored["script_id"] == ref_id(store, schema.scripts, "Main IVR")


def test_skill_is_required(run, store):
    result = run([poc(Skill="")])
    assert errors(result) == [[2, "Skill", "required"]]


def test_script_is_required(run, store):
    result = run([poc(Script="")])
    assert errors(result) == [[2, "Script", "required"]]


def test_skill_of_another_media_type_fails(run, store):
    result = run(
        [row("Email", "Orders", Point_of_Contact="orders@example.com", Skill="Sales Calls")]
    )
    assert errors(result) == [[2, "Skill", "media_type_mismatch"]]
    assert stored_pocs(store) == []


def test_script_of_another_media_type_fails(run, store):
    result = run([poc(Script="Chat Router")])
    assert errors(result) == [[2, "Script", "media_type_mismatch"]]
    assert stored_pocs(store) == []


def test_inactive_skill_cannot_be_assigned_on_create(run, store):
    result = run([poc(Skill="Legacy Calls")])
    assert errors(result) == [[2, "Skill", "skill_inactive"]]
    assert "Legacy Calls" in message(result, "Skill")
    assert stored_pocs(store) == []


def test_inactive_skill_cannot_be_assigned_on_update(run, store):
    assert run([poc()]).counts.created == 1
    result = run([poc(Point_of_Contact_ID="1", Skill="Legacy Calls")])
    assert errors(result) == [[2, "Skill", "skill_inactive"]]
    assert stored_pocs(store)[0]["skill_id"] == ref_id(store, schema.skills, "Sales Calls")


def test_unchanged_inactive_skill_on_update_is_fine(run, store):
    assert run([poc()]).counts.created == 1
    sales = ref_id(store, schema.skills, "Sales Calls")
    skill_row = {"Skill ID": str(sales), "Name": "Sales Calls", "Media Type": "Phone Call"}
    deactivated = run(
        [{**skill_row, "Active": "N"}],
        headers=["Skill ID", "Row Changed", "Name", "Media Type", "Active"],
        record_type="skill",
    )
    assert deactivated.counts.updated == 1, errors(deactivated)
    result = run([poc(Point_of_Contact_ID="1", Name="Renamed Line")])
    assert errors(result) == []
    assert result.counts.updated == 1
    (stored,) = stored_pocs(store)
    assert (stored["name"], stored["skill_id"]) == ("Renamed Line", sales)


# --- IVR and chat profile ------------------------------------------------------------------


def test_ivr_yes_for_phone_call_is_stored(run, store):
    result = run([poc(IVR_Reporting_Enabled="Y"), poc(Name="Two", Point_of_Contact="+12025550101")])
    assert errors(result) == []
    assert [p["ivr_enabled"] for p in stored_pocs(store)] == [True, False]


@pytest.mark.parametrize("media", ["Email", "Chat", "SMS", "Work Item"])
def test_ivr_yes_only_for_phone_call(run, store, media):
    result = run([row(media, "Other", IVR_Reporting_Enabled="Y")])
    assert errors(result) == [[2, "IVR Reporting Enabled", "ivr_not_phone"]]
    assert stored_pocs(store) == []


def test_ivr_no_is_fine_for_other_media(run, store):
    result = run([row("Email", "Inbox", IVR_Reporting_Enabled="N")])
    assert errors(result) == []


def test_ivr_must_be_yes_or_no(run, store):
    result = run([poc(IVR_Reporting_Enabled="maybe")])
    assert errors(result) == [[2, "IVR Reporting Enabled", "invalid_yes_no"]]


def test_chat_profile_on_chat_is_stored(run, store):
    result = run([row("Chat", "Website Chat", Chat_Profile="Spanish Chat")])
    assert errors(result) == []
    expected = ref_id(store, schema.chat_profiles, "Spanish Chat")
    assert [p["chat_profile_id"] for p in stored_pocs(store)] == [expected]


@pytest.mark.parametrize("media", ["Phone Call", "Email", "SMS", "Work Item"])
def test_chat_profile_only_for_chat(run, store, media):
    result = run([row(media, "Other", Chat_Profile="Default Chat")])
    assert errors(result) == [[2, "Chat Profile", "chat_profile_not_chat"]]
    assert stored_pocs(store) == []


def test_unknown_chat_profile_fails(run, store):
    result = run([row("Chat", "Website Chat", Chat_Profile="Klingon Chat")])
    assert errors(result) == [[2, "Chat Profile", "unknown_reference"]]


# --- system-assigned addresses -------------------------------------------------------------


@pytest.mark.parametrize("media", ["Chat", "Work Item"])
def test_system_assigns_unique_identifiers_on_create(run, store, media):
    result = run([row(media, "One"), row(media, "Two"), row(media, "Three")])
    assert errors(result) == []
    assert result.counts.created == 3
    addresses = [p["address"] for p in stored_pocs(store)]
    assert all(address and address.strip() for address in addresses)
    assert len(set(addresses)) == 3
    again = run([row(media, "Four")])
    assert again.counts.created == 1
    assert len({p["address"] for p in stored_pocs(store)}) == 4


@pytest.mark.parametrize("media", ["Chat", "Work Item"])
def test_system_address_given_on_create_fails(run, store, media):
    result = run([row(media, "One", Point_of_Contact="chat-123")])
    assert errors(result) == [[2, "Point of Contact", "assigned_by_system"]]
    assert stored_pocs(store) == []


@pytest.mark.parametrize("media", ["Chat", "Work Item"])
def test_system_address_on_update_blank_or_equal_is_fine_different_fails(run, store, media):
    assert run([row(media, "One")]).counts.created == 1
    (created,) = stored_pocs(store)
    assigned = created["address"]

    blank = run([row(media, "One Renamed", Point_of_Contact_ID="1")])
    assert errors(blank) == []
    assert blank.counts.updated == 1
    assert stored_pocs(store)[0]["address"] == assigned

    equal = run([row(media, "One Again", Point_of_Contact_ID="1", Point_of_Contact=assigned)])
    assert errors(equal) == []
    assert equal.counts.updated == 1
    assert stored_pocs(store)[0]["address"] == assigned

    other = run([row(media, "One More", Point_of_Contact_ID="1", Point_of_Contact="CHAT-OTHER")])
    assert errors(other) == [[2, "Point of Contact", "system_address_changed"]]
    assert stored_pocs(store)[0]["address"] == assigned
    assert stored_pocs(store)[0]["name"] == "One Again"


def test_unchanged_chat_row_with_blank_address_is_unchanged(run, store):
    assert run([row("Chat", "Website Chat", Chat_Profile="Default Chat")]).counts.created == 1
    result = run(
        [row("Chat", "Website Chat", Chat_Profile="Default Chat", Point_of_Contact_ID="1")]
    )
    assert errors(result) == []
    assert result.counts.unchanged == 1


# --- IDs -----------------------------------------------------------------------------------


def test_unknown_id_fails(run, store):
    result = run([poc(Point_of_Contact_ID="999")])
    assert errors(result) == [[2, "Point of Contact ID", "unknown_id"]]
    assert "999" in message(result, "Point of Contact ID")
    assert stored_pocs(store) == []


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "#1"])
def test_non_numeric_id_fails(run, store, value):
    result = run([poc(Point_of_Contact_ID=value)])
    assert errors(result) == [[2, "Point of Contact ID", "invalid_id"]]
    assert stored_pocs(store) == []


def test_id_with_spreadsheet_decimal_suffix_updates(run, store):
    assert run([poc()]).counts.created == 1
    result = run([poc(Point_of_Contact_ID="1.0", Name="Renamed")])
    assert errors(result) == []
    assert result.counts.updated == 1
    assert [p["name"] for p in stored_pocs(store)] == ["Renamed"]


def test_same_id_twice_in_one_file_fails_both_rows(run, store):
    assert run([poc()]).counts.created == 1
    result = run([poc(Point_of_Contact_ID="1", Name="A"), poc(Point_of_Contact_ID="1", Name="B")])
    by_id = [e for e in result.errors if e.column == "Point of Contact ID"]
    assert flatten(by_id, KEYS) == [
        [2, "Point of Contact ID", "duplicate_in_file"],
        [3, "Point of Contact ID", "duplicate_in_file"],
    ]
    assert "row 3;" in by_id[0].message
    assert "row 2;" in by_id[1].message
    assert result.counts.failed == 2
    assert [p["name"] for p in stored_pocs(store)] == ["Main Line"]


# --- duplicates within the file ------------------------------------------------------------


def test_a_duplicate_message_names_the_other_rows_of_a_small_group():
    log = skills_sheet("Sales", "Other", "sales", "SALES ", "Pair", "pair").log
    assert [(e.row, e.message) for e in log.records()] == [
        (2, "Name 'Sales' also appears in rows 4 and 5; each may appear only once in a file."),
        (4, "Name 'sales' also appears in rows 2 and 5; each may appear only once in a file."),
        (5, "Name 'SALES' also appears in rows 2 and 4; each may appear only once in a file."),
        (6, "Name 'Pair' also appears in row 7; each may appear only once in a file."),
        (7, "Name 'pair' also appears in row 6; each may appear only once in a file."),
    ]


def test_a_duplicate_message_names_a_few_rows_and_counts_the_rest():
    log = skills_sheet(*["Same"] * 8_000).log
    records = log.records()
    assert len(records) == 8_000
    assert {e.code for e in records} == {"duplicate_in_file"}
    assert records[0].message == (
        "Name 'Same' also appears in rows 3, 4, 5, 6, 7 and 7,994 more; each may appear only "
        "once in a file."
    )
    assert "rows 2, 3, 4, 6, 7 and 7,994 more" in records[3].message
    assert "rows 2, 3, 4, 5, 6 and 7,994 more" in records[-1].message
    assert max(len(e.message) for e in records) < 120


def test_names_and_their_folded_keys_are_kept_as_arrow_strings():
    # A million names and name keys as str objects were a large part of a batch's peak memory.
    sheet = skills_sheet("Sales", "Support", "sales")
    assert sheet.values["name"].dtype == TEXT
    assert sheet.values["name_key"].dtype == TEXT
    assert sheet.values["name_key"].tolist() == ["sales", "support", "sales"]
    assert sheet.failed().tolist() == [True, False, True]


# --- collecting every problem --------------------------------------------------------------


def test_every_problem_of_a_row_is_reported(run, store):
    result = run([row("Email", "", Point_of_Contact="bad@@example", Skill="Nope")])
    assert sorted(errors(result)) == [
        [2, "Name", "required"],
        [2, "Point of Contact", "invalid_email"],
        [2, "Skill", "unknown_reference"],
    ]
    assert result.counts.failed == 1


def test_every_problem_of_every_row_is_reported(run, store):
    result = run(
        [
            poc(Name="Good", Point_of_Contact="+12025550103"),
            poc(Name="", Point_of_Contact="+12125550100", Script="Nope"),
            row(
                "Chat",
                "Chatty",
                Point_of_Contact="x",
                IVR_Reporting_Enabled="Y",
                Chat_Profile="Nope",
            ),
            poc(
                Name="Bad Flags",
                Point_of_Contact="+12025550104",
                Active="perhaps",
                Media_Type="Fax",
            ),
        ]
    )
    assert sorted(errors(result)) == [
        [3, "Name", "required"],
        [3, "Point of Contact", "not_in_inventory"],
        [3, "Script", "unknown_reference"],
        [4, "Chat Profile", "unknown_reference"],
        [4, "IVR Reporting Enabled", "ivr_not_phone"],
        [4, "Point of Contact", "assigned_by_system"],
        [5, "Active", "invalid_yes_no"],
        [5, "Media Type", "invalid_media_type"],
    ]
    assert result.counts.failed == 3
    assert result.counts.created == 1
    assert [p["name"] for p in stored_pocs(store)] == ["Good"]


def test_errors_carry_the_cell_value_and_a_message(run, store):
    result = run([poc(Point_of_Contact="+14155550200")])
    (error,) = result.errors
    assert error.value == "+14155550200"
    assert error.message


# --- rows identical to the store -------------------------------------------------------------


def five_pocs(run, store) -> list[dict[str, str]]:
    """Five stored POCs, one of each media type; the rows of their export."""
    result = run([row(media, f"{media} entry") for media in DEFAULTS])
    assert result.counts.created == 5, errors(result)
    return export_frame(store, RECORD_TYPES["poc"]).to_dict("records")


@pytest.fixture
def reads(monkeypatch) -> list[list]:
    """The keys of every read of whole stored records a batch makes."""
    seen: list[list] = []
    original = snapshot_module._read_records

    def spy(store, rtype, connection, stored, keys):
        seen.append(sorted(keys.dropna().tolist()))
        return original(store, rtype, connection, stored, keys)

    monkeypatch.setattr(snapshot_module, "_read_records", spy)
    return seen


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_unchanged_export_reads_no_stored_record(run, store, reads, tmp_path, file_format):
    five_pocs(run, store)
    export = tmp_path / f"export.{file_format}"
    write_records(store, RECORD_TYPES["poc"], file_format, export, template=False)
    reads.clear()
    result = run(export)
    assert result.counts.unchanged == 5, errors(result)
    assert reads == [[]]


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Name", "Renamed"),
        ("Skill", "Support Calls"),
        ("Script", "After Hours IVR"),
        ("IVR Reporting Enabled", "Y"),
        ("Active", "N"),
        ("Point of Contact", "+12025550101"),
    ],
)
def test_a_row_changed_in_one_cell_is_found_and_only_its_record_read(
    run, store, reads, header, value
):
    exported = five_pocs(run, store)
    phone = next(r for r in exported if r["Media Type"] == "Phone Call")
    phone[header] = value
    if header == "Active":
        phone["Skill"] = "Legacy Calls"  # a POC on an active skill cannot be deactivated
    reads.clear()
    result = run(exported)
    assert (result.counts.updated, result.counts.unchanged) == (1, 4), errors(result)
    assert reads == [[int(phone["Point of Contact ID"])]]


def test_a_new_row_taking_the_name_of_an_unchanged_row_fails_both(run, store):
    exported = five_pocs(run, store)
    result = run([*exported, row("Email", "email ENTRY", Point_of_Contact="new@example.com")])
    email = next(i for i, r in enumerate(exported) if r["Media Type"] == "Email")
    assert errors(result) == [
        [email + 2, "Name", "duplicate_in_file"],
        [7, "Name", "duplicate_in_file"],
    ]
    assert result.counts.unchanged == 4


def test_an_update_taking_the_address_of_an_unchanged_row_fails_both(run, store):
    exported = five_pocs(run, store)
    phone = next(i for i, r in enumerate(exported) if r["Media Type"] == "Phone Call")
    assert run([poc(Name="Second line", Point_of_Contact="+12025550101")]).counts.created == 1
    exported = export_frame(store, RECORD_TYPES["poc"]).to_dict("records")
    exported[-1]["Point of Contact"] = exported[phone]["Point of Contact"]
    result = run(exported)
    assert errors(result) == [
        [phone + 2, "Point of Contact", "duplicate_in_file"],
        [len(exported) + 1, "Point of Contact", "duplicate_in_file"],
    ]
    assert result.counts.unchanged == len(exported) - 2


def test_an_update_taking_the_name_of_a_record_not_in_the_file_is_already_used(run, store):
    exported = five_pocs(run, store)
    chat = next(r for r in exported if r["Media Type"] == "Chat")
    result = run([{**chat, "Name": "phone call ENTRY"}])
    assert errors(result) == [[2, "Name", "already_used"]]
    assert "Phone Call entry" in result.errors[0].message


def test_changed_rows_only_takes_marked_unchanged_rows_as_unchanged(run, store, reads):
    exported = five_pocs(run, store)
    exported[0]["Row Changed"] = "Y"
    reads.clear()
    result = run(exported, rows="changed")
    assert (result.counts.processed, result.counts.unchanged) == (1, 1), errors(result)
    assert reads == [[]]
