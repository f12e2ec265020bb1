"""Undo (issue 23, item 5): an applied batch taken back as a new batch, through the same
validate, plan and apply as an upload, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import time

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError

from bulkpoc.batch.undo import run_undo, undo_options
from bulkpoc.cli import cli
from bulkpoc.domain.permissions import POC_CREATE, POC_DEACTIVATE, REFERENCE_DATA_EDIT, SKILLS_EDIT
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.output.exports import export_frame
from bulkpoc.store import schema
from bulkpoc.store.undo import mark_reverted, reverted_by
from tests.conftest import errors, poc, stored_pocs

LAST_MODIFIED = "Last Modified"


def exported(store, type_name: str = "poc") -> list[dict]:
    """Every record as its export row, Last Modified aside: what an undo must restore."""
    frame = export_frame(store, RECORD_TYPES[type_name])
    return frame.drop(columns=[LAST_MODIFIED], errors="ignore").to_dict("records")


@pytest.fixture
def undo(store, settings):
    """undo(batch_id, **options) -> the undo's BatchResult, as ``bulkpoc undo`` runs it."""

    def _undo(batch_id: int, **chosen):
        options = undo_options(store, batch_id, **chosen)
        return run_undo(store, batch_id, options, settings)

    return _undo


@pytest.fixture
def ref(run):
    def _ref(name: str, rows: list[dict[str, str]], **options):
        return run(rows, headers=RECORD_TYPES[name].headers, record_type=name, **options)

    return _ref


def export_rows(store, **changes: dict[str, str]) -> list[dict[str, str]]:
    """The POC export as upload rows, the rows of the named POCs changed as given."""
    rows = []
    for row in exported(store):
        if row["Name"] in changes:
            row = {**row, **changes[row["Name"]]}
        rows.append(row)
    return rows


def ok(result, status: str = "succeeded") -> None:
    assert result.status.value == status, (result.failure, result.errors)


# --- creates, updates, deactivations ------------------------------------------------------------


def test_undo_of_creates_removes_them_and_gives_their_numbers_back(store, run, undo):
    start = exported(store)
    created = run(
        [
            poc(),
            poc(
                Name="Mail",
                Media_Type="Email",
                Point_of_Contact="a@example.com",
                Skill="Email Support",
                Script="Email Router",
            ),
        ]
    )
    ok(created)

    result = undo(created.batch_id)

    ok(result)
    assert (result.counts.removed, result.counts.total, result.source) == (2, 2, "undo")
    assert result.options["reverts"] == created.batch_id
    assert exported(store) == start
    assert store.batch(result.batch_id)["removed"] == 2
    # The number is free again: another point of contact may use it.
    ok(run([poc(Name="Other Line")]))


def test_undo_of_updates_sets_each_changed_field_back(store, run, undo):
    ok(run([poc(), poc(Name="Second", Point_of_Contact="+12025550101")]))
    before = exported(store)
    changed = run(
        export_rows(
            store,
            **{
                "Main Line": {"Skill": "Support Calls", "Name": "Renamed"},
                "Second": {"Script": "After Hours IVR"},
            },
        )
    )
    assert changed.counts.updated == 2

    result = undo(changed.batch_id)

    ok(result)
    assert (result.counts.updated, result.counts.total) == (2, 2)
    assert exported(store) == before


def test_undo_of_a_deactivation_reactivates(store, run, undo):
    ok(run([poc()]))
    before = exported(store)
    off = run(export_rows(store, **{"Main Line": {"Skill": "Legacy Calls", "Active": "N"}}))
    ok(off)
    assert stored_pocs(store)[0]["active"] is False

    ok(undo(off.batch_id))
    assert exported(store) == before


def test_an_undo_that_would_break_the_deactivation_rule_fails_that_row(store, run, ref, undo):
    ok(run([poc(Skill="Legacy Calls", Active="N")]))
    on = run(export_rows(store, **{"Main Line": {"Active": "Y"}}))
    ok(on)
    skills = exported(store, "skill")
    legacy = next(s for s in skills if s["Name"] == "Legacy Calls")
    ok(ref("skill", [{**legacy, "Active": "Y"}]))  # someone reactivates the old skill

    result = undo(on.batch_id)

    assert result.status.value == "completed_with_errors"
    assert errors(result) == [[2, "Active", "deactivation_blocked"]]
    assert stored_pocs(store)[0]["active"] is True
    assert result.errors[0].message.startswith("Point of Contact 1 'Main Line': Cannot be")


