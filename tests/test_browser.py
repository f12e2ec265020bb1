"""The web UI in a real browser: Debian's Chromium (Playwright) against ``bulkpoc serve`` on a
free loopback port, on a fresh demo store. Every page visited is screenshotted into the test's
folder and checked by axe-core (no serious or critical violation)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from bulkpoc.batch.submit import process, submit
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.services.demo import DEMO_PASSWORD
from bulkpoc.store.db import Store
from tests.browser import Server, Visits
from tests.browser_fixtures import DEMO_STORE as README_STORE

USER = "admin"

ROOT = Path(__file__).resolve().parent.parent
POC_HEADERS = RECORD_TYPES["poc"].headers
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def log_in(page: Page, password: str = DEMO_PASSWORD) -> None:
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_readme_starts_the_server_and_logs_in_as_these_tests_do() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"bulkpoc --db {README_STORE} serve" in readme
    assert f"log in as `{USER}` with the password `{DEMO_PASSWORD}`" in readme


def test_login_refuses_a_wrong_password_and_lands_on_the_poc_list(
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
    expect(page).to_have_url(re.compile(r"/pocs$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Points of Contact")
    visits.check(page, "poc-list")


# --- download -> edit -> upload -> results -> fix -> re-upload -> history --------------------

BROKEN_SKILL = "Sales Cals"  # one letter short of the demo's "Sales Calls"
SUGGESTED_SKILL = "Sales Calls"


def download(page: Page, link_name: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """Click a download link as a person would; the saved file and the response's headers."""
    link = page.get_by_role("link", name=link_name, exact=True)
    href = link.get_attribute("href")
    assert href, f"the link {link_name!r} goes nowhere"
    with page.expect_download() as started:
        link.click()
    saved = folder / started.value.suggested_filename
    started.value.save_as(saved)
    headers = page.request.get(href).headers  # the same URL, with the same session
    return saved, headers


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def upload(page: Page, path: Path) -> int:
    """Upload ``path`` as CSV with Changed Rows Only; wait for its results; the batch's id."""
    page.goto("/manage/poc")
    page.get_by_label("Choose File").set_input_files(path)
    page.get_by_label("Text (.csv)").check()
    page.get_by_label("Changed Rows Only").check()
    page.get_by_role("button", name="Upload File").click()
    expect(page).to_have_url(re.compile(r"/batches/\d+$"))
    # The progress page follows the batch and turns into its results when it has finished.
    expect(page.locator("#summary")).to_be_visible(timeout=30_000)
    return int(page.url.rsplit("/", 1)[1])


def test_download_edit_upload_fix_and_find_both_batches_in_history(
    page: Page, visits: Visits, tmp_path: Path
) -> None:
    page.goto("/login")
    log_in(page)
    expect(page).to_have_url(re.compile(r"/pocs$"))
    page.get_by_role("link", name="Manage Multiple Points of Contact").first.click()
    expect(page).to_have_url(re.compile(r"/manage/poc$"))
    visits.check(page, "manage")

    template, headers = download(page, "Download Template as Excel (.xlsx)", tmp_path)
    assert template.suffix == ".xlsx"
    assert headers["content-type"].startswith(XLSX_TYPE)
    assert headers["content-disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(template, read_only=True).worksheets[0]
    assert [cell.value for cell in next(sheet.iter_rows(max_row=1))] == POC_HEADERS

    export, headers = download(page, "Download Existing Points of Contact as Text (.csv)", tmp_path)
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"].startswith("attachment")
    rows = read_csv(export)
    renamed, broken = rows[0], rows[1]
    old_name, broken_name = renamed["Name"], broken["Name"]
    assert broken["Skill"] != SUGGESTED_SKILL  # so taking the suggestion changes the row
    renamed |= {"Row Changed": "Y", "Name": f"{old_name} East"}
    broken |= {"Row Changed": "Y", "Skill": BROKEN_SKILL}
    edited = write_csv(tmp_path / "edited.csv", rows)

    first = upload(page, edited)
    expect(page.locator("#summary")).to_contain_text("completed with errors")
    expect(page.locator('[data-count="updated"]')).to_have_text("1")
    expect(page.locator('[data-count="failed"]')).to_have_text("1")
    failed_row = page.locator("#row-3")  # the second data row; the header is row 1
    expect(failed_row.get_by_role("rowheader")).to_contain_text(broken_name)
    failed_cell = failed_row.locator("td.failed-cell")
    expect(failed_cell).to_have_count(1)
    expect(failed_cell.locator("input.fix-input")).to_have_value(BROKEN_SKILL)
    expect(page.locator("#messages-3 .cell-message")).to_contain_text(
        f"Skill '{BROKEN_SKILL}' does not exist; did you mean '{SUGGESTED_SKILL}'?"
    )
    visits.check(page, "results-with-errors")

    error_file, headers = download(page, f"Error file {edited.stem}-errors.csv", tmp_path)
    assert headers["content-disposition"].startswith("attachment")
    (failed,) = read_csv(error_file)
    assert failed["Name"] == broken_name
    assert f"Skill '{BROKEN_SKILL}' does not exist" in failed["Error"]
    failed["Skill"] = SUGGESTED_SKILL  # as the message suggests
    fixed = write_csv(tmp_path / "fixed.csv", [failed])

    second = upload(page, fixed)
    expect(page.locator("#summary")).to_contain_text("succeeded")
    expect(page.locator('[data-count="updated"]')).to_have_text("1")
    expect(page.locator('[data-count="failed"]')).to_have_text("0")
    visits.check(page, "results-fixed")

    page.get_by_role("link", name="Run History").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Run History")
    newest = page.locator("#history tbody tr")
    expect(newest.nth(0)).to_have_attribute("data-batch", str(second))
    expect(newest.nth(1)).to_have_attribute("data-batch", str(first))
    visits.check(page, "history")
    newest.nth(1).get_by_role("link", name=f"Batch {first}").click()
    expect(page).to_have_url(re.compile(rf"/batches/{first}$"))
    expect(page.locator("#row-3 td.failed-cell input.fix-input")).to_have_value(BROKEN_SKILL)

    page.get_by_role("link", name="Points of Contact", exact=True).click()
    for name, skill in ((f"{old_name} East", renamed["Skill"]), (broken_name, SUGGESTED_SKILL)):
        page.get_by_label("Name or address contains").fill(name)
        page.get_by_role("button", name="Search").click()
        found = page.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))
        expect(found).to_have_count(1)
        expect(found.get_by_role("cell", name=skill, exact=True)).to_be_visible()
    visits.check(page, "poc-list")


