"""The mapping stage: a partner's file, as read, turned into our columns before the headers
are matched and the rows validated (``domain.mapping`` does the work, a column at a time).

The batch keeps the file as read for its error file, so a partner gets back their own columns
and cells; its row errors name the partner's header of a mapped column.
"""

from __future__ import annotations

import dataclasses

from bulkpoc.domain.errors.types import UnknownMapping
from bulkpoc.domain.mapping import ColumnMapping, apply_mapping
from bulkpoc.domain.options import ImportOptions
from bulkpoc.formats.base import RawTable

__all__ = ["mapped", "missing_mapping"]


def mapped(raw: RawTable, options: ImportOptions) -> tuple[RawTable, dict[str, str]]:
    """``raw`` as our columns, and our header -> the file's header for each renamed column
    (empty, and ``raw`` itself, when the batch has no mapping)."""
    if options.mapping is None:
        if options.mapping_name:
            raise missing_mapping(options)
        return raw, {}
    mapping = ColumnMapping.from_toml(options.mapping, options.record_type)
    table = apply_mapping(mapping, raw.headers, raw.data)
    moved: dict[int, list[int]] = {}
    for position, origin in enumerate(table.origins):
        if origin is not None:
            moved.setdefault(origin, []).append(position)
    cell_errors = [
        (row, position, text)
        for row, origin, text in raw.cell_errors
        for position in moved.get(origin, [])
    ]
    ours = dataclasses.replace(raw, headers=table.headers, data=table.data, cell_errors=cell_errors)
    return ours, table.file_headers(raw.headers)


def missing_mapping(options: ImportOptions) -> UnknownMapping:
    """A batch whose mapping was named but not found when it was submitted (a schedule's
    mapping removed since the schedule was set up)."""
    whose = "The schedule's" if options.source == "schedule" else "The upload's"
    return UnknownMapping(
        f"{whose} column mapping {options.mapping_name!r} is not saved (it may have been "
        "removed), so the file was not read; save the mapping again or choose another."
    )
