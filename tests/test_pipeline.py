"""The pipeline as a whole: who may upload, batches queue on the store's write lock, progress is
reported."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bulkpoc.config import Settings
from bulkpoc.pipeline import ImportOptions, run_import
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
