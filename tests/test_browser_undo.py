"""Undo this batch, in a real browser (Debian's Chromium, as tests/test_browser.py): the button on
an applied batch's results page shows the undo's dry run, which then offers to run it. Every
page is axe-clean and fits 1280 px and 390 px without scrolling sideways."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from bulkpoc.services.demo import DEMO_PASSWORD
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.browser import Server, Visits
from tests.test_browser_access import WIDTHS


def fits(page: Page, visits: Visits, name: str) -> None:
    """At each width: what undo adds to the page (its form, what it reverts or was reverted
    by) fits without scrolling sideways, and axe-core finds nothing serious on the page.
    (tests/test_browser_pages.py checks the whole page's width.)"""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        right = page.evaluate(
            "Math.max(0, ...Array.from(document.querySelectorAll("
            "'form.undo, form.undo *, #reverts, #reverted-by'))"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert right <= width, f"{name}: the undo part reaches {right} px at {width} px"
        visits.check(page, f"{name}-{width}")


def pocs(server: Server) -> int:
    store = Store(f"sqlite:///{server.folder / 'bulkpoc-demo' / 'bulkpoc.db'}")
    try:
        return store.count(schema.pocs)
    finally:
        store.engine.dispose()


def test_undo_this_batch_shows_the_dry_run_then_runs_it(
    page: Page, server: Server, tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    page.goto("/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    upload = tmp_path / "two.csv"
    upload.write_text(
        "Name,Media Type,Point of Contact,Skill,Script\n"
        "Undo Line,Phone Call,+12025550119,Sales Calls,Main IVR\n"
        "Undo Mail,Email,undo@example.com,Email Support,Email Router\n",
        encoding="utf-8",
    )
    page.goto("/manage/poc")
    page.get_by_label("Choose File").set_input_files(upload)
    page.get_by_label("Text (.csv)").check()
    page.get_by_role("button", name="Upload File").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    batch = int(page.url.rsplit("/", 1)[1])
    before = pocs(server)
    fits(page, visits, "applied-batch")

    page.get_by_role("button", name="Undo this batch").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    expect(page.locator("#reverts")).to_have_text(f"This batch would undo batch {batch}.")
    expect(page.locator("#summary")).to_contain_text("2 would be removed")
    assert pocs(server) == before
    fits(page, visits, "undo-dry-run")

    page.get_by_role("button", name="Run this undo").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    expect(page.locator("#reverts")).to_have_text(f"This batch undoes batch {batch}.")
    expect(page.locator("#summary")).to_contain_text("2 removed")
    assert pocs(server) == before - 2
    undo = int(page.url.rsplit("/", 1)[1])
    fits(page, visits, "undo")

    page.goto(f"/batches/{batch}")
    expect(page.locator("#reverted-by")).to_have_text(f"Reverted by batch {undo}.")
    expect(page.get_by_role("button", name="Undo this batch")).to_have_count(0)
    fits(page, visits, "reverted-batch")
    # The undo itself can be undone: the same button on its page.
    page.goto(f"/batches/{undo}")
    expect(page.get_by_role("button", name="Undo this batch")).to_be_visible()
    assert re.search(r"/batches/\d+$", page.url)
