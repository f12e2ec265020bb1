"""The Data File Processing & Results page: progress while a batch runs, then its result, its
failed rows in a grid, the filter by column and code, and the batch's files."""

from __future__ import annotations

import email
import email.policy
import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from bulkpoc.batch.read import read_file
from bulkpoc.batch.submit import load_result, record_duplicate, run_import, submit
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.result import Reports
from bulkpoc.output import changes, mail, report
from bulkpoc.store.db import Store
from bulkpoc.web.progress import STAGES
from tests.conftest import POC_HEADERS, poc, write_rows
from tests.web import client_for, log_in, logged_in, page

ROWS = [
    poc(Name="Sales Hotline"),  # row 2: created
    poc(Name="Support Mail", Media_Type="Email", Point_of_Contact="support@example.com",
        Skill="Email Suport", Script="Email Router"),  # row 3
    poc(Name="Billing Mail", Media_Type="Email", Point_of_Contact="billing@example.com",
        Skill="Nope", Script="Email Router"),  # row 4
    poc(Name="Returns Mail", Media_Type="Email", Point_of_Contact="returns@example.com",
        Skill="Nope", Script="Email Router"),  # row 5
    poc(Name="Bad Phone Line", Point_of_Contact="12"),  # row 6
]  # fmt: skip


@pytest.fixture
def client(store: Store, settings: Settings) -> TestClient:
    return logged_in(store, settings)


@pytest.fixture
def mixed(run):
    """A batch with one created row and four failed: three unknown skills, one bad phone."""
    result = run(ROWS, notify=("admin@example.com",))
    assert result.counts.failed == 4, result.errors
    return result


def test_results_page_shows_status_counts_options_and_user(client, mixed) -> None:
    html = page(client.get(f"/batches/{mixed.batch_id}").text)

    assert html.by_id("summary").text == mixed.summary()
    assert "Completed with errors" in html.all("span", "status")[0].text
    counts = {cell.attrs["data-count"]: cell.text for cell in html.by_id("counts").all("td")}
    assert counts == {
        "total": "5",
        "processed": "5",
        "created": "1",
        "updated": "0",
        "unchanged": "0",
        "skipped": "0",
        "failed": "4",
    }
    details = {
        row.all("th")[0].text: row.all("td")[0].text for row in html.by_id("batch").all("tr")
    }
    assert details["User"] == "admin"
    assert details["Rows to Include"] == "All Rows"
    assert details["Dry run"] == "No"
    assert details["Results emailed to"] == "admin@example.com"
    assert details["File"] == "upload-0.csv (CSV)"


def failed_rows(grid) -> list:
    """The grid's failed rows (each followed by the line of its messages)."""
    return grid.all("tr", "failed-row")


def shown(cell) -> str:
    """A grid cell as a person sees it: its text, a failed cell's fix input holding its value."""
    fields = cell.all("input", "fix-input")
    if fields:
        hidden = " ".join(span.text for span in cell.all("span", "visually-hidden"))
        return f"{hidden} {fields[0].attrs['value'] or '(blank)'}".strip()
    return cell.text


def messages(html, row: int) -> list:
    """The messages under failed row ``row``."""
    return html.by_id(f"messages-{row}").all("li", "cell-message")


def test_each_failed_row_shows_its_number_name_and_cells_with_the_failed_cell_marked(
    client, mixed
) -> None:
    html = page(client.get(f"/batches/{mixed.batch_id}").text)
    grid = html.by_id("grid")

    # The columns the file filled, the name beside the row's number; those the file left
    # blank in every failed row are named instead.
    headers = [th.text for th in grid.all("thead")[0].all("th")]
    assert headers == ["Row and name", "Media Type", "Point of Contact", "Skill", "Script"]
    assert html.by_id("blank-columns").text == (
        "Not shown, blank in every failed row: Point of Contact ID, Row Changed, "
        "IVR Reporting Enabled, Chat Profile, Active, Last Modified."
    )
    assert [row.attrs["id"] for row in failed_rows(grid)] == [
        "row-3", "row-4", "row-5", "row-6",
    ]  # fmt: skip
    row = html.by_id("row-3")
    assert row.all("th")[0].text == "Row 3 Support Mail"
    cells = row.all("td")
    assert cells[headers.index("Point of Contact") - 1].text == "support@example.com"
    assert "failed-cell" not in cells[headers.index("Point of Contact") - 1].classes
    skill = cells[headers.index("Skill") - 1]
    assert skill.classes == {"failed-cell"}
    assert skill.all("span", "visually-hidden")[0].text == "Failed cell:"
    assert skill.attrs["aria-describedby"] == "messages-3"
    assert "Email Suport" in shown(skill)
    # The message on its own line under the row, as wide as the grid.
    (message,) = messages(html, 3)
    assert message.attrs["data-code"] == "unknown_reference"
    assert message.text.startswith("Skill 'Email Suport' does not exist")
    (line,) = grid.all("tr", "messages")[0].all("td")
    assert line.attrs["colspan"] == str(len(headers))
    phone = html.by_id("row-6").all("td")[headers.index("Point of Contact") - 1]
    assert phone.classes == {"failed-cell"}
    assert messages(html, 6)[0].attrs["data-code"] == "invalid_phone"


