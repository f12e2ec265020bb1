"""Reading the upload form's body, counting its bytes as they arrive.

A body above the limit is refused as soon as it says so (Content-Length) and, whatever it
says, as soon as more bytes than that have arrived: nothing past the limit is read, and
nothing at all is stored. The file goes into a temporary file spooled to disk past 1 MB.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from bulkpoc.config import Settings
from bulkpoc.web.uploads import MULTIPART_SLACK, declared_too_large

MAX_FIELDS = 20  # the form has a dozen; a body with more is not this form
FIELD_BYTES = 4096  # no field of the form is longer


class UploadTooLarge(Exception):
    """The body holds more than ``upload_max_bytes`` of file."""


class UnreadableUpload(Exception):
    """The body is not the upload form (not multipart, damaged, several files…)."""


@dataclass
class UploadForm:
    """The form's fields, and its file when one was chosen."""

    fields: dict[str, str]
    file: UploadFile | None

    def sha256(self) -> str:
        """The file's SHA-256, reading it in chunks."""
        assert self.file is not None
        digest = hashlib.sha256()
        self.file.file.seek(0)
        while chunk := self.file.file.read(1 << 20):
            digest.update(chunk)
        self.file.file.seek(0)
        return digest.hexdigest()

    def close(self) -> None:
        if self.file is not None:
            self.file.file.close()


async def read_upload_form(request: Request, settings: Settings) -> UploadForm:
    """The form, or ``UploadTooLarge`` / ``UnreadableUpload`` before reading further."""
    if declared_too_large(request.headers.get("content-length"), settings):
        raise UploadTooLarge
    parser = MultiPartParser(
        request.headers,
        _at_most(request.stream(), settings.upload_max_bytes + MULTIPART_SLACK),
        max_files=1,
        max_fields=MAX_FIELDS,
        max_part_size=FIELD_BYTES,
    )
    try:
        form = await parser.parse()
    except (MultiPartException, KeyError):  # KeyError: no Content-Type at all
        raise UnreadableUpload from None
    fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
    files = [value for _name, value in form.multi_items() if isinstance(value, UploadFile)]
    upload = UploadForm(fields, files[0] if files and files[0].filename else None)
    if upload.file is not None and (upload.file.size or 0) > settings.upload_max_bytes:
        upload.close()
        raise UploadTooLarge
    return upload


async def _at_most(chunks: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks, until more than ``limit`` bytes have come: then UploadTooLarge."""
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise UploadTooLarge
        yield chunk
