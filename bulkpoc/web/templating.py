"""The pages' Jinja2 templates, and ``render``, which every route answers a page with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent

templates = Jinja2Templates(directory=HERE / "templates")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page, with what every form needs: its CSRF token. Pages pass ``user`` when logged in."""
    csrftoken = request.scope.get("csrftoken")
    return templates.TemplateResponse(
        request,
        template,
        {"user": None, "csrftoken": csrftoken() if csrftoken else ""} | context,
        status_code=status_code,
    )
