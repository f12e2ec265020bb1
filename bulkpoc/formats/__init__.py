"""The file formats bulkpoc reads and writes, one module each, kept in a registry (as tablib's).

``read``, ``write`` and ``report`` look a format up here by name (the File Type option, or
``RawTable.file_type``) or detect it from a file's first bytes; none of them knows a format's
details. A new format is a module with a ``Format`` object, registered below.
"""

from __future__ import annotations

from bulkpoc.formats.base import Format, RawTable, RowProblem, Source, WriteOptions
from bulkpoc.formats.csv_format import CSV
from bulkpoc.formats.xlsx_format import XLSX

__all__ = [
    "Format",
    "RawTable",
    "RowProblem",
    "Source",
    "WriteOptions",
    "available",
    "detect",
    "get",
    "register",
]

_REGISTRY: dict[str, Format] = {}


def register(file_format: Format) -> None:
    """Add a format; formats are detected in the order they were registered."""
    _REGISTRY[file_format.name] = file_format


def get(name: str) -> Format:
    """The format called ``name`` (case-insensitive); ValueError for one bulkpoc does not know."""
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise ValueError(f"unknown file format {name!r}") from None


def available() -> tuple[str, ...]:
    """The names of every registered format, in detection order."""
    return tuple(_REGISTRY)


def detect(head: bytes) -> Format:
    """The first registered format that recognises a file starting with ``head``."""
    return next(fmt for fmt in _REGISTRY.values() if fmt.detect(head))


register(XLSX)
register(CSV)  # last: any bytes may be text, and its reader refuses what is not
