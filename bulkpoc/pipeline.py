"""The pipeline: read -> validate -> plan -> apply -> report, the same for every record type.

``run_import`` is the one entry point the CLI, the web UI and the scheduler call. It records the
batch in the run history before reading a byte, applies in a single transaction, and always
returns a ``BatchResult``: a bad file gives a Failed result with one clear sentence, never an
exception. Only bugs raise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import IntegrityError, OperationalError

from bulkpoc import report
from bulkpoc.apply import apply
from bulkpoc.config import Settings
from bulkpoc.errors import BulkpocError, FileRejected, PermissionDenied
from bulkpoc.plan import plan
from bulkpoc.read import RawTable, checksum, read_file
from bulkpoc.records import RECORD_TYPES
from bulkpoc.records.base import RecordType
from bulkpoc.result import BatchResult, BatchStatus, Counts
from bulkpoc.sheet import CREATE, FAILED, UNCHANGED, UPDATE, Sheet
from bulkpoc.snapshot import load_snapshot
from bulkpoc.store.db import Store, User, utcnow
from bulkpoc.validate import map_headers, validate

# progress(stage, done, total): stage is one of read, validate, plan, apply, report.
Progress = Callable[[str, int, int], None]
FileType = Literal["csv", "xlsx"]
RowsMode = Literal["all", "changed"]


@dataclass(frozen=True)
class ImportOptions:
    """What the user chose for one upload."""

    record_type: str = "poc"
    file_type: FileType | None = None  # None: detect from the content
    rows: RowsMode = "all"
    dry_run: bool = False
    all_or_nothing: bool = False
    overwrite: bool = False
    user: str = "admin"
    notify: tuple[str, ...] = ()
    source: str = "cli"
    report_dir: Path | None = None
    display_name: str | None = None  # the name the user knows the file by (web uploads)

    def recorded(self) -> dict[str, object]:
        """The options as kept in the run history."""
        kept = asdict(self)
        kept["notify"] = list(self.notify)
        kept["report_dir"] = str(self.report_dir) if self.report_dir else None
        return kept


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


def run_import(
    store: Store,
    path: Path,
    options: ImportOptions = ImportOptions(),
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Process one file into the store and report on it."""
    settings = settings or Settings.from_env()
    progress = progress or _noop
    path = Path(path)
    rtype = RECORD_TYPES[options.record_type]
    file_name = options.display_name or path.name
    digest = checksum(path) if path.is_file() else ""
    result = BatchResult(
        batch_id=None,
        record_type=rtype.name,
        file_name=file_name,
        checksum=digest,
        source=options.source,
        user=options.user,
        options=options.recorded(),
        started_at=utcnow(),
        file_type=options.file_type,
    )
    result.batch_id = store.start_batch(
        record_type=rtype.name,
        file_name=file_name,
        checksum=digest,
        file_type=options.file_type,
        source=options.source,
        user_name=options.user,
        options=result.options,
    )
    raw: RawTable | None = None
    try:
        raw = _process(store, path, options, settings, progress, result)
    except BulkpocError as error:
        result.status, result.failure, result.applied = BatchStatus.FAILED, str(error), False
    except Exception:
        store.update_batch(
            result.batch_id,
            status=BatchStatus.FAILED.value,
            finished_at=utcnow(),
            failure="Internal error: the batch stopped and nothing was applied.",
        )
        raise
    result.finished_at = utcnow()
    _write_reports(result, raw, options, settings, progress)
    store.finish_batch(
        result.batch_id,
        result.errors,
        status=result.status.value,
        finished_at=result.finished_at,
        failure=result.failure,
        warnings=result.warnings,
        file_type=result.file_type,
        report_path=result.reports.html,
        error_file_path=result.reports.error_file,
        email_path=result.reports.email,
        **result.counts.as_dict(),
    )
    return result


def _process(
    store: Store,
    path: Path,
    options: ImportOptions,
    settings: Settings,
    progress: Progress,
    result: BatchResult,
) -> RawTable:
    rtype = RECORD_TYPES[options.record_type]
    user = store.get_user(options.user)
    if rtype.permission not in user.permissions:
        raise PermissionDenied(
            f"{user.name} cannot upload {rtype.plural.lower()}: it needs the "
            f"'{rtype.permission}' permission."
        )
    # The file is read in a worker thread while the batch takes the store's lock and loads
    # its snapshot: calamine and pyarrow release the GIL, so the two overlap on two cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulkpoc-read") as pool:
        reading = pool.submit(_read, path, options, rtype)
        try:
            return _validate_and_apply(store, reading, options, settings, progress, result, user)
        finally:
            reading.cancel()


