"""Bulk writes inside the caller's transaction (whole-table reads: ``column_reads``).

A write takes its rows a chunk at a time: a list of plain tuples, or a DataFrame whose
columns are the statement's. SQLite takes each chunk through the driver's ``executemany``.
On PostgreSQL that is one round of parsing and planning per row, so rows are streamed with
``COPY`` instead: new rows straight into their table, changes into a temporary table that
``UPDATE ... FROM`` applies. A DataFrame goes as CSV that pyarrow writes a column at a time
(a Python call per row cost more than the server's work), and each chunk is written by a
worker thread while the caller makes the next one: the server's own work on a chunk (its
index entries and foreign-key checks) then overlaps with the client's on the next, on two
cores. All of it runs on the SQLAlchemy connection's own driver connection, so it belongs to
its transaction, and the driver's errors come back as SQLAlchemy's, as from any other
statement.
"""

from __future__ import annotations

import datetime as dt
import numbers
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from itertools import chain
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv
from sqlalchemy import Connection, Table, bindparam, func, literal
from sqlalchemy import insert as insert_statement
from sqlalchemy.exc import DBAPIError

Rows: TypeAlias = list[tuple] | pd.DataFrame
# A chunk, or a chunk and the rows it adds to a side table (a batch's change records), which
# are written right after it, in the same stream.
Chunks = Iterable[Rows | tuple[Rows, pd.DataFrame]]
ROWS_PER_STATEMENT = 200
DELETE_CHUNK = 900  # keys a DELETE names: under SQLite's oldest limit on a statement's parameters


class Side(NamedTuple):
    """A table that every chunk of a write may add rows to, holding ``columns``."""

    table: Table
    columns: list[str]


def insert(
    connection: Connection,
    table: Table,
    columns: list[str],
    chunks: Chunks,
    side: Side | None = None,
) -> None:
    """Insert rows holding ``columns``' values, in that order (and each chunk's ``side`` rows)."""
    if uses_copy(connection):
        copy = _copy_statement(connection, table, columns)
        _stream(connection, table, chunks, lambda cursor, rows: _copy_in(cursor, copy, rows), side)
        return
    for rows, extra in _split(chunks):
        _insert_many(connection, table, columns, rows)
        _insert_side(connection, side, extra)


def _copy_statement(connection: Connection, table: Table, columns: list[str]) -> str:
    names = ", ".join(_quote(connection, name) for name in columns)
    return f"COPY {_quote(connection, table.name)} ({names}) FROM STDIN"


def _insert_statement(
    connection: Connection,
    table: Table,
    columns: list[str],
    fixed: dict[int, object] | None = None,
    rows: int = 1,
) -> str:
    """An INSERT of ``rows`` rows of ``columns``, each a parameter but those ``fixed`` gives a
    value to (by position)."""
    fixed = fixed or {}
    names = ", ".join(_quote(connection, name) for name in columns)
    marks = ", ".join(
        _literal(connection, fixed[i]) if i in fixed else _mark(connection)
        for i in range(len(columns))
    )
    values = ", ".join([f"({marks})"] * rows)
    return f"INSERT INTO {_quote(connection, table.name)} ({names}) VALUES {values}"


def _literal(connection: Connection, value: object) -> str:
    return str(
        literal(value).compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    )


def _split(chunks: Chunks) -> Iterator[tuple[Rows, pd.DataFrame | None]]:
    for chunk in chunks:
        yield chunk if isinstance(chunk, tuple) else (chunk, None)


def _insert_side(connection: Connection, side: Side | None, rows: pd.DataFrame | None) -> None:
    if side is not None and rows is not None and len(rows):
        # Many rows a statement: a change row's few values cost SQLite less than its step,
        # reset and row loop, which then run once a statement (a record's many indexes cost
        # more than those, and there many rows a statement was slower).
        _insert_many(connection, side.table, side.columns, rows[side.columns], many=True)


