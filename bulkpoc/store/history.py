"""Finding the record a history is asked for: by its key, by its name now, or by a name it had
when a batch created or removed it (a removed record has no row left, only change records).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Table, or_, select

from bulkpoc.domain.history import whole_record
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.keys import fold
from bulkpoc.store import schema
from bulkpoc.store.changes import stored_field
from bulkpoc.store.record_tables import table

NAME = "Name"  # the column header a named record type's name is exported under
CANDIDATES = 200  # change rows read at most when looking for a removed record's name


class RecordLookups:
    """The record-finding part of ``Store``, for ``bulkpoc changes`` and the API."""

    engine: Engine

    def record_exists(self, record_type: str, key: str) -> bool:
        """Whether a record of ``record_type`` with ``key`` is in the store now."""
        records = table(RECORD_TYPES[record_type])
        column = _key_value(records, key)
        if column is None:
            return False
        query = select(records.c[_key_name(records)]).where(column)
        with self.engine.connect() as connection:
            return connection.scalar(query.limit(1)) is not None

    def record_name(self, record_type: str, key: str) -> str | None:
        """The name of the record now, or as its change records last said (removed records);
        None for numbers, which have none."""
        records = table(RECORD_TYPES[record_type])
        if "name" not in records.c:
            return None
        column = _key_value(records, key)
        with self.engine.connect() as connection:
            if column is not None:
                name = connection.scalar(select(records.c.name).where(column))
                if name is not None:
                    return str(name)
            return _recorded_name(connection, record_type, key)

    def key_of_name(self, record_type: str, name: str) -> str | None:
        """The key of the record named ``name`` now (names are unique on their folded form)."""
        records = table(RECORD_TYPES[record_type])
        query = select(records.c[_key_name(records)]).where(records.c.name_key == fold(name))
        with self.engine.connect() as connection:
            found = connection.scalar(query.limit(1))
        return None if found is None else str(found)

    def keys_once_named(self, record_type: str, name: str) -> list[str]:
        """Keys of records a batch created or removed under ``name`` (folded), newest first:
        how a removed record is found by the name it had."""
        changes = schema.changes
        wanted = fold(name)
        # A cheap filter in SQL (the name within the record's cells), the exact comparison on
        # the folded form here.
        like = f"%{_escaped(name.strip())}%"
        query = (
            select(
                changes.c.record_key,
                changes.c.action,
                stored_field(),
                changes.c.before,
                changes.c.after,
            )
            .where(
                changes.c.record_type == record_type,
                changes.c.record_key.is_not(None),
                or_(
                    (changes.c.action == "created") & changes.c.after.ilike(like, escape="\\"),
                    (changes.c.action == "removed") & changes.c.before.ilike(like, escape="\\"),
                ),
            )
            .order_by(changes.c.id.desc())
            .limit(CANDIDATES)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        keys: list[str] = []
        for key, action, headers, before, after in rows:
            named = _name_in(headers, after if action == "created" else before)
            if named is not None and fold(named) == wanted and key not in keys:
                keys.append(key)
        return keys


def _key_name(records: Table) -> str:
    return "phone_number" if "phone_number" in records.c else "id"


def _key_value(records: Table, key: str) -> Any:
    """``key`` compared with the table's key column; None when no record can have it (an id
    that is not a whole number in range)."""
    name = _key_name(records)
    if name == "id":
        if not key.isdigit() or not 0 < int(key) <= schema.MAX_ID:
            return None
        return records.c.id == int(key)
    return records.c[name] == key


def _recorded_name(connection: Connection, record_type: str, key: str) -> str | None:
    """The name the newest change record of the record gives it."""
    changes = schema.changes
    query = (
        select(changes.c.action, stored_field(), changes.c.before, changes.c.after)
        .where(
            changes.c.record_type == record_type,
            changes.c.record_key == key,
            or_(changes.c.action != "updated", changes.c.field == NAME),
        )
        .order_by(changes.c.id.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    if row.action == "updated":
        return row.after
    return _name_in(row.field, row.after if row.action == "created" else row.before)


def _name_in(headers: str | None, cells: str | None) -> str | None:
    """The Name cell of a created or removed record's change row."""
    return (whole_record(headers, cells) or {}).get(NAME)


def _escaped(text: str) -> str:
    """``text`` for a LIKE pattern, its wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
