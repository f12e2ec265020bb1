"""What a worker does with a batch, on either backend."""

from __future__ import annotations

import logging

from bulkpoc.config import Settings
from bulkpoc.pipeline import process
from bulkpoc.result import BatchResult
from bulkpoc.store.db import Store

log = logging.getLogger("bulkpoc.jobs")


def run_batch(store: Store, settings: Settings, batch_id: int) -> BatchResult:
    """Process the batch, then file its inbox file (if it came from one) by its outcome."""
    result = process(store, batch_id, settings)
    log.info("%s", result.summary())
    batch = store.batch(batch_id)
    if batch is not None and batch["inbox_path"] and result.status.finished:
        from bulkpoc.jobs.inbox import file_away

        file_away(store, batch, result.status)
    return result


def housekeeping(store: Store, settings: Settings) -> list[int]:
    """Mark interrupted the batches whose process died; return their ids."""
    interrupted = store.interrupt_dead_batches(settings.stale_after_seconds)
    for batch_id in interrupted:
        log.warning("Batch %s was interrupted: its process stopped before it finished.", batch_id)
    return interrupted
