"""``POST /api/v1/batches/{id}/apply`` and the results page's "Apply this file" (issue 23,
item 3), through the real app on both stores, batches run by the job layer (the app's thread
on SQLite, a real worker on PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from bulkpoc.batch.submit import load_result
from bulkpoc.domain.status import BatchStatus
from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store
from tests.conftest import poc, stored_pocs
from tests.web import (
    api_client,
    client_for,
    csrf_token,
    finished,
    log_in,
    logged_in,
    one_sentence,
    page,
    run_workers,
)

ROWS = [
    poc(Name=f"Line {n}", Point_of_Contact=number)
    for n, number in enumerate(["+12025550100", "+12025550101", "+12025550102"], 1)
]


@pytest.fixture
def preview(run) -> int:
    result = run(ROWS, dry_run=True, source="api")
    assert result.status.value == "succeeded", result.failure
    return result.batch_id


def test_apply_answers_201_and_the_batch_applies_the_dry_run(api, store, settings, preview):
    answer = api.post(f"/api/v1/batches/{preview}/apply")
    result = finished(api, store, settings, answer, 201)
    assert result["status"] == "succeeded"
    assert result["source"] == "api"
    assert result["preview_of"] == preview
    assert result["counts"]["created"] == 3
    assert result["dry_run"] is False
    assert api.get(f"/api/v1/batches/{preview}").json()["applied_as"] == result["batch_id"]
    assert len(stored_pocs(store)) == 3


def test_apply_with_excluded_rows(api, store, settings, preview):
    answer = api.post(f"/api/v1/batches/{preview}/apply", json={"exclude_rows": [3]})
    result = finished(api, store, settings, answer, 201)
    assert result["counts"]["created"] == 2
    assert result["counts"]["skipped"] == 1
    assert any("skipped by the reviewer" in warning for warning in result["warnings"])
    assert [p["name"] for p in stored_pocs(store)] == ["Line 1", "Line 3"]


def test_a_second_apply_is_409_in_one_sentence(api, store, settings, preview):
    first = api.post(f"/api/v1/batches/{preview}/apply")
    assert first.status_code == 201, first.text
    again = api.post(f"/api/v1/batches/{preview}/apply")
    assert again.status_code == 409
    assert f"already applied, as batch {first.json()['batch_id']}" in one_sentence(again)
    finished(api, store, settings, first, 201)
    assert len(stored_pocs(store)) == 3


def test_a_batch_that_is_not_a_finished_dry_run_is_409(api, run, preview):
    real = run(ROWS[:1], source="api")
    answer = api.post(f"/api/v1/batches/{real.batch_id}/apply")
    assert answer.status_code == 409
    assert "is not a dry run" in one_sentence(answer)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"exclude_rows": [1]}, 422),
        ({"exclude_rows": ["x"]}, 422),
        ({"exclude": [3]}, 422),
        ("not json", 422),
    ],
)
def test_bad_bodies_are_422(api, preview, body, status):
    if isinstance(body, str):
        answer = api.post(
            f"/api/v1/batches/{preview}/apply",
            content=body,
            headers={"Content-Type": "application/json"},
        )
    else:
        answer = api.post(f"/api/v1/batches/{preview}/apply", json=body)
    assert answer.status_code == status, answer.text
    one_sentence(answer)


def test_an_unknown_batch_is_404(api):
    answer = api.post("/api/v1/batches/999999/apply")
    assert answer.status_code == 404
    assert one_sentence(answer) == "There is no batch 999999."


def test_applying_needs_the_upload_permission(store, settings, preview):
    store.add_user("viewer", [])
    with api_client(store, settings, create_token(store, "viewer-token", "viewer")) as client:
        answer = client.post(f"/api/v1/batches/{preview}/apply")
    assert answer.status_code == 403
    assert "Points of Contact Create" in one_sentence(answer)
    assert store.applied_as(preview) is None


# --- the results page's form ----------------------------------------------------------------


def test_the_dry_runs_page_applies_its_file_and_links_both_ways(store, settings, preview):
    with client_for(store, settings) as client:  # with its job runner
        log_in(client, store)
        shown = page(client.get(f"/batches/{preview}").text)
        form = shown.by_id("apply-form")
        assert form.attrs["action"] == f"/batches/{preview}/apply"
        answer = client.post(
            f"/batches/{preview}/apply",
            data={"csrftoken": csrf_token(client, f"/batches/{preview}"), "exclude_rows": "2"},
        )
        assert answer.status_code == 303, answer.text
        applied_id = int(answer.headers["location"].rsplit("/", 1)[1])
        run_workers(store, settings)
        _wait(store, applied_id)
        applied = load_result(store, applied_id)
        assert (applied.counts.created, applied.counts.skipped) == (2, 1), applied.failure
        links = page(client.get(f"/batches/{applied_id}").text).by_id("preview-links").text
        assert f"Previewed as batch {preview}" in links
        back = page(client.get(f"/batches/{preview}").text)
        assert f"Applied as batch {applied_id}" in back.by_id("preview-links").text
        assert not back.has_id("apply-form")
        token = csrf_token(client, f"/batches/{preview}")
        again = client.post(f"/batches/{preview}/apply", data={"csrftoken": token})
        assert again.status_code == 409
        assert "already applied" in page(again.text).text


def _wait(store: Store, batch_id: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = store.batch(batch_id)
        if batch is not None and BatchStatus(batch["status"]).finished:
            return
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish")


def test_a_bad_row_list_is_one_sentence(store, settings, preview):
    client = logged_in(store, settings)
    answer = client.post(
        f"/batches/{preview}/apply",
        data={"csrftoken": csrf_token(client, f"/batches/{preview}"), "exclude_rows": "4-x"},
    )
    assert answer.status_code == 400
    assert "is not a row number" in page(answer.text).text
    assert store.applied_as(preview) is None


def test_a_changed_plan_shows_the_rows_and_links_the_new_dry_run(store, settings, run, preview):
    from bulkpoc.batch.applying import ApplyRequest, run_apply

    assert run([poc(Name="Line 2", Point_of_Contact="+12025550103")]).status.value == "succeeded"
    result, new_preview = run_apply(store, ApplyRequest(preview, "admin", "web"), settings)
    assert new_preview is not None
    client = logged_in(store, settings)
    shown = page(client.get(f"/batches/{result.batch_id}").text)
    assert "Nothing was applied: 1 row(s)" in shown.by_id("failure").text
    assert "Row 3: the dry run showed created; now failed" in shown.by_id("warnings").text
    links = shown.by_id("preview-links")
    assert f"batch {new_preview.batch_id} previews the file again" in links.text
    assert not shown.has_id("apply-form")
    old = page(client.get(f"/batches/{preview}").text).by_id("preview-links").text
    assert f"Batch {result.batch_id} tried to apply it and failed" in old
    again = page(client.get(f"/batches/{new_preview.batch_id}").text)
    assert again.by_id("apply-form").attrs["action"] == f"/batches/{new_preview.batch_id}/apply"
