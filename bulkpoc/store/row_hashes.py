"""Keeping stored row hashes right when a skill, script or chat profile is renamed, and filling
them for records stored before they existed (migration 0006). The hash itself is
``bulkpoc.domain.rowhash``'s."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from sqlalchemy import ColumnElement, Connection, bindparam, select

from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.rowhash import naming, record_hashes
from bulkpoc.store.record_tables import TABLES, table

CHUNK = 20_000  # hashes written per executemany


def _frame(connection: Connection, columns: list, where: ColumnElement | None) -> pd.DataFrame:
    query = select(*columns) if where is None else select(*columns).where(where)
    rows = connection.execute(query).fetchall()
    return pd.DataFrame(rows, columns=[column.name for column in columns], dtype=object)


def reference_names(connection: Connection, rtype: RecordType) -> dict[str, pd.DataFrame]:
    """The ID and name of every skill, script or chat profile ``rtype``'s rows may name."""
    tables = {ref: TABLES[ref] for ref in rtype.references}
    return {ref: _frame(connection, [t.c.id, t.c.name], None) for ref, t in tables.items()}


def refresh(connection: Connection, rtype: RecordType, where: ColumnElement | None = None) -> int:
    """Recompute the stored row hash of ``rtype``'s records (those ``where`` selects)."""
    kept, key = table(rtype), rtype.key.name
    names = [key, *(field.name for field in rtype.fields)]
    if rtype.has_last_modified:
        names.append("last_modified")
    records = _frame(connection, [kept.c[name] for name in names], where)
    if records.empty:
        return 0
    hashes = record_hashes(rtype, reference_names(connection, rtype), records)
    statement = kept.update().where(kept.c[key] == bindparam("key")).values(row_hash=bindparam("h"))
    for chunk in _chunks(records[key].tolist(), hashes.tolist()):
        connection.execute(statement, chunk)
    return len(records)


def _chunks(keys: list, hashes: list[int]) -> Iterator[list[dict]]:
    for start in range(0, len(keys), CHUNK):
        yield [
            {"key": k, "h": h}
            for k, h in zip(keys[start : start + CHUNK], hashes[start : start + CHUNK], strict=True)
        ]


def refresh_renamed(connection: Connection, rtype: RecordType, renamed: list[int]) -> None:
    """Records that name a renamed skill, script or chat profile export another row now."""
    if not renamed:
        return
    for dependent, column in naming(rtype):
        refresh(connection, dependent, table(dependent).c[column].in_(renamed))
