"""Reading the run history: batches newest first, filtered and paged; one batch and its errors;
and the batch an earlier upload with the same upload id became.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select

from bulkpoc.errors import RowError
from bulkpoc.store import schema

# How long an upload id names its first batch: a client retrying within this time gets that
# batch back instead of a second one.
UPLOAD_ID_WINDOW = dt.timedelta(minutes=10)
# The first key of the PostgreSQL advisory locks that serialise uploads with the same id.
UPLOAD_LOCK_SPACE = 0x75706C64  # "upld"


class HistoryLookups:
    """The reading part of ``RunHistory``."""

    engine: Engine

    def history(
        self,
        status: str | None = None,
        limit: int | None = None,
        *,
        source: str | None = None,
        user: str | None = None,
        offset: int = 0,
    ) -> list[dict]:
        """Batches newest first, optionally only those with ``status``, ``source``, ``user``."""
        query = _filtered(select(schema.batches), status, source, user)
        query = query.order_by(schema.batches.c.id.desc()).offset(offset or None)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def count_history(
        self, status: str | None = None, *, source: str | None = None, user: str | None = None
    ) -> int:
        """How many batches ``history`` would list without a limit."""
        query = _filtered(select(func.count()).select_from(schema.batches), status, source, user)
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def batch(self, batch_id: int) -> dict | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(schema.batches).where(schema.batches.c.id == batch_id)
            ).first()
        return dict(row._mapping) if row else None

    def batch_errors(self, batch_id: int) -> list[RowError]:
        errors = schema.batch_errors
        query = (
            select(errors.c.row, errors.c.column, errors.c.value, errors.c.code, errors.c.message)
            .where(errors.c.batch_id == batch_id)
            .order_by(errors.c.id)
        )
        with self.engine.connect() as connection:
            return [RowError(*row) for row in connection.execute(query)]


def _filtered(
    query: Select[Any], status: str | None, source: str | None, user: str | None
) -> Select[Any]:
    batches = schema.batches
    for column, wanted in (
        (batches.c.status, status),
        (batches.c.source, source),
        (batches.c.user_name, user),
    ):
        if wanted:
            query = query.where(column == wanted)
    return query


def earlier_upload(
    connection: Connection, user_name: str, upload_id: str, now: dt.datetime
) -> int | None:
    """The batch ``user_name`` submitted with ``upload_id`` within the window, if any.

    Called first in the transaction that would record the new batch. It takes a lock first
    (SQLite: the write lock; PostgreSQL: an advisory lock on the user and id), so two requests
    with the same id, sent at once, make one batch.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(
            select(func.pg_advisory_xact_lock(UPLOAD_LOCK_SPACE, func.hashtext(upload_id)))
        )
    batches = schema.batches
    query = (
        select(batches.c.id)
        .where(
            batches.c.user_name == user_name,
            batches.c.submitted_at >= now - UPLOAD_ID_WINDOW,
            batches.c.options["upload_id"].as_string() == upload_id,
        )
        .order_by(batches.c.id)
        .limit(1)
    )
    return connection.scalar(query)
