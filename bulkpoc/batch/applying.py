"""Apply a dry run: its kept file runs again as a real batch, linked to the dry run.

The applying batch takes the dry run's options (record type, file type, rows, all or
nothing, overwrite) without ``dry_run``, acts as the user who applies it, and leaves out the
rows the reviewer excluded. Only a dry run that finished can be applied, and only once: the
batch's ``preview_of`` is unique among the batches that did not fail, so a second request,
even one sent at the same moment, is refused (a failed batch applied nothing). While it runs,
the batch checks that its plan is still the dry run's (``batch.preview``); if not, it applies
nothing and queues a new dry run, which whoever ran the batch then runs
(``run_new_preview``).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from bulkpoc.batch.progress import Progress
from bulkpoc.batch.run import run
from bulkpoc.batch.submit import process, submit, unrecorded_failure
from bulkpoc.config import Settings
from bulkpoc.domain.errors.codes import (
    ALREADY_APPLIED,
    DRY_RUN_FAILED,
    DRY_RUN_FILE_GONE,
    DRY_RUN_NOT_FINISHED,
    DRY_RUN_PRUNED,
    NOT_A_DRY_RUN,
)
from bulkpoc.domain.errors.types import ApplyRefused, StoreBusy
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.formats.base import Source
from bulkpoc.store.db import Store

# What records an applying batch: ``(file, options, **columns) -> batch id``, as
# ``JobQueue.submit`` (queued for a worker) or ``submit(..., run_here=True)`` (the CLI).
Submitter = Callable[..., int]


@dataclasses.dataclass(frozen=True)
class ApplyRequest:
    """Who applies which dry run, leaving out which rows, with the results sent where."""

    preview_id: int
    user: str
    source: str
    exclude_rows: tuple[int, ...] = ()
    notify: tuple[str, ...] = ()
    report_dir: Path | None = None


def prepare(store: Store, request: ApplyRequest) -> tuple[Source, ImportOptions]:
    """The dry run's kept file and the applying batch's options; ``KeyError`` when there is
    no such batch, ``ApplyRefused`` (one sentence) when it cannot be applied."""
    batch = store.batch(request.preview_id)
    if batch is None:
        raise KeyError(request.preview_id)
    refusal = _refusal(store, batch)
    if refusal is not None:
        raise refusal
    content = store.file_content(batch["checksum"]) if batch["checksum"] else None
    if content is None:
        raise ApplyRefused(DRY_RUN_FILE_GONE, batch_id=batch["id"])
    stream = io.BytesIO(content)
    stream.name = batch["file_name"]
    previewed = ImportOptions.from_recorded(batch["options"])
    options = dataclasses.replace(
        previewed,
        dry_run=False,
        hold_for_approval=False,  # approved: this batch applies it
        user=request.user,
        source=request.source,
        notify=request.notify,
        report_dir=request.report_dir,
        display_name=batch["file_name"],
        upload_id=None,
        preview_of=batch["id"],
        exclude_rows=tuple(sorted({*previewed.exclude_rows, *request.exclude_rows})),
    )
    return stream, options


def _refusal(store: Store, batch: dict) -> ApplyRefused | None:
    batch_id, status = batch["id"], BatchStatus(batch["status"])
    if not (batch["options"] or {}).get("dry_run"):
        return ApplyRefused(NOT_A_DRY_RUN, batch_id=batch_id)
    if not status.finished:
        return ApplyRefused(DRY_RUN_NOT_FINISHED, batch_id=batch_id, status=status.label.lower())
    if status not in (BatchStatus.SUCCEEDED, BatchStatus.COMPLETED_WITH_ERRORS):
        return ApplyRefused(DRY_RUN_FAILED, batch_id=batch_id)
    applied_as = store.applied_as(batch_id, holding=True)
    if applied_as is not None:
        return ApplyRefused(ALREADY_APPLIED, batch_id=batch_id, applied_as=applied_as)
    if batch.get("changes_pruned_at") is not None:
        return ApplyRefused(DRY_RUN_PRUNED, batch_id=batch_id)
    return None


def submit_apply(store: Store, request: ApplyRequest, submitter: Submitter) -> int:
    """Record the applying batch through ``submitter`` and return its id; ``ApplyRefused``
    when the dry run cannot be applied, or was applied a moment ago by another request."""
    stream, options = prepare(store, request)
    return _record(store, request.preview_id, submitter, stream, options)


def _record(
    store: Store, preview_id: int, submitter: Submitter, stream: Source, options: ImportOptions
) -> int:
    try:
        return submitter(stream, options, preview_of=preview_id)
    except IntegrityError:
        # The unique preview_of: another request recorded its batch first.
        applied_as = store.applied_as(preview_id, holding=True)
        raise ApplyRefused(ALREADY_APPLIED, batch_id=preview_id, applied_as=applied_as) from None


def run_apply(
    store: Store,
    request: ApplyRequest,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> tuple[BatchResult, BatchResult | None]:
    """Apply a dry run here and now (what ``bulkpoc apply`` does): the applying batch's
    result and, when the plan had changed, the new dry run's."""
    settings = settings or Settings.from_env()
    stream, options = prepare(store, request)

    def here(source: Source, chosen: ImportOptions, **columns: Any) -> int:
        return submit(store, source, chosen, settings, progress, run_here=True, **columns)

    try:
        batch_id = _record(store, request.preview_id, here, stream, options)
    except StoreBusy as busy:
        return unrecorded_failure(stream, options, busy), None
    batch = store.batch(batch_id)
    assert batch is not None
    result = run(store, batch, settings, progress, lambda: stream)
    result.preview_of = request.preview_id
    new_preview = run_new_preview(store, batch_id, settings, progress)
    if new_preview is not None:
        result.new_preview = new_preview.batch_id
    return result, new_preview


def run_new_preview(
    store: Store, batch_id: int, settings: Settings, progress: Progress | None = None
) -> BatchResult | None:
    """Run the new dry run batch ``batch_id`` queued when its plan had changed, if it still
    waits (a worker or server restarted meanwhile would have taken it from the queue)."""
    new_id = store.waiting_preview(batch_id)
    return process(store, new_id, settings, progress) if new_id is not None else None


def parse_rows(specs: Iterable[str]) -> tuple[int, ...]:
    """Row numbers from ``"4, 7-9"`` specs (any number of them): sorted, each once.
    ``ValueError`` with one sentence for anything else."""
    rows: set[int] = set()
    for spec in specs:
        for part in spec.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            first, dash, last = part.partition("-")
            try:
                low, high = int(first), int(last) if dash else int(first)
            except ValueError:
                raise ValueError(
                    f"{part!r} is not a row number or a range of rows such as 4 or 7-9."
                ) from None
            if not 2 <= low <= high <= MAX_ROW:
                raise ValueError(
                    f"{part!r} is not a data row: rows are numbered as in the spreadsheet, "
                    f"from 2 (the header is row 1) to {MAX_ROW:,}."
                )
            if high - low + len(rows) > MAX_EXCLUDED:
                raise ValueError(f"At most {MAX_EXCLUDED:,} rows can be excluded at once.")
            rows.update(range(low, high + 1))
    return tuple(sorted(rows))


MAX_ROW = 2**31 - 1
MAX_EXCLUDED = 1_100_000  # more than the largest file's rows; a bound on what a request costs
