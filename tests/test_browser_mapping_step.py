"""The mapping step in a real browser (issue 25 #3, #5): a partner's file with its own headers
goes to the step, which guesses its columns and value spellings; the mapping is saved and the
file imported; the partner's next file with the same headers is mapped by the saved mapping at
once and its batch succeeds. The step is axe-clean and fits 1280 px and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import Visits
from tests.test_browser_forms import fits

HEADERS = "Queue Label,Phone Number,Queue,Routing Script,Channel\n"
PARTNER = (
    HEADERS
    + "Partner Sales,+1 202 555 0115,Sales Calls,Main IVR,Voice\n"
    + "Partner Support,(202) 555-0116,Support Calls,Main IVR,Voice\n"
    + "Partner Texts,+1 415 555 0203,SMS Support,SMS Router,Text\n"
)
NEXT = HEADERS + "Partner Billing,202 555 0117,Support Calls,After Hours IVR,Voice\n"


@pytest.fixture
def page(admin_page: Page) -> Page:
    """Each test's tab, logged in as the demo's administrator."""
    return admin_page


def send(page: Page, path: Path) -> None:
    page.goto("/manage/poc")
    page.get_by_label("Choose File").set_input_files(path)
    page.get_by_label("Text (.csv)").check()
    page.get_by_role("button", name="Upload File").click()


def test_a_partners_file_mapped_saved_and_its_next_file_mapped_at_once(
    page: Page, tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    partner = tmp_path / "partner.csv"
    partner.write_text(PARTNER)
    send(page, partner)
    expect(page.get_by_role("heading", level=1)).to_have_text("Map the columns of partner.csv")
    expect(page.get_by_label("Point of Contact (required)")).to_have_value("h1")
    expect(page.get_by_label("Skill (required)")).to_have_value("h2")
    expect(page.get_by_label("Media Type (required)")).to_have_value("h4")
    preview = page.locator("#mapping-preview")
    expect(preview.locator("tbody tr").first).to_contain_text("Phone Call")  # Voice, respelt
    expect(preview.locator("tbody tr").nth(2)).to_contain_text("SMS")  # Text, respelt
    page.screenshot(path=tmp_path / "mapping-step.png", full_page=True)
    fits(page, visits, "mapping-step")

    # A constant: every row Active = Y, shown in the preview.
    page.get_by_label("Active", exact=True).select_option("const")
    page.locator("#const-" + page.get_by_label("Active", exact=True).get_attribute("id")[4:]).fill(
        "Y"
    )
    page.get_by_role("button", name="Show the preview").click()
    expect(preview.locator("thead")).to_contain_text("Active")

    page.get_by_label("Save this mapping as…").fill("acme-queues")
    page.get_by_role("button", name="Save this mapping").click()
    expect(page.locator("#mapping-saved")).to_contain_text("acme-queues")
    fits(page, visits, "mapping-saved")
    page.get_by_role("button", name="Import with this mapping").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    expect(page.locator(".status").first).to_have_text("Succeeded")
    expect(page.locator("#mapping-used")).to_contain_text("acme-queues")

    # The partner's next file: the same headers, read through the saved mapping at once.
    following = tmp_path / "partner-next.csv"
    following.write_text(NEXT)
    send(page, following)
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    expect(page.locator(".status").first).to_have_text("Succeeded")
    expect(page.locator("#mapping-used")).to_contain_text("acme-queues")
    fits(page, visits, "mapped-at-once")
