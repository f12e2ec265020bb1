"""The API's changes to records, one record type per collection: ``POST /api/v1/{collection}``
creates one record, ``PATCH /api/v1/{collection}/{key}`` changes the fields it is given, and
``POST /api/v1/{collection}/bulk-edit`` sets field values on the records a list of keys or the
list's filters select.

Each is a batch (source ``api``) through the same engine as an upload (``batch.edits``), run
while the request waits, all or nothing: the same rules, permissions (those of uploading the
record type), change records, history and undo. Success answers the record (or the batch);
failure answers 422 with the batch and its error records, and nothing changed. Fields are
named as the records' reads name them, booleans as JSON booleans.
"""

# No ``from __future__ import annotations``: the models and parameters are built per record
# type at run time, and FastAPI reads them as objects.

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Body, HTTPException, Request, Response
from fastapi import status as http
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Strict, StringConstraints, create_model
from pydantic import Field as ModelField
from pydantic.json_schema import SkipJsonSchema

from bulkpoc.batch.edits import (
    EditRefused,
    RecordNotFound,
    bulk_edit,
    create_record,
    edit_record,
    edited_key,
)
from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import Field, RecordType
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.store import schema
from bulkpoc.store.listing import RecordFilter, collection, field_names, filters
from bulkpoc.store.record_tables import TABLES
from bulkpoc.web.access import Needs, api
from bulkpoc.web.api import _problem, router
from bulkpoc.web.api_models import ApiBatchResult, Problem
from bulkpoc.web.api_records import E164, KEY_PATH, _key_parameter, record_model
from bulkpoc.web.deps import UPLOAD, get_settings, get_store
from bulkpoc.web.downloads import API_FILES, file_links

KEYWORD = inspect.Parameter.KEYWORD_ONLY
MAX_KEYS = 100_000
Flag = Annotated[bool, Strict()]
Absent = SkipJsonSchema[None]  # may be left out, never null


def _no_default(field_schema: dict[str, Any]) -> None:
    field_schema.pop("default", None)


def _optional(kind: Any, description: str) -> tuple[Any, Any]:
    """A body field that may be left out but not sent as null: its default (None, meaning
    left out) is neither validated nor in the schema, while a null sent is refused."""
    return kind, ModelField(None, description=description, json_schema_extra=_no_default)


class EditProblem(Problem):
    """Why a change was refused, in one sentence; for a batch that ran, the batch, whose
    errors say which field of which record broke which rule. Nothing was changed."""

    batch: ApiBatchResult | Absent = ModelField(
        None, description="The failed batch, with its error records (none when no batch ran)."
    )


class BulkEdited(BaseModel):
    """A mass edit: its batch (a dry run: what it would do), with its counts and changes."""

    batch: ApiBatchResult


# --- the bodies, made from each record type's declaration -------------------------------------


def _value_type(field: Field, nullable: bool) -> Any:
    if field.kind == "yes_no":
        kind: Any = Flag
    elif field.kind == "media_type":
        kind = Literal[MEDIA_TYPES]  # type: ignore[valid-type]
    else:
        kind = Annotated[str, Strict(), StringConstraints(max_length=field.max_length)]
    return kind | None if nullable else kind


def _described(field: Field) -> str:
    what = f"The file's {field.header!r} column"
    if field.kind == "ref":
        what += f": the {RECORD_TYPES[field.ref or ''].label.lower()}'s name"
    return what + "."


def _fields(rtype: RecordType, creating: bool) -> dict[str, Any]:
    """The body fields of a create (those the file requires are required) or of a change."""
    table, found = TABLES[rtype.name], {}
    for name, field in field_names(rtype).items():
        if field is rtype.key and (rtype.system_key or not creating):
            continue
        nullable = bool(table.c[field.name].nullable)
        kind = _value_type(field, nullable)
        if creating and (field.required or field is rtype.key):
            found[name] = (kind, ModelField(description=_described(field)))
        else:
            found[name] = _optional(kind, _described(field))
    return found


def _body_models(rtype: RecordType) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel]]:
    """The bodies of a create, of a change of one record, and of a mass edit."""
    base = record_model(rtype).__name__
    forbid = ConfigDict(extra="forbid")
    new = create_model(
        f"New{base}",
        __config__=forbid,
        __doc__=f"A new {rtype.label.lower()}: a field per column of its file.",
        **_fields(rtype, creating=True),
    )
    changing = _fields(rtype, creating=False)
    fields = create_model(
        f"{base}Fields",
        __config__=forbid,
        __doc__="The fields to set; those left out keep their values.",
        **changing,
    )
    if rtype.has_last_modified:
        changing["last_modified"] = _optional(
            dt.datetime,
            "The last_modified of the copy you changed: if the record changed after it, "
            "nothing is changed and the answer is a conflict (422).",
        )
    change = create_model(
        f"{base}Change",
        __config__=forbid,
        __doc__=f"The fields of the {rtype.label.lower()} to change; the rest stay as they are.",
        **changing,
    )
    some = ModelField(min_length=1, max_length=MAX_KEYS)
    ids: Any = Annotated[list[_key_type(rtype)], some]  # type: ignore[misc]
    bulk = create_model(
        f"{base}BulkEdit",
        __config__=forbid,
        __doc__=f"Which {rtype.plural.lower()} to change (ids or filter) and the values to set.",
        ids=_optional(ids, "The records' keys."),
        filter=_optional(
            _filter_model(rtype),
            "Instead of ids: every record the list's filters select (`{}` selects every record).",
        ),
        fields=(fields, ModelField(description="The values to set on each of them.")),
        dry_run=(Flag, ModelField(False, description="Report what would change; change nothing.")),
    )
    return new, change, bulk


