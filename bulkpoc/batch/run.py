"""Running one claimed batch through its stages, in one transaction, to its result.

The batch is recorded as running in this process. Its file is read in a worker thread while
the batch takes the store's lock and loads its snapshot; validate, plan and apply follow, and
the outcome and its results email (kept in the outbox) are recorded in the same transaction as
the changes. The email is sent once the batch has committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from bulkpoc.batch import preview
from bulkpoc.batch.apply import apply, planned_changes
from bulkpoc.batch.garbage import fewer_collections
from bulkpoc.batch.headers import map_headers
from bulkpoc.batch.heartbeat import Heartbeat
from bulkpoc.batch.mapping import mapped
from bulkpoc.batch.memory import use_returning_pool
from bulkpoc.batch.plan import plan
from bulkpoc.batch.progress import Progress, both, no_progress
from bulkpoc.batch.read import read_file, renumbered
from bulkpoc.batch.results import deliver, finish, keep_error_file, queue_email, record_apart
from bulkpoc.batch.undo_rows import UndoRows
from bulkpoc.batch.undo_rows import applied as undo_applied
from bulkpoc.batch.undo_rows import rows as undo_rows
from bulkpoc.batch.validate import validate
from bulkpoc.config import Settings
from bulkpoc.domain.actions import CREATE, FAILED, REMOVE, UNCHANGED, UPDATE
from bulkpoc.domain.errors.codes import (
    ALL_OR_NOTHING,
    INTERNAL_ERROR,
    STORE_REFUSED,
    TOO_MANY_FAILED,
)
from bulkpoc.domain.errors.types import (
    BulkpocError,
    FileRejected,
    NothingApplied,
)
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType, Sheet
from bulkpoc.domain.result import BatchResult, Counts
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.users import User
from bulkpoc.formats.base import RawTable, Source
from bulkpoc.output.changes_csv import KeptLines
from bulkpoc.store.batches import Waiting
from bulkpoc.store.db import Store, utcnow
from bulkpoc.store.snapshots import load_snapshot


def run(
    store: Store,
    batch: dict,
    settings: Settings,
    progress: Progress | None,
    source: Callable[[], Source],
) -> BatchResult:
    """Process a batch this process has claimed (it is recorded as running here)."""
    use_returning_pool()
    options = ImportOptions.from_recorded(batch["options"])
    result = new_result(
        options, batch["file_name"], batch["checksum"], batch["started_at"], batch["id"]
    )
    batch_id: int = batch["id"]
    waiting = waiting_for(settings, progress or no_progress, batch_id)
    with fewer_collections(), Heartbeat(store, batch_id, settings.heartbeat_seconds) as heartbeat:
        progress = both(progress, heartbeat.progress)
        try:
            message_id = _process(store, source, options, settings, progress, result, waiting)
        except BulkpocError as error:
            # Raised before the batch's transaction or while it rolled back: record it apart.
            fail(result, error)
            finish(result, None, options, settings, progress)
            message_id = record_apart(
                store,
                result,
                waiting,
                lambda connection: queue_email(connection, result, options, settings),
            )
        except Exception:
            store.update_batch(
                batch_id,
                waiting,
                status=BatchStatus.FAILED.value,
                finished_at=utcnow(),
                failure=INTERNAL_ERROR.message(),
                failure_code=INTERNAL_ERROR.code,
            )
            raise
    deliver(store, result, options, settings, waiting, message_id)
    return result


def new_result(
    options: ImportOptions,
    file_name: str,
    checksum: str,
    started_at: Any,
    batch_id: int | None = None,
) -> BatchResult:
    return BatchResult(
        batch_id=batch_id,
        record_type=RECORD_TYPES[options.record_type].name,
        file_name=file_name,
        checksum=checksum,
        source=options.source,
        user=options.user,
        options=options.recorded(),
        started_at=started_at,
        file_type=options.file_type,
    )


def waiting_for(settings: Settings, progress: Progress, batch_id: int | None = None) -> Waiting:
    """How a batch waits for the store: up to the lock timeout, telling ``progress`` whom for."""

    def notify(holder: int | None, seconds: float) -> None:
        who = f"batch {holder}" if holder is not None else "another batch"
        progress("wait", int(seconds), int(settings.lock_timeout), f"waiting for {who} to finish")

    return Waiting(settings.lock_timeout, notify, batch_id)


def fail(result: BatchResult, failure: BulkpocError) -> None:
    """Nothing was applied: no row counts as created or updated."""
    result.status, result.applied = BatchStatus.FAILED, False
    result.failure, result.failure_code = str(failure), failure.code
    result.counts.created = result.counts.updated = 0


def _process(
    store: Store,
    source: Callable[[], Source],
    options: ImportOptions,
    settings: Settings,
    progress: Progress,
    result: BatchResult,
    waiting: Waiting,
) -> int | None:
    """Check the user, then read, validate and apply; the id of the queued results email."""
    rtype = RECORD_TYPES[options.record_type]
    user = store.get_user(options.user)
    rtype.check_may_upload(user)
    if options.reverts is not None:  # an undo: its rows come from the store, not a file
        return _validate_and_apply(store, None, options, settings, progress, result, user, waiting)
    # The file is read in a worker thread while the batch takes the store's lock and loads
    # its snapshot: calamine and pyarrow release the GIL, so the two overlap on two cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulkpoc-read") as pool:
        reading = pool.submit(_read, source, options, rtype, result.file_name)
        try:
            return _validate_and_apply(
                store, reading, options, settings, progress, result, user, waiting
            )
        finally:
            reading.cancel()


def _read(
    source: Callable[[], Source], options: ImportOptions, rtype: RecordType, name: str
) -> tuple[RawTable, float]:
    clock = time.perf_counter()
    raw = read_file(source(), options.file_type, rtype.sheet_names, name)
    if options.fix_rows:  # a fix: its rows are numbered as the file whose rows it fixes
        raw = renumbered(raw, options.fix_rows)
    return raw, time.perf_counter() - clock


def _validate_and_apply(
    store: Store,
    reading: Future[tuple[RawTable, float]] | None,
    options: ImportOptions,
    settings: Settings,
    progress: Progress,
    result: BatchResult,
    user: User,
    waiting: Waiting,
) -> int | None:
    """One transaction: lock, check, apply, record the outcome and queue its email."""
    try:
        with store.transaction() as connection, KeptLines() as kept:
            store.lock_for_batch(connection, waiting)
            raw: RawTable | None = None
            try:
                raw, sheet = _check(
                    store, connection, reading, options, settings, progress, result, user
                )
            except BulkpocError as stop:
                # Nothing is written before apply, so the failure is recorded in this transaction.
                fail(result, stop)
            else:
                clock = time.perf_counter()
                assert result.batch_id is not None, "a batch is recorded before it runs"
                result.changes = apply(
                    sheet, connection, utcnow(), result.batch_id, progress, options.dry_run, kept
                )
                result.applied = not options.dry_run
                if result.applied:
                    undo_applied(connection, result, options)
                # A dry run only records what it would change.
                stage = "changes" if options.dry_run else "apply"
                result.timings[stage] = time.perf_counter() - clock
                result.status = (
                    BatchStatus.COMPLETED_WITH_ERRORS
                    if result.counts.failed
                    else BatchStatus.SUCCEEDED
                )
            finish(result, raw, options, settings, progress, connection, kept)
            message_id = queue_email(connection, result, options, settings)
            store.record_result(result, connection=connection)
            keep_error_file(store, connection, result)
        return message_id
    except (IntegrityError, OperationalError) as error:
        # The plan checks every rule the schema enforces, so this is a full disk, a lost
        # connection or a bug: the transaction rolled back, and the user is told why.
        raise FileRejected(STORE_REFUSED, detail=error.orig) from None


def _check(
    store: Store,
    connection: Connection,
    reading: Future[tuple[RawTable, float]] | None,
    options: ImportOptions,
    settings: Settings,
    progress: Progress,
    result: BatchResult,
    user: User,
) -> tuple[RawTable, Sheet]:
    """Read, validate and plan: everything up to the first write."""
    rtype = RECORD_TYPES[options.record_type]
    progress("read", 0, 1)
    clock = time.perf_counter()
    snapshot = load_snapshot(store, rtype, connection, summary=True)
    if reading and not reading.done() and "number" in rtype.needs and snapshot.existing.empty:
        # Load the inventory while the file is still read, when every row will need it: into
        # a store holding records, the file may well be a re-upload whose unchanged rows
        # never look at it.
        snapshot.numbers  # noqa: B018
    result.timings["snapshot"] = time.perf_counter() - clock
    undo: UndoRows | None = None
    if reading is None:
        undo = undo_rows(connection, options, rtype, snapshot)
        raw, result.timings["read"] = undo.raw, 0.0
    else:
        raw, result.timings["read"] = reading.result()
    result.file_type = raw.file_type
    # A partner's file is read as our columns (``ours``); ``raw`` stays as the file came, for
    # the error file, and the errors name the partner's header of each mapped column.
    ours, file_headers = mapped(raw, options)
    positions, warnings = map_headers(ours, rtype)
    result.warnings.extend(raw.warnings + warnings)
    kept, excluded = preview.leave_out(ours, options.exclude_rows)
    if excluded:
        result.warnings.append(preview.excluded_warning(excluded))
    progress("read", 1, 1)
    progress("validate", 0, len(raw.data))
    clock = time.perf_counter()
    sheet = validate(
        kept,
        positions,
        rtype,
        snapshot,
        user,
        options.rows,
        settings.default_region,
        options.overwrite,
        undo.mark if undo else None,
    )
    result.timings["validate"] = time.perf_counter() - clock
    clock = time.perf_counter()
    progress("plan", 0, len(sheet.index))
    plan(sheet)
    result.timings["plan"] = time.perf_counter() - clock
    _tally(result, sheet, total=len(raw.data))
    errors = sheet.log.records(file_headers)
    result.errors = undo.named(errors) if undo else errors
    result.warnings.extend(sheet.warnings)
    if not result.counts.total:
        result.warnings.append("The file has no data rows.")
    if options.preview_of is not None:
        planned = planned_changes(sheet, utcnow())
        preview.check_plan(store, connection, options, planned, result)
    if options.all_or_nothing and result.counts.failed:
        raise NothingApplied(ALL_OR_NOTHING, failed=result.counts.failed)
    _check_failure_limit(options, result.counts)
    return raw, sheet


def _check_failure_limit(options: ImportOptions, counts: Counts) -> None:
    """Stop when too much fails: above the chosen limit, nothing is applied."""
    limit = options.failure_limit
    if limit is None or not limit.exceeded(counts.failed, counts.total):
        return
    raise NothingApplied(
        TOO_MANY_FAILED,
        failed=f"{counts.failed:,}",
        total=f"{counts.total:,}",
        share=limit.share(counts.failed, counts.total),
        whose="this schedule's" if options.source == "schedule" else "this upload's",
        limit=limit.described(),
    )


def _tally(result: BatchResult, sheet: Sheet, total: int) -> None:
    action = sheet.action
    processed = len(action)
    result.counts = Counts(
        total=total,
        processed=processed,
        created=int((action == CREATE).sum()),
        updated=int((action == UPDATE).sum()),
        unchanged=int((action == UNCHANGED).sum()),
        removed=int((action == REMOVE).sum()),
        skipped=total - processed,
        failed=int((action == FAILED).sum()),
    )
