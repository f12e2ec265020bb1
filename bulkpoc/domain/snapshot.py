"""What the rules need to know about the store, loaded once per batch as DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Column, Connection, select

from bulkpoc.domain.parsers import index_in
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType, UniqueKey
from bulkpoc.store import schema
from bulkpoc.store.db import Store

KEYS_PER_QUERY = 900  # under SQLite's oldest limit on a statement's parameters
# Reading a few records by key beats reading the table; past this share, the table wins.
READ_ALL_SHARE = 0.1


@dataclass(frozen=True)
class Inventory:
    """The number inventory: each number's E.164 text as Arrow, its capabilities as arrays.

    A Python string per number, in a DataFrame's index with its hash table, was about a
    hundred megabytes of a million-row batch; this is a tenth of that.
    """

    numbers: pa.Array
    voice: np.ndarray
    sms: np.ndarray

    def find(self, values: pd.Series) -> np.ndarray:
        """Each value's position in the inventory, -1 where it holds none."""
        return index_in(values, self.numbers)


EMPTY_INVENTORY = Inventory(pa.array([], type=pa.string()), np.zeros(0, bool), np.zeros(0, bool))


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


@dataclass
class Snapshot:
    # Records of the type being imported, indexed by key. For a batch: only the key and the
    # row hash of each; ``records`` and ``unique_values`` read the others where needed.
    existing: pd.DataFrame
    refs: dict[str, pd.DataFrame] = field(default_factory=dict)  # by ref name, index name_key
    pocs: pd.DataFrame = field(default_factory=pd.DataFrame)  # for rules on other types
    # The inventory is read on first use: a re-upload of unchanged POCs never needs it.
    load_numbers: Callable[[], Inventory] | None = None
    _numbers: Inventory | None = None
    load_records: Callable[[pd.Index], pd.DataFrame] | None = None
    load_unique: Callable[[UniqueKey, list], pd.DataFrame] | None = None

    @property
    def numbers(self) -> Inventory:
        """The number inventory (empty unless the record type needs it)."""
        if self._numbers is None:
            self._numbers = self.load_numbers() if self.load_numbers else EMPTY_INVENTORY
        return self._numbers

    def records(self, keys: pd.Index) -> pd.DataFrame:
        """Every stored value of the records with these keys, indexed by key."""
        if self.load_records is None:
            return self.existing.reindex(keys)
        return self.load_records(keys)

    def unique_values(self, key: UniqueKey, rows: pd.DataFrame) -> pd.DataFrame:
        """The stored records that may hold a value ``rows`` give ``key`` (all that hold one):
        their ``key`` columns, indexed by record key."""
        wanted = list(pd.unique(rows[key.column].dropna()))
        if self.load_unique is None:
            existing = self.existing
            return existing.loc[existing[key.column].isin(wanted), list(key.columns)]
        return self.load_unique(key, wanted)


def load_references(
    store: Store, rtype: RecordType, connection: Connection
) -> dict[str, pd.DataFrame]:
    """The skills, scripts and chat profiles ``rtype``'s records name, indexed by name key."""
    return {
        ref: store.read_frame(RECORD_TYPES[ref].table, connection).set_index("name_key", drop=False)
        for ref in rtype.references
    }


def load_snapshot(
    store: Store, rtype: RecordType, connection: Connection, summary: bool = False
) -> Snapshot:
    """Read the records of ``rtype`` (with ``summary``, only what every row needs; the rest
    on demand) and the reference data its rules need."""
    if summary:
        existing = store.read_frame(rtype.table, connection, [rtype.key.name, "row_hash"])
    else:
        existing = rtype.derive(store.read_frame(rtype.table, connection))
    snapshot = Snapshot(
        existing=existing.set_index(rtype.key.name, drop=False),
        refs=load_references(store, rtype, connection),
    )
    if summary:
        snapshot.load_records = partial(_read_records, store, rtype, connection, len(existing))
        snapshot.load_unique = partial(_read_unique, store, rtype, connection, len(existing))
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
    table, names = rtype.table, [rtype.key.name, *key.columns]
    if not wanted or not stored:
        frame = pd.DataFrame(columns=names, dtype=object)
    elif len(wanted) > READ_ALL_SHARE * stored:
        frame = store.read_frame(table, connection, names)
        frame = frame[frame[key.column].isin(wanted)]
    else:
        columns = [table.c[name] for name in names]
        frame = _select_in(connection, columns, table.c[key.column], wanted)
    return frame.set_index(rtype.key.name)[list(key.columns)]


def _select_in(connection: Connection, columns: list, column: Column, wanted: list) -> pd.DataFrame:
    """``columns`` of the rows whose ``column`` is one of ``wanted``, a few queries at most."""
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
    table, key = rtype.table, rtype.key.name
    wanted = list(pd.unique(keys.dropna()))
    if len(wanted) > READ_ALL_SHARE * stored:
        frame = store.read_frame(table, connection)
    else:
        frame = _select_in(connection, list(table.columns), table.c[key], wanted)
    return rtype.derive(frame).set_index(key, drop=False).reindex(wanted)
