"""``bulkpoc mappings``, ``import --mapping`` and ``schedule add/edit --mapping`` on the test's
demo store (SQLite and PostgreSQL), checking the real database after; and a scheduled inbox
pass reading its files through the schedule's mapping."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bulkpoc.domain.permissions import SKILLS_EDIT
from bulkpoc.domain.schedule import Schedule
from bulkpoc.jobs.queue import InProcessQueue
from bulkpoc.schedules.runner import run_due
from bulkpoc.store.db import Store, utcnow
from tests.conftest import stored_pocs
from tests.test_mapping_import import HEADERS, PARTNER_TOML, partner_file

ROW = ["Sales Line", "+12025550100", "Sales Calls", "Main IVR", "Voice", "yes"]


@pytest.fixture
def toml_file(tmp_path: Path) -> Path:
    path = tmp_path / "partner.toml"
    path.write_text(PARTNER_TOML, encoding="utf-8")
    return path


def names(store: Store) -> dict[str, dict]:
    return {row["name"]: row for row in stored_pocs(store)}


def test_a_mapping_is_saved_listed_shown_and_removed(bulkpoc, store, toml_file):
    saved = bulkpoc("mappings", "save", "partner", toml_file)
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == "Mapping 'partner' saved: reads poc files, 6 column(s).\n"
    assert store.get_mapping("partner").mapping.columns["Skill"] == "Queue"
    again = bulkpoc("mappings", "save", "partner", toml_file)
    assert "replaced" in again.stdout
    listed = json.loads(bulkpoc("mappings", "list", "--json").stdout)
    assert [(m["name"], m["record_type"], m["saved_by"]) for m in listed] == [
        ("partner", "poc", "admin")
    ]
    assert bulkpoc("mappings", "list").stdout.startswith("partner\tpoc\tsaved by admin ")
    assert bulkpoc("mappings", "show", "partner").stdout == PARTNER_TOML
    removed = bulkpoc("mappings", "remove", "partner")
    assert removed.stdout == "Mapping 'partner' removed.\n"
    assert store.mappings() == []
    gone = bulkpoc("mappings", "show", "partner")
    assert gone.exit_code == 2
    assert "There is no mapping named 'partner'" in gone.stderr


def test_a_bad_mapping_file_or_a_user_without_the_permission_is_refused(
    bulkpoc, store, tmp_path, toml_file
):
    bad = tmp_path / "bad.toml"
    bad.write_text("[columns]\nQueue = 'Skill'\n", encoding="utf-8")
    refused = bulkpoc("mappings", "save", "bad", bad)
    assert refused.exit_code == 2
    assert "names 'Queue', which is not a Point of Contact column" in refused.stderr
    store.add_user("skills_only", [SKILLS_EDIT])
    denied = bulkpoc("mappings", "save", "partner", toml_file, "--as", "skills_only")
    assert denied.exit_code == 2
    assert "Points of Contact Create" in denied.stderr
    assert store.mappings() == []
    assert bulkpoc("mappings", "save", "partner", toml_file).exit_code == 0
    assert bulkpoc("mappings", "remove", "partner", "--as", "skills_only").exit_code == 2
    assert store.find_mapping("partner") is not None


def test_import_through_a_saved_mapping(bulkpoc, store, tmp_path, toml_file):
    bulkpoc("mappings", "save", "partner", toml_file)
    path = partner_file(tmp_path / "partner.csv", ROW)
    code, body = bulkpoc.json("import", path, "--mapping", "partner")
    assert code == 0, body
    assert body["options"]["mapping_name"] == "partner"
    stored = names(store)["Sales Line"]
    assert stored["media_type"] == "Phone Call"
    assert bool(stored["ivr_enabled"]) is True


def test_import_through_a_toml_file(bulkpoc, store, tmp_path, toml_file):
    path = partner_file(tmp_path / "partner.csv", ROW)
    result = bulkpoc("import", path, "--mapping", toml_file)
    assert result.exit_code == 0, result.output
    assert "Sales Line" in names(store)
    batch = store.history()[0]
    assert batch["options"]["mapping_name"] == "partner.toml"


def test_import_with_an_unknown_mapping_is_a_usage_error_and_makes_no_batch(
    bulkpoc, store, tmp_path
):
    path = partner_file(tmp_path / "partner.csv", ROW)
    batches = len(store.history())
    result = bulkpoc("import", path, "--mapping", "nope")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "There is no mapping named 'nope'; `bulkpoc mappings list` shows the saved ones."
    )
    assert len(store.history()) == batches


def test_errors_of_a_mapped_import_name_the_partners_columns(bulkpoc, tmp_path, toml_file):
    path = partner_file(tmp_path / "partner.csv", [*ROW[:2], "Sales Cals", *ROW[3:]])
    result = bulkpoc("import", path, "--mapping", toml_file)
    assert result.exit_code == 1
    assert "  Row 2, Queue: Skill 'Sales Cals' does not exist" in result.stdout


def test_a_schedule_takes_a_mapping_and_refuses_an_unknown_one(bulkpoc, store, tmp_path, toml_file):
    inbox = tmp_path / "inbox"
    refused = bulkpoc(
        "schedule", "add", "partner", "--cron", "0 * * * *", "--inbox", inbox, "--mapping", "x"
    )
    assert refused.exit_code == 2
    assert "There is no mapping named 'x'" in refused.stderr
    bulkpoc("mappings", "save", "partner", toml_file)
    added = bulkpoc(
        "schedule", "add", "partner", "--cron", "0 * * * *", "--inbox", inbox,
        "--mapping", "partner",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert store.get_schedule("partner").mapping == "partner"
    listed = json.loads(bulkpoc("schedule", "list", "--json").stdout)
    assert listed[0]["mapping"] == "partner"
    wrong_type = bulkpoc("schedule", "edit", "partner", "--type", "skill")
    assert wrong_type.exit_code == 2
    assert "reads poc files, not skill files" in wrong_type.stderr
    assert bulkpoc("schedule", "edit", "partner", "--no-mapping").exit_code == 0
    assert store.get_schedule("partner").mapping is None


def test_a_scheduled_pass_reads_each_file_through_the_schedules_mapping(store, settings, tmp_path):
    from bulkpoc.domain.mapping import ColumnMapping

    quick = settings.model_copy(update={"inbox_settle_seconds": 0})
    store.save_mapping("partner", ColumnMapping.from_toml(PARTNER_TOML, "poc"), "admin")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    store.add_schedule(
        Schedule(
            name="partner-drop",
            cron="* * * * *",
            timezone="UTC",
            inbox=str(inbox),
            mapping="partner",
        )
    )
    partner_file(inbox / "monday.csv", ROW)
    now = utcnow() + dt.timedelta(minutes=2)
    run_due(store, quick, InProcessQueue(store, quick), now)
    (batch,) = [b for b in store.history() if b["source"] == "schedule"]
    assert batch["status"] == "succeeded", batch["failure"]
    assert batch["options"]["mapping_name"] == "partner"
    assert "Sales Line" in names(store)

    # The mapping removed: the schedule's next file fails, in one sentence.
    store.remove_mapping("partner")
    partner_file(inbox / "tuesday.csv", [*ROW[:1], "+12025550101", *ROW[2:]], headers=HEADERS)
    run_due(store, quick, InProcessQueue(store, quick), now + dt.timedelta(minutes=2))
    tuesday = next(b for b in store.history() if b["file_name"] == "tuesday.csv")
    assert tuesday["status"] == "failed"
    assert tuesday["failure"] == (
        "The schedule's column mapping 'partner' is not saved (it may have been removed), so "
        "the file was not read; save the mapping again or choose another."
    )
    assert (inbox / "failed" / f"{tuesday['id']}-tuesday.csv").exists()


def test_applying_a_mapped_dry_run_reads_the_file_through_the_same_mapping_even_once_removed(
    bulkpoc, store, tmp_path, toml_file
):
    bulkpoc("mappings", "save", "partner", toml_file)
    path = partner_file(tmp_path / "partner.csv", ROW)
    code, preview = bulkpoc.json("import", path, "--mapping", "partner", "--dry-run")
    assert code == 0, preview
    assert bulkpoc("mappings", "remove", "partner").exit_code == 0
    applied = bulkpoc("apply", preview["batch_id"])
    assert applied.exit_code == 0, applied.output
    assert names(store)["Sales Line"]["media_type"] == "Phone Call"
    batch = store.history()[0]
    assert batch["options"]["mapping_name"] == "partner"
    assert batch["options"]["preview_of"] == preview["batch_id"]
