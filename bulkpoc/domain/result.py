"""One result object per batch. The CLI, the HTML report, the email and the web page render it.

A pydantic model, so the JSON that ``import --json`` prints and the API will serve is this
object's own serialisation rather than a second description of it.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer, computed_field

from bulkpoc.domain.changes import ChangeSummary
from bulkpoc.domain.errors.types import RowError
from bulkpoc.domain.status import BatchStatus


def _with_utc_offset(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# The store keeps naive UTC; JSON says which zone it is (``…Z``), as RFC 3339 asks.
UtcDateTime = Annotated[
    dt.datetime, PlainSerializer(_with_utc_offset, return_type=dt.datetime, when_used="json")
]


class Counts(BaseModel):
    """How many rows the batch had, and what became of them."""

    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return self.model_dump()


class Reports(BaseModel):
    """Where the batch's HTML report, error file and results email went."""

    html: str | None = None
    error_file: str | None = None
    email: str | None = None
    changes: str | None = None  # changes.csv: every change, a line per field


class BatchResult(BaseModel):
    """Everything known about one batch once it has finished.

    Its JSON (``model_dump(mode="json")``) is what ``bulkpoc import --json`` prints and what
    ``GET /api/v1/batches/{id}`` answers: one serialisation, described by this model.
    """

    batch_id: int | None
    record_type: str
    file_name: str
    checksum: str
    source: str
    user: str
    options: dict[str, Any]
    started_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    status: BatchStatus = BatchStatus.FAILED
    counts: Counts = Field(default_factory=Counts)
    errors: list[RowError] = Field(default_factory=list)
    failure: str | None = None  # why a Failed batch failed, in one sentence
    failure_code: str | None = None  # that failure's code in the catalogue
    warnings: list[str] = Field(default_factory=list)
    applied: bool = False
    file_type: str | None = None
    reports: Reports = Field(default_factory=Reports)
    timings: dict[str, float] = Field(default_factory=dict)
    # What the batch changed (a dry run: would change), field by field; None before planning.
    changes: ChangeSummary | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dry_run(self) -> bool:
        """Whether the batch only reported what it would do."""
        return bool(self.options.get("dry_run"))

    @property
    def seconds(self) -> float:
        if not self.finished_at:
            return 0.0
        return (self.finished_at - self.started_at).total_seconds()

    def errors_by_row(self) -> list[tuple[int, list[RowError]]]:
        return [(row, list(group)) for row, group in groupby(self.errors, key=lambda e: e.row)]

    def summary(self) -> str:
        """One sentence for the terminal, the email subject and the page title."""
        c = self.counts
        if self.status is BatchStatus.FAILED and self.failure:
            if self.batch_id is None:
                return f"The upload of {self.file_name} failed: {self.failure}"
            return f"Batch {self.batch_id} failed: {self.failure}"
        verb = "would be" if not self.applied else ""
        parts = [
            f"{c.created} {verb} created".replace("  ", " "),
            f"{c.updated} {verb} updated".replace("  ", " "),
            f"{c.unchanged} unchanged",
            f"{c.skipped} skipped",
            f"{c.failed} failed",
        ]
        prefix = "Dry run of batch" if self.dry_run else "Batch"
        return (
            f"{prefix} {self.batch_id} {self.status.label.lower()}: {c.total} rows, "
            + ", ".join(parts)
            + "."
        )
