"""Fixing a batch's failed rows: which rows failed, the values that failed most often (the
error groups a fix can replace at once), and the fixes made of a batch.

A fix is a batch whose ``fixes`` column names the batch whose failed rows it runs again; the
link back ("fixed by batch 14") is read from that column.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from bulkpoc.store import schema

GROUPS_SHOWN = 10  # error groups a results page offers to fix at once, the largest first
SMALLEST_GROUP = 2  # a value that failed in one row is fixed in its cell


@dataclass(frozen=True)
class ErrorGroup:
    """The rows of one batch that failed with the same error on the same value of a column:
    "312 rows: Skill 'Sales Cals' does not exist". ``message`` is one of their messages (the
    same text for each row but for what the row itself adds)."""

    column: str
    code: str
    value: str
    rows: int
    message: str


class FixLookups:
    """The fixing part of ``Store``."""

    engine: Engine

    def failed_row_numbers(self, batch_id: int) -> list[int]:
        """Every row of the batch that has an error, in row order."""
        errors = schema.batch_errors
        query = (
            select(errors.c.row)
            .where(errors.c.batch_id == batch_id)
            .distinct()
            .order_by(errors.c.row)
        )
        with self.engine.connect() as connection:
            return [int(row) for row in connection.scalars(query)]

    def error_groups(
        self, batch_id: int, limit: int = GROUPS_SHOWN, smallest: int = SMALLEST_GROUP
    ) -> list[ErrorGroup]:
        """The batch's errors of a column grouped by column, code and value, the groups of
        the most rows first, those of at least ``smallest`` rows (errors of a row as a whole
        have no value to replace)."""
        errors = schema.batch_errors
        rows = func.count(errors.c.row.distinct())
        query = (
            select(errors.c.column, errors.c.code, errors.c.value, rows, func.min(errors.c.message))
            .where(errors.c.batch_id == batch_id, errors.c.column != "")
            .group_by(errors.c.column, errors.c.code, errors.c.value)
            .having(rows >= smallest)
            .order_by(rows.desc(), errors.c.column, errors.c.value)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [ErrorGroup(*row) for row in connection.execute(query)]

    def rows_failing_on(self, batch_id: int, value: str) -> list[tuple[str, int]]:
        """Each (column, row) of the batch whose error names ``value``: the rows of the
        error groups of that value, whatever the cell held before it was read (a phone
        number the error gives normalised, a blank)."""
        if "\x00" in value:  # no error holds one, and PostgreSQL refuses one in text
            return []
        errors = schema.batch_errors
        query = (
            select(errors.c.column, errors.c.row)
            .where(errors.c.batch_id == batch_id, errors.c.value == value)
            .distinct()
        )
        with self.engine.connect() as connection:
            return [(str(column), int(row)) for column, row in connection.execute(query)]

    def file_kept(self, sha256: str) -> bool:
        """Whether the store still holds the uploaded file with this SHA-256 (retention may
        have removed it), without reading its bytes."""
        files = schema.files
        with self.engine.connect() as connection:
            return (
                connection.scalar(select(files.c.sha256).where(files.c.sha256 == sha256))
                is not None
            )

    def fixed_by(self, batch_id: int) -> list[int]:
        """The batches that fixed ``batch_id``'s failed rows, oldest first."""
        batches = schema.batches
        query = select(batches.c.id).where(batches.c.fixes == batch_id).order_by(batches.c.id)
        with self.engine.connect() as connection:
            return [int(found) for found in connection.scalars(query)]
