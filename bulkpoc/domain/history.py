"""A record's history and a batch's changes, as the CLI prints them and the API answers them;
and retention: how old change records may get, and what a batch whose were removed says.

One model per answer, so ``bulkpoc changes --json`` prints what ``GET /api/v1/…/changes``
answers. A change record keeps the export text of what it changed (bulkpoc.domain.changes);
created and removed records keep their whole exported row, which is given here as ``values``
(header to cell text).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from bulkpoc.domain.changes import record_values
from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.result import UtcDateTime

Action = Literal["created", "updated", "removed"]
ACTIONS: tuple[Action, ...] = ("created", "updated", "removed")
MAX_PAGE = 500  # the most changes one page holds: a bounded answer however large the batch
DEFAULT_PAGE = 100
_AGE = re.compile(r"\s*(?P<number>\d{1,6})\s*(?P<unit>[dw])\s*", re.IGNORECASE)
MAX_AGE_DAYS = 100 * 366  # a century: beyond any retention anyone means


class BadAge(BulkpocError):
    """An age that is not a number of days or weeks (``90d``, ``12w``)."""


def parse_age(text: str) -> int:
    """``90d`` or ``12w`` as a number of days (at least one); anything else, one sentence."""
    found = _AGE.fullmatch(text)
    days = 0
    if found:
        days = int(found["number"]) * (7 if found["unit"].lower() == "w" else 1)
    if not found or not 1 <= days <= MAX_AGE_DAYS:
        raise BadAge(
            f"--older-than must be a number of days or weeks such as 90d or 12w (at least 1 "
            f"day, at most {MAX_AGE_DAYS:,}), not {text!r}."
        )
    return days


def pruned_reason(pruned_at: dt.datetime, days: int | None) -> str:
    """Why a batch's change records are gone: "its change records were removed on 2026-12-06
    by retention (90 days)". An undo or a changes page says it after "Batch N cannot …: "."""
    kept = f" ({days:,} day{'s' if days != 1 else ''})" if days else ""
    return f"its change records were removed on {pruned_at:%Y-%m-%d} by retention{kept}"


def cannot_undo(batch: dict[str, Any]) -> str | None:
    """The sentence an undo of ``batch`` (its run-history row) answers when retention removed
    its change records; None while they are kept."""
    pruned_at = batch.get("changes_pruned_at")
    if pruned_at is None:
        return None
    reason = pruned_reason(pruned_at, batch.get("changes_retention_days"))
    return f"Batch {batch['id']} can no longer be undone: {reason}."


def files_removed(batch: dict[str, Any]) -> str | None:
    """Why a batch's error file is gone, when retention removed it with its change records:
    "retention removed it on 2026-12-06 (90 days)"; None otherwise."""
    pruned_at = batch.get("changes_pruned_at")
    if pruned_at is None:
        return None
    days = batch.get("changes_retention_days")
    return f"retention removed it on {pruned_at:%Y-%m-%d}" + (f" ({days:,} days)" if days else "")


# --- the answers ---------------------------------------------------------------------------


