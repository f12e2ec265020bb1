"""Preview, then apply, in a real browser (Debian's Chromium, as tests/test_browser.py): a dry
run uploaded through the form, "Apply this file" on its results page with a row left out, and
the two batches linked both ways. Each page is checked by axe-core and must fit 1280 px and
390 px wide windows without scrolling sideways; nothing needs JavaScript to apply."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.services.demo import DEMO_PASSWORD
from bulkpoc.store.db import Store
from tests.browser import Server, Visits

WIDTHS = (1280, 390)
NEW_LINES = [
    ("Preview Line A", "+12025550117"),
    ("Preview Line B", "+12025550118"),
    ("Preview Line C", "+12025550119"),
]


def fits(page: Page, visits: Visits, name: str) -> None:
    """At each width: no sideways scrolling, a screenshot, and no serious axe violation."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px too wide at {width} px"
        visits.check(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 800})


def _new_pocs(path: Path) -> Path:
    headers = RECORD_TYPES["poc"].headers
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        for name, number in NEW_LINES:
            writer.writerow(
                dict.fromkeys(headers, "")
                | {
                    "Name": name,
                    "Media Type": "Phone Call",
                    "Point of Contact": number,
                    "Skill": "Sales Calls",
                    "Script": "Main IVR",
                }
            )
    return path


def test_a_dry_run_is_applied_from_its_results_page_without_a_row(
    page: Page, server: Server, tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    page.goto("/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/pocs$"))
    page.goto("/manage/poc")

    page.get_by_label("Choose File").set_input_files(_new_pocs(tmp_path / "new-lines.csv"))
    page.get_by_label("Text (.csv)").check()
    page.get_by_label(re.compile("Dry run:")).check()
    page.get_by_role("button", name="Upload File").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    preview = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#summary")).to_contain_text("3 would be created")
    expect(page.get_by_role("heading", name="Apply this file")).to_be_visible()
    fits(page, visits, "dry-run-with-apply")

    page.get_by_label("Rows to leave out (optional)").fill("3")
    page.get_by_role("button", name="Apply this file").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    applied = int(page.url.rsplit("/", 1)[1])
    assert applied != preview
    expect(page.locator("#summary")).to_contain_text("2 created")
    expect(page.locator('[data-count="skipped"]')).to_have_text("1")
    expect(page.locator("#warnings")).to_contain_text("1 row skipped by the reviewer")
    expect(page.locator("#preview-links")).to_contain_text(f"Previewed as batch {preview}")
    fits(page, visits, "applied")

    page.get_by_role("link", name=f"batch {preview}").click()
    expect(page.locator("#preview-links")).to_contain_text(f"Applied as batch {applied}")
    expect(page.get_by_role("button", name="Apply this file")).to_have_count(0)
    fits(page, visits, "dry-run-applied")

    store = Store(f"sqlite:///{server.folder / 'bulkpoc-demo' / 'bulkpoc.db'}")
    try:
        assert store.applied_as(preview) == applied
    finally:
        store.engine.dispose()
