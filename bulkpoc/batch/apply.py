"""Apply: write the planned creates and updates inside the batch's transaction, in bulk.

Rows go to the store a chunk at a time, each hashed just before it is written (plain tuples
through ``executemany`` on SQLite, CSV through ``COPY`` on PostgreSQL, written while the next
chunk is made: see bulkpoc.store.bulk): building a dict per row and letting SQLAlchemy process
each parameter set cost more than the write itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
from sqlalchemy import Connection, Table

from bulkpoc.batch.plan import same
from bulkpoc.batch.progress import Progress, no_progress
from bulkpoc.domain import rowhash
from bulkpoc.domain.actions import CREATE, REMOVE, UPDATE
from bulkpoc.domain.records.base import Sheet
from bulkpoc.store import bulk, record_tables, row_hashes
from bulkpoc.store.record_tables import unique_keys

CHUNK = 20_000  # rows per executemany or COPY chunk: few calls, bounded memory


def _chunks(
    sheet: Sheet,
    records: pd.DataFrame,
    columns: list[str],
    stamp: object,
    now: dt.datetime,
    key: str | None = None,
) -> Iterator[pd.DataFrame]:
    """``records``' ``columns`` with their row hashes, then Last Modified (``stamp``), then
    ``key`` when given, a chunk at a time: the store writes a chunk while the next is hashed."""
    for start in range(0, len(records), CHUNK):
        chunk = rowhash.with_row_hashes(
            sheet.rtype, sheet.snapshot.refs, records.iloc[start : start + CHUNK], now
        )
        # As an object column, so the driver gets ``stamp`` itself, not a pandas Timestamp.
        rows = chunk[columns].assign(last_modified=pd.Series(stamp, chunk.index, dtype=object))
        if key is not None:
            rows[key] = chunk[key]
        yield rows


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
    sheet: Sheet, connection: Connection, now: dt.datetime, progress: Progress = no_progress
) -> None:
    """Write every row planned as create or update; the caller owns the transaction."""
    rtype = sheet.rtype
    table, key, columns = record_tables.table(rtype), rtype.key.name, record_tables.columns(rtype)
    updates = _rows(sheet.values, sheet.action == UPDATE)
    creates = rtype.assign(_rows(sheet.values, sheet.action == CREATE))
    creates, restored = _restored(sheet, creates)
    total, done = len(updates) + len(creates) + len(restored), 0
    stamp = _timestamp(connection, table, now)

    def reported(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        nonlocal done
        for rows in chunks:
            yield rows
            done += len(rows)
            progress("apply", done, total)

    _remove(sheet, connection)
    if len(updates):
        _park_moving_keys(sheet, updates, connection)
        settable = [column for column in columns if column != key]
        rows = _chunks(sheet, updates, settable, stamp, now, key)
        bulk.update(connection, table, key, [*settable, "last_modified"], reported(rows))

    if len(creates):
        rows = _chunks(sheet, creates, columns, stamp, now)
        bulk.insert(connection, table, [*columns, "last_modified"], reported(rows))
    if len(restored) and sheet.restoring is not None:
        restored[key] = sheet.restoring[restored.index].astype(int)
        rows = _chunks(sheet, restored, [key, *columns], stamp, now)
        bulk.insert(connection, table, [key, *columns, "last_modified"], reported(rows))
    refresh_renamed(sheet, updates, connection)


def _remove(sheet: Sheet, connection: Connection) -> None:
    """Delete the records an undo removes (those the batch it undoes created); the plan made
    sure nothing refers to them, and they give up their unique keys before the updates."""
    removing = sheet.action == REMOVE
    if not removing.any():
        return
    keys = sheet.values.loc[removing, sheet.rtype.key.name].astype(object).tolist()
    table = record_tables.table(sheet.rtype)
    bulk.delete(connection, table, sheet.rtype.key.name, keys)


def _restored(sheet: Sheet, creates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Creates as (new records, records an undo re-creates with the key they had): a key no
    record holds now is given back; a taken one is not, and that record gets a new key."""
    if sheet.restoring is None or not sheet.rtype.system_key or not len(creates):
        return creates, creates.iloc[:0]
    wanted = sheet.restoring[creates.index]
    free = wanted.notna() & ~wanted.isin(sheet.snapshot.existing.index)
    free &= ~wanted.duplicated(keep="first")
    return creates[~free.to_numpy()], creates[free.to_numpy()].copy()


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
