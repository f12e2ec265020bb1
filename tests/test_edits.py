"""Single records and mass edits (issue 24): field values run as a batch through the same
engine as an upload, with its rules, permissions, change records and undo, on SQLite and
PostgreSQL."""

from __future__ import annotations

import re

import pytest

from bulkpoc.batch.edits import (
    EditRefused,
    RecordNotFound,
    bulk_edit,
    create_record,
    deactivate,
    edit_record,
    edited_key,
)
from bulkpoc.batch.undo import run_undo, undo_options
from bulkpoc.domain.permissions import PERMISSIONS, POC_CREATE
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store.listing import RecordFilter
from tests.conftest import errors

POC = RECORD_TYPES["poc"]
PHONE = {
    "name": "Main Line",
    "media_type": "Phone Call",
    "point_of_contact": "+12025550100",
    "skill": "Sales Calls",
    "script": "Main IVR",
    "ivr_reporting_enabled": True,
}


def ok(result, status: str = "succeeded") -> None:
    assert result.status.value == status, (result.failure, result.errors)


@pytest.fixture
def created(store, settings) -> int:
    """The Main Line point of contact, created as the API creates one; its ID."""
    result = create_record(store, settings, "poc", PHONE, "admin", "api")
    ok(result)
    assert (result.counts.created, result.source, result.options["all_or_nothing"]) == (
        1,
        "api",
        True,
    )
    return int(edited_key(store, result) or 0)


def test_a_create_stores_the_record_with_its_defaults(store, created):
    record = store.find_record(POC, created)
    assert record is not None
    assert {name: record[name] for name in (*PHONE, "active", "chat_profile")} == {
        **PHONE,
        "active": True,
        "chat_profile": None,
    }


def test_an_edit_changes_only_the_given_fields_and_is_in_the_records_history(
    store, settings, created
):
    store.add_user("ann", PERMISSIONS)
    result = edit_record(store, settings, "poc", created, {"Skill": "Support Calls"}, "ann", "form")

    ok(result)
    assert (result.counts.updated, result.source, result.user) == (1, "form", "ann")
    record = store.find_record(POC, created)
    assert (record["skill"], record["name"], record["ivr_reporting_enabled"]) == (
        "Support Calls",
        "Main Line",
        True,
    )
    changes, _total = store.record_changes("poc", str(created))
    assert [(c["batch_id"], c["field"], c["before"], c["after"]) for c in changes][-1] == (
        result.batch_id,
        "Skill",
        "Sales Calls",
        "Support Calls",
    )


def test_the_second_of_two_saves_from_one_copy_is_a_conflict(store, settings, created):
    store.add_user("ann", PERMISSIONS)
    seen = store.find_record(POC, created)["last_modified"]
    first = edit_record(
        store, settings, "poc", created, {"name": "First"}, "ann", "form", seen_modified=seen
    )
    ok(first)

    second = edit_record(
        store, settings, "poc", created, {"name": "Second"}, "admin", "form", seen_modified=seen
    )

    assert second.status.value == "failed"
    assert errors(second) == [[2, "Last Modified", "conflict"]]
    assert store.find_record(POC, created)["name"] == "First"


def test_a_refused_deactivation_gives_the_rules_message_and_changes_nothing(
    store, settings, created
):
    result = deactivate(store, settings, "poc", created, "admin", "api")

    assert result.status.value == "failed"
    assert errors(result) == [[2, "Active", "deactivation_blocked"]]
    message = result.errors[0].message
    assert "Cannot be deactivated because it is still assigned to an active skill" in message
    assert "'Legacy Calls'" in message  # the inactive skill of its media type to move it to
    assert store.find_record(POC, created)["active"] is True


def test_deactivating_via_an_inactive_skill_is_one_change_one_undo_takes_back(
    store, settings, created
):
    before = store.find_record(POC, created)
    result = deactivate(store, settings, "poc", created, "admin", "cli", via_skill="Legacy Calls")

    ok(result)
    after = store.find_record(POC, created)
    assert (after["active"], after["skill"]) == (False, "Legacy Calls")
    changes, total = store.batch_changes(result.batch_id)
    assert (total, {c["field"] for c in changes}) == (2, {"Skill", "Active"})

    undone = run_undo(
        store, result.batch_id, undo_options(store, result.batch_id, user="admin"), settings
    )

    ok(undone)
    again = store.find_record(POC, created)
    assert (again["active"], again["skill"]) == (True, before["skill"])


def test_an_edit_needs_the_permissions_an_upload_needs(store, settings, created):
    store.add_user("clerk", [POC_CREATE])

    result = edit_record(store, settings, "poc", created, {"skill": "Support Calls"}, "clerk")

    assert result.status.value == "failed"
    assert errors(result) == [[2, "Skill", "permission_denied"]]
    assert "Skills Edit" in result.errors[0].message


