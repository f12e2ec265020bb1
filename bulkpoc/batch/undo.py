"""Undo: take an applied batch back, as a new batch through the same engine as an upload.

An undo is a batch like any other (source ``undo``, its options say which batch it
``reverts``), submitted to the job layer and run by whichever process takes it. Its rows are
not read from a file: ``rows`` builds them in the batch's transaction, under the store's lock,
from the undone batch's change records (``undo_rows``), and validate, plan and apply check and
write them as they would a file's, every rule and permission included. Applied, it records
that it reverted the batch; the database keeps that link unique, so a batch is undone once.
"""

from __future__ import annotations

import io
from typing import Any

from bulkpoc.batch.progress import Progress
from bulkpoc.batch.run import run
from bulkpoc.batch.submit import submit, unrecorded_failure
from bulkpoc.batch.undo_rows import refusal
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import BulkpocError, StoreBusy
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.result import BatchResult
from bulkpoc.store.db import Store

SOURCE = "undo"


def check(store: Store, batch_id: int) -> BulkpocError | None:
    """``refusal``, read outside any batch: what the CLI, the web UI and the API ask first."""
    with store.engine.connect() as connection:
        return refusal(connection, batch_id)


def undo_options(store: Store, batch_id: int, **chosen: Any) -> ImportOptions:
    """The options of the undo of ``batch_id``: its record type, source ``undo``, and
    ``chosen`` (``dry_run``, ``overwrite`` for Force, ``user``, ``notify``, ``report_dir``)."""
    batch = store.batch(batch_id)
    record_type = batch["record_type"] if batch else "poc"
    return ImportOptions(
        record_type=record_type,
        file_type="csv",
        source=SOURCE,
        reverts=batch_id,
        display_name=f"undo-batch-{batch_id}.csv",
        **chosen,
    )


def placeholder(options: ImportOptions) -> io.BytesIO:
    """What the run history keeps as an undo's file: a line naming the batch it reverts (the
    rows themselves are built when it runs, from the store as it is then)."""
    stream = io.BytesIO(f"bulkpoc undo of batch {options.reverts}\n".encode())
    stream.name = options.display_name or "undo.csv"
    return stream


def run_undo(
    store: Store,
    batch_id: int,
    options: ImportOptions,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Undo batch ``batch_id`` here and now: what ``bulkpoc undo`` does."""
    settings = settings or Settings.from_env()
    stream = placeholder(options)
    refused = check(store, batch_id)
    if refused is not None:
        return unrecorded_failure(stream, options, refused)
    try:
        undo_id = submit(store, stream, options, settings, progress, run_here=True)
    except StoreBusy as busy:
        return unrecorded_failure(stream, options, busy)
    batch = store.batch(undo_id)
    assert batch is not None
    return run(store, batch, settings, progress, lambda: placeholder(options))
