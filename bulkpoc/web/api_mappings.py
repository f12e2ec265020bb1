"""The API's column mappings: list, read, save (PUT, a JSON body of the mapping) and remove
them by name. ``add_routes`` adds them to ``bulkpoc.web.api.router``, so they take its prefix
(``/api/v1``), its route class, its token and its answers to 401 and 422.

Reading a mapping needs a valid token; saving or removing one needs the permission to upload
its record type (a mapping decides how that type's files are read), checked once the body or
the stored mapping says which type that is. An upload names a saved mapping in its
``mapping`` field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Request
from fastapi import status as http
from pydantic import BaseModel, Field

from bulkpoc.domain.errors.types import MappingInvalid, PermissionDenied, UnknownMapping
from bulkpoc.domain.mapping import ColumnMapping, SavedMapping
from bulkpoc.domain.options import RecordTypeName
from bulkpoc.domain.result import UtcDateTime
from bulkpoc.domain.users import User
from bulkpoc.services import mappings
from bulkpoc.web.access import LOGIN, api
from bulkpoc.web.api_models import Problem
from bulkpoc.web.deps import get_store

TokenUser = Annotated[User, api(LOGIN)]
MappingName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[^/]+$",
        description="The mapping's name.",
    ),
]
Columns = dict[str, str]


class MappingBody(BaseModel):
    """A column mapping, as its TOML file says it: how a partner's file is read as one of our
    record types."""

    record_type: RecordTypeName = Field("poc", description="The record type it reads.")
    columns: Columns = Field(
        default_factory=dict,
        description="Our column -> the file's header holding it.",
        examples=[{"Point of Contact": "Phone Number", "Skill": "Queue"}],
    )
    constants: Columns = Field(
        default_factory=dict,
        description="Our column -> the value of every row.",
        examples=[{"Media Type": "Phone Call"}],
    )
    values: dict[str, Columns] = Field(
        default_factory=dict,
        description="Our column -> {the partner's spelling: ours}, matched ignoring case and "
        "surrounding spaces.",
        examples=[{"IVR Reporting Enabled": {"yes": "Y", "no": "N"}}],
    )
    headers: list[str] = Field(
        default_factory=list,
        description="The file headers it was made for: a file with the same ones is mapped "
        "by it at once in the web upload.",
    )


class MappingOut(MappingBody):
    """A saved mapping: the mapping, its TOML and who saved it when."""

    name: str
    toml: str = Field(description="The mapping as a TOML file (`bulkpoc mappings show`).")
    saved_by: str
    saved_at: UtcDateTime


class MappingList(BaseModel):
    """Every saved mapping, by name."""

    mappings: list[MappingOut]


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


def _out(saved: SavedMapping) -> MappingOut:
    mapping = saved.mapping
    return MappingOut(
        name=saved.name,
        record_type=mapping.record_type,  # type: ignore[arg-type]
        columns=mapping.columns,
        constants=mapping.constants,
        values=mapping.values,
        headers=list(mapping.headers),
        toml=saved.toml,
        saved_by=saved.saved_by,
        saved_at=saved.saved_at,
    )


def list_mappings(request: Request, _user: TokenUser) -> MappingList:
    """Every saved mapping, by name."""
    return MappingList(mappings=[_out(saved) for saved in get_store(request).mappings()])


def get_mapping(request: Request, _user: TokenUser, name: MappingName) -> MappingOut:
    """The mapping saved as ``name``."""
    try:
        return _out(get_store(request).get_mapping(name))
    except UnknownMapping as unknown:
        raise HTTPException(http.HTTP_404_NOT_FOUND, str(unknown)) from None


def put_mapping(
    request: Request,
    user: TokenUser,
    name: MappingName,
    body: Annotated[MappingBody, Body()],
) -> MappingOut:
    """Save the mapping as ``name``, replacing one of that name; as `bulkpoc mappings save`."""
    try:
        mapping = ColumnMapping.checked(body.model_dump())
        toml = mapping.to_toml()
        saved, _created = mappings.save_mapping(get_store(request), name, toml, None, user)
    except PermissionDenied as denied:
        raise HTTPException(http.HTTP_403_FORBIDDEN, str(denied)) from None
    except MappingInvalid as invalid:
        raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, str(invalid)) from None
    return _out(saved)


def delete_mapping(request: Request, user: TokenUser, name: MappingName) -> None:
    """Remove the mapping ``name``. Batches that ran with it keep their copy; a schedule that
    names it fails its next file, saying so."""
    try:
        mappings.remove_mapping(get_store(request), name, user)
    except PermissionDenied as denied:
        raise HTTPException(http.HTTP_403_FORBIDDEN, str(denied)) from None
    except UnknownMapping as unknown:
        raise HTTPException(http.HTTP_404_NOT_FOUND, str(unknown)) from None


def add_routes(router: APIRouter) -> None:
    """Add the mappings' routes to the API's ``router``."""
    router.add_api_route(
        "/mappings", list_mappings, methods=["GET"], summary="List the column mappings"
    )
    router.add_api_route(
        "/mappings/{name}",
        get_mapping,
        methods=["GET"],
        summary="A column mapping",
        responses={404: _problem("There is no mapping of that name.")},
    )
    router.add_api_route(
        "/mappings/{name}",
        put_mapping,
        methods=["PUT"],
        summary="Save a column mapping",
        responses={
            400: _problem("The body is not JSON."),
            403: _problem(
                "The user may not upload the mapping's record type (nor that of the mapping "
                "it replaces)."
            ),
        },
    )
    router.add_api_route(
        "/mappings/{name}",
        delete_mapping,
        methods=["DELETE"],
        status_code=http.HTTP_204_NO_CONTENT,
        summary="Remove a column mapping",
        responses={
            403: _problem("The user may not upload the mapping's record type."),
            404: _problem("There is no mapping of that name."),
        },
    )
