"""Create, edit, activate and deactivate one record in the browser (``/pocs/new``,
``/pocs/12/edit``, ``/skills/3/active``…), for every record type.

Each save is a one-row batch (source ``form``) through the same engine as an upload, applied
at once (``bulkpoc.batch.edits``): the same rules, permissions, change records, history and
undo. A saved record's page links the batch; a refused save shows the form again with each
message beside its field and the values kept. An edit carries the Last Modified its form
showed, so a second person's save of the same record is a conflict, shown with both values.
Each route takes its record type's permission; what a row changes (a POC's skill, its
Active) takes the field's own permission, which the batch checks as for a file.
"""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bulkpoc.batch.edits import (
    EditRefused,
    RecordNotFound,
    create_record,
    deactivate,
    edit_record,
    edited_key,
    modified_text,
)
from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.users import User
from bulkpoc.store.listing import LAST_MODIFIED, collection
from bulkpoc.web.access import page, permission_of
from bulkpoc.web.deps import get_settings, get_store
from bulkpoc.web.record_form import (
    RecordForm,
    build_form,
    place_errors,
    posted_values,
    record_values,
)
from bulkpoc.web.routes.records import not_found, record_page, record_url, title
from bulkpoc.web.templating import render
from bulkpoc.web.way_out import refusal, way_out

router = APIRouter(include_in_schema=False)

Form = dict[str, str]
SEARCH_LENGTH = 40


def saved(result: BatchResult) -> bool:
    """Whether a form's one-row batch applied its row."""
    return result.applied and result.status is BatchStatus.SUCCEEDED and not result.counts.failed


def to_record(rtype: RecordType, key: Any, result: BatchResult) -> Response:
    """The record's page, naming the batch that saved it (303)."""
    url = f"{record_url(rtype, key)}?saved={result.batch_id}"
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


