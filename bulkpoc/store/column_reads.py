"""Whole tables read a column at a time, each column as one array: building a row object per
record cost more than the query. PostgreSQL sends arrays in binary; SQLite builds JSON arrays.
Both run on the SQLAlchemy connection's own driver connection, in its transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from sqlalchemy import Connection, Table

from bulkpoc.store.bulk import driver_cursor


def read_columns(connection: Connection, table: Table, names: list[str]) -> list[list]:
    """The values of each of ``names`` over every record of ``table`` (PostgreSQL only), one
    list a column, the records in the same order in each.

    One row of one array per column, in binary: reading records one by one, even through
    ``COPY``, cost the client about 2 microseconds a record, which 100,000 of them made the
    larger part of a re-import's read. An array holds up to 1 GB: millions of records.
    """
    quote = connection.dialect.identifier_preparer.quote
    selected = ", ".join(f"array_agg({quote(name)})" for name in names)
    statement = f"SELECT {selected} FROM {quote(table.name)}"
    with driver_cursor(connection, statement) as cursor:
        cursor.execute(statement, binary=True)
        arrays = cursor.fetchone()
    return [array or [] for array in arrays]  # NULL when the table is empty


def read_sqlite_columns(connection: Connection, table: Table, names: list[str]) -> list[list]:
    """The values of each of ``names`` over every record of ``table`` (SQLite only), one list
    a column, the records in the same order in each.

    SQLite makes each column one JSON array and ``json`` parses it in C: a Python tuple per
    record through the driver cost three times as much. A JSON array holds what the driver
    would give but blobs, which no table read this way has.
    """
    quote = connection.dialect.identifier_preparer.quote
    statement = f"SELECT {_json_arrays(connection, names)} FROM {quote(table.name)}"
    return [json.loads(text) for text in _sqlite(connection).execute(statement).fetchone()]


def read_sqlite_column_chunks(
    connection: Connection, table: Table, names: list[str], chunk: int
) -> Iterator[list[list]]:
    """``read_sqlite_columns`` a ``chunk`` of records at a time, in rowid order."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    statement = (
        f"SELECT max(record_rowid), {_json_arrays(connection, names)} FROM (SELECT rowid AS "
        f"record_rowid, {columns} FROM {quote(table.name)} WHERE rowid > ? ORDER BY rowid LIMIT ?)"
    )
    driver = _sqlite(connection)
    last: int | None = -(2**63)  # the lowest rowid
    while True:
        last, *texts = driver.execute(statement, (last, chunk)).fetchone()
        if last is None:
            return
        yield [json.loads(text) for text in texts]


def _json_arrays(connection: Connection, names: list[str]) -> str:
    quote = connection.dialect.identifier_preparer.quote
    return ", ".join(f"json_group_array({quote(name)})" for name in names)


def _sqlite(connection: Connection) -> sqlite3.Connection:
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)  # the one driver of the SQLite dialect
    return driver
