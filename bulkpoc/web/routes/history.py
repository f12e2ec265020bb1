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
    schedule = request.query_params.get("schedule") or None  # from a schedule's page
    page = requested_page(request)
    size = 50
    wanted = chosen | {"schedule": schedule}
    batches, total = store.history_page(**wanted, offset=(page - 1) * size, limit=size)
    pages = pager(request, total, page, size)
    if pages.page != page:  # past the last page: show the last
        batches, total = store.history_page(**wanted, offset=pages.offset, limit=size)
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
        schedule=schedule,
        choices={
            name: _with_chosen(store.history_counts(column), chosen[name])
            for name, column in FILTERS.items()
        },
        statuses={status.value: status.label for status in BatchStatus},
        record_types={name: rtype.plural for name, rtype in RECORD_TYPES.items()},
        pager=pages,
    )


def _with_chosen(counts: list[tuple[str, int]], chosen: str | None) -> list[tuple[str, int]]:
    """The filter's choices with their batches, and the chosen one even when no batch has
    it, so the filter box still shows what the list is filtered by."""
    if chosen is None or chosen in dict(counts):
        return counts
    return [*counts, (chosen, 0)]
