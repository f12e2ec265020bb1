"""An inbox folder: each new CSV or XLSX file dropped into it is one batch.

A file's way through the inbox: dropped in ``<inbox>/``; once it has stopped changing, a pass
claims it by renaming it into ``processing/`` (atomic: of two schedulers, one gets it and the
other finds it gone) and submits it; when its batch has run it moves to
``processed/<batch id>-<name>`` or ``failed/<batch id>-<name>``. Content the inbox already
received (same SHA-256, whatever the name) is recorded as a duplicate batch and filed under
``processed/`` at once. Files still being written wait for a later pass. A file a writer went
on writing after its batch read it (even after it was filed: a rename keeps the file) is found
by the next pass and its unread rows kept for a pass after (``jobs.unread``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bulkpoc.batch.submit import record_duplicate, submit
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.schedule import Schedule
from bulkpoc.domain.status import BatchStatus
from bulkpoc.jobs.queue import JobQueue
from bulkpoc.jobs.tasks import FAILED, PROCESSED, PROCESSING, file_away
from bulkpoc.jobs.unread import keep_unread
from bulkpoc.store.batches import DuplicateContent
from bulkpoc.store.db import Store

# What the reader reads (formats' extensions, but .txt, which an inbox may hold for other
# reasons), and Apple Numbers, which fails with how to export it rather than lie there unseen.
SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".numbers")
# What editors and copy tools call a file while they write it: Excel's owner file, LibreOffice's
# lock file, partial downloads and copies, hidden files.
TEMPORARY_PREFIXES = ("~$", ".~lock.", ".")
TEMPORARY_SUFFIXES = (".part", ".tmp", "#")


@dataclass(frozen=True)
class FileOutcome:
    """What a pass did with one file: made it a batch, or left it for a later pass."""

    name: str
    batch_id: int | None = None
    status: BatchStatus | None = None
    note: str = ""  # why it was left, or why its batch failed

    def line(self) -> str:
        if self.batch_id is None:
            return f"{self.name} left for a later pass: {self.note}"
        assert self.status is not None
        said = f"{self.name} → batch {self.batch_id}, {self.status.label}"
        return f"{said}: {self.note}" if self.note else said


@dataclass
class PassResult:
    """One schedule's pass over its inbox."""

    schedule: str
    files: list[FileOutcome] = field(default_factory=list)
    warning: str | None = None
    changed: list[str] = field(default_factory=list)  # filed files written to after being read

    def lines(self) -> list[str]:
        return [
            f"{self.schedule}: {line}" for line in [*(f.line() for f in self.files), *self.changed]
        ]


def process_inbox(
    store: Store,
    settings: Settings,
    queue: JobQueue,
    schedule: Schedule,
    stop: threading.Event | None = None,
    pause: Callable[[float], object] | None = None,
) -> PassResult:
    """Make a batch of each new file in the schedule's inbox, and hand it to ``queue``.

    Files are looked at twice, ``settings.inbox_settle_seconds`` apart (``pause``); one whose
    size or time changed is still being written and waits for a later pass. Once ``stop`` is
    set, the pass ends after the file it is on.
    """
    stop = stop or threading.Event()
    pause = pause or stop.wait
    result = PassResult(schedule.name)
    inbox = Path(schedule.inbox)
    try:
        first_look, temporary = _look(inbox)
    except OSError as error:
        problem = (
            "is not a folder that exists"
            if isinstance(error, FileNotFoundError | NotADirectoryError)
            else f"cannot be read ({error.strerror})"
        )
        result.warning = (
            f"The inbox {inbox} of schedule {schedule.name!r} {problem}; the schedule looks "
            "again on its next run."
        )
        return result
    result.files += [FileOutcome(name, note="it has a temporary name.") for name in temporary]
    filed = _filed_since(inbox, schedule.last_fired_at)
    if not first_look and not filed:
        return result
    pause(settings.inbox_settle_seconds)
    result.changed = _changed_after_filing(store, filed)
    for path, seen in first_look.items():
        if stop.is_set():
            break
        now = _signature(path)
        if now is None:
            continue  # another scheduler has taken it
        if now != seen:
            result.files.append(FileOutcome(path.name, note="it is still being written."))
            continue
        outcome = _take(store, settings, queue, schedule, path)
        if outcome is not None:
            result.files.append(outcome)
    return result


