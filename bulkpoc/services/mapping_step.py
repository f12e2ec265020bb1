"""The web upload's mapping step as use cases: does an uploaded file need mapping, which
saved mapping fits it, what the step first proposes, and how the first rows read through a
mapping.

A file whose header row fits its record type goes on as it is; one that does not (missing
columns, or none of ours at all) is read through the saved mapping made for exactly its
headers, or waits for a person to map it. The file is read here only to look at its header row
and first rows; the batch reads it again, through the mapping, with every rule.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

import pandas as pd

from bulkpoc.batch.headers import map_headers
from bulkpoc.batch.read import read_file, sniff_file_type
from bulkpoc.domain.errors.codes import MISSING_COLUMNS, NO_KNOWN_COLUMNS
from bulkpoc.domain.errors.types import BulkpocError, FileRejected
from bulkpoc.domain.guess import Known, guess_columns, guess_spellings, is_ours, spelled_kind
from bulkpoc.domain.mapping import ColumnMapping, apply_mapping, fold_header
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import ERROR_COLUMN, RECORD_TYPES
from bulkpoc.formats.base import RawTable
from bulkpoc.services.mappings import with_saved_mapping
from bulkpoc.store.choices import references
from bulkpoc.store.db import Store

__all__ = ["FirstRows", "Proposal", "first_rows", "needs_mapping", "propose", "saved_for"]

SAMPLE_ROWS = 50  # rows whose values the guesses look at
PREVIEW_ROWS = 5  # rows the step shows as they will be read
SPELLINGS_SHOWN = 12  # distinct values of a column the step offers to respell
# How much of a large CSV the step reads to see its header row and first rows: the request
# never reads a 100 MB upload whole (its batch does, in a worker).
PEEK_BYTES = 1 << 20


@dataclass(frozen=True)
class FirstRows:
    """The file's header row and its first rows (columns 0..n-1, text)."""

    headers: list[str]
    data: pd.DataFrame

    def sample(self, at: int, rows: int = SAMPLE_ROWS) -> list[str]:
        return [str(value) for value in self.data[at].head(rows).fillna("")]


@dataclass(frozen=True)
class Proposal:
    """What the step shows first: the file column guessed for each of ours (by position), and
    the value spellings guessed for each of ours (theirs -> ours), with the values offered."""

    columns: dict[str, int]
    spellings: dict[str, dict[str, str]]
    offered: dict[str, list[str]]
    known: Known


def first_rows(content: bytes, options: ImportOptions) -> FirstRows:
    """The file's headers and first rows; ``FileRejected`` if it cannot be read at all."""
    raw = _peek(content, options)
    return FirstRows(raw.headers, raw.data.head(SAMPLE_ROWS))


def _peek(content: bytes, options: ImportOptions) -> RawTable:
    """The file's header row and first rows: of a large CSV only its first ``PEEK_BYTES``, cut
    at a line's end (the whole file if that much cannot be read, say a quoted cell holding a
    line break at the cut); a workbook whole, its reader reads a sheet at once."""
    head = content
    if len(content) > PEEK_BYTES and sniff_file_type(io.BytesIO(content)) == "csv":
        cut = content.rfind(b"\n", 0, PEEK_BYTES)
        head = content[: cut + 1] if cut > 0 else content
    try:
        return read_file(io.BytesIO(head), options.file_type, _sheets(options), "the upload")
    except BulkpocError:
        if head is content:
            raise
    return read_file(io.BytesIO(content), options.file_type, _sheets(options), "the upload")


def needs_mapping(content: bytes, options: ImportOptions) -> FirstRows | None:
    """The file's first rows when its header row does not fit its record type (so it needs a
    mapping); None when it fits, has a mapping already, or cannot be read (the batch then
    fails with its one sentence, as any upload)."""
    if options.mapping is not None or options.mapping_name:
        return None
    try:
        raw = _peek(content, options)
    except BulkpocError:  # the batch reads it again, and records what is wrong
        return None
    try:
        map_headers(raw, RECORD_TYPES[options.record_type])
    except FileRejected as rejected:
        # A file without data rows has nothing to map: its batch says what it lacks.
        if rejected.code in (MISSING_COLUMNS.code, NO_KNOWN_COLUMNS.code) and len(raw.data):
            return FirstRows(raw.headers, raw.data.head(SAMPLE_ROWS))
        return None
    return None


def saved_for(store: Store, rows: FirstRows, options: ImportOptions) -> ImportOptions | None:
    """The options reading the file through the saved mapping made for exactly its headers,
    or None when there is none."""
    saved = store.mapping_for_headers(options.record_type, rows.headers)
    if saved is None:
        return None
    return with_saved_mapping(store, options, saved.name)


def known_names(store: Store, record_type: str) -> Known:
    """The store's names that the record type's columns refer to (skills, scripts…)."""
    refs = RECORD_TYPES[record_type].references
    return Known({ref: [r.name for r in references(store.engine, ref)] for ref in refs})


def propose(store: Store, rows: FirstRows, record_type: str) -> Proposal:
    """The step's first proposal: columns guessed by names and values, and spellings guessed
    for the values of each mapped column that takes media types, Y/N or the store's names."""
    rtype = RECORD_TYPES[record_type]
    known = known_names(store, record_type)
    samples = [rows.sample(at) for at in range(len(rows.headers))]
    columns = guess_columns(rtype, rows.headers, samples, known)
    spellings: dict[str, dict[str, str]] = {}
    offered: dict[str, list[str]] = {}
    for ours, at in columns.items():
        kind = spelled_kind(rtype, ours)
        if kind is None:
            continue
        values = list(dict.fromkeys(v.strip() for v in samples[at] if v.strip()))
        offered[ours] = offered_values(rows, at, kind, known)
        spellings[ours] = guess_spellings(kind, values, known)
    return Proposal(columns, spellings, offered, known)


def offered_values(rows: FirstRows, at: int, kind: str, known: Known) -> list[str]:
    """The distinct values of the file's column ``at`` the step offers to respell: those
    that are not already ours (a media type, Y/N, a skill the store has)."""
    values = dict.fromkeys(value.strip() for value in rows.sample(at) if value.strip())
    return [value for value in values if not is_ours(kind, value, known)][:SPELLINGS_SHOWN]


def read_through(rows: FirstRows, mapping: ColumnMapping) -> tuple[list[str], list[list[str]]]:
    """The first rows as the batch will read them through ``mapping``: our columns that the
    mapping fills (and the file's own that are ours), in our order, and their cells."""
    rtype = RECORD_TYPES[mapping.record_type]
    try:
        table = apply_mapping(mapping, rows.headers, rows.data.head(PREVIEW_ROWS))
    except BulkpocError:
        return [], []
    at = {fold_header(header): position for position, header in enumerate(table.headers)}
    shown = [
        header for header in rtype.headers if fold_header(header) in at and header != ERROR_COLUMN
    ]
    cells = [
        [str(table.data.iloc[row, at[fold_header(header)]] or "") for header in shown]
        for row in range(len(table.data))
    ]
    return shown, cells


def with_mapping(options: ImportOptions, mapping: ColumnMapping, name: str | None) -> ImportOptions:
    """The held upload's options reading its file through the step's mapping."""
    return dataclasses.replace(options, mapping=mapping.to_toml(), mapping_name=name)


def _sheets(options: ImportOptions) -> tuple[str, ...]:
    return RECORD_TYPES[options.record_type].sheet_names
