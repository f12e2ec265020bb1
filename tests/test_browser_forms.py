"""Single records and mass edits in a real browser (Debian's Chromium, as tests/test_browser.py):
a point of contact of each media type from Create New, one assigned to another skill from its
page, a deactivation refused and then done in one action, and a mass edit previewed and
applied from the POC list. Every page is axe-clean; the new pages fit 1280 px and 390 px
without scrolling sideways (the POC list and the results page are another issue's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import Visits
from tests.test_browser_access import WIDTHS

NEW = {
    "Phone Call": ("Browser Line", "Sales Calls", "Main IVR"),
    "Email": ("Browser Inbox", "Email Support", "Email Router"),
    "Chat": ("Browser Chat", "Web Chat", "Chat Router"),
    "SMS": ("Browser Texts", "SMS Support", "SMS Router"),
    "Work Item": ("Browser Items", "Back Office", "Work Item Router"),
}


@pytest.fixture
def page(admin_page: Page) -> Page:
    """Each test's tab, logged in as the demo's administrator."""
    return admin_page


def fits(page: Page, visits: Visits, name: str, selector: str = "html") -> None:
    """At each width: ``selector`` (the page, or what this issue adds to it) fits without
    scrolling sideways, and axe-core finds nothing serious on the page."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        right = page.evaluate(
            f"Math.max(0, ...Array.from(document.querySelectorAll({selector!r}))"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert right <= width, f"{name}: {selector} reaches {right} px at {width} px"
        visits.check(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_poc_of_each_media_type_then_one_assigned_to_another_skill(
    page: Page, tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    for number, (media, (name, skill, script)) in enumerate(NEW.items()):
        page.goto("/pocs")
        page.get_by_text("Create New").click()
        page.get_by_role("link", name="Single Point of Contact").click()
        if number == 0:
            fits(page, visits, "choose-media-type")
        page.get_by_label(media, exact=True).check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("New Point of Contact")
        page.get_by_label("Name").fill(name)
        if media in ("Phone Call", "SMS"):
            expect(page.locator("#field-point-of-contact-count")).to_contain_text("free number")
            page.get_by_label("Point of Contact").select_option(index=1)
        elif media == "Email":
            page.get_by_label("Point of Contact").fill("browser@example.com")
        else:
            expect(page.locator("#field-point-of-contact-hint")).to_have_text(
                "Assigned by the system when you save."
            )
        expect(page.get_by_label("Chat Profile")).to_have_count(1 if media == "Chat" else 0)
        expect(page.get_by_label("IVR Reporting Enabled")).to_have_count(
            1 if media == "Phone Call" else 0
        )
        page.get_by_label("Skill").select_option(skill)
        page.get_by_label("Script").select_option(script)
        if media == "Phone Call":
            page.screenshot(path=tmp_path / "poc-form.png", full_page=True)
            fits(page, visits, "poc-form")
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(re.compile(r"/pocs/\d+\?saved=\d+$"))
        expect(page.locator("#saved")).to_contain_text("Saved as batch")
        expect(page.locator("#values dd").nth(1)).to_have_text(name)
    fits(page, visits, "saved-poc")

    # Assign it to another skill: Edit, pick the skill, Save.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-name-error")).to_be_visible()  # beside its field
    fits(page, visits, "refused-save", ".record-form, #form-errors")
    page.get_by_label("Name").fill("Browser Items")
    page.get_by_label("Skill").select_option("Back Office")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved")).to_be_visible()

    # Two people editing it: the second save is a conflict, shown with both values.
    page.get_by_role("link", name="Edit").click()
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_label("Name").fill("Browser Items (theirs)")
    other.get_by_role("button", name="Save").click()
    expect(other.locator("#saved")).to_be_visible()
    other.close()
    page.get_by_label("Name").fill("Browser Items (mine)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#conflict")).to_contain_text("Browser Items (theirs)")
    expect(page.locator("#conflict")).to_contain_text("Browser Items (mine)")
    fits(page, visits, "conflict", "#conflict, .record-form")


def test_a_deactivation_refused_then_done_in_one_action(page: Page, tmp_path: Path) -> None:
    visits = Visits(tmp_path)
    page.goto("/pocs?q=Support+Line")
    page.locator("table.pocs tbody tr").first.get_by_role("link").click()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#refusal")).to_contain_text(
        "Cannot be deactivated because it is still assigned to an active skill"
    )
    expect(page.get_by_label("Inactive Phone Call skill")).to_have_value("Legacy Calls")
    fits(page, visits, "deactivation-refused", "main > *")
    page.get_by_role("button", name="Move to an inactive skill and deactivate").click()
    expect(page.locator("#saved")).to_be_visible()
    expect(page.get_by_role("button", name="Activate")).to_be_visible()
    # One batch: its page can undo both changes at once.
    page.locator("#saved a").click()
    expect(page.get_by_role("button", name="Undo this batch")).to_be_visible()


def test_a_mass_edit_from_the_list_with_its_preview(page: Page, tmp_path: Path) -> None:
    visits = Visits(tmp_path)
    page.goto("/skills/mass-edit")
    fits(page, visits, "skills-mass-edit")
    page.goto("/pocs?media_type=Phone+Call")
    visits.check(page, "pocs-list")  # its width is the readable-pages issue's
    page.get_by_label(re.compile(r"All \d+ matching this filter")).check()
    page.get_by_role("button", name="Change the ticked ones").click()
    expect(page.locator("#selected")).to_contain_text("matching the list's filter")
    page.get_by_label("Field to change").select_option("Skill")
    page.get_by_role("button", name="Choose this field").click()
    page.get_by_label("New Skill").select_option("Support Calls")
    page.screenshot(path=tmp_path / "mass-edit.png", full_page=True)
    fits(page, visits, "mass-edit")
    page.get_by_label("Field to change").select_option("Script")
    page.get_by_role("button", name="Choose this field").click()
    page.get_by_label("New Script").select_option("After Hours IVR")
    page.get_by_role("button", name="Preview the change").click()
    expect(page).to_have_url(re.compile(r"/batches/\d+\?tab=changes$"))
    expect(page.locator("#change-summary")).to_contain_text("Script Main IVR -> After Hours IVR")
    visits.check(page, "mass-edit-plan")
    expect(page.get_by_role("heading", name="Apply this mass edit")).to_be_visible()
    page.get_by_role("button", name="Apply this mass edit").click()
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    expect(page.locator("#preview-links")).to_contain_text("Previewed as batch")
