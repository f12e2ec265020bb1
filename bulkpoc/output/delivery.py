"""Delivering the outbox's results emails, by SMTP, or as an ``.eml`` file in the outbox folder
when no SMTP host is set (``output.mail`` builds and queues them).

``deliver_due`` sends what is due: the batch's own process calls it at once for its message,
the scheduler and the workers on every pass. A sender claims a message before it sends it, by
setting ``claimed_until`` (PostgreSQL: on the row it selected ``FOR UPDATE SKIP LOCKED``;
SQLite: a conditional update), and no other sender takes a claimed message, whatever its
flags, so two processes never send it together. A failure keeps it and sets its next attempt,
the wait doubling each time up to ``mail_retry_max_seconds``. Nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select

from bulkpoc.config import Settings
from bulkpoc.output.mail import pending
from bulkpoc.store import schema
from bulkpoc.store.batches import Waiting
from bulkpoc.store.db import Store, utcnow

# How long a claimed message is left to the process sending it: an SMTP conversation is a few
# exchanges, each allowed ``smtp_timeout``. A process that dies meanwhile leaves it for later.
LEASE_TIMEOUTS = 10


@dataclass(frozen=True)
class Delivery:
    """What one attempt to deliver one message did."""

    message_id: int
    batch_id: int | None
    recipients: list[str]
    destination: str | None = None  # where it went, once sent
    error: str | None = None  # why it was not sent, in one sentence
    next_attempt_at: dt.datetime | None = None  # when it is tried again, if not sent

    @property
    def sent(self) -> bool:
        return self.error is None


class NotSent(Exception):
    """The message could not be delivered; ``reason`` says why in one sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def deliver_due(
    store: Store,
    settings: Settings,
    now: dt.datetime | None = None,
    only: Iterable[int] | None = None,
    *,
    ignore_backoff: bool = False,
    waiting: Waiting | None = None,
) -> list[Delivery]:
    """Try every pending message due at ``now`` (naive UTC; default: now), or only ``only``.

    For the scheduler and the workers on every pass, and ``bulkpoc outbox send``.
    ``ignore_backoff`` tries every pending message, due or not, but never one another sender
    has claimed and not finished with: that one is left to it. Each message is tried once per
    call. Returns what was tried, sent or not. Each claim and each
    outcome is a short write; on SQLite it waits for the store as a batch does (``waiting``,
    default ``lock_timeout``) and raises ``StoreBusy`` once that passes.
    """
    now = now or utcnow()
    waiting = waiting or Waiting(settings.lock_timeout)
    lease_until = now + dt.timedelta(seconds=LEASE_TIMEOUTS * settings.smtp_timeout)
    wanted = None if only is None else list(only)
    tried: list[int] = []  # each message once per call, even one that failed and is still due
    deliveries: list[Delivery] = []
    while True:
        claimable = _claimable(now, wanted, tried, ignore_backoff)
        message = store.write_when_free(partial(_claim, claimable, lease_until), waiting)
        if message is None:
            return deliveries
        tried.append(message["id"])
        deliveries.append(_attempt(store, settings, message, now, waiting))


