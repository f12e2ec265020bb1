"""Run History: every batch, newest first, filtered by status, source and user, a page at a time.

Any logged-in user may read it (as ``bulkpoc history``): it changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.users import User
from bulkpoc.store.db import Store
from bulkpoc.web.access import LOGIN, page
from bulkpoc.web.deps import get_store
from bulkpoc.web.paging import pager, requested_page
from bulkpoc.web.progress import batch_progress
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)

FILTERS = {"status": "status", "source": "source", "user": "user_name"}  # query -> column


@router.get("/history")
def history_page(
    request: Request,
    user: Annotated[User, page(LOGIN)],
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    chosen = {name: request.query_params.get(name) or None for name in FILTERS}
    page = requested_page(request)
    size = 50
    batches, total = store.history_page(**chosen, offset=(page - 1) * size, limit=size)
    pages = pager(request, total, page, size)
    if pages.page != page:  # past the last page: show the last
        batches, total = store.history_page(**chosen, offset=pages.offset, limit=size)
    running = {
        batch["id"]: batch_progress(request, store, batch).message
        for batch in batches
        if not BatchStatus(batch["status"]).finished
    }
    return render(
        request,
        "history.html",
        user=user,
        batches=batches,
        running=running,
        awaiting=store.awaiting_approval(batches),
        chosen=chosen,
        choices={name: store.history_counts(column) for name, column in FILTERS.items()},
        statuses={status.value: status.label for status in BatchStatus},
        record_types={name: rtype.plural for name, rtype in RECORD_TYPES.items()},
        pager=pages,
    )
