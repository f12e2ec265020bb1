"""The error cells (#N/A, #REF!…) of an .xlsx worksheet, which calamine reads as empty cells.

A VLOOKUP that found nothing must fail its row, not become a blank: a byte search finds whether
the sheet XML holds any error cell; only then are they located. The sheet's member is found by
following the package's relationships, as calamine does.
"""

from __future__ import annotations

import posixpath
import re
import zipfile

from bulkpoc.formats.base import Source, opened

_WORKSHEET = re.compile(rb"<([\w.-]+:)?worksheet\b")
_CELL_REF = re.compile(rb"\br=[\"']([A-Z]+)(\d+)[\"']")
_SHEET = re.compile(r"<(?:[\w.-]+:)?sheet\b[^>]*?\s[\w.-]+:id=[\"']([^\"']+)[\"']")
_RELATIONSHIP = re.compile(r"<(?:[\w.-]+:)?Relationship\b[^>]*>")
_REL_ID = re.compile(r"\sId=[\"']([^\"']+)[\"']")
_REL_TYPE = re.compile(r"\sType=[\"']([^\"']+)[\"']")
_REL_TARGET = re.compile(r"\sTarget=[\"']([^\"']+)[\"']")


def error_cells(source: Source, sheet_index: int) -> list[tuple[int, int, str]]:
    """(row, column position, error text) of every error cell (#N/A, #REF!…) of a worksheet.

    calamine reads them as empty cells; a VLOOKUP that found nothing must not become a blank.
    A byte search finds whether there are any; only then are they located.
    """
    with opened(source) as handle, zipfile.ZipFile(handle) as package:
        member = _worksheet_member(package, sheet_index)
        xml = package.read(member) if member else b""
    if b't="e"' not in xml and b"t='e'" not in xml:
        return []
    cell, value_of = _cell_patterns(xml)
    found = []
    for match in cell.finditer(xml):
        ref, value = _CELL_REF.search(match[0]), value_of.search(match[0])
        if ref:
            column = 0
            for letter in ref[1].decode():
                column = column * 26 + ord(letter) - 64
            found.append((int(ref[2]), column - 1, value[1].decode() if value else "#ERROR"))
    return found


def _cell_patterns(xml: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Patterns for an error cell and a cell's value, with the sheet's namespace prefix if any.

    Some generators prefix every element (``<x:c r="B2" t="e"><x:v>#N/A</x:v></x:c>``, as
    .NET's Open XML SDK writes); the prefix is read from the root element and matched
    literally, which keeps the scan fast. An error cell may have no value (``<c t="e"/>``)
    and must then not run on into the next cell.
    """
    root = _WORKSHEET.search(xml)
    prefix = re.escape(root[1]) if root and root[1] else b""
    cell = re.compile(
        rb"<" + prefix + rb"c\s[^>]*?\bt=[\"']e[\"'][^>]*?(?:/>|>.*?</" + prefix + rb"c>)",
        re.DOTALL,
    )
    return cell, re.compile(rb"<" + prefix + rb"v>([^<]*)</" + prefix + rb"v>")


def _worksheet_member(package: zipfile.ZipFile, sheet_index: int) -> zipfile.ZipInfo | None:
    """The member of the n-th sheet, following the package's relationships as calamine does:
    the workbook part need not be xl/workbook.xml, and names may use backslashes."""
    members = {info.filename.replace("\\", "/").lower(): info for info in package.infolist()}

    def text(path: str) -> str:
        info = members.get(path.lower())
        return package.read(info).decode("utf-8", "replace") if info else ""

    workbook = _targets(text("_rels/.rels"), "").get("officeDocument", "xl/workbook.xml")
    folder, part = posixpath.split(workbook)
    sheets = _SHEET.findall(text(workbook))
    targets = _targets(text(posixpath.join(folder, "_rels", part + ".rels")), folder)
    if sheet_index >= len(sheets) or sheets[sheet_index] not in targets:
        return None
    return members.get(targets[sheets[sheet_index]].lower())


def _targets(rels: str, folder: str) -> dict[str, str]:
    """Relationship id (and, for the package's main part, "officeDocument") to member path."""
    targets: dict[str, str] = {}
    for tag in _RELATIONSHIP.findall(rels):
        rel_id, target = _REL_ID.search(tag), _REL_TARGET.search(tag)
        if rel_id and target:
            path = target[1].replace("\\", "/")
            path = path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
            targets[rel_id[1]] = posixpath.normpath(path)
            kind = _REL_TYPE.search(tag)
            if kind and kind[1].endswith("/officeDocument"):
                targets["officeDocument"] = targets[rel_id[1]]
    return targets
