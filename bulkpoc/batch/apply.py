"""Apply: write the planned creates and updates inside the batch's transaction, in bulk.

Rows go to the store a chunk at a time, each hashed just before it is written (plain tuples
through ``executemany`` on SQLite, CSV through ``COPY`` on PostgreSQL, written while the next
chunk is made: see bulkpoc.store.bulk): building a dict per row and letting SQLAlchemy process
each parameter set cost more than the write itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table

from bulkpoc.batch.plan import same
from bulkpoc.batch.progress import Progress, no_progress
from bulkpoc.domain import changes, rowhash
from bulkpoc.domain.actions import CREATE, REMOVE, UPDATE
from bulkpoc.domain.changes import ChangeSummary, Tally
from bulkpoc.domain.records.as_text import records_as_text
from bulkpoc.domain.records.base import Sheet
from bulkpoc.output.changes_csv import KeptLines
from bulkpoc.store import bulk, record_tables, row_hashes, schema
from bulkpoc.store.record_tables import unique_keys

CHUNK = 20_000  # rows per executemany or COPY chunk: few calls, bounded memory
NAME = "Name"  # the header of a named record type's name
Chunk = tuple[pd.DataFrame, pd.DataFrame]  # rows to write, and their change records


class Writing(NamedTuple):
    """What a write needs beside the rows: the batch whose change records it adds, the
    tally of them, and (when given) the changes.csv lines made of them as they are written."""

    batch_id: int
    tally: Tally
    kept: KeptLines | None = None


def _note(writing: Writing, changes: pd.DataFrame) -> None:
    writing.tally.add(changes)
    if writing.kept is not None:
        writing.kept.add(changes)


def _chunks(
    sheet: Sheet,
    records: pd.DataFrame,
    columns: list[str],
    stamp: object,
    now: dt.datetime,
    writing: Writing,
    key: str | None = None,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """``records``' ``columns`` with their row hashes, then Last Modified (``stamp``), then
    ``key`` when given, a chunk at a time, each with its change records: the store writes a
    chunk while the next is made."""
    rtype, refs = sheet.rtype, sheet.snapshot.refs
    for start in range(0, len(records), CHUNK):
        chunk = records.iloc[start : start + CHUNK]
        exported = rowhash.exported(rtype, refs, chunk, now)
        # As an object column, so the driver gets ``stamp`` itself, not a pandas Timestamp.
        rows = chunk.assign(row_hash=exported.hashes)[columns].assign(
            last_modified=pd.Series(stamp, chunk.index, dtype=object)
        )
        if key is not None:
            rows[key] = chunk[key]
        changes = _changes(sheet, chunk, exported, writing.batch_id)
        _note(writing, changes)
        yield rows, changes


def _changes(
    sheet: Sheet, chunk: pd.DataFrame, exported: rowhash.Exported, batch_id: int
) -> pd.DataFrame:
    """The change records of a chunk of rows that all create, or all update, records."""
    rtype, key = sheet.rtype, sheet.rtype.key.name
    rows = sheet.rows.loc[chunk.index]
    keys = chunk[key] if chunk[key].notna().all() else None  # a dry run's new IDs are unknown
    if not sheet.is_update[chunk.index[0]]:
        return changes.created_rows(batch_id, rtype.name, rows, keys, exported.joined)
    changed = sheet.changed.loc[chunk.index]
    changed = changed.loc[:, changed.any().to_numpy()]
    names = list(changed.columns)
    fields = {name: rtype.field(name).header for name in names}
    before = records_as_text(
        rtype,
        sheet.snapshot.refs,
        sheet.stored.loc[chunk.index],
        with_timestamps=False,
        with_key=False,
        only=names,
    )
    return changes.updated_rows(
        batch_id,
        rtype.name,
        rows,
        chunk[key],
        changed.rename(columns=fields),
        before,
        exported.text[list(fields.values())],
        exported.text.get(NAME),
    )


def _rows(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """The rows of ``frame`` in ``mask``, a frame of their own; when that is every row (a
    first import), a shallow copy, which copies a column only if it is written to."""
    return frame.copy(deep=False) if mask.all() else frame[mask]


def _timestamp(connection: Connection, table: Table, now: dt.datetime) -> object:
    """``now`` as the dialect stores it (SQLite keeps a fixed-format string), converted once
    here rather than by the driver for every row."""
    dialect = connection.dialect
    processor = table.c.last_modified.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(now) if processor else now


def apply(
    sheet: Sheet,
    connection: Connection,
    now: dt.datetime,
    batch_id: int,
    progress: Progress = no_progress,
    dry_run: bool = False,
    kept: KeptLines | None = None,
) -> ChangeSummary:
    """Write every row planned as create or update, and the batch's change records; the
    caller owns the transaction. A ``dry_run`` writes only the change records: what the batch
    would do. Either way, the summary of the changes (and the change records in ``kept``)."""
    rtype = sheet.rtype
    table, key, columns = record_tables.table(rtype), rtype.key.name, record_tables.columns(rtype)
    updates = _rows(sheet.values, sheet.action == UPDATE)
    creates = rtype.assign(_rows(sheet.values, sheet.action == CREATE))
    if rtype.system_key and len(creates) and not dry_run:
        creates[key] = _new_ids(sheet, creates, connection)
        columns = [key, *columns]
    writing = Writing(batch_id, Tally(), kept)
    side = bulk.Side(schema.changes, changes.COLUMNS)
    removing = sheet.action == REMOVE
    total, done = len(updates) + len(creates) + int(removing.sum()), 0
    stamp = _timestamp(connection, table, now)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress("apply", done, total)

    def reported(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        for chunk in chunks:
            yield chunk
            advance(len(chunk[0]))

    if removing.any():
        _remove(sheet, removing, connection, writing, dry_run, advance)

    if dry_run:
        for chunks in (
            _chunks(sheet, updates, columns, stamp, now, writing, key),
            _chunks(sheet, creates, columns, stamp, now, writing),
        ):
            side_rows = (changed[side.columns] for _, changed in chunks)
            bulk.insert(connection, side.table, side.columns, side_rows)
        return writing.tally.summary()

    if len(updates):
        _park_moving_keys(sheet, updates, connection)
        settable = [column for column in columns if column != key]
        rows = _chunks(sheet, updates, settable, stamp, now, writing, key)
        bulk.update(connection, table, key, [*settable, "last_modified"], reported(rows), side)

    if len(creates):
        rows = _chunks(sheet, creates, columns, stamp, now, writing)
        bulk.insert(connection, table, [*columns, "last_modified"], reported(rows), side)
    refresh_renamed(sheet, updates, connection)
    return writing.tally.summary()


def planned_changes(sheet: Sheet, now: dt.datetime) -> pd.DataFrame:
    """The change records a dry run of ``sheet`` would write (row, action, field, before,
    after), without writing anything: what a batch applying a dry run compares with it. A
    created record's values are left out (``before``/``after`` null): they come from the
    file, except what the store assigns anew each time (an ID, Last Modified)."""
    rtype = sheet.rtype
    key, columns = rtype.key.name, record_tables.columns(rtype)
    updates = _rows(sheet.values, sheet.action == UPDATE)
    creates = _rows(sheet.values, sheet.action == CREATE)
    writing = Writing(0, Tally())
    wanted = ["row", "action", "field", "before", "after"]
    frames = [
        changed[wanted] for _, changed in _chunks(sheet, updates, columns, None, now, writing, key)
    ]
    if len(creates):
        frames.append(
            pd.DataFrame(
                {
                    "row": sheet.rows.loc[creates.index].to_numpy(),
                    "action": changes.CREATED,
                    "field": None,
                    "before": None,
                    "after": None,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=wanted)


# --- an undo's removals and re-creations ------------------------------------------------------


def _remove(
    sheet: Sheet,
    removing: pd.Series,
    connection: Connection,
    writing: Writing,
    dry_run: bool,
    advance: Callable[[int], None],
) -> None:
    """Delete the records an undo removes (those the batch it undoes created), a chunk at a
    time, before the updates, which may take their unique keys; each keeps a change record of
    every value it had, from which undoing the undo re-creates it. The plan made sure nothing
    refers to them."""
    rtype, key = sheet.rtype, sheet.rtype.key.name
    table, headers = record_tables.table(rtype), rowhash.hashed_headers(rtype)
    rows = sheet.rows[removing]
    stored = sheet.snapshot.records(pd.Index(sheet.values.loc[removing, key]))
    for start in range(0, len(rows), CHUNK):
        chunk = rows.iloc[start : start + CHUNK]
        keys = sheet.values.loc[chunk.index, key]
        records = stored.loc[keys.to_numpy()]
        text = records_as_text(rtype, sheet.snapshot.refs, records, with_key=False)
        removed = changes.removed_rows(
            writing.batch_id,
            rtype.name,
            chunk,
            keys.astype(str),
            rowhash.join_text([text[header] for header in headers]),
        )
        _note(writing, removed)
        bulk.insert(connection, schema.changes, changes.COLUMNS, [removed])
        if not dry_run:
            bulk.delete(connection, table, key, keys.astype(object).tolist())
            advance(len(chunk))


def _new_ids(sheet: Sheet, creates: pd.DataFrame, connection: Connection) -> np.ndarray:
    """The IDs of the records a batch creates: new ones, except for the records an undo
    re-creates, which get back the ID they had while no record holds it (none is handed out
    twice, so only another undo of the same removal could have taken it)."""
    wanted = (
        sheet.restoring[creates.index]
        if sheet.restoring is not None
        else pd.Series(np.nan, index=creates.index)
    )
    free = (wanted.notna() & ~wanted.isin(sheet.snapshot.existing.index)).to_numpy()
    ids = np.zeros(len(creates), dtype=np.int64)
    ids[free] = wanted[free].astype(np.int64).to_numpy()
    ids[~free] = record_tables.reserve_ids(connection, sheet.rtype, int((~free).sum()))
    return ids


# --- row hashes (bulkpoc.domain.rowhash): kept right by every write -------------------------


def refresh_renamed(sheet: Sheet, updates: pd.DataFrame, connection: Connection) -> None:
    """A renamed skill, script or chat profile changes the exported rows that name it."""
    if not len(updates) or not rowhash.naming(sheet.rtype):
        return
    renamed = updates.loc[sheet.changed.loc[updates.index, "name"].to_numpy(), sheet.rtype.key.name]
    row_hashes.refresh_renamed(connection, sheet.rtype, [int(key) for key in renamed])


def _park_moving_keys(sheet: Sheet, updates: pd.DataFrame, connection: Connection) -> None:
    """Give records whose unique keys change a placeholder key first.

    A record may take a key that another record of the same batch gives up; without this, the
    unique indexes would briefly see two holders in the middle of the transaction. The
    placeholder starts with a control character, which validation never lets into a key (and
    which, unlike NUL, PostgreSQL accepts).
    """
    rtype = sheet.rtype
    table, key, unique = record_tables.table(rtype), rtype.key.name, unique_keys(rtype)
    if not unique:
        return
    stored = sheet.stored.loc[updates.index]
    moving = pd.Series(False, index=updates.index)
    for unique_key in unique:
        moving |= ~same(unique_key.values(updates), unique_key.values(stored))
    keys = updates.loc[moving, key].astype(object).tolist()  # an update's key is never missing
    if not keys:
        return
    columns = [unique_key.column for unique_key in unique]
    rows = [(*[f"\x01moving:{k}"] * len(columns), k) for k in keys]
    bulk.update(connection, table, key, columns, [rows])
