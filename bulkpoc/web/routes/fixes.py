"""Fix failed rows where you see them: the results page's "Submit fixes" and the error groups'
"Replace in all rows" post here; the fix is submitted as a batch like an upload (the job
layer runs it) and the browser goes to its results page, which shows what still fails.

Fixing a batch takes what uploading its record type takes. A fix that names a row that did
not fail or a column the file lacks is refused with one sentence (422), a batch with nothing
to fix too (409); nothing runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bulkpoc.batch.fixes import BatchNotFound, FixFile, FixRefused, NothingToFix, prepare_fix
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.users import User
from bulkpoc.store.db import Store
from bulkpoc.web.access import Needs, page
from bulkpoc.web.deps import UPLOAD, get_settings, get_store
from bulkpoc.web.fix_form import fixes_posted, offers

router = APIRouter(include_in_schema=False)
MayFix = Annotated[User, page(Needs("batch in path", "batch_id", UPLOAD))]


def fix_links(store: Store, result: BatchResult, user: User) -> dict[str, Any]:
    """What a results page says about fixing: the batch this one fixes, the batches that
    fixed it, and whether this user may fix its failed rows here (then the grid's failed
    cells are inputs, and each error group offers its fix)."""
    assert result.batch_id is not None
    rtype = RECORD_TYPES.get(result.record_type)
    can_fix = (
        rtype is not None
        and rtype.permission in user.permissions
        and result.status.finished
        and result.counts.failed > 0
        and bool(result.checksum)
        and store.file_kept(result.checksum)
    )
    return {
        "fixes": result.options.get("fixes"),
        "fixed_by": store.fixed_by(result.batch_id),
        "can_fix": can_fix,
        "group_fixes": offers(store.error_groups(result.batch_id)) if can_fix else [],
    }


def submit_fix(request: Request, fix: FixFile) -> int:
    """Queue the fix like an upload; 503 in one sentence when the store stays busy."""
    try:
        return int(
            request.app.state.queue.submit(
                fix.stream(), fix.options, get_settings(request), fixes=fix.fixes
            )
        )
    except StoreBusy as busy:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(busy)) from None


def refusal(error: FixRefused) -> HTTPException:
    """A refused fix as its answer: no batch (404), nothing to fix (409), else 422."""
    if isinstance(error, BatchNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    if isinstance(error, NothingToFix):
        return HTTPException(status.HTTP_409_CONFLICT, str(error))
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


@router.post("/batches/{batch_id:int}/fixes")
async def fix_rows(request: Request, batch_id: int, user: MayFix) -> Response:
    """Run the batch's failed rows again with the cells changed (or a group's value replaced)
    as a new batch, and go to its results page (303)."""
    form = await request.form()
    store = get_store(request)
    try:
        cells, groups = fixes_posted(form)
        fix = await run_in_threadpool(prepare_fix, store, batch_id, cells, groups, user.name)
    except FixRefused as refused:
        raise refusal(refused) from None
    new_id = await run_in_threadpool(submit_fix, request, fix)
    return RedirectResponse(f"/batches/{new_id}", status_code=status.HTTP_303_SEE_OTHER)