# --- each reference type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "new", "change"),
    [
        (
            "skill",
            {"Name": "Night Calls", "Media Type": "Phone Call", "Active": "Y"},
            {"Sales Calls": {"Name": "Sales Line", "Active": "N"}},
        ),
        (
            "script",
            {"Name": "Night IVR", "Media Type": "Phone Call"},
            {"Main IVR": {"Name": "Day IVR"}},
        ),
        ("chat-profile", {"Name": "French Chat"}, {"Default Chat": {"Name": "Chat FR"}}),
    ],
)
def test_undo_of_each_reference_type(store, ref, undo, type_name, new, change):
    before = exported(store, type_name)
    created = ref(type_name, [new])
    ok(created)
    rows = [{**row, **change.get(row["Name"], {})} for row in exported(store, type_name)]
    updated = ref(type_name, rows)
    ok(updated)
    assert updated.counts.updated == 1

    ok(undo(updated.batch_id))
    ok(undo(created.batch_id))
    assert exported(store, type_name) == before


def test_undo_of_numbers_created_and_changed(store, ref, undo):
    before = exported(store, "number")
    created = ref("number", [{"Phone Number": "+12025550199", "Voice": "Y", "SMS": "N"}])
    ok(created)
    changed = ref("number", [{"Phone Number": "+12025550100", "Voice": "Y", "SMS": "Y"}])
    ok(changed)

    ok(undo(changed.batch_id))
    ok(undo(created.batch_id))
    assert exported(store, "number") == before


# --- what depends on a created record ---------------------------------------------------------


def test_a_created_skill_a_poc_now_uses_is_not_removed(store, run, ref, undo):
    skill = ref("skill", [{"Name": "Night Calls", "Media Type": "Phone Call", "Active": "Y"}])
    ok(skill)
    ok(
        run(
            [
                poc(Skill="Night Calls"),
                poc(Name="Second", Point_of_Contact="+12025550101", Skill="Night Calls"),
            ]
        )
    )

    result = undo(skill.batch_id)

    assert result.status.value == "completed_with_errors"
    assert errors(result) == [[2, "Skill ID", "still_needed"]]
    message = result.errors[0].message
    assert message.startswith("Skill ")
    assert "2 points of contact ('Main Line', 'Second') are assigned to it" in message
    assert any(s["Name"] == "Night Calls" for s in exported(store, "skill"))


def test_a_created_number_a_poc_now_uses_is_not_removed(store, run, ref, undo):
    number = ref("number", [{"Phone Number": "+12025550199", "Voice": "Y", "SMS": "N"}])
    ok(number)
    ok(run([poc(Point_of_Contact="+12025550199")]))

    result = undo(number.batch_id)

    assert errors(result) == [[2, "Phone Number", "still_needed"]]
    assert "point of contact 'Main Line' uses it" in result.errors[0].message


# --- conflicts, Force, permissions ----------------------------------------------------------------


def test_a_field_changed_since_is_a_conflict_and_force_sets_it_back(store, run, undo):
    ok(run([poc(), poc(Name="Second", Point_of_Contact="+12025550101")]))
    batch = run(
        export_rows(
            store,
            **{"Main Line": {"Skill": "Support Calls"}, "Second": {"Skill": "Support Calls"}},
        )
    )
    ok(batch)
    # Someone moves Main Line on since: its skill is neither the batch's before nor its after.
    ok(run(export_rows(store, **{"Main Line": {"Skill": "Legacy Calls", "Active": "N"}})))

    dry = undo(batch.batch_id, dry_run=True)

    assert errors(dry) == [[2, "Skill", "undo_conflict"]]
    assert dry.errors[0].message == (
        f"Point of Contact 1 'Main Line': Not undone: Skill is now 'Legacy Calls', not "
        f"'Support Calls' as batch {batch.batch_id} left it, so someone changed it since; it "
        f"stays as it is (undo with Force to set it back to 'Sales Calls')."
    )
    assert dry.errors[0].value == "Legacy Calls"
    assert (dry.counts.updated, dry.counts.failed) == (1, 1)

    result = undo(batch.batch_id)  # the conflicting row is left, the other restored
    assert result.status.value == "completed_with_errors"
    assert {p["name"]: p["skill_id"] for p in stored_pocs(store)} == {"Main Line": 3, "Second": 1}


