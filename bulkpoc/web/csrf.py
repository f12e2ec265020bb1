"""CSRF protection of every form, the login form too, bound to the browser's session.

A form's ``csrftoken`` is an HMAC of the session cookie's id (``web/sessions.py``), so only a
page this site served to this browser carries it: a cross-site form cannot, one session's
token does not fit another session's cookie, and logging in (a new id) changes it. A POST
without the right token gets a 403 page saying what happened (the form was open longer than
the session, or the browser sends no cookies) with a link back, before the route runs and
before any file is read: the upload form puts its token before the file.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bulkpoc.web.security import local_path
from bulkpoc.web.sessions import SCOPE_KEY, WebSession
from bulkpoc.web.templating import render

TOKEN_FIELD = "csrftoken"
TOKEN_BYTES = 1024  # far more than a token; a longer field is not one
FORM_BYTES = 1024 * 1024  # a form without a file is far smaller; past this, no token is read
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

OPEN_TOO_LONG = (
    "This form could not be sent: it was open too long (longer than a session lasts), or you "
    "logged in or out in another tab. Go back, reload the page and send it again."
)
NO_COOKIES = (
    "This form could not be sent: your browser did not send this site's cookie. Allow "
    "cookies for this site, then go back, reload the page and send it again."
)

ReceiveBody = Callable[[], Awaitable[Message]]


def csrf_token(key: bytes, session: WebSession) -> str:
    """The token this session's forms carry: different logged in and not, so a login
    always needs a new one."""
    state = b"user:" if session.user else b"anonymous:"
    return hmac.new(key, state + session.id.encode("ascii"), hashlib.sha256).hexdigest()


class CsrfProtection:
    """ASGI middleware: refuse a page POST without its session's token; give the pages
    ``scope["csrftoken"]`` to put in their forms."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app, self.key = app, key.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session: WebSession | None = scope.get(SCOPE_KEY)
        if scope["type"] != "http" or session is None:
            await self.app(scope, receive, send)
            return
        scope["csrftoken"] = lambda: csrf_token(self.key, session)
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        given, replay = await read_token(scope, receive)
        expected = csrf_token(self.key, session).encode("ascii")
        given_bytes = (given or "").encode("utf-8", "surrogatepass")
        if given is not None and hmac.compare_digest(expected, given_bytes):
            await self.app(scope, replay, send)
            return
        request = Request(scope, replay)
        reason = OPEN_TOO_LONG if session.sent else NO_COOKIES
        page = render(
            request, "csrf.html", 403, user=session.user, message=reason, back=_back(request)
        )
        await page(scope, replay, send)


def _back(request: Request) -> str:
    """The page the form was on (from Referer) when it is a page of this site, else home."""
    came_from = urlsplit(request.headers.get("referer", ""))
    path = came_from.path
    if came_from.netloc == request.headers.get("host") and local_path(path):
        return path + (f"?{came_from.query}" if came_from.query else "")
    return "/"


async def read_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The form's csrftoken (None if there is none) and a ``receive`` that replays the body
    read so far, then the rest."""
    messages: list[Message] = []

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    async def record() -> Message:
        message = await receive()
        messages.append(message)
        return message

    content_type, options = parse_options_header(_header(scope, b"content-type"))
    if content_type == b"application/x-www-form-urlencoded":
        return await _urlencoded_token(record), replay
    if content_type == b"multipart/form-data" and b"boundary" in options:
        return await _multipart_token(options[b"boundary"], record), replay
    return None, replay


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return b""


async def _urlencoded_token(receive: ReceiveBody) -> str | None:
    body = bytearray()
    more = True
    while more and len(body) <= FORM_BYTES:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if more:
        return None
    text = bytes(body).decode("ascii", "surrogateescape")  # any byte, none raises
    found = parse_qs(text, encoding="utf-8", errors="surrogateescape").get(TOKEN_FIELD)
    return found[0] if found else None


async def _multipart_token(boundary: bytes, receive: ReceiveBody) -> str | None:
    """The token field of a multipart form, which must come before any file."""
    part = _Part()
    parser = MultipartParser(boundary, part.callbacks())
    read = 0
    try:
        more = True
        while more and read <= FORM_BYTES:  # our forms put the token first: it is near
            message = await receive()
            read += len(message.get("body", b""))
            parser.write(message.get("body", b""))
            more = message.get("more_body", False)
    except _TokenFound as found:
        return found.token
    except _FileBeforeToken:
        return None
    return None


class _TokenFound(Exception):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


class _FileBeforeToken(Exception):
    """A file part came before the token: refused rather than read to its end."""


class _Part:
    """What the parser has seen of the current part: its headers, and its value if it is
    the token field."""

    def __init__(self) -> None:
        self.begin()

    def begin(self) -> None:
        self.header_name, self.header_value = b"", b""
        self.field: bytes | None = None
        self.value = bytearray()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            _disposition, options = parse_options_header(self.header_value)
            if b"filename" in options:
                raise _FileBeforeToken
            self.field = options.get(b"name")
        self.header_name, self.header_value = b"", b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.field == TOKEN_FIELD.encode() and len(self.value) <= TOKEN_BYTES:
            self.value += data[start:end]

    def on_part_end(self) -> None:
        if self.field == TOKEN_FIELD.encode():
            raise _TokenFound(self.value.decode("utf-8", errors="surrogateescape"))
