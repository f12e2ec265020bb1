"""Dry runs and the batches that apply them: the links both ways, the plan a dry run showed,
and the new dry run a batch queues when the store changed since the one it applies.

A batch's ``preview_of`` names the dry run it applies. Its unique index is what makes a dry
run applied once: two requests at once both insert, and the database refuses the second. A
batch that failed applied nothing, so it leaves the index, and the dry run may be applied again
(whose plan is checked again).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from bulkpoc.domain.status import BatchStatus
from bulkpoc.store import schema
from bulkpoc.store.batches import QUEUED, utcnow

# What a dry run that can be applied has finished as.
APPLICABLE = (BatchStatus.SUCCEEDED.value, BatchStatus.COMPLETED_WITH_ERRORS.value)
# The columns of an apply batch its new dry run takes as they are.
KEPT = (
    "record_type",
    "file_name",
    "checksum",
    "file_type",
    "source",
    "user_name",
    "schedule_name",
)


class Previews:
    """The dry-run part of ``Store``."""

    engine: Engine

    def applied_as(self, preview_id: int, *, holding: bool = False) -> int | None:
        """The latest batch that applies dry run ``preview_id``; with ``holding``, only the
        one that has not failed (which keeps it from being applied again)."""
        batches = schema.batches
        query = select(batches.c.id).where(batches.c.preview_of == preview_id)
        if holding:
            query = query.where(batches.c.status != BatchStatus.FAILED.value)
        with self.engine.connect() as connection:
            return connection.scalar(query.order_by(batches.c.id.desc()).limit(1))

    def awaiting_approval(self, batches: Iterable[dict]) -> set[int]:
        """Of ``batches`` (history rows), the ids of those held for approval (a scheduled
        file run as a dry run) that finished with a plan and that no batch has applied yet."""
        held = [
            batch["id"]
            for batch in batches
            if (batch["options"] or {}).get("hold_for_approval")
            and (batch["options"] or {}).get("dry_run")
            and batch["status"] in APPLICABLE
        ]
        if not held:
            return set()
        batches_table = schema.batches
        query = select(batches_table.c.preview_of).where(
            batches_table.c.preview_of.in_(held),
            batches_table.c.status != BatchStatus.FAILED.value,
        )
        with self.engine.connect() as connection:
            applied = set(connection.scalars(query))
        return set(held) - applied

    @staticmethod
    def queue_new_preview(connection: Connection, batch_id: int) -> int:
        """In the transaction of batch ``batch_id`` (an apply whose plan changed): record a new
        dry run of the same file, with the same options and rows left out, queued; the batch
        names it as its ``new_preview``. Both commit with the batch's result, or neither."""
        batches = schema.batches
        row = connection.execute(select(batches).where(batches.c.id == batch_id)).one()
        options: dict[str, Any] = dict(row.options)
        options.update(dry_run=True, preview_of=None, upload_id=None)
        result = connection.execute(
            insert(batches).values(
                **{name: row._mapping[name] for name in KEPT},
                options=options,
                status=QUEUED,
                submitted_at=utcnow(),
                warnings=[],
            )
        )
        key = result.inserted_primary_key
        assert key is not None, "INSERT returned no primary key"
        new_id = int(key[0])
        connection.execute(
            batches.update().where(batches.c.id == batch_id).values(new_preview=new_id)
        )
        return new_id

    def waiting_preview(self, batch_id: int) -> int | None:
        """The new dry run batch ``batch_id`` queued, while it still waits to run."""
        batches = schema.batches
        query = select(batches.c.new_preview).where(batches.c.id == batch_id)
        with self.engine.connect() as connection:
            new_id = connection.scalar(query)
            if new_id is None:
                return None
            status = connection.scalar(select(batches.c.status).where(batches.c.id == new_id))
        return int(new_id) if status == BatchStatus.QUEUED else None
