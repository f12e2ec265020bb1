"""How a terminal or a page follows a batch: the ``Progress`` callback every stage calls, and
what one call of it said (``ProgressReport``), as a heartbeat or a runner keeps it.

Free of the library's heavy imports: the command line names these types without loading them.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Progress(Protocol):
    """How a terminal or a page follows a batch.

    ``stage`` is one of wait, read, validate, plan, apply, report; ``detail`` says more where
    a number does not (``waiting for batch 12 to finish``).
    """

    def __call__(self, stage: str, done: int, total: int, /, detail: str = "") -> None: ...


class ProgressReport(NamedTuple):
    """What one call of ``Progress`` said: ``done`` of ``total`` in ``stage``."""

    stage: str
    done: int
    total: int
    detail: str = ""


def no_progress(_stage: str, _done: int, _total: int, /, detail: str = "") -> None:
    return None


def both(first: Progress | None, second: Progress) -> Progress:
    """One ``Progress`` that tells ``first`` (when there is one) and ``second``."""
    if first is None:
        return second

    def told_twice(stage: str, done: int, total: int, /, detail: str = "") -> None:
        # Only "wait" has a detail; callers may accept three arguments otherwise.
        for progress in (first, second):
            if detail:
                progress(stage, done, total, detail)
            else:
                progress(stage, done, total)

    return told_twice
