"""Undo this batch, from its results page: first the undo's dry run (its own results page),
which then offers to run the undo for real. Both are batches submitted like an upload."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bulkpoc.batch.undo import check, placeholder, undo_options
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.users import User
from bulkpoc.store.db import Store
from bulkpoc.store.undo import reverted_by
from bulkpoc.web.access import batch_in_path, page
from bulkpoc.web.deps import get_settings, get_store

router = APIRouter(include_in_schema=False)
MayUndo = Annotated[User, page(batch_in_path("batch_id"))]  # the batch's record type's
StoreDep = Annotated[Store, Depends(get_store)]


def undo_links(store: Store, result: BatchResult) -> dict[str, Any]:
    """What a results page says about undoing: the batch this one reverts, the batch that
    reverted this one, and whether it can be undone (then the page offers the button)."""
    reverts = result.options.get("reverts")
    assert result.batch_id is not None
    with store.engine.connect() as connection:
        by = reverted_by(connection, result.batch_id)
    undoable = result.applied and by is None and check(store, result.batch_id) is None
    can_run = bool(reverts and result.dry_run and check(store, reverts) is None)
    return {"reverts": reverts, "reverted_by": by, "undoable": undoable, "can_run_undo": can_run}


@router.post("/batches/{batch_id:int}/undo")
async def undo_batch(request: Request, batch_id: int, user: MayUndo, store: StoreDep) -> Response:
    """Submit the undo of the batch (a dry run when the form says so) and go to its page."""
    form = await request.form()
    dry_run, force = form.get("dry_run") == "1", form.get("force") == "1"
    refused = check(store, batch_id)
    if refused is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, str(refused))
    options = undo_options(store, batch_id, dry_run=dry_run, overwrite=force, user=user.name)
    settings, runner = get_settings(request), request.app.state.queue
    try:
        undo_id = await run_in_threadpool(runner.submit, placeholder(options), options, settings)
    except StoreBusy as busy:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(busy)) from None
    return RedirectResponse(f"/batches/{undo_id}", status_code=status.HTTP_303_SEE_OTHER)
