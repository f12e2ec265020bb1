"""``POST /api/v1/batches/{id}/fixes`` (issue 25): a partner system corrects a batch's failed
rows and resubmits them without rebuilding a file, through the job layer like any batch, on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bulkpoc.domain.permissions import POC_CREATE
from bulkpoc.services.auth import create_token
from tests.conftest import fixable_batch, poc, stored_pocs
from tests.web import api_client, finished


@pytest.fixture
def failed(run):
    return fixable_batch(run)


def test_a_fix_through_the_api_runs_the_failed_rows_with_the_fixes(api, store, settings, failed):
    body = {
        "cells": [{"row": 4, "column": "point of contact", "value": "+12025550104"}],
        "replace": [{"column": "Skill", "from": "Sales Cals", "to": "Sales Calls"}],
    }
    fix = finished(
        api, store, settings, api.post(f"/api/v1/batches/{failed.batch_id}/fixes", json=body)
    )

    assert (fix["status"], fix["source"], fix["counts"]["created"]) == ("succeeded", "fix", 3)
    assert (fix["options"]["fixes"], fix["options"]["fix_rows"]) == (failed.batch_id, [3, 4, 5])
    assert len(stored_pocs(store)) == 4


def test_a_fix_that_still_fails_names_the_original_rows(api, store, settings, failed):
    body = {"cells": [{"row": 3, "column": "Skill", "value": "Sales Calls"}], "dry_run": True}
    fix = finished(
        api, store, settings, api.post(f"/api/v1/batches/{failed.batch_id}/fixes", json=body)
    )

    assert (fix["status"], fix["dry_run"]) == ("completed_with_errors", True)
    assert [(e["row"], e["column"]) for e in fix["errors"]] == [
        (4, "Point of Contact"),
        (5, "Skill"),
    ]
    assert len(stored_pocs(store)) == 1


def test_a_fix_without_the_permission_the_rows_need_fails_those_rows(store, settings, run):
    stored = run([poc()])
    assert stored.counts.created == 1
    change = run([poc(Point_of_Contact_ID=str(stored_pocs(store)[0]["id"]), Skill="Support Cals")])
    store.add_user("clerk", [POC_CREATE])
    with api_client(store, settings, create_token(store, "clerk-token", "clerk")) as clerk:
        body = {"cells": [{"row": 2, "column": "Skill", "value": "Support Calls"}]}
        fix = finished(
            clerk,
            store,
            settings,
            clerk.post(f"/api/v1/batches/{change.batch_id}/fixes", json=body),
        )
    assert (fix["user"], fix["status"]) == ("clerk", "completed_with_errors")
    assert [e["code"] for e in fix["errors"]] == ["permission_denied"]


def test_refused_fixes_answer_one_sentence_and_run_nothing(api, store, run, failed):
    before = store.count_history()
    path = f"/api/v1/batches/{failed.batch_id}/fixes"

    not_failed = api.post(path, json={"cells": [{"row": 2, "column": "Skill", "value": "x"}]})
    no_column = api.post(path, json={"cells": [{"row": 3, "column": "Colour", "value": "x"}]})
    unknown_field = api.post(path, json={"cels": []})

    assert not_failed.status_code == no_column.status_code == unknown_field.status_code == 422
    assert not_failed.json()["detail"] == (
        f"Row 2 of batch {failed.batch_id} did not fail: only its failed rows (3, 4 and 5) can "
        "be fixed."
    )
    assert no_column.json()["detail"].startswith(
        f"Batch {failed.batch_id}'s file has no column 'Colour'"
    )
    assert store.count_history() == before
    assert api.post("/api/v1/batches/999/fixes").status_code == 404
    fine = run([poc(Name="Fine", Point_of_Contact="+12025550103")])
    nothing = api.post(f"/api/v1/batches/{fine.batch_id}/fixes")
    assert nothing.status_code == 409
    assert (
        nothing.json()["detail"]
        == f"Batch {fine.batch_id} has no failed rows: there is nothing to fix."
    )
