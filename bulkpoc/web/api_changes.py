"""The API's history routes: a batch's changes, and a record's changes with the batch of each,
a page at a time (``page``, ``per_page``, ``total``). ``add_routes`` adds them to
``bulkpoc.web.api.router``, so they take its prefix (``/api/v1``), its route class, its token
and its answers to 401 and 422.

The same pages ``bulkpoc changes --json`` prints (bulkpoc.domain.history), paged by page
number as the API's other lists will be. A batch's changes take the permission of its record
type; a record's, that of the record type its collection (``pocs``, ``skills``…) names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi import status as http
from pydantic import BaseModel, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from bulkpoc.domain.history import (
    DEFAULT_PAGE,
    MAX_PAGE,
    Action,
    Change,
    RecordChange,
)
from bulkpoc.domain.users import User
from bulkpoc.services import history
from bulkpoc.store import schema
from bulkpoc.web.access import COLLECTIONS, api, batch_in_path, collection_in_path
from bulkpoc.web.api_models import Problem
from bulkpoc.web.deps import get_settings, get_store

MayReadBatch = Annotated[User, api(batch_in_path("batch_id"))]
MayReadRecords = Annotated[User, api(collection_in_path("collection"))]
BatchId = Annotated[int, Path(ge=1, le=schema.MAX_ID, description="The batch's id.")]
Collection = Annotated[
    str,
    Path(
        description="The record type's collection.",
        json_schema_extra={"enum": list(COLLECTIONS)},
    ),
]
RecordId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        description="The record's id; a number's phone number (E.164, or as written).",
    ),
]
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
PageNumber = Annotated[int, Query(ge=1, le=schema.MAX_ID, description="The page, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Changes per page.")]


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


class ChangesPage(BaseModel):
    """Which page this is, and how many changes match in all."""

    total: int = Field(description="Changes that match, over every page.")
    page: int
    per_page: int


class BatchChangesPage(ChangesPage):
    """A page of a batch's changes, in the order they were written; for a dry run, what it
    would change."""

    batch_id: int
    record_type: str
    dry_run: bool = Field(description="A dry run's changes are what it would have done.")
    pruned: str | None = Field(
        description="Why the batch has no change records any more, if retention removed them."
    )
    changes: list[Change]


class RecordChangesPage(ChangesPage):
    """A page of a record's changes, oldest first, each with the batch that made it."""

    record_type: str
    record_key: str = Field(description="The record's id, or a number's phone number.")
    name: str | None = Field(description="Its name now, or as last recorded if it was removed.")
    exists: bool = Field(description="False when the record was removed since.")
    changes: list[RecordChange]


def batch_changes(
    request: Request,
    _user: MayReadBatch,
    batch_id: BatchId,
    field: Annotated[
        FieldName | SkipJsonSchema[None],
        Query(description="Only changes to this column (e.g. Skill); only updates have one."),
    ] = None,
    action: Annotated[
        Action | SkipJsonSchema[None], Query(description="Only created, updated or removed.")
    ] = None,
    page: PageNumber = 1,
    per_page: PerPage = DEFAULT_PAGE,
) -> BatchChangesPage:
    """Every change the batch made (or, a dry run, would make): each field's before and
    after, and the values of each record it created or removed."""
    try:
        found = history.batch_changes(
            get_store(request),
            batch_id,
            field=field,
            action=action,
            offset=_offset(page, per_page),
            limit=per_page,
        )
    except history.NotFound as error:
        raise HTTPException(http.HTTP_404_NOT_FOUND, str(error)) from None
    return BatchChangesPage(**_without_offset(found), page=page, per_page=per_page)


def record_changes(
    request: Request,
    _user: MayReadRecords,
    collection: Collection,
    record_id: RecordId,
    page: PageNumber = 1,
    per_page: PerPage = DEFAULT_PAGE,
) -> RecordChangesPage:
    """Every change any batch made to the record, oldest first, with when, who, which batch
    and which file: found by its id even once a batch removed it."""
    try:
        found = history.record_history(
            get_store(request),
            COLLECTIONS[collection],
            key=record_id,
            offset=_offset(page, per_page),
            limit=per_page,
            region=get_settings(request).default_region,
        )
    except history.NotFound as error:
        raise HTTPException(http.HTTP_404_NOT_FOUND, str(error)) from None
    return RecordChangesPage(**_without_offset(found), page=page, per_page=per_page)


def add_routes(router: APIRouter) -> None:
    """Add the history routes to the API's ``router``: a batch's first, since a record's path
    (``/{collection}/{record_id}/changes``) would also match a batch's."""
    router.add_api_route(
        "/batches/{batch_id}/changes",
        batch_changes,
        methods=["GET"],
        summary="A batch's changes",
        responses={
            403: _problem("The user may not see this record type's data."),
            404: _problem("There is no such batch."),
        },
    )
    router.add_api_route(
        "/{collection}/{record_id}/changes",
        record_changes,
        methods=["GET"],
        summary="A record's history",
        responses={
            403: _problem("The user may not see this record type's data."),
            404: _problem("There is no such record type, nor such a record now or in any change."),
        },
    )


def _without_offset(found: BaseModel) -> dict[str, Any]:
    return found.model_dump(exclude={"offset", "limit", "others"})


def _offset(page: int, per_page: int) -> int:
    """The changes before ``page``: beyond any store's, a page past the last is empty."""
    return min((page - 1) * per_page, schema.MAX_ID)
