"""Map a file's header row to a record type's columns.

Headers match whatever their case and spacing, in any order. Invisible characters in a header
are repaired (a header names one of a few known columns, so that cannot change what it means),
and each repair is a warning; an unknown header is shown with them written as codes and named.
"""

from __future__ import annotations

from bulkpoc.domain import invisible
from bulkpoc.domain.errors.codes import (
    DUPLICATE_COLUMN,
    HEADER_REPAIRED,
    MISSING_COLUMNS,
    NO_KNOWN_COLUMNS,
)
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.domain.mapping import closest_header
from bulkpoc.domain.records.base import ERROR_COLUMN, RecordType
from bulkpoc.formats.base import RawTable

__all__ = ["header_key", "map_headers"]


def header_key(header: str) -> str:
    return "".join(header.split()).casefold()


def map_headers(raw: RawTable, rtype: RecordType) -> tuple[dict[str, int], list[str]]:
    """Which file column holds each known header; unknown ones become warnings.

    Invisible characters in a header are repaired (a header names one of a few known columns,
    so that cannot change what it means), and each repair is a warning; an unknown header is
    shown with them written as codes and named.
    """
    known = {header_key(header): header for header in rtype.headers}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    warnings: list[str] = []
    for position, header in enumerate(raw.headers):
        repaired, repairs = invisible.repair_header(header, first=position == 0)
        key = header_key(repaired)
        if key == header_key(ERROR_COLUMN):
            continue
        if key not in known:
            unknown.append(_shown_header(header, position))
            continue
        canonical = known[key]
        if canonical in positions:
            raise FileRejected(DUPLICATE_COLUMN, header=canonical)
        positions[canonical] = position
        if repairs:
            warnings.append(
                HEADER_REPAIRED.message(header=canonical, column=position + 1, repair=repairs)
            )
    if not positions:
        raise FileRejected(NO_KNOWN_COLUMNS, plural=rtype.plural, headers=", ".join(rtype.headers))
    missing = [header for header in rtype.required_headers if header not in positions]
    if missing:
        raise FileRejected(
            MISSING_COLUMNS,
            s="s" if len(missing) > 1 else "",
            headers=", ".join(_with_closest(header, raw.headers, positions) for header in missing),
            detail="".join(f" {note}" for note in _unknown_notes(raw.headers, positions)),
        )
    if unknown:
        warnings.insert(0, "Ignored unknown column(s): " + ", ".join(unknown) + ".")
    return positions, warnings


def _with_closest(header: str, headers: list[str], positions: dict[str, int]) -> str:
    """A missing column as its message names it: with the file's closest unused header (one
    holding invisible characters has a note of its own, ``_unknown_notes``)."""
    used = set(positions.values())
    unused = [
        text
        for position, text in enumerate(headers)
        if position not in used and not invisible.found_in(_without_bom(text, position))
    ]
    close = closest_header(header, unused)
    return f"'{header}' (the closest in the file is '{close}')" if close else f"'{header}'"


def _shown_header(header: str, position: int) -> str:
    """An unknown header as a message shows it: its invisible characters written as codes."""
    header = _without_bom(header, position)
    shown = invisible.visible(header.strip()) or f"(unnamed column {position + 1})"
    named = invisible.found_in(header)
    return f"{shown} (which contains {invisible.listed(named)})" if named else shown


def _unknown_notes(headers: list[str], positions: dict[str, int]) -> list[str]:
    """What a missing column's message adds: the unknown headers holding characters that the
    header repair leaves (a garbled byte order mark past the start of the file)."""
    mapped = set(positions.values())
    texts = [_without_bom(header, position) for position, header in enumerate(headers)]
    return [
        f"Column {position + 1}: {invisible.note(text)}"
        for position, text in enumerate(texts)
        if position not in mapped and invisible.found_in(text)
    ]


def _without_bom(header: str, position: int) -> str:
    """The first header without the file's byte order mark, which is the encoding's."""
    return header.lstrip("\ufeff") if position == 0 else header
