"""What a file's first bytes, and for a container its table of contents, say it is.

Formats and the unreadable kinds (``unreadable``) recognise a file from a ``Probe`` (declared in
``base``, beside the interface a format offers) rather than from its name: a zip archive may be
a workbook, a LibreOffice spreadsheet, an Apple Numbers document or a zipped CSV; an Office
97-2003 compound file may be a workbook or an encrypted one. Only a few small members are read,
each no further than ``SMALL`` bytes.
"""

from __future__ import annotations

import struct
import zipfile

from bulkpoc.formats import archive
from bulkpoc.formats.base import OLE_MAGIC, ZIP_MAGIC, Probe, Source, opened

HEAD = 4096
SMALL = 1 << 20  # the most read of a member that names the package's kind
_BIFF_FILEPASS, _BIFF_EOF = 0x002F, 0x000A  # record types of an Excel 97-2003 workbook
_NAMED_MEMBERS = {
    "[content_types].xml": "content_types",
    "mimetype": "mimetype",
    "meta-inf/manifest.xml": "manifest",
}


def probe(source: Source) -> Probe:
    """Look at ``source`` (a path or a seekable stream) without reading it whole."""
    with opened(source) as handle:
        head = handle.read(HEAD)
    if head.startswith(ZIP_MAGIC):
        return _zip_probe(source, head)
    if head.startswith(OLE_MAGIC):
        return _ole_probe(source, head)
    return Probe(head)


def _zip_probe(source: Source, head: bytes) -> Probe:
    try:
        with opened(source) as handle, zipfile.ZipFile(handle) as package:
            infos = package.infolist()
            small = {}
            for info in infos:
                key = _NAMED_MEMBERS.get(info.filename.replace("\\", "/").lower())
                if key:
                    small[key] = _small_text(handle, info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return Probe(head)
    names = tuple(info.filename.replace("\\", "/") for info in infos)
    return Probe(head, names, readable_zip=True, small=small)


def _small_text(handle, info: zipfile.ZipInfo) -> str:
    """The first ``SMALL`` bytes of a member as text; empty if it cannot be inflated."""
    data = b""
    try:
        for chunk in archive.inflated(handle, info):
            data += chunk
            if len(data) >= SMALL:
                break
    except archive.Damaged:
        return ""
    return data[:SMALL].decode("utf-8", "replace")


def _ole_probe(source: Source, head: bytes) -> Probe:
    import olefile

    try:
        with opened(source) as handle, olefile.OleFileIO(handle) as compound:
            streams = tuple("/".join(path).lower() for path in compound.listdir())
            book = next((name for name in ("workbook", "book") if name in streams), None)
            encrypted = book is not None and _biff_encrypted(compound.openstream(book).read(SMALL))
    except (OSError, ValueError, IndexError, KeyError, RecursionError, struct.error):
        return Probe(head)
    return Probe(head, streams=streams, encrypted_biff=encrypted)


def _biff_encrypted(stream: bytes) -> bool:
    """Whether the workbook's first records hold FILEPASS: the workbook needs a password."""
    offset = 0
    while offset + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, offset)
        if record == _BIFF_FILEPASS:
            return True
        if record == _BIFF_EOF:
            return False
        offset += 4 + length
    return False
