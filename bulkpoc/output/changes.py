"""A batch's changes as lines a person reads: the first lines the HTML report, the email and
the web page show, and (``changes_csv``) every line in ``changes.csv``.

Every line comes from the store's change rows, read a chunk at a time in the order they were
written (by id, never by offset), so a million changes take the memory of one chunk. An
updated record gives one line per changed field; a created record one line, Field
``(created)``, its values in After as ``Name: X; Skill: Y``; a removed record the same with
``(removed)`` and Before.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from bulkpoc.domain.changes import CREATED, REMOVED, record_values
from bulkpoc.store import schema
from bulkpoc.store.changes import change_columns
from bulkpoc.store.record_tables import TABLES

HEADERS = ["Row", "ID", "Name", "Field", "Before", "After"]
FILE_NAME = "changes.csv"
CHUNK = 10_000  # change rows read at a time: bounded memory whatever the batch's size
FIRST_LINES = 20  # what the report and the email show before pointing at the file
WHOLE_RECORD = {CREATED: "(created)", REMOVED: "(removed)"}


class ChangeLine(NamedTuple):
    """One line of changes.csv: one field of one record, or a whole created/removed record."""

    row: int | None
    record_type: str
    key: str | None
    name: str
    action: str
    field: str  # the column's header, or "(created)" / "(removed)"
    before: str
    after: str

    def cells(self) -> list[str]:
        row = "" if self.row is None else str(self.row)
        return [row, self.key or "", self.name, self.field, self.before, self.after]


# The change rows' columns, in the order ``lines`` takes them.
READ = ("id", "row", "record_type", "record_key", "action", "field", "before", "after")


def values(field: str | None, text: str | None) -> dict[str, str] | None:
    """A created or removed record's values, header to cell text; None if the change row
    does not hold them as ``record_values`` reads them."""
    try:
        return record_values(field or "", text or "")
    except ValueError:
        return None


def readable(cells: dict[str, str] | None, text: str) -> str:
    """A created or removed record's values as ``Name: X; Skill: Y``, blanks left out (or
    ``text`` as it is, when the values cannot be read)."""
    if cells is None:
        return text
    return "; ".join([header + ": " + cell for header, cell in cells.items() if cell])


def lines(changes: Sequence[Sequence[Any]], names: Mapping[str, str]) -> list[ChangeLine]:
    """Change rows (tuples of the ``READ`` columns) as lines, each record named by ``names``
    (key to name) or by its own values."""
    shown = []
    for _id, row, record_type, key, action, field, before, after in changes:
        name = names.get(key, "") if key is not None else ""
        if action in WHOLE_RECORD:
            cells = values(field, after if action == CREATED else before)
            if not name and cells is not None:
                name = cells.get("Name", "")
            if action == CREATED:
                after = readable(cells, after or "")
            else:
                before = readable(cells, before or "")
            field = WHOLE_RECORD[action]
        if not name and record_type == "number" and key:
            name = key  # a number is its own name
        shown.append(
            ChangeLine(row, record_type, key, name, action, field or "", before or "", after or "")
        )
    return shown


def names_of(connection: Connection, changes: Sequence[Sequence[Any]]) -> dict[str, str]:
    """The current names of the records ``changes`` updated, by key: one query per type (a
    created or removed record is named by its own values)."""
    wanted: dict[str, set[str]] = {}
    for change in changes:
        key = change[3]
        if key is not None and change[4] not in WHOLE_RECORD:
            wanted.setdefault(change[2], set()).add(key)
    names: dict[str, str] = {}
    for record_type, keys in wanted.items():
        table = TABLES.get(record_type)
        if table is None or "name" not in table.c:
            continue  # a number is its own name
        ids = [int(key) for key in keys if key.isdigit()]
        query = select(table.c.id, table.c.name).where(table.c.id.in_(ids))
        names.update({str(row.id): row.name for row in connection.execute(query)})
    return names


def named_lines(connection: Connection, changes: Sequence[Mapping[str, Any]]) -> list[ChangeLine]:
    """Change rows as the store's queries give them (dicts), as lines, the updated records
    named as they are in the store."""
    rows = [tuple(change.get(column) for column in READ) for change in changes]
    return lines(rows, names_of(connection, rows))


def change_chunks(
    connection: Connection, batch_id: int, chunk: int = CHUNK
) -> Iterator[Sequence[Sequence[Any]]]:
    """The batch's change rows (tuples of the ``READ`` columns) in the order they were
    written, ``chunk`` at a time, keyed on the id (each chunk is one range of the index)."""
    changes = schema.changes
    columns = change_columns(READ)
    last = 0
    # The driver's own cursor, in the connection's transaction: plain tuples, without the
    # rows SQLAlchemy wraps them in, which cost a third of the file's time. The query's
    # values (whole numbers, and the record types' headers) are written into it.
    cursor = connection.connection.cursor()
    try:
        while True:
            query = (
                select(*columns)
                .where(changes.c.batch_id == int(batch_id), changes.c.id > int(last))
                .order_by(changes.c.id)
                .limit(int(chunk))
            )
            compiled = query.compile(
                dialect=connection.dialect, compile_kwargs={"literal_binds": True}
            )
            cursor.execute(str(compiled))
            rows = cursor.fetchall()
            if rows:
                yield rows
            if len(rows) < chunk:
                return
            last = rows[-1][0]
    finally:
        cursor.close()


def change_lines(connection: Connection, batch_id: int, chunk: int = CHUNK) -> Iterator[ChangeLine]:
    """Every line of the batch's changes, in the order they were written."""
    for rows in change_chunks(connection, batch_id, chunk):
        yield from lines(rows, names_of(connection, rows))


def first_lines(
    connection: Connection, batch_id: int, limit: int = FIRST_LINES
) -> list[ChangeLine]:
    """The first ``limit`` lines, for the report and the email to show."""
    return list(islice(change_lines(connection, batch_id, chunk=limit), limit))


# --- the email's attachment -----------------------------------------------------------------


def size_text(size: int) -> str:
    """``2.4 MB``, ``830 KB``: what a person reads of a file's size."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


def attachment(path: Path, limit: int, batch_id: int | None) -> tuple[Path | None, str | None]:
    """What the results email attaches of ``changes.csv``: the file itself when at most
    ``limit`` bytes, else the file compressed as ``changes.zip`` beside it when that fits;
    otherwise nothing, and a sentence that says where to read the changes instead."""
    if not path.exists():
        return None, None
    size = path.stat().st_size
    if size <= limit:
        return path, None
    packed = path.with_suffix(".zip")
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(path, arcname=path.name)
    if packed.stat().st_size <= limit:
        return packed, f"{path.name} ({size_text(size)}) is attached compressed, as {packed.name}."
    packed.unlink()
    page = f" (/batches/{batch_id}?tab=changes)" if batch_id is not None else ""
    return None, (
        f"{path.name} ({size_text(size)}) is too large to attach, even compressed: see the "
        f"Changes tab of the batch's page in the web UI{page}, or {path} on the server."
    )
