"""What a worker does with a batch, on either backend."""

from __future__ import annotations

from bulkpoc.config import Settings
from bulkpoc.pipeline import process
from bulkpoc.result import BatchResult
from bulkpoc.store.db import Store


def run_batch(store: Store, settings: Settings, batch_id: int) -> BatchResult:
    """Process the batch, then file its inbox file (if it came from one) by its outcome."""
    result = process(store, batch_id, settings)
    batch = store.batch(batch_id)
    if batch is not None and batch["inbox_path"] and result.status.finished:
        from bulkpoc.jobs.inbox import file_away

        file_away(store, batch, result.status)
    return result


def housekeeping(store: Store, settings: Settings) -> list[int]:
    """Mark interrupted the batches whose process died; return their ids."""
    return store.interrupt_dead_batches(settings.stale_after_seconds)
