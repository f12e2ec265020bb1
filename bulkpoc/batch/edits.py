"""Single records and mass edits: a batch built from field values instead of a file.

A form's save, an API call and a list's mass edit all become rows of the record type's own
file (its export's columns), run through the same read -> validate -> plan -> apply as an
upload: the same rules, permissions, results, change records, history and undo. No second
write path. An edit starts from the record's current row and overlays the given fields; it
carries the Last Modified the client saw (by default the one just read), so a second save of
a record someone changed meanwhile fails as a conflict under the upload's rule.

Fields are named as the API names them (``bulkpoc.store.listing.field_names``: the column
headers in snake case, ``point_of_contact``, ``ivr_reporting_enabled``) or by their column
headers; booleans may be JSON booleans.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bulkpoc.batch.run import run
from bulkpoc.batch.submit import submit, unrecorded_failure
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import BulkpocError, StoreBusy
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import LAST_MODIFIED, Field, RecordType
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.storable import unstorable
from bulkpoc.formats.csv_format import FORMULA_START
from bulkpoc.store.db import Store
from bulkpoc.store.listing import RecordFilter, field_names, snake

SOURCES = ("form", "api", "list", "cli")
Key = int | str
Row = dict[str, str]


class EditRefused(BulkpocError):
    """An edit that names no record, an unknown field, or a field it may not set: nothing ran."""

    code = "edit_refused"


class RecordNotFound(EditRefused):
    """The record to edit does not exist."""

    code = "record_not_found"


# --- what the forms, the API and the CLI call ------------------------------------------------


def create_record(
    store: Store,
    settings: Settings,
    record_type: str,
    fields: Mapping[str, Any],
    user: str,
    source: str = "api",
    dry_run: bool = False,
    **chosen: Any,
) -> BatchResult:
    """Create one record of ``record_type`` from ``fields`` as a one-row batch. ``chosen``:
    more options of the batch (``notify``, ``report_dir``), as for each function here."""
    rtype = _rtype(record_type)
    cells = cells_of(rtype, fields)
    if rtype.system_key and cells.get(rtype.key.header):
        raise EditRefused(f"The {rtype.key.header} is assigned by the store: leave it out.")
    if not rtype.system_key and not cells.get(rtype.key.header):
        raise EditRefused(f"A new {rtype.label.lower()} needs its {rtype.key.header}.")
    if not any(cells.values()):  # a file's blank row is no row: say so rather than do nothing
        raise EditRefused(f"Give the new {rtype.label.lower()}'s fields: they are all blank.")
    row = dict.fromkeys(rtype.headers, "") | cells
    options = _options(rtype, user, source, dry_run, "new", chosen)
    return run_rows(store, settings, rtype, [row], options)


def edit_record(
    store: Store,
    settings: Settings,
    record_type: str,
    record_id: Key,
    fields: Mapping[str, Any],
    user: str,
    source: str = "api",
    seen_modified: dt.datetime | str | None = None,
    dry_run: bool = False,
    **chosen: Any,
) -> BatchResult:
    """Change the given ``fields`` of one record as a one-row batch; the rest stay as stored.

    ``seen_modified``: the Last Modified the user's copy had; the save is a conflict if the
    record changed after it. Raises ``RecordNotFound`` when there is no such record.
    """
    rtype = _rtype(record_type)
    cells = cells_of(rtype, fields)
    _no_key_change(rtype, cells, record_id)
    record = store.find_record(rtype, record_id)
    if record is None:
        raise RecordNotFound(f"There is no {rtype.label.lower()} {record_id}.")
    row = current_row(rtype, record) | cells
    if seen_modified is not None and rtype.has_last_modified:
        row[LAST_MODIFIED] = modified_text(seen_modified)
    options = _options(rtype, user, source, dry_run, f"edit-{record_id}", chosen)
    return run_rows(store, settings, rtype, [row], options)


def bulk_edit(
    store: Store,
    settings: Settings,
    record_type: str,
    ids: Sequence[Key] | None,
    fields: Mapping[str, Any],
    user: str,
    source: str = "list",
    dry_run: bool = False,
    where: RecordFilter | None = None,
    **chosen: Any,
) -> BatchResult:
    """Set ``fields`` on every record in ``ids`` (or, with ``ids`` None, every record ``where``
    selects) as one batch, all or nothing. Raises ``RecordNotFound`` naming ids not stored."""
    rtype = _rtype(record_type)
    cells = cells_of(rtype, fields)
    if not cells:
        raise EditRefused("Say which fields to set: a mass edit with no field changes nothing.")
    _no_key_change(rtype, cells, None)
    records = _selected(store, rtype, ids, where)
    if not records:
        raise RecordNotFound(f"No {rtype.label.lower()} matches: nothing to edit.")
    rows = [current_row(rtype, record) | cells for record in records]
    options = _options(rtype, user, source, dry_run, f"bulk-edit-{len(rows)}", chosen)
    return run_rows(store, settings, rtype, rows, options)


def deactivate(
    store: Store,
    settings: Settings,
    record_type: str,
    record_id: Key,
    user: str,
    source: str = "cli",
    via_skill: str | None = None,
    seen_modified: dt.datetime | str | None = None,
    **chosen: Any,
) -> BatchResult:
    """Set Active to N on one record; ``via_skill``: move it to that (inactive) skill in the
    same change, the deactivation rule's workaround, so one undo takes both back."""
    fields: dict[str, Any] = {"active": False}
    if via_skill is not None:
        fields["skill"] = via_skill
    return edit_record(
        store, settings, record_type, record_id, fields, user, source, seen_modified, **chosen
    )


