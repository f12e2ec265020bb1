"""Manage Multiple Points of Contact (and each reference type) in the browser: downloads, the
upload form, and what an upload may not do."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from bulkpoc.batch.submit import process
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.jobs.spool import Spool
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.test_api_concurrency import jobs_per_batch
from tests.web import client_for, csrf_token, log_in, page

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
NEW_POCS = (SAMPLES / "new-pocs.csv").read_bytes()
FINISHED = {"succeeded", "completed_with_errors", "failed", "interrupted", "duplicate"}
PATIENCE = 60  # seconds a test waits for a batch: a bound against hanging, not a speed test


@pytest.fixture
def browser(store: Store, settings: Settings) -> Iterator[TestClient]:
    """The admin, logged in, on the app with its job runner running."""
    with client_for(store, settings) as client:
        yield log_in(client, store)


def form_of(client: TestClient, type_name: str = "poc") -> dict[str, str]:
    """The hidden fields the upload form carries: its CSRF token and its upload id."""
    form = page(client.get(f"/manage/{type_name}").text).all("form", "upload")[0]
    hidden = [i for i in form.all("input") if i.attrs.get("type") == "hidden"]
    return {field.attrs["name"]: field.attrs["value"] for field in hidden}


def upload(
    client: TestClient,
    content: bytes = NEW_POCS,
    file_name: str = "new-pocs.csv",
    type_name: str = "poc",
    hidden: dict[str, str] | None = None,
    **fields: str,
):
    """Send the upload form as a browser does: hidden fields first, then the choices."""
    data = (hidden or form_of(client, type_name)) | {"file_type": "csv", "rows": "all"} | fields
    return client.post(
        f"/manage/{type_name}/upload",
        data={key: value for key, value in data.items() if value is not None},
        files={"file": (file_name, content, "text/csv")},
    )


def batch_of(response) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/batches/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def finish(store: Store, settings: Settings, batch_id: int) -> dict:
    """The batch once it has run: here on PostgreSQL (no worker), by the app's runner on SQLite."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        batch = store.batch(batch_id)
        assert batch is not None
        if batch["status"] in FINISHED:
            return batch
        if batch["status"] == "queued" and store.engine.dialect.name == "postgresql":
            process(store, batch_id, settings)
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish")


def web_batches(store: Store) -> int:
    """Batches uploaded in the browser (the demo store has the CLI's own)."""
    return store.count_history(source="web")


def alert(response) -> str:
    return page(response.text).by_id("upload-error").text


# --- the page -------------------------------------------------------------------------------


def test_the_page_has_the_downloads_and_the_form_with_the_labels_administrators_know(
    browser: TestClient,
) -> None:
    response = browser.get("/manage/poc")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"  # Back gives a fresh form
    html = page(response.text)
    assert html.all("h1")[0].text == "Manage Multiple Points of Contact"
    links = {a.text: a.attrs["href"] for a in html.all("a")}
    assert links["Download Template as Text (.csv)"] == "/manage/poc/template.csv"
    assert links["Download Template as Excel (.xlsx)"] == "/manage/poc/template.xlsx"
    assert links["Download Existing Points of Contact as Text (.csv)"] == "/manage/poc/export.csv"
    assert (
        links["Download Existing Points of Contact as Excel (.xlsx)"] == "/manage/poc/export.xlsx"
    )
    form = html.all("form", "upload")[0]
    assert form.attrs["enctype"] == "multipart/form-data"
    assert form.all("input")[0].attrs["name"] == "csrftoken"  # the CSRF check reads it first
    assert [legend.text for legend in form.all("legend")] == [
        "File Type",
        "Rows to Include",
        "Options",
    ]
    labels = [label.text for label in form.all("label")]
    assert labels[:5] == [
        "Choose File",
        "Text (.csv)",
        "Spreadsheet (.xlsx, .xls, .ods)",
        "All Rows",
        "Changed Rows Only",
    ]
    assert labels[5].startswith("Dry run")
    assert labels[6].startswith("All or nothing")
    assert form.all("button")[0].text == "Upload File"
    assert html.by_id("file").attrs["type"] == "file"
    scripts = [s.attrs.get("src", "") for s in html.all("script")]
    assert len(scripts) == 1
    assert scripts[0].endswith("/static/upload.js")
    assert browser.get(scripts[0]).status_code == 200


