"""``bulkpoc changes``: a record's history and a batch's changes (issue 23, item 4), on both
stores, through the command line as a user types it."""

from __future__ import annotations

import pytest

from tests.conftest import poc, stored_pocs
from tests.history import a_batch, created, removed, updated, write_changes


def test_a_records_history_lists_every_batch_that_changed_it_with_before_and_after(
    run, store, bulkpoc
):
    first = run([poc(Name="Sales line")])
    [made] = stored_pocs(store)
    second = run([poc(Point_of_Contact_ID=str(made["id"]), Name="Sales hotline")])
    assert (first.counts.created, second.counts.updated) == (1, 1)

    shown = bulkpoc("changes", "--id", made["id"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == (
        f"Point of Contact {made['id']} 'Sales hotline': showing 1-2 of 2 changes."
    ), shown.output
    assert lines[1].startswith(f"Batch {first.batch_id} · ")
    assert lines[1].endswith(" · admin · cli · upload-0.csv")
    assert lines[2].startswith("  Row 2: created: ")
    assert "Name=Sales line" in lines[2]
    assert lines[3].startswith(f"Batch {second.batch_id} · ")
    assert lines[4] == "  Row 2: Name: Sales line -> Sales hotline"

    code, page = bulkpoc.json("changes", "--name", "SALES HOTLINE")
    assert code == 0
    assert (page["record_key"], page["name"], page["exists"], page["total"]) == (
        str(made["id"]),
        "Sales hotline",
        True,
        2,
    )
    [was_created, renamed] = page["changes"]
    assert (was_created["action"], was_created["values"]["Name"]) == ("created", "Sales line")
    assert was_created["user"] == "admin"
    assert was_created["file_name"] == "upload-0.csv"
    assert {k: renamed[k] for k in ("batch_id", "action", "field", "before", "after")} == {
        "batch_id": second.batch_id,
        "action": "updated",
        "field": "Name",
        "before": "Sales line",
        "after": "Sales hotline",
    }


def test_a_removed_record_is_found_by_the_name_it_had(store, bulkpoc):
    made, undone = a_batch(store), a_batch(store, file_name="undo")
    write_changes(store, made, [created("41", Name="Night Line", Media_Type="Phone Call")])
    write_changes(store, undone, [removed("41", Name="Night Line", Media_Type="Phone Call")])

    shown = bulkpoc("changes", "--name", "night LINE")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0] == (
        "Point of Contact 41 'Night Line' (removed): showing 1-2 of 2 changes."
    )
    assert "  Row 2: removed: Name=Night Line, Media Type=Phone Call" in shown.output
    code, page = bulkpoc.json("changes", "--id", "41")
    assert (code, page["exists"], [c["action"] for c in page["changes"]]) == (
        0,
        False,
        ["created", "removed"],
    )


def test_a_name_two_removed_records_had_shows_the_newest_and_names_the_other(store, bulkpoc):
    batch = a_batch(store)
    write_changes(
        store,
        batch,
        [created("7", Name="Temp"), removed("7", Name="Temp"), created("9", Name="temp")],
    )
    shown = bulkpoc("changes", "--name", "Temp")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0].startswith("Point of Contact 9 'temp' (removed)")
    assert "Other removed points of contact had this name: 7 (see each with --id)." in (
        shown.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--id", "999"),
            "There is no point of contact with Point of Contact ID '999', now or in any "
            "change record.",
        ),
        (
            ("--name", "Nobody"),
            "No point of contact is named 'Nobody', now or in any change record.",
        ),
        (("--batch", "999"), "There is no batch 999."),
        (("--type", "number", "--name", "x"), "Numbers have no name; give the phone number."),
        (("--type", "skill", "--id", "abc"), "There is no skill with Skill ID 'abc', now or in"),
    ],
)
def test_what_is_not_there_is_one_sentence_and_exit_code_2(bulkpoc, args, message):
    shown = bulkpoc("changes", *args)
    assert shown.exit_code == 2, shown.output
    assert shown.stderr.startswith(f"Error: {message}"), shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give one of --id, --name, --number, --batch"),
        (("--id", "1", "--batch", "2"), "Give one of --id, --name, --number, --batch"),
        (("--type", "skill", "--number", "+12025550100"), "--number is a phone number"),
        (("--batch", "1", "--limit", "501"), "501 is not in the range 1<=x<=500"),
        (("--id", "1", "prune", "--older-than", "9d"), "--id does not go with `changes prune`"),
    ],
)
def test_usage_mistakes_are_refused(bulkpoc, args, message):
    shown = bulkpoc("changes", *args)
    assert shown.exit_code == 2, shown.output
    assert message in shown.stderr


