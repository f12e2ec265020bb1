"""What a queued or running batch is doing, in words, from its row in the run history.

The running batch's heartbeat writes its stage and rows done; on SQLite it cannot while the
batch holds the store's write lock, so a running batch there usually shows no stage at all.
"""

from __future__ import annotations

from pydantic import BaseModel

from bulkpoc.result import BatchStatus
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
    """The progress page's JSON twin (``/batches/{id}/progress.json``)."""

    batch_id: int
    status: str
    stage: str | None
    done: int
    total: int
    detail: str | None
    finished: bool
    message: str


def batch_progress(store: Store, batch: dict) -> BatchProgress:
    status = BatchStatus(batch["status"])
    stage = batch["stage"] if status is BatchStatus.RUNNING else None
    if stage == "wait" and store.running_batch(exclude=batch["id"]) is None:
        stage = None  # it has the store now; on SQLite it cannot say what it does there
    done, total = batch["stage_done"] or 0, batch["stage_total"] or 0
    if stage is None or stage == "wait":
        done = total = 0  # a wait counts seconds, not rows
    detail = batch["stage_detail"] if stage else None
    return BatchProgress(
        batch_id=batch["id"],
        status=status.value,
        stage=stage,
        done=done,
        total=total,
        detail=detail,
        finished=status.finished,
        message=_message(status, stage, done, total, detail),
    )


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
