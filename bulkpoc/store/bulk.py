"""Bulk writes of plain tuples inside the caller's transaction, and PostgreSQL's bulk reads.

SQLite takes chunks of rows through the driver's ``executemany``. On PostgreSQL that is one
round of parsing and planning per row, so rows are streamed with ``COPY`` instead: new rows
straight into their table, changes into a temporary table that one ``UPDATE ... FROM``
applies. Whole tables are read with ``COPY ... TO STDOUT`` as CSV, which pyarrow parses into
columns: a Python tuple per record cost more than the query. All of it runs on the SQLAlchemy
connection's own driver connection, so it belongs to its transaction, and the driver's errors
come back as SQLAlchemy's, as from any other statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, Table, bindparam, func
from sqlalchemy import insert as insert_statement
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    import pandas as pd

Chunks = Iterable[list[tuple]]


def insert(connection: Connection, table: Table, columns: list[str], chunks: Chunks) -> None:
    """Insert rows holding ``columns``' values, in that order."""
    names = ", ".join(_quote(connection, name) for name in columns)
    if uses_copy(connection):
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
    if uses_copy(connection):
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


def insert_file(
    connection: Connection, table: Table, values: dict[str, Any], content: bytes
) -> None:
    """Insert a row of ``values`` whose ``content`` column holds a file's bytes (an upload may
    be a hundred megabytes), leaving no copy of them behind once written.

    The bytes are an execution parameter: a value given in the statement would stay in
    SQLAlchemy's statement cache with it. SQLite keeps the last values bound to each of its
    cached statements, a copy of the bytes until the next insert: there the row gets a zero
    blob of their size, which the bytes are then written into.
    """
    if connection.dialect.name != "sqlite":
        connection.execute(insert_statement(table), {**values, "content": content})
        return
    statement = insert_statement(table).values(content=func.zeroblob(bindparam("content_size")))
    row = connection.execute(statement, {**values, "content_size": len(content)}).lastrowid
    driver = connection.connection.driver_connection
    with driver.blobopen(table.name, "content", row) as blob:
        blob.write(content)


def uses_copy(connection: Connection) -> bool:
    """True on PostgreSQL, whose bulk path is COPY."""
    return connection.dialect.name == "postgresql"


def read(connection: Connection, table: Table, columns: list[Column]) -> pd.DataFrame:
    """``columns`` of every record of ``table`` (PostgreSQL only), typed as ``Store.read_frame``
    types them: booleans as bool, integers as Int64, times as datetime64, text as str objects.

    In CSV, NULL is an unquoted empty field and an empty string a quoted one, which pyarrow
    tells apart; times are formatted in the query, so the server's DateStyle does not matter.
    """
    import pandas as pd
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    kinds = {bool: pa.bool_(), int: pa.int64(), dt.datetime: pa.timestamp("us")}
    types = {c.name: kinds.get(c.type.python_type, pa.string()) for c in columns}
    selected = ", ".join(
        f"to_char({_quote(connection, c.name)}, 'YYYY-MM-DD HH24:MI:SS.US')"
        if c.type.python_type is dt.datetime
        else _quote(connection, c.name)
        for c in columns
    )
    query = f"SELECT {selected} FROM {_quote(connection, table.name)}"
    statement = f"COPY ({query}) TO STDOUT (FORMAT CSV)"
    with _driver_cursor(connection, statement) as cursor:
        with cursor.copy(statement) as copy:
            data = b"".join(copy)
        encoding = cursor.connection.info.encoding
    if not data:
        arrow = pa.table({name: pa.array([], type=kind) for name, kind in types.items()})
    else:
        arrow = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=list(types), encoding=encoding),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )
    frame = pd.DataFrame(index=pd.RangeIndex(arrow.num_rows))
    for name, kind in types.items():
        values = arrow.column(name)
        if kind == pa.int64():
            frame[name] = values.to_pandas(types_mapper={kind: pd.Int64Dtype()}.get)
        elif kind == pa.bool_():
            frame[name] = values.fill_null(False).to_numpy()
        elif kind == pa.string():
            frame[name] = pd.Series(values.to_numpy(zero_copy_only=False), dtype=object)
        else:
            frame[name] = values.to_numpy()
    return frame


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
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error
    finally:
        cursor.close()


def _mark(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)
