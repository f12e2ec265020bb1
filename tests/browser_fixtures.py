"""The browser tests' shared fixtures (a pytest plugin, registered in tests/conftest.py): one
Chromium and one ``bulkpoc serve`` on the demo's store for each module that asks for them, and a
fresh browser profile for each test. A module that needs another server (other users, other
data) or another page (logged in, watching requests) defines its own ``server`` or ``page``,
which pytest uses instead of these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bulkpoc.services.demo import DEMO_PASSWORD, run_demo
from tests.browser import Server, Visits, launch_chromium, new_context, running_server, watch_csp

DEMO_STORE = "sqlite:///bulkpoc-demo/bulkpoc.db"  # relative to the server's folder, as the README


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module (closed before other modules run their event loops)."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server as the README starts it, on what ``bulkpoc demo`` leaves: reference data,
    points of contact, its batches, and the admin with the password the README gives."""
    folder = tmp_path_factory.mktemp("server")
    run_demo(folder / "bulkpoc-demo", echo=lambda _line: None)
    with running_server(DEMO_STORE, folder) as running:
        yield running


@pytest.fixture
def fresh_page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser profile (no session) with a tab on the server; the test fails if the
    page broke its own Content Security Policy."""
    context = new_context(browser, server)
    tab = context.new_page()
    refused = watch_csp(tab)
    yield tab
    context.close()
    assert not refused, f"Content Security Policy violations: {refused}"


@pytest.fixture
def page(fresh_page: Page) -> Page:
    """The test's tab, not logged in."""
    return fresh_page


@pytest.fixture
def admin_page(fresh_page: Page) -> Page:
    """The test's tab, logged in as the demo's administrator (a module whose tests all want
    that makes it its ``page``)."""
    fresh_page.goto("/login")
    fresh_page.get_by_label("User name").fill("admin")
    fresh_page.get_by_label("Password").fill(DEMO_PASSWORD)
    fresh_page.get_by_role("button", name="Log in").click()
    expect(fresh_page).to_have_url(re.compile(r"/pocs$"))  # a login lands on the POC list
    return fresh_page


@pytest.fixture
def visits(tmp_path: Path) -> Visits:
    """The pages a test looks at: each screenshot and checked by axe-core."""
    return Visits(tmp_path)