def _key_type(rtype: RecordType) -> Any:
    if rtype.system_key:
        return Annotated[int, Strict(), ModelField(ge=1, le=schema.MAX_ID)]
    return Annotated[str, Strict(), StringConstraints(pattern=E164)]


def _searched(rtype: RecordType) -> str:
    """What the list's ``q`` finds text in, as GET /{collection} says."""
    if rtype.name == "number":
        return "their phone number"
    return "their name" + (" or address" if rtype.name == "poc" else "")


def _filter_model(rtype: RecordType) -> type[BaseModel]:
    text = Annotated[str, Strict(), StringConstraints(max_length=200)]
    given: dict[str, Any] = {"q": _optional(text, f"Those with this in {_searched(rtype)}.")}
    taken = filters(rtype)
    if "media_type" in taken:
        media = Literal[MEDIA_TYPES]  # type: ignore[valid-type]
        given["media_type"] = _optional(media, "This media type.")
    if "skill" in taken:
        given["skill"] = _optional(text, "This skill's name.")
    if "active" in taken:
        given["active"] = _optional(Flag, "Active or inactive.")
    return create_model(
        f"{record_model(rtype).__name__}Filter",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The filters of the list of {rtype.plural.lower()} (GET /{collection(rtype)}).",
        **given,
    )


def _saved_model(rtype: RecordType) -> type[BaseModel]:
    model = record_model(rtype)
    key = int if rtype.system_key else str
    return create_model(
        f"{model.__name__}Saved",
        __doc__=f"The {rtype.label.lower()} as saved, its key, and the batch that saved it.",
        id=(key, ModelField(description="The record's key.")),
        record=(model, ModelField(description="The record as it is now.")),
        batch=(ApiBatchResult, ModelField(description="The one-row batch that saved it.")),
    )


# --- answers --------------------------------------------------------------------------------


def _api_result(request: Request, result: BatchResult) -> ApiBatchResult:
    assert result.batch_id is not None
    links = file_links(request, result.batch_id, result.reports, API_FILES)
    return ApiBatchResult(**dict(result) | {"reports": links.model_dump()})


def _outcome(request: Request, run: Callable[[], BatchResult]) -> BatchResult | JSONResponse:
    """Run an edit: its result, or what stopped it as the HTTP error that says so; a failed
    batch answers 422 with the batch."""
    try:
        result = run()
    except RecordNotFound as missing:
        raise HTTPException(http.HTTP_404_NOT_FOUND, str(missing)) from None
    except EditRefused as refused:
        raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, str(refused)) from None
    if result.batch_id is None:  # the store stayed busy: nothing was recorded
        raise HTTPException(http.HTTP_503_SERVICE_UNAVAILABLE, result.failure or "Busy.")
    if result.status is BatchStatus.FAILED:
        body = EditProblem(detail=_sentence(result), batch=_api_result(request, result))
        return JSONResponse(body.model_dump(mode="json"), http.HTTP_422_UNPROCESSABLE_CONTENT)
    return result


def _sentence(result: BatchResult) -> str:
    """The first problem, in one sentence, and how many more the batch lists."""
    if not result.errors:
        return result.failure or "Nothing was changed."
    first = " ".join(result.errors[0].message.split()).rstrip(".")
    more = len(result.errors) - 1
    extra = f" (and {more} more problem{'s' if more > 1 else ''} in batch.errors)" if more else ""
    return f"Nothing was changed: {first}{extra}."


def _saved(request: Request, rtype: RecordType, key: int | str, result: BatchResult) -> Any:
    record = get_store(request).find_record(rtype, key)
    if record is None:  # removed since, by another batch
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"There is no {rtype.label.lower()} {key}.")
    return {"id": key, "record": record, "batch": _api_result(request, result)}


def _where(given: BaseModel) -> RecordFilter:
    chosen = given.model_dump(exclude_none=True)
    active = chosen.get("active")
    return RecordFilter(
        query=chosen.get("q", ""),
        media_type=chosen.get("media_type", ""),
        skill=chosen.get("skill", ""),
        active=None if active is None else ("yes" if active else "no"),
    )


# --- the routes, three per record type ---------------------------------------------------------


