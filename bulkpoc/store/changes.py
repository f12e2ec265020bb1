"""Reading change records (bulkpoc.domain.changes) a page at a time: a batch's, filtered by
field, transition or action, and a record's, with the batch that made each change.

Filtered, counted and cut into pages in SQL, so a page costs the same however many changes
a batch made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, Label, Select, case, false, func, select

from bulkpoc.domain.changes import whole_record_headers
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store import schema

CHANGE_COLUMNS = ("id", "batch_id", "row", "record_type", "record_key", "action", "field")


def stored_field() -> Label[Any]:
    """``changes.field`` as every reader wants it: a created or removed record's change row
    stores no headers (bulkpoc.domain.changes.whole_record_headers), so they are filled in
    from its record type here."""
    changes = schema.changes
    headers = {name: whole_record_headers(name) for name in RECORD_TYPES}
    whole = case(headers, value=changes.c.record_type)
    return func.coalesce(changes.c.field, whole).label("field")


def change_columns(names: tuple[str, ...] = CHANGE_COLUMNS) -> list[Any]:
    """The ``changes`` columns ``names``, ``field`` as ``stored_field`` reads it."""
    changes = schema.changes
    return [stored_field() if name == "field" else changes.c[name] for name in names]


def _change_columns() -> list[Any]:
    changes = schema.changes
    return [*change_columns(), changes.c.before, changes.c.after]


class ChangeLookups:
    """The change-record part of ``Store``."""

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
    ) -> tuple[list[dict], int]:
        """A page of a batch's changes in the order they were made, and how many match."""
        changes = schema.changes
        query = select(*_change_columns()).where(changes.c.batch_id == batch_id)
        for column, value in (
            (changes.c.field, field),
            (changes.c.before, before),
            (changes.c.after, after),
            (changes.c.action, action),
        ):
            if value is not None and "\x00" in value:
                # No change holds one, and PostgreSQL refuses NUL in text: match nothing.
                query = query.where(false())
            elif value is not None:
                query = query.where(column == value)
        return self._page(query, changes.c.id, offset, limit)

    def record_changes(
        self, record_type: str, record_key: str, offset: int = 0, limit: int = 100
    ) -> tuple[list[dict], int]:
        """A page of the changes made to one record, the oldest first, each with its batch's
        time, user, source and file."""
        changes, batches = schema.changes, schema.batches
        query = (
            select(
                *_change_columns(),
                batches.c.user_name,
                batches.c.source,
                batches.c.file_name,
                batches.c.started_at,
                batches.c.finished_at,
                batches.c.options,
            )
            .join(batches, batches.c.id == changes.c.batch_id)
            .where(changes.c.record_type == record_type, changes.c.record_key == record_key)
        )
        return self._page(query, changes.c.id, offset, limit)

    def iter_batch_changes(self, batch_id: int, chunk: int = 20_000) -> Iterator[list[dict]]:
        """Every change of a batch, a chunk at a time (for a file of them)."""
        changes = schema.changes
        last = 0
        with self.engine.connect() as connection:
            while True:
                rows = connection.execute(
                    select(*_change_columns())
                    .where(changes.c.batch_id == batch_id, changes.c.id > last)
                    .order_by(changes.c.id)
                    .limit(chunk)
                ).all()
                if not rows:
                    return
                last = rows[-1].id
                yield [dict(row._mapping) for row in rows]

    def _page(self, query: Select, order: Any, offset: int, limit: int) -> tuple[list[dict], int]:
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = connection.execute(query.order_by(order).offset(offset).limit(limit))
            return [dict(row._mapping) for row in rows], total
