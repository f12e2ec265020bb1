"""The session cookie: a random id whose session lives in the store.

``Sessions`` reads the cookie of every page request and puts a ``WebSession`` in the scope: the
logged-in user if the id names a live session, else nobody (the id then only binds the login
form's CSRF token to this browser). A browser that sent no usable cookie gets a new id. The
cookie is HttpOnly and SameSite=Lax, and Secure when the site is served over HTTPS (the
``https`` setting, or a request that came over HTTPS, through a trusted proxy or not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bulkpoc.config import Settings
from bulkpoc.domain.users import User
from bulkpoc.services.sessions import (
    end_session,
    new_session_id,
    session_user,
    start_session,
    well_formed,
)
from bulkpoc.store.db import Store

SESSION_COOKIE = "bulkpoc_session"
SCOPE_KEY = "bulkpoc.session"
NOT_PAGES = ("/api/", "/static/")  # the API takes tokens, not cookies; files need no session


@dataclass
class WebSession:
    """This browser's session: its id, whether the browser sent it, and its user, if any."""

    id: str
    sent: bool
    user: User | None = None
    changed: bool = field(default=False)  # the response sets the cookie to ``id``


class Sessions:
    """ASGI middleware: a ``WebSession`` in ``scope[SCOPE_KEY]`` for every page request."""

    def __init__(self, app: ASGIApp, store: Store, settings: Settings) -> None:
        self.app, self.store, self.settings = app, store, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        sent = HTTPConnection(scope).cookies.get(SESSION_COOKIE, "")
        if well_formed(sent):
            user = await run_in_threadpool(session_user, self.store, sent, self.settings)
            session = WebSession(sent, sent=True, user=user)
        else:
            session = WebSession(new_session_id(), sent=False, changed=True)
        scope[SCOPE_KEY] = session

        async def send_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.changed:
                headers = MutableHeaders(scope=message)
                max_age = self.settings.session_max_seconds if session.user else None
                headers.append(
                    "set-cookie",
                    cookie(SESSION_COOKIE, session.id, scope, self.settings, max_age=max_age),
                )
            await send(message)

        await self.app(scope, receive, send_cookie)


def web_session(request: Request) -> WebSession:
    return request.scope[SCOPE_KEY]  # type: ignore[no-any-return]


def log_in(request: Request, store: Store, settings: Settings, user: User) -> None:
    """Start a new session for ``user``: a new id, so no id known before the login (a fixed
    session) ever becomes logged in."""
    session = web_session(request)
    session.id = start_session(store, user.name, settings)
    session.user, session.changed = user, True


def log_out(request: Request, store: Store) -> None:
    """End this browser's session everywhere; the browser gets a fresh id."""
    session = web_session(request)
    end_session(store, session.id)
    session.id, session.user, session.changed = new_session_id(), None, True


def is_https(scope: Scope, settings: Settings) -> bool:
    """Whether cookies must be Secure: configured so, or this request came over HTTPS."""
    return settings.https or scope.get("scheme") == "https"


def cookie(
    name: str, value: str, scope: Scope, settings: Settings, max_age: int | None = None
) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, path /, Secure over HTTPS; without
    ``max_age`` it lasts until the browser closes."""
    jar: SimpleCookie = SimpleCookie()
    jar[name] = value
    morsel = jar[name]
    morsel["path"], morsel["httponly"], morsel["samesite"] = "/", True, "Lax"
    if max_age is not None:
        morsel["max-age"] = max_age
    if is_https(scope, settings):
        morsel["secure"] = True
    return morsel.OutputString()
