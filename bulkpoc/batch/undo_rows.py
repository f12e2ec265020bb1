"""An undo's rows: built from the undone batch's change records and the store as it is now.

Each record the batch touched becomes one row, numbered 2.. in the order of its change
records, holding the record's current exported cells:

- a record it updated, with each field it changed set back to the text before; a field whose
  current text is no longer what the batch left (someone changed it since) is a conflict,
  reported with the current and the before value, and the row is left as it is (with Force,
  it is set back anyway);
- a record it created, as it is now, to be removed (``Sheet.removing``); changed since it was
  created, it is a conflict as above;
- a record it removed (the batch was an undo), with the values it had, to be created again
  with its old key where that is free (``Sheet.restoring``).

The rows then go through the same validate, plan and apply as a file's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection

from bulkpoc.domain.changes import CREATED, REMOVED, UPDATED, record_values
from bulkpoc.domain.errors.codes import (
    ALREADY_UNDONE,
    CREATED_CHANGED,
    NOTHING_TO_UNDO,
    RECORD_GONE,
    UNDO_CONFLICT,
    UNDO_UNAVAILABLE,
    ErrorType,
)
from bulkpoc.domain.errors.types import BulkpocError, FileRejected, RowError
from bulkpoc.domain.history import pruned_reason
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records.as_text import records_as_text
from bulkpoc.domain.records.base import LAST_MODIFIED, ROW_CHANGED, RecordType, Sheet
from bulkpoc.domain.records.snapshot import Snapshot
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.formats.base import RawTable, RowProblem
from bulkpoc.store import undo as undo_store

FIRST_ROW = 2  # the rows of an undo are numbered as a file's: the header is row 1
# Why a batch that did not apply has nothing to undo, by its status.
_NOT_APPLIED = {
    BatchStatus.QUEUED: "has not run yet",
    BatchStatus.RUNNING: "is still running",
    BatchStatus.FAILED: "failed and changed nothing",
    BatchStatus.INTERRUPTED: "was interrupted and changed nothing",
    BatchStatus.DUPLICATE: "was a file already received, which was not processed",
}


@dataclass
class UndoRows:
    """The undo's rows as a file's table, and what the plan must know beyond the cells."""

    raw: RawTable
    removing: list[int] = field(default_factory=list)  # rows that remove their record
    restoring: dict[int, object] = field(default_factory=dict)  # row -> key to re-create with
    labels: dict[int, str] = field(default_factory=dict)  # row -> "Skill 4 'Sales Calls'"

    def mark(self, sheet: Sheet) -> None:
        """Tell the sheet which of its rows remove and which re-create a record."""
        sheet.removing = sheet.rows.isin(self.removing)
        sheet.restoring = sheet.rows.map(self.restoring)

    def named(self, errors: list[RowError]) -> list[RowError]:
        """Each error's message starts with the record its row is about."""
        return [
            RowError(e.row, e.column, e.value, e.code, f"{self.labels[e.row]}: {e.message}")
            if e.row in self.labels
            else e
            for e in errors
        ]


def refusal(connection: Connection, batch_id: int) -> BulkpocError | None:
    """Why batch ``batch_id`` cannot be undone, in one sentence; None when it can."""
    batch = undo_store.batch(connection, batch_id)
    if batch is None:
        return FileRejected(NOTHING_TO_UNDO, batch=batch_id, reason="does not exist")
    status = BatchStatus(batch["status"])
    if status in _NOT_APPLIED:
        return FileRejected(NOTHING_TO_UNDO, batch=batch_id, reason=_NOT_APPLIED[status])
    if (batch["options"] or {}).get("dry_run"):
        return FileRejected(
            NOTHING_TO_UNDO, batch=batch_id, reason="was a dry run and changed nothing"
        )
    by = undo_store.reverted_by(connection, batch_id)
    if by is not None:
        return FileRejected(ALREADY_UNDONE, batch=batch_id, by=by)
    if batch.get("changes_pruned_at") is not None:
        reason = pruned_reason(batch["changes_pruned_at"], batch.get("changes_retention_days"))
        return FileRejected(UNDO_UNAVAILABLE, batch=batch_id, reason=reason)
    if not undo_store.has_changes(connection, batch_id):
        if batch["created"] or batch["updated"] or batch.get("removed"):
            return FileRejected(
                UNDO_UNAVAILABLE,
                batch=batch_id,
                reason="the record of what it changed is not kept (it ran before bulkpoc kept "
                "change records)",
            )
        return FileRejected(NOTHING_TO_UNDO, batch=batch_id, reason="changed no record")
    return None


def rows(
    connection: Connection, options: ImportOptions, rtype: RecordType, snapshot: Snapshot
) -> UndoRows:
    """In the undo's transaction: check again that the batch can be undone (another undo may
    have come first), then build its rows from the store as it is now."""
    batch_id = options.reverts
    assert batch_id is not None
    refused = refusal(connection, batch_id)
    if refused is not None:
        raise refused
    changes = undo_store.changes(connection, batch_id)
    return undo_rows(rtype, snapshot, changes, batch_id, force=options.overwrite)


def applied(connection: Connection, result: BatchResult, options: ImportOptions) -> None:
    """In the undo's transaction, once applied: the undone batch is reverted by this one,
    unless every row failed (then nothing of it was undone, and it may be undone later)."""
    counts = result.counts
    if options.reverts is None or result.batch_id is None:
        return
    if counts.created + counts.updated + counts.removed:
        undo_store.mark_reverted(connection, result.batch_id, options.reverts)


