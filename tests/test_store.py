"""The store (SPEC §6): Alembic migrations and the run history (SPEC §5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, select

from bulkpoc.batch.submit import run_import, submit
from bulkpoc.domain.errors.types import StoreNotReady, UnknownPermission, UnknownUser
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store import db as db_module
from bulkpoc.store import schema
from bulkpoc.store.db import MIGRATIONS, Store, alembic_config, newest_migration
from bulkpoc.store.listing import RecordFilter
from bulkpoc.store.snapshots import read_inventory
from tests.conftest import poc, write_rows


def test_migrations_create_exactly_the_schema_of_the_table_definitions(empty_store):
    with empty_store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": lambda name, kind, _: kind != "table" or schema.is_ours(name),
            },
        )
        differences = compare_metadata(context, schema.metadata)
    assert differences == []
    tables = set(filter(schema.is_ours, inspect(empty_store.engine).get_table_names()))
    assert set(schema.metadata.tables) <= tables
    assert tables - set(schema.metadata.tables) <= {"alembic_version"}


def test_initialise_twice_is_harmless_and_keeps_the_data(store, run):
    assert run([poc()]).counts.created == 1
    batches = len(store.history())
    store.initialise()
    store.initialise()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert store.schema_revision() == head
    assert store.count(schema.pocs) == 1
    assert store.count(schema.skills) == 9
    assert len(store.history()) == batches
    assert "Points of Contact Create" in store.get_user("admin").permissions


def test_the_newest_migration_read_from_file_names_is_alembics_head():
    assert newest_migration() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_a_store_at_an_older_migration_is_upgraded_when_next_used(store):
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "-1")
    assert store.schema_revision() not in (None, newest_migration())
    store.ensure_ready()
    assert store.schema_revision() == newest_migration()
    assert store.count(schema.skills) == 9


def test_a_store_never_initialised_is_reported_in_one_sentence(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'never.db'}")
    with pytest.raises(StoreNotReady, match="bulkpoc init"):
        store.ensure_ready()
    store.engine.dispose()


def test_run_history_records_everything_about_a_batch(store, settings, tmp_path):
    store.add_user("hist_user", PERMISSIONS)
    path = write_rows(
        tmp_path / "history-upload.csv",
        [poc(), poc(Name="Typo", Skill="Sales Cals", Point_of_Contact="+12025550101")],
    )
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = run_import(
        store,
        path,
        ImportOptions(user="hist_user", source="cli", overwrite=True, notify=("a@example.com",)),
        settings,
    )
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert result.status.value == "completed_with_errors"

    batch = store.history()[0]
    assert batch["id"] == result.batch_id
    assert batch == store.batch(result.batch_id)
    assert batch["record_type"] == "poc"
    assert batch["file_name"] == "history-upload.csv"
    assert batch["checksum"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch["file_type"] == "csv"
    assert batch["source"] == "cli"
    assert batch["user_name"] == "hist_user"
    assert batch["options"]["overwrite"] is True
    assert batch["options"]["rows"] == "all"
    assert batch["options"]["dry_run"] is False
    assert batch["options"]["notify"] == ["a@example.com"]
    assert before <= batch["started_at"] <= batch["finished_at"] <= after
    assert batch["status"] == "completed_with_errors"
    counts = {key: batch[key] for key in result.counts.as_dict()}
    assert counts == {
        "total": 2,
        "processed": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "failed": 1,
    }
    assert batch["report_path"] == result.reports.html
    assert Path(batch["report_path"]).is_file()
    assert Path(batch["error_file_path"]).is_file()
    assert Path(batch["email_path"]).is_file()

    errors = store.batch_errors(result.batch_id)
    assert errors == result.errors
    assert [(e.row, e.column, e.value, e.code) for e in errors] == [
        (3, "Skill", "Sales Cals", "unknown_reference")
    ]


def test_run_history_records_a_failed_batch_and_why(store, run):
    headers = [h for h in RECORD_TYPES["poc"].headers if h != "Skill"]
    result = run([poc()], headers=headers)
    assert result.status.value == "failed"
    batch = store.batch(result.batch_id)
    assert batch["status"] == "failed"
    assert batch["failure"] == result.failure
    assert "Skill" in batch["failure"]
    assert batch["finished_at"] is not None
    assert Path(batch["report_path"]).is_file()
    assert store.batch_errors(result.batch_id) == []


def test_history_filters_by_status_newest_first(store, run):
    ok = run([poc()])
    partial = run([poc(Name="Other", Point_of_Contact="+12025550101"), poc(Skill="Nope")])
    failed = run([poc()], headers=["Name"])
    assert ok.status.value == "succeeded"
    assert partial.status.value == "completed_with_errors"
    assert failed.status.value == "failed"

    everything = [batch["id"] for batch in store.history()]
    assert everything == sorted(everything, reverse=True)
    assert everything[:3] == [failed.batch_id, partial.batch_id, ok.batch_id]
    for result in (ok, partial, failed):
        filtered = store.history(status=result.status.value)
        assert result.batch_id in [batch["id"] for batch in filtered]
        assert {batch["status"] for batch in filtered} == {result.status.value}
    assert [batch["id"] for batch in store.history(status="failed")] == [failed.batch_id]
    assert len(store.history(limit=2)) == 2


def test_history_filters_by_source_and_user_pages_and_counts(store, run):
    store.add_user("carol", PERMISSIONS)
    mine = [
        run([poc(Name=f"Line {n}", Point_of_Contact=f"+1202555010{n}")], source="api", user="carol")
        for n in range(3)
    ]
    theirs = run([poc(Name="Desk", Point_of_Contact="+12025550109")])
    ids = [result.batch_id for result in mine][::-1]

    assert store.count_history(source="api", user="carol") == 3
    assert [b["id"] for b in store.history(source="api", user="carol")] == ids
    assert [b["id"] for b in store.history(user="carol", limit=2)] == ids[:2]
    assert [b["id"] for b in store.history(user="carol", limit=2, offset=2)] == ids[2:]
    assert store.history(user="carol", offset=3) == []
    assert store.history(source="cli", user="admin", limit=1)[0]["id"] == theirs.batch_id
    assert store.count_history(source="api", user="admin") == 0
    assert store.count_history("succeeded", user="carol") == 3
    assert store.count_history() == len(store.history())
    assert store.history(user="carol\x00") == []
    assert store.count_history(source="\x00") == 0


def _upload(store: Store, settings, path: Path, upload_id: str | None, user: str = "admin") -> int:
    options = ImportOptions(source="api", user=user, upload_id=upload_id)
    return submit(store, path, options, settings)


def test_an_upload_id_sent_again_gives_the_first_batch_and_stores_nothing(
    store, settings, tmp_path
):
    store.add_user("carol", PERMISSIONS)
    first_file = write_rows(tmp_path / "first.csv", [poc()])
    other_file = write_rows(tmp_path / "other.csv", [poc(Name="Other")])
    first = _upload(store, settings, first_file, "key-1")
    batches = store.count_history()

    assert _upload(store, settings, other_file, "key-1") == first
    assert store.count_history() == batches
    assert store.file_content(hashlib.sha256(other_file.read_bytes()).hexdigest()) is None
    # Another key, another user with the same key, or no key at all: a new batch each.
    assert _upload(store, settings, first_file, "key-2") != first
    assert _upload(store, settings, first_file, "key-1", user="carol") != first
    assert _upload(store, settings, first_file, None) != first
    assert _upload(store, settings, first_file, None) != first
    assert store.count_history() == batches + 4


def test_a_kept_file_comes_back_as_uploaded_compressed_with_lz4_where_postgresql_has_it(
    store, settings, tmp_path
):
    rows = [poc(Name=f"Desk {n}", Point_of_Contact=f"desk{n}@example.com") for n in range(300)]
    path = write_rows(tmp_path / "large.csv", rows)
    batch = store.batch(_upload(store, settings, path, None))
    assert store.file_content(batch["checksum"]) == path.read_bytes()
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.connect() as connection:
        has_lz4 = connection.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).scalar()
        method = connection.exec_driver_sql(
            "SELECT pg_column_compression(content) FROM files WHERE sha256 = %s",
            (batch["checksum"],),
        ).scalar()
        default = connection.exec_driver_sql("SHOW default_toast_compression").scalar()
    assert method == ("lz4" if has_lz4 else "pglz")
    assert default == "pglz"  # set for the batch's transaction only


def test_an_upload_id_older_than_ten_minutes_makes_a_new_batch(store, settings, tmp_path):
    path = write_rows(tmp_path / "first.csv", [poc()])
    first = _upload(store, settings, path, "key-1")
    eleven_minutes_ago = store.batch(first)["submitted_at"] - dt.timedelta(minutes=11)
    store.update_batch(first, submitted_at=eleven_minutes_ago)
    assert _upload(store, settings, path, "key-1") != first


def test_the_same_upload_id_sent_at_once_from_many_threads_makes_one_batch(
    store, settings, tmp_path
):
    path = write_rows(tmp_path / "first.csv", [poc()])
    before = store.count_history()
    start = threading.Barrier(6)

    def send(_: int) -> int:
        start.wait()
        return _upload(store, settings, path, "retried")

    with ThreadPoolExecutor(6) as pool:
        ids = set(pool.map(send, range(6)))
    assert len(ids) == 1
    assert store.count_history() == before + 1


def test_an_unknown_permission_is_named_as_such_not_as_an_unknown_user(empty_store):
    with pytest.raises(UnknownPermission, match="Unknown permission 'Fly'") as raised:
        empty_store.add_user("erin", ["Skills Edit", "Fly"])
    assert not isinstance(raised.value, UnknownUser)
    assert "Points of Contact Create" in str(raised.value)


# --- the pages' queries find their rows by index (100,000 POCs, many batches) ---------------

POC = RECORD_TYPES["poc"]
PAGE_QUERIES = {
    "ix_pocs_skill_name": lambda store: store.search_records(
        POC, RecordFilter(skill="Sales Calls")
    ),
    "ix_pocs_media_type_name": lambda store: store.search_records(
        POC, RecordFilter(media_type="Email")
    ),
    "ix_pocs_active_name": lambda store: store.search_records(POC, RecordFilter(active="no")),
    "ix_pocs_last_modified": lambda store: store.search_records(
        POC, RecordFilter(), "last_modified", True
    ),
    "ix_batches_status_id": lambda store: store.history_page(status="failed"),
    "ix_batches_source_id": lambda store: store.history_page(source="api"),
    "ix_batches_user_id": lambda store: store.history_page(user="carol"),
}


@pytest.mark.parametrize("index", list(PAGE_QUERIES))
def test_the_pages_filters_and_sorts_read_an_index_not_the_whole_table(tmp_path, index):
    """SQLite's plan of every statement behind a filtered or sorted list page: it reads the
    index made for it, never every row of pocs or batches (EXPLAIN QUERY PLAN; PostgreSQL's
    planner rightly prefers a scan of tables as small as a test's)."""
    store = Store(f"sqlite:///{tmp_path / 'plans.db'}")
    store.initialise()
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    PAGE_QUERIES[index](store)
    event.remove(store.engine, "before_cursor_execute", record)
    plans = []
    with store.engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append([row[-1] for row in rows])
    store.engine.dispose()
    assert any(index in line for plan in plans for line in plan), plans
    whole_table = [line for plan in plans for line in plan if line in {"SCAN pocs", "SCAN batches"}]
    assert whole_table == [], plans


def test_a_kept_upload_is_stored_whole_and_no_reference_to_its_bytes_outlives_the_submit(
    store, settings, tmp_path
):
    # An upload may be a hundred megabytes: a statement kept in SQLAlchemy's cache with the
    # bytes among its values held them for as long as the process ran.
    path = write_rows(tmp_path / "kept.csv", [poc(Name=f"Kept {i}") for i in range(50)])
    content = path.read_bytes()
    references = sys.getrefcount(content)
    checksum = hashlib.sha256(content).hexdigest()
    batch_id = store.submit_batch(
        content=content,
        record_type="poc",
        file_name="kept.csv",
        checksum=checksum,
        file_type="csv",
        source="api",
        user_name="admin",
        options=ImportOptions().recorded(),
    )
    assert sys.getrefcount(content) == references
    assert store.file_content(checksum) == content
    with store.transaction() as connection:
        store.keep_batch_file(connection, batch_id, "errors", "kept.csv", content)
    assert sys.getrefcount(content) == references
    assert store.batch_file(batch_id, "errors") == ("kept.csv", content)


def test_the_inventory_is_read_whole_a_few_records_at_a_time(store, monkeypatch):
    # A million numbers as Python objects at once were most of the inventory's memory.
    monkeypatch.setattr(db_module, "READ_CHUNK", 2)
    with store.engine.connect() as connection:
        stored = connection.execute(
            select(schema.numbers.c.phone_number, schema.numbers.c.voice, schema.numbers.c.sms)
        ).all()
        inventory = read_inventory(store, connection)
    assert len(stored) > 2  # more than one chunk
    columns = (inventory.numbers.to_pylist(), inventory.voice.tolist(), inventory.sms.tolist())
    read = zip(*columns, strict=True)
    assert sorted(read) == sorted((number, bool(voice), bool(sms)) for number, voice, sms in stored)
    first, second = inventory.numbers[0].as_py(), inventory.numbers[1].as_py()
    found = inventory.find(pd.Series([second, "+19999999999", None, first], dtype=object))
    assert found.tolist() == [1, -1, -1, 0]