def retry_delay(settings: Settings, attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones: doubling, then capped."""
    doubling = settings.mail_retry_seconds * 2 ** min(max(attempts - 1, 0), 32)
    return min(doubling, settings.mail_retry_max_seconds)


def _claimable(
    now: dt.datetime, only: list[int] | None, tried: list[int], ignore_backoff: bool
) -> list[ColumnElement[bool]]:
    """What makes a message this sender's to take: not sent, claimed by no live sender, due
    (unless ``ignore_backoff``), among ``only`` and not tried yet."""
    outbox = schema.outbox
    conditions = [
        outbox.c.sent_at.is_(None),
        or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
    ]
    if not ignore_backoff:
        conditions.append(outbox.c.next_attempt_at <= now)
    if only is not None:
        conditions.append(outbox.c.id.in_(only))
    if tried:
        conditions.append(outbox.c.id.not_in(tried))
    return conditions


def _claim(
    claimable: list[ColumnElement[bool]], lease_until: dt.datetime, connection: Connection
) -> dict[str, Any] | None:
    """Claim the oldest message that is ``claimable`` until ``lease_until``; None if none is.

    PostgreSQL locks the row it picks and skips those other senders hold; on SQLite, where
    each write has the store to itself, the update repeats the conditions, so of two senders
    that picked the same message only the first takes it.
    """
    outbox = schema.outbox
    pick = select(outbox).where(*claimable).order_by(outbox.c.id).limit(1)
    if connection.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    row = connection.execute(pick).first()
    if row is None:
        return None
    claimed = connection.execute(
        outbox.update().where(outbox.c.id == row.id, *claimable).values(claimed_until=lease_until)
    )
    if claimed.rowcount != 1:
        return None
    return {**row._mapping, "claimed_until": lease_until}


def _attempt(
    store: Store, settings: Settings, message: dict[str, Any], now: dt.datetime, waiting: Waiting
) -> Delivery:
    attempts = message["attempts"] + 1
    about = {
        "message_id": message["id"],
        "batch_id": message["batch_id"],
        "recipients": message["recipients"],
    }
    try:
        destination, note = _send(message, settings, now)
    except NotSent as failure:
        retry_at = now + dt.timedelta(seconds=retry_delay(settings, attempts))
        _record(
            store,
            waiting,
            message,
            attempts=attempts,
            last_error=failure.reason,
            next_attempt_at=retry_at,
            claimed_until=None,
        )
        return Delivery(**about, error=failure.reason, next_attempt_at=retry_at)
    _record(
        store,
        waiting,
        message,
        attempts=attempts,
        last_error=note,
        sent_at=now,
        destination=destination,
        claimed_until=None,
    )
    return Delivery(**about, destination=destination)


def _record(store: Store, waiting: Waiting, message: dict[str, Any], **values: Any) -> None:
    """Record an attempt; once sent, the batch's run history says where the email went."""
    outbox, batches = schema.outbox, schema.batches

    def write(connection: Connection) -> None:
        connection.execute(outbox.update().where(outbox.c.id == message["id"]).values(**values))
        if values.get("destination") and message["batch_id"] is not None:
            connection.execute(
                batches.update()
                .where(
                    batches.c.id == message["batch_id"],
                    batches.c.email_path == pending(message["id"]),
                )
                .values(email_path=values["destination"])
            )

    store.write_when_free(write, waiting)


def _send(message: dict[str, Any], settings: Settings, now: dt.datetime) -> tuple[str, str | None]:
    """Deliver one message; where it went, and a note on recipients the server refused."""
    if not settings.smtp_host:
        return _write_eml(message, settings.outbox_dir, now), None
    return _send_smtp(message, settings, settings.smtp_host, settings.effective_smtp_port)


def _write_eml(message: dict[str, Any], folder: Path, now: dt.datetime) -> str:
    owner = f"batch-{message['batch_id']}" if message["batch_id"] is not None else "message"
    path = folder / f"{owner}-{now:%Y%m%dT%H%M%S}.eml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path = path.with_name(f"{path.stem}-{message['id']}.eml")
        path.write_bytes(message["message"])
    except OSError as error:
        raise NotSent(f"Cannot write the email into {folder}: {error.strerror or error}") from None
    return str(path)


def _send_smtp(
    message: dict[str, Any], settings: Settings, host: str, port: int
) -> tuple[str, str | None]:
    context = None
    if settings.smtp_security != "none":
        ca_file = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
        context = ssl.create_default_context(cafile=ca_file)
    try:
        smtp = (
            smtplib.SMTP_SSL(host, port, timeout=settings.smtp_timeout, context=context)
            if settings.smtp_security == "tls"
            else smtplib.SMTP(host, port, timeout=settings.smtp_timeout)
        )
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=context)
            if settings.smtp_user:
                password = settings.smtp_password
                smtp.login(settings.smtp_user, password.get_secret_value() if password else "")
            refused = smtp.sendmail(settings.mail_from, message["recipients"], message["message"])
    except (OSError, smtplib.SMTPException) as error:
        raise NotSent(describe(error, host, port, settings)) from None
    note = None
    if refused:
        note = "The server refused " + "; ".join(
            f"{address} ({_reply(*reply)})" for address, reply in refused.items()
        )
    return f"smtp://{host}:{port}", note


def describe(error: OSError, host: str, port: int, settings: Settings) -> str:
    """Why the SMTP server did not take the message, in one sentence without a final stop."""
    where = f"{host}:{port}"
    if isinstance(error, ConnectionRefusedError):
        return f"Connection refused by {where}"
    if isinstance(error, socket.gaierror):
        return f"Cannot find the SMTP host {host}: {error.strerror}"
    # smtplib reports a reply that never came as a closed connection, the timeout its cause.
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return f"{where} did not answer within {settings.smtp_timeout:g} seconds"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"The TLS certificate of {where} is not trusted: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS with {where} failed: {error.reason or error}"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        wanted = "STARTTLS" if "STARTTLS" in str(error) else "a login (SMTP AUTH)"
        return f"{where} does not offer {wanted}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"{where} refused the login of {settings.smtp_user}: {_reply(*error.args)}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{a} ({_reply(*r)})" for a, r in error.recipients.items())
        return f"{where} refused every recipient: {refused}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        reply = _reply(error.smtp_code, error.smtp_error)
        return f"{where} refused the sender {error.sender}: {reply}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{where} answered {_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection unexpectedly"
    return f"Cannot reach {where}: {error.strerror or error}"


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"
