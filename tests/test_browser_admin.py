"""Issue 24 #5, in a real browser (Debian's Chromium, as tests/test_browser.py): every
Administration page, reached from the main navigation's "Administration" link, fits 1280 px and
390 px without scrolling sideways and is axe-clean, with real data on it: a schedule with a
file its inbox received, a second user, an API token and a results email that failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bulkpoc.config import Settings
from bulkpoc.domain.mapping import ColumnMapping
from bulkpoc.domain.permissions import PERMISSIONS, POC_CREATE, SKILLS_EDIT
from bulkpoc.domain.schedule import Schedule
from bulkpoc.services.auth import create_token, set_password
from bulkpoc.services.demo import DEMO_PASSWORD, load_demo_reference_data
from bulkpoc.services.schedules import add_schedule
from bulkpoc.store.db import Store
from tests.browser import Server, Visits, launch_chromium, new_context, running_server, watch_csp
from tests.conftest import poc
from tests.mailserver import HOST, free_port
from tests.test_browser_access import fits
from tests.test_mail import notify, upload

STORE = "sqlite:///bulkpoc-demo/bulkpoc.db"  # relative to the server's folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """What ``bulkpoc init --demo`` leaves (not the whole demo: its uploads are not needed
    here), with something on every Administration page."""
    folder = tmp_path_factory.mktemp("server")
    (folder / "bulkpoc-demo").mkdir()
    store = Store(f"sqlite:///{folder / 'bulkpoc-demo' / 'bulkpoc.db'}")
    store.initialise()
    store.add_user("admin", PERMISSIONS, email="admin@example.com")
    set_password(store, "admin", DEMO_PASSWORD)
    inbox = folder / "inbox" / "nightly-pocs"
    acme = ColumnMapping(record_type="poc", columns={"Name": "Queue Name", "Skill": "Queue"})
    store.save_mapping("acme-queues", acme, "admin")  # issue 25: a schedule reads through it
    nightly = Schedule(
        "nightly-pocs", "0 2 * * mon-fri", "Europe/Paris", str(inbox), mapping="acme-queues"
    )
    add_schedule(store, nightly)
    add_schedule(
        store, Schedule("skills-hourly", "0 * * * *", "UTC", str(folder / "skills"), "skill")
    )
    store.add_user("carol", [POC_CREATE, SKILLS_EDIT], email="carol@example.com")
    create_token(store, "reports", "carol")
    settings = Settings.from_env({}).model_copy(
        update={
            "smtp_host": HOST,
            "smtp_port": free_port(),  # nothing listens: the email fails and waits
            "report_dir": folder / "reports",
            "outbox_dir": folder / "outbox",
        }
    )
    load_demo_reference_data(store, settings)
    notify(store, upload(folder, "csv", [poc(Name="Night Line")]), settings)
    store.engine.dispose()
    with running_server(STORE, folder) as running:
        yield running


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = new_context(browser, server)
    tab = context.new_page()
    refused = watch_csp(tab)
    yield tab
    context.close()
    assert not refused, f"Content Security Policy violations: {refused}"


def test_every_administration_page_reads_at_both_widths(page: Page, tmp_path: Path) -> None:
    visits = Visits(tmp_path)
    page.goto("/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Schedules")
    expect(page.locator("#schedules tbody tr")).to_have_count(2)
    expect(page.locator("#schedules")).to_contain_text("mapped by acme-queues")
    expect(page.get_by_label("Column mapping")).to_contain_text("acme-queues (Points of Contact)")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=tmp_path / "admin-schedules.png", full_page=True)
    fits(page, visits, "admin-schedules")

    page.get_by_role("link", name="nightly-pocs", exact=True).click()
    expect(page.get_by_label("Column mapping")).to_have_value("acme-queues")
    page.get_by_role("button", name="Run now").click()
    expect(page.locator("#ran")).to_contain_text("No new files in the inbox.")
    fits(page, visits, "admin-schedule")

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Users").click()
    expect(page.locator("#users tbody tr")).to_have_count(2)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=tmp_path / "admin-users.png", full_page=True)
    fits(page, visits, "admin-users")
    page.get_by_role("link", name="carol", exact=True).click()
    expect(page.get_by_label("Skills Edit")).to_be_checked()
    fits(page, visits, "admin-user")

    admin_nav = page.get_by_role("navigation", name="Administration")
    admin_nav.get_by_role("link", name="API Tokens").click()
    page.get_by_label("Token name").fill("partner")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#secret")).to_contain_text("bpk_")
    fits(page, visits, "admin-tokens")

    admin_nav.get_by_role("link", name="Outbox").click()
    expect(page.locator("#outbox")).to_contain_text("Connection refused")
    fits(page, visits, "admin-outbox")