def _look(inbox: Path) -> tuple[dict[Path, tuple[int, int]], list[str]]:
    """The inbox's CSV and XLSX files, oldest first, with their size and time; and the names
    of those still under a temporary name."""
    found: list[tuple[int, str, Path, tuple[int, int]]] = []
    temporary = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            name = entry.name
            if not entry.is_file() or not any(s in name.lower() for s in SUFFIXES):
                continue
            if name.startswith(TEMPORARY_PREFIXES) or name.endswith(TEMPORARY_SUFFIXES):
                temporary.append(name)
            elif name.lower().endswith(SUFFIXES):
                signature = _signature(Path(entry.path))
                if signature is not None:
                    found.append((signature[1], name, Path(entry.path), signature))
    found.sort()
    return {path: signature for _, _, path, signature in found}, sorted(temporary)


def _filed_since(inbox: Path, since: dt.datetime | None) -> dict[Path, tuple[int, int]]:
    """The files in ``processed/`` and ``failed/`` written to since ``since`` (the previous
    pass; None: ever), with their size and time."""
    after = 0 if since is None else int(since.replace(tzinfo=dt.UTC).timestamp() * 1e9)
    found = {}
    for folder in (PROCESSED, FAILED):
        with suppress(OSError), os.scandir(inbox / folder) as entries:
            for entry in entries:
                signature = _signature(Path(entry.path)) if entry.is_file() else None
                if signature is not None and signature[1] > after:
                    found[Path(entry.path)] = signature
    return found


def _changed_after_filing(store: Store, filed: dict[Path, tuple[int, int]]) -> list[str]:
    """For each filed file that changed after its batch read it and has stopped changing,
    keep what its batch did not read for the next pass; what was said on each batch."""
    said = []
    for path, seen in filed.items():
        batch_id = re.match(r"(\d+)-", path.name)
        batch = store.batch(int(batch_id[1])) if batch_id else None
        if batch is None or batch["inbox_path"] != str(path) or _signature(path) != seen:
            continue  # not a batch's file, or still being written: a later pass looks again
        warning = keep_unread(store, batch, path)
        if warning is not None:
            said.append(f"batch {batch['id']}: {warning}")
    return said


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _take(
    store: Store, settings: Settings, queue: JobQueue, schedule: Schedule, path: Path
) -> FileOutcome | None:
    """Claim one file and submit it; None if another scheduler claimed it first."""
    processing = path.parent / PROCESSING
    processing.mkdir(exist_ok=True)
    # A unique name: an earlier file of the same name may still wait here for its batch.
    claimed = processing / f"{uuid.uuid4().hex[:12]}-{path.name}"
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None
    options = replace(schedule.options(), display_name=path.name)
    recorded: dict[str, Any] = {"schedule_name": schedule.name, "inbox_path": str(claimed)}
    try:
        batch_id, queued = _submit(store, settings, schedule, claimed, options, recorded)
    except BaseException:
        # Not recorded: put the file back for the next pass.
        if not path.exists():
            os.rename(claimed, path)
        raise
    if queued:
        queue.enqueue(batch_id)
    return _outcome(store, batch_id, path.name)


def _submit(
    store: Store,
    settings: Settings,
    schedule: Schedule,
    claimed: Path,
    options: ImportOptions,
    recorded: dict[str, Any],
) -> tuple[int, bool]:
    """Record the claimed file as a queued batch, or as a duplicate filed at once; say which."""
    try:
        content = claimed.read_bytes()
    except OSError:
        # Unreadable: the batch fails when it runs, and there is no content to compare.
        return submit(store, claimed, options, settings, **recorded), True
    stream = io.BytesIO(content)
    stream.name = options.display_name
    try:
        return submit(store, stream, options, settings, inbox_claim=schedule.name, **recorded), True
    except DuplicateContent as duplicate:
        batch_id = record_duplicate(store, stream, options, duplicate.first, settings, **recorded)
        batch = store.batch(batch_id)
        assert batch is not None
        file_away(store, batch, BatchStatus.DUPLICATE)
        return batch_id, False


def _outcome(store: Store, batch_id: int, name: str) -> FileOutcome:
    batch = store.batch(batch_id)
    assert batch is not None
    return FileOutcome(name, batch_id, BatchStatus(batch["status"]), batch["failure"] or "")