def _read(path: Path, options: ImportOptions, rtype: RecordType) -> tuple[RawTable, float]:
    clock = time.perf_counter()
    raw = read_file(path, options.file_type, rtype.sheet_names)
    return raw, time.perf_counter() - clock


def _validate_and_apply(
    store: Store,
    reading: Future[tuple[RawTable, float]],
    options: ImportOptions,
    settings: Settings,
    progress: Progress,
    result: BatchResult,
    user: User,
) -> RawTable:
    rtype = RECORD_TYPES[options.record_type]
    progress("read", 0, 1)
    try:
        with store.transaction() as connection:
            store.lock_for_batch(connection)
            clock = time.perf_counter()
            snapshot = load_snapshot(store, rtype, connection)
            if not reading.done() and "number" in rtype.needs:
                snapshot.numbers  # noqa: B018 - load the inventory while the file is still read
            result.timings["snapshot"] = time.perf_counter() - clock
            raw, result.timings["read"] = reading.result()
            result.file_type = raw.file_type
            positions, warnings = map_headers(raw, rtype)
            result.warnings.extend(raw.warnings + warnings)
            progress("read", 1, 1)
            progress("validate", 0, len(raw.data))
            clock = time.perf_counter()
            sheet = validate(
                raw,
                positions,
                rtype,
                snapshot,
                user,
                options.rows,
                settings.default_region,
                options.overwrite,
            )
            result.timings["validate"] = time.perf_counter() - clock
            clock = time.perf_counter()
            progress("plan", 0, len(sheet.index))
            plan(sheet)
            result.timings["plan"] = time.perf_counter() - clock
            _tally(result, sheet, total=len(raw.data))
            result.errors = sheet.log.records()
            result.warnings.extend(sheet.warnings)
            if not result.counts.total:
                result.warnings.append("The file has no data rows.")
            if options.all_or_nothing and result.counts.failed:
                raise _NothingApplied(
                    f"{result.counts.failed} row(s) failed, so nothing was applied "
                    "(All or nothing was chosen); fix them and upload the file again."
                )
            if not options.dry_run:
                clock = time.perf_counter()
                apply(
                    sheet, connection, utcnow(), lambda done, total: progress("apply", done, total)
                )
                result.applied = True
                result.timings["apply"] = time.perf_counter() - clock
    except _NothingApplied as stop:
        result.status, result.failure = BatchStatus.FAILED, str(stop)
        return raw
    except (IntegrityError, OperationalError) as error:
        result.applied = False
        raise FileRejected(
            "The store changed while this batch was being applied, so nothing was applied; "
            f"upload the file again. ({type(error.orig).__name__})"
        ) from None
    result.status = (
        BatchStatus.COMPLETED_WITH_ERRORS if result.counts.failed else BatchStatus.SUCCEEDED
    )
    return raw


class _NothingApplied(Exception):
    """Raised inside the transaction to roll it back for all-or-nothing batches."""


def _tally(result: BatchResult, sheet: Sheet, total: int) -> None:
    action = sheet.action
    processed = len(action)
    result.counts = Counts(
        total=total,
        processed=processed,
        created=int((action == CREATE).sum()),
        updated=int((action == UPDATE).sum()),
        unchanged=int((action == UNCHANGED).sum()),
        skipped=total - processed,
        failed=int((action == FAILED).sum()),
    )


def _write_reports(
    result: BatchResult,
    raw: RawTable | None,
    options: ImportOptions,
    settings: Settings,
    progress: Progress,
) -> None:
    progress("report", 0, 1)
    folder = (options.report_dir or settings.report_dir) / f"batch-{result.batch_id}"
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(result.file_name).stem or "upload"
    error_file = report.write_error_file(result, raw, folder, stem) if raw is not None else None
    result.reports.error_file = str(error_file) if error_file else None
    result.reports.html = str(report.write_html_report(result, folder))
    recipients = list(dict.fromkeys(options.notify))
    if recipients:
        message = report.build_email(result, settings, recipients, error_file)
        try:
            result.reports.email = report.send_email(message, settings, result.batch_id)
        except OSError as error:
            result.warnings.append(f"The results email could not be sent: {error}.")
        # The HTML report is rewritten so it lists the email warning, if any.
        report.write_html_report(result, folder)
    progress("report", 1, 1)