def edited_key(store: Store, result: BatchResult) -> str | None:
    """The key of the record a one-row batch created or changed (None when it changed none)."""
    if result.batch_id is None:
        return None
    changes, _total = store.batch_changes(result.batch_id, limit=1)
    return str(changes[0]["record_key"]) if changes else None


# --- rows --------------------------------------------------------------------------------------


def fields_by_name(rtype: RecordType) -> dict[str, Field]:
    """Every field ``rtype``'s edits take, by its API name and by its column header in snake
    case (``id`` and ``point_of_contact_id`` both name a POC's key)."""
    named = field_names(rtype)
    return named | {snake(field.header): field for field in named.values()}


def cells_of(rtype: RecordType, fields: Mapping[str, Any]) -> Row:
    """``fields`` (by API name or column header) as the cells of a row of ``rtype``'s file."""
    known = fields_by_name(rtype)
    cells: Row = {}
    unknown = []
    for name, value in fields.items():
        field = known.get(snake(name))
        if field is None:
            unknown.append(name)
            continue
        cells[field.header] = text = cell_text(value)
        if what := unstorable(text):  # JSON can spell both; no file or store holds either
            raise EditRefused(
                f"{field.header} {text!r} holds {what}, which is not text a file can hold: "
                "nothing changed."
            )
    if unknown:
        names = ", ".join(sorted(known))
        raise EditRefused(
            f"{rtype.plural} have no field {', '.join(map(repr, unknown))}; they have {names}."
        )
    return cells


def cell_text(value: Any) -> str:
    """A JSON or form value as a file's cell: booleans as Y/N, nothing as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        return modified_text(value)
    return str(value).strip()


def current_row(rtype: RecordType, record: Mapping[str, Any]) -> Row:
    """A stored record (as ``Store.find_record`` gives it) as its export row."""
    row = dict.fromkeys(rtype.headers, "")
    for name, field in field_names(rtype).items():
        row[field.header] = cell_text(record.get(name))
    if rtype.has_last_modified and record.get("last_modified") is not None:
        row[LAST_MODIFIED] = modified_text(record["last_modified"])
    return row


def modified_text(moment: dt.datetime | str) -> str:
    """A Last Modified as exports write it (``2026-11-23T10:15:30.123456Z``); text as given."""
    if isinstance(moment, str):
        return moment.strip()
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """The rows (their cells in the order of ``headers``) as a UTF-8 CSV, the file an edit or
    a fix runs; text a spreadsheet would run as a formula gets the apostrophe exports give it
    (the reader takes it off again)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["'" + cell if re.match(FORMULA_START, cell) else cell for cell in row])
    return buffer.getvalue().encode("utf-8")


# --- running -----------------------------------------------------------------------------------


def run_rows(
    store: Store,
    settings: Settings,
    rtype: RecordType,
    rows: list[Row],
    options: ImportOptions,
) -> BatchResult:
    """Submit ``rows`` as a batch of ``rtype`` and run it here and now; returns its
    ``BatchResult``."""
    cells = ([row.get(header, "") for header in rtype.headers] for row in rows)
    return run_content(store, settings, csv_bytes(rtype.headers, cells), options)


def run_content(
    store: Store,
    settings: Settings,
    content: bytes,
    options: ImportOptions,
    **recorded: Any,
) -> BatchResult:
    """Submit a file's bytes as a batch and run it here and now; ``recorded``: more columns
    of the batch (as ``submit`` takes them)."""

    def stream() -> io.BytesIO:
        source = io.BytesIO(content)
        source.name = options.display_name or "edit.csv"
        return source

    try:
        batch_id = submit(store, stream(), options, settings, run_here=True, **recorded)
    except StoreBusy as busy:
        return unrecorded_failure(stream(), options, busy)
    batch = store.batch(batch_id)
    assert batch is not None
    return run(store, batch, settings, None, stream)


def _options(
    rtype: RecordType, user: str, source: str, dry_run: bool, what: str, chosen: dict[str, Any]
) -> ImportOptions:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    return ImportOptions(
        record_type=rtype.name,
        file_type="csv",
        dry_run=dry_run,
        all_or_nothing=True,
        user=user,
        source=source,
        display_name=f"{source}-{rtype.name}-{what}.csv",
        **chosen,
    )


def _rtype(record_type: str) -> RecordType:
    try:
        return RECORD_TYPES[record_type]
    except KeyError:
        raise EditRefused(
            f"There is no record type {record_type!r}; choose one of {', '.join(RECORD_TYPES)}."
        ) from None


def _no_key_change(rtype: RecordType, cells: Row, record_id: Key | None) -> None:
    given = cells.get(rtype.key.header)
    if given and (record_id is None or given != str(record_id)):
        raise EditRefused(f"The {rtype.key.header} of a record cannot change.")


def _selected(
    store: Store, rtype: RecordType, ids: Sequence[Key] | None, where: RecordFilter | None
) -> list[dict[str, Any]]:
    if ids is None:
        _page, total = store.search_records(rtype, where or RecordFilter(), limit=1)
        records, _total = store.search_records(rtype, where or RecordFilter(), limit=max(total, 1))
        return records
    wanted = list(dict.fromkeys(ids))
    records = store.find_records(rtype, wanted)
    found = {str(record[_key_name(rtype)]) for record in records}
    missing = [str(key) for key in wanted if str(key) not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise RecordNotFound(f"There is no {rtype.label.lower()} {shown}: nothing was changed.")
    return records


def _key_name(rtype: RecordType) -> str:
    return next(iter(field_names(rtype)))
