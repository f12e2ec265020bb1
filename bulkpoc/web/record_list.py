"""A list of records of one type, searched, filtered, sorted and paged by query parameters.

Everything a list shows is in its URL (``/skills?q=sales&active=yes&sort=name&page=3``), so a
view can be shared and the page works without JavaScript. Unknown values are ignored rather
than refused: a hand-edited URL still shows a list. The store does the finding
(``store/listing.py``); this is what the URL asks of it, and the page's links.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.store.db import Store
from bulkpoc.store.listing import (
    LAST_MODIFIED,
    Active,
    Record,
    RecordFilter,
    Use,
    default_sort,
    field_names,
    filters,
)
from bulkpoc.web.paging import page_number

PAGE_SIZE = 50
QUERY_LENGTH = 200  # longer than any name or address
ACTIVE: dict[str, Active] = {"yes": "yes", "no": "no"}
USE: dict[str, Use] = {"free": "free", "used": "used"}


def columns_of(rtype: RecordType) -> dict[str, str]:
    """Every column a list of ``rtype`` can be sorted by, by sort key: its heading."""
    names = {name: field.header for name, field in field_names(rtype).items()}
    return names | {LAST_MODIFIED: "Last Modified"}


@dataclass(frozen=True)
class ListView:
    """What the URL asks for, cleaned: the filter, the order and the page."""

    where: RecordFilter
    sort: str
    descending: bool
    page: int
    default: str = "name"  # the order a URL without ``sort`` means

    @classmethod
    def from_query(
        cls, params: dict[str, str], rtype: RecordType, columns: dict[str, str]
    ) -> ListView:
        offered = filters(rtype)
        media_type = params.get("media_type", "")
        where = RecordFilter(
            query=params.get("q", "").strip()[:QUERY_LENGTH],
            media_type=media_type if media_type in MEDIA_TYPES and "media_type" in offered else "",
            skill=params.get("skill", "").strip()[:QUERY_LENGTH] if "skill" in offered else "",
            active=ACTIVE.get(params.get("active", "")) if "active" in offered else None,
            use=USE.get(params.get("use", "")) if "use" in offered else None,
        )
        default = default_sort(rtype)
        sort = params.get("sort", "")
        return cls(
            where=where,
            sort=sort if sort in columns else default,
            descending=params.get("dir") == "desc",
            page=page_number(params.get("page", "")),
            default=default,
        )

    def query(self, **changes: object) -> str:
        """This view's URL query with ``changes``; defaults left out to keep URLs short."""
        values = {
            "q": self.where.query,
            "media_type": self.where.media_type,
            "skill": self.where.skill,
            "active": self.where.active or "",
            "use": self.where.use or "",
            "sort": self.sort,
            "dir": "desc" if self.descending else "",
            "page": self.page,
        } | changes
        if values["sort"] == self.default:
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


def list_page(
    store: Store, rtype: RecordType, params: dict[str, str], columns: dict[str, str]
) -> dict[str, Any]:
    """What a list page shows: one page of the records the URL asks for, and its links."""
    view = ListView.from_query(params, rtype, columns)

    def search(page: int) -> tuple[list[Record], int]:
        offset = (page - 1) * PAGE_SIZE
        return store.search_records(
            rtype, view.where, view.sort, view.descending, PAGE_SIZE, offset
        )

    rows, total = search(view.page)
    last = max(math.ceil(total / PAGE_SIZE), 1)
    if view.page > last:  # past the end (the list shrank): show the last page
        view = replace(view, page=last)
        rows, total = search(last)
    return {
        "rows": rows,
        "total": total,
        "view": view,
        "last_page": last,
        "pages": page_links(view.page, last),
        "first_row": (view.page - 1) * PAGE_SIZE + 1,
        "columns": columns,
        "media_types": MEDIA_TYPES,
        "filters": filters(rtype),
        "filtered": view.where != RecordFilter(),
    }
