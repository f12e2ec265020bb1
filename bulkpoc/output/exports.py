"""Templates and exports: what each holds; the format (``bulkpoc.formats``) writes it.

Every format writes values so that an export uploaded unchanged imports with zero changes (CSV
puts an apostrophe before what a spreadsheet would run as a formula; XLSX writes text cells).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bulkpoc import formats
from bulkpoc.domain.parsers import MEDIA_TYPES
from bulkpoc.domain.records.as_text import records_as_text
from bulkpoc.domain.records.base import ROW_CHANGED, RecordType
from bulkpoc.formats.base import WriteOptions
from bulkpoc.store.db import Store
from bulkpoc.store.snapshots import load_references, load_snapshot

GENERAL_INSTRUCTIONS = (
    "Headers match whatever their case or spacing; column order is free.",
    "Upload this sheet as Excel (.xlsx), or save it as CSV and upload it as Text (.csv).",
    "An Error column (as in the error file of a failed upload) is ignored, so a fixed error "
    "file can be uploaded as it is.",
)


# --- frames --------------------------------------------------------------------------------


def export_frame(store: Store, rtype: RecordType) -> pd.DataFrame:
    """Every record of ``rtype`` as the text a file would hold, columns named by header."""
    with store.engine.connect() as connection:
        snapshot = load_snapshot(store, rtype, connection)
    frame = records_as_text(rtype, snapshot.refs, snapshot.existing.sort_index())
    frame.insert(1, ROW_CHANGED, "")
    return frame[rtype.headers].reset_index(drop=True)


def template_frame(rtype: RecordType) -> pd.DataFrame:
    return pd.DataFrame(columns=rtype.headers, dtype=str)


# --- what the CLI and the web UI call ---------------------------------------------------------


def _dropdowns(store: Store, rtype: RecordType) -> dict[str, list[str]]:
    yes_no = ["Y", "N"]
    lists: dict[str, list[str]] = {ROW_CHANGED: yes_no}
    with store.engine.connect() as connection:
        references = load_references(store, rtype, connection)
    for field in rtype.fields:
        if field.kind == "yes_no":
            lists[field.header] = yes_no
        elif field.kind == "media_type":
            lists[field.header] = list(MEDIA_TYPES)
        elif field.kind == "ref":
            names = references[field.ref or ""]
            if "active" in names:
                names = names.sort_values(["active", "name"], ascending=[False, True])
            else:
                names = names.sort_values("name")
            lists[field.header] = names["name"].tolist()
    return lists


def _text_columns(rtype: RecordType) -> tuple[str, ...]:
    return tuple(
        f.header for f in (rtype.key, *rtype.fields) if f.kind in {"address", "phone", "id"}
    )


def write_records(
    store: Store, rtype: RecordType, file_format: str, path: Path, template: bool
) -> int:
    """Write the template (headers only) or the export of every record; returns rows written."""
    frame = template_frame(rtype) if template else export_frame(store, rtype)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = formats.get(file_format)
    options = WriteOptions(
        title=rtype.plural,
        text_columns=_text_columns(rtype),
        dropdowns=_dropdowns(store, rtype) if fmt.styled else {},
        instructions=(*rtype.instructions, *GENERAL_INSTRUCTIONS),
    )
    fmt.write(frame, path, options)
    return len(frame)
