"""Read any supported file into one table of strings. Knows nothing of the store.

CSV: UTF-8 (with or without BOM), UTF-16 with or without BOM, cp1252 / Latin-1; comma,
semicolon, tab or pipe delimited, all detected. XLSX: read with calamine after a zip-bomb check.
Row numbers are the spreadsheet's: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv
from python_calamine import CalamineError, load_workbook

from bulkpoc.errors import FileRejected

ZIP_MAGIC = b"PK\x03\x04"
# What a spreadsheet would run as a formula; exports put an apostrophe before it.
FORMULA_START = r"[=+\-@\t\r']"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITERS = (",", ";", "\t", "|")
MAX_UNCOMPRESSED = 2 * 1024**3  # an XLSX that inflates past this is refused
MAX_RATIO = 200  # per-member compression ratio beyond which we suspect a zip bomb


@dataclass
class RawTable:
    """The file's header and cells as text, exactly as read (not yet trimmed)."""

    headers: list[str]
    data: pd.DataFrame  # columns 0..n-1, every cell a str
    rows: pd.Series  # spreadsheet row number of each data row
    file_type: str  # "csv" or "xlsx"
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)
    # Spreadsheet error cells (#N/A, #REF!…), which calamine reads as empty: (row, column, text)
    cell_errors: list[tuple[int, int, str]] = field(default_factory=list)


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sniff_file_type(path: Path) -> str:
    """``xlsx`` or ``csv`` from the content, whatever the file is called."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "xls"
    return "csv"


def read_file(
    path: Path, file_type: str | None = None, sheet_names: tuple[str, ...] = ()
) -> RawTable:
    """Read ``path`` as the declared ``file_type`` (detected when None)."""
    if not path.exists():
        raise FileRejected(f"The file {path.name} does not exist.")
    if path.stat().st_size == 0:
        raise FileRejected(f"The file {path.name} is empty.")
    actual = sniff_file_type(path)
    if actual == "xls":
        raise FileRejected(
            "The file is an old Excel 97-2003 workbook (.xls); save it as Excel Workbook (.xlsx) "
            "or CSV and upload it again."
        )
    declared = (file_type or actual).lower()
    if declared != actual:
        what = {"xlsx": "an Excel workbook (.xlsx)", "csv": "a text (CSV) file"}
        raise FileRejected(
            f"File Type is {declared.upper()} but {path.name} is {what[actual]}; choose "
            f"{'Excel (.xlsx)' if actual == 'xlsx' else 'Text (.csv)'} as the File Type."
        )
    table = read_xlsx(path, sheet_names) if actual == "xlsx" else read_csv(path)
    return _drop_empty(table)


# --- CSV -----------------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file; FileRejected if it is not text at all."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    encoding = _guess_encoding(path, head)
    sample = head[: len(head) - len(head) % 2] if encoding.startswith("utf-16") else head
    text = (
        sample.decode(encoding, errors="ignore" if encoding == "utf-8" else "strict")
        if sample
        else ""
    )
    if _CONTROL.search(text):
        raise FileRejected(f"{path.name} is not a text (CSV) file.")
    return encoding


def _guess_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head.count(b"\x00") >= len(head) // 4:
        # UTF-16 without a BOM: ASCII text with every other byte zero.
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    if b"\x00" in head:
        raise FileRejected(f"{path.name} is not a text (CSV) file.")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        path.read_bytes().decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    best, most = ",", 1
    for delimiter in DELIMITERS:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        if len(fields) > most:
            best, most = delimiter, len(fields)
    return best


def _first_line(path: Path, encoding: str, skip: int = 0) -> str:
    with path.open("r", encoding=encoding, newline="") as handle:
        for _ in range(skip):
            handle.readline()
        return handle.readline().lstrip("\ufeff")


def read_csv(path: Path) -> RawTable:
    try:
        encoding = detect_encoding(path)
        header_line = _first_line(path, encoding)
    except UnicodeError:
        raise FileRejected(f"{path.name} is not a text (CSV) file.") from None
    if not header_line.strip():
        raise FileRejected(
            f"The first line of {path.name} is empty; it must hold the column headers."
        )
    skip = 0
    hint = re.fullmatch(r"sep=(.)", header_line.strip("\r\n"))
    if hint:  # Excel's "sep=;" line: it names the delimiter and Excel does not show it
        skip, delimiter = 1, hint[1]
        header_line = _first_line(path, encoding, skip=1)
    else:
        delimiter = detect_delimiter(header_line.rstrip("\r\n"))
    width = len(next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter)))
    frame = _read_csv_arrow(path, delimiter, encoding, width, skip)
    if frame is None:
        frame = _read_csv_pandas(path, delimiter, encoding, skip)
    frame = frame.fillna("")
    frame.columns = range(frame.shape[1])
    headers = [str(value).lstrip("\ufeff") for value in frame.iloc[0]]
    data = frame.iloc[1:].reset_index(drop=True)
    for column in data.columns:
        data[column] = unescape_formulas(data[column])
    rows = pd.Series(data.index + 2, index=data.index)
    return RawTable(headers, data, rows, "csv", delimiter, encoding.replace("-sig", ""))


def _read_csv_arrow(
    path: Path, delimiter: str, encoding: str, width: int, skip: int = 0
) -> pd.DataFrame | None:
    """The fast multi-threaded reader; None when the file needs the forgiving one.

    Blank lines come back as rows of empty cells, so row numbers stay the spreadsheet's. Rows
    with fewer cells than the header (hand-edited files) make it give up.
    """
    names = [str(i) for i in range(width)]
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, encoding=encoding, skip_rows=skip),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError, LookupError):
        return None
    return _arrow_to_frame(table)


def _read_csv_pandas(path: Path, delimiter: str, encoding: str, skip: int = 0) -> pd.DataFrame:
    """pandas' C reader: pads short rows, and names the line of a row with too many cells."""
    try:
        return pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            header=None,
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as error:
        raise FileRejected(_parser_message(str(error), path.name)) from None
    except UnicodeError:
        raise FileRejected(f"{path.name} is not readable as {encoding} text.") from None
    except pd.errors.EmptyDataError:
        raise FileRejected(f"The file {path.name} is empty.") from None


