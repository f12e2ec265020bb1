"""The results email (SPEC §5): built from the result, kept in the store's outbox, delivered to
a real SMTP server on loopback, retried with backoff, never lost and never sent twice."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from pydantic import SecretStr

from bulkpoc.batch.submit import load_result, run_import
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.output import delivery as outbox_delivery
from bulkpoc.output import mail
from bulkpoc.store.db import Store
from tests.conftest import poc, write_rows
from tests.mailserver import HOST, free_port, make_certificates, smtp_server

ROWS = [poc(), poc(Name="Broken", Skill="Sales Cals", Point_of_Contact="+12025550101")]
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NOTIFY = ("ops@example.com", "lead@example.com", "ops@example.com")


def smtp(settings: Settings, port: int, **changes: object) -> Settings:
    return settings.model_copy(update={"smtp_host": HOST, "smtp_port": port, **changes})


def upload(folder: Path, kind: str, rows: list[dict[str, str]] = ROWS) -> Path:
    if kind == "csv":
        return write_rows(folder / "pocs.csv", rows)
    headers = RECORD_TYPES["poc"].headers
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header, "") for header in headers])
    path = folder / "pocs.xlsx"
    workbook.save(path)
    return path


def notify(store: Store, path: Path, settings: Settings, **options: object) -> BatchResult:
    return run_import(store, path, ImportOptions(notify=NOTIFY, **options), settings)  # type: ignore[arg-type]


def subject(message: EmailMessage) -> str:
    """The Subject as a mail client shows it. Python folds a value that fits on a line of its
    own onto the next line; unfolded, the space before it is the usual one after the colon
    (RFC 5322 section 2.2.3), but Python's parser keeps it."""
    return str(message["Subject"]).lstrip()


def outbox(store: Store) -> list[dict]:
    return mail.messages(store, include_sent=True)


def queue(store: Store, title: str = "hello") -> int:
    """A message in the outbox with no batch behind it."""
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = "bulkpoc@localhost"
    message.set_content("Hello.")
    with store.transaction() as connection:
        return mail.queue_email(connection, None, message, ["ops@example.com"])


def not_sent_warning(reason: str) -> str:
    return (
        f"The results email could not be sent yet: {reason}; "
        "it is kept in the outbox and will be retried."
    )


# --- what a batch sends -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_batch_with_notify_sends_one_message_with_both_parts_and_the_error_file(
    store, settings, tmp_path, kind
):
    with smtp_server() as server:
        result = notify(store, upload(tmp_path, kind), smtp(settings, server.port))

    assert result.status is BatchStatus.COMPLETED_WITH_ERRORS
    assert [envelope.rcpt_tos for envelope in server.envelopes] == [
        ["ops@example.com", "lead@example.com"]
    ]
    assert server.envelopes[0].mail_from == settings.mail_from
    (message,) = server.messages()
    assert subject(message) == (
        f"[bulkpoc] Completed with errors: pocs.{kind} (batch {result.batch_id}): "
        "2 rows, 1 created, 0 updated, 1 failed"
    )
    assert message["To"] == "ops@example.com, lead@example.com"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert result.summary() in plain.get_content()
    assert "Sales Cals" in plain.get_content()
    assert "<td>Sales Cals</td>" in html.get_content()
    attachment, changes = message.iter_attachments()  # the error file, and every change
    error_file = Path(result.reports.error_file)
    assert changes.get_filename() == "changes.csv"
    assert attachment.get_filename() == error_file.name == f"pocs-errors.{kind}"
    assert attachment.get_content_type() == CONTENT_TYPES[kind]
    assert attachment.get_payload(decode=True) == error_file.read_bytes()

    destination = f"smtp://{HOST}:{server.port}"
    assert result.reports.email == destination
    assert load_result(store, result.batch_id).reports.email == destination
    (row,) = outbox(store)
    assert row["batch_id"] == result.batch_id
    assert row["recipients"] == ["ops@example.com", "lead@example.com"]
    assert (row["attempts"], row["last_error"], row["destination"]) == (1, None, destination)
    assert row["sent_at"] is not None
    assert not any("email" in warning for warning in result.warnings)


