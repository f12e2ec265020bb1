"""``POST /api/v1/batches/{id}/undo``: take an applied batch back, as a new batch run by the
job layer like an upload (202, then follow its progress and fetch its result)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, HTTPException, Request, Response
from fastapi import status as http
from pydantic import BaseModel, ConfigDict, Field

from bulkpoc.batch.undo import check, placeholder, undo_options
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.users import User
from bulkpoc.jobs.queue import JobQueue
from bulkpoc.web.access import api, batch_in_path
from bulkpoc.web.api import BatchId, _problem, router
from bulkpoc.web.deps import get_settings, get_store
from bulkpoc.web.progress import BatchProgress, batch_progress

# Undoing takes what uploading the batch's record type takes: its permission.
MayUndo = Annotated[User, api(batch_in_path("batch_id"))]


class UndoRequest(BaseModel):
    """How to undo: a dry run first, if you like; Force to set back fields changed since."""

    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(
        default=False, description="Report what the undo would do, apply nothing."
    )
    force: bool = Field(
        default=False,
        description="Set fields back even where someone changed them since the batch.",
    )


@router.post(
    "/batches/{batch_id}/undo",
    status_code=http.HTTP_202_ACCEPTED,
    summary="Undo a batch",
    responses={
        202: {
            "description": "The undo was submitted as a new batch: follow its progress.",
            "headers": {
                "Location": {"description": "The undo's result.", "schema": {"type": "string"}}
            },
        },
        400: _problem("The body is not JSON."),
        401: _problem("No API token, or one that is unknown or revoked."),
        403: _problem("The user may not upload this record type."),
        404: _problem("There is no such batch."),
        409: _problem(
            "The batch has nothing to undo (a dry run, a failed batch…) or was undone already."
        ),
        422: _problem("A parameter is not valid."),
        503: _problem("The store stayed busy longer than the lock timeout: nothing was stored."),
    },
)
def undo_batch(
    request: Request,
    response: Response,
    user: MayUndo,
    batch_id: BatchId,
    body: Annotated[UndoRequest | None, Body()] = None,
) -> BatchProgress:
    """Set back what the batch changed and remove what it created, in one transaction, under
    the same rules and permissions as an upload; the undo is a batch of its own (source
    ``undo``), with its result, report and changes."""
    chosen = body or UndoRequest()
    store, settings = get_store(request), get_settings(request)
    refused = check(store, batch_id)
    if refused is not None:
        raise HTTPException(http.HTTP_409_CONFLICT, str(refused))
    options = undo_options(
        store, batch_id, dry_run=chosen.dry_run, overwrite=chosen.force, user=user.name
    )
    queue: JobQueue = request.app.state.queue
    try:
        undo_id = queue.submit(placeholder(options), options, settings)
    except StoreBusy as busy:
        raise HTTPException(http.HTTP_503_SERVICE_UNAVAILABLE, str(busy)) from None
    response.headers["Location"] = request.app.url_path_for("batch_result", batch_id=undo_id)
    batch = store.batch(undo_id)
    assert batch is not None
    return batch_progress(request, store, batch)
