"""Manage Multiple Points of Contact (and each reference type): download, upload.

The page offers the template and the existing records as CSV or XLSX, and the upload form:
Choose File, File Type, Rows to Include, Dry run, All or nothing. An upload becomes a queued
batch and the browser goes to its results page; a partner's file whose header row does not fit
goes through its saved mapping, or to the mapping step (routes/mapping_step.py) first. The form
carries a random id: sent twice with the same file (a double click, a resent form), it is one
batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import secrets
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bulkpoc import formats
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.domain.limits import normalised
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES, RecordType
from bulkpoc.domain.users import User
from bulkpoc.jobs.queue import ThreadQueue
from bulkpoc.jobs.spool import Spool
from bulkpoc.services import mapping_step
from bulkpoc.web.access import LOGIN, page, type_in_path, type_named
from bulkpoc.web.deps import (
    DOWNLOAD,
    UPLOAD,
    get_settings,
    get_store,
    no_email_address,
    record_refusal,
)
from bulkpoc.web.downloads import MEDIA_TYPES, record_file
from bulkpoc.web.templating import render
from bulkpoc.web.upload_form import (
    UnreadableUpload,
    UploadForm,
    UploadTooLarge,
    read_upload_form,
)
from bulkpoc.web.uploads import display_name, too_large

router = APIRouter(include_in_schema=False)
LoggedIn = Annotated[User, page(LOGIN)]
MayDownload = Annotated[User, page(type_in_path("type_name", DOWNLOAD))]
MayUpload = Annotated[User, page(type_in_path("type_name", UPLOAD))]

ROWS = {"all": "All Rows", "changed": "Changed Rows Only"}
# What the form sends is 22 URL-safe characters; anything else is not ours.
FORM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# On SQLite, how long an upload waits for a writing batch before it goes to the spool: one try
# at the write lock, which SQLite's busy timeout makes about a second (store.db.POLL_SECONDS).
SPOOL_AFTER_SECONDS = 1.0


def _file_format(file_format: str) -> str:
    if file_format not in MEDIA_TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Downloads are .csv or .xlsx files.")
    return file_format


def _page(
    request: Request,
    user: User,
    rtype: RecordType,
    status_code: int = 200,
    error: str | None = None,
    chosen: dict[str, Any] | None = None,
) -> Response:
    """The page, with a fresh upload id; never cached, so Back shows a new form."""
    settings = get_settings(request)
    response = render(
        request,
        "manage.html",
        status_code,
        user=user,
        rtype=rtype,
        record_types=RECORD_TYPES.values(),
        file_types=[formats.get(name) for name in ("csv", "xlsx")],
        accept=",".join(
            extension for name in formats.available() for extension in formats.get(name).extensions
        ),
        rows_modes=ROWS,
        upload_refusal=record_refusal(user, rtype, UPLOAD),
        download_refusal=record_refusal(user, rtype, DOWNLOAD),
        upload_id=secrets.token_urlsafe(16),
        upload_limit=f"{settings.upload_max_bytes / (1024 * 1024):.3g} MB",
        error=error,
        chosen=chosen or {"rows": "all"},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/manage/{type_name}")
def manage_page(request: Request, user: LoggedIn, type_name: str) -> Response:
    return _page(request, user, type_named(type_name))


@router.get("/manage/{type_name}/template.{file_format}")
def download_template(
    request: Request, _user: MayDownload, type_name: str, file_format: str
) -> Response:
    rtype, file_format = type_named(type_name), _file_format(file_format)
    return record_file(get_store(request), rtype, file_format, template=True)


@router.get("/manage/{type_name}/export.{file_format}")
def download_existing(
    request: Request, _user: MayDownload, type_name: str, file_format: str
) -> Response:
    rtype, file_format = type_named(type_name), _file_format(file_format)
    return record_file(get_store(request), rtype, file_format, template=False)


@router.post("/manage/{type_name}/upload")
async def upload(request: Request, user: MayUpload, type_name: str) -> Response:
    """Queue the chosen file as a batch and go to its results page (303)."""
    rtype = type_named(type_name)
    settings = get_settings(request)
    try:
        form = await read_upload_form(request, settings)
    except UploadTooLarge:
        detail = too_large(settings).detail
        return _page(request, user, rtype, status.HTTP_413_CONTENT_TOO_LARGE, detail)
    except UnreadableUpload:
        return _page(
            request,
            user,
            rtype,
            status.HTTP_400_BAD_REQUEST,
            "The upload could not be read; choose the file and upload it again.",
        )
    try:
        problem = _problem(form, user)
        if problem:
            return _page(request, user, rtype, status.HTTP_400_BAD_REQUEST, problem, form.fields)
        return await run_in_threadpool(_submit, request, user, rtype, form)
    finally:
        form.close()


def _problem(form: UploadForm, user: User) -> str | None:
    """What the user must fix in the form before it can be sent, in one sentence."""
    if form.file is None:
        return "Choose a file to upload."
    if not form.file.size:
        return f"The file {display_name(form.file.filename)} is empty; choose another file."
    if form.fields.get("file_type") not in ("csv", "xlsx"):
        return "Choose the File Type: Text (.csv) or Spreadsheet (.xlsx, .xls, .ods)."
    if form.fields.get("rows") not in ROWS:
        return "Choose Rows to Include: All Rows or Changed Rows Only."
    if "email_results" in form.fields and not user.email:
        return no_email_address(user)
    try:
        normalised(form.fields.get("max_failed"))
    except ValueError as error:
        return str(error)
    return None


def _submit(request: Request, user: User, rtype: RecordType, form: UploadForm) -> Response:
    """Record the upload as a batch and go to its page. A file whose header row does not fit
    the record type is read through the saved mapping made for its headers, or held for the
    mapping step (services.mapping_step)."""
    assert form.file is not None
    fields = form.fields
    options = ImportOptions(
        record_type=rtype.name,
        file_type=fields["file_type"],  # type: ignore[arg-type]
        rows=fields["rows"],  # type: ignore[arg-type]
        dry_run="dry_run" in fields,
        all_or_nothing="all_or_nothing" in fields,
        max_failed=normalised(fields.get("max_failed")),
        overwrite="overwrite" in fields,
        user=user.name,
        notify=(user.email,) if "email_results" in fields and user.email else (),
        source="web",
        display_name=display_name(form.file.filename),
    )
    options = dataclasses.replace(
        options, upload_id=_upload_id(fields.get("upload_id"), form, options)
    )
    form.file.file.seek(0)
    content = form.file.file.read()
    rows = mapping_step.needs_mapping(content, options)
    if rows is not None:
        store = get_store(request)
        mapped = mapping_step.saved_for(store, rows, options)
        if mapped is None:
            key = secrets.token_urlsafe(16)
            store.hold_upload(key, user.name, options.recorded(), content)
            return RedirectResponse(
                f"/manage/{rtype.name}/mapping/{key}", status.HTTP_303_SEE_OTHER
            )
        options = mapped
    return submit_upload(request, user, rtype, io.BytesIO(content), options, fields)


def submit_upload(
    request: Request,
    user: User,
    rtype: RecordType,
    stream: BinaryIO,
    options: ImportOptions,
    fields: dict[str, Any],
) -> Response:
    """Record ``stream`` as a batch with ``options`` and go to its page; on SQLite, if another
    batch is writing, keep the file in the spool and go to the page that waits for it to be
    recorded. ``fields`` fill the upload form again if the store is too busy."""
    settings, runner = get_settings(request), request.app.state.queue
    spool_ready = isinstance(runner, ThreadQueue)
    if spool_ready:  # wait a moment for the store, no longer: the spool can hold the file
        settings = settings.model_copy(update={"lock_timeout": SPOOL_AFTER_SECONDS})
    try:
        batch_id = runner.submit(stream, options, settings)
    except StoreBusy as busy:
        if not spool_ready:
            return _page(
                request, user, rtype, status.HTTP_503_SERVICE_UNAVAILABLE, str(busy), fields
            )
        assert options.upload_id is not None
        runner.hold(options.upload_id, stream, options)
        return RedirectResponse(f"/uploads/{options.upload_id}", status.HTTP_303_SEE_OTHER)
    return RedirectResponse(f"/batches/{batch_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/uploads/{key}")
def upload_waiting(request: Request, user: LoggedIn, key: str) -> Response:
    """An upload kept in the spool: its batch once recorded, until then a page that waits."""
    store = get_store(request)
    batch_id = store.uploaded_batch(user.name, key)
    if batch_id is not None:
        return RedirectResponse(f"/batches/{batch_id}", status_code=status.HTTP_303_SEE_OTHER)
    sqlite = store.engine.dialect.name == "sqlite"
    options = Spool.beside(store).options(key) if sqlite else None
    if options is None:
        # The spool lets go of a file once its batch is recorded: that may have happened
        # between the two looks, and then the batch is there now.
        batch_id = store.uploaded_batch(user.name, key)
        if batch_id is not None:
            return RedirectResponse(f"/batches/{batch_id}", status_code=status.HTTP_303_SEE_OTHER)
    if options is None or options.user != user.name:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such upload.")
    response = render(request, "upload_waiting.html", user=user, options=options, key=key)
    response.headers["Cache-Control"] = "no-store"
    return response


def _upload_id(form_id: str | None, form: UploadForm, options: ImportOptions) -> str:
    """The form's id with what it sent: the same form sending the same file with the same
    choices again is a repeat; back on the form with a fixed file, or to run for real what was
    a dry run, it is a new upload. A form without a usable id gets one of its own. The id is
    safe as a file name and in a URL (the spool and /uploads/ use it)."""
    if not form_id or not FORM_ID.fullmatch(form_id):
        form_id = secrets.token_urlsafe(16)
    sent = (
        form.sha256(),
        options.file_type,
        options.rows,
        options.dry_run,
        options.all_or_nothing,
        options.max_failed,
        options.overwrite,
        options.notify,
    )
    return f"{form_id}-{hashlib.sha256(repr(sent).encode()).hexdigest()[:32]}"