def test_a_failed_name_is_marked_beside_the_row_number(client, run) -> None:
    result = run([poc(Name=""), poc(Name="Line Two", Point_of_Contact="12")])
    html = page(client.get(f"/batches/{result.batch_id}").text)

    blank = html.by_id("row-2").all("th")[0]
    assert blank.classes == {"failed-cell"}
    assert blank.attrs["aria-describedby"] == "messages-2"
    assert blank.all("span", "row-number")[0].text == "Row 2"
    assert shown(blank) == "Failed cell: (blank)"
    assert [m.text for m in messages(html, 2)] == ["Name is required."]
    named = html.by_id("row-3").all("th")[0]
    assert "failed-cell" not in named.classes
    assert named.text == "Row 3 Line Two"


def test_the_filter_counts_each_column_and_code_and_filters_the_grid(client, mixed) -> None:
    html = page(client.get(f"/batches/{mixed.batch_id}").text)

    kinds = [item.text for item in html.by_id("kinds").all("li")]
    assert kinds == [
        "3 rows: Unknown reference in Skill",
        "1 row: Not a phone number in Point of Contact",
    ]
    codes = [option.text for option in html.by_id("filter-code").all("option")]
    assert codes == [
        "Every error",
        "Unknown reference, unknown_reference (3 rows)",
        "Not a phone number, invalid_phone (1 row)",
    ]
    columns = [option.text for option in html.by_id("filter-column").all("option")]
    assert columns == ["Every column", "Skill (3 rows)", "Point of Contact (1 row)"]

    phones = page(client.get(f"/batches/{mixed.batch_id}?code=invalid_phone").text)
    assert [row.attrs["id"] for row in failed_rows(phones.by_id("grid"))] == ["row-6"]
    # The filtered row still shows its own cells (the fourth row of the error file).
    assert phones.by_id("row-6").all("th")[0].text == "Row 6 Bad Phone Line"
    cells = phones.by_id("row-6").all("td")
    assert [shown(cell) for cell in cells][:2] == ["Phone Call", "Failed cell: 12"]
    assert messages(phones, 6)[0].text.startswith("Point of Contact is not a valid phone")
    assert phones.by_id("filter-code").all("option")[2].attrs.get("selected") == ""
    skills = page(client.get(f"/batches/{mixed.batch_id}?column=Skill&code=").text)
    assert len(failed_rows(skills.by_id("grid"))) == 3
    assert "Showing 1–3 of 3 failed rows." in skills.all("nav", "pager")[0].text
    assert skills.by_id("grid-caption").text == "Failed rows in Skill"


def test_a_problem_with_a_whole_row_is_shown_under_the_row_and_can_be_filtered(client, run) -> None:
    result = run(Path(__file__).parent / "files" / "pocs-extra-field.csv")
    html = page(client.get(f"/batches/{result.batch_id}").text)

    assert "1 row: More cells than the header (whole row)" in [
        item.text for item in html.by_id("kinds").all("li")
    ]
    whole = page(client.get(f"/batches/{result.batch_id}?column=(whole row)").text)
    (row,) = failed_rows(whole.by_id("grid"))
    assert row.all("th")[0].text == "Row 3 Sales"
    # Under the row, after the messages of its cells: the one about the row as a whole.
    problem = messages(whole, 3)[-1]
    assert problem.attrs["data-code"] == "extra_cells"
    assert problem.text.startswith("Whole row: ")


