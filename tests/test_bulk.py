"""Bulk writes and reads (executemany on SQLite, COPY on PostgreSQL) keep every value exactly.

COPY has its own escaping: a backslash, a quote, a tab, a line break, the text ``\\N`` or an
empty string must come back as they went in, and NULL as NULL.
"""

from __future__ import annotations

import datetime as dt

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.output.exports import write_records
from bulkpoc.store import schema
from tests.conftest import poc, stored_pocs

AWKWARD = [
    "Back\\slash and \\N",
    "Quotes \"double\" and 'single'",
    "Comma, semicolon; pipe | and \\.",
    "Ünïcödé 名前 🚀",
    "NULL",
    "\\",
]


def numbered(names: list[str], ids: list[int] | None = None) -> list[dict[str, str]]:
    """Phone Call rows named ``names``, on distinct numbers; updates of ``ids`` when given."""
    return [
        poc(
            Name=name,
            Point_of_Contact=f"+120255501{n:02}",
            **({"Point of Contact ID": str(ids[n])} if ids else {}),
        )
        for n, name in enumerate(names)
    ]


def test_awkward_text_survives_create_update_and_an_unchanged_reimport(run, store, tmp_path):
    created = run(numbered(AWKWARD))
    assert (created.counts.created, created.errors) == (len(AWKWARD), [])
    stored = stored_pocs(store)
    assert [p["name"] for p in stored] == AWKWARD
    assert [p["chat_profile_id"] for p in stored] == [None] * len(AWKWARD)

    # The first two swap names (their unique keys are parked first), the rest change.
    ids = [p["id"] for p in stored]
    renamed = [AWKWARD[1], AWKWARD[0], *(f'{name} \\ 2 "é"' for name in AWKWARD[2:])]
    updated = run(numbered(renamed, ids))
    assert (updated.counts.updated, updated.errors) == (len(AWKWARD), [])
    after = stored_pocs(store)
    assert [p["id"] for p in after] == ids
    assert [p["name"] for p in after] == renamed
    assert [p["name_key"] for p in after] == [name.casefold() for name in renamed]

    # The snapshot reads every value back exactly, or some rows would count as changed.
    export = tmp_path / "export.csv"
    write_records(store, RECORD_TYPES["poc"], "csv", export, template=False)
    again = run(export)
    assert (again.counts.unchanged, again.counts.total) == (len(AWKWARD), len(AWKWARD))
    assert stored_pocs(store) == after


def test_row_errors_keep_tabs_line_breaks_and_backslashes(run, store):
    names = ["Tab\there", "Line\nbreak", "Carriage\r\nreturn", "Back\\slash\t\\N", "名前\t🚀"]
    result = run(numbered(names))
    assert result.counts.failed == len(names)
    assert [error.value for error in result.errors] == names
    assert store.batch_errors(result.batch_id) == result.errors


def test_read_frame_tells_empty_text_from_missing_and_keeps_microseconds(empty_store):
    empty_store.add_user("blank", [], email="")
    empty_store.add_user("missing", [])
    with empty_store.engine.begin() as connection:
        connection.execute(
            schema.users.update().values(created_at=dt.datetime(2026, 2, 3, 4, 5, 6, 789012))
        )
    users = empty_store.read_frame(schema.users).set_index("name")
    assert users.loc["blank", "email"] == ""
    assert users.loc["missing", "email"] is None
    assert set(users["created_at"]) == {dt.datetime(2026, 2, 3, 4, 5, 6, 789012)}
    assert str(users["id"].dtype) == "Int64"


def test_read_frame_of_an_empty_table_keeps_the_column_types(empty_store):
    skills = empty_store.read_frame(schema.skills)
    assert len(skills) == 0
    assert {name: str(kind) for name, kind in skills.dtypes.items()} == {
        "id": "Int64",
        "name": "object",
        "name_key": "object",
        "media_type": "object",
        "active": "bool",
        "last_modified": "datetime64[us]",
        "row_hash": "Int64",
    }


def test_side_rows_whose_values_repeat_on_every_row_are_stored_exactly(empty_store):
    # A batch's change rows repeat its id, record type and action on every row: SQLite gets
    # those written into the statement once, which must keep awkward text and NULL exact.
    import pandas as pd
    from sqlalchemy import select

    from bulkpoc.domain.changes import COLUMNS
    from bulkpoc.store import bulk

    for same in AWKWARD:
        side = pd.DataFrame(
            {
                "batch_id": [7, 7],
                "row": [2, 3],
                "record_type": ["poc", "poc"],
                "record_key": ["1", "2"],
                "action": ["updated", "updated"],
                "field": [same, same],
                "before": [None, None],
                "after": [same, f"{same} and more"],
            }
        )
        with empty_store.engine.begin() as connection:
            connection.execute(schema.changes.delete())
            bulk.insert(connection, schema.changes, COLUMNS, [side])
            stored = connection.execute(
                select(*(schema.changes.c[name] for name in COLUMNS)).order_by(schema.changes.c.id)
            ).all()
        assert [tuple(row) for row in stored] == [
            (7, 2, "poc", "1", "updated", same, None, same),
            (7, 3, "poc", "2", "updated", same, None, f"{same} and more"),
        ]
