"""What the rules need to know about the store, loaded once per batch as DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pandas as pd
from sqlalchemy import Connection

from bulkpoc.records import RECORD_TYPES
from bulkpoc.records.base import RecordType
from bulkpoc.store import schema
from bulkpoc.store.db import Store


@dataclass
class Snapshot:
    existing: pd.DataFrame  # records of the type being imported, indexed by key
    refs: dict[str, pd.DataFrame] = field(default_factory=dict)  # by ref name, index name_key
    pocs: pd.DataFrame = field(default_factory=pd.DataFrame)  # for rules on other types
    # The inventory is read on first use: a re-upload of unchanged POCs never needs it.
    load_numbers: Callable[[], pd.DataFrame] | None = None
    _numbers: pd.DataFrame | None = None

    @property
    def numbers(self) -> pd.DataFrame:
        """The number inventory, indexed by E.164 number."""
        if self._numbers is None:
            loaded = self.load_numbers() if self.load_numbers else pd.DataFrame()
            self._numbers = loaded.set_index("phone_number") if len(loaded.columns) else loaded
        return self._numbers


def load_references(
    store: Store, rtype: RecordType, connection: Connection
) -> dict[str, pd.DataFrame]:
    """The skills, scripts and chat profiles ``rtype``'s records name, indexed by name key."""
    return {
        ref: store.read_frame(RECORD_TYPES[ref].table, connection).set_index("name_key", drop=False)
        for ref in rtype.references
    }


def load_snapshot(store: Store, rtype: RecordType, connection: Connection) -> Snapshot:
    """Read the records of ``rtype`` and the reference data its rules need."""
    existing = rtype.derive(store.read_frame(rtype.table, connection)).set_index(
        rtype.key.name, drop=False
    )
    snapshot = Snapshot(existing=existing, refs=load_references(store, rtype, connection))
    for ref in rtype.needs:
        if ref == "number":
            snapshot.load_numbers = partial(
                store.read_frame, schema.numbers, connection, ["phone_number", "voice", "sms"]
            )
        elif ref == "poc":
            snapshot.pocs = store.read_frame(
                schema.pocs, connection, ["id", "name", "media_type", "address"]
            )
    return snapshot
