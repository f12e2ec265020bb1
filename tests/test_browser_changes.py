"""The Changes tab in a real browser (Debian's Chromium, as tests/test_browser.py): a dry run
of an edited export on the demo store, reviewed field by field, filtered without JavaScript,
checked by axe-core and fitting a 1280 px and a 390 px wide window."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.output.exports import export_frame
from bulkpoc.services.demo import DEMO_PASSWORD, run_demo
from bulkpoc.store.db import Store
from tests.browser import Server, Visits, new_context, running_server, watch_csp
from tests.browser_fixtures import DEMO_STORE as STORE

WIDTHS = (1280, 390)
MOVED = ("Sales Calls", "Support Calls")


def review_file(store: Store, folder: Path) -> Path:
    """The demo's POCs exported, every Sales Calls line moved to Support Calls, one renamed
    and one set to report IVR; plus one new line."""
    frame = export_frame(store, RECORD_TYPES["poc"])
    frame.loc[frame["Skill"] == MOVED[0], "Skill"] = MOVED[1]
    first_phone = frame.index[frame["Media Type"] == "Phone Call"][0]
    frame.loc[first_phone, "Name"] = frame.loc[first_phone, "Name"] + " (old)"
    frame.loc[first_phone, "IVR Reporting Enabled"] = "Y"
    new = dict.fromkeys(frame.columns, "")
    new |= {"Name": "Returns Mail", "Media Type": "Email", "Skill": "Email Support"}
    new |= {"Point of Contact": "returns@example.com", "Script": "Email Router"}
    frame.loc[len(frame)] = new
    path = folder / "reviewed.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    """``bulkpoc serve`` on the demo store, with a dry run of the reviewed file."""
    folder = tmp_path_factory.mktemp("server")
    run_demo(folder / "bulkpoc-demo", echo=lambda _line: None)
    store = Store(f"sqlite:///{folder / 'bulkpoc-demo' / 'bulkpoc.db'}")
    settings = Settings.from_env({}).model_copy(update={"report_dir": folder / "reports"})
    options = ImportOptions(dry_run=True, source="web")
    result = run_import(store, review_file(store, folder), options, settings)  # type: ignore[arg-type]
    assert result.status.value == "succeeded", result.errors
    assert result.batch_id is not None
    store.engine.dispose()
    with running_server(STORE, folder) as running:
        yield running, result.batch_id


@pytest.fixture
def page(browser: Browser, dry_run: tuple[Server, int]) -> Iterator[Page]:
    context = new_context(browser, dry_run[0])
    tab = context.new_page()
    refused = watch_csp(tab)
    yield tab
    context.close()
    assert not refused, f"Content Security Policy violations: {refused}"


def fits(page: Page, visits: Visits, name: str) -> None:
    """At each width: no sideways scrolling, a screenshot, and no serious axe violation."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px too wide at {width} px"
        visits.check(page, f"{name}-{width}")


def test_a_reviewer_reads_filters_and_ticks_the_changes_of_a_dry_run(
    page: Page, dry_run: tuple[Server, int], tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    batch = dry_run[1]
    page.goto(f"/batches/{batch}")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Changes this batch would make")).to_be_visible()
    tab = page.get_by_role("navigation", name="Row errors and changes").get_by_role("link")
    expect(tab).to_have_text([re.compile(r"^Changes it would make \(\d+\)$")])
    expect(page.locator("#change-summary")).to_contain_text("Created: 1 record")
    expect(page.locator("#change-summary")).to_contain_text(f"Skill {MOVED[0]} -> {MOVED[1]}: ")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=tmp_path / "changes-tab.png", full_page=True)
    fits(page, visits, "changes-tab")

    # Filter by a transition, as the form sends it (a GET: no script needed).
    page.set_viewport_size({"width": 1280, "height": 800})
    option = page.locator("#filter-transition option", has_text=f"{MOVED[0]} -> {MOVED[1]} (")
    page.get_by_label("Transition").select_option(value=option.get_attribute("value"))
    page.get_by_role("button", name="Filter changes").click()
    expect(page).to_have_url(re.compile(r"tab=changes.*transition="))
    lines = page.locator("#change-lines tbody tr")
    expect(lines.first).to_be_visible()
    for cells in lines.all():
        expect(cells.locator("td").nth(2)).to_have_text("Skill")
        expect(cells.locator("td").nth(3)).to_have_text(MOVED[0])
    expect(page.locator("#changes-caption")).to_have_text(
        f"Changes: Skill {MOVED[0]} -> {MOVED[1]}"
    )
    fits(page, visits, "changes-filtered")

    # Each row has a box to leave it out when the file is applied (the "Apply this file"
    # form, apply-form, posts it); the summary can tick all of a transition.
    page.set_viewport_size({"width": 1280, "height": 800})
    first_box = page.locator("#changes-form input[name=exclude_rows]").first
    first_box.check()
    expect(first_box).to_be_checked()
    page.get_by_role("link", name="Exclude every row with this transition").first.click()
    boxes = page.locator("#changes-form input[type=checkbox][name=exclude_rows]")
    expect(boxes.first).to_be_checked()
    assert all(box.is_checked() for box in boxes.all())

    # The record's name links its page.
    page.get_by_role("link", name="Show every change").click()
    name_link = page.locator("#change-lines th a").first
    assert re.fullmatch(r"/pocs/\d+", name_link.get_attribute("href") or "")
