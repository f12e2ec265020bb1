"""What every file format shares: the table a reader returns, the interface a format offers, and
the ``Probe`` a format recognises a file by (``probe`` builds it).

A leaf module: the format modules, the registry and ``read`` all import it, and it imports none
of them, so there is no import cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, TypeAlias

import pandas as pd
import pyarrow as pa

from bulkpoc.domain.errors.codes import ErrorType

# A file on disk, or its bytes as a seekable binary stream (what the web and job layers hold).
Source: TypeAlias = Path | BinaryIO
STREAM_NAME = "the upload"  # how messages name a stream that was given no name
# A file may have this many columns: the widest record type has 11, the rest is room for the
# user's own. Wider files are refused from their header, before their rows are read.
MAX_COLUMNS = 1_000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Office 97-2003 compound file


class RowProblem(NamedTuple):
    """A problem the reader found with one row (``column`` empty when it is the whole row)."""

    row: int
    column: str
    value: str
    error: ErrorType
    params: dict[str, object]

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.message(**self.params)


@dataclass
class RawTable:
    """The file's header and cells as text, exactly as read (not yet trimmed)."""

    headers: list[str]
    data: pd.DataFrame  # columns 0..n-1, every cell a str
    rows: pd.Series  # spreadsheet row number of each data row
    file_type: str  # the format's name: "csv", "xlsx", "ods"…
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)
    # Spreadsheet error cells (#N/A, #REF!…), which calamine reads as empty: (row, column, text)
    cell_errors: list[tuple[int, int, str]] = field(default_factory=list)
    # Rows the reader could read only in part (more cells than the header…): they fail alone.
    row_problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class WriteOptions:
    """How to lay out a written file; each format uses what it can hold."""

    title: str = "Sheet"  # the worksheet's name
    text_columns: tuple[str, ...] = ()  # columns formatted as text, so Excel keeps leading zeros
    dropdowns: dict[str, list[str]] = field(default_factory=dict)  # choices offered per header
    instructions: tuple[str, ...] = ()  # lines of an Instructions sheet
    delimiter: str = ","


@dataclass(frozen=True)
class Probe:
    """A file's first bytes and, for a zip or compound file, the names inside it."""

    head: bytes
    names: tuple[str, ...] = ()  # a zip archive's members, "/"-separated, as written
    readable_zip: bool = False  # the head says zip and the central directory could be read
    small: dict[str, str] = field(default_factory=dict)  # content_types, mimetype, manifest
    streams: tuple[str, ...] = ()  # a compound file's stream paths, lower case
    encrypted_biff: bool = False  # an Excel 97-2003 workbook saved with a password

    @property
    def is_zip(self) -> bool:
        return self.head.startswith(ZIP_MAGIC)

    @property
    def is_ole(self) -> bool:
        return self.head.startswith(OLE_MAGIC)

    def text(self, member: str) -> str:
        """A small named member's text: ``content_types``, ``mimetype`` or ``manifest``."""
        return self.small.get(member, "")

    def has(self, *endings: str) -> bool:
        """Whether a member's name (lower case) ends with one of ``endings``."""
        return any(name.lower().endswith(endings) for name in self.names)


class Format(Protocol):
    """One file format: how to recognise, read and write it (as tablib's formats)."""

    name: str  # RawTable.file_type and the run history's file type: "csv", "ods"…
    option: str  # the File Type that declares it: "csv", or "xlsx" for every spreadsheet
    title: str  # what it writes, on a download link: "Excel (.xlsx)"
    choice: str  # how its File Type is offered on an upload: "Spreadsheet (.xlsx, .xls, .ods)"
    description: str  # what a file of it is: "a text (CSV) file"
    extensions: tuple[str, ...]  # the first is the one written
    styled: bool  # holds formatting, dropdowns and extra sheets, which cost a store read

    def detect(self, probe: Probe) -> bool:
        """Whether the file ``probe`` looked at is of this format."""
        ...

    def read(self, source: Source, name: str, sheet_names: tuple[str, ...] = ()) -> RawTable:
        """The whole table; FileRejected with one sentence naming ``name`` if it cannot be."""
        ...

    def write(self, frame: pd.DataFrame, path: Path, options: WriteOptions) -> None:
        """``frame`` (columns named by header, every cell text) as a file a user opens."""
        ...

    def write_errors(self, frame: pd.DataFrame, path: Path, raw: RawTable) -> None:
        """The error file of an upload, laid out like the upload (delimiter, sheet name)."""
        ...


@contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """The source as a binary stream at its start: a path is opened, a stream rewound."""
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield handle
    else:
        source.seek(0)
        yield source


def file_label(name: str) -> str:
    """How a message that starts a sentence names the file: "The file x.csv" or "The upload"."""
    return "The upload" if name == STREAM_NAME else f"The file {name}"


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow string columns as a DataFrame with positional column labels."""
    string = pd.StringDtype("pyarrow", na_value=float("nan"))
    frame = table.to_pandas(types_mapper={pa.string(): string}.get)
    frame.columns = range(table.num_columns)
    return frame
