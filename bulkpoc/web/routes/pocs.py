"""Points of Contact: the list, searched, filtered, sorted and paged by query parameters
(``/pocs?q=sales&media_type=Email&sort=name&page=3``; web/record_list.py reads them).

It shows the points of contact's data, so it takes their record type's permission, as their
export does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.users import User
from bulkpoc.web.access import page, permission_of
from bulkpoc.web.deps import get_store
from bulkpoc.web.record_list import list_page, page_links
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)

POC = RECORD_TYPES["poc"]

__all__ = ["COLUMNS", "page_links", "router"]

COLUMNS = {  # sort key: column heading
    "name": "Name",
    "media_type": "Media Type",
    "point_of_contact": "Point of Contact",
    "skill": "Skill",
    "active": "Active",
    "last_modified": "Last Modified",
}


@router.get("/pocs")
def poc_list(request: Request, user: Annotated[User, page(permission_of("poc"))]) -> Response:
    store = get_store(request)
    shown = list_page(store, POC, dict(request.query_params), COLUMNS)
    return render(request, "pocs.html", user=user, skills=store.skill_names(), **shown)
