"""Reading the run history a page at a time: batches by filter, a batch's errors by kind.

Everything a page shows of a large history or a batch with 200,000 row errors is filtered,
counted and cut into pages here, in SQL, so a page costs the same whatever the size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, func, select

from bulkpoc.errors import RowError
from bulkpoc.store import schema


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
    """The paging and counting part of ``Store``."""

    engine: Engine

    # --- the run history ---------------------------------------------------------------------

    def history_page(
        self,
        status: str | None = None,
        source: str | None = None,
        user: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict], int]:
        """One page of batches, newest first, and how many match the filters in all."""
        batches = schema.batches
        where = [
            column == value
            for column, value in (
                (batches.c.status, status),
                (batches.c.source, source),
                (batches.c.user_name, user),
            )
            if value
        ]
        query = select(batches).where(*where).order_by(batches.c.id.desc())
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(batches).where(*where))
            rows = connection.execute(query.offset(offset).limit(limit))
            return [dict(row._mapping) for row in rows], int(total or 0)

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