async def posted(request: Request) -> Form:
    """The form's text fields (a form sends nothing else)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _refused(error: EditRefused) -> HTTPException:
    if isinstance(error, RecordNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(error))


# --- the pages ---------------------------------------------------------------------------------


def show_form(
    request: Request,
    user: User,
    rtype: RecordType,
    form: RecordForm,
    status_code: int = 200,
    **shown: Any,
) -> Response:
    return render(
        request,
        "record_form.html",
        status_code,
        user=user,
        rtype=rtype,
        form=form,
        list_url=f"/{collection(rtype)}",
        search=request.query_params.get("number_q", "")[:SEARCH_LENGTH],
        **shown,
    )


def new_page(request: Request, user: User, rtype: RecordType) -> Response:
    """The new record's form; a point of contact's media type first, as its fields depend on
    it."""
    media = request.query_params.get("media_type", "")
    if rtype.name == "poc" and media not in MEDIA_TYPES:
        return render(
            request, "record_media_type.html", user=user, rtype=rtype, media_types=MEDIA_TYPES
        )
    values = {"media_type": media} if media in MEDIA_TYPES else {}
    search = request.query_params.get("number_q", "")[:SEARCH_LENGTH]
    form = build_form(get_store(request), rtype, values, number_search=search)
    return show_form(request, user, rtype, form, action=f"/{collection(rtype)}/new")


def create(request: Request, user: User, rtype: RecordType, data: Form) -> Response:
    values = posted_values(rtype, data)
    if rtype.name == "poc" and values.get("media_type") not in MEDIA_TYPES:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "Choose the new point of contact's media type first."
        )
    if not any(values.values()):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The form sent no values to save.")
    store = get_store(request)
    try:
        result = create_record(
            store, get_settings(request), rtype.name, values, user.name, source="form"
        )
    except EditRefused as error:
        raise _refused(error) from None
    if saved(result):
        return to_record(rtype, edited_key(store, result), result)
    form = build_form(store, rtype, values)
    place_errors(form, result)
    return show_form(
        request,
        user,
        rtype,
        form,
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        action=f"/{collection(rtype)}/new",
        failed_batch=result.batch_id,
    )


def edit_page(request: Request, user: User, rtype: RecordType, key: int | str) -> Response:
    store = get_store(request)
    record = store.find_record(rtype, key)
    if record is None:
        raise not_found(rtype, key)
    search = request.query_params.get("number_q", "")[:SEARCH_LENGTH]
    form = build_form(store, rtype, record_values(rtype, record), record, search)
    return show_form(
        request,
        user,
        rtype,
        form,
        action=f"{record_url(rtype, key)}/edit",
        record_name=title(rtype, record),
        record_link=record_url(rtype, key),
        last_modified=modified_text(record[LAST_MODIFIED]),
    )


def save(request: Request, user: User, rtype: RecordType, key: int | str, data: Form) -> Response:
    store = get_store(request)
    values = posted_values(rtype, data)
    if not values:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "The form sent no values to save.")
    seen = data.get("last_modified") or None
    try:
        result = edit_record(
            store, get_settings(request), rtype.name, key, values, user.name, "form", seen
        )
    except EditRefused as error:
        raise _refused(error) from None
    if saved(result):
        return to_record(rtype, key, result)
    now = store.find_record(rtype, key)
    if now is None:
        raise not_found(rtype, key)
    stored = record_values(rtype, now)
    form = build_form(store, rtype, stored | values, now)
    conflict = any(error.code == "conflict" for error in result.errors)
    if conflict:  # shown as both values, the form's time moved on: saving again replaces theirs
        result.errors = [error for error in result.errors if error.code != "conflict"]
        seen = modified_text(now[LAST_MODIFIED])
    place_errors(form, result)
    both = [(f.label, stored.get(f.name, ""), f.value) for f in form.fields]
    return show_form(
        request,
        user,
        rtype,
        form,
        status.HTTP_409_CONFLICT if conflict else status.HTTP_422_UNPROCESSABLE_CONTENT,
        action=f"{record_url(rtype, key)}/edit",
        record_name=title(rtype, now),
        record_link=record_url(rtype, key),
        last_modified=seen or "",
        failed_batch=result.batch_id,
        conflict=[line for line in both if line[1] != line[2]] if conflict else None,
        changed_at=now[LAST_MODIFIED],
    )


def set_active(
    request: Request, user: User, rtype: RecordType, key: int | str, data: Form
) -> Response:
    """Activate (``active=Y``) or deactivate (``active=N``) the record."""
    wanted = data.get("active")
    if wanted not in ("Y", "N"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Say active=Y or active=N.")
    store, settings = get_store(request), get_settings(request)
    seen = data.get("last_modified") or None
    try:
        if wanted == "N":
            result = deactivate(store, settings, rtype.name, key, user.name, "form", None, seen)
        else:
            fields = {"active": True}
            result = edit_record(store, settings, rtype.name, key, fields, user.name, "form", seen)
    except EditRefused as error:
        raise _refused(error) from None
    if saved(result):
        return to_record(rtype, key, result)
    verb = "deactivated" if wanted == "N" else "activated"
    return record_page(
        request,
        user,
        rtype,
        key,
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        refusal=refusal(f"Not {verb}:", result),
        way_out=way_out(store, rtype, key, result),
    )


def deactivate_via_skill(request: Request, user: User, key: int, data: Form) -> Response:
    """The deactivation rule's way out as one batch: move to an inactive skill and
    deactivate, so one undo takes both back."""
    rtype = RECORD_TYPES["poc"]
    skill = data.get("skill", "").strip()
    if not skill:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Choose the inactive skill to move to.")
    store, settings = get_store(request), get_settings(request)
    seen = data.get("last_modified") or None
    try:
        result = deactivate(store, settings, rtype.name, key, user.name, "form", skill, seen)
    except EditRefused as error:
        raise _refused(error) from None
    if saved(result):
        return to_record(rtype, key, result)
    return record_page(
        request,
        user,
        rtype,
        key,
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        refusal=refusal("Not deactivated:", result),
        way_out=way_out(store, rtype, key, result),
    )


# --- the routes, for each record type ----------------------------------------------------------


def _register(rtype: RecordType) -> None:
    base = f"/{collection(rtype)}"
    one = f"{base}/{{key:int}}" if rtype.system_key else f"{base}/{{key}}"
    needs = permission_of(rtype.name)

    def new_form(request: Request, user: Annotated[User, page(needs)]) -> Response:
        return new_page(request, user, rtype)

    async def create_route(request: Request, user: Annotated[User, page(needs)]) -> Response:
        data = await posted(request)
        return await run_in_threadpool(create, request, user, rtype, data)

    def edit_form(request: Request, user: Annotated[User, page(needs)], key: int | str) -> Response:
        return edit_page(request, user, rtype, key)

    async def save_route(
        request: Request, user: Annotated[User, page(needs)], key: int | str
    ) -> Response:
        data = await posted(request)
        return await run_in_threadpool(save, request, user, rtype, key, data)

    name = rtype.name.replace("-", "_")
    router.add_api_route(f"{base}/new", new_form, methods=["GET"], name=f"{name}_new")
    router.add_api_route(f"{base}/new", create_route, methods=["POST"], name=f"{name}_create")
    router.add_api_route(f"{one}/edit", edit_form, methods=["GET"], name=f"{name}_edit")
    router.add_api_route(f"{one}/edit", save_route, methods=["POST"], name=f"{name}_save")
    if rtype.name not in ("poc", "skill"):
        return

    async def active_route(
        request: Request, user: Annotated[User, page(needs)], key: int | str
    ) -> Response:
        data = await posted(request)
        return await run_in_threadpool(set_active, request, user, rtype, key, data)

    router.add_api_route(f"{one}/active", active_route, methods=["POST"], name=f"{name}_active")


for _rtype in RECORD_TYPES.values():
    _register(_rtype)


@router.post("/pocs/{key:int}/deactivate-via-skill")
async def poc_deactivate_via_skill(
    request: Request, key: int, user: Annotated[User, page(permission_of("poc"))]
) -> Response:
    data = await posted(request)
    return await run_in_threadpool(deactivate_via_skill, request, user, key, data)
