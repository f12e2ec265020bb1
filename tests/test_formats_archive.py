"""Zip archives: what a member really inflates to is bounded, whatever sizes the archive states."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from bulkpoc.errors import FileRejected
from bulkpoc.formats import archive, workbook
from bulkpoc.read import read_file
from tests.archives import lying_workbook, sheet_xml, stating, workbook_with_sheet

MB = 1024**2


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
