"""Reading the run history a page at a time: batches by filter, one batch, its errors counted
by kind and cut into pages, and the batch an earlier upload with the same upload id became.

Everything a page shows of a large history or a batch with 200,000 row errors is filtered,
counted and cut into pages here, in SQL, so a page costs the same whatever the size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, false, func, select

from bulkpoc.domain.errors.types import RowError
from bulkpoc.store import schema

# How long an upload id names its first batch: a client retrying within this time gets that
# batch back instead of a second one.
UPLOAD_ID_WINDOW = dt.timedelta(minutes=10)
# The first key of the PostgreSQL advisory locks that serialise uploads with the same id.
UPLOAD_LOCK_SPACE = 0x75706C64  # "upld"


@dataclass(frozen=True)
class ErrorCounts:
    """How many failed rows each column, each error code and each pair of them accounts for."""

    by_column: list[tuple[str, int]]
    by_code: list[tuple[str, int]]
    by_kind: list[tuple[str, str, int]]  # (column, code, rows), the most frequent first


@dataclass(frozen=True)
class FailedRow:
    """A failed row's spreadsheet number and its place among the batch's failed rows,
    which is its place in the error file."""

    row: int
    position: int


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
        schedule: str | None = None,
        offset: int = 0,
    ) -> list[dict]:
        """Batches newest first, optionally only those with ``status``, ``source``, ``user``,
        or of the schedule called ``schedule``."""
        query = _filtered(select(schema.batches), status, source, user, schedule)
        query = query.order_by(schema.batches.c.id.desc()).offset(offset or None)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def count_history(
        self,
        status: str | None = None,
        *,
        source: str | None = None,
        user: str | None = None,
        schedule: str | None = None,
    ) -> int:
        """How many batches ``history`` would list without a limit."""
        counted = select(func.count()).select_from(schema.batches)
        query = _filtered(counted, status, source, user, schedule)
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def history_page(
        self,
        status: str | None = None,
        source: str | None = None,
        user: str | None = None,
        offset: int = 0,
        limit: int = 50,
        schedule: str | None = None,
    ) -> tuple[list[dict], int]:
        """One page of batches, newest first, and how many match the filters in all."""
        wanted = {"source": source, "user": user, "schedule": schedule}
        rows = self.history(status, limit, offset=offset, **wanted)
        return rows, self.count_history(status, **wanted)

    def batch(self, batch_id: int) -> dict | None:
        """The batch's row; None for an id no batch can have (not an error from the driver)."""
        if not 0 < batch_id <= schema.MAX_ID:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                select(schema.batches).where(schema.batches.c.id == batch_id)
            ).first()
        return dict(row._mapping) if row else None

    def uploaded_batch(self, user_name: str, upload_id: str) -> int | None:
        """The batch ``user_name``'s upload with ``upload_id`` became, once it is recorded."""
        with self.engine.connect() as connection:
            return connection.scalar(_upload_query(user_name, upload_id))

    def inbox_batch(self, inbox_path: str) -> int | None:
        """The batch the inbox file claimed as ``inbox_path`` became, once it is recorded."""
        query = select(schema.batches.c.id).where(schema.batches.c.inbox_path == inbox_path)
        with self.engine.connect() as connection:
            return connection.scalar(query.limit(1))

    def batch_errors(self, batch_id: int) -> list[RowError]:
        errors = schema.batch_errors
        query = (
            select(errors.c.row, errors.c.column, errors.c.value, errors.c.code, errors.c.message)
            .where(errors.c.batch_id == batch_id)
            .order_by(errors.c.id)
        )
        with self.engine.connect() as connection:
            return [RowError(*row) for row in connection.execute(query)]

    def history_counts(self, column: str) -> list[tuple[str, int]]:
        """Each value of the batches' ``column`` (status, source, user_name) and its batches."""
        counted = schema.batches.c[column]
        query = select(counted, func.count()).group_by(counted).order_by(counted)
        with self.engine.connect() as connection:
            return [(value, count) for value, count in connection.execute(query)]

    # --- a batch's row errors ----------------------------------------------------------------

    def error_counts(self, batch_id: int) -> ErrorCounts:
        """Failed rows per column, per code and per (column, code): "312 rows: Skill unknown"."""
        errors = schema.batch_errors
        rows = func.count(errors.c.row.distinct())

        def grouped(*keys: ColumnElement) -> list:
            query = (
                select(*keys, rows)
                .where(errors.c.batch_id == batch_id)
                .group_by(*keys)
                .order_by(rows.desc(), *keys)
            )
            with self.engine.connect() as connection:
                return [tuple(row) for row in connection.execute(query)]

        return ErrorCounts(
            by_column=grouped(errors.c.column),
            by_code=grouped(errors.c.code),
            by_kind=grouped(errors.c.column, errors.c.code),
        )

    def failed_rows(
        self,
        batch_id: int,
        column: str | None = None,
        code: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[FailedRow], int]:
        """One page of the failed rows with an error in ``column`` and of ``code`` (either
        optional), in row order, and how many rows match in all."""
        errors = schema.batch_errors
        of_batch = errors.c.batch_id == batch_id
        chosen = [
            *([errors.c.column == column] if column is not None else []),
            *([errors.c.code == code] if code is not None else []),
        ]
        matching = select(errors.c.row).where(of_batch, *chosen).distinct()
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(matching.subquery()))
            rows = list(
                connection.scalars(matching.order_by(errors.c.row).offset(offset).limit(limit))
            )
            positions: Sequence[int] = range(offset, offset + len(rows))
            if chosen and rows:
                # A row's place among every failed row: those before the page, then those
                # within its span (a range of the batch-and-row index, not the whole batch).
                before = connection.scalar(
                    select(func.count(errors.c.row.distinct())).where(
                        of_batch, errors.c.row < rows[0]
                    )
                )
                span = connection.scalars(
                    select(errors.c.row)
                    .where(of_batch, errors.c.row.between(rows[0], rows[-1]))
                    .distinct()
                    .order_by(errors.c.row)
                )
                place = {row: int(before or 0) + i for i, row in enumerate(span)}
                positions = [place[row] for row in rows]
        page = [FailedRow(row, at) for row, at in zip(rows, positions, strict=True)]
        return page, int(total or 0)

    def errors_in_rows(self, batch_id: int, rows: Iterable[int]) -> list[RowError]:
        """Every error of the given rows, in the order the batch found them."""
        errors = schema.batch_errors
        query = (
            select(errors.c.row, errors.c.column, errors.c.value, errors.c.code, errors.c.message)
            .where(errors.c.batch_id == batch_id, errors.c.row.in_(list(rows)))
            .order_by(errors.c.id)
        )
        with self.engine.connect() as connection:
            return [RowError(*row) for row in connection.execute(query)]


def _filtered(
    query: Select[Any],
    status: str | None,
    source: str | None,
    user: str | None,
    schedule: str | None = None,
) -> Select[Any]:
    batches = schema.batches
    for column, wanted in (
        (batches.c.status, status),
        (batches.c.source, source),
        (batches.c.user_name, user),
        (batches.c.schedule_name, schedule),
    ):
        if wanted and "\x00" in wanted:
            # No batch has such a value, and PostgreSQL refuses NUL in text: match nothing.
            query = query.where(false())
        elif wanted:
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
    since = now - UPLOAD_ID_WINDOW
    query = _upload_query(user_name, upload_id).where(schema.batches.c.submitted_at >= since)
    return connection.scalar(query)


def _upload_query(user_name: str, upload_id: str) -> Select:
    """The first batch ``user_name`` submitted with ``upload_id``."""
    batches = schema.batches
    return (
        select(batches.c.id)
        .where(
            batches.c.user_name == user_name,
            batches.c.options["upload_id"].as_string() == upload_id,
        )
        .order_by(batches.c.id)
        .limit(1)
    )
