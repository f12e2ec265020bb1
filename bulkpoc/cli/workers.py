"""``bulkpoc worker`` and ``bulkpoc rerun``: running queued batches, and running one again."""

from __future__ import annotations

import sys

import click

from bulkpoc.cli.app import EXIT_CODES, Context, cli, user_errors
from bulkpoc.domain.errors.types import BulkpocError

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).


@cli.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    help="Batches this worker runs at once (default: $BULKPOC_WORKER_CONCURRENCY, else 1). "
    "Batches apply one at a time whatever the number; more overlap reading and checking.",
)
@click.option(
    "--until-empty",
    is_flag=True,
    help="Exit once the queue is empty instead of waiting for more batches.",
)
@click.pass_obj
def worker(obj: Context, concurrency: int | None, until_empty: bool) -> None:
    """Run queued batches (PostgreSQL stores): start one or more per machine.

    Each batch runs on exactly one worker. SIGTERM or Ctrl-C stops taking new batches and
    exits when the running ones have finished.
    """
    with user_errors():
        store = obj.store()
        if store.engine.dialect.name != "postgresql":
            raise BulkpocError(
                "`bulkpoc worker` needs a PostgreSQL store; on SQLite, `bulkpoc scheduler` "
                "runs batches in its own process."
            )
    from bulkpoc.jobs.worker import run_worker

    _log_to_stderr()
    click.echo(f"Worker started on {store.display_url}.", err=True)
    run_worker(
        store,
        obj.settings,
        concurrency or obj.settings.worker_concurrency,
        wait=not until_empty,
    )
    click.echo("Worker stopped.", err=True)


@cli.command()
@click.argument("batch_id", metavar="BATCH", type=int)
@click.pass_obj
def rerun(obj: Context, batch_id: int) -> None:
    """Run an interrupted batch again, from the file the store kept.

    On PostgreSQL a worker runs it; on SQLite it runs here and now.
    """
    from bulkpoc.jobs.queue import queue_for

    with user_errors():
        store = obj.store()
        store.interrupt_dead_batches(obj.settings.stale_after_seconds)
        batch = store.batch(batch_id)
        if batch is None:
            raise BulkpocError(f"There is no batch {batch_id}.")
        if not store.requeue_batch(batch_id):
            raise BulkpocError(
                f"Batch {batch_id} is {batch['status'].replace('_', ' ')}; only an interrupted "
                "batch can be run again (upload the file again instead)."
            )
        queue = queue_for(store, obj.settings)
        queue.enqueue(batch_id)
    batch = store.batch(batch_id)
    assert batch is not None
    if batch["status"] == "queued":
        click.echo(f"Batch {batch_id} is queued; a worker will run it.")
        return
    from bulkpoc.batch.submit import load_result

    result = load_result(store, batch_id)
    click.echo(result.summary())
    sys.exit(EXIT_CODES.get(result.status, 3))


def _log_to_stderr() -> None:
    """One line per batch (and per interrupted batch) on stderr; the queue's own chatter only
    when something goes wrong."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("bulkpoc.jobs").setLevel(logging.INFO)
