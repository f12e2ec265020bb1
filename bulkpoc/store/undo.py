"""What an undo reads and records: the undone batch, its change records, and the link between
the two batches, which the database keeps unique (a batch is undone once)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, exists, select

from bulkpoc.store import schema
from bulkpoc.store.changes import change_columns

CHANGE_COLUMNS = ["record_key", "action", "field", "before", "after"]


def batch(connection: Connection, batch_id: int) -> dict[str, Any] | None:
    """The batch's row of the run history, or None."""
    row = connection.execute(select(schema.batches).where(schema.batches.c.id == batch_id)).first()
    return dict(row._mapping) if row is not None else None


def reverted_by(connection: Connection, batch_id: int) -> int | None:
    """The undo that took ``batch_id`` back, if one did."""
    batches = schema.batches
    return connection.scalar(select(batches.c.id).where(batches.c.reverts == batch_id))


def has_changes(connection: Connection, batch_id: int) -> bool:
    changes = schema.changes
    return bool(connection.scalar(select(exists().where(changes.c.batch_id == batch_id))))


def changes(connection: Connection, batch_id: int) -> pd.DataFrame:
    """Every change record of the batch, in the order it wrote them."""
    table = schema.changes
    query = (
        select(*change_columns(tuple(CHANGE_COLUMNS)))
        .where(table.c.batch_id == batch_id)
        .order_by(table.c.id)
    )
    return pd.DataFrame(connection.execute(query).all(), columns=CHANGE_COLUMNS, dtype=object)


def mark_reverted(connection: Connection, undo_id: int, batch_id: int) -> None:
    """Record that ``undo_id`` took ``batch_id`` back; a second undo of it breaks the unique
    constraint on ``batches.reverts``, so the database refuses it whatever raced."""
    batches = schema.batches
    connection.execute(batches.update().where(batches.c.id == undo_id).values(reverts=batch_id))