def _insert_many(
    connection: Connection, table: Table, columns: list[str], rows: Rows, many: bool = False
) -> None:
    """``executemany`` of an INSERT, adding ``many`` rows a statement or one. A frame's values
    that are the same on every row (a batch's id, its record type, an action, a Last Modified)
    are written into the statement once: binding fewer values per row costs the driver less."""
    fixed: dict[int, object] = {}
    if isinstance(rows, pd.DataFrame):
        fixed = _constants(rows)
        if len(fixed) == rows.shape[1]:
            fixed.pop(max(fixed))  # one value a row still bound, so that there is a row to bind
        rows = rows.iloc[:, [i for i in range(rows.shape[1]) if i not in fixed]]
    tuples = _tuples(rows)
    if not tuples:
        return
    bound = len(columns) - len(fixed)
    per_statement = _rows_per_statement(connection, bound) if many else 1
    if per_statement == 1:
        connection.exec_driver_sql(_insert_statement(connection, table, columns, fixed), tuples)
        return
    values = list(chain.from_iterable(tuples))  # the rows' values end to end
    size = per_statement * bound
    grouped = len(tuples) // per_statement * size  # the values of the full statements
    if grouped:
        statement = _insert_statement(connection, table, columns, fixed, per_statement)
        groups = [tuple(values[start : start + size]) for start in range(0, grouped, size)]
        connection.exec_driver_sql(statement, groups)
    if grouped < len(values):
        rest = (len(values) - grouped) // bound
        statement = _insert_statement(connection, table, columns, fixed, rest)
        connection.exec_driver_sql(statement, [tuple(values[grouped:])])