def test_no_message_without_recipients(store, settings, tmp_path):
    with smtp_server() as server:
        result = run_import(store, upload(tmp_path, "csv"), ImportOptions(), settings)
    assert result.reports.email is None
    assert server.envelopes == []
    assert outbox(store) == []


def test_without_an_smtp_host_the_message_is_written_into_the_outbox_folder(
    store, settings, tmp_path
):
    result = notify(store, upload(tmp_path, "csv"), settings)

    path = Path(result.reports.email)
    assert path.parent == settings.outbox_dir
    assert re.fullmatch(rf"batch-{result.batch_id}-\d{{8}}T\d{{6}}\.eml", path.name)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert subject(message).startswith("[bulkpoc] Completed with errors: pocs.csv")
    assert message.get_body(preferencelist=("html",)) is not None
    attachment, changes = message.iter_attachments()
    assert attachment.get_payload(decode=True) == Path(result.reports.error_file).read_bytes()
    assert changes.get_payload(decode=True) == Path(result.reports.changes).read_bytes()
    (row,) = outbox(store)
    assert row["destination"] == str(path)
    assert row["sent_at"] is not None
    assert load_result(store, result.batch_id).reports.email == str(path)


def test_a_batch_that_fails_before_its_transaction_still_sends_its_result(
    store, settings, tmp_path
):
    store.add_user("viewer", [])
    with smtp_server() as server:
        result = notify(store, upload(tmp_path, "csv"), smtp(settings, server.port), user="viewer")

    assert result.status is BatchStatus.FAILED
    (message,) = server.messages()
    assert subject(message) == (
        f"[bulkpoc] Failed: pocs.csv (batch {result.batch_id}): "
        "0 rows, 0 created, 0 updated, 0 failed"
    )
    assert result.failure in message.get_body(preferencelist=("plain",)).get_content()
    assert list(message.iter_attachments()) == []
    (row,) = outbox(store)
    assert row["batch_id"] == result.batch_id
    assert load_result(store, result.batch_id).reports.email == f"smtp://{HOST}:{server.port}"


# --- a server that fails ------------------------------------------------------------------


def test_a_refused_connection_keeps_the_message_and_a_later_pass_sends_it(
    store, settings, tmp_path
):
    port = free_port()  # nothing listens there yet
    settings = smtp(settings, port)
    result = notify(store, upload(tmp_path, "csv", [poc()]), settings)

    reason = f"Connection refused by {HOST}:{port}"
    assert result.status is BatchStatus.SUCCEEDED
    assert not_sent_warning(reason) in result.warnings
    recorded = load_result(store, result.batch_id)
    assert recorded.status is BatchStatus.SUCCEEDED
    assert not_sent_warning(reason) in recorded.warnings
    assert recorded.counts.created == 1
    (row,) = outbox(store)
    assert (row["attempts"], row["last_error"], row["sent_at"]) == (1, reason, None)
    assert result.reports.email == recorded.reports.email == f"outbox message {row['id']}"

    retry_at = row["next_attempt_at"]
    with smtp_server(port) as server:
        early = outbox_delivery.deliver_due(store, settings, now=retry_at - dt.timedelta(seconds=1))
        assert early == []
        assert server.envelopes == []
        (delivery,) = outbox_delivery.deliver_due(store, settings, now=retry_at)

    destination = f"smtp://{HOST}:{port}"
    assert (delivery.sent, delivery.destination, delivery.batch_id) == (
        True,
        destination,
        result.batch_id,
    )
    assert [envelope.rcpt_tos for envelope in server.envelopes] == [
        ["ops@example.com", "lead@example.com"]
    ]
    (row,) = outbox(store)
    assert (row["attempts"], row["sent_at"], row["destination"]) == (2, retry_at, destination)
    assert load_result(store, result.batch_id).reports.email == destination
    later = retry_at + dt.timedelta(days=1)
    assert outbox_delivery.deliver_due(store, settings, now=later, ignore_backoff=True) == []