@pytest.mark.parametrize("type_name", list(RECORD_TYPES))
def test_each_record_type_has_its_page_and_the_others_a_click_away(
    browser: TestClient, type_name: str
) -> None:
    html = page(browser.get(f"/manage/{type_name}").text)
    rtype = RECORD_TYPES[type_name]
    assert html.all("h1")[0].text == f"Manage Multiple {rtype.plural}"
    subnav = html.all("nav", "subnav")[0]
    assert [a.attrs["href"] for a in subnav.all("a")] == [f"/manage/{t}" for t in RECORD_TYPES]
    current = [a for a in subnav.all("a") if a.attrs.get("aria-current") == "page"]
    assert [a.text for a in current] == [rtype.plural]
    form = html.all("form", "upload")[0]
    assert form.attrs["action"] == f"/manage/{type_name}/upload"


def test_two_visits_get_two_upload_ids(browser: TestClient) -> None:
    assert form_of(browser)["upload_id"] != form_of(browser)["upload_id"]


def test_an_unknown_record_type_or_format_is_not_found(browser: TestClient) -> None:
    for path in ("/manage/widget", "/manage/widget/template.csv", "/manage/poc/export.pdf"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert page(response.text).all("p", "alert"), path


# --- downloads ------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("type_name", list(RECORD_TYPES))
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_downloads_with_the_record_types_columns(
    browser: TestClient, type_name: str, file_format: str
) -> None:
    response = browser.get(f"/manage/{type_name}/template.{file_format}")
    assert response.status_code == 200
    plural = RECORD_TYPES[type_name].plural.lower().replace(" ", "-")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{plural}-template.{file_format}"'
    )
    if file_format == "csv":
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        rows = csv_rows(response)
    else:
        assert response.headers["content-type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        rows = xlsx_rows(response)
    assert rows == [RECORD_TYPES[type_name].headers]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_existing_records_download_as_the_cli_exports_them(
    browser: TestClient, store: Store, run, tmp_path: Path, file_format: str
) -> None:
    from bulkpoc.output.exports import write_records

    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    response = browser.get(f"/manage/poc/export.{file_format}")
    assert response.status_code == 200
    assert re.fullmatch(
        rf'attachment; filename="points-of-contact-\d{{4}}-\d{{2}}-\d{{2}}\.{file_format}"',
        response.headers["content-disposition"],
    )
    rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)
    assert rows[0] == RECORD_TYPES["poc"].headers
    assert len(rows) == 1 + 12
    assert {row[2] for row in rows[1:]} >= {"Sales Hotline", "Chat en Español"}
    if file_format == "csv":  # the same bytes `bulkpoc export` writes
        write_records(store, RECORD_TYPES["poc"], "csv", tmp_path / "cli.csv", template=False)
        assert response.content == (tmp_path / "cli.csv").read_bytes()


def test_an_export_uploaded_unchanged_changes_nothing(
    browser: TestClient, store: Store, settings: Settings, run
) -> None:
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    exported = browser.get("/manage/poc/export.xlsx").content
    batch = finish(
        store, settings, batch_of(upload(browser, exported, "pocs.xlsx", file_type="xlsx"))
    )
    assert (batch["status"], batch["total"], batch["unchanged"]) == ("succeeded", 12, 12)


# --- uploading ------------------------------------------------------------------------------