def _parser_message(detail: str, name: str) -> str:
    # pandas says e.g. "Error tokenizing data. C error: Expected 11 fields in line 5, saw 12"
    if "Expected" in detail and "line" in detail:
        sentence = detail.split("C error: ")[-1].strip().rstrip(".")
        return (
            f"{name} could not be read: {sentence}; a value containing the delimiter must be "
            "in double quotes."
        )
    return f"{name} is not a valid CSV file: {detail.strip()}"


def unescape_formulas(column: pd.Series) -> pd.Series:
    """Undo the apostrophe exports put before text a spreadsheet would run as a formula."""
    escaped = column.str.match("'" + FORMULA_START)
    if not escaped.any():
        return column
    return column.where(~escaped, column.str.slice(1))


# --- XLSX ----------------------------------------------------------------------------------


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise FileRejected(
            f"{path.name} is not a valid Excel workbook (.xlsx): the archive is damaged."
        ) from None
    total = sum(member.file_size for member in members)
    suspicious = any(
        member.file_size > 50 * 1024**2
        and member.file_size > MAX_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if total > MAX_UNCOMPRESSED or suspicious:
        raise FileRejected(
            f"{path.name} expands to more data than an upload may hold; it was not read."
        )


def _sheet_key(name: str) -> str:
    return "".join(name.lower().split()).replace("-", "").replace("_", "")


def read_xlsx(path: Path, sheet_names: tuple[str, ...] = ()) -> RawTable:
    _check_zip(path)
    try:
        workbook = load_workbook(path)
        names = workbook.sheet_names
        if not names:
            raise FileRejected(f"{path.name} has no worksheets.")
        chosen = next((name for name in names if _sheet_key(name) in sheet_names), names[0])
        # The error-cell scan inflates the sheet XML; it runs beside calamine's parse.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulkpoc-scan") as pool:
            scanning = pool.submit(error_cells, path, names.index(chosen))
            cells = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
            errors = scanning.result()
    except CalamineError as error:
        raise FileRejected(
            f"{path.name} is not a readable Excel workbook (.xlsx): {error}"
        ) from None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
        raise FileRejected(
            f"{path.name} is not a readable Excel workbook (.xlsx): {error}"
        ) from None
    if not cells:
        raise FileRejected(f"The worksheet '{chosen}' in {path.name} is empty.")
    headers = [cell_text(value) for value in cells[0]]
    width = len(headers)
    body = cells[1:]
    # numpy transposes rows to columns, and pyarrow reads object arrays, faster than tuples.
    grid = np.array(body, dtype=object).reshape(len(body), width)
    table = pa.table(
        [_column_text(grid[:, i]) for i in range(width)], names=[str(i) for i in range(width)]
    )
    frame = _arrow_to_frame(table)
    rows = pd.Series(frame.index + 2, index=frame.index)
    return RawTable(headers, frame, rows, "xlsx", sheet=chosen, cell_errors=errors)


_ERROR_CELL = re.compile(rb'<c\s[^>]*?\bt="e"[^>]*>.*?</c>', re.DOTALL)
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CELL_VALUE = re.compile(rb"<v>([^<]*)</v>")


def error_cells(path: Path, sheet_index: int) -> list[tuple[int, int, str]]:
    """(row, column position, error text) of every error cell (#N/A, #REF!…) of a worksheet.

    calamine reads them as empty cells; a VLOOKUP that found nothing must not become a blank.
    A byte search finds whether there are any; only then are they located.
    """
    with zipfile.ZipFile(path) as archive:
        member = _worksheet_member(archive, sheet_index)
        xml = archive.read(member) if member else b""
    if b't="e"' not in xml:
        return []
    found = []
    for match in _ERROR_CELL.finditer(xml):
        ref, value = _CELL_REF.search(match[0]), _CELL_VALUE.search(match[0])
        if ref:
            column = 0
            for letter in ref[1].decode():
                column = column * 26 + ord(letter) - 64
            found.append((int(ref[2]), column - 1, value[1].decode() if value else "#ERROR"))
    return found


def _worksheet_member(archive: zipfile.ZipFile, sheet_index: int) -> str | None:
    """The zip member of the n-th worksheet, following workbook.xml and its relationships."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    sheets = re.findall(r'<sheet\b[^>]*?r:id="([^"]+)"', workbook)
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets: dict[str, str] = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        rel_id, target = re.search(r'Id="([^"]+)"', tag), re.search(r'Target="([^"]+)"', tag)
        if rel_id and target:
            targets[rel_id[1]] = target[1]
    if sheet_index >= len(sheets) or sheets[sheet_index] not in targets:
        return None
    path = targets[sheets[sheet_index]]
    return path.lstrip("/") if path.startswith("/") else "xl/" + path


def _column_text(column: np.ndarray) -> pa.Array:
    """One worksheet column as text; typed cells (numbers, dates) are converted one by one."""
    try:
        return pa.array(column, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([cell_text(value) for value in column], type=pa.string())


def _arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow string columns as a DataFrame with positional column labels."""
    string = pd.StringDtype("pyarrow", na_value=float("nan"))
    frame = table.to_pandas(types_mapper={pa.string(): string}.get)
    frame.columns = range(table.num_columns)
    return frame


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a user typed: 18005551234.0 becomes 18005551234."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


# --- both ----------------------------------------------------------------------------------


def strip(column: pd.Series) -> pd.Series:
    """Trimmed text; the same column, uncopied, when nothing needs trimming (the usual case)."""
    padded = column.str[:1].str.isspace() | column.str[-1:].str.isspace()
    return column.str.strip() if padded.any() else column


def _drop_empty(table: RawTable) -> RawTable:
    """Drop empty rows (LibreOffice may write a million) and unnamed empty columns.

    Works a column at a time and copies the data only if something is dropped.
    """
    data = table.data
    if not data.shape[1]:
        return table
    filled = {position: strip(data[position]) != "" for position in data.columns}
    has_value = pd.Series(
        np.logical_or.reduce([mask.to_numpy() for mask in filled.values()]), index=data.index
    )
    keep = [
        position
        for position, header in enumerate(table.headers)
        if header.strip() or (position in filled and filled[position][has_value].any())
    ]
    if not has_value.all():
        data = data[has_value]
        table.rows = table.rows[has_value]
    if len(keep) < data.shape[1]:
        data = data[keep]
        table.headers = [table.headers[position] for position in keep]
    data.columns = range(len(keep))
    table.data = data
    return table
