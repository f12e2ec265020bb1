"""Files as downloads: templates and exports (what ``bulkpoc template`` and ``export`` write),
a batch's error file and email; a download's name is only ever a header, never a path."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from bulkpoc.domain.records import RecordType
from bulkpoc.output.exports import write_records
from bulkpoc.store.db import Store

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download_name(rtype: RecordType, file_format: str, template: bool) -> str:
    """``points-of-contact-template.xlsx``, or ``skills-2025-01-31.csv`` for an export."""
    stem = rtype.plural.lower().replace(" ", "-")
    what = "template" if template else dt.date.today().isoformat()
    return f"{stem}-{what}.{file_format}"


def record_file(store: Store, rtype: RecordType, file_format: str, template: bool) -> FileResponse:
    """The template or the export of every record, streamed from a temporary folder that is
    removed once sent."""
    name = download_name(rtype, file_format, template)
    folder = Path(tempfile.mkdtemp(prefix="bulkpoc-download-"))
    try:
        write_records(store, rtype, file_format, folder / name, template=template)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        folder / name,
        media_type=MEDIA_TYPES[file_format],
        filename=name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def error_file(name: str, content: bytes) -> Response:
    """A batch's error file, in the format of its upload."""
    media_type = MEDIA_TYPES.get(Path(name).suffix.lstrip(".").lower(), "application/octet-stream")
    return attachment(content, name, media_type)


def attachment(content: bytes, name: str, media_type: str) -> Response:
    """A download under ``name``: plain ASCII for every client, and the exact name for those
    that read ``filename*`` (RFC 6266)."""
    fallback = "".join(_header_safe(c) for c in name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(content, media_type=media_type, headers={"content-disposition": disposition})


def _header_safe(character: str) -> str:
    """The character, or ``_`` for quotes and what old clients cannot take in a header."""
    return (
        character
        if character.isascii() and character.isprintable() and character not in '"\\;'
        else "_"
    )
