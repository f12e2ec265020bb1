"""The file formats bulkpoc reads and writes, one module each, kept in a registry (as tablib's).

``batch.read``, ``output.exports`` and ``output.report`` look a format up here by name (the
File Type option, or ``RawTable.file_type``) or identify a file from its content (``probe``);
none of them knows a format's details. A new format is a module with a ``Format`` object,
registered below. Files that are recognised but cannot be read (``unreadable``) are identified
here too, so a message names what the file is.
"""

from __future__ import annotations

from bulkpoc.formats.base import Format, RawTable, RowProblem, Source, WriteOptions
from bulkpoc.formats.csv_format import CSV
from bulkpoc.formats.probe import probe
from bulkpoc.formats.spreadsheet import ODS, XLS, XLSB
from bulkpoc.formats.unreadable import ENCRYPTED, KINDS, Unreadable
from bulkpoc.formats.xlsx_format import XLSX

__all__ = [
    "Format",
    "RawTable",
    "RowProblem",
    "Source",
    "Unreadable",
    "WriteOptions",
    "available",
    "get",
    "identify",
    "options",
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


def options() -> tuple[str, ...]:
    """The File Types a user declares: each format that is its own option (csv, xlsx)."""
    return tuple(name for name, fmt in _REGISTRY.items() if fmt.option == name)


def identify(source: Source) -> Format | Unreadable:
    """What ``source`` is: a format bulkpoc reads, or a kind of file it recognises and cannot.

    An encrypted workbook is looked for first (it looks like a readable one), then the
    formats in registration order, CSV last since any bytes may be text.
    """
    looked = probe(source)
    if ENCRYPTED.detect(looked):
        return ENCRYPTED
    found = next((fmt for fmt in _REGISTRY.values() if fmt is not CSV and fmt.detect(looked)), None)
    if found is not None:
        return found
    return next((kind for kind in KINDS if kind.detect(looked)), CSV)


register(XLSB)  # before XLSX: an .xlsb package may declare .xml parts too
register(XLSX)
register(ODS)
register(XLS)
register(CSV)  # last: any bytes may be text, and its reader refuses what is not
