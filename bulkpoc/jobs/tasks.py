"""What a worker does with a batch, on either backend."""

from __future__ import annotations

import logging

from bulkpoc.batch.submit import process
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.options import Progress
from bulkpoc.domain.result import BatchResult
from bulkpoc.output.mail import deliver_due
from bulkpoc.store.db import Store, Waiting

log = logging.getLogger("bulkpoc.jobs")
HOUSEKEEPING_PATIENCE = 5.0  # seconds a pass waits for a busy store before leaving mail for later


def run_batch(
    store: Store, settings: Settings, batch_id: int, progress: Progress | None = None
) -> BatchResult:
    """Process the batch, then file its inbox file (if it came from one) by its outcome."""
    result = process(store, batch_id, settings, progress)
    log.info("%s", result.summary())
    batch = store.batch(batch_id)
    if batch is not None and batch["inbox_path"] and result.status.finished:
        from bulkpoc.schedules.inbox import file_away

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