def test_an_upload_becomes_a_web_batch_with_the_options_chosen_and_runs(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    response = upload(browser, rows="changed", dry_run="1", all_or_nothing="1")
    batch_id = batch_of(response)
    batch = store.batch(batch_id)
    assert batch is not None
    assert (batch["source"], batch["user_name"], batch["record_type"], batch["file_name"]) == (
        "web",
        "admin",
        "poc",
        "new-pocs.csv",
    )
    options = batch["options"]
    assert (options["file_type"], options["rows"]) == ("csv", "changed")
    assert options["dry_run"] is options["all_or_nothing"] is True
    assert options["upload_id"]
    assert store.file_content(batch["checksum"]) == NEW_POCS
    finished = finish(store, settings, batch_id)
    assert finished["status"] == "succeeded"
    assert finished["skipped"] == 12  # Changed Rows Only, and no row is marked


def test_a_reference_file_goes_to_its_own_record_type(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    skills = b"Skill ID,Row Changed,Name,Media Type,Active\n,,Night Shift,Phone Call,Y\n"
    batch_id = batch_of(upload(browser, skills, "skills.csv", type_name="skill"))
    batch = finish(store, settings, batch_id)
    assert (batch["record_type"], batch["status"], batch["created"]) == ("skill", "succeeded", 1)


def test_clicking_upload_twice_makes_one_batch(browser: TestClient, store: Store) -> None:
    hidden = form_of(browser)
    first = batch_of(upload(browser, hidden=hidden))
    second = batch_of(upload(browser, hidden=hidden))
    assert second == first
    assert web_batches(store) == 1
    if store.engine.dialect.name == "postgresql":
        assert jobs_per_batch(store) == {first: 1}  # queued once (issue 22, defect 15)


# --- while another batch writes (SQLite's one writer) -----------------------------------------


@contextmanager
def another_batch_writing(store: Store) -> Iterator[None]:
    """Hold SQLite's write lock, as a running batch does from its snapshot to its commit."""
    connection = sqlite3.connect(store.engine.url.database or "", isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.rollback()
        connection.close()


def batch_once_recorded(client: TestClient, waiting_page: str) -> int:
    """The batch a spooled upload becomes: the waiting page sends the browser there."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        response = client.get(waiting_page)
        if response.status_code == 303:
            return batch_of(response)
        assert response.status_code == 200, response.text
        time.sleep(0.05)
    raise AssertionError(f"{waiting_page} never became a batch")


@pytest.fixture
def patient(settings: Settings) -> Settings:
    """Settings whose lock timeout would end a wait for the store in a few seconds."""
    return settings.model_copy(update={"lock_timeout": 5})


def test_an_upload_while_another_batch_writes_is_kept_and_runs_after_it(
    sqlite_store: Store, patient: Settings
) -> None:
    with client_for(sqlite_store, patient) as client:
        log_in(client, sqlite_store)
        hidden = form_of(client)
        with another_batch_writing(sqlite_store):
            response = upload(client, hidden=hidden)
            assert response.status_code == 303, response.text
            waiting_page = response.headers["location"]
            assert waiting_page.startswith("/uploads/")
            assert upload(client, hidden=hidden).headers["location"] == waiting_page  # twice
            shown = client.get(waiting_page)
            assert shown.status_code == 200
            assert "new-pocs.csv" in shown.text
            assert "waits for the batch before it" in shown.text
            assert web_batches(sqlite_store) == 0
        batch_id = batch_once_recorded(client, waiting_page)
        assert finish(sqlite_store, patient, batch_id)["status"] == "succeeded"
    assert web_batches(sqlite_store) == 1
    assert Spool.beside(sqlite_store).waiting() == []


def test_an_upload_left_waiting_by_a_stopped_server_runs_when_it_starts(
    sqlite_store: Store, settings: Settings
) -> None:
    options = ImportOptions(
        file_type="csv", source="web", display_name="new-pocs.csv", upload_id="left-behind"
    )
    Spool.beside(sqlite_store).put("left-behind", io.BytesIO(NEW_POCS), options)
    with client_for(sqlite_store, settings) as client:
        log_in(client, sqlite_store)
        batch_id = batch_once_recorded(client, "/uploads/left-behind")
        batch = finish(sqlite_store, settings, batch_id)
    assert (batch["status"], batch["created"], batch["file_name"]) == (
        "succeeded",
        12,
        "new-pocs.csv",
    )


def test_someone_elses_or_an_unknown_upload_is_not_found(
    sqlite_store: Store, settings: Settings
) -> None:
    options = ImportOptions(user="carol", file_type="csv", upload_id="carols")
    Spool.beside(sqlite_store).put("carols", io.BytesIO(NEW_POCS), options)
    client = log_in(client_for(sqlite_store, settings), sqlite_store)  # no runner: it stays
    for key in ("carols", "nothing-here", "..%2F..%2Fetc"):
        assert client.get(f"/uploads/{key}").status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"content": NEW_POCS.replace(b"Sales Hotline", b"Sales Line")},  # fixed, sent again
        {"dry_run": None},  # a dry run first, then for real
    ],
    ids=["another-file", "other-choices"],
)
def test_the_same_form_sending_something_else_is_a_new_batch(
    browser: TestClient, store: Store, change: dict
) -> None:
    hidden = form_of(browser)
    first = batch_of(upload(browser, hidden=hidden, dry_run="1"))
    again = batch_of(upload(browser, hidden=hidden, **({"dry_run": "1"} | change)))
    assert again != first
    assert web_batches(store) == 2


def test_a_user_without_the_permission_sees_why_and_cannot_upload(
    store: Store, settings: Settings
) -> None:
    store.add_user("viewer", [])
    store.add_user("skills", ["Skills Edit"])
    with client_for(store, settings) as client:
        log_in(client, store, "viewer")
        html = page(client.get("/manage/poc").text)
        assert not html.all("form", "upload")
        assert html.by_id("upload-refusal").text.startswith(
            "viewer cannot upload Points of Contact: it needs the 'Points of Contact Create' "
            "permission."
        )
        token = _page_token(client)
        response = upload(client, hidden={"csrftoken": token, "upload_id": "x"})
        assert response.status_code == 403
        assert page(response.text).all("p", "alert")[0].text == (
            "viewer cannot upload Points of Contact: it needs the 'Points of Contact Create' "
            "permission."
        )
    with client_for(store, settings) as client:
        log_in(client, store, "skills")
        assert page(client.get("/manage/skill").text).all("form", "upload")
        assert not page(client.get("/manage/script").text).all("form", "upload")
    assert web_batches(store) == 0


DOWNLOADS = ["template.csv", "template.xlsx", "export.csv", "export.xlsx"]


@pytest.mark.parametrize("download", DOWNLOADS)
def test_downloads_take_the_record_types_permission_on_the_page_as_in_the_api(
    store: Store, settings: Settings, download: str
) -> None:
    """The vendor's Manage page, where the downloads live, needs the record type's permission:
    the page and the API answer a user without it alike, in one sentence naming it."""
    from bulkpoc.services.auth import create_token
    from tests.web import api_client

    store.add_user("sam", ["Skills Edit"])
    refusal = (
        "sam cannot download the Points of Contact template or export: it needs the "
        "'Points of Contact Create' permission."
    )
    with client_for(store, settings) as client:
        log_in(client, store, "sam")
        refused = client.get(f"/manage/poc/{download}")
        assert refused.status_code == 403
        assert page(refused.text).all("p", "alert")[0].text == refusal
        assert client.get(f"/manage/skill/{download}").status_code == 200
    kind, file_format = download.split(".")
    api_path = f"/api/v1/{kind}s/poc.{file_format}"
    with api_client(store, settings, create_token(store, "sams", "sam")) as api:
        answer = api.get(api_path)
        assert (answer.status_code, answer.json()) == (403, {"detail": refusal})
        assert api.get(f"/api/v1/{kind}s/skill.{file_format}").status_code == 200


def test_the_page_hides_the_downloads_from_a_user_without_the_permission_and_says_why(
    store: Store, settings: Settings
) -> None:
    store.add_user("sam", ["Skills Edit"])
    with client_for(store, settings) as client:
        log_in(client, store, "sam")
        html = page(client.get("/manage/poc").text)
        assert not html.all("ul", "downloads")
        assert not [a for a in html.all("a") if "/manage/poc/" in a.attrs.get("href", "")]
        assert html.by_id("download-refusal").text == (
            "sam cannot download the Points of Contact template or export: it needs the "
            "'Points of Contact Create' permission. An administrator can grant the permission."
        )
        skills = page(client.get("/manage/skill").text)
        assert len(skills.all("ul", "downloads")[0].all("a")) == 4
        assert not skills.has_id("download-refusal")


def _page_token(client: TestClient) -> str:
    """The CSRF token of the page's other form (Log out), for a user offered no upload form."""
    found = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/manage/poc").text)
    assert found
    return found.group(1)


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "wrong"])
def test_an_upload_without_the_right_csrf_token_is_refused(
    browser: TestClient, store: Store, token: str | None
) -> None:
    hidden = form_of(browser)
    response = upload(browser, hidden=hidden | {"csrftoken": token})  # type: ignore[dict-item]
    assert response.status_code == 403
    assert (
        "This form could not be sent" in page(response.text).by_id("main").text
    )  # the app never saw it
    assert web_batches(store) == 0


def test_a_form_with_its_file_before_the_csrf_token_is_refused(
    browser: TestClient, store: Store
) -> None:
    """The CSRF check reads the token without holding the file: the token must come first."""
    boundary = "bulkpocboundary"
    token = form_of(browser)["csrftoken"]
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        "Name\r\nx\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrftoken"\r\n\r\n'
        f"{token}\r\n--{boundary}--\r\n"
    )
    response = browser.post(
        "/manage/poc/upload",
        content=body.encode(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 403
    assert "This form could not be sent" in page(response.text).by_id("main").text
    assert web_batches(store) == 0


@pytest.fixture
def small_limit(store: Store, settings: Settings) -> Iterator[TestClient]:
    """The admin on an app that takes files of at most 2,000 bytes."""
    with client_for(store, settings.model_copy(update={"upload_max_bytes": 2000})) as client:
        yield log_in(client, store)


@pytest.mark.parametrize("size", [2001, 200_000], ids=["just-above", "far-above"])
def test_a_file_above_the_limit_is_refused_and_nothing_is_stored(
    small_limit: TestClient, store: Store, size: int
) -> None:
    response = upload(small_limit, b"x" * size, "big.csv")
    assert response.status_code == 413
    assert alert(response) == (
        "The file is larger than the upload limit of 0.00191 MB (2,000 bytes); "
        "split it into smaller files."
    )
    assert page(response.text).all("form", "upload")  # the form, to choose another file
    assert web_batches(store) == 0
    assert store.count(schema.files) == 4  # the demo data's own


def test_a_file_of_exactly_the_limit_is_taken(small_limit: TestClient, store: Store) -> None:
    batch_of(upload(small_limit, b"x" * 2000, "full.csv"))
    assert web_batches(store) == 1


def raw_upload(
    client: TestClient, file_name: bytes, chunks: Iterator[bytes], type_name: str = "poc"
):
    """The upload form as bytes written by hand: a file name no browser would encode, and a
    body sent in chunks without a Content-Length."""
    boundary = "bulkpocboundary"
    fields = form_of(client, type_name) | {"file_type": "csv", "rows": "all"}
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    file_head = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + file_name
        + b'"\r\nContent-Type: text/csv\r\n\r\n'
    )

    def body() -> Iterator[bytes]:
        yield head + file_head
        yield from chunks
        yield f"\r\n--{boundary}--\r\n".encode()

    return client.post(
        f"/manage/{type_name}/upload",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )


def test_the_limit_holds_for_a_body_that_does_not_say_its_length(
    small_limit: TestClient, store: Store
) -> None:
    """Chunked, without Content-Length: the bytes are counted as they arrive."""
    response = raw_upload(small_limit, b"big.csv", (b"x" * 1000 for _ in range(100)))
    assert response.status_code == 413
    assert alert(response).startswith("The file is larger than the upload limit")
    assert web_batches(store) == 0
    assert store.count(schema.files) == 4  # the demo data's own


@pytest.mark.parametrize(
    ("content", "file_name", "fields", "message"),
    [
        (b"", "", {}, "Choose a file to upload."),
        (b"", "blank.csv", {}, "The file blank.csv is empty; choose another file."),
        (
            NEW_POCS,
            "a.csv",
            {"file_type": None},
            "Choose the File Type: Text (.csv) or Spreadsheet (.xlsx, .xls, .ods).",
        ),
        (
            NEW_POCS,
            "a.csv",
            {"rows": "some"},
            "Choose Rows to Include: All Rows or Changed Rows Only.",
        ),
    ],
    ids=["no-file", "empty-file", "no-file-type", "bad-rows"],
)
def test_a_form_that_cannot_be_sent_says_what_to_fix(
    browser: TestClient, store: Store, content: bytes, file_name: str, fields: dict, message: str
) -> None:
    response = upload(browser, content, file_name, **fields)
    assert response.status_code == 400
    assert alert(response) == message
    assert web_batches(store) == 0


def test_a_body_that_is_not_the_form_is_refused_in_a_sentence(
    browser: TestClient, store: Store
) -> None:
    response = browser.post("/manage/poc/upload", data=form_of(browser))  # urlencoded, no file
    assert response.status_code == 400
    assert alert(response) == "The upload could not be read; choose the file and upload it again."
    assert web_batches(store) == 0


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("C:\\Users\\ann\\Desktop\\pocs.csv", "pocs.csv"),
        ("../../../etc/pocs.csv", "pocs.csv"),
        ("x" * 300 + ".csv", "x" * 146 + ".csv"),
    ],
    ids=["windows-path", "traversal", "too-long"],
)
def test_the_file_name_is_only_a_display_name(
    browser: TestClient, store: Store, settings: Settings, tmp_path: Path, sent: str, shown: str
) -> None:
    batch_id = batch_of(upload(browser, NEW_POCS.replace(b"Main IVR", b"No IVR"), sent))
    batch = finish(store, settings, batch_id)
    assert batch["file_name"] == shown
    assert batch["status"] == "completed_with_errors"  # so an error file is written
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    errors = [path for path in written if "errors" in path.name]
    assert errors
    assert all(path.is_relative_to(settings.report_dir / f"batch-{batch_id}") for path in errors)