def test_a_bulk_edit_by_ids_or_by_filter_is_one_batch_and_one_undo(store, settings, created):
    other = create_record(
        store,
        settings,
        "poc",
        PHONE | {"name": "Second Line", "point_of_contact": "+12025550101"},
        "admin",
    )
    ok(other)
    second = int(edited_key(store, other) or 0)

    by_ids = bulk_edit(
        store, settings, "poc", [created, second], {"script": "After Hours IVR"}, "admin", "list"
    )
    ok(by_ids)
    assert (by_ids.counts.updated, by_ids.source) == (2, "list")

    where = RecordFilter(query="line", skill="sales calls")
    preview = bulk_edit(
        store, settings, "poc", None, {"skill": "Support Calls"}, "admin", dry_run=True, where=where
    )
    ok(preview)
    assert preview.counts.updated == 2
    assert store.find_record(POC, created)["skill"] == "Sales Calls"

    ok(run_undo(store, by_ids.batch_id, undo_options(store, by_ids.batch_id), settings))
    assert {store.find_record(POC, key)["script"] for key in (created, second)} == {"Main IVR"}


def test_a_bulk_edit_that_fails_on_one_record_changes_none(store, settings, created):
    email = create_record(
        store,
        settings,
        "poc",
        {
            "name": "Mail",
            "media_type": "Email",
            "point_of_contact": "help@example.com",
            "skill": "Email Support",
            "script": "Email Router",
        },
        "admin",
    )
    ok(email)

    result = bulk_edit(
        store, settings, "poc", [created, int(edited_key(store, email) or 0)],
        {"skill": "Support Calls"}, "admin", "api",
    )  # fmt: skip

    assert result.status.value == "failed"
    assert errors(result) == [[3, "Skill", "media_type_mismatch"]]
    assert store.find_record(POC, created)["skill"] == "Sales Calls"


def test_reference_records_are_created_and_edited_the_same_way(store, settings):
    skill = create_record(
        store, settings, "skill", {"Name": "Night Calls", "Media Type": "Phone Call"}, "admin"
    )
    ok(skill)
    key = edited_key(store, skill)
    ok(edit_record(store, settings, "skill", int(key or 0), {"active": False}, "admin"))
    assert store.find_record(RECORD_TYPES["skill"], int(key or 0))["active"] is False

    number = create_record(
        store, settings, "number", {"phone_number": "+12025550199", "sms": True}, "admin"
    )
    ok(number)
    record = store.find_record(RECORD_TYPES["number"], "+12025550199")
    assert (record["voice"], record["sms"]) == (True, True)


def test_what_names_no_record_or_no_field_is_refused_before_any_batch(store, settings, created):
    with pytest.raises(RecordNotFound, match="no point of contact 999"):
        edit_record(store, settings, "poc", 999, {"name": "X"}, "admin")
    with pytest.raises(EditRefused, match="no field 'colour'"):
        edit_record(store, settings, "poc", created, {"colour": "red"}, "admin")
    with pytest.raises(EditRefused, match="cannot change"):
        edit_record(store, settings, "poc", created, {"id": created + 1}, "admin")
    with pytest.raises(EditRefused, match="all blank"):
        create_record(store, settings, "chat-profile", {"name": " "}, "admin")
    with pytest.raises(EditRefused, match="assigned by the store"):
        create_record(store, settings, "poc", PHONE | {"id": 5}, "admin")
    with pytest.raises(RecordNotFound, match="998, 999"):
        bulk_edit(store, settings, "poc", [created, 998, 999], {"name": "X"}, "admin")
    # JSON can spell an unpaired surrogate; no file, and so no batch, can hold one.
    with pytest.raises(EditRefused, match="unpaired surrogate"):
        create_record(store, settings, "poc", PHONE | {"name": "Line \ud800"}, "admin")
    with pytest.raises(EditRefused, match="unpaired surrogate"):
        bulk_edit(store, settings, "poc", [created], {"name": "\udc49"}, "admin")
    # Nor a NUL, which PostgreSQL refuses: said as plainly, not as a file that is not text.
    with pytest.raises(EditRefused, match=re.escape("Name 'Line\\x00B' holds a NUL character")):
        create_record(store, settings, "poc", PHONE | {"name": "Line\x00B"}, "admin")
    with pytest.raises(EditRefused, match="holds a NUL character"):
        edit_record(store, settings, "poc", created, {"name": "\x00"}, "admin")
    assert store.find_record(POC, created)["name"] == "Main Line"