class Change(BaseModel):
    """One change record: what one batch did to one field of one record, or the record it
    created or removed."""

    change_id: int = Field(description="The change record's id, in the order of writing.")
    batch_id: int
    row: int | None = Field(description="The file row (spreadsheet row number) it came from.")
    record_type: str
    record_key: str | None = Field(
        description="The record's id, or a number's phone number; null for a dry run's create "
        "of a record whose id the store would assign."
    )
    action: Action
    field: str | None = Field(description="The column changed (updated); null otherwise.")
    before: str | None = Field(description="The field's export text before (updated).")
    after: str | None = Field(description="The field's export text after (updated).")
    values: dict[str, str] | None = Field(
        description="The record's exported row as created, or as it was removed; null for updated."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> Change:
        """A change from the store's row: a created or removed record's cells (``field``
        holds its headers) become ``values``."""
        action = row["action"]
        updated = action == "updated"
        whole = row["after"] if action == "created" else row["before"]
        return cls(
            change_id=row["id"],
            batch_id=row["batch_id"],
            row=row["row"],
            record_type=row["record_type"],
            record_key=row["record_key"],
            action=action,
            field=row["field"] if updated else None,
            before=row["before"] if updated else None,
            after=row["after"] if updated else None,
            values=None if updated else whole_record(row["field"], whole),
        )

    def lines(self) -> list[str]:
        """How the CLI prints it: ``Skill: Sales Calls -> Support Calls``, or the values."""
        if self.action == "updated":
            return [f"{self.field}: {_shown(self.before)} -> {_shown(self.after)}"]
        values = ", ".join(f"{k}={_shown(v)}" for k, v in (self.values or {}).items())
        return [f"{self.action}: {values}"]


class RecordChange(Change):
    """A change to one record, with the batch that made it: when, who, from which file."""

    started_at: UtcDateTime | None = Field(None, description="When the batch started.")
    finished_at: UtcDateTime | None = Field(None, description="Null while the batch runs.")
    user: str | None = None
    source: str | None = Field(None, description="cli, web, api, schedule or undo.")
    file_name: str | None = None
    dry_run: bool = Field(False, description="A dry run: what the batch would have done.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> RecordChange:
        return cls(
            **Change.of(row).model_dump(),
            started_at=row.get("started_at"),
            finished_at=row.get("finished_at"),
            user=row.get("user_name"),
            source=row.get("source"),
            file_name=row.get("file_name"),
            dry_run=bool((row.get("options") or {}).get("dry_run")),
        )


class Page(BaseModel):
    """Which changes a page holds: ``total`` match in all."""

    total: int
    offset: int
    limit: int

    def showing(self, shown: int, noun: str = "changes") -> str:
        """``showing 1-100 of 4,210 changes`` (or ``no changes``)."""
        if not self.total:
            return f"no {noun}"
        if not shown:
            return f"none of {self.total:,} {noun} from {self.offset + 1:,}"
        return f"showing {self.offset + 1:,}-{self.offset + shown:,} of {self.total:,} {noun}"


class BatchChanges(Page):
    """A page of one batch's changes, in the order they were written."""

    batch_id: int
    record_type: str
    dry_run: bool = Field(description="A dry run's changes are what it would have done.")
    pruned: str | None = Field(
        None, description="Why the batch has no change records any more, if retention removed them."
    )
    changes: list[Change]


class RecordHistory(Page):
    """A page of one record's changes, oldest first, each with the batch that made it."""

    record_type: str
    record_key: str
    name: str | None = Field(description="Its name now, or as last recorded if it was removed.")
    exists: bool = Field(description="False when the record was removed since.")
    others: list[str] = Field(
        default_factory=list,
        description="Keys of other removed records that had the name asked for.",
    )
    changes: list[RecordChange]


class PruneCounts(BaseModel):
    """What one pass of retention removed."""

    cutoff: UtcDateTime
    days: int
    batches: int = 0
    changes: int = 0
    files: int = 0
    batch_files: int = 0

    def sentence(self) -> str:
        when = f"{self.cutoff:%Y-%m-%d %H:%M} UTC"
        if not self.batches:
            return f"Nothing to remove: no batch finished before {when} still has change records."
        return (
            f"Removed {self.changes:,} change record{_s(self.changes)} of {self.batches:,} "
            f"batch{'es' if self.batches != 1 else ''} finished before {when}, "
            f"{self.files:,} stored upload{_s(self.files)} and {self.batch_files:,} stored "
            f"error file{_s(self.batch_files)}; those batches can no longer be undone."
        )


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def whole_record(headers: str | None, cells: str | None) -> dict[str, str] | None:
    """A created or removed record's values (header to cell text) from its change row; None
    if the row does not hold a whole record."""
    if headers is None or cells is None:
        return None
    try:
        return record_values(headers, cells)
    except ValueError:  # not as many cells as headers: not a whole record
        return None


def _shown(value: str | None) -> str:
    """A value as the CLI shows it: blank as ``(blank)``, so a cleared field is visible."""
    return "(blank)" if value in (None, "") else str(value)
