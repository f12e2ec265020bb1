"""Preview, then apply exactly that (issue 23, item 3): a dry run's kept file runs again as a
real batch, linked both ways, without the rows the reviewer excluded, and only if every row
would still do what the dry run showed; a dry run is applied once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bulkpoc.batch.applying import (
    ApplyRequest,
    _record,
    parse_rows,
    prepare,
    run_apply,
    submit_apply,
)
from bulkpoc.batch.submit import load_result, submit
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import ApplyRefused
from bulkpoc.domain.options import ImportOptions
from bulkpoc.store.db import Store
from tests.conftest import poc, stored_pocs

# Five new Phone Call POCs: rows 2 to 6 of the file.
ROWS = [
    poc(Name=f"Line {n}", Point_of_Contact=number)
    for n, number in enumerate(
        ["+12025550100", "+12025550101", "+12025550102", "+18005550300", "+18005550301"], 1
    )
]


def _apply(store: Store, settings: Settings, preview: int, **request: object):
    values = {"user": "admin", "source": "cli", **request}
    return run_apply(store, ApplyRequest(preview, **values), settings)  # type: ignore[arg-type]


@pytest.fixture
def preview(run, store: Store) -> int:
    """A finished dry run of ROWS: five POCs it would create."""
    result = run(ROWS, dry_run=True)
    assert result.status.value == "succeeded", result.failure
    assert result.counts.created == 5
    assert stored_pocs(store) == []
    assert result.batch_id is not None
    return result.batch_id


def test_a_dry_run_keeps_its_file(store: Store, preview: int) -> None:
    batch = store.batch(preview)
    assert batch is not None
    content = store.file_content(batch["checksum"])
    assert content is not None
    assert b"Line 5" in content


def test_apply_with_no_change_between_does_what_the_dry_run_showed(
    store: Store, settings: Settings, preview: int
) -> None:
    result, new_preview = _apply(store, settings, preview)
    shown = load_result(store, preview)
    assert result.status.value == "succeeded", result.failure
    assert new_preview is None
    assert result.applied
    assert not result.dry_run
    assert result.counts == shown.counts
    assert [p["name"] for p in stored_pocs(store)] == [f"Line {n}" for n in range(1, 6)]
    # Linked both ways, as the run history holds them.
    applied = load_result(store, result.batch_id)
    assert applied.preview_of == preview
    assert load_result(store, preview).applied_as == result.batch_id
    assert applied.file_name == shown.file_name
    assert applied.checksum == shown.checksum
    assert applied.options["dry_run"] is False
    assert applied.options["preview_of"] == preview


def test_excluded_rows_are_skipped_by_the_reviewer(
    store: Store, settings: Settings, preview: int
) -> None:
    result, _ = _apply(store, settings, preview, exclude_rows=(3, 5))
    assert result.status.value == "succeeded", result.failure
    assert (result.counts.created, result.counts.skipped, result.counts.total) == (3, 2, 5)
    assert [p["name"] for p in stored_pocs(store)] == ["Line 1", "Line 3", "Line 5"]
    assert any(
        "2 rows skipped by the reviewer" in w and "rows 3 and 5" in w for w in result.warnings
    )
    assert load_result(store, result.batch_id).options["exclude_rows"] == [3, 5]


def test_a_change_in_the_store_since_the_dry_run_applies_nothing_and_previews_again(
    run, store: Store, settings: Settings, preview: int
) -> None:
    # Someone creates a POC with row 4's name meanwhile: row 4 would now fail.
    assert run([poc(Name="Line 3", Point_of_Contact="+18005550302")]).status.value == "succeeded"
    result, new_preview = _apply(store, settings, preview)
    assert result.status.value == "failed"
    assert result.applied is False
    assert "Nothing was applied: 1 row(s)" in (result.failure or "")
    assert "row 4" in (result.failure or "")
    assert [p["name"] for p in stored_pocs(store)] == ["Line 3"]
    assert any(w.startswith("Row 4: the dry run showed created") for w in result.warnings)
    # The new dry run of the same file, linked, shows the plan as it is now.
    assert new_preview is not None
    assert new_preview.dry_run
    assert f"batch {new_preview.batch_id} previews the file again" in (result.failure or "")
    assert load_result(store, result.batch_id).new_preview == new_preview.batch_id
    assert (new_preview.counts.created, new_preview.counts.failed) == (4, 1)
    assert new_preview.checksum == load_result(store, preview).checksum
    # ...which can be applied in its turn.
    applied, again = _apply(store, settings, new_preview.batch_id)
    assert applied.status.value == "completed_with_errors"
    assert again is None
    assert len(stored_pocs(store)) == 5


def test_a_changed_field_value_counts_as_a_changed_plan(
    run, store: Store, settings: Settings
) -> None:
    # The dry run would move Line 1 from Sales Calls to Support Calls; meanwhile someone moved
    # it to another script: the row now also puts the script back.
    created = run([ROWS[0]])
    assert created.status.value == "succeeded"
    poc_id = str(stored_pocs(store)[0]["id"])
    edited = dict(ROWS[0], **{"Point of Contact ID": poc_id, "Skill": "Support Calls"})
    shown = run([edited], dry_run=True)
    assert shown.counts.updated == 1
    other = run([dict(ROWS[0], **{"Point of Contact ID": poc_id, "Script": "After Hours IVR"})])
    assert other.status.value == "succeeded", other.errors
    result, new_preview = _apply(store, settings, shown.batch_id)
    assert result.status.value == "failed", result.summary()
    assert "row 2" in (result.failure or "")
    assert any(
        "showed updated Skill: Sales Calls -> Support Calls; now updated Script: "
        "After Hours IVR -> Main IVR; updated Skill: Sales Calls -> Support Calls" in warning
        for warning in result.warnings
    ), result.warnings
    assert stored_pocs(store)[0]["script_id"] != shown_script(store, "Main IVR")
    assert new_preview is not None
    assert new_preview.counts.updated == 1


def shown_script(store: Store, name: str) -> int:
    from sqlalchemy import select

    from bulkpoc.store import schema

    with store.engine.connect() as connection:
        return connection.scalar(select(schema.scripts.c.id).where(schema.scripts.c.name == name))


def test_a_dry_run_is_applied_once(store: Store, settings: Settings, preview: int) -> None:
    first, _ = _apply(store, settings, preview)
    with pytest.raises(ApplyRefused, match=f"already applied, as batch {first.batch_id}"):
        _apply(store, settings, preview)
    assert len(stored_pocs(store)) == 5


def test_the_database_refuses_a_second_batch_for_one_dry_run(
    store: Store, settings: Settings, preview: int
) -> None:
    """Past the check (as a request arriving at the same moment would be), the unique index
    still refuses the second batch."""
    request = ApplyRequest(preview, "admin", "api")

    def queued(source, options, **columns) -> int:
        return submit(store, source, options, settings, **columns)

    stream, options = prepare(store, request)
    first = _record(store, preview, queued, stream, options)
    with pytest.raises(ApplyRefused, match=f"as batch {first}"):
        _record(store, preview, queued, *prepare_unchecked(store, preview))


def prepare_unchecked(store: Store, preview: int):
    import io

    batch = store.batch(preview)
    stream = io.BytesIO(store.file_content(batch["checksum"]))
    stream.name = batch["file_name"]
    return stream, ImportOptions(dry_run=False, preview_of=preview)


def test_two_requests_at_once_make_one_batch(
    store: Store, settings: Settings, preview: int
) -> None:
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def queued(source, options, **columns) -> int:
        return submit(store, source, options, settings, **columns)

    def apply_now() -> None:
        start.wait()
        try:
            outcomes.append(submit_apply(store, ApplyRequest(preview, "admin", "api"), queued))
        except ApplyRefused as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=apply_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [outcome for outcome in outcomes if isinstance(outcome, int)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ApplyRefused)]
    assert (len(ids), len(refused)) == (1, 1), outcomes
    assert f"as batch {ids[0]}" in str(refused[0])
    assert store.applied_as(preview) == ids[0]


def test_only_a_finished_dry_run_can_be_applied(
    run, store: Store, settings: Settings, tmp_path: Path
) -> None:
    real = run(ROWS[:1])
    with pytest.raises(ApplyRefused, match=f"Batch {real.batch_id} is not a dry run"):
        _apply(store, settings, real.batch_id)
    failed = run([{"Name": "x"}], headers=["Name"], dry_run=True)
    assert failed.status.value == "failed"
    with pytest.raises(ApplyRefused, match=f"Batch {failed.batch_id} failed"):
        _apply(store, settings, failed.batch_id)
    path = tmp_path / "queued.csv"
    path.write_text("Name\n")
    queued = submit(store, path, ImportOptions(dry_run=True), settings)
    with pytest.raises(ApplyRefused, match=f"Batch {queued} is queued"):
        _apply(store, settings, queued)
    with pytest.raises(KeyError):
        _apply(store, settings, 999_999)


def test_a_failed_apply_leaves_the_dry_run_to_apply_again(
    store: Store, settings: Settings, preview: int
) -> None:
    store.add_user("viewer", [])
    failed, _ = _apply(store, settings, preview, user="viewer")
    assert failed.status.value == "failed"
    assert "Points of Contact Create" in (failed.failure or "")
    assert stored_pocs(store) == []
    applied, _ = _apply(store, settings, preview)
    assert applied.status.value == "succeeded"
    assert store.applied_as(preview) == applied.batch_id


@pytest.mark.parametrize(
    ("specs", "rows"),
    [
        (["4"], (4,)),
        (["4, 7-9", "2;4"], (2, 4, 7, 8, 9)),
        ([], ()),
        ([" , "], ()),
    ],
)
def test_row_specs(specs: list[str], rows: tuple[int, ...]) -> None:
    assert parse_rows(specs) == rows


@pytest.mark.parametrize(
    ("spec", "says"),
    [("x", "not a row number"), ("1", "not a data row"), ("9-7", "not a data row")],
)
def test_a_bad_row_spec_is_one_sentence(spec: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_rows([spec])


def test_the_rows_that_differ_are_named_a_few_then_counted(
    run, store: Store, settings: Settings
) -> None:
    numbers = [f"+120255501{n:02d}" for n in range(0, 8)]
    rows = [poc(Name=f"Line {n}", Point_of_Contact=number) for n, number in enumerate(numbers)]
    shown = run(rows, dry_run=True)
    assert shown.counts.created == 8
    # Every name is taken meanwhile (with other numbers): all eight rows would now fail.
    taken = [poc(Name=f"Line {n}", Point_of_Contact=f"+120255501{n + 10:02d}") for n in range(8)]
    assert run(taken).counts.created == 8
    result, _ = _apply(store, settings, shown.batch_id)
    assert "8 row(s)" in (result.failure or "")
    assert "rows 2, 3, 4, 5, 6, 7, 8 and 9" in (result.failure or "")
    described = [w for w in result.warnings if w.startswith("Row ")]
    assert len(described) == 5
    assert "Row 2: the dry run showed created; now failed (already_used) Name:" in described[0]
    assert "… and 3 more rows differ." in result.warnings


def test_a_change_to_an_excluded_row_does_not_stop_the_others(
    run, store: Store, settings: Settings, preview: int
) -> None:
    assert run([poc(Name="Line 3", Point_of_Contact="+18005550302")]).status.value == "succeeded"
    result, new_preview = _apply(store, settings, preview, exclude_rows=(4,))
    assert result.status.value == "succeeded", result.failure
    assert new_preview is None
    assert result.counts.created == 4
    assert result.counts.skipped == 1


def test_what_the_store_assigns_anew_is_no_change_of_plan(
    run, store: Store, settings: Settings
) -> None:
    """A chat point of contact's address and every new ID are assigned when applied: the dry
    run's and the batch's differ, and that is not a changed plan."""
    chat = poc(
        Name="Web chat",
        Media_Type="Chat",
        Point_of_Contact="",
        Skill="Web Chat",
        Script="Chat Router",
        IVR_Reporting_Enabled="N",
    )
    shown = run([chat], dry_run=True)
    assert shown.counts.created == 1, shown.errors
    result, new_preview = _apply(store, settings, shown.batch_id)
    assert result.status.value == "succeeded", result.failure
    assert new_preview is None
    assert stored_pocs(store)[0]["address"].startswith("CHAT-")


def test_a_dry_run_whose_plan_retention_removed_cannot_be_applied(
    store: Store, settings: Settings, preview: int
) -> None:
    from bulkpoc.store.batches import utcnow

    store.update_batch(preview, changes_pruned_at=utcnow(), changes_retention_days=90)
    with pytest.raises(ApplyRefused, match="removed by retention"):
        _apply(store, settings, preview)
    assert stored_pocs(store) == []
