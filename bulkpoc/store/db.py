"""Opening, migrating and querying the store (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bulkpoc.domain.errors.codes import STORE_BUSY, UNKNOWN_USER
from bulkpoc.domain.errors.types import (
    SettingsError,
    StoreBusy,
    StoreNotReady,
    UnknownUser,
)
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.users import User
from bulkpoc.store import bulk, column_reads, schema
from bulkpoc.store.accounts import Accounts, check_permissions
from bulkpoc.store.batch_queries import HistoryLookups
from bulkpoc.store.batches import SQLITE_BUSY_MS, RunHistory, Waiting, utcnow
from bulkpoc.store.changes import ChangeLookups
from bulkpoc.store.fixes import FixLookups
from bulkpoc.store.held_uploads import HeldUploads
from bulkpoc.store.history import RecordLookups
from bulkpoc.store.listing import RecordListing
from bulkpoc.store.mappings import MappingBook
from bulkpoc.store.previews import Previews
from bulkpoc.store.retention import ChangeRetention
from bulkpoc.store.schedules import ScheduleBook
from bulkpoc.store.sessions import WebSessions

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "alembic_version"  # where alembic records the migration a store is at
READ_CHUNK = 50_000  # records read_column_chunks gives at a time

POSTGRES_EXTRA = ("psycopg", "procrastinate")  # the driver and the job queue: bulkpoc[postgres]
BATCH_LOCK_KEY = 0x62756C6B  # "bulk": the PostgreSQL advisory lock batches queue on
_FRAME_TYPES = (bool, int, str, dt.datetime)
BUSY_TIMEOUT_MS = SQLITE_BUSY_MS
POLL_SECONDS = 1.0  # how long one SQLite attempt at the write lock waits before reporting
ADVISORY_POLL_SECONDS = 0.25  # how soon a batch waiting on PostgreSQL sees the lock released


def newest_migration() -> str:
    """The newest migration's revision, from the file names (``0004_auth.py`` is ``0004``)
    rather than by loading alembic; a test checks alembic agrees."""
    versions = (MIGRATIONS / "versions").glob("[0-9]*_*.py")
    return max(path.name.partition("_")[0] for path in versions)


def alembic_config(connection: Connection) -> Any:
    """alembic's configuration for migrating the store on ``connection`` (loads alembic)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Bulk inserts into unique indexes in random key order thrash the default 2 MB cache.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class Store(
    RunHistory,
    HistoryLookups,
    ChangeLookups,
    Previews,
    FixLookups,
    ScheduleBook,
    MappingBook,
    HeldUploads,
    Accounts,
    WebSessions,
    RecordListing,
    RecordLookups,
    ChangeRetention,
):
    """One database. Reads come back as DataFrames; writes go in chunks inside a transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        _require_postgres_extra(url)
        self.engine: Engine = create_engine(_driver_url(url))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # --- schema -----------------------------------------------------------------------------
    # alembic (with mako and pygments) is imported only to create or upgrade the schema: the
    # check every command makes reads alembic's version table and the migration file names.

    def initialise(self) -> None:
        """Create or upgrade the schema to the newest migration."""
        from alembic import command

        try:
            with self.engine.begin() as connection:
                command.upgrade(alembic_config(connection), "head")
        except OperationalError as error:
            raise StoreNotReady(
                f"Cannot open the store at {self.display_url}: {error.orig}"
            ) from None

    def schema_revision(self) -> str | None:
        """The migration the store is at, as alembic recorded it; None before ``bulkpoc init``."""
        try:
            with self.engine.connect() as connection:
                if not inspect(connection).has_table(VERSION_TABLE):
                    return None
                return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        except OperationalError as error:
            raise StoreNotReady(
                f"Cannot open the store at {self.display_url}: {error.orig}"
            ) from None

    def ensure_ready(self) -> None:
        """Fail with one sentence unless the store exists and is at the newest schema."""
        head = newest_migration()
        current = self.schema_revision()
        if current is None:
            raise StoreNotReady(
                f"The store at {self.display_url} is not initialised; run `bulkpoc init` first."
            )
        if current != head:
            self.initialise()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # --- generic reads and writes -----------------------------------------------------------

    def lock_for_batch(self, connection: Connection, waiting: Waiting | None = None) -> None:
        """Make the batch's transaction the only writer until it ends.

        Called first in the transaction. SQLite: BEGIN IMMEDIATE takes the write lock, so the
        snapshot the batch validates against cannot change before it is applied. PostgreSQL: a
        transaction-scoped advisory lock, so batches from several workers queue instead of
        interleaving. While another batch holds the store, ``waiting`` is told, and once its
        timeout passes the batch gives up with ``StoreBusy``.
        """
        if connection.dialect.name == "sqlite":

            def attempt() -> bool:
                with _short_busy_timeout(connection):
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                return True

        elif connection.dialect.name == "postgresql":

            def attempt() -> bool:
                query = text("SELECT pg_try_advisory_xact_lock(:key)")
                if connection.scalar(query, {"key": BATCH_LOCK_KEY}):
                    return True
                time.sleep(ADVISORY_POLL_SECONDS)
                return False

        else:
            return
        self._wait_for_store(attempt, waiting)

    def _wait_for_store(self, attempt: Callable[[], bool], waiting: Waiting | None) -> None:
        """Repeat ``attempt`` until it gets the store, telling ``waiting`` who holds it."""
        waiting = waiting or Waiting(timeout=BUSY_TIMEOUT_MS / 1000)
        started = time.monotonic()
        while True:
            try:
                if attempt():
                    return
            except OperationalError as error:
                if not _is_busy(error):
                    raise
            waited = time.monotonic() - started
            holder = self.running_batch(exclude=waiting.batch_id)
            if waited >= waiting.timeout:
                who = f"Batch {holder}" if holder is not None else "Another batch"
                raise StoreBusy(STORE_BUSY, holder=who, seconds=waiting.timeout)
            waiting.notify(holder, waited)

    def _write_when_free(self, write: Callable[[Connection], T], waiting: Waiting | None) -> T:
        """Run ``write`` in a transaction of its own once the store lets it (SQLite: one writer)."""
        written: list[T] = []

        def attempt() -> bool:
            with self.transaction() as connection, _short_busy_timeout(connection):
                written.append(write(connection))
            return True

        self._wait_for_store(attempt, waiting)
        return written[0]

    def write_when_free(
        self, write: Callable[[Connection], T], waiting: Waiting | None = None
    ) -> T:
        """Run ``write(connection)`` in a transaction of its own, waiting for the store as a
        batch does (``StoreBusy`` once ``waiting``'s timeout passes)."""
        return self._write_when_free(write, waiting)

    def read_frame(
        self, table: Table, connection: Connection | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """The whole table as a DataFrame: booleans as bool, integers as Int64, times as
        datetime64, text as str objects. Built a column at a time: a SQLAlchemy Row per
        record costs more than the query."""
        if any(column.type.python_type not in _FRAME_TYPES for column in table.columns):
            return self._read_frame_slow(table, connection)
        if connection is None:
            with self.engine.connect() as own:
                return self.read_frame(table, own, columns)
        chosen = [c for c in table.columns if columns is None or c.name in columns]
        names = [c.name for c in chosen]
        if bulk.uses_copy(connection):
            fetched = column_reads.read_columns(connection, table, names)
        else:
            fetched = column_reads.read_sqlite_columns(connection, table, names)
        frame = pd.DataFrame(index=pd.RangeIndex(len(fetched[0]) if fetched else 0))
        for column, values in zip(chosen, fetched, strict=True):
            kind = column.type.python_type
            if kind is bool:
                frame[column.name] = pd.Series(values, dtype=object).astype(bool)
            elif kind is int:
                frame[column.name] = pd.array(values, dtype="Int64")
            elif kind is dt.datetime:
                # numpy parses SQLite's ISO text and PostgreSQL's datetimes alike, and fast.
                frame[column.name] = pd.Series(np.array(values, dtype="datetime64[us]"))
            else:
                frame[column.name] = pd.Series(values, dtype=object)
        return frame

    def read_column_chunks(
        self, table: Table, connection: Connection, names: list[str]
    ) -> Iterator[Sequence[Sequence[Any]]]:
        """``names``' values over every record of ``table``, a chunk of records at a time: one
        sequence a column, the records in the same order in each. The caller turns each chunk
        into arrays, so a table's values never all exist as Python objects at once (on SQLite;
        PostgreSQL sends each column as one array, in one chunk)."""
        if bulk.uses_copy(connection):
            yield column_reads.read_columns(connection, table, names)
            return
        yield from column_reads.read_sqlite_column_chunks(connection, table, names, READ_CHUNK)

    def _read_frame_slow(self, table: Table, connection: Connection | None) -> pd.DataFrame:
        if connection is None:
            with self.engine.connect() as own:
                return self._read_frame_slow(table, own)
        result = connection.execute(select(table))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    # --- users ------------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        permissions: Iterable[str],
        email: str | None = None,
        password_hash: str | None = None,
    ) -> User:
        """Create the user, or add the permissions (and email) to an existing one."""
        wanted = frozenset(permissions)
        check_permissions(wanted)
        users = schema.users
        with self.transaction() as connection:
            user_id = connection.scalar(select(users.c.id).where(users.c.name == name))
            if user_id is None:
                user_id = _new_id(
                    connection.execute(
                        insert(users).values(
                            name=name, email=email, password_hash=password_hash, created_at=utcnow()
                        )
                    )
                )
            else:
                values = {
                    key: value
                    for key, value in {"email": email, "password_hash": password_hash}.items()
                    if value is not None
                }
                if values:
                    connection.execute(users.update().where(users.c.id == user_id).values(**values))
            have = set(
                connection.scalars(
                    select(schema.user_permissions.c.permission).where(
                        schema.user_permissions.c.user_id == user_id
                    )
                )
            )
            new = [{"user_id": user_id, "permission": p} for p in sorted(wanted - have)]
            if new:
                connection.execute(insert(schema.user_permissions), new)
        return self.get_user(name)

    def get_user(self, name: str) -> User:
        users, perms = schema.users, schema.user_permissions
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == name)).first()
            if row is None:
                raise UnknownUser(UNKNOWN_USER, name=name)
            granted = connection.scalars(
                select(perms.c.permission).where(perms.c.user_id == row.id)
            ).all()
        disabled = row.disabled_at is not None
        return User(row.name, row.email, frozenset(granted), row.password_hash, disabled)

    def list_users(self) -> list[User]:
        with self.engine.connect() as connection:
            names = connection.scalars(select(schema.users.c.name).order_by(schema.users.c.name))
            return [self.get_user(name) for name in names.all()]

    def count(self, table: Table) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(table)) or 0)


@contextmanager
def _short_busy_timeout(connection: Connection) -> Iterator[None]:
    """On SQLite, give up on the write lock after a second, so a waiting batch can report."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(POLL_SECONDS * 1000)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _is_busy(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return "database is locked" in message or "database is busy" in message


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None, "INSERT returned no primary key"
    return int(key[0])


def _driver_url(url: str) -> str:
    """Let users write plain ``postgresql://`` URLs; we ship psycopg 3, not psycopg2."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _require_postgres_extra(url: str) -> None:
    """A PostgreSQL URL without bulkpoc[postgres] installed: one sentence, not an ImportError."""
    if make_url(url).get_backend_name() != "postgresql":
        return
    if not all(find_spec(module) for module in POSTGRES_EXTRA):
        raise SettingsError(
            "A PostgreSQL store needs bulkpoc's postgres extra: pip install 'bulkpoc[postgres]'."
        )


__all__ = ["PERMISSIONS", "SQLAlchemyError", "Store", "User", "Waiting", "utcnow"]
