"""``changes.csv``: every line of a batch's changes (Row, ID, Name, Field, Before, After),
written for every batch that changed something, so it must cost little beside the batch.

The lines are those ``changes.lines`` gives, built a chunk of change rows at a time by Arrow,
a column at a time: a created record's cells split for the whole chunk in one call, turned
into ``Name: X; Skill: Y`` by joining columns; text a spreadsheet would run as a formula gets
an apostrophe, as in exports. Formatting each line in Python cost as much as the batch's own
writes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection

from bulkpoc.domain.changes import CREATED, NAMED, REMOVED, whole_record_headers
from bulkpoc.domain.rowhash import SEPARATOR
from bulkpoc.output.changes import (
    CHUNK,
    FILE_NAME,
    READ,
    WHOLE_RECORD,
    change_chunks,
    names_of,
    readable,
    values,
)

BOM = "\ufeff".encode()  # UTF-8 with a BOM, as the error file: Excel reads accents right
FORMULA = r"^[=+\-@\t\r']"  # formats.csv_format.FORMULA_START, anchored for Arrow
_TEXT = pa.string()


def write_changes_file(
    connection: Connection,
    batch_id: int,
    folder: Path,
    kept: KeptLines | None = None,
) -> Path | None:
    """Write ``changes.csv`` of the batch into ``folder``; None, and no file, when the batch
    changed nothing. Given ``kept``, the lines made as apply wrote the batch's change records,
    the file is those, rather than the change records read back from the store."""
    path = folder / FILE_NAME
    pieces = kept.pieces() if kept is not None else None
    with path.open("wb") as handle:
        if pieces is None:
            written = write(connection, batch_id, handle)
        else:
            handle.write(BOM)
            written = 0
            for piece, lines in pieces:
                handle.write(piece)
                written += lines
    if not written:
        path.unlink()
        return None
    return path


class KeptLines:
    """changes.csv made while apply writes the batch: each chunk of change rows, as apply hands
    it over, is turned into CSV on a worker thread while the store writes the next (Arrow's
    compute and CSV writer let go of the interpreter, so on a second core the file costs the
    batch little time). Up to ``limit`` change rows, about 60 MB of lines; past it nothing is
    kept (``pieces`` is None) and the file reads the change records from the store, in
    bounded memory, so a 1,000,000-row import stays under 1 GB at peak."""

    def __init__(self, limit: int = 200_000) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="changes-csv")
        self._made: list[Future[tuple[bytes, int]]] | None = []
        self.limit, self.rows = limit, 0

    def add(self, changes: pd.DataFrame) -> None:
        """Make the lines of ``changes`` (frames of ``domain.changes.COLUMNS``, updated rows
        with their names in ``NAMED``), in the order given."""
        if self._made is None or changes.empty:
            return
        self.rows += len(changes)
        if self.rows > self.limit:
            self.close()
            self._made = None
            return
        header = not self._made
        self._made.append(self._pool.submit(_frame_pieces, changes, header))

    def pieces(self) -> list[tuple[bytes, int]] | None:
        """The CSV of every change row added, each piece with its line count; None past the
        limit."""
        if self._made is None:
            return None
        return [future.result() for future in self._made]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> KeptLines:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def write(connection: Connection, batch_id: int, handle: BinaryIO) -> int:
    """Write the batch's changes as CSV to ``handle``, a chunk at a time; how many lines."""
    handle.write(BOM)
    written = 0
    for piece, lines in pieces(connection, batch_id, header=True):
        handle.write(piece)
        written += lines
    return written


def _frame_pieces(frame: pd.DataFrame, header: bool) -> tuple[bytes, int]:
    """Change rows held in memory as CSV, a chunk at a time (``header``: the first line
    too); the same bytes ``write`` gives for them. Updated records are named by ``NAMED``."""
    parts = []
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start : start + CHUNK]
        column = {name: _arrow(part[name]) for name in READ if name != "id"}
        column["field"] = _with_headers(column["field"], column["record_type"])
        names = _arrow(part[NAMED]) if NAMED in part else pa.nulls(len(part), _TEXT)
        parts.append(_csv(_table(column, names), header))
        header = False
    return b"".join(parts), len(frame)


def _arrow(series: pd.Series) -> pa.Array:
    return _flat(pa.array(series, from_pandas=True))


def _with_headers(field: pa.Array, record_type: pa.Array) -> pa.Array:
    """``field`` with a whole record's headers where its change row holds none, as the store
    fills them in (bulkpoc.store.changes.stored_field)."""
    field = pc.cast(field, _TEXT)
    if not field.null_count:
        return field
    for name in pc.unique(pc.filter(record_type, pc.is_null(field))).to_pylist():
        missing = pc.and_(pc.is_null(field), pc.equal(record_type, name))
        field = pc.if_else(missing, whole_record_headers(name), field)
    return _flat(field)


def pieces(
    connection: Connection, batch_id: int, header: bool = True, chunk: int = CHUNK
) -> Iterator[tuple[bytes, int]]:
    """The CSV bytes of each chunk of change rows (the first with the header), and its lines."""
    for rows in change_chunks(connection, batch_id, chunk):
        yield _csv(table(rows, names_of(connection, rows)), header), len(rows)
        header = False


