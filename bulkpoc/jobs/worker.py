"""Batches as procrastinate jobs on PostgreSQL: any number of workers, on any machines.

procrastinate hands each job to exactly one worker (``SELECT … FOR UPDATE SKIP LOCKED`` on its
own tables, which ``bulkpoc init`` creates). A job carries only the batch id: the file, the
options and the result live in the store. A worker that dies leaves its job stalled and its
batch running; the next worker marks the batch interrupted and closes the job.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

import procrastinate
from procrastinate.jobs import Status
from sqlalchemy import Connection, text

from bulkpoc.batch.submit import submit
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import QueueUnavailable
from bulkpoc.domain.options import ImportOptions
from bulkpoc.formats.base import Source
from bulkpoc.jobs.tasks import housekeeping, run_batch
from bulkpoc.store.db import Store, utcnow

PROCESS_BATCH = "bulkpoc.process_batch"
HOUSEKEEPING = "bulkpoc.housekeeping"
QUEUE = "batches"
NOT_QUEUED = "The job queue could not take the batch, so nothing was stored; send the file again."
log = logging.getLogger("bulkpoc.jobs")


@dataclass
class _WorkerContext:
    store: Store
    settings: Settings


_context: _WorkerContext | None = None


def _conninfo(database_url: str) -> str:
    """psycopg takes libpq URLs; SQLAlchemy's driver suffix is not one."""
    scheme, rest = database_url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else database_url


@cache
def make_app(database_url: str) -> procrastinate.App:
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=_conninfo(database_url))
    )

    @app.task(name=PROCESS_BATCH, queue=QUEUE)
    def process_batch(batch_id: int) -> None:
        context = _worker_context()
        run_batch(context.store, context.settings, batch_id)

    @app.periodic(cron="* * * * *", periodic_id="housekeeping")
    @app.task(name=HOUSEKEEPING, queue=QUEUE, queueing_lock=HOUSEKEEPING)
    async def every_minute(timestamp: int) -> None:
        context = _worker_context()
        await tidy(app, context.store, context.settings)

    return app


def _worker_context() -> _WorkerContext:
    if _context is None:
        raise RuntimeError("bulkpoc jobs run only inside `bulkpoc worker`")
    return _context


async def tidy(app: procrastinate.App, store: Store, settings: Settings) -> list[int]:
    """Mark interrupted the batches of dead workers and close their stalled jobs; queue again
    the queued batches that have no job (their submitter lost the queue before deferring)."""
    stalled = await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.stale_after_seconds
    )
    for job in stalled:
        await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
    for batch_id in await asyncio.to_thread(orphans, store, settings.stale_after_seconds):
        await app.configure_task(PROCESS_BATCH).defer_async(batch_id=batch_id)
    return await asyncio.to_thread(housekeeping, store, settings)


def orphans(store: Store, older_than: float) -> list[int]:
    """Queued batches, submitted more than ``older_than`` seconds ago, that no job will run."""
    query = text(
        "SELECT id FROM batches WHERE status = 'queued' AND submitted_at < :before "
        "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE task_name = :task "
        "AND status IN ('todo', 'doing') AND (args ->> 'batch_id')::int = batches.id) "
        "ORDER BY id"
    )
    before = utcnow() - dt.timedelta(seconds=older_than)
    with store.engine.connect() as connection:
        return list(connection.scalars(query, {"before": before, "task": PROCESS_BATCH}))


class ProcrastinateQueue:
    """PostgreSQL: defer a job that one worker will take.

    A new batch's job is deferred in the transaction that records the batch, any other job on
    a connection of the store's own pool: that pool lives as long as the process (a server's,
    a scheduler's), so nothing is opened or closed per upload and requests at once never close
    each other's connections. The procrastinate app itself is never opened here.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self.app = make_app(store.url)

    def submit(
        self,
        source: Source,
        options: ImportOptions,
        settings: Settings | None = None,
        **recorded: Any,
    ) -> int:
        """Record the batch and defer its job in one transaction: no batch is ever stored
        without its job, and an earlier upload's batch (same ``upload_id``) gets no second."""
        settings = settings or self.settings
        try:
            return submit(self.store, source, options, settings, then=self.defer, **recorded)
        except procrastinate.exceptions.ConnectorException as error:
            log.warning("The job queue did not take a batch: %s", error.__cause__ or error)
            raise QueueUnavailable(NOT_QUEUED) from error

    def enqueue(self, batch_id: int) -> None:
        self.store.write_when_free(lambda connection: self.defer(connection, batch_id))

    def defer(self, connection: Connection, batch_id: int) -> None:
        """Defer the batch's job in ``connection``'s transaction: it exists once that commits."""
        driver = connection.connection.driver_connection
        self.app.configure_task(PROCESS_BATCH, connection=driver).defer(batch_id=batch_id)


def run_worker(store: Store, settings: Settings, concurrency: int, wait: bool) -> None:
    """Take and run jobs until stopped (SIGINT/SIGTERM end it after the running batches);
    without ``wait``, until the queue is empty."""
    global _context
    _context = _WorkerContext(store, settings)
    asyncio.run(_work(make_app(store.url), store, settings, concurrency, wait))


async def _work(
    app: procrastinate.App, store: Store, settings: Settings, concurrency: int, wait: bool
) -> None:
    async with app.open_async():
        await tidy(app, store, settings)
        await app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            wait=wait,
            name="bulkpoc",
            delete_jobs="successful",
        )