# --- the progress page ----------------------------------------------------------------------


def test_the_progress_page_of_a_waiting_batch_is_accessible_and_turns_into_the_results(
    page: Page, visits: Visits, server: Server
) -> None:
    """The page a batch shows until it has finished. The server's runner takes the batches
    its own pages submit, so one submitted straight into the store stays queued, the state a
    batch is in while the runner is busy with another, until this test runs it."""
    store = Store(f"sqlite:///{server.folder / 'bulkpoc-demo' / 'bulkpoc.db'}")
    settings = Settings.from_env({}).model_copy(
        update={"report_dir": server.folder / "reports", "outbox_dir": server.folder / "outbox"}
    )
    options = ImportOptions(user=USER, source="web", display_name="new-pocs.csv")
    try:
        batch_id = submit(store, ROOT / "sample_files" / "new-pocs.csv", options, settings)
        page.goto(f"/batches/{batch_id}")
        log_in(page)
        expect(page).to_have_url(re.compile(rf"/batches/{batch_id}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Data File Processing & Results")
        expect(page.get_by_role("status")).to_contain_text("Queued")
        visits.check(page, "progress-queued")

        process(store, batch_id, settings)
    finally:
        store.engine.dispose()
    expect(page.locator("#summary")).to_contain_text(f"Batch {batch_id} ", timeout=30_000)


def test_an_error_page_keeps_the_navigation_and_is_accessible(page: Page, visits: Visits) -> None:
    page.goto("/batches/999999")
    log_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("alert")).to_have_text("There is no batch 999999.")
    page.get_by_role("link", name="Run History").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Run History")
    page.go_back()
    visits.check(page, "not-found")


# --- throttled logins and refused forms (issue 22, items 4 and 6) ----------------------------


def test_a_throttled_login_says_when_to_try_again_and_is_accessible(
    page: Page, visits: Visits
) -> None:
    page.goto("/login")
    for _ in range(5):  # a name no other test uses: the shared server's admin stays usable
        page.get_by_label("User name").fill("mallory")
        page.get_by_label("Password").fill("a guess")
        page.get_by_role("button", name="Log in").click()
    with page.expect_response(re.compile(r"/login$")) as answered:
        page.get_by_label("Password").fill("another guess")
        page.get_by_role("button", name="Log in").click()
    assert answered.value.status == 429
    assert 0 < int(answered.value.headers["retry-after"]) <= 900
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many failed logins for this account; try again in 1[45] minutes\.")
    )
    visits.check(page, "login-throttled")


def test_a_form_refused_by_the_csrf_check_says_why_and_links_back(
    page: Page, visits: Visits
) -> None:
    page.goto("/history")
    log_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Run History")
    page.context.clear_cookies()  # as a browser that blocks this site's cookies
    with page.expect_response(re.compile(r"/logout$")) as answered:
        page.get_by_role("button", name="Log out").click()
    assert answered.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Form not sent")
    expect(page.get_by_role("alert")).to_contain_text("did not send this site's cookie")
    visits.check(page, "csrf-refused")
    page.get_by_role("link", name="Go back").click()
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)history$"))
