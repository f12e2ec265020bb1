"""Uploads held at the mapping step (store.held_uploads), on SQLite and PostgreSQL: each is
found only by the user who uploaded it, a user keeps at most PER_USER, and none outlives
HOLD_HOURS."""

from __future__ import annotations

import datetime as dt

from bulkpoc.store import schema
from bulkpoc.store.db import Store
from bulkpoc.store.held_uploads import HOLD_HOURS, PER_USER

OPTIONS = {"record_type": "poc", "file_type": "csv", "user": "admin"}


def test_a_held_upload_is_its_uploaders_only(store: Store) -> None:
    store.hold_upload("k1", "admin", OPTIONS, b"Phone Number\n+12025550100\n")
    held = store.held_upload("k1", "admin")
    assert held is not None
    assert held.content == b"Phone Number\n+12025550100\n"
    assert held.options == OPTIONS
    assert store.held_upload("k1", "someone-else") is None
    assert store.held_upload("k2", "admin") is None


def test_a_user_keeps_the_newest_few_and_nobody_keeps_expired_ones(store: Store) -> None:
    store.hold_upload("other", "carol", OPTIONS, b"x")
    with store.engine.begin() as connection:  # carol's upload is a day and a minute old
        old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=HOLD_HOURS)
        connection.execute(
            schema.held_uploads.update().values(held_at=old - dt.timedelta(minutes=1))
        )
    assert store.held_upload("other", "carol") is None  # expired: not found
    for number in range(PER_USER + 2):
        store.hold_upload(f"k{number}", "admin", OPTIONS, b"x")
    kept = [f"k{n}" for n in range(PER_USER + 2) if store.held_upload(f"k{n}", "admin")]
    assert kept == [f"k{n}" for n in range(2, PER_USER + 2)]
    assert store.count(schema.held_uploads) == PER_USER  # carol's expired one is gone too
