"""The API's documentation: its OpenAPI schema, and Swagger UI to read and try it.

Swagger UI's script and stylesheet are those the ``fastapi-offline`` package pins and ships,
served by this server, never fetched from a CDN: the page works offline, and the site's
Content-Security-Policy stays whole, as the page starts Swagger UI from a script of its own
(``static/api-docs.js``) rather than an inline one.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from bulkpoc.domain.users import User
from bulkpoc.web.access import PUBLIC, api, page
from bulkpoc.web.templating import render

SCHEMA_URL = "/api/v1/openapi.json"
ASSETS_URL = "/api/docs/assets"
ASSETS_NAME = "api-docs-assets"

router = APIRouter(include_in_schema=False)


def assets() -> StaticFiles:
    """Swagger UI's files, as the fastapi-offline package holds them."""
    return StaticFiles(directory=Path(str(files(fastapi_offline) / "static")))


@router.get(SCHEMA_URL, dependencies=[api(PUBLIC)])
def schema(request: Request) -> Response:
    """The OpenAPI schema of ``/api/v1``: what every operation takes and answers."""
    return JSONResponse(request.app.openapi())


@router.get("/api/docs")
def docs_page(request: Request, user: Annotated[User | None, page(PUBLIC)]) -> Response:
    return render(request, "api_docs.html", user=user, schema_url=SCHEMA_URL)
