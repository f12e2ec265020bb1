"""The upload options the CLI has and the pages and API now offer too: "Email the results to
me" (to the user's address in the store) and Overwrite, through the upload form and the API,
with the results email received by a real SMTP server on loopback."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bulkpoc.batch.submit import load_result, run_import
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store
from tests.conftest import poc, stored_pocs, write_rows
from tests.mailserver import HOST, Mailbox, smtp_server
from tests.test_web_manage import batch_of, finish, form_of, upload
from tests.web import PATIENCE, api_client, client_for, log_in, page

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
MISTAKES = (SAMPLES / "pocs-with-mistakes.csv").read_bytes()
NO_EMAIL = (
    "sam has no email address in the store to send the results to; an administrator can set "
    "one with `bulkpoc users email sam ADDRESS`."
)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailing(settings: Settings, mailbox: Mailbox) -> Settings:
    """The settings, sending mail to the loopback SMTP server."""
    return settings.model_copy(update={"smtp_host": HOST, "smtp_port": mailbox.port})


@pytest.fixture
def browser(store: Store, mailing: Settings) -> Iterator[TestClient]:
    """The admin (admin@example.com), logged in, on the app with its job runner running."""
    with client_for(store, mailing) as client:
        yield log_in(client, store)


def received(mailbox: Mailbox, count: int = 1) -> list:
    """The messages, once ``count`` have arrived (the runner sends after the batch commits)."""
    deadline = time.monotonic() + PATIENCE
    while len(mailbox.envelopes) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mailbox.envelopes) == count, mailbox.envelopes
    return mailbox.messages()


# --- the form -------------------------------------------------------------------------------


def test_the_form_offers_to_email_the_results_to_the_users_own_address(browser) -> None:
    form = page(browser.get("/manage/poc").text).all("form", "upload")[0]
    labels = {label.text: label for label in form.all("label", "choice")}
    box = labels["Email the results to me (admin@example.com)"].all("input")[0]
    assert (box.attrs["type"], box.attrs["name"]) == ("checkbox", "email_results")
    assert "checked" not in box.attrs
    overwrite = next(text for text in labels if text.startswith("Overwrite newer changes"))
    assert labels[overwrite].all("input")[0].attrs["name"] == "overwrite"


def test_a_user_without_an_email_address_reads_how_to_get_one(store, settings) -> None:
    store.add_user("sam", ["Points of Contact Create"])
    with client_for(store, settings) as client:
        log_in(client, store, "sam")
        html = page(client.get("/manage/poc").text)
        assert not [i for i in html.all("input") if i.attrs.get("name") == "email_results"]
        assert "ask an administrator to set your email address" in html.by_id("no-email").text
        refused = upload(client, email_results="1")  # a form sent from an older page
        assert refused.status_code == 400
        assert page(refused.text).by_id("upload-error").text == NO_EMAIL
    assert store.count_history(source="web") == 0


def test_ticked_the_results_arrive_by_email_with_the_error_file(
    browser, store, mailing, mailbox
) -> None:
    batch_id = batch_of(upload(browser, MISTAKES, "pocs-with-mistakes.csv", email_results="1"))
    batch = finish(store, mailing, batch_id)
    assert batch["status"] == "completed_with_errors"

    (message,) = received(mailbox)
    assert mailbox.envelopes[0].rcpt_tos == ["admin@example.com"]
    assert f"(batch {batch_id})" in str(message["Subject"])
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(attachments) == ["changes.csv", "pocs-with-mistakes-errors.csv"]
    attachment = attachments["pocs-with-mistakes-errors.csv"]
    kept = store.batch_file(batch_id, "errors")
    assert kept is not None
    assert attachment.get_payload(decode=True) == kept[1]
    # The server has the message before the sender records that it was delivered.
    sent = f"smtp://{HOST}:{mailbox.port}"
    deadline = time.monotonic() + PATIENCE
    while load_result(store, batch_id).reports.email != sent and time.monotonic() < deadline:
        time.sleep(0.05)
    result = load_result(store, batch_id)
    assert result.options["notify"] == ["admin@example.com"]
    assert result.reports.email == sent
    html = page(browser.get(f"/batches/{batch_id}").text)
    assert "Results emailed to admin@example.com" in html.text


def test_unticked_no_email_is_sent(browser, store, mailing, mailbox) -> None:
    batch_id = batch_of(upload(browser, MISTAKES, "pocs-with-mistakes.csv"))
    assert finish(store, mailing, batch_id)["status"] == "completed_with_errors"
    assert load_result(store, batch_id).options["notify"] == []
    assert mailbox.envelopes == []


def test_the_same_form_sent_again_with_the_box_ticked_is_a_new_upload(browser, store) -> None:
    hidden = form_of(browser)
    first = batch_of(upload(browser, hidden=hidden, dry_run="1"))
    again = batch_of(upload(browser, hidden=hidden, dry_run="1", email_results="1"))
    assert first != again


# --- Overwrite ------------------------------------------------------------------------------


def stale_edit(
    store: Store, settings: Settings, client: TestClient, export: str, folder: Path
) -> bytes:
    """An export edited after someone else changed its POC: it conflicts unless Overwrite."""
    run_import(store, write_rows(folder / "one.csv", [poc()]), ImportOptions(), settings)
    rows = list(csv.DictReader(io.StringIO(client.get(export).content.decode("utf-8-sig"))))
    (row,) = rows
    someone = poc(Point_of_Contact_ID=row["Point of Contact ID"], Name="Someone Else")
    path = write_rows(folder / "someone.csv", [someone])
    assert run_import(store, path, ImportOptions(), settings).counts.updated == 1
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row | {"Name": "My Edit"})
    return edited.getvalue().encode()


@pytest.mark.parametrize("overwrite", [False, True])
def test_overwrite_on_the_form_applies_a_row_changed_since_the_export(
    browser, store, mailing, tmp_path, overwrite
) -> None:
    stale = stale_edit(store, mailing, browser, "/manage/poc/export.csv", tmp_path)
    chosen = {"overwrite": "1"} if overwrite else {}
    batch_id = batch_of(upload(browser, stale, "pocs.csv", **chosen))
    finish(store, mailing, batch_id)
    result = load_result(store, batch_id)
    assert [error.code for error in result.errors] == ([] if overwrite else ["conflict"])
    assert stored_pocs(store)[0]["name"] == ("My Edit" if overwrite else "Someone Else")


# --- the API --------------------------------------------------------------------------------


def api_upload(client: TestClient, content: bytes, **options: str):
    return client.post(
        "/api/v1/batches",
        files={"file": ("pocs-with-mistakes.csv", content)},
        data=options,
    )


def test_the_api_emails_the_results_to_the_tokens_user(store, mailing, mailbox) -> None:
    with api_client(store, mailing, create_token(store, "crm", "admin")) as api:
        answer = api_upload(api, MISTAKES, email_results="true")
        assert answer.status_code == 202, answer.text
        batch_id = answer.json()["batch_id"]
        finish(store, mailing, batch_id)
        assert api.get(f"/api/v1/batches/{batch_id}").json()["options"]["notify"] == [
            "admin@example.com"
        ]
    (message,) = received(mailbox)
    assert mailbox.envelopes[0].rcpt_tos == ["admin@example.com"]
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(attachments) == ["changes.csv", "pocs-with-mistakes-errors.csv"]


def test_the_api_refuses_email_results_for_a_user_without_an_address(store, settings) -> None:
    store.add_user("sam", ["Points of Contact Create"])
    before = store.count_history()
    with api_client(store, settings, create_token(store, "sams", "sam")) as api:
        refused = api_upload(api, MISTAKES, email_results="true")
        assert (refused.status_code, refused.json()) == (422, {"detail": NO_EMAIL})
        assert api_upload(api, MISTAKES, email_results="false").status_code == 202
    assert store.count_history() == before + 1


@pytest.mark.parametrize("overwrite", ["false", "true"])
def test_the_api_takes_overwrite(store, settings, tmp_path, overwrite) -> None:
    with api_client(store, settings, create_token(store, "crm", "admin")) as api:
        stale = stale_edit(store, settings, api, "/api/v1/exports/poc.csv", tmp_path)
        answer = api_upload(api, stale, overwrite=overwrite)
        assert answer.status_code == 202, answer.text
        batch_id = answer.json()["batch_id"]
        finish(store, settings, batch_id)
        result = api.get(f"/api/v1/batches/{batch_id}").json()
    assert result["options"]["overwrite"] is (overwrite == "true")
    codes = [error["code"] for error in result["errors"]]
    assert codes == ([] if overwrite == "true" else ["conflict"])
