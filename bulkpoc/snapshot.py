"""What the rules need to know about the store, loaded once per batch as DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection

from bulkpoc.records.base import RecordType
from bulkpoc.store import schema
from bulkpoc.store.db import Store

REFERENCE_TABLES = {
    "skill": schema.skills,
    "script": schema.scripts,
    "chat_profile": schema.chat_profiles,
}


@dataclass
class Snapshot:
    existing: pd.DataFrame  # records of the type being imported, indexed by key
    refs: dict[str, pd.DataFrame] = field(default_factory=dict)  # by ref name, index name_key
    numbers: pd.DataFrame = field(default_factory=pd.DataFrame)  # index phone_number
    pocs: pd.DataFrame = field(default_factory=pd.DataFrame)  # for rules on other types


def load_snapshot(store: Store, rtype: RecordType, connection: Connection) -> Snapshot:
    """Read the records of ``rtype`` and the reference data its rules need."""
    existing = rtype.derive(store.read_frame(rtype.table, connection)).set_index(
        rtype.key.name, drop=False
    )
    snapshot = Snapshot(existing=existing)
    for ref in rtype.needs:
        if ref in REFERENCE_TABLES:
            frame = store.read_frame(REFERENCE_TABLES[ref], connection)
            snapshot.refs[ref] = frame.set_index("name_key", drop=False)
        elif ref == "number":
            snapshot.numbers = store.read_frame(schema.numbers, connection).set_index(
                "phone_number"
            )
        elif ref == "poc":
            snapshot.pocs = store.read_frame(schema.pocs, connection)
    return snapshot
