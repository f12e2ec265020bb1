"""Helpers for the history and retention tests: batches finished when a test says, and change
records written as a batch writes them (bulkpoc.store.changes), for what an upload cannot
easily make: thousands of changes, a removed record, a batch of long ago."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import insert

from bulkpoc.domain.changes import joined
from bulkpoc.store import schema
from bulkpoc.store.db import Store, utcnow


def a_batch(
    store: Store,
    finished_at: dt.datetime | None = None,
    content: bytes | None = None,
    status: str = "succeeded",
    record_type: str = "poc",
    dry_run: bool = False,
    file_name: str = "pocs.csv",
) -> int:
    """A finished batch in the run history, its file kept, finished at ``finished_at``."""
    content = content if content is not None else f"{utcnow()}".encode()
    batch_id = store.submit_batch(
        content=content,
        status="running",
        record_type=record_type,
        file_name=file_name,
        checksum=hashlib.sha256(content).hexdigest(),
        source="cli",
        user_name="admin",
        options={"dry_run": dry_run},
    )
    store.update_batch(batch_id, status=status, finished_at=finished_at or utcnow())
    return batch_id


def created(key: str, **values: str) -> dict:
    """A created record's change: its headers in ``field``, its cells after."""
    headers, cells = _row(values)
    return {"record_key": key, "action": "created", "field": headers, "after": cells}


def removed(key: str, **values: str) -> dict:
    """A removed record's change: its headers in ``field``, its cells before."""
    headers, cells = _row(values)
    return {"record_key": key, "action": "removed", "field": headers, "before": cells}


def updated(key: str, field: str, before: str, after: str) -> dict:
    return {
        "record_key": key,
        "action": "updated",
        "field": field,
        "before": before,
        "after": after,
    }


def write_changes(store: Store, batch_id: int, changes: list[dict], record_type: str = "poc"):
    """Write ``changes`` as batch ``batch_id``'s change records, a file row each from 2."""
    rows = [
        {
            "batch_id": batch_id,
            "row": number,
            "record_type": record_type,
            "field": None,
            "before": None,
            "after": None,
            **change,
        }
        for number, change in enumerate(changes, start=2)
    ]
    with store.transaction() as connection:
        connection.execute(insert(schema.changes), rows)


def _row(values: dict[str, str]) -> tuple[str, str]:
    """The headers and the cells of a whole record, joined as a change row keeps them."""
    return joined([key.replace("_", " ") for key in values]), joined(list(values.values()))
