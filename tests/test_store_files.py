"""The bytes of uploaded files, kept once per content even when two uploads arrive together."""

from __future__ import annotations

import io
import threading

from bulkpoc.batch.submit import submit
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.store import schema
from bulkpoc.store.db import Store

CSV = b"Skill ID,Row Changed,Name,Media Type,Active\n,,Night Shift,Phone Call,Y\n"


def test_two_users_sending_the_same_file_at_once_make_two_batches_and_one_file(
    empty_store: Store, settings: Settings
) -> None:
    empty_store.add_user("bob", PERMISSIONS)
    start = threading.Barrier(2)
    outcomes: list[int | Exception] = []

    def upload(user: str) -> None:
        options = ImportOptions(record_type="skill", user=user, source="web")
        start.wait()
        try:
            outcomes.append(submit(empty_store, io.BytesIO(CSV), options, settings))
        except Exception as error:  # the assertion below shows it
            outcomes.append(error)

    threads = [threading.Thread(target=upload, args=(user,)) for user in ("admin", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert empty_store.count(schema.batches) == 2
    assert empty_store.count(schema.files) == 1
