"""The API's column mappings (issue 25, item 3): list, read, save and remove them, and upload
a partner's file through one, on both stores, through the real app; with the permission to
upload a mapping's record type to change it."""

from __future__ import annotations

import csv
import io

from bulkpoc.domain.mapping import ColumnMapping
from bulkpoc.domain.permissions import SKILLS_EDIT
from bulkpoc.services.auth import create_token
from tests.conftest import stored_pocs
from tests.test_api import upload
from tests.test_mapping_import import HEADERS, PARTNER_TOML, partner_file
from tests.web import api_client, one_sentence, processed

BODY = {
    "record_type": "poc",
    "columns": {
        "Name": "Queue Name",
        "Point of Contact": "Phone Number",
        "Skill": "Queue",
        "Script": "Routing Script",
        "Media Type": "Channel",
    },
    "values": {"Media Type": {"Voice": "Phone Call"}},
    "headers": ["Queue Name", "Phone Number", "Queue", "Routing Script", "Channel"],
}


def test_a_mapping_is_saved_read_listed_replaced_and_removed(api, store):
    saved = api.put("/api/v1/mappings/partner", json=BODY)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["name"], body["saved_by"], body["record_type"]) == ("partner", "admin", "poc")
    assert body["columns"]["Skill"] == "Queue"
    assert ColumnMapping.from_toml(body["toml"]).values == BODY["values"]
    assert store.get_mapping("partner").mapping.headers == tuple(BODY["headers"])
    assert api.get("/api/v1/mappings/partner").json() == body
    assert [m["name"] for m in api.get("/api/v1/mappings").json()["mappings"]] == ["partner"]
    replaced = api.put("/api/v1/mappings/partner", json={**BODY, "constants": {"Active": "Y"}})
    assert replaced.json()["constants"] == {"Active": "Y"}
    assert api.delete("/api/v1/mappings/partner").status_code == 204
    assert store.find_mapping("partner") is None
    gone = api.get("/api/v1/mappings/partner")
    assert gone.status_code == 404
    assert one_sentence(gone).startswith("There is no mapping named 'partner'")
    assert api.delete("/api/v1/mappings/partner").status_code == 404


def test_a_mapping_that_is_not_one_is_refused_in_one_sentence(api, store):
    refused = api.put("/api/v1/mappings/bad", json={"columns": {"Queue": "Skill"}})
    assert refused.status_code == 422
    assert "names 'Queue', which is not a Point of Contact column" in one_sentence(refused)
    assert store.mappings() == []


def test_changing_a_mapping_needs_the_permission_to_upload_its_record_type(api, store, settings):
    store.add_user("sam", [SKILLS_EDIT])
    assert api.put("/api/v1/mappings/partner", json=BODY).status_code == 200
    with api_client(store, settings, create_token(store, "sams", "sam")) as sam:
        assert sam.get("/api/v1/mappings/partner").status_code == 200  # reading: a token
        for refused in (
            sam.put("/api/v1/mappings/partner", json={**BODY, "record_type": "poc"}),
            sam.put("/api/v1/mappings/mine", json=BODY),
            sam.delete("/api/v1/mappings/partner"),
        ):
            assert refused.status_code == 403
            assert "'Points of Contact Create'" in one_sentence(refused)
        skills = {"record_type": "skill", "columns": {"Name": "Title"}}
        assert sam.put("/api/v1/mappings/skills", json=skills).status_code == 200
        # A skill mapping may not replace a POC one without the POC permission either.
        assert sam.put("/api/v1/mappings/partner", json=skills).status_code == 403
    assert store.get_mapping("partner").record_type == "poc"
    assert store.get_mapping("partner").saved_by == "admin"


def test_an_upload_through_a_saved_mapping_keeps_the_partners_headers(
    api, store, settings, tmp_path
):
    store.save_mapping("partner", ColumnMapping.from_toml(PARTNER_TOML, "poc"), "admin")
    path = partner_file(
        tmp_path / "partner.csv",
        ["Sales Line", "+12025550100", "Sales Calls", "Main IVR", "Voice", "yes"],
        ["Typo Line", "+12025550101", "Sales Cals", "Main IVR", "Voice", "no"],
    )
    (result,) = processed(api, store, settings, upload(api, path, mapping="partner"))
    assert result["status"] == "completed_with_errors", result
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "Queue")]
    assert result["options"]["mapping_name"] == "partner"
    assert [poc["name"] for poc in stored_pocs(store)] == ["Sales Line"]
    errors = api.get(result["reports"]["error_file"])
    assert errors.status_code == 200
    rows = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert rows[0] == [*HEADERS, "Error"]


def test_an_upload_naming_no_saved_mapping_is_refused_before_any_batch(api, store, tmp_path):
    path = partner_file(tmp_path / "partner.csv", ["A", "B", "C", "D", "E", "F"])
    before = store.count_history()
    refused = upload(api, path, mapping="nope")
    assert refused.status_code == 422
    assert one_sentence(refused).startswith("There is no mapping named 'nope'")
    skills = upload(api, path, mapping="partner", record_type="skill")
    assert skills.status_code == 422
    store.save_mapping("partner", ColumnMapping.from_toml(PARTNER_TOML, "poc"), "admin")
    wrong_type = upload(api, path, mapping="partner", record_type="skill")
    assert wrong_type.status_code == 422
    assert one_sentence(wrong_type) == "The mapping 'partner' reads poc files, not skill files."
    assert store.count_history() == before


def test_a_name_no_mapping_can_have_is_not_found_rather_than_an_error(api, store):
    """A NUL (PostgreSQL refuses one in a query) or an unpaired surrogate in a name or a
    file's headers finds no mapping: 404, never a 500."""
    for name in ("acme%00queues", "acme%ED%A0%80"):
        assert api.get(f"/api/v1/mappings/{name}").status_code == 404
    assert store.find_mapping("acme\ud800") is None
    assert store.mapping_for_headers("poc", ["Queue\x00", "Phone Number"]) is None
