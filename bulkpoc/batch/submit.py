"""The pipeline: read -> validate -> plan -> apply -> report, the same for every record type.

A batch is ``submit``ted (recorded as queued, with its file's bytes kept in the store) and then
``process``ed (running, then its result) by whichever process takes it: the same one for
``bulkpoc import`` (``run_import``), a worker for the scheduler, the web UI and the API. A batch
applies in a single transaction and always ends in a ``BatchResult``: a bad file gives a Failed
result with one clear sentence, never an exception. Only bugs raise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path
from typing import Any

from bulkpoc.batch.progress import Progress, no_progress
from bulkpoc.batch.run import fail, new_result, run, waiting_for
from bulkpoc.config import Settings
from bulkpoc.domain.changes import ChangeSummary
from bulkpoc.domain.errors.codes import (
    DUPLICATE_FILE,
    FILE_MISSING,
    FILE_UNREADABLE,
)
from bulkpoc.domain.errors.types import (
    BulkpocError,
    FileRejected,
    StoreBusy,
)
from bulkpoc.domain.options import DEFAULT_OPTIONS, ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult, Counts
from bulkpoc.domain.status import BatchStatus
from bulkpoc.formats.base import Source
from bulkpoc.output.changes import FILE_NAME as CHANGES_FILE
from bulkpoc.store.batches import RUNNING, Recorded
from bulkpoc.store.db import Store, utcnow


def submit(
    store: Store,
    source: Source,
    options: ImportOptions = DEFAULT_OPTIONS,
    settings: Settings | None = None,
    progress: Progress | None = None,
    *,
    run_here: bool = False,
    then: Recorded | None = None,
    **recorded: Any,
) -> int:
    """Record a batch with its file's bytes and return its id; a worker then processes it.

    ``run_here``: the caller processes it at once (``run_import``), so it is recorded as
    already running in this process. ``then(connection, batch_id)`` runs in the transaction
    that records a new batch (the job queue's way to defer its job with it; see
    ``jobs.queue``). ``recorded`` adds columns (``schedule_name``, ``inbox_path``,
    ``inbox_claim``). Waits while another batch writes to SQLite; raises ``StoreBusy`` if that
    takes longer than the lock timeout.
    """
    settings = settings or Settings.from_env()
    content = _content(source)
    options = with_mapping(store, options)
    return store.submit_batch(
        waiting_for(settings, progress or no_progress),
        content=content,
        status=RUNNING if run_here else "queued",
        then=then,
        **_batch_values(source, options, content),
        **recorded,
    )


def with_mapping(store: Store, options: ImportOptions) -> ImportOptions:
    """The options with the content of the saved mapping they name: the batch keeps the mapping
    it runs with, whatever happens to the saved one later. A name not found is left without
    content, and the batch fails saying so."""
    if not options.mapping_name or options.mapping is not None:
        return options
    saved = store.find_mapping(options.mapping_name)
    if saved is None:
        return options
    return dataclasses.replace(options, mapping=saved.mapping.to_toml())


def record_duplicate(
    store: Store,
    source: Source,
    options: ImportOptions,
    first: int,
    settings: Settings | None = None,
    **recorded: Any,
) -> int:
    """Record, as a finished batch that nothing processes, an inbox file whose content batch
    ``first`` already had: the run history says it arrived and why it was not processed."""
    settings = settings or Settings.from_env()
    now = utcnow()
    return store.submit_batch(
        waiting_for(settings, no_progress),
        status=BatchStatus.DUPLICATE.value,
        started_at=now,
        finished_at=now,
        failure=DUPLICATE_FILE.message(first=first),
        failure_code=DUPLICATE_FILE.code,
        **_batch_values(source, options, _content(source)),
        **recorded,
    )


def _batch_values(source: Source, options: ImportOptions, content: bytes | None) -> dict[str, Any]:
    return {
        "record_type": RECORD_TYPES[options.record_type].name,
        "file_name": _file_name(source, options),
        "checksum": hashlib.sha256(content).hexdigest() if content is not None else "",
        "file_type": options.file_type,
        "source": options.source,
        "user_name": options.user,
        "options": options.recorded(),
    }


def _content(source: Source) -> bytes | None:
    """The file's bytes, or None when there is no file to read (the batch then fails)."""
    if isinstance(source, Path):
        try:
            return source.read_bytes()
        except OSError:
            return None
    source.seek(0)
    return source.read()


