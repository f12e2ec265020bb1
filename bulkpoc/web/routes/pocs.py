"""Points of Contact: the list, searched, filtered, sorted and paged by query parameters.

Everything the list shows is in its URL (``/pocs?q=sales&media_type=Email&sort=name&page=3``),
so a view can be shared and the page works without JavaScript. Unknown values are ignored
rather than refused: a hand-edited URL still shows a list. It shows the points of contact's
data, so it takes their record type's permission, as their export does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.users import User
from bulkpoc.store.listing import Active, RecordFilter
from bulkpoc.web.access import page, permission_of
from bulkpoc.web.deps import get_store
from bulkpoc.web.paging import page_number
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)

POC = RECORD_TYPES["poc"]

PAGE_SIZE = 50
QUERY_LENGTH = 200  # longer than any name or address
ACTIVE: dict[str, Active] = {"yes": "yes", "no": "no"}
COLUMNS = {  # sort key: column heading
    "name": "Name",
    "media_type": "Media Type",
    "point_of_contact": "Point of Contact",
    "skill": "Skill",
    "active": "Active",
    "last_modified": "Last Modified",
}


@dataclass(frozen=True)
class ListView:
    """What the URL asks for, cleaned: the filter, the order and the page."""

    where: RecordFilter
    sort: str
    descending: bool
    page: int

    @classmethod
    def from_query(cls, params: dict[str, str]) -> ListView:
        active = ACTIVE.get(params.get("active", ""))
        media_type = params.get("media_type", "")
        where = RecordFilter(
            query=params.get("q", "").strip()[:QUERY_LENGTH],
            media_type=media_type if media_type in MEDIA_TYPES else "",
            skill=params.get("skill", "").strip()[:QUERY_LENGTH],
            active=active,
        )
        sort = params.get("sort", "")
        return cls(
            where=where,
            sort=sort if sort in COLUMNS else "name",
            descending=params.get("dir") == "desc",
            page=page_number(params.get("page", "")),
        )

    def query(self, **changes: object) -> str:
        """This view's URL query with ``changes``; defaults left out to keep URLs short."""
        values = {
            "q": self.where.query,
            "media_type": self.where.media_type,
            "skill": self.where.skill,
            "active": self.where.active or "",
            "sort": self.sort,
            "dir": "desc" if self.descending else "",
            "page": self.page,
        } | changes
        if values["sort"] == "name":
            values["sort"] = ""
        if values["page"] == 1:
            values["page"] = ""
        return urlencode({key: value for key, value in values.items() if value})

    def sort_query(self, key: str) -> str:
        """The URL that sorts by ``key``: ascending first, the other way when already so."""
        flip = key == self.sort and not self.descending
        return self.query(sort=key, dir="desc" if flip else "", page=1)


def page_links(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last, and those near the current; None is a gap."""
    shown = sorted({1, last, *range(max(current - around, 1), min(current + around, last) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


@router.get("/pocs")
def poc_list(request: Request, user: Annotated[User, page(permission_of("poc"))]) -> Response:
    store = get_store(request)
    view = ListView.from_query(dict(request.query_params))
    rows, total = store.search_records(
        POC, view.where, view.sort, view.descending, PAGE_SIZE, (view.page - 1) * PAGE_SIZE
    )
    last = max(math.ceil(total / PAGE_SIZE), 1)
    if view.page > last:  # past the end (the list shrank): show the last page
        view = ListView(view.where, view.sort, view.descending, last)
        rows, total = store.search_records(
            POC, view.where, view.sort, view.descending, PAGE_SIZE, (last - 1) * PAGE_SIZE
        )
    return render(
        request,
        "pocs.html",
        user=user,
        rows=rows,
        total=total,
        view=view,
        last_page=last,
        pages=page_links(view.page, last),
        first_row=(view.page - 1) * PAGE_SIZE + 1,
        columns=COLUMNS,
        media_types=MEDIA_TYPES,
        skills=store.skill_names(),
        filtered=view.where != RecordFilter(),
    )
