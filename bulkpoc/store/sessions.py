"""Web sessions in the store: what a session cookie's id stands for, and ending it.

Only each id's SHA-256 is kept, as for API tokens: reading the table does not give anyone a
cookie. A session belongs to a user who is not disabled; removing the user removes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select

from bulkpoc.store import schema
from bulkpoc.store.accounts import write_quickly


@dataclass(frozen=True)
class SessionRow:
    """A live session: its user's name, when it began and when it was last seen."""

    user: str
    created_at: dt.datetime
    last_seen_at: dt.datetime


class WebSessions:
    """The web sessions part of ``Store``."""

    engine: Engine
    _write_when_free: Callable[..., Any]
    _user_id: Callable[[str], int]

    def add_session(
        self,
        id_sha256: str,
        user_name: str,
        at: dt.datetime,
        forget_before: dt.datetime,
        forget_idle_before: dt.datetime,
    ) -> None:
        """Keep a new session of ``user_name``; forget every session that began before
        ``forget_before`` or was last seen before ``forget_idle_before`` (both expired)."""
        sessions = schema.web_sessions
        user_id = self._user_id(user_name)

        def add(connection: Connection) -> None:
            connection.execute(
                delete(sessions).where(
                    or_(
                        sessions.c.created_at < forget_before,
                        sessions.c.last_seen_at < forget_idle_before,
                    )
                )
            )
            connection.execute(
                insert(sessions).values(
                    id_sha256=id_sha256, user_id=user_id, created_at=at, last_seen_at=at
                )
            )

        self._write_when_free(add, None)

    def find_session(self, id_sha256: str) -> SessionRow | None:
        """The session with this id's hash, if its user exists and is not disabled."""
        sessions, users = schema.web_sessions, schema.users
        query = (
            select(users.c.name, sessions.c.created_at, sessions.c.last_seen_at)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id_sha256 == id_sha256, users.c.disabled_at.is_(None))
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else SessionRow(row.name, row.created_at, row.last_seen_at)

    def note_session_seen(self, id_sha256: str, at: dt.datetime) -> None:
        """Record a visit: bookkeeping, skipped rather than waited for when the store is busy."""
        sessions = schema.web_sessions
        write_quickly(
            self.engine,
            sessions.update()
            .where(sessions.c.id_sha256 == id_sha256, sessions.c.last_seen_at < at)
            .values(last_seen_at=at),
        )

    def end_session(self, id_sha256: str) -> None:
        """End one session (logging out, or one found expired)."""
        sessions = schema.web_sessions
        self._write_when_free(
            lambda connection: connection.execute(
                delete(sessions).where(sessions.c.id_sha256 == id_sha256)
            ),
            None,
        )

    def end_user_sessions(self, user_name: str) -> None:
        """End every session of ``user_name`` (a new password, a lock); none is no error."""
        sessions, users = schema.web_sessions, schema.users
        theirs = select(users.c.id).where(users.c.name == user_name).scalar_subquery()
        self._write_when_free(
            lambda connection: connection.execute(
                delete(sessions).where(sessions.c.user_id == theirs)
            ),
            None,
        )
