"""Applying a batch (SPEC §3, §4): Rows to Include, dry run, all-or-nothing, partial success,
counts, and one transaction per batch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

import bulkpoc.batch.apply
import bulkpoc.batch.run
import bulkpoc.store.bulk
from bulkpoc.batch.submit import run_import
from bulkpoc.domain.options import ImportOptions
from bulkpoc.store import schema
from bulkpoc.store.db import utcnow
from tests.conftest import POC_HEADERS, errors, poc, stored_pocs, write_rows


def lines(count: int, start: int = 0, prefix: str = "Line") -> list[dict[str, str]]:
    """``count`` valid new Phone Call rows on distinct voice numbers."""
    return [
        poc(Name=f"{prefix} {n}", Point_of_Contact=f"+120255501{n:02}")
        for n in range(start, start + count)
    ]


def counts(result) -> dict[str, int]:
    return result.counts.as_dict()


@pytest.fixture
def run_rows(store, settings, tmp_path):
    """Like ``run`` but with Rows to Include, which ``run`` cannot take (its first argument is
    named ``rows``)."""
    counter = iter(range(1_000_000))

    def _run(rows_mode: str, rows: list[dict[str, str]], headers: list[str] | None = None):
        path = write_rows(tmp_path / f"changed-{next(counter)}.csv", rows, headers)
        return run_import(store, path, ImportOptions(rows=rows_mode), settings)  # type: ignore[arg-type]

    return _run


# --- row numbers and empty files -----------------------------------------------------------


def test_row_numbers_count_the_header_as_row_one(run, store):
    result = run([*lines(3), poc(Name="Bad", Point_of_Contact="+12025550110", Skill="Nope")])
    assert errors(result) == [[5, "Skill", "unknown_reference"]]


def test_file_with_no_data_rows(run, store):
    result = run([])
    assert result.status.value == "succeeded"
    assert counts(result)["total"] == 0
    assert result.warnings


# --- Rows to Include -----------------------------------------------------------------------

MARKS = ["Y", "Yes", "True", "1", "X", "y", "yes", "N", "No", "False", "0", ""]
CHANGED = {"Y", "Yes", "True", "1", "X", "y", "yes"}


def test_changed_rows_only_processes_marked_rows(run_rows, store):
    rows = [
        {**row, "Row Changed": mark} for row, mark in zip(lines(len(MARKS)), MARKS, strict=True)
    ]
    result = run_rows("changed", rows)
    assert errors(result) == []
    assert result.status.value == "succeeded"
    assert counts(result) == {
        "total": 12,
        "processed": 7,
        "created": 7,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "skipped": 5,
        "failed": 0,
    }
    expected = [f"Line {n}" for n, mark in enumerate(MARKS) if mark in CHANGED]
    assert [p["name"] for p in stored_pocs(store)] == expected


def test_all_rows_ignores_row_changed(run_rows, store):
    rows = [
        {**row, "Row Changed": mark} for row, mark in zip(lines(len(MARKS)), MARKS, strict=True)
    ]
    result = run_rows("all", rows)
    assert errors(result) == []
    assert (result.counts.created, result.counts.skipped) == (12, 0)


def test_skipped_rows_are_not_validated(run_rows, store):
    rows = [
        poc(Row_Changed="", Name="", Skill="Nope"),
        poc(Row_Changed="Y", Name="Marked", Point_of_Contact="+12025550101"),
    ]
    result = run_rows("changed", rows)
    assert errors(result) == []
    assert (result.counts.created, result.counts.skipped) == (1, 1)


def test_changed_rows_keep_their_spreadsheet_row_numbers(run_rows, store):
    rows = [
        poc(Row_Changed="N"),
        poc(Row_Changed="", Name="Two", Point_of_Contact="+12025550101"),
        poc(Row_Changed="Y", Name="Three", Point_of_Contact="+12025550102", Skill="Nope"),
    ]
    result = run_rows("changed", rows)
    assert errors(result) == [[4, "Skill", "unknown_reference"]]


def test_invalid_row_changed_mark_fails_the_row(run_rows, store):
    result = run_rows("changed", [poc(Row_Changed="maybe")])
    assert errors(result) == [[2, "Row Changed", "invalid_yes_no"]]
    assert stored_pocs(store) == []


def test_changed_rows_only_without_row_changed_column_fails_the_batch(run_rows, store):
    headers = [h for h in POC_HEADERS if h != "Row Changed"]
    result = run_rows("changed", [poc()], headers=headers)
    assert result.status.value == "failed"
    assert "Row Changed" in result.failure
    assert "All Rows" in result.failure
    assert stored_pocs(store) == []


# --- dry run, all-or-nothing, partial success ----------------------------------------------


def test_dry_run_applies_nothing_but_reports_counts(run, store):
    assert run(lines(2)).counts.created == 2
    before = stored_pocs(store)
    result = run(
        [poc(Point_of_Contact_ID="1", Name="Renamed"), *lines(3, start=2)],
        dry_run=True,
    )
    assert errors(result) == []
    assert result.status.value == "succeeded"
    assert (result.counts.created, result.counts.updated) == (3, 1)
    assert result.applied is False
    assert stored_pocs(store) == before


def test_dry_run_reports_errors_too(run, store):
    result = run([*lines(2), poc(Name="Bad", Point_of_Contact="+12125550100")], dry_run=True)
    assert errors(result) == [[4, "Point of Contact", "not_in_inventory"]]
    assert result.status.value == "completed_with_errors"
    assert (result.counts.created, result.counts.failed) == (2, 1)
    assert stored_pocs(store) == []


def test_all_or_nothing_with_one_bad_row_applies_nothing(run, store):
    assert run(lines(1)).counts.created == 1
    before = stored_pocs(store)
    result = run(
        [
            poc(Point_of_Contact_ID="1", Name="Renamed"),
            *lines(3, start=1),
            poc(Name="Bad", Skill="Legacy Calls", Point_of_Contact="+12025550110"),
        ],
        all_or_nothing=True,
    )
    assert result.status.value == "failed"
    assert errors(result) == [[6, "Skill", "skill_inactive"]]
    assert result.counts.failed == 1
    assert result.failure
    assert "nothing was applied" in result.failure
    assert result.applied is False
    assert stored_pocs(store) == before


def test_all_or_nothing_without_errors_applies_everything(run, store):
    result = run(lines(3), all_or_nothing=True)
    assert result.status.value == "succeeded"
    assert len(stored_pocs(store)) == 3


def test_partial_success_applies_the_good_rows(run, store):
    assert run(lines(1)).counts.created == 1
    result = run(
        [
            poc(Point_of_Contact_ID="1", Name="Renamed"),
            *lines(2, start=1),
            poc(Name="Bad", Point_of_Contact="+14155550200"),
        ]
    )
    assert result.status.value == "completed_with_errors"
    assert errors(result) == [[5, "Point of Contact", "number_not_capable"]]
    assert counts(result) == {
        "total": 4,
        "processed": 4,
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "removed": 0,
        "skipped": 0,
        "failed": 1,
    }
    assert result.applied is True
    assert [p["name"] for p in stored_pocs(store)] == ["Renamed", "Line 1", "Line 2"]


def test_every_row_failing_applies_nothing_and_completes_with_errors(run, store):
    result = run([poc(Skill="Nope")])
    assert result.status.value == "completed_with_errors"
    assert stored_pocs(store) == []


def test_batch_is_recorded_in_the_run_history(run, store):
    result = run([*lines(1), poc(Name="Bad", Skill="Nope", Point_of_Contact="+12025550110")])
    batch = store.history()[0]
    assert batch["id"] == result.batch_id
    assert batch["status"] == "completed_with_errors"
    assert (batch["created"], batch["failed"]) == (1, 1)


# --- unchanged rows are not written --------------------------------------------------------


def test_unchanged_rows_are_counted_and_not_written(run, store):
    assert run(lines(3)).counts.created == 3
    before = stored_pocs(store)
    rows = [
        poc(Point_of_Contact_ID=str(p["id"]), Name=p["name"], Point_of_Contact=p["address"])
        for p in before
    ]
    rows[1]["Name"] = "Changed"
    result = run(rows)
    assert errors(result) == []
    assert (result.counts.unchanged, result.counts.updated) == (2, 1)
    after = stored_pocs(store)
    assert after[0] == before[0]
    assert after[2] == before[2]
    assert after[1]["name"] == "Changed"
    assert after[1]["last_modified"] > before[1]["last_modified"]


# --- chunks and the single transaction -----------------------------------------------------


def renames(count: int) -> list[dict[str, str]]:
    """Update rows renaming POCs 1..count (as created by lines(count))."""
    return [
        poc(
            Point_of_Contact_ID=str(n + 1),
            Name=f"Renamed {n}",
            Point_of_Contact=f"+120255501{n:02}",
        )
        for n in range(count)
    ]


def test_large_batches_are_applied_in_chunks(run, store, monkeypatch):
    monkeypatch.setattr("bulkpoc.batch.apply.CHUNK", 2)
    assert run(lines(5)).counts.created == 5
    rows = renames(5)
    result = run([*rows, *lines(5, start=5)])
    assert errors(result) == []
    assert (result.counts.updated, result.counts.created) == (5, 5)
    assert [p["name"] for p in stored_pocs(store)] == [
        *(f"Renamed {n}" for n in range(5)),
        *(f"Line {n}" for n in range(5, 10)),
    ]


class FailingInserts:
    """Counts the chunks of new rows apply hands to the store, raising ``error`` at the
    ``nth``: the earlier chunks (and every update) are already written by then."""

    def __init__(self, error: Exception, nth: int = 2) -> None:
        self._error, self._nth = error, nth
        self.inserts = 0

    def chunks(self, chunks):
        for rows in chunks:
            self.inserts += 1
            if self.inserts == self._nth:
                raise self._error
            yield rows


def fail_second_insert(monkeypatch, error: Exception) -> list[FailingInserts]:
    """Make apply's second chunk of new rows raise ``error``, with two rows per chunk."""
    monkeypatch.setattr("bulkpoc.batch.apply.CHUNK", 2)
    real_insert = bulkpoc.store.bulk.insert
    seen: list[FailingInserts] = []

    def insert(connection, table, columns, chunks, side=None):
        seen.append(FailingInserts(error))
        return real_insert(connection, table, columns, seen[-1].chunks(chunks), side)

    monkeypatch.setattr("bulkpoc.store.bulk.insert", insert)
    return seen