def test_a_batch_with_many_failed_rows_shows_them_fifty_at_a_time(client, run) -> None:
    rows = [poc(Name=f"Line {n}", Skill="Nope") for n in range(120)]
    result = run(rows)
    assert result.counts.failed == 120

    first = page(client.get(f"/batches/{result.batch_id}").text)
    assert len(failed_rows(first.by_id("grid"))) == 50
    pager = first.all("nav", "pager")[0]
    assert "Showing 1–50 of 120 failed rows (page 1 of 3)." in pager.text
    last = page(client.get(f"/batches/{result.batch_id}?page=3").text)
    shown = failed_rows(last.by_id("grid"))
    assert [row.attrs["id"] for row in shown] == [f"row-{n}" for n in range(102, 122)]
    # Each row's cells are its own, though the page is cut from the middle of the error file.
    assert shown[0].all("th")[0].text == "Row 102 Line 100"
    beyond = page(client.get(f"/batches/{result.batch_id}?page=99").text)
    assert "page 3 of 3" in beyond.all("nav", "pager")[0].text


def test_the_report_error_file_and_email_are_the_batchs_own(client, store, mixed) -> None:
    batch = mixed.batch_id
    html = page(client.get(f"/batches/{batch}").text)
    links = {a.attrs["href"] for a in html.by_id("files").all("a")}
    assert {f"/batches/{batch}/report.html", f"/batches/{batch}/errors"} <= links
    assert f"/batches/{batch}/email.eml" in links

    shown = client.get(f"/batches/{batch}/report.html")
    assert shown.status_code == 200
    written = load_result(store, batch)
    assert written.reports.error_file
    # The file the batch wrote names its error file, not the server's folder, and links nowhere.
    written_report = report.render("report.html", written)
    assert "(upload-0-errors.csv)" in written_report
    assert str(Path(written.reports.error_file).parent) not in written_report
    assert 'id="batch-link"' not in written_report
    # As the batch wrote it, but naming its files by their URLs, not the server's folder.
    links = Reports(error_file=f"/batches/{batch}/errors", changes=f"/batches/{batch}/changes.csv")
    served = written.model_copy(update={"reports": links})
    with store.engine.connect() as connection:
        first = changes.first_lines(connection, batch)
    assert shown.text == report.render(
        "report.html", served, changes=first, served=True, error_file_name="upload-0-errors.csv"
    )
    # The report the web UI serves links back to the batch's page and to the error file.
    served_page = page(shown.text)
    assert served_page.by_id("batch-link").all("a")[0].attrs["href"] == f"/batches/{batch}"
    assert f'<a href="/batches/{batch}/errors">upload-0-errors.csv</a>' in shown.text
    assert "'unsafe-inline'" in shown.headers["content-security-policy"]  # its own styles

    errors = client.get(f"/batches/{batch}/errors")
    name, content = store.batch_file(batch, "errors")
    assert errors.content == content
    assert errors.headers["content-type"].startswith("text/csv")
    assert f'filename="{name}"' in errors.headers["content-disposition"]
    assert name == "upload-0-errors.csv"
    assert len(read_file(io.BytesIO(errors.content)).data) == 4

    message = client.get(f"/batches/{batch}/email.eml")
    assert message.headers["content-type"] == "message/rfc822"
    assert message.content == mail.batch_email(store, batch)
    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    assert parsed["To"] == "admin@example.com"


