"""Where a batch is. Its own module, free of pydantic, so the command line can offer the
statuses as choices without loading the result model."""

from __future__ import annotations

from enum import StrEnum


class BatchStatus(StrEnum):
    """Where a batch is: waiting, running, or one of the ways it ended."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died; nothing applied; can be run again
    DUPLICATE = "duplicate"  # an inbox file whose content an earlier batch already had

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def finished(self) -> bool:
        return self not in (BatchStatus.QUEUED, BatchStatus.RUNNING)