def undo_rows(
    rtype: RecordType, snapshot: Snapshot, changes: pd.DataFrame, batch_id: int, force: bool
) -> UndoRows:
    """The rows that take batch ``batch_id``'s ``changes`` back (see the module)."""
    headers = rtype.headers
    keys = pd.Series(pd.unique(changes["record_key"]), dtype=object)
    rows = pd.Series(range(FIRST_ROW, FIRST_ROW + len(keys)), index=keys.to_numpy())
    kind = changes.groupby("record_key", sort=False)["action"].first().reindex(keys).to_numpy()
    kind = pd.Series(kind, index=rows.to_numpy())
    typed = keys.astype(int) if rtype.system_key else keys
    present = typed.isin(snapshot.existing.index).to_numpy()
    current = pd.DataFrame(index=rows.to_numpy(), columns=headers, dtype=object)
    if present.any():
        records = snapshot.records(pd.Index(typed[present]))
        text = records_as_text(rtype, snapshot.refs, records)
        current.loc[rows.to_numpy()[present], list(text.columns)] = text.to_numpy()
    exists = pd.Series(present, index=rows.to_numpy())
    cells = current.fillna("").astype(object)
    cells[ROW_CHANGED] = ""
    undo = UndoRows(_raw(headers, cells))
    problems = undo.raw.row_problems
    context: dict[str, object] = {"batch": str(batch_id)}  # text: a number column would read 6.0

    gone = ~exists & (kind != REMOVED)
    for row in gone[gone].index:
        problems.append(
            RowProblem(row, "", "", RECORD_GONE, {"label": rtype.label.lower(), **context})
        )
        cells.loc[row, rtype.key.header] = rows.index[row - FIRST_ROW]

    updated = changes[changes["action"] == UPDATED]
    for header, group in updated.groupby("field", sort=False):
        at = group["record_key"].map(rows).to_numpy()
        now = current.loc[at, header]
        after = group["after"].fillna("").to_numpy()
        before = group["before"].fillna("").to_numpy()
        live = exists[at].to_numpy()
        conflict = live & (now != after).to_numpy() & (now != before).to_numpy()
        restore = live & (force | ~conflict)
        cells.loc[at[restore], header] = before[restore]
        if not force:
            _conflicts(problems, UNDO_CONFLICT, header, at, conflict, now, after, before, context)

    created = changes[changes["action"] == CREATED]
    if len(created):
        at = created["record_key"].map(rows).to_numpy()
        live = exists[at].to_numpy()
        undo.removing = [int(row) for row in at[live]]
        if not force:
            values = _record_rows(created, "after", at)
            for header in rtype.headers:
                if header in values and header not in (rtype.key.header, LAST_MODIFIED):
                    now, then = current.loc[at, header], values[header].to_numpy()
                    conflict = live & (now.fillna("") != then).to_numpy()
                    _conflicts(
                        problems, CREATED_CHANGED, header, at, conflict, now, then, then, context
                    )

    removed = changes[changes["action"] == REMOVED]
    if len(removed):
        at = removed["record_key"].map(rows).to_numpy()
        values = _record_rows(removed, "before", at)
        for header in headers:
            if header in values and header not in (ROW_CHANGED, LAST_MODIFIED):
                cells.loc[at, header] = values[header].to_numpy()
        if rtype.system_key:  # created anew, with its old ID when no record has taken it
            cells.loc[at, rtype.key.header] = ""
            keys_then = removed["record_key"]
            undo.restoring = {int(r): int(k) for r, k in zip(at, keys_then, strict=True)}
        cells.loc[at, LAST_MODIFIED] = ""

    undo.raw = _raw(headers, cells, problems)
    undo.labels = _labels(rtype, rows, cells)
    return undo


def _raw(headers: list[str], cells: pd.DataFrame, problems: list | None = None) -> RawTable:
    data = pd.DataFrame(
        {i: cells[header].astype(str).to_numpy() for i, header in enumerate(headers)}
    )
    rows = pd.Series(cells.index.to_numpy(), index=data.index)
    return RawTable(list(headers), data, rows, "csv", row_problems=problems or [])


def _record_rows(changes: pd.DataFrame, column: str, rows: object) -> pd.DataFrame:
    """Created or removed records' values, kept in their change records' ``column``, as a
    frame with a column per header and a row each."""
    frame = pd.DataFrame.from_records(
        [
            record_values(field, text or "")
            for field, text in zip(changes["field"], changes[column], strict=True)
        ]
    )
    frame.index = pd.Index(rows)
    return frame.fillna("").astype(object)


def _conflicts(
    problems: list[RowProblem],
    error: ErrorType,
    header: str,
    at: object,
    conflict: object,
    now: pd.Series,
    after: object,
    before: object,
    context: dict[str, object],
) -> None:
    for row, found, was, then, clash in zip(at, now, after, before, conflict, strict=True):  # type: ignore[call-overload]
        if clash:
            params = {"header": header, "current": found, "after": was, "before": then, **context}
            problems.append(RowProblem(int(row), header, str(found), error, params))


def _labels(rtype: RecordType, rows: pd.Series, cells: pd.DataFrame) -> dict[int, str]:
    """How a message names each row's record: "Point of Contact 42 'Main Line'"."""
    labels = {}
    names = cells.get("Name", pd.Series("", index=cells.index))
    for key, row in rows.items():
        name = names[row]
        labels[int(row)] = f"{rtype.label} {key}" + (f" '{name}'" if name else "")
    return labels
