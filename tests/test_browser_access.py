"""In a real browser (Debian's Chromium, as tests/test_browser.py): the API's documentation
page, served from the package under the site's own Content-Security-Policy, the POC list
as a user without the POC permission, and a record's page reached from the POC list. Each
page is checked by axe-core and must fit a 1280 px and a 390 px wide window without
scrolling sideways."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bulkpoc.domain.permissions import POC_CREATE, SKILLS_EDIT
from bulkpoc.services.auth import set_password
from bulkpoc.services.demo import DEMO_PASSWORD, run_demo
from bulkpoc.store.db import Store
from tests.browser import Server, Visits, new_context, running_server, watch_csp
from tests.browser_fixtures import DEMO_STORE as STORE

WIDTHS = (1280, 390)
SKILLS_ONLY = "sam"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``bulkpoc serve`` on what ``bulkpoc demo`` leaves, with a user who holds only
    ``Skills Edit``."""
    folder = tmp_path_factory.mktemp("server")
    run_demo(folder / "bulkpoc-demo", echo=lambda _line: None)
    store = Store(f"sqlite:///{folder / 'bulkpoc-demo' / 'bulkpoc.db'}")
    store.add_user(SKILLS_ONLY, [SKILLS_EDIT])
    set_password(store, SKILLS_ONLY, PASSWORD)
    store.engine.dispose()
    with running_server(STORE, folder) as running:
        yield running


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh profile; the test fails on a CSP violation or a request to another origin."""
    context = new_context(browser, server)
    tab = context.new_page()
    refused = watch_csp(tab)
    elsewhere: list[str] = []
    tab.on("request", lambda request: _note_foreign(request.url, server, elsewhere))
    yield tab
    context.close()
    assert not refused, f"Content Security Policy violations: {refused}"
    assert not elsewhere, f"requests to other origins: {elsewhere}"


def _note_foreign(url: str, server: Server, elsewhere: list[str]) -> None:
    if not url.startswith((server.url + "/", "data:")):
        elsewhere.append(url)


def fits(page: Page, visits: Visits, name: str) -> None:
    """At each width: no sideways scrolling, a screenshot, and no serious axe violation."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px too wide at {width} px"
        visits.check(page, f"{name}-{width}")


def operations(server: Server) -> list[str]:
    """The summaries of the API's operations, from its OpenAPI schema."""
    with urllib.request.urlopen(f"{server.url}/api/v1/openapi.json", timeout=10) as answer:
        schema = json.load(answer)
    return [
        operation["summary"] for path in schema["paths"].values() for operation in path.values()
    ]


def test_the_api_docs_page_lists_every_operation_from_the_package_alone(
    page: Page, visits: Visits, server: Server
) -> None:
    page.goto("/api/docs")
    summaries = operations(server)
    assert len(summaries) >= 7
    for summary in summaries:
        expect(page.get_by_text(summary, exact=True)).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(len(summaries))
    fits(page, visits, "api-docs")

    # Tried from the page without a token, an operation answers 401, under the same CSP.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_text("The run history", exact=True).click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tr.response td.response-col_status")).to_have_text(
        "401"
    )
    visits.screenshot(page, "api-docs-tried")


def test_the_poc_list_refuses_a_user_without_the_poc_permission(page: Page, visits: Visits) -> None:
    page.goto("/pocs")
    page.get_by_label("User name").fill(SKILLS_ONLY)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_role("alert")).to_have_text(
        f"{SKILLS_ONLY} may not see points of contact: it needs the '{POC_CREATE}' permission."
    )
    expect(page.locator("table")).to_have_count(0)
    fits(page, visits, "pocs-refused")


def test_a_pocs_page_opens_from_the_list_and_reads_at_both_widths(
    page: Page, visits: Visits
) -> None:
    page.goto("/pocs")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Points of Contact")
    first = page.locator("table.pocs tbody tr").first.get_by_role("link")
    name = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(r"/pocs/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Point of Contact {name}")
    values = page.locator("#values")
    expect(values.locator("dt").first).to_have_text("Point of Contact ID")
    expect(values.locator("dt")).to_have_count(10)
    expect(values.locator("dd").nth(1)).to_have_text(name)
    # Its history: the batch that created it, with the values it was created with.
    history = page.locator("#history tbody tr")
    expect(history.first).to_contain_text(f"created: Name={name}")
    fits(page, visits, "poc-page")
    values.get_by_role("link").first.click()  # its skill
    expect(page).to_have_url(re.compile(r"/skills/\d+$"))
    expect(page.locator("#values dt")).to_have_count(5)
    fits(page, visits, "skill-page")
