"""STUB of the lead's change-record queries (reverted when main has them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from bulkpoc.store import schema


class ChangeRecords:
    engine: Engine

    def batch_changes(
        self,
        batch_id: int,
        field: str | None = None,
        before: str | None = None,
        after: str | None = None,
        action: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[dict[str, Any]], int]:
        changes = schema.changes
        query = select(changes).where(changes.c.batch_id == batch_id)
        for column, wanted in (
            ("field", field),
            ("before", before),
            ("after", after),
            ("action", action),
        ):
            if wanted is not None:
                query = query.where(changes.c[column] == wanted)
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(query.subquery()))
            rows = connection.execute(query.order_by(changes.c.id).offset(offset).limit(limit))
            return [dict(row._mapping) for row in rows], int(total or 0)

    def record_changes(
        self, record_type: str, record_key: str, offset: int = 0, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int]:
        changes, batches = schema.changes, schema.batches
        where = (changes.c.record_type == record_type) & (changes.c.record_key == record_key)
        query = (
            select(
                changes,
                batches.c.submitted_at,
                batches.c.finished_at,
                batches.c.user_name,
                batches.c.source,
                batches.c.file_name,
            )
            .join(batches, batches.c.id == changes.c.batch_id)
            .where(where)
        )
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(schema.changes).where(where))
            rows = connection.execute(query.order_by(changes.c.id).offset(offset).limit(limit))
            return [dict(row._mapping) for row in rows], int(total or 0)
