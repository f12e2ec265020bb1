"""Web uploads held at the mapping step, between the upload and "Import with this mapping".

A held upload belongs to the user who uploaded it (no one else finds it) and is bounded: each
file is at most the upload limit, a user keeps at most ``PER_USER`` (a new one drops the
oldest), and none is kept past ``HOLD_HOURS`` (every new one drops those that have expired).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from bulkpoc.store import schema
from bulkpoc.store.batches import utcnow

PER_USER = 5
HOLD_HOURS = 24


@dataclass(frozen=True)
class HeldUpload:
    """An upload waiting at the mapping step: its options as recorded (``ImportOptions``)
    and its bytes."""

    key: str
    options: dict[str, Any]
    content: bytes
    held_at: dt.datetime


class HeldUploads:
    """The held uploads part of ``Store``."""

    engine: Engine
    _write_when_free: Callable[..., Any]

    def hold_upload(self, key: str, user: str, options: dict[str, Any], content: bytes) -> None:
        """Keep ``content`` under ``key`` for ``user``, dropping what is past its time and the
        user's oldest beyond ``PER_USER``."""
        table = schema.held_uploads

        def hold(connection: Connection) -> None:
            now = utcnow()
            connection.execute(delete(table).where(table.c.held_at < _expiry(now)))
            theirs = select(table.c.key).where(table.c.user_name == user)
            kept = theirs.order_by(table.c.held_at.desc()).limit(PER_USER - 1)
            keep = {row.key for row in connection.execute(kept)}
            connection.execute(
                delete(table).where(table.c.user_name == user, table.c.key.not_in(keep))
            )
            connection.execute(delete(table).where(table.c.key == key))
            connection.execute(
                insert(table).values(
                    key=key, user_name=user, options=options, content=content, held_at=now
                )
            )

        self._write_when_free(hold, None)

    def held_upload(self, key: str, user: str) -> HeldUpload | None:
        """``user``'s upload held under ``key``, or None (someone else's, gone or expired)."""
        table = schema.held_uploads
        query = select(table).where(
            table.c.key == key,
            table.c.user_name == user,
            table.c.held_at >= _expiry(utcnow()),
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return HeldUpload(row.key, dict(row.options), bytes(row.content), row.held_at)


def _expiry(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(hours=HOLD_HOURS)