def test_the_wait_between_attempts_doubles_and_is_capped(store, settings):
    settings = smtp(settings, free_port(), mail_retry_seconds=60, mail_retry_max_seconds=300)
    message_id = queue(store)
    now = dt.datetime(2030, 1, 1)
    waits = []
    for attempt in range(1, 6):
        (delivery,) = outbox_delivery.deliver_due(store, settings, now=now)
        (row,) = outbox(store)
        assert (delivery.message_id, delivery.sent, row["attempts"]) == (message_id, False, attempt)
        assert delivery.next_attempt_at == row["next_attempt_at"]
        waits.append((row["next_attempt_at"] - now).total_seconds())
        not_yet = row["next_attempt_at"] - dt.timedelta(microseconds=1)
        assert outbox_delivery.deliver_due(store, settings, now=not_yet) == []
        now = row["next_attempt_at"]
    assert waits == [60, 120, 240, 300, 300]
    (row,) = outbox(store)
    assert row["attempts"] == 5


def test_an_outbox_folder_that_cannot_be_written_keeps_the_message(store, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings = settings.model_copy(update={"outbox_dir": blocker / "outbox"})
    result = notify(store, upload(tmp_path, "csv", [poc()]), settings)

    assert result.status is BatchStatus.SUCCEEDED
    (row,) = outbox(store)
    assert row["sent_at"] is None
    assert row["last_error"] == f"Cannot write the email into {blocker / 'outbox'}: Not a directory"
    assert not_sent_warning(row["last_error"]) in result.warnings


@contextmanager
def silent_server() -> Iterator[int]:
    """A server on a free loopback port that accepts every connection and never says a word."""
    listener = socket.create_server((HOST, 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in [*accepted, listener]:
            connection.close()


def test_a_server_that_accepts_and_never_answers_is_a_timeout(store, settings):
    queue(store)
    with silent_server() as port:
        (delivery,) = outbox_delivery.deliver_due(store, smtp(settings, port, smtp_timeout=0.5))
    reason = f"{HOST}:{port} did not answer within 0.5 seconds"
    assert (delivery.sent, delivery.error) == (False, reason)
    (row,) = outbox(store)
    assert (row["attempts"], row["last_error"], row["sent_at"]) == (1, reason, None)


# --- never twice --------------------------------------------------------------------------


def test_a_pass_leaves_alone_what_another_pass_took_after_it_looked(store, settings):
    ids = [queue(store, f"message {n}") for n in range(4)]
    with smtp_server(hold_first=True) as server:
        first: list[outbox_delivery.Delivery] = []
        up = smtp(settings, server.port)
        thread = threading.Thread(
            target=lambda: first.extend(outbox_delivery.deliver_due(store, up))
        )
        thread.start()
        assert server.holding.wait(timeout=60), "the first pass never reached the server"
        # The first pass is sending message 1 and has read messages 2-4 as due. Another pass,
        # whose server refuses, tries 2-4 meanwhile: they wait for their next attempt.
        second = outbox_delivery.deliver_due(store, smtp(settings, free_port()))
        server.release.set()
        thread.join(timeout=60)

    assert [(delivery.message_id, delivery.sent) for delivery in first] == [(ids[0], True)]
    assert [(delivery.message_id, delivery.sent) for delivery in second] == [
        (message_id, False) for message_id in ids[1:]
    ]
    assert [subject(message) for message in server.messages()] == ["message 0"]
    rows = outbox(store)
    assert [(row["attempts"], row["sent_at"] is None) for row in rows[1:]] == [(1, True)] * 3


def test_two_passes_at_once_send_every_message_exactly_once(store, settings):
    titles = [f"message {n}" for n in range(12)]
    for title in titles:
        queue(store, title)
    with smtp_server() as server:
        settings = smtp(settings, server.port)
        start = threading.Barrier(2)
        sent: list[list[outbox_delivery.Delivery]] = [[], []]

        def deliver(slot: int) -> None:
            start.wait()
            sent[slot].extend(outbox_delivery.deliver_due(store, settings))

        threads = [threading.Thread(target=deliver, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert sorted(subject(message) for message in server.messages()) == sorted(titles)
    delivered = sorted(delivery.message_id for deliveries in sent for delivery in deliveries)
    assert delivered == sorted(row["id"] for row in outbox(store))


def test_four_senders_with_all_pending_deliver_each_message_exactly_once(store, settings, tmp_path):
    """Four `bulkpoc outbox send --all-pending` processes at once, each with its own
    connection: every message is claimed by one of them only."""
    titles = [f"message {n}" for n in range(20)]
    for title in titles:
        queue(store, title)
    url = store.engine.url.render_as_string(hide_password=False)
    with smtp_server(delay=0.1) as server:
        environment = {
            **os.environ,
            "BULKPOC_DATABASE_URL": url,
            "BULKPOC_SMTP_HOST": HOST,
            "BULKPOC_SMTP_PORT": str(server.port),
            "BULKPOC_REPORT_DIR": str(tmp_path / "reports"),
            "BULKPOC_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
        command = [sys.executable, "-m", "bulkpoc", "outbox", "send", "--all-pending"]
        senders = [
            subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        outputs = [sender.communicate(timeout=120)[0] for sender in senders]

    assert [sender.returncode for sender in senders] == [0] * 4, outputs
    assert sorted(subject(message) for message in server.messages()) == sorted(titles)
    said_sent = [line for output in outputs for line in output.splitlines() if " sent to " in line]
    assert len(said_sent) == 20, outputs
    assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in outbox(store))


# --- TLS and logins -----------------------------------------------------------------------


def test_starttls_with_a_login_and_a_trusted_ca(store, settings, tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    tls = certificates.server_context()
    with smtp_server(tls_context=tls, require_starttls=True, login=True) as server:
        settings = smtp(
            settings,
            server.port,
            smtp_security="starttls",
            smtp_ca_file=certificates.ca_file,
            smtp_user="mailer",
            smtp_password=SecretStr("s3cret"),
        )
        queue(store)
        (delivery,) = outbox_delivery.deliver_due(store, settings)
    assert delivery.sent, delivery.error
    assert server.logins == [("mailer", "s3cret")]
    assert len(server.envelopes) == 1


def test_a_wrong_password_keeps_the_message_and_says_so(store, settings, tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    tls = certificates.server_context()
    with smtp_server(tls_context=tls, require_starttls=True, login=True) as server:
        settings = smtp(
            settings,
            server.port,
            smtp_security="starttls",
            smtp_ca_file=certificates.ca_file,
            smtp_user="mailer",
            smtp_password=SecretStr("wrong"),
        )
        queue(store)
        (delivery,) = outbox_delivery.deliver_due(store, settings)
    assert delivery.error == (
        f"{HOST}:{server.port} refused the login of mailer: "
        "535 5.7.8 Authentication credentials invalid"
    )
    assert server.envelopes == []
    assert outbox(store)[0]["sent_at"] is None


def test_implicit_tls_with_a_trusted_ca(store, settings, tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    with smtp_server(ssl_context=certificates.server_context()) as server:
        settings = smtp(
            settings, server.port, smtp_security="tls", smtp_ca_file=certificates.ca_file
        )
        queue(store)
        (delivery,) = outbox_delivery.deliver_due(store, settings)
    assert delivery.sent, delivery.error
    assert len(server.envelopes) == 1


def test_a_certificate_no_trusted_ca_signed_is_refused_and_the_message_kept(
    store, settings, tmp_path
):
    certificates = make_certificates(tmp_path / "tls")
    with smtp_server(ssl_context=certificates.server_context()) as server:
        settings = smtp(settings, server.port, smtp_security="tls")
        queue(store)
        (delivery,) = outbox_delivery.deliver_due(store, settings)
    assert delivery.error.startswith(
        f"The TLS certificate of {HOST}:{server.port} is not trusted: "
    )
    assert server.envelopes == []
    (row,) = outbox(store)
    assert (row["sent_at"], row["attempts"]) == (None, 1)


def test_the_waits_between_attempts_come_from_the_environment():
    chosen = Settings.from_env(
        {"BULKPOC_MAIL_RETRY_SECONDS": "10", "BULKPOC_MAIL_RETRY_MAX_SECONDS": "25"}
    )
    assert [outbox_delivery.retry_delay(chosen, attempts) for attempts in (1, 2, 3, 4)] == [
        10,
        20,
        25,
        25,
    ]
