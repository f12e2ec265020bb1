"""What a worker does with a batch, on either backend."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bulkpoc.batch.applying import run_new_preview
from bulkpoc.batch.progress import Progress
from bulkpoc.batch.submit import process
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.jobs.unread import free_name, keep_unread
from bulkpoc.output.delivery import deliver_due
from bulkpoc.store.batches import Waiting
from bulkpoc.store.db import Store

log = logging.getLogger("bulkpoc.jobs")
# Where an inbox file waits while its batch runs, and where it goes by the batch's outcome.
PROCESSING, PROCESSED, FAILED = "processing", "processed", "failed"
FOLDER_FOR = {
    BatchStatus.SUCCEEDED: PROCESSED,
    BatchStatus.COMPLETED_WITH_ERRORS: PROCESSED,
    BatchStatus.DUPLICATE: PROCESSED,
    BatchStatus.FAILED: FAILED,
}
HOUSEKEEPING_PATIENCE = 5.0  # seconds a pass waits for a busy store before leaving mail for later


def run_batch(
    store: Store, settings: Settings, batch_id: int, progress: Progress | None = None
) -> BatchResult:
    """Process the batch, then file its inbox file (if it came from one) by its outcome. A
    batch that applied nothing because its dry run's plan had changed queued a new dry run:
    it runs here next."""
    result = process(store, batch_id, settings, progress)
    log.info("%s", result.summary())
    new_preview = run_new_preview(store, batch_id, settings, progress)
    if new_preview is not None:
        log.info("%s", new_preview.summary())
    batch = store.batch(batch_id)
    if batch is not None and batch["inbox_path"] and result.status.finished:
        file_away(store, batch, result.status)
    return result


def housekeeping(store: Store, settings: Settings) -> list[int]:
    """What the scheduler and the workers do on every pass: mark interrupted the batches whose
    process died (returning their ids), and retry the results emails that are due."""
    interrupted = store.interrupt_dead_batches(settings.stale_after_seconds)
    for batch_id in interrupted:
        log.warning("Batch %s was interrupted: its process stopped before it finished.", batch_id)
    try:
        deliveries = deliver_due(store, settings, waiting=Waiting(HOUSEKEEPING_PATIENCE))
    except StoreBusy:
        return interrupted  # a batch is writing; the next pass tries again
    for delivery in deliveries:
        if delivery.sent:
            log.info("Results email %s sent to %s.", delivery.message_id, delivery.destination)
        else:
            log.warning(
                "Results email %s not sent: %s; next try at %s UTC.",
                delivery.message_id,
                delivery.error,
                delivery.next_attempt_at,
            )
    return interrupted


def file_away(store: Store, batch: dict, status: BatchStatus) -> Path | None:
    """Move a batch's inbox file from ``processing/`` to ``processed/`` or ``failed/``, as
    ``<batch id>-<name>``, and record where it went.

    An interrupted batch's file stays in ``processing/`` until the batch runs again. A file
    that changed after the batch read it is first put back as it was read, what was added
    left in the inbox for the next pass (``unread``).
    """
    source = Path(batch["inbox_path"])
    folder = FOLDER_FOR.get(status)
    if folder is None or source.parent.name != PROCESSING:
        return None
    warning = keep_unread(store, batch, source)
    if warning is not None:
        log.warning("Batch %s: %s", batch["id"], warning)
    target = free_name(source.parent.parent / folder, f"{batch['id']}-{batch['file_name']}")
    try:
        os.rename(source, target)
    except FileNotFoundError:
        log.warning("Batch %s: its file %s is gone, so it was not filed.", batch["id"], source)
        return None
    store.update_batch(batch["id"], inbox_path=str(target))
    return target
