"""Changing records through the API (issue 24, item 4): ``POST /api/v1/{collection}``,
``PATCH /api/v1/{collection}/{key}`` and ``POST /api/v1/{collection}/bulk-edit``, each a batch
through the same engine as an upload, on both backends."""

from __future__ import annotations

from bulkpoc.domain.permissions import POC_CREATE
from bulkpoc.services.auth import create_token
from tests.test_edits import PHONE
from tests.web import api_client, one_sentence


def created(api, body: dict = PHONE) -> dict:
    answer = api.post("/api/v1/pocs", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_create_answers_the_record_its_id_and_its_batch(api, store):
    saved = created(api)

    record = saved["record"]
    assert record["id"] == saved["id"]
    assert {name: record[name] for name in PHONE} == PHONE
    assert (record["active"], record["chat_profile"]) == (True, None)
    batch = saved["batch"]
    assert (batch["source"], batch["status"], batch["counts"]["created"]) == ("api", "succeeded", 1)
    assert batch["user"] == "admin"
    assert api.get(f"/api/v1/pocs/{saved['id']}").json() == record
    assert store.batch(batch["batch_id"])["source"] == "api"


def test_a_patch_changes_the_given_fields_and_a_stale_copy_is_a_conflict(api):
    saved = created(api)
    url, seen = f"/api/v1/pocs/{saved['id']}", saved["record"]["last_modified"]

    first = api.patch(url, json={"script": "After Hours IVR", "last_modified": seen})
    assert first.status_code == 200, first.text
    assert first.json()["record"]["script"] == "After Hours IVR"
    assert first.json()["record"]["skill"] == "Sales Calls"

    second = api.patch(url, json={"name": "Renamed", "last_modified": seen})
    assert second.status_code == 422
    assert one_sentence(second).startswith("Nothing was changed: Conflict: this record was")
    errors = second.json()["batch"]["errors"]
    assert [(e["column"], e["code"]) for e in errors] == [("Last Modified", "conflict")]
    assert api.get(url).json()["name"] == "Main Line"


def test_a_refused_deactivation_then_the_one_change_workaround(api):
    saved = created(api)
    url = f"/api/v1/pocs/{saved['id']}"

    refused = api.patch(url, json={"active": False})
    assert refused.status_code == 422
    assert "still assigned to an active skill" in one_sentence(refused)
    assert refused.json()["batch"]["errors"][0]["code"] == "deactivation_blocked"
    assert api.get(url).json()["active"] is True

    done = api.patch(url, json={"skill": "Legacy Calls", "active": False})
    assert done.status_code == 200, done.text
    assert (done.json()["record"]["skill"], done.json()["record"]["active"]) == (
        "Legacy Calls",
        False,
    )
    undo = api.post(f"/api/v1/batches/{done.json()['batch']['batch_id']}/undo")
    assert undo.status_code == 202, undo.text


def test_a_bulk_edit_by_ids_or_filter_all_or_nothing(api):
    first = created(api)["id"]
    second = created(api, PHONE | {"name": "Second Line", "point_of_contact": "+12025550101"})["id"]

    preview = api.post(
        "/api/v1/pocs/bulk-edit",
        json={
            "filter": {"skill": "sales calls"},
            "fields": {"skill": "Support Calls"},
            "dry_run": True,
        },
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["batch"]["counts"]["updated"] == 2
    assert preview.json()["batch"]["dry_run"] is True

    done = api.post(
        "/api/v1/pocs/bulk-edit",
        json={"ids": [first, second], "fields": {"ivr_reporting_enabled": False}},
    )
    assert done.status_code == 200, done.text
    assert done.json()["batch"]["counts"]["updated"] == 2

    failing = api.post(
        "/api/v1/pocs/bulk-edit",
        json={"ids": [first, second], "fields": {"skill": "Email Support"}},
    )
    assert failing.status_code == 422
    assert len(failing.json()["batch"]["errors"]) == 2
    assert api.get(f"/api/v1/pocs/{first}").json()["skill"] == "Sales Calls"

    for body, status, start in (
        ({"fields": {"name": "X"}}, 422, "Give either ids or filter"),
        ({"ids": [first, 999], "fields": {"name": "X"}}, 404, "There is no point of contact 999"),
        ({"filter": {"q": "nothing like it"}, "fields": {"name": "X"}}, 404, "No point of"),
    ):
        answer = api.post("/api/v1/pocs/bulk-edit", json=body)
        assert answer.status_code == status, answer.text
        assert one_sentence(answer).startswith(start)


def test_reference_records_and_numbers(api):
    skill = api.post("/api/v1/skills", json={"name": "Night Calls", "media_type": "Phone Call"})
    assert skill.status_code == 201, skill.text
    assert skill.headers["location"] == f"/api/v1/skills/{skill.json()['id']}"
    off = api.patch(f"/api/v1/skills/{skill.json()['id']}", json={"active": False})
    assert off.json()["record"]["active"] is False

    number = api.post("/api/v1/numbers", json={"phone_number": "+12025550199", "sms": True})
    assert number.status_code == 201, number.text
    assert number.json()["record"] == {
        "phone_number": "+12025550199",
        "voice": True,
        "sms": True,
        "last_modified": number.json()["record"]["last_modified"],
    }
    changed = api.patch("/api/v1/numbers/+12025550199", json={"voice": False})
    assert changed.json()["record"]["voice"] is False


def test_bodies_are_checked_and_the_permission_is_the_uploads(api, store, settings):
    saved = created(api)
    for body in ({"active": "no"}, {"active": None}, {"colour": "red"}, {"id": 5}):
        answer = api.patch(f"/api/v1/pocs/{saved['id']}", json=body)
        assert answer.status_code == 422, answer.text
        one_sentence(answer)
    missing = api.patch("/api/v1/pocs/999", json={"name": "X"})
    assert missing.status_code == 404
    assert one_sentence(missing) == "There is no point of contact 999."

    store.add_user("clerk", [POC_CREATE])
    with api_client(store, settings, create_token(store, "clerk", "clerk")) as clerk:
        skill = clerk.post("/api/v1/skills", json={"name": "X", "media_type": "Email"})
        assert skill.status_code == 403
        assert "Skills Edit" in one_sentence(skill)
        move = clerk.patch(f"/api/v1/pocs/{saved['id']}", json={"skill": "Support Calls"})
        assert move.status_code == 422
        assert move.json()["batch"]["errors"][0]["code"] == "permission_denied"
