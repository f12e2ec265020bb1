"""Files bulkpoc cannot read, recognised so the message names what the file is and what to do.

Each kind is recognised from a ``Probe`` (its first bytes, the names inside a container), in
the order listed; ``identify`` in the registry asks them after the readable formats that are
recognised for sure, and before CSV, which takes any bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from bulkpoc.formats.base import Probe

SAVE_AS = "save it as Excel Workbook (.xlsx) or CSV and upload that file"


@dataclass(frozen=True)
class Unreadable:
    """A kind of file bulkpoc recognises but cannot read: what it is and what to do."""

    name: str
    description: str  # "an Apple Numbers spreadsheet"
    advice: str  # what the user does instead, in the imperative
    detect: Callable[[Probe], bool]


def _iwork(probe: Probe) -> bool:
    return probe.readable_zip and probe.has(".iwa", "index.zip")


def _numbers(probe: Probe) -> bool:
    return _iwork(probe) and any(
        ".numbers/" in name.lower() or "index/tables/" in name.lower() for name in probe.names
    )


def _encrypted_package(probe: Probe) -> bool:
    return probe.is_ole and "encryptedpackage" in probe.streams


def _encrypted_ods(probe: Probe) -> bool:
    return probe.readable_zip and "encryption-data" in probe.text("manifest")


def _data_files(probe: Probe) -> list[str]:
    """The files of a zip archive, without folders and macOS's __MACOSX copies."""
    return [
        name for name in probe.names if not name.endswith("/") and not name.startswith("__MACOSX/")
    ]


def _zipped_text(probe: Probe) -> bool:
    files = _data_files(probe)
    return (
        probe.readable_zip
        and not probe.text("content_types")
        and bool(files)
        and all(PurePosixPath(name).suffix.lower() in (".csv", ".txt", ".tsv") for name in files)
    )


def _zipped_workbook(probe: Probe) -> bool:
    files = _data_files(probe)
    return (
        probe.readable_zip
        and not probe.text("content_types")
        and any(
            PurePosixPath(name).suffix.lower() in (".xlsx", ".xls", ".ods", ".xlsb")
            for name in files
        )
    )


def _office_document(word: str) -> Callable[[Probe], bool]:
    return lambda probe: probe.readable_zip and word in probe.text("content_types")


def _gzip(probe: Probe) -> bool:
    return probe.head.startswith(b"\x1f\x8b")


def _gzipped_text(probe: Probe) -> bool:
    """A gzip file whose first inflated bytes are text."""
    if not _gzip(probe):
        return False
    try:
        start = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(probe.head, 512)
    except zlib.error:
        return False
    return bool(start) and b"\0" not in start and _decodes(start)


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(data) - 4  # a character cut by the sample's end
    return True


def _magic(*starts: bytes) -> Callable[[Probe], bool]:
    return lambda probe: probe.head.startswith(starts)


def _flat_ods(probe: Probe) -> bool:
    head = probe.head[:HEAD_TEXT]
    return head.lstrip().startswith(b"<?xml") and b"opendocument.spreadsheet" in head


HEAD_TEXT = 2048

# Checked before the readable formats: an encrypted workbook looks like one of them.
ENCRYPTED = Unreadable(
    "encrypted",
    "a password-protected (encrypted) workbook",
    "open it with its password, save a copy without a password as Excel Workbook (.xlsx) or "
    "CSV, and upload that file",
    lambda probe: _encrypted_package(probe) or _encrypted_ods(probe) or probe.encrypted_biff,
)
KINDS = (
    Unreadable(
        "numbers",
        "an Apple Numbers spreadsheet",
        "in Numbers choose File > Export To > Excel (or CSV) and upload the exported file",
        _numbers,
    ),
    Unreadable(
        "iwork",
        "an Apple Pages or Keynote document",
        "copy the table into a spreadsheet and " + SAVE_AS,
        _iwork,
    ),
    Unreadable(
        "zipped_csv",
        "a zip archive holding a CSV file",
        "unzip it and upload the CSV file inside",
        _zipped_text,
    ),
    Unreadable(
        "zipped_workbook",
        "a zip archive holding a workbook",
        "unzip it and upload the workbook inside",
        _zipped_workbook,
    ),
    Unreadable(
        "docx",
        "a Word document",
        "copy the table into a spreadsheet and " + SAVE_AS,
        _office_document("wordprocessingml"),
    ),
    Unreadable(
        "pptx",
        "a PowerPoint presentation",
        "copy the table into a spreadsheet and " + SAVE_AS,
        _office_document("presentationml"),
    ),
    Unreadable(
        "gzipped_csv",
        "a compressed (gzip) CSV file",
        "decompress it and upload the CSV file inside",
        _gzipped_text,
    ),
    Unreadable(
        "gzip", "a compressed (gzip) file", "decompress it and upload the file inside", _gzip
    ),
    Unreadable(
        "archive",
        "a compressed archive (7z, RAR, bzip2 or xz)",
        "extract it and upload the CSV or XLSX file inside",
        _magic(b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"BZh", b"\xfd7zXZ\x00"),
    ),
    Unreadable(
        "pdf",
        "a PDF document",
        "export the table from where it was made and " + SAVE_AS,
        _magic(b"%PDF-"),
    ),
    Unreadable(
        "fods",
        "a LibreOffice flat XML spreadsheet (.fods)",
        "in LibreOffice save it as ODF Spreadsheet (.ods), Excel 2007-365 (.xlsx) or CSV and "
        "upload that file",
        _flat_ods,
    ),
    Unreadable(
        "zip",
        "a zip archive that holds no spreadsheet",
        "unzip it and upload the CSV or XLSX file inside",
        lambda probe: probe.readable_zip,
    ),
    Unreadable(
        "ole",
        "an Office 97-2003 document that is not a workbook, or is damaged",
        "open it where it was made and " + SAVE_AS,
        lambda probe: probe.is_ole,
    ),
)
