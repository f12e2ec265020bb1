"""The results email: built from a batch's result and kept in the store's outbox, in the
batch's own transaction, so a batch that committed always has it (``output.delivery`` sends
it, by SMTP or as an ``.eml`` file).
"""

from __future__ import annotations

import email.policy
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from bulkpoc.config import Settings
from bulkpoc.domain.result import BatchResult
from bulkpoc.output import changes as changes_file
from bulkpoc.output.changes import ChangeLine
from bulkpoc.output.report import render
from bulkpoc.store import schema
from bulkpoc.store.db import Store, utcnow

ATTACHMENT_TYPES = {
    ".csv": ("text", "csv"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".zip": ("application", "zip"),
}


def subject(result: BatchResult) -> str:
    """Status, file name and counts, so the inbox alone tells how the batch went."""
    c = result.counts
    label = "Awaiting approval" if awaiting_approval(result) else result.status.label
    status = label + (" (dry run)" if result.dry_run else "")
    batch = f" (batch {result.batch_id})" if result.batch_id is not None else ""
    return one_line(
        f"[bulkpoc] {status}: {result.file_name}{batch}: {c.total} rows, "
        f"{c.created} created, {c.updated} updated, {c.failed} failed"
    )


def build_email(
    result: BatchResult,
    settings: Settings,
    recipients: list[str],
    attachment: Path | None,
    changes: Sequence[ChangeLine] = (),
) -> EmailMessage:
    """Text and HTML rendered from the result and the first of its ``changes``, with the
    error file attached when rows failed and changes.csv (or, if large, compressed) when
    records changed."""
    message = EmailMessage()
    message["Subject"] = subject(result)
    message["From"] = settings.mail_from
    message["To"] = ", ".join(one_line(address) for address in recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="bulkpoc.local")
    attached, note = None, None
    if result.reports.changes:
        limit = settings.mail_attachment_max_bytes
        attached, note = changes_file.attachment(
            Path(result.reports.changes), limit, result.batch_id
        )
    shown = {
        "changes": changes,
        "changes_note": note,
        "link": batch_link(settings, result),
        "awaiting": awaiting_approval(result),
    }
    # Quoted-printable, so servers without 8BITMIME take non-ASCII names unchanged.
    message.set_content(render("email.txt", result, **shown), cte="quoted-printable")
    html = render("email.html", result, **shown)
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    for path in (attachment, attached):
        if path is not None and path.exists():
            maintype, subtype = ATTACHMENT_TYPES.get(
                path.suffix.lower(), ("application", "octet-stream")
            )
            message.add_attachment(
                path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
            )
    return message


def batch_link(settings: Settings, result: BatchResult) -> str | None:
    """The address of the batch's page in the web UI, from the ``public_url`` setting: never
    from a request's Host, which whoever sends the request chooses."""
    if settings.public_url is None or result.batch_id is None:
        return None
    return f"{settings.public_url}/batches/{result.batch_id}"


def awaiting_approval(result: BatchResult) -> bool:
    """A held file's dry run with a plan to apply: its email asks for approval."""
    return (
        bool(result.options.get("hold_for_approval"))
        and result.dry_run
        and result.status.value in ("succeeded", "completed_with_errors")
    )


def queue_email(
    connection: Connection, batch_id: int | None, message: EmailMessage, recipients: list[str]
) -> int:
    """Keep ``message`` in the outbox, in the caller's transaction, due at once; its id."""
    now = utcnow()
    inserted = connection.execute(
        insert(schema.outbox).values(
            batch_id=batch_id,
            recipients=list(recipients),
            subject=str(message["Subject"]),
            message=message.as_bytes(policy=email.policy.SMTP),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    key = inserted.inserted_primary_key
    assert key is not None, "INSERT returned no primary key"
    return int(key[0])


def pending(message_id: int) -> str:
    """What a batch's ``reports.email`` says until its message is sent."""
    return f"outbox message {message_id}"


def messages(store: Store, include_sent: bool = False) -> list[dict[str, Any]]:
    """The outbox, oldest first, without the messages' bytes: pending ones, or every one."""
    outbox = schema.outbox
    query = select(*(c for c in outbox.c if c.name != "message")).order_by(outbox.c.id)
    if not include_sent:
        query = query.where(outbox.c.sent_at.is_(None))
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def batch_email(store: Store, batch_id: int) -> bytes | None:
    """A batch's results email as it was queued (an RFC 822 message), if it had one."""
    outbox = schema.outbox
    query = (
        select(outbox.c.message)
        .where(outbox.c.batch_id == batch_id)
        .order_by(outbox.c.id.desc())
        .limit(1)
    )
    with store.engine.connect() as connection:
        return connection.scalar(query)


def one_line(text: str) -> str:
    """Header values must not break lines; file names and addresses come from users."""
    return " ".join(text.split())
