"""Reading a batch's snapshot: each record's key and row hash, and on demand whole records,
unique keys, the reference data and the number inventory."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Column, Connection, func, select

from bulkpoc.domain.parsers import PHONE_MEDIA
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.records.keys import UniqueKey
from bulkpoc.domain.records.snapshot import EMPTY_INVENTORY, Inventory, Snapshot
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from bulkpoc.store.record_tables import TABLES, table

KEYS_PER_QUERY = 900  # under SQLite's oldest limit on a statement's parameters
# Reading a few records by key beats reading the table; past this share, the table wins.
READ_ALL_SHARE = 0.1


def read_inventory(store: Store, connection: Connection) -> Inventory:
    numbers, voice, sms = [], [], []
    for chunk in store.read_column_chunks(
        schema.numbers, connection, ["phone_number", "voice", "sms"]
    ):
        numbers.append(pa.array(chunk[0], type=pa.string()))
        voice.append(np.asarray(chunk[1], dtype=bool))
        sms.append(np.asarray(chunk[2], dtype=bool))
    if not numbers:
        return EMPTY_INVENTORY
    return Inventory(pa.concat_arrays(numbers), np.concatenate(voice), np.concatenate(sms))


def load_references(
    store: Store, rtype: RecordType, connection: Connection
) -> dict[str, pd.DataFrame]:
    """The skills, scripts and chat profiles ``rtype``'s records name, indexed by name key."""
    return {
        ref: store.read_frame(TABLES[ref], connection).set_index("name_key", drop=False)
        for ref in rtype.references
    }


def load_snapshot(
    store: Store, rtype: RecordType, connection: Connection, summary: bool = False
) -> Snapshot:
    """Read the records of ``rtype`` (with ``summary``, only what every row needs; the rest
    on demand) and the reference data its rules need."""
    if summary:
        existing = store.read_frame(table(rtype), connection, [rtype.key.name, "row_hash"])
    else:
        existing = rtype.derive(store.read_frame(table(rtype), connection))
    snapshot = Snapshot(
        existing=existing.set_index(rtype.key.name, drop=False),
        refs=load_references(store, rtype, connection),
    )
    if summary:
        snapshot.load_records = partial(_read_records, store, rtype, connection, len(existing))
        snapshot.load_unique = partial(_read_unique, store, rtype, connection, len(existing))
    snapshot.load_dependents = partial(_read_dependents, connection, rtype)
    for ref in rtype.needs:
        if ref == "number":
            snapshot.load_numbers = partial(read_inventory, store, connection)
        elif ref == "poc":
            snapshot.pocs = store.read_frame(
                schema.pocs, connection, ["id", "name", "media_type", "address"]
            )
    return snapshot


def _read_unique(
    store: Store,
    rtype: RecordType,
    connection: Connection,
    stored: int,
    key: UniqueKey,
    wanted: list,
) -> pd.DataFrame:
    """The key columns of the stored records whose ``key.column`` is one of ``wanted``."""
    kept, names = table(rtype), [rtype.key.name, *key.columns]
    if not wanted or not stored:
        frame = pd.DataFrame(columns=names, dtype=object)
    elif len(wanted) > READ_ALL_SHARE * stored:
        frame = store.read_frame(kept, connection, names)
        frame = frame[frame[key.column].isin(wanted)]
    else:
        columns = [kept.c[name] for name in names]
        frame = _select_in(connection, columns, kept.c[key.column], wanted)
    return frame.set_index(rtype.key.name)[list(key.columns)]


def _select_in(connection: Connection, columns: list, column: Column, wanted: list) -> pd.DataFrame:
    """``columns`` of the rows whose ``column`` is one of ``wanted``, a few queries at most.

    The values are bound as Python scalars: SQLite binds a numpy integer (what a key column
    with a missing value yields) as a blob, which equals no ID, so the records were not found.
    """
    wanted = [value.item() if isinstance(value, np.generic) else value for value in wanted]
    rows = [
        row
        for start in range(0, len(wanted), KEYS_PER_QUERY)
        for row in connection.execute(
            select(*columns).where(column.in_(wanted[start : start + KEYS_PER_QUERY]))
        )
    ]
    return pd.DataFrame(rows, columns=[c.name for c in columns], dtype=object)


def _read_records(
    store: Store, rtype: RecordType, connection: Connection, stored: int, keys: pd.Index
) -> pd.DataFrame:
    """The stored records with these keys, with every column, indexed by key."""
    kept, key = table(rtype), rtype.key.name
    wanted = list(pd.unique(keys.dropna()))
    if len(wanted) > READ_ALL_SHARE * stored:
        frame = store.read_frame(kept, connection)
    else:
        frame = _select_in(connection, list(kept.columns), kept.c[key], wanted)
    return rtype.derive(frame).set_index(key, drop=False).reindex(wanted)


SHOWN_DEPENDENTS = 3  # names a message lists of the POCs that refer to a record


def _read_dependents(connection: Connection, rtype: RecordType, keys: pd.Index) -> pd.DataFrame:
    """For each record of ``rtype`` with one of ``keys`` that points of contact refer to
    (their skill, script or chat profile; the number they use): how many, and the first few
    names. Indexed by key; records nothing refers to are left out."""
    pocs = schema.pocs
    if rtype.name == "number":
        column, where = pocs.c.address, [pocs.c.media_type.in_(PHONE_MEDIA)]
    else:
        named = [f.name for f in RECORD_TYPES["poc"].fields if f.ref == rtype.name]
        if not named:
            return pd.DataFrame({"count": [], "names": []})
        column, where = pocs.c[named[0]], []
    wanted = [key.item() if isinstance(key, np.generic) else key for key in keys]
    counts: dict = {}
    names: dict = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start : start + KEYS_PER_QUERY]
        ranked = (
            select(
                column.label("key"),
                pocs.c.name,
                func.count().over(partition_by=column).label("count"),
                func.row_number().over(partition_by=column, order_by=pocs.c.name_key).label("rank"),
            )
            .where(column.in_(chunk), *where)
            .subquery()
        )
        query = select(ranked.c.key, ranked.c.name, ranked.c.count).where(
            ranked.c.rank <= SHOWN_DEPENDENTS
        )
        for key, name, count in connection.execute(query.order_by(ranked.c.key, ranked.c.rank)):
            counts[key] = count
            names.setdefault(key, []).append(name)
    return pd.DataFrame(
        {"count": pd.Series(counts, dtype=object), "names": pd.Series(names, dtype=object)}
    )