def test_an_xlsx_upload_shows_its_cells_and_serves_its_error_file_as_a_workbook(
    client, store, settings, tmp_path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(POC_HEADERS)
    sheet.append([ROWS[1].get(header, "") for header in POC_HEADERS])
    path = tmp_path / "mail lines.xlsx"
    workbook.save(path)
    result = run_import(store, path, ImportOptions(), settings)

    html = page(client.get(f"/batches/{result.batch_id}").text)
    assert html.by_id("row-2").all("th")[0].text == "Row 2 Support Mail"
    errors = client.get(f"/batches/{result.batch_id}/errors")
    assert errors.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''mail%20lines-errors.xlsx" in errors.headers["content-disposition"]


def test_a_succeeded_batch_has_no_grid_error_file_or_email(client, run) -> None:
    result = run([poc()])
    html = page(client.get(f"/batches/{result.batch_id}").text)

    assert not html.has_id("grid")
    assert not html.has_id("row-errors")
    assert [a.attrs["href"] for a in html.by_id("files").all("a")] == [
        f"/batches/{result.batch_id}/report.html",
        f"/batches/{result.batch_id}/changes.csv",
        "/manage/poc",
    ]
    assert client.get(f"/batches/{result.batch_id}/errors").status_code == 404
    missing = page(client.get(f"/batches/{result.batch_id}/email.eml").text)
    assert missing.all("p", "alert")[0].text == f"Batch {result.batch_id} sent no email."


def test_a_failed_batch_says_why_in_one_sentence_at_the_top(client, run) -> None:
    result = run([poc()], headers=["Name", "Media Type"])
    assert result.status.value == "failed"

    html = page(client.get(f"/batches/{result.batch_id}").text)
    failure = html.by_id("failure")
    assert failure.text == result.failure
    assert failure.attrs["role"] == "alert"
    main = html.by_id("main")
    assert main.all()[1] is failure  # right under the heading
    assert "Failed" in html.all("span", "status")[0].text


def test_an_interrupted_batch_says_so(client, store, settings, tmp_path) -> None:
    batch_id = submit(store, write_rows(tmp_path / "a.csv", [poc()]), ImportOptions(), settings)
    store.claim_batch(batch_id)
    assert store.interrupt_dead_batches(stale_after=0, alive=lambda _pid: False) == [batch_id]

    html = page(client.get(f"/batches/{batch_id}").text)
    assert html.by_id("failure").text.startswith("The process running this batch")
    assert "Interrupted" in html.all("span", "status")[0].text


def test_a_duplicate_inbox_file_says_which_batch_had_it(
    client, store, settings, mixed, tmp_path
) -> None:
    upload = write_rows(tmp_path / "again.csv", ROWS)
    options = ImportOptions(source="schedule")
    batch_id = record_duplicate(store, upload, options, mixed.batch_id, settings)

    html = page(client.get(f"/batches/{batch_id}").text)
    assert html.by_id("failure").text == (
        f"The inbox already received this content in batch {mixed.batch_id}, so it was not "
        "processed again."
    )
    assert "Duplicate" in html.all("span", "status")[0].text


def test_a_dry_run_says_nothing_was_applied(client, run) -> None:
    result = run([poc()], dry_run=True)
    html = page(client.get(f"/batches/{result.batch_id}").text)

    assert "Dry run: nothing was applied." in html.by_id("main").text
    assert html.by_id("summary").text.startswith(f"Dry run of batch {result.batch_id}")
    details = {
        row.all("th")[0].text: row.all("td")[0].text for row in html.by_id("batch").all("tr")
    }
    assert details["Dry run"] == "Yes"


def test_a_queued_batch_shows_its_progress_and_refreshes_itself(client, store, settings, tmp_path):
    batch_id = submit(store, write_rows(tmp_path / "a.csv", [poc()]), ImportOptions(), settings)

    response = client.get(f"/batches/{batch_id}")
    html = page(response.text)
    assert "Queued" in html.by_id("progress-text").text
    # Browsers without JavaScript reload the page; with it, batch.js polls progress.json.
    (noscript,) = html.all("noscript")
    assert noscript.all("meta")[0].attrs == {"http-equiv": "refresh", "content": "2"}
    refresh = [a for a in html.all("a") if a.attrs.get("href") == f"/batches/{batch_id}"]
    assert refresh[0].text.startswith("Refresh")
    (script,) = html.all("script")
    assert script.attrs["src"].endswith("/static/batch.js")
    assert client.get("/static/batch.js").status_code == 200

    assert client.get(f"/batches/{batch_id}/progress.json").json() == {
        "batch_id": batch_id,
        "status": "queued",
        "stage": None,
        "done": 0,
        "total": 0,
        "detail": None,
        "finished": False,
        "message": "Queued: the batch starts as soon as a worker is free.",
    }
    # Nothing to render yet.
    assert client.get(f"/batches/{batch_id}/report.html").status_code == 404


def test_a_running_batch_shows_its_stage_and_rows_done(client, store, settings, tmp_path) -> None:
    batch_id = submit(store, write_rows(tmp_path / "a.csv", [poc()]), ImportOptions(), settings)
    store.claim_batch(batch_id)
    store.report_progress(batch_id, stage="apply", stage_done=1200, stage_total=5000)

    html = page(client.get(f"/batches/{batch_id}").text)
    assert html.by_id("progress-text").text == "Applying the changes: 1,200 of 5,000 rows."
    bar = html.all("progress")[0]
    assert (bar.attrs["value"], bar.attrs["max"]) == ("1200", "5000")
    progress = client.get(f"/batches/{batch_id}/progress.json").json()
    assert (progress["status"], progress["stage"], progress["done"], progress["total"]) == (
        "running", "apply", 1200, 5000,
    )  # fmt: skip

    # A batch that waited for another but now runs says it runs, not that it waits.
    store.report_progress(batch_id, stage="wait", stage_done=3, stage_total=60,
                          stage_detail="waiting for batch 1 to finish")  # fmt: skip
    assert client.get(f"/batches/{batch_id}/progress.json").json()["message"] == (
        "Running: reading, checking and applying the file."
    )


def test_progress_json_of_a_finished_batch_says_it_finished(client, mixed) -> None:
    progress = client.get(f"/batches/{mixed.batch_id}/progress.json").json()
    assert progress["finished"] is True
    assert progress["status"] == "completed_with_errors"


@pytest.mark.parametrize(
    "path", ["/batches/999", "/batches/999/progress.json", "/batches/999/errors",
             "/batches/999/report.html", "/batches/999/email.eml"],
)  # fmt: skip
def test_an_unknown_batch_is_not_found_in_one_sentence(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    if path == "/batches/999":
        assert page(response.text).all("p", "alert")[0].text == "There is no batch 999."


def test_a_batch_number_that_is_not_a_number_is_not_found(client) -> None:
    response = client.get("/batches/latest")
    assert response.status_code == 404
    assert page(response.text).all("h1")[0].text == "Not found"


@pytest.mark.parametrize("suffix", ["", "/progress.json", "/errors", "/report.html", "/email.eml"])
def test_every_batch_page_needs_a_login(store, settings, mixed, suffix: str) -> None:
    response = client_for(store, settings).get(f"/batches/{mixed.batch_id}{suffix}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/batches/")


@pytest.mark.parametrize("suffix", ["", "/errors", "/report.html", "/email.eml"])
def test_a_batchs_rows_take_its_record_types_permission_as_in_the_api(
    store, settings, mixed, suffix: str
) -> None:
    store.add_user("skills", ["Skills Edit"])
    other = logged_in(store, settings, "skills")
    response = other.get(f"/batches/{mixed.batch_id}{suffix}")
    assert response.status_code == 403
    assert page(response.text).all("p", "alert")[0].text == (
        "skills may not see points of contact: it needs the 'Points of Contact Create' permission."
    )
    assert other.get(f"/batches/{mixed.batch_id}/progress.json").json()["finished"] is True
    assert f'href="/batches/{mixed.batch_id}"' in other.get("/history").text


def test_the_servers_own_runner_shows_the_stage_sqlites_write_lock_keeps_from_the_store(
    settings, templates, tmp_path
) -> None:
    path = tmp_path / "served.db"
    shutil.copyfile(templates["sqlite", True], path)
    store = Store(f"sqlite:///{path}")
    mailboxes = [
        poc(Name=f"Mailbox {i}", Media_Type="Email", Point_of_Contact=f"user{i}@example.com",
            Skill="Email Support", Script="Email Router")
        for i in range(20_000)
    ]  # fmt: skip
    batch_id = submit(store, write_rows(tmp_path / "big.csv", mailboxes), ImportOptions(), settings)

    def stage_shown(client: TestClient) -> dict | None:
        progress = client.get(f"/batches/{batch_id}/progress.json").json()
        assert not progress["finished"], "the batch finished before the page saw it run"
        return progress if progress["stage"] else None

    client = log_in(client_for(store, settings), store)
    # The app's lifespan starts its runner, which takes the batch left queued.
    with client:
        seen = wait_for(lambda: stage_shown(client))
    assert seen["stage"] in {"read", "validate", "plan", "apply", "report"}
    assert seen["message"].startswith(STAGES[seen["stage"]])
    assert store.batch(batch_id)["status"] == "succeeded"


def wait_for(condition: Callable[[], object], timeout: float = 60) -> Any:
    """Poll ``condition`` until it holds (what a browser's page does, a poll at a time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError("the condition never held")