def _parameter(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, KEYWORD, annotation=annotation)


def _with_signature(endpoint: Callable[..., Any], *parameters: inspect.Parameter) -> None:
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_parameter("request", Request), _parameter("response", Response), *parameters]
    )


def _key(rtype: RecordType, text: str) -> int | str:
    return int(text) if rtype.system_key else text


def _routes(rtype: RecordType) -> None:
    """Register the create, the change and the mass edit of ``rtype``."""
    new, change, bulk = _body_models(rtype)
    saved = _saved_model(rtype)
    label, plural, path = rtype.label.lower(), rtype.plural.lower(), f"/{collection(rtype)}"
    user = _parameter("user", Annotated[Any, api(Needs("record type", rtype.name, UPLOAD))])
    failed = {
        "model": EditProblem,
        "description": "Nothing was changed: the body is not valid, or the batch failed "
        "(`batch.errors` says which rule each field broke).",
    }
    refused = _problem(f"The user may not upload {plural}.")

    def create(request: Request, response: Response, **given: Any) -> Any:
        fields = given["body"].model_dump(exclude_unset=True)
        store, settings = get_store(request), get_settings(request)
        outcome = _outcome(
            request,
            lambda: create_record(store, settings, rtype.name, fields, given["user"].name, "api"),
        )
        if isinstance(outcome, JSONResponse):
            return outcome
        key = edited_key(store, outcome) or str(fields.get(next(iter(field_names(rtype))), ""))
        if not key:  # only a file's blank row creates nothing, and the edit refuses it
            raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, "Nothing was created.")
        response.headers["Location"] = request.app.url_path_for(f"api_{rtype.name}", key=key)
        return _saved(request, rtype, _key(rtype, key), outcome)

    def patch(request: Request, response: Response, **given: Any) -> Any:
        fields = given["body"].model_dump(exclude_unset=True)
        seen = fields.pop("last_modified", None)
        store, settings, key = get_store(request), get_settings(request), given["key"]
        outcome = _outcome(
            request,
            lambda: edit_record(
                store, settings, rtype.name, key, fields, given["user"].name, "api", seen
            ),
        )
        if isinstance(outcome, JSONResponse):
            return outcome
        return _saved(request, rtype, key, outcome)

    def mass_edit(request: Request, response: Response, **given: Any) -> Any:
        body = given["body"]
        if (body.ids is None) == (body.filter is None):
            raise HTTPException(
                http.HTTP_422_UNPROCESSABLE_CONTENT,
                "Give either ids or filter: which records to change.",
            )
        fields = body.fields.model_dump(exclude_unset=True)
        where = None if body.filter is None else _where(body.filter)
        store, settings, name = get_store(request), get_settings(request), given["user"].name
        outcome = _outcome(
            request,
            lambda: bulk_edit(
                store, settings, rtype.name, body.ids, fields, name, "api", body.dry_run, where
            ),
        )
        if isinstance(outcome, JSONResponse):
            return outcome
        return BulkEdited(batch=_api_result(request, outcome))

    _with_signature(create, user, _parameter("body", Annotated[new, Body()]))
    _with_signature(
        patch, user, _key_parameter(rtype), _parameter("body", Annotated[change, Body()])
    )
    _with_signature(mass_edit, user, _parameter("body", Annotated[bulk, Body()]))
    common: dict[int | str, dict[str, Any]] = {
        400: _problem("The body is not JSON."),
        403: refused,
        422: failed,
        503: _problem("The store stayed busy: nothing changed."),
    }
    router.add_api_route(
        path,
        create,
        methods=["POST"],
        status_code=http.HTTP_201_CREATED,
        response_model=saved,
        summary=f"Create a {label}",
        description=f"Create one {label} as a one-row batch (source `api`), under the rules "
        "and permissions of an upload.",
        name=f"api_{rtype.name}_create",
        responses={
            201: {
                "description": f"The new {label}, and the batch that created it.",
                "headers": {
                    "Location": {"description": "The record.", "schema": {"type": "string"}}
                },
            },
            **common,
        },
    )
    router.add_api_route(
        f"{path}/bulk-edit",
        mass_edit,
        methods=["POST"],
        response_model=BulkEdited,
        summary=f"Change many {plural}",
        description=f"Set the given fields on every {label} the ids or the filter select, as "
        "one batch (source `api`), all or nothing; one undo takes it back.",
        name=f"api_{rtype.name}_bulk_edit",
        responses={**common, 404: _problem(f"An id names no {label}, or none matches.")},
    )
    router.add_api_route(
        f"{path}/{KEY_PATH}",
        patch,
        methods=["PATCH"],
        response_model=saved,
        summary=f"Change a {label}",
        description="Change the fields given, as a one-row batch (source `api`); the rest "
        "keep their values.",
        name=f"api_{rtype.name}_change",
        responses={**common, 404: _problem(f"There is no such {label}.")},
    )


for _rtype in RECORD_TYPES.values():
    _routes(_rtype)
