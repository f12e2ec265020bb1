"""The pipeline as a whole: who may upload, batches queue on the store's write lock, progress is
reported."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.conftest import poc, stored_pocs, write_rows


def test_a_batch_waits_for_another_writer_instead_of_interleaving(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    # On SQLite any writer waits for the write lock; on PostgreSQL only the batch's advisory
    # lock makes the second batch wait, so that run is the one that guards lock_for_batch.
    path = write_rows(tmp_path / "one.csv", [poc()])
    results = []
    worker = threading.Thread(
        target=lambda: results.append(run_import(store, path, ImportOptions(), settings))
    )
    with store.transaction() as connection:
        store.lock_for_batch(connection)
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive(), "the batch ran while another batch held the store"
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert results[0].status.value == "succeeded"
    assert results[0].counts.created == 1


def test_progress_is_reported_for_every_stage(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = write_rows(
        tmp_path / "two.csv", [poc(), poc(Name="Second", Point_of_Contact="+12025550101")]
    )
    seen: list[tuple[str, int, int]] = []
    result = run_import(
        store,
        path,
        ImportOptions(),
        settings,
        lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert result.counts.created == 2
    stages = [stage for stage, _, _ in seen]
    for stage in ("read", "validate", "plan", "apply", "report"):
        assert stage in stages
    assert ("apply", 2, 2) in seen
    assert (
        stages.index("read")
        < stages.index("validate")
        < stages.index("apply")
        < stages.index("report")
    )


def test_a_failed_batch_reports_no_rows_created_or_updated(run, store) -> None:
    # Bug: an all-or-nothing batch with one bad row counted the good rows as created.
    run([poc()])
    result = run(
        [
            poc(Point_of_Contact_ID="1", Name="Renamed Line"),
            poc(Name="Second", Point_of_Contact="+12025550101"),
            poc(Name="Third", Point_of_Contact="+12025550102", Skill="No Such Skill"),
        ],
        all_or_nothing=True,
    )
    assert result.status.value == "failed"
    assert not result.applied
    assert (result.counts.created, result.counts.updated, result.counts.failed) == (0, 0, 1)
    batch = store.batch(result.batch_id)
    assert (batch["created"], batch["updated"], batch["failed"]) == (0, 0, 1)


def test_a_batch_that_waits_too_long_for_the_store_fails_in_one_sentence(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    # Bug: on SQLite the waiting batch ended in a traceback once the busy timeout ran out.
    path = write_rows(tmp_path / "waits.csv", [poc()])
    holder = store.submit_batch(
        status="running",
        record_type="poc",
        file_name="big.csv",
        checksum="",
        file_type="csv",
        source="cli",
        user_name="admin",
        options={},
    )
    seen: list[tuple] = []
    impatient = settings.model_copy(update={"lock_timeout": 1.5})
    with store.transaction() as connection:
        store.lock_for_batch(connection)
        started = time.monotonic()
        result = run_import(
            store, path, ImportOptions(), impatient, lambda *event: seen.append(event)
        )
        waited = time.monotonic() - started
    assert result.status.value == "failed"
    assert result.failure is not None
    assert f"batch {holder}" in result.failure.lower()
    assert "nothing was applied" in result.failure
    assert result.failure.count(". ") == 0, "one sentence"
    assert 1.5 <= waited < 10
    assert ("wait", f"waiting for batch {holder} to finish") in [
        (event[0], event[3]) for event in seen if len(event) > 3
    ]
    assert store.count(schema.pocs) == 0
    if result.batch_id is not None:
        assert store.batch(result.batch_id)["status"] == "failed"
    # Once the other batch is done, the same upload goes through.
    assert run_import(store, path, ImportOptions(), impatient).status.value == "succeeded"


# --- who may upload -----------------------------------------------------------------------


def test_user_without_create_permission_gets_a_failed_batch(run, store):
    store.add_user("viewer", [])
    result = run([poc()], user="viewer")
    assert result.status.value == "failed"
    assert "Points of Contact Create" in result.failure
    assert result.applied is False
    assert stored_pocs(store) == []


def test_skills_edit_alone_cannot_upload_pocs(run, store):
    store.add_user("skiller", ["Skills Edit", "Points of Contact Deactivate"])
    result = run([poc()], user="skiller")
    assert result.status.value == "failed"
    assert "Points of Contact Create" in result.failure
    assert stored_pocs(store) == []


def test_unknown_user_gets_a_failed_batch(run, store):
    result = run([poc()], user="nobody")
    assert result.status.value == "failed"
    assert "nobody" in result.failure
    assert stored_pocs(store) == []
    assert store.history()[0]["status"] == "failed"


def test_a_batch_takes_arrow_memory_from_a_pool_that_gives_it_back(
    sqlite_store: Store, settings: Settings, tmp_path: Path
) -> None:
    # mimalloc, the wheels' default, kept what a million-row batch freed: about 110 MB more
    # at its peak than jemalloc, which returns it to the system.
    import pyarrow as pa

    path = write_rows(tmp_path / "one.csv", [poc()])
    result = run_import(sqlite_store, path, ImportOptions(), settings)
    assert result.counts.created == 1
    assert pa.default_memory_pool().backend_name == "jemalloc"
