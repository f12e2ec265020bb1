"""Administration, Outbox: the results emails not sent yet (waiting for their first try, or
failed and waiting to be tried again), and "Retry now", which tries them at once as
``bulkpoc outbox send --all-pending`` does (``output.delivery.deliver_due``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.users import User
from bulkpoc.output import delivery, mail
from bulkpoc.store.db import Store
from bulkpoc.web.admin_pages import Admin, admin_render, form_text
from bulkpoc.web.deps import get_settings, get_store

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
EVERY = "all"


@router.get("/admin/outbox")
def outbox_page(request: Request, user: Admin, store: StoreDep) -> Response:
    return _page(request, user, store)


@router.post("/admin/outbox/retry")
async def retry(request: Request, user: Admin, store: StoreDep) -> Response:
    """Try one message (``message`` is its id) or every pending one (``all``) now."""
    chosen = form_text(await request.form(), "message")
    if chosen != EVERY and not chosen.isdigit():
        code = status.HTTP_400_BAD_REQUEST
        return _page(request, user, store, code, error="Choose a message to retry.")
    only = None if chosen == EVERY else [int(chosen)]
    settings = get_settings(request)
    try:
        tried = await run_in_threadpool(
            delivery.deliver_due, store, settings, only=only, ignore_backoff=True
        )
    except BulkpocError as busy:
        return _page(request, user, store, status.HTTP_503_SERVICE_UNAVAILABLE, error=str(busy))
    return _page(request, user, store, tried=tried)


def _page(
    request: Request,
    user: User,
    store: Store,
    status_code: int = status.HTTP_200_OK,
    **shown: Any,
) -> Response:
    return admin_render(
        request,
        "admin_outbox.html",
        user,
        "outbox",
        status_code,
        messages=mail.messages(store),
        **shown,
    )