def test_control_characters_are_taken_out_of_the_file_name(
    browser: TestClient, store: Store
) -> None:
    """Browsers percent-encode them; a hand-made request need not."""
    sent = "reports/po\x1bcs\u202e\x07.csv".encode()
    batch = store.batch(batch_of(raw_upload(browser, sent, iter([NEW_POCS]))))
    assert batch is not None
    assert batch["file_name"] == "pocs.csv"


# --- logging in -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/manage/poc", "/manage/skill/template.csv", "/manage/poc/export.xlsx"]
)
def test_the_pages_and_downloads_need_a_login(store: Store, settings: Settings, path: str) -> None:
    with client_for(store, settings) as client:
        response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_an_upload_without_a_login_goes_to_the_login_and_stores_nothing(
    store: Store, settings: Settings
) -> None:
    with client_for(store, settings) as client:
        token = csrf_token(client)  # a browser that has seen the site, not logged in
        response = client.post(
            "/manage/poc/upload",
            data={"csrftoken": token, "file_type": "csv", "rows": "all"},
            files={"file": ("new-pocs.csv", NEW_POCS, "text/csv")},
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
        # without the token (a cross-site form), refused before the route even looks
        response = client.post(
            "/manage/poc/upload",
            data={"file_type": "csv", "rows": "all"},
            files={"file": ("new-pocs.csv", NEW_POCS, "text/csv")},
        )
        assert response.status_code == 403
    assert web_batches(store) == 0
