"""Bulk writes and reads (executemany on SQLite, COPY on PostgreSQL) keep every value exactly.

COPY has its own escaping: a backslash, a quote, a tab, a line break, the text ``\\N`` or an
empty string must come back as they went in, and NULL as NULL.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from bulkpoc.domain.changes import COLUMNS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.output.exports import write_records
from bulkpoc.store import bulk, schema
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


def _change_rows(count: int, batch_id: int = 7) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "batch_id": [batch_id] * count,
            "row": list(range(2, count + 2)),
            "record_type": ["poc"] * count,
            "record_key": [str(n) for n in range(count)],
            "action": ["updated"] * count,
            "field": ["Skill"] * count,
            "before": [None if n % 3 else AWKWARD[n % len(AWKWARD)] for n in range(count)],
            "after": [f"after {n}" for n in range(count)],
        }
    )


def _stored_changes(connection) -> list[tuple]:
    columns = (schema.changes.c[name] for name in COLUMNS)
    query = select(*columns).order_by(schema.changes.c.id)
    return [tuple(row) for row in connection.execute(query).all()]


def test_change_rows_beside_a_write_are_stored_in_order_past_one_statements_worth(empty_store):
    # SQLite adds a few hundred change rows a statement: a chunk that is not a whole number of
    # statements must still store every row once, in the order given.
    side = bulk.Side(schema.changes, COLUMNS)
    chunks = [([], _change_rows(2 * bulk.ROWS_PER_STATEMENT + 51)), ([], _change_rows(1, 8))]
    with empty_store.engine.begin() as connection:
        bulk.insert(connection, schema.changes, COLUMNS, chunks, side)
        stored = _stored_changes(connection)
    expected = [*_change_rows(2 * bulk.ROWS_PER_STATEMENT + 51).itertuples(index=False)]
    expected.append(tuple(_change_rows(1, 8).iloc[0]))
    assert stored == [tuple(None if pd.isna(v) else v for v in row) for row in expected]


def test_rows_whose_every_value_repeats_are_each_stored(empty_store):
    # Every value of these rows is written into the statement: each row must still be added.
    same = pd.concat([_change_rows(1)] * 3, ignore_index=True)
    side = bulk.Side(schema.changes, COLUMNS)
    with empty_store.engine.begin() as connection:
        bulk.insert(connection, schema.changes, COLUMNS, [same])
        bulk.insert(connection, schema.changes, COLUMNS, [([], same)], side)
        stored = _stored_changes(connection)
    assert stored == [tuple(None if pd.isna(v) else v for v in same.iloc[0])] * 6


def test_a_table_read_a_chunk_at_a_time_gives_every_record_once(empty_store, monkeypatch):
    from bulkpoc.store import db

    monkeypatch.setattr(db, "READ_CHUNK", 2)
    numbers = [f"+1202555{n:04}" for n in range(5)]
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5)
    with empty_store.engine.begin() as connection:
        connection.execute(
            schema.numbers.insert(),
            [
                {"phone_number": n, "voice": i % 2 == 0, "sms": True, "last_modified": stamp}
                for i, n in enumerate(numbers)
            ],
        )
        chunks = list(
            empty_store.read_column_chunks(
                schema.numbers, connection, ["phone_number", "voice", "sms"]
            )
        )
    read = [list(zip(*chunk, strict=True)) for chunk in chunks]
    rows = sorted(row for chunk in read for row in chunk)
    assert [(n, bool(v), bool(s)) for n, v, s in rows] == [
        (n, i % 2 == 0, True) for i, n in enumerate(numbers)
    ]
    if empty_store.backend == "sqlite":
        assert [len(chunk) for chunk in read] == [2, 2, 1]
