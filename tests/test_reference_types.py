"""Reference data through the bulk engine (SPEC §2 Reference data, §3 reference files): skills,
scripts, chat profiles and the number inventory."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store import schema
from tests.conftest import flatten, poc

KEYS = ("row", "column", "code")
TABLES = {
    "skill": schema.skills,
    "script": schema.scripts,
    "chat-profile": schema.chat_profiles,
    "number": schema.numbers,
}


def errors(result) -> list:
    return flatten(result.errors, KEYS)


def rows_of(store, name: str) -> list[dict]:
    table = TABLES[name]
    order = table.c.phone_number if name == "number" else table.c.id
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table).order_by(order))]


def by_name(store, name: str, record_name: str) -> dict:
    (found,) = [r for r in rows_of(store, name) if r["name"] == record_name]
    return found


@pytest.fixture
def ref(run):
    """ref(type_name, rows, **options): import reference rows of that type."""

    def _ref(name: str, rows: list[dict[str, str]], **options):
        return run(rows, headers=RECORD_TYPES[name].headers, record_type=name, **options)

    return _ref


def test_reference_headers_are_as_specified():
    assert RECORD_TYPES["skill"].headers == [
        "Skill ID",
        "Row Changed",
        "Name",
        "Media Type",
        "Active",
    ]
    assert RECORD_TYPES["script"].headers == ["Script ID", "Row Changed", "Name", "Media Type"]
    assert RECORD_TYPES["chat-profile"].headers == ["Chat Profile ID", "Row Changed", "Name"]
    assert RECORD_TYPES["number"].headers == ["Phone Number", "Row Changed", "Voice", "SMS"]


# --- skills --------------------------------------------------------------------------------


def test_skill_create_with_canonical_media_type_and_default_active(ref, store):
    result = ref(
        "skill",
        [
            {"Name": "VIP Calls", "Media Type": "voice"},
            {"Name": "Escalations", "Media Type": "e-mail", "Active": "N"},
        ],
    )
    assert errors(result) == []
    assert result.counts.created == 2
    vip, escalations = by_name(store, "skill", "VIP Calls"), by_name(store, "skill", "Escalations")
    assert (vip["media_type"], vip["active"]) == ("Phone Call", True)
    assert (escalations["media_type"], escalations["active"]) == ("Email", False)


def test_skill_update_by_id(ref, store):
    sales = by_name(store, "skill", "Sales Calls")
    result = ref(
        "skill",
        [
            {
                "Skill ID": str(sales["id"]),
                "Name": "Inbound Sales",
                "Media Type": "Phone Call",
                "Active": "Y",
            }
        ],
    )
    assert errors(result) == []
    assert result.counts.updated == 1
    renamed = by_name(store, "skill", "Inbound Sales")
    assert renamed["id"] == sales["id"]
    assert len(rows_of(store, "skill")) == 9


def test_renamed_skill_keeps_its_pocs_and_is_found_by_the_new_name(ref, run, store):
    assert run([poc()]).counts.created == 1
    sales = by_name(store, "skill", "Sales Calls")
    renamed = ref(
        "skill",
        [{"Skill ID": str(sales["id"]), "Name": "Inbound Sales", "Media Type": "Phone Call"}],
    )
    assert renamed.counts.updated == 1, errors(renamed)
    result = run([poc(Point_of_Contact_ID="1", Skill="Inbound Sales")])
    assert errors(result) == []
    assert result.counts.unchanged == 1
    old = run([poc(Name="Other", Point_of_Contact="+12025550101")])
    assert errors(old) == [[2, "Skill", "unknown_reference"]]


def test_skill_names_are_unique_against_the_store(ref, store):
    result = ref("skill", [{"Name": "SALES  calls", "Media Type": "Email"}])
    assert errors(result) == [[2, "Name", "already_used"]]
    assert len(rows_of(store, "skill")) == 9


def test_skill_names_are_unique_within_the_file(ref, store):
    result = ref(
        "skill",
        [{"Name": "VIP", "Media Type": "Phone Call"}, {"Name": "vip", "Media Type": "Email"}],
    )
    assert errors(result) == [[2, "Name", "duplicate_in_file"], [3, "Name", "duplicate_in_file"]]
    assert "row 3;" in result.errors[0].message
    assert len(rows_of(store, "skill")) == 9


def test_skill_media_type_is_fixed(ref, store):
    sales = by_name(store, "skill", "Sales Calls")
    result = ref(
        "skill", [{"Skill ID": str(sales["id"]), "Name": "Sales Calls", "Media Type": "Email"}]
    )
    assert errors(result) == [[2, "Media Type", "fixed_on_update"]]
    assert by_name(store, "skill", "Sales Calls")["media_type"] == "Phone Call"


def test_skill_required_fields_and_bad_values(ref, store):
    result = ref(
        "skill",
        [
            {"Name": "", "Media Type": "Phone Call"},
            {"Name": "No Type", "Media Type": ""},
            {"Name": "Fax Skill", "Media Type": "Fax"},
            {"Name": "Odd", "Media Type": "Chat", "Active": "sometimes"},
            {"Skill ID": "999", "Name": "Ghost", "Media Type": "Chat"},
        ],
    )
    assert errors(result) == [
        [2, "Name", "required"],
        [3, "Media Type", "required"],
        [4, "Media Type", "invalid_media_type"],
        [5, "Active", "invalid_yes_no"],
        [6, "Skill ID", "unknown_id"],
    ]
    assert len(rows_of(store, "skill")) == 9


def test_deactivating_a_skill_in_use_is_allowed(ref, run, store):
    assert run([poc()]).counts.created == 1
    sales = by_name(store, "skill", "Sales Calls")
    result = ref(
        "skill",
        [
            {
                "Skill ID": str(sales["id"]),
                "Name": "Sales Calls",
                "Media Type": "Phone Call",
                "Active": "N",
            }
        ],
    )
    assert errors(result) == []
    assert by_name(store, "skill", "Sales Calls")["active"] is False


def test_reimporting_the_demo_skills_as_new_fails_every_row(run, store):
    from bulkpoc.services.demo import sample_files_dir

    result = run(sample_files_dir() / "skills.csv", record_type="skill")
    assert result.counts.failed == 9
    assert {e.code for e in result.errors} == {"already_used"}


def test_skill_import_needs_skills_edit(ref, store):
    store.add_user("clerk", ["Points of Contact Create", "Reference Data Edit"])
    result = ref("skill", [{"Name": "VIP", "Media Type": "Phone Call"}], user="clerk")
    assert result.status.value == "failed"
    assert "Skills Edit" in result.failure
    assert len(rows_of(store, "skill")) == 9


# --- scripts -------------------------------------------------------------------------------


def test_script_create_and_update(ref, store):
    created = ref("script", [{"Name": "Holiday IVR", "Media Type": "phone"}])
    assert errors(created) == []
    holiday = by_name(store, "script", "Holiday IVR")
    assert holiday["media_type"] == "Phone Call"
    updated = ref(
        "script",
        [{"Script ID": str(holiday["id"]), "Name": "Christmas IVR", "Media Type": "Phone Call"}],
    )
    assert errors(updated) == []
    assert updated.counts.updated == 1
    assert by_name(store, "script", "Christmas IVR")["id"] == holiday["id"]


def test_script_names_unique_and_media_type_fixed(ref, store):
    main = by_name(store, "script", "Main IVR")
    result = ref(
        "script",
        [
            {"Name": "after HOURS ivr", "Media Type": "Phone Call"},
            {"Script ID": str(main["id"]), "Name": "Main IVR", "Media Type": "Chat"},
            {"Name": "Twin", "Media Type": "Chat"},
            {"Name": "TWIN", "Media Type": "Chat"},
        ],
    )
    assert errors(result) == [
        [2, "Name", "already_used"],
        [3, "Media Type", "fixed_on_update"],
        [4, "Name", "duplicate_in_file"],
        [5, "Name", "duplicate_in_file"],
    ]
    assert len(rows_of(store, "script")) == 6


def test_script_import_needs_reference_data_edit(ref, store):
    store.add_user("clerk", ["Points of Contact Create", "Skills Edit"])
    result = ref("script", [{"Name": "Holiday IVR", "Media Type": "Phone Call"}], user="clerk")
    assert result.status.value == "failed"
    assert "Reference Data Edit" in result.failure
    assert len(rows_of(store, "script")) == 6


# --- chat profiles -------------------------------------------------------------------------


def test_chat_profile_create_update_and_unique_names(ref, store):
    created = ref("chat-profile", [{"Name": "French Chat"}])
    assert errors(created) == []
    french = by_name(store, "chat-profile", "French Chat")
    result = ref(
        "chat-profile",
        [
            {"Chat Profile ID": str(french["id"]), "Name": "Chat en Français"},
            {"Name": "default chat"},
        ],
    )
    assert errors(result) == [[3, "Name", "already_used"]]
    assert result.counts.updated == 1
    assert by_name(store, "chat-profile", "Chat en Français")["id"] == french["id"]
    assert len(rows_of(store, "chat-profile")) == 3


def test_chat_profile_import_needs_reference_data_edit(ref, store):
    store.add_user("clerk", ["Points of Contact Create", "Skills Edit"])
    result = ref("chat-profile", [{"Name": "French Chat"}], user="clerk")
    assert result.status.value == "failed"
    assert "Reference Data Edit" in result.failure


# --- numbers -------------------------------------------------------------------------------


def number(store, e164: str) -> dict | None:
    found = [r for r in rows_of(store, "number") if r["phone_number"] == e164]
    return found[0] if found else None


def test_number_is_keyed_by_its_normalised_form(ref, store):
    created = ref("number", [{"Phone Number": "(202) 555-0150"}])
    assert errors(created) == []
    assert created.counts.created == 1
    stored = number(store, "+12025550150")
    assert stored is not None
    assert (stored["voice"], stored["sms"]) == (True, False)
    updated = ref("number", [{"Phone Number": "+12025550150", "SMS": "Y"}])
    assert errors(updated) == []
    assert (updated.counts.created, updated.counts.updated) == (0, 1)
    stored = number(store, "+12025550150")
    assert stored is not None
    assert (stored["voice"], stored["sms"]) == (True, True)
    assert len(rows_of(store, "number")) == 36


def test_number_rows_in_any_format_update_the_same_record(ref, store):
    result = ref("number", [{"Phone Number": "1-800-555-0301", "Voice": "Y", "SMS": "N"}])
    assert errors(result) == []
    assert result.counts.updated == 1
    assert number(store, "+18005550301")["sms"] is False
    unchanged = ref("number", [{"Phone Number": "800.555.0301", "Voice": "yes", "SMS": "no"}])
    assert unchanged.counts.unchanged == 1


def test_number_twice_in_one_file_in_different_formats(ref, store):
    result = ref(
        "number",
        [{"Phone Number": "(202) 555-0150"}, {"Phone Number": "+1 202 555 0150", "SMS": "Y"}],
    )
    assert errors(result) == [
        [2, "Phone Number", "duplicate_in_file"],
        [3, "Phone Number", "duplicate_in_file"],
    ]
    assert number(store, "+12025550150") is None


def test_number_must_be_a_phone_number(ref, store):
    result = ref("number", [{"Phone Number": "12345"}, {"Phone Number": "", "Voice": "Y"}])
    assert errors(result) == [[2, "Phone Number", "invalid_phone"], [3, "Phone Number", "required"]]
    assert len(rows_of(store, "number")) == 35


def test_number_in_the_inventory_makes_it_usable(ref, run, store):
    assert errors(run([poc(Point_of_Contact="+12025550150")])) == [
        [2, "Point of Contact", "not_in_inventory"]
    ]
    assert ref("number", [{"Phone Number": "(202) 555-0150"}]).counts.created == 1
    result = run([poc(Point_of_Contact="+12025550150")])
    assert errors(result) == []


def test_voice_cannot_be_turned_off_while_a_phone_poc_uses_the_number(ref, run, store):
    assert run([poc(Point_of_Contact="+18005550300")]).counts.created == 1
    result = ref("number", [{"Phone Number": "(800) 555-0300", "Voice": "N", "SMS": "Y"}])
    assert errors(result) == [[2, "Voice", "number_in_use"]]
    assert "Main Line" in result.errors[0].message
    assert number(store, "+18005550300")["voice"] is True
    sms_off = ref("number", [{"Phone Number": "+18005550300", "Voice": "Y", "SMS": "N"}])
    assert errors(sms_off) == []
    assert number(store, "+18005550300")["sms"] is False


def test_sms_cannot_be_turned_off_while_an_sms_poc_uses_the_number(ref, run, store):
    text_row = poc(
        Name="Texts",
        Media_Type="SMS",
        Point_of_Contact="+14155550200",
        Skill="SMS Support",
        Script="SMS Router",
    )
    assert run([text_row]).counts.created == 1
    result = ref("number", [{"Phone Number": "+14155550200", "SMS": "N"}])
    assert errors(result) == [[2, "SMS", "number_in_use"]]
    assert number(store, "+14155550200")["sms"] is True


def test_capability_of_an_unused_number_can_be_turned_off(ref, store):
    result = ref("number", [{"Phone Number": "+12025550119", "Voice": "N"}])
    assert errors(result) == []
    assert number(store, "+12025550119")["voice"] is False


def test_number_import_needs_reference_data_edit(ref, store):
    store.add_user("clerk", ["Points of Contact Create", "Skills Edit"])
    result = ref("number", [{"Phone Number": "(202) 555-0150"}], user="clerk")
    assert result.status.value == "failed"
    assert "Reference Data Edit" in result.failure
    assert number(store, "+12025550150") is None


def test_reference_imports_support_dry_run(ref, store):
    result = ref("skill", [{"Name": "VIP", "Media Type": "Phone Call"}], dry_run=True)
    assert result.counts.created == 1
    assert result.applied is False
    assert len(rows_of(store, "skill")) == 9
