"""``POST /api/v1/batches/{id}/fixes``: correct a batch's failed rows and run them again, so a
partner system can fix and resubmit without rebuilding a file.

The fix is a batch like any upload (source ``fix``, submitted to the job layer: 202, then
follow its progress and fetch its result), with the options of the batch it fixes, acting as
the token's user. Registered on the API's router (``bulkpoc.web.api.router``) when this module
is imported, which the application does before it includes that router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Request, Response
from fastapi import status as http
from fastapi.concurrency import run_in_threadpool

from bulkpoc.batch.fixes import CellFix, FixRefused, GroupFix, prepare_fix
from bulkpoc.domain.users import User
from bulkpoc.web.access import Needs, api
from bulkpoc.web.api import BatchId, _batch, _problem, _progress, router
from bulkpoc.web.api_models import FixRequest
from bulkpoc.web.deps import UPLOAD, get_store
from bulkpoc.web.progress import BatchProgress
from bulkpoc.web.routes.fixes import refusal, submit_fix

# Fixing a batch's rows takes what uploading a file of its record type takes.
MayFix = Annotated[User, api(Needs("batch in path", "batch_id", UPLOAD))]


@router.post(
    "/batches/{batch_id}/fixes",
    status_code=http.HTTP_202_ACCEPTED,
    summary="Fix a batch's failed rows",
    responses={
        202: {
            "description": "The fix was submitted as a new batch: follow its progress. Its "
            "results name the rows as the original file does, and list what still fails.",
            "headers": {
                "Location": {"description": "The fix's result.", "schema": {"type": "string"}}
            },
        },
        400: _problem("The body is not JSON."),
        403: _problem("The user may not upload this batch's record type."),
        404: _problem("There is no such batch."),
        409: _problem(
            "The batch has nothing to fix: no failed rows, not finished, or its file is no "
            "longer kept."
        ),
        422: _problem(
            "A fix names a row that did not fail, a column the file does not have, or a value "
            "no failed row has: nothing ran."
        ),
        503: _problem("The store stayed busy longer than the lock timeout: nothing was stored."),
    },
)
async def fix_batch_rows(
    request: Request,
    response: Response,
    user: MayFix,
    batch_id: BatchId,
    body: Annotated[FixRequest | None, Body()] = None,
) -> BatchProgress:
    """Run every failed row of the batch again, with the given cells set and values
    replaced, as a new batch linked to it (``options.fixes``), under the same rules and
    permissions as an upload."""
    chosen = body or FixRequest.model_validate({})
    cells = [CellFix(cell.row, cell.column, cell.value) for cell in chosen.cells]
    groups = [GroupFix(group.column, group.from_, group.to) for group in chosen.replace]
    try:
        fix = await run_in_threadpool(
            prepare_fix, get_store(request), batch_id, cells, groups, user.name, chosen.dry_run
        )
    except FixRefused as refused:
        raise refusal(refused) from None
    new_id = await run_in_threadpool(submit_fix, request, fix)
    response.headers["Location"] = request.app.url_path_for("batch_result", batch_id=new_id)
    return _progress(request, _batch(request, new_id))
