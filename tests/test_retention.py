"""Retention (issue 23, item 6): `bulkpoc changes prune` and the scheduler's daily pass remove
old batches' change records and the stored files only they needed, and those batches say why
they can no longer be undone; on both stores."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import func, select

from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import SettingsError
from bulkpoc.domain.history import BadAge, cannot_undo, parse_age
from bulkpoc.schedules.runner import before_each_pass
from bulkpoc.services.auth import create_token
from bulkpoc.services.history import apply_retention, batch_changes
from bulkpoc.store import schema
from bulkpoc.store.db import Store, utcnow
from tests.cli import Bulkpoc
from tests.history import a_batch, updated, write_changes
from tests.web import api_client, one_sentence

NOW = dt.datetime(2026, 12, 6, 9, 30)
DAY = dt.timedelta(days=1)


def count(store: Store, table, *where) -> int:
    with store.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def changes_of(store: Store, batch_id: int) -> int:
    return count(store, schema.changes, schema.changes.c.batch_id == batch_id)


def kept_files(store: Store) -> int:
    return count(store, schema.files)


@pytest.fixture
def history(empty_store: Store) -> dict[str, int]:
    """Batches of long ago and of lately, with change records, files and an error file:

    old: 100 days ago, its own file and an error file; shared: 100 days ago, a file a recent
    batch also uploaded; recent: 10 days ago; interrupted: 100 days ago, which `rerun` may
    still need; dry: a dry run 100 days ago."""
    store = empty_store
    batches = {
        "old": a_batch(store, NOW - 100 * DAY, content=b"old file"),
        "shared": a_batch(store, NOW - 100 * DAY, content=b"shared file"),
        "recent": a_batch(store, NOW - 10 * DAY, content=b"shared file"),
        "interrupted": a_batch(store, NOW - 100 * DAY, b"rerun me", status="interrupted"),
        "dry": a_batch(store, NOW - 95 * DAY, content=b"dry file", dry_run=True),
    }
    for _name, batch_id in batches.items():
        write_changes(store, batch_id, [updated(str(n), "Skill", "A", "B") for n in range(3)])
    with store.transaction() as connection:
        store.keep_batch_file(connection, batches["old"], "errors", "old-errors.csv", b"x")
    return batches


def test_prune_removes_old_change_records_and_the_files_only_they_needed(empty_store, history):
    store = empty_store
    assert kept_files(store) == 4
    counts = store.prune_changes(90, now=NOW)
    assert (counts.batches, counts.changes, counts.files, counts.batch_files) == (3, 9, 2, 1)
    assert counts.sentence() == (
        "Removed 9 change records of 3 batches finished before 2026-09-07 09:30 UTC, 2 stored "
        "uploads and 1 stored error file; those batches can no longer be undone."
    )
    for name in ("old", "shared", "dry"):
        assert changes_of(store, history[name]) == 0, name
        batch = store.batch(history[name])
        assert (batch["changes_pruned_at"], batch["changes_retention_days"]) == (NOW, 90)
    for name in ("recent", "interrupted"):
        assert changes_of(store, history[name]) == 3, name
        assert store.batch(history[name])["changes_pruned_at"] is None
    # The shared upload stays for the recent batch; the interrupted batch's for `rerun`.
    assert store.file_content(store.batch(history["recent"])["checksum"]) == b"shared file"
    assert store.file_content(store.batch(history["interrupted"])["checksum"]) == b"rerun me"
    assert store.file_content(store.batch(history["old"])["checksum"]) is None
    assert store.batch_file(history["old"], "errors") is None

    again = store.prune_changes(90, now=NOW)
    assert (again.batches, again.changes, again.files) == (0, 0, 0)
    assert again.sentence() == (
        "Nothing to remove: no batch finished before 2026-09-07 09:30 UTC still has change records."
    )
    later = store.prune_changes(5, now=NOW)
    assert (later.batches, later.changes, later.files) == (1, 3, 1)  # now the shared file goes


def test_a_pruned_batch_says_it_can_no_longer_be_undone_and_why(empty_store, history):
    store = empty_store
    old = history["old"]
    assert cannot_undo(store.batch(old)) is None
    store.prune_changes(90, now=NOW)
    assert cannot_undo(store.batch(old)) == (
        f"Batch {old} can no longer be undone: its change records were removed on 2026-12-06 "
        "by retention (90 days)."
    )
    page = batch_changes(store, old)
    assert (page.total, page.changes) == (0, [])
    assert page.pruned == "Its change records were removed on 2026-12-06 by retention (90 days)."
    assert batch_changes(store, history["recent"]).pruned is None


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12w", 84), (" 1D ", 1), ("2W", 14)])
def test_an_age_is_days_or_weeks(text, days):
    assert parse_age(text) == days


@pytest.mark.parametrize("text", ["90", "0d", "abc", "3m", "-1d", "", "1.5d", "99999999d"])
def test_any_other_age_is_refused_in_one_sentence(text):
    with pytest.raises(BadAge) as refused:
        parse_age(text)
    assert str(refused.value) == (
        "--older-than must be a number of days or weeks such as 90d or 12w (at least 1 day, "
        f"at most 36,600), not {text!r}."
    )


def test_the_command_prints_what_it_removed_and_refuses_nonsense(empty_store, tmp_path):
    store = empty_store
    old = a_batch(store, utcnow() - 100 * DAY)
    write_changes(store, old, [updated("1", "Name", "A", "B")])
    bulkpoc = Bulkpoc(tmp_path)

    refused = bulkpoc("changes", "prune", "--older-than", "3 months", db=store.url)
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "Error: --older-than must be a number of days or weeks such as 90d or 12w (at least 1 "
        "day, at most 36,600), not '3 months'."
    )
    assert changes_of(store, old) == 1

    pruned = bulkpoc("changes", "prune", "--older-than", "13w", db=store.url)
    assert pruned.exit_code == 0, pruned.output
    assert pruned.output.startswith("Removed 1 change record of 1 batch finished before ")
    assert pruned.output.endswith(
        ", 1 stored upload and 0 stored error files; those batches can no longer be undone.\n"
    )
    shown = bulkpoc("changes", "--batch", old, db=store.url)
    assert shown.output.splitlines() == [
        f"Batch {old} (poc): no changes.",
        f"Its change records were removed on {utcnow():%Y-%m-%d} by retention (91 days).",
    ]
    again = json.loads(
        bulkpoc("changes", "prune", "--older-than", "90d", "--json", db=store.url).stdout
    )
    assert {k: again[k] for k in ("days", "batches", "changes", "files", "batch_files")} == {
        "days": 90,
        "batches": 0,
        "changes": 0,
        "files": 0,
        "batch_files": 0,
    }


def test_the_scheduler_prunes_once_a_day_when_the_setting_says_so(empty_store, settings):
    store = empty_store
    old = a_batch(store, utcnow() - 400 * DAY)
    write_changes(store, old, [updated("1", "Name", "A", "B")])

    before_each_pass(store, settings)  # unset: kept forever
    assert settings.changes_retention_days is None
    assert changes_of(store, old) == 1

    yearly = settings.model_copy(update={"changes_retention_days": 365})
    before_each_pass(store, yearly)
    assert changes_of(store, old) == 0
    assert store.batch(old)["changes_retention_days"] == 365

    # Once a day, whichever scheduler comes first: the same day again does nothing...
    later = a_batch(store, utcnow() - 400 * DAY)
    write_changes(store, later, [updated("1", "Name", "B", "C")])
    # Noon today: "the same day" and "five hours later" stay on one calendar day whenever the
    # test runs (at 19:07 UTC, five hours after tomorrow's run is the day after).
    today = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    assert apply_retention(store, yearly, now=today) is None
    assert changes_of(store, later) == 1
    # ...and the next day prunes again.
    tomorrow = apply_retention(store, yearly, now=today + DAY)
    assert tomorrow is not None
    assert (tomorrow.batches, tomorrow.changes) == (1, 1)
    assert apply_retention(store, yearly, now=today + DAY + dt.timedelta(hours=5)) is None


def test_the_retention_setting_is_days_or_unset():
    assert Settings.from_env({}).changes_retention_days is None
    assert (
        Settings.from_env({"BULKPOC_CHANGES_RETENTION_DAYS": "365"}).changes_retention_days == 365
    )
    assert Settings.from_env({"BULKPOC_CHANGES_RETENTION_DAYS": " "}).changes_retention_days is None
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"BULKPOC_CHANGES_RETENTION_DAYS": "0"})
    assert str(refused.value) == (
        "Setting BULKPOC_CHANGES_RETENTION_DAYS must be a whole number of at least 1, not '0'."
    )


def test_an_error_file_retention_removed_says_so(empty_store, settings, history):
    store = empty_store
    store.prune_changes(90, now=NOW)
    with api_client(store, settings, create_token(store, "partner", "admin")) as api:
        answer = api.get(f"/api/v1/batches/{history['old']}/errors")
    assert answer.status_code == 404
    assert one_sentence(answer) == (
        f"Batch {history['old']} has no error file: retention removed it on 2026-12-06 (90 days)."
    )


def test_two_schedulers_at_once_prune_once_a_day(empty_store, history):
    store = empty_store
    stores = [Store(store.url) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[object] = []

    def daily(each: Store) -> None:
        start.wait()
        results.append(each.prune_changes_daily(90, now=NOW))

    threads = [threading.Thread(target=daily, args=(each,)) for each in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for each in stores:
        each.engine.dispose()
    done = [result for result in results if result is not None]
    assert len(results) == 2
    assert len(done) == 1
    assert count(store, schema.changes) == 6  # the recent and interrupted batches' own
