"""A record's history on its page: one page of its change records (the ``page`` query
parameter) and the pager, for ``_record_history.html``. The same RecordHistory that
``bulkpoc changes --id`` prints and ``GET /api/v1/{collection}/{id}/changes`` answers."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from bulkpoc.domain.records.base import RecordType
from bulkpoc.services.history import record_history
from bulkpoc.store.db import Store
from bulkpoc.web.deps import get_settings
from bulkpoc.web.paging import pager, requested_page

HISTORY_PAGE = 50


def history_section(
    request: Request, store: Store, rtype: RecordType, key: int | str
) -> dict[str, Any]:
    """``history`` and ``history_pager`` for the record of ``rtype`` whose key is ``key``; a
    page past the last shows the last."""
    region = get_settings(request).default_region
    page = requested_page(request)

    def read(offset: int) -> Any:
        return record_history(
            store, rtype, key=str(key), offset=offset, limit=HISTORY_PAGE, region=region
        )

    found = read((page - 1) * HISTORY_PAGE)
    pages = pager(request, found.total, page, HISTORY_PAGE)
    if pages.page != page:
        found = read(pages.offset)
    return {"history": found, "history_pager": pages}
