"""The mapping step of a web upload: a partner's file whose header row does not fit.

The upload (routes/manage.py) holds the file in the store for the user who sent it and comes
here. The page shows each of our columns with a choice of the file's columns, "not in this
file" or one value for every row, guessed by names and values; the spellings of each mapped
column's values; and the first rows as they will be read. One form, three buttons: Show the
preview, Save this mapping as…, Import with this mapping. It works without JavaScript.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.records import RecordType
from bulkpoc.domain.users import User
from bulkpoc.services import mapping_step
from bulkpoc.services.mappings import save_mapping
from bulkpoc.store.held_uploads import HOLD_HOURS, HeldUpload
from bulkpoc.web.access import page, type_in_path, type_named
from bulkpoc.web.deps import UPLOAD, get_store
from bulkpoc.web.mapping_form import CONSTANT, StepForm
from bulkpoc.web.routes.manage import ROWS, submit_upload
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)
MayUpload = Annotated[User, page(type_in_path("type_name", UPLOAD))]
ACTIONS = ("preview", "save", "import")
NAMES_LISTED = 200  # the store's names a spelling's list suggests at most


@router.get("/manage/{type_name}/mapping/{key}")
def mapping_page(request: Request, user: MayUpload, type_name: str, key: str) -> Response:
    """The step as first shown: the guessed columns and spellings, and their preview."""
    rtype = type_named(type_name)
    held, options = _held(request, user, rtype, key)
    rows = mapping_step.first_rows(held.content, options)
    proposal = mapping_step.propose(get_store(request), rows, rtype.name)
    form = StepForm.proposed(rtype, rows, proposal)
    return _page(request, user, rtype, key, options, form)


@router.post("/manage/{type_name}/mapping/{key}")
async def mapping_post(request: Request, user: MayUpload, type_name: str, key: str) -> Response:
    """Preview, save or import with the choices sent."""
    rtype = type_named(type_name)
    fields = {
        name: value for name, value in (await request.form()).items() if isinstance(value, str)
    }
    return await run_in_threadpool(_act, request, user, rtype, key, fields)


def _act(
    request: Request, user: User, rtype: RecordType, key: str, fields: dict[str, str]
) -> Response:
    held, options = _held(request, user, rtype, key)
    store = get_store(request)
    rows = mapping_step.first_rows(held.content, options)
    proposal = mapping_step.propose(store, rows, rtype.name)
    form = StepForm.posted(rtype, rows, fields, proposal)
    action = fields.get("action", "preview")
    saved_as = fields.get("saved_as", "").strip()
    if action not in ACTIONS or action == "preview":
        return _page(request, user, rtype, key, options, form, saved_as=saved_as)
    if form.check():
        return _page(
            request, user, rtype, key, options, form, status.HTTP_400_BAD_REQUEST, saved_as=saved_as
        )
    mapping = form.mapping()
    if action == "save":
        name = fields.get("save_name", "").strip()
        try:
            saved, _created = save_mapping(store, name, mapping.to_toml(), rtype.name, user)
        except BulkpocError as refused:
            return _page(
                request,
                user,
                rtype,
                key,
                options,
                form,
                status.HTTP_400_BAD_REQUEST,
                save_error=str(refused),
                save_name=name,
                saved_as=saved_as,
            )
        return _page(request, user, rtype, key, options, form, saved_as=saved.name, just_saved=True)
    # Import: the upload's own options, reading the file through this mapping. The upload id
    # carries the mapping, so a form sent twice is one batch and another mapping another one.
    mapped = mapping_step.with_mapping(options, mapping, saved_as or None)
    digest = hashlib.sha256(mapped.mapping.encode()).hexdigest()[:16]  # type: ignore[union-attr]
    mapped = dataclasses.replace(mapped, upload_id=f"{key}-{digest}")
    return submit_upload(request, user, rtype, io.BytesIO(held.content), mapped, {})


def _held(
    request: Request, user: User, rtype: RecordType, key: str
) -> tuple[HeldUpload, ImportOptions]:
    """The user's held upload ``key`` of this record type, or 404 in one sentence."""
    held = get_store(request).held_upload(key[:64], user.name)
    options = ImportOptions.from_recorded(held.options) if held else None
    if held is None or options is None or options.record_type != rtype.name:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"This upload is not kept any more (an upload waits {HOLD_HOURS} hours at the "
            "mapping step, for the user who sent it); upload the file again.",
        )
    return held, options


def _page(
    request: Request,
    user: User,
    rtype: RecordType,
    key: str,
    options: ImportOptions,
    form: StepForm,
    status_code: int = 200,
    **shown: object,
) -> Response:
    headers, cells = mapping_step.read_through(form.rows, form.mapping())
    store = get_store(request)
    known = mapping_step.known_names(store, rtype.name)
    ours = {"media_type": list(MEDIA_TYPES), "yes_no": ["Y", "N"]}
    ours |= {ref: list(names)[:NAMES_LISTED] for ref, names in known.names.items()}
    response = render(
        request,
        "mapping_step.html",
        status_code,
        user=user,
        rtype=rtype,
        key=key,
        options=options,
        rows_modes=ROWS,
        form=form,
        file_headers=form.rows.headers,
        samples={at: ", ".join(form.rows.sample(at, 3)) for at in range(len(form.rows.headers))},
        constant=CONSTANT,
        ours=ours,
        preview_headers=headers,
        preview_rows=cells,
        problems=[choice for choice in form.choices if choice.error],
        **shown,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
