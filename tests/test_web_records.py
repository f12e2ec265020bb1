"""A record's page (issue 23, item 4): its current values under the file's column headers,
reached from the POC list, for every record type, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.domain.permissions import PERMISSIONS, SKILLS_EDIT
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store.db import Store
from bulkpoc.store.listing import COLLECTIONS, RecordFilter
from tests.web import Element, client_for, log_in, page

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
POC = RECORD_TYPES["poc"]


@pytest.fixture
def browser(store: Store, settings: Settings, run) -> Iterator[TestClient]:
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    with client_for(store, settings) as client:
        yield log_in(client, store)


def values(html: Element) -> dict[str, str]:
    """The page's definition list, header: text."""
    listed = html.by_id("values")
    return dict(
        zip([dt.text for dt in listed.all("dt")], [dd.text for dd in listed.all("dd")], strict=True)
    )


def links(html: Element) -> dict[str, str]:
    return {a.text: a.attrs["href"] for a in html.by_id("values").all("a")}


def poc_id(store: Store, name: str) -> int:
    rows, _ = store.search_records(POC, RecordFilter(query=name))
    return rows[0]["id"]


def test_a_poc_page_shows_its_values_under_the_files_headers(browser, store):
    number = poc_id(store, "Website Chat")
    response = browser.get(f"/pocs/{number}")
    assert response.status_code == 200
    html = page(response.text)
    assert html.all("h1")[0].text == "Point of Contact Website Chat"
    shown = values(html)
    assert list(shown) == [
        "Point of Contact ID",
        "Name",
        "Media Type",
        "Point of Contact",
        "Skill",
        "Script",
        "IVR Reporting Enabled",
        "Chat Profile",
        "Active",
        "Last Modified",
    ]
    assert shown["Point of Contact ID"] == str(number)
    assert shown["Point of Contact"].startswith("CHAT-")
    assert (shown["Skill"], shown["Script"], shown["Chat Profile"]) == (
        "Web Chat",
        "Chat Router",
        "Default Chat",
    )
    assert (shown["IVR Reporting Enabled"], shown["Active"]) == ("No", "Yes")
    assert shown["Last Modified"].endswith(" UTC")
    assert html.by_id("values").all("time")[0].attrs["datetime"].endswith("Z")
    skill = browser.get(links(html)["Web Chat"])
    assert skill.status_code == 200
    assert values(page(skill.text))["Name"] == "Web Chat"
    assert html.all("h2")[0].text == "Current values"


def test_the_poc_list_links_each_name_to_its_page(browser, store):
    html = page(browser.get("/pocs?q=hotline").text)
    named = {a.text: a.attrs["href"] for a in html.all("tbody")[0].all("a")}
    assert named == {"Sales Hotline": f"/pocs/{poc_id(store, 'Sales Hotline')}"}
    shown = values(page(browser.get(named["Sales Hotline"]).text))
    assert shown["Name"] == "Sales Hotline"
    assert shown["Point of Contact"] == "+12025550100"


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_every_record_type_has_a_page_per_record(browser, store, name):
    rtype = COLLECTIONS[name]
    rows, _ = store.search_records(rtype, limit=1)
    key = next(iter(rows[0]))
    url = f"/{name}/{rows[0][key]}".replace("+", "%2B")
    response = browser.get(url)
    assert response.status_code == 200, response.text
    shown = values(page(response.text))
    assert shown[rtype.key.header] == str(rows[0][key])
    assert list(shown)[-1] == "Last Modified"


def test_an_unknown_record_is_a_404_page_in_one_sentence(browser):
    for url, sentence in (
        ("/pocs/999999", "There is no point of contact '999999'."),
        ("/numbers/+19995550100", "There is no number '+19995550100'."),
        ("/chat-profiles/424242", "There is no chat profile '424242'."),
    ):
        response = browser.get(url)
        assert response.status_code == 404
        assert page(response.text).all("p", "alert")[0].text == sentence


def test_a_reference_links_only_where_the_user_may_look(store, settings, run, browser):
    store.add_user("pat", [permission for permission in PERMISSIONS if permission != SKILLS_EDIT])
    with client_for(store, settings) as client:
        log_in(client, store, "pat")
        html = page(client.get(f"/pocs/{poc_id(store, 'Website Chat')}").text)
        assert "Web Chat" not in links(html)  # skills need Skills Edit
        assert "Chat Router" in links(html)
        refused = client.get(
            links(page(browser.get(f"/pocs/{poc_id(store, 'Website Chat')}").text))["Web Chat"]
        )
        assert refused.status_code == 403


def test_a_failed_row_of_a_stored_record_links_to_its_page(browser, store, run):
    hotline = poc_id(store, "Sales Hotline")
    result = run(
        [
            {"Point of Contact ID": str(hotline), "Name": "Sales Hotline", "Media Type": "Email"},
            {"Point of Contact ID": "999999", "Name": "Ghost Line", "Media Type": "Email"},
        ]
    )
    assert result.counts.failed == 2, result.errors
    html = page(browser.get(f"/batches/{result.batch_id}").text)
    assert html.by_id("grid-caption")
    names = {
        th.text: th.all("a")
        for th in html.all("th")
        if th.attrs.get("scope") == "row" and th.text.startswith("Row ")
    }
    linked = {text: [a.attrs["href"] for a in links] for text, links in names.items()}
    assert linked == {"Row 2 Sales Hotline": [f"/pocs/{hotline}"], "Row 3 Ghost Line": []}
