"""Where each record type is kept: its table, the columns a row writes, its unique keys.

The unique keys come from the tables' unique constraints, which are the one declaration of
them: validate looks for repeats within a file, the plan checks the batch's outcome against
the store, and apply parks a key while records swap it.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, Table, UniqueConstraint, func, insert, select, text, update

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import Field, RecordType
from bulkpoc.domain.records.keys import UniqueKey
from bulkpoc.store import schema

TABLES: dict[str, Table] = {
    "poc": schema.pocs,
    "skill": schema.skills,
    "script": schema.scripts,
    "chat-profile": schema.chat_profiles,
    "number": schema.numbers,
}


def table(rtype: RecordType) -> Table:
    """The table ``rtype``'s records are kept in."""
    return TABLES[rtype.name]


def columns(rtype: RecordType) -> list[str]:
    """Table columns written from a row (the key excluded when the store assigns it)."""
    skip = {rtype.key.name} if rtype.system_key else set()
    return [
        c.name for c in table(rtype).columns if c.name not in skip and c.name != "last_modified"
    ]


def unique_keys(rtype: RecordType) -> tuple[UniqueKey, ...]:
    """``rtype``'s unique keys, each reported against the field that declares it."""
    return _UNIQUE[rtype.name]


def constraint_keys(table: Table, fields: tuple[Field, ...]) -> tuple[UniqueKey, ...]:
    """The table's unique constraints, each reported against the field that declares it."""
    reporters = {field.unique_column: field for field in fields if field.unique_column}
    constraints = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    column_sets = [tuple(c.name for c in constraint.columns) for constraint in constraints]
    column_sets += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    keys = []
    for names in column_sets:
        declared = [name for name in names if name in reporters]
        if len(declared) != 1:
            raise ValueError(
                f"Table {table.name}: one field must declare unique_column for the unique key "
                f"{names}."
            )
        keys.append(UniqueKey(names, declared[0], reporters[declared[0]].header))
    undeclared = set(reporters) - {key.column for key in keys}
    if undeclared:
        raise ValueError(f"Table {table.name} has no unique constraint on {sorted(undeclared)}.")
    order = list(reporters)  # report clashes in the order of the file's columns
    return tuple(sorted(keys, key=lambda key: order.index(key.column)))


_UNIQUE = {
    name: constraint_keys(TABLES[name], rtype.fields) for name, rtype in RECORD_TYPES.items()
}


def reserve_ids(connection: Connection, rtype: RecordType, count: int) -> np.ndarray:
    """``count`` new IDs for ``rtype``'s records, so a batch knows the IDs it creates.

    PostgreSQL takes them from the table's sequence. SQLite, whose batch holds the write
    lock, counts on from the highest ID in the table or ever handed out (``record_ids``), so an
    ID freed by an undo is not given to a new record.
    """
    records = table(rtype)
    if connection.dialect.name == "postgresql":
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": records.name}
        )
        ids = connection.execute(
            text("SELECT nextval(:sequence) FROM generate_series(1, :count)"),
            {"sequence": sequence, "count": count},
        ).scalars()
        return np.fromiter(ids, dtype=np.int64, count=count)
    counter = schema.record_ids
    highest = max(
        connection.scalar(select(func.max(records.c.id))) or 0,
        connection.scalar(select(counter.c.last_id).where(counter.c.record_type == rtype.name))
        or 0,
    )
    last = highest + count
    updated = connection.execute(
        update(counter).where(counter.c.record_type == rtype.name).values(last_id=last)
    )
    if not updated.rowcount:
        connection.execute(insert(counter).values(record_type=rtype.name, last_id=last))
    return np.arange(highest + 1, last + 1, dtype=np.int64)
