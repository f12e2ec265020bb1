"""The JSON API for partner systems, under ``/api/v1``: upload a file, follow its batch, fetch
its result and error file, list the run history, download templates and exports.

Every call acts as the user of its API token (``Authorization: Bearer TOKEN``), with that
user's permissions. Failures answer ``{"detail": "one sentence"}`` with the status that says
what went wrong; each route declares them, so the OpenAPI schema describes every answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
)
from fastapi import status as http
from fastapi.responses import Response
from pydantic import StringConstraints
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from bulkpoc.batch.submit import load_result
from bulkpoc.domain.errors.types import MappingInvalid, StoreBusy
from bulkpoc.domain.history import files_removed
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.users import User
from bulkpoc.jobs.queue import JobQueue
from bulkpoc.services.mappings import with_saved_mapping
from bulkpoc.store import schema
from bulkpoc.web import api_changes, api_mappings, api_records
from bulkpoc.web.access import (
    LOGIN,
    api,
    batch_in_path,
    type_in_form,
    type_in_path,
    type_named,
)
from bulkpoc.web.api_http import ApiRoute, problem
from bulkpoc.web.api_models import (
    ApiBatchResult,
    BatchList,
    BatchSummary,
    Problem,
    ReportLinks,
    UploadForm,
)
from bulkpoc.web.deps import DOWNLOAD, UPLOAD, get_settings, get_store, no_email_address
from bulkpoc.web.downloads import (
    API_FILES,
    MEDIA_TYPES,
    changes_file,
    email_file,
    error_file,
    file_links,
    record_file,
    report_page,
)
from bulkpoc.web.progress import BatchProgress, batch_progress
from bulkpoc.web.uploads import check_size, display_name

MAX_ID = schema.MAX_ID
# Optional parameters are left out, never null (a query string or header cannot say null), so
# their schema leaves null out: SkipJsonSchema[None].


IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]
SourceName = Annotated[str, StringConstraints(min_length=1, max_length=20)]
UserName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


router = APIRouter(
    prefix="/api/v1",
    route_class=ApiRoute,
    responses={
        401: {
            **_problem("No API token, or one that is unknown or revoked."),
            "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
        },
        422: _problem("A parameter, option or file is missing or not valid."),
    },
)

BatchId = Annotated[int, Path(ge=1, le=MAX_ID, description="The batch's id.")]
# Who may call each route (bulkpoc.web.access): every route declares one of these.
TokenUser = Annotated[User, api(LOGIN)]
MayReadBatch = Annotated[User, api(batch_in_path("batch_id"))]  # its record type's data
MayDownload = Annotated[User, api(type_in_path("record_type", DOWNLOAD))]
UPLOADED_TYPE = type_in_form("record_type", UPLOAD)
MayUpload = Annotated[User, api(UPLOADED_TYPE)]
# The names of path parameters of downloads; unknown values answer 404 (there is no such file).
TypeInPath = Annotated[
    str, Path(description="The record type.", json_schema_extra={"enum": list(RECORD_TYPES)})
]
FormatInPath = Annotated[
    str, Path(description="The file format.", json_schema_extra={"enum": list(MEDIA_TYPES)})
]
FILE_CONTENT = {
    "content": {
        media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
        for media in MEDIA_TYPES.values()
    }
}


# --- uploading ------------------------------------------------------------------------------


async def _no_blank_options(request: Request, _user: MayUpload) -> None:
    """FastAPI takes a blank form field for one left out, and its default: refuse it instead,
    so a blank record type never means points of contact."""
    form = await request.form()
    seen: set[str] = set()
    for name, value in form.multi_items():
        # A part without a name, or an option given twice (a list where the form takes one
        # value), is not the form this call documents: refuse it rather than pick one.
        if not name:
            raise HTTPException(
                http.HTTP_422_UNPROCESSABLE_CONTENT, "A form field has no name; name each one."
            )
        if name in UploadForm.model_fields and name in seen:
            raise HTTPException(
                http.HTTP_422_UNPROCESSABLE_CONTENT,
                f"The form field {name!r} is given more than once; give it once.",
            )
        seen.add(name)
        if name in UploadForm.model_fields and isinstance(value, str) and not value.strip():
            raise HTTPException(
                http.HTTP_422_UNPROCESSABLE_CONTENT,
                f"The form field {name!r} is blank; give it a value or leave it out.",
            )


@router.post(
    "/batches",
    status_code=http.HTTP_202_ACCEPTED,
    summary="Upload a file",
    dependencies=[Depends(_no_blank_options)],
    responses={
        202: {
            "description": "Submitted: poll the batch's progress until it is finished.",
            "headers": {
                "Location": {"description": "The batch's result.", "schema": {"type": "string"}}
            },
        },
        400: _problem("The body is not multipart form data."),
        403: _problem("The user may not upload this record type."),
        413: _problem("The file is larger than the upload limit."),
        503: _problem(
            "The store stayed busy longer than the lock timeout, or the job queue could not "
            "take the batch: nothing was stored."
        ),
    },
)
def upload(
    request: Request,
    response: Response,
    user: MayUpload,
    form: Annotated[UploadForm, Form(media_type="multipart/form-data")],
    idempotency_key: Annotated[
        IdempotencyKey | SkipJsonSchema[None],
        Header(
            alias="Idempotency-Key",
            description="Your key for this upload: sent again within ten minutes, it answers "
            "with the batch the first upload became instead of submitting the file again.",
        ),
    ] = None,
) -> BatchProgress:
    """Submit a file as a batch, as the upload form does, and answer at once (202)."""
    UPLOADED_TYPE.refuse(user, RECORD_TYPES[form.record_type])
    if form.email_results and not user.email:
        raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, no_email_address(user))
    settings = get_settings(request)
    check_size(form.file, settings)
    options = form.options(user, display_name(form.file.filename), idempotency_key)
    try:
        options = with_saved_mapping(get_store(request), options, options.mapping_name)
    except MappingInvalid as invalid:  # no such mapping, or one of another record type
        raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, str(invalid)) from None
    queue: JobQueue = request.app.state.queue
    try:
        # Recorded and queued together; the same key again answers with its first batch.
        batch_id = queue.submit(form.file.file, options, settings)
    except StoreBusy as busy:
        raise HTTPException(http.HTTP_503_SERVICE_UNAVAILABLE, str(busy)) from None
    batch = _batch(request, batch_id)
    response.headers["Location"] = request.app.url_path_for("batch_result", batch_id=batch_id)
    return _progress(request, batch)


# --- following a batch ----------------------------------------------------------------------


@router.get(
    "/batches/{batch_id}/progress",
    summary="Follow a batch",
    responses={404: _problem("There is no such batch.")},
)
def progress(request: Request, _user: TokenUser, batch_id: BatchId) -> BatchProgress:
    """Its status and, while it runs, its stage and how far it has got; poll until finished."""
    return _progress(request, _batch(request, batch_id))


@router.get(
    "/batches/{batch_id}",
    summary="A batch's result",
    name="batch_result",
    responses={
        403: _problem("The user may not see this record type's data."),
        404: _problem("There is no such batch."),
    },
)
def batch_result(request: Request, _user: MayReadBatch, batch_id: BatchId) -> ApiBatchResult:
    """The result (what ``bulkpoc import --json`` prints): status, counts, every row error,
    and the links to its report, error file and email."""
    result = load_result(get_store(request), batch_id)
    links = file_links(request, batch_id, result.reports, API_FILES)
    return ApiBatchResult(**dict(result) | {"reports": ReportLinks(**links.model_dump())})


@router.get(
    "/batches/{batch_id}/report.html",
    summary="A batch's HTML report",
    name="api_batch_report",
    response_class=Response,
    responses={
        200: {
            "description": "The report: summary, counts, every row error, the options.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        403: _problem("The user may not see this record type's data."),
        404: _problem("There is no such batch, or it has not finished."),
    },
)
def batch_report(request: Request, _user: MayReadBatch, batch_id: BatchId) -> Response:
    """The HTML report of a finished batch, as the batch wrote it; self-contained."""
    batch = _batch(request, batch_id)
    if not BatchStatus(batch["status"]).finished:
        raise HTTPException(
            http.HTTP_404_NOT_FOUND, f"Batch {batch_id} has no report: it has not finished."
        )
    store = get_store(request)
    return report_page(request, load_result(store, batch_id), API_FILES, store)


@router.get(
    "/batches/{batch_id}/changes.csv",
    summary="A batch's changes file",
    name="api_batch_changes_file",
    response_class=Response,
    responses={
        200: {
            "description": "Every change the batch made (a dry run: would make), one line a "
            "field: Row, ID, Name, Field, Before, After.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        403: _problem("The user may not see this record type's data."),
        404: _problem("There is no such batch, or it changed nothing."),
    },
)
def batch_changes_file(request: Request, _user: MayReadBatch, batch_id: BatchId) -> Response:
    """The changes.csv of a batch, as the results email attaches it."""
    _batch(request, batch_id)
    result = load_result(get_store(request), batch_id, with_errors=False)
    if result.changes is None or result.changes.empty:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"Batch {batch_id} changed nothing.")
    return changes_file(get_store(request), batch_id)


@router.get(
    "/batches/{batch_id}/email.eml",
    summary="A batch's results email",
    name="api_batch_email",
    response_class=Response,
    responses={
        200: {
            "description": "The results email, as sent or waiting in the outbox (RFC 822).",
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        },
        403: _problem("The user may not see this record type's data."),
        404: _problem("There is no such batch, or it sent no email."),
    },
)
def batch_email(request: Request, _user: MayReadBatch, batch_id: BatchId) -> Response:
    """The email the batch sent its results in, with the error file attached."""
    _batch(request, batch_id)
    email = email_file(get_store(request), batch_id)
    if email is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"Batch {batch_id} sent no email.")
    return email


@router.get(
    "/batches/{batch_id}/errors",
    summary="A batch's error file",
    name="api_batch_errors",
    response_class=Response,
    responses={
        200: {"description": "The failed rows, in the uploaded format.", **FILE_CONTENT},
        403: _problem("The user may not see this record type's data."),
        404: _problem("There is no such batch, or it has no error file."),
    },
)
def batch_error_file(request: Request, _user: MayReadBatch, batch_id: BatchId) -> Response:
    """The failed rows with their original values and an Error column: fix them, upload again."""
    batch = _batch(request, batch_id)
    kept = get_store(request).batch_file(batch_id, "errors")
    if kept is None:
        status = BatchStatus(batch["status"])
        why = files_removed(batch) or (
            "it has not finished" if not status.finished else "no row of it failed"
        )
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"Batch {batch_id} has no error file: {why}.")
    return error_file(*kept)


@router.get(
    "/batches",
    summary="The run history",
)
def history(
    request: Request,
    _user: TokenUser,
    status: Annotated[
        BatchStatus | SkipJsonSchema[None], Query(description="Only batches in this status.")
    ] = None,
    source: Annotated[
        SourceName | SkipJsonSchema[None],
        Query(description="Only batches from cli, web, api, schedule or undo."),
    ] = None,
    user: Annotated[
        UserName | SkipJsonSchema[None], Query(description="Only this user's batches.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Batches per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Batches to pass over.")] = 0,
) -> BatchList:
    """Every batch, newest first, filtered and paged; ``total`` counts all that match."""
    store = get_store(request)
    wanted = {"source": source, "user": user}
    status_value = status.value if status else None
    return BatchList(
        total=store.count_history(status_value, **wanted),
        limit=limit,
        offset=offset,
        batches=[
            BatchSummary.of(batch)
            for batch in store.history(status_value, limit, offset=offset, **wanted)
        ],
    )


def _batch(request: Request, batch_id: int) -> dict[str, Any]:
    batch = get_store(request).batch(batch_id)
    if batch is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"There is no batch {batch_id}.")
    return batch


def _progress(request: Request, batch: dict[str, Any]) -> BatchProgress:
    return batch_progress(request, get_store(request), batch)


# --- templates and exports ------------------------------------------------------------------

DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file.", **FILE_CONTENT},
    403: _problem("The user may not handle this record type."),
    404: _problem("There is no such record type or format."),
}


@router.get(
    "/templates/{record_type}.{file_format}",
    summary="Download a template",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
def template(
    request: Request, _user: MayDownload, record_type: TypeInPath, file_format: FormatInPath
) -> Response:
    """The headers (CSV), or for XLSX also dropdowns fed by the reference data and instructions."""
    return _download(request, record_type, file_format, template=True)


@router.get(
    "/exports/{record_type}.{file_format}",
    summary="Download the existing records",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
def export(
    request: Request, _user: MayDownload, record_type: TypeInPath, file_format: FormatInPath
) -> Response:
    """Every record of the type, ready to edit and upload again."""
    return _download(request, record_type, file_format, template=False)


def _download(request: Request, type_name: str, file_format: str, template: bool) -> Response:
    rtype = _record_type(type_name, file_format)
    return record_file(get_store(request), rtype, file_format, template)


def _record_type(type_name: str, file_format: str) -> RecordType:
    if file_format not in MEDIA_TYPES:
        raise HTTPException(
            http.HTTP_404_NOT_FOUND,
            f"There is no {file_format!r} format; choose from {', '.join(MEDIA_TYPES)}.",
        )
    return type_named(type_name)


# --- records, one at a time or a page at a time ----------------------------------------------

router.include_router(api_records.router)


# --- history: a batch's changes, a record's changes (bulkpoc.web.api_changes) ----------------

api_changes.add_routes(router)

# --- column mappings (bulkpoc.web.api_mappings) -----------------------------------------------

api_mappings.add_routes(router)


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    """An HTTP error under /api/ as ``{"detail": sentence}``."""
    return problem(request, error, router.routes)
