"""``POST /api/v1/batches/{id}/undo`` (issue 23, item 5): through the job layer like any batch,
on SQLite (the app's own thread) and PostgreSQL (a real worker process)."""

from __future__ import annotations

from tests.conftest import poc, stored_pocs
from tests.web import finished


def test_undo_through_the_api_dry_run_then_for_real(api, store, settings, run):
    batch = run([poc()])

    dry = finished(
        api,
        store,
        settings,
        api.post(f"/api/v1/batches/{batch.batch_id}/undo", json={"dry_run": True}),
    )
    assert (dry["status"], dry["dry_run"], dry["counts"]["removed"]) == ("succeeded", True, 1)
    assert (dry["source"], dry["options"]["reverts"]) == ("undo", batch.batch_id)
    assert len(stored_pocs(store)) == 1

    done = finished(api, store, settings, api.post(f"/api/v1/batches/{batch.batch_id}/undo"))
    assert (done["status"], done["dry_run"], done["counts"]["removed"]) == ("succeeded", False, 1)
    assert stored_pocs(store) == []

    again = api.post(f"/api/v1/batches/{batch.batch_id}/undo", json={"force": True})
    assert again.status_code == 409
    assert again.json() == {
        "detail": f"Batch {batch.batch_id} was already undone by batch {done['batch_id']}; a "
        f"batch is undone once (undo batch {done['batch_id']} to apply it again)."
    }


def test_undo_through_the_api_refuses_what_has_nothing_to_undo(api, store, settings, run):
    dry = run([poc()], dry_run=True)
    answer = api.post(f"/api/v1/batches/{dry.batch_id}/undo")
    assert answer.status_code == 409
    assert "was a dry run and changed nothing" in answer.json()["detail"]
    assert api.post("/api/v1/batches/999/undo").status_code == 404
    unknown = api.post(f"/api/v1/batches/{dry.batch_id}/undo", json={"forse": True})
    assert unknown.status_code == 422


def test_undo_is_in_the_openapi_schema(api):
    schema = api.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/batches/{batch_id}/undo"]["post"]
    assert {"202", "409", "404"} <= set(operation["responses"])
