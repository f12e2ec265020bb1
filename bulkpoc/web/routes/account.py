"""Logging in and out.

A successful login also leaves a *known device* cookie in the browser: a signed note that
this browser logged in as that name. While the name is locked by someone else's wrong
passwords, a browser holding it may still log in with the right password (the throttle by
address still applies to it), so a lockout cannot keep the real user out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.users import User
from bulkpoc.services.auth import LoginRefused, authenticate, client_key
from bulkpoc.store.listing import collection
from bulkpoc.web.access import LOGIN, PUBLIC, page
from bulkpoc.web.deps import get_settings, get_store
from bulkpoc.web.security import local_path
from bulkpoc.web.sessions import cookie, log_in, log_out
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)

DEVICE_COOKIE = "bulkpoc_device"
DEVICE_SECONDS = 30 * 24 * 3600  # a browser stays known for a month after its last login


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another one."""
    return target if target and local_path(target) else "/"


@router.get("/")
def home(user: Annotated[User, page(LOGIN)]) -> Response:
    """Where a login lands: the first list of records the user may see (the POC list for
    most), else the upload page, which says which permission is missing."""
    for rtype in RECORD_TYPES.values():
        if rtype.permission in user.permissions:
            return RedirectResponse(f"/{collection(rtype)}", status_code=303)
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
    store, settings = get_store(request), get_settings(request)
    name = name.strip()
    devices = URLSafeTimedSerializer(request.app.state.secret, salt="known-device")
    try:
        user = authenticate(
            store,
            name,
            password,
            client=client_key(request.client.host) if request.client else None,
            known_device=_known_device(devices, request, name),
        )
    except LoginRefused as refused:
        throttled = refused.retry_after is not None
        page = render(
            request,
            "login.html",
            status.HTTP_429_TOO_MANY_REQUESTS if throttled else status.HTTP_401_UNAUTHORIZED,
            error=str(refused),
            name=name,
            next=_safe_next(next),
        )
        if throttled:
            page.headers["retry-after"] = str(refused.retry_after)
        return page
    log_in(request, store, settings, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    known = cookie(DEVICE_COOKIE, devices.dumps(user.name), request.scope, settings, DEVICE_SECONDS)
    response.headers.append("set-cookie", known)
    return response


def _known_device(devices: URLSafeTimedSerializer, request: Request, name: str) -> bool:
    """Whether this browser logged in as ``name`` within ``DEVICE_SECONDS``."""
    try:
        return devices.loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_SECONDS) == name
    except BadSignature:
        return False


@router.post("/logout", dependencies=[page(PUBLIC)])
def logout(request: Request) -> Response:
    log_out(request, get_store(request))
    return RedirectResponse("/login", status_code=303)
