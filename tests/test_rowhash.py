"""Row hashes: every write keeps each record's hash of the row its export shows, so an
unchanged re-upload is recognised without reading the records."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, update

from bulkpoc.domain import rowhash
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.output.exports import export_frame
from bulkpoc.store.db import alembic_config
from bulkpoc.store.record_tables import table
from tests.conftest import errors, poc

POC = RECORD_TYPES["poc"]


def stored_hashes(store, name: str) -> dict[str, int | None]:
    """Each record's stored row hash, by its key as an export writes it."""
    rtype = RECORD_TYPES[name]
    kept = table(rtype)
    key = kept.c[rtype.key.name]
    with store.engine.connect() as connection:
        rows = connection.execute(select(key, kept.c.row_hash)).all()
    return {str(k): h for k, h in rows}


def export_hashes(store, name: str) -> dict[str, int]:
    """The hash of each row of the export, by key."""
    rtype = RECORD_TYPES[name]
    frame = export_frame(store, rtype)
    hashes = rowhash.cell_hashes(rtype, frame)
    return dict(zip(frame[rtype.key.header], hashes.tolist(), strict=True))


def three_pocs(run) -> None:
    result = run(
        [
            poc(),
            poc(Name="Inbox", Media_Type="Email", Point_of_Contact="Help@Example.com",
                Skill="Email Support", Script="Email Router"),
            poc(Name="Chat", Media_Type="Chat", Point_of_Contact="", Skill="Web Chat",
                Script="Chat Router", Chat_Profile="Default Chat"),
        ]
    )  # fmt: skip
    assert result.counts.created == 3, errors(result)


@pytest.fixture
def ref(run):
    def _ref(name: str, rows: list[dict[str, str]]):
        return run(rows, headers=RECORD_TYPES[name].headers, record_type=name)

    return _ref


def test_every_imported_record_holds_the_hash_of_its_exported_row(run, store):
    three_pocs(run)
    for name in RECORD_TYPES:
        assert stored_hashes(store, name) == export_hashes(store, name), name
        assert len(stored_hashes(store, name)) > 0


def test_records_hashed_a_slice_at_a_time_hold_the_same_hashes(run, store, monkeypatch):
    monkeypatch.setattr(rowhash, "HASH_ROWS", 2)  # three POCs: slices of two and one
    three_pocs(run)
    assert stored_hashes(store, "poc") == export_hashes(store, "poc")


def test_an_update_stores_the_hash_of_the_new_row(run, store):
    three_pocs(run)
    before = stored_hashes(store, "poc")
    result = run([poc(Point_of_Contact_ID="1", IVR_Reporting_Enabled="Y")])
    assert result.counts.updated == 1, errors(result)
    after = stored_hashes(store, "poc")
    assert after == export_hashes(store, "poc")
    assert after["1"] != before["1"]
    assert (after["2"], after["3"]) == (before["2"], before["3"])


@pytest.mark.parametrize(
    ("name", "old", "new", "poc_row"),
    [
        ("skill", "Sales Calls", "Sales Line", "1"),
        ("script", "Email Router", "Mail Router", "2"),
        ("chat-profile", "Default Chat", "Standard Chat", "3"),
    ],
)
def test_a_rename_recomputes_the_hashes_of_the_records_that_name_it(
    run, store, ref, name, old, new, poc_row
):
    three_pocs(run)
    before = stored_hashes(store, "poc")
    exported = export_frame(store, RECORD_TYPES[name])
    (row,) = exported[exported["Name"] == old].to_dict("records")
    assert ref(name, [{**row, "Name": new}]).counts.updated == 1
    after = stored_hashes(store, "poc")
    assert after == export_hashes(store, "poc")
    assert after[poc_row] != before[poc_row]
    assert [h for k, h in after.items() if k != poc_row] == [
        h for k, h in before.items() if k != poc_row
    ]
    again = run(export_frame(store, POC).to_dict("records"))
    assert again.counts.unchanged == 3, errors(again)


def test_a_record_without_a_hash_is_compared_by_its_values(run, store):
    three_pocs(run)
    with store.engine.begin() as connection:
        connection.execute(update(table(POC)).values(row_hash=None))
    rows = export_frame(store, POC).to_dict("records")
    assert run(rows).counts.unchanged == 3
    rows[1]["Name"] = "Inbox Two"
    result = run(rows)
    assert (result.counts.unchanged, result.counts.updated) == (2, 1), errors(result)
    assert stored_hashes(store, "poc")["2"] == export_hashes(store, "poc")["2"]


def test_the_migration_fills_the_hashes_of_records_already_stored(run, store):
    three_pocs(run)
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    with store.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    for name in RECORD_TYPES:
        hashes = stored_hashes(store, name)
        assert None not in hashes.values(), name
        assert hashes == export_hashes(store, name), name
