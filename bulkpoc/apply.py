"""Apply: write the planned creates and updates inside the batch's transaction, in bulk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pandas as pd
from sqlalchemy import Connection, bindparam, insert, update

from bulkpoc.sheet import CREATE, UPDATE, Sheet

CHUNK = 5_000
Progress = Callable[[int, int], None]


def _records(frame: pd.DataFrame, columns: list[str], extra: dict) -> Iterator[list[dict]]:
    """Rows as plain-Python dicts, a chunk at a time (never a million dicts at once)."""
    for start in range(0, len(frame), CHUNK):
        chunk = frame.iloc[start : start + CHUNK][columns].astype(object)
        chunk = chunk.where(chunk.notna(), None)
        records = chunk.to_dict("records")
        for record in records:
            record.update(extra)
        yield records


def apply(
    sheet: Sheet, connection: Connection, now: dt.datetime, progress: Progress | None = None
) -> None:
    """Write every row planned as create or update; the caller owns the transaction."""
    rtype = sheet.rtype
    table = rtype.table
    key = rtype.key.name
    columns = rtype.db_columns
    updates = sheet.values[sheet.action == UPDATE]
    creates = rtype.assign(sheet.values[sheet.action == CREATE].copy())
    total, done = len(updates) + len(creates), 0

    # A record may take a key another record in this batch gives up; park changing keys on a
    # placeholder first so the unique indexes never see two holders mid-transaction.
    unique_columns = [
        c.name for c in table.columns if c.name.endswith("_key") and c.name in columns
    ]
    if unique_columns and len(updates):
        stored = sheet.stored.loc[updates.index]
        moving = pd.Series(False, index=updates.index)
        for column in unique_columns:
            moving |= updates[column].astype(object).ne(stored[column].astype(object))
        parked = updates[moving]
        if len(parked):
            statement = (
                update(table)
                .where(table.c[key] == bindparam("b_key"))
                .values({column: bindparam("b_key_text") for column in unique_columns})
            )
            params = [{"b_key": k, "b_key_text": f"\x00{k}"} for k in parked[key].astype(object)]
            connection.execute(statement, params)

    if len(updates):
        settable = [column for column in columns if column != key]
        statement = (
            update(table)
            .where(table.c[key] == bindparam("b_key"))
            .values({column: bindparam(column) for column in [*settable, "last_modified"]})
        )
        for records in _records(updates, [*settable, key], {"last_modified": now}):
            for record in records:
                record["b_key"] = record.pop(key)
            connection.execute(statement, records)
            done += len(records)
            if progress:
                progress(done, total)

    if len(creates):
        for records in _records(creates, columns, {"last_modified": now}):
            connection.execute(insert(table), records)
            done += len(records)
            if progress:
                progress(done, total)
