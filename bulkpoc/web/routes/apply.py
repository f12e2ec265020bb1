"""Apply this file: a dry run's results page sends its kept file again as a real batch.

The form (``id="apply-form"``) posts ``exclude_rows``, any number of times, each a row number
or rows such as ``4, 7-9``: a text box here, and tick boxes elsewhere on the page may join the
form (``form="apply-form"``). The batch is queued like any upload and the browser goes to its
page. A dry run that cannot be applied (already applied, failed, not finished) gets one
sentence (409), and the plan is checked again when the batch runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bulkpoc.batch.applying import ApplyRequest, parse_rows, submit_apply
from bulkpoc.domain.errors.types import ApplyRefused, StoreBusy
from bulkpoc.domain.users import User
from bulkpoc.jobs.queue import JobQueue
from bulkpoc.web.access import Needs, page
from bulkpoc.web.deps import UPLOAD, get_settings, get_store, no_email_address

router = APIRouter(include_in_schema=False)
EXCLUDE_FIELD = "exclude_rows"
# Applying a batch's file takes what uploading a file of its record type takes.
MayApply = Annotated[User, page(Needs("batch in path", "batch_id", UPLOAD))]


@router.post("/batches/{batch_id:int}/apply")
async def apply_file(request: Request, batch_id: int, user: MayApply) -> Response:
    """Queue the dry run's file as a real batch and go to its page (303)."""
    form = await request.form()
    specs = [value for value in form.getlist(EXCLUDE_FIELD) if isinstance(value, str)]
    try:
        rows = parse_rows(specs)
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    if "email_results" in form and not user.email:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, no_email_address(user))
    notify = (user.email,) if "email_results" in form and user.email else ()
    applying = ApplyRequest(batch_id, user.name, _source(request, batch_id), rows, notify)
    new_id = await run_in_threadpool(submit_apply_request, request, applying)
    return RedirectResponse(f"/batches/{new_id}", status_code=status.HTTP_303_SEE_OTHER)


def _source(request: Request, batch_id: int) -> str:
    """A mass edit's plan is applied as a mass edit (source ``list``); a file as a web upload."""
    batch = get_store(request).batch(batch_id)
    return "list" if batch is not None and batch["source"] == "list" else "web"


def submit_apply_request(request: Request, applying: ApplyRequest) -> int:
    """Queue the applying batch like any upload; 404, 409 or 503 in one sentence."""
    queue: JobQueue = request.app.state.queue
    settings = get_settings(request)
    try:
        return submit_apply(
            get_store(request),
            applying,
            lambda source, options, **columns: queue.submit(source, options, settings, **columns),
        )
    except KeyError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"There is no batch {applying.preview_id}."
        ) from None
    except ApplyRefused as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, str(refused)) from None
    except StoreBusy as busy:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(busy)) from None
