"""A record's history on its page (issue 23, item 4): every batch that changed it, oldest
first, a page at a time, from the same RecordHistory as `bulkpoc changes`; on both stores,
through the real app and its login."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.store.db import Store
from tests.conftest import poc, stored_pocs
from tests.history import a_batch, updated, write_changes
from tests.web import client_for, log_in, page


@pytest.fixture
def browser(store: Store, settings: Settings) -> Iterator[TestClient]:
    with client_for(store, settings) as client:
        yield log_in(client, store)


def test_a_records_page_lists_each_change_with_its_batch_a_page_at_a_time(run, store, browser):
    first = run([poc(Name="Sales line")])
    [made] = stored_pocs(store)
    batch = a_batch(store, dry_run=True, file_name="preview.csv")
    write_changes(store, batch, [updated(str(made["id"]), "Skill", "Sales Calls", "X")] * 60)

    shown = page(browser.get(f"/pocs/{made['id']}").text)
    rows = shown.by_id("history").all("tr")[1:]
    assert len(rows) == 50
    assert rows[0].text.startswith(f"Batch {first.batch_id} ")
    assert "admin cli: upload-0.csv 2 created: Name=Sales line" in rows[0].text
    assert rows[0].all("a")[0].attrs["href"] == f"/batches/{first.batch_id}"
    assert rows[1].text.startswith(f"Batch {batch} (dry run: not applied)")
    assert rows[1].text.endswith("preview.csv 2 Skill: Sales Calls -> X")
    pager = shown.all("nav", class_="pager")[0]
    assert pager.text.startswith("Showing 1–50 of 61 changes (page 1 of 2).")
    last = page(browser.get(f"/pocs/{made['id']}?page=9").text)
    assert len(last.by_id("history").all("tr")) == 12  # the last page: 11 rows and the header


def test_a_numbers_page_shows_its_history_and_a_record_no_batch_changed_says_so(store, browser):
    shown = page(browser.get("/numbers/+12025550100").text)
    [created] = shown.by_id("history").all("tr")[1:]
    assert "created: Voice=Y, SMS=N" in created.text  # by the demo's numbers.csv
    with store.transaction() as connection:
        connection.exec_driver_sql("DELETE FROM changes")
    empty = page(browser.get("/numbers/+12025550100").text)
    assert empty.by_id("history").text == (
        "No batch has changed it since bulkpoc began keeping change records."
    )
