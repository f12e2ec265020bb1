"""How many cells a sheet spans, bounded before calamine lays the sheet out.

calamine allocates a sheet as a dense grid from its first to its last filled cell, 32 bytes a
cell, before we see a cell of it: two cells at A1 and XFD1048576 in a 7 KB workbook ask for
550 GB and abort the process. So every worksheet of a workbook is looked at while the archive
is inflated (``archive.check_inflated`` hands each chunk here): a sheet that references no
column past Z and no row past Excel's last (1,048,576) spans at most ``MAX_CELLS``, which a
fast search of each chunk proves. Only a sheet that goes further, or that leaves cells to be
placed by their order (no reference), is measured exactly; one wider than ``MAX_COLUMNS`` or
spanning more than ``MAX_CELLS`` is refused. Binary worksheets (.xlsb) are measured record by
record.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from bulkpoc.domain.errors.codes import TOO_LARGE, TOO_MANY_COLUMNS
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats import archive
from bulkpoc.formats.base import MAX_COLUMNS, Source, file_label, opened

EXCEL_ROWS = 1_048_576
MAX_CELLS = 26 * EXCEL_ROWS  # every row Excel has, 26 columns wide: about 870 MB laid out
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\0", b"\0<")  # XML in UTF-16, as calamine reads it
_OVERLAP = 512  # bytes of one chunk searched again with the next, for a tag cut in two
_ROW_PAST_EXCEL = (
    rb"0*(?:[1-9]\d{7,}|[2-9]\d{6}|1[1-9]\d{5}|10[5-9]\d{4}|1049\d{3}"
    rb"|1048[6-9]\d\d|10485[89]\d|104857[7-9])"
)
# A cell or row whose reference goes past column Z or past Excel's last row, or a cell with no
# reference at all (placed after the one before it).
_BEYOND = re.compile(
    rb"<(?:[\w.-]+:)?(?:c|row)\b[^>]*?\sr\s*=\s*[\"']\s*(?:[A-Za-z]{2}|[A-Za-z]*"
    + _ROW_PAST_EXCEL
    + rb")"
)
_UNPLACED = re.compile(
    rb"<(?:[\w.-]+:)?c(?:\s+(?!r\s*=)[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>"
)
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)\b([^>]*)>")
_REF = re.compile(rb"\sr\s*=\s*[\"']\s*([A-Za-z]*)(\d*)")


@dataclass
class _Sheet:
    """What the search saw of one member: whether it holds sheet data, and must be measured."""

    info: zipfile.ZipInfo
    tail: bytes = b""
    data: bool = False  # "sheetData" seen: cells may follow
    measure: bool = False

    def __call__(self, chunk: bytes) -> None:
        text = self.tail + chunk
        self.tail = text[-_OVERLAP:]
        if self.measure:
            return
        if not self.data:
            if text.startswith(_UTF16_STARTS):  # the searches would not see it
                self.data = self.measure = True
                return
            at = text.find(b"sheetData")
            if at < 0:
                return
            self.data, text = True, text[at:]
        self.measure = bool(_BEYOND.search(text) or _UNPLACED.search(text))


@dataclass
class Survey:
    """The worksheets of one archive, watched while it is inflated."""

    binary: bool  # .xlsb: every worksheet part is measured record by record
    sheets: list[_Sheet] = field(default_factory=list)

    def watch(self, info: zipfile.ZipInfo) -> archive.Watcher | None:
        if self.binary:
            if "worksheets/" in info.filename.replace("\\", "/").lower():
                self.sheets.append(_Sheet(info, data=True, measure=True))
            return None
        self.sheets.append(_Sheet(info))
        return self.sheets[-1]


def check_archive(source: Source, name: str, binary: bool = False) -> None:
    """Bound what the archive inflates to, and what each of its sheets spans."""
    survey = Survey(binary)
    archive.check_inflated(source, name, archive.members(source, name), survey.watch)
    for sheet in survey.sheets:
        if sheet.measure:
            rows, columns = _measured(source, sheet.info, binary)
            _check(rows, columns, name)


def _check(rows: int, columns: int, name: str) -> None:
    if columns > MAX_COLUMNS:
        raise FileRejected(
            TOO_MANY_COLUMNS, file=file_label(name), columns=f"{columns:,}", limit=MAX_COLUMNS
        )
    if rows * columns > MAX_CELLS:
        raise FileRejected(TOO_LARGE, name=name)


def _measured(source: Source, info: zipfile.ZipInfo, binary: bool) -> tuple[int, int]:
    with opened(source) as handle:
        chunks = archive.inflated(handle, info)
        return _binary_extent(chunks) if binary else _xml_extent(chunks)


def _xml_extent(chunks: Iterator[bytes]) -> tuple[int, int]:
    """(rows, columns) the sheet's cells span, placed as calamine places them, a chunk at a
    time: a tag cut by a chunk's end is kept for the next."""
    span = _Span()
    carry = b""
    decoder = None
    for number, chunk in enumerate(chunks):
        if number == 0 and chunk.startswith(_UTF16_STARTS):
            encoding = "utf-16" if chunk[:2] in _UTF16_STARTS[:2] else "utf-16-le"
            encoding = "utf-16-be" if chunk.startswith(b"\0<") else encoding
            decoder = codecs.getincrementaldecoder(encoding)()
        if decoder is not None:
            chunk = decoder.decode(chunk).encode("utf-8")
        text = carry + chunk
        cut = text.rfind(b"<")
        span.place(text[:cut] if cut > 0 else b"")
        carry = text[cut:] if cut > 0 else text
    span.place(carry)
    return span.extent()