def test_a_crash_in_the_second_insert_chunk_leaves_the_store_as_it_was(run, store, monkeypatch):
    assert run(lines(2)).counts.created == 2
    before = stored_pocs(store)
    seen = fail_second_insert(monkeypatch, RuntimeError("disk on fire"))
    rows = [poc(Point_of_Contact_ID="1", Name="Renamed"), *lines(5, start=2)]
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(rows)
    assert seen[0].inserts == 2
    assert stored_pocs(store) == before
    assert store.history()[0]["status"] == "failed"


def test_a_crash_in_the_second_update_chunk_leaves_the_store_as_it_was(
    store, settings, tmp_path, monkeypatch
):
    monkeypatch.setattr("bulkpoc.batch.apply.CHUNK", 2)
    path = write_rows(tmp_path / "first.csv", lines(5))
    assert run_import(store, path, ImportOptions(), settings).counts.created == 5
    before = stored_pocs(store)
    rows = renames(5)
    applied: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "apply" and done:
            applied.append(done)
            if len(applied) == 2:
                raise RuntimeError("power cut")

    path = write_rows(tmp_path / "second.csv", rows)
    with pytest.raises(RuntimeError, match="power cut"):
        run_import(store, path, ImportOptions(), settings, progress=progress)
    assert applied == [2, 4]
    assert stored_pocs(store) == before


