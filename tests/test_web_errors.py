"""Error pages and bad parameters: a page that cannot be shown says why in one sentence, as
a page with the usual navigation for a logged-in user, never as JSON (the API keeps its own
JSON answers); a parameter a person can mistype is ignored sensibly rather than a crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store
from tests.web import Element, api_client, client_for, csrf_token, log_in, page

# What the admin, holding every permission, sees.
NAVIGATION = [
    "Points of Contact",
    "Skills",
    "Scripts",
    "Chat Profiles",
    "Numbers",
    "Manage Multiple Points of Contact",
    "Run History",
    "Administration",
]


@pytest.fixture
def browser(store: Store, settings: Settings) -> Iterator[TestClient]:
    with client_for(store, settings) as client:
        yield log_in(client, store)


def navigation(html: Element) -> list[str]:
    (main,) = [nav for nav in html.all("nav") if nav.attrs.get("aria-label") == "Main"]
    return [link.text for link in main.all("a")][1:]  # after the brand


def error_page(response, status: int) -> tuple[Element, str]:
    """The page and its one-sentence message, once its status and type are checked."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = page(response.text)
    (alert,) = html.all("p", "alert")
    assert alert.text.endswith("."), alert.text
    return html, alert.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/nothing-here", "There is no page at /nothing-here."),
        ("/batches/999999", "There is no batch 999999."),
        ("/batches/99999999999999999999", "There is no batch 99999999999999999999."),
        (
            "/manage/widget",
            "There is no record type 'widget'; choose from poc, skill, script, chat-profile, "
            "number.",
        ),
        ("/manage/poc/export.pdf", "Downloads are .csv or .xlsx files."),
    ],
)
def test_a_page_not_found_keeps_the_navigation(browser, path, message) -> None:
    html, said = error_page(browser.get(path), 404)
    assert said == message
    assert navigation(html) == NAVIGATION
    assert html.all("h1")[0].text == "Not found"


def test_a_page_not_allowed_keeps_the_navigation(store, settings) -> None:
    store.add_user("sam", ["Skills Edit"])
    with client_for(store, settings) as client:
        log_in(client, store, "sam")
        html, said = error_page(client.get("/manage/poc/template.csv"), 403)
    assert "needs the 'Points of Contact Create' permission" in said
    # the navigation stays, with only the lists sam may open: skills, not POCs or scripts
    assert navigation(html) == ["Skills", "Manage Multiple Points of Contact", "Run History"]


def test_a_form_missing_its_fields_gets_a_page_not_json(store, settings) -> None:
    with client_for(store, settings) as client:
        response = client.post("/login", data={"csrftoken": csrf_token(client)})
        html, said = error_page(response, 400)
        assert said == "The form field 'name' is required."
        assert navigation(html) == []  # nobody is logged in yet
        log_in(client, store)
        response = client.post("/login", data={"name": "admin", "csrftoken": csrf_token(client)})
        html, said = error_page(response, 400)
    assert said == "The form field 'password' is required."
    assert navigation(html) == NAVIGATION


@pytest.mark.parametrize(
    "query", ["page=abc", "page=-1", "page=0", "page=1.5", "page=٣", "page=" + "9" * 30]
)
@pytest.mark.parametrize("path", ["/pocs", "/history"])
def test_a_page_number_a_person_mistyped_shows_a_page_of_the_list(browser, path, query) -> None:
    response = browser.get(f"{path}?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert navigation(page(response.text)) == NAVIGATION


def test_a_page_past_the_last_of_the_history_shows_the_last(browser) -> None:
    response = browser.get("/history?page=" + "9" * 30)
    assert response.status_code == 200
    assert "Showing 1–4 of 4 batches." in page(response.text).text


def test_the_api_keeps_answering_json(store, settings) -> None:
    with api_client(store, settings, create_token(store, "crm", "admin")) as api:
        for path, status in [
            ("/api/v1/nothing", 404),
            ("/api/v1/batches/99999999999999999999", 422),
            ("/api/v1/batches?limit=abc", 422),
        ]:
            response = api.get(path)
            assert response.status_code == status, path
            assert isinstance(response.json()["detail"], str), path