def test_force_sets_back_a_field_changed_since(store, run, undo):
    ok(run([poc()]))
    batch = run(export_rows(store, **{"Main Line": {"Skill": "Support Calls"}}))
    ok(run(export_rows(store, **{"Main Line": {"Skill": "Legacy Calls", "Active": "N"}})))

    ok(undo(batch.batch_id, overwrite=True))

    assert [(p["skill_id"], p["active"]) for p in stored_pocs(store)] == [(1, False)]


def test_an_undo_needs_the_permissions_an_upload_needs(store, run, undo):
    store.add_user("clerk", (POC_CREATE, POC_DEACTIVATE), email=None)
    ok(run([poc()]))
    batch = run(export_rows(store, **{"Main Line": {"Skill": "Support Calls"}}))
    ok(batch)

    result = undo(batch.batch_id, user="clerk")

    assert errors(result) == [[2, "Skill", "permission_denied"]]
    assert "'Skills Edit'" in result.errors[0].message
    assert stored_pocs(store)[0]["skill_id"] == 2
    # Without the record type's own permission the undo fails as a whole.
    store.add_user("viewer", (REFERENCE_DATA_EDIT, SKILLS_EDIT), email=None)
    refused = undo(batch.batch_id, user="viewer")
    assert (refused.status.value, refused.failure_code) == ("failed", "upload_not_permitted")


# --- undo of an undo; twice; nothing to undo ---------------------------------------------------


def test_undoing_an_undo_applies_the_original_again_with_the_same_ids(store, run, undo):
    ok(run([poc()]))
    created = run(
        [
            poc(
                Name="Chat",
                Media_Type="Chat",
                Point_of_Contact="",
                Skill="Web Chat",
                Script="Chat Router",
                Chat_Profile="Default Chat",
            )
        ]
    )
    ok(created)
    changed = run(export_rows(store, **{"Main Line": {"Skill": "Support Calls"}}))
    after = exported(store)

    first, second = undo(created.batch_id), undo(changed.batch_id)
    ok(first)
    ok(second)
    ok(undo(second.batch_id))
    again = undo(first.batch_id)
    ok(again)
    assert again.counts.created == 1
    assert exported(store) == after  # same IDs, same chat identifier


def test_a_batch_is_undone_once(store, run, undo):
    created = run([poc()])
    first = undo(created.batch_id)
    ok(first)

    again = undo(created.batch_id)

    assert (again.status.value, again.failure_code, again.batch_id) == (
        "failed",
        "already_undone",
        None,
    )
    assert again.failure == (
        f"Batch {created.batch_id} was already undone by batch {first.batch_id}; a batch is "
        f"undone once (undo batch {first.batch_id} to apply it again)."
    )
    with pytest.raises(IntegrityError), store.transaction() as connection:
        mark_reverted(connection, created.batch_id, created.batch_id)  # the database says no


def test_a_dry_run_of_an_undo_changes_nothing_and_can_be_followed_by_the_undo(store, run, undo):
    created = run([poc()])
    dry = undo(created.batch_id, dry_run=True)
    ok(dry)
    assert (dry.counts.removed, dry.applied) == (1, False)
    assert len(stored_pocs(store)) == 1
    ok(undo(created.batch_id))
    assert stored_pocs(store) == []


@pytest.mark.parametrize(
    ("rows", "options", "reason"),
    [
        ([poc()], {"dry_run": True}, "was a dry run and changed nothing"),
        ([poc(Skill="Nope")], {"all_or_nothing": True}, "failed and changed nothing"),
        ([], {}, "changed no record"),
    ],
)
def test_a_batch_that_applied_nothing_has_nothing_to_undo(store, run, undo, rows, options, reason):
    batch = run(rows, **options)

    result = undo(batch.batch_id)

    assert (result.status.value, result.failure_code) == ("failed", "nothing_to_undo")
    assert result.failure == f"Batch {batch.batch_id} {reason}, so there is nothing to undo."


