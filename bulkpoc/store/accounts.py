"""Accounts in the store: passwords, failed logins, API tokens and shared secrets.

Everything a login or an API call needs to know lives here rather than in a process's
memory, so several server processes behind a load balancer agree on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Executable,
    delete,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from bulkpoc.domain.errors.codes import UNKNOWN_USER
from bulkpoc.domain.errors.types import UnknownPermission, UnknownUser
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.store import schema
from bulkpoc.store.batches import SQLITE_BUSY_MS, utcnow

QUICK_WRITE_MS = 200  # how long a bookkeeping write waits for a lock before it is skipped


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about an API token: never the token itself."""

    name: str
    user: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class TokenOwner:
    """A live (unrevoked) token's row id, its user's name and when it was last used."""

    token_id: int
    user: str
    last_used_at: dt.datetime | None


class Accounts:
    """The accounts part of ``Store``."""

    engine: Engine
    _write_when_free: Callable[..., Any]

    # --- passwords and failed logins --------------------------------------------------------

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """Replace a user's password hash (``UnknownUser`` if there is no such user)."""
        users = schema.users

        def change(connection: Connection) -> int:
            update = users.update().where(users.c.name == name)
            return int(connection.execute(update.values(password_hash=password_hash)).rowcount)

        if not self._write_when_free(change, None):
            raise UnknownUser(UNKNOWN_USER, name=name)

    def recent_login_failures(self, user_name: str, limit: int) -> list[dt.datetime]:
        """When the last ``limit`` failed logins for ``user_name`` happened, newest first."""
        return self._recent_failures(schema.login_failures.c.user_name == user_name, limit)

    def recent_failures_from(self, client: str, limit: int) -> list[dt.datetime]:
        """When the last ``limit`` failed logins from ``client`` happened, newest first."""
        return self._recent_failures(schema.login_failures.c.client == client, limit)

    def _recent_failures(self, which: ColumnElement[bool], limit: int) -> list[dt.datetime]:
        failures = schema.login_failures
        query = (
            select(failures.c.failed_at)
            .where(which)
            .order_by(failures.c.failed_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def record_login_failure(
        self,
        user_name: str,
        at: dt.datetime,
        forget_before: dt.datetime,
        client: str | None = None,
    ) -> None:
        """Note a failed login for ``user_name`` from ``client`` (an address, None when not
        known), and forget every failure older than ``forget_before``."""
        failures = schema.login_failures

        def record(connection: Connection) -> None:
            connection.execute(delete(failures).where(failures.c.failed_at < forget_before))
            connection.execute(
                insert(failures).values(user_name=user_name, failed_at=at, client=client)
            )

        self._write_when_free(record, None)

    def clear_login_failures(self, user_name: str) -> None:
        """Forget ``user_name``'s failed logins; writes nothing when there are none."""
        failures = schema.login_failures
        mine = failures.c.user_name == user_name
        with self.engine.connect() as connection:
            if connection.scalar(select(failures.c.id).where(mine).limit(1)) is None:
                return

        def clear(connection: Connection) -> None:
            connection.execute(delete(failures).where(mine))

        self._write_when_free(clear, None)

    # --- what an administrator changes --------------------------------------------------------

    def set_disabled(self, name: str, at: dt.datetime | None) -> None:
        """Disable the user from ``at`` (None: enable them again); ``UnknownUser`` if none.

        A disabled user's web sessions go at once, in the same transaction.
        """
        users = schema.users
        user_id = self._user_id(name)

        def change(connection: Connection) -> None:
            connection.execute(users.update().where(users.c.id == user_id).values(disabled_at=at))
            if at is not None:
                sessions = schema.web_sessions
                connection.execute(delete(sessions).where(sessions.c.user_id == user_id))

        self._write_when_free(change, None)

    def revoke_permissions(self, name: str, permissions: list[str]) -> None:
        """Take ``permissions`` away from user ``name``; ones they lack are no error.

        When they held any of them, their web sessions end in the same transaction: a page
        they have open was drawn with the permission, and its forms must not outlive it.
        """
        check_permissions(permissions)
        perms = schema.user_permissions
        user_id = self._user_id(name)

        def revoke(connection: Connection) -> None:
            taken = connection.execute(
                delete(perms).where(perms.c.user_id == user_id, perms.c.permission.in_(permissions))
            )
            if taken.rowcount:
                sessions = schema.web_sessions
                connection.execute(delete(sessions).where(sessions.c.user_id == user_id))

        self._write_when_free(revoke, None)

    # --- API tokens -------------------------------------------------------------------------

    def add_token(self, name: str, user_name: str, token_sha256: str, at: dt.datetime) -> bool:
        """Keep a new token's hash for ``user_name``; False when the name is taken."""
        user_id = self._user_id(user_name)

        def add(connection: Connection) -> None:
            connection.execute(
                insert(schema.api_tokens).values(
                    name=name, user_id=user_id, token_sha256=token_sha256, created_at=at
                )
            )

        try:
            self._write_when_free(add, None)
        except IntegrityError:
            return False
        return True

    def tokens(self) -> list[TokenInfo]:
        """Every token, revoked ones too, by name."""
        tokens, users = schema.api_tokens, schema.users
        query = (
            select(
                tokens.c.name,
                users.c.name.label("user"),
                tokens.c.created_at,
                tokens.c.last_used_at,
                tokens.c.revoked_at,
            )
            .join(users, users.c.id == tokens.c.user_id)
            .order_by(tokens.c.name)
        )
        with self.engine.connect() as connection:
            return [TokenInfo(**row._mapping) for row in connection.execute(query)]

    def revoke_token(self, name: str, at: dt.datetime) -> bool:
        """Mark the token revoked (a revoked one keeps its first time); False if there is none."""
        tokens = schema.api_tokens

        def revoke(connection: Connection) -> bool:
            exists = connection.scalar(select(tokens.c.id).where(tokens.c.name == name))
            if exists is None:
                return False
            connection.execute(
                tokens.update()
                .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return True

        return bool(self._write_when_free(revoke, None))

    def token_owner(self, token_sha256: str) -> TokenOwner | None:
        """Whose the live token with this hash is; None when unknown or revoked, or when its
        user is disabled."""
        tokens, users = schema.api_tokens, schema.users
        query = (
            select(tokens.c.id, users.c.name, tokens.c.last_used_at)
            .join(users, users.c.id == tokens.c.user_id)
            .where(
                tokens.c.token_sha256 == token_sha256,
                tokens.c.revoked_at.is_(None),
                users.c.disabled_at.is_(None),
            )
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else TokenOwner(row.id, row.name, row.last_used_at)

    def note_token_used(self, token_id: int, at: dt.datetime, unless_after: dt.datetime) -> None:
        """Record ``at`` as the token's last use unless one after ``unless_after`` is recorded.

        Bookkeeping only: the condition makes concurrent processes write once, and when the
        store is busy (a batch holding SQLite's write lock) the write is skipped, not waited for.
        """
        tokens = schema.api_tokens
        write_quickly(
            self.engine,
            tokens.update()
            .where(
                tokens.c.id == token_id,
                or_(tokens.c.last_used_at.is_(None), tokens.c.last_used_at <= unless_after),
            )
            .values(last_used_at=at),
        )

    # --- shared secrets ---------------------------------------------------------------------

    def shared_secret(self, name: str, make: Callable[[], str]) -> str:
        """The secret called ``name``, made with ``make()`` and kept the first time it is asked
        for. Of two processes that ask at once, the first to insert wins and both get its value.
        """
        secrets = schema.app_secrets
        query = select(secrets.c.value).where(secrets.c.name == name)
        with self.engine.connect() as connection:
            value = connection.scalar(query)
        if value is not None:
            return str(value)
        candidate = make()

        def keep(connection: Connection) -> None:
            connection.execute(
                insert(secrets).values(name=name, value=candidate, created_at=utcnow())
            )

        try:
            self._write_when_free(keep, None)
        except IntegrityError:
            with self.engine.connect() as connection:
                return str(connection.scalar(query))
        return candidate

    def _user_id(self, name: str) -> int:
        users = schema.users
        with self.engine.connect() as connection:
            user_id = connection.scalar(select(users.c.id).where(users.c.name == name))
        if user_id is None:
            raise UnknownUser(UNKNOWN_USER, name=name)
        return int(user_id)


def check_permissions(permissions: Iterable[str]) -> None:
    """``UnknownPermission`` naming the first unknown one, before anything is written."""
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise UnknownPermission(
            f"Unknown permission {unknown[0]!r}; choose from: " + ", ".join(PERMISSIONS) + "."
        )


def write_quickly(engine: Engine, statement: Executable) -> None:
    """Run a bookkeeping write (a last use, a last visit), or skip it when the store is busy.

    It waits ``QUICK_WRITE_MS`` for a lock at most: a batch holding SQLite's write lock, or a
    row locked on PostgreSQL, must not hold up a page or an API call for it.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={QUICK_WRITE_MS}")
            connection.commit()  # ends the autobegun transaction, so begin() below may start
        try:
            with connection.begin():
                if not sqlite:
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{QUICK_WRITE_MS}ms'")
                connection.execute(statement)
        except OperationalError:
            pass  # busy: the next call records it
        finally:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
