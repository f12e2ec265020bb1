"""The API's history (issue 23, item 4): `GET /api/v1/batches/{id}/changes` and
`GET /api/v1/{type}/{id}/changes`, paged and filtered, with the token's permissions; on both
stores, through the real app."""

from __future__ import annotations

import pytest

from bulkpoc.services.auth import create_token
from tests.conftest import poc, stored_pocs
from tests.history import a_batch, created, removed, updated, write_changes
from tests.web import api_client, one_sentence


def test_a_batchs_changes_are_paged_and_filtered(store, api):
    batch = a_batch(store)
    changes = [updated(str(n), "Skill", "Sales", "Support") for n in range(250)]
    changes += [updated("7", "Active", "Y", "N"), created("300", Name="New", Active="Y")]
    write_changes(store, batch, changes)

    first = api.get(f"/api/v1/batches/{batch}/changes")
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["page"], page["per_page"], len(page["changes"])) == (
        252,
        1,
        100,
        100,
    )
    assert (page["batch_id"], page["record_type"], page["dry_run"], page["pruned"]) == (
        batch,
        "poc",
        False,
        None,
    )
    assert "offset" not in page
    assert "limit" not in page
    last = api.get(f"/api/v1/batches/{batch}/changes", params={"page": 3}).json()
    assert [c["record_key"] for c in last["changes"][-3:]] == ["249", "7", "300"]
    assert last["changes"][-1] | {"change_id": 0} == {
        "change_id": 0,
        "batch_id": batch,
        "row": 253,
        "record_type": "poc",
        "record_key": "300",
        "action": "created",
        "field": None,
        "before": None,
        "after": None,
        "values": {"Name": "New", "Active": "Y"},
    }
    active = api.get(f"/api/v1/batches/{batch}/changes", params={"field": "Active"}).json()
    assert (active["total"], active["changes"][0]["after"]) == (1, "N")
    made = api.get(
        f"/api/v1/batches/{batch}/changes", params={"action": "created", "per_page": 1}
    ).json()
    assert (made["total"], made["per_page"], made["changes"][0]["record_key"]) == (1, 1, "300")
    beyond = api.get(f"/api/v1/batches/{batch}/changes", params={"page": 99}).json()
    assert (beyond["total"], beyond["changes"]) == (252, [])


def test_a_records_changes_come_with_their_batches_even_once_removed(store, api, run):
    made = run([poc(Name="Sales line")])
    [record] = stored_pocs(store)
    run([poc(Point_of_Contact_ID=str(record["id"]), Name="Sales hotline")])
    answer = api.get(f"/api/v1/pocs/{record['id']}/changes")
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert (page["record_type"], page["record_key"], page["name"], page["exists"]) == (
        "poc",
        str(record["id"]),
        "Sales hotline",
        True,
    )
    assert [(c["batch_id"], c["action"]) for c in page["changes"]] == [
        (made.batch_id, "created"),
        (made.batch_id + 1, "updated"),
    ]
    assert page["changes"][0]["user"] == "admin"
    assert page["changes"][0]["source"] == "cli"

    batch = a_batch(store, record_type="skill")
    write_changes(store, batch, [removed("77", Name="Gone", Active="N")], record_type="skill")
    gone = api.get("/api/v1/skills/77/changes").json()
    assert (gone["exists"], gone["name"], gone["total"]) == (False, "Gone", 1)
    assert gone["changes"][0]["values"] == {"Name": "Gone", "Active": "N"}

    number = a_batch(store, record_type="number")
    write_changes(store, number, [updated("+12025550100", "SMS", "N", "Y")], record_type="number")
    for written in ("+12025550100", "%2B1%20202%20555%200100"):
        by_number = api.get(f"/api/v1/numbers/{written}/changes").json()
        assert (by_number["record_key"], by_number["total"]) == ("+12025550100", 2), written


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/batches/999/changes", "There is no batch 999."),
        (
            "/api/v1/things/1/changes",
            "There is no record type 'things'; choose from pocs, skills, scripts, "
            "chat-profiles, numbers.",
        ),
        (
            "/api/v1/pocs/999/changes",
            "There is no point of contact with Point of Contact ID '999', now or in any "
            "change record.",
        ),
        (
            "/api/v1/skills/abc/changes",
            "There is no skill with Skill ID 'abc', now or in any change record.",
        ),
    ],
)
def test_what_is_not_there_is_404_in_one_sentence(api, path, message):
    answer = api.get(path)
    assert answer.status_code == 404
    assert one_sentence(answer) == message


@pytest.mark.parametrize(
    ("params", "name"),
    [({"page": 0}, "page"), ({"per_page": 501}, "per_page"), ({"action": "deleted"}, "action")],
)
def test_bad_paging_and_filters_are_422_in_one_sentence(store, api, params, name):
    batch = a_batch(store)
    answer = api.get(f"/api/v1/batches/{batch}/changes", params=params)
    assert answer.status_code == 422
    assert one_sentence(answer).startswith(f"The query parameter {name!r} is not valid")


def test_the_changes_take_the_permission_of_their_record_type(store, settings):
    store.add_user("sam", ["Skills Edit"])
    poc_batch, skill_batch = a_batch(store), a_batch(store, record_type="skill")
    write_changes(store, skill_batch, [updated("1", "Active", "Y", "N")], record_type="skill")
    with api_client(store, settings, create_token(store, "sams", "sam")) as sam:
        for path in (f"/api/v1/batches/{poc_batch}/changes", "/api/v1/pocs/1/changes"):
            refused = sam.get(path)
            assert refused.status_code == 403, path
            assert one_sentence(refused) == (
                "sam may not see points of contact: it needs the 'Points of Contact Create' "
                "permission."
            )
        assert sam.get(f"/api/v1/batches/{skill_batch}/changes").json()["total"] == 1
        skill = sam.get("/api/v1/skills/1/changes").json()
        assert [c["action"] for c in skill["changes"]] == ["created", "updated"]  # demo, then ours
    with api_client(store, settings) as anonymous:
        assert anonymous.get("/api/v1/skills/1/changes").status_code == 401


def test_the_schema_describes_the_pages(api):
    schema = api.get("/api/v1/openapi.json").json()
    batch = schema["paths"]["/api/v1/batches/{batch_id}/changes"]["get"]
    record = schema["paths"]["/api/v1/{collection}/{record_id}/changes"]["get"]
    assert {p["name"] for p in batch["parameters"]} == {
        "batch_id",
        "field",
        "action",
        "page",
        "per_page",
    }
    collection = next(p for p in record["parameters"] if p["name"] == "collection")
    assert collection["schema"]["enum"] == ["pocs", "skills", "scripts", "chat-profiles", "numbers"]
    models = schema["components"]["schemas"]
    assert set(models["BatchChangesPage"]["required"]) >= {"total", "page", "per_page", "changes"}
    assert "values" in models["Change"]["properties"]
    assert {"user", "source", "file_name"} <= set(models["RecordChange"]["properties"])
