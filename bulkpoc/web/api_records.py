"""The API's reads of records, one record type per collection (``pocs``, ``skills``,
``scripts``, ``chat-profiles``, ``numbers``): ``GET /api/v1/{collection}`` lists them with the
POC list's filters, sort and pages, and ``GET /api/v1/{collection}/{key}`` answers one.

Fields are named after the file's column headers in snake case, references by the referenced
record's name, booleans as JSON booleans. Each collection takes its record type's permission,
as its export does. Routes, parameters and models are made from the record types'
declarations, so each collection's schema names exactly its own fields and filters.
"""

# No ``from __future__ import annotations``: the parameters are built per record type at run
# time, and FastAPI reads them as objects.

import inspect
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi import status as http
from pydantic import BaseModel, StringConstraints, create_model
from pydantic import Field as ModelField
from pydantic.json_schema import SkipJsonSchema
from starlette.convertors import Convertor, register_url_convertor

from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.result import UtcDateTime
from bulkpoc.store import schema
from bulkpoc.store.listing import (
    LAST_MODIFIED,
    RecordFilter,
    collection,
    default_sort,
    field_names,
    filters,
    sort_keys,
)
from bulkpoc.store.record_tables import TABLES
from bulkpoc.web.access import api, permission_of
from bulkpoc.web.api_http import ApiRoute
from bulkpoc.web.api_models import Problem
from bulkpoc.web.deps import get_store

router = APIRouter(route_class=ApiRoute)  # under /api/v1 (bulkpoc.web.api includes it)

PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 50, 500, 1_000_000
E164 = r"^\+[1-9][0-9]{1,14}$"
Text = Annotated[str, StringConstraints(max_length=200)]
KEYWORD = inspect.Parameter.KEYWORD_ONLY


class _RecordKey(Convertor[str]):
    """A path segment that can name a record: any but the mass edit's (``bulk-edit``), so a
    method that path does not take answers 405 there, not a bad key (422). The route's own
    parameter checks the key in full."""

    regex = r"(?!bulk-edit$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("record", _RecordKey())
KEY_PATH = "{key:record}"  # one record's key in a path


def _one_of(values: tuple[str, ...]) -> Any:
    """The type whose values are ``values`` (an enum in the schema)."""
    return Literal[values]  # type: ignore[valid-type]


def _model_name(rtype: RecordType) -> str:
    return rtype.label.title().replace(" ", "")  # PointOfContact, ChatProfile


@cache  # one model per record type: the API's reads and its changes answer the same
def record_model(rtype: RecordType) -> type[BaseModel]:
    """The body of one record of ``rtype``: a field per column of its file."""
    table = TABLES[rtype.name]
    fields: dict[str, Any] = {}
    for name, field in field_names(rtype).items():
        kind: Any = {"yes_no": bool, "id": int, "media_type": _one_of(MEDIA_TYPES)}.get(
            field.kind, str
        )
        if table.c[field.name].nullable:
            kind = kind | None
        what = f"The file's {field.header!r} column"
        if field.kind == "ref":
            what += f": the {RECORD_TYPES[field.ref or ''].label.lower()}'s name"
        fields[name] = (kind, ModelField(description=f"{what}."))
    fields[LAST_MODIFIED] = (UtcDateTime, ModelField(description="When it last changed (UTC)."))
    return create_model(_model_name(rtype), __doc__=f"One {rtype.label.lower()}.", **fields)


def page_model(rtype: RecordType, model: type[BaseModel]) -> type[BaseModel]:
    """A page of ``rtype``'s records, how many match in all, and the neighbouring pages."""
    return create_model(
        f"{_model_name(rtype)}Page",
        __doc__=f"A page of {rtype.plural.lower()}, and how many match in all.",
        total=(int, ModelField(description="How many match the filters, on every page.")),
        page=(int, ModelField(description="This page's number, from 1.")),
        per_page=(int, ModelField(description="Records per page.")),
        next=(
            str | None,
            ModelField(description="The next page's URL; null on the last page."),
        ),
        previous=(
            str | None,
            ModelField(description="The previous page's URL; null on the first page."),
        ),
        records=(list[model], ModelField(description="This page's records, in order.")),  # type: ignore[valid-type]
    )


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


