"""The lists of skills, scripts, chat profiles and numbers (``/skills``, ``/numbers?q=555``):
searched, filtered, sorted and paged as the POC list is (web/record_list.py), each column the
file's; the numbers list also says which points of contact use each number.

Each takes its record type's permission, as its export does.
"""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.users import User
from bulkpoc.store.listing import collection, field_names
from bulkpoc.web.access import page, permission_of
from bulkpoc.web.deps import get_store
from bulkpoc.web.record_list import columns_of, list_page
from bulkpoc.web.routes.records import record_url
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)

LISTED = ("skill", "script", "chat-profile", "number")  # the POC list is routes/pocs.py


def _list_route(rtype: RecordType) -> None:
    """Register ``/{collection}``, the list of ``rtype``'s records."""
    columns = columns_of(rtype)
    key = next(iter(field_names(rtype)))

    def record_list(
        request: Request, user: Annotated[User, page(permission_of(rtype.name))]
    ) -> Response:
        store = get_store(request)
        shown = list_page(store, rtype, dict(request.query_params), columns)
        keys = [row[key] for row in shown["rows"]]
        return render(
            request,
            "records.html",
            user=user,
            rtype=rtype,
            base=f"/{collection(rtype)}",
            kinds={name: field.kind for name, field in field_names(rtype).items()},
            links={row_key: record_url(rtype, row_key) for row_key in keys},
            used_by=store.number_users(keys) if rtype.name == "number" else None,
            **shown,
        )

    router.add_api_route(
        f"/{collection(rtype)}", record_list, methods=["GET"], name=f"{rtype.name}_list"
    )


for _name in LISTED:
    _list_route(RECORD_TYPES[_name])
