"""Records through the API (issue 23, item 4): ``GET /api/v1/{collection}`` with the POC
list's filters, sort and pages, and ``GET /api/v1/{collection}/{key}``, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bulkpoc.domain.permissions import PERMISSIONS, POC_CREATE, REFERENCE_DATA_EDIT
from bulkpoc.services.auth import create_token
from bulkpoc.store.listing import COLLECTIONS, field_names
from tests.web import api_client, one_sentence

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"


@pytest.fixture
def api(api: TestClient, run) -> TestClient:
    """A partner with every permission, on the demo data and the 12 sample POCs."""
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    return api


def test_a_poc_comes_with_the_files_columns_in_snake_case(api):
    answer = api.get("/api/v1/pocs", params={"q": "website chat"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["total"], body["page"], body["per_page"], body["next"]) == (1, 1, 50, None)
    chat = body["records"][0]
    assert list(chat) == [
        "id",
        "name",
        "media_type",
        "point_of_contact",
        "skill",
        "script",
        "ivr_reporting_enabled",
        "chat_profile",
        "active",
        "last_modified",
    ]
    assert (chat["skill"], chat["script"], chat["chat_profile"]) == (
        "Web Chat",
        "Chat Router",
        "Default Chat",
    )
    assert (chat["ivr_reporting_enabled"], chat["active"]) == (False, True)
    assert chat["last_modified"].endswith("Z")
    one = api.get(f"/api/v1/pocs/{chat['id']}")
    assert one.status_code == 200
    assert one.json() == chat


def test_the_list_filters_sorts_and_pages(api):
    def names(**params) -> list[str]:
        answer = api.get("/api/v1/pocs", params=params)
        assert answer.status_code == 200, answer.text
        return [record["name"] for record in answer.json()["records"]]

    assert names(media_type="Email") == ["Billing Inbox", "Support Inbox"]
    assert names(skill="SUPPORT CALLS") == ["After Hours Support", "Support Line"]
    # Support Calls before Email Support; within a skill, the newest first.
    assert names(q="support", active="true", sort="skill", dir="desc") == [
        "After Hours Support",
        "Support Line",
        "Support Inbox",
    ]
    assert names(active="false") == []
    first = api.get("/api/v1/pocs", params={"per_page": 5, "sort": "media_type"}).json()
    assert (first["total"], len(first["records"]), first["previous"]) == (12, 5, None)
    assert first["next"] == "/api/v1/pocs?per_page=5&sort=media_type&page=2"
    second = api.get(first["next"]).json()
    last = api.get(second["next"]).json()
    assert (len(last["records"]), last["next"]) == (2, None)
    assert last["previous"] == "/api/v1/pocs?per_page=5&sort=media_type&page=2"
    every = first["records"] + second["records"] + last["records"]
    assert every == api.get("/api/v1/pocs?per_page=12&sort=media_type").json()["records"]
    past = api.get("/api/v1/pocs", params={"page": 9}).json()
    assert (past["total"], past["records"], past["next"]) == (12, [], None)


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_every_collection_lists_and_answers_one_record(api, name):
    rtype = COLLECTIONS[name]
    body = api.get(f"/api/v1/{name}", params={"per_page": 500}).json()
    assert body["total"] == len(body["records"]) > 1
    first = body["records"][0]
    assert list(first) == [*field_names(rtype), "last_modified"]
    key = first[next(iter(field_names(rtype)))]
    one = api.get(f"/api/v1/{name}/{key}")
    assert one.status_code == 200, one.text
    assert one.json() == first


def test_numbers_are_keyed_by_their_phone_number(api):
    answer = api.get("/api/v1/numbers/+12025550100")
    assert answer.status_code == 200
    assert answer.json()["phone_number"] == "+12025550100"
    assert answer.json()["voice"] is True
    assert api.get("/api/v1/numbers", params={"q": "5550100"}).json()["total"] == 1


def test_numbers_filter_by_whether_a_point_of_contact_uses_them(api, store):
    def numbers(**params):
        answer = api.get("/api/v1/numbers", params={"per_page": 200, **params})
        assert answer.status_code == 200, answer.text
        assert answer.json()["next"] is None  # every one on this page
        return {record["phone_number"] for record in answer.json()["records"]}

    used = {r["point_of_contact"] for r in store.search_records(COLLECTIONS["pocs"], limit=500)[0]
            if r["media_type"] in ("Phone Call", "SMS")}  # fmt: skip
    assert used
    assert numbers(use="used") == used
    assert numbers(use="free") == numbers() - used
    assert api.get("/api/v1/numbers", params={"use": "taken"}).status_code == 422


def test_unknown_records_and_collections_are_404_in_one_sentence(api):
    for url, sentence in (
        ("/api/v1/pocs/999999", "There is no point of contact 999999."),
        ("/api/v1/chat-profiles/4242", "There is no chat profile 4242."),
        ("/api/v1/numbers/+19995550100", "There is no number +19995550100."),
        ("/api/v1/widgets", "There is nothing at /api/v1/widgets; see /api/v1/openapi.json."),
    ):
        answer = api.get(url)
        assert answer.status_code == 404, url
        assert one_sentence(answer) == sentence


def test_bad_filters_and_pages_are_refused_in_one_sentence(api):
    for url, words in (
        ("/api/v1/pocs?per_page=501", "'per_page'"),
        ("/api/v1/pocs?page=0", "'page'"),
        ("/api/v1/pocs?sort=colour", "'sort'"),
        ("/api/v1/pocs?media_type=Fax", "'media_type'"),
        ("/api/v1/skills?skill=Sales", "not one of this endpoint's"),  # skills have no skill
        ("/api/v1/pocs/abc", "'key'"),
        ("/api/v1/numbers/2025550100", "'key'"),  # +E.164 only
    ):
        answer = api.get(url)
        assert answer.status_code == 422, url
        assert words in one_sentence(answer), url


def test_each_collection_needs_its_record_types_permission(store, settings, api):
    store.add_user("rita", [p for p in PERMISSIONS if p != REFERENCE_DATA_EDIT])
    with api_client(store, settings, create_token(store, "rita's", "rita")) as rita:
        assert rita.get("/api/v1/pocs").status_code == 200
        for url in ("/api/v1/numbers", "/api/v1/scripts/1", "/api/v1/chat-profiles"):
            refused = rita.get(url)
            assert refused.status_code == 403, url
            assert REFERENCE_DATA_EDIT in one_sentence(refused)
    store.add_user("sam", [p for p in PERMISSIONS if p != POC_CREATE])
    with api_client(store, settings, create_token(store, "sam's", "sam")) as sam:
        assert sam.get("/api/v1/pocs/1").status_code == 403
        assert sam.get("/api/v1/skills").status_code == 200
    with api_client(store, settings) as anonymous:
        assert anonymous.get("/api/v1/pocs").status_code == 401


def test_the_schema_documents_each_collections_fields_and_filters(api):
    schema = api.get("/api/v1/openapi.json").json()
    poc = schema["components"]["schemas"]["PointOfContact"]["properties"]
    assert poc["ivr_reporting_enabled"]["type"] == "boolean"
    assert poc["chat_profile"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    parameters = {
        name: [p["name"] for p in schema["paths"][f"/api/v1/{name}"]["get"]["parameters"]]
        for name in COLLECTIONS
    }
    assert parameters["pocs"] == [
        "q",
        "media_type",
        "skill",
        "active",
        "sort",
        "dir",
        "page",
        "per_page",
    ]
    assert parameters["chat-profiles"] == ["q", "sort", "dir", "page", "per_page"]
    assert set(schema["paths"]["/api/v1/numbers/{key}"]["get"]["responses"]) >= {
        "200",
        "404",
        "403",
    }
