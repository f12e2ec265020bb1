"""Zip archives: what a member really inflates to is bounded, whatever sizes the archive states."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from bulkpoc.batch.read import read_file
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.formats import archive, extent, workbook
from tests.archives import lying_workbook, sheet_xml, stating, workbook_with_sheet

MB = 1024**2
CORPUS = Path(__file__).parent / "files" / "corpus"


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """A limit of 8 MB, so the tests inflate a little past it rather than a gigabyte."""
    monkeypatch.setattr(archive, "MAX_INFLATED", 8 * MB)
    return 8 * MB


@pytest.fixture
def calamine_must_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was given to calamine")

    monkeypatch.setattr(workbook, "load_workbook", must_not_open)


def _refusal(content: bytes) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_file(io.BytesIO(content), "xlsx", name="bomb.xlsx")
    return caught.value


@pytest.mark.usefixtures("calamine_must_not_run")
@pytest.mark.parametrize("states", [5 * MB, 1 * MB, 1_000])
def test_a_sheet_that_inflates_past_the_limit_is_refused_whatever_size_it_states(
    small_limit: int, states: int
) -> None:
    content = lying_workbook(inflates_to=40 * MB, states=states)
    assert len(content) * 100 < 40 * MB  # the forged file is small, the inflated sheet is not
    clock = time.perf_counter()
    refusal = _refusal(content)
    assert time.perf_counter() - clock < 2  # it stops at the limit, not at the end
    assert refusal.code == "too_large"
    assert (
        str(refusal) == "bomb.xlsx expands to more data than an upload may hold; it was not read."
    )


@pytest.mark.usefixtures("calamine_must_not_run")
@pytest.mark.parametrize("factor", [0.5, 2])
def test_a_member_whose_real_size_is_not_the_stated_size_is_refused_as_damaged(
    factor: float,
) -> None:
    content = workbook_with_sheet(sheet_xml([["Name"], ["Main Line"]], padding=100_000))
    real = len(sheet_xml([["Name"], ["Main Line"]], padding=100_000))
    refusal = _refusal(stating(content, "xl/worksheets/sheet1.xml", int(real * factor)))
    assert refusal.code == "damaged_archive"
    assert str(refusal).startswith("bomb.xlsx is damaged: it is a zip archive")


def test_a_sheet_that_compresses_better_than_200_to_1_is_read() -> None:
    # 60 MB of spaces around three rows: once refused by a ratio guess, though well in bounds.
    xml = sheet_xml([["Name", "Media Type"], ["Main Line", "Phone Call"]], padding=60 * MB)
    content = workbook_with_sheet(xml)
    assert len(xml) > 200 * len(content)
    table = read_file(io.BytesIO(content), "xlsx")
    assert table.headers == ["Name", "Media Type"]
    assert table.data.values.tolist() == [["Main Line", "Phone Call"]]


def test_the_limit_counts_every_member_together(small_limit: int) -> None:
    # Each member alone is under the limit; together they are over it.
    xml = sheet_xml([["Name"]], padding=5 * MB)
    content = workbook_with_sheet(xml)
    assert read_file(io.BytesIO(content), "xlsx").headers == ["Name"]
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as target:
        target.writestr("xl/media/padding.bin", b"\0" * (5 * MB))
    assert _refusal(buffer.getvalue()).code == "too_large"


# --- what a sheet spans, bounded before calamine lays it out ----------------------------------


def _cells_at(*refs: str, implicit: int = 0) -> bytes:
    """A worksheet with a value at each of ``refs``, then a row of ``implicit`` unplaced cells."""
    cell = '<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'
    cells = "".join(
        cell.format(row=ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), ref=ref)
        for ref in refs
    )
    if implicit:
        cells += "<row>" + '<c t="inlineStr"><is><t>y</t></is></c>' * implicit + "</row>"
    return workbook_with_sheet(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<sheetData>"
        + cells.encode()
        + b"</sheetData></worksheet>"
    )


@pytest.mark.usefixtures("calamine_must_not_run")
@pytest.mark.parametrize(
    ("refs", "implicit", "code"),
    [
        (("A1", "XFD1048576"), 0, "too_many_columns"),  # 7 KB asking calamine for 550 GB
        (("A1", "Z4000000"), 0, "too_large"),  # past Excel's last row
        (("A1", "ALL1048576"), 0, "too_large"),  # 1,000 columns of every row
        (("A1",), 5_000, "too_many_columns"),  # cells placed by their order, no reference
        (("a1", "xfd1048576"), 0, "too_many_columns"),  # lower-case references count too
    ],
)
def test_a_sheet_spanning_too_many_cells_is_refused_before_calamine_lays_it_out(
    refs: tuple[str, ...], implicit: int, code: str
) -> None:
    content = _cells_at(*refs, implicit=implicit)
    assert len(content) < 100_000
    assert _refusal(content).code == code


def test_a_sheet_up_to_column_z_is_read() -> None:
    table = read_file(io.BytesIO(_cells_at("A1", "Z20")), "xlsx")
    assert table.headers == ["x", ""]  # the empty unnamed columns between are dropped
    assert (table.data.values.tolist(), table.rows.tolist()) == ([["", "x"]], [20])


def test_a_wide_sheet_within_bounds_is_measured_and_read() -> None:
    content = _cells_at("A1", "ALL3", implicit=30)  # 1,000 columns, 30 cells unplaced
    table = read_file(io.BytesIO(content), "xlsx")
    assert table.rows.tolist() == [3, 4]
    assert table.data.iloc[0, -1] == "x"


def _xlsb_with_a_second_cell_at(row: int, column: int) -> bytes:
    """The corpus's sushi.xlsb (one cell, at A1) with a copy of that cell at ``row``, ``column``."""
    source = zipfile.ZipFile(CORPUS / "sheetjs" / "sushi.xlsb")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.bin":
                data = _with_second_cell(data, row, column)
            target.writestr(member.filename, data)
    return buffer.getvalue()


def _with_second_cell(sheet: bytes, row: int, column: int) -> bytes:
    out, offset, row_header = bytearray(), 0, b""
    while (record := extent._record(sheet, offset)) is not None:
        kind, body, end = record
        whole = sheet[offset:end]
        out += whole
        if kind == 0:  # BrtRowHdr: the row comes first
            row_header = whole[: len(whole) - len(body)] + row.to_bytes(4, "little") + body[4:]
        elif kind == 7:  # BrtCellIsst: the column comes first
            out += row_header + whole[: len(whole) - len(body)]
            out += column.to_bytes(4, "little") + body[4:]
        offset = end
    return bytes(out)


@pytest.mark.usefixtures("calamine_must_not_run")
def test_an_xlsb_cell_far_away_is_refused_before_calamine_lays_it_out() -> None:
    assert _refusal(_xlsb_with_a_second_cell_at(1_000_000, 16_000)).code == "too_many_columns"
    assert _refusal(_xlsb_with_a_second_cell_at(1_000_000, 900)).code == "too_large"


def test_an_xlsb_cell_nearby_is_read() -> None:
    table = read_file(io.BytesIO(_xlsb_with_a_second_cell_at(3, 2)), "xlsx")
    assert table.headers == ["🍣", ""]  # the empty unnamed column between is dropped
    assert (table.data.values.tolist(), table.rows.tolist()) == ([["", "🍣"]], [4])
