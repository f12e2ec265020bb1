"""The property undo rests on: for any valid batch B applied to a store S, undo(B) gives S's
exported records back exactly (Last Modified aside) when nothing changed in between; and
undoing that undo gives B's outcome back, with the same IDs."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings

from bulkpoc.batch.submit import run_import
from bulkpoc.batch.undo import run_undo, undo_options
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.store.db import Store
from tests.conftest import poc, write_rows
from tests.test_plan import batch_rows, seeded_database  # noqa: F401 (a fixture)
from tests.test_undo import exported


def undone(store: Store, batch_id: int, config: Settings):
    return run_undo(store, batch_id, undo_options(store, batch_id), config)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=batch_rows())
# A record gives its name up to a record the batch creates: the undo takes it back while it
# removes that record, and the two rows must not count as one name twice in a file.
@example(
    rows=[
        poc(Point_of_Contact_ID="2", Name="Zeta", Point_of_Contact="+12025550101"),
        poc(Name="Beta", Point_of_Contact="+12025550105"),
    ]
)
def test_undo_restores_the_store_exactly(seeded_database, rows):  # noqa: F811
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "store.db"
        shutil.copy(seeded_database, database)
        store = Store(f"sqlite:///{database}")
        config = Settings.from_env({}).model_copy(update={"report_dir": Path(folder) / "reports"})
        try:
            before = exported(store)
            batch = run_import(
                store, write_rows(Path(folder) / "b.csv", rows), ImportOptions(), config
            )
            after = exported(store)
            if batch.counts.created + batch.counts.updated == 0:
                assert after == before
                return
            undo = undone(store, batch.batch_id, config)
            assert undo.status.value == "succeeded", (undo.failure, undo.errors)
            assert exported(store) == before
            redo = undone(store, undo.batch_id, config)
            assert redo.status.value == "succeeded", (redo.failure, redo.errors)
            assert exported(store) == after
        finally:
            store.engine.dispose()