def test_an_unknown_batch_has_nothing_to_undo(store, undo):
    result = undo(999)
    assert result.failure == "Batch 999 does not exist, so there is nothing to undo."


def test_a_batch_whose_changes_were_pruned_can_no_longer_be_undone(store, run, undo):
    batch = run([poc()])
    later = batch.finished_at + dt.timedelta(days=91)
    store.prune_changes(90, now=later)
    assert store.batch(batch.batch_id)["changes_pruned_at"] == later

    result = undo(batch.batch_id)

    assert result.failure_code == "undo_unavailable"
    assert result.failure == (
        f"Batch {batch.batch_id} can no longer be undone: its change records were removed on "
        f"{later:%Y-%m-%d} by retention (90 days)."
    )


def test_a_batch_recorded_before_change_records_were_kept_can_not_be_undone(store, run, undo):
    batch = run([poc()])
    with store.transaction() as connection:
        connection.execute(
            schema.changes.delete().where(schema.changes.c.batch_id == batch.batch_id)
        )

    result = undo(batch.batch_id)

    assert result.failure_code == "undo_unavailable"
    assert "before bulkpoc kept change records" in result.failure


# --- the command ----------------------------------------------------------------------------------


def test_the_undo_command_has_the_exit_codes_and_json_of_import(store, run, settings, tmp_path):
    batch = run([poc()])
    runner = CliRunner()
    argv = ["--db", store.url, "undo", str(batch.batch_id), "--report-dir", str(tmp_path / "r")]

    dry = runner.invoke(cli, [*argv, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert (shown["counts"]["removed"], shown["dry_run"], shown["source"]) == (1, True, "undo")

    done = runner.invoke(cli, argv)
    assert done.exit_code == 0, done.output
    assert "1 removed" in done.stdout

    twice = runner.invoke(cli, argv)
    assert twice.exit_code == 3
    assert "was already undone by batch" in twice.stderr
    assert "Traceback" not in twice.output


def test_undo_rows_are_numbered_in_the_order_of_the_change_records(store, run, undo):
    batch = run([poc(Name=f"Line {i}", Point_of_Contact=f"+1202555010{i}") for i in range(3)])
    with store.engine.connect() as connection:
        keys = (
            pd.read_sql(
                schema.changes.select().where(schema.changes.c.batch_id == batch.batch_id),
                connection,
            )["record_key"]
            .drop_duplicates()
            .tolist()
        )
    store.add_user("nodeact", (POC_CREATE,), email=None)

    result = undo(batch.batch_id, user="nodeact")  # removing an active POC needs Deactivate

    assert [e.row for e in result.errors] == [2, 3, 4]
    names = [f"Point of Contact {key} 'Line {i}'" for i, key in enumerate(keys)]
    assert [e.message.split(":")[0] for e in result.errors] == names


# --- all or nothing -----------------------------------------------------------------------------


def test_a_killed_undo_applies_nothing_and_can_be_run_again(store, settings, tmp_path):
    from tests.test_jobs import bulkpoc, finish, kill, mailboxes, running_batch, wait_for

    code, output = finish(
        bulkpoc(store, settings, "import", mailboxes(tmp_path / "big.csv", 100_000))
    )
    assert code == 0, output
    (created,) = store.history(limit=1)

    undoing = bulkpoc(store, settings, "undo", created["id"])
    # PostgreSQL lets the batch report its stage mid-transaction; SQLite's write lock does not.
    stage = "apply" if store.engine.dialect.name == "postgresql" else None
    batch = wait_for(lambda: running_batch(store, stage))
    if stage is None:
        time.sleep(0.5)
    assert store.batch(batch["id"])["status"] == "running"
    kill(undoing)

    finish(bulkpoc(store, settings, "history"))  # marks the dead batch interrupted
    assert store.batch(batch["id"])["status"] == "interrupted"
    assert store.count(schema.pocs) == 100_000
    with store.engine.connect() as connection:
        assert reverted_by(connection, created["id"]) is None

    code, output = finish(bulkpoc(store, settings, "rerun", batch["id"]))
    if store.engine.dialect.name == "postgresql":
        code, output = finish(bulkpoc(store, settings, "worker", "--until-empty"))
    assert code == 0, output
    assert store.batch(batch["id"])["status"] == "succeeded"
    assert store.count(schema.pocs) == 0
