"""One interface to run a submitted batch, whatever the store: in-process or by the queue."""

from __future__ import annotations

from typing import Protocol

from bulkpoc.config import Settings
from bulkpoc.jobs.tasks import run_batch
from bulkpoc.store.db import Store


class JobQueue(Protocol):
    """Where submitted batches go to be processed."""

    def enqueue(self, batch_id: int) -> None:
        """Have the batch processed: now, here (SQLite), or by a worker (PostgreSQL)."""
        ...


class InProcessQueue:
    """SQLite: the batch runs at once in this process, one batch at a time."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings

    def enqueue(self, batch_id: int) -> None:
        run_batch(self.store, self.settings, batch_id)


def queue_for(store: Store, settings: Settings) -> JobQueue:
    """The queue the store calls for: procrastinate on PostgreSQL, this process on SQLite."""
    if store.engine.dialect.name == "postgresql":
        from bulkpoc.jobs.worker import ProcrastinateQueue

        return ProcrastinateQueue(store.url)
    return InProcessQueue(store, settings)