def _parameter(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Any:
    return inspect.Parameter(name, KEYWORD, default=default, annotation=annotation)


def _list_parameters(rtype: RecordType) -> list[inspect.Parameter]:
    """The query parameters of ``rtype``'s list: the filters it has, its sorts, the page."""
    taken = filters(rtype)
    found = "its name" + (" or its address" if rtype.name == "poc" else "")
    if rtype.name == "number":
        found = "its phone number"
    optional = SkipJsonSchema[None]  # left out, never null: a query string cannot say null
    parameters = [
        _parameter(
            "q",
            Annotated[Text | optional, Query(description=f"Only those with this in {found}.")],
            None,
        )
    ]
    if "media_type" in taken:
        choice: Any = Annotated[
            _one_of(MEDIA_TYPES) | optional, Query(description="Only this media type.")
        ]
        parameters.append(_parameter("media_type", choice, None))
    if "skill" in taken:
        skill = Annotated[
            Text | optional, Query(description="Only those of this skill (its name, any case).")
        ]
        parameters.append(_parameter("skill", skill, None))
    if "active" in taken:
        active = Annotated[bool | optional, Query(description="Only active, or inactive, ones.")]
        parameters.append(_parameter("active", active, None))
    if "use" in taken:
        use = Annotated[
            Literal["free", "used"] | optional,
            Query(description="Only numbers no point of contact uses (free), or some use (used)."),
        ]
        parameters.append(_parameter("use", use, None))
    sort: Any = Annotated[_one_of(sort_keys(rtype)), Query(description="The field to order by.")]
    order = Annotated[Literal["asc", "desc"], Query(description="Ascending or descending.")]
    page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="The page, from 1.")]
    per_page = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Records per page.")]
    return [
        *parameters,
        _parameter("sort", sort, default_sort(rtype)),
        _parameter("dir", order, "asc"),
        _parameter("page", page, 1),
        _parameter("per_page", per_page, PER_PAGE),
    ]


def _key_parameter(rtype: RecordType) -> inspect.Parameter:
    if rtype.system_key:
        where = Path(ge=1, le=schema.MAX_ID, description=f"The {rtype.label.lower()}'s ID.")
        return _parameter("key", Annotated[int, where])
    where = Path(pattern=E164, description="The phone number, in +E.164 form (+12025550100).")
    return _parameter("key", Annotated[str, where])


def _with_signature(endpoint: Callable[..., Any], parameters: list[inspect.Parameter]) -> None:
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]


def _routes(rtype: RecordType) -> None:
    """Register ``GET /{collection}`` and ``GET /{collection}/{key}`` for ``rtype``."""
    model = record_model(rtype)
    paged = page_model(rtype, model)
    plural, label = rtype.plural.lower(), rtype.label.lower()
    guard = [
        _parameter("request", Request),
        _parameter("_user", Annotated[Any, api(permission_of(rtype.name))]),
    ]
    refused = _problem(f"The user may not see {plural}.")

    def list_records(request: Request, **given: Any) -> Any:
        per_page, number = given["per_page"], given["page"]
        active = given.get("active")
        where = RecordFilter(
            query=(given.get("q") or "").strip(),
            media_type=given.get("media_type") or "",
            skill=given.get("skill") or "",
            active=None if active is None else ("yes" if active else "no"),
            use=given.get("use"),
        )
        rows, total = get_store(request).search_records(
            rtype, where, given["sort"], given["dir"] == "desc", per_page, (number - 1) * per_page
        )
        return paged(
            total=total,
            page=number,
            per_page=per_page,
            next=_page_url(request, number + 1) if number * per_page < total else None,
            previous=_page_url(request, number - 1) if number > 1 else None,
            records=[model.model_validate(row) for row in rows],
        )

    def one_record(request: Request, key: int | str, **_guarded: Any) -> Any:
        record = get_store(request).find_record(rtype, key)
        if record is None:
            raise HTTPException(http.HTTP_404_NOT_FOUND, f"There is no {label} {key}.")
        return model.model_validate(record)

    _with_signature(list_records, [*guard, *_list_parameters(rtype)])
    _with_signature(one_record, [*guard, _key_parameter(rtype)])
    path = f"/{collection(rtype)}"
    router.add_api_route(
        path,
        list_records,
        methods=["GET"],
        response_model=paged,
        summary=f"List {plural}",
        description=f"The {plural} the filters select, sorted and paged; `total` counts all.",
        name=f"api_{rtype.name}_list",
        responses={403: refused},
    )
    router.add_api_route(
        f"{path}/{KEY_PATH}",
        one_record,
        methods=["GET"],
        response_model=model,
        summary=f"One {label}",
        description=f"The {label}'s current values.",
        name=f"api_{rtype.name}",
        responses={403: refused, 404: _problem(f"There is no such {label}.")},
    )


def _page_url(request: Request, number: int) -> str:
    """This request's URL (a path, never the host it was sent to) on page ``number``."""
    query = dict(request.query_params) | {"page": str(number)}
    return f"{request.url.path}?{urlencode(query)}"


for _rtype in RECORD_TYPES.values():
    _routes(_rtype)
