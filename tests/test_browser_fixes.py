"""Fixing failed rows in a real browser (issue 25; Debian's Chromium, as tests/test_browser.py):
a partner's file fails on a misspelt skill in twelve rows and a bad address in one; the
person fixes the address in its cell, sees the fix's results still list the twelve under
their original row numbers, fixes those with the one-click suggestion, and the last batch
succeeds. Every page is axe-clean and fits 1280 px and 390 px without scrolling sideways;
the keyboard moves between the fix inputs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import Visits
from tests.test_browser_forms import fits

HEADERS = ["Point of Contact ID", "Row Changed", "Name", "Media Type", "Point of Contact"]
HEADERS += ["Skill", "Script"]
TYPO, SKILL = "Email Suport", "Email Support"
BAD_ADDRESS, GOOD_ADDRESS = "orders@@example.com", "orders@example.com"


@pytest.fixture
def page(admin_page: Page) -> Page:
    """Each test's tab, logged in as the demo's administrator."""
    return admin_page


def partner_file(path: Path, partner: str = "Partner") -> Path:
    """Rows 2-13: inboxes with a misspelt skill; row 14: a bad address; row 15: fine. Each
    ``partner`` has records of its own (the module's tests share one store)."""
    tag = partner.lower()
    rows = [
        ["", "", f"{partner} Inbox {n:02d}", "Email", f"{tag}{n:02d}@example.com", TYPO]
        for n in range(1, 13)
    ]
    rows.append(["", "", f"{partner} Orders", "Email", BAD_ADDRESS, SKILL])
    rows.append(["", "", f"{partner} Billing", "Email", f"billing@{tag}.example", SKILL])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows([*row, "Email Router"] for row in rows)
    return path


def upload(page: Page, path: Path) -> int:
    page.goto("/manage/poc")
    page.get_by_label("Choose File").set_input_files(path)
    page.get_by_label("Text (.csv)").check()
    page.get_by_role("button", name="Upload File").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    return batch_of(page)


def batch_of(page: Page) -> int:
    expect(page).to_have_url(re.compile(r"/batches/\d+$"))
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    return int(page.url.rsplit("/", 1)[1])


def test_fix_one_cell_then_a_group_with_its_suggestion_until_the_batch_succeeds(
    page: Page, tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    first = upload(page, partner_file(tmp_path / "partner.csv"))
    expect(page.locator('[data-count="failed"]')).to_have_text("13")
    group = page.locator("#group-fixes li.group-fix").first
    expect(group).to_contain_text(f"12 rows: Skill '{TYPO}' does not exist")
    fits(page, visits, "results-with-fixes")

    # The keyboard moves from a failed Skill cell to the one below it.
    page.locator("#row-2 input.fix-input").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#row-3 input.fix-input")).to_be_focused()

    # One cell: the bad address, in its row.
    address = page.get_by_label("Row 14, Point of Contact")
    expect(address).to_have_value(BAD_ADDRESS)
    address.fill(GOOD_ADDRESS)
    page.get_by_role("button", name="Submit fixes").click()
    fix = batch_of(page)
    assert fix != first
    expect(page.locator("#fixes")).to_contain_text(f"batch {first}")
    expect(page.locator('[data-count="created"]')).to_have_text("1")
    expect(page.locator('[data-count="failed"]')).to_have_text("12")
    # What still fails, under the rows' numbers in the person's own file.
    expect(page.locator("tr.failed-row").first).to_have_id("row-2")
    expect(page.locator("#row-14")).to_have_count(0)
    fits(page, visits, "fix-still-failing")

    # The group: one click on the suggestion.
    page.get_by_role("button", name=f"Use '{SKILL}' for all 12").click()
    last = batch_of(page)
    expect(page.locator("#summary")).to_contain_text("succeeded")
    expect(page.locator('[data-count="created"]')).to_have_text("12")
    expect(page.locator("#fixes")).to_contain_text(f"batch {fix}")
    fits(page, visits, "fix-succeeded")

    page.goto(f"/batches/{first}")
    expect(page.locator("li.fixed-by")).to_have_text(f"Fixed by batch {fix}.")
    page.goto(f"/batches/{fix}")
    expect(page.locator("li.fixed-by")).to_have_text(f"Fixed by batch {last}.")


def test_changes_are_kept_as_they_are_typed_across_pages_of_rows_and_sent_together(
    page: Page, tmp_path: Path
) -> None:
    """A change typed under one filter of the grid is still there after the page changes,
    and Submit fixes on another page sends it with that page's own."""
    upload(page, partner_file(tmp_path / "reseller.csv", "Reseller"))
    page.get_by_label("Row 14, Point of Contact").fill("orders@reseller.example")
    page.get_by_label("Row 2, Skill").fill(SKILL)

    # The grid filtered to the Skill rows: row 14 is on another page now.
    page.get_by_label("Column").select_option("Skill")
    page.get_by_role("button", name="Filter rows").click()
    expect(page.locator("#row-14")).to_have_count(0)
    expect(page.get_by_label("Row 2, Skill")).to_have_value(SKILL)  # kept as typed
    expect(page.locator("#fix-hint")).to_contain_text("1 change made on other pages")
    page.reload()
    expect(page.get_by_label("Row 2, Skill")).to_have_value(SKILL)

    page.get_by_label("Row 3, Skill").fill(SKILL)
    page.get_by_role("button", name="Submit fixes").click()
    fix = batch_of(page)
    # Rows 2 and 3 (typed here) and row 14 (typed on the other page) are created.
    expect(page.locator("#summary")).to_contain_text("completed with errors", timeout=30_000)
    expect(page.locator('[data-count="created"]')).to_have_text("3")
    expect(page.locator('[data-count="failed"]')).to_have_text("10")
    expect(page.locator("#row-14")).to_have_count(0)
    # Sent, the changes are no longer kept: the fix's own grid shows its cells as they are.
    expect(page.get_by_label("Row 4, Skill")).to_have_value(TYPO)
    assert fix > 0