def test_an_integrity_error_fails_the_batch_with_nothing_applied(run, store, monkeypatch):
    assert run(lines(1)).counts.created == 1
    before = stored_pocs(store)
    error = IntegrityError("INSERT INTO pocs", {}, Exception("UNIQUE constraint failed"))
    seen = fail_second_insert(monkeypatch, error)
    result = run([poc(Point_of_Contact_ID="1", Name="Renamed"), *lines(4, start=1)])
    assert seen[0].inserts == 2
    assert result.status.value == "failed"
    assert result.failure
    assert "nothing was applied" in result.failure
    assert result.applied is False
    assert stored_pocs(store) == before
    assert store.history()[0]["status"] == "failed"


@pytest.mark.parametrize("chunk", [bulkpoc.batch.apply.CHUNK, 2])
def test_a_real_unique_violation_mid_batch_rolls_everything_back(run, store, monkeypatch, chunk):
    """Another writer took a name between validation and apply: the database refuses it (with
    chunks of two rows, in the second chunk of new rows, which a worker thread writes on
    PostgreSQL while the first is still being checked)."""
    monkeypatch.setattr("bulkpoc.batch.apply.CHUNK", chunk)
    assert run(lines(1)).counts.created == 1
    before = stored_pocs(store)
    real_apply = bulkpoc.batch.run.apply
    sales = before[0]["skill_id"]
    script = before[0]["script_id"]

    def racing_apply(sheet, connection, now, batch_id, *rest):
        connection.execute(
            insert(schema.pocs).values(
                name="Line 3",
                name_key="line 3",
                media_type="Phone Call",
                address="+12025550119",
                address_key="+12025550119",
                skill_id=sales,
                script_id=script,
                ivr_enabled=False,
                active=True,
                last_modified=utcnow(),
            )
        )
        return real_apply(sheet, connection, now, batch_id, *rest)

    monkeypatch.setattr("bulkpoc.batch.run.apply", racing_apply)
    result = run([poc(Point_of_Contact_ID="1", Name="Renamed"), *lines(3, start=1)])
    assert result.status.value == "failed"
    assert result.failure
    assert "nothing was applied" in result.failure
    assert stored_pocs(store) == before


