"""What a batch leaves behind: its reports, its recorded result and its results email.

The HTML report, the error file and changes.csv are written in the batch's folder; the email is
kept in the outbox in the transaction that records the result, and sent once that has
committed. A result that cannot be recorded with the batch's own transaction is recorded apart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from bulkpoc.batch.progress import Progress
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.result import BatchResult
from bulkpoc.formats.base import RawTable
from bulkpoc.output import changes, changes_csv, mail, report
from bulkpoc.output.delivery import Delivery, deliver_due
from bulkpoc.store.batches import Waiting
from bulkpoc.store.db import Store, utcnow

if TYPE_CHECKING:
    from bulkpoc.output.changes_csv import KeptLines


def finish(
    result: BatchResult,
    raw: RawTable | None,
    options: ImportOptions,
    settings: Settings,
    progress: Progress,
    connection: Connection | None = None,
    kept: KeptLines | None = None,
) -> None:
    """Write the error file, changes.csv (the lines made as apply wrote, ``kept``, or else
    from the change records ``connection`` sees) and the HTML report."""
    progress("report", 0, 1)
    result.finished_at = utcnow()
    folder = _report_folder(result, options, settings)
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(result.file_name).stem or "upload"
    error_file = report.write_error_file(result, raw, folder, stem) if raw is not None else None
    result.reports.error_file = str(error_file) if error_file else None
    first: list[changes.ChangeLine] = []
    if connection is not None and result.batch_id is not None and _changed(result):
        written = changes_csv.write_changes_file(connection, result.batch_id, folder, kept)
        result.reports.changes = str(written) if written else None
        first = changes.first_lines(connection, result.batch_id)
    result.reports.html = str(report.write_html_report(result, folder, first))
    progress("report", 1, 1)


def _changed(result: BatchResult) -> bool:
    return result.changes is not None and not result.changes.empty


def keep_error_file(store: Store, connection: Connection, result: BatchResult) -> None:
    """The error file is kept in the store too, so any process on any machine can serve it."""
    if result.batch_id is None or not result.reports.error_file:
        return
    path = Path(result.reports.error_file)
    store.keep_batch_file(connection, result.batch_id, "errors", path.name, path.read_bytes())


def _report_folder(result: BatchResult, options: ImportOptions, settings: Settings) -> Path:
    return (options.report_dir or settings.report_dir) / f"batch-{result.batch_id}"


def queue_email(
    connection: Connection, result: BatchResult, options: ImportOptions, settings: Settings
) -> int | None:
    """Keep the results email in the outbox, in the transaction that records the result."""
    recipients = list(dict.fromkeys(options.notify))
    if not recipients:
        return None
    error_file = Path(result.reports.error_file) if result.reports.error_file else None
    first = (
        changes.first_lines(connection, result.batch_id)
        if result.batch_id is not None and _changed(result)
        else []
    )
    message = mail.build_email(result, settings, recipients, error_file, first)
    message_id = mail.queue_email(connection, result.batch_id, message, recipients)
    result.reports.email = mail.pending(message_id)
    return message_id


def deliver(
    store: Store,
    result: BatchResult,
    options: ImportOptions,
    settings: Settings,
    waiting: Waiting,
    message_id: int | None,
) -> None:
    """Send the results email once the batch has committed; a failure to send is a warning."""
    if message_id is None:
        return
    try:
        deliveries = deliver_due(store, settings, only=[message_id], waiting=waiting)
    except StoreBusy as busy:
        deliveries = [Delivery(message_id, result.batch_id, [], error=str(busy).rstrip("."))]
    # Empty when another process took the message meanwhile: that process sends it.
    for delivery in deliveries:
        if delivery.sent:
            result.reports.email = delivery.destination
            continue
        result.warnings.append(
            f"The results email could not be sent yet: {delivery.error}; "
            "it is kept in the outbox and will be retried."
        )
        first: list[changes.ChangeLine] = []
        if result.batch_id is not None and _changed(result):
            with store.engine.connect() as connection:
                first = changes.first_lines(connection, result.batch_id)
        report.write_html_report(result, _report_folder(result, options, settings), first)
        record_apart(store, result, waiting)


def record_apart(
    store: Store,
    result: BatchResult,
    waiting: Waiting,
    queue: Callable[[Connection], int | None] | None = None,
) -> int | None:
    """Record the result outside the batch's transaction (and ``queue`` its email in the same
    transaction); the store may still be busy."""

    def record(connection: Connection) -> int | None:
        message_id = queue(connection) if queue else None
        store.record_result(result, connection=connection)
        return message_id

    try:
        return store.write_when_free(record, waiting)
    except StoreBusy as busy:
        result.warnings.append(f"The run history could not record this outcome: {busy}")
        if queue is not None:
            result.reports.email = None  # queued in the transaction that rolled back
        return None