def test_a_batchs_changes_come_a_page_at_a_time(store, bulkpoc):
    batch = a_batch(store)
    write_changes(store, batch, [updated(str(n), "Skill", "Sales", "Support") for n in range(4210)])

    first = bulkpoc("changes", "--batch", batch)
    lines = first.output.splitlines()
    assert lines[0] == f"Batch {batch} (poc): showing 1-100 of 4,210 changes."
    assert lines[1] == "  Row 2, Point of Contact ID 0: Skill: Sales -> Support"
    assert len(lines) == 102
    assert lines[-1] == "Next page: --offset 100."

    last = bulkpoc("changes", "--batch", batch, "--offset", "4200", "--limit", "50")
    assert (
        last.output.splitlines()[0] == f"Batch {batch} (poc): showing 4,201-4,210 of 4,210 changes."
    )
    assert "Next page" not in last.output

    _code, page = bulkpoc.json("changes", "--batch", batch, "--limit", "3")
    assert (page["total"], page["offset"], page["limit"], len(page["changes"])) == (4210, 0, 3, 3)
    assert page["changes"][0] | {"change_id": 0} == {
        "change_id": 0,
        "batch_id": batch,
        "row": 2,
        "record_type": "poc",
        "record_key": "0",
        "action": "updated",
        "field": "Skill",
        "before": "Sales",
        "after": "Support",
        "values": None,
    }


def test_a_dry_runs_changes_say_they_are_what_it_would_do(store, bulkpoc):
    batch = a_batch(store, dry_run=True)
    write_changes(store, batch, [updated("3", "Active", "Y", "")])
    shown = bulkpoc("changes", "--batch", batch)
    assert shown.output.splitlines() == [
        f"Batch {batch} (poc, dry run: what it would change): showing 1-1 of 1 changes.",
        "  Row 2, Point of Contact ID 3: Active: Y -> (blank)",
    ]


def test_a_number_is_found_by_its_number_written_any_way(store, bulkpoc):
    batch = a_batch(store, record_type="number")
    write_changes(store, batch, [updated("+12025550100", "SMS", "N", "Y")], record_type="number")
    for args in (
        ("--number", "+1 (202) 555-0100"),
        ("--type", "number", "--id", "202 555 0100"),
        ("--type", "number", "--id", "+12025550100"),
    ):
        code, page = bulkpoc.json("changes", *args)
        assert (code, page["record_key"], page["total"]) == (0, "+12025550100", 2), args
        assert page["exists"] is True
        # Created by the demo's numbers, then changed by the batch.
        assert [c["action"] for c in page["changes"]] == ["created", "updated"]
        assert page["changes"][0]["values"] == {"Voice": "Y", "SMS": "N"}


def test_a_dry_run_is_marked_in_a_history_and_its_creates_have_no_id_yet(run, store, bulkpoc):
    run([poc(Name="Sales line")])
    [made] = stored_pocs(store)
    rows = [
        poc(Point_of_Contact_ID=str(made["id"]), Name="Renamed"),
        poc(Name="Other", Point_of_Contact="+12025550101"),
    ]
    preview = run(rows, dry_run=True)
    assert preview.counts.failed == 0, preview.errors

    shown = bulkpoc("changes", "--id", made["id"])
    assert f"Batch {preview.batch_id} (dry run: what it would change) · " in shown.output
    assert "  Row 2: Name: Sales line -> Renamed" in shown.output
    batch = bulkpoc("changes", "--batch", preview.batch_id)
    assert "  Row 3, Point of Contact ID (new): created: Name=Other, " in batch.output
