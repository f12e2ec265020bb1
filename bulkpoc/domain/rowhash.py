"""Row hashes: each stored record keeps a hash of the row an export writes for it.

An upload of an unchanged export then finds its unchanged rows by hashing the file's cells and
comparing with the stored hash of each row's record, without reading the records' values. The
hash covers every cell an export writes except the key (a row is matched to its record by key,
and the store assigns IDs only on insert) and Row Changed: the fields in the order of the
record type's headers, then Last Modified. It is XXH3 (64 bits) of the cells' UTF-8 joined by
the unit separator, kept as a signed 64-bit integer; stored text never holds the separator
(validation refuses control characters), so equal hashes mean equal cells but for a chance of
one in 2^64. NULL means not known: such a record is compared value by value, as before.

Every write keeps the hash right: apply stamps the rows it writes (``exported``), and a
rename of a skill, script or chat profile recomputes the hashes of the records whose exported
rows name it (``naming``; the store's ``bulkpoc.store.row_hashes`` rewrites them).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from xxhash import xxh3_64_intdigest

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.as_text import records_as_text, timestamps_as_text
from bulkpoc.domain.records.base import LAST_MODIFIED, RecordType

SEPARATOR = "\x1f"
_JOIN = pc.JoinOptions(null_handling="replace", null_replacement="")
HASH_ROWS = 50_000  # records turned into text and hashed at once: bounds the memory it takes


def hashed_headers(rtype: RecordType) -> list[str]:
    """The file columns a row hash covers, in order."""
    return [field.header for field in rtype.fields] + (
        [LAST_MODIFIED] if rtype.has_last_modified else []
    )


def hash_text(columns: list[pd.Series]) -> np.ndarray:
    """The hash of each row of equally long text columns, as int64."""
    return hash_joined(join_text(columns))


def join_text(columns: list[pd.Series]) -> pa.Array:
    """Each row's cells joined by the unit separator, by Arrow in one pass."""
    if not columns or not len(columns[0]):
        return pa.array([], type=pa.string())
    arrays = [pa.array(column, type=pa.string(), from_pandas=True) for column in columns]
    return pc.binary_join_element_wise(*arrays, SEPARATOR, options=_JOIN)


def hash_joined(joined: pa.Array) -> np.ndarray:
    """The hash of each joined row, as int64: only the hash itself is a call per row."""
    if not len(joined):
        return np.empty(0, dtype=np.int64)
    digests = map(xxh3_64_intdigest, joined.cast(pa.binary()).to_pylist())
    return np.fromiter(digests, dtype=np.uint64, count=len(joined)).view(np.int64)


def cell_hashes(rtype: RecordType, cells: pd.DataFrame) -> np.ndarray:
    """The hash of each row of a file's cleaned cells (one column per header)."""
    return hash_text([cells[header] for header in hashed_headers(rtype)])


def record_hashes(
    rtype: RecordType,
    refs: dict[str, pd.DataFrame],
    records: pd.DataFrame,
    written_at: dt.datetime | None = None,
) -> np.ndarray:
    """The hash of each record's exported row; ``refs`` holds the names its references show.

    ``written_at``, when given, is every record's Last Modified (one text for all, rather than
    100,000 timestamps formatted); otherwise the records' own ``last_modified`` is.
    """
    if len(records) > HASH_ROWS:  # the rows as text cost more than the records: a slice at a time
        slices = range(0, len(records), HASH_ROWS)
        return np.concatenate(
            [
                record_hashes(rtype, refs, records.iloc[i : i + HASH_ROWS], written_at)
                for i in slices
            ]
        )
    stamped = written_at is not None and rtype.has_last_modified
    text = records_as_text(rtype, refs, records, with_timestamps=not stamped, with_key=False)
    if stamped:
        text[LAST_MODIFIED] = timestamps_as_text(pd.Series([written_at])).iloc[0]
    return hash_text([text[header] for header in hashed_headers(rtype)])


class Exported(NamedTuple):
    """Records as their export will show them once written: the cells per header, each row's
    cells joined (what its hash covers, and what a change record keeps of a whole record),
    and the hashes."""

    text: pd.DataFrame
    joined: pa.Array
    hashes: np.ndarray


def exported(
    rtype: RecordType, refs: dict[str, pd.DataFrame], records: pd.DataFrame, written_at: dt.datetime
) -> Exported:
    """``records`` as exported once written at ``written_at``; ``refs`` holds the names their
    references show."""
    text = records_as_text(rtype, refs, records, with_timestamps=False, with_key=False)
    if rtype.has_last_modified:
        text[LAST_MODIFIED] = timestamps_as_text(pd.Series([written_at])).iloc[0]
    joined = join_text([text[header] for header in hashed_headers(rtype)])
    return Exported(text, joined, hash_joined(joined))


def naming(rtype: RecordType) -> list[tuple[RecordType, str]]:
    """The record types whose rows show the name of a record of ``rtype``, and the column."""
    return [
        (dependent, field.name)
        for dependent in RECORD_TYPES.values()
        for field in dependent.fields
        if field.kind == "ref" and field.ref == rtype.name
    ]
