"""The web UI in a real browser: Debian's Chromium (Playwright) against ``bulkpoc serve`` on a
free loopback port, on a fresh demo store. Every page visited is screenshotted into the test's
folder and checked by axe-core (no serious or critical violation)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bulkpoc.demo import run_demo
from bulkpoc.store.db import Store
from tests.browser import Server, Visits, launch_chromium, new_context, running_server, watch_csp

USER = "admin"
PASSWORD = "bulkpoc-demo"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for this module (closed before other modules run their event loops)."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo store (``bulkpoc demo``: reference data, POCs, three batches), the admin with a
    password, and the server on it."""
    from bulkpoc.auth import set_password

    folder = tmp_path_factory.mktemp("server")
    run_demo(folder / "demo", echo=lambda _line: None)
    database_url = f"sqlite:///{folder / 'demo' / 'bulkpoc.db'}"
    store = Store(database_url)
    set_password(store, USER, PASSWORD)
    store.engine.dispose()
    with running_server(database_url, folder) as running:
        yield running


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser profile (no session) with a tab on the server; the test fails if the
    page broke its own Content Security Policy."""
    context = new_context(browser, server)
    tab = context.new_page()
    refused = watch_csp(tab)
    yield tab
    context.close()
    assert not refused, f"Content Security Policy violations: {refused}"


@pytest.fixture
def visits(tmp_path: Path) -> Visits:
    return Visits(tmp_path)


def log_in(page: Page, password: str = PASSWORD) -> None:
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_login_refuses_a_wrong_password_and_lands_on_manage_page(
    page: Page, visits: Visits
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    visits.check(page, "login")

    log_in(page, password="not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("User name")).to_have_value(USER)
    visits.check(page, "login-refused")

    log_in(page)
    expect(page).to_have_url(re.compile(r"/manage/poc$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Manage Multiple Points of")
    visits.check(page, "manage")