def _rows_per_statement(connection: Connection, bound: int) -> int:
    """How many rows one INSERT adds: a few hundred (more gains nothing), within the
    driver's limit on a statement's parameters."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)  # PostgreSQL writes with COPY
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(ROWS_PER_STATEMENT, limit // max(bound, 1)))


def _constants(frame: pd.DataFrame) -> dict[int, object]:
    """The columns of ``frame`` (by position) holding one value, or only missing ones, with
    that value: whole numbers and text only, which a statement can spell. A column whose
    first and last values differ is passed over at once (most columns of most chunks)."""
    fixed: dict[int, object] = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        first, last = column.iloc[0], column.iloc[-1]
        if pd.isna(first):
            if pd.isna(last) and column.isna().all():
                fixed[position] = None
            continue
        whole = isinstance(first, numbers.Integral) and not isinstance(first, (bool, np.bool_))
        text = isinstance(first, str) and "\x00" not in first
        if (whole or text) and last == first and (column == first).all():
            fixed[position] = int(first) if whole else str(first)
    return fixed


def update(
    connection: Connection,
    table: Table,
    key: str,
    columns: list[str],
    chunks: Chunks,
    side: Side | None = None,
) -> None:
    """Set ``columns`` of the records named by ``key``: each row holds the new values, in
    ``columns``' order, and the key last (and add each chunk's ``side`` rows)."""
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
        copy = f"COPY {changes} ({listed}) FROM STDIN"
        assignments = ", ".join(f"{c} = changes.{c}" for c in quoted)
        apply = (
            f"UPDATE {name} SET {assignments} FROM {changes} AS changes "
            f"WHERE {name}.{where} = changes.{where}"
        )

        def write(cursor: Any, rows: list[tuple] | memoryview) -> None:
            _copy_in(cursor, copy, rows)
            cursor.execute(apply)
            cursor.execute(f"TRUNCATE {changes}")

        _stream(connection, table, chunks, write, side)
        connection.exec_driver_sql(f"DROP TABLE {changes}")
        return
    mark = _mark(connection)
    assignments = ", ".join(f"{c} = {mark}" for c in quoted)
    statement = f"UPDATE {name} SET {assignments} WHERE {where} = {mark}"
    for rows, extra in _split(chunks):
        connection.exec_driver_sql(statement, _tuples(rows))
        _insert_side(connection, side, extra)


def delete(connection: Connection, table: Table, key: str, keys: list) -> None:
    """Delete the records whose ``key`` is one of ``keys``, a few hundred a statement."""
    column = table.c[key]
    for start in range(0, len(keys), DELETE_CHUNK):
        connection.execute(table.delete().where(column.in_(keys[start : start + DELETE_CHUNK])))


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
    assert isinstance(driver, sqlite3.Connection)  # the one driver of the SQLite dialect
    with driver.blobopen(table.name, "content", row) as blob:
        blob.write(content)


def uses_copy(connection: Connection) -> bool:
    """True on PostgreSQL, whose bulk path is COPY."""
    return connection.dialect.name == "postgresql"


Write = Callable[[Any, "list[tuple] | memoryview"], None]


def _stream(
    connection: Connection, table: Table, chunks: Chunks, write: Write, side: Side | None = None
) -> None:
    """``write(cursor, rows)`` for each chunk in turn, in a worker thread, while this thread
    makes the next chunk (and turns a DataFrame into CSV: pyarrow lets go of the GIL for
    that, psycopg while it waits for the server). One chunk is written at a time, then its
    ``side`` rows; an error stops the stream, and the worker has finished before the caller
    can roll back."""
    side_copy = _copy_statement(connection, side.table, side.columns) if side else ""

    def write_both(cursor: Any, rows: list[tuple] | memoryview, extra: memoryview | None) -> None:
        write(cursor, rows)
        if extra is not None:
            _copy_in(cursor, side_copy, extra)

    with (
        driver_cursor(connection, f"COPY {table.name}") as cursor,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulkpoc-write") as worker,
    ):
        writing: Future | None = None
        for chunk, extra in _split(chunks):
            rows = chunk if isinstance(chunk, list) else _csv(table, chunk)
            extra_csv = (
                _csv(side.table, extra[side.columns])
                if side is not None and extra is not None and len(extra)
                else None
            )
            if writing is not None:
                writing.result()
            writing = worker.submit(write_both, cursor, rows, extra_csv)
        if writing is not None:
            writing.result()


def _copy_in(cursor: Any, statement: str, rows: list[tuple] | memoryview) -> None:
    if not isinstance(rows, list):
        with cursor.copy(f"{statement} (FORMAT csv, ENCODING 'UTF8')") as copy:
            copy.write(rows)
        return
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _csv(table: Table, frame: pd.DataFrame) -> memoryview:
    """``frame``'s rows as CSV for COPY, typed as ``table``'s columns of the same names: a NULL
    is an empty field, every text is quoted, so an empty text is ``""``."""
    kinds = {bool: pa.bool_(), int: pa.int64(), dt.datetime: pa.timestamp("us")}
    arrays = [
        pa.array(
            frame[name],
            type=kinds.get(table.c[name].type.python_type, pa.string()),
            from_pandas=True,
        )
        for name in frame.columns
    ]
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(
        pa.table(arrays, names=list(frame.columns)),
        sink,
        pa_csv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    return memoryview(sink.getvalue())


def _tuples(rows: list[tuple] | pd.DataFrame) -> list[tuple]:
    """A chunk as plain tuples of Python values (None for missing), as DB-API drivers want."""
    if isinstance(rows, list):
        return rows
    columns = [_python_column(rows[name]) for name in rows.columns]
    return list(zip(*columns, strict=True))


def _python_column(values: pd.Series) -> list:
    if values.dtype == bool or not values.hasnans:
        return values.astype(object).tolist()
    return values.astype(object).where(values.notna(), None).tolist()


@contextmanager
def driver_cursor(connection: Connection, statement: str) -> Iterator[Any]:
    """A cursor of the connection's driver connection, whose errors are raised as SQLAlchemy
    raises them (an IntegrityError for a broken constraint)."""
    import psycopg  # PostgreSQL only: a SQLite store needs no driver of ours

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
