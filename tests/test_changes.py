"""Change records: every batch keeps, in its own transaction, what it did to each record."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import delete, select

from bulkpoc.domain.changes import (
    CREATED,
    UPDATED,
    Tally,
    record_values,
    updated_rows,
    whole_record_headers,
)
from bulkpoc.store import schema
from tests.conftest import poc, stored_pocs
from tests.test_apply import fail_second_insert, lines


def changes_of(store, batch_id: int, **filters) -> list[dict]:
    rows, total = store.batch_changes(batch_id, limit=1000, **filters)
    assert total == len(rows)
    return rows


def test_a_create_records_each_new_id_and_the_values_it_was_created_with(run, store):
    result = run(lines(2))
    assert result.counts.created == 2
    pocs = stored_pocs(store)
    changes = changes_of(store, result.batch_id)
    assert [(c["action"], c["row"], c["record_key"]) for c in changes] == [
        (CREATED, 2, str(pocs[0]["id"])),
        (CREATED, 3, str(pocs[1]["id"])),
    ]
    values = record_values(changes[1]["field"], changes[1]["after"])
    assert values["Name"] == "Line 1"
    assert values["Point of Contact"] == "+12025550101"
    assert values["Skill"] == "Sales Calls"
    assert values["Active"] == "Y"
    assert result.changes.created == 2
    assert result.changes.updated == 0
    assert result.changes.lines() == ["Created: 2 records"]


def test_a_created_records_change_row_stores_its_values_but_not_the_headers(run, store):
    # The headers are the same on every created POC's row: stored once in code, not 100,000
    # times, and filled in for every reader.
    result = run(lines(2))
    with store.engine.connect() as connection:
        stored = connection.execute(
            select(schema.changes.c.field, schema.changes.c.after).where(
                schema.changes.c.batch_id == result.batch_id
            )
        ).all()
    assert [field for field, _after in stored] == [None, None]
    assert stored[0].after.split("\x1f")[0] == "Line 0"
    read = changes_of(store, result.batch_id)[0]["field"]
    assert read == whole_record_headers("poc")
    assert read.split("\x1f")[:3] == ["Name", "Media Type", "Point of Contact"]


def test_an_update_records_each_changed_field_before_and_after_and_nothing_else(run, store):
    created = run(lines(3))
    ids = [str(p["id"]) for p in stored_pocs(store)]
    rows = [
        poc(
            Point_of_Contact_ID=ids[0],
            Name="Line 0",
            Point_of_Contact="+12025550100",
            Skill="Legacy Calls",
            Active="N",
        ),
        poc(Point_of_Contact_ID=ids[1], Name="Line 1", Point_of_Contact="+12025550101"),
        poc(
            Point_of_Contact_ID=ids[2],
            Name="Line 2",
            Point_of_Contact="+12025550102",
            Skill="No Such Skill",
        ),
    ]
    result = run(rows)
    assert (result.counts.updated, result.counts.unchanged, result.counts.failed) == (1, 1, 1)
    changes = changes_of(store, result.batch_id)
    assert sorted(
        (c["action"], c["record_key"], c["field"], c["before"], c["after"]) for c in changes
    ) == [
        (UPDATED, ids[0], "Active", "Y", "N"),
        (UPDATED, ids[0], "Skill", "Sales Calls", "Legacy Calls"),
    ]
    assert {c["row"] for c in changes} == {2}
    assert "Active: 1 row, of which 1 deactivation" in result.changes.lines()
    assert "Skill Sales Calls -> Legacy Calls: 1" in result.changes.lines()
    assert created.batch_id != result.batch_id
    # The summary is kept with the result, for any process that loads it.
    from bulkpoc.batch.submit import load_result

    assert load_result(store, result.batch_id).changes == result.changes


def test_a_dry_run_records_what_it_would_change_and_the_applied_batch_the_same(run, store):
    run(lines(2))
    ids = [str(p["id"]) for p in stored_pocs(store)]
    rows = [
        poc(Point_of_Contact_ID=ids[0], Name="Renamed", Point_of_Contact="+12025550100"),
        *lines(1, start=5),
    ]
    before = stored_pocs(store)
    preview = run(rows, dry_run=True)
    assert stored_pocs(store) == before
    applied = run(rows)

    def comparable(batch_id):
        return [
            (
                c["row"],
                c["action"],
                c["field"],
                c["before"],
                c["after"] and c["after"].split("\x1f")[:-1],
            )
            for c in changes_of(store, batch_id)
        ]  # Last Modified (the last cell of a created record) is when each ran

    assert comparable(preview.batch_id) == comparable(applied.batch_id)
    assert preview.changes == applied.changes
    keys = [c["record_key"] for c in changes_of(store, preview.batch_id)]
    assert keys == [ids[0], None]  # a dry run cannot know the ID a create would get


def test_a_batch_that_fails_midway_keeps_no_change_records(run, store, monkeypatch):
    run(lines(2))
    seen = fail_second_insert(monkeypatch, RuntimeError("disk on fire"))
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(lines(5, start=2))
    assert seen[0].inserts == 2
    failed = store.history()[0]
    assert failed["status"] == "failed"
    assert store.batch_changes(failed["id"])[1] == 0


def test_an_id_given_once_is_never_given_again(run, store):
    run(lines(2))
    newest = stored_pocs(store)[-1]["id"]
    with store.engine.begin() as connection:  # as an undo removing a created record would
        connection.execute(delete(schema.pocs).where(schema.pocs.c.id == newest))
    run(lines(1, start=7))
    assert stored_pocs(store)[-1]["id"] > newest


def test_the_summary_counts_rows_per_field_and_lists_the_common_transitions():
    tally = Tally()
    size = 30
    changed = pd.DataFrame({"Skill": [True] * size, "Name": [True] * size})
    before = pd.DataFrame(
        {"Skill": ["Sales"] * 25 + ["Other"] * 5, "Name": [f"a{n}" for n in range(size)]}
    )
    after = pd.DataFrame({"Skill": ["Support"] * size, "Name": [f"b{n}" for n in range(size)]})
    rows = pd.Series(range(2, size + 2))
    tally.add(updated_rows(1, "poc", rows, rows, changed, before, after))
    lines = tally.summary().lines()
    assert lines[:3] == [
        "Skill: 30 rows",
        "Skill Sales -> Support: 25",
        "Skill Other -> Support: 5",
    ]
    # Thirty distinct renames: none is common, so none is listed.
    assert lines[3:] == ["Name: 30 rows"]


def test_a_filter_holding_a_nul_character_matches_nothing(run, store):
    """No change holds one (PostgreSQL refuses NUL in text): an empty page, not an error; the
    API's changes of a batch answered ``?field=%00`` with a 500."""
    result = run(lines(2))
    for name in ("field", "before", "after", "action"):
        assert store.batch_changes(result.batch_id, **{name: "Name\x00"}) == ([], 0)
