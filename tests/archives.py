"""Workbooks built byte by byte for the reader's tests: members that lie about their size."""

from __future__ import annotations

import io
import struct
import zipfile

import openpyxl

from tests.conftest import workbook_bytes

_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"


def sheet_xml(rows: list[list[str]], padding: int = 0) -> bytes:
    """A worksheet of inline-string rows, with ``padding`` spaces (legal XML) after the data."""
    xml = [
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>"
    ]
    for number, row in enumerate(rows, start=1):
        xml.append(b'<row r="%d">' % number)
        for column, value in enumerate(row):
            ref = b"%c%d" % (65 + column, number)
            text = value.encode().replace(b"&", b"&amp;").replace(b"<", b"&lt;")
            xml.append(b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, text))
        xml.append(b"</row>")
    xml.append(b"</sheetData>" + b" " * padding + b"</worksheet>")
    return b"".join(xml)


def workbook_with_sheet(xml: bytes) -> bytes:
    """A real openpyxl workbook whose first worksheet's XML is replaced by ``xml``."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["placeholder"])
    original = zipfile.ZipFile(io.BytesIO(workbook_bytes(workbook)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for member in original.infolist():
            data = xml if member.filename == "xl/worksheets/sheet1.xml" else original.read(member)
            target.writestr(member.filename, data)
    return buffer.getvalue()


def stating(content: bytes, member: str, size: int) -> bytes:
    """``content`` with ``member``'s inflated size stated as ``size``, in the central directory
    and in its local header, as a forger would write it (the CRC is left as it was)."""
    patched = bytearray(content)
    end = patched.rindex(_END)
    count, _, offset = struct.unpack("<HLL", patched[end + 10 : end + 20])
    for _ in range(count):
        assert patched[offset : offset + 4] == _CENTRAL
        name_length, extra_length, comment_length = struct.unpack(
            "<HHH", patched[offset + 28 : offset + 34]
        )
        name = bytes(patched[offset + 46 : offset + 46 + name_length]).decode()
        if name == member:
            patched[offset + 24 : offset + 28] = struct.pack("<L", size)
            (local,) = struct.unpack("<L", patched[offset + 42 : offset + 46])
            patched[local + 22 : local + 26] = struct.pack("<L", size)
            return bytes(patched)
        offset += 46 + name_length + extra_length + comment_length
    raise KeyError(member)


def lying_workbook(inflates_to: int, states: int) -> bytes:
    """A workbook whose sheet inflates to about ``inflates_to`` bytes but states ``states``.

    The sheet repeats one row without cell references, which deflate packs 1,000 to 1.
    """
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + row * (inflates_to // len(row)) + b"</sheetData></worksheet>"
    )
    return stating(workbook_with_sheet(xml), "xl/worksheets/sheet1.xml", states)