class _Span:
    """The cells' lowest and highest row and column, each cell placed as calamine does: by its
    reference, else after the cell before it (a row without a reference follows the last)."""

    def __init__(self) -> None:
        self.row = self.column = 0
        self.low_row = self.low_column = 1 << 62
        self.high_row = self.high_column = -1

    def place(self, xml: bytes) -> None:
        for match in _TAG.finditer(xml):
            ref = _REF.search(match[2])
            if match[1] == b"row":
                self.row = int(ref[2]) - 1 if ref and ref[2] else self.row + 1
                self.column = -1
                continue
            if ref and ref[2]:
                self.row, self.column = int(ref[2]) - 1, _column_number(ref[1]) - 1
            else:
                self.column += 1
            self.keep(self.row, self.column)

    def keep(self, row: int, column: int) -> None:
        self.low_row, self.high_row = min(self.low_row, row), max(self.high_row, row)
        self.low_column = min(self.low_column, column)
        self.high_column = max(self.high_column, column)

    def extent(self) -> tuple[int, int]:
        if self.high_row < 0:
            return 0, 0
        return self.high_row - self.low_row + 1, self.high_column - self.low_column + 1


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


# .xlsb records: a row header (BrtRowHdr) and the cell records after it, within sheet data.
_ROW_HEADER, _BEGIN_DATA, _END_DATA = 0x00, 0x91, 0x92
_CELLS = range(0x01, 0x0E)


def _binary_extent(chunks: Iterator[bytes]) -> tuple[int, int]:
    """(rows, columns) an .xlsb worksheet's cell records span."""
    span = _Span()
    buffer = b""
    data = False
    for chunk in chunks:
        buffer += chunk
        offset = 0
        while (parsed := _record(buffer, offset)) is not None:
            kind, body, offset = parsed
            if kind in (_BEGIN_DATA, _END_DATA):
                data = kind == _BEGIN_DATA
            elif kind == _ROW_HEADER and len(body) >= 4:
                span.row = int.from_bytes(body[:4], "little")
            elif data and kind in _CELLS and len(body) >= 4:
                span.keep(span.row, int.from_bytes(body[:4], "little"))
        buffer = buffer[offset:]
    return span.extent()


def _record(buffer: bytes, offset: int) -> tuple[int, bytes, int] | None:
    """(type, body, next offset) of the record at ``offset``; None if it is not all there."""
    kind, offset = _varint(buffer, offset, 2)
    if kind < 0:
        return None
    size, offset = _varint(buffer, offset, 4)
    if size < 0 or offset + size > len(buffer):
        return None
    return kind, buffer[offset : offset + size], offset + size


def _varint(buffer: bytes, offset: int, most: int) -> tuple[int, int]:
    """A record's type (two bytes at most) or size (four), seven bits a byte; -1 if cut."""
    value = shift = 0
    for _ in range(most):
        if offset >= len(buffer):
            return -1, offset
        byte = buffer[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset
    return value, offset