def test_the_same_file_path_can_be_imported_again(store, settings, tmp_path: Path):
    path = write_rows(tmp_path / "pocs.csv", lines(2))
    first = run_import(store, path, ImportOptions(), settings)
    second = run_import(store, path, ImportOptions(), settings)
    assert first.counts.created == 2
    assert second.counts.failed == 2
    assert {e.code for e in second.errors} == {"already_used"}


def test_bulk_writes_store_times_as_every_other_write_does(
    sqlite_store, settings, tmp_path, monkeypatch
):
    """On SQLite a time is text: a bulk write must spell it as SQLAlchemy's own writes do
    (microseconds always present), or the Last Modified sort misorders whole seconds."""
    on_the_second = dt.datetime(2026, 3, 1, 9, 30, 0)
    monkeypatch.setattr(bulkpoc.batch.run, "utcnow", lambda: on_the_second)
    path = write_rows(tmp_path / "one.csv", lines(1))
    assert run_import(sqlite_store, path, ImportOptions(), settings).counts.created == 1
    with sqlite_store.engine.begin() as connection:
        connection.execute(
            insert(schema.chat_profiles).values(
                name="Timed", name_key="timed", last_modified=on_the_second
            )
        )
        stored = {
            table: connection.exec_driver_sql(
                f"SELECT last_modified FROM {table} ORDER BY id DESC LIMIT 1"
            ).scalar()
            for table in ("pocs", "chat_profiles")
        }
    assert stored["pocs"] == stored["chat_profiles"] == "2026-03-01 09:30:00.000000"
