"""Files as downloads: templates and exports (what ``bulkpoc template`` and ``export`` write),
a batch's error file, report and email; a download's name is only ever a header, never a
path, and no answer says where the server keeps a file."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from bulkpoc.domain.records import RecordType
from bulkpoc.domain.result import BatchResult, Reports
from bulkpoc.output import changes, changes_csv, mail, report
from bulkpoc.output.exports import write_records
from bulkpoc.store.db import Store

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The report is self-contained: its styles are inline, and it runs no script.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


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


# The routes that serve a batch's files, by the field of ``Reports`` that says where it is.
PAGE_FILES = {
    "html": "batch_report",
    "error_file": "batch_error_file",
    "email": "batch_email",
    "changes": "batch_changes_file",
}
API_FILES = {
    "html": "api_batch_report",
    "error_file": "api_batch_errors",
    "email": "api_batch_email",
    "changes": "api_batch_changes_file",
}


def file_links(request: Request, batch_id: int, files: Reports, routes: dict[str, str]) -> Reports:
    """Where this server serves each file the batch has (``/batches/12/errors``), by the
    route ``routes`` names for it: never the folder the server keeps it in."""
    return Reports(
        **{
            kind: str(request.app.url_path_for(route, batch_id=batch_id))
            if getattr(files, kind)
            else None
            for kind, route in routes.items()
        }
    )


def report_page(
    request: Request, result: BatchResult, routes: dict[str, str], store: Store
) -> HTMLResponse:
    """A finished batch's HTML report, rendered from its stored result as the batch wrote it
    (with the first of its changes), its files named by the URLs ``routes`` serve them at;
    under a policy that runs nothing."""
    assert result.batch_id is not None
    served = result.model_copy(
        update={"reports": file_links(request, result.batch_id, result.reports, routes)}
    )
    with store.engine.connect() as connection:
        first = changes.first_lines(connection, result.batch_id)
    return HTMLResponse(
        report.render(
            "report.html",
            served,
            changes=first,
            served=True,
            error_file_name=report.file_name(result.reports.error_file),
        ),
        headers={"content-security-policy": REPORT_POLICY},
    )


def changes_file(store: Store, batch_id: int) -> StreamingResponse:
    """The batch's changes.csv, written from its change rows as it is sent (a chunk at a
    time), so any process serves it, whatever its size."""

    def pieces() -> Iterator[bytes]:
        yield changes_csv.BOM
        with store.engine.connect() as connection:
            for piece, _lines in changes_csv.pieces(connection, batch_id):
                yield piece

    name = f"batch-{batch_id}-{changes.FILE_NAME}"
    return StreamingResponse(
        pieces(),
        media_type=MEDIA_TYPES["csv"],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def email_file(store: Store, batch_id: int) -> Response | None:
    """The batch's results email as it was sent (or waits in the outbox); None if it sent none."""
    message = mail.batch_email(store, batch_id)
    if message is None:
        return None
    return attachment(message, f"batch-{batch_id}-results.eml", "message/rfc822")


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
