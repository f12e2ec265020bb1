"""What a queued or running batch is doing, in words, from its row in the run history.

The running batch's heartbeat writes its stage and rows done; on SQLite it cannot while the
batch holds the store's write lock. There the server's own runner (``ThreadQueue``) knows the
stage of the batch it runs; a batch run by another process then shows no stage at all.
"""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel

from bulkpoc.batch.progress import ProgressReport
from bulkpoc.domain.status import BatchStatus
from bulkpoc.store.db import Store

STAGES = {
    "wait": "Waiting for another batch to finish",
    "read": "Reading the file",
    "validate": "Checking the rows",
    "plan": "Planning the changes",
    "apply": "Applying the changes",
    "report": "Writing the report",
}


class BatchProgress(BaseModel):
    """The progress page's JSON twin (``/batches/{id}/progress.json``), and what the API's
    ``/api/v1/batches/{id}/progress`` answers."""

    batch_id: int
    status: BatchStatus
    stage: str | None
    done: int
    total: int
    detail: str | None
    finished: bool
    message: str


def batch_progress(request: Request, store: Store, batch: dict) -> BatchProgress:
    """The batch's progress as the store has it, or as this server's runner hears it."""
    status = BatchStatus(batch["status"])
    stage, done, total, detail = (
        batch["stage"],
        batch["stage_done"] or 0,
        batch["stage_total"] or 0,
        batch["stage_detail"],
    )
    heard = _heard_here(request, batch["id"])
    if heard is not None:
        stage, done, total, detail = heard
    if status is not BatchStatus.RUNNING:
        stage = None
    if stage == "wait" and store.running_batch(exclude=batch["id"]) is None:
        stage = None  # it has the store now, and on SQLite cannot say what it does there
    if stage is None or stage == "wait":
        done = total = 0  # a wait counts seconds, not rows
    detail = (detail or None) if stage else None
    return BatchProgress(
        batch_id=batch["id"],
        status=status,
        stage=stage,
        done=done,
        total=total,
        detail=detail,
        finished=status.finished,
        message=_message(status, stage, done, total, detail),
    )


def _heard_here(request: Request, batch_id: int) -> ProgressReport | None:
    """The stage of the batch this server's own runner is running (SQLite), if it is this one."""
    runner = getattr(request.app.state, "queue", None)
    progress_of = getattr(runner, "progress_of", None)
    return progress_of(batch_id) if progress_of else None


def _message(
    status: BatchStatus, stage: str | None, done: int, total: int, detail: str | None
) -> str:
    if status is BatchStatus.QUEUED:
        return "Queued: the batch starts as soon as a worker is free."
    if status.finished:
        return f"Finished: {status.label.lower()}."
    if stage is None:
        return "Running: reading, checking and applying the file."
    if stage == "wait":
        return f"{detail[:1].upper()}{detail[1:]}." if detail else f"{STAGES[stage]}."
    label = STAGES.get(stage, stage.capitalize())
    if total > 1 and done:
        return f"{label}: {done:,} of {total:,} rows."
    if total > 1:
        return f"{label} ({total:,} rows)."
    return f"{label}."
