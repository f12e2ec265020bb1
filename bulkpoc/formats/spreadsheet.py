"""The other workbooks calamine reads: LibreOffice's .ods, Excel's binary .xlsb and 97-2003 .xls.

They are read exactly as an .xlsx is (``workbook``) and declared with the same File Type, the
one for spreadsheets. bulkpoc writes none of them: their error file is an Excel workbook
(.xlsx), which Excel, LibreOffice and Numbers all open.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from bulkpoc.formats.base import Probe, RawTable, Source, WriteOptions, file_label
from bulkpoc.formats.workbook import Kind, read_workbook
from bulkpoc.formats.xlsx_format import SPREADSHEET_CHOICE, XLSX

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


class OtherSpreadsheet:
    """A workbook format bulkpoc reads through calamine and answers in XLSX."""

    option = "xlsx"
    title = XLSX.title  # what its error file is
    choice = SPREADSHEET_CHOICE
    styled = True

    def __init__(
        self,
        name: str,
        description: str,
        extensions: tuple[str, ...],
        detect: Callable[[Probe], bool],
        zipped: bool,
    ) -> None:
        self.name = name
        self.description = description
        self.extensions = extensions
        self._detect = detect
        self.kind = Kind(name, description, zipped)

    def detect(self, probe: Probe) -> bool:
        return self._detect(probe)

    def read(self, source: Source, name: str, sheet_names: tuple[str, ...] = ()) -> RawTable:
        table = read_workbook(source, name, self.kind, sheet_names)
        table.warnings.append(
            f"{file_label(name)} is {self.description}: it was read as a spreadsheet, and its "
            "error file is an Excel workbook (.xlsx)."
        )
        return table

    def write(self, frame: pd.DataFrame, path: Path, options: WriteOptions) -> None:
        XLSX.write(frame, path, options)

    def write_errors(self, frame: pd.DataFrame, path: Path, raw: RawTable) -> None:
        XLSX.write_errors(frame, path, raw)


ODS = OtherSpreadsheet(
    "ods",
    "a LibreOffice spreadsheet (.ods)",
    (".ods",),
    lambda probe: probe.readable_zip and probe.text("mimetype").startswith(ODS_MIMETYPE),
    zipped=True,
)
XLSB = OtherSpreadsheet(
    "xlsb",
    "an Excel binary workbook (.xlsb)",
    (".xlsb",),
    lambda probe: probe.readable_zip and probe.has("workbook.bin"),
    zipped=True,
)
XLS = OtherSpreadsheet(
    "xls",
    "an Excel 97-2003 workbook (.xls)",
    (".xls",),
    lambda probe: probe.is_ole and bool({"workbook", "book"} & set(probe.streams)),
    zipped=False,
)
