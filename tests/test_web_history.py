"""Run History: every batch newest first, filtered by status, source and user, paged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bulkpoc.batch.submit import submit
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.store.db import Store
from tests.conftest import poc, write_rows
from tests.web import Element, client_for, logged_in, page

DEMO_BATCHES = 4  # the demo store's reference data came in as four batches (source "init")


@pytest.fixture
def client(store: Store, settings: Settings) -> TestClient:
    return logged_in(store, settings)


@pytest.fixture
def batches(store: Store, run) -> dict[str, int]:
    """A succeeded CLI batch by admin, a failed web batch by alice, a web batch with errors."""
    store.add_user("alice", PERMISSIONS)
    return {
        "succeeded": run([poc()]).batch_id,
        "failed": run([poc()], headers=["Name"], source="web", user="alice").batch_id,
        "with_errors": run([poc(Name="Other", Skill="Nope")], source="web").batch_id,
    }


def shown(html: Element) -> list[int]:
    return [int(row.attrs["data-batch"]) for row in html.all("tr") if "data-batch" in row.attrs]


def test_every_batch_is_listed_newest_first_with_a_link_to_its_results(client, batches) -> None:
    html = page(client.get("/history").text)

    ids = shown(html)
    assert ids[:3] == [batches["with_errors"], batches["failed"], batches["succeeded"]]
    assert len(ids) == 3 + DEMO_BATCHES
    row = next(r for r in html.all("tr") if r.attrs.get("data-batch") == str(batches["failed"]))
    link = row.all("a")[0]
    assert (link.attrs["href"], link.text) == (
        f"/batches/{batches['failed']}",
        f"Batch {batches['failed']}",
    )
    cells = [cell.text for cell in row.all("td")]
    assert cells[0] == "Failed"
    assert cells[2:5] == ["Points of Contact", "web", "alice"]
    assert (
        f"Showing 1–{3 + DEMO_BATCHES} of {3 + DEMO_BATCHES} batches."
        in html.all("nav", "pager")[0].text
    )


def test_failed_batches_are_one_click_away(client, batches) -> None:
    html = page(client.get("/history").text)
    quick = next(a for a in html.all("a") if a.attrs.get("href") == "/history?status=failed")
    assert quick.text == "Failed batches (1)"

    failed = page(client.get(quick.attrs["href"]).text)
    assert shown(failed) == [batches["failed"]]
    assert failed.by_id("filter-status").all("option", None)[0].text == "Any status"
    selected = [o for o in failed.by_id("filter-status").all("option") if "selected" in o.attrs]
    assert [o.attrs["value"] for o in selected] == ["failed"]


def test_the_history_filters_by_source_and_user_together(client, batches) -> None:
    assert shown(page(client.get("/history?source=web").text)) == [
        batches["with_errors"],
        batches["failed"],
    ]
    assert shown(page(client.get("/history?source=web&user=admin").text)) == [
        batches["with_errors"]
    ]
    assert shown(page(client.get("/history?user=alice&status=succeeded").text)) == []
    assert (
        "No batch matches"
        in page(client.get("/history?user=alice&status=succeeded").text).by_id("no-batches").text
    )
    users = [o.text for o in page(client.get("/history").text).by_id("filter-user").all("option")]
    assert users == ["Any user", f"admin ({2 + DEMO_BATCHES})", "alice (1)"]
    sources = [
        o.attrs["value"]
        for o in page(client.get("/history").text).by_id("filter-source").all("option")
    ]
    assert sources == ["", "cli", "init", "web"]


def test_the_history_is_paged_fifty_batches_at_a_time(client, store, settings, tmp_path) -> None:
    upload = write_rows(tmp_path / "a.csv", [poc()])
    queued = [submit(store, upload, ImportOptions(source="web"), settings) for _ in range(56)]
    total = len(queued) + DEMO_BATCHES

    first = page(client.get("/history").text)
    assert shown(first) == queued[::-1][:50]
    pager = first.all("nav", "pager")[0]
    assert f"Showing 1–50 of {total} batches (page 1 of 2)." in pager.text
    next_page = next(a for a in pager.all("a") if a.text == "Next page")
    second = page(client.get(next_page.attrs["href"]).text)
    assert shown(second) == queued[::-1][50:] + list(range(DEMO_BATCHES, 0, -1))
    # The filters stay on the page links.
    filtered = page(client.get("/history?source=web").text).all("nav", "pager")[0]
    assert next(a for a in filtered.all("a") if a.text == "Next page").attrs["href"] == (
        "/history?source=web&page=2"
    )
    assert shown(page(client.get("/history?source=web&page=2").text)) == queued[::-1][50:]


def test_queued_and_running_batches_show_their_stage(client, store, settings, tmp_path) -> None:
    upload = write_rows(tmp_path / "a.csv", [poc()])
    queued = submit(store, upload, ImportOptions(), settings)
    running = submit(store, upload, ImportOptions(), settings)
    store.claim_batch(running)
    store.report_progress(running, stage="validate", stage_done=10, stage_total=40)

    html = page(client.get("/history").text)
    status = {
        int(r.attrs["data-batch"]): r.all("td")[0].text
        for r in html.all("tr")
        if "data-batch" in r.attrs
    }
    assert status[queued] == "Queued Queued: the batch starts as soon as a worker is free."
    assert status[running] == "Running Checking the rows: 10 of 40 rows."


def test_the_history_needs_a_login(store, settings) -> None:
    response = client_for(store, settings).get("/history?status=failed")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/history%3Fstatus%3Dfailed"


@pytest.mark.parametrize("number", ["99999999999999999999999", "9223372036854775807"])
def test_a_page_number_past_any_store_shows_the_last_page(client, batches, number: str) -> None:
    response = client.get(f"/history?page={number}")
    assert response.status_code == 200
    assert shown(page(response.text))[0] == batches["with_errors"]


def test_a_status_no_batch_has_stays_in_its_filter_box_and_is_said_once(client) -> None:
    html = page(client.get("/history?status=failed").text)

    chosen = [o for o in html.by_id("filter-status").all("option") if "selected" in o.attrs]
    assert [option.text for option in chosen] == ["Failed (0)"]
    assert html.by_id("no-batches").text == "No batch matches these filters. Show every batch"
    assert html.all("nav", "pager") == []  # not "Showing 0–0 of 0 batches" as well
    assert client.get("/history").text.count("No batch matches") == 0
