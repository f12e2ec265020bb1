"""Record history and a batch's changes, for ``bulkpoc changes`` and the API alike; and
retention, for ``bulkpoc changes prune`` and the scheduler's daily pass.

It finds the record asked for (by its key, its name now, or a name it had when a batch created
or removed it), reads one page of its change records from the store, and says in one sentence
when there is nothing to find. It knows nothing of HTTP or the command line.
"""

from __future__ import annotations

import datetime as dt
import logging

from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import BulkpocError, StoreBusy
from bulkpoc.domain.history import (
    DEFAULT_PAGE,
    Action,
    BatchChanges,
    Change,
    PruneCounts,
    RecordChange,
    RecordHistory,
    pruned_reason,
)
from bulkpoc.domain.records.base import RecordType
from bulkpoc.store.batches import Waiting
from bulkpoc.store.db import Store

log = logging.getLogger("bulkpoc.retention")
RETENTION_PATIENCE = 5.0  # seconds the daily pass waits for a busy store before trying later


class NotFound(BulkpocError):
    """The batch or record asked for does not exist, now or in any change record."""

    code = "not_found"


class NoName(BulkpocError):
    """A record type without names (numbers) was asked for by name."""

    code = "no_name"


def batch_changes(
    store: Store,
    batch_id: int,
    field: str | None = None,
    action: Action | None = None,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
) -> BatchChanges:
    """A page of batch ``batch_id``'s changes (only ``field``'s, only ``action``'s)."""
    batch = store.batch(batch_id)
    if batch is None:
        raise NotFound(f"There is no batch {batch_id}.")
    rows, total = store.batch_changes(
        batch_id, field=field, action=action, offset=offset, limit=limit
    )
    pruned_at = batch.get("changes_pruned_at")
    return BatchChanges(
        batch_id=batch_id,
        record_type=batch["record_type"],
        dry_run=bool((batch["options"] or {}).get("dry_run")),
        pruned=(
            pruned_reason(pruned_at, batch.get("changes_retention_days")).capitalize() + "."
            if pruned_at is not None
            else None
        ),
        total=total,
        offset=offset,
        limit=limit,
        changes=[Change.of(row) for row in rows],
    )


def find_key(
    store: Store,
    rtype: RecordType,
    key: str | None = None,
    name: str | None = None,
    region: str = "US",
) -> tuple[str, list[str]]:
    """The key of the record asked for by ``key`` or ``name``, and the keys of other removed
    records that had that name (newest first). ``NotFound`` in one sentence when neither the
    store nor any change record has it."""
    label = rtype.label.lower()
    if name is not None:
        if "Name" not in {field.header for field in rtype.fields}:
            raise NoName(f"{rtype.plural} have no name; give the {rtype.key.header.lower()}.")
        current = store.key_of_name(rtype.name, name)
        once = [k for k in store.keys_once_named(rtype.name, name) if k != current]
        if current is not None:
            return current, once
        if once:
            return once[0], once[1:]
        raise NotFound(f"No {label} is named {name!r}, now or in any change record.")
    assert key is not None, "a key or a name"
    key = key.strip()
    for candidate in _spellings(rtype, key, region):
        if (
            store.record_exists(rtype.name, candidate)
            or store.record_changes(rtype.name, candidate, offset=0, limit=1)[1]
        ):
            return candidate, []
    raise NotFound(
        f"There is no {label} with {rtype.key.header} {key!r}, now or in any change record."
    )


def record_history(
    store: Store,
    rtype: RecordType,
    key: str | None = None,
    name: str | None = None,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
    region: str = "US",
) -> RecordHistory:
    """A page of the changes made to one record, oldest first, with the batch of each."""
    found, others = find_key(store, rtype, key, name, region)
    rows, total = store.record_changes(rtype.name, found, offset=offset, limit=limit)
    return RecordHistory(
        record_type=rtype.name,
        record_key=found,
        name=store.record_name(rtype.name, found),
        exists=store.record_exists(rtype.name, found),
        others=others,
        total=total,
        offset=offset,
        limit=limit,
        changes=[RecordChange.of(row) for row in rows],
    )


def _spellings(rtype: RecordType, key: str, region: str) -> list[str]:
    """The keys ``key`` may stand for: as typed, and a phone number in E.164 form."""
    if rtype.key.kind != "phone":
        return [key]
    import pandas as pd

    from bulkpoc.domain.parsers import parse_phone

    parsed = parse_phone(pd.Series([key]), rtype.key.header, region).values.iloc[0]
    return list(dict.fromkeys([key, *([parsed] if isinstance(parsed, str) else [])]))


# --- retention -----------------------------------------------------------------------------


def prune(store: Store, days: int, now: dt.datetime | None = None) -> PruneCounts:
    """Remove the change records of batches finished more than ``days`` days ago."""
    return store.prune_changes(days, now)


def apply_retention(
    store: Store, settings: Settings, now: dt.datetime | None = None
) -> PruneCounts | None:
    """The scheduler's daily pass: prune by ``settings.changes_retention_days``, once a day
    whichever scheduler gets there first; None when unset, already done today, or the store
    stayed busy (the next pass tries again)."""
    days = settings.changes_retention_days
    if days is None:
        return None
    try:
        counts = store.prune_changes_daily(days, now, Waiting(RETENTION_PATIENCE))
    except StoreBusy:
        return None
    if counts is not None:
        log.info("Retention (%s days): %s", days, counts.sentence())
    return counts
