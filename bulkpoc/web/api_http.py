"""How the API speaks HTTP around its routes: checks made before a body is read, and every
error as ``{"detail": "one sentence"}``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import HTTPException, Request
from fastapi import status as http
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Message

from bulkpoc.config import Settings
from bulkpoc.web.deps import get_settings
from bulkpoc.web.uploads import MULTIPART_SLACK, declared_too_large, too_large

WHERE = {"body": "form field", "query": "query parameter", "header": "header", "path": "path"}


class ApiRoute(APIRoute):
    """Checks a request before its body is read: a body too large for the upload limit (413,
    however it is sent), and query parameters the route does not take or that come twice
    (422: a mistyped or repeated filter must not pass unnoticed)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        known = _query_names(self.dependant)

        async def check_then_handle(request: Request) -> Response:
            settings = get_settings(request)
            if declared_too_large(request.headers.get("content-length"), settings):
                raise too_large(settings)
            _check_query(request, known)
            return await handle(_bounded(request, settings))

        return check_then_handle


def _bounded(request: Request, settings: Settings) -> Request:
    """The request, whose body raises 413 once more than the upload limit has arrived: a body
    sent in chunks, without a Content-Length, is counted as it comes."""
    limit, received = settings.upload_max_bytes + MULTIPART_SLACK, 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise too_large(settings)
        return message

    return Request(request.scope, receive)


def _check_query(request: Request, known: set[str]) -> None:
    """422 for a query parameter the route does not take, or one given more than once."""
    given = [name for name, _ in request.query_params.multi_items()]
    unknown = sorted(set(given) - known)
    if unknown:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
        raise HTTPException(
            http.HTTP_422_UNPROCESSABLE_CONTENT,
            f"The query parameter {unknown[0]!r} is not one of this endpoint's; {takes}.",
        )
    repeated = sorted(name for name in set(given) if given.count(name) > 1)
    if repeated:
        raise HTTPException(
            http.HTTP_422_UNPROCESSABLE_CONTENT,
            f"The query parameter {repeated[0]!r} is given more than once; give it once.",
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {parameter.alias for parameter in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


async def invalid_request(request: Request, error: Exception) -> Response:
    """A request that does not fit the schema (HTTP 422): its first problem, in one sentence."""
    assert isinstance(error, RequestValidationError)
    return JSONResponse(
        {"detail": validation_sentence(error.errors())}, http.HTTP_422_UNPROCESSABLE_CONTENT
    )


def validation_sentence(problems: Any) -> str:
    """A request's validation problems as one sentence: the first, and how many more."""
    first = problems[0] if problems else {}
    location = list(first.get("loc", ()))
    where = WHERE.get(str(location[0]), "value") if location else "value"
    name = str(location[1]) if len(location) > 1 else "request"  # not a union's member type
    if where == "header":
        name = name.replace("_", "-").title()
    if first.get("type") == "missing":
        return f"The {where} {name!r} is required."
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"The {where} {name!r} is not valid: {message}{more}."


def problem(
    request: Request, error: StarletteHTTPException, routes: Sequence[BaseRoute]
) -> Response:
    """An HTTP error as ``{"detail": sentence}``, with the error's own headers; a 405 lists
    every method ``routes`` take at the path (Starlette's names one route's only)."""
    detail = error.detail
    if error.status_code == http.HTTP_404_NOT_FOUND and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}; see /api/v1/openapi.json."
    headers = {k: v for k, v in (error.headers or {}).items() if k.lower() != "allow"}
    if error.status_code == http.HTTP_405_METHOD_NOT_ALLOWED:
        detail = f"{request.method} is not allowed on {request.url.path}."
        methods: set[str] = set()
        # Flattened: an included router (the records' routes) is one entry of ``routes``.
        for route in iter_route_contexts(list(routes)):
            if route.matches(request.scope)[0] is not Match.NONE:
                methods |= route.methods or set()
        headers["Allow"] = ", ".join(sorted(methods))
    return JSONResponse({"detail": detail}, error.status_code, headers=headers)
