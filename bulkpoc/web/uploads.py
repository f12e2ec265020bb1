"""What the upload form and the API do alike with an uploaded file: refuse one above the size
limit before anything is stored, and turn its name into a display name that is never a path.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

from fastapi import HTTPException, UploadFile, status

from bulkpoc.config import Settings

NAME_BYTES = 150  # room for "-errors.xlsx" within a file system's 255-byte name limit
# Bytes a multipart body adds around the file (boundaries, part headers, the other fields).
MULTIPART_SLACK = 64 * 1024


def too_large(settings: Settings) -> HTTPException:
    megabytes = settings.upload_max_bytes / (1024 * 1024)
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"The file is larger than the upload limit of {megabytes:.3g} MB "
        f"({settings.upload_max_bytes:,} bytes); split it into smaller files.",
    )


def declared_too_large(content_length: str | None, settings: Settings) -> bool:
    """Whether a request says, before its body is read, that it carries too large a file."""
    if not content_length or not content_length.isdigit():
        return False
    return int(content_length) > settings.upload_max_bytes + MULTIPART_SLACK


def check_size(upload: UploadFile, settings: Settings) -> None:
    """HTTP 413, in one sentence, for a file above ``settings.upload_max_bytes``."""
    size = upload.size
    if size is None:
        upload.file.seek(0, 2)
        size = upload.file.tell()
        upload.file.seek(0)
    if size > settings.upload_max_bytes:
        raise too_large(settings)


def display_name(file_name: str | None) -> str:
    """The name a user knows the file by: its last path part, printable, and short enough."""
    last = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in last if not unicodedata.category(c).startswith("C")).strip()
    if name in {"", ".", ".."}:
        return "upload"
    if len(name.encode()) <= NAME_BYTES:
        return name
    suffix = PurePosixPath(name).suffix
    suffix = suffix if len(suffix.encode()) <= 10 else ""
    stem = name[: len(name) - len(suffix)].encode()[: NAME_BYTES - len(suffix.encode())]
    return stem.decode(errors="ignore").rstrip() + suffix
