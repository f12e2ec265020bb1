"""Fixing a batch's failed rows: the rows again, with the cells a person corrected, as a batch.

A fix reads the batch's own kept file (the same reader, so every cell is as the batch read it,
leading zeros included), takes every failed row of it (edited or not: a row nobody edited that
still fails is reported again, not dropped), sets the cells the fixes give, and runs those rows
as a new batch through the same engine as an upload (``batch.edits.run_content``): source
``fix``, the options of the batch it fixes, acting as the person fixing, whose permissions
apply. The new batch names the batch it fixes (``fixes``) and carries each row's number in the
original file (``fix_rows``), so its results, its error file and a fix of it name the rows as
the person's file does.

Two kinds of fix: a cell (``CellFix``: row 7's Skill becomes "Sales Calls") and a group
(``GroupFix``: every failed row whose Skill is "Sales Cals" gets "Sales Calls"); cell fixes
win over group fixes. Columns are named as the error records and the results grid name them
(case and spacing do not matter). A fix that names a row that did not fail, or a column the
file does not have, is refused with one sentence and nothing runs.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulkpoc.batch.edits import csv_bytes, run_content
from bulkpoc.batch.read import read_file, renumbered
from bulkpoc.config import Settings
from bulkpoc.domain.errors.log import row_list
from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import ERROR_COLUMN, RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.storable import unstorable
from bulkpoc.formats.base import RawTable
from bulkpoc.store.db import Store

SOURCE = "fix"
EARLIER_FIX = re.compile(r"^fix-of-batch-\d+-")  # the name a fix gives its file, see _file_name


class FixRefused(BulkpocError):
    """A fix naming a row that did not fail, a column the file lacks, or a value no failed
    row has: nothing ran."""

    code = "fix_refused"


class NothingToFix(FixRefused):
    """The batch cannot be fixed: it has no failed rows, has not finished, or its file is gone."""

    code = "nothing_to_fix"


class BatchNotFound(FixRefused):
    """There is no batch to fix."""

    code = "batch_not_found"


@dataclass(frozen=True)
class CellFix:
    """Set one cell of one failed row: ``row`` is the original file's row number."""

    row: int
    column: str
    value: str


@dataclass(frozen=True)
class GroupFix:
    """In every failed row whose ``column`` holds ``old`` (trimmed), put ``new`` instead."""

    column: str
    old: str
    new: str


@dataclass(frozen=True)
class FixFile:
    """A fix ready to submit: its file's bytes, its options, and the batch it fixes (the
    batch's ``fixes`` column)."""

    content: bytes
    options: ImportOptions
    fixes: int

    def stream(self) -> io.BytesIO:
        source = io.BytesIO(self.content)
        source.name = self.options.display_name or "fix.csv"
        return source


def prepare_fix(
    store: Store,
    batch_id: int,
    cells: Sequence[CellFix] = (),
    groups: Sequence[GroupFix] = (),
    user: str = "admin",
    dry_run: bool | None = None,
    **chosen: Any,
) -> FixFile:
    """The file and options of a fix of batch ``batch_id``'s failed rows by ``user``, for
    the job layer to submit (``fixes=file.fixes``) as it submits an upload.

    ``dry_run`` None: as the batch it fixes. ``chosen``: more options (``notify``). Raises
    ``BatchNotFound``, ``NothingToFix`` or ``FixRefused``, in one sentence.
    """
    _all_text([text for fix in cells for text in (fix.column, fix.value)])
    _all_text([text for fix in groups for text in (fix.column, fix.old, fix.new)])
    batch, options, failed = fixable(store, batch_id)
    rtype = RECORD_TYPES[batch["record_type"]]
    raw = _original_rows(store, batch, options, rtype)
    headers, rows, numbers = _rows_to_run(raw, failed, _applied_nothing(batch, options))
    failing = {
        group.old.strip(): store.rows_failing_on(batch_id, group.old.strip()) for group in groups
    }
    headers = _apply(batch_id, rtype, headers, rows, numbers, cells, groups, failing)
    changed: dict[str, Any] = {**chosen} | ({"dry_run": dry_run} if dry_run is not None else {})
    fixing = dataclasses.replace(
        _options_of_fix(options, batch_id, user, numbers, batch["file_name"]), **changed
    )
    return FixFile(csv_bytes(headers, rows), fixing, batch_id)


