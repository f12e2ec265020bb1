"""One record's page (``/pocs/12``, ``/skills/3``, ``/numbers/+12025550100``): its current
values, as a definition list labelled with the file's column headers.

Each page takes its record type's permission, as the type's export does. The values are the
``values`` block of ``record.html`` (the ``_record_values.html`` partial); the record's history
(``_record_history.html``: every batch that changed it, a page at a time) in the ``history``
block after it.
"""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from bulkpoc.batch.edits import modified_text
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.users import User
from bulkpoc.store.listing import LAST_MODIFIED, Record, collection, field_names
from bulkpoc.store.schema import MAX_ID
from bulkpoc.web.access import page, permission_of
from bulkpoc.web.deps import get_store
from bulkpoc.web.record_history import history_section
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Value:
    """One line of the definition list: the column's header, the value as text, and where it
    links (a referenced record the user may see); ``when`` for a time."""

    label: str
    text: str
    href: str | None = None
    when: str | None = None


def record_url(rtype: RecordType, key: int | str) -> str:
    """The page of the record of ``rtype`` whose key is ``key``."""
    return f"/{collection(rtype)}/{quote(str(key), safe='')}"


def not_found(rtype: RecordType, key: int | str) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND, f"There is no {rtype.label.lower()} {str(key)[:100]!r}."
    )


def record_values(rtype: RecordType, record: Record, user: User) -> list[Value]:
    """The record's values in the file's column order, each labelled with its header."""
    values = []
    for name, field in field_names(rtype).items():
        value = record[name]
        if field.kind == "ref":
            ref = RECORD_TYPES[field.ref or ""]
            target = record[f"{name}_id"]
            may_see = target is not None and ref.permission in user.permissions
            href = record_url(ref, target) if may_see else None
            values.append(Value(field.header, value or "(none)", href))
        elif field.kind == "yes_no":
            values.append(Value(field.header, "Yes" if value else "No"))
        else:
            values.append(Value(field.header, str(value)))
    changed = record[LAST_MODIFIED]
    values.append(
        Value("Last Modified", f"{changed:%Y-%m-%d %H:%M} UTC", when=f"{changed.isoformat()}Z")
    )
    return values


def title(rtype: RecordType, record: Record) -> str:
    """What the page calls the record: its name, or a number its phone number."""
    return str(record.get("name") or record[next(iter(field_names(rtype)))])


def back_link(rtype: RecordType) -> tuple[str, str]:
    """Where a record's page leads back to: its list."""
    if rtype.name == "poc":
        return ("/pocs", "Points of Contact")
    return (f"/manage/{rtype.name}", f"Manage {rtype.plural}")


def record_page(
    request: Request,
    user: User,
    rtype: RecordType,
    key: int | str,
    status_code: int = 200,
    **shown: Any,
) -> Response:
    """The page of the record of ``rtype`` whose key is ``key``; ``shown`` adds to what it
    shows (a refused change's messages, the deactivation's way out)."""
    store = get_store(request)
    record = store.find_record(rtype, key)
    if record is None:
        raise not_found(rtype, key)
    return render(
        request,
        "record.html",
        status_code,
        user=user,
        rtype=rtype,
        record=record,
        key=key,
        name=title(rtype, record),
        values=record_values(rtype, record, user),
        back=back_link(rtype),
        url=record_url(rtype, key),
        last_modified=modified_text(record[LAST_MODIFIED]),
        saved=saved_batch(request),
        has_active="active" in field_names(rtype),
        **history_section(request, store, rtype, key),
        **shown,
    )


def saved_batch(request: Request) -> int | None:
    """The batch a form's save just ran (``?saved=12``), which the page links."""
    text = request.query_params.get("saved", "")
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


def _detail_route(rtype: RecordType) -> None:
    """Register the page of ``rtype``'s records: ``/pocs/{key:int}``, ``/numbers/{key}``."""
    path = (
        f"/{collection(rtype)}/{{key:int}}" if rtype.system_key else f"/{collection(rtype)}/{{key}}"
    )

    def detail(
        request: Request, user: Annotated[User, page(permission_of(rtype.name))], key: int | str
    ) -> Response:
        return record_page(request, user, rtype, key)

    router.add_api_route(path, detail, methods=["GET"], name=f"{rtype.name}_page")


for _rtype in RECORD_TYPES.values():
    _detail_route(_rtype)
