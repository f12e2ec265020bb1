"""asgi-csrf's check of multipart forms (the upload form), with python-multipart 0.0.26+.

asgi-csrf 0.11 finds a multipart form's ``csrftoken`` field with python-multipart's
``FormParser(FileClass=...)``, an argument python-multipart 0.0.26 removed; every upload then
fails with a TypeError (simonw/asgi-csrf#38, fix pending in #39). Going back to an older
python-multipart would bring back CVE-2026-40347. So, on that combination only, asgi-csrf's
reader is replaced by this one, built on the low-level ``MultipartParser`` that every version
has. The contract is asgi-csrf's own: the token must come before any file, the body read so
far is replayed to the app, and asgi-csrf still decides and answers 403. Drop this module once
asgi-csrf reads multipart forms with the installed python-multipart again.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import asgi_csrf
from python_multipart import FormParser
from python_multipart.multipart import MultipartParser, parse_options_header

TOKEN_FIELD = b"csrftoken"
TOKEN_BYTES = 1024  # far more than a token; a longer field is not one

Receive = Callable[[], Awaitable[dict[str, Any]]]


def repair_asgi_csrf() -> None:
    """Use ``read_token`` where asgi-csrf's own reader cannot work."""
    if "FileClass" not in inspect.signature(FormParser.__init__).parameters:
        asgi_csrf._parse_multipart_form_data = read_token


async def read_token(boundary: bytes, receive: Receive) -> tuple[str | None, Receive]:
    """The form's csrftoken (None if the body ends without one) and a ``receive`` that
    replays the body from its start; ``asgi_csrf.FileBeforeToken`` if a file comes first."""
    messages: list[dict[str, Any]] = []

    async def replay() -> dict[str, Any]:
        return messages.pop(0) if messages else await receive()

    part = _Part()
    parser = MultipartParser(boundary, part.callbacks())
    try:
        more = True
        while more:
            message = await receive()
            messages.append(message)
            parser.write(message.get("body", b""))
            more = message.get("more_body", False)
    except _TokenFound as found:
        return found.token, replay
    return None, replay


class _TokenFound(Exception):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


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
                raise asgi_csrf.FileBeforeToken
            self.field = options.get(b"name")
        self.header_name, self.header_value = b"", b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.field == TOKEN_FIELD and len(self.value) <= TOKEN_BYTES:
            self.value += data[start:end]

    def on_part_end(self) -> None:
        if self.field == TOKEN_FIELD:
            raise _TokenFound(self.value.decode("utf-8", errors="replace"))