def fix_batch(
    store: Store,
    settings: Settings,
    batch_id: int,
    cells: Sequence[CellFix] = (),
    groups: Sequence[GroupFix] = (),
    user: str = "admin",
    dry_run: bool | None = None,
    **chosen: Any,
) -> BatchResult:
    """Run batch ``batch_id``'s failed rows again, with the ``cells`` and ``groups`` fixes,
    as a new batch by ``user``, here and now (the CLI); its result. Raises as
    ``prepare_fix`` does, and then no batch was recorded."""
    fix = prepare_fix(store, batch_id, cells, groups, user, dry_run, **chosen)
    return run_content(store, settings, fix.content, fix.options, fixes=fix.fixes)


def _all_text(texts: Sequence[str]) -> None:
    """Refuse a column or value holding what no file or store can: an unpaired UTF-16
    surrogate, which JSON can spell (``"\\ud800"``) but UTF-8 cannot encode, or a NUL."""
    for text in texts:
        if what := unstorable(text):
            raise FixRefused(
                f"{text!r} holds {what}, which is not text a file can hold: nothing ran."
            )


def fixable(store: Store, batch_id: int) -> tuple[dict, ImportOptions, list[int]]:
    """The batch, its options and its failed rows; raises why it cannot be fixed."""
    batch = store.batch(batch_id)
    if batch is None:
        raise BatchNotFound(f"There is no batch {batch_id}.")
    if not BatchStatus(batch["status"]).finished:
        raise NothingToFix(f"Batch {batch_id} has not finished yet: wait for its result.")
    failed = store.failed_row_numbers(batch_id)
    if not failed:
        raise NothingToFix(f"Batch {batch_id} has no failed rows: there is nothing to fix.")
    if not batch["checksum"] or batch["record_type"] not in RECORD_TYPES:
        raise NothingToFix(
            f"Batch {batch_id}'s rows did not come from a file (an undo): run it again instead."
        )
    return batch, ImportOptions.from_recorded(batch["options"]), failed


def _applied_nothing(batch: dict, options: ImportOptions) -> bool:
    """Whether the batch stopped before applying its valid rows (all or nothing, or too many
    failed): then they were never applied, and the fix runs them too, or they would be lost."""
    return batch["status"] == BatchStatus.FAILED.value and not options.dry_run


def _original_rows(
    store: Store, batch: dict, options: ImportOptions, rtype: RecordType
) -> RawTable:
    """The batch's file as it read it, its rows numbered as the original file's."""
    content = store.file_content(batch["checksum"])
    if content is None:
        raise NothingToFix(
            f"Batch {batch['id']}'s file is no longer kept: download its error file, fix it "
            "and upload it instead."
        )
    try:
        raw = read_file(io.BytesIO(content), None, rtype.sheet_names, batch["file_name"])
    except BulkpocError as error:
        raise NothingToFix(f"Batch {batch['id']}'s file cannot be read again: {error}") from None
    return renumbered(raw, options.fix_rows) if options.fix_rows else raw


def _rows_to_run(
    raw: RawTable, failed: list[int], every_row: bool
) -> tuple[list[str], list[list[str]], list[int]]:
    """The file's headers, the cells of the rows the fix runs, and their row numbers."""
    chosen = raw.rows.notna() if every_row else raw.rows.isin(failed)
    data = raw.data[chosen.to_numpy()].astype(object).fillna("")
    width = len(raw.headers)
    rows = [[str(cell) for cell in row[:width]] for row in data.to_numpy().tolist()]
    rows = [row + [""] * (width - len(row)) for row in rows]
    return list(raw.headers), rows, [int(row) for row in raw.rows[chosen.to_numpy()]]


