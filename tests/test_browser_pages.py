"""Every page of the app in a real browser (Debian's Chromium, as tests/test_browser.py), on
what ``bulkpoc demo`` leaves, as its administrator: each page route of tests/routes.py, at
1280 px and at 390 px wide, fits the window without scrolling sideways and is axe-clean. Then
the results page's failed rows, as a person reads them: one line a row with its messages under
it, the header and the row numbers kept in view while the grid scrolls; and the HTML report's
way back to its batch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bulkpoc.store.db import Store
from tests.browser import Server, Visits
from tests.routes import ROUTES

WIDTHS = (1280, 390)
REPORT = re.compile(r"/report\.html$")  # under its own policy: no script, so no axe-core


@pytest.fixture(scope="module")
def batches(server: Server) -> dict[str, int]:
    """The demo's batches the sample URLs stand for: its POC upload with mistakes (failed rows,
    an error file, an email) and its skills."""
    store = Store(f"sqlite:///{server.folder / 'bulkpoc-demo' / 'bulkpoc.db'}")
    try:
        found, _total = store.history_page(offset=0, limit=50)
    finally:
        store.engine.dispose()
    by_file = {batch["file_name"]: batch["id"] for batch in found}
    return {"poc_batch": by_file["pocs-with-mistakes.csv"], "skill_batch": by_file["skills.csv"]}


@pytest.fixture
def page(admin_page: Page) -> Page:
    """Each test's tab, logged in as the demo's administrator."""
    return admin_page


def page_urls(batches: dict[str, int]) -> list[str]:
    """Every sample URL of a GET route that is not the API's or a file's."""
    urls = []
    for route in ROUTES:
        for sample in route.samples:
            url = sample.url.format(**batches)
            if route.method == "GET" and not url.startswith(("/api/", "/static/")):
                urls.append(url)
    return urls


def width_overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_every_page_fits_1280_and_390_px_and_is_axe_clean(
    page: Page, batches: dict[str, int], tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    checked = []
    for url in page_urls(batches):
        answer = page.request.get(url, max_redirects=0)
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue  # a download or a redirect
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(url)
            assert width_overflow(page) <= 0, (
                f"{url} is {width_overflow(page)} px too wide at {width}"
            )
            name = re.sub(r"\W+", "-", url).strip("-") or "home"
            if REPORT.search(url):
                visits.screenshot(page, f"{name}-{width}")
            else:
                visits.check(page, f"{name}-{width}")
        checked.append(url)
    assert {"/pocs?q=sales", "/skills?q=sales&active=yes", "/numbers?q=555", "/history"} <= set(
        checked
    )
    assert f"/batches/{batches['poc_batch']}" in checked


def grid_box(page: Page) -> dict[str, float]:
    """Where the failed rows' box, its header and its first row number are on the screen."""
    return page.evaluate(
        """() => {
        const box = document.querySelector('.failed-rows').getBoundingClientRect();
        const head = document.querySelector('#grid thead th:nth-child(3)').getBoundingClientRect();
        const row = document.querySelector('#grid tbody th').getBoundingClientRect();
        return {top: box.top, left: box.left, head: head.top, row: row.left};
    }"""
    )


def test_failed_rows_read_one_line_each_with_header_and_row_numbers_in_view(
    page: Page, batches: dict[str, int]
) -> None:
    page.goto(f"/batches/{batches['poc_batch']}")
    grid = page.locator("#grid")
    # The failed rows come before the batch's details.
    assert page.evaluate(
        "document.querySelector('#grid').compareDocumentPosition(document.querySelector('#batch'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    expect(page.locator("#blank-columns")).to_contain_text("Point of Contact ID")
    for width, tallest in ((1280, 110), (390, 190)):
        page.set_viewport_size({"width": width, "height": 700})
        heights = grid.evaluate(
            """g => [...g.querySelectorAll('tr.failed-row')].map(
                r => [r.getBoundingClientRect().height,
                      r.nextElementSibling.getBoundingClientRect().height])"""
        )
        assert len(heights) == 14
        for row, messages in heights:
            assert row <= 60, f"a failed row is {row} px tall at {width} px"
            assert row + messages <= tallest, f"a failed row and its messages: {row + messages} px"
    # At 1280 px every column the file filled is in view: none is cut off.
    page.set_viewport_size({"width": 1280, "height": 700})
    assert grid.evaluate("g => g.parentElement.scrollWidth <= g.parentElement.clientWidth")
    expect(page.locator("#row-4 td.failed-cell input.fix-input")).to_have_value("1.20256E+10")
    expect(page.locator("#messages-4")).to_contain_text("scientific notation")

    # Scrolled down, the header stays at the top of the grid; scrolled sideways (390 px),
    # the row numbers and names stay at its left.
    page.set_viewport_size({"width": 390, "height": 700})
    page.locator(".failed-rows").evaluate("box => { box.scrollTop = 300; box.scrollLeft = 250; }")
    placed = grid_box(page)
    assert abs(placed["head"] - placed["top"]) <= 2, placed
    assert abs(placed["row"] - placed["left"]) <= 2, placed


def test_the_served_report_links_back_to_its_batch_and_names_no_server_path(
    page: Page, batches: dict[str, int], server: Server
) -> None:
    batch = batches["poc_batch"]
    page.goto(f"/batches/{batch}/report.html")
    expect(page.get_by_text(str(server.folder))).to_have_count(0)
    expect(page.get_by_role("link", name="pocs-with-mistakes-errors.csv")).to_have_attribute(
        "href", f"/batches/{batch}/errors"
    )
    page.get_by_role("link", name=f"Batch {batch} in bulkpoc").click()
    expect(page).to_have_url(re.compile(rf"/batches/{batch}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Data File Processing & Results")
