"""Single records in the browser (issue 24, items 1 and 2), over HTTP as a browser sends
the forms: a point of contact's form by media type, a refused save with each message beside
its field, the conflict of a second save, Activate / Deactivate and the deactivation's way
out as one batch; the same pages for the other record types; and who may use them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bulkpoc.batch.submit import load_result
from bulkpoc.batch.undo import run_undo, undo_options
from bulkpoc.domain.permissions import PERMISSIONS, POC_DEACTIVATE, SKILLS_EDIT
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store.listing import RecordFilter
from tests.web import Element, client_for, csrf_token, log_in, page

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
POC = RECORD_TYPES["poc"]
SAVED = re.compile(r"^/pocs/(\d+)\?saved=(\d+)$")


@pytest.fixture
def browser(store, settings, run) -> Iterator[TestClient]:
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    with client_for(store, settings) as client:
        yield log_in(client, store)


def poc_id(store, name: str) -> int:
    rows, _ = store.search_records(POC, RecordFilter(query=name))
    return int(rows[0]["id"])


def post(client: TestClient, url: str, form_page: str, data: dict[str, str]):
    return client.post(url, data={**data, "csrftoken": csrf_token(client, form_page)})


def inputs(html: Element) -> dict[str, str]:
    """The form's inputs and selects, by name: their value (a select's chosen option)."""
    found = {}
    for element in html.all():
        name = element.attrs.get("name")
        if element.tag == "input" and name and element.attrs.get("type") != "search":
            found[name] = element.attrs.get("value", "")
        elif element.tag == "select" and name:
            chosen = [o for o in element.all("option") if "selected" in o.attrs]
            found[name] = chosen[0].attrs.get("value", chosen[0].text) if chosen else ""
    return found


def options(html: Element, name: str) -> list[str]:
    select = next(e for e in html.all("select") if e.attrs.get("name") == name)
    return [option.attrs.get("value", option.text) for option in select.all("option")]


NEW = {
    "Phone Call": {
        "name": "Form Line",
        "point_of_contact": "+12025550103",
        "skill": "Sales Calls",
        "script": "Main IVR",
        "ivr_reporting_enabled": "Y",
    },
    "Email": {
        "name": "Form Inbox",
        "point_of_contact": "form@example.com",
        "skill": "Email Support",
        "script": "Email Router",
    },
    "Chat": {
        "name": "Form Chat",
        "skill": "Web Chat",
        "script": "Chat Router",
        "chat_profile": "Spanish Chat",
    },
    "SMS": {
        "name": "Form Texts",
        "point_of_contact": "+14155550201",
        "skill": "SMS Support",
        "script": "SMS Router",
    },
    "Work Item": {"name": "Form Items", "skill": "Back Office", "script": "Work Item Router"},
}


def test_a_poc_of_each_media_type_from_its_own_form(browser, store):
    chooser = page(browser.get("/pocs/new").text)
    assert [i.attrs["value"] for i in chooser.all("input") if i.attrs.get("type") == "radio"] == [
        "Phone Call",
        "Email",
        "Chat",
        "SMS",
        "Work Item",
    ]
    for media, values in NEW.items():
        url = f"/pocs/new?media_type={media}"
        form = page(browser.get(url).text)
        shown = set(inputs(form)) - {"csrftoken"}
        assert shown == {"media_type", *values} | (
            {"point_of_contact"} if media in ("Phone Call", "SMS", "Email") else set()
        ), media
        assert set(options(form, "skill")) - {""} == {
            s["name"]
            for s in store.search_records(RECORD_TYPES["skill"], RecordFilter(media_type=media))[0]
            if s["active"]
        }
        response = post(browser, "/pocs/new", url, {"media_type": media, **values})
        assert response.status_code == 303, response.text
        found = SAVED.match(response.headers["location"])
        assert found, response.headers["location"]
        record = store.find_record(POC, int(found.group(1)))
        assert (record["name"], record["media_type"]) == (values["name"], media)
        result = load_result(store, int(found.group(2)))
        assert (result.source, result.counts.created) == ("form", 1)
        shown_page = page(browser.get(response.headers["location"]).text)
        assert shown_page.by_id("saved").all("a")[0].attrs["href"] == f"/batches/{found.group(2)}"
    assert store.find_record(POC, poc_id(store, "Form Chat"))["point_of_contact"].startswith(
        "CHAT-"
    )


def test_the_number_list_offers_only_capable_free_numbers_and_finds_one(browser, store):
    form = page(browser.get("/pocs/new?media_type=SMS").text)
    numbers = set(options(form, "point_of_contact")) - {""}
    sms = {
        n["phone_number"]
        for n in store.search_records(RECORD_TYPES["number"], limit=500)[0]
        if n["sms"]
    }
    used = {
        p["point_of_contact"] for p in store.search_records(POC, RecordFilter(media_type="SMS"))[0]
    }
    assert numbers == sms - used
    assert f"{len(numbers)} free number" in form.by_id("field-point-of-contact-count").text
    found = page(browser.get("/pocs/new?media_type=SMS&number_q=(415) 555-02").text)
    assert set(options(found, "point_of_contact")) - {""} == {
        n for n in numbers if n.startswith("+1415555020")
    }


def test_thousands_of_free_numbers_are_a_bounded_list_with_a_search(browser, store, run):
    rows = [{"Phone Number": f"+1312555{n:04d}", "Voice": "Y", "SMS": "N"} for n in range(300)]
    headers = RECORD_TYPES["number"].headers
    assert run(rows, headers=headers, record_type="number").status.value == "succeeded"
    form = page(browser.get("/pocs/new?media_type=Phone Call").text)
    assert len(options(form, "point_of_contact")) == 1 + 200  # "Choose…" and the first 200
    count = form.by_id("field-point-of-contact-count").text
    assert "free numbers left; the first 200 are listed." in count
    search = form.by_id("number-q")
    assert (search.attrs["form"], search.attrs["name"]) == ("number-search", "number_q")
    found = page(browser.get("/pocs/new?media_type=Phone Call&number_q=312 555 029").text)
    assert set(options(found, "point_of_contact")) - {""} == {
        f"+1312555{n:04d}" for n in range(290, 300)
    }


def test_a_refused_save_shows_each_message_beside_its_field_and_keeps_the_values(browser, store):
    url = "/pocs/new?media_type=Email"
    data = {"media_type": "Email", "name": "", "point_of_contact": "not an address"}
    data |= {"skill": "Email Support", "script": "Email Router"}
    response = post(browser, "/pocs/new", url, data)
    assert response.status_code == 422
    html = page(response.text)
    assert html.by_id("field-name-error").text
    assert "email address" in html.by_id("field-point-of-contact-error").text
    assert "fix the fields marked below" in html.by_id("form-errors").text
    assert "upload" not in html.by_id("form-errors").text  # a form is not a file
    assert inputs(html)["point_of_contact"] == "not an address"
    assert inputs(html)["skill"] == "Email Support"
    assert store.search_records(POC, RecordFilter(query="not an address"))[1] == 0


def test_a_second_save_from_an_older_copy_is_a_conflict_shown_with_both_values(browser, store):
    key = poc_id(store, "Support Inbox")
    edit = f"/pocs/{key}/edit"
    mine = inputs(page(browser.get(edit).text))
    theirs = {**mine, "script": "Email Router", "name": "Support Inbox (theirs)"}
    assert post(browser, edit, edit, theirs).status_code == 303
    response = post(browser, edit, edit, {**mine, "name": "Support Inbox (mine)"})
    assert response.status_code == 409
    html = page(response.text)
    rows = [
        [c.text for c in tr.all() if c.tag in ("th", "td")]
        for tr in html.by_id("conflict").all("tr")
    ]
    assert ["Name", "Support Inbox (theirs)", "Support Inbox (mine)"] in rows
    assert store.find_record(POC, key)["name"] == "Support Inbox (theirs)"
    # Saving again, from the form as it came back, replaces theirs.
    again = inputs(html)
    assert post(browser, edit, edit, again).status_code == 303
    assert store.find_record(POC, key)["name"] == "Support Inbox (mine)"


def test_a_deactivation_refused_on_an_active_skill_then_done_in_one_action(
    browser, store, settings
):
    key = poc_id(store, "Sales Hotline")
    record_page = f"/pocs/{key}"
    before = store.find_record(POC, key)
    response = post(browser, f"{record_page}/active", record_page, {"active": "N"})
    assert response.status_code == 422
    html = page(response.text)
    assert "Cannot be deactivated because it is still assigned to an active skill" in (
        html.by_id("refusal").text
    )
    assert options(html, "skill") == ["Legacy Calls"]  # the inactive Phone Call skills
    assert inputs(html)["skill"] == "Legacy Calls"  # the one the message suggests
    assert store.find_record(POC, key)["active"] is True

    response = post(
        browser, f"{record_page}/deactivate-via-skill", record_page, {"skill": "Legacy Calls"}
    )
    assert response.status_code == 303, response.text
    batch = int(SAVED.match(response.headers["location"]).group(2))
    after = store.find_record(POC, key)
    assert (after["active"], after["skill"]) == (False, "Legacy Calls")
    assert load_result(store, batch).counts.updated == 1
    undone = run_undo(store, batch, undo_options(store, batch), settings)
    assert undone.status.value == "succeeded", undone.errors
    back = store.find_record(POC, key)
    assert (back["active"], back["skill"]) == (True, before["skill"])


def test_without_an_inactive_skill_of_its_media_type_the_page_says_how_to_get_one(browser, store):
    key = poc_id(store, "Text Us")  # SMS: the demo has no inactive SMS skill
    url = f"/pocs/{key}"
    html = page(post(browser, f"{url}/active", url, {"active": "N"}).text)
    assert "There is no inactive SMS skill" in html.by_id("no-inactive-skill").text
    assert not any(e.attrs.get("name") == "skill" for e in html.all("select"))


def test_activate_and_deactivate_a_skill_from_its_page(browser, store):
    skill = store.search_records(RECORD_TYPES["skill"], RecordFilter(query="Legacy Calls"))[0][0]
    url = f"/skills/{skill['id']}"
    assert page(browser.get(url).text).by_id("values")
    response = post(browser, f"{url}/active", url, {"active": "Y"})
    assert response.status_code == 303
    assert store.find_record(RECORD_TYPES["skill"], skill["id"])["active"] is True


def test_every_record_type_has_the_same_create_and_edit_pages(browser, store):
    created = {}
    for collection, values in (
        ("skills", {"name": "Form Skill", "media_type": "Email"}),
        ("scripts", {"name": "Form Script", "media_type": "Chat"}),
        ("chat-profiles", {"name": "Form Profile"}),
        ("numbers", {"phone_number": "(202) 555-0199", "voice": "Y", "sms": "Y"}),
    ):
        url = f"/{collection}/new"
        assert set(inputs(page(browser.get(url).text))) - {"csrftoken"} == set(values), url
        response = post(browser, url, url, values)
        assert response.status_code == 303, (url, response.text[:500])
        created[collection] = response.headers["location"].split("?")[0]
    assert created["numbers"] == "/numbers/%2B12025550199"
    edit = f"{created['numbers']}/edit"
    assert post(browser, edit, edit, {"voice": "Y", "sms": "N"}).status_code == 303
    number = store.find_record(RECORD_TYPES["number"], "+12025550199")
    assert (number["voice"], number["sms"]) == (True, False)


@pytest.fixture
def without_skills_edit(store, settings, run) -> Iterator[TestClient]:
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    store.add_user("pat", [p for p in PERMISSIONS if p != SKILLS_EDIT])
    with client_for(store, settings) as client:
        yield log_in(client, store, "pat")


def test_without_skills_edit_no_form_or_list_edit_changes_a_skill(without_skills_edit, store):
    client = without_skills_edit
    skill = store.search_records(RECORD_TYPES["skill"], RecordFilter(query="Legacy"))[0][0]
    for url in (f"/skills/{skill['id']}/edit", "/skills/new", "/skills/mass-edit"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/pocs")
    for url, data in (
        (f"/skills/{skill['id']}/edit", {"name": "Renamed"}),
        (f"/skills/{skill['id']}/active", {"active": "Y"}),
        ("/skills/mass-edit", {"ids": str(skill["id"]), "field": "active", "value": "Y"}),
    ):
        response = client.post(url, data={**data, "csrftoken": token})
        assert response.status_code == 403, url
        assert SKILLS_EDIT in response.text, url
    assert store.find_record(RECORD_TYPES["skill"], skill["id"]) == skill
    # Nor a point of contact's skill: its form's save is refused, naming the permission.
    key = poc_id(store, "Support Line")
    edit = f"/pocs/{key}/edit"
    response = post(
        client, edit, edit, {**inputs(page(client.get(edit).text)), "skill": "Sales Calls"}
    )
    assert response.status_code == 422
    assert SKILLS_EDIT in response.text
    assert store.find_record(POC, key)["skill"] == "Support Calls"


def test_a_poc_page_offers_deactivate_only_to_a_user_who_may_deactivate(store, settings, run):
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    store.add_user("pat", [p for p in PERMISSIONS if p != POC_DEACTIVATE])
    key = poc_id(store, "Support Line")
    with client_for(store, settings) as client:
        shown = page(log_in(client, store, "pat").get(f"/pocs/{key}").text)
        assert "Deactivate" not in [button.text.strip() for button in shown.all("button")]
        assert POC_DEACTIVATE in shown.by_id("cannot-deactivate").text
    with client_for(store, settings) as client:
        shown = page(log_in(client, store, "admin").get(f"/pocs/{key}").text)
        assert "Deactivate" in [button.text.strip() for button in shown.all("button")]