def _key(header: str) -> str:
    return " ".join(header.casefold().split())


def _column(
    batch_id: int, rtype: RecordType, headers: list[str], rows: list[list[str]], name: str
) -> int:
    """The position of the column ``name`` names: one of the file's (but its Error column),
    or one of the record type's the file left out, added blank to every row."""
    wanted = _key(name)
    for at, header in enumerate(headers):
        if _key(header) == wanted and wanted != _key(ERROR_COLUMN):
            return at
    for header in rtype.headers:
        if _key(header) == wanted:
            headers.append(header)
            for row in rows:
                row.append("")
            return len(headers) - 1
    shown = ", ".join(h for h in headers if _key(h) != _key(ERROR_COLUMN))
    raise FixRefused(f"Batch {batch_id}'s file has no column {name!r}; its columns are {shown}.")


def _apply(
    batch_id: int,
    rtype: RecordType,
    headers: list[str],
    rows: list[list[str]],
    numbers: list[int],
    cells: Sequence[CellFix],
    groups: Sequence[GroupFix],
    failing: dict[str, list[tuple[str, int]]],
) -> list[str]:
    """Set the fixes' values in ``rows`` (in place); refuse a fix that fits no failed row.

    A group's rows are those whose cell in the column holds its value (trimmed, in any case)
    and those whose error in the column names the value (``failing``: an error may give it
    normalised); a blank value only in the rows whose error is in that column, so that a
    blank cell of a row that failed for something else is left blank."""
    at_row = {number: at for at, number in enumerate(numbers)}
    unknown = sorted({fix.row for fix in cells if fix.row not in at_row})
    if unknown:
        which = "Row" if len(unknown) == 1 else "Rows"
        raise FixRefused(
            f"{which} {row_list(unknown)} of batch {batch_id} did not fail: only its failed "
            f"rows ({row_list(numbers)}) can be fixed."
        )
    for group in groups:
        at = _column(batch_id, rtype, headers, rows, group.column)
        old = group.old.strip()
        named = {row for column, row in failing.get(old, []) if _key(column) == _key(headers[at])}
        matched = [
            row
            for number, row in zip(numbers, rows, strict=True)
            if number in named or (old and row[at].strip().casefold() == old.casefold())
        ]
        if not matched:
            raise FixRefused(
                f"No failed row of batch {batch_id} has {group.old!r} in {headers[at]}: "
                "nothing to replace."
            )
        for row in matched:
            row[at] = group.new
    for fix in cells:
        rows[at_row[fix.row]][_column(batch_id, rtype, headers, rows, fix.column)] = fix.value
    return headers


def _options_of_fix(
    options: ImportOptions, batch_id: int, user: str, numbers: list[int], file_name: str
) -> ImportOptions:
    """The options of the batch fixed, as a fix of it by ``user``: what it was a step of
    (a dry run it applied, an undo, an upload id, the hold of a schedule) is not carried."""
    return dataclasses.replace(
        options,
        file_type="csv",
        user=user,
        source=SOURCE,
        notify=(),
        display_name=_file_name(batch_id, file_name),
        upload_id=None,
        reverts=None,
        preview_of=None,
        exclude_rows=(),
        hold_for_approval=False,
        fixes=batch_id,
        fix_rows=tuple(numbers),
    )


def _file_name(batch_id: int, file_name: str) -> str:
    """``fix-of-batch-12-pocs.csv``: the batch fixed, and the person's own file's name."""
    stem = EARLIER_FIX.sub("", Path(file_name).stem) or "upload"
    return f"fix-of-batch-{batch_id}-{stem}"[:200] + ".csv"
