"""Workbooks built byte by byte for the reader's tests: members that lie about their size."""

from __future__ import annotations

import io
import struct
import zipfile

import openpyxl

from tests.conftest import workbook_bytes

_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


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


def ods_bytes(rows: list[list[str]]) -> bytes:
    """A LibreOffice spreadsheet (.ods) of text cells, written as LibreOffice lays one out."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            '<table:table-cell office:value-type="string"><text:p>'
            + value.replace("&", "&amp;").replace("<", "&lt;")
            + "</text:p></table:table-cell>"
            if value
            else "<table:table-cell/>"
            for value in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Points of Contact">'
        + cells
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="'
        + ODS_MIMETYPE
        + '"/><manifest:file-entry manifest:full-path="content.xml"'
        ' manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        package.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        package.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def with_backslashes(content: bytes) -> bytes:
    """The workbook with every member named with backslashes, as some Windows tools write."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename.replace("/", "\\"), source.read(member))
    return buffer.getvalue()
