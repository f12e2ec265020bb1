"""The pages' Jinja2 templates, and ``render``, which every route answers a page with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from bulkpoc.domain.permissions import POC_CREATE, POC_DEACTIVATE, USERS_MANAGE
from bulkpoc.domain.records import RECORD_TYPES

HERE = Path(__file__).resolve().parent

templates = Jinja2Templates(directory=HERE / "templates")


@pass_context
def url_path_for(context: Context, name: str, /, **path_params: Any) -> str:
    """A route's URL as a path on this site (``/static/app.css``), never an absolute URL:
    Starlette's ``url_for`` builds one from the request's Host header, which any client
    can forge, and would carry the forged host into every page's links."""
    request: Request = context["request"]
    return str(request.url_for(name, **path_params).path)


templates.env.globals["url_for"] = url_path_for
templates.env.globals["POC_CREATE"] = POC_CREATE  # the POC list's permission, for its link
templates.env.globals["POC_DEACTIVATE"] = POC_DEACTIVATE  # Deactivate on a POC's page
templates.env.globals["USERS_MANAGE"] = USERS_MANAGE  # the Administration pages', likewise
# The other lists (routes/lists.py) for the navigation: path, name, the permission they take.
templates.env.globals["RECORD_LISTS"] = [
    (f"/{name}s", RECORD_TYPES[name].plural, RECORD_TYPES[name].permission)
    for name in ("skill", "script", "chat-profile", "number")
]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page, with what every form needs: its CSRF token. Pages pass ``user`` when logged in."""
    csrftoken = request.scope.get("csrftoken")
    return templates.TemplateResponse(
        request,
        template,
        {"user": None, "csrftoken": csrftoken() if csrftoken else ""} | context,
        status_code=status_code,
    )
