"""One interface to run a submitted batch, whatever the store: in-process or by the queue."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, BinaryIO, Protocol

from bulkpoc.batch.progress import ProgressReport
from bulkpoc.batch.submit import submit
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.options import ImportOptions
from bulkpoc.formats.base import Source
from bulkpoc.jobs.spool import Spool
from bulkpoc.jobs.tasks import run_batch
from bulkpoc.store.db import Store

log = logging.getLogger("bulkpoc.jobs")


class JobQueue(Protocol):
    """Where submitted batches go to be processed."""

    def submit(
        self,
        source: Source,
        options: ImportOptions,
        settings: Settings | None = None,
        **recorded: Any,
    ) -> int:
        """Record the batch (``batch.submit.submit``) and have it processed exactly once: a
        new batch is enqueued, and the batch an earlier upload with the same ``upload_id``
        became is only returned (it is in the queue already)."""
        ...

    def enqueue(self, batch_id: int) -> None:
        """Have a recorded batch processed: now, here (SQLite), or by a worker (PostgreSQL)."""
        ...


class LocalQueue:
    """SQLite's queues: ``submit`` records the batch, then enqueues it if it is new (the
    batch an earlier upload with the same ``upload_id`` became is in the queue already)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings

    def submit(
        self,
        source: Source,
        options: ImportOptions,
        settings: Settings | None = None,
        **recorded: Any,
    ) -> int:
        new: list[int] = []
        batch_id = submit(
            self.store,
            source,
            options,
            settings or self.settings,
            then=lambda _, recorded_id: new.append(recorded_id),
            **recorded,
        )
        if batch_id in new:
            self.enqueue(batch_id)
        return batch_id

    def enqueue(self, batch_id: int) -> None:
        raise NotImplementedError


class InProcessQueue(LocalQueue):
    """SQLite: the batch runs at once in this process, one batch at a time."""

    def enqueue(self, batch_id: int) -> None:
        run_batch(self.store, self.settings, batch_id)


class ThreadQueue(LocalQueue):
    """SQLite under ``bulkpoc serve``: one background thread runs the batches, one at a time,
    so a page returns at once and follows the batch's progress.

    An upload that arrives while a batch holds SQLite's write lock waits in the ``spool`` on
    disk, and this thread records it as a batch once the store is free. On start the thread
    also takes the batches and uploads left waiting by a server that stopped. While a batch
    runs, ``progress_of`` tells its stage even when the write lock keeps the store from
    hearing it.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self.spool = Spool.beside(store)
        self._waiting: queue.Queue[int | str | None] = queue.Queue()
        self._progress: dict[int, ProgressReport] = {}
        self._thread = threading.Thread(target=self._run, name="bulkpoc-batches", daemon=True)

    def start(self) -> None:
        for batch in reversed(self.store.history(status="queued")):
            self._waiting.put(batch["id"])
        for key in self.spool.waiting():
            self._waiting.put(key)
        self._thread.start()

    def stop(self) -> None:
        """Let the running batch finish, then end the thread."""
        self._waiting.put(None)
        self._thread.join()

    def enqueue(self, batch_id: int) -> None:
        self._waiting.put(batch_id)

    def hold(self, key: str, stream: BinaryIO, options: ImportOptions) -> None:
        """Keep an upload the store cannot record yet; it is recorded and run in its turn."""
        self.spool.put(key, stream, options)
        self._waiting.put(key)

    def progress_of(self, batch_id: int) -> ProgressReport | None:
        """The stage of the batch this thread is running, if it is that one."""
        return self._progress.get(batch_id)

    def _run(self) -> None:
        while (item := self._waiting.get()) is not None:
            try:
                batch_id = self._record(item) if isinstance(item, str) else item
                if batch_id is not None:
                    self._process(batch_id)
            except Exception:  # a bug in one batch must not stop the others
                log.exception("Batch or upload %s failed", item)

    def _record(self, key: str) -> int | None:
        """The queued batch a spooled upload becomes; None if there is nothing to run."""
        options = self.spool.options(key)
        if options is None:  # sent twice, and already recorded
            return None
        try:
            batch_id = submit(self.store, self.spool.content(key), options, self.settings)
        except StoreBusy:  # another process held the store all along: try again in turn
            log.warning("Upload %s still waits: %s", key, "the store stayed busy")
            self._waiting.put(key)
            return None
        self.spool.remove(key)
        batch = self.store.batch(batch_id)
        return batch_id if batch is not None and batch["status"] == "queued" else None

    def _process(self, batch_id: int) -> None:
        def heard(stage: str, done: int, total: int, /, detail: str = "") -> None:
            self._progress[batch_id] = ProgressReport(stage, done, total, detail)

        try:
            run_batch(self.store, self.settings, batch_id, heard)
        finally:
            self._progress.pop(batch_id, None)


def queue_for(store: Store, settings: Settings) -> JobQueue:
    """The queue the store calls for: procrastinate on PostgreSQL, this process on SQLite."""
    if store.engine.dialect.name == "postgresql":
        # procrastinate (with psycopg) only on PostgreSQL: a SQLite store never loads it.
        from bulkpoc.jobs.worker import ProcrastinateQueue

        return ProcrastinateQueue(store, settings)
    return InProcessQueue(store, settings)