def _file_name(source: Source, options: ImportOptions) -> str:
    if options.display_name:
        return options.display_name
    if isinstance(source, Path):
        return source.name
    return Path(getattr(source, "name", "") or "upload").name


def process(
    store: Store,
    batch_id: int,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Run a queued batch in this process. A batch another process took, or that has
    finished, is left alone and its result as recorded so far is returned."""
    settings = settings or Settings.from_env()
    batch = store.claim_batch(batch_id, waiting_for(settings, progress or no_progress, batch_id))
    if batch is None:
        return load_result(store, batch_id)
    return run(store, batch, settings, progress, lambda: _stored_file(store, batch))


def run_import(
    store: Store,
    path: Path,
    options: ImportOptions = DEFAULT_OPTIONS,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Submit a file and process it here and now: what ``bulkpoc import`` does."""
    settings = settings or Settings.from_env()
    path = Path(path)
    try:
        batch_id = submit(store, path, options, settings, progress, run_here=True)
    except StoreBusy as busy:
        # The store could not even record the batch: say so, and leave no trace behind.
        return unrecorded_failure(path, options, busy)
    batch = store.batch(batch_id)
    assert batch is not None
    return run(store, batch, settings, progress, lambda: path)


def unrecorded_failure(source: Source, options: ImportOptions, error: BulkpocError) -> BatchResult:
    """The result of an upload that failed before the store recorded it as a batch."""
    result = new_result(options, _file_name(source, options), "", utcnow())
    fail(result, error)
    result.finished_at = result.started_at
    return result


def load_result(store: Store, batch_id: int, with_errors: bool = True) -> BatchResult:
    """A batch's result as the run history holds it, for any process to show.

    ``with_errors=False`` leaves the row errors out, for a page that shows them a page at a
    time (a batch may have hundreds of thousands).
    """
    batch = store.batch(batch_id)
    if batch is None:
        raise KeyError(batch_id)
    result = new_result(
        ImportOptions.from_recorded(batch["options"]),
        batch["file_name"],
        batch["checksum"],
        batch["started_at"] or batch["submitted_at"],
        batch_id,
    )
    result.finished_at = batch["finished_at"]
    result.status = BatchStatus(batch["status"])
    result.counts = Counts(**{name: batch[name] for name in Counts.model_fields})
    result.errors = store.batch_errors(batch_id) if with_errors else []
    result.failure, result.failure_code = batch["failure"], batch["failure_code"]
    result.warnings = list(batch["warnings"] or [])
    result.timings = dict(batch["timings"] or {})
    summary = batch.get("changes_summary")
    result.changes = ChangeSummary.model_validate(summary) if summary else None
    result.applied = (
        result.status
        in (
            BatchStatus.SUCCEEDED,
            BatchStatus.COMPLETED_WITH_ERRORS,
        )
        and not result.dry_run
    )
    result.file_type = batch["file_type"]
    result.reports.html = batch["report_path"]
    result.reports.error_file = batch["error_file_path"]
    result.reports.email = batch["email_path"]
    result.preview_of, result.new_preview = batch["preview_of"], batch["new_preview"]
    result.applied_as = store.applied_as(batch_id) if result.dry_run else None
    if result.changes is not None and not result.changes.empty and batch["report_path"]:
        # Every batch that changed something wrote changes.csv beside its report.
        result.reports.changes = str(Path(batch["report_path"]).with_name(CHANGES_FILE))
    return result


def _stored_file(store: Store, batch: dict) -> Source:
    content = store.file_content(batch["checksum"]) if batch["checksum"] else None
    if content is None:
        raise _no_content(batch)
    stream = io.BytesIO(content)
    stream.name = batch["file_name"]
    return stream


def _no_content(batch: dict) -> FileRejected:
    """Why a batch has no bytes: its file could not be read when it was recorded. An inbox
    file is still there to ask (a file the process may not read is not a missing one)."""
    name = batch["file_name"]
    if batch["inbox_path"]:
        try:
            Path(batch["inbox_path"]).open("rb").close()
        except FileNotFoundError:
            pass
        except OSError as error:
            reason = (error.strerror or str(error)).lower()
            return FileRejected(FILE_UNREADABLE, name=name, reason=reason)
    return FileRejected(FILE_MISSING, name=name)
