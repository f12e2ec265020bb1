"""Bulk writes of plain tuples, inside the caller's transaction: executemany, or COPY on PostgreSQL.

SQLite takes chunks of rows through the driver's ``executemany``. On PostgreSQL that is one
round of parsing and planning per row, so rows are streamed with ``COPY`` instead: new rows
straight into their table, changes into a temporary table that one ``UPDATE ... FROM``
applies. Both run on the SQLAlchemy connection's own driver connection, so they belong to its
transaction, and the driver's errors come back as SQLAlchemy's, as from any other statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

Chunks = Iterable[list[tuple]]


def insert(connection: Connection, table: Table, columns: list[str], chunks: Chunks) -> None:
    """Insert rows holding ``columns``' values, in that order."""
    names = ", ".join(_quote(connection, name) for name in columns)
    if _copies(connection):
        _copy_in(connection, f"COPY {_quote(connection, table.name)} ({names}) FROM STDIN", chunks)
        return
    marks = ", ".join([_mark(connection)] * len(columns))
    statement = f"INSERT INTO {_quote(connection, table.name)} ({names}) VALUES ({marks})"
    for rows in chunks:
        connection.exec_driver_sql(statement, rows)


def update(
    connection: Connection, table: Table, key: str, columns: list[str], chunks: Chunks
) -> None:
    """Set ``columns`` of the records named by ``key``: each row holds the new values, in
    ``columns``' order, and the key last."""
    name, quoted = _quote(connection, table.name), [_quote(connection, c) for c in columns]
    where = _quote(connection, key)
    if _copies(connection):
        changes = _quote(connection, f"bulkpoc_changes_{table.name}")
        listed = ", ".join([*quoted, where])
        # Same column types as the table, none of its constraints; dropped with the transaction
        # at the latest, and at once here, so a second update in the transaction can reuse it.
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {changes} ON COMMIT DROP AS "
            f"SELECT {listed} FROM {name} WITH NO DATA"
        )
        _copy_in(connection, f"COPY {changes} ({listed}) FROM STDIN", chunks)
        assignments = ", ".join(f"{c} = changes.{c}" for c in quoted)
        connection.exec_driver_sql(
            f"UPDATE {name} SET {assignments} FROM {changes} AS changes "
            f"WHERE {name}.{where} = changes.{where}"
        )
        connection.exec_driver_sql(f"DROP TABLE {changes}")
        return
    mark = _mark(connection)
    assignments = ", ".join(f"{c} = {mark}" for c in quoted)
    statement = f"UPDATE {name} SET {assignments} WHERE {where} = {mark}"
    for rows in chunks:
        connection.exec_driver_sql(statement, rows)


def _copies(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _copy_in(connection: Connection, statement: str, chunks: Chunks) -> None:
    with _driver_cursor(connection, statement) as cursor, cursor.copy(statement) as copy:
        for rows in chunks:
            for row in rows:
                copy.write_row(row)


@contextmanager
def _driver_cursor(connection: Connection, statement: str) -> Iterator[Any]:
    """A cursor of the connection's driver connection, whose errors are raised as SQLAlchemy
    raises them (an IntegrityError for a broken constraint)."""
    import psycopg

    cursor = connection.connection.cursor()
    try:
        yield cursor
    except psycopg.Error as error:
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from None
    finally:
        cursor.close()


def _mark(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)
