"""Zip archives (.xlsx, .xlsb, .ods) inflated in a bounded stream, whatever sizes they state.

An archive states each member's inflated size in its central directory, and a forged archive
can state 5 MB for a member that inflates to 1.2 GB; the readers after us inflate all of it.
So before any reader opens an archive, every member is inflated here a megabyte at a time,
nothing kept, and the archive is refused as soon as the bytes really inflated pass
``MAX_INFLATED``: a reader is never given an archive that inflates past the limit. A member
whose real size differs from the size it states is damaged or forged, and is refused too.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from typing import BinaryIO

from bulkpoc.domain.errors.codes import DAMAGED_ARCHIVE, TOO_LARGE
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats.base import Source, opened

# The most a workbook may inflate to, all members together. An export of 1,000,000 POCs (the
# most a batch is built for) inflates to about 760 MB.
MAX_INFLATED = 1024**3
CHUNK = 1 << 20  # bytes inflated at a time
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a member's local header, as zipfile reads it
_LOCAL_MAGIC = b"PK\x03\x04"

# Sees each inflated chunk of one member; the same object is called for each of its chunks.
Watcher = Callable[[bytes], None]


class Damaged(Exception):
    """A member cannot be inflated: its bytes are cut short, not deflate, or not as stated."""


def members(source: Source, name: str) -> list[zipfile.ZipInfo]:
    """The archive's members as its central directory lists them; FileRejected if unreadable."""
    try:
        with opened(source) as handle, zipfile.ZipFile(handle) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRejected(DAMAGED_ARCHIVE, name=name) from None


def check_inflated(
    source: Source,
    name: str,
    infos: list[zipfile.ZipInfo],
    watch: Callable[[zipfile.ZipInfo], Watcher | None] = lambda info: None,
    limit: int | None = None,
) -> None:
    """Inflate every member in a bounded stream; refuse the archive past ``limit`` bytes.

    ``watch`` may give, for a member, a function that sees each of its inflated chunks (the
    worksheet scans use it), so a member is inflated once for the check and the scan.
    """
    budget = MAX_INFLATED if limit is None else limit
    with opened(source) as handle:
        for info in infos:
            seen = watch(info)
            try:
                for chunk in inflated(handle, info):
                    budget -= len(chunk)
                    if budget < 0:
                        raise FileRejected(TOO_LARGE, name=name)
                    if seen is not None:
                        seen(chunk)
            except Damaged:
                raise FileRejected(DAMAGED_ARCHIVE, name=name) from None


def inflated(handle: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's real bytes, a chunk at a time, however large the member says it is.

    Deflate data is read until the deflate stream itself ends (or the file does), not only as
    far as the stated compressed size: that is at least what any reader could inflate.
    """
    if info.flag_bits & 0x1:
        raise Damaged("encrypted member")
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        raise Damaged("no local header")
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11])
    if info.compress_type == zipfile.ZIP_STORED:
        size = yield from _stored(handle, info.compress_size)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        size = yield from _deflated(handle)
    else:  # the readers inflate nothing else (deflate64, bzip2, lzma…)
        raise Damaged("unsupported compression")
    if size != info.file_size:
        raise Damaged("size differs from the stated size")


def _stored(handle: BinaryIO, size: int) -> Generator[bytes, None, int]:
    left = size
    while left:
        chunk = handle.read(min(CHUNK, left))
        if not chunk:
            raise Damaged("cut short")
        left -= len(chunk)
        yield chunk
    return size


def _deflated(handle: BinaryIO) -> Generator[bytes, None, int]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    while not inflater.eof:
        data = inflater.unconsumed_tail or handle.read(CHUNK)
        if not data:
            raise Damaged("cut short")
        try:
            chunk = inflater.decompress(data, CHUNK)
        except zlib.error:
            raise Damaged("not deflate data") from None
        size += len(chunk)
        if chunk:
            yield chunk
    return size
