"""Retention: removing the change records of batches finished long ago, with the stored files
only they still needed, and marking those batches so an undo can say why it cannot run.

Everything one pass removes goes in one transaction, with the marks: a pass that fails or is
killed removes nothing. Once a day (``prune_changes_daily``) is claimed in the store, so
several schedulers on one PostgreSQL store prune once between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from bulkpoc.domain.history import PruneCounts
from bulkpoc.store import schema
from bulkpoc.store.batches import INTERRUPTED, Waiting, utcnow

CHUNK = 500  # batch ids per statement: well under any backend's limit of bound parameters
RETENTION_TASK = "changes_retention"
# Interrupted batches are left alone: `bulkpoc rerun` runs them again from their stored file.
_NOT_PRUNED = (INTERRUPTED,)


class ChangeRetention:
    """The retention part of ``Store``."""

    _write_when_free: Callable[..., Any]

    def prune_changes(
        self, days: int, now: dt.datetime | None = None, waiting: Waiting | None = None
    ) -> PruneCounts:
        """Remove the change records of every batch finished more than ``days`` days before
        ``now`` (naive UTC; default the clock), its error file, and each uploaded file no
        batch that keeps its change records shares; mark those batches pruned."""
        now = now or utcnow()
        return self._write_when_free(lambda connection: prune(connection, days, now), waiting)

    def prune_changes_daily(
        self, days: int, now: dt.datetime | None = None, waiting: Waiting | None = None
    ) -> PruneCounts | None:
        """``prune_changes``, unless a pass already did today (UTC): then None."""
        now = now or utcnow()

        def once(connection: Connection) -> PruneCounts | None:
            if not claim_day(connection, RETENTION_TASK, now):
                return None
            return prune(connection, days, now)

        return self._write_when_free(once, waiting)


def prune(connection: Connection, days: int, now: dt.datetime) -> PruneCounts:
    """One retention pass in ``connection``'s transaction."""
    batches = schema.batches
    cutoff = now - dt.timedelta(days=days)
    due = connection.execute(
        select(batches.c.id, batches.c.checksum)
        .where(
            batches.c.finished_at < cutoff,
            batches.c.changes_pruned_at.is_(None),
            batches.c.status.not_in(_NOT_PRUNED),
        )
        .order_by(batches.c.id)
    ).all()
    counts = PruneCounts(cutoff=cutoff, days=days, batches=len(due))
    ids = [row.id for row in due]
    for chunk in _chunks(ids):
        counts.changes += _deleted(
            connection, delete(schema.changes).where(schema.changes.c.batch_id.in_(chunk))
        )
        counts.batch_files += _deleted(
            connection,
            delete(schema.batch_files).where(schema.batch_files.c.batch_id.in_(chunk)),
        )
        connection.execute(
            batches.update()
            .where(batches.c.id.in_(chunk))
            .values(changes_pruned_at=now, changes_retention_days=days)
        )
    files = schema.files
    still_needed = exists().where(
        batches.c.checksum == files.c.sha256, batches.c.changes_pruned_at.is_(None)
    )
    for chunk in _chunks(sorted({row.checksum for row in due})):
        counts.files += _deleted(
            connection, delete(files).where(files.c.sha256.in_(chunk), ~still_needed)
        )
    return counts


def claim_day(connection: Connection, task: str, now: dt.datetime) -> bool:
    """Record that ``task`` ran on ``now``'s day (UTC); False if it already did. In the
    caller's transaction, so a pass that fails leaves the day unclaimed."""
    runs = schema.daily_runs
    midnight = dt.datetime.combine(now.date(), dt.time())
    claimed = connection.execute(
        runs.update()
        .where(runs.c.task == task, runs.c.last_run_at < midnight)
        .values(last_run_at=now)
    )
    if claimed.rowcount == 1:
        return True
    if connection.scalar(select(runs.c.task).where(runs.c.task == task)) is not None:
        return False
    try:
        with connection.begin_nested():
            connection.execute(insert(runs).values(task=task, last_run_at=now))
    except IntegrityError:
        return False  # another pass claimed the first day a moment ago
    return True


def _deleted(connection: Connection, statement: Any) -> int:
    return int(connection.execute(statement).rowcount or 0)


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]
