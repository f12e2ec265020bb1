"""Templates and exports as downloads: the files ``bulkpoc template`` and ``export`` write."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from bulkpoc.records import RecordType
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
    from bulkpoc.write import write_records

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
