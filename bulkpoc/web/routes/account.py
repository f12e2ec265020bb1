"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.users import User
from bulkpoc.services.auth import authenticate
from bulkpoc.web.access import LOGIN, PUBLIC, page
from bulkpoc.web.deps import SESSION_USER, get_store
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another one. Browsers read a
    backslash as a slash, so ``/\\host`` is ``//host``, another site."""
    if (
        target
        and target.startswith("/")
        and target[1:2] not in ("/", "\\")
        and target.isprintable()
    ):
        return target
    return "/"


@router.get("/")
def home(_user: Annotated[User, page(LOGIN)]) -> Response:
    return RedirectResponse("/manage/poc", status_code=303)


@router.get("/login", dependencies=[page(PUBLIC)])
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return render(request, "login.html", next=_safe_next(next))


@router.post("/login", dependencies=[page(PUBLIC)])
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    try:
        user = authenticate(get_store(request), name.strip(), password)
    except BulkpocError as refused:
        return render(
            request, "login.html", 401, error=str(refused), name=name, next=_safe_next(next)
        )
    request.session.clear()
    request.session[SESSION_USER] = user.name
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[page(PUBLIC)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
