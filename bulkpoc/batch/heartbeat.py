"""A running batch tells the store what it is doing, and that it is alive, from a thread.

Any process can then show its progress, and a batch whose process died is told from one that
is merely busy. Writes are best-effort and brief: while the batch itself holds SQLite's write
lock they are skipped, and the batch never waits for them.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError

from bulkpoc.batch.progress import ProgressReport
from bulkpoc.store.db import Store

PROGRESS_SECONDS = 1.0  # how often a change of stage or count reaches the store


class Heartbeat:
    """Use as a context manager around a batch; pass ``progress`` as (part of) its ``Progress``."""

    def __init__(self, store: Store, batch_id: int, every: float) -> None:
        self.store, self.batch_id, self.every = store, batch_id, every
        self._latest: ProgressReport | None = None
        self._sent: ProgressReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bulkpoc-heartbeat", daemon=True)

    def progress(self, stage: str, done: int, total: int, /, detail: str = "") -> None:
        self._latest = ProgressReport(stage, done, total, detail[:200])

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last_beat = time.monotonic()
        while not self._stop.wait(min(PROGRESS_SECONDS, self.every)):
            latest = self._latest
            due = time.monotonic() - last_beat >= self.every
            if latest == self._sent and not due:
                continue
            values = {}
            if latest is not None:
                stage, done, total, detail = latest
                values = {
                    "stage": stage,
                    "stage_done": done,
                    "stage_total": total,
                    "stage_detail": detail or None,
                }
            try:
                self.store.report_progress(self.batch_id, **values)
            except SQLAlchemyError:
                continue  # the store is busy with this very batch; say it next time
            self._sent, last_beat = latest, time.monotonic()
