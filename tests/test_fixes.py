"""Fixing failed rows (issue 25): a batch's failed rows run again with the cells a person
corrected, as a batch of their own (source ``fix``) under the same rules and permissions, its
rows numbered as the original file's, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bulkpoc.batch.fixes import CellFix, FixRefused, GroupFix, NothingToFix, fix_batch
from bulkpoc.domain.permissions import POC_CREATE
from bulkpoc.domain.records import RECORD_TYPES
from tests.conftest import errors, poc, stored_pocs

SKILL = "Skill"
POC = RECORD_TYPES["poc"]


@pytest.fixture
def failed(run):
    """A batch of five rows: rows 3 and 5 name a misspelt skill, row 4 a number that is not
    in the inventory; rows 2 and 6 are created."""
    result = run(
        [
            poc(Name="Line A", Point_of_Contact="+12025550100"),
            poc(Name="Line B", Point_of_Contact="+12025550101", Skill="Sales Cals"),
            poc(Name="Line C", Point_of_Contact="+12125550100"),
            poc(Name="Line D", Point_of_Contact="+12025550102", Skill="Sales Cals"),
            poc(Name="Line E", Point_of_Contact="+12025550103"),
        ]
    )
    assert result.counts.failed == 3, result.errors
    return result


def names(store) -> list[str]:
    return [row["name"] for row in stored_pocs(store)]


def skills(store) -> dict[str, str]:
    """Each stored POC's skill, by the POC's name."""
    found = store.find_records(POC, [row["id"] for row in stored_pocs(store)])
    return {record["name"]: record["skill"] for record in found}


def test_a_fix_that_succeeds_runs_the_failed_rows_as_a_batch_linked_both_ways(
    store, settings, failed
):
    fix = fix_batch(
        store,
        settings,
        failed.batch_id,
        cells=[CellFix(4, "Point of Contact", "+12025550104")],
        groups=[GroupFix(SKILL, "Sales Cals", "Sales Calls")],
        user="admin",
    )

    assert fix.status.value == "succeeded", fix.errors
    assert (fix.source, fix.counts.total, fix.counts.created) == ("fix", 3, 3)
    assert fix.options["fixes"] == failed.batch_id
    assert fix.options["fix_rows"] == [3, 4, 5]
    assert store.batch(fix.batch_id)["fixes"] == failed.batch_id
    assert store.fixed_by(failed.batch_id) == [fix.batch_id]
    assert sorted(names(store)) == ["Line A", "Line B", "Line C", "Line D", "Line E"]


def test_a_fix_that_still_fails_reports_the_original_row_numbers_and_the_unedited_rows(
    store, settings, failed
):
    fix = fix_batch(store, settings, failed.batch_id, cells=[CellFix(3, SKILL, "Sales Calls")])

    assert fix.status.value == "completed_with_errors"
    # Row 3 is fixed; row 4 (not edited) and row 5 (edited elsewhere) still fail, as rows 4, 5.
    assert errors(fix) == [
        [4, "Point of Contact", "not_in_inventory"],
        [5, SKILL, "unknown_reference"],
    ]
    assert (fix.counts.total, fix.counts.created, fix.counts.failed) == (3, 1, 2)
    assert store.failed_row_numbers(fix.batch_id) == [4, 5]


def test_a_fix_of_a_fix_keeps_the_original_row_numbers(store, settings, failed):
    first = fix_batch(store, settings, failed.batch_id, cells=[CellFix(3, SKILL, "Sales Calls")])
    second = fix_batch(
        store,
        settings,
        first.batch_id,
        cells=[CellFix(4, "Point of Contact", "+12025550104"), CellFix(5, SKILL, "Sales Calls")],
    )

    assert second.status.value == "succeeded", second.errors
    assert second.options["fix_rows"] == [4, 5]
    assert second.file_name == f"fix-of-batch-{first.batch_id}-upload-0.csv"
    assert store.fixed_by(first.batch_id) == [second.batch_id]


def test_a_group_fix_replaces_the_value_in_every_failed_row_of_the_group(store, settings, failed):
    fix = fix_batch(
        store, settings, failed.batch_id, groups=[GroupFix("skill", " Sales Cals", "Support Calls")]
    )

    assert errors(fix) == [[4, "Point of Contact", "not_in_inventory"]]
    assert (skills(store)["Line B"], skills(store)["Line D"]) == ("Support Calls", "Support Calls")


def test_cells_keep_their_leading_zeros_and_the_file_its_own_headers(store, settings, run):
    headers = ["Name", "Media Type", "Point of Contact", "Skill", "Script", "Notes"]
    bad = run([poc(Skill="Nope", Notes="007")], headers=headers)
    fix = fix_batch(store, settings, bad.batch_id, cells=[CellFix(2, "Skill", "Sales Calls")])

    assert fix.status.value == "succeeded", fix.errors
    content = store.file_content(store.batch(fix.batch_id)["checksum"]).decode()
    assert content.splitlines()[0] == ",".join(headers)
    assert ",007" in content


def test_a_fix_without_the_permission_the_rows_need_fails_those_rows(store, settings, run):
    created = run([poc()])
    stored = stored_pocs(store)[0]
    change = run([poc(Point_of_Contact_ID=str(stored["id"]), Skill="Support Cals")])
    assert errors(change) == [[2, SKILL, "unknown_reference"]]
    assert created.counts.created == 1
    store.add_user("clerk", [POC_CREATE])  # may upload, may not change a skill

    fix = fix_batch(
        store, settings, change.batch_id, cells=[CellFix(2, SKILL, "Support Calls")], user="clerk"
    )

    assert (fix.user, fix.status.value) == ("clerk", "completed_with_errors")
    assert errors(fix, ("row", "code")) == [[2, "permission_denied"]]
    assert skills(store) == {"Main Line": "Sales Calls"}


def test_a_fix_keeps_the_options_of_the_batch_it_fixes(store, settings, run):
    dry = run([poc(Skill="Nope")], dry_run=True, overwrite=True)
    fix = fix_batch(store, settings, dry.batch_id, cells=[CellFix(2, SKILL, "Sales Calls")])

    assert fix.dry_run
    assert fix.options["overwrite"]
    assert fix.options["file_type"] == "csv"
    assert (fix.status.value, fix.counts.created, names(store)) == ("succeeded", 1, [])


def test_an_all_or_nothing_batch_stopped_by_its_failed_rows_is_fixed_with_every_row(
    store, settings, run
):
    stopped = run(
        [poc(), poc(Name="Line B", Point_of_Contact="+12025550101", Skill="Nope")],
        all_or_nothing=True,
    )
    assert (stopped.status.value, names(store)) == ("failed", [])

    fix = fix_batch(store, settings, stopped.batch_id, cells=[CellFix(3, SKILL, "Sales Calls")])

    assert (fix.status.value, fix.counts.created) == ("succeeded", 2)
    assert fix.options["fix_rows"] == [2, 3]
    assert fix.options["all_or_nothing"]


@pytest.mark.parametrize(
    ("cells", "groups", "message"),
    [
        (
            [CellFix(2, SKILL, "x")],
            [],
            "Row 2 of batch {id} did not fail: only its failed rows (3, 4 and 5) can be fixed.",
        ),
        (
            [CellFix(3, "Colour", "x")],
            [],
            "Batch {id}'s file has no column 'Colour'; its columns are",
        ),
        (
            [],
            [GroupFix(SKILL, "Sales Calz", "x")],
            "No failed row of batch {id} has 'Sales Calz' in Skill",
        ),
        ([CellFix(3, "Error", "x")], [], "has no column 'Error'"),
    ],
)
def test_a_fix_that_fits_no_failed_row_is_refused_and_nothing_runs(
    store, settings, failed, cells, groups, message
):
    before = store.count_history()
    with pytest.raises(
        FixRefused, match=message.format(id=failed.batch_id).replace("(", r"\(").replace(")", r"\)")
    ):
        fix_batch(store, settings, failed.batch_id, cells=cells, groups=groups)
    assert store.count_history() == before


def test_a_batch_without_failed_rows_has_nothing_to_fix(store, settings, run):
    fine = run([poc()])
    with pytest.raises(NothingToFix, match=f"Batch {fine.batch_id} has no failed rows"):
        fix_batch(store, settings, fine.batch_id)
    with pytest.raises(FixRefused, match="There is no batch 999"):
        fix_batch(store, settings, 999)


def test_a_group_fix_takes_the_value_as_the_error_gives_it_and_fills_blank_cells(
    store, settings, run
):
    bad = run(
        [
            poc(Name="Line A", Point_of_Contact="(212) 555-0100"),  # row 2: not in the inventory
            poc(Name="Line B", Point_of_Contact="+12025550101", Skill=""),  # row 3
            poc(Name="Line C", Point_of_Contact="+12025550102", Skill=""),  # row 4
        ]
    )
    (shown,) = [e.value for e in bad.errors if e.column == "Point of Contact"]
    fix = fix_batch(
        store,
        settings,
        bad.batch_id,
        groups=[
            GroupFix("Point of Contact", shown, "+12025550103"),
            GroupFix(SKILL, "", "Support Calls"),
        ],
    )

    assert fix.status.value == "succeeded", fix.errors
    assert skills(store) == {
        "Line A": "Sales Calls",
        "Line B": "Support Calls",
        "Line C": "Support Calls",
    }


@pytest.mark.parametrize(
    ("cells", "groups"),
    [
        ([CellFix(3, "Skill", "Sales\ud800")], []),  # JSON can spell it, UTF-8 cannot
        ([CellFix(3, "Sk\udc49ill", "Sales Calls")], []),
        ([], [GroupFix("Skill", "Sales Cals", "\ud835")]),
        ([], [GroupFix("Skill", "Sales\x00Cals", "Sales Calls")]),  # PostgreSQL refuses NUL
        ([CellFix(3, "Skill", "Sales\x00Calls")], []),
        ([], [GroupFix("Skill", "Sales Cals", "Sales\x00Calls")]),
    ],
)
def test_a_fix_holding_what_no_file_can_is_refused_in_one_sentence(
    store, settings, failed, cells, groups
):
    batches = len(store.history())
    with pytest.raises(FixRefused) as refused:
        fix_batch(store, settings, failed.batch_id, cells=cells, groups=groups)
    message = str(refused.value)
    message.encode("utf-8")  # shown as it is: the answer itself can be sent
    assert message.endswith("."), message
    assert "\n" not in message
    assert len(store.history()) == batches  # nothing ran
