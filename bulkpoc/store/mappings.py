"""Column mappings saved by name (``bulkpoc mappings``, the API, schedules, the web upload).

The TOML is kept as the person wrote it (with its comments); the record type and the headers
the mapping was made for are kept beside it, the headers also as a key that finds, at once,
the saved mapping of a file with the same headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from bulkpoc.domain.errors.types import UnknownMapping
from bulkpoc.domain.mapping import ColumnMapping, SavedMapping, check_name, headers_key
from bulkpoc.domain.storable import storable
from bulkpoc.store import schema
from bulkpoc.store.batches import utcnow


def unknown(name: str) -> UnknownMapping:
    return UnknownMapping(
        f"There is no mapping named {name!r}; `bulkpoc mappings list` shows the saved ones."
    )


class MappingBook:
    """The column mappings part of ``Store``."""

    engine: Engine
    _write_when_free: Callable[..., Any]

    def save_mapping(
        self, name: str, mapping: ColumnMapping, user: str, toml: str | None = None
    ) -> tuple[SavedMapping, bool]:
        """Keep ``mapping`` under ``name`` (replacing one of that name); ``toml`` is its text as
        written, when it was written by hand. True when the name is new."""
        name = check_name(name)
        table = schema.mappings
        values = {
            "record_type": mapping.record_type,
            "toml": toml if toml is not None else mapping.to_toml(),
            "headers": list(mapping.headers),
            "headers_key": headers_key(mapping.headers),
            "saved_by": user,
            "saved_at": utcnow(),
        }

        def save(connection: Connection) -> bool:
            update = table.update().where(table.c.name == name).values(**values)
            if connection.execute(update).rowcount:
                return False
            connection.execute(insert(table).values(name=name, **values))
            return True

        created = bool(self._write_when_free(save, None))
        return self.get_mapping(name), created

    def mappings(self, record_type: str | None = None) -> list[SavedMapping]:
        """Every saved mapping (of ``record_type``), by name."""
        table = schema.mappings
        query = select(table).order_by(table.c.name)
        if record_type is not None:
            query = query.where(table.c.record_type == record_type)
        with self.engine.connect() as connection:
            return [_saved(row._mapping) for row in connection.execute(query)]

    def find_mapping(self, name: str) -> SavedMapping | None:
        """The mapping saved as ``name``, or None."""
        if not storable(name):
            return None
        table = schema.mappings
        with self.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.name == name.strip())).first()
        return _saved(row._mapping) if row is not None else None

    def get_mapping(self, name: str) -> SavedMapping:
        """The mapping saved as ``name``; ``UnknownMapping`` (one sentence) if there is none."""
        found = self.find_mapping(name)
        if found is None:
            raise unknown(name)
        return found

    def remove_mapping(self, name: str) -> None:
        """Forget a mapping. Batches that ran with it keep their own copy of it; a schedule
        that names it fails its next file with one sentence."""
        table = schema.mappings

        def remove(connection: Connection) -> int:
            query = delete(table).where(table.c.name == name.strip())
            return int(connection.execute(query).rowcount)

        if not self._write_when_free(remove, None):
            raise unknown(name)

    def mapping_for_headers(
        self, record_type: str, headers: list[str] | tuple[str, ...]
    ) -> SavedMapping | None:
        """The saved mapping of ``record_type`` made for exactly these headers (compared
        ignoring case and spaces, in order), the latest saved if several; None if none."""
        key = headers_key(headers)
        if key is None or not storable(key):
            return None
        table = schema.mappings
        query = (
            select(table)
            .where(table.c.headers_key == key, table.c.record_type == record_type)
            .order_by(table.c.saved_at.desc(), table.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _saved(row._mapping) if row is not None else None


def _saved(row: Any) -> SavedMapping:
    mapping = ColumnMapping.from_toml(row["toml"], row["record_type"])
    mapping = mapping.model_copy(update={"headers": tuple(row["headers"] or ())})
    return SavedMapping(row["name"], mapping, row["toml"], row["saved_by"], row["saved_at"])