def table(rows: Sequence[Sequence[Any]], names: Mapping[str, str]) -> pa.Table:
    """Change rows (tuples of the ``READ`` columns) as the columns of changes.csv."""
    column = dict(zip(READ, zip(*rows, strict=True), strict=True))
    return _table({name: pa.array(column[name]) for name in READ if name != "id"}, names)


def _table(column: Mapping[str, pa.Array], names: Mapping[str, str] | pa.Array) -> pa.Table:
    """Change rows' columns (``READ`` but the id) as the columns of changes.csv, each
    updated record named by ``names`` (key to name, or each row's name)."""
    action = pc.cast(column["action"], _TEXT)
    key = pc.cast(column["record_key"], _TEXT)
    created, removed = pc.equal(action, CREATED), pc.equal(action, REMOVED)
    if isinstance(names, pa.Array):
        name = pc.cast(names, _TEXT)
    elif names:
        known = pa.array(list(names.values()), _TEXT)
        name = pc.take(known, pc.index_in(key, value_set=pa.array(list(names), _TEXT)))
    else:
        name = pa.nulls(len(key), _TEXT)
    before = pc.cast(column["before"], _TEXT)
    after = pc.cast(column["after"], _TEXT)
    for mask, whole in ((created, after), (removed, before)):
        if not pc.any(mask).as_py():
            continue
        fields = pc.filter(pc.cast(column["field"], _TEXT), mask)
        texts, own_names = _readable(fields, pc.filter(whole, mask))
        shown = pc.replace_with_mask(whole, mask, texts)
        if whole is after:
            after = shown
        else:
            before = shown
        name = pc.if_else(pc.and_(mask, pc.is_null(name)), _scatter(mask, own_names), name)
    number = pc.equal(pc.cast(column["record_type"], _TEXT), "number")
    name = pc.coalesce(name, pc.if_else(number, key, pa.scalar(None, _TEXT)), "")
    field = pc.if_else(
        created,
        WHOLE_RECORD[CREATED],
        pc.if_else(removed, WHOLE_RECORD[REMOVED], pc.cast(column["field"], _TEXT)),
    )
    return pa.table(
        {
            "Row": pc.cast(column["row"], pa.int64()),
            "ID": _safe(pc.fill_null(key, "")),
            "Name": _safe(name),
            "Field": pc.fill_null(field, ""),
            "Before": _safe(pc.fill_null(before, "")),
            "After": _safe(pc.fill_null(after, "")),
        }
    )


def _scatter(mask: pa.Array, values: pa.Array) -> pa.Array:
    """``values`` at the positions ``mask`` holds, null elsewhere."""
    empty = pa.nulls(len(mask), _TEXT)
    return pc.replace_with_mask(empty, mask, values)


def _readable(fields: pa.Array, texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Whole records' values (``texts``, their cells for the headers ``fields`` names, as
    ``record_values`` reads them) as ``Name: X; Skill: Y``, blanks left out; and their names.
    A column at a time for each set of headers (a batch has one)."""
    shown, own = pa.nulls(len(texts), _TEXT), pa.nulls(len(texts), _TEXT)
    for headers_text in pc.unique(fields).to_pylist():
        mask = pc.fill_null(pc.equal(fields, headers_text), False)
        some = pc.fill_null(pc.filter(texts, mask), "")
        text, names = _joined((headers_text or "").split(SEPARATOR), some)
        shown = pc.replace_with_mask(shown, mask, text)
        own = pc.replace_with_mask(own, mask, names)
    return shown, own


def _joined(headers: list[str], texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    cells = pc.split_pattern(texts, SEPARATOR)
    if not pc.all(pc.equal(pc.list_value_length(cells), len(headers))).as_py():
        # Not one cell per header: a record at a time, as ``changes.lines`` does.
        every = [(text, values(SEPARATOR.join(headers), text)) for text in texts.to_pylist()]
        return (
            pa.array([readable(cells, text) for text, cells in every], _TEXT),
            pa.array([cells.get("Name") if cells else None for _text, cells in every], _TEXT),
        )
    parts = []
    for position, header in enumerate(headers):
        cell = pc.list_element(cells, position)
        cell = pc.if_else(pc.equal(cell, ""), pa.scalar(None, _TEXT), cell)
        parts.append(pc.binary_join_element_wise(header + ": ", cell, ""))
    joined = pc.fill_null(pc.binary_join_element_wise(*parts, "; ", null_handling="skip"), "")
    names = (
        pc.list_element(cells, headers.index("Name"))
        if "Name" in headers
        else pa.nulls(len(texts), _TEXT)
    )
    return _flat(joined), _flat(names)


def _flat(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _safe(text: pa.Array) -> pa.Array:
    """Text a spreadsheet would run as a formula gets an apostrophe."""
    text = _flat(text)
    risky = pc.match_substring_regex(text, FORMULA)
    if not pc.any(risky).as_py():
        return text
    return pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)


def _csv(lines: pa.Table, header: bool) -> bytes:
    sink = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=header, eol="\r\n", quoting_style="needed")
    pa_csv.write_csv(lines, sink, options)
    return sink.getvalue()
