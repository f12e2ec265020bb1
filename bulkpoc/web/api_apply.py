"""``POST /api/v1/batches/{id}/apply``: apply a dry run's file as it was previewed.

Registered on the API's router (``bulkpoc.web.api.router``) when this module is imported,
which the application does before it includes that router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, HTTPException, Request
from fastapi import status as http
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bulkpoc.batch.applying import MAX_EXCLUDED, ApplyRequest
from bulkpoc.domain.users import User
from bulkpoc.store import schema
from bulkpoc.web.access import Needs, api
from bulkpoc.web.api import BatchId, _batch, _problem, _progress, router
from bulkpoc.web.deps import UPLOAD, no_email_address
from bulkpoc.web.progress import BatchProgress
from bulkpoc.web.routes.apply import submit_apply_request

# Applying a batch's file takes what uploading a file of its record type takes.
MayApply = Annotated[User, api(Needs("batch in path", "batch_id", UPLOAD))]
RowNumber = Annotated[int, Field(ge=2, le=schema.MAX_ID)]


class ApplyBody(BaseModel):
    """What to leave out of the dry run's file, and where the results go."""

    model_config = ConfigDict(extra="forbid")

    exclude_rows: list[RowNumber] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDED,
        description="Rows of the file to leave out, numbered as in the spreadsheet (the "
        "header is row 1); reported as skipped by the reviewer.",
        examples=[[4, 7]],
    )
    email_results: bool = Field(
        default=False, description="Email the results to the token's user, as an upload does."
    )


@router.post(
    "/batches/{batch_id}/apply",
    status_code=http.HTTP_201_CREATED,
    summary="Apply a dry run",
    responses={
        201: {
            "description": "The applying batch was created: poll its progress until it is "
            "finished. If the store changed since the dry run so that any row would do "
            "something else, it fails, applies nothing, and names a new dry run.",
            "headers": {
                "Location": {"description": "The batch's result.", "schema": {"type": "string"}}
            },
        },
        400: _problem("The body is not JSON."),
        403: _problem("The user may not upload this batch's record type."),
        404: _problem("There is no such batch."),
        409: _problem(
            "The batch cannot be applied: not a dry run, not finished, failed, or already "
            "applied (also by a request sent at the same moment)."
        ),
        503: _problem("The store stayed busy longer than the lock timeout: nothing was stored."),
    },
)
async def apply_dry_run(
    request: Request,
    response: Response,
    user: MayApply,
    batch_id: BatchId,
    body: Annotated[ApplyBody | None, Body()] = None,
) -> BatchProgress:
    """Run the dry run's kept file again as a real batch, linked to it (``preview_of``), with
    the dry run's options, acting as the token's user, leaving out ``exclude_rows``."""
    body = body or ApplyBody()
    if body.email_results and not user.email:
        raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, no_email_address(user))
    notify = (user.email,) if body.email_results and user.email else ()
    rows = tuple(sorted(set(body.exclude_rows)))
    applying = ApplyRequest(batch_id, user.name, "api", rows, notify)
    new_id = await run_in_threadpool(submit_apply_request, request, applying)
    response.headers["Location"] = request.app.url_path_for("batch_result", batch_id=new_id)
    return _progress(request, _batch(request, new_id))
