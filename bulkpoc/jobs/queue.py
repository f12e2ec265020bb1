"""One interface to run a submitted batch, whatever the store: in-process or by the queue."""

from __future__ import annotations

import logging
import queue
import threading
from typing import NamedTuple, Protocol

from bulkpoc.config import Settings
from bulkpoc.jobs.tasks import run_batch
from bulkpoc.store.db import Store


class Stage(NamedTuple):
    """What a running batch is doing: ``done`` of ``total`` in ``stage``."""

    stage: str
    done: int
    total: int
    detail: str = ""


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


class ThreadQueue:
    """SQLite under ``bulkpoc serve``: one background thread runs the batches, one at a time,
    so a page returns at once and follows the batch's progress.

    On start it also takes the batches left queued by a server that stopped. While a batch
    runs, ``progress_of`` tells its stage even when SQLite's write lock keeps the store from
    hearing it.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self._waiting: queue.Queue[int | None] = queue.Queue()
        self._progress: dict[int, Stage] = {}
        self._thread = threading.Thread(target=self._run, name="bulkpoc-batches", daemon=True)

    def start(self) -> None:
        for batch in reversed(self.store.history(status="queued")):
            self._waiting.put(batch["id"])
        self._thread.start()

    def stop(self) -> None:
        """Let the running batch finish, then end the thread."""
        self._waiting.put(None)
        self._thread.join()

    def enqueue(self, batch_id: int) -> None:
        self._waiting.put(batch_id)

    def progress_of(self, batch_id: int) -> Stage | None:
        """The stage of the batch this thread is running, if it is that one."""
        return self._progress.get(batch_id)

    def _run(self) -> None:
        while (batch_id := self._waiting.get()) is not None:

            def heard(stage: str, done: int, total: int, /, detail: str = "") -> None:
                self._progress[batch_id] = Stage(stage, done, total, detail)

            try:
                run_batch(self.store, self.settings, batch_id, heard)
            except Exception:  # a bug in one batch must not stop the others
                logging.getLogger("bulkpoc.jobs").exception("Batch %s failed", batch_id)
            finally:
                self._progress.pop(batch_id, None)


def queue_for(store: Store, settings: Settings) -> JobQueue:
    """The queue the store calls for: procrastinate on PostgreSQL, this process on SQLite."""
    if store.engine.dialect.name == "postgresql":
        from bulkpoc.jobs.worker import ProcrastinateQueue

        return ProcrastinateQueue(store.url)
    return InProcessQueue(store, settings)
